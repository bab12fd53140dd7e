"""Panels: the building blocks of every dashboard, each one plain data.

A panel is a dict with `kind`, `id`, `title`, a `state` ('ok', or why there is nothing to
show), a text `summary`, the table `rows` (JSON-safe figures from the measures table) and
`data` (the API query that returns exactly those rows). Keys starting with '_' (the chart spec,
the map) are drawing only: the JSON twin of a page leaves them out.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from oversight.errors import OversightError
from oversight.measures.catalogue import Measure
from oversight.measures.partner_example import example_rows
from oversight.measures.periods import parse_period
from oversight.present.groups import group_table
from oversight.present.labels import LEVEL_NAMES, UNIT_NAMES, breakdown_label, dimension_label, group_order, is_missing
from oversight.present.marks import spc_badge
from oversight.present.series import series_summary, snapshot_summary
from oversight.present.words import comparison_text, format_value, not_stated_sentence, summary_sentence
from oversight.web import charts, maps
from oversight.web.built import used_settings
from oversight.web.store import Area, Period, Store

LEVEL_PLURALS = {"force": "the force", "bcu": "Basic Command Units", "borough": "boroughs", "ward": "wards",
                 "national": "England and Wales"}


def slug(*parts: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")


def measure_ref(m: Measure) -> dict[str, Any]:
    return {"id": m.id, "title": m.title, "unit": m.unit, "polarity": m.polarity, "priority": m.priority,
            "source": m.source, "computation": m.computation, "compared_with_year_before": m.compared_with_year_before}


def _base(kind: str, m: Measure, title: str | None, *parts: str) -> dict[str, Any]:
    return {"kind": kind, "id": slug(kind, m.id, *parts), "title": title or m.title, "measure": measure_ref(m),
            "state": "ok", "message": None, "summary": "", "rows": []}


def _unavailable(store: Store, panel: dict[str, Any], m: Measure, area: Area | None = None) -> dict[str, Any] | None:
    """The panel saying why there is nothing to show, or None when there may be figures."""
    status = store.status_of(m.id)
    if status["status"] != "ok":
        panel["state"] = "awaiting"
        detail = status.get("detail")
        partner = (" This is a partner measure: it appears once the partner file is loaded."
                   if m.awaits_partner_data else "")
        panel["message"] = f"Awaiting data{': ' + str(detail) if isinstance(detail, str) and detail else ''}.{partner}"
        return panel
    if area is not None and area.level not in m.levels:
        panel["state"] = "not_at_level"
        panel["message"] = (f"Not published for {LEVEL_PLURALS[area.level]}; figures exist for "
                            f"{', '.join(LEVEL_PLURALS[lvl] for lvl in m.levels)}.")
        return panel
    return None


def target_line(store: Store, m: Measure, area: Area, breakdown: str) -> dict[str, Any] | None:
    """The level of a historic target for this area (baseline value x (1 + change)), or None."""
    if m.target is None:
        return None
    try:
        kind, end = parse_period(m.target.baseline)
    except OversightError:  # a target naming no period the site can read draws no line
        return None
    baseline = Period(kind, end)
    rows = store.rows(m.id, level=area.level, area=area.code, period=baseline.key, breakdown=breakdown)
    if not rows or is_missing(rows[0].get("value")):
        return None
    level = rows[0]["value"] * (1 + m.target.change)
    shown = round(level) if m.unit == "count" else level  # the line's level, in the measure's own terms
    return {
        "baseline": baseline.key, "baseline_value": rows[0]["value"], "change": m.target.change, "by": m.target.by,
        "level": level, "description": m.target.description,
        "label": (f"Target line: {abs(m.target.change):.0%} {'below' if m.target.change < 0 else 'above'} "
                  f"{baseline.label} ({format_value(m.unit, rows[0]['value'])}), i.e. {format_value(m.unit, shown)}; "
                  "a reference line, not a verdict"),
    }


def series_panel(
    store: Store, m: Measure, area: Area, period_type: str, breakdown: str = "all", *,
    title: str | None = None, selected: Period | None = None,
) -> dict[str, Any]:
    """A time series for one area and breakdown: chart, SPC, intervals, target or band."""
    panel = _base("series", m, title, area.code, breakdown, period_type)
    panel.update(area=area.code, area_name=area.name, level=area.level, breakdown=breakdown,
                 breakdown_label=breakdown_label(breakdown), period_type=period_type,
                 data={"level": area.level, "area": area.code, "period_type": period_type, "breakdown": breakdown})
    if _unavailable(store, panel, m, area):
        return panel
    if period_type not in m.periods:
        panel.update(state="empty", message=f"Not published for this kind of period; periods: {', '.join(m.periods)}.")
        return panel
    rows = store.rows(m.id, level=area.level, area=area.code, period_type=period_type, breakdown=breakdown)
    if not rows:
        panel.update(state="empty", message=f"No figures for {area.name} ({breakdown_label(breakdown)}).")
        return panel
    target = target_line(store, m, area, breakdown) if period_type in ("rolling_12", "financial_year") else None
    panel.update(rows=rows, target=target, band=m.band,
                 summary=series_summary(m, rows, area.name, period_type) + (f" {target['label']}." if target else ""),
                 latest=rows[-1], latest_spc=spc_badge(rows[-1].get("spc_variation"),
                                                      used_settings(store)["spc_window_months"]))
    label = m.title if breakdown == "all" else f"{m.title}: {breakdown_label(breakdown)}"
    panel["_chart"] = charts.series_figure(m, rows, target=target, selected=selected.key if selected else None,
                                           label=label)
    return panel


def groups_panel(
    store: Store, m: Measure, area: Area, period: Period | None, dimension: str, *, title: str | None = None,
) -> dict[str, Any]:
    """One measure broken down by one dimension (e.g. ethnic group) for one area and period."""
    panel = _base("groups", m, title or f"{m.title} by {dimension_label(dimension)}", area.code, dimension)
    panel.update(area=area.code, area_name=area.name, dimension=dimension, dimension_label=dimension_label(dimension),
                 period=period.key if period else None, period_label=period.label if period else None,
                 data={"level": area.level, "area": area.code, "period": period.key if period else None,
                       "breakdown": "*"})
    if _unavailable(store, panel, m, area):
        return panel
    if period is None or period.type not in m.periods:
        panel.update(state="empty", message="No figures for this period.")
        return panel
    rows = store.breakdown_rows(m.id, level=area.level, area=area.code, period=period.key, dimension=dimension)
    if not rows:
        panel.update(state="empty", message=f"No figures for {area.name}, {period.label}.")
        return panel
    for r in rows:
        r["label"] = breakdown_label(r["breakdown"])
    rows.sort(key=lambda r: group_order(r["breakdown"]))
    panel.update(rows=rows, summary=f"{area.name}, {period.label}. "
                                    + snapshot_summary(m, rows, "label", f"groups by {dimension_label(dimension)}"))
    panel["_chart"] = charts.bar_figure(m, rows, "label", x_title=UNIT_NAMES[m.unit])
    return panel


def areas_panel(
    store: Store, m: Measure, level: str, period: Period | None, breakdown: str = "all", *,
    highlight: str | None = None, title: str | None = None, within: set[str] | None = None,
) -> dict[str, Any]:
    """Every area of one level (or those `within` a set of codes, e.g. the wards of one borough)
    for one period: a map when boundaries are loaded, and a table."""
    panel = _base("areas", m, title or f"{m.title} by {LEVEL_NAMES[level].lower()}", level, breakdown)
    panel.update(level=level, level_name=LEVEL_NAMES[level], breakdown=breakdown, highlight=highlight,
                 period=period.key if period else None, period_label=period.label if period else None,
                 data={"level": level, "period": period.key if period else None, "breakdown": breakdown})
    if _unavailable(store, panel, m):
        return panel
    if level not in m.levels:
        panel.update(state="not_at_level", message=f"Not published for {LEVEL_PLURALS[level]}.")
        return panel
    if period is None or period.type not in m.periods:
        panel.update(state="empty", message="No figures for this period.")
        return panel
    rows = store.rows(m.id, level=level, period=period.key, breakdown=breakdown)
    if within is not None:
        rows = [r for r in rows if r["area_code"] in within]
    if not rows:
        panel.update(state="empty", message=f"No figures by {LEVEL_NAMES[level].lower()} for {period.label}.")
        return panel
    rows.sort(key=lambda r: r["area_name"].lower())
    plural = "forces" if level == "force" else LEVEL_PLURALS[level]  # a list of areas, not "the force"
    what = f"{plural}, {period.label}" + ("" if breakdown == "all" else f", {breakdown_label(breakdown)}")
    panel.update(rows=rows, summary=snapshot_summary(m, rows, "area_name", plural).replace(
        f" {plural}", f" {what}", 1))
    features = store.boundaries(level)
    if features:
        panel["_map"] = maps.choropleth(features, rows, unit=m.unit, map_id=panel["id"] + "-map", highlight=highlight,
                                        title=f"Map: {m.title}, {what}")
        if panel["_map"] is not None:
            panel["summary"] += (" The map shades each area in up to five classes, darker for higher figures; "
                                 "hatched areas have no published figure.")
    return panel


def figures_panel(
    store: Store, measures: list[Measure], area: Area, period: Period | None, *, title: str, panel_id: str,
) -> dict[str, Any]:
    """One line per measure for one area and period (each measure's latest of that kind if it
    lacks the period), with the plain-English sentence for each."""
    rows: list[dict[str, Any]] = []
    for m in measures:
        if not store.has_data(m.id) or area.level not in m.levels:
            continue
        kind = period.type if period and period.type in m.periods else None
        if kind is None:
            continue
        chosen = period if period in store.periods(m.id) else store.latest_period(m.id, kind)
        if chosen is None:
            continue
        found = store.rows(m.id, level=area.level, area=area.code, period=chosen.key)
        if not found:
            continue
        row = found[0]
        row.update(title=m.title, unit=m.unit, sentence=summary_sentence(m, row), not_selected=chosen != period,
                   comparison=comparison_text(m, row))
        rows.append(row)
    return {"kind": "figures", "id": panel_id, "title": title, "state": "ok" if rows else "empty",
            "message": None if rows else f"No figures for {area.name}.", "rows": rows,
            "area": area.code, "area_name": area.name, "period": period.key if period else None,
            "summary": f"{len(rows)} measures for {area.name}" + (f", {period.label}" if period else "") + "."}


def compare_groups_panel(
    store: Store, measure_ids: list[str], area: Area, period: Period | None, dimension: str, *,
    title: str, panel_id: str, charted: tuple[str, ...] = (), notes: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Several measures side by side for the groups of one dimension (e.g. rate, rate ratio and
    difference from White by ethnic group), plus one-sentence notes from other measures."""
    columns = [store.measure(i) for i in measure_ids if i in store.catalogue]
    figures: list[dict[str, Any]] = []
    charts_out = []
    used = []
    for m in columns:
        sub = groups_panel(store, m, area, period, dimension)
        if sub["state"] != "ok":
            continue
        used.append(m)
        figures += sub["rows"]
        if m.id in charted:
            charts_out.append({"id": sub["id"], "title": sub["title"], "spec": sub["_chart"],
                               "summary": snapshot_summary(m, sub["rows"], "label",
                                                           f"groups by {dimension_label(dimension)}")})
    rows = [{"group": g.label, "cells": g.cells, "reference_for": list(g.reference_for)}
            for g in group_table(used, figures, dimension)]
    note_rows = []
    for note_id in notes:
        if note_id not in store.catalogue or not store.has_data(note_id) or period is None:
            continue
        nm = store.measure(note_id)
        if area.level not in nm.levels or period.type not in nm.periods:
            continue
        found = store.rows(note_id, level=area.level, area=area.code, period=period.key)
        if found:
            note_rows.append({"measure": measure_ref(nm), "row": found[0], "sentence": summary_sentence(nm, found[0])})
    panel = {"kind": "compare", "id": panel_id, "title": title, "state": "ok" if rows else "empty",
             "message": None if rows else f"No figures by {dimension_label(dimension)} for {area.name}"
                                          + (f", {period.label}." if period else "."),
             "columns": [measure_ref(m) for m in used], "rows": rows, "notes": note_rows,
             "dimension": dimension, "area": area.code, "area_name": area.name, "level": area.level,
             "period": period.key if period else None, "period_label": period.label if period else None,
             "summary": "", "_charts": charts_out}
    if rows:
        panel["summary"] = " ".join([f"{area.name}, {period.label if period else ''}, by {dimension_label(dimension)}."]
                                    + [c["summary"] for c in charts_out])
    return panel


