"""Extract the article of an HTML page: its body text through trafilatura, its captions,
and its metadata (title, authors, date, site name, canonical URL) from the page's own tags.

The body comes from trafilatura, pinned exactly in pyproject.toml: the text built here
*is* the source text of an HTML file, the string passage offsets index into, so
another extractor version may move every offset. ``EXTRACTOR_NAME`` names it, and
``extractor()`` gives name and version as the index records them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator

__all__ = ["EXTRACTOR_NAME", "HtmlPage", "extract_page", "extractor"]

EXTRACTOR_NAME = "trafilatura"

#: schema.org types whose JSON-LD describes the article itself.
_ARTICLE_TYPES = re.compile(r"(?:News|Blog|Scholarly|Tech|Report|Reportage|Analysis|Opinion|Review)?Article$|BlogPosting$|Posting$|WebPage$")
_BYLINE_ATTR = re.compile(r"byline|author|post-meta|entry-meta|story-meta", re.IGNORECASE)
_DATE_ATTR = re.compile(r"date|time|publish|posted", re.IGNORECASE)
_CREDIT_CLASS = re.compile(r"credit|copyright|source|byline|author", re.IGNORECASE)
# A figure outside the article's own markup is a teaser of another story.
_CHROME_ANCESTORS = frozenset("nav aside footer form".split())
# Notes about the writers and press contacts: about the article, not of it. Matched on
# whole class or id words, so "biology" is not "bio".
_NOTES_ATTR = re.compile(
    r"(?:^|[\s_-])(?:(?:author-?)?bio|about-(?:the-)?authors?|author-(?:info|box|details)|contributors?|"
    r"(?:media|press)-contacts?)(?:$|[\s_-])",
    re.IGNORECASE,
)
_CHROME_ATTR = re.compile(r"related|promo|teaser|sidebar|most-?(?:read|viewed|popular)|recommend|newsletter", re.IGNORECASE)


@dataclass(frozen=True)
class HtmlPage:
    """What one HTML page gives: ``text`` is its source text (body blocks, then the
    captions, separated by blank lines); ``captions`` are ``(start, end, credit)``
    in it; ``metadata`` holds what the page's tags say (not yet normalised)."""

    text: str
    body: tuple[tuple[int, int], ...]
    captions: tuple[tuple[int, int, str], ...]
    title: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=1)
def extractor() -> str:
    """``"trafilatura 2.3.1"``: the extractor that makes HTML source text, as recorded in an index."""
    from importlib.metadata import version

    return f"{EXTRACTOR_NAME} {version(EXTRACTOR_NAME)}"


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _lines(element: Any) -> list[str]:
    """The text of ``element``, one string per line: a line break (``<br>``, trafilatura's
    ``<lb/>``) ends a paragraph, as in the address lines of a letter or an e-mail."""
    for br in element.iter("lb"):
        br.tail = "\n" + (br.tail or "")
    return [line for line in (_clean(part) for part in "".join(element.itertext()).split("\n")) if line]


def _items(listing: Any) -> Iterator[str]:
    """The lines of a list's items, a nested list's items after their parent's own text."""
    for item in listing.iterchildren("item"):
        nested = [child for child in item if child.tag == "list"]
        for child in nested:
            item.remove(child)
        yield from _lines(item)
        for child in nested:
            yield from _items(child)


def _blocks(body: Any) -> Iterator[str]:
    """The text blocks of trafilatura's output tree, one per paragraph, heading, list
    item, table row or line, white space collapsed (so a block never holds a line break)."""
    for element in body:
        tag = element.tag
        if tag == "list":
            yield from _items(element)
        elif tag == "table":
            for row in element.iter("row"):
                cells = [" ".join(_lines(cell)) for cell in row]
                if any(cells):
                    yield " ".join(c for c in cells if c)
        elif tag != "graphic":
            yield from _lines(element)


