"""The measures built from the bundled real data, each checked against the raw files or an
independent query written here (not the engine's SQL)."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
from collections import Counter

import numpy as np
import pytest
from conftest import BUNDLED, REPO

from oversight.stats import rate_ratio
from oversight.warehouse import connect

REFERENCE = REPO / "data" / "default" / "reference"
LAMBETH = "E09000022"


@pytest.fixture(scope="module")
def built(bundled_built):
    """The session's build of the bundled data, as `make demo` loads it (conftest.bundled_built)."""
    con = connect(bundled_built, read_only=True)
    yield con
    con.close()


def _value(con, measure, period_type, end, code, breakdown="all", column="value"):
    row = con.execute(
        f"""SELECT {column} FROM measure_value WHERE measure = ? AND period_type = ? AND period_end = ?
            AND area_code = ? AND breakdown = ?""",
        [measure, period_type, end, code, breakdown],
    ).fetchone()
    return None if row is None else row[0]


def test_pas_borough_value_is_the_published_figure(built):
    with gzip.open(REFERENCE / "mps" / "MOPAC_PAS_dashboard_borough_quarterly_2014-2023.csv.gz", "rt") as fh:
        published = next(
            float(r["Proportion"]) for r in csv.DictReader(fh)
            if r["Date"] == "2019-12-31" and r["Borough"] == "Lambeth" and r["Measure"] == "Trust MPS"
        )
    got = _value(built, "trust_mps", "rolling_12", dt.date(2019, 12, 31), LAMBETH)
    assert got == pytest.approx(published)
    n, assumed = built.execute(
        """SELECT sample_size, sample_size_assumed FROM measure_value WHERE measure = 'trust_mps'
           AND area_code = ? AND period_end = DATE '2019-12-31'""", [LAMBETH]).fetchone()
    assert (n, assumed) == (400, True)


def test_stop_search_monthly_force_totals_equal_the_rows_in_each_file(built):
    for path in sorted((BUNDLED / "stop-and-search").glob("*.csv.gz")):
        with gzip.open(path, "rt", newline="") as fh:
            rows = sum(1 for _ in csv.DictReader(fh))
        month = dt.date.fromisoformat(path.name[:7] + "-01")
        end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        assert _value(built, "stop_search_volume", "month", end, "metropolitan") == rows, path.name


def test_rolling_12_equals_the_sum_of_its_months(built):
    months = built.execute(
        """SELECT sum(value) FROM measure_value WHERE measure = 'total_recorded_crime' AND period_type = 'month'
           AND area_code = ? AND breakdown = 'all' AND period_end BETWEEN DATE '2019-01-01' AND DATE '2019-12-31'""",
        [LAMBETH],
    ).fetchone()[0]
    assert _value(built, "total_recorded_crime", "rolling_12", dt.date(2019, 12, 31), LAMBETH) == months
    assert _value(built, "total_recorded_crime", "calendar_year", dt.date(2019, 12, 31), LAMBETH) == months


def test_borough_crime_equals_the_raw_wide_file(built):
    """Lambeth violence with injury in 2019-06, summed from the published CSV with the csv module."""
    path = REFERENCE / "mps" / "MPS_Borough_Level_Crime_Historical_2010-04_to_2023-11.csv.gz"
    with gzip.open(path, "rt", newline="") as fh:
        expected = sum(int(r["201906"]) for r in csv.DictReader(fh)
                       if r["BoroughName"] == "Lambeth" and r["MinorText"].upper() == "VIOLENCE WITH INJURY")
    assert _value(built, "violence_with_injury", "month", dt.date(2019, 6, 30), LAMBETH) == expected


def test_bcu_is_the_sum_of_its_boroughs(built):
    boroughs = built.execute(
        "SELECT code FROM area WHERE level = 'borough' AND parent_code = 'AS'").fetchall()
    assert sorted(b for (b,) in boroughs) == ["E09000022", "E09000028"]  # Lambeth, Southwark
    total = sum(_value(built, "neighbourhood_crime", "financial_year", dt.date(2020, 3, 31), b) for (b,) in boroughs)
    assert _value(built, "neighbourhood_crime", "financial_year", dt.date(2020, 3, 31), "AS") == total


def test_rate_ratio_agrees_with_an_independent_query(built):
    """Black/White self-defined search rate ratio for Lambeth, 2018, from stop_search, the
    placements and the census table directly."""
    counts = dict(built.execute(
        """SELECT s.self_defined_group, count(*) FROM stop_search s
           JOIN stop_search_place p ON p.source_file = s.source_file AND p.source_line = s.source_line
           WHERE p.borough_code = ? AND p.status = 'located' AND year(s.month) = 2018
           GROUP BY ALL""", [LAMBETH]).fetchall())
    residents = dict(built.execute(
        """SELECT e.ethnic_group, sum(e.residents) FROM population_group e
           WHERE e.census_year = 2021 AND e.scheme = 'self_defined' AND e.level = 'borough' AND e.area_code = ?
           GROUP BY ALL""", [LAMBETH]).fetchall())
    expected = rate_ratio(counts["Black"], residents["Black"], counts["White"], residents["White"])
    got = built.execute(
        """SELECT value, interval_low, interval_high, denominator_year FROM measure_value
           WHERE measure = 'stop_search_rate_ratio' AND period_type = 'calendar_year'
           AND period_end = DATE '2018-12-31' AND area_code = ? AND breakdown = 'self_defined_group=Black'""",
        [LAMBETH],
    ).fetchone()
    assert got[3] == 2021  # 2018 is nearer the 2021 census
    np.testing.assert_allclose(got[:3], [expected.estimate, expected.lower, expected.upper], rtol=0, atol=5e-5)


def test_located_plus_unlocated_is_every_search(built):
    located = built.execute(
        """SELECT sum(value) FROM measure_value WHERE measure = 'stop_search_volume' AND period_type = 'calendar_year'
           AND area_level = 'borough' AND breakdown = 'all'""").fetchone()[0]
    statuses = Counter(dict(built.execute(
        "SELECT status, count(*) FROM stop_search_place WHERE year(month) = 2018 GROUP BY ALL").fetchall()))
    assert located == statuses["located"]
    force_total = _value(built, "stop_search_volume", "calendar_year", dt.date(2018, 12, 31), "metropolitan")
    assert sum(statuses.values()) == force_total


def test_partner_measures_wait_for_data(built):
    status = dict(built.execute("SELECT measure, status FROM measure_status").fetchall())
    assert status["victim_satisfaction"] == "awaiting data"
    assert status["trust_mps"] == "ok"
