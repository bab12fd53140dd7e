"""Every force in England and Wales: force areas and their local authorities, from national lookups.

Inputs (dataset tables): geo_la_force (local authority 2024 -> Community Safety Partnership ->
police force area), geo_la_reorganisation (authority 2022 -> 2023), geo_pfa_boundary and
geo_la_boundary (polygons); mappings/police_force_areas.csv (force area code -> police.uk force id,
and why a force has no area).

Outputs, rebuilt with the rest of the geography (geography_build):
- force_area: one row per police.uk force, with its force area code and how its areas are built
  ('lsoa' for a force with the detailed LSOA hierarchy, 'local_authority' otherwise), or none and
  a note saying why (British Transport Police; the PSNI, outside England and Wales).
- local_authority: one row per current authority: force, partnerships, and the census 2021
  codes it covers (through the April 2023 mergers).
- area rows 'force' and 'borough' (parent: the force) for every force without the detailed
  hierarchy. 'borough' is the local-authority level everywhere: London's boroughs are local
  authorities, so London's rows are unchanged (docs/decisions/0007-local-authorities-are-the-borough-level.md).
- boundary shapes for those areas, from the national polygons (the authority polygons are very
  generalised: for maps only).
"""

from __future__ import annotations

import duckdb
import pandas as pd
import shapely

from oversight.errors import SourceError
from oversight.sources.police_uk import vocab
from oversight.sources.reference._common import mapping_rows
from oversight.sources.reference.geography_shapes import load_polygons, table_exists

FORCE_AREAS_FILE = "police_force_areas.csv"

NATIONAL_DDL = """
CREATE TABLE IF NOT EXISTS force_area (
    force              VARCHAR NOT NULL PRIMARY KEY,  -- police.uk force id
    name               VARCHAR NOT NULL,
    pfa_code           VARCHAR,                       -- police force area; NULL: the force has none
    pfa_name           VARCHAR,
    areas_from         VARCHAR,                       -- 'lsoa' | 'local_authority' | NULL (no area loaded)
    local_authorities  INTEGER NOT NULL,
    note               VARCHAR                        -- why a force has no area
);
CREATE TABLE IF NOT EXISTS local_authority (
    la_code            VARCHAR NOT NULL PRIMARY KEY,  -- local authority district 2024
    la_name            VARCHAR NOT NULL,
    force              VARCHAR NOT NULL,
    pfa_code           VARCHAR NOT NULL,
    csp_codes          VARCHAR[] NOT NULL,            -- Community Safety Partnerships (several after a merger)
    csp_names          VARCHAR[] NOT NULL,
    census_codes       VARCHAR[] NOT NULL             -- 2021/2022 codes it covers (census 2021 tables)
);
"""


def force_areas() -> pd.DataFrame:
    """mappings/police_force_areas.csv, checked: every police.uk force once, every code once."""
    frame = pd.DataFrame(mapping_rows(FORCE_AREAS_FILE), columns=["pfa_code", "pfa_name", "force", "note"])
    where = f"mappings/{FORCE_AREAS_FILE}"
    known = vocab.forces()
    unknown = sorted(set(frame["force"]) - set(known))
    if unknown:
        raise SourceError(f"force {unknown[0]!r} is not a police.uk force id", path=where, field="force")
    missing = sorted(set(known) - set(frame["force"]))
    if missing:
        raise SourceError(f"police.uk force {missing[0]!r} is not listed: give its area code or say why it has "
                          "none", path=where, field="force")
    for column in ("force", "pfa_code"):
        values = frame.loc[frame[column] != "", column]
        if values.duplicated().any():
            raise SourceError(f"{column} {values[values.duplicated()].iloc[0]!r} is listed twice", path=where,
                              field=column)
    unexplained = frame[(frame["pfa_code"] == "") & (frame["note"] == "")]
    if len(unexplained):
        raise SourceError(f"force {unexplained['force'].iloc[0]!r} has no area code and no note saying why",
                          path=where, field="note")
    frame["name"] = frame["force"].map(known)
    return frame.replace({"": None})


def national_ready(con: duckdb.DuckDBPyConnection) -> bool:
    return table_exists(con, "geo_la_force")


