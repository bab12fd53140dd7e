"""Comparing many units' rate ratios honestly: a funnel plot's limits and the ranks a unit could hold.

A rate ratio a/P_a : b/P_b has log variance 1/a + 1/b (the log method of `intervals.rate_ratio`), so
its precision is w = 1 / (1/a + 1/b). On a funnel plot each unit sits at (w, ratio) and the limits
around the pooled reference ratio R0 are R0 * exp(± z * sqrt(1/w + tau^2)).

tau^2 is the spread between units that chance does not explain (Spiegelhalter, "Funnel plots for
comparing institutional performance", Statistics in Medicine 24 (2005) 1185-1202, section 6: an
additive random-effects allowance estimated from z-scores winsorised at 10% each side). Police
forces differ for many reasons besides chance; without the allowance most forces fall outside
limits drawn for chance alone, and "outside the funnel" would say nothing.

Ranks: a unit whose interval lies wholly above another's is above it; where intervals overlap the
order is not known. The ranks a unit could hold run from 1 + (units wholly above it) to
n - (units wholly below it); units with overlapping intervals share ranks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

from oversight.stats import _validate as check

LIMITS: Final = (0.95, 0.998)
"""The funnel's two pairs of limits: about 2 and 3 standard errors."""

HIGHER: Final = "higher than expected"
LOWER: Final = "lower than expected"
WITHIN: Final = "within the expected range"


@dataclass(frozen=True)
class Funnel:
    """Limits around `reference` (a ratio) for log precisions `precision`; `tau2` the between-unit spread."""

    reference: float
    tau2: float
    units: int

    def limits(self, precision: npt.ArrayLike, level: float) -> tuple[np.ndarray, np.ndarray]:
        w = np.asarray(precision, dtype=float)
        half = norm.ppf(0.5 + level / 2) * np.sqrt(1 / w + self.tau2)
        return self.reference * np.exp(-half), self.reference * np.exp(half)

    def verdicts(self, ratio: npt.ArrayLike, precision: npt.ArrayLike, level: float = LIMITS[1]) -> list[str]:
        """Each unit against the limits at `level`: higher, lower or within."""
        low, high = self.limits(precision, level)
        r = np.asarray(ratio, dtype=float)
        return [HIGHER if v > h else LOWER if v < lo else WITHIN for v, lo, h in zip(r, low, high, strict=True)]


def log_precision(count_1: npt.ArrayLike, count_2: npt.ArrayLike) -> np.ndarray:
    """1 / var(log rate ratio) = 1 / (1/a + 1/b); NaN where either count is 0."""
    a = check.counts("log_precision", "count_1", count_1)
    b = check.counts("log_precision", "count_2", count_2)
    with np.errstate(divide="ignore"):
        w = 1 / (1 / a + 1 / b)
    return np.where((a > 0) & (b > 0), w, np.nan)


def funnel(ratio: npt.ArrayLike, precision: npt.ArrayLike, reference: float, *, winsor: float = 0.1) -> Funnel:
    """The funnel around `reference` for units at (precision, ratio), with the between-unit spread
    tau^2 estimated by Spiegelhalter's additive method (0 when chance explains the spread)."""
    r = np.asarray(ratio, dtype=float)
    w = np.asarray(precision, dtype=float)
    usable = np.isfinite(r) & (r > 0) & np.isfinite(w) & (w > 0)
    r, w = r[usable], w[usable]
    n = int(r.size)
    if n < 3 or not reference > 0:
        return Funnel(float(reference), 0.0, n)
    z = (np.log(r) - np.log(reference)) * np.sqrt(w)
    low, high = np.quantile(z, [winsor, 1 - winsor])
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    if n * phi <= n - 1:
        return Funnel(float(reference), 0.0, n)
    tau2 = (n * phi - (n - 1)) / (w.sum() - (w**2).sum() / w.sum())
    return Funnel(float(reference), float(tau2), n)


def rank_ranges(low: npt.ArrayLike, high: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Best and worst rank (1 = highest) each unit could hold, given intervals [low, high].

    A unit is certainly below another only when its whole interval lies below the other's."""
    lo = np.asarray(low, dtype=float)
    hi = np.asarray(high, dtype=float)
    if lo.shape != hi.shape:
        raise ValueError(f"rank_ranges: low and high differ in shape ({lo.shape} and {hi.shape})")
    if np.isnan(lo).any() or np.isnan(hi).any() or (lo > hi).any():
        raise ValueError("rank_ranges: every interval needs low <= high, none missing")
    wholly_above = (lo[None, :] > hi[:, None]).sum(axis=1)  # others whose low is above my high
    wholly_below = (hi[None, :] < lo[:, None]).sum(axis=1)
    return 1 + wholly_above, lo.size - wholly_below
