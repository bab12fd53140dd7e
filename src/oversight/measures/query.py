"""Reading the measures table: the one way the CLI, web pages, API and report get figures.

Filters are checked in one place, `value_filter`, for the CLI, the report and the web alike:
against the catalogue and the table, so a wrong measure, level, period type, area or period gives
an `OversightError` that says what is available, and every query is parameterised.
`public=True` blanks suppressed figures (value and interval), keeping the reason.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from oversight.errors import OversightError
from oversight.measures.catalogue import Measure, load_catalogue
from oversight.measures.periods import parse_period, period_label
from oversight.warehouse.connection import table_exists

OUTPUT_COLUMNS = [
    "measure", "period", "period_type", "period_start", "period_end", "area_level", "area_code",
    "breakdown", "value", "interval_low", "interval_high", "numerator", "denominator",
    "denominator_year", "sample_size", "sample_size_assumed", "suppressed", "suppression_reason",
    "spc_mean", "spc_lower", "spc_upper", "spc_signal", "spc_variation", "vs_year_before", "value_year_before",
    "not_comparable_because", "vs_average", "vs_band", "quality_flags", "quality_note", "source",
]
# What a suppressed figure must not carry in public: its value, anything it can be worked back
# from, and any reading of it.
HIDDEN_WHEN_SUPPRESSED = ("value", "interval_low", "interval_high", "numerator", "denominator",
                          "spc_mean", "spc_lower", "spc_upper", "value_year_before")
READINGS = ("spc_signal", "spc_variation", "vs_year_before", "not_comparable_because", "vs_average", "vs_band")


def has_measures_table(con: duckdb.DuckDBPyConnection) -> bool:
    return table_exists(con, "measure_value")


def catalogue_status(
    con: duckdb.DuckDBPyConnection, catalogue: dict[str, Measure] | None = None
) -> pd.DataFrame:
    """One row per measure: what it is and whether it has data (status, latest period, areas)."""
    measures = catalogue or load_catalogue()
    rows = pd.DataFrame(
        [
            {"measure": m.id, "title": m.title, "priority": m.priority, "unit": m.unit,
             "polarity": m.polarity, "source": m.source, "computation": m.computation}
            for m in measures.values()
        ]
    )
    if not has_measures_table(con):
        rows["status"] = "not built"
        rows["detail"] = "run 'oversight build'"
        rows["latest_period_end"] = pd.NaT
        rows["areas"] = 0
        return rows
    status = con.execute(
        "SELECT measure, status, detail, latest_period_end, areas FROM measure_status"
    ).df()
    merged = rows.merge(status, on="measure", how="left")
    merged["status"] = merged["status"].fillna("not built")
    merged["areas"] = merged["areas"].fillna(0).astype(int)
    return merged


VALUE_ORDER = "area_level, area_code, breakdown, period_type, period_end"
"""The order of figures in every answer: by area, then breakdown, then period."""


class NoFigures(OversightError):
    """Filters that are valid for a measure but select nothing the table holds (an area or a
    period without figures): the web pages show nothing where the CLI says so."""


def value_filter(
    con: duckdb.DuckDBPyConnection,
    measure_id: str,
    *,
    level: str | None = None,
    period: str | None = None,
    period_type: str | None = None,
    area: str | None = None,
    breakdown: str | None = "all",
    catalogue: dict[str, Measure] | None = None,
) -> tuple[str, list[object]]:
    """The condition (after WHERE, with its parameters) selecting one measure's rows of
    `measure_value`, each filter checked first: OversightError names the filter that is wrong,
    NoFigures the one that selects nothing. `breakdown=None` selects every breakdown."""
    measures = catalogue or load_catalogue()
    measure = measures.get(measure_id)
    if measure is None:
        raise OversightError(
            f"no measure {measure_id!r}; see 'oversight measures' for the {len(measures)} defined",
            field="measure",
        )
    if level is not None and level not in measure.levels:
        raise OversightError(
            f"{measure_id} is not computed at level {level!r}; levels: {', '.join(measure.levels)}",
            field="level",
        )
    if period_type is not None and period_type not in measure.periods:
        raise OversightError(
            f"{measure_id} has no {period_type} figures; periods: {', '.join(measure.periods)}",
            field="period_type",
        )
    if not has_measures_table(con):
        raise OversightError("the measures have not been built yet; run 'oversight build'")
    where: list[str] = ["measure = ?"]
    params: list[object] = [measure_id]
    if level is not None:
        where.append("area_level = ?")
        params.append(level)
    if period is not None:
        kind, end = parse_period(period, period_type)
        if period_type is not None and kind != period_type:
            raise OversightError(f"period {period!r} is a {kind}, not a {period_type}", field="period_type")
        where += ["period_type = ?", "period_end = ?"]
        params += [kind, end]
    elif period_type is not None:
        where.append("period_type = ?")
        params.append(period_type)
    if area is not None:
        known = con.execute(
            "SELECT 1 FROM measure_value WHERE measure = ? AND area_code = ? LIMIT 1", [measure_id, area]
        ).fetchone()
        if known is None:
            raise NoFigures(f"{measure_id} has no figures for area {area!r}", field="area")
        where.append("area_code = ?")
        params.append(area)
    if breakdown is not None:
        where.append("breakdown = ?")
        params.append(breakdown)
    return " AND ".join(where), params


def measure_values(
    con: duckdb.DuckDBPyConnection,
    measure_id: str,
    *,
    level: str | None = None,
    period: str | None = None,
    period_type: str | None = None,
    area: str | None = None,
    breakdown: str | None = "all",
    public: bool = False,
    catalogue: dict[str, Measure] | None = None,
) -> pd.DataFrame:
    """Rows of `measure_value` for one measure, filtered (`value_filter`), in VALUE_ORDER."""
    where, params = value_filter(con, measure_id, level=level, period=period, period_type=period_type, area=area,
                                 breakdown=breakdown, catalogue=catalogue)
    frame = con.execute(f"SELECT * FROM measure_value WHERE {where} ORDER BY {VALUE_ORDER}", params).df()
    if frame.empty and period is not None:
        raise NoFigures(f"{measure_id} has no figures for period {period!r}", field="period")
    return present_values(frame, public=public)


def present_values(frame: pd.DataFrame, *, public: bool = False) -> pd.DataFrame:
    """Rows of `measure_value` as every reader gets them: with a `period` label, in OUTPUT_COLUMNS,
    with `public=True` suppressed figures blanked (value and interval), keeping the reason, and
    each row's quality flags as a list."""
    return flags_as_lists(present_values_unlisted(frame, public=public))


