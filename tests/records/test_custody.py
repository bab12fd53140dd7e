"""Custody visiting through its pages: a coordinator sets up a panel and publishes a rota, a visitor
files a report on a phone, issues go to the police and back; and a visitor never reaches another
panel's visits by changing an id (IDOR)."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from records.recordstools import csrf_of, sign_in
from sqlalchemy import func, select

from oversight.records.custody import rota, service
from oversight.records.custody.models import Issue, Panel, PanelMember, Suite, Visit, VisitReport
from oversight.records.models import User

REPORT = {"time_in": "21:40", "time_out": "23:05", "held": "12", "not_available": "5", "declined": "2",
          "interviewed": "5", "reason_asleep": "3", "reason_in_interview": "2",
          "issue_1_category": "cell_conditions", "issue_1_severity": "high",
          "issue_1_description": "Cell 4 too cold; blanket not offered."}


def _reports(records) -> int:
    with records.session() as s:
        return s.scalar(select(func.count()).select_from(VisitReport))


# --- IDOR -------------------------------------------------------------------------------------------------------------

def test_a_visitor_cannot_reach_another_panels_visit_by_its_id(app, records, world):
    visitor = sign_in(app, "visitor")  # on panel A
    other = world["visit_b"]
    assert visitor.get(f"/records/visits/{world['visit_a']}").status_code == 200
    for url in (f"/records/visits/{other}", f"/records/visits/{other}/report"):
        answer = visitor.get(url)
        assert answer.status_code == 404, url
        assert "Suite B" not in answer.text
    # A visit that does not exist answers the same: ids reveal nothing.
    assert visitor.get("/records/visits/99999").status_code == 404
    before = _reports(records)
    token = csrf_of(visitor.get("/records/account/"))
    answer = visitor.post(f"/records/visits/{other}/report", data=dict(REPORT, csrf_token=token))
    assert answer.status_code == 404
    assert _reports(records) == before
    listing = visitor.get("/records/visits/").text
    assert "Suite A" in listing and "Suite B" not in listing


def test_a_visitor_does_not_see_a_draft_rota(app, records, world):
    with records.session("test") as s:
        s.get(Visit, world["visit_a_open"]).published = False
    visitor = sign_in(app, "visitor")
    assert visitor.get(f"/records/visits/{world['visit_a_open']}").status_code == 404
    assert sign_in(app, "coordinator").get(f"/records/visits/{world['visit_a_open']}").status_code == 200


# --- a visitor files a report -----------------------------------------------------------------------------------------

def test_a_visitor_files_a_report_and_it_is_stored_as_counts(app, records, world, people):
    visitor = sign_in(app, "visitor")
    url = f"/records/visits/{world['visit_a_open']}/report"
    form = visitor.get(url)
    assert form.status_code == 200 and 'inputmode="numeric"' in form.text
    answer = visitor.post(url, data=dict(REPORT, csrf_token=csrf_of(form)))
    assert answer.status_code == 303, answer.text[:300]
    with records.session() as s:
        report = s.scalar(select(VisitReport).where(VisitReport.visit_id == world["visit_a_open"]))
        assert (report.held, report.not_available, report.declined, report.interviewed) == (12, 5, 2, 5)
        assert report.time_in == dt.time(21, 40) and report.filed_by == people["visitor"]
        assert {r.reason: r.count for r in report.reasons} == {"asleep": 3, "in_interview": 2}
        assert [(i.category, i.severity, i.status) for i in report.issues] == [("cell_conditions", "high", "open")]
        assert s.get(Visit, world["visit_a_open"]).status == "made"
    # A second report for the same visit is refused.
    again = visitor.post(url, data=dict(REPORT, csrf_token=csrf_of(form)))
    assert again.status_code == 409 and _reports(records) == 2


@pytest.mark.parametrize(("change", "message"), [
    ({"held": "13"}, "must equal not available (5) + declined (2) + interviewed (5) = 12"),
    ({"reason_asleep": "1"}, "The reasons add up to 3; 5 detainees were not available"),
    ({"interviewed": "five"}, "Enter the number interviewed as a whole number"),
    ({"time_out": "25:00"}, "Enter the time you left as hours and minutes"),
    ({"time_out": "21:40"}, "The visit must last between a minute and 6 hours"),
    ({"issue_1_severity": ""}, "Choose how serious issue 1 is"),
    ({"issue_1_description": "Detainee 01/123456 in cell 4 too cold"}, "looks like a custody record"),
])
def test_a_report_that_does_not_add_up_is_sent_back_with_the_reason(app, records, world, change, message):
    visitor = sign_in(app, "visitor")
    url = f"/records/visits/{world['visit_a_open']}/report"
    answer = visitor.post(url, data=dict(REPORT, **change, csrf_token=csrf_of(visitor.get(url))))
    assert answer.status_code == 422
    assert "There is a problem" in answer.text and message in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert _reports(records) == 1  # only the fixture's


def test_a_report_crossing_midnight_is_accepted():
    form = service.check_report(dict(REPORT, time_in="23:30", time_out="00:45"))
    assert not form.errors


# --- the rota ---------------------------------------------------------------------------------------------------------

def _panel(records, visitors: int, suites: int, closed: int = 0, per_suite: int = 3) -> int:
    with records.session("test") as s:
        panel = Panel(name="Rota panel", area="", visits_per_suite=per_suite, active=True)
        s.add(panel)
        s.flush()
        for i in range(suites):
            s.add(Suite(name=f"S{i}", panel_id=panel.id, status="closed" if i < closed else "open", status_note=""))
        for i in range(visitors):
            user = User(username=f"v{i}", display_name=f"V{i}", role="visitor", password_hash="x", active=True)
            s.add(user)
            s.flush()
            s.add(PanelMember(panel_id=panel.id, user_id=user.id))
        return panel.id


def test_the_rota_keeps_the_rules(records):
    panel_id = _panel(records, visitors=6, suites=4, closed=1, per_suite=3)
    with records.session("test") as s:
        drawn = rota.draft(s, panel_id, dt.date(2025, 2, 1), random.Random(7))
    assert drawn.skipped == ["S0: closed"]
    assert len(drawn.visits) == 3 * 3
    by_suite: dict[int, list[Visit]] = {}
    for v in drawn.visits:
        by_suite.setdefault(v.suite_id, []).append(v)
        assert v.first_visitor_id != v.second_visitor_id  # pairs
        assert not v.published
    spans = rota.spans(rota.month_days(dt.date(2025, 2, 1)), 3)
    for visits in by_suite.values():
        visits.sort(key=lambda v: v.visit_date)
        assert [v.visit_date in span for v, span in zip(visits, spans, strict=True)] == [True] * 3  # spread
        for a, b in zip(visits, visits[1:], strict=False):
            assert a.day_part != b.day_part and a.visit_date.weekday() != b.visit_date.weekday()  # no fixed pattern
    for day in {v.visit_date for v in drawn.visits}:
        people = [p for v in drawn.visits if v.visit_date == day for p in (v.first_visitor_id, v.second_visitor_id)]
        assert len(people) == len(set(people)), "a visitor twice on one day"


def test_the_rota_differs_from_draw_to_draw_and_month_to_month(records):
    panel_id = _panel(records, visitors=4, suites=3)
    with records.session("test") as s:
        first = [(v.visit_date.day, v.day_part) for v in rota.draft(s, panel_id, dt.date(2025, 3, 1)).visits]
        second = [(v.visit_date.day, v.day_part) for v in rota.draft(s, panel_id, dt.date(2025, 3, 1)).visits]
        april = [(v.visit_date.day, v.day_part) for v in rota.draft(s, panel_id, dt.date(2025, 4, 1)).visits]
        assert s.scalar(select(func.count()).select_from(Visit)) == 18  # a redraw replaces the draft
    assert first != second and first != april


def test_a_rota_needs_a_pair_and_a_published_month_is_not_redrawn(records):
    panel_id = _panel(records, visitors=1, suites=1)
    with records.session("test") as s, pytest.raises(rota.RotaError, match="visits are made in pairs"):
        rota.draft(s, panel_id, dt.date(2025, 2, 1))
    with records.session("test") as s:
        s.add(PanelMember(panel_id=panel_id, user_id=create_visitor(s)))
    with records.session("test") as s:
        rota.draft(s, panel_id, dt.date(2025, 2, 1))
        assert rota.publish(s, panel_id, dt.date(2025, 2, 1)) == 3
    with records.session("test") as s, pytest.raises(rota.RotaError, match="is published"):
        rota.draft(s, panel_id, dt.date(2025, 2, 1))


def create_visitor(s) -> int:
    user = User(username="extra", display_name="Extra", role="visitor", password_hash="x", active=True)
    s.add(user)
    s.flush()
    return user.id


# --- a coordinator's day ----------------------------------------------------------------------------------------------

def test_a_coordinator_sets_up_a_panel_publishes_a_rota_and_follows_an_issue(app, records, world, people,
                                                                            monkeypatch):
    from oversight.records.custody import web as custody_web

    coordinator = sign_in(app, "coordinator")
    page = coordinator.get("/records/panels/")
    answer = coordinator.post("/records/panels/", data={"name": "North", "area": "Barnet, Enfield",
                                                        "csrf_token": csrf_of(page)})
    assert answer.status_code == 303
    panel_url = answer.headers["location"]
    token = csrf_of(coordinator.get(panel_url))
    for name in ("Colindale", "Enfield"):
        assert coordinator.post(panel_url + "/suites", data={"name": name, "cells": "20",
                                                             "csrf_token": token}).status_code == 303
    for username in ("visitor", "visitor-a2"):
        with records.session() as s:
            uid = s.scalar(select(User.id).where(User.username == username))
        assert coordinator.post(panel_url + "/members", data={"user_id": str(uid), "csrf_token": token}
                                ).status_code == 303
    assert coordinator.post(panel_url + "/rules", data={"visits_per_suite": "2", "csrf_token": token}
                            ).status_code == 303
    month = (dt.date.today().replace(day=1) + dt.timedelta(days=32)).strftime("%Y-%m")
    drawn = coordinator.post(panel_url + "/rota", data={"month": month, "csrf_token": token})
    assert drawn.status_code == 200 and "4 visits" in drawn.text and "(draft)" in drawn.text
    published = coordinator.post(panel_url + "/rota/publish", data={"month": month, "csrf_token": token})
    assert "Published 4 visits" in published.text
    # The visitor now sees those visits.
    visitor = sign_in(app, "visitor")
    assert "1 of your visits has no report yet" in visitor.get("/records/").text  # the fixture's 20 June 2025
    seen = visitor.get("/records/visits/").text
    assert seen.count("<td>Colindale</td>") == 4 and seen.count("<td>Enfield</td>") == 4  # theirs, and the panel's
    # The fixture's issue: escalate, let it fall overdue, see the reminder, record the response, close.
    issues = coordinator.get("/records/issues/")
    token = csrf_of(issues)
    issue = world["issue_a"]
    due = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    assert coordinator.post(f"/records/issues/{issue}/escalate", data={"due_on": due, "csrf_token": token}
                            ).status_code == 303
    monkeypatch.setattr(custody_web, "today", lambda: dt.date.today() + dt.timedelta(days=12))
    page = coordinator.get("/records/issues/").text
    assert "1 police response is overdue" in page and "Overdue" in page
    assert "1 police response is overdue" in coordinator.get("/records/").text  # the reminder on the home page
    answer = coordinator.post(f"/records/issues/{issue}/response", data={
        "response": "Hot meals now offered at 12:00 and 18:00.", "responded_on": "", "csrf_token": token})
    assert answer.status_code == 303
    assert "No police response is overdue" in coordinator.get("/records/issues/").text
    assert coordinator.post(f"/records/issues/{issue}/close", data={"csrf_token": token}).status_code == 303
    with records.session() as s:
        stored = s.get(Issue, issue)
        assert stored.status == "closed" and stored.responded_on > stored.due_on  # answered late


def test_an_issue_cannot_skip_a_step(app, world):
    coordinator = sign_in(app, "coordinator")
    token = csrf_of(coordinator.get("/records/issues/"))
    answer = coordinator.post(f"/records/issues/{world['issue_a']}/response",
                              data={"response": "x", "csrf_token": token})
    assert answer.status_code == 422 and "only an escalated issue awaits a response" in answer.text
    answer = coordinator.post(f"/records/issues/{world['issue_a']}/escalate",
                              data={"due_on": dt.date.today().isoformat(), "csrf_token": token})
    assert answer.status_code == 422 and "must be after today" in answer.text


def test_pages_carry_no_detainee_identifier_columns(records):
    """Privacy by design: no table has a column for a detainee's name or reference."""
    from oversight.records import db, kinds

    kinds.load_models()
    columns = {c.name for t in db.Base.metadata.tables.values() for c in t.columns}
    assert not {c for c in columns if re.search(r"detainee|custody_number|pnc|name_of|date_of_birth", c)}
