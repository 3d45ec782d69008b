"""Issue 17: PDF, DOCX and e-mail files are read (by their bytes, not their name),
cited with exact offsets (and a PDF's page), and nothing is silently ignored."""

from __future__ import annotations

import builtins
import io
import json
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

import searchkit
from searchkit.ingest import list_files, read_file, source_text

from conftest import write


def make_pdf(pages: list[str]) -> bytes:
    """A small valid PDF with one line of Helvetica text on each page."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
        objects.append(b"")  # page, filled below once its number is known
        page_no = len(objects)
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        objects[page_no - 1] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>"
            % (page_no + 1)
        )
        kids.append(page_no)
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def make_docx(paragraphs: list[str], title: str = "", author: str = "") -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.core_properties.title = title
    document.core_properties.author = author
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_eml() -> bytes:
    message = EmailMessage()
    message["From"] = "Jane Smith <jane@example.org>"
    message["To"] = "desk@example.org"
    message["Subject"] = "Harbour dredging plan approved"
    message["Date"] = "Thu, 14 Mar 2024 18:02:11 +0000"
    message["Message-ID"] = "<1@example.org>"
    message.set_content(
        "The council approved the harbour dredging plan on Thursday evening.\n\n"
        "Work on the northern channel begins in April, officials said.\n"
    )
    return bytes(message)


PAGES = [
    "The lighthouse keeper logged every passing trawler in the winter storm.",
    "Volunteers rebuilt the seawall with granite blocks from the old quarry.",
]


def index_of(tmp_path: Path, files: dict[str, bytes | str]) -> tuple[Path, searchkit.IndexReport]:
    corpus = tmp_path / "corpus"
    for name, data in files.items():
        write(corpus, name, data)
    index = tmp_path / "index"
    return corpus, searchkit.build_index(corpus, index)


def test_pdf_passages_exact_offsets_and_page_in_citation(tmp_path: Path) -> None:
    corpus, report = index_of(tmp_path, {"report.pdf": make_pdf(PAGES)})
    assert report.added == ("report.pdf",) and not report.skipped
    results = searchkit.search("granite seawall quarry", index=tmp_path / "index")
    hit = results.hits[0]
    assert hit.source == "report.pdf"
    text = source_text(corpus, "report.pdf")
    assert text[hit.start : hit.end] == hit.text and "granite" in hit.text
    assert hit.metadata["page"] == "2"
    assert ", page 2, passage" in str(hit.citation)


def test_pdf_named_txt_is_read_as_pdf_not_as_bytes(tmp_path: Path) -> None:
    corpus, report = index_of(tmp_path, {"renamed.txt": make_pdf(PAGES)})
    assert report.added == ("renamed.txt",) and not report.skipped
    (article,) = read_file(list_files(corpus)[0][0]).articles
    assert "%PDF" not in article.text and "obj" not in article.text.split()
    assert "lighthouse keeper" in article.text


def test_docx_is_read_with_its_properties(tmp_path: Path) -> None:
    data = make_docx(["Ferry fares rise.", "The ferry company raised fares by ten percent on the island route."],
                     title="Ferry fares rise", author="Tom Ellery")
    corpus, report = index_of(tmp_path, {"ferry.docx": data})
    assert report.added == ("ferry.docx",) and not report.skipped
    (article,) = read_file(list_files(corpus)[0][0]).articles
    assert article.title == "Ferry fares rise" and article.metadata["author"] == "Tom Ellery"
    hit = searchkit.search("island ferry fares", index=tmp_path / "index").hits[0]
    assert source_text(corpus, "ferry.docx")[hit.start : hit.end] == hit.text


def test_eml_is_read_with_sender_subject_and_iso_date(tmp_path: Path) -> None:
    corpus, report = index_of(tmp_path, {"mail/tip.eml": make_eml()})
    assert report.added == ("mail/tip.eml",) and not report.skipped
    (article,) = read_file(list_files(corpus)[0][0]).articles
    assert article.title == "Harbour dredging plan approved"
    assert article.metadata["author"] == "Jane Smith"
    assert article.metadata["date"] == "2024-03-14T18:02:11+00:00"
    hit = searchkit.search("northern channel", index=tmp_path / "index").hits[0]
    assert source_text(corpus, "mail/tip.eml")[hit.start : hit.end] == hit.text


def without_module(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    """Make ``import module`` fail, as when its extra is not installed."""
    real_import = builtins.__import__

    def refuse(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == module:
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)


def test_missing_extra_is_reported_with_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    without_module(monkeypatch, "pypdf")
    corpus, report = index_of(tmp_path, {"a.pdf": make_pdf(PAGES), "b.txt": "Harbour news.\n\nThe tide was high today."})
    assert report.added == ("b.txt",)
    (skipped,) = report.skipped
    assert skipped.path == "a.pdf" and "pip install 'searchkit-passages[pdf]'" in skipped.reason


def test_folder_of_unreadable_pdfs_is_not_silent(tmp_path: Path) -> None:
    corpus, report = index_of(tmp_path, {"broken.pdf": b"%PDF-1.4\nnot really a pdf\n"})
    assert report.added == () and [s.path for s in report.skipped] == ["broken.pdf"]
    assert "PDF" in report.skipped[0].reason


def test_jsonl_id_collision_names_both_files_and_no_untrue_warning(tmp_path: Path) -> None:
    line = lambda i, t: json.dumps({"id": i, "text": t})  # noqa: E731
    corpus, report = index_of(tmp_path, {
        "a.jsonl": line("w-001", "Alpha text about cats.") + "\n",
        "b.jsonl": line("w-001", "Gamma text about fish.") + "\n",
        "c.jsonl": line("w-001", "Delta about frogs.") + "\n" + line("w-002", "Epsilon about newts.") + "\n",
    })
    reasons = {s.path: s.reason for s in report.skipped}
    assert "already used by a.jsonl" in reasons["b.jsonl#w-001"]
    assert "already used by a.jsonl" in reasons["c.jsonl#w-001"]
    assert not any("no text left" in w.reason for w in report.warnings), report.warnings
    assert searchkit.search("newts", index=tmp_path / "index").hits[0].doc_id == "w-002"


def test_headline_only_file_is_reported(tmp_path: Path) -> None:
    corpus, report = index_of(tmp_path, {"stub.txt": "Council approves harbour plan\n"})
    assert any(w.path == "stub.txt" and "only a headline" in w.reason for w in report.warnings), report.warnings


def test_metadata_line_matching_no_file_is_reported(tmp_path: Path) -> None:
    corpus, report = index_of(tmp_path, {
        "a.txt": "Harbour news\n\nThe tide was high today.\n",
        "metadata.jsonl": '{"path": "a.txt", "author": "Ann Lee"}\n{"path": "gone.txt", "author": "Bo Ray"}\n',
    })
    assert report.added == ("a.txt",)
    assert [s.path for s in report.skipped] == ["metadata.jsonl: gone.txt"]
    assert "names no file" in report.skipped[0].reason


def test_index_into_non_empty_folder_that_is_not_an_index_says_so(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from searchkit.cli import main

    write(tmp_path / "corpus", "a.txt", "Harbour news\n\nThe tide was high today.\n")
    write(tmp_path / "mine", "notes.txt", "my own notes")
    result = CliRunner().invoke(main, ["index", "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "mine")])
    assert result.exit_code != 0
    assert "is not empty and is not a searchkit index" in result.output
    assert (tmp_path / "mine" / "notes.txt").read_text() == "my own notes"
