"""Read a publication date written the ways news pages write it into ISO 8601.

Strict on purpose: only the forms listed in ``parse_date`` are read, and anything
else gives None, so a date is left out rather than guessed (``03/04/2024`` could be
March or April, and is refused).
"""

from __future__ import annotations

import email.utils
import re
from datetime import date, datetime

__all__ = ["parse_date", "date_line", "normalise_date"]

_MONTHS = {
    name: number
    for number, names in enumerate(
        (("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")),
        1,
    )
    for name in names
}
_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_WEEKDAY = r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s+)?"
_TIME = r"(?:,?\s+(?:at\s+)?\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+[A-Z]{2,4})?)?"
_FORMS = [
    re.compile(rf"^{_WEEKDAY}{_DAY}\s+{_MONTH},?\s+{_YEAR}{_TIME}$", re.IGNORECASE),  # 14 February 2005
    re.compile(rf"^{_WEEKDAY}{_MONTH}\s+{_DAY},?\s+{_YEAR}{_TIME}$", re.IGNORECASE),  # February 14, 2005
    re.compile(r"^(?P<year>\d{4})/(?P<month>\d{1,2})/(?P<day>\d{1,2})$"),  # 2005/02/16
    re.compile(r"^(?P<year>\d{4})\.(?P<month>\d{1,2})\.(?P<day>\d{1,2})$"),
]
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_LINE = re.compile(
    r"^(?:(?:first\s+)?(?:published|posted|updated|last\s+updated|date|dated)\s*(?:on)?\s*:?\s*)?(?P<date>.{6,60}?)\.?$",
    re.IGNORECASE,
)


def parse_date(text: str) -> str | None:
    """``text`` as ISO 8601 (a date, or a date and time with its offset), or None."""
    value = " ".join(text.split())
    if not value:
        return None
    if _ISO.match(value):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
        except ValueError:
            return None
        return value[:10] if len(value) == 10 else parsed.isoformat()
    for form in _FORMS:
        match = form.match(value)
        if match:
            month = match.group("month")
            number = int(month) if month.isdigit() else _MONTHS.get(month.lower())
            if number is None:
                return None
            try:
                return date(int(match.group("year")), number, int(match.group("day"))).isoformat()
            except ValueError:
                return None
    if re.match(r"^[A-Za-z]{3},\s+\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d", value):  # RFC 2822, as in mail and feeds
        try:
            return email.utils.parsedate_to_datetime(value).isoformat()
        except (TypeError, ValueError):
            return None
    return None


def date_line(paragraph: str) -> str | None:
    """The date a paragraph such as "Published: 3 March 2024" gives, or None if it is not one."""
    text = paragraph.strip()
    if len(text) > 80:
        return None
    match = _LINE.match(text)
    return parse_date(match.group("date")) if match else None


def normalise_date(metadata: dict[str, str]) -> None:
    """Make ``metadata["date"]`` ISO 8601 in place, keeping what was written in ``date_text``;
    a date that cannot be read is moved to ``date_text`` alone."""
    written = metadata.get("date")
    if written is None:
        return
    iso = parse_date(written)
    if iso is None:
        del metadata["date"]
        metadata.setdefault("date_text", written)
    elif iso != written:
        metadata["date"] = iso
        metadata.setdefault("date_text", written)
