"""A LangChain retriever over a searchkit index: ``Document`` per passage, citation in metadata.

Needs the ``langchain`` extra (``langchain-core``)::

    from searchkit.adapters.langchain import SearchkitRetriever
    retriever = SearchkitRetriever(index="index", limit=4)
    docs = retriever.invoke("Who introduced Senate Resolution 211?")
    docs[0].metadata["citation"]

``page_content`` is the passage text, ``id`` its ``passage_id``, and ``metadata``
holds ``hit_metadata``: passage_id, doc_id, source, start, end, title, score, rank,
the one-line citation and the article's metadata.
"""

from __future__ import annotations

import os
from typing import Any, Optional

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import Field, PrivateAttr

from .. import Hit, Index, Searcher
from . import hit_metadata, open_searcher

__all__ = ["SearchkitRetriever", "to_document"]


def to_document(hit: Hit) -> Document:
    return Document(page_content=hit.text, metadata=hit_metadata(hit), id=hit.passage_id)


class SearchkitRetriever(BaseRetriever):
    """Retrieves the ``limit`` best passages of a searchkit index for a query.

    ``index`` is an index folder, an open ``Index`` or a ``Searcher`` (to share one
    between retrievers and threads). ``syntax=True`` reads queries as Whoosh query
    syntax (AND/OR/NOT, "phrases", field:value) instead of plain words.
    """

    index: Any = Field(description="Index folder, searchkit.Index or searchkit.Searcher.")
    limit: int = Field(default=10, ge=1, le=10_000, description="How many passages to return.")
    syntax: bool = Field(default=False, description="Read queries as query syntax.")
    where: Any = Field(default=None, description="Filters: {field: value or [values]} (the shape of LangChain's "
                                                  "metadata filter dicts) or ['field=value', ...].")
    since: Optional[str] = Field(default=None, description="Only articles dated on or after (YYYY[-MM[-DD]]).")
    until: Optional[str] = Field(default=None, description="Only articles dated on or before (inclusive).")
    group_by: Optional[str] = Field(default=None, description='"article": one passage per article.')
    sort: str = Field(default="relevance", description="relevance, date or -date.")
    _searcher: Searcher = PrivateAttr()

    def __init__(self, index: Index | Searcher | str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(index=index, **kwargs)
        self._searcher = open_searcher(index)

    @property
    def searcher(self) -> Searcher:
        return self._searcher

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        results = self._searcher.search(
            query, limit=self.limit, syntax=self.syntax, where=self.where, since=self.since, until=self.until,
            group_by=self.group_by, sort=self.sort,
        )
        return [to_document(hit) for hit in results]
