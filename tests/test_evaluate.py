"""searchkit eval: collection readers, metric wiring, the CLI, and a ranking-quality guard."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("ir_measures")

from searchkit import build_index  # noqa: E402
from searchkit.cli import main  # noqa: E402
from searchkit.evaluate import (  # noqa: E402
    EvaluationError,
    evaluate,
    load_collection,
    read_qrels,
    read_smart,
    score_run,
    settings_with,
)

from conftest import write  # noqa: E402

JUDGED = Path(__file__).resolve().parent / "data" / "judged"
#: nDCG@10 of the default settings on tests/data/judged, measured when the defaults were
#: chosen; ranking changes that lower it must be deliberate (then measure again).
#: 0.8980 with feedback on; 0.8805 since feedback is off by default (it lost on the
#: SciFact train and NFCorpus dev splits: docs/QUALITY.md).
JUDGED_NDCG10 = 0.8805


def test_metrics_match_hand_computed_values() -> None:
    # One relevant document, ranked second: DCG = 1/log2(3), ideal DCG = 1.
    qrels = {"q": {"a": 1, "c": 0}}
    per_query = score_run(qrels, {"q": [("b", 9.0), ("a", 8.0)]}, ["q", "unanswered"])
    assert per_query["q"]["ndcg@10"] == pytest.approx(1 / math.log2(3))
    assert per_query["q"]["mrr@10"] == pytest.approx(0.5)
    assert per_query["q"]["map"] == pytest.approx(0.5)
    assert per_query["q"]["recall@100"] == pytest.approx(1.0)
    assert per_query["unanswered"] == {"ndcg@10": 0.0, "recall@100": 0.0, "map": 0.0, "mrr@10": 0.0}


def test_run_order_is_kept_when_scores_tie() -> None:
    # trec_eval would put "z" first on a tie (doc ids descending); our rank order wins.
    per_query = score_run({"q": {"a": 1}}, {"q": [("a", 1.0), ("z", 1.0)]})
    assert per_query["q"]["mrr@10"] == 1.0


def test_read_qrels_trec_and_tsv(tmp_path: Path) -> None:
    trec = write(tmp_path, "q.trec", "1 0 d1 2\n1 0 d2 0\n2 Q0 d3 1\n")
    tsv = write(tmp_path, "q.tsv", "query-id\tcorpus-id\tscore\n1\td1\t2\n2\td3\t1\n")
    assert read_qrels(trec) == {"1": {"d1": 2, "d2": 0}, "2": {"d3": 1}}
    assert read_qrels(tsv) == {"1": {"d1": 2}, "2": {"d3": 1}}
    with pytest.raises(EvaluationError, match="q.bad:1"):
        read_qrels(write(tmp_path, "q.bad", "just two\n"))


SMART_DOCS = """.I 1
.T
supersonic wing flutter
.A
smith
.B
j. ae. sc. 1950
.W
supersonic wing flutter
measurements of flutter on swept wings at high mach number .
.I 2
.T
heat transfer in boundary layers
.A
jones
.W
heat transfer in laminar boundary layers with pressure gradient .
.I 3
.T
empty
.W
"""


def test_cranfield_qrels_number_queries_by_position(tmp_path: Path) -> None:
    write(tmp_path, "cran.all.1400", SMART_DOCS.replace("\n", "\r\n"))
    write(tmp_path, "cran.qry", ".I 001\n.W\nflutter of swept\nwings .\n.I 004\n.W\nboundary layer heat transfer .\n")
    write(tmp_path, "cranqrel", "1 1 2 \n1 2 -1 \n2 2 1 \n")
    collection = read_smart(tmp_path)
    assert collection.queries == (("1", "flutter of swept wings ."), ("2", "boundary layer heat transfer ."))
    assert collection.qrels == {"1": {"1": 1, "2": 0}, "2": {"2": 1}}
    assert collection.articles is not None
    first = collection.articles[0]
    assert (first.doc_id, first.title, first.metadata["author"]) == ("1", "supersonic wing flutter", "smith")
    report = evaluate(collection, depth=10)
    assert report.metrics["mrr@10"] == 1.0


def test_cisi_qrels_use_query_ids(tmp_path: Path) -> None:
    write(tmp_path, "CISI.ALL", SMART_DOCS)
    write(tmp_path, "CISI.QRY", ".I 1\n.W\nheat transfer\n.I 2\n.W\nflutter\n")
    write(tmp_path, "CISI.REL", "     1      2 0 0.000000\n     2      1 0 0.000000\n")
    collection = load_collection(tmp_path)
    assert collection.qrels == {"1": {"2": 1}, "2": {"1": 1}}
    assert evaluate(collection, depth=10).metrics["ndcg@10"] == 1.0


def test_beir_split_must_exist() -> None:
    with pytest.raises(EvaluationError, match="pass --split with one of: test"):
        load_collection(JUDGED, "dev")


def test_unknown_folder_layout(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="neither a BEIR folder"):
        load_collection(tmp_path)


def test_settings_with() -> None:
    settings = settings_with(["k1=0.9", "stopwords=false", "stemmer=snowball"])
    assert (settings.k1, settings.stopwords, settings.stemmer) == (0.9, False, "snowball")
    with pytest.raises(EvaluationError, match="NAME=VALUE"):
        settings_with(["nonsense=1"])
    with pytest.raises(EvaluationError, match="takes a float"):
        settings_with(["k1=high"])


def test_ranking_quality_does_not_drop() -> None:
    """The regression guard: default settings on the small judged set shipped in tests/data."""
    report = evaluate(load_collection(JUDGED), depth=100)
    assert report.no_result == 0
    assert report.metrics["ndcg@10"] >= JUDGED_NDCG10 - 0.0005, report.metrics


def test_cli_eval_beir_json_and_run_file(tmp_path: Path) -> None:
    run = tmp_path / "judged.run"
    result = CliRunner().invoke(main, ["eval", str(JUDGED), "--format", "json", "--run", str(run)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["queries"] == 8 and data["split"] == "test"
    assert set(data["metrics"]) == {"ndcg@10", "recall@100", "map", "mrr@10"}
    assert {row["query_id"] for row in data["per_query"]} == {f"q{n}" for n in range(1, 9)}
    first = run.read_text().splitlines()[0].split()
    assert first[1] == "Q0" and first[3] == "1" and first[5] == "searchkit"


def test_cli_eval_text_table() -> None:
    result = CliRunner().invoke(main, ["eval", str(JUDGED), "--per-query", "--set", "k1=0.9"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("judged (test): 8 judged queries")
    assert lines[1].split() == ["query_id", "ndcg@10", "recall@100", "map", "mrr@10"]
    assert lines[-1].startswith("all ") and len(lines) == 2 + 8 + 1


def test_cli_eval_own_queries_against_an_index(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus, "docs.jsonl", (JUDGED / "corpus.jsonl").read_text(encoding="utf-8"))
    build_index(corpus, tmp_path / "index")
    queries = write(tmp_path, "questions.jsonl", '{"id": "a", "query": "sourdough starter"}\n{"id": "b", "query": "tides"}\n')
    qrels = write(tmp_path, "judged.trec", "a 0 d04 1\nb 0 d06 1\n")
    result = CliRunner().invoke(
        main, ["eval", "--queries", str(queries), "--qrels", str(qrels), "--index", str(tmp_path / "index"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["metrics"]["mrr@10"] == 1.0


def test_cli_eval_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["eval"]).exit_code == 2
    queries = write(tmp_path, "q.txt", "tides\n")
    assert runner.invoke(main, ["eval", "--queries", str(queries)]).exit_code == 2
    bad = runner.invoke(main, ["eval", str(JUDGED), "--split", "dev"])
    assert bad.exit_code == 1 and "qrels/dev.tsv" in bad.output
