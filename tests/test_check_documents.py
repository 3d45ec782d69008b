"""Issue 17: ``searchkit check`` gives the reason a PDF cannot be read, a damaged file
or an extra not installed, where it said only "added since the last build"."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchkit.check import check_index
from test_documents import PAGES, index_of, make_pdf, without_module

TEXT = "Harbour news.\n\nThe tide was high today."


def test_damaged_pdf_is_unreadable_with_its_reason(tmp_path: Path) -> None:
    corpus, _ = index_of(tmp_path, {"broken.pdf": b"%PDF-1.4\nnot really a pdf\n", "b.txt": TEXT})
    report = check_index(corpus, tmp_path / "index")
    assert report.added == ()
    (problem,) = report.unreadable
    assert problem.path == "broken.pdf" and "not a readable PDF" in problem.reason


def test_pdf_needing_a_missing_extra_names_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    without_module(monkeypatch, "pypdf")
    corpus, _ = index_of(tmp_path, {"a.pdf": make_pdf(PAGES), "b.txt": TEXT})
    report = check_index(corpus, tmp_path / "index")
    assert report.added == () and not report.ok
    (problem,) = report.unreadable
    assert problem.path == "a.pdf" and "pip install 'searchkit-passages[pdf]'" in problem.reason


def test_readable_new_pdf_is_added(tmp_path: Path) -> None:
    corpus, _ = index_of(tmp_path, {"b.txt": TEXT})
    (corpus / "a.pdf").write_bytes(make_pdf(PAGES))
    report = check_index(corpus, tmp_path / "index")
    assert report.added == ("a.pdf",) and report.unreadable == ()
