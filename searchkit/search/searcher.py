"""Run queries against an index and return ranked, cited, highlighted passages.

Two ways to read a query:

* plain words (the default): the query is cut into words with the index's own
  analyzer, so nothing in it is syntax; English function words are dropped unless
  nothing else is left; passages matching any word are ranked by BM25F over the
  passage text and the article title, so a question finds its answer.
* syntax (``syntax=True``): Whoosh's query language: AND/OR/NOT, "phrases",
  field:value, prefix*, fuzzy~ (words are ANDed unless OR is written).

Hits are copied out of Whoosh into frozen ``Hit`` records before the searcher is
released; no two hits of one list carry the same text.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any, Callable, Iterable, Sequence

from ..analysis import analyzer
from ..errors import PassageNotFoundError, shown
from ..index import Index, ensure_index, open_index
from ..models import Hit, Passage, PassageContext, SearchResults
from ..schema import TEXT_KEY, passage_from_fields
from ..settings import LIBRARY_LIMITS, Settings, check_query
from . import _whoosh, feedback
from .failures import not_the_query
from .highlight import highlight_all
from .query import Words, plain_query
from .reading import Reading, Readings
from .scoring import Leaf, Top, exact_top, weighting

__all__ = ["Searcher", "search", "search_batch", "show", "open_searcher", "MAX_QUERY_CHARS", "MAX_LIMIT"]

MAX_QUERY_CHARS = LIBRARY_LIMITS.max_query_chars
MAX_LIMIT = LIBRARY_LIMITS.max_limit


class Searcher:
    """Searches one index; thread-safe (each thread gets its own reader of the index).

    ``settings`` overrides the ranking (query-time) settings; the index-time ones
    always come from the index. ``clock`` is the monotonic clock time limits are
    read from (for tests, and for hosts with a clock of their own).
    """

    def __init__(
        self,
        index: Index | str | os.PathLike[str],
        settings: Settings | None = None,
        *,
        close_index: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Close the index with the searcher when this searcher opened it (or is told to).
        self._owns_index = not isinstance(index, Index) if close_index is None else close_index
        self.index = index if isinstance(index, Index) else open_index(index)
        base = self.index.settings
        if settings is not None:
            base = settings.with_changes(**base.index_time())
        self.settings = base
        self._clock = clock
        self._readings = Readings(self.index, lambda: weighting(self.settings))
        self._analyzer = analyzer(self.settings.analyzer_name)

    def __enter__(self) -> "Searcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every thread's reader, and the index if this searcher opened it."""
        try:
            self._readings.close()
        finally:
            if self._owns_index:
                self.index.close()

    def _searcher(self) -> Any:
        """This thread's Whoosh searcher (over its reading of the index, not held)."""
        return self._readings.current().whoosh()

    # --- queries -------------------------------------------------------------------

    def _stems(self, text: str) -> list[str]:
        return [t.text for t in self._analyzer(text)]

    def _plain_query(self, text: str) -> tuple[Any, set[str]]:
        """Plain words: ``Words`` (an OR of words, scored by ``exact_top``), or a
        Whoosh query where proximity or feedback adds clauses of other kinds."""
        query, terms = plain_query(text, self.settings, self._stems)
        if self.settings.feedback_docs > 0 and self.settings.feedback_terms > 0:
            with self._readings.held() as reading:
                query = feedback.expand(query, reading, self.settings, self._top)
        return query, terms

    def _syntax_query(self, text: str) -> tuple[Any, set[str]]:
        from .syntax import parse_syntax

        return parse_syntax(text, self.index.whoosh.schema, shown(text))

    # --- public API ----------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        syntax: bool = False,
        time_limit: float | None = None,
        query_id: str | None = None,
        highlight: bool = True,
    ) -> SearchResults:
        """The ``limit`` best passages for ``query``, best first.

        ``highlight=False`` leaves ``Hit.highlights`` empty (evaluation ranks
        thousands of hits and never shows them).

        ``time_limit`` (seconds) stops a slow search and returns the hits found so
        far with ``timed_out=True``; it bounds the expansion of prefix* and fuzzy~
        words too (to a quarter of it: the words expanded by then are searched).

        Raises ``QueryError`` for a query that cannot be parsed or run, and
        ``SearchUnavailableError`` when the search fails for want of open files or
        memory, cannot read the index files, or fails inside searchkit: not the
        query's fault; retry later.
        """
        check_query(query, limit, LIBRARY_LIMITS)
        with not_the_query(self.index.path):
            parsed, terms = self._syntax_query(query) if syntax else self._plain_query(query)
            with self._readings.held() as reading:
                top, timed_out = self._top(reading, parsed, limit, time_limit)
                passages = [(score, passage_from_fields(reading.stored_fields(docnum))) for score, docnum in top]
        spans = highlight_all([p.text for _, p in passages], terms if highlight else set(), self.settings.analyzer_name)
        hits = [_hit(rank, score, passage, found) for rank, ((score, passage), found) in enumerate(zip(passages, spans), 1)]
        return SearchResults(query=query, hits=tuple(hits), timed_out=timed_out, query_id=query_id)

    def _top(self, reading: Reading, query: Any, limit: int, time_limit: float | None) -> Top:
        """``[(score, docnum)]`` of the ``limit`` best distinct passages for a query
        (``Words`` or a parsed Whoosh query), and whether the time limit cut it short."""
        began = self._clock()
        deadline = None if time_limit is None else began + time_limit
        if isinstance(query, Words):
            leaves: Sequence[Leaf] | None = query.leaves
        else:
            from .syntax import term_leaves

            leaves = term_leaves(query)
        exact = None if leaves is None else exact_top(reading, leaves, limit, deadline, self._clock)
        if exact is not None:
            return exact
        from .syntax import collect_top, words_query

        if isinstance(query, Words):  # an index this does not score: Whoosh's matchers do
            query = words_query(query.leaves)
        # A quarter of the time at most goes to expanding prefix* and fuzzy~ words:
        # loading their postings takes about as long again, and the rest finds hits.
        expand_by = None if time_limit is None else began + time_limit / 4
        text_keys = lambda reader: _whoosh.column(reader, TEXT_KEY)  # noqa: E731
        return collect_top(reading.whoosh(), query, limit, deadline, text_keys, expand_by, self._clock)

    def search_batch(
        self,
        queries: Iterable[str | tuple[str, str]],
        *,
        limit: int = 10,
        syntax: bool = False,
        time_limit: float | None = None,
    ) -> list[SearchResults]:
        """Run many queries with one searcher. Each item is a query or ``(query_id, query)``."""
        out = []
        for number, item in enumerate(queries, 1):
            query_id, text = item if isinstance(item, tuple) else (str(number), item)
            out.append(self.search(text, limit=limit, syntax=syntax, time_limit=time_limit, query_id=query_id))
        return out

    def show(self, passage_id: str) -> PassageContext:
        """The passage with id ``passage_id`` and its neighbours in the same article."""
        with not_the_query(self.index.path):
            with self._readings.held() as reading:
                searcher = reading.whoosh()
                fields = searcher.document(passage_id=passage_id)
                if fields is None:
                    # Not the index's path: the message goes to whoever asked the server.
                    raise PassageNotFoundError(
                        f"no passage with id {passage_id!r} in this index; "
                        "take an id from search results (the index may have been rebuilt since)"
                    )
                passage = passage_from_fields(fields)
                neighbours = {
                    f["ordinal"]: passage_from_fields(f)
                    for f in searcher.documents(doc_id=passage.doc_id)
                    if f["source"] == passage.source and abs(f["ordinal"] - passage.ordinal) == 1
                }
        return PassageContext(passage, neighbours.get(passage.ordinal - 1), neighbours.get(passage.ordinal + 1))

    def highlights(self, text: str, terms: set[str]) -> tuple[tuple[int, int], ...]:
        """Spans of ``text`` whose words stem to one of ``terms``."""
        return highlight_all([text], terms, self.settings.analyzer_name)[0]

    # --- every passage, not the best (verify, kwic) -------------------------------

    def passages_of(self, doc_id: str, source: str | None = None) -> list[Passage]:
        """Every passage of one article (of ``source`` too, when given), in order."""
        with not_the_query(self.index.path):
            with self._readings.held() as reading:
                found = [passage_from_fields(f) for f in reading.whoosh().documents(doc_id=doc_id)]
        return sorted((p for p in found if source is None or p.source == source), key=lambda p: p.ordinal)

    def passages_with(self, stems: Sequence[str], *, rarest: int | None = None) -> list[Passage]:
        """Every passage whose text holds all of ``stems`` (analysed words, as
        ``analysis.analyzer`` makes them), in index order; no two alike are merged.

        ``rarest`` reads only that many of the least frequent stems' postings: a
        common word's list is long and adds little (the caller checks the text)."""
        wanted = list(dict.fromkeys(stems))
        if not wanted:
            return []
        with not_the_query(self.index.path):
            with self._readings.held() as reading:
                wanted.sort(key=lambda s: reading.doc_frequency("text", s))
                docnums: set[int] | None = None
                for stem in wanted[:rarest] if rarest else wanted:
                    if reading.doc_frequency("text", stem) == 0:
                        return []
                    ids = set(reading.reader().postings("text", stem).all_ids())
                    docnums = ids if docnums is None else docnums & ids
                    if not docnums:
                        return []
                return [passage_from_fields(reading.stored_fields(d)) for d in sorted(docnums or ())]


