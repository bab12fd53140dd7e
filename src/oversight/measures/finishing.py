"""The statistics on every row of the measures table, in one vectorised pass.

The rows stay in DuckDB; only numbers travel: each row's counts, its measure (as an index
into the catalogue) and its SPC series number are fetched as numeric columns, the statistics
are computed with numpy, and the results come back as numbers and small codes that one SQL
statement joins to the rows and turns into words. Expensive functions (the exact Poisson
limits, the binomial test) are evaluated once per distinct input, since most counts repeat.
"""

from __future__ import annotations

import ctypes
import math
import time
from typing import Final

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from oversight import config
from oversight.measures.catalogue import DERIVED, Measure
from oversight.stats import (
    compare_survey_proportions,
    count_change,
    dispersion_by_series,
    gap_against_band,
    newcombe_difference,
    poisson_interval,
    rate_ratio,
    survey_interval,
    wilson_interval,
)
from oversight.stats.compare import (
    ABOVE_AVERAGE,
    BELOW_AVERAGE,
    CANNOT_TELL,
    IN_LINE_WITH_AVERAGE,
    INSIDE_BAND,
    NO_SIGNIFICANT_CHANGE,
    NOT_COMPARABLE,
    OUTSIDE_BAND,
    SIGNIFICANT_DECREASE,
    SIGNIFICANT_INCREASE,
)
from oversight.stats.measure_relations import protect_measure_values
from oversight.stats.spc_many import (
    COMMON_CAUSE,
    CONCERN,
    IMPROVEMENT,
    INSUFFICIENT_DATA,
    NEUTRAL,
    PRECEDENCE,
    classify_many,
)
from oversight.warehouse.connection import table_exists
from oversight.warehouse.quality import CROSSES_BREAK, FLAG_BITS, NOT_RECORDED

# Words are stored as codes while computing: index 0 is "no word" (NULL).
CHANGE_WORDS: Final = (None, SIGNIFICANT_INCREASE, SIGNIFICANT_DECREASE, NO_SIGNIFICANT_CHANGE, NOT_COMPARABLE)
AVERAGE_WORDS: Final = (None, ABOVE_AVERAGE, BELOW_AVERAGE, IN_LINE_WITH_AVERAGE)
BAND_WORDS: Final = (None, INSIDE_BAND, OUTSIDE_BAND, CANNOT_TELL)
SIGNAL_WORDS: Final = (None, *PRECEDENCE)
VARIATION_WORDS: Final = (None, COMMON_CAUSE, IMPROVEMENT, CONCERN, NEUTRAL, INSUFFICIENT_DATA)
# Why a figure is "not comparable" with a year before, the first that applies (`_not_comparable_because`).
BECAUSE_WORDS: Final = (None, "flagged", "flagged_year_before", "change_of_source", "series_break")

_NUMERIC = ("numerator", "denominator", "value", "sample_size", "interval_low", "interval_high",
            "ref_numerator", "ref_denominator", "qbits", "seg_lo", "seg_hi")
# Each row's figures of the same period a year before, taken from that row (NaN where none).
_BEFORE = ("numerator", "denominator", "value", "sample_size", "qbits", "seg_lo", "seg_hi")
# The columns naming a series: a measure's area and group.
_SERIES = ("measure", "area_level", "area_code", "breakdown")


