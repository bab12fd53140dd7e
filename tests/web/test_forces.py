"""Stop and search, forces compared: the page, its twins and its API, on every force's 2019-20 data,
and on the bundled London data where there is nothing to compare."""

from __future__ import annotations

import csv
import io
import shutil

import duckdb
import pytest
from conftest import needs_shared
from web.webtools import Client

from oversight.measures.national import compare_forces
from oversight.web import create_app


@pytest.fixture(scope="module")
def national(national_2019_20, tmp_path_factory):
    path = tmp_path_factory.mktemp("forces") / "warehouse.duckdb"
    shutil.copyfile(national_2019_20, path)
    with duckdb.connect(str(path), read_only=True) as con:
        expected = compare_forces(con, group="Black")
    c = Client(create_app(path, warm=False))
    yield c, expected
    c.close()


@needs_shared
def test_the_page_says_the_england_and_wales_figure_and_lists_every_force(national):
    client, expected = national
    html = client.get("/stop-search/forces/").text
    assert "In the financial year 2019-20, Black people were searched at" in html
    assert f"{expected.reference_ratio:.2f} times the rate of White people across the {len(expected.compared)} forces" \
        in html
    for f in expected.compared:
        assert f"<th scope=\"row\">{f.name}</th>" in html.replace("&amp;", "&"), f.name
    assert "Greater Manchester Police</strong>: records are loaded for only 3 of the year&#39;s 12 months" in html
    assert 'id="forces-funnel-chart"' in html


@needs_shared
def test_the_api_gives_every_force_with_its_place_on_the_funnel(national):
    client, expected = national
    body = client.get("/api/v1/forces/stop-search.json").json()
    assert body["meta"]["england_and_wales"] == pytest.approx(expected.reference_ratio)
    assert body["meta"]["period"] == "FY2019-20" and body["meta"]["compared"] == len(expected.compared)
    rows = {r["force"]: r for r in body["data"]}
    assert len(rows) == 44
    for f in expected.compared:
        assert rows[f.force]["ratio"] == pytest.approx(f.ratio), f.force
        assert (rows[f.force]["best_rank"], rows[f.force]["worst_rank"]) == (f.best_rank, f.worst_rank)
        assert rows[f.force]["verdict"] == f.verdict and rows[f.force]["similar"] == list(f.similar)
    assert rows["btp"]["compared"] is False and "no resident population" in rows["btp"]["not_compared"]
    table = list(csv.DictReader(io.StringIO(client.get("/api/v1/forces/stop-search.csv?group=Asian").text)))
    assert len(table) == 44 and all(r["best_rank"] in ("",) or r["best_rank"].isdigit() for r in table)


@needs_shared
def test_a_year_or_group_that_does_not_exist_is_refused_with_the_reason(national):
    client, _ = national
    assert client.get("/api/v1/forces/stop-search.json?group=Purple").status_code == 422
    missing = client.get("/api/v1/forces/stop-search.json?period=2015-16")
    assert missing.status_code == 404 and "2016-03-31" in missing.json()["error"]["reason"]
    assert client.get("/stop-search/forces/?period=2019-01").status_code == 422


def test_with_one_force_there_is_nothing_to_compare_and_the_page_says_so(client):
    html = client.get("/stop-search/forces/").text
    assert "No force has a figure that can be compared" in html
    assert client.get("/api/v1/forces/stop-search.json").json()["meta"]["compared"] == 0
