"""The English analyzer: Whoosh tokenizer and filters with an NLTK stemmer at the end.

"condemned", "condemns" and "condemnation" all become "condemn". The same chain
analyses passages when indexing and words when querying, so they always meet.
Stems are cached per distinct word, and NLTK (slow to import) is loaded only when a
word is met whose stem is not known yet.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any, Callable, Iterable, Iterator

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer
from whoosh.analysis.acore import Token
from whoosh.analysis.analyzers import Analyzer

__all__ = ["analyzer", "EnglishFilter", "StemmingFilter", "PossessiveFilter", "STOP_WORDS", "stem", "known_stems", "seed_stems", "use_stem_table", "TOKEN_PATTERN", "index_stems"]

#: Words, keeping inner apostrophes and dots ("don't", "U.S.") together.
TOKEN_PATTERN = r"\w+(?:['’.]\w+)*"

#: Function words dropped from plain-words queries (never from the index, so
#: phrases and stop-word-only queries still work).
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves""".split()
)

_STEM_CACHE: dict[str, dict[str, str]] = {}
#: token as written → stem; ``_STEM_CACHE`` (what is saved with an index) is keyed by the normalised word.
_RAW_CACHE: dict[str, dict[str, str]] = {}
_STEMMERS: dict[str, Callable[[str], str]] = {}
#: stemmer → ``(index folder, its saved word → stem table's lookup)``, newest last.
#: Replaced, never changed in place: a search in another thread may be reading it.
_TABLES: dict[str, tuple[tuple[str, Callable[[str], str | None]], ...]] = {}
#: Tables kept per stemmer: each holds its file's bytes, and a process may open many indexes.
MAX_STEM_TABLES = 8
_TABLES_LOCK = threading.Lock()


def fold_accents(word: str) -> str:
    """``word`` without its accents: "café" → "cafe", "Zürich" → "Zurich"."""
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _load_stemmer(name: str) -> Callable[[str], str]:
    if name not in _STEMMERS:
        if name.endswith("+fold"):
            base = _load_stemmer(name[: -len("+fold")])
            _STEMMERS[name] = lambda word: base(fold_accents(word))
        elif name == "none":
            _STEMMERS[name] = lambda word: word
        elif name == "porter":
            from ._nltk import load

            _STEMMERS[name] = load("nltk.stem.porter").PorterStemmer().stem
        elif name == "snowball":
            from nltk.stem.snowball import EnglishStemmer

            _STEMMERS[name] = EnglishStemmer().stem
        elif name == "lancaster":
            from nltk.stem.lancaster import LancasterStemmer

            _STEMMERS[name] = LancasterStemmer().stem
        else:
            raise ValueError(f"unknown stemmer {name!r}")
    return _STEMMERS[name]


def stem(word: str, stemmer: str = "porter") -> str:
    """The stem of one lower-case word, cached; from a saved table where one has it."""
    cache = _STEM_CACHE.setdefault(stemmer, {})
    found = cache.get(word)
    if found is None:
        for _, lookup in _TABLES.get(stemmer, ()):
            found = lookup(word)
            if found is not None:
                break
        else:
            found = _load_stemmer(stemmer)(word)
        cache[word] = found
    return found


def known_stems(stemmer: str) -> dict[str, str]:
    """The word → stem cache for ``stemmer`` (read it to save it with an index)."""
    return _STEM_CACHE.setdefault(stemmer, {})


def seed_stems(stemmer: str, stems: dict[str, str]) -> None:
    """Fill the cache from a saved table (before indexing: forked workers inherit it)."""
    _STEM_CACHE.setdefault(stemmer, {}).update(stems)


def use_stem_table(stemmer: str, name: str, lookup: Callable[[str], str | None]) -> None:
    """Look words up with ``lookup`` (a saved table, known as ``name``; a later one of
    the same name replaces it) before stemming them, so queries need not import NLTK.
    The ``MAX_STEM_TABLES`` newest are kept (words of an older one are stemmed again)."""
    with _TABLES_LOCK:
        kept = [entry for entry in _TABLES.get(stemmer, ()) if entry[0] != name]
        _TABLES[stemmer] = (*kept[max(0, len(kept) + 1 - MAX_STEM_TABLES) :], (name, lookup))


class PossessiveFilter(Filter):
    """Fold ’ into ' and drop a possessive 's ("Chechnya’s" → "chechnya")."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            text = token.text.replace("’", "'")
            if text.endswith("'s") or text.endswith("s'"):
                text = text[:-2] if text.endswith("'s") else text[:-1]
            token.text = text.strip("'.") or text
            yield token


class StemmingFilter(Filter):
    """Stem each token with an NLTK stemmer, named so the analyzer pickles small."""

    def __init__(self, stemmer: str = "porter") -> None:
        self.stemmer = stemmer

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.stemmer == self.stemmer  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.stemmer))

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        cache = _STEM_CACHE.setdefault(self.stemmer, {})
        stemmer = self.stemmer
        for token in tokens:
            if not token.stopped:
                word = token.text
                found = cache.get(word)
                token.text = found if found is not None else stem(word, stemmer)
            yield token


def _normalise(text: str) -> str:
    """What ``LowercaseFilter`` then ``PossessiveFilter`` make of one token."""
    text = text.lower().replace("’", "'")
    if text.endswith("'s") or text.endswith("s'"):
        text = text[:-2] if text.endswith("'s") else text[:-1]
    return text.strip("'.") or text


class EnglishFilter(StemmingFilter):
    """``LowercaseFilter | PossessiveFilter | StemmingFilter`` in one step, cached per
    token as written: the same stems, with one generator and one dict look-up per
    token instead of three (analysis is a large part of indexing)."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        stemmer = self.stemmer
        cache = _RAW_CACHE.setdefault(stemmer, {})
        for token in tokens:
            text = token.text
            found = cache.get(text)
            if found is None:
                found = cache[text] = stem(_normalise(text), stemmer)
            token.text = found
            yield token


_TOKEN_RE = re.compile(TOKEN_PATTERN)


def index_stems(text: str, stemmer: str = "porter") -> list[str]:
    """The stems ``analyzer(stemmer)`` gives for ``text``, in token order, without
    Whoosh's token objects (the indexing fast path; shares ``EnglishFilter``'s cache)."""
    cache = _RAW_CACHE.setdefault(stemmer, {})
    out = []
    for token in _TOKEN_RE.findall(text):
        found = cache.get(token)
        if found is None:
            found = cache[token] = stem(_normalise(token), stemmer)
        out.append(found)
    return out


def is_english(analyzer: Any, stemmer: str) -> bool:
    """Whether ``analyzer`` is ``analyzer(stemmer)``, so ``index_stems`` gives its tokens."""
    items = getattr(analyzer, "items", None)
    return (
        isinstance(items, list)
        and len(items) == 2
        and isinstance(items[0], RegexTokenizer)
        and not items[0].gaps
        and items[0].expression.pattern == TOKEN_PATTERN
        and type(items[1]) is EnglishFilter
        and items[1].stemmer == stemmer
    )


def analyzer(stemmer: str = "porter") -> Analyzer:
    """The analyzer searchkit indexes and queries with.

    Indexes built before ``EnglishFilter`` keep the three filters it replaces in
    their schema; both chains give the same tokens.
    """
    return RegexTokenizer(TOKEN_PATTERN) | EnglishFilter(stemmer)


def words(text: str) -> list[str]:
    """The words of ``text`` in lower case, before stemming."""
    return [w.lower() for w in re.findall(TOKEN_PATTERN, text)]
