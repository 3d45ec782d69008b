"""The Whoosh schema of a searchkit index, its version, and how a ``Passage`` is
stored in it and read back.

Bump ``SCHEMA_VERSION`` whenever a field changes: indexes built with another
version are refused with a message that says how to rebuild them.
"""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

from whoosh.analysis import LowercaseFilter, RegexTokenizer
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema

from .analysis import TOKEN_PATTERN, analyzer
from .models import Passage
from .nearcopy import near_terms
from .settings import Settings

__all__ = [
    "SCHEMA_VERSION", "build_schema", "text_key", "FIELDS", "SEARCH_FIELDS", "TEXT_KEY",
    "passage_document", "passage_from_fields", "DATE_KEY", "ARTICLE_KEY", "FACET_FIELD",
    "facet_values", "date_number", "article_key", "NEAR_FIELD",
]

# 4: the kind field (issue 17: captions are passages of their own)
# 5: filter values, date and article columns (issue 18: filters, facets, grouping, dates);
#    dotted acronyms indexed without their dots ("U.S." as "us", issue 17);
#    near-copy band keys (``near``: syndicated copies, issue 19)
SCHEMA_VERSION = 5

#: Fields a query in syntax mode may name.
FIELDS = ("text", "title", "author", "publisher", "date", "kind", "doc_id", "source", "passage_id")
#: Fields plain-words queries search.
SEARCH_FIELDS = ("text", "title")
#: The column that tells passages with the same text apart from the others.
TEXT_KEY = "text_key"
#: The column of each passage's article date as the number YYYYMMDD (0: undated).
DATE_KEY = "date_key"
#: The column that tells the passages of one article (source and doc_id) apart.
ARTICLE_KEY = "article_key"
#: The field of each passage's near-copy band keys (``nearcopy.near_terms``).
NEAR_FIELD = "near"
#: The field of ``name=value`` terms that filters and facets read.
FACET_FIELD = "facet"
#: Keeps ``name=value`` terms apart in the facet field (no metadata value holds it).
_FACET_SEPARATOR = "\x1f"
#: Longer metadata values (a summary, say) are not filter values.
MAX_FACET_CHARS = 200


def text_key(text: str) -> int:
    """A 64-bit hash of a passage's text (never 0, which means "no key")."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big") or 1


def article_key(source: str, doc_id: str) -> int:
    """A 64-bit hash of an article (its file and id), never 0."""
    return text_key(f"{source}\x00{doc_id}")


def date_number(iso: str | None) -> int:
    """``YYYYMMDD`` of an ISO 8601 date (or date and time), 0 when there is none."""
    if not iso or len(iso) < 10 or not (iso[:4] + iso[5:7] + iso[8:10]).isdigit():
        return 0
    return int(iso[:4] + iso[5:7] + iso[8:10])


def facet_values(metadata: Mapping[str, Any], kind: str) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs a passage can be filtered and counted by: its kind,
    and each short text value of its metadata (several authors apart)."""
    pairs = [("kind", kind)]
    for name, value in metadata.items():
        if name in ("kind", "date", "date_text") or not isinstance(value, (str, int, float)) or isinstance(value, bool):
            continue
        text = str(value).strip()
        parts = text.split("; ") if name == "author" else [text]
        pairs.extend((name, part.strip()) for part in parts if part.strip() and len(part) <= MAX_FACET_CHARS)
    return pairs


def build_schema(settings: Settings) -> Schema:
    english = analyzer(settings.analyzer_name)
    names = RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter()
    return Schema(
        passage_id=ID(stored=True, unique=True),
        doc_id=ID(stored=True),
        source=ID(stored=True),
        ordinal=STORED(),
        start=STORED(),
        end=STORED(),
        title=TEXT(analyzer=english, stored=True),
        text=TEXT(analyzer=english, stored=True, phrase=True),
        # Title and passage text as one field: scoring them as one beats summing two
        # fields' BM25 (Settings.one_field; measured in docs/QUALITY.md).
        content=TEXT(analyzer=english, phrase=False),
        author=TEXT(analyzer=names),
        publisher=TEXT(analyzer=names),
        date=ID(),
        # "body" or "caption": a caption is reporting, searchable and filterable apart.
        kind=ID(),
        metadata=STORED(),
        # What the file looked like when indexed, so the manifest can be rebuilt.
        file_digest=STORED(),
        # Search keeps one passage per text in a single pass (syndicated and
        # repeated paragraphs), reading this column instead of the stored text.
        text_key=COLUMN(NumericColumn("Q")),
        # Filters and facets: "publisher=Reuters", "author=Jane Smith", "kind=body", one
        # term each, in their own case (filters compare without case).
        facet=KEYWORD(analyzer=RegexTokenizer(f"[^{_FACET_SEPARATOR}]+")),
        date_key=COLUMN(NumericColumn("Q")),
        article_key=COLUMN(NumericColumn("Q")),
        # Near-identical passages (wire copy republished with small edits) share a
        # band key: search finds a hit's copies from these postings, not by a scan.
        near=KEYWORD(),
    )


def passage_document(passage: Passage, digest: str) -> dict[str, Any]:
    """The stored and indexed fields of ``passage``; ``digest`` is its file's
    ``"<content sha256> <sidecar metadata hash>"``, kept to rebuild the manifest."""
    doc: dict[str, Any] = {
        "passage_id": passage.passage_id,
        "doc_id": passage.doc_id,
        "source": passage.source,
        "ordinal": passage.ordinal,
        "start": passage.start,
        "end": passage.end,
        "title": passage.title,
        "text": passage.text,
        "content": f"{passage.title}\n{passage.text}",
        "metadata": dict(passage.metadata),
        "file_digest": digest,
        TEXT_KEY: text_key(passage.text),
    }
    doc["kind"] = kind = passage.metadata.get("kind", "body")
    doc[FACET_FIELD] = _FACET_SEPARATOR.join(f"{name}={value}" for name, value in facet_values(passage.metadata, kind))
    doc[DATE_KEY] = date_number(passage.metadata.get("date"))
    doc[ARTICLE_KEY] = article_key(passage.source, passage.doc_id)
    doc[NEAR_FIELD] = " ".join(near_terms(passage.text))
    for key in ("author", "publisher", "date"):
        value = passage.metadata.get(key)
        if value:
            doc[key] = value
    return doc


def passage_from_fields(fields: Mapping[str, Any]) -> Passage:
    """A ``Passage`` from a stored Whoosh document."""
    return Passage(
        passage_id=fields["passage_id"],
        doc_id=fields["doc_id"],
        ordinal=fields["ordinal"],
        title=fields["title"],
        text=fields["text"],
        source=fields["source"],
        start=fields["start"],
        end=fields["end"],
        metadata=dict(fields.get("metadata") or {}),
    )
