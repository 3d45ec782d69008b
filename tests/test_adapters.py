"""The LangChain and LlamaIndex retrievers, with the real langchain-core and llama-index-core."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import searchkit

QUESTION = "Who introduced Senate Resolution 211?"
CITATION_KEYS = {"passage_id", "doc_id", "source", "start", "end", "title", "score", "rank", "citation"}


def expected(index: Path, limit: int, syntax: bool = False, query: str = QUESTION) -> list[searchkit.Hit]:
    with searchkit.Searcher(index) as searcher:
        return list(searcher.search(query, limit=limit, syntax=syntax))


def check_metadata(metadata: dict, hit: searchkit.Hit, corpus: Path, text: str) -> None:
    assert CITATION_KEYS <= metadata.keys()
    assert metadata["passage_id"] == hit.passage_id and metadata["score"] == hit.score
    assert metadata["citation"] == str(hit.citation)
    assert searchkit.source_text(corpus, metadata["source"], metadata["doc_id"])[metadata["start"]:metadata["end"]] == text


class TestLangChain:
    @pytest.fixture(autouse=True)
    def _needs(self) -> None:
        pytest.importorskip("langchain_core")

    def test_documents_carry_text_score_and_citation(self, built: Path, corpus: Path) -> None:
        from langchain_core.documents import Document
        from searchkit.adapters.langchain import SearchkitRetriever

        docs = SearchkitRetriever(index=built, limit=4).invoke(QUESTION)
        hits = expected(built, 4)
        assert len(docs) == 4 and all(isinstance(d, Document) for d in docs)
        assert [d.id for d in docs] == [h.passage_id for h in hits]
        for doc, hit in zip(docs, hits):
            assert doc.page_content == hit.text
            check_metadata(doc.metadata, hit, corpus, doc.page_content)
        assert "Pat Toomey" in docs[0].page_content and docs[0].metadata["author"] == "Dan Avery"

    def test_syntax_async_and_a_shared_searcher(self, built: Path) -> None:
        from searchkit.adapters.langchain import SearchkitRetriever

        with searchkit.Searcher(built) as searcher:
            retriever = SearchkitRetriever(searcher, limit=3, syntax=True)
            assert retriever.searcher is searcher
            docs = asyncio.run(retriever.ainvoke('"Ed Markey"'))
            assert docs and all("Ed Markey" in d.page_content for d in docs)
            batch = retriever.batch(["Chechnya", "Toomey"])  # on LangChain's thread pool
            assert [[d.id for d in docs] for docs in batch] == [
                [h.passage_id for h in expected(built, 3, True, query)] for query in ("Chechnya", "Toomey")
            ]

    def test_filters_as_in_the_library(self, built: Path) -> None:
        from searchkit.adapters.langchain import SearchkitRetriever

        docs = SearchkitRetriever(index=built, limit=10, where={"publisher": "NBC Out"}, group_by="article").invoke("chechnya")
        with searchkit.Searcher(built) as searcher:
            hits = searcher.search("chechnya", limit=10, where={"publisher": "NBC Out"}, group_by="article")
        assert [d.metadata["passage_id"] for d in docs] == [h.passage_id for h in hits] and len(docs) == 1
        assert docs[0].metadata["publisher"] == "NBC Out"

    def test_errors_are_searchkit_errors(self, built: Path) -> None:
        from searchkit.adapters.langchain import SearchkitRetriever

        with pytest.raises(searchkit.QueryError, match="empty"):
            SearchkitRetriever(index=built).invoke("   ")
        with pytest.raises(searchkit.IndexNotFoundError):
            SearchkitRetriever(index=built.parent / "nowhere")
        with pytest.raises(ValueError):
            SearchkitRetriever(index=built, limit=0)


class TestLlamaIndex:
    @pytest.fixture(autouse=True)
    def _needs(self) -> None:
        pytest.importorskip("llama_index.core")

    def test_nodes_carry_text_score_and_citation(self, built: Path, corpus: Path) -> None:
        from llama_index.core.schema import MetadataMode, NodeRelationship, NodeWithScore
        from searchkit.adapters.llamaindex import SearchkitRetriever

        results = SearchkitRetriever(built, limit=4).retrieve(QUESTION)
        hits = expected(built, 4)
        assert len(results) == 4 and all(isinstance(r, NodeWithScore) for r in results)
        for result, hit in zip(results, hits):
            node = result.node
            assert node.node_id == hit.passage_id and result.score == hit.score
            assert node.get_content() == hit.text
            assert (node.start_char_idx, node.end_char_idx) == (hit.start, hit.end)
            assert node.relationships[NodeRelationship.SOURCE].node_id == hit.doc_id
            check_metadata(node.metadata, hit, corpus, node.get_content())
        # What an LLM sees: the passage with its citation, not offsets and highlight spans.
        shown = results[0].node.get_content(metadata_mode=MetadataMode.LLM)
        assert "citation: " in shown and "Dan Avery" in shown and "highlights" not in shown

    def test_metadata_filters_become_searchkit_filters(self, built: Path) -> None:
        from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters
        from searchkit.adapters.llamaindex import SearchkitRetriever

        filters = MetadataFilters(filters=[
            MetadataFilter(key="publisher", value=["NBC Out", "Star Observer"], operator=FilterOperator.IN),
            MetadataFilter(key="kind", value="body"),
        ])
        results = SearchkitRetriever(built, limit=20, filters=filters).retrieve("chechnya")
        with searchkit.Searcher(built) as searcher:
            hits = searcher.search("chechnya", limit=20, where={"publisher": ["NBC Out", "Star Observer"], "kind": "body"})
        assert [r.node.node_id for r in results] == [h.passage_id for h in hits] and hits.hits
        assert {r.node.metadata["publisher"] for r in results} == {"NBC Out", "Star Observer"}
        dated = MetadataFilters(filters=[MetadataFilter(key="date", value="2017-01-01", operator=FilterOperator.GTE)])
        assert SearchkitRetriever(built, filters=dated).retrieve("chechnya") == []  # the bundled articles are undated
        with pytest.raises(searchkit.QueryError, match="cannot be searched"):
            SearchkitRetriever(built, filters=MetadataFilters(filters=[MetadataFilter(key="x", value=1, operator=FilterOperator.NE)]))

    def test_syntax_and_async(self, built: Path) -> None:
        from searchkit.adapters.llamaindex import SearchkitRetriever

        retriever = SearchkitRetriever(built, limit=2, syntax=True)
        results = asyncio.run(retriever.aretrieve('"Ed Markey"'))
        assert [r.node.node_id for r in results] == [h.passage_id for h in expected(built, 2, True, '"Ed Markey"')]
        assert results and all("Ed Markey" in r.node.get_content() for r in results)

    def test_in_a_query_engine_without_an_llm(self, built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        from llama_index.core import Settings
        from llama_index.core.llms import MockLLM
        from llama_index.core.query_engine import RetrieverQueryEngine
        from searchkit.adapters.llamaindex import SearchkitRetriever

        # LlamaIndex would look for OpenAI; "no_text" synthesis asks no model at all,
        # it only gathers the retrieved, cited nodes.
        monkeypatch.setattr(Settings, "_llm", MockLLM())
        engine = RetrieverQueryEngine.from_args(SearchkitRetriever(built, limit=3), response_mode="no_text")
        response = engine.query(QUESTION)
        assert [n.node.metadata["rank"] for n in response.source_nodes] == [1, 2, 3]
