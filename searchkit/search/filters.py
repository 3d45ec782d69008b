"""What a newsroom asks of a result list besides words: filters, date bounds,
facet counts, one hit per article, date order and pages, computed over *every*
passage that matches (not only the page shown).

A filter becomes, for each segment, the set of its passages that pass
(``Narrowing.allowed``), read from the index's ``name=value`` filter terms, its
``doc_id`` and ``source`` fields and its date column; the query's matches are
then scored in full (``scoring.all_scores``), narrowed, counted, ordered and cut
into the page asked for (``arrange``).
"""

from __future__ import annotations

import fnmatch
import heapq
import operator
import re
import threading
import weakref
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass
from typing import AbstractSet, Any, Callable, Iterable, Iterator, Mapping, NamedTuple, Sequence

from ..errors import QueryError
from ..schema import ARTICLE_KEY, DATE_KEY, FACET_FIELD, TEXT_KEY
from ..settings import LIBRARY_LIMITS
from . import _whoosh

__all__ = [
    "Narrowing", "narrowing", "parse_bound", "Arranged", "arrange", "own_text", "checked_options", "facet_names", "SORTS",
    "GROUPS", "MAX_FACET_VALUES",
]

#: ``sort``: best first; oldest first; newest first (undated last in both).
SORTS = ("relevance", "date", "-date")
#: ``group_by``: one hit per article.
GROUPS = ("article",)
#: Facet fields computed from the date column rather than filter terms.
_DATE_FACETS = ("year", "month")
#: Fields with an index field of their own (exact values; ``source`` takes globs).
_ID_FIELDS = ("doc_id", "source")
#: Values listed per facet, most frequent first.
MAX_FACET_VALUES = 50

