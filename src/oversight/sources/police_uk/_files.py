"""Find police.uk CSV files in the paths a user gives: zips, folders, .csv and .csv.gz."""

from __future__ import annotations

import re
import shutil
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from oversight.errors import SourceError
from oversight.sources.police_uk._workdir import Workdir

# police.uk names monthly files YYYY-MM-<force>-<dataset>.csv; copies may add a suffix.
_NAME = re.compile(
    r"(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9-]+?)-(?P<dataset>street|outcomes|stop-and-search)"
)
_CSV_SUFFIXES = (".csv", ".csv.gz")
# Zips inside zips are opened to this depth; deeper ones are reported, not opened.
ZIP_DEPTH = 3


@dataclass(frozen=True)
class SourceFile:
    """One CSV to load. `name` is what reports and the quarantine show; `path` is readable."""

    name: str
    path: Path
    name_month: str | None  # 'YYYY-MM' from the file name, when it has one
    name_force: str | None
    name_dataset: str | None
    notes: tuple[str, ...] = field(default=())  # facts about how it was found (a zip's duplicate names)


def parse_name(name: str) -> tuple[str | None, str | None, str | None]:
    """(month, force, dataset) from a police.uk file name; None for each part not found."""
    match = _NAME.search(Path(name).name)
    if not match:
        return None, None, None
    return match["month"], match["force"], match["dataset"]


def _source(name: str, path: Path, notes: tuple[str, ...] = ()) -> SourceFile:
    month, force, dataset = parse_name(name)
    return SourceFile(name=name, path=path, name_month=month, name_force=force, name_dataset=dataset,
                      notes=notes)


def discover(paths: list[Path], workdir: Workdir) -> Iterator[SourceFile | SourceError]:
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
            yield from _zip_members(path, str(path), workdir, depth=1)
        elif path.name.endswith(_CSV_SUFFIXES):
            yield _source(str(path), path)
        else:
            yield SourceError("not a .csv, .csv.gz or .zip file", path=str(path))


def _zip_members(path: Path, name: str, workdir: Workdir, depth: int) -> Iterator[SourceFile | SourceError]:
    """Every CSV in the zip at `path` (shown as `name`), by position in the archive: two members
    may share a name, and neither may overwrite the other. Zips inside are opened in turn."""
    try:
        archive = zipfile.ZipFile(path)
        entries = [e for e in archive.infolist() if not e.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        yield SourceError(f"cannot open the zip archive ({exc})", path=name)
        return
    wanted = sorted(
        (e.filename, position, e)
        for position, e in enumerate(entries, start=1)
        if e.filename.endswith(_CSV_SUFFIXES + (".zip",))
    )
    if not wanted:
        yield SourceError("zip archive holds no .csv files", path=name)
    shared = {member: n for member, n in Counter(member for member, _, _ in wanted).items() if n > 1}
    with archive:
        for member, position, entry in wanted:
            member_name = f"{name}!{member}"
            notes: tuple[str, ...] = ()
            if member in shared:
                positions = ", ".join(f"#{p}" for m, p, _ in wanted if m == member)
                member_name += f" (#{position})"
                notes = (f"the archive holds {shared[member]} members named {member} ({positions}); "
                         "each is loaded as its own file",)
            is_zip = member.endswith(".zip")
            if is_zip and depth >= ZIP_DEPTH:
                yield SourceError(f"not opened: zip archives nested more than {ZIP_DEPTH} deep", path=member_name)
                continue
            target = workdir.new_path(".zip" if is_zip else ".csv.gz" if member.endswith(".gz") else ".csv")
            try:
                with archive.open(entry) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, length=1 << 20)
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, zlib.error) as exc:
                # RuntimeError: encrypted; NotImplementedError: a compression zipfile lacks
                yield SourceError(f"cannot extract from the zip archive ({exc})", path=member_name)
                continue
            if is_zip:
                yield from _zip_members(target, member_name, workdir, depth + 1)
            else:
                yield _source(member_name, target, notes)
