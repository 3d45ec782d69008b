"""A concordance (keyword in context): every occurrence of a word, name or phrase
in the indexed passages, with the words around it, its exact offsets in the
source text and its citation.

Stemmed by default ("condemn" finds "condemned" and "condemnation"), as the index
analyses words; ``exact`` matches the surface form, ignoring case. The index gives
the passages holding every word of the term; each is then scanned for the surface
forms of the term's words (the tokens the analyser gives the same stem, or with
``exact`` the same lower case), as whole tokens, so the count is every occurrence,
not the top ten. Search's filters (``where``, ``since``, ``until``) narrow the
passages scanned.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

from .analysis import TOKEN_PATTERN, stem_cache
from .errors import QueryError
from .index import Index
from .models import Passage
from .search import Searcher, open_searcher
from .search.filters import narrowing

__all__ = ["kwic", "Concordance", "Occurrence", "SORTS", "DEFAULT_WIDTH"]

SORTS = ("source", "left", "right")
DEFAULT_WIDTH = 40
MAX_WIDTH = 1000

_TOKEN = re.compile(TOKEN_PATTERN)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Occurrence:
    """One occurrence: ``match == source_text[start:end]``; ``left`` and ``right``
    are up to ``width`` characters of its passage on either side (white space as one space)."""

    source: str
    doc_id: str
    passage_id: str
    start: int
    end: int
    left: str
    match: str
    right: str
    title: str
    citation: str
    metadata: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        # Field by field, not dataclasses.asdict: its deep copy was a third of
        # printing a large concordance as JSON lines.
        out = {name: getattr(self, name) for name in _FIELDS}
        out["metadata"] = dict(self.metadata)
        return out


_FIELDS = tuple(f.name for f in dataclasses.fields(Occurrence))


@dataclass(frozen=True)
class Concordance:
    """Every occurrence of ``term`` (``total``), sorted; ``occurrences`` holds at most the limit asked for."""

    term: str
    exact: bool
    total: int
    occurrences: tuple[Occurrence, ...]

    def __iter__(self) -> Iterator[Occurrence]:
        return iter(self.occurrences)

    def __len__(self) -> int:
        return len(self.occurrences)

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.term, "exact": self.exact, "total": self.total,
                "occurrences": [o.to_dict() for o in self.occurrences]}


def _surface(token: str) -> str:
    return token.lower().replace("’", "'")


# A match of these must be a whole token as ``TOKEN_PATTERN`` cuts the text: not
# preceded by a word character (or one and a joining ' ’ .), not followed by one
# (or a joiner and one); consecutive tokens are apart by non-word characters that
# are not a single joiner (that would make them one token).
_STARTS = r"(?<!\w)(?<!\w['’.])"
_ENDS = r"(?!\w)(?!['’.]\w)"
_GAP = r"(?!['’.]\w)\W+"


def _pattern(passages: list[Passage], keys: list[str], key: Any) -> re.Pattern[str] | None:
    """A regular expression for the term's occurrences in ``passages``: each of its
    words as any surface form met there whose key is that word's. Keying the
    distinct tokens once and letting ``re`` scan is what keeps a name's
    concordance over a large corpus fast (keying every token is ten times slower)."""
    seen: set[str] = set()
    for p in passages:
        seen.update(_TOKEN.findall(p.text))
    words = []
    for wanted in keys:
        forms = sorted((t for t in seen if key(t) == wanted), key=len, reverse=True)
        if not forms:
            return None
        words.append("(?:" + "|".join(map(re.escape, forms)) + ")")
    return re.compile(_STARTS + _GAP.join(words) + _ENDS)


def _occurrences(passage: Passage, pattern: re.Pattern[str], width: int) -> Iterator[Occurrence]:
    text = passage.text
    for m in pattern.finditer(text):
        a, b = m.span()
        start, end = passage.start + a, passage.start + b
        yield Occurrence(
            source=passage.source, doc_id=passage.doc_id, passage_id=passage.passage_id, start=start, end=end,
            left=_SPACE.sub(" ", text[max(0, a - width) : a]), match=text[a:b],
            right=_SPACE.sub(" ", text[b : b + width]), title=passage.title,
            citation=str(dataclasses.replace(passage.citation, start=start, end=end)),
            metadata=passage.metadata,
        )


def _sort_key(sort: str) -> Any:
    if sort == "left":  # by the nearest word to the left first, as concordances read
        return lambda o: ([w.lower() for w in reversed(_TOKEN.findall(o.left))], o.source, o.start)
    if sort == "right":
        return lambda o: ([w.lower() for w in _TOKEN.findall(o.right)], o.source, o.start)
    return lambda o: (o.source, o.doc_id, o.start)


def kwic(
    term: str,
    *,
    index: Index | Searcher | str | os.PathLike[str] = "index",
    exact: bool = False,
    width: int = DEFAULT_WIDTH,
    sort: str = "source",
    limit: int | None = None,
    where: Mapping[str, Any] | Iterable[str] | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Concordance:
    """Every occurrence of ``term`` (a word, name or phrase) in the index's passages.

    Stemmed unless ``exact`` (then the words as written, any case). ``width`` is
    the characters of context on each side; ``sort`` is ``source`` (file, then
    offset), ``left`` or ``right`` (the words on that side); ``limit`` keeps the
    first that many after sorting (``total`` counts them all). ``where``,
    ``since`` and ``until`` are search's filters: only passages that pass are
    scanned. Raises ``QueryError`` for a term without words, an unknown sort or a
    bad filter or date.
    """
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    if not 0 <= width <= MAX_WIDTH:
        raise QueryError(f"width must be from 0 to {MAX_WIDTH}, not {width}")
    if limit is not None and limit < 1:
        raise QueryError(f"limit must be at least 1, not {limit}")
    narrow = narrowing(where, since, until)
    tokens = _TOKEN.findall(term)
    if not tokens:
        raise QueryError(f"{term!r} has no words to look for")
    searcher = open_searcher(index)
    try:
        stems = stem_cache(searcher.settings.analyzer_name)
        stemmed = [stems.token(t) for t in tokens]
        keys = [_surface(t) for t in tokens] if exact else stemmed
        key = _surface if exact else stems.token
        passages = searcher.passages_with(stemmed, narrow=narrow)
        pattern = _pattern(passages, keys, key)
        found = [o for p in passages for o in _occurrences(p, pattern, width)] if pattern else []
    finally:
        if searcher is not index:
            searcher.close()
    found.sort(key=_sort_key(sort))
    return Concordance(term=term, exact=exact, total=len(found), occurrences=tuple(found[:limit]))
