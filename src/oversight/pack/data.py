"""What a borough's monthly stop and search pack shows, read from the measures table.

For one borough and one month: the month and the 12 months to it, each against the same period a
year before with the verdict the engine stored (`vs_year_before`); searches, rates and rate
ratios by self-defined ethnic group; outcomes and find rates; grounds (object of search) and
legislation; strip searches; self-defined against officer-defined ethnicity; a monthly SPC
chart. Every figure is a row of `measure_value` read with `public=True` through
`oversight.measures.query`, so a suppressed cell arrives blank with its reason; nothing here
computes, rounds or words a figure (the templates word them through `oversight.present`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import duckdb
import pandas as pd

from oversight.errors import OversightError
from oversight.measures import build_settings
from oversight.measures.catalogue import Measure, load_catalogue
from oversight.measures.health import force_names
from oversight.measures.periods import add_months, month_end, period_key
from oversight.measures.query import NoFigures, has_measures_table, measure_values
from oversight.present.groups import group_table
from oversight.present.labels import breakdown_label, group_order, is_missing
from oversight.report.charts import Chart, bar_chart, time_chart
from oversight.report.figures import records, regular

MONTH: Final = "month"
YEAR: Final = "rolling_12"
LEVEL: Final = "borough"
CHART_MONTHS: Final = 24  # the monthly chart: the two years to the pack's month

VOLUME: Final = "stop_search_volume"
RATE: Final = "stop_search_rate"
RATIO: Final = "stop_search_rate_ratio"
STRIP: Final = "stop_search_strip_searches"
POSITIVE: Final = "stop_search_positive_outcome_rate"
ARREST: Final = "stop_search_arrest_rate"
FIND: Final = "stop_search_find_rate"
NFA: Final = "stop_search_no_further_action_rate"
NOT_STATED: Final = "stop_search_ethnicity_not_stated"
POSITIVE_GAP: Final = "stop_search_positive_outcome_gap"
ARREST_GAP: Final = "stop_search_arrest_rate_gap"
FIND_GAP: Final = "stop_search_find_rate_gap"
NFA_GAP: Final = "stop_search_no_further_action_gap"
AGREEMENT: Final = "stop_search_ethnicity_agreement"

HEADLINE: Final = (VOLUME, RATE, STRIP, POSITIVE, ARREST, FIND, NFA, NOT_STATED)
"""The measures of the pack's first table, in its order."""
MEASURES: Final = (*HEADLINE, RATIO, POSITIVE_GAP, ARREST_GAP, FIND_GAP, NFA_GAP, AGREEMENT)

SELF: Final = "self_defined_group"
OFFICER: Final = "officer_defined_ethnicity"


class PackNotFound(OversightError):
    """A borough or month with no stop and search figures: on the site, a page not found."""

    status = 404


@dataclass(frozen=True)
class Borough:
    code: str    # 'E09000022'
    name: str    # 'Lambeth'

    @property
    def slug(self) -> str:
        """The borough in a web address: 'lambeth', 'barking-and-dagenham'."""
        return slug(self.name)

    def matches(self, text: str) -> bool:
        """Whether `text` names this borough: its name in any case ('Lambeth', 'lambeth'), its web
        address form ('barking-and-dagenham') or its code ('E09000022')."""
        wanted = text.strip()
        return wanted.upper() == self.code or slug(wanted) == self.slug


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@dataclass
class Line:
    """One measure for everyone: the month's figure and the 12 months' (None: no such figure)."""

    measure: Measure
    month: dict[str, Any] | None
    year: dict[str, Any] | None


@dataclass
class Row:
    """One group of a breakdown: `cells[(measure id, period type)]` is its figure or None."""

    label: str
    breakdown: str
    cells: dict[tuple[str, str], dict[str, Any] | None]

    def get(self, measure: str, period: str = YEAR) -> dict[str, Any] | None:
        return self.cells.get((measure, period))


