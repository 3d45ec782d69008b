"""Nothing locks users out: a server's open files do not grow with its threads, idle
threads let go of replaced segments, a lack of resources is a 503 (not a 400 that
blames the query), prefix expansion keeps to the time limit, and error messages do
not show where the index lives."""

from __future__ import annotations

import errno
import os
import random
import resource
import socket
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

import searchkit
from searchkit.search.ranking import Ranker
from searchkit.cli import main
from searchkit.errors import QueryError, SearchUnavailableError
from searchkit.server import create_app

from conftest import write
from serving import get, get_json, live_server, wait_until_up

WORDS = "river council harbour election budget festival railway museum drought vaccine".split()
QUERIES = [f"{a} {b}" for a in WORDS for b in WORDS if a != b]
#: The soft and hard limit on open files of the served process: a quarter of the usual 1024.
OPEN_FILES = 256


def _many_segments(root: Path, articles: int = 7) -> Path:
    """An index of ``articles`` small articles, one segment each (7 is the most the
    merge policy leaves unmerged)."""
    corpus = root / "corpus"
    rng = random.Random(16)
    for n in range(articles):
        paragraphs = [" ".join(rng.choice(WORDS) for _ in range(40)) + "." for _ in range(6)]
        write(corpus, f"article{n}.txt", f"Article {n}\n\n" + "\n\n".join(paragraphs))
    index = root / "index"
    searchkit.build_index(corpus, index, commit_every=1)
    return index


def _limit_open_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))


@contextmanager
def _served(index: Path, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``searchkit serve`` in its own process, limited to OPEN_FILES descriptors."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    log = open(tmp_path / "server.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "searchkit", "serve", "--index", str(index), "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, preexec_fn=_limit_open_files,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/health")
        yield base, process
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def _index_files(pid: int, index: Path) -> tuple[list[str], list[str]]:
    """The server's descriptors open on files of ``index``, and its mapped files of it
    that have been deleted (a replaced segment still held)."""
    folder = str(index.resolve())
    fds = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith(folder):
            fds.append(target)
    with open(f"/proc/{pid}/maps") as maps:
        deleted = [line.split()[-2] for line in maps if folder in line and line.rstrip().endswith("(deleted)")]
    return fds, deleted


def _search_all(base: str, clients: int, rounds: int) -> list[int]:
    def one(number: int) -> int:
        query = QUERIES[number % len(QUERIES)]
        return get(base + "/search?" + urllib.parse.urlencode({"q": query}))[0]

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(one, range(clients * rounds)))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
def test_40_clients_on_many_segments_under_256_open_files(tmp_path: Path) -> None:
    index = _many_segments(tmp_path)
    assert len(list(index.glob("*.trm"))) >= 6  # one segment per article, not merged
    with _served(index, tmp_path) as (base, server):
        # Before, each handler thread mapped every file of every segment, and each map
        # kept a descriptor: 40 threads on 7 segments wanted about 1,500 of the 256.
        statuses = _search_all(base, clients=40, rounds=10)
        assert statuses == [200] * len(statuses), {s: statuses.count(s) for s in set(statuses)}
        fds, _ = _index_files(server.pid, index)
        files = len([name for name in os.listdir(index) if not name.endswith((".json", ".table", ".toc", "LOCK"))])
        assert len(fds) <= files, "each index file is open once, whatever the number of threads"
        assert get(base + "/health")[0] == 200
    assert (tmp_path / "server.log").stat().st_size < 100_000


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="reads /proc/PID/maps")
def test_idle_threads_let_go_of_replaced_segments(tmp_path: Path) -> None:
    index = _many_segments(tmp_path)
    with _served(index, tmp_path) as (base, server):
        assert set(_search_all(base, clients=40, rounds=2)) == {200}  # many threads hold a reading
        assert _index_files(server.pid, index)[1] == []
        searchkit.build_index(tmp_path / "corpus", index, rebuild=True)  # every old segment is deleted
        assert get(base + "/search?q=river")[0] == 200  # one request, in one thread
        fds, deleted = _index_files(server.pid, index)
        # The other threads did not search again, and still let go of the old segments.
        assert deleted == []
        assert all(os.path.exists(target) for target in fds)


@pytest.fixture
def searcher(tmp_path: Path) -> Iterator[searchkit.Searcher]:
    with searchkit.Searcher(_many_segments(tmp_path, articles=2)) as opened:
        yield opened


