"""README.md's examples, run as written against the bundled corpus: the README stays true."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit.cli import main

from conftest import BUNDLED

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
SECONDS = re.compile(r"\(\d+\.\d+ s\)")


def _normal(text: str) -> list[str]:
    return [SECONDS.sub("(N s)", line.rstrip()) for line in text.strip().splitlines()]


def _console_examples() -> list[tuple[str, str]]:
    """(command, printed output) for every ``$ searchkit ...`` line in a console block."""
    examples = []
    for block in re.findall(r"```console\n(.*?)```", README, re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            examples.append((command, output))
    return examples


@pytest.fixture
def in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder laid out as the README assumes: corpus/ here, no index yet."""
    import shutil

    shutil.copytree(BUNDLED, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SEARCHKIT_CORPUS", raising=False)
    monkeypatch.delenv("SEARCHKIT_INDEX", raising=False)
    return tmp_path


def test_console_examples_print_what_the_readme_shows(in_project: Path) -> None:
    examples = _console_examples()
    assert len(examples) >= 4 and examples[0][0] == "searchkit index"
    for command, shown in examples:  # in order: the first one builds the index
        args = shlex.split(command)
        assert args[0] == "searchkit"
        result = CliRunner().invoke(main, args[1:])
        assert result.exit_code == 0, (command, result.output)
        assert _normal(result.output) == _normal(shown), command


def test_python_example_prints_what_the_readme_shows(in_project: Path) -> None:
    code = re.search(r"```python\n(import searchkit\n.*?)```", README, re.S)
    shown = re.search(r"\nprints\n\n```\n(.*?)```", README, re.S)
    assert code and shown
    searchkit.build_index("corpus", "index")  # the example runs on an index already built
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.group(1), "README.md", "exec"), {})
    assert _normal(out.getvalue()) == _normal(shown.group(1))
