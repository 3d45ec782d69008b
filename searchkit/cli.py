"""The ``searchkit`` command line: parse options, call one library function, print.

Every command shares the same spelling of the same option (``--index``,
``--corpus``, ``--limit``, ``--format``). Errors from the library become one line
on stderr and a non-zero exit code: 1 for an error, 2 for a usage mistake, 3 when
indexing skipped some files, 4 when ``check`` finds the index out of step with its corpus
(or ``export --check`` an export out of step with its sources), 5 when ``verify``
does not find a quote as written.
"""

from __future__ import annotations

import functools
import json
# The C module under ``signal``: importing ``signal`` builds its enums, half a
# millisecond of every command, for the one handler set here.
import _signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, TextIO

import click

from . import __version__
from .errors import QueryError, SearchkitError, exit_code
from .index import LOCK_TIMEOUT, SETTINGS_FILE, build_index, ensure_index
from .models import Copy, Hit, IndexReport, PassageContext, SearchResults
from .settings import Settings
from .search import Searcher, parse_queries

EXIT_ERROR = 1
EXIT_PARTIAL = 3
EXIT_STALE = 4
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as shells report it
FORMATS = ("text", "json", "jsonl", "trec")
SNIPPET_CHARS = 320


# --- shared options ------------------------------------------------------------------

def index_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--index", "index_dir", default="index", show_default=True, envvar="SEARCHKIT_INDEX",
        type=click.Path(file_okay=False, path_type=Path),
        help="Index folder (or set SEARCHKIT_INDEX).",
    )(f)


def corpus_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--corpus", "corpus_dir", default="corpus", show_default=True, envvar="SEARCHKIT_CORPUS",
        type=click.Path(path_type=Path),
        help="Corpus folder of .txt/.md/.html/.jsonl articles (or set SEARCHKIT_CORPUS).",
    )(f)


def syntax_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--syntax", is_flag=True,
        help='Read the query as query syntax: AND/OR/NOT, "phrases", field:value, prefix*, fuzzy~.',
    )(f)