_BOUND = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_bound(text: str | None, end: bool, name: str) -> int | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as the number ``YYYYMMDD`` of the
    first day it covers (``end``: the last day), for inclusive date bounds."""
    if text is None or str(text).strip() == "":
        return None
    match = _BOUND.match(str(text).strip())
    if not match:
        raise QueryError(f"{name} {str(text)!r} is not a date; write YYYY, YYYY-MM or YYYY-MM-DD")
    import calendar  # here: a plain search never reads a date bound

    year, month, day = int(match.group(1)), match.group(2), match.group(3)
    if month is not None and not 1 <= int(month) <= 12:
        raise QueryError(f"{name} {text!r} has no month {month}; write YYYY-MM-DD")
    if month is None:
        return year * 10000 + (1231 if end else 101)
    last = calendar.monthrange(year, int(month))[1]
    if day is not None and not 1 <= int(day) <= last:
        raise QueryError(f"{name} {text!r} has no day {day}; write YYYY-MM-DD")
    chosen = int(day) if day is not None else (last if end else 1)
    return year * 10000 + int(month) * 100 + chosen


def _where_pairs(where: Mapping[str, Any] | Iterable[str] | None) -> dict[str, tuple[str, ...]]:
    """``{field: (values...)}`` from a mapping (a value or a list of values) or from
    ``"FIELD=VALUE"`` strings; repeated fields are ORed."""
    out: dict[str, list[str]] = {}
    if where is None:
        return {}
    items: Iterable[tuple[str, Any]]
    if isinstance(where, Mapping):
        items = where.items()
    else:
        pairs = []
        for entry in where:
            if not isinstance(entry, str) or "=" not in entry:
                raise QueryError(f"filter {entry!r} is not FIELD=VALUE; write e.g. publisher=Reuters")
            name, value = entry.split("=", 1)
            pairs.append((name, value))
        items = pairs
    for name, value in items:
        name = str(name).strip().lower()
        values = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
        if not name or "=" in name:
            raise QueryError(f"filter field {name!r} is not a field name; write e.g. publisher=Reuters")
        for item in values:
            if item is None or str(item).strip() == "":
                raise QueryError(f"filter {name}= has no value; write {name}=VALUE")
            out.setdefault(name, []).append(str(item).strip())
    return {name: tuple(values) for name, values in out.items()}


@dataclass(frozen=True)
class Narrowing:
    """Filters and date bounds, as the search asked for them."""

    where: Mapping[str, tuple[str, ...]]
    since: int | None = None
    until: int | None = None

    @property
    def dated(self) -> bool:
        return self.since is not None or self.until is not None

    @property
    def active(self) -> bool:
        return bool(self.where) or self.dated

    @property
    def _key(self) -> tuple[Any, ...]:
        return (tuple(sorted(self.where.items())), self.since, self.until)

    def allowed(self, reader: Any) -> frozenset[int] | None:
        """The passages of one segment that pass every filter (dates aside: those are
        read from the date column with the matches); None when nothing filters."""
        if not self.where:
            return None
        return _cached(reader, ("where", self._key[0]), lambda: self._allowed(reader))

    def _allowed(self, reader: Any) -> frozenset[int]:
        passing: set[int] | None = None
        for name, values in sorted(self.where.items(), key=lambda item: item[0]):
            found = _matching_docs(reader, name, values)
            passing = found if passing is None else passing & found
            if not passing:
                return frozenset()
        return frozenset(passing or ())

    def passing(self, reader: Any) -> frozenset[int] | None:
        """The passages of one segment that pass the filters and the date bounds."""
        if not self.dated:
            return self.allowed(reader)
        return _cached(reader, ("passing", self._key), lambda: self._dated(reader, undated=False))

    def undated(self, reader: Any) -> frozenset[int]:
        """The passages of one segment that pass the filters but have no date."""
        return _cached(reader, ("undated", self._key[0]), lambda: self._dated(reader, undated=True))

    def _dated(self, reader: Any, undated: bool) -> frozenset[int]:
        allowed = self.allowed(reader)
        dates = _column(reader, DATE_KEY)
        docs: Iterable[int] = range(reader.doc_count_all()) if allowed is None else allowed
        if dates is None:
            return frozenset(docs) if undated else frozenset()
        if undated:
            return frozenset(doc for doc in docs if not dates[doc])
        return frozenset(doc for doc in docs if dates[doc] and self.date_ok(int(dates[doc])))

    def date_ok(self, number: int) -> bool:
        if self.since is not None and number < self.since:
            return False
        return not (self.until is not None and number > self.until)


def narrowing(where: Mapping[str, Any] | Iterable[str] | None, since: str | None, until: str | None) -> Narrowing:
    """A ``Narrowing`` from the search's arguments, or ``QueryError`` naming what is wrong."""
    lower, upper = parse_bound(since, False, "since"), parse_bound(until, True, "until")
    if lower is not None and upper is not None and lower > upper:
        raise QueryError(f"since {since} is after until {until}; swap them")
    return Narrowing(_where_pairs(where), lower, upper)


#: Segment reader -> filter -> the segment's passages that pass it. A segment never
#: changes, and a reader of the index keeps its segments' readers between searches:
#: the same filter on the next query costs nothing.
_PASSING: "weakref.WeakKeyDictionary[Any, OrderedDict[Any, frozenset[int]]]" = weakref.WeakKeyDictionary()
#: Filters and filter values remembered per segment (the least recently used go first).
_CACHED_FILTERS = 256
_CACHE_LOCK = threading.Lock()


def _cached(reader: Any, key: Any, compute: Callable[[], frozenset[int]]) -> frozenset[int]:
    with _CACHE_LOCK:
        cache = _PASSING.setdefault(reader, OrderedDict())
        found = cache.get(key)
        if found is not None:
            cache.move_to_end(key)
            return found
    found = compute()  # outside the lock: two threads may both compute it, once
    with _CACHE_LOCK:
        cache[key] = found
        while len(cache) > _CACHED_FILTERS:
            cache.popitem(last=False)
    return found


def _terms(reader: Any, fieldname: str, prefix: str = "") -> Iterable[str]:
    if fieldname not in reader.schema:
        return []
    return [t if isinstance(t, str) else t.decode("utf-8") for t in reader.expand_prefix(fieldname, prefix)]


