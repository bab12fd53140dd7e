"""The filter state every page keeps in its URL (level, area, period, breakdown), checked once.

`read_filters` checks the form of each query parameter (422 when malformed; 404 for a period
outside the years any figure can have); `resolve_area`,
`resolve_period` and `resolve_breakdown` check them against what the warehouse holds (404 when
well formed but unknown), with a message saying what is available.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Final

from oversight.errors import OversightError
from oversight.measures.catalogue import LEVELS
from oversight.measures.periods import PERIOD_HELP, PeriodOutOfRange, parse_period
from oversight.present.labels import LEVEL_NAMES, PERIOD_TYPE_NAMES
from oversight.web.store import LEVEL_ORDER, Area, Period, Store

FILTER_NAMES: Final = ("level", "area", "period", "breakdown")
_AREA: Final = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_BREAKDOWN: Final = re.compile(r"^(all|[a-z_]{1,40}=[^\x00-\x1f<>]{1,120})$")


class BadRequest(OversightError):
    """A query parameter is malformed (HTTP 422)."""

    status = 422


class NotFound(OversightError):
    """A well-formed measure, area, period or breakdown that the warehouse does not have (HTTP 404)."""

    status = 404


@dataclass(frozen=True)
class Filters:
    level: str | None = None
    area: str | None = None
    period: str | None = None
    breakdown: str | None = None

    def as_params(self, **changes: str | None) -> dict[str, str]:
        """Query parameters for a link to this view with some filters changed (None drops one)."""
        merged = {**asdict(self), **changes}
        return {k: v for k, v in merged.items() if k in FILTER_NAMES and v}


def read_filters(query: Mapping[str, str]) -> Filters:
    """Filters from query parameters; BadRequest naming the parameter when one is malformed."""
    level = _clean(query.get("level"))
    area = _clean(query.get("area"))
    period = _clean(query.get("period"))
    breakdown = _clean(query.get("breakdown"))
    if level is not None and level not in LEVELS:
        raise BadRequest(f"{level!r} is not an area level; use one of {', '.join(LEVELS)}", field="level")
    if area is not None and not _AREA.match(area):
        raise BadRequest("an area is a code of letters, digits, '-' or '_' (e.g. E09000022)", field="area")
    if period is not None:
        # One spelling per period ('2022-23 Q2' -> '2022-23-Q2'); a period type given beside it says
        # whether '2011-12' is December 2011 or the financial year.
        try:
            period = Period(*parse_period(period, _clean(query.get("period_type")))).key
        except PeriodOutOfRange as exc:  # well formed, but no figures can exist for it (#6)
            raise NotFound(f"no figures for the period: {exc.reason}", field="period") from None
        except OversightError as exc:
            raise BadRequest(exc.reason, field=exc.field or "period") from None
    if breakdown is not None and not _BREAKDOWN.match(breakdown):
        raise BadRequest("a breakdown is 'all' or '<dimension>=<value>', e.g. 'self_defined_group=Black'",
                         field="breakdown")
    return Filters(level, area, period, breakdown)


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def resolve_area(store: Store, filters: Filters, levels: Iterable[str] = LEVELS) -> Area:
    """The area the page is about: the one named, else the force; NotFound when unknown."""
    allowed = tuple(levels)
    if filters.area is None:
        return store.force_area()
    found = store.area(filters.area, filters.level)
    if found is None:
        where = f" at level {filters.level!r}" if filters.level else ""
        known = ", ".join(f"{len(store.areas(lvl))} {lvl}" for lvl in allowed if store.areas(lvl))
        raise NotFound(f"no figures for an area {filters.area!r}{where}; the areas with figures are {known} "
                       "(see /api/v1/areas.json)", field="area")
    if found.level not in allowed:
        raise NotFound(f"{found.label} is a {found.level}; this page shows {', '.join(allowed)} figures",
                       field="area")
    return found


def resolve_period(store: Store, filters: Filters, measure_ids: Iterable[str], types: Iterable[str]) -> Period | None:
    """The period named (NotFound when none of the measures has it), else the latest one all the
    measures with data share among `types` (in order of preference); None when there is none."""
    ids = [m for m in measure_ids if store.has_data(m)]
    wanted = tuple(types)
    if filters.period is not None:
        kind, end = parse_period(filters.period)
        chosen = Period(kind, end)
        if not any(chosen in store.periods(m) for m in ids):
            latest = [p.key for t in wanted for m in ids[:1] if (p := store.latest_period(m, t))]
            hint = f"; the latest is {latest[0]}" if latest else ""
            raise NotFound(f"no figures for the period {chosen.label!r} ({PERIOD_HELP}){hint}", field="period")
        return chosen
    return latest_shared(store, ids, wanted)


def latest_shared(store: Store, measure_ids: Iterable[str], types: Iterable[str]) -> Period | None:
    """The freshest period that every measure (with data, and with that kind of period) has up
    to: for each type the earliest of the measures' latest periods, then the type whose period
    ends last (ties go to the type listed first)."""
    best: Period | None = None
    ids = [m for m in measure_ids if store.has_data(m)]
    for kind in types:
        present = [p for m in ids if kind in store.measure(m).periods and (p := store.latest_period(m, kind))]
        if present:
            candidate = min(present, key=lambda p: p.end)
            if best is None or candidate.end > best.end:
                best = candidate
    return best


def resolve_breakdown(store: Store, filters: Filters, measure_id: str, default: str = "all") -> str:
    """The breakdown named (NotFound when the measure does not have it), else `default` when the
    measure has it, else its first breakdown."""
    known = store.breakdowns(measure_id)
    if filters.breakdown is not None:
        if known and filters.breakdown not in known:
            dims = sorted({b.split("=", 1)[0] for b in known if b != "all"})
            raise NotFound(f"{measure_id} has no breakdown {filters.breakdown!r}; it is broken down by "
                           f"{', '.join(dims) or 'nothing'} (see its measure page)", field="breakdown")
        return filters.breakdown
    if not known or default in known:
        return default
    return known[0]


MenuGroups = list[tuple[str, list[tuple[str, str]]]]
"""A menu's option groups: (group label, [(value, text), ...])."""


