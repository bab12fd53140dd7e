"""Custody visiting's figures: hand counts of a small fixture, MOPAC's published figures, and the
way into the measures table (partner file -> `ingest partner` -> `build`) with suppression."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from oversight.records.custody import service, statistics
from oversight.records.custody.models import Issue, Panel, Suite, Visit
from oversight.records.models import User
from oversight.records.partner_file import partner_csv

TODAY = dt.date(2025, 6, 1)


def _visit(s, suite: Suite, day: str, status: str = "scheduled") -> Visit:
    visit = Visit(panel_id=suite.panel_id, suite_id=suite.id, visit_date=dt.date.fromisoformat(day), day_part="morning",
                  status=status, published=True)
    s.add(visit)
    s.flush()
    return visit


def _report(s, visit: Visit, user: User, held: int, na: int, declined: int, interviewed: int,
            issues: list[tuple[str, str]] = ()) -> list[Issue]:  # type: ignore[assignment]
    values = {"time_in": "10:00", "time_out": "11:00", "held": str(held), "not_available": str(na),
              "declined": str(declined), "interviewed": str(interviewed), "reason_other": str(na) if na else ""}
    for i, (category, severity) in enumerate(issues, start=1):
        values |= {f"issue_{i}_category": category, f"issue_{i}_severity": severity,
                   f"issue_{i}_description": "Described without names."}
    form = service.check_report(values)
    assert not form.errors, form.errors
    return service.file_report(s, visit, form, user).issues


@pytest.fixture
def fixture_visits(records) -> None:
    """Six visits in 2024-25, counted by hand in the tests below:

    | visit      | suite | status    | held | n/a | declined | interviewed | issues: due, answered          |
    | 2024-04-10 | A     | made      | 8    | 3   | 1        | 4           | food: 05-10, 05-08             |
    |            |       |           |      |     |          |             | welfare: 05-10, 06-01          |
    | 2024-05-02 | B     | made      | 5    | 0   | 2        | 3           |                                |
    | 2024-05-20 | A     | missed    |      |     |          |             |                                |
    | 2024-06-15 | B     | cancelled | (suite closed: not scheduled)                                       |
    | 2024-08-03 | A     | made      | 12   | 6   | 2        | 4           | healthcare: 08-20, never       |
    | 2024-09-30 | B     | scheduled | (no report yet)                                                     |
    """
    with records.session("fixture") as s:
        user = User(username="v", display_name="V", role="visitor", password_hash="x", active=True)
        panel = Panel(name="P", area="", visits_per_suite=2, active=True)
        s.add_all([user, panel])
        s.flush()
        a = Suite(name="Suite A", panel_id=panel.id, status="open", status_note="")
        b = Suite(name="Suite B", panel_id=panel.id, status="open", status_note="")
        s.add_all([a, b])
        s.flush()
        food, welfare = _report(s, _visit(s, a, "2024-04-10"), user, 8, 3, 1, 4, [("food", "medium"),
                                                                                  ("welfare", "high")])
        _report(s, _visit(s, b, "2024-05-02"), user, 5, 0, 2, 3)
        _visit(s, a, "2024-05-20", "missed")
        _visit(s, b, "2024-06-15", "cancelled")
        (health,) = _report(s, _visit(s, a, "2024-08-03"), user, 12, 6, 2, 4, [("healthcare", "urgent")])
        _visit(s, b, "2024-09-30")
        for issue, escalated, due, answered in ((food, "2024-04-12", "2024-05-10", "2024-05-08"),
                                                (welfare, "2024-04-12", "2024-05-10", "2024-06-01"),
                                                (health, "2024-08-05", "2024-08-20", None)):
            service.escalate(issue, dt.date.fromisoformat(due), dt.date.fromisoformat(escalated))
            if answered:
                service.record_response(issue, "Answered.", dt.date.fromisoformat(answered))


HAND_COUNTS = {
    # period: scheduled, made, held, not available, declined, interviewed, issues, responses due, on time
    ("fy_quarter", "2024-04-01"): (3, 2, 13, 3, 3, 7, 2, 2, 1),
    ("fy_quarter", "2024-07-01"): (2, 1, 12, 6, 2, 4, 1, 1, 0),
    ("financial_year", "2024-04-01"): (5, 3, 25, 9, 5, 11, 3, 3, 1),
    ("calendar_year", "2024-01-01"): (5, 3, 25, 9, 5, 11, 3, 3, 1),
}


def test_figures_match_the_hand_counts(records, fixture_visits):
    with records.session() as s:
        found = statistics.figures(s, TODAY)
    got = {(f.period.period_type, f.period.start.isoformat()):
           (f.scheduled, f.made, f.held, f.not_available, f.declined, f.interviewed,
            sum(f.issues_by_category.values()), f.responses_due, f.responses_on_time) for f in found}
    assert got == HAND_COUNTS
    q1 = next(f for f in found if f.period.period_type == "fy_quarter" and f.period.start.month == 4)
    assert q1.period.label == "2024-25 Q1" and q1.period.end == dt.date(2024, 6, 30)
    assert dict(q1.issues_by_category) == {"food": 1, "welfare": 1} and dict(q1.issues_by_suite) == {"Suite A": 2}


def test_a_period_still_running_is_left_out(records, fixture_visits):
    with records.session() as s:
        found = statistics.figures(s, dt.date(2024, 9, 30))  # Q2 ends today: not yet over
    assert {(f.period.period_type, f.period.start.isoformat()) for f in found} == {("fy_quarter", "2024-04-01")}


def test_both_interview_rates_from_mopacs_published_counts():
    """MOPAC 2018: 9,616 detained, 4,376 not available, 1,249 declined, 3,991 interviewed, '76 per cent of
    all available detainees'. 2019/20: 10,264 detained, 4,412 unavailable, 1,191 declined, 4,661
    interviewed, '45% of all detainees in custody'. The same counts give the other year's rate too."""
    assert 4376 + 1249 + 3991 == 9616 and 4412 + 1191 + 4661 == 10264  # they add up as the form requires
    of_available, of_all = statistics.interview_rates(9616, 4376, 3991)
    assert round(100 * of_available) == 76 and round(100 * of_all, 1) == 41.5
    of_available, of_all = statistics.interview_rates(10264, 4412, 4661)
    assert round(100 * of_all) == 45 and round(100 * of_available, 1) == 79.6
    assert statistics.interview_rates(0, 0, 0) == (None, None)
    form = service.check_report({"time_in": "10:00", "time_out": "11:00", "held": "9616", "not_available": "4376",
                                 "declined": "1249", "interviewed": "3991", "reason_other": "4376"})
    # A year's counts, not a visit's: every count is over the form's limit.
    assert set(form.errors) == {"held", "not_available", "declined", "interviewed", "reason_other"}


