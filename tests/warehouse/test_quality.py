"""Source quality rules, on hand-made month series and on the real seams of the shared data."""

from __future__ import annotations

import numpy as np
from conftest import needs_shared

from oversight.warehouse import connect
from oversight.warehouse.quality import INCOMPLETE_BELOW, expected_volumes


def test_a_run_of_short_months_is_judged_against_the_months_before_it():
    counts = np.array([100.0] * 12 + [30.0] * 8 + [100.0] * 3)
    expected, incomplete = expected_volumes(counts)
    assert incomplete.tolist() == [False] * 12 + [True] * 8 + [False] * 3
    assert expected[12:20].tolist() == [100.0] * 8  # the short months never lower the expectation


def test_the_first_month_of_a_new_file_is_judged_against_the_months_after_it():
    counts = np.array([47.0] + [75_000.0] * 24)
    expected, incomplete = expected_volumes(counts)
    assert incomplete[0] and not incomplete[1:].any()
    assert expected[0] == 75_000.0


def test_small_series_are_not_judged():
    counts = np.array([10.0] * 12 + [2.0])
    _, incomplete = expected_volumes(counts)
    assert not incomplete.any()  # an expected 10 is too small to tell missing records from chance


def test_the_threshold_is_a_share_of_the_expected_volume():
    just_under, just_over = INCOMPLETE_BELOW * 1000 - 1, INCOMPLETE_BELOW * 1000
    for last, flagged in ((just_under, True), (just_over, False)):
        counts = np.array([1000.0] * 12 + [last])
        assert expected_volumes(counts)[1][-1] == flagged


@needs_shared
def test_the_real_seams_are_found(shared_built):
    con = connect(shared_built, read_only=True)
    found = con.execute(
        "SELECT source, strftime(month, '%Y-%m') AS month, field, flag FROM source_quality").df()
    con.close()

    def months(source, flag, field=None):
        rows = found[(found.source == source) & (found.flag == flag)]
        rows = rows[rows.field.isna()] if field is None else rows[rows.field == field]
        return set(rows.month)

    api = {f"2024-{m:02d}" for m in (9, 10, 11, 12)} | {f"2025-{m:02d}" for m in (1, 2, 3, 4)}
    # the ward file's first month holds 47 offences against about 75,000
    assert months("mps_crime/ward/current", "incomplete") == {"2024-03"}
    assert api | {"2022-12"} <= months("stop_search", "incomplete")
    assert api <= months("stop_search", "not_recorded", "outcome_linked_to_object")
    assert api <= months("stop_search", "not_recorded", "self_defined_group")
    assert {"2018-02", "2018-03"} <= months("stop_search", "low_coverage")
    assert {"2018-02", "2018-03"} == months("stop_search", "not_recorded", "age_range")
    # the City of London's street crime is not placed in Met areas at all: not judged for coverage
    assert months("street_crime", "low_coverage") == set()
    # months of ordinary quality are not flagged
    assert "2022-06" not in months("stop_search", "incomplete") | months("stop_search", "low_coverage")
    assert "2025-06" not in months("mps_crime/borough/current", "incomplete")
