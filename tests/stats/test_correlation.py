"""Correlation with Fisher-z intervals: against scipy's own Pearson interval, the published
Spearman variance factor, hand-made series and the edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm, pearsonr, spearmanr

from oversight.stats.correlation import correlation

RNG = np.random.default_rng(20161231)
X = RNG.normal(size=106)
Y = 0.6 * X + RNG.normal(size=106)


def test_pearson_and_its_interval_are_scipys():
    found = correlation(X, Y, "pearson")
    expected = pearsonr(X, Y)
    interval = expected.confidence_interval(0.95)
    assert found.estimate == pytest.approx(expected.statistic)
    assert (found.lower, found.upper) == (pytest.approx(interval.low), pytest.approx(interval.high))
    assert found.pairs == 106 and found.method == "pearson"


def test_spearman_interval_uses_the_fieller_hartley_pearson_variance():
    found = correlation(X, Y, "spearman")
    rho = spearmanr(X, Y).statistic
    half = norm.ppf(0.975) * math.sqrt(1.06 / (106 - 3))
    assert found.estimate == pytest.approx(rho)
    assert found.lower == pytest.approx(math.tanh(math.atanh(rho) - half))
    assert found.upper == pytest.approx(math.tanh(math.atanh(rho) + half))
    assert found.lower < found.estimate < found.upper


def test_a_perfect_rank_order_is_one_with_no_width():
    found = correlation([1, 2, 3, 4, 5], [2, 4, 8, 16, 32], "spearman")
    assert (found.estimate, found.lower, found.upper) == (pytest.approx(1.0), pytest.approx(1.0), pytest.approx(1.0))


def test_pairs_with_a_missing_value_are_left_out():
    x = [1.0, 2.0, np.nan, 4.0, 5.0, 6.0]
    y = [2.0, 1.0, 3.0, np.nan, 6.0, 5.0]
    found = correlation(x, y, "spearman")
    assert found.pairs == 4
    assert found.estimate == pytest.approx(spearmanr([1, 2, 5, 6], [2, 1, 6, 5]).statistic)


def test_too_few_pairs_or_no_variation_give_no_figure():
    assert math.isnan(correlation([1, 2, 3], [3, 2, 1]).estimate)
    assert correlation([1, 2, 3], [3, 2, 1]).pairs == 3
    assert math.isnan(correlation([1, 1, 1, 1, 1], [1, 2, 3, 4, 5]).estimate)


def test_a_wrong_method_is_named():
    with pytest.raises(ValueError, match="correlation: method must be 'spearman' or 'pearson'; got 'kendall'"):
        correlation(X, Y, "kendall")  # type: ignore[arg-type]