def test_the_partner_file_loads_and_builds_into_measures_with_suppression(records, fixture_visits, warehouse,
                                                                           tmp_path):
    from oversight import config
    from oversight.measures.catalogue import load_catalogue
    from oversight.measures.engine import build
    from oversight.sources.partner import ingest_partner

    with records.session() as s:
        rows = statistics.partner_rows(statistics.figures(s, TODAY), force="metropolitan")
    path = tmp_path / "custody-visiting.csv"
    path.write_text(partner_csv(rows))
    assert len(rows) == 4 * (4 + 1 + 7 + 1 + 1)  # four periods; issues: all, 7 categories, 1 suite
    report = ingest_partner(warehouse, [path])
    totals = report.totals()
    assert not report.failed and totals["rows_quarantined"] == 0 and totals["rows_loaded"] == len(rows)
    catalogue = {k: m for k, m in load_catalogue().items() if k in statistics.MEASURES}
    assert set(catalogue) == set(statistics.MEASURES)
    build(warehouse, catalogue)
    got = {(m, p, b): (v, n, d, sup) for m, p, b, v, n, d, sup in warehouse.execute(
        """SELECT measure, period_type || ' ' || period_start::VARCHAR, breakdown, value, numerator, denominator,
                  suppressed FROM measure_value""").fetchall()}
    below = int(config.default("suppress_below"))  # type: ignore[call-overload]
    fy = "financial_year 2024-04-01"
    value, n, d, suppressed = got[("custody_interview_rate_available", fy, "all")]
    assert (n, d) == (11, 16) and value == pytest.approx(11 / 16) and suppressed == (d < below)
    value, n, d, suppressed = got[("custody_interview_rate_all", fy, "all")]
    assert (n, d) == (11, 25) and value == pytest.approx(11 / 25) and not suppressed
    assert got[("custody_visits_made", fy, "all")][:3] == (pytest.approx(3 / 5), 3, 5)
    # Small counts are hidden in public outputs, as for any measure.
    assert got[("custody_issues_raised", "fy_quarter 2024-04-01", "category=Food and drink")][3] is True
    assert got[("custody_detainees_held", fy, "all")][:2] == (25, 25) and not got[("custody_detainees_held", fy,
                                                                                      "all")][3]
    assert got[("custody_responses_on_time", fy, "all")][1:3] == (1, 3)


def test_the_statistics_csv_page_gives_the_same_file(app, records, people, fixture_visits, monkeypatch):
    from records.recordstools import sign_in

    from oversight.records.custody import web as custody_web

    monkeypatch.setattr(custody_web, "today", lambda: TODAY)
    analyst = sign_in(app, "analyst")
    answer = analyst.get("/records/statistics/partner.csv")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    with records.session() as s:
        assert answer.text == partner_csv(statistics.partner_rows(statistics.figures(s, TODAY)))
    page = analyst.get("/records/statistics/").text
    assert "2024-25 Q1" in page and "70%" in page and "54%" in page  # 7 of 10 available; 7 of 13 held
    with records.session() as s:
        assert s.scalar(select(Issue.id).limit(1)) is not None


def test_the_custody_dashboard_shows_the_built_figures(records, fixture_visits, tmp_path):
    """From the records to /custody/: the statistics file loaded and built, the page shows its figures."""
    from web.webtools import Client

    from oversight.measures.catalogue import load_catalogue
    from oversight.measures.engine import build
    from oversight.sources.partner import ingest_partner
    from oversight.warehouse import connect
    from oversight.web import create_app

    with records.session() as s:
        rows = statistics.partner_rows(statistics.figures(s, TODAY), force="metropolitan")
    path = tmp_path / "custody-visiting.csv"
    path.write_text(partner_csv(rows))
    con = connect(tmp_path / "warehouse.duckdb")
    assert not ingest_partner(con, [path]).failed
    build(con, {k: m for k, m in load_catalogue().items() if k in statistics.MEASURES})
    con.close()
    client = Client(create_app(tmp_path / "warehouse.duckdb", warm=False))
    try:
        html = client.get("/custody/").text
        empty = client.get("/custody/", params={"period": "2015-16", "period_type": "financial_year"})
    finally:
        client.close()
    assert "Detainees interviewed by custody visitors, of all held" in html
    assert "44.0%" in html  # 11 of the 25 held in 2024-25
    assert "Awaiting the scheme" not in html
    assert empty.status_code == 404
