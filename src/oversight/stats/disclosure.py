"""Statistical disclosure control: hide figures built on too few records or respondents."""

from __future__ import annotations

from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from oversight.stats import _validate as check
from oversight.stats._validate import BoolArray, FloatArray

SUPPRESS_BELOW: Final = 10
"""A figure built on fewer than this many records (or respondents) is not published."""


class Suppression(NamedTuple):
    """Which figures to hide (True = suppress) and the reason to show in their place."""

    mask: BoolArray | np.bool_
    reason: str


def _check(func: str, counts: object, threshold: int, unit: str) -> FloatArray:
    check.whole(func, "threshold", threshold, 1)
    if not isinstance(unit, str) or not unit.strip():
        raise ValueError(f"{func}: unit must be a word such as 'records'; got {unit!r}")
    return check.counts(func, "counts", counts)


def suppress(
    counts: npt.ArrayLike, threshold: int = SUPPRESS_BELOW, unit: str = "records"
) -> Suppression:
    """Mask of figures whose underlying count is below `threshold` (0 included), with the
    reason, e.g. "fewer than 10 records". The reason is returned even when nothing is hidden."""
    found = _check("suppress", counts, threshold, unit)
    reason = f"fewer than {threshold} {unit}"
    mask = check.scalar_or_array(np.asarray(found < threshold))
    return Suppression(mask=mask, reason=reason)  # type: ignore[arg-type]


def suppressed_values(
    values: npt.ArrayLike, counts: npt.ArrayLike, threshold: int = SUPPRESS_BELOW
) -> FloatArray:
    """`values` as floats with NaN wherever the count behind them is below `threshold`.
    Values may already be NaN (e.g. a rate with no denominator)."""
    func = "suppressed_values"
    found = _check(func, counts, threshold, "records")
    figures = check.numbers(func, "values", values, allow_missing=True)
    shown, found = check.paired(func, "values and counts", figures, found)
    return np.where(found < threshold, np.nan, shown)
