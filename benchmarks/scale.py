"""Sharded indexes at scale: builds with one process, N shards in one process and N
shards on a Dask LocalCluster of 1 and 2 workers; the sharded results checked
against one index; warm query latency of each way of searching; the cost of a
fan-out round.

    python benchmarks/scale.py --scale 10 --corpus /tmp/nr/x10/corpus --no-write   # a quick look
    python benchmarks/scale.py --scale 40 --corpus /tmp/nr/x40/corpus              # -> docs/BENCHMARKS.md

BBC News (``--bench``/bbc_news/bbc, read where it lies, never copied into the
repository) is copied ``--scale`` times under ``--work`` with the synthetic
metadata of ``newsroom.py``, unless ``--corpus`` names such a corpus already made.
Every build is a fresh index in a new Python process (its clock starts after the
imports); a LocalCluster is started before the clock starts (its start is reported
on its own) and its workers write with one process each. Peak memory is sampled
from /proc over the build process and all its descendants (the Dask workers too),
and each Dask worker reports its own peak RSS.

Equality: for every query, the top 100 of each sharded index == the unsharded
one-process index (passage ids in order, scores within 1e-6). Latency: the
searchers (one index; shards in threads; shards on Dask actors, 2 workers) are
asked each query in turn, interleaved query by query (the machine is shared: side
by side in one run); one warm-up pass of the first 20 queries, then p50/p95. A
"round" is one ``_fan`` call (every shard asked at once); an empty statistics round
is its bare cost.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import speed  # noqa: E402  (corpus, query set, memory sampling)

def markers(scale: str) -> tuple[str, str]:
    """The lines around the section of one scale (a rerun at that scale replaces it)."""
    return (f"<!-- scale.py {scale}: begin (written by benchmarks/scale.py; rerunning it replaces this section) -->",
            f"<!-- scale.py {scale}: end -->")

#: name -> (label, shards?, dask workers or None, writer procs or None (the default))
BUILDS: dict[str, tuple[str, bool, int | None, int | None]] = {
    "one1": ("unsharded, 1 process", False, None, 1),
    "one2": ("unsharded, default writer (2 processes)", False, None, None),
    "here": ("N shards in this process (default writer each)", True, None, None),
    "dask1": ("N shards, LocalCluster 1 worker", True, 1, None),
    "dask2": ("N shards, LocalCluster 2 workers", True, 2, None),
}
SCORE_TOLERANCE = 1e-6


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- one build, in a process of its own ------------------------------------------------

def _worker_peak() -> int:
    """This process's peak resident memory: VmHWM, which starts again at exec (the
    ``ru_maxrss`` of getrusage keeps the high-water mark of the process that forked it)."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) * 1024


