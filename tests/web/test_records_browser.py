"""The records pages in a real browser: axe-core finds no serious accessibility problem, nothing
scrolls sideways on a 390-px phone, and a visitor files a report on a phone with the keyboard-free
flow a person would use (type, submit, read the errors, correct, submit)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from web.test_browser import BLOCKING, WIDTHS, _describe, run_axe
from web.webtools import screenshot, served, signed_in

from oversight.records import auth, db
from oversight.records.custody import service
from oversight.records.custody.models import Panel, PanelMember, Suite, Visit
from oversight.records.web import RecordsSettings, create_user
from oversight.web import create_app

PASSWORD = "a browser test password"


@pytest.fixture(scope="module")
def records_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    """A server with a records database of one panel, two suites, visits, a report and an overdue issue
    (and an empty warehouse: the records pages read none of it)."""
    import duckdb

    warehouse = tmp_path_factory.mktemp("records-warehouse") / "empty.duckdb"
    duckdb.connect(str(warehouse)).close()
    hasher = auth.HASHER
    auth.HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    url = f"sqlite:///{tmp_path_factory.mktemp('records') / 'records.sqlite'}"
    records = db.Records(url)
    db.upgrade(records.engine)
    ids: dict[str, int] = {}
    today = dt.date.today()
    with records.session("set-up") as s:
        for role in ("administrator", "coordinator", "analyst", "reviewer"):
            create_user(s, role, f"Test {role}", role, PASSWORD)
        visitors = [create_user(s, f"visitor{i}", f"Visitor {i}", "visitor", PASSWORD) for i in range(2)]
        panel = Panel(name="North West", area="Barnet, Brent", visits_per_suite=2, active=True)
        s.add(panel)
        s.flush()
        suites = [Suite(name=n, panel_id=panel.id, status=st, status_note="", cells=30)
                  for n, st in (("Colindale", "open"), ("Wembley", "temporarily_closed"))]
        s.add_all(suites + [PanelMember(panel_id=panel.id, user_id=v.id) for v in visitors])
        s.flush()
        made, open_ = (Visit(panel_id=panel.id, suite_id=suites[0].id, visit_date=today - dt.timedelta(days=d),
                             day_part="evening", status="scheduled", published=True,
                             first_visitor_id=visitors[0].id, second_visitor_id=visitors[1].id) for d in (20, 1))
        s.add_all([made, open_])
        s.flush()
        form = service.check_report({"time_in": "19:00", "time_out": "20:15", "held": "11", "not_available": "4",
                                     "declined": "2", "interviewed": "5", "reason_asleep": "4",
                                     "issue_1_category": "healthcare", "issue_1_severity": "high",
                                     "issue_1_description": "Medication delayed for four hours."})
        (issue,) = service.file_report(s, made, form, visitors[0]).issues
        service.escalate(issue, today - dt.timedelta(days=2), today - dt.timedelta(days=19))
        from oversight.records.complaints.models import ComplaintCase

        case = ComplaintCase(reference="CR-2025-0007", kind="review", force_reference="CO/00007/25",
                             borough_code="E09000022", received_on=today - dt.timedelta(days=90),
                             allocated_on=today - dt.timedelta(days=80), decided_on=today - dt.timedelta(days=10),
                             decision="recommendation", recommendation="Explain the outcome in plain words.",
                             reduced=False)
        s.add(case)
        s.flush()
        ids.update(panel=panel.id, made=made.id, open=open_.id, case=case.id)
    app = create_app(warehouse, warm=False, records=records,
                     records_settings=RecordsSettings(secret_key=b"browser-test"))
    with served(app) as base:
        yield base, ids
    records.dispose()
    auth.HASHER = hasher


def _signed_in(browser: Any, base: str, username: str | None, width: int) -> Any:
    return signed_in(browser, base, username, PASSWORD, width)


PAGES = [
    (None, "/records/login"),
    ("visitor0", "/records/"), ("visitor0", "/records/visits/"), ("visitor0", "/records/visits/{open}/report"),
    ("visitor0", "/records/visits/{made}"), ("visitor0", "/records/account/"),
    ("coordinator", "/records/"), ("coordinator", "/records/panels/"), ("coordinator", "/records/panels/{panel}"),
    ("coordinator", "/records/issues/"), ("coordinator", "/records/statistics/"),
    ("administrator", "/records/users/"), ("administrator", "/records/audit/"),
    ("reviewer", "/records/complaints/?show=all"), ("reviewer", "/records/complaints/new"),
    ("reviewer", "/records/complaints/{case}"), ("reviewer", "/records/complaints/{case}/edit"),
    ("analyst", "/records/complaints/statistics/"),
]


@pytest.mark.parametrize(("username", "path"), PAGES)
def test_records_pages_have_no_serious_accessibility_violations(browser: Any, records_server: tuple[str, dict],
                                                                username: str | None, path: str,
                                                                artifacts: Path) -> None:
    base, ids = records_server
    url = base + path.format(**ids)
    for label, width in WIDTHS.items():
        page = _signed_in(browser, base, username, width)
        page.goto(url, wait_until="load")
        assert page.url == url, f"{path}: sent to {page.url}"
        name = f"records-{username or 'public'}-{path.strip('/').replace('/', '-')}-{label}.png"
        screenshot(page, artifacts / name)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width, f"{path} scrolls sideways"
        blocking = [v for v in run_axe(page) if v["impact"] in BLOCKING]
        assert not blocking, f"{path} at {width}px:\n{_describe(blocking)}"
        assert page.problems == [], f"{path}: console errors {page.problems}"
        page.context.close()


def test_a_visitor_files_a_report_on_a_phone(browser: Any, records_server: tuple[str, dict], artifacts: Path) -> None:
    base, ids = records_server
    page = _signed_in(browser, base, "visitor1", WIDTHS["phone"])
    page.click("a:has-text('Visits')")
    page.click("a:has-text('File the report')")
    page.fill("#f-time_in", "21:30")
    page.fill("#f-time_out", "22:40")
    for field, value in (("held", "7"), ("not_available", "2"), ("declined", "1"), ("interviewed", "3")):
        page.fill(f"#f-{field}", value)
    page.click("button:has-text('File the report')")
    # Seven held is not 2 + 1 + 3: the page says so, at the top and at the field, and keeps what was typed.
    assert "There is a problem" in page.text_content("main")
    assert page.get_attribute("#f-held", "aria-invalid") == "true" and page.input_value("#f-declined") == "1"
    blocking = [v for v in run_axe(page) if v["impact"] in BLOCKING]
    assert not blocking, _describe(blocking)
    screenshot(page, artifacts / "records-report-errors-phone.png")
    page.fill("#f-held", "6")
    page.fill("#f-reason_asleep", "2")
    page.select_option("#f-issue_1_category", "food")
    page.select_option("#f-issue_1_severity", "low")
    page.fill("#f-issue_1_description", "No drink offered on arrival.")
    page.click("button:has-text('File the report')")
    page.wait_for_url(f"{base}/records/visits/{ids['open']}?filed=1")
    assert "Food and drink" in page.text_content("main") and "Interviewed" in page.text_content("main")
    page.context.close()
