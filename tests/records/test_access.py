"""The access-control matrix: every records route × every role, anonymous included.

POLICY below is the access policy written out by hand, route by route; the test checks that the
service's rules say the same and that the running app enforces them on every route."""

from __future__ import annotations

import re
from typing import Any

import pytest
from records.recordstools import ROLES, csrf_of

from oversight.records import access

A, C, V, N, R, ANON = "administrator", "coordinator", "visitor", "analyst", "reviewer", "anonymous"
M, P = "commissioner", "provider"
EVERYONE = {ANON, A, C, V, N, R, M, P}
SIGNED_IN = {A, C, V, N, R, M, P}

POLICY: dict[tuple[str, str], set[str]] = {
    ("GET", "/records/login"): EVERYONE,
    ("POST", "/records/login"): EVERYONE,
    ("POST", "/records/logout"): SIGNED_IN,
    ("GET", "/records/"): SIGNED_IN,
    ("GET", "/records/account/"): SIGNED_IN,
    ("GET", "/records/account/export.json"): SIGNED_IN,
    ("POST", "/records/account/password"): SIGNED_IN,
    ("GET", "/records/users/"): {A},
    ("POST", "/records/users/"): {A},
    ("POST", "/records/users/{user_id}/active"): {A},
    ("GET", "/records/audit/"): {A},
    # custody visiting
    ("GET", "/records/panels/"): {A, C, N},
    ("POST", "/records/panels/"): {A, C},
    ("GET", "/records/panels/{panel_id}"): {A, C, N},
    ("POST", "/records/panels/{panel_id}/members"): {A, C},
    ("POST", "/records/panels/{panel_id}/rules"): {A, C},
    ("POST", "/records/panels/{panel_id}/suites"): {A, C},
    ("POST", "/records/suites/{suite_id}/status"): {A, C},
    ("POST", "/records/panels/{panel_id}/rota"): {A, C},
    ("POST", "/records/panels/{panel_id}/rota/publish"): {A, C},
    ("GET", "/records/visits/"): {A, C, V, N},
    ("GET", "/records/visits/{visit_id}"): {A, C, V, N},
    ("GET", "/records/visits/{visit_id}/report"): {A, C, V},
    ("POST", "/records/visits/{visit_id}/report"): {A, C, V},
    ("POST", "/records/visits/{visit_id}/status"): {A, C},
    ("GET", "/records/issues/"): {A, C, N},
    ("POST", "/records/issues/{issue_id}/escalate"): {A, C},
    ("POST", "/records/issues/{issue_id}/response"): {A, C},
    ("POST", "/records/issues/{issue_id}/close"): {A, C},
    ("GET", "/records/statistics/"): {A, C, N},
    ("GET", "/records/statistics/partner.csv"): {A, C, N},
    # complaint reviews: the cases for reviewers and administrators, the figures for the analyst too
    ("GET", "/records/complaints/"): {A, R},
    ("POST", "/records/complaints/"): {A, R},
    ("GET", "/records/complaints/new"): {A, R},
    ("GET", "/records/complaints/{case_id}"): {A, R},
    ("POST", "/records/complaints/{case_id}"): {A, R},
    ("GET", "/records/complaints/{case_id}/edit"): {A, R},
    ("GET", "/records/complaints/statistics/"): {A, R, N},
    ("GET", "/records/complaints/statistics/partner.csv"): {A, R, N},
    # commissioning and grants
    ("GET", "/records/grants/"): {A, M, N, P},
    ("POST", "/records/grants/import"): {A, M},
    ("GET", "/records/grants/providers/"): {A, M},
    ("POST", "/records/grants/providers/{provider_id}/members"): {A, M},
    ("GET", "/records/grants/returns/"): {A, M, N, P},
    ("GET", "/records/grants/{grant_id}"): {A, M, N, P},
    ("GET", "/records/grants/{grant_id}/returns/{quarter}"): {A, M, N, P},
    ("POST", "/records/grants/{grant_id}/returns/{quarter}"): {P},
    ("POST", "/records/grants/returns/{return_id}/sign-off"): {A, M},
    ("POST", "/records/grants/returns/{return_id}/send-back"): {A, M},
    ("GET", "/records/grants/update/"): EVERYONE,
    ("GET", "/records/grants/update/{quarter}"): EVERYONE,
    ("GET", "/records/grants/update/{quarter}/spend.csv"): EVERYONE,
    ("GET", "/records/grants/update/{quarter}/measures.csv"): EVERYONE,
    ("GET", "/records/grants/update/{quarter}/update.json"): EVERYONE,
    ("GET", "/records/grants/update/{quarter}/update.pdf"): EVERYONE,
    ("POST", "/records/grants/update/{quarter}/publish"): {A, M},
}


