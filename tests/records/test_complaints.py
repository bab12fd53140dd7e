"""Complaint reviews on both databases: reading is logged as well as changing, the form and the import
refuse what a case must not hold (row by row, nothing lost), retention reduces a case to what the
statistics need, and the timeliness figures match an independent count from the case rows."""

from __future__ import annotations

import csv
import datetime as dt
import math
import statistics as pystats
from pathlib import Path

import pytest
from records.recordstools import csrf_of
from sqlalchemy import select

from oversight.errors import OversightError
from oversight.records.complaints import service
from oversight.records.complaints import statistics as cstats
from oversight.records.complaints import web as cweb
from oversight.records.complaints.models import ComplaintCase
from oversight.records.custody.models import Visit
from oversight.records.models import AuditEntry
from oversight.records.partner_file import partner_csv

EXAMPLE = Path(__file__).parents[2] / "data" / "examples" / "complaint_cases_example_INVENTED.csv"
HEADER = ",".join(service.COLUMNS)


def _entries(records, action: str, table: str = "cr_case") -> list[AuditEntry]:
    with records.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action, AuditEntry.table_name == table)
                              .order_by(AuditEntry.id)).all())


def test_reading_a_case_and_the_list_is_logged_with_who(records, as_role, world, people):
    reviewer = as_role["reviewer"]
    assert reviewer.get(f"/records/complaints/{world['case']}").status_code == 200
    assert reviewer.get("/records/complaints/?show=all").status_code == 200
    reads = _entries(records, "read")
    assert [(e.actor, e.row_id) for e in reads] == [("reviewer", str(world["case"]))]
    (listed,) = _entries(records, "list")
    assert listed.actor == "reviewer" and listed.after == {"show": "all", "cases": 1}
    # Refused callers read nothing and leave no read entry; a missing case is 404 like any other.
    assert as_role["analyst"].get(f"/records/complaints/{world['case']}").status_code == 403
    assert reviewer.get("/records/complaints/99999").status_code == 404
    assert len(_entries(records, "read")) == 1


def test_a_case_is_recorded_and_changed_and_the_log_says_who_and_what(records, as_role, people):
    c = as_role["reviewer"]
    csrf = csrf_of(c.get("/records/complaints/new"))
    form = {"csrf_token": csrf, "reference": "cr-2025-0100", "kind": "review", "force_reference": "CO/00100/25",
            "borough_code": "E09000022", "received_on": "2025-01-06", "allocated_on": "2025-01-08",
            "reviewer": "reviewer", "decided_on": "", "decision": "", "recommendation": ""}
    answer = c.post("/records/complaints/", data=form)
    assert answer.status_code == 303, answer.text[:500]
    with records.session() as s:
        case = s.scalar(select(ComplaintCase).where(ComplaintCase.reference == "CR-2025-0100"))
        assert case is not None and case.reviewer_id == people["reviewer"] and case.decided_on is None
    answer = c.post(f"/records/complaints/{case.id}", data={**form, "decided_on": "2025-02-20",
                                                            "decision": "recommendation",
                                                            "recommendation": "Explain the outcome in plain words."})
    assert answer.status_code == 303, answer.text[:500]
    (inserted,) = _entries(records, "insert")
    (updated,) = _entries(records, "update")
    assert inserted.actor == updated.actor == "reviewer"
    assert inserted.after["force_reference"] == "CO/00100/25"
    assert updated.before == {"decided_on": None, "decision": None, "recommendation": ""}
    assert updated.after == {"decided_on": "2025-02-20", "decision": "recommendation",
                             "recommendation": "Explain the outcome in plain words."}
    page = c.get(f"/records/complaints/{case.id}").text
    assert "45 days from the request, within the target" in page


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"received_on": "2999-01-01"}, "received_on", "after today"),
    ({"decided_on": "2024-12-01", "decision": "upheld"}, "decided_on", "cannot come before"),
    ({"decided_on": "2025-02-01"}, "decision", "needs the decision"),
    ({"decided_on": "2025-02-01", "decision": "recommendation"}, "recommendation", "Write the recommendation"),
    ({"decided_on": "2025-02-01", "decision": "upheld", "recommendation": "Call her on 020 7946 0999"},
     "recommendation", "contact details"),
    ({"borough_code": "E0900022"}, "borough_code", "E09 and six digits"),
    ({"reviewer": "analyst"}, "reviewer", "not an active reviewer"),
    ({"kind": "other"}, "kind", "kind of case"),
])
def test_the_form_refuses_what_a_case_must_not_hold_and_saves_nothing(records, as_role, people, change, field, words):
    c = as_role["administrator"]
    csrf = csrf_of(c.get("/records/complaints/new"))
    form = {"csrf_token": csrf, "reference": "CR-2025-0200", "kind": "review", "force_reference": "",
            "borough_code": "", "received_on": "2025-01-06", "allocated_on": "2025-01-07", "reviewer": "reviewer",
            "decided_on": "", "decision": "", "recommendation": "", **change}
    answer = c.post("/records/complaints/", data=form)
    assert answer.status_code == 422
    assert f'href="#f-{field}"' in answer.text and words in answer.text
    with records.session() as s:
        assert s.scalars(select(ComplaintCase)).all() == []


