"""``check``: an index compared with its corpus, reported, and repaired on request."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.cli import EXIT_STALE, main
from searchkit.index import SETTINGS_FILE

from conftest import write

TOOMEY = "000_b4a1880a0ab40fd3.txt"


def edit_keeping_size_and_time(path: Path, old: str, new: str) -> None:
    """Change a file so that size and time say nothing changed (only its citations can tell)."""
    assert len(old) == len(new)
    info = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def test_fresh_index_checks_ok(built: Path, corpus: Path) -> None:
    report = searchkit.check_index(corpus, built)
    assert report.ok and report.files == 5 and report.passages == searchkit.open_index(built).passage_count()
    result = CliRunner().invoke(main, ["check", "--corpus", str(corpus), "--index", str(built)])
    assert result.exit_code == 0 and result.output.startswith("ok: checked 5 files")


def test_drift_is_found_and_repaired(built: Path, corpus: Path) -> None:
    write(corpus, "new.txt", "New\n\nA zeppelin landed.\n")
    (corpus / "002_5883718dadfc0e72.txt").write_text("Changed\n\nNow about marmalade.\n", encoding="utf-8")
    (corpus / "004_912fc622c2e6cf7e.txt").unlink()
    edit_keeping_size_and_time(corpus / TOOMEY, "Toomey", "Twomey")
    write(corpus, "binary.txt", b"\x00\x01\x02")
    report = searchkit.check_index(corpus, built)
    assert not report.ok
    assert report.added == ("new.txt",)
    assert report.changed == ("002_5883718dadfc0e72.txt",)
    assert report.deleted == ("004_912fc622c2e6cf7e.txt",)
    assert {m.path for m in report.mismatched} == {TOOMEY}
    assert "no longer matches its source" in report.mismatched[0].reason
    assert [u.path for u in report.unreadable] == ["binary.txt"]

    runner = CliRunner()
    checked = runner.invoke(main, ["check", "--corpus", str(corpus), "--index", str(built), "--format", "json"])
    assert checked.exit_code == EXIT_STALE
    assert json.loads(checked.output)["mismatched"][0]["path"] == TOOMEY

    (corpus / "binary.txt").unlink()
    repaired = runner.invoke(main, ["check", "--repair", "--corpus", str(corpus), "--index", str(built)])
    assert repaired.exit_code == 0, repaired.output
    assert "citation mismatch" in repaired.output and repaired.output.rstrip().splitlines()[-1].startswith("ok:")
    assert searchkit.search("Twomey", index=built)[0].source == TOOMEY
    assert searchkit.check_index(corpus, built).ok


def test_settings_and_schema_mismatch(built: Path, corpus: Path) -> None:
    report = searchkit.check_index(corpus, built, searchkit.Settings(stemmer="snowball"))
    assert not report.ok and "stemmer" in report.settings[0]
    recorded = json.loads((built / SETTINGS_FILE).read_text())
    recorded["schema_version"] = -1
    (built / SETTINGS_FILE).write_text(json.dumps(recorded))
    runner = CliRunner()
    result = runner.invoke(main, ["check", "--corpus", str(corpus), "--index", str(built)])
    assert result.exit_code == EXIT_STALE and "schema version" in result.output
    result = runner.invoke(main, ["check", "--repair", "--corpus", str(corpus), "--index", str(built)])
    assert result.exit_code == 0, result.output
    assert searchkit.check_index(corpus, built).ok


def test_check_of_a_missing_index_is_an_error(tmp_path: Path, corpus: Path) -> None:
    with pytest.raises(searchkit.IndexNotFoundError):
        searchkit.check_index(corpus, tmp_path / "nothing")
    result = CliRunner().invoke(main, ["check", "--corpus", str(corpus), "--index", str(tmp_path / "nothing")])
    assert result.exit_code == 1 and "no searchkit index" in result.output
