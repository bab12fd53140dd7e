"""Reference datasets: population denominators (census ethnicity and age by LSOA, mid-year totals).

Five datasets load the published files as they are (long, one row per area x category):

    population-ethnicity        -> population_ethnicity   Census 2021 and 2011 (on 2021 LSOAs) ethnic group
    population-ethnicity-la     -> population_ethnicity_la Census 2021 ethnic group by local authority (E&W)
    population-age              -> population_age         Census 2021 TS007A age in 5-year bands
    population-midyear-borough  -> population_midyear     borough totals by year (GLA projection figures)
    population-midyear-lsoa     -> population_midyear     ONS mid-year estimates by 2021 LSOA

and, after each load, build the denominators measures divide by, at every level of the force's
geography (lsoa, ward, borough, bcu, force) through `lsoa_area` (loaded by geography first):

    population_group      residents by police.uk ethnic group, both schemes, incl. 'All'
    population_age_group  residents by published and exact derived age band
    population_midyear    ward/borough/bcu/force rows added from the LSOA estimates

When `lsoa_area` is missing only the LSOA level is built and the table comment says so; load
geography and reload the population dataset to add the other levels (docs/population.md).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from oversight.errors import SourceError, WarehouseError
from oversight.sources.reference.dataset import Dataset
from oversight.sources.reference.geography_shapes import table_exists
from oversight.sources.reference.population_files import (
    AGE_BANDS_FILE,
    ETHNICITY_MAPPING_FILE,
    LSOA_SOURCE,
    age_bands,
    ethnicity_mapping,
    parse_age,
    parse_borough_midyear,
    parse_ethnicity,
    parse_la_ethnicity,
    parse_lsoa_midyear,
)
from oversight.warehouse.connection import transaction

ETHNICITY_DDL = """
CREATE TABLE IF NOT EXISTS population_ethnicity (
    census_year     INTEGER NOT NULL,   -- 2021, or 2011 re-based to 2021 LSOAs
    lsoa_code       VARCHAR NOT NULL,   -- 2021 LSOA
    ethnic_group    VARCHAR NOT NULL,   -- census category as published (GLA short label)
    residents       BIGINT NOT NULL,    -- usual residents
    source_file     VARCHAR NOT NULL
);
"""

LA_ETHNICITY_DDL = """
CREATE TABLE IF NOT EXISTS population_ethnicity_la (
    census_year     INTEGER NOT NULL,
    la_code         VARCHAR NOT NULL,   -- local authority as the census codes it (2021)
    la_name         VARCHAR,
    ethnic_group    VARCHAR NOT NULL,   -- census category (the mapping's short label)
    residents       BIGINT NOT NULL,
    source_file     VARCHAR NOT NULL
);
"""

MAPPING_DDL = """
CREATE TABLE IF NOT EXISTS population_ethnicity_mapping (
    census_year             INTEGER NOT NULL,
    census_category         VARCHAR NOT NULL,
    self_defined_group      VARCHAR NOT NULL,   -- Asian, Black, Mixed, White, Other
    officer_defined_group   VARCHAR NOT NULL,   -- Asian, Black, Other, White
    note                    VARCHAR
);
"""

GROUP_DDL = """
CREATE TABLE IF NOT EXISTS population_group (
    census_year     INTEGER NOT NULL,
    scheme          VARCHAR NOT NULL,   -- 'self_defined' | 'officer_defined'
    level           VARCHAR NOT NULL,   -- 'lsoa' | 'ward' | 'borough' | 'bcu' | 'force'
    area_code       VARCHAR NOT NULL,   -- LSOA/ward/borough code, BCU code, or police.uk force id
    ethnic_group    VARCHAR NOT NULL,   -- a group of the scheme, or 'All'
    residents       BIGINT NOT NULL,
    lsoas           INTEGER NOT NULL    -- LSOAs summed: compare with lsoa_area to see completeness;
                                        -- 0: built from local-authority figures (population-ethnicity-la)
);
"""

AGE_DDL = """
CREATE TABLE IF NOT EXISTS population_age (
    census_year     INTEGER NOT NULL,
    lsoa_code       VARCHAR NOT NULL,
    age_band        VARCHAR NOT NULL,   -- '0-4' ... '80-84', '85+' (published 5-year bands)
    age_from        INTEGER NOT NULL,
    age_to          INTEGER,            -- NULL: open-ended (85+)
    residents       BIGINT NOT NULL,
    source_file     VARCHAR NOT NULL
);
"""

AGE_BAND_DDL = """
CREATE TABLE IF NOT EXISTS population_age_band (
    age_band        VARCHAR NOT NULL,
    age_from        INTEGER NOT NULL,
    age_to          INTEGER,
    kind            VARCHAR NOT NULL,   -- 'published' | 'derived' (an exact sum of published bands)
    note            VARCHAR
);
"""

AGE_GROUP_DDL = """
CREATE TABLE IF NOT EXISTS population_age_group (
    census_year     INTEGER NOT NULL,
    level           VARCHAR NOT NULL,
    area_code       VARCHAR NOT NULL,
    age_band        VARCHAR NOT NULL,   -- published band, derived band, or 'All'
    age_from        INTEGER NOT NULL,
    age_to          INTEGER,
    residents       BIGINT NOT NULL,
    lsoas           INTEGER NOT NULL
);
"""

MIDYEAR_DDL = """
CREATE TABLE IF NOT EXISTS population_midyear (
    year            INTEGER NOT NULL,   -- the mid-year (30 June) the figure is for
    level           VARCHAR NOT NULL,   -- 'lsoa' | 'ward' | 'borough' | 'bcu' | 'force'
    area_code       VARCHAR NOT NULL,
    area_name       VARCHAR,
    residents       BIGINT NOT NULL,
    source          VARCHAR NOT NULL,   -- whose figure: never mix sources in one series
    lsoas           INTEGER,            -- LSOAs summed for rows built from LSOAs; NULL when published
    source_file     VARCHAR NOT NULL
);
"""

# (level, code column, name column) of lsoa_area, from the smallest area up.
GEO_LEVELS = (
    ("ward", "ward_code", "ward_name"),
    ("borough", "borough_code", "borough_name"),
    ("bcu", "bcu_code", "bcu_name"),
    ("force", "force", "force"),
)
LEVELS = ("lsoa", *(level for level, _, _ in GEO_LEVELS))
LSOA_AREA_COLUMNS = ("lsoa_code", *(c for _, code, name in GEO_LEVELS for c in (code, name)))


# ---------------------------------------------------------------------------------------------
# Building the levels


def has_lsoa_area(con: duckdb.DuckDBPyConnection) -> bool:
    """True when geography has been loaded (lsoa_area exists and passes its checks)."""
    columns = {
        r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'lsoa_area' "
            "AND table_schema = current_schema()"
        ).fetchall()
    }
    if not columns:
        return False
    missing = [c for c in LSOA_AREA_COLUMNS if c not in columns]
    if missing:
        raise WarehouseError(f"lsoa_area has no column {', '.join(missing)}; population levels need "
                             f"{', '.join(LSOA_AREA_COLUMNS)}")
    twice = con.execute(
        "SELECT lsoa_code, count(*) FROM lsoa_area GROUP BY ALL HAVING count(*) > 1 ORDER BY 1 LIMIT 1"
    ).fetchone()
    if twice:
        raise WarehouseError(f"lsoa_area lists LSOA {twice[0]} {twice[1]} times; each LSOA must sit in one "
                             "ward, borough, BCU and force or its people are counted twice")
    return True


def _levels_select(keys: list[str], geography: bool, *, names: bool = False) -> str:
    """SELECT summing `src` (lsoa_code, keys..., residents) at every level; `src` is a CTE."""
    k = ", ".join(f"s.{c}" for c in keys)
    name = ", any_value(s.area_name) AS area_name" if names else ""
    parts = [
        f"SELECT {k}, 'lsoa' AS level, s.lsoa_code AS area_code{name}, sum(s.residents) AS residents, "
        "count(DISTINCT s.lsoa_code) AS lsoas FROM src s GROUP BY ALL"
    ]
    if geography:
        for level, code, label in GEO_LEVELS:
            name = f", any_value(a.{label}) AS area_name" if names else ""
            parts.append(
                f"SELECT {k}, '{level}' AS level, a.{code} AS area_code{name}, sum(s.residents) AS residents, "
                f"count(DISTINCT s.lsoa_code) AS lsoas FROM src s JOIN lsoa_area a USING (lsoa_code) "
                f"WHERE a.{code} IS NOT NULL GROUP BY ALL"
            )
    return "\nUNION ALL\n".join(parts)


def _comment(geography: bool, table: str, dataset: str, *, national: bool = False) -> str:
    """The table comment saying which levels a build holds (duckdb_tables().comment)."""
    if geography:
        text = f"levels {', '.join(LEVELS)}, built through lsoa_area"
    else:
        text = (f"only level lsoa: lsoa_area did not exist when this was built. Load geography, then run "
                f"oversight ingest reference ROOT --dataset {dataset} --reload to add ward, borough, bcu, force")
    if national:
        text += ("; borough (local authority) and force rows of the other forces built from "
                 "population-ethnicity-la through local_authority (lsoas = 0)")
    return f"COMMENT ON TABLE {table} IS '{text}'"


def _first_file_wins(table: str, keys: str, where: str = "TRUE") -> str:
    """The rows of `table` from the first file (by name) holding each key, as geography does, so a
    file loaded twice under two names (x.csv beside x.csv.gz) is not counted twice."""
    return (f"(SELECT * FROM {table} WHERE {where} "
            f"QUALIFY source_file = min(source_file) OVER (PARTITION BY {keys}))")


def _rebuild(
    con: duckdb.DuckDBPyConnection,
    statements: list[str],
    frames: dict[str, pd.DataFrame] | None = None,
) -> None:
    """Run `statements` in one transaction (with `frames` registered), so readers never see a
    half-built table and a failure leaves the previous build."""
    frames = frames or {}
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        with transaction(con):
            for statement in statements:
                con.execute(statement)
    finally:
        for name in frames:
            con.unregister(name)


def build_population_groups(con: duckdb.DuckDBPyConnection) -> None:
    """population_group from population_ethnicity x the mapping CSV x lsoa_area (when loaded)."""
    for ddl in (ETHNICITY_DDL, MAPPING_DDL, GROUP_DDL, LA_ETHNICITY_DDL):
        con.execute(ddl)
    mapping = ethnicity_mapping()[["census_year", "census_category", "self_defined_group",
                                   "officer_defined_group", "note"]]
    # The parser refuses a file with an unmapped category; this catches a mapping edited since.
    con.register("__mapping", mapping)
    try:
        unmapped = con.execute(
            """SELECT DISTINCT e.census_year, e.ethnic_group FROM population_ethnicity e
               ANTI JOIN __mapping m ON m.census_year = e.census_year AND m.census_category = e.ethnic_group
               ORDER BY ALL LIMIT 1"""
        ).fetchone()
    finally:
        con.unregister("__mapping")
    if unmapped:
        raise SourceError(f"census {unmapped[0]} category {unmapped[1]!r} is loaded but not in "
                          f"mappings/{ETHNICITY_MAPPING_FILE}; map it, then reload population-ethnicity",
                          field="ethnic_group")
    geography = has_lsoa_area(con)
    insert = f"""
        INSERT INTO population_group BY NAME
        WITH mapped AS (
            SELECT e.census_year, s.scheme, e.lsoa_code, e.residents,
                   CASE s.scheme WHEN 'self_defined' THEN m.self_defined_group
                                 ELSE m.officer_defined_group END AS ethnic_group
            FROM {_first_file_wins("population_ethnicity", "census_year, lsoa_code")} e
            JOIN population_ethnicity_mapping m
              ON m.census_year = e.census_year AND m.census_category = e.ethnic_group
            CROSS JOIN (VALUES ('self_defined'), ('officer_defined')) AS s(scheme)
        ), src AS (
            SELECT census_year, scheme, lsoa_code, ethnic_group, residents FROM mapped
            UNION ALL
            SELECT census_year, scheme, lsoa_code, 'All', residents FROM mapped
        )
        {_levels_select(["census_year", "scheme", "ethnic_group"], geography)}
    """
    national = _national_groups_sql(con)
    _rebuild(con, [
        "DELETE FROM population_ethnicity_mapping",
        "INSERT INTO population_ethnicity_mapping BY NAME SELECT * FROM __mapping",
        "DELETE FROM population_group",
        insert,
        *([national] if national else []),
        _comment(geography, "population_group", "population-ethnicity", national=bool(national)),
    ], {"__mapping": mapping})


def _national_groups_sql(con: duckdb.DuckDBPyConnection) -> str | None:
    """INSERT of borough (local authority) and force rows from the census local-authority table,
    for every area the LSOA build has not given a figure (None when either input is missing).

    Census 2021 authorities are mapped to current ones through local_authority.census_codes (the
    2023 mergers); an authority that maps to none refuses the build, as it would drop its people.
    """
    if not (table_exists(con, "population_ethnicity_la") and table_exists(con, "local_authority")):
        return None
    if not con.execute("SELECT count(*) FROM local_authority").fetchall()[0][0]:
        return None
    lost = con.execute(
        """SELECT DISTINCT p.la_code, p.la_name FROM population_ethnicity_la p
           WHERE NOT EXISTS (SELECT 1 FROM local_authority l WHERE list_contains(l.census_codes, p.la_code))
           ORDER BY 1 LIMIT 1"""
    ).fetchall()
    if lost:
        raise SourceError(f"census local authority {lost[0][0]} ({lost[0][1]}) is in no current authority of "
                          "geo-la-force (through geo-la-reorganisation); load the lookups that place it, then "
                          "reload population-ethnicity-la", field="la_code")
    return f"""
        INSERT INTO population_group BY NAME
        WITH mapped AS (
            SELECT e.census_year, s.scheme, l.la_code, l.force, e.residents,
                   CASE s.scheme WHEN 'self_defined' THEN m.self_defined_group
                                 ELSE m.officer_defined_group END AS ethnic_group
            FROM {_first_file_wins("population_ethnicity_la", "census_year, la_code")} e
            JOIN population_ethnicity_mapping m
              ON m.census_year = e.census_year AND m.census_category = e.ethnic_group
            JOIN local_authority l ON list_contains(l.census_codes, e.la_code)
            CROSS JOIN (VALUES ('self_defined'), ('officer_defined')) AS s(scheme)
        ), src AS (
            SELECT census_year, scheme, la_code, force, ethnic_group, residents FROM mapped
            UNION ALL
            SELECT census_year, scheme, la_code, force, 'All', residents FROM mapped
        ), levels AS (
            SELECT census_year, scheme, ethnic_group, 'borough' AS level, la_code AS area_code,
                   sum(residents) AS residents FROM src GROUP BY ALL
            UNION ALL
            SELECT census_year, scheme, ethnic_group, 'force', force, sum(residents) FROM src GROUP BY ALL
        )
        SELECT n.*, 0 AS lsoas FROM levels n
        WHERE NOT EXISTS (SELECT 1 FROM population_group g
                          WHERE g.census_year = n.census_year AND g.scheme = n.scheme
                            AND g.level = n.level AND g.area_code = n.area_code)
    """



def build_population_age_groups(con: duckdb.DuckDBPyConnection) -> None:
    """population_age_group: published bands, exact derived bands and 'All', at every level."""
    for ddl in (AGE_DDL, AGE_BAND_DDL, AGE_GROUP_DDL):
        con.execute(ddl)
    bands = age_bands()[["age_band", "age_from", "age_to", "kind", "note"]]
    geography = has_lsoa_area(con)
    # A band sums the published bands inside it; age_bands() checks each derived band starts
    # and ends on published edges, so the sum is exact.
    insert = f"""
        INSERT INTO population_age_group BY NAME
        WITH src AS (
            SELECT p.census_year, b.age_band, b.age_from, b.age_to, p.lsoa_code, p.residents
            FROM {_first_file_wins("population_age", "census_year, lsoa_code")} p
            JOIN population_age_band b
              ON p.age_from >= b.age_from
             AND (b.age_to IS NULL OR (p.age_to IS NOT NULL AND p.age_to <= b.age_to))
        )
        {_levels_select(["census_year", "age_band", "age_from", "age_to"], geography)}
    """
    _rebuild(con, [
        "DELETE FROM population_age_band",
        "INSERT INTO population_age_band BY NAME SELECT * FROM __bands",
        "DELETE FROM population_age_group",
        insert,
        _comment(geography, "population_age_group", "population-age"),
    ], {"__bands": bands})


def build_midyear_levels(con: duckdb.DuckDBPyConnection) -> None:
    """Add ward/borough/bcu/force rows to population_midyear from its ONS LSOA rows."""
    con.execute(MIDYEAR_DDL)
    geography = has_lsoa_area(con)
    statements = [f"DELETE FROM population_midyear WHERE level <> 'lsoa' AND source = '{LSOA_SOURCE}'"]
    if geography:
        # Built rows keep the LSOA file's name, so reloading that file replaces them too.
        statements.append(f"""
            INSERT INTO population_midyear BY NAME
            WITH src AS (
                SELECT year, source, source_file, area_code AS lsoa_code, area_name, residents
                FROM {_first_file_wins("population_midyear", "year, area_code",
                                       f"level = 'lsoa' AND source = '{LSOA_SOURCE}'")}
            )
            SELECT * FROM ({_levels_select(["year", "source", "source_file"], True, names=True)})
            WHERE level <> 'lsoa'
        """)
    statements.append(_comment(geography, "population_midyear", "population-midyear-lsoa"))
    _rebuild(con, statements)


# ---------------------------------------------------------------------------------------------
# The datasets

DATASETS: tuple[Dataset, ...] = (
    Dataset(
        name="population-ethnicity",
        table="population_ethnicity",
        ddl=ETHNICITY_DDL,
        patterns=(
            "population/census2021_ethnic_group_London_LSOA2021.csv*",
            "population/census2011_ethnic_group_London_LSOA2021.csv*",
        ),
        parse=parse_ethnicity,
        description="Census 2021 and 2011 (re-based to 2021 LSOAs) usual residents by ethnic group and LSOA; "
                    f"builds population_group (police.uk groups via mappings/{ETHNICITY_MAPPING_FILE})",
        after_load=build_population_groups,
    ),
    Dataset(
        name="population-ethnicity-la",
        table="population_ethnicity_la",
        ddl=LA_ETHNICITY_DDL,
        patterns=("national/census2021/census2021_ts021_ethnic_group_19cat_ltla21_EW.csv*",),
        parse=parse_la_ethnicity,
        description="Census 2021 TS021 usual residents by ethnic group (19 categories) and local authority, England "
                    "and Wales; adds to population_group every authority and force not built from LSOAs",
        after_load=build_population_groups,
        optional=True,
    ),
    Dataset(
        name="population-age",
        table="population_age",
        ddl=AGE_DDL,
        patterns=("population/census2021_TS007A_age_5yr_bands_London_LSOA.csv*",),
        parse=parse_age,
        description="Census 2021 TS007A usual residents by 5-year age band and LSOA; builds "
                    f"population_age_group (exact derived bands in mappings/{AGE_BANDS_FILE})",
        after_load=build_population_age_groups,
    ),
    Dataset(
        name="population-midyear-borough",
        table="population_midyear",
        ddl=MIDYEAR_DDL,
        patterns=(
            "population/London_borough_population_2011-2022.csv*",
            "population/London_borough_population_2023-2024.csv*",
        ),
        parse=parse_borough_midyear,
        description="Borough population by year 2011-2024 as published with the GLA projections",
        after_load=build_midyear_levels,
    ),
    Dataset(
        name="population-midyear-lsoa",
        table="population_midyear",
        ddl=MIDYEAR_DDL,
        patterns=("population/ONS_LSOA2021_mid-year_population_and_density_2011-2022_London.csv*",),
        parse=parse_lsoa_midyear,
        description="ONS mid-year population estimates by 2021 LSOA, 2011-2022, summed to ward, borough, "
                    "BCU and force",
        after_load=build_midyear_levels,
    ),
)
