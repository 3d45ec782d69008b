"""Search: questions find their answers, both query modes, highlights, hits as plain records."""

from __future__ import annotations

import dataclasses
import importlib
import pickle
from pathlib import Path
from typing import Any

import pytest

import searchkit
from searchkit.ingest import source_text

from conftest import BUNDLED, write

QUESTION = "Who introduced Senate Resolution 211?"


def test_question_ranks_the_answer_first(bundled_index: Path) -> None:
    results = searchkit.search(QUESTION, index=bundled_index)
    top = results[0]
    assert "Pat Toomey" in top.text and "Ed Markey" in top.text
    assert top.doc_id == "000_b4a1880a0ab40fd3"


@pytest.mark.parametrize(
    ("query", "doc_id", "needle"),
    [
        ("Which house resolution did Ileana Ros-Lehtinen introduce?", "001_a0a0058218b2342f", "House resolution 351"),
        ("Where was Maxim Lapunov locked up?", "000_b4a1880a0ab40fd3", "blood-soaked cellar"),
        ("Ruslan boyfriend phone", "002_5883718dadfc0e72", "Ruslan"),
        ("What did the State Department say about Oyub Titiev?", "004_912fc622c2e6cf7e", "Oyub Titiev"),
        ("Igor Kochetkov G20 leaders", "003_20a889af627007e3", "G20"),
    ],
)
def test_pinned_answers(bundled_index: Path, query: str, doc_id: str, needle: str) -> None:
    top = searchkit.search(query, index=bundled_index)[0]
    assert (top.doc_id, needle in top.text) == (doc_id, True)


def test_every_hit_cites_its_source_exactly(bundled_index: Path) -> None:
    for query in (QUESTION, "Chechnya", "human rights violations", "the"):
        for hit in searchkit.search(query, index=bundled_index, limit=50):
            assert source_text(BUNDLED, hit.source, hit.doc_id)[hit.start : hit.end] == hit.text


def test_hits_are_frozen_plain_records(bundled_index: Path) -> None:
    results = searchkit.search("Chechnya", index=bundled_index, limit=3)
    hit = results[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        hit.score = 0.0  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(results)) == results
    assert [h.rank for h in results] == [1, 2, 3]
    assert results[0].score >= results[1].score >= results[2].score
    assert str(hit.citation).startswith(f'"{hit.title}"')


def test_highlights_are_the_unstemmed_words(bundled_index: Path) -> None:
    hit = searchkit.search("condemnation", index=bundled_index)[0]
    marked = {hit.text[a:b].lower() for a, b in hit.highlights}
    assert marked and all(w.startswith("condemn") for w in marked)
    assert marked & {"condemns", "condemned", "condemning", "condemn"}


def test_each_hit_marks_only_its_own_words(tmp_path: Path) -> None:
    # The hits of one search share one highlight pattern: a word form found in one
    # hit must not be marked in another where it is part of a longer token.
    corpus = tmp_path / "corpus"
    write(corpus, "a.txt", "Oil\n\nThe oil price fell as oils flowed.")
    write(corpus, "b.txt", "Markets\n\nOily rags, an oil-rich state and a spoil heap (oils).")
    searchkit.build_index(corpus, tmp_path / "index")
    hits = searchkit.search("oils", index=tmp_path / "index").hits
    marked = {hit.doc_id: [hit.text[a:b] for a, b in hit.highlights] for hit in hits}
    assert marked == {"a": ["oil", "oils"], "b": ["oil", "oils"]}
    with searchkit.Searcher(tmp_path / "index") as searcher:
        for hit in hits:
            assert searcher.highlights(hit.text, {"oil"}) == hit.highlights


def test_stop_words_alone_still_search(bundled_index: Path) -> None:
    assert searchkit.search("the who", index=bundled_index).hits


def test_plain_mode_treats_syntax_as_words(bundled_index: Path) -> None:
    hits = searchkit.search('Cancer? "NOT" title:(Chechnya AND', index=bundled_index).hits
    assert hits and any("Chechnya" in h.text for h in hits)


