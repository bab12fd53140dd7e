"""Malformed police.uk files: every row is loaded or quarantined, or the file fails as a whole
with a clear error and leaves what was loaded before untouched. Nothing crashes the command.

Each broken file is made from the real City of London street file for 2018-01 (698 rows).
"""

from __future__ import annotations

import pytest
from conftest import bundled, csv_lines, write_lines
from typer.testing import CliRunner

from oversight.cli import app
from oversight.sources.police_uk import ingest_police_uk

GOOD = bundled("street", "2018-01")
ROWS = 698
NAME = "2018-01-city-of-london-street.csv"
LINES = csv_lines(GOOD)  # header + 698 rows, no quotes, LF line ends
LOCATION = LINES[0].split(",").index("Location")


def _with_location(line_no: int, value: str) -> list[str]:
    """The real lines with the Location of physical line `line_no` (1 = header) replaced."""
    lines = list(LINES)
    fields = lines[line_no - 1].split(",")
    fields[LOCATION] = value
    lines[line_no - 1] = ",".join(fields)
    return lines


def _write_bytes(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _month_rows(con, month: str = "2018-01") -> int:
    return con.execute(
        "SELECT count(*) FROM street_crime WHERE strftime(month, '%Y-%m') = ?", [month]
    ).fetchone()[0]


def _partition_rows(con, month: str = "2018-01") -> int | None:
    row = con.execute(
        "SELECT rows_loaded FROM partition_load WHERE dataset = 'street' AND strftime(month, '%Y-%m') = ?", [month]
    ).fetchone()
    return row[0] if row else None


# 1. file names are literal paths, never patterns


@pytest.mark.parametrize("odd", ["*", "?", "[0-9]", "{a,b}"])
def test_a_file_name_with_pattern_characters_is_read_literally(tmp_path, warehouse, odd):
    ingest_police_uk(warehouse, [GOOD])
    copy = write_lines(tmp_path / "g" / f"2018-01-city-of-london-street{odd}.csv", LINES)
    write_lines(tmp_path / "g" / "2018-01-city-of-london-street-copy.csv", LINES[:11])
    write_lines(tmp_path / "g" / "2018-01-city-of-london-street0.csv", LINES[:11])
    (f,) = ingest_police_uk(warehouse, [copy]).files
    assert (f.ok, f.rows_read, f.rows_loaded) == (True, ROWS, ROWS)
    assert _month_rows(warehouse) == _partition_rows(warehouse) == ROWS
    assert warehouse.execute("SELECT DISTINCT source_file FROM street_crime").fetchall() == [(str(copy),)]


def test_a_zip_member_with_pattern_characters_is_read_literally(tmp_path, warehouse):
    import zipfile

    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("2018-01-city-of-london-street*.csv", "\n".join(LINES) + "\n")
        zf.writestr("2018-01-city-of-london-street-x.csv", "\n".join(LINES[:11]) + "\n")
    report = ingest_police_uk(warehouse, [archive])
    assert [(f.ok, f.rows_loaded) for f in report.files] == [(True, ROWS), (True, 10)]
    assert _month_rows(warehouse) == _partition_rows(warehouse)


# 2. a parse that ends early fails the file


def test_an_unclosed_quote_fails_the_file_and_keeps_the_month_already_loaded(tmp_path, warehouse):
    ingest_police_uk(warehouse, [GOOD])
    broken = write_lines(tmp_path / NAME, _with_location(31, '"On or near unclosed'))
    (f,) = ingest_police_uk(warehouse, [broken]).files
    assert not f.ok
    assert f.error.startswith("line 31: a quoted value opens here and is never closed")
    assert _month_rows(warehouse) == _partition_rows(warehouse) == ROWS
    assert warehouse.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)
    assert warehouse.execute("SELECT count(*) FROM file_load WHERE source_file = ?", [str(broken)]).fetchone() == (0,)


def test_an_unclosed_quote_on_the_last_line_quarantines_only_that_row(tmp_path, warehouse):
    broken = write_lines(tmp_path / NAME, _with_location(ROWS + 1, '"On or near unclosed'))
    (f,) = ingest_police_uk(warehouse, [broken]).files
    assert (f.ok, f.rows_read, f.rows_loaded, f.rows_quarantined) == (True, ROWS, ROWS - 1, 1)
    assert warehouse.execute("SELECT source_line FROM quarantine").fetchall() == [(ROWS + 1,)]


