"""Reference datasets: geography, from LSOA 2021 up to the force area.

Nine files, each a `Dataset` (patterns are relative to a data root such as data/default/reference
or ../shared/data):
- geo-bcu: the force's boroughs and their Basic Command Units (geo/lookups/met_bcu_borough.csv);
  the boroughs listed are the force area.
- geo-lsoa21-ward24: ONS LSOA 2021 -> ward 2024 -> district 2024 best-fit lookup (London or
  England and Wales edition).
- geo-lsoa11-lsoa21: ONS LSOA 2011 <-> 2021 exact-fit lookup with the change indicator.
- geo-lsoa21-boundary, geo-ward24-boundary: ONS boundary polygons (GeoJSON, lon/lat).
- geo-la-force, geo-la-reorganisation: every local authority of England and Wales with its
  partnership and force area, and the 2023 mergers (census 2021 codes -> current authority).
- geo-pfa-boundary, geo-la-boundary: force area and local authority polygons (the latter very
  generalised), for maps of forces without the LSOA hierarchy.

After any of them loads, `build_geography` rebuilds lsoa_area, area, lsoa_vintage,
area_boundary, force_area and local_authority (see geography_build, geography_national).
`assign_places` then places police.uk stop-and-search and street-crime rows in that hierarchy
(see geography_places).
"""

from __future__ import annotations

import duckdb

from oversight.sources.reference.dataset import Dataset
from oversight.sources.reference.geography_build import boundary_collection, build_geography
from oversight.sources.reference.geography_files import (
    parse_bcu_borough,
    parse_la_boundaries,
    parse_la_force_lookup,
    parse_la_reorganisation,
    parse_lsoa_boundaries,
    parse_lsoa_vintage_lookup,
    parse_lsoa_ward_lookup,
    parse_pfa_boundaries,
    parse_ward_boundaries,
)
from oversight.sources.reference.geography_places import (
    GAP_FILL_METRES,
    STATUSES,
    assign_places,
    place_coverage,
    places_ready,
)

__all__ = [
    "DATASETS", "GAP_FILL_METRES", "STATUSES", "assign_places", "boundary_collection", "build_geography",
    "place_coverage", "places_ready",
]


# Each file rebuilds only what depends on it, so a first load of all five builds each output
# once or twice rather than five times.
def _rebuild_hierarchy(con: duckdb.DuckDBPyConnection) -> None:
    build_geography(con, ("hierarchy",))


def _rebuild_vintage(con: duckdb.DuckDBPyConnection) -> None:
    build_geography(con, ("vintage",))


def _rebuild_boundaries(con: duckdb.DuckDBPyConnection) -> None:
    build_geography(con, ("boundaries",))


BCU = Dataset(
    name="geo-bcu",
    table="geo_bcu_borough",
    ddl="""CREATE TABLE IF NOT EXISTS geo_bcu_borough (
        force VARCHAR NOT NULL, bcu_code VARCHAR NOT NULL, bcu_name VARCHAR NOT NULL,
        borough_code VARCHAR NOT NULL, borough_name VARCHAR, source_file VARCHAR NOT NULL)""",
    patterns=("geo/lookups/*bcu_borough.csv*",),
    parse=parse_bcu_borough,
    description="Boroughs of the force area and their Basic Command Units (force: setting default_force "
                "unless the file has a force column)",
    after_load=_rebuild_hierarchy,
)

LSOA_WARD = Dataset(
    name="geo-lsoa21-ward24",
    table="geo_lsoa_ward",
    ddl="""CREATE TABLE IF NOT EXISTS geo_lsoa_ward (
        lsoa21_code VARCHAR NOT NULL, lsoa21_name VARCHAR NOT NULL, ward_code VARCHAR NOT NULL,
        ward_name VARCHAR NOT NULL, lad_code VARCHAR NOT NULL, lad_name VARCHAR NOT NULL,
        source_file VARCHAR NOT NULL)""",
    patterns=("geo/lookups/*LSOA21_to_WD24_to_LAD24*.csv*",),
    parse=parse_lsoa_ward_lookup,
    description="ONS LSOA 2021 -> electoral ward 2024 -> local authority 2024, best fit",
    after_load=_rebuild_hierarchy,
)

LSOA_VINTAGE = Dataset(
    name="geo-lsoa11-lsoa21",
    table="geo_lsoa_vintage",
    ddl="""CREATE TABLE IF NOT EXISTS geo_lsoa_vintage (
        lsoa11_code VARCHAR NOT NULL, lsoa11_name VARCHAR, lsoa21_code VARCHAR NOT NULL, lsoa21_name VARCHAR,
        change VARCHAR NOT NULL, lad22_code VARCHAR NOT NULL, lad22_name VARCHAR, source_file VARCHAR NOT NULL)""",
    patterns=("geo/lookups/*LSOA11_to_LSOA21*.csv*",),
    parse=parse_lsoa_vintage_lookup,
    description="ONS LSOA 2011 <-> LSOA 2021 exact fit, with change indicator (U, S, M, X)",
    after_load=_rebuild_vintage,
)

