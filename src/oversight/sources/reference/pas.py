"""MOPAC Public Attitude Survey (PAS): borough and MPS-wide dashboard series, neighbourhood indicators.

The dashboard publishes rolling-12-month proportions per quarter for eight measures but no
sample sizes. An interval needs one, so each row carries the survey's stated design as an
*assumed* sample size (flagged `sample_size_assumed`): see `PAS_INTERVIEWS_PER_YEAR`.
Measures get stable ids from `mappings/pas_measures.csv`, which lists every published label.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from pathlib import Path

import pandas as pd

from oversight.errors import SourceError
from oversight.sources.reference._common import borough, mapping_rows, normalise_name, read_csv
from oversight.sources.reference.dataset import Dataset, Parsed, Rejected

# MOPAC: "The survey involves 12,800 randomly selected Londoners every year" (london.gov.uk,
# 'Taking part in MOPAC's surveys'); interviews are spread evenly over the 32 MPS boroughs,
# about 400 a year each. The dashboard's rolling-12-month figures rest on one year of interviews.
PAS_INTERVIEWS_PER_YEAR = 12_800
PAS_BOROUGHS = 32
PAS_INTERVIEWS_PER_BOROUGH_YEAR = PAS_INTERVIEWS_PER_YEAR // PAS_BOROUGHS  # 400

BOROUGH_DDL = """
CREATE TABLE IF NOT EXISTS pas_borough (
    quarter_end          DATE NOT NULL,     -- last day of the quarter closing the rolling 12 months
    borough_code         VARCHAR NOT NULL,
    borough_name         VARCHAR NOT NULL,  -- canonical name
    measure              VARCHAR NOT NULL,  -- stable id, mappings/pas_measures.csv
    proportion           DOUBLE NOT NULL,   -- 0-1, as published (two decimals)
    mps_average          DOUBLE,            -- the MPS-wide proportion published beside it
    sample_size          INTEGER NOT NULL,
    sample_size_assumed  BOOLEAN NOT NULL,  -- TRUE: the survey design, not a published count
    source_file          VARCHAR NOT NULL,
    source_line          BIGINT NOT NULL
);
"""

FORCE_DDL = """
CREATE TABLE IF NOT EXISTS pas_force (
    quarter_end          DATE NOT NULL,
    measure              VARCHAR NOT NULL,
    proportion           DOUBLE NOT NULL,
    sample_size          INTEGER NOT NULL,
    sample_size_assumed  BOOLEAN NOT NULL,
    source_file          VARCHAR NOT NULL,
    source_line          BIGINT NOT NULL
);
"""

NEIGHBOURHOOD_DDL = """
CREATE TABLE IF NOT EXISTS pas_neighbourhood_ethnicity (
    period         VARCHAR NOT NULL,   -- pooled financial years, e.g. '2015-16 to 2020-21'
    borough_code   VARCHAR NOT NULL,
    borough_name   VARCHAR NOT NULL,
    neighbourhood  VARCHAR NOT NULL,   -- the part after 'Borough - '
    ethnic_group   VARCHAR NOT NULL,   -- as published: 'White British', 'Asian', 'Black'
    measure        VARCHAR NOT NULL,
    proportion     DOUBLE,             -- 0-1; NULL when suppressed
    suppressed     BOOLEAN NOT NULL,   -- blank in the source (too few respondents)
    source_file    VARCHAR NOT NULL,
    source_line    BIGINT NOT NULL
);
"""


@cache
def measure_ids() -> dict[str, str]:
    """Normalised published label -> stable measure id."""
    return {normalise_name(r["published_label"]): r["measure"] for r in mapping_rows("pas_measures.csv")}


def _proportion(text: str) -> float | None:
    """'0.56' or '0,56' -> 0.56; None when it is not a number from 0 to 1."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None


