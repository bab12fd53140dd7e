"""Rows of the measures table as plain, JSON-safe dicts: what page data and the API carry.

Every row keeps the columns of `query.OUTPUT_COLUMNS` (dates as ISO text, missing as None) and
gains the change on the year before (`present.words.CHANGE_COLUMNS`), `period_key` (the URL form
of its period) and `area_name` (from the `area` table when loaded, else the code).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Protocol

import numpy as np
import pandas as pd

from oversight.measures.periods import period_key
from oversight.present.labels import as_date
from oversight.present.words import change_columns


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class AreaLookup(Protocol):
    """What `records` needs of a store (`web.store.Store`): an area by code and level."""

    def area(self, code: str, level: str | None = None) -> _Named | None: ...


def json_safe(value: Any) -> Any:
    """Python scalars for JSON: None for NaN/NA/NaT, ISO text for dates, int/float/bool/str."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, dt.datetime):  # pandas Timestamps too
        midnight = (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)
        return value.date().isoformat() if midnight and value.tzinfo is None else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    return value


def records(frame: pd.DataFrame, store: AreaLookup) -> list[dict[str, Any]]:
    """The rows of a `measure_values` frame, JSON-safe, with `period_key` and `area_name`."""
    if frame.empty:
        return []
    out = []
    for row in frame.to_dict("records"):
        record = {k: json_safe(v) for k, v in row.items()}
        record.update(change_columns(record))
        record["period_key"] = period_key(str(row["period_type"]), as_date(row["period_end"]))
        area = store.area(str(row["area_code"]), str(row["area_level"]))
        record["area_name"] = area.name if area else str(row["area_code"])
        out.append(record)
    return out


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Any small frame (catalogue, health) as JSON-safe dicts."""
    return [{k: json_safe(v) for k, v in row.items()} for row in frame.to_dict("records")]
