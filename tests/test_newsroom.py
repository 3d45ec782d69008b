"""Filters, date ranges, facets, grouping by article, date order and paging (issue 18),
through the library, the CLI and HTTP; every count is checked against one the test
computes itself from the articles it wrote."""

from __future__ import annotations

import fnmatch
import json
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.cli import main
from searchkit.errors import QueryError
from searchkit.search import Searcher

from conftest import write

#: (path, publisher, author(s), date or None, section, paragraphs)
ARTICLES = [
    ("wire/r01.txt", "Reuters", "Ann Lee", "2017-06-03", "world", 3),
    ("wire/r02.txt", "Reuters", "Ann Lee; Bo Chen", "2017-09-14", "world", 2),
    ("wire/r03.txt", "Reuters", "Bo Chen", "2018-01-20", "politics", 2),
    ("wire/a01.txt", "AP", "Cy Diaz", "2017-06-30", "world", 1),
    ("web/g01.txt", "The Guardian", "Di Evans", "2017-12-31", "opinion", 3),
    ("web/g02.txt", "The Guardian", "Ann Lee", "2019-03-01", "world", 2),
    ("web/n01.txt", "NBC Out", "Ed Fox", None, "world", 2),
    ("web/n02.txt", "NBC Out", "Ed Fox", "2016-11-05", "politics", 1),
]


def _article(n: int, paragraphs: int) -> str:
    # Each paragraph different (copies of one text would collapse into one hit), long
    # enough to be a passage of its own, and each mentions the purge, with a word
    # count that varies its score.
    return "\n\n".join(
        f"Paragraph {p} of story {n} reports on the purge " + "and the inquiry " * (1 + (n * 3 + p) % 5)
        + f"that continued in district {n * 10 + p}. "
        + f"Officials in district {n * 10 + p} declined to comment on the details of the case, citing the review. " * 3
        for p in range(paragraphs)
    )


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("newsroom")
    corpus = root / "corpus"
    lines = []
    for n, (path, publisher, author, date, section, paragraphs) in enumerate(ARTICLES):
        write(corpus, path, f"Story {n} about the purge\n\n{_article(n, paragraphs)}\n")
        meta: dict[str, Any] = {"path": path, "publisher": publisher, "author": author, "section": section}
        if date:
            meta["date"] = date
        lines.append(json.dumps(meta))
    write(corpus, "metadata.jsonl", "\n".join(lines) + "\n")
    searchkit.build_index(corpus, root / "index")
    return corpus, root / "index"


def passages_of(path: str) -> int:
    return next(a[5] for a in ARTICLES if a[0] == path)


def expected(where: dict[str, list[str]] | None = None, since: str | None = None, until: str | None = None) -> list[str]:
    """The articles that pass, computed from ARTICLES (not from the index)."""
    out = []
    for path, publisher, author, date, section, _ in ARTICLES:
        fields = {"publisher": [publisher], "author": author.split("; "), "section": [section], "source": [path]}
        ok = all(
            any(fnmatch.fnmatchcase(v, want) if name == "source" else v.casefold() == want.casefold()
                for v in fields[name] for want in wants)
            for name, wants in (where or {}).items()
        )
        if since or until:
            ok = ok and date is not None and (since is None or date >= since) and (until is None or date <= until)
        if ok:
            out.append(path)
    return out


@pytest.fixture(scope="module")
def searcher(newsroom: tuple[Path, Path]):
    with Searcher(newsroom[1]) as s:
        yield s


@pytest.mark.parametrize("where", [
    {"publisher": ["Reuters"]},
    {"publisher": ["reuters", "ap"]},  # one field twice: OR; names without case
    {"publisher": ["Reuters"], "author": ["Bo Chen"]},  # two fields: AND
    {"author": ["ann lee"]},  # one of several authors
    {"section": ["politics"]},  # any metadata key
    {"source": ["web/*"]},  # a glob
])
def test_where_keeps_exactly_the_passages_that_pass(searcher: Searcher, where: dict[str, list[str]]) -> None:
    results = searcher.search("purge", where=where, limit=100)
    paths = expected(where)
    assert results.total == sum(passages_of(p) for p in paths)
    assert sorted({h.source for h in results}) == sorted(paths)