@dataclass
class Agreement:
    """Searches in the 12 months by self-defined group (rows) and officer-defined ethnicity (columns)."""

    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], dict[str, Any]]

    def cell(self, row: str, column: str) -> dict[str, Any] | None:
        return self.cells.get((row, column))


@dataclass
class Pack:
    borough: Borough
    force: str
    month_end: dt.date
    catalogue: dict[str, Measure]
    lines: list[Line]
    groups: list[Row]              # by self-defined ethnic group
    grounds: list[Row]             # by object of search
    legislation: list[Row]
    strip_groups: list[Row]        # strip searches by self-defined ethnic group
    strip_ages: list[Row]          # strip searches by age range
    agreement: Agreement | None
    force_name: str = ""
    charts: list[Chart] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    built_at: dt.date | None = None
    settings: dict[str, str] = field(default_factory=dict)  # those the figures were built with
    year_gap: str = ""  # why the 12 months have no figures: months of them with none ('' when complete)
    absent: dict[tuple[str, str], str] = field(default_factory=dict)
    """(measure id, period type) -> why the borough has no figure for everyone, where it has none."""

    def figures(self, rows: list[Row], columns: list[tuple[str, str]]) -> list[dict[str, Any] | None]:
        """The figures of `columns` (measure id, period type) in `rows`: those a table shows."""
        return [r.get(m, p) for r in rows for m, p in columns]

    @property
    def line_figures(self) -> list[dict[str, Any] | None]:
        return [row for line in self.lines for row in (line.month, line.year)]

    def why_absent(self, measure_id: str, period_type: str = YEAR) -> str:
        return self.absent.get((measure_id, period_type), "")

    @property
    def month_key(self) -> str:
        return f"{self.month_end:%Y-%m}"

    @property
    def month_label(self) -> str:
        return f"{self.month_end:%B %Y}"

    @property
    def month_before_label(self) -> str:
        """The month a year before: 'December 2017'."""
        return f"{add_months(self.month_end.replace(day=1), -12):%B %Y}"

    @property
    def year_start(self) -> dt.date:
        return add_months(self.month_end.replace(day=1), -11)

    @property
    def year_label(self) -> str:
        return f"12 months to {self.month_end:%B %Y}"

    @property
    def year_span(self) -> str:
        return f"{self.year_start:%B %Y} to {self.month_end:%B %Y}"

    @property
    def reference(self) -> str:
        """The group every rate ratio and outcome difference is measured against ('White')."""
        return breakdown_label(self.catalogue[RATIO].reference or "")

    def measure(self, measure_id: str) -> Measure:
        return self.catalogue[measure_id]

    @property
    def changes(self) -> dict[str, list[dict[str, Any]]]:
        """The pack's tested changes on a year before, by what the test found: 'significant'
        (increase or decrease), 'none' (no significant change), 'untested' (no comparison)."""
        found: dict[str, list[dict[str, Any]]] = {"significant": [], "none": [], "untested": []}
        for line in self.lines:
            if not line.measure.compared_with_year_before:
                continue
            for row in (line.month, line.year):
                if row is None or row.get("suppressed") or is_missing(row.get("value")):
                    continue
                verdict = str(row.get("vs_year_before") or "")
                kind = "significant" if verdict.startswith("significant") else \
                    "none" if verdict == "no significant change" else "untested"
                found[kind].append({"measure": line.measure, "row": row})
        return found


def boroughs(con: duckdb.DuckDBPyConnection) -> list[Borough]:
    """Every borough with stop and search figures, by name."""
    if not has_measures_table(con):
        raise OversightError("the measures have not been built yet; run 'oversight build'")
    found = con.execute(
        """SELECT DISTINCT a.code, a.name FROM area a
           JOIN measure_value v ON v.area_level = a.level AND v.area_code = a.code
           WHERE a.level = ? AND v.measure = ? AND v.period_type = ? AND v.breakdown = 'all'
           ORDER BY a.name""", [LEVEL, VOLUME, MONTH]).fetchall()
    return [Borough(code, name) for code, name in found]


