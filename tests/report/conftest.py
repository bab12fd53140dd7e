"""A warehouse built from the bundled real data, and reports built from it, shared by the report tests."""

from __future__ import annotations

import pytest
from conftest import REPO

from oversight.report import build_report

REFERENCE = REPO / "data" / "default" / "reference"
# Real quarters of the bundled data: stop and search with crime and survey figures (2018-19 Q2);
# months whose searches mostly lack coordinates (2017-18 Q4); no stop and search (2022-23 Q2).
QUARTERS = ("2018-19-Q2", "2017-18-Q4", "2022-23-Q2")


@pytest.fixture(scope="session")
def bundled_warehouse(bundled_built):
    """Path of a warehouse holding the bundled data and its measures (closed, for read-only use)."""
    return bundled_built


@pytest.fixture(scope="session")
def bundled_reports(bundled_warehouse, tmp_path_factory):
    """quarter key -> ReportFiles, for QUARTERS and the default (latest) quarter under 'latest'."""
    out = tmp_path_factory.mktemp("reports")
    built = {quarter: build_report(bundled_warehouse, quarter, out) for quarter in QUARTERS}
    built["latest"] = build_report(bundled_warehouse, None, out)
    return built
