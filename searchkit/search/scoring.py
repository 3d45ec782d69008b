"""BM25F: the weightings handed to Whoosh, and the exact top passages for an OR of
words, scored by searchkit itself posting by posting (plan → score → merge).

The per-posting BM25F contribution is written once, in ``add_postings``; the
bounds that let whole segments and blocks be skipped are computed with it too.
"""

from __future__ import annotations

import bisect
import itertools
import math
import time
import weakref
from typing import TYPE_CHECKING, AbstractSet, Any, Callable, Iterable, NamedTuple, Sequence

from whoosh import scoring
from whoosh.util.numeric import length_to_byte

from ..schema import TEXT_KEY
from ..settings import Settings
from . import _whoosh
from .topk import Found, distinct, segment_top

if TYPE_CHECKING:
    from .reading import Reading

__all__ = ["BM25F", "LuceneBM25F", "weighting", "length_norms", "add_postings", "exact_top", "all_scores", "match_ids", "Leaf", "Top", "Scored"]

#: ``(field, word, boost)``: one clause of an OR of words.
Leaf = tuple[str, str, float]
#: ``[(score, docnum)]`` best first, and whether the time limit cut the search short.
Top = tuple[list[tuple[float, int]], bool]

#: Top-level searcher -> field -> average field length (Whoosh sums it over every
#: segment for every term of every segment: a seventh of a query on 165 segments).
_AVERAGE_LENGTHS: "weakref.WeakKeyDictionary[Any, dict[str, float]]" = weakref.WeakKeyDictionary()


def average_length(parent: Any, fieldname: str) -> float:
    averages = _AVERAGE_LENGTHS.setdefault(parent, {})
    average = averages.get(fieldname)
    if average is None:
        average = averages[fieldname] = parent.avg_field_length(fieldname) or 1
    return average


class _BM25FScorer(scoring.BM25FScorer):
    """Whoosh's BM25F scorer, reading field lengths from the segment's length column
    loaded once and the average field length once per searcher (same scores)."""

    def __init__(self, searcher: Any, fieldname: str, text: str, B: float, K1: float, qf: int = 1) -> None:
        parent = searcher.get_parent()
        self.idf = parent.idf(fieldname, text)
        self.avgfl = average_length(parent, fieldname)
        self.B, self.K1, self.qf = B, K1, qf
        self.setup(searcher, fieldname, text)

    def setup(self, searcher: Any, fieldname: str, text: str) -> Any:
        found = super().setup(searcher, fieldname, text)
        lengths = _whoosh.column(searcher.reader(), "", length_of=fieldname)
        if found is None and lengths is not None:
            table = _whoosh.LENGTH_OF
            self.dfl = lambda docnum: table[lengths[docnum]]
        return found


class BM25F(scoring.BM25F):
    """Whoosh's BM25F with the faster scorer above (same scores)."""

    def scorer(self, searcher: Any, fieldname: str, text: str, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf)
        return _BM25FScorer(searcher, fieldname, text, _whoosh.field_b(self, fieldname), self.K1, qf=qf)


