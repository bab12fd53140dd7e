"""Every address the README and docs/web.md give for the site and its API answers, on the
bundled data; and the README says what /docs is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from web.webtools import REPO, Client

from oversight.web.addresses import expand

README = REPO / "README.md"
WEB_DOCS = REPO / "docs" / "web.md"
README_API_SECTION = "## Dashboards, open data and the quarterly report"
# What the documents' placeholders stand for here: a measure, a level and a page the bundled data has.
PLACEHOLDERS = {"measure_id": ["total_recorded_crime"], "id": ["total_recorded_crime"], "level": ["borough"],
                "page": ["/crime/"], "neighbourhood": ["KG-KB"]}


def section(path: Path, heading: str | None = None) -> str:
    """A document, or its part from `heading` to the next heading of the same level."""
    text = path.read_text(encoding="utf-8")
    if heading is None:
        return text
    start = text.index(heading)
    following = text.find("\n" + heading.split(" ")[0] + " ", start + len(heading))
    return text[start:following if following != -1 else None]


def addresses(text: str) -> list[str]:
    """Site addresses written as code (`/api/v1/areas.json`, `GET /api/v1/`), placeholders filled in."""
    found = [m.group(1) for m in re.finditer(r"`(?:GET )?((?:/|{page})[^`\s]*)`", text)]
    return sorted({a for pattern in found for a in expand(pattern, **PLACEHOLDERS)})


README_ADDRESSES = addresses(section(README, README_API_SECTION))
WEB_DOCS_ADDRESSES = addresses(section(WEB_DOCS))


def test_the_documents_give_the_addresses_worth_checking() -> None:
    assert {"/docs", "/openapi.json", "/api/v1/measures.json", "/api/v1/openapi.json"} <= set(README_ADDRESSES)
    assert any("?" in a for a in README_ADDRESSES)
    assert {"/api/v1/measures/total_recorded_crime/values.csv", "/api/v1/boundaries/borough.geojson",
            "/measures/total_recorded_crime/"} <= set(WEB_DOCS_ADDRESSES)


@pytest.mark.parametrize("address", README_ADDRESSES)
def test_every_address_in_the_readme_answers(client: Client, address: str) -> None:
    response = client.get(address, follow_redirects=True)
    assert response.status_code == 200, f"README.md gives {address}: {response.status_code} {response.text[:200]}"


@pytest.mark.parametrize("address", WEB_DOCS_ADDRESSES)
def test_every_address_in_the_web_docs_answers(client: Client, address: str) -> None:
    response = client.get(address, follow_redirects=True)
    assert response.status_code == 200, f"docs/web.md gives {address}: {response.status_code} {response.text[:200]}"


def test_the_readme_says_docs_is_interactive_and_works_offline() -> None:
    text = " ".join(section(README, README_API_SECTION).split())
    sentence = next(s for s in text.split(". ") if s.startswith("`/docs`"))
    assert "interactive documentation" in sentence and "works offline" in sentence and "CDN" in sentence
