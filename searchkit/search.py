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
import contextlib
import dataclasses
import errno
import functools
import heapq
import itertools
import math
import os
import pickle
import re
import struct
import sys
import threading
import time
import weakref
import zlib
from array import array
from typing import Any, Callable, Iterable, Iterator, NamedTuple, Sequence

# Whoosh's query, parser and searching modules are imported by .query, and only
# when a query needs them: plain words are scored here, from Whoosh's readers.
from whoosh import scoring
from whoosh.matching import ListMatcher
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length, length_to_byte

from .analysis import STOP_WORDS, TOKEN_PATTERN, analyzer, stem_cache, words
from .errors import IndexDamagedError, PassageNotFoundError, QueryError, SearchkitError, SearchUnavailableError, shown
from .index import SETTINGS_FILE, Index, ensure_index, open_index
from .models import Hit, Passage, PassageContext, SearchResults
from .schema import TEXT_KEY, passage_from_fields
from .settings import LIBRARY_LIMITS, Settings, check_query

__all__ = ["Searcher", "search", "search_batch", "show", "open_searcher", "parse_queries", "MAX_QUERY_CHARS", "MAX_LIMIT"]

#: Longer queries are refused: they are pasted documents, not questions.
MAX_QUERY_CHARS = LIBRARY_LIMITS.max_query_chars
MAX_LIMIT = LIBRARY_LIMITS.max_limit
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


#: What reading damaged index data raises (cut, overwritten or flipped bytes).
_DATA_ERRORS = (ValueError, EOFError, KeyError, IndexError, OverflowError, struct.error, zlib.error, pickle.UnpicklingError)


def _failure(exc: BaseException, index: os.PathLike[str] | str) -> SearchkitError:
    """The error for a search that failed for want of a resource, on damaged index
    data, or inside searchkit: never a ``QueryError``, which would blame the query."""
    code = getattr(exc, "errno", None)
    if isinstance(exc, MemoryError) or code == errno.ENOMEM:
        what, fix = "out of memory", "retry in a moment, or give the process more memory"
    elif code in (errno.EMFILE, errno.ENFILE):
        what, fix = "too many open files", "retry in a moment, or raise the limit on open files (ulimit -n)"
    elif isinstance(exc, OSError):
        # strerror, not str(exc): that names the file, and the message may go to a web client.
        what = f"the index files cannot be read ({exc.strerror or type(exc).__name__})"
        fix = f"retry in a moment; if it persists, run: searchkit check --index {index}"
    elif isinstance(exc, _DATA_ERRORS):
        return IndexDamagedError(index, f"{type(exc).__name__}: {exc}")
    else:
        what = f"it failed inside searchkit ({type(exc).__name__})"
        fix = (
            f"if searchkit check --index {index} finds damage, rebuild it: searchkit index --rebuild "
            f"--index {index}; otherwise report it"
        )
    return SearchUnavailableError(f"the search cannot run right now: {what}; {fix}")


@contextlib.contextmanager
def _not_the_query(index: os.PathLike[str] | str) -> Iterator[None]:
    """Whatever fails inside the search machinery, other than searchkit's own errors,
    becomes ``_failure``'s error for the index at ``index``."""
    try:
        yield
    except SearchkitError:
        raise
    except Exception as exc:
        raise _failure(exc, index) from exc


class _ThreadToken:
    """Held in one thread's local storage only, so it is freed when the thread ends."""

    __slots__ = ("__weakref__",)


def _close_thread_reading(readings: dict[int, Any], lock: threading.Lock, key: int) -> None:
    with lock:
        reading = readings.pop(key, None)
        if reading is not None:
            reading.retired = True
    if reading is not None:
        reading.close()  # once only, whoever else closes it


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


class _Words(NamedTuple):
    """A plain-words query before any Whoosh query object is made: an OR of
    ``(field, word, boost)`` clauses, which ``_exact_top`` scores itself."""

    leaves: tuple[tuple[str, str, float], ...]


def _by_score(item: tuple[int, float]) -> tuple[float, int]:
    return item[1], -item[0]  # best score first, then the lower document number