# 3. the force in the file name must be the force in the rows


def test_a_file_named_for_another_force_is_refused(tmp_path, warehouse):
    renamed = write_lines(tmp_path / "2018-01-metropolitan-street.csv", LINES)
    (f,) = ingest_police_uk(warehouse, [renamed]).files
    assert not f.ok
    assert f.error == (
        "the file name gives force 'metropolitan' (Metropolitan Police Service), but every row is "
        "reported by another force: City of London Police (698 rows)"
    )
    assert warehouse.execute("SELECT count(*) FROM street_crime").fetchone() == (0,)
    assert warehouse.execute("SELECT count(*) FROM partition_load").fetchone() == (0,)


def test_a_force_given_with_the_force_option_is_checked_too(tmp_path, warehouse):
    plain = write_lines(tmp_path / "crimes.csv", LINES)
    (f,) = ingest_police_uk(warehouse, [plain], force="metropolitan").files
    assert not f.ok and "reported by another force: City of London Police" in f.error


def test_rows_reported_by_another_force_are_quarantined(tmp_path, warehouse):
    lines = list(LINES)
    lines[4] = lines[4].replace("City of London Police,City", "Metropolitan Police Service,City", 1)
    path = write_lines(tmp_path / NAME, lines)
    (f,) = ingest_police_uk(warehouse, [path]).files
    assert (f.rows_loaded, f.rows_quarantined) == (ROWS - 1, 1)
    assert warehouse.execute("SELECT source_line, field, reason FROM quarantine").fetchall() == [
        (5, "Reported by",
         "'Metropolitan Police Service' is not the force of the file (City of London Police)")]


def test_rows_of_an_unknown_force_are_quarantined_when_the_name_gives_none(tmp_path, warehouse):
    lines = list(LINES)
    lines[4] = lines[4].replace("City of London Police,City", "Gotham City Police,City", 1)
    path = write_lines(tmp_path / "crimes.csv", lines)
    (f,) = ingest_police_uk(warehouse, [path]).files
    assert (f.rows_loaded, f.rows_quarantined) == (ROWS - 1, 1)
    assert warehouse.execute("SELECT count(*) FROM street_crime WHERE force IS NULL").fetchone() == (0,)
    assert warehouse.execute("SELECT reason FROM quarantine").fetchall() == [
        ("'Gotham City Police' is not a police.uk force name (see 'oversight forces')",)]


# 4. exact duplicate records are loaded and counted


def test_a_file_with_every_row_twice_loads_them_with_a_note(tmp_path, warehouse):
    path = write_lines(tmp_path / NAME, LINES + LINES[1:])
    (f,) = ingest_police_uk(warehouse, [path]).files
    assert (f.ok, f.rows_read, f.rows_loaded) == (True, 2 * ROWS, 2 * ROWS)
    (note,) = [n for n in f.notes if "repeat" in n]
    assert note.startswith("769 of 1,396 rows (55%) repeat an earlier row exactly")
    assert "more than half" in note


def test_a_real_file_notes_its_identical_rows_without_alarm(warehouse):
    (f,) = ingest_police_uk(warehouse, [GOOD]).files
    (note,) = [n for n in f.notes if "repeat" in n]
    assert note.startswith("71 of 698 rows (10%) repeat an earlier row exactly")
    assert "more than half" not in note


# 5. bad headers and line ends: one clear error, or loaded; the other files still load


def _cli(tmp_path, *paths):
    runner = CliRunner()
    return runner.invoke(app, ["--warehouse", str(tmp_path / "w.duckdb"), "ingest", "police-uk",
                               *[str(p) for p in paths]])


def _one_line(output: str) -> str:
    """CLI output with the console's line wrapping undone."""
    return " ".join(output.split())


def _header_with(change) -> list[str]:
    lines = list(LINES)
    lines[0] = change(lines[0])
    return lines


