"""The store reads figures through the measures query layer: the filters of a web answer are
checked and applied as `oversight measure` checks and applies them, so the two cannot drift."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from web.webtools import Client, assert_api_error

from oversight.errors import OversightError
from oversight.measures.lookups import LOOKUPS
from oversight.measures.query import NoFigures, measure_values
from oversight.warehouse import connect
from oversight.warehouse.connection import table_exists
from oversight.web.records import records
from oversight.web.store import Period, Store

MEASURE = "stop_search_volume"
BOROUGH = "E09000022"
VALUES = f"/api/v1/measures/{MEASURE}/values.json"


def _periods(client: Client, period_type: str) -> list[str]:
    periods = client.get(f"/api/v1/measures/{MEASURE}.json").json()["data"]["periods"]
    return [p["key"] for p in periods if p["type"] == period_type]


@pytest.fixture(scope="module")
def store(web_warehouse: Path) -> Any:
    store = Store(web_warehouse)
    yield store
    store.close()


# inputs: a period and a period type that disagree -------------------------------------------------


def test_a_month_asked_for_as_a_quarter_is_an_error_not_the_month(client: Client) -> None:
    month = _periods(client, "month")[0]
    response = client.get(f"{VALUES}?period={month}&period_type=fy_quarter")
    body = assert_api_error(response, 422, "period_type")
    assert f"'{month}' is a month, not a fy_quarter" in body["error"]["reason"]


def test_the_store_refuses_a_period_of_another_type_in_every_read(store: Store, client: Client) -> None:
    month = _periods(client, "month")[0]
    with pytest.raises(OversightError, match="is a month, not a fy_quarter"):
        store.order(MEASURE, period=month, period_type="fy_quarter", most=10)
    with pytest.raises(OversightError, match="is a month, not a fy_quarter"):
        store.rows(MEASURE, period=month, period_type="fy_quarter")


def test_a_period_type_the_measure_does_not_have_is_an_error(client: Client) -> None:
    response = client.get("/api/v1/measures/trust_mps/values.json?period_type=month")
    assert_api_error(response, 422, "period_type")


# outputs: the same rows as the query layer --------------------------------------------------------


@pytest.mark.parametrize("filters", [
    {"level": "borough", "period_type": "fy_quarter"},
    {"area": BOROUGH, "breakdown": None},
    {"level": "borough", "area": BOROUGH, "period_type": "month", "breakdown": "all"},
    {"level": "force", "period": "latest month"},
])
def test_the_store_answers_the_rows_of_the_query_layer(store: Store, client: Client, web_warehouse: Path,
                                                       filters: dict[str, Any]) -> None:
    if filters.get("period") == "latest month":
        filters = {**filters, "period": _periods(client, "month")[0]}
    con = connect(web_warehouse, read_only=True)
    try:
        expected = measure_values(con, MEASURE, public=True, **filters)
    finally:
        con.close()
    assert not expected.empty
    paged = store.page(MEASURE, store.order(MEASURE, **filters, most=len(expected) + 10))
    pd.testing.assert_frame_equal(paged, expected)
    pd.testing.assert_frame_equal(store.values(MEASURE, **filters), expected)


def test_an_area_or_period_without_figures_is_an_empty_answer_for_pages(store: Store) -> None:
    assert store.values(MEASURE, level="borough", area="E09999999").empty
    assert store.rows(MEASURE, level="borough", area=BOROUGH, period="1999-01") == []
    assert len(store.order(MEASURE, area="E09999999", most=10)) == 0


def test_the_cli_path_refuses_the_same_filters(web_warehouse: Path) -> None:
    con = connect(web_warehouse, read_only=True)
    try:
        with pytest.raises(OversightError, match="is a month, not a fy_quarter") as mismatch:
            measure_values(con, MEASURE, period="2020-01", period_type="fy_quarter")
        with pytest.raises(OversightError, match="trust_mps has no month figures") as missing:
            measure_values(con, "trust_mps", period_type="month")
    finally:
        con.close()
    assert mismatch.value.field == missing.value.field == "period_type"


# the build's lookups: what every page needs, without scanning the figures --------------------------


def _scanned(con: Any, measure_id: str) -> tuple[list[Period], set[Period], list[str], set[tuple[str, str]]]:
    """A measure's periods (newest first within each type), clean periods (a published figure
    without a quality flag at its top level: force where it has one), breakdowns and areas, each
    read from the figures themselves."""
    periods = [Period(t, e) for t, e in con.execute(
        "SELECT DISTINCT period_type, period_end FROM measure_value WHERE measure = ? "
        "ORDER BY period_type, period_end DESC", [measure_id]).fetchall()]
    clean = {Period(t, e) for t, e in con.execute(
        """SELECT DISTINCT period_type, period_end FROM measure_value WHERE measure = ?
           AND len(quality_flags) = 0 AND value IS NOT NULL AND NOT suppressed
           AND area_level = (SELECT CASE WHEN bool_or(area_level = 'force') THEN 'force' ELSE min(area_level) END
                             FROM measure_value WHERE measure = ?)""", [measure_id, measure_id]).fetchall()}
    breakdowns = [b for (b,) in con.execute(
        "SELECT DISTINCT breakdown FROM measure_value WHERE measure = ? ORDER BY breakdown = 'all' DESC, breakdown",
        [measure_id]).fetchall()]
    areas = set(con.execute("SELECT DISTINCT area_level, area_code FROM measure_value WHERE measure = ?",
                            [measure_id]).fetchall())
    return periods, clean, breakdowns, areas


def _looked_up(store: Store, measure_id: str) -> tuple[list[Period], set[Period], list[str], set[tuple[str, str]]]:
    areas = {(level, code) for level, codes in store.measure_areas(measure_id).items() for code in codes}
    return store.periods(measure_id), store.clean_periods(measure_id), store.breakdowns(measure_id), areas


@pytest.mark.parametrize("lookups", ["written by the build", "missing (an older build)"])
def test_the_periods_breakdowns_and_areas_of_each_measure_are_those_of_its_figures(
        web_warehouse: Path, tmp_path: Path, lookups: str) -> None:
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(web_warehouse, path)
    con = connect(path)
    try:
        assert all(table_exists(con, name) for name in LOOKUPS)
        if lookups.startswith("missing"):
            for name in LOOKUPS:
                con.execute(f"DROP TABLE {name}")
        with_data = [m for (m,) in con.execute("SELECT measure FROM measure_status WHERE status = 'ok'").fetchall()]
        expected = {m: _scanned(con, m) for m in with_data}
    finally:
        con.close()
    assert any(clean != set(periods) for periods, clean, _, _ in expected.values())  # some periods are flagged
    store = Store(path)
    try:
        with store.serving():
            assert {m: _looked_up(store, m) for m in with_data} == expected
            assert _looked_up(store, "no_such_measure") == ([], set(), [], set())
    finally:
        store.close()


def test_every_measure_of_an_area_is_the_query_layers_answer(web_warehouse: Path) -> None:
    """The store cuts a measure's figures from every figure of its area read at once (through
    Arrow): each cut has the rows, values and dtypes the query layer gives for that measure."""
    store = Store(web_warehouse)
    con = connect(web_warehouse, read_only=True)
    compared = 0
    try:
        with store.serving():
            for level, area in (("force", store.force_area().code), ("borough", BOROUGH)):
                for measure_id in [m for m in store.catalogue if store.has_data(m)]:
                    if level not in store.catalogue[measure_id].levels:
                        continue
                    # A breakdown is one run of a measure's rows; a period type across breakdowns is not.
                    for breakdown, period_type in (("all", None), (None, None), (None, "month")):
                        if period_type is not None and period_type not in store.catalogue[measure_id].periods:
                            continue
                        cut = {"level": level, "area": area, "breakdown": breakdown, "period_type": period_type}
                        try:
                            expected = measure_values(con, measure_id, **cut, public=True, catalogue=store.catalogue)
                        except NoFigures:
                            assert store.values(measure_id, **cut).empty
                            assert store.rows(measure_id, **cut) == []
                            continue
                        pd.testing.assert_frame_equal(store.values(measure_id, **cut), expected)
                        # The rows pages read are made from the cut without the query layer's dtypes.
                        # As JSON, so that 1, 1.0 and True differ.
                        assert json.dumps(store.rows(measure_id, **cut)) == json.dumps(
                            records(expected.copy(), store))
                        compared += not expected.empty
    finally:
        con.close()
        store.close()
    assert compared > 40


def test_the_server_reads_what_every_page_shares_before_its_first_visitor(web_warehouse: Path) -> None:
    """The catalogue's status, the areas with their names, every measure's periods and the
    neighbourhood table are read as the server starts (its lifespan), not by whichever visitor
    comes first."""
    import anyio.from_thread

    from oversight.web import create_app

    app = create_app(web_warehouse, warm=False)
    held: dict[tuple[str, ...], bool] = {}
    force: tuple[str, ...] = ()

    async def serve_and_look() -> None:
        nonlocal force
        async with app.router.lifespan_context(app):
            store = app.state.store
            async with store.serving():
                for key in (("status",), ("areas",), ("area_names",), ("measure_periods",), ("neighbourhood_frame",)):
                    held[key] = store.peek(key) is not None
                force = ("area_measures", "force", store.force_area().code)  # reads the areas: asked last
                held[force] = store.peek(force) is not None

    with anyio.from_thread.start_blocking_portal() as portal:  # its own loop: another test's may be running here
        portal.call(serve_and_look)
    assert held.pop(force) is False  # the figures themselves are read when a page asks for them
    assert held == {("status",): True, ("areas",): True, ("area_names",): True, ("measure_periods",): True,
                    ("neighbourhood_frame",): True}


def test_a_newly_published_snapshot_is_read_before_its_first_visitor(web_warehouse: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """After a rebuild the server takes up the new snapshot: its shared lookups are read in the
    background, without the warm-up, as they are when the server starts."""
    import time

    import anyio.from_thread

    from oversight.warehouse.snapshot import publish_snapshot
    from oversight.web import cache, create_app

    monkeypatch.setattr(cache, "VERSION_CHECK_SECONDS", 0.0)  # every request looks for a newer snapshot
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(web_warehouse, warehouse)
    app = create_app(warehouse, warm=False)
    keys = (("status",), ("areas",), ("area_names",), ("measure_periods",), ("neighbourhood_frame",))
    held: dict[tuple[str, ...], bool] = {}
    built_at: list[object] = []

    async def serve_rebuild_and_look() -> None:
        async with app.router.lifespan_context(app):
            store = app.state.store
            built_at.append(store.built_at())
            con = connect(warehouse)
            con.execute("UPDATE measure_status SET built_at = built_at + INTERVAL 1 DAY")
            con.close()
            publish_snapshot(warehouse)
            with store.serving():  # a visitor's request finds the new snapshot, and asks for nothing
                pass
            deadline = time.monotonic() + 30
            while not all(store.peek(k) is not None for k in keys) and time.monotonic() < deadline:
                await anyio.sleep(0.05)
            held.update({k: store.peek(k) is not None for k in keys})
            built_at.append(store.built_at())

    with anyio.from_thread.start_blocking_portal() as portal:
        portal.call(serve_rebuild_and_look)
    assert built_at[1] > built_at[0]  # the lookups are the new snapshot's
    assert held == dict.fromkeys(keys, True)


def test_a_newer_snapshot_s_warm_up_stops_the_older_one(web_warehouse: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild published while the start-up warm-up is still building pages: the older warm-up
    is told to stop, the newer one runs, and the server stopping stops that one too."""
    import threading
    import time

    import anyio.from_thread

    from oversight.warehouse.snapshot import publish_snapshot
    from oversight.web import cache, create_app, pages

    monkeypatch.setattr(cache, "VERSION_CHECK_SECONDS", 0.0)
    signals: list[threading.Event] = []
    began = threading.Semaphore(0)

    def slow_warm_up(app: Any, stopping: threading.Event) -> None:  # builds pages until told to stop
        signals.append(stopping)
        began.release()
        stopping.wait(60)

    monkeypatch.setattr(pages, "warm_up", slow_warm_up)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(web_warehouse, warehouse)
    app = create_app(warehouse, warm=True)
    seen: dict[str, bool] = {}

    async def serve_and_rebuild() -> None:
        async with app.router.lifespan_context(app):
            assert began.acquire(timeout=30)  # the start-up warm-up is running
            con = connect(warehouse)
            con.execute("UPDATE measure_status SET built_at = built_at + INTERVAL 1 DAY")
            con.close()
            publish_snapshot(warehouse)
            with app.state.store.serving():  # a visitor's request finds the new snapshot
                pass
            assert began.acquire(timeout=30)  # the new snapshot's warm-up began
            deadline = time.monotonic() + 10
            while not signals[0].is_set() and time.monotonic() < deadline:
                await anyio.sleep(0.05)
            seen.update(older_stopped=signals[0].is_set(), newer_running=not signals[1].is_set())
        seen.update(newer_stopped_with_the_server=signals[1].is_set())

    with anyio.from_thread.start_blocking_portal() as portal:
        portal.call(serve_and_rebuild)
    assert len(signals) == 2
    assert seen == {"older_stopped": True, "newer_running": True, "newer_stopped_with_the_server": True}


