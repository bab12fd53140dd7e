"""The kinds of record the service holds. A new kind (commissioning, complaint reviews) is a
subpackage with `models.py` (its tables), `web.py` (its `router`, each route with its rule), an
Alembic migration in `migrations/versions/` continuing the one chain, and a line here."""

from __future__ import annotations

import importlib
from types import ModuleType

KINDS: tuple[str, ...] = ("custody", "grants", "complaints")
"""Subpackages of `oversight.records`, each one kind of record."""


def load_models() -> list[ModuleType]:
    """The shared tables' module and every kind's, so their tables are in `db.Base.metadata`."""
    return [importlib.import_module("oversight.records.models"),
            *(importlib.import_module(f"oversight.records.{kind}.models") for kind in KINDS)]


def load_web() -> list[ModuleType]:
    return [importlib.import_module(f"oversight.records.{kind}.web") for kind in KINDS]