def test_where_takes_field_equals_value_strings_as_the_cli_does(searcher: Searcher) -> None:
    by_strings = searcher.search("purge", where=["publisher=Reuters", "publisher=AP"], limit=100)
    by_mapping = searcher.search("purge", where={"publisher": ["Reuters", "AP"]}, limit=100)
    assert [h.passage_id for h in by_strings] == [h.passage_id for h in by_mapping]


@pytest.mark.parametrize("since, until", [("2017", "2017"), ("2017-06", "2017-09"), ("2017-06-30", None), (None, "2017-06-03")])
def test_date_bounds_are_inclusive_and_count_what_has_no_date(searcher: Searcher, since: str | None, until: str | None) -> None:
    results = searcher.search("purge", since=since, until=until, limit=100)
    lower = None if since is None else (since + "-01-01")[:10] if len(since) == 4 else (since + "-01")[:10]
    upper = None if until is None else {4: until + "-12-31", 7: until + "-31"}.get(len(until), until)
    paths = expected(since=lower, until=upper)
    assert sorted({h.source for h in results}) == sorted(paths)
    assert results.total == sum(passages_of(p) for p in paths)
    assert results.undated == passages_of("web/n01.txt")  # the one undated article


def test_facets_count_every_match_not_only_the_page(searcher: Searcher) -> None:
    results = searcher.search("purge", facets="publisher,author,year,section", limit=1)
    assert len(results.hits) == 1
    publishers: Counter[str] = Counter()
    authors: Counter[str] = Counter()
    years: Counter[str] = Counter()
    for path, publisher, author, date, _, paragraphs in ARTICLES:
        publishers[publisher] += paragraphs
        for name in author.split("; "):
            authors[name] += paragraphs
        if date:
            years[date[:4]] += paragraphs
    assert dict(results.facets["publisher"]) == dict(publishers)
    assert dict(results.facets["author"]) == dict(authors)
    assert dict(results.facets["year"]) == dict(years)
    counts = [count for _, count in results.facets["publisher"]]
    assert counts == sorted(counts, reverse=True)  # most frequent first


def test_group_by_article_gives_one_hit_per_article_with_its_other_passages(searcher: Searcher) -> None:
    results = searcher.search("purge", group_by="article", facets="publisher", limit=100)
    assert results.total == len(ARTICLES)
    assert len({h.source for h in results}) == len(results.hits) == len(ARTICLES)
    for hit in results:
        assert hit.group_count == passages_of(hit.source)
        assert len(hit.also) == hit.group_count - 1 and hit.passage_id not in hit.also
    # Facets count articles when grouping.
    assert dict(results.facets["publisher"]) == dict(Counter(a[1] for a in ARTICLES))
    # Its best passage: the first of the article's passages in the ungrouped list.
    ungrouped = searcher.search("purge", limit=100)
    first = {}
    for hit in ungrouped:
        first.setdefault(hit.source, hit.passage_id)
    assert {h.source: h.passage_id for h in results} == first


@pytest.mark.parametrize("sort", ["date", "-date"])
def test_sort_by_date_puts_undated_last(searcher: Searcher, sort: str) -> None:
    results = searcher.search("purge", sort=sort, limit=100)
    dates = [h.date for h in results]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=sort == "-date")
    assert dates[len(dated):] == [None] * (len(dates) - len(dated))
    assert len(dated) < len(dates)


def test_pages_never_repeat_or_skip_a_hit(searcher: Searcher) -> None:
    whole = [h.passage_id for h in searcher.search("purge inquiry", limit=100)]
    paged = []
    for offset in range(0, len(whole), 3):
        page = searcher.search("purge inquiry", limit=3, offset=offset)
        assert [h.rank for h in page] == list(range(offset + 1, offset + 1 + len(page.hits)))
        paged += [h.passage_id for h in page]
    assert paged == whole


