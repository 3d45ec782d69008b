"""``Index`` and the calls that open, create, build and update an index folder."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import whoosh.index

from .. import analysis
from ..errors import (
    IndexDamagedError,
    IndexMismatchError,
    IndexNotFoundError,
    SearchkitError,
)
from ..models import Article, IndexReport, Passage, Skipped
from ..passages import split_article
from ..schema import SCHEMA_VERSION, build_schema, passage_document, passage_from_fields
from ..settings import Settings
from .layout import (
    EXTRACTED_SUFFIXES,
    OLD_STEMS_FILE,
    SETTINGS_FILE,
    SHARDS_KEY,
    STEMS_FILE,
    _extractor_change,
    _generation,
    _has_index,
    _prepare_folder,
    _read_settings_file,
    _record_extractor,
    _settings_record,
    _toc_name,
    _write_json,
    is_sharded,
)
from .lock import LOCK_TIMEOUT, write_lock
from .stems import _load_stems, _read_stems, _write_stems
from .storage import _open_whoosh, segments, write_empty_toc

if TYPE_CHECKING:
    from .manifest import _Entry, _Manifest
    from .options import WriterOptions
    from .update import Progress

# The writing side (writing, parallel, plan, update) is imported where it is used:
# opening an index to search loads none of it (a cold ``searchkit search``).


class Index:
    """An open searchkit index folder. Safe to share between threads."""

    def __init__(self, path: Path, ix: Any, settings: Settings, writer_options: WriterOptions | None = None) -> None:
        self.path = path
        self.settings = settings
        self._writer_options = writer_options
        self._ix = ix
        self._manifest_store: _Manifest | None = None
        #: Words in the stem cache when it was last the same as the saved table (-1: unknown).
        self._saved_stems = -1

    @property
    def writer_options(self) -> WriterOptions:
        """How updates of this index write (processes, chunk sizes, checkpoints): never what."""
        if self._writer_options is None:
            from .options import WriterOptions  # here: searching never needs it

            self._writer_options = WriterOptions()
        return self._writer_options

    @property
    def _manifest(self) -> _Manifest:
        """The manifest as updates of this index keep it (made when first written)."""
        if self._manifest_store is None:
            from .manifest import _Manifest

            self._manifest_store = _Manifest(self.path, self.writer_options.journal_share)
        return self._manifest_store

    def __repr__(self) -> str:
        return f"Index({str(self.path)!r})"

    @property
    def whoosh(self) -> Any:
        """The underlying Whoosh index (for the search layer)."""
        return self._ix

    def passage_count(self) -> int:
        # From the table of contents: a reader would open every segment's term table.
        return sum(segment.doc_count() for segment in segments(self._ix))

    def close(self) -> None:
        self._ix.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -----------------------------------------------------------------

    def _writer(self, chunk: int | None = None) -> Any:
        """A writer for one commit; the caller holds write_lock()."""
        from .options import SEGMENT_OPTIONS
        from .parallel import ParallelWriter, _fork_context

        options = self.writer_options
        context = _fork_context() if options.procs > 1 else None
        if context is not None:
            writer = ParallelWriter(self._ix, self.settings.analyzer_name, context, options, chunk)
        else:
            writer = options.segment_writer(self._ix, self.settings.analyzer_name, **SEGMENT_OPTIONS)
        getattr(writer, "_base", writer).mergetype = options.merge_policy()  # a ParallelWriter commits through its base
        return writer

    def manifest(self) -> dict[str, dict[str, Any]]:
        """For each indexed corpus file (``source``): its size, time, hash and doc ids."""
        # Read apart from the copy an update keeps: this runs without the write lock.
        return {source: entry.as_dict() for source, entry in self.entries().items()}

    def entries(self) -> dict[str, _Entry]:
        """The manifest's entries, read apart from the copy an update keeps (this
        runs without the write lock)."""
        from .manifest import _Manifest

        return self._load_manifest(_Manifest(self.path))

    def stored_passages(self, source: str) -> list[Passage]:
        """The passages stored for one corpus file, as indexed."""
        with self._ix.searcher() as searcher:
            return [passage_from_fields(f) for f in searcher.documents(source=source)]

    def _load_manifest(self, store: _Manifest | None = None) -> dict[str, _Entry]:
        files = (store or self._manifest).load(self._ix.latest_generation())
        return self._manifest_from_index() if files is None else files

    def _manifest_from_index(self) -> dict[str, _Entry]:
        from .manifest import _Entry

        files: dict[str, dict[str, Any]] = {}
        with self._ix.reader() as reader:
            for fields in reader.all_stored_fields():
                digest, _, meta = (fields.get("file_digest") or "").partition(" ")
                entry = files.setdefault(
                    fields["source"],
                    {"digest": digest, "meta": meta, "size": -1, "mtime_ns": -1, "doc_ids": []},
                )
                if fields["doc_id"] not in entry["doc_ids"]:
                    entry["doc_ids"].append(fields["doc_id"])
        return {source: _Entry.of(entry) for source, entry in files.items()}

    def _save_stems(self) -> None:
        # A cache like the manifest: a missing or stale table only costs an NLTK import.
        stemmer = self.settings.analyzer_name
        known = analysis.known_stems(stemmer)
        if len(known) == self._saved_stems:
            return  # no word stemmed since the table was read: it holds them all (writing: 50-80 ms)
        _write_stems(self.path / STEMS_FILE, stemmer, known)
        (self.path / OLD_STEMS_FILE).unlink(missing_ok=True)  # replaced by the table above
        self._saved_stems = len(known)

    def _seed_stems(self) -> None:
        """Before writing: every saved stem in memory, so that workers (forked with
        it) stem no word twice, and the table saved after holds the old words too."""
        self._saved_stems = -1
        table = _read_stems(self.path)
        if table is not None and table.stemmer == self.settings.analyzer_name:
            try:
                saved = table.items()
            except ValueError:  # a table that passed the checks but cannot be read: stem again
                return
            analysis.seed_stems(table.stemmer, saved)
            known = analysis.known_stems(table.stemmer)
            # The cache only grows: if it is the table now, the same size later means no new word.
            if len(known) == len(saved):
                self._saved_stems = len(known)

    def _save_manifest(self, files: Mapping[str, _Entry]) -> None:
        from .manifest import _gc_paused

        with _gc_paused():
            self._manifest.save(files, self._ix.latest_generation())

    def update(
        self,
        corpus: str | os.PathLike[str],
        *,
        lock_timeout: float = LOCK_TIMEOUT,
        progress: Progress | None = None,
        commit_every: int | None = None,
        reindex: Iterable[str] = (),
    ) -> IndexReport:
        """Bring the index up to date with ``corpus``: add new files, re-index changed
        ones, remove deleted ones, leave unchanged ones alone (``plan.py`` says which).

        A file that cannot be read is reported in ``IndexReport.skipped``; whatever the
        index held for it before is kept. Waits up to ``lock_timeout`` seconds for
        another writer. Commits after about ``writer_options.commit_seconds`` of work,
        once the next chunk has gone to a worker, or after every ``commit_every``
        changed files when given, so a run that is killed keeps what it did and the
        next run carries on. Sources named in ``reindex`` are read again even if they
        look unchanged.
        """
        from .writing import _write_errors

        with write_lock(self.path, lock_timeout), _write_errors(self.path):
            return self._update(corpus, progress=progress, commit_every=commit_every, reindex=set(reindex))

    def _update(
        self,
        corpus: str | os.PathLike[str],
        *,
        progress: Progress | None,
        commit_every: int | None,
        reindex: set[str],
        fresh: bool = False,
        owns: Callable[[str], bool] | None = None,
    ) -> IndexReport:
        from .plan import plan_update
        from .update import Update, load_manifest

        manifest = load_manifest(self, fresh)
        # Read by another HTML extractor: their offsets may all have moved, so every
        # HTML file is read again, and the running extractor recorded once they are.
        change = None if fresh else _extractor_change(self.path)
        if change:
            reindex = reindex | {source for source in manifest if source.lower().endswith(EXTRACTED_SUFFIXES)}
        plan = plan_update(corpus, manifest, reindex, owns)
        report = Update(self, plan, manifest, progress=progress, commit_every=commit_every, reindex=reindex, fresh=fresh).run()
        if change:
            _record_extractor(self.path)
        return report

    def add_articles(self, articles: Iterable[Article], *, lock_timeout: float = LOCK_TIMEOUT) -> int:
        """Index articles given in memory (for evaluation and embedding); returns passages added.

        Articles are replaced by ``doc_id``; the corpus manifest is not involved.
        """
        from .writing import _write_errors, committed

        with write_lock(self.path, lock_timeout), _write_errors(self.path):
            self._seed_stems()
            count = 0
            with committed(self._writer(), self.path) as writer:
                for article in articles:
                    writer.delete_by_term("doc_id", article.doc_id)
                    for passage in split_article(article, self.settings):
                        writer.add_document(**passage_document(passage, ""))
                        count += 1
            self._save_stems()
        return count


def _start_rebuild(path: Path, settings: Settings, writer_options: WriterOptions | None = None) -> Index | None:
    """Get ready to replace the index in ``path`` in one commit; the caller holds its lock.

    Nothing changes on disk but a note in the settings file: the new settings hold
    from the next generation, the previous ones until then. Readers and a crash see
    the old index until the commit (``Index._update`` with ``fresh=True``), then the
    new one whole. None when the old index cannot be opened (a damaged settings file
    or table of contents): there is no old index left to keep serving meanwhile.
    """
    try:
        previous = {k: v for k, v in _read_settings_file(path).items() if k != "format"}
        # Writers of this index (and forked workers) take the new schema, not the pickled one.
        ix = _open_whoosh(path, build_schema(settings))
    except IndexDamagedError:
        return None
    except SearchkitError:
        raise
    except Exception:  # Whoosh raises many kinds for a damaged table of contents
        return None
    record = _settings_record(settings)
    record["rebuilding"] = {"generation": _generation(path) + 1, "previous": previous}
    _write_json(path / SETTINGS_FILE, record)
    return Index(path, ix, settings, writer_options)


#: What an index built before a setting existed did, where today's default differs.
_DEFAULTS_BEFORE = {"fold_accents": False}


def open_index(
    path: str | os.PathLike[str] = "index",
    settings: Settings | None = None,
    *,
    writer_options: WriterOptions | None = None,
    partial: bool = False,
) -> Any:
    """Open an index that searchkit built: an ``Index``, or a ``ShardedIndex`` for a
    sharded one (``partial=True``: leaving out the shards that cannot be opened).

    With ``settings``, their index-time part must match what the index was built
    with; otherwise ``IndexMismatchError`` says how to rebuild. Without, the
    recorded settings are used. ``writer_options`` say how updates of it write.
    """
    path = Path(path)
    data = _read_settings_file(path)
    if data.get("schema_version") != SCHEMA_VERSION:
        raise IndexMismatchError(
            f"the index at {path} has schema version {data.get('schema_version')}, this searchkit "
            f"uses {SCHEMA_VERSION}; rebuild it: searchkit index --rebuild --index {path}"
        )
    if isinstance(data.get(SHARDS_KEY), dict):
        from .shards import open_sharded

        return open_sharded(path, settings, writer_options=writer_options, partial=partial)
    # Settings added later are recorded by newer builds only: a missing one had the
    # default of its time (accents were kept before they were folded by default).
    recorded = Settings.from_dict({**_DEFAULTS_BEFORE, **dict(data.get("settings") or {})}).index_time()
    if settings is None:
        settings = Settings.from_dict(recorded)
    elif settings.index_time() != recorded:
        diff = ", ".join(
            f"{k}={recorded.get(k)!r} (asked {v!r})" for k, v in settings.index_time().items() if recorded.get(k) != v
        )
        raise IndexMismatchError(
            f"the index at {path} was built with other settings: {diff}; "
            f"rebuild it: searchkit index --rebuild --index {path}"
        )
    try:
        ix = _open_whoosh(path)
    except Exception as exc:  # Whoosh raises many kinds for a damaged folder
        generation = _generation(path)
        if generation < 0:  # no table of contents at all: a first build that never committed
            raise IndexNotFoundError(
                f"the index at {path} cannot be opened ({type(exc).__name__}); "
                f"rebuild it: searchkit index --rebuild --index {path}"
            ) from None
        raise IndexDamagedError(
            path, f"its table of contents cannot be read: {type(exc).__name__}", _toc_name(generation)
        ) from None
    _load_stems(path, settings.analyzer_name)
    return Index(path, ix, settings, writer_options)


def create_index(
    path: str | os.PathLike[str] = "index",
    settings: Settings | None = None,
    *,
    lock_timeout: float = LOCK_TIMEOUT,
    writer_options: WriterOptions | None = None,
) -> Index:
    """Create an empty index in ``path`` (a new or empty folder, or a searchkit index to replace).

    Waits up to ``lock_timeout`` seconds for a process that is writing the index.
    """
    path = Path(path)
    _prepare_folder(path)
    with write_lock(path, lock_timeout):
        return _create_locked(path, settings or Settings(), writer_options)


def _create_locked(path: Path, settings: Settings, writer_options: WriterOptions | None = None) -> Index:
    """Start an empty index in ``path``; the caller holds its write lock.

    An existing index is replaced without a moment in which the folder holds no
    index: an empty table of contents is written as the next generation (readers
    and a crash see the old index or the empty one), and Whoosh deletes the old
    segments at the next commit. Generations only grow, so an old manifest is
    never taken for the new index's.
    """
    recorded = _settings_record(settings)
    # From the file names, not by opening the index: its table of contents may be damaged.
    generation = _generation(path)
    if generation >= 0:
        write_empty_toc(path, build_schema(settings), generation + 1)
        ix = _open_whoosh(path)
        _write_json(path / SETTINGS_FILE, recorded)
    else:
        # The settings file first: Whoosh files without it would be refused as foreign.
        _write_json(path / SETTINGS_FILE, recorded)
        whoosh.index.create_in(str(path), build_schema(settings))
        ix = _open_whoosh(path)
    return Index(path, ix, settings, writer_options)


def build_index(
    corpus: str | os.PathLike[str] = "corpus",
    index: str | os.PathLike[str] = "index",
    settings: Settings | None = None,
    *,
    rebuild: bool = False,
    lock_timeout: float = LOCK_TIMEOUT,
    progress: Progress | None = None,
    commit_every: int | None = None,
    reindex: Iterable[str] = (),
    writer_options: WriterOptions | None = None,
    shards: int | None = None,
    dask: str | None = None,
    owns: Callable[[str], bool] | None = None,
    on_shard: Callable[[int, IndexReport], None] | None = None,
) -> IndexReport:
    """Build the index for ``corpus`` in ``index``, or bring an existing one up to date.

    ``rebuild=True`` starts from an empty index (needed after changing index-time
    settings) in a single commit: readers, and a run that is killed, see the old
    index until the new one is complete. One process writes at a time: this waits up to ``lock_timeout``
    seconds, then raises ``IndexLockedError``. See ``Index.update`` for
    ``commit_every`` and ``reindex``, and ``WriterOptions`` for ``writer_options``.
    This is what ``searchkit index`` runs.

    ``shards=N`` builds (or keeps) a sharded index: N complete indexes, each holding
    the corpus files whose path hashes to it (``shards.py``); an existing sharded
    index is updated shard by shard whether or not it is given. ``dask`` (a scheduler
    address, ``local`` or ``local:W``) runs each shard's update as a Dask task.
    ``owns`` (for one shard) says which corpus files this index holds;
    ``on_shard(number, report)`` hears of each shard as its update finishes.
    """
    path = Path(index)
    if shards is not None or dask is not None or is_sharded(path):
        from .shards import build_sharded

        return build_sharded(
            corpus, path, settings, shards=shards, dask=dask, rebuild=rebuild, lock_timeout=lock_timeout,
            progress=progress, commit_every=commit_every, reindex=reindex, writer_options=writer_options,
            on_shard=on_shard,
        )
    from .plan import check_corpus

    check_corpus(corpus)
    if rebuild or not _has_index(path):
        _prepare_folder(path)
    from .writing import _write_errors

    with write_lock(path, lock_timeout), _write_errors(path):
        # Decided under the lock: another process may have built the index meanwhile.
        fresh = rebuild and _has_index(path)
        ix = _start_rebuild(path, settings or Settings(), writer_options) if fresh else None
        if ix is None and (fresh or not _has_index(path)):
            # A rebuild over an index that cannot be opened starts from an empty one:
            # readers see it fill as it commits, not the old one until the end.
            fresh = False
            ix = _create_locked(path, settings or Settings(), writer_options)
        elif ix is None:
            ix = open_index(path, settings, writer_options=writer_options)
        with ix:
            report = ix._update(
                corpus, progress=progress, commit_every=commit_every, reindex=set(reindex), fresh=fresh, owns=owns
            )
    # After the lock: other writers need not wait for the saved searches to run.
    return _with_watches(path, report)


def _with_watches(path: Path, report: IndexReport) -> IndexReport:
    """``report`` with the saved searches that have new hits. Only when files were
    added or updated (a removal brings no new hit) and searches are saved, so a
    plain update stays as fast; nothing is marked seen (``watch run`` does that).
    A saved search that cannot run is a warning: the index itself is built."""
    if not (report.added or report.updated):
        return report
    from ..watches import has_watches, pending  # here: most indexes have none

    if not has_watches(path):
        return report
    try:
        found = pending(path)
    except SearchkitError as exc:
        return dataclasses.replace(report, warnings=report.warnings + (Skipped("watches.json", str(exc)),))
    return dataclasses.replace(report, watches=found)


def ensure_index(
    index: str | os.PathLike[str] = "index", corpus: str | os.PathLike[str] | None = None
) -> Index:
    """Open the index, building it from ``corpus`` first when there is none yet."""
    path = Path(index)
    if corpus is not None and not _has_index(path) and not is_sharded(path):
        build_index(corpus, path)
    return open_index(path)
