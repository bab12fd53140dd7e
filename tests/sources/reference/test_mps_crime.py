"""MPS recorded crime and homicide victims: totals against the raw files, overlaps, quarantine, reloads."""

from __future__ import annotations

import csv
import gzip
import hashlib
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import REPO, SHARED, csv_lines, needs_shared, write_lines

from oversight.sources.reference import mps_crime
from oversight.sources.reference._common import borough, borough_codes
from oversight.sources.reference.dataset import load_dataset_file, load_datasets
from oversight.warehouse import connect

BUNDLED_REFERENCE = REPO / "data" / "default" / "reference"
ROOT = SHARED if (SHARED / "mps").exists() else BUNDLED_REFERENCE
BOROUGH, WARD, HOMICIDE = mps_crime.DATASETS


def _raw(pattern: str) -> Path:
    """The one file under ROOT/mps matching `pattern` (plain CSV in shared, .csv.gz when bundled)."""
    (match,) = sorted((ROOT / "mps").glob(pattern))
    return match


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(csv_lines(path)))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """Every MPS crime and homicide file under ROOT, loaded once."""
    con = connect(tmp_path_factory.mktemp("mps") / "warehouse.duckdb")
    reports = load_datasets(con, mps_crime.DATASETS, [ROOT])
    yield con, reports
    con.close()


