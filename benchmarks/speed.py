"""Speed benchmark: searchkit beside naive Whoosh, SQLite FTS5 and tantivy, one command.

    python benchmarks/speed.py                      # BBC ×1, ×10, ×40 -> docs/BENCHMARKS.md
    python benchmarks/speed.py --scales 1 --runs 1  # a quick look
    python benchmarks/speed.py --tiny 40 --out /tmp/B.md   # generated corpus, seconds (CI smoke)

Corpora are built at run time in a temporary folder and deleted afterwards: the BBC
News articles (../shared/bench/bbc_news, never copied into the repository) copied
N times into ``cNN/`` folders, so each copy has its own doc ids. searchkit indexes
the corpus folder as ``searchkit index`` does (reading files and cutting passages
is inside its build time); the peers index the very passages searchkit cut, read
from a JSON Lines file before their clock starts.

Every build, query run and cold start runs in a new Python process; peak RSS is
the largest resident size of that process and its children while it runs.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import platform
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, NamedTuple

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "bench" / "bbc_news" / "bbc"
#: In the order they run at each scale: the quick peers first, naive Whoosh (the slowest) last.
ENGINES = ("fts5", "tantivy", "searchkit", "whoosh")
LABELS = {
    "searchkit": "searchkit",
    "whoosh": "naive Whoosh",
    "fts5": "SQLite FTS5",
    "tantivy": "tantivy",
}
QUERY_COUNT = 200
LIMIT = 10
WORD = re.compile(r"[A-Za-z]{4,}")


# --- corpora -----------------------------------------------------------------------

def make_corpus(source: Path | None, copies: int, dest: Path, tiny: int = 0) -> Path:
    """``copies`` copies of the BBC articles (or of ``tiny`` generated ones) under ``dest``."""
    if dest.exists():
        return dest
    articles = _tiny_articles(tiny) if tiny else _bbc_articles(source)
    for copy in range(copies):
        for rel, data in articles:
            path = dest / f"c{copy:02d}" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return dest


def _bbc_articles(source: Path | None) -> list[tuple[str, bytes]]:
    if source is None or not source.is_dir():
        sys.exit(f"speed.py: no BBC articles in {source}; pass --source or --tiny N")
    # Bytes as they are: one file is Latin-1, and searchkit must cope with that too.
    return [
        (str(p.relative_to(source)), p.read_bytes())
        for p in sorted(source.glob("*/*.txt"))
    ]


def _tiny_articles(count: int) -> list[tuple[str, bytes]]:
    rng = random.Random(5)
    vocab = [
        "market", "growth", "election", "minister", "football", "season", "film", "award",
        "software", "network", "prices", "profits", "players", "striker", "budget", "voters",
        "music", "album", "mobile", "phones", "economy", "shares", "coach", "injury", "court",
        "policy", "labour", "games", "console", "record", "singer", "company", "bank", "rates",
    ]
    out = []
    for n in range(count):
        paragraphs = [
            " ".join(rng.choice(vocab) for _ in range(rng.randint(30, 80))).capitalize() + "."
            for _ in range(rng.randint(2, 6))
        ]
        title = " ".join(rng.choice(vocab) for _ in range(4)).title()
        out.append((f"topic{n % 3}/{n:03d}.txt", (title + "\n\n" + "\n\n".join(paragraphs) + "\n").encode()))
    return out


def write_passages(corpus: Path, out: Path) -> int:
    """The passages searchkit cuts from ``corpus``, as JSON lines the peers index."""
    from searchkit import read_corpus, split_article

    count = 0
    with open(out, "w", encoding="utf-8") as fh:
        for article in read_corpus(corpus):
            for p in split_article(article):
                row = {"id": p.passage_id, "doc": p.doc_id, "title": p.title, "text": p.text}
                fh.write(json.dumps(row) + "\n")
                count += 1
    return count


def make_queries(passages: Path, count: int = QUERY_COUNT, seed: int = 42) -> list[str]:
    """``count`` three-word queries of words drawn from random passages (fixed seed)."""
    rng = random.Random(seed)
    lines = passages.read_text(encoding="utf-8").splitlines()
    queries = []
    while len(queries) < count:
        found = WORD.findall(json.loads(rng.choice(lines))["text"])
        if len(found) >= 3:
            queries.append(" ".join(w.lower() for w in rng.sample(found, 3)))
    return queries


def read_passages(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


# --- engines (each runs inside its own process: ``speed.py _build ENGINE ...``) ------

def build_whoosh(passages: Path, index: Path) -> float:
    from whoosh import index as windex
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema

    docs = read_passages(passages)
    began = time.perf_counter()
    schema = Schema(id=ID(stored=True, unique=True), title=TEXT(analyzer=StemmingAnalyzer(), stored=True),
                    text=TEXT(analyzer=StemmingAnalyzer(), stored=True))
    index.mkdir(parents=True)
    ix = windex.create_in(str(index), schema)
    writer = ix.writer()
    for d in docs:
        writer.add_document(id=d["id"], title=d["title"], text=d["text"])
    writer.commit()
    return time.perf_counter() - began


def build_fts5(passages: Path, index: Path) -> float:
    import sqlite3

    docs = read_passages(passages)
    began = time.perf_counter()
    index.mkdir(parents=True)
    con = sqlite3.connect(index / "fts.db")
    con.execute("CREATE VIRTUAL TABLE p USING fts5(id UNINDEXED, title, text, tokenize='porter')")
    with con:
        con.executemany("INSERT INTO p(id, title, text) VALUES (?, ?, ?)",
                        ((d["id"], d["title"], d["text"]) for d in docs))
    con.close()
    return time.perf_counter() - began


def _tantivy_schema() -> Any:
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("text", stored=True, tokenizer_name="en_stem")
    return sb.build()


def build_tantivy(passages: Path, index: Path) -> float:
    import tantivy

    docs = read_passages(passages)
    began = time.perf_counter()
    index.mkdir(parents=True)
    ix = tantivy.Index(_tantivy_schema(), path=str(index))
    writer = ix.writer()
    for d in docs:
        writer.add_document(tantivy.Document(id=d["id"], title=d["title"], text=d["text"]))
    writer.commit()
    writer.wait_merging_threads()
    return time.perf_counter() - began


def searcher_for(engine: str, index: Path) -> tuple[Callable[[str], list[str]], Callable[[list[str]], Any]]:
    """(one query -> top ids, many queries -> results) for an index, opened warm."""
    if engine in ("searchkit", "searchkit_fb"):
        from searchkit import Searcher, Settings

        # searchkit_fb: the same index with pseudo-relevance feedback on (off by default), to show what it costs.
        s = Searcher(index, Settings(feedback_docs=5) if engine == "searchkit_fb" else None)
        return (lambda q: [h.passage_id for h in s.search(q, limit=LIMIT).hits],
                lambda qs: s.search_batch(qs, limit=LIMIT))
    if engine == "whoosh":
        from whoosh import index as windex
        from whoosh.qparser import MultifieldParser, OrGroup

        ix = windex.open_dir(str(index))
        ws = ix.searcher()
        parser = MultifieldParser(["title", "text"], ix.schema, group=OrGroup)

        def one(q: str) -> list[str]:
            return [hit["id"] for hit in ws.search(parser.parse(q), limit=LIMIT)]
        return one, lambda qs: [one(q) for q in qs]
    if engine == "fts5":
        import sqlite3

        con = sqlite3.connect(index / "fts.db")
        sql = "SELECT id, bm25(p) FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT ?"

        def one(q: str) -> list[str]:
            match = " OR ".join('"' + w.replace('"', "") + '"' for w in q.split())
            return [row[0] for row in con.execute(sql, (match, LIMIT))]
        return one, lambda qs: [one(q) for q in qs]
    if engine == "tantivy":
        import tantivy

        ix = tantivy.Index.open(str(index))
        ts = ix.searcher()

        def one(q: str) -> list[str]:
            hits = ts.search(ix.parse_query(q, ["title", "text"]), LIMIT).hits
            return [ts.doc(address)["id"][0] for _, address in hits]
        return one, lambda qs: [one(q) for q in qs]
    raise ValueError(engine)


def time_queries(engine: str, index: Path, queries: list[str], passes: int) -> dict[str, Any]:
    one, batch = searcher_for(engine, index)
    # Warm-up pass (caches, lazily loaded columns), which also counts the queries with hits:
    # no extra pass, which at x40 costs minutes.
    hits = sum(1 for q in queries if one(q))
    per_query: list[list[float]] = [[] for _ in queries]
    batch_ms = []
    for _ in range(passes):
        for i, q in enumerate(queries):
            began = time.perf_counter()
            one(q)
            per_query[i].append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        batch(queries)
        batch_ms.append((time.perf_counter() - began) * 1000 / len(queries))
    medians = sorted(statistics.median(t) for t in per_query)
    return {
        "p50_ms": _percentile(medians, 50),
        "p95_ms": _percentile(medians, 95),
        "batch_ms": statistics.median(batch_ms),
        "with_hits": hits,
        "queries": len(queries),
    }


def _percentile(values: list[float], pct: float) -> float:
    k = (len(values) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def update_peer(engine: str, passages: Path, index: Path, doc_id: str) -> float:
    """Replace one article's passages in a peer index (delete by id, add, commit)."""
    docs = [d for d in read_passages(passages) if d["doc"] == doc_id]
    began = time.perf_counter()
    if engine == "fts5":
        import sqlite3

        con = sqlite3.connect(index / "fts.db")
        with con:
            for d in docs:
                con.execute("DELETE FROM p WHERE id = ?", (d["id"],))
                con.execute("INSERT INTO p(id, title, text) VALUES (?, ?, ?)", (d["id"], d["title"], d["text"] + " changed"))
        con.close()
    elif engine == "tantivy":
        import tantivy

        ix = tantivy.Index.open(str(index))
        writer = ix.writer()
        for d in docs:
            writer.delete_documents_by_term("id", d["id"])
            writer.add_document(tantivy.Document(id=d["id"], title=d["title"], text=d["text"] + " changed"))
        writer.commit()
        writer.wait_merging_threads()
    elif engine == "whoosh":
        from whoosh import index as windex

        writer = windex.open_dir(str(index)).writer()
        for d in docs:
            writer.update_document(id=d["id"], title=d["title"], text=d["text"] + " changed")
        writer.commit()
    return time.perf_counter() - began


