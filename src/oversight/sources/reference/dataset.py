"""How a reference dataset is declared and loaded: the same guarantees as the police.uk loader.

A reference dataset (a lookup, a census table, an official series) is a `Dataset`: the table
it fills, the DDL of that table, the files it reads (glob patterns under a data root laid out
like `../shared/data`: geo/, mps/, population/) and a `parse` function turning one file into a
typed DataFrame plus the rows it rejected, each with the reason.

`load_dataset_file` then guarantees, for every dataset alike:
- idempotent: a file whose bytes are already loaded is skipped (`unchanged`);
- atomic: the file's previous rows, quarantine and ledger entry are replaced in one
  transaction, so a crash leaves the last good state;
- nothing lost: rows read = rows loaded + rows quarantined, recorded in `file_load`;
- a file that cannot be parsed at all changes nothing and reports why (`error`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from oversight.errors import SourceError
from oversight.sources.report import FileReport
from oversight.warehouse.connection import transaction


@dataclass(frozen=True)
class Rejected:
    """One input row that broke a rule. `line` is the 1-based line in the file (header = 1)."""

    line: int | None
    field: str | None
    value: str | None
    reason: str
    record: Mapping[str, object] | str | None = None


@dataclass
class Parsed:
    """What `parse` made of one file.

    `rows` has the target table's columns except `source_file` (added here). Leave `rows_read`
    unset when each input row gives one output row (then rows_read = rows + rejected); set it
    when the shape changes (wide-to-long: one input row gives many), and make the notes say so.
    `notes` are facts worth showing (for example "normalised 'Richmond Upon Thames'").
    """

    rows: pd.DataFrame
    rejected: list[Rejected] = field(default_factory=list)
    rows_read: int | None = None
    notes: list[str] = field(default_factory=list)


Parser = Callable[[Path], Parsed]


@dataclass(frozen=True)
class Dataset:
    name: str                       # e.g. 'mps-crime-borough'; shown in health and quarantine
    table: str                      # warehouse table it fills; must have `source_file VARCHAR`
    ddl: str                        # CREATE TABLE IF NOT EXISTS ... (idempotent)
    patterns: tuple[str, ...]       # globs relative to a data root
    parse: Parser
    description: str
    after_load: Callable[[duckdb.DuckDBPyConnection], None] | None = None  # e.g. reconcile overlaps
    period_column: str | None = None  # DATE column giving the period covered, for the health view
    # True for files that extend the platform beyond the bundled force (the national lookups):
    # when no root holds one the dataset is skipped with a note, not reported as a failure.
    optional: bool = False

    def files(self, root: Path) -> list[Path]:
        found: dict[str, Path] = {}
        for pattern in self.patterns:
            for path in sorted(root.glob(pattern)):
                if path.is_file():
                    found.setdefault(path.name, path)
        return list(found.values())


LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS reference_load (
    dataset      VARCHAR NOT NULL,
    source_file  VARCHAR NOT NULL,
    load_id      BIGINT NOT NULL,
    rows_loaded  BIGINT NOT NULL,
    PRIMARY KEY (dataset, source_file)
);
"""