def _exact_top(
    reading: _Reading, leaves: Sequence[tuple[str, str, float]], limit: int, deadline: float | None
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
    weighting = reading.weighting
    if not isinstance(weighting, _BM25F):
        return None
    schema = reading.schema
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
    for reader, offset in reading.reader().leaf_readers():
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
            scoring_of[number] = (reading.idf(fieldname, term), _length_norms(reading, fieldname, k1, b))
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


class _Reading:
    """One thread's open reader of the index, with what searchkit's own scoring asks
    of a Whoosh searcher (the same statistics, computed the same way). A Whoosh
    searcher over the same reader is made only for what needs Whoosh's matchers
    (syntax, proximity, feedback, ``show``): its module imports Whoosh's query
    modules, which plain words never use."""

    def __init__(self, ix: Any, weighting: Any, built: tuple[int, int] | None = None) -> None:
        self._ix = ix
        self.ixreader = ix.reader()
        self.weighting = weighting
        #: Which build and commit of the index this reads.
        self.built = built
        generation = self.ixreader.generation()
        self.generation = -1 if generation is None else int(generation)  # None: an empty index
        # Guarded by the Searcher's lock: searches using it now; superseded by a newer
        # commit (closed when the last of them ends); closed or about to be.
        self.users = 0
        self.stale = False
        self.retired = False
        self.schema = self.ixreader.schema
        self._doccount = self.ixreader.doc_count_all()
        self._idf_cache: dict[tuple[str, Any], float] = {}
        self._whoosh: Any = None
        self.is_closed = False
        self._closing = threading.Lock()

    def reader(self) -> Any:
        return self.ixreader

    def get_parent(self) -> "_Reading":
        return self

    def doc_count_all(self) -> int:
        return self._doccount

    def doc_frequency(self, fieldname: str, text: Any) -> int:
        return int(self.ixreader.doc_frequency(fieldname, text))

    def avg_field_length(self, fieldname: str, default: float | None = None) -> float | None:
        if not self.schema[fieldname].scorable:
            return default
        return self.ixreader.field_length(fieldname) / (self._doccount or 1)

    def idf(self, fieldname: str, text: Any) -> float:
        key = (fieldname, text)
        found = self._idf_cache.get(key)
        if found is None:
            found = self._idf_cache[key] = self.weighting.idf(self, fieldname, text)
        return found

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        return self.ixreader.stored_fields(docnum)  # type: ignore[no-any-return]

    def whoosh(self) -> Any:
        """A Whoosh searcher over this reader (closed with it)."""
        if self._whoosh is None:
            from whoosh.searching import Searcher as WhooshSearcher

            self._whoosh = WhooshSearcher(self.ixreader, weighting=self.weighting, closereader=False, fromindex=self._ix)
        return self._whoosh

    def up_to_date(self) -> bool:
        # Whoosh's own refresh (``reader(reuse=...)``) is not used: it kept the old
        # reader's segments and their old deletions, so a long-lived searcher went on
        # finding replaced and removed passages, with the old statistics.
        return bool(self._ix.latest_generation() == self.ixreader.generation())

    def close(self) -> None:
        # Under a lock: Searcher.close(), a search that sees a newer commit and the
        # thread's finalizer may each close it, and Whoosh raises on a second close.
        with self._closing:
            if self.is_closed:
                return
            self.is_closed = True
        if self._whoosh is not None:
            self._whoosh.close()  # made with closereader=False: it leaves the reader to this
        self.ixreader.close()


class Searcher:
    """Searches one index; thread-safe (each thread gets its own reader of the index).

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
        # Every thread's reading, so close() can close them all, not only its own.
        self._open: dict[int, Any] = {}
        self._open_lock = threading.Lock()
        self._analyzer = analyzer(self.settings.analyzer_name)

    def __enter__(self) -> "Searcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._open_lock:
            readings = list(self._open.values())
            self._open.clear()  # in place: the threads' finalizers hold this dict
            for reading in readings:
                reading.retired = True
        try:
            for reading in readings:
                try:
                    reading.close()
                except Exception:  # a search still running in another thread may hold it:
                    pass  # the other readings and the index are closed all the same
        finally:
            self._local.reading = None
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

    def _reading(self) -> _Reading:
        """This thread's reading of the index, refreshed when the index has a new commit
        (not held: searches hold theirs with ``_held``)."""
        with self._held() as reading:
            return reading

    @contextlib.contextmanager
    def _held(self) -> Iterator[_Reading]:
        """This thread's reading, refreshed when the index has a new commit and held
        for one use: another thread that sees a newer commit closes it only when idle."""
        reading = self._acquire()
        try:
            yield reading
        finally:
            with self._open_lock:
                reading.users -= 1
                closing = reading.users == 0 and reading.stale and not reading.retired
                if closing:
                    reading.retired = True
            if closing:
                reading.close()

    def _acquire(self) -> _Reading:
        built = self._built()
        while True:
            reading = getattr(self._local, "reading", None)
            # A rebuild may change what the reader was opened for (the recorded
            # settings): a new build gets a new reader, not a refreshed one.
            if reading is None or reading.retired or reading.stale or reading.is_closed or reading.built != built or not reading.up_to_date():
                break
            with self._open_lock:
                if not (reading.retired or reading.stale):  # not closed by another thread meanwhile
                    reading.users += 1
                    return reading
        fresh = _Reading(self.index.whoosh, _weighting(self.settings), built)
        # Keyed by a token of this thread's own, not its ident (a finished thread's
        # ident is reused by the next one): the token dies with the thread's local
        # storage and closes its reader, so a thread per request leaks no files.
        token = getattr(self._local, "token", None)
        if token is None:
            token = self._local.token = _ThreadToken()
            weakref.finalize(token, _close_thread_reading, self._open, self._open_lock, id(token))
        closing = []
        with self._open_lock:
            fresh.users = 1
            # Every reading of an older commit or another build is closed now, in
            # whichever thread it was opened, or when the search using it ends: idle
            # handler threads kept replaced segments mapped (deleted files on disk)
            # until their next search, which might never come.
            for key, other in list(self._open.items()):
                if other.built == built and other.generation >= fresh.generation:
                    continue
                if other.users == 0:
                    other.retired = True
                    closing.append(other)
                    del self._open[key]
                else:
                    other.stale = True
            self._open[id(token)] = fresh
        self._local.reading = fresh
        for other in closing:
            other.close()  # a no-op where close() in another thread got there first
        return fresh

    def _searcher(self) -> Any:
        """This thread's Whoosh searcher (over its reading of the index, not held)."""
        return self._reading().whoosh()

    # --- queries -------------------------------------------------------------------

    def _stems(self, text: str) -> list[str]:
        return [t.text for t in self._analyzer(text)]

    def _plain_query(self, text: str) -> tuple[Any, set[str]]:
        """Plain words: a ``_Words`` (an OR of words, scored by ``_exact_top``), or a
        Whoosh query where proximity or feedback adds clauses of other kinds."""
        tokens = words(text)
        kept = [w for w in tokens if w not in STOP_WORDS] if self.settings.stopwords else tokens
        stems = self._stems(" ".join(kept or tokens))
        if not stems:
            raise QueryError(f"query {shown(text)} has no words to search for; type some words")
        counts: dict[str, int] = {}
        for s in stems:
            counts[s] = counts.get(s, 0) + 1
        leaves = []
        body = "content" if self.settings.one_field else "text"
        for term, count in counts.items():
            leaves.append((body, term, float(count)))
            if self.settings.title_boost > 0:
                leaves.append(("title", term, float(count) * self.settings.title_boost))
        query: Any = _Words(tuple(leaves))
        if self.settings.proximity_boost > 0:
            from .query import words_query

            # Neighbouring query words that also stand near each other in a passage earn a bonus.
            pairs = sorted({pair for pair in zip(stems, stems[1:]) if pair[0] != pair[1]})
            query = words_query(leaves, pairs, self.settings.proximity_slop, self.settings.proximity_boost)
        if self.settings.feedback_docs > 0 and self.settings.feedback_terms > 0:
            query = self._expand(query)
        return query, set(counts)

    def _expand(self, query: Any) -> Any:
        """Pseudo-relevance feedback: add the key terms (Bo1) of the best passages
        for ``query``, each weighted by its normalised Bo1 score, to the score of the
        passages that match ``query``."""
        from .query import expand, words_query

        weight = self.settings.feedback_weight
        with self._held() as reading:
            # The best distinct passages: five copies of one passage would feed back its words only.
            docnums = [docnum for _, docnum in self._top(reading, query, self.settings.feedback_docs, None)[0]]
            if not docnums:
                return query
            extra = [
                (term, weight * score)
                for term, score in reading.whoosh().key_terms(docnums, "text", numterms=self.settings.feedback_terms)
            ]
        if not extra:
            return query
        if isinstance(query, _Words):
            query = words_query(query.leaves)
        # Re-ranking only: every hit still holds a word of the query; otherwise
        # expansion terms may find passages without one.
        return expand(query, extra, rerank=self.settings.feedback_rerank)

    def _syntax_query(self, text: str) -> tuple[Any, set[str]]:
        from .query import parse_syntax

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
        with _not_the_query(self.index.path):
            parsed, terms = self._syntax_query(query) if syntax else self._plain_query(query)
            with self._held() as reading:
                top, timed_out = self._top(reading, parsed, limit, time_limit)
                passages = [(score, passage_from_fields(reading.stored_fields(docnum))) for score, docnum in top]
        spans = self._highlight_all([p.text for _, p in passages], terms if highlight else set())
        hits = [self._hit(rank, score, passage, found) for rank, ((score, passage), found) in enumerate(zip(passages, spans), 1)]
        return SearchResults(query=query, hits=tuple(hits), timed_out=timed_out, query_id=query_id)

    def _top(self, reading: _Reading, query: Any, limit: int, time_limit: float | None) -> tuple[list[tuple[float, int]], bool]:
        """``[(score, docnum)]`` of the ``limit`` best distinct passages for a query
        (``_Words`` or a parsed Whoosh query), and whether the time limit cut it short."""
        began = time.monotonic()
        deadline = None if time_limit is None else began + time_limit
        if isinstance(query, _Words):
            leaves: Sequence[tuple[str, str, float]] | None = query.leaves
        else:
            from .query import term_leaves

            leaves = term_leaves(query)
        exact = None if leaves is None else _exact_top(reading, leaves, limit, deadline)
        if exact is not None:
            return exact
        from .query import collect_top, words_query

        if isinstance(query, _Words):  # an index this does not score: Whoosh's matchers do
            query = words_query(query.leaves)
        # A quarter of the time at most goes to expanding prefix* and fuzzy~ words:
        # loading their postings takes about as long again, and the rest finds hits.
        expand_by = None if time_limit is None else began + time_limit / 4
        return collect_top(reading.whoosh(), query, limit, deadline, lambda reader: _column(reader, TEXT_KEY), expand_by)

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
        with _not_the_query(self.index.path):
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
        stem_of = stem_cache(self.settings.analyzer_name).token
        matched = {word for word in set(itertools.chain.from_iterable(_TOKEN_RE.findall(text) for text in texts)) if stem_of(word) in terms}
        if not matched:
            return [()] * len(texts)
        pattern = _any_of(frozenset(matched))
        # Every word of the pattern stems to a term of the query, whichever text it came from.
        return [_whole_token_spans(text, pattern) for text in texts]


@functools.lru_cache(maxsize=4096)
def _any_of(words: frozenset[str]) -> re.Pattern[str]:
    """A pattern finding any of ``words``, longest first. Plain literals: a pattern
    that starts with one lets the regex engine skip to the positions holding a
    first letter of a word, and compiles in a tenth of the time of one that
    starts with lookbehinds."""
    return re.compile("|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)))


#: What joins two runs of word characters into one token (see ``TOKEN_PATTERN``).
_JOINERS = frozenset("'’.")


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # what ``\w`` matches


def _whole_token_spans(text: str, pattern: re.Pattern[str]) -> tuple[tuple[int, int], ...]:
    """Where ``pattern`` (``_any_of`` the words to mark) finds a word that
    ``TOKEN_PATTERN`` reads as a whole token of ``text``: not inside a longer token
    ("a.b", "don't"). Searching for the few words to mark beats reading every
    token of the passage.

    A find inside a longer token is passed over and the search goes on from the
    next character: a shorter word found at the same place would end inside that
    token too, since the words are tokens themselves."""
    spans = []
    end_of_text = len(text)
    search = pattern.search
    found = search(text)
    while found:
        start, end = found.span()
        inside = (start > 0 and (
            _is_word_char(text[start - 1])
            or (text[start - 1] in _JOINERS and start > 1 and _is_word_char(text[start - 2]))
        )) or (end < end_of_text and (
            _is_word_char(text[end])
            or (text[end] in _JOINERS and end + 1 < end_of_text and _is_word_char(text[end + 1]))
        ))
        if inside:
            found = search(text, start + 1)
        else:
            spans.append((start, end))
            found = search(text, end)
    return tuple(spans)


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


def open_searcher(index: Index | Searcher | str | os.PathLike[str]) -> Searcher:
    """``index`` as a ``Searcher``, for front-ends (server, MCP, retrievers): one given
    is shared as it is; an ``Index`` or a folder gets a ``Searcher`` of its own,
    which the caller closes (``searcher is not index`` tells it so)."""
    return index if isinstance(index, Searcher) else Searcher(index)