def _flat(routes: list[Any]) -> list[Any]:
    """Routes as mounted, routers included in routers opened up."""
    out = []
    for r in routes:
        inner = getattr(r, "original_router", None)
        out.extend(_flat(inner.routes) if inner is not None else [r])
    return out


def records_routes(app: Any) -> list[tuple[str, str]]:
    found = []
    for r in _flat(app.routes):
        path = getattr(r, "path", "")
        if path.startswith("/records"):
            found.extend((m, path) for m in sorted(r.methods) if m != "HEAD")
    return sorted(found)


def test_every_route_has_a_rule_and_the_rules_are_the_policy(app):
    routes = records_routes(app)
    assert routes, "no records routes mounted"
    assert set(routes) == set(POLICY), "a route was added or removed: write its row in POLICY"
    for key, roles in POLICY.items():
        assert set(access.RULES[key]) == roles, key


def test_a_route_without_a_rule_is_refused(app, as_role):
    from fastapi import Request

    def unruled(request: Request) -> str:
        return "should never be seen"

    from oversight.records.web import Gate

    app.router.add_api_route("/records/unruled", unruled, methods=["GET"], dependencies=[Gate])
    try:
        answer = as_role[A].get("/records/unruled")
        assert answer.status_code == 403
        assert "should never be seen" not in answer.text
    finally:
        app.router.routes.pop()


def _fill(path: str, ids: dict[str, int]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)


@pytest.mark.parametrize("role", ROLES)
def test_matrix(app, as_role, people, world, grants_world, role):
    """Each role calls every route: allowed ones do not refuse; the others refuse."""
    ids = {"user_id": people[V], "panel_id": world["panel_a"], "suite_id": world["suite_a"],
           "visit_id": world["visit_a_open"], "issue_id": world["issue_a"], "grant_id": grants_world["grant_id"],
           "quarter": grants_world["quarter"], "return_id": grants_world["return_id"],
           "provider_id": grants_world["provider_id"], "case_id": world["case"]}
    c = as_role[role]
    csrf = csrf_of(c.get("/records/login")) if role == ANON else csrf_of(c.get("/records/account/"))
    for method, template in records_routes(app):
        if (method, template) == ("POST", "/records/logout"):
            continue  # last, below: it ends the session the other calls use
        url = _fill(template, ids)
        answer = c.request(method, url, data={"csrf_token": csrf} if method == "POST" else None)
        refused = answer.status_code in (401, 403) or (
            answer.status_code == 303 and answer.headers["location"].startswith("/records/login?"))
        allowed = role in POLICY[(method, template)]
        assert refused != allowed, f"{role} {method} {url}: {answer.status_code} {answer.text[:200]}"
        if not allowed and role == ANON and method == "GET":
            assert answer.status_code == 303, "the public is sent to sign in"
        if not allowed and role != ANON:
            assert answer.status_code == 403
    answer = c.post("/records/logout", data={"csrf_token": csrf})
    assert (answer.status_code == 303) == (role in POLICY[("POST", "/records/logout")])
