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

Only this package and ``searchkit.search`` (with ``analysis`` and ``schema``) import Whoosh;
every read of a Whoosh private attribute in this package is in ``layout`` (its file
names), ``storage``, ``writing``, ``parallel`` or ``verify``: the files to review when
Whoosh is upgraded.
"""

from __future__ import annotations

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
from .options import WriterOptions

__all__ = [
    "Index", "open_index", "create_index", "build_index", "ensure_index", "WriterOptions",
    "SETTINGS_FILE", "MANIFEST_FILE", "MANIFEST_JOURNAL", "STEMS_FILE", "LOCK_FILE", "LOCK_TIMEOUT",
    "write_lock", "clear_leftovers",
]
