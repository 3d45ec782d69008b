"""Syndicated copies (issue 19): near-identical passages across articles are one hit."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from searchkit import Searcher, build_index
from searchkit.cli import main
from searchkit.nearcopy import near_terms, shingles, similarity

STORY = (
    "The regional water board approved a plan on Tuesday to rebuild the Lindqvist reservoir dam, "
    "which engineers said had been leaking for more than a decade. The project will cost about "
    "forty million dollars and is expected to take three years, officials told a packed hearing. "
    "Residents downstream had complained for years about flooding in their basements each spring, "
    "and the board chair said the vote ended a long fight over who would pay for the repairs."
)
OTHER = (
    "A local bakery won the county fair's top prize for its sourdough loaf, beating forty other "
    "entries from across the state. The owners said they had used the same starter for twenty "
    "years and would celebrate by giving away bread to everyone who visited on Saturday morning."
)


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    edited = STORY.replace("packed hearing", "crowded hearing")
    added = STORY + " The work starts in May."
    (corpus / "a.txt").write_text(f"Dam plan approved\n\n{edited}\n", encoding="utf-8")
    (corpus / "b.txt").write_text(f"Reservoir dam to be rebuilt\n\n{STORY}\n", encoding="utf-8")
    (corpus / "c.txt").write_text(f"Board backs dam rebuild\n\n{added}\n", encoding="utf-8")
    (corpus / "d.txt").write_text(f"Bakery wins prize\n\n{OTHER}\n", encoding="utf-8")
    (corpus / "e.txt").write_text(f"Dam plan approved again\n\n{STORY}\n", encoding="utf-8")  # word for word
    meta = [
        {"path": "a.txt", "publisher": "Gazette", "date": "2017-06-05"},
        {"path": "b.txt", "publisher": "Wire", "date": "2017-06-03"},
        {"path": "c.txt", "publisher": "Herald", "date": "2017-06-04"},
        {"path": "d.txt", "publisher": "Gazette", "date": "2017-06-01"},
        {"path": "e.txt", "publisher": "Echo", "date": "2017-06-06"},
    ]
    (corpus / "metadata.jsonl").write_text("".join(json.dumps(m) + "\n" for m in meta), encoding="utf-8")
    return corpus


def _index(tmp_path: Path, exact: bool = False) -> Path:
    corpus = _corpus(tmp_path)
    if not exact:
        (corpus / "e.txt").unlink()
    index = tmp_path / "index"
    build_index(corpus, index)
    return index


def test_near_keys_are_shared_by_small_edits_only() -> None:
    edited = STORY.replace("packed", "crowded")
    assert set(near_terms(STORY)) & set(near_terms(edited))
    assert similarity(shingles(STORY), shingles(edited)) >= 0.8
    assert similarity(shingles(STORY), shingles(OTHER)) < 0.1
    assert near_terms("") == []


def test_republished_story_is_one_hit_with_two_copies_earliest_first(tmp_path: Path) -> None:
    with Searcher(_index(tmp_path)) as searcher:
        results = searcher.search("reservoir dam leaking repairs", limit=10)
        dam = [hit for hit in results if "reservoir" in hit.text]
        assert len(dam) == 1
        hit = dam[0]
        assert len(hit.copies) == 2
        assert [c.date for c in hit.copies] == sorted(c.date for c in hit.copies)
        assert {c.source for c in hit.copies} | {hit.source} == {"a.txt", "b.txt", "c.txt"}
        assert all(0.8 <= c.similarity < 1 for c in hit.copies)
        assert hit.to_dict()["copies"][0]["publisher"] in ("Gazette", "Wire", "Herald")
        separate = searcher.search("reservoir dam leaking repairs", limit=10, copies="separate")
        assert len([h for h in separate if "reservoir" in h.text]) == 3
        assert all(not h.copies for h in separate)
        # Unrelated passages never merge.
        bakery = searcher.search("sourdough bakery prize", limit=10)
        assert [h.source for h in bakery][0] == "d.txt" and not bakery[0].copies


def test_pages_stay_stable_with_offset(tmp_path: Path) -> None:
    with Searcher(_index(tmp_path)) as searcher:
        full = [h.passage_id for h in searcher.search("dam bread hearing", limit=10)]
        paged = [h.passage_id for o in range(len(full)) for h in searcher.search("dam bread hearing", limit=1, offset=o)]
        assert paged == full
        sorted_hits = searcher.search("dam bread hearing", limit=10, sort="date")
        assert len([h for h in sorted_hits if "reservoir" in h.text]) == 1


def test_exact_copy_still_collapses_and_is_listed(tmp_path: Path) -> None:
    with Searcher(_index(tmp_path, exact=True)) as searcher:
        for mode in ("together", "separate"):
            hits = [h for h in searcher.search("reservoir dam", limit=10, copies=mode) if h.text == STORY]
            assert len(hits) == 1
            exact = [c for c in hits[0].copies if c.similarity == 1.0]
            assert len(exact) == 1
        assert len([h for h in searcher.search("reservoir dam", limit=10) if "reservoir" in h.text]) == 1
        assert len([h for h in searcher.search("reservoir dam", limit=10, copies="separate") if "reservoir" in h.text]) == 3


def test_cli_copies(tmp_path: Path) -> None:
    index = _index(tmp_path)
    runner = CliRunner()
    out = runner.invoke(main, ["search", "reservoir dam leaking", "--index", str(index)])
    assert out.exit_code == 0, out.output
    assert "also in 2 other sources" in out.output
    out = runner.invoke(main, ["search", "reservoir dam leaking", "--index", str(index), "--copies", "separate",
                               "--format", "json"])
    assert out.exit_code == 0, out.output
    assert len([h for h in json.loads(out.output)["hits"] if "reservoir" in h["text"]]) == 3
    bad = runner.invoke(main, ["search", "dam", "--index", str(index), "--copies", "merged"])
    assert bad.exit_code != 0


def test_http_copies(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from serving import get_json, live_server

    from searchkit.server import create_app

    with live_server(create_app(_index(tmp_path))) as base:
        status, body = get_json(f"{base}/search?q=reservoir+dam+leaking")
        assert status == 200
        dam = [h for h in body["hits"] if "reservoir" in h["text"]]
        assert len(dam) == 1 and len(dam[0]["copies"]) == 2
        status, body = get_json(f"{base}/search?q=reservoir+dam+leaking&copies=separate")
        assert len([h for h in body["hits"] if "reservoir" in h["text"]]) == 3
        status, _ = get_json(f"{base}/search?q=dam&copies=merged")
        assert status == 400
        status, spec = get_json(f"{base}/openapi.json")
        assert any(p["name"] == "copies" for p in spec["paths"]["/search"]["get"]["parameters"])
