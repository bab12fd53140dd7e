"""Serving under rebuilds and load: the server reads published snapshots, so a build in another
process is never blocked and never shows as errors (#9); cached answers stay fast while
uncached work is bounded and shed with 503 and Retry-After (#8); errors show no paths."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner
from web.webtools import REPO, Client, assert_api_error

from oversight.warehouse import connect
from oversight.warehouse.snapshot import latest_snapshot, snapshot_is_current, snapshots
from oversight.web import create_app, traffic
from oversight.web.store import Budget, Busy, Store

HOLD_THE_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(60)
"""

REBUILD = """
import sys
from oversight.warehouse import connect
from oversight.warehouse.snapshot import publish_snapshot
con = connect(sys.argv[1])
con.execute("UPDATE measure_status SET built_at = built_at + INTERVAL 1 DAY")
con.close()
publish_snapshot(sys.argv[1])
"""


def _command(script: str, *args: str) -> list[str]:
    return [sys.executable, "-c", script, *args]


def _run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a script in another process (as `oversight build` would be), to the end."""
    return subprocess.run(_command(script, *args), capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(REPO / "src")})


@pytest.fixture
def warehouse_copy(web_warehouse: Path, tmp_path: Path) -> Path:
    """A copy of the session's warehouse, with no snapshot yet."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(web_warehouse, copy)
    return copy


@pytest.fixture
def serving(warehouse_copy: Path) -> Any:
    client = Client(create_app(warehouse_copy, warm=False))
    yield client
    client.close()


# inputs: a rebuild in another process while serving (#9) ------------------------------------------


def test_a_rebuild_in_another_process_is_not_blocked_and_shows_up_without_errors(warehouse_copy: Path,
                                                                                 serving: Client) -> None:
    before = serving.get("/api/v1/").json()["meta"]["built_at"]
    statuses: list[int] = []
    stop = threading.Event()

    def visitor() -> None:  # a page and an uncached API answer, again and again, through the swap
        while not stop.is_set():
            statuses.append(serving.get("/").status_code)
            statuses.append(serving.get(f"/api/v1/measures.json?visit={len(statuses)}").status_code)

    thread = threading.Thread(target=visitor)
    thread.start()
    try:
        rebuild = _run(REBUILD, str(warehouse_copy))
        assert rebuild.returncode == 0, rebuild.stderr
        deadline = time.monotonic() + 10
        while serving.get("/api/v1/").json()["meta"]["built_at"] == before:
            assert time.monotonic() < deadline, "the new snapshot was not picked up"
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join()
    assert statuses and set(statuses) == {200}
    assert len(snapshots(warehouse_copy)) == 1  # the older snapshot was removed once replaced


def test_the_server_never_holds_the_warehouse_lock(warehouse_copy: Path, serving: Client) -> None:
    assert serving.get("/crime/").status_code == 200
    writer = _run("import sys, duckdb; duckdb.connect(sys.argv[1]).close()", str(warehouse_copy))
    assert writer.returncode == 0, writer.stderr


def test_the_build_command_publishes_the_snapshot_it_built(tmp_path: Path) -> None:
    from oversight.cli import app

    warehouse = tmp_path / "w.duckdb"
    connect(warehouse).close()
    result = CliRunner().invoke(app, ["--warehouse", str(warehouse), "build"])
    assert result.exit_code == 0, result.output
    assert snapshot_is_current(warehouse)
    assert f"published for the site as {latest_snapshot(warehouse).name}" in result.output  # type: ignore[union-attr]


# outputs: errors shown to the public reveal no paths (#9) -------------------------------------------


def _assert_no_internals(text: str, *paths: Path) -> None:
    for path in paths:
        assert str(path) not in text
    for word in ("python", "PID", ".duckdb", "/tmp", "Traceback"):
        assert word not in text, word


def test_without_published_figures_the_answer_is_a_503_without_paths(tmp_path: Path) -> None:
    client = Client(create_app(tmp_path / "nothing.duckdb", warm=False))
    try:
        page = client.get("/crime/")
        assert page.status_code == 503 and page.headers["retry-after"]
        _assert_no_internals(page.text, tmp_path)
        api = client.get("/api/v1/measures.json")
        assert assert_api_error(api, 503)["error"]["path"] is None
        _assert_no_internals(api.text, tmp_path)
    finally:
        client.close()


def test_a_warehouse_locked_by_a_build_before_any_snapshot_is_a_503_without_paths(warehouse_copy: Path) -> None:
    holder = subprocess.Popen(_command(HOLD_THE_LOCK, str(warehouse_copy)), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        client = Client(create_app(warehouse_copy, warm=False))
        try:
            for url in ("/", "/api/v1/measures.json", "/measures/stop_search_volume/index.json"):
                response = client.get(url)
                assert response.status_code == 503, url
                _assert_no_internals(response.text, warehouse_copy)
        finally:
            client.close()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()  # type: ignore[union-attr]


# inputs: load (#8) -----------------------------------------------------------------------------


def test_a_page_of_figures_never_reads_the_whole_selection(serving: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def whole_selection(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the values route read every figure of the query")

    monkeypatch.setattr(Store, "values", whole_selection)
    url = "/api/v1/measures/stop_search_volume/values.json?level=borough&breakdown=*&limit=7&offset={}"
    first, second = (serving.get(url.format(offset)).json() for offset in (0, 7))
    both = serving.get(url.format(0).replace("limit=7", "limit=14")).json()
    assert len(first["data"]) == 7 and first["data"] + second["data"] == both["data"]
    assert first["meta"]["total"] == both["meta"]["total"] > 14


def test_cached_answers_are_served_while_every_work_slot_is_busy(warehouse_copy: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(traffic, "MAX_RUNNING", 1)
    monkeypatch.setattr(traffic, "MAX_WAITING", 0)
    app = create_app(warehouse_copy, warm=False)
    release = threading.Event()
    app.add_api_route("/slow", lambda: release.wait(30) and {"slow": True})
    client = Client(app)
    try:
        assert client.get("/").status_code == 200  # now cached
        slow = threading.Thread(target=client.get, args=("/slow",))
        slow.start()
        time.sleep(0.3)  # it holds the only work slot
        busy = client.get("/api/v1/measures.json?uncached=1")
        assert_api_error(busy, 503)
        assert busy.headers["retry-after"] == "2"
        started = time.perf_counter()
        assert client.get("/").status_code == 200
        assert time.perf_counter() - started < 0.5
        release.set()
        slow.join()
        assert client.get("/api/v1/measures.json?uncached=1").status_code == 200
    finally:
        release.set()
        client.close()


def test_a_request_out_of_time_is_a_503_with_retry_after(warehouse_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(traffic, "WAIT_SECONDS", 1.0)
    monkeypatch.setattr(traffic, "WORK_SECONDS", -1.0)  # spent before it starts
    client = Client(create_app(warehouse_copy, warm=False))
    try:
        response = client.get("/api/v1/measures/stop_search_volume/values.json?limit=3")
        assert_api_error(response, 503)
        assert response.headers["retry-after"] == "2"
        assert client.get("/measures/").status_code == 503
    finally:
        client.close()


def test_cancelling_a_budget_interrupts_its_running_query() -> None:
    budget = Budget(60)
    cursor = duckdb.connect().cursor()
    threading.Timer(0.3, budget.cancel).start()
    started = time.perf_counter()
    with pytest.raises(Busy, match="abandoned"), budget.watching(cursor):
        cursor.execute("SELECT sum(hash(i)) FROM range(100000000000) t(i)").fetchall()
    assert time.perf_counter() - started < 10