BAD_HEADERS = {
    "month twice": (_header_with(lambda h: h.replace("Reported by", "Month")),
                    "the header names column 'Month' twice (columns 2 and 3)"),
    "trailing comma": (_header_with(lambda h: h + ","),
                       "column 13 of the header has no name"),
    "blank first line": ([""] + LINES, "line 1 is blank: the header must be the first line"),
}


@pytest.mark.parametrize("case", list(BAD_HEADERS))
def test_a_bad_header_fails_alone_and_the_files_around_it_load(tmp_path, case):
    lines, error = BAD_HEADERS[case]
    bad = write_lines(tmp_path / "bad" / "2018-03-city-of-london-street.csv", lines)
    result = _cli(tmp_path, bundled("street", "2018-02"), bad, bundled("street", "2018-04"))
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"failed: {bad}: {error}" in _one_line(result.output)
    assert "3 files (1 failed, 0 unchanged)" in result.output


def test_a_stray_carriage_return_in_the_header_fails_alone(tmp_path):
    header = LINES[0].replace("Month", "Mo\rnth")
    bad = _write_bytes(tmp_path / "bad" / "2018-03-city-of-london-street.csv",
                       ("\n".join([header, *LINES[1:]]) + "\n").encode())
    result = _cli(tmp_path, bundled("street", "2018-02"), bad, bundled("street", "2018-04"))
    assert result.exit_code == 1, result.output
    assert "3 files (1 failed, 0 unchanged)" in result.output
    assert (f"failed: {bad}: line 1 ends in a carriage return (CR) where the other lines end in LF"
            in _one_line(result.output))


@pytest.mark.parametrize(
    ("ending", "label"), [(b"\r", "CR"), (b"\r\n", "CRLF")]
)
def test_files_with_other_line_ends_load_whole(tmp_path, warehouse, ending, label):
    path = _write_bytes(tmp_path / NAME, ending.join(line.encode() for line in LINES) + ending)
    (f,) = ingest_police_uk(warehouse, [path]).files
    assert (f.ok, f.rows_read, f.rows_loaded) == (True, ROWS, ROWS)
    assert warehouse.execute("SELECT max(source_line) FROM street_crime").fetchone() == (ROWS + 1,)


# 11. mixed line ends: loaded, with a note that says what and where


@pytest.mark.parametrize(
    ("lines_ending", "note"),
    [
        (lambda i: b"\r\n" if i == 0 else b"\n",
         "line ends are mixed: 698 LF, 1 CRLF; line 2 is the first to end in LF where line 1 ends in CRLF"),
        (lambda i: b"\r\n" if i % 2 else b"\n",
         "line ends are mixed: 350 LF, 349 CRLF; line 2 is the first to end in CRLF where line 1 ends in LF"),
    ],
)
def test_mixed_line_ends_load_every_row_with_a_note(tmp_path, warehouse, lines_ending, note):
    data = b"".join(line.encode() + lines_ending(i) for i, line in enumerate(LINES))
    path = _write_bytes(tmp_path / NAME, data)
    (f,) = ingest_police_uk(warehouse, [path]).files
    assert (f.ok, f.rows_read, f.rows_loaded) == (True, ROWS, ROWS), f.error
    assert note in f.notes
    assert _month_rows(warehouse) == ROWS


# 10. quarantine and loaded rows keep their physical line numbers


def test_line_numbers_count_blank_lines_and_line_breaks_inside_quotes(tmp_path, warehouse):
    lines = _with_location(100, '"On or near\nTwo Lines"')  # line 100 now spans two lines
    lines.insert(150, "")  # two blank lines: lines[i] is now on file line i + 1, plus 1 past line 100
    lines.insert(151, "")
    lines[300] = ",".join(lines[300].split(",")[:5])  # file line 302: too few fields
    crime_type = LINES[0].split(",").index("Crime type")
    fields = lines[400].split(",")
    fields[crime_type] = "Cyber crime"  # file line 402: not a police.uk crime type
    lines[400] = ",".join(fields)
    path = write_lines(tmp_path / NAME, lines)
    (f,) = ingest_police_uk(warehouse, [path]).files
    assert (f.rows_read, f.rows_loaded + f.rows_quarantined) == (ROWS, ROWS)
    quarantined = warehouse.execute("SELECT source_line, reason FROM quarantine ORDER BY 1").fetchall()
    assert quarantined == [
        (302, "unreadable row: Expected Number of Columns: 12 Found: 5"),
        (402, "'Cyber crime' is not a known police.uk crime type"),
    ]
    assert "2 blank lines skipped (first at line 152)" in f.notes
    # Every loaded row sits on the line its Crime ID is found on in the file.
    text_lines = path.read_text().split("\n")
    for crime_id, line in warehouse.execute(
        "SELECT crime_id, source_line FROM street_crime WHERE crime_id IS NOT NULL"
    ).fetchall():
        assert text_lines[line - 1].startswith(crime_id), line


