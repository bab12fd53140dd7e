"""The command line, driven in-process: what an analyst sees and the exit codes."""

from __future__ import annotations

import json

from conftest import BUNDLED, bundled
from typer.testing import CliRunner

from oversight.cli import app

runner = CliRunner()


def test_ingest_prints_a_per_file_report_and_totals(tmp_path):
    result = runner.invoke(app, ["--warehouse", str(tmp_path / "w.duckdb"), "ingest", "police-uk",
                                 str(bundled("stop-and-search", "2018-01"))])
    assert result.exit_code == 0, result.output
    assert "2018-01-metropolitan-stop-and-search.csv.gz" in result.output
    assert "1 files (0 failed, 0 unchanged): 12,137 rows read, 12,137 loaded, 0 quarantined" in result.output


def test_ingest_exits_1_when_a_file_fails_and_still_loads_the_rest(tmp_path):
    empty = tmp_path / "2018-02-metropolitan-stop-and-search.csv"
    empty.write_text("")
    warehouse = tmp_path / "w.duckdb"
    result = runner.invoke(app, ["--warehouse", str(warehouse), "ingest", "police-uk", str(empty),
                                 str(bundled("stop-and-search", "2018-01"))])
    assert result.exit_code == 1
    assert f"failed: {empty}: file is empty" in result.output
    summary = runner.invoke(app, ["--warehouse", str(warehouse), "summary"])
    assert "12,137" in summary.output


def test_warehouse_comes_from_the_environment_variable(tmp_path):
    warehouse = tmp_path / "from-env.duckdb"
    result = runner.invoke(app, ["ingest", "police-uk", "--quiet", str(bundled("street", "2018-01"))],
                           env={"OVERSIGHT_WAREHOUSE": str(warehouse)})
    assert result.exit_code == 0 and warehouse.exists()


def test_health_json_uses_the_success_envelope(tmp_path):
    warehouse = str(tmp_path / "w.duckdb")
    runner.invoke(app, ["--warehouse", warehouse, "ingest", "police-uk", str(BUNDLED / "street")])
    result = runner.invoke(app, ["--warehouse", warehouse, "health", "--format", "json"])
    body = json.loads(result.output)
    assert body["ok"] is True and len(body["data"]) == 36
    assert set(body["data"][0]) >= {"dataset", "force", "month", "status", "rows", "share_no_lsoa"}


def test_health_csv_has_one_line_per_month(tmp_path):
    warehouse = str(tmp_path / "w.duckdb")
    runner.invoke(app, ["--warehouse", warehouse, "ingest", "police-uk", str(BUNDLED / "stop-and-search")])
    result = runner.invoke(app, ["--warehouse", warehouse, "health", "--format", "csv"])
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("dataset,force,month,status,rows")
    assert len(lines) == 13


def test_health_before_any_load_says_what_to_do(tmp_path):
    result = runner.invoke(app, ["--warehouse", str(tmp_path / "none.duckdb"), "health"])
    assert result.exit_code == 2
    assert "no warehouse here yet; load data first with 'oversight ingest police-uk PATH'" in result.output
