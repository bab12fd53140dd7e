"""What custody visiting does with its records: who sees which rows, filing a visit report, and an
issue's way from a report to the police and back."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oversight.errors import OversightError
from oversight.records.custody.models import (
    Category,
    Issue,
    IssueStatus,
    PanelMember,
    Severity,
    Unavailable,
    UnavailableCount,
    Visit,
    VisitReport,
    VisitStatus,
)
from oversight.records.models import Role, User

MAX_COUNT = 500
"""More detainees than any suite holds: a typing slip, not a figure."""
MAX_VISIT_HOURS = 6
ISSUE_ROWS = 3
"""Issue rows on the report form (more can be added to the report from the visit page)."""
RESPONSE_DAYS = 20
"""Default days the police have to answer an escalated issue (the coordinator may set another date)."""
_IDENTIFIER = re.compile(r"\d{5,}|\b\d{2}/\d{4,}|\b[A-Z]{2}\d{6,}", re.IGNORECASE)
"""Digits that look like a custody record, PNC or other reference number: never stored."""


class NotFound(OversightError):
    status = 404


def visible_panels(db: Session, user: User) -> set[int] | None:
    """The panels whose visits the user may see: a visitor, their own; those who run or study the
    scheme, all (None); any other role (a complaint reviewer), none."""
    if user.role in (Role.ADMIN, Role.COORDINATOR, Role.ANALYST):
        return None
    if user.role != Role.VISITOR:
        return set()
    return set(db.scalars(select(PanelMember.panel_id).where(PanelMember.user_id == user.id)).all())


def visible_visit(db: Session, user: User, visit_id: int) -> Visit:
    """A visit the user may see; another panel's visit (or an unpublished one, to a visitor) is 'not
    found', exactly like a visit that does not exist, so ids reveal nothing."""
    visit = db.get(Visit, visit_id)
    panels = visible_panels(db, user)
    if visit is None or (panels is not None and (visit.panel_id not in panels or not visit.published)):
        raise NotFound("no such visit", field="visit")
    return visit


@dataclass
class ReportForm:
    """A visit report as typed, and what is wrong with it (field -> message)."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)
    issues: list[dict[str, str]] = field(default_factory=list)


def _time(form: ReportForm, name: str, label: str) -> dt.time | None:
    text = form.values.get(name, "").strip()
    if re.fullmatch(r"\d{2}:\d{2}", text):
        try:
            return dt.time.fromisoformat(text)
        except ValueError:
            pass
    form.errors[name] = f"Enter the {label} as hours and minutes, like 14:30"
    return None


def _count(form: ReportForm, name: str, label: str, required: bool = True) -> int:
    text = form.values.get(name, "").strip()
    if not text and not required:
        return 0
    if not text.isdigit() or int(text) > MAX_COUNT:
        form.errors[name] = f"Enter {label} as a whole number from 0 to {MAX_COUNT}"
        return 0
    return int(text)


def check_report(values: dict[str, str]) -> ReportForm:
    """Check a report form: counts whole and adding up, times sensible, reasons matching, issues
    complete and free of anything that looks like an identifier."""
    form = ReportForm(values)
    time_in, time_out = _time(form, "time_in", "time you arrived"), _time(form, "time_out", "time you left")
    if time_in and time_out:
        minutes = (time_out.hour * 60 + time_out.minute - time_in.hour * 60 - time_in.minute) % (24 * 60)
        if minutes == 0 or minutes > MAX_VISIT_HOURS * 60:
            form.errors["time_out"] = f"The visit must last between a minute and {MAX_VISIT_HOURS} hours"
    held = _count(form, "held", "the number of detainees held")
    not_available = _count(form, "not_available", "the number not available")
    declined = _count(form, "declined", "the number who declined")
    interviewed = _count(form, "interviewed", "the number interviewed")
    if not form.errors and held != not_available + declined + interviewed:
        form.errors["held"] = (f"Detainees held ({held}) must equal not available ({not_available}) + declined "
                               f"({declined}) + interviewed ({interviewed}) = {not_available + declined + interviewed}")
    reasons = {r.value: _count(form, f"reason_{r.value}", "a number", required=False) for r in Unavailable}
    if not form.errors and sum(reasons.values()) != not_available:
        form.errors["reason_asleep"] = (f"The reasons add up to {sum(reasons.values())}; "
                                        f"{not_available} detainees were not available")
    for i in range(1, ISSUE_ROWS + 1):
        category, severity = values.get(f"issue_{i}_category", ""), values.get(f"issue_{i}_severity", "")
        description = values.get(f"issue_{i}_description", "").strip()
        if not (category or description):
            continue
        if category not in set(Category):
            form.errors[f"issue_{i}_category"] = f"Choose the category of issue {i}"
        if severity not in set(Severity):
            form.errors[f"issue_{i}_severity"] = f"Choose how serious issue {i} is"
        if len(description) > 2000:
            form.errors[f"issue_{i}_description"] = f"Issue {i}: keep the description under 2,000 characters"
        if _IDENTIFIER.search(description):
            form.errors[f"issue_{i}_description"] = (f"Issue {i}: remove the number that looks like a custody record "
                                                     "or other reference: reports never identify a detainee")
        form.issues.append({"category": category, "severity": severity, "description": description})
    form.report = {"time_in": time_in, "time_out": time_out, "held": held, "not_available": not_available,
                   "declined": declined, "interviewed": interviewed}
    form.reasons = {k: v for k, v in reasons.items() if v}
    return form


def file_report(db: Session, visit: Visit, form: ReportForm, user: User) -> VisitReport:
    """Save a checked report: the visit is then made."""
    assert not form.errors
    if visit.report is not None:
        raise OversightError("this visit already has a report", field="visit")
    report = VisitReport(visit_id=visit.id, filed_by=user.id, **form.report)
    report.reasons = [UnavailableCount(reason=k, count=v) for k, v in form.reasons.items()]
    report.issues = [Issue(status=IssueStatus.OPEN.value, response="", **issue) for issue in form.issues]
    db.add(report)
    visit.status = VisitStatus.MADE.value
    db.flush()
    return report


def escalate(issue: Issue, due_on: dt.date, today: dt.date) -> None:
    if issue.status != IssueStatus.OPEN:
        raise OversightError("only an open issue can be escalated", field="issue")
    if due_on <= today:
        raise OversightError("the date for the police's response must be after today", field="due_on")
    issue.status, issue.escalated_on, issue.due_on = IssueStatus.ESCALATED.value, today, due_on


def record_response(issue: Issue, response: str, responded_on: dt.date) -> None:
    if issue.status != IssueStatus.ESCALATED:
        raise OversightError("only an escalated issue awaits a response", field="issue")
    if not response.strip():
        raise OversightError("write down what the police said", field="response")
    if issue.escalated_on and responded_on < issue.escalated_on:
        raise OversightError("a response cannot come before the escalation", field="responded_on")
    issue.status, issue.response, issue.responded_on = IssueStatus.RESPONDED.value, response.strip(), responded_on


def close(issue: Issue, today: dt.date) -> None:
    if issue.status == IssueStatus.CLOSED:
        raise OversightError("the issue is already closed", field="issue")
    issue.status, issue.closed_on = IssueStatus.CLOSED.value, today


def overdue(db: Session, today: dt.date) -> list[Issue]:
    """Escalated issues whose response date has passed without a response, oldest due first."""
    return list(db.scalars(select(Issue).where(Issue.status == IssueStatus.ESCALATED, Issue.due_on < today)
                           .order_by(Issue.due_on, Issue.id)).all())
