"""Every force in England and Wales: force areas, local authorities, boundaries and census 2021
ethnic groups from the national lookups (../shared/data/national, SOURCES.md section 7).

The small files written here are rows copied from those files (ONS via humaniverse/geographr and
humaniverse/demographr, OGL v3.0): the Census 2021 TS021 rows of the six Cumbrian districts merged
in 2023 into Cumberland and Westmorland and Furness, County Durham, Darlington and the City of
London, and their lookup rows. The checks on the full files are marked needs_shared.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest
from conftest import SHARED, needs_shared

from oversight.errors import SourceError
from oversight.sources.police_uk import vocab
from oversight.sources.reference import geography, ingest_reference, population
from oversight.sources.reference.dataset import load_datasets
from oversight.sources.reference.geography_national import force_areas
from oversight.sources.reference.population_files import ENGLAND_AND_WALES_2021, ethnicity_mapping, parse_la_ethnicity
from oversight.warehouse import connect

REFERENCE = Path(__file__).resolve().parents[3] / "data" / "default" / "reference"
NATIONAL = SHARED / "national"
NATIONAL_GEO = [d for d in geography.DATASETS if d.optional]
LA_POPULATION = next(d for d in population.DATASETS if d.name == "population-ethnicity-la")

TS021_FILE = "census2021_ts021_ethnic_group_19cat_ltla21_EW.csv"
TS021_HEADER = (
    'ltla21_code,ltla21_name,total_all_usual_residents,"Asian, Asian British or Asian Welsh: Bangladeshi",'
    '"Asian, Asian British or Asian Welsh: Chinese","Asian, Asian British or Asian Welsh: Indian",'
    '"Asian, Asian British or Asian Welsh: Other Asian","Asian, Asian British or Asian Welsh: Pakistani",'
    '"Black, Black British, Black Welsh, Caribbean or African: African",'
    '"Black, Black British, Black Welsh, Caribbean or African: Caribbean",'
    '"Black, Black British, Black Welsh, Caribbean or African: Other Black",'
    "Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups,"
    "Mixed or Multiple ethnic groups: White and Asian,Mixed or Multiple ethnic groups: White and Black African,"
    "Mixed or Multiple ethnic groups: White and Black Caribbean,Other ethnic group: Any other ethnic group,"
    'Other ethnic group: Arab,"White: English, Welsh, Scottish, Northern Irish or British",'
    "White: Gypsy or Irish Traveller,White: Irish,White: Other White,White: Roma"
)
TS021_ROWS = [
    "E06000005,Darlington,107796,759,308,1086,618,195,456,135,110,374,516,198,384,603,329,97320,434,342,3525,104",
    "E06000047,County Durham,522067,300,2838,2148,1818,730,1202,284,254,1167,1962,914,906,1248,825,494638,798,1384,"
    "8494,157",
    "E07000026,Allerdale,96153,43,139,103,221,34,59,19,6,175,241,74,137,197,38,92981,53,241,1359,33",
    "E07000027,Barrow-in-Furness,67406,59,227,240,369,54,223,14,13,141,227,67,115,160,85,64485,21,179,710,17",
    "E07000028,Carlisle,110025,179,365,430,521,133,273,42,22,278,348,186,161,382,197,102004,188,437,3795,84",
    "E07000029,Copeland,67076,56,122,123,195,51,141,34,10,117,175,59,99,119,61,64851,23,163,666,11",
    "E07000030,Eden,54737,78,86,133,117,21,50,27,10,120,134,45,69,128,20,51891,49,203,1526,30",
    "E07000031,South Lakeland,104450,31,192,165,361,63,120,102,29,298,363,159,214,268,60,97960,34,446,3512,73",
    "E09000001,City of London,8584,287,545,321,259,33,153,54,25,189,179,49,53,368,114,3649,0,185,2062,59",
]
LA_FORCE_ROWS = [
    "ltla24_code,ltla24_name,csp24_code,csp24_name,pfa24_code,pfa24_name",
    "E06000005,Darlington,E22000072,Darlington,E23000008,Durham",
    "E06000047,County Durham,E22000365,County Durham,E23000008,Durham",
    "E06000063,Cumberland,E22000031,Allerdale,E23000002,Cumbria",
    "E06000063,Cumberland,E22000033,Carlisle,E23000002,Cumbria",
    "E06000063,Cumberland,E22000034,Copeland,E23000002,Cumbria",
    "E06000064,Westmorland and Furness,E22000032,Barrow-in-Furness,E23000002,Cumbria",
    "E06000064,Westmorland and Furness,E22000035,Eden,E23000002,Cumbria",
    "E06000064,Westmorland and Furness,E22000036,South Lakeland,E23000002,Cumbria",
    'E09000001,City of London,E22000180,City of London,E23000034,"London, City of"',
]
REORGANISATION_ROWS = [
    "ltla22_code,ltla22_name,ltla23_code,ltla23_name",
    "E06000005,Darlington,E06000005,Darlington",
    "E06000047,County Durham,E06000047,County Durham",
    "E07000026,Allerdale,E06000063,Cumberland",
    "E07000028,Carlisle,E06000063,Cumberland",
    "E07000029,Copeland,E06000063,Cumberland",
    "E07000027,Barrow-in-Furness,E06000064,Westmorland and Furness",
    "E07000030,Eden,E06000064,Westmorland and Furness",
    "E07000031,South Lakeland,E06000064,Westmorland and Furness",
    "E09000001,City of London,E09000001,City of London",
]
# The City of London force area as published (a small polygon), and a square for an authority.
CITY_POLYGON = [[[-0.078529, 51.521512], [-0.085233, 51.520348], [-0.10529, 51.518555], [-0.111568, 51.515335],
                 [-0.111444, 51.509775], [-0.109174, 51.509874], [-0.080183, 51.506872], [-0.078529, 51.521512]]]


def _write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _features(code_field: str, name_field: str, areas: list[tuple[str, str]]) -> dict[str, object]:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {code_field: code, name_field: name},
         "geometry": {"type": "Polygon", "coordinates": CITY_POLYGON}} for code, name in areas]}


@pytest.fixture
def root(tmp_path) -> Path:
    """A data folder in the shared layout holding only the small national files."""
    lookups = tmp_path / "national" / "lookups"
    _write(lookups / "geographr_lookup_ltla24_csp24_pfa24.csv", LA_FORCE_ROWS)
    _write(lookups / "geographr_lookup_ltla22_ltla23.csv", REORGANISATION_ROWS)
    _write(tmp_path / "national" / "census2021" / TS021_FILE, [TS021_HEADER, *TS021_ROWS])
    boundaries = tmp_path / "national" / "boundaries"
    boundaries.mkdir(parents=True)
    (boundaries / "geographr_boundaries_pfa20_wgs84.geojson").write_text(json.dumps(_features(
        "pfa20_code", "pfa20_name", [("E23000034", "London, City of"), ("E23000008", "Durham")])))
    (boundaries / "geographr_boundaries_ltla24_wgs84.geojson").write_text(json.dumps(_features(
        "ltla24_code", "ltla24_name", [("E09000001", "City of London"), ("S12000033", "Aberdeen City")])))
    return tmp_path


def _load(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    reports = load_datasets(con, [*NATIONAL_GEO, LA_POPULATION], [root])
    assert all(r.ok for r in reports), [r.error for r in reports]


def _group(con: duckdb.DuckDBPyConnection, level: str, code: str, scheme: str = "self_defined") -> dict[str, int]:
    return dict(con.execute(
        """SELECT ethnic_group, residents FROM population_group
           WHERE census_year = 2021 AND scheme = ? AND level = ? AND area_code = ?""", [scheme, level, code]
    ).fetchall())


# --- the committed mappings ------------------------------------------------------------------


def test_every_police_uk_force_is_listed_once_and_forces_without_an_area_say_why():
    frame = force_areas()
    assert sorted(frame["force"]) == sorted(vocab.forces())
    no_area = frame[frame["pfa_code"].isna()].set_index("force")
    assert sorted(no_area.index) == ["btp", "northern-ireland"]
    assert "no police force area and no resident population" in no_area.loc["btp", "note"]
    assert frame["pfa_code"].notna().sum() == 43


def test_the_mapping_holds_the_census_wording_of_every_ts021_column():
    mapping = ethnicity_mapping()
    labels = set(mapping.loc[mapping["census_year"] == 2021, "census_label"])
    header = next(csv.reader([TS021_HEADER]))
    assert labels == set(header[3:]) and len(labels) == 19


# --- the loaders on the small files ----------------------------------------------------------


def test_merged_districts_are_counted_in_the_authority_that_replaced_them(warehouse, root):
    _load(warehouse, root)
    census_codes = dict(warehouse.execute("SELECT la_code, census_codes FROM local_authority").fetchall())
    assert census_codes["E06000063"] == ["E07000026", "E07000028", "E07000029"]
    assert census_codes["E06000064"] == ["E07000027", "E07000030", "E07000031"]
    # Cumberland = Allerdale + Carlisle + Copeland, by the published totals.
    assert _group(warehouse, "borough", "E06000063")["All"] == 96153 + 110025 + 67076
    assert _group(warehouse, "force", "cumbria")["All"] == 96153 + 67406 + 110025 + 67076 + 54737 + 104450
    csps = warehouse.execute("SELECT csp_names FROM local_authority WHERE la_code = 'E06000064'").fetchall()
    assert csps == [(["Barrow-in-Furness", "Eden", "South Lakeland"],)]


def test_forces_get_force_and_borough_rows_and_the_city_is_its_own_force(warehouse, root):
    _load(warehouse, root)
    rows = warehouse.execute(
        "SELECT level, code, parent_level, parent_code, force FROM area ORDER BY force, level DESC, code"
    ).fetchall()
    assert rows == [
        ("force", "city-of-london", None, None, "city-of-london"),
        ("borough", "E09000001", "force", "city-of-london", "city-of-london"),
        ("force", "cumbria", None, None, "cumbria"),
        ("borough", "E06000063", "force", "cumbria", "cumbria"),
        ("borough", "E06000064", "force", "cumbria", "cumbria"),
        ("force", "durham", None, None, "durham"),
        ("borough", "E06000005", "force", "durham", "durham"),
        ("borough", "E06000047", "force", "durham", "durham"),
    ]
    names = dict(warehouse.execute("SELECT code, name FROM area WHERE level = 'force'").fetchall())
    assert names["city-of-london"] == "City of London Police"


def test_both_schemes_keep_everyone_and_map_chinese_and_mixed_as_london_does(warehouse, root):
    _load(warehouse, root)
    self_defined = _group(warehouse, "borough", "E09000001")
    officer = _group(warehouse, "borough", "E09000001", "officer_defined")
    assert self_defined["All"] == officer["All"] == 8584
    assert sum(v for k, v in self_defined.items() if k != "All") == 8584
    assert sum(v for k, v in officer.items() if k != "All") == 8584
    # City of London row: Asian 287+545+321+259+33; Chinese (545) is officer-defined Other, as is Mixed.
    assert self_defined["Asian"] == 1445 and officer["Asian"] == 1445 - 545
    assert self_defined["Mixed"] == 189 + 179 + 49 + 53
    assert officer["Other"] == 545 + (189 + 179 + 49 + 53) + (368 + 114)
    assert set(officer) == {"Asian", "Black", "Other", "White", "All"}
    assert all(lsoas == 0 for (lsoas,) in warehouse.execute("SELECT lsoas FROM population_group").fetchall())


def test_boundaries_are_drawn_for_the_areas_of_the_hierarchy_only(warehouse, root):
    _load(warehouse, root)
    drawn = warehouse.execute("SELECT level, code FROM area_boundary ORDER BY level, code").fetchall()
    # Durham's polygon is loaded but Aberdeen (not in a force area of England and Wales) is not drawn.
    assert drawn == [("borough", "E09000001"), ("force", "city-of-london"), ("force", "durham")]
    feature = json.loads(warehouse.execute("SELECT geojson FROM area_boundary WHERE code = 'durham'").fetchone()[0])
    assert feature["properties"] == {"level": "force", "code": "durham", "name": "Durham Constabulary"}


def test_force_area_says_which_forces_have_no_area(warehouse, root):
    _load(warehouse, root)
    rows = {r[0]: r[1:] for r in warehouse.execute(
        "SELECT force, areas_from, local_authorities, note FROM force_area").fetchall()}
    assert rows["cumbria"] == ("local_authority", 2, None)
    assert rows["btp"][:2] == (None, 0) and "no resident population" in rows["btp"][2]
    assert rows["surrey"][:2] == (None, 0) and "no local authority" in rows["surrey"][2]


def test_a_census_authority_in_no_current_authority_refuses_the_build(warehouse, root):
    lookup = root / "national" / "lookups" / "geographr_lookup_ltla22_ltla23.csv"
    _write(lookup, [line for line in REORGANISATION_ROWS if not line.startswith("E07000030")])
    _write(root / "national" / "lookups" / "geographr_lookup_ltla24_csp24_pfa24.csv", LA_FORCE_ROWS)
    load_datasets(warehouse, NATIONAL_GEO, [root])
    with pytest.raises(SourceError, match="E07000030 \\(Eden\\) is in no current authority"):
        load_datasets(warehouse, [LA_POPULATION], [root])


def test_a_force_area_missing_from_the_mapping_refuses_the_lookup(warehouse, root):
    _write(root / "national" / "lookups" / "geographr_lookup_ltla24_csp24_pfa24.csv",
           [*LA_FORCE_ROWS, "E06000999,Nowhere,E22000999,Nowhere,E23000099,Atlantis"])
    with pytest.raises(SourceError, match="E23000099 \\(Atlantis\\) is not in mappings/police_force_areas.csv"):
        load_datasets(warehouse, NATIONAL_GEO, [root])


def test_bad_rows_are_quarantined_with_their_line(warehouse, root):
    _write(root / "national" / "census2021" / TS021_FILE, [TS021_HEADER, *TS021_ROWS[:-1],
                                                           TS021_ROWS[-1].replace(",8584,", ",8585,")])
    _write(root / "national" / "lookups" / "geographr_lookup_ltla24_csp24_pfa24.csv",
           [*LA_FORCE_ROWS, "E06000005,Darlington,X22000072,Darlington,E23000008,Durham"])
    reports = {r.dataset: r for r in load_datasets(warehouse, [*NATIONAL_GEO, LA_POPULATION], [root])}
    assert reports["geo-la-force"].rows_quarantined == 1
    assert "line 11" in reports["geo-la-force"].problems[0]
    census = reports["population-ethnicity-la"]
    assert (census.rows_read, census.rows_quarantined) == (9, 1)
    assert "not the published total 8585" in census.problems[0]


def test_a_column_not_in_the_mapping_refuses_the_census_file(tmp_path):
    path = _write(tmp_path / TS021_FILE, [TS021_HEADER.replace("White: Roma", "White: Romany"), TS021_ROWS[0]])
    with pytest.raises(SourceError, match="not in the mapping: 'White: Romany'; missing: 'White: Roma'"):
        parse_la_ethnicity(path)


def test_a_london_only_folder_skips_the_national_datasets_without_failing(warehouse):
    names = [d.name for d in (*NATIONAL_GEO, LA_POPULATION)]
    report = ingest_reference(warehouse, [REFERENCE], only=names)
    assert not report.failed
    assert all("skipped" in f.notes[0] for f in report.files)


# --- the full national files -------------------------------------------------------------------

OFFICER_OTHER = ("Mixed", "Other", "Asian, Asian British or Asian Welsh: Chinese")


def _independent_force_sums() -> dict[str, dict[tuple[str, str], int]]:
    """Force -> (scheme, group) -> residents, from the raw files with the csv module only: census
    authority -> 2023 authority -> force area code, and groups by the wording of each column."""
    force_of_pfa = {"E23000005": "greater-manchester", "E23000010": "west-yorkshire", "E23000002": "cumbria",
                    "E23000009": "north-yorkshire", "E23000036": "avon-and-somerset", "W15000003": "south-wales",
                    "E23000034": "city-of-london", "E23000014": "west-midlands"}
    with open(NATIONAL / "lookups" / "geographr_lookup_ltla22_ltla23.csv", encoding="utf-8") as fh:
        successor = {r["ltla22_code"]: r["ltla23_code"] for r in csv.DictReader(fh)}
    with open(NATIONAL / "lookups" / "geographr_lookup_ltla24_csp24_pfa24.csv", encoding="utf-8") as fh:
        pfa = {r["ltla24_code"]: r["pfa24_code"] for r in csv.DictReader(fh)}
    sums: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    with open(NATIONAL / "census2021" / TS021_FILE, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            force = force_of_pfa.get(pfa[successor[row["ltla21_code"]]])
            if force is None:
                continue
            for column, value in row.items():
                if column in ("ltla21_code", "ltla21_name"):
                    continue
                n = int(value)
                if column == "total_all_usual_residents":
                    sums[force][("self_defined", "All")] += n
                    sums[force][("officer_defined", "All")] += n
                    continue
                broad = column.split(maxsplit=1)[0].rstrip(",")  # 'Asian', 'Black', 'Mixed', 'Other', 'White:'
                broad = broad.rstrip(":")
                sums[force][("self_defined", broad)] += n
                officer = "Other" if column.startswith(OFFICER_OTHER) else broad
                sums[force][("officer_defined", officer)] += n
    return sums


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """The bundled London geography and population with the national files, as `shared_built` loads
    them (first root holding a dataset wins)."""
    path = tmp_path_factory.mktemp("national") / "warehouse.duckdb"
    con = connect(path)
    names = [d.name for d in geography.DATASETS] + ["population-ethnicity", "population-ethnicity-la"]
    report = ingest_reference(con, [REFERENCE, SHARED], only=names)
    assert not report.failed, [(f.dataset, f.error) for f in report.failed]
    yield con
    con.close()


@needs_shared
def test_force_populations_equal_an_independent_sum_of_the_raw_census_file(national):
    expected = _independent_force_sums()
    assert len(expected) == 8
    for force, groups in expected.items():
        for scheme in ("self_defined", "officer_defined"):
            got = _group(national, "force", force, scheme)
            want = {g: n for (s, g), n in groups.items() if s == scheme}
            assert got == want, (force, scheme)


@needs_shared
def test_the_census_file_sums_to_its_stated_total_36_above_the_published_one(national):
    (total,) = national.execute(
        "SELECT sum(residents) FROM population_ethnicity_la WHERE census_year = 2021").fetchone()
    assert total == 59_597_578 == ENGLAND_AND_WALES_2021 + 36
    # Every authority is in exactly one force: forces built from it add up to it, London aside.
    (forces,) = national.execute(
        """SELECT sum(residents) FROM population_group WHERE census_year = 2021 AND level = 'force'
           AND scheme = 'officer_defined' AND ethnic_group = 'All' AND area_code <> 'metropolitan'""").fetchone()
    (london,) = national.execute(
        """SELECT sum(residents) FROM population_ethnicity_la WHERE la_code LIKE 'E09%' AND la_code <> 'E09000001'"""
    ).fetchone()
    assert forces == total - london
    # The Met's figure stays the LSOA one; the authority file gives 146 fewer people for the same area.
    assert _group(national, "force", "metropolitan")["All"] == 8_791_298 == london + 146


@needs_shared
def test_every_territorial_force_has_its_authorities_a_boundary_and_a_population(national):
    forces = {c for (c,) in national.execute("SELECT code FROM area WHERE level = 'force'").fetchall()}
    assert forces == set(vocab.forces()) - {"btp", "northern-ireland"} and len(forces) == 43
    boroughs = national.execute("SELECT count(*) FROM area WHERE level = 'borough'").fetchone()[0]
    assert boroughs == 318
    drawn = set(national.execute("SELECT level, code FROM area_boundary WHERE level IN ('force', 'borough')")
                .fetchall())
    assert drawn == set(national.execute("SELECT level, code FROM area WHERE level IN ('force', 'borough')")
                        .fetchall())
    populated = {c for (c,) in national.execute(
        "SELECT area_code FROM population_group WHERE level = 'force' AND census_year = 2021").fetchall()}
    assert populated == forces
    (btp,) = national.execute("SELECT note FROM force_area WHERE force = 'btp'").fetchone()
    assert "no police force area" in btp


@needs_shared
def test_london_keeps_its_lsoa_hierarchy_and_figures(national):
    met = national.execute(
        "SELECT level, count(*) FROM area WHERE force = 'metropolitan' GROUP BY level ORDER BY level").fetchall()
    assert met == [("bcu", 12), ("borough", 32), ("force", 1), ("lsoa", 4988), ("ward", 679)]
    lambeth = _group(national, "borough", "E09000022")
    lsoas = national.execute(
        "SELECT DISTINCT lsoas FROM population_group WHERE level = 'borough' AND area_code = 'E09000022'").fetchall()
    assert lambeth["All"] == 317_714 and lsoas == [(181,)]



@needs_shared
def test_the_bundled_england_and_wales_files_are_the_shared_files():
    """data/default/england-and-wales: the national census table and lookups, gzipped, byte for byte."""
    import gzip
    import hashlib

    folder = Path(__file__).resolve().parents[3] / "data" / "default" / "england-and-wales" / "national"
    sums = dict(line.split("  ")[::-1] for line in (folder / "SHA256SUMS").read_text().splitlines())
    assert len(sums) == 3
    for name, digest in sums.items():
        packed = (folder / name).read_bytes()
        assert hashlib.sha256(packed).hexdigest() == digest, name
        assert gzip.decompress(packed) == (SHARED / "national" / name.removesuffix(".gz")).read_bytes(), name
