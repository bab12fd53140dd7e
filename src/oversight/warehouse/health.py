"""The data-health ledger: one row per force x dataset x month, with what looks wrong.

A force's months run from its first month loaded to the last month loaded for the dataset by
any force, so a month with no file is 'missing' whether it falls between two of the force's
files or after its last one (a force that stopped submitting). Months before a force's first
file are not listed: where each force's history starts is a choice of what to load.

Columns: dataset, force, month, status ('ok', 'partial', 'missing', 'flagged': a field not
recorded or records not placed), rows, quarantined,
share_no_coordinates, share_no_lsoa, share_midnight (stop and search: share of local times at
exactly 00:00, a sign of times not recorded), first_date and last_date (stop and search, local
dates), and notes saying why a month is flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import duckdb
import pandas as pd

from oversight import config
from oversight.warehouse.quality import POLICE_UK_TABLES


class DeclaredDataset(Protocol):
    """What the ledger needs of a reference dataset the loaders declare (`sources.reference.Dataset`)."""

    @property
    def name(self) -> str: ...
    @property
    def table(self) -> str: ...
    @property
    def period_column(self) -> str | None: ...

HEALTH_COLUMNS = [
    "dataset", "force", "month", "status", "rows", "quarantined", "share_no_coordinates",
    "share_no_lsoa", "share_midnight", "first_date", "last_date", "notes",
]


def _per_month_sql(tz: str) -> str:
    return f"""
    SELECT 'street' AS dataset, force, month, count(*) AS rows,
           avg((longitude IS NULL)::INT) AS share_no_coordinates,
           avg((lsoa_code IS NULL)::INT) AS share_no_lsoa,
           NULL::DOUBLE AS share_midnight, NULL::DATE AS first_date, NULL::DATE AS last_date
    FROM street_crime GROUP BY force, month
    UNION ALL
    SELECT 'outcomes', force, month, count(*), avg((longitude IS NULL)::INT),
           avg((lsoa_code IS NULL)::INT), NULL, NULL, NULL
    FROM crime_outcome GROUP BY force, month
    UNION ALL
    SELECT 'stop-and-search', force, month, count(*), avg((longitude IS NULL)::INT), NULL,
           avg((timezone('{tz}', occurred_at)::TIME = TIME '00:00:00')::INT),
           min(timezone('{tz}', occurred_at))::DATE, max(timezone('{tz}', occurred_at))::DATE
    FROM stop_search GROUP BY force, month
    """


# The build's source-quality flags (warehouse/quality.py), by ledger dataset: the ledger shows
# the same judgement that governs the figures.
_QUALITY_SQL = f"""
    SELECT CASE source {' '.join(f"WHEN '{table}' THEN '{dataset}'" for dataset, table in POLICE_UK_TABLES.items())}
           END AS dataset, force, month,
           bool_or(flag = 'incomplete') AS incomplete,
           string_agg(reason, '; ' ORDER BY flag, field) FILTER (WHERE flag <> 'incomplete') AS reasons
    FROM source_quality GROUP BY ALL
