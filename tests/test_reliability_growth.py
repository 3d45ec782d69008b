"""A corpus file that grows after it is listed is read only up to its size limit, then
skipped with its reason (a 3 GB file is never read whole)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import searchkit
import searchkit.ingest

from conftest import write


class _CountingFile:
    """A file object that records how many bytes were read from it."""

    def __init__(self, fh: Any, reads: list[int]) -> None:
        self._fh, self._reads = fh, reads

    def read(self, size: int = -1) -> bytes:
        data = self._fh.read(size)
        self._reads.append(len(data))
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __enter__(self) -> "_CountingFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()


def test_a_file_that_grows_after_listing_is_read_only_to_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(searchkit.ingest, "MAX_ARTICLE_BYTES", 1000)
    corpus = tmp_path / "corpus"
    write(corpus, "grows.txt", "Grows\n\nA small otter story.\n")
    write(corpus, "stays.txt", "Stays\n\nA heron story.\n")
    files, _ = searchkit.ingest.list_files(corpus)
    with open(corpus / "grows.txt", "ab") as fh:  # grows after it was listed
        fh.write(b"otter " * 500_000)  # 3 MB
    reads: list[int] = []
    real_open = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: _CountingFile(real_open(self, *a, **k), reads))
    grows = next(f for f in files if f.source == "grows.txt")
    with pytest.raises(searchkit.CorpusError, match="grew past"):
        searchkit.ingest.read_file(grows)
    assert 0 < sum(reads) <= 1001


def test_an_update_skips_a_file_that_grows_while_it_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(searchkit.ingest, "MAX_ARTICLE_BYTES", 1000)
    corpus = tmp_path / "corpus"
    write(corpus, "a.txt", "First\n\nA heron story.\n")
    write(corpus, "b.txt", "Grows\n\nA small otter story.\n")

    def grow(done: int, total: int) -> None:
        if done == 1:  # after listing, before b.txt is read
            with open(corpus / "b.txt", "ab") as fh:
                fh.write(b"otter " * 10_000)

    report = searchkit.build_index(corpus, tmp_path / "index", progress=grow)
    assert [s.path for s in report.skipped] == ["b.txt"] and "grew past" in report.skipped[0].reason
    assert report.added == ("a.txt",)


def test_a_small_jsonl_file_that_grows_is_streamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(searchkit.ingest, "STREAM_BYTES", 1000)
    corpus = tmp_path / "corpus"
    write(corpus, "lines.jsonl", json.dumps({"id": "r0", "text": "Row zero tells of an otter."}) + "\n")
    files, _ = searchkit.ingest.list_files(corpus)
    with open(corpus / "lines.jsonl", "a", encoding="utf-8") as fh:
        for n in range(1, 100):
            fh.write(json.dumps({"id": f"r{n}", "text": f"Row {n} tells of an otter."}) + "\n")
    read = searchkit.ingest.read_file(files[0])
    assert [a.doc_id for a in read.articles] == [f"r{n}" for n in range(100)]