def _quarter_end(text: str) -> date | None:
    """ISO '2014-12-31' or published '31/12/2014'; None unless it is the last day of a quarter."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
        return day if (day.month, day.day) in {(3, 31), (6, 30), (9, 30), (12, 31)} else None
    return None


def _columns(header: list[str], wanted: dict[str, str], path: Path) -> dict[str, int]:
    found = {}
    for i, name in enumerate(header):
        role = wanted.get(normalise_name(name))
        if role and role not in found:
            found[role] = i
    required = {r for r in wanted.values() if r != "mps_average"}
    missing = required - found.keys()
    if missing:
        raise SourceError(f"not a PAS dashboard file: no {', '.join(sorted(missing))} column", path=str(path))
    return found


_DASHBOARD = {
    "date": "date", "borough": "area", "measure": "measure", "proportion": "proportion",
    "mps_average": "mps_average", "mps": "mps_average",
}


def _parse_dashboard(path: Path, *, level: str) -> Parsed:
    _, text = read_csv(path)
    col = _columns(text.header, _DASHBOARD, path)
    if level == "borough" and "mps_average" not in col:
        raise SourceError("borough dashboard file without an MPS average column", path=str(path))
    measures = measure_ids()
    good: list[dict[str, object]] = []
    rejected: list[Rejected] = []
    renamed: dict[str, str] = {}
    seen: dict[tuple[object, ...], int] = {}
    for line, cells in text.rows:
        record = dict(zip(text.header, cells, strict=False))
        if len(cells) <= max(col.values()):
            rejected.append(Rejected(line, None, None, f"only {len(cells)} fields", record))
            continue
        v = {role: cells[i].strip() for role, i in col.items()}
        quarter = _quarter_end(v["date"])
        if quarter is None:
            rejected.append(Rejected(line, text.header[col["date"]], v["date"], "not a quarter-end date", record))
            continue
        measure = measures.get(normalise_name(v["measure"]))
        if measure is None:
            rejected.append(Rejected(
                line, text.header[col["measure"]], v["measure"], "unknown measure (not in mappings/pas_measures.csv)",
                record,
            ))
            continue
        proportion = _proportion(v["proportion"])
        if proportion is None:
            rejected.append(Rejected(
                line, text.header[col["proportion"]], v["proportion"], "not a proportion from 0 to 1", record,
            ))
            continue
        row: dict[str, object] = {
            "quarter_end": quarter, "measure": measure, "proportion": proportion, "source_line": line,
        }
        if level == "borough":
            place = borough(v["area"])
            if place is None or place.code is None:
                rejected.append(Rejected(
                    line, text.header[col["area"]], v["area"],
                    "unknown borough name (not in mappings/london_boroughs.csv)", record,
                ))
                continue
            if place.name != v["area"]:
                renamed[v["area"]] = place.name
            average = _proportion(v["mps_average"]) if v.get("mps_average") else None
            if v.get("mps_average") and average is None:
                rejected.append(Rejected(
                    line, text.header[col["mps_average"]], v["mps_average"], "not a proportion from 0 to 1", record,
                ))
                continue
            row.update(borough_code=place.code, borough_name=place.name, mps_average=average,
                       sample_size=PAS_INTERVIEWS_PER_BOROUGH_YEAR)
            key: tuple[object, ...] = (quarter, place.code, measure)
        else:
            row["sample_size"] = PAS_INTERVIEWS_PER_YEAR
            key = (quarter, measure)
        if key in seen:
            rejected.append(Rejected(line, None, None, f"same quarter, area and measure as line {seen[key]}", record))
            continue
        seen[key] = line
        good.append(row)
    columns = (
        ["quarter_end", "borough_code", "borough_name", "measure", "proportion", "mps_average", "sample_size",
         "source_line"]
        if level == "borough" else ["quarter_end", "measure", "proportion", "sample_size", "source_line"]
    )
    rows = pd.DataFrame(good, columns=columns)
    rows["sample_size_assumed"] = True
    n = PAS_INTERVIEWS_PER_BOROUGH_YEAR if level == "borough" else PAS_INTERVIEWS_PER_YEAR
    notes = [f"sample_size = {n:,} assumed from the survey design (no sample size is published)"]
    notes += [f"borough '{a}' read as '{b}'" for a, b in sorted(renamed.items())]
    return Parsed(rows, rejected, notes=notes)


def _parse_borough(path: Path) -> Parsed:
    return _parse_dashboard(path, level="borough")


def _parse_force(path: Path) -> Parsed:
    return _parse_dashboard(path, level="force")


_PERIOD = re.compile(r"(\d{4}-\d{2})\s*_to_\s*(\d{4}-\d{2})")
SUPPRESSED_MARKS = frozenset({"", "N/A", "NA", "..", "*"})
"""Cells read as 'not published' (the bundled file leaves them blank; other releases mark them)."""


def _parse_neighbourhood(path: Path) -> Parsed:
    """Row 1: question; row 2: ethnic group; row 3: which answers count; then one row per neighbourhood."""
    period_match = _PERIOD.search(path.name)
    if period_match is None:
        raise SourceError("the pooled period (e.g. '2015-16_to_2020-21') is not in the file name", path=str(path))
    period = f"{period_match[1]} to {period_match[2]}"
    (groups, _answers), text = read_csv(path, header_rows=3)
    measures = measure_ids()
    columns: list[tuple[int, str, str]] = []
    for i, question in enumerate(text.header[1:], start=1):
        measure = measures.get(normalise_name(question))
        if measure is None:
            raise SourceError(f"unknown question '{question}' (not in mappings/pas_measures.csv)", path=str(path))
        group = groups[i] if i < len(groups) else ""
        if not group:
            raise SourceError(f"no ethnic group under column {i + 1}", path=str(path))
        columns.append((i, group, measure))
    good: list[dict[str, object]] = []
    rejected: list[Rejected] = []
    suppressed = 0
    for line, cells in text.rows:
        record = dict(zip(["neighbourhood", *[f"{g}: {m}" for _, g, m in columns]], cells, strict=False))
        name = cells[0].strip()
        borough_part, sep, neighbourhood = name.partition(" - ")
        place = borough(borough_part) if sep else None
        if place is None or place.code is None:
            rejected.append(Rejected(
                line, text.header[0] or "neighbourhood", name, "not 'Borough - Neighbourhood' with a known borough",
                record,
            ))
            continue
        for i, group, measure in columns:
            raw = cells[i].strip() if i < len(cells) else ""
            if raw.upper() in SUPPRESSED_MARKS:
                suppressed += 1
                value = None
            else:
                try:
                    value = float(raw.rstrip("%")) / 100
                except ValueError:
                    value = -1.0
                if not 0.0 <= value <= 1.0:
                    rejected.append(Rejected(
                        line, f"{group}: {measure}", raw, "not a percentage from 0 to 100", record,
                    ))
                    continue
            good.append({
                "period": period, "borough_code": place.code, "borough_name": place.name,
                "neighbourhood": neighbourhood.strip(), "ethnic_group": group, "measure": measure,
                "proportion": value, "suppressed": value is None, "source_line": line,
            })
    notes = [
        f"wide file: {len(text.rows)} neighbourhood rows x {len(columns)} group-measure columns read; "
        "each cell is one output row",
        f"{suppressed} blank or N/A cells kept as suppressed (proportion NULL)",
    ]
    rows = pd.DataFrame(good, columns=[
        "period", "borough_code", "borough_name", "neighbourhood", "ethnic_group", "measure",
        "proportion", "suppressed", "source_line",
    ])
    return Parsed(rows, rejected, rows_read=len(text.rows), notes=notes)


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        name="pas-borough",
        table="pas_borough",
        ddl=BOROUGH_DDL,
        # '[0-9].csv*' keeps the decimal-comma '_original' copy out; the cleaned copy is read.
        patterns=("mps/MOPAC_PAS_dashboard_borough_quarterly_*[0-9].csv*",),
        parse=_parse_borough,
        description="MOPAC PAS dashboard: rolling-12-month proportions by borough, quarter and measure "
        f"(sample size assumed {PAS_INTERVIEWS_PER_BOROUGH_YEAR} per borough-year)",
        period_column="quarter_end",
    ),
    Dataset(
        name="pas-force",
        table="pas_force",
        ddl=FORCE_DDL,
        patterns=("mps/MOPAC_PAS_dashboard_MPS_total_quarterly_*.csv*",),
        parse=_parse_force,
        description="MOPAC PAS dashboard: MPS-wide rolling-12-month proportions by quarter and measure "
        f"(sample size assumed {PAS_INTERVIEWS_PER_YEAR:,} a year)",
        period_column="quarter_end",
    ),
    Dataset(
        name="pas-neighbourhood-ethnicity",
        table="pas_neighbourhood_ethnicity",
        ddl=NEIGHBOURHOOD_DDL,
        patterns=("mps/MOPAC_PAS_neighbourhood_indicators_by_ethnicity_*.csv*",),
        parse=_parse_neighbourhood,
        description="MOPAC PAS neighbourhood indicators for White British, Asian and Black respondents, pooled years",
    ),
)
