"""Syndicated copies: each hit's other locations (the same text word for word, or
near-identical), and one hit per such group of passages in a result list.

Candidates come from the index's ``near`` band keys (``nearcopy.near_terms``): the
keys of every hit on a page are looked up together, each once per segment, and a
key held by one or two passages of a segment is answered from its term entry
(document frequency, first and last document) without reading its postings. Each
candidate is then checked on the texts: Jaccard of word 5-shingles at least
``Settings.copies_threshold``, and the same numbers (``nearcopy.numbers``).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence, TypeVar

from ..models import Copy, Passage
from ..nearcopy import near_terms, numbers, shingles, similarity
from ..schema import NEAR_FIELD
from . import _whoosh
from .filters import Narrowing

__all__ = ["COPIES", "MAX_CANDIDATES", "copies_of", "copy_order", "merge_copies"]

#: ``copies``: near-identical passages as one hit with ``copies``, or each its own
#: hit (listing its word-for-word copies), or each its own hit with none looked up.
COPIES = ("together", "separate", "none")
#: Candidates read per hit at most (a boilerplate line shared by thousands of
#: passages must not cost thousands of stored-field reads on every search).
MAX_CANDIDATES = 1000

T = TypeVar("T")


def copies_of(
    reading: Any, passages: Sequence[Passage], narrow: Narrowing, threshold: float
) -> list[list[tuple[Copy, bool]]]:
    """For each of ``passages``: the passages that pass ``narrow`` and are copies of
    it (itself left out), earliest first, undated last; each with whether its text
    is the same."""
    keys = [near_terms(p.text) for p in passages]
    found = _holding(reading, {term for terms in keys for term in terms}, narrow)
    if found is None:  # an index built before copies were kept
        return [[] for _ in passages]
    fields: dict[int, dict[str, Any]] = {}
    out = []
    for passage, terms in zip(passages, keys):
        candidates = sorted(set().union(*(found.get(term, ()) for term in terms)))[:MAX_CANDIDATES]
        own: frozenset[int] | None = None
        figures: tuple[str, ...] | None = None
        copies: list[tuple[Copy, bool]] = []
        for docnum in candidates:
            stored = fields.get(docnum)
            if stored is None:
                stored = fields[docnum] = reading.stored_fields(docnum)
            if stored["passage_id"] == passage.passage_id:
                continue
            text = stored["text"]
            exact = text == passage.text
            if exact:
                score = 1.0
            else:
                if own is None:
                    own, figures = shingles(passage.text), numbers(passage.text)
                # A copy whose numbers differ is another story ("15 dead", not "12"): a hit of its own.
                score = similarity(own, shingles(text)) if numbers(text) == figures else 0.0
            if score >= threshold:
                meta = stored.get("metadata") or {}
                copies.append((Copy(
                    source=stored["source"], doc_id=stored["doc_id"], passage_id=stored["passage_id"],
                    start=stored["start"], end=stored["end"], publisher=meta.get("publisher"), date=meta.get("date"),
                    similarity=round(score, 4),
                ), exact))
        copies.sort(key=lambda item: copy_order(item[0]))
        out.append(copies)
    return out


def copy_order(copy: Copy) -> tuple[Any, ...]:
    """Where a copy goes in a hit's list: earliest first, undated last."""
    return (copy.date is None, copy.date or "", copy.source, copy.doc_id, copy.start)


def _holding(reading: Any, terms: set[str], narrow: Narrowing) -> dict[str, list[int]] | None:
    """The passages (numbers in the whole index) that hold each of the band keys
    ``terms`` and pass ``narrow``; None for an index without the ``near`` field."""
    found: dict[str, list[int]] = {}
    for reader, base in reading.reader().leaf_readers():
        if NEAR_FIELD not in reader.schema:
            return None
        keep = narrow.passing(reader)
        tables = _whoosh.segment_tables(reader)
        for term in terms:
            ids = _ids(reader, tables, term)
            if ids:
                found.setdefault(term, []).extend(
                    base + doc for doc in ids if (keep is None or doc in keep) and not reader.is_deleted(doc)
                )
    return found


