"""Correlation between two figures measured on the same areas, with a confidence interval.

Across areas, a correlation says whether places high on one figure tend to be high on the
other; it does not say that one causes the other. Intervals use Fisher's z transformation:
z = atanh(r) with standard error 1/sqrt(n - 3) for Pearson's r, and sqrt(1.06 / (n - 3)) for
Spearman's rank correlation (Fieller, Hartley and Pearson 1957, Biometrika 44:470-481), then
back-transformed with tanh. Pairs with a missing value are left out.
"""

from __future__ import annotations

import math
from typing import Final, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.stats import pearsonr, spearmanr

from oversight.stats import _validate as check
from oversight.stats.intervals import CONFIDENCE, z_value

Method = Literal["spearman", "pearson"]
MIN_PAIRS: Final = 4
"""Fewest pairs with an interval: Fisher's z needs n - 3 > 0."""
SPEARMAN_VARIANCE: Final = 1.06
"""Fieller, Hartley and Pearson's variance factor for the z of Spearman's rank correlation."""


class Correlation(NamedTuple):
    """A correlation coefficient, its confidence interval and the number of pairs it rests on."""

    method: str
    estimate: float
    lower: float
    upper: float
    pairs: int


def correlation(x: npt.ArrayLike, y: npt.ArrayLike, method: Method = "spearman",
                confidence: float = CONFIDENCE) -> Correlation:
    """Spearman's or Pearson's correlation of x and y (missing pairs left out) with its interval;
    NaN throughout when fewer than MIN_PAIRS pairs remain or either figure does not vary."""
    func = "correlation"
    level = check.confidence(func, confidence)
    if method not in ("spearman", "pearson"):
        raise ValueError(f"{func}: method must be 'spearman' or 'pearson'; got {method!r}")
    a = check.numbers(func, "x", x, allow_missing=True)
    b = check.numbers(func, "y", y, allow_missing=True)
    a, b = check.paired(func, "x and y", a, b)
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    pairs = int(a.size)
    if pairs < MIN_PAIRS or np.ptp(a) == 0 or np.ptp(b) == 0:
        return Correlation(method, math.nan, math.nan, math.nan, pairs)
    estimate = float(spearmanr(a, b).statistic if method == "spearman" else pearsonr(a, b).statistic)
    lower, upper = fisher_interval(estimate, pairs, method, level)
    return Correlation(method, estimate, lower, upper, pairs)


def fisher_interval(estimate: float, pairs: int, method: Method, confidence: float) -> tuple[float, float]:
    """The interval of a correlation from Fisher's z (see the module docstring)."""
    if abs(estimate) >= 1:
        return estimate, estimate
    variance = (SPEARMAN_VARIANCE if method == "spearman" else 1.0) / (pairs - 3)
    z = math.atanh(estimate)
    half = z_value(confidence) * math.sqrt(variance)
    return math.tanh(z - half), math.tanh(z + half)
