"""searchkit on Dask (dask.distributed): a sharded index's updates as tasks, and
its searches on actors that keep their shard open between queries.

``ADDRESS`` is a scheduler address (``tcp://host:8786``), or ``local`` /
``local:W`` for a ``LocalCluster`` of W worker processes on this machine (W: the
number of cores by default). The corpus and the index folder must be on storage
every worker sees at the same path (docs/SCALING.md). Dask is the ``[dask]``
extra: nothing else imports this module.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING, Any, Callable, Sequence

from .errors import SearchkitError, SearchUnavailableError

if TYPE_CHECKING:
    from .index.shards import ShardTask
    from .models import IndexReport
    from .settings import Settings

__all__ = ["connect", "disconnect", "build_on_dask", "ShardActors", "DaskError"]


class DaskError(SearchkitError):
    """Dask is not installed, or its scheduler cannot be reached."""


def _client(address: str) -> tuple[Any, Any]:
    """A Dask client for ``address``, and the LocalCluster made for it (or None)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise DaskError(
            f"--dask {address} needs Dask; install the extra: pip install 'searchkit-passages[dask]'"
        ) from None
    if address == "local" or address.startswith("local:"):
        count = address.partition(":")[2]
        if count and not (count.isdigit() and int(count) > 0):
            raise DaskError(f"--dask {address}: write local or local:W, W the number of workers (e.g. local:2)")
        workers = int(count) if count else (os.cpu_count() or 1)
        # Processes of one thread each: the work is Python, which a thread per core would not speed up.
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        )
        return Client(cluster), cluster
    try:
        return Client(address, timeout="20s"), None
    except (OSError, TimeoutError) as exc:
        raise DaskError(
            f"cannot reach the Dask scheduler at {address} ({exc}); start it (dask scheduler) or check the address"
        ) from None


def connect(address: str) -> Any:
    """A ``distributed.Client`` for ``address`` (its LocalCluster closes with it:
    ``disconnect``)."""
    client, cluster = _client(address)
    if cluster is not None:
        client._searchkit_cluster = cluster
    return client


def disconnect(client: Any) -> None:
    cluster = getattr(client, "_searchkit_cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


def _build(task: ShardTask) -> IndexReport:
    from .index.options import WriterOptions
    from .index.shards import build_shard

    if task.writer_options is None:
        # One process per task: Dask runs a task per worker, and a worker is a process.
        import dataclasses

        task = dataclasses.replace(task, writer_options=WriterOptions(procs=1))
    return build_shard(task)


def build_on_dask(
    client: Any, tasks: Sequence[ShardTask], on_shard: Callable[[int, IndexReport], None] | None = None
) -> list[IndexReport]:
    """Run each shard's update as a Dask task; the reports in shard order.

    A worker that dies takes its task with it: the scheduler runs the task again
    on another worker (Dask's ``allowed-failures``), and the shard carries on from
    its last commit. The shards that finished are not redone."""
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]
    futures = {
        client.submit(_build, task, key=f"searchkit-shard-{number:03d}-{token}", pure=False): number
        for number, task in enumerate(tasks)
    }
    reports: dict[int, IndexReport] = {}
    for future in as_completed(futures):
        number = futures[future]
        try:
            reports[number] = future.result()
        except SearchkitError:
            raise
        except Exception as exc:  # a task that kept failing, or the cluster going away
            raise DaskError(
                f"shard {number:03d} could not be built on Dask ({type(exc).__name__}: {exc}); "
                "run searchkit index again: the shards that finished are kept"
            ) from None
        if on_shard is not None:
            on_shard(number, reports[number])
    return [reports[number] for number in range(len(tasks))]


class ShardActors:
    """One ``ShardService`` actor per shard, spread over the workers, each keeping
    its shard open; ``call`` asks every one at once."""

    def __init__(self, address: str, paths: Sequence[str], settings: Settings | None = None) -> None:
        from .search.sharded import ShardService

        self.client = connect(address)
        try:
            workers = sorted(self.client.scheduler_info()["workers"])
            futures = [
                self.client.submit(
                    ShardService, path, settings, actor=True, pure=False,
                    workers=[workers[number % len(workers)]] if workers else None, allow_other_workers=True,
                )
                for number, path in enumerate(paths)
            ]
            self.actors = [future.result() for future in futures]
        except BaseException:
            disconnect(self.client)
            raise

    def call(self, method: str, *args: Any) -> list[Any]:
        futures = [getattr(actor, method)(*args) for actor in self.actors]
        out = []
        for number, future in enumerate(futures):
            try:
                out.append(future.result())
            except SearchkitError:
                raise
            except Exception as exc:  # the worker holding the shard is gone
                raise SearchUnavailableError(
                    f"shard {number:03d} did not answer on Dask ({type(exc).__name__}: {exc}); "
                    "check the workers and search again"
                ) from None
        return out

    def close(self) -> None:
        try:
            for actor in self.actors:
                try:
                    actor.close().result()
                except Exception:  # a worker already gone has nothing left to close
                    pass
        finally:
            disconnect(self.client)
