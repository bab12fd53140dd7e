"""Helpers for the records tests: a migrated records database on SQLite and on PostgreSQL (each
test its own file or schema), the site with it, signed-in clients for every role.

PostgreSQL tests need OVERSIGHT_TEST_POSTGRES_URL (`.ci/run` starts Debian's PostgreSQL and sets it);
without it they are skipped, saying so."""

from __future__ import annotations

import functools
import os
import re
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




def _postgres_engine(schema: str) -> Any:

    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (a database URL); .ci/run sets it")
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return create_engine(url, connect_args={"options": f"-csearch_path={schema}"})


def _drop_schema(schema: str) -> None:
    admin = create_engine(os.environ[POSTGRES_ENV])
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


