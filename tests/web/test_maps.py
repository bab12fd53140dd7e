"""The SVG choropleth: classes of equal counts, hatching for missing figures, the selected area
outlined, and every area named with its figure."""

from __future__ import annotations

from oversight.web.maps import SHADES, choropleth, class_breaks, locator


def _square(x: float, y: float) -> dict:
    ring = [[x, y], [x + 0.1, y], [x + 0.1, y + 0.1], [x, y + 0.1], [x, y]]
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": {}}


FEATURES = {"A": _square(0.0, 51.5), "B": _square(0.1, 51.5), "C": _square(0.2, 51.5)}


def _row(code: str, value: float | None) -> dict:
    return {"area_code": code, "area_name": f"Area {code}", "value": value}


# outputs -----------------------------------------------------------------------------------


def test_class_breaks_hold_about_equal_numbers() -> None:
    assert class_breaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == [2, 4, 6, 8, 10]
    assert class_breaks([5, 5, 5]) == [5]
    assert class_breaks([]) == []


def test_every_area_is_named_with_its_figure_and_missing_ones_are_hatched() -> None:
    hidden = {**_row("C", None), "suppressed": True, "suppression_reason": "fewer than 10 records"}
    svg = str(choropleth(FEATURES, [_row("A", 10.0), _row("B", 20.0), hidden], unit="count",
                         title="Test map", map_id="m", highlight="B"))
    assert "<title>Area A: 10</title>" in svg and "<title>Area C: not published (fewer than 10 records)</title>" in svg
    assert 'fill="url(#m-hatch)"' in svg and "no figure published (each area's name says why)" in svg
    assert svg.count('stroke-width="4"') == 1  # the selected area only
    assert 'role="img"' in svg and 'aria-labelledby="m-title"' in svg
    assert any(shade in svg for shade in SHADES)


def test_no_map_without_boundaries_for_the_areas() -> None:
    assert choropleth({}, [_row("A", 1.0)], unit="count", title="t", map_id="m") is None
    assert choropleth(FEATURES, [_row("Z", 1.0)], unit="count", title="t", map_id="m") is None


def test_a_locator_map_outlines_one_area_among_the_rest() -> None:
    svg = str(locator(FEATURES, "B", title="Where B is", map_id="loc"))
    assert svg.count("<path") == 3 and svg.count('stroke-width="4"') == 1
    assert svg.rindex(f'fill="{SHADES[-1]}"') > svg.rindex(f'fill="{SHADES[0]}"')  # drawn last, on top
    assert '<title id="loc-title">Where B is</title>' in svg and 'role="img"' in svg
    assert locator(FEATURES, "Z", title="x", map_id="z") is None
    assert locator({}, "B", title="x", map_id="z") is None
