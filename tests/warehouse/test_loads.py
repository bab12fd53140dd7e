"""Loads are idempotent and atomic per force x dataset x month."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile

import duckdb
from conftest import BUNDLED, REPO, bundled, csv_lines, write_lines
from typer.testing import CliRunner

from oversight.cli import app
from oversight.sources.police_uk import ingest_police_uk, load
from oversight.warehouse import connect


def _state(con) -> list[tuple]:
    return con.execute(
        """SELECT force, strftime(month, '%Y-%m'), count(*), sum(hash(source_file, source_line))
           FROM stop_search GROUP BY ALL ORDER BY ALL"""
    ).fetchall()


def test_reloading_a_month_does_not_duplicate_rows(warehouse):
    path = bundled("stop-and-search", "2018-05")
    first = ingest_police_uk(warehouse, [path]).files[0]
    before = _state(warehouse)
    again = ingest_police_uk(warehouse, [path], reload=True).files[0]
    assert again.rows_loaded == first.rows_loaded
    assert _state(warehouse) == before
    assert warehouse.execute("SELECT count(*) FROM stop_search").fetchone() == (first.rows_loaded,)


def test_an_unchanged_file_is_skipped_on_the_next_load(warehouse):
    path = bundled("stop-and-search", "2018-05")
    ingest_police_uk(warehouse, [path])
    (f,) = ingest_police_uk(warehouse, [path]).files
    assert f.unchanged and f.rows_read == 0
    assert warehouse.execute("SELECT count(*) FROM file_load").fetchone() == (1,)


def test_a_newer_file_for_a_month_replaces_the_older_one(tmp_path, warehouse):
    lines = csv_lines(bundled("street", "2019-09"))
    older = write_lines(tmp_path / "old" / "2019-09-city-of-london-street.csv", lines)
    newer = write_lines(tmp_path / "new" / "2019-09-city-of-london-street.csv", lines[:101])
    ingest_police_uk(warehouse, [older, bundled("street", "2019-10")])
    ingest_police_uk(warehouse, [newer])
    counts = dict(warehouse.execute(
        "SELECT strftime(month, '%Y-%m'), count(*) FROM street_crime GROUP BY 1").fetchall())
    assert counts == {"2019-09": 100, "2019-10": len(csv_lines(bundled("street", "2019-10"))) - 1}
    assert warehouse.execute(
        "SELECT DISTINCT source_file FROM street_crime WHERE month = DATE '2019-09-01'").fetchall() == [(str(newer),)]


def test_two_files_for_one_month_in_one_run_keep_the_later(tmp_path, warehouse):
    lines = csv_lines(bundled("street", "2019-09"))
    first = write_lines(tmp_path / "a" / "2019-09-city-of-london-street.csv", lines[:11])
    second = write_lines(tmp_path / "b" / "2019-09-city-of-london-street.csv", lines[:21])
    ingest_police_uk(warehouse, [first, second])
    kept = warehouse.execute("SELECT count(*), any_value(source_file) FROM street_crime").fetchone()
    assert kept == (20, str(second))
    assert warehouse.execute("SELECT rows_loaded FROM partition_load").fetchall() == [(20,)]


def test_every_partition_holds_exactly_the_rows_its_load_recorded(warehouse):
    ingest_police_uk(warehouse, [BUNDLED])
    mismatched = warehouse.execute(
        """SELECT p.dataset, p.force, p.month, p.rows_loaded, count(t.force)
           FROM partition_load p LEFT JOIN (
               SELECT 'street' AS dataset, force, month FROM street_crime
               UNION ALL SELECT 'outcomes', force, month FROM crime_outcome
               UNION ALL SELECT 'stop-and-search', force, month FROM stop_search) t
           USING (dataset, force, month)
           GROUP BY ALL HAVING p.rows_loaded <> count(t.force)"""
    ).fetchall()
    assert mismatched == []
    assert warehouse.execute("SELECT count(*) FROM partition_load").fetchone() == (49,)


# A load killed inside its transaction (after the old rows were deleted, before COMMIT).
_KILLED_LOAD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from oversight.sources.police_uk import load
    from oversight.warehouse import connect

    real = load._write_ledger
    def stall(con, kind, batch):
        real(con, kind, batch)
        Path(sys.argv[2]).write_text("inside the transaction")
        time.sleep(60)
    load._write_ledger = stall
    con = connect(sys.argv[1])
    load.ingest_police_uk(con, sys.argv[3:], reload=True)
    """
)