COLD_SNIPPETS = {
    "whoosh": (
        "import sys\nfrom whoosh import index\nfrom whoosh.qparser import MultifieldParser, OrGroup\n"
        "ix = index.open_dir(sys.argv[1])\n"
        "with ix.searcher() as s:\n"
        "    q = MultifieldParser(['title', 'text'], ix.schema, group=OrGroup).parse(sys.argv[2])\n"
        "    for h in s.search(q, limit=10): print(h['id'], h.score, h['title'])\n"
    ),
    "fts5": (
        "import sqlite3, sys\ncon = sqlite3.connect(sys.argv[1] + '/fts.db')\n"
        "m = ' OR '.join('\"%s\"' % w for w in sys.argv[2].split())\n"
        "for r in con.execute('SELECT id, bm25(p), title FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT 10', (m,)): print(*r)\n"
    ),
    "tantivy": (
        "import sys, tantivy\nix = tantivy.Index.open(sys.argv[1])\ns = ix.searcher()\n"
        "for score, a in s.search(ix.parse_query(sys.argv[2], ['title', 'text']), 10).hits:\n"
        "    d = s.doc(a); print(d['id'][0], score, d['title'][0])\n"
    ),
}


def cold_command(engine: str, index: Path, query: str) -> list[str]:
    if engine == "searchkit":
        return [str(Path(sys.executable).with_name("searchkit")), "search", query, "--index", str(index)]
    return [sys.executable, "-c", COLD_SNIPPETS[engine], str(index), query]


