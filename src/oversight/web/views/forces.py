"""Stop and search, forces compared: every force's rate ratio on a funnel around England and Wales,
a table that ranks only where intervals allow, the forces like each one, and the forces not compared
with the reason (measures.national, decision 0008)."""

from __future__ import annotations

import dataclasses
from typing import Any, Final

from oversight import config
from oversight.measures.national import GROUPS, PERIOD_TYPE, SCHEME_DIMENSION, NationalComparison
from oversight.measures.periods import parse_period, period_key, period_label
from oversight.present import forces as words
from oversight.present.words import format_interval, format_value
from oversight.web.charts import funnel_figure
from oversight.web.params import BadRequest, Filters, NotFound
from oversight.web.store import Store
from oversight.web.views._common import page

PATH: Final = "/stop-search/forces/"
TITLE: Final = "Stop and search: forces compared"
INTRO: Final = (
    "How often each force in England and Wales searches people of each ethnic group compared with White "
    "people, relative to the residents of each group in its area (Census 2021), for one financial year. "
    "Forces are placed on a funnel around the England and Wales figure, and ranked only as far as their "
    "intervals allow.")
METHOD: Final = (
    "Each force's rate ratio and 95% interval are the figures its own pages show (searches recorded on "
    "police.uk with the person's self-defined ethnicity, per 1,000 residents of that group). The England "
    "and Wales figure adds up the searches and residents of the forces compared. The funnel's limits "
    "narrow as the searches behind a ratio grow; they allow for chance and, where forces differ by more "
    "than chance, for the usual spread between forces (Spiegelhalter's method, with the largest and "
    "smallest tenth of forces kept from widening it). A force outside the 99.8% limits differs from England "
    "and Wales by more than that spread explains. The possible ranks of a force run from one more than the "
    "forces whose whole interval lies above its own, to the number compared less those wholly below it.")
LIKE_IT: Final = (
    "Forces like it are the five nearest on three things weighed equally: the number of residents, residents "
    "per square kilometre (area from the force area boundary), and the ethnic make-up of residents (the "
    "shares of Asian, Black, Mixed and Other residents, together), each scaled across the forces (Census "
    "2021). The Home Office's own 'most similar forces' groups are not open data.")


def forces_page(store: Store, filters: Filters) -> dict[str, Any]:
    group = _group(filters.breakdown)
    period_end = None
    if filters.period is not None:
        kind, end = parse_period(filters.period)
        if kind != PERIOD_TYPE:
            raise BadRequest("forces are compared by financial year, e.g. period=2020-21", field="period")
        period_end = end
    try:
        c = store.forces_compared(group, period_end)
    except ValueError as exc:
        raise NotFound(str(exc), field="period") from None
    home = str(config.default("default_force"))
    home_figure = c.force(home)
    data = page(
        "forces", TITLE, PATH, intro=INTRO, filters=filters,
        breakdown=f"{SCHEME_DIMENSION}={group}",
        group=group, group_people=words.GROUP_PEOPLE[group],
        year={"key": period_key(PERIOD_TYPE, c.period_end), "label": period_label(PERIOD_TYPE, c.period_end)}
        if c.periods else None,
        headline=words.headline(c), spread=words.spread_text(c), method=METHOD, like_it=LIKE_IT,
        england_and_wales=c.reference_ratio, tau2=c.funnel.tau2 if c.funnel else None,
        home=_home(c, home_figure) if home_figure else None,
        forces=[_row(c, f) for f in c.compared],
        not_compared=[{"force": f.force, "name": f.name, "reason": f.not_compared,
                       "similar": list(f.similar)} for f in c.not_compared],
        _controls={"years": [(period_key(PERIOD_TYPE, p), period_label(PERIOD_TYPE, p)) for p in c.periods],
                   "year": period_key(PERIOD_TYPE, c.period_end),
                   "groups": [(g, words.GROUP_PEOPLE[g].capitalize()) for g in GROUPS], "group": group},
    )
    if c.compared:
        data["_chart"] = funnel_figure(c, home)
        data["chart_summary"] = f"{words.headline(c)} {words.spread_text(c)}"
    return data


def _group(breakdown: str | None) -> str:
    if breakdown in (None, "all"):
        return "Black"
    dimension, _, group = (breakdown or "").partition("=")
    if dimension != SCHEME_DIMENSION or group not in GROUPS:
        raise NotFound(f"forces are compared for {SCHEME_DIMENSION}= one of {', '.join(GROUPS)}",
                       field="breakdown")
    return group


def _row(c: NationalComparison, f: Any) -> dict[str, Any]:
    return {
        **{k: v for k, v in dataclasses.asdict(f).items() if k != "not_compared"},
        "similar": list(f.similar),
        "ratio_text": format_value("ratio", f.ratio), "interval_text": format_interval("ratio", f.low, f.high),
        "verdict_text": words.verdict_label(f), "rank_text": words.rank_text(f, len(c.compared)),
        "similar_text": words.similar_text(c, f),
    }


def _home(c: NationalComparison, f: Any) -> dict[str, Any]:
    def like(code: str) -> dict[str, Any]:
        other = c.force(code)
        if other is not None and not other.not_compared:
            return _row(c, other)
        return {"force": code, "name": c.names.get(code, code), "reason": other.not_compared if other else None}

    return {"force": f.force, "name": f.name, "sentence": words.force_sentence(c, f),
            "similar_text": words.similar_text(c, f), "similar": [like(code) for code in f.similar]}
