"""The ``searchkit`` command line: parse options, call one library function, print.

Every command shares the same spelling of the same option (``--index``,
``--corpus``, ``--limit``, ``--format``). Errors from the library become one line
on stderr and a non-zero exit code: 1 for an error, 2 for a usage mistake, 3 when
indexing skipped some files, 4 when ``check`` finds the index out of step with its corpus
(or ``export --check`` an export out of step with its sources), 5 when ``verify``
does not find a quote as written.

* ``base``: exit codes, the shared options, errors and signals
* ``output``: printing results, passages and reports
* ``commands``: the group and ``index``, ``search``, ``check``, ``show``, ``similar``,
  ``serve``, ``mcp``, ``eval``
* ``citations``: ``verify``, ``kwic``, ``watch``, ``export``
"""

from .base import (
    EXIT_ERROR, EXIT_INTERRUPTED, EXIT_PARTIAL, EXIT_STALE, EXIT_TERMINATED, handle_errors, _forget_interrupt, _stopped,
)
from .commands import main
from .base import WATCH_LIMIT
from .citations import EXIT_UNVERIFIED  # and the commands it adds to ``main``
from .output import ProgressBar

__all__ = [
    "main", "handle_errors", "ProgressBar", "EXIT_ERROR", "EXIT_PARTIAL", "EXIT_STALE", "EXIT_UNVERIFIED",
    "EXIT_INTERRUPTED", "EXIT_TERMINATED", "WATCH_LIMIT", "_forget_interrupt", "_stopped",
]
