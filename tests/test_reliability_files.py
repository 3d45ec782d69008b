"""Hostile corpus files: each is reported with its path and reason, everything else is
indexed, the run says it was partial, nothing already indexed is lost, memory stays
bounded for huge files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import searchkit
import searchkit.ingest
from searchkit.cli import main

from conftest import write

GOOD = "Good Story\n\nThe river otters returned to the valley this spring.\n"


def hostile_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    write(corpus, "good.txt", GOOD)
    write(corpus, "binary.txt", b"PK\x03\x04\x00\x00garbage\x00" * 50)
    write(corpus, "latin1.txt", "Caf\u00e9 News\n\nThe caf\u00e9 served otters.\n".encode("cp1252"))
    write(corpus, "empty.txt", "")
    write(corpus, "huge.txt", "Huge\n\n" + "otter " * 400)  # over the (lowered) size limit
    lines = [
        json.dumps({"id": "j1", "title": "Line One", "text": "Otters swim in the jsonl river."}),
        '{"id": "j2", "text": "unterminated',
        "[1, 2, 3]",
        json.dumps({"id": "j3", "text": "Another otter in a good line."}),
    ]
    write(corpus, "lines.jsonl", "\n".join(lines) + "\n")
    write(corpus, "vanish.txt", "Vanish\n\nThis otter will be gone.\n")
    write(corpus, "unreadable.txt", "Locked\n\nNo one may read this otter.\n")
    os.symlink(".", corpus / "loop")  # a folder that contains itself
    os.symlink("self.txt", corpus / "self.txt")  # a link to itself
    os.mkfifo(corpus / "pipe.txt")  # would block a naive reader forever
    (corpus / os.fsdecode(b"bad\xffname.txt")).write_text(GOOD)
    return corpus


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(searchkit.ingest, "MAX_ARTICLE_BYTES", 1000)
    real_read_bytes, real_open = Path.read_bytes, Path.open

    def read_bytes(self: Path) -> bytes:  # permission bits do not stop root, so refuse here
        if self.name == "unreadable.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    def path_open(self: Path, *args: Any, **kwargs: Any) -> Any:  # as read_file opens it (writing still works)
        if self.name == "unreadable.txt" and "r" in (args[0] if args else kwargs.get("mode", "r")):
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(Path, "open", path_open)
    return hostile_corpus(tmp_path)


def vanish_during_run(corpus: Path):  # type: ignore[no-untyped-def]
    def progress(done: int, total: int) -> None:
        if done == 1 and (corpus / "vanish.txt").exists():
            (corpus / "vanish.txt").unlink()  # listed, then gone before it is read

    return progress


def test_each_hostile_file_is_reported_and_the_rest_indexed(hostile: Path, tmp_path: Path) -> None:
    report = searchkit.build_index(hostile, tmp_path / "index", progress=vanish_during_run(hostile))
    reasons = {s.path: s.reason for s in report.skipped}
    assert "binary" in reasons["binary.txt"]
    assert "too large" in reasons["huge.txt"]
    assert "invalid JSON" in reasons["lines.jsonl:2"]
    assert "JSON object" in reasons["lines.jsonl:3"]
    assert "vanished" in reasons["vanish.txt"]
    assert "Permission denied" in reasons["unreadable.txt"]
    assert "loop" in reasons["loop"] and "loop" in reasons["self.txt"]
    assert "not valid UTF-8" in reasons["bad\\xffname.txt"]
    assert "empty" in reasons["empty.txt"]
    assert "cp1252" in {w.path: w.reason for w in report.warnings}["latin1.txt"]
    assert report.partial
    found = {h.doc_id for h in searchkit.search("otter", index=tmp_path / "index", limit=50)}
    assert found == {"good", "latin1", "j1", "j3"}


def test_cli_exits_3_and_names_each_file(hostile: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["index", "--corpus", str(hostile), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 3, result.output
    for name in ("binary.txt", "huge.txt", "lines.jsonl:2", "unreadable.txt", "loop", "self.txt"):
        assert f"skipped {name}: " in result.output
    assert "Traceback" not in result.output


def test_nothing_already_indexed_is_lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    write(corpus, "keep.txt", "Keep\n\nThe lighthouse keeper logged the storm.\n")
    write(corpus, "later.txt", "Later\n\nA heron nested on the pier.\n")
    write(corpus, "gone.txt", "Gone\n\nThe walrus left the bay.\n")
    index = tmp_path / "index"
    searchkit.build_index(corpus, index)
    # Now: one file turns binary, one becomes unreadable, one vanishes mid-run.
    write(corpus, "keep.txt", b"\x00\x01binary now\x00")
    write(corpus, "later.txt", "Later\n\nA heron nested on the pier, and stayed.\n")
    real_read_bytes, real_open = Path.read_bytes, Path.open
    monkeypatch.setattr(
        Path, "read_bytes",
        lambda self: (_ for _ in ()).throw(PermissionError(13, "Permission denied")) if self.name == "later.txt"
        else real_read_bytes(self),
    )
    monkeypatch.setattr(
        Path, "open",
        lambda self, *a, **k: (_ for _ in ()).throw(PermissionError(13, "Permission denied")) if self.name == "later.txt"
        else real_open(self, *a, **k),
    )
    write(corpus, "gone.txt", "Gone\n\nThe walrus left the bay, then came back.\n")
    report = searchkit.build_index(corpus, index, progress=lambda done, total: done == 1 and (corpus / "gone.txt").unlink())
    assert {s.path for s in report.skipped} == {"keep.txt", "later.txt", "gone.txt"}
    for query, doc_id in (("lighthouse keeper", "keep"), ("heron pier", "later"), ("walrus bay", "gone")):
        assert searchkit.search(query, index=index)[0].doc_id == doc_id  # the old passages answer


def test_streamed_jsonl_reports_bad_lines_and_indexes_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(searchkit.ingest, "STREAM_BYTES", 0)  # stream every .jsonl file
    monkeypatch.setattr(searchkit.ingest, "MAX_ARTICLE_BYTES", 2000)
    corpus = tmp_path / "corpus"
    rows = [json.dumps({"id": f"r{n}", "text": f"Row {n} tells of the otter number {n}."}) for n in range(300)]
    rows[5] = "not json"
    rows[6] = json.dumps({"id": "long", "text": "x " * 5000})  # a line over the limit
    rows[7] = '"just a string"'
    rows += ["{broken"] * 150
    write(corpus, "big.jsonl", "\n".join(rows) + "\n")
    report = searchkit.build_index(corpus, tmp_path / "index")
    reasons = {s.path: s.reason for s in report.skipped}
    assert "invalid JSON" in reasons["big.jsonl:6"]
    assert "longer than" in reasons["big.jsonl:7"]
    assert "JSON object" in reasons["big.jsonl:8"]
    assert len(report.skipped) == searchkit.ingest.MAX_REPORTED_LINES + 1  # a long tail is counted, not listed
    assert "more bad lines" in report.skipped[-1].reason
    assert searchkit.open_index(tmp_path / "index").passage_count() == 297
    hit = searchkit.search("otter number 250", index=tmp_path / "index")[0]
    assert hit.doc_id == "r250"


MEMORY_PROBE = """
import resource, sys, searchkit
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
report = searchkit.build_index(sys.argv[1], sys.argv[2])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(after - before, len(report.added), len(report.skipped), report.passages)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in kB is Linux's")
def test_100_mb_files_are_read_with_bounded_memory(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    with open(corpus / "big.jsonl", "wb") as fh:
        fh.write(json.dumps({"id": "first", "text": "The first otter."}).encode() + b"\n")
        fh.write(b'{"id": "huge", "text": "' + b"y" * (40 << 20) + b'"}\n')  # one 40 MB line
        fh.write((b" " * (1 << 20) + b"\n") * 60)  # 60 MB of blank lines
        fh.write(json.dumps({"id": "last", "text": "The last otter."}).encode() + b"\n")
    with open(corpus / "big.txt", "wb") as fh:
        fh.truncate(100 << 20)  # 100 MB, refused by size alone
    assert (corpus / "big.jsonl").stat().st_size > 100 << 20
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(corpus), str(tmp_path / "index")],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    grown_kb, added, skipped, passages = map(int, out.stdout.split())
    assert added == 1 and skipped == 2 and passages == 2
    assert grown_kb < 48 * 1024, f"reading 200 MB of files grew memory by {grown_kb // 1024} MB"


def test_of_two_names_for_one_folder_the_first_by_name_is_indexed(tmp_path: Path) -> None:
    from searchkit.ingest import list_files

    corpus = tmp_path / "c"
    for real, link in [("a", "z"), ("m", "b")]:  # the real folder first by name, then the link
        write(corpus / real, "doc.txt", GOOD)
        os.symlink(real, corpus / link)
    files, problems = list_files(corpus)
    # Whatever order the file system lists them in: the same sources every time.
    assert [f.source for f in files] == ["a/doc.txt", "b/doc.txt"]
    assert sorted(p.path for p in problems) == ["m", "z"]
