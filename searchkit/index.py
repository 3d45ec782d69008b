"""Build, update and open the on-disk index: the Whoosh index plus what searchkit records.

An index folder holds the Whoosh files and two of searchkit's own:

* ``searchkit.json``: how it was built (format, schema version, index-time
  settings). A folder without it is not opened: Whoosh unpickles its files, so
  only folders searchkit built itself are trusted.
* ``manifest.json``: for each corpus file, its size, time, content hash and doc
  ids, tagged with the Whoosh generation it describes, and ``manifest.journal``,
  the changes since, one JSON line per commit (rewriting a large manifest whole
  cost a quarter of a one-file update). It is a cache: when it does not match the
  index (a crash between commit and its write), it is rebuilt from the stored
  fields, which are written in the same commit as the passages.
"""

from __future__ import annotations

import gc
import hashlib
import io
import itertools
import json
import mmap
import os
import pickle
import re
import struct
import sys
import time
import zlib
from array import array
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, NamedTuple

import whoosh.index
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import CLEAR, SegmentWriter

from . import __version__, analysis
from .errors import (
    CorpusError,
    IndexDamagedError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    SearchkitError,
)
from .models import Article, IndexReport, Passage, Skipped
from .passages import split_article
from .schema import SCHEMA_VERSION, build_schema, passage_document, passage_from_fields
from .settings import Settings

if TYPE_CHECKING:
    from .ingest import CorpusFile

__all__ = ["Index", "open_index", "create_index", "build_index", "ensure_index", "SETTINGS_FILE", "MANIFEST_FILE"]

SETTINGS_FILE = "searchkit.json"
MANIFEST_FILE = "manifest.json"
MANIFEST_JOURNAL = "manifest.journal"
#: The journal is folded into the manifest once it would outgrow this share of it.
JOURNAL_SHARE = 0.25
#: word → stem table of everything indexed, so that searching need not import NLTK.
STEMS_FILE = "stems.table"
#: The same table as earlier versions wrote it (read when there is no new one).
OLD_STEMS_FILE = "stems.json"
STEMS_FORMAT = "searchkit-stems"
#: Words per bucket of the stems table, on average.
STEMS_PER_BUCKET = 4
FORMAT = "searchkit-index"
#: Seconds a writer waits for another process's write lock by default.
LOCK_TIMEOUT = 10.0
#: The lock file Whoosh's own writers take; searchkit takes it too and writes its pid in it.
LOCK_FILE = "MAIN_WRITELOCK"
#: ``update`` commits after about this many seconds of work, so a killed run keeps its
#: progress. By time, not by files: every commit costs a segment flush and merge, which
#: a small build need not pay at all.
COMMIT_SECONDS = 60.0
#: Longest a due checkpoint waits for the next chunk to go to a worker.
CHECKPOINT_WAIT = 60.0
#: Processes that analyse and write a large update (see ``ParallelWriter``); 1 writes in this process.
WRITER_PROCS = min(2, os.cpu_count() or 1)
#: Passages the first worker writes into one segment; each next chunk is CHUNK_GROWTH
#: times larger, up to CHUNK_MAX: a small build still uses both cores, a large one
#: leaves few segments (every search pays for each segment: BBC x40 went from 210
#: segments to 43, and a query from about 45 to 19 ms).
CHUNK_PASSAGES = 1500
CHUNK_GROWTH = 2
CHUNK_MAX = 12000
#: Segments under this many passages (left by updates) are merged once there are
#: MAX_TINY_SEGMENTS of them: each search pays for every segment.
TINY_SEGMENT = 1000
MAX_TINY_SEGMENTS = 8


def _fork_context() -> Any:
    """Workers are forked: they inherit the open index and their documents. None where
    there is no fork (then one process writes). Imported here: searching never needs it."""
    import multiprocessing

    return multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None


Progress = Callable[[int, int], None]


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


def _stem_bucket(word: bytes, buckets: int) -> int:
    return zlib.crc32(word) % buckets