def resolve_borough(con: duckdb.DuckDBPyConnection, text: str) -> Borough:
    """The borough named by `text` (`Borough.matches`), among those with figures."""
    known = boroughs(con)
    for b in known:
        if b.matches(text):
            return b
    if not known:
        raise OversightError("no borough has stop and search figures; load police.uk stop and search files "
                             "and the reference data, then run 'oversight build'", field="area")
    names = ", ".join(b.name for b in known)
    raise PackNotFound(f"no borough {text!r} with stop and search figures; boroughs: {names}", field="area")


def months(con: duckdb.DuckDBPyConnection, borough: Borough) -> list[dt.date]:
    """The months (their last days) with a stop and search figure for the borough, oldest first."""
    found = con.execute(
        """SELECT DISTINCT period_end FROM measure_value WHERE measure = ? AND area_level = ? AND area_code = ?
           AND period_type = ? AND breakdown = 'all' ORDER BY period_end""",
        [VOLUME, LEVEL, borough.code, MONTH]).fetchall()
    return [r[0] if isinstance(r[0], dt.date) and not isinstance(r[0], dt.datetime) else r[0].date() for r in found]


def resolve_month(con: duckdb.DuckDBPyConnection, borough: Borough, text: str) -> dt.date:
    """The last day of the month 'YYYY-MM', checked to have figures for the borough."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1000:
        raise OversightError(f"{text!r} is not a month; write it as YYYY-MM, e.g. 2018-12", field="month")
    end = month_end(int(match[1]), int(match[2]))
    available = months(con, borough)
    if end not in available:
        if not available:
            raise PackNotFound(f"no stop and search figures for {borough.name}", field="month")
        gaps = len({month_end(m.year, m.month) for m in _every_month(available[0], available[-1])}) - len(available)
        missing = f" ({gaps} months in that span have none)" if gaps else ""
        raise PackNotFound(
            f"no stop and search figures for {borough.name} in {end:%B %Y}; months with figures run from "
            f"{available[0]:%B %Y} to {available[-1]:%B %Y}{missing}", field="month")
    return end


def _month_list(firsts: list[dt.date]) -> str:
    """'January 2022', 'April 2024 to August 2024', 'May 2023 and July 2023': runs of months as spans."""
    runs: list[list[dt.date]] = []
    for m in sorted(firsts):
        if runs and add_months(runs[-1][-1], 1) == m:
            runs[-1].append(m)
        else:
            runs.append([m])
    names = [f"{r[0]:%B %Y}" if len(r) == 1 else f"{r[0]:%B %Y} to {r[-1]:%B %Y}" for r in runs]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _every_month(first: dt.date, last: dt.date) -> list[dt.date]:
    out, day = [], first.replace(day=1)
    while day <= last:
        out.append(day)
        day = add_months(day, 1)
    return out


def pack_data(con: duckdb.DuckDBPyConnection, area: str, month: str,
              catalogue: dict[str, Measure] | None = None, figures: Figures | None = None) -> Pack:
    """The pack for the borough named `area` and the month 'YYYY-MM'. Raises OversightError for
    a borough or month without figures, naming what there is. `figures` reads a measure's public
    figures (default: `measure_values` on `con`); the site passes its store's cached reads."""
    catalogue = catalogue or load_catalogue()
    missing = [m for m in MEASURES if m not in catalogue]
    if missing:
        raise OversightError(f"the measure catalogue lacks {', '.join(missing)}, which the pack shows")
    borough = resolve_borough(con, area)
    end = resolve_month(con, borough, month)
    force = str(con.execute("SELECT force FROM area WHERE level = ? AND code = ?",
                            [LEVEL, borough.code]).fetchone()[0])  # type: ignore[index]
    read = _Reader(con, borough, end, catalogue, figures)
    lines = [Line(catalogue[m], read.one(m, MONTH), read.one(m, YEAR)) for m in HEADLINE]
    pack = Pack(
        borough=borough, force=force, month_end=end, catalogue=catalogue, lines=lines,
        groups=read.table(SELF, [(VOLUME, MONTH), (VOLUME, YEAR), (RATE, YEAR), (RATIO, YEAR),
                                 (POSITIVE, YEAR), (POSITIVE_GAP, YEAR), (ARREST, YEAR), (ARREST_GAP, YEAR),
                                 (FIND, YEAR), (FIND_GAP, YEAR), (NFA, YEAR), (NFA_GAP, YEAR)]),
        grounds=read.table("object_of_search", [(VOLUME, MONTH), (VOLUME, YEAR), (FIND, YEAR)]),
        legislation=read.table("legislation", [(VOLUME, MONTH), (VOLUME, YEAR), (FIND, YEAR), (POSITIVE, YEAR)]),
        strip_groups=read.table(SELF, [(STRIP, MONTH), (STRIP, YEAR)]),
        strip_ages=read.table("age_range", [(STRIP, MONTH), (STRIP, YEAR)]),
        agreement=read.agreement(),
        force_name=force_names().get(force, force),
        built_at=con.execute("SELECT max(built_at)::DATE FROM measure_status").fetchone()[0],  # type: ignore[index]
        settings=build_settings.used(con),
    )
    published = set(months(con, borough))
    gaps = [m for m in _every_month(pack.year_start, end) if month_end(m.year, m.month) not in published]
    if gaps:
        pack.year_gap = (f"no stop and search figures for {borough.name} in {_month_list(gaps)}, so the 12 months "
                         "are not complete")
    for line in lines:
        for kind, row in ((MONTH, line.month), (YEAR, line.year)):
            if row is None and kind in line.measure.periods:
                pack.absent[(line.measure.id, kind)] = (pack.year_gap if kind == YEAR else "") \
                    or _why_absent(con, line.measure, force, end, kind)
    pack.charts = _charts(read, pack)
    for m in MEASURES:
        for caveat in catalogue[m].caveats:
            if caveat not in pack.caveats:
                pack.caveats.append(caveat)
    return pack


