"""Partner data: figures the Police and Crime Plan needs that are not open data.

Victim satisfaction, CPS prosecutions, NHS knife-injury admissions, reoffending cohorts and the
like arrive as CSV files in one tidy format (docs/partner-data.md). Each file is a load of the
`partner` reference dataset, so it has the framework's guarantees: every row checked, bad rows
quarantined with line, field and reason, an unchanged file skipped, a file's previous rows
replaced atomically. The view `partner_value` resolves overlaps between files: the most recently
loaded file wins.

    from oversight.sources.partner import ingest_partner
    report = ingest_partner(con, [Path("uss-2024q1.csv")])
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from oversight.sources.partner._file import DUPLICATE_FIELD, parse_partner_file
from oversight.sources.partner._rules import (
    AREA_LEVELS,
    COLUMNS,
    PERIOD_ALIASES,
    PERIOD_TYPES,
    PartnerRow,
    check_row,
)
from oversight.sources.reference.dataset import LEDGER_DDL, Dataset, load_dataset_file
from oversight.sources.report import FileReport, IngestReport

__all__ = [
    "AREA_LEVELS", "COLUMNS", "DUPLICATE_FIELD", "PARTNER", "PERIOD_ALIASES", "PERIOD_TYPES", "PartnerRow", "check_row",
    "ensure_partner_tables", "ingest_partner", "parse_partner_file",
]

PARTNER_DDL = """
CREATE TABLE IF NOT EXISTS partner_series (
    measure       VARCHAR NOT NULL,   -- measure id, e.g. victim_satisfaction
    period_type   VARCHAR NOT NULL,   -- month, fy_quarter, financial_year, calendar_year, rolling_12
    period_start  DATE NOT NULL,
    period_end    DATE NOT NULL,
    area_level    VARCHAR NOT NULL,   -- force, bcu, borough, ward
    area_code     VARCHAR NOT NULL,
    breakdown     VARCHAR NOT NULL,   -- 'all' or dimension=value;... in dimension order
    numerator     DOUBLE,
    denominator   DOUBLE,
    value         DOUBLE,             -- as published; NULL for a count or proportion given without one
    sample_size   BIGINT,             -- survey respondents behind the figure
    source        VARCHAR NOT NULL,   -- publisher
    notes         VARCHAR,
    source_line   BIGINT NOT NULL,
    source_file   VARCHAR NOT NULL
);

-- One row per measure x period x area x breakdown: from the file loaded last (highest load_id),
-- so a correction sent as a new file replaces the figure without deleting the old file.
CREATE OR REPLACE VIEW partner_value AS
SELECT s.*, r.load_id, f.loaded_at
FROM partner_series s
JOIN reference_load r ON r.dataset = 'partner' AND r.source_file = s.source_file
JOIN file_load f ON f.load_id = r.load_id
QUALIFY row_number() OVER (
    PARTITION BY s.measure, s.period_start, s.period_end, s.area_level, s.area_code, s.breakdown
    ORDER BY r.load_id DESC
) = 1;
"""

PARTNER = Dataset(
    name="partner",
    table="partner_series",
    ddl=PARTNER_DDL,
    # No patterns: partner files are named on the command line and never found under a data root.
    patterns=(),
    parse=parse_partner_file,
    description="Partner series in the tidy partner format (docs/partner-data.md): victim satisfaction, "
                "CPS prosecutions, NHS admissions, reoffending and other figures that are not open data",
    period_column="period_start",
)


def ensure_partner_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create `partner_series` and `partner_value` (empty) so readers can say "no data loaded"."""
    con.execute(LEDGER_DDL)
    con.execute(PARTNER_DDL)


def ingest_partner(
    con: duckdb.DuckDBPyConnection, paths: Iterable[str | Path], *, reload: bool = False
) -> IngestReport:
    """Load each partner file in turn; a file that cannot be read is reported and the rest still load."""
    reports: list[FileReport] = []
    for path in map(Path, paths):
        if not path.is_file():
            reason = "is a folder; give the partner .csv files" if path.is_dir() else "no such file"
            reports.append(FileReport(name=str(path), dataset=PARTNER.name, error=reason))
            continue
        reports.append(load_dataset_file(con, PARTNER, path, reload=reload))
    ensure_partner_tables(con)
    return IngestReport(reports)
