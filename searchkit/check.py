"""Verify an index against its corpus, and repair what is stale.

``check_index`` reports damaged index files, files added, changed or deleted
since the last build, passages whose citation no longer matches
``source_text(...)[start:end]``, corpus entries that cannot be read, and an index
built with other settings or another schema. ``repair_index`` re-indexes exactly
what the check found stale (or rebuilds, when the settings differ or an index file
is damaged). This is what ``searchkit check`` runs.
"""

from __future__ import annotations

import dataclasses
import os
from collections import defaultdict
from pathlib import Path
from typing import Callable, Iterable

from .errors import CorpusError, IndexDamagedError, IndexMismatchError
from .index import LOCK_TIMEOUT, Index, build_index, open_index
from .index.layout import EXTRACTED_SUFFIXES, _extractor_change
from .index.plan import State, Step, content_state, plan_update
from .index.verify import index_damage
from .ingest import CorpusFile, probe_file, read_file, source_text
from .ingest.documents import sniff
from .models import CheckReport, IndexReport, Passage, Skipped
from .settings import Settings

__all__ = ["check_index", "repair_index", "index_damage"]

def check_index(
    corpus: str | os.PathLike[str] = "corpus",
    index: str | os.PathLike[str] = "index",
    settings: Settings | None = None,
) -> CheckReport:
    """Compare the index in ``index`` with ``corpus`` as it is now; change nothing.

    With ``settings``, an index built with other index-time settings is reported
    (without, the recorded settings are taken as meant). Raises
    ``IndexNotFoundError`` when there is no searchkit index to check.
    """
    try:
        ix = open_index(index, settings)
    except IndexMismatchError as exc:
        return CheckReport(settings=(str(exc),))
    except IndexDamagedError as exc:
        return CheckReport(damaged=(Skipped(exc.file or str(index), exc.detail),))
    with ix:
        if isinstance(ix, Index):
            return _check(corpus, ix)
        # A sharded index: each shard against the corpus files it owns, then one report.
        from .index.shards import Owner, _unmatched

        parts = []
        for number, shard in enumerate(ix.shards):
            part = _check(corpus, shard, Owner(number, ix.count))
            prefix = shard.path.relative_to(ix.path).as_posix()
            parts.append(dataclasses.replace(part, damaged=tuple(
                Skipped(f"{prefix}/{item.path}", item.reason) for item in part.damaged
            )))
    joined = {
        name: tuple(x for part in parts for x in getattr(part, name))
        for name in ("added", "changed", "deleted", "mismatched", "unreadable", "damaged")
    }
    return CheckReport(
        **{name: tuple(sorted(v)) if name in ("added", "changed", "deleted") else v
           for name, v in joined.items() if name != "unreadable"},
        unreadable=tuple(dict.fromkeys(joined["unreadable"] + _unmatched(Path(corpus)))),
        extractor=next((part.extractor for part in parts if part.extractor), ()),
        files=sum(part.files for part in parts), passages=sum(part.passages for part in parts),
    )


def _check(corpus: str | os.PathLike[str], ix: Index, owns: Callable[[str], bool] | None = None) -> CheckReport:
    """``check_index`` of one open index (a shard: of the corpus files it ``owns``)."""
    damaged = index_damage(ix)
    if damaged:  # what the index holds cannot be trusted: compared with nothing
        return CheckReport(damaged=tuple(damaged))
    # The plan the next ``searchkit index`` would carry out: one definition of "changed".
    plan = plan_update(corpus, ix.entries(), owns=owns)
    extracted, extractor = _extractor_note(ix.path, plan.steps)
    states: dict[State, list[CorpusFile]] = {"added": [], "changed": [], "unchanged": []}
    unreadable = list(plan.problems)
    for step in plan.steps:
        if step.settled and step.old is not None:
            state: State = "unchanged"
        else:
            try:
                state = content_state(step, probe_file(step.file))
                if state != "unchanged" and _is_document(step.file):
                    # Indexing it would fail for a reason check can name (a damaged
                    # file, an extra not installed): "added" alone would hide it.
                    read_file(step.file, plan.sidecar)
            except CorpusError as exc:
                unreadable.append(Skipped(step.file.source, str(exc).split(": ", 1)[-1]))
                continue
        states[state].append(step.file)
        if state == "unchanged" and step.old is not None:  # what could not be indexed last time is still missing
            unreadable.extend(Skipped(p, r) for p, r in step.old.problems)
    mismatched: list[Skipped] = []
    passages = 0
    for file in states["unchanged"]:
        stored = ix.stored_passages(file.source)
        if file.source in extracted:  # re-read by the next index run; the one line above says so
            passages += len(stored)
            continue
        passages += len(stored)
        mismatched.extend(_citation_problems(corpus, file, stored, plan.sidecar))
    return CheckReport(
        added=tuple(f.source for f in states["added"]),
        changed=tuple(f.source for f in states["changed"]),
        deleted=tuple(sorted(plan.removed)),
        mismatched=tuple(mismatched),
        unreadable=tuple(unreadable),
        extractor=extractor,
        files=len(plan.steps),
        passages=passages,
    )


