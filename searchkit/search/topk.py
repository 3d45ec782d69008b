"""The best passages of scored segments, one per text: no two hits carry the same text.

Scores come per segment as ``{docnum: score}``; each segment gives its best
passage of each of its best texts (``segment_top``), and ``distinct`` merges those
across segments, keeping one passage per text.
"""

from __future__ import annotations

import heapq
from typing import Any

__all__ = ["Found", "segment_top", "distinct"]

#: ``(score, docnum in the index, text key)``.
Found = tuple[float, int, int]


def _by_score(item: tuple[int, float]) -> tuple[float, int]:
    return item[1], -item[0]  # best score first, then the lower document number


def segment_top(scores: dict[int, float], keys: Any, limit: int, offset: int, floor: float | None = None) -> list[Found]:
    """The best passage of each of the ``limit`` best texts of one segment that
    score at least ``floor``: ``(score, docnum, text key)``. The union of these over
    segments holds the best ``limit`` texts of the index."""
    if floor is not None:
        scores = dict([item for item in scores.items() if item[1] >= floor])
    wanted = limit
    while True:
        best: dict[int, Found] = {}
        if wanted < len(scores):
            # The wanted-th best score, then only what reaches it is sorted (ties included).
            cut = heapq.nlargest(wanted, scores.values())[-1]
            ranked = sorted([item for item in scores.items() if item[1] >= cut], key=_by_score, reverse=True)
        else:
            ranked = sorted(scores.items(), key=_by_score, reverse=True)
        for doc, score in ranked:
            key = keys[doc] if keys is not None else 0
            if not key:
                key = -1 - (offset + doc)  # no key: a text of its own
            if key not in best:
                best[key] = (score, offset + doc, key)
                if len(best) == limit:
                    return list(best.values())
        if len(ranked) == len(scores):
            return list(best.values())
        # Copies of one text took places: look deeper.
        wanted = max(wanted * 4, len(ranked) + 1)


def distinct(found: list[Found], limit: int) -> list[Found]:
    """The best ``(score, docnum, text key)`` of each of the ``limit`` best texts."""
    found.sort(key=lambda item: (-item[0], item[1]))
    seen: set[int] = set()
    out = []
    for item in found:
        if item[2] not in seen:
            seen.add(item[2])
            out.append(item)
            if len(out) == limit:
                break
    return out
