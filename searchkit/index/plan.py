"""What an update must do: the corpus as it is now, against the manifest, as an ``UpdatePlan``.

This is the one definition of "changed", used by ``searchkit index`` (``update.apply``)
and by ``searchkit check``:

* a file with no manifest entry is **added**;
* a file whose size, time and sidecar metadata are as recorded is **unchanged**
  without being read (``Step.settled``), unless it is named for re-indexing;
* any other file is read (or, by ``check``, hashed): it is **unchanged** when its
  content hash and metadata are as recorded (only its time moved), else **changed**;
* an entry whose file is no longer listed is **removed**, unless it lies in a folder
  that could not be read this time (then it is **kept** as it is).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Collection, Literal, Mapping, NamedTuple

from ..models import Skipped
from .manifest import _NO_META, _Entry, _gc_paused, _meta_hash, _sidecar_by_source

if TYPE_CHECKING:
    from ..ingest import CorpusFile

State = Literal["added", "changed", "unchanged"]


class Step(NamedTuple):
    """One listed corpus file, with what the manifest says of it."""

    file: CorpusFile
    old: _Entry | None
    meta_key: str  # the hash of its sidecar metadata
    settled: bool  # size, time and metadata as recorded: unchanged without reading it


@dataclass(frozen=True)
class UpdatePlan:
    """Every listed file as a ``Step`` (in corpus order), and what happens to the
    manifest's other entries."""

    steps: list[Step]
    removed: tuple[str, ...]
    kept: dict[str, _Entry]
    #: Problems of the listing and of ``metadata.jsonl``.
    problems: tuple[Skipped, ...]
    #: ``metadata.jsonl``, as ``read_file`` takes it.
    sidecar: Mapping[str, Any]


def check_corpus(corpus: str | Path) -> None:
    """``CorpusError`` naming the problem when ``corpus`` is not a folder to index."""
    if not Path(corpus).is_dir():
        from ..ingest import list_files

        list_files(corpus)  # raises the CorpusError that says what is wrong


def plan_update(
    corpus: str | Path,
    manifest: Mapping[str, _Entry],
    reindex: Collection[str] = (),
    owns: Callable[[str], bool] | None = None,
) -> UpdatePlan:
    """The plan for bringing an index with ``manifest`` up to date with ``corpus``;
    sources in ``reindex`` are read again even if they look unchanged. ``owns``
    (a shard of a sharded index) says which sources this index holds: the others
    are not its business, and a metadata line is checked by the whole index."""
    # Imported here so that opening an index to search never loads the ingesters.
    from ..ingest import list_files, load_metadata, unmatched_metadata

    with _gc_paused():
        files, problems = list_files(Path(corpus))
    if owns is not None:
        files = [file for file in files if owns(file.source)]
    sidecar, sidecar_problems = load_metadata(Path(corpus))
    by_source = _sidecar_by_source(sidecar)
    steps = []
    for file in files:
        old = manifest.get(file.source)
        meta = by_source.get(file.source)
        meta_key = _meta_hash(meta) if meta else _NO_META
        settled = (
            old is not None
            and old.size == file.size
            and old.mtime_ns == file.mtime_ns
            and old.meta == meta_key
            and file.source not in reindex
        )
        steps.append(Step(file, old, meta_key, settled))
    listed = {file.source for file in files}
    unreadable = [p.path.rstrip("/") + "/" for p in problems]
    removed, kept = [], {}
    for source, entry in manifest.items():
        if source in listed:
            continue
        if any((source + "/").startswith(folder) for folder in unreadable):
            kept[source] = entry  # its folder could not be read: keep what it had
        else:
            removed.append(source)
    unmatched = unmatched_metadata(sidecar, files) if owns is None else []
    return UpdatePlan(steps, tuple(removed), kept, (*problems, *sidecar_problems, *unmatched), sidecar)


def content_state(step: Step, digest: str, reindex: Collection[str] = ()) -> State:
    """What a step is once the file's content hash is known (``Step.settled`` files
    are "unchanged" without it)."""
    if step.old is None:
        return "added"
    if step.file.source not in reindex and step.old.digest == digest and step.old.meta == step.meta_key:
        return "unchanged"
    return "changed"