def limit_option(what: str, default: int = 10) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--limit``/``-n`` of the commands that list passages; ``what`` is its help."""
    return click.option("--limit", "-n", type=click.IntRange(1, 10_000), default=default, show_default=True, help=what)


def lock_timeout_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--lock-timeout", type=float, default=LOCK_TIMEOUT, show_default=True,
        help="Seconds to wait for another process that is writing the index.",
    )(f)


def dask_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--dask", metavar="ADDRESS", default=None,
        help="Run on Dask: a scheduler address (tcp://host:8786), or local / local:W for W workers on this "
             "machine. Needs a sharded index and: pip install 'searchkit-passages[dask]'.",
    )(f)


def filter_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Filters and date bounds (--where, --since, --until): one spelling for every
    command that narrows the passages it looks at."""
    options = [
        click.option("--where", "where", multiple=True, metavar="FIELD=VALUE",
                     help="Only passages whose FIELD has VALUE (author, publisher, kind, doc_id, source glob, "
                          "any metadata key); repeat: same field ORs, different fields AND."),
        click.option("--since", metavar="DATE", help="Only articles dated on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD)."),
        click.option("--until", metavar="DATE", help="Only articles dated on or before DATE (inclusive)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def narrowing_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Filters, date bounds, grouping, order, facets and paging: one spelling for
    every command that lists passages."""
    options = [
        click.option("--group-by", "group_by", type=click.Choice(["article"]), help="One hit per article: its best passage."),
        click.option("--sort", type=click.Choice(["relevance", "date", "-date"]), default="relevance", show_default=True,
                     help="Order: relevance, date (oldest first) or -date (newest first); undated last."),
        click.option("--facets", metavar="FIELD[,FIELD...]", default="",
                     help="Count every match by these fields (publisher, author, kind, year, month, a metadata key)."),
        click.option("--offset", type=click.IntRange(0, 100_000), default=0, show_default=True,
                     help="Skip this many hits: the next page."),
    ]
    for option in reversed(options):
        f = option(f)
    return filter_options(f)


def copies_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--copies`` of the commands that rank passages (search, similar)."""
    return click.option(
        "--copies", type=click.Choice(["together", "separate"]), default="together", show_default=True,
        help="Near-identical passages (wire copy republished) as one hit listing the others, or as separate hits.",
    )(f)


def format_option(choices: Iterable[str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        return click.option(
            "--format", "fmt", type=click.Choice(list(choices)), default="text", show_default=True,
            help="Output format: text for people, json/jsonl for programs.",
        )(f)
    return decorate


class Terminated(BaseException):
    """SIGTERM, raised where the process is, so that a write stops as cleanly as on
    Ctrl-C: workers stopped, partial files removed, the last commit kept."""


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated()


def _stop_signal(exc: BaseException) -> BaseException | None:
    """The Ctrl-C or SIGTERM behind ``exc``, if one is. Python 3.11 wraps an exception
    raised while a class is being made (a dataclass imported lazily) in a RuntimeError."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain:
        if isinstance(seen, (KeyboardInterrupt, Terminated)):
            return seen
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    return None


def _forget_interrupt() -> None:
    """Keep exit code 130 for a Ctrl-C the CLI handled. A KeyboardInterrupt that left
    an ``exec`` of a string (dataclasses and namedtuple make their methods so) sets
    CPython's "unhandled interrupt" flag, and at exit the interpreter then kills
    itself with SIGINT even though the exception was caught; the next ``exec`` of a
    string clears that flag."""
    exec("pass")  # noqa: S102 - a constant: only its side effect on the flag matters


def _stopped(exc: BaseException) -> None:
    terminated = isinstance(exc, Terminated)
    if not terminated:
        _forget_interrupt()
    click.echo(
        f"searchkit: {'terminated' if terminated else 'interrupted'}; the index keeps its last "
        "complete commit (run the command again to finish)", err=True,
    )
    sys.exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)


def handle_errors(f: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into one line on stderr and an exit code, never a traceback."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # serve's uvicorn sets its own handler while it runs; the caller's comes back after.
        previous = _signal.signal(_signal.SIGTERM, _terminate) if threading.current_thread() is threading.main_thread() else None
        try:
            return f(*args, **kwargs)
        except SearchkitError as exc:
            click.echo(f"searchkit: error: {exc}", err=True)
            sys.exit(exit_code(exc))
        except (KeyboardInterrupt, Terminated) as exc:
            _stopped(exc)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(EXIT_ERROR)
        except OSError as exc:
            click.echo(f"searchkit: error: {exc.filename or ''} {exc.strerror or exc}".strip(), err=True)
            sys.exit(EXIT_ERROR)
        except Exception as exc:
            stop = _stop_signal(exc)
            if stop is None:
                raise
            _stopped(stop)
        finally:
            if previous is not None:
                _signal.signal(_signal.SIGTERM, previous)

    return wrapper


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


# --- output --------------------------------------------------------------------------

def _is_tty(stream: TextIO) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def snippet(hit: Hit, colour: bool, width: int = SNIPPET_CHARS) -> str:
    """A window of the passage around its first matched word, matched words marked."""
    text = hit.text
    # Start the window at the highlight whose neighbourhood holds the most distinct words.
    first, best = 0, -1
    for a, _ in hit.highlights:
        inside = {text[x:y].lower() for x, y in hit.highlights if a <= x and y <= a + width * 2 // 3}
        if len(inside) > best:
            first, best = a, len(inside)
    start = max(0, min(first - width // 3, len(text) - width))
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + width)
    pieces = []
    pos = start
    for a, b in hit.highlights:
        if b <= start or a >= end:
            continue
        a, b = max(a, start), min(b, end)
        pieces.append(text[pos:a])
        word = text[a:b]
        pieces.append(click.style(word, fg="yellow", bold=True) if colour else f"[{word}]")
        pos = b
    pieces.append(text[pos:end])
    body = " ".join("".join(pieces).split())
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")


def print_text(results: SearchResults, out: TextIO, colour: bool, batch: bool) -> None:
    if batch:
        click.echo(f"== {results.query_id}: {results.query}", file=out)
    if results.suggestion:
        click.echo(f"did you mean: {results.suggestion}", file=out)
    if results.total is not None:
        grouped = any(hit.group_count is not None for hit in results.hits)
        unit = "article" if grouped else "passage"
        shown_ = f"; showing {results.offset + 1}-{results.offset + len(results.hits)}" if results.hits else ""
        click.echo(f"{results.total} {unit}{'' if results.total == 1 else 's'} match{shown_}", file=out)
    if results.undated:
        click.echo(f"({results.undated} matching passage{'' if results.undated == 1 else 's'} without a date left out)", file=out)
    for name, values in results.facets.items():
        counts = ", ".join(f"{value} ({count})" for value, count in values) or "none"
        click.echo(f"{name}: {counts}", file=out)
    if results.total is not None or results.facets:
        click.echo("", file=out)
    if not results.hits:
        click.echo(f"no passage matches {results.query!r}", file=out)
    for hit in results.hits:
        title = click.style(hit.title, bold=True) if colour else hit.title
        click.echo(f"{hit.rank}. {title}  (score {hit.score:.3f})", file=out)
        click.echo(f"   {hit.citation}", file=out)
        click.echo(f"   id {hit.passage_id}", file=out)
        if hit.matched:
            click.echo(f"   also matched: {', '.join(dict.fromkeys(hit.matched.values()))}", file=out)
        if hit.group_count and hit.group_count > 1:
            click.echo(f"   and {hit.group_count - 1} more matching passage{'' if hit.group_count == 2 else 's'} in this article", file=out)
        if hit.copies:
            # Copies from other files, and the same file's other articles, are other sources.
            where = {(c.source, c.doc_id) for c in hit.copies} - {(hit.source, hit.doc_id)}
            click.echo(f"   also in {len(where)} other source{'' if len(where) == 1 else 's'}: "
                       + "; ".join(dict.fromkeys(_copy_place(c) for c in hit.copies)), file=out)
        click.echo(f"   {snippet(hit, colour)}", file=out)
        click.echo("", file=out)
    if results.timed_out:
        click.echo("(the search hit its time limit: these are the best hits found by then)", file=out)


def _copy_place(copy: Copy) -> str:
    return ", ".join(part for part in (copy.publisher, copy.date, copy.source) if part)


def print_results(all_results: list[SearchResults], fmt: str, batch: bool) -> None:
    out = sys.stdout
    for results in all_results:
        if fmt == "text":
            print_text(results, out, _is_tty(out), batch)
        elif fmt == "jsonl":
            import jsonlines  # here: it is slow to import and only this format needs it

            writer = jsonlines.Writer(out, dumps=_dumps, flush=True)
            for hit in results.hits:
                row = hit.to_dict()
                writer.write({"query_id": results.query_id, **row} if batch else row)
        elif fmt == "json":
            click.echo(_dumps(results.to_dict()), file=out)
        else:  # trec: qid Q0 docno rank score tag
            qid = results.query_id or "1"
            for hit in results.hits:
                click.echo(f"{qid} Q0 {hit.passage_id} {hit.rank} {hit.score:.6f} searchkit", file=out)


def read_queries(path: str) -> list[tuple[str, str]]:
    """Queries from a file ("-" for stdin), as ``parse_queries`` reads them."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"cannot read queries file {path} ({exc}); pass a UTF-8 text file or -") from None
    return parse_queries(text, path)


def report_index(report: IndexReport, fmt: str) -> None:
    for item in report.skipped:
        click.echo(f"searchkit: skipped {item}", err=True)
    for item in report.warnings:
        click.echo(f"searchkit: warning: {item}", err=True)
    if fmt == "json":
        click.echo(_dumps(report.to_dict()))
    else:
        click.echo(report.summary())
        if report.watch_summary():
            click.echo(report.watch_summary())


class ProgressBar:
    """Files done of all, rate and time left, redrawn in place on a terminal.

    Called as ``progress(done, total)``; redraws at most every ``every`` seconds so
    a fast run is not slowed by its own display. ``close`` erases the line so the
    one-line summary takes its place.
    """

    def __init__(self, stream: TextIO, every: float = 0.1, width: int = 24) -> None:
        self.stream, self.every, self.width = stream, every, width
        self.began = time.monotonic()
        self.last = float("-inf")
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < self.every:
            return
        self.last = now
        rate = done / max(now - self.began, 1e-6)
        filled = self.width * done // total if total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        tail = f"{(total - done) / rate:.0f} s left" if done < total and rate > 0 else "writing the index"
        line = f"indexing [{bar}] {done:,}/{total:,} files  {rate:,.0f} files/s  {tail}"
        self.stream.write("\r" + line.ljust(self.shown))
        self.stream.flush()
        self.shown = len(line)

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.stream.flush()
            self.shown = 0


# --- commands ------------------------------------------------------------------------

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
    from .check import check_index, repair_index  # here: only this command reads the whole corpus

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


def print_context(context: PassageContext, fmt: str) -> None:
    if fmt == "json":
        click.echo(_dumps(context.to_dict()))
        return
    colour = _is_tty(sys.stdout)
    click.echo(str(context.citation))
    click.echo(f"passage_id {context.passage.passage_id}, doc_id {context.passage.doc_id}")
    click.echo("")
    if context.previous:
        click.echo(click.style(context.previous.text, dim=True) if colour else context.previous.text)
        click.echo("")
    click.echo(click.style(context.passage.text, bold=True) if colour else context.passage.text)
    if context.next:
        click.echo("")
        click.echo(click.style(context.next.text, dim=True) if colour else context.next.text)


def _load_extra(module: str, extra: str) -> Any:
    """Import an optional front-end only when its command runs, so the core stays lean and fast."""
    import importlib

    try:
        return importlib.import_module(f"searchkit.{module}")
    except ModuleNotFoundError as exc:
        if (exc.name or "").startswith("searchkit"):
            raise
        raise SearchkitError(
            f"this command needs the {extra} extra ({exc.name} is not installed); "
            f"install it with: pip install 'searchkit-passages[{extra}]'"
        ) from None


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


def print_evaluation(report: Any, fmt: str, per_query: bool) -> None:
    if fmt == "json":
        click.echo(_dumps(report.to_dict()))
        return
    from .evaluate import MEASURES

    names = [name for name, _ in MEASURES]
    split = f" ({report.split})" if report.split else ""
    click.echo(
        f"{report.collection}{split}: {len(report.per_query)} judged queries, "
        f"{report.no_result} with no result, {report.seconds:.1f} s"
    )
    width = max([len("query_id"), *(len(q.query_id) for q in report.per_query)]) if per_query else len("query_id")
    click.echo(f"{'query_id':<{width}}  " + "  ".join(f"{n:>10}" for n in names))
    if per_query:
        for q in report.per_query:
            click.echo(f"{q.query_id:<{width}}  " + "  ".join(f"{q.scores[n]:>10.4f}" for n in names))
    click.echo(f"{'all':<{width}}  " + "  ".join(f"{report.metrics[n]:>10.4f}" for n in names))


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
    from .evaluate import Collection, evaluate, load_collection, read_qrels, read_queries_file, settings_with, write_run

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


# --- verify and kwic: checking quotes against the sources ---------------------------

EXIT_UNVERIFIED = 5  # verify: a quote is not in the archive as written (only close matches, or none)


def _read_text(path: str, what: str) -> str:
    """A UTF-8 file's text ("-" for stdin) for a command's input file."""
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"cannot read {what} file {path} ({exc}); pass a UTF-8 text file or -") from None


def print_verified(result: Any, colour: bool) -> None:
    from .quotes import CLOSE

    if not result.matches:
        click.echo(f"not found: no passage holds {result.quote!r} or anything close to it")
    for m in result.matches:
        kind = f"{m.match} (similarity {m.similarity:.3f})" if m.match == CLOSE else m.match
        click.echo(click.style(kind, bold=True) if colour else kind)
        click.echo(f"   {m.citation}")
        click.echo(f"   passage {', '.join(m.passage_ids) or '(none: outside the passages)'}")
        click.echo(f"   {' '.join((m.marked() if m.differences else m.text).split())}")
    click.echo("")


@main.command("verify")
@click.argument("quote", required=False)
@click.option("--quotes", "quotes_file", metavar="FILE",
              help='Many quotes: one per line, or JSON lines with a "quote" key; "-" reads stdin.')
@click.option("--source", metavar="PATH", help="Look only in this source file (as citations name it).")
@index_option
@corpus_option
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="How many matches to print per quote.")
@format_option(("text", "json"))
@handle_errors
def verify_command(quote: str | None, quotes_file: str | None, source: str | None, index_dir: Path,
                   corpus_dir: Path, limit: int, fmt: str) -> None:
    """Is QUOTE in the archive, and where? Prints each match with its exact offsets
    in the source text and its citation: exact, normalised (differs only in quote
    marks, dashes, white space, case or ellipsis) or close (similarity, and the
    differing words shown as [source → quote]).

    Exits 0 when every quote is found exact or normalised, 5 otherwise. Sources are
    re-read from --corpus (when it is there) so a quote may span passages.

    \b
    Examples:
      searchkit verify "Senate Resolution 211 follows a bipartisan measure"
      searchkit verify --quotes quotes.txt --format json
    """
    from .quotes import read_quotes, verify

    if (quote is None) == (quotes_file is None):
        raise click.UsageError("give a QUOTE or --quotes FILE (not both)")
    quotes = read_quotes(_read_text(quotes_file, "quotes")) if quotes_file else [quote or ""]
    ix = ensure_index(index_dir, corpus_dir)
    corpus = corpus_dir if corpus_dir.is_dir() else None
    colour = _is_tty(sys.stdout)
    found = True
    with Searcher(ix, close_index=True) as searcher:
        for number, text in enumerate(quotes, 1):
            result = verify(text, index=searcher, corpus=corpus, source=source, limit=limit)
            found = found and result.found
            if fmt == "json":
                click.echo(_dumps(result.to_dict()))
            else:
                if quotes_file:
                    click.echo(f"== {number}: {text}")
                print_verified(result, colour)
    if not found:
        sys.exit(EXIT_UNVERIFIED)


def print_concordance(concordance: Any, fmt: str, width: int) -> None:
    if fmt == "jsonl":
        for o in concordance:
            click.echo(_dumps(o.to_dict()))
        return
    if fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        fields = ("source", "doc_id", "passage_id", "start", "end", "left", "match", "right", "citation")
        writer.writerow(fields)
        for o in concordance:
            writer.writerow([getattr(o, f) for f in fields])
        return
    colour = _is_tty(sys.stdout)
    for o in concordance:
        match = click.style(o.match, fg="yellow", bold=True) if colour else f"[{o.match}]"
        # The context keeps its own white space around the match: no padding is added.
        click.echo(f"{o.left:>{width}}{match}{o.right:<{width}}  {o.source} chars {o.start}-{o.end}")
    how = "as written" if concordance.exact else "all forms"
    shown = f"; showing {len(concordance)}" if len(concordance) < concordance.total else ""
    click.echo(f"{concordance.total} occurrence(s) of {concordance.term!r} ({how}){shown}")


@main.command("kwic")
@click.argument("term")
@index_option
@click.option("--exact", is_flag=True, help="The words as written (any case), not all their forms.")
@click.option("--width", type=click.IntRange(0, 1000), default=40, show_default=True,
              help="Characters of context on each side.")
@click.option("--sort", type=click.Choice(["source", "left", "right"]), default="source", show_default=True,
              help="Order: by source file and offset, or by the words to the left or right.")
@click.option("--limit", "-n", type=click.IntRange(1, None), default=None,
              help="Print only the first N occurrences (the count says how many there are).")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "jsonl"]), default="text", show_default=True,
              help="Output format: text for people, csv for spreadsheets, jsonl for programs.")
