"""The speed benchmark runs end to end on a tiny generated corpus and writes its report.

No BBC data and no timing assertions: this only proves that ``benchmarks/speed.py``
works (CI runs it; the real figures come from running it by hand).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "speed.py"


@pytest.mark.skipif(not (Path(sys.executable).parent / "searchkit").exists(), reason="searchkit script not installed")
def test_speed_benchmark_smoke(tmp_path: Path) -> None:
    out, raw = tmp_path / "BENCHMARKS.md", tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--tiny", "12", "--scales", "1,2", "--runs", "1", "--passes", "1",
         "--queries", "5", "--cold-runs", "1", "--engines", "searchkit,whoosh,fts5",
         "--out", str(out), "--json", str(raw), "--work", str(tmp_path / "work")],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    report = out.read_text(encoding="utf-8")
    assert "python benchmarks/speed.py --tiny 12" in report
    for heading in ("## Targets", "## Build and query speed", "## Cold start"):
        assert heading in report
    data = json.loads(raw.read_text(encoding="utf-8"))
    assert [s["copies"] for s in data["scales"]] == [1, 2]
    small, large = (s["engines"] for s in data["scales"])
    # Distinct ids per copy: the doubled corpus has twice the passages, all of them indexed.
    assert data["scales"][1]["passages"] == 2 * data["scales"][0]["passages"] > 0
    for engine in ("searchkit", "whoosh", "fts5"):
        assert small[engine]["with_hits"] == 5, engine
        assert small[engine]["build_s"] > 0 and small[engine]["index_mb"] > 0
    assert "cold_s" in small["searchkit"] and "update_s" in large["searchkit"]
    assert small["searchkit"]["feedback"]["with_hits"] == 5
    assert "| searchkit, feedback on | ×1 |" in report
    assert "| naive Whoosh | ×2 |" in report


SCALE = SCRIPT.parent / "scale.py"


@pytest.mark.skipif(not (Path(sys.executable).parent / "searchkit").exists(), reason="searchkit script not installed")
def test_scale_benchmark_smoke(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    out, raw = tmp_path / "BENCHMARKS.md", tmp_path / "scale.json"
    out.write_text("# Speed\n\nearlier sections\n", encoding="utf-8")
    cmd = [sys.executable, str(SCALE), "--tiny", "30", "--scale", "1", "--shards", "2", "--queries", "4",
           "--work", str(tmp_path / "work"), "--out", str(out), "--json", str(raw)]
    for _ in range(2):  # a second run replaces the section it wrote
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
    report = out.read_text(encoding="utf-8")
    assert report.startswith("# Speed\n\nearlier sections\n")
    assert report.count("## Sharded indexes (issue 20)") == 1 and report.count("scale.py tiny30x1: end") == 1
    assert "python benchmarks/scale.py --tiny 30" in report
    data = json.loads(raw.read_text(encoding="utf-8"))
    assert [b["mode"] for b in data["builds"]] == ["one1", "one2", "here", "dask1", "dask2"]
    assert all(b["passages"] > 0 and b["index_bytes"] > 0 for b in data["builds"])
    assert data["dask_ratio"] > 0
    for name, equality in data["equality"].items():
        assert equality["equal"] == equality["total"] == 4, name
    assert data["latency"]["dask"]["rounds_per_query"] >= 2
