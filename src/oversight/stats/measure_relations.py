"""The arithmetic that links the figures of a measures table, as relations for
`secondary_suppression`, and the secondary suppression of such a table.

Input: a frame with one row per figure of an *additive* measure (a 'records' measure: counts,
rates per 1,000 residents, proportions of records), with the columns of `measure_value`:

    measure, period_type, period_start, period_end, area_level, area_code, breakdown,
    numerator, denominator, suppressed

`numerator` is the count of records; `denominator` is the count of records behind a
proportion (and NaN for counts and for rates, whose denominator is a population, not a
count to protect); `suppressed` is the primary suppression. Areas nest as given by `areas`
(columns level, code, parent_level, parent_code: the `area` table).

Relations modelled, each within one measure:

- breakdown margins: for each period and area, 'all' = the sum of the groups of each
  breakdown dimension ('Not stated' included); a group with no row is a known zero.
- area nesting: for each period and breakdown, parent = the sum of its child areas, where that
  holds exactly for the numerator or the denominator. Where the parent is larger (records with
  no known ward or borough), the difference is a figure nobody publishes, which can take any
  value, so the relation tells a reader nothing and is left out.
- time: a quarter, year or rolling 12 months = the sum of its months (or, for a measure
  without months, a year = the sum of its quarters); a financial year = the rolling 12 months
  to its March, a calendar year = the rolling 12 months to its December; and, spelled out
  because they link few cells, rolling 12 months to t - rolling 12 months to t-1 =
  month t - month t-12 (with quarters: rolling to t - rolling to t-3 = quarter to t - quarter
  to t-12).

How they are checked: the margins and nesting relations are grouped into *subtables*, one per
measure, period, parent area and breakdown dimension: the parent and its child areas crossed
with 'all' and the groups of that dimension, a two-way table with its totals (an area with
neither parent nor children forms one on its own). Each subtable is checked exactly, as in
the HITAS method of tau-ARGUS for hierarchical tables; the time relations are checked one at
a time. A figure fixed by one check counts as known for all the others, repeatedly. Not
checked: values fixed only by combining relations of two subtables, or of a subtable and a
time relation, where no single subtable or time relation fixes any hidden figure along the
way.

Not modelled: figures shared between measures (the numerator of stop_search_rate is the
self-defined-group count of stop_search_volume) and derived comparisons (gaps, ratios),
which should be hidden whenever a figure they are computed from is hidden.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from oversight.stats._validate import BoolArray
from oversight.stats.measure_codes import Codes, Index
from oversight.stats.relations import ON_ITS_OWN, IntArray, Relations, ranges
from oversight.stats.secondary_suppression import secondary_suppression
from oversight.stats.time_relations import time_relations

COLUMNS = ("measure", "period_type", "period_start", "period_end", "area_level", "area_code",
           "breakdown", "numerator", "suppressed")


def protect_measure_values(frame: pd.DataFrame, areas: pd.DataFrame, *, exact: bool = True) -> BoolArray:
    """Secondary suppression for the rows of `frame` (see the module docstring for the
    columns): True where a figure published so far must be hidden so that no suppressed
    figure can be worked out from the others. Primary rows are False in the result."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"protect_measure_values: frame lacks columns {', '.join(missing)}")
    primary = frame["suppressed"].to_numpy(bool)
    cost = _protected_count(frame)
    return secondary_suppression(cost, primary, measure_relations(frame, areas), exact=exact)


def _protected_count(frame: pd.DataFrame) -> np.ndarray:
    """The count each figure rests on: records behind a proportion, else the numerator."""
    numerator = frame["numerator"].to_numpy(float)
    if "denominator" not in frame.columns:
        return np.nan_to_num(numerator)
    denominator = frame["denominator"].to_numpy(float)
    return np.nan_to_num(np.where(np.isfinite(denominator), denominator, numerator))


def measure_relations(frame: pd.DataFrame, areas: pd.DataFrame) -> Relations:
    """Every relation listed in the module docstring, over the rows of `frame` (row i is
    cell i)."""
    codes = Codes(frame, areas)
    return Relations.concat([_subtables(codes), *time_relations(codes)])


def _grouped(total: IntArray, part: IntArray, group: IntArray) -> Relations:
    """Relations "total of group g = sum of the parts in group g", from one row per part:
    relation k (groups in order) is its total followed by its parts, in row order."""
    order = np.argsort(group, kind="stable")
    ordered = group[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]] if order.size else np.zeros(0, bool)
    relation = np.cumsum(first) - 1
    count = int(first.sum())
    # Entry positions: relation k's total sits just before its parts.
    position = np.arange(order.size) + relation + 1
    head = position[first] - 1
    size = order.size + count
    cell = np.empty(size, np.int32)
    cell[position] = part[order]
    cell[head] = total[order[first]]
    numbers = np.empty(size, np.int32)
    numbers[position] = relation
    numbers[head] = np.arange(count)
    coefficient = np.full(size, -1, np.int8)
    coefficient[head] = 1
    return Relations(numbers, cell, coefficient, np.zeros(size, np.int32))


class _Sums(NamedTuple):
    """Relations with, for each relation, the period (measure, period type, end), the area
    and the breakdown dimension it belongs to (-1: the 'all' breakdown across areas)."""

    relations: Relations
    period: IntArray
    area: IntArray
    dimension: IntArray


