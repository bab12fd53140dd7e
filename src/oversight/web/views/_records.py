"""A dashboard of figures from the office's own records service (custody visiting, complaint
reviews): counts only, shown once the kind's statistics file is loaded; until then an honest list of
what will appear and how to load it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from oversight.measures.catalogue import Measure
from oversight.web import panels
from oversight.web.params import Filters, resolve_period
from oversight.web.sections import Section
from oversight.web.store import Store
from oversight.web.views._common import controls, page, section


def records_page(
    store: Store, filters: Filters, dashboard: Section, measures: Sequence[Measure], *,
    period_types: tuple[str, ...], figures_title: str, figures_intro: str, waiting_title: str,
    waiting_panel_title: str, statistics_command: str,
) -> dict[str, Any]:
    """The dashboard at /<slug>/: a series panel for each measure with figures, then the measures still
    awaiting the records' statistics file (written by `oversight records <statistics_command>`)."""
    area = store.force_area()
    shown = [m for m in measures if store.has_data(m.id)]
    period = resolve_period(store, filters, [m.id for m in shown], period_types)
    groups = []
    if shown:
        groups.append(section(figures_title, [
            panels.series_panel(store, m, area, period.type if period and period.type in m.periods else m.periods[0],
                                selected=period, title=f"{m.title}, {area.name}") for m in shown],
            intro=figures_intro))
    waiting = [m for m in measures if not store.has_data(m.id)]
    if waiting:
        groups.append(section(waiting_title, [
            panels.awaiting_panel(store, waiting, title=waiting_panel_title, panel_id=f"{dashboard.slug}-awaiting")],
            intro="These figures come from the office's records service (/records/): 'oversight records "
                  f"{statistics_command}' writes them as a partner file, and 'oversight ingest partner' then "
                  "'oversight build' bring them here (docs/records.md). Until then there is nothing to show, "
                  "and no estimate is made."))
    return page(
        "section", dashboard.title, f"/{dashboard.slug}/", intro=dashboard.intro, filters=filters, area=area,
        period=period, sections=groups,
        _controls=controls(store, area, levels=("force",), period=period, period_measures=[m.id for m in shown],
                           period_types=period_types) if shown else None,
    )
