"""Reading population files: census ethnicity and age by LSOA, mid-year totals by LSOA and borough.

Every file here is published wide (one row per area, one column per category or year) and is
stored long (one row per area x category). One shared reader checks each input row: the area
code's shape, one row per area, every count a non-negative whole number, and, where a total
column is published, that the categories add up to it. A row that breaks a rule is quarantined
whole, so an area is either complete or absent, never half-loaded.

The category lists come from the reviewable CSVs in `mappings/`: a file whose columns do not
match them is refused whole, because an unmapped category would silently drop people.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO

import pandas as pd

from oversight.errors import SourceError
from oversight.sources.reference.dataset import Parsed, Rejected

LSOA_CODE = re.compile(r"[EW]01\d{6}")
LA_CODE = re.compile(r"[EW]0[6-9]\d{6}")  # unitary, district, metropolitan, London borough, Welsh UA
WHOLE_NUMBER = re.compile(r"\d+")

SELF_DEFINED_GROUPS = ("Asian", "Black", "Mixed", "White", "Other")
OFFICER_DEFINED_GROUPS = ("Asian", "Black", "Other", "White")
SCHEMES = ("self_defined", "officer_defined")

ETHNICITY_MAPPING_FILE = "census_ethnicity_to_police_groups.csv"
AGE_BANDS_FILE = "census_age_bands.csv"


# ---------------------------------------------------------------------------------------------
# The reviewable mappings


def _mapping_text(name: str) -> str:
    return resources.files("oversight.sources.reference").joinpath("mappings", name).read_text(encoding="utf-8")


def ethnicity_mapping() -> pd.DataFrame:
    """Census category -> police.uk self-defined and officer-defined groups, checked (a copy)."""
    return _ethnicity_mapping().copy()


@cache
def _ethnicity_mapping() -> pd.DataFrame:
    rows = list(csv.DictReader(_mapping_text(ETHNICITY_MAPPING_FILE).splitlines()))
    frame = pd.DataFrame(rows, columns=["census_year", "census_category", "census_label", "self_defined_group",
                                        "officer_defined_group", "note"])
    check_ethnicity_mapping(frame)
    frame["census_year"] = frame["census_year"].astype("int64")
    return frame


def check_ethnicity_mapping(frame: pd.DataFrame) -> None:
    """Raise SourceError unless every category is mapped once, to groups of each scheme."""
    where = f"mappings/{ETHNICITY_MAPPING_FILE}"
    bad_year = frame[~frame["census_year"].astype(str).str.fullmatch(r"\d{4}")]
    if len(bad_year):
        raise SourceError(f"census_year {bad_year['census_year'].iloc[0]!r} is not a year", path=where)
    dupes = frame[frame.duplicated(["census_year", "census_category"], keep=False)]
    if len(dupes):
        first = dupes.iloc[0]
        times = ((dupes["census_year"] == first["census_year"])
                 & (dupes["census_category"] == first["census_category"])).sum()
        raise SourceError(f"census {first['census_year']} category {first['census_category']!r} is mapped "
                          f"{times} times", path=where)
    labels = frame[frame.duplicated(["census_year", "census_label"], keep=False) | (frame["census_label"] == "")]
    if len(labels):
        first = labels.iloc[0]
        raise SourceError(f"census {first['census_year']} category {first['census_category']!r} has "
                          f"{'no census_label' if not first['census_label'] else 'a census_label used twice'}: "
                          "each category needs the census's own wording, once", path=where, field="census_label")
    for column, allowed in (("self_defined_group", SELF_DEFINED_GROUPS),
                            ("officer_defined_group", OFFICER_DEFINED_GROUPS)):
        wrong = frame[~frame[column].isin(allowed)]
        if len(wrong):
            row = wrong.iloc[0]
            raise SourceError(f"{row['census_category']!r} ({row['census_year']}) maps to {row[column]!r}; "
                              f"{column} must be one of {', '.join(allowed)}", path=where, field=column)


def census_categories(year: int) -> list[str]:
    mapping = ethnicity_mapping()
    return mapping.loc[mapping["census_year"] == year, "census_category"].tolist()


def age_bands() -> pd.DataFrame:
    """Published 5-year bands and the aggregates built only where they are exact sums of them (a copy)."""
    return _age_bands().copy()


@cache
def _age_bands() -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(_mapping_text(AGE_BANDS_FILE)), dtype=str, keep_default_na=False)
    frame["age_from"] = frame["age_from"].astype("int64")
    frame["age_to"] = pd.array([int(v) if v else None for v in frame["age_to"]], dtype="Int64")
    check_age_bands(frame)
    return frame


def check_age_bands(frame: pd.DataFrame) -> None:
    """Raise SourceError unless every derived band starts and ends on published band edges."""
    where = f"mappings/{AGE_BANDS_FILE}"
    published = frame[frame["kind"] == "published"].sort_values("age_from")
    edges = list(zip(published["age_from"], published["age_to"], strict=True))
    # Published bands must tile 0..open end with no gap or overlap, or no sum of them is exact.
    tiled = bool(edges) and edges[0][0] == 0 and pd.isna(edges[-1][1]) and all(
        not pd.isna(to) and int(to) + 1 == nxt for (_, to), (nxt, _) in zip(edges, edges[1:], strict=False))
    if not tiled:
        raise SourceError("the published bands do not run from age 0 to an open-ended top band without gaps",
                          path=where)
    starts = set(published["age_from"])
    ends = {None if pd.isna(v) else int(v) for v in published["age_to"]}
    for _, band in frame[frame["kind"] == "derived"].iterrows():
        end = None if pd.isna(band["age_to"]) else int(band["age_to"])
        if band["age_from"] not in starts or end not in ends:
            raise SourceError(f"band {band['age_band']!r} ({band['age_from']}-{end if end is not None else ''}) "
                              "does not start and end on published 5-year band edges, so it cannot be an "
                              "exact sum", path=where)
    if frame["age_band"].duplicated().any():
        raise SourceError("an age band is listed twice", path=where)


# ---------------------------------------------------------------------------------------------
# One reader for every wide population file


@dataclass(frozen=True)
class WideLayout:
    """Which columns of a wide file hold what."""

    code_column: str
    code_pattern: re.Pattern[str]
    code_kind: str                      # 'an LSOA code', for messages
    values: dict[str, str]              # published column -> category/year key stored
    total_column: str | None = None     # when published, the values must add up to it
    name_column: str | None = None
    year_column: str | None = None      # a per-row year (census 'date'), checked as a year


@dataclass(frozen=True)
class WideRow:
    code: str
    name: str | None
    year: int | None
    values: dict[str, int]


def open_text(path: Path) -> IO[str]:
    """A CSV or gzipped CSV as text; a byte-order mark is dropped (borough files carry one)."""
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open("r", encoding="utf-8-sig", newline="")


def read_header(path: Path) -> list[str]:
    try:
        with open_text(path) as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
        raise SourceError(f"cannot be read: {exc}", path=str(path)) from exc
    if not header:
        raise SourceError("is empty (no header line)", path=str(path))
    return [h.strip() for h in header]


def read_wide(path: Path, layout: WideLayout) -> tuple[list[WideRow], list[Rejected], int]:
    """Check every row of a wide file; return the good rows, the rejected ones and rows read."""
    header = read_header(path)
    missing = [c for c in (layout.code_column, *layout.values, layout.total_column, layout.name_column,
                           layout.year_column) if c is not None and c not in header]
    if missing:
        raise SourceError(f"has no column {', '.join(repr(c) for c in missing)}", path=str(path))
    index = {name: i for i, name in enumerate(header)}
    good: list[WideRow] = []
    rejected: list[Rejected] = []
    first_seen: dict[str, int] = {}
    rows_read = 0
    try:
        with open_text(path) as handle:
            reader = csv.reader(handle)
            next(reader)
            for fields in reader:
                line = reader.line_num
                if not fields or all(not f.strip() for f in fields):
                    continue  # a blank line (often the last) is not a row
                rows_read += 1
                problem = _check_row(fields, header, index, layout, first_seen, line)
                if isinstance(problem, Rejected):
                    rejected.append(problem)
                else:
                    good.append(problem)
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile, csv.Error) as exc:
        raise SourceError(f"cannot be read: {exc}", path=str(path)) from exc
    if rows_read == 0:
        raise SourceError("has a header but no rows", path=str(path))
    return good, rejected, rows_read


def _check_row(
    fields: list[str],
    header: list[str],
    index: dict[str, int],
    layout: WideLayout,
    first_seen: dict[str, int],
    line: int,
) -> WideRow | Rejected:
    if len(fields) != len(header):
        return Rejected(line, None, None, f"has {len(fields)} fields, the header has {len(header)}",
                        ",".join(fields))
    record = dict(zip(header, fields, strict=True))

    def reject(column: str | None, value: str | None, reason: str) -> Rejected:
        return Rejected(line, column, value, reason, record)

    code = fields[index[layout.code_column]].strip()
    if not layout.code_pattern.fullmatch(code):
        return reject(layout.code_column, code, f"{code!r} is not {layout.code_kind}")
    if code in first_seen:
        return reject(layout.code_column, code, f"{code} appears again (first at line {first_seen[code]})")
    year: int | None = None
    if layout.year_column is not None:
        raw_year = fields[index[layout.year_column]].strip()
        if not re.fullmatch(r"(19|20)\d\d", raw_year):
            return reject(layout.year_column, raw_year, f"{raw_year!r} is not a year")
        year = int(raw_year)
    counts: dict[str, int] = {}
    for column, key in layout.values.items():
        raw = fields[index[column]].strip()
        if raw == "":
            return reject(column, raw, "count is missing")
        if raw.startswith("-") and WHOLE_NUMBER.fullmatch(raw[1:]):
            return reject(column, raw, f"count {raw} is negative")
        if not WHOLE_NUMBER.fullmatch(raw):
            return reject(column, raw, f"{raw!r} is not a whole number")
        counts[key] = int(raw)
    if layout.total_column is not None:
        raw_total = fields[index[layout.total_column]].strip()
        if not WHOLE_NUMBER.fullmatch(raw_total):
            return reject(layout.total_column, raw_total, f"total {raw_total!r} is not a whole number")
        if sum(counts.values()) != int(raw_total):
            return reject(layout.total_column, raw_total,
                          f"categories add up to {sum(counts.values())}, not the published total {raw_total}")
    first_seen[code] = line
    name = fields[index[layout.name_column]].strip() if layout.name_column else None
    return WideRow(code, name, year, counts)


def _long(rows: list[WideRow], columns: list[str], make: Callable[[WideRow, str, int], tuple]) -> pd.DataFrame:
    return pd.DataFrame([make(r, key, n) for r in rows for key, n in r.values.items()], columns=columns)


# ---------------------------------------------------------------------------------------------
# Census ethnic group by LSOA (GLA Census Information Scheme layout)

ETHNICITY_CODE = "LSOA code"
ETHNICITY_TOTAL = "All usual residents"
ETHNICITY_CONTEXT = ("local authority name", "local authority code")


def ethnicity_census_year(path: Path, header: list[str]) -> int:
    """The census a file holds, from its categories (2021 added 'White Roma'), checked against its name."""
    categories = {h for h in header if h not in (ETHNICITY_CODE, ETHNICITY_TOTAL, *ETHNICITY_CONTEXT)}
    mapping = ethnicity_mapping()
    candidates = {int(y): set(census_categories(int(y))) for y in mapping["census_year"].unique()}
    exact = [year for year, cats in candidates.items() if cats == categories]
    if not exact:
        nearest = min(candidates, key=lambda y: len(candidates[y] ^ categories))
        unmapped = sorted(categories - candidates[nearest])
        absent = sorted(candidates[nearest] - categories)
        detail = "; ".join(part for part in (
            f"not in the mapping: {', '.join(map(repr, unmapped))}" if unmapped else "",
            f"missing: {', '.join(map(repr, absent))}" if absent else "",
        ) if part)
        raise SourceError(f"its ethnic-group columns match no census in mappings/{ETHNICITY_MAPPING_FILE} "
                          f"(nearest {nearest}: {detail})", path=str(path))
    (year,) = exact
    named = re.search(r"census(\d{4})", path.name)
    if named and int(named.group(1)) != year:
        raise SourceError(f"the name says census {named.group(1)} but the columns are the census {year} "
                          "categories", path=str(path))
    return year


def parse_ethnicity(path: Path) -> Parsed:
    header = read_header(path)
    year = ethnicity_census_year(path, header)
    layout = WideLayout(
        code_column=ETHNICITY_CODE, code_pattern=LSOA_CODE, code_kind="an LSOA code (E01/W01 and 6 digits)",
        values={c: c for c in census_categories(year)}, total_column=ETHNICITY_TOTAL,
    )
    good, rejected, rows_read = read_wide(path, layout)
    rows = _long(good, ["census_year", "lsoa_code", "ethnic_group", "residents"],
                 lambda r, key, n: (year, r.code, key, n))
    return Parsed(rows, rejected, rows_read=rows_read, notes=[
        f"census {year}: {len(good):,} LSOA rows x {len(layout.values)} ethnic groups stored long as "
        f"{len(rows):,} rows ({sum(r.values[k] for r in good for k in r.values):,} residents)",
    ])


# ---------------------------------------------------------------------------------------------
# Census 2021 TS021 ethnic group by local authority (ONS wording as column names)

LA_ETHNICITY_CODE = "ltla21_code"
LA_ETHNICITY_NAME = "ltla21_name"
LA_ETHNICITY_TOTAL = "total_all_usual_residents"
LA_ETHNICITY_YEAR = 2021
# The ONS total for England and Wales (Census 2021, usual residents), against which the sum of
# the local-authority rows is reported.
ENGLAND_AND_WALES_2021 = 59_597_542


def parse_la_ethnicity(path: Path) -> Parsed:
    """TS021 by local authority (2021 codes): the 19 columns, named as the census words them, are
    matched to the mapping's census_label; a column not in the mapping refuses the file."""
    header = read_header(path)
    mapping = ethnicity_mapping()
    labels = dict(zip(mapping.loc[mapping["census_year"] == LA_ETHNICITY_YEAR, "census_label"],
                      mapping.loc[mapping["census_year"] == LA_ETHNICITY_YEAR, "census_category"], strict=True))
    columns = [h for h in header if h not in (LA_ETHNICITY_CODE, LA_ETHNICITY_NAME, LA_ETHNICITY_TOTAL)]
    unmapped = [c for c in columns if c not in labels]
    absent = [label for label in labels if label not in columns]
    if unmapped or absent:
        detail = "; ".join(part for part in (
            f"not in the mapping: {', '.join(map(repr, unmapped))}" if unmapped else "",
            f"missing: {', '.join(map(repr, absent))}" if absent else "",
        ) if part)
        raise SourceError(f"its ethnic-group columns are not the census {LA_ETHNICITY_YEAR} categories of "
                          f"mappings/{ETHNICITY_MAPPING_FILE} ({detail})", path=str(path))
    layout = WideLayout(
        code_column=LA_ETHNICITY_CODE, code_pattern=LA_CODE, code_kind="a local authority code (E06-E09/W06)",
        values={c: labels[c] for c in columns}, total_column=LA_ETHNICITY_TOTAL, name_column=LA_ETHNICITY_NAME,
    )
    good, rejected, rows_read = read_wide(path, layout)
    rows = _long(good, ["census_year", "la_code", "la_name", "ethnic_group", "residents"],
                 lambda r, key, n: (LA_ETHNICITY_YEAR, r.code, r.name, key, n))
    total = sum(sum(r.values.values()) for r in good)
    difference = total - ENGLAND_AND_WALES_2021
    return Parsed(rows, rejected, rows_read=rows_read, notes=[
        f"census {LA_ETHNICITY_YEAR}: {len(good):,} local authorities x {len(layout.values)} ethnic groups stored "
        f"long as {len(rows):,} rows ({total:,} residents)",
        f"the authorities add up to {total:,}, {abs(difference):,} {'more' if difference >= 0 else 'fewer'} than "
        f"the published England and Wales total {ENGLAND_AND_WALES_2021:,}: census 2021 counts are perturbed "
        "for disclosure control cell by cell, so sums of areas differ slightly from the published total",
    ])


