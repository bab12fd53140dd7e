"""Complaint reviews: how promptly the office decides reviews and complaints about the chief officer,
from its own case records (counts only), once their statistics file is loaded; until then an honest
list of what will appear and how to load it."""

from __future__ import annotations

from typing import Any

from oversight.web import panels
from oversight.web.params import Filters, resolve_period
from oversight.web.sections import BY_SLUG
from oversight.web.store import Store
from oversight.web.views._common import controls, page, section

SECTION = BY_SLUG["complaints"]
PERIOD_TYPES = ("fy_quarter", "rolling_12")


def complaints_page(store: Store, filters: Filters) -> dict[str, Any]:
    measures = sorted(SECTION.measures(store.catalogue), key=lambda m: not m.headline)
    area = store.force_area()
    shown = [m for m in measures if store.has_data(m.id)]
    period = resolve_period(store, filters, [m.id for m in shown], PERIOD_TYPES)
    groups = []
    if shown:
        groups.append(section("Timeliness of complaint reviews", [
            panels.series_panel(store, m, area, period.type if period and period.type in m.periods else m.periods[0],
                                selected=period, title=f"{m.title}, {area.name}") for m in shown],
            intro="Quarterly figures, and the 12 months to each quarter's end, from the office's complaint case "
                  "records. A case counts in the quarter its target date falls in, so a case still waiting "
                  "counts as not decided in time. Figures resting on fewer than 10 cases are not published."))
    waiting = [m for m in measures if not store.has_data(m.id)]
    if waiting:
        groups.append(section("Awaiting the case records", [
            panels.awaiting_panel(store, waiting, title="Complaint review measures", panel_id="complaints-awaiting")],
            intro="These figures come from the office's records service (/records/): 'oversight records "
                  "complaint-statistics' writes them as a partner file, and 'oversight ingest partner' then "
                  "'oversight build' bring them here (docs/records.md). Until then there is nothing to show, "
                  "and no estimate is made."))
    return page(
        "section", SECTION.title, "/complaints/", intro=SECTION.intro, filters=filters, area=area, period=period,
        sections=groups,
        _controls=controls(store, area, levels=("force",), period=period, period_measures=[m.id for m in shown],
                           period_types=PERIOD_TYPES) if shown else None,
    )
