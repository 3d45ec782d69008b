"""Name variants and spelling suggestions: a query word that is rare or absent in
the index also matches close spellings that are in it (Kadyrov / Kadirov /
Kadyrow), at a lower weight; a word the index does not hold at all gets a
suggestion, chosen by edit distance and then by frequency in this index.

Close spellings come from the index's own terms of the body field that share the
word's first letter (read once per segment and letter), compared by a banded edit
distance: Whoosh's ``terms_within`` took most of a second per word on BBC x10.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..analysis import words

__all__ = ["Variants", "find_variants", "explain", "choose_variants", "close_spellings", "may_vary", "rare_count", "max_distance", "edit_distance", "RARE_SHARE", "MAX_VARIANTS"]

#: A word in at most this share of the passages (or in 3 or fewer) is rare: a name, a
#: misspelling. Common words never take variants (they would drown the query).
RARE_SHARE = 1 / 20_000
#: Close spellings added per query word, the closest and most frequent first.
MAX_VARIANTS = 3


def max_distance(word: str) -> int:
    """Edits allowed by length: none under 5 letters, 1 up to 7, 2 from 8."""
    return 0 if len(word) < 5 else 1 if len(word) < 8 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        low = limit + 1
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            low = min(low, current[j])
        if low > limit:
            return limit + 1
        previous = current
    return previous[-1] if previous[-1] <= limit else limit + 1


@dataclass(frozen=True)
class Variants:
    """What close spellings did to one query: ``of`` maps each variant term to the
    query term it stands for; ``suggestion`` maps a query term the index lacks to its
    best replacement."""

    of: Mapping[str, str]
    suggestion: Mapping[str, str]


_LOCK = threading.Lock()
#: Segment reader -> (field, first letter) -> the segment's terms of the field that
#: start with the letter. Segments never change: read once, and only the letters asked.
_VOCABULARY: "weakref.WeakKeyDictionary[Any, dict[tuple[str, str], list[str]]]" = weakref.WeakKeyDictionary()


def _starting_with(reader: Any, fieldname: str, letter: str) -> set[str]:
    """Every term of ``fieldname`` in the index that starts with ``letter``."""
    found: set[str] = set()
    for segment, _ in reader.leaf_readers():
        with _LOCK:
            terms = _VOCABULARY.setdefault(segment, {}).get((fieldname, letter))
        if terms is None:
            terms = [t if isinstance(t, str) else t.decode("utf-8") for t in segment.expand_prefix(fieldname, letter)]
            with _LOCK:
                _VOCABULARY[segment][(fieldname, letter)] = terms
        found.update(terms)
    return found


def close_spellings(reader: Any, fieldname: str, term: str) -> list[tuple[int, str]]:
    """``(edit distance, word)`` of each term of ``fieldname`` within the edit distance
    ``term`` allows (itself left out)."""
    limit = max_distance(term)
    close = []
    letters = set(term)
    for other in _starting_with(reader, fieldname, term[0]):
        # One edit changes at most two letters of the set: most words fail this
        # at C speed before the edit distance is computed.
        if other != term and abs(len(other) - len(term)) <= limit and len(letters.symmetric_difference(other)) <= 2 * limit:
            distance = edit_distance(term, other, limit)
            if distance <= limit:
                close.append((distance, other))
    return close


def may_vary(term: str) -> bool:
    """Whether ``term`` is long enough, and a word, to take close spellings."""
    return bool(max_distance(term)) and term[:1].isalpha()


def rare_count(total: int) -> int:
    """The most passages (of ``total``) a rare word is in."""
    return max(3, int(total * RARE_SHARE))


def choose_variants(
    terms: list[str], total: int, frequency: Callable[[str], int], close: Callable[[str], list[tuple[int, str]]]
) -> Variants:
    """The close spellings of the rare ``terms`` (``total`` passages in all;
    ``frequency(term)``: its document frequency; ``close(term)``: its candidates, as
    ``close_spellings`` gives them), the closest and most frequent first."""
    rare = rare_count(total)
    of: dict[str, str] = {}
    suggestion: dict[str, str] = {}
    for term in terms:
        if not may_vary(term):
            continue
        count = frequency(term)
        if count > rare:
            continue
        ranked = sorted((distance, -frequency(other), other) for distance, other in close(term))
        for _, _, other in ranked[:MAX_VARIANTS]:
            of.setdefault(other, term)
        if not count and ranked:
            suggestion[term] = ranked[0][2]
    return Variants(of, suggestion)


def find_variants(reader: Any, fieldname: str, terms: list[str], total: int, frequency: Callable[[str], int]) -> Variants:
    """Close spellings in ``reader``'s ``fieldname`` of the rare ``terms`` (stems of
    query words), ``total`` passages in all; ``frequency(term)`` gives a term's
    document frequency (the searcher's, kept: scoring asks for the same)."""
    return choose_variants(terms, total, frequency, lambda term: close_spellings(reader, fieldname, term))


def explain(results: Any, variants: Variants, analyse: Callable[[str], list[str]]) -> Any:
    """``results`` (``SearchResults``) with each hit's close spellings (``matched``:
    query term → the word as written in the passage) and a suggestion for query
    words the index does not hold; ``analyse`` is the index's analyzer, word by word."""
    asked = {}  # query term -> the query word as typed
    for token in words(results.query):
        stems = analyse(token)
        if stems:
            asked.setdefault(stems[0], token.lower())
    hits = []
    seen: dict[str, str] = {}
    for hit in results.hits:
        matched: dict[str, str] = {}
        for a, b in hit.highlights:
            written = hit.text[a:b]
            stems = analyse(written)
            if stems and stems[0] in variants.of:
                term = variants.of[stems[0]]
                matched.setdefault(asked.get(term, term), written)
                seen.setdefault(stems[0], written)
        hits.append(dataclasses.replace(hit, matched=matched) if matched else hit)
    suggestion = None
    if variants.suggestion:
        suggestion = results.query
        for token in dict.fromkeys(words(results.query)):
            stems = analyse(token)
            better = variants.suggestion.get(stems[0]) if stems else None
            if better:
                # As a passage writes it; else in the case the word was typed.
                def written(typed: re.Match[str], better: str = better) -> str:
                    return seen.get(better) or (better.capitalize() if typed.group(0)[:1].isupper() else better)

                suggestion = re.sub(rf"\b{re.escape(token)}\b", written, suggestion, count=1, flags=re.I)
    return dataclasses.replace(results, hits=tuple(hits), suggestion=suggestion)
