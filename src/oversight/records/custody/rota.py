"""The unannounced visit rota: random within the coordinator's rules, so the police cannot predict it.

Rules: each open suite of a panel gets the panel's `visits_per_suite` visits in the month (its
coverage); the month is cut into that many equal spans and each visit falls on a random day of its
span, so visits are spread out without a fixed pattern; the part of the day is random but never the
same as the suite's previous visit, nor is the weekday; each visit has two different visitors of the
panel (pairs), the least-used first, and no visitor twice on one day. Suites closed or temporarily
closed get no visits, and the rota says so."""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from oversight.errors import OversightError
from oversight.records.custody.models import DayPart, Panel, PanelMember, Suite, SuiteStatus, Visit, VisitStatus
from oversight.records.models import User


class RotaError(OversightError):
    status = 422


@dataclass
class Rota:
    panel_id: int
    month: dt.date
    visits: list[Visit] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # suites given no visits, with why


def month_days(month: dt.date) -> list[dt.date]:
    days = calendar.monthrange(month.year, month.month)[1]
    return [dt.date(month.year, month.month, d) for d in range(1, days + 1)]


def spans(days: list[dt.date], k: int) -> list[list[dt.date]]:
    """The month cut into k spans of (nearly) equal length, in order."""
    edges = [round(i * len(days) / k) for i in range(k + 1)]
    return [days[edges[i]:edges[i + 1]] for i in range(k)]


def plan(panel: Panel, suites: list[Suite], members: list[int], month: dt.date, rng: random.Random) -> Rota:
    """The visits for one panel and month (not yet saved)."""
    rota = Rota(panel.id, month)
    if len(members) < 2:
        raise RotaError(f"panel {panel.name!r} has {len(members)} visitor(s): visits are made in pairs, so a rota "
                        "needs at least two", field="members")
    days = month_days(month)
    k = panel.visits_per_suite
    if k > len(days):
        raise RotaError(f"{k} visits per suite do not fit in a month", field="visits_per_suite")
    load: Counter[int] = Counter()
    busy: dict[dt.date, set[int]] = {}
    for suite in suites:
        if suite.status != SuiteStatus.OPEN:
            rota.skipped.append(f"{suite.name}: {suite.status.replace('_', ' ')}")
            continue
        last_part: str | None = None
        last_weekday: int | None = None
        for span in spans(days, k):
            possible = [d for d in span if len(members) - len(busy.get(d, set())) >= 2]
            if not possible:
                raise RotaError(f"not enough visitors free from {span[0]:%d} to {span[-1]:%d %B} for {suite.name}: "
                                "add members to the panel or lower the visits per suite", field="members")
            day = rng.choice([d for d in possible if d.weekday() != last_weekday] or possible)
            part = rng.choice([p.value for p in DayPart if p.value != last_part])
            free = [m for m in members if m not in busy.get(day, set())]
            rng.shuffle(free)
            first, second = sorted(free, key=lambda m: load[m])[:2]
            load.update([first, second])
            busy.setdefault(day, set()).update([first, second])
            rota.visits.append(Visit(panel_id=panel.id, suite_id=suite.id, visit_date=day, day_part=part,
                                     status=VisitStatus.SCHEDULED.value, published=False,
                                     first_visitor_id=first, second_visitor_id=second))
            last_part, last_weekday = part, day.weekday()
    rota.visits.sort(key=lambda v: (v.visit_date, list(DayPart).index(DayPart(v.day_part))))
    return rota


def _month_range(month: dt.date) -> tuple[dt.date, dt.date]:
    days = month_days(month)
    return days[0], days[-1]


def draft(db: Session, panel_id: int, month: dt.date, rng: random.Random | None = None) -> Rota:
    """Make (or remake) the panel's draft rota for a month; a published month cannot be redrawn."""
    panel = db.get(Panel, panel_id)
    if panel is None:
        raise RotaError("no such panel", field="panel")
    first, last = _month_range(month)
    in_month = (Visit.panel_id == panel_id) & (Visit.visit_date >= first) & (Visit.visit_date <= last)
    if db.scalar(select(Visit.id).where(in_month, Visit.published.is_(True)).limit(1)) is not None:
        raise RotaError(f"the rota for {first:%B %Y} is published: it cannot be drawn again", field="month")
    db.execute(delete(Visit).where(in_month))
    suites = db.scalars(select(Suite).where(Suite.panel_id == panel_id).order_by(Suite.name)).all()
    members = db.scalars(select(PanelMember.user_id).join(User, User.id == PanelMember.user_id)
                         .where(PanelMember.panel_id == panel_id, User.active.is_(True))
                         .order_by(PanelMember.user_id)).all()
    rota = plan(panel, list(suites), list(members), first, rng or random.SystemRandom())
    db.add_all(rota.visits)
    db.flush()
    return rota


def publish(db: Session, panel_id: int, month: dt.date) -> int:
    """Publish the month's draft to the panel's visitors; returns the number of visits published."""
    first, last = _month_range(month)
    visits = db.scalars(select(Visit).where(Visit.panel_id == panel_id, Visit.visit_date >= first,
                                            Visit.visit_date <= last, Visit.published.is_(False))).all()
    if not visits:
        raise RotaError(f"there is no draft rota for {first:%B %Y} to publish", field="month")
    for visit in visits:
        visit.published = True
    return len(visits)
