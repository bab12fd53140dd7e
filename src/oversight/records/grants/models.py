"""Commissioning and grants' tables. Money is `Numeric(14, 2)` read and written as `Decimal`: sums are
exact to the penny on both databases. A return holds counts and money for a grant's quarter, never a
person's name: providers report how many people, not who."""

from __future__ import annotations

import datetime as dt
import decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oversight.records.db import Base, utcnow

MONEY = Numeric(14, 2, asdecimal=True)


class MeasureKind(StrEnum):
    OUTPUT = "output"    # what the service did: sessions run, people trained
    OUTCOME = "outcome"  # what changed for people: completed a programme, did not reoffend


class ReturnStatus(StrEnum):
    DRAFT = "draft"            # being filled by the provider
    SUBMITTED = "submitted"    # sent to the commissioner, awaiting sign-off
    RETURNED = "returned"      # sent back by the commissioner with a reason; the provider may change it
    SIGNED_OFF = "signed_off"  # accepted: counted in the published update, no longer editable


RETURN_STATUS_NAMES = {ReturnStatus.DRAFT: "Draft", ReturnStatus.SUBMITTED: "Submitted, awaiting sign-off",
                       ReturnStatus.RETURNED: "Returned to the provider", ReturnStatus.SIGNED_OFF: "Signed off"}


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Fund(Base):
    __tablename__ = "gr_fund"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Programme(Base):
    __tablename__ = "gr_programme"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("gr_fund.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    __table_args__ = (UniqueConstraint("fund_id", "name", name="fund_name"),)


class Provider(Base):
    """A funded organisation. Its provider accounts (`ProviderMember`) fill its grants' returns."""

    __tablename__ = "gr_provider"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)


class ProviderMember(Base):
    __tablename__ = "gr_provider_member"

    provider_id: Mapped[int] = mapped_column(ForeignKey("gr_provider.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)


class Grant(Base):
    __tablename__ = "gr_grant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    provider_id: Mapped[int] = mapped_column(ForeignKey("gr_provider.id"), index=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("gr_fund.id"), index=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("gr_programme.id"), index=True)
    priority: Mapped[str] = mapped_column(String(120))  # the Police and Crime Plan priority it serves
    amount: Mapped[decimal.Decimal] = mapped_column(MONEY)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    milestones: Mapped[str] = mapped_column(Text, default="")

    provider: Mapped[Provider] = relationship()
    fund: Mapped[Fund] = relationship()
    programme: Mapped[Programme | None] = relationship()
    boroughs: Mapped[list[GrantBorough]] = relationship(cascade="all, delete-orphan", order_by="GrantBorough.borough")
    measures: Mapped[list[GrantMeasure]] = relationship(cascade="all, delete-orphan", order_by="GrantMeasure.id")
    __table_args__ = (CheckConstraint("amount > 0", name="amount"), CheckConstraint("ends_on >= starts_on",
                                                                                    name="period"))

    @property
    def borough_names(self) -> list[str]:
        return [b.borough for b in self.boroughs]


class GrantBorough(Base):
    __tablename__ = "gr_grant_borough"

    grant_id: Mapped[int] = mapped_column(ForeignKey("gr_grant.id", ondelete="CASCADE"), primary_key=True)
    borough: Mapped[str] = mapped_column(String(60), primary_key=True)


class GrantMeasure(Base):
    """A measure of a grant with its target over the grant's whole period (None: no target set)."""

    __tablename__ = "gr_measure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("gr_grant.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(10))
    target: Mapped[int | None] = mapped_column(Integer)
    __table_args__ = (CheckConstraint(_in("kind", MeasureKind), name="kind"),
                      CheckConstraint("target IS NULL OR target > 0", name="target"),
                      UniqueConstraint("grant_id", "name", name="grant_name"))


class GrantReturn(Base):
    """A provider's return for one grant and one quarter (`quarter_start`: the first day of a
    financial-year quarter, April, July, October or January)."""

    __tablename__ = "gr_return"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("gr_grant.id", ondelete="CASCADE"), index=True)
    quarter_start: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(12), default=ReturnStatus.DRAFT.value)
    referrals: Mapped[int] = mapped_column(Integer, default=0)
    people_supported: Mapped[int] = mapped_column(Integer, default=0)
    spend: Mapped[decimal.Decimal] = mapped_column(MONEY, default=decimal.Decimal("0.00"))
    narrative: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    returned_reason: Mapped[str] = mapped_column(Text, default="")

    grant: Mapped[Grant] = relationship()
    values: Mapped[list[ReturnValue]] = relationship(cascade="all, delete-orphan", order_by="ReturnValue.measure_id")
    __table_args__ = (UniqueConstraint("grant_id", "quarter_start", name="grant_quarter"),
                      CheckConstraint(_in("status", ReturnStatus), name="status"),
                      CheckConstraint("referrals >= 0 AND people_supported >= 0 AND spend >= 0", name="counts"))


class ReturnValue(Base):
    """What a return reports for one of the grant's measures, in that quarter."""

    __tablename__ = "gr_return_value"

    return_id: Mapped[int] = mapped_column(ForeignKey("gr_return.id", ondelete="CASCADE"), primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("gr_measure.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
    __table_args__ = (CheckConstraint("value >= 0", name="value"),)


class Publication(Base):
    """A published quarterly update: the figures as they were when the commissioner published them
    (amounts as strings of pounds and pence), so a later sign-off never changes what the public saw
    without a new publication, which the audit log records."""

    __tablename__ = "gr_publication"

    quarter_start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    published_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
