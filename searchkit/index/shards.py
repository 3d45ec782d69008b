"""Sharded indexes: one index folder holding N complete searchkit indexes, each the
index of the corpus files whose path hashes to it.

The folder's ``searchkit.json`` records the shard count and the folder that holds
the shards (``shards/000``, ``shards/001``, ...). A file's shard comes from a CRC-32 of
its corpus path, the same on every machine and in every run, so an update touches
only the shards whose files changed, and each shard is updated, locked and
recovered on its own like any index. Re-sharding builds the new shards in a
folder of their own and switches to them in one write of the settings file: a
run killed before then leaves the old shards in use.

``build_sharded`` runs the shards' updates one after another in this process, or
as Dask tasks (``cluster.py``); ``ShardedIndex`` opens every shard.
"""

from __future__ import annotations

import dataclasses
import json
import time
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, NamedTuple

from ..errors import IndexDamagedError, IndexMismatchError, SearchkitError
from ..models import IndexReport, Passage, Skipped
from ..settings import Settings
from .layout import SETTINGS_FILE, SHARDS_KEY, _has_index, _prepare_folder, _settings_record, _shards_record, _write_json, is_sharded
from .lock import LOCK_TIMEOUT, write_lock

if TYPE_CHECKING:
    from .core import Index
    from .manifest import _Entry
    from .options import WriterOptions
    from .update import Progress

__all__ = [
    "ShardedIndex", "ShardTask", "Owner", "shard_of", "is_sharded", "open_sharded", "build_sharded", "build_shard",
    "SHARDS_KEY", "MAX_SHARDS",
]

#: More shards than this is a typo, not an archive (each is a folder of open files).
MAX_SHARDS = 256

#: ``(shard number, report)`` when one shard's update has finished.
ShardDone = Callable[[int, IndexReport], None]


def shard_of(source: str, count: int) -> int:
    """The shard that holds corpus file ``source`` in an index of ``count`` shards."""
    return zlib.crc32(source.encode("utf-8")) % count


class Owner(NamedTuple):
    """Which corpus files shard ``number`` of ``count`` holds (picklable, for Dask)."""

    number: int
    count: int

    def __call__(self, source: str) -> bool:
        return shard_of(source, self.count) == self.number


def shard_paths(path: Path) -> list[Path]:
    """The folders of a sharded index's shards, in shard order."""
    entry = _shards_record(path)
    if entry is None:
        return []
    folder = path / str(entry.get("folder") or "shards")
    return [folder / f"{number:03d}" for number in range(entry["count"])]


def _check_count(shards: int) -> int:
    if isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards <= MAX_SHARDS:
        raise SearchkitError(f"--shards {shards!r} must be a whole number from 1 to {MAX_SHARDS}")
    return shards


