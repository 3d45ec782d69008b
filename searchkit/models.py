"""Plain frozen records that flow through the pipeline: articles, passages, hits and reports.

None of them holds a live Whoosh object, so they outlive any searcher and can be
pickled, compared and turned into JSON (``to_dict``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterator, Mapping

__all__ = [
    "CheckReport",
    "Article",
    "Passage",
    "Citation",
    "Copy",
    "Hit",
    "SearchResults",
    "PassageContext",
    "Skipped",
    "IndexReport",
]

#: Metadata keys with a meaning of their own; any other key is kept as given.
METADATA_KEYS = ("author", "publisher", "date", "url")


@dataclass(frozen=True)
class Article:
    """One article as read from the corpus.

    ``text`` is the article's *source text*: the exact string that passage offsets
    index into (the decoded file for .txt/.md, the extracted text for .html, the
    ``text`` value for a line of .jsonl). ``body`` lists the ``(start, end)`` spans of
    the paragraphs kept as content, in order; everything outside them (title,
    site chrome, bylines) is left out of passages. ``dropped`` says what was left out
    and why, as ``(start, end, reason)``. ``page_starts`` gives where each page of a
    paged source (a PDF) starts in ``text``; empty for the rest.
    """

    doc_id: str
    source: str
    title: str
    text: str
    body: tuple[tuple[int, int], ...]
    metadata: Mapping[str, str] = field(default_factory=dict)
    dropped: tuple[tuple[int, int, str], ...] = ()
    page_starts: tuple[int, ...] = ()
    #: Image captions, ``(start, end, credit)``: passages of their own (``kind: "caption"``),
    #: the credit in metadata, never in the text.
    captions: tuple[tuple[int, int, str], ...] = ()


@dataclass(frozen=True)
class Passage:
    """A piece of an article, small enough to cite; ``text == source_text[start:end]``."""

    passage_id: str
    doc_id: str
    ordinal: int
    title: str
    text: str
    source: str
    start: int
    end: int
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def citation(self) -> "Citation":
        return Citation.of(self)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["metadata"] = dict(self.metadata)
        return out


@dataclass(frozen=True)
class Citation:
    """Where a passage comes from, precisely enough to check it against the source."""

    source: str
    doc_id: str
    passage_id: str
    ordinal: int
    start: int
    end: int
    title: str
    author: str | None = None
    publisher: str | None = None
    date: str | None = None
    url: str | None = None
    page: str | None = None

    @classmethod
    def of(cls, item: "Passage | Hit") -> "Citation":
        meta = item.metadata
        return cls(
            source=item.source,
            doc_id=item.doc_id,
            passage_id=item.passage_id,
            ordinal=item.ordinal,
            start=item.start,
            end=item.end,
            title=item.title,
            author=meta.get("author"),
            publisher=meta.get("publisher"),
            date=meta.get("date"),
            url=meta.get("url"),
            page=meta.get("page"),
        )

    def __str__(self) -> str:
        parts = [f'"{self.title}"'] if self.title else []
        byline = ", ".join(p for p in (self.author, self.publisher, self.date) if p)
        if byline:
            parts.append(byline)
        where = f"{self.source}"
        if self.source.endswith(".jsonl"):
            where += f" [{self.doc_id}]"
        page = f", page {self.page}" if self.page else ""
        parts.append(f"{where}{page}, passage {self.ordinal + 1}, chars {self.start}-{self.end}")
        if self.url:
            parts.append(self.url)
        return ". ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Copy:
    """Another location of a hit's text: the same passage republished (wire copy),
    word for word (``similarity`` 1.0) or with small edits."""

    source: str
    doc_id: str
    passage_id: str
    start: int
    end: int
    publisher: str | None = None
    date: str | None = None
    #: Jaccard similarity of the two passages' word 5-shingles, 0-1.
    similarity: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Hit:
    """One ranked passage of a result list.

    ``highlights`` are ``(start, end)`` spans *within* ``text`` of the words that
    matched the query, in the passage's own unstemmed text.
    """

    rank: int
    score: float
    passage_id: str
    doc_id: str
    ordinal: int
    title: str
    text: str
    source: str
    start: int
    end: int
    metadata: Mapping[str, str] = field(default_factory=dict)
    highlights: tuple[tuple[int, int], ...] = ()
    #: With ``group_by="article"``: how many of the article's passages match, and
    #: the ids of the others (this hit is the best of them).
    group_count: int | None = None
    also: tuple[str, ...] = ()
    #: Query term → the close spelling it matched in this passage, as written
    #: (``{"kadyrov": "Kadirov"}``): a name spelled another way.
    matched: Mapping[str, str] = field(default_factory=dict)
    #: The other locations of this passage's text, word for word or near-identical
    #: (``copies="together"``), earliest first (undated last).
    copies: tuple[Copy, ...] = ()

    @property
    def citation(self) -> Citation:
        return Citation.of(self)

    @property
    def date(self) -> str | None:
        """The article's date, ISO 8601, or None."""
        return self.metadata.get("date") or None

    @property
    def kind(self) -> str:
        """``"body"`` or ``"caption"``."""
        return self.metadata.get("kind") or "body"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["metadata"] = dict(self.metadata)
        out["highlights"] = [list(span) for span in self.highlights]
        out["also"] = list(self.also)
        out["matched"] = dict(self.matched)
        out["copies"] = [copy.to_dict() for copy in self.copies]
        out["citation"] = str(self.citation)
        out["date"] = self.date
        out["kind"] = self.kind
        return out


