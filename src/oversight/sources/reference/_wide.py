"""Wide-to-long for published count tables: one output row per (input row, value column).

Every cell is checked the same way: a count is a whole number >= 0 ('447337.0' is accepted,
as the Home Office CSVs write whole numbers that way). A cell that is not is returned as a
`Rejected` naming the line, the column it sits in and why, so the loader quarantines it.
A blank cell is either rejected or kept as NULL, as the caller says (a blank in a Home Office
table means "not provided by the force"; a blank in an MPS crime table is an error).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oversight.sources.reference.dataset import Rejected


def melt_counts(
    frame: pd.DataFrame,
    id_columns: list[str],
    value_columns: list[str],
    *,
    blank_is_null: bool,
    record_columns: list[str] | None = None,
) -> tuple[pd.DataFrame, list[Rejected], int]:
    """Long rows `id_columns + ['column', 'count', 'line']`, rejected cells, and blanks kept as NULL.

    `frame` holds the raw strings plus a `line` column (the input line of each row).
    `record_columns` are the published columns copied into each rejected cell's record.
    """
    long = frame.melt(id_vars=[*id_columns, "line"], value_vars=value_columns, var_name="column", value_name="raw")
    raw = long["raw"].fillna("").astype(str).str.strip()
    blank = raw == ""
    number = pd.to_numeric(raw.where(~blank), errors="coerce")
    finite = np.isfinite(number.to_numpy(dtype="float64", na_value=np.nan))
    whole = finite & (number.fillna(0) == np.floor(number.fillna(0))).to_numpy()
    ok = (finite & whole & (number.fillna(-1) >= 0).to_numpy()) | (blank.to_numpy() & blank_is_null)
    reason = np.select(
        [blank.to_numpy(), ~finite, ~whole, (number.fillna(0) < 0).to_numpy()],
        ["blank cell, not a count", "not a number", "not a whole number", "negative count"],
        default="",
    )
    rejected: list[Rejected] = []
    shown = record_columns if record_columns is not None else id_columns
    for i in np.flatnonzero(~ok):
        row = long.iloc[i]
        record = {c: row[c] for c in shown}
        record[row["column"]] = row["raw"]
        rejected.append(Rejected(int(row["line"]), str(row["column"]), str(row["raw"]), str(reason[i]), record))
    kept = long.loc[ok].copy()
    kept["count"] = number.loc[ok].astype("Int64")
    kept_blank = int((blank & pd.Series(ok, index=long.index)).sum())
    return kept.drop(columns="raw"), rejected, kept_blank