def test_syntax_mode_operators(bundled_index: Path) -> None:
    def docs(q: str) -> set[str]:
        return {h.doc_id for h in searchkit.search(q, index=bundled_index, syntax=True, limit=100)}

    assert docs("Toomey") == {"000_b4a1880a0ab40fd3"}
    assert docs('"human rights" AND Tillerson') <= {"000_b4a1880a0ab40fd3", "001_a0a0058218b2342f"}
    excluded = searchkit.search("Chechnya NOT Toomey NOT Kadyrov", index=bundled_index, syntax=True, limit=100)
    assert excluded.hits and all("Toomey" not in h.text and "Kadyrov" not in h.text for h in excluded)
    assert docs("Kochet*") == {"003_20a889af627007e3", "004_912fc622c2e6cf7e"}
    assert docs("Kochetkof~") == {"003_20a889af627007e3", "004_912fc622c2e6cf7e"}
    assert docs("author:jones") == {"002_5883718dadfc0e72"}
    assert docs("title:congress") == {"001_a0a0058218b2342f"}


def test_no_two_hits_share_text(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    for name in ("a", "b", "c"):
        write(corpus, f"{name}.txt", f"Copy {name}\n\nThe identical wire story about the flood.\n")
    searchkit.build_index(corpus, tmp_path / "ix")
    hits = searchkit.search("flood", index=tmp_path / "ix").hits
    assert len(hits) == 1


def test_batch_and_show(bundled_index: Path) -> None:
    batch = searchkit.search_batch([("q1", QUESTION), ("q2", "Kadyrov")], index=bundled_index, limit=2)
    assert [r.query_id for r in batch] == ["q1", "q2"]
    context = searchkit.show(batch[0][0].passage_id, index=bundled_index)
    assert context.passage.text == batch[0][0].text
    assert context.previous is None and context.next is not None
    assert context.next.ordinal == context.passage.ordinal + 1
    with pytest.raises(searchkit.PassageNotFoundError, match="no passage with id 'nope'"):
        searchkit.show("nope", index=bundled_index)


def test_bad_queries_raise_query_error(bundled_index: Path) -> None:
    for query in ("", "   ", "?!", "x" * 20_000):
        with pytest.raises(searchkit.QueryError):
            searchkit.search(query, index=bundled_index)
    with pytest.raises(searchkit.QueryError, match="limit"):
        searchkit.search("x", index=bundled_index, limit=0)


def test_searcher_sees_new_commits(corpus: Path, index_dir: Path) -> None:
    searchkit.build_index(corpus, index_dir)
    with searchkit.Searcher(index_dir) as searcher:
        assert not searcher.search("zeppelin").hits
        write(corpus, "z.txt", "Z\n\nA zeppelin over the city.\n")
        searchkit.build_index(corpus, index_dir)
        assert searcher.search("zeppelin")[0].doc_id == "z"


def test_public_names_are_pinned() -> None:
    assert sorted(searchkit.__all__) == sorted(
        [
            "__version__", "SearchkitError", "CorpusError", "IndexNotFoundError", "IndexMismatchError", "IndexDamagedError", "SearchUnavailableError",
            "IndexLockedError", "IndexWriteError", "QueryError", "PassageNotFoundError", "EvaluationError", "ExportError", "Article",
            "Passage", "Citation", "Copy", "Hit", "SearchResults", "PassageContext", "Skipped", "IndexReport",
            "Settings", "read_corpus", "source_text", "split_article", "Index", "open_index",
            "create_index", "build_index", "Searcher", "search", "search_batch", "show", "similar",
            "CheckReport", "check_index", "repair_index",
        ]
    )
    for name in searchkit.__all__:
        assert hasattr(searchkit, name)
    assert all(issubclass(getattr(searchkit, n), searchkit.SearchkitError) for n in searchkit.__all__ if n.endswith("Error"))


def test_thread_searchers_close_when_their_thread_ends_or_on_close(bundled_index: Path) -> None:
    import gc
    import threading

    def files_closed(reading: Any) -> bool:
        """Whether the segment readers under a thread's reading have closed their files."""
        return all(reader.is_closed for reader, _ in reading.reader().leaf_readers())

    searcher = searchkit.Searcher(bundled_index)
    live_opened: list[object] = []
    short_opened: list[object] = []
    ready, release = threading.Event(), threading.Event()

    def live_work() -> None:
        searcher.search("Chechnya")
        live_opened.append(searcher._readings._local.reading)
        ready.set()
        release.wait(30)

    def short_work() -> None:
        searcher.search("Chechnya")
        short_opened.append(searcher._readings._local.reading)

    live = threading.Thread(target=live_work, daemon=True)
    live.start()
    try:
        assert ready.wait(30)
        for _ in range(20):  # a thread per request: each one's searcher must not outlive it
            t = threading.Thread(target=short_work)
            t.start()
            t.join()
        gc.collect()
        assert len(short_opened) == 20 and len(searcher._readings._open) == 1
        assert all(files_closed(s) for s in short_opened) and not files_closed(live_opened[0])
        searcher.close()
        assert files_closed(live_opened[0])
    finally:
        release.set()
        live.join()


def test_search_in_another_thread_after_close_opens_again(bundled_index: Path) -> None:
    import threading

    searcher = searchkit.Searcher(bundled_index, close_index=False)
    found: list[object] = []
    ready, go = threading.Event(), threading.Event()

    def work() -> None:
        searcher.search("Chechnya")
        ready.set()
        go.wait(30)
        try:
            found.append(len(searcher.search("Chechnya").hits))
        except Exception as exc:  # the failure being guarded against
            found.append(exc)

    t = threading.Thread(target=work, daemon=True)
    t.start()
    assert ready.wait(30)
    searcher.close()
    go.set()
    t.join()
    assert found and isinstance(found[0], int) and found[0] > 0
    searcher.close()
    searcher.index.close()


def test_time_limit_is_one_budget_for_all_segments(corpus: Path, tmp_path: Path) -> None:
    import itertools

    for n in range(6):
        write(corpus, f"z{n}.txt", f"Zeppelin {n}\n\nA zeppelin number {n} flew over the harbour.\n")
        searchkit.build_index(corpus, tmp_path / "ix")  # one small segment per file
    ticks = itertools.count()  # a clock that moves one second each time it is read
    with searchkit.Searcher(tmp_path / "ix", clock=lambda: float(next(ticks))) as searcher:
        assert len(searcher._searcher().leaf_searchers()) >= 6
        result = searcher.search("zeppelin", time_limit=2.5)
    assert result.timed_out and len(result.hits) < 6


def test_top_hits_are_the_exhaustive_ranking(tmp_path: Path) -> None:
    # A search for 10 hits skips what cannot reach them (searchkit's bar for plain
    # words, Whoosh's block skipping for feedback); asking for more hits than there
    # are passages scores every passage. Both must agree (feedback's AndMaybe once
    # hid an OR whose best possible score was under-reported).
    import random

    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(60)] + ["alpha", "beta", "gamma", "delta"]
    weights = [1.0 / (rank + 1) for rank in range(len(vocab))]
    corpus = tmp_path / "c"
    corpus.mkdir()
    for number in range(40):
        paragraphs = []
        for _ in range(25):
            paragraphs.append(" ".join(rng.choices(vocab, weights, k=rng.randint(45, 70))) + ".")
        write(corpus, f"a{number:02d}.txt", f"Article {number}\n\n" + "\n\n".join(paragraphs))
    index = tmp_path / "ix"
    searchkit.build_index(corpus, index, settings=searchkit.Settings(min_chars=50))
    queries = ["w0 w3 alpha", "w1 w2 w5 beta gamma", "w10 w20 w30", "delta w0", "w4 w7 w9 w11"]
    for settings in (searchkit.Settings(), searchkit.Settings(feedback_docs=5)):
        with searchkit.Searcher(index, settings) as searcher:
            for query in queries:
                top = [round(h.score, 4) for h in searcher.search(query, limit=10, highlight=False).hits]
                every = [round(h.score, 4) for h in searcher.search(query, limit=5000, highlight=False).hits[:10]]
                assert top == every, (query, settings.feedback_docs)


