"""Pages over HTTP, in-process: every page renders, keeps its filters in the URL, has a JSON and
a CSV twin that agree with it, and every link on it leads somewhere."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
from web.webtools import Client

from oversight.measures.catalogue import load_catalogue
from oversight.present.words import value_text
from oversight.web.pages import PAGES

CATALOGUE = load_catalogue()
SECTION_PAGES = ["/", "/crime/", "/trust/", "/stop-search/", "/hate-crime-vawg/"]
ALL_PAGES = [*PAGES, *(f"/measures/{m}/" for m in CATALOGUE), "/api/"]
BOROUGH = "E09000022"  # Lambeth


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("a", "link") and values.get("href"):
            self.hrefs.append(str(values["href"]))
        if tag == "script" and values.get("src"):
            self.hrefs.append(str(values["src"]))
        if values.get("id"):
            self.ids.add(str(values["id"]))


def parse(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


# outputs: every page ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_PAGES)
def test_every_page_renders_with_one_h1_and_the_skip_link(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert html.count("<h1") == 1
    assert 'href="#main"' in html and 'id="main"' in html
    assert '<html lang="en-GB">' in html


@pytest.mark.parametrize("path", [p for p in ALL_PAGES if p != "/api/"])
def test_every_page_links_to_its_json_and_csv_twins(client: Client, path: str) -> None:
    response = client.get(path)
    assert 'rel="alternate"; type="application/json"' in response.headers["link"]
    hrefs = parse(response.text).hrefs
    assert any(h.startswith("index.json") for h in hrefs)
    assert any(h.startswith("index.csv") for h in hrefs)
    twin = client.get(path + "index.json")
    assert twin.status_code == 200
    body = twin.json()
    assert body["ok"] is True and body["data"]["path"] == path
    table = client.get(path + "index.csv")
    assert table.status_code == 200
    assert table.headers["content-type"].startswith("text/csv")
    header = next(csv.reader(io.StringIO(table.text)))
    assert header[:4] == ["panel", "panel_title", "measure", "period"]


def _figures(data: dict) -> list[tuple[str, dict]]:
    """(unit, row) for every figure a page's JSON says it shows."""
    found = []
    for section in data["sections"]:
        for panel in section["panels"]:
            unit = panel.get("measure", {}).get("unit")
            if panel["kind"] == "figures":
                found += [(r["unit"], r) for r in panel["rows"]]
            elif panel["kind"] in ("series", "groups", "areas") and unit:
                found += [(unit, r) for r in panel["rows"]]
            elif panel["kind"] == "compare":
                units = {c["id"]: c["unit"] for c in panel["columns"]}
                found += [(units[mid], cell) for row in panel["rows"] for mid, cell in row["cells"].items() if cell]
    return found


@pytest.mark.parametrize("path", [*SECTION_PAGES[1:], "/measures/stop_search_volume/", "/measures/trust_mps/",
                                  "/measures/stop_search_rate_ratio/", "/measures/mopac7_crimes/"])
def test_numbers_on_the_page_are_the_numbers_in_its_json(client: Client, path: str) -> None:
    html = client.get(path).text
    figures = _figures(client.get(path + "index.json").json()["data"])
    assert figures, "the page shows no figures"
    for unit, row in figures:
        if row.get("suppressed"):
            assert row["value"] is None  # public pages never carry a suppressed value
            continue
        assert value_text(unit, row) in html, (unit, row["period"], row["area_code"], row["value"])


def test_the_overview_shows_each_headline_measure_with_its_reading(client: Client) -> None:
    data = client.get("/index.json").json()["data"]
    html = client.get("/").text
    cards = [c for s in data["sections"] for c in s["panels"]]
    headline = {m.id for m in CATALOGUE.values() if m.headline}
    assert {c["measure"]["id"] for c in cards} == headline
    assert len(data["sections"]) == 4  # the four priorities of the Plan
    for card in cards:
        if card["state"] == "ok" and "row" in card:
            assert value_text(card["measure"]["unit"], card["row"]) in html
            assert card["reading"] in html
        elif card["state"] != "ok":
            assert card["message"] in html


