"""Oversight: measures, dashboards and reports for police oversight, from open data."""

from oversight.errors import (
    CatalogueError,
    OversightError,
    RowError,
    SourceError,
    WarehouseError,
)

__all__ = [
    "CatalogueError",
    "OversightError",
    "RowError",
    "SourceError",
    "WarehouseError",
]
