"""Sharded indexes: the same results as one index of the same corpus, updates that
touch only the shards whose files changed, re-sharding, and missing shards."""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import searchkit
from searchkit import Searcher
from searchkit.cli import main
from searchkit.errors import IndexDamagedError, IndexMismatchError
from searchkit.index.shards import shard_of, shard_paths

BUNDLED = Path(__file__).resolve().parent.parent / "corpus"
PUBLISHERS = ["Reuters", "AP", "BBC News", "NBC Out", "The Guardian"]
AUTHORS = ["Ana Lima", "Jo Park", "Sam Okafor", "Lee Chen"]


def sentences() -> list[str]:
    """The sentences of the bundled articles (real news prose)."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(BUNDLED.glob("*.*")) if p.suffix in (".txt", ".md"))
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if 40 < len(s.strip()) < 400]


def write_corpus(root: Path, articles: int = 60, seed: int = 7) -> Path:
    """``articles`` articles of real sentences in new orders, with publishers, authors
    and dates in ``metadata.jsonl``; some share a paragraph word for word (wire copy)
    and a few have a title but little text of their own."""
    rng = random.Random(seed)
    pool = sentences()
    corpus = root / "corpus"
    (corpus / "wire").mkdir(parents=True)
    shared = " ".join(rng.sample(pool, 3))
    meta = []
    for number in range(articles):
        paragraphs = [" ".join(rng.sample(pool, rng.randint(2, 4))) for _ in range(rng.randint(2, 5))]
        if number % 9 == 0:
            paragraphs.insert(1, shared)
        title = " ".join(rng.sample(pool, 1)[0].split()[:6])
        name = f"wire/story-{number:03d}.txt" if number % 2 else f"story-{number:03d}.txt"
        (corpus / name).write_text(f"{title}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
        entry = {"path": name, "publisher": PUBLISHERS[number % len(PUBLISHERS)], "author": AUTHORS[number % len(AUTHORS)]}
        if number % 7:
            entry["date"] = f"20{10 + number % 12:02d}-{1 + number % 12:02d}-{1 + number % 27:02d}"
        meta.append(entry)
    (corpus / "metadata.jsonl").write_text("".join(json.dumps(m) + "\n" for m in meta), encoding="utf-8")
    return corpus


def queries(corpus: Path, count: int = 60, seed: int = 3) -> list[str]:
    """Single words, pairs and longer questions drawn from the corpus, and a misspelt name."""
    rng = random.Random(seed)
    words = sorted({w for p in corpus.rglob("*.txt") for w in re.findall(r"[A-Za-z]{4,}", p.read_text(encoding="utf-8"))})
    out = [rng.choice(words) for _ in range(count // 3)]
    out += [" ".join(rng.sample(words, 2)) for _ in range(count // 3)]
    out += [" ".join(rng.sample(words, 5)) for _ in range(count // 3)]
    return out + ["Kadirov", "the of and"]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A corpus, its index, and its index in 3 shards."""
    root = tmp_path_factory.mktemp("shards")
    corpus = write_corpus(root)
    searchkit.build_index(corpus, root / "one")
    report = searchkit.build_index(corpus, root / "sharded", shards=3)
    assert not report.partial
    return corpus, root / "one", root / "sharded"


def working_copy(tmp_path: Path, corpus: Path, index: Path) -> tuple[Path, Path]:
    """Copies of a corpus and its index that a test may change."""
    shutil.copytree(corpus, tmp_path / "corpus")
    shutil.copytree(index, tmp_path / "index")
    return tmp_path / "corpus", tmp_path / "index"


def same(a: searchkit.SearchResults, b: searchkit.SearchResults) -> None:
    """Two result lists are the same: hits in the same order, scores within 1e-6, counts."""
    assert [h.passage_id for h in a.hits] == [h.passage_id for h in b.hits], a.query
    for x, y in zip(a.hits, b.hits):
        assert abs(x.score - y.score) <= 1e-6, (a.query, x.passage_id)
        assert (x.rank, x.highlights, x.group_count, x.also, dict(x.matched), x.copies) == (
            y.rank, y.highlights, y.group_count, y.also, dict(y.matched), y.copies
        ), a.query
    assert (a.total, a.undated, a.suggestion, a.timed_out) == (b.total, b.undated, b.suggestion, b.timed_out), a.query
    assert {k: list(v) for k, v in a.facets.items()} == {k: list(v) for k, v in b.facets.items()}, a.query


def test_each_file_lives_in_one_shard(pair: tuple[Path, Path, Path]) -> None:
    corpus, one, sharded = pair
    with searchkit.open_index(sharded) as ix:
        assert ix.count == 3 and ix.passage_count() == searchkit.open_index(one).passage_count()
        for number, shard in enumerate(ix.shards):
            sources = set(shard.manifest())
            assert sources and all(shard_of(s, 3) == number for s in sources)
        assert set(ix.manifest()) == {p.relative_to(corpus).as_posix() for p in corpus.rglob("*.txt")}


