"""Read one corpus file of each supported format into ``Article``s.

Each reader gets the file's decoded text and returns its articles and the
problems it found. The *source text* of an article, the string its passages'
offsets index into, is the decoded file for .txt and .md, the extracted text for
.html, and the ``text`` value of the line for .jsonl.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import Any, Iterator, Mapping

import jsonlines

from ..models import Article, Skipped
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

_SKIP_TAGS = frozenset(
    "script style noscript nav header footer aside form iframe svg figure figcaption "
    "button select template head object embed canvas dialog menu".split()
)
_BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol br tr table section article main blockquote pre "
    "dd dt dl hr address details summary".split()
)
# Class or id names that page templates give to chrome: share bars, related links, ads...
_CHROME_ATTR = re.compile(
    r"(?:^|[\s_-])(?:share|sharing|social|related|newsletter|subscribe|cookie|consent|advert|ads?|"
    r"promo|sponsor|comments?|breadcrumbs?|sidebar|popup|modal|paywall|byline-share|tags|author-bio|"
    r"recommended|trending|most-popular|outbrain|taboola)(?:$|[\s_-])",
    re.IGNORECASE,
)
_VOID_TAGS = frozenset("br hr img meta link input area base col embed source track wbr".split())
_META_NAMES = {
    "author": "author",
    "article:author": "author",
    "og:site_name": "publisher",
    "publisher": "publisher",
    "article:published_time": "date",
    "date": "date",
    "pubdate": "date",
    "dc.date": "date",
    "og:url": "url",
}


class _Extractor(HTMLParser):
    """Collect the visible article text of an HTML page, one paragraph per block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.skip_depth = 0
        self.skip_stack: list[str] = []
        self.title_parts: list[str] = []
        self.in_title = False
        self.h1: str | None = None
        self.in_h1 = False
        self.h1_parts: list[str] = []
        self.meta: dict[str, str] = {}

    def _flush(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.blocks.append(text)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (attr.get("name") or attr.get("property") or "").lower()
            if key in _META_NAMES and attr.get("content"):
                self.meta.setdefault(_META_NAMES[key], attr["content"].strip())
            return
        if tag == "link" and "canonical" in attr.get("rel", "").lower() and attr.get("href"):
            self.meta.setdefault("url", attr["href"].strip())
            return
        if tag == "title":
            self.in_title = True
            return
        if tag in _VOID_TAGS:
            if tag == "br" and not self.skip_stack:
                self._flush()
            return
        if self.skip_stack or tag in _SKIP_TAGS or _CHROME_ATTR.search(f"{attr.get('class', '')} {attr.get('id', '')}"):
            # Inside skipped chrome every element is tracked, so nested end tags balance.
            self.skip_stack.append(tag)
            return
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag == "h1" and self.h1 is None:
            self.in_h1 = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
            return
        if self.skip_stack:
            if tag in self.skip_stack:
                while self.skip_stack.pop() != tag:
                    pass
            return
        if tag == "h1" and self.in_h1:
            self.in_h1 = False
            self.h1 = " ".join("".join(self.h1_parts).split())
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
            return
        if self.skip_stack:
            return
        self.current.append(data)
        if self.in_h1:
            self.h1_parts.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def _extract(html: str) -> _Extractor:
    parser = _Extractor()
    parser.feed(html)
    parser.close()
    return parser


def html_text(html: str) -> str:
    """The source text of an HTML article: its visible blocks, separated by blank lines."""
    return "\n\n".join(_extract(html).blocks)


def read_html(source: str, html: str, metadata: Mapping[str, str]) -> ReadResult:
    parser = _extract(html)
    text = "\n\n".join(parser.blocks)
    meta = dict(metadata)
    for key, value in parser.meta.items():
        meta.setdefault(key, unescape(value))
    title = parser.h1 or " ".join("".join(parser.title_parts).split()) or None
    return [make_article(doc_id_for(source), source, text, title=title, metadata=meta)], []


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