def build_child(mode: str, corpus: str, index: str, shards: int) -> dict[str, Any]:
    """Run in the child: one fresh build, its figures as a dict."""
    import searchkit
    from searchkit.index import WriterOptions

    _, sharded, workers, procs = BUILDS[mode]
    options: dict[str, Any] = {}
    if procs is not None:
        options["writer_options"] = WriterOptions(procs=procs)
    if sharded:
        options["shards"] = shards
    out: dict[str, Any] = {"mode": mode}
    cluster = client = None
    if workers is not None:
        from distributed import Client, LocalCluster

        began = time.perf_counter()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40)
        client = Client(cluster)
        client.wait_for_workers(workers)
        out["cluster_start_s"] = round(time.perf_counter() - began, 2)
        options["dask"] = cluster.scheduler_address
    began = time.perf_counter()
    report = searchkit.build_index(corpus, index, **options)
    out["seconds"] = round(time.perf_counter() - began, 2)
    out["passages"] = report.passages
    out["files"] = len(report.added)
    if client is not None:
        out["worker_peak_rss"] = sorted(client.run(_worker_peak).values())
        client.close()
        cluster.close()
    out["self_peak_rss"] = _worker_peak()
    out["children_peak_rss"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return out


def run_measured(cmd: list[str], every: float = 0.5) -> speed.Measured:
    """``speed.run_measured``, sampling the memory every ``every`` seconds (reading
    every process's smaps 20 times a second took a fifth of a core from the builds)."""
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0, 0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(every):
            rss, pss = speed._tree_memory(proc.pid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - began
    stop.set()
    sampler.join()
    if proc.returncode not in (0, 3):  # 3: indexed, but a file was skipped
        raise RuntimeError(f"{shlex.join(cmd[:6])} failed ({proc.returncode}): {err[-2000:]}")
    return speed.Measured(wall, peak[0], peak[1], out)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(mode: str, corpus: Path, index: Path, shards: int) -> dict[str, Any]:
    """One fresh build in a new process; its figures with the process tree's peak memory."""
    shutil.rmtree(index, ignore_errors=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "_build", mode, str(corpus), str(index), str(shards)]
    load, cpu = os.getloadavg()[0], _children_cpu()
    measured = run_measured(cmd)
    figures = json.loads(measured.out.strip().splitlines()[-1])
    figures.update(
        # The CPU seconds of the whole process tree (workers included) and the load
        # average before it started: a machine busy with other work shows in both.
        load_before=round(load, 2), cpu_s=round(_children_cpu() - cpu, 1),
        label=BUILDS[mode][0], wall_with_start_s=round(measured.wall, 2), tree_peak_rss=measured.rss,
        tree_peak_pss=measured.pss, index_bytes=speed.folder_bytes(index),
        passages_per_s=round(figures["passages"] / figures["seconds"], 1),
    )
    return figures


def build_cli(corpus: Path, index: Path, shards: int, workers: int) -> dict[str, Any]:
    """``searchkit index --shards N --dask local:W`` as a user types it (the cluster's start included)."""
    shutil.rmtree(index, ignore_errors=True)
    exe = Path(sys.executable).parent / "searchkit"
    cmd = [str(exe), "index", "--corpus", str(corpus), "--index", str(index), "--shards", str(shards),
           "--dask", f"local:{workers}", "-q"]
    measured = run_measured(cmd)
    return {"mode": "cli", "label": f"`searchkit index --shards {shards} --dask local:{workers}`", "command": shlex.join(cmd),
            "wall_with_start_s": round(measured.wall, 2), "tree_peak_rss": measured.rss, "tree_peak_pss": measured.pss,
            "index_bytes": speed.folder_bytes(index)}


# --- equality ---------------------------------------------------------------------------

def _tie_only(a: list[tuple[str, float]], b: list[tuple[str, float]], limit: int) -> bool:
    """Whether two different lists differ only in how exactly equal scores are ordered
    (scores rank for rank the same; each group of equal scores holds the same ids,
    except a group cut by the limit, which may hold different ones)."""
    if len(a) != len(b) or any(abs(x[1] - y[1]) > SCORE_TOLERANCE for x, y in zip(a, b)):
        return False
    start = 0
    while start < len(a):
        end = start
        while end + 1 < len(a) and abs(a[end + 1][1] - a[start][1]) <= SCORE_TOLERANCE:
            end += 1
        cut = end == len(a) - 1 and len(a) == limit
        if not cut and {x[0] for x in a[start:end + 1]} != {y[0] for y in b[start:end + 1]}:
            return False
        start = end + 1
    return True


def compare(reference: Path, others: dict[str, Path], queries: list[str], limit: int = 100) -> dict[str, Any]:
    from searchkit import Searcher

    out: dict[str, Any] = {}
    with Searcher(reference) as one:
        expected = [[(h.passage_id, h.score) for h in one.search(q, limit=limit).hits] for q in queries]
    for name, path in others.items():
        equal, ties, diffs = 0, 0, []
        with Searcher(path) as searcher:
            for query, want in zip(queries, expected):
                got = [(h.passage_id, h.score) for h in searcher.search(query, limit=limit).hits]
                same = len(got) == len(want) and all(
                    x[0] == y[0] and abs(x[1] - y[1]) <= SCORE_TOLERANCE for x, y in zip(got, want)
                )
                if same:
                    equal += 1
                    continue
                tie = _tie_only(want, got, limit)
                ties += tie
                first = next((r for r, (x, y) in enumerate(zip(want, got)) if x[0] != y[0] or abs(x[1] - y[1]) > SCORE_TOLERANCE),
                             min(len(want), len(got)))
                diffs.append({"query": query, "ties_only": tie, "first_rank": first + 1, "lengths": [len(want), len(got)]})
        out[name] = {"equal": equal, "total": len(queries), "ties_only": ties, "differences": diffs[:20]}
        log(f"equality {name}: {equal}/{len(queries)} equal, {len(diffs)} differ ({ties} only in ties)")
    return out


# --- latency ----------------------------------------------------------------------------

def _pct(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct))]


