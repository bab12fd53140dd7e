"""Fixtures for the records tests (helpers in recordstools.py)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from records.recordstools import GRANTS_EXAMPLE, PASSWORD, Client, _drop_schema, _postgres_engine, client, sign_in
from sqlalchemy import select

from oversight.records import auth, db
from oversight.records.models import Role, User
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


@pytest.fixture
def world(records: db.Records, people: dict[str, int]) -> dict[str, int]:
    """Two panels, each with a suite, two visitors and a published visit in June 2025; panel A's
    visit has a filed report with one issue. The role 'visitor' is on panel A. Returns ids."""
    import datetime as dt

    from oversight.records.custody import service
    from oversight.records.custody.models import Panel, PanelMember, Suite, Visit

    with records.session("test set-up") as s:
        ids: dict[str, int] = {}
        for key in ("a", "b"):
            panel = Panel(name=f"Panel {key.upper()}", area="", visits_per_suite=2, active=True)
            s.add(panel)
            s.flush()
            suite = Suite(name=f"Suite {key.upper()}", panel_id=panel.id, status="open", status_note="")
            s.add(suite)
            second = create_user(s, f"visitor-{key}2", f"Visitor {key.upper()}2", "visitor", PASSWORD)
            first = people["visitor"] if key == "a" else create_user(s, f"visitor-{key}1", f"Visitor {key.upper()}1",
                                                                     "visitor", PASSWORD).id
            s.add_all([PanelMember(panel_id=panel.id, user_id=first),
                       PanelMember(panel_id=panel.id, user_id=second.id)])
            s.flush()
            visit = Visit(panel_id=panel.id, suite_id=suite.id, visit_date=dt.date(2025, 6, 10), day_part="evening",
                          status="scheduled", published=True, first_visitor_id=first, second_visitor_id=second.id)
            s.add(visit)
            s.flush()
            ids.update({f"panel_{key}": panel.id, f"suite_{key}": suite.id, f"visit_{key}": visit.id})
        visit_a = s.get(Visit, ids["visit_a"])
        form = service.check_report({"time_in": "18:05", "time_out": "19:20", "held": "9", "not_available": "3",
                                     "declined": "2", "interviewed": "4", "reason_asleep": "3",
                                     "issue_1_category": "food", "issue_1_severity": "medium",
                                     "issue_1_description": "No hot meal offered since the morning."})
        assert not form.errors, form.errors
        report = service.file_report(s, visit_a, form, s.get(User, people["visitor"]))
        ids["issue_a"] = report.issues[0].id
        # An unreported, later visit on panel A, for the report form.
        later = Visit(panel_id=ids["panel_a"], suite_id=ids["suite_a"], visit_date=dt.date(2025, 6, 20),
                      day_part="morning", status="scheduled", published=True, first_visitor_id=people["visitor"],
                      second_visitor_id=first)
        s.add(later)
        s.flush()
        ids["visit_a_open"] = later.id
        # A complaint review case, decided.
        from oversight.records.complaints.models import ComplaintCase

        case = ComplaintCase(reference="CR-2025-0001", kind="review", force_reference="CO/00001/25",
                             received_on=dt.date(2025, 3, 3), allocated_on=dt.date(2025, 3, 10),
                             reviewer_id=people["reviewer"], decided_on=dt.date(2025, 4, 20), decision="not_upheld",
                             recommendation="", reduced=False)
        s.add(case)
        s.flush()
        ids["case"] = case.id
    return ids


@pytest.fixture
def grants_world(records: db.Records, people: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The invented example register loaded by the commissioner; the role 'provider' reports for Example
    Youth Trust (EX-005, EX-006), a second provider account for Example Mentoring Trust (EX-003). EX-005
    has a submitted return for 2026/27 Q1 and that quarter's update is published. Today is 15 Nov 2026."""
    import datetime as dt

    from oversight.records.grants import register, service, update
    from oversight.records.grants import web as grants_web
    from oversight.records.grants.models import Grant, Provider, ProviderMember, Publication

    today = dt.date(2026, 11, 15)
    monkeypatch.setattr(grants_web, "today", lambda: today)
    with records.session("test set-up") as s:
        commissioner = s.get(User, people["commissioner"])
    with records.session(commissioner) as s:
        register.load_file(s, GRANTS_EXAMPLE)
        youth = s.scalar(select(Provider).where(Provider.name == "Example Youth Trust (invented)"))
        mentoring = s.scalar(select(Provider).where(Provider.name == "Example Mentoring Trust (invented)"))
        other = create_user(s, "provider-b", "Provider B", "provider", PASSWORD)
        s.add_all([ProviderMember(provider_id=youth.id, user_id=people["provider"]),
                   ProviderMember(provider_id=mentoring.id, user_id=other.id)])
        grants = {g.reference: g for g in s.scalars(select(Grant)).all()}
        ex5 = grants["EX-005"]
        quarter = dt.date(2026, 4, 1)
        values = {"referrals": "130", "people_supported": "118", "spend": "400000.06", "narrative": "Started.",
                  **{f"measure_{m.id}": "240" for m in ex5.measures}}
        form = service.check_return(ex5, values)
        assert not form.errors, form.errors
        provider_user = s.get(User, people["provider"])
        submitted = service.save_return(s, ex5, quarter, form, provider_user, True, today)
        s.add(Publication(quarter_start=quarter, published_by=commissioner.id,
                          figures=update.figures(s, quarter, today)))
        s.flush()
        return {"today": today, "quarter": "2026-04", "return_id": submitted.id, "provider_id": youth.id,
                "grant_id": ex5.id, "own_grants": [grants["EX-005"].id, grants["EX-006"].id],
                "other_grant": grants["EX-003"].id, "grants": {k: g.id for k, g in grants.items()},
                "other_provider": other.id}
