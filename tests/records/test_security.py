"""Probes that must fail: CSRF, session fixation, SQL injection, open redirects, brute force; and
the cookie's flags, and that one person's page is never replayed to another."""

from __future__ import annotations

import pytest
from records.recordstools import PASSWORD, client, csrf_of, sign_in
from sqlalchemy import func, select

from oversight.records.models import AuditEntry, Role, User
from oversight.records.web import COOKIE, RecordsSettings


def _user_count(records) -> int:
    with records.session() as s:
        return s.scalar(select(func.count()).select_from(User))


NEW_USER = {"username": "newperson", "display_name": "New Person", "role": "visitor",
            "password": "a long enough password"}


def test_csrf_a_form_without_its_token_or_with_another_sessions_token_changes_nothing(app, records, people):
    admin = sign_in(app, "administrator")
    other = sign_in(app, "coordinator")
    before = _user_count(records)
    for token in (None, "", "0" * 64, csrf_of(other.get("/records/account/"))):
        data = dict(NEW_USER, **({"csrf_token": token} if token is not None else {}))
        answer = admin.post("/records/users/", data=data)
        assert answer.status_code == 403, token
        assert "did not come from this site" in answer.text
    assert _user_count(records) == before
    # The same form with the page's own token works.
    answer = admin.post("/records/users/", data=dict(NEW_USER, csrf_token=csrf_of(admin.get("/records/users/"))))
    assert answer.status_code == 303
    assert _user_count(records) == before + 1


