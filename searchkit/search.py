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

import bisect
import dataclasses
import functools
import heapq
import itertools
import math
import os
import re
import sys
import threading
import time
import weakref
from array import array
from typing import Any, Callable, Iterable, Mapping, Sequence

from whoosh import qparser, query as wq, scoring
from whoosh.collectors import WrappingCollector
from whoosh.matching import ListMatcher
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.reading import TermNotFound
from whoosh.searching import TimeLimit
from whoosh.util.numeric import byte_to_length, length_to_byte

from .analysis import _RAW_CACHE, STOP_WORDS, TOKEN_PATTERN, _normalise, analyzer, stem, words
from .errors import PassageNotFoundError, QueryError
from .index import SETTINGS_FILE, Index, ensure_index, open_index, passage_from_fields
from .models import Hit, Passage, PassageContext, SearchResults
from .schema import FIELDS, SEARCH_FIELDS, TEXT_KEY
from .settings import Settings

__all__ = ["Searcher", "search", "search_batch", "show", "parse_queries", "MAX_QUERY_CHARS", "MAX_LIMIT"]

#: Longer queries are refused: they are pasted documents, not questions.
MAX_QUERY_CHARS = 10_000
MAX_LIMIT = 10_000
#: Fuzzy terms (syntax mode) beyond these bounds take Whoosh minutes to expand.
MAX_FUZZY_EDITS = 2
MAX_FUZZY_CHARS = 40
_TOKEN_RE = re.compile(TOKEN_PATTERN)


#: Field length of each length byte (Whoosh stores lengths as one byte each).
_LENGTH_OF = tuple(byte_to_length(b) for b in range(256))
#: Segment reader -> column name -> the column's values, read in one go.
_COLUMNS: "weakref.WeakKeyDictionary[Any, dict[str, Any]]" = weakref.WeakKeyDictionary()


def _column(reader: Any, name: str, length_of: str | None = None) -> Any:
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


class _ThreadToken:
    """Held in one thread's local storage only, so it is freed when the thread ends."""

    __slots__ = ("__weakref__",)


def _close_thread_searcher(searchers: dict[int, Any], lock: threading.Lock, key: int) -> None:
    with lock:
        searcher = searchers.pop(key, None)
    if searcher is not None and not searcher.is_closed:
        searcher.close()


class _UniqueTop(WrappingCollector):
    """Whoosh's top-N collector keeping the best passage of each text, with an
    optional deadline read from the clock between hits.

    Duplicates are dropped while collecting (by the ``text_key`` column), so the
    N best are N different texts in one pass, whatever the number of copies.
    Whoosh's own time limit starts a timer thread per search and, in the main
    thread, installs a SIGALRM handler that raises ``TimeLimit`` wherever the
    program happens to be and replaces the host's handler.
    """

    def __init__(self, child: Any, deadline: float | None = None) -> None:
        super().__init__(child)
        # A time on the monotonic clock, fixed before the search: collect_matches runs
        # once per segment, and all of them share one budget.
        self._deadline = deadline
        self.timedout = False
        self._best: dict[int, tuple[float, int]] = {}
        self._keys: Any = None

    def prepare(self, top_searcher: Any, q: Any, context: Any) -> None:
        self.child.prepare(top_searcher, q, context)
        self.timedout = False
        self._best = {}

    def set_subsearcher(self, subsearcher: Any, offset: int) -> None:
        super().set_subsearcher(subsearcher, offset)
        self._keys = _column(subsearcher.reader(), TEXT_KEY)

    def collect_matches(self) -> None:
        child, keys, best, offset, deadline = self.child, self._keys, self._best, self.offset, self._deadline
        for sub_docnum in child.matches():
            if deadline is not None and time.monotonic() > deadline:
                self.timedout = True
                raise TimeLimit
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
            # Straight to the heap: collect() would score the passage a second time.
            child._collect(offset + sub_docnum, score)


