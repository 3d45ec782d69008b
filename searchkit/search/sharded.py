"""Search a sharded index: every shard scores with the whole index's statistics,
and the shards' pages are merged into the page one index would give.

A query runs in rounds, each sent to every shard at once:

1. statistics: each shard counts the query's words (``ShardService.statistics``;
   for syntax, the words its prefix* and fuzzy~ expand to), and the counts are
   added up (``statistics.combine``); a rare word's close spellings come from
   every shard's vocabulary, chosen with the summed counts;
2. search: each shard runs the query as an index of its own would, scoring with
   those sums, and returns its first ``offset + limit`` hits with exact scores;
3. merge: the pages are merged in the order one index uses (passages with a
   query word of their own first, then score; or date), one hit per text; counts
   and facets are summed.

A ``ShardService`` serves one shard: in this process (a thread per shard), or
as a Dask actor on a worker that keeps its shard open between queries
(``cluster.py``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator, Mapping, NamedTuple, Sequence

from ..analysis import analyzer
from ..errors import PassageNotFoundError, QueryError
from ..models import Copy, Hit, Passage, PassageContext, SearchResults
from ..schema import date_number, text_key
from ..settings import Settings
from .copies import COPIES, copies_of, copy_order, merge_copies
from .filters import MAX_FACET_VALUES, Narrowing, checked_options
from .query import Words, plain_query, with_variants
from .scoring import weighting
from .ranking import MAX_LIMIT, _leaves
from .searcher import Searcher
from .statistics import Statistics, combine, local_statistics

__all__ = ["ShardedSearcher", "ShardService"]


class ShardService:
    """One shard's side of a sharded search (a Dask actor, or called in a thread)."""

    def __init__(self, index: Any, settings: Settings | None = None) -> None:
        self.searcher = Searcher(index, settings)

    def close(self) -> None:
        self.searcher.close()

    def passage_count(self) -> int:
        return int(self.searcher.index.passage_count())

    def statistics(self, words: Sequence[tuple[str, str]]) -> Statistics:
        with self.searcher._readings.held() as reading:
            return local_statistics(reading, words)

    def syntax_statistics(self, query: str) -> Statistics:
        """The statistics of every word a syntax query scores in this shard."""
        parsed, _ = self.searcher._syntax_query(query)
        with self.searcher._readings.held() as reading:
            words = {(name, word) for name, word in parsed.iter_all_terms(phrases=True)}
            words |= set(parsed.existing_terms(reading.reader(), phrases=True, expand=True))
            return local_statistics(reading, words)

    def close_spellings(self, terms: Sequence[str], fieldname: str) -> dict[str, list[tuple[int, str]]]:
        from .variants import close_spellings

        with self.searcher._readings.held() as reading:
            return {term: close_spellings(reading.reader(), fieldname, term) for term in terms}

    def search(self, request: Mapping[str, Any], stats: Statistics) -> SearchResults:
        """Run a search as this shard's part of the whole (``ShardedSearcher._search``)."""
        searcher = self.searcher
        query, plan, terms, syntax = request["query"], request["plan"], request["terms"], request["syntax"]
        narrow = request["narrow"]
        if request["browse"]:
            parse = None
        elif syntax:
            parse = lambda: searcher._syntax_query(query)  # noqa: E731
        else:
            parse = lambda: (plan, terms)  # noqa: E731
        with searcher._as_shard(stats):
            return searcher._run(
                query, parse, narrow, syntax=syntax, limit=request["limit"], offset=0, group_by=request["group_by"],
                sort=request["sort"], facets=request["facets"], query_id=request["query_id"], highlight=True,
                time_limit=request["time_limit"], total=request["total"],
            )

    def show(self, passage_id: str) -> PassageContext | None:
        try:
            return self.searcher.show(passage_id)
        except PassageNotFoundError:
            return None

    def passages_of(self, doc_id: str, source: str | None = None) -> list[Passage]:
        return self.searcher.passages_of(doc_id, source)

    def passages_with(self, stems: Sequence[str], rarest: int | None, narrow: Any) -> list[Passage]:
        return self.searcher.passages_with(stems, rarest=rarest, narrow=narrow)

    def copies_of(self, passages: Sequence[Passage], narrow: Narrowing) -> list[list[tuple[Copy, bool]]]:
        """Each passage's copies in this shard (``copies.copies_of``)."""
        with self.searcher._readings.held() as reading:
            return copies_of(reading, passages, narrow, self.searcher.settings.copies_threshold)

    def copies(self, text: str) -> int:
        from .ranking import _copies

        with self.searcher._readings.held() as reading:
            return _copies(reading, text_key(text))


