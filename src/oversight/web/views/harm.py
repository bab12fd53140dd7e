"""Hate crime and violence against women and girls: the series open data gives now, and an
honest list of the partner measures that will appear once partner files are loaded."""

from __future__ import annotations

from typing import Any

from oversight.web import panels
from oversight.web.params import Filters, resolve_area, resolve_period
from oversight.web.sections import BY_SLUG
from oversight.web.store import Store
from oversight.web.views._common import controls, page, section

SECTION = BY_SLUG["hate-crime-vawg"]
PERIOD_TYPES = ("rolling_12", "financial_year", "fy_quarter")


def harm_page(store: Store, filters: Filters) -> dict[str, Any]:
    measures = SECTION.measures(store.catalogue)
    featured = [(f, store.catalogue[f.measure]) for f in SECTION.featured
                if f.measure in store.catalogue and f.breakdown in store.breakdowns(f.measure)]
    area = resolve_area(store, filters, ("force", "bcu", "borough"))
    period = resolve_period(store, filters, [m.id for _, m in featured] + [m.id for m in measures], PERIOD_TYPES)
    groups = []
    if featured:
        force = store.force_area()
        shown_at = [(f, m, force if f.level == "force" and area.level != "force" else area) for f, m in featured]
        groups.append(section("From open data", [
            panels.series_panel(store, m, where, f.period_type, f.breakdown, selected=period,
                                title=f"{f.title or m.title}, {where.name}")
            for f, m, where in shown_at if f.period_type in m.periods
        ], intro="Rapes and other sexual offences the MPS recorded, and homicides in a domestic-abuse setting, "
                 "from the published MPS series. They count what was recorded, not everything that happened: "
                 "most sexual offences are never reported. Each point is the 12 months to that month, because "
                 "monthly counts for a borough are often too small to publish; domestic-abuse homicides are "
                 "shown for the whole force, because counts for smaller areas are too small to publish. "
                 "Hate crime has no open series here yet: see the measures awaiting partner data."))
    shown = [m for m in measures if store.has_data(m.id)]
    if shown:
        groups.append(section("Measures with figures", [
            panels.series_panel(store, m, area, period.type if period and period.type in m.periods else m.periods[-1],
                                selected=period, title=f"{m.title}, {area.name}") for m in shown]))
    waiting = [m for m in measures if not store.has_data(m.id)]
    if waiting:
        groups.append(section("Awaiting partner data", [
            panels.awaiting_panel(store, waiting, title="Measures the Plan needs that are not open data",
                                  panel_id="harm-awaiting", examples=True)],
            intro="These measures come from partners (the Crown Prosecution Service, victim surveys, the MPS). "
                  "They are shown here as soon as the partner file is loaded with 'oversight ingest partner' "
                  "(format: docs/partner-data.md); until then there is nothing to show, and no estimate is made."))
    return page(
        "section", SECTION.title, "/hate-crime-vawg/", intro=SECTION.intro, filters=filters, area=area,
        period=period, sections=groups,
        _controls=controls(store, area, levels=("force", "bcu", "borough"), period=period,
                           period_measures=[m.id for _, m in featured], period_types=PERIOD_TYPES,
                           requested_level=filters.level),
    )
