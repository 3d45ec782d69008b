"""Every command and front-end opens a sharded index as it opens one index, and
says the same: show, similar, verify, kwic, export and its check, watch, check,
the HTTP API and the LangChain retriever."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.cli import main

from test_shards import working_copy

BUNDLED = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("frontends")
    corpus = root / "corpus"
    shutil.copytree(BUNDLED, corpus)
    searchkit.build_index(corpus, root / "one")
    searchkit.build_index(corpus, root / "sharded", shards=3)
    return corpus, root / "one", root / "sharded"


def run(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(main, list(args))
    assert "Traceback" not in done.output, done.output
    return done.exit_code, done.output


@pytest.mark.parametrize("command", [
    ["search", "senate resolution", "--format", "json", "--facets", "publisher"],
    ["search", "chechnya", "--group-by", "article", "--format", "json"],
    ["verify", "Senate Resolution 211 follows a bipartisan measure", "--format", "json"],
    ["verify", "Senate Resolution 212 follows a bipartisan measure", "--format", "json"],
    ["kwic", "condemn", "--format", "jsonl"],
    ["kwic", "human rights", "--exact", "--format", "jsonl", "--sort", "left"],
], ids=lambda c: " ".join(c[:2]))
def test_commands_say_the_same_of_a_sharded_index(indexes: tuple[Path, Path, Path], command: list[str]) -> None:
    corpus, one, sharded = indexes
    extra = ["--corpus", str(corpus)] if command[0] == "verify" else []
    a = run(*command, "--index", str(one), *extra)
    b = run(*command, "--index", str(sharded), *extra)
    assert a == b
    assert a[1].strip()


def test_show_and_similar(indexes: tuple[Path, Path, Path]) -> None:
    _, one, sharded = indexes
    hit = json.loads(run("search", "purge", "--format", "json", "--index", str(one))[1])["hits"][0]
    for command in (["show", hit["passage_id"]], ["similar", hit["passage_id"], "--format", "json"]):
        a, b = run(*command, "--index", str(one)), run(*command, "--index", str(sharded))
        assert a == b and a[0] == 0


def test_export_and_its_check_on_a_sharded_index(indexes: tuple[Path, Path, Path], tmp_path: Path) -> None:
    corpus, one, sharded = indexes
    work, index = working_copy(tmp_path, corpus, sharded)
    out_a, out_b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert run("export", "chechnya purge", "--out", str(out_a), "--index", str(one), "--corpus", str(corpus))[0] == 0
    assert run("export", "chechnya purge", "--out", str(out_b), "--index", str(index), "--corpus", str(work))[0] == 0
    assert out_a.read_bytes() == out_b.read_bytes()
    manifest = json.loads((tmp_path / "b.jsonl.manifest.json").read_text())
    assert manifest["index"]["build_id"] and manifest["index"]["generation"] > 0
    assert all(entry["sha256"] for entry in manifest["sources"].values())
    assert run("export", "--check", str(out_b))[0] == 0
    first = json.loads(out_b.read_text().splitlines()[0])
    source = work / first["source"]
    source.write_text(source.read_text(encoding="utf-8").replace(first["text"][:40], "Something else entirely"), encoding="utf-8")
    code, output = run("export", "--check", str(out_b))
    assert code == 4 and "changed" in output


def test_watches_check_and_updates_on_a_sharded_index(indexes: tuple[Path, Path, Path], tmp_path: Path) -> None:
    corpus, _, sharded = indexes
    work, index = working_copy(tmp_path, corpus, sharded)
    assert run("watch", "add", "lighthouses", "lighthouse keeper", "--index", str(index))[0] == 0
    assert run("watch", "run", "--index", str(index))[0] == 0
    (work / "new.txt").write_text("Keepers\n\nThe last lighthouse keeper retired on Friday.\n", encoding="utf-8")
    code, output = run("index", "--corpus", str(work), "--index", str(index), "-q")
    assert code == 0 and "1 added" in output and "lighthouses: 1 new" in output
    code, output = run("watch", "run", "--index", str(index), "--format", "jsonl")
    assert code == 0 and "lighthouse keeper retired" in output
    report = searchkit.check_index(work, index)
    assert report.ok and report.files == 6
    (work / "new.txt").write_text("Keepers\n\nChanged since.\n", encoding="utf-8")
    assert searchkit.check_index(work, index).changed == ("new.txt",)


def test_http_api_and_retriever_on_a_sharded_index(indexes: tuple[Path, Path, Path]) -> None:
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from searchkit.server import create_app

    corpus, one, sharded = indexes
    a, b = (TestClient(create_app(index, corpus, allowed_hosts=None)) for index in (one, sharded))
    for url in ("/search?q=senate+resolution&limit=5&facets=publisher", "/health"):
        x, y = a.get(url), b.get(url)
        assert x.status_code == y.status_code == 200
        assert x.json() == y.json()
    pytest.importorskip("langchain_core")
    from searchkit.adapters.langchain import SearchkitRetriever

    docs_a = SearchkitRetriever(index=str(one)).invoke("chechnya purge")
    docs_b = SearchkitRetriever(index=str(sharded)).invoke("chechnya purge")
    assert [d.page_content for d in docs_a] == [d.page_content for d in docs_b] and docs_a


def test_eval_and_mcp_on_a_sharded_index(indexes: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, one, sharded = indexes
    queries = tmp_path / "questions.jsonl"
    queries.write_text('{"id": "a", "query": "senate resolution"}\n{"id": "b", "query": "purge camps"}\n', encoding="utf-8")
    qrels = tmp_path / "judged.trec"
    qrels.write_text("a 0 000_b4a1880a0ab40fd3 1\nb 0 002_5883718dadfc0e72 1\n", encoding="utf-8")
    outputs = [
        run("eval", "--queries", str(queries), "--qrels", str(qrels), "--index", str(index), "--format", "json")
        for index in (one, sharded)
    ]
    reports = [json.loads(output) for code, output in outputs if code == 0]
    assert len(reports) == 2
    for report in reports:
        report.pop("seconds", None)
    assert reports[0] == reports[1] and reports[0]["metrics"]["mrr@10"] > 0
    pytest.importorskip("mcp")
    from searchkit.mcp_server import create_server

    assert create_server(one) is not None and create_server(sharded) is not None
