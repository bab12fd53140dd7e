"""Partner files: one tidy format, every row checked, bad rows quarantined, the later file wins.

Rows are built by hand from one valid row with one cell changed at a time; the bundled example
(data/examples/partner_example_ILLUSTRATIVE.csv) is illustrative and checked as such.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from oversight.cli import app
from oversight.measures.catalogue import load_measure
from oversight.measures.engine import build
from oversight.sources.partner import (
    COLUMNS,
    DUPLICATE_FIELD,
    PARTNER,
    PERIOD_ALIASES,
    PERIOD_TYPES,
    PartnerRow,
    check_row,
    ensure_partner_tables,
    ingest_partner,
    parse_partner_file,
)
from oversight.sources.reference import all_datasets
from oversight.sources.reference.dataset import Rejected, load_dataset_file

EXAMPLE = REPO / "data" / "examples" / "partner_example_ILLUSTRATIVE.csv"
NEXT_YEAR = date.today().year + 1

BASE = {
    "measure": "victim_satisfaction", "period_type": "", "period_start": "2023-04-01", "period_end": "2023-06-30",
    "area_level": "force", "area_code": "metropolitan", "breakdown": "all", "numerator": "140",
    "denominator": "200", "value": "", "sample_size": "200", "source": "Home Office USS", "notes": "",
}


def _row(**changes: str) -> dict[str, str]:
    return {**BASE, **changes}


def _write(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf)  # '\r\n' line ends, as spreadsheets write, so '\r' in a cell is quoted
    header = list(header or COLUMNS)
    writer.writerow(header)
    writer.writerows([[r.get(c, "") for c in header] for r in rows])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _three_rows(**changes: str) -> list[dict[str, str]]:
    """Three valid rows for three quarters; `changes` apply to the second (line 3)."""
    return [
        _row(),
        _row(**{"period_start": "2023-07-01", "period_end": "2023-09-30", **changes}),
        _row(period_start="2023-10-01", period_end="2023-12-31"),
    ]


def _quarantine(con) -> list[tuple]:
    return con.execute(
        "SELECT source_line, field, value, reason FROM quarantine WHERE dataset = 'partner' ORDER BY source_line"
    ).fetchall()


def _value_rows(con) -> list[tuple]:
    return con.execute(
        "SELECT measure, period_start::VARCHAR, area_code, breakdown, numerator, source_file FROM partner_value "
        "ORDER BY ALL"
    ).fetchall()


# inputs: one broken rule per row


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"measure": ""}, "measure", "missing measure"),
        ({"measure": "Victim Satisfaction"}, "measure",
         "'Victim Satisfaction' is not a measure id (lowercase letters and digits joined by single underscores, "
         "starting with a letter, at most 64 characters, e.g. victim_satisfaction)"),
        ({"period_start": ""}, "period_start", "missing period_start"),
        ({"period_start": "2023-13-01"}, "period_start", "'2023-13-01' is not a date written YYYY-MM-DD"),
        ({"period_start": "01/07/2023"}, "period_start", "'01/07/2023' is not a date written YYYY-MM-DD"),
        ({"period_end": "2023-02-30"}, "period_end", "'2023-02-30' is not a date written YYYY-MM-DD"),
        ({"period_end": "2023-06-30"}, "period_end", "period_end 2023-06-30 is before period_start 2023-07-01"),
        ({"period_start": "9999-07-01", "period_end": "9999-09-30"}, "period_start",
         f"9999-07-01 is outside the years partner figures may cover (1990 to {NEXT_YEAR})"),
        ({"period_start": "0001-01-01", "period_end": "0001-03-31"}, "period_start",
         f"0001-01-01 is outside the years partner figures may cover (1990 to {NEXT_YEAR})"),
        ({"period_start": "1989-04-01", "period_end": "1990-03-31"}, "period_start",
         f"1989-04-01 is outside the years partner figures may cover (1990 to {NEXT_YEAR})"),
        ({"period_end": "9999-12-31"}, "period_end",
         f"9999-12-31 is outside the years partner figures may cover (1990 to {NEXT_YEAR})"),
        ({"period_type": "weekly"}, "period_type",
         "'weekly' is not a known period type; use one of month, fy_quarter, financial_year, calendar_year, "
         "rolling_12"),
        ({"period_type": "month"}, "period_type",
         "2023-07-01 to 2023-09-30 is not a month: a month runs from the 1st to the last day of one month"),
        ({"period_type": "quarter", "period_start": "2023-08-01", "period_end": "2023-10-31"}, "period_type",
         "2023-08-01 to 2023-10-31 is not a financial-year quarter: a financial-year quarter starts on 1 April, "
         "1 July, 1 October or 1 January and ends on the last day of its third month"),
        ({"period_type": "financial_year", "period_end": "2024-06-30"}, "period_type",
         "2023-07-01 to 2024-06-30 is not a financial year: a financial year runs from 1 April to 31 March"),
        ({"period_start": "2023-07-02"}, "period_start",
         "2023-07-02 is not the 1st of a month; every period starts on the 1st"),
        ({"period_end": "2023-09-29"}, "period_end",
         "2023-09-29 is not the last day of a month; every period ends on the last day of a month"),
        ({"period_end": "2023-08-31"}, "period_end",
         "2023-07-01 to 2023-08-31 is not a month, financial-year quarter, financial year, calendar year "
         "or rolling 12 months"),
        ({"period_start": "2023-08-01", "period_end": "2023-10-31"}, "period_end",
         "2023-08-01 to 2023-10-31 is not a month, financial-year quarter, financial year, calendar year "
         "or rolling 12 months"),
        ({"area_level": "region"}, "area_level",
         "'region' is not a known area level; use one of force, bcu, borough, ward"),
        ({"area_code": ""}, "area_code", "missing area_code"),
        ({"area_code": "met"}, "area_code",
         "'met' is not a force code: expected a police.uk force id (e.g. 'metropolitan') or a police force area "
         "code (E23 or W15 and six digits)"),
        ({"area_level": "borough", "area_code": "E05000001"}, "area_code",
         "'E05000001' is not a borough code: expected a local authority code (E06, E07, E08, E09 or W06 and "
         "six digits, e.g. E09000022)"),
        ({"area_level": "ward", "area_code": "E09000022"}, "area_code",
         "'E09000022' is not a ward code: expected a ward code (E05 or W05 and six digits)"),
        ({"area_level": "bcu", "area_code": "as"}, "area_code",
         "'as' is not a bcu code: expected a BCU short code of 2 to 4 capital letters (e.g. 'AS')"),
        ({"breakdown": ""}, "breakdown", "missing breakdown"),
        ({"breakdown": "All"}, "breakdown",
         "'All' is not 'all' or dimension=value[;dimension=value...] (dimension in lowercase letters, digits "
         "and _; value without ';', '=' or surrounding spaces)"),
        ({"breakdown": "sex = Female"}, "breakdown",
         "'sex = Female' is not 'all' or dimension=value[;dimension=value...] (dimension in lowercase letters, "
         "digits and _; value without ';', '=' or surrounding spaces)"),
        ({"breakdown": "sex=Female;sex=Male"}, "breakdown", "'sex=Female;sex=Male' gives dimension 'sex' twice"),
        ({"numerator": "abc"}, "numerator", "'abc' is not a number"),
        ({"numerator": "70%"}, "numerator", "'70%' is not a number; write proportions on the 0-1 scale, without %"),
        ({"denominator": "1,200"}, "denominator", "'1,200' is not a number; write it without thousands separators"),
        ({"numerator": "-3"}, "numerator", "'-3' is negative; numerator cannot be below 0"),
        ({"value": "1e999", "numerator": "", "denominator": ""}, "value", "'1e999' is too large"),
        ({"sample_size": "12.5"}, "sample_size", "'12.5' is not a whole number of respondents"),
        ({"sample_size": "0"}, "sample_size", "'0' is not a plausible sample size (1 to 1,000,000,000)"),
        ({"numerator": ""}, "numerator", "denominator given without a numerator; a proportion needs both"),
        ({"numerator": "", "denominator": ""}, "value",
         "no figure: give value, or numerator, or numerator and denominator"),
        ({"denominator": "", "value": "140"}, "value",
         "value given with a numerator but no denominator; a count goes in numerator alone"),
        ({"numerator": "0", "denominator": "0"}, "denominator",
         "denominator is 0; a proportion needs a denominator above 0"),
        ({"numerator": "210"}, "numerator", "numerator 210 is greater than denominator 200"),
        ({"value": "0.75"}, "value", "value 0.75 does not match numerator/denominator = 0.7 (proportions are on "
                                     "the 0-1 scale)"),
        ({"value": "70"}, "value", "value 70 does not match numerator/denominator = 0.7 (proportions are on the "
                                   "0-1 scale)"),
        ({"source": ""}, "source", "missing source (who published the figures)"),
    ],
)
def test_a_broken_rule_quarantines_its_row_with_field_and_reason(tmp_path, warehouse, changes, field, reason):
    path = _write(tmp_path / "partner.csv", _three_rows(**changes))
    report = load_dataset_file(warehouse, PARTNER, path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    ((line, got_field, _value, got_reason),) = _quarantine(warehouse)
    assert (line, got_field, got_reason) == (3, field, reason)
    assert report.problems == [f"field '{field}': 1 row quarantined, first at line 3: {reason}"]


def test_quarantine_keeps_the_value_and_the_whole_record(tmp_path, warehouse):
    path = _write(tmp_path / "partner.csv", _three_rows(area_code="met"))
    load_dataset_file(warehouse, PARTNER, path)
    (value, record), = warehouse.execute("SELECT value, record FROM quarantine").fetchall()
    assert value == "met"
    assert json.loads(record)["area_code"] == "met" and json.loads(record)["measure"] == "victim_satisfaction"


def test_a_row_with_too_few_cells_is_quarantined_naming_the_first_missing_column(tmp_path, warehouse):
    path = _write(tmp_path / "partner.csv", _three_rows())
    lines = path.read_text().splitlines()
    lines[2] = ",".join(lines[2].split(",")[:10])
    path.write_text("\n".join(lines) + "\n")
    load_dataset_file(warehouse, PARTNER, path)
    assert _quarantine(warehouse) == [
        (3, "sample_size", None, "row has 10 cells, the header has 13: nothing from 'sample_size' on")]


def test_a_row_with_too_many_cells_is_quarantined_as_a_likely_unquoted_comma(tmp_path, warehouse):
    path = _write(tmp_path / "partner.csv", _three_rows())
    lines = path.read_text().splitlines()
    lines[2] += ",a note, with a comma"
    path.write_text("\n".join(lines) + "\n")
    load_dataset_file(warehouse, PARTNER, path)
    assert _quarantine(warehouse) == [
        (3, "notes", None, "row has 15 cells, the header has 13: extra cells after 'notes' (an unquoted comma?)")]


def test_duplicate_rows_in_one_file_are_all_quarantined(tmp_path, warehouse):
    rows = [*_three_rows(), _row(numerator="150"), _row(numerator="150", breakdown="sex=Female")]
    path = _write(tmp_path / "partner.csv", rows)
    report = load_dataset_file(warehouse, PARTNER, path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (5, 3, 2)
    reason = ("same measure, period, area and breakdown as line {}; all 2 rows quarantined, as the file does "
              "not say which is right")
    value = "victim_satisfaction 2023-04-01..2023-06-30 force metropolitan all"
    assert _quarantine(warehouse) == [(2, DUPLICATE_FIELD, value, reason.format(5)),
                                      (5, DUPLICATE_FIELD, value, reason.format(2))]
    records = warehouse.execute("SELECT record FROM quarantine ORDER BY source_line").fetchall()
    assert [json.loads(r)["numerator"] for (r,) in records] == ["140", "150"]  # the rows as read


def test_breakdowns_in_another_dimension_order_are_the_same_key(tmp_path, warehouse):
    rows = [_row(breakdown="sex=Female;age=16-24"), _row(breakdown="age=16-24;sex=Female")]
    report = load_dataset_file(warehouse, PARTNER, _write(tmp_path / "partner.csv", rows))
    assert report.rows_quarantined == 2
    assert {r[1] for r in _quarantine(warehouse)} == {DUPLICATE_FIELD}


# inputs: what is accepted


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, ("fy_quarter", 140.0, 200.0, None, 200)),
        ({"value": "0.7"}, ("fy_quarter", 140.0, 200.0, 0.7, 200)),
        ({"numerator": "1402", "denominator": "2011", "value": "0.697"}, ("fy_quarter", 1402.0, 2011.0, 0.697, 200)),
        ({"numerator": "1402", "denominator": "2011", "value": "1"}, ("fy_quarter", 1402.0, 2011.0, 1.0, 200)),
        ({"denominator": "", "sample_size": ""}, ("fy_quarter", 140.0, None, None, None)),
        ({"numerator": "", "denominator": "", "value": "73.5"}, ("fy_quarter", None, None, 73.5, 200)),
        ({"numerator": "0", "denominator": "", "sample_size": ""}, ("fy_quarter", 0.0, None, None, None)),
        ({"period_type": "fy_quarter"}, ("fy_quarter", 140.0, 200.0, None, 200)),
        ({"period_type": "quarter"}, ("fy_quarter", 140.0, 200.0, None, 200)),
        ({"period_start": "2023-05-01", "period_end": "2023-05-31"}, ("month", 140.0, 200.0, None, 200)),
        ({"period_start": "2024-01-01", "period_end": "2024-03-31"}, ("fy_quarter", 140.0, 200.0, None, 200)),
        ({"period_end": "2024-03-31"}, ("financial_year", 140.0, 200.0, None, 200)),
        ({"period_start": "2023-01-01", "period_end": "2023-12-31"}, ("calendar_year", 140.0, 200.0, None, 200)),
        ({"period_start": "2023-02-01", "period_end": "2024-01-31"}, ("rolling_12", 140.0, 200.0, None, 200)),
        ({"period_type": "rolling_12", "period_end": "2024-03-31"}, ("rolling_12", 140.0, 200.0, None, 200)),
        ({"period_type": "rolling_12_months", "period_end": "2024-03-31"}, ("rolling_12", 140.0, 200.0, None, 200)),
    ],
)
def test_a_valid_row_is_typed_with_its_period_type_and_value(changes, expected):
    row = check_row(_row(**changes), 2)
    assert isinstance(row, PartnerRow)
    assert (row.period_type, row.numerator, row.denominator, row.value, row.sample_size) == expected


@pytest.mark.parametrize(
    ("level", "code"),
    [("force", "metropolitan"), ("force", "city-of-london"), ("force", "E23000001"), ("force", "W15000004"),
     ("bcu", "AS"), ("bcu", "CW"), ("borough", "E09000022"), ("borough", "E08000025"), ("borough", "W06000015"),
     ("ward", "E05013806"), ("ward", "W05001277")],
)
def test_area_codes_of_each_level_are_accepted(level, code):
    assert isinstance(check_row(_row(area_level=level, area_code=code), 2), PartnerRow)


def test_breakdown_dimensions_are_put_in_alphabetical_order_with_a_note(tmp_path):
    parsed = parse_partner_file(_write(tmp_path / "p.csv", [_row(breakdown="sex=Female;age=16-24;ethnicity=Black")]))
    assert parsed.rows["breakdown"].tolist() == ["age=16-24;ethnicity=Black;sex=Female"]
    assert parsed.notes == ["put the dimensions of 1 breakdown in alphabetical order"]


def test_long_period_type_spellings_are_stored_as_the_measure_period_ids_with_a_note(tmp_path):
    rows = [_row(period_type="quarter"), _row(period_type="rolling_12_months", period_end="2024-03-31")]
    parsed = parse_partner_file(_write(tmp_path / "p.csv", rows))
    assert parsed.rows["period_type"].tolist() == ["fy_quarter", "rolling_12"]
    assert parsed.notes == ["stored 2 period types written 'quarter' or 'rolling_12_months' as 'fy_quarter' or "
                            "'rolling_12'"]


def test_surrounding_spaces_and_empty_comma_rows_are_ignored(tmp_path):
    path = _write(tmp_path / "p.csv", [_row(measure=" victim_satisfaction ", numerator=" 140")])
    path.write_text(path.read_text() + ",,,,,,,,,,,,\n\n")
    parsed = parse_partner_file(path)
    assert (len(parsed.rows), parsed.rejected) == (1, [])
    assert parsed.notes == ["skipped 1 empty row (only commas or spaces)"]


def test_columns_may_come_in_any_order_and_a_bom_is_allowed(tmp_path):
    path = _write(tmp_path / "p.csv", [_row()], header=list(reversed(COLUMNS)))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    parsed = parse_partner_file(path)
    assert len(parsed.rows) == 1 and parsed.rows["numerator"].tolist() == [140.0]


def test_a_line_number_is_the_first_line_of_a_row_spanning_lines(tmp_path, warehouse):
    rows = [_row(notes="first line\nsecond line"), _row(period_start="2023-07-01", period_end="2023-09-30",
                                                        measure="")]
    load_dataset_file(warehouse, PARTNER, _write(tmp_path / "partner.csv", rows))
    assert [r[0] for r in _quarantine(warehouse)] == [4]


# inputs: whole-file errors


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ([c for c in COLUMNS if c != "sample_size"],
         "header is not the partner format: missing column 'sample_size'"),
        ([*COLUMNS, "unit"], "header is not the partner format: unexpected column 'unit'"),
        ([c for c in COLUMNS if c not in ("notes", "source")] + ["Source", "comment"],
         "header is not the partner format: missing columns 'source', 'notes'; unexpected columns 'Source', "
         "'comment'"),
        ([*COLUMNS, "value"], "header is not the partner format: repeated column 'value'"),
    ],
)
def test_a_header_with_missing_or_extra_columns_fails_the_whole_file(tmp_path, warehouse, header, reason):
    path = _write(tmp_path / "partner.csv", [_row()], header=header)
    report = load_dataset_file(warehouse, PARTNER, path)
    assert report.error == f"{reason} (expected exactly: {', '.join(COLUMNS)})"
    assert warehouse.execute("SELECT count(*) FROM partner_series").fetchone() == (0,)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("p.csv", b"", "file is empty"),
        ("p.csv", b"\n\n", "file is empty"),
        ("p.csv", b"measure,\xe9\n", "is not UTF-8 text (byte 9); save it as 'CSV UTF-8'"),
        ("p.xlsx", b"PK\x03\x04", "is a spreadsheet; save the sheet as 'CSV UTF-8' and load that"),
        ("p.csv", ",".join(COLUMNS).encode() + b'\n"victim_satisfaction,\n', "line 2: not valid CSV (unexpected "
                                                                             "end of data)"),
    ],
)
def test_a_file_that_cannot_be_read_is_one_error(tmp_path, warehouse, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    assert load_dataset_file(warehouse, PARTNER, path).error == reason


def test_a_failed_file_leaves_the_previous_load_in_place(tmp_path, warehouse):
    path = _write(tmp_path / "partner.csv", _three_rows())
    load_dataset_file(warehouse, PARTNER, path)
    _write(path, _three_rows(), header=[*COLUMNS, "extra"])
    assert load_dataset_file(warehouse, PARTNER, path).error
    assert warehouse.execute("SELECT count(*) FROM partner_series").fetchone() == (3,)


def test_missing_files_and_folders_are_reported_and_the_rest_still_load(tmp_path, warehouse):
    good = _write(tmp_path / "good.csv", _three_rows())
    report = ingest_partner(warehouse, [tmp_path / "nope.csv", tmp_path, good])
    assert [f.error for f in report.files] == ["no such file", "is a folder; give the partner .csv files", None]
    assert report.totals()["rows_loaded"] == 3


# outputs: the table, idempotency and which file wins


def test_partner_series_has_the_documented_columns_and_types(warehouse):
    ensure_partner_tables(warehouse)
    columns = warehouse.execute("SELECT column_name, data_type FROM information_schema.columns "
                                "WHERE table_name = 'partner_series' ORDER BY ordinal_position").fetchall()
    assert columns == [
        ("measure", "VARCHAR"), ("period_type", "VARCHAR"), ("period_start", "DATE"), ("period_end", "DATE"),
        ("area_level", "VARCHAR"), ("area_code", "VARCHAR"), ("breakdown", "VARCHAR"), ("numerator", "DOUBLE"),
        ("denominator", "DOUBLE"), ("value", "DOUBLE"), ("sample_size", "BIGINT"), ("source", "VARCHAR"),
        ("notes", "VARCHAR"), ("source_line", "BIGINT"), ("source_file", "VARCHAR"),
    ]


def test_partner_value_has_the_series_columns_and_the_load_that_supplied_each_row(warehouse):
    ensure_partner_tables(warehouse)
    columns = [r[0] for r in warehouse.execute("DESCRIBE partner_value").fetchall()]
    assert columns == [*COLUMNS, "source_line", "source_file", "load_id", "loaded_at"]


def test_partner_rows_reach_the_measures_table_with_their_period_ids(tmp_path, warehouse):
    ingest_partner(warehouse, [EXAMPLE])
    definition = tmp_path / "proven_reoffending_rate.toml"
    definition.write_text(
        'id = "proven_reoffending_rate"\ntitle = "Proven reoffending"\ndescription = "Illustrative."\n'
        'priority = "Protecting people from exploitation and harm"\noutcome = "Fewer people reoffend"\n'
        'source = "MoJ"\nunit = "proportion"\npolarity = "down_is_good"\ncomputation = "partner"\n'
        'periods = ["fy_quarter"]\nlevels = ["force"]\n'
    )
    measure = load_measure(definition)
    (built,) = build(warehouse, {measure.id: measure}).measures
    assert (built.status, built.rows) == ("ok", 2)
    # The example gives numerator and denominator only: the engine computes the share (4120 / 16450).
    assert warehouse.execute(
        "SELECT period_type, numerator, denominator, round(value, 4) FROM measure_value "
        "WHERE period_end = DATE '2023-06-30'"
    ).fetchall() == [("fy_quarter", 4120.0, 16450.0, 0.2505)]


def test_partner_value_exists_and_is_empty_before_any_partner_file(warehouse):
    ensure_partner_tables(warehouse)
    assert warehouse.execute("SELECT count(*) FROM partner_value").fetchone() == (0,)


def test_reloading_an_unchanged_file_is_skipped_and_does_not_duplicate(tmp_path, warehouse):
    path = _write(tmp_path / "partner.csv", _three_rows(measure="Bad"))
    first = ingest_partner(warehouse, [path]).files[0]
    second = ingest_partner(warehouse, [path]).files[0]
    forced = ingest_partner(warehouse, [path], reload=True).files[0]
    assert (first.rows_loaded, first.rows_quarantined, first.unchanged) == (2, 1, False)
    assert second.unchanged and not forced.unchanged
    assert warehouse.execute("SELECT count(*) FROM partner_series").fetchone() == (2,)
    assert warehouse.execute("SELECT count(*) FROM quarantine").fetchone() == (1,)
    assert warehouse.execute("SELECT count(*) FROM reference_load WHERE dataset = 'partner'").fetchone() == (1,)


def test_a_changed_file_replaces_the_rows_of_the_same_file_name(tmp_path, warehouse):
    path = _write(tmp_path / "partner.csv", _three_rows())
    ingest_partner(warehouse, [path])
    _write(path, [_row(numerator="99")])
    ingest_partner(warehouse, [path])
    assert warehouse.execute("SELECT numerator FROM partner_series").fetchall() == [(99.0,)]


def test_the_later_loaded_file_wins_in_partner_value(tmp_path, warehouse):
    first = _write(tmp_path / "uss-first.csv", _three_rows())
    correction = _write(tmp_path / "uss-correction.csv", [_row(numerator="150"), _row(measure="other", value="1",
                                                                                     numerator="", denominator="")])
    ingest_partner(warehouse, [first, correction])
    rows = _value_rows(warehouse)
    assert ("victim_satisfaction", "2023-04-01", "metropolitan", "all", 150.0, "uss-correction.csv") in rows
    assert ("victim_satisfaction", "2023-07-01", "metropolitan", "all", 140.0, "uss-first.csv") in rows
    assert len(rows) == 4
    assert warehouse.execute("SELECT count(*) FROM partner_series").fetchone() == (5,)
    ingest_partner(warehouse, [first], reload=True)
    reloaded = _value_rows(warehouse)
    assert ("victim_satisfaction", "2023-04-01", "metropolitan", "all", 140.0, "uss-first.csv") in reloaded


def test_partner_files_are_not_a_default_reference_dataset():
    assert PARTNER not in all_datasets()
    assert PARTNER.files(REPO / "data") == []
    assert not list((REPO / "data" / "default").rglob("partner*"))


# the bundled illustrative example


def test_the_example_loads_with_nothing_quarantined(warehouse):
    (f,) = ingest_partner(warehouse, [EXAMPLE]).files
    assert (f.error, f.rows_quarantined, f.rows_loaded) == (None, 0, f.rows_read)
    assert 25 <= f.rows_loaded <= 40
    levels = {r[0] for r in warehouse.execute("SELECT DISTINCT area_level FROM partner_series").fetchall()}
    assert levels == {"force", "borough"}
    assert warehouse.execute("SELECT count(DISTINCT measure) FROM partner_series").fetchone()[0] >= 6


def test_every_example_row_says_it_is_illustrative():
    rows = list(csv.DictReader(EXAMPLE.read_text(encoding="utf-8").splitlines()))
    assert rows and all("ILLUSTRATIVE - not real data" in r["source"] for r in rows)
    assert all("ILLUSTRATIVE - not real data" in r["notes"] for r in rows)
    assert "ILLUSTRATIVE" in (EXAMPLE.parent / "README.md").read_text()


# property tests

_text_cells = st.fixed_dictionaries({c: st.text(max_size=30) for c in COLUMNS})
_file_cells = st.fixed_dictionaries({c: st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
                                     for c in COLUMNS})


@settings(max_examples=300)
@given(cells=_text_cells, line=st.integers(min_value=2, max_value=10**6))
def test_check_row_never_raises_on_arbitrary_text(cells, line):
    result = check_row(cells, line)
    assert isinstance(result, PartnerRow | Rejected)
    if isinstance(result, Rejected):
        assert result.line == line and result.field in COLUMNS and result.reason


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_file_cells, max_size=5))
def test_loading_a_file_of_arbitrary_cells_never_fails_and_balances(tmp_path, warehouse, rows):
    report = load_dataset_file(warehouse, PARTNER, _write(tmp_path / "arbitrary.csv", rows), reload=True)
    empty = sum(1 for r in rows if not any(cell.strip() for cell in r.values()))
    assert report.error is None
    assert report.rows_read == report.rows_loaded + report.rows_quarantined == len(rows) - empty


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@st.composite
def _periods(draw) -> tuple[str, date, date, str]:
    """(period_type, start, end, period_type cell): dates fitting the type, the type given or left blank."""
    kind = draw(st.sampled_from(PERIOD_TYPES))
    year = draw(st.integers(min_value=1990, max_value=NEXT_YEAR - 1))
    month = {"month": draw(st.integers(1, 12)), "fy_quarter": draw(st.sampled_from([1, 4, 7, 10])),
             "financial_year": 4, "calendar_year": 1, "rolling_12": draw(st.integers(1, 12))}[kind]
    span = {"month": 1, "fy_quarter": 3}.get(kind, 12)
    end_index = year * 12 + month - 1 + span - 1
    start, end = date(year, month, 1), _last_day(end_index // 12, end_index % 12 + 1)
    spellings = [kind, *(alias for alias, target in PERIOD_ALIASES.items() if target == kind)]
    derivable = kind != "rolling_12" or month not in (1, 4)  # else the dates read as a financial or calendar year
    cell = draw(st.sampled_from([*spellings, ""] if derivable else spellings))
    return kind, start, end, cell


_AREAS = st.one_of(
    st.tuples(st.just("force"), st.sampled_from(["metropolitan", "city-of-london", "kent"])),
    st.tuples(st.just("force"), st.from_regex(r"(E23|W15)[0-9]{6}", fullmatch=True)),
    st.tuples(st.just("bcu"), st.from_regex(r"[A-Z]{2,4}", fullmatch=True)),
    st.tuples(st.just("borough"), st.from_regex(r"(E06|E07|E08|E09|W06)[0-9]{6}", fullmatch=True)),
    st.tuples(st.just("ward"), st.from_regex(r"[EW]05[0-9]{6}", fullmatch=True)),
)
_DIMENSION_VALUES = st.text(st.characters(codec="utf-8", exclude_characters=";=", exclude_categories=("Cs", "Z",
                                                                                                         "Cc")),
                            min_size=1, max_size=10)
_BREAKDOWNS = st.one_of(
    st.just("all"),
    st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), _DIMENSION_VALUES, min_size=1,
                    max_size=3).map(lambda d: ";".join(f"{k}={v}" for k, v in d.items())),
)


@st.composite
def _figures(draw) -> tuple[str, str, str]:
    """(numerator, denominator, value) in one of the four valid combinations."""
    whole = st.integers(min_value=0, max_value=10**7)
    kind = draw(st.sampled_from(["figure", "count", "proportion", "proportion_checked"]))
    if kind == "figure":
        return "", "", repr(draw(st.floats(min_value=0, max_value=1e9, allow_nan=False)))
    if kind == "count":
        return str(draw(whole)), "", ""
    denominator = draw(st.integers(min_value=1, max_value=10**7))
    numerator = draw(st.integers(min_value=0, max_value=denominator))
    value = f"{numerator / denominator:.{draw(st.integers(0, 6))}f}" if kind == "proportion_checked" else ""
    return str(numerator), str(denominator), value


@st.composite
def _valid_rows(draw) -> tuple[dict[str, str], str]:
    kind, start, end, period_cell = draw(_periods())
    level, code = draw(_AREAS)
    numerator, denominator, value = draw(_figures())
    cells = {
        "measure": draw(st.from_regex(r"[a-z][a-z0-9]{0,10}(_[a-z0-9]{1,8}){0,3}", fullmatch=True)),
        "period_type": period_cell, "period_start": start.isoformat(), "period_end": end.isoformat(),
        "area_level": level, "area_code": code, "breakdown": draw(_BREAKDOWNS),
        "numerator": numerator, "denominator": denominator, "value": value,
        "sample_size": draw(st.one_of(st.just(""), st.integers(1, 10**6).map(str))),
        "source": draw(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20)
                       .filter(str.strip)),
        "notes": draw(st.text(max_size=20)),
    }
    return cells, kind


@settings(max_examples=300)
@given(generated=_valid_rows())
def test_every_valid_row_is_accepted(generated):
    cells, kind = generated
    row = check_row(cells, 2)
    assert isinstance(row, PartnerRow), row
    assert row.period_type == kind
    assert (row.area_level, row.area_code, row.measure) == (cells["area_level"], cells["area_code"], cells["measure"])


# command line

runner = CliRunner()


def test_cli_loads_the_example_and_prints_the_ingest_table(tmp_path):
    result = runner.invoke(app, ["--warehouse", str(tmp_path / "w.duckdb"), "ingest", "partner", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "partner files" in result.output and "partner_example_ILLUSTRATIVE.csv" in result.output
    assert "1 files (0 failed, 0 unchanged): 32 rows read, 32 loaded, 0 quarantined" in result.output


def test_cli_exits_1_on_a_bad_file_and_still_loads_the_others(tmp_path):
    warehouse = str(tmp_path / "w.duckdb")
    bad_header = _write(tmp_path / "bad-header.csv", [_row()], header=[*COLUMNS, "unit"])
    bad_rows = _write(tmp_path / "bad-rows.csv", _three_rows(numerator="210"))
    result = runner.invoke(app, ["--warehouse", warehouse, "ingest", "partner", str(bad_header), str(bad_rows)])
    assert result.exit_code == 1
    assert "failed: bad-header.csv: header is not the partner format: unexpected column 'unit'" in result.output
    assert ("quarantine: bad-rows.csv, field 'numerator': 1 row quarantined, first at line 3: numerator 210 is "
            "greater than denominator 200") in result.output
    assert "2 files (1 failed, 0 unchanged): 3 rows read, 2 loaded, 1 quarantined" in result.output
    again = runner.invoke(app, ["--warehouse", warehouse, "ingest", "partner", "--quiet", str(bad_rows)])
    assert again.exit_code == 0 and "1 files (0 failed, 1 unchanged)" in again.output
    assert "bad-rows.csv" not in again.output


def test_a_row_dated_9999_is_quarantined_and_the_victim_satisfaction_page_still_works(tmp_path):
    """#7: a year-9999 row used to load, build, and then break the measure page, its JSON and the report."""
    from web.webtools import Client

    from oversight.web import create_app

    warehouse = str(tmp_path / "w.duckdb")
    rows = [_row(), _row(period_start="9999-01-01", period_end="9999-03-31")]
    loaded = runner.invoke(app, ["--warehouse", warehouse, "ingest", "partner",
                                 str(_write(tmp_path / "uss.csv", rows))])
    assert ("quarantine: uss.csv, field 'period_start': 1 row quarantined, first at line 3: 9999-01-01 is outside "
            f"the years partner figures may cover (1990 to {NEXT_YEAR})") in loaded.output
    assert runner.invoke(app, ["--warehouse", warehouse, "build"]).exit_code == 0
    client = Client(create_app(warehouse, warm=False))
    try:
        for path in ("/measures/victim_satisfaction/", "/measures/victim_satisfaction/index.json"):
            assert client.get(path).status_code == 200, path
    finally:
        client.close()
