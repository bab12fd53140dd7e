"""Label every point of a series as common or special cause variation (Making Data Count)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from oversight.stats import _validate as check
from oversight.stats._validate import FloatArray
from oversight.stats.spc import (
    MIN_SPC_POINTS,
    beyond_direction,
    check_baseline,
    limits_of,
    run_direction,
    trend_direction,
    two_of_three_direction,
)

POLARITIES: Final = ("up_is_good", "down_is_good", "neutral")
PRECEDENCE: Final = ("beyond_limits", "trend_of_seven", "two_of_three_near_limit", "run_of_seven")
COLUMNS: Final = (
    "value",
    "mean",
    "lower_limit",
    "upper_limit",
    "signal",
    "direction",
    "variation",
    "segment",
)
COMMON_CAUSE: Final = "common_cause"
IMPROVEMENT: Final = "special_cause_improvement"
CONCERN: Final = "special_cause_concern"
NEUTRAL: Final = "special_cause_neutral"
INSUFFICIENT_DATA: Final = "insufficient_data"

_FUNC = "classify_points"


# inputs -------------------------------------------------------------------------------------


def check_polarity(func: str, polarity: object) -> str:
    """One of POLARITIES."""
    if not isinstance(polarity, str) or polarity not in POLARITIES:
        shown = repr(polarity) if isinstance(polarity, str) else f"{type(polarity).__name__}"
        raise ValueError(f"{func}: polarity {shown} is not one of {', '.join(POLARITIES)}")
    return polarity


def check_breaks(breaks: Iterable[int] | None, size: int) -> list[int]:
    """Sorted segment starts, always beginning at 0 (empty for an empty series)."""
    if breaks is None:
        return [0] if size else []
    if isinstance(breaks, (str, bytes)) or not isinstance(breaks, Iterable):
        raise ValueError(
            f"{_FUNC}: breaks must be a list of indexes where a new segment starts; "
            f"got {type(breaks).__name__} {breaks!r}"
        )
    starts = list(breaks)
    for start in starts:
        if isinstance(start, bool) or not isinstance(start, (int, np.integer)):
            raise ValueError(f"{_FUNC}: breaks must hold whole-number indexes; got {start!r}")
        if size == 0:
            raise ValueError(f"{_FUNC}: values is empty, so breaks must be empty; got {starts}")
        if not 0 <= start < size:
            raise ValueError(
                f"{_FUNC}: each break must be an index into values (0 to {size - 1}); got {start}"
            )
    return sorted({0, *(int(s) for s in starts)}) if size else []


# calculation --------------------------------------------------------------------------------


def classify_points(
    values: npt.ArrayLike,
    polarity: str,
    breaks: Iterable[int] | None = None,
    baseline: int | None = None,
    screen_outliers: bool = False,
) -> pd.DataFrame:
    """One row per point: value, mean, lower_limit, upper_limit, signal, direction,
    variation and segment (columns in COLUMNS).

    Limits restart at each index in `breaks` (a new segment, e.g. a recording-system change)
    and come from the first `baseline` points of each segment (default all). A segment with
    fewer than MIN_SPC_POINTS points gets NaN limits and variation 'insufficient_data'.

    Precedence: a point flagged by several rules takes its `signal` and `direction` from the
    first of beyond_limits, trend_of_seven, two_of_three_near_limit, run_of_seven.
    `direction` is 'high' or 'low': the side of the limit, run or near-limit pair, or the way a
    trend moves. `variation` is 'common_cause', 'special_cause_improvement' or
    'special_cause_concern' by `polarity` ('up_is_good' or 'down_is_good'), or
    'special_cause_neutral' when polarity is 'neutral'.
    """
    arr = check.series(_FUNC, "values", values)
    good = check_polarity(_FUNC, polarity)
    starts = check_breaks(breaks, arr.size)
    base = check_baseline(_FUNC, baseline)
    return _classify(arr, good, starts, base, screen_outliers)


def _classify(
    values: FloatArray, polarity: str, starts: list[int], baseline: int | None, screen: bool
) -> pd.DataFrame:
    size = values.size
    lines = np.full((3, size), np.nan)
    signal = np.full(size, None, dtype=object)
    direction = np.full(size, None, dtype=object)
    variation = np.full(size, INSUFFICIENT_DATA, dtype=object)
    segment = np.zeros(size, dtype=np.int64)
    for number, (first, stop) in enumerate(zip(starts, [*starts[1:], size])):
        segment[first:stop] = number
        part = values[first:stop]
        used = min(baseline or part.size, part.size)
        if used < MIN_SPC_POINTS:
            continue
        limits = limits_of(part[:used], screen)
        lines[:, first:stop] = [[limits.mean], [limits.lower_limit], [limits.upper_limit]]
        rules, sides = _signals(part, limits.mean, limits.lower_limit, limits.upper_limit)
        signal[first:stop] = rules
        direction[first:stop][sides > 0] = "high"
        direction[first:stop][sides < 0] = "low"
        variation[first:stop] = _variation(sides, polarity)
    return pd.DataFrame(
        {
            "value": values,
            "mean": lines[0],
            "lower_limit": lines[1],
            "upper_limit": lines[2],
            "signal": pd.Series(signal, dtype=object),
            "direction": pd.Series(direction, dtype=object),
            "variation": pd.Series(variation, dtype="str"),
            "segment": segment,
        },
        columns=list(COLUMNS),
    )


def _signals(
    part: FloatArray, mean: float, lower: float, upper: float
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.int64]]:
    """The winning rule name (or None) and its direction (+1, -1, 0) for each point."""
    found = {
        "beyond_limits": beyond_direction(part, lower, upper),
        "trend_of_seven": trend_direction(part),
        "two_of_three_near_limit": two_of_three_direction(part, lower, upper, mean),
        "run_of_seven": run_direction(part, mean),
    }
    rules = np.full(part.size, None, dtype=object)
    sides = np.zeros(part.size, dtype=np.int64)
    for name in PRECEDENCE:
        take = (sides == 0) & (found[name] != 0)
        rules[take] = name
        sides[take] = found[name][take]
    return rules, sides


def _variation(sides: npt.NDArray[np.int64], polarity: str) -> npt.NDArray[np.object_]:
    if polarity == "neutral":
        special = np.full(sides.size, NEUTRAL, dtype=object)
    else:
        good = 1 if polarity == "up_is_good" else -1
        special = np.where(sides == good, IMPROVEMENT, CONCERN).astype(object)
    return np.where(sides == 0, COMMON_CAUSE, special).astype(object)