def _json_ld(tree: Any) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The page's JSON-LD objects that describe an article (the article object before a
    WebPage wrapper), and every object by its ``@id`` (a Yoast ``@graph`` names the
    authors and the publisher by reference)."""
    found: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}

    def visit(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            kinds = value.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if any(isinstance(k, str) and _ARTICLE_TYPES.search(k) for k in kinds):
                found.append(value)
            if isinstance(value.get("@id"), str) and len(value) > 1:
                by_id.setdefault(value["@id"], value)
            visit(value.get("@graph"))

    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            visit(json.loads(script.text or ""))
        except ValueError:
            continue  # a page's broken JSON-LD is its own business
    return sorted(found, key=lambda o: "WebPage" in str(o.get("@type"))), by_id


def _names(value: Any, by_id: dict[str, dict[str, Any]]) -> list[str]:
    """Person names of a JSON-LD ``author``: a string, an object with ``name`` (or an
    ``@id`` naming one), or a list of them. Organisations are not writers."""
    if isinstance(value, list):
        return [name for item in value for name in _names(item, by_id)]
    if isinstance(value, dict):
        value = value if value.get("name") else by_id.get(str(value.get("@id")), value)
        if "Organization" in str(value.get("@type", "")):  # a newsroom is not a writer
            return []
        value = value.get("name")
    if isinstance(value, str) and _clean(value) and "://" not in value:
        return [_clean(value)]
    return []


def _meta(tree: Any) -> dict[str, str]:
    """``<meta>`` contents by lower-cased name or property (the first of each)."""
    found: dict[str, str] = {}
    for tag in tree.iter("meta"):
        key = (tag.get("property") or tag.get("name") or tag.get("itemprop") or "").strip().lower()
        value = _clean(tag.get("content"))
        if key and value:
            found.setdefault(key, value)
    return found


def _article_root(tree: Any) -> Any:
    """The page's ``<article>`` (the first with a heading), else ``<main>``, else the page."""
    articles = list(tree.iter("article"))
    for article in articles:
        if next(article.iter("h1"), None) is not None:
            return article
    if articles:
        return articles[0]
    return next(tree.iter("main"), tree)


def _header_title(root: Any) -> str | None:
    """The ``<h1>`` of the article's own ``<header>`` (or of the article), if any."""
    if root.tag != "article":
        return None
    for header in root.iter("header"):
        h1 = next(header.iter("h1"), None)
        if h1 is not None and _clean(h1.text_content()):
            return _clean(h1.text_content())
    h1 = next(root.iter("h1"), None)
    return _clean(h1.text_content()) if h1 is not None and _clean(h1.text_content()) else None


def _in_chrome(element: Any, root: Any) -> bool:
    for parent in element.iterancestors():
        if parent is root:
            return False
        if parent.tag in _CHROME_ANCESTORS or _CHROME_ATTR.search(f"{parent.get('class', '')} {parent.get('id', '')}"):
            return True
    return False


def _captions(root: Any) -> list[tuple[str, str]]:
    """``(caption, credit)`` of each ``<figcaption>`` of the article: the credit is
    what the page marks as one (a class named credit, copyright...; ``<small>``,
    ``<cite>``), else a trailing wire credit ("Ian Langsdon / EPA")."""
    from .chrome import caption_credit, chrome_reason

    found = []
    for caption in root.iter("figcaption"):
        if _in_chrome(caption, root):
            continue
        credits = []
        for part in list(caption.iter()):
            if part is not caption and (part.tag in ("small", "cite") or _CREDIT_CLASS.search(part.get("class", ""))):
                credits.append(_clean(part.text_content()))
                part.drop_tree()  # its tail text stays in the caption
        text = _clean(caption.text_content())
        credit = "; ".join(c for c in credits if c)
        cut = None if credit else caption_credit(text)
        if cut is not None:
            text, credit = text[:cut].rstrip(" \t,;:-–—|/"), text[cut:].strip()
        if text and chrome_reason(text) != "image credit":  # "Photo by ..." alone is all credit
            found.append((text, credit))
    return found


