"""Suppression of figures built on too few records or respondents."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oversight.stats.disclosure import SUPPRESS_BELOW, suppress, suppressed_values

# inputs -------------------------------------------------------------------------------------


def test_negative_count_raises() -> None:
    with pytest.raises(ValueError) as error:
        suppress([12, -1])
    assert str(error.value) == (
        "suppress: counts must be a whole number of 0 or more; "
        "1 of 2 values is not, at index 1 (-1)"
    )


def test_threshold_below_one_raises() -> None:
    with pytest.raises(ValueError) as error:
        suppress([12], threshold=0)
    assert str(error.value) == "suppress: threshold must be a whole number of at least 1; got 0"


def test_fractional_threshold_raises() -> None:
    with pytest.raises(ValueError) as error:
        suppress([12], threshold=9.5)  # type: ignore[arg-type]
    assert str(error.value) == "suppress: threshold must be a whole number of at least 1; got 9.5"


def test_empty_unit_raises() -> None:
    with pytest.raises(ValueError) as error:
        suppress([12], unit=" ")
    assert str(error.value) == "suppress: unit must be a word such as 'records'; got ' '"


def test_values_and_counts_of_different_lengths_raise() -> None:
    with pytest.raises(ValueError) as error:
        suppressed_values([1.0, 2.0], [20, 20, 20])
    assert str(error.value) == (
        "suppressed_values: values and counts must have matching shapes; got (2,) and (3,)"
    )


# outputs ------------------------------------------------------------------------------------


def test_default_threshold_is_ten() -> None:
    assert SUPPRESS_BELOW == 10


def test_counts_below_ten_are_suppressed_and_ten_is_not() -> None:
    mask, reason = suppress([0, 1, 9, 10, 11, 250])
    assert list(mask) == [True, True, True, False, False, False]
    assert reason == "fewer than 10 records"


def test_threshold_and_unit_are_configurable() -> None:
    mask, reason = suppress([4, 5, 30], threshold=5, unit="respondents")
    assert list(mask) == [True, False, False]
    assert reason == "fewer than 5 respondents"


def test_reason_is_given_even_when_nothing_is_suppressed() -> None:
    result = suppress([100, 200])
    assert not result.mask.any()
    assert result.reason == "fewer than 10 records"


def test_one_count_gives_one_flag() -> None:
    assert bool(suppress(3).mask) is True
    assert np.ndim(suppress(3).mask) == 0


def test_suppressed_values_blank_out_small_cells_and_keep_missing_values() -> None:
    values = suppressed_values([1.5, float("nan"), 3.0, 4.0], [9, 20, 30, 10])
    assert np.isnan(values[:2]).all()
    assert list(values[2:]) == [3.0, 4.0]


@given(st.lists(st.integers(0, 1000), max_size=30), st.integers(1, 50))
def test_mask_is_exactly_the_counts_below_the_threshold(counts: list[int], threshold: int) -> None:
    mask, _ = suppress(counts, threshold=threshold)
    assert list(mask) == [c < threshold for c in counts]
