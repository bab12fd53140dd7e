"""The site's static files (stylesheet, scripts, the chart library, Swagger UI): read once, kept
with their gzip copy, and served with validators and long caching.

Pages link each file with its version, a hash of its content (`/static/site.css?v=3f9a0c1b2d`):
such an address never changes meaning, so it is cached for a year and never revalidated; a new
release links new versions. An address without the version, or with an old one, is answered
with the current file and `no-cache`, so a browser asks again (a cheap 304 through the ETag).
A client that accepts gzip gets the copy compressed once at level 9, never per request.

The chart library is plotly.js's official "basic" bundle (traces bar, pie and scatter, which
are all the pages draw; `CHART_TRACES` is the bundle's list and a test holds the charts to it),
kept in static/ as `make plotly-bundle` fetched it: a quarter of the full library's size.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
from dataclasses import dataclass
from email.utils import formatdate
from importlib import resources
from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from oversight.web.traffic import accepts_gzip

STATIC = Path(str(resources.files("oversight.web") / "static"))
YEAR: Final = "public, max-age=31536000, immutable"
REVALIDATE: Final = "no-cache"
COMPRESS_FROM_BYTES: Final = 1000
"""Answers smaller than this go out as they are: gzip would save a few hundred bytes at most."""
CHART_LIBRARY: Final = "plotly.min.js"
CHART_TRACES: Final = frozenset({"bar", "pie", "scatter"})
"""The trace types the chart library bundle draws (plotly.js-basic-dist-min)."""
MEDIA_TYPES: Final = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                      ".txt": "text/plain; charset=utf-8"}
SWAGGER_UI_FILES: Final = ("swagger-ui-bundle.js", "swagger-ui.css")
"""Swagger UI for /docs, served from the pinned `fastapi-offline` package: no CDN, works offline."""


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None  # None: too small to be worth compressing
    version: str  # a hash of the content
    media_type: str
    last_modified: str

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def swagger_ui_file(name: str) -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static" / name


def asset_path(name: str) -> Path | None:
    """The file behind /static/NAME, or None when there is none."""
    if name.startswith("swagger-ui/"):
        inner = name.removeprefix("swagger-ui/")
        return swagger_ui_file(inner) if inner in SWAGGER_UI_FILES else None
    if "/" in name or name.startswith("."):
        return None
    found = STATIC / name
    return found if found.is_file() else None


@functools.cache
def asset(name: str) -> Asset | None:
    """The file /static/NAME with its gzip copy and version, read once per process."""
    path = asset_path(name)
    if path is None:
        return None
    body = path.read_bytes()
    packed = gzip.compress(body, compresslevel=9, mtime=0) if len(body) >= COMPRESS_FROM_BYTES else None
    return Asset(body, packed, hashlib.sha256(body).hexdigest()[:12],
                 MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
                 formatdate(path.stat().st_mtime, usegmt=True))


def version(name: str) -> str:
    """The version to link /static/NAME with."""
    found = asset(name)
    if found is None:
        raise FileNotFoundError(f"no static file {name!r}")
    return found.version


def asset_response(name: str, request: Request) -> Response | None:
    """The answer for /static/NAME (None when there is no such file): 304 when the client's copy
    is current, else the file, compressed when the client accepts gzip."""
    found = asset(name)
    if found is None:
        return None
    headers = request.headers
    common = {
        "Cache-Control": YEAR if request.query_params.get("v") == found.version else REVALIDATE,
        "ETag": found.etag,
        "Last-Modified": found.last_modified,
        "Vary": "Accept-Encoding",
    }
    if found.etag in [tag.strip().removeprefix("W/") for tag in headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=common)
    body = found.body
    if found.gzipped is not None and accepts_gzip(request.scope):
        body = found.gzipped
        common["Content-Encoding"] = "gzip"
    return Response(body, media_type=found.media_type, headers=common)