def test_a_reviewer_sees_no_custody_visits(as_role, world):
    # The visits' access rules leave the reviewer out: refused before any handler reads a row.
    assert as_role["reviewer"].get("/records/visits/").status_code == 403
    assert as_role["reviewer"].get(f"/records/visits/{world['visit_a']}").status_code == 403
    assert as_role["analyst"].get(f"/records/visits/{world['visit_a']}").status_code == 200


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_import_reports_every_bad_row_with_row_field_and_reason_and_adds_the_rest(records, people, tmp_path):
    with records.session("set-up") as s:
        s.add(ComplaintCase(reference="CR-OLD-1", kind="review", received_on=dt.date(2024, 1, 2), recommendation="",
                            reduced=False))
    path = _write(tmp_path / "cases.csv", [
        "CR-1,review,CO/1/24,,2024-05-01,2024-05-02,reviewer,2024-06-01,upheld,",          # 2 good
        "CR-2,review,,,2024-13-01,,,,,",                                                  # 3 bad date
        "CR-3,appeal,,,2024-05-01,,,,,",                                                  # 4 unknown kind
        "CR-1,review,,,2024-05-03,,,,,",                                                  # 5 twice in the file
        "CR-OLD-1,review,,,2024-05-03,,,,,",                                              # 6 already held
        "CR-4,review,,,2024-05-01,2024-05-02,nobody,,,",                                  # 7 unknown reviewer
        "CR-5,review,,,2024-05-01,,,,,,extra",                                            # 8 too many cells
        ",,,,,,,,,",                                                                      # blank: skipped
        "CR-6,chief_officer,,E09000001,2024-05-01,2024-05-01,administrator,2024-05-30,recommendation,"
        "\"Use plain words, not jargon.\"",                                                # 10 good
        "CR-7,review,,,2024-05-01,2024-05-02,reviewer,2024-06-01,recommendation,Write to a@b.com",  # 11 contact
    ])
    with records.session("import") as s:
        report = service.import_cases(s, path, dt.date(2025, 1, 1))
    got = [(e.file, e.row, e.field) for e in report.errors]
    assert got == [("cases.csv", 3, "received_on"), ("cases.csv", 4, "kind"), ("cases.csv", 5, "reference"),
                   ("cases.csv", 6, "reference"), ("cases.csv", 7, "reviewer"), ("cases.csv", 8, "(row)"),
                   ("cases.csv", 11, "recommendation")]
    assert "row 2" in report.errors[2].reason and "already in the service" in report.errors[3].reason
    assert report.read == 9 and report.added == 2 and report.read == report.added + len(report.errors)
    with records.session() as s:
        assert sorted(s.scalars(select(ComplaintCase.reference)).all()) == ["CR-1", "CR-6", "CR-OLD-1"]
    assert {e.actor for e in _entries(records, "insert")} == {"set-up", "import"}


@pytest.mark.parametrize(("content", "words"), [
    (b"reference,kind\nCR-1,review\n", "missing force_reference"),
    (HEADER.encode() + b",colour\n", "unexpected colour"),
    (HEADER.encode() + b"\nCR-1,review,\xff\xfe,,2024-05-01,,,,,\n", "not UTF-8"),
    (HEADER.encode() + b'\nCR-1,review,"never closed,,2024-05-01,,,,,\n', "not readable as CSV"),
])
def test_a_file_that_is_not_the_format_fails_whole_and_adds_nothing(records, tmp_path, content, words):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(OversightError, match=words), records.session("import") as s:
        service.import_cases(s, path, dt.date(2025, 1, 1))
    with records.session() as s:
        assert s.scalars(select(ComplaintCase)).all() == []