def test_csrf_a_post_from_another_origin_is_refused_even_with_a_token(app, records, people):
    admin = sign_in(app, "administrator")
    token = csrf_of(admin.get("/records/users/"))
    answer = admin.post("/records/users/", data=dict(NEW_USER, csrf_token=token),
                        headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403
    answer = admin.post("/records/users/", data=dict(NEW_USER, csrf_token=token),
                        headers={"Origin": "https://testserver"})
    assert answer.status_code == 303


def test_session_id_rotates_at_login_and_the_planted_one_is_worthless(app, people):
    attacker = client(app)
    attacker.get("/records/login")
    planted = attacker.cookies[COOKIE]
    victim = client(app)
    victim.cookies.set(COOKIE, planted, domain="testserver")  # the attacker fixes the victim's session id
    form = victim.get("/records/login")
    answer = victim.post("/records/login", data={"username": "administrator", "password": PASSWORD,
                                                 "csrf_token": csrf_of(form), "next": "/records/users/"})
    assert answer.status_code == 303
    after = answer.cookies[COOKIE]
    assert after != planted
    # The attacker's copy of the old id is not signed in.
    assert attacker.get("/records/users/").status_code == 303
    assert victim.get("/records/users/").status_code == 200


def test_logout_ends_the_session_on_the_server(app, people):
    c = sign_in(app, "analyst")
    token = c.cookies[COOKIE]
    c.post("/records/logout", data={"csrf_token": csrf_of(c.get("/records/account/"))})
    replay = client(app)
    replay.cookies.set(COOKIE, token, domain="testserver")
    assert replay.get("/records/account/").status_code == 303


def test_session_cookie_is_httponly_secure_and_samesite(app, people):
    c = client(app)
    answer = c.get("/records/login")
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie and "path=/records/" in cookie
    assert answer.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("username", ["' OR '1'='1", "administrator' --", "administrator'; DROP TABLE user_account; --",
                                      '" OR ""="'])
def test_sql_injection_in_the_login_form_signs_nobody_in(app, records, people, username):
    c = client(app)
    answer = c.post("/records/login", data={"username": username, "password": "' OR '1'='1",
                                            "csrf_token": csrf_of(c.get("/records/login"))})
    assert answer.status_code == 422
    assert c.get("/records/account/").status_code == 303
    assert _user_count(records) == len(Role)  # the table is still there, with its rows


def test_sql_injection_in_a_query_parameter_and_a_form_field_is_data(app, records, people):
    admin = sign_in(app, "administrator")
    answer = admin.get("/records/audit/", params={"table": "x' OR '1'='1"})
    assert answer.status_code == 200
    assert "<tbody>\n  </tbody>" in answer.text  # matched nothing, rather than everything
    name = "Robert'); DROP TABLE user_account;--"
    answer = admin.post("/records/users/", data=dict(NEW_USER, display_name=name,
                                                     csrf_token=csrf_of(admin.get("/records/users/"))))
    assert answer.status_code == 303
    with records.session() as s:
        assert s.scalar(select(User.display_name).where(User.username == "newperson")) == name


def test_login_is_rate_limited_per_user_name(app, people):
    c = client(app)
    for _ in range(5):
        answer = c.post("/records/login", data={"username": "coordinator", "password": "wrong password!",
                                                "csrf_token": csrf_of(c.get("/records/login"))})
        assert answer.status_code == 422
    # The sixth, even with the right password, is refused.
    answer = c.post("/records/login", data={"username": "coordinator", "password": PASSWORD,
                                            "csrf_token": csrf_of(c.get("/records/login"))})
    assert answer.status_code == 429
    assert "Too many failed attempts" in answer.text


def test_next_never_leads_off_the_site(app, people):
    for target in ("https://evil.example/", "//evil.example/records/", "/records/\\evil", "/elsewhere/"):
        c = client(app)
        answer = c.post("/records/login", data={"username": "visitor", "password": PASSWORD, "next": target,
                                                "csrf_token": csrf_of(c.get("/records/login"))})
        assert answer.headers["location"] == "/records/", target


def test_a_page_for_one_person_is_never_replayed_to_another(records, people, tmp_path):
    """The site replays a page already sent for the same address (web.traffic); never a records page."""
    from oversight.warehouse import connect
    from oversight.warehouse.snapshot import publish_snapshot
    from oversight.web import create_app

    warehouse = tmp_path / "published.duckdb"
    connect(warehouse).close()
    publish_snapshot(warehouse)  # a published snapshot, so the replay layer is at work
    app = create_app(warehouse, warm=False, records=records,
                     records_settings=RecordsSettings(secret_key=b"k"))
    for role in ("administrator", "visitor", "analyst"):
        page = sign_in(app, role).get("/records/account/")
        assert f"<dd>{role}</dd>" in page.text


def test_a_deactivated_account_loses_its_sessions(app, people):
    visitor = sign_in(app, "visitor")
    admin = sign_in(app, "administrator")
    answer = admin.post(f"/records/users/{people['visitor']}/active",
                        data={"active": "0", "csrf_token": csrf_of(admin.get("/records/users/"))})
    assert answer.status_code == 303
    assert visitor.get("/records/account/").status_code == 303
    c = client(app)
    answer = c.post("/records/login", data={"username": "visitor", "password": PASSWORD,
                                            "csrf_token": csrf_of(c.get("/records/login"))})
    assert answer.status_code == 422


def test_password_change_ends_other_sessions(app, people):
    phone, laptop = sign_in(app, "analyst"), sign_in(app, "analyst")
    answer = laptop.post("/records/account/password", data={
        "current": PASSWORD, "new": "a brand new passphrase", "again": "a brand new passphrase",
        "csrf_token": csrf_of(laptop.get("/records/account/"))})
    assert answer.status_code == 303
    assert laptop.get("/records/account/").status_code == 200
    assert phone.get("/records/account/").status_code == 303
    sign_in(app, "analyst", "a brand new passphrase")


def test_own_data_export_holds_the_account_and_actions_and_no_password(app, records, people):
    c = sign_in(app, "coordinator")
    answer = c.get("/records/account/export.json")
    assert answer.status_code == 200
    data = answer.json()
    assert data["account"]["username"] == "coordinator"
    assert [a["action"] for a in data["actions"]] == ["update", "login"]  # last_login_at, then the login
    assert "argon2" not in answer.text and PASSWORD not in answer.text
    with records.session() as s:
        assert s.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)) == "export"