# --- measuring processes -------------------------------------------------------------

class Measured(NamedTuple):
    wall: float
    rss: int  # peak of the summed resident memory of the process and its children
    pss: int  # peak of their summed proportional memory (a page shared by n processes counts 1/n in each)
    out: str


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run ``cmd``; return its wall seconds, peak memory (RSS and PSS) with its children, and stdout."""
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = [0, 0]

    def sample() -> None:
        while proc.poll() is None:
            rss, pss = _tree_memory(proc.pid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - began
    sampler.join()
    if proc.returncode not in (0, 3):  # 3: searchkit indexed, but skipped a file
        raise RuntimeError(f"{' '.join(cmd[:4])} failed ({proc.returncode}): {err[-2000:]}")
    return Measured(wall, peak[0], peak[1], out)


def _tree_memory(pid: int) -> tuple[int, int]:
    """Resident and proportional bytes of ``pid`` and its descendants, from /proc (0 where there is none).

    Forked workers share their parent's pages: RSS counts a shared page in every
    process, PSS splits it between them, so the sum of PSS is the memory the tree uses."""
    rss = pss = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            rss += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) * 1024
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
            pss += int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1)) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, AttributeError, ValueError):
            pass
    return rss, pss


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def helper(*args: str) -> list[str]:
    return [sys.executable, str(HERE), *args]


# --- the run -------------------------------------------------------------------------

def bench_scale(args: argparse.Namespace, work: Path, copies: int, engines: list[str], log: Callable[[str], None]) -> dict[str, Any]:
    corpus = make_corpus(args.source, copies, work / f"corpus_x{copies}", args.tiny)
    passages_file = work / f"passages_x{copies}.jsonl"
    count = write_passages(corpus, passages_file)
    queries = make_queries(passages_file, args.queries)
    queries_file = work / "queries.json"
    queries_file.write_text(json.dumps(queries))
    runs = args.runs if copies == 1 else 1
    passes = args.passes if copies == min(args.scales) else args.passes_large
    scale: dict[str, Any] = {"copies": copies, "passages": count, "articles": sum(1 for _ in corpus.rglob("*.txt")), "engines": {}}
    log(f"x{copies}: {scale['articles']} articles, {count} passages")
    for engine in engines:
        builds, rss, pss, index = [], [], [], work / f"{engine}_x{copies}"
        for run in range(runs):
            shutil.rmtree(index, ignore_errors=True)
            if engine == "searchkit":
                cmd = [str(Path(sys.executable).with_name("searchkit")), "index", "-q", "--format", "json",
                       "--corpus", str(corpus), "--index", str(index)]
                measured = run_measured(cmd)
            else:
                measured = run_measured(helper("_build", engine, str(passages_file), str(index)))
            seconds = json.loads(measured.out)["seconds"]
            builds.append(seconds)
            rss.append(measured.rss)
            pss.append(measured.pss)
            log(f"  {engine} build {run + 1}/{runs}: {seconds:.2f} s, peak RSS {measured.rss / 1e6:.0f} MB, "
                f"PSS {measured.pss / 1e6:.0f} MB")
        result: dict[str, Any] = {
            "build_s": statistics.median(builds),
            "builds": builds,
            "passages_per_s": count / statistics.median(builds),
            "index_mb": folder_bytes(index) / 1e6,
            "peak_rss_mb": max(rss) / 1e6,
            "peak_pss_mb": max(pss) / 1e6,
        }
        result.update(json.loads(run_measured(helper("_query", engine, str(index), str(queries_file), str(passes))).out))
        log(f"  {engine} queries: p50 {result['p50_ms']:.2f} ms, p95 {result['p95_ms']:.2f} ms")
        if engine == "searchkit" and copies <= args.feedback_up_to:
            result["feedback"] = json.loads(
                run_measured(helper("_query", "searchkit_fb", str(index), str(queries_file), str(passes))).out
            )
            log(f"  searchkit, feedback on: p50 {result['feedback']['p50_ms']:.2f} ms, "
                f"p95 {result['feedback']['p95_ms']:.2f} ms")
        if copies in args.cold_at:
            result["cold_s"] = cold_start(engine, index, queries[0], args.cold_runs)
            log(f"  {engine} cold search: {result['cold_s']:.3f} s")
        if copies != min(args.scales):
            result["update_s"] = incremental_update(engine, corpus, passages_file, index)
            log(f"  {engine} update of one article: {result['update_s']:.3f} s")
        scale["engines"][engine] = result
        if not args.keep:
            shutil.rmtree(index, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(corpus, ignore_errors=True)
        passages_file.unlink()
    return scale


def cold_start(engine: str, index: Path, query: str, runs: int) -> float:
    cmd = cold_command(engine, index, query)
    if engine == "searchkit":
        # As `pip install` leaves an installed package: compiled. An editable install
        # under PYTHONDONTWRITEBYTECODE would compile every changed module on every run.
        spec = importlib.util.find_spec("searchkit")
        assert spec is not None and spec.submodule_search_locations, "searchkit is not installed"
        compileall.compile_dir(spec.submodule_search_locations[0], quiet=1)
    run_measured(cmd)  # untimed: the OS file cache is warm for every engine alike
    return statistics.median(run_measured(cmd).wall for _ in range(runs))


def incremental_update(engine: str, corpus: Path, passages_file: Path, index: Path) -> float:
    """Change one article and bring the index up to date."""
    if engine == "searchkit":
        files = sorted(corpus.rglob("*.txt"))
        article = files[len(files) // 2]
        with open(article, "a", encoding="utf-8") as fh:
            fh.write("\nA paragraph added to measure an incremental update of one changed article.\n")
        cmd = [str(Path(sys.executable).with_name("searchkit")), "index", "-q", "--format", "json",
               "--corpus", str(corpus), "--index", str(index)]
        report = json.loads(run_measured(cmd).out)
        assert len(report["updated"]) == 1, report["updated"]
        return float(report["seconds"])
    doc_id = json.loads(passages_file.read_text(encoding="utf-8").split("\n", 1)[0])["doc"]
    return float(json.loads(run_measured(helper("_update", engine, str(passages_file), str(index), doc_id)).out)["seconds"])


def versions() -> dict[str, str]:
    import sqlite3
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for name in ("searchkit", "whoosh3", "nltk", "tantivy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def machine() -> str:
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f", {kb / 2**20:.1f} GiB RAM"
    except (OSError, AttributeError):
        pass
    cpu = platform.processor() or ""
    try:
        cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text()).group(1).strip()
    except (OSError, AttributeError):
        pass
    return f"{os.cpu_count()} CPU cores ({cpu}){mem}, {platform.platform()}"


def available_engines(wanted: list[str]) -> list[str]:
    out = []
    for engine in wanted:
        if engine == "tantivy":
            try:
                import tantivy  # noqa: F401
            except ImportError:
                print("speed.py: tantivy is not installed (pip install -e '.[bench]'); left out", file=sys.stderr)
                continue
        out.append(engine)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of BBC category folders")
    parser.add_argument("--scales", default="1,10,40", help="copies of the corpus, comma separated")
    parser.add_argument("--runs", type=int, default=3, help="builds at x1 (the median is reported); 1 above")
    parser.add_argument("--passes", type=int, default=3, help="timed passes over the query set at the smallest scale")
    parser.add_argument("--passes-large", type=int, default=1, help="timed passes at the larger scales")
    parser.add_argument("--label", default="", help="what was measured, e.g. the searchkit commit")
    parser.add_argument("--queries", type=int, default=QUERY_COUNT)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--feedback-up-to", type=int, default=10, metavar="N",
                        help="also time searchkit with feedback on at scales up to ×N (a ×40 pass takes ~15 min)")
    parser.add_argument("--tiny", type=int, default=0, metavar="N", help="use N generated articles instead of BBC")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--work", type=Path, help="folder for corpora and indexes (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep corpora and indexes")
    parser.add_argument("--render", type=Path, metavar="JSON", help="only write the report again from a --json file")
    args = parser.parse_args(argv)
    if args.render:
        write_report(json.loads(args.render.read_text(encoding="utf-8")), args.out, None)
        return 0
    args.scales = [int(s) for s in args.scales.split(",")]
    args.cold_at = [args.scales[0]]
    engines = available_engines(args.engines.split(","))
    command = shlex.join(["python", "benchmarks/speed.py", *(sys.argv[1:] if argv is None else argv)])
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    work = args.work or Path(tempfile.mkdtemp(prefix="searchkit-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data = {"command": command, "label": args.label, "started": started, "finished": None, "machine": machine(),
            "versions": versions(), "tiny": args.tiny, "scales": [], "pending": list(args.scales), "engines": engines}
    try:
        for copies in args.scales:
            data["scales"].append(bench_scale(args, work, copies, engines, log))
            data["pending"].remove(copies)
            if not data["pending"]:
                data["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
            # Written after every scale, so a long run that is stopped keeps what it measured.
            write_report(data, args.out, args.json)
    finally:
        if not args.work and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    log(f"wrote {args.out}")
    return 0


def write_report(data: dict[str, Any], out: Path, raw: Path | None) -> None:
    if raw:
        raw.write_text(json.dumps(data, indent=1))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(data), encoding="utf-8")


# --- the report ----------------------------------------------------------------------

def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "–"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.{digits}f}"


def targets(data: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(target, figure, comparison, met) for the issue's targets, from this run's figures."""
    scales = {s["copies"]: s["engines"] for s in data["scales"]}
    small, large = min(scales), max(scales)
    out: list[tuple[str, str, str, bool | None]] = []

    def get(copies: int, engine: str, key: str) -> float | None:
        return scales.get(copies, {}).get(engine, {}).get(key)

    for copies in sorted({small, large}):
        sk, naive = get(copies, "searchkit", "passages_per_s"), get(copies, "whoosh", "passages_per_s")
        if sk and naive:
            out.append((f"indexing ≥ 3× naive Whoosh at ×{copies}", f"{sk:,.0f} passages/s",
                        f"{sk / naive:.2f}× naive ({naive:,.0f}/s)", sk >= 3 * naive))
    for copies, limit in [(small, 3.0)] + ([(large, 20.0)] if large != small else []):
        p50 = get(copies, "searchkit", "p50_ms")
        if p50 is not None:
            out.append((f"warm p50 ≤ {limit:g} ms at ×{copies}", f"{p50:.2f} ms", "", p50 <= limit))
    p95 = get(large, "searchkit", "p95_ms")
    if p95 is not None and large != small:
        out.append((f"warm p95 ≤ 100 ms at ×{large}", f"{p95:.2f} ms", "", p95 <= 100))
        growth = p95 and get(large, "searchkit", "p50_ms") / get(small, "searchkit", "p50_ms")
        out.append((f"p50 growth ×{small} → ×{large} ≤ 8×", f"{growth:.1f}×", "", growth <= 8))
    cold = get(small, "searchkit", "cold_s")
    if cold is not None:
        out.append(("cold `searchkit search` ≤ 0.20 s (median of runs)", f"{cold:.3f} s", f"at ×{small}", cold <= 0.20))
    upd = get(large, "searchkit", "update_s")
    if upd is not None:
        out.append((f"update of one changed article ≤ 1 s at ×{large}", f"{upd:.3f} s", "", upd <= 1.0))
    r_small, r_large = get(small, "searchkit", "peak_rss_mb"), get(large, "searchkit", "peak_rss_mb")
    if r_small and r_large and large != small:
        p_small, p_large = get(small, "searchkit", "peak_pss_mb"), get(large, "searchkit", "peak_pss_mb")
        pss = f"; PSS {p_small:.0f} → {p_large:.0f} MB" if p_small and p_large else ""
        out.append(("peak RSS while indexing does not grow with the corpus", f"{r_small:.0f} → {r_large:.0f} MB",
                    f"×{small} → ×{large}{pss}", r_large <= 1.5 * r_small))
    return out


