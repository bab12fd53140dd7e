"""`build_report`: the report for a quarter, written as HTML and as a tagged PDF, timed."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from oversight.report.data import report_data
from oversight.report.quarter import Quarter
from oversight.report.render import render_html, write_pdf
from oversight.warehouse import connect


@dataclass(frozen=True)
class ReportFiles:
    """What `build_report` wrote and how long it took."""

    quarter: Quarter
    html: Path
    pdf: Path | None
    pages: int
    charts: int
    seconds: float
    warnings: list[str] = field(default_factory=list)


def build_report(
    warehouse: str | os.PathLike[str] | duckdb.DuckDBPyConnection,
    quarter: str | None = None,
    out: str | os.PathLike[str] = "reports",
    *,
    force: str | None = None,
    pdf: bool = True,
) -> ReportFiles:
    """Write `oversight-report-<force>-<quarter>.html` (and `.pdf`) into `out`.

    `warehouse` is a warehouse file (opened read-only) or an open connection; `quarter` is a
    financial-year quarter such as '2022-23-Q2', by default the latest with figures. Raises
    `OversightError` naming the quarter and the quarters available when it has no figures."""
    started = time.perf_counter()
    if isinstance(warehouse, duckdb.DuckDBPyConnection):
        report = report_data(warehouse, quarter, force)
    else:
        con = connect(warehouse, read_only=True)
        try:
            report = report_data(con, quarter, force)
        finally:
            con.close()
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"oversight-report-{report.force}-{report.quarter.key}"
    html = render_html(report)
    html_path = folder / f"{stem}.html"
    html_path.write_text(html, encoding="utf-8")
    pages, pdf_path = 0, None
    warnings: list[str] = []
    if pdf:
        pdf_path = folder / f"{stem}.pdf"
        pages, warnings = write_pdf(html, pdf_path)
    return ReportFiles(report.quarter, html_path, pdf_path, pages, len(report.charts),
                       time.perf_counter() - started, warnings)
