"""kwic and verify speed on the BBC News articles copied N times (issue 19: a name's
concordance at ×40 in under 2 s).

    python benchmarks/kwic.py                       # BBC ×40 (builds the index once, in --work)
    python benchmarks/kwic.py --copies 1 --work /tmp/kwic1

The corpus is made as ``speed.py`` makes it (copies in ``cNN/`` folders, in a
temporary folder, never in the repository) and indexed once; each term's
concordance is then timed in a new Python process (``searchkit kwic … --format
jsonl``: import, open, read and print all of it), best of ``--runs``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed import DEFAULT_SOURCE, make_corpus  # noqa: E402

#: Names and words of different frequencies in the BBC articles.
TERMS = ("Blair", "Gordon Brown", "Chelsea", "election", "said")
QUOTE = "The government will not stand in the way"


def timed(cmd: list[str], runs: int) -> tuple[float, str]:
    """Best wall time of ``runs`` runs of ``cmd``, and its output (exit 0 or 5 expected)."""
    best, out = float("inf"), ""
    for _ in range(runs):
        began = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        best = min(best, time.perf_counter() - began)
        if proc.returncode not in (0, 5):
            sys.exit(f"kwic.py: {' '.join(cmd)} failed: {proc.stderr}")
        out = proc.stdout
    return best, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--work", type=Path, help="keep the corpus and index here (reused when present)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="searchkit-kwic-"))
    searchkit = [str(Path(sys.executable).parent / "searchkit")]
    try:
        corpus = make_corpus(args.source, args.copies, work / f"corpus_x{args.copies}")
        index = work / f"index_x{args.copies}"
        if not (index / "searchkit.json").exists():
            began = time.perf_counter()
            subprocess.run([*searchkit, "index", "--corpus", str(corpus), "--index", str(index), "-q"], check=True)
            print(f"indexed ×{args.copies} in {time.perf_counter() - began:.1f} s")
        for term in TERMS:
            seconds, out = timed([*searchkit, "kwic", term, "--index", str(index), "--format", "jsonl"], args.runs)
            print(f"kwic {term!r:16} ×{args.copies}: {len(out.splitlines()):>7,} occurrences in {seconds:.2f} s")
        seconds, out = timed([*searchkit, "verify", QUOTE, "--index", str(index), "--corpus", str(corpus),
                              "--format", "json"], args.runs)
        print(f"verify (quote of {len(QUOTE.split())} words) ×{args.copies}: {seconds:.2f} s")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