@filter_options
@handle_errors
def kwic_command(term: str, index_dir: Path, exact: bool, width: int, sort: str, limit: int | None, fmt: str,
                 where: tuple[str, ...], since: str | None, until: str | None) -> None:
    """A concordance of TERM (a word, name or phrase): every occurrence in the
    indexed passages with the words around it, its offsets in the source text and
    its citation. All forms of the words by default ("condemn" finds "condemned").

    \b
    Examples:
      searchkit kwic condemn --sort left
      searchkit kwic "human rights" --exact --format csv > rights.csv
      searchkit kwic Kadyrov --where publisher=Reuters --since 2017
    """
    from .concordance import kwic

    found = kwic(term, index=index_dir, exact=exact, width=width, sort=sort, limit=limit, where=where, since=since,
                 until=until)
    print_concordance(found, fmt, width)


# --- watch: saved searches ----------------------------------------------------------

#: ``searchkit.watches.DEFAULT_LIMIT``, spelled out: the module is imported only when a watch command runs.
WATCH_LIMIT = 100


@main.group("watch")
def watch_group() -> None:
    """Saved searches, kept in the index folder: after each `searchkit index` that
    adds or changes articles, the report names those with new hits; `watch run`
    prints the hits that are new since its last run.

    \b
    Example:
      searchkit watch add "court ruling" "court ruling" --since 2017
      searchkit watch run --format jsonl
    """


