"""Load police.uk files into the warehouse: typed, validated, quarantined, idempotent, atomic.

Files of the same kind and header are read together by DuckDB's CSV reader (one parallel scan),
checked by one SELECT (see _rules.py), and written in one transaction that replaces every
force x dataset x month partition they supply. A crash before COMMIT leaves the previous state.
A file that cannot be read is retried alone, so it fails by itself and the others still load.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from oversight import config
from oversight.errors import SourceError
from oversight.sources.report import FileReport, IngestReport
from oversight.sources.police_uk import vocab
from oversight.sources.police_uk._files import SourceFile, discover, read_header, sha256
from oversight.sources.police_uk._kinds import STOP_SEARCH, Kind, closest_kind, kind_from_header
from oversight.sources.police_uk._rules import COLUMNS, checked_select, lit, q

# Files are read together until their compressed size reaches this; it bounds the staging table.
BATCH_BYTES = 256 * 1024 * 1024

# What a bad input file raises inside DuckDB; anything else is a bug and propagates.
_FILE_ERRORS = (duckdb.IOException, duckdb.InvalidInputException)

Progress = Callable[[int, str], None]  # (bytes just finished, file name)


@dataclass
class _Pending:
    source: SourceFile
    kind: Kind
    header: tuple[str, ...]
    force: str | None
    sha: str
    size: int
    report: FileReport


def ingest_police_uk(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[str | Path],
    *,
    force: str | None = None,
    reload: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Load every police.uk CSV found under `paths` (zips, folders, .csv, .csv.gz).

    `force` names the police.uk force for files whose name does not say it (needed for
    stop-and-search files, which carry no force column). Files already loaded with the same
    bytes are skipped unless `reload` is true.
    """
    reports: list[FileReport] = []
    with tempfile.TemporaryDirectory(prefix="oversight-ingest-") as workdir:
        pending: list[_Pending] = []
        for found in discover([Path(p) for p in paths], Path(workdir)):
            if isinstance(found, SourceError):
                reports.append(FileReport(name=str(found.path), error=found.reason))
                continue
            report = FileReport(name=found.name)
            reports.append(report)
            item = _prepare(con, found, report, force, reload)
            if item is not None:
                pending.append(item)
            elif progress:
                progress(found.path.stat().st_size, found.name)
        for batch in _batches(pending):
            _load_batch_or_each(con, batch, progress)
    return IngestReport(reports)


def _prepare(
    con: duckdb.DuckDBPyConnection,
    source: SourceFile,
    report: FileReport,
    force: str | None,
    reload: bool,
) -> _Pending | None:
    try:
        header = read_header(source)
    except SourceError as exc:
        report.error = exc.reason
        return None
    kind = kind_from_header(header)
    if kind is None:
        nearest, missing = closest_kind(header)
        report.error = (
            f"not a police.uk file: the header lacks {', '.join(repr(c) for c in missing)} "
            f"of a {nearest.dataset} file"
        )
        return None
    report.dataset = kind.dataset
    file_force = source.name_force or force
    if file_force is not None and file_force not in vocab.forces():
        report.error = f"'{file_force}' is not a police.uk force id (see 'oversight forces')"
        return None
    if kind is STOP_SEARCH and file_force is None:
        report.error = (
            "stop-and-search files carry no force column: name the file "
            "YYYY-MM-<force>-stop-and-search.csv or pass --force"
        )
        return None
    report.force = file_force
    digest = sha256(source.path)
    if not reload and _already_current(con, source.name, digest):
        report.unchanged = True
        return None
    return _Pending(source, kind, tuple(header), file_force, digest, source.path.stat().st_size, report)


def _already_current(con: duckdb.DuckDBPyConnection, name: str, digest: str) -> bool:
    row = con.execute(
        """SELECT count(*) FROM file_load f JOIN partition_load p USING (load_id)
           WHERE f.source_file = ? AND f.sha256 = ?""",
        [name, digest],
    ).fetchone()
    return bool(row and row[0])


def _batches(pending: list[_Pending]) -> list[list[_Pending]]:
    """Consecutive files of the same kind and header, up to BATCH_BYTES each."""
    batches: list[list[_Pending]] = []
    for item in pending:
        last = batches[-1] if batches else None
        if (
            last
            and last[0].kind is item.kind
            and last[0].header == item.header
            and sum(p.size for p in last) + item.size <= BATCH_BYTES
        ):
            last.append(item)
        else:
            batches.append([item])
    return batches


def _load_batch_or_each(
    con: duckdb.DuckDBPyConnection, batch: list[_Pending], progress: Progress | None
) -> None:
    try:
        _load_batch(con, batch)
    except _FILE_ERRORS as exc:
        _rollback(con)
        if len(batch) > 1:
            for item in batch:
                _load_batch_or_each(con, [item], progress)
            return
        batch[0].report.error = f"cannot be read: {_first_line(exc)}"
    if progress:
        for item in batch:
            progress(item.size, item.source.name)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass  # no transaction was open


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --- one batch ------------------------------------------------------------------------------

