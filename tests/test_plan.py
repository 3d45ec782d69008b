"""One definition of "changed": what ``check`` reports is what the next update does."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import searchkit

from conftest import write


def _article(title: str, words: str) -> str:
    return f"{title}\n\n{words} first paragraph of the article, long enough to stand alone.\n\nA second paragraph about {words}.\n"


@pytest.fixture
def drifted(tmp_path: Path) -> tuple[Path, Path]:
    """A corpus indexed once, then changed in every way a corpus changes."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus, "kept.txt", _article("Kept", "harbour"))
    write(corpus, "edited.txt", _article("Edited", "lighthouse"))
    write(corpus, "same_size.txt", _article("Same size", "orchard"))
    write(corpus, "touched.txt", _article("Touched", "meadow"))
    write(corpus, "metadata_changed.txt", _article("Meta", "glacier"))
    write(corpus, "gone.txt", _article("Gone", "volcano"))
    write(corpus, "folder/inner.md", "# Inner\n\nA paragraph about the canyon and its river.\n")
    write(corpus, "folder/inner_gone.md", "# Inner gone\n\nA paragraph about the desert.\n")
    write(corpus, "feed.jsonl", json.dumps({"id": "f1", "title": "Feed", "text": "Tundra news in one line."}) + "\n")
    write(corpus, "metadata.jsonl", json.dumps({"path": "metadata_changed.txt", "author": "A. Writer"}) + "\n")
    searchkit.build_index(corpus, index)

    (corpus / "edited.txt").write_text(_article("Edited", "lighthouse keepers"), encoding="utf-8")
    same = corpus / "same_size.txt"
    info = same.stat()
    same.write_text(_article("Same size", "orchids"), encoding="utf-8")  # same length, another word
    os.utime(same, ns=(info.st_atime_ns, info.st_mtime_ns + 5_000_000_000))
    touched = corpus / "touched.txt"
    touched.write_text(touched.read_text(encoding="utf-8"), encoding="utf-8")  # same bytes
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 7_000_000_000))
    write(corpus, "metadata.jsonl", json.dumps({"path": "metadata_changed.txt", "author": "B. Writer"}) + "\n")
    (corpus / "gone.txt").unlink()
    (corpus / "folder/inner_gone.md").unlink()
    write(corpus, "new.txt", _article("New", "zeppelin"))
    write(corpus, "folder/new_inner.md", "# New inner\n\nA paragraph about the fjord.\n")
    write(corpus, "binary.txt", b"\x00\x01\x02\x03" * 10)
    feed = corpus / "feed.jsonl"
    feed.write_text(feed.read_text(encoding="utf-8") + json.dumps({"id": "f2", "text": "More tundra news."}) + "\n")
    return corpus, index


def test_check_reports_what_the_next_update_does(drifted: tuple[Path, Path]) -> None:
    corpus, index = drifted
    check = searchkit.check_index(corpus, index)
    update = searchkit.build_index(corpus, index)

    assert sorted(check.added) == sorted(update.added) == ["folder/new_inner.md", "new.txt"]
    assert sorted(check.changed) == sorted(update.updated) == [
        "edited.txt", "feed.jsonl", "metadata_changed.txt", "same_size.txt",
    ]
    assert sorted(check.deleted) == sorted(update.removed) == ["folder/inner_gone.md", "gone.txt"]
    assert sorted(u.path for u in check.unreadable) == sorted(s.path for s in update.skipped) == ["binary.txt"]
    unchanged = {"kept.txt", "touched.txt", "folder/inner.md"}
    assert unchanged <= set(update.unchanged)
    assert not unchanged & set(check.added + check.changed + check.deleted)
    # After the update, check and a further update agree that nothing is left to do
    # (but for the file that still cannot be read).
    again = searchkit.check_index(corpus, index)
    assert not (again.added or again.changed or again.deleted or again.mismatched)
    assert [u.path for u in again.unreadable] == ["binary.txt"]
    assert not searchkit.build_index(corpus, index).changed


def test_reindexed_sources_are_updated_even_if_unchanged(drifted: tuple[Path, Path]) -> None:
    corpus, index = drifted
    searchkit.build_index(corpus, index)
    report = searchkit.build_index(corpus, index, reindex=["kept.txt"])
    assert report.updated == ("kept.txt",)