@watch_group.command("add")
@click.argument("name")
@click.argument("query", required=False, default="")
@index_option
@limit_option("How many of the best hits each run looks at.", WATCH_LIMIT)
@syntax_option
@filter_options
@click.option("--sort", type=click.Choice(["relevance", "date", "-date"]), default="relevance", show_default=True,
              help="Order: relevance, date (oldest first) or -date (newest first); undated last.")
@handle_errors
def watch_add_command(name: str, query: str, index_dir: Path, limit: int, syntax: bool, where: tuple[str, ...],
                      since: str | None, until: str | None, sort: str) -> None:
    """Save QUERY (with search's options) as NAME. Its first run reports every hit;
    later runs only those not reported before. QUERY may be left out with a filter.

    \b
    Examples:
      searchkit watch add "court ruling" "court ruling"
      searchkit watch add chechnya-reuters chechnya --where publisher=Reuters --sort -date
    """
    from .watches import add_watch

    watch = add_watch(index_dir, name, query, limit=limit, syntax=syntax, where=where, since=since, until=until,
                      sort=sort)
    click.echo(f"saved {watch.name!r}: {watch.query!r}")


@watch_group.command("list")
@index_option
@format_option(("text", "json"))
@handle_errors
def watch_list_command(index_dir: Path, fmt: str) -> None:
    """List the saved searches: query, options, last run and passages seen.

    \b
    Example:
      searchkit watch list --format json
    """
    from .watches import list_watches

    watches = list_watches(index_dir)
    if fmt == "json":
        click.echo(_dumps([w.to_dict() for w in watches]))
        return
    if not watches:
        click.echo("no saved searches; add one with: searchkit watch add NAME QUERY")
    for w in watches:
        options = " ".join(_watch_flags(w.options))
        click.echo(f"{w.name}: {w.query!r}{' ' + options if options else ''}")
        click.echo(f"   last run {w.last_run or 'never'}, {w.seen} passage{'' if w.seen == 1 else 's'} seen")