def present_values_unlisted(frame: pd.DataFrame, *, public: bool = False) -> pd.DataFrame:
    """`present_values` but for the quality flags, left as DuckDB hands them over (numpy arrays):
    for a large frame kept in memory and handed out in small cuts, each through `flags_as_lists`.
    A list per row is an object the garbage collector tracks, and tens of thousands of them kept
    make each of its full collections take a tenth of a second; numpy arrays it does not track."""
    frame.insert(1, "period", _period_labels(frame))
    with_newer_columns(frame)
    if public:
        hidden = frame["suppressed"].astype(bool)
        for column in HIDDEN_WHEN_SUPPRESSED:
            frame[column] = frame[column].astype("float64").where(~hidden)
        blank = hidden.to_numpy()
        for column in READINGS:  # words as objects (not inferred as text), None where missing or blanked
            frame[column] = pd.Series(np.where(blank, None, frame[column].to_numpy(dtype=object, na_value=None)),
                                      index=frame.index, dtype=object)
    return frame[OUTPUT_COLUMNS]


NEWER_COLUMNS = ("not_comparable_because",)
"""Columns of `measure_value` that a warehouse built by older code lacks until it is rebuilt."""


def with_newer_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame`, read from `measure_value`, with each of NEWER_COLUMNS it lacks added empty: a
    warehouse built before them is served as before (its words say what they said then)."""
    for column in NEWER_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    return frame


def flags_as_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with each row's quality flags as a list of strings (no flag: an empty list)."""
    # DuckDB hands a list column over as numpy arrays: tolist() is several times faster than list().
    frame["quality_flags"] = [v.tolist() if isinstance(v, np.ndarray) else list(v) if v is not None
                              and not isinstance(v, float) else [] for v in frame["quality_flags"]]
    return frame


def _period_labels(frame: pd.DataFrame) -> list[str]:
    """`period_label` of each row, worked out once per distinct period: an area's figures are tens
    of thousands of rows over a few hundred periods. A period is keyed by its type's number and
    its end's day number, so finding the distinct ones is one numpy sort."""
    if frame.empty:
        return []
    types, type_names = pd.factorize(frame["period_type"])
    days = frame["period_end"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    first = int(days.min())
    distinct, codes = np.unique(types.astype(np.int64) << 32 | (days - first), return_inverse=True)
    labels = np.array([period_label(type_names[key >> 32], np.datetime64((key & 0xFFFFFFFF) + first, "D").item())
                       for key in distinct.tolist()], dtype=object)
    return labels[codes].tolist()