def test_the_overview_without_a_period_says_each_card_has_its_own(client: Client) -> None:
    """With no period chosen each card shows its measure's newest figure, a quarter for one and
    12 months for another: the page must not say they all cover the same span."""
    data = client.get("/index.json").json()["data"]
    html = client.get("/").text
    shown = {c["period_label"] for s in data["sections"] for c in s["panels"] if c.get("period_label")}
    assert len(shown) > 1
    assert "the latest figures of each measure; each card names its period." in html
    assert "the latest 12 months of each measure" not in html
    for label in shown:
        assert label in html


def test_spc_readings_have_a_shape_and_words_not_colour_alone(client: Client) -> None:
    html = client.get("/").text
    badges = re.findall(r'<span class="badge [^"]+"><span class="shape" aria-hidden="true">(.)</span> '
                        r'([^<]+)</span>', html)
    assert badges
    for shape, words in badges:
        assert shape.strip() and len(words) > 10


# inputs: filters in the URL ---------------------------------------------------------------


def test_picking_a_borough_is_kept_in_the_url_and_shown(client: Client) -> None:
    html = client.get(f"/?area={BOROUGH}").text
    assert "Showing <strong>Lambeth</strong>" in html
    assert f'<option value="{BOROUGH}" selected>' in html
    data = client.get(f"/index.json?area={BOROUGH}").json()["data"]
    assert data["filters"]["area"] == BOROUGH and data["filters"]["level"] == "borough"


def test_a_period_in_the_url_is_the_period_shown(client: Client) -> None:
    periods = client.get("/api/v1/measures/total_recorded_crime.json").json()["data"]["periods"]
    older = [p["key"] for p in periods if p["type"] == "rolling_12"][12]
    data = client.get(f"/crime/index.json?area={BOROUGH}&period={older}").json()["data"]
    assert data["period"]["key"] == older
    figures = next(p for s in data["sections"] for p in s["panels"] if p["kind"] == "figures")
    assert all(r["period_key"] == older for r in figures["rows"] if not r["not_selected"])


def test_a_period_written_another_way_means_the_same_period(client: Client) -> None:
    a = client.get("/crime/index.json?period=FY2022-23").json()["data"]["period"]
    b = client.get("/crime/index.json?period=2022/23").json()["data"]["period"]
    assert a == b and a["key"] == "FY2022-23"


def test_the_crime_type_filter_changes_the_series(client: Client) -> None:
    data = client.get("/crime/index.json?breakdown=major%3DROBBERY").json()["data"]
    series = data["sections"][0]["panels"][0]
    assert series["breakdown"] == "major=ROBBERY"
    assert all(r["breakdown"] == "major=ROBBERY" for r in series["rows"])


def test_links_between_areas_keep_the_filters(client: Client) -> None:
    html = client.get(f"/crime/?area={BOROUGH}").text
    area_links = [h for h in parse(html).hrefs if "area=" in h and h.startswith("./?")]
    assert area_links
    assert all("period=" in h for h in area_links)


class AreaMenu(HTMLParser):
    """The area menu of a filter form: its option groups in order, each with its (code, name) options."""

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[tuple[str, list[tuple[str, str]]]] = []
        self._in_menu = False
        self._option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "select":
            self._in_menu = values.get("id") == "filter-area"
        elif self._in_menu and tag == "optgroup":
            self.groups.append((str(values["label"]), []))
        elif self._in_menu and tag == "option":
            self._option = str(values["value"])

    def handle_data(self, data: str) -> None:
        if self._option is not None and data.strip():
            self.groups[-1][1].append((self._option, data.strip()))
            self._option = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._in_menu = False


def area_menu(html: str) -> list[tuple[str, list[tuple[str, str]]]]:
    parser = AreaMenu()
    parser.feed(html)
    return parser.groups


