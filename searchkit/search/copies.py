"""Syndicated copies: each hit's other locations (the same text word for word, or
near-identical), and one hit per such group of passages in a result list.

Candidates come from the index's ``near`` band keys (``nearcopy.near_terms``), read
as postings, so finding a hit's copies costs a few term lookups and the stored
fields of its candidates, never a scan; each candidate is then checked on the
texts (Jaccard of word 5-shingles at least ``Settings.copies_threshold``).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence, TypeVar

from ..models import Copy, Passage
from ..nearcopy import near_terms, shingles, similarity
from ..schema import NEAR_FIELD
from . import _whoosh
from .filters import Narrowing

__all__ = ["COPIES", "MAX_CANDIDATES", "copies_of", "merge_copies"]

#: ``copies``: near-identical passages as one hit with ``copies``, or each its own hit.
COPIES = ("together", "separate")
#: Candidates read per hit at most (a boilerplate line shared by thousands of
#: passages must not cost thousands of stored-field reads on every search).
MAX_CANDIDATES = 1000

T = TypeVar("T")


def copies_of(reading: Any, passage: Passage, narrow: Narrowing, threshold: float) -> list[tuple[Copy, bool]]:
    """The passages that pass ``narrow`` and are copies of ``passage`` (itself left
    out), earliest first, undated last; each with whether its text is the same."""
    terms = near_terms(passage.text)
    found: set[int] = set()
    for reader, base in reading.reader().leaf_readers():
        if NEAR_FIELD not in reader.schema:  # an index built before copies were kept
            return []
        keep = narrow.passing(reader)
        for term in terms:
            ids = _whoosh.posting_ids(reader, NEAR_FIELD, term)
            if ids is None:
                ids = list(reader.postings(NEAR_FIELD, term).all_ids()) if (NEAR_FIELD, term) in reader else []
            found.update(base + doc for doc in ids if (keep is None or doc in keep) and not reader.is_deleted(doc))
    own = shingles(passage.text)
    out: list[tuple[Copy, bool]] = []
    for docnum in sorted(found)[:MAX_CANDIDATES]:
        fields = reading.stored_fields(docnum)
        if fields["passage_id"] == passage.passage_id:
            continue
        text = fields["text"]
        exact = text == passage.text
        score = 1.0 if exact else similarity(own, shingles(text))
        if score >= threshold:
            meta = fields.get("metadata") or {}
            out.append((Copy(
                source=fields["source"], doc_id=fields["doc_id"], passage_id=fields["passage_id"],
                start=fields["start"], end=fields["end"], publisher=meta.get("publisher"), date=meta.get("date"),
                similarity=round(score, 4),
            ), exact))
    out.sort(key=lambda item: (item[0].date is None, item[0].date or "", item[0].source, item[0].doc_id, item[0].start))
    return out


def merge_copies(
    fetch: Callable[[int], tuple[Sequence[T], bool]], passage: Callable[[T], Passage],
    find: Callable[[Passage], list[tuple[Copy, bool]]], *, offset: int, limit: int, together: bool, widest: int,
) -> tuple[list[tuple[T, tuple[Copy, ...]]], bool]:
    """The page ``[offset, offset + limit)`` of a result list with each hit's copies,
    and whether the search timed out. ``fetch(n)`` gives the first ``n`` items of
    the list as ranked without merging (exact copies already one item).

    ``together``: walking the list best first, an item that is a copy of a hit
    already kept is not a hit of its own (it is in that hit's ``copies``); the
    list is read wider until the page is full. The walk always starts at the top,
    so the pages of one index generation never repeat or skip a hit.
    ``separate``: every item is a hit; ``copies`` lists only its exact copies
    (which were never hits of their own)."""
    want = offset + limit
    known: dict[str, list[tuple[Copy, bool]]] = {}

    def copies(item: T) -> list[tuple[Copy, bool]]:
        key = passage(item).passage_id
        if key not in known:
            known[key] = find(passage(item))
        return known[key]

    if not together:
        items, timed_out = fetch(want)
        return [(item, tuple(c for c, exact in copies(item) if exact)) for item in items[offset:want]], timed_out
    window = min(want * 2, max(widest, want))
    while True:
        items, timed_out = fetch(window)
        kept: list[tuple[T, tuple[Copy, ...]]] = []
        merged: set[str] = set()
        for item in items:
            if passage(item).passage_id in merged:
                continue
            found = copies(item)
            merged.update(c.passage_id for c, _ in found)
            kept.append((item, tuple(c for c, _ in found)))
            if len(kept) == want:
                break
        if len(kept) >= want or len(items) < window or timed_out or window >= max(widest, want):
            return kept[offset:], timed_out
        window = min(window * 2, max(widest, want))
