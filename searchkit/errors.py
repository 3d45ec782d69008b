"""The exceptions searchkit raises: one base class, one subclass per kind of failure.

    SearchkitError
    ├── CorpusError            a corpus folder or file cannot be read
    ├── IndexNotFoundError     there is no searchkit index at the given path
    ├── IndexMismatchError     the index was built with other settings or schema
    ├── IndexDamagedError      an index file is damaged (truncated, overwritten)
    ├── IndexLockedError       another process is writing the index
    ├── IndexWriteError        the index cannot be written (full disk, read-only folder)
    ├── QueryError             a query cannot be parsed or run
    ├── SearchUnavailableError a search cannot run right now (open files, memory, a failure inside)
    ├── PassageNotFoundError   no passage has the given id
    ├── WatchError             a saved search cannot be added, read or run
    │   └── WatchNotFoundError no saved search has the given name
    ├── EvaluationError        a test collection cannot be read
    └── ExportError            an export cannot be written, or a file is not an export

Every message names the thing (file, folder, query, id) and says what to do.
The library raises these; only the command line prints them.
"""

from __future__ import annotations

import os

__all__ = [
    "SearchkitError",
    "CorpusError",
    "IndexNotFoundError",
    "IndexMismatchError",
    "IndexDamagedError",
    "IndexLockedError",
    "IndexWriteError",
    "QueryError",
    "SearchUnavailableError",
    "PassageNotFoundError",
    "EvaluationError",
    "WatchError",
    "WatchNotFoundError",
    "ExportError",
    "shown",
    "OUTCOMES",
    "exit_code",
    "http_status",
]


def shown(query: str) -> str:
    """A query as error messages show it: quoted, escaped, and cut short."""
    return repr(query if len(query) <= 60 else query[:60] + "…")


class SearchkitError(Exception):
    """Base class of every error searchkit raises on purpose."""


class CorpusError(SearchkitError):
    """A corpus folder or one of its files cannot be read."""


class IndexNotFoundError(SearchkitError):
    """There is no searchkit index at the given path."""


class IndexMismatchError(SearchkitError):
    """The index on disk was built with other settings or another schema version."""


class IndexDamagedError(SearchkitError):
    """A file of the index is damaged (cut short, overwritten): the index has to be
    repaired or rebuilt from its corpus; ``file`` names the file when it is known."""

    def __init__(self, index: str | os.PathLike[str], detail: str, file: str | None = None) -> None:
        self.index = str(index)
        self.detail = detail
        self.file = file
        where = f"{file} of the index at {index}" if file else f"the index at {index}"
        # The corpus is not known where searches run: the fix names the index only.
        super().__init__(
            f"{where} is damaged ({detail}); repair it: searchkit check --repair --index {index}, "
            f"or rebuild it: searchkit index --rebuild --index {index}"
        )


class IndexWriteError(SearchkitError):
    """The index cannot be written (a full disk, a read-only folder): the last commit stands."""


class IndexLockedError(SearchkitError):
    """Another process holds the index's write lock."""


class QueryError(SearchkitError):
    """A query cannot be parsed or run."""


class SearchUnavailableError(SearchkitError):
    """A search failed for want of a resource (open files, memory), because the index
    files could not be read, or inside searchkit: not the query's fault; it may pass."""


class PassageNotFoundError(SearchkitError):
    """No passage in the index has the given id."""


class EvaluationError(SearchkitError):
    """A test collection cannot be read, or the metrics library is missing."""


class WatchError(SearchkitError):
    """A saved search cannot be added (a bad or taken name, bad options) or its file read."""


class WatchNotFoundError(WatchError):
    """No saved search of the index has the given name."""


class ExportError(SearchkitError):
    """An export's results file or manifest cannot be written, or a file given to
    check is not an export (no manifest beside it, or not one searchkit wrote)."""


#: What each kind of error means to a front-end, in one place: the command line's
#: exit code and the HTTP API's status. The nearest class listed for an error decides.
#: Every library error exits 1 on the command line (exit codes 2-4 and 130/143 are
#: the CLI's own: usage, partial index, stale index, interrupted, terminated).
OUTCOMES: dict[type[SearchkitError], tuple[int, int]] = {
    SearchkitError: (1, 500),
    QueryError: (1, 400),  # the request is at fault: fix the query
    PassageNotFoundError: (1, 404),
    CorpusError: (1, 404),  # the server's source view: the cited file is gone
    SearchUnavailableError: (1, 503),  # it may pass: retry
    IndexDamagedError: (1, 503),
    IndexNotFoundError: (1, 503),  # the folder was removed or replaced under the server
    IndexMismatchError: (1, 503),
    IndexLockedError: (1, 503),
    IndexWriteError: (1, 503),
    EvaluationError: (1, 500),
    WatchError: (1, 400),
    WatchNotFoundError: (1, 404),
    ExportError: (1, 400),
}


def _outcome(exc: SearchkitError) -> tuple[int, int]:
    for cls in type(exc).__mro__:
        if cls in OUTCOMES:
            return OUTCOMES[cls]  # type: ignore[index]
    return OUTCOMES[SearchkitError]


def exit_code(exc: SearchkitError) -> int:
    """The command line's exit code for ``exc``."""
    return _outcome(exc)[0]


def http_status(exc: SearchkitError) -> int:
    """The HTTP API's status code for ``exc``."""
    return _outcome(exc)[1]
