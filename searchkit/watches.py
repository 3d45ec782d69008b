"""Saved searches (``watch``): queries kept in the index folder, and which of their
hits are new since they were last run.

Each saved search is a query with the search options it runs with, the time of
its last run and the ids of the passages it has already reported. They live in
``watches.json`` in the index folder, written whole and atomically under a lock
of their own (``WATCHES_LOCK``), so that saving a search never waits for an
update of the index. Rebuilding the index replaces only the index's own files:
the saved searches stay.

``run_watches`` reports the hits not seen before and remembers them (the first
run reports every current hit); ``pending`` counts them without remembering,
for the report of ``searchkit index``.
"""

from __future__ import annotations

import json
import os
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from .errors import WatchError, WatchNotFoundError
from .index import Index
from .index.layout import WATCHES_FILE, WATCHES_LOCK, _read_settings_file, _write_json
from .index.lock import LOCK_TIMEOUT
from .models import Hit
from .search import Searcher, open_searcher
from .search.filters import SORTS
from .settings import LIBRARY_LIMITS

__all__ = [
    "Watch", "WatchRun", "add_watch", "list_watches", "remove_watch", "run_watches", "pending",
    "has_watches", "DEFAULT_LIMIT", "MAX_NAME_CHARS",
]

#: Hits a saved search looks at per run: more than a page, since a new article
#: that ranks below the first ten is still news to whoever saved the search.
DEFAULT_LIMIT = 100
MAX_NAME_CHARS = 100
_FORMAT = "searchkit-watches"


@dataclass(frozen=True)
class Watch:
    """A saved search: ``options`` are the search options it runs with
    (``limit``, ``syntax``, ``where``, ``since``, ``until``, ``sort``); ``seen``
    counts the passages already reported; ``last_run`` is None before the first run."""

    name: str
    query: str
    options: Mapping[str, Any]
    created: str
    last_run: str | None = None
    seen: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "query": self.query, "options": dict(self.options), "created": self.created,
                "last_run": self.last_run, "seen": self.seen}


@dataclass(frozen=True)
class WatchRun:
    """One saved search's run: ``hits`` are those not reported before (in the
    search's order), ``total`` the hits it found in all."""

    name: str
    query: str
    hits: tuple[Hit, ...] = field(default_factory=tuple)
    total: int = 0
    first: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "query": self.query, "total": self.total, "first": self.first,
                "hits": [hit.to_dict() for hit in self.hits]}


IndexArg = Index | Searcher | str | os.PathLike[str]


def _folder(index: IndexArg) -> Path:
    """The index folder of ``index``; ``IndexNotFoundError`` when it holds no searchkit index."""
    if isinstance(index, Searcher):
        path = Path(index.index.path)
    elif isinstance(index, Index):
        path = Path(index.path)
    else:
        path = Path(index)
    _read_settings_file(path)  # saved searches belong to an index: refuse any other folder
    return path


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read(path: Path) -> dict[str, dict[str, Any]]:
    file = path / WATCHES_FILE
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise WatchError(f"{file} cannot be read ({exc}); fix it, or remove it to start the saved searches afresh") from None
    if not isinstance(data, dict) or data.get("format") != _FORMAT or not isinstance(data.get("watches"), dict):
        raise WatchError(f"{file} is not a searchkit saved-searches file; remove it to start afresh")
    return data["watches"]


def _write(path: Path, watches: Mapping[str, Mapping[str, Any]]) -> None:
    _write_json(path / WATCHES_FILE, {"format": _FORMAT, "watches": dict(watches)})


