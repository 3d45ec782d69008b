"""The one-call functions: open the index, run one search (or a batch, or ``similar``,
or ``show``), close it; and ``open_searcher`` for front-ends."""

from __future__ import annotations

import os
from typing import Any, Sequence

from ..index import Index, ensure_index
from ..models import PassageContext, SearchResults
from ..settings import Settings
from .searcher import Searcher

__all__ = ["search", "search_batch", "similar", "show", "open_searcher"]


def search(
    query: str,
    *,
    index: str | os.PathLike[str] = "index",
    corpus: str | os.PathLike[str] | None = None,
    limit: int = 10,
    syntax: bool = False,
    settings: Settings | None = None,
    time_limit: float | None = None,
    **options: Any,
) -> SearchResults:
    """Search the index in ``index`` (building it from ``corpus`` first if there is none).

    ``time_limit`` (seconds) returns the hits found by then, with ``timed_out=True``;
    ``options`` are ``Searcher.search``'s: ``where``, ``since``, ``until``,
    ``group_by``, ``sort``, ``facets``, ``offset``, ``total``, ``highlight``, and
    ``copies``: ``"together"`` (near-identical passages are one hit, the others in
    ``Hit.copies``) or ``"separate"``."""
    with Searcher(ensure_index(index, corpus), settings, close_index=True) as searcher:
        return searcher.search(query, limit=limit, syntax=syntax, time_limit=time_limit, **options)


def search_batch(
    queries: Sequence[str | tuple[str, str]],
    *,
    index: str | os.PathLike[str] = "index",
    corpus: str | os.PathLike[str] | None = None,
    limit: int = 10,
    syntax: bool = False,
    settings: Settings | None = None,
    time_limit: float | None = None,
    **options: Any,
) -> list[SearchResults]:
    """``search`` for many queries; each item is a query or ``(query_id, query)``."""
    with Searcher(ensure_index(index, corpus), settings, close_index=True) as searcher:
        return searcher.search_batch(queries, limit=limit, syntax=syntax, time_limit=time_limit, **options)


def similar(passage_id: str, *, index: str | os.PathLike[str] = "index", limit: int = 10, **options: Any) -> SearchResults:
    """The passages most like passage ``passage_id``; ``options`` are ``Searcher.similar``'s
    (``where``, ``since``, ``until``, ``group_by``, ``sort``, ``facets``, ``offset``, ``total``)."""
    with Searcher(index) as searcher:
        return searcher.similar(passage_id, limit=limit, **options)


def show(passage_id: str, *, index: str | os.PathLike[str] = "index") -> PassageContext:
    """A passage by id, with its neighbours and citation."""
    with Searcher(index) as searcher:
        return searcher.show(passage_id)


def open_searcher(index: Index | Searcher | str | os.PathLike[str]) -> Searcher:
    """``index`` as a ``Searcher``, for front-ends (server, MCP, retrievers): one given
    is shared as it is; an ``Index`` or a folder gets a ``Searcher`` of its own,
    which the caller closes (``searcher is not index`` tells it so)."""
    return index if isinstance(index, Searcher) else Searcher(index)
