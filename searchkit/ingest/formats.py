"""Read one corpus file of each supported format into ``Article``s.

Each reader gets the file's decoded text and returns its articles and the
problems it found. The *source text* of an article, the string its passages'
offsets index into, is the decoded file for .txt and .md, the extracted text for
.html, and the ``text`` value of the line for .jsonl.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any, Iterator, Mapping

import jsonlines

from ..models import Article, Skipped
from .html import extract_page
from .text import make_article, split_paragraphs

__all__ = ["SUFFIXES", "read_text_file", "read_markdown", "read_html", "html_text", "read_jsonl", "iter_json_lines", "doc_id_for"]

SUFFIXES = (".txt", ".md", ".html", ".htm", ".jsonl")

ReadResult = tuple[list[Article], list[Skipped]]


def doc_id_for(source: str) -> str:
    """A file's doc_id: its path inside the corpus without the extension."""
    return str(PurePosixPath(source).with_suffix(""))


def read_text_file(source: str, text: str, metadata: Mapping[str, str]) -> ReadResult:
    return [make_article(doc_id_for(source), source, text, metadata=metadata)], []


# --- Markdown --------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_MD_IMAGE = re.compile(r"^!\[[^\]]*\]\([^)]*\)\s*$")


def read_markdown(source: str, text: str, metadata: Mapping[str, str]) -> ReadResult:
    """Markdown: optional front matter (``key: value`` lines) gives metadata and title."""
    meta = dict(metadata)
    title = None
    start = 0
    front = _FRONT_MATTER.match(text)
    if front:
        start = front.end()
        for line in front.group(1).splitlines():
            key, sep, value = line.partition(":")
            key, value = key.strip().lower(), value.strip().strip("\"'")
            if not sep or not value:
                continue
            if key == "title":
                title = value
            else:  # unknown keys (section, tags) are kept as given
                meta.setdefault(key, value)
    spans = [
        (a, b) for a, b in split_paragraphs(text, start) if not _MD_IMAGE.match(text[a:b])
    ]
    article = make_article(doc_id_for(source), source, text, title=title, metadata=meta, paragraphs=spans)
    return [article], []


# --- HTML ------------------------------------------------------------------------

def html_text(html: str) -> str:
    """The source text of an HTML article: what ``read_html`` indexes, offsets and all."""
    return extract_page(html).text


def read_html(source: str, html: str, metadata: Mapping[str, str]) -> ReadResult:
    """HTML: the article body through trafilatura, captions as passages of their own,
    and title, authors, date, site name and URL from the page's tags (``html.py``)."""
    page = extract_page(html)
    meta = dict(metadata)
    for key, value in page.metadata.items():
        meta.setdefault(key, value)
    article = make_article(doc_id_for(source), source, page.text, title=page.title, metadata=meta, paragraphs=list(page.body))
    # Figure captions are the page's own markup, not a guess from their wording.
    captions = article.captions + page.captions
    dropped = article.dropped + tuple((a, b, "image caption") for a, b, _ in page.captions)
    return [replace(article, captions=captions, dropped=dropped)], []


# --- JSON lines ------------------------------------------------------------------

_ID_KEYS = ("id", "_id", "doc_id")
_TEXT_KEYS = ("text", "body", "content")


_NOT_METADATA = frozenset(_ID_KEYS + _TEXT_KEYS + ("title", "metadata"))


def _record_metadata(record: Mapping[str, Any]) -> dict[str, str]:
    """A line's metadata: the known keys and any other (``section``, ``tags``), kept as given;
    a list of strings (tags) is joined by ", "."""
    meta: dict[str, str] = {}
    nested = record.get("metadata")
    for source in (record, nested if isinstance(nested, Mapping) else {}):
        for key, value in source.items():
            if source is record and key in _NOT_METADATA:
                continue
            if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
                value = ", ".join(str(v).strip() for v in value if str(v).strip())
            if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
                meta.setdefault(str(key), str(value).strip())
    return meta


def iter_json_lines(text: str) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for each non-blank line of JSON Lines text; the value is
    a ``jsonlines.InvalidLineError`` for a line that is not JSON."""
    current = 0

    def lines() -> Iterator[str]:
        nonlocal current
        # Split on "\n" only: JSON strings may hold U+2028 and other line separators.
        for current, line in enumerate(text.split("\n"), 1):
            yield line

    reader = jsonlines.Reader(lines())
    while True:
        try:
            value = reader.read(skip_empty=True, allow_none=True)
        except jsonlines.InvalidLineError as exc:
            yield exc.lineno, exc
            continue
        except EOFError:
            return
        yield current, value


def jsonl_record(
    source: str, lineno: int, record: Any, metadata: Mapping[str, Mapping[str, str]]
) -> Article | Skipped:
    """One line of a .jsonl file (as parsed by ``iter_json_lines``) as an ``Article``."""
    where = f"{source}:{lineno}"
    if isinstance(record, jsonlines.InvalidLineError):
        reason = str(record).split(": ", 1)[-1].rsplit(" (line", 1)[0]
        return Skipped(where, f"invalid JSON ({reason}); fix or remove the line")
    if not isinstance(record, dict):
        return Skipped(where, "a line must be a JSON object with an id and a text")
    doc_id = next((record[k] for k in _ID_KEYS if isinstance(record.get(k), (str, int))), None)
    text = next((record[k] for k in _TEXT_KEYS if isinstance(record.get(k), str)), None)
    if doc_id is None or str(doc_id).strip() == "":
        return Skipped(where, 'no "id" field; give every line a unique "id"')
    if text is None:
        return Skipped(where, 'no "text" field (a string); give every line its article text')
    doc_id = str(doc_id)
    meta = dict(metadata.get(doc_id, {}))
    for key, value in _record_metadata(record).items():
        meta.setdefault(key, value)
    title = record.get("title")
    title = title.strip() if isinstance(title, str) else ""
    return make_article(doc_id, source, text, title=title, metadata=meta)


def read_jsonl(source: str, text: str, metadata: Mapping[str, Mapping[str, str]]) -> ReadResult:
    articles: list[Article] = []
    skipped: list[Skipped] = []
    for lineno, record in iter_json_lines(text):
        item = jsonl_record(source, lineno, record, metadata)
        if isinstance(item, Article):
            articles.append(item)
        else:
            skipped.append(item)
    return articles, skipped
