"""The index: settings recorded, incremental updates, refusing what it did not build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import searchkit
from searchkit.index import MANIFEST_FILE, SETTINGS_FILE, WriterOptions

from conftest import write


def doc_ids(index_dir: Path) -> set[str]:
    with searchkit.open_index(index_dir) as ix, ix.whoosh.searcher() as s:
        return {f["doc_id"] for f in s.all_stored_fields()}


def test_build_records_settings(built: Path) -> None:
    recorded = json.loads((built / SETTINGS_FILE).read_text())
    assert recorded["format"] == "searchkit-index"
    assert recorded["schema_version"] == searchkit.schema.SCHEMA_VERSION
    assert recorded["settings"] == searchkit.Settings().index_time()
    assert (built / MANIFEST_FILE).exists()


def test_incremental_add_change_delete(corpus: Path, index_dir: Path) -> None:
    first = searchkit.build_index(corpus, index_dir)
    assert len(first.added) == 5 and first.passages > 15

    again = searchkit.build_index(corpus, index_dir)
    assert not again.changed and len(again.unchanged) == 5
    assert again.passages == first.passages

    write(corpus, "new.txt", "Brand New Story\n\nA zeppelin landed in the harbour today.\n")
    (corpus / "002_5883718dadfc0e72.txt").write_text("Changed Title\n\nThe article now talks about marmalade.\n")
    (corpus / "004_912fc622c2e6cf7e.txt").unlink()
    report = searchkit.build_index(corpus, index_dir)
    assert report.added == ("new.txt",)
    assert report.updated == ("002_5883718dadfc0e72.txt",)
    assert report.removed == ("004_912fc622c2e6cf7e.txt",)
    assert len(report.unchanged) == 3
    assert "004_912fc622c2e6cf7e" not in doc_ids(index_dir)
    assert searchkit.search("zeppelin", index=index_dir)[0].doc_id == "new"
    assert searchkit.search("marmalade", index=index_dir)[0].doc_id == "002_5883718dadfc0e72"
    assert len(searchkit.search("bisexual men imprisoned", index=index_dir, limit=50).hits) > 0
    assert all(h.doc_id != "002_5883718dadfc0e72" for h in searchkit.search("Ruslan", index=index_dir))


def test_touched_but_identical_file_is_unchanged(corpus: Path, index_dir: Path) -> None:
    searchkit.build_index(corpus, index_dir)
    path = corpus / "000_b4a1880a0ab40fd3.txt"
    path.write_bytes(path.read_bytes())  # new mtime, same content
    report = searchkit.build_index(corpus, index_dir)
    assert not report.changed


def test_sidecar_change_reindexes_that_file(corpus: Path, index_dir: Path) -> None:
    searchkit.build_index(corpus, index_dir)
    with open(corpus / "metadata.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"path": "003_20a889af627007e3.txt", "date": "2017-07-05"}\n')
    report = searchkit.build_index(corpus, index_dir)
    assert report.updated == ("003_20a889af627007e3.txt",)
    hit = searchkit.search("G20 open letter", index=index_dir)[0]
    assert hit.doc_id == "003_20a889af627007e3" and hit.metadata["date"] == "2017-07-05"


def test_lost_manifest_is_rebuilt_from_the_index(corpus: Path, index_dir: Path) -> None:
    searchkit.build_index(corpus, index_dir)
    (index_dir / MANIFEST_FILE).unlink()
    report = searchkit.build_index(corpus, index_dir)
    assert not report.changed and len(report.unchanged) == 5


def test_duplicate_doc_id_is_skipped_not_overwritten(corpus: Path, index_dir: Path) -> None:
    searchkit.build_index(corpus, index_dir)
    write(corpus, "000_b4a1880a0ab40fd3.md", "# Impostor\n\nSame doc id, other file.\n")
    report = searchkit.build_index(corpus, index_dir)
    assert report.partial
    assert "already used" in report.skipped[0].reason
    assert not searchkit.search("impostor", index=index_dir).hits
    assert searchkit.search("Toomey", index=index_dir)[0].source == "000_b4a1880a0ab40fd3.txt"
    assert searchkit.build_index(corpus, index_dir).partial  # still reported on the next run


def test_settings_mismatch_is_refused_with_a_fix(built: Path) -> None:
    with pytest.raises(searchkit.IndexMismatchError, match="rebuild"):
        searchkit.open_index(built, searchkit.Settings(stemmer="snowball"))
    report = searchkit.build_index(built.parent / "corpus", built, searchkit.Settings(stemmer="snowball"), rebuild=True)
    assert report.passages > 0
    assert searchkit.open_index(built).settings.stemmer == "snowball"


def test_refuses_folders_it_did_not_build(tmp_path: Path) -> None:
    import whoosh.fields
    import whoosh.index

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    whoosh.index.create_in(str(foreign), whoosh.fields.Schema(x=whoosh.fields.TEXT))
    with pytest.raises(searchkit.IndexNotFoundError, match="did not build"):
        searchkit.open_index(foreign)
    with pytest.raises(searchkit.IndexNotFoundError, match="did not build"):
        searchkit.build_index(tmp_path, foreign)
    with pytest.raises(searchkit.IndexNotFoundError, match="no searchkit index"):
        searchkit.open_index(tmp_path / "missing")


def test_stemming_meets_word_forms(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    write(corpus, "a.txt", "A\n\nThe council condemned the plan.\n")
    write(corpus, "b.txt", "B\n\nThe mayor condemns it too.\n")
    write(corpus, "c.txt", "C\n\nA condemnation followed.\n")
    write(corpus, "d.txt", "D\n\nNothing to see here.\n")
    searchkit.build_index(corpus, tmp_path / "ix")
    for word in ("condemned", "condemns", "condemnation", "condemning"):
        hits = searchkit.search(word, index=tmp_path / "ix")
        assert {h.doc_id for h in hits} == {"a", "b", "c"}, word


def test_add_articles_in_memory(tmp_path: Path) -> None:
    ix = searchkit.create_index(tmp_path / "ix")
    article = searchkit.Article("m1", "memory", "Memo", "Budget talks resumed.", ((0, 21),))
    assert ix.add_articles([article]) == 1
    assert ix.add_articles([article]) == 1  # replaced, not doubled
    assert ix.passage_count() == 1
    ix.close()


def test_updates_merge_only_tiny_segments(corpus: Path, index_dir: Path) -> None:
    def segment_sizes() -> list[int]:
        with searchkit.open_index(index_dir) as ix:
            return sorted(seg.doc_count_all() for seg in ix.whoosh._segments())

    searchkit.build_index(corpus, index_dir)
    (first,) = segment_sizes()
    # The first build is not tiny here: updates must never rewrite it.
    options = WriterOptions(tiny_segment=first, max_tiny_segments=3)
    article = sorted(p for p in corpus.iterdir() if p.suffix == ".txt")[0]
    for round in range(7):
        article.write_text(article.read_text(encoding="utf-8") + f"\n\nA new paragraph number {round} on turnout.\n",
                           encoding="utf-8")
        report = searchkit.build_index(corpus, index_dir, writer_options=options)
        assert report.updated and report.passages == doc_passages(index_dir)
        sizes = segment_sizes()
        assert first in sizes  # the big segment stays (deleted passages are only marked)
        assert sum(1 for size in sizes if size < first) <= 3  # tiny ones are merged once there are three
    assert searchkit.search("paragraph number 6 turnout", index=index_dir).hits[0].source == article.name


def test_updates_rewrite_mostly_deleted_segments(corpus: Path, index_dir: Path) -> None:
    options = WriterOptions(tiny_segment=10)
    lines = [json.dumps({"id": f"d{i}", "title": f"T{i}", "text": f"Article {i} about zebra{i % 7} and apples."}) for i in range(40)]
    big = corpus / "big.jsonl"
    big.write_text("\n".join(lines) + "\n", encoding="utf-8")
    searchkit.build_index(corpus, index_dir, writer_options=options)
    for version in range(3):  # every passage of the big file is replaced each time
        big.write_text("\n".join(line.replace("apples", f"apples v{version}") for line in lines) + "\n", encoding="utf-8")
        assert searchkit.build_index(corpus, index_dir, writer_options=options).updated == ("big.jsonl",)
        with searchkit.open_index(index_dir) as ix:
            segments = ix.whoosh._segments()
            assert all(seg.doc_count() > 0 and seg.deleted_count() * 2 <= seg.doc_count_all() for seg in segments)
            # Dead passages count in BM25's statistics until their segment is rewritten.
            assert sum(seg.doc_count_all() for seg in segments) <= 2 * ix.passage_count()


def doc_passages(index_dir: Path) -> int:
    with searchkit.open_index(index_dir) as ix:
        return ix.passage_count()


def test_fold_accents_is_an_index_time_setting(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    write(corpus, "a.txt", "Zürich\n\nThe café in Zürich serves crème brûlée to naïve tourists every day.")
    folded, plain = tmp_path / "folded", tmp_path / "plain"
    searchkit.build_index(corpus, folded, settings=searchkit.Settings(min_chars=20))  # folded by default
    searchkit.build_index(corpus, plain, settings=searchkit.Settings(fold_accents=False, min_chars=20))
    hits = searchkit.search("zurich cafe", index=folded).hits
    assert [h.source for h in hits] == ["a.txt"]
    text = hits[0].text
    assert sorted(text[a:b] for a, b in hits[0].highlights) == ["Zürich", "café"]
    assert searchkit.search("Zürich", index=folded).hits  # accented queries fold too
    exact = searchkit.Settings(min_chars=20, fold_accents=False, variant_weight=0)
    assert not searchkit.search("zurich cafe", index=plain, settings=exact).hits
    # Unfolded, a rare word still finds its accented spelling as a name variant, and says so.
    (hit,) = searchkit.search("zurich cafe", index=plain).hits
    assert hit.matched == {"zurich": "Zürich"}
    with pytest.raises(searchkit.IndexMismatchError, match="fold_accents"):
        searchkit.open_index(plain, searchkit.Settings(min_chars=20))


def test_settings_recorded_before_a_new_setting_still_open(corpus: Path, tmp_path: Path) -> None:
    built = tmp_path / "old"
    searchkit.build_index(corpus, built, searchkit.Settings(fold_accents=False))  # as indexes were then
    recorded = json.loads((built / SETTINGS_FILE).read_text(encoding="utf-8"))
    del recorded["settings"]["fold_accents"]  # as written before the setting existed
    (built / SETTINGS_FILE).write_text(json.dumps(recorded), encoding="utf-8")
    with searchkit.open_index(built) as ix:
        assert ix.settings.fold_accents is False  # the default of its time, not today's
    with searchkit.open_index(built, searchkit.Settings(fold_accents=False)) as ix:
        assert ix.settings.fold_accents is False
    with pytest.raises(searchkit.IndexMismatchError, match="fold_accents"):
        searchkit.open_index(built, searchkit.Settings())


def test_manifest_changes_go_to_a_journal_until_it_is_folded_in(corpus: Path, index_dir: Path) -> None:
    from searchkit.index import MANIFEST_JOURNAL

    journal = WriterOptions(journal_share=10.0)
    searchkit.build_index(corpus, index_dir, writer_options=journal)
    whole = (index_dir / MANIFEST_FILE).read_bytes()
    assert not (index_dir / MANIFEST_JOURNAL).exists()

    write(corpus, "new.txt", "Brand New Story\n\nA zeppelin landed in the harbour today.\n")
    (corpus / "004_912fc622c2e6cf7e.txt").unlink()
    report = searchkit.build_index(corpus, index_dir, writer_options=journal)
    assert report.added == ("new.txt",) and report.removed == ("004_912fc622c2e6cf7e.txt",)
    assert (index_dir / MANIFEST_FILE).read_bytes() == whole  # not rewritten
    lines = (index_dir / MANIFEST_JOURNAL).read_text().splitlines()
    assert len(lines) == 1 and set(json.loads(lines[0])["files"]) == {"new.txt"}

    with searchkit.open_index(index_dir) as ix:
        manifest = ix.manifest()
    assert "new.txt" in manifest and "004_912fc622c2e6cf7e.txt" not in manifest
    assert not searchkit.build_index(corpus, index_dir, writer_options=journal).changed

    (corpus / "new.txt").write_text("Brand New Story\n\nThe zeppelin left again.\n")
    assert searchkit.build_index(corpus, index_dir, writer_options=WriterOptions(journal_share=0.0)).updated == ("new.txt",)
    assert not (index_dir / MANIFEST_JOURNAL).exists()  # folded into manifest.json
    assert "zeppelin" not in whole.decode() and "new.txt" in (index_dir / MANIFEST_FILE).read_text()
    assert not searchkit.build_index(corpus, index_dir).changed


@pytest.mark.parametrize("damage", ["cut", "stale"])
def test_damaged_or_stale_journal_falls_back_to_the_index(corpus: Path, index_dir: Path, damage: str) -> None:
    from searchkit.index import MANIFEST_JOURNAL

    share = WriterOptions(journal_share=10.0)
    searchkit.build_index(corpus, index_dir, writer_options=share)
    write(corpus, "new.txt", "Brand New Story\n\nA zeppelin landed in the harbour today.\n")
    searchkit.build_index(corpus, index_dir, writer_options=share)
    journal = index_dir / MANIFEST_JOURNAL
    if damage == "cut":  # a crash in the middle of the append
        journal.write_bytes(journal.read_bytes()[:-9])
    else:  # a line written against an older manifest.json
        record = json.loads(journal.read_text())
        record["base"] -= 1
        record["removed"] = ["002_5883718dadfc0e72.txt"]  # applied, it would look new
        journal.write_text(json.dumps(record) + "\n")
    report = searchkit.build_index(corpus, index_dir)
    assert not report.changed and len(report.unchanged) == 6
    assert searchkit.search("zeppelin harbour", index=index_dir)[0].source == "new.txt"


def test_update_leaves_the_hosts_frozen_objects_frozen(corpus: Path, index_dir: Path) -> None:
    import gc

    searchkit.build_index(corpus, index_dir)
    host = [[n] for n in range(3)]  # an object of the host's, frozen with the rest
    gc.freeze()  # as a server does before it forks workers
    try:
        assert not any(o is host for o in gc.get_objects())  # frozen objects are not listed
        write(corpus, "new.txt", "Brand New Story\n\nA zeppelin landed in the harbour today.\n")
        assert searchkit.build_index(corpus, index_dir).added == ("new.txt",)
        # Still frozen (the count itself may drop: frozen objects the update replaced are freed).
        assert not any(o is host for o in gc.get_objects())
    finally:
        gc.unfreeze()
    assert gc.isenabled()


def test_manifest_written_as_columns_and_the_older_form_still_read(
    corpus: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from searchkit.index import MANIFEST_JOURNAL, Index

    searchkit.build_index(corpus, index_dir)
    data = json.loads((index_dir / MANIFEST_FILE).read_text())
    assert sorted(data["sources"]) == sorted(p.name for p in corpus.iterdir() if p.suffix in {".txt", ".md", ".html"})
    with searchkit.open_index(index_dir) as ix:
        entries = ix.manifest()
    # The form written before columns: a dict per file.
    old_form = {"generation": data["generation"], "files": entries}
    (index_dir / MANIFEST_FILE).write_text(json.dumps(old_form))

    def no_rebuild(self: Index) -> None:
        raise AssertionError("the manifest was not read")

    monkeypatch.setattr(Index, "_manifest_from_index", no_rebuild)
    report = searchkit.build_index(corpus, index_dir)
    assert not report.changed and len(report.unchanged) == len(entries)
    # A run that changes nothing writes nothing.
    assert not (index_dir / MANIFEST_JOURNAL).exists()
    assert json.loads((index_dir / MANIFEST_FILE).read_text()) == json.loads(json.dumps(old_form))


def test_reading_the_manifest_leaves_an_updates_own_copy_alone(corpus: Path, index_dir: Path) -> None:
    # manifest() runs without the write lock, beside updates of the same Index object.
    searchkit.build_index(corpus, index_dir)
    with searchkit.open_index(index_dir) as ix:
        ix.update(corpus)
        kept = ix._manifest.saved
        assert kept is not None and ix.manifest() == {source: entry.as_dict() for source, entry in kept.items()}
        assert ix._manifest.saved is kept


def test_manifest_entries_read_back_as_written() -> None:
    from searchkit.index.manifest import _Entry, _manifest_columns, _manifest_files

    entries = {
        "a.txt": _Entry("d1", 10, 20, "m", ("a",), ()),
        "b.jsonl": _Entry("d2", 11, 21, "m", ("b1", "b2"), (("b.jsonl#3", "no text"),)),
    }
    data = json.loads(json.dumps({"generation": 1, **_manifest_columns(entries)}))
    assert data["problems"] == {"b.jsonl": [["b.jsonl#3", "no text"]]}
    assert _manifest_files(data) == entries
    assert _manifest_files({"files": {s: e.as_dict() for s, e in entries.items()}}) == entries
    assert _Entry.of({"digest": "d"}) == _Entry("d", -1, -1, "", (), ())  # an older entry with fields missing


def test_dotted_acronyms_meet_their_plain_spelling(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    write(corpus, "a.txt", "Washington\n\nThe U.S. State Department said it would respond on Monday.")
    write(corpus, "b.txt", "Moscow\n\nThe US embassy in Moscow was closed for the holiday, officials said.")
    write(corpus, "c.txt", "Brussels\n\nThe E.U. summit ended without a deal on fishing quotas.")
    index = tmp_path / "ix"
    searchkit.build_index(corpus, index, settings=searchkit.Settings(min_chars=20))
    with searchkit.Searcher(index) as searcher:
        for query in ("US", "U.S.", "u.s"):
            hits = searcher.search(query).hits
            assert {h.source for h in hits} == {"a.txt", "b.txt"}, query
            assert {h.text[a:b] for h in hits for a, b in h.highlights} == {"U.S", "US"}
        assert [h.source for h in searcher.search("EU summit").hits][:1] == ["c.txt"]
        # "us" the pronoun, typed in lower case among other words, stays a stop word.
        assert searcher.search("tell us about the embassy").hits[0].source == "b.txt"


def test_index_takes_index_time_settings_on_the_command_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from searchkit.cli import main

    corpus = tmp_path / "c"
    write(corpus, "a.txt", "Zürich\n\nThe café in Zürich serves crème brûlée to naïve tourists every day.")
    index = tmp_path / "ix"
    runner = CliRunner()
    built = runner.invoke(main, ["index", "--corpus", str(corpus), "--index", str(index), "--set", "fold_accents=false", "-q"])
    assert built.exit_code == 0, built.output
    assert json.loads((index / SETTINGS_FILE).read_text(encoding="utf-8"))["settings"]["fold_accents"] is False
    (hit,) = searchkit.search("zurich cafe", index=index).hits
    assert hit.matched == {"zurich": "Zürich"}  # accents kept: found as a spelling variant
    bad = runner.invoke(main, ["index", "--corpus", str(corpus), "--index", str(index), "--set", "fold=yes"])
    assert bad.exit_code == 2 and "cannot read the setting 'fold=yes'" in bad.output
    other = runner.invoke(main, ["index", "--corpus", str(corpus), "--index", str(index), "--set", "min_chars=20"])
    assert other.exit_code == 1 and "--rebuild" in other.output
