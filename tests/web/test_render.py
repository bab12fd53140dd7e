"""Links are relative, so one set of HTML works from the server and from a published folder."""

from __future__ import annotations

from oversight.web.render import Links, static_file

# outputs -----------------------------------------------------------------------------------


def test_links_from_the_server_are_relative_to_the_page() -> None:
    at_root, deep = Links("/"), Links("/measures/trust_mps/")
    assert at_root("/crime/") == "crime/"
    assert at_root("/") == "./"
    assert deep("/static/site.css") == "../../static/site.css"
    assert deep("/") == "../../"
    assert deep("/measures/trust_mps/", {"area": "E09000022"}) == "./?area=E09000022"
    assert deep("/api/v1/measures.json") == "../../api/v1/measures.json"


def test_published_links_point_at_files_and_are_recorded() -> None:
    registry: dict[str, str] = {}
    links = Links("/crime/", registry)
    assert links("/") == "../index.html"
    assert links("/measures/trust_mps/") == "../measures/trust_mps/index.html"
    csv = links("/api/v1/measures/trust_mps/values.csv", {"area": "E09000022"})
    assert csv.startswith("../api/v1/measures/trust_mps/values-") and csv.endswith(".csv")
    assert registry[csv[3:]] == "/api/v1/measures/trust_mps/values.csv?area=E09000022"
    assert registry["index.html"] == "/"


def test_published_pages_drop_their_filter_state() -> None:
    assert Links("/", {}).page("/crime/", {"area": "E09000022"}) == "crime/index.html"
    assert Links("/").page("/crime/", {"area": "E09000022"}) == "crime/?area=E09000022"


def test_static_file_names() -> None:
    assert static_file("/") == "index.html"
    assert static_file("/crime/") == "crime/index.html"
    assert static_file("/crime/index.json") == "crime/index.json"
    assert static_file("/a.csv", {"x": "1"}) == static_file("/a.csv", {"x": "1"}) != static_file("/a.csv", {"x": "2"})
