"""The gap between ethnic groups in the Public Attitude Survey's neighbourhood indicators, judged
against the Police and Crime Plan's band (table `trust_gap`, built with the measures).

MOPAC publishes, for 112 neighbourhoods and six pooled financial years, the share of White British,
Asian and Black respondents who agree with four statements about their local police; it publishes
no sample sizes. Each gap (Black or Asian minus White British, in points) gets a Newcombe interval
and the two one-sided tests of the band (`stats.equivalence.survey_gap_against_band`), on sample sizes
*assumed* as follows (docs/decisions/0013-trust-gap-from-open-data.md):

- the survey design: `PAS_INTERVIEWS_PER_BOROUGH_YEAR` (400) interviews per borough per year,
  times the financial years pooled;
- spread evenly over the neighbourhoods the file lists for the borough (blank ones included: they
  were surveyed, then suppressed);
- split between groups in proportion to the borough's residents of each group at the census
  nearest the middle of the pooled years (`population_ethnicity`, all ages);
- divided by the `survey_design_effect` setting inside the test.

A borough's figure combines its published neighbourhoods with weights equal to their assumed
respondents, which are equal within a borough, so it is their plain mean: a reconstruction from
the published neighbourhoods, not a published borough figure. The force-wide figure combines the
boroughs with weights equal to each borough's residents of the group (the survey has equal numbers
of interviews per borough, so an unweighted mean would over-represent small boroughs); its
respondents are the effective number p(1 - p) / variance of the weighted mean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import duckdb
import numpy as np
import pandas as pd

from oversight import config
from oversight.measures.catalogue import Measure
from oversight.stats.compare import gap_against_band
from oversight.stats.equivalence import survey_gap_against_band
from oversight.stats.intervals import newcombe

TABLE: Final = "trust_gap"
MEASURE: Final = "trust_gap_ethnicity"
"""The catalogue measure whose band the gaps are judged against."""
REFERENCE_GROUP: Final = "White British"
GROUPS: Final = ("Black", "Asian")
QUESTIONS: Final = ("treat_everyone_fairly", "listen_to_concerns", "good_job_local", "stop_search_fair")
"""The four questions of the neighbourhood file, in its column order."""
CENSUS_YEARS: Final = (2011, 2021)
INTERVIEWS_PER_BOROUGH_YEAR: Final = 400
"""The survey design: 12,800 interviews a year over 32 boroughs (sources.reference.pas)."""

# Census groups counted as each survey group: every 'Black ...' and every 'Asian ...' category
# (the census puts Chinese under Asian); the survey's own grouping is not published.
CENSUS_GROUP_SQL: Final = {
    "White British": "ethnic_group = 'White British'",
    "Black": "ethnic_group LIKE 'Black %'",
    "Asian": "ethnic_group LIKE 'Asian %'",
}

DDL: Final = """
CREATE TABLE IF NOT EXISTS trust_gap (
    question               VARCHAR NOT NULL,  -- a PAS measure id (QUESTIONS)
    period_label           VARCHAR NOT NULL,  -- as published: '2015-16 to 2020-21'
    period_start           DATE NOT NULL,
    period_end             DATE NOT NULL,
    area_level             VARCHAR NOT NULL,  -- 'neighbourhood', 'borough' or 'force'
    area_code              VARCHAR NOT NULL,  -- neighbourhood: borough code + '/' + its name as published
    area_name              VARCHAR NOT NULL,
    parent_code            VARCHAR,           -- the borough of a neighbourhood, the force of a borough
    breakdown              VARCHAR NOT NULL,  -- 'ethnicity=Black' or 'ethnicity=Asian'
    reference              VARCHAR NOT NULL,  -- 'ethnicity=White British'
    value                  DOUBLE,            -- gap in percentage points: group minus reference
    interval_low           DOUBLE,            -- 95% Newcombe interval, points
    interval_high          DOUBLE,
    p_below                DOUBLE,            -- one-sided test of 'gap <= -band'
    p_above                DOUBLE,            -- one-sided test of 'gap >= +band'
    vs_band                VARCHAR,           -- 'inside band', 'outside band', 'cannot tell'
    verdict_holds_to       DOUBLE,            -- largest design effect (to 10) keeping an inside/outside verdict
    band                   DOUBLE NOT NULL,
    proportion             DOUBLE,            -- the group's share agreeing, 0-1
    proportion_reference   DOUBLE,
    sample_size            DOUBLE,            -- assumed respondents of the group (effective, force-wide)
    sample_size_reference  DOUBLE,
    sample_size_assumed    BOOLEAN NOT NULL,
    design_effect          DOUBLE NOT NULL,
    census_year            INTEGER,           -- census whose group shares set the assumed sizes
    neighbourhoods         INTEGER NOT NULL,  -- published neighbourhoods combined (1 for a neighbourhood)
    neighbourhoods_listed  INTEGER NOT NULL,  -- neighbourhoods the file lists for the area
    note                   VARCHAR,           -- why there is no figure, when there is none
    source                 VARCHAR NOT NULL
);
"""

HOLDS_MOST: Final = 10.0
"""The largest design effect against which a verdict is checked (column verdict_holds_to)."""

SOURCE: Final = "MOPAC Public Attitude Survey, neighbourhood indicators by ethnicity"
_PERIOD = re.compile(r"^(\d{4})-\d{2} to (\d{4})-(\d{2})$")


@dataclass(frozen=True)
class PublishedReference:
    """A published force-wide figure quoted beside the computed gaps, with its source."""

    question: str
    groups: tuple[tuple[str, float], ...]
    reference_group: str
    source: str
    note: str


# The draft Police and Crime Plan 2021-25 quotes the Action Plan dashboard (PAS); no sample size or
# quarter is given with it, so it is a reference point, not a figure with an interval.
PUBLISHED_REFERENCE: Final = PublishedReference(
    question="trust_mps",
    groups=(("Black", 0.56), ("Other ethnic minority", 0.76)),
    reference_group="White",
    source="MOPAC Action Plan dashboard (Public Attitude Survey), as cited in the draft Police and Crime Plan 2021-25",
    note="Londoners who trust the MPS: 56% of Black, 76% of other ethnic minority and 82% of White Londoners. "
         "The survey question and the groups differ from the neighbourhood figures (trust in the MPS, White "
         "rather than White British), and no sample size is published, so it has no interval or verdict.",
)
PUBLISHED_REFERENCE_SHARE: Final = 0.82
"""The White share of PUBLISHED_REFERENCE."""


def _period_bounds(label: str) -> tuple[str, str, int]:
    """'2015-16 to 2020-21' -> ('2015-04-01', '2021-03-31', 6 years)."""
    found = _PERIOD.match(label)
    if found is None:
        raise ValueError(f"pooled period {label!r} is not 'YYYY-YY to YYYY-YY'")
    first, last = int(found[1]), int(found[2])
    return f"{first}-04-01", f"{last + 1}-03-31", last - first + 1


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}


def _group_residents(con: duckdb.DuckDBPyConnection, census_year: int) -> pd.DataFrame:
    """Residents of each survey group per borough at one census: borough_code, group, residents."""
    parts = [f"""SELECT a.borough_code, '{group}' AS ethnic_group, sum(p.residents)::DOUBLE AS residents
                 FROM population_ethnicity p JOIN lsoa_area a USING (lsoa_code)
                 WHERE p.census_year = {census_year} AND p.{condition}
                 GROUP BY a.borough_code""" for group, condition in CENSUS_GROUP_SQL.items()]
    parts.append(f"""SELECT a.borough_code, 'All' AS ethnic_group, sum(p.residents)::DOUBLE AS residents
                     FROM population_ethnicity p JOIN lsoa_area a USING (lsoa_code)
                     WHERE p.census_year = {census_year} GROUP BY a.borough_code""")
    return con.execute(" UNION ALL ".join(parts)).df()


def nearest_census(start: str, end: str) -> int:
    """The census year nearest the middle of a period (as the measures' rates choose theirs)."""
    middle = (pd.Timestamp(start) + (pd.Timestamp(end) - pd.Timestamp(start)) / 2).year
    return CENSUS_YEARS[1] if middle >= sum(CENSUS_YEARS) // 2 else CENSUS_YEARS[0]


def build_trust_gap(con: duckdb.DuckDBPyConnection, measures: dict[str, Measure]) -> int:
    """Replace `trust_gap` from `pas_neighbourhood_ethnicity`; rows written (0 without the inputs)."""
    con.execute(DDL)
    con.execute("DELETE FROM trust_gap")
    needed = {"pas_neighbourhood_ethnicity", "population_ethnicity", "lsoa_area"}
    if MEASURE not in measures or not needed <= _tables(con):
        return 0
    band = measures[MEASURE].band or 5.0
    cells = con.execute(
        """SELECT period, borough_code, borough_name, neighbourhood, ethnic_group, measure AS question,
                  proportion FROM pas_neighbourhood_ethnicity""").df()
    if cells.empty:
        return 0
    force = str(config.default("default_force"))
    named = con.execute("SELECT name FROM area WHERE level = 'force' AND code = ?", [force]).fetchall() \
        if "area" in _tables(con) else []
    frames = [_gaps_of_period(con, cells[cells["period"] == label], label, band, force,
                              str(named[0][0]) if named else force)
              for label in sorted(cells["period"].unique())]
    rows = pd.concat(frames, ignore_index=True)
    con.register("__trust_gap", rows)
    try:
        con.execute("INSERT INTO trust_gap BY NAME SELECT * FROM __trust_gap")
    finally:
        con.unregister("__trust_gap")
    return len(rows)


def _gaps_of_period(
    con: duckdb.DuckDBPyConnection, cells: pd.DataFrame, label: str, band: float, force: str, force_name: str
) -> pd.DataFrame:
    start, end, years = _period_bounds(label)
    census = nearest_census(start, end)
    residents = _group_residents(con, census).pivot(index="borough_code", columns="ethnic_group",
                                                   values="residents")
    deff = float(config.default("survey_design_effect"))  # type: ignore[arg-type]
    keys = ["borough_code", "borough_name", "neighbourhood", "question"]
    wide = cells.set_index([*keys, "ethnic_group"])["proportion"].unstack("ethnic_group").reset_index()
    listed = cells.groupby("borough_code")["neighbourhood"].nunique()
    per_neighbourhood = INTERVIEWS_PER_BOROUGH_YEAR * years / wide["borough_code"].map(listed)
    out = []
    for group in GROUPS:
        share = residents[group] / residents["All"]
        ref_share = residents[REFERENCE_GROUP] / residents["All"]
        frame = pd.DataFrame({
            "question": wide["question"], "area_level": "neighbourhood",
            "area_code": wide["borough_code"] + "/" + wide["neighbourhood"],
            "area_name": wide["neighbourhood"] + ", " + wide["borough_name"], "parent_code": wide["borough_code"],
            "borough_code": wide["borough_code"], "borough_name": wide["borough_name"],
            "breakdown": f"ethnicity={group}",
            "proportion": wide.get(group), "proportion_reference": wide.get(REFERENCE_GROUP),
            "sample_size": per_neighbourhood * wide["borough_code"].map(share),
            "sample_size_reference": per_neighbourhood * wide["borough_code"].map(ref_share),
            "neighbourhoods_listed": 1,
        })
        frame["neighbourhoods"] = (frame["proportion"].notna() & frame["proportion_reference"].notna()).astype(int)
        boroughs = _combine_boroughs(frame, listed, force)
        london = _combine_force(boroughs, residents[group], residents[REFERENCE_GROUP], (force, force_name), listed)
        out += [frame.drop(columns=["borough_code", "borough_name"]), boroughs, london]
    rows = pd.concat(out, ignore_index=True)
    rows = _judge(rows, band, deff)
    rows["period_label"], rows["period_start"], rows["period_end"] = label, start, end
    rows["period_start"] = pd.to_datetime(rows["period_start"]).dt.date
    rows["period_end"] = pd.to_datetime(rows["period_end"]).dt.date
    rows["reference"] = f"ethnicity={REFERENCE_GROUP}"
    rows["band"], rows["design_effect"], rows["census_year"] = band, deff, census
    rows["sample_size_assumed"], rows["source"] = True, SOURCE
    return rows


def _combine_boroughs(frame: pd.DataFrame, listed: pd.Series, force: str) -> pd.DataFrame:
    """Each borough's published neighbourhoods (both groups given) pooled with their assumed
    respondents as weights: equal within a borough, so the plain mean; respondents add up."""
    both = frame[frame["neighbourhoods"] == 1]
    pooled = both.groupby(["question", "borough_code", "borough_name", "breakdown"]).agg(
        proportion=("proportion", "mean"), proportion_reference=("proportion_reference", "mean"),
        sample_size=("sample_size", "sum"), sample_size_reference=("sample_size_reference", "sum"),
        neighbourhoods=("neighbourhoods", "sum"),
    ).reset_index()
    every = frame[["question", "borough_code", "borough_name", "breakdown"]].drop_duplicates()
    boroughs = every.merge(pooled, how="left", on=["question", "borough_code", "borough_name", "breakdown"])
    boroughs["neighbourhoods"] = boroughs["neighbourhoods"].fillna(0).astype(int)
    boroughs["neighbourhoods_listed"] = boroughs["borough_code"].map(listed).astype(int)
    boroughs["area_level"], boroughs["area_code"] = "borough", boroughs["borough_code"]
    boroughs["area_name"], boroughs["parent_code"] = boroughs["borough_name"], force
    return boroughs.drop(columns=["borough_code", "borough_name"])


def _combine_force(
    boroughs: pd.DataFrame, group_residents: pd.Series, reference_residents: pd.Series,
    force: tuple[str, str], listed: pd.Series,
) -> pd.DataFrame:
    """Boroughs with a figure, weighted by their residents of each group; respondents are the
    effective number p(1 - p) / sum(w^2 p(1 - p) / n) of the weighted mean."""
    rows = []
    for (question, breakdown), part in boroughs.groupby(["question", "breakdown"]):
        have = part[part["proportion"].notna() & part["proportion_reference"].notna()]
        row: dict[str, object] = {
            "question": question, "breakdown": breakdown, "area_level": "force", "area_code": force[0],
            "area_name": force[1], "parent_code": None, "neighbourhoods": int(have["neighbourhoods"].sum()),
            "neighbourhoods_listed": int(listed.sum()),
        }
        for side, weights in (("", group_residents), ("_reference", reference_residents)):
            w = have["area_code"].map(weights).to_numpy(float)
            w = w / w.sum() if len(w) else w
            p = have["proportion" + side].to_numpy(float)
            n = have["sample_size" + side].to_numpy(float)
            mean = float((w * p).sum()) if len(w) else np.nan
            variance = float((w ** 2 * p * (1 - p) / n).sum()) if len(w) else np.nan
            row["proportion" + side] = mean
            row["sample_size" + side] = mean * (1 - mean) / variance if variance > 0 else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _judge(rows: pd.DataFrame, band: float, deff: float) -> pd.DataFrame:
    p1, p2 = rows["proportion"].to_numpy(float), rows["proportion_reference"].to_numpy(float)
    n1, n2 = rows["sample_size"].to_numpy(float), rows["sample_size_reference"].to_numpy(float)
    usable = np.isfinite(p1) & np.isfinite(p2) & (n1 > 0) & (n2 > 0)
    for column in ("value", "interval_low", "interval_high", "p_below", "p_above", "verdict_holds_to"):
        rows[column] = np.nan
    rows["vs_band"] = None
    if usable.any():
        test = survey_gap_against_band(p1[usable], n1[usable], p2[usable], n2[usable], band=band,
                                       design_effect=deff)
        for column, values in zip(("value", "interval_low", "interval_high", "p_below", "p_above"), test[:5],
                                  strict=True):
            rows.loc[usable, column] = np.asarray(values, dtype=float)
        rows.loc[usable, "vs_band"] = np.asarray(test.verdict, dtype=object)
        rows.loc[usable, "verdict_holds_to"] = verdict_holds_to(
            p1[usable], n1[usable], p2[usable], n2[usable], np.asarray(test.verdict, dtype=object), band, deff)
    why = np.where(rows["neighbourhoods"].to_numpy() == 0,
                   "not published for this area (blank in the source: too few respondents)",
                   "no respondents assumed: the census has no residents of the group here")
    rows["note"] = pd.Series(why, index=rows.index, dtype=object).where(~usable, None)
    return rows


def verdict_holds_to(
    p1: np.ndarray, n1: np.ndarray, p2: np.ndarray, n2: np.ndarray, verdict: np.ndarray, band: float,
    design_effect: float,
) -> np.ndarray:
    """The largest design effect (from the one used up to HOLDS_MOST) at which an 'inside band' or
    'outside band' verdict stays the same: the intervals widen as it grows, so each verdict holds
    up to one point, found by bisection. NaN for 'cannot tell'."""
    def same(effect: np.ndarray) -> np.ndarray:
        got = newcombe(p1 * n1 / effect, n1 / effect, p2 * n2 / effect, n2 / effect, 0.95)
        diff = np.asarray(got.estimate, float) * 100
        low = np.minimum(np.asarray(got.lower, float) * 100, diff)
        high = np.maximum(np.asarray(got.upper, float) * 100, diff)
        return np.asarray(gap_against_band(diff, low, high, band), dtype=object) == verdict

    low = np.full(p1.shape, design_effect)
    high = np.full(p1.shape, HOLDS_MOST)
    holds_at_most = same(high)
    for _ in range(40):
        middle = (low + high) / 2
        ok = same(middle)
        low, high = np.where(ok, middle, low), np.where(ok, high, middle)
    result = np.where(holds_at_most, HOLDS_MOST, low)
    return np.where(np.isin(verdict, ["inside band", "outside band"]), result, np.nan)


def read_trust_gap(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every row of `trust_gap` in a fixed order (force, boroughs, neighbourhoods); empty when the
    table was never built."""
    if TABLE not in _tables(con):
        return pd.DataFrame()
    return con.execute(
        """SELECT * FROM trust_gap
           ORDER BY period_end, list_position(['force', 'borough', 'neighbourhood'], area_level), area_name,
                    list_position(['ethnicity=Black', 'ethnicity=Asian'], breakdown),
                    list_position(['treat_everyone_fairly', 'listen_to_concerns', 'good_job_local',
                                   'stop_search_fair'], question)""").df()