def _summary(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(values), 3), "p95_ms": round(_pct(values, 0.95), 3)}


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _process_figures() -> dict[str, int]:
    """This process's resident memory now, its peak, and its open files (a Dask worker runs it too)."""
    status = Path("/proc/self/status").read_text()
    rss = int(status.split("VmRSS:")[1].split()[0]) * 1024
    return {"rss": rss, "peak_rss": _worker_peak(), "fds": _open_fds()}


class _Counting:
    """Counts a sharded searcher's rounds (``_fan`` calls) per query."""

    def __init__(self, searcher: Any) -> None:
        self.count = 0
        fan = searcher._fan

        def counted(method: str, *args: Any) -> list[Any]:
            self.count += 1
            return fan(method, *args)

        searcher._fan = counted


def latency(indexes: dict[str, Path], queries: list[str], workers: int, passes: int, limit: int) -> dict[str, Any]:
    """Warm p50/p95 of each searcher, interleaved query by query, and the bare round trip."""
    from distributed import LocalCluster

    from searchkit import Searcher

    out: dict[str, Any] = {}
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40) as cluster:
        searchers: dict[str, Any] = {}
        opened: dict[str, float] = {}
        try:
            for name, (path, dask) in {
                "one": (indexes["one"], False), "shard000": (indexes["shard000"], False),
                "threads": (indexes["sharded"], False), "dask": (indexes["sharded"], True),
            }.items():
                began, fds = time.perf_counter(), _open_fds()
                searchers[name] = Searcher(path, dask=cluster.scheduler_address) if dask else Searcher(path)
                first = time.perf_counter()
                searchers[name].search(queries[0], limit=limit)
                now = time.perf_counter()
                opened[name] = {"open_s": round(first - began, 3), "first_query_ms": round((now - first) * 1000, 1),
                                "fds": _open_fds() - fds}
            counters = {name: _Counting(searchers[name]) for name in ("threads", "dask")}
            for query in queries[:20]:
                for searcher in searchers.values():
                    searcher.search(query, limit=limit)
            times: dict[str, list[float]] = {name: [] for name in searchers}
            for counter in counters.values():
                counter.count = 0
            for _ in range(passes):
                for query in queries:
                    for name, searcher in searchers.items():
                        began = time.perf_counter()
                        searcher.search(query, limit=limit)
                        times[name].append((time.perf_counter() - began) * 1000)
            rounds = {name: counter.count / (passes * len(queries)) for name, counter in counters.items()}
            # The bare round: an empty statistics request to every shard, 200 times each, interleaved.
            bare: dict[str, list[float]] = {"threads": [], "dask": []}
            for _ in range(200):
                for name in bare:
                    began = time.perf_counter()
                    searchers[name]._fan("statistics", [])
                    bare[name].append((time.perf_counter() - began) * 1000)
            from distributed import Client

            with Client(cluster) as client:  # the workers holding the actors: their memory and open files
                out["dask_workers"] = sorted(client.run(_process_figures).values(), key=lambda f: f["rss"])
            out["coordinator"] = _process_figures()
            for name, values in times.items():
                out[name] = {**_summary(values), **opened[name]}
            for name in ("threads", "dask"):
                out[name]["rounds_per_query"] = round(rounds[name], 2)
                out[name]["bare_round"] = _summary(bare[name])
                out[name]["overhead_p50_ms"] = round(out[name]["p50_ms"] - out["one"]["p50_ms"], 3)
        finally:
            for searcher in searchers.values():
                searcher.close()
    return out