def _postings(reader: Any, fieldname: str, term: str) -> frozenset[int]:
    """The passages of one segment whose field holds ``term`` (kept: filter and facet
    values recur from query to query)."""
    return _cached(reader, ("postings", fieldname, term), lambda: frozenset(_read_ids(reader, fieldname, term)))


def _read_ids(reader: Any, fieldname: str, term: str) -> Iterable[int]:
    ids = _whoosh.posting_ids(reader, fieldname, term)
    if ids is not None:
        return ids
    if (fieldname, term) not in reader:
        return ()
    return reader.postings(fieldname, term).all_ids()


def _matching_docs(reader: Any, name: str, values: Sequence[str]) -> set[int]:
    """Local document numbers whose field ``name`` holds one of ``values``."""
    found: set[int] = set()
    if name in _ID_FIELDS:
        for value in values:
            if name == "source" and any(ch in value for ch in "*?["):
                for term in _terms(reader, name):
                    if fnmatch.fnmatchcase(term, value):
                        found |= _postings(reader, name, term)
            else:
                found |= _postings(reader, name, value)
        return found
    wanted = {value.casefold() for value in values}
    prefix = f"{name}="
    for term in _terms(reader, FACET_FIELD, prefix):
        if term[len(prefix):].casefold() in wanted:
            found |= _postings(reader, FACET_FIELD, term)
    return found


def _column(reader: Any, name: str) -> Any:
    values = _whoosh.column(reader, name)
    if values is None:  # another layout: read value by value
        if not reader.has_column(name):
            return None
        values = reader.column_reader(name)
    return values


@dataclass(frozen=True)
class Arranged:
    """One page of a full result list: ``(score, docnum, also)`` per hit (``also``:
    the docnums of the article's other matching passages when grouping, else
    None), the count of all matches (articles when grouping), of those left out
    for want of a date, and the facet counts."""

    page: list[tuple[float, int, list[int] | None]]
    total: int
    undated: int
    facets: dict[str, list[tuple[str, int]]]


def arrange(
    reading: Any,
    scored: Sequence[tuple[Any, int, Mapping[int, float]]],
    narrow: Narrowing,
    *,
    sort: str,
    group_by: str | None,
    facets: Sequence[str],
    offset: int,
    limit: int,
    text_terms: set[str] = frozenset(),  # type: ignore[assignment]
    facet_values: int | None = MAX_FACET_VALUES,
) -> Arranged:
    """Narrow, count, order and page ``scored``: ``(segment reader, docnum offset,
    {local docnum: score})`` for every segment, every match of the query in it.
    By relevance, passages holding one of ``text_terms`` in their own text come
    before those that match only through their article's title. Each facet keeps
    its ``facet_values`` most frequent values (None: all of them)."""
    rows, matched, undated = _rows(scored, narrow, sort, text_terms)
    grouped = group_by == "article"
    facet_counts = _facets(facets, matched, grouped, facet_values)
    page = _first_rows(rows, matched, grouped, offset + limit)[offset:]
    if not grouped:
        return Arranged([(-row[2], row[3], None) for row in page], len(rows), undated, facet_counts)
    ordered, articles = _with_members(page, matched)
    return Arranged(ordered, articles, undated, facet_counts)


