"""What every page's data has: its filter state, the menus of the filter form, its sections."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from oversight.present.labels import breakdown_label
from oversight.web.params import Filters, area_options, period_options
from oversight.web.store import LEVEL_ORDER, Area, Period, Store


def page(
    name: str, title: str, path: str, *, intro: str = "", filters: Filters | None = None,
    area: Area | None = None, period: Period | None = None, breakdown: str | None = None,
    sections: list[dict[str, Any]] | None = None, **extra: Any,
) -> dict[str, Any]:
    state = {
        "level": area.level if area else None,
        "area": area.code if area else None,
        "period": period.key if period else None,
        "breakdown": breakdown,
    }
    return {
        "page": name, "title": title, "path": path, "intro": intro,
        "filters": state,
        "requested": {k: v for k, v in vars(filters).items() if v} if filters else {},
        "area": {"level": area.level, "code": area.code, "name": area.name} if area else None,
        "period": {"key": period.key, "label": period.label, "type": period.type} if period else None,
        "sections": sections or [],
        **extra,
    }


def section(
    heading: str, panels: list[dict[str, Any]], intro: str = "", anchor: str = "",
    link: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A titled group of panels; `link` ({'href', 'text'}) points to a page that says more."""
    return {"heading": heading, "intro": intro, "panels": panels,
            "anchor": anchor or heading.lower().replace(" ", "-"), "link": link}


def controls(
    store: Store, area: Area, *, levels: Iterable[str], period: Period | None = None,
    period_measures: Iterable[str] = (), period_types: Iterable[str] = (),
    breakdowns: list[str] | None = None, breakdown: str | None = None, breakdown_name: str = "Breakdown",
    latest_option: bool = False, requested_level: str | None = None,
) -> dict[str, Any]:
    """Menus for the filter form: areas by level (wards, by borough, only once a ward level is asked for),
    periods by type, and the breakdowns."""
    allowed = [lvl for lvl in LEVEL_ORDER if lvl in set(levels)]
    wards_asked = "ward" in (area.level, requested_level)
    force = area.force or store.force_area().code
    return {
        "area_groups": area_options(store, [lvl for lvl in allowed if lvl != "ward" or wards_asked], force),
        "area": area.code,
        "wards": "ward" in allowed and not wards_asked and bool(store.areas_of(force, "ward")),
        "period_groups": [(label, [(p.key, p.label) for p in items])
                          for label, items in period_options(store, period_measures, period_types, selected=period)],
        "period": period.key if period else None,
        "latest_option": latest_option,
        "breakdowns": [(b, breakdown_label(b)) for b in breakdowns] if breakdowns else [],
        "breakdown": breakdown,
        "breakdown_name": breakdown_name,
    }
