"""How well searchkit reads HTML articles: body text, title, authors and date, scored
against the hand-made truth of a page corpus (by default ``tests/data/html``).

Body: the words of the body passages searchkit keeps and of the true body are
lower-cased and cut into overlapping 5-word shingles (``SHINGLE``); precision is the
share of kept shingles found in the true body, recall the share of true shingles
kept, F1 their harmonic mean, per page, then averaged over pages (a page with no
body kept scores 0). Title: equal after folding case, quotes and white space.
Authors: the same set of names (a page with no author right when none is given).
Date: the same calendar day (ISO 8601; a page with no date right when none is given).
Publisher: the site's name, equal after folding (none right when the page names none).

    python benchmarks/extraction.py                      # searchkit as installed
    python benchmarks/extraction.py --old-src /work/main # also the code in another checkout
    python benchmarks/extraction.py --peers              # also jusText and readability-lxml

``--old-src`` runs the reader of another checkout (an older searchkit) in a child
process on the same pages, for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "data" / "html"
#: Words per shingle of the body measure.
SHINGLE = 5
_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE) -> set[tuple[str, ...]]:
    """The ``size``-word shingles of ``text`` (lower-cased words); a text shorter than
    ``size`` words is one shingle of all its words."""
    words = _WORD.findall(text.casefold())
    if len(words) < size:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def body_scores(found: str, truth: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of ``found`` against ``truth`` by shingle overlap."""
    got, want = shingles(found), shingles(truth)
    if not got or not want:
        return 0.0, 0.0, 0.0
    common = len(got & want)
    precision, recall = common / len(got), common / len(want)
    return precision, recall, (2 * precision * recall / (precision + recall) if common else 0.0)


def _fold(text: str | None) -> str:
    text = (text or "").replace("’", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.casefold().split())


def read_pages(folder: Path | str) -> list[dict[str, Any]]:
    """What the ``searchkit`` found first on the import path reads of each page:
    title, metadata, body (kept paragraphs) and captions."""
    from searchkit.ingest.formats import read_html

    out = []
    for path in sorted(Path(folder).glob("*.html")):
        (article,), _ = read_html(path.name, path.read_text(encoding="utf-8"), {})
        out.append({
            "file": path.name,
            "title": article.title,
            "metadata": dict(article.metadata),
            "body": "\n\n".join(article.text[a:b] for a, b in article.body),
            "captions": [article.text[a:b] for a, b, _ in getattr(article, "captions", ())],
        })
    return out


def score(pages: Sequence[dict[str, Any]], truth: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per-page scores and their means; ``truth`` records as in ``truth.jsonl``. The
    captions mean is over the pages that have one (None when none has)."""
    by_file = {p["file"]: p for p in pages}
    rows = []
    for want in truth:
        got = by_file.get(want["file"], {"title": "", "metadata": {}, "body": "", "captions": []})
        p, r, f = body_scores(got["body"], "\n\n".join(want["body"]))
        meta = got["metadata"]
        authors = {_fold(a) for a in meta.get("author", "").split(";") if a.strip()}
        rows.append({
            "file": want["file"], "precision": p, "recall": r, "f1": f,
            "title": _fold(got["title"]) == _fold(want["title"]),
            "author": authors == {_fold(a) for a in want["authors"]},
            "date": (meta.get("date") or "")[:10] == (want["date"] or ""),
            "publisher": _fold(meta.get("publisher")) == _fold(want.get("publisher")),
            "got": {"title": got["title"], "author": meta.get("author"), "date": meta.get("date"), "publisher": meta.get("publisher")},
            "caption": want.get("caption") is None or any(_fold(want["caption"]) in _fold(c) for c in got["captions"]),
        })
    n = len(rows) or 1
    means = {key: sum(float(row[key]) for row in rows) / n for key in ("precision", "recall", "f1", "title", "author", "date", "publisher")}
    with_captions = [row for row, want in zip(rows, truth) if want.get("caption")]
    means["captions"] = sum(row["caption"] for row in with_captions) / len(with_captions) if with_captions else None
    return {"pages": len(rows), "means": means, "rows": rows}


#: Article extractors compared with searchkit's on body text (and title where they
#: give one): the field's other open-source choices, as the issue asked.
PEERS = ("justext", "readability")


def read_peer_pages(peer: str, folder: Path | str) -> list[dict[str, Any]] | None:
    """What ``peer`` keeps of each page (None when it is not installed:
    ``pip install justext readability-lxml``). jusText gives the paragraphs it
    does not call boilerplate (English stop list); readability-lxml its summary's
    text and its short title. Neither reads authors, dates or captions."""
    out = []
    for path in sorted(Path(folder).glob("*.html")):
        html = path.read_text(encoding="utf-8")
        title = ""
        try:
            if peer == "justext":
                import justext

                kept = justext.justext(html.encode("utf-8"), justext.get_stoplist("English"))
                body = "\n\n".join(paragraph.text for paragraph in kept if not paragraph.is_boilerplate)
            else:
                import lxml.html
                from readability import Document

                document = Document(html)
                title = document.short_title()
                body = lxml.html.fromstring(document.summary()).text_content()
        except ImportError:
            return None
        out.append({"file": path.name, "title": title, "metadata": {}, "body": body, "captions": []})
    return out


def load_truth(folder: Path) -> list[dict[str, Any]]:
    with open(folder / "truth.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def read_old_pages(src: Path, folder: Path) -> list[dict[str, Any]]:
    """The pages as the searchkit in checkout ``src`` reads them, in a child process
    whose import path starts there."""
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import extraction; "
            f"print(json.dumps(extraction.read_pages({str(folder.resolve())!r})))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(src.resolve())}, cwd=str(src.resolve()))
    return json.loads(proc.stdout)


def _table(results: dict[str, dict[str, Any]]) -> str:
    lines = ["| reader | pages | body P | body R | body F1 | title | author | date | publisher | captions |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, result in results.items():
        m = result["means"]
        lines.append(f"| {name} | {result['pages']} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | "
                     f"{m['title']:.0%} | {m['author']:.0%} | {m['date']:.0%} | {m['publisher']:.0%} | {'-' if m['captions'] is None else format(m['captions'], '.0%')} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=PAGES, help="folder of .html pages and truth.jsonl")
    parser.add_argument("--old-src", type=Path, help="another searchkit checkout to compare with")
    parser.add_argument("--verbose", action="store_true", help="list every page that is not all right")
    parser.add_argument("--peers", action="store_true", help="also score jusText and readability-lxml on the pages")
    args = parser.parse_args(argv)
    truth = load_truth(args.pages)
    sys.path.insert(0, str(ROOT))
    from searchkit.ingest.html import extractor

    results = {f"searchkit ({extractor()})": score(read_pages(args.pages), truth)}
    if args.old_src:
        results[f"old reader ({args.old_src})"] = score(read_old_pages(args.old_src, args.pages), truth)
    if args.peers:
        for peer in PEERS:
            pages = read_peer_pages(peer, args.pages)
            if pages is None:
                print(f"{peer}: not installed (pip install justext readability-lxml)", file=sys.stderr)
            else:
                results[peer] = score(pages, truth)
    print(_table(results))
    if args.verbose:
        for name, result in results.items():
            for row in result["rows"]:
                if row["f1"] < 0.95 or not (row["title"] and row["author"] and row["date"]):
                    print(f"{name}: {row['file']}: F1 {row['f1']:.3f} (P {row['precision']:.3f} R {row['recall']:.3f}) "
                          f"title={row['title']} author={row['author']} date={row['date']} got={row['got']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
