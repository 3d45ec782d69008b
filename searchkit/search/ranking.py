"""Ranked lists from one reading of an index: the best passages (pruned top-k, with
the passages that match only through their title after those holding a query word),
one hit per article, every match with its score, and how many match. ``Searcher``
turns them into hits; this module never builds one.
"""

from __future__ import annotations

import bisect
import time
from typing import AbstractSet, Any, Callable, Sequence

from ..models import Copy, Passage
from ..schema import ARTICLE_KEY, TEXT_KEY, article_key, passage_from_fields
from ..settings import LIBRARY_LIMITS, Settings
from . import _whoosh
from .filters import Narrowing, own_text
from .highlight import highlight_all
from .query import Words
from .reading import Reading
from .copies import merge_copies
from .scoring import Leaf, Scored, Top, all_scores, exact_top, match_ids

__all__ = ["Ranker", "MAX_LIMIT", "holding_all"]

MAX_LIMIT = LIBRARY_LIMITS.max_limit
#: How much wider each further search for a page without title-only matches looks.
_WIDENING = 2
#: Passages searched beyond the page at first: room for a title-only match or three
#: without searching again (BBC x10, 100 queries: p50 5.8 -> 5.0 ms, the same hits).
_SPARE = 3


class Ranker:
    """Ranks passages of a reading with the searcher's ``settings``, reading time
    limits from ``clock``."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._clock = clock

    def own_text_first(
        self, reading: Reading, query: Any, terms: set[str], limit: int, time_limit: float | None,
        allowed: Callable[[Any], AbstractSet[int] | None] | None, syntax: bool, need: int | None = None,
        highlight: bool = True,
    ) -> tuple[list[tuple[float, Passage]], list[tuple[tuple[int, int], ...]], bool]:
        """The ``limit`` best passages with their highlight spans, and whether the time
        limit cut the search short. Plain words: the passages holding a query word
        in their own text (a highlight) come before those that match only through
        their article's title (a cookie notice under a headline that names the
        person asked about); the window of best passages widens until it holds
        ``limit`` (or ``need``) of the first kind, or all there are. Syntax names its fields.
        Without ``highlight`` (evaluation ranks a thousand passages a query and shows
        none) the postings say which passages hold a word, and the spans returned are
        only a mark of it."""
        # The page and a few more are searched, and widened only when title-only matches
        # take more than the spare places (56 of 200 BBC News queries at x10 hold one
        # in their first page); what was read stays read.
        read: dict[int, tuple[Passage, tuple[tuple[int, int], ...]]] = {}

        def page(top: list[tuple[float, int]]) -> tuple[list[tuple[float, Passage]], list[tuple[tuple[int, int], ...]]]:
            new = [docnum for _, docnum in top if docnum not in read]
            passages = [passage_from_fields(reading.stored_fields(docnum)) for docnum in new]
            if highlight or syntax:
                spans = highlight_all([p.text for p in passages], terms, self.settings.analyzer_name)
            else:
                own = _holding(reading, new, terms)
                spans = [_HOLDS if docnum in own else () for docnum in new]
            for docnum, passage, marks in zip(new, passages, spans):
                read[docnum] = (passage, marks)
            return [(score, read[docnum][0]) for score, docnum in top], [read[docnum][1] for _, docnum in top]

        window = limit + _SPARE
        while True:
            top, timed_out = self.top(reading, query, window, time_limit, allowed)
            passages, spans = page(top[:limit])
            if syntax or all(spans):
                return passages, spans, timed_out
            passages, spans = page(top)
            own = [i for i, marks in enumerate(spans) if marks]
            if len(own) >= (need or limit) or len(top) < window or timed_out or window >= MAX_LIMIT:
                order = own + [i for i, marks in enumerate(spans) if not marks]
                return [passages[i] for i in order][:limit], [spans[i] for i in order][:limit], timed_out
            window = min(window * _WIDENING, MAX_LIMIT)

    def top(
        self, reading: Reading, query: Any, limit: int, time_limit: float | None,
        allowed: Callable[[Any], AbstractSet[int] | None] | None = None,
    ) -> Top:
        """``[(score, docnum)]`` of the ``limit`` best distinct passages for a query
        (``Words`` or a parsed Whoosh query), and whether the time limit cut it short."""
        began = self._clock()
        deadline = None if time_limit is None else began + time_limit
        leaves = _leaves(query)
        exact = None if leaves is None else exact_top(reading, leaves, limit, deadline, self._clock, allowed)
        if exact is not None:
            return exact
        if allowed is not None:  # an index this does not score: filter all of its matches
            scored, timed_out = self.all_scores(reading, query, Narrowing({}), deadline)
            ranked = []
            for reader, base, scores in scored:
                keep = allowed(reader)
                ranked += [(score, base + doc) for doc, score in scores.items() if keep is None or doc in keep]
            return sorted(ranked, key=lambda item: (-item[0], item[1]))[:limit], timed_out
        from .syntax import collect_top, words_query

        if isinstance(query, Words):  # an index this does not score: Whoosh's matchers do
            query = words_query(query.leaves)
        # A quarter of the time at most goes to expanding prefix* and fuzzy~ words:
        # loading their postings takes about as long again, and the rest finds hits.
        expand_by = None if time_limit is None else began + time_limit / 4
        text_keys = lambda reader: _whoosh.column(reader, TEXT_KEY)  # noqa: E731
        return collect_top(reading.whoosh(), query, limit, deadline, text_keys, expand_by, self._clock)

    def grouped(
        self, reading: Reading, query: Words, terms: set[str], narrow: Narrowing,
        allowed: Callable[[Any], AbstractSet[int] | None] | None, limit: int, offset: int, time_limit: float | None,
    ) -> tuple[list[tuple[float, Passage]], list[tuple[tuple[int, int], ...]], list[tuple[str, ...]], int, int, bool] | None:
        """One hit per article by relevance, from the pruned top-k widened until the
        page holds enough articles (an article's best passage comes first in the
        plain ranking); then, from the postings' document numbers alone, how many
        articles match and each shown article's other matching passages (in their
        order in the article). None where the index has no article column."""
        window = (offset + limit) * 2  # articles have several matching passages
        while True:
            passages, spans, timed_out = self.own_text_first(
                reading, query, terms, window, time_limit, allowed, False, need=offset + limit
            )
            page: list[tuple[tuple[float, Passage], tuple[tuple[int, int], ...]]] = []
            shown: set[tuple[str, str]] = set()
            for item, marks in zip(passages, spans):
                key = (item[1].source, item[1].doc_id)
                if key not in shown:
                    shown.add(key)
                    page.append((item, marks))
                    if len(page) == offset + limit:
                        break
            # A title-only match on the page may stand before an article whose passage
            # with the words lies past the window: then the window must widen.
            full = len(page) == offset + limit and all(marks for _, marks in page)
            if full or len(passages) < window or timed_out or window >= MAX_LIMIT:
                break
            window = min(window * 4, MAX_LIMIT)
        page = page[offset:]
        leaves = _leaves(query)
        found = None if leaves is None else match_ids(reading, leaves)
        if found is None:
            return None
        wanted = {article_key(p.source, p.doc_id): [] for (_, p), _ in page}  # type: dict[int, list[int]]
        articles: set[int] = set()
        undated = 0
        for reader, base, docs in found:
            column = _whoosh.column(reader, ARTICLE_KEY)
            if column is None:
                return None
            if narrow.dated:
                undated += _overlap(docs, narrow.undated(reader))
            keep = narrow.passing(reader)
            if keep is not None:
                docs = docs.intersection(keep)
            keys = {doc: column[doc] for doc in docs}
            articles.update(keys.values())
            for doc, key in keys.items():
                if key in wanted:
                    wanted[key].append(base + doc)
        others = []
        for (_, passage), _ in page:
            ids = (reading.stored_fields(d)["passage_id"] for d in sorted(wanted[article_key(passage.source, passage.doc_id)]))
            others.append(tuple(i for i in ids if i != passage.passage_id))
        return [item for item, _ in page], [marks for _, marks in page], others, len(articles), undated, timed_out

    def article_page(
        self, reading: Any, parsed: Words, terms: set[str], narrow: Narrowing,
        find: Callable[[Sequence[Passage]], list[list[tuple[Copy, bool]]]], *, offset: int, limit: int,
        together: bool, time_limit: float | None, leave_out: Callable[[Passage], bool] | None,
    ) -> tuple[list[Any], bool, int, int] | None:
        """The page of one hit per article (``Ranker.grouped``, read wider until copies
        are merged), whether it timed out, and the articles and undated passages
        counted; None where the index has no article column."""
        allowed = narrow.passing if narrow.active else None
        counted: list[tuple[int, int]] = []

        def articles(n: int) -> tuple[list[Any], bool]:
            grouped = self.grouped(reading, parsed, terms, narrow, allowed, n, 0, time_limit)
            if grouped is None:
                raise _NoColumn
            best, spans, others, count, undated, timed_out = grouped
            counted.append((count, undated))
            return list(zip(best, spans, others)), timed_out

        try:
            page, timed_out = merge_copies(
                articles, lambda item: item[0][1], find, offset=offset, limit=limit, together=together,
                widest=MAX_LIMIT, leave_out=leave_out,
            )
        except _NoColumn:
            return None
        return page, timed_out, *counted[-1]

    def all_scores(self, reading: Reading, query: Any, narrow: Narrowing, deadline: float | None) -> tuple[list[Scored], bool]:
        """Every match of ``query`` with its score, segment by segment, and whether
        ``deadline`` cut it short; with no query (listing), every passage that
        passes the filters, scored 0."""
        if query is None:
            out: list[Scored] = []
            for reader, base in reading.reader().leaf_readers():
                allowed = narrow.allowed(reader)
                docs = reader.all_doc_ids() if allowed is None else sorted(allowed)
                out.append((reader, base, {doc: 0.0 for doc in docs if not reader.is_deleted(doc)}))
            return out, False
        leaves = _leaves(query)
        scored = None if leaves is None else all_scores(reading, leaves, deadline, self._clock)
        if scored is not None:
            return scored
        from .syntax import all_matches, words_query

        return all_matches(reading.whoosh(), words_query(query.leaves) if isinstance(query, Words) else query), False

    def count(self, reading: Reading, query: Any, narrow: Narrowing) -> tuple[int, int]:
        """How many passages match ``query`` and pass ``narrow``, and how many of
        those that pass its filters were left out by its dates for want of one."""
        leaves = _leaves(query)
        found = None if leaves is None else match_ids(reading, leaves)
        if found is None:
            scored, _ = self.all_scores(reading, query, Narrowing({}), None)
            found = [(reader, base, set(scores)) for reader, base, scores in scored]
        count = undated = 0
        for reader, _, docs in found:
            keep = narrow.passing(reader)
            count += len(docs) if keep is None else _overlap(docs, keep)
            if narrow.dated:
                undated += _overlap(docs, narrow.undated(reader))
        return count, undated


#: The spans ``_own_text_first`` gives a passage that holds a query word when it
#: is not asked to highlight (never shown: hits then carry no highlights).
_HOLDS = ((0, 0),)


class _NoColumn(Exception):
    """The index has no article column: grouping takes the arranged path."""


def _holding(reading: Reading, docnums: Sequence[int], terms: set[str]) -> set[int]:
    """Those of ``docnums`` whose own passage text holds one of the stems ``terms``,
    from the text field's postings, segment by segment."""
    segments = reading.reader().leaf_readers()
    starts = [base for _, base in segments]
    local: dict[int, set[int]] = {}
    for docnum in docnums:
        number = bisect.bisect_right(starts, docnum) - 1
        local.setdefault(number, set()).add(docnum - starts[number])
    found: set[int] = set()
    for number, docs in local.items():
        reader, base = segments[number]
        found.update(base + doc for doc in own_text(reader, docs, terms))
    return found


