"""Complaint reviews on both databases: reading is logged as well as changing, the form and the import
refuse what a case must not hold (row by row, nothing lost), retention reduces a case to what the
statistics need, and the timeliness figures match an independent count from the case rows."""

from __future__ import annotations

import csv
import datetime as dt
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
    assert "Suite A" not in as_role["reviewer"].get("/records/visits/").text
    assert as_role["reviewer"].get(f"/records/visits/{world['visit_a']}").status_code == 404
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