def _independent(cases: list[dict[str, str]], start: dt.date, end: dt.date, target: int) -> dict[str, object]:
    """The figures for one period, counted straight from the rows of the file."""
    due = in_time = open_late = 0
    days = []
    for c in cases:
        received = dt.date.fromisoformat(c["received_on"])
        decided = dt.date.fromisoformat(c["decided_on"]) if c["decided_on"] else None
        target_date = received + dt.timedelta(days=target)
        if start <= target_date <= end:
            due += 1
            in_time += decided is not None and decided <= target_date
        if decided and start <= decided <= end:
            days.append((decided - received).days)
        still_open = decided is None or decided > end
        if still_open and (end - received).days > target:
            open_late += 1
    return {"due": due, "in_time": in_time, "open_late": open_late, "decided": len(days),
            "median": pystats.median(days) if days else None,
            "over_half_year": sum(d >= 183 for d in days), "within_4_weeks": sum(d <= 28 for d in days)}


def test_timeliness_matches_an_independent_count_from_the_case_rows(records, people):
    today = dt.date(2026, 12, 6)
    with records.session("import") as s:
        report = service.import_cases(s, EXAMPLE, today)
        assert report.errors == [] and report.added == 269
    with records.session() as s:
        found = cstats.figures(s, today, target=56)
    with EXAMPLE.open() as handle:
        rows = list(csv.DictReader(handle))
    quarters = [f for f in found if f.period.period_type == "fy_quarter"]
    assert [f.period.start for f in quarters][:2] == [dt.date(2024, 4, 1), dt.date(2024, 7, 1)]
    assert quarters[-1].period.end == dt.date(2026, 9, 30)  # the quarter to December has not ended
    assert len([f for f in found if f.period.period_type == "rolling_12"]) == len(quarters) - 3
    checked = 0
    for f in found:
        want = _independent(rows, f.period.start, f.period.end, 56)
        assert (f.due.get("all", 0), f.due_in_time.get("all", 0), f.open_past_target, len(f.days)) == (
            want["due"], want["in_time"], want["open_late"], want["decided"]), f.period
        assert f.median_days == want["median"]
        assert f.band_counts["183 days or more"] == want["over_half_year"]
        assert f.band_counts["0-28 days"] == want["within_4_weeks"]
        assert sum(f.band_counts.values()) == len(f.days)
        checked += 1
    assert checked == 17
    # Open cases are in the figures: 19 of the example's cases are undecided, and each is past target.
    assert sum(1 for r in rows if not r["decided_on"]) == 19
    partner = cstats.partner_rows(found, force="metropolitan")
    share = next(r for r in partner if r["measure"] == "complaint_reviews_decided_in_target"
                 and r["period_start"] == "2025-04-01" and r["period_type"] == "fy_quarter" and r["breakdown"] == "all")
    want = _independent(rows, dt.date(2025, 4, 1), dt.date(2025, 6, 30), 56)
    assert (int(share["numerator"]), int(share["denominator"])) == (want["in_time"], want["due"])


def test_retention_reduces_old_decided_cases_to_what_the_statistics_need(records, people, monkeypatch):
    today = dt.date(2026, 12, 6)
    monkeypatch.setattr(cweb, "today", lambda: today)
    old = today - dt.timedelta(days=2190 + 1)
    with records.session("set-up") as s:
        for ref, decided in (("CR-A", old), ("CR-B", today - dt.timedelta(days=30)), ("CR-C", None)):
            s.add(ComplaintCase(reference=ref, kind="review", force_reference=f"CO/{ref}", borough_code="E09000022",
                                received_on=old - dt.timedelta(days=40), allocated_on=old - dt.timedelta(days=39),
                                reviewer_id=people["reviewer"], decided_on=decided,
                                decision="recommendation" if decided else None,
                                recommendation="A recommendation." if decided else "", reduced=False))
    with records.session() as s:
        before = cstats.figures(s, today, target=56)
    with records.session("retention") as s:
        removed = cweb.purge(s, today)
    assert list(removed.values()) == [1]
    with records.session() as s:
        cases = {c.reference: c for c in s.scalars(select(ComplaintCase)).all()}
        after = cstats.figures(s, today, target=56)
    reduced = next(c for c in cases.values() if c.reduced)
    assert reduced.reference.startswith("REDUCED-") and reduced.force_reference is None
    assert reduced.reviewer_id is None and reduced.recommendation == ""
    assert (reduced.decided_on, reduced.decision, reduced.borough_code) == (old, "recommendation", "E09000022")
    assert {"CR-B", "CR-C"} <= set(cases) and not cases["CR-B"].reduced
    assert [(f.period, f.due, f.due_in_time, f.days) for f in after] == [
        (f.period, f.due, f.due_in_time, f.days) for f in before]
    (entry,) = [e for e in _entries(records, "update") if e.actor == "retention"]
    assert entry.before["force_reference"] == "CO/CR-A"  # the log keeps what was removed, as for every change
    with records.session() as s:
        assert s.scalars(select(Visit)).all() == []


