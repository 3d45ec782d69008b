"""Verify a quote against the archive: is it there, exactly where, and how faithfully.

A match is ``exact`` (the very characters), ``normalised`` (differs only in quote
marks, dashes, white space, case or ellipsis: ``…`` against ``...``, or an ellipsis
where words are left out) or ``close`` (most words
the same; the differing words are listed). Offsets index the article's source text,
so a match may span passages.

Candidate articles come from the index (the ranked passages for the quote's words,
plus every passage holding its rarest words, so that copies collapsed in search
are found too); only those articles' texts are aligned, so a large corpus costs
little more than a small one.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from bisect import bisect_left
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Mapping, Sequence

from .analysis import STOP_WORDS, index_stems, words
from .errors import CorpusError, QueryError
from .index import Index
from .models import Passage
from .search import Searcher, open_searcher
from .settings import LIBRARY_LIMITS, check_query

__all__ = ["verify", "VerifyResult", "QuoteMatch", "Difference", "EXACT", "NORMALISED", "CLOSE", "CLOSE_SIMILARITY"]

EXACT, NORMALISED, CLOSE = "exact", "normalised", "close"
#: The least word similarity (difflib's ratio over words and punctuation) a close
#: match needs: one word changed in three still counts, two in four does not.
CLOSE_SIMILARITY = 0.6
#: Ranked passages whose articles are aligned (the quote's words, best first).
CANDIDATE_PASSAGES = 20
#: The least frequent words whose passages are all taken as candidates: enough to
#: find every copy of a quote without reading a common word's long postings.
RAREST_WORDS = 3
#: An ellipsis in a quote may stand for words left out: at most this many characters.
MAX_ELIDED = 300
ELLIPSIS = "..."
#: Articles aligned at most (the ranked ones first): a quote of common words only
#: would otherwise align thousands.
MAX_ARTICLES = 200

# Double quote marks are dropped (a quote may add or leave out the marks around
# speech); single ones fold to the apostrophe, dashes to "-", "…" to "...".
_DROPPED = frozenset('"“”„‟«»″')
_FOLDED = {"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-",
           "―": "-", "−": "-", "…": "...", "\u00a0": " "}
# White space next to these does not count: "word—word", "word - word", "so… and", "so ... and".
_GLUE = frozenset("-.")
_NO_SPACE_AFTER = frozenset(" ") | _GLUE
_TOKENS = re.compile(r"\w+(?:'\w+)*|[^\w\s]")


@dataclass(frozen=True)
class Difference:
    """Where a close match differs from the quote: the source's words at
    ``start:end`` of the source text (empty where the quote adds words) and the
    quote's words in their place (empty where the quote leaves words out)."""

    source_words: str
    quote_words: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class QuoteMatch:
    """One place the quote was found: ``text == source_text[start:end]``."""

    match: str
    similarity: float
    source: str
    doc_id: str
    start: int
    end: int
    text: str
    title: str
    #: The passages the match lies in (more than one when it spans passages).
    passage_ids: tuple[str, ...]
    citation: str
    differences: tuple[Difference, ...] = ()
    metadata: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def marked(self) -> str:
        """``text`` with each difference shown as ``[source → quote]``."""
        out, pos = [], self.start
        for d in self.differences:
            out.append(self.text[pos - self.start : d.start - self.start])
            out.append(f"[{d.source_words or '∅'} → {d.quote_words or '∅'}]")
            pos = d.end
        out.append(self.text[pos - self.start :])
        return "".join(out)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["passage_ids"] = list(self.passage_ids)
        out["metadata"] = dict(self.metadata)
        out["differences"] = [d.to_dict() for d in self.differences]
        return out


@dataclass(frozen=True)
class VerifyResult:
    """Every match found for one quote: exact first, then normalised, then close by similarity."""

    quote: str
    matches: tuple[QuoteMatch, ...]

    @property
    def found(self) -> bool:
        """True when the quote is in the archive as written, or differing only in form."""
        return any(m.match in (EXACT, NORMALISED) for m in self.matches)

    @property
    def best(self) -> str:
        """The best kind of match found, or "none"."""
        return self.matches[0].match if self.matches else "none"

    def to_dict(self) -> dict[str, Any]:
        return {"quote": self.quote, "found": self.found, "best": self.best,
                "matches": [m.to_dict() for m in self.matches]}


