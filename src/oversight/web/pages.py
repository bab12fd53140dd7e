"""HTML pages and their twins: every page at PATH also answers PATH/index.json (its data, in the
JSON envelope) and PATH/index.csv (every figure it shows). One data function per page builds
the dict all three render, so they cannot disagree."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from oversight.errors import OversightError
from oversight.web.addresses import COPIED, NOT_COPIED
from oversight.web.built import used_settings
from oversight.web.params import Filters, read_filters
from oversight.web.render import Links, context
from oversight.web.store import Store
from oversight.web.twins import frame_csv, page_frame, page_json
from oversight.web.views.complaints import complaints_page
from oversight.web.views.crime import crime_page
from oversight.web.views.custody import custody_page
from oversight.web.views.forces import forces_page
from oversight.web.views.harm import harm_page
from oversight.web.views.health import health_page
from oversight.web.views.measure import measure_page
from oversight.web.views.neighbourhoods import LIST_PATH, neighbourhood_page, neighbourhood_path, neighbourhoods_page
from oversight.web.views.overview import overview_page
from oversight.web.views.reference import api_page, catalogue_page, methods_page
from oversight.web.views.stop_search import stop_search_page
from oversight.web.views.trust import trust_page
from oversight.web.views.trust_gap import trust_gap_page

router = APIRouter(include_in_schema=False)
log = logging.getLogger("oversight.web")

Builder = Callable[[Store, Filters], dict[str, Any]]

# path -> (template, builder). Pages without filters ignore them.
PAGES: dict[str, tuple[str, Builder]] = {
    "/": ("overview.html", overview_page),
    "/crime/": ("section.html", crime_page),
    "/trust/": ("section.html", trust_page),
    "/trust/gap/": ("trust_gap.html", trust_gap_page),
    LIST_PATH: ("neighbourhoods.html", neighbourhoods_page),
    "/stop-search/": ("section.html", stop_search_page),
    "/stop-search/forces/": ("forces.html", forces_page),
    "/hate-crime-vawg/": ("section.html", harm_page),
    "/custody/": ("section.html", custody_page),
    "/complaints/": ("section.html", complaints_page),
    "/measures/": ("catalogue.html", lambda store, _: catalogue_page(store)),
    "/health/": ("health.html", lambda store, _: health_page(store)),
    "/methods/": ("methods.html", lambda store, _: methods_page()),
}


def _data(app: Any, path: str, builder: Builder, filters: Filters) -> dict[str, Any]:
    """The page's data. Not cached itself (its size is hard to weigh): the figures under it
    and the rendered HTML and JSON are."""
    return builder(app.state.store, filters)


def render_page(app: Any, path: str, template: str, data: dict[str, Any], filters: Filters) -> str:
    values = context(data, path, registry=app.state.registry, built_at=app.state.store.built_at(),
                     twin_params=filters.as_params(), settings=used_settings(app.state.store))
    return app.state.env.get_template(template).render(values)


def page_html(app: Any, path: str, template: str, builder: Builder, filters: Filters) -> str:
    def render() -> str:
        return render_page(app, path, template, _data(app, path, builder, filters), filters)

    if app.state.registry is not None:  # publishing: render afresh so every link is recorded
        return render()
    return app.state.store.cached(("html", path, filters), render)


def _html(request: Request, path: str, template: str, builder: Builder) -> HTMLResponse:
    filters = read_filters(request.query_params)
    html = page_html(request.app, path, template, builder, filters)
    alternate = Links(path)(path + "index.json", filters.as_params())
    return HTMLResponse(html, headers={"Link": f'<{alternate}>; rel="alternate"; type="application/json"'})


def _json(request: Request, path: str, builder: Builder) -> Response:
    store, filters = request.app.state.store, read_filters(request.query_params)
    body = store.cached(("json", path, filters), lambda: page_json(
        _data(request.app, path, builder, filters), page=path, filters=filters.as_params(), built_at=store.built_at()))
    return Response(body, media_type="application/json")


def _csv(request: Request, path: str, builder: Builder) -> Response:
    filters = read_filters(request.query_params)
    data = _data(request.app, path, builder, filters)
    name = (path.strip("/").replace("/", "-") or "overview") + ".csv"
    return Response(frame_csv(page_frame(data)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _register(path: str, template: str, builder: Builder) -> None:
    def html(request: Request) -> HTMLResponse:
        return _html(request, path, template, builder)

    def json_twin(request: Request) -> Response:
        return _json(request, path, builder)

    def csv_twin(request: Request) -> Response:
        return _csv(request, path, builder)

    router.add_api_route(path, html, methods=["GET", "HEAD"], response_class=HTMLResponse)
    router.add_api_route(path + "index.json", json_twin, methods=["GET", "HEAD"])
    router.add_api_route(path + "index.csv", csv_twin, methods=["GET", "HEAD"])


for _path, (_template, _builder) in PAGES.items():
    _register(_path, _template, _builder)


def _measure_builder(measure_id: str) -> Builder:
    return lambda store, filters: measure_page(store, measure_id, filters)


@router.api_route("/measures/{measure_id}/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def measure_html(request: Request, measure_id: str) -> HTMLResponse:
    return _html(request, f"/measures/{measure_id}/", "measure.html", _measure_builder(measure_id))


@router.get("/measures/{measure_id}/index.json")
def measure_json(request: Request, measure_id: str) -> Response:
    return _json(request, f"/measures/{measure_id}/", _measure_builder(measure_id))


@router.get("/measures/{measure_id}/index.csv")
def measure_csv(request: Request, measure_id: str) -> Response:
    return _csv(request, f"/measures/{measure_id}/", _measure_builder(measure_id))


def _neighbourhood_builder(code: str) -> Builder:
    return lambda store, _filters: neighbourhood_page(store, code)


NEIGHBOURHOOD_CODE = r"^[A-Z]{2}-[A-Z]{2}$"


@router.api_route(LIST_PATH + "{code}/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def neighbourhood_html(request: Request, code: Annotated[str, Path(pattern=NEIGHBOURHOOD_CODE)]) -> HTMLResponse:
    return _html(request, neighbourhood_path(code), "neighbourhood.html", _neighbourhood_builder(code))


@router.get(LIST_PATH + "{code}/index.json")
def neighbourhood_json(request: Request, code: Annotated[str, Path(pattern=NEIGHBOURHOOD_CODE)]) -> Response:
    return _json(request, neighbourhood_path(code), _neighbourhood_builder(code))


@router.get(LIST_PATH + "{code}/index.csv")
def neighbourhood_csv(request: Request, code: Annotated[str, Path(pattern=NEIGHBOURHOOD_CODE)]) -> Response:
    return _csv(request, neighbourhood_path(code), _neighbourhood_builder(code))


def neighbourhood_pages(store: Store) -> list[str]:
    """The address of every neighbourhood's comparison page."""
    try:
        frame = store.neighbourhood_frame()
    except OversightError:  # no warehouse yet: the list page itself says so
        return []
    return [neighbourhood_path(c) for c in sorted(set(frame["neighbourhood_code"]))]


