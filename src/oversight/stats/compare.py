"""Verdicts in words: has a figure changed, and is a gap inside its band?

Every function answers with one of the phrases named below, never a bare percentage.
Scalar inputs give a `str`; array inputs give an object array of `str`, one per element.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.special import betainc
from scipy.stats import binom

from oversight.stats import _validate as check
from oversight.stats._validate import FloatArray, Words
from oversight.stats.intervals import CONFIDENCE, newcombe
from oversight.stats.spc import check_baseline, check_length, limits_of

SIGNIFICANT_INCREASE: Final = "significant increase"
SIGNIFICANT_DECREASE: Final = "significant decrease"
NO_SIGNIFICANT_CHANGE: Final = "no significant change"
NOT_COMPARABLE: Final = "not comparable"
"""No test: the two periods are not like for like (either is flagged for quality, or they lie in
different segments of the series: another source, or across a declared break)."""
ABOVE_AVERAGE: Final = "higher than the long-term average"
BELOW_AVERAGE: Final = "lower than the long-term average"
IN_LINE_WITH_AVERAGE: Final = "in line with the long-term average"
INSIDE_BAND: Final = "inside band"
OUTSIDE_BAND: Final = "outside band"
CANNOT_TELL: Final = "cannot tell"

PERIODS_PER_YEAR: Final = 12
"""Monthly series by default; pass 4 for quarters."""
BAND: Final = 5.0
"""Half-width, in percentage points, of the band a gap is judged against."""
_TINY: Final = 1e-300
"""Stands in for a zero shape parameter in a branch np.where discards, to keep betainc quiet."""


def _words(choice: npt.NDArray[np.object_]) -> Words:
    return str(choice[()]) if choice.ndim == 0 else choice


def _change(up: npt.NDArray[np.bool_], down: npt.NDArray[np.bool_]) -> Words:
    steady = np.where(down, SIGNIFICANT_DECREASE, NO_SIGNIFICANT_CHANGE)
    verdict = np.where(up, SIGNIFICANT_INCREASE, steady)
    return _words(verdict.astype(object))


# counts -------------------------------------------------------------------------------------


def count_change_p_value(
    count_now: FloatArray, count_before: FloatArray, share_now: FloatArray, dispersion: FloatArray | float = 1.0
) -> FloatArray:
    """Two-sided exact conditional binomial p-value (twice the smaller tail, capped at 1).

    Given n = now + before events, `count_now` is Binomial(n, share_now) when the two rates
    are equal; `share_now` is the exposure of the latest period over both exposures. With
    `dispersion` phi > 1 (variance phi × mean, quasi-Poisson) both counts are divided by phi
    first: phi events count as one. The tails of those fractional counts are regularised
    incomplete beta functions, which are the binomial tails for whole counts."""
    now, before, share, phi = (np.atleast_1d(a).ravel() for a in np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (count_now, count_before, share_now, dispersion))
    ))
    shape = np.broadcast_shapes(*(np.shape(a) for a in (count_now, count_before, share_now, dispersion)))
    total = now + before
    at_most, at_least = np.empty(now.size), np.empty(now.size)
    # Each tail is computed once, by the function for its kind of count: the binomial for whole
    # counts (phi = 1), the incomplete beta function for counts divided by phi.
    plain = phi == 1
    if plain.any():
        at_most[plain] = binom.cdf(now[plain], total[plain], share[plain])
        at_least[plain] = binom.sf(now[plain] - 1, total[plain], share[plain])
    scaled = ~plain
    if scaled.any():
        k, n, p = now[scaled] / phi[scaled], total[scaled] / phi[scaled], share[scaled]
        with np.errstate(invalid="ignore"):
            # P(X <= k) and P(X >= k) for X ~ Binomial(n, p); the other branch covers a zero shape
            at_most[scaled] = np.where(k >= n, 1.0, betainc(np.maximum(n - k, _TINY), k + 1, 1 - p))
            at_least[scaled] = np.where(k <= 0, 1.0, betainc(np.maximum(k, _TINY), n - k + 1, p))
    p_value = np.minimum(1.0, 2 * np.minimum(at_most, at_least)).reshape(shape)
    return np.asarray(p_value, dtype=np.float64)


def count_change(
    count_now: npt.ArrayLike,
    count_before: npt.ArrayLike,
    exposure_now: npt.ArrayLike = 1.0,
    exposure_before: npt.ArrayLike = 1.0,
    confidence: float = CONFIDENCE,
    dispersion: npt.ArrayLike = 1.0,
) -> npt.NDArray[np.int8]:
    """`compare_counts` as numbers, for tables of millions of comparisons: 1 for a significant
    increase, -1 for a significant decrease, 0 for no significant change."""
    func = "compare_counts"
    level = check.confidence(func, confidence)
    now = check.counts(func, "count_now", count_now)
    before = check.counts(func, "count_before", count_before)
    e_now = check.positive(func, "exposure_now", exposure_now)
    e_before = check.positive(func, "exposure_before", exposure_before)
    phi = check.numbers(func, "dispersion", dispersion)
    check.fail(func, "dispersion", "1 or more", np.asarray(dispersion), phi >= 1)
    now, before, e_now, e_before, phi = check.paired(
        func, "counts, exposures and dispersion", now, before, e_now, e_before, phi
    )
    significant = count_change_p_value(now, before, e_now / (e_now + e_before), phi) < 1 - level
    higher = now * e_before > before * e_now
    return np.where(significant, np.where(higher, 1, -1), 0).astype(np.int8)


def compare_counts(
    count_now: npt.ArrayLike,
    count_before: npt.ArrayLike,
    exposure_now: npt.ArrayLike = 1.0,
    exposure_before: npt.ArrayLike = 1.0,
    confidence: float = CONFIDENCE,
    dispersion: npt.ArrayLike = 1.0,
) -> Words:
    """Has the rate of events changed between two periods? Exact conditional binomial test.

    Exposures (population, days, or 1.0 for periods of equal length) make it a test of rates.
    `dispersion` is phi, how many times the variance of a count exceeds its mean (1 or more;
    `dispersion_by_series` estimates it from a monthly series); 1 is a Poisson count.
    Significant when the p-value is below 1 - confidence; two zero counts are no change."""
    direction = count_change(count_now, count_before, exposure_now, exposure_before, confidence, dispersion)
    return _change(direction > 0, direction < 0)


def _period_counts(func: str, counts: object, periods_per_year: int, needed: int) -> FloatArray:
    values = check.counts(func, "counts", counts)
    if values.ndim != 1:
        raise ValueError(
            f"{func}: counts must be a one-dimensional series; got an array of shape {values.shape}"
        )
    if values.size < needed:
        raise ValueError(
            f"{func}: counts has {values.size} periods; at least {needed} are needed "
            f"({periods_per_year} periods per year)"
        )
    return values


def compare_rolling_year(
    counts: npt.ArrayLike,
    periods_per_year: int = PERIODS_PER_YEAR,
    confidence: float = CONFIDENCE,
    dispersion: float = 1.0,
) -> str:
    """Latest 12 months (or `periods_per_year` periods) against the 12 before them; `dispersion`
    as for compare_counts (e.g. dispersion(counts))."""
    func = "compare_rolling_year"
    year = check.whole(func, "periods_per_year", periods_per_year, 1)
    values = _period_counts(func, counts, year, 2 * year)
    latest, previous = values[-year:].sum(), values[-2 * year : -year].sum()
    return str(compare_counts(latest, previous, confidence=confidence, dispersion=dispersion))


def compare_year_on_year(
    counts: npt.ArrayLike,
    periods_per_year: int = PERIODS_PER_YEAR,
    confidence: float = CONFIDENCE,
    dispersion: float = 1.0,
) -> str:
    """Latest period against the same period a year before; `dispersion` as for compare_counts."""
    func = "compare_year_on_year"
    year = check.whole(func, "periods_per_year", periods_per_year, 1)
    values = _period_counts(func, counts, year, year + 1)
    return str(compare_counts(values[-1], values[-1 - year], confidence=confidence, dispersion=dispersion))


# proportions and averages -------------------------------------------------------------------


def compare_survey_proportions(
    proportion_now: npt.ArrayLike,
    n_now: npt.ArrayLike,
    proportion_before: npt.ArrayLike,
    n_before: npt.ArrayLike,
    confidence: float = CONFIDENCE,
) -> Words:
    """Has a survey proportion (0 to 1) changed? Significant when the Newcombe interval of
    now - before excludes 0."""
    func = "compare_survey_proportions"
    level = check.confidence(func, confidence)
    p_now = check.proportions(func, "proportion_now", proportion_now)
    p_before = check.proportions(func, "proportion_before", proportion_before)
    size_now = check.positive(func, "n_now", n_now)
    size_before = check.positive(func, "n_before", n_before)
    p_now, size_now, p_before, size_before = check.paired(
        func, "proportions and sample sizes", p_now, size_now, p_before, size_before
    )
    gap = newcombe(p_now * size_now, size_now, p_before * size_before, size_before, level)
    return _change(np.asarray(gap.lower) > 0, np.asarray(gap.upper) < 0)


def compare_to_average(latest: float, history: npt.ArrayLike, baseline: int | None = None) -> str:
    """Is the latest value outside the XmR process limits of the earlier values?"""
    func = "compare_to_average"
    value = check.single(func, "latest", latest)
    past = check.series(func, "history", history)
    used = check_baseline(func, baseline) or past.size
    check_length(func, past, "history")
    limits = limits_of(past[:used])
    if value > limits.upper_limit:
        return ABOVE_AVERAGE
    if value < limits.lower_limit:
        return BELOW_AVERAGE
    return IN_LINE_WITH_AVERAGE


# bands --------------------------------------------------------------------------------------


def gap_against_band(
    diff: npt.ArrayLike, low: npt.ArrayLike, high: npt.ArrayLike, band: float = BAND
) -> Words:
    """Is a gap (percentage points, with its interval low..high) within ±band?

    'inside band' when the whole interval lies in [-band, band]; 'outside band' when none of
    it does; 'cannot tell' when it straddles a band edge (touching an edge counts as inside)."""
    func = "gap_against_band"
    width = float(check.positive(func, "band", band))
    gap = check.numbers(func, "diff", diff)
    lower = check.numbers(func, "low", low)
    upper = check.numbers(func, "high", high)
    gap, lower, upper = check.paired(func, "diff, low and high", gap, lower, upper)
    shown = np.broadcast_to(np.asarray(diff), gap.shape)
    check.fail(func, "diff", "between low and high", shown, (lower <= gap) & (gap <= upper))
    inside = (lower >= -width) & (upper <= width)
    outside = (lower > width) | (upper < -width)
    verdict = np.where(inside, INSIDE_BAND, np.where(outside, OUTSIDE_BAND, CANNOT_TELL))
    return _words(verdict.astype(object))

