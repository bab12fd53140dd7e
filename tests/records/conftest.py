"""Fixtures for the records tests (helpers in recordstools.py)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from records.recordstools import PASSWORD, Client, _drop_schema, _postgres_engine, client, sign_in

from oversight.records import auth, db
from oversight.records.models import Role
from oversight.records.web import RecordsSettings, create_user


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its lowest cost: the tests log in hundreds of times (test_auth checks the real one)."""
    monkeypatch.setattr(auth, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """An empty records database (not migrated) on each engine."""
    if request.param == "sqlite":
        e = db.make_engine(f"sqlite:///{tmp_path / 'records.sqlite'}")
        yield e
        e.dispose()
        return
    schema = "t_" + re.sub(r"\W", "_", request.node.name.lower())[:40] + "_" + secrets.token_hex(4)
    e = _postgres_engine(schema)
    yield e
    e.dispose()
    _drop_schema(schema)


@pytest.fixture
def records(engine: Any) -> db.Records:
    db.upgrade(engine)
    return db.Records(engine=engine)


@pytest.fixture
def people(records: db.Records) -> dict[str, int]:
    """One account per role: user name = role, all with PASSWORD. Returns role -> user id."""
    ids = {}
    with records.session("test set-up") as session:
        for role in Role:
            ids[role.value] = create_user(session, role.value, f"Test {role.value}", role.value, PASSWORD).id
    return ids


@pytest.fixture
def app(records: db.Records, tmp_path: Path) -> Any:
    from oversight.web import create_app

    settings = RecordsSettings(secret_key=b"test-secret-key", login_attempts=5)
    return create_app(tmp_path / "no-warehouse.duckdb", warm=False, records=records, records_settings=settings)


@pytest.fixture
def as_role(app: Any, people: dict[str, int]) -> Iterator[dict[str, Client]]:
    """A client per role, signed in (anonymous: only the login page's session)."""
    clients = {"anonymous": client(app)}
    clients["anonymous"].get("/records/login")
    for role in Role:
        clients[role.value] = sign_in(app, role.value)
    yield clients
    for c in clients.values():
        c.close()
