"""The command line: every format parsed back, batch queries, show, and clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchkit.cli import main
from searchkit.ingest import source_text

from conftest import write

QUESTION = "Who introduced Senate Resolution 211?"


@pytest.fixture
def run(corpus: Path, index_dir: Path):
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(main, [*args], input=input, catch_exceptions=False,
                             env={"SEARCHKIT_CORPUS": str(corpus), "SEARCHKIT_INDEX": str(index_dir)})
    return invoke


def test_search_builds_index_and_jsonl_cites_exactly(run, corpus: Path) -> None:
    result = run("search", QUESTION, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 10
    assert "Pat Toomey" in rows[0]["text"] and "Ed Markey" in rows[0]["text"]
    for rank, row in enumerate(rows, 1):
        assert row["rank"] == rank
        assert {"score", "doc_id", "passage_id", "title", "text", "source", "start", "end"} <= row.keys()
        assert source_text(corpus, row["source"], row["doc_id"])[row["start"] : row["end"]] == row["text"]


def test_json_and_trec_formats(run) -> None:
    doc = json.loads(run("search", "Kadyrov", "--format", "json", "--limit", "3").stdout)
    assert doc["query"] == "Kadyrov" and len(doc["hits"]) == 3 and doc["timed_out"] is False
    lines = run("search", "Kadyrov", "--format", "trec", "--limit", "3").stdout.splitlines()
    cols = [line.split() for line in lines]
    assert [len(c) for c in cols] == [6, 6, 6]
    assert [c[3] for c in cols] == ["1", "2", "3"] and all(c[1] == "Q0" for c in cols)
    assert cols[0][2] == doc["hits"][0]["passage_id"]


def test_text_format_for_people(run) -> None:
    out = run("search", QUESTION, "--limit", "2").stdout
    assert out.startswith("1. Seven Months Later")
    assert "000_b4a1880a0ab40fd3.txt, passage 1" in out
    assert "[Toomey]" not in out and "[Senate]" in out  # matched words marked, plain when piped
    assert "\x1b[" not in out


def test_batch_queries_from_file_and_stdin(run, tmp_path: Path) -> None:
    queries = write(tmp_path, "q.jsonl", json.dumps({"id": "a", "query": QUESTION}) + "\n" + json.dumps({"id": "b", "query": "Ruslan"}) + "\n")
    rows = [json.loads(x) for x in run("search", "--queries", str(queries), "--format", "jsonl", "--limit", "2").stdout.splitlines()]
    assert [(r["query_id"], r["rank"]) for r in rows] == [("a", 1), ("a", 2), ("b", 1), ("b", 2)]
    out = run("search", "--queries", "-", "--format", "json", input="Kadyrov\nTillerson\n").stdout
    docs = [json.loads(line) for line in out.splitlines()]
    assert [d["query_id"] for d in docs] == ["1", "2"]
    trec = run("search", "--queries", str(queries), "--format", "trec", "--limit", "1").stdout.split()
    assert trec[0] == "a" and trec[6] == "b"


def test_index_reports_and_show(run, corpus: Path) -> None:
    first = run("index")
    assert first.exit_code == 0 and "5 added" in first.stdout
    again = json.loads(run("index", "--format", "json").stdout)
    assert len(again["unchanged"]) == 5 and again["partial"] is False
    pid = json.loads(run("search", QUESTION, "--format", "jsonl", "--limit", "1").stdout)["passage_id"]
    shown = json.loads(run("show", pid, "--format", "json").stdout)
    assert shown["passage"]["passage_id"] == pid and shown["next"]["ordinal"] == 1
    assert shown["citation"]["author"] == "Dan Avery"
    assert "Pat Toomey" in run("show", pid).stdout


def test_partial_index_exits_3(run, corpus: Path) -> None:
    write(corpus, "bad.jsonl", "{broken\n")
    result = run("index")
    assert result.exit_code == 3
    assert "skipped bad.jsonl:1: invalid JSON" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search", "?!"), "no words"),
        (("search", "foo", "--index", "/nonexistent/x", "--corpus", "/nonexistent/c"), "corpus folder /nonexistent/c does not exist"),
        (("show", "abc"), "no searchkit index"),
        (("search", "--queries", "/nonexistent/q.txt"), "cannot read queries file /nonexistent/q.txt"),
    ],
)
def test_errors_are_one_line_without_traceback(run, args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("searchkit: error:")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in result.output


def test_bad_query_line_names_file_and_line(run, tmp_path: Path) -> None:
    queries = write(tmp_path, "q.jsonl", '{"id": "a", "query": "Kadyrov"}\n{"id": "b"}\n')
    result = run("search", "--queries", str(queries))
    assert result.exit_code == 1
    assert f"{queries}:2: bad query line" in result.stderr


def test_usage_errors_exit_2(run) -> None:
    assert run("search").exit_code == 2
    assert run("search", "x", "--format", "xml").exit_code == 2
    assert run("search", "x", "--limit", "0").exit_code == 2


def test_every_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    for name, command in main.commands.items():
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.output and f"searchkit {name}" in result.output, name


def test_module_entry_point(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "searchkit", "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0 and "searchkit" in out.stdout
