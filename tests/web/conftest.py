"""Fixtures for the web tests: one warehouse built from the bundled data for the whole session,
the app in-process (an httpx client over ASGI), a real uvicorn server on a free port for the
browser, and headless Chromium (Debian's, not Playwright's download)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from web.webtools import (
    ARTIFACTS,
    BROWSER_TIMEOUT_MS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Client,
    served,
)

from oversight.web import create_app


@pytest.fixture(scope="session")
def web_warehouse(bundled_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's bundled build, copied: serving tests write newer snapshots beside it."""
    path = tmp_path_factory.mktemp("web") / "warehouse.duckdb"
    shutil.copyfile(bundled_built, path)
    return path


@pytest.fixture(scope="session")
def app(web_warehouse: Path) -> Any:
    return create_app(web_warehouse, warm=False)


@pytest.fixture(scope="session")
def client(app: Any) -> Iterator[Client]:
    c = Client(app)
    yield c
    c.close()


@pytest.fixture(scope="session")
def live_server(web_warehouse: Path) -> Iterator[str]:
    """A real uvicorn server in a thread, warmed like `oversight serve`; yields its base URL."""
    with served(create_app(web_warehouse), "127.0.0.1") as base:
        # Let the warm-up build the default pages, as after `oversight serve` has been up a moment.
        httpx.get(base + "/", timeout=60)
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "install Debian's chromium: apt-get install -y chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=BROWSER_TIMEOUT_MS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots land here (git-ignored) for people to look at."""
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS
