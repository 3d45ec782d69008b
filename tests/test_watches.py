"""Saved searches (``watch``) through the library, the CLI and HTTP, and kwic's
filters counted against a plain scan of only the articles that pass them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.cli import main
from searchkit.concordance import kwic
from searchkit.errors import QueryError, WatchError, WatchNotFoundError
from searchkit.index.layout import WATCHES_FILE
from searchkit.cli import WATCH_LIMIT
from searchkit.watches import DEFAULT_LIMIT, add_watch, list_watches, pending, remove_watch, run_watches

from conftest import write

RULING = "Court Ruling\n\nThe court ruling on the harbour case came on Monday, and the court ruling stands.\n"
WEATHER = "Weather\n\nRain all week in the town; the market opened late.\n"
APPEAL = "Appeal Lodged\n\nA second court ruling followed the appeal on Friday.\n"


@pytest.fixture
def small(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    write(corpus, "ruling.txt", RULING)
    write(corpus, "weather.txt", WEATHER)
    index = tmp_path / "index"
    searchkit.build_index(corpus, index)
    return corpus, index


def cli(*args: str) -> object:
    return CliRunner().invoke(main, list(args))


def test_add_list_remove(small: tuple[Path, Path]) -> None:
    _, index = small
    assert WATCH_LIMIT == DEFAULT_LIMIT  # the CLI's default is the library's
    watch = add_watch(index, "court ruling", "court ruling", since="2001", where=["kind=body"], sort="-date")
    assert watch.name == "court ruling" and watch.last_run is None and watch.seen == 0
    assert dict(watch.options) == {"limit": 100, "syntax": False, "where": ["kind=body"], "since": "2001",
                                   "until": None, "sort": "-date"}
    add_watch(index, "rain", "rain")
    assert [w.name for w in list_watches(index)] == ["court ruling", "rain"]
    assert remove_watch(index, "rain").name == "rain"
    assert [w.name for w in list_watches(index)] == ["court ruling"]
    with pytest.raises(WatchNotFoundError, match="no saved search named 'rain'"):
        remove_watch(index, "rain")


@pytest.mark.parametrize("name", ["", "   ", "tab\there", "x" * 101])
def test_bad_names_are_refused(small: tuple[Path, Path], name: str) -> None:
    with pytest.raises(WatchError):
        add_watch(small[1], name, "court")


def test_taken_names_bad_options_and_foreign_folders(small: tuple[Path, Path], tmp_path: Path) -> None:
    _, index = small
    add_watch(index, "court", "court")
    with pytest.raises(WatchError, match="exists already"):
        add_watch(index, "court", "ruling")
    with pytest.raises(QueryError, match="not a date"):
        add_watch(index, "dated", "court", since="20xx")
    with pytest.raises(WatchError, match="needs a query or a filter"):
        add_watch(index, "empty", "  ")
    with pytest.raises(searchkit.SearchkitError):
        list_watches(tmp_path / "nowhere")
    assert [w.name for w in list_watches(index)] == ["court"]  # nothing half-saved


def test_run_reports_all_then_only_new(small: tuple[Path, Path]) -> None:
    corpus, index = small
    add_watch(index, "court ruling", "court ruling")
    (first,) = run_watches(index)
    assert first.first and first.total == len(first.hits) == 1 and first.hits[0].source == "ruling.txt"
    (again,) = run_watches(index, "court ruling")
    assert not again.first and again.hits == () and again.total == 1
    write(corpus, "appeal.txt", APPEAL)
    report = searchkit.build_index(corpus, index)
    assert report.added == ("appeal.txt",) and report.watches == (("court ruling", 1),)
    assert pending(index) == (("court ruling", 1),)  # the report did not mark them seen
    (new,) = run_watches(index)
    assert [hit.source for hit in new.hits] == ["appeal.txt"] and new.total == 2
    assert pending(index) == () and list_watches(index)[0].seen == 2


def test_report_only_when_something_was_added_or_changed(small: tuple[Path, Path]) -> None:
    corpus, index = small
    add_watch(index, "court", "court")
    assert searchkit.build_index(corpus, index).watches == ()  # nothing changed: the watches are not run
    (corpus / "weather.txt").unlink()
    assert searchkit.build_index(corpus, index).watches == ()  # a removal brings no new hit
    write(corpus, "ruling.txt", RULING + "\nThe court ruling was read out again.\n")
    report = searchkit.build_index(corpus, index)
    assert report.updated == ("ruling.txt",) and report.watches == (("court", 1),)


def test_watches_survive_an_update_and_a_rebuild(small: tuple[Path, Path]) -> None:
    corpus, index = small
    add_watch(index, "court", "court")
    run_watches(index)
    before = (index / WATCHES_FILE).read_text(encoding="utf-8")
    write(corpus, "weather.txt", WEATHER + "\nSun on Sunday.\n")
    searchkit.build_index(corpus, index)
    assert (index / WATCHES_FILE).read_text(encoding="utf-8") == before
    report = searchkit.build_index(corpus, index, rebuild=True)
    assert (index / WATCHES_FILE).read_text(encoding="utf-8") == before
    assert report.watches == ()  # same passages, same ids: nothing new after a rebuild
    (again,) = run_watches(index)
    assert again.hits == () and again.total == 1


def test_cli_add_list_run_remove(small: tuple[Path, Path]) -> None:
    corpus, index = small
    ix = ["--index", str(index)]
    result = cli("watch", "add", "court ruling", "court ruling", "--since", "2001", "--limit", "5", *ix)
    assert result.exit_code == 0 and "saved 'court ruling'" in result.output
    assert cli("watch", "add", "rain", "rain", *ix).exit_code == 0
    listed = cli("watch", "list", *ix)
    assert listed.exit_code == 0
    assert "court ruling: 'court ruling' --since 2001 --limit 5" in listed.output and "last run never" in listed.output
    # --since 2001 leaves out undated articles: only "rain" has a hit.
    run = cli("watch", "run", "--format", "jsonl", *ix)
    rows = [json.loads(line) for line in run.output.splitlines()]
    assert run.exit_code == 0 and [(r["watch"], r["source"]) for r in rows] == [("rain", "weather.txt")]
    assert cli("watch", "run", "--format", "jsonl", *ix).output == ""
    text = cli("watch", "run", "rain", *ix)
    assert text.exit_code == 0 and text.output.splitlines()[0] == "== rain: 0 new of 1 hit"
    as_json = json.loads(cli("watch", "list", "--format", "json", *ix).output)
    assert [(w["name"], w["seen"]) for w in as_json] == [("court ruling", 0), ("rain", 1)]
    assert cli("watch", "remove", "rain", *ix).output == "removed 'rain'\n"


def test_cli_index_report_names_the_watches_with_new_hits(small: tuple[Path, Path]) -> None:
    corpus, index = small
    args = ["--corpus", str(corpus), "--index", str(index)]
    cli("watch", "add", "court ruling", "court ruling", "--index", str(index))
    cli("watch", "run", "--index", str(index))
    write(corpus, "appeal.txt", APPEAL)
    result = cli("index", *args)
    assert result.exit_code == 0
    assert "saved searches with new hits: court ruling: 1 new" in result.output
    assert "saved searches" not in cli("index", *args).output
    write(corpus, "more.txt", "More\n\nThird court ruling today.\n")
    as_json = json.loads(cli("index", "--format", "json", *args).output)
    assert as_json["watches"] == [{"name": "court ruling", "new": 2}]


@pytest.mark.parametrize("command", [["run", "nope"], ["remove", "nope"]])
def test_cli_unknown_name_is_one_line_exit_1(small: tuple[Path, Path], command: list[str]) -> None:
    result = cli("watch", *command, "--index", str(small[1]))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"searchkit: error: no saved search named 'nope' in {small[1]} (saved: none yet); see searchkit watch list"
    ]


def test_cli_bad_name_and_taken_name(small: tuple[Path, Path]) -> None:
    ix = ["--index", str(small[1])]
    assert cli("watch", "add", "court", "court", *ix).exit_code == 0
    taken = cli("watch", "add", "court", "ruling", *ix)
    assert taken.exit_code == 1 and "exists already" in taken.stderr and "Traceback" not in taken.output
    blank = cli("watch", "add", " ", "court", *ix)
    assert blank.exit_code == 1 and len(blank.stderr.strip().splitlines()) == 1


def test_damaged_watches_file_is_one_error_and_a_warning_when_indexing(small: tuple[Path, Path]) -> None:
    corpus, index = small
    (index / WATCHES_FILE).write_text("{not json", encoding="utf-8")
    result = cli("watch", "list", "--index", str(index))
    assert result.exit_code == 1 and "cannot be read" in result.stderr
    write(corpus, "appeal.txt", APPEAL)
    report = searchkit.build_index(corpus, index)  # the index is built all the same
    assert report.added == ("appeal.txt",) and [w.path for w in report.warnings] == ["watches.json"]


def test_http_lists_watches_read_only(small: tuple[Path, Path]) -> None:
    pytest.importorskip("starlette")
    jsonschema = pytest.importorskip("jsonschema")
    from searchkit.server import create_app, openapi
    from serving import get, get_json, live_server

    _, index = small
    add_watch(index, "court ruling", "court ruling", where=["kind=body"])
    run_watches(index)
    with live_server(create_app(index)) as url:
        status, data = get_json(url + "/watches")
        assert get(url + "/watches", method="POST")[0] == 405
    assert status == 200
    (watch,) = data["watches"]
    assert watch["name"] == "court ruling" and watch["seen"] == 1 and watch["last_run"]
    assert watch["options"]["where"] == ["kind=body"]
    spec = openapi()
    schema = {"$ref": "#/components/schemas/Watch", "components": spec["components"]}
    jsonschema.Draft202012Validator(schema).validate(watch)


# --- kwic with search's filters -------------------------------------------------------

WIRE = [
    {"id": "r1", "title": "One", "publisher": "Reuters", "date": "2016-05-01",
     "text": "Ministers condemned the raid. The council condemns it too."},
    {"id": "r2", "title": "Two", "publisher": "Reuters", "date": "2018-03-02",
     "text": "Leaders condemn violence; condemnation was swift."},
    {"id": "a1", "title": "Three", "publisher": "AP", "date": "2018-07-09",
     "text": "The mayor condemned the attack and condemned the delay."},
    {"id": "a2", "title": "Four", "publisher": "AP",
     "text": "An undated note that condemns nothing in particular."},
]


@pytest.fixture
def wire(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    write(corpus, "wire.jsonl", "".join(json.dumps(r) + "\n" for r in WIRE))
    write(corpus, "local.txt", "Local\n\nThe town condemned the plan.\n")
    index = tmp_path / "index"
    searchkit.build_index(corpus, index)
    return index


def scan(keep: object) -> int:
    """The independent count: a regular expression over the texts of only the records that pass ``keep``."""
    return sum(len(re.findall(r"\bcondemn\w*", r["text"], re.IGNORECASE)) for r in WIRE if keep(r))  # type: ignore[operator]


@pytest.mark.parametrize("filters, keep", [
    ({"where": ["publisher=Reuters"]}, lambda r: r["publisher"] == "Reuters"),
    ({"where": ["publisher=AP"]}, lambda r: r["publisher"] == "AP"),
    ({"since": "2018"}, lambda r: r.get("date", "") >= "2018"),
    ({"until": "2017-12"}, lambda r: "date" in r and r["date"] < "2018"),
    ({"where": ["publisher=AP"], "since": "2018-01-01", "until": "2018-12-31"},
     lambda r: r["publisher"] == "AP" and r.get("date", "").startswith("2018")),
    ({"where": ["source=wire.jsonl"]}, lambda r: True),
])
def test_kwic_filters_count_as_a_scan_of_what_passes(wire: Path, filters: dict, keep: object) -> None:
    found = kwic("condemn", index=wire, **filters)
    assert found.total == scan(keep) > 0
    assert kwic("condemn", index=wire).total == scan(lambda r: True) + 1  # local.txt too
    args = [f"--{k}={v}" for k, values in filters.items() for v in (values if isinstance(values, list) else [values])]
    result = cli("kwic", "condemn", "--index", str(wire), "--format", "jsonl", *args)
    assert result.exit_code == 0 and len(result.output.splitlines()) == found.total


def test_kwic_bad_filter_is_a_query_error(wire: Path) -> None:
    with pytest.raises(QueryError):
        kwic("condemn", index=wire, since="soon")
    result = cli("kwic", "condemn", "--index", str(wire), "--where", "publisher")
    assert result.exit_code == 1 and "FIELD=VALUE" in result.stderr


def test_http_kwic_takes_the_filters(wire: Path) -> None:
    pytest.importorskip("starlette")
    import urllib.parse

    from searchkit.server import create_app
    from serving import get_json, live_server

    with live_server(create_app(wire)) as url:
        status, data = get_json(url + "/kwic?" + urllib.parse.urlencode(
            [("term", "condemn"), ("where", "publisher=Reuters"), ("since", "2018")]))
        bad = get_json(url + "/kwic?term=condemn&since=soon")[0]
    assert status == 200 and data["total"] == scan(lambda r: r["publisher"] == "Reuters" and r["date"] >= "2018") == 2
    assert bad == 400
