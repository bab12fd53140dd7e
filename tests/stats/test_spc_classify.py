"""classify_points: rules applied in precedence order, per segment, into one tidy frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oversight.stats.spc_classify import COLUMNS, PRECEDENCE, classify_points

# Baseline of 12 points worked by hand in test_spc.py: mean 10, limits 4.68 and 15.32,
# near lines 6.4533 and 13.5467. It has no signal of its own.
HAND = [8, 11, 9, 12, 10, 8, 10, 12, 9, 11, 10, 10]
NONE12: list[str | None] = [None] * 12

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


def signals(frame: pd.DataFrame) -> list[str | None]:
    return list(frame["signal"])


# inputs -------------------------------------------------------------------------------------


def test_unknown_polarity_raises() -> None:
    with pytest.raises(ValueError) as error:
        classify_points(HAND, "higher")
    assert str(error.value) == (
        "classify_points: polarity 'higher' is not one of up_is_good, down_is_good, neutral"
    )


def test_polarity_that_is_not_text_raises() -> None:
    with pytest.raises(ValueError) as error:
        classify_points(HAND, None)  # type: ignore[arg-type]
    assert str(error.value) == (
        "classify_points: polarity NoneType is not one of up_is_good, down_is_good, neutral"
    )


def test_break_outside_the_series_raises() -> None:
    with pytest.raises(ValueError) as error:
        classify_points(HAND, "up_is_good", breaks=[12])
    assert str(error.value) == (
        "classify_points: each break must be an index into values (0 to 11); got 12"
    )


def test_break_that_is_not_a_whole_number_raises() -> None:
    with pytest.raises(ValueError) as error:
        classify_points(HAND, "up_is_good", breaks=[2.5])  # type: ignore[list-item]
    assert str(error.value) == "classify_points: breaks must hold whole-number indexes; got 2.5"


def test_a_single_break_not_in_a_list_raises() -> None:
    with pytest.raises(ValueError) as error:
        classify_points(HAND, "up_is_good", breaks=6)  # type: ignore[arg-type]
    assert str(error.value) == (
        "classify_points: breaks must be a list of indexes where a new segment starts; got int 6"
    )


def test_breaks_on_an_empty_series_raise() -> None:
    with pytest.raises(ValueError) as error:
        classify_points([], "up_is_good", breaks=[3])
    assert str(error.value) == "classify_points: values is empty, so breaks must be empty; got [3]"


def test_short_baseline_raises() -> None:
    with pytest.raises(ValueError) as error:
        classify_points(HAND, "up_is_good", baseline=6)
    assert str(error.value) == (
        "classify_points: baseline must be a whole number of at least 12; got 6"
    )


def test_missing_value_raises() -> None:
    with pytest.raises(ValueError) as error:
        classify_points([1.0, None, 3.0, None], "neutral")
    assert str(error.value) == (
        "classify_points: values must be finite (not missing or infinite); "
        "2 of 4 values are not, the first at index 1 (None)"
    )


def test_accepts_a_pandas_series() -> None:
    frame = classify_points(pd.Series(HAND, dtype="Int64"), "neutral")
    assert list(frame["value"]) == [float(v) for v in HAND]


# outputs ------------------------------------------------------------------------------------


def test_columns_and_dtypes_are_fixed() -> None:
    frame = classify_points(HAND, "up_is_good")
    assert tuple(frame.columns) == COLUMNS == (
        "value",
        "mean",
        "lower_limit",
        "upper_limit",
        "signal",
        "direction",
        "variation",
        "segment",
    )
    assert [str(t) for t in frame.dtypes] == [
        "float64",
        "float64",
        "float64",
        "float64",
        "object",
        "object",
        "str",
        "int64",
    ]


def test_empty_series_gives_an_empty_frame_with_the_same_columns() -> None:
    frame = classify_points([], "up_is_good")
    assert len(frame) == 0
    assert tuple(frame.columns) == COLUMNS
    assert [str(t) for t in frame.dtypes] == [
        str(t) for t in classify_points(HAND, "up_is_good").dtypes
    ]


def test_stable_series_is_all_common_cause() -> None:
    frame = classify_points(HAND, "up_is_good")
    assert signals(frame) == NONE12
    assert list(frame["direction"]) == NONE12
    assert list(frame["variation"]) == ["common_cause"] * 12
    assert list(frame["mean"]) == pytest.approx([10.0] * 12)
    assert list(frame["lower_limit"]) == pytest.approx([4.68] * 12)
    assert list(frame["upper_limit"]) == pytest.approx([15.32] * 12)
    assert list(frame["segment"]) == [0] * 12


def test_fewer_than_twelve_points_are_insufficient_data() -> None:
    frame = classify_points(HAND[:11], "up_is_good")
    assert list(frame["variation"]) == ["insufficient_data"] * 11
    assert frame[["mean", "lower_limit", "upper_limit"]].isna().all().all()
    assert signals(frame) == [None] * 11


def test_series_shorter_than_seven_is_insufficient_data() -> None:
    frame = classify_points([1, 2, 3], "down_is_good")
    assert list(frame["variation"]) == ["insufficient_data"] * 3


def test_point_above_upper_limit_is_improvement_when_up_is_good() -> None:
    # inputs: baseline, then 20 (above 15.32)
    values = [*HAND, 20]
    # outputs
    frame = classify_points(values, "up_is_good", baseline=12)
    assert signals(frame) == [*NONE12, "beyond_limits"]
    assert list(frame["direction"]) == [*NONE12, "high"]
    assert list(frame["variation"]) == ["common_cause"] * 12 + ["special_cause_improvement"]


def test_point_above_upper_limit_is_concern_when_down_is_good() -> None:
    frame = classify_points([*HAND, 20], "down_is_good", baseline=12)
    assert frame["variation"].iloc[-1] == "special_cause_concern"


def test_neutral_polarity_still_reports_the_signal_and_its_direction() -> None:
    frame = classify_points([*HAND, 0], "neutral", baseline=12)
    assert frame["signal"].iloc[-1] == "beyond_limits"
    assert frame["direction"].iloc[-1] == "low"
    assert frame["variation"].iloc[-1] == "special_cause_neutral"


def test_precedence_is_beyond_trend_two_of_three_run() -> None:
    assert PRECEDENCE == (
        "beyond_limits",
        "trend_of_seven",
        "two_of_three_near_limit",
        "run_of_seven",
    )


def test_beyond_limits_takes_precedence_over_a_run() -> None:
    # inputs: 7 points above the mean 10; the third is also above the upper limit 15.32
    values = [*HAND, 12, 12, 16, 12, 12, 12, 12]
    # outputs
    frame = classify_points(values, "up_is_good", baseline=12)
    assert signals(frame) == [*NONE12, "run_of_seven", "run_of_seven", "beyond_limits"] + [
        "run_of_seven"
    ] * 4
    assert list(frame["direction"]) == [*NONE12] + ["high"] * 7


def test_trend_takes_precedence_over_a_run() -> None:
    # inputs: the last baseline point (10, on the mean) starts 8 rising points; the 7 after
    # it are also a run above the mean. No point reaches the near line 13.5467.
    values = [*HAND, 11, 11.5, 12, 12.5, 13, 13.2, 13.4]
    # outputs
    frame = classify_points(values, "down_is_good", baseline=12)
    assert signals(frame) == [None] * 11 + ["trend_of_seven"] * 8
    assert list(frame["variation"]) == ["common_cause"] * 11 + ["special_cause_concern"] * 8


def test_two_of_three_takes_precedence_over_a_run() -> None:
    # inputs: 14 and 14 are past the near line 13.5467 but inside the limit 15.32
    values = [*HAND, 14, 14, 11, 11, 11, 11, 11]
    # outputs
    frame = classify_points(values, "up_is_good", baseline=12)
    assert signals(frame) == [*NONE12] + ["two_of_three_near_limit"] * 2 + ["run_of_seven"] * 5


def test_rising_trend_below_the_mean_is_labelled_by_its_direction() -> None:
    # inputs: 7 rising points that all stay below the mean of the baseline
    values = [*HAND, 5, 6, 7, 8, 8.5, 9, 9.5]
    # outputs
    frame = classify_points(values, "up_is_good", baseline=12)
    trend = frame["signal"] == "trend_of_seven"
    assert list(frame.loc[trend, "direction"].unique()) == ["high"]
    assert list(frame.loc[trend, "variation"].unique()) == ["special_cause_improvement"]


def test_a_series_break_restarts_limits() -> None:
    # inputs: the baseline, then the same shape 40 higher after a recording change
    values = [*HAND, *(v + 40 for v in HAND)]
    # outputs
    frame = classify_points(values, "up_is_good", breaks=[12])
    assert list(frame["segment"]) == [0] * 12 + [1] * 12
    assert list(frame["mean"]) == pytest.approx([10.0] * 12 + [50.0] * 12)
    assert list(frame["upper_limit"]) == pytest.approx([15.32] * 12 + [55.32] * 12)
    assert list(frame["variation"]) == ["common_cause"] * 24


def test_without_the_break_the_same_series_is_special_cause() -> None:
    frame = classify_points([*HAND, *(v + 40 for v in HAND)], "up_is_good")
    assert (frame["variation"] != "common_cause").all()


def test_a_short_segment_after_a_break_is_insufficient_data() -> None:
    frame = classify_points([*HAND, 50, 51, 52], "up_is_good", breaks=[12])
    assert list(frame["variation"]) == ["common_cause"] * 12 + ["insufficient_data"] * 3
    assert list(frame["segment"]) == [0] * 12 + [1] * 3


@pytest.mark.parametrize("screen", [False, True])
def test_a_flat_series_has_limits_on_the_mean_and_no_signal(screen: bool) -> None:
    frame = classify_points([7.0] * 14, "up_is_good", screen_outliers=screen)
    assert list(frame["lower_limit"]) == [7.0] * 14
    assert list(frame["upper_limit"]) == [7.0] * 14
    assert list(frame["variation"]) == ["common_cause"] * 14


def test_a_break_at_zero_changes_nothing() -> None:
    pd.testing.assert_frame_equal(
        classify_points(HAND, "neutral", breaks=[0]), classify_points(HAND, "neutral")
    )


@given(st.lists(finite, max_size=40), st.sampled_from(["up_is_good", "down_is_good", "neutral"]))
def test_classify_points_returns_one_row_per_point(values: list[float], polarity: str) -> None:
    frame = classify_points(values, polarity)
    assert len(frame) == len(values)
    assert list(frame["value"]) == values
    assert set(frame["variation"]) <= {
        "common_cause",
        "special_cause_improvement",
        "special_cause_concern",
        "special_cause_neutral",
        "insufficient_data",
    }
    flagged = frame["signal"].notna()
    assert (flagged == (frame["direction"].notna())).all()
    assert (flagged == frame["variation"].str.startswith("special_cause")).all()


@given(st.lists(finite, min_size=24, max_size=40), st.integers(min_value=1, max_value=23))
def test_each_segment_has_one_mean(values: list[float], cut: int) -> None:
    frame = classify_points(values, "neutral", breaks=[cut])
    assert frame.groupby("segment")["mean"].nunique(dropna=False).eq(1).all()
    assert np.array_equal(frame["segment"].to_numpy(), (np.arange(len(values)) >= cut) * 1)
