"""The speed paths give the same results as the plain ones: the one-step English
filter, the parallel writer, the saved stem table and the lazy imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest
from whoosh.analysis import LowercaseFilter, RegexTokenizer

import searchkit
from searchkit import analysis
from searchkit.index import WriterOptions, core, layout, parallel, stems as stems_module, writing
from searchkit.settings import STEMMERS

TRICKY = (
    "Chechnya’s leaders' U.S. envoy didn't say 'no'. JAMES' O'Neill's ... x.y. ’s "
    "Running RUNS ran; the condemnation condemned 3.141 under_score café"
)


def test_english_filter_gives_the_tokens_of_the_three_filters() -> None:
    old = RegexTokenizer(analysis.TOKEN_PATTERN) | LowercaseFilter() | analysis.PossessiveFilter() | analysis.StemmingFilter()
    new = analysis.analyzer()
    for kwargs in ({"positions": True, "chars": True}, {"mode": "query"}, {"tokenize": False}):
        def run(chain: object) -> list[tuple[str, int, int]]:
            return [(t.text, getattr(t, "pos", 0), getattr(t, "startchar", 0)) for t in chain(TRICKY, **kwargs)]  # type: ignore[operator]
        assert run(new) == run(old), kwargs


def _results(index: Path, queries: list[str]) -> list[list[tuple[str, float]]]:
    with searchkit.Searcher(index) as searcher:
        return [[(h.passage_id, h.score) for h in searcher.search(q, limit=10).hits] for q in queries]


@pytest.mark.skipif(parallel._fork_context() is None, reason="needs fork")
def test_parallel_writer_ranks_exactly_like_one_process(corpus: Path, tmp_path: Path) -> None:
    serial = searchkit.build_index(corpus, tmp_path / "serial", writer_options=WriterOptions(procs=1))
    analysis.stem_cache("porter").forget()
    # Many workers, many segments.
    many = WriterOptions(procs=2, chunk_passages=3, chunk_max=12)
    built = searchkit.build_index(corpus, tmp_path / "parallel", writer_options=many)
    assert built.passages == serial.passages and built.added == serial.added
    assert len(list((tmp_path / "parallel").glob("*.pst"))) > 2
    # Chunks grow (3, 6, 12, 12, ...): the first segments are small, then they are as large as allowed.
    with searchkit.Searcher(tmp_path / "parallel") as searcher:
        sizes = [segment.doc_count_all() for segment in searcher.index.whoosh._segments()]
    assert sizes[:3] == [3, 6, 12] and max(sizes) == 12
    queries = ["Chechnya", "human rights", "Senate resolution", "the", "war crimes court", "oil"]
    assert _results(tmp_path / "parallel", queries) == _results(tmp_path / "serial", queries)
    # Words stemmed in the workers reach the saved table, so searching needs no stemmer.
    table = stems_module._read_stems(tmp_path / "parallel")
    assert table is not None
    stems = table.items()
    assert all(table.get(word) == stemmed for word, stemmed in stems.items())
    passages = [p for a in searchkit.read_corpus(corpus) for p in searchkit.split_article(a)]
    words = {analysis.normalise(w) for p in passages for w in analysis.words(p.title + " " + p.text)}
    assert words <= set(stems)


def test_importing_searchkit_loads_nothing_heavy() -> None:
    probe = (
        "import sys, searchkit\n"
        "print(sorted(m for m in ('nltk', 'searchkit.ingest', 'jsonlines', 'multiprocessing', 'http.client') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "[]"
    assert searchkit.read_corpus  # still there, loaded on first use


def test_nltk_parts_load_alone_and_agree_with_full_nltk() -> None:
    probe = (
        "import sys\n"
        "from searchkit.analysis import stem\n"
        "from searchkit.passages import sentence_spans\n"
        "text = 'Mr. Smith went to the U.S. in Jan. 2004. He came back! Did he? Yes.'\n"
        "light = ([stem(w) for w in ('generously', 'condemnation', 'running')], sentence_spans(text))\n"
        "print('nltk' in sys.modules)\n"
        "import nltk\n"
        "from nltk.stem.porter import PorterStemmer\n"
        "from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer\n"
        "from searchkit.passages import _ABBREVIATIONS\n"
        "p = PunktParameters(); p.abbrev_types = set(_ABBREVIATIONS)\n"
        "full = ([PorterStemmer().stem(w) for w in ('generously', 'condemnation', 'running')], "
        "list(PunktSentenceTokenizer(p).span_tokenize(text)))\n"
        "print(light == full, light)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.splitlines()[0] == "False"  # neither part imported the whole of NLTK
    assert out.splitlines()[1].startswith("True")


def test_many_copies_still_give_limit_distinct_passages(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for copy in range(15):
        for n in range(12):
            path = corpus / f"c{copy:02d}" / f"a{n:02d}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"Harbour {n}\n\nThe harbour crane number {n} " + "lifted steel " * n + "today.\n", encoding="utf-8")
    searchkit.build_index(corpus, tmp_path / "index")
    with searchkit.Searcher(tmp_path / "index") as searcher:
        hits = searcher.search("harbour crane steel", limit=10).hits
        assert len(hits) == 10 and len({h.text for h in hits}) == 10
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert len(searcher.search("harbour", limit=50).hits) == 12  # every distinct text, once


def _index_contents(path: Path) -> list[object]:
    """Everything a search can read: stored fields, field lengths and every posting, in order."""
    out: list[object] = []
    with searchkit.open_index(path) as ix, ix.whoosh.reader() as reader:
        out.extend(reader.iter_docs())
        for name in ("title", "text", "content", "passage_id", "doc_id", "source", "author", "publisher", "date"):
            out.append([reader.doc_field_length(d, name) for d in range(reader.doc_count_all())])
            for term in reader.lexicon(name):
                matcher = reader.postings(name, term)
                while matcher.is_active():
                    out.append((name, term, matcher.id(), matcher.weight(), matcher.value()))
                    matcher.next()
    return out


@pytest.mark.parametrize("procs", [1, 2])
def test_fast_writer_writes_what_whooshs_writer_writes(corpus: Path, tmp_path: Path, procs: int) -> None:
    (corpus / "extra.txt").write_text("U.S.\n\nDon’t stop: U.S. envoys' talks, the envoy’s talk. " * 3, encoding="utf-8")
    if procs > 1 and parallel._fork_context() is None:
        pytest.skip("needs fork")
    fast = searchkit.build_index(corpus, tmp_path / "fast", writer_options=WriterOptions(procs=procs, chunk_passages=4))
    whooshs = WriterOptions(procs=procs, chunk_passages=4, fast_writer=False)
    plain = searchkit.build_index(corpus, tmp_path / "plain", writer_options=whooshs)
    assert fast.passages == plain.passages > 0
    assert _index_contents(tmp_path / "fast") == _index_contents(tmp_path / "plain")


def test_checkpoints_by_time_when_no_file_count_is_given(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generations = []
    commit = core.Index._save_manifest

    def counting(self: core.Index, files: object) -> None:
        generations.append(self.whoosh.latest_generation())
        commit(self, files)

    monkeypatch.setattr(core.Index, "_save_manifest", counting)
    searchkit.build_index(corpus, tmp_path / "one", writer_options=WriterOptions(procs=1, commit_seconds=3600.0))
    assert len(generations) == 1  # a short build commits once
    generations.clear()
    report = searchkit.build_index(corpus, tmp_path / "many", writer_options=WriterOptions(procs=1, commit_seconds=0.0))
    assert len(generations) == len(report.added) + 1  # a checkpoint after every file, then the end


def test_columns_read_in_one_go_match_whooshs_per_document_reads(corpus: Path, tmp_path: Path) -> None:
    from searchkit.schema import TEXT_KEY
    from searchkit.search import _whoosh

    searchkit.build_index(corpus, tmp_path / "ix", writer_options=WriterOptions(chunk_passages=5))  # several segments
    with searchkit.Searcher(tmp_path / "ix") as searcher:
        whoosh_searcher = searcher._searcher()
        checked = 0
        for sub, _ in whoosh_searcher.leaf_searchers():
            reader = sub.reader()
            keys = _whoosh.column(reader, TEXT_KEY)
            for field in ("content", "title", "text"):
                lengths = _whoosh.column(reader, "", length_of=field)
                for docnum in range(reader.doc_count_all()):
                    expected = reader.doc_field_length(docnum, field) or 0
                    assert _whoosh.LENGTH_OF[lengths[docnum]] == expected
                    checked += 1
            for docnum in range(reader.doc_count_all()):
                text = reader.stored_fields(docnum)["text"]
                assert keys[docnum] == searchkit.schema.text_key(text)
    assert checked >= 3 * 24


def _segment_sizes_after_build(
    tmp_path: Path, files: int, paragraphs: int, chunk: int, commit_every: int | None = None, **options: float
) -> list[int]:
    """Build ``files`` articles of ``paragraphs`` passages on two workers, chunks growing
    from ``chunk`` to 4 x ``chunk``, no segments merged; the segments' sizes."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    for number in range(files):
        body = [f"Paragraph {p} of file {number} says something about rivers and hills." for p in range(paragraphs)]
        (corpus / f"f{number:02d}.txt").write_text(f"File {number}\n\n" + "\n\n".join(body), encoding="utf-8")
    # Two workers, every segment kept as written.
    writer = WriterOptions(procs=2, chunk_passages=chunk, chunk_max=4 * chunk, tiny_segment=0, **options)  # type: ignore[arg-type]
    settings = searchkit.Settings(min_chars=20)
    report = searchkit.build_index(corpus, tmp_path / "ix", settings, commit_every=commit_every, writer_options=writer)
    assert report.passages == files * paragraphs
    with searchkit.Searcher(tmp_path / "ix") as searcher:
        sizes = [segment.doc_count_all() for segment in searcher.index.whoosh._segments()]
    assert sum(sizes) == files * paragraphs
    return sizes


