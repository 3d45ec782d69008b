"""The HTTP JSON API, over real loopback HTTP: same hits as the CLI, limits, read-only,
many threads on one index, and a rebuilt index seen without a restart."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
jsonschema = pytest.importorskip("jsonschema")

import searchkit
from searchkit.cli import main
from searchkit.server import MAX_LIMIT, MAX_QUERY_CHARS, create_app, openapi

from conftest import write
from serving import get, get_json, live_server, wait_until_up

QUESTION = "Who introduced Senate Resolution 211?"


def q(text: str, **params: object) -> str:
    return "/search?" + urllib.parse.urlencode({"q": text, **params})


@pytest.fixture
def served(built: Path, corpus: Path):
    with live_server(create_app(built, corpus)) as base:
        yield base


def validate(instance: object, name: str) -> None:
    """Check ``instance`` against the OpenAPI component schema ``name``."""
    spec = openapi()
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    jsonschema.Draft202012Validator(schema).validate(instance)


def test_search_returns_the_cli_json_hits(served: str, built: Path, corpus: Path) -> None:
    status, data = get_json(served + q(QUESTION, limit=5))
    assert status == 200
    cli = CliRunner().invoke(main, ["search", QUESTION, "--limit", "5", "--format", "json", "--index", str(built)])
    assert cli.exit_code == 0, cli.output
    assert data == json.loads(cli.stdout)
    assert [h["rank"] for h in data["hits"]] == [1, 2, 3, 4, 5]
    assert "Pat Toomey" in data["hits"][0]["text"]
    validate(data, "SearchResults")
    for hit in data["hits"]:
        assert searchkit.source_text(corpus, hit["source"], hit["doc_id"])[hit["start"]:hit["end"]] == hit["text"]


def test_syntax_and_default_limit(served: str) -> None:
    status, data = get_json(served + q('"Senate Resolution 211"', syntax="true"))
    assert status == 200 and data["hits"] and all("Resolution 211" in h["text"] for h in data["hits"])
    status, data = get_json(served + q("gay"))
    assert status == 200 and len(data["hits"]) == 10


def test_passage_with_context_and_citation(served: str) -> None:
    first = get_json(served + q(QUESTION, limit=1))[1]["hits"][0]
    status, data = get_json(served + f"/passages/{first['passage_id']}")
    assert status == 200
    validate(data, "PassageContext")
    assert data["passage"]["text"] == first["text"]
    assert data["citation"]["passage_id"] == first["passage_id"]
    assert data["citation"]["author"] == "Dan Avery"
    assert data["next"] is not None and data["next"]["ordinal"] == first["ordinal"] + 1


def test_unknown_passage_is_404_with_a_message(served: str) -> None:
    status, data = get_json(served + "/passages/0000000000000000")
    assert status == 404 and "no passage with id" in data["error"]
    validate(data, "Error")


def test_source_view_highlights_the_cited_span_in_place(served: str, corpus: Path) -> None:
    hit = get_json(served + q(QUESTION, limit=2))[1]["hits"][1]
    status, headers, body = get(served + f"/passages/{hit['passage_id']}/source")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in headers["content-security-policy"]
    page = body.decode("utf-8")
    article = re.search(r'<article class="source">(.*?)</article>', page, re.S).group(1)
    before, mark, after = re.fullmatch(r'(.*)<mark id="cited"[^>]*>(.*)</mark>(.*)', article, re.S).groups()
    source = searchkit.source_text(corpus, hit["source"], hit["doc_id"])
    assert html.unescape(mark) == hit["text"]
    assert html.unescape(before) == source[: hit["start"]]
    assert html.unescape(after) == source[hit["end"]:]
    assert html.escape(hit["citation"]) in page


def test_source_view_escapes_html_from_the_corpus(built: Path, corpus: Path) -> None:
    write(corpus, "x.txt", "A <script>alert(1)</script> title\n\n" + "The zebrafinch <b>sang</b> at dawn. " * 10)
    searchkit.build_index(corpus, built)
    with live_server(create_app(built, corpus)) as base:
        hit = get_json(base + q("zebrafinch", limit=1))[1]["hits"][0]
        page = get(base + f"/passages/{hit['passage_id']}/source")[2].decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;sang&lt;/b&gt;" in page


def test_source_view_without_corpus_says_how_to_fix(built: Path) -> None:
    with live_server(create_app(built)) as base:
        hit = get_json(base + q(QUESTION, limit=1))[1]["hits"][0]
        status, _, body = get(base + f"/passages/{hit['passage_id']}/source")
    assert status == 404 and b"--corpus" in body


def test_health_and_openapi(served: str) -> None:
    status, data = get_json(served + "/health")
    assert status == 200 and data["status"] == "ok" and data["passages"] > 20
    validate(data, "Health")
    status, spec = get_json(served + "/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {
        "/search", "/passages/{passage_id}", "/passages/{passage_id}/similar", "/passages/{passage_id}/source",
        "/health", "/verify", "/kwic", "/watches", "/export",
    }
    jsonschema.Draft202012Validator.check_schema(spec["components"]["schemas"]["Hit"])
    # The answers with filters, facets and grouping are what the spec says.
    status, data = get_json(served + "/search?" + urllib.parse.urlencode(
        [("q", "chechnya"), ("where", "publisher=NBC Out"), ("group_by", "article"), ("facets", "publisher,kind")]))
    assert status == 200 and data["facets"]["kind"] and data["hits"][0]["group_count"] > 1
    validate(data, "SearchResults")
    status, similar = get_json(served + f"/passages/{data['hits'][0]['passage_id']}/similar?limit=2")
    assert status == 200 and len(similar["hits"]) == 2
    validate(similar, "SearchResults")


@pytest.mark.parametrize(
    "params, message",
    [
        ({"q": ""}, "empty"),
        ({"q": "x" * (MAX_QUERY_CHARS + 1)}, "longer than"),
        ({"q": "senate", "limit": "0"}, "limit"),
        ({"q": "senate", "limit": str(MAX_LIMIT + 1)}, "limit"),
        ({"q": "senate", "limit": "ten"}, "limit"),
        ({"q": "senate", "syntax": "maybe"}, "syntax"),
        ({"q": "*", "syntax": "true"}, "nothing to search for"),
    ],
)
def test_bad_requests_are_400_with_a_message(served: str, params: dict[str, str], message: str) -> None:
    status, _, body = get(served + "/search?" + urllib.parse.urlencode(params))
    assert status == 400
    assert message in json.loads(body)["error"]


def test_missing_q_is_400(served: str) -> None:
    status, data = get_json(served + "/search")
    assert status == 400 and "empty" in data["error"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_read_only(served: str, method: str) -> None:
    for path in ("/search", "/passages/abc", "/health", "/"):
        assert get(served + path, method=method)[0] == 405


def test_other_host_names_are_refused(served: str) -> None:
    # A page on another site that rebinds its DNS name to 127.0.0.1 sends its own Host.
    assert get(served + "/health", headers={"Host": "attacker.example"})[0] == 400
    assert get(served + "/health", headers={"Host": "localhost:1234"})[0] == 200


def test_many_concurrent_requests_on_one_index(served: str) -> None:
    queries = [QUESTION, "Chechnya", "human rights", "gay men detained", "Markey", "resolution"]
    expected = {text: get_json(served + q(text, limit=5))[1] for text in queries}
    work = [queries[i % len(queries)] for i in range(120)]

    def ask(text: str) -> bool:
        status, data = get_json(served + q(text, limit=5))
        return status == 200 and data == expected[text]

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(ask, work))
    assert all(answers)


def test_rebuilt_and_updated_index_seen_without_restart(built: Path, corpus: Path) -> None:
    with live_server(create_app(built, corpus)) as base:
        assert get_json(base + q("quokka"))[1]["hits"] == []
        write(corpus, "quokka.txt", "Quokka news\n\n" + "A quokka smiled at the ferry passengers. " * 8)
        searchkit.build_index(corpus, built)  # an update: a new Whoosh commit
        hits = get_json(base + q("quokka"))[1]["hits"]
        assert [h["source"] for h in hits] == ["quokka.txt"]
        # A rebuild starts a new Whoosh index whose generation count restarts.
        (corpus / "quokka.txt").unlink()
        write(corpus, "wombat.txt", "Wombat news\n\n" + "A wombat dug under the garden fence. " * 8)
        searchkit.build_index(corpus, built, rebuild=True)
        for _ in range(3):  # several requests, likely on several server threads
            assert get_json(base + q("quokka"))[1]["hits"] == []
            assert [h["source"] for h in get_json(base + q("wombat"))[1]["hits"]] == ["wombat.txt"]
        hit = get_json(base + q("wombat"))[1]["hits"][0]
        assert get(base + f"/passages/{hit['passage_id']}/source")[0] == 200


def test_requests_during_rebuilds_never_fail(built: Path, corpus: Path) -> None:
    statuses: list[int] = []
    stop = threading.Event()

    def ask(base: str) -> None:
        while not stop.is_set():
            statuses.append(get(base + q("senate resolution", limit=5))[0])

    with live_server(create_app(built, corpus)) as base:
        threads = [threading.Thread(target=ask, args=(base,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            for _ in range(3):
                searchkit.build_index(corpus, built, rebuild=True)
        finally:
            stop.set()
            for thread in threads:
                thread.join(30)
        # Every thread answers from the finished index afterwards.
        after = [get_json(base + q("senate resolution", limit=5)) for _ in range(8)]
    assert statuses and set(statuses) == {200}
    assert all(status == 200 and data["hits"] for status, data in after)


def test_an_index_empty_at_start_is_filled_later(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "empty-index"
    searchkit.create_index(index).close()
    with live_server(create_app(index, corpus)) as base:
        before = [get_json(base + q(QUESTION)) for _ in range(4)]
        searchkit.build_index(corpus, index)
        after = [get_json(base + q(QUESTION)) for _ in range(4)]
    assert all(status == 200 and data["hits"] == [] for status, data in before)
    assert all(status == 200 and "Pat Toomey" in data["hits"][0]["text"] for status, data in after)


def test_a_removed_index_is_503_not_a_crash(built: Path, corpus: Path) -> None:
    with live_server(create_app(built, corpus)) as base:
        assert get(base + q("senate"))[0] == 200
        shutil.rmtree(built)
        status, _, body = get(base + "/health")
    assert status == 503 and json.loads(body)["status"] == "unavailable"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_command_runs_the_server(corpus: Path, tmp_path: Path) -> None:
    port = _free_port()
    index = tmp_path / "served-index"
    process = subprocess.Popen(
        [sys.executable, "-m", "searchkit", "serve", "--corpus", str(corpus), "--index", str(index),
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health")
        status, data = get_json(f"http://127.0.0.1:{port}" + q(QUESTION, limit=1))
        assert status == 200 and "Pat Toomey" in data["hits"][0]["text"]
        status, _, body = get(f"http://127.0.0.1:{port}/")
        assert status == 200 and b'id="search-form"' in body
    finally:
        process.terminate()
        _, err = process.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/" in err.decode()


def test_serve_without_the_extra_names_the_install(built: Path) -> None:
    # A fresh interpreter where starlette cannot be imported, as in a core-only install.
    code = (
        "import sys; sys.modules['starlette'] = None\n"
        "from searchkit.cli import main\n"
        f"main(['serve', '--index', {str(built)!r}, '--port', '{_free_port()}'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'searchkit-passages[server]'" in lines[0], result.stderr


def test_core_import_stays_lean() -> None:
    code = (
        "import sys, searchkit, searchkit.cli, searchkit.search\n"
        "heavy = {'starlette', 'uvicorn', 'mcp', 'langchain_core', 'llama_index', 'pydantic', 'selenium'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ)
    assert out.stdout.strip() == "[]"


def test_every_command_help_has_an_example() -> None:
    for command in ("serve", "mcp"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "Example" in result.output


def test_limits_are_defined_once_and_checked_by_one_function() -> None:
    # The library, the server and the MCP server read their limits from settings and
    # refuse with the same words; their old names stay importable.
    from searchkit import server
    from searchkit.errors import QueryError
    from searchkit.settings import LIBRARY_LIMITS, MCP_LIMITS, SERVER_LIMITS, check_query

    search_package = sys.modules["searchkit.search"]
    assert (search_package.MAX_QUERY_CHARS, search_package.MAX_LIMIT) == (10_000, 10_000)
    assert (LIBRARY_LIMITS.max_query_chars, LIBRARY_LIMITS.max_limit) == (10_000, 10_000)
    assert (server.MAX_QUERY_CHARS, server.MAX_LIMIT, server.SEARCH_SECONDS) == (1_000, 100, 5.0)
    assert (MCP_LIMITS.max_limit, MCP_LIMITS.seconds) == (50, 10.0)
    for limits in (LIBRARY_LIMITS, SERVER_LIMITS, MCP_LIMITS):
        too_many = limits.max_limit + 1
        with pytest.raises(QueryError, match=f"^limit must be from 1 to {limits.max_limit}, not {too_many}$"):
            check_query("x", too_many, limits)
        with pytest.raises(QueryError, match=f"longer than {limits.max_query_chars}; shorten it"):
            check_query("x" * (limits.max_query_chars + 1), 1, limits)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "md"])
def test_export_body_is_the_file_searchkit_export_writes(served: str, built: Path, corpus: Path, tmp_path: Path,
                                                         fmt: str) -> None:
    from searchkit.exports import export

    status, headers, body = get(served + "/export?" + urllib.parse.urlencode(
        {"q": "Chechnya", "format": fmt, "limit": 4, "where": "source=00*", "sort": "-date"}))
    assert status == 200, body
    out = tmp_path / f"x.{fmt}"
    export("Chechnya", out, index=built, format=fmt, limit=4, where=["source=00*"], sort="-date")
    assert body == out.read_bytes()
    assert headers["content-type"].split(";")[0] in ("application/x-ndjson", "text/csv", "text/markdown")
    assert get(served + "/export?q=x&format=pdf")[0] == 400
