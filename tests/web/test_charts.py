"""Chart specs: drawing only, every mark named in the key, the interval band never bridging a gap."""

from __future__ import annotations

import pandas as pd
import pytest

from oversight.measures.catalogue import load_catalogue
from oversight.web.charts import _interval_band, bar_figure, peer_dots_figure, series_figure

MEASURES = load_catalogue()


def _row(i: int, value: float | None, low: float | None = None, high: float | None = None, **extra) -> dict:
    return {"period": f"2024-{i:02d}", "period_key": f"2024-{i:02d}", "period_end": f"2024-{i:02d}-28",
            "value": value, "interval_low": low, "interval_high": high, **extra}


# outputs -----------------------------------------------------------------------------------


def test_the_interval_band_is_one_polygon_per_run_of_periods() -> None:
    rows = [_row(1, 5, 4, 6), _row(2, 5, 4, 6), _row(3, None), _row(4, 5, 3, 7)]
    xs, ys = _interval_band(rows)
    assert xs == ["2024-01-28", "2024-02-28", "2024-02-28", "2024-01-28", None, "2024-04-28", "2024-04-28"]
    assert ys == [6, 6, 4, 4, None, 7, 3]


def test_every_mark_of_a_series_is_named_in_the_key() -> None:
    m = MEASURES["stop_search_volume"]
    rows = [_row(i, 100.0 + i, 90.0, 110.0 + i, spc_mean=105.0, spc_lower=80.0, spc_upper=130.0,
                 spc_variation="common_cause") for i in range(1, 12)]
    rows.append(_row(12, 200.0, 180.0, 220.0, spc_mean=105.0, spc_lower=80.0, spc_upper=130.0,
                     spc_variation="special_cause_neutral"))
    spec = series_figure(m, rows, selected="2024-12", label="Searches: Black")
    texts = [k["text"] for k in spec["key"]]
    assert texts[0] == "Searches: Black"
    assert {"95% interval (shaded band)", "Mean (dashed line)", "Process limits (dotted lines)",
            "Special cause (square)", "Period chosen (dotted vertical line)"} <= set(texts)
    assert spec["layout"]["showlegend"] is False  # the key is HTML, beside the chart
    assert spec["config"]["displayModeBar"] is False  # nothing focusable inside the chart


def test_a_target_is_a_named_reference_line() -> None:
    m = MEASURES["mopac7_crimes"]
    rows = [_row(i, 1000.0 - i) for i in range(1, 4)]
    spec = series_figure(m, rows, target={"level": 800.0, "label": "Target line: 20% below"})
    line = next(d for d in spec["data"] if d.get("name", "").startswith("Target"))
    assert line["y"] == [800.0, 800.0]
    assert "Target, for reference only (long dashes)" in [k["text"] for k in spec["key"]]


def test_bars_carry_their_values_in_the_labels_and_ratios_a_line_at_one() -> None:
    m = MEASURES["stop_search_rate_ratio"]
    rows = [{"label": "Black", "value": 3.4, "interval_low": 3.0, "interval_high": 3.9},
            {"label": "Other", "value": None, "interval_low": None, "interval_high": None}]
    spec = bar_figure(m, rows, "label", x_title="rate ratio")
    assert spec["data"][0]["y"] == ["Other: no figure", "Black: 3.40 times"]
    assert spec["layout"]["shapes"][0]["x0"] == 1


def test_a_series_with_every_figure_hidden_still_places_the_chosen_period_on_a_date_axis() -> None:
    # Met homicides by month: every month is hidden (too few, or to protect another figure), so no
    # line is drawn; the chosen period's mark must still sit on a date axis, not at NaN.
    m = MEASURES["homicides"]
    rows = [_row(i, None, suppressed=True, suppression_reason="fewer than 10 records") for i in range(1, 13)]
    spec = series_figure(m, rows, selected="2024-06")
    assert spec["layout"]["xaxis"]["type"] == "date"
    assert spec["layout"]["shapes"][0]["x0"] == "2024-06-28"
    assert all(x is None for trace in spec["data"] for x in trace.get("x") or [])


def test_the_peer_dot_plot_marks_the_neighbourhood_its_interval_the_group_and_london() -> None:
    rows = [{"title": "Q1", "value": 0.7, "interval_low": 0.6, "interval_high": 0.78, "group_mean": 0.65,
             "london_mean": 0.68, "value_text": "70%", "interval_text": "60.0% to 78.0%"},
            {"title": "Q2", "value": 0.4, "interval_low": 0.3, "interval_high": 0.5, "group_mean": 0.45,
             "london_mean": 0.42, "value_text": "40%", "interval_text": "30.0% to 50.0%"}]
    figures = pd.DataFrame({"neighbourhood_code": ["A", "B", "A", "B"], "neighbourhood": ["Here", "There"] * 2,
                            "borough_name": ["X", "Y"] * 2, "title": ["Q1", "Q1", "Q2", "Q2"],
                            "value": [0.7, 0.6, 0.4, 0.5]})
    spec = peer_dots_figure(rows, figures, "A", "Here")
    peers, mean, london, chosen = spec["data"]
    assert peers["x"] == [0.6, 0.5] and peers["text"] == ["There (Y): 60%", "There (Y): 50%"]
    assert mean["x"] == [0.65, 0.45] and london["x"] == [0.68, 0.42]
    assert chosen["x"] == [0.7, 0.4] and chosen["error_x"]["array"] == pytest.approx([0.08, 0.1])
    assert chosen["error_x"]["arrayminus"] == pytest.approx([0.1, 0.1])
    assert spec["layout"]["yaxis"]["categoryarray"] == ["Q2", "Q1"]  # the first row on top
    assert [k["text"].split(" (")[0] for k in spec["key"]] == [
        "Here", "Each other neighbourhood of the group", "Group mean", "London average of all neighbourhoods"]