def compare_areas_panel(
    store: Store, measure_ids: list[str], areas: list[Area], period: Period | None, dimension: str, *,
    title: str, panel_id: str, charted: tuple[str, ...] = (), counted: str = "",
) -> dict[str, Any]:
    """Several measures for several areas side by side, for everyone and the groups of one
    dimension (e.g. use-of-force rate and rate ratio by ethnic group, the force against England
    and Wales). Each column is one measure for one area; `charted` measures get a bar chart per area;
    with `counted` (what the measure counts, e.g. 'tactics') a note per area says how many were in no group."""
    columns: list[Measure] = []
    refs: list[dict[str, Any]] = []
    figures: list[dict[str, Any]] = []
    everyone: dict[str, dict[str, Any]] = {}
    notes: list[dict[str, Any]] = []
    charts_out = []
    for area in areas:
        for m in (store.measure(i) for i in measure_ids if i in store.catalogue):
            sub = groups_panel(store, m, area, period, dimension)
            if sub["state"] != "ok":
                continue
            column = dataclasses.replace(m, id=f"{m.id}@{area.code}")
            columns.append(column)
            refs.append({**measure_ref(m), "id": column.id, "measure_id": m.id, "title": f"{area.name}: {m.title}",
                         "area": area.code, "level": area.level})
            figures += [{**r, "measure": column.id} for r in sub["rows"]]
            whole = store.rows(m.id, level=area.level, area=area.code, period=period.key if period else None,
                               breakdown="all")
            if whole:
                everyone[column.id] = whole[0]
                unknown = next((r for r in sub["rows"] if r["breakdown"] == f"{dimension}=Not stated"), None)
                sentence = not_stated_sentence(counted, area.name, unknown, whole[0]) if counted else ""
                if sentence:
                    notes.append({"measure": measure_ref(m), "row": unknown, "sentence": sentence})
            if m.id in charted:
                charts_out.append({"id": sub["id"], "title": f"{m.title}, {area.name}", "spec": sub["_chart"],
                                   "summary": f"{area.name}. " + snapshot_summary(
                                       m, sub["rows"], "label", f"groups by {dimension_label(dimension)}")})
    rows = [{"group": g.label, "cells": g.cells, "reference_for": list(g.reference_for)}
            for g in group_table(columns, figures, dimension)]
    if rows and everyone:
        rows.insert(0, {"group": "Everyone", "cells": {c.id: everyone.get(c.id) for c in columns},
                        "reference_for": []})
    names = " and ".join(a.name for a in areas)
    panel = {"kind": "compare", "id": panel_id, "title": title, "state": "ok" if rows else "empty",
             "message": None if rows else f"No figures by {dimension_label(dimension)} for {names}"
                                          + (f", {period.label}." if period else "."),
             "columns": refs, "rows": rows, "notes": notes, "dimension": dimension,
             "area": areas[0].code if areas else None, "area_name": names,
             "level": areas[0].level if areas else None,
             "period": period.key if period else None, "period_label": period.label if period else None,
             "summary": "", "_charts": charts_out}
    if rows:
        shown = " and ".join(a.name for a in areas if any(c["area"] == a.code for c in refs))
        when = f", {period.label}" if period else ""
        panel["summary"] = " ".join([f"{shown}{when}, for everyone and by {dimension_label(dimension)}."]
                                    + [c["summary"] for c in charts_out])
    return panel


