"""The loader's private temporary folder: extracted zip members, rewritten copies, and the
literal-named links the CSV reader is given.

Each folder holds a lock for as long as its load runs. A load that is killed cannot remove its
folder, so every load first removes the folders whose lock is no longer held.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; stale folders are then removed by age only
    fcntl = None  # type: ignore[assignment]

PREFIX = "oversight-ingest-"
LOCK = ".lock"
# A folder without a lock file is stale once this old (it may be one being created right now).
UNLOCKED_GRACE_SECONDS = 3600


class Workdir:
    """A temporary folder handing out new file paths whose names are plain numbers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._numbers = itertools.count(1)

    def new_path(self, suffix: str) -> Path:
        """A fresh path ending in `suffix`, with no character a path pattern could expand."""
        return self.path / f"{next(self._numbers):06d}{suffix}"

    def link_to(self, target: Path) -> Path:
        """A new path that reads as `target` (a symbolic link, or a copy where links fail)."""
        suffix = ".csv.gz" if target.name.endswith(".gz") else ".csv"
        link = self.new_path(suffix)
        try:
            link.symlink_to(target.resolve())
        except OSError:
            shutil.copyfile(target, link)
        return link


@contextmanager
def workdir() -> Iterator[Workdir]:
    """A new locked temporary folder, removed afterwards; stale ones are removed first."""
    base = Path(tempfile.gettempdir())
    remove_stale(base)
    # Locked before it takes its findable name, so no other load can take it for a stale one.
    unnamed = Path(tempfile.mkdtemp(prefix="." + PREFIX, dir=base))
    lock = open(unnamed / LOCK, "w")  # noqa: SIM115 (held open for the whole load)
    path = unnamed
    try:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path = unnamed.with_name(unnamed.name[1:])
        unnamed.rename(path)
        yield Workdir(path)
    finally:
        lock.close()
        shutil.rmtree(path, ignore_errors=True)


def remove_stale(base: Path) -> None:
    """Remove the folders of loads that are no longer running."""
    try:
        folders = [p for p in base.glob(PREFIX + "*") if p.is_dir() and not p.is_symlink()]
    except OSError:
        return
    for folder in folders:
        if _is_stale(folder):
            shutil.rmtree(folder, ignore_errors=True)


def _is_stale(folder: Path) -> bool:
    lock_path = folder / LOCK
    try:
        if not lock_path.exists() or fcntl is None:
            return time.time() - folder.stat().st_mtime > UNLOCKED_GRACE_SECONDS
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held only while its load runs
    except OSError:
        return False  # locked by a running load, or gone already
    return True
