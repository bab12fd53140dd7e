"""Load police.uk files into the warehouse: typed, validated, quarantined, idempotent, atomic.

Each file is first read once by _scan.py (its hash, records, physical lines, line ends, quotes)
and its header checked. Files of the same kind and header are then read together by DuckDB's
CSV reader, through links with plain numbered names in a private folder so that no file name is
ever taken for a pattern; checked by one SELECT (see _rules.py); and written in one transaction
that replaces every force x dataset x month partition they supply. Usually the good rows go
straight from the reader into the warehouse table (see "one batch" below for when they are staged
first). A crash before COMMIT leaves the previous state.

A file fails as a whole, and changes nothing, when it cannot be read, when the reader finds
other records than the layout pass counted, or when its rows belong to another force. A file
that cannot be read is retried alone, so it fails by itself and the others still load. When
the warehouse itself cannot be written the load stops, and every file not yet loaded says so.
"""

from __future__ import annotations

import csv
import io
import os
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from oversight import config
from oversight.errors import SourceError, WarehouseError
from oversight.sources.police_uk import vocab
from oversight.sources.police_uk._files import SourceFile, discover
from oversight.sources.police_uk._kinds import STOP_SEARCH, Kind, closest_kind, kind_from_header
from oversight.sources.police_uk._rules import COLUMNS, checked_select, lit, q
from oversight.sources.police_uk._scan import Layout, scan
from oversight.sources.police_uk._workdir import Workdir, workdir
from oversight.sources.reference.dataset import file_sha256
from oversight.sources.report import FileReport, IngestReport
from oversight.warehouse.connection import transaction

# Files are read together until their size reaches this: it bounds what one transaction writes
# (and a staged batch's table), and the progress shown moves once a batch. Smaller batches cost
# dearly: when every batch was staged, 10 M rows loaded at 32 MB in 43.3 s into a 330 MB
# warehouse, at 256 MB in 29.3 s into 175 MB (bench/ingest.py, 2 cores).
BATCH_BYTES = 256 * 1024 * 1024

# Files scanned at once before loading (see _scan.py); the machine's cores, at most 4.
SCAN_THREADS = min(4, os.cpu_count() or 1)

# Words of the operating system's error text that mean the warehouse's disk, not the input file,
# is at fault; DuckDB passes them on inside its own exceptions.
_DISK_ERRORS = ("No space left on device", "Read-only file system", "Disk quota exceeded")

# Shown with a failure that is a bug, so that one file's bug never stops the others loading.
UNEXPECTED = "not loaded: unexpected error (please report it)"

# (what is being done, e.g. 'reading <file>'; bytes done; bytes in all, None while files are
# still being found). Bytes are those of the CSV files themselves, as read out of any archive.
Progress = Callable[[str, int, int | None], None]


