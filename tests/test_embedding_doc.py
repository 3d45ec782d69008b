"""Every Python example in docs/EMBEDDING.md runs as written, against the bundled corpus."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from pathlib import Path

import pytest

import searchkit

DOC = Path(__file__).resolve().parent.parent / "docs" / "EMBEDDING.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
#: The address the examples use for a running `searchkit serve`.
DOC_SERVER = "http://127.0.0.1:8000"


def test_the_doc_has_examples_for_each_way() -> None:
    text = "\n".join(BLOCKS)
    for needle in ("urllib.request", "searchkit.server", "adapters.langchain", "adapters.llamaindex", "stdio_client"):
        assert needle in text


def test_the_mcp_configuration_starts_the_mcp_command() -> None:
    import json

    from click.testing import CliRunner

    from searchkit.cli import main

    (config,) = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    server = json.loads(config)["mcpServers"]["searchkit"]
    assert server["command"] == "searchkit"
    assert CliRunner().invoke(main, [*server["args"], "--help"]).exit_code == 0


@pytest.mark.parametrize("number", range(len(BLOCKS)), ids=lambda n: f"block{n + 1}")
def test_example_runs(number: int, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = BLOCKS[number]
    for module in re.findall(r"^from (\w+)", code, re.M):
        if module not in ("searchkit", "json", "urllib", "asyncio"):
            pytest.importorskip(module)
    searchkit.build_index(corpus, tmp_path / "index")
    monkeypatch.chdir(tmp_path)  # the examples name "corpus" and "index" relative to here
    # The MCP example starts the `searchkit` command: the one installed beside this Python.
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if "llama_index" in code:  # an example may set LlamaIndex's global LLM: put it back afterwards
        from llama_index.core import Settings

        monkeypatch.setattr(Settings, "_llm", Settings._llm)
    out = io.StringIO()
    with contextlib.ExitStack() as stack:
        if DOC_SERVER in code:
            pytest.importorskip("starlette")
            from searchkit.server import create_app
            from serving import live_server

            base = stack.enter_context(live_server(create_app("index", "corpus")))
            code = code.replace(DOC_SERVER, base)
        stack.enter_context(contextlib.redirect_stdout(out))
        exec(compile(code, f"{DOC.name} python block {number + 1}", "exec"), {"__name__": "__doc_example__"})
    if "print(" in code:
        assert out.getvalue().strip()
