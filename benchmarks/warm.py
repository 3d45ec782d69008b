"""Warm plain-words search of the searchkit that runs it: p50 and p95 over a query set.

Run it with each tree's own Python (each installed in its own venv), alternating,
to compare two versions side by side on one machine:

    python benchmarks/warm.py --index /tmp/ix --corpus /tmp/nr/x10/corpus --queries /tmp/queries.json

``--queries`` is a JSON list of query strings (``speed.make_queries`` writes the
benchmark's set); the index is built from ``--corpus`` first if there is none.
``--copies together|separate|none`` passes ``copies`` to every search and ``--set
NAME=VALUE`` a query-time setting (a searchkit without them is run without the
options).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import searchkit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True, help="a JSON list of queries")
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--copies", choices=["together", "separate", "none"], help="Searcher.search(copies=...)")
    parser.add_argument("--set", dest="changes", action="append", default=[], metavar="NAME=VALUE",
                        help="a query-time setting, e.g. variant_weight=0 (repeatable)")
    args = parser.parse_args(argv)
    if not (args.index / "searchkit.json").exists():
        searchkit.build_index(args.corpus, args.index)
    queries = json.loads(args.queries.read_text(encoding="utf-8"))
    options = {} if args.copies is None else {"copies": args.copies}
    times = []
    settings = searchkit.Settings.from_changes(args.changes) if args.changes else None
    with searchkit.Searcher(args.index, settings) as searcher:
        for query in queries[:20]:  # warm the readers and the stem caches
            searcher.search(query, **options)
        for _ in range(args.passes):
            for query in queries:
                began = time.perf_counter()
                searcher.search(query, **options)
                times.append(time.perf_counter() - began)
    times.sort()
    print(json.dumps({"p50_ms": round(statistics.median(times) * 1000, 3), "p95_ms": round(times[int(len(times) * 0.95)] * 1000, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