def _watch_flags(options: dict[str, Any] | Any) -> list[str]:
    """A saved search's options as the command-line flags that set them (defaults left out)."""
    flags = [f"--where {v}" for v in options.get("where") or ()]
    flags += [f"--{k} {options[k]}" for k in ("since", "until") if options.get(k)]
    if options.get("sort", "relevance") != "relevance":
        flags.append(f"--sort {options['sort']}")
    if options.get("syntax"):
        flags.append("--syntax")
    if options.get("limit", WATCH_LIMIT) != WATCH_LIMIT:
        flags.append(f"--limit {options['limit']}")
    return flags


@watch_group.command("remove")
@click.argument("name")
@index_option
@handle_errors
def watch_remove_command(name: str, index_dir: Path) -> None:
    """Forget the saved search NAME and the passages it has seen.

    \b
    Example:
      searchkit watch remove "court ruling"
    """
    from .watches import remove_watch

    click.echo(f"removed {remove_watch(index_dir, name).name!r}")


@watch_group.command("run")
@click.argument("name", required=False)
@index_option
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl"]), default="text", show_default=True,
              help="Output format: text for people, jsonl for scripts (one object per new hit, with the watch name).")
@handle_errors
def watch_run_command(name: str | None, index_dir: Path, fmt: str) -> None:
    """Run the saved search NAME (all of them without NAME) and print the hits that
    are new since its last run; they are then marked seen.

    \b
    Examples:
      searchkit watch run "court ruling"
      searchkit watch run --format jsonl >> new-hits.jsonl
    """
    from .watches import run_watches

    runs = run_watches(index_dir, name)
    colour = _is_tty(sys.stdout)
    if fmt == "jsonl":
        for run in runs:
            for hit in run.hits:
                click.echo(_dumps({"watch": run.name, **hit.to_dict()}))
        return
    if not runs:
        click.echo("no saved searches; add one with: searchkit watch add NAME QUERY")
    for run in runs:
        click.echo(f"== {run.name}: {len(run.hits)} new of {run.total} hit{'' if run.total == 1 else 's'}")
        for hit in run.hits:
            title = click.style(hit.title, bold=True) if colour else hit.title
            click.echo(f"{hit.rank}. {title}")
            click.echo(f"   {hit.citation}")
            click.echo(f"   id {hit.passage_id}")
            click.echo(f"   {snippet(hit, colour)}")
        click.echo("")


