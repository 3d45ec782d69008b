"""The ``searchkit`` group and its commands for indexing, searching, serving and
evaluating: each parses its options, calls one library function and prints."""

from __future__ import annotations

# The C module under ``signal``: importing ``signal`` builds its enums, half a
# millisecond of every command, for the one handler set here.
import sys
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..index import SETTINGS_FILE, build_index, ensure_index
from ..models import IndexReport
from ..settings import Settings
from ..search import Searcher
from .base import (
    EXIT_PARTIAL,
    EXIT_STALE,
    FORMATS,
    index_option,
    corpus_option,
    syntax_option,
    limit_option,
    lock_timeout_option,
    dask_option,
    narrowing_options,
    copies_option,
    format_option,
    handle_errors,
    _dumps,
    _load_extra,
)
from .output import (
    _is_tty,
    print_results,
    read_queries,
    report_index,
    ProgressBar,
    print_context,
    print_evaluation,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="searchkit")
def main() -> None:
    """Cited passage search over a folder of articles.

    \b
    Example:
      searchkit index --corpus corpus --index index
      searchkit search "Who introduced Senate Resolution 211?"
    """


@main.command("index")
@corpus_option
@index_option
@click.option("--rebuild", is_flag=True, help="Start from an empty index (after changing settings).")
@lock_timeout_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--set", "changes", multiple=True, metavar="NAME=VALUE",
              help="Build with a setting changed, e.g. --set fold_accents=false (repeatable; with --rebuild "
                   "for an index built otherwise).")
@click.option("--shards", type=click.IntRange(1, 256), default=None, metavar="N",
              help="Build a sharded index of N shards (each corpus file in one, by its path); "
                   "with --rebuild to shard an index or change the count.")
@dask_option
@format_option(("text", "json"))
@handle_errors
def index_command(corpus_dir: Path, index_dir: Path, rebuild: bool, lock_timeout: float, quiet: bool,
                  changes: tuple[str, ...], shards: int | None, dask: str | None, fmt: str) -> None:
    """Build the index, or update it: new and changed files are indexed, deleted
    ones removed, unchanged ones left alone. The settings it was built with are
    recorded in it; searches use them.

    \b
    Examples:
      searchkit index --corpus corpus --index index
      searchkit index --rebuild --set fold_accents=false
      searchkit index --rebuild --shards 4 --dask local:2
    """
    bar = ProgressBar(sys.stderr) if not quiet and _is_tty(sys.stderr) and dask is None else None

    def shard_done(number: int, part: IndexReport) -> None:
        if not quiet:
            if bar:
                bar.close()
            click.echo(f"searchkit: shard {number:03d}: {part.summary()}", err=True)

    try:
        try:
            settings = Settings.from_changes(changes) if changes else None
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--set") from None
        report = build_index(
            corpus_dir, index_dir, settings, rebuild=rebuild, lock_timeout=lock_timeout, progress=bar, shards=shards,
            dask=dask, on_shard=shard_done,
        )
    finally:
        if bar:
            bar.close()
    report_index(report, fmt)
    if report.partial:
        sys.exit(EXIT_PARTIAL)


@main.command("search")
@click.argument("query", required=False)
@index_option
@corpus_option
@limit_option("How many passages to return.")
@syntax_option
@click.option("--queries", "queries_file", metavar="FILE",
              help='Batch: JSON lines with "id" and "query", or one query per line; "-" reads stdin.')
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=10.0, show_default=True,
              help="Seconds a query may run; then the best hits found so far are printed, marked as partial.")