def _with_crime_type(lines: list[str], line_no: int, value: str) -> list[str]:
    crime_type = LINES[0].split(",").index("Crime type")
    fields = lines[line_no - 1].split(",")
    fields[crime_type] = value
    return [*lines[: line_no - 1], ",".join(fields), *lines[line_no:]]


def _files_of_several_months(folder) -> list:
    """Three street files of different months, read as one batch, with a bad row on the first
    row's line (2) of the first file, line 350 of the second and the last line of the third."""
    paths = []
    for n, (month, bad_line) in enumerate((("2018-01", 2), ("2018-02", 350), ("2018-03", -1))):
        lines = csv_lines(bundled("street", month))
        lines = _with_crime_type(lines, bad_line if bad_line > 0 else len(lines), f"Cyber crime {n}")
        paths.append(write_lines(folder / f"{month}-city-of-london-street.csv", lines))
    return paths


def _loaded_state(con) -> list:
    return [
        con.execute(sql).fetchall()
        for sql in (
            "SELECT * FROM street_crime ORDER BY source_file, source_line",
            "SELECT * EXCLUDE (load_id) FROM quarantine ORDER BY source_file, source_line",
            "SELECT * EXCLUDE (load_id, loaded_at) FROM file_load ORDER BY source_file",
            "SELECT * EXCLUDE (load_id) FROM partition_load ORDER BY month",
        )
    ]


def test_rows_of_several_files_read_together_keep_their_lines(tmp_path, warehouse):
    paths = _files_of_several_months(tmp_path)
    report = ingest_police_uk(warehouse, paths)
    assert [(f.ok, f.rows_read, f.rows_loaded + f.rows_quarantined) for f in report.files] == [
        (True, f.rows_read, f.rows_read) for f in report.files]
    quarantined = warehouse.execute(
        "SELECT source_file, source_line, reason FROM quarantine ORDER BY 1").fetchall()
    last = len(csv_lines(paths[2]))
    assert quarantined == [
        (str(paths[0]), 2, "'Cyber crime 0' is not a known police.uk crime type"),
        (str(paths[1]), 350, "'Cyber crime 1' is not a known police.uk crime type"),
        (str(paths[2]), last, "'Cyber crime 2' is not a known police.uk crime type"),
    ]
    for path in paths:
        text_lines = path.read_text().split("\n")
        rows = warehouse.execute(
            "SELECT crime_id, source_line FROM street_crime WHERE source_file = ? AND crime_id IS NOT NULL",
            [str(path)]).fetchall()
        assert rows
        for crime_id, line in rows:
            assert text_lines[line - 1].startswith(crime_id), (path.name, line)


def test_a_batch_loads_the_same_whether_read_directly_or_staged(tmp_path, monkeypatch):
    paths = _files_of_several_months(tmp_path)
    direct, staged = _load_both_ways(tmp_path, monkeypatch, paths,
                                     lambda f: (f.rows_loaded, f.problems, f.notes, f.months))
    assert direct == staged


def test_a_file_with_no_good_row_among_others_leaves_its_month_as_it_was(tmp_path, warehouse):
    ingest_police_uk(warehouse, [bundled("street", "2018-02")])
    before = _month_rows(warehouse, "2018-02")
    paths = _files_of_several_months(tmp_path)
    lines = csv_lines(paths[1])
    for line_no in range(2, len(lines) + 1):
        lines = _with_crime_type(lines, line_no, "Cyber crime")
    write_lines(paths[1], lines)
    report = ingest_police_uk(warehouse, paths)
    assert [(f.ok, f.rows_loaded) for f in report.files] == [
        (True, report.files[0].rows_read - 1), (True, 0), (True, report.files[2].rows_read - 1)]
    assert _month_rows(warehouse, "2018-02") == before
    assert report.files[1].rows_quarantined == len(lines) - 1


