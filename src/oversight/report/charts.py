"""The report's charts: SPC charts of monthly series, series with 95% intervals, and bars by group.

Each chart is drawn from rows of the measures table as they are (the drawing never computes a
figure) and comes with alt text written from the same rows, a short caption, and the data as a
table for the HTML report. Charts are SVG; see svg.py for why.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from oversight.measures.catalogue import Measure
from oversight.present import marks
from oversight.present.labels import is_missing, long_label, point_label, sentence_case
from oversight.present.series import extremes, runs, spc_counts
from oversight.present.words import SPC_WORDS, format_interval, format_value, label_text, value_text
from oversight.report import svg

SIGNALS = {  # variation: (marker shape, colour, legend words)
    k: (marks.SPC_MARKS[k].shape, marks.SPC_MARKS[k].colour, marks.SPC_MARKS[k].legend) for k in marks.SPECIAL_CAUSES}
WIDTH = 660


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str
    alt: str
    caption: str
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = field(default=())

    @property
    def src(self) -> str:
        """The SVG as a data URI, so the HTML report is one self-contained file."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode("utf-8")).decode("ascii")


def _values(rows: list[dict[str, Any]], *columns: str) -> list[float]:
    return [float(r[c]) for r in rows for c in columns if not is_missing(r.get(c))]


def _y_scale(values: list[float], top: float, bottom: float, unit: str, zero: bool = False):  # type: ignore[no-untyped-def]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if zero:
        low, high = min(low, 0.0), max(high, 0.0)
    ticks = svg.nice_ticks(low, high)
    lo, hi = ticks[0], ticks[-1]
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0

    def y(value: float) -> float:
        return bottom - (value - lo) / (hi - lo or 1.0) * (bottom - top)

    return y, ticks, [svg.tick_text(unit, t, step) for t in ticks]


def time_chart(
    measure: Measure,
    points: list[dict[str, Any]],
    *,
    highlight: set[dt.date],
    highlight_label: str,
    spc: bool,
    every: str,
    area_name: str,
    ratio_line: bool = False,
) -> Chart:
    """A line over a regular run of periods (missing ones as gaps), with SPC mean and limits
    (`spc`) or 95% intervals, and the report's quarter shaded."""
    unit = measure.unit
    n = len(points)
    values = _values(points, "value") + (_values(points, "spc_lower", "spc_upper") if spc else
                                         _values(points, "interval_low", "interval_high"))
    if ratio_line:
        values.append(1.0)
    top = 22.0
    bottom = top + (180.0 if spc else 150.0)
    y, ticks, labels = _y_scale(values, top, bottom, unit)
    left = 14 + max(svg.text_width(t, 11) for t in labels)
    right = WIDTH - 14
    slot = (right - left) / max(n, 1)
    flagged = [p for p in points if spc and not is_missing(p.get("value")) and p.get("spc_variation") in SIGNALS]
    legend = _time_legend(points, spc=spc, every=every, ratio_line=ratio_line, flagged=flagged)
    height = bottom + 30 + svg.legend_height(legend, left, right)

    def x(i: float) -> float:
        return left + (i + 0.5) * slot

    canvas = svg.Canvas(WIDTH, height)
    chosen = [i for i, p in enumerate(points) if p["period_end"] in highlight]
    if chosen:
        canvas.rect(x(chosen[0]) - slot / 2, top, slot * len(chosen), bottom - top, svg.SHADE)
        centre, half = (x(chosen[0]) + x(chosen[-1])) / 2, svg.text_width(highlight_label, 10.5) / 2
        if centre + half > WIDTH - 4:  # keep the label on the canvas when the quarter is the last point
            canvas.text(WIDTH - 4, top - 6, highlight_label, 10.5, "end", svg.GREY)
        else:
            canvas.text(centre, top - 6, highlight_label, 10.5, "middle", svg.GREY)
    for tick, label in zip(ticks, labels, strict=True):
        canvas.line(left, y(tick), right, y(tick), marks.GRID)
        canvas.text(left - 6, y(tick) + 4, label, 11, "end", svg.GREY)
    canvas.line(left, bottom, right, bottom, svg.GREY)
    step = max(1, math.ceil(n / 7))
    for i in range(n - 1, -1, -step):
        canvas.line(x(i), bottom, x(i), bottom + 4, svg.GREY)
        canvas.text(x(i), bottom + 16, point_label(points[i]), 10.5, "middle", svg.GREY)
    if spc:
        for column, dash in (("spc_mean", "6 3"), ("spc_upper", "2 2"), ("spc_lower", "2 2")):
            canvas.path(_steps(points, column, x, y, slot), svg.GREY, 1.3, dash)
    else:
        canvas.path(_band(points, x, y), "none", fill=svg.BLUE, opacity=0.18)
    if ratio_line:
        canvas.line(left, y(1.0), right, y(1.0), svg.INK, 1.2, "6 3")
    for run in runs(points, "value"):
        canvas.path("M" + " L".join(f"{x(i):.1f},{y(points[i]['value']):.1f}" for i in run), svg.BLUE, 2.2)
    for i, p in enumerate(points):
        if is_missing(p.get("value")):
            continue
        if p in flagged:
            shape, colour, _ = SIGNALS[p["spc_variation"]]
            canvas.marker(shape, x(i), y(p["value"]), colour, 5)
        elif p.get("quality_flags"):
            canvas.marker("circle", x(i), y(p["value"]), svg.GREY, 3.2 if n > 24 else 4)
        else:
            canvas.marker("circle", x(i), y(p["value"]), svg.BLUE, 3.2 if n > 24 else 4)
    canvas.legend(legend, bottom + 38, left, right)
    what = f"{measure.title}, {every}, {area_name}"
    return Chart(
        title=what,
        svg=canvas.svg(what),
        alt=_series_alt(measure, points, spc=spc, every=every, area_name=area_name, highlight=highlight),
        caption=f"{measure.title}: {every}, {long_label(points[0])} to {long_label(points[-1])}"
                + (" (SPC chart: mean and process limits)" if spc else " (shaded: 95% interval)"),
        columns=("Period", "Figure", "95% interval") + (("Mean", "Process limits", "SPC") if spc else ()),
        rows=tuple(_series_row(measure, p, spc) for p in points),
    )


