"""Everything one quarterly report shows, as one object built from the measures table.

`report_data` is the only place the report reads figures; the HTML and the PDF are both drawn
from what it returns, so they cannot disagree (the same idea as the web pages and their JSON
twins). Sections follow MOPAC's quarterly reports: a summary of what changed significantly and
what did not, one section per Police and Crime Plan priority, stop and search monitoring, the
gap in trust against the Plan's band, data health, measures awaiting partner data, methods.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import duckdb

from oversight import config
from oversight.errors import OversightError
from oversight.measures import build_settings
from oversight.measures.catalogue import PRIORITIES, Measure, load_catalogue, with_role
from oversight.measures.query import catalogue_status
from oversight.present.labels import NATIONAL_AREAS, breakdown_label, is_missing
from oversight.report.charts import Chart, bar_chart
from oversight.report.figures import AWAITING, SHOWN, Gap, MeasureFigures, figure_kind, force_rows, gather
from oversight.report.health import QuarterHealth, quarter_health
from oversight.report.quarter import Quarter, resolve_quarter
from oversight.report.stop_search import (
    StopSearch,
    UseOfForce,
    is_stop_search,
    is_use_of_force,
    stop_search,
    use_of_force,
)
from oversight.report.summary import Summary, summarise


@dataclass
class Section:
    anchor: str
    title: str
    shown: list[MeasureFigures] = field(default_factory=list)
    unavailable: list[MeasureFigures] = field(default_factory=list)
    awaiting: list[MeasureFigures] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)   # gaps judged against a band, e.g. trust between groups
    notes: list[str] = field(default_factory=list)  # caveats shared by several measures, shown once

    def share_notes(self) -> None:
        counts = Counter(c for m in self.shown for c in m.measure.caveats)
        self.notes = [c for c, n in counts.items() if n > 1]


@dataclass
class Report:
    quarter: Quarter
    force: str
    force_name: str
    built_at: dt.date | None
    summary: Summary
    sections: list[Section]
    stop_search: StopSearch
    awaiting: list[MeasureFigures]
    health: QuarterHealth
    sources: list[tuple[str, list[str]]]  # each source with the titles of the measures shown from it
    stop_search_priority: str  # the Plan priority whose section the stop and search monitoring follows
    settings: dict[str, str]  # the settings the figures were built with (suppression threshold, ...)
    use_of_force: UseOfForce = field(default_factory=UseOfForce)  # by financial year: in the Q4 report

    @property
    def charts(self) -> list[Chart]:
        found: list[Chart] = []
        for section in self.sections:
            found += [m.chart for m in section.shown if m.chart] + [g.chart for g in section.gaps if g.chart]
            if section.title == self.stop_search_priority:
                found += [m.chart for m in self.stop_search.overview if m.chart] + self.stop_search.charts
        return found


def report_data(con: duckdb.DuckDBPyConnection, quarter: str | None = None, force: str | None = None) -> Report:
    """The report for a financial-year quarter ('2022-23-Q2'; default the latest with figures)."""
    force = force or str(config.default("default_force"))
    chosen = resolve_quarter(con, quarter, force)
    catalogue = load_catalogue()
    names = dict(con.execute("SELECT code, name FROM area WHERE level IN ('force', 'bcu')").fetchall())
    if force not in names:
        raise OversightError(f"force {force!r} is not in the area table; run 'oversight ingest reference'",
                             field="force")
    status = catalogue_status(con, catalogue).set_index("measure")
    awaiting = {m: _text(status.loc[m, "detail"]) for m in catalogue if status.loc[m, "status"] == "awaiting data"}
    figures: dict[str, MeasureFigures] = {}
    for measure in catalogue.values():
        if measure.is_derived or measure.band is not None or is_use_of_force(measure):
            continue
        figures[measure.id] = gather(con, measure, chosen, force, names[force], catalogue,
                                     awaiting=awaiting.get(measure.id),
                                     chart=not is_stop_search(measure) or measure.role == "search_volume")
    gaps = [_gap(con, m, chosen, force, catalogue, m.id in awaiting and m.awaits_partner_data)
            for m in catalogue.values() if m.band is not None]
    sections = []
    for priority in PRIORITIES:
        section = Section(anchor=_anchor(priority), title=priority)
        for measure_figures in _ordered(m for m in figures.values()
                                        if m.measure.priority == priority and not is_stop_search(m.measure)):
            target = {SHOWN: section.shown, AWAITING: section.awaiting}.get(measure_figures.status, section.unavailable)
            target.append(measure_figures)
        section.gaps = [g for g in gaps if g.measure.priority == priority]
        section.share_notes()
        sections.append(section)
    overview = _ordered(m for m in figures.values() if is_stop_search(m.measure))
    searches = stop_search(con, [m for m in overview if m.status == SHOWN], chosen, force, catalogue,
                           {code: name for code, name in names.items() if code != force})
    searches.unavailable = [m for m in overview if m.status != SHOWN]
    shown = [m for s in sections for m in s.shown] + [m for m in overview if m.status == SHOWN]
    return Report(
        quarter=chosen, force=force, force_name=names[force],
        built_at=_built_at(con),
        summary=summarise(shown, [m for m in figures.values() if m.status != SHOWN], gaps),
        sections=sections, stop_search=searches,
        awaiting=_ordered(m for m in figures.values() if m.status == AWAITING) + [
            MeasureFigures(g.measure, AWAITING) for g in gaps if g.status == AWAITING],
        health=quarter_health(con, chosen, force),
        sources=_sources(shown),
        stop_search_priority=next((m.priority for m in with_role(catalogue, "search_volume")), ""),
        settings=build_settings.used(con),
        use_of_force=use_of_force(con, chosen, force, names[force], catalogue, dict(NATIONAL_AREAS)),
    )


def _ordered(items) -> list[MeasureFigures]:  # type: ignore[no-untyped-def]
    """Headline measures first, then by title."""
    return sorted(items, key=lambda m: (not m.measure.headline, m.measure.title))


def _anchor(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-").replace("--", "-")


def _built_at(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    return con.execute("SELECT max(built_at)::DATE FROM measure_status").fetchone()[0]  # type: ignore[index]


def _sources(shown: list[MeasureFigures]) -> list[tuple[str, list[str]]]:
    by_source: dict[str, list[str]] = {}
    for m in shown:
        by_source.setdefault(m.measure.source, []).append(m.measure.title)
    return sorted((source, sorted(titles)) for source, titles in by_source.items())


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _gap(con: duckdb.DuckDBPyConnection, measure: Measure, quarter: Quarter, force: str,
         catalogue: dict[str, Measure], awaiting: bool) -> Gap:
    if awaiting:
        return Gap(measure, AWAITING)
    kind = figure_kind(measure)
    rows = [r for r in force_rows(con, measure, force, catalogue, breakdown=None)
            if r["period_type"] == kind and r["period_end"] == quarter.end]
    if not rows:
        return Gap(measure, "no figure for this quarter")
    rows.sort(key=lambda r: (r["breakdown"] != "all", r["breakdown"]))
    for r in rows:
        r["label"] = breakdown_label(r["breakdown"])
    chart = None
    if any(not is_missing(r.get("value")) for r in rows):
        period = rows[0]["period_type"] == "fy_quarter" and quarter.label or f"12 months to {quarter.end:%B %Y}"
        chart = bar_chart(measure, rows, what="group", period=period, band=measure.band)
    return Gap(measure, SHOWN, rows, chart)
