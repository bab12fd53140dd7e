"""How the query layer presents rows of the measures table to every reader."""

from __future__ import annotations

import pandas as pd

from oversight.measures.query import OUTPUT_COLUMNS, READINGS, present_values_unlisted


def test_a_missing_reading_is_none_not_nan_whether_or_not_the_figure_is_hidden():
    """The words beside a figure (its verdicts and SPC reading) come out as objects: text, or None
    where there is none or the figure is suppressed. NaN would read as a word ('nan') to code that
    asks `not row.get(...)`."""
    rows = 3
    frame = pd.DataFrame({c: [None] * rows for c in OUTPUT_COLUMNS if c != "period"})
    frame["period_type"] = "month"
    frame["period_end"] = pd.to_datetime(["2024-01-31"] * rows).astype("datetime64[us]")
    frame["suppressed"] = pd.array([False, False, True], dtype="boolean")
    for column in READINGS:
        frame[column] = pd.Series(["some words", None, "hidden words"], dtype="str")
    out = present_values_unlisted(frame, public=True)
    for column in READINGS:
        assert out[column].dtype == object
        assert out[column].tolist() == ["some words", None, None]
