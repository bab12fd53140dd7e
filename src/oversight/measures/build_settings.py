"""The settings a build used, kept with its figures, so that what readers are told (the
suppression threshold, the design effect assumed, the SPC window) is what made the figures, not
whatever the machine showing them is configured with today.
"""

from __future__ import annotations

from typing import Final

import duckdb

from oversight import config
from oversight.warehouse.connection import table_exists

RECORDED: Final = ("suppress_below", "survey_design_effect", "spc_window_months", "secondary_suppression")
DDL: Final = "CREATE TABLE IF NOT EXISTS measure_setting (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)"


def record(con: duckdb.DuckDBPyConnection) -> None:
    """Write the settings this build uses (inside the build's transaction)."""
    con.execute("DROP TABLE IF EXISTS measure_setting")
    con.execute(DDL)
    con.executemany("INSERT INTO measure_setting VALUES (?, ?)",
                    [(name, str(config.default(name))) for name in RECORDED])


def used(con: duckdb.DuckDBPyConnection | None) -> dict[str, str]:
    """The settings the warehouse's figures were built with; today's settings for any it does
    not record (a warehouse built before they were kept)."""
    found: dict[str, str] = {}
    if con is not None and table_exists(con, "measure_setting"):
        found = dict(con.execute("SELECT name, value FROM measure_setting").fetchall())
    return {name: found.get(name, str(config.default(name))) for name in RECORDED}
