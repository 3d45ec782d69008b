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

from whoosh.analysis import Filter, RegexTokenizer
from whoosh.analysis.acore import Token
from whoosh.analysis.analyzers import Analyzer

__all__ = ["analyzer", "StemCache", "stem_cache", "EnglishFilter", "StemmingFilter", "PossessiveFilter", "STOP_WORDS", "stem", "known_stems", "seed_stems", "use_stem_table", "TOKEN_PATTERN", "index_stems", "normalise"]

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

#: Tables kept per stemmer: each holds its file's bytes, and a process may open many indexes.
MAX_STEM_TABLES = 8


class StemCache:
    """Everything known of one stemmer's stems in this process: the stemmer itself
    (NLTK, loaded only when a word is met that no cache or table knows), the stems
    of normalised words (``words``: what is saved with an index), the stems of
    tokens as written (``tokens``), and saved tables to look words up in.

    Forked indexing workers inherit it; a search in another thread may be reading
    the tables, so they are replaced, never changed in place.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        #: normalised word → stem: what an index saves, and what a worker sends back.
        self.words: dict[str, str] = {}
        #: token as written → stem (the analyzer's fast path).
        self.tokens: dict[str, str] = {}
        #: ``(index folder, its saved table's lookup)``, newest last.
        self.tables: tuple[tuple[str, Callable[[str], str | None]], ...] = ()
        self._stemmer: Callable[[str], str] | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the stemmer itself (NLTK, for most) was needed in this process."""
        return self._stemmer is not None

    def stem(self, word: str) -> str:
        """The stem of one normalised word: cached, else from a saved table, else stemmed."""
        found = self.words.get(word)
        if found is None:
            for _, lookup in self.tables:
                found = lookup(word)
                if found is not None:
                    break
            else:
                if self._stemmer is None:
                    self._stemmer = _load_stemmer(self.name)
                found = self._stemmer(word)
            self.words[word] = found
        return found

    def token(self, text: str) -> str:
        """The stem of one token as the tokenizer cut it (lower-cased and de-possessived first)."""
        found = self.tokens.get(text)
        if found is None:
            found = self.tokens[text] = self.stem(normalise(text))
        return found

    def seed(self, stems: dict[str, str]) -> None:
        """Take in stems from a saved table or a worker (before indexing: forked workers inherit them)."""
        self.words.update(stems)

    def use_table(self, name: str, lookup: Callable[[str], str | None]) -> None:
        """Look words up with ``lookup`` (a saved table, known as ``name``; a later one of
        the same name replaces it) before stemming them, so queries need not import NLTK.
        The ``MAX_STEM_TABLES`` newest are kept (words of an older one are stemmed again)."""
        with self._lock:
            kept = [entry for entry in self.tables if entry[0] != name]
            self.tables = (*kept[max(0, len(kept) + 1 - MAX_STEM_TABLES) :], (name, lookup))

    def forget(self) -> None:
        """Drop every stem and table, as a new process starts (the stemmer stays loaded)."""
        self.words, self.tokens, self.tables = {}, {}, ()


_CACHES: dict[str, StemCache] = {}


def stem_cache(stemmer: str = "porter") -> StemCache:
    """The process's ``StemCache`` for ``stemmer`` (an analyzer name such as "porter+fold")."""
    cache = _CACHES.get(stemmer)
    if cache is None:
        cache = _CACHES.setdefault(stemmer, StemCache(stemmer))
    return cache


def fold_accents(word: str) -> str:
    """``word`` without its accents: "café" → "cafe", "Zürich" → "Zurich"."""
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _load_stemmer(name: str) -> Callable[[str], str]:
    if name.endswith("+fold"):
        base = _load_stemmer(name[: -len("+fold")])
        return lambda word: base(fold_accents(word))
    if name == "none":
        return lambda word: word
    if name == "porter":
        from ._nltk import load

        return load("nltk.stem.porter").PorterStemmer().stem  # type: ignore[no-any-return]
    if name == "snowball":
        from nltk.stem.snowball import EnglishStemmer

        return EnglishStemmer().stem  # type: ignore[no-any-return]
    if name == "lancaster":
        from nltk.stem.lancaster import LancasterStemmer

        return LancasterStemmer().stem  # type: ignore[no-any-return]
    raise ValueError(f"unknown stemmer {name!r}")


def stem(word: str, stemmer: str = "porter") -> str:
    """The stem of one lower-case word, cached; from a saved table where one has it."""
    return stem_cache(stemmer).stem(word)


def known_stems(stemmer: str) -> dict[str, str]:
    """The word → stem cache for ``stemmer`` (read it to save it with an index)."""
    return stem_cache(stemmer).words


def seed_stems(stemmer: str, stems: dict[str, str]) -> None:
    """Fill the cache from a saved table (before indexing: forked workers inherit it)."""
    stem_cache(stemmer).seed(stems)


def use_stem_table(stemmer: str, name: str, lookup: Callable[[str], str | None]) -> None:
    """``StemCache.use_table`` for ``stemmer``."""
    stem_cache(stemmer).use_table(name, lookup)


class PossessiveFilter(Filter):
    """Fold ’ into ' and drop a possessive 's ("Chechnya’s" → "chechnya")."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            text = token.text.replace("’", "'")
            if text.endswith("'s") or text.endswith("s'"):
                text = text[:-2] if text.endswith("'s") else text[:-1]
            token.text = _undotted(text.strip("'.") or text)
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
        stems = stem_cache(self.stemmer)
        cache = stems.words
        for token in tokens:
            if not token.stopped:
                word = token.text
                found = cache.get(word)
                token.text = found if found is not None else stems.stem(word)
            yield token


#: Letters with dots between them: "U.S", "e.g" (the tokenizer leaves the last dot out).
_DOTTED = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")


def _undotted(text: str) -> str:
    """A dotted acronym without its dots ("u.s" → "us"), so "U.S." finds "US"."""
    return text.replace(".", "") if "." in text and _DOTTED.fullmatch(text) else text


def normalise(text: str) -> str:
    """What ``LowercaseFilter`` then ``PossessiveFilter`` make of one token."""
    text = text.lower().replace("’", "'")
    if text.endswith("'s") or text.endswith("s'"):
        text = text[:-2] if text.endswith("'s") else text[:-1]
    return _undotted(text.strip("'.") or text)


class EnglishFilter(StemmingFilter):
    """``LowercaseFilter | PossessiveFilter | StemmingFilter`` in one step, cached per
    token as written: the same stems, with one generator and one dict look-up per
    token instead of three (analysis is a large part of indexing)."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        stems = stem_cache(self.stemmer)
        cache = stems.tokens
        for token in tokens:
            text = token.text
            found = cache.get(text)
            token.text = found if found is not None else stems.token(text)
            yield token


_TOKEN_RE = re.compile(TOKEN_PATTERN)


def index_stems(text: str, stemmer: str = "porter") -> list[str]:
    """The stems ``analyzer(stemmer)`` gives for ``text``, in token order, without
    Whoosh's token objects (the indexing fast path; shares ``EnglishFilter``'s cache)."""
    stems = stem_cache(stemmer)
    cache = stems.tokens
    out = []
    for token in _TOKEN_RE.findall(text):
        found = cache.get(token)
        out.append(found if found is not None else stems.token(token))
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
