"""Open the warehouse and make sure its tables exist."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from importlib import resources
from pathlib import Path

import duckdb

from oversight.errors import WarehouseError

# Bounded so that loading a national-scale input stays under 1 GiB of memory; DuckDB spills
# anything larger to its temp directory beside the warehouse.
MEMORY_LIMIT = "600MB"


def connect(path: str | os.PathLike[str], *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse at `path`, with the schema in place."""
    path = Path(path)
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WarehouseError(
                f"cannot create the warehouse folder: {exc.strerror or exc}", path=str(path)
            ) from exc
    elif not path.exists():
        raise WarehouseError(
            "no warehouse here yet; load data first with 'oversight ingest police-uk PATH'",
            path=str(path),
        )
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open the warehouse: {exc}", path=str(path)) from exc
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET preserve_insertion_order = true")
    if not read_only:
        con.execute(resources.files("oversight.warehouse").joinpath("schema.sql").read_text())
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Everything inside happens, or (on any exception, or a kill before COMMIT) none of it.

    The exception raised is the one that stopped the block: a ROLLBACK that cannot run (the
    connection closed or the database invalidated by that very error) leaves nothing to undo.
    A COMMIT that fails ends the transaction too (DuckDB rolls it back), so it is raised as is."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        with suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table (or view) of that name exists, temporary ones included."""
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()
    return bool(row and row[0])