# ---------------------------------------------------------------------------------------------
# Census 2021 TS007A age in 5-year bands by LSOA (ONS bulk layout)

AGE_CODE = "geography code"
AGE_TOTAL = "Age: Total"
AGE_YEAR = "date"


def parse_age(path: Path) -> Parsed:
    header = read_header(path)
    bands = age_bands()
    published = bands[bands["kind"] == "published"]
    columns = {f"Age: {label}": band for label, band in zip(published["published_label"], published["age_band"],
                                                              strict=True)}
    unknown = [h for h in header if h.startswith("Age: ") and h not in columns and h != AGE_TOTAL]
    if unknown:
        raise SourceError(f"has age columns not in mappings/{AGE_BANDS_FILE}: {', '.join(map(repr, unknown[:3]))}"
                          f"{' …' if len(unknown) > 3 else ''} (expected the TS007A 5-year bands)", path=str(path))
    layout = WideLayout(
        code_column=AGE_CODE, code_pattern=LSOA_CODE, code_kind="an LSOA code (E01/W01 and 6 digits)",
        values=columns, total_column=AGE_TOTAL, year_column=AGE_YEAR,
    )
    good, rejected, rows_read = read_wide(path, layout)
    limits = {b: (f, t) for b, f, t in zip(bands["age_band"], bands["age_from"], bands["age_to"], strict=True)}
    rows = _long(good, ["census_year", "lsoa_code", "age_band", "age_from", "age_to", "residents"],
                 lambda r, key, n: (r.year, r.code, key, limits[key][0],
                                    None if pd.isna(limits[key][1]) else int(limits[key][1]), n))
    rows["age_to"] = rows["age_to"].astype("Int64")
    return Parsed(rows, rejected, rows_read=rows_read, notes=[
        f"{len(good):,} LSOA rows x {len(columns)} age bands stored long as {len(rows):,} rows",
    ])


