"""Place police.uk records in the force-area hierarchy: LSOA 2021 > ward > borough > BCU.

Stop and search has coordinates only, so each row is placed by point-in-polygon. A force with
the detailed hierarchy (lsoa_area: the Met) is placed against the loaded LSOA 2021 polygons
(method 'lsoa'); every other force against the national local-authority polygons (method
'local_authority'), which gives the borough level (= local authority, docs/decisions/0007)
and nothing finer. Those polygons are very generalised: a point within a few hundred metres
of an authority boundary can fall on the wrong side (docs/methods.md measures how often), and
a point on the coast can fall outside every polygon; such a point goes to the nearest
authority within COAST_SNAP_METRES. Street-level crime carries the LSOA police.uk assigned, so
it is placed by that code (2011 codes go through the ONS 2011 -> 2021 lookup).

Status of a row:
- 'located': in an LSOA of the row's own force area (lsoa_area), or in a local authority of
  the row's own force (local_authority). A search by one force in another's area (British
  Transport Police at a London station, a neighbouring force across the border) is never
  located in the other force's areas.
- 'outside force area': placed, but not in the force area. The LSOA, ward and borough are
  still given when the loaded geography knows them (a search in the City of London, which is
  its own force); the BCU never is. Count only 'located' rows for the force's figures.
- 'unlocated': no coordinates (stop and search) or no LSOA code (street crime).
- 'unknown lsoa' (street crime only): the code is not a real LSOA code; the row is also
  written to the quarantine table, but stays in street_crime.

Rules:
- A point on a boundary shared by two LSOAs goes to the smaller LSOA code.
- The LSOA polygons leave out most of the tidal Thames, so a search snapped onto a bridge falls
  in no LSOA. A point outside every polygon but inside the loaded area with gaps narrower than
  2 x GAP_FILL_METRES closed (a morphological closing) goes to its nearest LSOA; these are
  counted as gap_filled. A point beyond the outer edge stays outside.
- A 2011 LSOA split (or irregularly changed) into several 2021 LSOAs goes to the candidate
  whose polygon contains the crime's snap point, else the nearest candidate; without
  coordinates, to the candidate with the largest area.
- A well-formed code in neither lookup is 'unknown lsoa' only when the lookups cover England
  and Wales (they hold Welsh codes); with regional lookups (the bundled London ones) it is
  'outside force area', since every LSOA of the force area is in the lookups by construction.

Assignment is incremental and idempotent: rows whose source row is gone, or whose partition
was reloaded since (partition_load.load_id changed), are dropped and placed again; rows not
yet placed are placed; a change of any geography file places everything again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import duckdb
import numpy as np
import pandas as pd
import shapely

from oversight.sources.reference.geography_build import LSOA_AREA_DDL, LSOA_LOOKUP_SQL
from oversight.sources.reference.geography_shapes import LocalGrid, load_polygons, scalar, table_exists
from oversight.warehouse.connection import transaction

LOCATED = "located"
OUTSIDE = "outside force area"
UNLOCATED = "unlocated"
UNKNOWN = "unknown lsoa"
STATUSES = (LOCATED, OUTSIDE, UNLOCATED, UNKNOWN)

# Half the widest river or dock gap closed before snapping a point to its nearest LSOA; the
# Thames is 200-300 m wide through central London, up to ~600 m at the eastern boroughs.
GAP_FILL_METRES = 250.0

# The generalised authority polygons cut off beaches, piers and harbours; a search there is
# placed in the nearest authority when within this distance (about the generalisation's error).
COAST_SNAP_METRES = 1_000.0

BY_LSOA = "lsoa"
BY_AUTHORITY = "local_authority"

PLACE_COLUMNS = """
    source_file   VARCHAR NOT NULL,
    source_line   BIGINT NOT NULL,
    force         VARCHAR NOT NULL,
    month         DATE NOT NULL,
    lsoa_code     VARCHAR,          -- LSOA 2021
    ward_code     VARCHAR,
    borough_code  VARCHAR,
    bcu_code      VARCHAR,          -- only for rows in the force area
    status        VARCHAR NOT NULL, -- located, outside force area, unlocated, unknown lsoa
    method        VARCHAR           -- 'lsoa' or 'local_authority' polygons (stop and search), 'lsoa_code'
                                    -- (street crime); NULL when unlocated