@copies_option
@narrowing_options
@format_option(FORMATS)
@handle_errors
def search_command(query: str | None, index_dir: Path, corpus_dir: Path, limit: int, syntax: bool,
                   queries_file: str | None, time_limit: float, copies: str, where: tuple[str, ...], since: str | None,
                   until: str | None, group_by: str | None, sort: str, facets: str, offset: int, fmt: str) -> None:
    """Search for QUERY and print the best passages with their citations.

    Builds the index from --corpus first if there is none. With a filter and no
    QUERY, lists every passage that passes, newest first.

    \b
    Examples:
      searchkit search "Who introduced Senate Resolution 211?"
      searchkit search police --where publisher="NBC Out" --since 2017 --facets author,year
      searchkit search senate --group-by article --sort -date --offset 10
      searchkit search "wire story" --copies separate
      searchkit search --where kind=caption
      searchkit search '"human rights" AND russia' --syntax --format jsonl
      searchkit search --queries questions.jsonl --format trec
    """
    narrowed = bool(where or since or until)
    if query is not None and queries_file is not None or query is None and queries_file is None and not narrowed:
        raise click.UsageError("give a QUERY or --queries FILE (not both), or a filter (--where, --since, --until)")
    batch = queries_file is not None
    queries = read_queries(queries_file) if queries_file else [("1", query or "")]
    had_index = (index_dir / SETTINGS_FILE).exists()
    ix = ensure_index(index_dir, corpus_dir)
    if not had_index:
        click.echo(f"searchkit: built the index in {index_dir} from {corpus_dir}", err=True)
    options = dict(
        limit=limit, syntax=syntax, time_limit=time_limit, where=where, since=since, until=until,
        group_by=group_by, sort=sort, facets=facets, offset=offset, total=fmt == "json", copies=copies,
    )
    with Searcher(ix, close_index=True) as searcher:
        results = [searcher.search(text, query_id=query_id if batch else None, **options) for query_id, text in queries]
    print_results(results, fmt, batch)


@main.command("check")
@corpus_option
@index_option
@click.option("--repair", is_flag=True, help="Re-index what is stale (rebuild if the settings differ), then check again.")
@lock_timeout_option
@format_option(("text", "json"))
@handle_errors
def check_command(corpus_dir: Path, index_dir: Path, repair: bool, lock_timeout: float, fmt: str) -> None:
    """Check the index against the corpus: files added, changed or deleted since the
    last build, citations that no longer match their source, unreadable files,
    settings or schema that differ. Exits 4 when something is off.

    \b
    Examples:
      searchkit check --corpus corpus --index index
      searchkit check --repair
    """
    from ..check import check_index, repair_index  # here: only this command reads the whole corpus

    report = check_index(corpus_dir, index_dir)
    repaired = None
    if repair and not report.ok:
        repaired = repair_index(corpus_dir, index_dir, report, lock_timeout=lock_timeout)
        before, report = report, check_index(corpus_dir, index_dir)
    if fmt == "json":
        out: dict[str, Any] = report.to_dict()
        if repaired is not None:
            out = {"before": before.to_dict(), "repair": repaired.to_dict(), "after": out}
        click.echo(_dumps(out))
    else:
        if repaired is not None:
            for line in before.problems():
                click.echo(f"was: {line}")
            click.echo(f"repaired: {repaired.summary()}")
        for line in report.problems():
            click.echo(line)
        click.echo(report.summary())
    if not report.ok:
        sys.exit(EXIT_STALE)


@main.command("show")
@click.argument("passage_id")
@index_option
@format_option(("text", "json"))
@handle_errors
def show_command(passage_id: str, index_dir: Path, fmt: str) -> None:
    """Show one passage by id with the passages around it and its full citation.

    \b
    Example:
      searchkit show 3f2a9c0d1e2b4a5c
    """
    with Searcher(index_dir) as searcher:
        context = searcher.show(passage_id)
    print_context(context, fmt)


@main.command("similar")
@click.argument("passage_id")
@index_option
@limit_option("How many passages to return.")
@copies_option
@narrowing_options
@format_option(FORMATS)
@handle_errors
def similar_command(passage_id: str, index_dir: Path, limit: int, copies: str, where: tuple[str, ...], since: str | None,
                    until: str | None, group_by: str | None, sort: str, facets: str, offset: int, fmt: str) -> None:
    """Show the passages most like passage PASSAGE_ID (by its most distinctive words),
    the passage itself and its exact copies left out. Takes search's filters.

    \b
    Examples:
      searchkit similar 3f2a9c0d1e2b4a5c
      searchkit similar 3f2a9c0d1e2b4a5c --group-by article --where publisher=Reuters --format json
      searchkit similar 3f2a9c0d1e2b4a5c --copies separate
    """
    with Searcher(index_dir) as searcher:
        results = searcher.similar(
            passage_id, limit=limit, where=where, since=since, until=until, group_by=group_by, sort=sort,
            facets=facets, offset=offset, total=fmt == "json", copies=copies,
        )
    print_results([results], fmt, False)