@pytest.mark.skipif(parallel._fork_context() is None, reason="needs fork")
def test_chunks_keep_their_size_across_checkpoints(tmp_path: Path) -> None:
    # A long build commits now and then; the writer after a checkpoint starts at the
    # chunk size reached, not the smallest, which left small segments behind each one.
    sizes = _segment_sizes_after_build(tmp_path, files=24, paragraphs=4, chunk=3, commit_every=8)
    assert sizes[:3] == [3, 6, 12] and sizes.count(3) == 1


@pytest.mark.skipif(parallel._fork_context() is None, reason="needs fork")
def test_timed_checkpoints_wait_for_a_chunk_boundary(tmp_path: Path) -> None:
    # Due after every file, a timed checkpoint still waits until a chunk has gone to a
    # worker: each segment is a whole chunk (4, 8, 16) or the few passages of the file
    # being read when it went, never a larger rest.
    sizes = _segment_sizes_after_build(tmp_path, files=30, paragraphs=5, chunk=4, commit_seconds=0.0, checkpoint_wait=3600.0)
    assert int(layout._generation(tmp_path / "ix")) >= 4  # it did checkpoint
    assert all(size in (8, 16) or size <= 4 for size in sizes[:-2]), sizes


def test_term_pool_yields_what_a_sorting_pool_yields() -> None:
    """The compact pool gives back every posting as given, in Whoosh's sorted order:
    short and long records (fractional, zero, negative-zero and huge weights, values
    of 64 KiB and more, empty ones), documents in order and out of it."""
    import random
    import struct

    rng = random.Random(7)
    weights = [1.0, 2.0, 3.0, 65534.0, 65535.0, 1e9, 0.5, 0.0, -0.0, -2.0]
    values = [b"", b"\x00\x00\x00\x01", b"\x80\x02]q\x00K\x05a.", bytes(range(256)) * 300]
    for ordered in (True, False):
        pool = writing._TermPool()
        given = []
        docnums = list(range(400))
        if not ordered:
            rng.shuffle(docnums)
        for docnum in docnums:
            for key in rng.sample([("text", b"a"), ("text", b"b"), ("content", b"a"), ("title", "é".encode())], 2):
                posting = (*key, docnum, rng.choice(weights), rng.choice(values))
                given.append(posting)
                pool.add(posting)
        got = list(pool.iter_postings())

        def exact(postings: list[tuple]) -> list[tuple]:  # -0.0 == 0.0: compare the bits
            return [(f, t, d, struct.pack("<d", w), type(w), v, type(v)) for f, t, d, w, v in postings]

        assert exact(got) == exact(sorted(given, key=lambda p: (p[0], p[1], p[2])))


