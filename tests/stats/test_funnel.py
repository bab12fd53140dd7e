"""The funnel's limits and rank ranges, checked by simulation and by hand-worked cases."""

from __future__ import annotations

import numpy as np
import pytest

from oversight.stats import rate_ratio
from oversight.stats.funnel import HIGHER, LOWER, WITHIN, Funnel, funnel, log_precision, rank_ranges


def _units(rng: np.random.Generator, n: int, tau: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n units with true log ratios spread by tau around log 2, populations of 10^4..10^6."""
    pop_b = rng.integers(10_000, 200_000, n).astype(float)
    pop_w = rng.integers(200_000, 2_000_000, n).astype(float)
    true = np.exp(np.log(2.0) + rng.normal(0, tau, n))
    base = 0.01
    a = rng.poisson(base * true * pop_b).astype(float)
    b = rng.poisson(base * pop_w).astype(float)
    ratio = rate_ratio(a, pop_b, b, pop_w).estimate
    return ratio, log_precision(a, b), a


def test_without_spread_between_units_the_limits_cover_as_stated():
    rng = np.random.default_rng(20261206)
    ratio, w, _ = _units(rng, 4000, tau=0.0)
    f = funnel(ratio, w, reference=2.0)
    assert f.tau2 < 0.001
    low, high = f.limits(w, 0.95)
    inside = np.mean((ratio >= low) & (ratio <= high))
    assert 0.935 < inside < 0.965


def test_spread_between_units_is_estimated_and_the_limits_widen_to_cover_it():
    rng = np.random.default_rng(7)
    ratio, w, _ = _units(rng, 4000, tau=0.3)
    f = funnel(ratio, w, reference=2.0)
    # Spiegelhalter's winsorised estimate is biased low for normal spread, but of the right size.
    assert 0.05 < f.tau2 < 0.11
    low, high = f.limits(w, 0.95)
    allowed = np.mean((ratio >= low) & (ratio <= high))
    low, high = Funnel(2.0, 0.0, 4000).limits(w, 0.95)
    chance_only = np.mean((ratio >= low) & (ratio <= high))
    # Limits for chance alone hold under a fifth of units; with the allowance most, not all (the
    # winsorised estimate is low by design: it keeps outlying units from widening the funnel).
    assert chance_only < 0.2
    assert 0.85 < allowed < 0.95


def test_verdicts_follow_the_limits():
    f = funnel([1.0, 1.0, 1.0], [100.0, 100.0, 100.0], reference=1.0)
    assert f.tau2 == 0.0
    # At w = 100 the 99.8% limits are exp(±3.09/10): 0.734 and 1.362.
    assert f.verdicts([1.3, 1.4, 0.7], [100.0, 100.0, 100.0]) == [WITHIN, HIGHER, LOWER]


def test_precision_is_the_inverse_log_variance():
    assert log_precision([100], [300])[0] == pytest.approx(75.0)
    assert np.isnan(log_precision([0], [300])[0])


def test_overlapping_intervals_share_ranks():
    # A is wholly above C and D; B overlaps A and C; D is wholly below everything else.
    low = [5.0, 3.0, 2.0, 0.5]
    high = [7.0, 5.5, 3.2, 1.0]
    best, worst = rank_ranges(low, high)
    assert best.tolist() == [1, 1, 2, 4]
    assert worst.tolist() == [2, 3, 3, 4]


def test_rank_ranges_refuse_missing_intervals():
    with pytest.raises(ValueError, match="none missing"):
        rank_ranges([1.0, np.nan], [2.0, 3.0])