def _wilson(x: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson's score interval, written out from Wilson (1927), not from oversight.stats."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_the_measures_built_from_the_file_match_the_case_rows_and_reach_the_dashboard(records, people, tmp_path):
    """From the case rows to measure_value and /complaints/: shares with Wilson intervals, the median in days
    suppressed under 10 cases, the counts; an independent count from the example file checks them."""
    from web.webtools import Client

    from oversight import config
    from oversight.measures.catalogue import load_catalogue
    from oversight.measures.engine import build
    from oversight.sources.partner import ingest_partner
    from oversight.warehouse import connect
    from oversight.web import create_app

    today = dt.date(2026, 12, 6)
    with records.session("import") as s:
        assert service.import_cases(s, EXAMPLE, today).errors == []
    with records.session() as s:
        rows = cstats.partner_rows(cstats.figures(s, today, target=56), force="metropolitan")
    path = tmp_path / "complaint-reviews.csv"
    path.write_text(partner_csv(rows))
    con = connect(tmp_path / "warehouse.duckdb")
    report = ingest_partner(con, [path])
    assert not report.failed and report.totals()["rows_quarantined"] == 0
    catalogue = {k: m for k, m in load_catalogue().items() if k in cstats.MEASURES}
    assert set(catalogue) == set(cstats.MEASURES)
    build(con, catalogue)
    got = {(m, t, str(e), b): (v, lo, hi, n, d, size, sup) for m, t, e, b, v, lo, hi, n, d, size, sup in con.execute(
        """SELECT measure, period_type, period_end, breakdown, value, interval_low, interval_high, numerator,
                  denominator, sample_size, suppressed FROM measure_value""").fetchall()}
    con.close()
    with EXAMPLE.open() as handle:
        cases = list(csv.DictReader(handle))
    below = int(config.default("suppress_below"))  # type: ignore[call-overload]
    checked = 0
    for (measure, period_type, end, breakdown), (value, low, high, n, d, size, suppressed) in got.items():
        if breakdown != "all":
            continue
        end_day = dt.date.fromisoformat(end)
        months = 3 if period_type == "fy_quarter" else 12
        back = end_day.year * 12 + end_day.month - months  # months since year 0 of the month before the start
        start = dt.date(back // 12, back % 12 + 1, 1)
        want = _independent(cases, start, end_day, 56)
        if measure == "complaint_reviews_decided_in_target":
            assert (n, d) == (want["in_time"], want["due"])
            assert value == pytest.approx(want["in_time"] / want["due"])
            assert (low, high) == pytest.approx(_wilson(want["in_time"], want["due"]), abs=1e-9)
            assert suppressed == (want["due"] < below)
        elif measure == "complaint_review_days_median":
            assert value == want["median"] and size == want["decided"] and low is None
            assert suppressed == (want["decided"] < below)
        elif measure == "complaint_reviews_open_past_target":
            assert n == want["open_late"] and suppressed == (want["open_late"] < below)
        else:
            assert n == want["decided"]
        checked += 1
    assert checked == 4 * 17
    client = Client(create_app(tmp_path / "warehouse.duckdb", warm=False))
    try:
        html = client.get("/complaints/").text
    finally:
        client.close()
    assert "Complaint reviews decided within the target time" in html and "Awaiting the case records" not in html
    latest = got[("complaint_reviews_decided_in_target", "fy_quarter", "2026-09-30", "all")]
    low, high = latest[1], latest[2]
    assert f"{100 * latest[0]:.1f}% (95% interval {100 * low:.1f}% to {100 * high:.1f}%)" in html
    # The median's sentence gives no comparison with a year before, and never says there is no figure for one.
    assert "latest 2026-27 Q2: 42 days." in html


def test_the_statistics_page_and_its_download_give_the_same_file_and_the_download_is_logged(
        records, as_role, world, monkeypatch):
    monkeypatch.setattr(cweb, "today", lambda: dt.date(2025, 7, 1))
    answer = as_role["analyst"].get("/records/complaints/statistics/partner.csv")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    with records.session() as s:
        assert answer.text == partner_csv(cstats.partner_rows(cstats.figures(s, dt.date(2025, 7, 1))))
    # The world's one case: received 3 March, target date 28 April (56 days), decided 20 April: in time.
    assert "complaint_reviews_decided_in_target,fy_quarter,2025-04-01,2025-06-30,force,metropolitan,all,1,1," \
        in answer.text
    (entry,) = _entries(records, "export")
    assert entry.actor == "analyst"
    page = as_role["analyst"].get("/records/complaints/statistics/").text
    assert "2025-26 Q1" in page and "CR-2025-0001" not in page


def test_the_commands_import_report_bad_rows_write_the_statistics_and_purge(tmp_path, monkeypatch):
    """`oversight records complaints-import`, `complaint-statistics` and `purge` (SQLite file: the command line
    takes a URL; the service calls beneath are tested on both databases above)."""
    from typer.testing import CliRunner

    from oversight.cli import app
    from oversight.records import db

    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, ["records", "--database", url, *args])

    assert run("migrate").exit_code == 0
    records = db.Records(url)
    with records.session("set-up") as s:
        from oversight.records.web import create_user

        create_user(s, "reviewer", "Example reviewer", "reviewer", "a long enough password")
    monkeypatch.setattr(cweb, "today", lambda: dt.date(2026, 12, 6))
    bad = _write(tmp_path / "bad.csv", ["CR-1,review,,,2025-01-02,,,,,", "CR-2,review,,,2025-02-30,,,,,"])
    result = run("complaints-import", str(bad))
    assert result.exit_code == 1
    assert "not imported: bad.csv, row 3, field 'received_on': Enter the date the request was received as " \
           "YYYY-MM-DD" in result.output
    assert "2 rows read: 1 added, 1 not imported" in result.output
    result = run("complaints-import", str(tmp_path / "missing.csv"))
    assert result.exit_code == 2 and "no such file; nothing imported" in result.output
    result = run("complaints-import", str(EXAMPLE))
    assert result.exit_code == 0 and "269 rows read: 269 added, 0 not imported" in result.output
    out = tmp_path / "complaints.csv"
    result = run("complaint-statistics", str(out))
    assert result.exit_code == 0 and "for 17 periods" in result.output
    with records.session() as s:
        assert out.read_text() == partner_csv(cstats.partner_rows(cstats.figures(s, dt.date(2026, 12, 6))))
    # Six years on, the cases decided more than complaint_retention_days before are reduced.
    monkeypatch.setattr(cweb, "today", lambda: dt.date(2032, 12, 6))
    result = run("purge")
    assert result.exit_code == 0, result.output
    with records.session() as s:
        reduced = s.scalars(select(ComplaintCase).where(ComplaintCase.reduced.is_(True))).all()
        kept = s.scalars(select(ComplaintCase).where(ComplaintCase.reduced.is_(False))).all()
    cutoff = dt.date(2032, 12, 6) - dt.timedelta(days=2190)
    assert reduced and all(c.decided_on is not None and c.decided_on < cutoff for c in reduced)
    assert all(c.decided_on is None or c.decided_on >= cutoff for c in kept)
    assert f"complaint cases decided before {cutoff.isoformat()} reduced to what the statistics need: " \
           f"{len(reduced)}" in result.output
    records.dispose()


def test_home_pages_tell_reviewers_of_their_cases_open_past_target(records, as_role, people):
    with records.session("set-up") as s:
        for n, reviewer in enumerate((people["reviewer"], people["administrator"], people["reviewer"])):
            s.add(ComplaintCase(reference=f"CR-OPEN-{n}", kind="review", received_on=dt.date.today() - dt.timedelta(
                days=57 if n < 2 else 20), allocated_on=dt.date.today() - dt.timedelta(days=19), reviewer_id=reviewer,
                recommendation="", reduced=False))
    assert "1 of your cases is open past the 56-day target" in as_role["reviewer"].get("/records/").text
    assert "2 complaint cases are open past the 56-day target" in as_role["administrator"].get("/records/").text
    assert "past the 56-day target" not in as_role["analyst"].get("/records/").text
