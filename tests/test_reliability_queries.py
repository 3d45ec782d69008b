"""Hostile queries: any string gives results or one clear QueryError, in both query modes.

A property test throws thousands of generated queries (random Unicode, control
characters, and soups of query-syntax pieces) at a real index; named cases pin the
messages; the time limit really stops a slow search and flags the partial result.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path

import pytest
import whoosh.collectors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searchkit
from searchkit.schema import FIELDS

EXAMPLES_PER_MODE = 1000

PIECES = st.sampled_from(
    [
        "Chechnya", "human", "rights", "Toomey", "the", "of", "a", "resolution", "G20", "prison",
        "AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO", "(", ")", "[", "]", "{", "}", '"', "'", ":", "*",
        "?", "~", "~2", "~9", "^", "^2", "^-1", "^nan", "\\", "/", "-", "+", "!", "<", ">", "=", "&&", "||",
        *(f"{f}:" for f in FIELDS), "foo:", "Title:", "*:", "12:30", "https://x.org/a?b=c",
        "\x00", "\x1b[2J", "\t", "\n", "\r", "\u200b", "\ufeff", "\u202e", "🙂", "Ωμέγα", "日本語",
        "x" * 300, "word~", "wor*", "a" * 41 + "~1",
    ]
)
# Brackets, quotes and operators glued to their neighbours, words spaced.
SOUP = st.lists(PIECES, max_size=25).map(lambda parts: "".join(p if p in "()[]{}\"':~^*" else f" {p}" for p in parts))
QUERIES = st.one_of(SOUP, st.text(max_size=100))


def check_answer(searcher: searchkit.Searcher, query: str, syntax: bool) -> None:
    try:
        results = searcher.search(query, syntax=syntax, limit=3)
    except searchkit.QueryError as exc:
        message = str(exc)
        assert message and "\n" not in message and len(message) < 400, message
        return
    assert results.query == query
    assert len(results.hits) <= 3
    assert [h.rank for h in results.hits] == list(range(1, len(results.hits) + 1))
    scores = [h.score for h in results.hits]
    assert scores == sorted(scores, reverse=True)
    assert len({h.text for h in results.hits}) == len(results.hits)


@pytest.mark.parametrize("syntax", [False, True], ids=["plain", "syntax"])
def test_generated_queries_never_crash(bundled_index: Path, syntax: bool) -> None:
    searcher = searchkit.Searcher(bundled_index)
    tried = []

    @settings(max_examples=EXAMPLES_PER_MODE, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(QUERIES)
    def run(query: str) -> None:
        tried.append(query)
        check_answer(searcher, query, syntax)

    run()
    searcher.close()
    assert len(set(tried)) >= EXAMPLES_PER_MODE * 0.9  # really thousands of distinct queries


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced quote', "(unbalanced (parens", "closing) only)", "NOT", "AND OR NOT", "the of and a",
        "\x00\x01\x1b chechnya", "x" * 10_000, "Chechnya " * 300, "foo:bar", "C++ NOT found", "title:",
        '"' * 5001, "(" * 3000 + "a" + ")" * 3000, "abcdefghijklmnopqrstuvwxyz~9", "x" * 5000 + "~2",
    ],
)
def test_named_hostile_queries(bundled_index: Path, query: str) -> None:
    with searchkit.Searcher(bundled_index) as searcher:
        for syntax in (False, True):
            check_answer(searcher, query, syntax)


def test_unknown_field_names_the_field_and_the_valid_ones(bundled_index: Path) -> None:
    with pytest.raises(searchkit.QueryError) as caught:
        searchkit.search("chechnya foo:bar", index=bundled_index, syntax=True)
    message = str(caught.value)
    assert "unknown field(s) foo" in message
    assert all(field in message for field in FIELDS)
    # In plain-words mode the same text is just words.
    assert searchkit.search("chechnya foo:bar", index=bundled_index).hits
    assert searchkit.search('title:chechnya "foo:bar" OR chechnya', index=bundled_index, syntax=True).hits


def test_stop_words_only_and_operators_in_plain_mode(bundled_index: Path) -> None:
    assert searchkit.search("the of and", index=bundled_index).hits
    assert searchkit.search("NOT AND OR", index=bundled_index).hits  # words, not operators
    assert len(searchkit.search("C++ NOT found", index=bundled_index).hits) > 0


def test_fuzzy_blowups_are_refused_quickly(bundled_index: Path) -> None:
    for query in ("abcdefghijklmnopqrstuvwxyz~9", "x" * 5000 + "~2"):
        with pytest.raises(searchkit.QueryError, match="fuzzy"):
            searchkit.search(query, index=bundled_index, syntax=True)
    assert searchkit.search("Chechnia~1", index=bundled_index, syntax=True).hits


@pytest.mark.parametrize("syntax", [False, True], ids=["plain-words", "syntax"])
def test_time_limit_returns_partial_results_with_a_flag(
    bundled_index: Path, monkeypatch: pytest.MonkeyPatch, syntax: bool
) -> None:
    # Every matching passage now costs 20 ms: in Whoosh's collectors (syntax mode; a
    # limit above the passage count gets the unlimited one), and in searchkit's own
    # scoring of plain words (one posting a block).
    for cls in (whoosh.collectors.TopCollector, whoosh.collectors.UnlimitedCollector):
        def slow_collect(self, global_docnum, score, original=cls._collect):  # type: ignore[no-untyped-def]
            time.sleep(0.02)
            return original(self, global_docnum, score)

        monkeypatch.setattr(cls, "_collect", slow_collect)
    whoosh_access = importlib.import_module("searchkit.search._whoosh")

    def slow_blocks(*args, original=whoosh_access.posting_blocks):  # type: ignore[no-untyped-def]
        for _, read in original(*args):
            for doc, weight in zip(*read()):
                time.sleep(0.02)
                yield doc, lambda doc=doc, weight=weight: ([doc], [weight])

    monkeypatch.setattr(whoosh_access, "posting_blocks", slow_blocks)
    with searchkit.Searcher(bundled_index) as searcher:
        complete = searcher.search("the", limit=50, syntax=syntax)
        assert not complete.timed_out and len(complete.hits) > 20
        partial = searcher.search("the", limit=50, time_limit=0.1, syntax=syntax)
    assert partial.timed_out
    assert 0 < len(partial.hits) < len(complete.hits)


def test_cli_time_limit_and_undecodable_query(bundled_index: Path) -> None:
    from click.testing import CliRunner

    from searchkit.cli import main

    runner = CliRunner()
    ok = runner.invoke(main, ["search", "Chechnya", "--index", str(bundled_index), "--time-limit", "5"])
    assert ok.exit_code == 0 and "Chechnya" in ok.output
    bad = runner.invoke(main, ["search", "chechnya\udcff", "--index", str(bundled_index)])
    assert bad.exit_code == 1 and "not valid text" in bad.output and "Traceback" not in bad.output
