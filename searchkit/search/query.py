"""Plain words → the query plan, and query files → queries.

Plain words become ``Words`` (an OR of ``(field, word, boost)`` clauses that
``scoring.exact_top`` scores itself) without importing Whoosh's query modules;
only proximity asks ``syntax`` for a Whoosh query. Query syntax is parsed in
``syntax``, imported only by the queries that need it.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from ..analysis import STOP_WORDS, words
from ..errors import QueryError, shown
from ..settings import Settings
from .scoring import Leaf

__all__ = ["Words", "plain_query", "similar_query", "with_variants", "parse_queries"]


class Words(NamedTuple):
    """A plain-words query before any Whoosh query object is made: an OR of
    ``(field, word, boost)`` clauses, which ``scoring.exact_top`` scores itself."""

    leaves: tuple[Leaf, ...]
    #: Close spellings of rare query words that were added (``variants.Variants``), if any.
    variants: Any = None


def _stems(text: str, settings: Settings, stems: Callable[[str], list[str]]) -> list[str]:
    tokens = words(text)
    kept = [w for w in tokens if w not in STOP_WORDS] if settings.stopwords else tokens
    return stems(" ".join(kept or tokens))


def _words(counts: dict[str, int], settings: Settings) -> Words:
    """An OR of the stems, each weighed by how often it was asked for, in the body
    field and (``title_boost``) the title."""
    leaves = []
    body = "content" if settings.one_field else "text"
    for term, count in counts.items():
        leaves.append((body, term, float(count)))
        if settings.title_boost > 0:
            leaves.append(("title", term, float(count) * settings.title_boost))
    return Words(tuple(leaves))


def similar_query(
    text: str, settings: Settings, stems: Callable[[str], list[str]], idf: Callable[[str], float], keep: int = 25
) -> tuple[Words, set[str]]:
    """``Words`` for the passages most like ``text``: its ``keep`` most distinctive
    stems (occurrences times idf in this index), each weighed by its occurrences."""
    counts: dict[str, int] = {}
    for stem in _stems(text, settings, stems):
        counts[stem] = counts.get(stem, 0) + 1
    weight = {stem: count * idf(stem) for stem, count in counts.items()}
    chosen = sorted(weight, key=lambda stem: (-weight[stem], stem))[:keep]
    if not chosen:
        raise QueryError("this passage has no words to compare others with")
    return _words({stem: counts[stem] for stem in chosen}, settings), set(chosen)


def plain_query(text: str, settings: Settings, stems: Callable[[str], list[str]]) -> tuple[Any, set[str]]:
    """Plain words: ``Words``, or a Whoosh query where proximity adds phrase clauses;
    and the stems to highlight. ``stems`` is the index's analyzer, word by word."""
    found = _stems(text, settings, stems)
    if not found:
        raise QueryError(f"query {shown(text)} has no words to search for; type some words")
    counts: dict[str, int] = {}
    for s in found:
        counts[s] = counts.get(s, 0) + 1
    query: Any = _words(counts, settings)
    leaves = query.leaves
    if settings.proximity_boost > 0:
        from .syntax import words_query

        # Neighbouring query words that also stand near each other in a passage earn a bonus.
        pairs = sorted({pair for pair in zip(found, found[1:]) if pair[0] != pair[1]})
        query = words_query(leaves, pairs, settings.proximity_slop, settings.proximity_boost)
    return query, set(counts)


def with_variants(query: Words, found: Any, settings: Settings) -> Words:
    """``query`` with the close spellings ``found`` (``variants.Variants``) of its
    words, each weighed ``variant_weight`` times the word it stands for."""
    body = "content" if settings.one_field else "text"
    weight = {term: boost for field, term, boost in query.leaves if field == body}
    leaves = list(query.leaves)
    for variant, term in found.of.items():
        boost = weight[term] * settings.variant_weight
        leaves.append((body, variant, boost))
        if settings.title_boost > 0:
            leaves.append(("title", variant, boost * settings.title_boost))
    return Words(tuple(leaves), found)


def parse_queries(text: str, name: str = "queries") -> list[tuple[str, str]]:
    """``(query_id, query)`` pairs from JSON Lines with ``id`` and ``query`` (or ``text``),
    or from plain text with one query per line (ids are line numbers)."""
    from ..ingest.formats import iter_json_lines  # here: searching alone never loads the ingesters

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
