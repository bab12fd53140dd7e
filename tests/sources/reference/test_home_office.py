"""Home Office use of force, Taser and workforce: figures equal the raw tables, counting rules, force names."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO, SHARED, csv_lines, write_lines

from oversight.sources.police_uk import vocab
from oversight.sources.reference import home_office
from oversight.sources.reference._common import mapping_rows
from oversight.sources.reference.dataset import load_dataset_file, load_datasets
from oversight.warehouse import connect

BUNDLED_REFERENCE = REPO / "data" / "default" / "reference"
ROOT = SHARED if (SHARED / "mps").exists() else BUNDLED_REFERENCE
FOLDER = ROOT / "mps" / "use_of_force_home_office"
USE_OF_FORCE, TASER_TYPE, TASER_ETHNICITY, INCIDENTS, WORKFORCE = home_office.DATASETS


def _raw(folder: Path, pattern: str) -> list[dict[str, str]]:
    (match,) = sorted(folder.glob(pattern))
    return list(csv.DictReader(csv_lines(match)))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("ho") / "warehouse.duckdb")
    reports = load_datasets(con, home_office.DATASETS, [ROOT])
    yield con, reports
    con.close()


def test_all_files_load_and_no_force_name_is_unknown(loaded):
    con, reports = loaded
    assert all(r.ok and r.rows_quarantined == 0 for r in reports), [(r.name, r.error, r.problems) for r in reports]
    assert len([r for r in reports if r.dataset == "ho-use-of-force-ethnicity"]) == 2
    assert len([r for r in reports if r.dataset == "ho-taser-by-type"]) == 5
    assert len([r for r in reports if r.dataset == "ho-use-of-force-incidents"]) == 3
    known = set(vocab.forces())
    for table in ("use_of_force", "taser_use", "use_of_force_incident", "police_workforce"):
        used = {f for (f,) in con.execute(f"SELECT DISTINCT force FROM {table} WHERE force IS NOT NULL").fetchall()}
        assert used <= known, used - known
    assert con.execute("SELECT count(DISTINCT force) FROM use_of_force").fetchone() == (43,)


def test_mapping_ids_are_police_uk_force_ids():
    known = set(vocab.forces())
    for row in mapping_rows("home_office_forces.csv"):
        assert (row["force"] in known) if row["kind"] == "force" else row["force"] == "", row


def test_a_met_use_of_force_figure_equals_the_raw_file(loaded):
    con, _ = loaded
    raw = _raw(FOLDER, "by-ethnicity-force__april2019-march2020.csv*")
    row = next(r for r in raw if r["Police Force"] == "Metropolitan" and r["Tactic"] == "*Total Tactics")
    got = con.execute("""SELECT count FROM use_of_force WHERE force = 'metropolitan' AND financial_year = '2019-20'
                         AND tactic = '*Total Tactics' AND category = 'Black (or Black British)'""").fetchone()[0]
    assert got == int(float(row["Black (or Black British)"])) == 76052
    total = con.execute("""SELECT count FROM use_of_force WHERE force = 'metropolitan' AND financial_year = '2019-20'
                           AND tactic = '*Total Tactics' AND category = 'Total'""").fetchone()[0]
    assert total == int(float(row["Number of times tactic reported"]))


def test_detail_rows_sum_to_the_published_total_of_tactics(loaded):
    """The counting rule: is_subtotal rows are sums of others, so the detail rows add up to '*Total Tactics'."""
    con, _ = loaded
    mismatches = con.execute("""
        WITH detail AS (
            SELECT financial_year, force_name, sum(count) AS n FROM use_of_force
            WHERE category = 'Total' AND NOT is_subtotal
              AND type_of_force NOT IN ('Not reported', 'Tactical communication')
            GROUP BY ALL),
        total AS (
            SELECT financial_year, force_name, count AS n FROM use_of_force
            WHERE category = 'Total' AND tactic = '*Total Tactics')
        SELECT count(*), count(*) FILTER (WHERE detail.n <> total.n)
        FROM detail JOIN total USING (financial_year, force_name)
    """).fetchone()
    assert mismatches == (88, 0)  # 44 rows (43 forces + England and Wales) x 2 years


def test_ethnic_groups_sum_to_the_published_total(loaded):
    con, _ = loaded
    bad = con.execute("""
        SELECT count(*) FROM (
            SELECT financial_year, force_name, type_of_force, tactic,
                   sum(count) FILTER (WHERE category <> 'Total') AS groups,
                   max(count) FILTER (WHERE category = 'Total') AS total
            FROM use_of_force GROUP BY ALL)
        WHERE groups IS DISTINCT FROM total
    """).fetchone()
    assert bad == (0,)


def test_blank_cells_are_null_not_zero(loaded):
    con, _ = loaded
    raw = _raw(FOLDER, "by-ethnicity-force__april2019-march2020.csv*")
    labels = {"Police Force", "Type of force", "Tactic"}
    blanks = sum(1 for r in raw for k, v in r.items() if k not in labels and v == "")
    assert blanks == 264
    got = con.execute("SELECT count(*) FROM use_of_force WHERE financial_year = '2019-20' AND count IS NULL").fetchone()
    assert got == (blanks,)


def test_taser_by_ethnicity_equals_the_ced_rows_of_the_use_of_force_tables(loaded):
    con, _ = loaded
    compared, differ = con.execute("""
        SELECT count(*), count(*) FILTER (WHERE t.count <> u.count) FROM taser_use t JOIN use_of_force u
        ON u.force_name = t.force_name AND u.category = t.category AND u.period_end = t.period_end
        AND u.tactic IN ('CED', 'CED of which')
        WHERE t.breakdown = 'ethnicity' AND t.count IS NOT NULL
    """).fetchone()
    assert compared > 500 and differ == 0


def test_taser_by_type_met_2019_20_equals_the_raw_table(loaded):
    con, _ = loaded
    raw = _raw(FOLDER, "by-ced-type-force-region__april2019-march2020.csv*")
    row = next(r for r in raw if r["Police force"] == "Metropolitan")
    got = dict(con.execute("""SELECT category, count FROM taser_use WHERE force = 'metropolitan'
                              AND breakdown = 'ced_type' AND period = '2019-20'""").fetchall())
    assert got["Total"] == int(float(row["Total"])) == 10068
    assert got["Fired"] == int(float(row["Fired"]))
    assert got["Total"] == got["Total non-discharge"] + got["Total discharge"] + got["Not stated"]
    periods = con.execute("""SELECT DISTINCT period, period_start, period_end FROM taser_use
                             WHERE breakdown = 'ced_type' ORDER BY period_end""").fetchall()
    assert periods == [
        ("2016", date(2016, 1, 1), date(2016, 12, 31)),
        ("2017-01 to 2017-03", date(2017, 1, 1), date(2017, 3, 31)),
        ("2017-18", date(2017, 4, 1), date(2018, 3, 31)),
        ("2018-19", date(2018, 4, 1), date(2019, 3, 31)),
        ("2019-20", date(2019, 4, 1), date(2020, 3, 31)),
    ]
    london = con.execute("""SELECT force_name, area_kind, count FROM taser_use WHERE force IS NULL
                            AND period = '2019-20' AND category = 'Total' AND force_name LIKE '%London'""").fetchone()
    city = int(float(next(r for r in raw if r["Police force"] == "City of London")["Total"]))
    assert london == ("Total London", "region", got["Total"] + city)


def test_incidents_equal_the_raw_tables_and_regions_add_up_to_the_national_row(loaded):
    con, _ = loaded
    for year, stem in (("2017-18", "april2017-march2018"), ("2019-20", "april2019-march2020")):
        raw = {r["Police Force"].strip(): int(float(r["Total"])) for r in _raw(FOLDER, f"incidents__{stem}.csv*")}
        got = dict(con.execute(
            """SELECT area_kind || ':' || coalesce(force, force_name), incidents FROM use_of_force_incident
               WHERE financial_year = ?""", [year]).fetchall())
        assert got["force:metropolitan"] == raw["Metropolitan"]
        assert got["national:Total England and Wales"] == raw["Total England and Wales"]
        forces = sum(v for k, v in got.items() if k.startswith("force:"))
        regions = sum(v for k, v in got.items() if k.startswith("region:"))
        assert len([k for k in got if k.startswith("force:")]) == 43
        assert forces == regions == got["national:Total England and Wales"]
    row = con.execute("""SELECT period_start, period_end FROM use_of_force_incident
                         WHERE financial_year = '2018-19' LIMIT 1""").fetchone()
    assert row == (date(2018, 4, 1), date(2019, 3, 31))


def test_workforce_regions_and_west_midlands(loaded):
    con, _ = loaded
    rows = con.execute("""SELECT force, area_kind, value FROM police_workforce WHERE force_name = 'West Midlands'
                          AND measure = 'officer_fte' AND date = DATE '2019-09-30' ORDER BY area_kind""").fetchall()
    assert [(f, k) for f, k, _ in rows] == [("west-midlands", "force"), (None, "region")]
    forces = con.execute("""SELECT sum(value) FROM police_workforce WHERE force IN
                            ('staffordshire', 'warwickshire', 'west-mercia', 'west-midlands')
                            AND measure = 'officer_fte' AND date = DATE '2019-09-30'""").fetchone()[0]
    assert rows[1][2] == pytest.approx(forces)


def test_workforce_later_edition_wins_and_the_revision_is_kept(loaded):
    con, _ = loaded
    folder = ROOT / "mps" / "police_workforce_home_office"
    old = next(r for r in _raw(folder, "officer-fte__2015.csv*") if r["Force/Region"] == "Metropolitan")
    new = next(r for r in _raw(folder, "officer-fte__2016.csv*") if r["Force/Region"] == "Metropolitan")
    kept = con.execute("""SELECT value, source_file FROM police_workforce WHERE force = 'metropolitan'
                          AND measure = 'officer_fte' AND date = DATE '2015-09-30'""").fetchone()
    assert kept[0] == float(new["September 2015"]) and kept[1].startswith("officer-fte__2016")
    revision = con.execute("""SELECT kept_value, other_value FROM police_workforce_revision WHERE force = 'metropolitan'
                              AND date = DATE '2015-09-30'""").fetchone()
    assert revision == (float(new["September 2015"]), float(old["September 2015"]))
    assert con.execute("""SELECT count(*) FROM police_workforce GROUP BY date, measure, force_name, area_kind
                          HAVING count(*) > 1""").fetchall() == []


def test_an_unknown_force_is_quarantined(warehouse, tmp_path):
    path = write_lines(tmp_path / "mps" / "use_of_force_home_office" / "by-ethnicity-force__april2019-march2020.csv", [
        "Police Force,Type of force,Tactic,White,Black (or Black British),Number of times tactic reported",
        "Metropolitan,Unarmed skills,*Total Unarmed skills,10.0,5.0,15.0",
        "Atlantis Constabulary,Unarmed skills,*Total Unarmed skills,1.0,1.0,2.0",
        "Kent,Unarmed skills,*Total Unarmed skills,x,1.0,2.0",
    ])
    report = load_dataset_file(warehouse, USE_OF_FORCE, path)
    assert (report.rows_read, report.rows_quarantined) == (3, 2)
    assert warehouse.execute(
        "SELECT source_line, field, value, reason FROM quarantine ORDER BY source_line"
    ).fetchall() == [
        (3, "Police Force", "Atlantis Constabulary", "unknown force name (not in mappings/home_office_forces.csv)"),
        (4, "White", "x", "not a number"),
    ]
    assert warehouse.execute("SELECT force, category, count FROM use_of_force ORDER BY force, category").fetchall() == [
        ("kent", "Black (or Black British)", 1), ("kent", "Total", 2),
        ("metropolitan", "Black (or Black British)", 5), ("metropolitan", "Total", 15), ("metropolitan", "White", 10),
    ]


def test_periods_are_read_from_file_names():
    assert home_office.period_from_name("by-ced-type-force-region__april2019-march2020.csv.gz") == (
        "2019-20", date(2019, 4, 1), date(2020, 3, 31))
    assert home_office.period_from_name("by-ced-type-force-region__january-december2016-revised.csv")[0] == "2016"
    assert home_office.period_from_name("by-ced-type-force-region__january-march2017.csv")[1:] == (
        date(2017, 1, 1), date(2017, 3, 31))
    assert home_office.period_from_name("taser.csv") is None