@pytest.mark.parametrize("options", [
    {},
    {"limit": 100},
    {"limit": 5, "offset": 7, "total": True},
    {"where": {"publisher": ["Reuters", "AP"]}, "total": True},
    {"since": "2015", "until": "2019-06", "total": True},
    {"group_by": "article", "limit": 8, "total": True},
    {"sort": "-date", "limit": 12},
    {"sort": "date", "limit": 12, "where": ["source=wire/*"]},
    {"facets": "publisher,author,year", "limit": 5},
    {"highlight": False, "limit": 30},
], ids=lambda o: ",".join(o) or "plain")
def test_sharded_results_equal_one_index(pair: tuple[Path, Path, Path], options: dict[str, Any]) -> None:
    corpus, one, sharded = pair
    with Searcher(one) as a, Searcher(sharded) as b:
        assert type(b).__name__ == "ShardedSearcher"
        for query in queries(corpus):
            same(a.search(query, **options), b.search(query, **options))


def test_syntax_listing_and_similar_equal_one_index(pair: tuple[Path, Path, Path]) -> None:
    corpus, one, sharded = pair
    with Searcher(one) as a, Searcher(sharded) as b:
        for query in ['"the president"', "senat*", "resolution OR vaccine", "heat~ AND NOT water", "title:new"]:
            same(a.search(query, syntax=True, limit=50, total=True), b.search(query, syntax=True, limit=50, total=True))
        same(a.search("", where={"publisher": "BBC News"}, limit=50), b.search("", where={"publisher": "BBC News"}, limit=50))
        found = a.search("senate resolution chechnya", limit=5).hits
        assert len(found) == 5
        for hit in found:
            same(a.similar(hit.passage_id, limit=20, total=True), b.similar(hit.passage_id, limit=20, total=True))
            assert a.show(hit.passage_id) == b.show(hit.passage_id)
        doc = found[0]
        assert a.passages_of(doc.doc_id, doc.source) == b.passages_of(doc.doc_id, doc.source)


