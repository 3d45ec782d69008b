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
    corpus_path = Path(corpus) if corpus is not None else None

    def search(request: Request) -> Response:
        params = request.query_params
        query = params.get("q", "")
        limit, syntax = _limit(params.get("limit")), _flag(params.get("syntax"))
        options = _narrowing(params)
        if query.strip() or not (options["where"] or options["since"] or options["until"]):  # else a listing
            check_query(query, limit, SERVER_LIMITS)
        results = searcher.search(
            query, limit=limit, syntax=syntax, time_limit=SERVER_LIMITS.seconds, total=True, **options
        )
        return JSONResponse(results.to_dict())

    def similar(request: Request) -> Response:
        params = request.query_params
        results = searcher.similar(
            request.path_params["passage_id"], limit=_limit(params.get("limit")), total=True,
            time_limit=SERVER_LIMITS.seconds, **_narrowing(params),
        )
        return JSONResponse(results.to_dict())

    def passage(request: Request) -> Response:
        return JSONResponse(searcher.show(request.path_params["passage_id"]).to_dict())

    def source(request: Request) -> Response:
        passage_id = request.path_params["passage_id"]
        try:
            cited = searcher.show(passage_id).passage
        except SearchkitError as exc:  # a page, not JSON: the view is read in a browser
            return _source_page("not found", f'<p class="error">{html.escape(str(exc))}</p>', http_status(exc))
        if corpus_path is None:
            message = "this server was started without a corpus folder; start it with --corpus to read sources"
            return _source_page("no corpus", f'<p class="error">{html.escape(message)}</p>', 404)
        try:
            # The source path comes from the index, never from the request.
            text = source_text(corpus_path, cited.source, cited.doc_id)
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

    def verify(request: Request) -> Response:
        from .quotes import verify as verify_quote

        params = request.query_params
        quote, limit = params.get("quote", ""), _limit(params.get("limit"))
        check_query(quote, limit, SERVER_LIMITS)
        result = verify_quote(quote, index=searcher, corpus=corpus_path, source=params.get("source") or None, limit=limit)
        return JSONResponse(result.to_dict())

    def concordance(request: Request) -> Response:
        from .concordance import DEFAULT_WIDTH, kwic

        params = request.query_params
        term, limit = params.get("term", ""), _limit(params.get("limit"))
        check_query(term, limit, SERVER_LIMITS)
        try:
            width = int(params.get("width") or DEFAULT_WIDTH)
        except ValueError:
            raise QueryError(f"width must be a whole number, not {params.get('width')!r}") from None
        result = kwic(term, index=searcher, exact=_flag(params.get("exact")), width=width,
                      sort=params.get("sort") or "source", limit=limit, where=params.getlist("where"),
                      since=params.get("since"), until=params.get("until"))
        return JSONResponse(result.to_dict())

    def watches(request: Request) -> Response:
        from .watches import list_watches

        # Read-only: adding, removing and running them (which marks hits seen) is the CLI's.
        return JSONResponse({"watches": [w.to_dict() for w in list_watches(searcher)]})
    def exported(request: Request) -> Response:
        from .exports import FORMATS, MEDIA_TYPES, render

        params = request.query_params
        query, limit, fmt = params.get("q", ""), _limit(params.get("limit")), params.get("format") or "jsonl"
        if fmt not in FORMATS:
            raise QueryError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        check_query(query, limit, SERVER_LIMITS)
        options = _narrowing(params)
        del options["facets"]  # an export writes hits, not counts
        results = searcher.search(
            query, limit=limit, syntax=_flag(params.get("syntax")), time_limit=SERVER_LIMITS.seconds, **options
        )
        if results.timed_out:  # a partial export could not be reproduced
            raise QueryError(f"the search ran past {SERVER_LIMITS.seconds:g} s; an export must be whole: narrow the query")
        return Response(render(results, fmt), media_type=MEDIA_TYPES[fmt])

    def health(request: Request) -> Response:
        try:
            passages = searcher.index.passage_count()
        except Exception:  # Whoosh raises many kinds for a folder being rebuilt or removed
            return JSONResponse(
                {"status": "unavailable", "version": __version__}, status_code=503,
                headers={"Retry-After": str(RETRY_SECONDS)},
            )
        return JSONResponse({"status": "ok", "version": __version__, "passages": passages})

    def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers=SECURITY_HEADERS)

    def spec(request: Request) -> Response:
        return JSONResponse(openapi())

    async def failed(request: Request, exc: Exception) -> Response:
        # One table says which status each library error is (errors.OUTCOMES): a bad
        # query 400, an unknown id 404, an index that cannot answer now 503.
        return _error(http_status(exc), str(exc))  # type: ignore[arg-type]

    async def crashed(request: Request, exc: Exception) -> Response:
        # Still logged with its traceback by Starlette; the client gets JSON, not a bare page.
        return _error(500, f"internal error ({type(exc).__name__}); the server log has the details")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if searcher is not index:  # close only what this app opened
            searcher.close()

    # Only GET (and the HEAD Starlette adds to it) exists: the server cannot change anything.
    routes = [
        Route("/", page, methods=["GET"]),
        Route("/search", search, methods=["GET"]),
        Route("/passages/{passage_id}/similar", similar, methods=["GET"]),
        Route("/passages/{passage_id}", passage, methods=["GET"]),
        Route("/passages/{passage_id}/source", source, methods=["GET"]),
        Route("/verify", verify, methods=["GET"]),
        Route("/kwic", concordance, methods=["GET"]),
        Route("/watches", watches, methods=["GET"]),
        Route("/export", exported, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/openapi.json", spec, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = []
    if allowed_hosts is not None and "*" not in allowed_hosts:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={SearchkitError: failed, Exception: crashed},
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


# --- OpenAPI ------------------------------------------------------------------------

def _obj(properties: dict[str, Any], required: Sequence[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required or properties)}


_STR = {"type": "string"}
_INT = {"type": "integer"}
_OPT_STR = {"type": ["string", "null"]}
_META = {"type": "object", "additionalProperties": {"type": "string"},
         "description": "Article metadata: author, publisher, date, url and any other key given."}
_PASSAGE = {
    "passage_id": _STR, "doc_id": _STR, "ordinal": _INT, "title": _STR, "text": _STR,
    "source": _STR, "start": _INT, "end": _INT, "metadata": _META,
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _json(_ref("Error"), "The query or a parameter is not acceptable; the message says why."),
    "503": {**_json(_ref("Error"), "The search cannot run right now: the server is out of open files or memory, "
                                   "or the index cannot be read (removed, or not a searchkit index). Retry later."),
            "headers": {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": _INT}}},
}


def _text_param(name: str, description: str) -> dict[str, Any]:
    """A required text parameter, as long as a query may be."""
    return {"name": name, "in": "query", "required": True, "description": description,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS}}


def _limit_param(description: str) -> dict[str, Any]:
    return {"name": "limit", "in": "query", "description": description,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 10}}


_DATE_BOUND = r"^\d{4}(-\d{2}(-\d{2})?)?$"


#: The filters, dates, grouping, order, facets, paging and copies of /search and /similar.
_NARROWING: list[dict[str, Any]] = [
    {"name": "where", "in": "query", "style": "form", "explode": True,
     "schema": {"type": "array", "items": {"type": "string", "pattern": "^[^=]+=.+$"}},
     "description": "FIELD=VALUE, repeatable: author, publisher, kind, doc_id, source (a glob such "
                    "as web/*) or any metadata key. The same field repeated ORs; different fields AND; "
                    "names compare without case."},
    {"name": "since", "in": "query", "schema": {"type": "string", "pattern": _DATE_BOUND},
     "description": "Only articles dated on or after this day (YYYY, YYYY-MM or YYYY-MM-DD); "
                    "undated ones are left out and counted in undated."},
    {"name": "until", "in": "query", "schema": {"type": "string", "pattern": _DATE_BOUND},
     "description": "Only articles dated on or before this (inclusive)."},
    {"name": "group_by", "in": "query", "schema": {"type": "string", "enum": ["article"]},
     "description": "One hit per article (its best passage) with group_count and also."},
    {"name": "sort", "in": "query",
     "schema": {"type": "string", "enum": ["relevance", "date", "-date"], "default": "relevance"},
     "description": "relevance, date (oldest first) or -date (newest first); undated last."},
    {"name": "facets", "in": "query", "schema": {"type": "string"},
     "description": "Comma-separated fields to count over every match: publisher, author, kind, "
                    "year, month, source, doc_id or a metadata key."},
    {"name": "offset", "in": "query",
     "schema": {"type": "integer", "minimum": 0, "maximum": 100_000, "default": 0},
     "description": "Skip this many hits: the next page (stable within one index generation)."},
    {"name": "copies", "in": "query",
     "schema": {"type": "string", "enum": ["together", "separate"], "default": "together"},
     "description": "together: near-identical passages (wire copy republished with small edits) "
                    "are one hit listing the others in copies; separate: each is a hit."},
]


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 description of the JSON API (served at ``/openapi.json``)."""
    passage_param = {"name": "passage_id", "in": "path", "required": True, "schema": _STR,
                     "description": "A passage id from search results."}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "searchkit",
            "version": __version__,
            "description": "Cited passage search over a collection of articles. Read-only.",
        },
        "paths": {
            "/search": {"get": {
                "summary": "Search passages",
                "operationId": "search",
                "parameters": [
                    {"name": "q", "in": "query",
                     "schema": {"type": "string", "maxLength": MAX_QUERY_CHARS},
                     "description": "Plain words (a question works), or query syntax with syntax=true. "
                                    "May be empty with a filter: every passage that passes, newest first."},
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 10},
                     "description": "How many passages to return."},
                    {"name": "syntax", "in": "query", "schema": {"type": "boolean", "default": False},
                     "description": 'Read q as query syntax: AND/OR/NOT, "phrases", field:value, prefix*, fuzzy~.'},
                    *_NARROWING,
                ],
                "responses": {"200": _json(_ref("SearchResults"), "The best passages, best first."), **_ERRORS},
            }},
            "/passages/{passage_id}/similar": {"get": {
                "summary": "The passages most like one passage (itself and its copies left out)",
                "operationId": "similar_passages",
                "parameters": [
                    passage_param,
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 10},
                     "description": "How many passages to return."},
                    *_NARROWING,
                ],
                "responses": {"200": _json(_ref("SearchResults"), "The most similar passages, most similar first."),
                              "404": _json(_ref("Error"), "No passage has this id."), **_ERRORS},
            }},
            "/passages/{passage_id}": {"get": {
                "summary": "One passage with its neighbours and citation",
                "operationId": "show_passage",
                "parameters": [passage_param],
                "responses": {"200": _json(_ref("PassageContext"), "The passage in context."),
                              "404": _json(_ref("Error"), "No passage has this id."), "503": _ERRORS["503"]},
            }},
            "/passages/{passage_id}/source": {"get": {
                "summary": "The source article with the cited passage highlighted (HTML, for people)",
                "operationId": "show_source",
                "parameters": [passage_param],
                "responses": {"200": {"description": "An HTML page; the passage is the element #cited.",
                                      "content": {"text/html": {"schema": _STR}}},
                              "404": {"description": "No such passage, or the source file is missing.",
                                      "content": {"text/html": {"schema": _STR}}}},
            }},
            "/verify": {"get": {
                "summary": "Is a quote in the archive, and where?",
                "operationId": "verify_quote",
                "parameters": [
                    _text_param("quote", "The quote, as written in the story."),
                    {"name": "source", "in": "query", "schema": _STR,
                     "description": "Look only in this source file (as citations name it)."},
                    _limit_param("How many matches to return."),
                ],
                "responses": {"200": _json(_ref("VerifyResult"), "Exact and normalised matches first; close ones "
                                           "only when the quote is not found as written. found is true when "
                                           "an exact or normalised match exists."), **_ERRORS},
            }},
            "/kwic": {"get": {
                "summary": "A concordance: every occurrence of a word, name or phrase, in context",
                "operationId": "kwic",
                "parameters": [
                    _text_param("term", "A word, name or phrase."),
                    {"name": "exact", "in": "query", "schema": {"type": "boolean", "default": False},
                     "description": "The words as written (any case), not all their forms."},
                    {"name": "width", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 40},
                     "description": "Characters of context on each side."},
                    {"name": "sort", "in": "query", "schema": {"enum": ["source", "left", "right"], "default": "source"},
                     "description": "By source and offset, or by the words to the left or right."},
                    _limit_param("How many occurrences to return (total counts them all)."),
                    *(p for p in _NARROWING if p["name"] in ("where", "since", "until")),  # only passages that pass are scanned
                ],
                "responses": {"200": _json(_ref("Concordance"), "The occurrences, sorted."), **_ERRORS},
            }},
            "/watches": {"get": {
                "summary": "The saved searches (read-only: searchkit watch adds, removes and runs them)",
                "operationId": "list_watches",
                "responses": {"200": _json(_obj({"watches": {"type": "array", "items": _ref("Watch")}}),
                                           "The saved searches, by name."),
                              "400": _json(_ref("Error"), "The saved-searches file cannot be read."),
                              "503": _ERRORS["503"]},
            }},
            "/export": {"get": {
                "summary": "The hits of a search as an export's results file (what searchkit export writes)",
                "operationId": "export",
                "parameters": [
                    _text_param("q", "Plain words, or query syntax with syntax=true."),
                    {"name": "format", "in": "query", "schema": {"enum": ["jsonl", "csv", "md"], "default": "jsonl"},
                     "description": "jsonl (search's JSON lines), csv (UTF-8 with a byte order mark) or md "
                                    "(numbered citations for a story's appendix)."},
                    _limit_param("How many passages to export."),
                    {"name": "syntax", "in": "query", "schema": {"type": "boolean", "default": False},
                     "description": 'Read q as query syntax: AND/OR/NOT, "phrases", field:value, prefix*, fuzzy~.'},
                    *(p for p in _NARROWING if p["name"] != "facets"),
                ],
                "responses": {"200": {"description": "The results file, byte for byte what searchkit export "
                                                     "writes for the same query and options on the same index.",
                                      "content": {"application/x-ndjson": {"schema": _STR},
                                                  "text/csv": {"schema": _STR},
                                                  "text/markdown": {"schema": _STR}}},
                              **_ERRORS},
            }},
            "/health": {"get": {
                "summary": "Liveness",
                "operationId": "health",
                "responses": {"200": _json(_ref("Health"), "The index is open."),
                              "503": _json(_ref("Health"), "The index cannot be read right now.")},
            }},
        },
        "components": {"schemas": {
            "Hit": _obj({
                "rank": _INT, "score": {"type": "number"}, **_PASSAGE,
                "highlights": {"type": "array", "items": {"type": "array", "items": _INT, "minItems": 2, "maxItems": 2},
                               "description": "[start, end] spans within text of the words that matched."},
                "citation": {"type": "string", "description": "The citation as one line of text."},
                "date": {**_OPT_STR, "description": "The article's date, ISO 8601, or null."},
                "kind": {"type": "string", "enum": ["body", "caption"]},
                "group_count": {"type": ["integer", "null"],
                                "description": "With group_by=article: the article's matching passages."},
                "also": {"type": "array", "items": _STR,
                         "description": "With group_by=article: the ids of the article's other matching passages."},
                "copies": {"type": "array", "items": _obj({
                    "source": _STR, "doc_id": _STR, "passage_id": _STR, "start": _INT, "end": _INT,
                    "publisher": _OPT_STR, "date": _OPT_STR, "similarity": {"type": "number"},
                }), "description": "The other locations of this text, word for word or near-identical, earliest first."},
            }),
            "SearchResults": _obj({
                "query_id": _OPT_STR, "query": _STR, "timed_out": {"type": "boolean"},
                "total": {"type": ["integer", "null"], "description": "Passages that match (articles when grouping)."},
                "offset": _INT,
                "undated": {"type": "integer", "description": "Matches left out by a date bound for want of a date."},
                "facets": {"type": "object", "additionalProperties": {"type": "array", "items": _obj({"value": _STR, "count": _INT})},
                           "description": "Per facet asked for: values and counts over every match, most frequent first."},
                "hits": {"type": "array", "items": _ref("Hit")},
            }),
            "Passage": _obj(_PASSAGE),
            "Citation": _obj({
                "source": _STR, "doc_id": _STR, "passage_id": _STR, "ordinal": _INT, "start": _INT, "end": _INT,
                "title": _STR, "author": _OPT_STR, "publisher": _OPT_STR, "date": _OPT_STR, "url": _OPT_STR,
            }),
            "PassageContext": _obj({
                "passage": _ref("Passage"),
                "previous": {"oneOf": [_ref("Passage"), {"type": "null"}]},
                "next": {"oneOf": [_ref("Passage"), {"type": "null"}]},
                "citation": _ref("Citation"),
            }),
            "QuoteMatch": _obj({
                "match": {"enum": ["exact", "normalised", "close"]},
                "similarity": {"type": "number", "minimum": 0, "maximum": 1},
                "source": _STR, "doc_id": _STR, "start": _INT, "end": _INT,
                "text": {"type": "string", "description": "The source text at start:end."},
                "title": _STR,
                "passage_ids": {"type": "array", "items": _STR, "description": "The passages the match lies in."},
                "citation": _STR,
                "differences": {"type": "array", "items": _obj({
                    "source_words": _STR, "quote_words": _STR, "start": _INT, "end": _INT})},
                "metadata": _META,
            }),
            "VerifyResult": _obj({
                "quote": _STR, "found": {"type": "boolean"},
                "best": {"enum": ["exact", "normalised", "close", "none"]},
                "matches": {"type": "array", "items": _ref("QuoteMatch")},
            }),
            "Occurrence": _obj({
                "source": _STR, "doc_id": _STR, "passage_id": _STR, "start": _INT, "end": _INT,
                "left": _STR, "match": _STR, "right": _STR, "title": _STR, "citation": _STR, "metadata": _META,
            }),
            "Concordance": _obj({
                "term": _STR, "exact": {"type": "boolean"}, "total": _INT,
                "occurrences": {"type": "array", "items": _ref("Occurrence")},
            }),
            "Watch": _obj({
                "name": _STR, "query": _STR,
                "options": {"type": "object", "description": "The search options it runs with: limit, syntax, "
                                                             "where, since, until, sort."},
                "created": {"type": "string", "description": "When it was saved, ISO 8601 UTC."},
                "last_run": {**_OPT_STR, "description": "When searchkit watch run last ran it, or null."},
                "seen": {"type": "integer", "description": "Passages already reported as new."},
            }),
            "Health": _obj({"status": _STR, "version": _STR, "passages": _INT}, ["status", "version"]),
            "Error": _obj({"error": _STR}),
        }},
    }
