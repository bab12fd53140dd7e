"""Plotly figure specs (plain dicts) drawn from panel rows. Drawing never changes a number.

Every mark that carries meaning has a shape and a legend text as well as a colour: signals are
triangles, diamonds or squares named in the legend, the target is a dashed line named as a
reference, the band a shaded region named with its width. The browser draws the spec with
plotly.js's basic bundle (static/plotly.min.js, web/assets.py; static/site.js); the page's table
and text summary say the same without it.
"""

from __future__ import annotations

from typing import Any, Final

from oversight.measures.catalogue import Measure
from oversight.measures.national import NationalComparison
from oversight.present import marks
from oversight.present.comparator import mean_text, share_text
from oversight.present.labels import is_missing, sentence_case
from oversight.present.series import runs
from oversight.present.words import format_interval, format_value, interval_text, label_text, quality_phrase, value_text
from oversight.stats.funnel import LIMITS

FONT: Final = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
INK, BLUE, GREY = marks.INK, marks.BLUE, marks.GREY
PLOTLY_SYMBOLS: Final = {"triangle": "triangle-up", "diamond": "diamond", "square": "square"}
CONFIG: Final = {"displayModeBar": False, "responsive": True, "scrollZoom": False}
KEY_ITEMS: Final = {
    # what the key says for each kind of mark: (sample text, css class, words)
    "value": ("━", "key-value", None),
    "interval": ("▬", "key-interval", f"{marks.LEGEND_WORDS['interval']} (shaded band)"),
    "mean": ("– –", "key-grey", f"{marks.LEGEND_WORDS['mean']} (dashed line)"),
    "limits": ("···", "key-grey", f"{marks.LEGEND_WORDS['limits']} (dotted lines)"),
    **{k: (marks.SPC_MARKS[k].glyph, f"key-{marks.SPC_MARKS[k].css.removeprefix('spc-')}", marks.SPC_MARKS[k].legend)
       for k in marks.SPECIAL_CAUSES},
    "target": ("— —", "key-ink", f"{marks.LEGEND_WORDS['target']} (long dashes)"),
    "band": ("▬", "key-band", "Band (shaded)"),
    "one": ("- -", "key-ink", f"{marks.LEGEND_WORDS['one']} (dashed line)"),
    "selected": ("┊", "key-ink", "Period chosen (dotted vertical line)"),
    "flagged": ("○", "key-grey", f"{marks.LEGEND_WORDS['flagged']} (hollow circle; see the table)"),
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
        "yaxis": {"gridcolor": marks.GRID, "zeroline": False, "automargin": True, **_axis_format(unit)},
    }


def _hover(measure: Measure, row: dict[str, Any], label: str) -> str:
    text = f"{label}: {value_text(measure.unit, row)}"
    interval = interval_text(measure.unit, row)
    return text + (f"<br>95% interval {interval}" if interval else "")


def _broken(rows: list[dict[str, Any]], column: str, ys: list[Any] | None = None) -> tuple[list[Any], list[Any]]:
    """x and y of one line with a None between its runs (`series.runs`: split at missing periods
    and, for a figure, at a flagged one), so that Plotly never draws a line across a gap as if
    the figures in between were known. `ys` are what to put at each point (default the column)."""
    out_x: list[Any] = []
    out_y: list[Any] = []
    for run in runs(rows, column):
        if out_x:
            out_x.append(None)
            out_y.append(None)
        out_x += [rows[i]["period_end"] for i in run]
        out_y += [rows[i][column] if ys is None else ys[i] for i in run]
    return out_x, out_y


