"""The quarterly performance report against the Police and Crime Plan: HTML and tagged PDF.

    report_data(con, quarter)    everything the report shows, read from the measures table
    render_html(report)          one self-contained HTML file (charts are inline SVG images)
    build_report(warehouse, ...) writes the HTML and the PDF/UA-1 PDF and times the build

Figures are read only through `oversight.measures.query` with `public=True`; see docs/report.md.
"""

from oversight.report.build import ReportFiles, build_report
from oversight.report.data import Report, report_data
from oversight.report.quarter import Quarter, resolve_quarter
from oversight.report.render import render_html, write_pdf

__all__ = ["Quarter", "Report", "ReportFiles", "build_report", "render_html", "report_data", "resolve_quarter",
           "write_pdf"]
