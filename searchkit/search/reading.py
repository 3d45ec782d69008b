"""Open readers of an index, one per thread: refreshed after a commit, replaced
after a rebuild, closed when idle and superseded, when their thread ends, or
with the searcher.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from typing import Any, Callable, Iterator

from ..index import SETTINGS_FILE, Index

__all__ = ["Reading", "Readings"]


class Reading:
    """One thread's open reader of the index, with what searchkit's own scoring asks
    of a Whoosh searcher (the same statistics, computed the same way). A Whoosh
    searcher over the same reader is made only for what needs Whoosh's matchers
    (syntax, proximity, feedback, ``show``): its module imports Whoosh's query
    modules, which plain words never use."""

    def __init__(self, ix: Any, weighting: Any, built: tuple[int, int] | None = None) -> None:
        self._ix = ix
        self.ixreader = ix.reader()
        self.weighting = weighting
        #: Which build and commit of the index this reads.
        self.built = built
        generation = self.ixreader.generation()
        self.generation = -1 if generation is None else int(generation)  # None: an empty index
        # Guarded by the Readings' lock: searches using it now; superseded by a newer
        # commit (closed when the last of them ends); closed or about to be.
        self.users = 0
        self.stale = False
        self.retired = False
        self.schema = self.ixreader.schema
        self._doccount = self.ixreader.doc_count_all()
        self._idf_cache: dict[tuple[str, Any], float] = {}
        self._df_cache: dict[tuple[str, str], int] = {}
        self._whoosh: Any = None
        self.is_closed = False
        self._closing = threading.Lock()

    def reader(self) -> Any:
        return self.ixreader

    def get_parent(self) -> "Reading":
        return self

    def doc_count_all(self) -> int:
        return self._doccount

    def doc_frequency(self, fieldname: str, text: Any) -> int:
        # Kept: the idf of a query word and the check for its spelling variants both
        # ask, and on a reader of many segments each asks every segment.
        key = (fieldname, text.decode("utf-8") if isinstance(text, bytes) else text)
        found = self._df_cache.get(key)
        if found is None:
            found = self._df_cache[key] = int(self.ixreader.doc_frequency(fieldname, text))
        return found

    def avg_field_length(self, fieldname: str, default: float | None = None) -> float | None:
        if not self.schema[fieldname].scorable:
            return default
        return self.ixreader.field_length(fieldname) / (self._doccount or 1)  # type: ignore[no-any-return]

    def idf(self, fieldname: str, text: Any) -> float:
        key = (fieldname, text)
        found = self._idf_cache.get(key)
        if found is None:
            found = self._idf_cache[key] = self.weighting.idf(self, fieldname, text)
        return found

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        return self.ixreader.stored_fields(docnum)  # type: ignore[no-any-return]

    def whoosh(self) -> Any:
        """A Whoosh searcher over this reader (closed with it)."""
        if self._whoosh is None:
            from whoosh.searching import Searcher as WhooshSearcher

            self._whoosh = WhooshSearcher(self.ixreader, weighting=self.weighting, closereader=False, fromindex=self._ix)
        return self._whoosh

    def up_to_date(self) -> bool:
        # Whoosh's own refresh (``reader(reuse=...)``) is not used: it kept the old
        # reader's segments and their old deletions, so a long-lived searcher went on
        # finding replaced and removed passages, with the old statistics.
        return bool(self._ix.latest_generation() == self.ixreader.generation())

    def close(self) -> None:
        # Under a lock: Readings.close(), a search that sees a newer commit and the
        # thread's finalizer may each close it, and Whoosh raises on a second close.
        with self._closing:
            if self.is_closed:
                return
            self.is_closed = True
        if self._whoosh is not None:
            self._whoosh.close()  # made with closereader=False: it leaves the reader to this
        self.ixreader.close()


class _ThreadToken:
    """Held in one thread's local storage only, so it is freed when the thread ends."""

    __slots__ = ("__weakref__",)


