"""What every command shares: exit codes, the shared options (one spelling each),
and turning errors and signals into one line on stderr and an exit code."""

from __future__ import annotations

import functools
import json
# The C module under ``signal``: importing ``signal`` builds its enums, half a
# millisecond of every command, for the one handler set here.
import _signal
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Iterable

import click

from ..errors import QueryError, SearchkitError, exit_code
from ..index import LOCK_TIMEOUT


EXIT_ERROR = 1


EXIT_PARTIAL = 3


EXIT_STALE = 4


EXIT_INTERRUPTED = 130


EXIT_TERMINATED = 143  # 128 + SIGTERM, as shells report it


FORMATS = ("text", "json", "jsonl", "trec")


SNIPPET_CHARS = 320


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
        "--copies", type=click.Choice(["together", "separate", "none"]), default="together", show_default=True,
        help="Near-identical passages (wire copy republished) as one hit listing the others, or as separate hits "
             "(none: separate, with no copies looked up).",
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


def _read_text(path: str, what: str) -> str:
    """A UTF-8 file's text ("-" for stdin) for a command's input file."""
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"cannot read {what} file {path} ({exc}); pass a UTF-8 text file or -") from None


#: ``searchkit.watches.DEFAULT_LIMIT``, spelled out: the module is imported only when a watch command runs.
WATCH_LIMIT = 100
