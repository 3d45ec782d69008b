"""``manifest.json`` and its journal: for each corpus file, its size, time, content
hash and doc ids, tagged with the Whoosh generation it describes.

``manifest.journal`` holds the changes since, one JSON line per commit (rewriting a
large manifest whole cost a quarter of a one-file update). It is a cache: when it
does not match the index (a crash between commit and its write), it is rebuilt
from the stored fields, which are written in the same commit as the passages.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping, NamedTuple

from .layout import MANIFEST_FILE, MANIFEST_JOURNAL, _write_text


class _Manifest:
    """``manifest.json`` and its journal: load the state a generation left, save a
    new one as a journal line of what changed, or whole once the journal would
    outgrow ``journal_share`` of the manifest."""

    def __init__(self, folder: Path, journal_share: float = 0.25) -> None:
        self.journal_share = journal_share
        self.base = folder / MANIFEST_FILE
        self.journal = folder / MANIFEST_JOURNAL
        self.saved: dict[str, _Entry] | None = None  # what the files hold, when known
        self.base_bytes = 0
        self.journal_bytes = 0
        self._base_generation = self._at = -1

    def load(self, generation: int) -> dict[str, _Entry] | None:
        """The files as of ``generation``, or None when the manifest is missing or
        describes another generation."""
        self.saved = None
        try:
            raw = self.base.read_bytes()
            data = json.loads(raw)
            files, base_generation = _manifest_files(data), data["generation"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        at, journal_bytes = base_generation, 0
        try:
            with open(self.journal, "rb") as fh:
                for line in fh:
                    record = json.loads(line)
                    if record["base"] != base_generation:
                        continue  # left by a crash before the manifest was rewritten whole
                    files.update((source, _Entry.of(entry)) for source, entry in record["files"].items())
                    for source in record["removed"]:
                        files.pop(source, None)
                    at = record["generation"]
                    journal_bytes += len(line)
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a line cut short by a crash: the generation cannot be trusted
        if at != generation:
            return None
        self.saved, self.base_bytes, self.journal_bytes = files, len(raw), journal_bytes
        self._base_generation, self._at = base_generation, at
        return dict(files)

    def save(self, files: Mapping[str, _Entry], generation: int) -> None:
        saved = self.saved
        if saved is not None:
            changed = {}
            for source, entry in files.items():
                before = saved.get(source)
                # Unchanged entries are the very objects loaded: identity settles most.
                if before is not entry and before != entry:
                    changed[source] = entry.as_dict()
            removed = [source for source in saved if source not in files]
            if not changed and not removed and generation == self._at:
                return  # nothing to say: a run that found nothing to do writes nothing
            line = json.dumps(
                {"base": self._base_generation, "generation": generation, "files": changed, "removed": removed},
                ensure_ascii=False,
            ).encode("utf-8") + b"\n"
            if self.journal_bytes + len(line) <= self.base_bytes * self.journal_share:
                with open(self.journal, "ab") as fh:
                    fh.write(line)
                    fh.flush()
                    os.fsync(fh.fileno())
                self.saved, self.journal_bytes = dict(files), self.journal_bytes + len(line)
                self._at = generation
                return
        # The journal goes first: a crash in between leaves an old manifest that does not
        # match the index, never a journal applied to the wrong manifest.
        try:
            self.journal.unlink()
        except FileNotFoundError:
            pass
        text = json.dumps({"generation": generation, **_manifest_columns(files)}, ensure_ascii=False)
        _write_text(self.base, text)
        self.saved, self.base_bytes, self.journal_bytes = dict(files), len(text), 0
        self._base_generation = self._at = generation


class _Entry(NamedTuple):
    """One corpus file's manifest entry. A tuple, not a dict per file: an update holds
    one per corpus file in the parent (and so in every forked worker); a dict, its
    doc id list and an empty problem list were 390 bytes of each."""

    digest: str = ""
    size: int = -1
    mtime_ns: int = -1
    meta: str = ""
    doc_ids: tuple[str, ...] = ()
    problems: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> "_Entry":
        """From its JSON form (a missing field: the default, which matches no file)."""
        return cls(
            entry.get("digest", ""), entry.get("size", -1), entry.get("mtime_ns", -1), entry.get("meta", ""),
            tuple(entry.get("doc_ids") or ()), tuple((p, r) for p, r in entry.get("problems") or ()),
        )

    def as_dict(self) -> dict[str, Any]:
        """Its JSON form, as ``Index.manifest`` gives it."""
        return {"digest": self.digest, "size": self.size, "mtime_ns": self.mtime_ns, "meta": self.meta,
                "doc_ids": list(self.doc_ids), "problems": [list(p) for p in self.problems]}


#: The fields written as columns (problems are written apart: few files have any).
_ENTRY_FIELDS = _Entry._fields[:-1]


def _manifest_columns(files: Mapping[str, _Entry]) -> dict[str, Any]:
    """The manifest as one list per field (and the few files with problems): JSON
    lists of plain values parse several times faster than a dict per file."""
    entries = list(files.values())
    return {
        "sources": list(files),
        "fields": {name: [getattr(e, name) for e in entries] for name in _ENTRY_FIELDS},
        "problems": {source: e.problems for source, e in files.items() if e.problems},
    }


def _manifest_files(data: Mapping[str, Any]) -> dict[str, _Entry]:
    """The entries of a manifest as written by ``_manifest_columns`` (or, before, as a
    dict per file)."""
    if "files" in data:
        return {source: _Entry.of(entry) for source, entry in data["files"].items()}
    fields, problems = data["fields"], data["problems"]
    metas: dict[str, str] = {}  # most files share one: one string, not one per file
    return {
        source: _Entry(digest, size, mtime, metas.setdefault(meta, meta), tuple(ids),
                       tuple((p, r) for p, r in problems.get(source) or ()))
        for source, digest, size, mtime, meta, ids in zip(
            data["sources"], fields["digest"], fields["size"], fields["mtime_ns"], fields["meta"], fields["doc_ids"],
            strict=True,
        )
    }


def _meta_hash(metadata: Mapping[str, Any]) -> str:
    if not metadata:
        return _NO_META
    return hashlib.sha1(json.dumps(metadata, sort_keys=True).encode("utf-8")).hexdigest()[:12]


_NO_META = hashlib.sha1(b"{}").hexdigest()[:12]


def _sidecar_by_source(sidecar: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The sidecar's entries grouped by corpus file ("file#doc_id" keys under "file"),
    so each file finds its own without a pass over all of them."""
    groups: dict[str, dict[str, Any]] = {}
    for key, value in sidecar.items():
        groups.setdefault(key.split("#")[0], {})[key] = value
    return groups


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a large, acyclic structure (the corpus
    listing, the manifest) is built or written: the collector kept rescanning it,
    a third of a one-file update of a corpus of 89,000 files."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
