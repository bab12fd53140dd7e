"""The web layer's one door to the warehouse: cached reads of the measures table and friends.

Figures come only through `oversight.measures.query` (always `public=True`), whose
`value_filter` checks and applies every filter, for the CLI and the site alike; this module adds
the few lookups pages need (area names, boundaries, which periods and areas a measure has) and
caches everything, because what the site shows only changes when a snapshot is published.

What it reads is the newest published snapshot of the warehouse, each request pinned to one, and
what it caches is kept per snapshot (`cache.py`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from oversight import config
from oversight.errors import OversightError
from oversight.measures import comparator
from oversight.measures.catalogue import Measure, load_catalogue
from oversight.measures.health import force_names, reference_health
from oversight.measures.lookups import read_lookup
from oversight.measures.national import NationalComparison, compare_forces
from oversight.measures.periods import parse_period, period_key, period_label
from oversight.measures.query import (
    READINGS,
    VALUE_ORDER,
    NoFigures,
    catalogue_status,
    flags_as_lists,
    has_measures_table,
    measure_values,
    present_values,
    present_values_unlisted,
    value_filter,
    with_newer_columns,
)
from oversight.measures.trust_gap import read_trust_gap
from oversight.present.labels import NATIONAL_AREAS
from oversight.warehouse.connection import table_exists
from oversight.warehouse.health import REFERENCE_HEALTH_COLUMNS, health_ledger
from oversight.web.cache import Budget as Budget  # the store's to hand a request, with Busy
from oversight.web.cache import Busy as Busy
from oversight.web.cache import Serving, Snapshots, size_of
from oversight.web.records import records

log = logging.getLogger("oversight.web")

LEVEL_ORDER: Final = ("force", "bcu", "borough", "ward", "national")


@dataclass(frozen=True)
class Area:
    level: str
    code: str
    name: str
    parent_code: str | None = None
    force: str | None = None  # the force whose area it is (police.uk id); a force is its own

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
    """Cached, read-only access to the published snapshots of one warehouse."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._snapshots = Snapshots(self.path)
        self.on_new_snapshot: list[Callable[[], None]] = self._snapshots.on_new
        """Called (in the thread that opened it) when a newer snapshot takes over, e.g. to warm it."""
        self.catalogue: dict[str, Measure] = load_catalogue()

    def close(self) -> None:
        """Let go of the snapshot being served (requests still reading it finish first)."""
        self._snapshots.close()

    # snapshots, connections and the cache (cache.py) -----------------------------------------

    def serving(self, budget: Budget | None = None) -> Serving:
        """Pin the calls inside to one snapshot (when one can be opened) and bound their work:
        `with` in a worker thread, `async with` on the event loop."""
        return self._snapshots.serving(budget)

    def connection(self) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A cursor on the snapshot being served, watched by the request's budget."""
        return self._snapshots.connection()

    def peek(self, key: Hashable) -> Any | None:
        """The cached value for `key`, or None: never computes, never waits."""
        return self._snapshots.peek(key)

    def prepare(self) -> None:
        """Open the newest snapshot and read what nearly every page asks for first: the catalogue's
        status, the areas with their names, each measure's periods, and the neighbourhood table
        (whether the comparator has data decides a link on the overview and trust pages). The
        server calls it as it starts, so that its first visitor does not wait for them (a
        warehouse not built yet is left for the pages to report)."""
        with self.serving():
            try:
                self.status()
                self.areas()
                self._measure_periods()
                self.neighbourhood_frame()
            except (OversightError, duckdb.Error, OSError) as exc:  # a page reports it, as before
                log.warning("not read before serving: %s", exc)

    def cached(self, key: Hashable, compute: Callable[[], Any], size: int | None = None) -> Any:
        """`compute()` once per key and snapshot, kept within the snapshot's cache (`cache.Cache`),
        which weighs it with `cache.size_of` unless given its `size`."""
        return self._snapshots.cached(key, compute, size)

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

    def forces_compared(self, group: str, period_end: dt.date | None) -> NationalComparison:
        """`national.compare_forces`: every force's rate ratio for `group` in one financial year."""
        def load() -> NationalComparison:
            with self.connection() as con:
                return compare_forces(con, group=group, period_end=period_end)
        return self.cached(("forces_compared", group, period_end), load)

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
        """Public figures (suppressed ones blanked) for one measure, as `measure_values` gives them,
        dtypes included; empty when it has none."""
        key = ("values", measure_id, level, area, period, period_type, breakdown)
        return self.cached(key, lambda: self._figures(measure_id, level, area, period, period_type, breakdown,
                                                      dtypes_of_query=True))

    def _figures(self, measure_id: str, level: str | None, area: str | None, period: str | None,
                 period_type: str | None, breakdown: str | None, *, dtypes_of_query: bool) -> pd.DataFrame:
        """`values`, not cached. Without `dtypes_of_query`, a cut of an area's figures keeps the
        dtypes of the area's read (`_as_duckdb_hands_over` is skipped): the same rows and values,
        for readers that do not look at dtypes, such as `records`."""
        if not self.has_data(measure_id):
            return pd.DataFrame()
        if level is not None and area is not None:
            sliced = self._slice_of_area(measure_id, level, area, period, period_type, breakdown,
                                         dtypes_of_query=dtypes_of_query)
            if sliced is not None:
                return sliced
        with self.connection() as con:
            try:
                return measure_values(con, measure_id, level=level, area=area, period=period,
                                      period_type=period_type, breakdown=breakdown, public=True,
                                      catalogue=self.catalogue)
            except NoFigures:  # a page shows nothing where the CLI says so
                return pd.DataFrame()

    def _slice_of_area(self, measure_id: str, level: str, area: str, period: str | None, period_type: str | None,
                       breakdown: str | None, *, dtypes_of_query: bool) -> pd.DataFrame | None:
        """What `measure_values` answers for one area, cut from every figure of that area read at
        once (`_read_area`): a page asks for dozens of measures of one area, and one read of
        them all costs about what two of those queries cost. None where the filters need
        `value_filter`'s checks to say what is wrong (the caller then asks it, and it raises)."""
        measure = self.catalogue[measure_id]
        if level not in measure.levels or (period_type is not None and period_type not in measure.periods):
            return None
        kind: str | None = period_type
        end: dt.date | None = None
        if period is not None:
            try:
                kind, end = parse_period(period, period_type)
            except OversightError:
                return None
            if period_type is not None and kind != period_type:
                return None
        if (measure_id, area) not in self._measure_codes():
            return pd.DataFrame()  # value_filter's NoFigures for an area without figures
        held = self.cached(("area_measures", level, area), lambda: self._read_area(level, area))
        if measure_id not in held:
            return pd.DataFrame() if period is not None else self._no_values().copy()
        piece = self.peek(("area_figures", level, area, measure_id))
        if piece is None:
            return None  # let go from the cache since (or too big to keep): the query layer reads it
        found, unread_rows = piece
        keep = np.ones(len(found), dtype=bool)
        if kind is not None:
            keep &= (found["period_type"] == kind).to_numpy(dtype=bool)
        if end is not None:
            keep &= (found["period_end"].dt.date == end).to_numpy(dtype=bool)
        if breakdown is not None:
            keep &= (found["breakdown"] == breakdown).to_numpy(dtype=bool)
        rows = np.flatnonzero(keep)
        if rows.size and rows[-1] - rows[0] + 1 == rows.size:
            # A piece is in VALUE_ORDER, so a cut by breakdown, type and period is one run of rows:
            # sliced, not filtered column by column.
            found = found.iloc[rows[0]:rows[-1] + 1].reset_index(drop=True)
        else:
            found = found[keep].reset_index(drop=True)
        if found.empty:  # NoFigures for a period; else the empty answer of the query layer
            return pd.DataFrame() if period is not None else self._no_values().copy()
        if not dtypes_of_query:
            return flags_as_lists(found)
        return _as_duckdb_hands_over(flags_as_lists(found),
                                     {c: bool(missing[keep].all()) for c, missing in unread_rows.items()})

    def _no_values(self) -> pd.DataFrame:
        """`measure_values`' answer when it selects no row."""
        def load() -> pd.DataFrame:
            with self.connection() as con:
                return present_values(con.execute("SELECT * FROM measure_value WHERE false").df(), public=True)
        return self.cached(("no_values",), load)

    def _read_area(self, level: str, area: str) -> frozenset[str]:
        """Read every public figure of one area at once (`present_values`, suppressed ones blanked),
        and keep each measure's rows in the cache apart, in `measure_values`' order, with where
        each column `present_values` blanks had no value before it did. Returns the measures read."""
        with self.connection() as con:
            frame = _through_arrow(con.sql("SELECT * FROM measure_value WHERE area_level = ? AND area_code = ? "
                                           f"ORDER BY measure, {VALUE_ORDER}", params=[level, area]))
        with_newer_columns(frame)
        unread = {c: frame[c].isna().to_numpy() for c in READINGS}
        frame = present_values_unlisted(frame, public=True)  # each cut lists its own flags
        # Weighed once for all: weighing each measure's rows apart costs more than reading them.
        row_bytes = size_of(frame) / max(1, len(frame)) + len(unread)
        found = frame.groupby("measure", sort=False).indices
        for measure_id, rows in found.items():
            start, stop = int(rows[0]), int(rows[-1]) + 1  # in measure order: each measure's rows are one run
            piece = (frame.iloc[start:stop].reset_index(drop=True).copy(),
                     {c: missing[start:stop].copy() for c, missing in unread.items()})
            self.cached(("area_figures", level, area, measure_id), lambda piece=piece: piece,  # type: ignore[misc]
                        size=int(row_bytes * (stop - start)))
        return frozenset(found)

    def _measure_codes(self) -> set[tuple[str, str]]:
        """(measure, area code) pairs with figures at any level: `value_filter`'s check of an area."""
        return self.cached(("measure_codes",), lambda: {(m, code) for _, code, m in self._measure_area_index()})

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
        # Made from the cut directly, not from `values`: a frame cached beside these rows would be
        # weighed and held twice.
        found = self.cached(key, lambda: records(self._figures(
            measure_id, level, area, period, period_type, breakdown, dtypes_of_query=False), self))
        return [dict(r) for r in found]

    def breakdown_rows(
        self, measure_id: str, *, level: str, area: str, period: str, dimension: str
    ) -> list[dict[str, Any]]:
        """Every value of one breakdown dimension (e.g. self_defined_group=...) for one area and period."""
        every = self.rows(measure_id, level=level, area=area, period=period, breakdown=None)
        return [r for r in every if r["breakdown"].startswith(dimension + "=")]

    def periods(self, measure_id: str) -> list[Period]:
        """Every period a measure has figures for, newest first within each type."""
        if not self.has_data(measure_id):
            return []
        return self._measure_periods()[0].get(measure_id, [])

    def clean_periods(self, measure_id: str) -> set[Period]:
        """Periods with at least one published figure that carries no quality flag, judged at the
        top level the measure has (see `lookups.LOOKUPS`)."""
        if not self.has_data(measure_id):
            return set()
        return self._measure_periods()[1].get(measure_id, set())

    def _measure_periods(self) -> tuple[dict[str, list[Period]], dict[str, set[Period]]]:
        """Every measure's periods (newest first within each type) and its clean ones, read at once."""
        def load() -> tuple[dict[str, list[Period]], dict[str, set[Period]]]:
            every: dict[str, list[Period]] = {}
            clean: dict[str, set[Period]] = {}
            for measure_id, kind, end, is_clean in self._lookup("measure_period"):
                every.setdefault(measure_id, []).append(Period(kind, end))
                if is_clean:
                    clean.setdefault(measure_id, set()).add(Period(kind, end))
            for periods in every.values():
                periods.sort(key=lambda p: p.end, reverse=True)
                periods.sort(key=lambda p: p.type)  # stable: by type, newest first within each
            return every, clean
        return self.cached(("measure_periods",), load)  # type: ignore[no-any-return]

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
        def load() -> dict[str, list[str]]:
            found: dict[str, list[str]] = {}
            for measure, breakdown in self._lookup("measure_breakdown"):
                found.setdefault(measure, []).append(breakdown)
            return {m: sorted(values, key=lambda b: (b != "all", b)) for m, values in found.items()}
        if not self.has_data(measure_id):
            return []
        return self.cached(("measure_breakdowns",), load).get(measure_id, [])  # type: ignore[no-any-return]

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
            return {(lvl, code, m) for m, lvl, code in self._lookup("measure_area")}
        return self.cached(("measure_area_index",), load)

    def _lookup(self, name: str) -> list[tuple[Any, ...]]:
        """The rows of one of the build's lookups (`measures.lookups`); none before a build."""
        with self.connection() as con:
            return read_lookup(con, name) if has_measures_table(con) else []

    def _all_area_codes(self) -> set[tuple[str, str]]:
        return self.cached(("area_codes",), lambda: {(lvl, code) for lvl, code, _ in self._measure_area_index()})

    # areas -----------------------------------------------------------------------------------

    def areas(self, level: str | None = None) -> list[Area]:
        """Areas with figures, named from the `area` table when loaded (else by code), sorted by name."""
        def load() -> list[Area]:
            names = self._area_names()
            found = []
            for lvl, code in self._all_area_codes():
                name, parent, force = names.get((lvl, code), (code, None, None))
                found.append(Area(lvl, code, name, parent, code if lvl == "force" else force))
            return sorted(found, key=lambda a: (LEVEL_ORDER.index(a.level) if a.level in LEVEL_ORDER else 9,
                                                a.name.lower(), a.code))
        every = self.cached(("areas",), load)
        return [a for a in every if level is None or a.level == level]

    def areas_of(self, force: str, level: str) -> list[Area]:
        """The areas of one force at one level (every force at level 'force'). An area whose force
        is not recorded counts as the configured force's, as single-force warehouses have it."""
        if level == "force":
            return self.areas("force")
        home = str(config.default("default_force"))
        return [a for a in self.areas(level) if (a.force or home) == force]

    def area(self, code: str, level: str | None = None) -> Area | None:
        index = self.cached(("area_index",), lambda: {(a.level, a.code): a for a in self.areas()})
        if level is not None:
            return index.get((level, code))
        return next((a for (lvl, c), a in index.items() if c == code), None)

    def force_area(self) -> Area:
        forces = self.areas("force")
        wanted = str(config.default("default_force"))
        return next((a for a in forces if a.code == wanted), forces[0] if forces else
                    Area("force", wanted, force_names().get(wanted, wanted), force=wanted))

    def _area_names(self) -> dict[tuple[str, str], tuple[str, str | None, str | None]]:
        def load() -> dict[tuple[str, str], tuple[str, str | None, str | None]]:
            names: dict[tuple[str, str], tuple[str, str | None, str | None]] = {
                ("force", fid): (name, None, fid) for fid, name in force_names().items()
            }
            names.update({("national", code): (name, None, None) for code, name in NATIONAL_AREAS.items()})
            with self.connection() as con:
                if table_exists(con, "area"):
                    for level, code, name, parent, force in con.execute(
                        "SELECT level, code, name, parent_code, force FROM area WHERE level <> 'lsoa'"
                    ).fetchall():
                        names[(level, code)] = (name, parent, force)
            return names
        return self.cached(("area_names",), load)

    def boundaries(self, level: str) -> dict[str, dict[str, Any]]:
        """GeoJSON features by area code for one level; empty when boundaries are not loaded."""
        import json

        def load() -> dict[str, dict[str, Any]]:
            with self.connection() as con:
                if not table_exists(con, "area_boundary"):
                    return {}
                rows = con.execute("SELECT code, geojson FROM area_boundary WHERE level = ?", [level]).fetchall()
            return {code: json.loads(text) for code, text in rows}
        return self.cached(("boundaries", level), load)

    # the neighbourhood comparator -------------------------------------------------------------

    def neighbourhood_frame(self) -> pd.DataFrame:
        """The PAS neighbourhood table the comparator reads (`measures.comparator.load`); empty when not loaded."""
        def load() -> pd.DataFrame:
            with self.connection() as con:
                return comparator.load(con)
        return self.cached(("neighbourhood_frame",), load)

    # data health ------------------------------------------------------------------------------

    def health(self) -> pd.DataFrame:
        def load() -> pd.DataFrame:
            with self.connection() as con:
                return health_ledger(con)
        return self.cached(("health",), load)

    def reference_health(self) -> tuple[pd.DataFrame, str | None]:
        """The reference-dataset ledger, and why it could not be read (None when it could)."""
        def load() -> tuple[pd.DataFrame, str | None]:
            with self.connection() as con:
                try:
                    return reference_health(con), None
                except duckdb.Error as exc:
                    # A dataset declared in the code but not yet in this warehouse's schema.
                    reason = str(exc).splitlines()[0]
                    return pd.DataFrame(columns=REFERENCE_HEALTH_COLUMNS), reason
        return self.cached(("reference_health",), load)

    def trust_gap(self) -> pd.DataFrame:
        """The gaps between ethnic groups in the PAS neighbourhood indicators (`measures.trust_gap`)."""
        def load() -> pd.DataFrame:
            with self.connection() as con:
                return read_trust_gap(con)
        return self.cached(("trust_gap",), load)

    def built_at(self) -> str | None:
        def load() -> str | None:
            with self.connection() as con:
                if not table_exists(con, "measure_status"):
                    return None
                # Formatted in SQL: reading a TIMESTAMPTZ into Python would need pytz.
                row = con.execute(
                    "SELECT strftime(timezone('UTC', max(built_at)), '%-d %B %Y %H:%M') FROM measure_status"
                ).fetchone()
            return None if row is None or row[0] is None else f"{row[0]} UTC"
        return self.cached(("built_at",), load)


