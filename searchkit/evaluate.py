"""Measure ranking quality: read a judged test collection, run its queries, score the runs.

Three layouts are read:

* BEIR: a folder with ``corpus.jsonl`` (``_id``, ``title``, ``text``),
  ``queries.jsonl`` (``_id``, ``text``) and ``qrels/<split>.tsv``;
* SMART (Cranfield, CISI): ``.I``/``.T``/``.A``/``.B``/``.W`` records for documents
  and queries, and a ``query_id doc_id [grade]`` judgement file. Cranfield's
  ``cranqrel`` numbers queries by their *position* in ``cran.qry`` (1, 2, 3, …),
  not by their ``.I`` numbers (1, 2, 4, 8, …); when the ``.I`` numbers are not
  1..N, judgements are matched by position. A grade of -1 means "no interest"
  (not relevant); every other listed pair counts as relevant (grade 1);
* a user's own queries (JSON lines with ``id``/``query``, or one per line) and
  judgements (TREC ``qid 0 doc_id grade`` or TSV ``query-id corpus-id score``)
  run against an existing index.

Evaluation is per document: each collection document is indexed as one
``Article`` through the normal pipeline (so it may become several passages), the
passages are searched, and a document takes the score and rank of its best
passage. nDCG@10, Recall@100, MAP and MRR@10 come from ir-measures (the ``eval``
extra); a judged query that returns nothing scores 0 on every measure.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from .errors import EvaluationError, QueryError
from .index import Index, create_index, open_index
from .ingest.formats import iter_json_lines, jsonl_record
from .ingest.text import make_article
from .models import Article
from .search import Searcher, parse_queries
from .settings import Settings

__all__ = [
    "EvaluationError",
    "Collection",
    "QueryScores",
    "EvalReport",
    "MEASURES",
    "read_beir",
    "read_smart",
    "read_qrels",
    "read_queries_file",
    "load_collection",
    "evaluate",
    "settings_with",
    "score_run",
    "write_run",
]

#: The reported measures: (name in reports, ir-measures spelling).
MEASURES = (("ndcg@10", "nDCG@10"), ("recall@100", "R@100"), ("map", "AP"), ("mrr@10", "RR@10"))
#: Documents kept per query: enough for Recall@100 and a MAP that is stable.
DEFAULT_DEPTH = 1000

Qrels = Mapping[str, Mapping[str, int]]


@dataclass(frozen=True)
class Collection:
    """Queries with judgements, and (unless run against an existing index) the documents."""

    name: str
    queries: tuple[tuple[str, str], ...]
    qrels: Qrels
    articles: tuple[Article, ...] | None = None
    split: str | None = None


@dataclass(frozen=True)
class QueryScores:
    """The measures of one query, and how many documents it returned."""

    query_id: str
    query: str
    scores: Mapping[str, float]
    returned: int

    def to_dict(self) -> dict[str, Any]:
        return {"query_id": self.query_id, "query": self.query, **self.scores, "returned": self.returned}


@dataclass(frozen=True)
class EvalReport:
    """The outcome of one evaluation: the mean of each measure and the per-query scores."""

    collection: str
    split: str | None
    metrics: Mapping[str, float]
    per_query: tuple[QueryScores, ...]
    settings: Mapping[str, Any]
    seconds: float
    #: The ranked ``(doc_id, score)`` lists by query id, for a TREC run file.
    run: Mapping[str, tuple[tuple[str, float], ...]] = field(default_factory=dict, repr=False)

    @property
    def no_result(self) -> int:
        """Judged queries for which nothing was returned."""
        return sum(1 for q in self.per_query if q.returned == 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "split": self.split,
            "queries": len(self.per_query),
            "no_result": self.no_result,
            "metrics": dict(self.metrics),
            "settings": dict(self.settings),
            "seconds": round(self.seconds, 3),
            "per_query": [q.to_dict() for q in self.per_query],
        }


# --- readers -----------------------------------------------------------------------

def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvaluationError(f"{path} does not exist; check the collection folder") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EvaluationError(f"{path} cannot be read ({exc}); pass a UTF-8 text file") from None


def read_qrels(path: str | os.PathLike[str]) -> dict[str, dict[str, int]]:
    """Judgements from a TREC qrels file (``qid 0 doc_id grade``) or a TSV file with
    ``query-id corpus-id score`` columns (a header line is skipped)."""
    path = Path(path)
    qrels: dict[str, dict[str, int]] = {}
    for lineno, line in enumerate(_read_text(path).splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) == 4:
            qid, _, doc_id, grade = parts
        elif len(parts) == 3:
            qid, doc_id, grade = parts
        else:
            raise EvaluationError(
                f"{path}:{lineno}: expected 'qid 0 doc_id grade' (TREC) or 'query-id corpus-id score' (TSV)"
            )
        try:
            value = int(float(grade))
        except ValueError:
            if lineno == 1:
                continue  # a header line
            raise EvaluationError(f"{path}:{lineno}: the grade {grade!r} is not a number") from None
        qrels.setdefault(qid, {})[doc_id] = value
    if not qrels:
        raise EvaluationError(f"{path} holds no judgements; write one 'qid 0 doc_id grade' line per pair")
    return qrels


def read_queries_file(path: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """``(query_id, query)`` pairs: JSON lines with ``id``/``_id`` and ``query``/``text``,
    or one query per line."""
    path = Path(path)
    try:
        return parse_queries(_read_text(path), str(path))
    except QueryError as exc:
        raise EvaluationError(str(exc)) from None


def read_beir(folder: str | os.PathLike[str], split: str = "test") -> Collection:
    """A BEIR collection: all of ``corpus.jsonl``, and the queries judged in ``qrels/<split>.tsv``."""
    folder = Path(folder)
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if not qrels_path.exists():
        have = sorted(p.stem for p in (folder / "qrels").glob("*.tsv"))
        raise EvaluationError(
            f"{folder} has no qrels/{split}.tsv; pass --split with one of: {', '.join(have) or 'none found'}"
        )
    qrels = read_qrels(qrels_path)
    queries = [(qid, text) for qid, text in read_queries_file(folder / "queries.jsonl") if qid in qrels]
    articles = []
    source = "corpus.jsonl"
    for lineno, record in iter_json_lines(_read_text(folder / "corpus.jsonl")):
        item = jsonl_record(source, lineno, record, {})
        if isinstance(item, Article):
            articles.append(item)
        else:
            raise EvaluationError(f"{folder / source}:{lineno}: {item.reason}")
    return Collection(folder.name, tuple(queries), qrels, tuple(articles), split)


_SMART_FIELD = re.compile(r"^\.([A-Z])(?:\s+(.*))?$")


def _smart_records(text: str) -> Iterator[tuple[str, dict[str, str]]]:
    """``(id, {field letter: text})`` for each ``.I`` record of a SMART file."""
    record_id: str | None = None
    fields: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.replace("\r", "").split("\n"):
        match = _SMART_FIELD.match(line.rstrip())
        if match and (match.group(1) != "I" or match.group(2)):
            letter, rest = match.groups()
            if letter == "I":
                if record_id is not None:
                    yield record_id, {k: "\n".join(v).strip() for k, v in fields.items()}
                record_id, fields, current = (rest or "").strip(), {}, None
                continue
            current = letter
            fields.setdefault(letter, [])
            if rest:
                fields[letter].append(rest)
        elif current is not None:
            fields[current].append(line.rstrip())
    if record_id is not None:
        yield record_id, {k: "\n".join(v).strip() for k, v in fields.items()}


def _find(folder: Path, patterns: Sequence[str], what: str) -> Path:
    for pattern in patterns:
        found = sorted(p for p in folder.glob(pattern) if p.is_file())
        if found:
            return found[0]
    raise EvaluationError(f"{folder} has no {what} file ({' or '.join(patterns)}); check the collection folder")


def read_smart(folder: str | os.PathLike[str]) -> Collection:
    """A SMART collection (Cranfield ``cran.all.1400``/``cran.qry``/``cranqrel``, or
    CISI ``CISI.ALL``/``CISI.QRY``/``CISI.REL``)."""
    folder = Path(folder)
    docs_path = _find(folder, ("*.all.*", "*.ALL", "*.all"), "documents (.all)")
    queries_path = _find(folder, ("*.qry", "*.QRY"), "queries (.qry)")
    qrels_path = _find(folder, ("*qrel*", "*.REL", "*.rel"), "judgements (qrel/.rel)")
    articles = []
    for doc_id, fields in _smart_records(_read_text(docs_path)):
        title = " ".join(fields.get("T", "").split())
        meta = {"author": " ".join(fields["A"].split())} if fields.get("A") else {}
        articles.append(make_article(doc_id, docs_path.name, fields.get("W", ""), title=title, metadata=meta))
    raw_queries = [(qid, " ".join(f.get("W", "").split())) for qid, f in _smart_records(_read_text(queries_path))]
    positions = [str(n) for n in range(1, len(raw_queries) + 1)]
    # The .I numbers of cran.qry skip values; its judgements count queries 1..N in file order.
    by_position = [str(int(qid)) if qid.isdigit() else qid for qid, _ in raw_queries] != positions
    queries = [
        (positions[n] if by_position else (str(int(qid)) if qid.isdigit() else qid), text)
        for n, (qid, text) in enumerate(raw_queries)
    ]
    qrels: dict[str, dict[str, int]] = {}
    for lineno, line in enumerate(_read_text(qrels_path).splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 2:
            raise EvaluationError(f"{qrels_path}:{lineno}: expected 'query_id doc_id [grade]'")
        qid, doc_id = str(int(parts[0])) if parts[0].isdigit() else parts[0], parts[1]
        # Cranfield: -1 is "no interest"; 1..4 are degrees of relevance. CISI: 0 0.0 on every line.
        relevant = 0 if len(parts) > 2 and parts[2] == "-1" else 1
        qrels.setdefault(qid, {})[doc_id] = max(relevant, qrels.get(qid, {}).get(doc_id, 0))
    judged = [(qid, text) for qid, text in queries if qid in qrels]
    return Collection(folder.name, tuple(judged), qrels, tuple(articles), None)


def load_collection(path: str | os.PathLike[str], split: str = "test") -> Collection:
    """The collection in folder ``path``, BEIR or SMART, told apart by its files."""
    folder = Path(path)
    if not folder.is_dir():
        raise EvaluationError(f"{folder} is not a folder; pass a BEIR or SMART (Cranfield/CISI) collection folder")
    if (folder / "corpus.jsonl").exists():
        return read_beir(folder, split)
    if any(folder.glob("*.qry")) or any(folder.glob("*.QRY")):
        return read_smart(folder)
    raise EvaluationError(
        f"{folder} is neither a BEIR folder (corpus.jsonl, queries.jsonl, qrels/) nor a SMART one "
        "(.all, .qry, qrels); for your own files pass --queries and --qrels with --index"
    )


# --- running and scoring -----------------------------------------------------------

def _ir_measures() -> Any:
    try:
        import ir_measures
    except ImportError:
        raise EvaluationError(
            "evaluation needs the ir-measures package; install it with: pip install 'searchkit-passages[eval]'"
        ) from None
    return ir_measures


def score_run(
    qrels: Qrels, run: Mapping[str, Sequence[tuple[str, float]]], query_ids: Iterable[str] | None = None
) -> dict[str, dict[str, float]]:
    """Each measure for each judged query of ``run`` (a ranked ``(doc_id, score)`` list by
    query id); queries in ``query_ids`` with no run score 0."""
    ir = _ir_measures()
    wanted = list(query_ids) if query_ids is not None else list(qrels)
    measures = {ir.parse_measure(spelling): name for name, spelling in MEASURES}
    per_query = {qid: {name: 0.0 for name, _ in MEASURES} for qid in wanted}
    # Scores are replaced by rank-derived ones: trec_eval re-sorts by score and would
    # break ties by doc_id, not in the order searchkit ranked them.
    ranked = {
        qid: {doc_id: float(len(docs) - rank) for rank, (doc_id, _) in enumerate(docs)}
        for qid, docs in run.items()
        if docs and qid in per_query
    }
    judged = {qid: dict(docs) for qid, docs in qrels.items() if qid in per_query}
    if ranked and judged:
        for metric in ir.iter_calc(list(measures), judged, ranked):
            per_query[metric.query_id][measures[metric.measure]] = float(metric.value)
    return per_query


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _rank_documents(searcher: Searcher, text: str, depth: int) -> list[tuple[str, float]]:
    """Documents ranked by their best passage, at most ``depth`` of them."""
    limit = depth * 2
    while True:
        try:
            # Ranking alone: neither highlights nor copies are looked for.
            hits = searcher.search(text, limit=min(limit, 10_000), highlight=False, copies="none").hits
        except QueryError:
            return []  # nothing searchable in the query: it returns nothing
        docs: dict[str, float] = {}
        for hit in hits:
            docs.setdefault(hit.doc_id, hit.score)
        if len(docs) >= depth or len(hits) < limit or limit >= 10_000:
            return list(docs.items())[:depth]
        limit *= 4


def evaluate(
    collection: Collection,
    *,
    index: str | os.PathLike[str] | Index | None = None,
    settings: Settings | None = None,
    depth: int = DEFAULT_DEPTH,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Index ``collection``'s documents in a temporary index (or use ``index``), run its
    queries with ``settings`` and score the runs."""
    _ir_measures()  # fail before indexing, not after
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="searchkit-eval-") as tmp:
        if collection.articles is not None:
            ix = create_index(Path(tmp) / "index", settings or Settings())
            ix.add_articles(collection.articles)
            owned = True
        elif index is None:
            raise EvaluationError(f"{collection.name} has no documents; pass the index to evaluate against")
        else:
            opened = isinstance(index, (str, os.PathLike))  # else an open Index or ShardedIndex
            ix, owned = (open_index(index), True) if opened else (index, False)
        try:
            with Searcher(ix, settings, close_index=owned) as searcher:
                run: dict[str, tuple[tuple[str, float], ...]] = {}
                for done, (qid, text) in enumerate(collection.queries, 1):
                    run[qid] = tuple(_rank_documents(searcher, text, depth))
                    if progress:
                        progress(done, len(collection.queries))
                used = searcher.settings
        finally:
            if owned:
                ix.close()
    query_ids = [qid for qid, _ in collection.queries]
    per_query = score_run(collection.qrels, run, query_ids)
    scores = tuple(
        QueryScores(qid, text, {k: round(v, 4) for k, v in per_query[qid].items()}, len(run[qid]))
        for qid, text in collection.queries
    )
    metrics = {name: round(_mean([per_query[q][name] for q in query_ids]), 4) for name, _ in MEASURES}
    return EvalReport(
        collection=collection.name,
        split=collection.split,
        metrics=metrics,
        per_query=scores,
        settings={k: v for k, v in vars(used).items()},
        seconds=time.perf_counter() - began,
        run=run,
    )


def settings_with(changes: Iterable[str], base: Settings | None = None) -> Settings:
    """``Settings.from_changes``, its mistakes as ``EvaluationError``."""
    try:
        return Settings.from_changes(changes, base)
    except ValueError as exc:
        raise EvaluationError(str(exc)) from None


def write_run(report: EvalReport, path: str | os.PathLike[str], tag: str = "searchkit") -> None:
    """Write the ranked documents as a TREC run file (``qid Q0 doc_id rank score tag``)."""
    with open(path, "w", encoding="utf-8") as fh:
        for qid, docs in report.run.items():
            for rank, (doc_id, score) in enumerate(docs, 1):
                fh.write(f"{qid} Q0 {doc_id} {rank} {score:.6f} {tag}\n")