@pytest.mark.skipif(parallel._fork_context() is None, reason="needs fork")
def test_after_a_checkpoint_a_large_rest_still_goes_to_the_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The writer after a checkpoint starts with the chunk size reached; what it holds at
    # its own commit, if that is at least a first chunk, is shared out, not written here.
    parent = os.getpid()
    written_here = [0]
    per_commit: list[int] = []
    add, commit = writing._FastWriter.add_document, parallel.ParallelWriter.commit

    def counting_add(self: object, **fields: object) -> None:
        if os.getpid() == parent:
            written_here[0] += 1
        add(self, **fields)  # type: ignore[arg-type]

    def counting_commit(self: parallel.ParallelWriter) -> None:
        commit(self)
        per_commit.append(written_here[0])
        written_here[0] = 0

    monkeypatch.setattr(writing._FastWriter, "add_document", counting_add)
    monkeypatch.setattr(parallel.ParallelWriter, "commit", counting_commit)
    _segment_sizes_after_build(tmp_path, files=24, paragraphs=4, chunk=3, commit_every=2)
    assert len(per_commit) >= 10 and max(per_commit) < 3, per_commit


@pytest.mark.skipif(parallel._fork_context() is None, reason="needs fork")
def test_a_due_checkpoint_comes_even_when_no_chunk_fills(tmp_path: Path) -> None:
    # Waiting for a chunk boundary is bounded: past CHECKPOINT_WAIT the commit comes anyway.
    _segment_sizes_after_build(tmp_path, files=6, paragraphs=1, chunk=10**6, commit_seconds=0.0, checkpoint_wait=0.0)
    assert layout._generation(tmp_path / "ix") >= 6