class _Totals:
    """The whole index's counts, as a Whoosh weighting's ``idf`` asks a searcher for them."""

    def __init__(self, stats: Statistics, weighting: Any) -> None:
        self.stats = stats
        self.weighting = weighting

    def idf(self, fieldname: str, text: str) -> float:
        return float(self.weighting.idf(self, fieldname, text))

    def get_parent(self) -> "_Totals":
        return self

    def doc_count_all(self) -> int:
        return self.stats.doc_count

    def doc_frequency(self, fieldname: str, text: str) -> int:
        return self.stats.frequencies.get((fieldname, text), 0)


class ShardedSearcher(Searcher):
    """Searches a sharded index (``index.shards``) with the results one index of the
    same corpus would give; ``Searcher(path)`` makes one for a sharded folder.

    Without ``dask`` each query goes to every shard at once in a thread of this
    process; with ``dask`` (a scheduler address, ``local`` or ``local:W``) to actors
    on the workers, each keeping its shard open. A shard that is missing or cannot
    be opened raises ``IndexDamagedError`` naming it, unless ``partial=True``: then
    the others are searched and every result says which shards it lacks
    (``SearchResults.missing_shards``).
    """

    def __init__(
        self,
        index: Any,
        settings: Settings | None = None,
        *,
        close_index: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        dask: str | None = None,
        partial: bool = False,
    ) -> None:
        from ..index import open_index
        from ..index.shards import ShardedIndex

        self._owns_index = not isinstance(index, ShardedIndex) if close_index is None else close_index
        self.index = index if isinstance(index, ShardedIndex) else open_index(index, partial=partial)
        base = self.index.settings
        if settings is not None:
            base = settings.with_changes(**base.index_time())
        self.settings = base
        self._clock = clock
        self._analyzer = analyzer(self.settings.analyzer_name)
        self._shard = threading.local()
        self._missing = tuple(m.path for m in self.index.missing)
        self._pool: ThreadPoolExecutor | None = None
        self._cluster: Any = None
        if dask is not None:
            from ..cluster import ShardActors

            self._cluster = ShardActors(dask, [str(shard.path) for shard in self.index.shards], settings)
            self._services: list[Any] = []
        else:
            self._services = [ShardService(shard, settings) for shard in self.index.shards]
            self._pool = ThreadPoolExecutor(max(1, len(self._services)), thread_name_prefix="searchkit-shard")

    def close(self) -> None:
        try:
            for service in self._services:
                service.close()
            if self._pool is not None:
                self._pool.shutdown(wait=False)
            if self._cluster is not None:
                self._cluster.close()
        finally:
            if self._owns_index:
                self.index.close()

    def _fan(self, method: str, *args: Any) -> list[Any]:
        """``method(*args)`` of every shard's service, at once; results in shard order."""
        if self._cluster is not None:
            return self._cluster.call(method, *args)  # type: ignore[no-any-return]
        if len(self._services) == 1:
            return [getattr(self._services[0], method)(*args)]
        assert self._pool is not None
        futures = [self._pool.submit(getattr(service, method), *args) for service in self._services]
        return [future.result() for future in futures]

    # --- the query plan, with the whole index's statistics -------------------------

    def _plain_query(self, text: str) -> tuple[Any, set[str]]:
        if self.settings.feedback_docs > 0 and self.settings.feedback_terms > 0:
            raise QueryError("pseudo-relevance feedback is not available on a sharded index; set feedback_docs=0")
        plan, terms = plain_query(text, self.settings, self._stems)
        stats = combine(self._fan("statistics", _words_of(plan)))
        if self.settings.variant_weight > 0 and isinstance(plan, Words):
            plan, stats = self._with_close_spellings(plan, stats)
            terms = terms | set(plan.variants.of)
        return _Planned(plan, stats), terms

    def _syntax_query(self, text: str) -> tuple[Any, set[str]]:
        # Each shard parses it (the stems to highlight are its own to find); here only
        # the statistics of every word it expands to, in any shard, are gathered.
        return _Planned(None, combine(self._fan("syntax_statistics", text))), set()

    def _with_close_spellings(self, plan: Words, stats: Statistics) -> tuple[Words, Statistics]:
        """``plan`` with the close spellings of its rare words, found in every shard's
        vocabulary and chosen by their counts in the whole index."""
        from .variants import choose_variants, may_vary, rare_count

        body = "content" if self.settings.one_field else "text"
        terms = [term for field, term, _ in plan.leaves if field == body]
        rare = rare_count(stats.doc_count)
        asked = [t for t in terms if may_vary(t) and stats.frequencies.get((body, t), 0) <= rare]
        close: dict[str, set[tuple[int, str]]] = {term: set() for term in asked}
        if asked:
            for found in self._fan("close_spellings", asked, body):
                for term, spellings in found.items():
                    close[term].update(spellings)
            others = sorted({word for spellings in close.values() for _, word in spellings})
            if others:
                more = combine(self._fan("statistics", [(f, w) for f in (body, "title") for w in others]))
                stats = dataclasses.replace(stats, frequencies={**more.frequencies, **stats.frequencies})
        found = choose_variants(
            terms, stats.doc_count, lambda term: stats.frequencies.get((body, term), 0), lambda term: sorted(close.get(term, ()))
        )
        return with_variants(plan, found, self.settings), stats

    @contextlib.contextmanager
    def _held(self) -> Iterator[Any]:
        # Only ``similar`` asks (for the idf of its passage's words): the statistics it gathered.
        yield _Totals(self._shard.prefetched, weighting(self.settings))

    # --- searching -------------------------------------------------------------------

    def similar(self, passage_id: str, **options: Any) -> SearchResults:
        """As ``Searcher.similar``, over every shard."""
        source = self.show(passage_id).passage
        body = "content" if self.settings.one_field else "text"
        stems = sorted(set(self._stems(source.text)))
        self._shard.prefetched = combine(self._fan("statistics", [(f, s) for f in (body, "title") for s in stems]))
        try:
            return super().similar(passage_id, **options)
        finally:
            self._shard.prefetched = None

    def _run(
        self, query: str, parse: Callable[[], tuple[Any, set[str]]] | None, narrow: Narrowing, *, syntax: bool,
        limit: int, offset: int, group_by: str | None, sort: str, facets: Sequence[str] | str,
        query_id: str | None, highlight: bool, time_limit: float | None, total: bool, copies: str = "together",
        leave_out: Callable[[Passage], bool] | None = None,
    ) -> SearchResults:
        """Every shard's first hits, scored with the whole index's statistics, merged
        into one list; then copies are found in every shard and merged as one index
        merges them, and the page is cut."""
        facet_names = checked_options(sort, group_by, offset, facets)
        if copies not in COPIES:
            raise QueryError(f"copies {copies!r} is not one of {', '.join(COPIES)}; pick one")
        plan, terms, stats = self._planned(parse)
        request = dict(
            query=query, plan=plan, terms=terms, syntax=syntax, browse=parse is None, narrow=narrow,
            group_by=group_by, sort="-date" if parse is None and sort == "relevance" else sort, facets=facet_names,
            # Each shard is asked from the top: a page further on is counted, as in one index.
            query_id=query_id, time_limit=time_limit, total=total or offset > 0,
        )
        last: list[Sequence[SearchResults]] = []

        def fetch(n: int) -> tuple[list[Hit], bool]:
            ranked, parts = self._first(request, stats, n)
            last[:] = [parts]
            return ranked, any(p.timed_out for p in parts)

        page, timed_out = merge_copies(
            fetch, lambda hit: hit, lambda passages: self._copies_in_shards(passages, narrow, copies), offset=offset,
            limit=limit, together=copies == "together", widest=MAX_LIMIT, leave_out=leave_out,
        )
        parts = last[0]
        hits = []
        for rank, (hit, found) in enumerate(page, offset + 1):
            hits.append(dataclasses.replace(
                hit, rank=rank, score=round(hit.score, 6), highlights=hit.highlights if highlight else (), copies=found,
                # One index tells the spellings matched from the highlights it was asked for.
                matched=hit.matched if highlight else {},
            ))
        counted = [p.total for p in parts if p.total is not None]
        return SearchResults(
            query=query, hits=tuple(hits), timed_out=timed_out, query_id=query_id,
            total=sum(counted) if counted else None, offset=offset, undated=sum(p.undated for p in parts),
            facets=_summed_facets(parts), suggestion=next((p.suggestion for p in parts if p.suggestion), None),
            missing_shards=self._missing,
        )

    def _planned(self, parse: Callable[[], tuple[Any, set[str]]] | None) -> tuple[Any, set[str], Statistics]:
        """The query plan, the stems to highlight and the statistics to score with."""
        if parse is None:  # a listing: nothing is scored
            return None, set(), combine(self._fan("statistics", []))
        parsed, terms = parse()
        if isinstance(parsed, _Planned):
            return parsed.plan, terms, parsed.stats
        return parsed, terms, self._shard.prefetched  # similar's plan: its words' statistics were gathered first

    def _first(self, request: dict[str, Any], stats: Statistics, n: int) -> tuple[list[Hit], Sequence[SearchResults]]:
        """The first ``n`` hits of the whole index, one per text, as ranked; and the
        shards' results they came from (their counts and facets)."""
        reach = n
        while True:
            parts = self._fan("search", {**request, "limit": min(reach, MAX_LIMIT)}, stats)
            ranked = _merged(parts, request["sort"], request["syntax"])
            # One hit per text across shards may leave the list short: ask for more.
            short = len(ranked) < n and any(len(p.hits) >= min(reach, MAX_LIMIT) for p in parts)
            if not short or reach >= MAX_LIMIT:
                return ranked[:n], parts
            reach = min(reach * 2, MAX_LIMIT)

    def _copies_in_shards(self, passages: Sequence[Passage], narrow: Narrowing, copies: str) -> list[list[tuple[Copy, bool]]]:
        """Each passage's copies in every shard, in the order one index lists them
        (none looked up for ``copies="none"``)."""
        found: list[list[tuple[Copy, bool]]] = [[] for _ in passages]
        if copies == "none":
            return found
        for part in self._fan("copies_of", list(passages), narrow):
            for mine, theirs in zip(found, part):
                mine.extend(theirs)
        for mine in found:
            mine.sort(key=lambda item: copy_order(item[0]))
        return found

    def _text_copies(self, text: str) -> int:
        return sum(self._fan("copies", text))

    def show(self, passage_id: str) -> PassageContext:
        for found in self._fan("show", passage_id):
            if found is not None:
                return found  # type: ignore[no-any-return]
        raise PassageNotFoundError(
            f"no passage with id {passage_id!r} in this index; "
            "take an id from search results (the index may have been rebuilt since)"
        )

    def passages_of(self, doc_id: str, source: str | None = None) -> list[Passage]:
        found = [p for part in self._fan("passages_of", doc_id, source) for p in part]
        return sorted(found, key=lambda p: (p.source, p.ordinal))

    def passages_with(self, stems: Sequence[str], *, rarest: int | None = None, narrow: Narrowing | None = None) -> list[Passage]:
        found = [p for part in self._fan("passages_with", list(stems), rarest, narrow) for p in part]
        return sorted(found, key=lambda p: (p.source, p.start))


