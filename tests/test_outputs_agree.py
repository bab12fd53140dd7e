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


def _latest_force_row(warehouse: Any, measure_id: str) -> dict[str, Any] | None:
    """The latest published force figure of the measure: for everyone, else for its first group."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        frame = measure_values(con, measure_id, level="force", breakdown=None, public=True, catalogue=CATALOGUE)
    except Exception:  # no figures at force level
        return None
    finally:
        con.close()
    rows = [r for r in records(frame) if r["value"] is not None]
    if not rows:
        return None
    kinds = [k for k in ("fy_quarter", "rolling_12", "month", "financial_year", "calendar_year")
             if any(r["period_type"] == k for r in rows)]
    rows = [r for r in rows if r["period_type"] == kinds[0]]
    breakdown = "all" if any(r["breakdown"] == "all" for r in rows) else sorted({r["breakdown"] for r in rows})[0]
    return max((r for r in rows if r["breakdown"] == breakdown), key=lambda r: r["period_end"])


def _table_row(page: str, label: str) -> str:
    """The HTML of the first table row headed `label`."""
    match = re.search(rf'<tr[^>]*>\s*<th scope="row">{re.escape(html.escape(label))}</th>(.*?)</tr>', page, re.S)
    assert match, f"no row {label!r} on the page"
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))


@pytest.mark.parametrize("measure_id", sorted(CATALOGUE))
def test_page_api_report_and_cli_say_the_same(measure_id: str, bundled_built: Any, report: Any, web: Any,
                                              wide_terminal: None) -> None:
    m = CATALOGUE[measure_id]
    report_rows, report_html = report
    row = report_rows.get(measure_id) or _latest_force_row(bundled_built, measure_id)
    if row is None:
        status = web.get(f"/api/v1/measures/{measure_id}.json").json()["data"]
        assert status["status"] != "ok" or "force" not in m.levels, f"{measure_id} has figures but none was found"
        return
    figure = Figure.of(m, row)
    end = as_date(row["period_end"])
    key = period_key(row["period_type"], end)
    query = {"level": "force", "area": row["area_code"], "period": key, "breakdown": row["breakdown"]}

    # The API: the same numbers, and the change beside them.
    api = web.get(f"/api/v1/measures/{measure_id}/values.json", params=query).json()["data"]
    assert len(api) == 1, api
    assert api[0]["value"] == pytest.approx(row["value"])
    expected_change = None if figure.change is None else figure.change.difference
    assert api[0]["change"] == (pytest.approx(expected_change) if expected_change is not None else None)

    # The measure page: the period's row of its table says the same words.
    page = web.get(f"/measures/{measure_id}/", params={**query, "period_type": row["period_type"]}).text
    cells = _table_row(page, api[0]["period"])
    for words in (figure.value, figure.interval, figure.change_text):
        assert words in cells, (words, cells)

    # The terminal.
    result = CliRunner().invoke(cli_app, ["--warehouse", str(bundled_built), "measure", measure_id, "--level", "force",
                                          "--area", row["area_code"], "--period", key, "--breakdown", row["breakdown"]])
    assert result.exit_code == 0, result.output
    line = " ".join(result.output.split())
    for words in (figure.value, figure.interval, figure.verdict, figure.change_text):
        assert " ".join(words.split()) in line, (words, line)

    # The report, where it shows the measure: the same figure, interval and verdict.
    if measure_id in report_rows:
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", report_html)).replace("\u00a0", " ").split())
        for words in (figure.value, figure.interval, figure.verdict):
            assert " ".join(words.split()) in text, (words,)
