"""The web layer's one door to the warehouse: cached reads of the measures table and friends.

Figures come only through `oversight.measures.query` (always `public=True`); this module adds
the few lookups pages need (area names, boundaries, which periods and areas a measure has) and
caches everything, because the warehouse only changes when `oversight build` or an ingest runs.

The cache is keyed on the warehouse file's modification time and size, checked at most once a
second, so a rebuild shows up without restarting the server. The file is opened read-only and
only while a read is running: the server never holds the lock `oversight build` needs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb
import pandas as pd

from oversight import config
from oversight.errors import OversightError, WarehouseError
from oversight.measures.catalogue import Measure, load_catalogue
from oversight.measures.periods import parse_period, period_key, period_label
from oversight.measures.query import catalogue_status, has_measures_table, measure_values
from oversight.sources.police_uk import vocab

CACHE_BYTES: Final = 256 * 1024 * 1024
"""Memory the cache may use (estimated); the least recently used entries go first."""
LARGEST_ENTRY: Final = CACHE_BYTES // 16
"""A result bigger than this is not kept (a whole measure at every level, say)."""
VERSION_CHECK_SECONDS: Final = 1.0
"""How often the warehouse file is looked at for a rebuild."""
LEVEL_ORDER: Final = ("force", "bcu", "borough", "ward")
LEVEL_NAMES: Final = {"force": "Force", "bcu": "Basic Command Unit", "borough": "Borough", "ward": "Ward"}


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


class Store:
    """Cached, read-only access to one warehouse file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._users = 0
        self._cache: OrderedDict[tuple[Any, ...], tuple[Any, int]] = OrderedDict()
        self._cache_bytes = 0
        self._pending: dict[tuple[Any, ...], threading.Lock] = {}
        self._version: tuple[int, int] | None = None
        self._checked = 0.0
        self.catalogue: dict[str, Measure] = load_catalogue()

    # connection and cache -------------------------------------------------------------------

    @contextlib.contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on a read-only connection that is closed once no request is using it."""
        with self._lock:
            if self._con is None:
                if not self.path.exists():
                    raise WarehouseError(
                        "no warehouse here yet; load data with 'oversight ingest' and run 'oversight build'",
                        path=str(self.path),
                    )
                try:
                    self._con = duckdb.connect(str(self.path), read_only=True)
                except duckdb.Error as exc:
                    raise WarehouseError(
                        f"cannot open the warehouse (is 'oversight build' running?): {exc}", path=str(self.path)
                    ) from exc
                self._con.execute("SET TimeZone = 'UTC'")
            self._users += 1
            cursor = self._con.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
            with self._lock:
                self._users -= 1
                if self._users == 0 and self._con is not None:
                    self._con.close()
                    self._con = None

    def version(self) -> tuple[int, int]:
        """(mtime, size) of the warehouse file; clears the cache when it changed."""
        now = time.monotonic()
        with self._lock:
            if self._version is not None and now - self._checked < VERSION_CHECK_SECONDS:
                return self._version
            try:
                stat = self.path.stat()
                current = (stat.st_mtime_ns, stat.st_size)
            except OSError:
                current = (0, 0)
            if current != self._version:
                self._cache.clear()
                self._cache_bytes = 0
                self._version = current
            self._checked = now
            return current

    def cached(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """`compute()` once per key and warehouse version, kept in an LRU of CACHE_BYTES. Requests
        arriving while the same key is being computed wait for that result instead of
        computing it again (keys nest page > figures > lookups, never in a cycle)."""
        self.version()
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key][0]
            pending = self._pending.setdefault(key, threading.Lock())
        with pending:
            with self._lock:
                if key in self._cache:
                    return self._cache[key][0]
            try:
                value = compute()
            except BaseException:
                with self._lock:
                    self._pending.pop(key, None)
                raise
            size = _size(value)
            with self._lock:
                if size <= LARGEST_ENTRY:
                    self._cache[key] = (value, size)
                    self._cache_bytes += size
                self._pending.pop(key, None)
                while self._cache_bytes > CACHE_BYTES and self._cache:
                    self._cache_bytes -= self._cache.popitem(last=False)[1][1]
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
            if area is not None and area not in self.measure_areas(measure_id).get(level or "", {area}):
                return pd.DataFrame()
            if period is not None and period not in {p.key for p in self.periods(measure_id)}:
                return pd.DataFrame()
            with self.connection() as con:
                try:
                    return measure_values(con, measure_id, level=level, area=area, period=period,
                                          period_type=period_type, breakdown=breakdown, public=True,
                                          catalogue=self.catalogue)
                except OversightError as exc:
                    if exc.field == "period":  # the period exists, but not for this area or breakdown
                        return pd.DataFrame()
                    raise
        return self.cached(key, load)

    def count(
        self, measure_id: str, *, level: str | None = None, area: str | None = None, period: str | None = None,
        period_type: str | None = None, breakdown: str | None = "all",
    ) -> int:
        """How many rows `values` would return with these filters (to refuse a query too big to
        answer at once before reading it)."""
        where, params = ["measure = ?"], [measure_id]
        for column, value in (("area_level", level), ("area_code", area), ("breakdown", breakdown)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if period is not None:
            where += ["period_type = ?", "period_end = ?"]
            params += [*parse_period(period)]
        elif period_type is not None:
            where.append("period_type = ?")
            params.append(period_type)

        def load() -> int:
            if not self.has_data(measure_id):
                return 0
            with self.connection() as con:
                row = con.execute(f"SELECT count(*) FROM measure_value WHERE {' AND '.join(where)}", params).fetchone()
            return int(row[0]) if row else 0
        return self.cached(("count", measure_id, level, area, period, period_type, breakdown), load)

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
        from oversight.web.records import records

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
                rows = con.execute(
                    "SELECT DISTINCT period_type, period_end FROM measure_value WHERE measure = ? "
                    "AND len(quality_flags) = 0 AND value IS NOT NULL AND NOT suppressed",
                    [measure_id],
                ).fetchall()
            return {Period(t, e) for t, e in rows}
        return self.cached(("clean_periods", measure_id), load)

    def latest_period(self, measure_id: str, period_type: str) -> Period | None:
        """The latest period of a type whose figures are not all flagged for quality (a default view
        never opens on an incomplete month), else the latest period of the type."""
        of_type = [p for p in self.periods(measure_id) if p.type == period_type]
        clean = self.clean_periods(measure_id)
        return next((p for p in of_type if p in clean), of_type[0] if of_type else None)

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
                    Area("force", wanted, vocab.forces().get(wanted, wanted)))

    def _area_names(self) -> dict[tuple[str, str], tuple[str, str | None]]:
        def load() -> dict[tuple[str, str], tuple[str, str | None]]:
            names: dict[tuple[str, str], tuple[str, str | None]] = {
                ("force", fid): (name, None) for fid, name in vocab.forces().items()
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
        from oversight.sources.reference import all_datasets
        from oversight.warehouse.health import REFERENCE_HEALTH_COLUMNS, reference_health

        def load() -> tuple[pd.DataFrame, str | None]:
            with self.connection() as con:
                try:
                    return reference_health(con, all_datasets()), None
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
