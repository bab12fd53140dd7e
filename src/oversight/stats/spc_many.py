"""Making Data Count classification of many series at once, without a Python loop per series.

The measures engine classifies tens of thousands of monthly series (every measure, area and
breakdown). Here they are laid end to end in one array; `series` says which series each point
belongs to and `breaks` where a new segment starts inside a series. Every rule is the same as
for one series (`spc.py`): runs, trends and 2-of-3 windows never reach across a segment edge,
and each segment has its own limits. `classify_points` is this function applied to one series.
"""

from __future__ import annotations

from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

from oversight.stats._validate import BoolArray, FloatArray
from oversight.stats.spc import (
    LIMIT_MULTIPLIER,
    MIN_SPC_POINTS,
    SCREEN_MULTIPLIER,
    beyond_direction,
    run_direction,
    trend_direction,
    two_of_three_direction,
)

PRECEDENCE: Final = ("beyond_limits", "trend_of_seven", "two_of_three_near_limit", "run_of_seven")
COMMON_CAUSE: Final = "common_cause"
IMPROVEMENT: Final = "special_cause_improvement"
CONCERN: Final = "special_cause_concern"
NEUTRAL: Final = "special_cause_neutral"
INSUFFICIENT_DATA: Final = "insufficient_data"


class Classified(NamedTuple):
    """One entry per point, in the order given."""

    mean: FloatArray
    lower_limit: FloatArray
    upper_limit: FloatArray
    signal: npt.NDArray[np.object_]      # winning rule name, or None
    side: npt.NDArray[np.int64]          # +1 high, -1 low, 0 none
    variation: npt.NDArray[np.object_]
    segment: npt.NDArray[np.int64]       # 0, 1, ... within each series


def classify_many(
    values: FloatArray,
    series: npt.NDArray[np.int64],
    breaks: BoolArray,
    polarity: npt.NDArray[np.object_],
    baseline: int | None = None,
    screen_outliers: bool = False,
) -> Classified:
    """Classify checked inputs: `values` finite, points of a series contiguous and in time
    order, `breaks` True where a segment starts inside a series, `polarity` per point."""
    size = values.size
    starts = np.ones(size, dtype=bool)
    if size:
        starts[1:] = (series[1:] != series[:-1]) | breaks[1:]
    segment_id = np.cumsum(starts) - 1
    n_segments = int(segment_id[-1]) + 1 if size else 0
    first_of_series = np.ones(size, dtype=bool)
    if size:
        first_of_series[1:] = series[1:] != series[:-1]
    segment_in_series = _count_within(starts, first_of_series)
    position = np.arange(size) - np.flatnonzero(starts)[segment_id] if size else np.zeros(0, np.int64)
    in_base = position < baseline if baseline is not None else np.ones(size, dtype=bool)

    counts = np.bincount(segment_id, weights=in_base, minlength=n_segments)
    mean_seg = _ratio(np.bincount(segment_id, weights=values * in_base, minlength=n_segments), counts)
    # moving ranges inside a segment's baseline: point i with its predecessor in the same segment
    has_prev = ~starts & in_base
    ranges = np.zeros(size)
    ranges[1:] = np.abs(np.diff(values))
    mr_mean = mean_moving_ranges(ranges, has_prev, segment_id, n_segments, screen_outliers)
    enough = counts >= MIN_SPC_POINTS
    half = LIMIT_MULTIPLIER * mr_mean
    mean = np.where(enough, mean_seg, np.nan)[segment_id]
    lower = np.where(enough, mean_seg - half, np.nan)[segment_id]
    upper = np.where(enough, mean_seg + half, np.nan)[segment_id]

    found = {
        "beyond_limits": beyond_direction(values, lower, upper),
        "trend_of_seven": trend_direction(values, starts),
        "two_of_three_near_limit": two_of_three_direction(values, lower, upper, mean, segment_id),
        "run_of_seven": run_direction(values, mean, starts),
    }
    signal = np.full(size, None, dtype=object)
    side = np.zeros(size, dtype=np.int64)
    for name in PRECEDENCE:
        take = (side == 0) & (found[name] != 0)
        signal[take] = name
        side[take] = found[name][take]
    has_limits = enough[segment_id] if size else np.zeros(0, dtype=bool)
    signal[~has_limits] = None
    side[~has_limits] = 0
    good = np.where(polarity == "up_is_good", 1, np.where(polarity == "down_is_good", -1, 0))
    special = np.where(good == 0, NEUTRAL, np.where(side == good, IMPROVEMENT, CONCERN))
    variation = np.where(side == 0, COMMON_CAUSE, special).astype(object)
    variation[~has_limits] = INSUFFICIENT_DATA
    return Classified(mean, lower, upper, signal, side, variation, segment_in_series)


def mean_moving_ranges(
    ranges: FloatArray, counted: BoolArray, group: npt.NDArray[np.int64], n_groups: int, screen: bool
) -> FloatArray:
    """Mean of the `counted` moving ranges of each group (NaN for a group with none). With
    `screen`, ranges of SCREEN_MULTIPLIER × that mean or more are dropped and the mean taken
    again; a group whose ranges are all 0 keeps a mean of 0."""
    mean = _ratio(np.bincount(group, weights=ranges * counted, minlength=n_groups),
                  np.bincount(group, weights=counted, minlength=n_groups))
    if not screen:
        return mean
    keep = counted & ~((mean[group] > 0) & (ranges >= SCREEN_MULTIPLIER * mean[group]))
    screened = _ratio(np.bincount(group, weights=ranges * keep, minlength=n_groups),
                      np.bincount(group, weights=keep, minlength=n_groups))
    return np.where(mean > 0, screened, mean)


def _ratio(total: npt.NDArray[np.number[Any]], count: npt.NDArray[np.number[Any]]) -> FloatArray:
    return np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)


def _count_within(starts: BoolArray, first_of_series: BoolArray) -> npt.NDArray[np.int64]:
    """0, 1, 2 ... numbering of segments, restarting at each series."""
    running = np.cumsum(starts, dtype=np.int64)
    at_series_start = np.maximum.accumulate(np.where(first_of_series, running, 0))
    return (running - at_series_start).astype(np.int64)