def _time_legend(points: list[dict[str, Any]], *, spc: bool, every: str, ratio_line: bool,
                 flagged: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    legend = [("line", svg.BLUE, "Figure, " + every)]
    if spc and _values(points, "spc_mean"):
        legend += [("dash", svg.GREY, marks.LEGEND_WORDS["mean"]), ("dot", svg.GREY, marks.LEGEND_WORDS["limits"])]
    if not spc and _values(points, "interval_low"):
        legend.append(("band", marks.INTERVAL, marks.LEGEND_WORDS["interval"]))
    if ratio_line:
        legend.append(("dash", svg.INK, marks.LEGEND_WORDS["one"]))
    seen = {p["spc_variation"] for p in flagged}
    return legend + [SIGNALS[k] for k in SIGNALS if k in seen]


def _series_row(measure: Measure, p: dict[str, Any], spc: bool) -> tuple[str, ...]:
    cells = [long_label(p), value_text(measure.unit, p),
             format_interval(measure.unit, p.get("interval_low"), p.get("interval_high"))]
    if spc:
        cells += [
            "" if is_missing(p.get("spc_mean")) else format_value(measure.unit, p["spc_mean"]),
            format_interval(measure.unit, p.get("spc_lower"), p.get("spc_upper")),
            SPC_WORDS.get(p.get("spc_variation") or "", ""),
        ]
    return tuple(cells)


def _steps(points, column, x, y, slot) -> str:  # type: ignore[no-untyped-def]
    """Horizontal steps, one per point, so limits that restart at a series break show the break."""
    parts = []
    for run in runs(points, column):
        for j, i in enumerate(run):
            level = y(points[i][column])
            parts.append(f"{'M' if j == 0 else 'L'}{x(i) - slot / 2:.1f},{level:.1f} H{x(i) + slot / 2:.1f}")
    return " ".join(parts)


def _band(points, x, y) -> str:  # type: ignore[no-untyped-def]
    shapes = []
    for run in runs(points, "interval_low", "interval_high"):
        upper = [f"{x(i):.1f},{y(points[i]['interval_high']):.1f}" for i in run]
        lower = [f"{x(i):.1f},{y(points[i]['interval_low']):.1f}" for i in reversed(run)]
        shapes.append("M" + " L".join(upper + lower) + " Z")
    return " ".join(shapes)


def _series_alt(measure: Measure, points: list[dict[str, Any]], *, spc: bool, every: str, area_name: str,
                highlight: set[dt.date]) -> str:
    unit = measure.unit
    everything = [p for p in points if not is_missing(p.get("value"))]
    shown = [p for p in everything if not p.get("quality_flags")]
    kind = "SPC chart" if spc else "Line chart"
    parts = [f"{kind} of {measure.title}, {area_name}, {every}, {long_label(points[0])} to {long_label(points[-1])}"
             + (", with the process mean and limits" if spc else ", with 95% intervals") + "."]
    gaps = len(points) - len(everything)
    if gaps:
        parts.append(f"{gaps} of {len(points)} periods have no published figure.")
    if len(everything) > len(shown):
        parts.append(f"{len(everything) - len(shown)} of {len(points)} are flagged for quality (grey, not joined "
                     "to the line): see the table.")
    low_high = extremes(unit, [{**p, "when": long_label(p)} for p in shown], "when", over_time=True)
    if low_high:
        parts.append(sentence_case(low_high) + ".")
    if spc:
        reading = spc_counts(shown)
        parts.append(sentence_case(reading) + "." if reading else "The series is too short for process limits.")
    marked = [p for p in points if p["period_end"] in highlight]
    if marked:
        parts.append("Shaded: " + "; ".join(f"{long_label(p)} {value_text(unit, p)}" for p in marked) + ".")
    return " ".join(parts)


def bar_chart(measure: Measure, bars: list[dict[str, Any]], *, what: str, period: str,
              reference_line: float | None = None, reference_words: str = "", band: float | None = None) -> Chart:
    """Horizontal bars, one per group or area (`label`), with 95% interval whiskers; suppressed
    figures are named, not drawn."""
    unit = measure.unit
    size = 11.0
    label_width = 12 + max(svg.text_width(b["label"], size) for b in bars)
    value_width = 12 + max(svg.text_width(label_text(unit, b), size) for b in bars)
    left, right = label_width, WIDTH - value_width
    row, top = 26.0, 8.0
    bottom = top + row * len(bars)
    whiskers = any(not is_missing(b.get("value")) and not is_missing(b.get("interval_low")) for b in bars)
    legend: list[tuple[str, str, str]] = [("band", svg.BLUE, "Figure (bar)")]
    if band:
        legend.append(("band", marks.BAND, f"Band of ±{band:g} points"))
    if whiskers:
        legend.append(("line", svg.INK, "95% interval (whisker)"))
    if reference_line is not None:
        legend.append(("dash", svg.INK, reference_words))
    height = bottom + 30 + svg.legend_height(legend, left, WIDTH - 14)
    extent = _values(bars, "value", "interval_low", "interval_high") + ([reference_line] if reference_line else [])
    if band:
        extent += [-band, band]
    ticks = svg.nice_ticks(min(extent + [0.0]), max(extent + [0.0]))
    lo, hi = ticks[0], ticks[-1]
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0

    def x(value: float) -> float:
        return left + (value - lo) / (hi - lo or 1.0) * (right - left)

    canvas = svg.Canvas(WIDTH, height)
    if band:
        canvas.rect(x(-band), top, x(band) - x(-band), bottom - top, marks.BAND)
    for tick in ticks:
        canvas.line(x(tick), top, x(tick), bottom, marks.GRID)
        canvas.text(x(tick), bottom + 15, svg.tick_text(unit, tick, step), 10.5, "middle", svg.GREY)
    canvas.line(x(0.0) if lo <= 0 <= hi else left, top, x(0.0) if lo <= 0 <= hi else left, bottom, svg.GREY)
    for i, b in enumerate(bars):
        middle = top + row * i + row / 2
        canvas.text(left - 8, middle + 4, b["label"], size, "end")
        if not is_missing(b.get("value")):
            start, end = sorted((x(max(lo, 0.0) if lo <= 0 else lo), x(b["value"])))
            canvas.rect(start, middle - 8, end - start, 16, svg.BLUE)
            if not is_missing(b.get("interval_low")) and not is_missing(b.get("interval_high")):
                x1, x2 = x(b["interval_low"]), x(b["interval_high"])
                canvas.line(x1, middle, x2, middle, svg.INK, 1.3)
                canvas.line(x1, middle - 5, x1, middle + 5, svg.INK, 1.3)
                canvas.line(x2, middle - 5, x2, middle + 5, svg.INK, 1.3)
        canvas.text(right + 8, middle + 4, label_text(unit, b), size, "start",
                    svg.INK if not is_missing(b.get("value")) else svg.GREY)
    if reference_line is not None:
        canvas.line(x(reference_line), top - 4, x(reference_line), bottom, svg.INK, 1.3, "6 3")
    canvas.legend(legend, bottom + 38, left, WIDTH - 14)
    title = f"{measure.title} by {what}, {period}"
    return Chart(
        title=title,
        svg=canvas.svg(title),
        alt=_bar_alt(measure, bars, what, period, reference_words),
        caption=title,
        columns=(what[:1].upper() + what[1:], "Figure", "95% interval"),
        rows=tuple((b["label"], value_text(unit, b),
                    format_interval(unit, b.get("interval_low"), b.get("interval_high"))) for b in bars),
    )


def _bar_alt(measure: Measure, bars: list[dict[str, Any]], what: str, period: str, reference_words: str) -> str:
    unit = measure.unit
    shown = [b for b in bars if not is_missing(b.get("value"))]
    parts = [f"Bar chart of {measure.title} by {what}, {period}, with 95% intervals."]
    low_high = extremes(unit, shown, "label", over_time=False)  # never a flagged figure
    if low_high:
        parts.append(sentence_case(low_high) + ".")
    hidden = [b["label"] for b in bars if is_missing(b.get("value"))]
    if hidden:
        parts.append(f"Not published: {', '.join(hidden)}.")
    if reference_words:
        parts.append(f"Dashed line: {reference_words}.")
    return " ".join(parts)
