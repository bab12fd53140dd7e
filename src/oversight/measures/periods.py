"""Reporting periods: how they are named, parsed and derived from months.

Financial years run April to March (2022-23 = April 2022 to March 2023) and their quarters
start in April (Q1 = Apr-Jun). A rolling-12-months period is named by its last month.
Every label `period_label` writes reads back with `parse_period`; the financial years 2000-01 to
2011-12 are written as a month is ('2011-12'), so reading such a label needs its period type.
Every period is identified in the measures table by (period_type, period_end), and lies within
the years FIRST_YEAR to LAST_YEAR: a period named outside them is refused before any date
arithmetic, so '0000-01' or 'FY9999-00' is an error that says so, not an overflow.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from oversight.errors import OversightError

_MONTH: Final = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER: Final = re.compile(r"^(\d{4})-(\d{2})[- ]?Q([1-4])$", re.IGNORECASE)
_FY: Final = re.compile(r"^(?:FY)?(\d{4})[-/](\d{2})$", re.IGNORECASE)
_YEAR: Final = re.compile(r"^(\d{4})$")
_ROLLING: Final = re.compile(r"^(?:(?:R12|12m)-|12\s+months\s+to\s+)(\d{4})-(0[1-9]|1[0-2])$", re.IGNORECASE)

PERIOD_TYPES: Final = ("month", "fy_quarter", "financial_year", "calendar_year", "rolling_12")

FIRST_YEAR: Final = 1900
LAST_YEAR: Final = 2999
"""The years a period may fall in (all of it, from its first to its last day)."""

PERIOD_HELP: Final = (
    "a month '2022-07', a financial-year quarter '2022-23-Q2', a financial year 'FY2022-23', "
    "a calendar year '2022', or 12 months to a month 'R12-2022-07'"
)


class PeriodOutOfRange(OversightError):
    """A well-formed period that falls outside FIRST_YEAR to LAST_YEAR: no figures can exist for it."""


def month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def parse_period(text: str, period_type: str | None = None) -> tuple[str, dt.date]:
    """(period_type, period_end) for a period label; OversightError if it is not one.

    'YYYY-MM' is a month (ISO 8601) unless `period_type` is 'financial_year': then a label that
    names a financial year too ('2011-12', as `period_label` writes it) is read as the year. A
    label that names one period is read as that period whatever `period_type` says, so the caller
    can tell the reader it is the wrong kind. 'FY2011-12' and '2011/12' are always years."""
    if period_type is not None and period_type not in PERIOD_TYPES:
        raise OversightError(f"unknown period type {period_type!r}; use one of {', '.join(PERIOD_TYPES)}",
                             field="period_type")
    label = text.strip()
    if m := _ROLLING.match(label):
        _check_years(label, int(m[1]) - (m[2] != "12"), int(m[1]))
        return "rolling_12", month_end(int(m[1]), int(m[2]))
    if m := _QUARTER.match(label):
        start_year, quarter = _fy_start(m[1], m[2], label), int(m[3])
        _check_years(label, start_year, start_year + 1)
        first = add_months(dt.date(start_year, 4, 1), 3 * (quarter - 1))
        last = add_months(first, 2)
        return "fy_quarter", month_end(last.year, last.month)
    fy = _FY.match(label)
    names_a_year = fy is not None and (int(fy[1]) + 1) % 100 == int(fy[2])
    if (m := _MONTH.match(label)) and not (period_type == "financial_year" and names_a_year):
        _check_years(label, int(m[1]), int(m[1]))
        return "month", month_end(int(m[1]), int(m[2]))
    if fy:
        start_year = _fy_start(fy[1], fy[2], label)
        _check_years(label, start_year, start_year + 1)
        return "financial_year", dt.date(start_year + 1, 3, 31)
    if m := _YEAR.match(label):
        _check_years(label, int(m[1]), int(m[1]))
        return "calendar_year", dt.date(int(m[1]), 12, 31)
    raise OversightError(f"{label!r} is not a period; use {PERIOD_HELP}", field="period")


def _check_years(label: str, first: int, last: int) -> None:
    """The period's first and last day must fall within FIRST_YEAR to LAST_YEAR (#6)."""
    if first < FIRST_YEAR or last > LAST_YEAR:
        raise PeriodOutOfRange(f"{label!r} is outside the years periods can fall in ({FIRST_YEAR} to {LAST_YEAR})",
                               field="period")


def _fy_start(first: str, second: str, label: str) -> int:
    start = int(first)
    if (start + 1) % 100 != int(second):
        raise OversightError(
            f"{label!r}: a financial year is two consecutive years, e.g. '{start}-{(start + 1) % 100:02d}'",
            field="period",
        )
    return start


def period_label(period_type: str, period_end: dt.date) -> str:
    """'2022-07', '2022-23 Q2', '2022-23', '2022', '12 months to 2022-07': as published in the API
    and CSV. `parse_period(label, period_type)` reads it back."""
    if period_type == "month":
        return f"{period_end:%Y-%m}"
    if period_type == "rolling_12":
        return f"12 months to {period_end:%Y-%m}"
    if period_type == "calendar_year":
        return f"{period_end.year}"
    start_year = period_end.year if period_end.month >= 4 else period_end.year - 1
    fy = f"{start_year}-{(start_year + 1) % 100:02d}"
    if period_type == "financial_year":
        return fy
    if period_type == "fy_quarter":
        quarter = ((period_end.month + 8) % 12) // 3 + 1
        return f"{fy} Q{quarter}"
    raise OversightError(f"unknown period type {period_type!r}", field="period_type")


def period_key(period_type: str, period_end: dt.date) -> str:
    """The label in URL form (no spaces): '2022-23-Q2', 'FY2022-23', 'R12-2022-07'.

    Financial years carry 'FY' because '2011-12' would otherwise also be December 2011."""
    if period_type == "rolling_12":
        return f"R12-{period_end:%Y-%m}"
    if period_type == "financial_year":
        return "FY" + period_label(period_type, period_end)
    return period_label(period_type, period_end).replace(" ", "-")


# SQL fragments deriving each period from a first-of-month DATE column named `month`.
FY_START_SQL: Final = "make_date(CASE WHEN month(month) >= 4 THEN year(month) ELSE year(month) - 1 END, 4, 1)"
FY_QUARTER_START_SQL: Final = (
    f"({FY_START_SQL} + to_months(3 * (((month(month) + 8) % 12) // 3)))::DATE"
)
