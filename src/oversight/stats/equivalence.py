"""Is a gap between two survey proportions within a band? Two one-sided tests (Schuirmann 1987)
read from the Newcombe interval, with their p-values (docs/methods.md)."""

from __future__ import annotations

from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

from oversight.stats import _validate as check
from oversight.stats._validate import FloatArray, Floats, Words
from oversight.stats.compare import BAND, gap_against_band
from oversight.stats.intervals import CONFIDENCE, newcombe, wilson_at


class BandTest(NamedTuple):
    """A gap between two survey proportions judged against a band of ±`band` points."""

    gap: Floats
    """p1 - p2 in percentage points."""
    lower: Floats
    """Newcombe limits of the gap at the confidence asked for, in points."""
    upper: Floats
    p_below: Floats
    """p-value of the one-sided test of 'the gap is at or below -band' (small: it is above)."""
    p_above: Floats
    """p-value of the one-sided test of 'the gap is at or above +band' (small: it is below)."""
    verdict: Words
    """'inside band', 'outside band' or 'cannot tell' (gap_against_band of the interval)."""


_Z_MOST: Final = 10.0
"""Largest z searched when inverting the interval: a p-value below norm.sf(10) (8e-24) is given as that."""


def _newcombe_limits_at(
    x1: FloatArray, n1: FloatArray, x2: FloatArray, n2: FloatArray, z: FloatArray
) -> tuple[FloatArray, FloatArray]:
    p1, p2 = x1 / n1, x2 / n2
    low1, high1 = wilson_at(x1, n1, z)
    low2, high2 = wilson_at(x2, n2, z)
    difference = p1 - p2
    return (difference - np.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2),
            difference + np.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2))


def _z_where(
    limit: int, target: FloatArray, x1: FloatArray, n1: FloatArray, x2: FloatArray, n2: FloatArray
) -> FloatArray:
    """The z at which the Newcombe lower (limit 0) or upper (limit 1) limit reaches `target`, by
    bisection (each limit moves away from the estimate as z grows); _Z_MOST when it never does."""
    low, high = np.zeros_like(target), np.full_like(target, _Z_MOST)
    sign = -1.0 if limit == 0 else 1.0  # how the limit moves with z
    for _ in range(60):
        middle = (low + high) / 2
        reached = sign * (_newcombe_limits_at(x1, n1, x2, n2, middle)[limit] - target) >= 0
        high, low = np.where(reached, middle, high), np.where(reached, low, middle)
    return np.asarray(high, dtype=np.float64)


def survey_gap_against_band(
    proportion_1: npt.ArrayLike,
    n_1: npt.ArrayLike,
    proportion_2: npt.ArrayLike,
    n_2: npt.ArrayLike,
    band: float = BAND,
    confidence: float = CONFIDENCE,
    design_effect: float = 1.0,
) -> BandTest:
    """Is the gap p1 - p2 between two independent survey proportions (0 to 1) within ±band points?

    An equivalence question, answered with two one-sided tests (Schuirmann 1987), each at
    (1 - confidence) / 2: 'the gap is at or below -band' and 'the gap is at or above +band'.
    Both rejected: 'inside band'. The tests are those the Newcombe (1998, method 10) interval
    at `confidence` inverts, so the verdict is read from that interval: inside when it lies
    within the band, outside when it lies wholly beyond an edge, 'cannot tell' otherwise. At the
    default 0.95 each one-sided test is at 2.5%, stricter than the 5% of a 90% interval, so the
    verdict agrees with the 95% interval that is shown. The p-values come from inverting the
    same interval: the z at which its limit reaches the band edge. Respondents n / design_effect."""
    func = "survey_gap_against_band"
    level = check.confidence(func, confidence)
    width = float(check.positive(func, "band", band))
    p1 = check.proportions(func, "proportion_1", proportion_1)
    p2 = check.proportions(func, "proportion_2", proportion_2)
    size1 = check.positive(func, "n_1", n_1)
    size2 = check.positive(func, "n_2", n_2)
    effect = float(check.positive(func, "design_effect", design_effect))
    p1, size1, p2, size2 = check.paired(func, "proportions and sample sizes", p1, size1, p2, size2)
    n1, n2 = size1 / effect, size2 / effect
    x1, x2 = p1 * n1, p2 * n2
    interval = newcombe(x1, n1, x2, n2, level)
    gap = np.asarray(interval.estimate, dtype=np.float64)
    edge = width / 100
    p_values = []
    for target in (-edge, edge):  # H0: gap <= -band, then H0: gap >= +band
        # the limit on the far side of the edge from the estimate reaches it at z*
        towards = np.where(gap > target, 0, 1)
        z = np.where(towards == 0, _z_where(0, np.full_like(gap, target), x1, n1, x2, n2),
                     _z_where(1, np.full_like(gap, target), x1, n1, x2, n2))
        # H0 below the edge (first test): small when the estimate is above it; mirrored for the second
        beyond = gap > target if target < 0 else gap < target
        p = np.where(beyond, norm.sf(z), norm.cdf(z))
        p_values.append(np.where(gap == target, 0.5, p))
    lower = np.asarray(interval.lower, dtype=np.float64) * 100
    upper = np.asarray(interval.upper, dtype=np.float64) * 100
    verdict = gap_against_band(gap * 100, np.minimum(lower, gap * 100), np.maximum(upper, gap * 100), width)
    gap_points, low_points, high_points, p_below, p_above = (
        check.scalar_or_array(np.asarray(a, dtype=np.float64)) for a in (gap * 100, lower, upper, *p_values))
    return BandTest(gap_points, low_points, high_points, p_below, p_above, verdict)
