"""The one place in ``searchkit.search`` that reads Whoosh's private attributes.

searchkit scores plain words itself from Whoosh's segment files (columns, term
tables, posting blocks) and bends two of Whoosh's collectors and queries; each
private attribute it relies on is read by one small function here, so a Whoosh
release that moves one breaks here and nowhere else. Where the layout is not the
one expected, these return None and the caller takes Whoosh's public path.
"""

from __future__ import annotations

import itertools
import sys
import weakref
from array import array
from typing import Any, Callable, Iterable, Sequence

from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.matching import ListMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

__all__ = [
    "LENGTH_OF",
    "Block",
    "column",
    "segment_tables",
    "term_info",
    "field_b",
    "posting_blocks",
    "collect_scored",
    "expansion_words",
]

#: Field length of each length byte (Whoosh stores lengths as one byte each).
LENGTH_OF = tuple(byte_to_length(b) for b in range(256))

#: One block of a word's postings in a segment: its last document number, and a
#: function reading its ``(ids, weights)``.
Block = tuple[int, Callable[[], tuple[Sequence[int], Sequence[float]]]]

#: Segment reader -> column name -> the column's values, read in one go.
_COLUMNS: "weakref.WeakKeyDictionary[Any, dict[str, Any]]" = weakref.WeakKeyDictionary()


def column(reader: Any, name: str, length_of: str | None = None) -> Any:
    """All values of one fixed-width column of a segment (``length_of``: the field
    lengths of that field), read once per segment reader; None where the column's
    layout is not the one expected (Whoosh's per-document path is used then).

    Whoosh reads a column value with a seek and a read per posting: a tenth of a
    query's time went to field lengths.
    """
    cached = _COLUMNS.setdefault(reader, {})
    key = f"length:{length_of}" if length_of else name
    if key in cached:
        return cached[key]
    values: Any = None
    try:
        if length_of:
            col = reader._perdoc._cached_reader(f"_{length_of}_len", LENGTHS_COLUMN)
        else:
            col = reader.column_reader(name, translate=False) if reader.has_column(name) else None
        if col is not None:
            raw = col._dbfile.get(col._basepos, col._count * col._fixedlen)
            pad = reader.doc_count_all() - col._count  # documents past the end hold the default, 0
            if length_of and col._fixedlen == 1:
                values = bytes(raw) + bytes(max(pad, 0))
            elif not length_of and col._typecode == "Q":
                values = array("Q", bytes(raw))
                if sys.byteorder == "little":
                    values.byteswap()  # Whoosh packs numbers big-endian
                values.extend([0] * max(pad, 0))
    except (AttributeError, KeyError, TypeError):
        values = None
    cached[key] = values
    return values


def segment_tables(reader: Any) -> tuple[Any, Any] | None:
    """A segment reader's term table and its set of deleted document numbers, or
    None for a reader of another kind."""
    terms = getattr(reader, "_terms", None)
    deleted = getattr(reader, "deleted_docs_set", None)
    if terms is None or deleted is None:
        return None
    return terms, deleted


def term_info(terms: Any, fieldname: str, term: bytes) -> Any | None:
    """A word's entry in a segment's term table, or None where the segment lacks it."""
    try:
        return terms.term_info(fieldname, term)
    except (KeyError, TermNotFound):
        return None


def field_b(weighting: Any, fieldname: str) -> float:
    """The length normalisation ``b`` a Whoosh BM25F weighting uses for a field."""
    return weighting._field_B.get(fieldname, weighting.B)  # type: ignore[no-any-return]


def posting_blocks(terms: Any, info: Any, fieldname: str, term: bytes, fmt: Any) -> Iterable[Block] | None:
    """For each block of one word's postings in a segment: its last document number
    and a function reading its ``(ids, weights)`` (the weights as ``matcher.weight()``
    gives them); None for a matcher of another kind.

    Scoring calls this through the module (``_whoosh.posting_blocks``), so tests
    replace it here, at its one defining place."""
    codec, postfile = getattr(terms, "_codec", None), getattr(terms, "_postfile", None)
    if codec is None or postfile is None:
        return None
    postings = codec.postings_reader(postfile, info, fmt, term=(fieldname, term))
    if isinstance(postings, ListMatcher):  # a short list, kept inside the term's entry
        ids = postings._ids
        weights = postings._weights
        if postings._all_weights or not weights:
            weights = [postings._all_weights or 1.0] * len(ids)
        return [(ids[-1], lambda: (ids, weights))] if len(ids) else []
    if not hasattr(postings, "_read_weights"):
        return None

    def read() -> tuple[Sequence[int], Sequence[float]]:
        # What _read_ids() and _read_weights() make of the block, at C speed (they
        # undo the deltas and fill constant weights one number at a time in Python).
        if postings._data is None:
            postings._read_data()
        ids, weights = postings._data[0], postings._data[1]
        if not postings._byteids:
            ids = list(itertools.accumulate(ids))
        if weights is None or isinstance(weights, float):
            weights = array("f", [1.0 if weights is None else weights]) * postings._blocklength
        return ids, weights

    def blocks() -> Iterable[Block]:
        while postings.is_active():
            yield postings._maxid, read
            postings._next_block()

    return blocks()


def collect_scored(collector: Any, docnum: int, score: float) -> None:
    """Put a scored passage straight into a Whoosh top collector's heap
    (``collect()`` would score it a second time)."""
    collector._collect(docnum, score)


def expansion_words(multiterm: Any, reader: Any) -> Iterable[bytes]:
    """The words a prefix*, fuzzy~ or range term expands to in ``reader``, one at a
    time (Whoosh's public ``words()`` expands them all first)."""
    return multiterm._btexts(reader)  # type: ignore[no-any-return]


def posting_ids(reader: Any, fieldname: str, text: str) -> list[int] | None:
    """The document numbers of one word's postings in a segment, read block by block
    (Whoosh's ``all_ids`` makes several calls per posting); [] where the segment
    lacks the word, None for a reader of another kind."""
    tables = segment_tables(reader)
    if tables is None or fieldname not in reader.schema:
        return None
    field = reader.schema[fieldname]
    term = field.to_bytes(text)
    info = term_info(tables[0], fieldname, term)
    if info is None:
        return []
    blocks = posting_blocks(tables[0], info, fieldname, term, field.format)
    if blocks is None:
        return None
    ids: list[int] = []
    for _, read in blocks:
        ids.extend(read()[0])
    return ids
