"""What ``searchkit check`` verifies of the index files themselves: each segment's
files read through, its term table, posting lists, stored passages, lengths and
columns agree, and searchkit's own files are sound. Whoosh keeps no checksums, so
this re-reads what is cheap to re-read."""

from __future__ import annotations

from typing import Any, Iterator

from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filetables import _lengths, _pointer
from whoosh.reading import SegmentReader
from whoosh.util.numeric import byte_to_length, length_to_byte

from ..models import Skipped
from ..schema import passage_document, passage_from_fields
from .core import Index
from .layout import MANIFEST_FILE, STEMS_FILE
from .manifest import _Manifest
from .stems import _read_stems

#: Stored passages per segment whose terms, lengths and columns are looked up again:
#: a sample, so that checking a large index stays quick.
SAMPLE_PASSAGES = 32
#: Posting lists are read whole while the postings files together stay under this
#: size; past it, only each list's block header and the sampled terms are read.
READ_POSTINGS_BYTES = 8 * 2**20
#: Whoosh's tag at the start of every postings block.
_BLOCK_TAG = b"W3Bl"


def index_damage(ix: Index, read_postings_bytes: int = READ_POSTINGS_BYTES) -> list[Skipped]:
    """The files of ``ix`` that are damaged (cut short, overwritten), one problem each.

    Checks what is cheap to check: each segment's files exist; the term table reads
    through, every posting list it points to lies inside the postings file and
    starts with a block tag (and, up to ``read_postings_bytes`` in all, reads whole with as
    many documents as the term table says); every stored passage decodes and cites a
    span as long as its text; the passage count is the table of contents'; for a
    sample of passages, each of their terms is found and its posting list holds the
    passage, and field lengths and the text key column are what the text gives; the
    manifest loads and names the files the stored passages come from; the stems
    table passes its checksum. Whoosh keeps no checksums of its own, so damage
    outside what is read here (deep in a large postings file) can go unseen.
    """
    found: dict[str, str] = {}
    whole = sum(_size(ix, segment.make_filename(W3Codec.POSTS_EXT)) for segment in ix.whoosh._segments())
    sources: set[str] = set()
    for segment in ix.whoosh._segments():
        for name, reason in _segment_damage(ix, segment, sources, whole <= read_postings_bytes):
            found.setdefault(name, reason)
    if not found:
        for name, reason in _cache_damage(ix, sources):
            found.setdefault(name, reason)
    return [Skipped(name, reason) for name, reason in found.items()]


def _size(ix: Index, name: str) -> int:
    try:
        return int(ix.whoosh.storage.file_length(name))
    except OSError:
        return 0


