"""The open data API, /api/v1: the catalogue, measure values with filters, areas, boundaries and
data health, each as JSON (in the envelope) or CSV. FastAPI describes it at /api/v1/openapi.json.
Public figures only: suppressed values are blank, with the reason."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from oversight.measures.catalogue import LEVELS
from oversight.measures.comparator import INTERVIEWS_PER_BOROUGH
from oversight.measures.periods import PERIOD_HELP, parse_period, period_key
from oversight.measures.query import OUTPUT_COLUMNS
from oversight.present.words import CHANGE_COLUMNS
from oversight.web.built import used_settings
from oversight.web.params import BadRequest, NotFound, read_filters
from oversight.web.records import frame_records, json_safe, records
from oversight.web.store import Store
from oversight.web.twins import dumps, envelope, frame_csv
from oversight.web.views.health import police_uk_summary
from oversight.web.views.measure import definition
from oversight.web.views.neighbourhoods import NOT_LOADED, comparison_records, driver_records, neighbourhood_records


class ErrorDetail(BaseModel):
    """Where and what: the facts every Oversight error carries (`OversightError.as_dict`)."""

    path: str | None
    row: int | None
    field: str | None
    reason: str


class ErrorEnvelope(BaseModel):
    """Every error of the API: {"ok": false, "error": {...}}."""

    ok: Literal[False]
    error: ErrorDetail


class Envelope(BaseModel):
    """Every JSON answer of the API: {"ok": true, "data": ..., "meta": {...}}."""

    ok: Literal[True]
    data: Any
    meta: dict[str, Any]


_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before asking again.", "schema": {"type": "integer"}}}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorEnvelope, "description": "No such measure, area, period, breakdown or format."},
    422: {"model": ErrorEnvelope, "description": "A malformed query parameter, or a query too big to answer at once."},
    429: {"model": ErrorEnvelope, "description": "Too many requests from one client; wait Retry-After seconds.",
          "headers": _RETRY_AFTER},
    503: {"model": ErrorEnvelope, "description": "The server is busy; wait Retry-After seconds.",
          "headers": _RETRY_AFTER},
}
JSON_OR_CSV: dict[int | str, dict[str, Any]] = {200: {
    "model": Envelope, "description": "JSON in the envelope, or CSV (one row per record) for the .csv address.",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}}
JSON_ONLY: dict[int | str, dict[str, Any]] = {200: {"model": Envelope, "description": "JSON in the envelope."}}
GEOJSON: dict[int | str, dict[str, Any]] = {200: {
    "description": "A GeoJSON FeatureCollection.", "content": {"application/geo+json": {"schema": {"type": "object"}}},
}}

router = APIRouter(prefix="/api/v1", tags=["open data"], responses=ERROR_RESPONSES)

Format = Literal["json", "csv"]
MAX_ROWS = 10_000
"""Most rows one request returns (and the default); use offset for the next page. Bounds the
work of one uncached request to a fraction of a second (#8)."""
MAX_SCAN = 250_000
"""Most rows one request may select before paging; a bigger query is refused (422) with a hint."""
EVERY_BREAKDOWN = "*"
MEASURE_ID_HELP = "Measure id, e.g. stop_search_volume (see /api/v1/measures.json)."


def _store(request: Request) -> Store:
    return request.app.state.store


def _answer(fmt: str, data: list[dict[str, Any]] | dict[str, Any], frame: pd.DataFrame | None, name: str,
            **meta: Any) -> Response:
    if fmt == "csv":
        table = frame if frame is not None else pd.DataFrame(data)
        return Response(frame_csv(table), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(dumps(envelope(data, **meta)), media_type="application/json")


@router.get("/", summary="What the API offers", responses=JSON_ONLY)
def index(request: Request) -> Response:
    base = "/api/v1"
    data = {
        "measures": f"{base}/measures.json", "measure": f"{base}/measures/{{measure_id}}.json",
        "values": f"{base}/measures/{{measure_id}}/values.json", "areas": f"{base}/areas.json",
        "boundaries": f"{base}/boundaries/{{level}}.geojson", "health": f"{base}/health.json",
        "reference_health": f"{base}/health/reference.json", "openapi": f"{base}/openapi.json",
        "trust_gap": f"{base}/trust-gap.json", "forces_compared": f"{base}/forces/stop-search.json",
        "neighbourhoods": f"{base}/neighbourhoods.json", "neighbourhood": f"{base}/neighbourhoods/{{code}}.json",
        "neighbourhood_drivers": f"{base}/neighbourhoods/drivers.json",
    }
    return _answer("json", data, None, "index", built_at=_store(request).built_at())


@router.get("/measures.{fmt}", summary="The measure catalogue with each measure's data status", responses=JSON_OR_CSV)
def catalogue(request: Request, fmt: Annotated[Format, Path(description="json or csv")]) -> Response:
    store = _store(request)
    frame = store.status().copy()
    frame["headline"] = [store.catalogue[m].headline for m in frame["measure"]]
    return _answer(fmt, frame_records(frame), frame, "measures", count=len(frame), built_at=store.built_at())


@router.get("/measures/{measure_id}.json", summary="One measure: definition, status, periods and breakdowns",
            responses=JSON_ONLY)
def measure(
    request: Request,
    measure_id: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,80}$", description=MEASURE_ID_HELP)],
) -> Response:
    store = _store(request)
    if measure_id not in store.catalogue:
        raise NotFound(f"there is no measure {measure_id!r}; see /api/v1/measures.json", field="measure")
    m = store.catalogue[measure_id]
    status = store.status_of(measure_id)
    data = {
        "definition": definition(m),
        "status": {k: json_safe(status.get(k)) for k in ("status", "detail", "latest_period_end", "areas")},
        "periods": [{"key": p.key, "label": p.label, "type": p.type} for p in store.periods(measure_id)],
        "breakdowns": store.breakdowns(measure_id),
        "areas": {level: len(codes) for level, codes in store.measure_areas(measure_id).items()},
        "values": f"/api/v1/measures/{measure_id}/values.json",
    }
    return _answer("json", data, None, measure_id, built_at=store.built_at())


@router.get("/measures/{measure_id}/values.{fmt}", summary="Figures of one measure, filtered", responses=JSON_OR_CSV)
def values(
    request: Request,
    measure_id: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,80}$", description=MEASURE_ID_HELP)],
    fmt: Annotated[Format, Path(description="json or csv")],
    level: Annotated[Literal["force", "bcu", "borough", "ward", "national"] | None,
                     Query(description="Area level ('national': England and Wales).")] = None,
    area: Annotated[str | None, Query(description="Area code, e.g. E09000022 (see /api/v1/areas.json).",
                                      max_length=40)] = None,
    period: Annotated[str | None, Query(description=f"One period: {PERIOD_HELP}.", max_length=20)] = None,
    period_type: Annotated[Literal["month", "fy_quarter", "financial_year", "calendar_year", "rolling_12"] | None,
                           Query(description="All periods of one type.")] = None,
    breakdown: Annotated[str | None, Query(description="One breakdown value such as 'self_defined_group=Black', 'all', "
                                                       "or '*' for every breakdown. Default: 'all' when the measure "
                                                       "has it, else every breakdown.", max_length=200)] = None,
    offset: Annotated[int, Query(ge=0, description="Rows to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS, description="Most rows to return.")] = MAX_ROWS,
) -> Response:
    store = _store(request)
    if measure_id not in store.catalogue:
        raise NotFound(f"there is no measure {measure_id!r}; see /api/v1/measures.json", field="measure")
    m = store.catalogue[measure_id]
    if breakdown is None:
        breakdown = "all" if "all" in store.breakdowns(measure_id) else EVERY_BREAKDOWN
    filters = read_filters({"level": level or "", "area": area or "", "period": period or "",
                            "period_type": period_type or "",
                            "breakdown": "" if breakdown == EVERY_BREAKDOWN else breakdown})
    # Level and period type are checked by the query layer's one filter (`query.value_filter`), under `store.order`.
    if area is not None and not any(area in codes for lvl, codes in store.measure_areas(measure_id).items()
                                    if level is None or lvl == level):
        raise NotFound(f"{measure_id} has no figures for area {area!r}; see /api/v1/areas.json", field="area")
    if filters.period is not None and filters.period not in {p.key for p in store.periods(measure_id)}:
        raise NotFound(f"{measure_id} has no figures for period {period!r}", field="period")
    if filters.breakdown is not None and filters.breakdown not in store.breakdowns(measure_id):
        raise NotFound(f"{measure_id} has no breakdown {filters.breakdown!r}; see /api/v1/measures/{measure_id}.json",
                       field="breakdown")
    chosen = None if breakdown == EVERY_BREAKDOWN else filters.breakdown
    # The order of the selected rows is read once per filter; a page then reads only its own rows (#8).
    order = store.order(measure_id, level=level, area=area, period=filters.period, period_type=period_type,
                        breakdown=chosen, most=MAX_SCAN)
    total = len(order)
    if total > MAX_SCAN:
        raise BadRequest(f"{measure_id} has more than {MAX_SCAN:,} figures for this query, more than one request "
                         "can read; narrow it with level, area, period_type or breakdown", field="level")
    rows = records(store.page(measure_id, order[offset:offset + limit]), store)
    table = pd.DataFrame(rows, columns=[*OUTPUT_COLUMNS, *CHANGE_COLUMNS, "period_key", "area_name"])
    more = offset + limit < total
    return _answer(fmt, rows, table, f"{measure_id}-values", count=len(rows), total=total, offset=offset,
                   next_offset=offset + limit if more else None, unit=m.unit, built_at=store.built_at(),
                   suppression=f"figures resting on fewer than {used_settings(store)['suppress_below']} records or "
                               "respondents are blank (see suppression_reason)")


@router.get("/areas.{fmt}", summary="Areas with figures, their names and parents", responses=JSON_OR_CSV)
def areas(
    request: Request,
    fmt: Annotated[Format, Path(description="json or csv")],
    level: Annotated[Literal["force", "bcu", "borough", "ward", "national"] | None,
                     Query(description="Only this level.")] = None,
) -> Response:
    store = _store(request)
    rows = [{"level": a.level, "code": a.code, "name": a.name, "parent_code": a.parent_code,
             "boundary": a.code in store.boundaries(a.level)} for a in store.areas(level)]
    frame = pd.DataFrame(rows, columns=["level", "code", "name", "parent_code", "boundary"])
    return _answer(fmt, rows, frame, "areas", count=len(rows), levels=list(LEVELS))


@router.get("/boundaries/{level}.geojson", summary="Area boundaries of one level (GeoJSON, simplified)",
            responses=GEOJSON, response_class=Response)  # no media type, so errors stay documented as JSON
def boundaries(request: Request, level: Literal["force", "bcu", "borough", "ward"]) -> Response:
    features = _store(request).boundaries(level)
    if not features:
        raise NotFound(f"no {level} boundaries are loaded (ingest the geography reference data)", field="level")
    body = dumps({"type": "FeatureCollection", "features": [features[code] for code in sorted(features)]})
    return Response(body, media_type="application/geo+json")


@router.get("/health.{fmt}", summary="The police.uk data-health ledger: force x dataset x month", responses=JSON_OR_CSV)
def health(request: Request, fmt: Annotated[Format, Path(description="json or csv")]) -> Response:
    store = _store(request)
    frame = store.health()
    return _answer(fmt, frame_records(frame), frame, "health", count=len(frame),
                   summary=[{k: v for k, v in s.items() if k != "flagged"} for s in police_uk_summary(frame)])


@router.get("/health/reference.{fmt}", summary="Reference datasets: files, rows and periods loaded",
            responses=JSON_OR_CSV)
def reference_health(request: Request, fmt: Annotated[Format, Path(description="json or csv")]) -> Response:
    frame, problem = _store(request).reference_health()
    return _answer(fmt, frame_records(frame), frame, "reference-health", count=len(frame), problem=problem)



@router.get("/trust-gap.{fmt}", summary="Gaps between ethnic groups in the PAS neighbourhood indicators, against the "
                                         "Plan's band", responses=JSON_OR_CSV)
def trust_gap(
    request: Request,
    fmt: Annotated[Format, Path(description="json or csv")],
    level: Annotated[Literal["force", "borough", "neighbourhood"] | None, Query(description="Only this level.")] = None,
) -> Response:
    """Black and Asian minus White British respondents, per neighbourhood, borough and force, with the
    95% Newcombe interval, the p-values of the two one-sided tests of the band, the verdict and the
    assumed respondents behind them (docs/methods.md, 'The trust gap')."""
    frame = _store(request).trust_gap()
    if level is not None and not frame.empty:
        frame = frame[frame["area_level"] == level]
    return _answer(fmt, frame_records(frame), frame, "trust-gap", count=len(frame),
                   sample_size="assumed from the survey design; no sample size is published",
                   built_at=_store(request).built_at())


FORCE_COLUMNS = ["force", "name", "compared", "ratio", "low", "high", "searches_group", "searches_reference",
                 "residents_group", "residents_reference", "precision", "verdict", "verdict_95", "best_rank",
                 "worst_rank", "not_compared", "similar"]


@router.get("/forces/stop-search.{fmt}", summary="Every force's stop-and-search rate ratio, compared on a funnel",
            responses=JSON_OR_CSV)
def forces_compared(
    request: Request,
    fmt: Annotated[Format, Path(description="json or csv")],
    group: Annotated[Literal["Black", "Asian", "Mixed", "Other"],
                     Query(description="Self-defined ethnic group compared with White people.")] = "Black",
    period: Annotated[str | None, Query(description="Financial year, e.g. 2020-21; default the newest year "
                                                    "with figures for most forces.", max_length=20)] = None,
) -> Response:
    """Each force's rate ratio with its 95% interval, the searches and residents behind it, its place
    against the funnel around the England and Wales figure (`verdict` at 99.8%, `verdict_95` at 95%),
    the ranks it could hold given overlapping intervals, the five forces most like it, and for a force
    not compared the reason."""
    end = None
    if period is not None:
        kind, end = parse_period(period, "financial_year")
        if kind != "financial_year":
            raise BadRequest("forces are compared by financial year, e.g. period=2020-21", field="period")
    try:
        c = _store(request).forces_compared(group, end)
    except ValueError as exc:
        raise NotFound(str(exc), field="period") from None
    rows = [{**{k: json_safe(v) for k, v in dataclasses.asdict(f).items()}, "compared": f.not_compared is None,
             "similar": " ".join(f.similar) if fmt == "csv" else list(f.similar)}
            for f in (*c.compared, *c.not_compared)]
    frame = pd.DataFrame(rows, columns=FORCE_COLUMNS).astype({"best_rank": "Int64", "worst_rank": "Int64"})
    return _answer(fmt, rows, frame, "forces-stop-search", group=group, reference_group=c.reference_group,
                   period=period_key(c.period_type, c.period_end) if c.periods else None,
                   england_and_wales=json_safe(c.reference_ratio),
                   between_force_variance=json_safe(c.funnel.tau2) if c.funnel else None,
                   compared=len(c.compared), count=len(rows))


NEIGHBOURHOOD_HELP = "Neighbourhood code as published, e.g. KG-KB (see /api/v1/neighbourhoods.json)."


def _comparator_loaded(store: Store) -> None:
    if store.neighbourhood_frame().empty:
        raise NotFound(NOT_LOADED, field="neighbourhood")


@router.get("/neighbourhoods.{fmt}", summary="Police neighbourhoods of the confidence comparator, with their "
            "borough, similarity group and assumed sample size", responses=JSON_OR_CSV)
def neighbourhoods(request: Request, fmt: Annotated[Format, Path(description="json or csv")]) -> Response:
    store = _store(request)
    _comparator_loaded(store)
    rows = neighbourhood_records(store)
    return _answer(fmt, rows, None, "neighbourhoods", count=len(rows), built_at=store.built_at(),
                   sample_size=f"assumed: the survey design of about {INTERVIEWS_PER_BOROUGH} interviews per borough "
                               "a year, shared evenly among the borough's neighbourhoods (no sample size is published)")


@router.get("/neighbourhoods/drivers.{fmt}", summary="How each PAS question moves with overall confidence across "
            "neighbourhoods: Spearman and Pearson correlations with 95% intervals", responses=JSON_OR_CSV)
def neighbourhood_drivers(request: Request, fmt: Annotated[Format, Path(description="json or csv")]) -> Response:
    store = _store(request)
    _comparator_loaded(store)
    rows = driver_records(store)
    return _answer(fmt, rows, None, "neighbourhood-drivers", count=len(rows), built_at=store.built_at(),
                   caution="correlation across neighbourhoods, not cause and effect")


@router.get("/neighbourhoods/{code}.{fmt}", summary="One neighbourhood against its similarity group and London, "
            "question by question, the biggest gap to its peers first", responses=JSON_OR_CSV)
def neighbourhood(
    request: Request,
    code: Annotated[str, Path(pattern=r"^[A-Z]{2}-[A-Z]{2}$", description=NEIGHBOURHOOD_HELP)],
    fmt: Annotated[Format, Path(description="json or csv")],
) -> Response:
    store = _store(request)
    _comparator_loaded(store)
    rows = comparison_records(store, code)
    return _answer(fmt, rows, None, f"neighbourhood-{code}", count=len(rows), built_at=store.built_at(),
                   design_effect=used_settings(store)["survey_design_effect"])
