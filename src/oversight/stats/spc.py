"""XmR process limits and the four special-cause rules of NHS England's "Making Data Count".

Each rule is one function over plain arrays that returns one flag per point and marks every
point of a qualifying run, not only the point that completes it. `classify_points` (in
`spc_classify.py`) combines them. Points exactly on a line never count as beyond it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from oversight.stats import _validate as check
from oversight.stats._validate import BoolArray, FloatArray, Line

LIMIT_MULTIPLIER: Final = 2.66
"""Process limits sit this many mean moving ranges either side of the mean (3 sigma, XmR)."""
NEAR_LIMIT_FRACTION: Final = 2 / 3
"""A point is near a limit when it is beyond this fraction of the distance from mean to limit."""
SCREEN_MULTIPLIER: Final = 3.267
"""With outlier screening, moving ranges at or above this many mean moving ranges are dropped."""
RUN_LENGTH: Final = 7
"""A run is this many or more consecutive points on the same side of the mean."""
TREND_LENGTH: Final = 7
"""A trend is this many or more consecutive points, each strictly above (or below) the last."""
MIN_SPC_POINTS: Final = 12
"""Fewest points process limits are computed from: one year of monthly data (docs/methods.md)."""


@dataclass(frozen=True)
class XmrLimits:
    """The centre line and limits of one XmR chart, and how many points they rest on."""

    mean: float
    mean_moving_range: float
    lower_limit: float
    upper_limit: float
    lower_near: float
    upper_near: float
    points: int


# inputs -------------------------------------------------------------------------------------


def check_baseline(func: str, baseline: int | None) -> int | None:
    """None, or a whole number of at least MIN_SPC_POINTS."""
    if baseline is None:
        return None
    return check.whole(func, "baseline", baseline, MIN_SPC_POINTS)


def check_length(func: str, values: FloatArray, name: str = "values") -> None:
    """Enough points for process limits."""
    if values.size < MIN_SPC_POINTS:
        raise ValueError(
            f"{func}: {name} has {values.size} points; at least {MIN_SPC_POINTS} are needed "
            "to compute process limits"
        )


def _lines(func: str, values: FloatArray, **lines: object) -> list[FloatArray]:
    """Each line as one number, or one number per point of `values`."""
    arrays = []
    for name, line in lines.items():
        arr = check.numbers(func, name, line)
        if arr.ndim and arr.shape != values.shape:
            raise ValueError(
                f"{func}: {name} must be one number or one per point of values ({values.size}); "
                f"got {arr.size}"
            )
        arrays.append(arr)
    return arrays


# limits -------------------------------------------------------------------------------------


def xmr_limits(
    values: npt.ArrayLike, baseline: int | None = None, screen_outliers: bool = False
) -> XmrLimits:
    """Mean, mean moving range and limits, from the first `baseline` points (default all).

    Limits are mean ± LIMIT_MULTIPLIER × mean moving range. With `screen_outliers`, moving
    ranges of SCREEN_MULTIPLIER × the mean moving range or more are left out (Nelson 1982);
    Making Data Count does not screen, so the default is off.
    """
    arr = check.series("xmr_limits", "values", values)
    used = check_baseline("xmr_limits", baseline) or arr.size
    check_length("xmr_limits", arr)
    return limits_of(arr[:used], screen_outliers)


def limits_of(base: FloatArray, screen_outliers: bool = False) -> XmrLimits:
    """The limits of an already checked baseline of at least 2 points."""
    mean = float(base.mean())
    ranges = np.abs(np.diff(base))
    average = float(ranges.mean())
    if screen_outliers and average > 0:
        average = float(ranges[ranges < SCREEN_MULTIPLIER * average].mean())
    half = LIMIT_MULTIPLIER * average
    lower_near, upper_near = near_lines(mean, mean - half, mean + half)
    return XmrLimits(
        mean=mean,
        mean_moving_range=average,
        lower_limit=mean - half,
        upper_limit=mean + half,
        lower_near=float(lower_near),
        upper_near=float(upper_near),
        points=int(base.size),
    )


def near_lines(
    mean: npt.ArrayLike, lower: npt.ArrayLike, upper: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """The lines NEAR_LIMIT_FRACTION of the way from the mean to each limit."""
    centre = np.asarray(mean, dtype=np.float64)
    low = centre - NEAR_LIMIT_FRACTION * (centre - np.asarray(lower, dtype=np.float64))
    high = centre + NEAR_LIMIT_FRACTION * (np.asarray(upper, dtype=np.float64) - centre)
    return low, high


# rules: signed versions (+1 high, -1 low, 0 none), used by classify_points -----------------


def side_of(values: FloatArray, line: Line) -> npt.NDArray[np.int64]:
    """+1 above the line, -1 below it, 0 exactly on it (NaN lines give 0)."""
    return (values > line).astype(np.int64) - (values < line).astype(np.int64)


def _in_long_runs(
    signs: npt.NDArray[np.int64], length: int, starts: BoolArray | None = None
) -> BoolArray:
    """True where a non-zero sign belongs to a block of `length` or more equal signs. Blocks
    also end where `starts` is True (a new series or segment when many are laid end to end)."""
    if signs.size == 0:
        return np.zeros(0, dtype=bool)
    new_block = np.zeros(signs.size, dtype=bool) if starts is None else starts.copy()
    new_block[0] = True
    new_block[1:] |= signs[1:] != signs[:-1]
    block = np.cumsum(new_block) - 1
    return (signs != 0) & (np.bincount(block)[block] >= length)


def beyond_direction(
    values: FloatArray, lower: Line, upper: Line
) -> npt.NDArray[np.int64]:
    """+1 above the upper limit, -1 below the lower limit."""
    return (values > upper).astype(np.int64) - (values < lower).astype(np.int64)


def run_direction(values: FloatArray, mean: Line, starts: BoolArray | None = None) -> npt.NDArray[np.int64]:
    """Side of the mean for points in a run of RUN_LENGTH or more."""
    sides = side_of(values, mean)
    return np.where(_in_long_runs(sides, RUN_LENGTH, starts), sides, 0)


def trend_direction(values: FloatArray, starts: BoolArray | None = None) -> npt.NDArray[np.int64]:
    """+1 for points in a rising trend, -1 falling; a point that ends one trend and starts
    the next (a peak or trough) takes the direction of the trend it ends. No step is taken
    from the last point of a segment to the first of the next."""
    if values.size < 2:
        return np.zeros(values.size, dtype=np.int64)
    steps = side_of(values[1:], values[:-1])
    step_starts = None
    if starts is not None:
        step_starts = starts[1:]
        steps = np.where(step_starts, 0, steps)
    steps = np.where(_in_long_runs(steps, TREND_LENGTH - 1, step_starts), steps, 0)
    ending = np.concatenate(([0], steps))
    starting = np.concatenate((steps, [0]))
    return np.where(ending != 0, ending, starting)


def two_of_three_direction(
    values: FloatArray,
    lower: Line,
    upper: Line,
    mean: Line,
    segment: npt.NDArray[np.int64] | None = None,
) -> npt.NDArray[np.int64]:
    """+1 (or -1) for each point close to the upper (or lower) limit that lies in a window of
    3 consecutive points all strictly above (or below) the mean, 2 or more of them close.

    Close means beyond the near line but not beyond the limit: a point past the limit is the
    beyond-limits rule's. With `segment` (one id per point), a window lies inside one segment.
    """
    result = np.zeros(values.size, dtype=np.int64)
    if values.size < 3:
        return result
    lower_near, upper_near = near_lines(mean, lower, upper)
    close = ((values > upper_near) & ~(values > upper)) | ((values < lower_near) & ~(values < lower))
    sides = side_of(values, mean)
    ids = np.zeros(values.size, dtype=np.int64) if segment is None else segment
    # window w holds points w, w + 1 and w + 2
    first, middle, last = slice(None, -2), slice(1, -1), slice(2, None)
    qualifies = (
        (sides[first] != 0)
        & (sides[first] == sides[middle])
        & (sides[middle] == sides[last])
        & (ids[first] == ids[last])
        & (close[first].astype(np.int64) + close[middle] + close[last] >= 2)
    )
    # point i lies in windows i - 2, i - 1 and i
    in_window = np.zeros(values.size, dtype=bool)
    for offset in range(3):
        in_window[offset : offset + qualifies.size] |= qualifies
    flagged = close & in_window
    result[flagged] = sides[flagged]
    return result


# rules: public flags ------------------------------------------------------------------------


def beyond_limits(
    values: npt.ArrayLike, lower_limit: npt.ArrayLike, upper_limit: npt.ArrayLike
) -> BoolArray:
    """True for each point strictly above the upper or below the lower process limit."""
    arr = check.series("beyond_limits", "values", values)
    lower, upper = _lines("beyond_limits", arr, lower_limit=lower_limit, upper_limit=upper_limit)
    return beyond_direction(arr, lower, upper) != 0


def run_of_seven(values: npt.ArrayLike, mean: npt.ArrayLike) -> BoolArray:
    """True for every point in a run of RUN_LENGTH or more consecutive points on the same side
    of the mean. A point exactly on the mean breaks the run."""
    arr = check.series("run_of_seven", "values", values)
    (centre,) = _lines("run_of_seven", arr, mean=mean)
    return run_direction(arr, centre) != 0


def trend_of_seven(values: npt.ArrayLike) -> BoolArray:
    """True for every point in TREND_LENGTH or more consecutive points, each strictly higher
    (or each strictly lower) than the one before. A tie breaks the trend."""
    arr = check.series("trend_of_seven", "values", values)
    return trend_direction(arr) != 0


def two_of_three_near_limit(
    values: npt.ArrayLike,
    mean: npt.ArrayLike,
    lower_limit: npt.ArrayLike,
    upper_limit: npt.ArrayLike,
) -> BoolArray:
    """True for each point close to a limit (beyond NEAR_LIMIT_FRACTION of the way from the
    mean to it, but not beyond it) when some 3 consecutive points including it lie strictly on
    the same side of the mean and at least 2 of them are close to that limit. The third point
    of the window is not flagged; nor is a point beyond the limit (that is `beyond_limits`)."""
    arr = check.series("two_of_three_near_limit", "values", values)
    centre, lower, upper = _lines(
        "two_of_three_near_limit",
        arr,
        mean=mean,
        lower_limit=lower_limit,
        upper_limit=upper_limit,
    )
    return two_of_three_direction(arr, lower, upper, centre) != 0
