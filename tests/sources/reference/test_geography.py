"""Geography: the force-area hierarchy, map boundaries, and placing police.uk rows in it.

Facts checked by hand against the ONS lookups and the MPS BCU list: LSOA E01000001 is in the
City of London ward Aldersgate; Lambeth is in BCU 'AS' Central South; the Met has 32 boroughs
in 12 BCUs; London has 4,994 LSOAs, 6 of them in the City, which is its own force.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
import shapely
from conftest import BUNDLED, SHARED, bundled, csv_lines, needs_shared, stop_search_file

from oversight.sources.police_uk import ingest_police_uk
from oversight.sources.reference import geography, ingest_reference
from oversight.sources.reference.dataset import load_datasets
from oversight.sources.reference.geography_files import (
    LSOA_CODE,
    parse_boundaries,
    parse_lsoa_ward_lookup,
)
from oversight.warehouse import connect

REFERENCE = Path(__file__).resolve().parents[3] / "data" / "default" / "reference"
GEO_NAMES = [d.name for d in geography.DATASETS]

# Hand-picked points (longitude, latitude).
LAMBETH_TOWN_HALL = (-0.11571, 51.46137)     # Brixton Hill, Lambeth
ENGLISH_CHANNEL = (-0.6, 50.6)               # sea off Bognor Regis (France is outside uk_bounds: the loader
                                             # quarantines it before it can be placed)
GUILDHALL = (-0.0922, 51.5155)               # City of London: its own force
WOKING = (-0.558, 51.319)                    # Surrey, outside London
WESTMINSTER_BRIDGE = (-0.122777, 51.500844)  # a real snap point on the bridge, over the Thames gap

PLACE_COLUMNS = ["source_file", "source_line", "force", "month", "lsoa_code", "ward_code", "borough_code",
                 "bcu_code", "status"]


@pytest.fixture(scope="module")
def geo_file(tmp_path_factory) -> Path:
    """A warehouse with the bundled geography loaded, built once and copied for each test."""
    path = tmp_path_factory.mktemp("geo") / "geo.duckdb"
    con = connect(path)
    reports = load_datasets(con, geography.DATASETS, [REFERENCE])
    assert all(r.ok for r in reports), [r.error for r in reports]
    con.close()
    return path


@pytest.fixture
def geo(geo_file, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(geo_file, path)
    con = connect(path)
    yield con
    con.close()


@pytest.fixture(scope="module")
def shared_geo_file(tmp_path_factory) -> Path:
    """The same, from ../shared/data: the England and Wales lookups and the original files."""
    path = tmp_path_factory.mktemp("shared-geo") / "geo.duckdb"
    con = connect(path)
    reports = load_datasets(con, geography.DATASETS, [SHARED])
    assert all(r.ok for r in reports), [r.error for r in reports]
    con.close()
    return path


@pytest.fixture
def shared_geo(shared_geo_file, tmp_path):
    path = tmp_path / "shared.duckdb"
    shutil.copy(shared_geo_file, path)
    con = connect(path)
    yield con
    con.close()


def _rows(con, sql, params=None):
    return con.execute(sql, params or []).fetchall()


def _street_file(path: Path, rows: list[tuple[tuple[float, float] | None, str]]) -> Path:
    """A real 2018-01 City of London street-crime row repeated with each (point, LSOA code)."""
    lines = csv_lines(bundled("street", "2018-01"))
    header = next(csv.reader([lines[0]]))
    template = next(csv.reader([lines[1]]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for i, (point, code) in enumerate(rows):
        row = list(template)
        row[header.index("Crime ID")] = f"{i:064x}"
        if "metropolitan" in path.name:
            row[header.index("Reported by")] = row[header.index("Falls within")] = "Metropolitan Police Service"
        row[header.index("Longitude")] = "" if point is None else str(point[0])
        row[header.index("Latitude")] = "" if point is None else str(point[1])
        row[header.index("LSOA code")] = code
        writer.writerow(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(out.getvalue())
    return path


def _place_table(con, table="stop_search_place"):
    return _rows(con, f"SELECT * FROM {table} ORDER BY source_file, source_line")


def _orphans(con, place, source):
    return _rows(con, f"""SELECT count(*) FROM {place} p WHERE NOT EXISTS (SELECT 1 FROM {source} s
                 WHERE s.source_file = p.source_file AND s.source_line = p.source_line
                   AND s.force = p.force AND s.month = p.month)""")[0][0]


# inputs ---------------------------------------------------------------------------------


def test_bundled_geography_files_match_their_checksums():
    folder = REFERENCE / "geo"
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


def test_bundled_geography_loads_every_row(geo):
    ledger = _rows(geo, "SELECT dataset, rows_read, rows_loaded, rows_quarantined FROM file_load ORDER BY dataset")
    assert ledger == [
        ("geo-bcu", 32, 32, 0),
        ("geo-lsoa11-lsoa21", 5016, 5016, 0),
        ("geo-lsoa21-boundary", 4994, 4994, 0),
        ("geo-lsoa21-ward24", 4994, 4994, 0),
        ("geo-ward24-boundary", 684, 684, 0),
    ]


def test_lookup_rows_with_bad_codes_are_rejected_with_their_line(tmp_path):
    real = csv_lines(REFERENCE / "geo" / "lookups" / "london_LSOA21_to_WD24_to_LAD24_lookup.csv.gz")
    broken = real[1].replace("E01000001", "E0100001")
    path = tmp_path / "lookup.csv"
    path.write_text("\n".join([real[0], real[1], real[2], broken, real[1]]) + "\n")
    parsed = parse_lsoa_ward_lookup(path)
    assert list(parsed.rows["lsoa21_code"]) == ["E01000001", "E01000003"]
    assert [(r.line, r.field, r.reason) for r in parsed.rejected] == [
        (4, "LSOA21CD", "'E0100001' is not an LSOA code (E01 or W01 and six digits)"),
        (5, "LSOA21CD", "'E01000001' is listed again (first at line 2)"),
    ]


def test_boundaries_in_british_national_grid_metres_are_rejected(tmp_path):
    square = [[[532000, 181000], [532100, 181000], [532100, 181100], [532000, 181000]]]
    feature = {"type": "Feature", "properties": {"LSOA21CD": "E01000001", "LSOA21NM": "City of London 001A"},
               "geometry": {"type": "Polygon", "coordinates": square}}
    path = tmp_path / "bng.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    parsed = parse_boundaries(path, "LSOA21CD", "LSOA21NM", LSOA_CODE)
    assert parsed.rows.empty
    (reject,) = parsed.rejected
    assert reject.reason == "feature 1: coordinates are not longitude/latitude in the UK (EPSG:4326 expected)"


def test_bcu_file_without_a_force_column_belongs_to_the_default_force(geo):
    assert _rows(geo, "SELECT DISTINCT force FROM geo_bcu_borough") == [("metropolitan",)]


# outputs: the hierarchy -----------------------------------------------------------------------


def test_e01000001_is_in_aldersgate_ward_of_the_city_and_outside_the_met(geo):
    assert _rows(geo, "SELECT lsoa21_name, ward_name, lad_name FROM geo_lsoa_ward WHERE lsoa21_code = 'E01000001'") == [
        ("City of London 001A", "Aldersgate", "City of London")
    ]
    assert _rows(geo, "SELECT count(*) FROM lsoa_area WHERE borough_code = 'E09000001'") == [(0,)]
    assert _rows(geo, "SELECT count(*) FROM area WHERE code IN ('E09000001', 'E01000001')") == [(0,)]


def test_lambeth_is_in_bcu_as_central_south(geo):
    assert _rows(geo, "SELECT DISTINCT bcu_code, bcu_name, force FROM lsoa_area WHERE borough_name = 'Lambeth'") == [
        ("AS", "Central South", "metropolitan")
    ]
    assert _rows(geo, "SELECT parent_level, parent_code FROM area WHERE level = 'borough' AND code = 'E09000022'") == [
        ("bcu", "AS")
    ]


def test_the_met_has_32_boroughs_in_12_bcus(geo):
    counts = dict(_rows(geo, "SELECT level, count(*) FROM area GROUP BY level"))
    assert counts == {"force": 1, "bcu": 12, "borough": 32, "ward": 679, "lsoa": 4988}
    assert _rows(geo, "SELECT code, name, parent_code FROM area WHERE level = 'force'") == [
        ("metropolitan", "Metropolitan Police Service", None)
    ]


def test_lsoas_per_borough_sum_to_london_minus_the_city(geo):
    per_borough = _rows(geo, "SELECT borough_code, count(*) FROM lsoa_area GROUP BY ALL")
    (london,) = _rows(geo, "SELECT count(DISTINCT lsoa21_code) FROM geo_lsoa_ward")[0]
    (city,) = _rows(geo, "SELECT count(*) FROM geo_lsoa_ward WHERE lad_code = 'E09000001'")[0]
    assert (london, city) == (4994, 6)
    assert len(per_borough) == 32
    assert sum(n for _, n in per_borough) == london - city == 4988


def test_every_area_has_its_parent_one_level_up(geo):
    orphans = _rows(geo, """SELECT a.level, a.code FROM area a
        LEFT JOIN area p ON p.level = a.parent_level AND p.code = a.parent_code
        WHERE a.level <> 'force' AND p.code IS NULL""")
    assert orphans == []
    wrong = _rows(geo, """SELECT level, parent_level FROM area
        WHERE (level, parent_level) NOT IN (('bcu', 'force'), ('borough', 'bcu'), ('ward', 'borough'), ('lsoa', 'ward'))
          AND level <> 'force'""")
    assert wrong == []


def test_lsoa_vintage_keeps_the_change_indicator(geo):
    assert dict(_rows(geo, "SELECT change, count(*) FROM lsoa_vintage GROUP BY change")) == {
        "U": 4659, "S": 313, "M": 44,
    }
    assert _rows(geo, "SELECT lsoa21_code FROM lsoa_vintage WHERE lsoa11_code = 'E01000109' ORDER BY 1") == [
        ("E01034469",), ("E01034470",)
    ]


def test_building_again_changes_nothing(geo):
    before = {t: _rows(geo, f"SELECT * FROM {t} ORDER BY ALL") for t in ("lsoa_area", "area", "area_boundary")}
    geography.build_geography(geo)
    assert before == {t: _rows(geo, f"SELECT * FROM {t} ORDER BY ALL") for t in ("lsoa_area", "area", "area_boundary")}


# outputs: map boundaries ----------------------------------------------------------------------


def test_area_boundaries_are_small_web_features_for_every_area(geo):
    counts = dict(_rows(geo, "SELECT level, count(*) FROM area_boundary GROUP BY level"))
    assert counts == {"force": 1, "bcu": 12, "borough": 32, "ward": 679}
    (size,) = _rows(geo, "SELECT sum(length(geojson)) FROM area_boundary")[0]
    assert size < 500_000
    for level, code, geojson in _rows(geo, "SELECT level, code, geojson FROM area_boundary"):
        feature = json.loads(geojson)
        assert feature["type"] == "Feature" and feature["properties"]["code"] == code
        geom = shapely.geometry.shape(feature["geometry"])
        assert geom.geom_type in ("Polygon", "MultiPolygon") and geom.is_valid, (level, code)


def test_lambeth_outline_contains_its_town_hall_and_not_the_guildhall(geo):
    collection = json.loads(geography.boundary_collection(geo, "borough"))
    (lambeth,) = [f for f in collection["features"] if f["properties"]["name"] == "Lambeth"]
    outline = shapely.geometry.shape(lambeth["geometry"])
    assert outline.contains(shapely.Point(LAMBETH_TOWN_HALL))
    assert not outline.contains(shapely.Point(GUILDHALL))
    coordinates = json.dumps(lambeth["geometry"]["coordinates"])
    assert max(len(c.split(".")[1]) for c in coordinates.replace("[", "").replace("]", "").split(",")) <= 5


# stop and search: by coordinates ------------------------------------------------------------


def test_points_are_placed_in_the_lsoa_that_contains_them(geo, tmp_path):
    points = [LAMBETH_TOWN_HALL, ENGLISH_CHANNEL, None, GUILDHALL, WOKING, WESTMINSTER_BRIDGE]
    ingest_police_uk(geo, [stop_search_file(tmp_path / "2018-04-metropolitan-stop-and-search.csv", points)])
    counts = geography.assign_places(geo)
    placed = _rows(geo, """SELECT source_line, lsoa_code, ward_code, borough_code, bcu_code, status
                           FROM stop_search_place ORDER BY source_line""")
    assert placed == [
        (2, "E01003055", "E05014095", "E09000022", "AS", "located"),               # Lambeth 016D
        (3, None, None, None, None, "outside force area"),                         # the sea
        (4, None, None, None, None, "unlocated"),
        (5, "E01032739", "E05009312", "E09000001", None, "outside force area"),    # City 001F, Walbrook
        (6, None, None, None, None, "outside force area"),                         # Woking
        (7, "E01004733", "E05013806", "E09000033", "CW", "located"),               # Westminster 020C
    ]
    assert counts["stop_search"] == {"located": 2, "outside_force_area": 3, "unlocated": 1, "removed": 0,
                                     "newly_assigned": 6, "gap_filled": 1, "coast_snapped": 0}


def test_assigning_twice_gives_the_same_table(geo, tmp_path):
    ingest_police_uk(geo, [bundled("stop-and-search", "2018-04"), bundled("street", "2018-01")])
    first = geography.assign_places(geo)
    tables = (_place_table(geo), _place_table(geo, "street_crime_place"))
    second = geography.assign_places(geo)
    assert (_place_table(geo), _place_table(geo, "street_crime_place")) == tables
    assert second["stop_search"]["newly_assigned"] == second["street_crime"]["newly_assigned"] == 0
    assert {k: v for k, v in second["stop_search"].items() if k not in ("newly_assigned", "gap_filled")} == {
        k: v for k, v in first["stop_search"].items() if k not in ("newly_assigned", "gap_filled")
    }


def test_reloading_a_partition_leaves_no_orphan_assignments(geo, tmp_path):
    path = stop_search_file(tmp_path / "a" / "2018-04-metropolitan-stop-and-search.csv",
                             [LAMBETH_TOWN_HALL, GUILDHALL, None])
    ingest_police_uk(geo, [path])
    geography.assign_places(geo)
    # Same file name, new bytes: same (file, line) keys, different places.
    stop_search_file(path, [ENGLISH_CHANNEL, LAMBETH_TOWN_HALL])
    ingest_police_uk(geo, [path])
    counts = geography.assign_places(geo)
    assert counts["stop_search"]["removed"] == 3
    assert _rows(geo, "SELECT source_line, status FROM stop_search_place ORDER BY 1") == [
        (2, "outside force area"), (3, "located")
    ]
    # Another copy of the same month under another name replaces the partition.
    other = stop_search_file(tmp_path / "b" / "2018-04-metropolitan-stop-and-search_v2.csv", [GUILDHALL])
    ingest_police_uk(geo, [other])
    geography.assign_places(geo)
    assert _orphans(geo, "stop_search_place", "stop_search") == 0
    assert _rows(geo, "SELECT source_file, status FROM stop_search_place") == [(str(other), "outside force area")]


def test_real_2018_searches_all_get_a_status(geo):
    report = ingest_police_uk(geo, [BUNDLED / "stop-and-search"])
    loaded = report.totals()["rows_loaded"]
    counts = geography.assign_places(geo)["stop_search"]
    assert counts["located"] + counts["outside_force_area"] + counts["unlocated"] == loaded == 149_284
    assert counts["unlocated"] == _rows(geo, "SELECT count(*) FROM stop_search WHERE latitude IS NULL")[0][0]
    # Measured: 201 of the 117,328 searches with coordinates (0.17%) fall outside London,
    # after 266 on bridges and riverside were placed in the nearest LSOA.
    assert counts["outside_force_area"] / (loaded - counts["unlocated"]) < 0.005
    coverage = geography.place_coverage(geo, "stop-and-search")
    assert len(coverage) == 12 * 4
    assert (coverage["placed"] + coverage["not_placed"] == coverage["rows"]).all()
    assert coverage.groupby("month")["placed"].nunique().eq(1).all()  # every located row has all four levels


# street crime: by published LSOA code ---------------------------------------------------------


def test_2011_codes_go_through_the_vintage_lookup(geo, tmp_path):
    split_codes = [c for (c,) in _rows(geo, "SELECT lsoa21_code FROM lsoa_vintage WHERE lsoa11_code = 'E01000109'")]
    polygons = {c: shapely.from_wkb(bytes(g)) for c, g in _rows(
        geo, "SELECT lsoa_code, geometry FROM geo_lsoa_boundary WHERE lsoa_code IN (?, ?)", split_codes)}
    inside_second = polygons[split_codes[1]].representative_point()
    larger = max(split_codes, key=lambda c: polygons[c].area)
    merged_11, merged_21 = _rows(
        geo, "SELECT lsoa11_code, lsoa21_code FROM lsoa_vintage WHERE change = 'M' ORDER BY ALL LIMIT 1")[0]
    rows = [
        ((inside_second.x, inside_second.y), "E01000109"),   # split: the part holding the point
        (None, "E01000109"),                                 # split, no point: the larger part
        (LAMBETH_TOWN_HALL, merged_11),                      # merged: the one 2021 LSOA, whatever the point
        (LAMBETH_TOWN_HALL, "E01003055"),                    # a 2021 code as published
        (GUILDHALL, "E01032739"),                            # unchanged City code: outside the Met
        (None, ""),                                          # no LSOA
    ]
    ingest_police_uk(geo, [_street_file(tmp_path / "2018-01-metropolitan-street.csv", rows)])
    geography.assign_places(geo)
    placed = _rows(geo, "SELECT lsoa_code, borough_code, status FROM street_crime_place ORDER BY source_line")
    merged_borough = _rows(geo, "SELECT lad_code FROM geo_lsoa_ward WHERE lsoa21_code = ?", [merged_21])[0][0]
    assert placed == [
        (split_codes[1], "E09000002", "located"),
        (larger, "E09000002", "located"),
        (merged_21, merged_borough, "located"),
        ("E01003055", "E09000022", "located"),
        ("E01032739", "E09000001", "outside force area"),
        (None, None, "unlocated"),
    ]


def test_a_malformed_lsoa_code_is_quarantined_and_the_crime_kept(geo):
    ingest_police_uk(geo, [bundled("street", "2018-01")])
    # The loader already refuses malformed codes, so write one the way another tool might.
    geo.execute("""INSERT INTO street_crime SELECT * REPLACE ('E01-BAD' AS lsoa_code, 99999 AS source_line)
                   FROM street_crime WHERE source_line = 2""")
    geography.assign_places(geo)
    geography.assign_places(geo)
    assert _rows(geo, "SELECT status, lsoa_code FROM street_crime_place WHERE source_line = 99999") == [
        ("unknown lsoa", None)
    ]
    quarantined = _rows(geo, """SELECT dataset, source_file, source_line, field, value, reason, force, month
                                FROM quarantine WHERE field = 'LSOA code'""")
    assert [q[:5] for q in quarantined] == [
        ("street", str(bundled("street", "2018-01")), 99999, "LSOA code", "E01-BAD")
    ]
    assert quarantined[0][5].startswith("'E01-BAD' is not an LSOA code (E01 or W01 and six digits)")
    assert _rows(geo, "SELECT count(*) FROM street_crime WHERE source_line = 99999") == [(1,)]
    # Once the row is gone, its placement and its quarantine entry go too.
    geo.execute("DELETE FROM street_crime WHERE source_line = 99999")
    geography.assign_places(geo)
    assert _rows(geo, "SELECT count(*) FROM quarantine WHERE field = 'LSOA code'") == [(0,)]
    assert _orphans(geo, "street_crime_place", "street_crime") == 0


def test_a_well_formed_code_missing_from_regional_lookups_is_outside_not_unknown(geo, tmp_path):
    ingest_police_uk(geo, [_street_file(tmp_path / "2018-01-city-of-london-street.csv",
                                        [(WOKING, "E01030946"), (None, "E01999999")])])
    geography.assign_places(geo)
    assert _rows(geo, "SELECT lsoa_code, status FROM street_crime_place ORDER BY source_line") == [
        (None, "outside force area"), (None, "outside force area")
    ]


# wiring ----------------------------------------------------------------------------------


def test_ingest_reference_places_loaded_rows_and_says_so(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    ingest_police_uk(con, [bundled("stop-and-search", "2018-04")])
    report = ingest_reference(con, [REFERENCE], only=GEO_NAMES)
    assert not report.failed
    notes = [n for f in report.files for n in f.notes if "placed" in n]
    assert len(notes) == 2 and notes[0].startswith("stop and search placed: ")
    assert _rows(con, "SELECT count(*) FROM stop_search_place") == _rows(con, "SELECT count(*) FROM stop_search")
    con.close()


def test_assign_places_before_the_geography_is_loaded_does_nothing(warehouse):
    assert geography.assign_places(warehouse) == {}


# the full shared data set -----------------------------------------------------------------


@needs_shared
def test_bundled_polygons_place_real_searches_as_the_shared_ones_do(geo, shared_geo):
    for con in (geo, shared_geo):
        ingest_police_uk(con, [BUNDLED / "stop-and-search"])
        geography.assign_places(con)
    assert _place_table(shared_geo) == _place_table(geo)


@needs_shared
def test_all_real_met_searches_mostly_fall_in_london(shared_geo):
    report = ingest_police_uk(shared_geo, [SHARED / "police_uk" / "stop_and_search"])
    counts = geography.assign_places(shared_geo)["stop_search"]
    loaded = report.totals()["rows_loaded"]
    assert counts["located"] + counts["outside_force_area"] + counts["unlocated"] == loaded
    # Measured: 1,214 of 585,668 searches with coordinates (0.21%).
    assert counts["outside_force_area"] / (loaded - counts["unlocated"]) < 0.005


@needs_shared
def test_a_code_in_neither_national_lookup_is_quarantined(shared_geo, tmp_path):
    path = _street_file(tmp_path / "2018-01-city-of-london-street.csv", [(WOKING, "E01030946"), (None, "E01999999")])
    ingest_police_uk(shared_geo, [path])
    geography.assign_places(shared_geo)
    assert _rows(shared_geo, "SELECT status, borough_code FROM street_crime_place ORDER BY source_line") == [
        ("outside force area", "E07000217"), ("unknown lsoa", None)
    ]
    (reason,) = _rows(shared_geo, "SELECT reason FROM quarantine WHERE field = 'LSOA code'")[0]
    assert reason.startswith("'E01999999' is in neither the 2011 nor the 2021 LSOA lookup")