def test_asking_for_wards_lists_wards(client: Client) -> None:
    assert not any(label.startswith("Wards") for label, _ in area_menu(client.get("/crime/").text))
    assert any(label.startswith("Wards in ") for label, _ in area_menu(client.get("/crime/?level=ward").text))


def test_wards_are_offered_once_each_under_their_borough(client: Client) -> None:
    areas = client.get("/api/v1/areas.json").json()["data"]
    boroughs = {a["code"]: a["name"] for a in areas if a["level"] == "borough"}
    wards = {a["code"]: a for a in areas if a["level"] == "ward"}
    groups = area_menu(client.get("/measures/total_recorded_crime/?level=ward").text)
    ward_groups = [(label, items) for label, items in groups if label.startswith("Wards in ")]
    # Boroughs in alphabetical order, each with its wards in alphabetical order.
    labels = [label.removeprefix("Wards in ") for label, _ in ward_groups]
    assert labels == sorted(labels, key=str.casefold)
    assert set(labels) == {boroughs[w["parent_code"]] for w in wards.values()}
    offered = [code for _, items in ward_groups for code, _ in items]
    assert sorted(offered) == sorted(wards), "every ward once, and nothing else"
    repeated = {n for n in (w["name"] for w in wards.values()) if sum(v["name"] == n for v in wards.values()) > 1}
    assert repeated, "the bundled wards include names used in two boroughs"
    for label, items in ward_groups:
        borough = label.removeprefix("Wards in ")
        names = [name for _, name in items]
        assert names == sorted(names, key=str.casefold), label
        for code, text in items:
            ward = wards[code]
            assert boroughs[ward["parent_code"]] == borough
            # A name used in two boroughs says which, as the closed menu shows no group.
            assert text == (f"{ward['name']} ({borough})" if ward["name"] in repeated else ward["name"])
    # The levels above wards keep their own groups, before the wards: every force with figures (the
    # bundled use-of-force tables have them for all 43), then the chosen force's own areas.
    assert [label for label, _ in groups[:3]] == ["Forces", "Basic Command Units", "Boroughs"]


def test_a_chosen_ward_is_selected_in_its_borough_group(client: Client) -> None:
    areas = client.get("/api/v1/areas.json?level=ward").json()["data"]
    ward = next(a for a in areas if sum(b["name"] == a["name"] for b in areas) > 1)
    html = client.get(f"/measures/total_recorded_crime/?area={ward['code']}").text
    assert re.search(rf'<option value="{ward["code"]}" selected>', html)


# outputs: links --------------------------------------------------------------------------


def test_every_link_on_every_page_leads_somewhere(client: Client) -> None:
    seen: dict[str, int] = {}
    for page in ALL_PAGES:
        html = client.get(page).text
        links = parse(html)
        for href in links.hrefs:
            if href.startswith(("data:", "http://", "https://", "mailto:")):
                assert not href.startswith("http"), f"{page} links off-site: {href}"
                continue
            target = urljoin("http://testserver" + page, href)
            url = urlparse(target)
            if url.fragment and url.path == page and not url.query:
                assert url.fragment in links.ids, f"{page}: no element #{url.fragment}"
                continue
            key = url.path + ("?" + url.query if url.query else "")
            variants = [k for k in seen if k.startswith(url.path + "?")]
            if url.query and url.path.endswith("/") and len(variants) >= 3:
                continue  # a page in other states: three of each are enough (every area would take minutes)
            if key not in seen:
                seen[key] = client.head(key).status_code if key.endswith("/") else client.get(key).status_code
    broken = {k: v for k, v in seen.items() if v != 200}
    assert not broken, broken
    assert len(seen) > 100


def test_download_links_carry_the_filters_of_the_panel(client: Client) -> None:
    html = client.get(f"/measures/trust_mps/?area={BOROUGH}").text
    downloads = [h for h in parse(html).hrefs if "/values.csv?" in h]
    assert downloads
    query = parse_qs(urlparse(downloads[0]).query)
    assert query["area"] == [BOROUGH]


