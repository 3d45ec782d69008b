"""Recognise PDF, DOCX and e-mail files by their bytes and turn each into source text.

A PDF's or DOCX's text, as the pinned reader gives it, is the source text its
passages' offsets index into; for an e-mail it is the decoded plain-text body (or
the text of its HTML body). PDF and DOCX need optional extras; a file whose extra
is not installed is refused with the install command, never passed over.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Mapping

from ..errors import CorpusError

__all__ = ["DOCUMENT_SUFFIXES", "Document", "sniff", "read_document", "INSTALL_NAME"]

DOCUMENT_SUFFIXES = (".pdf", ".docx", ".eml")
INSTALL_NAME = "searchkit-passages"

# Headers that only a mail message opens with: "From:" alone also opens news copy.
_MAIL_HEADER = re.compile(rb"^(?:Received|Return-Path|Message-ID|MIME-Version|Delivered-To):", re.IGNORECASE | re.MULTILINE)
_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[ \t]")


@dataclass(frozen=True)
class Document:
    """What a document reader gives: the source text, where each page starts in it
    (PDF only), a title and metadata from the file's own properties."""

    text: str
    title: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
    page_starts: tuple[int, ...] = ()


def sniff(data: bytes, suffix: str) -> str | None:
    """The document kind of ``data`` ("pdf", "docx", "eml"), whatever the extension says;
    None for text that the ordinary readers take."""
    head = data[:1024]
    if head.lstrip(b"\r\n\t \xef\xbb\xbf").startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            pass
        return "zip"
    if suffix == ".eml":
        return "eml"
    first = head.split(b"\n", 1)[0]
    if _HEADER_LINE.match(first) and _MAIL_HEADER.search(data[:8192].split(b"\n\n", 1)[0].replace(b"\r", b"")):
        return "eml"
    return None


def _missing(source: str, kind: str, module: str) -> CorpusError:
    return CorpusError(
        f"{source}: a {kind.upper()} file; reading it needs the {module} package: "
        f"pip install '{INSTALL_NAME}[{kind}]'"
    )


def _iso(value: object) -> str | None:
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else None


def _pdf(source: str, data: bytes) -> Document:
    try:
        import pypdf
    except ImportError:
        raise _missing(source, "pdf", "pypdf") from None
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise CorpusError(f"{source}: an encrypted PDF; save a copy without a password to index it")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
    except CorpusError:
        raise
    except Exception as exc:  # pypdf raises many kinds for a damaged file
        raise CorpusError(f"{source}: not a readable PDF ({type(exc).__name__}: {exc}); fix or remove it") from None
    parts: list[str] = []
    starts: list[int] = []
    at = 0
    for page in pages:
        starts.append(at)
        parts.append(page)
        at += len(page) + 2  # the blank line that joins pages
    meta: dict[str, str] = {}
    author = getattr(info, "author", None)
    if author and str(author).strip():
        meta["author"] = str(author).strip()
    created = _iso(getattr(info, "creation_date", None)) if hasattr(info, "creation_date") else None
    if created:
        meta["date"] = created
    title = str(getattr(info, "title", "") or "").strip()
    return Document("\n\n".join(parts), title, meta, tuple(starts))


def _docx(source: str, data: bytes) -> Document:
    try:
        import docx
    except ImportError:
        raise _missing(source, "docx", "python-docx") from None
    try:
        doc = docx.Document(io.BytesIO(data))
        paragraphs = [p.text for p in doc.paragraphs if p.text.strip()]
        props = doc.core_properties
    except Exception as exc:  # a damaged archive or XML
        raise CorpusError(f"{source}: not a readable DOCX ({type(exc).__name__}: {exc}); fix or remove it") from None
    meta: dict[str, str] = {}
    if props.author and props.author.strip():
        meta["author"] = props.author.strip()
    created = _iso(props.created)
    if created:
        meta["date"] = created
    return Document("\n\n".join(paragraphs), (props.title or "").strip(), meta)


def _eml(source: str, data: bytes) -> Document:
    message = email.message_from_bytes(data, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        raise CorpusError(f"{source}: an e-mail with no text body; nothing to index")
    try:
        text = body.get_content()
    except (LookupError, ValueError) as exc:
        raise CorpusError(f"{source}: e-mail body cannot be decoded ({exc}); fix or remove it") from None
    if body.get_content_type() == "text/html":
        from .formats import html_text

        text = html_text(text)
    meta: dict[str, str] = {}
    sender = message.get("From")
    if sender:
        name, address = email.utils.parseaddr(str(sender))
        if name or address:
            meta["author"] = name or address
    date = message.get("Date")
    if date:
        meta["date_text"] = str(date)
        try:
            meta["date"] = email.utils.parsedate_to_datetime(str(date)).isoformat()
        except (TypeError, ValueError):
            pass  # an unreadable date is left out, not guessed
    return Document(text.replace("\r\n", "\n"), str(message.get("Subject") or "").strip(), meta)


def read_document(source: str, data: bytes, kind: str) -> Document:
    """The text of a document of ``kind`` (as ``sniff`` gives it). Raises ``CorpusError``
    naming the file and what to do when it cannot be read or its extra is missing."""
    if kind == "pdf":
        return _pdf(source, data)
    if kind == "docx":
        return _docx(source, data)
    if kind == "eml":
        return _eml(source, data)
    raise CorpusError(f"{source}: binary file (a {kind} archive), not an article; remove it from the corpus")
