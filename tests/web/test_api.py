"""The open data API: one envelope, filters that filter, CSV and JSON that agree, public figures
only, and an OpenAPI description."""

from __future__ import annotations

import csv
import io
import re

import duckdb
import pytest
from web.webtools import Client

from oversight.measures.catalogue import load_catalogue
from oversight.measures.query import OUTPUT_COLUMNS, measure_values
from oversight.present.words import CHANGE_COLUMNS

CATALOGUE = load_catalogue()
BOROUGH = "E09000022"


# outputs: the envelope ---------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/api/v1/", "/api/v1/measures.json", "/api/v1/measures/trust_mps.json", "/api/v1/measures/trust_mps/values.json",
    "/api/v1/areas.json", "/api/v1/health.json", "/api/v1/health/reference.json", "/api/v1/trust-gap.json",
    "/index.json", "/crime/index.json",
])
def test_success_responses_use_the_envelope(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"ok", "data", "meta"}
    assert body["ok"] is True
    assert body["meta"]["licence"] == "Open Government Licence v3.0"


def test_the_catalogue_lists_every_measure_with_its_status(client: Client) -> None:
    data = client.get("/api/v1/measures.json").json()["data"]
    assert {r["measure"] for r in data} == set(CATALOGUE)
    assert {r["status"] for r in data} <= {"ok", "awaiting data", "not built"}
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/measures.csv").text)))
    assert [r["measure"] for r in rows] == [r["measure"] for r in data]


def test_a_measure_lists_its_definition_periods_and_breakdowns(client: Client) -> None:
    data = client.get("/api/v1/measures/stop_search_volume.json").json()["data"]
    assert data["definition"]["id"] == "stop_search_volume"
    assert data["definition"]["unit"] == "count"
    assert "all" in data["breakdowns"] and any(b.startswith("self_defined_group=") for b in data["breakdowns"])
    assert {p["type"] for p in data["periods"]} <= set(CATALOGUE["stop_search_volume"].periods)


# inputs: filters -------------------------------------------------------------------------


def test_values_are_filtered_by_level_area_period_and_breakdown(client: Client) -> None:
    base = "/api/v1/measures/stop_search_volume/values.json"
    rows = client.get(f"{base}?level=borough&area={BOROUGH}&period_type=month").json()["data"]
    assert rows and {(r["area_level"], r["area_code"], r["period_type"], r["breakdown"]) for r in rows} == {
        ("borough", BOROUGH, "month", "all")}
    one = client.get(f"{base}?area={BOROUGH}&period={rows[-1]['period_key']}&breakdown=*").json()["data"]
    assert len({r["breakdown"] for r in one}) > 1
    assert {r["period_key"] for r in one} == {rows[-1]["period_key"]}


def test_a_financial_year_labelled_as_a_month_is_found_by_its_type(client: Client) -> None:
    """'2011-12' is both December 2011 and the financial year 2011-12; period_type says which."""
    base = "/api/v1/measures/homicides/values.json?level=force"
    year = client.get(f"{base}&period=2011-12&period_type=financial_year").json()["data"]
    month = client.get(f"{base}&period=2011-12").json()["data"]
    assert year and {(r["period_type"], r["period_end"], r["period"]) for r in year} == {
        ("financial_year", "2012-03-31", "2011-12")}
    assert month and {(r["period_type"], r["period_end"], r["period"]) for r in month} == {
        ("month", "2011-12-31", "2011-12")}


