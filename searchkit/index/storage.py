"""Reading the index files: Whoosh's index opened with retries, its files memory
mapped once per process and shared by every reader."""

from __future__ import annotations

import collections
import io
import mmap
import os
import pickle
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Callable

import whoosh.index
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile


class _FileIndex(whoosh.index.FileIndex):
    """Whoosh's index, with its table of contents read as its readers are: Whoosh finds
    the latest generation's file name, then opens it, and a commit in between deletes
    it. Its ``reader()`` retries for that; ``schema`` and opening did not."""

    def _read_toc(self) -> Any:
        return _retrying(super()._read_toc)


def _retrying(read: Callable[[], Any]) -> Any:
    for attempt in range(20):
        try:
            return read()
        except FileNotFoundError:
            if attempt == 19:
                raise
            time.sleep(0.01)


class _SharedMap:
    """One memory map of one index file, shared by every reader in this process."""

    __slots__ = ("map", "users")

    def __init__(self, mapped: mmap.mmap) -> None:
        self.map = mapped
        self.users = 0


#: (path, device, inode, size, mtime) -> the file's map. Python's mmap keeps a
#: duplicate of the file's descriptor for as long as the map lives (``trackfd`` is
#: Python 3.13), so a map per reader cost a descriptor per file per thread: a server
#: with 40 handler threads on a 10-segment index ran out at the usual limit of 1024.
#: Mapped once per process, the descriptors follow the index, not the threads.
_MAPS: dict[tuple[str, int, int, int, int], _SharedMap] = {}

_MAPS_LOCK = threading.Lock()

#: Keys of maps a reader let go of. A release can run inside a garbage collection
#: (an unclosed reader's finalizer) in a thread that already holds the lock, so it
#: only queues the key and takes the lock if it is free; its holder drains the rest.
_RELEASED: "collections.deque[tuple[str, int, int, int, int]]" = collections.deque()


def _reset_maps_lock() -> None:
    global _MAPS_LOCK
    _MAPS_LOCK = threading.Lock()  # a forked worker may inherit it held by another thread


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_reset_maps_lock)


def _release_map(key: tuple[str, int, int, int, int]) -> None:
    _RELEASED.append(key)
    _drain_released()


def _drain_released() -> None:
    # Checked again after each release of the lock: a key queued while it was held
    # by another thread is that thread's to drain.
    while _RELEASED and _MAPS_LOCK.acquire(blocking=False):
        unmapped = []
        try:
            while _RELEASED:
                key = _RELEASED.popleft()
                shared = _MAPS.get(key)
                if shared is not None:
                    shared.users -= 1
                    if shared.users <= 0:
                        unmapped.append(_MAPS.pop(key).map)
        finally:
            _MAPS_LOCK.release()
        # Unmapped when its last reader closes: a segment that a commit replaced is
        # deleted from the disk, and its space is freed only then.
        for mapped in unmapped:
            try:
                mapped.close()
            except BufferError:  # a view of it is still alive: unmapped when that goes
                pass


class _MapCursor:
    """A position of its own in a shared map, for what Whoosh reads with seek and read
    (the table of contents, pickles): the map's own position is shared by every reader."""

    def __init__(self, mapped: mmap.mmap, key: tuple[str, int, int, int, int]) -> None:
        self._map = mapped
        self._position = 0
        # The map is let go of once: by close(), or when a reader that was never
        # closed is collected.
        self._release = weakref.finalize(self, _release_map, key)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = (0, self._position, len(self._map))[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        start = self._position
        end = len(self._map) if size is None or size < 0 else min(start + size, len(self._map))
        self._position = max(start, end)
        return self._map[start:end]

    def readline(self, size: int | None = -1) -> bytes:
        start = self._position
        newline = self._map.find(b"\n", start)
        end = len(self._map) if newline < 0 else newline + 1
        if size is not None and size >= 0:
            end = min(end, start + size)
        self._position = max(start, end)
        return self._map[start:end]

    def close(self) -> None:
        self._release()


class _MappedFile(StructFile):
    """An index file opened for reading, mapped into memory: a read is a slice of the
    map, not a seek and a read call on a buffered file (term lookups and posting
    blocks do several per word and segment of every search). Each file is mapped
    once per process (``_MAPS``) however many readers have it open."""

    def __init__(self, path: str, name: str, **kwargs: Any) -> None:
        info = os.stat(path)
        self._map: mmap.mmap | None = None
        if not info.st_size:
            super().__init__(io.BytesIO(b""), name=name, **kwargs)
            return
        # The name and the file's identity: Whoosh never rewrites a file in place, but
        # a rebuild may reuse a name for a new file.
        key = (path, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        with _MAPS_LOCK:
            shared = _MAPS.get(key)
            if shared is None:
                with open(path, "rb") as fh:
                    shared = _MAPS[key] = _SharedMap(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))
            shared.users += 1
        _drain_released()
        self._map = shared.map
        super().__init__(_MapCursor(shared.map, key), name=name, **kwargs)  # type: ignore[arg-type]

    def get(self, position: int, length: int) -> bytes:
        if self._map is None:
            return b""
        return self._map[position : position + length]

    def read_pickle(self) -> Any:
        # Every posting block starts with a small pickle; unpickled from a slice of the
        # map: from the cursor, pickle made about 20 calls of its read() per block.
        if self._map is None:
            return super().read_pickle()
        start = self.file.tell()
        window = 512
        while True:
            buffer = io.BytesIO(self._map[start : start + window])
            try:
                value = pickle.load(buffer)
            except (EOFError, pickle.UnpicklingError):
                if start + window >= len(self._map):
                    raise
                window *= 16  # cut short by the slice
                continue
            self.file.seek(start + buffer.tell())
            return value


class _Storage(FileStorage):
    """Whoosh's file storage, reading through memory maps."""

    def open_file(self, name: str, **kwargs: Any) -> Any:
        return _MappedFile(self._fpath(name), name, **kwargs)


def _open_whoosh(path: Path, schema: Any = None) -> Any:
    """The Whoosh index in ``path`` (``schema`` replaces the pickled one, for a rebuild)."""
    return _retrying(lambda: _FileIndex(_Storage(str(path)), schema=schema))


def segments(ix: Any) -> list[Any]:
    """The segments of ``ix``'s latest commit, from its table of contents (a reader
    would open every segment's term table)."""
    return list(ix._segments())


def write_empty_toc(path: Path, schema: Any, generation: int) -> None:
    """An empty table of contents as ``generation``: the index holds nothing from then on."""
    storage = FileStorage(str(path))
    whoosh.index.TOC(schema, [], generation).write(storage, whoosh.index._DEF_INDEX_NAME)