@dataclass
class _Pending:
    source: SourceFile
    layout: Layout
    readable: Path  # what the CSV reader opens: a link to the file, or a rewritten copy
    kind: Kind
    header: tuple[str, ...]
    force: str | None
    size: int
    report: FileReport
    written: bool = False  # committed to the warehouse


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
    bytes are skipped unless `reload` is true. Never raises for a bad file or a full disk: every
    failure is a file's `error` in the report.
    """
    roots = [Path(p) for p in paths]
    reports: list[FileReport] = []
    try:
        with workdir() as work:
            pending: list[_Pending] = []
            read = 0
            current = {} if reload else _current_loads(con)
            # Files are scanned (and hashed) a few at a time in threads, which hashlib, numpy and
            # file reads let run at once; they are taken up in the order they were found.
            scanning: deque[tuple[SourceFile, FileReport, Future[_Pending | None]]] = deque()

            def take_up_oldest() -> None:
                nonlocal read
                found, report, future = scanning.popleft()
                try:
                    item = future.result()
                except Exception as exc:  # noqa: BLE001 (a bug here must not stop the other files)
                    report.error = f"{UNEXPECTED}: {type(exc).__name__}: {_first_line(exc)}"
                    item = None
                if item is not None:
                    pending.append(item)
                if progress:
                    read += item.size if item is not None else _size(found.path)
                    progress(f"reading {Path(found.name).name}", read, None)

            with ThreadPoolExecutor(SCAN_THREADS) as pool:
                for found in discover(roots, work):
                    if isinstance(found, SourceError):
                        reports.append(FileReport(name=str(found.path), error=found.reason))
                        continue
                    report = FileReport(name=found.name, notes=list(found.notes))
                    reports.append(report)
                    scanning.append((found, report, pool.submit(_prepare, found, report, force, current, work)))
                    if len(scanning) > 2 * SCAN_THREADS:
                        take_up_oldest()
                while scanning:
                    take_up_oldest()
            _load_all(con, pending, progress)
    except OSError as exc:  # the temporary folder cannot be made
        reason = f"not loaded: cannot make a temporary folder ({exc.strerror or exc})"
        reports = [FileReport(name=r.name, error=r.error or reason) for r in reports] or [
            FileReport(name=str(p), error=reason) for p in roots
        ]
    return IngestReport(reports)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _prepare(
    source: SourceFile,
    report: FileReport,
    force: str | None,
    current: dict[tuple[str, str], dict[str, str]],
    work: Workdir,
) -> _Pending | None:
    loaded = _loaded_unchanged(source, source.name_force or force, current)
    if loaded is not None:  # the same bytes already supply their months: no need to read them
        report.dataset, report.force, report.unchanged = loaded, source.name_force or force, True
        return None
    try:
        layout = scan(source.path)
        header = _header(layout)
    except SourceError as exc:
        report.error = exc.reason
        return None
    kind = kind_from_header(header)
    if kind is None:
        nearest, missing = closest_kind(header)
        report.error = _stray_cr_in_header(layout) + (
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
    if source.name_month is not None and _first_day(source.name_month) is None:
        # Its rows would belong to no month: refused here rather than lost or failing the load.
        report.error = f"the month in the file name, '{source.name_month}', is not a month (YYYY-MM)"
        return None
    try:
        readable = _readable(source.path, layout, work)
    except OSError as exc:
        report.error = f"not loaded: cannot write a temporary copy ({exc.strerror or exc})"
        return None
    except SourceError as exc:
        report.error = exc.reason
        return None
    report.notes += _layout_notes(layout)
    return _Pending(source, layout, readable, kind, tuple(header), file_force, _size(source.path), report)


def _header(layout: Layout) -> list[str]:
    """The column names, once the file's layout shows it can be read; SourceError if not."""
    if layout.empty:
        raise SourceError("file is empty")
    if not layout.header:
        raise SourceError("line 1 is blank: the header must be the first line")
    opened = layout.unclosed_quote_line
    if opened is not None and opened < layout.lines:
        raise SourceError(
            f"line {opened}: a quoted value opens here and is never closed, so lines {opened} to "
            f"{layout.lines} would be read as one value"
        )
    if layout.multi_line and layout.multi_line[0][0] == 1:
        raise SourceError("the header runs over several lines (a quoted column name holds a line break)")
    try:
        text = layout.header.decode("utf-8")
        names = [c.strip() for c in next(csv.reader(io.StringIO(text, newline="")), [])]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SourceError(f"cannot read the first line ({exc})") from exc
    for position, name in enumerate(names, start=1):
        if not name:
            raise SourceError(f"column {position} of the header has no name")
        where = [i for i, other in enumerate(names, start=1) if other == name]
        if len(where) > 1:
            times = "twice" if len(where) == 2 else f"{len(where)} times"
            columns = ", ".join(map(str, where[:-1])) + f" and {where[-1]}"
            raise SourceError(f"the header names column '{name}' {times} (columns {columns})")
    return names


def _stray_cr_in_header(layout: Layout) -> str:
    """Why a header may be cut short: its line ends in a CR where the other lines do not."""
    others = {k: n for k, n in layout.endings.items() if k != "CR" and n}
    if layout.first_ending != "CR" or not others:
        return ""
    usual = max(others, key=others.__getitem__)
    return f"line 1 ends in a carriage return (CR) where the other lines end in {usual}; read so, it is "


def _readable(path: Path, layout: Layout, work: Workdir) -> Path:
    """A path the CSV reader takes literally: a link to the file, or, where its line ends are
    mixed (which the reader rejects), a copy with every line end made LF."""
    if not layout.mixed_endings:
        return work.link_to(path)
    copy = work.new_path(".csv")
    with open(copy, "wb") as out:
        scan(path, rewrite_to=out)
    return copy


def _layout_notes(layout: Layout) -> list[str]:
    notes = []
    if layout.blank_ordinals:
        n = len(layout.blank_ordinals)
        notes.append(f"{n:,} blank line{'s' if n != 1 else ''} skipped (first at line {layout.blank_first_line})")
    if layout.mixed_endings:
        notes.append(f"line ends are mixed: {layout.ending_summary()}")
    return notes


def _current_loads(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict[str, str]]:
    """(file name, force) -> {sha256: dataset} of the loads that currently supply a partition."""
    current: dict[tuple[str, str], dict[str, str]] = {}
    for name, force, digest, dataset in con.execute(
        """SELECT DISTINCT f.source_file, f.force, f.sha256, f.dataset
           FROM file_load f JOIN partition_load p USING (load_id) WHERE f.force IS NOT NULL"""
    ).fetchall():
        current.setdefault((name, force), {})[digest] = dataset
    return current


def _loaded_unchanged(
    source: SourceFile, force: str | None, current: dict[tuple[str, str], dict[str, str]]
) -> str | None:
    """The dataset of the file if these very bytes, under this name and for this force, are what
    currently supplies its months; else None. Only a file whose name and force are in the ledger
    is hashed, which is far cheaper than the layout scan (a .csv.gz is not decompressed)."""
    loads = current.get((source.name, force)) if force is not None else None
    if not loads:
        return None
    try:
        digest = file_sha256(source.path)
    except OSError:
        return None  # the scan reports why the file cannot be read
    return loads.get(digest)


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