def order_values(con: duckdb.DuckDBPyConnection) -> None:
    """Rewrite `__values` in the order both passes of the finishing read it: by measure, force,
    area, group and period. Every (measure, force) piece and every series is then a run of
    consecutive rows, so a part is a range of row numbers and DuckDB reads only the row groups that
    hold it, where a part picked by joining to its keys reads the whole table (spilled to disk,
    once per part). The build calls it while DuckDB still has the measure SQL's larger share."""
    has_areas = table_exists(con, "area")
    root = "coalesce(a.force, v.area_code)" if has_areas else "v.area_code"
    area_join = "LEFT JOIN area a ON a.level = v.area_level AND a.code = v.area_code" if has_areas else ""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE __ordered AS
            SELECT v.*, {root} AS piece_root FROM __values v {area_join}
            ORDER BY v.measure, piece_root, v.area_level, v.area_code, v.breakdown, v.period_type,
                     v.period_start""")
    con.execute("DROP TABLE __values")
    con.execute("ALTER TABLE __ordered RENAME TO __values")


def finish_in_warehouse(
    con: duckdb.DuckDBPyConnection, measures: dict[str, Measure], timings: dict[str, float]
) -> None:
    """Turn the raw rows of `__values` (laid out by `order_values`) into the finished rows of
    `__finished` (made empty by the build), a part at a time.

    Two passes, each over parts of at most about `finish_chunk_rows` rows, so that the numbers held
    in Python at once, and so the build's peak memory, follow that setting and not the size of the
    table or of its biggest measure:

    1. secondary suppression, whose relations link the figures of one measure within one force
       (its areas, groups and periods), over parts made of whole (measure, force) pieces;
    2. every other statistic, which relates the rows of one series only (a measure's area and group
       over every period: its year before, overdispersion and SPC), over parts made of whole series.
    """
    ids = list(measures)
    _register_measures(con, measures, ids)
    budget = int(config.default("finish_chunk_rows"))  # type: ignore[call-overload]
    t = time.perf_counter()
    _hide_with_others(con, measures, ids, budget)
    _add(timings, "secondary_suppression", t)
    for first_row, last_row in _row_ranges(con, "measure, piece_root, area_level, area_code, breakdown", budget):
        _finish_part(con, measures, ids, first_row, last_row, timings)
    con.execute("DROP TABLE IF EXISTS __hidden")
    _hide_derived_of_hidden(con, measures)


def _row_ranges(
    con: duckdb.DuckDBPyConnection, unit: str, budget: int, where: str = "true"
) -> list[tuple[int, int]]:
    """The row ranges of `__values` that make parts of whole units (runs of rows with the same
    `unit` columns): each unit goes whole into the part in which its first row falls when the
    units are laid end to end in the table's order, so a part holds at most `budget` rows plus one
    unit. Only rows matching `where` are counted; a range may span others, which the part skips."""
    return [(int(lo), int(hi)) for lo, hi in con.execute(
        f"""SELECT min(lo), max(hi) FROM (
                SELECT lo, hi, (sum(n) OVER (ORDER BY lo ROWS UNBOUNDED PRECEDING) - n) // $budget AS part
                FROM (SELECT min(rowid) AS lo, max(rowid) AS hi, count(*) AS n
                      FROM __values WHERE {where} GROUP BY {unit}))
            GROUP BY part ORDER BY part""", {"budget": budget}).fetchall()]


def _add(timings: dict[str, float], phase: str, since: float) -> float:
    now = time.perf_counter()
    timings[phase] = timings.get(phase, 0.0) + now - since
    return now


def _finish_part(
    con: duckdb.DuckDBPyConnection, measures: dict[str, Measure], ids: list[str], first_row: int, last_row: int,
    timings: dict[str, float],
) -> None:
    t = time.perf_counter()
    fetched = con.sql(_PART_SQL, params={"first": first_row, "last": last_row}).to_arrow_table()
    t = _add(timings, "fetch", t)
    per = {name: np.asarray(values) for name, values in _per_measure(measures, ids).items()}
    m = fetched["m_index"].to_numpy()
    unit, computation = per["unit"][m], per["computation"][m]
    x = {name: fetched[name].to_numpy(zero_copy_only=False).astype(float) for name in _NUMERIC}
    vid = fetched["vid"].to_numpy()
    is_break = fetched["is_break"].to_numpy(zero_copy_only=False)
    hidden_with_others = fetched["hidden_with_others"].to_numpy(zero_copy_only=False)
    series_key, known = _series_keys(fetched)
    period_type = pc.dictionary_encode(fetched["period_type"]).combine_chunks()
    type_code = period_type.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    monthly = _is(fetched["period_type"], "month")
    # The series SPC runs on: every area for 'all', every breakdown down to borough level.
    charted = monthly & (_is(fetched["breakdown"], "all") | pc.fill_null(
        pc.not_equal(fetched["area_level"], "ward"), False).to_numpy(zero_copy_only=False))
    start_day = fetched["start_day"].to_numpy(zero_copy_only=False).astype(float)
    end_day = fetched["end_day"].to_numpy(zero_copy_only=False).astype(float)
    source = pc.dictionary_encode(fetched["source"]).combine_chunks().indices.fill_null(-1).to_numpy(
        zero_copy_only=False)
    start_day_before = fetched["start_day_before"].to_numpy(zero_copy_only=False).astype(float)
    before = _year_before_rows(series_key, known & (type_code >= 0), type_code, start_day, start_day_before)
    del fetched
    has_before = before >= 0
    for name in _BEFORE:
        x[name + "_before"] = np.where(has_before, x[name][before], 0.0 if name in ("qbits", "seg_lo", "seg_hi")
                                       else np.nan)

    value, low, high = _values_and_intervals(x, unit)
    _against_reference(x, computation, value, low, high)
    qbits = x["qbits"].astype(np.int64)
    not_recorded = (qbits & FLAG_BITS[NOT_RECORDED]) > 0
    value[not_recorded] = low[not_recorded] = high[not_recorded] = np.nan
    t = _add(timings, "intervals", t)
    phi = _dispersion(x, qbits, series_key, np.flatnonzero(monthly))
    change = _year_before(x, unit, value, phi)
    not_comparable = (change > 0) & ~_comparable(x, qbits)
    change[not_comparable] = CHANGE_WORDS.index(NOT_COMPARABLE)
    # A row's year before starts on its start_day_before (that is how it was found).
    breaks = _breaks_between(measures, ids, m, np.where(has_before, start_day_before, np.nan), end_day)
    because = _not_comparable_because(x, qbits, source, before, breaks, not_comparable)
    band = _against_band(per["band"][m], value, low, high)
    suppressed, reason = _suppress(x, unit)
    t = _add(timings, "comparisons", t)
    suppressed, reason = suppressed | hidden_with_others, np.where(hidden_with_others, 3, reason)
    in_order = _spc_window(series_key, charted & (qbits == 0), charted, start_day)
    # Flagged months are not part of any SPC series: they neither get limits nor set them.
    unflagged = qbits[in_order] == 0
    clean = in_order[unflagged]
    # A suppressed month leaves its series without limits: the published mean of the others would
    # give the hidden count back (n x mean - the rest), as a missing month does.
    spc_value = np.where(suppressed, np.nan, value)
    spc = _spc(clean, series_key[clean], _breaks_kept(in_order, unflagged, is_break, series_key),
               per["polarity"][m], spc_value)
    t = _add(timings, "spc", t)

    columns = {
        "vid": vid,
        "value": value, "interval_low": low, "interval_high": high,
        "suppressed": suppressed, "reason": reason.astype(np.int8),
        "change": change.astype(np.int8), "band": band.astype(np.int8),
        "value_year_before": _value_before(x, unit, computation, suppressed, before),
        "because": because,
        **spc,
    }
    # NaN, numpy's "no number", goes to SQL as NULL.
    computed = pa.table({name: pa.array(c, from_pandas=True) for name, c in columns.items()})
    con.register("__computed", computed)
    try:
        con.execute(f"INSERT INTO __finished BY NAME {_finished_select()}", {"first": first_row, "last": last_row})
    finally:
        con.unregister("__computed")
    _add(timings, "join", t)


# The rows of one part with what the statistics need: the measure as an index into the catalogue,
# the series' names (to tell one series from the next), period starts as day numbers, declared
# breaks, and whether secondary suppression hides the row.
_PART_SQL = """
SELECT v.rowid AS vid, i.m_index, v.measure, v.area_level, v.area_code, v.breakdown, v.period_type,
       v.period_start - DATE '1970-01-01' AS start_day, v.period_end - DATE '1970-01-01' AS end_day,
       (v.period_start - INTERVAL 12 MONTH)::DATE - DATE '1970-01-01' AS start_day_before,
       coalesce(v.is_break, false) OR k.month IS NOT NULL AS is_break,
       h.vid IS NOT NULL AS hidden_with_others,
       v.numerator, v.denominator, v.value, v.sample_size, v.interval_low, v.interval_high,
       v.ref_numerator, v.ref_denominator, v.source,
       coalesce(v.qbits, 0) AS qbits, coalesce(v.seg_lo, 0) AS seg_lo, coalesce(v.seg_hi, 0) AS seg_hi