def _shown(text: str) -> str:
    """A query as error messages show it: quoted, escaped, and cut short."""
    return repr(text if len(text) <= 60 else text[:60] + "…")


def _walk(query: Any) -> Iterable[Any]:
    """Every node of a parsed Whoosh query."""
    stack = [query]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children())


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


#: Top-level searcher -> field -> average field length (Whoosh sums it over every
#: segment for every term of every segment: a seventh of a query on 165 segments).
_AVERAGE_LENGTHS: "weakref.WeakKeyDictionary[Any, dict[str, float]]" = weakref.WeakKeyDictionary()


def _average_length(parent: Any, fieldname: str) -> float:
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
        self.avgfl = _average_length(parent, fieldname)
        self.B, self.K1, self.qf = B, K1, qf
        self.setup(searcher, fieldname, text)

    def setup(self, searcher: Any, fieldname: str, text: str) -> Any:
        found = super().setup(searcher, fieldname, text)
        lengths = _column(searcher.reader(), "", length_of=fieldname)
        if found is None and lengths is not None:
            table = _LENGTH_OF
            self.dfl = lambda docnum: table[lengths[docnum]]
        return found


class _BM25F(scoring.BM25F):
    def scorer(self, searcher: Any, fieldname: str, text: str, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf)
        return _BM25FScorer(searcher, fieldname, text, self._field_B.get(fieldname, self.B), self.K1, qf=qf)


