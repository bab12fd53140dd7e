"""What an ingest did, file by file: shared by every loader and printed by the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FileReport:
    """What happened to one input file."""

    name: str
    dataset: str | None = None
    force: str | None = None
    months: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    problems: list[str] = field(default_factory=list)  # one line per broken rule, with counts
    notes: list[str] = field(default_factory=list)  # facts worth showing that lose no rows
    error: str | None = None  # set when nothing could be read
    unchanged: bool = False  # same bytes as the load already in place; skipped

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class IngestReport:
    files: list[FileReport]

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if not f.ok]

    def totals(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "failed": len(self.failed),
            "rows_read": sum(f.rows_read for f in self.files),
            "rows_loaded": sum(f.rows_loaded for f in self.files),
            "rows_quarantined": sum(f.rows_quarantined for f in self.files),
        }
