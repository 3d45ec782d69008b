"""What a search that fails inside the machinery raises: never a ``QueryError``,
which would blame the query."""

from __future__ import annotations

import contextlib
import errno
import os
import pickle
import struct
import zlib
from typing import Iterator

from ..errors import IndexDamagedError, SearchkitError, SearchUnavailableError

__all__ = ["failure", "not_the_query"]

#: What reading damaged index data raises (cut, overwritten or flipped bytes).
_DATA_ERRORS = (ValueError, EOFError, KeyError, IndexError, OverflowError, struct.error, zlib.error, pickle.UnpicklingError)


def failure(exc: BaseException, index: os.PathLike[str] | str) -> SearchkitError:
    """The error for a search that failed for want of a resource (``SearchUnavailableError``),
    on damaged index data (``IndexDamagedError``), or inside searchkit (``SearchUnavailableError``)."""
    code = getattr(exc, "errno", None)
    if isinstance(exc, MemoryError) or code == errno.ENOMEM:
        what, fix = "out of memory", "retry in a moment, or give the process more memory"
    elif code in (errno.EMFILE, errno.ENFILE):
        what, fix = "too many open files", "retry in a moment, or raise the limit on open files (ulimit -n)"
    elif isinstance(exc, OSError):
        # strerror, not str(exc): that names the file, and the message may go to a web client.
        what = f"the index files cannot be read ({exc.strerror or type(exc).__name__})"
        fix = f"retry in a moment; if it persists, run: searchkit check --index {index}"
    elif isinstance(exc, _DATA_ERRORS):
        return IndexDamagedError(index, f"{type(exc).__name__}: {exc}")
    else:
        what = f"it failed inside searchkit ({type(exc).__name__})"
        fix = (
            f"if searchkit check --index {index} finds damage, rebuild it: searchkit index --rebuild "
            f"--index {index}; otherwise report it"
        )
    return SearchUnavailableError(f"the search cannot run right now: {what}; {fix}")


@contextlib.contextmanager
def not_the_query(index: os.PathLike[str] | str) -> Iterator[None]:
    """Whatever fails inside the search machinery, other than searchkit's own errors,
    becomes ``failure``'s error for the index at ``index``."""
    try:
        yield
    except SearchkitError:
        raise
    except Exception as exc:
        raise failure(exc, index) from exc
