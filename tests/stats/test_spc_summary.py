"""summarise_spc: the one-sentence text summary shown with every SPC chart."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight.stats.spc_classify import COLUMNS, POLARITIES, classify_points
from oversight.stats.spc_summary import describe_point, summarise_spc

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
        "19 points; 1 above the upper limit: special cause; "
        "6 in a run above the mean: special cause"
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


def test_summary_of_a_flat_series_is_no_special_cause() -> None:
    assert summarise_spc(classify_points([0] * 14, "down_is_good")) == (
        "14 points; no special cause variation"
    )


def test_summary_of_points_without_limits_does_not_claim_common_cause() -> None:
    # a frame from stored figures: a series with a missing value has no limits and no variation
    frame = pd.DataFrame({name: [None] * 12 for name in COLUMNS})
    frame["value"] = float("nan")
    frame["segment"] = 0
    assert summarise_spc(frame) == "12 points; no process limits"


def test_summary_counts_points_without_limits_apart() -> None:
    frame = classify_points([*HAND, *TWO_HIGH], "down_is_good", baseline=12)
    frame.loc[[0, 1], "variation"] = None
    assert summarise_spc(frame) == (
        "24 points; 2 above the upper limit: special cause (concern); 2 points without process limits"
    )


# degenerate series: one sentence, no part said twice, no verdicts that contradict ------------

degenerate = st.one_of(
    st.lists(st.just(0.0), max_size=30),                                   # zero counts
    st.integers(0, 5).flatmap(lambda v: st.lists(st.just(float(v)), max_size=30)),  # all equal
    st.lists(st.integers(0, 3).map(float), max_size=30),                   # small counts, ties
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=0, max_size=3),  # one to three points
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=12, max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(degenerate, st.sampled_from(POLARITIES), st.lists(st.integers(1, 39), max_size=2))
def test_summary_never_contradicts_itself(values: list[float], polarity: str, cuts: list[int]) -> None:
    frame = classify_points(values, polarity, breaks=[c for c in cuts if c < len(values)])
    text = summarise_spc(frame)
    parts = text.split("; ")
    assert len(parts) == len(set(parts))
    assert not ("no special cause variation" in text and "special cause (" in text)
    assert not ("too few for process limits" in text and "special cause" in text)
    labelled = sum(int(p.split(" ")[0]) for p in parts[1:] if p[0].isdigit())
    assert labelled <= len(values)
    if len(set(values)) <= 1 and len(values) >= 12 and not cuts:
        assert text == f"{len(values)} points; no special cause variation"


# describe_point: one point in words ----------------------------------------------------------


@pytest.mark.parametrize(
    ("variation", "signal", "direction", "words"),
    [
        ("common_cause", None, None, "within the process limits: common cause variation"),
        ("insufficient_data", None, None, "too few points for process limits"),
        ("special_cause_concern", "beyond_limits", "high",
         "above the upper process limit: special cause (concern)"),
        ("special_cause_improvement", "beyond_limits", "low",
         "below the lower process limit: special cause (improvement)"),
        ("special_cause_concern", "run_of_seven", "high",
         "within the process limits, but part of a run of 7 or more points above the mean: "
         "special cause (concern)"),
        ("special_cause_improvement", "trend_of_seven", "low",
         "within the process limits, but part of a falling trend of 7 or more points: "
         "special cause (improvement)"),
        ("special_cause_neutral", "two_of_three_near_limit", "high",
         "within the process limits, but 2 of 3 points close to the upper limit: special cause"),
        ("special_cause_concern", "run_of_seven", None,
         "within the process limits, but part of a run of 7 or more points on one side of the "
         "mean: special cause (concern)"),
        ("special_cause_concern", "beyond_limits", None,
         "outside the process limits: special cause (concern)"),
        (None, None, None, ""),
    ],
)
def test_describe_point(variation: str | None, signal: str | None, direction: str | None, words: str) -> None:
    assert describe_point(variation, signal, direction) == words


def test_describe_point_refuses_a_signal_on_a_common_cause_point() -> None:
    with pytest.raises(ValueError) as error:
        describe_point("common_cause", "run_of_seven", "high")
    assert str(error.value) == (
        "describe_point: a common_cause point has no signal; got run_of_seven"
    )


def test_describe_point_refuses_an_unknown_variation() -> None:
    with pytest.raises(ValueError) as error:
        describe_point("unusual", None, None)
    assert str(error.value) == (
        "describe_point: variation 'unusual' is not one of common_cause, special_cause_improvement, "
        "special_cause_concern, special_cause_neutral, insufficient_data"
    )


@settings(max_examples=200, deadline=None)
@given(degenerate, st.sampled_from(POLARITIES))
def test_every_point_is_described_truthfully(values: list[float], polarity: str) -> None:
    frame = classify_points(values, polarity)
    for row in frame.itertuples():
        words = describe_point(row.variation, row.signal, row.direction)
        outside = row.value > row.upper_limit or row.value < row.lower_limit
        # a point is called outside the limits exactly when it is, and never both in and out
        assert ("process limit:" in words or "outside the process limits" in words) == outside
        assert not ("within the process limits" in words and outside)
        assert words.count("special cause") == (1 if row.variation.startswith("special") else 0)
