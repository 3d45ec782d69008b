"""docs/CITATIONS.md's examples, run as written against the bundled corpus: the doc stays true."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchkit.cli import EXIT_UNVERIFIED, main

DOC = (Path(__file__).resolve().parent.parent / "docs" / "CITATIONS.md").read_text(encoding="utf-8")


def test_console_examples_print_what_the_doc_shows(bundled_index: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = bundled_index.parent / "corpus"
    monkeypatch.chdir(tmp_path)  # export's examples write their files here, and check them in order
    examples = [
        chunk.partition("\n")
        for block in re.findall(r"```console\n(.*?)```", DOC, re.S)
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]
    ]
    assert len(examples) >= 8
    for command, _, shown in examples:
        args = shlex.split(command)
        assert args[:1] == ["searchkit"] and args[1] in ("verify", "kwic", "export")
        extra = ["--index", str(bundled_index)] + (["--corpus", str(corpus)] if args[1] in ("verify", "export") else [])
        result = CliRunner().invoke(main, args[1:] + extra)
        # verify exits 5 when what it prints is a close match or nothing.
        unverified = args[1] == "verify" and shown.startswith(("close", "not found"))
        assert result.exit_code == (EXIT_UNVERIFIED if unverified else 0), (command, result.output)
        assert [line.rstrip() for line in result.stdout.strip().splitlines()] == [
            line.rstrip() for line in shown.strip().splitlines()
        ], command
