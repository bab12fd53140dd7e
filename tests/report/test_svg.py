"""Scales and ticks for the report's SVG charts."""

from __future__ import annotations

import pytest

from oversight.report.svg import (
    Canvas,
    legend_height,
    legend_layout,
    nice_ticks,
    tick_text,
)


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [(0, 10, [0, 2.5, 5, 7.5, 10]), (13.4, 86.9, [0, 20, 40, 60, 80, 100]), (0.57, 0.71, [0.55, 0.6, 0.65, 0.7, 0.75]),
     (-3.2, 2.1, [-4, -2, 0, 2, 4]), (5, 5, [4.5, 4.75, 5, 5.25, 5.5])],
)
def test_ticks_are_round_and_cover_the_values(low, high, ticks):
    assert nice_ticks(low, high) == pytest.approx(ticks)


def test_tick_labels_follow_the_unit():
    assert tick_text("survey_proportion", 0.65, 0.05) == "65%"
    assert tick_text("count", 60000, 10000) == "60,000"
    assert tick_text("percentage_points", 5, 5) == "+5"
    assert tick_text("percentage_points", 0, 5) == "0"
    assert tick_text("ratio", 2.5, 0.5) == "2.5"


def test_legend_wraps_when_a_row_is_full():
    items = [("line", "#000", "A fairly long legend entry"), ("dash", "#000", "Another long legend entry"),
             ("dot", "#000", "And a third one that will not fit")]
    placed = legend_layout(items, 0, 450)
    assert [row for _, row in placed] == [0, 0, 1]
    assert legend_height(items, 0, 450) == 2 * legend_height(items[:1], 0, 450)


def test_text_is_escaped_and_the_title_is_kept():
    canvas = Canvas(100, 50)
    canvas.text(0, 10, "Asian & <Other>")
    svg = canvas.svg("Title & more")
    assert "Asian &amp; &lt;Other&gt;" in svg and "<title>Title &amp; more</title>" in svg
