"""Helpers for the records tests: a migrated records database on SQLite and on PostgreSQL (each
test its own file or schema), the site with it, signed-in clients for every role.

PostgreSQL tests use OVERSIGHT_TEST_POSTGRES_URL when it is set (`.ci/run` starts Debian's PostgreSQL
and sets it); otherwise they start a throwaway server from Debian's `postgresql` package in a temporary
folder, and fail, saying so, when the package is not installed."""

from __future__ import annotations

import atexit
import functools
import glob
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
from typing import Any

import anyio.from_thread
import httpx
import pytest
from sqlalchemy import create_engine, text

from oversight.records.models import Role

POSTGRES_ENV = "OVERSIGHT_TEST_POSTGRES_URL"
PASSWORD = "correct horse battery staple"
ROLES = ("anonymous", *[r.value for r in Role])
BASE = "https://testserver"
GRANTS_EXAMPLE = pathlib.Path(__file__).parents[2] / "data" / "examples" / "grants_register_INVENTED.csv"
"""The invented example grants register (its totals by priority are MOPAC's 2015/16 split)."""




@functools.cache
def postgres_url() -> str:
    """The test database: $OVERSIGHT_TEST_POSTGRES_URL, else a throwaway server on a Unix socket."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail(f"PostgreSQL tests need Debian's postgresql package or {POSTGRES_ENV} (a database URL)")
    bindir = pathlib.Path(found[-1]).parent
    folder = pathlib.Path(tempfile.mkdtemp(prefix="oversight-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        shutil.chown(folder, "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    subprocess.run([*as_owner, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "oversight_test"],
                   check=True, capture_output=True)
    subprocess.run([*as_owner, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "log"),
                    "-o", f"-k {folder} -c listen_addresses=''", "start"], check=True, capture_output=True)
    atexit.register(subprocess.run, [*as_owner, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                    capture_output=True)
    return f"postgresql+psycopg://oversight_test@/postgres?host={folder}"


def _postgres_engine(schema: str) -> Any:
    url = postgres_url()
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return create_engine(url, connect_args={"options": f"-csearch_path={schema}"})


def _drop_schema(schema: str) -> None:
    admin = create_engine(postgres_url())
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()



class Client:
    """An in-process client over HTTPS (the session cookie is Secure), keeping cookies, not following redirects."""

    def __init__(self, app: Any) -> None:
        self._portal_cm = anyio.from_thread.start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)

    @property
    def cookies(self) -> httpx.Cookies:
        return self.http.cookies

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._portal.call(functools.partial(self.http.request, method.upper(), url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self._portal.call(self.http.aclose)
        self._portal_cm.__exit__(None, None, None)


def client(app: Any) -> Client:
    return Client(app)


def csrf_of(response: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', response.text)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(app: Any, username: str, password: str = PASSWORD) -> Client:
    c = client(app)
    form = c.get("/records/login")
    answer = c.post("/records/login", data={"username": username, "password": password,
                                            "csrf_token": csrf_of(form), "next": "/records/"})
    assert answer.status_code == 303, answer.text[:500]
    return c


