"""``stems.table``: the word → stem table of everything indexed, saved so that
searching need not import NLTK (and the ``stems.json`` of earlier versions)."""

from __future__ import annotations

import itertools
import json
import struct
import sys
import zlib
from array import array
from pathlib import Path
from typing import Mapping

from .. import analysis
from .layout import OLD_STEMS_FILE, STEMS_FILE, _write_bytes

STEMS_FORMAT = "searchkit-stems"

#: Words per bucket of the stems table, on average.
STEMS_PER_BUCKET = 4


def _stem_bucket(word: bytes, buckets: int) -> int:
    return zlib.crc32(word) % buckets


def _write_stems(path: Path, stemmer: str, stems: Mapping[str, str]) -> None:
    """Save a word → stem table in buckets by a hash of the word: a search looks up
    the few hundred words it meets instead of parsing the whole table (a JSON table
    of 30,000 words was 16 ms of a cold search, and grows with the vocabulary).

    Layout: a JSON line (format, stemmer, bucket count, CRC-32 of the rest), the
    buckets' end offsets as little-endian 32-bit numbers, then each bucket's
    ``word<TAB>stem<LF>`` lines.
    """
    lines: list[list[bytes]] = [[] for _ in range(max(1, len(stems) // STEMS_PER_BUCKET))]
    for word, stemmed in stems.items():
        try:
            key, value = word.encode("utf-8"), stemmed.encode("utf-8")
        except UnicodeEncodeError:
            continue  # not text a file can hold: stemmed again whenever it is met
        if b"\t" in key or b"\n" in key or b"\n" in value:
            continue
        lines[_stem_bucket(key, len(lines))].append(b"%s\t%s\n" % (key, value))
    buckets = [b"".join(bucket) for bucket in lines]
    ends = array("I", itertools.accumulate(len(bucket) for bucket in buckets))
    if sys.byteorder != "little":
        ends.byteswap()
    body = ends.tobytes() + b"".join(buckets)
    head = {"format": STEMS_FORMAT, "stemmer": stemmer, "buckets": len(buckets), "crc32": zlib.crc32(body)}
    _write_bytes(path, json.dumps(head).encode() + b"\n" + body)


class _StemTable:
    """A saved word → stem table, held as the file's bytes and read per word."""

    def __init__(self, raw: bytes) -> None:
        line_end = raw.index(b"\n")
        head = json.loads(raw[:line_end])
        if head.get("format") != STEMS_FORMAT:
            raise ValueError("not a stems table")
        if type(head.get("buckets")) is not int or type(head.get("crc32")) is not int:
            raise ValueError("stems table header damaged")
        self.stemmer = str(head["stemmer"])
        self._buckets = head["buckets"]
        self._ends_at = line_end + 1
        self._data_at = self._ends_at + 4 * self._buckets
        self._raw = raw
        # Checked whole, once: a damaged table would give wrong stems, or fail mid-search.
        if self._buckets < 1 or zlib.crc32(memoryview(raw)[self._ends_at :]) != head["crc32"]:
            raise ValueError("stems table damaged")
        if len(raw) != self._data_at + self._end(self._buckets - 1):
            raise ValueError("stems table inconsistent")

    def _end(self, bucket: int) -> int:
        return int(struct.unpack_from("<I", self._raw, self._ends_at + 4 * bucket)[0])

    def get(self, word: str) -> str | None:
        try:
            key = word.encode("utf-8")
        except UnicodeEncodeError:
            return None
        bucket = _stem_bucket(key, self._buckets)
        start = self._data_at + (self._end(bucket - 1) if bucket else 0)
        lines = b"\n" + self._raw[start : self._data_at + self._end(bucket)]
        found = lines.find(b"\n%s\t" % key)
        if found < 0:
            return None
        value = found + len(key) + 2
        try:
            return lines[value : lines.index(b"\n", value)].decode("utf-8")
        except ValueError:  # written by hand, CRC and all: the word is stemmed again
            return None

    def items(self) -> dict[str, str]:
        text = self._raw[self._data_at :].decode("utf-8")
        return dict(line.split("\t", 1) for line in text.split("\n") if line)


def _read_stems(path: Path) -> _StemTable | None:
    """The index's stems table, or None where there is none or it is damaged."""
    try:
        return _StemTable((path / STEMS_FILE).read_bytes())
    except (OSError, ValueError, KeyError, TypeError, AttributeError, struct.error, RecursionError):
        return None


def _load_stems(path: Path, stemmer: str) -> None:
    table = _read_stems(path)
    if table is not None:
        if table.stemmer == stemmer:
            analysis.use_stem_table(stemmer, str(path.resolve()), table.get)
        return
    try:  # the table as earlier versions saved it, read whole
        data = json.loads((path / OLD_STEMS_FILE).read_text(encoding="utf-8"))
        if data.get("stemmer") == stemmer:
            analysis.seed_stems(stemmer, data["stems"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # no table: words are stemmed with NLTK as they come
