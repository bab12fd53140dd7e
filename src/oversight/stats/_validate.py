"""Input checks shared by every statistic, so each error is worded the same way.

Every message names the function called and the argument, then the rule that was broken,
then how many values break it and the first one with its index:

    poisson_interval: count must be a whole number of 0 or more; 2 of 5 values are not,
    the first at index 1 (-1)

All checks raise ValueError. The statistics themselves never validate; they trust these.
"""

from __future__ import annotations

from typing import TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
Line: TypeAlias = "FloatArray | float"
Floats: TypeAlias = "np.float64 | FloatArray"
Words: TypeAlias = "str | npt.NDArray[np.object_]"

WHOLE_NUMBER = "a whole number of 0 or more"
POSITIVE = "greater than 0"
FINITE = "finite (not missing or infinite)"


def fail(func: str, name: str, rule: str, raw: npt.NDArray[np.generic], ok: BoolArray) -> None:
    """Raise the standard message when any element of `ok` is False."""
    bad = np.flatnonzero(~np.asarray(ok, dtype=bool))
    if bad.size == 0:
        return
    if raw.ndim == 0:
        raise ValueError(f"{func}: {name} must be {rule}; got {_show(raw.item())}")
    first = int(bad[0])
    item = raw.flat[first]
    value = _show(item.item() if isinstance(item, np.generic) else item)
    if bad.size == 1:
        detail = f"1 of {raw.size} values is not, at index {first} ({value})"
    else:
        detail = f"{bad.size} of {raw.size} values are not, the first at index {first} ({value})"
    raise ValueError(f"{func}: {name} must be {rule}; {detail}")


def numbers(func: str, name: str, value: object, allow_missing: bool = False) -> FloatArray:
    """`value` as a float array of finite numbers (NaN allowed with `allow_missing`)."""
    raw = np.asarray(value)
    if raw.dtype.kind not in "iufO":
        raise ValueError(f"{func}: {name} must be numbers; got {_describe(value)}")
    try:
        arr = raw.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{func}: {name} must be numbers; got {_describe(value)}") from None
    fail(func, name, FINITE, raw, np.isfinite(arr) | (allow_missing & np.isnan(arr)))
    return arr


def counts(func: str, name: str, value: object) -> FloatArray:
    """`value` as a float array of whole numbers, 0 or more."""
    arr = numbers(func, name, value)
    fail(func, name, WHOLE_NUMBER, np.asarray(value), (arr >= 0) & (arr == np.floor(arr)))
    return arr


def positive(func: str, name: str, value: object) -> FloatArray:
    """`value` as a float array of finite numbers greater than 0."""
    arr = numbers(func, name, value)
    fail(func, name, POSITIVE, np.asarray(value), arr > 0)
    return arr


def proportions(func: str, name: str, value: object) -> FloatArray:
    """`value` as a float array of proportions from 0 to 1."""
    arr = numbers(func, name, value)
    rule = "between 0 and 1 (not a percentage)"
    fail(func, name, rule, np.asarray(value), (arr >= 0) & (arr <= 1))
    return arr


def single(func: str, name: str, value: object) -> float:
    """One finite number."""
    arr = numbers(func, name, value)
    if arr.ndim != 0:
        raise ValueError(
            f"{func}: {name} must be a single number; got an array of shape {arr.shape}"
        )
    return float(arr)


def series(func: str, name: str, value: object) -> FloatArray:
    """`value` as a one-dimensional float array of finite numbers (a time series)."""
    arr = numbers(func, name, value)
    if arr.ndim != 1:
        raise ValueError(
            f"{func}: {name} must be a one-dimensional series; got an array of shape {arr.shape}"
        )
    return arr


def confidence(func: str, value: float) -> float:
    """A confidence level strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise ValueError(f"{func}: confidence must be a number; got {_describe(value)}")
    if not 0 < float(value) < 1:
        raise ValueError(
            f"{func}: confidence must be between 0 and 1 (e.g. 0.95); got {_show(value)}"
        )
    return float(value)


def whole(func: str, name: str, value: object, minimum: int) -> int:
    """A plain integer of at least `minimum` (not a bool, not a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(
            f"{func}: {name} must be a whole number of at least {minimum}; got {_show(value)}"
        )
    return int(value)


def paired(func: str, names: str, *arrays: FloatArray) -> list[FloatArray]:
    """Broadcast arrays that go together, or say which shapes do not match."""
    try:
        return [np.asarray(a, dtype=np.float64) for a in np.broadcast_arrays(*arrays)]
    except ValueError:
        shapes = " and ".join(str(np.shape(a)) for a in arrays)
        raise ValueError(f"{func}: {names} must have matching shapes; got {shapes}") from None


_Scalar = TypeVar("_Scalar", bound=np.generic)


def scalar_or_array(result: npt.NDArray[_Scalar]) -> npt.NDArray[_Scalar]:
    """A 0-d result as a numpy scalar, anything else unchanged."""
    return result[()] if result.ndim == 0 else result  # type: ignore[no-any-return]


def _show(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of {value.dtype}"
    kind = getattr(value, "dtype", None)
    if kind is not None:
        return f"{type(value).__name__} of {kind}"
    return f"{type(value).__name__} {_show(value)}"