def _segment_damage(ix: Index, segment: Any, sources: set[str], read_all: bool) -> Iterator[tuple[str, str]]:
    """``(file name, reason)`` for each damaged file of one segment."""
    storage, schema = ix.whoosh.storage, ix.whoosh.schema
    terms, posts = segment.make_filename(W3Codec.TERMS_EXT), segment.make_filename(W3Codec.POSTS_EXT)
    stored = W3Codec.column_filename(segment, "_stored")
    # A column is written only for a field some passage of the segment has.
    columns = {f"_{name}_len": W3Codec.column_filename(segment, f"_{name}_len") for name, f in schema.items() if f.scorable}
    columns.update({name: W3Codec.column_filename(segment, name) for name, f in schema.items() if f.column_type})
    columns = {key: name for key, name in columns.items() if storage.file_exists(name)}
    missing = [name for name in (terms, posts, stored) if not storage.file_exists(name)]
    if missing:
        yield from ((name, "missing") for name in missing)
        return
    try:
        reader = SegmentReader(storage, schema, segment)
    except Exception as exc:  # Whoosh raises many kinds for a damaged term table
        yield terms, f"cannot be opened ({_what(exc)})"
        return
    try:
        yield from _terms_damage(reader, segment, terms, posts, _size(ix, posts), read_all)
        live: list[int] = []
        try:
            for docnum in range(segment.doc_count_all()):
                if reader.is_deleted(docnum):
                    continue
                passage = passage_from_fields(reader.stored_fields(docnum))
                if len(passage.text) != passage.end - passage.start:
                    yield stored, f"passage {passage.passage_id} cites {passage.end - passage.start} characters for a text of {len(passage.text)}"
                    return
                sources.add(passage.source)
                live.append(docnum)
        except Exception as exc:  # pickle, zlib, struct and more: a damaged stored column
            yield stored, f"stored passage {docnum} cannot be read ({_what(exc)})"
            return
        if len(live) != segment.doc_count():
            yield stored, f"holds {len(live)} passages, the table of contents says {segment.doc_count()}"
            return
        step = max(1, len(live) // SAMPLE_PASSAGES)
        for docnum in live[::step][:SAMPLE_PASSAGES]:
            yield from _passage_damage(reader, docnum, terms, posts, columns)
    finally:
        reader.close()


def _what(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def _terms_damage(
    reader: Any, segment: Any, terms: str, posts: str, posts_size: int, read_all: bool
) -> Iterator[tuple[str, str]]:
    """Every entry of the term table, and where it says its postings are."""
    postfile, codec = reader._terms._postfile, reader._terms._codec
    doc_limit = segment.doc_count_all()
    try:
        problem = _hash_file_damage(reader._terms._tindex)
        if problem:
            yield terms, problem
            return
        for (fieldname, text), info in reader._terms.items():
            if not info.is_inlined():
                offset, length = info.extent()
                if isinstance(length, tuple):  # Whoosh decodes the length as a 1-tuple
                    length = length[0]
                if offset + length > posts_size:
                    yield posts, f"ends at byte {posts_size}; the postings of {fieldname}:{text!r} end at {offset + length}"
                    return
                if postfile.get(offset, 4) != _BLOCK_TAG:
                    yield posts, f"no postings block at byte {offset}, where {fieldname}:{text!r} starts"
                    return
            if info.is_inlined():
                ids = list(info.inlined_postings()[0])
            elif read_all:
                try:  # from the entry in hand: a lookup by term would hash the key again
                    matcher = codec.postings_reader(postfile, info, reader.schema[fieldname].format)
                    ids = list(matcher.all_ids())
                except Exception as exc:
                    yield posts, f"the postings of {fieldname}:{text!r} cannot be read ({_what(exc)})"
                    return
            else:
                continue
            if len(ids) != info.doc_frequency() or ids != sorted(set(ids)) or (ids and not 0 <= ids[0] <= ids[-1] < doc_limit):
                where = terms if info.is_inlined() else posts  # a list of one passage lives in the term table
                yield where, f"the postings of {fieldname}:{text!r} do not match the term table"
                return
    except Exception as exc:  # a damaged hash table: lengths, offsets or keys
        yield terms, f"cannot be read through ({_what(exc)})"


def _hash_file_damage(table: Any) -> str | None:
    """What is wrong with the structure of Whoosh's term table, a hash file: records
    of key and value, 256 hash tables of the keys, a sorted index of their positions.
    The tables and the index follow from the keys, so they are computed again as
    Whoosh writes them and compared: damage there sends lookups astray unseen."""
    dbfile = table.dbfile
    starts: list[int] = []
    buckets: list[list[tuple[int, int]]] = [[] for _ in range(256)]
    end = table.startofdata
    for keypos, keylen, datapos, datalen in table._ranges():
        end = datapos + datalen
        if keylen < 0 or datalen < 0 or end > table.endofdata:
            return f"a record at byte {keypos - _lengths.size} runs past the end of the records"
        keyhash = table.hashfn(dbfile.get(keypos, keylen))
        starts.append(keypos - _lengths.size)
        buckets[keyhash & 255].append((keyhash, keypos - _lengths.size))
    if end != table.endofdata:
        return "its records do not end where its hash tables start"
    at = table.endofdata
    for number, entries in enumerate(buckets):
        size = 2 * len(entries)
        if tuple(table.tables[number]) != (at, size):
            return f"hash table {number} is not where its keys put it"
        slots = [(0, 0)] * size
        for keyhash, start in entries:
            slot = (keyhash >> 8) % size
            while slots[slot] != (0, 0):
                slot = (slot + 1) % size
            slots[slot] = (keyhash, start)
        expected = b"".join(_pointer.pack(*entry) for entry in slots)
        if dbfile.get(at, len(expected)) != expected:
            return f"hash table {number} does not match its keys"
        at += len(expected)
    index = [table._get_pos(table.indexbase + n * table.indexsize) for n in range(table.indexlen)]
    if index != starts:
        return "its sorted index of keys does not match its keys"
    return None


def _passage_damage(reader: Any, docnum: int, terms: str, posts: str, columns: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Look a stored passage up again: its terms, field lengths and text key column."""
    fields = reader.stored_fields(docnum)
    document = passage_document(passage_from_fields(fields), fields.get("file_digest") or "")
    for name, field in reader.schema.items():
        value = document.get(name)
        if value is None:
            continue
        if field.column_type and name in columns:
            try:
                recorded = reader.column_reader(name)[docnum]
            except Exception as exc:
                recorded = f"unreadable ({_what(exc)})"
            if recorded != field.to_column_value(value):
                yield columns[name], f"does not hold the {name} of passage {fields['passage_id']}"
        if not field.indexed:
            continue
        length = 0
        for text, freq, _, _ in field.index(value):
            length += freq
            try:
                info = reader._terms.term_info(name, text)
            except Exception:  # TermNotFound, or an entry that does not decode
                yield terms, f"has no entry for {name}:{text!r} of passage {fields['passage_id']}"
                return
            try:
                matcher = reader._terms.matcher(name, text, field.format)
                matcher.skip_to(docnum)
                holds = matcher.is_active() and matcher.id() == docnum
            except Exception as exc:
                yield (terms if info.is_inlined() else posts), f"the postings of {name}:{text!r} cannot be read ({_what(exc)})"
                return
            if not holds:
                where = terms if info.is_inlined() else posts
                yield where, f"the postings of {name}:{text!r} lack passage {fields['passage_id']}"
                return
        lengths = columns.get(f"_{name}_len")
        if lengths and field.scorable:
            try:
                recorded = reader.doc_field_length(docnum, name)
            except Exception as exc:
                recorded = f"unreadable ({_what(exc)})"
            if recorded != byte_to_length(length_to_byte(length)):
                yield lengths, f"gives {name} of passage {fields['passage_id']} length {recorded}, its text {length}"


def _cache_damage(ix: Index, sources: set[str]) -> Iterator[tuple[str, str]]:
    """searchkit's own files: the manifest (and its journal) and the stems table."""
    folder = ix.path
    manifest = _Manifest(folder).load(ix.whoosh.latest_generation())
    # A manifest that cannot be read or describes another generation (left by a
    # kill between a commit and its write) is not used: it is rebuilt from the
    # stored passages and rewritten by the next update. One that reads but names
    # other files than the index holds would make an update add passages twice.
    if manifest is not None:
        listed = {source for source, entry in manifest.items() if entry.doc_ids}
        if listed != sources:
            yield MANIFEST_FILE, (
                f"lists {len(listed)} files with passages, the index holds passages of {len(sources)}"
            )
    if (folder / STEMS_FILE).exists() and _read_stems(folder) is None:
        yield STEMS_FILE, "fails its checksum"