def _rows(
    scored: Sequence[tuple[Any, int, Mapping[int, float]]], narrow: Narrowing, sort: str, text_terms: set[str]
) -> tuple[list[tuple[Any, ...]], list[_Matched], int]:
    """Every match that passes ``narrow`` as a row ``(order, order, -score, docnum:
    the sort key; segment number, local docnum)`` (the rest is read from the
    segment's columns for the rows that need it); each segment's matches; and how
    many were left out for want of a date."""
    rows: list[tuple[Any, ...]] = []
    matched: list[_Matched] = []
    undated = 0
    for reader, base, scores in scored:
        if not scores:
            continue
        # Title-only matches sink below every passage with a word of its own.
        own = own_text(reader, scores, text_terms) if text_terms and sort == "relevance" else None
        allowed = narrow.passing(reader)
        if narrow.dated:
            undated += _overlap(scores.keys(), narrow.undated(reader))
        dates = _column(reader, DATE_KEY)
        docs = scores if allowed is None else [doc for doc in scores if doc in allowed]
        seg = len(matched)
        matched.append(_Matched(reader, base, docs, dates, _column(reader, TEXT_KEY), _column(reader, ARTICLE_KEY)))
        if sort == "relevance":
            rows += [(0 if own is None or doc in own else 1, 0, -scores[doc], base + doc, seg, doc) for doc in docs]
        else:
            sign = 1 if sort == "date" else -1
            days = dates if dates is not None else defaultdict(int)  # no date column: all undated
            rows += [(0 if days[doc] else 1, sign * days[doc], -scores[doc], base + doc, seg, doc) for doc in docs]
    return rows, matched, undated


def _first_rows(rows: list[tuple[Any, ...]], matched: Sequence[_Matched], grouped: bool, want: int) -> list[tuple[Any, ...]]:
    """The first ``want`` rows in order, one per text (copies of a paragraph are one
    hit), then one per article when ``grouped``; only as much of the list is put in
    order as that needs."""
    seen_texts: set[int] = set()
    seen_articles: set[int] = set()
    page: list[tuple[Any, ...]] = []
    for row in _in_order(rows):
        part = matched[row[4]]
        text = part.text(row[5])
        if text in seen_texts:
            continue
        seen_texts.add(text)
        if grouped:
            article = part.article(row[5])
            if article in seen_articles:
                continue
            seen_articles.add(article)
        page.append(row)
        if len(page) == want:
            break
    return page


def _with_members(page: list[tuple[Any, ...]], matched: Sequence[_Matched]) -> tuple[list[Any], int]:
    """Each shown article's best row with its other matching passages (in their order
    in the article), and how many articles match."""
    members: dict[int, list[int]] = {matched[row[4]].article(row[5]): [] for row in page}
    articles: set[int] = set()
    for part in matched:
        keys = {doc: part.article(doc) for doc in part.docs}
        articles.update(keys.values())
        for doc, key in keys.items():
            if key in members:
                members[key].append(part.base + doc)
    ordered = []
    for row in page:
        others = sorted(members[matched[row[4]].article(row[5])])
        ordered.append((-row[2], row[3], [docnum for docnum in others if docnum != row[3]]))
    return ordered, len(articles)


class _Matched(NamedTuple):
    """One segment's matches that pass the filters, with the columns read of them."""

    reader: Any
    base: int
    docs: Iterable[int]
    dates: Any
    texts: Any
    articles: Any

    def text(self, doc: int) -> int:
        """The passage's text key (its own docnum, negated, where it has none)."""
        return (self.texts[doc] if self.texts is not None else 0) or -1 - (self.base + doc)

    def article(self, doc: int) -> int:
        return (self.articles[doc] if self.articles is not None else 0) or -1 - (self.base + doc)

    def day(self, doc: int) -> int:
        return self.dates[doc] if self.dates is not None else 0


