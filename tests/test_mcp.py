"""The MCP server, started as `searchkit mcp` and driven over stdio by the official SDK's client."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp")

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

import searchkit

QUESTION = "Who introduced Senate Resolution 211?"


async def _calls(index: Path, calls: list[tuple[str, dict[str, Any]]]) -> tuple[list[str], list[Any]]:
    """The names of the read-only tools, and the result of each call."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "searchkit", "mcp", "--index", str(index)])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = [tool for tool in (await session.list_tools()).tools if tool.annotations.read_only_hint]
            results = [await session.call_tool(name, arguments) for name, arguments in calls]
    return [tool.name for tool in tools], results


def run_calls(index: Path, *calls: tuple[str, dict[str, Any]]) -> tuple[list[str], list[Any]]:
    return asyncio.run(asyncio.wait_for(_calls(index, list(calls)), timeout=90))


def test_search_and_show_passage_over_stdio(built: Path, corpus: Path) -> None:
    with searchkit.Searcher(built) as searcher:
        hits = searcher.search(QUESTION, limit=3, total=True)
        context = searcher.show(hits[0].passage_id)
    tools, (found, shown, missing, empty) = run_calls(
        built,
        ("search", {"query": QUESTION, "limit": 3}),
        ("show_passage", {"passage_id": hits[0].passage_id}),
        ("show_passage", {"passage_id": "0000000000000000"}),
        ("search", {"query": "   "}),
    )
    assert set(tools) == {"search", "show_passage", "verify_quote"}

    assert not found.is_error
    data = found.structured_content
    assert data == hits.to_dict()  # what the CLI's json and the HTTP API give, query_id included
    assert json.loads(found.content[0].text) == data  # the same, as text for clients without structured output
    first = data["hits"][0]
    assert "Pat Toomey" in first["text"] and first["citation"] == str(hits[0].citation)
    assert searchkit.source_text(corpus, first["source"], first["doc_id"])[first["start"]:first["end"]] == first["text"]

    assert not shown.is_error and shown.structured_content == context.to_dict()

    assert missing.is_error and "no passage with id '0000000000000000'" in missing.content[0].text
    assert empty.is_error and "query is empty" in empty.content[0].text


def test_limit_is_bounded(built: Path) -> None:
    _, (too_many, syntax) = run_calls(
        built, ("search", {"query": "senate", "limit": 500}), ("search", {"query": '"Ed Markey"', "syntax": True})
    )
    assert too_many.is_error and "limit must be from 1 to 50" in too_many.content[0].text
    assert not syntax.is_error and all("Ed Markey" in h["text"] for h in syntax.structured_content["hits"])


def test_mcp_without_the_extra_names_the_install(built: Path) -> None:
    code = (
        "import sys; sys.modules['mcp'] = None\n"
        "from searchkit.cli import main\n"
        f"main(['mcp', '--index', {str(built)!r}])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, input="")
    assert result.returncode == 1 and result.stdout == ""
    assert "pip install 'searchkit-passages[mcp]'" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_verify_quote_over_stdio(built: Path) -> None:
    from searchkit.quotes import verify

    quote = "Introduced by senators Pat Toomey (R–PA)"
    _, (found, close, empty) = run_calls(
        built,
        ("verify_quote", {"quote": quote}),
        ("verify_quote", {"quote": "Senate Resolution 212 follows a bipartisan measure"}),
        ("verify_quote", {"quote": " "}),
    )
    assert not found.is_error and found.structured_content == verify(quote, index=built, limit=5).to_dict()
    assert found.structured_content["best"] == "normalised"
    assert close.structured_content["best"] == "close" and not close.structured_content["found"]
    assert empty.is_error and "empty" in empty.content[0].text


def test_search_takes_the_filters_of_the_cli(built: Path) -> None:
    with searchkit.Searcher(built) as searcher:
        expected = searcher.search(
            "chechnya", limit=3, where=["publisher=NBC Out", "publisher=Star Observer"], group_by="article",
            facets="publisher", offset=0, total=True,
        )
        captions = searcher.search("", where={"kind": "caption"}, limit=5)
    _, (grouped, listed, bad) = run_calls(
        built,
        ("search", {"query": "chechnya", "limit": 3, "where": ["publisher=NBC Out", "publisher=Star Observer"],
                    "group_by": "article", "facets": "publisher"}),
        ("search", {"query": "", "where": ["kind=caption"]}),
        ("search", {"query": "chechnya", "since": "2017-13"}),
    )
    assert not grouped.is_error and grouped.structured_content == expected.to_dict()
    assert {h["metadata"]["publisher"] for h in grouped.structured_content["hits"]} == {"NBC Out", "Star Observer"}
    assert [h["passage_id"] for h in listed.structured_content["hits"]] == [h.passage_id for h in captions]
    assert all(h["kind"] == "caption" for h in listed.structured_content["hits"])
    assert bad.is_error and "no month 13" in bad.content[0].text
