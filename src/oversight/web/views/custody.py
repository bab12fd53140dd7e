"""Custody visiting: the figures of the independent custody visiting scheme, from the office's own
records service (counts only), once its statistics file is loaded; until then an honest list of
what will appear and how to load it."""

from __future__ import annotations

from typing import Any

from oversight.web import panels
from oversight.web.params import Filters, resolve_period
from oversight.web.sections import BY_SLUG
from oversight.web.store import Store
from oversight.web.views._common import controls, page, section

SECTION = BY_SLUG["custody"]
PERIOD_TYPES = ("financial_year", "fy_quarter", "calendar_year")


def custody_page(store: Store, filters: Filters) -> dict[str, Any]:
    measures = SECTION.measures(store.catalogue)
    area = store.force_area()
    shown = [m for m in measures if store.has_data(m.id)]
    period = resolve_period(store, filters, [m.id for m in shown], PERIOD_TYPES)
    groups = []
    if shown:
        groups.append(section("The scheme's figures", [
            panels.series_panel(store, m, area, period.type if period and period.type in m.periods else m.periods[0],
                                selected=period, title=f"{m.title}, {area.name}") for m in shown],
            intro="Quarterly and yearly figures from the visit reports filed by custody visitors. Counts under "
                  "10 are not published, as for every figure here."))
    waiting = [m for m in measures if not store.has_data(m.id)]
    if waiting:
        groups.append(section("Awaiting the scheme's records", [
            panels.awaiting_panel(store, waiting, title="Custody visiting measures", panel_id="custody-awaiting")],
            intro="These figures come from the office's records service (/records/): 'oversight records "
                  "custody-statistics' writes them as a partner file, and 'oversight ingest partner' then "
                  "'oversight build' bring them here (docs/records.md). Until then there is nothing to show, "
                  "and no estimate is made."))
    return page(
        "section", SECTION.title, "/custody/", intro=SECTION.intro, filters=filters, area=area, period=period,
        sections=groups,
        _controls=controls(store, area, levels=("force",), period=period, period_measures=[m.id for m in shown],
                           period_types=PERIOD_TYPES) if shown else None,
    )