def _load_all(con: duckdb.DuckDBPyConnection, pending: list[_Pending], progress: Progress | None) -> None:
    batches = _batches(pending)
    total, done = sum(p.size for p in pending), 0

    def loaded(item: _Pending) -> None:
        nonlocal done
        done += item.size
        if progress:
            progress(f"loaded {Path(item.source.name).name}", done, total)

    for n, batch in enumerate(batches):
        try:
            _load_batch_or_each(con, batch, loaded)
        except WarehouseError as exc:
            _not_loaded([p for b in batches[n:] for p in b], f"not loaded: {exc.reason}")
            return
        except Exception as exc:  # noqa: BLE001 (a bug here must not stop the other batches)
            _not_loaded(batch, f"{UNEXPECTED}: {type(exc).__name__}: {_first_line(exc)}")


def _not_loaded(items: list[_Pending], reason: str) -> None:
    for item in items:
        if not item.written and item.report.ok:
            report = item.report
            report.error = reason
            report.rows_read = report.rows_loaded = report.rows_quarantined = 0
            report.months, report.problems = [], []


def _load_batch_or_each(
    con: duckdb.DuckDBPyConnection,
    batch: list[_Pending],
    loaded: Callable[[_Pending], None],
    direct: bool = True,
) -> None:
    try:
        direct = _stage(con, batch, direct)
    except duckdb.Error as exc:
        if _disk_error(exc):
            raise WarehouseError(f"cannot write to the warehouse: {_first_line(exc)}") from exc
        if len(batch) > 1:
            for item in batch:
                _load_batch_or_each(con, [item], loaded)
            return
        batch[0].report.error = f"cannot be read: {_first_line(exc)}"
    else:
        if not direct:
            _refuse_inconsistent_files(con, batch)
        if not _write(con, batch, direct):
            _load_batch_or_each(con, batch, loaded, direct=False)
            return
    for item in batch:
        loaded(item)


def _disk_error(exc: BaseException) -> bool:
    return any(words in str(exc) for words in _DISK_ERRORS)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --- one batch ------------------------------------------------------------------------------
#
# A batch is read in one of two ways, and both leave the same temp tables for the write:
#   direct  (the usual case) each file's records and distinct records are counted first
#           (_count_rows); then, inside the transaction,
#           the good rows go straight from the reader into the warehouse table, their line
#           being their position in the file, and the bad rows into __bad by a second read
#           that runs only when rows are missing from the first;
#   staged  every row, checked and typed, goes to __stage first, and lines come from the
#           layout pass's map of blank lines and line breaks inside quotes (_number_lines).
# The direct way needs lines to follow from row positions (no blank line, no line break inside
# quotes, no row the reader rejects), every file read whole, and each file's force and month
# known from its name or --force; it falls back to staging when a file turns out to have no
# good row, whose partition must then be left as it is, and when the insert's read meets a row
# it cannot read (one with too few or too many fields, which the count by lines does not see).
#
# Shared: __files (one row per file), __winner (the partitions the batch replaces and the file
# supplying each), __bad (rows that broke a rule, with their line), __rejects (rows the reader
# could not read, with their line) and __summary (per file: rows loaded and quarantined, months,
# force, repeated rows).

def _list_sql(values: list[str | None]) -> str:
    return "([" + ", ".join("NULL" if v is None else lit(v) for v in values) + "]::VARCHAR[])"


def _per_file(values: list[str | None], index: str = "file_index") -> str:
    """SQL for the value of the file a row was read from (`index`: the column of its position)."""
    return f"{_list_sql(values)}[{index}::BIGINT + 1]"


def _read_csv(batch: list[_Pending], *, rejects: bool) -> str:
    """The batch's files as one read_csv call. With `rejects`, rows the reader cannot read are
    stored in __rejects_raw (dropped first) instead of failing the read."""
    files = "[" + ", ".join(lit(str(p.readable)) for p in batch) + "]"
    columns = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in batch[0].header) + "}"
    stored = (", store_rejects = true, rejects_table = '__rejects_raw', rejects_scan = '__reject_scans'"
              if rejects else "")
    return (f"""read_csv({files}, columns = {columns}, header = true, auto_detect = false,
                         delim = ',', quote = '"', escape = '"', strict_mode = true{stored})""")


def _read_lines(batch: list[_Pending]) -> str:
    """The batch's files as one read_csv call giving each record after the header whole, as
    __text (without its line end): no quote is special and no delimiter splits it, unless the
    file holds the byte 0x01, which makes the read fail."""
    files = "[" + ", ".join(lit(str(p.readable)) for p in batch) + "]"
    return (f"""read_csv({files}, columns = {{'__text': 'VARCHAR'}}, header = true, auto_detect = false,
                         delim = '\x01', quote = '', escape = '', strict_mode = true)""")


def _row_hash(batch: list[_Pending]) -> str:
    # Exact duplicates are counted, not refused: police.uk publishes identical rows.
    return f"hash({', '.join(q(c) for c in batch[0].header)})"


