"""What filters, date bounds, grouping, date order and facets cost next to a plain search.

BBC News (``--source``, read where it lies, never copied into the repository) is
copied ``--scale`` times into a work folder with a ``metadata.jsonl`` that gives
each article a publisher (its category's made-up outlet), a section and a date
(spread over 2004-2005 by article number): synthetic metadata, so that every
filter has something to select. Each query of the speed benchmark's query set is
then run once per variant, the variants interleaved query by query (the machine
is shared: side by side in one run), and p50/p95 are reported per variant with
the ratio to the plain search's p50.

    python benchmarks/newsroom.py --scale 40 --work /tmp/newsroom
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import speed  # noqa: E402  (the benchmarks folder: its corpus and query set)

import searchkit  # noqa: E402

OUTLETS = {"business": "Ledger", "entertainment": "Marquee", "politics": "Westminster Wire", "sport": "Touchline", "tech": "Circuit"}

#: name -> keyword arguments of ``Searcher.search`` (the query and limit aside).
VARIANTS: dict[str, dict[str, Any]] = {
    "plain": {},
    "plain, counted (total)": {"total": True},
    "where publisher": {"where": {"publisher": "Ledger"}},
    "where two publishers + section": {"where": ["publisher=Ledger", "publisher=Circuit", "section=news"]},
    "since/until (one year)": {"since": "2005-01", "until": "2005-12"},
    "group by article": {"group_by": "article"},
    "sort -date": {"sort": "-date"},
    "facets publisher,year,month": {"facets": "publisher,year,month"},
    "everything at once": {"where": {"publisher": ["Ledger", "Circuit"]}, "since": "2004-06", "group_by": "article",
                           "sort": "-date", "facets": "publisher,year", "offset": 10},
}


def add_metadata(corpus: Path) -> None:
    """A publisher, section and date for every article (synthetic: see the docstring)."""
    lines = []
    for n, path in enumerate(sorted(p for p in corpus.rglob("*.txt"))):
        rel = path.relative_to(corpus).as_posix()
        category = path.parent.name
        day = 1 + n % 28
        month = 1 + (n // 28) % 12
        year = 2004 + (n // 336) % 2
        lines.append(json.dumps({
            "path": rel, "publisher": OUTLETS.get(category, category), "section": "news" if n % 3 else "analysis",
            "date": f"{year}-{month:02d}-{day:02d}",
        }))
    (corpus / "metadata.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=speed.DEFAULT_SOURCE, help="folder of BBC category folders")
    parser.add_argument("--scale", type=int, default=10, help="copies of the corpus")
    parser.add_argument("--work", type=Path, default=Path("/tmp/searchkit-newsroom"), help="corpus and index go here")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    args = parser.parse_args(argv)

    corpus = args.work / f"x{args.scale}" / "corpus"
    index = args.work / f"x{args.scale}" / "index"
    if not corpus.exists():
        speed.make_corpus(args.source, args.scale, corpus)
        add_metadata(corpus)
    started = time.perf_counter()
    report = searchkit.build_index(corpus, index)
    print(f"index: {report.passages} passages ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    passages_file = args.work / f"x{args.scale}" / "passages.jsonl"
    if not passages_file.exists():
        speed.write_passages(corpus, passages_file)
    queries = speed.make_queries(passages_file, args.queries)

    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    totals: dict[str, list[int]] = {name: [] for name in VARIANTS}
    with searchkit.Searcher(index) as searcher:
        for query in queries[:5]:  # warm the readers and caches for every variant
            for options in VARIANTS.values():
                searcher.search(query, limit=args.limit, **options)
        for query in queries:
            for name, options in VARIANTS.items():
                began = time.perf_counter()
                results = searcher.search(query, limit=args.limit, **options)
                times[name].append((time.perf_counter() - began) * 1000)
                if results.total is not None:
                    totals[name].append(results.total)
    plain = statistics.median(times["plain"])
    rows = []
    for name, values in times.items():
        values.sort()
        p50 = statistics.median(values)
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        mean_total = statistics.mean(totals[name]) if totals[name] else None
        rows.append({"variant": name, "p50_ms": round(p50, 2), "p95_ms": round(p95, 2), "x_plain_p50": round(p50 / plain, 2),
                     "mean_total": None if mean_total is None else round(mean_total)})
    print(f"| variant (x{args.scale}, {report.passages} passages, {len(queries)} queries) | p50 ms | p95 ms | p50 / plain | mean matches |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        shown = "" if row["mean_total"] is None else row["mean_total"]
        print(f"| {row['variant']} | {row['p50_ms']} | {row['p95_ms']} | {row['x_plain_p50']} | {shown} |")
    if args.out:
        args.out.write_text(json.dumps({"scale": args.scale, "passages": report.passages, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