"""

PLACE_DDL = f"""
CREATE TABLE IF NOT EXISTS stop_search_place ({PLACE_COLUMNS});
CREATE TABLE IF NOT EXISTS street_crime_place ({PLACE_COLUMNS});
-- The partition load each table's assignments were made from, to spot reloaded partitions.
CREATE TABLE IF NOT EXISTS place_partition (
    dataset VARCHAR NOT NULL, force VARCHAR NOT NULL, month DATE NOT NULL, load_id BIGINT NOT NULL
);
-- The geography files the assignments were made with; when they change, everything is redone.
CREATE TABLE IF NOT EXISTS place_geography (signature VARCHAR NOT NULL);
"""

COVERAGE_VIEW = f"""
CREATE OR REPLACE VIEW place_coverage AS
WITH placed AS (
    SELECT 'stop-and-search' AS dataset, * FROM stop_search_place
    UNION ALL BY NAME
    SELECT 'street' AS dataset, * FROM street_crime_place
),
by_level AS (
    SELECT p.dataset, p.force, p.month, l.level, p.status, p.method,
           CASE l.level WHEN 'lsoa' THEN p.lsoa_code WHEN 'ward' THEN p.ward_code
                        WHEN 'borough' THEN p.borough_code ELSE p.bcu_code END AS code
    FROM placed p CROSS JOIN (VALUES ('lsoa'), ('ward'), ('borough'), ('bcu')) l(level)
)
SELECT dataset, force, month, level,
       string_agg(DISTINCT method, ' + ' ORDER BY method) AS method, count(*) AS rows,
       count(*) FILTER (WHERE status = '{LOCATED}' AND code IS NOT NULL) AS placed,
       count(*) FILTER (WHERE NOT (status = '{LOCATED}' AND code IS NOT NULL)) AS not_placed,
       count(*) FILTER (WHERE status = '{OUTSIDE}') AS outside_force_area,
       count(*) FILTER (WHERE status = '{UNLOCATED}') AS unlocated,
       count(*) FILTER (WHERE status = '{UNKNOWN}') AS unknown_lsoa
FROM by_level GROUP BY dataset, force, month, level
ORDER BY dataset, force, month, list_position(['bcu', 'borough', 'ward', 'lsoa'], level)
"""

_KEY = "source_file, source_line, force, month"
_SAME_ROW = "{a}.source_file = {b}.source_file AND {a}.source_line = {b}.source_line " \
            "AND {a}.force = {b}.force AND {a}.month = {b}.month"


@dataclass(frozen=True)
class _Target:
    dataset: str  # as in partition_load and quarantine
    source: str
    place: str


STOP_SEARCH = _Target("stop-and-search", "stop_search", "stop_search_place")
STREET = _Target("street", "street_crime", "street_crime_place")


def places_ready(con: duckdb.DuckDBPyConnection) -> bool:
    """True when either way of placing is loaded: the LSOA hierarchy (lookups, force area and
    LSOA polygons) or the national local authorities with their polygons."""
    return _lsoa_ready(con) or _authorities_ready(con)


def _lsoa_ready(con: duckdb.DuckDBPyConnection) -> bool:
    if not all(table_exists(con, t) for t in ("geo_lsoa_ward", "geo_lsoa_boundary", "lsoa_area")):
        return False
    return bool(scalar(con, "SELECT count(*) FROM lsoa_area"))


def _authorities_ready(con: duckdb.DuckDBPyConnection) -> bool:
    if not all(table_exists(con, t) for t in ("local_authority", "geo_la_boundary")):
        return False
    return bool(scalar(con, "SELECT count(*) FROM local_authority"))


def assign_places(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    """Place every stop-and-search and street-crime row not yet placed; drop stale placements.

    Returns, per table ('stop_search', 'street_crime'), the rows now in each status
    (located, outside_force_area, unlocated, unknown_lsoa) and what this run did
    (newly_assigned, removed; gap_filled and coast_snapped for stop and search). Street crime
    is placed only with the LSOA hierarchy. Returns {} when no geography is loaded yet
    ('oversight ingest reference').
    """
    if not places_ready(con):
        return {}
    con.execute(LSOA_AREA_DDL)
    con.execute(PLACE_DDL)
    with transaction(con):
        everything = _add_method_column(con) | _geography_changed(con)
        index = _LsoaIndex(con) if _lsoa_ready(con) else None
        authorities = _AuthorityIndex(con) if _authorities_ready(con) else None
        result = {}
        for target, key in ((STOP_SEARCH, "stop_search"), (STREET, "street_crime")):
            if target is STREET and index is None:
                continue
            removed = _prune(con, target, everything=everything)
            extra = ", s.lsoa_code" if target is STREET else ""
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE __todo AS
                SELECT s.source_file, s.source_line, s.force, s.month, s.longitude, s.latitude{extra}
                FROM {target.source} s
                WHERE NOT EXISTS (SELECT 1 FROM {target.place} p WHERE {_SAME_ROW.format(a='p', b='s')})"""
            )
            if target is STOP_SEARCH:
                run = _place_points(con, index, authorities)
            else:
                assert index is not None
                run = _place_codes(con, index)
            _stamp(con, target)
            result[key] = {**_totals(con, target.place, street=target is STREET), "removed": removed, **run}
        con.execute("DROP TABLE IF EXISTS __todo")
        con.execute(COVERAGE_VIEW)
    return result


