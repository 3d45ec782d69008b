"""Carrying out an ``UpdatePlan``: read each file that may have changed, delete what it
replaces, add its passages, checkpoint now and then, remove deleted files, finish.

``Update.run`` reads as that list of steps, the way Whoosh's ``SegmentWriter.commit``
does; the caller holds the write lock. Whatever fails or is interrupted, the write
is abandoned: the last commit stands and nothing else is left (``writing._abandon``).
"""

from __future__ import annotations

import gc
import sys
import time
from typing import TYPE_CHECKING, Any, Callable, Collection, Iterable

from whoosh.writing import CLEAR

from ..errors import CorpusError
from ..models import Article, IndexReport, Skipped
from ..passages import split_article
from ..schema import passage_document
from .layout import _settle
from .manifest import _Entry, _gc_paused
from .parallel import ParallelWriter
from .plan import Step, UpdatePlan, content_state
from .writing import _abandon

if TYPE_CHECKING:
    from ..ingest import FileRead
    from .core import Index

Progress = Callable[[int, int], None]


class Update:
    """One run of ``Index.update``: ``plan`` applied to ``index``."""

    def __init__(
        self,
        index: Index,
        plan: UpdatePlan,
        manifest: dict[str, _Entry],
        *,
        progress: Progress | None = None,
        commit_every: int | None = None,
        reindex: Collection[str] = (),
        fresh: bool = False,
    ) -> None:
        self.index, self.plan, self.manifest = index, plan, manifest
        self.progress, self.reindex, self.fresh = progress, reindex, fresh
        options = index.writer_options
        # A rebuild is one commit that replaces every old segment, or nothing.
        self.every = sys.maxsize if commit_every is None or fresh else commit_every
        self.timed = commit_every is None and not fresh
        self.checkpoint_at = time.monotonic() + options.commit_seconds if self.timed else float("inf")
        self.owners = {doc_id: source for source, entry in manifest.items() for doc_id in entry.doc_ids}
        self.entries: dict[str, _Entry] = dict(plan.kept)  # the manifest after this run
        self.added: list[str] = []
        self.updated: list[str] = []
        self.unchanged: list[str] = []
        self.skipped: list[Skipped] = list(plan.problems)
        self.warnings: list[Skipped] = []
        self.pending = 0  # files changed since the last commit
        self.writer: Any = None
        self.chunks_before = -1  # chunks handed to workers before the file being added

    def run(self) -> IndexReport:
        began = time.perf_counter()
        self.index._seed_stems()
        self.writer = self._new_writer()
        # The listing and the manifest live until the end: keep the collector off them.
        # Not where the host froze objects itself: unfreeze() would thaw its objects too.
        froze = gc.get_freeze_count() == 0
        if froze:
            gc.freeze()
        try:
            for done, step in enumerate(self.plan.steps, 1):
                if self.progress:
                    self.progress(done, len(self.plan.steps))
                self._apply(step)
            self._remove_deleted()
            self._finish()
        except BaseException:
            _abandon(self.writer, self.index.path)
            raise
        finally:
            if froze:
                gc.unfreeze()
        return IndexReport(
            added=tuple(self.added),
            updated=tuple(self.updated),
            removed=self.plan.removed,
            unchanged=tuple(self.unchanged),
            skipped=tuple(self.skipped),
            warnings=tuple(self.warnings),
            passages=self.index.passage_count(),
            seconds=time.perf_counter() - began,
        )

    def _new_writer(self, chunk: int | None = None) -> Any:
        writer = self.index._writer(chunk)
        if self.fresh:
            getattr(writer, "_base", writer).mergetype = CLEAR  # a ParallelWriter commits through its base
        return writer

    def _apply(self, step: Step) -> None:
        source, old = step.file.source, step.old
        if step.settled and old is not None:
            self._keep(source, old)
            return
        read = self._read(step)
        if read is None:
            return
        if content_state(step, read.digest, self.reindex) == "unchanged" and old is not None:
            self._keep(source, old._replace(size=step.file.size, mtime_ns=step.file.mtime_ns))
            return
        self._replace(step, read)
        self._maybe_checkpoint()

    def _keep(self, source: str, entry: _Entry) -> None:
        self.unchanged.append(source)
        self.entries[source] = entry
        if entry.problems:  # what could not be indexed last time still cannot: say so again
            self.skipped.extend(Skipped(p, r) for p, r in entry.problems)

    def _read(self, step: Step) -> FileRead | None:
        """The file read and cut into articles; None (reported) when it cannot be."""
        from ..ingest import read_file

        try:
            return read_file(step.file, self.plan.sidecar)
        except Exception as exc:  # one hostile file must not stop the run
            reason = str(exc).split(": ", 1)[-1] if isinstance(exc, CorpusError) else (
                f"cannot be read ({type(exc).__name__}: {exc}); fix or remove it"
            )
            self.skipped.append(Skipped(step.file.source, reason))
            if step.old:
                self.entries[step.file.source] = step.old  # what it had stays indexed
            return None

    def _replace(self, step: Step, read: FileRead) -> None:
        """Delete what the file had in the index, add what it holds now."""
        source, old = step.file.source, step.old
        before = len(self.skipped)
        if old:
            self.writer.delete_by_term("source", source)
            for doc_id in old.doc_ids:
                self.owners.pop(doc_id, None)
        self.chunks_before = self.writer.chunks if isinstance(self.writer, ParallelWriter) else -1
        doc_ids = add_articles(self.index, self.writer, read.articles, f"{read.digest} {step.meta_key}", self.owners, self.skipped)
        # After the articles: a streamed file reports its bad lines as it is read.
        self.skipped.extend(read.skipped)
        self.warnings.extend(read.warnings)
        # Lines refused here (an id another file holds) are reported already: the file
        # was not empty, so "no text left" would be untrue.
        if not doc_ids and not read.skipped and len(self.skipped) == before:
            self.warnings.append(Skipped(source, "no text left to index (empty, or all site chrome)"))
        (self.updated if old else self.added).append(source)
        self.entries[source] = _Entry(
            read.digest, step.file.size, step.file.mtime_ns, step.meta_key, tuple(doc_ids),
            tuple((p.path, p.reason) for p in self.skipped[before:]),
        )
        self.pending += 1

    def _maybe_checkpoint(self) -> None:
        """Commit what is done so far, so that it survives a kill. A timed checkpoint
        waits (up to ``checkpoint_wait``) until a chunk has just gone to a worker, so
        the commit has little left to write: passages still buffered become small
        segments of their own, which every search then pays for."""
        options = self.index.writer_options
        parallel = isinstance(self.writer, ParallelWriter)
        now = time.monotonic()
        at_chunk = not parallel or self.writer.chunks != self.chunks_before
        due = now >= self.checkpoint_at and (at_chunk or now >= self.checkpoint_at + options.checkpoint_wait)
        if not (self.pending >= self.every or (self.pending and due)):
            return
        self.writer.commit()
        self.index._save_manifest({**self.manifest, **self.entries})
        # Chunks go on at the size reached: starting again at the smallest after
        # every checkpoint left a trail of small segments to search.
        self.writer, self.pending = self._new_writer(self.writer.chunk if parallel else None), 0
        if self.timed:
            self.checkpoint_at = time.monotonic() + options.commit_seconds

    def _remove_deleted(self) -> None:
        for source in self.plan.removed:
            self.writer.delete_by_term("source", source)

    def _finish(self) -> None:
        changed = bool(self.added or self.updated or self.plan.removed)
        if self.pending or self.plan.removed or self.fresh:
            self.writer.commit()
        else:
            self.writer.cancel()
        if self.fresh:
            _settle(self.index.path)
        if changed:
            self.index._save_stems()
        self.index._save_manifest(self.entries)


def add_articles(
    index: Index, writer: Any, articles: Iterable[Article], digest: str, owners: dict[str, str], skipped: list[Skipped]
) -> list[str]:
    """Add the passages of ``articles`` (of one file) to ``writer``; a doc id that
    another file already uses is reported in ``skipped``, naming both. Returns the
    doc ids added."""
    doc_ids: list[str] = []
    for article in articles:
        owner = owners.get(article.doc_id)
        if owner is not None:
            skipped.append(
                Skipped(
                    f"{article.source}#{article.doc_id}" if article.source.endswith(".jsonl") else article.source,
                    f"doc_id {article.doc_id!r} is already used by {owner}; give it another name or id",
                )
            )
            continue
        owners[article.doc_id] = article.source
        doc_ids.append(article.doc_id)
        for passage in split_article(article, index.settings):
            writer.add_document(**passage_document(passage, digest))
    return doc_ids


def load_manifest(index: Index, fresh: bool) -> dict[str, _Entry]:
    """The manifest an update starts from (empty for a rebuild: nothing carries over)."""
    if fresh:
        index._manifest.saved = None
        return {}
    with _gc_paused():
        return index._load_manifest()