# --- export: result sets an editor can re-check -------------------------------------

EXPORT_FORMATS = ("jsonl", "csv", "md")
CHECK_FORMATS = ("text", "json")


def print_export_check(report: Any, fmt: str) -> None:
    if fmt == "json":
        click.echo(_dumps(report.to_dict()))
        return
    for h in report.hits:
        where = f"{h.source}{f' [{h.doc_id}]' if h.source.endswith('.jsonl') else ''} chars {h.start}-{h.end}"
        moved = f" -> {h.new_start}-{h.new_end}" if h.status == "moved" else ""
        edited = " (the file was edited elsewhere)" if h.status == "unchanged" and h.file_unchanged is False else ""
        click.echo(f"{h.status:<9} [{h.rank}] {where}{moved}{edited}")
    if report.results_intact is False:
        click.echo(f"results file {report.file} differs from the one exported (its sha256 is not the manifest's)")
    elif report.results_intact is None:
        click.echo(f"results file {report.file} is gone (the manifest still lists its hits)")
    click.echo(report.summary())


@main.command("export")
@click.argument("query", required=False)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Results file to write; its manifest is written beside it as FILE.manifest.json.")
@click.option("--check", "check_file", metavar="FILE",
              help="Re-check an export (its results file or manifest) against the sources instead.")
