"""Writing segments: searchkit's fast segment writer (the same files as Whoosh's,
analysed without token objects), its posting pool, the merge policy, and giving
up a write cleanly."""

from __future__ import annotations

import errno
import pickle
import struct
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from .. import analysis
from ..errors import (
    IndexWriteError,
)
from .layout import clear_leftovers


def _abandon(writer: Any, path: Path) -> None:
    """Give up a write: stop its workers, and remove what it wrote (the caller holds the
    lock), so a failure or an interrupt leaves the last commit and nothing else."""
    try:
        if not writer.is_closed:
            writer.cancel()
    except Exception:  # cancelling flushes, and fails again on a full disk: the files go anyway
        pass
    clear_leftovers(path)


@contextmanager
def committed(writer: Any, path: Path) -> Iterator[Any]:
    """``writer`` for the block, committed when it ends, abandoned if it (or the
    commit) fails: the last commit then stands and nothing else is left."""
    try:
        yield writer
        writer.commit()
    except BaseException:
        _abandon(writer, path)
        raise


@contextmanager
def _write_errors(path: Path) -> Iterator[None]:
    """An operating-system error while writing the index, as one line naming the
    folder and what to do (the caller's last commit stands)."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            fix = "free space on that disk"
        elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            fix = "make the folder writable"
        else:
            fix = "fix the cause"
        raise IndexWriteError(
            f"cannot write the index at {path} ({exc.strerror or exc}); {fix} and run searchkit index "
            "again: the index is as of its last commit"
        ) from None


def _merge_tiny(writer: Any, segments: list[Any], tiny_segment: int = 1000, most: int = 8) -> list[Any]:
    """Whoosh merge policy: merge the segments under ``tiny_segment`` passages once
    there are ``most`` of them, and any segment that is mostly deleted
    passages; drop the segments with none left; leave the others alone.

    Whoosh's default policy merged 18 segments (300,000 passages) when one article
    changed in a BBC x40 index: 130 s, in pure Python, for a one-file update. An
    update writes a segment of a few passages instead; the tiny ones are merged
    now and then, which is cheap, so searches never face many of them. Deleted
    passages still count in BM25's statistics until their segment is rewritten.
    """
    from whoosh.reading import SegmentReader

    live = [seg for seg in segments if seg.doc_count() > 0]
    tiny = [seg for seg in live if seg.doc_count_all() < tiny_segment]
    hollow = [seg for seg in live if seg.doc_count_all() >= tiny_segment and seg.deleted_count() * 2 > seg.doc_count_all()]
    merged = (tiny if len(tiny) >= most else []) + hollow
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
                    _post_stems(post, fieldname, docnum, stems, positions)
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


def _post_stems(post: Callable[..., None], fieldname: str, docnum: int, stems: list[str], positions: bool) -> None:
    """Post one field's stems as Whoosh's ``Positions`` or ``Frequency`` format would."""
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
