"""Which quarter a report covers: parsed from '2022-23-Q2', or the latest with figures.

A report covers one financial-year quarter (Q1 = April to June) for one force. The quarter must
have figures in the measures table; otherwise the error names the quarter and the quarters
that have figures, so the analyst can pick one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from oversight.errors import OversightError
from oversight.measures.periods import add_months, month_end, parse_period, period_key, period_label
from oversight.measures.query import has_measures_table


@dataclass(frozen=True)
class Quarter:
    """One financial-year quarter: its three months and how it is written."""

    end: dt.date

    @property
    def start(self) -> dt.date:
        return add_months(self.end.replace(day=1), -2)

    @property
    def months(self) -> tuple[dt.date, dt.date, dt.date]:
        """The last day of each of its months, in order."""
        firsts = [add_months(self.start, i) for i in range(3)]
        return tuple(month_end(d.year, d.month) for d in firsts)  # type: ignore[return-value]

    @property
    def label(self) -> str:
        """'2022-23 Q2'."""
        return period_label("fy_quarter", self.end)

    @property
    def key(self) -> str:
        """'2022-23-Q2': how it is written on the command line and in file names."""
        return period_key("fy_quarter", self.end)

    @property
    def span(self) -> str:
        """'July to September 2022'."""
        return f"{self.start:%B} to {self.end:%B %Y}"

    @property
    def year_before(self) -> Quarter:
        return Quarter(month_end(self.end.year - 1, self.end.month))


def month_name(day: dt.date) -> str:
    """'July 2022'."""
    return f"{day:%B %Y}"


def quarter_range(con: duckdb.DuckDBPyConnection, force: str) -> tuple[Quarter, Quarter] | None:
    """The first and last quarters with any quarterly figure for the force, or None."""
    first, last = con.execute(
        """SELECT min(period_end), max(period_end) FROM measure_value
           WHERE period_type = 'fy_quarter' AND area_level = 'force' AND area_code = ?""",
        [force],
    ).fetchone()  # type: ignore[misc]
    if first is None:
        return None
    return Quarter(first), Quarter(last)


def resolve_quarter(con: duckdb.DuckDBPyConnection, text: str | None, force: str) -> Quarter:
    """The quarter named by `text` (default: the latest with figures), checked against the table."""
    if not has_measures_table(con):
        raise OversightError("the measures have not been built yet; run 'oversight build'")
    available = quarter_range(con, force)
    if available is None:
        raise OversightError(
            f"no quarterly figures for force {force!r} in the measures table; "
            "load data with 'oversight ingest' and run 'oversight build'",
            field="quarter",
        )
    first, last = available
    if text is None:
        return last
    kind, end = parse_period(text.strip().replace(" ", "-"))
    if kind != "fy_quarter":
        raise OversightError(
            f"{text!r} is a {kind.replace('_', ' ')}, not a financial-year quarter; "
            f"write a quarter such as {last.key!r}",
            field="quarter",
        )
    quarter = Quarter(end)
    months = list(quarter.months)
    found = con.execute(
        """SELECT count(*) FROM measure_value
           WHERE area_level = 'force' AND area_code = ?
             AND ((period_type IN ('fy_quarter', 'rolling_12') AND period_end = ?)
                  OR (period_type = 'month' AND period_end IN (?, ?, ?)))""",
        [force, end, *months],
    ).fetchone()[0]  # type: ignore[index]
    if not found:
        raise OversightError(
            f"no figures for {quarter.label} ({quarter.span}) for force {force!r}; "
            f"quarters with figures run from {first.label} to {last.label}",
            field="quarter",
        )
    return quarter
