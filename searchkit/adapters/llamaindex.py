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
from typing import Any, Mapping, Sequence

from llama_index.core.callbacks import CallbackManager
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import FilterCondition, FilterOperator, MetadataFilters

from .. import Hit, Index, Searcher
from ..errors import QueryError
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


def _as_pairs(where: Mapping[str, Any] | Sequence[str] | None) -> list[str]:
    if isinstance(where, Mapping):
        return [f"{k}={v}" for k, vs in where.items() for v in (vs if isinstance(vs, (list, tuple, set)) else [vs])]
    return list(where or [])


def narrowing_of(filters: MetadataFilters, where: Mapping[str, Any] | Sequence[str] | None = None) -> dict[str, Any]:
    """LlamaIndex's ``MetadataFilters`` as searchkit's ``where``, ``since`` and
    ``until``: ``==`` and ``in`` on any field, ``>=`` and ``<=`` on ``date``, all
    ANDed (searchkit's filters AND different fields)."""
    if filters.condition not in (None, FilterCondition.AND) and len(filters.filters) > 1:
        raise QueryError(f"filters joined by {filters.condition.value!r} cannot be searched; join them with 'and'")
    pairs = _as_pairs(where)
    out: dict[str, Any] = {}
    for item in filters.filters:
        if isinstance(item, MetadataFilters):
            nested = narrowing_of(item)
            pairs += nested.pop("where")
            out.update(nested)
            continue
        op = item.operator
        if item.key == "date" and op in (FilterOperator.GTE, FilterOperator.LTE):
            out["since" if op == FilterOperator.GTE else "until"] = str(item.value)
        elif op == FilterOperator.EQ:
            pairs.append(f"{item.key}={item.value}")
        elif op == FilterOperator.IN and isinstance(item.value, list):
            pairs += [f"{item.key}={value}" for value in item.value]
        else:
            raise QueryError(
                f"filter {item.key} {op.value} {item.value!r} cannot be searched; use ==, in, or >= / <= on date"
            )
    out["where"] = pairs
    return out


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
        filters: MetadataFilters | None = None,
        where: Mapping[str, Any] | Sequence[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        group_by: str | None = None,
        sort: str = "relevance",
        callback_manager: CallbackManager | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(callback_manager=callback_manager, **kwargs)
        self.searcher = open_searcher(index)
        self.limit = limit
        self.syntax = syntax
        self.options: dict[str, Any] = {"where": where, "since": since, "until": until, "group_by": group_by, "sort": sort}
        if filters is not None:
            self.options.update(narrowing_of(filters, where))

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        results = self.searcher.search(query_bundle.query_str, limit=self.limit, syntax=self.syntax, **self.options)
        return [to_node(hit) for hit in results]