def test_a_warehouse_built_before_the_not_comparable_reason_is_served_as_before(web_warehouse: Path,
                                                                              tmp_path: Path) -> None:
    """Without `not_comparable_because` (built by older code) an area's pages, its API figures and
    their CSV answer as before, with the reason empty and the old words."""
    with _serving_a_copy(web_warehouse, tmp_path, "ALTER TABLE measure_value DROP COLUMN not_comparable_because") \
            as client:
        page = client.get(f"/stop-search/?level=borough&area={BOROUGH}")
        assert page.status_code == 200
        figures = client.get(f"{VALUES}?level=borough&area={BOROUGH}&period_type=month").json()["data"]
        assert figures and {f["not_comparable_because"] for f in figures} == {None}
        table = client.get("/api/v1/measures/total_recorded_crime/values.csv?level=force&period_type=fy_quarter")
        assert table.status_code == 200 and "not_comparable_because" in table.text.splitlines()[0]
        crime = client.get("/measures/total_recorded_crime/?period_type=fy_quarter")
        assert crime.status_code == 200
        assert "(a change of source, a series break or a flagged month)" in crime.text


def test_too_few_points_names_the_window_the_figures_were_built_with(web_warehouse: Path, tmp_path: Path) -> None:
    """A build recorded with a 24-month SPC window, served by a process whose own setting is 36:
    the badge says 24, on the overview's cards and on a measure's series."""
    from oversight import config

    assert config.default("spc_window_months") == 36
    with _serving_a_copy(web_warehouse, tmp_path,
                         "UPDATE measure_setting SET value = '24' WHERE name = 'spc_window_months'") as client:
        for path in (f"/?level=borough&area={BOROUGH}",
                     f"/measures/total_recorded_crime/?level=borough&area={BOROUGH}"):
            page = client.get(path)
            assert page.status_code == 200
            assert "Too few points" in page.text, path
            assert "within the last 24 months" in page.text and "within the last 36 months" not in page.text, path


@contextlib.contextmanager
def _serving_a_copy(web_warehouse: Path, tmp_path: Path, change: str) -> Iterator[Client]:
    """A client of the site on a copy of the session's warehouse with `change` (SQL) made to it."""
    from oversight.web import create_app

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(web_warehouse, warehouse)
    con = connect(warehouse)
    con.execute(change)
    con.close()
    client = Client(create_app(warehouse, warm=False))
    try:
        yield client
    finally:
        client.close()
