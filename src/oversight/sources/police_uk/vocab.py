"""The reviewable police.uk vocabularies in vocab/*.csv, as Python lists and dicts."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


@cache
def _rows(name: str) -> tuple[dict[str, str], ...]:
    text = resources.files("oversight.sources.police_uk").joinpath("vocab", name).read_text()
    return tuple(csv.DictReader(text.splitlines()))


def crime_types() -> list[str]:
    return [r["crime_type"] for r in _rows("crime_types.csv")]


def crime_outcomes() -> dict[str, str]:
    """Canonical crime outcome label -> outcome group."""
    return {r["outcome"]: r["outcome_group"] for r in _rows("crime_outcomes.csv")}


def crime_outcome_renames() -> dict[str, str]:
    """Older published crime outcome label -> canonical label."""
    return {r["published"]: r["outcome"] for r in _rows("crime_outcome_renames.csv")}


def stop_search_outcomes() -> dict[str, str]:
    return {r["outcome"]: r["outcome_group"] for r in _rows("stop_search_outcomes.csv")}


def stop_search_outcome_renames() -> dict[str, str]:
    return {r["published"]: r["outcome"] for r in _rows("stop_search_outcome_renames.csv")}


def forces() -> dict[str, str]:
    """police.uk force id -> force name as written in 'Reported by'."""
    return {r["force"]: r["name"] for r in _rows("forces.csv")}
