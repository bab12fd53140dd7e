"""Relations in time between the figures of one series (a measure, area and breakdown):
periods as sums of months (or quarters), periods covering the same months, and steps of a
rolling 12 months. Each relation is checked on its own."""

from __future__ import annotations

import numpy as np

from oversight.stats.measure_codes import Codes, Index
from oversight.stats.relations import ON_ITS_OWN, IntArray, Relations


def _sums(total: IntArray, parts: IntArray) -> Relations:
    """Relations "total[k] = sum of parts[k, :]" (parts may hold -1 for no cell)."""
    k, width = parts.shape
    relation = np.repeat(np.arange(k, dtype=np.int64), width + 1)
    cell = np.column_stack([total, parts]).ravel()
    coefficient = np.tile(np.r_[1, -np.ones(width, np.int64)], k)
    present = cell >= 0
    _, dense = np.unique(relation[present], return_inverse=True)
    return Relations.of(dense, cell[present], coefficient[present], ON_ITS_OWN)


def time_relations(c: Codes) -> list[Relations]:
    """Every time relation of the table (see the module docstring)."""
    cell = np.arange(c.n, dtype=np.int64)
    series = c.key(c.measure, c.area, c.breakdown)
    span = c.end - c.start + 1
    types = c.period_type.max() + 1 if c.n else 1
    starts = Index((series * types + c.period_type) * 100_000 + c.start)
    ends = Index((series * types + c.period_type) * 100_000 + c.end)

    def row(period_type: int, *, start: IntArray | None = None, end: IntArray | None = None,
            at: IntArray) -> IntArray:
        if period_type < 0:
            return np.full(at.size, -1, np.int64)
        key = (series[at] * types + period_type) * 100_000
        return starts.find(key + start) if start is not None else ends.find(key + end)  # type: ignore[operator]

    found: list[Relations] = []
    aggregate = np.flatnonzero(c.period_type != c.month_type)
    tiled = np.zeros(c.n, bool)
    for length in np.unique(span[aggregate]):
        at = aggregate[span[aggregate] == length]
        months = np.column_stack([row(c.month_type, start=c.start[at] + k, at=at) for k in range(length)])
        whole = (months >= 0).all(axis=1)
        tiled[at[whole]] = True
        found.append(_sums(at[whole], months[whole]))
    untiled = np.flatnonzero(~tiled & (c.period_type != c.month_type) & (c.period_type != c.quarter_type)
                             & (span % 3 == 0))
    for length in np.unique(span[untiled]):
        at = untiled[span[untiled] == length]
        quarters = np.column_stack([row(c.quarter_type, start=c.start[at] + k, at=at) for k in range(0, length, 3)])
        whole = (quarters >= 0).all(axis=1)
        found.append(_sums(at[whole], quarters[whole]))
    found.append(_same_span(c, series, cell))
    found.append(_rolling_steps(c, row))
    return found


def _same_span(c: Codes, series: IntArray, cell: IntArray) -> Relations:
    """Figures of one series covering the same months under two period types are equal."""
    span = c.key(series, c.start, c.end)
    order = np.lexsort((c.period_type, span))
    first = np.r_[True, span[order][1:] != span[order][:-1]]
    head = order[np.maximum.accumulate(np.where(first, np.arange(c.n), 0))]
    twin = order[~first]
    return _sums(head[~first], twin[:, None]) if twin.size else Relations.of([], [], [])


def _rolling_steps(c: Codes, row) -> Relations:  # type: ignore[no-untyped-def]
    """rolling(t) - rolling(t-1) = month(t) - month(t-12), and the same by quarters:
    rolling(t) - rolling(t-3) = quarter(t) - quarter(t-12)."""
    rolling = np.flatnonzero(c.period_type == c.rolling_type)
    found = []
    for step_type, step in ((c.month_type, 1), (c.quarter_type, 3)):
        before = row(c.rolling_type, end=c.end[rolling] - step, at=rolling)
        latest = row(step_type, end=c.end[rolling], at=rolling)
        year_ago = row(step_type, end=c.end[rolling] - 12, at=rolling)
        ok = (before >= 0) & (latest >= 0) & (year_ago >= 0)
        found.append(Relations.of(
            np.repeat(np.arange(ok.sum(), dtype=np.int64), 4),
            np.column_stack([rolling[ok], before[ok], latest[ok], year_ago[ok]]).ravel(),
            np.tile(np.array([1, -1, -1, 1], np.int64), int(ok.sum())),
            ON_ITS_OWN,
        ))
    return Relations.concat(found)
