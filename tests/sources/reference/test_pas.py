"""MOPAC Public Attitude Survey: published values, borough spellings, decimal commas, assumed sample sizes."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO, SHARED, csv_lines, write_lines

from oversight.sources.reference import pas
from oversight.sources.reference._common import mapping_rows
from oversight.sources.reference.dataset import load_dataset_file, load_datasets
from oversight.warehouse import connect

BUNDLED_REFERENCE = REPO / "data" / "default" / "reference"
ROOT = SHARED if (SHARED / "mps").exists() else BUNDLED_REFERENCE
BOROUGH, FORCE, NEIGHBOURHOOD = pas.DATASETS


def _raw(pattern: str) -> Path:
    (match,) = sorted((ROOT / "mps").glob(pattern))
    return match


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("pas") / "warehouse.duckdb")
    reports = load_datasets(con, pas.DATASETS, [ROOT])
    yield con, reports
    con.close()


def test_the_cleaned_borough_file_is_read_not_the_original(loaded):
    _, reports = loaded
    names = [r.name for r in reports if r.dataset == "pas-borough"]
    assert len(names) == 1 and "_original" not in names[0]
    assert all(r.ok and r.rows_quarantined == 0 for r in reports), [(r.name, r.error, r.problems) for r in reports]


def test_a_borough_value_equals_the_published_figure(loaded):
    con, _ = loaded
    raw = list(csv.DictReader(csv_lines(_raw("MOPAC_PAS_dashboard_borough_quarterly_2014-2023.csv*"))))
    row = next(r for r in raw
               if r["Borough"] == "Lambeth" and r["Measure"] == "Trust MPS" and r["Date"] == "2019-12-31")
    got = con.execute("""SELECT proportion, mps_average FROM pas_borough WHERE borough_code = 'E09000022'
                         AND measure = 'trust_mps' AND quarter_end = DATE '2019-12-31'""").fetchone()
    assert got == (float(row["Proportion"]), float(row["MPS_average"]))
    assert len(raw) == con.execute("SELECT count(*) FROM pas_borough").fetchone()[0] == 9312


def test_richmond_spellings_are_one_borough(loaded):
    con, reports = loaded
    raw = list(csv.DictReader(csv_lines(_raw("MOPAC_PAS_dashboard_borough_quarterly_2014-2023.csv*"))))
    spellings = {r["Borough"] for r in raw if r["Borough"].lower().startswith("richmond")}
    assert spellings == {"Richmond upon Thames", "Richmond Upon Thames"}
    n_raw = sum(1 for r in raw if r["Borough"] in spellings)
    got = con.execute("""SELECT count(*), count(DISTINCT (quarter_end, measure)), min(borough_name), max(borough_name)
                         FROM pas_borough WHERE borough_code = 'E09000027'""").fetchone()
    assert got == (n_raw, n_raw, "Richmond upon Thames", "Richmond upon Thames")
    assert con.execute("SELECT count(DISTINCT borough_code) FROM pas_borough").fetchone() == (32,)
    notes = next(r.notes for r in reports if r.dataset == "pas-borough")
    assert "borough 'Richmond Upon Thames' read as 'Richmond upon Thames'" in notes
    assert "borough 'City of Westminster' read as 'Westminster'" in notes


def test_mps_wide_file_with_semicolons_and_decimal_commas(loaded):
    con, _ = loaded
    path = _raw("MOPAC_PAS_dashboard_MPS_total_quarterly_*.csv*")
    lines = csv_lines(path)
    assert lines[0].startswith("Date;") and ";0," in lines[1]
    raw = list(csv.DictReader(lines, delimiter=";"))
    row = next(r for r in raw if r["Date"] == "31/12/2019" and r["Measure"] == "Trust MPS")
    got = con.execute("""SELECT proportion FROM pas_force WHERE measure = 'trust_mps'
                         AND quarter_end = DATE '2019-12-31'""").fetchone()[0]
    assert got == float(row["Proportion"].replace(",", "."))
    assert con.execute("SELECT count(*) FROM pas_force").fetchone() == (len(raw),)
    # The borough file's MPS average column is the same series, independently published.
    mismatched = con.execute("""SELECT count(*) FROM pas_force f
                                JOIN (SELECT DISTINCT quarter_end, measure, mps_average FROM pas_borough) b
                                USING (quarter_end, measure) WHERE f.proportion <> b.mps_average""").fetchone()
    assert mismatched == (0,)


def test_decimal_commas_and_bad_proportions_in_a_hand_built_file(warehouse, tmp_path):
    path = write_lines(tmp_path / "mps" / "MOPAC_PAS_dashboard_MPS_total_quarterly_test.csv", [
        "Date;Survey;Borough;Measure;Proportion",
        "31/03/2020;PAS;MPS;Trust MPS;0,81",
        "31/03/2020;PAS;MPS;Listen to concerns;1,7",
        "15/02/2020;PAS;MPS;Informed local;0,5",
        "31/03/2020;PAS;MPS;Happiness;0,5",
    ])
    report = load_dataset_file(warehouse, FORCE, path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (4, 1, 3)
    assert warehouse.execute(
        "SELECT quarter_end, measure, proportion, sample_size, sample_size_assumed FROM pas_force"
    ).fetchall() == [
        (date(2020, 3, 31), "trust_mps", 0.81, 12_800, True),
    ]
    assert warehouse.execute(
        "SELECT source_line, field, value, reason FROM quarantine ORDER BY source_line"
    ).fetchall() == [
        (3, "Proportion", "1,7", "not a proportion from 0 to 1"),
        (4, "Date", "15/02/2020", "not a quarter-end date"),
        (5, "Measure", "Happiness", "unknown measure (not in mappings/pas_measures.csv)"),
    ]


def test_sample_sizes_are_the_stated_design_and_flagged_as_assumed(loaded):
    con, _ = loaded
    assert pas.PAS_INTERVIEWS_PER_BOROUGH_YEAR * pas.PAS_BOROUGHS == pas.PAS_INTERVIEWS_PER_YEAR == 12_800
    assert con.execute("SELECT DISTINCT sample_size, sample_size_assumed FROM pas_borough").fetchall() == [(400, True)]
    assert con.execute("SELECT DISTINCT sample_size, sample_size_assumed FROM pas_force").fetchall() == [(12_800, True)]


def test_every_published_label_has_a_stable_measure_id(loaded):
    con, _ = loaded
    ids = {r["measure"] for r in mapping_rows("pas_measures.csv")}
    assert {"trust_mps", "good_job_local", "treat_everyone_fairly", "listen_to_concerns", "relied_on",
            "understand_issues", "informed_local", "contact_ward_officer", "stop_search_fair"} == ids
    loaded_ids = {m for (m,) in con.execute("SELECT DISTINCT measure FROM pas_borough").fetchall()}
    assert loaded_ids == ids - {"stop_search_fair"}
    first_trust = con.execute("SELECT min(quarter_end) FROM pas_borough WHERE measure = 'trust_mps'").fetchone()
    assert first_trust == (date(2016, 3, 31),)


def test_neighbourhood_indicators_by_ethnicity(loaded):
    con, reports = loaded
    path = _raw("MOPAC_PAS_neighbourhood_indicators_by_ethnicity_*.csv*")
    rows = list(csv.reader(csv_lines(path)))
    groups, data = rows[1], rows[3:]
    blanks = sum(1 for r in data for c in r[1:] if c.strip() == "")
    got = con.execute("""SELECT count(*), count(*) FILTER (WHERE suppressed),
                                count(*) FILTER (WHERE proportion IS NULL), min(period), max(period)
                         FROM pas_neighbourhood_ethnicity""").fetchone()
    assert got == (len(data) * 12, blanks, blanks, "2015-16 to 2020-21", "2015-16 to 2020-21")
    first = data[0]
    borough_name, _, hood = first[0].partition(" - ")
    value = con.execute("""SELECT proportion FROM pas_neighbourhood_ethnicity
                           WHERE borough_name = ? AND neighbourhood = ?
                           AND ethnic_group = ? AND measure = 'treat_everyone_fairly'""",
                        [borough_name, hood, groups[1]]).fetchone()[0]
    assert value == pytest.approx(int(first[1]) / 100)
    stop_search_black = con.execute("""SELECT count(*) FROM pas_neighbourhood_ethnicity
                                       WHERE measure = 'stop_search_fair' AND ethnic_group = 'Black'""").fetchone()[0]
    assert stop_search_black == len(data)
    assert next(r for r in reports if r.dataset == "pas-neighbourhood-ethnicity").rows_read == len(data)


def test_neighbourhood_cells_marked_n_a_are_suppressed_and_a_bad_cell_is_quarantined(warehouse, tmp_path):
    questions = [m["published_label"] for m in mapping_rows("pas_measures.csv") if m["used_in"] == "neighbourhood"]
    header = ",".join(["neighbourhood", *(f'"{q}"' for q in questions * 3)])
    groups = ",".join(["", *(g for g in ("White British", "Asian", "Black") for _ in questions)])
    answers = ",".join(["", *("% agree" for _ in questions * 3)])
    path = write_lines(tmp_path / "mps" / "MOPAC_PAS_neighbourhood_indicators_by_ethnicity_2015-16_to_2020-21.csv", [
        header, groups, answers,
        "Lambeth - North,80,70,60,90,N/A,n/a,..,*,75,65,55,50",
        "Lambeth - South,81,71,61,91,77,67,57,87,,,,120",
    ])
    report = load_dataset_file(warehouse, NEIGHBOURHOOD, path)
    assert (report.rows_read, report.rows_quarantined) == (2, 1)
    got = warehouse.execute("""SELECT neighbourhood, count(*), count(*) FILTER (WHERE suppressed)
                               FROM pas_neighbourhood_ethnicity GROUP BY 1 ORDER BY 1""").fetchall()
    assert got == [("North", 12, 4), ("South", 11, 3)]
    assert warehouse.execute("SELECT source_line, value, reason FROM quarantine").fetchall() == [
        (5, "120", "not a percentage from 0 to 100")]
