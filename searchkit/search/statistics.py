"""Collection statistics for a sharded index: what each shard counts, their sum,
and a shard's reading seen through that sum.

BM25 needs the number of passages, each word's document frequency and each
field's average length. A shard alone knows only its own, and would score the same
passage differently from one index of the whole corpus. So a sharded search
first gathers the statistics of the query's words from every shard
(``local_statistics``, added up with ``combine``), then every shard scores with the
sum (``GlobalView``): Elasticsearch's "DFS query then fetch". The sums are of
whole numbers, so every shard's scores are those of one index to the last bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

__all__ = ["Statistics", "GlobalView", "local_statistics", "combine"]


@dataclass(frozen=True)
class Statistics:
    """Passages (``doc_count``, deleted ones included, as Whoosh counts them), the
    summed length of each scorable field, and the document frequency of words,
    ``{(field, word): count}``."""

    doc_count: int
    lengths: Mapping[str, int]
    frequencies: Mapping[tuple[str, str], int] = field(default_factory=dict)


def _text(word: Any) -> str:
    return word.decode("utf-8") if isinstance(word, bytes) else str(word)


def local_statistics(reading: Any, words: Iterable[tuple[str, Any]]) -> Statistics:
    """One shard's statistics for ``words`` (``(field, word)`` pairs)."""
    reader = reading.reader()
    schema = reader.schema
    lengths = {name: int(reader.field_length(name)) for name in schema.scorable_names()}
    frequencies = {}
    for name, word in words:
        if name in schema:
            frequencies[(name, _text(word))] = int(reader.doc_frequency(name, word))
    return Statistics(int(reader.doc_count_all()), lengths, frequencies)


def combine(parts: Iterable[Statistics]) -> Statistics:
    """The statistics of the whole index from those of its shards."""
    doc_count = 0
    lengths: dict[str, int] = {}
    frequencies: dict[tuple[str, str], int] = {}
    for part in parts:
        doc_count += part.doc_count
        for name, length in part.lengths.items():
            lengths[name] = lengths.get(name, 0) + length
        for key, count in part.frequencies.items():
            frequencies[key] = frequencies.get(key, 0) + count
    return Statistics(doc_count, lengths, frequencies)


class GlobalView:
    """A shard's ``Reading`` answering for the whole index: passage count, document
    frequencies, field lengths and idf from ``Statistics``; everything else (the
    reader, stored fields, postings) is the shard's own. A word the statistics do
    not hold is counted in this shard alone (never asked for: the caller gathers
    every word the query scores)."""

    def __init__(self, reading: Any, stats: Statistics) -> None:
        self._reading = reading
        self.stats = stats
        self.weighting = reading.weighting
        self._idf: dict[tuple[str, Any], float] = {}
        self._whoosh: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reading, name)

    def get_parent(self) -> "GlobalView":
        return self

    def doc_count_all(self) -> int:
        return self.stats.doc_count

    def doc_frequency(self, fieldname: str, text: Any) -> int:
        found = self.stats.frequencies.get((fieldname, _text(text)))
        return self._reading.doc_frequency(fieldname, text) if found is None else found

    def field_length(self, fieldname: str) -> int:
        return self.stats.lengths.get(fieldname, 0)

    def avg_field_length(self, fieldname: str, default: float | None = None) -> float | None:
        if not self._reading.schema[fieldname].scorable:
            return default
        return self.field_length(fieldname) / (self.stats.doc_count or 1)

    def idf(self, fieldname: str, text: Any) -> float:
        key = (fieldname, text)
        found = self._idf.get(key)
        if found is None:
            found = self._idf[key] = self.weighting.idf(self, fieldname, text)
        return found

    def whoosh(self) -> Any:
        """A Whoosh searcher over the shard's reader that answers statistics as this does."""
        if self._whoosh is None:
            self._whoosh = _global_searcher(self)
        return self._whoosh


def _global_searcher(view: GlobalView) -> Any:
    from whoosh.searching import Searcher as WhooshSearcher

    class _Searcher(WhooshSearcher):  # type: ignore[misc]
        """Whoosh's searcher with the whole index's statistics (its sub-searchers ask it)."""

        def doc_count_all(self) -> int:
            return view.doc_count_all()

        def doc_frequency(self, fieldname: str, text: Any) -> int:
            return view.doc_frequency(fieldname, text)

        def field_length(self, fieldname: str) -> int:
            return view.field_length(fieldname)

        def avg_field_length(self, fieldname: str, default: float | None = None) -> float | None:
            return view.avg_field_length(fieldname, default)

        def idf(self, fieldname: str, text: Any) -> float:
            return view.idf(fieldname, text)

    # The reading's own searcher keeps the reader open; this one only borrows it.
    reading = view._reading
    return _Searcher(reading.ixreader, weighting=reading.weighting, closereader=False, fromindex=reading._ix)