def _why_absent(con: duckdb.DuckDBPyConnection, measure: Measure, force: str, end: dt.date, kind: str) -> str:
    """Why a measure has no figure for the period: the source fields it rests on not recorded in
    its months (the data health ledger's own words), else the build's status of the measure."""
    first = end.replace(day=1) if kind == MONTH else add_months(end.replace(day=1), -11)
    if measure.quality_fields:
        marks = ", ".join("?" for _ in measure.quality_fields)
        found = con.execute(
            f"""SELECT month, reason FROM source_quality WHERE force = ? AND month BETWEEN ? AND ?
                AND flag = 'not_recorded' AND field IN ({marks}) ORDER BY month DESC, reason""",
            [force, first, end, *measure.quality_fields]).fetchall()
        if found:  # the latest month's reason, and in how many months a field was not recorded
            latest = [reason for month, reason in found if month == found[0][0]]
            count = len({month for month, _ in found})
            return "; ".join(latest) + ("" if kind == MONTH else
                                        f" ({found[0][0]:%B %Y}; so in {count} of the 12 months)")
    status = con.execute("SELECT status, detail FROM measure_status WHERE measure = ?", [measure.id]).fetchone()
    if status and status[0] != "ok" and status[1]:
        return str(status[1])
    return ""


class Figures(Protocol):
    """Public figures of one measure, filtered as `measure_values` filters them (empty, or None,
    where there are none)."""

    def __call__(self, measure_id: str, *, level: str, area: str, period: str | None = None,
                 period_type: str | None = None, breakdown: str | None = "all") -> pd.DataFrame | None: ...