"""
_NO_QUALITY_SQL = "SELECT NULL::VARCHAR AS dataset, NULL::VARCHAR AS force, NULL::DATE AS month, " \
                  "NULL::BOOLEAN AS incomplete, NULL::VARCHAR AS reasons WHERE false"


def health_ledger(
    con: duckdb.DuckDBPyConnection, *, dataset: str | None = None, force: str | None = None
) -> pd.DataFrame:
    """The ledger as a DataFrame, sorted by dataset, force and month."""
    tz = str(config.default("local_timezone")).replace("'", "''")
    days = int(config.default("partial_month_days"))  # type: ignore[call-overload]
    ratio = float(config.default("partial_month_ratio"))  # type: ignore[arg-type]
    has_quality = bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'source_quality'").fetchone()[0])  # type: ignore[index]
    frame = con.execute(
        f"""
        WITH seen AS ({_per_month_sql(tz)}),
        dataset_end AS (SELECT dataset, max(month) AS dataset_last FROM seen GROUP BY dataset),
        -- A force's span runs from its first month to the last month any force has in the
        -- dataset: a force that stops submitting shows as missing, not as ending early.
        span AS (
            SELECT dataset, force,
                   unnest(generate_series(min(month), any_value(dataset_last), INTERVAL 1 MONTH))::DATE AS month,
                   max(month) AS force_last, any_value(dataset_last) AS dataset_last,
                   median(rows) AS median_rows
            FROM seen JOIN dataset_end USING (dataset) GROUP BY dataset, force
        ),
        quarantined AS (
            SELECT dataset, force, month, count(*) AS n FROM quarantine GROUP BY ALL
        ),
        ledger AS (
            SELECT span.dataset, span.force, span.month, coalesce(seen.rows, 0) AS rows,
                   coalesce(quarantined.n, 0) AS quarantined,
                   seen.share_no_coordinates, seen.share_no_lsoa, seen.share_midnight,
                   seen.first_date, seen.last_date, span.median_rows,
                   seen.rows IS NULL AS is_missing,
                   span.month > span.force_last AS after_last, span.force_last, span.dataset_last,
                   seen.first_date > span.month + INTERVAL {days} DAY AS late_start,
                   seen.last_date < span.month + INTERVAL 1 MONTH - INTERVAL {days + 1} DAY AS early_end,
                   seen.rows < {ratio} * span.median_rows AS few_rows
            FROM span
            LEFT JOIN seen USING (dataset, force, month)
            LEFT JOIN quarantined USING (dataset, force, month)
        )
        SELECT dataset, force, strftime(month, '%Y-%m') AS month,
               CASE WHEN is_missing THEN 'missing'
                    WHEN late_start OR early_end OR few_rows OR quality.incomplete THEN 'partial'
                    WHEN quality.reasons IS NOT NULL THEN 'flagged'
                    ELSE 'ok' END AS status,
               rows, quarantined, share_no_coordinates, share_no_lsoa, share_midnight,
               first_date, last_date,
               concat_ws('; ',
                   CASE WHEN after_last THEN 'no file loaded: this force''s files end at '
                        || strftime(force_last, '%Y-%m') || ', other forces'' at ' || strftime(dataset_last, '%Y-%m')
                        WHEN is_missing THEN 'no file loaded for this month inside the covered span' END,
                   CASE WHEN late_start THEN 'first record on ' || strftime(first_date, '%d %b') END,
                   CASE WHEN early_end THEN 'last record on ' || strftime(last_date, '%d %b') END,
                   CASE WHEN few_rows THEN rows || ' rows, under ' || round({ratio} * 100)::INT
                        || '% of the median month (' || median_rows::BIGINT || ')' END,
                   CASE WHEN quarantined > 0 THEN quarantined || ' rows quarantined' END,
                   CASE WHEN share_no_coordinates > 0.5 THEN round(share_no_coordinates * 100)::INT
                        || '% of rows have no coordinates' END,
                   quality.reasons
               ) AS notes
        FROM ledger
        LEFT JOIN ({_QUALITY_SQL if has_quality else _NO_QUALITY_SQL}) quality USING (dataset, force, month)
        WHERE (? IS NULL OR dataset = ?) AND (? IS NULL OR force = ?)
        ORDER BY dataset, force, month
        """,
        [dataset, dataset, force, force],
    ).df()
    return frame[HEALTH_COLUMNS]


REFERENCE_HEALTH_COLUMNS = [
    "dataset", "table", "files", "rows_read", "rows", "quarantined", "first_period", "last_period",
    "loaded_at", "notes",
]


def reference_health(con: duckdb.DuckDBPyConnection, declared: Sequence[DeclaredDataset]) -> pd.DataFrame:
    """One row per declared reference dataset: files and rows loaded, rows quarantined, period
    covered. A dataset with no file loaded is listed with a note, so a gap is visible."""
    has_ledger = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'reference_load'"
    ).fetchone()[0]  # type: ignore[index]
    rows = []
    for d in declared:
        loaded = None
        if has_ledger:
            loaded = con.execute(
                """SELECT count(*), sum(f.rows_read), sum(f.rows_loaded), sum(f.rows_quarantined),
                          max(f.loaded_at)::TIMESTAMP
                   FROM reference_load r JOIN file_load f USING (load_id) WHERE r.dataset = ?""",
                [d.name],
            ).fetchone()
        files = int(loaded[0]) if loaded else 0
        first = last = None
        if files and d.period_column:
            first, last = con.execute(  # type: ignore[misc]
                f"SELECT min({d.period_column}), max({d.period_column}) FROM {d.table}"
            ).fetchone()
        notes = []
        if not files:
            notes.append("not loaded: run 'oversight ingest reference'")
        elif loaded[3]:  # type: ignore[index]
            notes.append(f"{loaded[3]:,} rows quarantined (see 'oversight quarantine')")  # type: ignore[index]
        rows.append({
            "dataset": d.name, "table": d.table, "files": files,
            "rows_read": int(loaded[1] or 0) if loaded else 0,
            "rows": int(loaded[2] or 0) if loaded else 0,
            "quarantined": int(loaded[3] or 0) if loaded else 0,
            "first_period": first, "last_period": last,
            "loaded_at": loaded[4] if loaded else None, "notes": "; ".join(notes),
        })
    return pd.DataFrame(rows, columns=REFERENCE_HEALTH_COLUMNS)
