"""Intervals checked against published values and calculations worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest

from oversight.stats.intervals import (
    CONFIDENCE,
    RATE_PER,
    Interval,
    clopper_pearson_interval,
    newcombe_difference,
    poisson_interval,
    rate_interval,
    rate_ratio,
    survey_interval,
    wilson_interval,
    z_value,
)

counts = st.integers(min_value=0, max_value=100_000)
positive_counts = st.integers(min_value=1, max_value=100_000)
sizes = st.integers(min_value=1, max_value=100_000)
denominators = st.floats(min_value=1.0, max_value=1e8, allow_nan=False)


def ordered(interval: Interval) -> bool:
    estimate, lower, upper = interval
    return bool(np.all(lower <= estimate) and np.all(estimate <= upper))


# shared inputs ------------------------------------------------------------------------------


def test_constants() -> None:
    assert CONFIDENCE == 0.95
    assert RATE_PER == 1_000
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)


def test_confidence_given_as_a_percentage_raises() -> None:
    with pytest.raises(ValueError) as error:
        poisson_interval(10, confidence=95)
    assert str(error.value) == (
        "poisson_interval: confidence must be between 0 and 1 (e.g. 0.95); got 95"
    )


# poisson_interval ---------------------------------------------------------------------------

# inputs


def test_negative_count_raises() -> None:
    with pytest.raises(ValueError) as error:
        poisson_interval([3, -1, 2])
    assert str(error.value) == (
        "poisson_interval: count must be a whole number of 0 or more; "
        "1 of 3 values is not, at index 1 (-1)"
    )


def test_fractional_counts_raise() -> None:
    with pytest.raises(ValueError) as error:
        poisson_interval([2.5, 3, 0.5])
    assert str(error.value) == (
        "poisson_interval: count must be a whole number of 0 or more; "
        "2 of 3 values are not, the first at index 0 (2.5)"
    )


# outputs


def test_exact_poisson_interval_for_ten_events_matches_garwood() -> None:
    # Garwood (1936) table value for 10 events at 95%: 4.795 to 18.390
    interval = poisson_interval(10)
    assert interval.estimate == 10
    assert round(float(interval.lower), 3) == 4.795
    assert round(float(interval.upper), 3) == 18.390


def test_zero_events_have_lower_limit_zero() -> None:
    # upper = chi2(0.975, 2) / 2 = -ln(0.025) = 3.689
    interval = poisson_interval(0)
    assert interval.lower == 0.0
    assert float(interval.upper) == pytest.approx(-math.log(0.025))


def test_poisson_interval_is_vectorised() -> None:
    interval = poisson_interval(np.array([0, 1, 10]))
    assert interval.lower.shape == (3,)
    assert float(interval.upper[1]) == pytest.approx(5.5716, abs=1e-4)  # published: 5.572
    assert float(interval.lower[1]) == pytest.approx(0.0253, abs=1e-4)  # published: 0.0253


def test_scalar_input_gives_scalar_output() -> None:
    assert np.ndim(poisson_interval(4).lower) == 0


@given(counts)
def test_poisson_interval_contains_the_count(count: int) -> None:
    assert ordered(poisson_interval(count))


# rate_interval ------------------------------------------------------------------------------


def test_zero_denominator_raises() -> None:
    with pytest.raises(ValueError) as error:
        rate_interval(4, 0)
    assert str(error.value) == "rate_interval: denominator must be greater than 0; got 0"


def test_mismatched_shapes_raise() -> None:
    with pytest.raises(ValueError) as error:
        rate_interval([1, 2, 3], [100, 200])
    assert str(error.value) == (
        "rate_interval: count and denominator must have matching shapes; got (3,) and (2,)"
    )


def test_rate_per_thousand_scales_the_poisson_interval() -> None:
    # 10 events among 5,000 people: 10 / 5000 × 1000 = 2.0 per 1,000;
    # limits 4.795 / 5 = 0.959 and 18.390 / 5 = 3.678
    interval = rate_interval(10, 5000)
    assert float(interval.estimate) == pytest.approx(2.0)
    assert round(float(interval.lower), 3) == 0.959
    assert round(float(interval.upper), 3) == 3.678


def test_rate_per_hundred_thousand() -> None:
    interval = rate_interval(10, 5000, per=100_000)
    assert float(interval.estimate) == pytest.approx(200.0)


@given(counts, denominators)
def test_rate_interval_contains_the_rate(count: int, denominator: float) -> None:
    assert ordered(rate_interval(count, denominator))


# wilson_interval ----------------------------------------------------------------------------


def test_more_successes_than_trials_raises() -> None:
    with pytest.raises(ValueError) as error:
        wilson_interval([11, 5], 10)
    assert str(error.value) == (
        "wilson_interval: successes must be between 0 and n; 1 of 2 values is not, at index 0 (11)"
    )


def test_wilson_interval_for_8_of_10_matches_the_hand_calculation() -> None:
    # z = 1.959964, z² = 3.841459
    # centre = (8 + z²/2) / (10 + z²)               = 9.920729 / 13.841459 = 0.716740
    # half   = z / (10 + z²) × √(8 × 2 / 10 + z²/4) = 0.141601 × 1.600114  = 0.226578
    # limits = 0.716740 ∓ 0.226578                  -> 0.490162 and 0.943318
    interval = wilson_interval(8, 10)
    assert float(interval.estimate) == 0.8
    assert float(interval.lower) == pytest.approx(0.490162, abs=1e-6)
    assert float(interval.upper) == pytest.approx(0.943318, abs=1e-6)


def test_wilson_interval_at_the_edges_stays_in_zero_to_one() -> None:
    # 0 of 10: upper = z² / (10 + z²) = 3.841459 / 13.841459 = 0.277533
    interval = wilson_interval([0, 10], 10)
    assert list(interval.lower) == pytest.approx([0.0, 1 - 0.277533], abs=1e-6)
    assert list(interval.upper) == pytest.approx([0.277533, 1.0], abs=1e-6)


@given(sizes, st.floats(min_value=0, max_value=1))
def test_wilson_interval_contains_the_proportion(n: int, share: float) -> None:
    assert ordered(wilson_interval(round(n * share), n))


# clopper_pearson_interval -------------------------------------------------------------------


def test_clopper_pearson_needs_whole_numbers() -> None:
    with pytest.raises(ValueError) as error:
        clopper_pearson_interval(2.5, 10)
    assert str(error.value) == (
        "clopper_pearson_interval: successes must be a whole number of 0 or more; got 2.5"
    )


@pytest.mark.parametrize(("x", "n"), [(0, 10), (3, 10), (8, 10), (10, 10), (1, 1), (17, 250)])
def test_clopper_pearson_matches_scipy_exact_binomial(x: int, n: int) -> None:
    expected = binomtest(x, n).proportion_ci(confidence_level=0.95, method="exact")
    interval = clopper_pearson_interval(x, n)
    assert float(interval.lower) == pytest.approx(expected.low, abs=1e-10)
    assert float(interval.upper) == pytest.approx(expected.high, abs=1e-10)


def test_clopper_pearson_is_vectorised() -> None:
    interval = clopper_pearson_interval([0, 3, 10], 10)
    assert list(interval.estimate) == [0.0, 0.3, 1.0]
    assert float(interval.lower[0]) == 0.0
    assert float(interval.upper[2]) == 1.0


@given(sizes, st.floats(min_value=0, max_value=1))
def test_clopper_pearson_contains_the_proportion(n: int, share: float) -> None:
    assert ordered(clopper_pearson_interval(round(n * share), n))


# survey_interval ----------------------------------------------------------------------------


def test_survey_proportion_given_as_a_percentage_raises() -> None:
    with pytest.raises(ValueError) as error:
        survey_interval(45, 1000)
    assert str(error.value) == (
        "survey_interval: proportion must be between 0 and 1 (not a percentage); got 45"
    )


def test_survey_interval_equals_wilson_on_the_implied_count() -> None:
    survey = survey_interval(0.8, 10)
    wilson = wilson_interval(8, 10)
    assert float(survey.lower) == pytest.approx(float(wilson.lower))
    assert float(survey.upper) == pytest.approx(float(wilson.upper))


def test_design_effect_shrinks_the_sample() -> None:
    # 500 respondents with a design effect of 2 count as 250: the Wilson interval of 125/250
    survey = survey_interval(0.5, 500, design_effect=2.0)
    wilson = wilson_interval(125, 250)
    assert float(survey.lower) == pytest.approx(float(wilson.lower))
    assert float(survey.upper) == pytest.approx(float(wilson.upper))


@given(st.floats(min_value=0, max_value=1), st.floats(min_value=1, max_value=1e6))
def test_survey_interval_contains_the_proportion(p: float, n: float) -> None:
    assert ordered(survey_interval(p, n))


# newcombe_difference ------------------------------------------------------------------------


def test_newcombe_matches_the_published_worked_example() -> None:
    # Newcombe (1998) Statistics in Medicine 17:873-890, method 10, example (a):
    # 56/70 - 48/80 = 0.2000, 95% interval 0.0524 to 0.3339
    interval = newcombe_difference(56, 70, 48, 80)
    assert round(float(interval.estimate), 4) == 0.2000
    assert round(float(interval.lower), 4) == 0.0524
    assert round(float(interval.upper), 4) == 0.3339


def test_newcombe_of_two_zero_proportions_is_the_wilson_upper_limit_both_ways() -> None:
    # 0/10 - 0/10: each Wilson interval is 0 to 0.277533, so the limits are ∓ 0.277533
    interval = newcombe_difference(0, 10, 0, 10)
    assert float(interval.lower) == pytest.approx(-0.277533, abs=1e-6)
    assert float(interval.upper) == pytest.approx(0.277533, abs=1e-6)


@given(sizes, st.floats(0, 1), sizes, st.floats(0, 1))
def test_newcombe_contains_the_difference(n1: int, s1: float, n2: int, s2: float) -> None:
    assert ordered(newcombe_difference(round(n1 * s1), n1, round(n2 * s2), n2))


# rate_ratio ---------------------------------------------------------------------------------


def test_rate_ratio_matches_the_hand_calculation() -> None:
    # 30 per 10,000 against 20 per 20,000: RR = 0.003 / 0.001 = 3.0
    # SE(log RR) = √(1/30 + 1/20) = √0.083333 = 0.288675; z × SE = 0.565793
    # limits = 3 × e^∓0.565793 = 3 × 0.567910 and 3 × 1.760843 -> 1.703729 and 5.282530
    interval = rate_ratio(30, 10_000, 20, 20_000)
    assert float(interval.estimate) == pytest.approx(3.0)
    assert float(interval.lower) == pytest.approx(1.703729, abs=1e-6)
    assert float(interval.upper) == pytest.approx(5.282530, abs=1e-6)


def test_rate_ratio_with_a_zero_count_has_no_interval() -> None:
    interval = rate_ratio([0, 5, 0], 1000, [5, 0, 0], 1000)
    assert list(interval.estimate[:1]) == [0.0]
    assert np.isnan(interval.estimate[1:]).all()
    assert np.isnan(interval.lower).all()
    assert np.isnan(interval.upper).all()


@given(positive_counts, denominators, positive_counts, denominators)
def test_rate_ratio_contains_the_ratio(a: int, da: float, b: int, db: float) -> None:
    assert ordered(rate_ratio(a, da, b, db))


def test_survey_interval_keeps_a_tiny_proportion_inside() -> None:
    # p * n / n rounds above p here; found by hypothesis
    assert ordered(survey_interval(5.9e-204, 9.998649932496626))
