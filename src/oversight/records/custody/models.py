"""Custody visiting's tables. No column holds a detainee's name, custody number or any other
identifier: a visit report keeps counts, and issues keep a category, a severity and a short
description that the form asks to keep free of names."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oversight.records.db import Base, utcnow


class SuiteStatus(StrEnum):
    OPEN = "open"
    TEMPORARILY_CLOSED = "temporarily_closed"
    CLOSED = "closed"


SUITE_STATUS_NAMES = {SuiteStatus.OPEN: "Open", SuiteStatus.TEMPORARILY_CLOSED: "Temporarily closed",
                      SuiteStatus.CLOSED: "Closed"}


class VisitStatus(StrEnum):
    SCHEDULED = "scheduled"
    MADE = "made"
    MISSED = "missed"
    CANCELLED = "cancelled"  # the suite was closed: not counted as scheduled


class DayPart(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"
    NIGHT = "night"


DAY_PART_NAMES = {DayPart.MORNING: "Morning (7:00-12:00)", DayPart.AFTERNOON: "Afternoon (12:00-17:00)",
                  DayPart.EVENING: "Evening (17:00-22:00)", DayPart.NIGHT: "Night (22:00-7:00)"}


class Unavailable(StrEnum):
    """Why a detainee held at the time of a visit could not be offered an interview."""

    ASLEEP = "asleep"
    IN_INTERVIEW = "in_interview"
    WITH_LEGAL_OR_HEALTH = "with_legal_or_health"
    UNFIT = "unfit"
    OUT_OF_SUITE = "out_of_suite"
    RISK = "risk"
    OTHER = "other"


UNAVAILABLE_NAMES = {
    Unavailable.ASLEEP: "Asleep", Unavailable.IN_INTERVIEW: "In police interview",
    Unavailable.WITH_LEGAL_OR_HEALTH: "With a solicitor, doctor or nurse",
    Unavailable.UNFIT: "Unfit (intoxicated or unwell)", Unavailable.OUT_OF_SUITE: "Out of the suite (court, hospital)",
    Unavailable.RISK: "Police advised a risk to visitors", Unavailable.OTHER: "Other reason",
}


class Category(StrEnum):
    WELFARE = "welfare"
    HEALTHCARE = "healthcare"
    FOOD = "food"
    CELL_CONDITIONS = "cell_conditions"
    RIGHTS = "rights"
    RECORDS = "records"
    DELAYS = "delays"


CATEGORY_NAMES = {Category.WELFARE: "Welfare", Category.HEALTHCARE: "Healthcare", Category.FOOD: "Food and drink",
                  Category.CELL_CONDITIONS: "Cell conditions", Category.RIGHTS: "Rights and entitlements",
                  Category.RECORDS: "Custody records", Category.DELAYS: "Delays"}


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


SEVERITY_NAMES = {Severity.LOW: "Low", Severity.MEDIUM: "Medium", Severity.HIGH: "High",
                  Severity.URGENT: "Urgent (raised with the custody sergeant at once)"}


class IssueStatus(StrEnum):
    OPEN = "open"            # noted in the report, not (yet) escalated
    ESCALATED = "escalated"  # sent to the police, awaiting a response
    RESPONDED = "responded"  # the police answered; the coordinator has not closed it
    CLOSED = "closed"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Panel(Base):
    __tablename__ = "cv_panel"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    area: Mapped[str] = mapped_column(String(200), default="")
    visits_per_suite: Mapped[int] = mapped_column(Integer, default=2)  # the rota's coverage per suite per month
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    suites: Mapped[list[Suite]] = relationship(back_populates="panel", order_by="Suite.name")
    __table_args__ = (CheckConstraint("visits_per_suite BETWEEN 1 AND 31", name="coverage"),)


class PanelMember(Base):
    __tablename__ = "cv_panel_member"

    panel_id: Mapped[int] = mapped_column(ForeignKey("cv_panel.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    joined_on: Mapped[dt.date] = mapped_column(Date, default=dt.date.today)


class Suite(Base):
    __tablename__ = "cv_suite"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("cv_panel.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=SuiteStatus.OPEN.value)
    status_note: Mapped[str] = mapped_column(String(300), default="")
    cells: Mapped[int | None] = mapped_column(Integer)

    panel: Mapped[Panel] = relationship(back_populates="suites")
    __table_args__ = (CheckConstraint(_in("status", SuiteStatus), name="status"),)


class Visit(Base):
    """One visit on the rota: a suite, a day and part of the day, two visitors."""

    __tablename__ = "cv_visit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("cv_panel.id"), index=True)
    suite_id: Mapped[int] = mapped_column(ForeignKey("cv_suite.id"), index=True)
    visit_date: Mapped[dt.date] = mapped_column(Date, index=True)
    day_part: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default=VisitStatus.SCHEDULED.value)
    published: Mapped[bool] = mapped_column(Boolean, default=False)  # shown to visitors once the rota is published
    first_visitor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    second_visitor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    suite: Mapped[Suite] = relationship()
    panel: Mapped[Panel] = relationship()
    report: Mapped[VisitReport | None] = relationship(back_populates="visit", cascade="all, delete-orphan")
    __table_args__ = (CheckConstraint(_in("status", VisitStatus), name="status"),
                      CheckConstraint(_in("day_part", DayPart), name="day_part"))


class VisitReport(Base):
    """What the visitors found: times, and counts of detainees. held = not available + declined +
    interviewed (MOPAC's published figures add up this way: 2018, 4,376 + 1,249 + 3,991 = 9,616)."""

    __tablename__ = "cv_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("cv_visit.id", ondelete="CASCADE"), unique=True)
    time_in: Mapped[dt.time] = mapped_column(Time)
    time_out: Mapped[dt.time] = mapped_column(Time)
    held: Mapped[int] = mapped_column(Integer)
    not_available: Mapped[int] = mapped_column(Integer)
    declined: Mapped[int] = mapped_column(Integer)
    interviewed: Mapped[int] = mapped_column(Integer)
    filed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    filed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    visit: Mapped[Visit] = relationship(back_populates="report")
    reasons: Mapped[list[UnavailableCount]] = relationship(cascade="all, delete-orphan")
    issues: Mapped[list[Issue]] = relationship(back_populates="report", cascade="all, delete-orphan",
                                               order_by="Issue.id")
    __table_args__ = (
        CheckConstraint("held >= 0 AND not_available >= 0 AND declined >= 0 AND interviewed >= 0", name="counts"),
        CheckConstraint("held = not_available + declined + interviewed", name="adds_up"),
    )


class UnavailableCount(Base):
    __tablename__ = "cv_unavailable"

    report_id: Mapped[int] = mapped_column(ForeignKey("cv_report.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(24), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    __table_args__ = (CheckConstraint("count > 0", name="count"), CheckConstraint(_in("reason", Unavailable),
                                                                                  name="reason"))


class Issue(Base):
    __tablename__ = "cv_issue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("cv_report.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=IssueStatus.OPEN.value)
    escalated_on: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    response: Mapped[str] = mapped_column(Text, default="")
    responded_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)

    report: Mapped[VisitReport] = relationship(back_populates="issues")
    __table_args__ = (CheckConstraint(_in("category", Category), name="category"),
                      CheckConstraint(_in("severity", Severity), name="severity"),
                      CheckConstraint(_in("status", IssueStatus), name="status"))

    def overdue(self, today: dt.date) -> bool:
        return self.status == IssueStatus.ESCALATED and self.due_on is not None and self.due_on < today
