"""The complaint review case table. No column holds a complainant's name, address, telephone or
email: the force's complaint number links a case to the force's own file, which holds them."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oversight.records.db import Base, utcnow


class CaseKind(StrEnum):
    REVIEW = "review"                # a review of the force's outcome of a complaint, on the complainant's request
    CHIEF_OFFICER = "chief_officer"  # a complaint about the chief officer, which the office handles itself


KIND_NAMES = {CaseKind.REVIEW: "Review of a complaint outcome",
              CaseKind.CHIEF_OFFICER: "Complaint about the chief officer"}


class Decision(StrEnum):
    UPHELD = "upheld"                   # the outcome was not reasonable and proportionate
    NOT_UPHELD = "not_upheld"
    RECOMMENDATION = "recommendation"   # upheld, with a recommendation to the force


DECISION_NAMES = {Decision.UPHELD: "Upheld", Decision.NOT_UPHELD: "Not upheld",
                  Decision.RECOMMENDATION: "Upheld, recommendation made"}


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class ComplaintCase(Base):
    """One case: received, allocated to a reviewer, decided. `reduced` marks a case past the
    retention period whose reference to the force's file, reviewer and recommendation text were
    removed, keeping only what the statistics need (kind, dates, decision, borough)."""

    __tablename__ = "cr_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    force_reference: Mapped[str | None] = mapped_column(String(40))
    borough_code: Mapped[str | None] = mapped_column(String(9))
    received_on: Mapped[dt.date] = mapped_column(Date, index=True)
    allocated_on: Mapped[dt.date | None] = mapped_column(Date)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    decided_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    decision: Mapped[str | None] = mapped_column(String(16))
    recommendation: Mapped[str] = mapped_column(Text, default="")
    reduced: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(_in("kind", CaseKind), name="kind"),
        CheckConstraint(f"decision IS NULL OR {_in('decision', Decision)}", name="decision"),
        CheckConstraint("(decided_on IS NULL) = (decision IS NULL)", name="decided"),
        CheckConstraint("allocated_on IS NULL OR allocated_on >= received_on", name="allocated_after"),
        CheckConstraint("decided_on IS NULL OR decided_on >= received_on", name="decided_after"),
    )

    def days(self) -> int | None:
        """Days from the request to the decision (None while open)."""
        return (self.decided_on - self.received_on).days if self.decided_on else None
