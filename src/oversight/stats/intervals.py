"""Confidence intervals for counts, rates, proportions, differences and rate ratios.

Every function is vectorised: pass scalars for one interval or arrays (which broadcast
together) for many. Each returns an `Interval(estimate, lower, upper)`; scalar inputs give
numpy scalars. Formulas and sources are in docs/methods.md.
"""

from __future__ import annotations

from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.stats import beta, chi2, norm

from oversight.stats import _validate as check
from oversight.stats._validate import FloatArray, Floats

CONFIDENCE: Final = 0.95
"""Default confidence level of every interval."""
RATE_PER: Final = 1_000
"""Rates are published per this many people (or other denominator units)."""


class Interval(NamedTuple):
    """An estimate with the lower and upper ends of its confidence interval."""

    estimate: Floats
    lower: Floats
    upper: Floats


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile (1.959964 for 0.95)."""
    return float(norm.ppf(0.5 + confidence / 2))


def _interval(estimate: FloatArray, lower: FloatArray, upper: FloatArray) -> Interval:
    parts = (np.asarray(a, dtype=np.float64) for a in (estimate, lower, upper))
    return Interval(*(check.scalar_or_array(part) for part in parts))


def _proportion_inputs(func: str, successes: object, n: object) -> tuple[FloatArray, FloatArray]:
    x = check.numbers(func, "successes", successes)
    size = check.positive(func, "n", n)
    x, size = check.paired(func, "successes and n", x, size)
    shown = np.broadcast_to(np.asarray(successes), x.shape)
    check.fail(func, "successes", "between 0 and n", shown, (x >= 0) & (x <= size))
    return x, size


# counts and rates ---------------------------------------------------------------------------


def garwood(count: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Exact Poisson limits for checked counts: chi-squared quantiles halved."""
    alpha = 1 - confidence
    lower = np.where(count > 0, chi2.ppf(alpha / 2, 2 * np.maximum(count, 1)) / 2, 0.0)
    upper = chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    return lower, upper


def poisson_interval(count: npt.ArrayLike, confidence: float = CONFIDENCE) -> Interval:
    """Exact (Garwood) interval for a Poisson count; a count of 0 has lower limit 0."""
    level = check.confidence("poisson_interval", confidence)
    k = check.counts("poisson_interval", "count", count)
    return _interval(k, *garwood(k, level))


def rate_interval(
    count: npt.ArrayLike,
    denominator: npt.ArrayLike,
    per: float = RATE_PER,
    confidence: float = CONFIDENCE,
) -> Interval:
    """Rate per `per` (count / denominator × per) with the exact Poisson interval of the count
    scaled the same way. The denominator is treated as known exactly."""
    func = "rate_interval"
    level = check.confidence(func, confidence)
    k = check.counts(func, "count", count)
    population = check.positive(func, "denominator", denominator)
    scale = float(check.positive(func, "per", per))
    k, population = check.paired(func, "count and denominator", k, population)
    lower, upper = garwood(k, level)
    factor = scale / population
    return _interval(k * factor, lower * factor, upper * factor)


# proportions --------------------------------------------------------------------------------