@dataclass(frozen=True)
class SearchResults:
    """The hits for one query, best first; iterable like a tuple of ``Hit``."""

    query: str
    hits: tuple[Hit, ...]
    #: True when the search hit its time limit and the hits are the best found by then.
    timed_out: bool = False
    query_id: str | None = None
    #: How many passages match (articles, when grouping by article); None when the
    #: search was not asked to count (``total=True``, facets, filters, grouping).
    total: int | None = None
    #: Where this page starts in the full list.
    offset: int = 0
    #: Matching passages left out because a date bound was given and they have no date.
    undated: int = 0
    #: Facet name -> ``(value, count)`` over every match, most frequent first.
    facets: Mapping[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    #: The query with the words this index does not hold replaced by their closest
    #: spellings in it ("did you mean ..."), or None.
    suggestion: str | None = None
    #: The shards of a sharded index this search could not read (searched with
    #: ``partial=True``): its hits and counts are those of the other shards.
    missing_shards: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        return bool(self.missing_shards)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, index: int) -> Hit:
        return self.hits[index]

    def to_dict(self) -> dict[str, Any]:
        """What every front-end sends: ``searchkit search --format json``, the HTTP
        API's ``/search`` and the MCP ``search`` tool."""
        return {
            "query_id": self.query_id,
            "query": self.query,
            "timed_out": self.timed_out,
            "total": self.total,
            "offset": self.offset,
            "undated": self.undated,
            "facets": {
                name: [{"value": value, "count": count} for value, count in values]
                for name, values in self.facets.items()
            },
            "suggestion": self.suggestion,
            **({"missing_shards": list(self.missing_shards)} if self.missing_shards else {}),
            "hits": [hit.to_dict() for hit in self.hits],
        }


@dataclass(frozen=True)
class PassageContext:
    """A passage with its neighbours in the same article, for reading it in context."""

    passage: Passage
    previous: Passage | None
    next: Passage | None

    @property
    def citation(self) -> Citation:
        return self.passage.citation

    def to_dict(self) -> dict[str, Any]:
        return {
            "passage": self.passage.to_dict(),
            "previous": self.previous.to_dict() if self.previous else None,
            "next": self.next.to_dict() if self.next else None,
            "citation": self.citation.to_dict(),
        }


@dataclass(frozen=True)
class Skipped:
    """A corpus file (or line) that was not indexed, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class IndexReport:
    """What one ``build``/``update`` did to the index."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    #: Files that were indexed but with a caveat (for example a non-UTF-8 encoding).
    warnings: tuple[Skipped, ...] = ()
    passages: int = 0
    seconds: float = 0.0
    #: Saved searches with hits new since their last ``watch run``: ``(name, count)``,
    #: looked at only when files were added or updated (``watches.pending``).
    watches: tuple[tuple[str, int], ...] = ()

    @property
    def partial(self) -> bool:
        """True when some files could not be indexed."""
        return bool(self.skipped)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        text = (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.removed)} removed, {len(self.unchanged)} unchanged"
        )
        if self.skipped:
            text += f", {len(self.skipped)} skipped"
        return f"{text}; {self.passages} passages in the index ({self.seconds:.2f} s)"

    def watch_summary(self) -> str | None:
        """One line naming the saved searches with new hits ("court ruling: 3 new"), or None."""
        if not self.watches:
            return None
        found = ", ".join(f"{name}: {count} new" for name, count in self.watches)
        return f"saved searches with new hits: {found} (searchkit watch run shows them)"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["skipped"] = [{"path": s.path, "reason": s.reason} for s in self.skipped]
        out["warnings"] = [{"path": s.path, "reason": s.reason} for s in self.warnings]
        out["watches"] = [{"name": name, "new": count} for name, count in self.watches]
        out["partial"] = self.partial
        return out


@dataclass(frozen=True)
class CheckReport:
    """What ``check_index`` found: how the index and its corpus have drifted apart.

    ``added``, ``changed`` and ``deleted`` are corpus files (as ``source``) not yet
    indexed, indexed from an older version, or indexed but gone; ``mismatched``
    names passages whose text is no longer ``source_text(...)[start:end]``;
    ``unreadable`` are corpus entries that could not be read; ``settings`` says how
    the index's settings or schema differ from what is asked; ``damaged`` names
    index files that are cut short or overwritten (``path`` is the file's name in
    the index folder); ``extractor`` says that the index read its HTML files with
    another extractor than the one running (``searchkit index`` re-reads them).
    """

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    mismatched: tuple[Skipped, ...] = ()
    unreadable: tuple[Skipped, ...] = ()
    settings: tuple[str, ...] = ()
    damaged: tuple[Skipped, ...] = ()
    extractor: tuple[str, ...] = ()
    files: int = 0
    passages: int = 0

    @property
    def ok(self) -> bool:
        """True when the index answers exactly for the corpus as it is now."""
        return not (
            self.added or self.changed or self.deleted or self.mismatched or self.unreadable or self.settings
            or self.damaged or self.extractor
        )

    def problems(self) -> list[str]:
        """One line per problem, for people."""
        lines = [f"damaged index file: {s}" for s in self.damaged]
        lines += [f"settings: {s}" for s in self.settings]
        lines += [f"HTML extractor: {s}" for s in self.extractor]
        lines += [f"added since the last build: {s}" for s in self.added]
        lines += [f"changed since the last build: {s}" for s in self.changed]
        lines += [f"deleted since the last build: {s}" for s in self.deleted]
        lines += [f"citation mismatch: {s}" for s in self.mismatched]
        lines += [f"unreadable: {s}" for s in self.unreadable]
        return lines

    def summary(self) -> str:
        state = "ok" if self.ok else f"{len(self.problems())} problem(s)"
        return f"{state}: checked {self.files} files and {self.passages} passages"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("mismatched", "unreadable", "damaged"):
            out[key] = [{"path": s.path, "reason": s.reason} for s in getattr(self, key)]
        out["ok"] = self.ok
        return out
