"""A short account of what the warehouse holds, for `oversight summary` and `make demo`."""

from __future__ import annotations

import duckdb
import pandas as pd

from oversight.warehouse.health import health_ledger


def loaded_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per dataset x force: months covered, rows, quarantined, and months flagged."""
    ledger = health_ledger(con)
    if ledger.empty:
        return pd.DataFrame(columns=["dataset", "force", "first_month", "last_month", "months_loaded",
                                     "rows", "quarantined", "months_partial", "months_missing"])
    grouped = ledger.groupby(["dataset", "force"], sort=True)
    frame = grouped.agg(
        first_month=("month", "min"),
        last_month=("month", "max"),
        months_loaded=("status", lambda s: int((s != "missing").sum())),
        rows=("rows", "sum"),
        quarantined=("quarantined", "sum"),
        months_partial=("status", lambda s: int((s == "partial").sum())),
        months_missing=("status", lambda s: int((s == "missing").sum())),
    ).reset_index()
    for column in ("months_loaded", "rows", "quarantined", "months_partial", "months_missing"):
        frame[column] = frame[column].astype(int)
    return frame
