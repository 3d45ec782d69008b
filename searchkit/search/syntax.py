"""Whoosh queries for what searchkit does not score itself, and running them.

Syntax queries are parsed and checked here; plain words become a Whoosh OR only
when proximity, feedback or an unexpected index layout needs Whoosh's matchers;
``collect_top`` runs such a query with duplicate texts dropped.

The rest of ``searchkit.search`` imports this module only when a query needs it:
Whoosh's query, parser and searching modules were about 20 ms of a cold
``searchkit search`` (about 0.16 s in all), and plain words never use them.
"""

from __future__ import annotations

import bisect
import itertools
import time
from typing import Any, Callable, Iterable, Sequence

from whoosh import matching, qparser, query as wq
from whoosh.collectors import WrappingCollector
from whoosh.query.wrappers import WrappingQuery
from whoosh.searching import SearchContext, TimeLimit

from ..errors import QueryError
from ..schema import FIELDS, SEARCH_FIELDS
from ._whoosh import collect_scored, expansion_words
from .scoring import Leaf

__all__ = ["parse_syntax", "words_query", "term_leaves", "expand", "collect_top"]

#: Fuzzy terms (syntax mode) beyond these bounds take Whoosh minutes to expand.
MAX_FUZZY_EDITS = 2
MAX_FUZZY_CHARS = 40

def _walk(query: Any) -> Iterable[Any]:
    """Every node of a parsed Whoosh query."""
    stack = [query]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children())


def parse_syntax(text: str, schema: Any, shown: str) -> tuple[Any, set[str]]:
    """``text`` in Whoosh's query language over ``schema``: the parsed query and the
    words to highlight. ``shown`` is the query as error messages name it."""
    parser = qparser.MultifieldParser(list(SEARCH_FIELDS), schema)
    # Keep "foo:bar" as a field for the check below; by default Whoosh would quietly
    # search the words "foo:bar" in the text.
    parser.replace_plugin(qparser.FieldsPlugin(remove_unknown=False))
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(qparser.PrefixPlugin())
    try:
        parsed = parser.parse(text)
    except Exception as exc:  # the parser's errors have no common base class
        raise QueryError(
            f"query {shown} cannot be parsed ({type(exc).__name__}); check quotes and parentheses"
        ) from None
    nodes = list(_walk(parsed))
    unknown = sorted({n.fieldname for n in nodes if getattr(n, "fieldname", None) not in (None, *FIELDS)})
    if unknown:
        raise QueryError(
            f"query {shown} names unknown field(s) {', '.join(u if len(u) <= 30 else u[:30] + '…' for u in unknown[:5])}; "
            f"use one of {', '.join(FIELDS)}, "
            'or put the words in quotes ("a:b") to search for them'
        )
    for node in nodes:
        if isinstance(node, wq.FuzzyTerm) and (
            node.maxdist > MAX_FUZZY_EDITS or len(node.text) > MAX_FUZZY_CHARS
        ):
            # Whoosh expands fuzzy terms before searching: these would run for minutes.
            raise QueryError(
                f"query {shown}: fuzzy~ allows at most {MAX_FUZZY_EDITS} edits on words of at most "
                f"{MAX_FUZZY_CHARS} characters; shorten {node.text[:20]!r}~{node.maxdist}"
            )
    if parsed is wq.NullQuery or isinstance(parsed, type(wq.NullQuery)):
        raise QueryError(f"query {shown} has nothing to search for; type some words")
    terms = {t.decode() if isinstance(t, bytes) else str(t) for f, t in parsed.iter_all_terms() if f in SEARCH_FIELDS}
    return parsed, terms


def words_query(
    leaves: Sequence[Leaf], pairs: Sequence[tuple[str, str]] = (), slop: int = 1, boost: float = 0.0
) -> Any:
    """An OR of ``leaves``, plus a phrase clause worth ``boost`` for each pair of
    words standing within ``slop`` words of each other in a passage's text."""
    clauses: list[Any] = [wq.Term(field, word, boost=weight) for field, word, weight in leaves]
    clauses += [wq.Phrase("text", [first, second], slop=slop, boost=boost) for first, second in pairs]
    return wq.Or(clauses)


