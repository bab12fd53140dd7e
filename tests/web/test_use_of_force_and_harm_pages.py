"""The stop and search page's use-of-force section (the force against England and Wales) and the
hate crime and VAWG page (open series, and partner measures with an illustrative file), over HTTP
against the bundled data: what the page says is what the API serves."""

from __future__ import annotations

import re

import pytest
from web.webtools import Client

EW = "K04000001"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _api(client: Client, measure: str, **params: str) -> list[dict]:
    answer = client.get(f"/api/v1/measures/{measure}/values.json", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def test_the_use_of_force_link_leads_to_the_section(client: Client) -> None:
    html = client.get("/stop-search/").text
    assert 'href="#use-of-force"' in html
    assert '<h2 id="use-of-force">Use of force and Taser</h2>' in html


@pytest.mark.parametrize("measure", ["use_of_force_rate_ratio", "taser_use_rate_ratio"])
def test_the_section_sets_the_met_against_england_and_wales_with_the_api_figures(client: Client, measure: str) -> None:
    html = client.get("/stop-search/").text
    section = html[html.index('id="use-of-force"'):]
    latest = _api(client, measure, level="national", area=EW, period_type="financial_year",
                  breakdown="subject_group=Black")[-1]
    met = _api(client, measure, level="force", area="metropolitan", period=latest["period"],
               breakdown="subject_group=Black")[0]
    assert latest["period"] == "2019-20"
    assert 3 < met["value"] < latest["value"] < 8  # the Met's ratio is below England and Wales' in 2019-20
    text = _text(section)
    assert f"Metropolitan Police Service and England and Wales, {latest['period']}" in text
    assert f"{met['value']:.2f} times" in text and f"{latest['value']:.2f} times" in text
    assert "England and Wales: Use of force" in text or "England and Wales: Taser" in text


def test_the_section_says_what_is_counted_and_how_much_has_no_ethnic_group(client: Client) -> None:
    text = _text(client.get("/stop-search/").text)
    assert "count tactics, not incidents or people" in text
    everyone = _api(client, "use_of_force_rate", level="force", area="metropolitan", period="2019-20")[0]
    unknown = _api(client, "use_of_force_rate", level="force", area="metropolitan", period="2019-20",
                   breakdown="subject_group=Not stated")[0]
    assert (f"Metropolitan Police Service: {unknown['numerator']:,.0f} of {everyone['numerator']:,.0f} tactics"
            in text)


def test_a_period_that_is_not_a_financial_year_shows_the_latest_year_and_every_year_is_charted(
        client: Client) -> None:
    html = client.get("/stop-search/", params={"period": "2018"}).text
    section = _text(html[html.index('id="use-of-force"'):])
    assert "Metropolitan Police Service and England and Wales, 2019-20" in section
    for where in ("Metropolitan Police Service", "England and Wales"):
        assert f"Use of force rate ratio, Black to White residents, by financial year, {where}" in section
    assert "2 financial years for England and Wales, 2018-19 to 2019-20" in section


def test_every_force_is_listed_with_the_met_marked(client: Client) -> None:
    rows = _api(client, "use_of_force_rate_ratio", level="force", period="2019-20", breakdown="subject_group=Black")
    assert len(rows) == 43
    html = client.get("/stop-search/").text
    assert "Metropolitan Police Service (selected)" in _text(html[html.index('id="use-of-force"'):])


def test_the_harm_page_shows_rape_and_domestic_abuse_homicides_for_the_force(client: Client) -> None:
    text = _text(client.get("/hate-crime-vawg/", params={"area": "E09000022"}).text)
    assert "Rapes recorded by the police, Lambeth" in text and "rolling 12-month periods for Lambeth" in text
    assert "Other sexual offences recorded by the police, Lambeth" in text
    # homicide counts for one borough are too small to publish: the panel stays with the force
    assert "Homicides in a domestic-abuse setting, Metropolitan Police Service" in text


def test_the_harm_page_names_the_partner_file_with_an_example_marked_illustrative(client: Client) -> None:
    html = client.get("/hate-crime-vawg/").text
    text = _text(html)
    assert "Hate crimes recorded, by strand" in text
    assert "rows with measure hate_crimes_recorded" in text
    assert text.count("invented figures, not real data") >= 4
    assert "ILLUSTRATIVE - not real data" in text