def _passing(reading: Reading, docnums: set[int], narrow: Narrowing) -> set[int]:
    """Those of ``docnums`` (numbers in the whole index) that pass ``narrow``: its
    sets are per segment, numbered from each segment's base."""
    kept: set[int] = set()
    for reader, base in reading.reader().leaf_readers():
        keep = narrow.passing(reader)
        end = base + reader.doc_count_all()
        inside = {d for d in docnums if base <= d < end}
        kept |= inside if keep is None else {d for d in inside if d - base in keep}
    return kept


def _copies(reading: Reading, key: int) -> int:
    """How many passages of the index have the text with text key ``key``."""
    count = 0
    for reader, _ in reading.reader().leaf_readers():
        keys = _whoosh.column(reader, TEXT_KEY)
        if keys is not None:
            count += sum(1 for doc, value in enumerate(keys) if value == key and not reader.is_deleted(doc))
    return count


def _overlap(a: AbstractSet[int], b: AbstractSet[int]) -> int:
    small, large = (a, b) if len(a) < len(b) else (b, a)
    return sum(1 for item in small if item in large)


def _leaves(query: Any) -> Sequence[Leaf] | None:
    """The ``(field, word, boost)`` clauses of an OR of words, or None for a query
    only Whoosh's matchers can run."""
    if isinstance(query, Words):
        return query.leaves
    from .syntax import term_leaves

    return term_leaves(query)


def holding_all(reading: Reading, stems: Sequence[str], rarest: int | None, narrow: Narrowing | None) -> list[Passage]:
    """Every passage whose text holds all of ``stems``, in index order (``Searcher.passages_with``)."""
    wanted = list(dict.fromkeys(stems))
    wanted.sort(key=lambda s: reading.doc_frequency("text", s))
    docnums: set[int] | None = None
    for stem in wanted[:rarest] if rarest else wanted:
        if reading.doc_frequency("text", stem) == 0:
            return []
        ids = set(reading.reader().postings("text", stem).all_ids())
        docnums = ids if docnums is None else docnums & ids
        if not docnums:
            return []
    if narrow is not None and narrow.active:
        docnums = _passing(reading, docnums or set(), narrow)
    return [passage_from_fields(reading.stored_fields(d)) for d in sorted(docnums or ())]

