"""A concordance (keyword in context): every occurrence of a word, name or phrase
in the indexed passages, with the words around it, its exact offsets in the
source text and its citation.

Stemmed by default ("condemn" finds "condemned" and "condemnation"), as the index
analyses words; ``exact`` matches the surface form, ignoring case. The index gives
the passages holding every word of the term; each is then scanned token by token
with the analyser's own tokenizer, so the count is every occurrence, not the top ten.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from .analysis import TOKEN_PATTERN, stem_cache
from .errors import QueryError
from .index import Index
from .models import Passage
from .search import Searcher, open_searcher

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
        out = dataclasses.asdict(self)
        out["metadata"] = dict(self.metadata)
        return out


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


def _occurrences(passage: Passage, keys: list[str], key: Any, width: int) -> Iterator[Occurrence]:
    text = passage.text
    found = [(m.start(), m.end(), key(m.group())) for m in _TOKEN.finditer(text)]
    n = len(keys)
    for i in range(len(found) - n + 1):
        if found[i][2] != keys[0] or any(found[i + j][2] != keys[j] for j in range(1, n)):
            continue
        a, b = found[i][0], found[i + n - 1][1]
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
) -> Concordance:
    """Every occurrence of ``term`` (a word, name or phrase) in the index's passages.

    Stemmed unless ``exact`` (then the words as written, any case). ``width`` is
    the characters of context on each side; ``sort`` is ``source`` (file, then
    offset), ``left`` or ``right`` (the words on that side); ``limit`` keeps the
    first that many after sorting (``total`` counts them all). Raises
    ``QueryError`` for a term without words or an unknown sort.
    """
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    if not 0 <= width <= MAX_WIDTH:
        raise QueryError(f"width must be from 0 to {MAX_WIDTH}, not {width}")
    if limit is not None and limit < 1:
        raise QueryError(f"limit must be at least 1, not {limit}")
    tokens = _TOKEN.findall(term)
    if not tokens:
        raise QueryError(f"{term!r} has no words to look for")
    searcher = open_searcher(index)
    try:
        stems = stem_cache(searcher.settings.analyzer_name)
        stemmed = [stems.token(t) for t in tokens]
        keys = [_surface(t) for t in tokens] if exact else stemmed
        key = _surface if exact else stems.token
        found = [o for p in searcher.passages_with(stemmed) for o in _occurrences(p, keys, key, width)]
    finally:
        if searcher is not index:
            searcher.close()
    found.sort(key=_sort_key(sort))
    return Concordance(term=term, exact=exact, total=len(found), occurrences=tuple(found[:limit]))
