"""How the commands print: results, passages, reports and progress, as text for
people or JSON for programs."""

from __future__ import annotations

# The C module under ``signal``: importing ``signal`` builds its enums, half a
# millisecond of every command, for the one handler set here.
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import click

from ..errors import QueryError
from ..models import Copy, Hit, IndexReport, PassageContext, SearchResults
from ..search import parse_queries
from .base import (
    WATCH_LIMIT,
    SNIPPET_CHARS,
    _dumps,
)


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


def print_evaluation(report: Any, fmt: str, per_query: bool) -> None:
    if fmt == "json":
        click.echo(_dumps(report.to_dict()))
        return
    from ..evaluate import MEASURES

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


def print_verified(result: Any, colour: bool) -> None:
    from ..quotes import CLOSE

    if not result.matches:
        click.echo(f"not found: no passage holds {result.quote!r} or anything close to it")
    for m in result.matches:
        kind = f"{m.match} (similarity {m.similarity:.3f})" if m.match == CLOSE else m.match
        click.echo(click.style(kind, bold=True) if colour else kind)
        click.echo(f"   {m.citation}")
        click.echo(f"   passage {', '.join(m.passage_ids) or '(none: outside the passages)'}")
        click.echo(f"   {' '.join((m.marked() if m.differences else m.text).split())}")
    click.echo("")


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
