"""Small tables the build writes beside `measure_value`: which areas, periods and breakdowns each
measure has. Every page needs some of this, and working it out from the figures means scanning
millions of rows (about 0.3 s for the areas alone on the full data set); the tables hold a few
thousand rows and are read in milliseconds.

A warehouse built before these tables existed has none: `read_lookup` then works the same answer
out from `measure_value`, so readers never depend on which version built it.
"""

from __future__ import annotations

from typing import Final

import duckdb

from oversight.warehouse.connection import table_exists

LOOKUPS: Final = {
    # The areas of each measure, at each level.
    "measure_area": "SELECT DISTINCT measure, area_level, area_code FROM measure_value",
    # The periods of each measure; `clean` when the period has a published figure with no quality
    # flag at the top level the measure has (force, where there is one): a default view must not
    # open on a period whose force figure is flagged.
    "measure_period": """
        WITH top AS (
            SELECT measure, CASE WHEN bool_or(area_level = 'force') THEN 'force' ELSE min(area_level) END AS level
            FROM measure_value GROUP BY measure)
        SELECT v.measure, v.period_type, v.period_end,
               coalesce(bool_or(v.area_level = top.level AND len(v.quality_flags) = 0 AND v.value IS NOT NULL
                                AND NOT v.suppressed), false) AS clean
        FROM measure_value v JOIN top USING (measure)
        GROUP BY v.measure, v.period_type, v.period_end""",
    # The breakdown values of each measure.
    "measure_breakdown": "SELECT DISTINCT measure, breakdown FROM measure_value",
}


def write_lookups(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)write every lookup from `measure_value`; the build calls it in the transaction that
    replaces the figures, so the two never disagree."""
    for name, sql in LOOKUPS.items():
        con.execute(f"DROP TABLE IF EXISTS {name}")
        con.execute(f"CREATE TABLE {name} AS {sql} ORDER BY ALL")


def read_lookup(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[object, ...]]:
    """Every row of one lookup, from its table when the build wrote one, else from `measure_value`."""
    source = name if table_exists(con, name) else f"({LOOKUPS[name]})"
    return con.execute(f"SELECT * FROM {source}").fetchall()
