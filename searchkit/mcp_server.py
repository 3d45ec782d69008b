"""Offer an index to AI assistants as an MCP server over stdio: tools ``search``, ``show_passage`` and ``verify_quote``.

Needs the ``mcp`` extra (the official MCP Python SDK, 2.x). ``searchkit mcp --index DIR``
runs it; an assistant's MCP configuration starts that command. Both tools return
cited passages as structured JSON (the same objects as ``searchkit search --format
json`` and ``searchkit show --format json``); a library error comes back as a tool
error whose message says what to do.
"""

from __future__ import annotations

import os
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from . import Index, Searcher, __version__
from .errors import SearchkitError
from .search import open_searcher
from .settings import MCP_LIMITS, check_limit

__all__ = ["create_server", "run", "MAX_LIMIT"]

#: An assistant reads every passage it gets: more than this only fills its context
#: (``settings.MCP_LIMITS``).
MAX_LIMIT = MCP_LIMITS.max_limit

INSTRUCTIONS = (
    "Search a collection of articles for passages that answer a question. Each hit carries "
    "its citation (title, source file, passage_id, start/end character offsets); quote the "
    "passage text and give its citation. Use show_passage with a passage_id to read the "
    "passages around a hit."
)


class _Tools:
    """The tools, as methods over one searcher: their signatures and docstrings are
    what a client is shown."""

    def __init__(self, searcher: Searcher, corpus: str | os.PathLike[str] | None) -> None:
        self.searcher = searcher
        self.corpus = corpus

    def search(
        self,
        query: str,
        limit: int = 5,
        syntax: bool = False,
        where: list[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        group_by: str | None = None,
        sort: str = "relevance",
        facets: str = "",
        offset: int = 0,
        copies: str = "together",
    ) -> dict[str, Any]:
        """Find the passages that best answer ``query``, best first, each with its citation.

        query: a question or some words (with syntax=true: AND/OR/NOT, "phrases", field:value, prefix*);
            may be empty when a filter is given (then every passage that passes, newest first).
        limit: how many passages to return (1 to 50).
        where: filters as "FIELD=VALUE" (author, publisher, kind, doc_id, source glob, any metadata key);
            the same field twice ORs, different fields AND.
        since, until: inclusive article date bounds, YYYY, YYYY-MM or YYYY-MM-DD.
        group_by: "article" for one hit per article.
        sort: "relevance", "date" (oldest first) or "-date" (newest first).
        facets: comma-separated fields to count over every match (publisher, author, kind, year, month).
        offset: skip this many hits (the next page).
        copies: "together" (a story republished with small edits is one hit listing the others
            in copies, earliest first) or "separate" (each is a hit).
        """
        try:
            check_limit(limit, MCP_LIMITS)
            results = self.searcher.search(
                query, limit=limit, syntax=syntax, time_limit=MCP_LIMITS.seconds, where=where, since=since,
                until=until, group_by=group_by, sort=sort, facets=facets, offset=offset, total=True,
                copies=copies,
            )
        except SearchkitError as exc:
            raise ToolError(str(exc)) from None
        return results.to_dict()

    def show_passage(self, passage_id: str) -> dict[str, Any]:
        """One passage by its passage_id (from search), with the passages before and after it
        in the same article and its full citation."""
        try:
            return self.searcher.show(passage_id).to_dict()
        except SearchkitError as exc:
            raise ToolError(str(exc)) from None

    def verify_quote(self, quote: str, source: str | None = None, limit: int = 5) -> dict[str, Any]:
        """Check a quote against the archive: is it there word for word (exact), differing
        only in quote marks, dashes, spacing, case or ellipsis (normalised), or only
        nearly (close: similarity and the differing words)? Each match has its source
        text offsets and citation; found is true for an exact or normalised match.

        source: look only in this source file (as citations name it).
        limit: how many matches to return (1 to 50).
        """
        from .quotes import verify

        try:
            check_limit(limit, MCP_LIMITS)
            return verify(quote, index=self.searcher, corpus=self.corpus, source=source, limit=limit).to_dict()
        except SearchkitError as exc:
            raise ToolError(str(exc)) from None


def create_server(index: Index | Searcher | str | os.PathLike[str], corpus: str | os.PathLike[str] | None = None) -> MCPServer:
    """The MCP server for ``index`` (an open ``Index``, a ``Searcher`` or a folder);
    ``verify_quote`` re-reads sources from ``corpus`` when given."""
    server = MCPServer("searchkit", instructions=INSTRUCTIONS, version=__version__)
    tools = _Tools(open_searcher(index), corpus)
    # The tools only read the index on this machine: clients may call them without asking.
    read_only = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
    for tool in (tools.search, tools.show_passage, tools.verify_quote):
        server.tool(annotations=read_only)(tool)
    return server


def run(index: Index | Searcher | str | os.PathLike[str], corpus: str | os.PathLike[str] | None = None) -> None:
    """Serve ``index`` over stdio until the client closes the connection."""
    create_server(index, corpus).run("stdio")