def test_the_methods_page_renders_the_methods_document(client: Client) -> None:
    html = client.get("/methods/").text
    assert "Statistical process control" in html
    assert "<table" in html and "<h1" in html and html.count("<h1") == 1


def test_partner_measures_say_they_await_partner_data(client: Client) -> None:
    partner = [m for m in CATALOGUE.values() if m.awaits_partner_data]
    assert partner
    html = client.get("/hate-crime-vawg/").text
    assert "Awaiting partner data" in html
    page = client.get(f"/measures/{partner[0].id}/").text
    assert "Awaiting partner data" in page


def test_the_trust_page_flags_assumed_sample_sizes(client: Client) -> None:
    html = client.get("/trust/").text
    assert "(assumed)" in html
    assert "assumed" in client.get("/trust/index.json").text


def test_the_mopac7_history_draws_the_target_as_a_reference_line(client: Client) -> None:
    data = client.get("/crime/index.json").json()["data"]
    history = next(s for s in data["sections"] if s["heading"] == "MOPAC 7 history")
    targets = [p["target"] for p in history["panels"] if p.get("target")]
    assert targets
    for target in targets:
        assert target["level"] == pytest.approx(target["baseline_value"] * (1 + target["change"]))
        assert "not a verdict" in target["label"]
    assert "met" not in " ".join(t["label"] for t in targets).replace("not judged", "")


def test_a_map_is_drawn_when_boundaries_are_loaded(client: Client) -> None:
    html = client.get("/crime/").text
    assert '<svg class="map"' in html and "Map key" in html


def test_the_period_menu_always_shows_the_period_chosen(client: Client) -> None:
    periods = client.get("/api/v1/measures/mopac7_crimes.json").json()["data"]["periods"]
    oldest = [p["key"] for p in periods if p["type"] == "rolling_12"][-1]
    html = client.get(f"/measures/mopac7_crimes/?period={oldest}").text
    assert f'<option value="{oldest}" selected>' in html


def test_the_trust_gap_page_says_every_verdict_in_words_and_its_twin_lists_every_gap(client: Client) -> None:
    html = client.get("/trust/gap/").text
    for words in ("Within the band", "Outside the band", "Cannot tell", "Not published",
                  "2 of 3 neighbourhoods published", "both one-sided tests reject a gap beyond the band",
                  "design effect 1 assumed", "56% of Black", "not figures MOPAC published"):
        assert words in html, words
    # force-wide, Black against White British, confidence in fair use of stop and search
    assert "Black respondents 55.2%, White British 78.2%: a gap of -23.0 points" in html
    rows = list(csv.DictReader(io.StringIO(client.get("/trust/gap/index.csv").text)))
    assert len(rows) == 1160
    force = [r for r in rows if r["area_level"] == "force"]
    assert {r["breakdown"] for r in force} == {f"ethnicity={g};question={q}" for g in ("Black", "Asian") for q in (
        "treat_everyone_fairly", "listen_to_concerns", "good_job_local", "stop_search_fair")}
    assert '<a href="gap/">The trust gap between ethnic groups</a>' in client.get("/trust/").text


def test_every_page_renders_before_any_police_uk_file_is_loaded(tmp_path) -> None:
    """An office starts with its reference data and nothing from police.uk yet: measures that read
    police.uk await data, and every page says so instead of failing."""
    from conftest import BUNDLED

    from oversight.measures.engine import build
    from oversight.sources.reference import ingest_reference
    from oversight.warehouse import connect
    from oversight.web import create_app

    path = tmp_path / "warehouse.duckdb"
    con = connect(path)
    assert not ingest_reference(con, [BUNDLED.parent / "reference"]).failed
    report = build(con)
    assert not report.failed
    assert {"stop_search_volume", "street_crime_total"} <= {m.measure for m in report.measures
                                                             if m.status == "awaiting data"}
    con.close()
    client = Client(create_app(path, warm=False))
    try:
        for page in [*SECTION_PAGES, f"/stop-search/?area={BOROUGH}", "/stop-search/forces/", "/measures/"]:
            assert client.get(page).status_code == 200, page
    finally:
        client.close()
