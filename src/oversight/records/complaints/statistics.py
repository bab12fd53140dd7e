"""Complaint review timeliness, per financial-year quarter and per 12 months to each quarter's end,
as a partner file for the measures (docs/partner-data.md, "Complaint reviews"): the records service
never writes the measures table. Only periods that have ended are given.

Four measures leave in the file:

- `complaint_reviews_decided_in_target`: of the cases whose target date (request received + the
  target, `complaint_review_target_days`) fell in the period, the share decided by it. Taking the
  cases *due* in a period, not those *decided* in it, is what keeps open cases in view: a case
  still open on its target date counts as not decided in time, so a quarter cannot look better by
  leaving its oldest cases undecided. The measures build adds the Wilson interval.
- `complaint_reviews_open_past_target`: cases still open at the period's end that had passed their
  target date by then (a count at a day, so the 12-month row repeats its last quarter's).
- `complaint_review_days_median`: the median days from request to decision of the cases decided in
  the period, with their number as `sample_size` (it carries no interval: see the measure's caveats).
- `complaint_reviews_decided`: the cases decided in the period, in all and by days taken (`days=`
  bands) and by kind, the distribution behind the median.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from oversight import config
from oversight.records.complaints.models import KIND_NAMES, CaseKind, ComplaintCase
from oversight.records.periods import Period, quarter_start

SOURCE = "Complaint review case records"
MEASURES = ("complaint_reviews_decided_in_target", "complaint_reviews_open_past_target",
            "complaint_review_days_median", "complaint_reviews_decided")
BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 28, "0-28 days"), (29, 56, "29-56 days"), (57, 91, "57-91 days"), (92, 182, "92-182 days"),
    (183, None, "183 days or more"))
"""Days from request to decision: four weeks, eight weeks, a quarter, half a year, longer."""


def target_days() -> int:
    return int(config.default("complaint_review_target_days"))  # type: ignore[call-overload]


def band_of(days: int) -> str:
    return next(label for low, high, label in BANDS if days >= low and (high is None or days <= high))


@dataclass(frozen=True)
class Case:
    """What the statistics read of a case."""

    kind: str
    received_on: dt.date
    decided_on: dt.date | None


@dataclass
class Figures:
    period: Period
    target: int
    due: dict[str, int] = field(default_factory=dict)             # kind ('all' too) -> cases due
    due_in_time: dict[str, int] = field(default_factory=dict)     # kind -> of those, decided by the target date
    open_past_target: int = 0
    days: list[int] = field(default_factory=list)                 # of cases decided in the period
    decided_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def band_counts(self) -> dict[str, int]:
        """Cases decided in the period by days taken, in the order of `BANDS`."""
        return {label: sum(1 for d in self.days if band_of(d) == label) for _low, _high, label in BANDS}

    @property
    def median_days(self) -> float | None:
        return float(statistics.median(self.days)) if self.days else None


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def periods(first: dt.date, today: dt.date) -> list[Period]:
    """Every quarter from the one holding `first` that has ended by `today`, and the 12 months to each
    such quarter's end (once 12 months have passed since the first quarter)."""
    found: list[Period] = []
    start = quarter_start(first)
    while (end := _add_months(start, 3) - dt.timedelta(days=1)) < today:
        found.append(Period("fy_quarter", start, end))
        year_start = _add_months(start, -9)
        if year_start >= quarter_start(first):
            found.append(Period("rolling_12", year_start, end))
        start = _add_months(start, 3)
    return found


def figures_of(cases: list[Case], today: dt.date, target: int) -> list[Figures]:
    if not cases:
        return []
    out = []
    for period in periods(min(c.received_on for c in cases), today):
        f = Figures(period, target)
        for c in cases:
            due_on = c.received_on + dt.timedelta(days=target)
            if period.start <= due_on <= period.end:
                in_time = c.decided_on is not None and c.decided_on <= due_on
                for key in ("all", c.kind):
                    f.due[key] = f.due.get(key, 0) + 1
                    f.due_in_time[key] = f.due_in_time.get(key, 0) + int(in_time)
            if c.decided_on is not None and period.start <= c.decided_on <= period.end:
                f.days.append((c.decided_on - c.received_on).days)
                f.decided_by_kind[c.kind] = f.decided_by_kind.get(c.kind, 0) + 1
        f.open_past_target = sum(1 for c in cases if c.received_on + dt.timedelta(days=target) < period.end
                                 and (c.decided_on is None or c.decided_on > period.end))
        out.append(f)
    return out


def figures(db: Session, today: dt.date, target: int | None = None) -> list[Figures]:
    """Figures for every ended quarter and 12 months since the first case was received."""
    cases = [Case(k, r, d) for k, r, d in db.execute(
        select(ComplaintCase.kind, ComplaintCase.received_on, ComplaintCase.decided_on)).all()]
    return figures_of(cases, today, target_days() if target is None else target)


def partner_rows(all_figures: list[Figures], force: str | None = None) -> list[dict[str, str]]:
    area = force or str(config.default("default_force"))
    rows: list[dict[str, str]] = []

    def row(measure: str, f: Figures, numerator: int | None = None, denominator: int | None = None,
            breakdown: str = "all", value: float | None = None, sample_size: int | None = None,
            notes: str = "") -> None:
        rows.append({"measure": measure, "period_type": f.period.period_type,
                     "period_start": f.period.start.isoformat(), "period_end": f.period.end.isoformat(),
                     "area_level": "force", "area_code": area, "breakdown": breakdown,
                     "numerator": "" if numerator is None else str(numerator),
                     "denominator": "" if denominator is None else str(denominator),
                     "value": "" if value is None else f"{value:g}",
                     "sample_size": "" if sample_size is None else str(sample_size), "source": SOURCE,
                     "notes": notes})

    for f in all_figures:
        kinds = [("all", "all")] + [(k.value, f"kind={KIND_NAMES[k]}") for k in CaseKind]
        for key, breakdown in kinds:
            if f.due.get(key):
                row("complaint_reviews_decided_in_target", f, f.due_in_time[key], f.due[key], breakdown,
                    notes=f"cases whose target date ({f.target} days from the request) fell in the period, decided "
                          f"by it; {f.due[key] - f.due_in_time[key]} were not, open ones included")
        row("complaint_reviews_open_past_target", f, f.open_past_target,
            notes=f"cases open on {f.period.end.isoformat()} more than {f.target} days after the request")
        row("complaint_reviews_decided", f, len(f.days))
        if f.days:
            row("complaint_review_days_median", f, value=f.median_days, sample_size=len(f.days),
                notes=f"median of {len(f.days)} cases decided in the period")
            for label, count in f.band_counts.items():
                row("complaint_reviews_decided", f, count, breakdown=f"days={label}")
            for k in CaseKind:
                row("complaint_reviews_decided", f, f.decided_by_kind.get(k.value, 0),
                    breakdown=f"kind={KIND_NAMES[k]}")
    return rows