def test_stems_table_round_trip_and_damage(tmp_path: Path) -> None:
    stems = {"condemned": "condemn", "don't": "don't", "café": "café", "u.s": "u.s", "naïve": "naiv", "ǅemal": "ǅemal"}
    stems.update({f"w{n}": f"s{n}" for n in range(1000)})
    stems_module._write_stems(tmp_path / layout.STEMS_FILE, "porter", {**stems, "a\tb": "x", "\ud800": "y"})
    table = stems_module._read_stems(tmp_path)
    assert table is not None and table.stemmer == "porter"
    assert table.items() == stems  # words a file line cannot hold are left out
    assert all(table.get(word) == stemmed for word, stemmed in stems.items())
    assert [table.get(w) for w in ("condemn", "w10000", "w1 ", "\ud800", "")] == [None] * 5
    raw = (tmp_path / layout.STEMS_FILE).read_bytes()
    at = raw.index(b"condemned\tcondemn\n") + len(b"condemned\tcon")
    head, body = raw.split(b"\n", 1)
    huge = head.replace(b'"buckets": ', b'"buckets": 1e400, "was": ')
    for damaged in (
        raw[:-3], raw[:at] + b"\xff" + raw[at + 1 :], raw.replace(b"condemned\tcondemn", b"condemnedXcondemn"),
        huge + b"\n" + body, b"[" * 100_000 + b"\n" + body,
    ):
        (tmp_path / layout.STEMS_FILE).write_bytes(damaged)
        assert stems_module._read_stems(tmp_path) is None  # not used: words are stemmed again


def test_a_damaged_stems_table_costs_only_stemming_again(corpus: Path, tmp_path: Path, fresh_stems: Callable[[], None]) -> None:
    index = tmp_path / "ix"
    searchkit.build_index(corpus, index)
    expected = [(h.passage_id, h.highlights) for h in searchkit.search("condemned Chechnya", index=index).hits]
    table = index / layout.STEMS_FILE
    raw = table.read_bytes()
    table.write_bytes(raw[:-40] + bytes(b ^ 0xFF for b in raw[-40:]))
    fresh_stems()
    assert [(h.passage_id, h.highlights) for h in searchkit.search("condemned Chechnya", index=index).hits] == expected
    (corpus / "new.txt").write_text("Zeppelins\n\nThe zeppelins hovered over the harbour.\n", encoding="utf-8")
    assert "new.txt" in searchkit.build_index(corpus, index).added
    assert stems_module._read_stems(index) is not None  # written afresh


