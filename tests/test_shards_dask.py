"""Sharded indexes on a real Dask cluster (a LocalCluster of 2 worker processes):
built on Dask == built here, searched on Dask == one index, a worker killed in the
middle of a build is recovered from."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

import searchkit
from searchkit import Searcher
from searchkit.index.layout import LOCK_FILE
from searchkit.index.shards import shard_paths

distributed = pytest.importorskip("distributed")

from test_shards import queries, same, write_corpus  # noqa: E402


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as local:
        yield local


def stored(index: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every source's passages as stored, shard by shard when sharded."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with searchkit.open_index(index) as ix:
        for shard in getattr(ix, "shards", [ix]):
            for source in shard.manifest():
                out[source] = [(p.passage_id, p.start, p.end, p.text) for p in shard.stored_passages(source)]
    return out


def test_built_on_dask_equals_built_here_and_searches_the_same(cluster: Any, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path, articles=80)
    searchkit.build_index(corpus, tmp_path / "one")
    searchkit.build_index(corpus, tmp_path / "here", shards=4)
    heard: list[int] = []
    report = searchkit.build_index(
        corpus, tmp_path / "dask", shards=4, dask=cluster.scheduler_address, on_shard=lambda n, r: heard.append(n)
    )
    assert sorted(heard) == [0, 1, 2, 3] and not report.partial
    assert len(report.added) == 80
    assert stored(tmp_path / "dask") == stored(tmp_path / "here") == stored(tmp_path / "one")
    with Searcher(tmp_path / "one") as a, Searcher(tmp_path / "dask", dask=cluster.scheduler_address) as b:
        assert type(b).__name__ == "ShardedSearcher"
        for query in queries(corpus, count=30):
            same(a.search(query, limit=100), b.search(query, limit=100))
        same(a.search("senate", group_by="article", facets="publisher", total=True),
             b.search("senate", group_by="article", facets="publisher", total=True))
        hit = a.search("chechnya", limit=1).hits[0]
        same(a.similar(hit.passage_id, total=True), b.similar(hit.passage_id, total=True))
        assert b.show(hit.passage_id) == a.show(hit.passage_id)


def test_a_worker_killed_mid_build_is_recovered(cluster: Any, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path, articles=1500, seed=11)
    index = tmp_path / "index"
    client = distributed.Client(cluster)
    try:
        workers = client.run(os.getpid)  # address -> pid
    finally:
        client.close()
    killed: list[int] = []

    def kill_a_writer() -> None:
        # Wait until a worker holds a shard's write lock (it is writing), then kill it.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            for folder in (index.glob("shards/*")):
                try:
                    pid = int((folder / LOCK_FILE).read_text().split()[0])
                except (OSError, ValueError, IndexError):
                    continue
                if pid in workers.values():
                    time.sleep(0.3)  # into the writing
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_a_writer)
    killer.start()
    report = searchkit.build_index(corpus, index, shards=2, dask=cluster.scheduler_address)
    killer.join()
    assert killed, "no worker was caught writing"
    assert len(report.added) == 1500 and not report.partial
    searchkit.build_index(corpus, tmp_path / "one")
    assert stored(index) == stored(tmp_path / "one")
    # The killed worker's shard carried on: nothing was left half-written.
    assert searchkit.check_index(corpus, index).ok
    with Searcher(tmp_path / "one") as a, Searcher(index) as b:
        for query in queries(corpus, count=12):
            same(a.search(query, limit=50, total=True), b.search(query, limit=50, total=True))


def test_dask_needs_a_sharded_index_and_a_reachable_scheduler(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path, articles=5)
    searchkit.build_index(corpus, tmp_path / "one")
    with pytest.raises(searchkit.SearchkitError, match="is not sharded"):
        Searcher(tmp_path / "one", dask="local:1")
    with pytest.raises(searchkit.SearchkitError, match=r"cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        searchkit.build_index(corpus, tmp_path / "sharded", shards=2, dask="tcp://127.0.0.1:9")
    with pytest.raises(searchkit.SearchkitError, match=r"write local or local:W"):
        searchkit.build_index(corpus, tmp_path / "sharded", shards=2, dask="local:two")
    assert not shard_paths(tmp_path / "sharded")  # nothing was recorded


def test_the_http_api_searches_through_dask_actors(cluster: Any, tmp_path: Path) -> None:
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from searchkit.server import create_app

    corpus = write_corpus(tmp_path, articles=30)
    searchkit.build_index(corpus, tmp_path / "one")
    searchkit.build_index(corpus, tmp_path / "sharded", shards=3)
    with Searcher(tmp_path / "sharded", dask=cluster.scheduler_address) as searcher:
        a = TestClient(create_app(tmp_path / "one", corpus, allowed_hosts=None))
        b = TestClient(create_app(searcher, corpus, allowed_hosts=None))
        for url in ("/search?q=senate+resolution&limit=20&facets=publisher", "/search?q=chechnya&group_by=article"):
            x, y = a.get(url), b.get(url)
            assert x.status_code == y.status_code == 200 and x.json() == y.json()