@index_option
@corpus_option
@limit_option("How many passages to export.")
@syntax_option
@narrowing_options
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS + CHECK_FORMATS),
              help="Export: jsonl, csv or md (default: from the --out suffix .csv/.md, else jsonl). "
                   "--check: text or json (default text).")
@click.pass_context
@handle_errors
def export_command(ctx: click.Context, query: str | None, out: Path | None, check_file: str | None, index_dir: Path,
                   corpus_dir: Path, limit: int, syntax: bool, where: tuple[str, ...], since: str | None,
                   until: str | None, group_by: str | None, sort: str, facets: str, offset: int,
                   fmt: str | None) -> None:
    """Export the hits for QUERY to --out (jsonl, csv for spreadsheets, or md: a
    story file's appendix of numbered citations) with a manifest beside it: the
    searchkit version, settings, the index's generation and build id, the query and
    every option, the time, each cited file's content hash and the results' sha256.
    The same query on the same index writes the same file, byte for byte.

    With --check FILE, re-read every source the export cites (from --corpus, or
    the corpus folder the manifest records) and say of each hit: unchanged, moved
    (new offsets given), changed or missing. Exits 4 when any hit is not unchanged.

    \b
    Examples:
      searchkit export "Senate Resolution 211" --out senate.jsonl
      searchkit export chechnya --where publisher="NBC Out" --limit 20 --out story.md
      searchkit export --check senate.jsonl --format json
    """
    from .exports import check_export, export  # here: only this command writes or checks exports

    if check_file is not None:
        if query is not None or out is not None:
            raise click.UsageError("--check FILE takes no QUERY or --out")
        if fmt not in (None, *CHECK_FORMATS):
            raise click.UsageError(f"--check prints text or json, not {fmt}")
        # The manifest's corpus unless --corpus (or SEARCHKIT_CORPUS) says otherwise.
        given = ctx.get_parameter_source("corpus_dir") != click.core.ParameterSource.DEFAULT
        report = check_export(check_file, corpus=corpus_dir if given else None)
        print_export_check(report, fmt or "text")
        if not report.ok:
            sys.exit(EXIT_STALE)
        return
    if query is None or out is None:
        raise click.UsageError("give a QUERY and --out FILE, or --check FILE")
    if facets:
        raise click.UsageError("--facets counts matches; an export writes hits (search --facets shows the counts)")
    if fmt in CHECK_FORMATS:
        raise click.UsageError(f"an export is written as {', '.join(EXPORT_FORMATS)}, not {fmt}")
    fmt = fmt or {".csv": "csv", ".md": "md"}.get(out.suffix.lower(), "jsonl")
    report = export(
        query, out, index=index_dir, corpus=corpus_dir if corpus_dir.is_dir() else None, format=fmt, limit=limit,
        syntax=syntax, where=where, since=since, until=until, group_by=group_by, sort=sort, offset=offset,
    )
    click.echo(f"wrote {report.hits} hit(s) to {report.out} ({report.format}); manifest {report.manifest}")


if __name__ == "__main__":  # pragma: no cover
    main()