def _whoosh_exhaustive(searcher: searchkit.Searcher, query: str, limit: int) -> list[tuple[str, float]]:
    """What Whoosh's matchers score for every passage holding a query word, one
    passage per text (the best; ties: the first), best first: the reference."""
    ws = searcher._searcher()
    words, _ = searcher._plain_query(query)
    parsed = importlib.import_module("searchkit.search.syntax").words_query(words.leaves)
    best: dict[object, tuple[float, int]] = {}
    for hit in ws.search(parsed, limit=None):
        key = hit["text"]
        if key not in best or hit.score > best[key][0] + 1e-9:
            best[key] = (hit.score, hit.docnum)
    ranked = sorted(best.values(), key=lambda item: (-round(item[0], 9), item[1]))
    # Passages that hold a query word in their own text come first (title-only matches after).
    stems = {stem for _, stem, _ in words.leaves}
    own = [item for item in ranked if stems & set(ws.stored_fields(item[1])["text"].replace(".", " ").replace(",", " ").lower().split())]
    ranked = (own + [item for item in ranked if item not in own])[:limit]
    return [(ws.stored_fields(docnum)["passage_id"], round(score, 6)) for score, docnum in ranked]


@pytest.mark.parametrize(
    "settings",
    [searchkit.Settings(min_chars=50), searchkit.Settings(min_chars=50, one_field=False, idf="whoosh", title_b=0.3)],
    ids=["defaults", "two-fields"],
)
def test_plain_words_rank_as_whoosh_scores_every_passage(tmp_path: Path, settings: searchkit.Settings) -> None:
    # Plain-words queries are scored by searchkit itself, posting by posting; the
    # scores and order must be what Whoosh's own matchers give when they score every
    # passage (no block skipping), over several segments, deleted passages, copies
    # of one text, words repeated in the query, and words with one posting.
    import random

    rng = random.Random(11)
    vocab = [f"w{i}" for i in range(80)] + ["alpha", "beta", "gamma"]
    weights = [1.0 / (rank + 1) for rank in range(len(vocab))]
    corpus = tmp_path / "c"
    corpus.mkdir()
    index = tmp_path / "ix"
    for batch in range(4):  # one segment per batch
        for number in range(8):
            paragraphs = [" ".join(rng.choices(vocab, weights, k=rng.randint(20, 70))) + "." for _ in range(6)]
            title = " ".join(rng.choices(vocab[:12], k=3))
            write(corpus, f"a{batch}{number}.txt", f"{title}\n\n" + "\n\n".join(paragraphs))
        write(corpus, f"only{batch}.txt", f"Rare\n\nThe word uniq{batch} is in this passage and nowhere else at all, {batch}.")
        searchkit.build_index(corpus, index, settings=settings)
    (corpus / "a13.txt").write_text((corpus / "a02.txt").read_text())  # a second copy of every passage
    (corpus / "a21.txt").unlink()  # deleted passages in an older segment
    searchkit.build_index(corpus, index, settings=settings)
    queries = ["w0 w3 alpha", "w1 w2 w5 beta gamma", "w10 w20 w30", "w4 w4 w7", "uniq2", "uniq1 w40", "w60 w70 w79 w5"]
    with searchkit.Searcher(index) as searcher:
        assert len(searcher._searcher().leaf_searchers()) >= 3
        assert searcher._searcher().reader().has_deletions()
        for query in queries:
            for limit in (1, 10, 1000):
                got = [(h.passage_id, h.score) for h in searcher.search(query, limit=limit, highlight=False).hits]
                assert got == _whoosh_exhaustive(searcher, query, limit), (query, limit)


