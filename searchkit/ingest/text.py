"""Turn an article's source text into an ``Article``: paragraphs, title, byline, chrome.

Works on plain text with exact offsets; the format readers (txt, md, html, jsonl)
bring their text here after decoding or extraction.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Mapping

from ..models import Article
from .chrome import caption_credit, chrome_reason, parse_byline, related_list_start
from .dates import date_line, normalise_date

__all__ = ["split_paragraphs", "make_article", "normalise"]

# A title longer than this is really the first paragraph.
MAX_TITLE_CHARS = 200
# Bylines sit near the top of an article.
BYLINE_WINDOW = 4

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_CONTINUES = re.compile(r"[,\-–—]$")


def _lines(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each line without its line break; blank lines included."""
    spans: list[tuple[int, int]] = []
    for match in _LINE.finditer(text):
        if match.start() == len(text) and spans:
            break
        line = match.group().rstrip("\r\n")
        spans.append((match.start(), match.start() + len(line)))
    return spans


def split_paragraphs(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Paragraph spans of ``text[start:end]``, trimmed of surrounding white space.

    Paragraphs are separated by blank lines, and a line break inside a block also
    starts a paragraph (news sites put one paragraph on each line), unless the next
    line continues a hard-wrapped sentence (it starts in lower case, or the line
    ends in a comma or hyphen).
    """
    end = len(text) if end is None else end
    paragraphs: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for line_start, line_end in _lines(text[start:end]):
        a, b = line_start + start, line_end + start
        line = text[a:b]
        stripped = line.strip()
        if not stripped:
            if current:
                paragraphs.append(current)
            current = None
            continue
        a += len(line) - len(line.lstrip())
        b -= len(line) - len(line.rstrip())
        if current is not None:
            previous = text[current[0] : current[1]]
            if stripped[0].islower() or _CONTINUES.search(previous):
                current = (current[0], b)
                continue
            paragraphs.append(current)
        current = (a, b)
    if current:
        paragraphs.append(current)
    return paragraphs


def normalise(text: str) -> str:
    """Fold case, quotes and white space, for comparing a title with a paragraph."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = re.sub(r"^#+\s*", "", text.strip())
    return " ".join(text.split())


def _heading_text(paragraph: str) -> str:
    return re.sub(r"^#+\s*", "", paragraph.strip()).strip()


#: A note on the writer closing an article: "Helen Achterberg is a professor of ...".
_NOTE_VERBS = r"\s+(?:is|was|writes|teaches|works|has been)\b"
MAX_NOTE_CHARS = 300


def _mark_author_note(pieces: list[str], reasons: list[str | None], authors: str) -> None:
    """Mark the article's last content paragraph as an author note when it opens with
    an author's full name and "is", "writes"...: about the writer, not the story."""
    names = [re.escape(name.strip()) for name in authors.split(";") if len(name.split()) >= 2]
    content = [i for i, reason in enumerate(reasons) if not reason]
    if not names or len(content) < 2:
        return
    last = content[-1]
    if len(pieces[last]) <= MAX_NOTE_CHARS and re.match(rf"(?:{'|'.join(names)}){_NOTE_VERBS}", pieces[last].strip()):
        reasons[last] = "author note"


def make_article(
    doc_id: str,
    source: str,
    text: str,
    *,
    title: str | None = None,
    metadata: Mapping[str, str] | None = None,
    paragraphs: list[tuple[int, int]] | None = None,
) -> Article:
    """Build an ``Article`` from its source text.

    When ``title`` is None the first content paragraph (or Markdown heading) is
    the title. Chrome, bylines and repetitions of the title are left out of the
    body and listed in ``Article.dropped``; a byline's author and publisher go into
    the metadata unless ``metadata`` already has them.
    """
    spans = paragraphs if paragraphs is not None else split_paragraphs(text)
    pieces = [text[a:b] for a, b in spans]
    reasons: list[str | None] = [chrome_reason(p) for p in pieces]
    related = related_list_start(pieces)
    if related is not None:
        for i in range(related, len(spans)):
            reasons[i] = reasons[i] or "related links"
    meta = dict(metadata or {})

    title = _read_head(pieces, reasons, meta, title)
    _mark_author_note(pieces, reasons, meta.get("author", ""))
    normalise_date(meta)
    captions = _captions(text, spans, reasons)
    body = tuple(span for span, reason in zip(spans, reasons) if not reason)
    dropped = tuple((a, b, r) for (a, b), r in zip(spans, reasons) if r)
    return Article(
        doc_id=doc_id,
        source=source,
        title=title or doc_id,
        text=text,
        body=body,
        metadata=meta,
        dropped=dropped,
        captions=tuple(captions),
    )


def _read_head(pieces: list[str], reasons: list[str | None], meta: dict[str, str], title: str | None) -> str | None:
    """Walk the paragraphs that are not chrome: take the title (the first one, when
    none is given), the date line and byline near the top (into ``meta``) and a
    repetition of the title, marking each in ``reasons``; returns the title."""
    seen_content = 0
    for i, piece in enumerate(pieces):
        if reasons[i]:
            continue
        if title is None:
            heading = _heading_text(piece)
            if len(heading) <= MAX_TITLE_CHARS:
                title = heading
                reasons[i] = "title"
                continue
            title = re.split(r"(?<=[.!?])\s", heading, maxsplit=1)[0][:MAX_TITLE_CHARS]
        if seen_content < BYLINE_WINDOW:
            reason = _header_line(piece, meta)
            if reason:
                reasons[i] = reason
                continue
        if title and seen_content == 0 and normalise(piece) == normalise(title):
            reasons[i] = "repeated title"
            continue
        seen_content += 1
    return title


def _header_line(piece: str, meta: dict[str, str]) -> str | None:
    """``"date line"`` or ``"byline"`` when ``piece`` is one (its date or author
    and publisher go into ``meta`` unless there already), else None."""
    written = date_line(piece)
    if written:
        meta.setdefault("date", written)
        meta.setdefault("date_text", piece.strip())
        return "date line"
    byline = parse_byline(piece)
    if byline:
        for key, value in byline.items():
            meta.setdefault(key, value)
        return "byline"
    return None


def _captions(text: str, spans: list[tuple[int, int]], reasons: list[str | None]) -> list[tuple[int, int, str]]:
    """``(start, end, credit)`` of each image caption that ends in a wire credit: the
    caption is reporting (a passage of its own), the credit is metadata."""
    captions = []
    for (a, b), reason in zip(spans, reasons):
        cut = caption_credit(text[a:b]) if reason == "image caption" else None
        if cut is not None:
            end = a + len(text[a : a + cut].rstrip(" \t.,;:-–—|/"))
            if end > a:
                captions.append((a, end, text[a + cut : b].strip()))
    return captions
