"""The trust and confidence dashboard: each Public Attitude Survey measure over time with its
interval and (stated or assumed) sample size, boroughs compared, and gaps against each measure's band."""

from __future__ import annotations

from typing import Any

from oversight.web import panels
from oversight.web.params import Filters, resolve_area, resolve_period
from oversight.web.sections import BY_SLUG
from oversight.web.store import Area, Store
from oversight.web.views._common import controls, page, section
from oversight.web.views.neighbourhoods import LIST_PATH, TITLE, borough_links, comparator_loaded

SECTION = BY_SLUG["trust"]
PERIOD_TYPES = ("rolling_12", "fy_quarter", "financial_year")


def trust_page(store: Store, filters: Filters) -> dict[str, Any]:
    measures = SECTION.measures(store.catalogue)
    proportions = [m for m in measures if m.unit in ("survey_proportion", "proportion")]
    gaps = [m for m in measures if m.band is not None or m.unit == "percentage_points"]
    levels = sorted({lvl for m in proportions for lvl in m.levels}, key=("force", "bcu", "borough", "ward").index)
    area = resolve_area(store, filters, levels or ("force",))
    with_data = [m for m in proportions if store.has_data(m.id)]
    lead = next((m for m in with_data if m.headline), with_data[0] if with_data else None)
    period = resolve_period(store, filters, [lead.id] if lead else [], PERIOD_TYPES)
    series_type = period.type if period else "rolling_12"
    groups = [section("Over time", [
        panels.series_panel(store, m, area, series_type, selected=period, title=f"{m.title}, {area.name}")
        for m in with_data
    ], intro="The shaded band is the survey's 95% interval. Where the survey does not publish its sample "
             "size the interval rests on the sample size of the survey design, marked 'assumed' in the tables. "
             "Survey figures over 12 months overlap from one quarter to the next, so they are compared a year "
             "apart rather than given process limits.")]
    if lead is not None:
        groups.append(section("By borough", [
            panels.areas_panel(store, m, "borough", period, highlight=area.code,
                               title=f"{m.title} by borough") for m in with_data if m.headline
        ] or [panels.areas_panel(store, lead, "borough", period, highlight=area.code)]))
    if gaps:
        gap_panels = []
        for m in gaps:
            if store.has_data(m.id):
                gap_type = series_type if series_type in m.periods else m.periods[0]
                force = store.force_area()
                gap_panels.append(panels.series_panel(store, m, force, gap_type, title=f"{m.title}, {force.name}"))
            else:
                gap_panels.append(panels.awaiting_panel(store, [m], title=m.title, panel_id=f"awaiting-{m.id}"))
        bands = " or ±".join(sorted({f"{m.band:g}" for m in gaps if m.band}))
        groups.append(section("Gaps between groups", gap_panels,
                              intro="The Plan's aim is to bring the gaps in trust between groups of Londoners "
                                    f"within ±{bands} points (each measure's band). A gap is 'within the band' only "
                                    "when its whole interval lies within the band, 'cannot tell' when the interval "
                                    "straddles an edge. The gaps between Black, Asian and White British "
                                    "respondents in four questions about the local police, by neighbourhood, borough "
                                    "and force, are on the trust gap page.",
                              link={"href": "/trust/gap/", "text": "The trust gap between ethnic groups"}))
    if comparator_loaded(store):
        groups.append(section("Neighbourhoods", [neighbourhood_links(store, area)]))
    waiting = [m for m in proportions if not store.has_data(m.id)]
    if waiting:
        groups.append(section("Awaiting data", [
            panels.awaiting_panel(store, waiting, title="Survey measures waiting for data",
                                  panel_id="trust-awaiting")]))
    return page(
        "section", SECTION.title, "/trust/", intro=SECTION.intro, filters=filters, area=area, period=period,
        sections=groups,
        _controls=controls(store, area, levels=levels, period=period, period_measures=[lead.id] if lead else [],
                           period_types=PERIOD_TYPES, requested_level=filters.level),
    )


def neighbourhood_links(store: Store, area: Area) -> dict[str, Any]:
    """A panel of links to the neighbourhood comparator: for a borough, straight to its neighbourhoods."""
    places = borough_links(store, area.code) if area.level == "borough" else []
    return {"kind": "links", "id": "neighbourhood-comparator", "title": TITLE, "state": "ok",
            "summary": (f"How each police neighbourhood of {area.name} compares with similar neighbourhoods and London:"
                        if places else "How each police neighbourhood compares with similar neighbourhoods and "
                                       "London, question by question, and what moves with confidence across London."),
            "links": [{"path": p["page"], "text": p["neighbourhood"]} for p in places]
            + [{"path": LIST_PATH, "text": "Every neighbourhood, by borough" if places else "Choose a neighbourhood",
                "params": {"area": area.code} if places else {}}],
            "rows": []}