@pytest.mark.parametrize("change", ["rows added", "file removed"])
def test_a_file_that_changes_while_it_is_loaded_fails_alone(tmp_path, warehouse, monkeypatch, change):
    """A batch read directly reads its files again inside the write: if a file is no longer what
    the first read counted, the batch is staged instead, which reads each file once and checks it,
    so the file fails with a clear error and nothing of it is loaded, while the others load."""
    from oversight.sources.police_uk import load

    changing = write_lines(tmp_path / NAME, LINES)
    other = bundled("street", "2018-02")
    first_read = load._stage

    def stage_then_change(con, batch, direct):
        read_directly = first_read(con, batch, direct)
        if changing.exists() and any(item.source.path == changing for item in batch):
            if change == "rows added":
                write_lines(changing, LINES + LINES[1:6])
            else:
                changing.unlink()
        return read_directly

    monkeypatch.setattr(load, "_stage", stage_then_change)
    report = ingest_police_uk(warehouse, [changing, other])
    changed, kept = report.files
    assert not changed.ok and changed.rows_loaded == 0
    assert "rows where the file holds" in changed.error if change == "rows added" else "cannot be read" in changed.error
    assert _month_rows(warehouse, "2018-01") == 0 and _partition_rows(warehouse, "2018-01") is None
    assert kept.ok and kept.rows_loaded == _month_rows(warehouse, "2018-02") > 0


def _load_both_ways(tmp_path, monkeypatch, paths, of_file=None) -> list:
    """The reports (`of_file` of each file's, by default its outcome, rows and notes) and warehouse
    state of loading `paths` as one batch read directly, then staged; asserts that the first was
    written directly."""
    if of_file is None:
        def of_file(f):
            return (f.ok, f.rows_loaded, f.rows_quarantined, f.problems, f.notes)
    from oversight.sources.police_uk import load
    from oversight.warehouse import connect

    written, write = [], load._write
    monkeypatch.setattr(load, "_write", lambda con, batch, direct: written.append(direct) or write(con, batch, direct))
    results = []
    for way in ("direct", "staged"):
        if way == "staged":
            monkeypatch.setattr(load, "_direct_fits", lambda batch: False)
        con = connect(tmp_path / f"{way}.duckdb")
        report = ingest_police_uk(con, paths)
        results.append(([of_file(f) for f in report.files], _loaded_state(con)))
        con.close()
    assert written[0] is True
    return results


def _repeat_note(notes: list[str]) -> str:
    (note,) = [n for n in notes if "repeat" in n]
    return note.split(";")[0]


def test_repeated_rows_read_directly_are_counted_by_their_values(tmp_path, monkeypatch):
    """The direct way counts distinct rows by their text where no quote can change their values:
    a row whose only difference is a quoted value still repeats, a trailing space does not, and a
    last line without its line end is the same row."""
    def quoted_first(line: str) -> str:
        first, rest = line.split(",", 1)
        return f'"{first}",{rest}'

    folder = tmp_path / "in"
    lines = [csv_lines(bundled("street", month)) for month in ("2018-01", "2018-02", "2018-03")]
    paths = [
        write_lines(folder / "2018-01-city-of-london-street.csv", [*lines[0], quoted_first(lines[0][5])]),
        write_lines(folder / "2018-02-city-of-london-street.csv", [*lines[1], lines[1][5] + " "]),
        _write_bytes(folder / "2018-03-city-of-london-street.csv",
                     "\r\n".join([*lines[2], lines[2][5]]).encode()),
    ]
    direct, staged = _load_both_ways(tmp_path, monkeypatch, paths)
    assert direct == staged
    from oversight.warehouse import connect

    alone = []
    for path in paths:
        con = connect(tmp_path / f"{path.stem}.duckdb")
        alone.append(_repeat_note(ingest_police_uk(con, [path]).files[0].notes))
        con.close()
    assert [_repeat_note(f[4]) for f in direct[0]] == alone
    assert alone[0] == f"72 of {ROWS + 1} rows (10%) repeat an earlier row exactly"