#: Profiles taken while the speed work was done (same machine, shared, November 2026). They are not
#: part of the timed run; each names the command that produced it.
NOTES = """\
## Where the time goes, and why some targets are missed

Profiles taken during the speed work (not part of the timed run above; 2026-11-22 at commit
af87f9d, 2026-11-28 on BBC ×1, ×10 and ×40 indexes built by `searchkit index`).

- **Indexing** (`py-spy record -f raw -r 100 -- searchkit index`, BBC ×1): Whoosh's segment flush at
  commit was 45% before the work (sorting the posting pool, pickling and compressing posting blocks)
  and `add_document` 31%. Done: the English analyzer runs as one filter with stems cached per word;
  searchkit's writer (`_FastWriter`) analyses title and text once (the combined `content` field reuses
  their stems), builds postings without Whoosh's token objects and pools them per term, in arrays, in
  the worker processes; `ParallelWriter` writes chunks on both cores, one segment each. The index is
  the same as Whoosh's own writer makes (tested). On 2026-11-28 a ×10
  profile still spent about two thirds of the CPU in Whoosh's segment flush (`add_postings`,
  `finish_term`, `_write_block`) and a quarter in `add_document`: Whoosh's pure-Python codec. BBC ×1
  takes about 10 s of CPU (one process: 12.0 s; two: 5.8-6.7 s, 2026-11-29); naive Whoosh writes two
  fields without stored columns in 5.4 s, while searchkit writes three (title, text with positions for
  phrase search, and title and text as one field for ranking) plus ids, stored text and columns, about
  twice the work per passage. Reading and cutting the 2,225 articles is 0.5 s of it. With two cores, 3×
  naive Whoosh at ×1 is out of reach without replacing Whoosh's codec; at ×10 and ×40 searchkit gains
  because naive Whoosh's one writer spills and merges its pool. Tried on 2026-11-29 and not kept:
  handing Whoosh's posting writer a block of postings at a time instead of one call per posting gave
  the same files and the same CPU (4.46 vs 4.47 s for a 6,000-passage chunk, side by side), because
  the flush costs per term, not per posting: that chunk has 54,722 posting blocks for 958,804
  postings (17.5 a block; most words are rare and fill one block), each pickled twice, compressed and
  entered in the term table.
- **Plain-words queries are scored by searchkit** (since 2026-11-29): the words' postings are read
  block by block from Whoosh's files and scored with Whoosh's BM25F formula, the same operations in
  the same order (`exact_top` in `searchkit/search/scoring.py`), instead of a tree of Whoosh matchers per
  segment with several Python calls per posting. Whoosh's optimised top-N search also returned wrong
  scores and missed true top-10 passages for 3 in 500 queries on ×1 (its block skipping drops a word's
  share of some passages); a test compares searchkit's ranking with Whoosh scoring every passage.
  Side by side on the same indexes: ×1 p50 4.5 -> 2.8 ms, ×40 116 -> 70 ms; then each word is looked
  up once per segment instead of three or four times, blocks are decoded at C speed, only passages
  that can reach the top are sorted, and highlights search for the matched words with one pattern
  (×1 about 1.9 ms). The best texts of the segments read so far set a bar (MaxScore): segments whose
  words cannot reach it are skipped, and a word too common to lift a passage alone only adds to the
  passages already found, reading no block without one (a rare and a common word at ×40: 54-180 ->
  27-100 ms; random three-word queries rarely qualify). Tried on 2026-11-29 (same results, side by
  side on ×40, 200 queries) and not kept: block-max skipping from the block headers' best weight and
  shortest length, and dropping passages that can no longer reach the bar before a common word adds
  to them (p50 the same or 2-4% slower: the passages left are spread over nearly every block of a
  common word, and most of the reading is of words that can still lift a passage alone); reading
  posting blocks straight from the memory map (decoding 12% faster, p50 unchanged: zlib and pickle
  are most of it).
- **Segments cost every query.** Each segment costs a term-table lookup per word and field and its
  own top-N choice. Chunks now start at 1,500 passages and double up to 12,000, so a small build
  still uses both cores and a large one leaves few segments: ×1 4 segments (was 6), ×40 43 (was 210;
  index 1.4 GB -> 0.93 GB; p50 about 45 -> 19 ms side by side). Merging segments afterwards in Whoosh
  is pure Python and slow (18 segments, 300,000 passages: 68 s), so it is not done. A long build
  commits about once a minute (a checkpoint a killed run keeps); since 2026-11-29 the writer after a
  checkpoint goes on with the chunk size reached (it started again at 1,500, leaving segments of
  1,500, 3,000 and 6,000 passages behind every checkpoint), and a checkpoint waits, up to a minute,
  for a chunk to have just gone to a worker, so it writes a few passages rather than splitting a
  large rest into two more segments (×40 builds: 39 segments -> 35 with the first change alone;
  p50 -3% side by side). Chunks of up to 24,000 passages gave 31 segments and p50 -6%, for twice the
  workers' memory: not kept. Index files are
  read through memory maps, so a term lookup or a posting block is a slice, not a seek and a read
  call (×1 1.8 -> 1.55 ms, ×40 18.3 -> 15.0 ms side by side).
- **Duplicates at scale.** The ×10 and ×40 corpora repeat every passage 10 and 40 times under other ids,
  and searchkit returns distinct texts only (by a 64-bit hash of the text stored as a column). Every
  copy is still indexed and scored: a random three-word query reads about 940 postings at ×1 and
  37,000 at ×40. At ×40 (profile, 2026-11-29) about 30% of a query is the scoring loop over those
  postings, 13% Whoosh's unpickling and decompressing of posting blocks, 14% term-table lookups (43
  segments × words × 2 fields) and 12% choosing each segment's best distinct texts. That is why p50
  grows about ten times from ×1 to ×40 while the postings grow 39 times.
- **Pseudo-relevance feedback** (off by default since 2026-11-28; the row "searchkit, feedback on" is
  the same index with `Settings(feedback_docs=5)`): a second search plus Bo1 key terms of 5 passages,
  about ten times a plain query (`key_terms` alone was 37% of a feedback query at ×1). It did not
  help ranking on the tuning splits (docs/QUALITY.md), so the default is the fast path.
- **A Whoosh bug in the feedback query, fixed.** Under `AndMaybe`, an `Or` on segments under 5,000
  passages ran as an `ArrayUnionMatcher` whose `max_quality()` is the largest of its parts instead of
  their sum, so block skipping dropped passages of the true top 10 (e.g. "think said issue" on ×1:
  best 10.22, returned 9.63). Every `Or` now gets the union matcher; a test compares the top 10 with
  exhaustive scoring.
- **Incremental update** (cProfile, one changed article in the ×40 index, 89,000 files): it took
  130 s, almost all in Whoosh's `MERGE_SMALL` policy merging 18 segments (300,000 passages) at commit.
  searchkit now merges only segments under 1,000 passages once there are 8 of them (and segments
  that are mostly deleted passages), and pauses the cyclic garbage collector while the manifest is
  read and written: 1.18 s on 2026-11-28. Since 2026-11-29 the manifest is written as one JSON list
  per field (parsed in a third of the time of a dict per file) and a run appends only what changed
  to `manifest.journal` (rewriting 20 MB cost 0.2-0.3 s), and the corpus is listed through directory
  descriptors. What is left at ×40 (stages timed on 2026-11-29, about 0.85 s in all): listing the
  corpus 0.37 s (89,000 `stat` calls are 0.2 s of it), reading the manifest 0.13 s, the pass over
  89,000 unchanged files about 0.15 s, deleting and adding the article, committing and writing the
  journal about 0.1 s; Python start-up and imports (0.1 s) come on top of the figure above.
  Since the stems table is read per word (see cold start), an update reads it whole before writing
  (about 20 ms) and writes it only when it stemmed a new word (writing it is 50-80 ms). This run
  measured 0.94 s at ×40; the a521346 run, at a slow moment of the machine, 1.43 s. Side by side
  right after that run (one ×40 index copy each, 4 alternating one-article updates each), the code
  before this session's changes took 0.76-1.32 s and a521346 0.90-1.40 s: listing the 89,000 files
  is most of it, and it varies most from moment to moment.
- **Peak memory** still grows with the corpus, by less (see the table: RSS counts the pages the
  forked workers share with their parent once per process, PSS splits them). Done on 2026-11-29: a
  worker's posting pool keeps each term's postings as records in one bytearray (8 bytes of document
  number, weight and value length, then the value) instead of arrays and a bytes object per posting
  (one 12,000-passage chunk: 144 -> 45 MB; reading the records back at the flush costs about 7% more
  CPU per chunk); the parent lets go of a chunk's documents once a worker has them, and the worker
  drops each document once written; manifest entries are named tuples instead of a dict per file,
  and the file listing uses slotted records. Side by side, ×10 builds: peak RSS 499 -> 306 MB, PSS
  429 -> 240 MB; the cae4086 run against the a198a62 run: ×40 RSS 756 -> 491 MB, PSS 579 -> 349 MB, with
  byte-identical index files (×1, compared file by file). What still grows is the parent: it holds
  the listing and manifest entry of every corpus file (a run that changes nothing peaks at 37 MB at
  ×1 and 151 MB at ×40, was 173 MB: about 1.3 KB per file), and the workers start as copies of it.
  Measured with tracemalloc at ×40 (89,000 files, 2026-11-29): the listing 26.5 MB (298 bytes a
  file: path in the corpus, path on disk, size, time), the manifest 48.1 MB (540 bytes a file: its
  key, hash, size, time, metadata hash and doc ids), the doc id index and the new manifest 3.8 MB
  each; the rest of the peak is JSON parsing while the manifest is read.
  A worker's own memory is bounded by the largest chunk (12,000 passages), not by the corpus. Tried
  and not kept: workers started by a fork server (so they do not start as copies of the parent),
  documents and known stems sent to them: more memory and slower, side by side (×1 RSS 160 -> 185
  MB, PSS 109 -> 141 MB; ×10 RSS 318 -> 350 MB, PSS 259 -> 307 MB, 50.6 -> 55.1 s): each worker
  then holds its own copy of the modules and the stems. Not done: a manifest read from disk as it
  is needed rather than held whole.
- **Machines differ between runs.** The a198a62 run (2026-11-29 07:34) had an AMD EPYC; the
  703266b (10:35), cae4086 (11:16), a521346 (12:28) and 10a52a8 (12:58, this one) runs an Intel
  Xeon, slower for everything here and noisier: the peers' code did not change, yet naive Whoosh ×1
  p50 was 4.14, 8.10, 5.00, 5.19 and 8.74 ms in those runs and its ×1 build 6.9 s in the a521346
  run, 11.8 s in this one; tantivy ×40 p50 was 1.30 ms in the a521346 run and 0.74 ms in this one.
  Ratios within one run compare across runs; times do not. The a521346 run, half an hour before this
  one with the same search code, missed two targets this run meets (×40 p50 20.3 ms, update 1.43 s);
  side by side on one ×40 index right after it (two processes, alternating passes of the 200
  queries), 6186d8a and a521346 both gave p50 18.9 ms. Between the 703266b and cae4086 runs one fix
  went in: after a checkpoint, the next writer shares out a rest of at least a first chunk's size
  instead of writing it alone in the parent, which it did for everything after a build's last
  checkpoint (searchkit ×10 build 73.8 -> 51.9 s and ×40 252 -> 213 s, while naive Whoosh went
  135 -> 110 s and 506 -> 462 s: part of it is the machine). Side by side on one ×40 index, with the
  code before and after the index changes of cae4086: one-article update 1.32 s before, 1.28 s after
  (median of 4 each).
- **Cold start** (`python -X importtime` and cProfile of `searchkit search` on BBC ×1, 2026-11-29).
  Before this run's changes the command itself, after its imports, took about 45 ms: parsing the
  JSON stems table 16 ms, compiling a highlight pattern for each hit 5-9 ms, the search 5 ms; and
  a plain-words search imported Whoosh's query, parser and searching modules (about 20 ms) that it
  never used. Now plain words are scored from a Whoosh reader without them (`searchkit/search/syntax.py`
  holds what needs them: syntax, proximity, feedback, `show`); the stems table is saved in hashed
  buckets (`stems.table`) and read per word, under 1 ms whatever the vocabulary (the JSON table
  grew with it); highlights use one plain pattern per query. The command now takes about 10 ms
  after about 80 ms of imports: Python start-up 30-40 ms, Whoosh's index and field modules (needed
  to read the schema; the naive script pays them too) about 27 ms, click about 12 ms, searchkit's
  frozen dataclasses about 10 ms. Side by side with 6186d8a on one ×1 index (alternating runs):
  0.158 -> 0.140 s (median of 30 each) with the first two changes, 0.233 -> 0.189 s (median of 40
  each, at a busier moment) with all three. The benchmark now compiles searchkit before timing it,
  as `pip install` does: an editable install under `PYTHONDONTWRITEBYTECODE` compiled every changed
  module on every run (index.py: about 20 ms). This run: 0.173 s, the naive Whoosh script 0.177 s.
"""


