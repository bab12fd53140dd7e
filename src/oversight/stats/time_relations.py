"""Relations in time between the figures of one series (a measure, area and breakdown):
periods as sums of months (or quarters), periods covering the same months, and steps of a
rolling 12 months. Each relation is checked on its own."""

from __future__ import annotations

import numpy as np

from oversight.stats.measure_codes import Codes
from oversight.stats.relations import ON_ITS_OWN, IntArray, Relations


def _sums(total: IntArray, parts: IntArray) -> Relations:
    """Relations "total[k] = sum of parts[k, :]" (parts may hold -1 for no cell)."""
    k, width = parts.shape
    relation = np.repeat(np.arange(k, dtype=np.int32), width + 1)
    cell = np.column_stack([total, parts]).astype(np.int32).ravel()
    coefficient = np.tile(np.r_[1, -np.ones(width, np.int8)].astype(np.int8), k)
    present = cell >= 0
    # Every relation keeps its total, so the relation numbers stay dense.
    return Relations(relation[present], cell[present], coefficient[present],
                     np.full(int(present.sum()), ON_ITS_OWN, np.int32))


class _Periods:
    """Find the row of a series' period by its type and first month."""

    def __init__(self, c: Codes, series: IntArray) -> None:
        self.c = c
        self.series = series
        self.first = int(c.start.min()) if c.n else 0
        self.months = int(c.start.max()) - self.first + 1 if c.n else 1
        self.types = int(c.period_type.max()) + 1 if c.n else 1
        key = self.key(series, c.period_type, c.start)
        self.order = np.argsort(key)
        self.sorted = key[self.order]

    def key(self, series: IntArray, period_type: IntArray | int, start: IntArray) -> IntArray:
        return (series * self.types + period_type) * self.months + (start - self.first)

    def run(self, period_type: int, start: IntArray, length: int, at: IntArray) -> tuple[IntArray, IntArray]:
        """For each row at[k], the rows of `period_type` starting at start[k], start[k] + 1, ...
        start[k] + length - 1 in its series (one row per k, columns in order), and whether all
        exist. The keys are distinct integers in order, so `length` rows from the first found
        are those periods exactly when the last one's key is the first's plus length - 1."""
        if period_type < 0 or not self.sorted.size:
            return np.zeros((at.size, length), np.int64), np.zeros(at.size, bool)
        inside = (start >= self.first) & (start + length - 1 < self.first + self.months)
        key = self.key(self.series[at], period_type, np.clip(start, self.first, self.first + self.months - 1))
        position = np.searchsorted(self.sorted, key)
        last = np.minimum(position + length - 1, self.sorted.size - 1)
        whole = inside & (position + length - 1 < self.sorted.size) & (self.sorted[last] == key + length - 1)
        whole &= self.sorted[np.minimum(position, self.sorted.size - 1)] == key
        rows = self.order[np.minimum(position[:, None] + np.arange(length), self.sorted.size - 1)]
        return rows, whole

    def find(self, period_type: int, start: IntArray, at: IntArray) -> IntArray:
        """The row of `period_type` starting at start[k] in the series of row at[k]; -1 if none."""
        rows, whole = self.run(period_type, start, 1, at)
        return np.where(whole, rows[:, 0], -1)


def time_relations(c: Codes) -> list[Relations]:
    """Every time relation of the table (see the module docstring)."""
    series = c.key(c.measure, c.area, c.breakdown)
    span = c.end - c.start + 1
    periods = _Periods(c, series)
    found: list[Relations] = []
    aggregate = np.flatnonzero(c.period_type != c.month_type)
    tiled = np.zeros(c.n, bool)
    for length in np.unique(span[aggregate]):
        at = aggregate[span[aggregate] == length]
        months, whole = periods.run(c.month_type, c.start[at], int(length), at)
        tiled[at[whole]] = True
        found.append(_sums(at[whole], months[whole]))
    untiled = np.flatnonzero(~tiled & (c.period_type != c.month_type) & (c.period_type != c.quarter_type)
                             & (span % 3 == 0))
    for length in np.unique(span[untiled]):
        at = untiled[span[untiled] == length]
        quarters = np.column_stack([periods.find(c.quarter_type, c.start[at] + k, at) for k in range(0, length, 3)])
        complete = (quarters >= 0).all(axis=1)
        found.append(_sums(at[complete], quarters[complete]))
    found.append(_same_span(c, series))
    found.append(_rolling_steps(c, periods, span))
    return found


def _same_span(c: Codes, series: IntArray) -> Relations:
    """Figures of one series covering the same months under two period types are equal: each
    equals the first row of the table with that series and months."""
    span = c.key(series, c.start, c.end)
    order = np.argsort(span, kind="stable")
    first = np.r_[True, span[order][1:] != span[order][:-1]]
    head = order[np.maximum.accumulate(np.where(first, np.arange(c.n), 0))]
    twin = order[~first]
    return _sums(head[~first], twin[:, None]) if twin.size else Relations.of([], [], [])


def _rolling_steps(c: Codes, periods: _Periods, span: IntArray) -> Relations:
    """rolling(t) - rolling(t-1) = month(t) - month(t-12), and the same by quarters:
    rolling(t) - rolling(t-3) = quarter(t) - quarter(t-12)."""
    rolling = np.flatnonzero(c.period_type == c.rolling_type)
    found = []
    for step_type, step in ((c.month_type, 1), (c.quarter_type, 3)):
        if step_type < 0 or rolling.size == 0:
            continue
        # A step's period is `step` months long, ending where the rolling 12 months end.
        start = c.end[rolling] - step + 1
        before = periods.find(c.rolling_type, c.start[rolling] - step, rolling)
        latest = periods.find(step_type, start, rolling)
        year_ago = periods.find(step_type, start - 12, rolling)
        ok = (before >= 0) & (latest >= 0) & (year_ago >= 0)
        ok[ok] &= (span[before[ok]] == span[rolling[ok]]) & (span[latest[ok]] == step) & (span[year_ago[ok]] == step)
        count = int(ok.sum())
        found.append(Relations(
            np.repeat(np.arange(count, dtype=np.int32), 4),
            np.column_stack([rolling[ok], before[ok], latest[ok], year_ago[ok]]).astype(np.int32).ravel(),
            np.tile(np.array([1, -1, -1, 1], np.int8), count),
            np.full(4 * count, ON_ITS_OWN, np.int32),
        ))
    return Relations.concat(found)
