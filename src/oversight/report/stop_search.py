"""Stop and search monitoring for the quarter: volumes, rates, rate ratios and outcomes by
self-defined ethnic group and by Basic Command Unit, from the stop_search_* measures.

Every figure is a row of the measures table read with `public=True`; ratios and differences
are the derived measures the engine built (rate ratio to White residents, log method;
difference in percentage points, Newcombe), never computed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import duckdb
import pandas as pd

from oversight.errors import OversightError
from oversight.measures.catalogue import Measure, derived_from, with_role
from oversight.measures.query import measure_values
from oversight.present.groups import group_table
from oversight.present.labels import breakdown_label, is_missing
from oversight.report.charts import Chart, bar_chart
from oversight.report.figures import SHOWN, MeasureFigures, records
from oversight.report.quarter import Quarter

DASHBOARD: Final = "stop-search"
GROUP: Final = "self_defined_group"
VOLUME, RATE, RATIO = "volume", "rate", "ratio"
POSITIVE, ARREST, POSITIVE_GAP, ARREST_GAP = "positive", "arrest", "positive_gap", "arrest_gap"


def is_stop_search(measure: Measure) -> bool:
    return measure.dashboard == DASHBOARD


def shown_measures(catalogue: dict[str, Measure]) -> dict[str, Measure]:
    """The measures of the quarter's stop and search tables, by what they are in them ({} when
    the catalogue lacks one): found by role, derived ones by what they are computed from."""
    first = {key: next(iter(with_role(catalogue, role)), None) for key, role in (
        (VOLUME, "search_volume"), (RATE, "search_rate"), (POSITIVE, "positive_outcome_rate"),
        (ARREST, "arrest_rate"))}
    found = {**first, RATIO: derived_from(catalogue, first[RATE], "ratio"),
             POSITIVE_GAP: derived_from(catalogue, first[POSITIVE], "difference"),
             ARREST_GAP: derived_from(catalogue, first[ARREST], "difference")}
    return {} if any(m is None for m in found.values()) else found  # type: ignore[return-value]


@dataclass
class StopSearch:
    overview: list[MeasureFigures]
    groups: list[dict[str, Any]] = field(default_factory=list)      # one per self-defined group
    bcus: list[dict[str, Any]] = field(default_factory=list)        # one per BCU
    ratio_group: str | None = None                                  # the group whose ratio is shown by BCU
    reference: str = ""                                             # the reference group of the ratios
    charts: list[Chart] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    unavailable: list[MeasureFigures] = field(default_factory=list)  # stop and search measures with no figure

    @property
    def has_figures(self) -> bool:
        return any(m.status == SHOWN and m.figure is not None for m in self.overview) or bool(self.groups)


def stop_search(con: duckdb.DuckDBPyConnection, overview: list[MeasureFigures], quarter: Quarter, force: str,
                catalogue: dict[str, Measure], bcu_names: dict[str, str]) -> StopSearch:
    result = StopSearch(overview=overview)
    shown = shown_measures(catalogue)
    if not shown:
        return result
    needed = tuple(shown)
    ratio = shown[RATIO]
    result.reference = breakdown_label(ratio.reference or "")
    force_cells = {m: _cells(con, shown[m].id, quarter, catalogue, level="force", area=force) for m in needed}
    figures = [r for cells in force_cells.values() for r in cells.values()]
    table = group_table([shown[m] for m in needed], figures, GROUP)
    for g in table:
        result.groups.append({"label": g.label, "breakdown": g.breakdown, **{m: g.cells[shown[m].id] for m in needed}})
    if not any(row[RATE] for row in result.groups):
        result.groups = []
        return result
    for m in needed:
        for caveat in shown[m].caveats:
            if caveat not in result.caveats:
                result.caveats.append(caveat)
    ratios = [r for r in result.groups if r[RATIO] and not is_missing(r[RATIO].get("value"))]
    if ratios:
        period = f"{quarter.label}, {quarter.span}"
        result.charts.append(bar_chart(
            ratio, [{**(r[RATIO] or {}), "label": r["label"]} for r in result.groups if r["label"] != result.reference
                    and r["label"] != "Not stated"],
            what="self-defined ethnic group", period=period, reference_line=1.0,
            reference_words=f"1 = the same rate as {result.reference} residents"))
        result.ratio_group = max(ratios, key=lambda r: r[RATIO]["value"])["label"]
    bcu_cells = {m: _cells(con, shown[m].id, quarter, catalogue, level="bcu") for m in (VOLUME, RATE, RATIO, POSITIVE)}
    codes = sorted({code for cells in bcu_cells.values() for (code, _) in cells})
    for code in codes:
        row = {"label": bcu_names.get(code, code), "code": code,
               VOLUME: bcu_cells[VOLUME].get((code, "all")), RATE: bcu_cells[RATE].get((code, "all")),
               POSITIVE: bcu_cells[POSITIVE].get((code, "all")),
               RATIO: bcu_cells[RATIO].get((code, f"{GROUP}={result.ratio_group}")) if result.ratio_group else None}
        result.bcus.append(row)
    if result.ratio_group and any(r[RATIO] for r in result.bcus):
        result.charts.append(bar_chart(
            ratio, [{**(r[RATIO] or {}), "label": r["label"]} for r in result.bcus],
            what=f"Basic Command Unit ({result.ratio_group} residents)", period=f"{quarter.label}, {quarter.span}",
            reference_line=1.0, reference_words=f"1 = the same rate as {result.reference} residents"))
    return result


def _cells(con: duckdb.DuckDBPyConnection, measure_id: str, quarter: Quarter, catalogue: dict[str, Measure],
           *, level: str, area: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """(area code, breakdown) -> the quarter's public row, at one level."""
    measure = catalogue[measure_id]
    if "fy_quarter" not in measure.periods or level not in measure.levels:
        return {}
    frame = measure_values(con, measure_id, level=level, period_type="fy_quarter", breakdown=None,
                           public=True, catalogue=catalogue)
    frame = frame[frame["period_end"] == pd.Timestamp(quarter.end)]
    if area is not None:
        frame = frame[frame["area_code"] == area]
    return {(r["area_code"], r["breakdown"]): r for r in records(frame)}


