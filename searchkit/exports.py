"""Export a search's hits to a file an editor can re-check, and re-check one.

``export`` writes the hits (jsonl, csv or md) and, beside them,
``FILE.manifest.json``: how they were found (searchkit version, settings, the
index's generation and build id, the query and every option, the time), each
cited file's content hash at index time, where each hit was (source, offsets,
text), and the sha256 of the results file. The results file holds nothing that
changes from run to run (no time), so re-running the manifest's query on the same
index writes it again byte for byte.

``check_export`` re-reads every cited source and says of each hit whether its text
is still there (``unchanged``), elsewhere in the file (``moved``, with the new
offsets), no longer in it (``changed``), or gone with its file (``missing``).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

from . import __version__
from .errors import CorpusError, ExportError, QueryError
from .index import Index, ensure_index
from .index.layout import _toc_name
from .models import Hit, SearchResults
from .search import Searcher, open_searcher

__all__ = [
    "export", "check_export", "render", "read_manifest", "manifest_path",
    "ExportReport", "ExportCheck", "HitCheck",
    "FORMATS", "MEDIA_TYPES", "STATUSES", "UNCHANGED", "MOVED", "CHANGED", "MISSING", "MANIFEST_SUFFIX",
]

FORMATS = ("jsonl", "csv", "md")
UNCHANGED, MOVED, CHANGED, MISSING = "unchanged", "moved", "changed", "missing"
STATUSES = (UNCHANGED, MOVED, CHANGED, MISSING)
MANIFEST_SUFFIX = ".manifest.json"
#: Each format's media type (the HTTP API's /export).
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8", "md": "text/markdown; charset=utf-8"}
#: The manifest's "format": what tells an export's manifest from any other JSON file.
MANIFEST_FORMAT = "searchkit-export"
MANIFEST_VERSION = 1
#: The csv columns: every key of a jsonl hit (``Hit.to_dict``), in its order.
CSV_COLUMNS = tuple(Hit(0, 0.0, "", "", 0, "", "", "", 0, 0).to_dict())
#: An update may commit while the search runs: the search is run again (at most
#: this many times) until the generation read before it is the one after it.
_GENERATION_TRIES = 3


@dataclass(frozen=True)
class ExportReport:
    """What ``export`` wrote: the results file, its manifest, and what they hold."""

    out: str
    manifest: str
    format: str
    hits: int
    sha256: str
    generation: int
    build_id: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class HitCheck:
    """One exported hit against its source now. ``start``/``end`` are the offsets at
    export; ``new_start``/``new_end`` where the same text is now (``moved``; for
    ``unchanged`` the same). ``file_unchanged`` says whether the file's bytes still
    have the content hash recorded at index time (None: the file is gone), so an
    unchanged hit in an edited file is told apart."""

    rank: int
    passage_id: str
    source: str
    doc_id: str
    start: int
    end: int
    status: str
    new_start: int | None = None
    new_end: int | None = None
    file_unchanged: bool | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ExportCheck:
    """Every hit of an export checked against the sources (``hits``, in rank order),
    and whether the results file is still the one the manifest hashed (None: it is gone)."""

    file: str
    manifest: str
    corpus: str
    hits: tuple[HitCheck, ...]
    results_intact: bool | None

    @property
    def ok(self) -> bool:
        """True when every hit is ``unchanged`` and the results file is as exported."""
        return self.results_intact is True and all(h.status == UNCHANGED for h in self.hits)

    def counts(self) -> dict[str, int]:
        return {status: sum(1 for h in self.hits if h.status == status) for status in STATUSES}

    def summary(self) -> str:
        counts = self.counts()
        if self.ok:
            return f"ok: all {len(self.hits)} hit(s) unchanged"
        off = ", ".join(f"{n} {status}" for status, n in counts.items() if n and status != UNCHANGED)
        results = "" if self.results_intact else "; the results file " + (
            "is gone" if self.results_intact is None else "differs from the one exported (sha256)")
        return f"{len(self.hits) - counts[UNCHANGED]} of {len(self.hits)} hit(s) not unchanged" + (
            f": {off}" if off else "") + results

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "manifest": self.manifest, "corpus": self.corpus, "ok": self.ok,
                "results_intact": self.results_intact, "counts": self.counts(),
                "hits": [h.to_dict() for h in self.hits]}


# --- writing ---------------------------------------------------------------------

def manifest_path(out: str | os.PathLike[str]) -> Path:
    """Where the manifest of results file ``out`` lives: beside it, ``FILE.manifest.json``."""
    out = Path(out)
    return out.with_name(out.name + MANIFEST_SUFFIX)


def _jsonl(hits: Iterable[Hit]) -> bytes:
    # The very rows of ``searchkit search --format jsonl``.
    return "".join(json.dumps(h.to_dict(), ensure_ascii=False) + "\n" for h in hits).encode("utf-8")


def _cell(value: Any) -> Any:
    # Lists and mappings as JSON, so a cell reads back as what the jsonl row holds.
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def _csv(hits: Iterable[Hit]) -> bytes:
    # UTF-8 with a byte order mark: Excel reads a CSV without one in the system's
    # ANSI code page, turning every curly quote and accent into mojibake; LibreOffice,
    # Numbers, Google Sheets and Python (encoding="utf-8-sig") all skip the mark.
    # Rows end in CRLF (RFC 4180); a newline inside a text stays inside its quoted cell.
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for hit in hits:
        row = hit.to_dict()
        writer.writerow([_cell(row[name]) for name in CSV_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def _md(results: SearchResults) -> bytes:
    """A story file's appendix: one numbered citation per hit, [n] "quote" — citation.
    The quote's white space is one space, so a line break cannot end the list item."""
    lines = [f"## Sources: {results.query}", ""] if results.query else ["## Sources", ""]
    if not results.hits:
        lines.append("No passage matched.")
    for number, hit in enumerate(results.hits, 1):
        quote = " ".join(hit.text.split())
        lines.append(f'[{number}] "{quote}" \u2014 {hit.citation}')
        lines.append("")
    return ("\n".join(lines).rstrip("\n") + "\n").encode("utf-8")


