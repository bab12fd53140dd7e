"""XmR limits and the four Making Data Count rules, on short series built by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oversight.stats.spc import (
    LIMIT_MULTIPLIER,
    MIN_SPC_POINTS,
    NEAR_LIMIT_FRACTION,
    RUN_LENGTH,
    TREND_LENGTH,
    XmrLimits,
    beyond_limits,
    run_of_seven,
    trend_of_seven,
    two_of_three_near_limit,
    xmr_limits,
)

T, F = True, False

# A 12-point series worked by hand:
#   values          8 11  9 12 10  8 10 12  9 11 10 10      sum 120, mean 120 / 12 = 10
#   moving ranges     3  2  3  2  2  2  2  3  2  1  0       sum 22,  mean 22 / 11 = 2
#   limits          10 ± 2.66 × 2  = 10 ± 5.32     -> 4.68 and 15.32
#   near lines      10 ± 2/3 × 5.32 = 10 ± 3.5467  -> 6.4533 and 13.5467
HAND = [8, 11, 9, 12, 10, 8, 10, 12, 9, 11, 10, 10]

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


def flags(result: np.ndarray) -> list[bool]:
    return [bool(x) for x in result]


# constants ----------------------------------------------------------------------------------


def test_constants_match_making_data_count() -> None:
    # outputs
    assert LIMIT_MULTIPLIER == 2.66
    assert NEAR_LIMIT_FRACTION == 2 / 3
    assert RUN_LENGTH == 7
    assert TREND_LENGTH == 7
    assert MIN_SPC_POINTS == 12


# xmr_limits ---------------------------------------------------------------------------------

# inputs


def test_xmr_limits_with_too_few_points_raises() -> None:
    with pytest.raises(ValueError) as error:
        xmr_limits([1, 2, 3])
    assert str(error.value) == (
        "xmr_limits: values has 3 points; at least 12 are needed to compute process limits"
    )


def test_xmr_limits_with_a_missing_value_raises() -> None:
    with pytest.raises(ValueError) as error:
        xmr_limits([*HAND[:4], float("nan"), *HAND[5:]])
    assert str(error.value) == (
        "xmr_limits: values must be finite (not missing or infinite); "
        "1 of 12 values is not, at index 4 (nan)"
    )


def test_xmr_limits_with_text_raises() -> None:
    with pytest.raises(ValueError) as error:
        xmr_limits(np.array(["a"] * 12))
    assert str(error.value) == "xmr_limits: values must be numbers; got an array of <U1"


def test_xmr_limits_with_a_table_raises() -> None:
    with pytest.raises(ValueError) as error:
        xmr_limits(np.ones((12, 2)))
    assert str(error.value) == (
        "xmr_limits: values must be a one-dimensional series; got an array of shape (12, 2)"
    )


def test_xmr_limits_with_a_short_baseline_raises() -> None:
    with pytest.raises(ValueError) as error:
        xmr_limits(HAND * 2, baseline=5)
    assert str(error.value) == "xmr_limits: baseline must be a whole number of at least 12; got 5"


# outputs


def test_xmr_limits_match_the_hand_calculation() -> None:
    # outputs
    limits = xmr_limits(HAND)
    assert limits.mean == pytest.approx(10.0)
    assert limits.mean_moving_range == pytest.approx(2.0)
    assert limits.lower_limit == pytest.approx(4.68)
    assert limits.upper_limit == pytest.approx(15.32)
    assert limits.lower_near == pytest.approx(10 - 2 / 3 * 5.32)
    assert limits.upper_near == pytest.approx(10 + 2 / 3 * 5.32)
    assert limits.points == 12
    assert isinstance(limits, XmrLimits)


def test_xmr_limits_use_only_the_baseline_points() -> None:
    # inputs
    values = [*HAND, 40, 50, 60]
    # outputs
    assert xmr_limits(values, baseline=12) == xmr_limits(HAND)


def test_xmr_limits_baseline_longer_than_the_series_uses_every_point() -> None:
    assert xmr_limits(HAND, baseline=24) == xmr_limits(HAND)


def test_xmr_limits_of_a_flat_series_collapse_onto_the_mean() -> None:
    limits = xmr_limits([5.0] * 12)
    assert (limits.lower_limit, limits.mean, limits.upper_limit) == (5.0, 5.0, 5.0)


def test_xmr_limits_of_a_flat_series_with_screening_collapse_onto_the_mean() -> None:
    # every moving range is 0, so none can be screened out and the limits are the mean
    limits = xmr_limits([5.0] * 12, screen_outliers=True)
    assert (limits.lower_limit, limits.mean, limits.upper_limit) == (5.0, 5.0, 5.0)
    assert limits.mean_moving_range == 0.0


def test_xmr_limits_screening_drops_outlying_moving_ranges() -> None:
    # inputs: 9 ones, 8 twos and one 10 (the reference example for outlier screening)
    values = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
    # mean 35 / 18 = 1.9444; moving ranges: fifteen 1s, an 8 and a 9 -> 32 / 17 = 1.8824.
    # Screen at 3.267 × 1.8824 = 6.15 drops the 8 and the 9, leaving a mean moving range of 1.
    # outputs
    plain = xmr_limits(values)
    screened = xmr_limits(values, screen_outliers=True)
    assert plain.mean_moving_range == pytest.approx(32 / 17)
    assert screened.mean_moving_range == pytest.approx(1.0)
    assert screened.upper_limit == pytest.approx(35 / 18 + 2.66)
    assert screened.mean == plain.mean


@given(st.lists(finite, min_size=MIN_SPC_POINTS, max_size=40))
def test_xmr_limits_are_symmetric_about_the_mean(values: list[float]) -> None:
    limits = xmr_limits(values)
    tolerance = 1e-9 * max(1.0, abs(limits.mean), limits.upper_limit - limits.mean)
    above = limits.upper_limit - limits.mean
    below = limits.mean - limits.lower_limit
    assert math.isclose(above, below, abs_tol=tolerance)
    assert limits.lower_limit <= limits.lower_near <= limits.mean
    assert limits.mean <= limits.upper_near <= limits.upper_limit


# beyond_limits ------------------------------------------------------------------------------


def test_points_beyond_either_limit_are_flagged() -> None:
    # inputs
    values = [1, 5, 11, 5, -2]
    # outputs
    assert flags(beyond_limits(values, 0, 10)) == [F, F, T, F, T]


def test_points_exactly_on_a_limit_are_not_beyond_it() -> None:
    assert flags(beyond_limits([10, 0, 5], 0, 10)) == [F, F, F]


def test_beyond_limits_accepts_one_limit_per_point() -> None:
    assert flags(beyond_limits([5, 5, 5], [0, 6, 0], [10, 10, 4])) == [F, T, T]


def test_beyond_limits_of_an_empty_series_is_empty() -> None:
    assert flags(beyond_limits([], 0, 10)) == []


def test_beyond_limits_with_limits_of_the_wrong_length_raises() -> None:
    with pytest.raises(ValueError) as error:
        beyond_limits([1, 2, 3], [0, 0], 10)
    assert str(error.value) == (
        "beyond_limits: lower_limit must be one number or one per point of values (3); got 2"
    )


# run_of_seven -------------------------------------------------------------------------------


def test_seven_points_above_the_mean_are_a_run() -> None:
    assert flags(run_of_seven([1, 2, 1, 3, 1, 2, 1], 0)) == [T] * 7


def test_seven_points_below_the_mean_are_a_run() -> None:
    assert flags(run_of_seven([-1] * 7, 0)) == [T] * 7


def test_six_points_above_the_mean_are_not_a_run() -> None:
    assert flags(run_of_seven([1] * 6, 0)) == [F] * 6


def test_eight_above_then_one_below_flags_the_eight() -> None:
    # inputs
    values = [1, 1, 1, 1, 1, 1, 1, 1, -1]
    # outputs
    assert flags(run_of_seven(values, 0)) == [T, T, T, T, T, T, T, T, F]


def test_point_on_mean_breaks_a_run() -> None:
    # inputs: 3 above, one on the mean, 4 above
    values = [1, 1, 1, 0, 1, 1, 1, 1]
    # outputs
    assert flags(run_of_seven(values, 0)) == [F] * 8


def test_a_run_after_a_point_on_the_mean_is_flagged_alone() -> None:
    # inputs
    values = [1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1]
    # outputs
    assert flags(run_of_seven(values, 0)) == [F, F, F, F, T, T, T, T, T, T, T]


def test_alternating_points_are_not_a_run() -> None:
    assert flags(run_of_seven([1, -1] * 5, 0)) == [F] * 10


def test_run_of_seven_of_an_empty_series_is_empty() -> None:
    assert flags(run_of_seven([], 0)) == []


def test_run_of_seven_of_a_series_shorter_than_seven_is_all_false() -> None:
    assert flags(run_of_seven([1, 1, 1], 0)) == [F, F, F]


# trend_of_seven -----------------------------------------------------------------------------


def test_seven_rising_points_are_a_trend() -> None:
    assert flags(trend_of_seven([1, 2, 3, 4, 5, 6, 7])) == [T] * 7


def test_six_rising_points_are_not_a_trend() -> None:
    assert flags(trend_of_seven([1, 2, 3, 4, 5, 6])) == [F] * 6


def test_seven_falling_points_are_a_trend() -> None:
    assert flags(trend_of_seven([7, 6, 5, 4, 3, 2, 1])) == [T] * 7


def test_a_tie_breaks_a_trend() -> None:
    # inputs: 1 2 3 rise, 3 3 tie, 3 4 5 6 7 rise -> 3 then 5 points, neither reaches 7
    values = [1, 2, 3, 3, 4, 5, 6, 7]
    # outputs
    assert flags(trend_of_seven(values)) == [F] * 8


def test_eight_rising_then_one_falling_flags_the_eight() -> None:
    # inputs
    values = [1, 2, 3, 4, 5, 6, 7, 8, 5]
    # outputs
    assert flags(trend_of_seven(values)) == [T, T, T, T, T, T, T, T, F]


def test_a_rise_then_a_fall_flags_both_trends() -> None:
    # inputs: 7 rising points, then 7 falling points sharing the peak
    values = [1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1]
    # outputs
    assert flags(trend_of_seven(values)) == [T] * 13


def test_trend_of_seven_of_an_empty_series_is_empty() -> None:
    assert flags(trend_of_seven([])) == []


def test_trend_of_seven_of_a_single_point_is_false() -> None:
    assert flags(trend_of_seven([3])) == [F]


# two_of_three_near_limit --------------------------------------------------------------------
# mean 0, limits ±3, so the near lines are at ±2 (two-thirds of the way to each limit). As in
# NHSRplotthedots 0.2.2 and the Making Data Count tools, a window of 3 consecutive points counts
# only when all three lie strictly on the same side of the mean, and a point is close to a limit
# only between the near line and the limit (one beyond the limit is the beyond-limits rule's).


def near(values: list[float]) -> list[bool]:
    return flags(two_of_three_near_limit(values, 0, -3, 3))


def test_two_adjacent_points_near_the_upper_limit_are_a_signal() -> None:
    assert near([1, 2.5, 2.5, 1]) == [F, T, T, F]


def test_two_adjacent_points_near_the_lower_limit_are_a_signal() -> None:
    assert near([-1, -2.5, -2.5, -1]) == [F, T, T, F]


def test_two_of_three_flags_the_near_points_but_not_the_third() -> None:
    assert near([2.5, 1, 2.5]) == [T, F, T]


def test_two_near_points_with_the_middle_point_across_the_mean_are_not_a_signal() -> None:
    # the third point of the window is below the mean, so the three are not on one side
    assert near([2.5, -1, 2.5]) == [F, F, F]


def test_a_window_with_a_point_exactly_on_the_mean_is_not_a_signal() -> None:
    assert near([0, 2.5, 2.5, 0]) == [F, F, F, F]


def test_two_near_points_alone_in_a_series_are_not_a_signal() -> None:
    # no window of three points exists
    assert near([2.5, 2.5]) == [F, F]


def test_two_near_limit_on_opposite_sides_is_not_a_signal() -> None:
    assert near([2.5, -2.5, 0, 2.5, -2.5]) == [F, F, F, F, F]


def test_two_near_points_three_apart_are_not_a_signal() -> None:
    assert near([2.5, 1, 1, 2.5]) == [F, F, F, F]


def test_one_near_point_is_not_a_signal() -> None:
    assert near([1, 2.5, 1]) == [F, F, F]


def test_points_exactly_on_the_near_line_are_not_near() -> None:
    assert near([2, 2, 1]) == [F, F, F]


def test_points_exactly_on_the_limit_are_near() -> None:
    assert near([3, 3, 1]) == [T, T, F]


def test_a_point_beyond_the_limit_does_not_count_as_near() -> None:
    # beyond, near, above the mean: only one point of the window is close to the limit
    assert near([3.5, 2.5, 1]) == [F, F, F]


def test_two_beyond_then_one_near_is_not_a_two_of_three_signal() -> None:
    # the last point is the first between the near line and the limit
    assert near([1, 3.5, 3.5, 2.5]) == [F, F, F, F]


def test_one_beyond_then_two_near_flags_the_two_near_points() -> None:
    assert near([1, 3.5, 2.5, 2.5]) == [F, F, T, T]


def test_two_near_points_at_the_end_of_the_series_are_a_signal() -> None:
    assert near([0, 0, 1, 2.5, 2.5]) == [F, F, F, T, T]


def test_two_of_three_of_an_empty_series_is_empty() -> None:
    assert near([]) == []


def test_two_of_three_of_a_series_shorter_than_seven_can_signal() -> None:
    assert near([1, 2.5, 2.6]) == [F, T, T]


def test_symmetric_near_points_give_no_two_of_three_signal() -> None:
    # inputs: every near point has its neighbours on the other side of the mean
    values = [2.5, -2.5, -1, 2.5, -2.5, 1, 2.5, -2.5]
    # outputs
    assert near(values) == [F] * 8


@given(st.lists(finite, max_size=30))
def test_every_two_of_three_point_is_close_to_a_limit_in_a_one_sided_window(
    values: list[float],
) -> None:
    # outputs: the rule restated point by point, with mean 0 and limits ±3
    got = near(values)
    close = [2 < abs(v) <= 3 for v in values]
    side = [(v > 0) - (v < 0) for v in values]
    for i, flagged in enumerate(got):
        windows = [range(s, s + 3) for s in (i - 2, i - 1, i) if s >= 0 and s + 3 <= len(values)]
        qualifying = any(
            side[w[0]] != 0
            and all(side[j] == side[w[0]] for j in w)
            and sum(close[j] for j in w) >= 2
            for w in windows
        )
        assert flagged == (close[i] and qualifying)