def test_a_rare_word_finds_its_close_spellings_in_other_shards(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # Spellings of one name, spread so that each shard of 3 holds one of them.
    names = {"Kadyrov": None, "Kadirov": None, "Kadyrow": None}
    sources: dict[int, str] = {}
    for number in range(200):
        source = f"a{number}.txt"
        if shard_of(source, 3) not in sources:
            sources[shard_of(source, 3)] = source
    filler = "The council met again on Tuesday to discuss the budget and the roads."
    for (name, _), source in zip(names.items(), sources.values()):
        (corpus / source).write_text(f"Talks\n\n{name} spoke to the council on Monday.\n", encoding="utf-8")
    for number in range(12):
        (corpus / f"filler{number}.txt").write_text(f"Budget {number}\n\n{filler}\n", encoding="utf-8")
    searchkit.build_index(corpus, tmp_path / "one")
    searchkit.build_index(corpus, tmp_path / "sharded", shards=3)
    with Searcher(tmp_path / "one") as a, Searcher(tmp_path / "sharded") as b:
        for query in ["Kadyrov", "Kadirow", "kadyrov council"]:
            x, y = a.search(query, limit=10), b.search(query, limit=10)
            same(x, y)
        assert len(b.search("Kadyrov").hits) == 3  # the name, and both spellings from other shards
        assert b.search("Kadyrovv").suggestion == a.search("Kadyrovv").suggestion is not None


def test_an_update_touches_only_the_shards_of_changed_files(pair: tuple[Path, Path, Path], tmp_path: Path) -> None:
    corpus, _, built = pair
    work, index = working_copy(tmp_path, corpus, built)
    before = {p: sorted(x.name for x in p.glob("_MAIN_*.toc")) for p in shard_paths(index)}
    changed = "wire/story-011.txt"
    (work / changed).write_text("Changed\n\nA new text about lighthouses and tides.\n", encoding="utf-8")
    report = searchkit.build_index(work, index)
    assert report.updated == (changed,) and not report.added and not report.removed
    owner = shard_of(changed, 3)
    for number, path in enumerate(shard_paths(index)):
        after = sorted(x.name for x in path.glob("_MAIN_*.toc"))
        assert (after != before[path]) == (number == owner), number
    with Searcher(index) as searcher:
        hits = searcher.search("lighthouses").hits
        assert [h.source for h in hits] == [changed]


def test_shard_count_changes_need_rebuild_and_rebuild_reshards(pair: tuple[Path, Path, Path], tmp_path: Path) -> None:
    corpus, one, built = pair
    index = tmp_path / "index"
    shutil.copytree(built, index)
    with pytest.raises(IndexMismatchError, match=r"has 3 shards, not 2; re-shard it: searchkit index --rebuild --shards 2"):
        searchkit.build_index(corpus, index, shards=2)
    flat = tmp_path / "flat"
    shutil.copytree(one, flat)
    with pytest.raises(IndexMismatchError, match=r"is not sharded; shard it: searchkit index --rebuild --shards 4"):
        searchkit.build_index(corpus, flat, shards=4)
    with Searcher(one) as reference:
        expected = reference.search("senate resolution chechnya", limit=30)
    assert len(expected.hits) == 30
    for target, count in ((index, 2), (flat, 4)):
        searchkit.build_index(corpus, target, shards=count, rebuild=True)
        assert len(shard_paths(target)) == count
        assert len([p for p in target.iterdir() if p.is_dir()]) == 1  # the old shards are gone
        assert not list(target.glob("_MAIN_*.toc"))  # so are an unsharded index's files
        with Searcher(target) as searcher:
            same(expected, searcher.search("senate resolution chechnya", limit=30))


def test_a_missing_shard_fails_searches_unless_partial_results_are_asked(pair: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, one, built = pair
    index = tmp_path / "index"
    shutil.copytree(built, index)
    shutil.rmtree(shard_paths(index)[1])
    with pytest.raises(IndexDamagedError, match=r"shard 001 is missing; rebuild it: searchkit index"):
        Searcher(index)
    with Searcher(index, partial=True) as searcher:
        found = searcher.search("senate", limit=100, total=True)
        assert found.partial and found.missing_shards == (str(shard_paths(index)[1].relative_to(index)),)
        assert all(shard_of(h.source, 3) != 1 for h in found.hits)
        assert found.to_dict()["missing_shards"] == list(found.missing_shards)
    # A damaged shard is named as well.
    shutil.copytree(built, tmp_path / "damaged")
    for toc in shard_paths(tmp_path / "damaged")[2].glob("_MAIN_*.toc"):
        toc.write_bytes(b"not a table of contents")
    with pytest.raises(IndexDamagedError, match=r"shard 002"):
        Searcher(tmp_path / "damaged")


def test_index_repairs_a_missing_shard(pair: tuple[Path, Path, Path], tmp_path: Path) -> None:
    corpus, one, built = pair
    index = tmp_path / "index"
    shutil.copytree(built, index)
    shutil.rmtree(shard_paths(index)[0])
    report = searchkit.build_index(corpus, index)
    assert report.added and all(shard_of(s, 3) == 0 for s in report.added)
    with Searcher(one) as a, Searcher(index) as b:
        same(a.search("senate", limit=50, total=True), b.search("senate", limit=50, total=True))


def test_cli_builds_searches_and_refuses_a_shard_count_change(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path, articles=20)
    runner = CliRunner()
    index, flat = tmp_path / "index", tmp_path / "flat"
    done = runner.invoke(main, ["index", "--corpus", str(corpus), "--index", str(index), "--shards", "2"])
    assert done.exit_code == 0, done.output
    assert "shard 000:" in done.output and "shard 001:" in done.output
    runner.invoke(main, ["index", "--corpus", str(corpus), "--index", str(flat), "-q"])
    a = runner.invoke(main, ["search", "senate resolution", "--index", str(flat), "--format", "json", "-n", "20"])
    b = runner.invoke(main, ["search", "senate resolution", "--index", str(index), "--format", "json", "-n", "20"])
    assert a.exit_code == b.exit_code == 0 and json.loads(a.output) == json.loads(b.output)
    refused = runner.invoke(main, ["index", "--corpus", str(corpus), "--index", str(index), "--shards", "3"])
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert "re-shard it: searchkit index --rebuild --shards 3" in refused.output
    shown = runner.invoke(main, ["show", json.loads(b.output)["hits"][0]["passage_id"], "--index", str(index)])
    assert shown.exit_code == 0, shown.output


def test_copies_in_other_shards_merge_as_in_one_index(tmp_path: Path) -> None:
    from test_copies import _corpus

    corpus = _corpus(tmp_path)
    searchkit.build_index(corpus, tmp_path / "one")
    searchkit.build_index(corpus, tmp_path / "sharded", shards=3)
    sources = ["a.txt", "b.txt", "c.txt", "e.txt"]
    assert len({shard_of(s, 3) for s in sources}) > 1  # the copies lie in different shards
    with Searcher(tmp_path / "one") as a, Searcher(tmp_path / "sharded") as b:
        for options in ({}, {"copies": "separate"}, {"copies": "none"}, {"group_by": "article"}, {"sort": "date"},
                        {"offset": 1, "limit": 2}):
            same(a.search("reservoir dam leaking repairs", **options), b.search("reservoir dam leaking repairs", **options))
        merged = b.search("reservoir dam leaking repairs").hits[0]
        assert len(merged.copies) == 3  # two near copies and one word for word, from other shards too
        hit = a.search("reservoir dam").hits[0]
        same(a.similar(hit.passage_id, total=True), b.similar(hit.passage_id, total=True))