def place_coverage(con: duckdb.DuckDBPyConnection, dataset: str | None = None) -> pd.DataFrame:
    """Per dataset x force x month x level: rows placed in the force area and why the rest are not."""
    if not table_exists(con, "stop_search_place"):
        con.execute(PLACE_DDL)
    con.execute(COVERAGE_VIEW)
    return con.execute(
        "SELECT * FROM place_coverage WHERE ? IS NULL OR dataset = ?", [dataset, dataset]
    ).df()


# --- bookkeeping -------------------------------------------------------------------------


def _add_method_column(con: duckdb.DuckDBPyConnection) -> bool:
    """Placements made before the method was recorded are made again (True when so)."""
    missing = False
    for table in (STOP_SEARCH.place, STREET.place):
        if not scalar(con, "SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = 'method'",
                      [table]):
            con.execute(f"ALTER TABLE {table} ADD COLUMN method VARCHAR")
            missing = True
    return missing


def _geography_changed(con: duckdb.DuckDBPyConnection) -> bool:
    """Compare the geography files now loaded with those the placements were made with."""
    signature = scalar(
        con,
        """SELECT coalesce(string_agg(dataset || '/' || source_file || '/' || load_id, ';'
                                      ORDER BY dataset, source_file), '')
           FROM reference_load WHERE dataset LIKE 'geo-%'"""
    )
    stored = con.execute("SELECT signature FROM place_geography").fetchall()
    if stored == [(signature,)]:
        return False
    con.execute("DELETE FROM place_geography")
    con.execute("INSERT INTO place_geography VALUES (?)", [signature])
    return True


def _prune(con: duckdb.DuckDBPyConnection, target: _Target, *, everything: bool) -> int:
    """Drop placements of rows that no longer exist or whose partition was reloaded since.

    The quarantine entries written for dropped 'unknown lsoa' rows go with them.
    """
    condition = "TRUE" if everything else f"""
        NOT EXISTS (SELECT 1 FROM {target.source} s WHERE {_SAME_ROW.format(a='s', b='p')})
        OR EXISTS (SELECT 1 FROM place_partition pp
                   LEFT JOIN partition_load pl USING (dataset, force, month)
                   WHERE pp.dataset = '{target.dataset}' AND pp.force = p.force AND pp.month = p.month
                     AND pl.load_id IS DISTINCT FROM pp.load_id)"""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE __gone AS SELECT {_KEY}, status FROM {target.place} p WHERE {condition}"
    )
    if target is STREET:
        # Ours are the entries whose line was also loaded: the police.uk loader quarantines a
        # line instead of loading it, never as well.
        con.execute(
            f"""DELETE FROM quarantine q USING __gone g
            WHERE g.status = '{UNKNOWN}' AND q.dataset = '{STREET.dataset}' AND q.field = 'LSOA code'
              AND {_SAME_ROW.format(a='q', b='g')}"""
        )
    removed = scalar(con, f"DELETE FROM {target.place} p USING __gone g WHERE {_SAME_ROW.format(a='p', b='g')}")
    con.execute("DROP TABLE __gone")
    return int(removed)