USE_OF_FORCE_ROLES: Final = ("force_rate", "taser_rate", "force_type", "taser_type", "force_incidents")
NATIONAL_LEVEL: Final = "national"


def is_use_of_force(measure: Measure) -> bool:
    """Home Office use-of-force and Taser measures: published by financial year, so they appear in
    the report of the quarter that ends the year, in their own table, not among the quarter's figures."""
    return measure.role in USE_OF_FORCE_ROLES


@dataclass
class UseOfForce:
    year: str | None = None             # the financial year the quarter ends, when it has figures
    latest: str | None = None           # otherwise the latest financial year with figures
    areas: list[str] = field(default_factory=list)                  # area names, force first
    tables: list[dict[str, Any]] = field(default_factory=list)      # one per measure pair (rate, ratio)
    caveats: list[str] = field(default_factory=list)


def use_of_force(con: duckdb.DuckDBPyConnection, quarter: Quarter, force: str, force_name: str,
                 catalogue: dict[str, Measure], national_names: dict[str, str]) -> UseOfForce:
    """The force against England and Wales by the person's ethnic group, for the financial year the
    quarter ends (Q4); for other quarters only which year is latest."""
    result = UseOfForce()
    pairs = []
    for role, what in (("force_rate", "Use of force: tactics"), ("taser_rate", "Taser: uses")):
        rate = next(iter(with_role(catalogue, role)), None)
        if rate is not None:
            pairs.append((what, rate, derived_from(catalogue, rate, "ratio")))
    if not pairs:
        return result
    areas = [("force", force, force_name)] + [(NATIONAL_LEVEL, code, name) for code, name in national_names.items()]
    for what, rate, ratio in pairs:
        frames = {}
        for level, code, _name in areas:
            for m in (rate, ratio):
                if m is None or level not in m.levels:
                    continue
                try:
                    frame = measure_values(con, m.id, level=level, area=code, period_type="financial_year",
                                           breakdown=None, public=True, catalogue=catalogue)
                except OversightError as exc:  # an area with no figures is left out
                    if exc.field == "area":
                        continue
                    raise
                frames[(m.id, code)] = records(frame)
        ends = sorted({r["period_end"] for rows in frames.values() for r in rows})
        if not ends:
            continue
        latest = ends[-1]
        result.latest = result.latest or next(r["period"] for rows in frames.values() for r in rows
                                              if r["period_end"] == latest)
        if quarter.end not in ends:
            continue
        cells = [r for (mid, code), rows in frames.items() for r in rows if r["period_end"] == quarter.end]
        result.year = next(r["period"] for r in cells)
        columns = [m for m in (rate, ratio) if m is not None]
        table = []
        for b in ["all", *[g.breakdown for g in group_table(columns, cells, "subject_group")]]:
            row: dict[str, Any] = {"label": "Everyone" if b == "all" else breakdown_label(b), "breakdown": b}
            for _level, code, _name in areas:
                for key, m in (("rate", rate), ("ratio", ratio)):
                    found = [] if m is None else [r for r in frames.get((m.id, code), [])
                                                  if r["period_end"] == quarter.end and r["breakdown"] == b]
                    row[f"{key}@{code}"] = found[0] if found else None
            table.append(row)
        shown = [(code, name) for level, code, name in areas if any(row[f"rate@{code}"] for row in table)]
        result.areas = [name for _, name in shown]
        result.tables.append({"title": what, "rate": rate, "ratio": ratio, "areas": shown, "rows": table,
                              "reference": breakdown_label(ratio.reference or "") if ratio else ""})
        result.caveats += [c for c in rate.caveats if c not in result.caveats]
    return result
