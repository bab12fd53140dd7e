"""Partner measures render once a partner file is loaded (the illustrative example, in a copy of
the test warehouse only), and `oversight report` prints what it wrote and how long it took."""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import REPO
from typer.testing import CliRunner

from oversight.cli import app
from oversight.measures.catalogue import load_catalogue
from oversight.measures.engine import build
from oversight.report import build_report, report_data
from oversight.report.figures import AWAITING, SHOWN
from oversight.sources.partner import ingest_partner
from oversight.warehouse import connect

EXAMPLE = REPO / "data" / "examples" / "partner_example_ILLUSTRATIVE.csv"


@pytest.fixture(scope="module")
def partner_warehouse(bundled_warehouse, tmp_path_factory):
    """A copy of the bundled warehouse with the illustrative partner file loaded and its measures built."""
    path = tmp_path_factory.mktemp("partner") / "warehouse.duckdb"
    shutil.copy(bundled_warehouse, path)
    con = connect(path)
    assert not ingest_partner(con, [EXAMPLE]).failed
    partner = {m.id: m for m in load_catalogue().values() if m.computation == "partner"}
    assert not build(con, partner).failed
    yield con
    con.close()


# outputs: partner measures

def test_a_loaded_partner_measure_is_reported_with_its_figure(partner_warehouse, tmp_path):
    report = report_data(partner_warehouse, "2023-24-Q4")
    victims = next(m for s in report.sections for m in s.shown if m.measure.id == "victim_satisfaction")
    assert victims.status == SHOWN and victims.figure["value"] == pytest.approx(0.699)
    assert "victim_satisfaction" not in {m.measure.id for m in report.awaiting}
    assert "trust_gap_ethnicity" in {m.measure.id for m in report.awaiting}
    files = build_report(partner_warehouse, "2023-24-Q4", tmp_path)
    assert files.warnings == []
    html = files.html.read_text(encoding="utf-8")
    assert "Victim satisfaction with the police service: 69.9% in 2023-24 Q4" in html
    assert "Rape charges and prosecutions: 240 in 2023-24 Q4" in html


def test_without_a_partner_file_every_partner_measure_awaits_data(bundled_warehouse):
    import duckdb

    con = duckdb.connect(str(bundled_warehouse), read_only=True)
    report = report_data(con, "2018-19-Q2")
    con.close()
    partner = {m.id for m in load_catalogue().values() if m.computation == "partner"}
    assert {m.measure.id for m in report.awaiting} == partner
    assert all(m.status == AWAITING for m in report.awaiting)
    assert [g.status for s in report.sections for g in s.gaps] == [AWAITING]
    assert "cannot be judged this quarter" in report.summary.band[0]


# outputs: the command

def test_report_command_writes_the_files_and_prints_the_build_time(bundled_warehouse, tmp_path):
    result = CliRunner().invoke(app, ["--warehouse", str(bundled_warehouse), "report", "--quarter", "2018-19-Q2",
                                      "--out", str(tmp_path), "--no-pdf"])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())  # the console wraps lines where the path's length puts them
    assert "Report for 2018-19 Q2 (July to September 2018)" in output
    assert re.search(r"built in \d+(\.\d+)? s\b", output), output
    assert (tmp_path / "oversight-report-metropolitan-2018-19-Q2.html").exists()
    assert not (tmp_path / "oversight-report-metropolitan-2018-19-Q2.pdf").exists()


def test_report_command_names_the_quarter_and_range_when_there_are_no_figures(bundled_warehouse, tmp_path):
    result = CliRunner().invoke(app, ["--warehouse", str(bundled_warehouse), "report", "--quarter", "1999-00-Q1",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "no figures for 1999-00 Q1 (April to June 1999)" in result.output
    assert "quarters with figures run from" in result.output
