"""Sentences use the stored verdicts, and never describe a suppressed figure."""

from __future__ import annotations

import datetime as dt

from oversight.measures.catalogue import load_catalogue
from oversight.present.labels import breakdown_label, in_period, period_text
from oversight.present.words import change_sentence, spc_phrase, value_text, verdict_text

CATALOGUE = load_catalogue()
QUARTER_ROW = {"period_type": "fy_quarter", "period_end": dt.date(2022, 9, 30), "value": 219033.0,
               "vs_year_before": "significant increase", "suppressed": False}


def test_a_significant_change_is_named_with_its_direction():
    assert change_sentence(CATALOGUE["total_recorded_crime"], QUARTER_ROW) == (
        "Total recorded crime: 219,033 in 2022-23 Q2, a significant increase on the same quarter a year before "
        "(in the worse direction).")


def test_no_significant_change_is_never_called_a_rise_or_fall():
    row = {**QUARTER_ROW, "vs_year_before": "no significant change"}
    text = change_sentence(CATALOGUE["total_recorded_crime"], row)
    assert text == ("Total recorded crime: 219,033 in 2022-23 Q2, "
                    "no significant change on the same quarter a year before.")
    assert verdict_text(CATALOGUE["total_recorded_crime"], row) == "no significant change"


def test_a_neutral_measure_gets_no_direction():
    row = {**QUARTER_ROW, "value": 44917.0, "vs_year_before": "significant decrease"}
    sentence = change_sentence(CATALOGUE["stop_search_volume"], row)
    assert sentence.endswith("a significant decrease on the same quarter a year before.")


def test_without_a_year_before_there_is_no_comparison():
    row = {**QUARTER_ROW, "vs_year_before": None}
    assert change_sentence(CATALOGUE["total_recorded_crime"], row).endswith(
        "; no comparison with the same quarter a year before (no figure for it).")
    assert verdict_text(CATALOGUE["total_recorded_crime"], row) == ""


def test_a_suppressed_figure_is_not_described():
    row = {**QUARTER_ROW, "value": None, "suppressed": True, "suppression_reason": "fewer than 10 records"}
    assert change_sentence(CATALOGUE["homicides"], row) == (
        "Homicide victims: not published (fewer than 10 records) in 2022-23 Q2.")
    assert verdict_text(CATALOGUE["homicides"], row) == ""
    assert value_text("count", None) == "no figure"


def test_periods_in_words():
    rolling = {"period_type": "rolling_12", "period_end": dt.date(2022, 9, 30)}
    assert period_text(rolling) == "12 months to September 2022"
    assert in_period(rolling) == "in the 12 months to September 2022"
    assert period_text({"period_type": "month", "period_end": dt.date(2022, 7, 31)}) == "July 2022"


def test_spc_words_name_the_rule_for_special_cause_only():
    assert spc_phrase({"spc_variation": "special_cause_concern", "spc_signal": "run_of_seven"}) == (
        "within the process limits, but part of a run of 7 or more points on one side of the mean: "
        "special cause (concern)")
    assert spc_phrase(
        {"spc_variation": "special_cause_concern", "spc_signal": "run_of_seven", "value": 9.0, "spc_mean": 5.0}
    ).startswith("within the process limits, but part of a run of 7 or more points above")
    assert spc_phrase({"spc_variation": "common_cause", "spc_signal": None}) == (
        "within the process limits: common cause variation")
    assert spc_phrase({"spc_variation": None}) == ""


def test_breakdown_labels():
    assert breakdown_label("self_defined_group=Black") == "Black"
    assert breakdown_label("major=VIOLENCE AGAINST THE PERSON") == "Violence against the person"
    assert breakdown_label("all") == "All"


def test_a_missing_figure_beside_a_bar_is_said_briefly() -> None:
    from oversight.present.words import label_text

    hidden = {"value": None, "suppressed": True, "suppression_reason": "fewer than 10 records"}
    assert label_text("count", hidden) == "not published"
    assert label_text("count", {"value": None}) == "no figure"
    assert label_text("count", {"value": 12.0}) == "12"