def _checked(batch: list[_Pending], *, numbered: bool) -> str:
    """The batch's rows checked and typed (see checked_select). `numbered` reads without storing
    rejects and adds __line, the row's line when it is the n-th record of its file on line n + 1;
    otherwise rejects are stored and __row_hash is kept."""
    kind, header = batch[0].kind, batch[0].header
    missing = [c for c in kind.known if c not in header]
    names = vocab.forces()
    name_month = _per_file([p.source.name_month for p in batch])
    force_sql = _per_file([p.force for p in batch])
    if kind is not STOP_SEARCH:
        by_name = " ".join(f"WHEN {lit(name)} THEN {lit(fid)}" for fid, name in names.items())
        force_sql = f"coalesce({force_sql}, CASE {q('Reported by')} {by_name} END)"
    first_days = "([" + ", ".join(_month_start(p.source.name_month) for p in batch) + "]::DATE[])"
    extra = [
        f"{force_sql} AS __force",
        f"{name_month} AS __name_month",
        f"{first_days}[file_index::BIGINT + 1] AS __name_month_date",
        f"{_per_file([names.get(p.force) if p.force else None for p in batch])} AS __file_force_name",
        *[f"NULL::VARCHAR AS {q(c)}" for c in missing],
    ]
    if kind is STOP_SEARCH:
        tz = lit(str(config.default("local_timezone")))
        extra.append(
            f"CASE WHEN {name_month} IS NULL "
            f"THEN date_trunc('month', timezone({tz}, try_cast({q('Date')} AS TIMESTAMPTZ)))::DATE "
            "END AS __force_month"
        )
    if numbered:
        # Rows are numbered over the whole read; a file's rows follow the files before it.
        first = _list_sql([str(n) for n in _row_offsets(batch)]) + "[__file::BIGINT + 1]::BIGINT"
        source = _read_csv(batch, rejects=False)
        return checked_select(kind, f"SELECT *, file_index AS __file, {', '.join(extra)} FROM {source}", (),
                              line=f"__row_number - {first} + 1")
    extra.append(f"{_row_hash(batch)} AS __row_hash")
    source = _read_csv(batch, rejects=True)
    return checked_select(kind, f"SELECT *, file_index AS __file, {', '.join(extra)} FROM {source}")


def _checked_numbered(con: duckdb.DuckDBPyConnection, batch: list[_Pending]) -> str:
    """The batch's rows checked, typed and numbered (__line), as one read per DuckDB thread.

    A read that numbers its rows runs on one thread, so the files are shared out among several
    reads of about equal bytes, each numbering its own; the query over them runs in parallel if
    insertion order is not preserved (rows then keep their line, not their order).
    """
    threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])  # type: ignore[index]
    share = sum(p.size for p in batch) / max(1, threads)
    parts: list[tuple[int, list[_Pending]]] = []
    done = 0
    for i, item in enumerate(batch):
        if not parts or (done >= share * len(parts) and len(parts) < threads):
            parts.append((i, []))
        parts[-1][1].append(item)
        done += item.size
    return " UNION ALL ".join(
        f"SELECT * REPLACE (__file + {first} AS __file) FROM ({_checked(files, numbered=True)})"
        for first, files in parts
    )


def _month_start(month: str | None) -> str:
    """SQL for the first day of a 'YYYY-MM' month from a file name (checked by _prepare)."""
    first = _first_day(month)
    return lit(first.isoformat()) if first else "NULL"


def _first_day(month: str | None) -> date | None:
    """The first day of a 'YYYY-MM' month; None if there is no month or no such month."""
    try:
        return date(int(month[:4]), int(month[5:7]), 1) if month else None
    except ValueError:
        return None


def _row_offsets(batch: list[_Pending]) -> list[int]:
    """How many rows of the batch's read precede each file's first row (when none is skipped)."""
    offsets, total = [], 0
    for item in batch:
        offsets.append(total)
        total += item.layout.records
    return offsets


def _direct_fits(batch: list[_Pending]) -> bool:
    """Whether lines and partitions are known before reading (see the comment above)."""
    parts = [(p.force, p.source.name_month) for p in batch if p.layout.records]
    return (
        all(p.force and p.source.name_month and not p.layout.blank_ordinals and not p.layout.multi_line
            for p in batch)
        and len(set(parts)) == len(parts)
    )


def _stage(con: duckdb.DuckDBPyConnection, batch: list[_Pending], direct: bool) -> bool:
    """Read the batch: True if it is to be loaded directly (its rows counted, nothing staged),
    False if it was staged."""
    con.execute("DROP TABLE IF EXISTS __rejects_raw; DROP TABLE IF EXISTS __reject_scans")
    if direct and _direct_fits(batch):
        _make_files_table(con, batch, rejects=_count_rows(con, batch))
        read = dict(con.execute("SELECT __file, n FROM __read").fetchall())
        if not _count(con, "__rejects") and all(read.get(i, 0) == p.layout.records for i, p in enumerate(batch)):
            con.execute("CREATE OR REPLACE TEMP TABLE __rejects AS SELECT *, ordinal AS line FROM __rejects")  # none
            return True
        con.execute("DROP TABLE IF EXISTS __rejects_raw; DROP TABLE IF EXISTS __reject_scans")
    con.execute(f"CREATE OR REPLACE TEMP TABLE __stage AS {_checked(batch, numbered=False)}")
    _make_files_table(con, batch)
    return False


