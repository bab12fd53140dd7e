"""Published snapshots: the read-only copies of the warehouse that the site serves.

`oversight build` writes the warehouse, then publishes it: under the build's own write lock it
checkpoints the file, copies it beside itself under a temporary name and renames the copy to
`<warehouse stem>.snapshot-<version><suffix>` in one step, then removes older snapshots. The
version is the warehouse file's modification time in nanoseconds, so a snapshot says which
state of the warehouse it holds, and names sort by age.

The server opens only the newest snapshot, so it never holds the lock a build needs and a build
never waits for the server; it notices a newer snapshot and opens it, while requests already
running finish on the old one. Each snapshot has its own name because DuckDB shares one open
database per path within a process: a file replaced under the same name would still be read
as the old one (docs/decisions/0004-serving-published-snapshots.md).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import duckdb

from oversight.errors import WarehouseError


def _pattern(warehouse: Path) -> re.Pattern[str]:
    return re.compile(re.escape(warehouse.stem) + r"\.snapshot-(\d{20})" + re.escape(warehouse.suffix))


def snapshots(warehouse: str | os.PathLike[str]) -> list[Path]:
    """The published snapshots of a warehouse, oldest first."""
    path = Path(warehouse)
    pattern = _pattern(path)
    try:
        names = [entry.name for entry in os.scandir(path.parent) if pattern.fullmatch(entry.name)]
    except OSError:
        return []
    return [path.with_name(name) for name in sorted(names)]


def latest_snapshot(warehouse: str | os.PathLike[str]) -> Path | None:
    found = snapshots(warehouse)
    return found[-1] if found else None


def snapshot_is_current(warehouse: str | os.PathLike[str]) -> bool:
    """True when the newest snapshot was published from the warehouse as it is now."""
    latest = latest_snapshot(warehouse)
    try:
        return latest is not None and latest.name == _name(Path(warehouse), Path(warehouse).stat().st_mtime_ns)
    except OSError:
        return False


def _name(warehouse: Path, version: int) -> str:
    return f"{warehouse.stem}.snapshot-{version:020d}{warehouse.suffix}"


def publish_snapshot(warehouse: str | os.PathLike[str]) -> Path:
    """Publish the warehouse as it is now; WarehouseError when another process is writing it
    (the snapshots already published stay as they were)."""
    source = Path(warehouse)
    if not source.exists():
        raise WarehouseError("no warehouse here yet; run 'oversight ingest' and 'oversight build' first",
                             path=str(source))
    try:
        # The write lock: no other process changes the file while it is copied.
        con = duckdb.connect(str(source))
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot publish a snapshot while another process writes the warehouse: {exc}",
                             path=str(source)) from exc
    try:
        con.execute("CHECKPOINT")  # every change in the main file, none left in the write-ahead log
        target = source.with_name(_name(source, source.stat().st_mtime_ns))
        if not target.exists():
            partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
            try:
                shutil.copyfile(source, partial)
                with open(partial, "rb") as handle:
                    os.fsync(handle.fileno())
                os.replace(partial, target)  # readers see a whole snapshot or none
            except OSError as exc:
                raise WarehouseError(f"cannot write the snapshot ({exc.strerror or exc})", path=str(target)) from exc
            finally:
                partial.unlink(missing_ok=True)
    finally:
        con.close()
    for older in snapshots(source):
        if older.name < target.name:
            older.unlink(missing_ok=True)  # a server still reading it keeps it open until it lets go
    return target
