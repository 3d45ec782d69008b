"""export and export --check: the three formats, the manifest, byte-for-byte
reproduction, and each drift status (unchanged, moved, changed, missing)."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.cli import EXIT_STALE, main
from searchkit.errors import ExportError
from searchkit.exports import check_export, export, manifest_path, read_manifest

from conftest import write

# Paragraphs longer than min_chars (250): each is a passage of its own.
HARBOUR = (
    "The harbour master said the storm surge reached \"three metres\" at the quay,\n"
    "flooding the fish market before dawn on Tuesday, the worst flood the old town has seen since the "
    "great storm of 1953, when the sea wall gave way and the lower streets were under water for a week."
)
VOLUNTEERS = (
    "Volunteers pumped water from the cellars all morning, and the café reopened by noon. Shopkeepers "
    "carried sandbags along the quay while the fire brigade checked the houses nearest the harbour wall "
    "for damage, and the council opened the school hall to families whose homes were flooded."
)
LONDON = f"Storm over the harbour\n\n{HARBOUR}\n\n{VOLUNTEERS}\n"
PARIS = (
    "Bridge repairs\n\n"
    "Engineers closed the old bridge after finding cracks in two of its storm-battered piers, and said the "
    "repairs would take at least three months because the stone has to be cut by hand in a quarry upriver "
    "and brought down on barges while the river is low enough for them to pass.\n"
)


@pytest.fixture
def archive(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    write(corpus, "london.txt", LONDON)
    write(corpus, "paris.txt", PARIS)
    index = tmp_path / "index"
    searchkit.build_index(corpus, index)
    return corpus, index


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "md"])
def test_each_format_writes_hits_and_a_manifest_with_the_results_hash(archive: tuple[Path, Path], tmp_path: Path,
                                                                     fmt: str) -> None:
    corpus, index = archive
    out = tmp_path / f"storm.{fmt}"
    result = run("export", "storm", "--out", str(out), "--index", str(index), "--corpus", str(corpus))
    assert result.exit_code == 0, result.output
    manifest = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    assert manifest["results"]["format"] == fmt  # from the --out suffix
    assert manifest["results"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert manifest["searchkit_version"] == searchkit.__version__
    assert manifest["query"] == "storm"
    assert manifest["options"] == {"limit": 10, "syntax": False, "where": [], "since": None, "until": None,
                                   "group_by": None, "sort": "relevance", "offset": 0}
    assert manifest["settings"]["stemmer"] == "porter" and "k1" in manifest["settings"]
    assert manifest["index"]["generation"] >= 0 and len(manifest["index"]["build_id"]) == 16
    assert manifest["created"].endswith("Z") and manifest["created"] not in out.read_text(encoding="utf-8-sig")
    assert manifest["corpus"] == str(corpus.resolve())
    sources = {h["source"] for h in manifest["hits"]}
    assert sources == {"london.txt", "paris.txt"}
    for source in sources:  # the content hash recorded at index time
        assert manifest["sources"][source]["sha256"] == hashlib.sha256((corpus / source).read_bytes()).hexdigest()
    for hit in manifest["hits"]:
        assert searchkit.source_text(corpus, hit["source"], hit["doc_id"])[hit["start"]:hit["end"]] == hit["text"]


def test_jsonl_rows_are_search_jsonl_rows(archive: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, index = archive
    out = tmp_path / "storm.jsonl"
    export("storm", out, index=index, corpus=corpus)
    searched = run("search", "storm", "--index", str(index), "--format", "jsonl")
    assert out.read_text(encoding="utf-8") == searched.stdout


def test_csv_reads_back_with_the_same_texts(archive: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, index = archive
    out = tmp_path / "storm.csv"
    export("storm", out, index=index, corpus=corpus, format="csv")
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    hits = searchkit.search("storm", index=index).hits
    assert [r["text"] for r in rows] == [h.text for h in hits]
    assert any("\n" in r["text"] for r in rows)  # kept inside its quoted cell
    assert "café" in "".join(r["text"] for r in rows)
    assert [json.loads(r["highlights"]) for r in rows] == [[list(s) for s in h.highlights] for h in hits]
    assert [r["citation"] for r in rows] == [str(h.citation) for h in hits]


def test_md_is_a_numbered_appendix(archive: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, index = archive
    out = tmp_path / "story.md"
    export("storm", out, index=index, corpus=corpus, format="md")
    text = out.read_text(encoding="utf-8")
    hits = searchkit.search("storm", index=index).hits
    for number, hit in enumerate(hits, 1):
        assert f'[{number}] "{" ".join(hit.text.split())}" — {hit.citation}' in text


def test_the_manifest_query_reproduces_the_file_byte_for_byte(archive: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, index = archive
    for fmt in ("jsonl", "csv", "md"):
        first = tmp_path / f"first.{fmt}"
        result = run("export", "storm OR bridge", "--syntax", "--where", "source=*.txt", "--limit", "3",
                     "--offset", "1", "--out", str(first), "--index", str(index), "--corpus", str(corpus))
        assert result.exit_code == 0, result.output
        _, manifest = read_manifest(first)
        again = tmp_path / f"again.{fmt}"
        export(manifest["query"], again, index=index, corpus=corpus, format=manifest["results"]["format"],
               **manifest["options"])
        assert again.read_bytes() == first.read_bytes()
        assert json.loads(manifest_path(again).read_text())["index"] == manifest["index"]


def test_an_untouched_export_checks_unchanged_exit_0(archive: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, index = archive
    out = tmp_path / "storm.jsonl"
    export("storm", out, index=index, corpus=corpus)
    result = run("export", "--check", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("ok: all ")
    report = json.loads(run("export", "--check", str(manifest_path(out)), "--format", "json").stdout)
    assert report["ok"] and {h["status"] for h in report["hits"]} == {"unchanged"}


def _hit_in(file: Path, source: str) -> dict:
    return next(h for h in read_manifest(file)[1]["hits"] if h["source"] == source)


def test_drift_changed_moved_missing(archive: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, index = archive
    out = tmp_path / "storm.jsonl"
    export("storm harbour bridge", out, index=index, corpus=corpus, limit=20)
    cited = read_manifest(out)[1]["hits"]
    volunteers = next(h for h in cited if h["text"].startswith("Volunteers"))
    # london.txt: text inserted before the cited span; one cited passage edited.
    inserted = "Updated at 09:00: the quay is open again.\n\n"
    (corpus / "london.txt").write_text(
        LONDON.replace("Storm over the harbour\n\n", "Storm over the harbour\n\n" + inserted)
        .replace("three metres", "four metres"), encoding="utf-8")
    (corpus / "paris.txt").unlink()
    result = run("export", "--check", str(out), "--format", "json")
    assert result.exit_code == EXIT_STALE, result.output
    report = json.loads(result.stdout)
    by_text = {h["text"]: c for h, c in zip(cited, report["hits"])}
    source = (corpus / "london.txt").read_text(encoding="utf-8")
    moved = by_text[volunteers["text"]]
    assert moved["status"] == "moved"
    # Shifted by the insertion, less the character "three" -> "four" took out before it.
    assert moved["new_start"] == volunteers["start"] + len(inserted) - 1
    assert source[moved["new_start"]:moved["new_end"]] == volunteers["text"]
    assert moved["file_unchanged"] is False
    changed = [c for h, c in zip(cited, report["hits"]) if "three metres" in h["text"]]
    assert changed and all(c["status"] == "changed" for c in changed)
    missing = [c for c in report["hits"] if c["source"] == "paris.txt"]
    assert missing and all(c["status"] == "missing" for c in missing)
    text = run("export", "--check", str(out))
    assert text.exit_code == EXIT_STALE
    assert f"moved     [{moved['rank']}] london.txt chars {volunteers['start']}-{volunteers['end']} -> " \
           f"{moved['new_start']}-{moved['new_end']}" in text.stdout
    assert "not unchanged" in text.stdout.splitlines()[-1]


def test_check_reads_corpus_given_over_the_manifest(archive: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, index = archive
    out = tmp_path / "storm.jsonl"
    export("storm", out, index=index, corpus=corpus)
    moved_to = tmp_path / "elsewhere"
    corpus.rename(moved_to)
    assert run("export", "--check", str(out)).exit_code == 1  # the recorded folder is gone
    assert check_export(out, corpus=moved_to).ok
    assert run("export", "--check", str(out), "--corpus", str(moved_to)).exit_code == 0


def test_an_edited_results_file_fails_the_check(archive: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, index = archive
    out = tmp_path / "storm.jsonl"
    export("storm", out, index=index, corpus=corpus)
    out.write_text(out.read_text(encoding="utf-8").replace("storm", "gale"), encoding="utf-8")
    result = run("export", "--check", str(out))
    assert result.exit_code == EXIT_STALE
    assert "differs from the one exported" in result.stdout


def test_unwritable_out_is_one_line_exit_1(archive: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, index = archive
    # (Tests run as root here, so a read-only folder would be written anyway: a missing one stands in.)
    result = run("export", "storm", "--out", str(tmp_path / "no" / "x.jsonl"), "--index", str(index),
                 "--corpus", str(corpus))
    assert result.exit_code == 1, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("searchkit: error: cannot write")
    assert not (tmp_path / "no").exists()
    folder = run("export", "storm", "--out", str(tmp_path), "--index", str(index))
    assert folder.exit_code == 2 and "Traceback" not in folder.output  # click refuses a folder for --out
    with pytest.raises(ExportError):
        export("storm", tmp_path, index=index)


def test_check_of_a_non_export_is_one_line_exit_1(archive: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, _ = archive
    not_json = write(tmp_path, "notes.jsonl.manifest.json", "hello")
    for file in (corpus / "london.txt", not_json, write(tmp_path, "other.json.manifest.json", '{"a": 1}')):
        result = run("export", "--check", str(file))
        assert result.exit_code == 1, result.output
        assert result.stderr.count("\n") == 1 and "export" in result.stderr, result.stderr


def test_usage_mistakes_exit_2(archive: tuple[Path, Path], tmp_path: Path) -> None:
    _, index = archive
    assert run("export", "storm", "--index", str(index)).exit_code == 2  # no --out
    assert run("export", "storm", "--check", "x.jsonl").exit_code == 2
    assert run("export", "storm", "--out", str(tmp_path / "a.jsonl"), "--format", "json").exit_code == 2
    assert run("export", "storm", "--out", str(tmp_path / "a.jsonl"), "--facets", "year").exit_code == 2