def _count_rows(con: duckdb.DuckDBPyConnection, batch: list[_Pending]) -> bool:
    """__read: each file's rows (n) and distinct rows, for a batch to be read directly; True if
    some files were read value by value (see below), so that __rejects_raw holds their rejects.

    They are counted over whole records (_read_lines), which costs a third of reading every
    value: a record without a quote is its values joined by commas (the reader splits it at
    every comma, makes an empty field NULL and changes nothing else), so two such records hold
    the same values exactly when they are the same text. The files where that cannot be relied
    on are read again value by value, which also stores the rows the reader rejects in
    __rejects_raw: a record with a quote (its quotes may or may not change its values); a file
    with more commas than its header's in every record (the reader takes empty fields after the
    last column as no field at all, so '1,x,' holds the values of '1,x'; the layout pass counts
    the commas); and a file this read cannot read or finds with other rows than the layout pass.
    """
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE __read AS
            SELECT file_index::BIGINT AS __file, count(*) AS n, count(DISTINCT hash(__text)) AS distinct_rows,
                   count(*) FILTER (WHERE contains(__text, '"')) AS quoted
            FROM {_read_lines(batch)} GROUP BY ALL"""
        )
        read = {i: (n, quoted) for i, n, quoted in con.execute("SELECT __file, n, quoted FROM __read").fetchall()}
        again = [i for i, p in enumerate(batch)
                 if read.get(i, (0, 0)) != (p.layout.records, 0) or _extra_commas(p)]
    except (duckdb.InvalidInputException, duckdb.IOException):
        # The read by values says why, or stores the rows it rejects.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE __read (__file BIGINT, n BIGINT, distinct_rows BIGINT, quoted BIGINT)"
        )
        again = list(range(len(batch)))
    if again:
        index = f"([{', '.join(map(str, again))}]::BIGINT[])[file_index::BIGINT + 1]"
        subset = [batch[i] for i in again]
        con.execute(f"DELETE FROM __read WHERE __file IN ({', '.join(map(str, again))})")
        con.execute(
            f"""INSERT INTO __read
            SELECT {index}, count(*), count(DISTINCT {_row_hash(batch)}), 0
            FROM {_read_csv(subset, rejects=True)} GROUP BY ALL"""
        )
    return bool(again)


def _extra_commas(item: _Pending) -> bool:
    """Whether a file's records hold more commas than its header does, counted over the file."""
    per_record = item.layout.header.count(b",")
    return item.layout.commas != per_record * (item.layout.records + 1)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]


def _make_files_table(con: duckdb.DuckDBPyConnection, batch: list[_Pending], rejects: bool = True) -> None:
    """__files, and __rejects from the reader's rejects of the batch (none if not `rejects`: no
    read stored them)."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE __files AS
        SELECT unnest(range(len($1)))::BIGINT AS __file, NULL::BIGINT AS load_id, unnest($1::VARCHAR[]) AS name,
               unnest($2::VARCHAR[]) AS path, unnest($3::VARCHAR[]) AS force,
               unnest($4::VARCHAR[]) AS name_month, unnest($5::BIGINT[]) AS records""",
        [[p.source.name for p in batch], [str(p.readable) for p in batch], [p.force for p in batch],
         [p.source.name_month for p in batch], [p.layout.records for p in batch]],
    )
    if not rejects:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE __rejects
            (__file BIGINT, ordinal UBIGINT, column_name VARCHAR, error_message VARCHAR, csv_line VARCHAR)"""
        )
        return
    # One reject per bad record (DuckDB reports a short row once per missing column), tagged with
    # the batch's file index. Its `line` is the record's number, counting the header and blank
    # lines but not line breaks inside quotes; _number_lines turns it into a physical line.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE __rejects AS
        SELECT DISTINCT ON (f.__file, e.line) f.__file, e.line AS ordinal, e.column_name, e.error_message,
               e.csv_line
        FROM __rejects_raw e JOIN __reject_scans sc USING (scan_id, file_id)
        JOIN __files f ON f.path = sc.file_path
        ORDER BY f.__file, e.line, e.column_idx"""
    )


class _StageInstead(Exception):
    """A batch being loaded directly must be staged after all: a file has no good row, or the
    reads inside the transaction did not give the rows the first read counted (a file changed or
    went away in between). The staged path reads each file once and checks it. (A read inside
    the transaction that fails, on a row it cannot read or a file it cannot open, has the same
    effect: see _write.)"""


