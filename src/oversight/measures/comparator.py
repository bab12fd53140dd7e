"""The Neighbourhood Confidence Comparator: each police neighbourhood against the neighbourhoods of
its similarity group and London, measure by measure, from the PAS 2016 neighbourhood table.

For one neighbourhood and one survey measure (`comparison`): its figure with the survey interval
(Wilson, from the assumed sample size over the design effect); its group's mean, lowest and
highest figure; the average of every neighbourhood in London; its rank in the group and in
London (1 = highest share; every measure is worded so that a higher share is the better); and
the gap to its peers (the other members of its group): its figure minus their mean, with a
Newcombe interval that treats the peers' mean as one proportion from their assumed samples
together. Means are of neighbourhood figures, each counted once.

Across neighbourhoods (`drivers`): how each measure moves with overall confidence (the share
saying the police do a good job), as Spearman's and Pearson's correlation with intervals.
"""

from __future__ import annotations

from typing import Any, Final

import duckdb
import numpy as np
import pandas as pd

from oversight.sources.reference.pas import PAS_INTERVIEWS_PER_BOROUGH_YEAR
from oversight.sources.reference.pas_comparator import COLUMNS, questions
from oversight.stats.correlation import correlation
from oversight.stats.intervals import newcombe_difference, survey_interval
from oversight.warehouse.connection import table_exists

TABLE: Final = "pas_neighbourhood_2016"
INTERVIEWS_PER_BOROUGH: Final = PAS_INTERVIEWS_PER_BOROUGH_YEAR
"""The survey design the loader shares among a borough's neighbourhoods as their assumed sample size."""
OVERALL: Final = "good_job_local"
"""Overall confidence: 'Taking everything into account, how good a job do you think the police in
this area are doing?' (% excellent or good), the confidence measure of MOPAC's Plans."""
SURVEY: Final = "survey_proportion"
HIGHER, LOWER, NOT_CLEAR = "higher", "lower", "no clear difference"
"""Where a neighbourhood stands against its peers: its gap's whole interval above 0, below 0, or across 0."""

COMPARISON_COLUMNS: Final = [
    "measure", "title", "question", "answer", "value", "interval_low", "interval_high", "sample_size",
    "sample_size_assumed", "similarity_group", "group_size", "group_mean", "group_min", "group_max",
    "rank_in_group", "tied_in_group", "peers", "peer_mean", "gap", "gap_low", "gap_high", "versus_peers",
    "london_size", "london_mean", "london_min", "london_max", "rank_in_london", "tied_in_london",
]
DRIVER_COLUMNS: Final = ["measure", "title", "pairs", "spearman", "spearman_low", "spearman_high",
                         "pearson", "pearson_low", "pearson_high"]


