"""Polygons in and out of the warehouse, and a local metric grid for distances and tolerances.

Boundaries are stored as WKB in lon/lat. Distances (snap tolerances, simplification) are in
metres on an equirectangular grid centred on the area's mean latitude: over a force area
(tens of kilometres) its scale error is under 1%, which is ample for tolerances of tens of
metres and needs no projection library. Point-in-polygon is unaffected: the grid is an affine
map of lon/lat, so containment is the same in both.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import shapely

METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LON_AT_EQUATOR = 111_320.0
WEB_DECIMALS = 5  # about 1 m: finer than any boundary drawn on a web map


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> Any:
    """The first value of the first row. Fetches every row: DuckDB keeps a partly read result
    open, and an open result blocks register() on the same connection."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [name]))


def load_polygons(
    con: duckdb.DuckDBPyConnection, table: str, code: str, where: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """(codes, geometries) from a boundary table, one per code (the first file by name wins)."""
    rows = con.execute(
        f"SELECT DISTINCT ON ({code}) {code}, geometry FROM {table} {where} ORDER BY {code}, source_file"
    ).fetchall()
    codes = np.array([r[0] for r in rows], dtype=object)
    geoms = shapely.from_wkb([bytes(r[1]) for r in rows]) if rows else np.array([], dtype=object)
    return codes, geoms


@dataclass(frozen=True)
class LocalGrid:
    """lon/lat <-> metres east/north on an equirectangular grid at latitude `lat0`."""

    lat0: float

    @classmethod
    def around(cls, geoms: np.ndarray) -> LocalGrid:
        if len(geoms) == 0:
            return cls(0.0)
        _, miny, _, maxy = shapely.total_bounds(geoms)
        return cls((miny + maxy) / 2)

    @property
    def _scale(self) -> np.ndarray:
        return np.array([METRES_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(self.lat0)), METRES_PER_DEGREE_LAT])

    def to_metres(self, geoms: np.ndarray | shapely.Geometry) -> np.ndarray:
        scale = self._scale
        return shapely.transform(geoms, lambda xy: xy * scale)

    def to_degrees(self, geoms: np.ndarray | shapely.Geometry) -> np.ndarray:
        scale = self._scale
        return shapely.transform(geoms, lambda xy: xy / scale)

    def xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scale = self._scale
        return np.asarray(lon, dtype=float) * scale[0], np.asarray(lat, dtype=float) * scale[1]


def web_feature(geom: shapely.Geometry, properties: dict[str, object]) -> str:
    """A GeoJSON Feature with coordinates on a 10^-5 degree grid (kept valid by set_precision)."""
    snapped = shapely.set_precision(geom, 10.0 ** -WEB_DECIMALS)
    geometry = json.loads(shapely.to_geojson(snapped))

    def rounded(value: object) -> object:
        if isinstance(value, list):
            return [rounded(v) for v in value]
        return round(value, WEB_DECIMALS) if isinstance(value, float) else value

    geometry["coordinates"] = rounded(geometry["coordinates"])
    return json.dumps({"type": "Feature", "properties": properties, "geometry": geometry}, separators=(",", ":"))