def wilson(x: FloatArray, n: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Wilson score limits for checked x (0..n, may be fractional) and n > 0."""
    return wilson_at(x, n, z_value(confidence))


def wilson_at(x: FloatArray, n: FloatArray, z: FloatArray | float) -> tuple[FloatArray, FloatArray]:
    """Wilson score limits at a given standard normal quantile z (which may vary by element)."""
    p = x / n
    spread = z * z
    centre = (x + spread / 2) / (n + spread)
    half = z / (n + spread) * np.sqrt(x * (n - x) / n + spread / 4)
    lower = np.where(x == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    upper = np.where(x == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    # guard against round-off putting a limit on the wrong side of the estimate
    return np.minimum(lower, p), np.maximum(upper, p)


def wilson_interval(
    successes: npt.ArrayLike, n: npt.ArrayLike, confidence: float = CONFIDENCE
) -> Interval:
    """Wilson score interval for the proportion successes / n."""
    level = check.confidence("wilson_interval", confidence)
    x, size = _proportion_inputs("wilson_interval", successes, n)
    return _interval(x / size, *wilson(x, size, level))


def clopper_pearson_interval(
    successes: npt.ArrayLike, n: npt.ArrayLike, confidence: float = CONFIDENCE
) -> Interval:
    """Exact (Clopper-Pearson) interval for successes / n, from beta quantiles."""
    func = "clopper_pearson_interval"
    level = check.confidence(func, confidence)
    check.counts(func, "successes", successes)
    check.counts(func, "n", n)
    x, size = _proportion_inputs(func, successes, n)
    alpha = 1 - level
    lower = np.where(x > 0, beta.ppf(alpha / 2, np.maximum(x, 1), size - x + 1), 0.0)
    upper = np.where(x < size, beta.ppf(1 - alpha / 2, x + 1, np.maximum(size - x, 1)), 1.0)
    return _interval(x / size, lower, upper)


def survey_interval(
    proportion: npt.ArrayLike,
    n: npt.ArrayLike,
    confidence: float = CONFIDENCE,
    design_effect: float = 1.0,
) -> Interval:
    """Wilson interval for a published survey proportion (0 to 1) from n respondents.

    The effective sample size is n / design_effect (1.0: simple random sample)."""
    func = "survey_interval"
    level = check.confidence(func, confidence)
    p = check.proportions(func, "proportion", proportion)
    size = check.positive(func, "n", n)
    effect = float(check.positive(func, "design_effect", design_effect))
    p, size = check.paired(func, "proportion and n", p, size)
    effective = size / effect
    lower, upper = wilson(p * effective, effective, level)
    # p * n / n can differ from p in the last bit; keep the interval around the estimate given
    return _interval(p, np.minimum(lower, p), np.maximum(upper, p))


def newcombe_difference(
    successes_1: npt.ArrayLike,
    n_1: npt.ArrayLike,
    successes_2: npt.ArrayLike,
    n_2: npt.ArrayLike,
    confidence: float = CONFIDENCE,
) -> Interval:
    """Difference p1 - p2 of two independent proportions with the Newcombe hybrid score
    interval (Newcombe 1998, method 10), built from the two Wilson intervals."""
    func = "newcombe_difference"
    level = check.confidence(func, confidence)
    x1, size1 = _proportion_inputs(func, successes_1, n_1)
    x2, size2 = _proportion_inputs(func, successes_2, n_2)
    x1, size1, x2, size2 = check.paired(func, "both samples", x1, size1, x2, size2)
    return newcombe(x1, size1, x2, size2, level)


def newcombe(
    x1: FloatArray, n1: FloatArray, x2: FloatArray, n2: FloatArray, confidence: float
) -> Interval:
    """Newcombe interval for already checked inputs."""
    p1, p2 = x1 / n1, x2 / n2
    low1, high1 = wilson(x1, n1, confidence)
    low2, high2 = wilson(x2, n2, confidence)
    difference = p1 - p2
    lower = difference - np.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    upper = difference + np.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    return _interval(difference, lower, upper)


# rate ratios --------------------------------------------------------------------------------


def rate_ratio(
    count_1: npt.ArrayLike,
    denominator_1: npt.ArrayLike,
    count_2: npt.ArrayLike,
    denominator_2: npt.ArrayLike,
    confidence: float = CONFIDENCE,
) -> Interval:
    """Ratio of rate 1 to rate 2 with a log-method interval: exp(log RR ± z √(1/a + 1/b)).

    With either count 0 the interval is NaN (the log method has no answer); the estimate is
    0 when only count_1 is 0, and NaN when count_2 is 0."""
    func = "rate_ratio"
    level = check.confidence(func, confidence)
    a = check.counts(func, "count_1", count_1)
    b = check.counts(func, "count_2", count_2)
    d1 = check.positive(func, "denominator_1", denominator_1)
    d2 = check.positive(func, "denominator_2", denominator_2)
    a, d1, b, d2 = check.paired(func, "counts and denominators", a, d1, b, d2)
    usable = (a > 0) & (b > 0)
    safe_a, safe_b = np.where(usable, a, 1.0), np.where(usable, b, 1.0)
    spread = z_value(level) * np.sqrt(1 / safe_a + 1 / safe_b)
    ratio = np.where(b > 0, (a / d1) / (np.where(b > 0, b, 1.0) / d2), np.nan)
    lower = np.where(usable, ratio * np.exp(-spread), np.nan)
    upper = np.where(usable, ratio * np.exp(spread), np.nan)
    return _interval(ratio, lower, upper)