class LuceneBM25F(BM25F):
    """BM25F with the idf of Lucene and the BM25 literature, log(1 + (N - n + 0.5) / (n + 0.5)).

    Whoosh's own idf, log(N / (n + 1)) + 1, gives common words too much weight
    next to rare ones (measured in docs/QUALITY.md).
    """

    def idf(self, searcher: Any, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        total = parent.doc_count_all()
        return math.log(1 + (total - n + 0.5) / (n + 0.5))


def weighting(settings: Settings) -> BM25F:
    """The Whoosh weighting for the ranking settings."""
    model = LuceneBM25F if settings.idf == "lucene" else BM25F
    return model(B=settings.b, K1=settings.k1, title_B=settings.title_b)


#: Top-level searcher -> (field, k1, b) -> bm25()'s length part for each of the 256
#: stored lengths, computed as bm25() does.
_NORMS: "weakref.WeakKeyDictionary[Any, dict[tuple[str, float, float], list[float]]]" = weakref.WeakKeyDictionary()


def length_norms(parent: Any, fieldname: str, k1: float, b: float) -> list[float]:
    """``k1 * ((1 - b) + b * length / average length)`` for each stored length byte."""
    cached = _NORMS.setdefault(parent, {})
    norms = cached.get((fieldname, k1, b))
    if norms is None:
        average = average_length(parent, fieldname)
        norms = cached[(fieldname, k1, b)] = [k1 * ((1 - b) + b * length / average) for length in _whoosh.LENGTH_OF]
    return norms


def add_postings(
    scores: dict[int, float],
    blocks: Iterable[_whoosh.Block],
    lengths: Sequence[int],
    norms: Sequence[float],
    idf: float,
    k1_plus: float,
    boost: float,
    candidates: list[int] | None = None,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> bool:
    """Add one word's BM25F contribution for each of its postings (``blocks``) to
    ``scores`` (``lengths``: each document's length byte), and say whether
    ``deadline`` passed (checked after each block read). With ``candidates``
    (sorted document numbers: those ``scores`` holds) only those passages gain, and
    blocks without any of them are not read.

    The one place the formula is written. Whoosh's bm25() computes the same
    operations in the same order, so the scores are its own to the last bit;
    ``boost`` is always multiplied in (``x * 1.0 == x`` exactly). One call per
    word, not per block: a call per block cost 2% of a query.
    """
    get = scores.get
    after = -1
    for last, read in blocks:
        if candidates is not None:
            start = bisect.bisect_right(candidates, after)
            after = last
            if start == len(candidates) or candidates[start] > last:
                continue
        ids, weights = read()
        pairs: Any = zip(ids, weights)
        if candidates is not None:
            pairs = [(doc, w) for doc, w in pairs if doc in scores]
        for doc, w in pairs:
            scores[doc] = get(doc, 0.0) + idf * ((w * k1_plus) / (w + norms[lengths[doc]])) * boost
        if deadline is not None and clock() > deadline:
            return True
    return False


#: Bounds on what a word can add are raised by this factor against rounding.
_BOUND_MARGIN = 1 + 1e-9


def _most_added(info: Any, idf: float, norms: Sequence[float], k1_plus: float, boost: float) -> float:
    """The most a word can add to a passage of a segment: its highest weight at its
    shortest length there (stored lengths only round up)."""
    most: dict[int, float] = {}
    one_posting = ((0,), (info.max_weight(),))
    add_postings(most, ((0, lambda: one_posting),), (length_to_byte(info.min_length() or 0),), norms, idf, k1_plus, boost)
    return most[0] * _BOUND_MARGIN


class _Word(NamedTuple):
    fieldname: str
    fmt: Any
    term: bytes
    boost: float


class _Segment(NamedTuple):
    reader: Any
    offset: int
    terms: Any
    deleted: Any
    #: ``(word number, term info)`` of each word the segment holds.
    entries: list[tuple[int, Any]]


class _Plan(NamedTuple):
    """How one segment is scored: its words rarest first (``entries``), and the
    most the words from each one on can add to a passage (``rest``; ``most`` is
    ``rest[0]``)."""

    most: float
    segment: _Segment
    entries: list[tuple[int, Any]]
    rest: list[float]


def exact_top(
    reading: "Reading",
    leaves: Sequence[Leaf],
    limit: int,
    deadline: float | None,
    clock: Callable[[], float],
    allowed: Callable[[Any], AbstractSet[int] | None] | None = None,
) -> Top | None:
    """The ``limit`` best distinct passages for an OR of words, scored posting by
    posting: ``[(score, docnum)]`` best first, and whether ``deadline`` (on
    ``clock``) passed (the passages scored by then are ranked on what was read).
    None where the index or weighting is not the one this handles (Whoosh's
    matchers run the query then). Postings are skipped only where bounds prove
    they cannot reach the top.

    ``allowed(segment reader)`` gives the passages of a segment that may be
    returned (None: all), for filters: the bounds stay true of what is left.

    Scores are Whoosh's BM25F to the last bit for each word (same formula, same
    operations); only the order of summing words can differ. Whoosh's own top-N
    search (block skipping with matcher replacement) returned wrong scores, and
    missed true top-10 passages, for 3 in 500 benchmark queries on BBC x1. It is
    also slower: a tree of matchers per segment, several calls per posting.
    """
    prepared = _prepare(reading, leaves)
    if prepared is None:
        return None
    plans, words, scoring_of, k1_plus = prepared
    return _score_and_merge(plans, words, scoring_of, k1_plus, limit, deadline, clock, allowed)


def _prepare(reading: "Reading", leaves: Sequence[Leaf]) -> tuple[list[_Plan], list[_Word], dict[int, tuple[float, list[float]]], float] | None:
    """The segments' plans, the words, each word's idf and length norms, and k1 + 1;
    None where the index or weighting is not the one this scores."""
    weighting = reading.weighting
    if not isinstance(weighting, BM25F):
        return None
    words = _words(reading.schema, leaves)
    looked_up = None if words is None else _look_up(reading, words)
    if words is None or looked_up is None:
        return None
    segments, frequency = looked_up
    k1 = weighting.K1
    scoring_of = {
        number: (reading.idf(word.fieldname, word.term), length_norms(reading, word.fieldname, k1, _whoosh.field_b(weighting, word.fieldname)))
        for number, word in enumerate(words)
        if frequency[number]
    }
    return _plan(segments, words, scoring_of, k1 + 1), words, scoring_of, k1 + 1


def _words(schema: Any, leaves: Sequence[Leaf]) -> list[_Word] | None:
    words = []
    for fieldname, word, boost in leaves:
        field = schema[fieldname] if fieldname in schema else None
        if field is None or not field.scorable or not field.indexed:
            return None
        words.append(_Word(fieldname, field.format, field.to_bytes(word), boost))
    return words


def _look_up(reading: "Reading", words: list[_Word]) -> tuple[list[_Segment], list[int]] | None:
    """Each word's entry in each segment's term table, looked up once (Whoosh looked
    each up three or four times per segment), and the words' frequencies."""
    segments = []
    frequency = [0] * len(words)
    for reader, offset in reading.reader().leaf_readers():
        tables = _whoosh.segment_tables(reader)
        if tables is None:
            return None
        entries = []
        for number, word in enumerate(words):
            info = _whoosh.term_info(tables[0], word.fieldname, word.term)
            if info is not None:
                frequency[number] += info.doc_frequency()
                entries.append((number, info))
        segments.append(_Segment(reader, offset, tables[0], tables[1], entries))
    return segments, frequency


def _plan(
    segments: list[_Segment], words: list[_Word], scoring_of: dict[int, tuple[float, list[float]]], k1_plus: float
) -> list[_Plan]:
    """The segments' plans, the most promising segment first (so the bar for the
    rest rises early)."""
    # Words are added up in one order everywhere (rarest, by idf and boost, first), so
    # passages with the same words score the same to the last bit in every segment.
    order = sorted(scoring_of, key=lambda number: (-scoring_of[number][0] * words[number].boost, number))
    position = {number: place for place, number in enumerate(order)}
    plans = []
    for segment in segments:
        entries = sorted(segment.entries, key=lambda entry: position[entry[0]])
        bounds = [_most_added(info, *scoring_of[number], k1_plus, words[number].boost) for number, info in entries]
        rest = list(itertools.accumulate(reversed(bounds)))[::-1]
        plans.append(_Plan(rest[0] if rest else 0.0, segment, entries, rest))
    plans.sort(key=lambda plan: (-plan.most, plan.segment.offset))
    return plans


def _score_and_merge(
    plans: list[_Plan],
    words: list[_Word],
    scoring_of: dict[int, tuple[float, list[float]]],
    k1_plus: float,
    limit: int,
    deadline: float | None,
    clock: Callable[[], float],
    allowed: Callable[[Any], AbstractSet[int] | None] | None = None,
) -> Top | None:
    found: list[Found] = []
    timed_out = False
    for plan in plans:
        # Only what reaches the worst of the best texts so far can enter them.
        floor = found[-1][0] if len(found) == limit else None
        if timed_out or (floor is not None and plan.most < floor):
            continue
        keep = None if allowed is None else allowed(plan.segment.reader)
        if keep is not None and not keep:
            continue
        scored = _score_segment(plan, words, scoring_of, k1_plus, floor, deadline, clock)
        if scored is None:
            return None
        scores, timed_out = scored
        segment = plan.segment
        deleted = segment.deleted
        for doc in deleted if len(deleted) < len(scores) else [d for d in scores if d in deleted]:
            scores.pop(doc, None)
        if keep is not None:
            scores = {doc: score for doc, score in scores.items() if doc in keep}
        keys = _whoosh.column(segment.reader, TEXT_KEY)
        found = distinct(found + segment_top(scores, keys, limit, segment.offset, floor), limit)
    return [(score, docnum) for score, docnum, _ in found], timed_out


def _score_segment(
    plan: _Plan,
    words: list[_Word],
    scoring_of: dict[int, tuple[float, list[float]]],
    k1_plus: float,
    floor: float | None,
    deadline: float | None,
    clock: Callable[[], float],
) -> tuple[dict[int, float], bool] | None:
    """``{docnum: score}`` of one segment's passages (those that can still reach
    ``floor``), and whether the deadline passed; None for an unexpected layout."""
    segment = plan.segment
    scores: dict[int, float] = {}
    candidates: list[int] | None = None
    for (number, info), reach in zip(plan.entries, plan.rest):
        word = words[number]
        idf, norms = scoring_of[number]
        lengths = _whoosh.column(segment.reader, "", length_of=word.fieldname)
        blocks = _whoosh.posting_blocks(segment.terms, info, word.fieldname, word.term, word.fmt)
        if lengths is None or blocks is None:
            return None
        if candidates is None and floor is not None and reach < floor:
            # This word and the rest cannot lift a passage without the earlier
            # words to the bar: they only add to passages already found, and
            # blocks without any of those are not read.
            candidates = sorted(scores)
        if add_postings(scores, blocks, lengths, norms, idf, k1_plus, word.boost, candidates, deadline, clock):
            return scores, True  # rank what was scored so far
    return scores, False


#: ``(segment reader, docnum offset, {local docnum: score})``: every match in one segment.
Scored = tuple[Any, int, dict[int, float]]


def all_scores(
    reading: "Reading", leaves: Sequence[Leaf], deadline: float | None = None, clock: Callable[[], float] = time.monotonic
) -> tuple[list[Scored], bool] | None:
    """Every passage that matches an OR of words, with its score, segment by segment
    (deleted ones left out): what filters, facets, grouping and date order work on;
    and whether ``deadline`` passed (then only what was scored by then is there).
    Scored as ``exact_top`` scores (the same plan, no bar to skip by); None where
    that does not apply (Whoosh's matchers score the query then)."""
    prepared = _prepare(reading, leaves)
    if prepared is None:
        return None
    plans, words, scoring_of, k1_plus = prepared
    out: list[Scored] = []
    for plan in plans:
        scored = _score_segment(plan, words, scoring_of, k1_plus, None, deadline, clock)
        if scored is None:
            return None
        scores, timed_out = scored
        for doc in [d for d in scores if d in plan.segment.deleted]:
            del scores[doc]
        out.append((plan.segment.reader, plan.segment.offset, scores))
        if timed_out:
            return out, True
    return out, False


def match_ids(reading: "Reading", leaves: Sequence[Leaf]) -> list[tuple[Any, int, set[int]]] | None:
    """The passages that match an OR of words (deleted ones aside), segment by
    segment with its docnum offset, reading only the postings' document numbers
    (for counting); None where ``all_scores`` would not apply."""
    prepared = _prepare(reading, leaves)
    if prepared is None:
        return None
    plans, words, _, _ = prepared
    out = []
    for plan in plans:
        segment = plan.segment
        docs: set[int] = set()
        for number, info in plan.entries:
            word = words[number]
            blocks = _whoosh.posting_blocks(segment.terms, info, word.fieldname, word.term, word.fmt)
            if blocks is None:
                return None
            for _, read in blocks:
                docs.update(read()[0])
        docs.difference_update(segment.deleted)
        out.append((segment.reader, segment.offset, docs))
    return out