def test_a_load_killed_mid_transaction_leaves_the_last_good_state(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    files = [str(bundled("stop-and-search", m)) for m in ("2018-07", "2018-08")]
    con = connect(warehouse)
    ingest_police_uk(con, files)
    good = _state(con)
    con.close()

    flag = tmp_path / "flag"
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_LOAD, str(warehouse), str(flag), *files],
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    deadline = time.monotonic() + 60
    while not flag.exists():
        assert child.poll() is None, "the loader exited before reaching its transaction"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()

    con = connect(warehouse)
    assert _state(con) == good
    assert con.execute("SELECT count(*) FROM file_load").fetchone() == (2,)
    con.close()


# an unexpected error writing one batch: that batch changes nothing, the others load

def test_a_batch_that_fails_to_write_rolls_back_only_itself(warehouse, monkeypatch):
    ingest_police_uk(warehouse, [bundled("stop-and-search", "2018-07")])
    good_july = _state(warehouse)
    real = load._write_ledger

    def fail_for_july(con, kind, files):
        if any("2018-07" in item.source.name for _, item in files):
            raise RuntimeError("a bug")  # after July's old rows were deleted in the transaction
        real(con, kind, files)

    monkeypatch.setattr(load, "BATCH_BYTES", 1)  # one file a batch
    monkeypatch.setattr(load, "_write_ledger", fail_for_july)
    files = [bundled("stop-and-search", m) for m in ("2018-06", "2018-07", "2018-08")]
    report = ingest_police_uk(warehouse, files, reload=True)
    assert [f.ok for f in report.files] == [True, False, True]
    assert report.files[1].error.startswith(load.UNEXPECTED)
    state = _state(warehouse)
    assert [s[1] for s in state] == ["2018-06", "2018-07", "2018-08"]
    assert [s for s in state if s[1] == "2018-07"] == good_july
    assert warehouse.execute("SELECT count(*) FROM file_load").fetchone() == (3,)


# the warehouse cannot be written: one clear line, exit code 1, the earlier state kept

def _disk_full(*args, **kwargs):
    raise duckdb.IOException('Could not write file "w.duckdb.wal": No space left on device')


def test_a_load_that_cannot_write_the_warehouse_fails_its_files_and_keeps_the_last_good_state(
        warehouse, monkeypatch):
    ingest_police_uk(warehouse, [bundled("stop-and-search", "2018-07")])
    good = _state(warehouse)
    monkeypatch.setattr(load, "_write_ledger", _disk_full)
    files = [bundled("stop-and-search", m) for m in ("2018-08", "2018-09")]
    report = ingest_police_uk(warehouse, files)
    assert [f.error for f in report.files] == [
        "not loaded: cannot write to the warehouse: "
        'Could not write file "w.duckdb.wal": No space left on device'] * 2
    assert _state(warehouse) == good


def test_the_command_reports_a_full_disk_on_one_line_and_exits_1(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "_write_ledger", _disk_full)
    result = CliRunner().invoke(app, ["--warehouse", str(tmp_path / "w.duckdb"), "ingest", "police-uk",
                                      str(bundled("stop-and-search", "2018-08"))])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "No space left on device" in result.output and "Traceback" not in result.output


def test_a_warehouse_folder_that_cannot_be_made_is_one_line_and_exit_1(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    result = CliRunner().invoke(app, ["--warehouse", str(tmp_path / "file" / "w.duckdb"), "ingest",
                                      "police-uk", str(bundled("stop-and-search", "2018-08"))])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "cannot create the warehouse folder" in result.output


# temporary folders

_KILLED_EXTRACTION = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from oversight.sources.police_uk import load
    from oversight.warehouse import connect

    def stall(*args, **kwargs):
        Path(sys.argv[2]).write_text("extracted")
        time.sleep(60)
    load._stage = stall
    load.ingest_police_uk(connect(sys.argv[1]), sys.argv[3:])
    """
)


def test_the_temporary_folder_of_a_killed_load_is_removed_at_the_next_start(tmp_path, monkeypatch):
    temp = tmp_path / "tmp"
    temp.mkdir()
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("2018-01-city-of-london-street.csv", "\n".join(csv_lines(bundled("street", "2018-01"))))
    flag = tmp_path / "flag"
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_EXTRACTION, str(tmp_path / "w.duckdb"), str(flag), str(archive)],
        env={**os.environ, "PYTHONPATH": str(REPO / "src"), "TMPDIR": str(temp)},
    )
    deadline = time.monotonic() + 60
    while not flag.exists():
        assert child.poll() is None, "the loader exited before loading"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert [p.name.startswith("oversight-ingest-") for p in temp.iterdir()] == [True]

    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    con = connect(tmp_path / "w2.duckdb")
    ingest_police_uk(con, [bundled("street", "2018-02")])
    con.close()
    assert list(temp.iterdir()) == []
