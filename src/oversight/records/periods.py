"""The periods the records' statistics are counted over, labelled as the measures label them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass
class Period:
    period_type: str  # fy_quarter, financial_year, calendar_year or rolling_12
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        """'2024-25 Q1', '2024-25', '2024', '12 months to Jun 2025'."""
        if self.period_type == "fy_quarter":
            fy = self.start.year if self.start.month >= 4 else self.start.year - 1
            return f"{fy}-{(fy + 1) % 100:02d} Q{((self.start.month - 4) % 12) // 3 + 1}"
        if self.period_type == "financial_year":
            return f"{self.start.year}-{(self.start.year + 1) % 100:02d}"
        if self.period_type == "rolling_12":
            return f"12 months to {self.end:%b %Y}"
        return str(self.start.year)


def quarter_start(day: dt.date) -> dt.date:
    """The first day of the calendar quarter holding `day`."""
    return dt.date(day.year, ((day.month - 1) // 3) * 3 + 1, 1)
