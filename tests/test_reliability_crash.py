"""Crash safety, for real: indexing processes are killed with SIGKILL at random moments.

After every kill the index must open, answer a search, and hold exactly the
passages of some complete commit (files are indexed in sorted order and committed
every few files, so a complete commit is a prefix of the sorted file list whose
length the test can predict); a final run must converge to the full corpus.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import searchkit
from searchkit.index import LOCK_FILE

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

FILES = 30
COMMIT_EVERY = 4
FORK_KILLS = 25
CLI_KILLS = 3
WORDS = (
    "river council harbour budget senate court election drought vaccine railway bridge "
    "protest treaty museum orchard glacier satellite festival tariff library"
).split()


def make_corpus(folder: Path, rng: random.Random) -> list[str]:
    folder.mkdir(parents=True)
    names = []
    for n in range(FILES):
        paragraphs = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 90))).capitalize() + "."
            for _ in range(rng.randint(2, 5))
        ]
        name = f"{n:03d}_story.txt"
        (folder / name).write_text(f"Story {n}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
        names.append(name)
    return sorted(names)


def passages_by_source(index: Path) -> dict[str, list[tuple[str, int, int, str]]]:
    """Every stored passage, grouped by source; opening and searching must work."""
    with searchkit.open_index(index) as ix:
        with searchkit.Searcher(ix) as searcher:
            searcher.search("river council")
        out: dict[str, list[tuple[str, int, int, str]]] = {}
        with ix.whoosh.searcher() as s:
            for f in s.all_stored_fields():
                out.setdefault(f["source"], []).append((f["passage_id"], f["start"], f["end"], f["text"]))
    return {k: sorted(v) for k, v in out.items()}


def _child(corpus: str, index: str, rebuild: bool) -> None:
    searchkit.build_index(corpus, index, rebuild=rebuild, commit_every=COMMIT_EVERY, lock_timeout=30)


def run_and_kill(corpus: Path, index: Path, rebuild: bool, delay: float) -> None:
    process = multiprocessing.get_context("fork").Process(target=_child, args=(str(corpus), str(index), rebuild))
    process.start()
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    process.join()


def cli_run_and_kill(corpus: Path, index: Path, rebuild: bool, rng: random.Random) -> None:
    """Kill the real ``searchkit index`` command once it holds the write lock."""
    args = [sys.executable, "-m", "searchkit", "index", "--corpus", str(corpus), "--index", str(index), "-q"]
    process = subprocess.Popen(args + (["--rebuild"] if rebuild else []), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    lock = index / LOCK_FILE
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if lock.read_text().split()[0] == str(process.pid):
                break
        except (OSError, IndexError):
            pass
        time.sleep(0.005)
    time.sleep(rng.uniform(0, 0.3))
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_sigkill_at_random_moments_never_corrupts(tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    corpus = tmp_path / "corpus"
    names = make_corpus(corpus, rng)
    reference_dir = tmp_path / "reference"
    began = time.monotonic()
    searchkit.build_index(corpus, reference_dir, commit_every=COMMIT_EVERY)
    full_run = time.monotonic() - began
    reference = passages_by_source(reference_dir)
    assert sorted(reference) == names

    index = tmp_path / "index"
    indexed = 0  # files in the index: always a prefix of the sorted names
    kills = [("fork", i) for i in range(FORK_KILLS)] + [("cli", i) for i in range(CLI_KILLS)]
    rng.shuffle(kills)
    for number, (how, _) in enumerate(kills):
        rebuild = indexed > 0 and (indexed == len(names) or rng.random() < 0.3)
        if how == "fork":
            run_and_kill(corpus, index, rebuild, rng.uniform(0, full_run * 1.2))
        else:
            cli_run_and_kill(corpus, index, rebuild, rng)
        where = f"(seed {seed}, kill {number}, {how}, rebuild={rebuild})"
        if not any(index.glob("*.toc")):
            assert indexed == 0, f"the index vanished {where}"
            continue  # killed before the index was first created
        found = passages_by_source(index)
        now = len(found)
        assert sorted(found) == names[:now], f"not a prefix of the sorted files {where}"
        for source, passages in found.items():
            assert passages == reference[source], f"{source} is torn or wrong {where}"
        commits = {min(indexed + m * COMMIT_EVERY, len(names)) for m in range(len(names) + 1)}
        if rebuild or how == "cli":
            # A rebuild is one commit: the old index until then, the whole new one after.
            # The CLI commits only at the end too (its default batch is larger than this corpus).
            commits = {indexed, len(names)}
        assert now in commits | {indexed}, f"{now} files is no complete commit {where}"
        indexed = now

    report = searchkit.build_index(corpus, index, commit_every=COMMIT_EVERY)
    assert not report.partial
    assert passages_by_source(index) == reference, f"did not converge (seed {seed})"
    again = searchkit.build_index(corpus, index)
    assert not again.changed and len(again.unchanged) == len(names)


def _rebuild_then_die(corpus: str, index: str, at: int) -> None:
    def progress(done: int, total: int) -> None:
        if done == at:
            os.kill(os.getpid(), signal.SIGKILL)

    searchkit.build_index(corpus, index, searchkit.Settings(stemmer="snowball"), rebuild=True, progress=progress)


def test_killed_rebuild_with_new_settings_keeps_the_old_index(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    names = make_corpus(corpus, random.Random(7))
    index = tmp_path / "index"
    searchkit.build_index(corpus, index)
    before = passages_by_source(index)
    process = multiprocessing.get_context("fork").Process(target=_rebuild_then_die, args=(str(corpus), str(index), 20))
    process.start()
    process.join()
    assert process.exitcode == -signal.SIGKILL
    # Readers still get the old index with the settings it was built with.
    assert searchkit.open_index(index).settings.stemmer == "porter"
    assert passages_by_source(index) == before
    # An ordinary update after the dead rebuild must not make its settings look finished.
    (corpus / names[0]).write_text("Changed\n\nThe glacier melted into the harbour.\n", encoding="utf-8")
    searchkit.build_index(corpus, index)
    assert searchkit.open_index(index).settings.stemmer == "porter"
    assert searchkit.search("glacier melted", index=index)[0].source == names[0]
    # A rebuild that completes switches everything at once.
    report = searchkit.build_index(corpus, index, searchkit.Settings(stemmer="snowball"), rebuild=True)
    assert len(report.added) == len(names)
    assert searchkit.open_index(index).settings.stemmer == "snowball"
    assert sorted(passages_by_source(index)) == names
    assert searchkit.check_index(corpus, index).ok
