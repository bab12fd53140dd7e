"""The reference-dataset framework: idempotent, atomic, nothing lost, clear errors."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from oversight.errors import SourceError
from oversight.sources.reference.dataset import (
    Dataset,
    Parsed,
    Rejected,
    load_dataset_file,
    load_datasets,
)


def _parse_counts(path: Path) -> Parsed:
    """Toy parser: 'area,count' rows; a count that is not a whole number is rejected."""
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header != ["area", "count"]:
            raise SourceError(f"expected header area,count, found {header}", path=str(path))
        good, bad = [], []
        for line, (area, count) in enumerate(reader, start=2):
            if count.isdigit():
                good.append({"area": area, "count": int(count)})
            else:
                bad.append(Rejected(line, "count", count, "not a whole number", {"area": area, "count": count}))
    return Parsed(pd.DataFrame(good, columns=["area", "count"]), bad)


COUNTS = Dataset(
    name="toy-counts",
    table="toy_count",
    ddl="CREATE TABLE IF NOT EXISTS toy_count (area VARCHAR, count BIGINT, source_file VARCHAR NOT NULL)",
    patterns=("toy/counts_*.csv",),
    parse=_parse_counts,
    description="test data",
)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_rows_and_rejects_are_both_kept(warehouse, tmp_path):
    path = _write(tmp_path / "toy" / "counts_a.csv", "area,count\nA,1\nB,x\nC,3\n")
    report = load_dataset_file(warehouse, COUNTS, path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    assert report.problems == ["field 'count': 1 row quarantined, first at line 3: not a whole number"]
    assert warehouse.execute("SELECT area, count, source_file FROM toy_count ORDER BY area").fetchall() == [
        ("A", 1, "counts_a.csv"), ("C", 3, "counts_a.csv"),
    ]
    q = warehouse.execute(
        "SELECT dataset, source_file, source_line, field, value, reason, record FROM quarantine"
    ).fetchall()
    assert q == [("toy-counts", "counts_a.csv", 3, "count", "x", "not a whole number", '{"area": "B", "count": "x"}')]
    ledger = warehouse.execute("SELECT rows_read, rows_loaded, rows_quarantined FROM file_load").fetchall()
    assert ledger == [(3, 2, 1)]


def test_same_bytes_are_skipped_and_reload_replaces(warehouse, tmp_path):
    path = _write(tmp_path / "toy" / "counts_a.csv", "area,count\nA,1\nB,x\n")
    load_dataset_file(warehouse, COUNTS, path)
    assert load_dataset_file(warehouse, COUNTS, path).unchanged
    again = load_dataset_file(warehouse, COUNTS, path, reload=True)
    assert not again.unchanged
    assert warehouse.execute("SELECT count(*) FROM toy_count").fetchone() == (1,)
    assert warehouse.execute("SELECT count(*) FROM quarantine").fetchone() == (1,)
    _write(path, "area,count\nA,5\nB,6\n")
    load_dataset_file(warehouse, COUNTS, path)
    assert warehouse.execute("SELECT sum(count) FROM toy_count").fetchone() == (11,)
    assert warehouse.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)
    current = warehouse.execute("SELECT count(*) FROM reference_load").fetchone()
    assert current == (1,)


def test_unreadable_file_changes_nothing(warehouse, tmp_path):
    good = _write(tmp_path / "toy" / "counts_a.csv", "area,count\nA,1\n")
    load_dataset_file(warehouse, COUNTS, good)
    _write(good, "region,n\nA,2\n")
    report = load_dataset_file(warehouse, COUNTS, good)
    assert not report.ok
    assert "expected header area,count" in (report.error or "")
    assert warehouse.execute("SELECT area, count FROM toy_count").fetchall() == [("A", 1)]


def test_a_crash_mid_load_keeps_the_last_good_state(warehouse, tmp_path):
    path = _write(tmp_path / "toy" / "counts_a.csv", "area,count\nA,1\n")
    load_dataset_file(warehouse, COUNTS, path)

    def wrong_columns(p: Path) -> Parsed:
        return Parsed(pd.DataFrame({"area": ["Z"], "no_such_column": [1]}))

    broken = Dataset(**{**COUNTS.__dict__, "parse": wrong_columns})
    _write(path, "area,count\nA,2\n")
    with pytest.raises(duckdb.Error):
        load_dataset_file(warehouse, broken, path)
    assert warehouse.execute("SELECT area, count FROM toy_count").fetchall() == [("A", 1)]
    assert warehouse.execute("SELECT count(*) FROM file_load").fetchone() == (1,)


def test_missing_dataset_is_reported_not_silent(warehouse, tmp_path):
    (report,) = load_datasets(warehouse, [COUNTS], [tmp_path / "empty", tmp_path / "also-empty"])
    assert not report.ok
    assert "no file for toy-counts" in (report.error or "")


def test_first_root_holding_the_dataset_is_used(warehouse, tmp_path):
    _write(tmp_path / "one" / "toy" / "counts_a.csv", "area,count\nA,1\n")
    _write(tmp_path / "two" / "toy" / "counts_b.csv", "area,count\nB,2\n")
    reports = load_datasets(warehouse, [COUNTS], [tmp_path / "missing", tmp_path / "one", tmp_path / "two"])
    assert [r.name for r in reports] == ["counts_a.csv"]
