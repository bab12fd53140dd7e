"""The stop and search and use of force dashboard.

Measures are found by the role their definitions declare (`role = "search_rate"`) and derived
ones by what they are computed from (the rate ratio of the search rate, the gap of an outcome
rate), so renaming a measure does not empty the page.
"""

from __future__ import annotations

from typing import Any

from oversight.measures.catalogue import Measure, derived_from, with_role
from oversight.present.labels import NATIONAL_AREAS
from oversight.web import panels
from oversight.web.params import Filters, resolve_area, resolve_period
from oversight.web.sections import BY_SLUG
from oversight.web.store import Area, Period, Store
from oversight.web.views._common import controls, page, section

SECTION = BY_SLUG["stop-search"]
PERIOD_TYPES = ("rolling_12", "financial_year", "fy_quarter", "calendar_year")
SELF = "self_defined_group"
OFFICER = "officer_defined_group"


def stop_search_page(store: Store, filters: Filters) -> dict[str, Any]:
    ms = SECTION.measures(store.catalogue)
    volume = next(iter(with_role(ms, "search_volume")), None)
    rate = next(iter(with_role(ms, "search_rate")), None)
    rate_officer = next(iter(with_role(ms, "search_rate_officer_defined")), None)
    ratio, ratio_officer = derived_from(ms, rate, "ratio"), derived_from(ms, rate_officer, "ratio")
    not_stated = next(iter(with_role(ms, "not_stated_share")), None)
    outcomes = [m for role in ("positive_outcome_rate", "arrest_rate", "outcome_rate") for m in with_role(ms, role)]
    outcomes.sort(key=lambda m: not m.headline)
    gaps = {m.id: derived_from(ms, m, "difference") for m in outcomes}
    other_counts = with_role(ms, "search_count")
    crosstab = next(iter(with_role(ms, "ethnicity_agreement")), None)
    key = [m.id for m in (volume, rate, ratio) if m is not None]

    area = resolve_area(store, filters)
    period = resolve_period(store, filters, key, PERIOD_TYPES)
    compare_level = filters.level if filters.level and filters.level != "force" else (
        area.level if area.level != "force" else "borough")
    groups = []
    if volume is not None:
        groups.append(section("Searches over time", [
            panels.series_panel(store, volume, area, "month", selected=period,
                                title=f"{volume.title}, month by month, {area.name}"),
        ], intro="The dashed line is the mean and the dotted lines the process limits; shapes mark special "
                 "cause variation. Gaps in the line are months with no file loaded (see Data health)."))
    who = []
    if rate is not None or volume is not None:
        who.append(panels.compare_groups_panel(
            store, [m.id for m in (volume, rate, ratio) if m], area, period, SELF,
            title=f"Searches by self-defined ethnic group, {area.name}", panel_id="stop-search-self-defined",
            charted=tuple(m.id for m in (rate, ratio) if m), notes=(not_stated.id,) if not_stated else ()))
    if rate_officer is not None:
        who.append(panels.compare_groups_panel(
            store, [m.id for m in (rate_officer, ratio_officer) if m], area, period, OFFICER,
            title=f"Searches by officer-defined ethnic group, {area.name}", panel_id="stop-search-officer-defined",
            charted=tuple(m.id for m in (ratio_officer,) if m)))
    if who:
        groups.append(section("Who is searched", who,
                              intro="Rates are searches per 1,000 residents of each group (census). A rate ratio "
                                    "compares each group's rate with White people's: 2 means twice as often. "
                                    "Searches where the person did not state their ethnicity are not in any "
                                    "group's rate, so the share not stated is shown beside them."))
    if outcomes:
        columns: list[str] = []
        for m in outcomes:
            gap = gaps[m.id]
            columns += [m.id, gap.id] if gap else [m.id]
        groups.append(section("Outcomes", [panels.compare_groups_panel(
            store, columns, area, period, SELF, title=f"Outcomes by self-defined ethnic group, {area.name}",
            panel_id="stop-search-outcomes", charted=tuple(m.id for m in outcomes[:1]))],
            intro="The share of searches with each outcome, and the difference from White people in percentage "
                  "points with its 95% interval. A find rate counts searches whose outcome was linked to the "
                  "object searched for."))
    legislation = [m for m in (volume, *outcomes) if m is not None and "legislation" in m.breakdowns]
    if legislation:
        groups.append(section("Legislation", [
            panels.groups_panel(store, m, area, period, "legislation") for m in legislation[:2]]))
    if other_counts:
        groups.append(section("Strip searches and other counts", [
            panels.groups_panel(store, m, area, period, d) for m in other_counts for d in m.breakdowns]))
    # The crossed breakdown's name, once the measure has figures (a warehouse may have no searches yet).
    crossed = [b.split("=", 1)[0] for b in store.breakdowns(crosstab.id) if " / " in b] if crosstab else []
    dimension = crossed[0] if crossed else None
    if crosstab is not None and dimension is not None:
        groups.append(section("How people and officers describe ethnicity", [panels.crosstab_panel(
            store, crosstab, area, period, dimension, panel_id="stop-search-crosstab",
            title=f"Self-defined (rows) against officer-defined (columns) ethnic group, {area.name}")]))
    mapped = rate or volume
    if mapped is not None:
        groups.append(section("By area", [
            panels.areas_panel(store, mapped, compare_level, period, highlight=area.code)]))
    groups.append(use_of_force_section(store, ms, area, period))
    return page(
        "section", SECTION.title, "/stop-search/", intro=SECTION.intro, filters=filters, area=area, period=period,
        sections=groups, related=[("/stop-search/forces/", "Every force in England and Wales compared")],
        _controls=controls(store, area, levels=("force", "bcu", "borough", "ward"), period=period,
                           period_measures=key, period_types=PERIOD_TYPES, requested_level=filters.level),
    )