FROM __values v
JOIN __measure_index i USING (measure)
LEFT JOIN __breaks k ON k.measure = v.measure AND k.month = v.period_start AND v.period_type = 'month'
LEFT JOIN (SELECT DISTINCT vid FROM __hidden WHERE vid BETWEEN $first AND $last) h ON h.vid = v.rowid
WHERE v.rowid BETWEEN $first AND $last
ORDER BY v.rowid
"""


def _series_keys(fetched: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """A number for each row's series, counting up from 0 in the table's order (`order_values`
    lays each series out as one run of rows), and whether the row's series columns are all known
    (a NULL among them matches nothing, as in an SQL join)."""
    change = np.zeros(fetched.num_rows, dtype=bool)
    known = np.ones(fetched.num_rows, dtype=bool)
    for name in _SERIES:
        codes = pc.dictionary_encode(fetched[name]).combine_chunks().indices.fill_null(-1)
        codes = codes.to_numpy(zero_copy_only=False)
        change[1:] |= codes[1:] != codes[:-1]
        known &= codes >= 0
    return np.cumsum(change), known


def _is(column: pa.ChunkedArray, word: str) -> np.ndarray:
    return pc.fill_null(pc.equal(column, word), False).to_numpy(zero_copy_only=False)


def _year_before_rows(
    series_key: np.ndarray, known: np.ndarray, type_code: np.ndarray, start_day: np.ndarray,
    start_day_before: np.ndarray,
) -> np.ndarray:
    """The position of each row's period of the same type in the same series starting 12 months
    earlier, or -1. Rows not `known` (a NULL in their series or period type) match nothing."""
    known = known & np.isfinite(start_day)
    if not known.any():
        return np.full(series_key.size, -1)
    days = np.where(known, start_day, 0).astype(np.int64)
    low, span = int(days[known].min()), int(days[known].max() - days[known].min()) + 1
    cell = series_key * (int(type_code.max()) + 1) + type_code
    key = cell * span + (days - low)
    wanted = np.where(known & np.isfinite(start_day_before), start_day_before, low - 1).astype(np.int64)
    target = cell * span + (wanted - low)
    candidates = np.flatnonzero(known)
    order = candidates[np.argsort(key[candidates], kind="stable")]
    at = np.minimum(np.searchsorted(key[order], target), order.size - 1)
    found = order[at]
    hit = known & (wanted >= low) & (key[found] == target)
    return np.where(hit, found, -1)


def _spc_window(series_key: np.ndarray, clean: np.ndarray, charted: np.ndarray, start_day: np.ndarray) -> np.ndarray:
    """Positions of the charted monthly rows SPC looks at, in series and time order: the last
    `spc_window_months` up to each series' last unflagged month. Over a decade a series drifts,
    and limits around a long-run mean would call most recent months special cause."""
    window = int(config.default("spc_window_months"))  # type: ignore[call-overload]
    rows = np.flatnonzero(charted)
    if not rows.size:
        return rows
    last_clean = np.full(int(series_key.max()) + 1, -np.inf)
    np.maximum.at(last_clean, series_key[clean], start_day[clean])
    bound = _months_before(last_clean[series_key[rows]], window)
    return rows[start_day[rows] > bound]


def _breaks_kept(in_order: np.ndarray, unflagged: np.ndarray, is_break: np.ndarray, series_key: np.ndarray
                 ) -> np.ndarray:
    """Breaks for SPC once flagged months have left it: a break on a flagged month (a new
    segment's first month is the one most often incomplete) moves to the series' next unflagged
    month, so the limits still restart there instead of spanning both segments."""
    kept = is_break.copy()
    at = np.flatnonzero(unflagged)  # places in `in_order` of the months SPC sees
    if not at.size:
        return kept
    seen = np.cumsum(is_break[in_order])  # breaks up to and including each place
    rows = in_order[at]
    since_previous = seen[at] - np.concatenate([[0], seen[at[:-1]]])
    same_series = np.concatenate([[False], series_key[rows[1:]] == series_key[rows[:-1]]])
    kept[rows] = np.where(same_series, since_previous > 0, is_break[rows])
    return kept


def _months_before(days: np.ndarray, months: int) -> np.ndarray:
    """Day numbers `months` calendar months earlier, as SQL's date - INTERVAL n MONTH: the same day
    of the month, or that month's last day when it is shorter. -inf stays -inf."""
    out = np.full(days.size, -np.inf)
    known = np.isfinite(days)
    day = days[known].astype("int64").astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    target = month - months
    shifted = np.minimum(target.astype("datetime64[D]") + (day - month.astype("datetime64[D]")),
                         (target + 1).astype("datetime64[D]") - 1)
    out[known] = shifted.astype(np.int64)
    return out


# setting up ------------------------------------------------------------------------------------


def _per_measure(measures: dict[str, Measure], ids: list[str]) -> dict[str, list[object]]:
    return {
        "unit": [measures[i].unit for i in ids],
        "computation": [measures[i].computation for i in ids],
        "polarity": [measures[i].polarity for i in ids],
        "band": [np.nan if measures[i].band is None else measures[i].band for i in ids],
    }


def _register_measures(con: duckdb.DuckDBPyConnection, measures: dict[str, Measure], ids: list[str]) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE __measure_index (measure VARCHAR, m_index INTEGER)")
    con.executemany("INSERT INTO __measure_index VALUES (?, ?)", [[i, n] for n, i in enumerate(ids)])
    con.execute("CREATE OR REPLACE TEMP TABLE __breaks (measure VARCHAR, month DATE)")
    breaks = [[m.id, f"{b}-01"] for m in measures.values() for b in m.series_breaks]
    if breaks:
        con.executemany("INSERT INTO __breaks VALUES (?, ?)", breaks)


def _finished_select() -> str:
    def words(column: str, table: tuple[str | None, ...]) -> str:
        listed = ", ".join("NULL" if w is None else "'" + w.replace("'", "''") + "'" for w in table)
        return f"([{listed}]::VARCHAR[])[c.{column} + 1]"

    below = int(config.default("suppress_below"))  # type: ignore[call-overload]
    not_recorded = FLAG_BITS[NOT_RECORDED]
    flags = ", ".join(f"CASE WHEN r.qbits & {bit} > 0 THEN '{flag}' END" for flag, bit in FLAG_BITS.items())
    return f"""
    SELECT r.measure, r.period_type, r.period_start, r.period_end, r.area_level, r.area_code, r.breakdown,
           c.value, CASE WHEN coalesce(r.qbits, 0) & {not_recorded} = 0 THEN r.numerator END AS numerator,
           CASE WHEN coalesce(r.qbits, 0) & {not_recorded} = 0 THEN r.denominator END AS denominator,
           r.denominator_year, c.interval_low, c.interval_high,
           r.sample_size, r.sample_size_assumed, c.suppressed,
           (['fewer than {below} records', 'fewer than {below} respondents',
             '{HIDDEN_WITH_OTHERS}'])[c.reason] AS suppression_reason,
           c.spc_mean, c.spc_lower, c.spc_upper,
           {words('spc_signal', SIGNAL_WORDS)} AS spc_signal,
           {words('spc_variation', VARIATION_WORDS)} AS spc_variation,
           {words('change', CHANGE_WORDS)} AS vs_year_before, c.value_year_before,
           {words('because', BECAUSE_WORDS)} AS not_comparable_because,
           {words('vs_average', AVERAGE_WORDS)} AS vs_average,
           {words('band', BAND_WORDS)} AS vs_band,
           list_filter([{flags}], lambda f: f IS NOT NULL) AS quality_flags,
           r.qreason AS quality_note, r.source
    FROM __values r JOIN __computed c ON c.vid = r.rowid
    -- the part's rows only: the join alone would read the whole table for each part
    WHERE r.rowid BETWEEN $first AND $last
    """


# values and intervals -----------------------------------------------------------------------------


def _whole(a: np.ndarray) -> np.ndarray:
    return np.isfinite(a) & (a >= 0) & (np.floor(a) == a)


def _poisson_limits(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson limits, computed once per distinct count."""
    distinct, back = np.unique(counts, return_inverse=True)
    interval = poisson_interval(distinct)
    return np.asarray(interval.lower, float)[back], np.asarray(interval.upper, float)[back]


def _values_and_intervals(x: dict[str, np.ndarray], unit: np.ndarray) -> tuple[np.ndarray, ...]:
    num, den = x["numerator"], x["denominator"]
    value, low, high = x["value"].copy(), x["interval_low"].copy(), x["interval_high"].copy()
    given = np.isfinite(value)

    def put(rows: np.ndarray, est: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        """The estimate unless the source published one; the interval unless it gave one."""
        take = rows & ~given
        value[take] = est[take]
        open_ = rows & np.isnan(low)
        low[open_], high[open_] = lo[open_], hi[open_]

    nan = np.full(value.size, np.nan)
    counts = (unit == "count") & _whole(num)
    if counts.any():
        lo, hi = nan.copy(), nan.copy()
        lo[counts], hi[counts] = _poisson_limits(num[counts])
        put(counts, num, lo, hi)
    # Rates: the count's Poisson limits over the denominator. An allocated rate's count is
    # fractional; its interval is the stated count's, scaled by the same factor.
    stated = x["ref_numerator"]
    rates = (unit == "rate_per_1000") & np.isfinite(num) & (den > 0)
    scaled = rates & ~_whole(num) & np.isfinite(stated) & (stated > 0)
    basis = np.where(scaled, stated, num)
    rates &= _whole(basis)
    if rates.any():
        factor = np.where(scaled, num / np.where(stated > 0, stated, 1), 1.0) * 1000 / np.where(den > 0, den, 1)
        lo, hi = nan.copy(), nan.copy()
        lo[rates], hi[rates] = _poisson_limits(basis[rates])
        put(rates, num * 1000 / np.where(den > 0, den, 1), lo * factor, hi * factor)
    props = (unit == "proportion") & np.isfinite(num) & (den > 0) & (num <= den) & (num >= 0)
    if props.any():
        interval = wilson_interval(num[props], den[props])
        est, lo, hi = nan.copy(), nan.copy(), nan.copy()
        est[props], lo[props], hi[props] = interval
        put(props, est, lo, hi)
    n = x["sample_size"]
    survey = (unit == "survey_proportion") & given & (n > 0) & (value >= 0) & (value <= 1)
    if survey.any():
        interval = survey_interval(value[survey], n[survey], design_effect=_design_effect())
        lo, hi = nan.copy(), nan.copy()
        lo[survey], hi[survey] = interval.lower, interval.upper
        put(survey, value, lo, hi)
    return value, low, high


def _against_reference(
    x: dict[str, np.ndarray], computation: np.ndarray, value: np.ndarray, low: np.ndarray, high: np.ndarray
) -> None:
    """Rate ratios (log method) and differences of proportions (Newcombe, in points). A partner
    survey gap (`engine._build_partner_gaps`) is a difference of weighted, so fractional, counts."""
    num, den, ref_num, ref_den = x["numerator"], x["denominator"], x["ref_numerator"], x["ref_denominator"]
    usable = _whole(num) & _whole(ref_num) & (den > 0) & (ref_den > 0)
    survey_gap = ((computation == "partner") & np.isfinite(num) & np.isfinite(ref_num) & (num >= 0) & (ref_num >= 0)
                  & (den > 0) & (ref_den > 0))
    for kind, scale in (("ratio", 1.0), ("difference", 100.0)):
        rows = (computation == kind) & usable
        if kind == "difference":
            rows |= survey_gap
        if kind == "difference":
            rows &= (num <= den) & (ref_num <= ref_den)
        if not rows.any():
            continue
        if kind == "ratio":
            got = rate_ratio(num[rows], den[rows], ref_num[rows], ref_den[rows])
        else:
            got = newcombe_difference(num[rows], den[rows], ref_num[rows], ref_den[rows])
        for target, part in zip((value, low, high), got, strict=False):
            target[rows] = np.asarray(part, dtype=float) * scale


# comparisons and flags ---------------------------------------------------------------------------


def _codes(words: object, table: tuple[str | None, ...]) -> np.ndarray:
    arr = np.asarray(words, dtype=object)
    out = np.zeros(arr.shape, dtype=np.int64)
    for code, word in enumerate(table):
        if word is not None:
            out[arr == word] = code
    return out


def _dispersion(x: dict[str, np.ndarray], qbits: np.ndarray, key: np.ndarray, at: np.ndarray) -> np.ndarray:
    """phi of each row's series (measure, area, breakdown), estimated from its unflagged monthly
    numerators and applied to every period of it: counts vary more than Poisson, and a test that
    ignores it calls ordinary moves significant (docs/methods.md). `at` are the monthly rows, in
    series and time order."""
    phi_rows = np.ones(key.size)
    if not at.size:
        return phi_rows
    counts = np.where(qbits[at] == 0, x["numerator"][at], np.nan)
    counts = np.where(_whole(counts), counts, np.nan)
    phi = dispersion_by_series(key[at], counts)
    known = key < phi.size
    phi_rows[known] = phi[key[known]]
    return phi_rows


def _year_before(x: dict[str, np.ndarray], unit: np.ndarray, value: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Against the same period a year before (for rolling 12 months: the previous 12); counts and
    rates tested with their series' overdispersion `phi`."""
    code = np.zeros(value.size, dtype=np.int64)
    num, num_b = x["numerator"], x["numerator_before"]
    den, den_b = x["denominator"], x["denominator_before"]
    with np.errstate(divide="ignore", invalid="ignore"):
        value_b = np.where(np.isfinite(x["value_before"]), x["value_before"],
                           np.where(den_b > 0, num_b / den_b, np.nan))
    counts = (unit == "count") & _whole(num) & _whole(num_b)
    if counts.any():
        code[counts] = _change_codes(count_change(num[counts], num_b[counts], dispersion=phi[counts]))
    rates = (unit == "rate_per_1000") & _whole(num) & _whole(num_b) & (den > 0) & (den_b > 0)
    if rates.any():
        code[rates] = _change_codes(count_change(num[rates], num_b[rates], den[rates], den_b[rates],
                                                 dispersion=phi[rates]))
    props = (unit == "proportion") & (den > 0) & (den_b > 0) & np.isfinite(value) & np.isfinite(value_b)
    props &= (value >= 0) & (value <= 1) & (value_b >= 0) & (value_b <= 1)
    if props.any():
        code[props] = _codes(compare_survey_proportions(value[props], den[props], value_b[props], den_b[props]),
                             CHANGE_WORDS)
    n, n_b = x["sample_size"], x["sample_size_before"]
    survey = (unit == "survey_proportion") & (n > 0) & (n_b > 0) & np.isfinite(value) & np.isfinite(value_b)
    survey &= (value >= 0) & (value <= 1) & (value_b >= 0) & (value_b <= 1)
    if survey.any():
        deff = _design_effect()
        code[survey] = _codes(compare_survey_proportions(value[survey], n[survey] / deff, value_b[survey],
                                                         n_b[survey] / deff), CHANGE_WORDS)
    return code


def _change_codes(direction: np.ndarray) -> np.ndarray:
    """CHANGE_WORDS codes of `count_change`'s directions (1 up, -1 down, 0 no change)."""
    table = np.array([CHANGE_WORDS.index(SIGNIFICANT_DECREASE), CHANGE_WORDS.index(NO_SIGNIFICANT_CHANGE),
                      CHANGE_WORDS.index(SIGNIFICANT_INCREASE)])
    return table[direction.astype(np.int64) + 1]


def _value_before(
    x: dict[str, np.ndarray], unit: np.ndarray, computation: np.ndarray, suppressed: np.ndarray,
    before_at: np.ndarray,
) -> np.ndarray:
    """The figure of the same period a year before, as it was computed for that period: shown
    beside the verdict with the change. Not for derived measures (their reference moves too),
    and never where the year-before figure is itself suppressed. `before_at` is the position of
    each row's year-before row, or -1."""
    num, den, given = x["numerator_before"], x["denominator_before"], x["value_before"]
    with np.errstate(divide="ignore", invalid="ignore"):
        before = np.select(
            [np.isfinite(given), unit == "count", unit == "rate_per_1000", unit == "proportion"],
            [given, num, num * 1000 / den, num / den], np.nan)
    before[np.isin(computation, DERIVED)] = np.nan
    has = before_at >= 0
    hidden = np.zeros(before.size, dtype=bool)
    hidden[has] = suppressed[before_at[has]]
    hidden |= (x["qbits_before"].astype(np.int64) & FLAG_BITS[NOT_RECORDED]) > 0
    before[hidden | ~has] = np.nan
    return before


HIDDEN_WITH_OTHERS: Final = "hidden so that a suppressed figure cannot be worked out from the published ones"


def _hide_with_others(
    con: duckdb.DuckDBPyConnection, measures: dict[str, Measure], ids: list[str], budget: int
) -> None:
    """Complementary suppression of the additive ('records') measures, into `__hidden` (the vid of
    each row to hide): the further figures to hide so that no suppressed one can be worked out by
    adding and subtracting published ones (stats.measure_relations; docs/methods.md).

    Its relations link one measure's figures across groups, periods and nested areas, and areas nest
    within one force (the `area` table gives a force no parent), so each (measure, force) piece is
    protected on its own: the same cells are hidden as when the whole table is done at once."""
    con.execute("CREATE OR REPLACE TEMP TABLE __hidden (vid BIGINT)")
    additive = [n for n, i in enumerate(ids) if measures[i].computation == "records"]
    if config.default("secondary_suppression") == "off" or not additive:
        return
    areas = (con.execute("SELECT level, code, parent_level, parent_code FROM area").df()
             if table_exists(con, "area") else pd.DataFrame(columns=["level", "code", "parent_level", "parent_code"]))
    unit = np.asarray(_per_measure(measures, ids)["unit"])
    exact = config.default("secondary_suppression") == "exact"
    additive_rows = "measure IN ({})".format(", ".join("'" + ids[n].replace("'", "''") + "'" for n in additive))
    for first_row, last_row in _row_ranges(con, "measure, piece_root", budget, where=additive_rows):
        fetched = con.sql(
            f"""SELECT v.rowid AS vid, i.m_index, v.measure, v.period_type, v.period_start, v.period_end,
                       v.area_level, v.area_code, v.breakdown, v.numerator, v.denominator
                FROM __values v JOIN __measure_index i USING (measure)
                WHERE v.rowid BETWEEN $first AND $last AND {additive_rows}
                ORDER BY v.rowid""",
            params={"first": first_row, "last": last_row},
        ).to_arrow_table()
        # A fixed order: where cells tie, the choice of which to hide must not vary by run. The
        # rows are put in it as small codes and numbers (Arrow's take of the text took longer).
        encoded = _encode_text(fetched)  # once, for both the order and the frame
        order = _sort_order(fetched, _SUPPRESSION_ORDER, encoded)
        frame = _lean_frame(fetched, encoded).take(order).reset_index(drop=True)
        del fetched, order, encoded
        _give_back_memory()
        rows_unit = unit[frame["m_index"].to_numpy(np.int64)]
        # An additive measure's unit is a count, a rate or a proportion: neither a reference
        # group nor a sample size enters its primary suppression.
        absent = np.broadcast_to(np.nan, len(frame))
        numbers = {"numerator": frame["numerator"].to_numpy(float),
                   "denominator": frame["denominator"].to_numpy(float),
                   "ref_numerator": absent, "ref_denominator": absent, "sample_size": absent}
        frame["suppressed"], _ = _suppress(numbers, rows_unit)
        del numbers
        if not frame["suppressed"].any():
            continue
        frame["denominator"] = frame["denominator"].where(rows_unit == "proportion")
        extra = protect_measure_values(frame, areas, exact=exact)
        con.register("__hidden_now", pd.DataFrame({"vid": frame["vid"].to_numpy(np.int64)[extra]}))
        try:
            con.execute("INSERT INTO __hidden SELECT vid FROM __hidden_now")
        finally:
            con.unregister("__hidden_now")


_SUPPRESSION_ORDER = ("measure", "period_type", "period_end", "area_level", "area_code", "breakdown")


def _encode_text(table: pa.Table) -> dict[str, pa.DictionaryArray]:
    """Each text column of `table` dictionary-encoded (a code per row, each distinct text once)."""
    return {name: pc.dictionary_encode(table.column(name)).combine_chunks() for name in table.column_names
            if pa.types.is_string(table.column(name).type) or pa.types.is_large_string(table.column(name).type)}


def _sort_order(table: pa.Table, columns: tuple[str, ...],
                encoded: dict[str, pa.DictionaryArray] | None = None) -> np.ndarray:
    """The positions of `table`'s rows in the order SQL's ORDER BY `columns` gives (text by its
    bytes, NULLs last), ties kept in table order: DuckDB's sort of a part's wide rows took five
    times as long as fetching them, where one number per row sorts in a fraction of it."""
    texts = encoded if encoded is not None else _encode_text(table.select(list(columns)))
    ranks = []
    for name in columns:
        column = table.column(name)
        if name in texts:
            codes = texts[name]
            distinct = len(codes.dictionary)
            # Each text's place among the distinct texts; the last entry is NULL's, after them all.
            rank = np.empty(distinct + 1, np.int64)
            rank[pc.array_sort_indices(codes.dictionary).to_numpy()] = np.arange(distinct)
            rank[distinct] = distinct
            ranks.append(rank[codes.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)])
        else:
            # Dates as day numbers (Arrow casts a date only to 32 bits), the rest as they are.
            whole = pc.cast(column, pa.int32()) if pa.types.is_date32(column.type) else column
            values = pc.fill_null(whole, 0).to_numpy(zero_copy_only=False).astype(np.int64)
            known = pc.is_valid(column).to_numpy(zero_copy_only=False)
            low = int(values[known].min()) if known.any() else 0
            high = int(values[known].max()) if known.any() else 0
            ranks.append(np.where(known, values - low, high - low + 1).astype(np.int64))
    sizes = [int(r.max()) + 1 if r.size else 1 for r in ranks]
    if math.prod(sizes) >= 2**62:  # too many combinations for one number
        return np.lexsort(ranks[::-1])
    key = np.zeros(table.num_rows, np.int64)
    for rank, size in zip(ranks, sizes, strict=True):
        key = key * size + rank
    return np.argsort(key, kind="stable")


def _give_back_memory() -> None:
    """Hand memory freed by Arrow and numpy back to the system before the next big step: their
    allocators otherwise keep it for reuse, and the process would carry the fetched table's size
    into the suppression that follows."""
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: its allocator decides
        pass


def _lean_frame(table: pa.Table, encoded: dict[str, pa.DictionaryArray] | None = None) -> pd.DataFrame:
    """A fetched table as a frame with its text columns as categories built straight from Arrow's
    dictionary encoding: a text value per row is never made (a million rows of the measures table
    take about 50 MB, where Arrow-backed strings took 2.5 times as much)."""
    texts = encoded if encoded is not None else _encode_text(table)
    columns: dict[str, object] = {}
    for name in table.column_names:
        if name in texts:
            columns[name] = pd.Categorical.from_codes(texts[name].indices.to_numpy(zero_copy_only=False),
                                                      texts[name].dictionary.to_pylist())
        else:
            columns[name] = table.column(name).to_numpy()
    return pd.DataFrame(columns)


def _hide_derived_of_hidden(con: duckdb.DuckDBPyConnection, measures: dict[str, Measure]) -> None:
    """A rate ratio, a gap or an allocated rate is hidden wherever the group figure or the
    reference figure it is computed from is hidden: published, it would give the hidden one back."""
    derived = pd.DataFrame([(m.id, m.of, m.reference or "") for m in measures.values() if m.is_derived],
                           columns=["measure", "of", "reference"])
    if derived.empty:
        return
    con.register("__derived", derived)
    try:  # one pass over the table for every derived measure
        con.execute(
            f"""UPDATE __finished d SET suppressed = true, suppression_reason = '{HIDDEN_WITH_OTHERS}',
                    value = NULL, interval_low = NULL, interval_high = NULL
            FROM __derived k, __finished g
            WHERE d.measure = k.measure AND NOT d.suppressed AND g.measure = k.of AND g.suppressed
              AND g.period_type = d.period_type AND g.period_end = d.period_end
              AND g.area_level = d.area_level AND g.area_code = d.area_code
              AND (g.breakdown = d.breakdown OR g.breakdown = k.reference OR g.breakdown = 'all')"""
        )
    finally:
        con.unregister("__derived")


def _design_effect() -> float:
    return float(config.default("survey_design_effect"))  # type: ignore[arg-type]


def _comparable(x: dict[str, np.ndarray], qbits: np.ndarray) -> np.ndarray:
    """Both periods unflagged and in one segment of the series."""
    before = np.nan_to_num(x["qbits_before"]).astype(np.int64)
    lo, hi, lo_b, hi_b = x["seg_lo"], x["seg_hi"], x["seg_lo_before"], x["seg_hi_before"]
    return (qbits == 0) & (before == 0) & (lo == hi) & (lo_b == hi_b) & (lo == lo_b)


def _not_comparable_because(
    x: dict[str, np.ndarray], qbits: np.ndarray, source: np.ndarray, before: np.ndarray, breaks: np.ndarray,
    rows: np.ndarray,
) -> np.ndarray:
    """Why each of `rows` (not comparable with its year before) is not, as a BECAUSE_WORDS code, the
    first that applies: the figure itself is flagged (for more than spanning a break); the figure
    a year before is; the two come from different sources, or the same source with a declared
    series break in or between them (`breaks`); else a change of source there and back. A period
    flagged only as spanning a break is said by what it spans. `source` is a code per row and
    `before` each row's year-before position (-1: none)."""
    crossing = FLAG_BITS[CROSSES_BREAK]
    flagged_before = np.nan_to_num(x["qbits_before"]).astype(np.int64) & ~crossing != 0
    source_before = np.where(before >= 0, source[np.maximum(before, 0)], -1)
    code = np.select([qbits & ~crossing != 0, flagged_before, (source == source_before) & breaks], [1, 2, 4], 3)
    return np.where(rows, code, 0).astype(np.int8)


def _breaks_between(measures: dict[str, Measure], ids: list[str], m: np.ndarray, first_day: np.ndarray,
                    last_day: np.ndarray) -> np.ndarray:
    """Whether a series break its measure declares (or, for a derived measure, the measure it is
    computed from) starts a month after `first_day` and on or before `last_day`."""
    found = np.zeros(m.size, bool)
    for index, measure_id in enumerate(ids):
        measure = measures[measure_id]
        declared = [*measure.series_breaks, *(measures[measure.of].series_breaks
                                              if measure.of in measures else ())]
        if not declared:
            continue
        days = (np.array([f"{b}-01" for b in declared], dtype="datetime64[D]")
                - np.datetime64("1970-01-01", "D")).astype(np.int64)
        mine = m == index
        for day in days:
            found |= mine & (first_day < day) & (day <= last_day)
    return found


def _against_band(width: np.ndarray, value: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Gaps judged against their measure's band; 'cannot tell' also when there is no interval."""
    code = np.zeros(value.size, dtype=np.int64)
    is_gap = np.isfinite(width) & np.isfinite(value)
    judged = is_gap & np.isfinite(low) & np.isfinite(high) & (low <= value) & (value <= high)
    code[is_gap & ~judged] = BAND_WORDS.index(CANNOT_TELL)
    for w in np.unique(width[judged]):
        rows = judged & (width == w)
        code[rows] = _codes(gap_against_band(value[rows], low[rows], high[rows], band=float(w)), BAND_WORDS)
    return code


def _suppress(x: dict[str, np.ndarray], unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Figures resting on fewer than `suppress_below` records or respondents: the count for
    counts and rates, the denominator for proportions, respondents for surveys, and the
    smaller group for comparisons between groups. Reason code 1 = records, 2 = respondents."""
    below = int(config.default("suppress_below"))  # type: ignore[call-overload]
    num, den, ref_num, ref_den = x["numerator"], x["denominator"], x["ref_numerator"], x["ref_denominator"]
    basis = np.where(unit == "proportion", den,
                     np.where(np.isin(unit, ("survey_proportion", "days")), x["sample_size"], num))
    has_ref = np.isfinite(ref_num)
    basis = np.where(has_ref & (unit == "ratio"), np.fmin(num, ref_num), basis)
    basis = np.where(has_ref & (unit == "percentage_points"), np.fmin(den, ref_den), basis)
    # A figure in days (a median) with no case count behind it is not published: nothing says how many.
    basis = np.where((unit == "days") & ~np.isfinite(basis), 0, basis)
    mask = np.isfinite(basis) & (basis < below)
    reason = np.where(mask, np.where(unit == "survey_proportion", 2, 1), 0)
    return mask, reason


def _spc(
    rows: np.ndarray, series: np.ndarray, breaks: np.ndarray, polarity: np.ndarray, value: np.ndarray
) -> dict[str, np.ndarray]:
    """XmR limits and signals for every chosen monthly series at once. `rows` are positions
    in series order, `series` their series numbers; a series with a missing value (a
    proportion with no denominator) gets no limits."""
    size = value.size
    out = {
        "spc_mean": np.full(size, np.nan), "spc_lower": np.full(size, np.nan), "spc_upper": np.full(size, np.nan),
        "spc_signal": np.zeros(size, np.int8), "spc_variation": np.zeros(size, np.int8),
        "vs_average": np.zeros(size, np.int8),
    }
    if rows.size:
        broken = np.bincount(series, weights=~np.isfinite(value[rows])) > 0
        keep = ~broken[series]
        rows, series = rows[keep], series[keep]
    if rows.size:
        result = classify_many(value[rows], series, breaks[rows], polarity[rows])
        out["spc_mean"][rows], out["spc_lower"][rows], out["spc_upper"][rows] = (
            result.mean, result.lower_limit, result.upper_limit)
        out["spc_signal"][rows] = _codes(result.signal, SIGNAL_WORDS)
        out["spc_variation"][rows] = _codes(result.variation, VARIATION_WORDS)
    upper, lower = out["spc_upper"], out["spc_lower"]
    average = np.where(value > upper, 1, np.where(value < lower, 2, 3))
    out["vs_average"] = np.where(np.isfinite(upper), average, 0).astype(np.int8)
    return out
