"""The crime dashboard: monthly series with process limits, 12-month figures, a borough map and
the MOPAC 7 history against its 2013-16 target."""

from __future__ import annotations

from typing import Any

from oversight.present.labels import breakdown_label
from oversight.web import panels
from oversight.web.params import Filters, resolve_area, resolve_breakdown, resolve_period
from oversight.web.sections import BY_SLUG, HISTORY
from oversight.web.store import Store
from oversight.web.views._common import controls, page, section

SECTION = BY_SLUG["crime"]
PERIOD_TYPES = ("rolling_12", "financial_year", "fy_quarter", "calendar_year")
CRIME_TYPE_DIMENSIONS = ("major", "crime_type", "minor")


def crime_page(store: Store, filters: Filters) -> dict[str, Any]:
    measures = SECTION.measures(store.catalogue)
    current = [m for m in measures if m.priority != HISTORY]
    history = [m for m in measures if m.priority == HISTORY]
    with_data = [m for m in current if store.has_data(m.id) and not m.awaits_partner_data]
    # The main series: a monthly measure broken down by crime type, headline ones first.
    monthly = [m for m in with_data if "month" in m.periods]
    monthly.sort(key=lambda m: (not set(m.breakdowns) & set(CRIME_TYPE_DIMENSIONS), not m.headline, -len(m.levels)))
    main = monthly[0] if monthly else None
    area = resolve_area(store, filters)
    period = resolve_period(store, filters, [main.id] if main else [m.id for m in with_data], PERIOD_TYPES)
    breakdown = resolve_breakdown(store, filters, main.id) if main else "all"
    compare_level = filters.level if filters.level and filters.level != "force" else (
        area.level if area.level != "force" else "borough")
    groups = []
    if main is not None:
        groups.append(section("Monthly series", [
            panels.series_panel(store, main, area, "month", breakdown, selected=period,
                                title=f"{main.title}{'' if breakdown == 'all' else ': ' + breakdown_label(breakdown)}, "
                                      f"month by month, {area.name}"),
        ], intro="Each point is one month. The dashed line is the mean and the dotted lines the process limits "
                 "(mean ± 2.66 × the average moving range); points marked with a shape are special cause "
                 "variation, named in the key."))
    groups.append(section("12-month figures", [
        panels.figures_panel(store, with_data, area, period, title=f"Crime measures, {area.name}",
                             panel_id="crime-figures"),
    ], intro="Each figure is compared with the same period a year before using an exact test; only a "
             "significant difference is called a rise or a fall."))
    if main is not None:
        groups.append(section("By area", [
            panels.areas_panel(store, main, compare_level, period, breakdown, highlight=area.code),
        ]))
    if history:
        groups.append(section("MOPAC 7 history", [
            panels.series_panel(store, m, area, "rolling_12", selected=None,
                                title=f"{m.title}, 12 months at a time, {area.name}")
            for m in history
        ], intro="The 2013-16 Plan asked for a 20% fall in seven neighbourhood crimes from 2011-12. The target "
                 "is drawn as a reference line; it is not judged as met or missed on two points."))
    partner = [m for m in measures if m.awaits_partner_data]
    if partner:
        groups.append(section("Awaiting partner data", [
            panels.awaiting_panel(store, partner, title="Measures waiting for partner data", panel_id="crime-awaiting"),
        ]))
    return page(
        "section", SECTION.title, "/crime/", intro=SECTION.intro, filters=filters, area=area, period=period,
        breakdown=breakdown, sections=groups,
        _controls=controls(store, area, levels=("force", "bcu", "borough", "ward"), period=period,
                           period_measures=[main.id] if main else [], period_types=PERIOD_TYPES,
                           breakdowns=store.breakdowns(main.id) if main else None, breakdown=breakdown,
                           breakdown_name="Crime type", requested_level=filters.level),
    )
