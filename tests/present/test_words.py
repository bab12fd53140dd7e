"""Sentences say 'increase' or 'fall' only when the statistics do."""

from __future__ import annotations

import datetime as dt

import pytest

from oversight.measures.catalogue import load_catalogue
from oversight.present.words import (
    change_phrase,
    direction_phrase,
    format_interval,
    format_value,
    signal_phrase,
    summary_sentence,
)


@pytest.mark.parametrize(
    ("unit", "value", "text"),
    [("count", 149284.0, "149,284"), ("rate_per_1000", 12.34, "12.3 per 1,000"), ("proportion", 0.2789, "27.9%"),
     ("percentage_points", -15.0, "-15.0 points"), ("ratio", 3.4, "3.40 times"), ("count", float("nan"), "no figure"),
     ("days", 42.0, "42 days"), ("days", 44.5, "44.5 days"), ("days", 1234.0, "1,234 days")],
)
def test_values(unit, value, text):
    assert format_value(unit, value) == text


def test_intervals():
    assert format_interval("proportion", 0.25, 0.31) == "25.0% to 31.0%"
    assert format_interval("count", float("nan"), 3.0) == ""


def test_change_words_come_from_the_verdict():
    assert change_phrase("no significant change", "rolling_12") == "no significant change on the previous 12 months"
    assert change_phrase(None, "fy_quarter").startswith("no comparison with the same quarter a year before")


def test_sentence_for_a_figure_and_a_suppressed_one():
    measure = load_catalogue()["stop_search_volume"]
    row = {"period_type": "rolling_12", "period_end": dt.date(2018, 12, 31), "value": 149284.0,
           "interval_low": 148528.7, "interval_high": 150044.2, "vs_year_before": "significant decrease",
           "suppressed": False, "spc_variation": None}
    assert summary_sentence(measure, row) == (
        "Stop and search: number of searches, 12 months to 2018-12: 149,284 (95% interval 148,529 to 150,044); "
        "significant decrease on the previous 12 months."
    )
    hidden = {**row, "suppressed": True, "suppression_reason": "fewer than 10 records"}
    assert summary_sentence(measure, hidden).endswith("not published (fewer than 10 records).")
    assert "149,284" not in summary_sentence(measure, hidden)


@pytest.mark.parametrize(
    ("polarity", "verdict", "words"),
    [("down_is_good", "significant decrease", "in the better direction"),
     ("down_is_good", "significant increase", "in the worse direction"),
     ("up_is_good", "significant increase", "in the better direction"),
     ("up_is_good", "significant decrease", "in the worse direction"),
     ("neutral", "significant increase", ""),
     ("up_is_good", "no significant change", ""),
     ("up_is_good", None, "")],
)
def test_direction_is_named_only_for_a_significant_change_with_a_preferred_direction(polarity, verdict, words):
    assert direction_phrase(polarity, verdict) == words


def test_signal_words_name_the_rule_with_its_run_length():
    assert signal_phrase("run_of_seven") == "part of a run of 7 or more points on one side of the mean"
    assert signal_phrase("beyond_limits") == "a point outside the process limits"
    assert signal_phrase(None) == ""


def test_survey_proportions_keep_the_precision_they_were_published_at():
    from oversight.present.words import format_value

    assert format_value("survey_proportion", 0.69) == "69%"
    assert format_value("survey_proportion", 0.695) == "69.5%"
    assert format_value("proportion", 0.69) == "69.0%"


def test_change_figures_give_the_year_before_and_the_change():
    from oversight.present.words import change_figures, change_of

    def figures(unit, value, before):
        return change_figures(unit, change_of({"value": value, "value_year_before": before,
                                               "vs_year_before": "no significant change"}))

    assert figures("count", 77043.0, 75174.0) == "was 75,174; up 1,869 (+2.5%)"
    assert figures("proportion", 0.30, 0.28) == "was 28.0%; +2.0 points"
    assert figures("count", 5.0, 5.0) == "was 5; no change"
    assert figures("count", 5.0, None) == ""
    assert figures("count", 5.0, 0.0) == "was 0; up 5"  # no percentage of nothing


def test_what_is_said_of_the_method_is_what_built_the_figures(tmp_path):
    import duckdb

    from oversight.measures import build_settings
    from oversight.present.figure import Figure

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert build_settings.used(con)["suppress_below"] == "10"  # a warehouse built before settings were kept
    build_settings.record(con)
    con.execute("UPDATE measure_setting SET value = '1.5' WHERE name = 'survey_design_effect'")
    settings = build_settings.used(con)
    con.close()
    measure = load_catalogue()["trust_mps"]
    row = {"period_type": "rolling_12", "period_end": dt.date(2019, 3, 31), "value": 0.84, "sample_size": 12800.0,
           "sample_size_assumed": True, "suppressed": False}
    assert Figure.of(measure, row, settings).sample == "12,800 (assumed); design effect 1.5 assumed"
