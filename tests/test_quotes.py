"""verify: a quote found exact, normalised (quote marks, dashes, white space, case)
or close (one word changed), with offsets into the source text, through the
library, the CLI (exit 0 or 5) and HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.cli import EXIT_UNVERIFIED, main
from searchkit.quotes import CLOSE, EXACT, NORMALISED, read_quotes, verify

from conftest import write

FILLER = (
    "The harbour has been the heart of the town for two hundred years, and its fishing fleet still "
    "lands most of the catch sold along this stretch of the coast. Storms in recent winters have "
    "battered the old stone walls, flooding the quay and the shops behind it. "
)
FIRST = FILLER + "The mayor said the council would “never abandon the harbour” and promised 212 new moorings."
SECOND = "Work on the seawall begins in March, officials said — weather permitting. " + FILLER
ARTICLE = f"Harbour Council Votes On The Seawall\n\n{FIRST}\n\n{SECOND}\n"
OTHER = (
    "Orchard Growers Count Their Losses\n\n"
    "Apple growers in the valley lost a third of their blossom to a late frost this spring, "
    "and several farms say they will not pick at all this year. The cooperative asked the "
    "ministry for emergency loans before the harvest, which starts in September.\n"
)
SPANNING = "promised 212 new moorings.\n\nWork on the seawall begins in March"


@pytest.fixture
def quotes_corpus(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    write(corpus, "harbour.txt", ARTICLE)
    # A syndicated copy: the same first paragraph under another title.
    write(corpus, "copy.txt", "Seawall Vote\n\n" + FIRST + "\n")
    write(corpus, "orchard.txt", OTHER)
    index = tmp_path / "index"
    searchkit.build_index(corpus, index)
    return corpus, index


def _source(corpus: Path, source: str) -> str:
    return searchkit.source_text(corpus, source)


def test_exact_quote_spanning_two_passages(quotes_corpus: tuple[Path, Path]) -> None:
    corpus, index = quotes_corpus
    result = verify(SPANNING, index=index, corpus=corpus)
    assert result.found and result.best == EXACT
    (match,) = [m for m in result.matches if m.source == "harbour.txt"]
    text = _source(corpus, "harbour.txt")
    assert text[match.start : match.end] == SPANNING == match.text
    assert match.start == text.index("promised 212")
    assert len(match.passage_ids) == 2
    with searchkit.Searcher(index) as searcher:
        passages = searcher.passages_of(match.doc_id)
    assert [p.passage_id for p in passages if p.start < match.end and match.start < p.end] == list(match.passage_ids)
    assert "passages 1-2" in match.citation and f"chars {match.start}-{match.end}" in match.citation


def test_curly_quotes_line_breaks_and_case_are_normalised(quotes_corpus: tuple[Path, Path]) -> None:
    corpus, index = quotes_corpus
    quote = 'the Mayor said the council would "NEVER abandon\nthe harbour" and promised 212 new moorings'
    result = verify(quote, index=index, corpus=corpus)
    assert result.found and result.best == NORMALISED
    # Found in the article and in its syndicated copy (collapsed into one hit in search).
    assert sorted(m.source for m in result.matches) == ["copy.txt", "harbour.txt"]
    for m in result.matches:
        assert m.match == NORMALISED and m.similarity == 1.0 and not m.differences
        assert _source(corpus, m.source)[m.start : m.end] == m.text
        assert m.text == "The mayor said the council would “never abandon the harbour” and promised 212 new moorings"


def test_dashes_and_white_space_are_normalised(quotes_corpus: tuple[Path, Path]) -> None:
    corpus, index = quotes_corpus
    result = verify("begins in March, officials said - weather permitting", index=index, corpus=corpus)
    assert result.best == NORMALISED
    assert result.matches[0].text == "begins in March, officials said — weather permitting"


def test_an_ellipsis_for_words_left_out_is_normalised(quotes_corpus: tuple[Path, Path]) -> None:
    corpus, index = quotes_corpus
    result = verify("The mayor said the council would … promise 212 new moorings", index=index, corpus=corpus)
    assert result.best == CLOSE  # "promise" is not what was said
    result = verify("The mayor said the council would ... promised 212 new moorings", index=index, corpus=corpus)
    assert result.best == NORMALISED
    text = _source(corpus, result.matches[0].source)
    match = result.matches[0]
    assert text[match.start : match.end] == match.text
    assert match.text.startswith("The mayor said") and match.text.endswith("212 new moorings")


def test_one_changed_number_is_close_never_exact(quotes_corpus: tuple[Path, Path]) -> None:
    corpus, index = quotes_corpus
    result = verify("and promised 213 new moorings", index=index, corpus=corpus)
    assert not result.found and result.best == CLOSE
    assert all(m.match == CLOSE for m in result.matches)
    match = result.matches[0]
    assert 0 < match.similarity < 1
    (diff,) = match.differences
    assert (diff.source_words, diff.quote_words) == ("212", "213")
    assert _source(corpus, match.source)[diff.start : diff.end] == "212"
    assert "[212 → 213]" in match.marked()


@pytest.mark.parametrize(
    ("quote", "differences"),
    [
        # A number cut short is not found inside the longer one.
        ("and promised 21", [("212", "21")]),
        # One name changed.
        ("Apple growers in the valley lost a third of their blossom to a late storm", [("frost", "storm")]),
        # The words an ellipsis stands for are no difference; the changed number is.
        ("The mayor said the council would … promised 213 new moorings", [("212", "213")]),
    ],
)
def test_close_matches_show_what_differs(quotes_corpus: tuple[Path, Path], quote: str,
                                         differences: list[tuple[str, str]]) -> None:
    corpus, index = quotes_corpus
    result = verify(quote, index=index, corpus=corpus)
    assert not result.found and result.best == CLOSE
    assert [(d.source_words, d.quote_words) for d in result.matches[0].differences] == differences


def test_no_match_inside_a_word(quotes_corpus: tuple[Path, Path]) -> None:
    corpus, index = quotes_corpus
    assert verify("arbour", index=index, corpus=corpus).best != EXACT  # not inside "harbour"


def test_a_quote_not_in_the_corpus_has_no_match(quotes_corpus: tuple[Path, Path]) -> None:
    corpus, index = quotes_corpus
    result = verify("purple giraffes negotiate steel tariffs", index=index, corpus=corpus)
    assert result.matches == () and result.best == "none" and not result.found


def test_without_the_corpus_the_indexed_text_gives_the_same_offsets(quotes_corpus: tuple[Path, Path]) -> None:
    corpus, index = quotes_corpus
    with_corpus = verify(SPANNING, index=index, corpus=corpus, source="harbour.txt").matches[0]
    without = verify(SPANNING, index=index, source="harbour.txt").matches[0]
    # The gap between passages is read as spaces: the same span, found normalised.
    assert (without.start, without.end, without.match) == (with_corpus.start, with_corpus.end, NORMALISED)


def test_source_restricts_and_errors(quotes_corpus: tuple[Path, Path]) -> None:
    corpus, index = quotes_corpus
    result = verify("never abandon the harbour", index=index, corpus=corpus, source="copy.txt")
    assert [m.source for m in result.matches] == ["copy.txt"]
    with pytest.raises(searchkit.QueryError, match="no article from 'nope.txt'"):
        verify("harbour", index=index, source="nope.txt")
    with pytest.raises(searchkit.QueryError, match="empty"):
        verify("  ", index=index)


def test_read_quotes_lines_and_json_lines() -> None:
    assert read_quotes('one\n\n{"quote": "two \\"x\\""}\n') == ["one", 'two "x"']
    with pytest.raises(searchkit.QueryError, match="line 1"):
        read_quotes('{"text": "x"}')


# --- CLI ---------------------------------------------------------------------------

def _run(index: Path, corpus: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(main, ["verify", *args, "--index", str(index), "--corpus", str(corpus)], input=input)


def test_cli_exit_codes_and_output(quotes_corpus: tuple[Path, Path]) -> None:
    corpus, index = quotes_corpus
    found = _run(index, corpus, "Work on the seawall begins in March")
    assert found.exit_code == 0, found.output
    assert found.stdout.startswith("exact\n") and "harbour.txt, passage 2, chars" in found.stdout

    close = _run(index, corpus, "and promised 213 new moorings")
    assert close.exit_code == EXIT_UNVERIFIED == 5
    assert "close (similarity" in close.stdout and "[212 → 213]" in close.stdout

    missing = _run(index, corpus, "purple giraffes negotiate steel tariffs")
    assert missing.exit_code == 5 and "not found" in missing.stdout

    data = json.loads(_run(index, corpus, SPANNING, "--format", "json").stdout)
    harbour = [m for m in data["matches"] if m["source"] == "harbour.txt"][0]
    assert data["found"] and harbour["match"] == "exact" and len(harbour["passage_ids"]) == 2
    assert _source(corpus, "harbour.txt")[harbour["start"] : harbour["end"]] == SPANNING


def test_cli_quotes_file(quotes_corpus: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, index = quotes_corpus
    quotes = write(tmp_path, "quotes.jsonl", json.dumps({"quote": "never abandon the harbour"}) + "\n")
    assert _run(index, corpus, "--quotes", str(quotes)).exit_code == 0
    both = _run(index, corpus, "--quotes", "-", "--format", "json", input="never abandon the harbour\nlate storm in the valley\n")
    assert both.exit_code == 5
    assert [json.loads(line)["found"] for line in both.stdout.splitlines()] == [True, False]
    assert _run(index, corpus).exit_code == 2  # neither a quote nor a file


# --- HTTP ----------------------------------------------------------------------------

def test_http_verify(quotes_corpus: tuple[Path, Path]) -> None:
    from serving import api, schema_validator

    corpus, index = quotes_corpus
    validator = schema_validator("VerifyResult")
    with api(index, corpus) as call:
        status, data = call("/verify", quote=SPANNING)
        assert status == 200 and data["found"]
        validator.validate(data)
        assert data == verify(SPANNING, index=index, corpus=corpus).to_dict()
        status, close = call("/verify", quote="promised 213 new moorings")
        assert status == 200 and close["best"] == "close" and not close["found"]
        assert close["matches"][0]["differences"][0]["quote_words"] == "213"
        status, error = call("/verify", quote="")
        assert status == 400 and "empty" in error["error"]
