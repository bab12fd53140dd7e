"""How much more a count series varies than a Poisson count would: the dispersion phi.

Recorded crime is overdispersed: a month's count varies with weather, events, operations and
recording, not only by Poisson chance. A test that treats the count as Poisson (compare_counts
with dispersion 1) calls changes of 1% in a force's year "significant". phi is the factor by
which the variance exceeds the mean (quasi-Poisson: variance = phi × mean); compare_counts
takes it as `dispersion`.

phi comes from the series' own month-to-month variation, in the same way as the XmR chart's
sigma: sigma = screened mean moving range / D2, and phi = sigma² / mean. Successive differences
ignore a slow trend, and screening drops a single wild month (docs/methods.md).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from oversight.stats import _validate as check
from oversight.stats._validate import FloatArray
from oversight.stats.spc import LIMIT_MULTIPLIER, MIN_SPC_POINTS
from oversight.stats.spc_many import mean_moving_ranges

D2: Final = 3 / LIMIT_MULTIPLIER
"""Expected moving range of two points over their standard deviation (1.128): sigma = MR̄ / D2."""
POISSON: Final = 1.0
"""The dispersion of a Poisson count, and the floor and the answer when there are too few points."""


def dispersion(counts: npt.ArrayLike) -> float:
    """phi of one series of counts in time order (NaN for a missing period)."""
    values = _counts("dispersion", counts)
    return float(_dispersion(np.zeros(values.size, dtype=np.int64), values, 1)[0])


def dispersion_by_series(series: npt.ArrayLike, counts: npt.ArrayLike) -> FloatArray:
    """phi of every series at once: element k is the phi of series id k, for k = 0 ...
    max(series). `series` holds a whole-number id of 0 or more per count; the counts of one
    series are contiguous and in time order (NaN for a missing period). An id with no counts
    gets POISSON."""
    func = "dispersion_by_series"
    values = _counts(func, counts)
    ids = check.counts(func, "series", series).astype(np.int64)
    if ids.shape != values.shape:
        raise ValueError(
            f"{func}: series and counts must have the same length; got {ids.size} and {values.size}"
        )
    runs = int(np.count_nonzero(ids[1:] != ids[:-1])) + 1 if ids.size else 0
    if runs != np.unique(ids).size:
        raise ValueError(f"{func}: the counts of each series must be contiguous (sort by series, then time)")
    return _dispersion(ids, values, int(ids.max()) + 1 if ids.size else 0)


def _counts(func: str, counts: object) -> FloatArray:
    values = check.numbers(func, "counts", counts, allow_missing=True)
    if values.ndim != 1:
        raise ValueError(f"{func}: counts must be a one-dimensional series; got an array of shape {values.shape}")
    check.fail(func, "counts", "0 or more (or missing)", np.asarray(counts), ~(values < 0))
    return values


def _dispersion(ids: npt.NDArray[np.int64], values: FloatArray, n_series: int) -> FloatArray:
    """phi = (MR̄ / D2)² / mean with outlier-screened moving ranges between consecutive known
    counts, floored at POISSON; POISSON for a series with fewer than MIN_SPC_POINTS known
    counts or a mean of 0."""
    known = np.isfinite(values)
    filled = np.where(known, values, 0.0)
    points = np.bincount(ids, weights=known, minlength=n_series)
    total = np.bincount(ids, weights=filled, minlength=n_series)
    ranges = np.zeros(values.size)
    ranges[1:] = np.abs(np.diff(filled))
    paired = np.zeros(values.size, dtype=bool)
    paired[1:] = (ids[1:] == ids[:-1]) & known[1:] & known[:-1]
    mr_mean = mean_moving_ranges(ranges, paired, ids, n_series, screen=True)
    estimable = (points >= MIN_SPC_POINTS) & (total > 0) & np.isfinite(mr_mean)
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = (mr_mean / D2) ** 2 / (total / points)
    return np.where(estimable, np.maximum(phi, POISSON), POISSON)