# --- normalising and aligning ----------------------------------------------------------

def _normal(text: str) -> tuple[str, list[int]]:
    """``text`` normalised, and for each of its characters the offset in ``text`` it came from."""
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch in _DROPPED:
            continue
        folded = _FOLDED.get(ch, ch)
        if folded.isspace():
            if chars and chars[-1] not in _NO_SPACE_AFTER:
                chars.append(" ")
                where.append(i)
            continue
        lowered = folded.lower()
        if lowered[0] in _GLUE and chars and chars[-1] == " ":
            chars.pop()
            where.pop()
        for c in lowered:
            chars.append(c)
            where.append(i)
    while chars and chars[-1] == " ":
        chars.pop()
        where.pop()
    return "".join(chars), where


def _tokens(normal: str, where: Sequence[int]) -> tuple[list[str], list[tuple[int, int]]]:
    """Words and punctuation marks of a normalised text, with their spans in the original."""
    found = [(m.group(), m.start(), m.end()) for m in _TOKENS.finditer(normal)]
    return [t for t, _, _ in found], [(where[a], where[b - 1] + 1) for _, a, b in found]


@dataclass(frozen=True)
class _Quote:
    text: str
    normal: str
    tokens: list[str]
    spans: list[tuple[int, int]]
    #: Indexes of the tokens an ellipsis stands before: words left out there are no difference.
    gaps: frozenset[int]

    @classmethod
    def of(cls, quote: str) -> "_Quote":
        normal, where = _normal(quote)  # never starts or ends with a space
        # An ellipsis is no word of the quote when it is aligned word by word.
        blanked = normal.replace(ELLIPSIS, " " * len(ELLIPSIS))
        tokens, spans = _tokens(blanked, where)
        starts = [m.start() for m in _TOKENS.finditer(blanked)]
        gaps = frozenset(bisect_left(starts, m.start()) for m in re.finditer(re.escape(ELLIPSIS), normal))
        return cls(quote.strip(), normal, tokens, spans, gaps)