def _close_thread_reading(readings: dict[int, Any], lock: threading.Lock, key: int) -> None:
    with lock:
        reading = readings.pop(key, None)
        if reading is not None:
            reading.retired = True
    if reading is not None:
        reading.close()  # once only, whoever else closes it


class Readings:
    """One searcher's readings of ``index``, one per thread; ``weighting()`` makes
    the Whoosh weighting each new reading scores with."""

    def __init__(self, index: Index, weighting: Callable[[], Any]) -> None:
        self._index = index
        self._weighting = weighting
        self._local = threading.local()
        # Every thread's reading, so close() can close them all, not only its own.
        self._open: dict[int, Reading] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close every thread's reading (one still in use in another thread may fail:
        the others are closed all the same)."""
        with self._lock:
            readings = list(self._open.values())
            self._open.clear()  # in place: the threads' finalizers hold this dict
            for reading in readings:
                reading.retired = True
        try:
            for reading in readings:
                try:
                    reading.close()
                except Exception:  # a search still running in another thread may hold it
                    pass
        finally:
            self._local.reading = None

    def _built(self) -> tuple[int, int] | None:
        """Which build of the index folder this is: its settings file is rewritten only
        when the index is created anew (``--rebuild``)."""
        try:
            info = os.stat(self._index.path / SETTINGS_FILE)
        except OSError:
            return None
        return (info.st_ino, info.st_mtime_ns)

    def current(self) -> Reading:
        """This thread's reading, refreshed when the index has a new commit (not held:
        searches hold theirs with ``held``)."""
        with self.held() as reading:
            return reading

    @contextlib.contextmanager
    def held(self) -> Iterator[Reading]:
        """This thread's reading, refreshed when the index has a new commit and held
        for one use: another thread that sees a newer commit closes it only when idle."""
        reading = self._acquire()
        try:
            yield reading
        finally:
            with self._lock:
                reading.users -= 1
                closing = reading.users == 0 and reading.stale and not reading.retired
                if closing:
                    reading.retired = True
            if closing:
                reading.close()

    def _acquire(self) -> Reading:
        built = self._built()
        while True:
            reading = getattr(self._local, "reading", None)
            # A rebuild may change what the reader was opened for (the recorded
            # settings): a new build gets a new reader, not a refreshed one.
            if reading is None or reading.retired or reading.stale or reading.is_closed or reading.built != built or not reading.up_to_date():
                break
            with self._lock:
                if not (reading.retired or reading.stale):  # not closed by another thread meanwhile
                    reading.users += 1
                    return reading
        fresh = Reading(self._index.whoosh, self._weighting(), built)
        with self._lock:
            fresh.users = 1
            closing = self._retire_older(fresh)
            self._open[id(self._token())] = fresh
        self._local.reading = fresh
        for other in closing:
            other.close()  # a no-op where close() in another thread got there first
        return fresh

    def _token(self) -> _ThreadToken:
        """This thread's key in ``_open``: a token of its own, not its ident (a
        finished thread's ident is reused by the next one). The token dies with the
        thread's local storage and closes its reader, so a thread per request leaks
        no files."""
        token = getattr(self._local, "token", None)
        if token is None:
            token = self._local.token = _ThreadToken()
            weakref.finalize(token, _close_thread_reading, self._open, self._lock, id(token))
        return token  # type: ignore[no-any-return]

    def _retire_older(self, fresh: Reading) -> list[Reading]:
        """Retire every reading of an older commit or another build than ``fresh``, in
        whichever thread it was opened: the idle ones now (returned, to be closed
        outside the lock), the busy ones when the search using them ends. Idle handler
        threads kept replaced segments mapped (deleted files on disk) until their next
        search, which might never come. Called under the lock."""
        closing = []
        for key, other in list(self._open.items()):
            if other.built == fresh.built and other.generation >= fresh.generation:
                continue
            if other.users == 0:
                other.retired = True
                closing.append(other)
                del self._open[key]
            else:
                other.stale = True
        return closing
