"""Verdicts in words, checked on cases small enough to work by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binom, binomtest

from oversight.stats.compare import (
    BAND,
    PERIODS_PER_YEAR,
    compare_counts,
    compare_rolling_year,
    compare_survey_proportions,
    compare_to_average,
    compare_year_on_year,
    count_change_p_value,
    gap_against_band,
)

# Baseline worked by hand in test_spc.py: mean 10, limits 4.68 and 15.32.
HAND = [8, 11, 9, 12, 10, 8, 10, 12, 9, 11, 10, 10]
VERDICTS = {"significant increase", "significant decrease", "no significant change"}


# compare_counts -----------------------------------------------------------------------------

# inputs


def test_negative_count_raises() -> None:
    with pytest.raises(ValueError) as error:
        compare_counts(-3, 10)
    assert str(error.value) == (
        "compare_counts: count_now must be a whole number of 0 or more; got -3"
    )


def test_zero_exposure_raises() -> None:
    with pytest.raises(ValueError) as error:
        compare_counts(3, 10, exposure_before=0)
    assert str(error.value) == "compare_counts: exposure_before must be greater than 0; got 0"


# outputs


def test_six_events_against_none_is_a_significant_increase() -> None:
    # equal exposures, so under no change each of the 6 events is now with probability 1/2:
    # P(all 6 now) = 1/64 = 0.0156; two-sided p = 2 × 1/64 = 0.031 < 0.05
    assert compare_counts(6, 0) == "significant increase"


def test_five_events_against_none_is_not_significant() -> None:
    # P(all 5 now) = 1/32; two-sided p = 2/32 = 0.0625 > 0.05
    assert compare_counts(5, 0) == "no significant change"


def test_fewer_events_is_a_significant_decrease() -> None:
    assert compare_counts(10, 30) == "significant decrease"


def test_two_zero_counts_are_no_change() -> None:
    assert compare_counts(0, 0) == "no significant change"


def test_exposure_turns_counts_into_rates() -> None:
    # 30 events in 3 years against 10 in 1 year is the same rate
    assert compare_counts(30, 10, exposure_now=3.0) == "no significant change"


def test_compare_counts_is_vectorised() -> None:
    verdicts = compare_counts(np.array([30, 10, 22]), np.array([10, 30, 18]))
    assert list(verdicts) == [
        "significant increase",
        "significant decrease",
        "no significant change",
    ]


@pytest.mark.parametrize(("now", "before", "share"), [(30, 10, 0.5), (7, 20, 0.4), (3, 1, 0.25)])
def test_p_value_is_twice_the_smaller_exact_binomial_tail(
    now: int, before: int, share: float
) -> None:
    n = now + before
    greater = binomtest(now, n, share, alternative="greater").pvalue
    less = binomtest(now, n, share, alternative="less").pvalue
    expected = min(1.0, 2 * min(greater, less))
    result = count_change_p_value(np.array(now, float), np.array(before, float), np.array(share))
    assert float(result) == pytest.approx(expected)


@given(st.integers(0, 5000), st.integers(0, 5000))
def test_compare_counts_always_answers_in_words(now: int, before: int) -> None:
    verdict = compare_counts(now, before)
    assert verdict in VERDICTS
    if now == before:
        assert verdict == "no significant change"


# compare_counts with overdispersion ----------------------------------------------------------


def test_dispersion_below_one_raises() -> None:
    with pytest.raises(ValueError) as error:
        compare_counts(30, 10, dispersion=0.5)
    assert str(error.value) == "compare_counts: dispersion must be 1 or more; got 0.5"


def test_missing_dispersion_raises() -> None:
    with pytest.raises(ValueError) as error:
        compare_counts([30, 10], [10, 30], dispersion=[2.0, np.nan])
    assert str(error.value) == (
        "compare_counts: dispersion must be finite (not missing or infinite); "
        "1 of 2 values is not, at index 1 (nan)"
    )


@given(st.integers(0, 3000), st.integers(0, 3000), st.floats(0.05, 0.95))
def test_dispersion_one_is_the_exact_binomial_test_bit_for_bit(now: int, before: int, share: float) -> None:
    total = now + before
    expected = min(1.0, 2 * min(binom.cdf(now, total, share), binom.sf(now - 1, total, share)))
    got = count_change_p_value(np.array(now, float), np.array(before, float), np.array(share))
    assert float(got) == expected


def test_a_borough_month_five_percent_up_is_significant_only_as_poisson() -> None:
    # a busy borough's month of about 6,000 crimes, 5% above the same month a year before;
    # London boroughs' monthly counts vary 4 to 10 times as much as Poisson counts would
    assert compare_counts(6300, 6000) == "significant increase"
    assert compare_counts(6300, 6000, dispersion=6.6) == "no significant change"


def test_dispersion_divides_the_counts() -> None:
    # phi events count as one: 60 against 20 at phi 2 is 30 against 10 as Poisson counts
    p_scaled = count_change_p_value(np.array(60.0), np.array(20.0), np.array(0.5), 2.0)
    p_plain = count_change_p_value(np.array(30.0), np.array(10.0), np.array(0.5))
    assert float(p_scaled) == pytest.approx(float(p_plain))


def test_dispersion_is_vectorised_per_pair() -> None:
    verdicts = compare_counts([6300, 6300], [6000, 6000], dispersion=[1.0, 6.6])
    assert list(verdicts) == ["significant increase", "no significant change"]


@given(st.integers(0, 5000), st.integers(0, 5000), st.floats(1, 50), st.floats(1, 50))
def test_more_dispersion_never_makes_a_change_more_significant(
    now: int, before: int, phi: float, more: float
) -> None:
    low, high = sorted((phi, more))
    p_low = count_change_p_value(np.array(now, float), np.array(before, float), np.array(0.5), low)
    p_high = count_change_p_value(np.array(now, float), np.array(before, float), np.array(0.5), high)
    assert float(p_high) >= float(p_low) - 1e-12


def test_rolling_year_and_year_on_year_take_a_dispersion() -> None:
    months = [1000] * 12 + [1050] * 12
    assert compare_rolling_year(months) == "significant increase"
    assert compare_rolling_year(months, dispersion=20.0) == "no significant change"
    assert compare_year_on_year([1000] * 12 + [1150]) == "significant increase"
    assert compare_year_on_year([1000] * 12 + [1150], dispersion=20.0) == "no significant change"


# compare_rolling_year and compare_year_on_year ----------------------------------------------


def test_rolling_year_needs_two_years() -> None:
    with pytest.raises(ValueError) as error:
        compare_rolling_year([10] * 20)
    assert str(error.value) == (
        "compare_rolling_year: counts has 20 periods; at least 24 are needed "
        "(12 periods per year)"
    )


def test_year_on_year_needs_a_year_and_a_period() -> None:
    with pytest.raises(ValueError) as error:
        compare_year_on_year([10] * 4, periods_per_year=4)
    assert str(error.value) == (
        "compare_year_on_year: counts has 4 periods; at least 5 are needed (4 periods per year)"
    )


def test_rolling_year_compares_the_latest_twelve_months_with_the_twelve_before() -> None:
    # 3 early months are ignored; then 12 × 10 = 120 against 12 × 13 = 156
    months = [500, 500, 500, *[10] * 12, *[13] * 12]
    assert PERIODS_PER_YEAR == 12
    assert compare_rolling_year(months) == "significant increase"


def test_rolling_year_with_similar_years_is_no_change() -> None:
    assert compare_rolling_year([10] * 12 + [11] * 12) == "no significant change"


def test_year_on_year_compares_the_latest_month_with_the_same_month_last_year() -> None:
    # latest 40 against 10 twelve months earlier; the months between are ignored
    months = [10, *[1000] * 11, 40]
    assert compare_year_on_year(months) == "significant increase"


def test_year_on_year_works_for_quarters() -> None:
    assert compare_year_on_year([40, 0, 0, 0, 10], periods_per_year=4) == "significant decrease"


# compare_survey_proportions -----------------------------------------------------------------


def test_survey_percentage_raises() -> None:
    with pytest.raises(ValueError) as error:
        compare_survey_proportions(80, 70, 0.6, 80)
    assert str(error.value) == (
        "compare_survey_proportions: proportion_now must be between 0 and 1 "
        "(not a percentage); got 80"
    )


def test_survey_rise_whose_newcombe_interval_excludes_zero_is_significant() -> None:
    # Newcombe (1998) example (a): 56/70 - 48/80 = 0.20, interval 0.0524 to 0.3339
    assert compare_survey_proportions(56 / 70, 70, 48 / 80, 80) == "significant increase"
    assert compare_survey_proportions(48 / 80, 80, 56 / 70, 70) == "significant decrease"


def test_small_survey_change_is_not_significant() -> None:
    assert compare_survey_proportions(0.50, 100, 0.48, 100) == "no significant change"


def test_survey_comparison_is_vectorised() -> None:
    verdicts = compare_survey_proportions([0.5, 0.4], 1000, 0.45, 1000)
    assert list(verdicts) == ["significant increase", "significant decrease"]


# compare_to_average -------------------------------------------------------------------------


def test_average_needs_twelve_points_of_history() -> None:
    with pytest.raises(ValueError) as error:
        compare_to_average(12, HAND[:6])
    assert str(error.value) == (
        "compare_to_average: history has 6 points; at least 12 are needed "
        "to compute process limits"
    )


def test_latest_must_be_one_number() -> None:
    with pytest.raises(ValueError) as error:
        compare_to_average([1, 2], HAND)  # type: ignore[arg-type]
    assert str(error.value) == (
        "compare_to_average: latest must be a single number; got an array of shape (2,)"
    )


@pytest.mark.parametrize(
    ("latest", "verdict"),
    [
        (16, "higher than the long-term average"),
        (15.32, "in line with the long-term average"),
        (10, "in line with the long-term average"),
        (4, "lower than the long-term average"),
    ],
)
def test_latest_is_judged_against_the_process_limits(latest: float, verdict: str) -> None:
    assert compare_to_average(latest, HAND) == verdict


# gap_against_band ---------------------------------------------------------------------------


def test_diff_outside_its_own_interval_raises() -> None:
    with pytest.raises(ValueError) as error:
        gap_against_band([2, 7], [1, 1], [3, 3])
    assert str(error.value) == (
        "gap_against_band: diff must be between low and high; 1 of 2 values is not, at index 1 (7)"
    )


def test_band_must_be_positive() -> None:
    with pytest.raises(ValueError) as error:
        gap_against_band(1, 0, 2, band=0)
    assert str(error.value) == "gap_against_band: band must be greater than 0; got 0"


@pytest.mark.parametrize(
    ("diff", "low", "high", "verdict"),
    [
        (1.0, -2.0, 4.0, "inside band"),
        (0.0, -5.0, 5.0, "inside band"),
        (8.0, 6.0, 10.0, "outside band"),
        (-8.0, -10.0, -6.0, "outside band"),
        (4.0, 2.0, 6.0, "cannot tell"),
        (-4.0, -7.0, 1.0, "cannot tell"),
        (6.0, 5.0, 7.0, "cannot tell"),
        (0.0, -9.0, 9.0, "cannot tell"),
    ],
)
def test_gap_against_the_five_point_band(
    diff: float, low: float, high: float, verdict: str
) -> None:
    assert BAND == 5.0
    assert gap_against_band(diff, low, high) == verdict


def test_gap_against_band_is_vectorised() -> None:
    verdicts = gap_against_band([1, 8], [-2, 6], [4, 10], band=5.0)
    assert list(verdicts) == ["inside band", "outside band"]
