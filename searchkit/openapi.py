"""The OpenAPI 3.1 description of searchkit's HTTP API (``server.py`` serves it at
``/openapi.json``): its paths, parameters and schemas, as data. Needs nothing
beyond the standard library, so the description can be read without the server.
"""

from __future__ import annotations

from typing import Any, Sequence

from . import __version__
from .settings import SERVER_LIMITS

__all__ = ["openapi"]

MAX_QUERY_CHARS = SERVER_LIMITS.max_query_chars
MAX_LIMIT = SERVER_LIMITS.max_limit


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
     "schema": {"type": "string", "enum": ["together", "separate", "none"], "default": "together"},
     "description": "together: near-identical passages (wire copy republished with small edits) "
                    "are one hit listing the others in copies; separate: each is a hit; none: each is "
                    "a hit and no copies are looked up."},
]


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 description of the JSON API (served at ``/openapi.json``)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "searchkit",
            "version": __version__,
            "description": "Cited passage search over a collection of articles. Read-only.",
        },
        "paths": {**_search_paths(), **_citation_paths(), **_service_paths()},
        "components": {"schemas": {**_result_schemas(), **_citation_schemas()}},
    }


def _search_paths() -> dict[str, Any]:
    """Searching and reading passages."""
    passage_param = {"name": "passage_id", "in": "path", "required": True, "schema": _STR,
                     "description": "A passage id from search results."}
    return {
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
    }


def _citation_paths() -> dict[str, Any]:
    """Checking quotes, concordances and exports."""
    return {
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
    }


def _service_paths() -> dict[str, Any]:
    """Saved searches (read-only) and liveness."""
    return {
        "/watches": {"get": {
            "summary": "The saved searches (read-only: searchkit watch adds, removes and runs them)",
            "operationId": "list_watches",
            "responses": {"200": _json(_obj({"watches": {"type": "array", "items": _ref("Watch")}}),
                                       "The saved searches, by name."),
                          "400": _json(_ref("Error"), "The saved-searches file cannot be read."),
                          "503": _ERRORS["503"]},
        }},
        "/health": {"get": {
            "summary": "Liveness",
            "operationId": "health",
            "responses": {"200": _json(_ref("Health"), "The index is open."),
                          "503": _json(_ref("Health"), "The index cannot be read right now.")},
        }},
    }


def _result_schemas() -> dict[str, Any]:
    """Hits, result lists and passages."""
    return {
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
            "suggestion": {**_OPT_STR, "description": "The query with the words the index does not hold "
                                                      "replaced by their closest spellings in it, or null."},
            "missing_shards": {"type": "array", "items": _STR,
                               "description": "Only in partial results of a sharded index: the shards "
                                              "that could not be searched."},
            "hits": {"type": "array", "items": _ref("Hit")},
        }, ["query_id", "query", "timed_out", "total", "offset", "undated", "facets", "suggestion", "hits"]),
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
    }


def _citation_schemas() -> dict[str, Any]:
    """Quote matches, concordances, saved searches, health and errors."""
    return {
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
    }
