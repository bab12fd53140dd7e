"""summarise_spc: the one-sentence text summary shown with every SPC chart."""

from __future__ import annotations

import pandas as pd
import pytest

from oversight.stats.spc_classify import classify_points
from oversight.stats.spc_summary import summarise_spc

# Baseline worked by hand in test_spc.py: mean 10, limits 4.68 and 15.32.
HAND = [8, 11, 9, 12, 10, 8, 10, 12, 9, 11, 10, 10]
# Twelve more points: 16 and 16.5 are above the upper limit, nothing else fires.
TWO_HIGH = [10, 16, 10, 16.5, 10, 9, 11, 10, 9, 11, 10, 10]


# inputs -------------------------------------------------------------------------------------


def test_summary_of_something_other_than_a_frame_raises() -> None:
    with pytest.raises(ValueError) as error:
        summarise_spc([1, 2, 3])  # type: ignore[arg-type]
    assert str(error.value) == (
        "summarise_spc: result must be the DataFrame returned by classify_points; got list"
    )


def test_summary_of_a_frame_without_the_columns_raises() -> None:
    frame = classify_points(HAND, "up_is_good").drop(columns=["direction", "segment"])
    with pytest.raises(ValueError) as error:
        summarise_spc(frame)
    assert str(error.value) == (
        "summarise_spc: result is missing column(s) direction, segment; "
        "pass the DataFrame returned by classify_points"
    )


# outputs ------------------------------------------------------------------------------------


def test_summary_of_a_stable_series() -> None:
    assert summarise_spc(classify_points(HAND * 2, "up_is_good")) == (
        "24 points; no special cause variation"
    )


def test_summary_names_points_above_the_upper_limit_and_what_they_mean() -> None:
    frame = classify_points([*HAND, *TWO_HIGH], "down_is_good", baseline=12)
    assert summarise_spc(frame) == "24 points; 2 above the upper limit: special cause (concern)"


def test_summary_says_improvement_when_up_is_good() -> None:
    frame = classify_points([*HAND, *TWO_HIGH], "up_is_good", baseline=12)
    assert summarise_spc(frame) == (
        "24 points; 2 above the upper limit: special cause (improvement)"
    )


def test_summary_lists_each_rule_in_precedence_order() -> None:
    # 7 points above the mean, the third beyond the upper limit
    frame = classify_points([*HAND, 12, 12, 16, 12, 12, 12, 12], "neutral", baseline=12)
    assert summarise_spc(frame) == (
        "19 points; 1 above the upper limit: special cause (neutral); "
        "6 in a run above the mean: special cause (neutral)"
    )


def test_summary_of_a_trend_says_which_way_it_moves() -> None:
    # the last baseline point (10) and the six after it fall; 6, 5.5 and 5 are also near the
    # lower limit, but the trend takes precedence
    frame = classify_points([*HAND, 9, 8, 7, 6, 5.5, 5], "up_is_good", baseline=12)
    assert summarise_spc(frame) == "18 points; 7 in a falling trend: special cause (concern)"


def test_summary_of_a_near_limit_pair() -> None:
    # 5.5 and 6 are past the near line 6.4533 and, with 9, all three lie below the mean 10
    frame = classify_points([*HAND, 5.5, 6, 9], "up_is_good", baseline=12)
    assert summarise_spc(frame) == (
        "15 points; 2 near the lower limit (2 of 3 points): special cause (concern)"
    )


def test_summary_of_a_short_series_says_there_are_too_few_points() -> None:
    assert summarise_spc(classify_points(HAND[:8], "up_is_good")) == (
        "8 points; too few for process limits (at least 12 are needed)"
    )


def test_summary_of_one_point_is_singular() -> None:
    assert summarise_spc(classify_points([4], "up_is_good")) == (
        "1 point; too few for process limits (at least 12 are needed)"
    )


def test_summary_of_an_empty_series() -> None:
    assert summarise_spc(classify_points([], "up_is_good")) == "0 points; nothing to chart"


def test_summary_counts_segments_and_short_segments() -> None:
    frame = classify_points([*HAND, 50, 51, 52], "up_is_good", breaks=[12])
    assert summarise_spc(frame) == (
        "15 points in 2 segments; no special cause variation; "
        "3 points in a segment too short for process limits (at least 12 are needed)"
    )


def test_summary_reads_a_frame_rebuilt_from_json() -> None:
    frame = classify_points([*HAND, *TWO_HIGH], "down_is_good", baseline=12)
    rebuilt = pd.DataFrame(frame.to_dict(orient="records"))
    assert summarise_spc(rebuilt) == summarise_spc(frame)