def _refuse_inconsistent_files(con: duckdb.DuckDBPyConnection, batch: list[_Pending]) -> None:
    """Fail, and drop from the staged batch, each file the reader did not read whole or whose
    rows all belong to another force."""
    staged = dict(con.execute("SELECT __file, count(*) FROM __stage GROUP BY __file").fetchall())
    rejected = dict(con.execute("SELECT __file, count(*) FROM __rejects GROUP BY __file").fetchall())
    refused: list[int] = []
    for i, item in enumerate(batch):
        found, records = staged.get(i, 0) + rejected.get(i, 0), item.layout.records
        if found != records:
            item.report.error = (
                f"the CSV reader found {found:,} rows where the file holds {records:,}; "
                "nothing was loaded from it"
            )
            refused.append(i)
    if batch[0].kind is not STOP_SEARCH:
        names = vocab.forces()
        others: dict[int, list[tuple[str, int]]] = {}
        for i, reported_by, n in con.execute(
            """SELECT __file, reported_by, count(*) FROM __stage WHERE reported_by IS NOT NULL
               GROUP BY ALL ORDER BY __file, count(*) DESC, reported_by"""
        ).fetchall():
            others.setdefault(i, []).append((reported_by, n))
        for i, item in enumerate(batch):
            expected = names.get(item.force) if item.force else None
            seen = others.get(i, [])
            if i in refused or expected is None or not seen or any(name == expected for name, _ in seen):
                continue
            listed = ", ".join(f"{_printable(name)} ({n:,} row{'s' if n != 1 else ''})" for name, n in seen[:3])
            given = "file name gives" if item.source.name_force else "--force names"
            item.report.error = (
                f"the {given} force '{item.force}' ({expected}), but every row is reported by "
                f"another force: {listed}"
            )
            refused.append(i)
    if refused:
        listed = ", ".join(map(str, refused))
        for table in ("__stage", "__rejects", "__files"):
            con.execute(f"DELETE FROM {table} WHERE __file IN ({listed})")


def _printable(value: str) -> str:
    """A value from a file as one short line of a message."""
    return value[:80].replace("\r", "\\r").replace("\n", "\\n")


def _write(con: duckdb.DuckDBPyConnection, batch: list[_Pending], direct: bool) -> bool:
    """Replace the partitions the batch's good files supply, in one transaction. False, with
    nothing written, when a batch read directly is to be staged after all.

    Raises WarehouseError, with nothing written, when the warehouse cannot be written.
    """
    files = [(i, p) for i, p in enumerate(batch) if p.report.ok]
    if not files:
        return True
    kind = batch[0].kind
    try:
        ids = [row[0] for row in con.execute("SELECT nextval('load_id_seq') FROM range(?)", [len(files)]).fetchall()]
        con.execute(
            """UPDATE __files f SET load_id = ids.load_id
            FROM (SELECT unnest(?::BIGINT[]) AS __file, unnest(?::BIGINT[]) AS load_id) ids
            WHERE f.__file = ids.__file""",
            [[i for i, _ in files], ids],
        )
        if not direct:
            _number_lines(con, batch)
        # Rows read directly carry their line, so their order need not be kept (_checked_numbered).
        con.execute(f"SET preserve_insertion_order = {str(not direct).lower()}")
        try:
            with transaction(con):
                if direct:
                    _insert_direct(con, batch)
                else:
                    _insert_staged(con, kind)
                _write_quarantine(con, kind)
                _write_ledger(con, kind, files)
        finally:
            con.execute("SET preserve_insertion_order = true")  # what _stage's line numbers rely on
    except _StageInstead:
        return False
    except (duckdb.IOException, duckdb.InvalidInputException) as exc:
        # A file, not the warehouse, could not be read again (IOException), or it holds a row the
        # reader cannot read (a CSV error: a row with too few or too many fields, which the count
        # by lines does not see): the staged read stores such rows as unreadable. Any other error
        # of the SQL is the warehouse's.
        from_file = isinstance(exc, duckdb.IOException) or "CSV Error" in str(exc)
        if direct and from_file and not _disk_error(exc):
            return False
        raise WarehouseError(f"cannot write to the warehouse: {_first_line(exc)}") from exc
    except (duckdb.Error, OSError) as exc:
        raise WarehouseError(f"cannot write to the warehouse: {_first_line(exc)}") from exc
    for _, item in files:
        item.written = True
    return True


def _clear_partitions(con: duckdb.DuckDBPyConnection, kind: Kind) -> None:
    """Delete the rows and quarantined rows of the partitions in __winner, and the quarantined
    rows of earlier loads of the batch's file names."""
    con.execute(f"DELETE FROM {kind.table} t USING __winner w WHERE t.force = w.force AND t.month = w.month")
    con.execute(
        "DELETE FROM quarantine WHERE dataset = ? AND source_file IN (SELECT name FROM __files)", [kind.dataset]
    )
    con.execute(
        "DELETE FROM quarantine q USING __winner w WHERE q.dataset = ? AND q.force = w.force AND q.month = w.month",
        [kind.dataset],
    )


