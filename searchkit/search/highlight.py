"""Highlight spans: where the words of a passage that match the query stand."""

from __future__ import annotations

import functools
import itertools
import re

from ..analysis import TOKEN_PATTERN, stem_cache

__all__ = ["highlight_all"]

_TOKEN_RE = re.compile(TOKEN_PATTERN)
#: What joins two runs of word characters into one token (see ``TOKEN_PATTERN``).
_JOINERS = frozenset("'’.")

Spans = tuple[tuple[int, int], ...]


def highlight_all(texts: list[str], terms: set[str], analyzer_name: str) -> list[Spans]:
    """The spans of each of ``texts`` whose words stem (by ``analyzer_name``) to one
    of ``terms``, found with one pattern for all of them.

    One pattern per query rather than per passage: a new process compiles each
    pattern it uses, and compiling one for each of ten hits was 7 ms of a cold
    ``searchkit search``.
    """
    if not terms:
        return [()] * len(texts)
    # The analyzer's tokens and stems without building a Token per word:
    # highlighting ten passages per query was a tenth of a query's time.
    stem_of = stem_cache(analyzer_name).token
    tokens = set(itertools.chain.from_iterable(_TOKEN_RE.findall(text) for text in texts))
    matched = {word for word in tokens if stem_of(word) in terms}
    if not matched:
        return [()] * len(texts)
    pattern = _any_of(frozenset(matched))
    # Every word of the pattern stems to a term of the query, whichever text it came from.
    return [_whole_token_spans(text, pattern) for text in texts]


@functools.lru_cache(maxsize=4096)
def _any_of(words: frozenset[str]) -> re.Pattern[str]:
    """A pattern finding any of ``words``, longest first. Plain literals: a pattern
    that starts with one lets the regex engine skip to the positions holding a
    first letter of a word, and compiles in a tenth of the time of one that
    starts with lookbehinds."""
    return re.compile("|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)))


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # what ``\w`` matches


def _whole_token_spans(text: str, pattern: re.Pattern[str]) -> Spans:
    """Where ``pattern`` (``_any_of`` the words to mark) finds a word that
    ``TOKEN_PATTERN`` reads as a whole token of ``text``: not inside a longer token
    ("a.b", "don't"). Searching for the few words to mark beats reading every
    token of the passage.

    A find inside a longer token is passed over and the search goes on from the
    next character: a shorter word found at the same place would end inside that
    token too, since the words are tokens themselves."""
    spans = []
    end_of_text = len(text)
    search = pattern.search
    found = search(text)
    while found:
        start, end = found.span()
        inside = (start > 0 and (
            _is_word_char(text[start - 1])
            or (text[start - 1] in _JOINERS and start > 1 and _is_word_char(text[start - 2]))
        )) or (end < end_of_text and (
            _is_word_char(text[end])
            or (text[end] in _JOINERS and end + 1 < end_of_text and _is_word_char(text[end + 1]))
        ))
        if inside:
            found = search(text, start + 1)
        else:
            spans.append((start, end))
            found = search(text, end)
    return tuple(spans)