# ---------------------------------------------------------------------------------------------
# Mid-year population totals

MIDYEAR_COLUMNS = ["year", "level", "area_code", "area_name", "residents", "source", "lsoas"]

BOROUGH_CODE = "Code"
BOROUGH_NAME = "Area name"
BOROUGH_YEAR = re.compile(r"(\d{4})_Population")
# These borough files match, to the person, the rows of the GLA housing-density file labelled
# 'GLA Population Projections' (not the ONS mid-year estimates), so they are labelled as such.
BOROUGH_SOURCE = "GLA population projection"

LSOA_MIDYEAR_CODE = "LSOA 2021 Code"
LSOA_MIDYEAR_NAME = "LSOA 2021 Name"
LSOA_MIDYEAR_YEAR = re.compile(r"Mid-(\d{4}): Population")
LSOA_SOURCE = "ONS mid-year estimate (LSOA 2021)"


def _year_columns(path: Path, header: list[str], pattern: re.Pattern[str], example: str) -> dict[str, str]:
    years = {h: m.group(1) for h in header if (m := pattern.fullmatch(h))}
    if not years:
        raise SourceError(f"has no population-by-year columns (like {example!r})", path=str(path))
    return years


def parse_borough_midyear(path: Path) -> Parsed:
    header = read_header(path)
    layout = WideLayout(
        code_column=BOROUGH_CODE, code_pattern=LA_CODE, code_kind="a local authority code (E06-E09/W06)",
        values=_year_columns(path, header, BOROUGH_YEAR, "2011_Population"), name_column=BOROUGH_NAME,
    )
    good, rejected, rows_read = read_wide(path, layout)
    rows = _long(good, MIDYEAR_COLUMNS,
                 lambda r, key, n: (int(key), "borough", r.code, r.name, n, BOROUGH_SOURCE, None))
    rows["lsoas"] = rows["lsoas"].astype("Int64")
    years = sorted(layout.values.values())
    return Parsed(rows, rejected, rows_read=rows_read, notes=[
        f"{len(good)} boroughs x {len(years)} years ({years[0]}-{years[-1]}) stored long as {len(rows):,} rows",
        f"source labelled '{BOROUGH_SOURCE}': these figures equal the GLA projections, not ONS mid-year "
        "estimates (see docs/population.md)",
    ])


def parse_lsoa_midyear(path: Path) -> Parsed:
    header = read_header(path)
    layout = WideLayout(
        code_column=LSOA_MIDYEAR_CODE, code_pattern=LSOA_CODE, code_kind="an LSOA code (E01/W01 and 6 digits)",
        values=_year_columns(path, header, LSOA_MIDYEAR_YEAR, "Mid-2011: Population"), name_column=LSOA_MIDYEAR_NAME,
    )
    good, rejected, rows_read = read_wide(path, layout)
    rows = _long(good, MIDYEAR_COLUMNS, lambda r, key, n: (int(key), "lsoa", r.code, r.name, n, LSOA_SOURCE, 1))
    rows["lsoas"] = rows["lsoas"].astype("Int64")
    years = sorted(layout.values.values())
    return Parsed(rows, rejected, rows_read=rows_read, notes=[
        f"{len(good):,} LSOAs x {len(years)} years ({years[0]}-{years[-1]}) stored long as {len(rows):,} rows; "
        "density columns not kept (population / area)",
    ])