def _whole_words(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` neither starts nor ends inside a word: "Resolution 21"
    is not in "Resolution 211", and "the" is not in "other"."""
    inside_before = 0 < start < len(text) and text[start - 1].isalnum() and text[start].isalnum()
    inside_after = 0 < end < len(text) and text[end - 1].isalnum() and text[end].isalnum()
    return not (inside_before or inside_after)


def _same_form(quote: _Quote, text: str) -> list[tuple[str, int, int]]:
    """``(kind, start, end)`` of every exact and normalised occurrence of the quote in ``text``."""
    found: list[tuple[str, int, int]] = []
    at = text.find(quote.text)
    while at >= 0 and quote.text:
        if _whole_words(text, at, at + len(quote.text)):
            found.append((EXACT, at, at + len(quote.text)))
        at = text.find(quote.text, at + 1)
    if not quote.normal:
        return found
    normal, where = _normal(text)
    at = normal.find(quote.normal)
    while at >= 0:
        start, end = where[at], where[at + len(quote.normal) - 1] + 1
        if _whole_words(text, start, end) and not any(a < end and start < b for _, a, b in found):
            found.append((NORMALISED, start, end))
        at = normal.find(quote.normal, at + 1)
    if not found and ELLIPSIS in quote.normal:
        found = [(NORMALISED, a, b) for a, b in _elided(quote.normal, text, normal, where)]
    return sorted(found, key=lambda f: f[1])


def _elided(quote: str, text: str, normal: str, where: Sequence[int]) -> list[tuple[int, int]]:
    """Spans of ``text`` holding the pieces of a quote cut by ellipses in order, each
    ellipsis standing for at most ``MAX_ELIDED`` characters left out."""
    pieces = [p.strip() for p in quote.split(ELLIPSIS)]
    pieces = [p for p in pieces if any(c.isalnum() for c in p)]
    spans: list[tuple[int, int]] = []
    if not pieces:
        return spans
    at = normal.find(pieces[0])
    while at >= 0:
        end, ok = at + len(pieces[0]), _whole_words(text, where[at], where[at + len(pieces[0]) - 1] + 1)
        for piece in pieces[1:]:
            if not ok:
                break
            nxt = normal.find(piece, end, end + MAX_ELIDED + len(piece))
            ok = nxt >= 0 and _whole_words(text, where[nxt], where[nxt + len(piece) - 1] + 1)
            end = nxt + len(piece)
        if ok:
            spans.append((where[at], where[end - 1] + 1))
        at = normal.find(pieces[0], end if ok else at + 1)
    return spans


def _closest(quote: _Quote, text: str) -> tuple[float, int, int, tuple[Difference, ...]] | None:
    """The span of ``text`` most like the quote, word by word, if it is close enough."""
    n = len(quote.tokens)
    if n == 0:
        return None
    tokens, spans = _tokens(*_normal(text))
    if not tokens:
        return None
    wanted = set(quote.tokens)
    hits = [t in wanted for t in tokens]
    # The window of the quote's length holding most of its words, then aligned exactly
    # within a margin around it (the source may have words more or fewer).
    best, count = 0, sum(hits[:n])
    best_count = count
    for i in range(1, max(1, len(tokens) - n + 1)):
        count += hits[i + n - 1] - hits[i - 1] if i + n - 1 < len(tokens) else -hits[i - 1]
        if count > best_count:
            best, best_count = i, count
    if best_count == 0:
        return None
    # Each ellipsis may stand for up to MAX_ELIDED characters: about a word in five.
    margin = n // 2 + len(quote.gaps) * MAX_ELIDED // 5
    lo, hi = max(0, best - margin), min(len(tokens), best + n + margin)
    blocks = [b for b in SequenceMatcher(None, quote.tokens, tokens[lo:hi], autojunk=False).get_matching_blocks() if b.size]
    if not blocks:
        return None
    first, last = lo + blocks[0].b, lo + blocks[-1].b + blocks[-1].size
    # The quote's unmatched words at either end are differences too: widen over as
    # many of the source's words as the quote has there.
    first = max(0, first - blocks[0].a)
    last = min(len(tokens), last + n - (blocks[-1].a + blocks[-1].size))
    region = tokens[first:last]
    matcher = SequenceMatcher(None, quote.tokens, region, autojunk=False)
    opcodes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    elided = [op for op in opcodes if op[0] == "insert" and op[1] in quote.gaps]
    # difflib's ratio, without the source's words that the quote's ellipses stand for.
    matched = sum(block.size for block in matcher.get_matching_blocks())
    similarity = 2 * matched / (n + len(region) - sum(j2 - j1 for _, _, _, j1, j2 in elided))
    if similarity < CLOSE_SIMILARITY:
        return None
    differences = []
    for tag, i1, i2, j1, j2 in opcodes:
        if (tag, i1, i2, j1, j2) in elided:
            continue
        if j1 < j2:
            start, end = spans[first + j1][0], spans[first + j2 - 1][1]
        else:  # the quote adds words: an empty span where they would go
            start = end = spans[first + j1][0] if first + j1 < len(spans) else spans[-1][1]
        said = quote.text[quote.spans[i1][0] : quote.spans[i2 - 1][1]] if i1 < i2 else ""
        differences.append(Difference(text[start:end], said, start, end))
    return round(similarity, 3), spans[first][0], spans[last - 1][1], tuple(differences)


# --- articles --------------------------------------------------------------------------

def _article_text(passages: Sequence[Passage], corpus: str | os.PathLike[str] | None) -> str:
    """The article's source text, re-read from ``corpus``; without a corpus, or when
    the file changed since indexing, the text as indexed (its passages at their
    offsets, the gaps between them as spaces), so offsets always agree with citations."""
    if corpus is not None:
        from .ingest import source_text  # here: reading sources imports the ingesters

        try:
            text = source_text(corpus, passages[0].source, passages[0].doc_id)
        except CorpusError:
            text = None
        if text is not None and all(text[p.start : p.end] == p.text for p in passages):
            return text
    chars = [" "] * max(p.end for p in passages)
    for p in passages:
        chars[p.start : p.end] = p.text
    return "".join(chars)


def _citation(passages: Sequence[Passage], source: str, title: str, start: int, end: int) -> str:
    if not passages:
        return f'"{title}". {source}, chars {start}-{end}' if title else f"{source}, chars {start}-{end}"
    first, last = passages[0], passages[-1]
    text = str(dataclasses.replace(first.citation, start=start, end=end))
    if last is not first:
        one = f"passage {first.ordinal + 1}, chars"
        text = text.replace(one, f"passages {first.ordinal + 1}-{last.ordinal + 1}, chars", 1)
    return text


def _candidates(searcher: Searcher, quote: str, source: str | None) -> list[tuple[str, str]]:
    """``(source, doc_id)`` of the articles to align the quote with, likeliest first."""
    if source is not None:
        stored = searcher.index.stored_passages(source)
        if not stored:
            raise QueryError(f"no article from {source!r} in this index; give --source as citations name it")
        return list(dict.fromkeys((p.source, p.doc_id) for p in stored))
    found = [(h.source, h.doc_id) for h in searcher.search(quote, limit=CANDIDATE_PASSAGES, highlight=False)]
    content = " ".join(w for w in words(quote) if w not in STOP_WORDS)
    stems = index_stems(content, searcher.settings.analyzer_name)
    found += [(p.source, p.doc_id) for p in searcher.passages_with(stems, rarest=RAREST_WORDS)]
    return list(dict.fromkeys(found))


def _match(kind: str, similarity: float, a: int, b: int, differences: tuple[Difference, ...],
           passages: Sequence[Passage], text: str) -> QuoteMatch:
    first = passages[0]
    inside = [p for p in passages if p.start < b and a < p.end]
    return QuoteMatch(
        match=kind, similarity=similarity, source=first.source, doc_id=first.doc_id, start=a, end=b,
        text=text[a:b], title=first.title, passage_ids=tuple(p.passage_id for p in inside),
        citation=_citation(inside, first.source, first.title, a, b), differences=differences,
        # Article metadata only: a passage's page, kind and credit are in its citation.
        metadata={k: v for k, v in first.metadata.items() if k not in ("page", "kind", "credit")},
    )


def verify(
    quote: str,
    *,
    index: Index | Searcher | str | os.PathLike[str] = "index",
    corpus: str | os.PathLike[str] | None = None,
    source: str | None = None,
    limit: int = 10,
) -> VerifyResult:
    """Find ``quote`` in the archive: every exact and normalised occurrence in the
    candidate articles, best first, at most ``limit``; when there is none, the
    closest span of each candidate article that is close enough.

    ``corpus`` is the folder the index was built from: sources are re-read from it
    (without it, the text as indexed is used: the same offsets, white space between
    passages). ``source`` looks only in that file (a path as citations give it).
    Raises ``QueryError`` for an empty or over-long quote, or an unknown ``source``.
    """
    if not quote.strip():
        raise QueryError("the quote is empty; give the words to look for")
    check_query(quote, limit, LIBRARY_LIMITS)
    parsed = _Quote.of(quote)
    searcher = open_searcher(index)
    try:
        articles = []
        for src, doc_id in _candidates(searcher, quote, source)[:MAX_ARTICLES]:
            passages = searcher.passages_of(doc_id, src)
            if passages:
                articles.append((passages, _article_text(passages, corpus)))
    finally:
        if searcher is not index:
            searcher.close()
    matches = [
        _match(kind, 1.0, a, b, (), passages, text)
        for passages, text in articles
        for kind, a, b in _same_form(parsed, text)
    ]
    if not matches:  # only then are near misses news: aligning word by word costs more
        for passages, text in articles:
            close = _closest(parsed, text)
            if close is not None:
                similarity, a, b, differences = close
                matches.append(_match(CLOSE, similarity, a, b, differences, passages, text))
    matches.sort(key=lambda m: (m.match != EXACT, -m.similarity))
    return VerifyResult(quote=quote, matches=tuple(matches[:limit]))


def read_quotes(text: str) -> list[str]:
    """Quotes from a file's text: one per line, or JSON lines with a "quote" key."""
    quotes = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict) or not isinstance(record.get("quote"), str):
                raise QueryError(f'line {number} of the quotes file is not a JSON object with a "quote" string')
            line = record["quote"]
        quotes.append(line)
    return quotes