class _Reader:
    """The public rows of one borough for the pack's two periods, read once per measure and period."""

    def __init__(self, con: duckdb.DuckDBPyConnection, borough: Borough, end: dt.date,
                 catalogue: dict[str, Measure], figures: Figures | None = None) -> None:
        self.con, self.borough, self.end, self.catalogue = con, borough, end, catalogue
        self.figures: Figures = figures or self._query
        self._rows: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def _query(self, measure_id: str, *, level: str, area: str, period: str | None = None,
               period_type: str | None = None, breakdown: str | None = "all") -> pd.DataFrame | None:
        try:
            return measure_values(self.con, measure_id, level=level, area=area, period=period,
                                  period_type=period_type, breakdown=breakdown, public=True, catalogue=self.catalogue)
        except NoFigures:
            return None

    def rows(self, measure_id: str, period_type: str) -> dict[str, dict[str, Any]]:
        """breakdown -> the public row of the measure for the period ({} when it has none)."""
        key = (measure_id, period_type)
        if key not in self._rows:
            measure = self.catalogue[measure_id]
            found: dict[str, dict[str, Any]] = {}
            if period_type in measure.periods and LEVEL in measure.levels:
                frame = self.figures(measure_id, level=LEVEL, area=self.borough.code,
                                     period=period_key(period_type, self.end), period_type=period_type, breakdown=None)
                if frame is not None:
                    found = {str(r["breakdown"]): r for r in records(frame)}
            self._rows[key] = found
        return self._rows[key]

    def one(self, measure_id: str, period_type: str) -> dict[str, Any] | None:
        return self.rows(measure_id, period_type).get("all")

    def table(self, dimension: str, columns: list[tuple[str, str]]) -> list[Row]:
        """One Row per group of `dimension` any column has a figure for, in `group_order`."""
        measures = [self.catalogue[m] for m in dict.fromkeys(m for m, _ in columns)]
        figures = [r for m, p in columns for r in self.rows(m, p).values()]
        order = group_table(measures, figures, dimension)  # the groups, in the one order every table uses
        return [Row(g.label, g.breakdown, {(m, p): self.rows(m, p).get(g.breakdown) for m, p in columns})
                for g in order]

    def agreement(self) -> Agreement | None:
        cells: dict[tuple[str, str], dict[str, Any]] = {}
        for breakdown, row in self.rows(AGREEMENT, YEAR).items():
            if not breakdown.startswith("self_and_officer="):
                continue
            own, officer = breakdown.split("=", 1)[1].split(" / ", 1)
            cells[(own, officer)] = row
        if not cells:
            return None

        def ordered(labels: set[str], dimension: str) -> list[str]:
            return sorted(labels, key=lambda label: group_order(f"{dimension}={label}"))

        return Agreement(ordered({r for r, _ in cells}, SELF), ordered({c for _, c in cells}, OFFICER), cells)


def _charts(read: _Reader, pack: Pack) -> list[Chart]:
    charts: list[Chart] = []
    volume = pack.measure(VOLUME)
    frame = read.figures(VOLUME, level=LEVEL, area=pack.borough.code, period_type=MONTH)
    points = regular(records(frame), MONTH, pack.month_end, CHART_MONTHS, 1) if frame is not None else []
    if sum(not is_missing(p.get("value")) for p in points) >= 2:
        charts.append(time_chart(volume, points, highlight={pack.month_end}, highlight_label=pack.month_label,
                                 spc=True, every="each month", area_name=pack.borough.name))
    ratios = [{**(g.get(RATIO) or {}), "label": g.label} for g in pack.groups
              if g.label not in (pack.reference, "Not stated") and g.get(RATIO) is not None]
    if any(not is_missing(r.get("value")) for r in ratios):
        charts.append(bar_chart(pack.measure(RATIO), ratios, what="self-defined ethnic group",
                                period=f"{pack.year_label}", reference_line=1.0,
                                reference_words=f"1 = the same rate as {pack.reference} residents"))
    return charts