class _LuceneBM25F(_BM25F):
    """BM25F with the idf of Lucene and the BM25 literature, log(1 + (N - n + 0.5) / (n + 0.5)).

    Whoosh's own idf, log(N / (n + 1)) + 1, gives common words too much weight
    next to rare ones (measured in docs/QUALITY.md).
    """

    def idf(self, searcher: Any, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        total = parent.doc_count_all()
        return math.log(1 + (total - n + 0.5) / (n + 0.5))


def _weighting(settings: Settings) -> Any:
    model = _LuceneBM25F if settings.idf == "lucene" else _BM25F
    return model(B=settings.b, K1=settings.k1, title_B=settings.title_b)


def _term_leaves(query: Any) -> list[tuple[str, str, float]] | None:
    """``(field, word, boost)`` of each clause when ``query`` is an OR of single
    words (what plain-words search makes), else None."""
    if type(query) is not wq.Or or query.boost != 1.0:
        return None
    leaves = []
    for clause in query.subqueries:
        if type(clause) is not wq.Term:
            return None
        leaves.append((clause.fieldname, clause.text, float(clause.boost)))
    return leaves or None


def _by_score(item: tuple[int, float]) -> tuple[float, int]:
    return item[1], -item[0]  # best score first, then the lower document number


def _exact_top(
    searcher: Any, leaves: list[tuple[str, str, float]], limit: int, deadline: float | None
) -> tuple[list[tuple[float, int]], bool] | None:
    """The ``limit`` best distinct passages for an OR of words, scored posting by
    posting: ``[(score, docnum)]`` best first, and whether the deadline passed (the
    passages scored by then are ranked on what was read). None where the index or
    weighting is not the one this handles (Whoosh's matchers run the query then).
    Postings are skipped only where bounds prove they cannot reach the top.

    Scores are Whoosh's BM25F to the last bit for each word (same formula, same
    operations); only the order of summing words can differ. Whoosh's own top-N
    search (block skipping with matcher replacement) returned wrong scores, and
    missed true top-10 passages, for 3 in 500 benchmark queries on BBC x1. It is
    also slower: a tree of matchers per segment, several calls per posting.
    """
    weighting = searcher.weighting
    if not isinstance(weighting, _BM25F):
        return None
    schema = searcher.schema
    words = []
    for fieldname, word, boost in leaves:
        field = schema[fieldname] if fieldname in schema else None
        if field is None or not field.scorable or not field.indexed:
            return None
        words.append((fieldname, field.format, field.to_bytes(word), boost))
    # Each word's entry in each segment's term table, looked up once (Whoosh looked
    # each up three or four times per segment); the sums are the words' frequencies.
    segments = []
    frequency = [0] * len(words)
    for sub, offset in searcher.subsearchers or [(searcher, 0)]:
        reader = sub.reader()
        terms = getattr(reader, "_terms", None)
        deleted = getattr(reader, "deleted_docs_set", None)
        if terms is None or deleted is None:
            return None
        found_here = []
        for number, (fieldname, _, term, _) in enumerate(words):
            try:
                info = terms.term_info(fieldname, term)
            except (KeyError, TermNotFound):
                continue
            frequency[number] += info.doc_frequency()
            found_here.append((number, info))
        segments.append((reader, offset, terms, deleted, found_here))
    k1 = weighting.K1
    k1_plus = k1 + 1
    scoring_of = {}
    for number, (fieldname, _, term, _) in enumerate(words):
        if frequency[number]:
            b = weighting._field_B.get(fieldname, weighting.B)
            scoring_of[number] = (searcher.idf(fieldname, term), _length_norms(searcher, fieldname, k1, b))
    # Words are added up in one order everywhere (rarest, by idf and boost, first), so
    # passages with the same words score the same to the last bit in every segment.
    order = sorted(scoring_of, key=lambda number: (-scoring_of[number][0] * words[number][3], number))
    position = {number: place for place, number in enumerate(order)}
    plans = []
    for reader, offset, terms, deleted, found_here in segments:
        entries = sorted(found_here, key=lambda entry: position[entry[0]])
        # The most each word can add to a passage of this segment (its highest weight
        # at its shortest length; stored lengths only round up), and the most the
        # words from each one on can add together.
        bounds = []
        for number, info in entries:
            idf, norms = scoring_of[number]
            most = info.max_weight()
            norm = norms[length_to_byte(info.min_length() or 0)]
            bounds.append(idf * ((most * k1_plus) / (most + norm)) * words[number][3] * _BOUND_MARGIN)
        rest = list(itertools.accumulate(reversed(bounds)))[::-1]
        plans.append((rest[0] if rest else 0.0, offset, reader, terms, deleted, entries, rest))
    # The most promising segments first, so the bar for the rest rises early.
    plans.sort(key=lambda plan: (-plan[0], plan[1]))
    found: list[tuple[float, int, int]] = []
    timed_out = False
    for most, offset, reader, terms, deleted, entries, rest in plans:
        # Only what reaches the worst of the best texts so far can enter them.
        floor = found[-1][0] if len(found) == limit else None
        if timed_out or (floor is not None and most < floor):
            continue
        scores: dict[int, float] = {}
        get = scores.get
        candidates: list[int] | None = None
        for (number, info), reach in zip(entries, rest):
            fieldname, fmt, term, boost = words[number]
            idf, norms = scoring_of[number]
            lengths = _column(reader, "", length_of=fieldname)
            blocks = _posting_blocks(terms, info, fieldname, term, fmt)
            if lengths is None or blocks is None:
                return None
            if candidates is None and floor is not None and reach < floor:
                # This word and the rest cannot lift a passage without the earlier
                # words to the bar: they only add to passages already found, and
                # blocks without any of those are not read.
                candidates = sorted(scores)
            after = -1
            for last, read in blocks:
                if candidates is not None:
                    start = bisect.bisect_right(candidates, after)
                    after = last
                    if start == len(candidates) or candidates[start] > last:
                        continue
                ids, weights = read()
                if candidates is not None:
                    for doc, w in zip(ids, weights):
                        if doc in scores:
                            scores[doc] += idf * ((w * k1_plus) / (w + norms[lengths[doc]])) * boost
                elif boost == 1.0:
                    for doc, w in zip(ids, weights):
                        scores[doc] = get(doc, 0.0) + idf * ((w * k1_plus) / (w + norms[lengths[doc]]))
                else:
                    for doc, w in zip(ids, weights):
                        scores[doc] = get(doc, 0.0) + idf * ((w * k1_plus) / (w + norms[lengths[doc]])) * boost
                if deadline is not None and time.monotonic() > deadline:
                    timed_out = True  # rank what was scored so far
                    break
            if timed_out:
                break
        for doc in deleted if len(deleted) < len(scores) else [d for d in scores if d in deleted]:
            scores.pop(doc, None)
        found = _distinct(found + _segment_top(scores, _column(reader, TEXT_KEY), limit, offset, floor), limit)
    return [(score, docnum) for score, docnum, _ in found], timed_out


#: Bounds on what a word can add are raised by this factor against rounding.
_BOUND_MARGIN = 1 + 1e-9


#: Top-level searcher -> (field, k1, b) -> bm25()'s length part for each of the 256
#: stored lengths, computed as bm25() does.
_NORMS: "weakref.WeakKeyDictionary[Any, dict[tuple[str, float, float], list[float]]]" = weakref.WeakKeyDictionary()


def _length_norms(parent: Any, fieldname: str, k1: float, b: float) -> list[float]:
    cached = _NORMS.setdefault(parent, {})
    norms = cached.get((fieldname, k1, b))
    if norms is None:
        average = _average_length(parent, fieldname)
        norms = cached[(fieldname, k1, b)] = [k1 * ((1 - b) + b * length / average) for length in _LENGTH_OF]
    return norms


def _posting_blocks(
    terms: Any, info: Any, fieldname: str, term: bytes, fmt: Any
) -> Iterable[tuple[int, Callable[[], tuple[Sequence[int], Sequence[float]]]]] | None:
    """For each block of one word's postings in a segment: its last document number
    and a function reading its ``(ids, weights)`` (the weights as ``matcher.weight()``
    gives them); None for a matcher of another kind."""
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

    def blocks() -> Iterable[tuple[int, Callable[[], tuple[Sequence[int], Sequence[float]]]]]:
        while postings.is_active():
            yield postings._maxid, read
            postings._next_block()

    return blocks()


def _segment_top(
    scores: dict[int, float], keys: Any, limit: int, offset: int, floor: float | None = None
) -> list[tuple[float, int, int]]:
    """The best passage of each of the ``limit`` best texts of one segment that
    score at least ``floor``: ``(score, docnum, text key)``. The union of these over
    segments holds the best ``limit`` texts of the index."""
    if floor is not None:
        scores = dict([item for item in scores.items() if item[1] >= floor])
    wanted = limit
    while True:
        best: dict[int, tuple[float, int, int]] = {}
        if wanted < len(scores):
            # The wanted-th best score, then only what reaches it is sorted (ties included).
            cut = heapq.nlargest(wanted, scores.values())[-1]
            ranked = sorted([item for item in scores.items() if item[1] >= cut], key=_by_score, reverse=True)
        else:
            ranked = sorted(scores.items(), key=_by_score, reverse=True)
        for doc, score in ranked:
            key = keys[doc] if keys is not None else 0
            if not key:
                key = -1 - (offset + doc)  # no key: a text of its own
            if key not in best:
                best[key] = (score, offset + doc, key)
                if len(best) == limit:
                    return list(best.values())
        if len(ranked) == len(scores):
            return list(best.values())
        wanted = max(wanted * 4, len(ranked) + 1)


def _distinct(found: list[tuple[float, int, int]], limit: int) -> list[tuple[float, int, int]]:
    """The best ``(score, docnum, text key)`` of each of the ``limit`` best texts."""
    found.sort(key=lambda item: (-item[0], item[1]))
    seen: set[int] = set()
    out = []
    for item in found:
        if item[2] not in seen:
            seen.add(item[2])
            out.append(item)
            if len(out) == limit:
                break
    return out


class Searcher:
    """Searches one index; thread-safe (each thread gets its own Whoosh searcher).

    ``settings`` overrides the ranking (query-time) settings; the index-time ones
    always come from the index.
    """

    def __init__(
        self,
        index: Index | str | os.PathLike[str],
        settings: Settings | None = None,
        *,
        close_index: bool | None = None,
    ) -> None:
        # Close the index with the searcher when this searcher opened it (or is told to).
        self._owns_index = not isinstance(index, Index) if close_index is None else close_index
        self.index = index if isinstance(index, Index) else open_index(index)
        base = self.index.settings
        if settings is not None:
            base = settings.with_changes(**base.index_time())
        self.settings = base
        self._local = threading.local()
        # Every thread's searcher, so close() can close them all, not only its own.
        self._open: dict[int, Any] = {}
        self._open_lock = threading.Lock()
        self._analyzer = analyzer(self.settings.analyzer_name)

    def __enter__(self) -> "Searcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._open_lock:
            searchers = list(self._open.values())
            self._open.clear()  # in place: the threads' finalizers hold this dict
        for searcher in searchers:
            searcher.close()
        self._local.searcher = None
        if self._owns_index:
            self.index.close()

    def _built(self) -> tuple[int, int] | None:
        """Which build of the index folder this is: its settings file is rewritten only
        when the index is created anew (``--rebuild``)."""
        try:
            info = os.stat(self.index.path / SETTINGS_FILE)
        except OSError:
            return None
        return (info.st_ino, info.st_mtime_ns)

    def _searcher(self) -> Any:
        """This thread's Whoosh searcher, refreshed when the index has a new commit."""
        searcher = getattr(self._local, "searcher", None)
        weighting = _weighting(self.settings)
        built = self._built()
        # A rebuild may change what the searcher was opened for (the recorded
        # settings): a new build gets a new searcher, not a refreshed one.
        if searcher is None or searcher.is_closed or getattr(self._local, "built", None) != built:
            if searcher is not None and not searcher.is_closed:  # close() may have closed it from another thread
                searcher.close()
            searcher = self.index.whoosh.searcher(weighting=weighting)
        elif not searcher.up_to_date():
            if searcher.reader().segments() is None:
                # An empty index's reader has no segments for refresh() to reuse (it
                # raised TypeError on every later search): open a new searcher instead.
                searcher.close()
                searcher = self.index.whoosh.searcher(weighting=weighting)
            else:
                searcher = searcher.refresh()
        self._local.searcher = searcher
        self._local.built = built
        # Keyed by a token of this thread's own, not its ident (a finished thread's
        # ident is reused by the next one): the token dies with the thread's local
        # storage and closes its searcher, so a thread per request leaks no files.
        token = getattr(self._local, "token", None)
        if token is None:
            token = self._local.token = _ThreadToken()
            weakref.finalize(token, _close_thread_searcher, self._open, self._open_lock, id(token))
        with self._open_lock:
            self._open[id(token)] = searcher
        return searcher

    # --- queries -------------------------------------------------------------------

    def _stems(self, text: str) -> list[str]:
        return [t.text for t in self._analyzer(text)]

    def _plain_query(self, text: str) -> tuple[Any, set[str]]:
        tokens = words(text)
        kept = [w for w in tokens if w not in STOP_WORDS] if self.settings.stopwords else tokens
        stems = self._stems(" ".join(kept or tokens))
        if not stems:
            raise QueryError(f"query {_shown(text)} has no words to search for; type some words")
        counts: dict[str, int] = {}
        for s in stems:
            counts[s] = counts.get(s, 0) + 1
        clauses = []
        body = "content" if self.settings.one_field else "text"
        for term, count in counts.items():
            clauses.append(wq.Term(body, term, boost=float(count)))
            if self.settings.title_boost > 0:
                clauses.append(wq.Term("title", term, boost=float(count) * self.settings.title_boost))
        if self.settings.proximity_boost > 0:
            # Neighbouring query words that also stand near each other in a passage earn a bonus.
            for first, second in sorted({pair for pair in zip(stems, stems[1:]) if pair[0] != pair[1]}):
                clauses.append(
                    wq.Phrase("text", [first, second], slop=self.settings.proximity_slop,
                              boost=self.settings.proximity_boost)
                )
        query = wq.Or(clauses)
        if self.settings.feedback_docs > 0 and self.settings.feedback_terms > 0:
            query = self._expand(query)
        return query, set(counts)

    def _expand(self, query: Any) -> Any:
        """Pseudo-relevance feedback: add the key terms (Bo1) of the best passages
        for ``query``, each weighted by its normalised Bo1 score, to the score of the
        passages that match ``query``."""
        searcher = self._searcher()
        # The best distinct passages: five copies of one passage would feed back its words only.
        docnums = [docnum for _, docnum in self._top(searcher, query, self.settings.feedback_docs, None)[0]]
        if not docnums:
            return query
        extra = [
            wq.Term("text", term, boost=self.settings.feedback_weight * weight)
            for term, weight in searcher.key_terms(docnums, "text", numterms=self.settings.feedback_terms)
        ]
        if not extra:
            return query
        if not self.settings.feedback_rerank:
            return wq.Or([query, *extra])  # expansion terms may find passages without a query word
        # Expansion terms only re-rank: every hit still holds a word of the query.
        return wq.AndMaybe(query, wq.Or(extra))

    def _syntax_query(self, text: str) -> tuple[Any, set[str]]:
        schema = self.index.whoosh.schema
        parser = qparser.MultifieldParser(list(SEARCH_FIELDS), schema)
        # Keep "foo:bar" as a field for the check below; by default Whoosh would quietly
        # search the words "foo:bar" in the text.
        parser.replace_plugin(qparser.FieldsPlugin(remove_unknown=False))
        parser.add_plugin(qparser.FuzzyTermPlugin())
        parser.remove_plugin_class(qparser.WildcardPlugin)
        parser.add_plugin(qparser.PrefixPlugin())
        shown = _shown(text)
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

    def _check(self, text: str, limit: int) -> None:
        if not isinstance(text, str):
            raise QueryError(f"a query must be text, not {type(text).__name__}")
        if not text.strip():
            raise QueryError("the query is empty; type some words")
        if len(text) > MAX_QUERY_CHARS:
            raise QueryError(
                f"query of {len(text)} characters is longer than {MAX_QUERY_CHARS}; shorten it"
            )
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates, e.g. undecodable bytes on a command line
            raise QueryError("the query holds bytes that are not valid text; retype it in UTF-8") from None
        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")

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
        far with ``timed_out=True``.
        """
        self._check(query, limit)
        parsed, terms = self._syntax_query(query) if syntax else self._plain_query(query)
        searcher = self._searcher()
        try:
            top, timed_out = self._top(searcher, parsed, limit, time_limit)
        except Exception as exc:  # a query Whoosh accepts but cannot run
            raise QueryError(f"query {query!r} cannot be run ({type(exc).__name__}: {exc})") from None
        passages = [(score, passage_from_fields(searcher.stored_fields(docnum))) for score, docnum in top]
        spans = self._highlight_all([p.text for _, p in passages], terms if highlight else set())
        hits = [self._hit(rank, score, passage, found) for rank, ((score, passage), found) in enumerate(zip(passages, spans), 1)]
        return SearchResults(query=query, hits=tuple(hits), timed_out=timed_out, query_id=query_id)

    def _top(self, searcher: Any, query: Any, limit: int, time_limit: float | None) -> tuple[list[tuple[float, int]], bool]:
        """``[(score, docnum)]`` of the ``limit`` best distinct passages for a parsed
        query, and whether the time limit cut the search short."""
        deadline = None if time_limit is None else time.monotonic() + time_limit
        leaves = _term_leaves(query)
        exact = None if leaves is None else _exact_top(searcher, leaves, limit, deadline)
        if exact is not None:
            return exact
        collector = _UniqueTop(searcher.collector(limit=limit), deadline)
        try:
            searcher.search_with_collector(_union_matchers(query), collector)
        except TimeLimit:
            pass
        return [(hit.score, hit.docnum) for hit in collector.results()], collector.timedout

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
        searcher = self._searcher()
        fields = searcher.document(passage_id=passage_id)
        if fields is None:
            raise PassageNotFoundError(
                f"no passage with id {passage_id!r} in the index at {self.index.path}; "
                "take an id from search results (the index may have been rebuilt since)"
            )
        passage = passage_from_fields(fields)
        neighbours = {
            f["ordinal"]: passage_from_fields(f)
            for f in searcher.documents(doc_id=passage.doc_id)
            if f["source"] == passage.source and abs(f["ordinal"] - passage.ordinal) == 1
        }
        return PassageContext(passage, neighbours.get(passage.ordinal - 1), neighbours.get(passage.ordinal + 1))

    def _hit(self, rank: int, score: float, passage: Passage, highlights: tuple[tuple[int, int], ...]) -> Hit:
        return Hit(
            rank=rank,
            score=round(float(score), 6),
            highlights=highlights,
            **{f.name: getattr(passage, f.name) for f in dataclasses.fields(passage)},
        )

    def highlights(self, text: str, terms: set[str]) -> tuple[tuple[int, int], ...]:
        """Spans of ``text`` whose words stem to one of ``terms``."""
        return self._highlight_all([text], terms)[0]

    def _highlight_all(self, texts: list[str], terms: set[str]) -> list[tuple[tuple[int, int], ...]]:
        """The highlight spans of each of ``texts``, found with one pattern for all of them.

        One pattern per query rather than per passage: a new process compiles each
        pattern it uses, and compiling one for each of ten hits was 7 ms of a cold
        ``searchkit search``.
        """
        if not terms:
            return [()] * len(texts)
        # The analyzer's tokens and stems without building a Token per word:
        # highlighting ten passages per query was a tenth of a query's time.
        stemmer = self.settings.analyzer_name
        cache = _RAW_CACHE.setdefault(stemmer, {})
        matched: set[str] = set()
        for word in set(itertools.chain.from_iterable(_TOKEN_RE.findall(text) for text in texts)):
            found = cache.get(word)
            if found is None:
                found = cache[word] = stem(_normalise(word), stemmer)
            if found in terms:
                matched.add(word)
        if not matched:
            return [()] * len(texts)
        pattern = _whole_tokens(frozenset(matched))
        # Every word of the pattern stems to a term of the query, whichever text it came from.
        return [tuple(match.span() for match in pattern.finditer(text)) for text in texts]


@functools.lru_cache(maxsize=4096)
def _whole_tokens(words: frozenset[str]) -> re.Pattern[str]:
    """A pattern finding ``words`` where ``TOKEN_PATTERN`` would read them as whole
    tokens: not inside a longer token ("a.b", "don't"). Searching for the few words
    to highlight beats reading every token of the passage."""
    joiner = "['’.]"
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?<!\w{joiner})(?:{alternatives})(?!\w)(?!{joiner}\w)")


def parse_queries(text: str, name: str = "queries") -> list[tuple[str, str]]:
    """``(query_id, query)`` pairs from JSON Lines with ``id`` and ``query`` (or ``text``),
    or from plain text with one query per line (ids are line numbers)."""
    from .ingest.formats import iter_json_lines  # here: searching alone never loads the ingesters

    first = next((line for line in text.splitlines() if line.strip()), "")
    queries: list[tuple[str, str]] = []
    if first.lstrip().startswith("{"):
        for lineno, record in iter_json_lines(text):
            query = record.get("query", record.get("text")) if isinstance(record, dict) else None
            if not isinstance(query, str):
                raise QueryError(f'{name}:{lineno}: bad query line; write {{"id": ..., "query": ...}}')
            queries.append((str(record.get("id", record.get("_id", lineno))), query))
    else:
        queries = [(str(n), line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not queries:
        raise QueryError(f"{name} holds no queries; write one per line, or JSON lines with id and query")
    return queries


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
