"""The commands that check citations: ``verify`` and ``kwic`` (quotes against the
sources), ``watch`` (saved searches) and ``export`` (result sets to re-check)."""

from __future__ import annotations

# The C module under ``signal``: importing ``signal`` builds its enums, half a
# millisecond of every command, for the one handler set here.
import sys
from pathlib import Path

import click

from ..index import ensure_index
from ..search import Searcher
from .base import (
    WATCH_LIMIT,
    EXIT_STALE,
    index_option,
    corpus_option,
    syntax_option,
    limit_option,
    filter_options,
    narrowing_options,
    format_option,
    handle_errors,
    _dumps,
    _read_text,
)
from .output import (
    _is_tty,
    snippet,
    print_verified,
    print_concordance,
    _watch_flags,
    print_export_check,
)
from .commands import (
    main,
)


EXIT_UNVERIFIED = 5  # verify: a quote is not in the archive as written (only close matches, or none)


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
    from ..quotes import read_quotes, verify

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
    from ..concordance import kwic

    found = kwic(term, index=index_dir, exact=exact, width=width, sort=sort, limit=limit, where=where, since=since,
                 until=until)
    print_concordance(found, fmt, width)




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
    from ..watches import add_watch

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
    from ..watches import list_watches

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
    from ..watches import remove_watch

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
    from ..watches import run_watches

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


EXPORT_FORMATS = ("jsonl", "csv", "md")


CHECK_FORMATS = ("text", "json")


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
    from ..exports import check_export, export  # here: only this command writes or checks exports

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
