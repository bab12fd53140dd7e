"""MPS recorded crime by borough and ward (London Datastore wide monthly files), and homicide victims.

Recorded crime comes in two category vintages, told apart by the header:
- 'old' (to 2018): `Borough, Major Category, Minor Category, 200801, ...`;
- 'current' (Home Office categories, from 2010-04): `MajorText, MinorText, BoroughName, 201004, ...`,
  and at ward level `MajorText, MinorText, WardName, WardCode, LookUp_BoroughName, ...`.
Each file is turned into long rows (one per area x category x month) in
`mps_crime_borough_published` or `mps_crime_ward_published`; after a load, `mps_crime` is
rebuilt from both with overlapping months between files of the same vintage and level
reconciled: the file whose data run to the later month wins, and each cell it revises is kept
in `mps_crime_revision` (see `_reconcile`).

Rows for places that are not boroughs ('London Heathrow and London City Airports', 'Unknown',
ward rows under 'Aviation Security (SO18)') are kept with `borough_code` NULL and the published
name, so an MPS-wide total includes them and a sum over boroughs does not.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from oversight.errors import SourceError
from oversight.sources.reference._common import borough, mapping_rows, normalise_name, read_csv, yyyymm
from oversight.sources.reference._reconcile import Overlap, latest_run_wins
from oversight.sources.reference._wide import melt_counts
from oversight.sources.reference.dataset import Dataset, Parsed, Rejected
from oversight.warehouse.connection import transaction

_CRIME_TABLE = """
CREATE TABLE IF NOT EXISTS {table} (
    month             DATE NOT NULL,      -- first day of the month the crimes were recorded in
    level             VARCHAR NOT NULL,   -- 'borough' | 'ward'
    area_code         VARCHAR,            -- borough GSS code (E09) or ward code (E05); NULL for non-borough rows
    area_name         VARCHAR NOT NULL,   -- canonical borough name, the ward name, or the published grouping
    borough_code      VARCHAR,            -- NULL when the row is not in a London borough
    borough_name      VARCHAR NOT NULL,   -- canonical borough name or the published grouping
    category_vintage  VARCHAR NOT NULL,   -- 'old' (to 2018) | 'current' (Home Office categories)
    major             VARCHAR NOT NULL,   -- as published
    minor             VARCHAR NOT NULL,   -- as published
    count             BIGINT NOT NULL,
    source_file       VARCHAR NOT NULL,
    source_line       BIGINT NOT NULL
);
"""

BOROUGH_DDL = _CRIME_TABLE.format(table="mps_crime_borough_published")
WARD_DDL = _CRIME_TABLE.format(table="mps_crime_ward_published")
CRIME_DDL = _CRIME_TABLE.format(table="mps_crime")
# Both levels are reconciled in one pass; each keeps its own per-file table so that coverage
# (first and last month) is reported per dataset.
_PUBLISHED = "(SELECT * FROM mps_crime_borough_published UNION ALL SELECT * FROM mps_crime_ward_published)"

REVISION_DDL = """
CREATE TABLE IF NOT EXISTS mps_crime_revision (
    month             DATE NOT NULL,
    level             VARCHAR NOT NULL,
    category_vintage  VARCHAR NOT NULL,
    area_code         VARCHAR,
    area_name         VARCHAR NOT NULL,
    major             VARCHAR NOT NULL,
    minor             VARCHAR NOT NULL,
    kept_count        BIGINT,             -- NULL: the kept file has no row for this series (no crimes in its window)
    other_count       BIGINT,             -- NULL: the other file has no row for this series
    kept_file         VARCHAR NOT NULL,
    other_file        VARCHAR NOT NULL
);
"""

HOMICIDE_DDL = """
CREATE TABLE IF NOT EXISTS homicide_victim (
    month             DATE NOT NULL,      -- month the homicide was recorded
    borough_code      VARCHAR,            -- NULL for 'Heathrow'
    borough_name      VARCHAR NOT NULL,
    age_group         VARCHAR NOT NULL,
    sex               VARCHAR NOT NULL,
    method            VARCHAR NOT NULL,
    domestic_abuse    BOOLEAN NOT NULL,
    offence_type      VARCHAR NOT NULL,
    solved_status     VARCHAR NOT NULL,
    ethnicity         VARCHAR NOT NULL,   -- officer-observed
    victims           INTEGER NOT NULL,
    source_file       VARCHAR NOT NULL,
    source_line       BIGINT NOT NULL
);
"""

CRIME_COLUMNS = [
    "month", "level", "area_code", "area_name", "borough_code", "borough_name",
    "category_vintage", "major", "minor", "count", "source_line",
]

# Published header names -> role. Matching is on normalised names, so case and spacing may vary.
_ROLES = {
    "majortext": "major", "major category": "major",
    "minortext": "minor", "minor category": "minor",
    "boroughname": "borough", "borough": "borough", "lookup_boroughname": "borough",
    "wardname": "ward_name", "ward name": "ward_name",
    "wardcode": "ward_code", "ward code": "ward_code",
}

BOROUGH_PATTERNS = ("mps/MPS_Borough_Level_Crime_*.csv*",)
WARD_PATTERNS = ("mps/MPS_Ward_Level_Crime_*.csv*",)


@dataclass(frozen=True)
class _Layout:
    level: str
    vintage: str
    roles: dict[str, int]  # role -> column index
    months: list[tuple[int, str]]  # (column index, published header)


def _layout(header: list[str], path: Path) -> _Layout:
    roles: dict[str, int] = {}
    months: list[tuple[int, str]] = []
    for i, name in enumerate(header):
        role = _ROLES.get(normalise_name(name))
        if not name:
            continue  # a trailing delimiter makes an unnamed, empty column
        if role:
            roles[role] = i
        elif yyyymm(name):
            if any(name == seen for _, seen in months):
                raise SourceError(f"month column '{name}' appears twice", path=str(path))
            months.append((i, name))
        else:
            raise SourceError(f"column '{name}' is neither a known MPS crime column nor a YYYYMM month", path=str(path))
    missing = {"major", "minor", "borough"} - roles.keys()
    if missing:
        raise SourceError(
            f"not an MPS recorded-crime file: no {', '.join(sorted(missing))} column in the header", path=str(path)
        )
    if not months:
        raise SourceError("no YYYYMM month columns in the header", path=str(path))
    level = "ward" if "ward_code" in roles else "borough"
    if level == "ward" and "ward_name" not in roles:
        raise SourceError("ward file without a ward name column", path=str(path))
    vintage = "current" if normalise_name(header[roles["major"]]) == "majortext" else "old"
    return _Layout(level, vintage, roles, months)


@dataclass(frozen=True)
class _Read:
    rows: pd.DataFrame
    rejected: tuple[Rejected, ...]
    rows_read: int
    level: str
    vintage: str
    notes: tuple[str, ...]


@lru_cache(maxsize=12)
def _read_cached(path: str, mtime_ns: int, size: int) -> _Read:
    return _read_crime(Path(path))


def _read(path: Path) -> _Read:
    st = path.stat()
    return _read_cached(str(path.resolve()), st.st_mtime_ns, st.st_size)


def _read_crime(path: Path) -> _Read:
    _, text = read_csv(path)
    lay = _layout(text.header, path)
    r = lay.roles
    rejected: list[Rejected] = []
    good: list[dict[str, object]] = []
    seen: dict[tuple[str, str, str], int] = {}
    non_borough: dict[str, int] = {}
    renamed: dict[str, str] = {}
    width = len(text.header)
    for line, cells in text.rows:
        record = dict(zip(text.header, cells, strict=False))
        if len(cells) != width:
            rejected.append(Rejected(line, None, None, f"expected {width} fields, found {len(cells)}", record))
            continue
        major, minor = cells[r["major"]].strip(), cells[r["minor"]].strip()
        published_borough = cells[r["borough"]].strip()
        if not major or not minor:
            field = text.header[r["major"] if not major else r["minor"]]
            rejected.append(Rejected(line, field, "", "blank crime category", record))
            continue
        if (lay.vintage, major.upper(), minor.upper()) not in _categories():
            raise SourceError(
                f"crime category '{major} / {minor}' ({lay.vintage} categories) is not in "
                f"mappings/{CATEGORY_MAPPING}: add it with the category it counts as, so that no "
                "offences drop out of the measures",
                path=str(path), row=line, field=text.header[r["minor"]],
            )
        place = borough(published_borough)
        if place is None:
            rejected.append(Rejected(
                line, text.header[r["borough"]], published_borough,
                "unknown borough name (not in mappings/london_boroughs.csv)", record,
            ))
            continue
        if place.kind == "non_borough":
            non_borough[place.name] = non_borough.get(place.name, 0) + 1
        elif place.name != published_borough:
            renamed[published_borough] = place.name
        area_code: str | None
        if lay.level == "ward":
            area_code = cells[r["ward_code"]].strip()
            area_name = cells[r["ward_name"]].strip()
            if not (len(area_code) == 9 and area_code[0] in "EW" and area_code[1:].isdigit()):
                rejected.append(Rejected(line, text.header[r["ward_code"]], area_code, "not a ward GSS code", record))
                continue
            if not area_name:
                rejected.append(Rejected(line, text.header[r["ward_name"]], "", "blank ward name", record))
                continue
        else:
            area_code, area_name = place.code, place.name
        key = (area_code or area_name, major, minor)
        if key in seen:
            rejected.append(Rejected(
                line, None, None, f"same area and categories as line {seen[key]}; the first is kept", record,
            ))
            continue
        seen[key] = line
        row: dict[str, object] = {
            "area_code": area_code, "area_name": area_name, "borough_code": place.code,
            "borough_name": place.name, "major": major, "minor": minor, "line": line,
        }
        for i, name in lay.months:
            row[name] = cells[i]
        good.append(row)
    ids = ["area_code", "area_name", "borough_code", "borough_name", "major", "minor"]
    month_names = [name for _, name in lay.months]
    frame = pd.DataFrame(good, columns=[*ids, "line", *month_names])
    long, bad_cells, _ = melt_counts(frame, ids, month_names, blank_is_null=False,
                                     record_columns=["area_name", "major", "minor"])
    rejected.extend(bad_cells)
    long["month"] = pd.to_datetime(long["column"], format="%Y%m")
    long["level"] = lay.level
    long["category_vintage"] = lay.vintage
    long = long.rename(columns={"line": "source_line"})[CRIME_COLUMNS].reset_index(drop=True)
    first, last = min(month_names), max(month_names)
    notes = [
        f"wide file: {len(text.rows):,} rows x {len(month_names)} month columns "
        f"({first[:4]}-{first[4:]} to {last[:4]}-{last[4:]}) read; each cell is one output row "
        f"({lay.level} level, {lay.vintage} categories)"
    ]
    for name, n in sorted(non_borough.items()):
        notes.append(f"'{name}': {n} rows kept with no borough code (in MPS-wide totals, not in any borough)")
    for published, canonical in sorted(renamed.items()):
        notes.append(f"borough '{published}' read as '{canonical}'")
    if text.blank_rows:
        notes.append(f"{text.blank_rows} empty rows skipped")
    return _Read(long, tuple(rejected), len(text.rows), lay.level, lay.vintage, tuple(notes))


def _siblings(path: Path, patterns: tuple[str, ...]) -> list[Path]:
    globs = [p.rsplit("/", 1)[-1] for p in patterns]
    return sorted(
        p for p in path.parent.iterdir()
        if p.is_file() and p.name != path.name and any(fnmatch.fnmatch(p.name, g) for g in globs)
    )


def _overlap_notes(path: Path, read: _Read, patterns: tuple[str, ...]) -> list[str]:
    """How this file and the files beside it disagree in the months they share.

    The reconciled table is built after the load (`after_load` cannot report), so the
    comparison is made here as well, with the same rule, against the files in the same folder.
    """
    frames = {path.name: read.rows}
    notes: list[str] = []
    for other in _siblings(path, patterns):
        try:
            o = _read(other)
        except SourceError as exc:
            notes.append(f"not compared with {other.name}: {exc.reason}")
            continue
        if (o.level, o.vintage) == (read.level, read.vintage):
            frames[other.name] = o.rows
    if len(frames) < 2:
        return notes
    con = duckdb.connect()
    try:
        con.execute(BOROUGH_DDL)
        con.execute(WARD_DDL)
        table = f"mps_crime_{read.level}_published"
        for name, rows in frames.items():
            con.register("__f", rows.assign(source_file=name))
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM __f")
            con.unregister("__f")
        overlaps = _reconcile(con, target=None, revisions=None)
    finally:
        con.close()
    for ov in overlaps:
        if path.name not in (ov.kept_file, ov.other_file):
            continue
        span = f"{ov.first:%Y-%m} to {ov.last:%Y-%m}"
        differ = f"{ov.cells_differ:,} cell{' differs' if ov.cells_differ == 1 else 's differ'}"
        if ov.kept_file == path.name:
            notes.append(
                f"overlaps {ov.other_file} in {ov.periods} months ({span}): {differ}; "
                "this file runs to a later month, so its figures are kept (see mps_crime_revision)"
            )
        else:
            notes.append(
                f"overlaps {ov.kept_file} in {ov.periods} months ({span}): {differ}; "
                "that file runs to a later month, so its figures are kept for those months (see mps_crime_revision)"
            )
    return notes


def _reconcile(con: duckdb.DuckDBPyConnection, *, target: str | None, revisions: str | None) -> list[Overlap]:
    return latest_run_wins(
        con,
        source=_PUBLISHED,
        period="month",
        partition=("level", "category_vintage"),
        key={"area": "coalesce(area_code, area_name)", "major": "major", "minor": "minor"},
        value="count",
        describe=("area_code", "area_name", "major", "minor"),
        target=target,
        revisions=revisions,
        absent_is_zero=True,
    )


def rebuild_mps_crime(con: duckdb.DuckDBPyConnection) -> list[Overlap]:
    """Rebuild `mps_crime` and `mps_crime_revision` from every loaded file, in one transaction,
    with the category crosswalk and the `mps_crime_series` view the measures read."""
    con.execute(BOROUGH_DDL)
    con.execute(WARD_DDL)
    con.execute(CRIME_DDL)
    con.execute(REVISION_DDL)
    categories = pd.DataFrame(
        [(v, ma, mi, c) for (v, ma, mi), c in _categories().items()],
        columns=["category_vintage", "major_key", "minor_key", "category"],
    )
    with transaction(con):
        con.execute("DELETE FROM mps_crime")
        con.execute("DELETE FROM mps_crime_revision")
        overlaps = _reconcile(con, target="mps_crime", revisions="mps_crime_revision")
        con.register("__categories", categories)
        try:
            con.execute("CREATE OR REPLACE TABLE mps_crime_category AS SELECT * FROM __categories")
        finally:
            con.unregister("__categories")
        con.execute(SERIES_VIEW)
    return overlaps


CATEGORY_MAPPING = "mps_crime_categories.csv"


@lru_cache(maxsize=1)
def _categories() -> dict[tuple[str, str, str], str]:
    """(vintage, MAJOR, MINOR) as published -> the category it counts as. The 2017-18 file of the
    old vintage renamed categories ('Theft From M/V' for 'Theft From Motor Vehicle'); every name
    ever published maps to one category, and a name not listed stops the load."""
    return {
        (row["category_vintage"], row["major"].upper(), row["minor"].upper()): row["category"]
        for row in mapping_rows(CATEGORY_MAPPING)
    }


# One figure per level and month, each from its most complete source. The borough files count
# every offence, including those with no known borough (airports, 'Unknown'); the ward files
# leave those out and run 2-4% below them in each borough. So force, BCU and borough figures
# come from the borough files wherever they cover the month, ward figures from the ward files,
# and only months no borough file covers are summed from wards. `source` names the file series,
# so that the build can record a break where a series switches source, and join the source
# months' quality (an incomplete first month of a new file is flagged, not published as fact).
SERIES_VIEW = """
CREATE OR REPLACE VIEW mps_crime_series AS
WITH borough_months AS (
    SELECT DISTINCT category_vintage, month FROM mps_crime WHERE level = 'borough'
)
SELECT c.month, c.level, c.area_code, c.area_name, c.borough_code, c.borough_name,
       c.category_vintage, c.major, c.minor, k.category, c.count,
       'mps_crime/' || c.level || '/' || c.category_vintage AS source,
       CASE WHEN c.level = 'borough' THEN ['force', 'bcu', 'borough']
            WHEN b.month IS NULL THEN ['force', 'bcu', 'borough', 'ward']
            ELSE ['ward'] END AS for_levels
