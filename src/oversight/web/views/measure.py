"""The page of one measure: chart, tables, definition, source, caveats, data health, downloads."""

from __future__ import annotations

from typing import Any

from oversight.measures.catalogue import Measure
from oversight.present.labels import PERIOD_TYPE_NAMES, POLARITY_NAMES, UNIT_NAMES, dimension_label
from oversight.web import panels
from oversight.web.params import Filters, NotFound, resolve_area, resolve_breakdown, resolve_period
from oversight.web.store import LEVEL_ORDER, Store
from oversight.web.views._common import controls, page, section
from oversight.web.views.health import measure_health

PREFERRED = ("month", "rolling_12", "fy_quarter", "financial_year", "calendar_year")


def definition(m: Measure) -> dict[str, Any]:
    """The catalogue entry in words, for the page and the API."""
    return {
        "id": m.id, "title": m.title, "description": m.description, "priority": m.priority, "outcome": m.outcome,
        "source": m.source, "unit": m.unit, "unit_name": UNIT_NAMES[m.unit], "polarity": m.polarity,
        "polarity_name": POLARITY_NAMES[m.polarity], "computation": m.computation,
        "periods": list(m.periods), "period_names": [PERIOD_TYPE_NAMES[p] for p in m.periods],
        "levels": list(m.levels), "breakdowns": list(m.breakdowns),
        "breakdown_names": [dimension_label(b) for b in m.breakdowns], "caveats": list(m.caveats),
        "headline": m.headline, "of": m.of, "reference": m.reference, "band": m.band,
        "series_breaks": list(m.series_breaks), "series_break_reason": m.series_break_reason,
        "population": m.population, "requires": list(m.requires),
        "target": None if m.target is None else {"change": m.target.change, "baseline": m.target.baseline,
                                                  "by": m.target.by, "description": m.target.description},
    }


def measure_page(store: Store, measure_id: str, filters: Filters) -> dict[str, Any]:
    if measure_id not in store.catalogue:
        raise NotFound(f"there is no measure {measure_id!r}; the catalogue lists {len(store.catalogue)} measures "
                       "(see the measures page or /api/v1/measures.json)", field="measure")
    m = store.measure(measure_id)
    area = resolve_area(store, filters, m.levels)
    types = [t for t in PREFERRED if t in m.periods]
    period = resolve_period(store, filters, [m.id], types)
    series_type = period.type if period else types[0]
    breakdown = resolve_breakdown(store, filters, m.id)
    known = store.breakdowns(m.id)
    dimensions = sorted({b.split("=", 1)[0] for b in known if b != "all"},
                        key=lambda d: m.breakdowns.index(d) if d in m.breakdowns else len(m.breakdowns))
    groups = [section("Chart and table", [panels.series_panel(
        store, m, area, series_type, breakdown, selected=period,
        title=f"{m.title}, {area.name}" + ("" if breakdown == "all" else f" ({breakdown.split('=', 1)[-1]})"))])]
    if dimensions and period is not None:
        groups.append(section(f"Breakdowns, {period.label}", [
            panels.groups_panel(store, m, area, period, d) for d in dimensions]))
    compare: str | None = area.level
    if area.level in ("force", "national"):
        compare = next((lvl for lvl in ("borough", *LEVEL_ORDER[1:]) if lvl in m.levels and lvl != "national"),
                       None)
        if compare is None and "national" in m.levels:
            compare = "force"  # published for every force in England and Wales: the forces side by side
    if compare is not None and period is not None:
        within = {a.code for a in store.areas(compare) if a.parent_code == area.parent_code} \
            if compare == "ward" and area.parent_code else None
        groups.append(section("Areas compared", [panels.areas_panel(
            store, m, compare, period, breakdown, highlight=area.code, within=within)]))
    status = store.status_of(m.id)
    return page(
        "measure", m.title, f"/measures/{m.id}/", intro=m.description, filters=filters, area=area, period=period,
        breakdown=breakdown, sections=groups, definition=definition(m),
        status={"status": status["status"],
                "detail": status.get("detail") if isinstance(status.get("detail"), str) else None,
                "latest_period_end": status.get("latest_period_end"), "areas": int(status.get("areas") or 0)},
        health=measure_health(store, m),
        _controls=controls(store, area, levels=m.levels, period=period, period_measures=[m.id], period_types=types,
                           breakdowns=known if len(known) > 1 else None, breakdown=breakdown,
                           requested_level=filters.level),
    )
