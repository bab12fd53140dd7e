"""The Plan overview: the four priorities, each headline measure's latest figure and reading."""

from __future__ import annotations

import datetime as dt
from typing import Any

from oversight.measures.catalogue import Measure
from oversight.measures.periods import period_label
from oversight.present.labels import breakdown_label, sentence_case
from oversight.present.marks import spc_badge
from oversight.present.words import (
    band_words,
    comparison_text,
    is_flagged,
    missing_reason,
    quality_phrase,
    summary_sentence,
    value_text,
)
from oversight.web.built import used_settings
from oversight.web.panels import LEVEL_PLURALS, measure_ref
from oversight.web.params import Filters, latest_shared, resolve_area, resolve_period
from oversight.web.sections import HISTORY, PLAN_PRIORITIES, SECTIONS, TRUST
from oversight.web.store import Area, Period, Store
from oversight.web.views._common import controls, page, section
from oversight.web.views.neighbourhoods import CARD as COMPARATOR_CARD
from oversight.web.views.neighbourhoods import LIST_PATH, comparator_loaded
from oversight.web.views.neighbourhoods import TITLE as COMPARATOR_TITLE

PERIOD_TYPES = ("rolling_12", "financial_year", "fy_quarter", "calendar_year")


def headline_card(
    store: Store, m: Measure, area: Area, period: Period | None, newest: dict[str, dt.date] | None = None,
) -> dict[str, Any]:
    """One headline measure: value and interval for the period (else the latest 12 months), the
    SPC reading of its latest month, and its plain-English reading."""
    card: dict[str, Any] = {"kind": "headline", "id": f"headline-{m.id}", "measure": measure_ref(m),
                            "title": m.title, "outcome": m.outcome, "state": "ok", "message": None}
    status = store.status_of(m.id)
    if status["status"] != "ok":
        detail = status.get("detail")
        card.update(state="awaiting",
                    message="Awaiting data" + (f": {detail}" if isinstance(detail, str) else "") + ".")
        return card
    if area.level not in m.levels:
        card.update(state="not_at_level", message=f"Not published for {LEVEL_PLURALS[area.level]}.")
        return card
    chosen: Period | None
    if period is not None and period in store.periods(m.id):
        chosen = period
    else:
        chosen = latest_shared(store, [m.id], (period.type, *PERIOD_TYPES) if period else PERIOD_TYPES) \
            or store.latest_period(m.id, "month")
    if chosen is None:
        card.update(state="empty", message=f"No figures for {area.name}.")
        return card
    if "all" in store.breakdowns(m.id):
        found = store.rows(m.id, level=area.level, area=area.code, period=chosen.key)
    else:  # a measure of groups against a reference group (rate ratios, gaps): one line per group
        found = store.rows(m.id, level=area.level, area=area.code, period=chosen.key, breakdown=None)
    if not found:
        card.update(state="empty", message=f"No figures for {area.name}.")
        return card
    row = found[0]
    card.update(period=row["period_key"], period_label=row["period"],
                not_selected=period is not None and chosen != period)
    if period is None or chosen != period:  # a period the reader chose is not "out of date"
        card["stale"] = _stale(chosen, (newest if newest is not None else newest_headline_ends(store)).get(chosen.type))
    if row["breakdown"] == "all":
        card.update(row=row, reading=_reading(m, row), sentence=summary_sentence(m, row))
    else:
        reference = breakdown_label(m.reference or "")
        card.update(groups=[{**r, "label": breakdown_label(r["breakdown"])} for r in found],
                    reading=(f"Each group compared with {reference}"
                             + (" (1 means the same rate)" if m.unit == "ratio" else "")))
    if "month" in m.periods:
        months = [r for r in store.rows(m.id, level=area.level, area=area.code, period_type="month")
                  if r.get("spc_variation")]  # flagged months have no SPC reading
        if months:
            card.update(spc=spc_badge(months[-1].get("spc_variation"), used_settings(store)["spc_window_months"]),
                        spc_period=months[-1]["period"])
    return card


STALE_AFTER_DAYS = 366


def newest_headline_ends(store: Store) -> dict[str, dt.date]:
    """Per period type, the end of the newest headline figure that can be published."""
    newest: dict[str, dt.date] = {}
    for m in store.catalogue.values():
        if not (m.headline and store.has_data(m.id)):
            continue
        for kind in m.periods:
            latest = store.latest_period(m.id, kind)
            if latest is not None and latest.end > newest.get(kind, dt.date.min):
                newest[kind] = latest.end
    return newest


def _stale(shown: Period, newest: dt.date | None) -> str | None:
    """Words for a headline whose figure is more than a year older than the newest headline
    figure on the page: the reader must not take it for current."""
    if newest is None or (newest - shown.end).days <= STALE_AFTER_DAYS:
        return None
    return (f"Out of date: the latest figure that can be published is for {shown.label}, "
            f"more than a year before the newest figures on this page ({period_label(shown.type, newest)}).")


def _reading(m: Measure, row: dict[str, Any]) -> str:
    if missing_reason(row):
        return sentence_case(value_text(m.unit, row))
    if is_flagged(row):
        return sentence_case(quality_phrase(row))
    if row.get("vs_band"):
        return sentence_case(band_words(row["vs_band"])) + (f" of ±{m.band:g} points" if m.band else "")
    if not m.compared_with_year_before:
        return "Compared with the reference group; see the measure page for the series"
    return comparison_text(m, row)


def overview_page(store: Store, filters: Filters) -> dict[str, Any]:
    area = resolve_area(store, filters)
    headline = [m for m in store.catalogue.values() if m.headline]
    ids = [m.id for m in headline]
    period = resolve_period(store, filters, ids, PERIOD_TYPES) if filters.period else None
    groups: list[dict[str, Any]] = []
    newest = newest_headline_ends(store)
    comparator = comparator_loaded(store)
    for priority in PLAN_PRIORITIES:
        members = [m for m in store.catalogue.values() if m.priority == priority]
        cards = [headline_card(store, m, area, period, newest) for m in members if m.headline]
        waiting = sum(1 for m in members if not store.has_data(m.id))
        groups.append(section(priority, cards, anchor=f"priority-{len(groups) + 1}",
                              intro=f"{len(members)} measures in the catalogue, {len(members) - waiting} with figures"
                                    + (f", {waiting} awaiting data." if waiting else ".")))
        if priority == TRUST and comparator:
            groups[-1]["link"] = {"path": LIST_PATH, "text": "Compare your police neighbourhood with similar "
                                                            "neighbourhoods (Neighbourhood confidence comparator)"}
    history = [measure_ref(m) for m in store.catalogue.values() if m.priority == HISTORY]
    return page(
        "overview", "Police and Crime Plan: how are we doing?", "/",
        intro=("The headline measures of each priority of the Police and Crime Plan, for the area you choose. "
               "Each figure comes with its 95% interval, its statistical process control reading for the "
               "latest month (a shape and words, not colour alone) and whether it has changed significantly "
               "on the year before."),
        filters=filters, area=area, period=period, sections=groups, history=history,
        dashboards=[*({"slug": s.slug, "title": s.title, "intro": s.intro} for s in SECTIONS),
                    *([{"slug": LIST_PATH.strip("/"), "title": COMPARATOR_TITLE, "intro": COMPARATOR_CARD}]
                      if comparator else [])],
        _controls=controls(store, area, levels=("force", "bcu", "borough", "ward"), period=period,
                           period_measures=ids, period_types=PERIOD_TYPES, latest_option=True,
                           requested_level=filters.level),
    )
