"""Static files: linked at their version, compressed once, cached for a year at that version and
revalidated through an ETag otherwise; and the chart library holds every trace the pages draw."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from web.webtools import Client

from oversight.measures.catalogue import load_catalogue
from oversight.web.assets import CHART_LIBRARY, CHART_TRACES, STATIC, YEAR
from oversight.web.pages import PAGES

GZIP = {"Accept-Encoding": "gzip"}
LINKED = ("site.css", "site.js", "plotly.min.js")


def linked(client: Client, page: str = "/crime/") -> dict[str, str]:
    """Each static file a page links, by name: its address as linked (relative to the page)."""
    html = client.get(page).text
    found = dict(re.findall(r'"(?:\.\./)*static/([\w.-]+)(\?v=[0-9a-f]+)"', html))
    return {name: f"/static/{name}{query}" for name, query in found.items()}


@pytest.mark.parametrize("name", LINKED)
def test_a_page_links_each_asset_at_its_version_which_is_cached_for_a_year(client: Client, name: str) -> None:
    address = linked(client)[name]
    raw = (STATIC / name).read_bytes()
    assert address.endswith("?v=" + hashlib.sha256(raw).hexdigest()[:12])
    packed = client.get(address, headers=GZIP)
    assert packed.status_code == 200
    assert packed.headers["cache-control"] == YEAR == "public, max-age=31536000, immutable"
    assert packed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in packed.headers["vary"].lower()
    assert packed.content == raw
    assert packed.num_bytes_downloaded < len(raw) / 1.8  # site.js: 1,345 bytes to 660; the rest to under 0.3
    assert packed.headers["etag"] and packed.headers["last-modified"].endswith("GMT")


def test_an_asset_without_its_version_is_revalidated_and_a_current_copy_gets_304(client: Client) -> None:
    for address in ("/static/site.css", "/static/site.css?v=0123456789ab"):  # none, or an old release's
        answer = client.get(address, headers=GZIP)
        assert answer.status_code == 200 and answer.headers["cache-control"] == "no-cache"
        again = client.get(address, headers={**GZIP, "If-None-Match": answer.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == answer.headers["etag"]
    changed = client.get("/static/site.css", headers={"If-None-Match": '"0123456789ab"'})
    assert changed.status_code == 200 and changed.content == (STATIC / "site.css").read_bytes()


@pytest.mark.parametrize("address", ["/static/nothing.js", "/static/../app.py", "/static/%2e%2e/app.py",
                                     "/static/swagger-ui/../../pyproject.toml", "/static/swagger-ui/other.js"])
def test_only_the_static_files_are_served(client: Client, address: str) -> None:
    assert client.get(address).status_code == 404


def test_a_small_asset_is_sent_as_it_is(client: Client) -> None:
    answer = client.get("/static/api-docs.js", headers=GZIP)
    assert answer.status_code == 200 and "content-encoding" not in answer.headers
    assert answer.content == (STATIC / "api-docs.js").read_bytes()


def test_the_swagger_page_links_its_files_at_their_version(client: Client) -> None:
    html = client.get("/docs").text
    for address in re.findall(r'"(/static/[^"]+)"', html):
        assert "?v=" in address
        assert client.get(address).headers["cache-control"] == YEAR


# the chart library -------------------------------------------------------------------------


def bundle_traces() -> set[str]:
    """The trace types registered in the chart library bundle, read from its source."""
    text = (STATIC / CHART_LIBRARY).read_text(encoding="utf-8")
    return set(re.findall(r'moduleType:"trace",name:"(\w+)"', text))


def test_the_bundle_is_the_pinned_basic_plotly_js_with_its_licence() -> None:
    head = (STATIC / CHART_LIBRARY).read_text(encoding="utf-8")[:200]
    assert "plotly.js (basic - minified) v4.1.1" in head  # as the Makefile's plotly-bundle pins it
    assert "Plotly" in (STATIC / "plotly.js-LICENSE.txt").read_text(encoding="utf-8")
    assert bundle_traces() == CHART_TRACES
    assert (STATIC / CHART_LIBRARY).stat().st_size < 1_500_000  # the full library is 4.8 MB


def chart_specs(client: Client, page: str) -> list[dict[str, object]]:
    html = client.get(page).text
    blocks = re.findall(r'<script type="application/json" id="[^"]+">(.*?)</script>', html, flags=re.S)
    return [json.loads(b) for b in blocks]


def test_every_trace_the_pages_draw_is_in_the_bundle(client: Client) -> None:
    """A chart of a new trace type would draw nothing with the cut-down bundle: every page's charts
    are read here, so such a chart fails this test instead."""
    pages = [*PAGES, *(f"/measures/{m}/" for m in load_catalogue()), "/trust/neighbourhoods/KG-KB/",
             "/stop-search/?level=borough&area=E09000022", "/crime/?level=ward&area=E05000425"]
    used: dict[str, str] = {}
    charts = 0
    for page in pages:
        for spec in chart_specs(client, page):
            charts += 1
            for trace in spec["data"]:  # type: ignore[attr-defined]
                used.setdefault(trace.get("type", "scatter"), page)
    assert charts > 50
    missing = {kind: page for kind, page in used.items() if kind not in bundle_traces()}
    assert not missing, f"trace types drawn but not in {CHART_LIBRARY}: {missing}"
    assert {"scatter", "bar"} <= set(used)


def test_the_charts_code_names_only_traces_in_the_bundle() -> None:
    """The same for charts no page of the bundled data draws: every trace type written in charts.py."""
    source = (Path(__file__).resolve().parents[2] / "src" / "oversight" / "web" / "charts.py").read_text()
    kinds = set(re.findall(r'"type": "(\w+)", "(?:x|mode|orientation)"', source))
    assert kinds and kinds <= CHART_TRACES, kinds