def file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def load_dataset_file(
    con: duckdb.DuckDBPyConnection, dataset: Dataset, path: Path, *, reload: bool = False
) -> FileReport:
    """Load one file of `dataset`, replacing what the same file name supplied before."""
    report = FileReport(name=path.name, dataset=dataset.name)
    con.execute(LEDGER_DDL)
    con.execute(dataset.ddl)
    digest = file_sha256(path)
    if not reload and _already_current(con, dataset.name, path.name, digest):
        report.unchanged = True
        return report
    try:
        parsed = dataset.parse(path)
    except SourceError as exc:
        report.error = exc.reason if exc.path else str(exc)
        return report
    rows = parsed.rows.copy()
    rows["source_file"] = path.name
    rejected = parsed.rejected
    report.rows_loaded = len(rows)
    report.rows_quarantined = len(rejected)
    report.rows_read = parsed.rows_read if parsed.rows_read is not None else len(rows) + len(rejected)
    report.problems = _summarise(rejected)
    report.notes = list(parsed.notes)
    with transaction(con):
        (load_id,) = con.execute("SELECT nextval('load_id_seq')").fetchone()  # type: ignore[misc]
        con.execute(f"DELETE FROM {dataset.table} WHERE source_file = ?", [path.name])
        con.execute("DELETE FROM quarantine WHERE dataset = ? AND source_file = ?", [dataset.name, path.name])
        con.register("__reference_rows", rows)
        try:
            con.execute(f"INSERT INTO {dataset.table} BY NAME SELECT * FROM __reference_rows")
        finally:
            con.unregister("__reference_rows")
        if rejected:
            con.executemany(
                "INSERT INTO quarantine VALUES (?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?)",
                [
                    [load_id, dataset.name, path.name, r.line, r.field,
                     None if r.value is None else str(r.value), r.reason, _record_text(r.record)]
                    for r in rejected
                ],
            )
        con.execute(
            "INSERT INTO file_load VALUES (?, ?, ?, ?, NULL, ?, ?, ?, now())",
            [load_id, path.name, digest, dataset.name, report.rows_read, report.rows_loaded,
             report.rows_quarantined],
        )
        con.execute(
            "INSERT OR REPLACE INTO reference_load VALUES (?, ?, ?, ?)",
            [dataset.name, path.name, load_id, report.rows_loaded],
        )
    return report


def load_datasets(
    con: duckdb.DuckDBPyConnection,
    datasets: Sequence[Dataset],
    roots: Iterable[Path],
    *,
    reload: bool = False,
) -> list[FileReport]:
    """Load every file of every dataset found under the first root that has any."""
    roots = [Path(r) for r in roots]
    reports: list[FileReport] = []
    for dataset in datasets:
        files: list[Path] = []
        for root in roots:
            files = dataset.files(root)
            if files:
                break
        if not files and dataset.optional:
            reports.append(FileReport(
                name=" | ".join(dataset.patterns), dataset=dataset.name,
                notes=[f"no file under {', '.join(map(str, roots))}: skipped ({dataset.name} is optional)"],
            ))
            continue
        if not files:
            reports.append(
                FileReport(
                    name=" | ".join(dataset.patterns),
                    dataset=dataset.name,
                    error=f"no file for {dataset.name} under {', '.join(map(str, roots))}",
                )
            )
            continue
        loaded = [load_dataset_file(con, dataset, path, reload=reload) for path in files]
        reports.extend(loaded)
        if dataset.after_load and any(r.ok and not r.unchanged for r in loaded):
            dataset.after_load(con)
    return reports


def _already_current(con: duckdb.DuckDBPyConnection, dataset: str, name: str, digest: str) -> bool:
    row = con.execute(
        """SELECT count(*) FROM reference_load r JOIN file_load f USING (load_id)
           WHERE r.dataset = ? AND r.source_file = ? AND f.sha256 = ?""",
        [dataset, name, digest],
    ).fetchone()
    return bool(row and row[0])


def _summarise(rejected: list[Rejected]) -> list[str]:
    """One line per (field, reason kind), with the count and first line, as the police.uk loader says it."""
    groups: dict[str | None, list[Rejected]] = {}
    for r in rejected:
        groups.setdefault(r.field, []).append(r)
    lines = []
    for fld, rows in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        first = min(rows, key=lambda r: r.line if r.line is not None else 0)
        n = len(rows)
        where = f", first at line {first.line}" if first.line is not None else ""
        lines.append(f"field '{fld}': {n} row{'s' if n != 1 else ''} quarantined{where}: {first.reason}")
    return lines


def _record_text(record: Mapping[str, object] | str | None) -> str | None:
    if record is None or isinstance(record, str):
        return record
    return json.dumps(dict(record), default=str)