FROM mps_crime c
LEFT JOIN borough_months b ON c.level = 'ward' AND b.category_vintage = c.category_vintage AND b.month = c.month
LEFT JOIN mps_crime_category k ON k.category_vintage = c.category_vintage
     AND k.major_key = upper(c.major) AND k.minor_key = upper(c.minor)
"""


def _after_load(con: duckdb.DuckDBPyConnection) -> None:
    _read_cached.cache_clear()  # parsed files were only kept for the overlap notes of this load
    rebuild_mps_crime(con)


def _parser(patterns: tuple[str, ...]) -> Callable[[Path], Parsed]:
    def parse(path: Path) -> Parsed:
        read = _read(path)
        notes = [*read.notes, *_overlap_notes(path, read, patterns)]
        return Parsed(read.rows.copy(), list(read.rejected), rows_read=read.rows_read, notes=notes)

    return parse


# ---- homicide victims -------------------------------------------------------------------------

_HOMICIDE_COLUMNS = {
    "count of victims": "victims", "age group": "age_group", "sex": "sex", "method of killing": "method",
    "domestic abuse": "domestic_abuse", "recorded date": "month", "homicide offence type": "offence_type",
    "solved status": "solved_status", "borough": "borough", "officer observed ethnicity": "ethnicity",
}

HOMICIDE_OUTPUT = [
    "month", "borough_code", "borough_name", "age_group", "sex", "method", "domestic_abuse",
    "offence_type", "solved_status", "ethnicity", "victims", "source_line",
]


def _homicide_problem(v: dict[str, str]) -> tuple[str, str] | None:
    """The first rule a homicide record breaks, as (role, reason); None if it breaks none."""
    try:
        datetime.strptime(v["month"], "%b-%y")
    except ValueError:
        return "month", "not a Mon-YY month"
    if not v["victims"].isdigit() or int(v["victims"]) < 1:
        return "victims", "not a whole number of victims >= 1"
    if normalise_name(v["domestic_abuse"]) not in {"domestic abuse", "not domestic abuse"}:
        return "domestic_abuse", "expected 'Domestic Abuse' or 'Not Domestic Abuse'"
    for role in ("age_group", "sex", "method", "offence_type", "solved_status", "ethnicity"):
        if not v[role]:
            return role, "blank value"
    return None


def _parse_homicide(path: Path) -> Parsed:
    _, text = read_csv(path)
    index: dict[str, int] = {}
    for i, name in enumerate(text.header):
        # The published header has carried the format in brackets: 'Recorded Date (Mon-YY)'.
        base = normalise_name(name.split("(")[0])
        if base in _HOMICIDE_COLUMNS:
            index[_HOMICIDE_COLUMNS[base]] = i
    missing = set(_HOMICIDE_COLUMNS.values()) - index.keys()
    if missing:
        raise SourceError(f"not the MPS homicide victims file: missing {', '.join(sorted(missing))}", path=str(path))
    name_of = {role: text.header[i] for role, i in index.items()}
    good: list[dict[str, object]] = []
    rejected: list[Rejected] = []
    respaced: dict[str, str] = {}
    for line, cells in text.rows:
        record = dict(zip(text.header, cells, strict=False))
        if len(cells) != len(text.header):
            rejected.append(Rejected(
                line, None, None, f"expected {len(text.header)} fields, found {len(cells)}", record,
            ))
            continue
        v = {role: cells[i].strip() for role, i in index.items()}
        problem = _homicide_problem(v)
        if problem:
            role, reason = problem
            rejected.append(Rejected(line, name_of[role], v[role], reason, record))
            continue
        place = borough(v["borough"])
        if place is None:
            rejected.append(Rejected(line, name_of["borough"], v["borough"],
                                     "unknown borough name (not in mappings/london_boroughs.csv)", record))
            continue
        flag = normalise_name(v["domestic_abuse"])
        month = datetime.strptime(v["month"], "%b-%y")
        # Published as '13 to19': one spelling per age band, so groups compare across files.
        age = " ".join(v["age_group"].replace(" to", " to ").split())
        if age != v["age_group"]:
            respaced[v["age_group"]] = age
        good.append({
            "month": date(month.year, month.month, 1), "borough_code": place.code, "borough_name": place.name,
            "age_group": age, "sex": v["sex"], "method": v["method"], "domestic_abuse": flag == "domestic abuse",
            "offence_type": v["offence_type"], "solved_status": v["solved_status"], "ethnicity": v["ethnicity"],
            "victims": int(v["victims"]), "source_line": line,
        })
    notes = [f"age group '{a}' written '{b}'" for a, b in sorted(respaced.items())]
    return Parsed(pd.DataFrame(good, columns=HOMICIDE_OUTPUT), rejected, notes=notes)


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        name="mps-crime-borough",
        table="mps_crime_borough_published",
        ddl=BOROUGH_DDL,
        patterns=BOROUGH_PATTERNS,
        parse=_parser(BOROUGH_PATTERNS),
        description="MPS recorded crime by borough, major and minor category and month (both category vintages); "
        "reconciled into mps_crime",
        after_load=_after_load,
        period_column="month",
    ),
    Dataset(
        name="mps-crime-ward",
        table="mps_crime_ward_published",
        ddl=WARD_DDL,
        patterns=WARD_PATTERNS,
        parse=_parser(WARD_PATTERNS),
        description="MPS recorded crime by ward, major and minor category and month; reconciled into mps_crime",
        after_load=_after_load,
        period_column="month",
    ),
    Dataset(
        name="mps-homicide-victims",
        table="homicide_victim",
        ddl=HOMICIDE_DDL,
        patterns=("mps/MPS_homicide_victims_*.csv*",),
        parse=_parse_homicide,
        description="MPS homicide victims, one row per published record, with the domestic-abuse flag",
        period_column="month",
    ),
)
