"""Damaged index files: ``check`` names the file, ``search`` fails in one line (never a
traceback), and ``check --repair`` or ``index --rebuild`` gives an index that answers
like a fresh build."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.cli import EXIT_STALE, main

from conftest import write

QUERIES = ("otters valley", "beavers dams", "zebras spring 7", "lighthouse storm")


def small_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    for n in range(12):
        write(
            corpus,
            f"a{n:02}.txt",
            # Dated: a date column of zeros alone is not read where damage would show.
            f"Story {n}\n\nPublished: {n + 1} March 2024\n\n"
            f"The river otters number {n} returned to the valley this spring. Zebras graze.\n\n"
            f"Another paragraph about beavers and dams {n}, and a lighthouse in a storm.\n",
        )
    return corpus


def answers(index: Path) -> list[list[tuple[str, float]]]:
    with searchkit.Searcher(index) as searcher:
        return [[(h.passage_id, h.score) for h in searcher.search(q, limit=20)] for q in QUERIES]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[list[tuple[str, float]]]]:
    """A corpus, an index of it with a manifest journal, and what a fresh index answers."""
    root = tmp_path_factory.mktemp("damage")
    corpus = small_corpus(root)
    searchkit.build_index(corpus, root / "index")
    write(corpus, "a99.txt", "Late Story\n\nPublished: 1 April 2024\n\nA heron nested on the pier by the lighthouse.\n")
    searchkit.build_index(corpus, root / "index")  # an update: a journal line, a second segment
    assert (root / "index" / "manifest.journal").exists()
    fresh = root / "fresh"
    searchkit.build_index(corpus, fresh)
    return corpus, root / "index", answers(fresh)


def truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


def flip(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 16]) + data[middle + 16 :]


#: Every kind of file this index folder holds, as a glob for its name.
KINDS = {
    "term table": "MAIN_*.trm",
    "postings": "MAIN_*.pst",
    "stored fields": "MAIN_*._stored.col",
    "field lengths": "MAIN_*._content_len.col",
    "text key column": "MAIN_*.text_key.col",
    "date column": "MAIN_*.date_key.col",
    "article key column": "MAIN_*.article_key.col",
    "table of contents": "_MAIN_*.toc",
    "settings": "searchkit.json",
    "manifest": "manifest.json",
    "manifest journal": "manifest.journal",
    "stems table": "stems.table",
}


def test_the_kinds_cover_every_file_of_an_index(pristine: tuple[Path, Path, Any]) -> None:
    _, index, _ = pristine
    covered = {p.name for glob in KINDS.values() for p in index.glob(glob)}
    others = {p.name for p in index.iterdir()} - covered - {"MAIN_WRITELOCK"}
    # the remaining column files are length columns like the one damaged above
    assert all(name.endswith("_len.col") for name in others), others


#: Caches that are rebuilt from the index when they cannot be read.
CACHES = ("manifest", "manifest journal")


def test_a_manifest_that_reads_but_names_other_files_is_damage(tmp_path: Path) -> None:
    """It would make the next update index a file's passages a second time."""
    corpus = small_corpus(tmp_path)
    index = tmp_path / "index"
    searchkit.build_index(corpus, index)
    manifest = index / "manifest.json"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('"a03.txt"', '"a3x.txt"'), encoding="utf-8")
    checked = CliRunner().invoke(main, ["check", "--corpus", str(corpus), "--index", str(index)])
    assert checked.exit_code == EXIT_STALE and "damaged index file: manifest.json" in checked.output
    fixed = CliRunner().invoke(main, ["check", "--repair", "--corpus", str(corpus), "--index", str(index)])
    assert fixed.exit_code == 0, fixed.output
    assert searchkit.check_index(corpus, index).ok
    assert searchkit.open_index(index).passage_count() == searchkit.build_index(corpus, tmp_path / "fresh").passages


#: Segment files come twice: in the segment of the first build and in the one-file
#: segment of the update, whose term table is mostly empty hash tables.
TARGETS = [(kind, which) for kind, glob in KINDS.items() for which in (("large", "small") if glob.startswith("MAIN_") else ("",))]


