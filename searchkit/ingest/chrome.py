"""Recognise site chrome: the parts of a saved web article that are not the article.

The rules describe *kinds* of chrome (a browser notice, a share prompt, a language
switcher, a photo credit, a list of related links, an analytics tag, a social
footer) by their grammar, not by the literal strings of any one site, so they hold
on articles nobody has seen yet. Each rule looks at one paragraph; the related-links
rule also looks at what follows its heading.
"""

from __future__ import annotations

import re
from typing import Sequence

__all__ = ["chrome_reason", "related_list_start", "parse_byline", "is_job_title"]

_I = re.IGNORECASE

# Short paragraphs only: real prose that merely mentions a browser or a photo is long.
_SHORT = 240

_BROWSER = re.compile(
    r"\b(?:internet explorer|IE\s?\d+|your browser|this browser|javascript)\b"
    r".*\b(?:not supported|no longer supported|out of date|outdated|upgrade|update|"
    r"enable|disabled|is required)\b"
    r"|\b(?:enable|turn on|activate|allow)\s+javascript\b",
    _I,
)
_ENGAGEMENT = re.compile(
    r"^(?:be (?:the )?first to (?:like|comment|share|review|react)\b"
    r"|(?:like|share|tweet|pin|email|print|save)(?: this)?(?: (?:article|story|post|page))?[.!:]?$"
    r"|share (?:this|on)\b|click to (?:share|print|email|tweet)\b"
    r"|(?:leave|add|post) a comment\b|\d+ (?:comments?|likes?|shares?)$"
    r"|(?:sign up|subscribe) (?:for|to) (?:our|the) \w+(?: \w+)?\b"
    r"|skip to (?:main )?content$|advertisement$|sponsored(?: content)?$"
    r"|(?:we use|this (?:site|website) uses) cookies\b|accept (?:all )?cookies$"
    # a newsletter prompt wherever the sign-up falls in it ("Want to keep up...? Sign up to our free newsletter")
    r"|.{0,120}\b(?:sign up|subscribe)\b.{0,60}\bnewsletters?\b)",
    _I,
)
# A link to another story set between paragraphs: "Read more: <headline>". The
# separator is required, so a sentence that starts "Related ..." is left alone.
_READ_MORE = re.compile(
    r"^(?:read (?:more|next|also)|also read|related(?: (?:story|article|content))?|more on this(?: story)?)"
    r"\s*[:»›|]\s*(?P<link>\S.*)$",
    _I,
)
_LANGUAGE = re.compile(
    r"^(?:this (?:post|article|page|story|entry) is )?(?:also )?available in"
    r"(?: (?:other|these) languages)?\s*:|^(?:read (?:this|it) in|other languages)\s*:",
    _I,
)
_IMAGE_WORD = r"(?:image|photo|picture|photograph|illustration|graphic|video still)s?"
_IMAGE = re.compile(
    rf"^(?:(?:featured|header|top|lead|main|cover|hero|banner)\s+)?{_IMAGE_WORD}"
    r"\s*(?:credits?)?\s*(?::|by\b|courtesy\b|via\b|source\b|©|\(c\))"
    rf"|^(?:{_IMAGE_WORD}\s+)?credits?\s*:|^©|^\((?:{_IMAGE_WORD}|credit)\b[^)]*\)$",
    _I,
)
# A caption that ends in "Firstname Lastname / AGENCY" (the house style of wire photos).
_WIRE_CREDIT = re.compile(
    r"[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}\s*/\s*"
    r"(?:[A-Z]{2,8}|Reuters|Getty(?: Images)?|Shutterstock|iStock(?:photo)?|Alamy|Corbis|"
    r"Associated Press|Agence France-Presse)(?:\s+[A-Z][\w]*)?\s*$"
)
_SOCIAL = re.compile(
    r"^(?:follow|like|find|join|connect with|subscribe to)\s+.{1,80}?\s+on\s+"
    r"(?:twitter|facebook|instagram|linkedin|youtube|tiktok|threads|bluesky|mastodon|"
    r"pinterest|snapchat|reddit|x\b)",
    _I,
)
_RELATED = re.compile(
    r"^(?:related(?:\s+(?:stories|articles|posts|content|links|reading|coverage|news))?"
    r"|more\s+(?:stories|articles|news|from\s+.{1,40}|on\s+this\s+(?:story|topic))"
    r"|read\s+(?:more|next|also)|(?:you|we\s+think\s+you)\s+(?:may|might)\s+also\s+like"
    r"|recommended(?:\s+(?:for\s+you|stories|reading))?|(?:most\s+)?popular(?:\s+(?:stories|now|posts))?"
    r"|trending(?:\s+now)?|latest\s+(?:stories|news)|see\s+also|further\s+reading"
    r"|around\s+the\s+web|from\s+around\s+the\s+web)\s*:?$",
    _I,
)
# Analytics and ad-tech vendors whose names pages print as stray text nodes.
_TRACKERS = frozenset(
    name.casefold()
    for name in (
        "Quantcast", "Chartbeat", "comScore", "ScorecardResearch", "Google Analytics",
        "Google Tag Manager", "Hotjar", "Parse.ly", "Facebook Pixel", "Meta Pixel",
        "DoubleClick", "Taboola", "Outbrain", "Nielsen", "Mixpanel", "Omniture",
        "Adobe Analytics", "Krux", "Amplitude", "Permutive", "Piano", "Tealium",
    )
)
_BYLINE = re.compile(
    r"^(?i:(?:(?:article|story|words|text|written|report(?:ing)?|posted)\s+)?by)\s+"
    # One name, or a list that ends in "and NAME" ("A, B and C"): a comma without that
    # "and" is followed by a job or a publisher ("Jane Smith, Political Correspondent").
    r"(?P<author>{name}(?:(?:\s*,\s*{name})*\s*,?\s*(?:and|&)\s+{name})?)"
    r"(?:\s*(?:,|\||–|—|-|for)\s*(?P<publisher>[^,|]{2,60}?))?\s*\.?$".replace(
        "{name}", r"[A-Z][\w.'’-]+(?:\s+(?:[A-Z][\w.'’-]+|de|van|von|da|di|le|la)){0,4}"
    ),
)
# What follows a byline's comma is often the writer's job, not a publisher.
_JOB_TITLE = re.compile(
    r"\b(?:correspondent|editor|reporter|writer|columnist|journalist|analyst|producer|contributor|"
    r"critic|staff|intern|chief|bureau|desk|freelance|photographer)s?\b",
    re.IGNORECASE,
)
_AUTHOR_JOIN = re.compile(r"\s*,\s*(?:(?:and|&)\s+)?|\s+(?:and|&)\s+")


