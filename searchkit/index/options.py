"""``WriterOptions``: how an update writes (processes, chunk sizes, merge thresholds,
checkpoints). A module of its own so that opening an index to search loads none of
the writing code."""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class WriterOptions:
    """How an update writes, never what: any options give the same passages and
    scores (only the segments differ). The defaults are the measured ones; tests and
    embedders pass their own to ``build_index``, ``open_index`` or ``create_index``.

    ``procs`` processes analyse and write (1: this one only). The first worker writes
    ``chunk_passages`` into a segment; each next chunk is ``chunk_growth`` times larger,
    up to ``chunk_max``: a small build still uses both cores, a large one leaves few
    segments (every search pays for each: BBC x40 went from 210 segments to 43, and a
    query from about 45 to 19 ms). Segments under ``tiny_segment`` passages (left by
    updates) are merged once there are ``max_tiny_segments`` of them. An update
    commits after about ``commit_seconds`` of work, so a killed run keeps its progress
    (by time, not by files: every commit costs a flush and a merge, which a small
    build need not pay at all), waiting up to ``checkpoint_wait`` for the next chunk
    to go to a worker. The manifest's journal is folded into it once it would outgrow
    ``journal_share`` of it. ``fast_writer=False`` writes with Whoosh's own segment
    writer (the same files, slower: for tests that compare the two).
    """

    procs: int = dataclasses.field(default_factory=lambda: min(2, os.cpu_count() or 1))
    chunk_passages: int = 1500
    chunk_growth: int = 2
    chunk_max: int = 12000
    tiny_segment: int = 1000
    max_tiny_segments: int = 8
    commit_seconds: float = 60.0
    checkpoint_wait: float = 60.0
    journal_share: float = 0.25
    fast_writer: bool = True

    def merge_policy(self) -> Callable[[Any, list[Any]], list[Any]]:
        """``writing._merge_tiny`` with these thresholds, as Whoosh's ``mergetype``."""
        from .writing import _merge_tiny

        return functools.partial(_merge_tiny, tiny_segment=self.tiny_segment, most=self.max_tiny_segments)

    def segment_writer(self, ix: Any, stemmer: str, term_pool: bool = False, **options: Any) -> Any:
        """A writer of one segment of ``ix``."""
        from whoosh.writing import SegmentWriter

        from .writing import _FastWriter

        if self.fast_writer:
            return _FastWriter(ix, stemmer, term_pool=term_pool, **options)
        return SegmentWriter(ix, **options)


#: Whoosh's own writers' options: the caller holds write_lock(), and Whoosh's own lock is the same file.
SEGMENT_OPTIONS = {"_lk": False, "limitmb": 256, "compound": False}