def _list_sql(values: list[str | None]) -> str:
    return "([" + ", ".join("NULL" if v is None else lit(v) for v in values) + "]::VARCHAR[])"


def _stage(con: duckdb.DuckDBPyConnection, batch: list[_Pending]) -> None:
    """Read and check the batch into the temp table __stage (one row per CSV record read)."""
    kind, header = batch[0].kind, batch[0].header
    files = "[" + ", ".join(lit(str(p.source.path)) for p in batch) + "]"
    columns = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in header) + "}"
    missing = [c for c in kind.known if c not in header]
    force_sql = f"{_list_sql([p.force for p in batch])}[file_index::BIGINT + 1]"
    if kind is not STOP_SEARCH:
        by_name = " ".join(f"WHEN {lit(name)} THEN {lit(fid)}" for fid, name in vocab.forces().items())
        force_sql = f"coalesce({force_sql}, CASE {q('Reported by')} {by_name} END)"
    extra = [
        f"{force_sql} AS __force",
        f"{_list_sql([p.source.name_month for p in batch])}[file_index::BIGINT + 1] AS __name_month",
        *[f"NULL::VARCHAR AS {q(c)}" for c in missing],
    ]
    if kind is STOP_SEARCH:
        tz = lit(str(config.default("local_timezone")))
        extra.append(
            f"CASE WHEN {_list_sql([p.source.name_month for p in batch])}[file_index::BIGINT + 1] IS NULL "
            f"THEN date_trunc('month', timezone({tz}, try_cast({q('Date')} AS TIMESTAMPTZ)))::DATE "
            "END AS __force_month"
        )
    con.execute("DROP TABLE IF EXISTS __rejects_raw; DROP TABLE IF EXISTS __reject_scans")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE __stage AS "
        + checked_select(
            kind,
            f"""SELECT *, file_index AS __file, {", ".join(extra)}
            FROM read_csv({files}, columns = {columns}, header = true, auto_detect = false,
                          delim = ',', quote = '"', escape = '"', strict_mode = true,
                          store_rejects = true, rejects_table = '__rejects_raw',
                          rejects_scan = '__reject_scans')""",
        )
    )


def _load_batch(con: duckdb.DuckDBPyConnection, batch: list[_Pending]) -> None:
    kind = batch[0].kind
    _stage(con, batch)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE __files (__file BIGINT, load_id BIGINT, name VARCHAR, path VARCHAR, "
        "force VARCHAR, name_month VARCHAR)"
    )
    ids = [row[0] for row in con.execute("SELECT nextval('load_id_seq') FROM range(?)", [len(batch)]).fetchall()]
    con.executemany(
        "INSERT INTO __files VALUES (?, ?, ?, ?, ?, ?)",
        [[i, ids[i], p.source.name, str(p.source.path), p.force, p.source.name_month] for i, p in enumerate(batch)],
    )
    # One reject per bad line (DuckDB reports a short row once per missing column), tagged
    # with the batch's file index so nothing below needs to join the scan tables again.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE __rejects AS
        SELECT DISTINCT ON (f.__file, e.line) f.__file, e.line, e.column_name, e.error_message, e.csv_line
        FROM __rejects_raw e JOIN __reject_scans sc USING (scan_id, file_id)
        JOIN __files f ON f.path = sc.file_path
        ORDER BY f.__file, e.line, e.column_idx"""
    )
    _number_lines(con)
    cols = list(COLUMNS[kind]())
    col_list = ", ".join(cols)
    con.execute("BEGIN TRANSACTION")
    # The last file of the batch that supplies a partition wins it, as if loaded one by one.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE __winner AS SELECT force, month, max(__file) AS __file "
        "FROM __stage WHERE __rule IS NULL GROUP BY force, month"
    )
    con.execute(f"DELETE FROM {kind.table} t USING __winner w WHERE t.force = w.force AND t.month = w.month")
    con.execute(
        "DELETE FROM quarantine WHERE dataset = ? AND source_file IN (SELECT name FROM __files)", [kind.dataset]
    )
    con.execute(
        "DELETE FROM quarantine q USING __winner w WHERE q.dataset = ? AND q.force = w.force AND q.month = w.month",
        [kind.dataset],
    )
    con.execute(
        f"""INSERT INTO {kind.table} ({col_list}, source_file, source_line)
        SELECT {", ".join("s." + c for c in cols)}, f.name, l.line
        FROM __stage s JOIN __winner w USING (force, month, __file)
        JOIN __lines l ON l.rid = s.rowid JOIN __files f ON f.__file = s.__file
        WHERE s.__rule IS NULL"""
    )
    con.execute(
        f"""INSERT INTO quarantine
        SELECT f.load_id, {lit(kind.dataset)}, coalesce(s.force, f.force), s.month, f.name, l.line,
               s.__field, s.__value, s.__reason, s.__record
        FROM __stage s JOIN __lines l ON l.rid = s.rowid JOIN __files f ON f.__file = s.__file
        WHERE s.__rule IS NOT NULL"""
    )
    con.execute(
        f"""INSERT INTO quarantine
        SELECT f.load_id, {lit(kind.dataset)}, f.force, try_cast(f.name_month || '-01' AS DATE), f.name,
               e.line, e.column_name, NULL, 'unreadable row: ' || e.error_message, e.csv_line
        FROM __rejects e JOIN __files f USING (__file)"""
    )
    _write_ledger(con, kind, batch)
    con.execute("COMMIT")


def _number_lines(con: duckdb.DuckDBPyConnection) -> None:
    """__lines(rid, line): the CSV line of every staged row, counting the header as line 1.

    Staged rows keep file order (insertion order is preserved), so a row's line is its
    position in its file plus 2, shifted past any unreadable rows before it.
    """
    con.execute(
        """CREATE OR REPLACE TEMP TABLE __first AS
        SELECT __file, min(rowid) AS first_rid FROM __stage GROUP BY __file"""
    )
    con.execute(
        # pos: how many good rows precede the reject; shift: rejects up to and including it.
        # Adjacent rejects share a pos, so keep the largest shift for each.
        """CREATE OR REPLACE TEMP TABLE __reject_pos AS
        SELECT __file, pos, max(shift) AS shift FROM (
            SELECT __file, line - 2 - (row_number() OVER (PARTITION BY __file ORDER BY line) - 1) AS pos,
                   row_number() OVER (PARTITION BY __file ORDER BY line) AS shift
            FROM __rejects
        ) GROUP BY __file, pos"""
    )
    if con.execute("SELECT count(*) FROM __reject_pos").fetchone()[0]:  # type: ignore[index]
        con.execute(
            """CREATE OR REPLACE TEMP TABLE __lines AS
            SELECT k.rid, k.k + 2 + coalesce(p.shift, 0) AS line
            FROM (SELECT s.rowid AS rid, s.__file, s.rowid - fi.first_rid AS k
                  FROM __stage s JOIN __first fi USING (__file)) k
            ASOF LEFT JOIN __reject_pos p ON p.__file = k.__file AND k.k >= p.pos"""
        )
    else:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE __lines AS
            SELECT s.rowid AS rid, s.rowid - fi.first_rid + 2 AS line
            FROM __stage s JOIN __first fi USING (__file)"""
        )


