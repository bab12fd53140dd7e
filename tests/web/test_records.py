"""`records` turns a frame into JSON-safe dicts column by column: each value must be what
`json_safe` makes of that cell on its own, of the same Python type, for every dtype a frame of
the measures table (or a cut of one) can come with."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oversight.web.records import frame_records, json_safe, json_safe_column, records
from oversight.web.store import Store


def typed(values: list[Any]) -> str:
    """The values with their types, so that 1, 1.0 and True are told apart."""
    return json.dumps([(type(v).__name__, v) for v in values], default=str)


def cell_by_cell(frame: pd.DataFrame, column: str) -> list[Any]:
    """`json_safe` of each cell as pandas hands over a row (`to_dict`), as records() once did."""
    return [json_safe(row[column]) for row in frame.to_dict("records")]


AWKWARD = pd.DataFrame({
    "float": [1.5, np.nan, 0.0, -2.0],
    "int": np.array([1, 2, 3, 4], dtype=np.int64),
    "bool": [True, False, True, False],
    "nullable_int": pd.array([2021, None, 2011, None], dtype="Int32"),
    "nullable_bool": pd.array([True, None, False, None], dtype="boolean"),
    "text": pd.Series(["a", None, "c", "d"], dtype="str"),
    "object": pd.Series(["x", None, np.nan, ["flag"]], dtype=object),
    "dates": pd.to_datetime(["2024-01-31", None, "2024-03-31", "2024-04-30"]).astype("datetime64[us]"),
    "times": pd.to_datetime(["2024-01-31 12:30", None, "2024-03-31 00:00", "2024-04-30 00:00"])
               .astype("datetime64[us]"),
    "no_dates": pd.Series([pd.NaT] * 4, dtype="datetime64[us]"),
    "numpy_in_object": pd.Series([np.datetime64("2024-01-31"), np.datetime64("NaT"), np.int32(7), np.float32("nan")],
                                 dtype=object),
})


def test_each_column_is_what_json_safe_makes_of_each_cell() -> None:
    for name in AWKWARD.columns:
        assert typed(json_safe_column(AWKWARD[name])) == typed(cell_by_cell(AWKWARD, name)), name
    assert json_safe_column(AWKWARD["dates"]) == ["2024-01-31", None, "2024-03-31", "2024-04-30"]
    assert json_safe_column(AWKWARD["times"])[0] == "2024-01-31T12:30:00"
    assert json_safe_column(AWKWARD["nullable_int"]) == [2021, None, 2011, None]
    assert json_safe_column(AWKWARD["numpy_in_object"]) == ["2024-01-31", None, 7, None]
    rows = frame_records(AWKWARD)
    assert typed([list(r.values()) for r in rows]) == typed(
        [[json_safe(v) for v in row.values()] for row in AWKWARD.to_dict("records")])


def test_the_rows_of_real_figures_are_the_cells_made_json_safe(web_warehouse: Path) -> None:
    store = Store(web_warehouse)
    try:
        with store.serving():
            frames = [store.values(m, level=level, area=area, breakdown=None)
                      for m in store.catalogue if store.has_data(m)
                      for level, area in (("force", "metropolitan"), ("borough", "E09000022"))
                      if level in store.catalogue[m].levels]
            checked = 0
            for frame in frames:
                got = records(frame, store)
                for column in frame.columns:
                    assert typed([r[column] for r in got]) == typed(cell_by_cell(frame, column)), column
                checked += len(got)
            assert checked > 10_000
            row = next(r for f in frames for r in records(f, store) if r["period_type"] == "month")
            assert row["period_key"] == row["period_end"][:7]
            assert isinstance(row["area_name"], str) and dt.date.fromisoformat(row["period_end"])
    finally:
        store.close()
