"""Build, update and open the on-disk index: the Whoosh index plus what searchkit records.

The package follows an update through the folder:

* ``layout``: the folder's files, atomic writes, the settings record, clearing leftovers
* ``lock``: one writer at a time
* ``manifest``, ``stems``: searchkit's own caches beside the Whoosh files
* ``storage``: opening and reading the Whoosh index (memory maps shared per process)
* ``writing``, ``parallel``: writing segments, in this process or in forked workers
* ``plan``: what an update must do (the corpus against the manifest); ``check`` uses it too
* ``update``: doing it, as named steps
* ``verify``: what ``searchkit check`` verifies of the files themselves
* ``core``: ``Index`` and open / create / build / ensure
* ``shards``: a sharded index, N complete indexes in one folder (built here or on Dask)

Only this package and ``searchkit.search`` (with ``analysis`` and ``schema``) import Whoosh;
every read of a Whoosh private attribute in this package is in ``layout`` (its file
names), ``storage``, ``writing``, ``parallel`` or ``verify``: the files to review when
Whoosh is upgraded.
"""

from __future__ import annotations

from typing import Any

from .core import Index, build_index, create_index, ensure_index, open_index
from .layout import (
    LOCK_FILE,
    MANIFEST_FILE,
    MANIFEST_JOURNAL,
    SETTINGS_FILE,
    STEMS_FILE,
    clear_leftovers,
)
from .lock import LOCK_TIMEOUT, write_lock

__all__ = [
    "Index", "open_index", "create_index", "build_index", "ensure_index", "WriterOptions",
    "SETTINGS_FILE", "MANIFEST_FILE", "MANIFEST_JOURNAL", "STEMS_FILE", "LOCK_FILE", "LOCK_TIMEOUT",
    "write_lock", "clear_leftovers",
]


def __getattr__(name: str) -> Any:
    # WriterOptions on first use: a search never builds one (a cold start pays for each
    # class a module creates on import).
    if name == "WriterOptions":
        from .options import WriterOptions

        return WriterOptions
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