def render(results: SearchResults, format: str = "jsonl") -> bytes:
    """The results file's bytes for ``results`` in ``format`` (jsonl, csv or md)."""
    if format == "jsonl":
        return _jsonl(results.hits)
    if format == "csv":
        return _csv(results.hits)
    if format == "md":
        return _md(results)
    raise QueryError(f"export format must be one of {', '.join(FORMATS)}, not {format!r}")


def _write(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all: a reader never sees half of a results file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise ExportError(
            f"cannot write {path} ({exc.strerror or exc}); pass an --out in a folder you can write to"
        ) from None


def _generation(index: Any) -> int:
    """The index's commit number (of a sharded one: the sum of its shards', which
    grows with any shard's commit)."""
    return sum(int(part.whoosh.latest_generation()) for part in getattr(index, "shards", [index]))


def _build_id(index: Any, generation: int) -> str:
    """The build id: sha256 of the index's table of contents for ``generation`` (of
    a sharded one: of each shard's, in shard order). It names the commit's segments
    (random ids), so it differs between two builds of the same corpus and between
    commits, and stays the same while nothing is written."""
    digest = hashlib.sha256()
    try:
        if hasattr(index, "shards"):
            for shard in index.shards:
                digest.update((shard.path / _toc_name(int(shard.whoosh.latest_generation()))).read_bytes())
        else:
            digest.update((index.path / _toc_name(generation)).read_bytes())
    except OSError:
        return ""  # a newer commit removed it meanwhile: the caller searches again
    return digest.hexdigest()[:16]


def _where(where: Mapping[str, Any] | Iterable[str] | None) -> Any:
    """``where`` as JSON that ``search`` takes back unchanged."""
    if where is None:
        return []
    if isinstance(where, Mapping):
        return {k: list(v) if isinstance(v, (list, tuple, set)) else v for k, v in where.items()}
    return [where] if isinstance(where, str) else list(where)


def _steady_search(searcher: Searcher, query: str, options: Mapping[str, Any]) -> tuple[SearchResults, int, str]:
    """The search's results, and the index generation and build id they were found
    in (searched again when a commit landed meanwhile)."""
    ix = searcher.index
    for _ in range(_GENERATION_TRIES):
        generation = _generation(ix)
        results = searcher.search(query, **options)
        build_id = _build_id(ix, generation)
        if build_id and _generation(ix) == generation:
            return results, generation, build_id
    raise ExportError(f"the index at {ix.path} kept changing during the export; try again when it is idle")


def export(
    query: str,
    out: str | os.PathLike[str],
    *,
    index: Index | Searcher | str | os.PathLike[str] = "index",
    corpus: str | os.PathLike[str] | None = None,
    format: str = "jsonl",
    limit: int = 10,
    syntax: bool = False,
    where: Mapping[str, Any] | Iterable[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    group_by: str | None = None,
    sort: str = "relevance",
    offset: int = 0,
) -> ExportReport:
    """Search ``index`` for ``query`` (the options are ``Searcher.search``'s) and write
    the hits to ``out`` in ``format`` and the manifest to ``FILE.manifest.json``.

    ``corpus`` is recorded so that ``check_export`` finds the sources (and builds
    the index from it when there is none). No time limit applies: a search cut
    short could not be reproduced. Raises ``QueryError`` for a bad query or option
    and ``ExportError`` when a file cannot be written.
    """
    if format not in FORMATS:
        raise QueryError(f"export format must be one of {', '.join(FORMATS)}, not {format!r}")
    out = Path(out)
    if out.is_dir():
        raise ExportError(f"{out} is a folder; pass --out a file name")
    options = dict(limit=limit, syntax=syntax, where=_where(where), since=since, until=until,
                   group_by=group_by, sort=sort, offset=offset)
    found = _find(index, corpus, query, options)
    data = render(found.results, format)
    sha = hashlib.sha256(data).hexdigest()
    manifest = _manifest(found, query, options, corpus, out, format, data, sha)
    _write(out, data)
    _write(manifest_path(out), (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    return ExportReport(str(out), str(manifest_path(out)), format, len(found.results.hits), sha,
                        found.generation, found.build_id)


@dataclass(frozen=True)
class _Found:
    """An export's search: its results, and the index they were found in."""

    results: SearchResults
    generation: int
    build_id: str
    index_path: str
    settings: dict[str, Any]
    digests: dict[str, str]


def _find(index: Index | Searcher | str | os.PathLike[str], corpus: str | os.PathLike[str] | None,
          query: str, options: Mapping[str, Any]) -> _Found:
    """Search ``index`` (a folder, built from ``corpus`` when there is none, or an
    open index or searcher, left open) and read what the manifest records of it."""
    if isinstance(index, (str, os.PathLike)):
        searcher = Searcher(ensure_index(index, corpus), close_index=True)
    else:  # an open Index, ShardedIndex or Searcher
        searcher = open_searcher(index)
    try:
        results, generation, build_id = _steady_search(searcher, query, options)
        ix = searcher.index
        digests = {source: entry.digest for source, entry in ix.entries().items()}
        return _Found(results, generation, build_id, str(ix.path.resolve()),
                      dataclasses.asdict(searcher.settings), digests)
    finally:
        if searcher is not index:
            searcher.close()


def _manifest(found: _Found, query: str, options: Mapping[str, Any], corpus: str | os.PathLike[str] | None,
              out: Path, format: str, data: bytes, sha: str) -> dict[str, Any]:
    """The manifest of results file ``out`` (its bytes ``data``, their sha256 ``sha``)."""
    hits = found.results.hits
    return {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "searchkit_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "query": query,
        "options": options,
        "settings": found.settings,
        "index": {"path": found.index_path, "generation": found.generation, "build_id": found.build_id},
        "corpus": str(Path(corpus).resolve()) if corpus is not None else None,
        "results": {"file": out.name, "format": format, "hits": len(hits), "bytes": len(data), "sha256": sha},
        "sources": {h.source: {"sha256": found.digests.get(h.source, "")} for h in hits},
        "hits": [
            {"rank": h.rank, "passage_id": h.passage_id, "source": h.source, "doc_id": h.doc_id,
             "start": h.start, "end": h.end, "text": h.text}
            for h in hits
        ],
    }


# --- checking --------------------------------------------------------------------

def read_manifest(file: str | os.PathLike[str]) -> tuple[Path, dict[str, Any]]:
    """The results file and the manifest of the export ``file`` (the results file or
    its manifest). Raises ``ExportError`` when it is not an export."""
    file = Path(file)
    manifest = file if file.name.endswith(MANIFEST_SUFFIX) else manifest_path(file)
    how = "export with: searchkit export QUERY --out FILE"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(f"{file} is not a searchkit export: there is no {manifest.name} beside it; {how}") from None
    except (OSError, ValueError) as exc:
        raise ExportError(f"{manifest} cannot be read as an export manifest ({exc}); {how}") from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or not isinstance(data.get("hits"), list):
        raise ExportError(f"{manifest} is not a searchkit export manifest; {how}")
    results = manifest.with_name(manifest.name[: -len(MANIFEST_SUFFIX)])
    return results, data


def _nearest(text: str, quote: str, start: int) -> int | None:
    """Where ``quote`` occurs in ``text`` nearest to ``start`` (None: nowhere)."""
    best: int | None = None
    at = text.find(quote)
    while at >= 0:
        if best is None or abs(at - start) < abs(best - start):
            best = at
        at = text.find(quote, at + 1)
    return best


def check_export(file: str | os.PathLike[str], *, corpus: str | os.PathLike[str] | None = None) -> ExportCheck:
    """Re-read every source the export ``file`` cites, from ``corpus`` or else the
    corpus folder its manifest records, and say of each hit whether its text is
    ``unchanged``, ``moved`` (new offsets given), ``changed`` or ``missing``.

    Raises ``ExportError`` for a file that is not an export or a corpus not known,
    ``CorpusError`` for a cited file that is there but cannot be read.
    """
    results, manifest = read_manifest(file)
    folder = corpus if corpus is not None else manifest.get("corpus")
    if folder is None:
        raise ExportError(f"the manifest of {results} records no corpus folder; pass --corpus")
    folder = Path(folder)
    if not folder.is_dir():
        raise ExportError(f"corpus folder {folder} is not there; pass --corpus with the folder the sources are in")
    try:
        intact: bool | None = hashlib.sha256(results.read_bytes()).hexdigest() == manifest["results"]["sha256"]
    except FileNotFoundError:
        intact = None
    sources = _CitedSources(folder, manifest.get("sources") or {})
    checked = tuple(sources.check(item) for item in manifest["hits"])
    return ExportCheck(str(results), str(manifest_path(results)), str(folder), checked, intact)


class _CitedSources:
    """The sources an export cites, as they are now in ``folder``: each file hashed
    and each article read once, however many hits cite it."""

    def __init__(self, folder: Path, recorded: Mapping[str, Any]) -> None:
        self.folder = folder
        self.recorded = recorded  # each source's content hash at export
        self.texts: dict[tuple[str, str], str | None] = {}
        self.same_file: dict[str, bool | None] = {}

    def check(self, item: Mapping[str, Any]) -> HitCheck:
        """One hit of the manifest against its source now."""
        source, doc_id, start, end, quote = item["source"], item["doc_id"], item["start"], item["end"], item["text"]
        common = dict(rank=item["rank"], passage_id=item["passage_id"], source=source, doc_id=doc_id, start=start, end=end)
        same_file = self._same_file(source)
        if same_file is None:
            return HitCheck(**common, status=MISSING, reason=f"{source} is not in {self.folder}")
        text = self._text(source, doc_id)
        if text is None:
            return HitCheck(**common, status=MISSING, file_unchanged=False,
                            reason=f"{source} has no line with id {doc_id!r}")
        if text[start:end] == quote:
            return HitCheck(**common, status=UNCHANGED, new_start=start, new_end=end, file_unchanged=same_file)
        if (at := _nearest(text, quote, start)) is not None:
            return HitCheck(**common, status=MOVED, new_start=at, new_end=at + len(quote), file_unchanged=same_file)
        return HitCheck(**common, status=CHANGED, file_unchanged=same_file, reason="the text is no longer in the file")

    def _same_file(self, source: str) -> bool | None:
        """Whether ``source`` still has its recorded content hash (None: it is gone)."""
        if source not in self.same_file:
            from .ingest import file_digest  # here: exporting never reads the corpus

            try:
                digest = file_digest((self.folder / source).read_bytes())
                self.same_file[source] = digest == (self.recorded.get(source) or {}).get("sha256")
            except FileNotFoundError:
                self.same_file[source] = None
            except OSError as exc:
                raise CorpusError(f"{source}: cannot read from corpus {self.folder} ({exc.strerror})") from None
        return self.same_file[source]

    def _text(self, source: str, doc_id: str) -> str | None:
        """The text of article ``doc_id`` of ``source`` (None: a .jsonl file without that line)."""
        key = (source, doc_id)
        if key not in self.texts:
            from .ingest import source_text

            try:
                self.texts[key] = source_text(self.folder, source, doc_id)
            except CorpusError:
                if not source.lower().endswith(".jsonl"):
                    raise
                self.texts[key] = None  # the file is there, its line with this id is not
        return self.texts[key]
