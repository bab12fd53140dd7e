"""Source quality: is each source month complete, placed and really recorded?

One table, `source_quality`, with a row for every problem found in a source stream (a table,
or a file series within it) for a force and month:

- incomplete: the month holds far fewer records than expected. Expected = the median of the
  previous 12 months of the same stream that were not themselves incomplete (the following 12
  when fewer than 6 precede it: the first month of a new file series is judged against what
  comes after). Judged only where the expected volume is large enough for a shortfall to be
  more than chance.
- low_coverage: the share of records placed in an area is far below the stream's usual share;
  figures below force level would leave most records out. Applies to levels below force only.
- not_recorded: a field was not really recorded that month: blank on every record; a yes/no
  field with one answer on every record (a placeholder, not data); or a field whose blanks
  ("not stated") vanish in a month where they are normally common (the value was filled in by
  the extract, not by the person).

The build joins these rows to every figure computed from the same stream and month, so that a
flagged month is shown with its reason and kept out of comparisons, SPC baselines and headlines.
The health ledger shows the same rows. Rules and thresholds are in docs/methods.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import duckdb
import numpy as np
import pandas as pd

from oversight import config

INCOMPLETE: Final = "incomplete"
LOW_COVERAGE: Final = "low_coverage"
NOT_RECORDED: Final = "not_recorded"
CROSSES_BREAK: Final = "crosses_break"
FLAG_BITS: Final = {INCOMPLETE: 1, NOT_RECORDED: 2, LOW_COVERAGE: 4, CROSSES_BREAK: 8}
"""Flags of a figure as bits while the build computes them, in order of precedence. The first
three come from source months; a period whose months lie on both sides of a change of source or
a declared series break crosses a break."""

INCOMPLETE_BELOW: Final = 0.6
"""A month with fewer records than this share of its expected volume is incomplete."""
MIN_EXPECTED: Final = 50
"""Below this expected volume a shortfall is judged to be chance, not missing records."""
COVERAGE_BELOW: Final = 0.75
"""A month whose placed share is under this share of the stream's median is low coverage."""
PLACED_USUALLY: Final = 0.5
"""...judged only for streams whose records are usually placed at least this often."""
MIN_RECORDS_FOR_FIELD: Final = 100
"""A field is judged on a month only when it has at least this many records."""
NOT_STATED_USUAL: Final = 0.05
"""Blanks count as a normal answer of a field when its median blank share is at least this."""
NOT_STATED_VANISHED: Final = 0.05
"""...and have vanished when the month's blank share is under this share of that median."""

BELOW_FORCE: Final = ("bcu", "borough", "ward")

SOURCE_LABELS: Final = {
    "stop_search": "police.uk stop and search",
    "street_crime": "police.uk street-level crime",
    "crime_outcome": "police.uk outcomes",
    "mps_crime/borough/current": "the MPS borough files",
    "mps_crime/ward/current": "the MPS ward files",
    "mps_crime/borough/old": "the MPS borough files (categories to 2018)",
    "mps_crime/ward/old": "the MPS ward files (categories to 2018)",
}
"""Source streams in words, for notes shown to readers."""


def source_label_sql(column: str) -> str:
    """SQL turning a `+`-joined list of source streams into words."""
    expr = column
    for key, label in SOURCE_LABELS.items():
        expr = f"replace({expr}, '{key}', '{label}')"
    return f"replace({expr}, ' + ', ' and ')"

SOURCE_QUALITY_DDL: Final = """
CREATE OR REPLACE TABLE source_quality (
    source    VARCHAR NOT NULL,   -- stream: a table ('stop_search') or a file series ('mps_crime/ward/current')
    force     VARCHAR NOT NULL,
    month     DATE NOT NULL,
    field     VARCHAR,            -- NULL: the month as a whole; else the field not recorded
    flag      VARCHAR NOT NULL,   -- incomplete | low_coverage | not_recorded
    levels    VARCHAR[],          -- area levels the flag applies to; NULL: every level
    observed  DOUBLE,
    expected  DOUBLE,
    reason    VARCHAR NOT NULL    -- in words, for readers
)
"""