def test_feedback_reranks_or_expands(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    write(corpus, "a.txt", "Quokka\n\nThe quokka is a small marsupial of Rottnest Island, where tourists photograph it.")
    write(corpus, "b.txt", "Island\n\nRottnest Island marsupial colonies draw tourists who photograph wildlife.")
    write(corpus, "c.txt", "Budget\n\nThe chancellor presented the budget to parliament on Wednesday.")
    searchkit.build_index(corpus, tmp_path / "ix", settings=searchkit.Settings(min_chars=20))

    def sources(**changes: object) -> list[str]:
        with searchkit.Searcher(tmp_path / "ix", searchkit.Settings(**changes)) as searcher:  # type: ignore[arg-type]
            return [hit.source for hit in searcher.search("quokka").hits]

    assert sources() == ["a.txt"]
    assert sources(feedback_docs=1) == ["a.txt"]  # re-ranking only: every hit holds the word
    assert sources(feedback_docs=1, feedback_rerank=False) == ["a.txt", "b.txt"]  # found through its words


def test_highlight_pattern_finds_exactly_the_whole_tokens() -> None:
    # Highlighting searches for the matched words with one pattern instead of reading
    # every token; it must find what the tokenizer reads as whole tokens, nothing more.
    import re

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from searchkit.analysis import TOKEN_PATTERN

    highlight = importlib.import_module("searchkit.search.highlight")
    token = re.compile(TOKEN_PATTERN)

    @settings(max_examples=800, deadline=None)
    @given(st.text(alphabet="ab1é_.'’ -,\n²ßǅ٣\u0301", max_size=40), st.data())
    def check(text: str, data: st.DataObject) -> None:
        tokens = sorted({m.group() for m in token.finditer(text)})
        if not tokens:
            return
        chosen = frozenset(data.draw(st.lists(st.sampled_from(tokens), min_size=1)))
        expected = [m.span() for m in token.finditer(text) if m.group() in chosen]
        assert list(highlight._whole_token_spans(text, highlight._any_of(chosen))) == expected

    check()


def test_words_that_cannot_reach_the_top_are_read_only_where_needed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A rare word and a common one: once the best passages are known, the common
    # word's blocks without any passage holding the rare word are not read; the
    # ranking stays exact.
    corpus = tmp_path / "c"
    corpus.mkdir()
    index = tmp_path / "ix"
    for batch in range(3):
        for number in range(12):
            paragraphs = [f"The common word appears here, paragraph {p} of file {number} in batch {batch}." for p in range(25)]
            if number in (2, 5, 7, 9):  # more than a page with the passages fetched past it
                paragraphs[3] = f"A zanzibar spice ship docked; the common word again, batch {batch} file {number}."
            write(corpus, f"f{batch}{number:02d}.txt", f"File {batch} {number}\n\n" + "\n\n".join(paragraphs))
        searchkit.build_index(corpus, index, settings=searchkit.Settings(min_chars=20))
    whoosh_access = importlib.import_module("searchkit.search._whoosh")
    counts = {"blocks": 0, "read": 0}
    original = whoosh_access.posting_blocks

    def counting(*args):  # type: ignore[no-untyped-def]
        def read_counted(read):  # type: ignore[no-untyped-def]
            counts["read"] += 1
            return read()

        for last, read in original(*args):
            counts["blocks"] += 1
            yield last, lambda read=read: read_counted(read)

    monkeypatch.setattr(whoosh_access, "posting_blocks", counting)
    with searchkit.Searcher(index) as searcher:
        assert len(searcher._searcher().leaf_searchers()) >= 3
        for limit in (1, 3):
            # The zanzibar passages differ only in their numbers: near-copies, kept apart here.
            got = [(h.passage_id, h.score) for h in searcher.search("zanzibar common", limit=limit, copies="separate").hits]
            assert got == _whoosh_exhaustive(searcher, "zanzibar common", limit)
    assert counts["read"] < counts["blocks"]


def test_a_long_lived_searcher_sees_each_update_as_a_new_one_does(tmp_path: Path) -> None:
    # A server keeps one Searcher while the index is updated under it: replaced and
    # removed passages must go, scores must use the new statistics, and the files of
    # merged-away segments must not stay open.
    import os

    corpus = tmp_path / "corpus"
    for n in range(5):
        write(corpus, f"f{n}.txt", f"Title {n}\n\nThe zebra number {n} walked along quietly.")
    index = tmp_path / "ix"
    searchkit.build_index(corpus, index)

    def found(searcher: searchkit.Searcher) -> list[tuple[str, str, float]]:
        return [(h.source, h.text, h.score) for h in searcher.search("zebra", limit=50).hits]

    def open_index_files() -> list[str]:
        """The files of the index this process holds open (Linux only; elsewhere none)."""
        held = []
        for fd in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []:
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if target.startswith(str(index)):
                held.append(target)
        return held

    with searchkit.Searcher(index) as kept:
        found(kept)
        write(corpus, "f0.txt", "Title 0\n\nThe zebra was replaced by other words entirely.")
        (corpus / "f1.txt").unlink()
        searchkit.build_index(corpus, index)
        with searchkit.Searcher(index) as fresh:
            assert found(kept) == found(fresh)
        assert not any(source == "f1.txt" or "number 0" in text for source, text, _ in found(kept))
        for k in range(12):  # one small segment each, merged as they pile up
            write(corpus, f"n{k}.txt", f"New {k}\n\nAnother zebra, number {k}.")
            searchkit.build_index(corpus, index)
            found(kept)
        with searchkit.Searcher(index) as fresh:
            assert found(kept) == found(fresh)
        held = open_index_files()
        assert all(os.path.exists(path) for path in held), held  # no file of a merged-away segment


def test_close_closes_the_index_even_when_a_reading_fails_to_close(tmp_path: Path) -> None:
    # A search running in another thread while the searcher is closed can make closing
    # its reading raise inside Whoosh: the other readings and the index still close.
    import threading

    corpus = tmp_path / "corpus"
    write(corpus, "a.txt", "Zebras\n\nThe zebra walked along the harbour quietly.")
    searchkit.build_index(corpus, tmp_path / "ix")
    searcher = searchkit.Searcher(tmp_path / "ix")
    searcher.search("zebra")
    ready, release = threading.Event(), threading.Event()

    def work() -> None:
        searcher.search("zebra")
        ready.set()
        release.wait(30)  # alive: its reading stays registered

    other = threading.Thread(target=work)
    other.start()
    assert ready.wait(30)
    readings = list(searcher._readings._open.values())
    assert len(readings) == 2

    def fails() -> None:
        raise RuntimeError("dictionary changed size during iteration")

    readings[0].close = fails  # type: ignore[method-assign]
    closed = []
    searcher.index.close = lambda: closed.append(True)  # type: ignore[method-assign]
    try:
        searcher.close()
    finally:
        release.set()
        other.join()
    assert readings[1].is_closed and closed == [True]


def test_a_failure_inside_scoring_is_never_blamed_on_the_query(bundled_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # searchkit's own scoring reads postings through searchkit.search._whoosh: a bug
    # there is SearchUnavailableError, damaged data IndexDamagedError, never QueryError.
    import zlib

    whoosh_access = importlib.import_module("searchkit.search._whoosh")

    def failing(exc: Exception) -> Any:
        def posting_blocks(*args: object) -> object:
            raise exc

        return posting_blocks

    with searchkit.Searcher(bundled_index) as searcher:
        monkeypatch.setattr(whoosh_access, "posting_blocks", failing(RuntimeError("a bug")))
        with pytest.raises(searchkit.SearchUnavailableError, match=r"inside searchkit \(RuntimeError\)"):
            searcher.search("Chechnya")
        monkeypatch.setattr(whoosh_access, "posting_blocks", failing(zlib.error("bad block")))
        with pytest.raises(searchkit.IndexDamagedError):
            searcher.search("Chechnya")
        monkeypatch.undo()
        assert searcher.search("Chechnya").hits
