"""The grants pages in a real browser: axe-core finds no serious accessibility problem at phone and
desktop widths, nothing scrolls sideways, and a provider fills a return on a phone (a bad amount is
named at the field, corrected, submitted) which the commissioner then signs off."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from records.recordstools import GRANTS_EXAMPLE
from sqlalchemy import select
from web.test_browser import BLOCKING, WIDTHS, _describe, run_axe
from web.webtools import screenshot, served, signed_in

from oversight.records import auth, db
from oversight.records.grants import register, service, update
from oversight.records.grants.models import Grant, Provider, ProviderMember, Publication
from oversight.records.web import RecordsSettings, create_user
from oversight.web import create_app

PASSWORD = "a browser test password"
SET_UP_DAY = dt.date(2026, 11, 15)


@pytest.fixture(scope="module")
def grants_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    """The invented example register; 2026/27 Q1 returns all signed off and published; for Q2, EX-005's
    submitted, EX-006's returned with a reason, the rest missing."""
    import duckdb

    warehouse = tmp_path_factory.mktemp("grants-warehouse") / "empty.duckdb"
    duckdb.connect(str(warehouse)).close()
    hasher = auth.HASHER
    auth.HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    records = db.Records(f"sqlite:///{tmp_path_factory.mktemp('grants') / 'records.sqlite'}")
    db.upgrade(records.engine)
    with records.session("set-up") as s:
        users = {r: create_user(s, r, f"Test {r}", r, PASSWORD) for r in ("administrator", "commissioner", "provider")}
        register.load_file(s, GRANTS_EXAMPLE)
        youth = s.scalar(select(Provider).where(Provider.name == "Example Youth Trust (invented)"))
        s.add(ProviderMember(provider_id=youth.id, user_id=users["provider"].id))
        grants = {g.reference: g for g in s.scalars(select(Grant)).all()}
        q1, q2 = dt.date(2026, 4, 1), dt.date(2026, 7, 1)
        for number, grant in enumerate(sorted(grants.values(), key=lambda g: g.reference)):
            values = {"referrals": str(40 + number), "people_supported": str(30 + number),
                      "spend": str((grant.amount / 5).quantize(service.money.PENNY)), "narrative": "",
                      **{f"measure_{m.id}": str(50 + 10 * number) for m in grant.measures}}
            found = service.save_return(s, grant, q1, service.check_return(grant, values), users["provider"], True,
                                        SET_UP_DAY)
            service.sign_off(found, users["commissioner"])
            if grant.reference in ("EX-005", "EX-006"):
                found = service.save_return(s, grant, q2, service.check_return(grant, values), users["provider"],
                                            True, SET_UP_DAY)
                if grant.reference == "EX-006":
                    service.send_back(found, users["commissioner"], "Sessions look double-counted: please check.")
        s.flush()
        s.add(Publication(quarter_start=q1, published_by=users["commissioner"].id,
                          figures=update.figures(s, q1, SET_UP_DAY)))
        ids = {"ex5": grants["EX-005"].id, "ex6": grants["EX-006"].id}
    app = create_app(warehouse, warm=False, records=records,
                     records_settings=RecordsSettings(secret_key=b"browser-test"))
    with served(app) as base:
        yield base, ids
    records.dispose()
    auth.HASHER = hasher


def _signed_in(browser: Any, base: str, username: str | None, width: int) -> Any:
    return signed_in(browser, base, username, PASSWORD, width)


PAGES = [
    (None, "/records/grants/update/"), (None, "/records/grants/update/2026-04"),
    ("commissioner", "/records/"), ("commissioner", "/records/grants/"), ("commissioner", "/records/grants/returns/"),
    ("commissioner", "/records/grants/providers/"), ("commissioner", "/records/grants/{ex5}/returns/2026-07"),
    ("commissioner", "/records/grants/update/2026-07?preview=1"),
    ("provider", "/records/grants/"), ("provider", "/records/grants/{ex5}"),
    ("provider", "/records/grants/{ex6}/returns/2026-07"), ("provider", "/records/grants/returns/"),
]


@pytest.mark.parametrize(("username", "path"), PAGES)
def test_grants_pages_have_no_serious_accessibility_violations(browser: Any, grants_server: tuple[str, dict],
                                                               username: str | None, path: str,
                                                               artifacts: Path) -> None:
    base, ids = grants_server
    url = base + path.format(**ids)
    for label, width in WIDTHS.items():
        page = _signed_in(browser, base, username, width)
        page.goto(url, wait_until="load")
        assert page.url == url, f"{path}: sent to {page.url}"
        slug = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "")
        screenshot(page, artifacts / f"grants-{username or 'public'}-{slug}-{label}.png")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width, f"{path} scrolls sideways"
        blocking = [v for v in run_axe(page) if v["impact"] in BLOCKING]
        assert not blocking, f"{path} at {width}px:\n{_describe(blocking)}"
        assert page.problems == [], f"{path}: console errors {page.problems}"
        page.context.close()


def test_a_provider_corrects_a_returned_return_on_a_phone_and_it_is_signed_off(
        browser: Any, grants_server: tuple[str, dict], artifacts: Path) -> None:
    base, ids = grants_server
    page = _signed_in(browser, base, "provider", WIDTHS["phone"])
    page.click("a:has-text('Quarterly returns')")
    page.locator("tr", has_text="July to September 2026").locator("a", has_text="EX-006").click()
    assert "Sessions look double-counted" in page.text_content("main")
    page.fill("#f-spend", "120000.125")
    page.click("button:has-text('Submit for sign-off')")
    assert "There is a problem" in page.text_content("main")
    assert page.get_attribute("#f-spend", "aria-invalid") == "true" and page.input_value("#f-spend") == "120000.125"
    blocking = [v for v in run_axe(page) if v["impact"] in BLOCKING]
    assert not blocking, _describe(blocking)
    screenshot(page, artifacts / "grants-return-errors-phone.png")
    page.fill("#f-spend", "120000.12")
    page.click("button:has-text('Submit for sign-off')")
    page.wait_for_url(f"{base}/records/grants/{ids['ex6']}/returns/2026-07?submitted=1")
    assert "Submitted, awaiting sign-off" in page.text_content("main")
    page.context.close()
    page = _signed_in(browser, base, "commissioner", WIDTHS["desktop"])
    page.goto(f"{base}/records/grants/{ids['ex6']}/returns/2026-07")
    assert "£120,000.12" in page.text_content("main")
    page.click("button:has-text('Sign off this return')")
    assert "Signed off" in page.text_content("main")
    page.context.close()