def test_values_match_the_query_layer_with_suppressed_figures_blank(client: Client, web_warehouse) -> None:
    api = client.get("/api/v1/measures/stop_search_volume/values.json?level=borough&period_type=fy_quarter&breakdown=*")
    rows = api.json()["data"]
    with duckdb.connect(str(web_warehouse), read_only=True) as con:
        frame = measure_values(con, "stop_search_volume", level="borough", period_type="fy_quarter", breakdown=None)
    assert len(rows) == len(frame)
    by_key = {(r["area_code"], r["period_key"], r["breakdown"]): r for r in rows}
    suppressed = frame[frame["suppressed"]]
    assert not suppressed.empty, "the bundled data should have small figures to suppress"
    for row in suppressed.itertuples():
        published = [r for (code, _, b), r in by_key.items() if code == row.area_code and b == row.breakdown
                     and r["period_end"] == f"{row.period_end:%Y-%m-%d}"]
        assert published and published[0]["value"] is None and published[0]["suppression_reason"]
    shown = frame[~frame["suppressed"] & frame["value"].notna()].iloc[0]  # not-recorded figures are NULL too
    match = [r for r in rows if r["area_code"] == shown.area_code and r["breakdown"] == shown.breakdown
             and r["period_end"] == f"{shown.period_end:%Y-%m-%d}"]
    assert match[0]["value"] == pytest.approx(shown.value)


def test_csv_and_json_give_the_same_rows(client: Client) -> None:
    query = f"?area={BOROUGH}&period_type=rolling_12"
    rows = client.get(f"/api/v1/measures/trust_mps/values.json{query}").json()["data"]
    table = list(csv.DictReader(io.StringIO(client.get(f"/api/v1/measures/trust_mps/values.csv{query}").text)))
    assert len(table) == len(rows)
    assert list(table[0]) == [*OUTPUT_COLUMNS, *CHANGE_COLUMNS, "period_key", "area_name"]
    for a, b in zip(rows, table, strict=False):
        assert float(b["value"]) == pytest.approx(a["value"])
        assert b["area_name"] == "Lambeth"


def test_paging_with_limit_and_offset(client: Client) -> None:
    url = "/api/v1/measures/stop_search_volume/values.json?level=borough&period_type=month"
    whole = client.get(url).json()
    first = client.get(url + "&limit=10").json()
    second = client.get(url + "&limit=10&offset=10").json()
    assert first["meta"]["total"] == whole["meta"]["total"] and first["meta"]["next_offset"] == 10
    assert first["data"] + second["data"] == whole["data"][:20]


def test_a_derived_measure_defaults_to_every_group(client: Client) -> None:
    rows = client.get("/api/v1/measures/stop_search_rate_ratio/values.json?level=force").json()["data"]
    assert rows and all(r["breakdown"].startswith("self_defined_group=") for r in rows)


def test_areas_have_names_and_boundaries_when_loaded(client: Client) -> None:
    areas = client.get("/api/v1/areas.json?level=borough").json()["data"]
    lambeth = next(a for a in areas if a["code"] == BOROUGH)
    assert lambeth["name"] == "Lambeth" and lambeth["boundary"] is True
    geo = client.get("/api/v1/boundaries/borough.geojson")
    assert geo.headers["content-type"] == "application/geo+json"
    assert geo.json()["type"] == "FeatureCollection"


def test_health_lists_months_and_reference_datasets(client: Client) -> None:
    months = client.get("/api/v1/health.json").json()
    assert months["data"] and {"dataset", "force", "month", "status"} <= set(months["data"][0])
    reference = client.get("/api/v1/health/reference.json").json()
    assert "problem" in reference["meta"] or reference["data"]


def test_the_openapi_description_covers_every_api_route(client: Client, app) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    paths = set(spec["paths"])
    api_routes = {r.path for r in app.routes
                  if getattr(r, "path", "").startswith("/api/v1/") and r.path != "/api/v1/openapi.json"}
    assert api_routes <= paths
    values = spec["paths"]["/api/v1/measures/{measure_id}/values.{fmt}"]["get"]
    assert {p["name"] for p in values["parameters"]} >= {"level", "area", "period", "period_type", "breakdown"}
    assert all(p.get("description") for p in values["parameters"])


def test_the_api_page_documents_every_endpoint(client: Client) -> None:
    html = client.get("/api/").text
    for path in client.get("/api/v1/openapi.json").json()["paths"]:
        assert path in html


