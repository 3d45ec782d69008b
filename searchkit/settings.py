"""The knobs of the pipeline, in one frozen record, and which of them the index remembers.

Index-time settings (how text is cut into passages and analysed) are written into
the index folder when it is built; opening it with different ones is refused.
Query-time settings (ranking) can change from one search to the next.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Iterable

from .errors import QueryError

__all__ = [
    "Settings",
    "INDEX_TIME",
    "STEMMERS",
    "Limits",
    "LIBRARY_LIMITS",
    "SERVER_LIMITS",
    "MCP_LIMITS",
    "check_query",
    "check_limit",
]

STEMMERS = ("porter", "snowball", "lancaster", "none")

#: Settings that shape what is stored in the index.
INDEX_TIME = ("min_chars", "target_chars", "max_chars", "stemmer", "fold_accents")


@dataclass(frozen=True)
class Settings:
    """Every tunable of searchkit with its measured default.

    Passages: paragraphs shorter than ``min_chars`` are merged with their
    neighbours; paragraphs longer than ``max_chars`` are cut at sentence
    boundaries into pieces of about ``target_chars`` (a whole paragraph, such as an
    abstract, ranks better than its halves: docs/QUALITY.md).
    Analysis: ``stemmer`` is the NLTK stemmer used for text and queries;
    ``fold_accents`` reads "café" as "cafe" (and "Zürich" as "zurich") before it.
    Ranking: BM25F with ``k1`` and ``b``; ``title_boost`` weighs title matches;
    ``one_field`` scores the article title and the passage text as one field
    (plus ``title_boost`` times a title-only match) instead of two.
    ``stopwords`` drops English function words from plain-words queries (unless
    that leaves nothing). ``idf`` is "lucene" (BM25's log(1 + (N - n + 0.5) /
    (n + 0.5))) or "whoosh" (log(N / (n + 1)) + 1); ``title_b`` is the length
    normalisation of the title field. ``proximity_boost`` weighs a bonus for
    neighbouring query words found within ``proximity_slop`` words of each other.
    Pseudo-relevance feedback (off by default: ``feedback_docs`` is 0) adds the
    ``feedback_terms`` best Bo1 key terms of the ``feedback_docs`` best passages,
    weighted ``feedback_weight`` times their normalised score, to re-rank the
    passages holding a query word (``feedback_rerank=False``: the expansion terms
    may also find passages without any query word); on the tuning splits it did not
    pay for the second search it costs. A plain query word that is rare or absent
    in the index also matches its close spellings there (a name spelled another
    way), weighed ``variant_weight`` times the word (0: never).
    Syndicated copies: a passage whose word 5-shingles have a Jaccard similarity
    of at least ``copies_threshold`` with a better hit's is listed in that hit's
    ``copies`` instead of being a hit of its own (``copies="together"``).
    docs/QUALITY.md has the measurements behind each default.
    """

    min_chars: int = 250
    target_chars: int = 800
    max_chars: int = 2500
    stemmer: str = "porter"
    fold_accents: bool = True
    k1: float = 1.2
    b: float = 0.75
    title_boost: float = 0.25
    stopwords: bool = True
    one_field: bool = True
    idf: str = "lucene"
    title_b: float = 0.75
    proximity_boost: float = 0.0
    proximity_slop: int = 3
    feedback_docs: int = 0
    feedback_terms: int = 10
    feedback_weight: float = 0.5
    feedback_rerank: bool = True
    variant_weight: float = 0.5
    copies_threshold: float = 0.8

    def __post_init__(self) -> None:
        if self.stemmer not in STEMMERS:
            raise ValueError(f"stemmer must be one of {', '.join(STEMMERS)}, not {self.stemmer!r}")
        if not 0 < self.min_chars <= self.target_chars <= self.max_chars:
            raise ValueError("passage sizes must satisfy 0 < min_chars <= target_chars <= max_chars")
        if not 0 < self.copies_threshold <= 1:
            raise ValueError(f"copies_threshold must be above 0 and at most 1, not {self.copies_threshold!r}")

    @property
    def analyzer_name(self) -> str:
        """The word-to-term function of the analysis: the stemmer, with "+fold" when
        accents are folded first (the key of the stem caches and of the saved ``stems.table``)."""
        return self.stemmer + ("+fold" if self.fold_accents else "")

    def index_time(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k in INDEX_TIME}

    def with_changes(self, **changes: Any) -> "Settings":
        return replace(self, **changes)

    @classmethod
    def from_changes(cls, changes: Iterable[str], base: "Settings | None" = None) -> "Settings":
        """``base`` (default: the defaults) with ``NAME=VALUE`` changes (``--set``), each
        value read as the type of the setting it changes; ``ValueError`` says what is wrong."""
        base = base or cls()
        current = vars(base)
        updates: dict[str, Any] = {}
        for change in changes:
            name, sep, value = change.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in current:
                raise ValueError(f"cannot read the setting {change!r}; write NAME=VALUE with NAME one of {', '.join(current)}")
            kind = type(current[name])
            if kind is bool:
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(f"the setting {name} takes true or false, not {value!r}")
                updates[name] = value.lower() in ("true", "1", "yes")
            else:
                try:
                    updates[name] = kind(value)
                except ValueError:
                    raise ValueError(f"the setting {name} takes a {kind.__name__}, not {value!r}") from None
        try:
            return base.with_changes(**updates)
        except ValueError as exc:
            raise ValueError(f"{exc}; change the --set value") from None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Settings":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Limits:
    """What one search may ask for: the longest query, the most hits and, for the
    front-ends, the seconds it may run before returning the hits found by then."""

    max_query_chars: int
    max_limit: int
    seconds: float | None = None
    #: The deepest page: a page past it is a crawl, not a reader.
    max_offset: int = 100_000


#: The library: longer queries are pasted documents, not questions.
LIBRARY_LIMITS = Limits(max_query_chars=10_000, max_limit=10_000)
#: The HTTP server answers anyone who can reach the port, so one request must stay cheap.
SERVER_LIMITS = Limits(max_query_chars=1_000, max_limit=100, seconds=5.0)
#: An assistant reads every passage it gets: more than 50 only fills its context.
MCP_LIMITS = Limits(max_query_chars=LIBRARY_LIMITS.max_query_chars, max_limit=50, seconds=10.0)


def check_limit(limit: int, limits: Limits = LIBRARY_LIMITS, given: object = None) -> None:
    """Raise ``QueryError`` unless ``1 <= limit <= limits.max_limit``; ``given`` is
    what the caller typed, named in the message when it was not a number."""
    if not 1 <= limit <= limits.max_limit:
        raise QueryError(f"limit must be from 1 to {limits.max_limit}, not {limit if given is None else given!r}")


def check_query(text: object, limit: int, limits: Limits = LIBRARY_LIMITS) -> None:
    """Raise ``QueryError`` for a query or limit a search under ``limits`` refuses."""
    if not isinstance(text, str):
        raise QueryError(f"a query must be text, not {type(text).__name__}")
    if not text.strip():
        raise QueryError("the query is empty; type some words")
    if len(text) > limits.max_query_chars:
        raise QueryError(f"query of {len(text)} characters is longer than {limits.max_query_chars}; shorten it")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, e.g. undecodable bytes on a command line
        raise QueryError("the query holds bytes that are not valid text; retype it in UTF-8") from None
    check_limit(limit, limits)
