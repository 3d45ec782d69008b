"""Helpers for the front-end tests: a real uvicorn server on a free loopback port, and a small HTTP client."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from typing import Any, Iterator


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1 (a port the OS picks); yields the base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):  # at most 10 s
            if server.started or not thread.is_alive():
                break
            time.sleep(0.02)
        assert server.started, "the server did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def get(url: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one request (error statuses are returned, not raised)."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def get_json(url: str) -> tuple[int, Any]:
    status, _, body = get(url)
    return status, json.loads(body)


def wait_until_up(url: str, seconds: float = 30.0) -> None:
    """Poll ``url`` until it answers 200, for a server started in another process."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@contextmanager
def api(index: Any, corpus: Any) -> Iterator[Any]:
    """The HTTP API of ``index`` served live, as ``call(path, **params) -> (status, JSON)``;
    the test is skipped without the server extra."""
    import urllib.parse

    import pytest

    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    from searchkit.server import create_app

    with live_server(create_app(index, corpus)) as base:
        yield lambda path, **params: get_json(base + path + "?" + urllib.parse.urlencode(params))


def schema_validator(name: str) -> Any:
    """A validator of the OpenAPI component schema ``name`` (skips the test without jsonschema)."""
    import pytest

    jsonschema = pytest.importorskip("jsonschema")

    from searchkit.server import openapi

    spec = openapi()
    return jsonschema.Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": spec["components"]})