def build_national_hierarchy(con: duckdb.DuckDBPyConnection) -> None:
    """force_area, local_authority and the area rows of forces without the LSOA hierarchy.

    Runs inside build_geography's transaction, after the LSOA hierarchy has been written.
    """
    con.execute(NATIONAL_DDL)
    forces = force_areas()
    con.register("__force_areas", forces)
    try:
        _check_lookup(con)
        reorganised = "geo_la_reorganisation" if table_exists(con, "geo_la_reorganisation") else None
        census_codes = (
            f"""SELECT la23_code AS la_code, list(DISTINCT la22_code ORDER BY la22_code) AS census_codes
                FROM (SELECT DISTINCT ON (la22_code) * FROM {reorganised} ORDER BY la22_code, source_file)
                GROUP BY la23_code"""
            if reorganised else "SELECT NULL::VARCHAR AS la_code, NULL::VARCHAR[] AS census_codes WHERE false"
        )
        con.execute("DELETE FROM local_authority")
        con.execute(
            f"""INSERT INTO local_authority
            WITH rows AS (
                SELECT DISTINCT ON (la_code, csp_code) * FROM geo_la_force ORDER BY la_code, csp_code, source_file
            )
            SELECT r.la_code, min(r.la_name), f.force, min(r.pfa_code),
                   list(r.csp_code ORDER BY r.csp_code), list(r.csp_name ORDER BY r.csp_code),
                   coalesce(any_value(c.census_codes), [r.la_code])
            FROM rows r
            JOIN __force_areas f ON f.pfa_code = r.pfa_code
            LEFT JOIN ({census_codes}) c ON c.la_code = r.la_code
            GROUP BY r.la_code, f.force
            ORDER BY f.force, r.la_code"""
        )
        con.execute("DELETE FROM force_area")
        con.execute(
            """INSERT INTO force_area
            SELECT f.force, f.name, f.pfa_code, f.pfa_name,
                   CASE WHEN f.force IN (SELECT force FROM lsoa_area) THEN 'lsoa'
                        WHEN n.las > 0 THEN 'local_authority' END,
                   coalesce(n.las, 0),
                   coalesce(f.note, CASE WHEN n.las IS NULL THEN 'no local authority of the loaded lookup is in '
                                         || 'this force area' END)
            FROM __force_areas f
            LEFT JOIN (SELECT force, count(*) AS las FROM local_authority GROUP BY force) n USING (force)
            ORDER BY f.force"""
        )
        # Forces with the LSOA hierarchy keep it; the others get force > borough (= local authority).
        con.execute(
            """INSERT INTO area
            SELECT * FROM (
                SELECT 'force' AS level, force AS code, name, NULL AS parent_level, NULL AS parent_code, force
                FROM force_area WHERE areas_from = 'local_authority'
                UNION ALL
                SELECT 'borough', l.la_code, l.la_name, 'force', l.force, l.force
                FROM local_authority l JOIN force_area f USING (force) WHERE f.areas_from = 'local_authority'
            ) ORDER BY force, list_position(['force', 'borough'], level), code"""
        )
    finally:
        con.unregister("__force_areas")


def _check_lookup(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a lookup whose force area is not mapped to a force, or that puts an authority in two:
    either would silently drop or double-count an authority's people."""
    unmapped = con.execute(
        """SELECT DISTINCT pfa_code, pfa_name FROM geo_la_force
           WHERE pfa_code NOT IN (SELECT pfa_code FROM __force_areas WHERE pfa_code IS NOT NULL)
           ORDER BY ALL LIMIT 1"""
    ).fetchall()
    if unmapped:
        code, name = unmapped[0]
        raise SourceError(f"police force area {code} ({name}) is not in mappings/{FORCE_AREAS_FILE}; add its "
                          "police.uk force id, then reload geo-la-force", field="pfa_code")
    split = con.execute(
        """SELECT la_code, string_agg(DISTINCT pfa_code, ', ' ORDER BY pfa_code) FROM geo_la_force
           GROUP BY la_code HAVING count(DISTINCT pfa_code) > 1 ORDER BY la_code LIMIT 1"""
    ).fetchall()
    if split:
        raise SourceError(f"local authority {split[0][0]} is in several police force areas ({split[0][1]}); "
                          "each authority must sit in one", field="la_code")


def national_shapes(
    con: duckdb.DuckDBPyConnection, drawn: set[tuple[str, str]]
) -> list[tuple[str, str, shapely.Geometry]]:
    """(level, code, lon/lat polygon) for each force and borough of `area` not in `drawn`, from the
    national polygons: forces by their force area code, boroughs by their authority code."""
    shapes: list[tuple[str, str, shapely.Geometry]] = []
    if table_exists(con, "geo_pfa_boundary") and table_exists(con, "force_area"):
        codes, geoms = load_polygons(con, "geo_pfa_boundary", "pfa_code")
        by_code = dict(zip(codes, geoms, strict=True))
        for force, pfa in con.execute(
            """SELECT f.force, f.pfa_code FROM force_area f JOIN area a ON a.level = 'force' AND a.code = f.force
               WHERE f.pfa_code IS NOT NULL ORDER BY f.force"""
        ).fetchall():
            if ("force", force) not in drawn and pfa in by_code:
                shapes.append(("force", force, by_code[pfa]))
    if table_exists(con, "geo_la_boundary"):
        codes, geoms = load_polygons(
            con, "geo_la_boundary", "la_code", "WHERE la_code IN (SELECT code FROM area WHERE level = 'borough')"
        )
        shapes += [("borough", c, g) for c, g in zip(codes, geoms, strict=True) if ("borough", c) not in drawn]
    return [(level, code, geom) for level, code, geom in shapes if isinstance(geom, shapely.Geometry)]
