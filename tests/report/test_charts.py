"""Charts drawn from hand-built rows: what the SVG draws and what the alt text says."""

from __future__ import annotations

import datetime as dt

from oversight.measures.catalogue import load_catalogue
from oversight.measures.periods import month_end
from oversight.report.charts import bar_chart, time_chart
from oversight.report.figures import regular

CATALOGUE = load_catalogue()


def _months(values, variations=None, start=(2021, 10)):
    rows = []
    for i, value in enumerate(values):
        y, m = divmod(start[0] * 12 + start[1] - 1 + i, 12)
        rows.append({"period_type": "month", "period_end": month_end(y, m + 1), "value": value,
                     "interval_low": None, "interval_high": None, "spc_mean": 100.0, "spc_lower": 80.0,
                     "spc_upper": 120.0, "spc_variation": (variations or {}).get(i, "common_cause"),
                     "suppressed": value is None,
                     "suppression_reason": "fewer than 10 records" if value is None else None})
    return rows


# outputs: SPC chart

def test_spc_chart_marks_special_cause_with_a_shape_and_says_so():
    rows = _months([100, 104, 97, 125, 101, 99], {3: "special_cause_concern"})
    quarter = {rows[-1]["period_end"], rows[-2]["period_end"], rows[-3]["period_end"]}
    chart = time_chart(CATALOGUE["total_recorded_crime"], rows, highlight=quarter, highlight_label="2021-22 Q4",
                       spc=True, every="each month", area_name="Metropolitan Police Service")
    assert chart.svg.count("<polygon") == 1 + 1  # the flagged point and its legend sample
    assert "Special cause: concern (triangle)" in chart.svg
    assert chart.alt.startswith("SPC chart of Total recorded crime, Metropolitan Police Service, each month, "
                                "October 2021 to March 2022, with the process mean and limits.")
    assert "Process limits: 1 point of special cause variation (concern)." in chart.alt
    assert "Lowest 97 (December 2021), highest 125 (January 2022)." in chart.alt
    assert "Shaded: January 2022 125; February 2022 101; March 2022 99." in chart.alt
    assert chart.rows[3] == ("January 2022", "125", "", "100", "80 to 120",
                             "special cause variation (concern)")


def test_a_suppressed_month_is_a_gap_in_the_line_and_named_in_the_alt_text():
    rows = _months([12, None, 11, 13])
    chart = time_chart(CATALOGUE["homicides"], rows, highlight=set(), highlight_label="", spc=True,
                       every="each month", area_name="Metropolitan Police Service")
    line_paths = [p for p in chart.svg.split("<path") if 'stroke="#1d70b8" stroke-width="2.2"' in p]
    assert len(line_paths) == 2  # 12 | gap | 11, 13
    assert "1 of 4 periods have no published figure." in chart.alt
    assert chart.rows[1][1] == "not published (fewer than 10 records)"
    assert "Process limits: every point within them (common cause variation)." in chart.alt


def test_series_with_intervals_shades_them_instead_of_process_limits():
    rows = [{"period_type": "rolling_12", "period_end": dt.date(2022, m, 30 if m in (6, 9) else 31), "value": v,
             "interval_low": v - 0.01, "interval_high": v + 0.01} for m, v in ((3, 0.71), (6, 0.70), (9, 0.69))]
    chart = time_chart(CATALOGUE["trust_mps"], rows, highlight={dt.date(2022, 9, 30)},
                       highlight_label="12 months to Sep 2022", spc=False, every="12 months to each quarter's end",
                       area_name="Metropolitan Police Service")
    assert "Process limits" not in chart.svg and "95% interval" in chart.svg
    assert chart.alt.startswith("Line chart of Trust in the MPS")
    assert "Lowest 69% (September 2022), highest 71% (March 2022)." in chart.alt
    assert chart.columns == ("Period", "Figure", "95% interval")


def test_regular_fills_missing_periods_with_gaps_from_the_first_figure():
    rows = [{"period_type": "fy_quarter", "period_end": dt.date(2018, 6, 30), "value": 1.0},
            {"period_type": "fy_quarter", "period_end": dt.date(2018, 12, 31), "value": 2.0}]
    points = regular(rows, "fy_quarter", dt.date(2019, 3, 31), 16, 3)
    assert [p["period_end"] for p in points] == [dt.date(2018, 6, 30), dt.date(2018, 9, 30), dt.date(2018, 12, 31),
                                                 dt.date(2019, 3, 31)]
    assert [p["value"] for p in points] == [1.0, None, 2.0, None]


# outputs: bars

def test_bar_chart_names_suppressed_groups_and_the_reference_line():
    bars = [{"label": "Asian", "value": 0.95, "interval_low": 0.92, "interval_high": 0.98},
            {"label": "Black", "value": 3.02, "interval_low": 2.95, "interval_high": 3.10},
            {"label": "Other", "value": None, "suppressed": True, "suppression_reason": "fewer than 10 records"}]
    chart = bar_chart(CATALOGUE["stop_search_rate_ratio"], bars, what="self-defined ethnic group", period="2018-19 Q2",
                      reference_line=1.0, reference_words="1 = the same rate as White residents")
    assert chart.svg.count('fill="#1d70b8"') == 2 + 1  # two bars and the legend sample
    assert ">not published<" in chart.svg
    assert chart.alt == ("Bar chart of Stop and search disproportionality: rate ratio to White residents "
                         "(self-defined) by self-defined ethnic group, 2018-19 Q2, with 95% intervals. "
                         "Highest Black at 3.02 times, lowest Asian at 0.95 times. Not published: Other. "
                         "Dashed line: 1 = the same rate as White residents.")
    assert chart.rows[2] == ("Other", "not published (fewer than 10 records)", "")
    assert chart.src.startswith("data:image/svg+xml;base64,")
