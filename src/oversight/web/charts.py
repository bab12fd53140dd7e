"""Plotly figure specs (plain dicts) drawn from panel rows. Drawing never changes a number.

Every mark that carries meaning has a shape and a legend text as well as a colour: signals are
triangles, diamonds or squares named in the legend, the target is a dashed line named as a
reference, the band a shaded region named with its width. The browser draws the spec with the
plotly.js bundled in the Python plotly package (static/site.js); the page's table and text
summary say the same without it.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from typing import Any, Final

from oversight.measures.catalogue import Measure
from oversight.measures.describe import quality_phrase
from oversight.web.words import SPC_BADGES, interval_text, is_missing, sentence_case, value_text

FONT: Final = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
INK: Final = "#0b0c0c"
BLUE: Final = "#1d70b8"
GREY: Final = "#505a5f"
SIGNAL_MARKERS: Final = {
    "special_cause_concern": ("triangle-up", "#d4351c"),
    "special_cause_improvement": ("diamond", "#1d70b8"),
    "special_cause_neutral": ("square", "#6f2c91"),
}
CONFIG: Final = {"displayModeBar": False, "responsive": True, "scrollZoom": False}
KEY_ITEMS: Final = {
    # what the key says for each kind of mark: (sample text, css class, words)
    "value": ("━", "key-value", None),
    "interval": ("▬", "key-interval", "95% interval (shaded band)"),
    "mean": ("– –", "key-grey", "Mean (dashed line)"),
    "limits": ("···", "key-grey", "Process limits (dotted lines)"),
    "special_cause_concern": ("▲", "key-worse", "Special cause: concern (triangle)"),
    "special_cause_improvement": ("◆", "key-better", "Special cause: improvement (diamond)"),
    "special_cause_neutral": ("■", "key-neutral", "Special cause (square)"),
    "target": ("— —", "key-ink", "Target, for reference only (long dashes)"),
    "band": ("▬", "key-band", "Band (shaded)"),
    "one": ("- -", "key-ink", "1 = the same rate as the reference group (dashed line)"),
    "selected": ("┊", "key-ink", "Period chosen (dotted vertical line)"),
    "flagged": ("○", "key-grey", "Flagged for quality, not joined to the line (hollow circle; see the table)"),
}


def _key(kind: str, words: str | None = None) -> dict[str, str]:
    sample, css, default = KEY_ITEMS[kind]
    return {"sample": sample, "class": css, "text": words or default or ""}


def _axis_format(unit: str) -> dict[str, Any]:
    if unit in ("proportion", "survey_proportion"):
        return {"tickformat": ".0%"}
    if unit == "count":
        return {"tickformat": ",~r", "rangemode": "tozero"}
    return {}


def _layout(unit: str, height: int = 300) -> dict[str, Any]:
    return {
        "font": {"family": FONT, "size": 14, "color": INK},
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "height": height,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "hovermode": "closest",
        "showlegend": False,  # the key is HTML beside the chart (KEY_ITEMS), readable and never clipped
        "xaxis": {"showgrid": False, "linecolor": GREY, "ticks": "outside", "automargin": True},
        "yaxis": {"gridcolor": "#e5e6e7", "zeroline": False, "automargin": True, **_axis_format(unit)},
    }


def _hover(measure: Measure, row: dict[str, Any], label: str) -> str:
    text = f"{label}: {value_text(measure.unit, row.get('value'))}"
    interval = interval_text(measure.unit, row.get("interval_low"), row.get("interval_high"))
    return text + (f"<br>95% interval {interval}" if interval else "")


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _gaps(rows: list[dict[str, Any]]) -> list[bool]:
    """For each row, whether missing periods lie between it and the row before: a step between
    period ends of more than half again the usual step (months, quarters and years alike)."""
    ends = [_date(r["period_end"]) for r in rows]
    steps = [(b - a).days for a, b in pairwise(ends)]
    if not steps:
        return [False] * len(rows)
    usual = sorted(steps)[len(steps) // 2]
    return [False] + [step > 1.5 * usual for step in steps]


def _broken(rows: list[dict[str, Any]], gaps: list[bool], ys: list[Any]) -> tuple[list[Any], list[Any]]:
    """x and y of one line with a None wherever periods are missing (`gaps`, from `_gaps`) and
    where a figure is flagged, so that Plotly does not draw a line across a gap as if the figures
    in between were known."""
    out_x: list[Any] = []
    out_y: list[Any] = []
    for r, y, gap in zip(rows, ys, gaps, strict=True):
        if gap:
            out_x.append(None)
            out_y.append(None)
        out_x.append(r["period_end"])
        out_y.append(None if r.get("quality_flags") else y)
    return out_x, out_y


def _interval_band(rows: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    """The 95% interval as closed polygons, one per run of consecutive periods that have one
    (a fill between two lines would bridge a missing period with a false band)."""
    xs: list[Any] = []
    ys: list[Any] = []
    run: list[dict[str, Any]] = []
    for r, gap in zip([*rows, None], [*_gaps(rows), True], strict=False):
        usable = (r is not None and not r.get("quality_flags") and not is_missing(r.get("interval_low"))
                  and not is_missing(r.get("interval_high")))
        if usable and not gap:
            run.append(r)  # type: ignore[arg-type]
            continue
        if run:
            if xs:
                xs.append(None)
                ys.append(None)
            xs += [p["period_end"] for p in run] + [p["period_end"] for p in reversed(run)]
            ys += [p["interval_high"] for p in run] + [p["interval_low"] for p in reversed(run)]
            run = []
        if usable:
            run.append(r)  # type: ignore[arg-type]
    return xs, ys


def series_figure(
    measure: Measure,
    rows: list[dict[str, Any]],
    *,
    target: dict[str, Any] | None = None,
    selected: str | None = None,
    label: str | None = None,
) -> dict[str, Any]:
    """A line with its 95% interval band, SPC centre line and limits, signals, target and band."""
    x = [r["period_end"] for r in rows]
    gaps = _gaps(rows)

    def line(column: str) -> tuple[list[Any], list[Any]]:
        return _broken(rows, gaps, [r.get(column) for r in rows])

    line_x, line_y = line("value")
    data: list[dict[str, Any]] = []
    key = [_key("value", label or measure.title)]
    band_x, band_y = _interval_band(rows)
    if band_x:
        key.append(_key("interval"))
        data.append({"type": "scatter", "x": band_x, "y": band_y, "mode": "lines", "fill": "toself",
                     "line": {"width": 0}, "fillcolor": "rgba(29,112,184,0.18)", "hoverinfo": "skip",
                     "name": "95% interval"})
    if any(not is_missing(r.get("spc_mean")) for r in rows):
        key += [_key("mean"), _key("limits")]
        mean_x, mean_y = line("spc_mean")
        data.append({"type": "scatter", "x": mean_x, "y": mean_y, "mode": "lines",
                     "line": {"color": GREY, "width": 1.5, "dash": "dash", "shape": "hv"}, "name": "Mean (dashed)",
                     "hoverinfo": "skip"})
        for column, name, show in (("spc_upper", "Process limits (dotted)", True), ("spc_lower", "", False)):
            limit_x, limit_y = line(column)
            data.append({"type": "scatter", "x": limit_x, "y": limit_y, "mode": "lines",
                         "line": {"color": GREY, "width": 1.5, "dash": "dot", "shape": "hv"}, "name": name or "Process limits",
                         "showlegend": show, "legendgroup": "limits", "hoverinfo": "skip"})
    data.append({"type": "scatter", "x": line_x, "y": line_y, "mode": "lines+markers", "name": label or measure.title,
                 "line": {"color": BLUE, "width": 2.5}, "marker": {"size": 5, "color": BLUE}, "connectgaps": False,
                 "text": _broken(rows, gaps, [_hover(measure, r, r["period"]) for r in rows])[1],
                 "hoverinfo": "text"})
    flagged_rows = [r for r in rows if r.get("quality_flags") and not is_missing(r.get("value"))]
    if flagged_rows:
        key.append(_key("flagged"))
        data.append({"type": "scatter", "x": [r["period_end"] for r in flagged_rows],
                     "y": [r["value"] for r in flagged_rows], "mode": "markers", "name": "Flagged for quality",
                     "marker": {"symbol": "circle-open", "size": 9, "color": GREY, "line": {"width": 2}},
                     "text": [_hover(measure, r, r["period"]) + f"<br>{sentence_case(quality_phrase(r))}"
                              for r in flagged_rows], "hoverinfo": "text"})
    for variation, (symbol, colour) in SIGNAL_MARKERS.items():
        flagged = [r for r in rows if r.get("spc_variation") == variation and not is_missing(r.get("value"))]
        if flagged:
            key.append(_key(variation))
            data.append({"type": "scatter", "x": [r["period_end"] for r in flagged], "y": [r["value"] for r in flagged],
                         "mode": "markers", "name": f"{SPC_BADGES[variation][1]} ({symbol.split('-')[0]})",
                         "marker": {"symbol": symbol, "size": 10, "color": colour, "line": {"color": INK, "width": 1}},
                         "text": [_hover(measure, r, r["period"]) + f"<br>{SPC_BADGES[variation][1]}" for r in flagged],
                         "hoverinfo": "text"})
    layout = _layout(measure.unit)
    shapes: list[dict[str, Any]] = []
    if target is not None and x:
        key.append(_key("target"))
        data.append({"type": "scatter", "x": [x[0], x[-1]], "y": [target["level"], target["level"]], "mode": "lines",
                     "line": {"color": INK, "width": 2, "dash": "longdash"}, "hoverinfo": "text",
                     "text": [target["label"]] * 2, "name": "Target, for reference only (long dashes)"})
    if measure.band and x:
        band = measure.band
        key.append(_key("band", f"Band of ±{band:g} points (shaded)"))
        data.append({"type": "scatter", "x": [x[0], x[-1], x[-1], x[0]], "y": [band, band, -band, -band],
                     "fill": "toself", "mode": "lines", "line": {"color": GREY, "width": 1, "dash": "dash"},
                     "fillcolor": "rgba(80,90,95,0.12)", "name": f"Band of ±{band:g} points (shaded)",
                     "hoverinfo": "skip"})
    if measure.unit == "ratio" and x:
        key.append(_key("one"))
        shapes.append(_hline(1.0))
    if selected:
        chosen = [r["period_end"] for r in rows if r["period_key"] == selected]
        if chosen:
            key.append(_key("selected"))
            shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": chosen[0], "x1": chosen[0],
                           "y0": 0, "y1": 1, "line": {"color": INK, "width": 1, "dash": "dot"}})
    layout["shapes"] = shapes
    return {"data": data, "layout": layout, "config": CONFIG, "key": key}


def _hline(level: float) -> dict[str, Any]:
    return {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": level, "y1": level,
            "line": {"color": INK, "width": 1.5, "dash": "dash"}}


def bar_figure(measure: Measure, rows: list[dict[str, Any]], label_key: str, *, x_title: str) -> dict[str, Any]:
    """Horizontal bars with 95% interval whiskers and the value written beside each bar."""
    shown = list(reversed(rows))  # Plotly draws the first category at the bottom
    labels = [f"{r[label_key]}: {value_text(measure.unit, r.get('value'))}" for r in shown]
    values = [r.get("value") for r in shown]
    plus = [None if is_missing(r.get("interval_high")) or is_missing(r.get("value")) else r["interval_high"] - r["value"]
            for r in shown]
    minus = [None if is_missing(r.get("interval_low")) or is_missing(r.get("value")) else r["value"] - r["interval_low"]
             for r in shown]
    bar: dict[str, Any] = {
        "type": "bar", "orientation": "h", "y": labels, "x": values, "name": measure.title,
        "marker": {"color": BLUE}, "hoverinfo": "text", "hovertext": [_hover(measure, r, r[label_key]) for r in shown],
    }
    if any(p is not None for p in plus):
        bar["error_x"] = {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus,
                          "color": INK, "thickness": 1.5, "width": 4}
    layout = _layout(measure.unit, height=max(160, 40 * len(rows) + 70))
    layout["margin"] = {"l": 8, "r": 16, "t": 8, "b": 8}
    layout["yaxis"] = {"automargin": True, "ticks": "", "showgrid": False}
    layout["xaxis"] = {"title": {"text": x_title}, "gridcolor": "#e5e6e7", "zeroline": True, "automargin": True,
                       "zerolinecolor": GREY, **_axis_format(measure.unit)}
    key = [_key("value", f"{measure.title} (bars; each value is written beside its group)")]
    if "error_x" in bar:
        key.append({"sample": "├┤", "class": "key-ink", "text": "95% interval (whiskers)"})
    if measure.unit == "ratio":
        key.append(_key("one"))
    if measure.band:
        key.append(_key("band", f"Band of ±{measure.band:g} points (shaded)"))
    layout["shapes"] = [] if measure.unit != "ratio" else [
        {"type": "line", "xref": "x", "yref": "paper", "x0": 1, "x1": 1, "y0": 0, "y1": 1,
         "line": {"color": INK, "width": 1.5, "dash": "dash"}}]
    if measure.band:
        layout["shapes"].append({"type": "rect", "xref": "x", "yref": "paper", "x0": -measure.band,
                                 "x1": measure.band, "y0": 0, "y1": 1, "fillcolor": "rgba(80,90,95,0.12)",
                                 "line": {"width": 0}, "layer": "below"})
    return {"data": [bar], "layout": layout, "config": CONFIG, "key": key}
