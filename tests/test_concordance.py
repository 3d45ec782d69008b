"""kwic: every occurrence of a word, name or phrase, counted as a plain scan of the
source texts counts it, stemmed or exact, through the library, the CLI and HTTP."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.cli import main
from searchkit.concordance import kwic

from conftest import write

ARTICLES = {
    "one.txt": "Council Vote\n\nThe council condemned the attack on Monday. Leaders condemn violence of every kind, "
               "and the mayor said human rights must come first.\n\nA second paragraph says nothing of it.\n",
    "two.txt": "Statement Issued\n\nThe statement condemns the raids. Its condemnation was swift, and Condemned prisoners "
               "were named. Groups for human rights and for the human right to protest joined in.\n",
    "three.txt": "Quiet Week\n\nNothing happened in the town this week; the market opened late on Tuesday.\n",
    "four.jsonl": json.dumps({"id": "w1", "title": "Wire Copy", "text": "Ministers condemned it again, "
                              "condemning the delay. Human Rights groups agreed."}) + "\n",
}


@pytest.fixture
def kwic_corpus(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    for name, text in ARTICLES.items():
        write(corpus, name, text)
    index = tmp_path / "index"
    searchkit.build_index(corpus, index)
    return corpus, index


def plain_scan(corpus: Path, pattern: str) -> int:
    """The independent count: a regular expression over each article's body (the
    source text after its title line; a .jsonl line's "text")."""
    count = 0
    for path in sorted(corpus.iterdir()):
        if path.suffix == ".jsonl":
            bodies = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]
        else:
            bodies = [path.read_text(encoding="utf-8").split("\n", 1)[1]]
        count += sum(len(re.findall(pattern, body, re.IGNORECASE)) for body in bodies)
    return count


def test_stemmed_counts_equal_a_plain_scan(kwic_corpus: tuple[Path, Path]) -> None:
    corpus, index = kwic_corpus
    found = kwic("condemn", index=index)
    assert found.total == len(found) == plain_scan(corpus, r"\bcondemn\w*") == 7
    for o in found:
        text = searchkit.source_text(corpus, o.source, o.doc_id)
        assert text[o.start : o.end] == o.match
        assert o.match.lower().startswith("condemn")
        assert f"chars {o.start}-{o.end}" in o.citation


def test_exact_counts_the_surface_form_only(kwic_corpus: tuple[Path, Path]) -> None:
    corpus, index = kwic_corpus
    exact = kwic("condemned", index=index, exact=True)
    stemmed = kwic("condemned", index=index)
    assert exact.total == plain_scan(corpus, r"\bcondemned\b") == 3  # any case: "Condemned" too
    assert stemmed.total == plain_scan(corpus, r"\bcondemn\w*") > exact.total
    assert {o.match for o in exact} == {"condemned", "Condemned"}


def test_phrases(kwic_corpus: tuple[Path, Path]) -> None:
    corpus, index = kwic_corpus
    assert kwic("human rights", index=index).total == plain_scan(corpus, r"\bhuman rights?\b") == 4
    exact = kwic("Human Rights", index=index, exact=True)
    assert exact.total == plain_scan(corpus, r"\bhuman rights\b") == 3
    assert kwic("purple giraffe", index=index).total == 0


def test_context_sort_and_limit(kwic_corpus: tuple[Path, Path]) -> None:
    _, index = kwic_corpus
    by_source = kwic("condemn", index=index, width=10)
    assert [(o.source, o.start) for o in by_source] == sorted((o.source, o.start) for o in by_source)
    assert all(len(o.left) <= 10 and len(o.right) <= 10 for o in by_source)
    right = kwic("condemn", index=index, sort="right")
    firsts = [re.findall(r"\w+", o.right)[0].lower() for o in right]
    assert firsts == sorted(firsts)
    left = kwic("condemn", index=index, sort="left")
    lasts = [(re.findall(r"\w+", o.left) or [""])[-1].lower() for o in left]
    assert lasts == sorted(lasts)
    two = kwic("condemn", index=index, sort="right", limit=2)
    assert two.total == 7 and two.occurrences == right.occurrences[:2]
    with pytest.raises(searchkit.QueryError, match="sort must be"):
        kwic("condemn", index=index, sort="middle")
    with pytest.raises(searchkit.QueryError, match="no words"):
        kwic("?!", index=index)


def test_cli_formats(kwic_corpus: tuple[Path, Path]) -> None:
    corpus, index = kwic_corpus
    run = lambda *args: CliRunner().invoke(main, ["kwic", *args, "--index", str(index)])  # noqa: E731
    text = run("condemn", "--width", "20")
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert len(lines) == 8 and lines[-1] == "7 occurrence(s) of 'condemn' (all forms)"
    assert "[condemned]" in lines[0] and "four.jsonl chars" in text.stdout
    rows = list(csv.DictReader(io.StringIO(run("condemned", "--exact", "--format", "csv").stdout)))
    assert len(rows) == 3 and {r["match"] for r in rows} == {"condemned", "Condemned"}
    jsonl = [json.loads(line) for line in run("human rights", "--format", "jsonl", "--limit", "2").stdout.splitlines()]
    assert len(jsonl) == 2 and all(r["match"].lower().startswith("human right") for r in jsonl)
    limited = run("condemn", "--limit", "3")
    assert limited.stdout.splitlines()[-1].endswith("(all forms); showing 3")
    assert run("condemn", "--sort", "middle").exit_code == 2


def test_http_kwic(kwic_corpus: tuple[Path, Path]) -> None:
    from serving import api, schema_validator

    corpus, index = kwic_corpus
    validator = schema_validator("Concordance")
    with api(index, corpus) as call:
        status, data = call("/kwic", term="condemned", exact="true", limit=50)
        assert status == 200
        validator.validate(data)
        assert data == kwic("condemned", index=index, exact=True, limit=50).to_dict()
        status, error = call("/kwic", term="condemn", sort="middle")
        assert status == 400 and "sort must be" in error["error"]