def _hit(rank: int, score: float, passage: Passage, highlights: tuple[tuple[int, int], ...]) -> Hit:
    return Hit(
        rank=rank,
        score=round(float(score), 6),
        highlights=highlights,
        **{f.name: getattr(passage, f.name) for f in dataclasses.fields(passage)},
    )


def search(
    query: str,
    *,
    index: str | os.PathLike[str] = "index",
    corpus: str | os.PathLike[str] | None = None,
    limit: int = 10,
    syntax: bool = False,
    settings: Settings | None = None,
    time_limit: float | None = None,
) -> SearchResults:
    """Search the index in ``index`` (building it from ``corpus`` first if there is none).

    ``time_limit`` (seconds) returns the hits found by then, with ``timed_out=True``."""
    with Searcher(ensure_index(index, corpus), settings, close_index=True) as searcher:
        return searcher.search(query, limit=limit, syntax=syntax, time_limit=time_limit)


def search_batch(
    queries: Sequence[str | tuple[str, str]],
    *,
    index: str | os.PathLike[str] = "index",
    corpus: str | os.PathLike[str] | None = None,
    limit: int = 10,
    syntax: bool = False,
    settings: Settings | None = None,
    time_limit: float | None = None,
) -> list[SearchResults]:
    """``search`` for many queries; each item is a query or ``(query_id, query)``."""
    with Searcher(ensure_index(index, corpus), settings, close_index=True) as searcher:
        return searcher.search_batch(queries, limit=limit, syntax=syntax, time_limit=time_limit)


def show(passage_id: str, *, index: str | os.PathLike[str] = "index") -> PassageContext:
    """A passage by id, with its neighbours and citation."""
    with Searcher(index) as searcher:
        return searcher.show(passage_id)


def open_searcher(index: Index | Searcher | str | os.PathLike[str]) -> Searcher:
    """``index`` as a ``Searcher``, for front-ends (server, MCP, retrievers): one given
    is shared as it is; an ``Index`` or a folder gets a ``Searcher`` of its own,
    which the caller closes (``searcher is not index`` tells it so)."""
    return index if isinstance(index, Searcher) else Searcher(index)
