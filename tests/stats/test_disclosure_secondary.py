"""Secondary suppression: tables made by hand with known answers, and properties that must hold
for any table (no hidden cell can be worked out; a primary cell is never shown)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight.stats.disclosure_check import disclosed_cells
from oversight.stats.relations import ON_ITS_OWN, Relations
from oversight.stats.secondary_suppression import secondary_suppression


def two_way(rows: int, cols: int) -> tuple[Relations, np.ndarray]:
    """Relations of a rows x cols table with its row totals, column totals and grand total.
    Cells are numbered row by row over the (rows+1) x (cols+1) grid, totals last in each."""
    grid = np.arange((rows + 1) * (cols + 1)).reshape(rows + 1, cols + 1)
    pairs = [(int(grid[i, cols]), [int(c) for c in grid[i, :cols]]) for i in range(rows + 1)]
    pairs += [(int(grid[rows, j]), [int(c) for c in grid[:rows, j]]) for j in range(cols + 1)]
    return Relations.sums(pairs), grid


def table_values(inner: np.ndarray) -> np.ndarray:
    """The full grid of a two-way table (inner cells, row totals, column totals, grand total)."""
    full = np.zeros((inner.shape[0] + 1, inner.shape[1] + 1))
    full[:-1, :-1] = inner
    full[:-1, -1] = inner.sum(axis=1)
    full[-1, :] = full[:-1, :].sum(axis=0)
    return full.ravel()


# the exact check --------------------------------------------------------------------------------


def test_one_hidden_cell_of_a_total_is_a_subtraction_away():
    relations = Relations.sums([(0, [1, 2, 3])])
    assert list(disclosed_cells([True, True, False, True], relations)) == [False, False, True, False]


def test_two_hidden_cells_of_one_total_are_safe():
    relations = Relations.sums([(0, [1, 2, 3])])
    assert not disclosed_cells([True, True, False, False], relations).any()


def test_haringey_december_2022_mixed_is_250_minus_the_other_groups():
    # all, Asian, Black, Mixed, Other, White, Not stated: Mixed (7) suppressed alone.
    relations = Relations.sums([(0, [1, 2, 3, 4, 5, 6])])
    shown = np.array([True, True, True, False, True, True, True])
    assert np.flatnonzero(disclosed_cells(shown, relations)).tolist() == [3]


def test_corner_cells_of_a_two_by_two_protect_each_other():
    relations, grid = two_way(2, 2)
    shown = np.ones(grid.size, bool)
    shown[grid[:2, :2].ravel()] = False
    assert not disclosed_cells(shown, relations).any()


def test_three_hidden_cells_of_a_two_by_two_leave_all_three_fixed():
    relations, grid = two_way(2, 2)
    shown = np.ones(grid.size, bool)
    shown[[grid[0, 0], grid[0, 1], grid[1, 0]]] = False
    assert sorted(np.flatnonzero(disclosed_cells(shown, relations))) == sorted(
        [grid[0, 0], grid[0, 1], grid[1, 0]])


def test_a_cell_fixed_only_by_combining_relations_is_found():
    # a + b = T1, a + c = S1, b + c = U: no relation has one hidden cell, yet 2a = T1 + S1 - U.
    relations = Relations.sums([(3, [0, 1]), (4, [0, 2]), (5, [1, 2])])
    shown = np.array([False, False, False, True, True, True])
    assert disclosed_cells(shown, relations).tolist() == [True, True, True, False, False, False]


def test_a_relation_on_its_own_is_checked_by_subtraction_only():
    relations = Relations.sums([(3, [0, 1]), (4, [0, 2]), (5, [1, 2])])
    apart = relations._replace(block=np.full(relations.block.shape, ON_ITS_OWN))
    shown = np.array([False, False, False, True, True, True])
    assert not disclosed_cells(shown, apart).any()


def test_a_cell_fixed_in_one_block_opens_up_another():
    # Block 0: t = a (a alone hidden there is fixed); block 1: u = a + b, fixed once a is known.
    relations = Relations.of([0, 0, 1, 1, 1], [2, 0, 3, 0, 1], [1, -1, 1, -1, -1], [0, 0, 1, 1, 1])
    assert disclosed_cells([False, False, True, True], relations).tolist() == [True, True, False, False]


def test_the_check_matches_exact_rational_arithmetic_on_a_tangle():
    relations = Relations.sums([(6, [0, 1, 2]), (7, [2, 3]), (8, [3, 4, 5]), (9, [0, 5]), (10, [1, 4])])
    shown = np.array([False] * 6 + [True] * 5)
    assert disclosed_cells(shown, relations).tolist() == _fixed_by_rationals(shown, relations).tolist()


# secondary suppression ------------------------------------------------------------------------


def test_a_two_by_two_with_one_primary_cell_needs_three_more():
    relations, grid = two_way(2, 2)
    values = table_values(np.array([[3, 20], [15, 30]]))
    primary = values < 10
    extra = secondary_suppression(values, primary, relations)
    assert sorted(np.flatnonzero(extra)) == sorted([grid[0, 1], grid[1, 0], grid[1, 1]])


def test_the_smallest_published_cell_is_hidden_with_a_lone_primary():
    relations = Relations.sums([(0, [1, 2, 3, 4])])
    values = np.array([250.0, 7, 80, 14, 149])
    extra = secondary_suppression(values, values < 10, relations)
    assert np.flatnonzero(extra).tolist() == [3]


def test_nothing_more_is_hidden_when_nothing_is_disclosed():
    relations = Relations.sums([(0, [1, 2, 3])])
    values = np.array([30.0, 5, 6, 19])
    assert not secondary_suppression(values, values < 10, relations).any()


def test_two_primary_cells_in_a_row_and_a_column_need_a_fourth():
    relations, grid = two_way(3, 3)
    values = table_values(np.array([[4, 30, 40], [25, 5, 50], [60, 70, 80]]))
    primary = values < 10
    hidden = primary | secondary_suppression(values, primary, relations)
    assert not disclosed_cells(~hidden, relations).any()
    assert hidden.sum() == 4
    assert hidden[[grid[0, 0], grid[1, 1], grid[0, 1], grid[1, 0]]].all()


def test_values_and_primary_of_different_lengths_raise():
    with pytest.raises(ValueError, match="values and primary must have matching shapes"):
        secondary_suppression([1.0, 2.0], [True], Relations.sums([(0, [1])]))


def test_relations_naming_a_cell_outside_the_table_raise():
    with pytest.raises(ValueError, match=r"relations name cells outside 0..1"):
        disclosed_cells([True, False], Relations.sums([(0, [1, 2])]))


# properties -----------------------------------------------------------------------------------


@st.composite
def tables(draw):
    """A two-way table of small counts with its totals, the rows grouped under parents whose
    rows are the sums of their children's (a hierarchy of areas crossed with groups)."""
    rows = draw(st.integers(1, 4))
    cols = draw(st.integers(1, 4))
    inner = np.array(draw(st.lists(st.lists(st.integers(0, 40), min_size=cols, max_size=cols),
                                   min_size=rows, max_size=rows)))
    relations, _ = two_way(rows, cols)
    return table_values(inner), relations


