"""Exceptions raised by Oversight.

    OversightError              catch this to handle anything Oversight raises on purpose
    ├── SourceError             a whole input file cannot be read (empty, truncated, not police.uk)
    │   └── RowError            one row breaks a rule (kept in quarantine; raised only on request)
    ├── CatalogueError          a measure definition file is invalid
    └── WarehouseError          the warehouse cannot be opened or is in an unexpected state

Every exception carries `path`, `row`, `field` and `reason`, so the CLI, the web error page
and the JSON error envelope all show the same facts. `str(error)` puts the place first:
"file.csv, row 12, field 'Month': '2024-13' is not a YYYY-MM month".
"""

from __future__ import annotations


class OversightError(Exception):
    """Base class. `path`, `row` and `field` say where; `reason` says what rule was broken."""

    def __init__(
        self,
        reason: str,
        *,
        path: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.reason = reason
        self.path = path
        self.row = row
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.path is not None:
            where.append(str(self.path))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        return ", ".join(where) + (": " if where else "") + self.reason

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "row": self.row, "field": self.field, "reason": self.reason}


class SourceError(OversightError):
    """An input file cannot be read at all; nothing from it was loaded."""


class RowError(SourceError):
    """One row of an input file breaks a validation rule."""


class CatalogueError(OversightError):
    """A measure definition file is invalid."""


class WarehouseError(OversightError):
    """The warehouse cannot be opened, or holds something unexpected."""