def _ids(reader: Any, tables: Any, term: str) -> Sequence[int]:
    """The documents of one segment that hold band key ``term``."""
    if tables is not None:
        info = _whoosh.term_info(tables[0], NEAR_FIELD, term.encode("utf-8"))
        if info is None:
            return ()
        # Most keys are held by a passage and at most one copy of it per segment: the
        # term entry names both (first and last document), no postings to read.
        frequency = info.doc_frequency()
        if frequency == 1:
            return (info.min_id(),)
        if frequency == 2:
            return (info.min_id(), info.max_id())
    ids = _whoosh.posting_ids(reader, NEAR_FIELD, term)
    if ids is None:
        ids = list(reader.postings(NEAR_FIELD, term).all_ids()) if (NEAR_FIELD, term) in reader else []
    return ids


def merge_copies(
    fetch: Callable[[int], tuple[Sequence[T], bool]], passage: Callable[[T], Passage],
    find: Callable[[Sequence[Passage]], list[list[tuple[Copy, bool]]]], *, offset: int, limit: int, together: bool,
    widest: int, leave_out: Callable[[Passage], bool] | None = None,
) -> tuple[list[tuple[T, tuple[Copy, ...]]], bool]:
    """The page ``[offset, offset + limit)`` of a result list with each hit's copies,
    and whether the search timed out. ``fetch(n)`` gives the first ``n`` items of
    the list as ranked without merging (exact copies already one item); ``find``
    gives the copies of several passages at once (one lookup per key and segment).

    ``together``: walking the list best first, an item that is a copy of a hit
    already kept is not a hit of its own (it is in that hit's ``copies``); the
    list is read wider until the page is full. The walk always starts at the top,
    so the pages of one index generation never repeat or skip a hit.
    ``separate``: every item is a hit; ``copies`` lists only its exact copies
    (which were never hits of their own). Items whose passage ``leave_out`` names
    are dropped before any merging (``similar``: the passage asked about must not
    take its near copies off the list)."""
    want = offset + limit
    known: dict[str, list[tuple[Copy, bool]]] = {}

    def look_up(items: Sequence[T]) -> None:
        new = list({passage(item).passage_id: passage(item) for item in items
                    if passage(item).passage_id not in known}.values())
        if new:
            known.update(zip((p.passage_id for p in new), find(new)))

    def read(n: int) -> tuple[Sequence[T], int, bool]:
        items, timed_out = fetch(n)
        kept = items if leave_out is None else [item for item in items if not leave_out(passage(item))]
        return kept, len(items), timed_out

    if not together:
        items, _, timed_out = read(want)
        page = list(items[offset:want])
        look_up(page)
        return [(item, tuple(c for c, exact in known[passage(item).passage_id] if exact)) for item in page], timed_out
    # A page a few items wider than asked: room for a merge or two without
    # searching again; the plain top-k costs little more for it.
    window = min(want + max(want // 2, 2), max(widest, want))
    while True:
        items, fetched, timed_out = read(window)
        kept: list[tuple[T, tuple[Copy, ...]]] = []
        merged: set[str] = set()
        at = 0
        while at < len(items) and len(kept) < want:
            # The copies of as many items as the page still needs, looked up together.
            batch = [n for n in range(at, len(items)) if passage(items[n]).passage_id not in merged][: want - len(kept)]
            look_up([items[n] for n in batch])
            end = batch[-1] + 1 if batch else len(items)
            for item in items[at:end]:
                if passage(item).passage_id in merged:
                    continue
                found = known[passage(item).passage_id]
                merged.update(c.passage_id for c, _ in found)
                kept.append((item, tuple(c for c, _ in found)))
                if len(kept) == want:
                    break
            at = end
        if len(kept) >= want or fetched < window or timed_out or window >= max(widest, want):
            return kept[offset:], timed_out
        window = min(window * 2, max(widest, want))
