"""Serve one index over HTTP: a read-only JSON API, its OpenAPI description, and a search page.

    GET /                              the search page (static/index.html)
    GET /search?q=&limit=&...          ranked hits, the same objects as ``searchkit search --format json``
    GET /passages/{passage_id}         one passage with its neighbours and citation
    GET /passages/{passage_id}/similar the passages most like it (the same options as /search)
    GET /passages/{passage_id}/source  the source article, the cited passage highlighted in place
    GET /verify?quote=&source=&limit=  is a quote in the archive, and where (``searchkit verify --format json``)
    GET /kwic?term=&exact=&width=&sort=&limit=&where=&since=&until=   every occurrence of a term in context (``searchkit kwic``)
    GET /watches                       the saved searches, read-only (``searchkit watch list --format json``)
    GET /export?q=&format=&...         the body of ``searchkit export`` (jsonl, csv or md; no manifest)
    GET /health                        liveness and the number of passages
    GET /openapi.json                  the OpenAPI 3.1 description of the above

Needs the ``server`` extra (Starlette and uvicorn). One ``Searcher`` serves every
request; Starlette runs these handlers on a thread pool and the Searcher gives
each thread its own Whoosh searcher, which is refreshed after a new commit and
replaced after a rebuild, so the server never needs a restart to see new passages.
"""

from __future__ import annotations

import contextlib
import html
import os
from pathlib import Path
from typing import Any, AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import Index, Searcher, __version__, source_text
from .errors import CorpusError, QueryError, SearchkitError, http_status
from .search import open_searcher
from .openapi import openapi
from .settings import SERVER_LIMITS, check_limit, check_query

__all__ = ["create_app", "serve", "openapi", "MAX_QUERY_CHARS", "MAX_LIMIT", "LOOPBACK_HOSTS"]

#: The server refuses longer queries and larger limits than the library does
#: (``settings.SERVER_LIMITS``): it answers anyone who can reach the port, so one
#: request must stay cheap. A search that runs ``SEARCH_SECONDS`` returns the hits
#: found by then.
MAX_QUERY_CHARS = SERVER_LIMITS.max_query_chars
MAX_LIMIT = SERVER_LIMITS.max_limit
SEARCH_SECONDS = SERVER_LIMITS.seconds
#: Host names a loopback-bound server answers to (refusing others stops DNS rebinding).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")

STATIC = Path(__file__).resolve().parent / "static"
# The pages load their script and style from /static only; no inline code can run.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


#: Seconds a client is told to wait before retrying a 503.
RETRY_SECONDS = 1


def _error(status: int, message: str) -> JSONResponse:
    # A 503 is for a moment: out of open files or memory, or the index being replaced.
    headers = {"Retry-After": str(RETRY_SECONDS)} if status == 503 else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return 10
    try:
        value = int(raw)
    except ValueError:
        value = 0
    check_limit(value, SERVER_LIMITS, given=raw)
    return value


def _narrowing(params: Any) -> dict[str, Any]:
    """The filters, dates, grouping, order, facets, page and copies of a request (``_NARROWING``
    in the OpenAPI), as ``Searcher.search`` takes them."""
    return {
        "where": params.getlist("where"), "since": params.get("since"), "until": params.get("until"),
        "group_by": params.get("group_by") or None, "sort": params.get("sort") or "relevance",
        "facets": params.get("facets", ""), "offset": _offset(params.get("offset")),
        "copies": params.get("copies") or "together",
    }


def _offset(raw: str | None) -> int:
    if raw is None or raw == "":
        return 0
    try:
        return int(raw)
    except ValueError:
        raise QueryError(f"offset must be a whole number, not {raw!r}") from None


def _flag(raw: str | None) -> bool:
    if raw is None or raw.lower() in ("", "0", "false", "no", "off"):
        return False
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    raise QueryError(f"syntax must be true or false, not {raw!r}")


