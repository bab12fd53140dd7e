"""Row rules: every bad row is quarantined with file, line, field and reason; none is lost.

Broken rows are made from real rows of the bundled files, one field changed at a time.
"""

from __future__ import annotations

import csv
import io
import random

import pytest
from conftest import SHARED_POLICE_UK, bundled, csv_lines, needs_shared
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oversight.sources.police_uk import ingest_police_uk, vocab
from oversight.warehouse import connect

STREET_HEADER = csv_lines(bundled("street", "2019-09"))[0].split(",")


def _street_rows(n: int = 5) -> list[list[str]]:
    """Real rows of City of London 2019-09: the first n non-ASB rows, then one ASB row."""
    rows = list(csv.reader(csv_lines(bundled("street", "2019-09"))[1:]))
    crimes = [r for r in rows if r[9] != "Anti-social behaviour"][:n]
    asb = [r for r in rows if r[9] == "Anti-social behaviour"][:1]
    return crimes + asb


def _write(path, header, rows) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _with(field: str, value: str) -> list[list[str]]:
    """The real rows, with `field` of the third row (line 4) set to `value`."""
    rows = _street_rows()
    rows[2][STREET_HEADER.index(field)] = value
    return rows


def _quarantine(con) -> list[tuple]:
    return con.execute("SELECT source_line, field, value, reason FROM quarantine ORDER BY source_line").fetchall()


# inputs: one broken field each


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("Month", "2019-13", "'2019-13' is not a YYYY-MM month"),
        ("Month", "Sept 2019", "'Sept 2019' is not a YYYY-MM month"),
        ("Month", "2019-08", "'2019-08' differs from the month in the file name (2019-09)"),
        ("Latitude", "151.5", "'151.5' is outside the UK (49.8 to 60.9)"),
        ("Longitude", "east", "'east' is not a number"),
        ("Latitude", "", "only one of Latitude and Longitude is given"),
        ("LSOA code", "E0100094", "'E0100094' is not an LSOA code (E01 or W01 and six digits)"),
        ("Crime type", "Cyber crime", "'Cyber crime' is not a known police.uk crime type"),
        ("Last outcome category", "Sorted", "'Sorted' is not a known police.uk outcome category"),
        ("Crime ID", "", "missing Crime ID (only anti-social behaviour rows may have none)"),
        ("Crime ID", "abc", "'abc' is not a 64-character police.uk crime id"),
    ],
)
def test_a_broken_field_sends_its_row_to_quarantine_with_the_reason(tmp_path, warehouse, field, value, reason):
    path = tmp_path / "2019-09-city-of-london-street.csv"
    _write(path, STREET_HEADER, _with(field, value))
    (f,) = ingest_police_uk(warehouse, [path]).files
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (6, 5, 1)
    ((line, got_field, got_value, got_reason),) = _quarantine(warehouse)
    assert (line, got_field, got_reason) == (4, field, reason)
    assert got_value == (value or None)
    assert f.problems == [f"field '{field}': 1 row quarantined, first at line 4: {reason}"]


def test_quarantined_row_keeps_the_whole_record(tmp_path, warehouse):
    path = tmp_path / "2019-09-city-of-london-street.csv"
    _write(path, STREET_HEADER, _with("Crime type", "Cyber crime"))
    ingest_police_uk(warehouse, [path])
    (record,) = warehouse.execute("SELECT record FROM quarantine").fetchone()
    assert '"Crime type":"Cyber crime"' in record and '"Month":"2019-09"' in record


def test_wrong_column_count_and_bad_bytes_are_quarantined_with_their_lines(tmp_path, warehouse):
    lines = [line.encode() for line in csv_lines(bundled("street", "2019-09"))[:9]]
    lines[3] = lines[3].rsplit(b",", 2)[0]  # line 4: two columns short
    lines[5] = lines[5].replace(b"On or near", b"On or n\xff\xfear")  # line 6: not UTF-8
    lines[6] = lines[6].replace(b"On or near", b"On or n\xff\xfear")  # line 7, next to it
    path = tmp_path / "2019-09-city-of-london-street.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    (f,) = ingest_police_uk(warehouse, [path]).files
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (8, 5, 3)
    assert [(line, reason.split(":")[0]) for line, _, _, reason in _quarantine(warehouse)] == [
        (4, "unreadable row"), (6, "unreadable row"), (7, "unreadable row")]
    # The good rows after the bad ones keep their true line numbers.
    assert warehouse.execute("SELECT list(source_line ORDER BY source_line) FROM street_crime").fetchone()[0] == [
        2, 3, 5, 8, 9]


def test_anti_social_behaviour_rows_load_without_crime_id(tmp_path, warehouse):
    path = tmp_path / "2019-09-city-of-london-street.csv"
    _write(path, STREET_HEADER, _street_rows())
    ingest_police_uk(warehouse, [path])
    assert warehouse.execute(
        "SELECT crime_id, last_outcome FROM street_crime WHERE crime_type = 'Anti-social behaviour'"
    ).fetchall() == [(None, None)]


