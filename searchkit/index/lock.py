"""The index's write lock: one writer at a time, and who holds it when another waits."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from whoosh.filedb.filestore import FileStorage

from ..errors import (
    IndexLockedError,
)
from .layout import LOCK_FILE, _settle, clear_leftovers

#: Seconds a writer waits for another process's write lock by default.
LOCK_TIMEOUT = 10.0


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # there os.kill(pid, 0) would terminate the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _lock_holder(path: Path) -> str:
    """Who holds the write lock, as the holder wrote it into the lock file."""
    try:
        pid = int((path / LOCK_FILE).read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return "pid unknown"
    if not _pid_alive(pid):
        return f"pid {pid}, no longer running: a process it started may still hold the lock"
    return f"pid {pid}"


@contextmanager
def write_lock(path: str | os.PathLike[str], timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the index's write lock, waiting up to ``timeout`` seconds for another writer.

    The lock is an operating-system file lock (the one Whoosh's writers take), so a
    process that dies, even by SIGKILL, releases it: a stale lock cannot outlive its
    holder. The holder's pid is written into the lock file for the message others see;
    a pid left there by a dead process is simply overwritten.
    """
    path = Path(path)
    lock = FileStorage(str(path)).lock(LOCK_FILE)
    deadline = time.monotonic() + max(0.0, timeout)
    while not lock.acquire():
        left = deadline - time.monotonic()
        if left <= 0:
            raise IndexLockedError(
                f"the index at {path} is being updated by another process ({_lock_holder(path)}); "
                f"waited {timeout:g} s: try again when it has finished, or pass a longer --lock-timeout"
            )
        time.sleep(min(0.1, left))
    fd = getattr(lock, "fd", None)
    if fd is not None:
        _LOCK_FDS.add(fd)
    try:
        if fd is not None:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        _settle(path)
        clear_leftovers(path)
        yield
    finally:
        _LOCK_FDS.discard(fd)
        lock.release()


#: Descriptors of the write locks this process holds. A forked child closes its
#: copies at once: a flock belongs to the open file, so an indexing worker that
#: outlived a killed parent kept the lock, and every later ``searchkit index`` waited
#: for it in vain.
_LOCK_FDS: set[int | None] = set()


def _drop_inherited_locks() -> None:
    for fd in _LOCK_FDS:
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
    _LOCK_FDS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_inherited_locks)