_NULLABLE: Final = {pa.int32(): pd.Int32Dtype(), pa.bool_(): pd.BooleanDtype()}


def _through_arrow(query: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """The rows of `measure_value` a query selects, as `.df()` hands over a result with a missing
    value in every column: read through Arrow, which makes pandas' text columns about three times
    faster than `.df()` (the larger part of reading an area's figures). Cut into smaller answers,
    they are then given the dtypes `.df()` would give each (`_as_duckdb_hands_over`)."""
    frame = query.to_arrow_table().to_pandas(date_as_object=False, types_mapper=_NULLABLE.get)
    for column in ("period_start", "period_end"):
        frame[column] = frame[column].astype("datetime64[us]")
    return frame


def _as_duckdb_hands_over(frame: pd.DataFrame, unread: dict[str, bool]) -> pd.DataFrame:
    """`frame`'s columns in the dtypes the query layer gives a result holding just these rows.
    DuckDB picks a column's dtype by what the result holds (a nullable integer or boolean without a
    missing value comes as numpy's, a text column with no value at all as objects, None), so a cut
    of a larger result is made to look as that query's own answer would; `unread` says of each
    column `present_values` blanks whether it held no value in these rows before it did."""
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.api.extensions.ExtensionDtype) and values.dtype != "str":
            if not values.isna().any():
                frame[column] = values.to_numpy(dtype=values.dtype.numpy_dtype)  # type: ignore[attr-defined]
        elif unread.get(column, values.dtype in ("str", object) and values.isna().all()):
            frame[column] = pd.Series([None] * len(frame), dtype=object)
    return frame
