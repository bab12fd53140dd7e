"""The neighbourhood confidence comparator on the bundled data: two clicks from the home page and
from the trust dashboard, a borough's page linking to its neighbourhoods, each comparison in
words, and the pages, their twins and /api/v1/neighbourhoods saying the same."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlparse

import duckdb
import pytest
from web.test_pages import parse
from web.webtools import Client

from oversight.warehouse.snapshot import publish_snapshot
from oversight.web import create_app

LIST = "/trust/neighbourhoods/"
BARKING = "/trust/neighbourhoods/KG-KB/"
BARKING_AND_DAGENHAM = "E09000002"


def _follow(client: Client, page: str, text: str) -> str:
    """The path of the first link on `page` whose text is `text`."""
    html = client.get(page).text
    start = html.index(f">{text}</a>")
    href = html[html.rindex('href="', 0, start) + 6:html.index('"', html.rindex('href="', 0, start) + 6)]
    return urlparse(urljoin("http://testserver" + page, href)).path


def test_a_resident_reaches_their_neighbourhood_in_two_clicks_from_home_and_from_trust(client: Client) -> None:
    for start in ("/", "/trust/"):
        first = _follow(client, start, "Neighbourhood confidence comparator" if start == "/" else
                        "Choose a neighbourhood")
        assert first == LIST
        assert _follow(client, first, "Barking") == BARKING
    assert client.get(BARKING).status_code == 200


def test_a_boroughs_trust_page_links_straight_to_its_neighbourhoods(client: Client) -> None:
    page = f"/trust/?area={BARKING_AND_DAGENHAM}"
    html = client.get(page).text
    assert "How each police neighbourhood of Barking and Dagenham compares with similar neighbourhoods" in html
    assert _follow(client, page, "Dagenham") == "/trust/neighbourhoods/KG-KR/"
    listed = client.get(f"{LIST}?area={BARKING_AND_DAGENHAM}").text
    assert "<h2 id=\"chosen-h\">Neighbourhoods of Barking and Dagenham</h2>" in listed


def test_the_list_has_every_neighbourhood_by_borough_and_says_what_the_groups_are_not(client: Client) -> None:
    html = client.get(LIST).text
    links = {h for h in parse(html).hrefs if h.count("/") == 1 and h[:2].isupper() and "-" in h}
    assert len(links) == 106
    assert html.count('id="borough-E09') == 32
    assert "does not say on what basis neighbourhoods were judged similar" in html
    assert "No neighbourhood in the file is in group 3." in html
    assert "not that one causes the other" in html
    assert "Total Notifiable Offences rate" in html and "&#39;N/A&#39; for every one of the 106" in html


def test_a_neighbourhood_page_reads_in_words(client: Client) -> None:
    html = client.get(BARKING).text
    assert "Barking (Barking and Dagenham) is in similarity group 7 with 12 other neighbourhoods." in html
    assert ("Overall confidence: 71% say the police do a good or excellent job here, against a mean of 65.5% in its "
            "group and 67.5% across London; 1st of 13 in its group (no clear difference from its peers).") in html
    assert "Its biggest clear gaps: know how to contact their ward officer (-9.9 points)." in html
    assert "133 respondents assumed; design effect 1 assumed. The source publishes no sample size" in html
    assert "does not say on what basis neighbourhoods were judged similar" in html
    assert 'aria-label="Chart: Every neighbourhood of group 7 on each question.' in html
    assert "Barking and Dagenham (dark, outlined) among the London boroughs." in html
    # the biggest gap is the first row of the table
    table = html[html.index("<tbody>"):html.index("</tbody>")]
    assert table.index("Know how to contact their ward officer") < table.index("The police do a good job")


def test_the_page_its_twins_and_the_api_say_the_same(client: Client) -> None:
    page = client.get(BARKING + "index.json").json()["data"]
    api = client.get("/api/v1/neighbourhoods/KG-KB.json").json()["data"]
    assert [r["sentence"] for r in page["rows"]] == [r["sentence"] for r in api]
    assert len(api) == 18 and api[0]["measure"] == "contact_ward_officer"
    table = list(csv.DictReader(io.StringIO(client.get(BARKING + "index.csv").text)))
    assert [r["sentence"] for r in table] == [r["sentence"] for r in api]
    assert list(table[0])[:4] == ["panel", "panel_title", "measure", "period"]
    api_csv = list(csv.DictReader(io.StringIO(client.get("/api/v1/neighbourhoods/KG-KB.csv").text)))
    assert [float(r["gap"]) for r in api_csv] == [r["gap"] for r in api]
    drivers = client.get("/api/v1/neighbourhoods/drivers.json").json()
    assert drivers["meta"]["caution"] == "correlation across neighbourhoods, not cause and effect"
    listed = client.get(LIST + "index.json").json()["data"]
    assert [d["sentence"] for d in listed["drivers"]] == [d["sentence"] for d in drivers["data"]]
    places = client.get("/api/v1/neighbourhoods.json").json()
    assert places["meta"]["count"] == 106


def test_an_unknown_or_malformed_neighbourhood_is_a_clear_404(client: Client) -> None:
    for path in ("/trust/neighbourhoods/ZZ-ZZ/", "/api/v1/neighbourhoods/ZZ-ZZ.json"):
        response = client.get(path)
        assert response.status_code == 404, path
    body = client.get("/api/v1/neighbourhoods/ZZ-ZZ.json").json()
    assert body["error"]["field"] == "neighbourhood" and "there is no neighbourhood 'ZZ-ZZ'" in body["error"]["reason"]
    assert client.get("/api/v1/neighbourhoods/kg-kb.json").status_code in (404, 422)


@pytest.fixture(scope="module")
def without_comparator(bundled_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """The bundled build without the 2016 neighbourhood table, as a force other than London's has it."""
    path = tmp_path_factory.mktemp("no-comparator") / "warehouse.duckdb"
    shutil.copyfile(bundled_built, path)
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE pas_neighbourhood_2016")
    con.close()
    publish_snapshot(path)
    client = Client(create_app(path, warm=False))
    yield client
    client.close()


def test_without_its_data_the_comparator_says_so_and_nothing_links_to_it(without_comparator: Client) -> None:
    for page in ("/", "/trust/", f"/trust/?area={BARKING_AND_DAGENHAM}"):
        assert "/trust/neighbourhoods/" not in str(parse(without_comparator.get(page).text).hrefs), page
    listed = without_comparator.get(LIST)
    assert listed.status_code == 200 and "is not loaded" in listed.text
    header = next(csv.reader(io.StringIO(without_comparator.get(LIST + "index.csv").text)))
    assert header[:4] == ["panel", "panel_title", "measure", "period"]
    for path in (BARKING, "/api/v1/neighbourhoods/KG-KB.json", "/api/v1/neighbourhoods.json"):
        response = without_comparator.get(path)
        assert response.status_code == 404 and "is not loaded" in response.text, path