@dataclass(frozen=True)
class _Field:
    """A field of a police.uk table checked for being really recorded."""

    column: str
    kind: str          # 'boolean': one answer on every record is a placeholder; 'answer': blanks are an answer
    label: str


_POLICE_UK_FIELDS: Final = {
    "stop_search": (
        _Field("outcome_linked_to_object", "boolean", "whether the outcome was linked to the object of search"),
        _Field("self_defined_group", "answer", "self-defined ethnicity"),
        _Field("officer_defined_ethnicity", "answer", "officer-defined ethnicity"),
        _Field("age_range", "answer", "age range"),
        _Field("gender", "answer", "gender"),
        _Field("legislation", "answer", "legislation"),
        _Field("object_of_search", "answer", "object of search"),
        _Field("removal_of_more_than_outer_clothing", "boolean", "removal of more than outer clothing"),
    ),
}

POLICE_UK_TABLES: Final = {"street": "street_crime", "outcomes": "crime_outcome", "stop-and-search": "stop_search"}
"""Each police.uk dataset, by the name the ledger and the placement tables give it, and the table
its rows live in (the name of its source stream here)."""


def build_source_quality(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Compute `source_quality` from the loaded tables and replace it; return its rows."""
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    frames = []
    for table in POLICE_UK_TABLES.values():
        if table in tables:
            volume = con.execute(
                f"SELECT '{table}' AS source, force, month, count(*)::DOUBLE AS n FROM {table} GROUP BY ALL"
            ).df()
            frames.append(_incomplete(volume, "records"))
    if "mps_crime" in tables:
        volume = con.execute(
            """SELECT 'mps_crime/' || level || '/' || category_vintage AS source, ? AS force, month,
                      sum(count)::DOUBLE AS n
               FROM mps_crime GROUP BY ALL""", [config.MPS_FORCE]).df()
        frames.append(_incomplete(volume, "recorded crimes"))
    if "place_coverage" in tables:
        frames.append(_low_coverage(con))
    for table, fields in _POLICE_UK_FIELDS.items():
        if table in tables:
            frames.append(_not_recorded(con, table, fields))
    found = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else _empty()
    con.execute(SOURCE_QUALITY_DDL)
    if len(found):
        con.register("__quality", found)
        try:
            con.execute("INSERT INTO source_quality BY NAME SELECT * FROM __quality")
        finally:
            con.unregister("__quality")
    return found


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["source", "force", "month", "field", "flag", "levels", "observed",
                                 "expected", "reason"])


def expected_volumes(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For one stream's monthly counts in time order: the expected count of each month and whether it
    is incomplete. Expected = median of up to 12 earlier months not themselves incomplete, or
    of the next 12 months when fewer than 6 such earlier months exist."""
    n = len(counts)
    expected = np.full(n, np.nan)
    incomplete = np.zeros(n, dtype=bool)
    good: list[int] = []
    for i in range(n):
        before = [counts[j] for j in good[-12:]]
        if len(before) >= 6:
            basis = before
        else:
            basis = [c for c in counts[i + 1:i + 13]]
            # The months after may themselves be short: a run of short months judged against
            # each other would pass. Use the larger of the two medians.
            if before:
                basis = basis if np.median(basis or [0]) >= np.median(before) else before
        if basis:
            expected[i] = float(np.median(basis))
        if np.isfinite(expected[i]) and expected[i] >= MIN_EXPECTED and counts[i] < INCOMPLETE_BELOW * expected[i]:
            incomplete[i] = True
        else:
            good.append(i)
    return expected, incomplete


def _incomplete(volume: pd.DataFrame, noun: str) -> pd.DataFrame:
    rows = []
    for (source, force), group in volume.sort_values("month").groupby(["source", "force"], sort=False):
        counts = group["n"].to_numpy(float)
        expected, incomplete = expected_volumes(counts)
        for month, n, e in zip(group["month"][incomplete], counts[incomplete], expected[incomplete], strict=False):
            rows.append({
                "source": source, "force": force, "month": month, "field": None, "flag": INCOMPLETE,
                "levels": None, "observed": n, "expected": e,
                "reason": (f"incomplete: {int(n):,} {noun} against about {int(round(e, -2 if e >= 1000 else 0)):,} "
                           f"in a usual month"),
            })
    return pd.DataFrame(rows) if rows else _empty()


def _low_coverage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    placed = con.execute(
        """SELECT dataset, force, month, rows::DOUBLE AS rows, placed::DOUBLE AS placed
           FROM place_coverage WHERE level = 'borough' AND rows > 0""").df()
    rows = []
    for dataset, source in POLICE_UK_TABLES.items():
        for force, group in placed[placed["dataset"] == dataset].groupby("force"):
            share = group["placed"].to_numpy() / group["rows"].to_numpy()
            usual = float(np.median(share))
            if usual < PLACED_USUALLY:
                continue  # a stream the force's areas do not cover (the City of London in Met areas)
            low = share < COVERAGE_BELOW * usual
            for month, s, n in zip(group["month"][low], share[low], group["rows"][low], strict=False):
                rows.append({
                    "source": source, "force": force, "month": month, "field": None, "flag": LOW_COVERAGE,
                    "levels": list(BELOW_FORCE), "observed": s, "expected": usual,
                    "reason": (f"low coverage: {s:.0%} of {int(n):,} records could be placed in an area "
                               f"(usually {usual:.0%}); figures below force level leave the rest out"),
                })
    return pd.DataFrame(rows) if rows else _empty()


def _not_recorded(con: duckdb.DuckDBPyConnection, table: str, fields: tuple[_Field, ...]) -> pd.DataFrame:
    shares = ", ".join(
        f"avg(({f.column} IS NULL)::INT) AS {f.column}__blank, "
        + (f"avg({f.column}::INT) AS {f.column}__yes" if f.kind == "boolean" else f"NULL::DOUBLE AS {f.column}__yes")
        for f in fields
    )
    frame = con.execute(
        f"SELECT force, month, count(*) AS n, {shares} FROM {table} GROUP BY ALL ORDER BY force, month"
    ).df()
    rows = []
    for force, group in frame.groupby("force"):
        big = group["n"].to_numpy() >= MIN_RECORDS_FOR_FIELD
        for f in fields:
            blank = group[f"{f.column}__blank"].to_numpy(float)
            reasons = np.full(len(group), None, dtype=object)
            reasons[big & (blank == 1.0)] = f"not recorded: {f.label} is blank on every record"
            if f.kind == "boolean":
                yes = group[f"{f.column}__yes"].to_numpy(float)
                one_answer = big & (blank == 0.0) & ((yes == 0.0) | (yes == 1.0))
                answer = np.where(yes == 1.0, "yes", "no")
                for i in np.flatnonzero(one_answer):
                    reasons[i] = (f"not recorded: {f.label} is '{answer[i]}' on every one of "
                                  f"{int(group['n'].iloc[i]):,} records, a placeholder rather than data")
            else:
                recorded = blank < 1.0
                usual = float(np.median(blank[recorded])) if recorded.any() else 0.0
                if usual >= NOT_STATED_USUAL:
                    vanished = big & (blank < NOT_STATED_VANISHED * usual)
                    for i in np.flatnonzero(vanished):
                        reasons[i] = (f"not recorded: {f.label} is stated on {1 - blank[i]:.1%} of records, "
                                      f"where usually {usual:.0%} are not stated; 'not stated' was not recorded")
            for i in np.flatnonzero(reasons != None):  # noqa: E711 - element-wise on an object array
                rows.append({
                    "source": table, "force": force, "month": group["month"].iloc[i], "field": f.column,
                    "flag": NOT_RECORDED, "levels": None, "observed": blank[i], "expected": None,
                    "reason": reasons[i],
                })
    return pd.DataFrame(rows) if rows else _empty()