def _in_order(rows: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """``rows`` in sort order, sorting only as far as it is read: the best 256, then
    the best 1,024, and so on (copies of a text are skipped: a page may read past 10)."""
    done, wanted = 0, 256
    while done < len(rows):
        head = heapq.nsmallest(wanted, rows, key=_SORT_KEY) if wanted < len(rows) else sorted(rows, key=_SORT_KEY)
        yield from head[done:]
        done, wanted = len(head), wanted * 4


#: A row of ``arrange`` is sorted by its first four fields (tier or undated last;
#: date; -score; docnum, which is unique: the segment fields are never compared).
_SORT_KEY = operator.itemgetter(0, 1, 2, 3)


def _overlap(a: Iterable[int], b: frozenset[int]) -> int:
    return sum(1 for item in a if item in b)


def own_text(reader: Any, docnums: AbstractSet[int] | Mapping[int, Any], terms: set[str]) -> set[int]:
    """Those of ``docnums`` (of a segment ``reader``) whose own passage text holds one
    of the stems ``terms``."""
    found: set[int] = set()
    for term in sorted(terms):
        if ("text", term) in reader:
            found.update(set(_read_ids(reader, "text", term)).intersection(docnums))
    return found


def _facets(
    names: Sequence[str], matched: Sequence[_Matched], by_article: bool, most: int | None = MAX_FACET_VALUES
) -> dict[str, list[tuple[str, int]]]:
    """``{name: [(value, count)]}`` over every segment's matches, most frequent first:
    passages, or articles when ``by_article``."""
    out = {}
    days: Counter[int] | None = None
    segments: list[tuple[Any, Any]] | None = None
    for name in names:
        counted: dict[Any, Any] = {}
        if name in _DATE_FACETS:
            cut = 10000 if name == "year" else 100
            if by_article:
                for part in matched:
                    for doc in part.docs:
                        day = part.day(doc)
                        if day:
                            counted.setdefault(day // cut, set()).add(part.article(doc))
            else:
                if days is None:  # one count per day serves the year and the month
                    days = Counter()
                    for part in matched:
                        if part.dates is not None:
                            days.update(part.dates[doc] for doc in part.docs)
                for day, count in days.items():
                    if day:
                        counted[day // cut] = counted.get(day // cut, 0) + count
            counted = {(str(k) if cut == 10000 else f"{k // 100}-{k % 100:02d}"): v for k, v in counted.items()}
        else:
            if segments is None:  # each segment's matches: a set, or local docnum -> article
                segments = [
                    (part.reader, {doc: part.article(doc) for doc in part.docs} if by_article else set(part.docs))
                    for part in matched
                ]
            fieldname, prefix = (name, "") if name in _ID_FIELDS else (FACET_FIELD, f"{name}=")
            for reader, local in segments:
                for term in _terms(reader, fieldname, prefix):
                    posted = _postings(reader, fieldname, term)
                    value = term[len(prefix):]
                    if by_article:
                        small, large = (posted, local) if len(posted) < len(local) else (local, posted)
                        hit = [doc for doc in small if doc in large]
                        if hit:
                            counted.setdefault(value, set()).update(local[doc] for doc in hit)
                    else:
                        found = len(posted & local)
                        if found:
                            counted[value] = counted.get(value, 0) + found
        sizes = ((value, count if isinstance(count, int) else len(count)) for value, count in counted.items())
        out[name] = sorted(sizes, key=lambda item: (-item[1], item[0]))[:most]
    return out


def checked_options(sort: str, group_by: str | None, offset: int, facets: Sequence[str] | str) -> tuple[str, ...]:
    """``QueryError`` for a sort, grouping or offset that is not one; the facet names."""
    if sort not in SORTS:
        raise QueryError(f"sort {sort!r} is not one of {', '.join(SORTS)}; pick one")
    if group_by is not None and group_by not in GROUPS:
        raise QueryError(f"group_by {group_by!r} is not one of {', '.join(GROUPS)}; pick one")
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= LIBRARY_LIMITS.max_offset:
        raise QueryError(f"offset {offset!r} must be a whole number from 0 to {LIBRARY_LIMITS.max_offset}")
    return facet_names(facets)


def facet_names(facets: Sequence[str] | str) -> tuple[str, ...]:
    """Facet names from ``"a,b"`` or ``["a", "b"]``, lower-cased, each once."""
    names = facets.split(",") if isinstance(facets, str) else [n for item in facets for n in str(item).split(",")]
    out: list[str] = []
    for name in names:
        name = name.strip().lower()
        if name and name not in out:
            if "=" in name:
                raise QueryError(f"facet {name!r} is not a field name; write e.g. --facets publisher,year")
            out.append(name)
    return tuple(out)
