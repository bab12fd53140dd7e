"""One measure's figures for a quarter, read from the measures table through `oversight.measures.query`.

For each measure: the quarter's figure (the financial-year quarter where the measure has one,
otherwise the 12 months to the quarter's end), the same figure a year before, the quarter's
months with their SPC verdicts, and a chart: the monthly SPC chart where the measure has
monthly figures, otherwise the quarterly or rolling series with 95% intervals. Everything is
read with `public=True`, so a suppressed figure arrives blank with its reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Final

import duckdb
import pandas as pd

from oversight.errors import OversightError
from oversight.measures.catalogue import Measure
from oversight.measures.periods import add_months, month_end
from oversight.measures.query import measure_values
from oversight.present.labels import as_date, is_missing
from oversight.report.charts import Chart, time_chart
from oversight.report.quarter import Quarter

WINDOW_MONTHS: Final = 36   # monthly SPC charts show the three years to the quarter's end
WINDOW_QUARTERS: Final = 16  # quarterly and rolling series show the four years to it

SHOWN: Final = "shown"
NO_FIGURE: Final = "no figure for this quarter"
NO_AREA: Final = "no figures for this force"
NO_DATA: Final = "no data loaded"
AWAITING: Final = "awaiting data"  # partner measures: no partner file loaded


@dataclass
class MeasureFigures:
    measure: Measure
    status: str
    figure: dict[str, Any] | None = None
    year_before: dict[str, Any] | None = None
    months: list[dict[str, Any]] = field(default_factory=list)
    chart: Chart | None = None
    coverage: str = ""  # 'January 2018 to December 2020', or why there are no figures (NO_DATA)

    @property
    def reason(self) -> str:
        """Why a measure shows no figure for the quarter, in a few words."""
        if self.status == NO_AREA:
            return "figures only for other forces"
        if self.status == NO_DATA:
            return f"no data loaded: {self.coverage}" if self.coverage else "no data loaded"
        if self.status == AWAITING:
            return "awaiting partner data"
        return f"figures run from {self.coverage}" if self.coverage else ""

    @property
    def special_months(self) -> list[dict[str, Any]]:
        return [m for m in self.months
                if str(m.get("spc_variation") or "").startswith("special_cause") and not m.get("suppressed")]

    @property
    def verdict(self) -> str | None:
        if self.figure is None or self.figure.get("suppressed"):
            return None
        return self.figure.get("vs_year_before") or None

    @property
    def changed(self) -> bool:
        """A significant change on a year before, or special cause variation in a month of the quarter."""
        return (self.verdict or "").startswith("significant") or bool(self.special_months)


@dataclass
class Gap:
    """A gap between groups judged against a band (the Plan's ±5 points)."""

    measure: Measure
    status: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    chart: Chart | None = None



def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts: missing values as None, dates as `datetime.date`."""
    rows = []
    for row in frame.to_dict("records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, pd.Timestamp):
                value = value.date()
            elif value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
                value = None
            clean[key] = value
        rows.append(clean)
    return rows


def force_rows(con: duckdb.DuckDBPyConnection, measure: Measure, force: str, catalogue: dict[str, Measure],
               breakdown: str | None = "all") -> list[dict[str, Any]]:
    """Every public figure of the measure for the force (all period types), or [] if it has none."""
    try:
        frame = measure_values(con, measure.id, level="force", area=force, breakdown=breakdown, public=True,
                               catalogue=catalogue)
    except OversightError as exc:
        if exc.field == "area":
            return []
        raise
    return records(frame)


def figure_kind(measure: Measure) -> str | None:
    """The period type that stands for a quarter: the quarter itself, else the 12 months to its end."""
    for kind in ("fy_quarter", "rolling_12"):
        if kind in measure.periods:
            return kind
    return None


def gather(con: duckdb.DuckDBPyConnection, measure: Measure, quarter: Quarter, force: str, area_name: str,
           catalogue: dict[str, Measure], *, awaiting: str | None = None, chart: bool = True) -> MeasureFigures:
    """The measure's figures for the quarter, at force level, for everyone ('all').

    `awaiting` is the build's detail for a measure with no data yet (None when it has data)."""
    if awaiting is not None:
        if measure.awaits_partner_data:
            return MeasureFigures(measure, AWAITING)
        return MeasureFigures(measure, NO_DATA, coverage=awaiting)
    rows = force_rows(con, measure, force, catalogue)
    if not rows:
        return MeasureFigures(measure, NO_AREA)
    kind = figure_kind(measure)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_kind.setdefault(row["period_type"], []).append(row)
    figure = _at(by_kind.get(kind or "", []), quarter.end)
    year_before = _at(by_kind.get(kind or "", []), quarter.year_before.end)
    months = [r for r in by_kind.get("month", []) if r["period_end"] in quarter.months]
    ends = [r["period_end"] for r in rows]
    coverage = f"{_month(min(ends), rows)} to {max(ends):%B %Y}"
    if figure is None and not months:
        return MeasureFigures(measure, NO_FIGURE, coverage=coverage)
    result = MeasureFigures(measure, SHOWN, figure, year_before, months, coverage=coverage)
    if chart:
        result.chart = series_chart(measure, by_kind, kind, quarter, area_name)
    return result


def _at(rows: list[dict[str, Any]], end: dt.date) -> dict[str, Any] | None:
    return next((r for r in rows if r["period_end"] == end), None)


def _month(end: dt.date, rows: list[dict[str, Any]]) -> str:
    """The first month covered: the start of the earliest period ending on `end`."""
    starts = [as_date(r["period_start"]) for r in rows if r["period_end"] == end]
    return f"{min(starts):%B %Y}"


def series_chart(measure: Measure, by_kind: dict[str, list[dict[str, Any]]], kind: str | None,
                 quarter: Quarter, area_name: str) -> Chart | None:
    """Monthly SPC chart where there are monthly figures; else the quarterly or rolling series."""
    if by_kind.get("month"):
        points = regular(by_kind["month"], "month", quarter.end, WINDOW_MONTHS, 1)
        spc, every, highlight = True, "each month", set(quarter.months)
    elif kind and by_kind.get(kind):
        points = regular(by_kind[kind], kind, quarter.end, WINDOW_QUARTERS, 3)
        every = "12 months to each quarter's end" if kind == "rolling_12" else "each quarter"
        spc, highlight = False, {quarter.end}
    else:
        return None
    if sum(not is_missing(p.get("value")) for p in points) < 2:
        return None
    label = quarter.label if spc or kind == "fy_quarter" else f"12 months to {quarter.end:%b %Y}"
    return time_chart(measure, points, highlight=highlight, highlight_label=label, spc=spc, every=every,
                      area_name=area_name, ratio_line=measure.unit == "ratio")


def regular(rows: list[dict[str, Any]], kind: str, last: dt.date, count: int, step: int) -> list[dict[str, Any]]:
    """The `count` periods ending at `last`, `step` months apart, from the first with a figure;
    a period with no row becomes a gap (value None)."""
    by_end = {r["period_end"]: r for r in rows}
    ends = []
    for i in range(count - 1, -1, -1):
        first = add_months(last.replace(day=1), -step * i)
        ends.append(month_end(first.year, first.month))
    known = [e for e in ends if e in by_end]
    if not known:
        return []
    ends = [e for e in ends if e >= known[0]]
    return [by_end.get(e) or {"period_type": kind, "period_end": e, "value": None} for e in ends]

