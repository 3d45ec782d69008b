"""Ranking quality side by side: searchkit (default settings) and BM25 peers on the same collections.

Every system indexes the same documents (title and text), runs the same queries and is
scored by the same code (``searchkit.evaluate.score_run``, i.e. ir-measures over
trec_eval) on nDCG@10, Recall@100, MAP (depth 1000) and MRR@10; a judged query with no
result counts 0. Peers: SQLite FTS5 with the porter tokenizer (standard library),
tantivy and bm25s (``pip install -e '.[bench]'``); a peer that is not installed is
left out and said so.

    python benchmarks/quality.py                      # test splits, writes docs/QUALITY.md
    python benchmarks/quality.py --split dev --no-write --collections nfcorpus

The results table in docs/QUALITY.md is replaced between its ``results`` markers; the
rest of that page is written by hand.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sqlite3
import sys
import time
from pathlib import Path
from typing import Callable, Iterator, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from searchkit.evaluate import DEFAULT_DEPTH, MEASURES, Collection, evaluate, load_collection, score_run  # noqa: E402

Run = dict[str, list[tuple[str, float]]]
DOC = ROOT / "docs" / "QUALITY.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
COLLECTIONS = ("scifact", "nfcorpus", "cranfield")
WORD = re.compile(r"\w+")


def _docs(collection: Collection) -> list[tuple[str, str]]:
    assert collection.articles is not None
    return [(a.doc_id, f"{a.title}\n{a.text}" if a.title != a.doc_id else a.text) for a in collection.articles]


def _queries(collection: Collection, run: Run) -> Iterator[tuple[str, list[str]]]:
    """``(query_id, words)`` of each query; a query without words gets an empty run."""
    for qid, text in collection.queries:
        run[qid] = []
        words = WORD.findall(text.lower())
        if words:
            yield qid, words


def run_fts5(collection: Collection, depth: int) -> Run:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(doc_id UNINDEXED, body, tokenize='porter unicode61')")
    db.executemany("INSERT INTO docs VALUES (?, ?)", _docs(collection))
    run: Run = {}
    for qid, words in _queries(collection, run):
        match = " OR ".join(f'"{w}"' for w in words)
        rows = db.execute(
            "SELECT doc_id, bm25(docs) FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (match, depth)
        ).fetchall()
        run[qid] = [(doc_id, -score) for doc_id, score in rows]
    return run


def run_tantivy(collection: Collection, depth: int) -> Run:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("doc_id", stored=True, tokenizer_name="raw")
    builder.add_text_field("body", tokenizer_name="en_stem")
    index = tantivy.Index(builder.build())
    writer = index.writer(heap_size=100_000_000, num_threads=1)
    for doc_id, body in _docs(collection):
        writer.add_document(tantivy.Document(doc_id=doc_id, body=body))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    run: Run = {}
    for qid, words in _queries(collection, run):
        query = index.parse_query(" ".join(words), ["body"])
        hits = searcher.search(query, depth).hits
        run[qid] = [(searcher.doc(address)["doc_id"][0], score) for score, address in hits]
    return run


def run_bm25s(collection: Collection, depth: int) -> Run:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    docs = _docs(collection)
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index(bm25s.tokenize([body for _, body in docs], stopwords="en", stemmer=stemmer, show_progress=False),
                    show_progress=False)
    run: Run = {}
    for qid, text in collection.queries:
        tokens = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            run[qid] = []
            continue
        ids, scores = retriever.retrieve(tokens, k=min(depth, len(docs)), show_progress=False, n_threads=1)
        run[qid] = [(docs[i][0], float(s)) for i, s in zip(ids[0], scores[0]) if s > 0]
    return run


PEERS: dict[str, tuple[str, Callable[[Collection, int], Run]]] = {
    "fts5": ("SQLite FTS5 (porter)", run_fts5),
    "tantivy": ("tantivy (en_stem)", run_tantivy),
    "bm25s": ("bm25s (Snowball, stop words)", run_bm25s),
}


def _metrics(collection: Collection, run: Run) -> dict[str, float]:
    query_ids = [qid for qid, _ in collection.queries]
    per_query = score_run(collection.qrels, run, query_ids)
    return {name: round(sum(per_query[q][name] for q in query_ids) / len(query_ids), 4) for name, _ in MEASURES}


def measure(bench: Path, names: Sequence[str], peers: Sequence[str], split: str, depth: int) -> list[dict]:
    rows = []
    for name in names:
        collection = load_collection(bench / name, split)
        began = time.perf_counter()
        report = evaluate(collection, depth=depth)
        rows.append({"collection": name, "split": collection.split, "system": "searchkit (defaults)",
                     "metrics": dict(report.metrics), "no_result": report.no_result,
                     "seconds": round(time.perf_counter() - began, 1)})
        print(f"{name}: searchkit {report.metrics}", file=sys.stderr, flush=True)
        for peer in peers:
            label, runner = PEERS[peer]
            began = time.perf_counter()
            try:
                run = runner(collection, depth)
            except ImportError as exc:
                print(f"{name}: {label} left out ({exc.name} is not installed; pip install -e '.[bench]')",
                      file=sys.stderr)
                continue
            metrics = _metrics(collection, run)
            rows.append({"collection": name, "split": collection.split, "system": label, "metrics": metrics,
                         "no_result": sum(1 for q, _ in collection.queries if not run.get(q)),
                         "seconds": round(time.perf_counter() - began, 1)})
            print(f"{name}: {label} {metrics}", file=sys.stderr, flush=True)
    return rows


def table(rows: list[dict], command: str) -> str:
    names = [name for name, _ in MEASURES]
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.machine()} "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, with:",
        "",
        "```",
        command,
        "```",
        "",
        "| collection | split | system | " + " | ".join(names) + " | no result | seconds |",
        "|---|---|---|" + "---:|" * (len(names) + 2),
    ]
    for row in rows:
        best = max(r["metrics"]["ndcg@10"] for r in rows if r["collection"] == row["collection"])
        cells = []
        for n in names:
            value = f"{row['metrics'][n]:.4f}"
            cells.append(f"**{value}**" if n == "ndcg@10" and row["metrics"][n] == best else value)
        lines.append(
            f"| {row['collection']} | {row['split'] or '-'} | {row['system']} | " + " | ".join(cells)
            + f" | {row['no_result']} | {row['seconds']} |"
        )
    return "\n".join(lines)


def write_doc(text: str) -> None:
    page = DOC.read_text(encoding="utf-8") if DOC.exists() else f"# Ranking quality\n\n{START}\n{END}\n"
    if START not in page or END not in page:
        raise SystemExit(f"{DOC} has no {START} ... {END} markers; put them where the table goes")
    head, rest = page.split(START, 1)
    _, tail = rest.split(END, 1)
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", type=Path, default=ROOT.parent / "shared" / "bench",
                        help="folder holding scifact/, nfcorpus/, cranfield/ (default: ../shared/bench)")
    parser.add_argument("--collections", default=",".join(COLLECTIONS), help="comma-separated")
    parser.add_argument("--peers", default=",".join(PEERS), help="comma-separated, of: " + ", ".join(PEERS))
    parser.add_argument("--split", default="test", help="BEIR split (Cranfield has none)")
    parser.add_argument("--depth", type=int, default=DEFAULT_DEPTH, help="documents ranked per query")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument("--no-write", action="store_true", help=f"print the table; leave {DOC.name} alone")
    args = parser.parse_args(argv)
    names = [n for n in args.collections.split(",") if n]
    peers = [p for p in args.peers.split(",") if p]
    unknown = [p for p in peers if p not in PEERS]
    if unknown:
        parser.error(f"unknown peer(s) {', '.join(unknown)}; use {', '.join(PEERS)}")
    rows = measure(args.bench, names, peers, args.split, args.depth)
    command = "python benchmarks/quality.py " + " ".join(sys.argv[1:] if argv is None else argv)
    text = table(rows, command.strip())
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    if args.no_write:
        print(text)
    else:
        write_doc(text)
        print(f"wrote {DOC}", file=sys.stderr)


if __name__ == "__main__":
    main()
