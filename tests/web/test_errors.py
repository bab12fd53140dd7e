"""Bad addresses get a helpful 404 or 422 page (JSON under /api), never a 500; every response
carries the security headers."""

from __future__ import annotations

import pytest
from web.webtools import Client, assert_api_error

from oversight.measures.periods import FIRST_YEAR, LAST_YEAR

# inputs: unknown or malformed filters on pages ---------------------------------------------------


@pytest.mark.parametrize(("url", "status", "words"), [
    ("/measures/no_such_measure/", 404, "no measure 'no_such_measure'"),
    ("/crime/?area=E09999999", 404, "no figures for an area 'E09999999'"),
    ("/crime/?area=E09000022&level=ward", 404, "at level 'ward'"),
    ("/crime/?period=R12-1990-01", 404, "no figures for the period"),
    ("/crime/?period=2024-1x", 422, "is not a period"),
    ("/crime/?period=FY2022-24", 422, "two consecutive years"),
    ("/crime/?level=county", 422, "is not an area level"),
    ("/crime/?area=%3Cscript%3E", 422, "an area is a code"),
    ("/crime/?breakdown=major%3DNO+SUCH+TYPE", 404, "has no breakdown"),
    ("/crime/?breakdown=%3Cb%3E", 422, "a breakdown is"),
    ("/trust/?area=E05009317", 404, "this page shows"),
    ("/measures/trust_mps/?area=AS", 404, "is a bcu"),
    ("/no/such/page", 404, "no page here"),
])
def test_a_bad_address_gets_a_helpful_html_page(client: Client, url: str, status: int, words: str) -> None:
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    assert words.lower() in response.text.replace("&#39;", "'").lower()
    assert "the overview" in response.text  # and a way on
    assert "<script>" not in response.text


def test_a_bad_address_never_echoes_markup(client: Client) -> None:
    response = client.get("/no/<b>such</b>")
    assert "<b>such</b>" not in response.text


@pytest.mark.parametrize("query", [
    "area=", "period=", "area=%00", "period=%F0%9F%92%A9", "level=ward&area=E05000000", "breakdown=all",
    "area=x" * 30, "period=" + "9" * 200, "unknown=1", "area=metropolitan&period=R12-2022-07",
])
def test_odd_query_strings_never_cause_a_server_error(client: Client, query: str) -> None:
    for path in ("/", "/crime/", "/trust/", "/stop-search/", "/hate-crime-vawg/", "/measures/stop_search_volume/"):
        response = client.get(f"{path}?{query}")
        assert response.status_code in (200, 404, 422), (path, query, response.status_code)


# outputs: the API answers errors in its envelope ---------------------------------------------------


@pytest.mark.parametrize(("url", "status", "field"), [
    ("/api/v1/measures/no_such_measure.json", 404, "measure"),
    ("/api/v1/measures/no_such_measure/values.json", 404, "measure"),
    ("/api/v1/measures/trust_mps/values.json?area=E09999999", 404, "area"),
    ("/api/v1/measures/trust_mps/values.json?period=R12-1990-01", 404, "period"),
    ("/api/v1/measures/trust_mps/values.json?period=nonsense", 422, "period"),
    ("/api/v1/measures/trust_mps/values.json?level=ward", 422, "level"),
    ("/api/v1/measures/trust_mps/values.json?level=county", 422, "level"),
    ("/api/v1/measures/trust_mps/values.json?period_type=month", 422, "period_type"),
    ("/api/v1/measures/trust_mps/values.json?limit=0", 422, "limit"),
    ("/api/v1/measures/trust_mps/values.xml", 404, "fmt"),
    ("/api/v1/measures/stop_search_volume/values.json?breakdown=nope%3Dx", 404, "breakdown"),
    ("/api/v1/measures/BAD-ID/values.json", 404, "measure_id"),
    ("/api/v1/boundaries/county.geojson", 404, "level"),
    ("/api/v1/nothing-here", 404, None),
    ("/crime/index.json?area=E09999999", 404, "area"),
])
def test_api_errors_use_the_error_envelope(client: Client, url: str, status: int, field: str | None) -> None:
    assert_api_error(client.get(url), status, field)


# outputs: headers --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/crime/", "/api/v1/measures.json", "/static/site.css", "/no/such/page",
                                  "/static/plotly.min.js"])
def test_every_response_carries_the_security_headers(client: Client, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-eval" not in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["x-frame-options"] == "DENY"


def test_pages_have_no_inline_script_that_would_need_unsafe_inline(client: Client) -> None:
    html = client.get("/crime/").text
    for block in html.split("<script")[1:]:
        tag = block.split(">", 1)[0]
        assert "src=" in tag or 'type="application/json"' in tag, tag


# inputs: periods at the edge of the calendar (#6) ------------------------------------------------

EDGE_PERIODS = ["0000", "0000-01", "9999-12", "R12-9999-12", "FY9999-00", "0000-01-Q1", "9999-00-Q4"]
PAGES_WITH_PERIODS = ["/", "/crime/", "/trust/", "/stop-search/", "/hate-crime-vawg/", "/measures/stop_search_volume/"]


@pytest.mark.parametrize("period", EDGE_PERIODS)
def test_a_period_at_the_edge_of_the_calendar_is_not_found_on_every_page(client: Client, period: str) -> None:
    for path in PAGES_WITH_PERIODS:
        page = client.get(f"{path}?period={period}")
        assert page.status_code == 404, (path, period, page.status_code)
        assert f"{FIRST_YEAR} to {LAST_YEAR}" in page.text
        for twin in ("index.json", "index.csv"):
            assert_api_error(client.get(f"{path}{twin}?period={period}"), 404, "period")


@pytest.mark.parametrize("period", EDGE_PERIODS)
def test_a_period_at_the_edge_of_the_calendar_is_not_found_in_the_api(client: Client, period: str) -> None:
    for fmt in ("json", "csv"):
        url = f"/api/v1/measures/stop_search_volume/values.{fmt}?period={period}"
        assert_api_error(client.get(url), 404, "period")