def _date(root: Any, ld: list[dict[str, Any]], meta: dict[str, str]) -> str | None:
    """The publication date as written: JSON-LD ``datePublished``, then the
    ``article:published_time``-style meta tags, then the article's ``<time datetime>``
    (only the article's: a masthead shows today's date, a comment its own)."""
    for obj in ld:
        value = obj.get("datePublished") or obj.get("dateCreated")
        if isinstance(value, str) and value.strip():
            return value.strip()
    for key in ("article:published_time", "og:article:published_time", "datepublished", "date", "pubdate",
                "dc.date", "dc.date.issued", "dcterms.created", "sailthru.date", "parsely-pub-date"):
        if key in meta:
            return meta[key]
    for time in root.iter("time"):
        if time.get("datetime") and not _in_chrome(time, root):
            return str(time.get("datetime")).strip()
    return None


def _authors(
    ld: list[dict[str, Any]], by_id: dict[str, dict[str, Any]], meta: dict[str, str], root: Any, found: str | None
) -> list[str]:
    """Authors by name: JSON-LD, then meta author, then ``rel=author`` links, then a
    byline element, then what trafilatura found. Job titles and honorifics are not
    names and never come from here."""
    for obj in ld:
        names = _names(obj.get("author"), by_id)
        if names:
            return names
    for key in ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author"):
        value = meta.get(key)
        if value and "://" not in value:
            return _split_names(value)
    links = [_clean(a.text_content()) for a in root.iter("a") if "author" in (a.get("rel") or "").split()]
    links = [name for name in dict.fromkeys(links) if name]
    if links:
        return links
    # The page's own byline before trafilatura's reading of it: trafilatura splits at
    # commas, so "Kim Ode, Local Democracy Reporter" comes back as two "authors".
    return _byline_authors(root) or (_split_names(found) if found else [])


_HONORIFIC = re.compile(r"^(?:(?:prof(?:essor)?|dr|mr|mrs|ms|miss|mx|sir|dame|rev(?:erend)?)\.?\s+)+", re.IGNORECASE)


def _split_names(value: str) -> list[str]:
    """Names written as one string ("A, B and C", "A; B", "A & B"), job titles left out."""
    from .chrome import is_job_title

    parts = re.split(r"\s*(?:;|,|&|\band\b)\s*", _clean(re.sub(r"^by\s+", "", value.strip(), flags=re.IGNORECASE)))
    return [_HONORIFIC.sub("", part) for part in parts if part and not is_job_title(part)]


def _byline_authors(root: Any) -> list[str]:
    """Authors from a byline element of the article ("By A and B"): an element whose
    class names a byline or author, read as ``parse_byline`` reads a byline."""
    from .chrome import parse_byline

    for element in _marked(root, _BYLINE_ATTR):
        text = _clean(element.text_content())
        byline = parse_byline(text) if len(text) <= 120 else None
        if byline:
            return [_HONORIFIC.sub("", name) for name in byline["author"].split("; ")]
    return []


def _marked(root: Any, attr: re.Pattern[str]) -> Iterator[Any]:
    """The elements under ``root`` whose class or id matches ``attr``."""
    for element in root.iter():
        if isinstance(element.tag, str) and attr.search(f"{element.get('class', '')} {element.get('id', '')}"):
            yield element


def _date_text(root: Any) -> tuple[str, str] | None:
    """``(ISO date, as written)`` from a date element of the article ("Published 3 April
    2024, 14:02" in an element whose class names a date): read by ``date_line``, so a
    line that is not only a date gives nothing. Only inside an ``<article>`` or
    ``<main>``: a masthead shows today's date."""
    from .dates import date_line

    if root.tag not in ("article", "main"):
        return None
    for element in _marked(root, _DATE_ATTR):
        text = _clean(element.text_content())
        iso = date_line(text) if text else None
        if iso:
            return iso, text
    return None


