"""Near-duplicate passages (syndicated copies): the keys written at index time that
near-identical passages share, and the similarity that decides at search time.

A passage is read as the set of its word 5-shingles (lower-cased words, five in a
row). Its keys are a MinHash sketch cut into 4 bands of 2 values (locality-sensitive
hashing): passages whose shingle sets have a Jaccard similarity of 0.8 share at
least one band key with probability 0.983 (0.9: 0.9987, 0.5: 0.68, 0.2: 0.15).
Six bands would find a 0.8-similar copy 99.8% of the time, but every band is a
term per passage in the index and a term lookup per hit and segment at search
time; four cut both by a third. Word-for-word copies share every band, always.
A shared key only makes two passages candidates: search checks the similarity on
their texts (``similarity``) and their numbers (``numbers``) before it calls one a
copy of the other, so a chance collision never merges two passages.

Numbers: a wire story edited to say "15 dead" where it said "12 dead" is nearly
the same text, but not the same story. Passages whose numbers (written in digits
or as number words, in order) differ are never copies: each stays a hit of its
own, so the difference is on the page.

Cheap, in pure Python: one CRC-32 per shingle and one pass over the sorted hashes
(one permutation hashing: each hash falls in one of ``_BINS`` bins by its value
and the smallest of each bin is kept, instead of ``_BINS`` hashes per shingle).
"""

from __future__ import annotations

import re
import zlib

__all__ = ["shingles", "similarity", "near_terms", "numbers", "SHINGLE_WORDS"]

#: Words per shingle: one changed word touches at most five shingles.
SHINGLE_WORDS = 5
#: Bands of ``_ROWS`` MinHash values each: P(candidate) = 1 - (1 - J**_ROWS)**_BANDS.
_BANDS = 4
_ROWS = 2
_BINS = _BANDS * _ROWS
_WORD = re.compile(r"\w+")
# Digits with their separators ("1,200", "3.5", "9/11"), or a number word.
_NUMBER = re.compile(
    r"\d+(?:[.,:/]\d+)*|\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|"
    r"ninety|hundred|thousand|million|billion|trillion|dozen)s?\b",
    re.IGNORECASE,
)


def shingles(text: str) -> frozenset[int]:
    """The 32-bit hashes of ``text``'s word 5-shingles (a shorter text: its words
    as one shingle; no words: none)."""
    w = _WORD.findall(text.lower())
    if len(w) < SHINGLE_WORDS:
        return frozenset([zlib.crc32(" ".join(w).encode("utf-8"))]) if w else frozenset()
    return frozenset(map(zlib.crc32, (" ".join(s).encode("utf-8") for s in zip(w, w[1:], w[2:], w[3:], w[4:]))))


def similarity(a: frozenset[int], b: frozenset[int]) -> float:
    """The Jaccard similarity of two shingle sets (1.0 for two empty ones)."""
    if not a and not b:
        return 1.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def numbers(text: str) -> tuple[str, ...]:
    """The numbers of ``text`` in order, as written (number words lower-cased, a
    thousands comma dropped): two passages that differ here are not copies."""
    return tuple(n.lower().replace(",", "") for n in _NUMBER.findall(text))


def near_terms(text: str) -> list[str]:
    """The band keys of ``text``: near-identical texts share one or more (none for
    a text without words). Each is ``<band><hex>``, a term of the index's ``near`` field."""
    found = sorted(shingles(text))
    if not found:
        return []
    mins: dict[int, int] = {}
    for h in found:  # ascending: the first hash seen in a bin is its smallest
        if h % _BINS not in mins:
            mins[h % _BINS] = h
            if len(mins) == _BINS:
                break
    # A short passage leaves bins empty: each takes the next filled bin's value
    # (rotation densification), so two copies still fill them alike.
    sketch = []
    for i in range(_BINS):
        j = i
        while j % _BINS not in mins:
            j += 1
        sketch.append(f"{mins[j % _BINS]:x}.{j - i}")
    # A band as one 32-bit number keeps the index's term table small.
    return [
        f"{band}{zlib.crc32(' '.join(sketch[band * _ROWS:(band + 1) * _ROWS]).encode('ascii')):x}" for band in range(_BANDS)
    ]
