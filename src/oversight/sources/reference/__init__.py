"""Reference data: geography, population denominators and official series.

Each module declares its `DATASETS`; `ingest_reference` loads them in dependency order
(places first, so later datasets can be checked against them) and then assigns located
police.uk records to areas.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from oversight.sources.reference import geography, home_office, mps_crime, pas, population
from oversight.sources.reference.dataset import Dataset, Parsed, Rejected, load_dataset_file, load_datasets
from oversight.sources.report import IngestReport

__all__ = ["Dataset", "Parsed", "Rejected", "all_datasets", "ingest_reference", "load_dataset_file"]


def all_datasets() -> tuple[Dataset, ...]:
    return (
        *geography.DATASETS,
        *population.DATASETS,
        *mps_crime.DATASETS,
        *pas.DATASETS,
        *home_office.DATASETS,
    )


def ingest_reference(
    con: duckdb.DuckDBPyConnection,
    roots: Iterable[str | Path],
    *,
    only: Iterable[str] | None = None,
    reload: bool = False,
) -> IngestReport:
    """Load every reference dataset (or those named in `only`) from the first root holding it."""
    wanted = set(only) if only else None
    datasets = [d for d in all_datasets() if wanted is None or d.name in wanted]
    reports = load_datasets(con, datasets, [Path(r) for r in roots], reload=reload)
    return IngestReport(reports)