# outputs


def test_outcome_labels_renamed_in_2014_map_to_the_canonical_list(tmp_path, warehouse):
    rows = _street_rows()
    outcome = STREET_HEADER.index("Last outcome category")
    rows[0][outcome], rows[1][outcome] = "No further action", "Offender imprisoned"
    path = tmp_path / "2019-09-city-of-london-street.csv"
    _write(path, STREET_HEADER, rows)
    ingest_police_uk(warehouse, [path])
    got = warehouse.execute(
        "SELECT last_outcome_published, last_outcome FROM street_crime ORDER BY source_line LIMIT 2").fetchall()
    assert got == [("No further action", "Investigation complete; no suspect identified"),
                   ("Offender imprisoned", "Offender sent to prison")]


def test_every_rename_target_is_a_canonical_label():
    for renames, canonical in ((vocab.crime_outcome_renames(), vocab.crime_outcomes()),
                               (vocab.stop_search_outcome_renames(), vocab.stop_search_outcomes())):
        assert set(renames.values()) <= set(canonical)
        assert not set(renames) & set(canonical), "a published label cannot be both old and canonical"


def test_stop_search_rows_dated_the_previous_evening_in_utc_belong_to_the_file_month(warehouse):
    # 2018-04: British Summer Time, so local midnight on 1 April is 23:00 UTC on 31 March.
    ingest_police_uk(warehouse, [bundled("stop-and-search", "2018-04")])
    early = warehouse.execute(
        "SELECT count(*), min(strftime(month, '%Y-%m')), max(strftime(month, '%Y-%m')) "
        "FROM stop_search WHERE occurred_at < TIMESTAMPTZ '2018-04-01 00:00:00+00'"
    ).fetchone()
    assert early[0] > 0 and early[1:] == ("2018-04", "2018-04")


def test_source_line_matches_the_line_in_the_file(warehouse):
    path = bundled("stop-and-search", "2018-06")
    ingest_police_uk(warehouse, [path])
    lines = csv_lines(path)
    for line_no in random.Random(7).sample(range(2, len(lines) + 1), 40):
        fields = next(csv.reader([lines[line_no - 1]]))
        got = warehouse.execute(
            "SELECT search_type, outcome_published, self_defined_ethnicity FROM stop_search WHERE source_line = ?",
            [line_no],
        ).fetchone()
        assert got == (fields[0], fields[12] or None, fields[8] or None), f"line {line_no}"


def _groups(con) -> dict[str, str | None]:
    return dict(con.execute(
        "SELECT self_defined_ethnicity, self_defined_group FROM stop_search GROUP BY ALL"
    ).fetchall())


def test_self_defined_ethnicity_labels_map_to_the_five_census_2021_groups(warehouse):
    ingest_police_uk(warehouse, [bundled("stop-and-search", "2018-12")])
    groups = _groups(warehouse)
    assert groups["White - Irish"] == "White"
    assert groups["Asian/Asian British - Chinese"] == "Asian"
    assert groups["Other ethnic group - Not stated"] is None
    assert groups[None] is None
    assert set(groups.values()) == {"Asian", "Black", "Mixed", "Other", "White", None}


@needs_shared
def test_self_defined_labels_of_the_2001_census_scheme_map_too(warehouse):
    ingest_police_uk(warehouse, [SHARED_POLICE_UK / "stop_and_search" / "2016-01-metropolitan-stop-and-search.csv.gz"])
    groups = _groups(warehouse)
    assert groups["White - White British (W1)"] == "White"
    assert groups["Black or Black British - Caribbean (B1)"] == "Black"
    assert groups["Chinese or other ethnic group - Chinese (O1)"] == "Asian"
    assert groups["Chinese or other ethnic group - Any other ethnic group (O9)"] == "Other"
    assert groups["Not Stated (NS)"] is None


# invariants (hypothesis)

MONTH_TEXT = st.one_of(
    st.text(alphabet="0123456789-/ aZ", max_size=9),
    st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(0, 9999), st.integers(0, 99)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(months=st.lists(MONTH_TEXT, min_size=1, max_size=5))
def test_every_row_read_is_loaded_or_quarantined_whatever_the_month_text(tmp_path_factory, months):
    tmp = tmp_path_factory.mktemp("h")
    rows = _street_rows(len(months))[: len(months)]
    for row, month in zip(rows, months, strict=True):
        row[STREET_HEADER.index("Month")] = month
    path = tmp / "crimes.csv"  # no month in the name: each row's own month decides
    _write(path, STREET_HEADER, rows)
    con = connect(tmp / "w.duckdb")
    (f,) = ingest_police_uk(con, [path]).files
    assert f.rows_read == f.rows_loaded + f.rows_quarantined == len(rows)
    loaded = con.execute("SELECT strftime(month, '%Y-%m') FROM street_crime").fetchall()
    for (month,) in loaded:
        assert month in months
    con.close()