def term_leaves(query: Any) -> list[Leaf] | None:
    """The clauses of ``query`` when it is an OR of single words, else None."""
    if type(query) is not wq.Or or query.boost != 1.0:
        return None
    leaves = []
    for clause in query.subqueries:
        if type(clause) is not wq.Term:
            return None
        leaves.append((clause.fieldname, clause.text, float(clause.boost)))
    return leaves or None


def expand(query: Any, extra: Sequence[tuple[str, float]], rerank: bool) -> Any:
    """``query`` with feedback terms ``(word, weight)`` on the passage text: only to
    re-rank its passages (``rerank``), or also to find passages of their own."""
    more = [wq.Term("text", word, boost=weight) for word, weight in extra]
    if not rerank:
        return wq.Or([query, *more])
    return wq.AndMaybe(query, wq.Or(more))


def _union_matchers(query: Any) -> Any:
    """Give every OR of ``query`` Whoosh's union matcher.

    For segments under 5,000 passages Whoosh picks an array matcher that preloads
    every posting of every word, and inside another query (feedback's AndMaybe) it
    reports the best score of its parts instead of their sum, so block skipping
    drops true top hits. The union matcher skips blocks correctly and is faster.
    """
    for node in _walk(query):
        if isinstance(node, wq.Or):
            node.matcher_type = wq.Or.DEFAULT_MATCHER
    return query


class _UniqueTop(WrappingCollector):
    """Whoosh's top-N collector keeping the best passage of each text, with an
    optional deadline read from the clock between hits.

    Duplicates are dropped while collecting (by each segment's text keys), so the
    N best are N different texts in one pass, whatever the number of copies.
    Whoosh's own time limit starts a timer thread per search and, in the main
    thread, installs a SIGALRM handler that raises ``TimeLimit`` wherever the
    program happens to be and replaces the host's handler.
    """

    def __init__(
        self, child: Any, text_keys: Callable[[Any], Any], deadline: float | None, clock: Callable[[], float]
    ) -> None:
        super().__init__(child)
        # A time on ``clock``, fixed before the search: collect_matches runs once per
        # segment, and all of them share one budget.
        self._deadline = deadline
        self._clock = clock
        self._text_keys = text_keys
        self.timedout = False
        self._best: dict[int, tuple[float, int]] = {}
        self._keys: Any = None
        self._found = False

    def prepare(self, top_searcher: Any, q: Any, context: Any) -> None:
        self.child.prepare(top_searcher, q, context)
        self.timedout = False
        self._found = False
        self._best = {}

    def set_subsearcher(self, subsearcher: Any, offset: int) -> None:
        super().set_subsearcher(subsearcher, offset)
        self._keys = self._text_keys(subsearcher.reader())

    def collect_matches(self) -> None:
        child, keys, best, offset, deadline, clock = self.child, self._keys, self._best, self.offset, self._deadline, self._clock
        for sub_docnum in child.matches():
            # Not before the first hit: a prefix* term may spend the time loading its
            # words' postings, and an answer with no passages helps nobody.
            if deadline is not None and self._found and clock() > deadline:
                self.timedout = True
                raise TimeLimit
            self._found = True
            key = keys[sub_docnum] if keys is not None else 0
            if not key:
                child.collect(sub_docnum)
                continue
            # child.matcher, not a copy: the top collector swaps in leaner matchers as it goes.
            score = child.matcher.score()
            held = best.get(key)
            if held is not None:
                if score <= held[0]:
                    continue
                child.remove(held[1])
            best[key] = (score, offset + sub_docnum)
            collect_scored(child, offset + sub_docnum, score)


class _Budget:
    """The time one search may spend expanding prefix, fuzzy and range terms into words."""

    def __init__(self, deadline: float, clock: Callable[[], float]) -> None:
        self.deadline = deadline
        self.clock = clock
        self.spent = False

    def over(self) -> bool:
        if not self.spent and self.clock() > self.deadline:
            self.spent = True
        return self.spent