def crosstab_panel(
    store: Store, m: Measure, area: Area, period: Period | None, dimension: str, *, title: str, panel_id: str,
) -> dict[str, Any]:
    """A two-way table from breakdown values written 'A / B' (e.g. self-defined / officer-defined)."""
    sub = groups_panel(store, m, area, period, dimension)
    panel = {"kind": "crosstab", "id": panel_id, "title": title, "state": sub["state"], "message": sub["message"],
             "measure": measure_ref(m), "rows": [], "area": area.code, "area_name": area.name,
             "period": sub.get("period"), "period_label": sub.get("period_label"), "summary": "",
             "data": sub.get("data")}
    if sub["state"] != "ok":
        return panel
    pairs = [(r["label"].split(" / ", 1) + [""])[:2] + [r] for r in sub["rows"]]
    down = sorted({a for a, _, _ in pairs}, key=lambda g: group_order(f"officer_defined_ethnicity={g}"))
    across = sorted({b for _, b, _ in pairs}, key=lambda g: group_order(f"officer_defined_ethnicity={g}"))
    grid = {(a, b): r for a, b, r in pairs}
    panel.update(down=down, across=across,
                 rows=[{"self": a, "cells": {b: grid.get((a, b)) for b in across}} for a in down],
                 summary=(f"{len(pairs)} combinations of self-defined (rows) and officer-defined (columns) ethnic "
                          f"group for {area.name}, {sub['period_label']}; the cells where row and column name the "
                          "same group are searches where both descriptions agree."))
    return panel


def awaiting_panel(store: Store, measures: list[Measure], *, title: str, panel_id: str,
                   examples: bool = False) -> dict[str, Any]:
    """The measures of a page that have no figures yet, each with the reason; with `examples`, each
    partner measure also with what its partner file looks like (invented figures, marked ILLUSTRATIVE)."""
    rows = []
    for m in measures:
        status = store.status_of(m.id)
        if status["status"] != "ok":
            example = example_rows(m) if examples and m.awaits_partner_data else []
            rows.append({"measure": measure_ref(m), "status": status["status"],
                         "detail": status.get("detail") if isinstance(status.get("detail"), str) else None,
                         "partner": m.awaits_partner_data, "description": m.description, "source": m.source,
                         "example": {"header": list(example[0]), "lines": [list(r.values()) for r in example]}
                         if example else None})
    return {"kind": "awaiting", "id": panel_id, "title": title, "state": "ok" if rows else "empty",
            "message": None, "rows": rows, "summary": f"{len(rows)} measures are waiting for data."}