def _write_stems(path: Path, stemmer: str, stems: Mapping[str, str]) -> None:
    """Save a word → stem table in buckets by a hash of the word: a search looks up
    the few hundred words it meets instead of parsing the whole table (a JSON table
    of 30,000 words was 16 ms of a cold search, and grows with the vocabulary).

    Layout: a JSON line (format, stemmer, bucket count, CRC-32 of the rest), the
    buckets' end offsets as little-endian 32-bit numbers, then each bucket's
    ``word<TAB>stem<LF>`` lines.
    """
    lines: list[list[bytes]] = [[] for _ in range(max(1, len(stems) // STEMS_PER_BUCKET))]
    for word, stemmed in stems.items():
        try:
            key, value = word.encode("utf-8"), stemmed.encode("utf-8")
        except UnicodeEncodeError:
            continue  # not text a file can hold: stemmed again whenever it is met
        if b"\t" in key or b"\n" in key or b"\n" in value:
            continue
        lines[_stem_bucket(key, len(lines))].append(b"%s\t%s\n" % (key, value))
    buckets = [b"".join(bucket) for bucket in lines]
    ends = array("I", itertools.accumulate(len(bucket) for bucket in buckets))
    if sys.byteorder != "little":
        ends.byteswap()
    body = ends.tobytes() + b"".join(buckets)
    head = {"format": STEMS_FORMAT, "stemmer": stemmer, "buckets": len(buckets), "crc32": zlib.crc32(body)}
    _write_bytes(path, json.dumps(head).encode() + b"\n" + body)


class _StemTable:
    """A saved word → stem table, held as the file's bytes and read per word."""

    def __init__(self, raw: bytes) -> None:
        line_end = raw.index(b"\n")
        head = json.loads(raw[:line_end])
        if head.get("format") != STEMS_FORMAT:
            raise ValueError("not a stems table")
        if type(head.get("buckets")) is not int or type(head.get("crc32")) is not int:
            raise ValueError("stems table header damaged")
        self.stemmer = str(head["stemmer"])
        self._buckets = head["buckets"]
        self._ends_at = line_end + 1
        self._data_at = self._ends_at + 4 * self._buckets
        self._raw = raw
        # Checked whole, once: a damaged table would give wrong stems, or fail mid-search.
        if self._buckets < 1 or zlib.crc32(memoryview(raw)[self._ends_at :]) != head["crc32"]:
            raise ValueError("stems table damaged")
        if len(raw) != self._data_at + self._end(self._buckets - 1):
            raise ValueError("stems table inconsistent")

    def _end(self, bucket: int) -> int:
        return int(struct.unpack_from("<I", self._raw, self._ends_at + 4 * bucket)[0])

    def get(self, word: str) -> str | None:
        try:
            key = word.encode("utf-8")
        except UnicodeEncodeError:
            return None
        bucket = _stem_bucket(key, self._buckets)
        start = self._data_at + (self._end(bucket - 1) if bucket else 0)
        lines = b"\n" + self._raw[start : self._data_at + self._end(bucket)]
        found = lines.find(b"\n%s\t" % key)
        if found < 0:
            return None
        value = found + len(key) + 2
        try:
            return lines[value : lines.index(b"\n", value)].decode("utf-8")
        except ValueError:  # written by hand, CRC and all: the word is stemmed again
            return None

    def items(self) -> dict[str, str]:
        text = self._raw[self._data_at :].decode("utf-8")
        return dict(line.split("\t", 1) for line in text.split("\n") if line)


def _read_stems(path: Path) -> _StemTable | None:
    """The index's stems table, or None where there is none or it is damaged."""
    try:
        return _StemTable((path / STEMS_FILE).read_bytes())
    except (OSError, ValueError, KeyError, TypeError, AttributeError, struct.error, RecursionError):
        return None


class _Manifest:
    """``manifest.json`` and its journal: load the state a generation left, save a
    new one as a journal line of what changed, or whole once the journal would
    outgrow ``JOURNAL_SHARE`` of the manifest."""

    def __init__(self, folder: Path) -> None:
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
            if self.journal_bytes + len(line) <= self.base_bytes * JOURNAL_SHARE:
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


def _is_empty_folder(path: Path) -> bool:
    return path.is_dir() and all(p.name.startswith(".") or p.name == LOCK_FILE for p in path.iterdir())


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # there os.kill(pid, 0) would terminate the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _lock_holder(path: Path) -> str:
    """Who holds the write lock, as the holder wrote it into the lock file."""
    try:
        pid = int((path / LOCK_FILE).read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return "pid unknown"
    if not _pid_alive(pid):
        return f"pid {pid}, no longer running: a process it started may still hold the lock"
    return f"pid {pid}"


@contextmanager
def write_lock(path: str | os.PathLike[str], timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the index's write lock, waiting up to ``timeout`` seconds for another writer.

    The lock is an operating-system file lock (the one Whoosh's writers take), so a
    process that dies, even by SIGKILL, releases it: a stale lock cannot outlive its
    holder. The holder's pid is written into the lock file for the message others see;
    a pid left there by a dead process is simply overwritten.
    """
    path = Path(path)
    lock = FileStorage(str(path)).lock(LOCK_FILE)
    deadline = time.monotonic() + max(0.0, timeout)
    while not lock.acquire():
        left = deadline - time.monotonic()
        if left <= 0:
            raise IndexLockedError(
                f"the index at {path} is being updated by another process ({_lock_holder(path)}); "
                f"waited {timeout:g} s: try again when it has finished, or pass a longer --lock-timeout"
            )
        time.sleep(min(0.1, left))
    try:
        fd = getattr(lock, "fd", None)
        if fd is not None:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        _settle(path)
        yield
    finally:
        lock.release()


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


def _merge_tiny(writer: Any, segments: list[Any]) -> list[Any]:
    """Whoosh merge policy: merge the segments under ``TINY_SEGMENT`` passages once
    there are ``MAX_TINY_SEGMENTS`` of them, and any segment that is mostly deleted
    passages; drop the segments with none left; leave the others alone.

    Whoosh's default policy merged 18 segments (300,000 passages) when one article
    changed in a BBC x40 index: 130 s, in pure Python, for a one-file update. An
    update writes a segment of a few passages instead; the tiny ones are merged
    now and then, which is cheap, so searches never face many of them. Deleted
    passages still count in BM25's statistics until their segment is rewritten.
    """
    from whoosh.reading import SegmentReader

    live = [seg for seg in segments if seg.doc_count() > 0]
    tiny = [seg for seg in live if seg.doc_count_all() < TINY_SEGMENT]
    hollow = [seg for seg in live if seg.doc_count_all() >= TINY_SEGMENT and seg.deleted_count() * 2 > seg.doc_count_all()]
    merged = (tiny if len(tiny) >= MAX_TINY_SEGMENTS else []) + hollow
    for seg in merged:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [seg for seg in live if seg not in merged]


class _TermPool:
    """Whoosh's posting pool for one chunk, grouped by term as postings come.

    Documents arrive in order, so each term's postings are already sorted: a flush
    sorts the distinct terms, not every posting, and yields what Whoosh's sorting
    pool yields (weights as floats, as Whoosh writes them). Held in memory, so only
    for bounded chunks, and compactly: a term's postings are records in one
    bytearray, 8 bytes of document number, weight and value length (20 where the
    weight is not a small whole number), then the value.
    A bytes object and a list slot per posting took twice the memory (a chunk of
    12,000 passages holds about two million postings).
    """

    def __init__(self) -> None:
        self._terms: dict[tuple[str, bytes], bytearray] = {}
        self._last = -1
        self._ordered = True

    def add(self, item: tuple[Any, ...]) -> None:
        self.add_posting((item[0], item[1]), item[2], item[3], item[4])

    def add_posting(self, key: tuple[str, bytes], docnum: int, weight: float, value: bytes) -> None:
        if docnum < self._last:
            self._ordered = False
        self._last = docnum
        records = self._terms.get(key)
        if records is None:
            records = self._terms[key] = bytearray()
        size = len(value)
        # Weights are frequencies: a whole number fits the short record. 0xFFFF (never
        # a short weight) marks a long one, with the exact float and a full length.
        if 0 < weight < _LONG_RECORD and size < _LONG_RECORD:
            whole = int(weight)
            if whole == weight:
                records += _pack_short(docnum, whole, size)
                records += value
                return
        records += _pack_short(docnum, _LONG_RECORD, 0)
        records += _LONG.pack(weight, size)
        records += value

    def iter_postings(self) -> Iterator[tuple[Any, ...]]:
        for key in sorted(self._terms):
            fieldname, text = key
            records = _records(bytes(self._terms.pop(key)))  # freed as it is written
            for docnum, weight, value in records if self._ordered else sorted(records):
                yield fieldname, text, docnum, weight, value

    def cleanup(self) -> None:
        self._terms = {}


_SHORT = struct.Struct("<IHH")  # document number, whole weight, value length
_LONG = struct.Struct("<dI")  # after a short record whose weight is _LONG_RECORD
_LONG_RECORD = 0xFFFF
_pack_short = _SHORT.pack


def _records(data: bytes) -> Iterator[tuple[int, float, bytes]]:
    """The (docnum, weight, value) records ``_TermPool.add_posting`` wrote into ``data``."""
    short, long = _SHORT.unpack_from, _LONG.unpack_from
    at, end = 0, len(data)
    while at < end:
        docnum, weight, size = short(data, at)
        at += 8
        if weight == _LONG_RECORD:
            weight, size = long(data, at)
            at += 12
        yield docnum, float(weight), data[at : at + size]
        at += size


class _FastWriter(SegmentWriter):
    """Whoosh's segment writer, with searchkit's English fields analysed without
    Whoosh's token objects: the same postings, field lengths and stored values.

    ``content`` (title and text joined) reuses the stems of ``title`` and ``text``:
    a token never spans the line break between them. Fields with another analyzer
    (an index built before ``EnglishFilter``) and boosted documents take Whoosh's path.
    """

    def __init__(self, ix: Any, stemmer: str, term_pool: bool = False, **options: Any) -> None:
        super().__init__(ix, **options)
        self._stemmer = stemmer
        self._fast: dict[str, bool] = {}  # field name -> has positions
        for name, field in self.schema.items():
            fmt = field.format
            if (
                field.indexed
                and type(fmt) in (Positions, Frequency)
                and fmt.field_boost == 1.0
                and not field.vector
                and not field.separate_spelling()
                and analysis.is_english(field.analyzer, stemmer)
            ):
                self._fast[name] = type(fmt) is Positions
        if any(field.vector or field.separate_spelling() for _, field in self.schema.items()):
            self._fast = {}  # not in searchkit's schema: Whoosh's path handles them
        #: field -> docnum -> field length as stored (a byte), for the flush; None: read them back.
        self._lengths: dict[str, dict[int, int]] | None = None
        if term_pool:
            self.pool.cleanup()
            self.pool = _TermPool()
            self._lengths = {name: {} for name in self._fast}

    def _flush_segment(self) -> None:
        # Whoosh reads every posting's field length back from the segment's length
        # column; the lengths of fast fields are known, as they will read back.
        if self._lengths is None or not self.codec.length_stats:
            return super()._flush_segment()
        self.perdocwriter.close()
        pdr = self.per_document_reader()
        known = self._lengths

        class Lengths:
            def doc_field_length_reader(self, fieldname: str, default: int = 0) -> Callable[[int], Any]:
                table = known.get(fieldname)
                return pdr.doc_field_length_reader(fieldname, default) if table is None else table.get

        try:
            self.fieldwriter.add_postings(self.schema, Lengths(), self.pool.iter_postings())
            self.fieldwriter.close()
        finally:
            pdr.close()

    def add_document(self, **fields: Any) -> None:
        fast = self._fast
        if not fast or any(name.startswith("_") for name in fields):
            return super().add_document(**fields)
        self._check_state()
        perdocwriter, schema, docnum = self.perdocwriter, self.schema, self.docnum
        pool = self.pool
        if isinstance(pool, _TermPool):
            post = pool.add_posting
        else:

            def post(key: tuple[str, bytes], docnum: int, weight: float, value: bytes) -> None:
                pool.add((key[0], key[1], docnum, weight, value))

        fieldnames = sorted(fields)
        self._check_fields(schema, fieldnames)
        stemmer = self._stemmer
        memo: dict[str, list[str]] = {}

        def stems_of(value: str) -> list[str]:
            found = memo.get(value)
            if found is None:
                found = memo[value] = analysis.index_stems(value, stemmer)
            return found

        title, text = fields.get("title"), fields.get("text")
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                positions = fast.get(fieldname)
                if positions is not None and isinstance(value, str):
                    if (
                        isinstance(title, str)
                        and isinstance(text, str)
                        and len(value) == len(title) + len(text) + 1
                        and value == f"{title}\n{text}"
                    ):
                        stems = stems_of(title) + stems_of(text)
                    else:
                        stems = stems_of(value)
                    if positions:
                        poses: dict[str, list[int]] = {}
                        for pos, word in enumerate(stems):
                            found = poses.get(word)
                            if found is None:
                                poses[word] = [pos]
                            else:
                                found.append(pos)
                        for word, poslist in poses.items():
                            post((fieldname, word.encode("utf-8")), docnum, float(len(poslist)), _encode_positions(poslist))
                    else:
                        counts: dict[str, int] = {}
                        for word in stems:
                            counts[word] = counts.get(word, 0) + 1
                        for word, freq in counts.items():
                            post((fieldname, word.encode("utf-8")), docnum, float(freq), _packed(freq))
                    if field.scorable:
                        length = len(stems)
                        if self._lengths is not None and length_to_byte(length):
                            self._lengths[fieldname][docnum] = byte_to_length(length_to_byte(length))
                elif field.indexed:
                    for tbytes, freq, weight, vbytes in field.index(value):
                        if field.scorable:
                            length += freq
                        post((fieldname, tbytes), docnum, weight * 1.0, vbytes)
                perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(value))
        except ValueError:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1


_PACKED: dict[int, bytes] = {}


def _packed(freq: int) -> bytes:
    found = _PACKED.get(freq)
    if found is None:
        found = _PACKED[freq] = pack_uint(freq)
    return found


def _encode_positions(poslist: list[int]) -> bytes:
    """What ``whoosh.formats.Positions.encode`` makes of ``poslist``."""
    deltas, base = [], 0
    for pos in poslist:
        deltas.append(pos - base)
        base = pos
    return pack_uint(len(deltas)) + pickle.dumps(deltas, 2)


def _index_chunk(ix: Any, options: dict[str, Any], docs: list[dict[str, Any]], conn: Any, stemmer: str) -> None:
    """In a forked worker: write ``docs`` into a segment of their own; send it back with new stems."""
    known = analysis.known_stems(stemmer)
    before = set(known)
    writer = _FastWriter(ix, stemmer, term_pool=True, **options)
    for n, fields in enumerate(docs):
        # Dropped as written: the pool reuses their memory rather than growing beside them.
        docs[n] = None  # type: ignore[call-overload]
        writer.add_document(**fields)
    segment = writer._finalize_segment()  # its pool files are gone; the shared temp folder stays for the parent
    conn.send((segment, {word: known[word] for word in known.keys() - before}))
    conn.close()


class ParallelWriter:
    """A Whoosh writer that analyses and writes on all cores, with the scores of one.

    Added documents are buffered; each full chunk goes to a forked worker that
    writes it into a segment of its own while this process reads on. At commit this
    process indexes the rest itself, and the segments are listed in the order their
    documents came, so document numbers (which break ties between equal scores)
    follow the corpus order. BM25 statistics are summed over segments when
    searching, so scores are those of a one-process build; Whoosh's own
    ``procs=N`` into one segment re-sums lossy one-byte field lengths and drifts
    them. Deletions go through this process's writer, as do updates too small to
    fill a chunk (no worker is started for them).
    """

    def __init__(self, ix: Any, stemmer: str, context: Any, procs: int, chunk: int, options: dict[str, Any]) -> None:
        self._ix, self._stemmer, self._procs, self._chunk, self._options = ix, stemmer, procs, chunk, options
        self._context = context
        self._base = _FastWriter(ix, stemmer, **options)
        self._buffer: list[dict[str, Any]] = []
        self._jobs: list[tuple[Any, Any]] = []
        self._segments: list[Any] = []
        # Started past the first chunk size: it goes on with a long build after a checkpoint,
        # so its rest is worth the workers even before a chunk of its own has filled.
        self._continues = chunk > CHUNK_PASSAGES

    @property
    def is_closed(self) -> bool:
        return bool(self._base.is_closed)

    @property
    def chunk(self) -> int:
        """Passages the next chunk will hold."""
        return self._chunk

    @property
    def chunks(self) -> int:
        """Chunks handed to workers so far (each is a job or, once collected, a segment)."""
        return len(self._jobs) + len(self._segments)

    def delete_by_term(self, fieldname: str, text: str) -> int:
        return int(self._base.delete_by_term(fieldname, text))

    def add_document(self, **fields: Any) -> None:
        self._buffer.append(fields)
        if len(self._buffer) >= self._chunk:
            self._dispatch(self._buffer)
            self._buffer = []
            self._chunk = min(self._chunk * CHUNK_GROWTH, max(CHUNK_MAX, self._chunk))

    def _dispatch(self, docs: list[dict[str, Any]]) -> None:
        while len(self._jobs) >= self._procs:
            self._collect()
        recv, send = self._context.Pipe(duplex=False)
        worker = self._context.Process(
            target=_index_chunk, args=(self._ix, self._options, docs, send, self._stemmer), daemon=True
        )
        worker.start()
        send.close()
        self._jobs.append((worker, recv))

    def _collect(self) -> None:
        worker, recv = self._jobs.pop(0)
        try:
            segment, stems = recv.recv()
        except EOFError:
            worker.join()
            raise OSError(f"an indexing worker process stopped (exit code {worker.exitcode})") from None
        worker.join()
        analysis.seed_stems(self._stemmer, stems)
        self._segments.append(segment)

    def commit(self) -> None:
        base = self._base
        try:
            rest, self._buffer = self._buffer, []
            if (self._jobs or self._segments or self._continues) and len(rest) >= CHUNK_PASSAGES:
                # A large rest (chunks grow) is shared out too, rather than written here alone.
                size = -(-len(rest) // self._procs)
                for start in range(0, len(rest), size):
                    self._dispatch(rest[start : start + size])
                rest.clear()  # the workers have their copies: free these while waiting for them
            else:
                for fields in rest:  # the rest, while the workers finish
                    base.add_document(**fields)
            while self._jobs:
                self._collect()
            if not self._segments:
                base.commit()
                return
            # What SegmentWriter.commit does, with the workers' segments listed before this one's.
            segments = base._merge_segments(None, None, None) + self._segments
            if base._added:
                segments.append(base._finalize_segment())
            else:
                base._close_segment()
            base._commit_toc(segments)
            base._finish()
        except BaseException:
            self.cancel()
            raise

    def cancel(self) -> None:
        for worker, recv in self._jobs:
            worker.kill()
            worker.join()
            recv.close()
        self._jobs, self._buffer = [], []
        if not self._base.is_closed:
            self._base.cancel()


class Index:
    """An open searchkit index folder. Safe to share between threads."""

    def __init__(self, path: Path, ix: Any, settings: Settings) -> None:
        self.path = path
        self.settings = settings
        self._ix = ix
        self._manifest = _Manifest(path)
        #: Words in the stem cache when it was last the same as the saved table (-1: unknown).
        self._saved_stems = -1

    def __repr__(self) -> str:
        return f"Index({str(self.path)!r})"

    @property
    def whoosh(self) -> Any:
        """The underlying Whoosh index (for the search layer)."""
        return self._ix

    def passage_count(self) -> int:
        # From the table of contents: a reader would open every segment's term table.
        return sum(segment.doc_count() for segment in self._ix._segments())

    def close(self) -> None:
        self._ix.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -----------------------------------------------------------------

    def _writer(self, chunk: int | None = None) -> Any:
        # The caller holds write_lock(); Whoosh's own lock is the same file and would wait on it.
        options = {"_lk": False, "limitmb": 256, "compound": False}
        context = _fork_context() if WRITER_PROCS > 1 else None
        if context is not None:
            writer = ParallelWriter(self._ix, self.settings.analyzer_name, context, WRITER_PROCS, chunk or CHUNK_PASSAGES, options)
        else:
            writer = _FastWriter(self._ix, self.settings.analyzer_name, **options)
        getattr(writer, "_base", writer).mergetype = _merge_tiny  # a ParallelWriter commits through its base
        return writer

    def manifest(self) -> dict[str, dict[str, Any]]:
        """For each indexed corpus file (``source``): its size, time, hash and doc ids."""
        # Read apart from the copy an update keeps: this runs without the write lock.
        return {source: entry.as_dict() for source, entry in self._load_manifest(_Manifest(self.path)).items()}

    def stored_passages(self, source: str) -> list[Passage]:
        """The passages stored for one corpus file, as indexed."""
        with self._ix.searcher() as searcher:
            return [passage_from_fields(f) for f in searcher.documents(source=source)]

    def _load_manifest(self, store: _Manifest | None = None) -> dict[str, _Entry]:
        files = (store or self._manifest).load(self._ix.latest_generation())
        return self._manifest_from_index() if files is None else files

    def _manifest_from_index(self) -> dict[str, _Entry]:
        files: dict[str, dict[str, Any]] = {}
        with self._ix.reader() as reader:
            for fields in reader.all_stored_fields():
                digest, _, meta = (fields.get("file_digest") or "").partition(" ")
                entry = files.setdefault(
                    fields["source"],
                    {"digest": digest, "meta": meta, "size": -1, "mtime_ns": -1, "doc_ids": []},
                )
                if fields["doc_id"] not in entry["doc_ids"]:
                    entry["doc_ids"].append(fields["doc_id"])
        return {source: _Entry.of(entry) for source, entry in files.items()}

    def _save_stems(self) -> None:
        # A cache like the manifest: a missing or stale table only costs an NLTK import.
        stemmer = self.settings.analyzer_name
        known = analysis.known_stems(stemmer)
        if len(known) == self._saved_stems:
            return  # no word stemmed since the table was read: it holds them all (writing: 50-80 ms)
        _write_stems(self.path / STEMS_FILE, stemmer, known)
        (self.path / OLD_STEMS_FILE).unlink(missing_ok=True)  # replaced by the table above
        self._saved_stems = len(known)

    def _seed_stems(self) -> None:
        """Before writing: every saved stem in memory, so that workers (forked with
        it) stem no word twice, and the table saved after holds the old words too."""
        self._saved_stems = -1
        table = _read_stems(self.path)
        if table is not None and table.stemmer == self.settings.analyzer_name:
            try:
                saved = table.items()
            except ValueError:  # a table that passed the checks but cannot be read: stem again
                return
            analysis.seed_stems(table.stemmer, saved)
            known = analysis.known_stems(table.stemmer)
            # The cache only grows: if it is the table now, the same size later means no new word.
            if len(known) == len(saved):
                self._saved_stems = len(known)

    def _save_manifest(self, files: Mapping[str, _Entry]) -> None:
        with _gc_paused():
            self._manifest.save(files, self._ix.latest_generation())

    def update(
        self,
        corpus: str | os.PathLike[str],
        *,
        lock_timeout: float = LOCK_TIMEOUT,
        progress: Progress | None = None,
        commit_every: int | None = None,
        reindex: Iterable[str] = (),
    ) -> IndexReport:
        """Bring the index up to date with ``corpus``: add new files, re-index changed
        ones, remove deleted ones, leave unchanged ones alone.

        A file that cannot be read is reported in ``IndexReport.skipped``; whatever the
        index held for it before is kept. Waits up to ``lock_timeout`` seconds for
        another writer. Commits after about ``COMMIT_SECONDS`` of work, once the next
        chunk has gone to a worker (at most ``CHECKPOINT_WAIT`` later), or after every
        ``commit_every`` changed files when given, so a run that is killed keeps what
        it did and the next run carries on. Sources named in ``reindex`` are read
        again even if they look unchanged.
        """
        with write_lock(self.path, lock_timeout):
            return self._update(corpus, progress=progress, commit_every=commit_every, reindex=set(reindex))

    def _update(
        self,
        corpus: str | os.PathLike[str],
        *,
        progress: Progress | None,
        commit_every: int | None,
        reindex: set[str],
        fresh: bool = False,
    ) -> IndexReport:
        # Imported here so that opening an index to search never loads the ingesters.
        from .ingest import list_files, load_metadata, read_file, unmatched_metadata

        began = time.perf_counter()
        corpus = Path(corpus)
        with _gc_paused():
            files, problems = list_files(corpus)
        sidecar, sidecar_problems = load_metadata(corpus)
        by_source = _sidecar_by_source(sidecar)
        skipped: list[Skipped] = [*problems, *sidecar_problems, *unmatched_metadata(sidecar, files)]
        warnings: list[Skipped] = []
        self._seed_stems()
        writer = self._writer()
        pending = 0  # files changed since the last commit
        every = sys.maxsize if commit_every is None else commit_every
        checkpoint_at = time.monotonic() + COMMIT_SECONDS if commit_every is None else float("inf")
        if fresh:  # a rebuild: one commit that replaces every old segment, or nothing
            every, checkpoint_at = sys.maxsize, float("inf")
            getattr(writer, "_base", writer).mergetype = CLEAR  # a ParallelWriter commits through its base
        froze = False
        try:
            if fresh:
                self._manifest.saved = None  # nothing of the old manifest carries over
            with _gc_paused():
                manifest = {} if fresh else self._load_manifest()
                owners = {d: s for s, e in manifest.items() for d in e.doc_ids}
            # The listing and the manifest live until the end: keep the collector off them.
            # Not where the host froze objects itself: unfreeze() would thaw its objects too.
            froze = gc.get_freeze_count() == 0
            if froze:
                gc.freeze()
            new_manifest: dict[str, _Entry] = {}
            added: list[str] = []
            updated: list[str] = []
            unchanged: list[str] = []
            for done, file in enumerate(files, 1):
                if progress:
                    progress(done, len(files))
                old = manifest.get(file.source)
                meta = by_source.get(file.source)
                meta_key = _meta_hash(meta) if meta else _NO_META
                if (
                    old
                    and old.size == file.size
                    and old.mtime_ns == file.mtime_ns
                    and old.meta == meta_key
                    and file.source not in reindex
                ):
                    unchanged.append(file.source)
                    new_manifest[file.source] = old
                    if old.problems:  # what could not be indexed last time still cannot: say so again
                        skipped.extend(Skipped(p, r) for p, r in old.problems)
                    continue
                try:
                    read = read_file(file, sidecar)
                except Exception as exc:  # one hostile file must not stop the run
                    reason = str(exc).split(": ", 1)[-1] if isinstance(exc, CorpusError) else (
                        f"cannot be read ({type(exc).__name__}: {exc}); fix or remove it"
                    )
                    skipped.append(Skipped(file.source, reason))
                    if old:
                        new_manifest[file.source] = old
                    continue
                if (
                    old
                    and file.source not in reindex
                    and old.digest == read.digest
                    and old.meta == meta_key
                ):
                    unchanged.append(file.source)
                    new_manifest[file.source] = old._replace(size=file.size, mtime_ns=file.mtime_ns)
                    continue
                before = len(skipped)
                if old:
                    writer.delete_by_term("source", file.source)
                    for doc_id in old.doc_ids:
                        owners.pop(doc_id, None)
                parallel = isinstance(writer, ParallelWriter)
                chunks_before = writer.chunks if parallel else -1
                doc_ids = self._add_articles(writer, read.articles, f"{read.digest} {meta_key}", owners, skipped)
                # After the articles: a streamed file reports its bad lines as it is read.
                skipped.extend(read.skipped)
                warnings.extend(read.warnings)
                # Lines refused here (an id another file holds) are reported already: the file
                # was not empty, so "no text left" would be untrue.
                if not doc_ids and not read.skipped and len(skipped) == before:
                    warnings.append(Skipped(file.source, "no text left to index (empty, or all site chrome)"))
                (updated if old else added).append(file.source)
                new_manifest[file.source] = _Entry(
                    read.digest, file.size, file.mtime_ns, meta_key, tuple(doc_ids),
                    tuple((p.path, p.reason) for p in skipped[before:]),
                )
                pending += 1
                # A checkpoint: what is done so far survives a kill. A timed one waits (up
                # to CHECKPOINT_WAIT) until a chunk has just gone to a worker, so the
                # commit has little left to write: passages still buffered become small
                # segments of their own, which every search then pays for.
                now = time.monotonic()
                at_chunk = not parallel or writer.chunks != chunks_before
                if pending >= every or (
                    pending and now >= checkpoint_at and (at_chunk or now >= checkpoint_at + CHECKPOINT_WAIT)
                ):
                    writer.commit()
                    self._save_manifest({**manifest, **new_manifest})
                    # Chunks go on at the size reached: starting again at the smallest
                    # after every checkpoint left a trail of small segments to search.
                    writer, pending = self._writer(writer.chunk if parallel else None), 0
                    if commit_every is None:
                        checkpoint_at = time.monotonic() + COMMIT_SECONDS
            unreadable = [p.path for p in problems]
            removed = []
            for source, entry in manifest.items():
                if source in new_manifest:  # every listed file with an old entry has a new one
                    continue
                if any(source == u or source.startswith(u.rstrip("/") + "/") for u in unreadable):
                    new_manifest[source] = entry  # its folder could not be read: keep it
                    continue
                writer.delete_by_term("source", source)
                removed.append(source)
            if pending or removed or fresh:
                writer.commit()
            else:
                writer.cancel()
            if fresh:
                _settle(self.path)
            if added or updated or removed:
                self._save_stems()
            self._save_manifest(new_manifest)
        except BaseException:
            if not writer.is_closed:
                writer.cancel()
            raise
        finally:
            if froze:
                gc.unfreeze()
        return IndexReport(
            added=tuple(added),
            updated=tuple(updated),
            removed=tuple(removed),
            unchanged=tuple(unchanged),
            skipped=tuple(skipped),
            warnings=tuple(warnings),
            passages=self.passage_count(),
            seconds=time.perf_counter() - began,
        )

    def _add_articles(
        self,
        writer: Any,
        articles: Iterable[Article],
        digest: str,
        owners: dict[str, str],
        skipped: list[Skipped],
    ) -> list[str]:
        doc_ids: list[str] = []
        for article in articles:
            owner = owners.get(article.doc_id)
            if owner is not None:
                skipped.append(
                    Skipped(
                        f"{article.source}#{article.doc_id}" if article.source.endswith(".jsonl") else article.source,
                        f"doc_id {article.doc_id!r} is already used by {owner}; give it another name or id",
                    )
                )
                continue
            owners[article.doc_id] = article.source
            doc_ids.append(article.doc_id)
            for passage in split_article(article, self.settings):
                writer.add_document(**passage_document(passage, digest))
        return doc_ids

    def add_articles(self, articles: Iterable[Article], *, lock_timeout: float = LOCK_TIMEOUT) -> int:
        """Index articles given in memory (for evaluation and embedding); returns passages added.

        Articles are replaced by ``doc_id``; the corpus manifest is not involved.
        """
        with write_lock(self.path, lock_timeout):
            self._seed_stems()
            writer = self._writer()
            count = 0
            try:
                for article in articles:
                    writer.delete_by_term("doc_id", article.doc_id)
                    for passage in split_article(article, self.settings):
                        writer.add_document(**passage_document(passage, ""))
                        count += 1
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            self._save_stems()
        return count


def file_state(file: CorpusFile, old: Mapping[str, Any] | None, sidecar: Mapping[str, Any]) -> str:
    """How ``file`` compares with its manifest entry ``old``: "added", "changed" or
    "unchanged" (the test ``update`` applies). Raises ``CorpusError`` when the file
    cannot be indexed at all."""
    from .ingest import probe_file

    meta_key = _meta_hash({k: v for k, v in sidecar.items() if k.split("#")[0] == file.source})
    if old is None:
        probe_file(file)
        return "added"
    if old.get("meta") != meta_key:
        return "changed"
    if old.get("size") == file.size and old.get("mtime_ns") == file.mtime_ns:
        return "unchanged"
    return "unchanged" if probe_file(file) == old.get("digest") else "changed"


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
        if path.is_dir() and any(path.iterdir()):  # "build one here" would be untrue: it is refused
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


class _FileIndex(whoosh.index.FileIndex):
    """Whoosh's index, with its table of contents read as its readers are: Whoosh finds
    the latest generation's file name, then opens it, and a commit in between deletes
    it. Its ``reader()`` retries for that; ``schema`` and opening did not."""

    def _read_toc(self) -> Any:
        return _retrying(super()._read_toc)


def _retrying(read: Callable[[], Any]) -> Any:
    for attempt in range(20):
        try:
            return read()
        except FileNotFoundError:
            if attempt == 19:
                raise
            time.sleep(0.01)


class _MappedFile(StructFile):
    """An index file opened for reading, mapped into memory: a read is a slice of the
    map, not a seek and a read call on a buffered file (term lookups and posting
    blocks do several per word and segment of every search)."""

    def __init__(self, path: str, name: str, **kwargs: Any) -> None:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else None
        super().__init__(self._map if self._map is not None else io.BytesIO(b""), name=name, **kwargs)

    def get(self, position: int, length: int) -> bytes:
        if self._map is None:
            return b""
        return self._map[position : position + length]


class _Storage(FileStorage):
    """Whoosh's file storage, reading through memory maps."""

    def open_file(self, name: str, **kwargs: Any) -> Any:
        return _MappedFile(self._fpath(name), name, **kwargs)


def _open_whoosh(path: Path, schema: Any = None) -> Any:
    """The Whoosh index in ``path`` (``schema`` replaces the pickled one, for a rebuild)."""
    return _retrying(lambda: _FileIndex(_Storage(str(path)), schema=schema))


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
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "searchkit_version": __version__,
        "settings": settings.index_time(),
    }


def _start_rebuild(path: Path, settings: Settings) -> Index | None:
    """Get ready to replace the index in ``path`` in one commit; the caller holds its lock.

    Nothing changes on disk but a note in the settings file: the new settings hold
    from the next generation, the previous ones until then. Readers and a crash see
    the old index until the commit (``Index._update`` with ``fresh=True``), then the
    new one whole. None when the old index cannot be opened (a damaged settings file
    or table of contents): there is no old index left to keep serving meanwhile.
    """
    try:
        previous = {k: v for k, v in _read_settings_file(path).items() if k != "format"}
        # Writers of this index (and forked workers) take the new schema, not the pickled one.
        ix = _open_whoosh(path, build_schema(settings))
    except IndexDamagedError:
        return None
    except SearchkitError:
        raise
    except Exception:  # Whoosh raises many kinds for a damaged table of contents
        return None
    record = _settings_record(settings)
    record["rebuilding"] = {"generation": _generation(path) + 1, "previous": previous}
    _write_json(path / SETTINGS_FILE, record)
    return Index(path, ix, settings)


def open_index(path: str | os.PathLike[str] = "index", settings: Settings | None = None) -> Index:
    """Open an index that searchkit built.

    With ``settings``, their index-time part must match what the index was built
    with; otherwise ``IndexMismatchError`` says how to rebuild. Without, the
    recorded settings are used.
    """
    path = Path(path)
    data = _read_settings_file(path)
    if data.get("schema_version") != SCHEMA_VERSION:
        raise IndexMismatchError(
            f"the index at {path} has schema version {data.get('schema_version')}, this searchkit "
            f"uses {SCHEMA_VERSION}; rebuild it: searchkit index --rebuild --index {path}"
        )
    # Settings added later are recorded by newer builds only: a missing one had its default.
    recorded = Settings.from_dict(dict(data.get("settings") or {})).index_time()
    if settings is None:
        settings = Settings.from_dict(recorded)
    elif settings.index_time() != recorded:
        diff = ", ".join(
            f"{k}={recorded.get(k)!r} (asked {v!r})" for k, v in settings.index_time().items() if recorded.get(k) != v
        )
        raise IndexMismatchError(
            f"the index at {path} was built with other settings: {diff}; "
            f"rebuild it: searchkit index --rebuild --index {path}"
        )
    else:
        settings = settings
    try:
        ix = _open_whoosh(path)
    except Exception as exc:  # Whoosh raises many kinds for a damaged folder
        generation = _generation(path)
        if generation < 0:  # no table of contents at all: a first build that never committed
            raise IndexNotFoundError(
                f"the index at {path} cannot be opened ({type(exc).__name__}); "
                f"rebuild it: searchkit index --rebuild --index {path}"
            ) from None
        raise IndexDamagedError(
            path, f"its table of contents cannot be read: {type(exc).__name__}", _toc_name(generation)
        ) from None
    _load_stems(path, settings.analyzer_name)
    return Index(path, ix, settings)


def _load_stems(path: Path, stemmer: str) -> None:
    table = _read_stems(path)
    if table is not None:
        if table.stemmer == stemmer:
            analysis.use_stem_table(stemmer, str(path.resolve()), table.get)
        return
    try:  # the table as earlier versions saved it, read whole
        data = json.loads((path / OLD_STEMS_FILE).read_text(encoding="utf-8"))
        if data.get("stemmer") == stemmer:
            analysis.seed_stems(stemmer, data["stems"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # no table: words are stemmed with NLTK as they come


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
    r"|_MAIN_\d+\.toc|MAIN_[a-z0-9]+(_\d+)?\.[A-Za-z0-9_.]+|\..*)"
)


def _is_index_file(name: str) -> bool:
    return _INDEX_FILE.fullmatch(name) is not None


def create_index(
    path: str | os.PathLike[str] = "index",
    settings: Settings | None = None,
    *,
    lock_timeout: float = LOCK_TIMEOUT,
) -> Index:
    """Create an empty index in ``path`` (a new or empty folder, or a searchkit index to replace).

    Waits up to ``lock_timeout`` seconds for a process that is writing the index.
    """
    path = Path(path)
    _prepare_folder(path)
    with write_lock(path, lock_timeout):
        return _create_locked(path, settings or Settings())


def _create_locked(path: Path, settings: Settings) -> Index:
    """Start an empty index in ``path``; the caller holds its write lock.

    An existing index is replaced without a moment in which the folder holds no
    index: an empty table of contents is written as the next generation (readers
    and a crash see the old index or the empty one), and Whoosh deletes the old
    segments at the next commit. Generations only grow, so an old manifest is
    never taken for the new index's.
    """
    recorded = _settings_record(settings)
    storage = FileStorage(str(path))
    # From the file names, not by opening the index: its table of contents may be damaged.
    generation = _generation(path)
    if generation >= 0:
        whoosh.index.TOC(build_schema(settings), [], generation + 1).write(storage, whoosh.index._DEF_INDEX_NAME)
        ix = _open_whoosh(path)
        _write_json(path / SETTINGS_FILE, recorded)
    else:
        # The settings file first: Whoosh files without it would be refused as foreign.
        _write_json(path / SETTINGS_FILE, recorded)
        whoosh.index.create_in(str(path), build_schema(settings))
        ix = _open_whoosh(path)
    return Index(path, ix, settings)


def _has_index(path: Path) -> bool:
    """Whether ``path`` holds a complete searchkit index (a killed first build may leave
    the settings file alone)."""
    return (path / SETTINGS_FILE).exists() and any(path.glob(f"_{whoosh.index._DEF_INDEX_NAME}_*.toc"))


def build_index(
    corpus: str | os.PathLike[str] = "corpus",
    index: str | os.PathLike[str] = "index",
    settings: Settings | None = None,
    *,
    rebuild: bool = False,
    lock_timeout: float = LOCK_TIMEOUT,
    progress: Progress | None = None,
    commit_every: int | None = None,
    reindex: Iterable[str] = (),
) -> IndexReport:
    """Build the index for ``corpus`` in ``index``, or bring an existing one up to date.

    ``rebuild=True`` starts from an empty index (needed after changing index-time
    settings) in a single commit: readers, and a run that is killed, see the old
    index until the new one is complete. One process writes at a time: this waits up to ``lock_timeout``
    seconds, then raises ``IndexLockedError``. See ``Index.update`` for
    ``commit_every`` and ``reindex``. This is what ``searchkit index`` runs.
    """
    path = Path(index)
    if not Path(corpus).is_dir():
        from .ingest import list_files

        list_files(corpus)  # raises the CorpusError that names the problem
    if rebuild or not _has_index(path):
        _prepare_folder(path)
    with write_lock(path, lock_timeout):
        # Decided under the lock: another process may have built the index meanwhile.
        fresh = rebuild and _has_index(path)
        ix = _start_rebuild(path, settings or Settings()) if fresh else None
        if ix is None and (fresh or not _has_index(path)):
            # A rebuild over an index that cannot be opened starts from an empty one:
            # readers see it fill as it commits, not the old one until the end.
            fresh = False
            ix = _create_locked(path, settings or Settings())
        elif ix is None:
            ix = open_index(path, settings)
        with ix:
            return ix._update(corpus, progress=progress, commit_every=commit_every, reindex=set(reindex), fresh=fresh)


def ensure_index(
    index: str | os.PathLike[str] = "index", corpus: str | os.PathLike[str] | None = None
) -> Index:
    """Open the index, building it from ``corpus`` first when there is none yet."""
    path = Path(index)
    if corpus is not None and not _has_index(path):
        build_index(corpus, path)
    return open_index(path)
