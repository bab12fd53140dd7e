"""Invariants of the police.uk loader over generated malformed files.

Each file is made from real rows (City of London street crime and Met stop and search, 2018-01)
broken in the ways real copies break: quotes opened and never closed or in mid-field, repeated or
unnamed header columns, CR, CRLF and mixed line ends, blank lines, truncation, bad values and
bytes, short and long rows, repeated rows, rows of another force, file names with pattern
characters, gzip and zip. Whatever the file:

- nothing escapes ingest_police_uk (or the command), and no failure is an unexpected error;
- a file that loads balances: its rows, counted here with Python's csv module, equal rows read,
  and rows read = rows loaded + rows quarantined, which is what the warehouse holds for it;
- a file that fails says why on one line and leaves the warehouse as it was.
"""

from __future__ import annotations

import csv
import gzip
import io
import shutil
import zipfile
from dataclasses import dataclass

import pytest
from conftest import bundled, csv_lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from oversight.cli import app
from oversight.sources.police_uk import ingest_police_uk
from oversight.sources.police_uk.load import UNEXPECTED
from oversight.warehouse import connect


@dataclass(frozen=True)
class Base:
    """Real rows of one dataset, and the names a copy of their file may have."""

    table: str
    header: list[str]
    rows: list[list[str]]
    stems: tuple[str, ...]
    baseline_rows: int  # rows of the whole real file loaded before each example


def _base(dataset: str, table: str, stems: tuple[str, ...]) -> Base:
    lines = csv_lines(bundled(dataset, "2018-01"))
    rows = [next(csv.reader([line])) for line in lines[1:31]]  # 30 real rows
    return Base(table, next(csv.reader([lines[0]])), rows, stems, len(lines) - 1)


STREET = _base("street", "street_crime",
               ("2018-01-city-of-london-street", "2018-01-metropolitan-street", "crimes"))
STOP_SEARCH = _base("stop-and-search", "stop_search",
                    ("2018-01-metropolitan-stop-and-search", "2018-01-city-of-london-stop-and-search", "searches"))

# Bounded so that the file runs in well under a minute on a slow shared machine.
SETTINGS = settings(max_examples=100, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

BAD_VALUES = st.sampled_from([
    "", " ", "Cyber crime", "2018-13", "2017-12", "Metropolitan Police Service", "Gotham City Police",
    "181.5", "east", "E0100094", "On or near\nTwo Lines", "On or\r\nnear", 'He said "hi"', "a,b",
    "x" * 300, "Café", "\u2028",
]) | st.text(max_size=8)
ODD_NAMES = st.sampled_from(["", "*", "?", "[1]", "{a,b}", " copy", " (1)", "é", "!x", "%20"])


@dataclass
class Generated:
    base: Base
    name: str
    data: bytes  # the CSV bytes (before gzip or zip)
    container: str  # "csv", "gz" or "zip"


def _render(fields: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(fields)  # quotes values holding CR or LF
    return out.getvalue()[:-2]


@st.composite
def police_uk_files(draw) -> Generated:
    base = draw(st.sampled_from([STREET, STREET, STOP_SEARCH]))
    rows = [list(r) for r in base.rows[: draw(st.integers(0, len(base.rows)))]]
    header = list(base.header)
    for _ in range(draw(st.integers(0, 3))):  # bad values
        if rows:
            row = draw(st.sampled_from(rows))
            row[draw(st.integers(0, len(header) - 1))] = draw(BAD_VALUES)
    if rows and draw(st.integers(0, 4)) == 0:  # repeated rows, up to the whole file twice
        rows += [list(r) for r in rows[: draw(st.integers(1, len(rows)))]]
    if rows and "Reported by" in header and draw(st.integers(0, 5)) == 0:  # every row of another force
        for row in rows:
            row[header.index("Reported by")] = "Metropolitan Police Service"

    header_change = draw(st.sampled_from(["none"] * 8 + ["repeat", "trailing comma", "drop", "blank first"]))
    if header_change == "repeat":
        header[draw(st.integers(1, len(header) - 1))] = header[0]
    elif header_change == "trailing comma":
        header.append("")
    elif header_change == "drop":
        del header[draw(st.integers(0, len(header) - 1))]
    lines = [_render(header)] + [_render(r) for r in rows]
    if header_change == "blank first":
        lines.insert(0, "")

    for _ in range(draw(st.integers(0, 3))):  # damage to one line's text
        k = draw(st.integers(0, len(lines) - 1))
        fields = lines[k].split(",")
        j = draw(st.integers(0, len(fields) - 1))
        change = draw(st.sampled_from(["unclosed quote", "mid-field quote", "short", "long", "stray CR", "blank"]))
        if change == "unclosed quote":
            fields[j] = '"' + fields[j]
        elif change == "mid-field quote":
            fields[j] = fields[j][:1] + '"' + fields[j][1:] + "x"
        elif change == "short":
            fields = fields[:j]
        elif change == "long":
            fields.insert(j, "extra")
        elif change == "stray CR":
            fields[j] += "\r"
        lines[k] = "" if change == "blank" else ",".join(fields)
    for _ in range(draw(st.integers(0, 2))):  # blank lines
        lines.insert(draw(st.integers(1, len(lines))), "")

    endings = draw(st.sampled_from(["LF", "LF", "CRLF", "CR", "mixed"]))
    choices = {"LF": ["\n"], "CRLF": ["\r\n"], "CR": ["\r"], "mixed": ["\n", "\r\n", "\r"]}[endings]
    text = "".join(line + draw(st.sampled_from(choices)) for line in lines)
    if draw(st.booleans()):
        text = text[:-1]  # no line end after the last line
    data = text.encode("utf-8")
    if draw(st.integers(0, 6)) == 0:  # bytes that are not UTF-8, inside a row
        at = draw(st.integers(len(lines[0]) + 1, max(len(lines[0]) + 1, len(data))))
        data = data[:at] + b"\xff\xfe" + data[at:]
    if draw(st.integers(0, 6)) == 0:  # cut short anywhere
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.integers(0, 6)) == 0:
        data = b"\xef\xbb\xbf" + data

    name = draw(st.sampled_from(base.stems)) + draw(ODD_NAMES) + ".csv"
    return Generated(base, name, data, draw(st.sampled_from(["csv", "csv", "gz", "zip"])))


def expected_rows(data: bytes) -> int | None:
    """Records after the header, blank lines aside, as Python's csv module reads them."""
    rows = list(csv.reader(io.StringIO(data.removeprefix(b"\xef\xbb\xbf").decode("latin-1"), newline="")))
    if not rows or not rows[0]:
        return None  # no header on line 1
    return sum(1 for r in rows[1:] if r)


def _write(folder, generated: Generated):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / generated.name
    if generated.container == "csv":
        path.write_bytes(generated.data)
    elif generated.container == "gz":
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(generated.data))
    else:
        archive = folder / "download.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr(f"2018-01/{generated.name}", generated.data)
        path = archive
    return path