def test_a_row_with_too_few_or_too_many_values_is_found_in_a_batch_read_directly(tmp_path, monkeypatch):
    """Counting by lines does not split rows into values: the insert's read finds such a row and
    the batch is staged, which quarantines it as unreadable at its line. (A row short of fields
    and another with as many too many leave the file's count of commas right.)"""
    paths = _files_of_several_months(tmp_path / "in")
    lines = csv_lines(paths[1])
    lines[99] = ",".join(lines[99].split(",")[:5])  # line 100: 7 commas short
    lines[199] += ",one,two,three,four,five,six,seven"  # line 200: 7 too many
    write_lines(paths[1], lines)
    direct, staged = _load_both_ways(tmp_path, monkeypatch, paths)
    assert direct == staged
    files, (_, quarantine, _, _) = direct
    assert [(ok, loaded + bad, bad) for ok, loaded, bad, _, _ in files] == [
        (True, 698, 1), (True, len(lines) - 1, 3), (True, len(csv_lines(paths[2])) - 1, 1)]
    # quarantine without load_id: (dataset, force, month, source_file, source_line, field, value, reason, record)
    assert [(q[4], q[7]) for q in quarantine if q[3] == str(paths[1])] == [
        (100, "unreadable row: Expected Number of Columns: 12 Found: 5"),
        (200, "unreadable row: Expected Number of Columns: 12 Found: 13"),
        (350, "'Cyber crime 1' is not a known police.uk crime type"),
    ]


def test_a_file_named_for_a_month_that_does_not_exist_fails_alone(tmp_path, warehouse):
    import gzip

    odd = _write_bytes(tmp_path / "2019-13-metropolitan-stop-and-search.csv",
                       gzip.decompress(bundled("stop-and-search", "2018-01").read_bytes()))
    report = ingest_police_uk(warehouse, [odd, bundled("stop-and-search", "2018-02")])
    assert [f.error for f in report.files] == [
        "the month in the file name, '2019-13', is not a month (YYYY-MM)", None]
    assert report.files[1].rows_loaded == warehouse.execute("SELECT count(*) FROM stop_search").fetchone()[0] > 0


def test_a_value_with_a_line_break_is_shown_on_one_line(tmp_path, warehouse):
    crime_type = LINES[0].split(",").index("Crime type")
    lines = list(LINES)
    fields = lines[4].split(",")
    fields[crime_type] = '"Cyber\ncrime"'
    lines[4] = ",".join(fields)
    (f,) = ingest_police_uk(warehouse, [write_lines(tmp_path / NAME, lines)]).files
    assert f.problems == [
        "field 'Crime type': 1 row quarantined, first at line 5: 'Cyber\\ncrime' is not a known police.uk crime type"]


def test_a_header_running_over_two_lines_fails_the_file(tmp_path, warehouse):
    lines = _header_with(lambda h: h.replace("Crime ID", '"Crime\nID"'))
    (f,) = ingest_police_uk(warehouse, [write_lines(tmp_path / NAME, lines)]).files
    assert f.error == "the header runs over several lines (a quoted column name holds a line break)"


def test_a_row_with_empty_fields_after_its_last_column_repeats_the_row_without_them(tmp_path, monkeypatch):
    """The reader takes empty fields after the last column as none ('1,x,' holds the values of
    '1,x'), so such a row repeats the row without them, read directly as staged."""
    folder = tmp_path / "in"
    lines = [csv_lines(bundled("street", month)) for month in ("2018-01", "2018-02")]
    paths = [
        write_lines(folder / "2018-01-city-of-london-street.csv", [*lines[0], lines[0][5] + ",", lines[0][6] + ",,"]),
        write_lines(folder / "2018-02-city-of-london-street.csv", lines[1]),
    ]
    direct, staged = _load_both_ways(tmp_path, monkeypatch, paths)
    assert direct == staged
    files, _ = direct
    assert [(ok, bad) for ok, _, bad, _, _ in files] == [(True, 0), (True, 0)]
    assert _repeat_note(files[0][4]) == f"73 of {ROWS + 2} rows (10%) repeat an earlier row exactly"
