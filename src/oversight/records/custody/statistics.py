"""Custody visiting's quarterly and annual figures, and the partner file that carries them into
the measures (docs/partner-data.md): the records service never writes the measures table, and the
measures engine never reads the records. The file is loaded with `oversight ingest partner`, and the
measures build computes intervals and suppression for it like any partner figure.

The raw counts are kept side by side with both interview rates, because MOPAC's reports changed
the rate's denominator: 2018 gave interviews as a share of detainees *available* (3,991 of 5,240:
"76 per cent"), 2019/20 as a share of *all* detainees held (4,661 of 10,264: "45%")."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from oversight import config
from oversight.records.custody.models import CATEGORY_NAMES, Category, Issue, Visit, VisitReport, VisitStatus
from oversight.records.periods import Period, quarter_start

SOURCE = "Independent custody visiting records"
MEASURES = ("custody_visits_made", "custody_detainees_held", "custody_interview_rate_available",
            "custody_interview_rate_all", "custody_issues_raised", "custody_responses_on_time")


@dataclass
class Figures:
    """The counts for one period; every rate is worked out from them, never stored."""

    period: Period
    scheduled: int = 0
    made: int = 0
    held: int = 0
    not_available: int = 0
    declined: int = 0
    interviewed: int = 0
    issues_by_category: Counter[str] = field(default_factory=Counter)
    issues_by_suite: Counter[str] = field(default_factory=Counter)
    responses_due: int = 0
    responses_on_time: int = 0

    @property
    def available(self) -> int:
        return self.held - self.not_available


def interview_rates(held: int, not_available: int, interviewed: int) -> tuple[float | None, float | None]:
    """Interviews as a share of detainees available (2018's denominator) and of all held (2019/20's)."""
    available = held - not_available
    return (interviewed / available if available else None, interviewed / held if held else None)


def _month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)


def periods_of(day: dt.date) -> list[Period]:
    q = quarter_start(day)
    fy = day.year if day.month >= 4 else day.year - 1
    return [Period("fy_quarter", q, _month_end(q.year, q.month + 2)),
            Period("financial_year", dt.date(fy, 4, 1), dt.date(fy + 1, 3, 31)),
            Period("calendar_year", dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))]


def figures(db: Session, today: dt.date) -> list[Figures]:
    """Figures for every quarter, financial year and calendar year that has ended by `today` and
    has published visits. A visit counts as scheduled unless cancelled (its suite closed)."""
    found: dict[tuple[str, dt.date], Figures] = {}

    def of(day: dt.date) -> list[Figures]:
        return [found.setdefault((p.period_type, p.start), Figures(p)) for p in periods_of(day) if p.end < today]

    visits = db.scalars(select(Visit).where(Visit.published.is_(True), Visit.status != VisitStatus.CANCELLED)
                        .options(selectinload(Visit.report).selectinload(VisitReport.issues),
                                 selectinload(Visit.suite))).all()
    for visit in visits:
        for f in of(visit.visit_date):
            f.scheduled += 1
            report = visit.report
            if visit.status == VisitStatus.MADE and report is not None:
                f.made += 1
                f.held += report.held
                f.not_available += report.not_available
                f.declined += report.declined
                f.interviewed += report.interviewed
                for issue in report.issues:
                    f.issues_by_category[issue.category] += 1
                    f.issues_by_suite[visit.suite.name] += 1
    for issue in db.scalars(select(Issue).where(Issue.due_on.is_not(None))).all():
        assert issue.due_on is not None
        if issue.due_on >= today:
            continue  # not yet due: neither on time nor late
        for f in of(issue.due_on):
            f.responses_due += 1
            if issue.responded_on is not None and issue.responded_on <= issue.due_on:
                f.responses_on_time += 1
    return sorted(found.values(), key=lambda f: (f.period.period_type, f.period.start))


def _value(text: str) -> str:
    """A breakdown value as the partner format allows: no ';' or '=', no spaces at the ends."""
    return text.replace(";", ",").replace("=", "-").strip()


def partner_rows(all_figures: list[Figures], force: str | None = None) -> list[dict[str, str]]:
    area = force or str(config.default("default_force"))
    rows: list[dict[str, str]] = []

    def row(measure: str, f: Figures, numerator: int, denominator: int | None = None, breakdown: str = "all",
            notes: str = "") -> None:
        if denominator == 0:
            return  # no rate without a base
        rows.append({"measure": measure, "period_type": f.period.period_type,
                     "period_start": f.period.start.isoformat(), "period_end": f.period.end.isoformat(),
                     "area_level": "force", "area_code": area, "breakdown": breakdown, "numerator": str(numerator),
                     "denominator": "" if denominator is None else str(denominator), "value": "", "sample_size": "",
                     "source": SOURCE, "notes": notes})

    for f in all_figures:
        row("custody_visits_made", f, f.made, f.scheduled, notes="visits made of visits scheduled")
        row("custody_detainees_held", f, f.held)
        row("custody_interview_rate_available", f, f.interviewed, f.available,
            notes=f"of detainees available for interview (held {f.held}, not available {f.not_available}, "
                  f"declined {f.declined})")
        row("custody_interview_rate_all", f, f.interviewed, f.held,
            notes=f"of all detainees held (not available {f.not_available}, declined {f.declined})")
        row("custody_issues_raised", f, sum(f.issues_by_category.values()))
        for category in Category:
            row("custody_issues_raised", f, f.issues_by_category[category.value],
                breakdown=f"category={_value(CATEGORY_NAMES[category])}")
        for suite, count in sorted(f.issues_by_suite.items()):
            row("custody_issues_raised", f, count, breakdown=f"suite={_value(suite)}")
        row("custody_responses_on_time", f, f.responses_on_time, f.responses_due,
            notes="police responses to escalated issues made by the date due, of those due in the period")
    return rows