def test_every_api_route_is_documented_in_docs_web(app) -> None:
    from web.webtools import REPO

    page = (REPO / "docs" / "web.md").read_text(encoding="utf-8")
    for route in app.routes:
        path = getattr(route, "path", "")
        if path.startswith("/api/v1/"):
            documented = path.replace("{fmt}", "{json,csv}")
            assert f"`GET {documented}`" in page, f"{path} is not in docs/web.md"


def test_a_query_too_big_to_read_at_once_is_refused_with_a_hint(client: Client) -> None:
    from web.webtools import assert_api_error

    body = assert_api_error(client.get("/api/v1/measures/total_recorded_crime/values.json?breakdown=*"), 422)
    assert "narrow it with level, area, period_type or breakdown" in body["error"]["reason"]
    assert client.get("/api/v1/measures/total_recorded_crime/values.json?level=force&breakdown=*").status_code == 200


# outputs: the OpenAPI description and the interactive API page (#12) -------------------------------


def test_the_openapi_description_is_served_at_the_root_too(client: Client) -> None:
    spec = client.get("/openapi.json")
    assert spec.status_code == 200 and spec.headers["content-type"].startswith("application/json")
    assert spec.json() == client.get("/api/v1/openapi.json").json()


def test_the_openapi_description_gives_every_content_type_and_error_status(client: Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/measures.{fmt}", "/api/v1/measures/{measure_id}/values.{fmt}", "/api/v1/areas.{fmt}",
                 "/api/v1/health.{fmt}", "/api/v1/health/reference.{fmt}", "/api/v1/trust-gap.{fmt}"):
        assert set(paths[path]["get"]["responses"]["200"]["content"]) == {"application/json", "text/csv"}, path
    assert set(paths["/api/v1/boundaries/{level}.geojson"]["get"]["responses"]["200"]["content"]) == {
        "application/geo+json"}
    for path, methods in paths.items():
        responses = methods["get"]["responses"]
        assert {"404", "422", "503"} <= set(responses), path
        error = responses["404"]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/ErrorEnvelope"}, path


def test_the_interactive_api_page_works_offline_from_packaged_files(client: Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page.text)
    styles = re.findall(r'<link[^>]*href="([^"]+\.css(?:\?v=[0-9a-f]+)?)"', page.text)
    assert scripts and styles
    for url in [*scripts, *styles]:
        assert url.startswith("/static/"), url  # served by the site, never a CDN
        asset = client.get(url)
        assert asset.status_code == 200 and asset.content, url
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", page.text))  # the CSP allows no inline script
    assert 'data-openapi="/openapi.json"' in page.text


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_a_method_not_allowed_says_which_are(client: Client, method: str) -> None:
    from web.webtools import assert_api_error

    response = client.request(method, "/api/v1/measures.json")
    assert_api_error(response, 405)
    assert response.headers["allow"] == "GET"


def test_the_trust_gap_is_served_as_built_with_every_column(client: Client, web_warehouse) -> None:
    import duckdb

    con = duckdb.connect(str(web_warehouse), read_only=True)
    try:
        built = con.execute("SELECT count(*), count(value) FROM trust_gap").fetchone()
        force = con.execute("SELECT question, breakdown, value, vs_band FROM trust_gap WHERE area_level = 'force' "
                            "ORDER BY 1, 2").fetchall()
    finally:
        con.close()
    assert built == (1160, 1040)  # 14 neighbourhoods (and so Richmond upon Thames) are blank in the source
    body = client.get("/api/v1/trust-gap.json").json()
    assert body["meta"]["count"] == 1160 and "assumed" in body["meta"]["sample_size"]
    served = sorted((r["question"], r["breakdown"], r["value"], r["vs_band"])
                    for r in client.get("/api/v1/trust-gap.json?level=force").json()["data"])
    assert served == [tuple(r) for r in force]
    csv_rows = client.get("/api/v1/trust-gap.csv?level=borough").text.strip().splitlines()
    assert len(csv_rows) == 1 + 32 * 4 * 2
    assert {"p_below", "p_above", "verdict_holds_to", "sample_size_assumed"} <= set(csv_rows[0].split(","))