def _state(con) -> tuple:
    return tuple(
        con.execute(sql).fetchone()
        for sql in (
            "SELECT count(*), sum(hash(source_file, source_line, crime_id)) FROM street_crime",
            "SELECT count(*), sum(hash(source_file, source_line, occurred_at)) FROM stop_search",
            "SELECT count(*), sum(hash(source_file, source_line, reason)) FROM quarantine",
            "SELECT count(*) FROM file_load",
            "SELECT count(*), sum(hash(force, month, load_id, rows_loaded)) FROM partition_load",
        )
    )


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """A warehouse holding the whole real 2018-01 files, which every generated file competes with."""
    path = tmp_path_factory.mktemp("baseline") / "w.duckdb"
    con = connect(path)
    ingest_police_uk(con, [bundled("street", "2018-01"), bundled("stop-and-search", "2018-01")])
    con.close()
    return path


@SETTINGS
@given(generated=police_uk_files())
def test_every_file_balances_or_fails_whole_and_changes_nothing(tmp_path_factory, baseline, generated):
    folder = tmp_path_factory.mktemp("p")
    shutil.copy(baseline, folder / "w.duckdb")
    con = connect(folder / "w.duckdb")
    before = _state(con)
    report = ingest_police_uk(con, [_write(folder / "in", generated)])
    (f,) = report.files
    table = generated.base.table
    if f.ok:
        assert f.rows_read == expected_rows(generated.data), f.name
        assert f.rows_read == f.rows_loaded + f.rows_quarantined
        held = con.execute(f"SELECT count(*) FROM {table} WHERE source_file = ?", [f.name]).fetchone()[0]
        set_aside = con.execute("SELECT count(*) FROM quarantine WHERE source_file = ?", [f.name]).fetchone()[0]
        assert (held, set_aside) == (f.rows_loaded, f.rows_quarantined)
        if f.rows_loaded == 0:  # nothing good: the month already loaded stays
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == generated.base.baseline_rows
    else:
        assert f.error and "\n" not in f.error and not f.error.startswith(UNEXPECTED), f.error
        assert _state(con) == before
    con.close()


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(generated=police_uk_files())
def test_the_command_never_crashes_and_loads_the_files_around_a_bad_one(tmp_path_factory, generated):
    folder = tmp_path_factory.mktemp("c")
    bad = _write(folder / "in", generated)
    result = CliRunner().invoke(app, ["--warehouse", str(folder / "w.duckdb"), "ingest", "police-uk", "--quiet",
                                      str(bundled("street", "2018-02")), str(bad), str(bundled("street", "2018-03"))])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    con = connect(folder / "w.duckdb", read_only=True)
    months = dict(con.execute(
        "SELECT strftime(month, '%Y-%m'), count(*) FROM street_crime GROUP BY 1").fetchall())
    con.close()
    assert months["2018-02"] == len(csv_lines(bundled("street", "2018-02"))) - 1
    assert months["2018-03"] == len(csv_lines(bundled("street", "2018-03"))) - 1