def caption_credit(paragraph: str) -> int | None:
    """Where the wire credit ("Ian Langsdon / EPA") of a caption starts, or None."""
    match = _WIRE_CREDIT.search(paragraph)
    return match.start() if match else None


def chrome_reason(paragraph: str) -> str | None:
    """Name the kind of chrome ``paragraph`` is, or return None if it is content."""
    text = paragraph.strip()
    if not text:
        return None
    if text.casefold() in _TRACKERS:
        return "tracker"
    if _LANGUAGE.search(text) and len(text) <= _SHORT:
        return "language switcher"
    if len(text) <= _SHORT:
        if _BROWSER.search(text):
            return "browser notice"
        if _ENGAGEMENT.search(text):
            return "engagement prompt"
        if _SOCIAL.search(text):
            return "social footer"
        if _IMAGE.search(text):
            return "image credit"
        link = _READ_MORE.match(text)
        if link and _is_link_like(link.group("link")):
            return "related link"
    if len(text) <= 1200 and _WIRE_CREDIT.search(text):
        return "image caption"
    return None


def _is_link_like(paragraph: str) -> bool:
    """A headline-like line: short, and not a run of sentences."""
    text = paragraph.strip()
    words = text.split()
    if not words or len(words) > 25:
        return False
    sentences = re.findall(r"[.!?](?:\s|$)", text)
    return len(sentences) <= 1


def related_list_start(paragraphs: Sequence[str]) -> int | None:
    """Index of a "Related stories"-style heading that opens a trailing list of links.

    The heading counts only when everything after it is link-like (short
    headline-like lines), so a heading inside the article body is left alone.
    """
    for i, paragraph in enumerate(paragraphs):
        if _RELATED.match(paragraph.strip()):
            rest = [p for p in paragraphs[i + 1 :] if p.strip()]
            if all(_is_link_like(p) or chrome_reason(p) for p in rest):
                return i
    return None


def is_job_title(text: str) -> bool:
    """Whether ``text`` names a job ("Political Correspondent"), not a person or publisher."""
    return _JOB_TITLE.search(text) is not None


def parse_byline(paragraph: str) -> dict[str, str] | None:
    """``{"author": ..., "publisher": ...}`` if ``paragraph`` is a byline, else None.

    Several authors come as one ``author`` value joined by "; "; a job title after the
    names ("Political Correspondent") is the writer's ``role``, never the publisher."""
    text = paragraph.strip()
    if len(text) > 120:
        return None
    match = _BYLINE.match(text)
    if not match:
        return None
    # Several authors are kept apart by "; ", a separator no name holds.
    found = {"author": "; ".join(_AUTHOR_JOIN.split(match.group("author").strip()))}
    extra = (match.group("publisher") or "").strip()
    if extra:
        found["role" if is_job_title(extra) else "publisher"] = extra
    return found
