"""Population denominators: published totals, the ethnicity mapping, levels, quarantine, reloads.

The loads read the bundled London files (data/default/reference/population, full copies of the
shared ones); tests that need the ward/BCU lookups or the shared originals are `needs_shared`.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil

import duckdb
import pandas as pd
import pytest
from conftest import REPO, SHARED, csv_lines, needs_shared, write_lines
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight.errors import SourceError
from oversight.sources.reference import all_datasets, geography, ingest_reference
from oversight.sources.reference import population as pop
from oversight.sources.reference import population_files as pf
from oversight.sources.reference.dataset import load_dataset_file, load_datasets
from oversight.warehouse import connect

DEFAULT_ROOT = REPO / "data" / "default" / "reference"
BUNDLE = DEFAULT_ROOT / "population"
ETH_2021 = BUNDLE / "census2021_ethnic_group_London_LSOA2021.csv.gz"
ETH_2011 = BUNDLE / "census2011_ethnic_group_London_LSOA2021.csv.gz"
AGE_2021 = BUNDLE / "census2021_TS007A_age_5yr_bands_London_LSOA.csv.gz"
LOOKUPS = SHARED / "geo" / "lookups"

DATASET = {d.name: d for d in pop.DATASETS}
CITY = "E09000001"  # the City of London: its own police force, outside the Met's area

# Published totals (SOURCES.md section 4) and what the bundled files sum to.
LONDON_2021 = 8_799_882
LONDON_2011 = 8_173_941
CITY_2021 = 8_584  # the six City of London LSOAs, summed by hand from the file
CITY_2011 = 7_375


def _make_lsoa_area(con: duckdb.DuckDBPyConnection) -> None:
    """A minimal lsoa_area like geography's: the Met's 2021 LSOAs (the City is not in the BCU list)."""
    con.execute(
        f"""CREATE TABLE lsoa_area AS
        SELECT l.LSOA21CD AS lsoa_code, l.LSOA21NM AS lsoa_name, l.WD24CD AS ward_code, l.WD24NM AS ward_name,
               l.LAD24CD AS borough_code, l.LAD24NM AS borough_name, b.bcu_code, b.bcu_name,
               'metropolitan' AS force
        FROM read_csv('{LOOKUPS / "london_LSOA21_to_WD24_to_LAD24_lookup.csv"}', all_varchar = true) l
        JOIN read_csv('{LOOKUPS / "met_bcu_borough.csv"}', all_varchar = true) b ON b.borough_code = l.LAD24CD"""
    )


@pytest.fixture(scope="module")
def no_geography(tmp_path_factory):
    """Every population dataset loaded from the bundle into a warehouse without lsoa_area."""
    con = connect(tmp_path_factory.mktemp("pop") / "w.duckdb")
    reports = load_datasets(con, pop.DATASETS, [DEFAULT_ROOT])
    yield con, reports
    con.close()


@pytest.fixture(scope="module")
def with_geography(tmp_path_factory):
    """The same, with lsoa_area in place first (as after 'ingest reference' loads geography)."""
    con = connect(tmp_path_factory.mktemp("popgeo") / "w.duckdb")
    _make_lsoa_area(con)
    load_datasets(con, pop.DATASETS, [DEFAULT_ROOT])
    yield con
    con.close()


def _one(con, sql: str, params: list | None = None):
    row = con.execute(sql, params or []).fetchone()
    assert row is not None, sql
    return row[0] if len(row) == 1 else row


def _group(con, year: int, scheme: str, level: str, area: str) -> dict[str, int]:
    rows = con.execute(
        "SELECT ethnic_group, residents FROM population_group WHERE census_year = ? AND scheme = ? "
        "AND level = ? AND area_code = ?", [year, scheme, level, area]).fetchall()
    return dict(rows)


# ---------------------------------------------------------------------------------------------
# The mapping


def test_every_census_category_is_mapped_exactly_once():
    mapping = pf.ethnicity_mapping()
    assert not mapping.duplicated(["census_year", "census_category"]).any()
    for year, path in ((2021, ETH_2021), (2011, ETH_2011)):
        header = pf.read_header(path)
        published = [h for h in header if h not in (pf.ETHNICITY_CODE, pf.ETHNICITY_TOTAL, *pf.ETHNICITY_CONTEXT)]
        assert sorted(pf.census_categories(year)) == sorted(published)
    assert len(pf.census_categories(2021)) == 19 and len(pf.census_categories(2011)) == 18
    assert set(mapping["self_defined_group"]) == set(pf.SELF_DEFINED_GROUPS)
    assert set(mapping["officer_defined_group"]) == set(pf.OFFICER_DEFINED_GROUPS)


def test_the_mapping_decisions_are_the_documented_ones():
    m = pf.ethnicity_mapping().set_index(["census_year", "census_category"])
    for year in (2011, 2021):
        # Chinese sits in Asian in both censuses; IC5 is reported as officer-defined Other.
        assert tuple(m.loc[(year, "Asian Chinese"), ["self_defined_group", "officer_defined_group"]]) == (
            "Asian", "Other")
        assert tuple(m.loc[(year, "Other Arab"), ["self_defined_group", "officer_defined_group"]]) == (
            "Other", "Other")
        mixed = m.loc[year][m.loc[year].index.str.startswith("Mixed")]
        assert set(mixed["self_defined_group"]) == {"Mixed"} and set(mixed["officer_defined_group"]) == {"Other"}
    assert (2021, "White Roma") in m.index and (2011, "White Roma") not in m.index


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: pd.concat([f, f.iloc[[0]]]), "is mapped 2 times"),
        (lambda f: f.assign(officer_defined_group=f["officer_defined_group"].replace("Other", "Mixed")),
         "officer_defined_group must be one of"),
        (lambda f: f.assign(self_defined_group=f["self_defined_group"].replace("Black", "black")),
         "self_defined_group must be one of"),
    ],
)
def test_a_broken_mapping_is_refused(change, message):
    frame = pf.ethnicity_mapping().astype({"census_year": str})
    with pytest.raises(SourceError, match=message):
        pf.check_ethnicity_mapping(change(frame))


@settings(max_examples=30, deadline=None)
@given(
    year=st.sampled_from([2011, 2021]),
    counts=st.lists(st.lists(st.integers(min_value=0, max_value=50_000), min_size=19, max_size=19),
                    min_size=1, max_size=4),
)
def test_the_mapping_preserves_totals_for_any_counts(tmp_path_factory, year, counts):
    """Load random counts through the real parser and build; every scheme keeps every person."""
    categories = pf.census_categories(year)
    header = ",".join([pf.ETHNICITY_CODE, *pf.ETHNICITY_CONTEXT, pf.ETHNICITY_TOTAL, *categories])
    lines = [header]
    for i, row in enumerate(counts):
        row = row[: len(categories)]
        lines.append(",".join([f"E0199{i:04d}", "Somewhere", CITY, str(sum(row)), *map(str, row)]))
    path = write_lines(tmp_path_factory.mktemp("hyp") / f"census{year}_ethnic_group_test.csv", lines)
    con = connect(":memory:")
    try:
        report = load_dataset_file(con, DATASET["population-ethnicity"], path)
        assert report.rows_quarantined == 0
        pop.build_population_groups(con)
        total = sum(sum(r[: len(categories)]) for r in counts)
        schemes = (("self_defined", pf.SELF_DEFINED_GROUPS), ("officer_defined", pf.OFFICER_DEFINED_GROUPS))
        for scheme, groups in schemes:
            by_group = dict(con.execute(
                "SELECT ethnic_group, sum(residents) FROM population_group WHERE scheme = ? GROUP BY ALL",
                [scheme]).fetchall())
            assert set(by_group) == {*groups, "All"}
            assert by_group["All"] == total == sum(by_group[g] for g in groups)
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# Published totals and hand counts (no geography needed)


def test_london_census_totals_over_all_lsoas(no_geography):
    con, reports = no_geography
    assert all(r.ok for r in reports), [r.error for r in reports if not r.ok]
    for year, total in ((2021, LONDON_2021), (2011, LONDON_2011)):
        assert _one(con, "SELECT sum(residents), count(DISTINCT lsoa_code) FROM population_ethnicity "
                         "WHERE census_year = ?", [year]) == (total, 4_994)
        for scheme in pf.SCHEMES:
            assert _one(con, "SELECT sum(residents), count(*) FROM population_group WHERE census_year = ? "
                             "AND scheme = ? AND level = 'lsoa' AND ethnic_group = 'All'",
                        [year, scheme]) == (total, 4_994)
    ledger = con.execute("SELECT source_file, rows_read, rows_loaded, rows_quarantined FROM file_load "
                         "WHERE dataset = 'population-ethnicity' ORDER BY source_file").fetchall()
    assert ledger == [(ETH_2011.name, 4_994, 4_994 * 18, 0), (ETH_2021.name, 4_994, 4_994 * 19, 0)]


def test_without_lsoa_area_only_the_lsoa_level_is_built_and_the_table_says_so(no_geography):
    con, _ = no_geography
    for table in ("population_group", "population_age_group"):
        assert con.execute(f"SELECT DISTINCT level FROM {table}").fetchall() == [("lsoa",)]
        comment = _one(con, "SELECT comment FROM duckdb_tables() WHERE table_name = ?", [table])
        assert comment.startswith("only level lsoa") and "--reload" in comment
    assert con.execute("SELECT DISTINCT level, source FROM population_midyear ORDER BY ALL").fetchall() == [
        ("borough", pf.BOROUGH_SOURCE), ("lsoa", pf.LSOA_SOURCE)]


def test_hand_counts_for_three_lsoas(no_geography):
    """Summed by hand from the published rows:
    2021 E01000001: All 1473; White 822+31+0+11+318; Mixed 27+7+2+18; Asian 4+66+49+2+37 (Chinese 66);
      Black 8+3+0; Other 22+46.
    2021 E01000006: All 1850; White 239+15+0+13+338; Mixed 16+15+15+26; Asian 215+11+161+409+89
      (Chinese 11); Black 129+42+30; Other 5+82.
    2011 E01000006: All 1703; White 325+13+4+215; Mixed 12+13+15+18; Asian 113+11+264+393+80
      (Chinese 11); Black 106+50+21; Other 9+41.
    """
    con, _ = no_geography
    assert _group(con, 2021, "self_defined", "lsoa", "E01000001") == {
        "All": 1473, "White": 1182, "Mixed": 54, "Asian": 158, "Black": 11, "Other": 68}
    assert _group(con, 2021, "officer_defined", "lsoa", "E01000001") == {
        "All": 1473, "White": 1182, "Asian": 92, "Black": 11, "Other": 54 + 66 + 68}
    assert _group(con, 2021, "self_defined", "lsoa", "E01000006") == {
        "All": 1850, "White": 605, "Mixed": 72, "Asian": 885, "Black": 201, "Other": 87}
    assert _group(con, 2021, "officer_defined", "lsoa", "E01000006") == {
        "All": 1850, "White": 605, "Asian": 874, "Black": 201, "Other": 72 + 11 + 87}
    assert _group(con, 2011, "self_defined", "lsoa", "E01000006") == {
        "All": 1703, "White": 557, "Mixed": 58, "Asian": 861, "Black": 177, "Other": 50}
    assert _group(con, 2011, "officer_defined", "lsoa", "E01000006") == {
        "All": 1703, "White": 557, "Asian": 850, "Black": 177, "Other": 58 + 11 + 50}


def test_age_bands_totals_and_hand_counts(no_geography):
    """E01000001 published: 52, 34, 32, 23, 90, 159, 132, 117, 114, 105, 89, 73, 83, 119, 102, 57, 57, 35."""
    con, _ = no_geography
    # Census 2021 tables are perturbed separately: the age table sums to 251 fewer than ethnicity.
    assert _one(con, "SELECT sum(residents), count(DISTINCT lsoa_code) FROM population_age") == (8_799_631, 4_994)
    bands = dict(con.execute("SELECT age_band, residents FROM population_age_group WHERE level = 'lsoa' "
                             "AND area_code = 'E01000001'").fetchall())
    assert bands["All"] == 1473 and bands["0-4"] == 52 and bands["85+"] == 35
    assert bands["under 10"] == 52 + 34 and bands["under 15"] == 52 + 34 + 32
    assert bands["15-24"] == 23 + 90 and bands["25-34"] == 159 + 132
    assert bands["over 34"] == 117 + 114 + 105 + 89 + 73 + 83 + 119 + 102 + 57 + 57 + 35
    assert bands["65+"] == 119 + 102 + 57 + 57 + 35
    assert bands["under 10"] + bands["10-14"] + bands["15-24"] + bands["25-34"] + bands["over 34"] == bands["All"]
    assert "under 18" not in bands and "10-17" not in bands and "18-24" not in bands


@pytest.mark.parametrize(("band", "start", "end"), [("under 18", 0, 17), ("10-17", 10, 17), ("18-24", 18, 24)])
def test_an_age_band_that_is_not_an_exact_sum_is_refused(band, start, end):
    bands = pf.age_bands()
    extra = pd.DataFrame([{"age_band": band, "age_from": start, "age_to": end, "kind": "derived",
                           "published_label": "", "note": ""}])
    frame = pd.concat([bands, extra], ignore_index=True)
    frame["age_to"] = frame["age_to"].astype("Int64")
    with pytest.raises(SourceError, match="cannot be an exact sum"):
        pf.check_age_bands(frame)


def test_midyear_borough_figures_are_labelled_as_gla_projections(no_geography):
    con, _ = no_geography
    rows = con.execute("SELECT year, count(*), sum(residents) FROM population_midyear WHERE source = ? "
                       "GROUP BY ALL ORDER BY year", [pf.BOROUGH_SOURCE]).fetchall()
    assert [r[0] for r in rows] == list(range(2011, 2025)) and {r[1] for r in rows} == {33}
    by_year = {r[0]: r[2] for r in rows}
    assert by_year[2011] == 8_217_477 and by_year[2022] == 9_390_071 and by_year[2024] == 9_566_482
    ons = dict(con.execute("SELECT year, sum(residents) FROM population_midyear WHERE level = 'lsoa' "
                           "GROUP BY ALL").fetchall())
    # The ONS mid-2011 estimate differs from the borough file: the borough file is not ONS.
    assert ons[2011] == 8_204_407 and ons[2021] == 8_804_769 and ons[2022] == 8_869_043
    assert _one(con, "SELECT area_name FROM population_midyear WHERE level = 'borough' AND area_code = ? "
                     "AND year = 2024", [CITY]) == "City of London"


# ---------------------------------------------------------------------------------------------
# Levels through lsoa_area


@needs_shared
def test_the_met_force_total_is_london_without_the_city(with_geography):
    con = with_geography
    raw = pd.read_csv(ETH_2021, dtype={"All usual residents": "int64"})
    city = raw.loc[raw["local authority code"] == CITY, "All usual residents"]
    assert (len(city), int(city.sum())) == (6, CITY_2021)
    for year, london, city_total in ((2021, LONDON_2021, CITY_2021), (2011, LONDON_2011, CITY_2011)):
        for scheme in pf.SCHEMES:
            assert _group(con, year, scheme, "force", "metropolitan")["All"] == london - city_total
    assert _group(con, 2021, "self_defined", "force", "metropolitan")["All"] == 8_791_298
    assert _group(con, 2011, "self_defined", "force", "metropolitan")["All"] == 8_166_566
    assert not con.execute("SELECT 1 FROM population_group WHERE level = 'borough' AND area_code = ?",
                           [CITY]).fetchall()


@needs_shared
def test_the_met_2011_officer_groups_match_an_independent_publication(with_geography):
    """Resistance Lab summed Census 2011 (by local authority) to police force areas with Chinese kept
    apart; our Chinese -> Other, Mixed -> Other reading must give the same people."""
    con = with_geography
    pfa = pd.read_csv(SHARED / "population" / "census2011_police_defined_ethnicity_by_police_force_area.csv")
    met = pfa.set_index("Police force").loc["Metropolitan"]
    ours = _group(con, 2011, "officer_defined", "force", "metropolitan")
    assert ours["White"] == met["White"] == 4_881_636
    assert ours["Black"] == met["Black (or Black British)"]
    assert ours["Asian"] == met["Asian (or Asian British)"]
    assert ours["Other"] == met["Chinese"] + met["Mixed"] + met["Other"]
    assert ours["All"] == met[["White", "Black (or Black British)", "Asian (or Asian British)", "Chinese",
                               "Mixed", "Other"]].sum()


@needs_shared
def test_every_level_adds_up_and_matches_an_independent_recount(with_geography):
    con = with_geography
    totals = con.execute(
        """SELECT census_year, scheme, level, sum(residents) FILTER (WHERE ethnic_group = 'All'),
                  sum(residents) FILTER (WHERE ethnic_group <> 'All'), sum(lsoas) FILTER (WHERE ethnic_group = 'All')
           FROM population_group GROUP BY ALL ORDER BY ALL""").fetchall()
    met_lsoas = _one(con, "SELECT count(*) FROM lsoa_area")
    for year, scheme, level, everyone, groups, lsoas in totals:
        assert everyone == groups, (year, scheme, level)
        if level != "lsoa":
            assert everyone == {2021: LONDON_2021 - CITY_2021, 2011: LONDON_2011 - CITY_2011}[year]
            assert lsoas == met_lsoas == 4_988
    # Ward totals recomputed from the raw CSV and the lookup with pandas, not SQL.
    raw = pd.read_csv(ETH_2021, dtype=str)
    lookup = pd.read_csv(LOOKUPS / "london_LSOA21_to_WD24_to_LAD24_lookup.csv", dtype=str)
    lookup = lookup[lookup["LAD24CD"] != CITY]
    merged = raw.merge(lookup, left_on="LSOA code", right_on="LSOA21CD")
    black = ["Black African", "Black Caribbean", "Black Other"]
    expected = merged[black].astype(int).sum(axis=1).groupby(merged["WD24CD"]).sum()
    got = pd.Series(dict(con.execute(
        "SELECT area_code, residents FROM population_group WHERE census_year = 2021 AND scheme = 'self_defined' "
        "AND level = 'ward' AND ethnic_group = 'Black'").fetchall()))
    assert len(got) == len(expected) == 679
    assert (got.sort_index() == expected.sort_index()).all()


@needs_shared
def test_age_and_midyear_levels_follow_the_force_area(with_geography):
    con = with_geography
    lsoa_all = dict(con.execute("SELECT level, sum(residents) FROM population_age_group WHERE age_band = 'All' "
                                "GROUP BY ALL").fetchall())
    city_age = int(pd.read_csv(AGE_2021).query("`geography code`.str.startswith('E01')")
                   .merge(pd.read_csv(ETH_2021)[["LSOA code", "local authority code"]],
                          left_on="geography code", right_on="LSOA code")
                   .query("`local authority code` == @CITY")["Age: Total"].sum())
    assert lsoa_all["lsoa"] == 8_799_631
    assert lsoa_all["force"] == lsoa_all["bcu"] == lsoa_all["borough"] == lsoa_all["ward"] == 8_799_631 - city_age
    for level in ("ward", "borough", "bcu", "force"):
        derived = dict(con.execute(
            "SELECT age_band, sum(residents) FROM population_age_group WHERE level = ? GROUP BY ALL", [level]
        ).fetchall())
        assert derived["under 10"] == derived["0-4"] + derived["5-9"]
        assert derived["over 34"] == derived["All"] - derived["under 15"] - derived["15-24"] - derived["25-34"]
    ons = con.execute("SELECT year, level, sum(residents), sum(lsoas) FROM population_midyear WHERE source = ? "
                      "GROUP BY ALL ORDER BY ALL", [pf.LSOA_SOURCE]).fetchall()
    by = {(y, lvl): (n, k) for y, lvl, n, k in ons}
    city_lsoas = pd.read_csv(ETH_2021).query("`local authority code` == @CITY")["LSOA code"]
    mid = pd.read_csv(BUNDLE / "ONS_LSOA2021_mid-year_population_and_density_2011-2022_London.csv.gz")
    for year in range(2011, 2023):
        city_mid = int(mid.loc[mid["LSOA 2021 Code"].isin(city_lsoas), f"Mid-{year}: Population"].sum())
        london = int(mid[f"Mid-{year}: Population"].sum())
        assert by[(year, "lsoa")] == (london, 4_994)
        for level in ("ward", "borough", "bcu", "force"):
            assert by[(year, level)] == (london - city_mid, 4_988)
    assert _one(con, "SELECT area_name FROM population_midyear WHERE level = 'bcu' AND area_code = 'CW' "
                     "AND year = 2022") == "Central West"


def test_after_the_real_geography_datasets_the_met_is_london_without_the_city(tmp_path):
    """End to end with geography's own datasets from the bundle (boundaries are not needed)."""
    con = connect(tmp_path / "w.duckdb")
    try:
        names = [d.name for d in geography.DATASETS if "boundary" not in d.name] + [d.name for d in pop.DATASETS]
        report = ingest_reference(con, [DEFAULT_ROOT], only=names)
        assert not report.failed, [f.error for f in report.failed]
        assert _group(con, 2021, "self_defined", "force", "metropolitan")["All"] == LONDON_2021 - CITY_2021
        assert _group(con, 2011, "officer_defined", "force", "metropolitan")["All"] == LONDON_2011 - CITY_2011
        assert _one(con, "SELECT count(DISTINCT area_code) FROM population_group WHERE level = 'borough'") == 32
    finally:
        con.close()