def _title(root: Any, ld: list[dict[str, Any]], meta: dict[str, str], found: str | None) -> str | None:
    """The headline: the article header's ``<h1>``, og:title, JSON-LD ``headline``,
    then trafilatura's title (which trims a " - Site" suffix from ``<title>``)."""
    title = _header_title(root) or meta.get("og:title") or meta.get("twitter:title")
    if not title:
        title = next((o["headline"] for o in ld if isinstance(o.get("headline"), str) and o["headline"].strip()), None)
    return _clean(title) or _clean(found) or None


def _publisher(ld: list[dict[str, Any]], by_id: dict[str, dict[str, Any]], meta: dict[str, str], found: str | None) -> str | None:
    """The site's name: og:site_name, the JSON-LD publisher's name, then trafilatura's
    (unless that is only the host name, which names no publisher)."""
    if meta.get("og:site_name"):
        return meta["og:site_name"]
    for obj in ld:
        publisher = obj.get("publisher")
        if isinstance(publisher, dict):
            publisher = publisher if publisher.get("name") else by_id.get(str(publisher.get("@id")), publisher)
            if isinstance(publisher.get("name"), str) and _clean(publisher["name"]):
                return _clean(publisher["name"])
    found = _clean(found)
    return found if found and not re.fullmatch(r"[\w-]+(?:\.[\w-]+)+", found) else None


def _parse(html: str) -> Any:
    """The page as an lxml tree, with notes about the writers and press contacts removed."""
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(html)
    except Exception:  # lxml refuses an empty or all-comment page
        tree = lxml.html.document_fromstring("<html><body></body></html>")
    notes = [e for e in tree.iter() if isinstance(e.tag, str) and _NOTES_ATTR.search(f"{e.get('class', '')} {e.get('id', '')}")]
    for element in notes:
        if element.getparent() is not None:
            element.drop_tree()
    return tree


def extract_page(html: str) -> HtmlPage:
    """Extract the article of an HTML page (see the module docstring)."""
    from copy import deepcopy

    import trafilatura

    tree = _parse(html)
    doc = trafilatura.bare_extraction(
        deepcopy(tree),  # trafilatura prunes the tree it is given; the metadata is read from this one
        with_metadata=True,
        include_comments=False,
        include_images=False,
        include_tables=True,
        favor_precision=True,
        # A date is read from the page's tags, never guessed from its text.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    blocks = list(_blocks(doc.body)) if doc is not None and doc.body is not None else []
    root = _article_root(tree)
    ld, by_id = _json_ld(tree)
    meta = _meta(tree)
    seen = {b.casefold() for b in blocks}
    captions = [(t, c) for t, c in _captions(root) if t.casefold() not in seen]
    parts = blocks + [t for t, _ in captions]
    text = "\n\n".join(parts)
    spans, offset = [], 0
    for part in parts:
        spans.append((offset, offset + len(part)))
        offset += len(part) + 2
    body = tuple(spans[: len(blocks)])
    caption_spans = tuple((a, b, credit) for (a, b), (_, credit) in zip(spans[len(blocks):], captions))

    found: dict[str, str] = {}
    authors = _authors(ld, by_id, meta, root, getattr(doc, "author", None))
    if authors:
        found["author"] = "; ".join(authors)
    publisher = _publisher(ld, by_id, meta, getattr(doc, "sitename", None))
    if publisher:
        found["publisher"] = publisher
    written = _date(root, ld, meta)
    if written:
        found["date"] = written
    elif dated := _date_text(root):
        found["date"], found["date_text"] = dated
    canonical = next(
        (link.get("href") for link in tree.iter("link") if "canonical" in (link.get("rel") or "").lower().split() and link.get("href")),
        None,
    )
    url = canonical or meta.get("og:url") or getattr(doc, "url", None)
    if url:
        found["url"] = url.strip()
    title = _title(root, ld, meta, getattr(doc, "title", None))
    return HtmlPage(text, body, caption_spans, title, found)