def _interval_band(rows: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    """The 95% interval as closed polygons, one per run of periods that have one (a fill
    between two lines would bridge a missing period with a false band)."""
    xs: list[Any] = []
    ys: list[Any] = []
    for run in runs(rows, "interval_low", "interval_high"):
        if xs:
            xs.append(None)
            ys.append(None)
        xs += [rows[i]["period_end"] for i in run] + [rows[i]["period_end"] for i in reversed(run)]
        ys += [rows[i]["interval_high"] for i in run] + [rows[i]["interval_low"] for i in reversed(run)]
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

    def line(column: str) -> tuple[list[Any], list[Any]]:
        return _broken(rows, column)

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
                         "line": {"color": GREY, "width": 1.5, "dash": "dot", "shape": "hv"},
                         "name": name or "Process limits",
                         "showlegend": show, "legendgroup": "limits", "hoverinfo": "skip"})
    data.append({"type": "scatter", "x": line_x, "y": line_y, "mode": "lines+markers", "name": label or measure.title,
                 "line": {"color": BLUE, "width": 2.5}, "marker": {"size": 5, "color": BLUE}, "connectgaps": False,
                 "text": _broken(rows, "value", [_hover(measure, r, r["period"]) for r in rows])[1],
                 "hoverinfo": "text"})
    flagged_rows = [r for r in rows if r.get("quality_flags") and not is_missing(r.get("value"))]
    if flagged_rows:
        key.append(_key("flagged"))
        data.append({"type": "scatter", "x": [r["period_end"] for r in flagged_rows],
                     "y": [r["value"] for r in flagged_rows], "mode": "markers", "name": "Flagged for quality",
                     "marker": {"symbol": "circle-open", "size": 9, "color": GREY, "line": {"width": 2}},
                     "text": [_hover(measure, r, r["period"]) + f"<br>{sentence_case(quality_phrase(r))}"
                              for r in flagged_rows], "hoverinfo": "text"})
    for variation in marks.SPECIAL_CAUSES:
        mark = marks.SPC_MARKS[variation]
        flagged = [r for r in rows if r.get("spc_variation") == variation and not is_missing(r.get("value"))]
        if flagged:
            key.append(_key(variation))
            data.append({"type": "scatter", "x": [r["period_end"] for r in flagged], "y": [r["value"] for r in flagged],
                         "mode": "markers", "name": mark.legend,
                         "marker": {"symbol": PLOTLY_SYMBOLS[mark.shape], "size": 10, "color": mark.colour,
                                    "line": {"color": INK, "width": 1}},
                         "text": [_hover(measure, r, r["period"]) + f"<br>{mark.label}" for r in flagged],
                         "hoverinfo": "text"})
    layout = _layout(measure.unit)
    # Periods are dates: said outright, since a series whose every figure is hidden or flagged draws
    # no line for Plotly to infer the axis from, and a date-placed mark would then land at NaN.
    layout["xaxis"]["type"] = "date"
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
    labels = [f"{r[label_key]}: {label_text(measure.unit, r)}" for r in shown]
    values = [r.get("value") for r in shown]
    plus = [None if is_missing(r.get("interval_high")) or is_missing(r.get("value"))
            else r["interval_high"] - r["value"] for r in shown]
    minus = [None if is_missing(r.get("interval_low")) or is_missing(r.get("value"))
             else r["value"] - r["interval_low"] for r in shown]
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
    layout["xaxis"] = {"title": {"text": x_title}, "gridcolor": marks.GRID, "zeroline": True, "automargin": True,
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


def funnel_figure(c: NationalComparison, home: str | None = None) -> dict[str, Any]:
    """Each compared force at (precision, ratio) on a log scale, with the England and Wales ratio and
    the funnel's 95% and 99.8% limits; the home force and the forces like it marked by shape too."""
    curve = c.funnel_curve()
    data: list[dict[str, Any]] = []
    key = [_key("one", f"England and Wales, {format_value('ratio', c.reference_ratio)} (dashed line)")]
    for level, dash, words in ((LIMITS[0], "dot", "95% limits (dotted)"), (LIMITS[1], "dash", "99.8% limits (dashed)")):
        part = curve[curve["level"] == level]
        xs = [*part["precision"], None, *part["precision"]]
        ys = [*part["high"], None, *part["low"]]
        data.append({"type": "scatter", "x": xs, "y": ys, "mode": "lines", "hoverinfo": "skip", "name": words,
                     "line": {"color": GREY, "width": 1.5, "dash": dash}})
        key.append({"sample": "···" if dash == "dot" else "- -", "class": "key-grey", "text": words})
    if len(curve):
        ends = [float(curve["precision"].min()), float(curve["precision"].max())]
        data.append({"type": "scatter", "x": ends, "y": [c.reference_ratio] * 2, "mode": "lines", "hoverinfo": "skip",
                     "name": "England and Wales", "line": {"color": INK, "width": 1.5, "dash": "longdash"}})
    home_force = c.force(home) if home else None
    alike = set(home_force.similar) if home_force else set()
    marks_by = (("Other forces", lambda f: f.force != home and f.force not in alike, "circle", GREY, 8),
                ("Forces like " + (home_force.name if home_force else "yours"), lambda f: f.force in alike,
                 "diamond", BLUE, 10),
                (home_force.name if home_force else "", lambda f: f.force == home, "square", INK, 12))
    for name, chosen, symbol, colour, size in marks_by:
        forces = [f for f in c.compared if chosen(f)]
        if not forces:
            continue
        data.append({
            "type": "scatter", "mode": "markers", "name": name,
            "x": [f.precision for f in forces], "y": [f.ratio for f in forces],
            "marker": {"symbol": symbol, "size": size, "color": colour, "line": {"color": "#ffffff", "width": 1}},
            "text": [f"{f.name}: {format_value('ratio', f.ratio)}<br>95% interval "
                     f"{format_interval('ratio', f.low, f.high)}" for f in forces],
            "hoverinfo": "text",
        })
        glyph = {"circle": "●", "diamond": "◆", "square": "■"}[symbol]
        key.append({"sample": glyph, "class": "key-ink" if colour == INK else "key-value", "text": name})
    layout = _layout("ratio", height=460)
    ticks = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000]
    layout["xaxis"] |= {"type": "log", "tickvals": ticks, "ticktext": [f"{t:,g}" for t in ticks],
                        "title": {"text": "Weight of evidence: searches behind the ratio (log scale)"}}
    layout["yaxis"] |= {"type": "log", "tickvals": ticks, "ticktext": [f"{t:g}" for t in ticks],
                        "title": {"text": "Rate ratio (log scale)"}}
    return {"data": data, "layout": layout, "config": CONFIG, "key": key}


