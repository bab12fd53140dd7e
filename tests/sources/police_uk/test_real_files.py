"""Every real police.uk file in ../shared/data: nothing lost, totals as published in SOURCES.md."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from conftest import SHARED_POLICE_UK, needs_shared

from oversight.sources.police_uk import ingest_police_uk
from oversight.warehouse import connect

pytestmark = needs_shared


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("real") / "w.duckdb")
    folder = SHARED_POLICE_UK
    report = ingest_police_uk(
        con,
        [folder / "stop_and_search", folder / "street", folder / "outcomes"],
    )
    # The two borough extracts carry no force in their names: load them for the Met explicitly.
    extracts = ingest_police_uk(
        connect(tmp_path_factory.mktemp("extracts") / "w.duckdb"),
        sorted((folder / "stop_and_search" / "borough_extracts_api").glob("*.csv.gz")),
        force="metropolitan",
    )
    yield con, report, extracts
    con.close()


def _data_lines(path) -> int:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:  # type: ignore[operator]
        return sum(1 for _ in handle) - 1


def test_rows_read_equal_rows_loaded_plus_quarantined_for_every_file(loaded):
    _, report, extracts = loaded
    for f in report.files + extracts.files:
        if f.ok:
            assert f.rows_read == f.rows_loaded + f.rows_quarantined, f.name


def test_rows_read_equal_the_lines_in_each_file(loaded):
    _, report, _ = loaded
    for f in report.files:
        if f.ok:
            assert f.rows_read == _data_lines(Path(f.name)), f.name


def test_only_the_borough_extracts_without_a_force_fail(loaded):
    _, report, extracts = loaded
    assert sorted(Path(f.name).name for f in report.failed) == [
        "haringey_stop_and_search_2020-09_to_2021-08_from_api.csv.gz",
        "lambeth_stop_and_search_2020-09_to_2021-08_from_api.csv.gz",
    ]
    assert all(f.ok for f in extracts.files)
    assert sum(f.rows_read for f in extracts.files) == 12_117 + 7_135


def test_met_stop_search_totals_match_sources_md(loaded):
    con, _, _ = loaded
    archive = con.execute(
        "SELECT count(*), count(DISTINCT month) FROM stop_search WHERE source_file NOT LIKE '%from_api%'"
    ).fetchone()
    assert archive == (769_763, 59)
    api = con.execute(
        "SELECT count(*) FROM stop_search WHERE source_file LIKE '%from_api.csv.gz'"
    ).fetchone()
    assert api == (27_395,)


def test_met_2015_16_stop_search_has_no_coordinates_and_still_loads(loaded):
    con, _, _ = loaded
    rows = con.execute(
        """SELECT strftime(month, '%Y-%m'), count(*), count(latitude) FROM stop_search
           WHERE month BETWEEN DATE '2015-04-01' AND DATE '2016-05-01' GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    assert len(rows) == 11   # 2015-06, 2015-10 and 2016-02 are missing
    assert all(n > 9_000 and located == 0 for _, n, located in rows)


def test_city_of_london_street_totals_match_sources_md(loaded):
    con, _, _ = loaded
    assert con.execute(
        "SELECT count(*) FROM street_crime WHERE force = 'city-of-london' AND month < DATE '2021-01-01'"
    ).fetchone() == (24_503,)
    assert con.execute(
        "SELECT count(*), count(*) FILTER (WHERE crime_id IS NULL) FROM street_crime WHERE force = 'metropolitan'"
    ).fetchone() == (4_000, 699)


def test_monthly_totals_equal_the_rows_recorded_for_each_partition(loaded):
    con, _, _ = loaded
    assert con.execute(
        """SELECT count(*) FROM partition_load p
           JOIN (SELECT force, month, count(*) AS n FROM stop_search GROUP BY ALL) s USING (force, month)
           WHERE p.dataset = 'stop-and-search' AND p.rows_loaded <> s.n"""
    ).fetchone() == (0,)