def test_the_first_page_is_the_plain_search(searcher: Searcher) -> None:
    plain = searcher.search("purge inquiry", limit=5)
    counted = searcher.search("purge inquiry", limit=5, total=True)
    assert [(h.passage_id, h.score) for h in plain] == [(h.passage_id, h.score) for h in counted]
    assert plain.total is None and counted.total == sum(a[5] for a in ARTICLES)


def test_an_empty_query_with_a_filter_lists_newest_first(searcher: Searcher) -> None:
    results = searcher.search("", where={"publisher": "Reuters"}, limit=100)
    assert results.total == sum(passages_of(p) for p in expected({"publisher": ["Reuters"]}))
    dates = [h.date for h in results]
    assert dates == sorted(dates, reverse=True)
    with pytest.raises(QueryError, match="empty"):
        searcher.search("", limit=5)


@pytest.mark.parametrize("kwargs, message", [
    ({"since": "2017-13"}, "no month 13"),
    ({"since": "June 2017"}, "not a date"),
    ({"since": "2018", "until": "2017"}, "swap"),
    ({"sort": "newest"}, "sort"),
    ({"group_by": "publisher"}, "group_by"),
    ({"where": ["publisher"]}, "FIELD=VALUE"),
    ({"offset": -1}, "offset"),
])
def test_bad_options_are_named(searcher: Searcher, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        searcher.search("purge", **kwargs)


def test_the_cli_takes_the_same_options(newsroom: tuple[Path, Path], searcher: Searcher) -> None:
    _, index = newsroom
    args = ["search", "purge", "--index", str(index), "--where", "publisher=Reuters", "--where", "publisher=AP",
            "--since", "2017-06", "--facets", "author,year", "--group-by", "article", "--sort", "-date", "--format", "json"]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    library = searcher.search("purge", where=["publisher=Reuters", "publisher=AP"], since="2017-06", facets="author,year",
                              group_by="article", sort="-date", total=True)
    assert data == library.to_dict()
    assert data["total"] == len(expected({"publisher": ["Reuters", "AP"]}, since="2017-06-01"))
    assert all(hit["date"] and hit["kind"] == "body" for hit in data["hits"])

    text = CliRunner().invoke(main, ["search", "--index", str(index), "--where", "section=politics", "--facets", "publisher"])
    assert text.exit_code == 0, text.output
    assert "3 passages match" in text.output and "publisher: Reuters (2), NBC Out (1)" in text.output

    paged = CliRunner().invoke(main, ["search", "purge", "--index", str(index), "--until", "2017-12", "--offset", "2",
                                      "--limit", "2", "--format", "jsonl"])
    assert paged.exit_code == 0, paged.output
    library_page = searcher.search("purge", until="2017-12", offset=2, limit=2)
    assert [json.loads(line)["passage_id"] for line in paged.stdout.splitlines()] == [h.passage_id for h in library_page]
    assert [json.loads(line)["rank"] for line in paged.stdout.splitlines()] == [3, 4]

    bad = CliRunner().invoke(main, ["search", "purge", "--index", str(index), "--since", "2017-13"])
    assert bad.exit_code == 1 and bad.output.strip() == "searchkit: error: since '2017-13' has no month 13; write YYYY-MM-DD"


def test_http_takes_the_same_options(newsroom: tuple[Path, Path], searcher: Searcher) -> None:
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    from searchkit.server import create_app
    from serving import get_json, live_server

    _, index = newsroom
    params = [("q", "purge"), ("where", "publisher=Reuters"), ("where", "author=Ann Lee"), ("until", "2017"),
              ("facets", "year"), ("sort", "date"), ("offset", "1"), ("limit", "2")]
    with live_server(create_app(index)) as base:
        status, data = get_json(base + "/search?" + urllib.parse.urlencode(params))
        assert status == 200
        library = searcher.search("purge", where=["publisher=Reuters", "author=Ann Lee"], until="2017", facets="year",
                                  sort="date", offset=1, limit=2, total=True)
        assert data == library.to_dict()
        assert data["total"] == sum(passages_of(p) for p in expected({"publisher": ["Reuters"], "author": ["Ann Lee"]}, until="2017-12-31"))
        status, listing = get_json(base + "/search?" + urllib.parse.urlencode({"where": "kind=body", "limit": 3}))
        assert status == 200 and listing["total"] == sum(a[5] for a in ARTICLES)
        status, error = get_json(base + "/search?" + urllib.parse.urlencode({"q": "purge", "sort": "newest"}))
        assert status == 400 and "sort" in error["error"]


def test_a_title_only_match_never_outranks_a_passage_that_holds_the_word(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    filler = "The council met on Tuesday to discuss the harbour budget and the new ferry timetable. " * 4
    # Kadyrov only in the headline: every passage of this article matches through it.
    write(corpus, "a.txt", f"Kadyrov denies the reports\n\nContact us and advertise with us. {filler}\n\n{filler} Again.\n")
    # Kadyrov once, deep in a long passage of an article about something else.
    write(corpus, "b.txt", "Harbour news\n\n" + filler * 3 + "A spokesman for Ramzan Kadyrov declined to comment.\n")
    index = tmp_path / "index"
    searchkit.build_index(corpus, index)
    with Searcher(index) as s:
        for results in (s.search("kadyrov", limit=3), s.search("kadyrov", limit=3, total=True),
                        s.search("kadyrov", limit=3, facets="kind")):
            assert results[0].source == "b.txt", [(h.source, h.score) for h in results]
            assert "Kadyrov" in results[0].text
            assert [h.source for h in results][1:] == ["a.txt", "a.txt"]  # still found, below
        # Grouped, by both ways of ranking: the article with the word first.
        for grouped in (s.search("kadyrov", group_by="article"), s.search("kadyrov", group_by="article", facets="kind")):
            assert [(h.source, h.group_count) for h in grouped] == [("b.txt", 1), ("a.txt", 2)]
        # Query syntax asks for fields itself: title:kadyrov is taken as written.
        assert s.search("title:kadyrov", syntax=True)[0].source == "a.txt"


@pytest.mark.parametrize("kwargs", [
    {"where": {"publisher": "Reuters"}},
    {"where": ["section=world", "author=Ann Lee"]},
    {"since": "2017-06", "until": "2018"},
    {"where": {"source": "web/*"}, "since": "2016"},
    {"offset": 2},
])
def test_filtered_pages_are_the_same_by_both_ways_of_ranking(searcher: Searcher, kwargs: dict[str, Any]) -> None:
    # Filters alone rank with searchkit's pruned top-k; with facets, every match is
    # scored and sorted. Both must give the same page, total and undated count.
    pruned = searcher.search("purge inquiry", limit=4, **kwargs)
    full = searcher.search("purge inquiry", limit=4, facets="kind", **kwargs)
    assert [(h.passage_id, h.score, h.rank) for h in pruned] == [(h.passage_id, h.score, h.rank) for h in full]
    assert (pruned.total, pruned.undated) == (full.total, full.undated)


@pytest.fixture(scope="module")
def wire(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wire story, an exact copy, an edited copy, and unrelated articles."""
    root = tmp_path_factory.mktemp("wire")
    corpus = root / "corpus"
    story = ("Flooding closed the Danube bridge at Vukovar on Monday after the river rose three metres, "
             "and ferry crossings to Backa Palanka were suspended while engineers inspected the pylons.")
    write(corpus, "a/original.txt", f"Danube floods\n\n{story}\n")
    write(corpus, "b/copy.txt", f"River closes bridge\n\n{story}\n")
    write(corpus, "c/edited.txt", "Floods on the Danube\n\n" + story.replace("three metres", "nearly three metres").replace("Monday", "Monday morning") + "\n")
    write(corpus, "d/other.txt", "Harvest\n\nFarmers near Osijek brought in the maize harvest early this year, citing dry weather and prices.\n")
    write(corpus, "e/bridge.txt", "Bridges\n\nEngineers inspected several pylons of a rail bridge in the north after a lorry struck one of them.\n")
    write(corpus, "metadata.jsonl", json.dumps({"path": "c/edited.txt", "publisher": "Local Paper"}) + "\n")
    searchkit.build_index(corpus, root / "index")
    return root / "index"


def _story_id(index: Path) -> str:
    with Searcher(index) as s:
        return next(h.passage_id for h in s.search("Vukovar", limit=5) if h.source == "a/original.txt")


def test_similar_finds_the_edited_copy_first_and_leaves_out_the_passage_and_its_exact_copies(wire: Path) -> None:
    passage_id = _story_id(wire)
    with Searcher(wire) as s:
        results = s.similar(passage_id, limit=5, total=True)
        story = s.show(passage_id).passage.text
        assert results[0].source == "c/edited.txt"
        assert all(h.text != story and h.passage_id != passage_id for h in results)
        assert [h.rank for h in results] == list(range(1, len(results.hits) + 1))
        assert "b/copy.txt" not in {h.source for h in results}
        # The total leaves out the passage and its copy too: every other passage that shares a word.
        every = s.similar(passage_id, limit=100)
        assert results.total == len(every.hits)
        # Filters apply as in search; pages follow on.
        assert [h.source for h in s.similar(passage_id, where={"publisher": "Local Paper"})] == ["c/edited.txt"]
        assert [h.passage_id for h in s.similar(passage_id, limit=2, offset=1)] == [h.passage_id for h in every][1:3]
        with pytest.raises(searchkit.PassageNotFoundError):
            s.similar("0000000000000000")


def test_similar_on_the_command_line_and_over_http(wire: Path) -> None:
    passage_id = _story_id(wire)
    with Searcher(wire) as s:
        expected = s.similar(passage_id, limit=3, total=True).to_dict()
    out = CliRunner().invoke(main, ["similar", passage_id, "--index", str(wire), "--limit", "3", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout) == expected
    missing = CliRunner().invoke(main, ["similar", "0000000000000000", "--index", str(wire)])
    assert missing.exit_code == 1 and "no passage with id '0000000000000000'" in missing.output

    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    from searchkit.server import create_app
    from serving import get_json, live_server

    with live_server(create_app(wire)) as base:
        status, data = get_json(f"{base}/passages/{passage_id}/similar?limit=3")
        assert status == 200 and data == expected
        status, _ = get_json(f"{base}/passages/0000000000000000/similar")
        assert status == 404


@pytest.fixture(scope="module")
def spellings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One name in three spellings, as wires write it, among ordinary articles."""
    root = tmp_path_factory.mktemp("spellings")
    corpus = root / "corpus"
    write(corpus, "a.txt", "Grozny\n\nRamzan Kadyrov denied the reports on Monday in Grozny, his office said.\n")
    write(corpus, "b.txt", "Chechnya\n\nA spokesman for Ramzan Kadirov said the claims were false and would be answered.\n")
    write(corpus, "c.txt", "Moscow\n\nThe Kremlin declined to comment on Kadyrow or on the reports from the region.\n")
    for n in range(6):
        write(corpus, f"o{n}.txt", f"Harbour {n}\n\nThe council met on Tuesday to discuss the harbour budget, item {n}.\n")
    searchkit.build_index(corpus, root / "index")
    return root / "index"


def test_a_rare_name_also_matches_its_close_spellings_and_says_which(spellings: Path) -> None:
    with Searcher(spellings) as s:
        results = s.search("Kadyrov", limit=10)
        by_source = {h.source: h for h in results}
        assert set(by_source) == {"a.txt", "b.txt", "c.txt"}
        assert results[0].source == "a.txt"  # the exact spelling first: variants weigh less
        assert by_source["a.txt"].matched == {}
        assert by_source["b.txt"].matched == {"kadyrov": "Kadirov"}
        assert by_source["c.txt"].matched == {"kadyrov": "Kadyrow"}
        assert by_source["b.txt"].score < by_source["a.txt"].score
        assert results.suggestion is None  # the word is in the index
        # Common words take no variants; 0 switches them off.
        assert {h.source for h in s.search("harbour", limit=20)} == {f"o{n}.txt" for n in range(6)}
    with Searcher(spellings, settings=searchkit.Settings(variant_weight=0)) as exact:
        assert [h.source for h in exact.search("Kadyrov")] == ["a.txt"]


def test_a_word_the_index_lacks_gets_a_suggestion_on_every_surface(spellings: Path) -> None:
    with Searcher(spellings) as s:
        results = s.search("Kadyrof harbour budget", limit=5)
        assert results.suggestion == "Kadyrov harbour budget"
        assert s.search("harbour budget").suggestion is None
    text = CliRunner().invoke(main, ["search", "Kadyrof", "--index", str(spellings), "--limit", "3"])
    assert text.exit_code == 0, text.output
    assert "did you mean: Kadyrov" in text.output and "also matched: Kadyrov" in text.output
    data = json.loads(CliRunner().invoke(main, ["search", "Kadyrof", "--index", str(spellings), "--format", "json"]).stdout)
    assert data["suggestion"] == "Kadyrov" and data["hits"][0]["matched"] == {"kadyrof": data["hits"][0]["text"][
        data["hits"][0]["highlights"][0][0]:data["hits"][0]["highlights"][0][1]]}


@pytest.mark.parametrize("kwargs", [
    {},
    {"where": {"publisher": ["Reuters", "The Guardian"]}},
    {"since": "2017"},
    {"offset": 2, "limit": 3},
])
def test_grouped_pages_are_the_same_by_both_ways_of_ranking(searcher: Searcher, kwargs: dict[str, Any]) -> None:
    # Grouping alone ranks articles from the pruned top-k; with facets every match is
    # scored and sorted. Both must give the same articles, counts and other passages.
    options = {"limit": 10, **kwargs}
    pruned = searcher.search("purge inquiry", group_by="article", **options)
    full = searcher.search("purge inquiry", group_by="article", facets="kind", **options)
    assert [(h.passage_id, h.score, h.rank, h.group_count, h.also) for h in pruned] == [
        (h.passage_id, h.score, h.rank, h.group_count, h.also) for h in full]
    assert (pruned.total, pruned.undated) == (full.total, full.undated)
    assert pruned.hits


def test_the_title_only_order_is_the_same_without_highlights(tmp_path: Path) -> None:
    # Evaluation asks for no highlights: the postings then decide which passages hold
    # a query word, and the order must be the one the highlights give.
    corpus = tmp_path / "corpus"
    filler = "The council met on Tuesday to discuss the harbour budget and the new ferry timetable. " * 4
    for n in range(4):
        write(corpus, f"t{n}.txt", f"Kadyrov and the harbour {n}\n\n{filler} Item {n}.\n\n{filler} Again {n}.\n")
        write(corpus, f"w{n}.txt", f"News {n}\n\n" + filler * 2 + f"A spokesman for Ramzan Kadyrov declined, {n}.\n")
    index = tmp_path / "index"
    searchkit.build_index(corpus, index)
    with Searcher(index) as s:
        for query in ("kadyrov", "kadyrov harbour", "harbour"):
            shown = s.search(query, limit=12)
            unshown = s.search(query, limit=12, highlight=False)
            assert [(h.passage_id, h.score) for h in shown] == [(h.passage_id, h.score) for h in unshown], query
            assert all(not h.highlights for h in unshown)
        assert [h.source[0] for h in s.search("kadyrov", limit=12, highlight=False)][:4] == ["w"] * 4


def test_the_one_call_functions_take_the_same_options(newsroom: tuple[Path, Path], searcher: Searcher) -> None:
    # README: search(query, where=..., since=..., group_by=...) in the library.
    _, index = newsroom
    options = {"where": {"publisher": "Reuters"}, "since": "2017-06", "group_by": "article", "facets": "year"}
    expected = searcher.search("purge", **options).to_dict()
    assert searchkit.search("purge", index=index, **options).to_dict() == expected
    (batch,) = searchkit.search_batch([("q1", "purge")], index=index, **options)
    assert {**batch.to_dict(), "query_id": None} == expected