def render(data: dict[str, Any]) -> str:
    v = data["versions"]
    lines = [
        "# Speed: searchkit beside naive Whoosh, SQLite FTS5 and tantivy",
        "",
        "Written by `benchmarks/speed.py`; do not edit by hand. Produced with:",
        "",
        "```",
        data["command"],
        "```",
        "",
        f"- Run: {data['started']} to " + (data["finished"] or "(not finished: scales "
                                               + ", ".join(f"×{c}" for c in data["pending"]) + " not measured)") + ".",
        f"- Machine: {data['machine']}. Shared with other work while it ran: figures are noisy.",
        "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items())
        + (f" ({data['label']})" if data.get("label") else "") + ".",
        "- Corpus: " + ("generated articles (smoke run)" if data["tiny"] else
                        "BBC News (2,225 articles, Greene & Cunningham 2006), copied N times with distinct ids per copy")
        + "; passages are the ones searchkit cuts (paragraphs, short ones merged), the same for every engine.",
        "- Build: searchkit runs `searchkit index` on the corpus folder (its time includes reading the files and "
        "cutting passages, not Python start-up); the peers index the passages from memory. "
        "naive Whoosh = one writer, `add_document` per passage, `StemmingAnalyzer`, title and text fields; "
        "SQLite FTS5 = `tokenize='porter'`, `bm25()`; tantivy = `en_stem`. Median over builds at ×1, one build above. "
        "Peak RSS = the largest sum of resident memory of the build process and its children, sampled every 50 ms "
        "(searchkit's forked workers share most pages with their parent and are counted in full, so its figure is high); "
        "peak PSS = the same with each shared page split between the processes sharing it (the memory the build uses).",
        f"- Queries: {data['scales'][0]['engines'].get(data['engines'][0], {}).get('queries', QUERY_COUNT)} random three-word "
        "queries (words of random passages, fixed seed), top 10; warm = index open, one warm-up pass, then "
        "per-query median of the timed passes; p50/p95 over queries. Batch = the whole set in one call, ms per query. "
        "searchkit's figure includes what its API returns (stored text, highlights, duplicate removal); "
        "the peers return ids. naive Whoosh and FTS5 OR the words (Whoosh's default AND finds little). "
        "\"searchkit, feedback on\" = the same searchkit index queried with `Settings(feedback_docs=5)` "
        "(pseudo-relevance feedback, off by default, runs a second search per query).",
        "- Cold = a new process that imports, opens the index, runs one query and prints (`searchkit search`; "
        "a minimal script for each peer); one untimed run first, then the median wall time.",
        "- Update = one article changed on disk, then `searchkit index` (peers: delete and re-add that article's passages, commit).",
        "",
        "## Targets",
        "",
        "| target | this run | | met |",
        "|---|---:|---|---|",
    ]
    for name, figure, note, met in targets(data):
        lines.append(f"| {name} | {figure} | {note} | {'yes' if met else 'NO'} |")
    lines += [
        "",
        "## Build and query speed",
        "",
        "| engine | copies | passages | build s | passages/s | index MB | peak RSS MB | peak PSS MB | p50 ms | p95 ms | batch ms/q | queries with hits |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for engine in data["engines"]:
        for scale in data["scales"]:
            r = scale["engines"].get(engine)
            if not r:
                continue
            lines.append(
                f"| {LABELS[engine]} | ×{scale['copies']} | {scale['passages']:,} | {_fmt(r['build_s'])} | "
                f"{r['passages_per_s']:,.0f} | {_fmt(r['index_mb'])} | {r['peak_rss_mb']:.0f} | "
                f"{_fmt(r.get('peak_pss_mb'), 0)} | {_fmt(r['p50_ms'])} | "
                f"{_fmt(r['p95_ms'])} | {_fmt(r['batch_ms'])} | {r['with_hits']}/{r['queries']} |"
            )
            fb = r.get("feedback")
            if fb:
                lines.append(
                    f"| searchkit, feedback on | ×{scale['copies']} | {scale['passages']:,} | | | | | | "
                    f"{_fmt(fb['p50_ms'])} | {_fmt(fb['p95_ms'])} | {_fmt(fb['batch_ms'])} | "
                    f"{fb['with_hits']}/{fb['queries']} |"
                )
    first, larger = data["scales"][0], data["scales"][1:]
    lines += ["", "## Cold start and incremental update", "",
              f"| engine | cold search s (×{first['copies']}) |"
              + "".join(f" update one article s (×{s['copies']}) |" for s in larger),
              "|---|---:|" + "---:|" * len(larger)]
    for engine in data["engines"]:
        cold = first["engines"].get(engine, {}).get("cold_s")
        updates = "".join(f" {_fmt(s['engines'].get(engine, {}).get('update_s'), 3)} |" for s in larger)
        lines.append(f"| {LABELS[engine]} | {_fmt(cold, 3)} |{updates}")
    if len(data["scales"]) > 1:
        lines += ["", "## Growth from the smallest corpus", "", "| engine | copies | build growth | p50 growth |", "|---|---:|---:|---:|"]
        for engine in data["engines"]:
            base = first["engines"].get(engine)
            for scale in data["scales"][1:]:
                r = scale["engines"].get(engine)
                if base and r:
                    lines.append(f"| {LABELS[engine]} | ×{scale['copies']} | {r['build_s'] / base['build_s']:.1f}× | "
                                 f"{r['p50_ms'] / base['p50_ms']:.1f}× |")
    if not data["tiny"]:
        lines += ["", NOTES.rstrip("\n")]
    return "\n".join(lines) + "\n"


# --- subprocess entry points -----------------------------------------------------------

def _subcommand(argv: list[str]) -> int:
    what, engine, *rest = argv
    if what == "_build":
        seconds = {"whoosh": build_whoosh, "fts5": build_fts5, "tantivy": build_tantivy}[engine](Path(rest[0]), Path(rest[1]))
        print(json.dumps({"seconds": seconds}))
    elif what == "_query":
        queries = json.loads(Path(rest[1]).read_text())
        print(json.dumps(time_queries(engine, Path(rest[0]), queries, int(rest[2]))))
    elif what == "_update":
        print(json.dumps({"seconds": update_peer(engine, Path(rest[0]), Path(rest[1]), rest[2])}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        sys.exit(_subcommand(sys.argv[1:]))
    sys.exit(main())