def area_options(store: Store, levels: Iterable[str], force: str | None = None) -> MenuGroups:
    """Areas to offer in a menu: every force, then one group for each level of the force's areas
    above wards, then its wards grouped by the area they lie in (see `_ward_groups`). `force`
    defaults to the configured one."""
    force = force or store.force_area().code
    groups: MenuGroups = []
    for level in [lvl for lvl in LEVEL_ORDER if lvl in set(levels)]:
        areas = store.areas_of(force, level)
        if level == "ward":
            groups += _ward_groups(store, areas)
        elif level == "force" and areas:
            groups.append(("Forces" if len(areas) > 1 else LEVEL_NAMES[level], [(a.code, a.name) for a in areas]))
        elif areas:
            groups.append((levels_name(level, areas), [(a.code, a.name) for a in areas]))
    return groups


def levels_name(level: str, areas: Iterable[Area]) -> str:
    """'Boroughs' for London's boroughs, 'Local authorities' for the same level elsewhere (decision 0007)."""
    if level == "borough" and any(not a.code.startswith("E09") for a in areas):
        return "Local authorities"
    return LEVEL_NAMES[level] + ("" if level == "national" else "s")  # 'Country': one area


def _ward_groups(store: Store, wards: list[Area]) -> MenuGroups:
    """One group per area the wards lie in ("Wards in Barnet"), in alphabetical order, with its
    wards in alphabetical order; wards whose parent is not known come last. Ward names repeat
    across boroughs (two Abbeys, two Belmonts), so a flat list of some 680 wards could not tell
    them apart: the group does in the open menu, a repeated name also carries its area ("Abbey
    (Merton)") for the closed one, and the value is the code."""
    names = {a.code: a.name for a in store.areas() if a.level != "ward"}
    repeated = {name for name, count in Counter(w.name for w in wards).items() if count > 1}
    by_parent: dict[str, list[tuple[str, str]]] = {}
    orphans = []
    for ward in wards:  # sorted by name
        if ward.parent_code is None:
            orphans.append((ward.code, ward.name))
            continue
        parent = names.get(ward.parent_code, ward.parent_code)  # a parent without figures: its code
        text = f"{ward.name} ({parent})" if ward.name in repeated else ward.name
        by_parent.setdefault(f"Wards in {parent}", []).append((ward.code, text))
    groups = sorted(by_parent.items(), key=lambda group: group[0].casefold())
    return groups + ([("Other wards", orphans)] if orphans else [])


def period_options(
    store: Store, measure_ids: Iterable[str], types: Iterable[str], keep: int = 60, selected: Period | None = None,
) -> list[tuple[str, list[Period]]]:
    """Periods to offer in a menu, grouped by type: the newest `keep` of each type, and the
    period selected wherever it falls."""
    groups = []
    ids = [m for m in measure_ids if store.has_data(m)]
    for kind in types:
        seen = {p for m in ids for p in store.periods(m) if p.type == kind}
        if seen:
            newest = sorted(seen, key=lambda p: p.end, reverse=True)[:keep]
            if selected is not None and selected.type == kind and selected not in newest:
                newest = sorted([*newest, selected], key=lambda p: p.end, reverse=True)
            groups.append((PERIOD_TYPE_NAMES[kind], newest))
    return groups
