"""Community monitoring packs on the site: the page and its PDF for a real borough and month, the
same figures as the open data API, and pages not found for a borough or month without figures."""

from __future__ import annotations

import re
from pathlib import Path

import pypdf
import pytest
from report.test_report_pdf import structure
from web.webtools import Client

from oversight.pack import pack_data, render_html
from oversight.pack.data import HEADLINE
from oversight.present.words import value_text
from oversight.web.store import Store

PAGE = "/packs/stop-search/lambeth/2018-12/"
CODE = "E09000022"


def test_the_pack_page_and_its_pdf(client: Client) -> None:
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.text
    assert "<h1>Stop and search in Lambeth: community monitoring pack, December 2018</h1>" in html
    assert f'href="{PAGE}pack.pdf"' in html
    assert page.headers["link"] == f"<{PAGE}>; rel=\"canonical\""
    assert 'id="reading"' in html and "How to read this pack" in html
    assert "This public page shows figures only." in html
    assert "@font-face" not in html  # the site's content security policy loads no data: fonts
    assert html.count('class="scroll" role="region" tabindex="0"') == html.count("<caption>") >= 7
    # Other spellings of the borough reach the same pack.
    assert client.get("/packs/stop-search/E09000022/2018-12/").text == html
    pdf = client.get(PAGE + "pack.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert 'filename="oversight-pack-stop-search-lambeth-2018-12.pdf"' in pdf.headers["content-disposition"]


def test_the_pdf_from_the_site_is_tagged(client: Client, tmp_path) -> None:
    path = tmp_path / "pack.pdf"
    path.write_bytes(client.get(PAGE + "pack.pdf").content)
    kinds = [role for role, _ in structure(path)]
    assert kinds[0] == "Document" and kinds.count("H1") == 1 and "Table" in kinds
    assert "How to read this pack" in " ".join(p.extract_text() for p in pypdf.PdfReader(path).pages)


def test_the_page_shows_the_apis_figures(client: Client) -> None:
    """Each figure for everyone in the 'at a glance' table is the API's figure for the same
    borough and period, as the presentation layer words it, in the same row."""
    html = client.get(PAGE).text
    glance = html.split('<section id="glance">')[1].split("</table>")[0]
    rows = {re.sub(r"<[^>]+>", "", r.split("</th>")[0]): r for r in glance.split('<tr><th scope="row">')[1:]}
    checked = 0
    for measure_id in HEADLINE:
        measure = client.get(f"/api/v1/measures/{measure_id}.json").json()["data"]["definition"]
        title = measure["title"].replace("Stop and search: ", "")
        row = rows[title[:1].upper() + title[1:]]
        cells = row.split("<td")[1:]
        for cell, period in zip(cells, ("2018-12", "R12-2018-12"), strict=True):
            answer = client.get(f"/api/v1/measures/{measure_id}/values.json?level=borough&area={CODE}"
                                f"&period={period}")
            if answer.status_code == 404:  # no figure for this period: the page says why, with no number
                assert "no figure" in cell or "published for 12-month periods only" in cell
                continue
            (figure,) = answer.json()["data"]
            shown = value_text(measure["unit"], figure)
            assert shown.replace(" ", "\u00a0") in cell or shown in cell, (measure_id, period, shown)
            checked += 1
    assert checked >= 11


@pytest.mark.parametrize(("path", "status", "words"), [
    ("/packs/stop-search/atlantis/2018-12/", 404, "No borough &#39;atlantis&#39; with stop and search figures"),
    ("/packs/stop-search/lambeth/2019-05/", 404, "No stop and search figures for Lambeth in May 2019; months with "
                                                 "figures run from January 2018 to December 2018"),
    ("/packs/stop-search/lambeth/2019-05/pack.pdf", 404, "No stop and search figures for Lambeth in May 2019"),
    ("/packs/stop-search/lambeth/2018-13/", 422, "is not a month; write it as YYYY-MM"),
])
def test_a_borough_or_month_without_figures_is_not_found(client: Client, path: str, status: int, words: str) -> None:
    page = client.get(path)
    assert page.status_code == status
    assert words in page.text


@pytest.mark.parametrize("month", ["2018-04", "2018-12"])
def test_the_site_draws_the_same_pack_as_the_command_line(web_warehouse: Path, month: str) -> None:
    """The site cuts the pack's figures from the borough's, read once (`Store.values`); the
    command line asks the query layer for each: the two packs are the same, to the last figure."""
    store = Store(web_warehouse)
    try:
        with store.serving(), store.connection() as con:
            cli = pack_data(con, CODE, month, store.catalogue)
            site = pack_data(con, CODE, month, store.catalogue, figures=store.values)
    finally:
        store.close()
    assert site == cli
    assert render_html(site, web=True) == render_html(cli, web=True)
    assert any(line.month for line in cli.lines) and cli.groups and cli.charts