@contextmanager
def _locked(path: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the saved searches' lock: two runs must not both write the file from what they read."""
    from whoosh.filedb.filestore import FileStorage  # the same OS file lock as the index's

    lock = FileStorage(str(path)).lock(WATCHES_LOCK)
    deadline = time.monotonic() + timeout
    while not lock.acquire():
        if time.monotonic() >= deadline:
            raise WatchError(f"the saved searches of {path} are being changed by another process; try again")
        time.sleep(0.05)
    try:
        yield
    finally:
        lock.release()


def _check_name(name: str) -> str:
    name = unicodedata.normalize("NFC", str(name)).strip()
    if not name:
        raise WatchError("a saved search needs a name, e.g. searchkit watch add \"court ruling\" \"court ruling\"")
    if len(name) > MAX_NAME_CHARS:
        raise WatchError(f"saved search name {name[:40]!r}… is longer than {MAX_NAME_CHARS} characters; shorten it")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise WatchError(f"saved search name {name!r} holds control characters; use letters, digits and spaces")
    return name


def _entry(watches: Mapping[str, Mapping[str, Any]], name: str, path: Path) -> Mapping[str, Any]:
    key = _check_name(name)
    if key not in watches:
        known = ", ".join(sorted(watches)) or "none yet"
        raise WatchNotFoundError(f"no saved search named {key!r} in {path} (saved: {known}); see searchkit watch list")
    return watches[key]


def _watch(name: str, entry: Mapping[str, Any]) -> Watch:
    return Watch(name=name, query=entry["query"], options=dict(entry["options"]), created=entry["created"],
                 last_run=entry.get("last_run"), seen=len(entry.get("seen", ())))


def _hits(searcher: Searcher, entry: Mapping[str, Any], highlight: bool = True) -> tuple[Hit, ...]:
    return searcher.search(entry["query"], **entry["options"], highlight=highlight).hits


def add_watch(
    index: IndexArg,
    name: str,
    query: str,
    *,
    limit: int = DEFAULT_LIMIT,
    syntax: bool = False,
    where: Sequence[str] | Mapping[str, Any] = (),
    since: str | None = None,
    until: str | None = None,
    sort: str = "relevance",
) -> Watch:
    """Save ``query`` with its search options as ``name``. The search is run once to
    check it (a bad filter or date raises ``QueryError``); nothing is marked seen:
    its first run reports every hit. ``WatchError`` for a bad or taken name."""
    name = _check_name(name)
    if isinstance(where, Mapping):  # stored one way: the FIELD=VALUE strings the CLI takes
        where = [f"{k}={v}" for k, values in where.items() for v in (values if isinstance(values, (list, tuple)) else [values])]
    options: dict[str, Any] = {"limit": limit, "syntax": bool(syntax), "where": list(where), "since": since,
                               "until": until, "sort": sort}
    if not (str(query).strip() or where or since or until):
        raise WatchError(f"saved search {name!r} needs a query or a filter (where, since, until)")
    if sort not in SORTS:
        raise WatchError(f"sort {sort!r} is not one of {', '.join(SORTS)}; pick one")
    if not isinstance(limit, int) or not 1 <= limit <= LIBRARY_LIMITS.max_limit:
        raise WatchError(f"limit {limit!r} must be from 1 to {LIBRARY_LIMITS.max_limit}")
    path = _folder(index)
    searcher = open_searcher(index)
    try:
        searcher.search(str(query), **{**options, "limit": 1}, highlight=False)  # raises QueryError for bad options
    finally:
        if searcher is not index:
            searcher.close()
    with _locked(path):
        watches = _read(path)
        if name in watches:
            raise WatchError(f"a saved search named {name!r} exists already; remove it first: searchkit watch remove {name!r}")
        watches[name] = {"query": str(query), "options": options, "created": _now(), "last_run": None, "seen": []}
        _write(path, watches)
    return _watch(name, watches[name])


def list_watches(index: IndexArg) -> tuple[Watch, ...]:
    """The saved searches of ``index``, by name."""
    watches = _read(_folder(index))
    return tuple(_watch(name, watches[name]) for name in sorted(watches))


def remove_watch(index: IndexArg, name: str) -> Watch:
    """Forget the saved search ``name`` and what it has seen (``WatchNotFoundError`` if none); returns it."""
    path = _folder(index)
    with _locked(path):
        watches = _read(path)
        removed = _watch(_check_name(name), _entry(watches, name, path))
        del watches[removed.name]
        _write(path, watches)
    return removed


def _selected(watches: Mapping[str, Mapping[str, Any]], name: str | None, path: Path) -> list[str]:
    if name is None:
        return sorted(watches)
    _entry(watches, name, path)
    return [_check_name(name)]


def run_watches(index: IndexArg, name: str | None = None) -> tuple[WatchRun, ...]:
    """Run the saved search ``name`` (every one when None) and return, per search,
    the hits not reported by an earlier run; they are remembered as seen, with the
    time of this run. ``WatchNotFoundError`` for an unknown name."""
    path = _folder(index)
    runs = []
    with _locked(path):
        watches = _read(path)
        names = _selected(watches, name, path)
        searcher = open_searcher(index)
        try:
            for key in names:
                entry = watches[key]
                hits = _hits(searcher, entry)
                seen = set(entry.get("seen", ()))
                new = tuple(hit for hit in hits if hit.passage_id not in seen)
                runs.append(WatchRun(name=key, query=entry["query"], hits=new, total=len(hits),
                                     first=entry.get("last_run") is None))
                # Appended in the order found, so the file is the same for the same runs.
                entry["seen"] = list(entry.get("seen", ())) + [hit.passage_id for hit in new]
                entry["last_run"] = _now()
        finally:
            if searcher is not index:
                searcher.close()
        _write(path, watches)
    return tuple(runs)


def pending(index: IndexArg) -> tuple[tuple[str, int], ...]:
    """``(name, count)`` of the saved searches with hits that ``run_watches`` would
    report as new, without marking them seen (what ``searchkit index`` reports)."""
    path = _folder(index)
    watches = _read(path)
    if not watches:
        return ()
    found = []
    searcher = open_searcher(index)
    try:
        for key in sorted(watches):
            seen = set(watches[key].get("seen", ()))
            count = sum(hit.passage_id not in seen for hit in _hits(searcher, watches[key], highlight=False))
            if count:
                found.append((key, count))
    finally:
        if searcher is not index:
            searcher.close()
    return tuple(found)


def has_watches(index: str | os.PathLike[str]) -> bool:
    """Whether the index folder holds saved searches (cheap: no index opened)."""
    return (Path(index) / WATCHES_FILE).exists()
