"""Figures at the real seams of the shared data, each checked against the raw files read here with
the csv module (not the loader): a near-empty first month of a new file, a switch of source, a
category rename, and fields an extract does not really record."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import SHARED, needs_shared

from oversight.warehouse import connect

pytestmark = needs_shared
MPS = SHARED / "mps"


def _rows(path: Path) -> list[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:  # type: ignore[operator]
        return list(csv.DictReader(fh))


def _borough_file_months(pattern: str, *, exclude_nfib: bool = True) -> dict[str, float]:
    """Month (YYYYMM) -> total over every row of the borough files; where files overlap, the file
    whose months run latest is taken for the months it covers."""
    by_file = []
    for path in sorted(MPS.glob(pattern)):
        totals: dict[str, float] = defaultdict(float)
        for row in _rows(path):
            major = row.get("MajorText") or row.get("Major Category") or ""
            if exclude_nfib and major.strip().upper() == "NFIB FRAUD":
                continue
            for column, cell in row.items():
                if column and column.isdigit() and len(column) == 6 and cell not in ("", None):
                    totals[column] += float(cell)
        by_file.append(totals)
    chosen: dict[str, float] = {}
    for totals in sorted(by_file, key=lambda t: max(t)):  # later-running files overwrite
        chosen.update(totals)
    return chosen


@pytest.fixture(scope="module")
def con(shared_built):
    c = connect(shared_built, read_only=True)
    yield c
    c.close()


def _value(con, measure, period_type, start, *, level="force", breakdown="all", column="value"):
    row = con.execute(
        f"""SELECT {column} FROM measure_value WHERE measure = ? AND period_type = ? AND period_start = ?
            AND area_level = ? AND breakdown = ?""",
        [measure, period_type, start, level, breakdown]).fetchone()
    return None if row is None else row[0]


def test_total_recorded_crime_fy2023_24_is_the_borough_files_total(con):
    months = _borough_file_months("MPS_Borough_Level_Crime_*_24_months_20[2]*.csv")
    historic = _borough_file_months("MPS_Borough_Level_Crime_Historical_*.csv")
    expected = sum((historic | months).get(f"{y}{m:02d}", 0.0)
                   for y, m in [(2023, m) for m in range(4, 13)] + [(2024, m) for m in range(1, 4)])
    published = _value(con, "total_recorded_crime", "financial_year", dt.date(2023, 4, 1))
    assert published == pytest.approx(expected, rel=0.005)
    assert expected > 900_000


def test_march_2024_is_the_full_month_not_the_ward_files_first_column(con):
    months = _borough_file_months("MPS_Borough_Level_Crime_*_24_months_20[2]*.csv")
    published = _value(con, "total_recorded_crime", "month", dt.date(2024, 3, 1))
    assert published == pytest.approx(months["202403"], rel=0.005)
    # the ward file's first month is nearly empty: at ward level it is published only with its flag
    flags = con.execute(
        """SELECT DISTINCT quality_flags FROM measure_value WHERE measure = 'total_recorded_crime'
           AND area_level = 'ward' AND period_type = 'month' AND period_start = DATE '2024-03-01'""").fetchall()
    assert flags == [(["incomplete"],)]


def test_old_category_mopac7_in_2017_18_counts_the_renamed_categories(con):
    # the seven crimes in the names the 2017-18 file itself uses
    wanted = {
        ("Violence Against the Person", "Assault with Injury"), ("Violence Against the Person", "Wounding/GBH"),
        ("Robbery", "Business Property"), ("Robbery", "Personal Property"),
        ("Burglary", "Burglary - Residential"), ("Burglary", "Burglary - Business and Community"),
        ("Theft and Handling", "Theft From M/V"), ("Theft and Handling", "Theft/Taking of M/V"),
        ("Theft and Handling", "Theft Person"),
        ("Criminal Damage", "Criminal Damage To a Dwelling"), ("Criminal Damage", "Criminal Damage To M/V"),
        ("Criminal Damage", "Criminal Damage To Other Bldg"), ("Criminal Damage", "Other Criminal Damage"),
    }
    total = 0.0
    for row in _rows(MPS / "MPS_Borough_Level_Crime_most_recent_24_months_2017-2018.csv"):
        if (row["Major Category"], row["Minor Category"]) in wanted:
            total += sum(float(row[f"{y}{m:02d}"]) for y, m in
                         [(2017, m) for m in range(4, 13)] + [(2018, m) for m in range(1, 4)])
    published = _value(con, "mopac7_crimes_old_categories", "financial_year", dt.date(2017, 4, 1))
    assert published == pytest.approx(total, rel=0.02)


def test_every_category_in_the_shared_files_is_in_the_crosswalk():
    from oversight.sources.reference.mps_crime import _categories

    known = _categories()
    for path in sorted(MPS.glob("MPS_*_Level_Crime_*.csv")):
        for row in _rows(path):
            vintage = "old" if "Major Category" in row else "current"
            major = (row.get("Major Category") or row.get("MajorText") or "").strip().upper()
            minor = (row.get("Minor Category") or row.get("MinorText") or "").strip().upper()
            assert (vintage, major, minor) in known, (path.name, major, minor)


API_MONTHS = [dt.date(2024, 9, 1), dt.date(2024, 12, 1), dt.date(2025, 4, 1)]


@pytest.mark.parametrize("month", API_MONTHS, ids=str)
def test_fields_the_extracts_do_not_record_give_no_figure(con, month):
    path = SHARED / "police_uk" / "stop_and_search" / f"{month:%Y-%m}-metropolitan-stop-and-search_from_api.csv.gz"
    rows = _rows(path)
    # the extract says False on every record, arrests included: a placeholder
    assert {r["Outcome linked to object of search"] for r in rows} == {"False"}
    for measure in ("stop_search_find_rate", "stop_search_ethnicity_not_stated"):
        value, flags = (_value(con, measure, "month", month, column="value"),
                        _value(con, measure, "month", month, column="quality_flags"))
        assert value is None or value != value  # NULL, never 0.0
        assert "not_recorded" in flags


def test_flagged_figures_carry_no_verdict_and_no_spc(con):
    wrong = con.execute(
        """SELECT measure, count(*) FROM measure_value
           WHERE len(quality_flags) > 0
             AND (spc_signal IS NOT NULL OR spc_lower IS NOT NULL
                  OR coalesce(vs_year_before, 'not comparable') <> 'not comparable'
                  OR vs_average IS NOT NULL OR quality_note IS NULL)
           GROUP BY ALL""").fetchall()
    assert wrong == []


def test_a_comparison_across_a_change_of_source_is_not_comparable(con):
    # force figures switch from the borough files to ward sums in 2026-01
    january, december = dt.date(2026, 1, 1), dt.date(2025, 12, 1)
    assert _value(con, "total_recorded_crime", "month", january, column="source") == "mps_crime/ward/current"
    assert _value(con, "total_recorded_crime", "month", january, column="vs_year_before") == "not comparable"
    assert _value(con, "total_recorded_crime", "month", january, column="not_comparable_because") == "change_of_source"
    assert _value(con, "total_recorded_crime", "month", december, column="source") == "mps_crime/borough/current"


def test_a_comparison_across_the_declared_recording_break_names_the_break(con):
    # The MPS changed crime recording system in March 2024 (a declared break, same source files):
    # January to March 2025 against January to March 2024, whose months span it.
    quarter = dt.date(2025, 1, 1)
    assert _value(con, "sexual_offences", "fy_quarter", quarter, column="vs_year_before") == "not comparable"
    assert _value(con, "sexual_offences", "fy_quarter", quarter, column="not_comparable_because") == "series_break"
    a_year_later = dt.date(2026, 1, 1)  # both quarters after the break, but the second from ward sums
    assert _value(con, "sexual_offences", "fy_quarter", a_year_later,
                  column="not_comparable_because") == "change_of_source"


def test_every_not_comparable_figure_says_why_and_the_reason_holds(con):
    """Checked against the year-before row found here by SQL and the breaks the catalogue declares:
    a reason exactly where the verdict is "not comparable", the first that holds of the two rows."""
    from oversight.measures.catalogue import load_catalogue

    catalogue = load_catalogue()
    declared = [(m.id, f"{month}-01") for m in catalogue.values()
                for month in (*m.series_breaks, *(catalogue[m.of].series_breaks if m.of in catalogue else ()))]
    assert declared
    breaks = ", ".join(f"('{measure}', DATE '{month}')" for measure, month in declared)
    found = dict(((reason, what), n) for reason, what, n in con.execute(
        f"""WITH nc AS (SELECT * FROM measure_value
                        WHERE not_comparable_because IS NOT NULL OR vs_year_before = 'not comparable'),
                 checked AS (
            SELECT nc.not_comparable_because AS reason,
                   nc.vs_year_before = 'not comparable' AND nc.not_comparable_because IS NOT NULL AS both_said,
                   len(list_filter(nc.quality_flags, lambda f: f <> 'crosses_break')) > 0 AS own_flags,
                   len(list_filter(b.quality_flags, lambda f: f <> 'crosses_break')) > 0 AS before_flags,
                   nc.source IS DISTINCT FROM b.source AS new_source, b.measure IS NOT NULL AS has_before,
                   EXISTS (SELECT 1 FROM (VALUES {breaks}) k(measure, month) WHERE k.measure = nc.measure
                           AND k.month > b.period_start AND k.month <= nc.period_end) AS break_between
            FROM nc LEFT JOIN measure_value b
              ON b.measure = nc.measure AND b.area_level = nc.area_level AND b.area_code = nc.area_code
             AND b.breakdown = nc.breakdown AND b.period_type = nc.period_type
             AND b.period_start = nc.period_start - INTERVAL 12 MONTH)
           SELECT reason, what, count(*) FILTER (WHERE NOT ok) FROM (
               SELECT reason, 'said' AS what, both_said AND has_before AS ok FROM checked
               UNION ALL SELECT reason, 'own flags', own_flags = (reason = 'flagged') FROM checked
               UNION ALL SELECT reason, 'before flags',
                                reason = 'flagged' OR before_flags = (reason = 'flagged_year_before') FROM checked
               UNION ALL SELECT reason, 'source', new_source OR NOT break_between
                         FROM checked WHERE reason = 'change_of_source'
               UNION ALL SELECT reason, 'break', NOT new_source AND break_between
                         FROM checked WHERE reason = 'series_break')
           GROUP BY ALL""").fetchall())
    assert {reason for reason, _ in found} >= {"flagged", "flagged_year_before", "change_of_source", "series_break"}
    assert {key: n for key, n in found.items() if n} == {}


def test_low_coverage_months_are_flagged_below_force_level_only(con):
    lambeth = con.execute(
        """SELECT quality_flags, quality_note FROM measure_value WHERE measure = 'stop_search_volume'
           AND period_type = 'month' AND period_start = DATE '2018-02-01' AND area_code = 'E09000022'
           AND breakdown = 'all'""").fetchone()
    assert lambeth[0] == ["low_coverage"] and "could be placed" in lambeth[1]
    assert _value(con, "stop_search_volume", "month", dt.date(2018, 2, 1), column="quality_flags") == []