@main.command("serve")
@index_option
@corpus_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback lets other machines read the index.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@dask_option
@handle_errors
def serve_command(index_dir: Path, corpus_dir: Path, host: str, port: int, dask: str | None) -> None:
    """Serve the index over HTTP: a search page at /, a read-only JSON API
    (/search, /passages/ID, /health) described at /openapi.json.

    Builds the index from --corpus first if there is none; --corpus is also where
    the source view reads articles. Needs: pip install 'searchkit-passages[server]'.

    \b
    Example:
      searchkit serve --corpus corpus --index index --port 8000
      curl 'http://127.0.0.1:8000/search?q=Senate+Resolution+211&limit=3'
      searchkit serve --index big-index --dask tcp://scheduler:8786
    """
    server = _load_extra("server", "server")
    ix = ensure_index(index_dir, corpus_dir)
    if dask is not None:
        ix = Searcher(ix, close_index=True, dask=dask)
    if host not in server.LOOPBACK_HOSTS and not host.startswith("127."):
        click.echo(f"searchkit: warning: listening on {host}: anyone who reaches this port can search", err=True)
    click.echo(f"searchkit: serving {index_dir} at http://{host}:{port}/ (Ctrl-C stops)", err=True)
    server.serve(ix, corpus_dir, host=host, port=port)


@main.command("mcp")
@index_option
@corpus_option
@handle_errors
def mcp_command(index_dir: Path, corpus_dir: Path) -> None:
    """Run an MCP server over stdio with the tools search, show_passage and verify_quote, for AI
    assistants. Builds the index from --corpus first if there is none.
    Needs: pip install 'searchkit-passages[mcp]'.

    \b
    Example (the command an assistant's MCP configuration starts):
      searchkit mcp --index /path/to/index
    """
    mcp_server = _load_extra("mcp_server", "mcp")
    mcp_server.run(ensure_index(index_dir, corpus_dir), corpus_dir if corpus_dir.is_dir() else None)


@main.command("eval")
@click.argument("collection", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--split", default="test", show_default=True, help="BEIR: which qrels/<split>.tsv to evaluate.")
@click.option("--queries", "queries_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='Your own queries (JSON lines with "id" and "query", or one per line), run against --index.')
@click.option("--qrels", "qrels_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Your own judgements: TREC (qid 0 doc_id grade) or TSV (query-id corpus-id score).")
@index_option
@click.option("--run", "run_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the ranked documents to this TREC run file.")
@click.option("--depth", type=click.IntRange(1, 10_000), default=1000, show_default=True,
              help="Documents ranked per query (MAP looks this deep).")
@click.option("--set", "changes", multiple=True, metavar="NAME=VALUE",
              help="Change a setting for this run, e.g. --set k1=0.9 (repeatable).")
@click.option("--per-query", is_flag=True, help="Text format: one row per query, not just the means.")
@format_option(("text", "json"))
@handle_errors
def eval_command(collection: Path | None, split: str, queries_file: Path | None, qrels_file: Path | None,
                 index_dir: Path, run_file: Path | None, depth: int, changes: tuple[str, ...], per_query: bool,
                 fmt: str) -> None:
    """Measure ranking quality: nDCG@10, Recall@100, MAP and MRR@10.

    COLLECTION is a BEIR folder (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv) or
    a SMART one (Cranfield, CISI); its documents are indexed in a temporary
    index. Or give --queries and --qrels to evaluate an existing --index. A
    document is scored by its best passage. Needs: pip install 'searchkit-passages[eval]'.

    \b
    Examples:
      searchkit eval ../shared/bench/scifact --split test
      searchkit eval ../shared/bench/cranfield --per-query --run cranfield.run
      searchkit eval --queries questions.jsonl --qrels judged.tsv --index index --format json
    """
    from ..evaluate import Collection, evaluate, load_collection, read_qrels, read_queries_file, settings_with, write_run

    if (collection is None) == (queries_file is None):
        raise click.UsageError("give a COLLECTION folder, or --queries and --qrels with --index (not both)")
    if queries_file is not None and qrels_file is None:
        raise click.UsageError("--queries needs --qrels (the judgements to score against)")
    if collection is not None:
        data = load_collection(collection, split)
        settings = settings_with(changes)
        index = None
    else:
        assert queries_file is not None and qrels_file is not None
        qrels = read_qrels(qrels_file)
        queries = tuple((q, t) for q, t in read_queries_file(queries_file) if q in qrels)
        data = Collection(queries_file.stem, queries, qrels)
        index = index_dir
        settings = settings_with(changes)
    progress = None
    if _is_tty(sys.stderr):
        def progress(done: int, total: int) -> None:
            click.echo(f"\rquery {done}/{total}", err=True, nl=done == total)
    report = evaluate(data, index=index, settings=settings, depth=depth, progress=progress)
    if run_file is not None:
        write_run(report, run_file)
    print_evaluation(report, fmt, per_query)
