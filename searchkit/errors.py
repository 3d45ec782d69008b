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
    └── EvaluationError        a test collection cannot be read

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
    "shown",
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
