"""Issue 17: the HTML extractor's name and version are recorded in the index's
settings record. Under another recorded extractor, ``searchkit check`` says so in one
line and ``searchkit index`` re-reads the HTML files, and only them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

import searchkit
from searchkit.check import check_index
from searchkit.cli import main
from searchkit.ingest.html import extractor

HTML = ("<html><head><title>Bridge closes</title></head><body><article><h1>Bridge closes</h1>"
        "<p>The Harbour Road bridge will close to all traffic for six weeks while crews replace its joints.</p>"
        "<p>Drivers will be sent along Mill Street, adding about ten minutes to a trip downtown.</p>"
        "</article></body></html>")


def _corpus(tmp_path: Path) -> tuple[Path, Path]:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "bridge.html").write_text(HTML, encoding="utf-8")
    (corpus / "notes.txt").write_text("Market day\n\nThe market moves to Saturday mornings next month.\n", encoding="utf-8")
    searchkit.build_index(corpus, index)
    return corpus, index


def _fake_recorded(index: Path, value: str | None) -> None:
    file = index / "searchkit.json"
    data = json.loads(file.read_text(encoding="utf-8"))
    if value is None:
        del data["html_extractor"]
    else:
        data["html_extractor"] = value
    file.write_text(json.dumps(data), encoding="utf-8")


def test_extractor_is_recorded(tmp_path: Path) -> None:
    _, index = _corpus(tmp_path)
    data = json.loads((index / "searchkit.json").read_text(encoding="utf-8"))
    assert data["html_extractor"] == extractor() == "trafilatura 2.3.1"


def test_check_names_both_versions_in_one_line(tmp_path: Path) -> None:
    corpus, index = _corpus(tmp_path)
    assert check_index(corpus, index).ok
    _fake_recorded(index, "trafilatura 2.2.0")
    report = check_index(corpus, index)
    assert not report.ok
    (line,) = report.extractor
    assert "trafilatura 2.2.0" in line and "trafilatura 2.3.1" in line and "`searchkit index` will re-read" in line
    assert report.mismatched == () and report.changed == ()
    result = CliRunner().invoke(main, ["check", "--corpus", str(corpus), "--index", str(index)])
    assert result.exit_code == 4
    assert [x for x in result.output.splitlines() if "extractor" in x] == [f"HTML extractor: {line}"]


def test_index_rereads_only_the_html_files_then_records_the_extractor(tmp_path: Path) -> None:
    corpus, index = _corpus(tmp_path)
    _fake_recorded(index, "trafilatura 2.2.0")
    report = searchkit.build_index(corpus, index)
    assert report.updated == ("bridge.html",)
    assert report.unchanged == ("notes.txt",)
    assert json.loads((index / "searchkit.json").read_text(encoding="utf-8"))["html_extractor"] == extractor()
    assert check_index(corpus, index).ok
    again = searchkit.build_index(corpus, index)
    assert again.updated == () and set(again.unchanged) == {"bridge.html", "notes.txt"}


def test_index_from_before_the_record_rereads_html(tmp_path: Path) -> None:
    corpus, index = _corpus(tmp_path)
    _fake_recorded(index, None)
    (line,) = check_index(corpus, index).extractor
    assert "searchkit's own HTML reader" in line
    assert searchkit.build_index(corpus, index).updated == ("bridge.html",)
    assert check_index(corpus, index).ok


def test_check_repair_rereads_html(tmp_path: Path) -> None:
    corpus, index = _corpus(tmp_path)
    _fake_recorded(index, "trafilatura 2.2.0")
    result = CliRunner().invoke(main, ["check", "--repair", "--corpus", str(corpus), "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert "was: HTML extractor:" in result.output


def test_no_html_files_no_line(tmp_path: Path) -> None:
    corpus, index = _corpus(tmp_path)
    (corpus / "bridge.html").unlink()
    searchkit.build_index(corpus, index)
    _fake_recorded(index, "trafilatura 2.2.0")
    assert check_index(corpus, index).extractor == ()
