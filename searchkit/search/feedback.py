"""Pseudo-relevance feedback: the key terms of the best passages for a query,
added to it to re-rank its passages (or to find more)."""

from __future__ import annotations

from typing import Any, Callable

from ..settings import Settings
from .query import Words
from .reading import Reading
from .scoring import Top

__all__ = ["expand"]


def expand(query: Any, reading: Reading, settings: Settings, top: Callable[[Reading, Any, int, float | None], Top]) -> Any:
    """``query`` (``Words`` or a Whoosh query) with the key terms (Bo1) of its
    ``settings.feedback_docs`` best passages, each weighted by its normalised Bo1
    score; ``top`` ranks a query's best distinct passages on ``reading``."""
    from .syntax import expand as with_terms, words_query

    # The best distinct passages: five copies of one passage would feed back its words only.
    docnums = [docnum for _, docnum in top(reading, query, settings.feedback_docs, None)[0]]
    if not docnums:
        return query
    weight = settings.feedback_weight
    key_terms = reading.whoosh().key_terms(docnums, "text", numterms=settings.feedback_terms)
    extra = [(term, weight * score) for term, score in key_terms]
    if not extra:
        return query
    if isinstance(query, Words):
        query = words_query(query.leaves)
    # Re-ranking only: every hit still holds a word of the query; otherwise
    # expansion terms may find passages without one.
    return with_terms(query, extra, rerank=settings.feedback_rerank)