def _stamp(con: duckdb.DuckDBPyConnection, target: _Target) -> None:
    con.execute("DELETE FROM place_partition WHERE dataset = ?", [target.dataset])
    con.execute(
        "INSERT INTO place_partition SELECT dataset, force, month, load_id FROM partition_load WHERE dataset = ?",
        [target.dataset],
    )


def _totals(con: duckdb.DuckDBPyConnection, table: str, *, street: bool) -> dict[str, int]:
    counts = dict(con.execute(f"SELECT status, count(*) FROM {table} GROUP BY status").fetchall())
    names = {LOCATED: "located", OUTSIDE: "outside_force_area", UNLOCATED: "unlocated", UNKNOWN: "unknown_lsoa"}
    return {names[s]: int(counts.get(s, 0)) for s in STATUSES if street or s != UNKNOWN}


# --- the polygons ------------------------------------------------------------------------


class _LsoaIndex:
    """The loaded LSOA 2021 polygons on a local metric grid, sorted by code, with a tree."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        codes, geoms = load_polygons(con, "geo_lsoa_boundary", "lsoa_code")
        self.codes = codes
        self.grid = LocalGrid.around(geoms)
        self.geoms = self.grid.to_metres(geoms)
        self.tree = shapely.STRtree(self.geoms)
        self.position = {code: i for i, code in enumerate(codes)}
        self._force_codes = {c for (c,) in con.execute("SELECT lsoa_code FROM lsoa_area").fetchall()}

    @cached_property
    def closed(self) -> shapely.Geometry:
        """The LSOAs around the force area, unioned, with gaps under 2 x GAP_FILL_METRES closed."""
        inside = [self.position[c] for c in self._force_codes if c in self.position]
        if not inside:
            return shapely.Polygon()
        box = shapely.box(*shapely.total_bounds(self.geoms[inside])).buffer(2 * GAP_FILL_METRES)
        near = self.tree.query(box, predicate="intersects")
        outline = shapely.union_all(self.geoms[near]).buffer(GAP_FILL_METRES).buffer(-GAP_FILL_METRES)
        shapely.prepare(outline)
        return outline

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(LSOA code or None, placed-by-gap-fill flag) for each point."""
        x, y = self.grid.xy(lon, lat)
        points = shapely.points(x, y)
        best = _first_per_point(len(points), *self.tree.query(points, predicate="intersects"))
        gap = np.zeros(len(points), dtype=bool)
        missed = np.flatnonzero(best < 0)
        if len(missed):
            in_gap = missed[shapely.contains_xy(self.closed, x[missed], y[missed])]
            if len(in_gap):
                hit, poly = self.tree.query_nearest(
                    points[in_gap], max_distance=GAP_FILL_METRES * 1.01, all_matches=True
                )
                nearest = _first_per_point(len(in_gap), hit, poly)
                found = nearest >= 0
                best[in_gap[found]] = nearest[found]
                gap[in_gap[found]] = True
        placed = best >= 0
        codes = np.full(len(points), None, dtype=object)
        codes[placed] = self.codes[best[placed]]
        return codes, gap

    def distance(self, lon: np.ndarray, lat: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Metres from each point to the polygon of the paired code (NaN if either is missing)."""
        x, y = self.grid.xy(lon, lat)
        idx = np.array([self.position.get(c, -1) for c in codes], dtype=int)
        ok = (idx >= 0) & np.isfinite(x) & np.isfinite(y)
        out = np.full(len(codes), np.nan)
        out[ok] = shapely.distance(shapely.points(x[ok], y[ok]), self.geoms[idx[ok]])
        return out

    def area(self, codes: np.ndarray) -> np.ndarray:
        idx = np.array([self.position.get(c, -1) for c in codes], dtype=int)
        out = np.full(len(codes), np.nan)
        out[idx >= 0] = shapely.area(self.geoms[idx[idx >= 0]])
        return out


def _first_per_point(n: int, point: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """For each of n points the smallest matching polygon index (= smallest code), else -1."""
    best = np.full(n, -1, dtype=np.int64)
    if len(point):
        order = np.lexsort((poly, point))
        first_points, first = np.unique(point[order], return_index=True)
        best[first_points] = poly[order][first]
    return best


class _AuthorityIndex:
    """The national local-authority polygons (authorities of the loaded lookup only), on a
    metric grid, with a tree."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        codes, geoms = load_polygons(
            con, "geo_la_boundary", "la_code", "WHERE la_code IN (SELECT la_code FROM local_authority)"
        )
        self.codes = codes
        self.grid = LocalGrid.around(geoms)
        self.geoms = self.grid.to_metres(geoms)
        self.tree = shapely.STRtree(self.geoms)

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(authority code or None, placed-by-coast-snap flag) for each point. A point in two
        polygons (they overlap slightly after generalisation) goes to the smaller code."""
        x, y = self.grid.xy(lon, lat)
        points = shapely.points(x, y)
        best = _first_per_point(len(points), *self.tree.query(points, predicate="intersects"))
        snapped = np.zeros(len(points), dtype=bool)
        missed = np.flatnonzero(best < 0)
        if len(missed):
            hit, poly = self.tree.query_nearest(points[missed], max_distance=COAST_SNAP_METRES, all_matches=True)
            nearest = _first_per_point(len(missed), hit, poly)
            found = nearest >= 0
            best[missed[found]] = nearest[found]
            snapped[missed[found]] = True
        codes = np.full(len(points), None, dtype=object)
        codes[best >= 0] = self.codes[best[best >= 0]]
        return codes, snapped


# --- stop and search: by coordinates ----------------------------------------------------------


def _place_points(
    con: duckdb.DuckDBPyConnection, index: _LsoaIndex | None, authorities: _AuthorityIndex | None
) -> dict[str, int]:
    """Rows of forces with the LSOA hierarchy by the LSOA polygons; every other force's rows by
    the local-authority polygons. A row is located only in its own force's areas."""
    lsoa_forces = "(SELECT DISTINCT force FROM lsoa_area)"
    # Snap points repeat (police.uk publishes a fixed set), so locate each distinct one once.
    located = "longitude IS NOT NULL AND latitude IS NOT NULL"
    points = con.execute(
        f"SELECT DISTINCT longitude, latitude FROM __todo WHERE {located} AND force IN {lsoa_forces}"
    ).df()
    if index is None:
        codes, gap = np.full(len(points), None, dtype=object), np.zeros(len(points), dtype=bool)
    else:
        codes, gap = index.locate(points["longitude"].to_numpy(float), points["latitude"].to_numpy(float))
    points["lsoa_code"] = pd.Series(codes, dtype=object)
    points["gap_filled"] = gap
    la_points = con.execute(
        f"SELECT DISTINCT longitude, latitude FROM __todo WHERE {located} AND force NOT IN {lsoa_forces}"
    ).df()
    if authorities is None:
        la_codes, snapped = np.full(len(la_points), None, dtype=object), np.zeros(len(la_points), dtype=bool)
    else:
        la_codes, snapped = authorities.locate(la_points["longitude"].to_numpy(float),
                                               la_points["latitude"].to_numpy(float))
    la_points["la_code"] = pd.Series(la_codes, dtype=object)
    la_points["coast_snapped"] = snapped
    con.register("__points", points)
    con.register("__la_points", la_points)
    try:
        by_lsoa = f"""
            SELECT t.source_file, t.source_line, t.force, t.month, pt.lsoa_code, h.ward_code,
                   h.borough_code, CASE WHEN a.force = t.force THEN a.bcu_code END AS bcu_code,
                   CASE WHEN t.longitude IS NULL OR t.latitude IS NULL THEN '{UNLOCATED}'
                        WHEN a.force = t.force THEN '{LOCATED}' ELSE '{OUTSIDE}' END AS status,
                   CASE WHEN t.longitude IS NOT NULL AND t.latitude IS NOT NULL THEN '{BY_LSOA}' END AS method
            FROM __todo t
            LEFT JOIN __points pt ON pt.longitude = t.longitude AND pt.latitude = t.latitude
            LEFT JOIN ({LSOA_LOOKUP_SQL}) h ON h.lsoa_code = pt.lsoa_code
            LEFT JOIN lsoa_area a ON a.lsoa_code = pt.lsoa_code
            WHERE t.force IN {lsoa_forces}"""
        # Without local authorities (the bundled London data) a row outside the LSOA forces is
        # still written, unplaced.
        authority = "local_authority" if authorities is not None else \
            "(SELECT NULL::VARCHAR AS la_code, NULL::VARCHAR AS force WHERE false)"
        by_authority = f"""
            SELECT t.source_file, t.source_line, t.force, t.month, NULL::VARCHAR AS lsoa_code,
                   NULL::VARCHAR AS ward_code, la.la_code AS borough_code, NULL::VARCHAR AS bcu_code,
                   CASE WHEN t.longitude IS NULL OR t.latitude IS NULL THEN '{UNLOCATED}'
                        WHEN l.force = t.force THEN '{LOCATED}' ELSE '{OUTSIDE}' END AS status,
                   CASE WHEN t.longitude IS NOT NULL AND t.latitude IS NOT NULL THEN '{BY_AUTHORITY}' END AS method
            FROM __todo t
            LEFT JOIN __la_points la ON la.longitude = t.longitude AND la.latitude = t.latitude
            LEFT JOIN {authority} l ON l.la_code = la.la_code
            WHERE t.force NOT IN {lsoa_forces}"""
        parts = [by_lsoa, by_authority] if index is not None else [by_authority]
        new = scalar(con, "INSERT INTO stop_search_place BY NAME " + " UNION ALL BY NAME ".join(parts))
        gap_rows = scalar(
            con,
            "SELECT count(*) FROM __todo t JOIN __points pt USING (longitude, latitude) WHERE pt.gap_filled"
        )
        coast_rows = scalar(
            con,
            "SELECT count(*) FROM __todo t JOIN __la_points pt USING (longitude, latitude) WHERE pt.coast_snapped"
        )
    finally:
        con.unregister("__points")
        con.unregister("__la_points")
    return {"newly_assigned": int(new), "gap_filled": int(gap_rows), "coast_snapped": int(coast_rows)}