USE_OF_FORCE_INTRO = (
    "From the Home Office's Police use of force statistics, which count tactics, not incidents or people: each "
    "officer reports each tactic used on each person, so one incident in which two officers handcuff and restrain "
    "one man is four tactics, and a person can be counted more than once in a year. The ethnic group is the one "
    "the officer perceived. Rates are per 1,000 residents of each group at the 2021 Census; a rate ratio compares "
    "each group's rate with White people's (2 means twice as often). The tables are by financial year "
    "(April to March) and by police force, so the figures are for the whole force against England and Wales; "
    "the period menu chooses the year when it names a financial year with figures, otherwise the latest is shown. "
    "The City of London has few residents against the many people who work in and visit it, so its rates "
    "and ratios are far higher than any other force's and say little. The Home Office publishes what followed "
    "(arrests, injuries to people and officers) for England and Wales only, not by force, so those outcomes are "
    "not shown here.")
NATIONAL = "national"


def use_of_force_section(store: Store, ms: list[Measure], area: Area, period: Period | None) -> dict[str, Any]:
    """The Home Office use-of-force and Taser figures for a force against England and Wales: rates and
    rate ratios by the person's ethnic group, tactics by type, Taser uses by how used, every force."""
    rate = next(iter(with_role(ms, "force_rate")), None)
    taser = next(iter(with_role(ms, "taser_rate")), None)
    kinds = [m for role in ("force_type", "taser_type") for m in with_role(ms, role)]
    measures = [m for m in (rate, taser, *kinds, *with_role(ms, "force_incidents")) if m is not None]
    heading, anchor = "Use of force and Taser", "use-of-force"
    if not measures:
        return section(heading, [], anchor=anchor, intro=(
            "The measure catalogue has no use-of-force measure, so there are no figures to show here."))
    waiting = [m for m in measures if not store.has_data(m.id)]
    if len(waiting) == len(measures):
        return section(heading, [panels.awaiting_panel(store, measures, title="Use of force measures",
                                                       panel_id="use-of-force-awaiting")], anchor=anchor)
    force = area if area.level == "force" else store.force_area()
    whole = store.area(next(iter(NATIONAL_AREAS)), NATIONAL)
    chosen = [a for a in (force, whole) if a is not None]
    key = (rate or taser or measures[0]).id
    year = period if period is not None and period.type == "financial_year" and period in store.periods(key) \
        else store.latest_period(key, "financial_year")
    names = " and ".join(a.name for a in chosen)
    found = [panels.series_panel(store, m, where, "financial_year",
                                 title=f"Incidents in which force was used, per 1,000 residents, {where.name}")
             for m in with_role(ms, "force_incidents") for where in chosen]
    for m, what, counted in ((rate, "Use of force", "tactics"), (taser, "Taser use", "uses")):
        if m is None:
            continue
        ratio = derived_from(ms, m, "ratio")
        found.append(panels.compare_areas_panel(
            store, [x.id for x in (m, ratio) if x], chosen, year, "subject_group",
            title=f"{what} by ethnic group of the person, {names}", panel_id=f"{panels.slug(m.id)}-compare",
            charted=(ratio.id,) if ratio else (), counted=counted))
    for m in kinds:
        dimension = m.breakdowns[0]
        found.append(panels.compare_areas_panel(
            store, [m.id], chosen, year if year and year.type in m.periods else None, dimension,
            title=f"{m.title}, {names}", panel_id=f"{panels.slug(m.id)}-compare"))
    rate_ratio = derived_from(ms, rate, "ratio")
    if rate_ratio is not None:
        found += [panels.series_panel(store, rate_ratio, where, "financial_year", "subject_group=Black",
                                      title=f"Use of force rate ratio, Black to White residents, by financial year, "
                                            f"{where.name}") for where in chosen]
    taser_kind = next(iter(with_role(ms, "taser_type")), None)
    if taser_kind is not None:
        found.append(panels.series_panel(store, taser_kind, force, "financial_year",
                                         title=f"Taser uses by financial year, {force.name}"))
    if rate_ratio is not None:
        found.append(panels.areas_panel(
            store, rate_ratio, "force", year, "subject_group=Black", highlight=force.code,
            title="Use of force rate ratio, Black to White residents, every force in England and Wales"))
    if waiting:
        found.append(panels.awaiting_panel(store, waiting, title="Use of force measures awaiting data",
                                           panel_id="use-of-force-awaiting"))
    return section(heading, found, anchor=anchor, intro=USE_OF_FORCE_INTRO)
