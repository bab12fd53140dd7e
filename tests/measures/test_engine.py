"""The measures engine on small hand-built tables: every figure checked by hand or by an
independent query written here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from oversight import config
from oversight.measures.catalogue import load_catalogue
from oversight.measures.engine import build
from oversight.measures.periods import parse_period
from oversight.measures.query import measure_values
from oversight.stats import (
    classify_points,
    compare_counts,
    newcombe_difference,
    poisson_interval,
    rate_interval,
    wilson_interval,
)

HEADER = """
title = "Test"
description = "A test measure."
priority = "Reducing and preventing violence"
outcome = "Testing"
source = "hand-built rows"
"""


def _catalogue(tmp_path: Path, **definitions: str) -> dict:
    folder = tmp_path / "definitions"
    folder.mkdir(exist_ok=True)
    for name, body in definitions.items():
        (folder / f"{name}.toml").write_text(f'id = "{name}"\n{HEADER}\n{body}')
    return load_catalogue(folder)


COUNT = """
unit = "count"
polarity = "down_is_good"
computation = "records"
periods = ["month", "fy_quarter", "financial_year", "calendar_year", "rolling_12"]
levels = ["force", "borough"]
breakdowns = ["kind"]
requires = ["event"]
sql = "SELECT month, force, borough, kind, count(*) AS numerator FROM event GROUP BY ALL"
"""


def _events(con, rows: list[tuple[str, str, str | None, str]]) -> None:
    con.execute("CREATE OR REPLACE TABLE event (month DATE, force VARCHAR, borough VARCHAR, kind VARCHAR)")
    con.executemany("INSERT INTO event VALUES (?, ?, ?, ?)",
                    [[dt.date.fromisoformat(m + "-01"), f, b, k] for m, f, b, k in rows])


def _months(first: str, count: int) -> list[str]:
    start = pd.Period(first, "M")
    return [str(start + i) for i in range(count)]


def _value(con, measure: str, period_type: str, end: str, code: str, breakdown: str = "all") -> float:
    row = con.execute(
        """SELECT value FROM measure_value WHERE measure = ? AND period_type = ? AND period_end = ?
           AND area_code = ? AND breakdown = ?""",
        [measure, period_type, dt.date.fromisoformat(end), code, breakdown],
    ).fetchone()
    return row[0] if row else None


def test_counts_roll_up_to_levels_periods_and_breakdowns(warehouse, tmp_path):
    rows = []
    for i, month in enumerate(_months("2021-04", 24)):
        rows += [(month, "f1", "B1", "burglary")] * (i + 1)
        rows += [(month, "f1", "B2", "robbery")] * 2
        rows += [(month, "f1", None, "robbery")]  # no known borough: force total only
    _events(warehouse, rows)
    catalogue = _catalogue(tmp_path, crimes=COUNT)
    report = build(warehouse, catalogue)
    assert [m.status for m in report.measures] == ["ok"]
    # month: force = all rows; borough B1 in its 3rd month = 3
    assert _value(warehouse, "crimes", "month", "2021-04-30", "f1") == 1 + 2 + 1
    assert _value(warehouse, "crimes", "month", "2021-06-30", "B1") == 3
    assert _value(warehouse, "crimes", "month", "2021-06-30", "f1", "kind=robbery") == 3
    # FY quarter Q1 = Apr-Jun 2021: B1 has 1 + 2 + 3
    assert _value(warehouse, "crimes", "fy_quarter", "2021-06-30", "B1") == 6
    # Q3 2021-22 = Oct-Dec 2021 = months 7..9 of the series
    assert _value(warehouse, "crimes", "fy_quarter", "2021-12-31", "B1") == 7 + 8 + 9
    # financial year 2021-22 = the first 12 months
    assert _value(warehouse, "crimes", "financial_year", "2022-03-31", "B1") == sum(range(1, 13))
    # calendar year 2022 = months 10..21
    assert _value(warehouse, "crimes", "calendar_year", "2022-12-31", "B1") == sum(range(10, 22))
    # calendar 2021 lacks Jan-Mar: not published
    assert _value(warehouse, "crimes", "calendar_year", "2021-12-31", "B1") is None


def test_rolling_12_is_the_sum_of_its_months(warehouse, tmp_path):
    rows = []
    for i, month in enumerate(_months("2020-01", 30)):
        rows += [(month, "f1", "B1", "burglary")] * (i % 7 + 1)
    _events(warehouse, rows)
    build(warehouse, _catalogue(tmp_path, crimes=COUNT))
    monthly = warehouse.execute(
        "SELECT period_end, value FROM measure_value WHERE period_type = 'month' AND area_code = 'B1' "
        "AND breakdown = 'all' ORDER BY period_end"
    ).df()
    rolling = warehouse.execute(
        "SELECT period_end, value FROM measure_value WHERE period_type = 'rolling_12' AND area_code = 'B1' "
        "AND breakdown = 'all' ORDER BY period_end"
    ).df()
    assert len(rolling) == 30 - 11
    expected = monthly["value"].rolling(12).sum().dropna().to_numpy()
    np.testing.assert_array_equal(rolling["value"].to_numpy(), expected)


def test_missing_source_month_blocks_periods_but_zero_months_do_not(warehouse, tmp_path):
    rows = []
    for month in _months("2021-04", 12):
        if month == "2021-08":
            continue  # the source did not publish August
        rows.append((month, "f1", "B1", "burglary"))
    rows.append(("2021-05", "f1", "B2", "burglary"))  # B2 has rows in May only
    _events(warehouse, rows)
    build(warehouse, _catalogue(tmp_path, crimes=COUNT))
    assert _value(warehouse, "crimes", "fy_quarter", "2021-06-30", "B2") == 1
    assert _value(warehouse, "crimes", "month", "2021-06-30", "B2") == 0  # covered month, none in B2
    assert _value(warehouse, "crimes", "month", "2021-08-31", "B1") is None  # not covered at all
    assert _value(warehouse, "crimes", "fy_quarter", "2021-09-30", "B1") is None
    assert _value(warehouse, "crimes", "financial_year", "2022-03-31", "f1") is None


def test_intervals_comparisons_and_suppression(warehouse, tmp_path):
    rows = [("2021-01", "f1", "B1", "burglary")] * 40 + [("2022-01", "f1", "B1", "burglary")] * 70
    rows += [("2021-01", "f1", "B2", "burglary")] * 3 + [("2022-01", "f1", "B2", "burglary")] * 4
    _events(warehouse, rows)
    build(warehouse, _catalogue(tmp_path, crimes=COUNT))
    got = warehouse.execute(
        """SELECT area_code, value, interval_low, interval_high, vs_year_before, suppressed, suppression_reason
           FROM measure_value WHERE period_type = 'month' AND period_end = DATE '2022-01-31'
           AND breakdown = 'all' ORDER BY area_code"""
    ).df().set_index("area_code")
    interval = poisson_interval(70)
    assert got.loc["B1", "interval_low"] == pytest.approx(interval.lower)
    assert got.loc["B1", "interval_high"] == pytest.approx(interval.upper)
    assert got.loc["B1", "vs_year_before"] == compare_counts(70, 40) == "significant increase"
    assert got.loc["B2", "vs_year_before"] == "no significant change"
    assert bool(got.loc["B2", "suppressed"]) and got.loc["B2", "suppression_reason"] == "fewer than 10 records"
    assert not bool(got.loc["B1", "suppressed"])
    public = measure_values(warehouse, "crimes", area="B2", period="2022-01",
                            catalogue=_catalogue(tmp_path, crimes=COUNT), public=True)
    assert public["value"].isna().all() and public["suppression_reason"].iloc[0] == "fewer than 10 records"


def test_published_period_labels_read_back_with_their_type(warehouse, tmp_path):
    """The financial year 2011-12 and December 2011 share the label '2011-12': the period type
    given beside it chooses, and every label the query writes reads back with its type."""
    _events(warehouse, [(m, "f1", "B1", "burglary") for m in _months("2011-04", 12)])
    catalogue = _catalogue(tmp_path, crimes=COUNT)
    build(warehouse, catalogue)
    year = measure_values(warehouse, "crimes", level="force", period="2011-12", period_type="financial_year",
                          catalogue=catalogue)
    assert list(zip(year["period"], year["period_type"], year["period_end"], strict=True)) == [
        ("2011-12", "financial_year", pd.Timestamp("2012-03-31"))]
    month = measure_values(warehouse, "crimes", level="force", period="2011-12", catalogue=catalogue)
    assert list(zip(month["period"], month["period_type"], strict=True)) == [("2011-12", "month")]
    every = measure_values(warehouse, "crimes", catalogue=catalogue)
    assert set(every["period_type"]) == {"month", "fy_quarter", "financial_year", "rolling_12"}
    for label, period_type, end in zip(every["period"], every["period_type"], every["period_end"], strict=True):
        assert parse_period(label, period_type) == (period_type, end.date())


PROPORTION = """
unit = "proportion"
polarity = "up_is_good"
computation = "records"
periods = ["month"]
levels = ["force"]
requires = ["event"]
sql = '''
SELECT month, force, count(*) FILTER (WHERE kind = 'found') AS numerator, count(*) AS denominator
FROM event GROUP BY ALL'''
"""


def test_proportion_uses_wilson_interval(warehouse, tmp_path):
    _events(warehouse, [("2023-03", "f1", None, "found")] * 12 + [("2023-03", "f1", None, "nothing")] * 48)
    build(warehouse, _catalogue(tmp_path, finds=PROPORTION))
    value, low, high = warehouse.execute(
        "SELECT value, interval_low, interval_high FROM measure_value WHERE measure = 'finds'"
    ).fetchone()
    expected = wilson_interval(12, 60)
    assert value == pytest.approx(0.2)
    assert (low, high) == (pytest.approx(expected.lower), pytest.approx(expected.upper))


def test_spc_columns_match_classify_points_with_series_break(warehouse, tmp_path):
    counts = [20, 22, 19, 25, 21, 20, 23, 22, 24, 21, 20, 60, 22, 21, 20, 23, 22, 19, 21, 20, 22, 24, 23, 21, 20, 22]
    rows = []
    for month, n in zip(_months("2019-01", len(counts)), counts, strict=False):
        rows += [(month, "f1", "B1", "burglary")] * n
    _events(warehouse, rows)
    body = COUNT + '\nseries_breaks = ["2020-01"]\nseries_break_reason = "new recording system"\n'
    build(warehouse, _catalogue(tmp_path, crimes=body))
    got = warehouse.execute(
        """SELECT value, spc_mean, spc_lower, spc_upper, spc_signal, spc_variation FROM measure_value
           WHERE period_type = 'month' AND area_code = 'f1' AND breakdown = 'all' ORDER BY period_end"""
    ).df()
    expected = classify_points(counts, "down_is_good", breaks=[12])
    np.testing.assert_allclose(got["spc_mean"], expected["mean"], equal_nan=True)
    np.testing.assert_allclose(got["spc_upper"], expected["upper_limit"], equal_nan=True)
    assert got["spc_variation"].tolist() == expected["variation"].tolist()
    assert got["spc_mean"].iloc[0] != got["spc_mean"].iloc[20]  # limits restart at the break


STREET_COUNT = """
unit = "count"
polarity = "down_is_good"
computation = "records"
periods = ["month"]
levels = ["force"]
requires = ["street_crime"]
sql = "SELECT month, force, count(*) AS numerator FROM street_crime GROUP BY ALL"
series_breaks = ["2020-01"]
series_break_reason = "new recording system"
"""


def test_limits_restart_at_a_break_whose_first_month_is_flagged(warehouse, tmp_path):
    """A break falls on the first month of a new segment, the month most likely to be flagged (a
    new file's near-empty first month): that month leaves SPC, and the break moves with it to the
    next unflagged month instead of being lost, so the limits still restart."""
    counts = [100, 104, 97, 102, 99, 101, 103, 98, 100, 102, 96, 101,
              20, 201, 198, 203, 199, 202, 197, 200, 204, 198, 201, 199, 202, 200]
    rows = [["f1", dt.date.fromisoformat(month + "-01"), "Burglary", f"{month}-f1-street.csv", line]
            for month, n in zip(_months("2019-01", len(counts)), counts, strict=True) for line in range(n)]
    warehouse.executemany(
        "INSERT INTO street_crime (force, month, crime_type, source_file, source_line) VALUES (?, ?, ?, ?, ?)", rows)
    build(warehouse, _catalogue(tmp_path, crimes=STREET_COUNT))
    got = warehouse.execute(
        """SELECT numerator, quality_flags, spc_mean, spc_upper, spc_variation FROM measure_value
           WHERE period_type = 'month' ORDER BY period_end""").df()
    assert got["numerator"].tolist() == counts
    assert "incomplete" in got["quality_flags"].iloc[12]  # the short month is flagged ...
    assert np.isnan(got["spc_mean"].iloc[12])  # ... and takes no part in SPC
    charted = got.drop(index=12).reset_index(drop=True)
    expected = classify_points([n for n in counts if n != 20], "down_is_good", breaks=[12])
    np.testing.assert_allclose(charted["spc_mean"], expected["mean"])
    np.testing.assert_allclose(charted["spc_upper"], expected["upper_limit"])
    assert charted["spc_variation"].tolist() == expected["variation"].tolist()
    assert charted["spc_mean"].iloc[0] < 110 < 190 < charted["spc_mean"].iloc[-1]  # two levels, two means


def test_awaiting_data_and_failures_are_reported_not_raised(warehouse, tmp_path):
    broken = COUNT.replace("FROM event", "FROM event WHERE no_such_column = 1")
    partner = """
unit = "proportion"
polarity = "up_is_good"
computation = "partner"
periods = ["fy_quarter"]
levels = ["force"]
"""
    _events(warehouse, [("2021-01", "f1", "B1", "burglary")])
    catalogue = _catalogue(tmp_path, broken=broken, satisfaction=partner,
                           waiting=COUNT.replace('"event"', '"not_loaded"'))
    report = build(warehouse, catalogue)
    status = {m.measure: (m.status, m.detail) for m in report.measures}
    assert status["broken"][0] == "failed" and "broken.toml" in status["broken"][1]
    assert status["satisfaction"] == ("awaiting data", "not loaded yet: partner_value")
    assert status["waiting"] == ("awaiting data", "not loaded yet: not_loaded")
    stored = dict(warehouse.execute("SELECT measure, status FROM measure_status").fetchall())
    assert stored == {"broken": "failed", "satisfaction": "awaiting data", "waiting": "awaiting data"}


def test_rebuild_replaces_the_table(warehouse, tmp_path):
    _events(warehouse, [("2021-01", "f1", "B1", "burglary")] * 11)
    catalogue = _catalogue(tmp_path, crimes=COUNT)
    first = build(warehouse, catalogue).rows
    assert build(warehouse, catalogue).rows == first
    assert warehouse.execute("SELECT count(*) FROM measure_value").fetchone() == (first,)


def test_a_build_that_fails_to_swap_its_tables_keeps_the_last_good_ones(warehouse, tmp_path, monkeypatch):
    from oversight.measures import engine

    _events(warehouse, [("2021-01", "f1", "B1", "burglary")] * 12)
    catalogue = _catalogue(tmp_path, crimes=COUNT)
    build(warehouse, catalogue)
    tables = "SELECT * FROM measure_value ORDER BY ALL", "SELECT * EXCLUDE (built_at) FROM measure_status ORDER BY ALL"
    good = [warehouse.execute(sql).fetchall() for sql in tables]
    # A table of the wrong shape once the old one is dropped: the rows cannot be inserted.
    monkeypatch.setattr(engine, "MEASURE_VALUE_DDL", "CREATE TABLE IF NOT EXISTS measure_value (x INTEGER)")
    _events(warehouse, [("2021-01", "f1", "B1", "burglary")] * 20)
    with pytest.raises(duckdb.Error):
        build(warehouse, catalogue)
    assert [warehouse.execute(sql).fetchall() for sql in tables] == good


GAP = """
unit = "percentage_points"
band = 5
polarity = "neutral"
computation = "published"
periods = ["rolling_12"]
levels = ["force"]
requires = ["gap"]
sql = '''
SELECT 'rolling_12' AS period_type, period_end, 'force' AS area_level, 'f1' AS area_code,
       value, interval_low, interval_high
FROM gap'''
"""


def test_gaps_are_judged_against_the_band(warehouse, tmp_path):
    warehouse.execute("CREATE TABLE gap (period_end DATE, value DOUBLE, interval_low DOUBLE, interval_high DOUBLE)")
    warehouse.executemany(
        "INSERT INTO gap VALUES (?, ?, ?, ?)",
        [["2021-03-31", 2.0, -1.0, 4.5], ["2021-06-30", -9.0, -12.0, -6.0], ["2021-09-30", 4.0, 1.0, 7.0],
         ["2021-12-31", 3.0, None, None]],
    )
    build(warehouse, _catalogue(tmp_path, gap=GAP))
    got = [v for (v,) in warehouse.execute("SELECT vs_band FROM measure_value ORDER BY period_end").fetchall()]
    assert got == ["inside band", "outside band", "cannot tell", "cannot tell"]


RATE = """
unit = "rate_per_1000"
polarity = "neutral"
computation = "records"
periods = ["calendar_year"]
levels = ["force", "borough"]
breakdowns = ["grp"]
population = "self_defined"
population_breakdown = "grp"
requires = ["search"]
sql = "SELECT month, force, borough, grp, count(*) AS numerator FROM search GROUP BY ALL"
"""
RATIO = """
unit = "ratio"
polarity = "neutral"
computation = "ratio"
of = "rate"
reference = "grp=White"
periods = ["calendar_year"]
levels = ["force", "borough"]
"""
ALLOCATED = RATIO.replace('unit = "ratio"', 'unit = "rate_per_1000"').replace('"ratio"', '"allocated"')
FOUND = """
unit = "proportion"
polarity = "up_is_good"
computation = "records"
periods = ["calendar_year"]
levels = ["force"]
breakdowns = ["grp"]
requires = ["search"]
sql = '''
SELECT month, force, grp, count(*) FILTER (WHERE found) AS numerator, count(*) AS denominator
FROM search GROUP BY ALL'''
"""
GAP_TO_WHITE = """
unit = "percentage_points"
polarity = "neutral"
computation = "difference"
of = "found"
reference = "grp=White"
periods = ["calendar_year"]
levels = ["force"]
"""


def _searches(con) -> None:
    """2022, force f1, borough B1: Black 60 searches (15 finds), White 40 (16 finds), 25 not stated.
    Residents (2021 census): Black 2,000, White 8,000, All 12,000."""
    con.execute("CREATE TABLE search (month DATE, force VARCHAR, borough VARCHAR, grp VARCHAR, found BOOLEAN)")
    rows = []
    for grp, n, finds in (("Black", 60, 15), ("White", 40, 16), ("Not stated", 25, 5)):
        for i in range(n):
            rows.append([dt.date(2022, 1 + i % 12, 1), "f1", "B1", grp, i < finds])
    con.executemany("INSERT INTO search VALUES (?, ?, ?, ?, ?)", rows)
    con.execute(
        """CREATE TABLE population_group (census_year INT, scheme VARCHAR, level VARCHAR, area_code VARCHAR,
           ethnic_group VARCHAR, residents BIGINT)"""
    )
    for level, code in (("force", "f1"), ("borough", "B1")):
        for grp, n in (("Black", 2000), ("White", 8000), ("All", 12000)):
            con.execute("INSERT INTO population_group VALUES (2021, 'self_defined', ?, ?, ?, ?)", [level, code, grp, n])


def test_rate_ratio_to_white_matches_the_formula(warehouse, tmp_path):
    _searches(warehouse)
    build(warehouse, _catalogue(tmp_path, rate=RATE, ratio=RATIO))
    rate = dict(warehouse.execute(
        "SELECT breakdown, value FROM measure_value WHERE measure = 'rate' AND area_code = 'B1'").fetchall())
    assert rate["grp=Black"] == pytest.approx(60 / 2000 * 1000)
    assert rate["all"] == pytest.approx(125 / 12000 * 1000)
    value, low, high, year = warehouse.execute(
        """SELECT value, interval_low, interval_high, denominator_year FROM measure_value
           WHERE measure = 'ratio' AND area_code = 'B1' AND breakdown = 'grp=Black'"""
    ).fetchone()
    assert value == pytest.approx((60 / 2000) / (40 / 8000))  # 6.0
    half_width = 1.959964 * np.sqrt(1 / 60 + 1 / 40)  # log method, by hand
    assert (low, high) == (pytest.approx(6 * np.exp(-half_width), rel=1e-6),
                           pytest.approx(6 * np.exp(half_width), rel=1e-6))
    assert year == 2021
    groups = {b for (b,) in warehouse.execute(
        "SELECT DISTINCT breakdown FROM measure_value WHERE measure = 'ratio'").fetchall()}
    assert groups == {"grp=Black"}  # not White against itself, not 'Not stated'


def test_allocated_rates_spread_not_stated_proportionally(warehouse, tmp_path):
    _searches(warehouse)
    build(warehouse, _catalogue(tmp_path, rate=RATE, allocated=ALLOCATED))
    got = dict(warehouse.execute(
        "SELECT breakdown, value FROM measure_value WHERE measure = 'allocated' AND area_code = 'B1'").fetchall())
    factor = 125 / 100  # all searches over those with a stated group
    assert got["grp=Black"] == pytest.approx(60 * factor / 2000 * 1000)
    assert got["grp=White"] == pytest.approx(40 * factor / 8000 * 1000)


def test_allocated_fractional_counts_get_the_stated_interval_scaled(warehouse, tmp_path):
    _searches(warehouse)
    warehouse.execute("DELETE FROM search WHERE grp = 'Not stated' AND rowid % 2 = 0")  # 12 left: factor 112/100
    build(warehouse, _catalogue(tmp_path, rate=RATE, allocated=ALLOCATED))
    value, low, high = warehouse.execute(
        """SELECT value, interval_low, interval_high FROM measure_value
           WHERE measure = 'allocated' AND area_code = 'B1' AND breakdown = 'grp=Black'"""
    ).fetchone()
    stated = rate_interval(60, 2000)
    assert value == pytest.approx(60 * 1.12 / 2000 * 1000)
    assert (low, high) == (pytest.approx(stated.lower * 1.12), pytest.approx(stated.upper * 1.12))


def test_difference_from_white_is_newcombe_in_points(warehouse, tmp_path):
    _searches(warehouse)
    build(warehouse, _catalogue(tmp_path, found=FOUND, gap=GAP_TO_WHITE))
    value, low, high = warehouse.execute(
        "SELECT value, interval_low, interval_high FROM measure_value WHERE measure = 'gap' AND breakdown = 'grp=Black'"
    ).fetchone()
    expected = newcombe_difference(15, 60, 16, 40)
    assert value == pytest.approx(100 * (15 / 60 - 16 / 40))  # -15 points
    assert (low, high) == (pytest.approx(100 * expected.lower), pytest.approx(100 * expected.upper))


def test_derived_measure_waits_for_its_base(warehouse, tmp_path):
    _searches(warehouse)
    warehouse.execute("DELETE FROM search")
    report = build(warehouse, _catalogue(tmp_path, rate=RATE, ratio=RATIO))
    assert {m.measure: m.status for m in report.measures} == {"rate": "awaiting data", "ratio": "awaiting data"}


def test_a_force_without_an_area_gets_no_rate_and_says_why(warehouse, tmp_path):
    """A force with no police force area (British Transport Police) has no residents: its rate
    is blank with the reason from force_area, and its ratios are blank with the same reason,
    not left out silently."""
    _searches(warehouse)
    warehouse.execute("INSERT INTO search SELECT month, 'btp', NULL, grp, found FROM search")
    warehouse.execute(
        """CREATE TABLE force_area (force VARCHAR, name VARCHAR, pfa_code VARCHAR, pfa_name VARCHAR,
           areas_from VARCHAR, local_authorities INTEGER, note VARCHAR)""")
    warehouse.execute("""INSERT INTO force_area VALUES
        ('f1', 'Force 1', 'E23000001', 'Force 1', 'local_authority', 1, NULL),
        ('btp', 'British Transport Police', NULL, NULL, NULL, 0, 'it has no resident population')""")
    build(warehouse, _catalogue(tmp_path, rate=RATE, ratio=RATIO))
    rows = warehouse.execute(
        """SELECT measure, breakdown, value, numerator, quality_note FROM measure_value
           WHERE area_code = 'btp' ORDER BY measure, breakdown""").fetchall()
    assert {(m, b) for m, b, *_ in rows} == {("rate", "all"), ("rate", "grp=Black"), ("rate", "grp=White"),
                                             ("rate", "grp=Not stated"), ("ratio", "grp=Black")}
    for measure, _, value, numerator, note in rows:
        assert value is None
        assert note == "no figure per resident: it has no resident population"
        assert numerator is not None or measure == "ratio"
    f1 = warehouse.execute(
        "SELECT value, quality_note FROM measure_value WHERE measure = 'ratio' AND area_code = 'f1'").fetchone()
    assert f1 == (pytest.approx(6.0), None)


def test_finishing_in_chunks_changes_no_figure(warehouse, tmp_path, monkeypatch):
    """Measures are finished a few at a time (setting finish_chunk_rows): one measure per chunk and
    all in one chunk give the same table, derived measures and their hiding included."""
    _searches(warehouse)
    catalogue = _catalogue(tmp_path, rate=RATE, ratio=RATIO, found=FOUND, found_gap=GAP_TO_WHITE)
    columns = "* EXCLUDE (quality_flags)"
    order = "ORDER BY ALL"
    build(warehouse, catalogue)
    together = warehouse.execute(f"SELECT {columns} FROM measure_value {order}").df()
    monkeypatch.setitem(config._CHOSEN, "finish_chunk_rows", 1)
    build(warehouse, catalogue)
    apart = warehouse.execute(f"SELECT {columns} FROM measure_value {order}").df()
    assert len(set(together["measure"])) == 4
    pd.testing.assert_frame_equal(together, apart)


def test_a_median_in_days_is_suppressed_under_ten_cases_or_without_a_count_and_never_compared(warehouse, tmp_path):
    """Unit `days` (complaint_review_days_median): suppression counts the cases behind the median
    (`sample_size`), a median without one is not published, and no verdict on a year before is made."""
    from oversight.sources.partner import ingest_partner

    head = "measure,period_type,period_start,period_end,area_level,area_code,breakdown,numerator,denominator,value," \
           "sample_size,source,notes"
    lines = [f"complaint_review_days_median,fy_quarter,{start},{end},force,metropolitan,all,,,{value},{n},Test,"
             for start, end, value, n in (("2024-04-01", "2024-06-30", 40, 9), ("2024-07-01", "2024-09-30", 41, 10),
                                          ("2024-10-01", "2024-12-31", 42, ""), ("2025-07-01", "2025-09-30", 90, 400))]
    path = tmp_path / "median.csv"
    path.write_text("\n".join([head, *lines]) + "\n")
    assert not ingest_partner(warehouse, [path]).failed
    build(warehouse, {"complaint_review_days_median": load_catalogue()["complaint_review_days_median"]})
    got = dict(((str(end), (value, suppressed, verdict))) for end, value, suppressed, verdict in warehouse.execute(
        "SELECT period_end, value, suppressed, vs_year_before FROM measure_value").fetchall())
    assert got["2024-06-30"][1] is True and got["2024-12-31"][1] is True
    assert got["2024-09-30"] == (41.0, False, None)
    assert got["2025-09-30"] == (90.0, False, None)  # 41 days then, 90 now: not judged, as no test is made
