"""Helpers shared by the web tests (imported as `web.webtools`; conftest only holds fixtures)."""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "data" / "default"
ARTIFACTS = Path(__file__).parent / "artifacts"
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
# --disable-dev-shm-usage: a container's /dev/shm is often too small for a full-page screenshot.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-dev-shm-usage"]
# Limits for the browser's waits, generous for a slow or busy machine: every wait is for an event
# (a load, a selector, a condition) and ends as soon as it happens, so a long limit costs nothing.
BROWSER_TIMEOUT_MS = 90_000
SCREENSHOT_TIMEOUT_MS = 60_000


def screenshot(page: Any, path: Path) -> None:
    """A full-page screenshot, tried a second time when the first runs out of time (a busy machine
    can take long to capture a tall page of charts); a second time-out fails the test."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in (1, 2):
        try:
            page.screenshot(path=str(path), full_page=True, animations="disabled", timeout=SCREENSHOT_TIMEOUT_MS)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.wait_for_load_state("load")


def load_per_core() -> float:
    """The one-minute load average per core: above 1, runnable jobs are queueing for the cores."""
    return os.getloadavg()[0] / (os.cpu_count() or 1)


def timing_budget_ms(idle_budget_ms: float, load: float) -> float:
    """A time limit met on a machine with cores to spare, stretched on a busy machine by the share
    of the cores the test gets (a load of 3.5 per core leaves it about 1/3.5 of a core)."""
    return idle_budget_ms * max(1.0, load)


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


@contextlib.contextmanager
def served(app: Any, name: str = "localhost") -> Iterator[str]:
    """The app served by uvicorn in a thread on a free port, as its base address with the host `name`
    (localhost, a secure context, keeps the records' Secure cookie)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://{name}:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def signed_in(browser: Any, base: str, username: str | None, password: str, width: int) -> Any:
    """A new page at the given width, signed in to the records as `username` (None: the public), whose
    console errors collect in `page.problems`."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    if username:
        page.goto(base + "/records/login")
        page.fill("#f-username", username)
        page.fill("#f-password", password)
        page.click("button:has-text('Sign in')")
        page.wait_for_url(base + "/records/")
    return page


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
