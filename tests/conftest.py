"""Shared fixtures: the bundled corpus copied into a temporary folder, and small helpers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import searchkit

BUNDLED = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the bundled corpus that a test may change."""
    target = tmp_path / "corpus"
    shutil.copytree(BUNDLED, target)
    return target


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def built(corpus: Path, index_dir: Path) -> Path:
    """An index of the bundled corpus; returns its folder."""
    searchkit.build_index(corpus, index_dir)
    return index_dir


@pytest.fixture(scope="session")
def bundled_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index of the bundled corpus shared by read-only tests."""
    root = tmp_path_factory.mktemp("bundled")
    shutil.copytree(BUNDLED, root / "corpus")
    searchkit.build_index(root / "corpus", root / "index")
    return root / "index"


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