@router.api_route("/api/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def api_html(request: Request) -> HTMLResponse:
    data = api_page(request.app.openapi())
    if request.app.state.registry is not None:  # a published copy says which addresses it can answer
        data["static_copy"] = {"copied": COPIED, "not_copied": NOT_COPIED}
    return HTMLResponse(render_page(request.app, "/api/", "api.html", data, Filters()))


def warm_up(app: Any, stopping: threading.Event | None = None) -> None:
    """Build every page in its default state, so the first visitors do not wait; stop early
    when `stopping` is set (the server is shutting down, or a newer snapshot's warm-up began)."""
    store: Store = app.state.store
    started = time.perf_counter()
    work = [(path, template, builder) for path, (template, builder) in PAGES.items()]
    work += [(f"/measures/{m}/", "measure.html", _measure_builder(m)) for m in store.catalogue]
    work += [(path, "neighbourhood.html", _neighbourhood_builder(path.rstrip("/").rpartition("/")[2]))
             for path in neighbourhood_pages(store)]
    for path, template, builder in work:
        if stopping is not None and stopping.is_set():
            log.info("warm-up stopped: the server is stopping or a newer snapshot is being warmed")
            return
        try:
            page_html(app, path, template, builder, Filters())
        except OversightError as exc:  # e.g. no warehouse yet: the page itself will say so
            log.info("not warmed %s: %s", path, exc)
    log.info("%d pages built in %.1f s", len(work), time.perf_counter() - started)
