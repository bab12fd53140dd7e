"""Answers are gzip-compressed for clients that accept it, and sent as they are for the rest:
pages, data, downloads and plotly.js (1.2 MB raw)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from web.webtools import Client

from oversight.web.app import COMPRESS_FROM_BYTES
from oversight.web.assets import STATIC, swagger_ui_file, version

GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}
NO_ENCODING = {"Accept-Encoding": ""}  # as a client that sends no Accept-Encoding (httpx always sends one)


def sent_bytes(response: httpx.Response) -> int:
    """Bytes on the wire (httpx decodes the body it hands back)."""
    return response.num_bytes_downloaded


# outputs: compressed ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/crime/", "/measures/total_recorded_crime/", "/api/v1/areas.json",
                                  "/crime/index.json", "/api/v1/boundaries/borough.geojson"])
def test_answers_are_gzipped_for_a_client_that_accepts_it(client: Client, path: str) -> None:
    plain = client.get(path, headers=PLAIN)
    packed = client.get(path, headers=GZIP)
    assert packed.status_code == plain.status_code == 200
    assert packed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in packed.headers["vary"].lower()
    assert packed.content == plain.content
    assert sent_bytes(packed) < sent_bytes(plain) / 3


@pytest.mark.parametrize(("path", "raw"), [("/static/plotly.min.js", STATIC / "plotly.min.js"),
                                           ("/static/swagger-ui/swagger-ui-bundle.js",
                                            swagger_ui_file("swagger-ui-bundle.js"))])
def test_bundled_scripts_are_served_compressed(client: Client, path: str, raw: Path) -> None:
    original = raw.read_bytes()
    path += "?v=" + version(path.removeprefix("/static/"))  # as pages link it
    packed = client.get(path, headers=GZIP)
    assert packed.status_code == 200
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["content-type"].startswith("text/javascript")
    assert "max-age" in packed.headers["cache-control"]
    assert packed.content == original
    assert sent_bytes(packed) < len(original) / 3, (sent_bytes(packed), len(original))
    head = client.head(path, headers=GZIP)
    assert head.status_code == 200 and head.headers["content-length"] == str(sent_bytes(packed))


def test_a_csv_download_compressed_is_the_same_file(client: Client) -> None:
    path = "/api/v1/measures/stop_search_volume/values.csv?level=borough"
    plain = client.get(path, headers=PLAIN)
    packed = client.get(path, headers=GZIP)
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["content-disposition"] == plain.headers["content-disposition"]
    assert packed.headers["content-type"] == plain.headers["content-type"] == "text/csv; charset=utf-8"
    assert packed.content == plain.content and plain.text.count("\n") > 100


def test_a_page_csv_twin_downloads_compressed(client: Client) -> None:
    packed = client.get("/crime/index.csv", headers=GZIP)
    assert packed.status_code == 200 and packed.headers["content-encoding"] == "gzip"
    assert packed.text.startswith("panel,")


# outputs: as they are ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/crime/", "/static/plotly.min.js", "/api/v1/measures.csv"])
def test_answers_are_plain_for_a_client_that_does_not_accept_gzip(client: Client, path: str) -> None:
    for headers in (PLAIN, NO_ENCODING):
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        assert "content-encoding" not in response.headers
        assert sent_bytes(response) == len(response.content)
    assert client.get("/static/plotly.min.js", headers=PLAIN).content == (STATIC / "plotly.min.js").read_bytes()


def test_a_small_answer_is_sent_as_it_is(client: Client) -> None:
    response = client.get("/api/v1/", headers=GZIP)
    assert len(response.content) < COMPRESS_FROM_BYTES
    assert "content-encoding" not in response.headers


def test_a_replayed_answer_comes_in_the_encoding_asked_for(client: Client) -> None:
    """Answers are replayed from memory; one kept compressed must not go to a client that
    cannot read it, nor a plain one to a client that asked for gzip."""
    path = "/api/v1/areas.csv?level=ward"
    for headers, encoding in ((PLAIN, None), (GZIP, "gzip"), (PLAIN, None), (GZIP, "gzip")):
        response = client.get(path, headers=headers)
        assert response.headers.get("content-encoding") == encoding, headers
        assert response.text.startswith("level,code,name")

