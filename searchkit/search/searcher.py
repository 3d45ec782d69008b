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

import contextlib
import dataclasses
import os
import threading
import time
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from ..analysis import analyzer
from ..errors import IndexMismatchError, PassageNotFoundError, QueryError, shown
from ..index import Index, open_index
from ..models import Copy, Hit, Passage, PassageContext, SearchResults
from ..schema import passage_from_fields, text_key
from ..settings import LIBRARY_LIMITS, Settings, check_limit, check_query
from . import feedback
from .copies import COPIES, copies_of, merge_copies
from .failures import not_the_query
from .filters import MAX_FACET_VALUES, Narrowing, arrange, checked_options, narrowing
from .highlight import highlight_all
from .query import Words, plain_query, similar_query, with_variants
from .ranking import MAX_LIMIT, Ranker, _copies, holding_all
from .reading import Readings
from .scoring import weighting

__all__ = ["Searcher", "MAX_QUERY_CHARS", "MAX_LIMIT"]

MAX_QUERY_CHARS = LIBRARY_LIMITS.max_query_chars


class Searcher:
    """Searches one index; thread-safe (each thread gets its own reader of the index).

    ``settings`` overrides the ranking (query-time) settings; the index-time ones
    always come from the index. ``clock`` is the monotonic clock time limits are
    read from (for tests, and for hosts with a clock of their own).
    """

    def __new__(cls, index: Any, *args: Any, **kwargs: Any) -> "Searcher":
        # A sharded index gets a searcher that fans each query out to its shards.
        if cls is Searcher and _is_sharded(index):
            from .sharded import ShardedSearcher

            return super().__new__(ShardedSearcher)
        return super().__new__(cls)

    def __init__(
        self,
        index: Index | str | os.PathLike[str],
        settings: Settings | None = None,
        *,
        close_index: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        dask: str | None = None,
        partial: bool = False,
    ) -> None:
        # A sharded index goes to ShardedSearcher (``__new__``): these options are its own.
        if dask is not None:
            raise IndexMismatchError(
                f"the index at {getattr(index, 'path', index)} is not sharded: searching on Dask needs "
                "a sharded index (searchkit index --rebuild --shards N)"
            )
        # Close the index with the searcher when this searcher opened it (or is told to).
        self._owns_index = not isinstance(index, Index) if close_index is None else close_index
        self.index = index if isinstance(index, Index) else open_index(index)
        base = self.index.settings
        if settings is not None:
            base = settings.with_changes(**base.index_time())
        self.settings = base
        self._clock = clock
        self._readings = Readings(self.index, lambda: weighting(self.settings))
        self._ranker = Ranker(self.settings, clock)
        self._analyzer = analyzer(self.settings.analyzer_name)
        self._shard = threading.local()

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

    @contextlib.contextmanager
    def _held(self) -> Iterator[Any]:
        """This thread's reading of the index, held for one use; while this thread
        searches as one shard of a sharded index, seen through the whole index's
        statistics (``sharded.GlobalView``)."""
        with self._readings.held() as reading:
            stats = getattr(self._shard, "stats", None)
            if stats is None:
                yield reading
            else:
                from .statistics import GlobalView

                yield GlobalView(reading, stats)

    @contextlib.contextmanager
    def _as_shard(self, stats: Any) -> Iterator[None]:
        """Search as one shard of a sharded index: with the whole index's statistics
        (``statistics.Statistics``), scores unrounded, which passages hold a query
        word kept in their marks, and facets counted in full (the caller merges)."""
        self._shard.stats = stats
        try:
            yield
        finally:
            self._shard.stats = None

    def _is_shard(self) -> bool:
        return getattr(self._shard, "stats", None) is not None

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
        if self.settings.variant_weight > 0 and isinstance(query, Words):
            query = self._with_variants(query)
            terms = terms | set(query.variants.of)
        if self.settings.feedback_docs > 0 and self.settings.feedback_terms > 0:
            with self._held() as reading:
                query = feedback.expand(query, reading, self.settings, self._ranker.top)
        return query, terms

    def _with_variants(self, query: Words) -> Words:
        """``query`` with the close spellings of its rare words, weighed
        ``variant_weight`` times the word (``Words.variants`` says which)."""
        from .variants import find_variants  # here: only plain words take variants

        body = "content" if self.settings.one_field else "text"
        terms = [term for field, term, _ in query.leaves if field == body]
        with self._held() as reading:
            found = find_variants(
                reading.reader(), body, terms, reading.doc_count_all(), lambda term: reading.doc_frequency(body, term)
            )
        return with_variants(query, found, self.settings)

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
        where: Mapping[str, Any] | Iterable[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        group_by: str | None = None,
        sort: str = "relevance",
        facets: Sequence[str] | str = (),
        offset: int = 0,
        total: bool = False,
        copies: str = "together",
    ) -> SearchResults:
        """The ``limit`` best passages for ``query``, best first.

        Narrowing and arranging (all computed over every match, not one page):

        * ``where``: ``{field: value or [values]}`` or ``["field=value", ...]``;
          fields ``author``, ``publisher``, ``kind``, ``doc_id``, ``source`` (a glob
          such as ``web/*``) and any metadata key; several values of one field are
          ORed, different fields ANDed; names compare without case.
        * ``since`` / ``until``: inclusive ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``;
          undated passages are then left out and counted in ``undated``.
        * ``group_by="article"``: one hit per article (its best passage), with
          ``group_count`` and ``also``; ``total`` and facets then count articles.
        * ``sort``: ``relevance``, ``date`` (oldest first) or ``-date`` (newest
          first); undated last.
        * ``facets``: names (``publisher``, ``author``, ``kind``, ``year``,
          ``month``, ``source``, ``doc_id`` or a metadata key): value counts.
        * ``offset``: where the page starts; pages of one index generation never
          repeat or skip a hit.
        * ``total=True`` counts the matches (any of the above counts them too).
        * ``copies="together"`` (the default): near-identical passages (wire copy
          republished with small edits, ``Settings.copies_threshold``) are one hit,
          the best, with the others in ``Hit.copies``, earliest first;
          ``"separate"``: each is a hit of its own. Passages with the same text
          are one hit either way (``copies`` lists their other locations).
          ``"none"``: as separate, and no copies are looked up (``Hit.copies``
          stays empty: ranking alone, as evaluation needs it, at no cost).
          ``total`` and facets count every matching passage, copies included.

        An empty ``query`` with a filter or date bound lists every passage that
        passes, newest first.

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
        narrow = narrowing(where, since, until)
        browse = isinstance(query, str) and not query.strip() and narrow.active
        if browse:
            check_limit(limit, LIBRARY_LIMITS)
        else:
            check_query(query, limit, LIBRARY_LIMITS)
        parse = None if browse else (lambda: self._syntax_query(query) if syntax else self._plain_query(query))
        return self._run(
            query, parse, narrow, syntax=syntax, limit=limit, offset=offset, group_by=group_by, sort=sort,
            facets=facets, query_id=query_id, highlight=highlight, time_limit=time_limit, total=total, copies=copies,
        )

    def similar(
        self,
        passage_id: str,
        *,
        limit: int = 10,
        where: Mapping[str, Any] | Iterable[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        group_by: str | None = None,
        sort: str = "relevance",
        facets: Sequence[str] | str = (),
        offset: int = 0,
        total: bool = False,
        highlight: bool = True,
        time_limit: float | None = None,
        copies: str = "together",
    ) -> SearchResults:
        """The passages most like passage ``passage_id`` (by its most distinctive
        words), the passage itself and its exact copies left out; the options are
        ``search``'s. Raises ``PassageNotFoundError`` for an unknown id."""
        check_limit(limit, LIBRARY_LIMITS)
        narrow = narrowing(where, since, until)
        source = self.show(passage_id).passage

        def parse() -> tuple[Any, set[str]]:
            body = "content" if self.settings.one_field else "text"
            with self._held() as reading:
                return similar_query(source.text, self.settings, self._stems, lambda stem: reading.idf(body, stem))

        # One more than the pages asked for: the passage itself (its copies are one hit).
        found = self._run(
            f"similar:{passage_id}", parse, narrow, syntax=False, limit=min(offset + limit + 1, MAX_LIMIT), offset=0,
            group_by=group_by, sort=sort, facets=facets, query_id=None, highlight=highlight, time_limit=time_limit,
            total=total, copies=copies, leave_out=lambda p: p.passage_id == passage_id or p.text == source.text,
        )
        others = [hit for hit in found.hits if hit.text != source.text and hit.passage_id != passage_id]
        hits = tuple(dataclasses.replace(hit, rank=rank) for rank, hit in enumerate(others[offset : offset + limit], offset + 1))
        count = found.total
        if count is not None:
            count -= self._text_copies(source.text) if group_by is None else 1
        return dataclasses.replace(found, hits=hits, total=count, offset=offset)

    def _copies_finder(
        self, reading: Any, narrow: Narrowing, copies: str
    ) -> Callable[[Sequence[Passage]], list[list[tuple[Copy, bool]]]]:
        """``merge_copies``'s ``find``: each passage's copies that pass ``narrow``;
        none for ``copies="none"``, or as a shard of a sharded index (the searcher
        of the whole finds them in every shard)."""
        if copies == "none" or self._is_shard():
            return lambda passages: [[] for _ in passages]
        return lambda passages: copies_of(reading, passages, narrow, self.settings.copies_threshold)

    def _text_copies(self, text: str) -> int:
        """How many passages of the index have ``text`` word for word."""
        with self._held() as reading:
            return _copies(reading, text_key(text))

    def _run(
        self, query: str, parse: Callable[[], tuple[Any, set[str]]] | None, narrow: Narrowing, *, syntax: bool,
        limit: int, offset: int, group_by: str | None, sort: str, facets: Sequence[str] | str,
        query_id: str | None, highlight: bool, time_limit: float | None, total: bool, copies: str = "together",
        leave_out: Callable[[Passage], bool] | None = None,
    ) -> SearchResults:
        """A search once its query is known: ``parse`` gives the query plan and the
        stems to highlight (None: list what passes the filters)."""
        facet_names = checked_options(sort, group_by, offset, facets)
        if copies not in COPIES:
            raise QueryError(f"copies {copies!r} is not one of {', '.join(COPIES)}; pick one")
        # A shard of a sharded index merges no copies: the searcher of the whole does.
        shard = self._is_shard()
        together = copies == "together" and not shard
        arranged = dict(
            syntax=syntax, limit=limit, offset=offset, group_by=group_by,
            sort="-date" if parse is None and sort == "relevance" else sort, facets=facet_names,
            query_id=query_id, highlight=highlight, time_limit=time_limit, together=together, leave_out=leave_out,
            copies=copies,
        )
        if parse is None or sort != "relevance" or facet_names:
            return self._arranged(query, narrow, parse, **arranged)
        with not_the_query(self.index.path):
            parsed, terms = parse()
            if (narrow.active or offset or group_by) and not isinstance(parsed, Words):
                # Whoosh's matchers cannot skip what filters leave out
                return self._arranged(query, narrow, lambda: (parsed, terms), **arranged)
            allowed = narrow.passing if narrow.active else None
            with self._held() as reading:
                find = self._copies_finder(reading, narrow, copies)
                if group_by:
                    grouped = self._ranker.article_page(
                        reading, parsed, terms, narrow, find, offset=offset, limit=limit, together=together,
                        time_limit=time_limit, leave_out=leave_out,
                    )
                    if grouped is None:  # an index without the article column
                        return self._arranged(query, narrow, lambda: (parsed, terms), **arranged)
                    page, timed_out, count, undated = grouped
                else:
                    def passages(n: int) -> tuple[list[Any], bool]:
                        found, spans, timed_out = self._ranker.own_text_first(
                            reading, parsed, terms, n, time_limit, allowed, syntax, highlight=highlight
                        )
                        return [(item, marks, None) for item, marks in zip(found, spans)], timed_out

                    page, timed_out = merge_copies(
                        passages, lambda item: item[0][1], find, offset=offset, limit=limit, together=together,
                        widest=MAX_LIMIT, leave_out=leave_out,
                    )
                    count, undated = self._ranker.count(reading, parsed, narrow) if total or narrow.active or offset else (None, 0)
        hits = []
        for rank, (((score, passage), marks, also), found) in enumerate(page, offset + 1):
            hit = _hit(rank, score, passage, marks if highlight or shard else (), found, exact=shard)
            hits.append(hit if also is None else dataclasses.replace(hit, group_count=len(also) + 1, also=also))
        return self._explained(parsed, SearchResults(
            query=query, hits=tuple(hits), timed_out=timed_out, query_id=query_id, total=count, offset=offset, undated=undated
        ))


    def _arranged(
        self, query: str, narrow: Narrowing, parse: Callable[[], tuple[Any, set[str]]] | None, *, syntax: bool,
        limit: int, offset: int, group_by: str | None, sort: str, facets: tuple[str, ...], query_id: str | None,
        highlight: bool, time_limit: float | None, together: bool = True, copies: str = "together",
        leave_out: Callable[[Passage], bool] | None = None,
    ) -> SearchResults:
        """A search narrowed, counted, grouped, sorted or paged: every match is scored,
        then ``filters.arrange`` makes the page. Past ``time_limit`` the passages
        scored by then are arranged (``timed_out``: counts are then lower bounds)."""
        deadline = None if time_limit is None else self._clock() + time_limit
        shard = self._is_shard()
        with not_the_query(self.index.path):
            parsed, terms = (None, set()) if parse is None else parse()
            with self._held() as reading:
                scored, timed_out = self._ranker.all_scores(reading, parsed, narrow, deadline)
                made: list[Any] = []

                def fetch(n: int) -> tuple[list[tuple[float, Passage, tuple[str, ...] | None]], bool]:
                    # From the top each time: the page is cut after copies are merged.
                    made[:] = [arrange(
                        reading, scored, narrow, sort=sort, group_by=group_by, facets=facets, offset=0, limit=n,
                        text_terms=set() if syntax else terms, facet_values=None if shard else MAX_FACET_VALUES,
                    )]
                    out = []
                    for score, docnum, also in made[0].page:
                        others = None if also is None else tuple(reading.stored_fields(d)["passage_id"] for d in also)
                        out.append((score, passage_from_fields(reading.stored_fields(docnum)), others))
                    return out, timed_out

                page, _ = merge_copies(
                    fetch, lambda item: item[1], self._copies_finder(reading, narrow, copies),
                    offset=offset, limit=limit, together=together, widest=MAX_LIMIT, leave_out=leave_out,
                )
                arranged = made[0]
        found = [item for item, _ in page]
        spans = highlight_all([p.text for _, p, _ in found], terms if highlight or shard else set(), self.settings.analyzer_name)
        hits = []
        for rank, ((score, passage, others), marks, (_, copies)) in enumerate(zip(found, spans, page), offset + 1):
            hit = _hit(rank, score, passage, marks, copies, exact=shard)
            if others is not None:
                hit = dataclasses.replace(hit, group_count=len(others) + 1, also=others)
            hits.append(hit)
        return self._explained(parsed, SearchResults(
            query=query, hits=tuple(hits), timed_out=timed_out, query_id=query_id, total=arranged.total, offset=offset,
            undated=arranged.undated, facets={name: tuple(values) for name, values in arranged.facets.items()},
        ))

    def _explained(self, parsed: Any, results: SearchResults) -> SearchResults:
        """``results`` with what close spellings did to the query (``variants.explain``)."""
        variants = getattr(parsed, "variants", None)
        if variants is None or not (variants.of or variants.suggestion):
            return results
        from .variants import explain  # here: most queries take no variants

        return explain(results, variants, self._stems)  # type: ignore[no-any-return]


    def search_batch(
        self,
        queries: Iterable[str | tuple[str, str]],
        *,
        limit: int = 10,
        syntax: bool = False,
        time_limit: float | None = None,
        **options: Any,
    ) -> list[SearchResults]:
        """Run many queries with one searcher. Each item is a query or ``(query_id, query)``;
        ``options`` are ``search``'s (``where``, ``since``, ``group_by``, ...), for every query."""
        out = []
        for number, item in enumerate(queries, 1):
            query_id, text = item if isinstance(item, tuple) else (str(number), item)
            out.append(self.search(text, limit=limit, syntax=syntax, time_limit=time_limit, query_id=query_id, **options))
        return out

    def show(self, passage_id: str) -> PassageContext:
        """The passage with id ``passage_id`` and its neighbours in the same article."""
        with not_the_query(self.index.path):
            with self._held() as reading:
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
            with self._held() as reading:
                found = [passage_from_fields(f) for f in reading.whoosh().documents(doc_id=doc_id)]
        return sorted((p for p in found if source is None or p.source == source), key=lambda p: p.ordinal)

    def passages_with(
        self, stems: Sequence[str], *, rarest: int | None = None, narrow: Narrowing | None = None
    ) -> list[Passage]:
        """Every passage whose text holds all of ``stems`` (analysed words, as
        ``analysis.analyzer`` makes them), in index order; no two alike are merged.

        ``rarest`` reads only that many of the least frequent stems' postings: a
        common word's list is long and adds little (the caller checks the text).
        ``narrow`` keeps only the passages that pass its filters and date bounds."""
        with not_the_query(self.index.path):
            with self._held() as reading:
                return holding_all(reading, stems, rarest, narrow)


def _is_sharded(index: Any) -> bool:
    if isinstance(index, (str, os.PathLike)):
        from ..index.layout import is_sharded  # loaded already: opening an index reads the same file

        return is_sharded(index)
    if isinstance(index, (Index, Searcher)):
        return False
    from ..index.shards import ShardedIndex  # loaded already: the caller has one

    return isinstance(index, ShardedIndex)


def _hit(
    rank: int, score: float, passage: Passage, highlights: tuple[tuple[int, int], ...], copies: tuple[Copy, ...] = (),
    exact: bool = False,
) -> Hit:
    return Hit(
        rank=rank,
        score=float(score) if exact else round(float(score), 6),
        highlights=highlights,
        copies=copies,
        **{f.name: getattr(passage, f.name) for f in dataclasses.fields(passage)},
    )
