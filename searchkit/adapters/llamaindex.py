"""A LlamaIndex retriever over a searchkit index: ``NodeWithScore`` per passage, citation in metadata.

Needs the ``llamaindex`` extra (``llama-index-core``)::

    from searchkit.adapters.llamaindex import SearchkitRetriever
    retriever = SearchkitRetriever("index", limit=4)
    for result in retriever.retrieve("Who introduced Senate Resolution 211?"):
        print(result.score, result.node.metadata["citation"])

Each node is a ``TextNode`` whose id is the ``passage_id``, text the passage text,
``start_char_idx``/``end_char_idx`` its offsets in the source, its SOURCE
relationship the article (``doc_id``), and metadata ``hit_metadata``.
"""

from __future__ import annotations

import os
from typing import Any

from llama_index.core.callbacks import CallbackManager
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode

from .. import Hit, Index, Searcher
from . import hit_metadata, open_searcher

__all__ = ["SearchkitRetriever", "to_node"]

#: Metadata for programs only: kept out of the text that LLMs and embedders see.
HIDDEN = ["highlights", "start", "end", "ordinal", "rank", "score", "doc_id", "passage_id"]


def to_node(hit: Hit) -> NodeWithScore:
    node = TextNode(
        id_=hit.passage_id,
        text=hit.text,
        metadata=hit_metadata(hit),
        start_char_idx=hit.start,
        end_char_idx=hit.end,
        excluded_llm_metadata_keys=list(HIDDEN),
        excluded_embed_metadata_keys=list(HIDDEN),
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=hit.doc_id, metadata={"source": hit.source})},
    )
    return NodeWithScore(node=node, score=hit.score)


class SearchkitRetriever(BaseRetriever):
    """Retrieves the ``limit`` best passages of a searchkit index for a query.

    ``index`` is an index folder, an open ``Index`` or a ``Searcher`` (to share one).
    ``syntax=True`` reads queries as Whoosh query syntax instead of plain words.
    """

    def __init__(
        self,
        index: Index | Searcher | str | os.PathLike[str],
        *,
        limit: int = 10,
        syntax: bool = False,
        callback_manager: CallbackManager | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(callback_manager=callback_manager, **kwargs)
        self.searcher = open_searcher(index)
        self.limit = limit
        self.syntax = syntax

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        results = self.searcher.search(query_bundle.query_str, limit=self.limit, syntax=self.syntax)
        return [to_node(hit) for hit in results]
