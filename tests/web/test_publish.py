"""`oversight publish`: the whole site as files, every link resolving inside the folder."""

from __future__ import annotations

import json
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest
from typer.testing import CliRunner
from web.webtools import Client

from oversight.cli import app as cli
from oversight.measures.catalogue import load_catalogue
from oversight.web.addresses import COPIED, NOT_COPIED, expand
from oversight.web.pages import PAGES

README = Path(__file__).resolve().parents[2] / "README.md"
DATA_FILES = (".json", ".csv", ".geojson")


class Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.found.append(value)


@pytest.fixture(scope="module")
def site(web_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site published with `oversight publish`, as a user would."""
    folder = tmp_path_factory.mktemp("site") / "public"
    result = CliRunner().invoke(cli, ["--warehouse", str(web_warehouse), "publish", str(folder)])
    assert result.exit_code == 0, result.output
    assert "(0 failed)" in result.output
    return folder


# outputs -----------------------------------------------------------------------------------


def test_every_page_and_measure_page_is_written(site: Path) -> None:
    for page in ("index.html", "crime/index.html", "trust/index.html", "stop-search/index.html",
                 "hate-crime-vawg/index.html", "measures/index.html", "health/index.html", "methods/index.html",
                 "api/index.html", "api/v1/openapi.json"):
        assert (site / page).is_file(), page
    for asset in ("plotly.min-*.js", "site-*.css", "site-*.js"):  # written once, under a name with its version
        (written,) = (site / "static").glob(asset)
        assert written.stat().st_size > 1000
    for measure in load_catalogue():
        assert (site / "measures" / measure / "index.html").is_file()
        assert (site / "measures" / measure / "index.json").is_file()


def test_the_neighbourhood_comparator_is_in_the_copy_with_its_api_files(site: Path) -> None:
    pages = sorted(site.glob("trust/neighbourhoods/*/index.html"))
    assert len(pages) == 106
    for name in ("index.html", "index.json", "index.csv"):
        assert (site / "trust" / "neighbourhoods" / name).is_file()
    for name in ("neighbourhoods.json", "neighbourhoods.csv", "neighbourhoods/drivers.csv", "neighbourhoods/KG-KB.json",
                 "neighbourhoods/KG-KB.csv"):
        assert (site / "api" / "v1" / name).is_file(), name
    html = (site / "trust" / "neighbourhoods" / "KG-KB" / "index.html").read_text(encoding="utf-8")
    assert "Barking (Barking and Dagenham) is in similarity group 7" in html


def test_every_link_in_the_folder_resolves_to_a_file_in_it(site: Path) -> None:
    pages = list(site.rglob("*.html"))
    checked = 0
    for page in pages:
        parser = Hrefs()
        parser.feed(page.read_text(encoding="utf-8"))
        for href in parser.found:
            url = urlparse(href)
            if href.startswith("data:") or (not url.path and url.fragment):
                continue
            assert not url.scheme and not href.startswith("/"), f"{page}: {href} is not relative"
            assert not url.query, f"{page}: {href} needs a server"
            target = (page.parent / url.path).resolve()
            assert target.is_file(), f"{page.relative_to(site)} links to missing {href}"
            assert site.resolve() in target.parents
            checked += 1
    assert checked > 1000


def test_every_data_file_a_page_links_to_is_in_the_folder(site: Path) -> None:
    kinds: dict[str, int] = {}
    for page in site.rglob("*.html"):
        parser = Hrefs()
        parser.feed(page.read_text(encoding="utf-8"))
        for href in parser.found:
            path = urlparse(href).path
            if path.endswith(DATA_FILES):
                assert (page.parent / path).is_file(), f"{page.relative_to(site)} links to missing {href}"
                kinds[path.rpartition(".")[2]] = kinds.get(path.rpartition(".")[2], 0) + 1
    assert set(kinds) == {"json", "csv"} and min(kinds.values()) > 100, kinds


def test_the_api_addresses_the_copy_answers_are_files_at_the_same_path(site: Path, client: Client) -> None:
    """A script written against the live API works against the copy for these addresses."""
    measures = list(load_catalogue())
    pages = [*PAGES, *(f"/measures/{m}/" for m in measures)]
    levels = ["force", "bcu", "borough", "ward"]
    places = ["KG-KB", "SX-SA"]
    pages += [f"/trust/neighbourhoods/{code}/" for code in places]
    addresses = [a for copied in COPIED for a in expand(copied.pattern, measure_id=measures, level=levels, page=pages,
                                                         neighbourhood=places)]
    assert len(addresses) > 2 * len(measures)
    for address in addresses:
        file = site / address.lstrip("/")
        assert file.is_file(), f"{address} is not in the copy"
        if address.endswith(".json") and address.startswith("/api/v1/measures/"):
            assert json.loads(file.read_text(encoding="utf-8"))["data"] == client.get(address).json()["data"]


def test_the_copy_says_which_api_addresses_it_answers_and_which_it_does_not(site: Path, client: Client) -> None:
    html = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert "What this published copy answers" in html
    for address in (*COPIED, *NOT_COPIED):
        assert f"<code>{escape(address.pattern)}</code>" in html, address.pattern
    assert "What this published copy answers" not in client.get("/api/").text  # the live API answers all


def test_the_readme_says_which_api_addresses_a_published_copy_answers() -> None:
    readme = README.read_text(encoding="utf-8")
    for address in (*COPIED, *NOT_COPIED):
        assert f"`{address.pattern}`" in readme, address.pattern


def test_published_data_files_are_valid(site: Path) -> None:
    for path in site.rglob("*.json"):
        body = json.loads(path.read_text(encoding="utf-8"))
        if path.name != "openapi.json":
            assert body["ok"] is True, path
    assert any(site.rglob("values-*.csv"))


def test_published_pages_say_filters_need_the_live_service(site: Path) -> None:
    html = (site / "crime" / "index.html").read_text(encoding="utf-8")
    assert "<form" not in html and "needs the live service" in html


# inputs ------------------------------------------------------------------------------------


def test_publish_and_serve_say_when_there_is_no_warehouse(tmp_path: Path) -> None:
    for command in (["publish", str(tmp_path / "out")], ["serve"]):
        result = CliRunner().invoke(cli, ["--warehouse", str(tmp_path / "none.duckdb"), *command])
        assert result.exit_code == 2
        assert "no warehouse here yet" in result.output


def test_text_files_have_a_gzip_copy_beside_them_for_the_web_server(site: Path) -> None:
    import gzip

    from oversight.web.publish import COMPRESSIBLE

    copies = list(site.rglob("*.gz"))
    assert len(copies) > 100
    for copy in copies:
        original = copy.with_name(copy.name.removesuffix(".gz"))
        assert original.suffix in COMPRESSIBLE
        assert gzip.decompress(copy.read_bytes()) == original.read_bytes(), copy
    crime = site / "crime" / "index.html"
    assert (site / "crime" / "index.html.gz").stat().st_size < crime.stat().st_size / 3
    (chart_library,) = site.glob("static/plotly.min-*.js.gz")
    assert chart_library.stat().st_size < 500_000
