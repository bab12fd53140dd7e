"""Build the force-area hierarchy and map boundaries from the loaded geography files.

Inputs (dataset tables, any of which may hold several files; the first file by name wins a
repeated code): geo_lsoa_ward (LSOA 2021 -> ward 2024 -> district), geo_lsoa_vintage (LSOA
2011 <-> 2021), geo_bcu_borough (borough -> BCU, per force), geo_lsoa_boundary and
geo_ward_boundary (polygons); and the national lookups and polygons of geography_national.

Outputs, each rebuilt whole in one transaction whenever an input changes:
- lsoa_area: one row per 2021 LSOA of a force area. A force's area is exactly the boroughs
  its BCU file lists, so a district that is its own force (the City of London) is not in it.
- area: the hierarchy force > bcu > borough > ward > lsoa as (level, code, name, parent), and
  force > borough (local authority) for every other force (geography_national).
- lsoa_vintage: 2011 -> 2021 LSOA codes with the ONS change indicator.
- area_boundary: simplified GeoJSON Features for the force, its BCUs, boroughs and wards.
  Boroughs, BCUs and the force are dissolved from the LSOA polygons (LSOAs nest exactly in
  boroughs); wards come from the ward file (LSOAs only best-fit to wards). Other forces and
  their authorities are drawn from the national polygons.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import shapely

from oversight.sources.police_uk import vocab
from oversight.sources.reference.geography_national import (
    NATIONAL_DDL,
    build_national_hierarchy,
    national_ready,
    national_shapes,
)
from oversight.sources.reference.geography_shapes import LocalGrid, load_polygons, scalar, table_exists, web_feature
from oversight.warehouse.connection import transaction

# Douglas-Peucker tolerance per level for the web boundaries, in metres; coarser levels are
# drawn at smaller scales. The source polygons are already generalised to about 20 m.
SIMPLIFY_METRES = {"ward": 10.0, "borough": 20.0, "bcu": 40.0, "force": 80.0}
LEVELS = ("force", "bcu", "borough", "ward", "lsoa")

LSOA_AREA_DDL = """
CREATE TABLE IF NOT EXISTS lsoa_area (
    lsoa_code     VARCHAR NOT NULL PRIMARY KEY,   -- LSOA 2021
    lsoa_name     VARCHAR NOT NULL,
    ward_code     VARCHAR NOT NULL,               -- ward (May 2024 pattern), best fit
    ward_name     VARCHAR NOT NULL,
    borough_code  VARCHAR NOT NULL,               -- local authority district 2024
    borough_name  VARCHAR NOT NULL,
    bcu_code      VARCHAR NOT NULL,               -- Basic Command Unit
    bcu_name      VARCHAR NOT NULL,
    force         VARCHAR NOT NULL                -- police.uk force id
);
CREATE TABLE IF NOT EXISTS area (
    level         VARCHAR NOT NULL,               -- force, bcu, borough, ward, lsoa
    code          VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    parent_level  VARCHAR,
    parent_code   VARCHAR,
    force         VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS lsoa_vintage (
    lsoa11_code   VARCHAR NOT NULL,
    lsoa21_code   VARCHAR NOT NULL,
    change        VARCHAR NOT NULL                -- U unchanged, S split, M merged, X irregular
);
CREATE TABLE IF NOT EXISTS area_boundary (
    level         VARCHAR NOT NULL,               -- force, bcu, borough, ward
    code          VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    geojson       VARCHAR NOT NULL                -- one GeoJSON Feature, lon/lat, 5 decimals
);
"""

# Every LSOA the lookups know, in or out of a force area: one row per code.
LSOA_LOOKUP_SQL = """
SELECT DISTINCT ON (lsoa21_code) lsoa21_code AS lsoa_code, lsoa21_name AS lsoa_name, ward_code, ward_name,
       lad_code AS borough_code, lad_name AS borough_name
FROM geo_lsoa_ward ORDER BY lsoa21_code, source_file
"""


PARTS = ("vintage", "hierarchy", "boundaries")


def build_geography(con: duckdb.DuckDBPyConnection, parts: tuple[str, ...] = PARTS) -> dict[str, int]:
    """Rebuild the outputs in `parts` whose inputs are loaded; return the rows of each table built.

    'hierarchy' (lsoa_area, area) always brings 'boundaries' with it, as the boundaries are
    drawn for the areas of the hierarchy.
    """
    con.execute(LSOA_AREA_DDL)
    con.execute(NATIONAL_DDL)
    built: dict[str, int] = {}
    with transaction(con):
        if "vintage" in parts and table_exists(con, "geo_lsoa_vintage"):
            con.execute("DELETE FROM lsoa_vintage")
            con.execute(
                """INSERT INTO lsoa_vintage
                SELECT DISTINCT ON (lsoa11_code, lsoa21_code) lsoa11_code, lsoa21_code, change
                FROM geo_lsoa_vintage ORDER BY lsoa11_code, lsoa21_code, source_file"""
            )
            built["lsoa_vintage"] = _count(con, "lsoa_vintage")
        london = table_exists(con, "geo_lsoa_ward") and table_exists(con, "geo_bcu_borough")
        national = national_ready(con)
        if "hierarchy" in parts and (london or national):
            con.execute("DELETE FROM area")
            if london:
                _build_hierarchy(con)
                built["lsoa_area"] = _count(con, "lsoa_area")
            if national:
                build_national_hierarchy(con)
                built["local_authority"] = _count(con, "local_authority")
            built["area"] = _count(con, "area")
        polygons = (london and table_exists(con, "geo_lsoa_boundary")) or (
            national and (table_exists(con, "geo_pfa_boundary") or table_exists(con, "geo_la_boundary")))
        if {"hierarchy", "boundaries"} & set(parts) and polygons:
            _build_boundaries(con, london=london and table_exists(con, "geo_lsoa_boundary"))
            built["area_boundary"] = _count(con, "area_boundary")
    return built


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(scalar(con, f"SELECT count(*) FROM {table}"))


def _build_hierarchy(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM lsoa_area")
    con.execute(
        f"""INSERT INTO lsoa_area
        SELECT l.lsoa_code, l.lsoa_name, l.ward_code, l.ward_name, l.borough_code, l.borough_name,
               b.bcu_code, b.bcu_name, b.force
        FROM ({LSOA_LOOKUP_SQL}) l
        JOIN (SELECT DISTINCT ON (borough_code) * FROM geo_bcu_borough ORDER BY borough_code, source_file) b
          USING (borough_code)
        ORDER BY b.force, b.bcu_code, l.borough_code, l.ward_code, l.lsoa_code"""
    )
    forces = pd.DataFrame(
        [(f, vocab.forces().get(f, f)) for (f,) in con.execute("SELECT DISTINCT force FROM lsoa_area").fetchall()],
        columns=["force", "name"],
    )
    con.register("__force_names", forces)
    try:
        # A ward best-fits LSOAs of one borough only (wards nest in districts); min() just
        # makes that one parent explicit.
        con.execute(
            """INSERT INTO area SELECT * FROM (
            SELECT 'force' AS level, force AS code, name, NULL AS parent_level, NULL AS parent_code, force
            FROM __force_names
            UNION ALL
            SELECT DISTINCT 'bcu', bcu_code, bcu_name, 'force', force, force FROM lsoa_area
            UNION ALL
            SELECT DISTINCT 'borough', borough_code, borough_name, 'bcu', bcu_code, force FROM lsoa_area
            UNION ALL
            SELECT 'ward', ward_code, min(ward_name), 'borough', min(borough_code), force FROM lsoa_area
            GROUP BY ward_code, force
            UNION ALL
            SELECT 'lsoa', lsoa_code, lsoa_name, 'ward', ward_code, force FROM lsoa_area
            ) ORDER BY force, list_position(['force', 'bcu', 'borough', 'ward', 'lsoa'], level), code"""
        )
    finally:
        con.unregister("__force_names")


def _build_boundaries(con: duckdb.DuckDBPyConnection, *, london: bool) -> None:
    """Boundaries of every area: dissolved from the LSOA polygons where the LSOA hierarchy is
    loaded (`london`), else the national force-area and local-authority polygons."""
    names = {(lvl, code): name for lvl, code, name in con.execute("SELECT level, code, name FROM area").fetchall()}
    rows = _lsoa_features(con, names) if london else []
    drawn = {(level, code) for level, code, _, _ in rows}
    shapes = national_shapes(con, drawn)
    if shapes:
        grid = LocalGrid.around(np.array([g for _, _, g in shapes], dtype=object))
        metres = grid.to_metres(np.array([g for _, _, g in shapes], dtype=object))
        rows += [_feature(grid, level, code, names[(level, code)], geom)
                 for (level, code, _), geom in zip(shapes, metres, strict=True)]
    frame = pd.DataFrame(rows, columns=["level", "code", "name", "geojson"])
    frame["order"] = frame["level"].map({lvl: i for i, lvl in enumerate(LEVELS)})
    frame = frame.sort_values(["order", "code"]).drop(columns="order")
    con.register("__boundaries", frame)
    try:
        con.execute("DELETE FROM area_boundary")
        con.execute("INSERT INTO area_boundary SELECT level, code, name, geojson FROM __boundaries")
    finally:
        con.unregister("__boundaries")


def _feature(grid: LocalGrid, level: str, code: str, name: str, geom: shapely.Geometry) -> tuple[str, str, str, str]:
    simple = shapely.simplify(geom, SIMPLIFY_METRES[level], preserve_topology=True)
    return level, code, name, web_feature(grid.to_degrees(simple), {"level": level, "code": code, "name": name})


def _lsoa_features(
    con: duckdb.DuckDBPyConnection, names: dict[tuple[str, str], str]
) -> list[tuple[str, str, str, str]]:
    """The LSOA hierarchy's force, BCUs and boroughs dissolved from its LSOAs, and its wards."""
    codes, geoms = load_polygons(con, "geo_lsoa_boundary", "lsoa_code")
    members = con.execute(
        "SELECT lsoa_code, borough_code, bcu_code, force FROM lsoa_area ORDER BY lsoa_code"
    ).df()
    members = members.merge(pd.DataFrame({"lsoa_code": codes, "geom": geoms}), on="lsoa_code")
    if members.empty:
        return []
    grid = LocalGrid.around(members["geom"].to_numpy())
    members["geom"] = grid.to_metres(members["geom"].to_numpy())
    shapes: list[tuple[str, str, shapely.Geometry]] = []
    boroughs = {b: shapely.union_all(g.to_numpy()) for b, g in members.groupby("borough_code")["geom"]}
    shapes += [("borough", code, geom) for code, geom in boroughs.items()]
    parents = members.drop_duplicates("borough_code")
    for level, key in (("bcu", "bcu_code"), ("force", "force")):
        for code, group in parents.groupby(key):
            shapes.append((level, code, shapely.union_all([boroughs[b] for b in group["borough_code"]])))
    if table_exists(con, "geo_ward_boundary"):
        ward_codes, ward_geoms = load_polygons(
            con, "geo_ward_boundary", "ward_code", "WHERE ward_code IN (SELECT code FROM area WHERE level = 'ward')"
        )
        shapes += [("ward", code, geom) for code, geom in zip(ward_codes, grid.to_metres(ward_geoms), strict=False)]
    return [_feature(grid, level, code, names[(level, code)], geom) for level, code, geom in shapes]


def boundary_collection(con: duckdb.DuckDBPyConnection, level: str) -> str:
    """All boundaries of one level as a GeoJSON FeatureCollection, for a map."""
    features = [r[0] for r in con.execute(
        "SELECT geojson FROM area_boundary WHERE level = ? ORDER BY code", [level]
    ).fetchall()]
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