def _write_ledger(con: duckdb.DuckDBPyConnection, kind: Kind, batch: list[_Pending]) -> None:
    counts = {
        row[0]: row[1:]
        for row in con.execute(
            """SELECT __file, count(*) FILTER (WHERE __rule IS NULL),
                      count(*) FILTER (WHERE __rule IS NOT NULL),
                      list(DISTINCT strftime(month, '%Y-%m') ORDER BY strftime(month, '%Y-%m'))
                          FILTER (WHERE __rule IS NULL),
                      any_value(force) FILTER (WHERE __rule IS NULL)
               FROM __stage GROUP BY __file"""
        ).fetchall()
    }
    problems: dict[int, list[str]] = {}
    for file_idx, fld, n, first_line, example in con.execute(
        """SELECT s.__file, s.__field, count(*), min(l.line), arg_min(s.__reason, l.line)
           FROM __stage s JOIN __lines l ON l.rid = s.rowid WHERE s.__rule IS NOT NULL
           GROUP BY s.__file, s.__rule, s.__field ORDER BY s.__file, count(*) DESC"""
    ).fetchall():
        problems.setdefault(file_idx, []).append(
            f"field '{fld}': {n} row{'s' if n != 1 else ''} quarantined, first at line {first_line}: {example}"
        )
    unreadable: dict[int, int] = {}
    for file_idx, n, first_line, message in con.execute(
        "SELECT __file, count(*), min(line), arg_min(error_message, line) FROM __rejects GROUP BY __file"
    ).fetchall():
        unreadable[file_idx] = n
        problems.setdefault(file_idx, []).append(
            f"{n} unreadable row{'s' if n != 1 else ''} quarantined, first at line {first_line}: "
            + message.splitlines()[0]
        )
    ids = dict(con.execute("SELECT __file, load_id FROM __files").fetchall())
    ledger = []
    for i, item in enumerate(batch):
        loaded, bad, months, row_force = counts.get(i, (0, 0, [], None))
        report = item.report
        report.rows_loaded = loaded
        report.rows_quarantined = bad + unreadable.get(i, 0)
        report.rows_read = report.rows_loaded + report.rows_quarantined
        report.months = list(months or [])
        report.problems = problems.get(i, [])
        report.force = report.force or row_force
        ledger.append([ids[i], item.source.name, item.sha, kind.dataset, item.force,
                       report.rows_read, report.rows_loaded, report.rows_quarantined])
    con.executemany("INSERT INTO file_load VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())", ledger)
    con.execute(
        f"""INSERT OR REPLACE INTO partition_load
        SELECT {lit(kind.dataset)}, w.force, w.month, f.load_id, count(*)
        FROM __stage s JOIN __winner w USING (force, month, __file) JOIN __files f ON f.__file = s.__file
        WHERE s.__rule IS NULL GROUP BY w.force, w.month, f.load_id"""
    )
