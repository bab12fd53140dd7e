"""Reference data: geography, population denominators and official series.

Each module declares its `DATASETS`; `ingest_reference` loads them in dependency order
(places first, so later datasets can be checked against them) and then assigns located
police.uk records to areas.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from oversight.sources.reference import geography, home_office, mps_crime, pas, pas_comparator, population
from oversight.sources.reference.dataset import Dataset, Parsed, Rejected, load_dataset_file, load_datasets
from oversight.sources.report import IngestReport

__all__ = ["Dataset", "Parsed", "Rejected", "all_datasets", "ingest_reference", "load_dataset_file",
           "place_loaded_records"]


def all_datasets() -> tuple[Dataset, ...]:
    return (
        *geography.DATASETS,
        *population.DATASETS,
        *mps_crime.DATASETS,
        *pas.DATASETS,
        *pas_comparator.DATASETS,
        *home_office.DATASETS,
    )


def ingest_reference(
    con: duckdb.DuckDBPyConnection,
    roots: Iterable[str | Path],
    *,
    only: Iterable[str] | None = None,
    reload: bool = False,
) -> IngestReport:
    """Load every reference dataset (or those named in `only`) from the first root holding it.

    Once the geography is loaded, police.uk rows not yet placed are placed in it
    (`geography.assign_places`); the counts become notes on the last geography file's report.
    """
    wanted = set(only) if only else None
    datasets = [d for d in all_datasets() if wanted is None or d.name in wanted]
    reports = load_datasets(con, datasets, [Path(r) for r in roots], reload=reload)
    notes = place_loaded_records(con)
    if notes:
        geo_names = {d.name for d in geography.DATASETS}
        target = next((r for r in reversed(reports) if r.dataset in geo_names and r.ok), None)
        if target is not None:
            target.notes.extend(notes)
    return IngestReport(reports)


def place_loaded_records(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Place police.uk rows not yet placed in the force's areas (once the geography is loaded);
    one line per table saying where the rows fell. Run after every police.uk or geography load."""
    if not geography.places_ready(con):
        return []
    return _place_notes(geography.assign_places(con))


def _place_notes(counts: dict[str, dict[str, int]]) -> list[str]:
    notes = []
    for table, label in (("stop_search", "stop and search"), ("street_crime", "street crime")):
        c = counts.get(table)
        if not c:
            continue
        text = (f"{label} placed: {c['located']:,} in the force area, {c['outside_force_area']:,} outside it, "
                f"{c['unlocated']:,} without a location")
        if c.get("unknown_lsoa"):
            text += f", {c['unknown_lsoa']:,} with an unknown LSOA code (quarantined)"
        text += f" ({c['newly_assigned']:,} newly placed, {c['removed']:,} stale placements removed"
        if c.get("gap_filled"):
            text += f"; {c['gap_filled']:,} on a bridge or river gap placed in the nearest LSOA"
        notes.append(text + ")")
    return notes
