"""PAS police perceptions by neighbourhood (2016): the real file read cell by cell, 'N/A' kept
missing (never 0), assumed sample sizes, and broken copies of real rows quarantined with line and field."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pytest
from conftest import REPO, SHARED

from oversight.sources.reference import pas_comparator
from oversight.sources.reference.dataset import load_dataset_file, load_datasets
from oversight.warehouse import connect

BUNDLED_REFERENCE = REPO / "data" / "default" / "reference"
ROOT = SHARED if (SHARED / "mps").exists() else BUNDLED_REFERENCE
(DATASET,) = pas_comparator.DATASETS
NAME = "MOPAC_PAS_police_perceptions_2016_by_neighbourhood.csv"


def _raw_text() -> str:
    (path,) = sorted((ROOT / "mps").glob(NAME + "*"))
    raw = path.read_bytes()
    return (gzip.decompress(raw) if path.name.endswith(".gz") else raw).decode("utf-8-sig")


def _rows() -> tuple[list[str], list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(_raw_text())))
    return rows[0], rows[1], rows[2:]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("pas2016") / "warehouse.duckdb")
    (report,) = load_datasets(con, pas_comparator.DATASETS, [ROOT])
    yield con, report
    con.close()


def _write(tmp_path: Path, lines: list[list[str]]) -> Path:
    path = tmp_path / NAME
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(lines)
    return path


# CHECK OUTPUTS: the real file ----------------------------------------------------------------


def test_the_real_file_has_106_neighbourhoods_in_11_groups_and_nothing_quarantined(loaded):
    con, report = loaded
    assert report.ok and report.rows_quarantined == 0, (report.error, report.problems)
    assert report.rows_read == 106
    assert report.rows_loaded == 106 * 19  # 18 survey questions and the crime-rate column
    places, boroughs, groups = con.execute("""SELECT count(DISTINCT neighbourhood_code), count(DISTINCT borough_code),
        list(DISTINCT similarity_group ORDER BY similarity_group) FROM pas_neighbourhood_2016""").fetchone()
    assert (places, boroughs) == (106, 32)
    assert groups == [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12]  # the file has no Group 3
    assert any("no neighbourhood in similarity group 3" in n for n in report.notes)


def test_group_sizes_are_the_files(loaded):
    con, _ = loaded
    _, _, data = _rows()
    expected: dict[int, int] = {}
    for row in data:
        expected[int(row[2].removeprefix("Group "))] = expected.get(int(row[2].removeprefix("Group ")), 0) + 1
    found = dict(con.execute("""SELECT similarity_group, count(DISTINCT neighbourhood_code)
                                FROM pas_neighbourhood_2016 GROUP BY 1""").fetchall())
    assert found == expected
    assert found[7] == 13 and found[2] == 4


def test_every_cell_is_the_published_percent_and_na_is_missing_not_zero(loaded):
    con, _ = loaded
    header, answers, data = _rows()
    frame = con.execute("SELECT neighbourhood_code, question, answer, value, missing FROM pas_neighbourhood_2016").df()
    cells = {(r.neighbourhood_code, r.question): r for r in frame.itertuples()}
    na = 0
    for row in data:
        for i in range(3, len(header)):
            got = cells[(row[1], header[i])]
            assert got.answer == answers[i]
            if row[i] == "N/A":
                na += 1
                assert got.missing and got.value != got.value  # NaN: NULL in the warehouse
            else:
                assert not got.missing and got.value == pytest.approx(float(row[i]) / 100)
    assert na == 106  # the crime-rate column is 'N/A' for every neighbourhood
    assert frame[frame["missing"]]["question"].unique().tolist() == ["Total Notifiable Offences rate"]
    assert con.execute("SELECT count(*) FROM pas_neighbourhood_2016 WHERE value = 0").fetchone() == (0,)


def test_names_and_borough_codes(loaded):
    con, _ = loaded
    row = con.execute("""SELECT neighbourhood, borough_name, borough_code, similarity_group, value
                         FROM pas_neighbourhood_2016 WHERE neighbourhood_code = 'KG-KB' AND measure = 'good_job_local'
                      """).fetchone()
    assert row == ("Barking", "Barking and Dagenham", "E09000002", 7, pytest.approx(0.71))


def test_the_sample_size_is_the_borough_design_shared_among_its_neighbourhoods(loaded):
    con, report = loaded
    sizes = dict(con.execute("""SELECT borough_name, min(sample_size) FROM pas_neighbourhood_2016
                                GROUP BY 1 HAVING min(sample_size) = max(sample_size)""").fetchall())
    assert len(sizes) == 32
    assert sizes["Croydon"] == 400 // 5 and sizes["Barnet"] == 400 // 4 and sizes["Kingston upon Thames"] == 200
    assert con.execute("SELECT bool_and(sample_size_assumed) FROM pas_neighbourhood_2016").fetchone() == (True,)
    assert any("no sample size is published" in n for n in report.notes)


# CHECK INPUTS: broken copies of real rows -----------------------------------------------------


def test_bad_cells_and_rows_are_quarantined_with_line_and_field(tmp_path):
    header, answers, data = _rows()
    rows = [list(r) for r in data[:6]]
    rows[0][3] = "seventy"                    # line 3: not a number
    rows[1][4] = "120"                        # line 4: over 100
    rows[2][5] = "N/A"                        # line 5: missing, kept as NULL
    rows[3][0] = "Atlantis - Harbour"         # line 6: unknown borough
    rows[4][2] = "Grp 9"                      # line 7: not 'Group N'
    rows[5][1] = rows[0][1]                   # line 8: the code of line 3 again
    path = _write(tmp_path, [header, answers, *rows])
    con = connect(tmp_path / "w.duckdb")
    report = load_dataset_file(con, DATASET, path)
    assert report.ok
    quarantined = con.execute(
        "SELECT source_line, field, value, reason FROM quarantine ORDER BY source_line").fetchall()
    assert quarantined == [
        (3, header[3], "seventy", "not a percentage from 0 to 100 or 'N/A'"),
        (4, header[4], "120", "not a percentage from 0 to 100 or 'N/A'"),
        (6, "Neighbourhood", "Atlantis - Harbour", "not 'Borough - Neighbourhood' with a known borough"),
        (7, "Group", "Grp 9", "not a similarity group like 'Group 7'"),
        (8, "Code", rows[0][1], "same neighbourhood code as line 3"),
    ]
    missing = con.execute("""SELECT value, missing FROM pas_neighbourhood_2016
                             WHERE source_line = 5 AND question = ?""", [header[5]]).fetchone()
    assert missing == (None, True)
    assert con.execute("SELECT count(DISTINCT neighbourhood_code) FROM pas_neighbourhood_2016").fetchone() == (3,)
    con.close()


def test_an_unknown_question_fails_the_file_and_changes_nothing(tmp_path):
    header, answers, data = _rows()
    path = _write(tmp_path, [[*header[:5], "Do you like the police?", *header[6:]], answers, *data[:2]])
    con = connect(tmp_path / "w.duckdb")
    report = load_dataset_file(con, DATASET, path)
    assert not report.ok
    assert "unknown question 'Do you like the police?' in column 6" in report.error
    assert con.execute("SELECT count(*) FROM pas_neighbourhood_2016").fetchone() == (0,)
    con.close()


def test_reloading_the_same_file_changes_nothing(loaded, tmp_path):
    con, _ = loaded
    (path,) = sorted((ROOT / "mps").glob(NAME + "*"))
    again = load_dataset_file(con, DATASET, path)
    assert again.unchanged
    assert con.execute("SELECT count(*) FROM pas_neighbourhood_2016").fetchone() == (106 * 19,)