@settings(max_examples=150, deadline=None)
@given(tables())
def test_after_secondary_suppression_no_hidden_cell_is_fixed(table):
    values, relations = table
    primary = values < 10
    hidden = primary | secondary_suppression(values, primary, relations)
    assert not disclosed_cells(~hidden, relations).any()


@settings(max_examples=150, deadline=None)
@given(tables())
def test_a_primary_cell_is_never_shown_and_is_never_counted_as_secondary(table):
    values, relations = table
    primary = values < 10
    extra = secondary_suppression(values, primary, relations)
    assert not (extra & primary).any()


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_the_exact_check_agrees_with_rational_arithmetic(data):
    cells = data.draw(st.integers(3, 9))
    count = data.draw(st.integers(1, 5))
    pairs = []
    for _ in range(count):
        members = data.draw(st.lists(st.integers(0, cells - 1), min_size=2, max_size=min(cells, 5), unique=True))
        pairs.append((members[0], members[1:]))
    relations = Relations.sums(pairs)
    shown = np.array(data.draw(st.lists(st.booleans(), min_size=cells, max_size=cells)))
    assert disclosed_cells(shown, relations).tolist() == _fixed_by_rationals(shown, relations).tolist()


def _fixed_by_rationals(shown: np.ndarray, relations: Relations) -> np.ndarray:
    """Independent check: hidden cell h is fixed when appending its unit row to the hidden
    part of the relation matrix does not raise the rank (fractions, no rounding)."""
    hidden = np.flatnonzero(~shown)
    matrix = [[Fraction(0)] * hidden.size for _ in range(relations.count)]
    column = {int(c): k for k, c in enumerate(hidden)}
    for r, c, a in zip(relations.relation, relations.cell, relations.coefficient, strict=False):
        if int(c) in column:
            matrix[int(r)][column[int(c)]] = Fraction(int(a))
    base = _rank(matrix)
    fixed = np.zeros(shown.size, bool)
    for k, c in enumerate(hidden):
        unit = [Fraction(int(j == k)) for j in range(hidden.size)]
        fixed[c] = _rank([*matrix, unit]) == base
    return fixed


def _rank(rows: list[list[Fraction]]) -> int:
    rows = [list(r) for r in rows]
    rank = 0
    width = len(rows[0]) if rows else 0
    for col in range(width):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][col] != 0:
                factor = rows[i][col] / rows[rank][col]
                rows[i] = [x - factor * y for x, y in zip(rows[i], rows[rank], strict=False)]
        rank += 1
    return rank


def test_a_cell_fixed_by_the_relations_alone_stops_the_search():
    # x = y and x = y + z fix z = 0 whatever is published: hiding more cannot help, and the
    # search ends rather than hiding cells in vain.
    relations = Relations.of([0, 0, 1, 1, 1], [0, 1, 0, 1, 2], [1, -1, 1, -1, -1])
    values = np.array([20.0, 20.0, 0.0])
    primary = values < 10
    hidden = primary | secondary_suppression(values, primary, relations)
    assert disclosed_cells(~hidden, relations).tolist() == [False, False, True]
    assert disclosed_cells(np.zeros(3, bool), relations).tolist() == [False, False, True]


def test_without_the_exact_check_only_lone_hidden_cells_are_protected():
    relations = Relations.sums([(3, [0, 1]), (4, [0, 2]), (5, [1, 2])])
    values = np.array([4.0, 5.0, 6.0, 9.0, 10.0, 11.0])
    primary = np.array([True, True, True, False, False, False])
    assert not secondary_suppression(values, primary, relations, exact=False).any()
    assert secondary_suppression(values, primary, relations).any()