def test_stem_tables_in_memory_are_bounded_and_replaced_by_name(fresh_stems: Callable[[], None]) -> None:
    for n in range(analysis.MAX_STEM_TABLES + 3):
        analysis.use_stem_table("porter", f"/ix{n}", {f"word{n}": f"stem{n}"}.get)
    analysis.use_stem_table("porter", "/ix5", {"word5": "again"}.get)
    names = [name for name, _ in analysis.stem_cache("porter").tables]
    assert len(names) == analysis.MAX_STEM_TABLES and names[-1] == "/ix5" and "/ix0" not in names
    assert analysis.stem("word5") == "again" and analysis.stem("word10") == "stem10"


@pytest.fixture
def fresh_stems() -> Iterator[Callable[[], None]]:
    """Forget every stem in memory, as a new process would; and again after the test."""

    def forget() -> None:
        for stemmer in STEMMERS:
            analysis.stem_cache(stemmer).forget()

    yield forget
    forget()


def test_an_update_keeps_the_saved_stems_of_earlier_runs(corpus: Path, tmp_path: Path, fresh_stems: Callable[[], None]) -> None:
    index = tmp_path / "ix"
    searchkit.build_index(corpus, index)
    before = stems_module._read_stems(index)
    assert before is not None and "chechnya" in before.items()
    fresh_stems()  # a new process: nothing in memory but the saved table
    (corpus / "new.txt").write_text("Zeppelins\n\nThe zeppelins hovered over the harbour.\n", encoding="utf-8")
    searchkit.build_index(corpus, index)
    after = stems_module._read_stems(index)
    assert after is not None
    assert before.items().items() <= after.items().items() and after.get("zeppelins") == "zeppelin"


def test_an_index_with_the_old_json_stems_table_is_searched_with_it(
    corpus: Path, tmp_path: Path, fresh_stems: Callable[[], None]
) -> None:
    import json

    index = tmp_path / "ix"
    searchkit.build_index(corpus, index)
    table = stems_module._read_stems(index)
    assert table is not None
    (index / layout.STEMS_FILE).unlink()
    old = {"stemmer": table.stemmer, "stems": {**table.items(), "chechnya": "sentinel"}}
    (index / layout.OLD_STEMS_FILE).write_text(json.dumps(old), encoding="utf-8")
    fresh_stems()
    searchkit.open_index(index).close()
    assert analysis.stem("chechnya", table.stemmer) == "sentinel"  # read from the old table
    # The next update that indexes something writes the new table and drops the old one.
    (corpus / "new.txt").write_text("Zeppelins\n\nThe zeppelins hovered over the harbour.\n", encoding="utf-8")
    searchkit.build_index(corpus, index)
    assert (index / layout.STEMS_FILE).exists() and not (index / layout.OLD_STEMS_FILE).exists()


def test_an_update_without_new_words_leaves_the_stems_table_alone(corpus: Path, tmp_path: Path, fresh_stems: Callable[[], None]) -> None:
    index = tmp_path / "ix"
    searchkit.build_index(corpus, index)
    table = index / layout.STEMS_FILE
    written = (table.stat().st_ino, table.stat().st_mtime_ns)
    fresh_stems()  # a new process
    (corpus / "again.txt").write_text("Chechnya\n\nThe Chechnya report was condemned.\n", encoding="utf-8")
    assert searchkit.build_index(corpus, index).added == ("again.txt",)
    assert (table.stat().st_ino, table.stat().st_mtime_ns) == written  # every word was in it already
    (corpus / "again.txt").write_text("Chechnya\n\nThe Chechnya report was condemned by zeppelins.\n", encoding="utf-8")
    assert searchkit.build_index(corpus, index).updated == ("again.txt",)
    saved = stems_module._read_stems(index)
    assert saved is not None and saved.get("zeppelins") == "zeppelin"