def _insert_direct(con: duckdb.DuckDBPyConnection, batch: list[_Pending]) -> None:
    """Write the good rows from the reader; __bad from a second read if any row is missing."""
    kind = batch[0].kind
    cols = list(COLUMNS[kind]())
    # Every file with rows supplies its own partition (_direct_fits): if one has no good row,
    # _StageInstead undoes this.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE __winner AS
        SELECT force, try_cast(name_month || '-01' AS DATE) AS month, __file, records AS rows
        FROM __files WHERE records > 0"""
    )
    _clear_partitions(con, kind)
    checked = _checked_numbered(con, batch)
    good = con.execute(
        f"""INSERT INTO {kind.table} ({", ".join(cols)}, source_file, source_line)
        SELECT {", ".join(cols)}, {_per_file([p.source.name for p in batch], "__file")}, __line
        FROM ({checked}) WHERE __rule IS NULL"""
    ).fetchone()[0]  # type: ignore[index]
    counted = sum(p.layout.records for p in batch)
    where = "__rule IS NOT NULL" if good < counted else "false"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE __bad AS
        SELECT __file, __line AS line, __rule, __field, __value, __reason, __record, force, month
        FROM ({checked}) WHERE {where}"""
    )
    if good + _count(con, "__bad") != counted:  # the files read now are not the files counted
        raise _StageInstead
    con.execute(
        """UPDATE __winner w SET rows = w.rows - b.n
        FROM (SELECT __file, count(*) AS n FROM __bad GROUP BY __file) b WHERE w.__file = b.__file"""
    )
    if _count(con, "__winner WHERE rows = 0"):
        raise _StageInstead
    con.execute(
        """CREATE OR REPLACE TEMP TABLE __summary AS
        SELECT r.__file, coalesce(w.rows, 0) AS loaded, r.n - coalesce(w.rows, 0) AS bad,
               CASE WHEN w.rows > 0 THEN [f.name_month] ELSE [] END AS months, f.force,
               r.n - r.distinct_rows AS repeats
        FROM __read r JOIN __files f USING (__file) LEFT JOIN __winner w USING (__file)"""
    )


