"""The web application: pages, their JSON and CSV twins, the open data API, errors, headers,
compression.

`create_app(warehouse)` returns a FastAPI app. Routes live in `pages.py` (HTML and twins) and
`api.py` (/api/v1); page data is built in `views/`, drawn by `charts.py` and `maps.py`, and
rendered by the templates through `render.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import pyarrow as pa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oversight import config
from oversight.errors import OversightError, WarehouseError
from oversight.pack import pdf_bytes
from oversight.pack.render import pack_environment
from oversight.records import web as records_web
from oversight.records.db import Records
from oversight.web import api, packs, pages
from oversight.web.assets import COMPRESS_FROM_BYTES, asset_response
from oversight.web.render import compile_templates, context, environment
from oversight.web.store import Store
from oversight.web.traffic import Traffic, retry_after
from oversight.web.twins import dumps, error_envelope

log = logging.getLogger("oversight.web")

OPENAPI_URL = "/api/v1/openapi.json"

COMPRESS_LEVEL = 6
"""zlib's default: within 1-2% of level 9's size on our pages, in about half the time."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; "  # plotly.js writes its own <style> element and inline styles
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


class SecurityHeaders:
    """Adds the security headers to every response (pure ASGI, so it costs almost nothing)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + list(SECURITY_HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def wants_json(path: str) -> bool:
    return path.startswith("/api/v1") or path.endswith((".json", ".csv", ".geojson"))


def create_app(
    warehouse: str | os.PathLike[str] | None = None, *, publishing: bool = False, warm: bool = True,
    records: Records | None = None, records_settings: records_web.RecordsSettings | None = None,
) -> FastAPI:
    """The site for one warehouse (default: the configured one). `publishing` renders every link
    as a file of a static folder and records it (see `publish.py`). `warm` builds every page in
    a background thread when the server starts, so the first visitors get cached pages. `records` is the
    records database (default: the configured one, opened on the first /records/ request)."""
    warming: list[threading.Thread] = []
    warming_lock = threading.Lock()  # threads start from requests' and warm-up threads too
    stopping = threading.Event()

    def in_background(work: Callable[[], None], name: str) -> None:
        """Run `work` in a thread the server waits for when it stops; none starts once it is stopping."""
        with warming_lock:
            if stopping.is_set():
                return
            thread = threading.Thread(target=work, name=name, daemon=True)
            warming[:] = [*(t for t in warming if t.is_alive()), thread]  # one per rebuild over a long run
            thread.start()

    superseded: list[threading.Event] = []  # the running warm-up's stop signal

    def warm_up_newest() -> None:
        """Build every page of the snapshot now served. An older warm-up still running stops after
        its current page: on a small machine two would only compete with visitors for the cores."""
        mine = threading.Event()
        with warming_lock:
            for older in superseded:
                older.set()
            superseded[:] = [mine]
            if stopping.is_set():
                return
        pages.warm_up(app, mine)

    def start_warm_up() -> None:
        in_background(warm_up_newest, "oversight-warm-up")

    def take_up_new_snapshot() -> None:
        """A rebuild was published: read its shared lookups, and with `warm` build its pages, in
        the background, so that its first visitor does not wait for them either."""
        def work() -> None:
            if stopping.is_set():
                return
            app.state.store.prepare()
            if warm:
                warm_up_newest()

        in_background(work, "oversight-new-snapshot")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # What the process holds when it starts serving (the libraries: some 200,000 objects)
        # lives as long as the server: frozen, Python's garbage collector no longer walks it
        # in each full collection, which would otherwise add 0.1-0.2 s to whichever request
        # happens to trigger one (a first render allocates enough to trigger one or two).
        # Arrow's default allocator (mimalloc) made a fresh server's first conversion of an area's
        # figures to pandas take 58-193 ms in 20 of 24 starts, against 15-20 ms with the system's:
        # the first visitor paid for it (bench/README.md, first renders). An allocator the
        # operator chose (ARROW_DEFAULT_MEMORY_POOL) is kept.
        stopping.clear()  # a lifespan run again starts afresh
        arrow_pool = pa.default_memory_pool()
        if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
            pa.set_memory_pool(pa.system_memory_pool())
        # A first visitor does not wait for the templates' compiling (the site's, and the packs'),
        # nor for the lookups every page reads.
        compile_templates(app.state.env)
        compile_templates(pack_environment())
        if not publishing:
            await asyncio.to_thread(app.state.store.prepare)
        gc.collect()
        gc.freeze()
        if warm and not publishing:
            start_warm_up()
        if not publishing:
            app.state.store.on_new_snapshot.append(take_up_new_snapshot)
        yield
        # A warm-up still reading when the server stops would leave a query running while the
        # snapshot closes under it: it stops after its current page, and is waited for.
        with warming_lock:
            stopping.set()
            for signal in superseded:
                signal.set()
            waiting = list(warming)
        if take_up_new_snapshot in app.state.store.on_new_snapshot:
            app.state.store.on_new_snapshot.remove(take_up_new_snapshot)
        for thread in waiting:
            await asyncio.to_thread(thread.join, 30)
        app.state.store.close()
        if hasattr(app.state, "records"):
            app.state.records.dispose()
        gc.unfreeze()  # a process that goes on (tests serve many apps) collects it again
        pa.set_memory_pool(arrow_pool)  # and allocates as it did before

    app = FastAPI(
        title="Oversight open data API",
        version="1",
        description=("Figures of the Police and Crime Plan measures, the measure catalogue, areas and data health, "
                     "as JSON or CSV. Licence: Open Government Licence v3.0."),
        docs_url=None, redoc_url=None,  # FastAPI's pages use a CDN and inline scripts; /docs is served below
        openapi_url=OPENAPI_URL,
        lifespan=lifespan,
    )
    app.state.store = Store(config.warehouse_path(warehouse))
    app.state.env = environment()
    app.state.registry = {} if publishing else None
    if not publishing:  # publishing reads one page at a time (nothing to queue) and writes files as they are
        # Inside Traffic, so a replayed answer is replayed compressed (Traffic keeps one per encoding).
        app.add_middleware(GZipMiddleware, minimum_size=COMPRESS_FROM_BYTES, compresslevel=COMPRESS_LEVEL)
        app.add_middleware(Traffic, reject=lambda scope, error: error_response(Request(scope), error, 503))
    app.add_middleware(SecurityHeaders)  # added last, so outermost: on every answer, replayed ones too

    @app.api_route("/static/{name:path}", methods=["GET", "HEAD"], include_in_schema=False)
    def static_asset(request: Request, name: str) -> Response:
        found = asset_response(name, request)
        if found is None:
            raise StarletteHTTPException(404)
        return found

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_at_root() -> Response:
        return Response(dumps(app.openapi()), media_type="application/json")

    @app.api_route("/docs", methods=["GET", "HEAD"], include_in_schema=False)
    def interactive_docs(request: Request) -> HTMLResponse:
        template = request.app.state.env.get_template("api_docs.html")
        return HTMLResponse(template.render(title=app.title, openapi_url="/openapi.json"))

    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(packs.router)
    if not publishing:  # the records are never published: only their aggregates, through the measures
        settings = records_settings or records_web.RecordsSettings()
        records_web.install(app, records=records or Records(), settings=settings, env=app.state.env, pdf=pdf_bytes,
                            chrome=lambda data, path: context(data, path, registry=None, built_at=None))

    @app.exception_handler(OversightError)
    async def oversight_error(request: Request, exc: OversightError) -> Response:
        return error_response(request, exc, _status(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        location = first.get("loc", ())
        where = [str(p) for p in location if p not in ("query", "path")]
        error = OversightError(str(first.get("msg", "invalid request")), field=".".join(where) or None)
        # A path that names no resource is not found (404); a bad query parameter is malformed (422).
        return error_response(request, error, 404 if location[:1] == ("path",) else 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        reason = "no page here; the site map is on the home page" if exc.status_code == 404 else str(exc.detail)
        response = error_response(request, OversightError(reason, path=request.url.path), exc.status_code)
        response.headers.update(exc.headers or {})  # e.g. Allow on a 405
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(request, OversightError("something went wrong on our side; it has been logged"), 500)

    return app


def _status(exc: OversightError) -> int:
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        return status
    if isinstance(exc, WarehouseError):
        return 503
    return 404 if exc.field in ("measure", "area", "period", "breakdown") else 422


def error_response(request: Request, error: OversightError, status: int) -> Response:
    headers = retry_after(error) if status in (429, 503) else {}
    if status >= 500:
        # The public sees what happened, never where: no file paths, processes or library text (#9).
        log.warning("%s on %s: %s", status, request.url.path, error)
        error = OversightError(_PUBLIC_REASONS.get(status, _PUBLIC_REASONS[500]))
        headers = headers or ({"Retry-After": "60"} if status == 503 else {})
    if wants_json(request.url.path):
        return Response(dumps(error_envelope(error)), status_code=status, media_type="application/json",
                        headers=headers)
    data: dict[str, Any] = {"title": _TITLES.get(status, "Something went wrong"), "page": "error", "status": status,
                            "error": error.as_dict(), "path": request.url.path, "sections": [], "intro": ""}
    built_at = None
    if status < 500:  # under load or without figures, the error page itself reads nothing
        with contextlib.suppress(OversightError):
            built_at = request.app.state.store.built_at()
    values = context(data, request.url.path, registry=None, built_at=built_at)
    return HTMLResponse(request.app.state.env.get_template("error.html").render(values), status_code=status,
                        headers=headers)


_TITLES = {
    404: "Page not found",
    422: "There is a problem with the address",
    503: "The figures are not available just now",
    500: "Something went wrong",
}
_PUBLIC_REASONS = {
    503: "the figures cannot be shown just now (the server is busy, or no figures are published yet); "
         "please try again shortly",
    500: "something went wrong on our side; it has been logged",
}