def _source_page(title: str, body: str, status: int = 200) -> HTMLResponse:
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · searchkit</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body class="source-view"><main>
<p class="back"><a href="/">← search</a></p>
{body}
</main></body></html>"""
    return HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)


class _Api:
    """The route handlers of one app: one searcher, and the corpus the source view reads."""

    def __init__(self, searcher: Searcher, corpus: Path | None) -> None:
        self.searcher = searcher
        self.corpus = corpus

    def search(self, request: Request) -> Response:
        params = request.query_params
        query = params.get("q", "")
        limit, syntax = _limit(params.get("limit")), _flag(params.get("syntax"))
        options = _narrowing(params)
        if query.strip() or not (options["where"] or options["since"] or options["until"]):  # else a listing
            check_query(query, limit, SERVER_LIMITS)
        results = self.searcher.search(
            query, limit=limit, syntax=syntax, time_limit=SERVER_LIMITS.seconds, total=True, **options
        )
        return JSONResponse(results.to_dict())

    def similar(self, request: Request) -> Response:
        params = request.query_params
        results = self.searcher.similar(
            request.path_params["passage_id"], limit=_limit(params.get("limit")), total=True,
            time_limit=SERVER_LIMITS.seconds, **_narrowing(params),
        )
        return JSONResponse(results.to_dict())

    def passage(self, request: Request) -> Response:
        return JSONResponse(self.searcher.show(request.path_params["passage_id"]).to_dict())

    def source(self, request: Request) -> Response:
        passage_id = request.path_params["passage_id"]
        try:
            cited = self.searcher.show(passage_id).passage
        except SearchkitError as exc:  # a page, not JSON: the view is read in a browser
            return _source_page("not found", f'<p class="error">{html.escape(str(exc))}</p>', http_status(exc))
        if self.corpus is None:
            message = "this server was started without a corpus folder; start it with --corpus to read sources"
            return _source_page("no corpus", f'<p class="error">{html.escape(message)}</p>', 404)
        try:
            # The source path comes from the index, never from the request.
            text = source_text(self.corpus, cited.source, cited.doc_id)
        except CorpusError:
            # Not the message itself: it names the corpus folder on the server's disk.
            message = (
                f"the source of this passage ({cited.source}) is no longer in the corpus folder, "
                "or cannot be read; re-index with: searchkit index"
            )
            return _source_page("source missing", f'<p class="error">{html.escape(message)}</p>', 404)
        warning = ""
        if text[cited.start:cited.end] != cited.text:
            warning = (
                '<p class="error">The source changed after it was indexed: the highlighted span may not be '
                "the cited passage. Re-index with: searchkit index</p>\n"
            )
        body = (
            f"<h1>{html.escape(cited.title or cited.source)}</h1>\n"
            f'<p class="citation">{html.escape(str(cited.citation))}</p>\n{warning}'
            f'<article class="source">{html.escape(text[:cited.start])}'
            f'<mark id="cited" data-passage-id="{html.escape(cited.passage_id)}">'
            f"{html.escape(text[cited.start:cited.end])}</mark>"
            f"{html.escape(text[cited.end:])}</article>"
        )
        return _source_page(cited.title or cited.source, body)

    def verify(self, request: Request) -> Response:
        from .quotes import verify as verify_quote

        params = request.query_params
        quote, limit = params.get("quote", ""), _limit(params.get("limit"))
        check_query(quote, limit, SERVER_LIMITS)
        result = verify_quote(quote, index=self.searcher, corpus=self.corpus, source=params.get("source") or None, limit=limit)
        return JSONResponse(result.to_dict())

    def concordance(self, request: Request) -> Response:
        from .concordance import DEFAULT_WIDTH, kwic

        params = request.query_params
        term, limit = params.get("term", ""), _limit(params.get("limit"))
        check_query(term, limit, SERVER_LIMITS)
        try:
            width = int(params.get("width") or DEFAULT_WIDTH)
        except ValueError:
            raise QueryError(f"width must be a whole number, not {params.get('width')!r}") from None
        result = kwic(term, index=self.searcher, exact=_flag(params.get("exact")), width=width,
                      sort=params.get("sort") or "source", limit=limit, where=params.getlist("where"),
                      since=params.get("since"), until=params.get("until"))
        return JSONResponse(result.to_dict())

    def watches(self, request: Request) -> Response:
        from .watches import list_watches

        # Read-only: adding, removing and running them (which marks hits seen) is the CLI's.
        return JSONResponse({"watches": [w.to_dict() for w in list_watches(self.searcher)]})

    def exported(self, request: Request) -> Response:
        from .exports import FORMATS, MEDIA_TYPES, render

        params = request.query_params
        query, limit, fmt = params.get("q", ""), _limit(params.get("limit")), params.get("format") or "jsonl"
        if fmt not in FORMATS:
            raise QueryError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        check_query(query, limit, SERVER_LIMITS)
        options = _narrowing(params)
        del options["facets"]  # an export writes hits, not counts
        results = self.searcher.search(
            query, limit=limit, syntax=_flag(params.get("syntax")), time_limit=SERVER_LIMITS.seconds, **options
        )
        if results.timed_out:  # a partial export could not be reproduced
            raise QueryError(f"the search ran past {SERVER_LIMITS.seconds:g} s; an export must be whole: narrow the query")
        return Response(render(results, fmt), media_type=MEDIA_TYPES[fmt])

    def health(self, request: Request) -> Response:
        try:
            passages = self.searcher.index.passage_count()
        except Exception:  # Whoosh raises many kinds for a folder being rebuilt or removed
            return JSONResponse(
                {"status": "unavailable", "version": __version__}, status_code=503,
                headers={"Retry-After": str(RETRY_SECONDS)},
            )
        return JSONResponse({"status": "ok", "version": __version__, "passages": passages})

    def page(self, request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers=SECURITY_HEADERS)

    def spec(self, request: Request) -> Response:
        return JSONResponse(openapi())


async def _failed(request: Request, exc: Exception) -> Response:
    # One table says which status each library error is (errors.OUTCOMES): a bad
    # query 400, an unknown id 404, an index that cannot answer now 503.
    return _error(http_status(exc), str(exc))  # type: ignore[arg-type]


async def _crashed(request: Request, exc: Exception) -> Response:
    # Still logged with its traceback by Starlette; the client gets JSON, not a bare page.
    return _error(500, f"internal error ({type(exc).__name__}); the server log has the details")


def create_app(
    index: Index | Searcher | str | os.PathLike[str],
    corpus: str | os.PathLike[str] | None = None,
    *,
    allowed_hosts: Sequence[str] | None = LOOPBACK_HOSTS,
) -> Starlette:
    """The web application for ``index`` (an open ``Index``, a ``Searcher`` or a folder).

    ``corpus`` is the folder the index was built from; without it the source view
    answers 404. ``allowed_hosts`` are the Host header names served (``None`` or
    ``["*"]`` for any: only when binding to a public address on purpose).
    """
    searcher = open_searcher(index)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if searcher is not index:  # close only what this app opened
            searcher.close()

    api = _Api(searcher, Path(corpus) if corpus is not None else None)
    # Only GET (and the HEAD Starlette adds to it) exists: the server cannot change anything.
    routes = [
        Route("/", api.page, methods=["GET"]),
        Route("/search", api.search, methods=["GET"]),
        Route("/passages/{passage_id}/similar", api.similar, methods=["GET"]),
        Route("/passages/{passage_id}", api.passage, methods=["GET"]),
        Route("/passages/{passage_id}/source", api.source, methods=["GET"]),
        Route("/verify", api.verify, methods=["GET"]),
        Route("/kwic", api.concordance, methods=["GET"]),
        Route("/watches", api.watches, methods=["GET"]),
        Route("/export", api.exported, methods=["GET"]),
        Route("/health", api.health, methods=["GET"]),
        Route("/openapi.json", api.spec, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = []
    if allowed_hosts is not None and "*" not in allowed_hosts:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={SearchkitError: _failed, Exception: _crashed},
        lifespan=lifespan,
    )
    app.state.searcher = searcher
    return app


def serve(
    index: Index | Searcher | str | os.PathLike[str],
    corpus: str | os.PathLike[str] | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "warning",
) -> None:
    """Run the server until interrupted (what ``searchkit serve`` runs)."""
    import uvicorn  # here: only running the server needs it, not building the app

    loopback = host in LOOPBACK_HOSTS or host.startswith("127.")
    app = create_app(index, corpus, allowed_hosts=LOOPBACK_HOSTS + (host,) if loopback else None)
    uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False)
