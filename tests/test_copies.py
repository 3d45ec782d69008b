"""Syndicated copies (issue 19): near-identical passages across articles are one hit."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from searchkit import Searcher, build_index
from searchkit.cli import main
from searchkit.nearcopy import near_terms, numbers, shingles, similarity

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


CRASH = (
    "A bus carrying pilgrims left the mountain road before dawn on Sunday and fell into a ravine, "
    "killing {dead} people and injuring dozens more, the regional governor said. Rescue teams worked "
    "through the morning to reach the wreck, and the injured were taken to hospitals in the valley. "
    "The driver was among those who survived; police said they would question him once doctors allowed "
    "it, and the bus company said it was cooperating fully with the investigation into the cause."
)


def test_numbers_are_read_in_digits_and_words() -> None:
    assert numbers("killing 12 people, 1,200 hurt; twelve buses, dozens more") == ("12", "1200", "twelve", "dozens")
    assert numbers("no figures here") == ()


def test_a_copy_whose_numbers_differ_is_a_hit_of_its_own(tmp_path: Path) -> None:
    # "15 dead" is not "12 dead": merging them would hide the difference.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    texts = {
        "wire.txt": CRASH.format(dead="12"),
        "edited.txt": CRASH.format(dead="12").replace("Rescue teams", "Emergency crews"),  # same numbers: a copy
        "update.txt": CRASH.format(dead="15"),
        "spelled.txt": CRASH.format(dead="twelve"),
    }
    for name, text in texts.items():
        (corpus / name).write_text(f"Bus crash\n\n{text}\n", encoding="utf-8")
    index = tmp_path / "index"
    build_index(corpus, index)
    assert similarity(shingles(texts["wire.txt"]), shingles(texts["update.txt"])) >= 0.8  # near-identical text
    with Searcher(index) as searcher:
        hits = [h for h in searcher.search("bus ravine pilgrims", limit=10) if "ravine" in h.text]
        assert sorted(h.source for h in hits) == ["spelled.txt", "update.txt", "wire.txt"] or sorted(
            h.source for h in hits) == ["edited.txt", "spelled.txt", "update.txt"]
        twelve = next(h for h in hits if "killing 12 " in h.text)
        assert [c.source for c in twelve.copies] == sorted({"wire.txt", "edited.txt"} - {twelve.source})
        for hit in hits:
            assert all(numbers(c.source and texts[c.source]) == numbers(hit.text) for c in hit.copies)
    out = CliRunner().invoke(main, ["search", "bus ravine pilgrims", "--index", str(index)])
    assert out.exit_code == 0, out.output
    assert out.output.count("also in 1 other source") == 1 and "killing 15 people" in out.output


def test_similar_takes_copies(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from serving import get_json, live_server

    from searchkit.server import create_app

    index = _index(tmp_path)
    runner = CliRunner()
    with Searcher(index) as searcher:
        dam = next(h for h in searcher.search("reservoir dam", limit=10, copies="separate") if h.source == "a.txt")
        # The other two versions of the story: one hit, or two with --copies separate.
        together = searcher.similar(dam.passage_id, limit=10)
        separate = searcher.similar(dam.passage_id, limit=10, copies="separate")
    assert len([h for h in together if "reservoir" in h.text]) == 1
    assert len([h for h in separate if "reservoir" in h.text]) == 2
    for mode, expected in (("together", 1), ("separate", 2)):
        out = runner.invoke(main, ["similar", dam.passage_id, "--index", str(index), "--copies", mode, "--format", "json"])
        assert out.exit_code == 0, out.output
        assert len([h for h in json.loads(out.output)["hits"] if "reservoir" in h["text"]]) == expected
    with live_server(create_app(index)) as base:
        for mode, expected in (("together", 1), ("separate", 2)):
            status, body = get_json(f"{base}/passages/{dam.passage_id}/similar?copies={mode}")
            assert status == 200
            assert len([h for h in body["hits"] if "reservoir" in h["text"]]) == expected
        status, _ = get_json(f"{base}/passages/{dam.passage_id}/similar?copies=merged")
        assert status == 400
        status, spec = get_json(f"{base}/openapi.json")
        assert any(p["name"] == "copies" for p in spec["paths"]["/passages/{passage_id}/similar"]["get"]["parameters"])


def test_copies_none_ranks_alone(tmp_path: Path) -> None:
    with Searcher(_index(tmp_path, exact=True)) as searcher:
        separate = searcher.search("reservoir dam leaking repairs", limit=10, copies="separate")
        alone = searcher.search("reservoir dam leaking repairs", limit=10, copies="none")
        assert [h.passage_id for h in alone] == [h.passage_id for h in separate]
        assert any(h.copies for h in separate) and not any(h.copies for h in alone)
    result = CliRunner().invoke(main, ["search", "reservoir dam", "--copies", "none", "--format", "json",
                                       "--index", str(tmp_path / "index")])
    assert result.exit_code == 0 and not any(h["copies"] for h in json.loads(result.output)["hits"])
