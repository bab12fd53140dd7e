"""The web layer's one door to the warehouse: cached reads of the measures table and friends.

Figures come only through `oversight.measures.query` (always `public=True`), whose
`value_filter` checks and applies every filter, for the CLI and the site alike; this module adds
the few lookups pages need (area names, boundaries, which periods and areas a measure has) and
caches everything, because what the site shows only changes when a snapshot is published.

The server reads the newest published snapshot of the warehouse (`warehouse/snapshot.py`), never
the warehouse itself, so `oversight build` is never blocked by it. Each snapshot is opened
read-only once and has its own cache; when a newer one appears (checked at most once a second)
it takes over, and the old one closes once the requests still reading it are done. A request
is pinned to one snapshot (`Store.serving`), so a page never mixes two builds.

`Store.serving` also bounds the work of a request: a query still running at its deadline, or
after its client has gone, is interrupted, and the request ends with `Busy` (503).
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import datetime as dt
import logging
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb
import numpy as np
import pandas as pd

from oversight import config
from oversight.errors import OversightError, WarehouseError
from oversight.measures.catalogue import Measure, load_catalogue
from oversight.measures.health import force_names
from oversight.measures.periods import period_key, period_label
from oversight.measures.query import (
    VALUE_ORDER,
    NoFigures,
    catalogue_status,
    has_measures_table,
    measure_values,
    present_values,
    value_filter,
)
from oversight.warehouse.snapshot import latest_snapshot, publish_snapshot, snapshot_is_current
from oversight.web.records import records

log = logging.getLogger("oversight.web")

CACHE_BYTES: Final = 256 * 1024 * 1024
"""Memory the cache of one snapshot may use (estimated); the least recently used entries go first."""
LARGEST_ENTRY: Final = CACHE_BYTES // 16
"""A result bigger than this is not kept (a whole measure at every level, say)."""
VERSION_CHECK_SECONDS: Final = 1.0
"""How often the folder is looked at for a newer snapshot."""
RETRY_AFTER_SECONDS: Final = 2
"""What a 503 asks the client to wait before trying again."""
LEVEL_ORDER: Final = ("force", "bcu", "borough", "ward")
LEVEL_NAMES: Final = {"force": "Force", "bcu": "Basic Command Unit", "borough": "Borough", "ward": "Ward"}


class Busy(OversightError):
    """The server cannot answer this request now (overloaded, or the request ran out of time): 503."""

    status = 503
    retry_after = RETRY_AFTER_SECONDS


@dataclass(frozen=True)
class Area:
    level: str
    code: str
    name: str
    parent_code: str | None = None

    @property
    def label(self) -> str:
        return self.name if self.name == self.code else f"{self.name} ({self.code})"


@dataclass(frozen=True)
class Period:
    type: str
    end: dt.date

    @property
    def key(self) -> str:
        return period_key(self.type, self.end)

    @property
    def label(self) -> str:
        return period_label(self.type, self.end)


class Budget:
    """How long one request may work, and whether its client is still there. Queries running
    when it runs out are interrupted; new ones are refused."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.cancelled = False
        self._cursors: set[duckdb.DuckDBPyConnection] = set()
        self._lock = threading.Lock()

    def check(self) -> None:
        if self.cancelled:
            raise Busy("the request was abandoned")
        if time.monotonic() > self.deadline:
            raise Busy("the server is busy and could not answer in time; please try again shortly")

    def cancel(self) -> None:
        """The client has gone: stop the work done for it."""
        self.cancelled = True
        with self._lock:
            for cursor in self._cursors:
                cursor.interrupt()

    @contextlib.contextmanager
    def watching(self, cursor: duckdb.DuckDBPyConnection) -> Iterator[None]:
        self.check()
        timer = threading.Timer(max(0.0, self.deadline - time.monotonic()), cursor.interrupt)
        timer.daemon = True
        with self._lock:
            self._cursors.add(cursor)
        timer.start()
        try:
            yield
        except duckdb.InterruptException:
            self.check()
            raise Busy("the query was interrupted") from None
        finally:
            timer.cancel()
            with self._lock:
                self._cursors.discard(cursor)