def _margins(c: Codes, period: IntArray) -> _Sums:
    cell = np.arange(c.n, dtype=np.int64)
    place = c.key(period, c.area)
    all_row = np.full(place.max() + 1 if c.n else 0, -1, np.int64)
    all_row[place[c.is_all]] = cell[c.is_all]
    part = ~c.is_all & (all_row[place] >= 0)
    relations = _grouped(all_row[place[part]], cell[part], place[part] * (c.dimension.max() + 1) + c.dimension[part])
    head = _first_cell(relations)
    return _Sums(relations, period[head], c.area[head], c.dimension[relations.cell[_first_part(relations)]])


def _nesting(c: Codes, period: IntArray) -> _Sums:
    cell = np.arange(c.n, dtype=np.int64)
    same = c.key(period, c.breakdown)
    areas = c.parent.size + 1
    index = Index(same * areas + c.area)
    parent_area = c.parent[c.area]
    child = parent_area >= 0
    parent_row = np.full(c.n, -1, np.int64)
    parent_row[child] = index.find(same[child] * areas + parent_area[child])
    child &= parent_row >= 0
    exact = np.zeros(c.n, bool)
    for count in (c.numerator, c.denominator):
        summed = np.bincount(parent_row[child], weights=np.nan_to_num(count[child]), minlength=c.n)
        exact |= np.isfinite(count) & (np.abs(summed - count) < 0.5)
    child &= exact[np.maximum(parent_row, 0)]
    relations = _grouped(parent_row[child], cell[child], parent_row[child])
    head = _first_cell(relations)
    return _Sums(relations, period[head], c.area[head], np.where(c.is_all[head], -1, c.dimension[head]))


def _first_cell(relations: Relations) -> IntArray:
    """The total (first) cell of each relation made by `_grouped`."""
    return relations.cell[relations.coefficient > 0].astype(np.int64)


def _first_part(relations: Relations) -> IntArray:
    """Index of the first part entry of each relation made by `_grouped`."""
    return np.flatnonzero(relations.coefficient > 0) + 1


def _subtables(c: Codes) -> Relations:
    """Margins and nesting, each relation placed in the subtables it belongs to (see the module
    docstring): a nesting relation of a group in the subtable of its parent and dimension, one
    of 'all' in every subtable of its parent; a margin in the subtable of its area as parent
    and in that of its parent."""
    period = c.key(c.measure, c.period_type, c.end)
    margins, nesting = _margins(c, period), _nesting(c, period)
    areas = c.parent.size + 1
    dims = int(c.dimension.max()) + 2 if c.n else 1

    def table(at_period: IntArray, area: IntArray, dimension: IntArray) -> IntArray:
        return (at_period * areas + area) * dims + dimension + 1

    parents = np.unique(nesting.period * areas + nesting.area)
    is_parent = np.isin(margins.period * areas + margins.area, parents)
    has_parent = c.parent[margins.area] >= 0
    has_parent &= np.isin(margins.period * areas + c.parent[margins.area], parents)
    m = np.arange(margins.relations.count)
    margin_rel = np.concatenate([m[is_parent], m[has_parent], m[~is_parent & ~has_parent]])
    margin_table = np.concatenate([
        table(margins.period[is_parent], margins.area[is_parent], margins.dimension[is_parent]),
        table(margins.period[has_parent], c.parent[margins.area[has_parent]], margins.dimension[has_parent]),
        np.full(int((~is_parent & ~has_parent).sum()), ON_ITS_OWN, np.int64),
    ])
    # 'all' across areas belongs to each dimension's subtable of the parent.
    r = np.arange(nesting.relations.count)
    group = nesting.dimension >= 0
    across = r[~group]
    pairs_rel, pairs_dim = _each_dimension(across, nesting.period[across] * areas + nesting.area[across],
                                           margins.period * areas + margins.area, margins.dimension)
    nesting_rel = np.concatenate([r[group], pairs_rel])
    nesting_table = np.concatenate([
        table(nesting.period[group], nesting.area[group], nesting.dimension[group]),
        table(nesting.period[pairs_rel], nesting.area[pairs_rel], pairs_dim),
    ])
    blocks = np.concatenate([margin_table, nesting_table])
    numbered = np.where(blocks == ON_ITS_OWN, ON_ITS_OWN, np.unique(blocks, return_inverse=True)[1])
    return Relations.concat([
        _copies(margins.relations, margin_rel, numbered[:margin_rel.size]),
        _copies(nesting.relations, nesting_rel, numbered[margin_rel.size:]),
    ])


def _each_dimension(relation: IntArray, place: IntArray, margin_place: IntArray,
                    margin_dimension: IntArray) -> tuple[IntArray, IntArray]:
    """Pairs (relation, dimension) for every breakdown dimension with a margin at the
    relation's place; a place with no margins keeps its relation with dimension -1."""
    dims = np.unique(margin_place * 4096 + margin_dimension)
    lo = np.searchsorted(dims, place * 4096)
    hi = np.searchsorted(dims, place * 4096 + 4096)
    count = np.maximum(hi - lo, 1)
    rel = np.repeat(relation, count)
    at = np.repeat(lo, count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    found = np.repeat(hi > lo, count)
    dimension = np.where(found, dims[np.minimum(at, max(dims.size - 1, 0))] % 4096 if dims.size else -1, -1)
    return rel, dimension.astype(np.int64)


def _copies(relations: Relations, which: IntArray, block: IntArray) -> Relations:
    """Relation which[k] of `relations` (entries side by side, as `_grouped` makes them), as
    relation k in block block[k]."""
    size = np.bincount(relations.relation, minlength=relations.count)
    start = np.r_[0, np.cumsum(size)]
    length = size[which]
    entry = ranges(start[which], length)
    return Relations(np.repeat(np.arange(which.size, dtype=np.int32), length), relations.cell[entry],
                     relations.coefficient[entry], np.repeat(block.astype(np.int32), length))
