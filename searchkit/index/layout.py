"""The index folder: its file names, atomic writes, the settings record (how the
index was built), the build generation, and clearing what a dead writer left.

An index folder holds the Whoosh files and searchkit's own:

* ``searchkit.json``: how it was built (format, schema version, index-time
  settings). A folder without it is not opened: Whoosh unpickles its files, so
  only folders searchkit built itself are trusted.
* ``manifest.json`` and ``manifest.journal`` (``manifest.py``), ``stems.table``
  (``stems.py``), and the lock file ``MAIN_WRITELOCK`` (``lock.py``).
* ``watches.json`` and its lock ``WATCHES_LOCK``: the saved searches
  (``searchkit/watches.py``). Not part of the index: a rebuild keeps them.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import whoosh.index
from whoosh.filedb.filestore import FileStorage

from .. import __version__
from ..errors import (
    IndexDamagedError,
    IndexNotFoundError,
)
from ..schema import SCHEMA_VERSION
from ..settings import Settings

SETTINGS_FILE = "searchkit.json"

MANIFEST_FILE = "manifest.json"

MANIFEST_JOURNAL = "manifest.journal"

#: word → stem table of everything indexed, so that searching need not import NLTK.
STEMS_FILE = "stems.table"

#: The same table as earlier versions wrote it (read when there is no new one).
OLD_STEMS_FILE = "stems.json"

FORMAT = "searchkit-index"

#: The lock file Whoosh's own writers take; searchkit takes it too and writes its pid in it.
LOCK_FILE = "MAIN_WRITELOCK"

#: The saved searches, and the lock their writers take (not the index's: saving a
#: search need not wait for an update to finish).
WATCHES_FILE = "watches.json"
WATCHES_LOCK = "WATCHES_LOCK"


#: The settings record's key of a sharded index: ``{"count": N, "folder": "shards"}``
#: (``shards.py``).
SHARDS_KEY = "shards"


def _shards_record(path: Path) -> dict[str, Any] | None:
    """The settings record's shard entry, or None for an unsharded (or no) index."""
    try:
        data = json.loads((path / SETTINGS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entry = data.get(SHARDS_KEY) if isinstance(data, dict) else None
    return entry if isinstance(entry, dict) and isinstance(entry.get("count"), int) else None


def is_sharded(path: str | os.PathLike[str]) -> bool:
    """Whether the folder holds a sharded index."""
    return _shards_record(Path(path)) is not None


def _write_json(path: Path, data: Any) -> None:
    # dumps, not dump: json.dump encodes in pure Python, several times slower (large manifests).
    _write_text(path, json.dumps(data, ensure_ascii=False, sort_keys=True))


def _write_text(path: Path, text: str) -> None:
    _write_bytes(path, text.encode("utf-8"))


def _write_bytes(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old one or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _is_empty_folder(path: Path) -> bool:
    # Saved searches alone (an index removed by hand) do not make a folder an index.
    return path.is_dir() and all(
        p.name.startswith(".") or p.name in (LOCK_FILE, WATCHES_FILE, WATCHES_LOCK) for p in path.iterdir()
    )


#: Temporary files of an index folder: searchkit's (``_write_bytes``), Whoosh's
#: table of contents before its rename, and the writers' posting pools.
_TEMP_FILE = re.compile(r"\..+\.\d+\.tmp|_MAIN_\d+\.toc\..+")

_TEMP_FOLDER = f"{whoosh.index._DEF_INDEX_NAME}.tmp"


def clear_leftovers(path: str | os.PathLike[str]) -> list[str]:
    """Remove what a killed or failed writer left in the index folder ``path``:
    segment files that the latest table of contents does not list, older tables of
    contents, and temporary files and folders. The caller holds the write lock, so
    nothing else is writing them; readers of an older commit keep the files they
    have open (Whoosh itself deletes them at every commit). Returns the names removed.

    Without this, a failed update's partial segments stayed until the next commit:
    on a full disk, no later update could commit to remove them."""
    path = Path(path)
    removed: list[str] = []
    try:
        names = os.listdir(path)
    except OSError:
        return removed
    for name in names:
        target = path / name
        try:
            if name == _TEMP_FOLDER and target.is_dir():
                for inner in target.iterdir():
                    inner.unlink()
                target.rmdir()
            elif _TEMP_FILE.fullmatch(name):
                target.unlink()
            else:
                continue
            removed.append(name)
        except OSError:
            pass  # another try at the next write
    generation = _generation(path)
    if generation < 0:
        return removed
    storage = FileStorage(str(path))
    try:
        toc = whoosh.index.TOC.read(storage, whoosh.index._DEF_INDEX_NAME, generation)
    except Exception:  # a damaged table of contents: nothing can be told unused
        return removed
    before = set(os.listdir(path))
    whoosh.index.clean_files(storage, whoosh.index._DEF_INDEX_NAME, generation, toc.segments)
    removed.extend(sorted(before - set(os.listdir(path))))
    return removed


def _read_settings_file(path: Path) -> dict[str, Any]:
    file = path / SETTINGS_FILE
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if path.is_dir() and whoosh.index.exists_in(str(path)):
            raise IndexNotFoundError(
                f"{path} holds an index that searchkit did not build; searchkit opens only its own "
                "indexes (Whoosh index files can run code when opened). Use another --index folder"
            ) from None
        if path.is_dir() and not _is_empty_folder(path):  # "build one here" would be untrue: it is refused
            raise IndexNotFoundError(
                f"{path} is not empty and is not a searchkit index; pass a new or empty --index folder"
            ) from None
        raise IndexNotFoundError(
            f"no searchkit index in {path}; build one with: searchkit index --index {path}"
        ) from None
    except ValueError as exc:  # cut short or overwritten (UnicodeDecodeError is one too)
        raise IndexDamagedError(path, f"not valid JSON: {exc}", SETTINGS_FILE) from None
    except OSError as exc:
        raise IndexNotFoundError(
            f"{file} cannot be read ({exc.strerror or exc}); check its permissions, or rebuild: "
            f"searchkit index --rebuild --index {path}"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise IndexNotFoundError(f"{file} is not a searchkit settings file; use another --index folder")
    rebuilding = data.pop("rebuilding", None)
    if isinstance(rebuilding, dict) and _generation(path) < rebuilding.get("generation", 0):
        # A rebuild has not committed (yet, or ever): the index on disk is the previous one.
        return {"format": FORMAT, **rebuilding.get("previous", {})}
    return data


def _toc_name(generation: int) -> str:
    return f"_{whoosh.index._DEF_INDEX_NAME}_{generation}.toc"


def _generation(path: Path) -> int:
    """The index's latest generation, from the file names alone (nothing unpickled)."""
    return int(whoosh.index.TOC._latest_generation(FileStorage(str(path)), whoosh.index._DEF_INDEX_NAME))


def _settle(path: Path) -> None:
    """Under the write lock: record the settings that really hold, dropping the note of
    a rebuild that finished or died (so a later commit cannot make it look finished)."""
    file = path / SETTINGS_FILE
    try:
        if "rebuilding" not in json.loads(file.read_text(encoding="utf-8")):
            return
    except (OSError, ValueError, TypeError):
        return
    _write_json(file, _read_settings_file(path))


def _settings_record(settings: Settings) -> dict[str, Any]:
    from ..ingest.html import extractor  # here: opening an index to search never loads the ingesters

    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "searchkit_version": __version__,
        "settings": settings.index_time(),
        EXTRACTOR_KEY: extractor(),
    }


#: The settings record's key for the extractor that made the source text of HTML
#: files ("trafilatura 2.3.1"): another one may move every offset of their passages.
EXTRACTOR_KEY = "html_extractor"
#: Sources whose text comes from that extractor: HTML files, and e-mails (an HTML body).
EXTRACTED_SUFFIXES = (".html", ".htm", ".eml")


def _extractor_change(path: Path) -> tuple[str | None, str] | None:
    """``(recorded, running)`` when the index at ``path`` read HTML with another
    extractor than the one running (None recorded: an index from before it was
    recorded, read by searchkit's own HTML reader); None when they are the same."""
    from ..ingest.html import extractor

    recorded = _read_settings_file(path).get(EXTRACTOR_KEY)
    running = extractor()
    return None if recorded == running else (recorded, running)


def _record_extractor(path: Path) -> None:
    """Under the write lock, once the HTML files are re-read: record the running extractor."""
    from ..ingest.html import extractor

    file = path / SETTINGS_FILE
    data = json.loads(file.read_text(encoding="utf-8"))
    data[EXTRACTOR_KEY] = extractor()
    _write_json(file, data)


def _prepare_folder(path: Path) -> None:
    """Make ``path`` ready to hold a new index; refuse files and folders searchkit did not make."""
    if path.exists() and not _is_empty_folder(path):
        if not path.is_dir():
            raise IndexNotFoundError(f"{path} is a file, not a folder; pass another --index")
        try:
            _read_settings_file(path)  # refuse to overwrite a folder searchkit did not make
        except IndexDamagedError:
            # Its settings file is damaged: replaced only where nothing else could be
            # lost, in a folder of nothing but the files an index is made of.
            strangers = sorted(p.name for p in path.iterdir() if not _is_index_file(p.name))
            if strangers:
                raise IndexNotFoundError(
                    f"{path / SETTINGS_FILE} is damaged and {path} also holds files that are not "
                    f"part of an index ({', '.join(strangers[:3])}); move them away, or use another --index folder"
                ) from None
    path.mkdir(parents=True, exist_ok=True)


#: What an index folder holds: searchkit's files, Whoosh's tables of contents
#: (_MAIN_<generation>.toc) and segment files (MAIN_<segment id>.<kind>), its lock.
_INDEX_FILE = re.compile(
    r"(searchkit\.json|manifest\.json|manifest\.journal|stems\.table|stems\.json|MAIN_WRITELOCK"
    r"|watches\.json|WATCHES_LOCK|shards(-[0-9a-f]+)?"
    r"|_MAIN_\d+\.toc|MAIN_[a-z0-9]+(_\d+)?\.[A-Za-z0-9_.]+|\..*)"
)


def _is_index_file(name: str) -> bool:
    return _INDEX_FILE.fullmatch(name) is not None


def _has_index(path: Path) -> bool:
    """Whether ``path`` holds a complete searchkit index (a killed first build may leave
    the settings file alone)."""
    return (path / SETTINGS_FILE).exists() and any(path.glob(f"_{whoosh.index._DEF_INDEX_NAME}_*.toc"))
