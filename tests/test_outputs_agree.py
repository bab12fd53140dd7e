"""Every measure reads the same on the web page, in the API, in the report and at the terminal.

For each measure of the catalogue, one real figure of the bundled build (the report's quarter
where the report shows the measure, else the measure's latest force figure) is put through the
presentation layer once (`Figure.of`); the measure's page, the API, the quarterly report and
`oversight measure` must each show that figure with the same words: value or reason, interval,
verdict and change on the year before.
"""

from __future__ import annotations

import html
import re
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner
from web.webtools import Client

from oversight import cli
from oversight.cli import app as cli_app
from oversight.measures.catalogue import load_catalogue
from oversight.measures.periods import period_key
from oversight.measures.query import measure_values
from oversight.present.figure import Figure
from oversight.present.labels import as_date
from oversight.report.data import report_data
from oversight.report.figures import SHOWN, records
from oversight.report.render import render_html
from oversight.stats.compare import NOT_COMPARABLE
from oversight.web import create_app

CATALOGUE = load_catalogue()
QUARTER = "2018-19-Q2"  # a bundled quarter with crime, survey and stop and search figures
FORCE = "metropolitan"


@pytest.fixture(scope="module")
def report(bundled_built: Any) -> tuple[dict[str, Any], str]:
    """The report's figure row for each measure it shows, and the report's HTML."""
    con = duckdb.connect(str(bundled_built), read_only=True)
    try:
        data = report_data(con, QUARTER)
    finally:
        con.close()
    shown = [m for s in data.sections for m in s.shown] + list(data.stop_search.overview)
    rows = {m.measure.id: m.figure for m in shown if m.status == SHOWN and m.figure is not None}
    return rows, render_html(data)


@pytest.fixture
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal wide enough that no cell of `oversight measure` wraps."""
    monkeypatch.setattr(cli.out, "width", 1000)


@pytest.fixture(scope="module")
def web(bundled_built: Any) -> Any:
    client = Client(create_app(bundled_built, warm=False))
    yield client
    client.close()


def _cases(warehouse: Any, measure_id: str, report_row: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Force figures to compare: the report's (else the latest published one), the latest one
    not published, and the latest one 'not comparable' with the year before, where they exist."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        frame = measure_values(con, measure_id, level="force", breakdown=None, public=True, catalogue=CATALOGUE)
    except Exception:  # no figures at force level
        return [report_row] if report_row else []
    finally:
        con.close()
    rows = sorted(records(frame), key=lambda r: r["period_end"], reverse=True)
    kinds = ("fy_quarter", "rolling_12", "month", "financial_year", "calendar_year")
    published = sorted((r for r in rows if r["value"] is not None), key=lambda r: kinds.index(r["period_type"]))
    chosen = [report_row or next(iter(published), None),
              next((r for r in rows if r["suppressed"]), None),
              next((r for r in rows if r["vs_year_before"] == NOT_COMPARABLE and r["value"] is not None), None)]
    unique: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in chosen:
        if r is not None:
            unique.setdefault((r["period_type"], r["period_end"], r["breakdown"]), r)  # the report's row first
    return list(unique.values())


def _cells(page: str, label: str) -> str:
    """The text of the first table row headed `label`."""
    match = re.search(rf'<tr[^>]*>\s*<th scope="row">{re.escape(html.escape(label))}</th>(.*?)</tr>', page, re.S)
    assert match, f"no row {label!r} on the page"
    return _text(match.group(1))


def _text(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).replace("\u00a0", " ").split())


def _report_row(report_html: str, m: Any) -> str:
    """The text of the report's row for the measure's figure of the quarter."""
    block = re.search(rf'<section class="measure" id="m-{m.id}">.*?<tbody>\s*<tr>(.*?)</tr>', report_html, re.S)
    if block:
        return _text(block.group(1))
    name = html.escape(m.title.replace("Stop and search: ", ""))  # the stop and search table's short names
    row = re.search(rf'<tr><th scope="row">{re.escape(name[:1].upper() + name[1:])}</th>(.*?)</tr>', report_html, re.S)
    assert row, f"the report shows {m.id} but no row of it was found"
    return _text(row.group(1))


@pytest.mark.parametrize("measure_id", sorted(CATALOGUE))
def test_page_api_report_and_cli_say_the_same(measure_id: str, bundled_built: Any, report: Any, web: Any,
                                              wide_terminal: None) -> None:
    m = CATALOGUE[measure_id]
    report_rows, report_html = report
    cases = _cases(bundled_built, measure_id, report_rows.get(measure_id))
    if not cases:
        status = web.get(f"/api/v1/measures/{measure_id}.json").json()["data"]
        assert status["status"] != "ok" or "force" not in m.levels, f"{measure_id} has figures but none was found"
        return
    for row in cases:
        figure = Figure.of(m, row)
        assert figure.value, row
        if m.compared_with_year_before and not figure.missing:
            assert figure.comparison, row  # every published figure says how it compares, or why it does not
        key = period_key(row["period_type"], as_date(row["period_end"]))
        query = {"level": "force", "area": row["area_code"], "period": key, "breakdown": row["breakdown"]}

        # The API: the same numbers, and the change beside them (none for a figure not published).
        api = web.get(f"/api/v1/measures/{measure_id}/values.json", params=query).json()["data"]
        assert len(api) == 1, api
        assert api[0]["value"] == (None if row["value"] is None else pytest.approx(row["value"]))
        expected = None if figure.change is None else pytest.approx(figure.change.difference)
        assert api[0]["change"] == expected

        # The measure page: the period's row of its table says the same words.
        page = web.get(f"/measures/{measure_id}/", params={**query, "period_type": row["period_type"]}).text
        cells = _cells(page, api[0]["period"])
        for words in (figure.value, figure.interval, figure.comparison):
            assert " ".join(words.split()) in cells, (words, cells)

        # The terminal.
        result = CliRunner().invoke(cli_app, ["--warehouse", str(bundled_built), "measure", measure_id,
                                              "--level", "force", "--area", row["area_code"], "--period", key,
                                              "--breakdown", row["breakdown"]])
        assert result.exit_code == 0, result.output
        line = " ".join(result.output.split())
        for words in (figure.value, figure.interval, figure.comparison, figure.quality):
            assert " ".join(words.split()) in line, (words, line)

        # The report, on its own row for the measure, where it shows it.
        if report_rows.get(measure_id) is row:
            text = _report_row(report_html, m)
            for words in (figure.value, figure.interval, figure.comparison):
                assert " ".join(words.split()) in text, (words, text)
