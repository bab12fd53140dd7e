"""Overdispersion phi of count series: simulated series with a known phi, and the Met's real
monthly total recorded crime (tests/stats/data/met_total_recorded_crime_monthly.csv: police.uk
street-level crimes, Metropolitan Police, April 2010 to March 2026, as the warehouse counts them;
March 2024 holds 47, a month the Met's data is missing from police.uk)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight.stats import compare_counts, dispersion, dispersion_by_series

MET_FILE = Path(__file__).parent / "data" / "met_total_recorded_crime_monthly.csv"


def met_months() -> tuple[list[str], np.ndarray]:
    with MET_FILE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r["month"] for r in rows], np.array([float(r["count"]) for r in rows])


def financial_years(months: list[str], counts: np.ndarray) -> dict[int, float]:
    """Totals by financial year (April to March), keyed by the year it starts in."""
    totals: dict[int, float] = {}
    for month, count in zip(months, counts, strict=False):
        year, number = int(month[:4]), int(month[5:])
        start = year if number >= 4 else year - 1
        totals[start] = totals.get(start, 0.0) + count
    return totals


def negative_binomial(rng: np.random.Generator, mean: np.ndarray, phi: float) -> np.ndarray:
    """Counts with variance phi × mean (a gamma-Poisson mixture)."""
    shape = mean / (phi - 1)
    return rng.poisson(rng.gamma(shape, mean / shape)).astype(float)


# inputs -------------------------------------------------------------------------------------


def test_negative_count_raises() -> None:
    with pytest.raises(ValueError) as error:
        dispersion([3, -1, 4])
    assert str(error.value) == (
        "dispersion: counts must be 0 or more (or missing); 1 of 3 values is not, at index 1 (-1)"
    )


def test_series_ids_must_be_whole_numbers() -> None:
    with pytest.raises(ValueError) as error:
        dispersion_by_series([0, 0.5], [1, 2])
    assert str(error.value) == (
        "dispersion_by_series: series must be a whole number of 0 or more; "
        "1 of 2 values is not, at index 1 (0.5)"
    )


def test_series_and_counts_must_be_the_same_length() -> None:
    with pytest.raises(ValueError) as error:
        dispersion_by_series([0, 0, 1], [1, 2])
    assert str(error.value) == (
        "dispersion_by_series: series and counts must have the same length; got 3 and 2"
    )


def test_the_counts_of_a_series_must_be_contiguous() -> None:
    with pytest.raises(ValueError) as error:
        dispersion_by_series([0, 1, 0], [1, 2, 3])
    assert str(error.value) == (
        "dispersion_by_series: the counts of each series must be contiguous (sort by series, then time)"
    )


# outputs: degenerate series -----------------------------------------------------------------


def test_a_series_shorter_than_twelve_is_taken_as_poisson() -> None:
    assert dispersion([100, 300, 50, 900, 20, 700, 10, 800, 5, 600, 1]) == 1.0


def test_all_zero_counts_are_poisson() -> None:
    assert dispersion([0] * 24) == 1.0


def test_a_flat_series_is_poisson() -> None:
    # no variation at all is underdispersed; the floor keeps the Poisson test
    assert dispersion([500] * 24) == 1.0


def test_missing_months_are_skipped() -> None:
    rng = np.random.default_rng(3)
    counts = negative_binomial(rng, np.full(120, 400.0), 5.0)
    gappy = counts.copy()
    gappy[[10, 50, 51]] = np.nan
    assert dispersion(gappy) == pytest.approx(dispersion(np.delete(counts, [10, 50, 51])), rel=0.1)


def test_an_empty_batch_gives_no_series() -> None:
    assert dispersion_by_series([], []).size == 0


def test_an_id_with_no_counts_is_poisson() -> None:
    phi = dispersion_by_series([2] * 12, [0, 9] * 6)
    assert phi[:2].tolist() == [1.0, 1.0]
    assert phi[2] > 1


# outputs: known dispersion ------------------------------------------------------------------


def test_poisson_counts_have_a_dispersion_near_one() -> None:
    rng = np.random.default_rng(1)
    assert dispersion(rng.poisson(800, 600)) == pytest.approx(1.0, abs=0.15)


@pytest.mark.parametrize("phi", [3.0, 20.0, 150.0])
def test_overdispersed_counts_give_their_dispersion(phi: float) -> None:
    # screening the largest moving ranges makes the estimate about 5% low for such noise
    rng = np.random.default_rng(2)
    counts = negative_binomial(rng, np.full(2000, 5000.0), phi)
    assert dispersion(counts) == pytest.approx(0.95 * phi, rel=0.08)


def test_a_steady_trend_does_not_count_as_dispersion() -> None:
    # Poisson counts whose mean doubles over ten years
    rng = np.random.default_rng(4)
    counts = rng.poisson(np.linspace(1000, 2000, 120)).astype(float)
    assert dispersion(counts) < 1.2


def test_one_wild_month_barely_moves_the_estimate() -> None:
    rng = np.random.default_rng(5)
    counts = negative_binomial(rng, np.full(192, 60000.0), 40.0)
    wild = counts.copy()
    wild[100] = 47
    assert dispersion(wild) == pytest.approx(dispersion(counts), rel=0.1)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3000).map(float), min_size=0, max_size=30), min_size=1, max_size=5))
def test_by_series_equals_one_by_one(batch: list[list[float]]) -> None:
    ids = np.repeat(np.arange(len(batch)), [len(b) for b in batch])
    counts = np.concatenate([np.array(b) for b in batch])
    got = dispersion_by_series(ids, counts)
    want = [dispersion(b) for b in batch]
    if ids.size:
        kept = np.unique(ids)
        np.testing.assert_allclose(got[kept], np.array(want)[kept])
    assert (got >= 1).all()


# the Met's monthly total recorded crime -----------------------------------------------------


def test_met_monthly_crime_is_heavily_overdispersed() -> None:
    _, counts = met_months()
    phi = dispersion(counts)
    assert 120 < phi < 160
    # the glitch month (47 crimes) is screened out: without it the estimate hardly changes
    assert dispersion(counts[counts > 1000]) == pytest.approx(phi, rel=0.05)


def test_met_financial_years_within_a_few_percent_are_no_longer_significant() -> None:
    months, counts = met_months()
    phi = dispersion(counts)
    years = financial_years(months, counts)
    # 2025-26 against 2024-25: 889,297 against 891,084 (-0.2%); 2013-14 against 2012-13 -9.0%
    assert compare_counts(years[2025], years[2024], dispersion=phi) == "no significant change"
    assert compare_counts(years[2013], years[2012], dispersion=phi) == "significant decrease"
    # as Poisson counts, 1% of a year's crime is a "significant" change; at phi it is not
    before = years[2024]
    now = round(before * 0.989)
    assert compare_counts(now, before) == "significant decrease"
    assert compare_counts(now, before, dispersion=phi) == "no significant change"