def _one(con, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchone()[0]


def test_every_file_loads_without_quarantine(loaded):
    con, reports = loaded
    assert all(r.ok for r in reports), [r.error for r in reports]
    assert sum(r.rows_quarantined for r in reports) == 0
    for r in reports:
        if r.dataset != "mps-homicide-victims":
            assert "each cell is one output row" in r.notes[0]


def test_lambeth_burglary_2019_01_equals_a_hand_sum_of_the_raw_wide_file(loaded):
    con, _ = loaded
    raw = _rows(_raw("MPS_Borough_Level_Crime_Historical_2010-04_to_2023-11.csv*"))
    expected = sum(int(r["201901"]) for r in raw if r["BoroughName"] == "Lambeth" and r["MajorText"] == "BURGLARY")
    got = _one(con, """SELECT sum(count) FROM mps_crime WHERE level = 'borough' AND category_vintage = 'current'
                       AND area_code = 'E09000022' AND major = 'BURGLARY' AND month = DATE '2019-01-01'""")
    assert expected > 0
    assert got == expected


def test_old_categories_lambeth_burglary_2016_01_equals_the_raw_file(loaded):
    con, _ = loaded
    raw = _rows(_raw("MPS_Borough_Level_Crime_Historic_2008-2016.csv*"))
    expected = sum(int(r["201601"]) for r in raw if r["Borough"] == "Lambeth" and r["Major Category"] == "Burglary")
    got = _one(con, """SELECT sum(count) FROM mps_crime WHERE category_vintage = 'old' AND area_code = 'E09000022'
                       AND major = 'Burglary' AND month = DATE '2016-01-01'""")
    assert got == expected > 0


def test_non_borough_rows_are_in_the_mps_total_but_in_no_borough(loaded):
    con, _ = loaded
    raw = _rows(_raw("MPS_Borough_Level_Crime_Historical_2010-04_to_2023-11.csv*"))
    everything = sum(int(r["202206"]) for r in raw)
    not_boroughs = {"Unknown", "London Heathrow and London City Airports"}
    outside = sum(int(r["202206"]) for r in raw if r["BoroughName"] in not_boroughs)
    month = "month = DATE '2022-06-01' AND level = 'borough' AND category_vintage = 'current'"
    assert _one(con, f"SELECT sum(count) FROM mps_crime WHERE {month}") == everything
    in_boroughs = _one(con, f"SELECT sum(count) FROM mps_crime WHERE {month} AND borough_code IS NOT NULL")
    assert in_boroughs == everything - outside
    names = con.execute(
        f"SELECT DISTINCT area_name FROM mps_crime WHERE {month} AND area_code IS NULL ORDER BY 1"
    ).fetchall()
    assert names == [("London Heathrow and London City Airports",), ("Unknown",)]
    assert _one(con, f"SELECT count(DISTINCT borough_code) FROM mps_crime WHERE {month}") == 32


def test_the_later_24_month_file_wins_the_overlap_and_every_difference_is_kept(loaded):
    con, reports = loaded
    newer = _raw("MPS_Borough_Level_Crime_most_recent_24_months_2024-01_to_2025-12.csv*")
    older = _raw("MPS_Borough_Level_Crime_most_recent_24_months_2023-12_to_2025-11.csv*")
    raw_new = _rows(newer)
    expected = sum(int(r["202408"]) for r in raw_new)
    assert _one(con, """SELECT sum(count) FROM mps_crime WHERE level = 'borough' AND category_vintage = 'current'
                        AND month = DATE '2024-08-01'""") == expected
    # 2023-12 is only in the older file, so it comes from there.
    assert _one(con, "SELECT DISTINCT source_file FROM mps_crime "
                     "WHERE month = DATE '2023-12-01' AND level = 'borough'") == older.name
    # Independent count of differing cells: the same series and month with different figures
    # (a series missing from one file counts as 0 there, as the publisher omits all-zero series).
    months = [f"{y}{m:02d}" for y in (2024, 2025) for m in range(1, 13)][:23]
    def cells(rows):
        return {(r["MajorText"], r["MinorText"], r["BoroughName"], m): int(r[m]) for r in rows for m in months}
    a, b = cells(_rows(older)), cells(raw_new)
    differ = sum(1 for k in a.keys() | b.keys() if a.get(k, 0) != b.get(k, 0))
    assert differ == 3264
    assert _one(con, "SELECT count(*) FROM mps_crime_revision WHERE kept_file = ? AND other_file = ?",
                [newer.name, older.name]) == differ
    note = next(n for r in reports if r.name == older.name for n in r.notes if n.startswith("overlaps"))
    assert "3,264 cells differ" in note and newer.name in note


def _wide(path: Path, months: list[str], rows: list[list[object]]) -> Path:
    header = ",".join(["MajorText", "MinorText", "BoroughName", *months])
    return write_lines(path, [header, *(",".join(map(str, r)) for r in rows)])


def test_overlap_between_two_hand_built_files(warehouse, tmp_path):
    _wide(tmp_path / "mps" / "MPS_Borough_Level_Crime_A.csv", ["202401", "202402", "202403"], [
        ["BURGLARY", "DOMESTIC BURGLARY", "Lambeth", 10, 11, 12],
        ["ROBBERY", "ROBBERY OF PERSONAL PROPERTY", "Lambeth", 5, 6, 7],
    ])
    _wide(tmp_path / "mps" / "MPS_Borough_Level_Crime_B.csv", ["202402", "202403", "202404"], [
        ["BURGLARY", "DOMESTIC BURGLARY", "Lambeth", 11, 15, 13],
        ["ROBBERY", "ROBBERY OF PERSONAL PROPERTY", "Lambeth", 6, 7, 8],
    ])
    reports = load_datasets(warehouse, [BOROUGH], [tmp_path])
    got = warehouse.execute("""SELECT strftime(month, '%Y%m'), minor, count, source_file FROM mps_crime
                               ORDER BY 1, 2""").fetchall()
    assert got == [
        ("202401", "DOMESTIC BURGLARY", 10, "MPS_Borough_Level_Crime_A.csv"),
        ("202401", "ROBBERY OF PERSONAL PROPERTY", 5, "MPS_Borough_Level_Crime_A.csv"),
        ("202402", "DOMESTIC BURGLARY", 11, "MPS_Borough_Level_Crime_B.csv"),
        ("202402", "ROBBERY OF PERSONAL PROPERTY", 6, "MPS_Borough_Level_Crime_B.csv"),
        ("202403", "DOMESTIC BURGLARY", 15, "MPS_Borough_Level_Crime_B.csv"),
        ("202403", "ROBBERY OF PERSONAL PROPERTY", 7, "MPS_Borough_Level_Crime_B.csv"),
        ("202404", "DOMESTIC BURGLARY", 13, "MPS_Borough_Level_Crime_B.csv"),
        ("202404", "ROBBERY OF PERSONAL PROPERTY", 8, "MPS_Borough_Level_Crime_B.csv"),
    ]
    revision = warehouse.execute("SELECT * EXCLUDE (level, category_vintage) FROM mps_crime_revision").fetchall()
    assert revision == [(date(2024, 3, 1), "E09000022", "Lambeth", "BURGLARY", "DOMESTIC BURGLARY", 15, 12,
                         "MPS_Borough_Level_Crime_B.csv", "MPS_Borough_Level_Crime_A.csv")]
    notes = {r.name: [n for n in r.notes if n.startswith("overlaps")] for r in reports}
    assert notes["MPS_Borough_Level_Crime_A.csv"] == [
        "overlaps MPS_Borough_Level_Crime_B.csv in 2 months (2024-02 to 2024-03): 1 cell differs; that file runs "
        "to a later month, so its figures are kept for those months (see mps_crime_revision)"
    ]
    assert "1 cell differs; this file runs to a later month" in notes["MPS_Borough_Level_Crime_B.csv"][0]


def test_bad_cells_are_quarantined_with_file_line_field_and_reason(warehouse, tmp_path):
    path = _wide(tmp_path / "mps" / "MPS_Borough_Level_Crime_bad.csv", ["202401", "202402"], [
        ["BURGLARY", "DOMESTIC BURGLARY", "Lambeth", 10, "x"],
        ["BURGLARY", "DOMESTIC BURGLARY", "Southwark", -3, 4],
        ["BURGLARY", "DOMESTIC BURGLARY", "Atlantis", 1, 1],
    ])
    report = load_dataset_file(warehouse, BOROUGH, path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 3)
    q = warehouse.execute("""SELECT dataset, source_file, source_line, field, value, reason FROM quarantine
                             ORDER BY source_line, field""").fetchall()
    assert q == [
        ("mps-crime-borough", "MPS_Borough_Level_Crime_bad.csv", 2, "202402", "x", "not a number"),
        ("mps-crime-borough", "MPS_Borough_Level_Crime_bad.csv", 3, "202401", "-3", "negative count"),
        ("mps-crime-borough", "MPS_Borough_Level_Crime_bad.csv", 4, "BoroughName", "Atlantis",
         "unknown borough name (not in mappings/london_boroughs.csv)"),
    ]
    assert warehouse.execute(
        "SELECT area_name, strftime(month, '%Y%m'), count FROM mps_crime_borough_published ORDER BY 1"
    ).fetchall() == [
        ("Lambeth", "202401", 10), ("Southwark", "202402", 4),
    ]


def test_a_file_that_is_not_mps_crime_is_an_error_not_a_load(warehouse, tmp_path):
    path = write_lines(tmp_path / "mps" / "MPS_Borough_Level_Crime_x.csv", ["Borough,Count", "Lambeth,3"])
    report = load_dataset_file(warehouse, BOROUGH, path)
    assert not report.ok and "Count" in (report.error or "")


def test_reload_is_idempotent(warehouse, tmp_path):
    folder = tmp_path / "mps"
    _wide(folder / "MPS_Borough_Level_Crime_A.csv", ["202401", "202402"], [["THEFT", "SHOPLIFTING", "Brent", 3, 4]])
    _wide(folder / "MPS_Borough_Level_Crime_B.csv", ["202402", "202403"], [["THEFT", "SHOPLIFTING", "Brent", 5, 6]])

    def state():
        return [warehouse.execute(f"SELECT count(*), sum(count) FROM {t}").fetchone()
                for t in ("mps_crime_borough_published", "mps_crime")] + [
            warehouse.execute("SELECT count(*) FROM mps_crime_revision").fetchone(),
            warehouse.execute("SELECT count(*) FROM file_load").fetchone()]

    load_datasets(warehouse, [BOROUGH], [tmp_path])
    first = state()
    assert first[1] == (3, 3 + 5 + 6)
    again = load_datasets(warehouse, [BOROUGH], [tmp_path])
    assert all(r.unchanged for r in again)
    assert state() == first
    load_datasets(warehouse, [BOROUGH], [tmp_path], reload=True)
    after = state()
    assert after[:3] == first[:3]
    assert after[3] == (4,)  # two more ledger entries, the rows they replaced are gone


def test_ward_rows_match_the_raw_file_and_aviation_security_has_no_borough(loaded):
    con, _ = loaded
    raw = _rows(_raw("MPS_Ward_Level_Crime_most_recent_24_months_*.csv*"))
    ward = next(r["WardCode"] for r in raw if r["LookUp_BoroughName"] == "Lambeth")
    expected = sum(int(r["202501"]) for r in raw if r["WardCode"] == ward)
    got = _one(con, "SELECT sum(count) FROM mps_crime "
                    "WHERE level = 'ward' AND area_code = ? AND month = DATE '2025-01-01'", [ward])
    assert got == expected
    assert _one(con, "SELECT DISTINCT borough_code FROM mps_crime WHERE level = 'ward' AND area_code = ?",
                [ward]) == "E09000022"
    so18 = con.execute("""SELECT DISTINCT area_code, area_name, borough_code, borough_name FROM mps_crime
                          WHERE level = 'ward' AND borough_code IS NULL""").fetchall()
    assert so18 == [("E05013570", "Heathrow Villages", None, "Aviation Security (SO18)")]
    total = sum(int(r["202501"]) for r in raw)
    assert _one(con, "SELECT sum(count) FROM mps_crime WHERE level = 'ward' AND month = DATE '2025-01-01'") == total


def test_homicide_victims_total_the_2912_row_file(loaded):
    con, _ = loaded
    raw = _rows(_raw("MPS_homicide_victims_2003-2023.csv*"))
    assert len(raw) == 2912
    assert _one(con, "SELECT sum(victims) FROM homicide_victim") == sum(int(r["Count of Victims"]) for r in raw) == 2912
    domestic = sum(int(r["Count of Victims"]) for r in raw if r["Domestic Abuse"] == "Domestic Abuse")
    assert _one(con, "SELECT sum(victims) FROM homicide_victim WHERE domestic_abuse") == domestic
    lambeth_2019 = sum(1 for r in raw if r["Borough"].strip() == "Lambeth" and r["Recorded Date"].endswith("-19"))
    assert _one(con, """SELECT sum(victims) FROM homicide_victim WHERE borough_code = 'E09000022'
                        AND year(month) = 2019""") == lambeth_2019
    heathrow = sum(1 for r in raw if r["Borough"].strip() == "Heathrow")
    assert _one(con, "SELECT count(*) FROM homicide_victim WHERE borough_code IS NULL") == heathrow
    months = {datetime.strptime(r["Recorded Date"], "%b-%y").date() for r in raw}
    # The file runs to Dec 2023 (SOURCES.md says Jun 2023; the rows say otherwise).
    assert (min(months), max(months)) == (date(2003, 1, 1), date(2023, 12, 1))
    assert con.execute("SELECT min(month), max(month) FROM homicide_victim").fetchone() == (min(months), max(months))


def test_borough_names_map_to_the_33_gss_codes():
    codes = borough_codes()
    assert sorted(codes) == [f"E090000{n:02d}" for n in range(1, 34)]
    assert codes["E09000033"] == "Westminster"
    for variant, code in [("Richmond Upon Thames", "E09000027"), ("richmond upon thames", "E09000027"),
                          ("City of Westminster", "E09000033"), ("Barking & Dagenham", "E09000002"),
                          ("Kingston Upon Thames", "E09000021"), ("Ealing ", "E09000009")]:
        assert borough(variant).code == code, variant
    assert borough("Unknown").code is None and borough("Unknown").kind == "non_borough"
    assert borough("Atlantis") is None


@needs_shared
def test_bundled_files_are_the_shared_files():
    folder = BUNDLED_REFERENCE / "mps"
    sums = dict(line.split("  ")[::-1] for line in (folder / "SHA256SUMS").read_text().splitlines())
    assert len(sums) == 28  # with the 2016 PAS neighbourhood file and the three use-of-force incident tables
    for name, digest in sums.items():
        packed = (folder / name).read_bytes()
        assert hashlib.sha256(packed).hexdigest() == digest, name
        assert gzip.decompress(packed) == (SHARED / "mps" / name.removesuffix(".gz")).read_bytes(), name
