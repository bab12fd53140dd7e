"""Data health as the web app and the report read it: the warehouse's ledgers
(`oversight.warehouse.health`) completed with what the loaders declare, the reference datasets
expected and the police.uk force names, so neither needs to import the loaders themselves.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from oversight.sources.police_uk import vocab
from oversight.sources.reference import all_datasets
from oversight.warehouse import health as ledgers


def force_names() -> dict[str, str]:
    """police.uk force id -> force name as police.uk writes it."""
    return vocab.forces()


def reference_health(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per reference dataset the code declares, loaded or not (see `ledgers.reference_health`)."""
    return ledgers.reference_health(con, all_datasets())
