"""What the official-series parsers share: reading published CSV text, and naming places and forces.

Published tables spell the same borough or force several ways ('City of Westminster',
'Richmond Upon Thames', 'Avon & Somerset'); the mapping CSVs in `mappings/` list each spelling
once, and `normalise_name` folds case, '&' and spacing so near-variants need no row of their own.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

from oversight.errors import SourceError
from oversight.sources.police_uk import vocab


@dataclass(frozen=True)
class CsvText:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (1-based line of the row's last physical line, cells)
    blank_rows: int  # rows with no value in any cell, skipped


def read_csv(path: Path, *, delimiter: str | None = None, header_rows: int = 1) -> tuple[list[list[str]], CsvText]:
    """Read a .csv or .csv.gz file; returns the extra header rows (after the first) and the rest.

    The delimiter is ';' when the first line has semicolons and no commas (the PAS MPS-wide
    file), else ','. A UTF-8 byte-order mark is dropped.
    """
    try:
        raw = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise SourceError(f"cannot read the file: {exc}", path=str(path)) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Some Home Office and GLA exports are Windows-1252; a wrong guess fails on lookup, not silently.
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise SourceError(f"not UTF-8 or Windows-1252 text: {exc}", path=str(path)) from exc
    if not text.strip():
        raise SourceError("the file is empty", path=str(path))
    first = text.split("\n", 1)[0]
    if delimiter is None:
        delimiter = ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
        extra = [[c.strip() for c in next(reader)] for _ in range(header_rows - 1)]
        rows: list[tuple[int, list[str]]] = []
        blank = 0
        for cells in reader:
            if not any(c.strip() for c in cells):
                blank += 1 if cells else 0
                continue
            rows.append((reader.line_num, cells))
    except StopIteration as exc:
        raise SourceError(f"expected {header_rows} header rows", path=str(path)) from exc
    except csv.Error as exc:
        raise SourceError(f"not readable as CSV at line {reader.line_num}: {exc}", path=str(path)) from exc
    return extra, CsvText(header, rows, blank)


def normalise_name(name: str) -> str:
    """Fold the spellings a publisher varies: case, '&' for 'and', quotes, runs of spaces."""
    folded = name.replace("&", " and ").replace('"', "").strip().strip("*").casefold()
    return re.sub(r"\s+", " ", folded).strip()


def yyyymm(value: str) -> date | None:
    """'201004' -> 2010-04-01; None when it is not a real month."""
    if not re.fullmatch(r"\d{6}", value):
        return None
    year, month = int(value[:4]), int(value[4:])
    if not 1 <= month <= 12 or year < 1900:
        return None
    return date(year, month, 1)


def mapping_rows(name: str) -> list[dict[str, str]]:
    """The rows of one CSV in `mappings/`."""
    path = resources.files("oversight.sources.reference").joinpath("mappings", name)
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


@dataclass(frozen=True)
class Place:
    code: str | None  # GSS code; None for a published grouping that is not a borough
    name: str  # canonical name
    kind: str  # 'borough' | 'non_borough'


@cache
def _boroughs() -> dict[str, Place]:
    return {
        normalise_name(r["name"]): Place(r["gss_code"] or None, r["canonical_name"], r["kind"])
        for r in mapping_rows("london_boroughs.csv")
    }


def borough(name: str) -> Place | None:
    """The borough (or named non-borough grouping) a published name means; None if unknown."""
    return _boroughs().get(normalise_name(name))


def borough_codes() -> dict[str, str]:
    """GSS code -> canonical borough name, for the boroughs in the mapping."""
    return {p.code: p.name for p in _boroughs().values() if p.code}


@dataclass(frozen=True)
class ForceName:
    force: str | None  # police.uk force id; None for regions, national totals and other rows
    kind: str  # 'force' | 'region' | 'national' | 'other'


@cache
def _forces() -> dict[str, tuple[ForceName, ...]]:
    found: dict[str, list[ForceName]] = {}
    for r in mapping_rows("home_office_forces.csv"):
        found.setdefault(normalise_name(r["published_name"]), []).append(ForceName(r["force"] or None, r["kind"]))
    # police.uk's own names ('Metropolitan Police Service') are accepted as they are.
    for force, name in vocab.forces().items():
        entries = found.setdefault(normalise_name(name), [])
        if not any(e.kind == "force" for e in entries):
            entries.append(ForceName(force, "force"))
    return {k: tuple(v) for k, v in found.items()}


def force_candidates(name: str) -> tuple[ForceName, ...]:
    """Every reading of a published force/region name ('West Midlands' is both a force and a region).

    'Total North East' and '*Total London' are read as the total of that region.
    """
    key = normalise_name(name)
    hit = _forces().get(key)
    if hit:
        return hit
    if key.startswith("total "):
        rest = _forces().get(key.removeprefix("total ").strip(), ())
        return tuple(ForceName(None, e.kind) for e in rest if e.kind in {"region", "national"})
    return ()


def resolve_force(name: str, prefer: Iterable[str] = ("force", "national", "region", "other")) -> ForceName | None:
    """The reading of `name` whose kind comes first in `prefer`; None if the name is unknown."""
    candidates = force_candidates(name)
    for kind in prefer:
        for c in candidates:
            if c.kind == kind:
                return c
    return None