LSOA_BOUNDARY = Dataset(
    name="geo-lsoa21-boundary",
    table="geo_lsoa_boundary",
    ddl="""CREATE TABLE IF NOT EXISTS geo_lsoa_boundary (
        lsoa_code VARCHAR NOT NULL, lsoa_name VARCHAR, geometry BLOB NOT NULL, source_file VARCHAR NOT NULL)""",
    patterns=("geo/*lsoa2021_boundaries.geojson*",),
    parse=parse_lsoa_boundaries,
    description="ONS LSOA 2021 boundaries (generalised, clipped), lon/lat polygons as WKB, for point-in-polygon",
    after_load=_rebuild_boundaries,
)

WARD_BOUNDARY = Dataset(
    name="geo-ward24-boundary",
    table="geo_ward_boundary",
    ddl="""CREATE TABLE IF NOT EXISTS geo_ward_boundary (
        ward_code VARCHAR NOT NULL, ward_name VARCHAR, geometry BLOB NOT NULL, source_file VARCHAR NOT NULL)""",
    patterns=("geo/*wards2024_boundaries.geojson*",),
    parse=parse_ward_boundaries,
    description="ONS ward boundaries, December 2024 (generalised), lon/lat polygons as WKB, for maps",
    after_load=_rebuild_boundaries,
)

LA_FORCE = Dataset(
    name="geo-la-force",
    table="geo_la_force",
    ddl="""CREATE TABLE IF NOT EXISTS geo_la_force (
        la_code VARCHAR NOT NULL, la_name VARCHAR NOT NULL, csp_code VARCHAR NOT NULL, csp_name VARCHAR NOT NULL,
        pfa_code VARCHAR NOT NULL, pfa_name VARCHAR NOT NULL, source_file VARCHAR NOT NULL)""",
    patterns=("national/lookups/*lookup_ltla24_csp24_pfa24.csv*",),
    parse=parse_la_force_lookup,
    description="ONS local authority (2024) -> Community Safety Partnership -> police force area, England and "
                "Wales; force areas to police.uk force ids in mappings/police_force_areas.csv",
    after_load=_rebuild_hierarchy,
    optional=True,
)

LA_REORGANISATION = Dataset(
    name="geo-la-reorganisation",
    table="geo_la_reorganisation",
    ddl="""CREATE TABLE IF NOT EXISTS geo_la_reorganisation (
        la22_code VARCHAR NOT NULL, la22_name VARCHAR NOT NULL, la23_code VARCHAR NOT NULL,
        la23_name VARCHAR NOT NULL, source_file VARCHAR NOT NULL)""",
    patterns=("national/lookups/*lookup_ltla22_ltla23.csv*",),
    parse=parse_la_reorganisation,
    description="ONS local authority 2022 -> 2023 (the April 2023 mergers), so census 2021 authorities map to "
                "current ones",
    after_load=_rebuild_hierarchy,
    optional=True,
)

PFA_BOUNDARY = Dataset(
    name="geo-pfa-boundary",
    table="geo_pfa_boundary",
    ddl="""CREATE TABLE IF NOT EXISTS geo_pfa_boundary (
        pfa_code VARCHAR NOT NULL, pfa_name VARCHAR, geometry BLOB NOT NULL, source_file VARCHAR NOT NULL)""",
    patterns=("national/boundaries/*boundaries_pfa20*.geojson*",),
    parse=parse_pfa_boundaries,
    description="ONS police force area boundaries (2020, generalised), lon/lat polygons as WKB, for maps",
    after_load=_rebuild_boundaries,
    optional=True,
)

LA_BOUNDARY = Dataset(
    name="geo-la-boundary",
    table="geo_la_boundary",
    ddl="""CREATE TABLE IF NOT EXISTS geo_la_boundary (
        la_code VARCHAR NOT NULL, la_name VARCHAR, geometry BLOB NOT NULL, source_file VARCHAR NOT NULL)""",
    patterns=("national/boundaries/*boundaries_ltla24*.geojson*",),
    parse=parse_la_boundaries,
    description="ONS local authority boundaries (2024, very generalised: for maps only, never to place a point), "
                "lon/lat polygons as WKB",
    after_load=_rebuild_boundaries,
    optional=True,
)

DATASETS: tuple[Dataset, ...] = (
    BCU, LSOA_WARD, LSOA_VINTAGE, LSOA_BOUNDARY, WARD_BOUNDARY, LA_FORCE, LA_REORGANISATION, PFA_BOUNDARY,
    LA_BOUNDARY,
)
