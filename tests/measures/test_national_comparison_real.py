"""Forces compared for 2019-20 (measures.national) against counts taken straight from the raw files."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pytest
from conftest import FY2019_20, needs_shared
from national_raw import raw_force_areas_km2, raw_residents, raw_searches

from oversight.measures import national

pytestmark = needs_shared


@pytest.fixture(scope="module")
def con(national_2019_20):
    connection = duckdb.connect(str(national_2019_20), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def compared(con) -> national.NationalComparison:
    return national.compare_forces(con, group="Black")


@pytest.fixture(scope="module")
def raw():
    return raw_searches(FY2019_20), raw_residents()


def test_the_year_is_2019_20_and_every_force_is_listed_once(compared):
    assert compared.period_end.isoformat() == "2020-03-31"
    listed = [f.force for f in (*compared.compared, *compared.not_compared)]
    assert len(listed) == len(set(listed)) == 44  # 43 force areas and British Transport Police
    assert len(compared.compared) >= 25


def test_the_reference_is_england_and_wales_pooled_over_the_forces_compared(compared, raw):
    searches, residents = raw
    forces = [f.force for f in compared.compared]
    black = sum(searches[f]["Black"] for f in forces) / sum(residents[f]["Black"] for f in forces)
    white = sum(searches[f]["White"] for f in forces) / sum(residents[f]["White"] for f in forces)
    assert compared.reference_ratio == pytest.approx(black / white, rel=1e-9)


def test_each_force_sits_at_its_own_counts_and_interval(compared, raw):
    searches, residents = raw
    for f in compared.compared:
        a, b = searches[f.force]["Black"], searches[f.force]["White"]
        assert (f.searches_group, f.searches_reference) == (a, b), f.force
        assert f.precision == pytest.approx(1 / (1 / a + 1 / b), rel=1e-12)
        ratio = (a / residents[f.force]["Black"]) / (b / residents[f.force]["White"])
        half = 1.959963984540054 * math.sqrt(1 / a + 1 / b)
        assert (f.ratio, f.low, f.high) == (pytest.approx(ratio, rel=1e-9), pytest.approx(ratio * math.exp(-half)),
                                            pytest.approx(ratio * math.exp(half)))


def test_forces_without_a_defensible_figure_are_listed_with_the_reason(compared):
    reasons = {f.force: f.not_compared for f in compared.not_compared}
    assert "no resident population" in reasons["btp"]
    # Greater Manchester stopped submitting after June 2019: three months of the year.
    assert reasons["greater-manchester"] == "records are loaded for only 3 of the year's 12 months"
    assert all(reasons.values())


def test_the_verdicts_follow_the_funnel_and_ranks_follow_the_intervals(compared):
    assert compared.funnel is not None
    rows = compared.compared
    w = np.array([f.precision for f in rows])
    low, high = compared.funnel.limits(w, 0.998)
    for f, lo, hi in zip(rows, low, high, strict=True):
        expected = "higher than expected" if f.ratio > hi else "lower than expected" if f.ratio < lo else \
            "within the expected range"
        assert f.verdict == expected, f.force
    for f in rows:
        above = sum(g.low > f.high for g in rows)
        below = sum(g.high < f.low for g in rows)
        assert (f.best_rank, f.worst_rank) == (1 + above, len(rows) - below), f.force
    ratios = [f.ratio for f in rows]
    assert ratios == sorted(ratios, reverse=True)


def test_force_areas_agree_with_the_ons_lsoa_areas(con):
    profiles = national.force_profiles(con)
    ons = raw_force_areas_km2()
    assert len(profiles) == 43
    for force, area in profiles["area_km2"].items():
        # The boundaries are generalised: the City of London's 2.9 km2 is the one that suffers.
        assert area == pytest.approx(ons[force], rel=0.10 if force == "city-of-london" else 0.025), force


def test_forces_like_each_force_are_its_nearest_on_size_density_and_ethnic_mix(con):
    """Recomputed from the raw census file and ONS areas, the five nearest forces agree."""
    residents, ons = raw_residents(), raw_force_areas_km2()
    forces = sorted(ons)
    people = np.array([sum(residents[f].values()) for f in forces], dtype=float)
    shares = np.array([[residents[f][g] / sum(residents[f].values()) for g in national.GROUPS] for f in forces])
    columns = [np.log(people), np.log(people / np.array([ons[f] for f in forces]))]

    def z(v: np.ndarray) -> np.ndarray:
        return (v - v.mean()) / v.std()

    x = np.column_stack([z(c) for c in columns] + [z(shares[:, k]) / 2 for k in range(len(national.GROUPS))])
    similar = national.similar_forces(national.force_profiles(con))
    agree = 0
    for i, force in enumerate(forces):
        d = np.sqrt(((x - x[i]) ** 2).sum(axis=1))
        d[i] = np.inf
        expected = {forces[j] for j in np.argsort(d, kind="stable")[:5]}
        agree += len(expected & set(similar[force]))
    # Areas from boundaries differ from ONS's by up to 2%: a fifth neighbour may change places.
    assert agree >= 0.95 * 5 * len(forces)
