"""The site's cache and snapshots (web/cache.py): bounded by what values really hold, computed
once, one cache per snapshot, snapshots opened like any warehouse connection, and the file work
of looking for a newer snapshot never done on the event loop. Swapping under a rebuild in another
process, seen through HTTP, is in test_serving.py."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import anyio.from_thread
import numpy as np
import pandas as pd
import pytest
from web.webtools import Client

from oversight.warehouse import connect
from oversight.warehouse.snapshot import publish_snapshot
from oversight.web import cache, create_app
from oversight.web.cache import Cache, Snapshots, size_of

MB = 1024 * 1024


# outputs: sizes ----------------------------------------------------------------------------------


def test_a_numpy_array_counts_at_its_real_size() -> None:
    array = np.zeros(1_000_000, dtype=np.int64)
    assert 8_000_000 <= size_of(array) < 8_001_000
    assert size_of(array[:10]) < 1_000  # a small view of it


def test_a_frame_counts_the_strings_it_holds() -> None:
    frame = pd.DataFrame({"code": [f"E09{i:06d}" + "x" * 100 for i in range(10_000)], "value": np.arange(10_000.0)})
    assert size_of(frame) > 10_000 * (100 + 8)


def test_a_long_frame_is_weighed_from_a_sample_of_its_rows_to_within_a_few_percent() -> None:
    rng = np.random.default_rng(7)
    lengths = np.sort(rng.integers(0, 200, 50_000))  # longer further down: the first rows alone would not do
    frame = pd.DataFrame({"note": ["x" * int(n) for n in lengths], "flags": [["a"] * int(n % 4) for n in lengths],
                          "value": rng.random(50_000)}).astype({"note": object})
    exact = int(frame.memory_usage(index=True, deep=True).sum())
    assert size_of(frame) == pytest.approx(exact, rel=0.03)
    assert size_of(frame.head(100)) == int(frame.head(100).memory_usage(index=True, deep=True).sum())


def test_containers_count_what_they_hold_from_a_sample() -> None:
    row = {"measure": "stop_search_volume", "area_code": "E09000022", "value": 12.0, "note": "y" * 1_000}
    one = size_of(row)
    assert one > 1_000
    assert size_of([dict(row) for _ in range(10_000)]) == pytest.approx(10_000 * one, rel=0.01)
    boundaries = {f"E{i:08d}": {"geometry": {"coordinates": [[[0.1 * j, 51.5] for j in range(2_000)]]}}
                  for i in range(30)}
    assert size_of(boundaries) > 30 * 2_000 * 2 * 24  # every point is a list of two floats


# outputs: the cache ------------------------------------------------------------------------------


def test_a_cached_value_is_reused() -> None:
    store = Cache()
    calls: list[int] = []

    def compute() -> list[int]:
        calls.append(1)
        return [1, 2, 3]

    first = store.get("key", compute)
    assert store.get("key", compute) is first
    assert store.peek("key") is first
    assert len(calls) == 1


def test_a_value_asked_for_while_being_computed_is_computed_once() -> None:
    store = Cache()
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        started.set()
        release.wait(10)
        return "answer"

    answers: list[str] = []
    first = threading.Thread(target=lambda: answers.append(store.get("key", slow)))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=lambda: answers.append(store.get("key", slow)))
    second.start()
    time.sleep(0.1)  # the second now waits for the first
    release.set()
    first.join(10)
    second.join(10)
    assert answers == ["answer", "answer"] and len(calls) == 1


def test_the_least_recently_used_go_when_the_sizes_pass_the_limit() -> None:
    store = Cache(max_bytes=20 * MB, largest=10 * MB)
    arrays = {name: np.zeros(MB, dtype=np.int64) for name in "abc"}  # 8 MB each
    store.get("a", lambda: arrays["a"])
    store.get("b", lambda: arrays["b"])
    store.peek("a")  # used again: now "b" is the least recently used
    store.get("c", lambda: arrays["c"])
    assert "a" in store and "c" in store and "b" not in store
    assert store.bytes == size_of(arrays["a"]) + size_of(arrays["c"]) <= store.max_bytes


def test_a_value_bigger_than_the_largest_entry_is_answered_but_not_kept() -> None:
    store = Cache(max_bytes=100 * MB, largest=1 * MB)
    big = np.zeros(MB, dtype=np.int64)
    assert store.get("big", lambda: big) is big
    assert "big" not in store and store.bytes == 0


def test_a_failed_computation_is_not_kept_and_is_tried_again() -> None:
    store = Cache()
    with pytest.raises(ZeroDivisionError):
        store.get("key", lambda: 1 / 0)
    assert store.get("key", lambda: "now") == "now"


# snapshots ---------------------------------------------------------------------------------------


def _rebuild(warehouse: Path, note: str) -> Path:
    """Change the warehouse and publish it, as `oversight build` does."""
    con = connect(warehouse)
    try:
        con.execute("CREATE OR REPLACE TABLE build_note AS SELECT ? AS note", [note])
    finally:
        con.close()
    return publish_snapshot(warehouse)


def _note(snapshots: Snapshots) -> str:
    with snapshots.connection() as con:
        row = con.execute("SELECT note FROM build_note").fetchone()
    assert row is not None
    return str(row[0])


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    _rebuild(path, "first")
    return path


@pytest.fixture
def snapshots(warehouse: Path) -> Any:
    served = Snapshots(warehouse)
    yield served
    served.close()


def test_a_snapshot_opens_with_the_warehouse_settings(snapshots: Snapshots, tmp_path: Path) -> None:
    other = connect(tmp_path / "other.duckdb")
    try:
        expected = other.execute("SELECT current_setting('memory_limit')").fetchone()
    finally:
        other.close()
    with snapshots.connection() as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone() == expected


def test_a_newer_snapshot_takes_over_with_its_own_cache_and_the_old_one_closes_when_done(
        snapshots: Snapshots, warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "VERSION_CHECK_SECONDS", 0.0)  # look at the folder on every call
    assert snapshots.cached(("note",), lambda: _note(snapshots)) == "first"
    with snapshots.serving():
        old = snapshots.current()
        newer = _rebuild(warehouse, "second")
        # A request under way keeps reading the snapshot it began on, and its cache.
        assert _note(snapshots) == "first" and snapshots.peek(("note",)) == "first"
        # Anyone else gets the newer one, whose cache starts empty.
        with snapshots.serving():
            assert snapshots.current().path == newer
            assert snapshots.peek(("note",)) is None
            assert snapshots.cached(("note",), lambda: _note(snapshots)) == "second"
        assert old.con is not None, "closed under a request still reading it"
    assert old.con is None  # closed once its last request ended
    assert _note(snapshots) == "second"


def test_a_vanished_snapshot_keeps_the_open_one_served(snapshots: Snapshots, warehouse: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "VERSION_CHECK_SECONDS", 0.0)
    first = snapshots.current()
    _rebuild(warehouse, "second").unlink()  # published, then gone before the server opened it
    assert snapshots.current() is first and _note(snapshots) == "first"


# inputs: the event loop --------------------------------------------------------------------------


class FileWork:
    """Records each look at the folder for snapshots and each snapshot opened: what, and whether
    it ran on the event loop."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, Path, bool]] = []
        for name in ("latest_snapshot", "connect"):
            monkeypatch.setattr(cache, name, self._recording(name, getattr(cache, name)))

    def _recording(self, name: str, function: Any) -> Any:
        def recorded(path: Path, *args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, Path(path), _on_event_loop()))
            return function(path, *args, **kwargs)
        return recorded

    def opened(self) -> list[Path]:
        return [path for name, path, _ in self.calls if name == "connect"]

    def on_the_loop(self) -> list[tuple[str, Path, bool]]:
        return [call for call in self.calls if call[2]]


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_requests_open_and_refresh_snapshots_off_the_event_loop(warehouse: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "VERSION_CHECK_SECONDS", 0.0)  # every request looks for a newer one
    first = publish_snapshot(warehouse)
    work = FileWork(monkeypatch)
    client = Client(create_app(warehouse, warm=False))
    try:
        assert client.get("/api/v1/").status_code == 200
        newer = _rebuild(warehouse, "second")
        assert client.get("/api/v1/?again").status_code == 200
    finally:
        client.close()
    assert work.opened() == [first, newer]
    assert work.on_the_loop() == []


def test_on_the_event_loop_the_open_snapshot_is_pinned_without_file_work(
        snapshots: Snapshots, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "VERSION_CHECK_SECONDS", 3600.0)
    opened = snapshots.current()
    work = FileWork(monkeypatch)

    async def request() -> tuple[Any, bool]:
        async with snapshots.serving():
            return snapshots.current(), _on_event_loop()

    with anyio.from_thread.start_blocking_portal() as portal:  # an event loop of its own thread
        pinned, on_loop = portal.call(request)
    assert pinned is opened and on_loop
    assert work.calls == []