class _Planned(NamedTuple):
    """A query plan (None: a syntax query, which each shard parses) with the whole
    index's statistics of its words."""

    plan: Any
    stats: Statistics


def _words_of(plan: Any) -> list[tuple[str, str]]:
    """The ``(field, word)`` pairs a plain-words plan scores."""
    leaves = _leaves(plan)
    if leaves is not None:
        return [(field, word) for field, word, _ in leaves]
    return sorted({(name, word if isinstance(word, str) else word.decode("utf-8")) for name, word in plan.iter_all_terms(phrases=True)})


def _merged(parts: Sequence[SearchResults], sort: str, syntax: bool) -> list[Hit]:
    """The shards' hits in the order one index gives them, one per text. Ties go
    as one freshly built index breaks them, by document number: corpus files in
    the order they are listed (by source), and within one file (always in one
    shard) in that shard's order."""
    if sort == "relevance":
        # Passages that match only through their title come after those with a word
        # of their own (their marks: shards always mark them), as in one index.
        def key(hit: Hit, place: int) -> tuple[Any, ...]:
            return (0 if syntax or hit.highlights else 1, 0, -hit.score, hit.source, place)
    else:
        sign = 1 if sort == "date" else -1

        def key(hit: Hit, place: int) -> tuple[Any, ...]:
            day = date_number(hit.metadata.get("date"))
            return (0 if day else 1, sign * day, -hit.score, hit.source, place)

    ranked = sorted(
        ((key(hit, place), hit) for part in parts for place, hit in enumerate(part.hits)), key=lambda item: item[0]
    )
    seen: set[str] = set()
    out = []
    for _, hit in ranked:
        if hit.text not in seen:
            seen.add(hit.text)
            out.append(hit)
    return out


def _summed_facets(parts: Sequence[SearchResults]) -> dict[str, tuple[tuple[str, int], ...]]:
    summed: dict[str, dict[str, int]] = {}
    for part in parts:
        for name, values in part.facets.items():
            counts = summed.setdefault(name, {})
            for value, count in values:
                counts[value] = counts.get(value, 0) + count
    return {
        name: tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:MAX_FACET_VALUES])
        for name, counts in summed.items()
    }
