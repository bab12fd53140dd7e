"""A choropleth drawn on the server as SVG from the `area_boundary` GeoJSON: no tiles, no
script, no network. Areas are shaded in up to five classes of equal counts; an area with no
published figure is hatched, the selected area has a thick outline, and each area names its
figure on hover. The table beside the map carries every figure, so colour is never the only
way to read it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any, Final

from markupsafe import Markup

from oversight.present import marks
from oversight.present.labels import is_missing
from oversight.present.words import format_value, value_text

WIDTH: Final = 640
SHADES: Final = ("#deebf7", "#9ecae1", "#4292c6", "#2171b5", "#08306b")
"""Sequential blues, light to dark, distinct in greyscale as well."""


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    kind = geometry.get("type")
    if kind == "Polygon":
        return list(geometry["coordinates"])
    if kind == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


def class_breaks(values: Sequence[float], classes: int = len(SHADES)) -> list[float]:
    """Upper bounds of up to `classes` classes holding about equal numbers of areas."""
    ordered = sorted(values)
    if not ordered:
        return []
    count = min(classes, len(set(ordered)))
    bounds = [ordered[min(len(ordered) - 1, math.ceil(len(ordered) * (i + 1) / count) - 1)] for i in range(count)]
    return sorted(set(bounds))


def choropleth(
    features: dict[str, dict[str, Any]],
    rows: list[dict[str, Any]],
    *,
    unit: str,
    title: str,
    map_id: str,
    highlight: str | None = None,
) -> Markup | None:
    """The SVG (with its legend) for areas in `rows` that have a boundary; None when none do."""
    by_code = {r["area_code"]: r for r in rows}
    drawn = {code: f for code, f in features.items() if code in by_code}
    if not drawn:
        return None
    points = [pt for f in drawn.values() for ring in _rings(f["geometry"]) for pt in ring]
    lon0, lon1 = min(p[0] for p in points), max(p[0] for p in points)
    lat0, lat1 = min(p[1] for p in points), max(p[1] for p in points)
    squeeze = math.cos(math.radians((lat0 + lat1) / 2))
    scale = WIDTH / max((lon1 - lon0) * squeeze, 1e-9)
    height = (lat1 - lat0) * scale

    def path(geometry: dict[str, Any]) -> str:
        parts = []
        for ring in _rings(geometry):
            coords = " ".join(f"{(x - lon0) * squeeze * scale:.1f},{(lat1 - y) * scale:.1f}" for x, y in ring[:-1])
            parts.append(f"M{coords}Z")
        return "".join(parts)

    values = [r["value"] for r in by_code.values() if not is_missing(r.get("value"))]
    breaks = class_breaks(values)

    def shade(value: Any) -> str:
        if is_missing(value):
            return f"url(#{map_id}-hatch)"
        for bound, colour in zip(breaks, SHADES[len(SHADES) - len(breaks):], strict=False):
            if value <= bound:
                return colour
        return SHADES[-1]

    shapes = []
    for code, feature in sorted(drawn.items(), key=lambda item: item[0] == highlight):
        row = by_code[code]
        label = f"{row['area_name']}: {value_text(unit, row)}"
        chosen = code == highlight
        outline = f' stroke="{marks.INK}" stroke-width="4"' if chosen else ' stroke="#ffffff" stroke-width="1"'
        shapes.append(f'<path d="{path(feature["geometry"])}" fill="{shade(row.get("value"))}"{outline}>'
                      f"<title>{escape(label)}</title></path>")
    legend = _legend(breaks, min(values) if values else None, unit, map_id,
                     any(is_missing(r.get("value")) for r in by_code.values()))
    svg = (
        f'<svg class="map" viewBox="-4 -4 {WIDTH + 8} {height + 8:.0f}" role="img" '
        f'aria-labelledby="{map_id}-title" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{map_id}-title">{escape(title)}</title>'
        f'<defs><pattern id="{map_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{marks.GREY}" stroke-width="2"/></pattern></defs>'
        + "".join(shapes) + "</svg>"
    )
    return Markup(svg + legend)


def _legend(breaks: list[float], lowest: float | None, unit: str, map_id: str, has_missing: bool) -> str:
    items = []
    start = lowest
    for bound, colour in zip(breaks, SHADES[len(SHADES) - len(breaks):], strict=False):
        text = format_value(unit, bound) if start is None or start == bound else \
            f"{format_value(unit, start)} to {format_value(unit, bound)}"
        items.append(f"<li>{_swatch(colour)}{escape(text)}</li>")
        start = bound
    if has_missing:
        items.append(f"<li>{_swatch(f'url(#{map_id}-hatch)')}no figure published (each area's name says why)</li>")
    return f'<ul class="map-legend" aria-label="Map key">{"".join(items)}</ul>'


def _swatch(fill: str) -> str:
    return (f'<svg class="swatch" width="20" height="20" aria-hidden="true" focusable="false">'
            f'<rect x="0.5" y="0.5" width="19" height="19" fill="{fill}" stroke="{marks.GREY}"/></svg>')


def locator(features: dict[str, dict[str, Any]], highlight: str, *, title: str, map_id: str) -> Markup | None:
    """Where one area lies: every area of `features` in pale grey, `highlight` shaded dark with a thick
    outline (a locator map, not a choropleth); None when there are no boundaries or no `highlight`."""
    if highlight not in features:
        return None
    points = [pt for f in features.values() for ring in _rings(f["geometry"]) for pt in ring]
    lon0, lon1 = min(p[0] for p in points), max(p[0] for p in points)
    lat0, lat1 = min(p[1] for p in points), max(p[1] for p in points)
    squeeze = math.cos(math.radians((lat0 + lat1) / 2))
    scale = WIDTH / max((lon1 - lon0) * squeeze, 1e-9)
    height = (lat1 - lat0) * scale

    def path(geometry: dict[str, Any]) -> str:
        return "".join("M" + " ".join(f"{(x - lon0) * squeeze * scale:.1f},{(lat1 - y) * scale:.1f}"
                                      for x, y in ring[:-1]) + "Z" for ring in _rings(geometry))

    shapes = []
    for code, feature in sorted(features.items(), key=lambda item: item[0] == highlight):
        chosen = code == highlight
        style = (f'fill="{SHADES[-1]}" stroke="{marks.INK}" stroke-width="4"' if chosen
                 else f'fill="{SHADES[0]}" stroke="#ffffff" stroke-width="1"')
        shapes.append(f'<path d="{path(feature["geometry"])}" {style}/>')
    svg = (f'<svg class="map map-locator" viewBox="-4 -4 {WIDTH + 8} {height + 8:.0f}" role="img" '
           f'aria-labelledby="{map_id}-title" xmlns="http://www.w3.org/2000/svg">'
           f'<title id="{map_id}-title">{escape(title)}</title>' + "".join(shapes) + "</svg>")
    return Markup(svg)
