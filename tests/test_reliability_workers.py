"""Nothing locks users out: indexing workers never outlive the ``searchkit index`` that
started them, never hold its write lock, and a killed, terminated, interrupted or
failed write leaves the last commit and nothing else.

These run the real command with its default settings on a corpus large enough that
the parallel writer starts its workers (a chunk is 1,500 passages): the failures
they guard against only happen while workers run.
"""

from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import searchkit
from searchkit.index import LOCK_FILE, clear_leftovers

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

FILES = 1000
PARAGRAPHS = 5  # 5,000 passages: a first build runs workers from its first 1,500 on


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = random.Random(11)
    syllables = ["ka", "lo", "mer", "tis", "an", "dru", "vel", "os", "pri", "sun", "ga", "ren", "hu", "ix"]
    # A vocabulary of a few thousand words, as articles have: the term tables are real work.
    words = sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(6000)})
    folder = tmp_path_factory.mktemp("workers") / "corpus"
    folder.mkdir()
    for n in range(FILES):
        paragraphs = [
            " ".join(rng.choice(words) for _ in range(rng.randint(45, 70))).capitalize() + "."
            for _ in range(PARAGRAPHS)
        ]
        (folder / f"{n:04d}.txt").write_text(f"Report {n}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return folder


def command(corpus: Path, index: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "searchkit", "index", "--corpus", str(corpus), "--index", str(index), "-q", *extra]


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def holders(folder: Path) -> list[int]:
    """Processes with a descriptor on a file of ``folder`` (the lock file included)."""
    inside = str(folder.resolve()) + os.sep
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            links = [os.readlink(fd) for fd in (entry / "fd").iterdir()]
        except OSError:
            continue
        if any(link.startswith(inside) for link in links):
            found.append(int(entry.name))
    return found


def wait_for_lock(process: subprocess.Popen[bytes], index: Path, timeout: float = 30.0) -> bool:
    """Wait until ``process`` holds the write lock; False when it ended first."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if (index / LOCK_FILE).read_text().split()[0] == str(process.pid):
                return True
        except (OSError, IndexError):
            pass
        time.sleep(0.01)
    return False


def released_within(index: Path, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while True:
        left = holders(index)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def stored(index: Path) -> list[tuple[str, int, int]]:
    with searchkit.open_index(index) as ix, ix.whoosh.searcher() as s:
        return sorted((f["source"], f["start"], f["end"]) for f in s.all_stored_fields())


def grown_corpus(big_corpus: Path, tmp_path: Path) -> tuple[Path, Path]:
    """An index committed for 20 files of a corpus that has since grown to all of
    them: the next update is large enough to start workers."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    sources = sorted(big_corpus.iterdir())
    for source in sources[:20]:
        (corpus / source.name).write_bytes(source.read_bytes())
    searchkit.build_index(corpus, index)
    for source in sources[20:]:
        (corpus / source.name).write_bytes(source.read_bytes())
    return corpus, index


def test_kill_9_never_leaves_a_worker_or_the_lock_behind(big_corpus: Path, tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    index = tmp_path / "index"
    kills, with_workers = 26, 0
    for number in range(kills):
        process = subprocess.Popen(
            command(big_corpus, index, "--lock-timeout", "2"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        # The lock must be free at once: a worker of the last killed run that still
        # held it would make this run wait, then fail.
        got_lock = wait_for_lock(process, index)
        assert got_lock or process.wait() == 0, f"run {number} could not take the lock (seed {seed}): {process.stderr.read()!r}"
        if number % 3:
            # Most kills land while workers write a chunk, whatever the machine's speed...
            deadline = time.monotonic() + 20
            while not children(process.pid) and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.8))
        else:  # ...the others at any moment: reading, committing, merging
            time.sleep(rng.uniform(0.05, 1.5))
        if children(process.pid):
            with_workers += 1
        process.kill()
        process.wait()
        process.stderr.close()
        left = released_within(index, 2.0)
        assert not left, f"kill {number}: processes {left} still hold files of the index 2 s after (seed {seed})"
    print(f"{with_workers} of {kills} kills landed while workers ran")
    assert with_workers >= 10, f"only {with_workers} of {kills} kills landed while workers ran (seed {seed})"

    done = subprocess.run(command(big_corpus, index, "--lock-timeout", "2"), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    reference = tmp_path / "reference"
    searchkit.build_index(big_corpus, reference)
    assert stored(index) == stored(reference)
    assert clear_leftovers(index) == []  # nothing partial was left by the kills
    assert searchkit.check_index(big_corpus, index).ok


@pytest.mark.parametrize(
    "how, code",
    [("SIGTERM", 143), ("SIGINT to the command", 130), ("Ctrl-C at a terminal", 130)],
)
def test_signals_stop_cleanly(big_corpus: Path, tmp_path: Path, how: str, code: int) -> None:
    corpus, index = grown_corpus(big_corpus, tmp_path)
    before = stored(index)
    # As at a terminal: a shell starts background jobs (a CI script's, say) with SIGINT
    # ignored, and an ignored signal stays ignored in the programs they start.
    process = subprocess.Popen(
        command(corpus, index), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert wait_for_lock(process, index)
    deadline = time.monotonic() + 30
    while not children(process.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    workers = children(process.pid)
    assert workers, "no worker started"
    if how == "SIGTERM":
        process.send_signal(signal.SIGTERM)
    elif how == "SIGINT to the command":
        process.send_signal(signal.SIGINT)
    else:  # the terminal sends it to every process of the foreground group
        os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    text = err.decode()
    assert process.returncode == code, text
    assert "Traceback" not in text and len(text.strip().splitlines()) == 1, text
    assert not released_within(index, 2.0)
    assert not [pid for pid in workers if alive(pid)], "a worker outlived the command"
    assert clear_leftovers(index) == []  # the stopped update removed what it wrote
    assert stored(index) == before  # and the last commit stands


def test_a_full_disk_leaves_the_last_commit_and_nothing_else(big_corpus: Path, tmp_path: Path) -> None:
    """Writes fail for real: the update runs with a file-size limit (RLIMIT_FSIZE), so
    the kernel refuses the segment files as a full disk would, in the parent and in
    its workers alike."""
    corpus, index = grown_corpus(big_corpus, tmp_path)
    before = stored(index)
    answer = [(h.passage_id, h.score) for h in searchkit.search("report", index=index)]

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    failed = subprocess.run(command(corpus, index), capture_output=True, text=True, timeout=300, preexec_fn=limited)
    assert failed.returncode == 1, failed.stderr
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in failed.stderr, failed.stderr
    assert f"cannot write the index at {index}" in lines[0] and "run searchkit index again" in lines[0]
    assert clear_leftovers(index) == []  # no partial segment keeps the disk full
    assert stored(index) == before
    assert [(h.passage_id, h.score) for h in searchkit.search("report", index=index)] == answer

    done = subprocess.run(command(corpus, index), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len({source for source, _, _ in stored(index)}) == FILES


def test_a_worker_never_holds_the_write_lock(big_corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    process = subprocess.Popen(command(big_corpus, index), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_for_lock(process, index)
    deadline = time.monotonic() + 30
    while not children(process.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    lock = str((index / LOCK_FILE).resolve())
    try:
        for pid in children(process.pid):
            try:
                links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
            except OSError:
                continue
            assert lock not in links, f"worker {pid} holds the lock file"
    finally:
        process.kill()
        process.wait()
    assert not released_within(index, 2.0)