class _Bounded(WrappingQuery):
    """A prefix*, fuzzy~ or range term whose expansion stops when its budget is spent.

    Whoosh expands such a term in each segment before the first hit, making a matcher
    per word (``a*`` is thousands of words: 4 s on BBC x10) and checking no clock; the
    words found by then are searched, and the search is marked as cut short.
    """

    def __init__(self, child: Any, budget: _Budget) -> None:
        super().__init__(child)
        self.budget = budget

    def _rewrap(self, child: Any) -> "_Bounded":
        return _Bounded(child, self.budget)

    def _words(self, reader: Any) -> Iterable[Any]:
        for word in expansion_words(self.child, reader):
            if self.budget.over():
                return
            if word:
                yield word

    def estimate_size(self, ixreader: Any) -> int:
        # Only a weight for arranging Whoosh's tree of matchers; the child would expand every word for it.
        fieldname = self.child.field()
        return sum(ixreader.doc_frequency(fieldname, word) for word in itertools.islice(self._words(ixreader), 100))

    def estimate_min_size(self, ixreader: Any) -> int:
        fieldname = self.child.field()
        return min((ixreader.doc_frequency(fieldname, w) for w in itertools.islice(self._words(ixreader), 100)), default=0)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        # Whoosh's MultiTerm.matcher over the words expanded within the budget, so the
        # hits and scores are Whoosh's whenever the budget is not spent. Each word's
        # matcher (a term lookup, a postings reader, a scorer: the slow part) is made
        # as the word is found, so the budget stops both.
        child = self.child
        fieldname = child.field()
        if fieldname is None:
            return matching.NullMatcher()
        each = context
        if child.constantscore:
            each = context.set(weighting=None) if context else SearchContext(weighting=None)
        words = []
        for word in self._words(searcher.reader()):
            term = _Made(fieldname, word, boost=child.boost)
            term.made = wq.Term.matcher(term, searcher, each)
            words.append(term)
        if not words:
            return matching.NullMatcher()
        if len(words) == 1:
            return wq.Term.matcher(words[0], searcher, context)
        return wq.Or(words).matcher(searcher, each)


class _Made(wq.Term):
    """A word of an expansion with its matcher made already."""

    made: Any = None

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        return self.made


def _bound_expansions(query: Any, budget: _Budget) -> Any:
    if isinstance(query, wq.MultiTerm):
        return _Bounded(query, budget)
    if isinstance(query, _Bounded) or query.is_leaf():
        return query
    return query.apply(lambda child: _bound_expansions(child, budget))


def collect_top(
    searcher: Any,
    query: Any,
    limit: int,
    deadline: float | None,
    text_keys: Callable[[Any], Any],
    expand_by: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[list[tuple[float, int]], bool]:
    """``[(score, docnum)]`` of the ``limit`` best distinct passages for ``query``
    by Whoosh's matchers, and whether ``deadline`` (on ``clock``) cut it short.
    ``text_keys(segment reader)`` gives a segment's text key per passage, or None.
    Prefix, fuzzy and range terms stop expanding into words at ``expand_by``
    (``deadline`` if not given), so that some of the time is left to find hits."""
    budget = None
    if deadline is not None:
        budget = _Budget(deadline if expand_by is None else min(expand_by, deadline), clock)
        query = _bound_expansions(query, budget)
    collector = _UniqueTop(searcher.collector(limit=limit), text_keys, deadline, clock)
    try:
        searcher.search_with_collector(_union_matchers(query), collector)
    except TimeLimit:
        pass
    timed_out = collector.timedout or (budget is not None and budget.spent)
    return [(hit.score, hit.docnum) for hit in collector.results()], timed_out


def all_matches(searcher: Any, query: Any) -> list[tuple[Any, int, dict[int, float]]]:
    """Every passage ``query`` matches, with its score by Whoosh's matchers, segment
    by segment: ``(segment reader, docnum offset, {local docnum: score})``."""
    segments = [(reader, offset, {}) for reader, offset in searcher.reader().leaf_readers()]
    starts = [offset for _, offset, _ in segments]
    for hit in searcher.search(_union_matchers(query), limit=None):
        reader, offset, scores = segments[bisect.bisect_right(starts, hit.docnum) - 1]
        scores[hit.docnum - offset] = hit.score
    return segments
