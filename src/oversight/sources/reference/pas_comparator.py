"""MOPAC PAS police perceptions by neighbourhood (2016): the Neighbourhood Confidence Comparator's data.

One row per police neighbourhood ('Borough - area', a code such as 'KG-KB', a similarity group
'Group 1'..'Group N'), one column per PAS question (whole percents) and a crime-rate column; the
second header row says which answers each column counts. "N/A" is a missing figure (NULL, never
0). The file publishes no sample sizes: each neighbourhood is given the survey's design, about
400 interviews per borough a year, shared evenly among the borough's neighbourhoods in the file
(`sample_size_assumed` TRUE). The file does not say how its similarity groups were formed.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pandas as pd

from oversight.errors import SourceError
from oversight.sources.reference._common import borough, mapping_rows, normalise_name, read_csv
from oversight.sources.reference.dataset import Dataset, Parsed, Rejected
from oversight.sources.reference.pas import PAS_INTERVIEWS_PER_BOROUGH_YEAR

MISSING = "N/A"
GROUP = re.compile(r"Group (\d+)")
CODE = re.compile(r"[A-Z]{2}-[A-Z]{2}")
YEAR = re.compile(r"_(\d{4})_")

DDL = """
CREATE TABLE IF NOT EXISTS pas_neighbourhood_2016 (
    period              VARCHAR NOT NULL,  -- the year in the file name, e.g. '2016'
    neighbourhood_code  VARCHAR NOT NULL,  -- as published, e.g. 'KG-KB'
    neighbourhood       VARCHAR NOT NULL,  -- the part after 'Borough - '
    borough_code        VARCHAR NOT NULL,
    borough_name        VARCHAR NOT NULL,  -- canonical name
    similarity_group    INTEGER NOT NULL,  -- N of the published 'Group N'
    measure             VARCHAR NOT NULL,  -- stable id, mappings/pas_neighbourhood_2016.csv
    question            VARCHAR NOT NULL,  -- as published (first header row)
    answer              VARCHAR NOT NULL,  -- the answers counted, as published (second header row)
    unit                VARCHAR NOT NULL,  -- 'survey_proportion' or 'rate'
    value               DOUBLE,            -- 0-1 for a survey proportion; NULL where the file says N/A
    missing             BOOLEAN NOT NULL,  -- 'N/A' in the source
    sample_size         INTEGER NOT NULL,  -- assumed: see the module docstring
    sample_size_assumed BOOLEAN NOT NULL,
    source_file         VARCHAR NOT NULL,
    source_line         BIGINT NOT NULL
);
"""

COLUMNS = ["period", "neighbourhood_code", "neighbourhood", "borough_code", "borough_name", "similarity_group",
           "measure", "question", "answer", "unit", "value", "missing", "sample_size", "sample_size_assumed",
           "source_line"]


@cache
def questions() -> dict[str, dict[str, str]]:
    """Normalised published question -> its mapping row (measure, title, unit)."""
    return {normalise_name(r["published_question"]): r for r in mapping_rows("pas_neighbourhood_2016.csv")}


def _percent(text: str) -> float | None:
    """'71' -> 0.71; None unless a number from 0 to 100."""
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        return None
    return value / 100 if 0.0 <= value <= 100.0 else None


def _rate(text: str) -> float | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _parse(path: Path) -> Parsed:
    """Row 1: the question; row 2: the answers counted; then one row per neighbourhood."""
    year = YEAR.search(path.name)
    if year is None:
        raise SourceError("the year (e.g. '_2016_') is not in the file name", path=str(path))
    (answers,), text = read_csv(path, header_rows=2)
    head = [normalise_name(h) for h in text.header[:3]]
    if head != ["neighbourhood", "code", "group"]:
        raise SourceError(f"expected the columns Neighbourhood, Code, Group first; found {text.header[:3]}",
                          path=str(path))
    known = questions()
    columns: list[tuple[int, dict[str, str], str]] = []
    for i, question in enumerate(text.header[3:], start=3):
        row = known.get(normalise_name(question))
        if row is None:
            raise SourceError(f"unknown question '{question}' in column {i + 1} "
                              "(not in mappings/pas_neighbourhood_2016.csv)", path=str(path))
        answer = answers[i] if i < len(answers) else ""
        if row["unit"] == "survey_proportion" and not answer:
            raise SourceError(f"no answer counted under column {i + 1} ('{question}')", path=str(path))
        columns.append((i, row, answer))
    places: list[tuple[int, list[str], dict[str, object]]] = []
    rejected: list[Rejected] = []
    seen: dict[str, int] = {}
    for line, cells in text.rows:
        record = dict(zip(text.header, cells, strict=False))
        if len(cells) != len(text.header):
            rejected.append(Rejected(line, None, None, f"{len(cells)} fields, not {len(text.header)}", record))
            continue
        name, code, group = (c.strip() for c in cells[:3])
        borough_part, sep, area = name.partition(" - ")
        place = borough(borough_part) if sep else None
        if place is None or place.code is None or not area.strip():
            rejected.append(Rejected(line, text.header[0], name, "not 'Borough - Neighbourhood' with a known borough",
                                     record))
            continue
        if not CODE.fullmatch(code):
            rejected.append(Rejected(line, text.header[1], code, "not a neighbourhood code like 'KG-KB'", record))
            continue
        number = GROUP.fullmatch(group)
        if number is None:
            rejected.append(Rejected(line, text.header[2], group, "not a similarity group like 'Group 7'", record))
            continue
        if code in seen:
            rejected.append(Rejected(line, text.header[1], code, f"same neighbourhood code as line {seen[code]}",
                                     record))
            continue
        seen[code] = line
        places.append((line, cells, {
            "period": year[1], "neighbourhood_code": code, "neighbourhood": area.strip(),
            "borough_code": place.code, "borough_name": place.name, "similarity_group": int(number[1]),
        }))
    per_borough = Counter(str(p["borough_code"]) for _, _, p in places)
    good: list[dict[str, object]] = []
    missing = 0
    for line, cells, place_row in places:
        record = dict(zip(text.header, cells, strict=False))
        size = max(1, PAS_INTERVIEWS_PER_BOROUGH_YEAR // per_borough[str(place_row["borough_code"])])
        for i, row, answer in columns:
            raw = cells[i].strip()
            value: float | None = None
            if raw == MISSING:
                missing += 1
            else:
                value = _percent(raw) if row["unit"] == "survey_proportion" else _rate(raw)
                if value is None:
                    reason = ("not a percentage from 0 to 100 or 'N/A'" if row["unit"] == "survey_proportion"
                              else "not a rate of 0 or more or 'N/A'")
                    rejected.append(Rejected(line, text.header[i], raw, reason, record))
                    continue
            good.append({**place_row, "measure": row["measure"], "question": text.header[i], "answer": answer,
                         "unit": row["unit"], "value": value, "missing": value is None, "sample_size": size,
                         "sample_size_assumed": True, "source_line": line})
    notes = [
        f"wide file: {len(text.rows)} neighbourhood rows x {len(columns)} measure columns read; "
        "each cell is one output row",
        f"{missing} 'N/A' cells kept as missing (value NULL)",
        f"sample size assumed: {PAS_INTERVIEWS_PER_BOROUGH_YEAR} interviews per borough a year (the survey design), "
        "shared evenly among each borough's neighbourhoods in the file (no sample size is published)",
    ]
    groups = sorted({int(str(p["similarity_group"])) for _, _, p in places})
    absent = sorted(set(range(1, max(groups) + 1)) - set(groups)) if groups else []
    if absent:
        notes.append(f"no neighbourhood in similarity group {', '.join(map(str, absent))} "
                     f"(groups {groups[0]} to {groups[-1]} are numbered)")
    return Parsed(pd.DataFrame(good, columns=COLUMNS), rejected, rows_read=len(text.rows), notes=notes)


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        name="pas-neighbourhood-2016",
        table="pas_neighbourhood_2016",
        ddl=DDL,
        patterns=("mps/MOPAC_PAS_police_perceptions_*_by_neighbourhood.csv*",),
        parse=_parse,
        description="MOPAC PAS police perceptions by neighbourhood and similarity group "
                    "(the Neighbourhood Confidence Comparator's data; sample size assumed)",
    ),
)