class _Snapshot:
    """One published snapshot, open read-only, with its cache; closed once retired and unused."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.con: duckdb.DuckDBPyConnection | None
        try:
            self.con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open the published snapshot: {exc}", path=str(path)) from exc
        self.con.execute("SET TimeZone = 'UTC'")
        self.cache: OrderedDict[tuple[Any, ...], tuple[Any, int]] = OrderedDict()
        self.cache_bytes = 0
        self.pending: dict[tuple[Any, ...], threading.Lock] = {}
        self.users = 0
        self.retired = False
        self.lock = threading.RLock()
        _OPEN.add(self)

    def enter(self) -> None:
        with self.lock:
            self.users += 1

    def leave(self) -> None:
        with self.lock:
            self.users -= 1
            if self.retired and self.users == 0:
                self.close()

    def retire(self) -> None:
        with self.lock:
            self.retired = True
            if self.users == 0:
                self.close()

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None  # freed now, not whenever the snapshot object is


_OPEN: weakref.WeakSet[_Snapshot] = weakref.WeakSet()


@atexit.register
def _close_open_snapshots() -> None:
    """Close what is still open when the process ends (DuckDB objects must not outlive it)."""
    for snapshot in list(_OPEN):
        snapshot.close()


_PINNED: contextvars.ContextVar[_Snapshot | None] = contextvars.ContextVar("oversight_snapshot", default=None)
_BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("oversight_budget", default=None)


class Store:
    """Cached, read-only access to the published snapshots of one warehouse."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._snapshot: _Snapshot | None = None
        self._checked = 0.0
        self._problem: WarehouseError | None = None
        self.on_new_snapshot: list[Callable[[], None]] = []
        """Called (in the thread that noticed it) when a newer snapshot takes over, e.g. to warm it."""
        self.catalogue: dict[str, Measure] = load_catalogue()

    def close(self) -> None:
        """Let go of the snapshot being served (requests still reading it finish first)."""
        with self._lock:
            snapshot, self._snapshot = self._snapshot, None
        if snapshot is not None:
            snapshot.retire()

    # snapshots, connections and the cache ---------------------------------------------------

    def _current(self) -> _Snapshot:
        """The snapshot this request is pinned to, else the newest one."""
        return _PINNED.get() or self._refresh()

    def _enter(self) -> _Snapshot:
        """`_current()`, counted as in use until `leave()`, so it cannot be closed meanwhile."""
        pinned = _PINNED.get()
        if pinned is not None:
            pinned.enter()
            return pinned
        return self._refresh(enter=True)

    def _refresh(self, *, enter: bool = False) -> _Snapshot:
        now = time.monotonic()
        previous = None
        with self._lock:
            if now - self._checked >= VERSION_CHECK_SECONDS or self._snapshot is None:
                previous = self._look_for_newer(now)
            current = self._snapshot
            assert current is not None
            if enter:
                current.enter()
            if previous is not None:
                previous.retire()
        if previous is not None:
            log.info("serving the snapshot %s", current.path.name)
            for callback in self.on_new_snapshot:
                callback()
        return current

    def _look_for_newer(self, now: float) -> _Snapshot | None:
        """Open a newer snapshot when there is one; returns the one it replaces. Raises
        WarehouseError only while there is nothing to serve (at most once a second)."""
        if self._snapshot is None and self._problem is not None and now - self._checked < VERSION_CHECK_SECONDS:
            raise self._problem
        self._checked = now
        try:
            newest = self._newest()
            if self._snapshot is not None and self._snapshot.path == newest:
                return None
            opened = _Snapshot(newest)
        except WarehouseError as exc:
            self._problem = exc
            if self._snapshot is None:
                raise
            return None  # keep serving what is open
        previous, self._snapshot, self._problem = self._snapshot, opened, None
        return previous

    def _newest(self) -> Path:
        """The newest snapshot; on first use one is published when there is none, or when the
        warehouse changed since (the server is not serving yet, so it holds no one up)."""
        if self._snapshot is None and self.path.exists() and not snapshot_is_current(self.path):
            try:
                publish_snapshot(self.path)
            except WarehouseError as exc:
                log.warning("serving the last published snapshot: %s", exc)
        newest = latest_snapshot(self.path)
        if newest is None:
            raise WarehouseError(
                "no figures published yet; load data with 'oversight ingest' and run 'oversight build'",
                path=str(self.path),
            )
        return newest

    @contextlib.contextmanager
    def serving(self, budget: Budget | None = None) -> Iterator[None]:
        """Pin the calls inside to one snapshot (when one can be opened) and bound their work."""
        try:
            snapshot: _Snapshot | None = self._refresh(enter=True)
        except WarehouseError:
            snapshot = None  # the request itself reports it, on its page
        pinned, budgeted = _PINNED.set(snapshot), _BUDGET.set(budget)
        try:
            yield
        finally:
            _PINNED.reset(pinned)
            _BUDGET.reset(budgeted)
            if snapshot is not None:
                snapshot.leave()

    @contextlib.contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the snapshot being served, watched by the request's budget."""
        snapshot = self._enter()
        budget = _BUDGET.get()
        try:
            assert snapshot.con is not None, "a snapshot in use is never closed"
            cursor = snapshot.con.cursor()
            try:
                if budget is None:
                    yield cursor
                else:
                    with budget.watching(cursor):
                        yield cursor
            finally:
                cursor.close()
        finally:
            snapshot.leave()

    def peek(self, key: tuple[Any, ...]) -> Any | None:
        """The cached value for `key`, or None: never computes, never waits."""
        try:
            snapshot = self._current()
        except WarehouseError:
            return None
        with snapshot.lock:
            found = snapshot.cache.get(key)
            if found is None:
                return None
            snapshot.cache.move_to_end(key)
            return found[0]

    def cached(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """`compute()` once per key and snapshot, kept in an LRU of CACHE_BYTES. Requests
        arriving while the same key is being computed wait for that result instead of
        computing it again (keys nest page > figures > lookups, never in a cycle)."""
        snapshot = self._current()
        with snapshot.lock:
            if key in snapshot.cache:
                snapshot.cache.move_to_end(key)
                return snapshot.cache[key][0]
            pending = snapshot.pending.setdefault(key, threading.Lock())
        with pending:
            with snapshot.lock:
                if key in snapshot.cache:
                    return snapshot.cache[key][0]
            try:
                value = compute()
            except BaseException:
                with snapshot.lock:
                    snapshot.pending.pop(key, None)
                raise
            size = _size(value)
            with snapshot.lock:
                if size <= LARGEST_ENTRY:
                    snapshot.cache[key] = (value, size)
                    snapshot.cache_bytes += size
                snapshot.pending.pop(key, None)
                while snapshot.cache_bytes > CACHE_BYTES and snapshot.cache:
                    snapshot.cache_bytes -= snapshot.cache.popitem(last=False)[1][1]
        return value

    # the catalogue --------------------------------------------------------------------------

    def measure(self, measure_id: str) -> Measure:
        found = self.catalogue.get(measure_id)
        if found is None:
            raise OversightError(
                f"there is no measure {measure_id!r}; the catalogue lists {len(self.catalogue)} "
                "(see the measures page)", field="measure",
            )
        return found

    def status(self) -> pd.DataFrame:
        """`catalogue_status`: one row per measure with status, detail, latest period and areas."""
        def load() -> pd.DataFrame:
            with self.connection() as con:
                return catalogue_status(con, self.catalogue)
        return self.cached(("status",), load)

    def status_of(self, measure_id: str) -> dict[str, Any]:
        by_id = self.cached(("status_by_id",), lambda: {r["measure"]: r for r in self.status().to_dict("records")})
        found = by_id.get(measure_id)
        if found is None:
            return {"status": "not built", "detail": "run 'oversight build'", "latest_period_end": None, "areas": 0}
        return dict(found)

    def has_data(self, measure_id: str) -> bool:
        return self.status_of(measure_id)["status"] == "ok"

    # figures ---------------------------------------------------------------------------------

    def values(
        self,
        measure_id: str,
        *,
        level: str | None = None,
        area: str | None = None,
        period: str | None = None,
        period_type: str | None = None,
        breakdown: str | None = "all",
    ) -> pd.DataFrame:
        """Public figures (suppressed ones blanked) for one measure; empty when it has none."""
        key = ("values", measure_id, level, area, period, period_type, breakdown)

        def load() -> pd.DataFrame:
            if not self.has_data(measure_id):
                return pd.DataFrame()
            with self.connection() as con:
                try:
                    return measure_values(con, measure_id, level=level, area=area, period=period,
                                          period_type=period_type, breakdown=breakdown, public=True,
                                          catalogue=self.catalogue)
                except NoFigures:  # a page shows nothing where the CLI says so
                    return pd.DataFrame()
        return self.cached(key, load)

    def order(
        self, measure_id: str, *, level: str | None = None, area: str | None = None, period: str | None = None,
        period_type: str | None = None, breakdown: str | None = "all", most: int,
    ) -> np.ndarray:
        """The row ids of the figures `values` would return, in its order: read once per filter
        (a sort of row ids only), so any page of it is then one lookup of `limit` rows. At most
        `most` + 1 ids: a longer answer means the query selects too many to page through."""
        def load() -> np.ndarray:
            none = np.empty(0, dtype=np.int64)
            if not self.has_data(measure_id):
                return none
            with self.connection() as con:
                try:
                    where, params = value_filter(con, measure_id, level=level, area=area, period=period,
                                                 period_type=period_type, breakdown=breakdown,
                                                 catalogue=self.catalogue)
                except NoFigures:
                    return none
                found = con.execute(f"SELECT rowid FROM measure_value WHERE {where} ORDER BY {VALUE_ORDER} LIMIT ?",
                                    [*params, most + 1]).fetchnumpy()["rowid"]
            return np.asarray(found, dtype=np.int64)
        return self.cached(("order", measure_id, level, area, period, period_type, breakdown, most), load)

    def page(self, measure_id: str, rows: np.ndarray) -> pd.DataFrame:
        """Public figures (as `values`) of the rows given by id (from `order`), in that order."""
        if len(rows) == 0:
            return pd.DataFrame()
        with self.connection() as con:
            frame = con.execute("SELECT rowid AS row_id, * FROM measure_value WHERE rowid IN (SELECT unnest(?))",
                                [rows.tolist()]).df()
        frame = frame.set_index("row_id").loc[rows].reset_index(drop=True)
        return present_values(frame, public=True)

    def rows(
        self,
        measure_id: str,
        *,
        level: str | None = None,
        area: str | None = None,
        period: str | None = None,
        period_type: str | None = None,
        breakdown: str | None = "all",
    ) -> list[dict[str, Any]]:
        """`values` as JSON-safe dicts (see records.py): a fresh copy of each, free to change."""
        key = ("rows", measure_id, level, area, period, period_type, breakdown)
        found = self.cached(key, lambda: records(self.values(
            measure_id, level=level, area=area, period=period, period_type=period_type, breakdown=breakdown), self))
        return [dict(r) for r in found]

    def breakdown_rows(self, measure_id: str, *, level: str, area: str, period: str, dimension: str) -> list[dict[str, Any]]:
        """Every value of one breakdown dimension (e.g. self_defined_group=...) for one area and period."""
        every = self.rows(measure_id, level=level, area=area, period=period, breakdown=None)
        return [r for r in every if r["breakdown"].startswith(dimension + "=")]

    def periods(self, measure_id: str) -> list[Period]:
        """Every period a measure has figures for, newest first within each type."""
        def load() -> list[Period]:
            if not self.has_data(measure_id):
                return []
            with self.connection() as con:
                rows = con.execute(
                    "SELECT DISTINCT period_type, period_end FROM measure_value WHERE measure = ? "
                    "ORDER BY period_type, period_end DESC",
                    [measure_id],
                ).fetchall()
            return [Period(t, e) for t, e in rows]
        return self.cached(("periods", measure_id), load)

    def clean_periods(self, measure_id: str) -> set[Period]:
        """Periods with at least one published figure that carries no quality flag."""
        def load() -> set[Period]:
            if not self.has_data(measure_id):
                return set()
            with self.connection() as con:
                # Judged at the top level the measure has (force, where there is one): a default
                # view must not open on a period whose force figure is flagged.
                rows = con.execute(
                    """SELECT DISTINCT period_type, period_end FROM measure_value WHERE measure = ?
                       AND len(quality_flags) = 0 AND value IS NOT NULL AND NOT suppressed
                       AND area_level = (SELECT CASE WHEN bool_or(area_level = 'force') THEN 'force'
                                                     ELSE min(area_level) END
                                         FROM measure_value WHERE measure = ?)""",
                    [measure_id, measure_id],
                ).fetchall()
            return {Period(t, e) for t, e in rows}
        return self.cached(("clean_periods", measure_id), load)

    def latest_period(self, measure_id: str, period_type: str) -> Period | None:
        """The latest period of a type whose figures are not all flagged for quality (a default view
        never opens on an incomplete month), else the latest period of the type."""
        return self._latest_periods(measure_id).get(period_type)

    def _latest_periods(self, measure_id: str) -> dict[str, Period]:
        """`latest_period` for every period type of a measure, worked out once."""
        def load() -> dict[str, Period]:
            clean = self.clean_periods(measure_id)
            latest: dict[str, Period] = {}
            fallback: dict[str, Period] = {}
            for p in self.periods(measure_id):  # newest first within each type
                fallback.setdefault(p.type, p)
                if p in clean:
                    latest.setdefault(p.type, p)
            return {**fallback, **latest}
        return self.cached(("latest_periods", measure_id), load)

    def breakdowns(self, measure_id: str) -> list[str]:
        """Breakdown values a measure has, 'all' first."""
        def load() -> list[str]:
            if not self.has_data(measure_id):
                return []
            with self.connection() as con:
                rows = con.execute(
                    "SELECT DISTINCT breakdown FROM measure_value WHERE measure = ? ORDER BY breakdown",
                    [measure_id],
                ).fetchall()
            found = [r[0] for r in rows]
            return sorted(found, key=lambda b: (b != "all", b))
        return self.cached(("breakdowns", measure_id), load)

    def measure_areas(self, measure_id: str) -> dict[str, set[str]]:
        """Area codes a measure has figures for, by level."""
        def load() -> dict[str, set[str]]:
            found: dict[str, set[str]] = {}
            for level, code in self._all_area_codes():
                if (level, code, measure_id) in self._measure_area_index():
                    found.setdefault(level, set()).add(code)
            return found
        return self.cached(("measure_areas", measure_id), load)

    def _measure_area_index(self) -> set[tuple[str, str, str]]:
        def load() -> set[tuple[str, str, str]]:
            with self.connection() as con:
                if not has_measures_table(con):
                    return set()
                rows = con.execute("SELECT DISTINCT area_level, area_code, measure FROM measure_value").fetchall()
            return {(lvl, code, m) for lvl, code, m in rows}
        return self.cached(("measure_area_index",), load)

    def _all_area_codes(self) -> set[tuple[str, str]]:
        return self.cached(("area_codes",), lambda: {(lvl, code) for lvl, code, _ in self._measure_area_index()})

    # areas -----------------------------------------------------------------------------------

    def areas(self, level: str | None = None) -> list[Area]:
        """Areas with figures, named from the `area` table when loaded (else by code), sorted by name."""
        def load() -> list[Area]:
            names = self._area_names()
            found = [
                Area(lvl, code, names.get((lvl, code), (code, None))[0], names.get((lvl, code), (code, None))[1])
                for lvl, code in self._all_area_codes()
            ]
            return sorted(found, key=lambda a: (LEVEL_ORDER.index(a.level) if a.level in LEVEL_ORDER else 9,
                                                a.name.lower(), a.code))
        every = self.cached(("areas",), load)
        return [a for a in every if level is None or a.level == level]

    def area(self, code: str, level: str | None = None) -> Area | None:
        index = self.cached(("area_index",), lambda: {(a.level, a.code): a for a in self.areas()})
        if level is not None:
            return index.get((level, code))
        return next((a for (lvl, c), a in index.items() if c == code), None)

    def force_area(self) -> Area:
        forces = self.areas("force")
        wanted = str(config.default("default_force"))
        return next((a for a in forces if a.code == wanted), forces[0] if forces else
                    Area("force", wanted, force_names().get(wanted, wanted)))

    def _area_names(self) -> dict[tuple[str, str], tuple[str, str | None]]:
        def load() -> dict[tuple[str, str], tuple[str, str | None]]:
            names: dict[tuple[str, str], tuple[str, str | None]] = {
                ("force", fid): (name, None) for fid, name in force_names().items()
            }
            with self.connection() as con:
                if _table_exists(con, "area"):
                    for level, code, name, parent in con.execute(
                        "SELECT level, code, name, parent_code FROM area WHERE level <> 'lsoa'"
                    ).fetchall():
                        names[(level, code)] = (name, parent)
            return names
        return self.cached(("area_names",), load)

    def boundaries(self, level: str) -> dict[str, dict[str, Any]]:
        """GeoJSON features by area code for one level; empty when boundaries are not loaded."""
        import json

        def load() -> dict[str, dict[str, Any]]:
            with self.connection() as con:
                if not _table_exists(con, "area_boundary"):
                    return {}
                rows = con.execute("SELECT code, geojson FROM area_boundary WHERE level = ?", [level]).fetchall()
            return {code: json.loads(text) for code, text in rows}
        return self.cached(("boundaries", level), load)

    # data health ------------------------------------------------------------------------------

    def health(self) -> pd.DataFrame:
        from oversight.warehouse.health import health_ledger

        def load() -> pd.DataFrame:
            with self.connection() as con:
                return health_ledger(con)
        return self.cached(("health",), load)

    def reference_health(self) -> tuple[pd.DataFrame, str | None]:
        """The reference-dataset ledger, and why it could not be read (None when it could)."""
        from oversight.measures.health import reference_health
        from oversight.warehouse.health import REFERENCE_HEALTH_COLUMNS

        def load() -> tuple[pd.DataFrame, str | None]:
            with self.connection() as con:
                try:
                    return reference_health(con), None
                except duckdb.Error as exc:
                    # A dataset declared in the code but not yet in this warehouse's schema.
                    reason = str(exc).splitlines()[0]
                    return pd.DataFrame(columns=REFERENCE_HEALTH_COLUMNS), reason
        return self.cached(("reference_health",), load)

    def built_at(self) -> str | None:
        def load() -> str | None:
            with self.connection() as con:
                if not _table_exists(con, "measure_status"):
                    return None
                # Formatted in SQL: reading a TIMESTAMPTZ into Python would need pytz.
                row = con.execute(
                    "SELECT strftime(timezone('UTC', max(built_at)), '%-d %B %Y %H:%M') FROM measure_status"
                ).fetchone()
            return None if row is None or row[0] is None else f"{row[0]} UTC"
        return self.cached(("built_at",), load)


def _size(value: Any) -> int:
    """A rough size in bytes: enough to keep the cache's memory bounded."""
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(index=False).sum()) * 3 + 1024  # object columns hold more than pointers
    if isinstance(value, (str, bytes)):
        return len(value) + 64
    body = getattr(value, "body", None)  # an HTTP response
    if isinstance(body, (bytes, memoryview)):
        return len(body) + 256
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return 2048 * len(value) + 256  # rows of figures
    if isinstance(value, (list, dict, set, tuple)):
        return 256 * len(value) + 256
    return 1024


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()
    return bool(row and row[0])