@pytest.mark.parametrize("damage", [truncate, flip], ids=["truncated", "flipped"])
@pytest.mark.parametrize("kind, which", TARGETS, ids=[f"{k} {w}".strip() for k, w in TARGETS])
def test_damage_is_found_reported_and_repaired(
    tmp_path: Path, pristine: tuple[Path, Path, Any], kind: str, which: str, damage: Callable[[bytes], bytes]
) -> None:
    corpus, built, fresh = pristine
    index = tmp_path / "index"
    shutil.copytree(built, index)
    found = sorted(index.glob(KINDS[kind]), key=lambda p: p.stat().st_size)
    target = found[0] if which == "small" else found[-1]
    target.write_bytes(damage(target.read_bytes()))
    runner = CliRunner()

    checked = runner.invoke(main, ["check", "--corpus", str(corpus), "--index", str(index)])
    if kind in CACHES:  # not used when it cannot be read: rebuilt from the stored passages
        assert checked.exit_code == 0, checked.output
        assert answers(index) == fresh
    else:
        assert checked.exit_code == EXIT_STALE, checked.output
        assert target.name in checked.output and "damaged index file" in checked.output

    for query in QUERIES:
        found = runner.invoke(main, ["search", query, "--index", str(index)])
        assert not isinstance(found.exception, Exception) or isinstance(found.exception, SystemExit), found.exception
        if found.exit_code != 0:
            lines = found.output.strip().splitlines()
            assert found.exit_code == 1 and len(lines) == 1 and lines[0].startswith("searchkit: error:")
            assert str(index) in lines[0] and "--rebuild" in lines[0]

    shown = runner.invoke(main, ["show", fresh[0][0][0], "--index", str(index)])
    assert not isinstance(shown.exception, Exception) or isinstance(shown.exception, SystemExit), shown.exception
    assert shown.exit_code == 0 or len(shown.output.strip().splitlines()) == 1

    fix = ["check", "--repair"] if damage is truncate else ["index", "--rebuild"]
    fixed = runner.invoke(main, [*fix, "--corpus", str(corpus), "--index", str(index)])
    assert fixed.exit_code == 0, fixed.output
    assert searchkit.check_index(corpus, index).ok
    assert answers(index) == fresh


def test_search_on_a_truncated_term_table_is_one_line(tmp_path: Path, pristine: tuple[Path, Path, Any]) -> None:
    """The reported failure: a real process, no traceback."""
    _, built, _ = pristine
    index = tmp_path / "index"
    shutil.copytree(built, index)
    for trm in index.glob("MAIN_*.trm"):
        trm.write_bytes(truncate(trm.read_bytes()))
    done = subprocess.run(
        [sys.executable, "-m", "searchkit", "search", "otters", "--index", str(index)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "is damaged" in done.stderr and "searchkit check --repair" in done.stderr
    with pytest.raises(searchkit.IndexDamagedError):
        searchkit.search("otters", index=index)


def test_rebuild_over_a_damaged_settings_file_keeps_foreign_files(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path)
    index = tmp_path / "index"
    searchkit.build_index(corpus, index)
    (index / "searchkit.json").write_bytes(b"\x00garbage")
    (index / "notes.txt").write_text("mine")
    with pytest.raises(searchkit.IndexNotFoundError, match="notes.txt"):
        searchkit.build_index(corpus, index, rebuild=True)
    assert (index / "notes.txt").read_text() == "mine"
    (index / "notes.txt").unlink()
    searchkit.build_index(corpus, index, rebuild=True)
    assert searchkit.check_index(corpus, index).ok
    assert json.loads((index / "searchkit.json").read_text())["format"] == "searchkit-index"


def test_a_cut_postings_file_is_found_without_reading_the_postings(tmp_path: Path, pristine: tuple[Path, Path, Any]) -> None:
    """A large index has its posting lists sampled, not read: the term table's extents still tell."""
    from searchkit.index.verify import index_damage

    _, built, _ = pristine
    index = tmp_path / "index"
    shutil.copytree(built, index)
    with searchkit.open_index(index) as ix:
        assert index_damage(ix, read_postings_bytes=0) == []
    target = max(index.glob("MAIN_*.pst"), key=lambda p: p.stat().st_size)
    target.write_bytes(truncate(target.read_bytes()))
    with searchkit.open_index(index) as ix:
        assert [d.path for d in index_damage(ix, read_postings_bytes=0)] == [target.name]
