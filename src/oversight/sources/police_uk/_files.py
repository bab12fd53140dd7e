"""Find police.uk CSV files in the paths a user gives: zips, folders, .csv and .csv.gz."""

from __future__ import annotations

import csv
import gzip
import hashlib
import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from oversight.errors import SourceError

# police.uk names monthly files YYYY-MM-<force>-<dataset>.csv; copies may add a suffix.
_NAME = re.compile(
    r"(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9-]+?)-(?P<dataset>street|outcomes|stop-and-search)"
)
_CSV_SUFFIXES = (".csv", ".csv.gz")


@dataclass(frozen=True)
class SourceFile:
    """One CSV to load. `name` is what reports and the quarantine show; `path` is readable."""

    name: str
    path: Path
    name_month: str | None  # 'YYYY-MM' from the file name, when it has one
    name_force: str | None
    name_dataset: str | None


def parse_name(name: str) -> tuple[str | None, str | None, str | None]:
    """(month, force, dataset) from a police.uk file name; None for each part not found."""
    match = _NAME.search(Path(name).name)
    if not match:
        return None, None, None
    return match["month"], match["force"], match["dataset"]


def _source(name: str, path: Path) -> SourceFile:
    month, force, dataset = parse_name(name)
    return SourceFile(name=name, path=path, name_month=month, name_force=force, name_dataset=dataset)


def discover(paths: list[Path], workdir: Path) -> Iterator[SourceFile | SourceError]:
    """Yield every CSV under `paths` in a stable order, extracting zip members into `workdir`.

    A path that cannot be opened yields a SourceError instead, so the other paths still load.
    """
    for path in paths:
        if not path.exists():
            yield SourceError("no such file or folder", path=str(path))
        elif path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.name.endswith(_CSV_SUFFIXES + (".zip",))
            )
            if not found:
                yield SourceError("folder holds no .csv, .csv.gz or .zip files", path=str(path))
            yield from discover(found, workdir)
        elif path.name.endswith(".zip"):
            yield from _zip_members(path, workdir)
        elif path.name.endswith(_CSV_SUFFIXES):
            yield _source(str(path), path)
        else:
            yield SourceError("not a .csv, .csv.gz or .zip file", path=str(path))


def _zip_members(path: Path, workdir: Path) -> Iterator[SourceFile | SourceError]:
    try:
        archive = zipfile.ZipFile(path)
        members = sorted(
            m for m in archive.namelist() if m.endswith(_CSV_SUFFIXES) and not m.endswith("/")
        )
    except (zipfile.BadZipFile, OSError) as exc:
        yield SourceError(f"cannot open the zip archive ({exc})", path=str(path))
        return
    if not members:
        yield SourceError("zip archive holds no .csv files", path=str(path))
    with archive:
        for member in members:
            name = f"{path}!{member}"
            target = workdir / hashlib.sha1(name.encode()).hexdigest()[:16] / Path(member).name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, length=1 << 20)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                yield SourceError(f"cannot extract from the zip archive ({exc})", path=name)
                continue
            yield _source(name, target)


def read_header(source: SourceFile) -> list[str]:
    """The column names on the first line; SourceError if the file is empty or unreadable."""
    try:
        opener = gzip.open if source.path.name.endswith(".gz") else open
        with opener(source.path, "rb") as handle:  # type: ignore[operator]
            first = handle.readline(1 << 16).decode("utf-8-sig")
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile) as exc:
        raise SourceError(f"cannot read the first line ({exc})", path=source.name) from exc
    if not first.strip():
        raise SourceError("file is empty", path=source.name)
    return [c.strip() for c in next(csv.reader([first]))]


def sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
