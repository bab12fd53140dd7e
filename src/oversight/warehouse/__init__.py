"""The embedded DuckDB warehouse: one file, opened with `connect()`."""

from oversight.warehouse.connection import connect

__all__ = ["connect"]
