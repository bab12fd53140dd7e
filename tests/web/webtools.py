"""Helpers shared by the web tests (imported as `web.webtools`; conftest only holds fixtures)."""

from __future__ import annotations

import functools
import socket
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "data" / "default"
ARTIFACTS = Path(__file__).parent / "artifacts"
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


class Client:
    """A synchronous client for the app, in-process: httpx over ASGI, run in a blocking portal."""

    def __init__(self, app: Any) -> None:
        self._portal_cm = anyio.from_thread.start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._portal.call(functools.partial(self._client.get, url, **kwargs))

    def head(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._portal.call(functools.partial(self._client.head, url, **kwargs))

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._portal.call(functools.partial(self._client.post, url, **kwargs))

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._portal.call(functools.partial(self._client.request, method.upper(), url, **kwargs))

    def close(self) -> None:
        self._portal.call(self._client.aclose)
        self._portal_cm.__exit__(None, None, None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def assert_api_error(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """The one error shape of the API: {"ok": false, "error": {"path", "row", "field", "reason"}}."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["ok"] is False
    assert set(body["error"]) == {"path", "row", "field", "reason"}
    assert body["error"]["reason"]
    if field is not None:
        assert body["error"]["field"] == field
    return body
