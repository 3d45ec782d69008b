"""The progress bar of ``searchkit index`` (on a terminal only, never with --quiet, and
the one-line summary still ends the run), and a search that loads nothing heavy."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchkit import cli
from searchkit.cli import commands
from searchkit.index import STEMS_FILE


def _corpus(tmp_path: Path, count: int = 3) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(count):
        (corpus / f"a{n}.txt").write_text(
            f"Article {n}\n\nThe harbour cranes were condemned by inspectors in report {n}.\n", encoding="utf-8"
        )
    return corpus


def test_bar_counts_rate_and_erases_itself() -> None:
    out = io.StringIO()
    bar = cli.ProgressBar(out, every=0)
    bar(1, 4)
    bar(4, 4)
    text = out.getvalue()
    assert "1/4 files" in text and "4/4 files" in text
    assert "files/s" in text and "s left" in text and "writing the index" in text
    bar.close()
    assert out.getvalue().endswith("\r")
    assert out.getvalue().rsplit("\r", 2)[-2].strip() == ""  # the last line drawn is blanked


def test_bar_redraws_at_most_every_interval() -> None:
    out = io.StringIO()
    bar = cli.ProgressBar(out, every=3600)
    for done in range(1, 100):
        bar(done, 100)
    assert out.getvalue().count("files/s") == 1
    bar(100, 100)  # the last call always draws
    assert out.getvalue().count("files/s") == 2


@pytest.mark.parametrize("tty, quiet, shown", [(True, False, True), (True, True, False), (False, False, False)])
def test_index_command_shows_bar_only_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tty: bool, quiet: bool, shown: bool
) -> None:
    corpus = _corpus(tmp_path)
    monkeypatch.setattr(commands, "_is_tty", lambda stream: tty)  # where index reads it
    args = ["index", "--corpus", str(corpus), "--index", str(tmp_path / "index")] + (["--quiet"] if quiet else [])
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 0, result.output
    assert ("files/s" in result.stderr) is shown
    assert result.stdout.strip().splitlines()[-1].startswith("3 added")


def test_search_needs_no_nltk_for_indexed_words(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    index = tmp_path / "index"
    assert CliRunner().invoke(cli.main, ["index", "-q", "--corpus", str(corpus), "--index", str(index)]).exit_code == 0
    assert (index / STEMS_FILE).exists()
    probe = (
        "import sys\nfrom searchkit.cli import main\n"
        "from searchkit import analysis\n"
        "try:\n    main(['search', 'condemned cranes', '--index', sys.argv[1]])\n"
        "except SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('nltk', 'searchkit.ingest', 'jsonlines', 'http.client', 'whoosh.query',\n"
        "    'whoosh.qparser', 'whoosh.searching', 'whoosh.collectors', 'searchkit.search.syntax') if m in sys.modules)\n"
        "print('HEAVY', heavy, 'STEMMERS', [s for s in ('porter', 'snowball', 'lancaster') if analysis.stem_cache(s).loaded])\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(index)], capture_output=True, text=True, timeout=60).stdout
    assert "[cranes] were [condemned]" in out
    assert "HEAVY [] STEMMERS []" in out  # every word came from the saved table; Whoosh's queries unused
    syntax = probe.replace("'condemned cranes',", "'condemned cranes', '--syntax',")
    out = subprocess.run([sys.executable, "-c", syntax, str(index)], capture_output=True, text=True, timeout=60).stdout
    assert "whoosh.qparser" in out and "nltk" not in out  # syntax queries are parsed by Whoosh
