"""The parallel writer: chunks of passages written into segments by forked
workers, which never outlive the process that started them."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from .. import analysis
from .options import SEGMENT_OPTIONS, WriterOptions


def _fork_context() -> Any:
    """Workers are forked: they inherit the open index and their documents. None where
    there is no fork (then one process writes). Imported here: searching never needs it."""
    import multiprocessing

    return multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None


def _index_chunk(
    ix: Any, writer_options: WriterOptions, docs: list[dict[str, Any]], conn: Any, stemmer: str, parent: int, close: list[int]
) -> None:
    """In a forked worker: write ``docs`` into a segment of their own; send it back
    with the new stems, or what went wrong (the parent reports it: a worker's
    traceback on the terminal would only be noise)."""
    _become_worker(parent, close)
    try:
        known = analysis.known_stems(stemmer)
        before = set(known)
        writer = writer_options.segment_writer(ix, stemmer, term_pool=True, **SEGMENT_OPTIONS)
        for n, fields in enumerate(docs):
            # Dropped as written: the pool reuses their memory rather than growing beside them.
            docs[n] = None  # type: ignore[call-overload]
            writer.add_document(**fields)
            if not n % 512 and os.getppid() != parent:
                os._exit(1)  # orphaned where the parent's death sends no signal
        segment = writer._finalize_segment()  # its pool files are gone; the shared temp folder stays for the parent
        conn.send(("done", segment, {word: known[word] for word in known.keys() - before}))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
        try:
            conn.send(("failed", type(exc).__name__, getattr(exc, "errno", None), str(getattr(exc, "strerror", None) or exc)))
        except OSError:
            pass  # the parent is gone
    finally:
        conn.close()


def _become_worker(parent: int, close: list[int]) -> None:
    """First thing in a forked worker: die with the parent, leave Ctrl-C to it, and let
    go of the descriptors it does not need. The read end of a pipe still open in a
    worker (its own, or a sibling's inherited at the fork) kept the pipe alive after
    the parent was killed: the worker blocked for ever in writing its segment."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the workers on Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            # PR_SET_PDEATHSIG: SIGKILL when the parent dies, whatever kills it.
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the parent-pid checks while writing remain
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)
    for fd in close:
        try:
            os.close(fd)
        except OSError:
            pass


class ParallelWriter:
    """A Whoosh writer that analyses and writes on all cores, with the scores of one.

    Added documents are buffered; each full chunk goes to a forked worker that
    writes it into a segment of its own while this process reads on. At commit this
    process indexes the rest itself, and the segments are listed in the order their
    documents came, so document numbers (which break ties between equal scores)
    follow the corpus order. BM25 statistics are summed over segments when
    searching, so scores are those of a one-process build; Whoosh's own
    ``procs=N`` into one segment re-sums lossy one-byte field lengths and drifts
    them. Deletions go through this process's writer, as do updates too small to
    fill a chunk (no worker is started for them).
    """

    def __init__(self, ix: Any, stemmer: str, context: Any, options: WriterOptions, chunk: int | None = None) -> None:
        self._ix, self._stemmer, self._options = ix, stemmer, options
        self._procs, self._chunk = options.procs, chunk or options.chunk_passages
        self._context = context
        self._base = options.segment_writer(ix, stemmer, **SEGMENT_OPTIONS)
        self._buffer: list[dict[str, Any]] = []
        self._jobs: list[tuple[Any, Any]] = []
        self._segments: list[Any] = []
        # Started past the first chunk size: it goes on with a long build after a checkpoint,
        # so its rest is worth the workers even before a chunk of its own has filled.
        self._continues = self._chunk > options.chunk_passages

    @property
    def is_closed(self) -> bool:
        return bool(self._base.is_closed)

    @property
    def chunk(self) -> int:
        """Passages the next chunk will hold."""
        return self._chunk

    @property
    def chunks(self) -> int:
        """Chunks handed to workers so far (each is a job or, once collected, a segment)."""
        return len(self._jobs) + len(self._segments)

    def delete_by_term(self, fieldname: str, text: str) -> int:
        return int(self._base.delete_by_term(fieldname, text))

    def add_document(self, **fields: Any) -> None:
        self._buffer.append(fields)
        if len(self._buffer) >= self._chunk:
            self._dispatch(self._buffer)
            self._buffer = []
            self._chunk = min(self._chunk * self._options.chunk_growth, max(self._options.chunk_max, self._chunk))

    def _dispatch(self, docs: list[dict[str, Any]]) -> None:
        while len(self._jobs) >= self._procs:
            self._collect()
        recv, send = self._context.Pipe(duplex=False)
        # The worker closes the read ends it inherits: its own and its siblings'.
        close = [recv.fileno()] + [other.fileno() for _, other in self._jobs]
        worker = self._context.Process(
            target=_index_chunk,
            args=(self._ix, self._options, docs, send, self._stemmer, os.getpid(), close),
            daemon=True,
        )
        worker.start()
        send.close()
        self._jobs.append((worker, recv))

    def _collect(self) -> None:
        worker, recv = self._jobs.pop(0)
        try:
            result = recv.recv()
        except EOFError:
            result = ("failed", "", None, f"it stopped (exit code {worker.exitcode})")
        finally:
            recv.close()
            worker.join()
        if result[0] != "done":
            _, kind, code, message = result
            if code is not None:
                raise OSError(code, message)  # a full disk, a folder that went away: said with its path
            raise RuntimeError(f"an indexing worker failed ({kind}: {message})")
        _, segment, stems = result
        analysis.seed_stems(self._stemmer, stems)
        self._segments.append(segment)

    def commit(self) -> None:
        base = self._base
        try:
            rest, self._buffer = self._buffer, []
            if (self._jobs or self._segments or self._continues) and len(rest) >= self._options.chunk_passages:
                # A large rest (chunks grow) is shared out too, rather than written here alone.
                size = -(-len(rest) // self._procs)
                for start in range(0, len(rest), size):
                    self._dispatch(rest[start : start + size])
                rest.clear()  # the workers have their copies: free these while waiting for them
            else:
                for fields in rest:  # the rest, while the workers finish
                    base.add_document(**fields)
            while self._jobs:
                self._collect()
            if not self._segments:
                base.commit()
                return
            # What SegmentWriter.commit does, with the workers' segments listed before this one's.
            segments = base._merge_segments(None, None, None) + self._segments
            if base._added:
                segments.append(base._finalize_segment())
            else:
                base._close_segment()
            base._commit_toc(segments)
            base._finish()
        except BaseException:
            self.cancel()
            raise

    def cancel(self) -> None:
        for worker, recv in self._jobs:
            worker.kill()
            worker.join()
            recv.close()
        self._jobs, self._buffer = [], []
        if not self._base.is_closed:
            self._base.cancel()