def peer_dots_figure(rows: list[dict[str, Any]], figures: Any, code: str, name: str) -> dict[str, Any]:
    """A dot plot per question, one row each (in the order of `rows`): a grey dot for every
    neighbourhood of the group, the chosen one larger in blue with its 95% interval, the group
    mean as a black bar and the London average as a hollow diamond. `figures` has one row per
    neighbourhood and question (`measures.comparator.group_figures`)."""
    titles = [r["title"] for r in rows]
    shown = list(reversed(titles))  # Plotly draws the first category at the bottom
    peers = figures[figures["neighbourhood_code"] != code]
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "markers", "name": "Neighbourhoods of the group", "x": list(peers["value"]),
         "y": list(peers["title"]), "marker": {"color": GREY, "size": 9, "opacity": 0.75, "symbol": "circle"},
         "text": [f"{n} ({b}): {share_text(v)}" for n, b, v in
                  zip(peers["neighbourhood"], peers["borough_name"], peers["value"], strict=True)],
         "hoverinfo": "text"},
        {"type": "scatter", "mode": "markers", "name": "Group mean", "x": [r["group_mean"] for r in rows],
         "y": titles, "marker": {"color": INK, "size": 20, "symbol": "line-ns", "line": {"width": 3, "color": INK}},
         "text": [f"Group mean: {mean_text(r['group_mean'])}" for r in rows], "hoverinfo": "text"},
        {"type": "scatter", "mode": "markers", "name": "London average", "x": [r["london_mean"] for r in rows],
         "y": titles, "marker": {"color": INK, "size": 11, "symbol": "diamond-open", "line": {"width": 2}},
         "text": [f"London average: {mean_text(r['london_mean'])}" for r in rows], "hoverinfo": "text"},
        {"type": "scatter", "mode": "markers", "name": name, "x": [r["value"] for r in rows], "y": titles,
         "marker": {"color": BLUE, "size": 14, "line": {"color": INK, "width": 1}},
         "error_x": {"type": "data", "symmetric": False, "array": [r["interval_high"] - r["value"] for r in rows],
                     "arrayminus": [r["value"] - r["interval_low"] for r in rows], "color": BLUE, "thickness": 2,
                     "width": 5},
         "text": [f"{name}: {r['value_text']} (95% interval {r['interval_text']})" for r in rows],
         "hoverinfo": "text"},
    ]
    layout = _layout("proportion", height=42 * len(rows) + 80)
    layout["yaxis"] = {"automargin": True, "ticks": "", "showgrid": True, "gridcolor": marks.GRID,
                       "categoryorder": "array", "categoryarray": shown, "type": "category"}
    layout["xaxis"] = {"title": {"text": "Share of respondents"}, "gridcolor": marks.GRID, "zeroline": False,
                       "automargin": True, "tickformat": ".0%"}
    key = [
        {"sample": "●", "class": "key-value", "text": f"{name} (large blue dot; the whiskers are its 95% interval)"},
        {"sample": "●", "class": "key-grey", "text": "Each other neighbourhood of the group (grey dot)"},
        {"sample": "┃", "class": "key-ink", "text": "Group mean (black bar)"},
        {"sample": "◇", "class": "key-ink", "text": "London average of all neighbourhoods (hollow diamond)"},
    ]
    return {"data": data, "layout": layout, "config": CONFIG, "key": key}