def _is_document(file: CorpusFile) -> bool:
    """A PDF or DOCX file, by its extension or its first bytes."""
    if file.source.lower().endswith((".pdf", ".docx")):
        return True
    try:
        with open(file.location, "rb") as fh:
            return sniff(fh.read(1024), "") in ("pdf", "zip")
    except OSError:
        return False


def _extractor_note(index: Path, steps: Iterable[Step]) -> tuple[set[str], tuple[str, ...]]:
    """The indexed HTML files read by another extractor than the running one, and the
    one line that says so (none when they are the same, or no HTML file is indexed)."""
    change = _extractor_change(index)
    if change is None:
        return set(), ()
    stale = {s.file.source for s in steps if s.old is not None and s.file.source.lower().endswith(EXTRACTED_SUFFIXES)}
    if not stale:
        return stale, ()
    recorded, running = change
    was = recorded or "searchkit's own HTML reader (before the extractor was recorded)"
    return stale, (
        f"the index read {len(stale)} HTML file(s) with {was}, this searchkit extracts HTML with {running}, "
        "which may move their passages; `searchkit index` will re-read the HTML files",
    )


def _citation_problems(
    corpus: str | os.PathLike[str], file: CorpusFile, stored: list[Passage], sidecar: dict[str, dict[str, str]]
) -> Iterable[Skipped]:
    """Passages of one unchanged file whose text is not what their offsets cite."""
    if not stored:
        return
    by_doc: dict[str, list[Passage]] = defaultdict(list)
    for passage in stored:
        by_doc[passage.doc_id].append(passage)
    try:
        if file.source.lower().endswith(".jsonl"):
            # Streamed for a large file: one article (line) at a time.
            texts: Iterable[tuple[str, str]] = ((a.doc_id, a.text) for a in read_file(file, sidecar).articles)
        else:
            texts = [(doc_id, source_text(corpus, file.source, doc_id)) for doc_id in by_doc]
        for doc_id, text in texts:
            for passage in by_doc.pop(doc_id, []):
                if text[passage.start : passage.end] != passage.text:
                    yield Skipped(
                        file.source,
                        f"passage {passage.passage_id} ({passage.start}:{passage.end}) no longer matches its source",
                    )
    except CorpusError as exc:
        yield Skipped(file.source, f"cannot check its citations ({exc})")
        return
    for doc_id, passages in by_doc.items():
        yield Skipped(file.source, f"{len(passages)} passage(s) of {doc_id!r} cite an article no longer in the file")


def repair_index(
    corpus: str | os.PathLike[str] = "corpus",
    index: str | os.PathLike[str] = "index",
    report: CheckReport | None = None,
    settings: Settings | None = None,
    *,
    lock_timeout: float = LOCK_TIMEOUT,
) -> IndexReport:
    """Re-index what ``report`` (by default a fresh check) found stale: added,
    changed and deleted files and files with mismatched citations; rebuild when the
    settings or schema differ or an index file is damaged."""
    report = report or check_index(corpus, index, settings)
    if report.settings or report.damaged:
        return build_index(corpus, index, settings, rebuild=True, lock_timeout=lock_timeout)
    stale = {s.path for s in report.mismatched if (Path(corpus) / s.path).is_file()}
    return build_index(corpus, index, settings, reindex=stale, lock_timeout=lock_timeout)