def _out_of_files(*args: object, **kwargs: object) -> object:
    raise OSError(errno.EMFILE, "Too many open files")


def test_out_of_files_is_a_503_with_retry_after_not_a_400(searcher: searchkit.Searcher, monkeypatch: pytest.MonkeyPatch) -> None:
    with live_server(create_app(searcher)) as base:
        assert get_json(base + "/search?q=river")[0] == 200
        # Failing while searching (it was "400: query 'river' cannot be run (OSError…)")
        monkeypatch.setattr(searcher._ranker, "top", _out_of_files)
        status, headers, body = get(base + "/search?q=river")
        assert status == 503, body
        assert int({k.lower(): v for k, v in headers.items()}["retry-after"]) >= 1
        assert b"too many open files" in body and b"query" not in body
        monkeypatch.setattr(searcher._ranker, "top", _broken)
        assert get(base + "/search?q=river")[0] == 503
        monkeypatch.undo()
        # Failing while opening a reader of a new commit (it was a 500)
        monkeypatch.setattr(searcher.index.whoosh, "reader", _out_of_files)
        monkeypatch.setattr(searcher.index.whoosh, "latest_generation", lambda: -2)
        for path in ("/search?q=river", "/passages/anything"):
            status, headers, body = get(base + path)
            assert status == 503, (path, body)
            assert "retry-after" in {k.lower() for k in headers}


def _broken(*args: object, **kwargs: object) -> object:
    raise RuntimeError("a bug inside searchkit")


def test_library_and_cli_name_the_resource_not_the_query(searcher: searchkit.Searcher, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(searcher._ranker, "top", _out_of_files)
    with pytest.raises(SearchUnavailableError, match="too many open files.*ulimit -n") as caught:
        searcher.search("river")
    assert not isinstance(caught.value, QueryError)
    # Any other failure inside the search machinery is not the query's fault either.
    monkeypatch.setattr(searcher._ranker, "top", _broken)
    with pytest.raises(SearchUnavailableError, match=r"inside searchkit \(RuntimeError\)"):
        searcher.search("river", syntax=True)
    monkeypatch.setattr(Ranker, "top", _out_of_files)
    result = CliRunner().invoke(main, ["search", "river", "--index", str(searcher.index.path)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "too many open files" in result.stderr


def test_prefix_expansion_keeps_to_the_time_limit(tmp_path: Path) -> None:
    # 36,000 different words starting with "a" in one segment: Whoosh expanded all of
    # them (about 3 s here) before the first hit, when the clock was first read.
    rng = random.Random(6)
    for n in range(6):
        words = ["a" + "".join(rng.choice("bcdefghiklmnoprstuvw") for _ in range(7)) for _ in range(6000)]
        write(tmp_path / "corpus", f"a{n}.txt", f"Article {n}\n\n" + "\n\n".join(
            " ".join(words[i:i + 60]) + "." for i in range(0, len(words), 60)))
    searchkit.build_index(tmp_path / "corpus", tmp_path / "index")
    with searchkit.Searcher(tmp_path / "index") as searcher:
        searcher.search("article")  # warm
        for query, limit in (("a*", 0.3), ("title:article OR a*", 0.3), ("abcdefgh~2", 0.2)):
            began = time.monotonic()
            results = searcher.search(query, syntax=True, time_limit=limit)
            took = time.monotonic() - began
            # Well under the 3 s of expanding everything, with room for a busy machine
            # (0.73 s was seen for the fuzzy query on a shared 2-core one).
            assert took < max(3 * limit, 1.5), (query, took)
            if query != "abcdefgh~2":
                assert results.timed_out and results.hits, query


def test_not_found_messages_do_not_show_the_index_folder(built: Path, corpus: Path) -> None:
    with live_server(create_app(built, corpus)) as base:
        status, body = get_json(base + "/passages/nope")
        assert status == 404 and "no passage with id 'nope'" in body["error"]
        hit = get_json(base + "/search?q=Chechnya")[1]["hits"][0]
        (corpus / hit["source"]).unlink()
        status, _, page = get(base + f"/passages/{hit['passage_id']}/source")
        assert status == 404 and hit["source"].encode() in page
        for text in (body["error"].encode(), page):
            assert str(built.parent).encode() not in text and b"/tmp" not in text