def load(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every row of the neighbourhood table with each measure's title; empty when it is not loaded."""
    if not table_exists(con, TABLE):
        frame = pd.DataFrame(columns=[*COLUMNS, "source_file"])
    else:
        frame = con.execute(f"SELECT * FROM {TABLE} ORDER BY borough_name, neighbourhood, source_line").df()
    titles = {row["measure"]: row["title"] for row in questions().values()}
    order = {row["measure"]: i for i, row in enumerate(questions().values())}
    frame["title"] = frame["measure"].map(titles).fillna(frame["question"])
    frame["measure_order"] = frame["measure"].map(order).fillna(len(order)).astype(int)
    return frame


def neighbourhoods(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per neighbourhood: code, names, borough, group and assumed sample size, by borough and name."""
    columns = ["neighbourhood_code", "neighbourhood", "borough_code", "borough_name", "similarity_group",
               "sample_size", "period"]
    found = frame.drop_duplicates("neighbourhood_code")[columns]
    return found.sort_values(["borough_name", "neighbourhood"]).reset_index(drop=True)


def measures(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per measure in the file's order: id, title, question, answer, unit and how many figures it has."""
    grouped = frame.groupby(["measure_order", "measure", "title", "question", "answer", "unit"], as_index=False)
    return grouped.agg(figures=("value", "count"), missing=("missing", "sum")).drop(columns="measure_order")


def _survey(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[(frame["unit"] == SURVEY) & frame["value"].notna()]


def _rank(values: np.ndarray, value: float) -> tuple[int, bool]:
    """Rank of `value` among `values`, 1 for the highest; and whether another has the same figure."""
    return int((values > value).sum()) + 1, int((values == value).sum()) > 1


def comparison(frame: pd.DataFrame, code: str, design_effect: float = 1.0) -> pd.DataFrame:
    """One row per survey measure of neighbourhood `code` (see the module docstring), the biggest
    gap to its peers first; empty when the code is not in the table."""
    columns = ["measure", "measure_order", "title", "question", "answer", "neighbourhood_code", "similarity_group",
               "value", "sample_size", "sample_size_assumed"]
    survey = _survey(frame)[columns]
    own = survey[survey["neighbourhood_code"] == code]
    if own.empty:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    group = int(own["similarity_group"].iloc[0])
    by_measure = {m: part for m, part in survey.groupby("measure", sort=False)}
    rows: list[dict[str, Any]] = []
    for mine in own.sort_values("measure_order").to_dict("records"):
        everyone = by_measure[mine["measure"]]
        values = everyone["value"].to_numpy(dtype=float)
        in_group = everyone["similarity_group"].to_numpy() == group
        is_peer = in_group & (everyone["neighbourhood_code"].to_numpy() != code)
        members, peers = values[in_group], values[is_peer]
        value, size = float(mine["value"]), float(mine["sample_size"])
        interval = survey_interval(value, size, design_effect=design_effect)
        row: dict[str, Any] = {
            "measure": mine["measure"], "title": mine["title"], "question": mine["question"],
            "answer": mine["answer"], "value": value, "interval_low": float(interval.lower),
            "interval_high": float(interval.upper), "sample_size": int(size),
            "sample_size_assumed": bool(mine["sample_size_assumed"]), "similarity_group": group,
            "group_size": len(members), "group_mean": float(members.mean()),
            "group_min": float(members.min()), "group_max": float(members.max()),
            "peers": len(peers), "london_size": len(values), "london_mean": float(values.mean()),
            "london_min": float(values.min()), "london_max": float(values.max()),
        }
        row["rank_in_group"], row["tied_in_group"] = _rank(members, value)
        row["rank_in_london"], row["tied_in_london"] = _rank(values, value)
        row.update(peer_mean=np.nan, gap=np.nan, gap_low=np.nan, gap_high=np.nan, versus_peers=None)
        if len(peers):
            peer_mean = float(peers.mean())
            own_n = size / design_effect
            peer_n = float(everyone["sample_size"].to_numpy(dtype=float)[is_peer].sum()) / design_effect
            gap = newcombe_difference(value * own_n, own_n, peer_mean * peer_n, peer_n)
            low, high = float(gap.lower), float(gap.upper)
            row.update(peer_mean=peer_mean, gap=value - peer_mean, gap_low=low, gap_high=high,
                       versus_peers=HIGHER if low > 0 else LOWER if high < 0 else NOT_CLEAR)
        rows.append(row)
    found = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    order = found["gap"].abs().fillna(-1).sort_values(ascending=False, kind="stable").index
    return found.loc[order].reset_index(drop=True)


def group_figures(frame: pd.DataFrame, group: int) -> pd.DataFrame:
    """Every survey figure of the neighbourhoods of one similarity group, for the dot plots and their table."""
    survey = _survey(frame)
    members = survey[survey["similarity_group"] == group]
    return members[["neighbourhood_code", "neighbourhood", "borough_name", "measure", "title", "measure_order",
                    "value"]].sort_values(["measure_order", "value"], ascending=[True, False]).reset_index(drop=True)


def drivers(frame: pd.DataFrame) -> pd.DataFrame:
    """For each survey measure other than overall confidence: its correlation with overall confidence
    across neighbourhoods (pairs with both figures), the strongest Spearman correlation first."""
    survey = _survey(frame)
    wide = survey.pivot_table(index="neighbourhood_code", columns="measure", values="value")
    if OVERALL not in wide:
        return pd.DataFrame(columns=DRIVER_COLUMNS)
    titles = survey.drop_duplicates("measure").set_index("measure")["title"]
    rows = []
    for measure in wide.columns:
        if measure == OVERALL:
            continue
        rank = correlation(wide[measure], wide[OVERALL], "spearman")
        linear = correlation(wide[measure], wide[OVERALL], "pearson")
        rows.append({"measure": measure, "title": titles[measure], "pairs": rank.pairs,
                     "spearman": rank.estimate, "spearman_low": rank.lower, "spearman_high": rank.upper,
                     "pearson": linear.estimate, "pearson_low": linear.lower, "pearson_high": linear.upper})
    found = pd.DataFrame(rows, columns=DRIVER_COLUMNS)
    return found.sort_values("spearman", ascending=False, key=abs).reset_index(drop=True)