def correlation_figure(drivers: list[dict[str, Any]]) -> dict[str, Any]:
    """Spearman's correlation of each question with overall confidence across neighbourhoods, a dot
    with its 95% interval per question, strongest first, with a line at 0 (no relation)."""
    shown = list(reversed(drivers))
    usable = [r for r in shown if r["spearman"] is not None]
    data = [{
        "type": "scatter", "mode": "markers", "name": "Spearman correlation", "x": [r["spearman"] for r in usable],
        "y": [r["title"] for r in usable], "marker": {"color": BLUE, "size": 11, "line": {"color": INK, "width": 1}},
        "error_x": {"type": "data", "symmetric": False, "array": [r["spearman_high"] - r["spearman"] for r in usable],
                    "arrayminus": [r["spearman"] - r["spearman_low"] for r in usable], "color": INK,
                    "thickness": 1.5, "width": 4},
        "text": [f"{r['title']}: {r['spearman_text']}" for r in usable], "hoverinfo": "text",
    }]
    layout = _layout("", height=36 * len(usable) + 90)
    layout["yaxis"] = {"automargin": True, "ticks": "", "showgrid": True, "gridcolor": marks.GRID, "type": "category"}
    layout["xaxis"] = {"title": {"text": "Correlation with overall confidence (Spearman)"}, "range": [-1, 1],
                       "gridcolor": marks.GRID, "zeroline": False, "automargin": True, "dtick": 0.25}
    layout["shapes"] = [{"type": "line", "xref": "x", "yref": "paper", "x0": 0, "x1": 0, "y0": 0, "y1": 1,
                         "line": {"color": INK, "width": 1.5, "dash": "dash"}}]
    key = [{"sample": "●", "class": "key-value", "text": "Spearman correlation (dot)"},
           {"sample": "├┤", "class": "key-ink", "text": "95% interval (whiskers)"},
           {"sample": "- -", "class": "key-ink", "text": "No relation (dashed line at 0)"}]
    return {"data": data, "layout": layout, "config": CONFIG, "key": key}