def round_costs(work: Path, counts: list[int], repeats: int = 100) -> dict[str, Any]:
    """The bare round (an empty statistics request to every shard) against the shard
    count, on a small generated corpus: threads, and Dask actors on 2 workers.

        python benchmarks/scale.py _rounds 4,16,64
    """
    from distributed import LocalCluster

    import searchkit
    from searchkit import Searcher

    corpus = speed.make_corpus(None, 1, work / "rounds-corpus", tiny=400)
    out: dict[str, Any] = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40) as cluster:
        for count in counts:
            index = work / f"rounds-{count}"
            if not index.exists():
                searchkit.build_index(corpus, index, shards=count)
            with Searcher(index) as threads, Searcher(index, dask=cluster.scheduler_address) as actors:
                times: dict[str, list[float]] = {"threads": [], "dask": []}
                for _ in range(repeats):
                    for name, searcher in (("threads", threads), ("dask", actors)):
                        began = time.perf_counter()
                        searcher._fan("statistics", [])
                        times[name].append((time.perf_counter() - began) * 1000)
                out[str(count)] = {name: _summary(values) for name, values in times.items()}
            log(f"{count} shards: {out[str(count)]}")
    return out


# --- the run ----------------------------------------------------------------------------

def _git_commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_build":
        mode, corpus, index, shards = argv[1:5]
        print(json.dumps(build_child(mode, corpus, index, int(shards))))
        return 0
    if argv and argv[0] == "_rounds":
        print(json.dumps(round_costs(Path(argv[2]) if len(argv) > 2 else Path("/tmp/scale"), [int(c) for c in argv[1].split(",")])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=40, help="copies of BBC News")
    parser.add_argument("--work", type=Path, default=Path("/tmp/scale"), help="corpora and indexes go here")
    parser.add_argument("--corpus", type=Path, help="a corpus made as newsroom.py makes it (default: made in --work)")
    parser.add_argument("--bench", type=Path, default=ROOT.parent / "shared" / "bench", help="the shared bench data folder")
    parser.add_argument("--tiny", type=int, default=0, metavar="N", help="N generated articles instead of BBC (smoke test)")
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--limit", type=int, default=10, help="hits per query for the latency figures")
    parser.add_argument("--passes", type=int, default=1, help="timed passes over the queries")
    parser.add_argument("--builds", default=",".join(BUILDS), help="which builds, in this order (dask1,dask2 can repeat)")
    parser.add_argument("--cli", action="store_true", help="also build with `searchkit index --shards N --dask local:2`")
    parser.add_argument("--reuse", default="", metavar="MODES",
                        help="builds (e.g. one1) whose figures and index are taken from an earlier run's --json file")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "BENCHMARKS.md", help="the report to write the section into")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite the section of --out")
    args = parser.parse_args(argv)
    command = shlex.join(["python", "benchmarks/scale.py", *argv])
    log(command)

    work = args.work / _scale_name({"tiny": args.tiny, "scale": args.scale})
    work.mkdir(parents=True, exist_ok=True)
    corpus = args.corpus or work / "corpus"
    if not corpus.exists():
        from newsroom import add_metadata

        speed.make_corpus(args.bench / "bbc_news" / "bbc", args.scale, corpus, tiny=args.tiny)
        add_metadata(corpus)
    passages = corpus.parent / "passages.jsonl"
    if not passages.exists():
        passages = work / "passages.jsonl"
        if not passages.exists():
            speed.write_passages(corpus, passages)
    queries = speed.make_queries(passages, args.queries)

    data: dict[str, Any] = {
        "command": command, "commit": _git_commit(), "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": speed.machine(), "scale": args.scale, "tiny": args.tiny, "shards": args.shards, "corpus": str(corpus),
        "queries": len(queries), "limit": args.limit, "builds": [],
    }

    def save() -> None:
        if args.json:
            args.json.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    earlier = json.loads(args.json.read_text(encoding="utf-8")) if args.json and args.json.exists() else {}
    reusable = {b["mode"]: b for b in earlier.get("builds", []) if b["mode"] in args.reuse.split(",") and Path(b["index"]).exists()}
    data["builds"] += [dict(b, reused_from=earlier["started"]) for b in reusable.values()]
    for n, mode in enumerate(args.builds.split(",")):
        if mode in reusable:
            continue
        index = work / (mode if mode in ("one1", "here") else f"{mode}-{n}")
        log(f"build {mode} -> {index}")
        figures = build(mode, corpus, index, args.shards)
        figures["index"] = str(index)
        data["builds"].append(figures)
        log(json.dumps(figures))
        save()
    if args.cli:
        figures = build_cli(corpus, work / "cli", args.shards, 2)
        figures["index"] = str(work / "cli")
        data["builds"].append(figures)
        log(json.dumps(figures))
        save()
    by_mode: dict[str, list[dict[str, Any]]] = {}
    for figures in data["builds"]:
        by_mode.setdefault(figures["mode"], []).append(figures)
    if "dask1" in by_mode and "dask2" in by_mode:
        one = statistics.median(b["passages_per_s"] for b in by_mode["dask1"])
        two = statistics.median(b["passages_per_s"] for b in by_mode["dask2"])
        data["dask_ratio"] = round(two / one, 3)
        log(f"throughput 2 workers / 1 worker: {data['dask_ratio']}")

    reference = work / "one1"
    others = {f"{b['mode']}" + (f"#{i}" if i else ""): Path(b["index"])
              for mode, runs in by_mode.items() if mode != "one1" for i, b in enumerate(runs)}
    data["equality"] = compare(reference, others, queries)
    save()

    sharded = Path(by_mode["here"][0]["index"])
    from searchkit.index.shards import shard_paths

    data["latency"] = latency({"one": reference, "sharded": sharded, "shard000": shard_paths(sharded)[0]}, queries,
                              workers=2, passes=args.passes, limit=args.limit)
    with __import__("searchkit").open_index(sharded) as ix:
        data["shard_passages"] = [shard.passage_count() for shard in ix.shards]
    data["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    log(json.dumps(data["latency"], indent=1))
    save()
    section = render(data)
    print(section)
    if not args.no_write:
        write_section(args.out, section, _scale_name(data))
        log(f"wrote the section into {args.out}")
    return 0


# --- the report -------------------------------------------------------------------------

def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB" if n < 10e6 else f"{n / 1e6:,.0f} MB"


def render(data: dict[str, Any]) -> str:
    builds = data["builds"]
    passages = next((b["passages"] for b in builds if "passages" in b), 0)
    what = f"{data['tiny']} generated articles x{data['scale']}" if data["tiny"] else f"BBC News x{data['scale']}"
    begin, end = markers(_scale_name(data))
    lines = [
        begin,
        f"## Sharded indexes (issue 20): {what}",
        "",
        f"{what} ({passages:,} passages), {data['shards']} shards, measured {data['started']} to "
        f"{data.get('finished', '?')} at {data['commit']} on {data['machine']}; shared with other work, so noisy "
        "(the builds run one after another in the order listed, the searches interleaved query by query). Produced with:",
        "",
        "```",
        data["command"],
        "```",
        "",
        "Builds: each a fresh index in a new process, wall time from after the imports (a LocalCluster is started first "
        "and its start is not in the build time); Dask workers write with one process each. CPU s: user + system "
        "seconds of the whole process tree (start-up included); load before: the 1-minute load average as it started "
        "(other work on the machine shows there). Peak RSS/PSS: the build process "
        "and every descendant (the Dask workers too), sampled every 0.5 s; worker RSS: each Dask worker's own peak.",
        "",
        "| build | seconds | passages/s | CPU s (tree) | load before | cluster start s | peak RSS (tree) | peak PSS (tree) "
        "| worker peak RSS | index on disk |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for b in builds:
        workers = ", ".join(_mb(r) for r in b.get("worker_peak_rss", []))
        seconds = b.get("seconds", "")
        rate = f"{b['passages_per_s']:,.0f}" if "passages_per_s" in b else ""
        start = b.get("cluster_start_s", "")
        if b["mode"] == "cli":
            seconds, start = f"{b['wall_with_start_s']} (with start)", "in the wall time"
        if "reused_from" in b:
            seconds = f"{seconds} (run of {b['reused_from']})"
        lines.append(f"| {b['label']} | {seconds} | {rate} | {b.get('cpu_s', '')} | {b.get('load_before', '')} | {start} | {_mb(b['tree_peak_rss'])} | {_mb(b['tree_peak_pss'])} "
                     f"| {workers} | {_mb(b['index_bytes'])} |")
    if "dask_ratio" in data:
        lines += ["", f"Build throughput, 2 Dask workers / 1 worker: **{data['dask_ratio']}x** (target >= 1.7x)."]
    lines += ["", f"Equality with the unsharded one-process index, top 100 of each of the {data['queries']} queries "
              "(passage ids in order, scores within 1e-6):", "",
              "| index | equal | differ | of which only ties broken otherwise |", "| --- | ---: | ---: | ---: |"]
    for name, e in data["equality"].items():
        label = next((b["label"] for b in builds if b["mode"] == name.split("#")[0]), name)
        lines.append(f"| {label}{' (' + name + ')' if '#' in name else ''} | {e['equal']}/{e['total']} | "
                     f"{e['total'] - e['equal']} | {e['ties_only']} |")
    lat = data["latency"]
    shard_sizes = ", ".join(f"{n:,}" for n in data.get("shard_passages", []))
    lines += [
        "",
        f"Warm queries, top {data['limit']}, the {data['queries']} queries interleaved "
        "searcher by searcher (20 warm-up queries first). A round = every shard asked at once; the bare round = an "
        "empty statistics request to every shard (200 times).",
        "",
        "| searcher | p50 ms | p95 ms | p50 - unsharded | rounds / query | bare round p50 / p95 ms | open s | first query ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    names = {"one": "unsharded index", "shard000": f"one shard alone (shard 000 of {data['shards']})",
             "threads": f"{data['shards']} shards, a thread each", "dask": f"{data['shards']} shards, Dask actors on 2 workers"}
    for name, label in names.items():
        r = lat[name]
        over = r.get("overhead_p50_ms", "")
        bare = f"{r['bare_round']['p50_ms']} / {r['bare_round']['p95_ms']}" if "bare_round" in r else ""
        lines.append(f"| {label} | {r['p50_ms']} | {r['p95_ms']} | {over} | {r.get('rounds_per_query', '')} | {bare} "
                     f"| {r['open_s']} | {r['first_query_ms']} |")
    fds = ", ".join(f"{name} {lat[name]['fds']}" for name in ("one", "shard000", "threads"))
    lines += ["", f"Passages per shard: {shard_sizes}. Files opened by a searcher in this process: {fds}."]
    if "dask_workers" in lat:
        workers = "; ".join(f"{_mb(w['rss'])} now" + (f", {_mb(w['peak_rss'])} peak" if "peak_rss" in w else "")
                            + f", {w['fds']} files" for w in lat["dask_workers"])
        coord = lat["coordinator"]
        lines.append(f"After the queries, each Dask worker holding {data['shards'] // 2} shard actors: {workers}. "
                     f"The coordinating process (all four searchers open): {_mb(coord['rss'])}.")
    lines.append(end)
    return "\n".join(lines) + "\n"


def _scale_name(data: dict[str, Any]) -> str:
    return f"tiny{data['tiny']}x{data['scale']}" if data["tiny"] else f"x{data['scale']}"


def write_section(out: Path, section: str, scale: str) -> None:
    """Put ``section`` in ``out`` in place of the one written before at that scale
    (appended the first time)."""
    begin, end = markers(scale)
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