# --- street crime: by published LSOA code ---------------------------------------------------


def _place_codes(con: duckdb.DuckDBPyConnection, index: _LsoaIndex) -> dict[str, int]:
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE __lsoa21 AS
        SELECT lsoa_code FROM ({LSOA_LOOKUP_SQL}) UNION SELECT lsoa21_code FROM lsoa_vintage"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE __cand AS
        SELECT lsoa11_code, lsoa21_code, count(*) OVER (PARTITION BY lsoa11_code) AS n
        FROM lsoa_vintage WHERE lsoa11_code NOT IN (SELECT lsoa_code FROM __lsoa21)"""
    )
    choices = _choose_among_candidates(con, index)
    national = scalar(
        con,
        """SELECT EXISTS (SELECT 1 FROM geo_lsoa_ward WHERE lsoa21_code LIKE 'W01%')
              AND EXISTS (SELECT 1 FROM lsoa_vintage WHERE lsoa11_code LIKE 'W01%')"""
    )
    checkable = "TRUE" if national else "FALSE"  # can a well-formed code be proved not to exist?
    con.register("__choice", choices)
    try:
        new = scalar(
            con,
            f"""INSERT INTO street_crime_place
            WITH resolved AS (
                SELECT t.source_file, t.source_line, t.force, t.month, t.lsoa_code AS published,
                       CASE WHEN n.lsoa_code IS NOT NULL THEN t.lsoa_code
                            ELSE coalesce(one.lsoa21_code, ch.lsoa21_code) END AS lsoa_code
                FROM __todo t
                LEFT JOIN __lsoa21 n ON n.lsoa_code = t.lsoa_code
                LEFT JOIN (SELECT * FROM __cand WHERE n = 1) one ON one.lsoa11_code = t.lsoa_code
                LEFT JOIN __choice ch ON ch.code = t.lsoa_code
                     AND ch.longitude IS NOT DISTINCT FROM t.longitude AND ch.latitude IS NOT DISTINCT FROM t.latitude
            )
            SELECT r.source_file, r.source_line, r.force, r.month, r.lsoa_code, h.ward_code, h.borough_code,
                   CASE WHEN a.force = r.force THEN a.bcu_code END,
                   CASE WHEN r.published IS NULL THEN '{UNLOCATED}'
                        WHEN a.force = r.force THEN '{LOCATED}'
                        WHEN r.lsoa_code IS NULL
                             AND (NOT regexp_full_match(r.published, '[EW]01\\d{{6}}') OR {checkable})
                             THEN '{UNKNOWN}'
                        ELSE '{OUTSIDE}' END,
                   CASE WHEN r.lsoa_code IS NOT NULL THEN 'lsoa_code' END
            FROM resolved r
            LEFT JOIN ({LSOA_LOOKUP_SQL}) h ON h.lsoa_code = r.lsoa_code
            LEFT JOIN lsoa_area a ON a.lsoa_code = r.lsoa_code"""
        )
    finally:
        con.unregister("__choice")
    _quarantine_unknown(con)
    con.execute("DROP TABLE IF EXISTS __lsoa21")
    con.execute("DROP TABLE IF EXISTS __cand")
    return {"newly_assigned": int(new)}


def _choose_among_candidates(con: duckdb.DuckDBPyConnection, index: _LsoaIndex) -> pd.DataFrame:
    """One 2021 LSOA per (2011 code, snap point) whose 2011 LSOA became several 2021 ones."""
    pairs = con.execute(
        """SELECT DISTINCT t.lsoa_code AS code, t.longitude, t.latitude, c.lsoa21_code
        FROM __todo t JOIN __cand c ON c.lsoa11_code = t.lsoa_code WHERE c.n > 1"""
    ).df()
    if pairs.empty:
        return pairs
    candidates = pairs["lsoa21_code"].to_numpy(object)
    # Containing polygon first (distance 0), then the nearest; without a point, the largest.
    pairs["distance"] = index.distance(pairs["longitude"].to_numpy(float), pairs["latitude"].to_numpy(float),
                                       candidates)
    pairs["area"] = index.area(candidates)
    pairs = pairs.assign(distance=pairs["distance"].fillna(np.inf), area=pairs["area"].fillna(0.0))
    pairs = pairs.sort_values(["code", "longitude", "latitude", "distance", "area", "lsoa21_code"],
                              ascending=[True, True, True, True, False, True], na_position="first")
    return pairs.drop_duplicates(["code", "longitude", "latitude"])[["code", "longitude", "latitude", "lsoa21_code"]]


def _quarantine_unknown(con: duckdb.DuckDBPyConnection) -> None:
    """Record each newly placed 'unknown lsoa' row in quarantine, under its partition's load.

    Rows written by the police.uk loader always have a partition load; 0 stands in for rows
    written some other way.
    """
    con.execute(
        f"""DELETE FROM quarantine q USING __todo t
        WHERE q.dataset = '{STREET.dataset}' AND q.field = 'LSOA code' AND {_SAME_ROW.format(a='q', b='t')}"""
    )
    con.execute(
        f"""INSERT INTO quarantine
        SELECT coalesce(pl.load_id, 0), '{STREET.dataset}', t.force, t.month, t.source_file, t.source_line,
               'LSOA code', t.lsoa_code,
               CASE WHEN regexp_full_match(t.lsoa_code, '[EW]01\\d{{6}}')
                    THEN '''' || t.lsoa_code || ''' is in neither the 2011 nor the 2021 LSOA lookup'
                    ELSE '''' || t.lsoa_code || ''' is not an LSOA code (E01 or W01 and six digits)' END
               || '; the crime stays loaded, with place status ''{UNKNOWN}''',
               json_object('Crime ID', s.crime_id, 'Month', strftime(t.month, '%Y-%m'),
                           'Falls within', s.falls_within, 'Longitude', t.longitude, 'Latitude', t.latitude,
                           'LSOA code', t.lsoa_code, 'LSOA name', s.lsoa_name, 'Crime type', s.crime_type)::VARCHAR
        FROM __todo t
        JOIN street_crime_place p ON {_SAME_ROW.format(a='p', b='t')}
        JOIN street_crime s ON {_SAME_ROW.format(a='s', b='t')}
        LEFT JOIN partition_load pl ON pl.dataset = '{STREET.dataset}' AND pl.force = t.force AND pl.month = t.month
        WHERE p.status = '{UNKNOWN}'
        ORDER BY t.force, t.month, t.source_file, t.source_line"""
    )