def _insert_staged(con: duckdb.DuckDBPyConnection, kind: Kind) -> None:
    """Write the good rows from __stage; __bad from its other rows."""
    cols = list(COLUMNS[kind]())
    # The last file of the batch that supplies a partition wins it, as if loaded one by one.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE __winner AS
        SELECT force, month, __file, count(*) AS rows FROM __stage WHERE __rule IS NULL GROUP BY force, month, __file
        QUALIFY __file = max(__file) OVER (PARTITION BY force, month)"""
    )
    _clear_partitions(con, kind)
    con.execute(
        f"""INSERT INTO {kind.table} ({", ".join(cols)}, source_file, source_line)
        SELECT {", ".join("s." + c for c in cols)}, f.name, l.line
        FROM __stage s JOIN __winner w USING (force, month, __file)
        JOIN __lines l ON l.rid = s.rowid JOIN __files f ON f.__file = s.__file
        WHERE s.__rule IS NULL"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE __bad AS
        SELECT s.__file, l.line, s.__rule, s.__field, s.__value, s.__reason, s.__record, s.force, s.month
        FROM __stage s JOIN __lines l ON l.rid = s.rowid WHERE s.__rule IS NOT NULL"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE __summary AS
        SELECT __file, count(*) FILTER (WHERE __rule IS NULL) AS loaded,
               count(*) FILTER (WHERE __rule IS NOT NULL) AS bad,
               list(DISTINCT strftime(month, '%Y-%m') ORDER BY strftime(month, '%Y-%m'))
                   FILTER (WHERE __rule IS NULL) AS months,
               any_value(force) FILTER (WHERE __rule IS NULL) AS force,
               count(*) - count(DISTINCT __row_hash) AS repeats
        FROM __stage GROUP BY __file"""
    )


def _write_quarantine(con: duckdb.DuckDBPyConnection, kind: Kind) -> None:
    con.execute(
        f"""INSERT INTO quarantine
        SELECT f.load_id, {lit(kind.dataset)}, coalesce(b.force, f.force), b.month, f.name, b.line,
               b.__field, b.__value, b.__reason, b.__record
        FROM __bad b JOIN __files f USING (__file)"""
    )
    con.execute(
        f"""INSERT INTO quarantine
        SELECT f.load_id, {lit(kind.dataset)}, f.force, try_cast(f.name_month || '-01' AS DATE), f.name,
               e.line, e.column_name, NULL, 'unreadable row: ' || e.error_message, e.csv_line
        FROM __rejects e JOIN __files f USING (__file)"""
    )


def _number_lines(con: duckdb.DuckDBPyConnection, batch: list[_Pending]) -> None:
    """__lines(rid, line): the physical line of every staged row; and __rejects.line.

    Staged rows keep file order (insertion order is preserved), so the k-th row of a file is its
    k-th record after the header that is neither blank nor rejected; its record number is found
    from the skipped records before it. A record's line is its number plus the line breaks
    inside quotes of the records before it (both from the layout pass).
    """
    blank = [(i, o) for i, p in enumerate(batch) for o in p.layout.blank_ordinals]
    multi = [(i, o, n) for i, p in enumerate(batch) for o, n in p.layout.multi_line]
    con.execute(
        """CREATE OR REPLACE TEMP TABLE __first AS
        SELECT __file, min(rowid) AS first_rid FROM __stage GROUP BY __file"""
    )
    con.execute(
        # pos: how many rows precede the skipped record; shift: skipped records up to and
        # including it. Adjacent skipped records share a pos, so keep the largest shift.
        """CREATE OR REPLACE TEMP TABLE __skip_pos AS
        SELECT __file, pos, max(shift) AS shift FROM (
            SELECT __file, ordinal - 2 - (row_number() OVER w - 1) AS pos, row_number() OVER w AS shift
            FROM (SELECT unnest(?::BIGINT[]) AS __file, unnest(?::BIGINT[]) AS ordinal
                  UNION SELECT __file, ordinal FROM __rejects)
            WINDOW w AS (PARTITION BY __file ORDER BY ordinal)
        ) GROUP BY __file, pos""",
        [[b[0] for b in blank], [b[1] for b in blank]],
    )
    # Lines added by records with line breaks inside quotes, for every record after each.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE __extra AS
        SELECT __file, ordinal + 1 AS after, sum(extra) OVER (PARTITION BY __file ORDER BY ordinal) AS extra
        FROM (SELECT unnest(?::BIGINT[]) AS __file, unnest(?::BIGINT[]) AS ordinal, unnest(?::BIGINT[]) AS extra)""",
        [[m[0] for m in multi], [m[1] for m in multi], [m[2] for m in multi]],
    )
    position = ("SELECT s.rowid AS rid, s.__file, s.rowid - fi.first_rid AS k "
                "FROM __stage s JOIN __first fi USING (__file)")
    if con.execute("SELECT count(*) FROM __skip_pos").fetchone()[0]:  # type: ignore[index]
        ordinals = f"""SELECT k.rid, k.__file, k.k + 2 + coalesce(p.shift, 0) AS ordinal FROM ({position}) k
            ASOF LEFT JOIN __skip_pos p ON p.__file = k.__file AND k.k >= p.pos"""
    else:
        ordinals = f"SELECT rid, __file, k + 2 AS ordinal FROM ({position})"
    if con.execute("SELECT count(*) FROM __extra").fetchone()[0]:  # type: ignore[index]
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE __lines AS
            SELECT o.rid, o.ordinal + coalesce(e.extra, 0) AS line FROM ({ordinals}) o
            ASOF LEFT JOIN __extra e ON e.__file = o.__file AND o.ordinal >= e.after"""
        )
        con.execute(
            """CREATE OR REPLACE TEMP TABLE __rejects AS
            SELECT r.*, r.ordinal + coalesce(e.extra, 0) AS line FROM __rejects r
            ASOF LEFT JOIN __extra e ON e.__file = r.__file AND r.ordinal >= e.after"""
        )
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE __lines AS SELECT rid, ordinal AS line FROM ({ordinals})")
        con.execute("CREATE OR REPLACE TEMP TABLE __rejects AS SELECT *, ordinal AS line FROM __rejects")


def _write_ledger(con: duckdb.DuckDBPyConnection, kind: Kind, files: list[tuple[int, _Pending]]) -> None:
    counts = {row[0]: row[1:] for row in con.execute(
        "SELECT __file, loaded, bad, months, force, repeats FROM __summary").fetchall()}
    problems: dict[int, list[str]] = {}
    for file_idx, fld, n, first_line, example in con.execute(
        """SELECT __file, __field, count(*), min(line), arg_min(__reason, line)
           FROM __bad GROUP BY __file, __rule, __field ORDER BY __file, count(*) DESC"""
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
    for i, item in files:
        loaded, bad, months, row_force, repeats = counts.get(i, (0, 0, [], None, 0))
        report = item.report
        report.rows_read = item.layout.records  # counted by the layout pass, not by the reader
        report.rows_loaded = loaded
        report.rows_quarantined = bad + unreadable.get(i, 0)
        report.months = list(months or [])
        report.problems = problems.get(i, [])
        report.force = report.force or row_force
        if repeats:
            report.notes.append(_repeats_note(repeats, loaded + bad))
        ledger.append([ids[i], item.source.name, item.layout.sha256, kind.dataset, item.force,
                       report.rows_read, report.rows_loaded, report.rows_quarantined])
    con.execute(
        """INSERT INTO file_load SELECT unnest($1::BIGINT[]), unnest($2::VARCHAR[]), unnest($3::VARCHAR[]),
                  unnest($4::VARCHAR[]), unnest($5::VARCHAR[]), unnest($6::BIGINT[]), unnest($7::BIGINT[]),
                  unnest($8::BIGINT[]), now()""",
        [list(column) for column in zip(*ledger, strict=True)],
    )
    con.execute(
        f"""INSERT OR REPLACE INTO partition_load
        SELECT {lit(kind.dataset)}, w.force, w.month, f.load_id, w.rows
        FROM __winner w JOIN __files f USING (__file)"""
    )


def _repeats_note(repeats: int, rows: int) -> str:
    share = repeats / rows
    note = (
        f"{repeats:,} of {rows:,} rows ({share:.0%}) repeat an earlier row exactly; loaded all the same, "
        "as police.uk publishes identical rows (several reports at one map point, several people "
        "searched together)"
    )
    if share > 0.5:
        note += ": more than half, so check that the file does not hold its rows twice"
    return note
