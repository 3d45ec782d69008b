"""Retrievers for other frameworks over a searchkit index; each lives in its own module
and needs its own extra (``langchain``, ``llamaindex``).

    from searchkit.adapters.langchain import SearchkitRetriever    # LangChain
    from searchkit.adapters.llamaindex import SearchkitRetriever   # LlamaIndex

Both put the same citation into each result's metadata (``hit_metadata``).
"""

from __future__ import annotations

from typing import Any

from .. import Hit
from ..search import open_searcher

__all__ = ["hit_metadata", "open_searcher"]


def hit_metadata(hit: Hit) -> dict[str, Any]:
    """The citation and ranking of ``hit`` as flat metadata: passage_id, doc_id, source,
    start, end, title, ordinal, rank, score, citation (one line), highlights, and the
    article's own metadata (author, publisher, date, url, ...)."""
    core = {
        "passage_id": hit.passage_id,
        "doc_id": hit.doc_id,
        "source": hit.source,
        "start": hit.start,
        "end": hit.end,
        "title": hit.title,
        "ordinal": hit.ordinal,
        "rank": hit.rank,
        "score": hit.score,
        "citation": str(hit.citation),
        "highlights": [list(span) for span in hit.highlights],
    }
    # The article's metadata never overrides the citation's own keys.
    return {**{k: v for k, v in hit.metadata.items() if k not in core}, **core}
