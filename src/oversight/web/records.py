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
    if isinstance(value, np.datetime64 | np.timedelta64):  # as pandas hands them over in a row
        value = pd.Timestamp(value) if isinstance(value, np.datetime64) else pd.Timedelta(value)
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
    out = frame_records(frame)
    for record in out:
        record.update(change_columns(record))
        record["period_key"] = period_key(str(record["period_type"]), as_date(record["period_end"]))
        area = store.area(str(record["area_code"]), str(record["area_level"]))
        record["area_name"] = area.name if area else str(record["area_code"])
    return out


def json_safe_column(column: pd.Series) -> list[Any]:
    """`json_safe` of each value of `column`, whole columns of plain numbers, dates and text at once."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        values = column.to_numpy().tolist()  # Python bool, int and float
        if dtype.kind == "f":
            return [None if v != v else v for v in values]  # NaN is the only value not equal to itself
        return values
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        stamps = column.to_numpy()
        missing = np.isnat(stamps)
        days = stamps.astype("datetime64[D]")
        if (days[~missing] == stamps[~missing]).all():  # dates: midnights, no zone
            texts = np.datetime_as_string(days, unit="D").tolist()
            return [None if gone else text for text, gone in zip(texts, missing.tolist(), strict=True)] \
                if missing.any() else texts
    if isinstance(dtype, pd.StringDtype):  # text, or a missing value (NaN, None or NA)
        return column.to_numpy(dtype=object, na_value=None).tolist()
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "biu":  # Python bool or int, or NA
        return [None if v is pd.NA else v for v in column.tolist()]
    # Text and None are already JSON-safe; anything else (lists, numbers in an object column) goes through json_safe.
    return [v if v is None or type(v) is str else json_safe(v) for v in column.tolist()]


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Any frame's rows as JSON-safe dicts: `json_safe` of each cell, made a column at a time."""
    if frame.shape[1] == 0:
        return [{} for _ in range(len(frame))]
    columns = list(frame.columns)
    # items() goes by position, so repeated labels are safe, at a tenth of iloc's cost per column.
    return [dict(zip(columns, values, strict=True))
            for values in zip(*(json_safe_column(column) for _, column in frame.items()), strict=True)]