class ShardedIndex:
    """An open sharded index: every shard an ``Index``. ``missing`` names the shards
    left out when it was opened with ``partial=True`` (and why)."""

    def __init__(self, path: Path, settings: Settings, shards: list[Index | None], missing: tuple[Skipped, ...] = ()) -> None:
        self.path = path
        self.settings = settings
        self._shards = shards
        self.missing = missing

    @property
    def count(self) -> int:
        return len(self._shards)

    @property
    def shards(self) -> list[Index]:
        """The shards that are open (all of them unless opened ``partial``)."""
        return [shard for shard in self._shards if shard is not None]

    def __repr__(self) -> str:
        return f"ShardedIndex({str(self.path)!r}, shards={self.count})"

    def shard_for(self, source: str) -> Index | None:
        return self._shards[shard_of(source, self.count)]

    def passage_count(self) -> int:
        return sum(shard.passage_count() for shard in self.shards)

    def stored_passages(self, source: str) -> list[Passage]:
        shard = self.shard_for(source)
        return [] if shard is None else shard.stored_passages(source)

    def manifest(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for shard in self.shards:
            out.update(shard.manifest())
        return out

    def entries(self) -> dict[str, _Entry]:
        out: dict[str, _Entry] = {}
        for shard in self.shards:
            out.update(shard.entries())
        return out

    def update(self, corpus: str | Path, *, lock_timeout: float = LOCK_TIMEOUT, **options: Any) -> IndexReport:
        """``build_sharded`` on this index (``dask``, ``progress``, ``commit_every``, ``reindex``)."""
        return build_sharded(corpus, self.path, self.settings, lock_timeout=lock_timeout, **options)

    def close(self) -> None:
        for shard in self.shards:
            shard.close()

    def __enter__(self) -> "ShardedIndex":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_sharded(
    path: Path, settings: Settings | None = None, *, writer_options: WriterOptions | None = None, partial: bool = False
) -> ShardedIndex:
    """Open every shard of the sharded index in ``path``. A shard that is missing or
    cannot be opened raises ``IndexDamagedError`` naming it, unless ``partial``: then
    it is left out and named in ``ShardedIndex.missing``."""
    from .core import open_index

    opened: list[Index | None] = []
    missing: list[Skipped] = []
    try:
        for number, folder in enumerate(shard_paths(path)):
            try:
                if not _has_index(folder):
                    raise IndexDamagedError(
                        path, f"shard {number:03d} is missing; rebuild it: searchkit index --index {path}",
                        str(folder.relative_to(path)),
                    )
                shard = open_index(folder, settings, writer_options=writer_options)
            except IndexMismatchError:
                raise
            except SearchkitError as exc:
                if not partial:
                    raise _shard_error(path, number, folder, exc) from None
                missing.append(Skipped(str(folder.relative_to(path)), str(exc)))
                opened.append(None)
                continue
            settings = settings or shard.settings
            opened.append(shard)
    except BaseException:
        for shard in opened:
            if shard is not None:
                shard.close()
        raise
    return ShardedIndex(path, settings or _recorded_settings(path), opened, tuple(missing))


def _shard_error(path: Path, number: int, folder: Path, exc: SearchkitError) -> IndexDamagedError:
    if isinstance(exc, IndexDamagedError) and f"shard {number:03d}" in str(exc):
        return exc
    return IndexDamagedError(
        path, f"shard {number:03d} cannot be opened ({exc}); rebuild it: searchkit index --index {path}",
        str(folder.relative_to(path)),
    )


def _recorded_settings(path: Path) -> Settings:
    data = json.loads((path / SETTINGS_FILE).read_text(encoding="utf-8"))
    return Settings.from_dict(dict(data.get("settings") or {}))


@dataclasses.dataclass(frozen=True)
class ShardTask:
    """One shard's update, as a Dask task carries it (everything picklable)."""

    corpus: str
    folder: str
    settings: Settings
    owner: Owner
    rebuild: bool
    lock_timeout: float
    commit_every: int | None
    reindex: tuple[str, ...]
    writer_options: WriterOptions | None


def build_shard(task: ShardTask, progress: Progress | None = None) -> IndexReport:
    """Bring one shard up to date with the corpus files it owns (a Dask task, too)."""
    from .core import build_index

    return build_index(
        task.corpus, task.folder, task.settings, rebuild=task.rebuild, lock_timeout=task.lock_timeout,
        progress=progress, commit_every=task.commit_every, reindex=task.reindex,
        writer_options=task.writer_options, owns=task.owner,
    )


def build_sharded(
    corpus: str | Path,
    path: Path,
    settings: Settings | None = None,
    *,
    shards: int | None = None,
    dask: str | None = None,
    rebuild: bool = False,
    lock_timeout: float = LOCK_TIMEOUT,
    progress: Progress | None = None,
    commit_every: int | None = None,
    reindex: Iterable[str] = (),
    writer_options: WriterOptions | None = None,
    on_shard: ShardDone | None = None,
) -> IndexReport:
    """Build or update the sharded index in ``path`` (see ``build_index``).

    Each shard's update is ``build_shard``: in this process one after another, or a
    Dask task each with ``dask``. A task that fails (a worker killed) is run again by
    Dask; the shards that finished are not redone, and a shard left half-written
    carries on from its last commit, as any update does. ``on_shard`` hears of each
    shard as it finishes; ``progress`` follows the files of the shard being updated
    in this process."""
    path = Path(path)
    began = time.perf_counter()
    recorded = _shards_record(path)
    if shards is not None:
        _check_count(shards)
    if recorded is None and _has_index(path) and not rebuild:
        raise IndexMismatchError(
            f"the index at {path} is not sharded; shard it: searchkit index --rebuild --shards {shards or 4} --index {path}"
        )
    if recorded is not None and shards is not None and shards != recorded["count"] and not rebuild:
        raise IndexMismatchError(
            f"the index at {path} has {recorded['count']} shards, not {shards}; "
            f"re-shard it: searchkit index --rebuild --shards {shards} --index {path}"
        )
    count = shards or (recorded["count"] if recorded else 1)
    from .plan import check_corpus

    check_corpus(corpus)
    client = None
    if dask is not None:
        from ..cluster import connect

        client = connect(dask)  # before anything is written: an unreachable scheduler leaves no trace
    try:
        return _build_sharded(
            corpus, path, settings, count, client, rebuild=rebuild, lock_timeout=lock_timeout, progress=progress,
            commit_every=commit_every, reindex=reindex, writer_options=writer_options, on_shard=on_shard, began=began,
        )
    finally:
        if client is not None:
            from ..cluster import disconnect

            disconnect(client)


def _build_sharded(
    corpus: str | Path, path: Path, settings: Settings | None, count: int, client: Any, *, rebuild: bool,
    lock_timeout: float, progress: Progress | None, commit_every: int | None, reindex: Iterable[str],
    writer_options: WriterOptions | None, on_shard: ShardDone | None, began: float,
) -> IndexReport:
    _prepare_folder(path)
    # The top-level lock guards the layout (which folder holds the shards); each
    # shard's update takes that shard's own lock as well.
    with write_lock(path, lock_timeout):
        recorded = _shards_record(path)
        if recorded is not None and recorded["count"] == count:
            folder_name = str(recorded.get("folder") or "shards")
            if settings is None:
                settings = _recorded_settings(path)
        else:
            # A new layout: a folder no reader uses yet, switched to when complete.
            folder_name = "shards" if recorded is None and not (path / "shards").exists() else f"shards-{time.time_ns():x}"
        settings = settings or Settings()
        _drop_abandoned(path, keep=folder_name)
        folder = path / folder_name
        folder.mkdir(parents=True, exist_ok=True)
        record = _settings_record(settings)
        record[SHARDS_KEY] = {"count": count, "folder": folder_name}
        if recorded is None and not _has_index(path):
            # A first build is recorded at once: a run that dies leaves an index whose
            # missing shards are named, and the next run builds them.
            _write_json(path / SETTINGS_FILE, record)
        tasks = [
            ShardTask(
                str(corpus), str(folder / f"{number:03d}"), settings, Owner(number, count), rebuild,
                lock_timeout, commit_every, tuple(reindex), writer_options,
            )
            for number in range(count)
        ]
        if client is not None:
            from ..cluster import build_on_dask

            reports = build_on_dask(client, tasks, on_shard)
        else:
            reports = []
            for number, task in enumerate(tasks):
                reports.append(build_shard(task, progress))
                if on_shard is not None:
                    on_shard(number, reports[-1])
        _write_json(path / SETTINGS_FILE, record)
        _drop_abandoned(path, keep=folder_name)
        _drop_unsharded(path)
    from .core import _with_watches

    report = merge_reports(reports, time.perf_counter() - began)
    return _with_watches(path, dataclasses.replace(report, skipped=report.skipped + _unmatched(Path(corpus))))


def _unmatched(corpus: Path) -> tuple[Skipped, ...]:
    """The ``metadata.jsonl`` lines that name no corpus file (no shard can tell)."""
    from ..ingest import METADATA_FILE, list_files, load_metadata, unmatched_metadata

    if not (corpus / METADATA_FILE).is_file():
        return ()
    sidecar, _ = load_metadata(corpus)
    return tuple(unmatched_metadata(sidecar, list_files(corpus)[0]))


def _drop_abandoned(path: Path, keep: str) -> None:
    """Remove shard folders the settings record does not name (an earlier layout, or
    a re-shard that was killed before it switched); the caller holds the lock."""
    import shutil  # here: opening an index never removes anything

    named = str((_shards_record(path) or {}).get("folder") or "")
    for child in path.iterdir():
        if child.is_dir() and (child.name == "shards" or child.name.startswith("shards-")) and child.name not in (keep, named):
            shutil.rmtree(child, ignore_errors=True)


def _drop_unsharded(path: Path) -> None:
    """Remove the Whoosh files of the unsharded index the shards replaced."""
    from .layout import MANIFEST_FILE, MANIFEST_JOURNAL, OLD_STEMS_FILE, STEMS_FILE, _is_index_file

    for child in path.iterdir():
        if child.is_file() and _is_index_file(child.name) and (
            child.name.startswith(("_MAIN_", "MAIN_")) and child.name != "MAIN_WRITELOCK"
            or child.name in (MANIFEST_FILE, MANIFEST_JOURNAL, STEMS_FILE, OLD_STEMS_FILE)
        ):
            child.unlink(missing_ok=True)


def merge_reports(reports: list[IndexReport], seconds: float) -> IndexReport:
    """One report for the whole index: every shard's files, each problem of the
    listing once (every shard lists the corpus)."""

    def joined(name: str) -> tuple[Any, ...]:
        return tuple(sorted(item for report in reports for item in getattr(report, name)))

    def once(name: str) -> tuple[Skipped, ...]:
        return tuple(dict.fromkeys(item for report in reports for item in getattr(report, name)))

    return IndexReport(
        added=joined("added"), updated=joined("updated"), removed=joined("removed"), unchanged=joined("unchanged"),
        skipped=once("skipped"), warnings=once("warnings"), passages=sum(r.passages for r in reports), seconds=seconds,
    )