@needs_shared
def test_loading_geography_later_and_reloading_adds_the_levels(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    try:
        load_datasets(con, [DATASET["population-ethnicity"]], [DEFAULT_ROOT])
        assert con.execute("SELECT DISTINCT level FROM population_group").fetchall() == [("lsoa",)]
        _make_lsoa_area(con)
        load_datasets(con, [DATASET["population-ethnicity"]], [DEFAULT_ROOT], reload=True)
        levels = {r[0] for r in con.execute("SELECT DISTINCT level FROM population_group").fetchall()}
        assert levels == set(pop.LEVELS)
        assert _one(con, "SELECT comment FROM duckdb_tables() WHERE table_name = 'population_group'").startswith(
            "levels lsoa, ward")
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# Quarantine, refused files, reloads


def test_malformed_rows_are_quarantined_with_file_line_field_and_reason(tmp_path, warehouse):
    lines = csv_lines(ETH_2021)
    header = lines[0].split(",")
    col = {name: i for i, name in enumerate(header)}

    def edit(line_no: int, column: str, value: str) -> None:
        cells = lines[line_no - 1].split(",")
        cells[col[column]] = value
        lines[line_no - 1] = ",".join(cells)

    edit(2, "LSOA code", "E0100001")
    edit(3, "White Irish", "-4")
    edit(4, "Asian Chinese", "")
    edit(5, "All usual residents", "1105")       # the row's categories add up to 1104
    edit(6, "Black African", "7x")
    lines.append(lines[7])                        # line 8 again (E01000006)
    lines.append("E01999999,Nowhere,E09000002,5")
    path = write_lines(tmp_path / "population" / ETH_2021.name.removesuffix(".gz"), lines)

    report = load_dataset_file(warehouse, DATASET["population-ethnicity"], path)
    assert (report.rows_read, report.rows_quarantined) == (4_996, 7)
    assert report.rows_loaded == (4_996 - 7) * 19
    got = warehouse.execute("SELECT source_file, source_line, field, value, reason FROM quarantine "
                            "ORDER BY source_line").fetchall()
    name = path.name
    assert got == [
        (name, 2, "LSOA code", "E0100001", "'E0100001' is not an LSOA code (E01/W01 and 6 digits)"),
        (name, 3, "White Irish", "-4", "count -4 is negative"),
        (name, 4, "Asian Chinese", "", "count is missing"),
        (name, 5, "All usual residents", "1105", "categories add up to 1104, not the published total 1105"),
        (name, 6, "Black African", "7x", "'7x' is not a whole number"),
        (name, 4_996, "LSOA code", "E01000006", "E01000006 appears again (first at line 8)"),
        (name, 4_997, None, None, f"has 4 fields, the header has {len(header)}"),
    ]
    assert _one(warehouse, "SELECT rows_read, rows_loaded, rows_quarantined FROM file_load") == (
        4_996, (4_996 - 7) * 19, 7)
    # A quarantined LSOA is absent whole, never half-loaded.
    assert not warehouse.execute("SELECT 1 FROM population_ethnicity WHERE lsoa_code = 'E01000002'").fetchall()
    assert _one(warehouse, "SELECT count(*) FROM population_ethnicity WHERE lsoa_code = 'E01000006'") == 19


def test_a_file_with_an_unmapped_category_is_refused_whole(tmp_path, warehouse):
    lines = csv_lines(ETH_2021)
    lines[0] = lines[0].replace("Other Arab", "Other Arab or North African")
    path = write_lines(tmp_path / "census2021_ethnic_group_London_LSOA2021.csv", lines)
    report = load_dataset_file(warehouse, DATASET["population-ethnicity"], path)
    assert not report.ok
    assert "not in the mapping: 'Other Arab or North African'" in (report.error or "")
    assert "missing: 'Other Arab'" in (report.error or "")
    assert _one(warehouse, "SELECT count(*) FROM file_load") == 0


def test_a_file_named_for_one_census_with_the_other_census_columns_is_refused(tmp_path, warehouse):
    path = tmp_path / "census2011_ethnic_group_London_LSOA2021.csv.gz"
    shutil.copy(ETH_2021, path)
    report = load_dataset_file(warehouse, DATASET["population-ethnicity"], path)
    assert "the name says census 2011 but the columns are the census 2021 categories" in (report.error or "")


def test_the_same_file_twice_under_two_names_is_counted_once(tmp_path, warehouse):
    root = tmp_path / "root"
    (root / "population").mkdir(parents=True)
    shutil.copy(ETH_2021, root / "population" / ETH_2021.name)
    with gzip.open(ETH_2021, "rb") as src:
        (root / "population" / ETH_2021.name.removesuffix(".gz")).write_bytes(src.read())
    reports = load_datasets(warehouse, [DATASET["population-ethnicity"]], [root])
    assert len(reports) == 2 and all(r.ok for r in reports)
    assert _one(warehouse, "SELECT sum(residents) FROM population_group WHERE level = 'lsoa' "
                           "AND scheme = 'self_defined' AND ethnic_group = 'All'") == LONDON_2021


def _snapshot(con) -> dict[str, list[tuple]]:
    tables = ("population_ethnicity", "population_group", "population_age", "population_age_group",
              "population_midyear", "population_ethnicity_mapping", "population_age_band")
    snap = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    snap["quarantine"] = con.execute("SELECT count(*) FROM quarantine").fetchall()
    return snap


def test_reload_is_idempotent(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    try:
        names = [d.name for d in pop.DATASETS if not d.optional]  # the bundled London files
        first = ingest_reference(con, [DEFAULT_ROOT], only=names)
        assert not first.failed and len(first.files) == 6
        before = _snapshot(con)
        second = ingest_reference(con, [DEFAULT_ROOT], only=names)
        assert all(f.unchanged for f in second.files)
        assert _snapshot(con) == before
        again = ingest_reference(con, [DEFAULT_ROOT], only=names, reload=True)
        assert not any(f.unchanged for f in again.files)
        assert [f.rows_loaded for f in again.files] == [f.rows_loaded for f in first.files]
        assert _snapshot(con) == before
        assert _one(con, "SELECT count(*) FROM reference_load WHERE dataset LIKE 'population-%'") == 6
    finally:
        con.close()


def test_population_datasets_are_registered_after_geography():
    names = [d.name for d in all_datasets()]
    assert [n for n in names if n.startswith("population-")] == [d.name for d in pop.DATASETS]
    geography = [i for i, n in enumerate(names) if n.startswith("geo")]
    if geography:
        assert max(geography) < names.index("population-ethnicity")


# ---------------------------------------------------------------------------------------------
# The bundle


def test_the_bundle_matches_its_checksums_and_stays_small():
    sums = dict(reversed(line.split("  ", 1)) for line in (BUNDLE / "SHA256SUMS").read_text().splitlines())
    files = sorted(p.name for p in BUNDLE.glob("*.gz"))
    assert sorted(sums) == files and len(files) == 6
    for name in files:
        assert hashlib.sha256((BUNDLE / name).read_bytes()).hexdigest() == sums[name], name
    assert sum((BUNDLE / n).stat().st_size for n in files) < 1_000_000
    for dataset in pop.DATASETS:
        assert dataset.optional or dataset.files(DEFAULT_ROOT), dataset.name


@needs_shared
def test_the_bundle_is_the_shared_data():
    for gz in sorted(BUNDLE.glob("*.gz")):
        shared = SHARED / "population" / gz.name.removesuffix(".gz")
        if gz.name.startswith("ONS_LSOA2021"):
            # Density columns were dropped when bundling; everything else is the same text.
            ours, theirs = pd.read_csv(gz, dtype=str), pd.read_csv(shared, dtype=str)
            assert ours.equals(theirs[ours.columns])
            assert [c for c in theirs.columns if c not in ours.columns] == [
                f"Mid-{y}: People per Sq Km" for y in range(2011, 2023)]
        else:
            with gzip.open(gz, "rb") as fh:
                assert hashlib.sha256(fh.read()).hexdigest() == hashlib.sha256(shared.read_bytes()).hexdigest()


@needs_shared
def test_the_full_shared_lsoa_midyear_file_loads_to_the_same_rows(tmp_path, warehouse):
    shared = SHARED / "population" / "ONS_LSOA2021_mid-year_population_and_density_2011-2022_London.csv"
    a = pf.parse_lsoa_midyear(shared).rows
    b = pf.parse_lsoa_midyear(BUNDLE / (shared.name + ".gz")).rows
    assert a.equals(b) and len(a) == 4_994 * 12
