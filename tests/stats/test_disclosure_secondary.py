"""Secondary suppression: tables made by hand with known answers, and properties that must hold
for any table (no hidden cell can be worked out; a primary cell is never shown)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight.stats.disclosure_check import disclosed_cells
from oversight.stats.relations import ON_ITS_OWN, ByRelation, Relations
from oversight.stats.secondary_suppression import secondary_suppression
from oversight.stats.two_way_check import TwoWayBlocks


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


# the two-way check (bridges) against the elimination --------------------------------------------


def _check_as_graph(shown: np.ndarray, relations: Relations) -> tuple[np.ndarray, bool]:
    """Cells the two-way check finds fixed, with nothing known beforehand, and whether every
    block read as a graph."""
    two_way = TwoWayBlocks(shown.size, ByRelation(relations))
    fixed = np.zeros(shown.size, bool)
    fixed[two_way.cell[two_way.bridges(~shown, np.ones(two_way.count, bool))]] = True
    return fixed, two_way.other_blocks.size == 0


@st.composite
def tables_with_holes(draw):
    """One two-way table with margins (a parent and child areas crossed with 'all' and
    groups), some of whose relations are missing (a nesting that does not hold exactly, an
    area without an 'all' row) and some of whose cells have no row (known zeros); relations
    may be written either way round (times -1); any pattern of published cells."""
    rows, cols = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    relations, grid = two_way(rows, cols)
    keep = np.array(draw(st.lists(st.booleans(), min_size=relations.count, max_size=relations.count)))
    flip = np.array(draw(st.lists(st.sampled_from([1, -1]), min_size=relations.count, max_size=relations.count)))
    absent = np.array(draw(st.lists(st.booleans(), min_size=grid.size, max_size=grid.size)))
    entry = keep[relations.relation] & ~absent[relations.cell]
    relation = np.unique(relations.relation[entry], return_inverse=True)[1]
    holed = Relations.of(relation, relations.cell[entry],
                         relations.coefficient[entry] * flip[relations.relation[entry]])
    shown = np.array(draw(st.lists(st.booleans(), min_size=grid.size, max_size=grid.size))) | absent
    return shown, holed


@settings(max_examples=400, deadline=None)
@given(tables_with_holes())
def test_a_two_way_table_reads_as_a_graph_and_its_bridges_are_the_fixed_cells(table):
    shown, relations = table
    fixed, graph = _check_as_graph(shown, relations)
    assert graph
    assert fixed.tolist() == disclosed_cells(shown, relations).tolist()


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_block_of_any_relations_is_checked_as_a_graph_only_when_that_is_exact(data):
    # Cells in at most two relations with coefficients 1 or -1, signed at random: some such
    # blocks cannot be signed consistently (x + y = a and x - y = b fix both) and must not be
    # read as graphs; those that are give the elimination's answer.
    cells = data.draw(st.integers(2, 8))
    count = data.draw(st.integers(1, 5))
    relation, cell, coefficient = [], [], []
    uses = np.zeros(cells, int)
    for r in range(count):
        free = [c for c in range(cells) if uses[c] < 2]
        if not free:
            break
        members = data.draw(st.lists(st.sampled_from(free), min_size=1, max_size=min(len(free), 4), unique=True))
        for c in members:
            relation.append(r)
            cell.append(c)
            coefficient.append(data.draw(st.sampled_from([1, -1])))
            uses[c] += 1
    relations = Relations.of(np.unique(relation, return_inverse=True)[1], cell, coefficient)
    shown = np.array(data.draw(st.lists(st.booleans(), min_size=cells, max_size=cells)))
    fixed, graph = _check_as_graph(shown, relations)
    if graph:
        assert fixed.tolist() == disclosed_cells(shown, relations).tolist()
    else:
        assert _has_unbalanced_cycle(relations)


def _has_unbalanced_cycle(relations: Relations) -> bool:
    """Independent check: no signs s make every cell's two coefficients opposite after
    multiplying each relation r by s[r] (tried exhaustively)."""
    pairs: dict[int, list[tuple[int, int]]] = {}
    for r, c, a in zip(relations.relation.tolist(), relations.cell.tolist(), relations.coefficient.tolist(),
                       strict=False):
        pairs.setdefault(c, []).append((r, a))
    two = [p for p in pairs.values() if len(p) == 2]
    for signs in np.ndindex(*([2] * relations.count)):
        s = [1 - 2 * x for x in signs]
        if all(s[r1] * a1 == -s[r2] * a2 for (r1, a1), (r2, a2) in two):
            return False
    return True


@st.composite
def linked_tables(draw):
    """Two two-way tables with holes sharing some cells (as an area's 'all' row is in the
    subtables of each breakdown dimension), and relations on their own linking cells of both
    (as time relations do)."""
    first_shown, first = draw(tables_with_holes())
    second_shown, second = draw(tables_with_holes())
    n = first_shown.size
    shift = draw(st.integers(0, n))
    second = second._replace(cell=second.cell + shift, block=np.ones_like(second.block))
    size = max(n, shift + second_shown.size)
    own = []
    for _ in range(draw(st.integers(0, 3))):
        members = draw(st.lists(st.integers(0, size - 1), min_size=2, max_size=4, unique=True))
        own.append((members[0], members[1:]))
    singles = Relations.sums(own)
    singles = singles._replace(block=np.full(singles.block.shape, ON_ITS_OWN))
    values = np.array(draw(st.lists(st.integers(0, 40), min_size=size, max_size=size)), float)
    return values, Relations.concat([first, second, singles])


@settings(max_examples=300, deadline=None)
@given(linked_tables())
def test_after_secondary_suppression_no_block_or_relation_fixes_a_hidden_cell(table):
    values, relations = table
    primary = values < 10
    hidden = primary | secondary_suppression(values, primary, relations)
    # Only cells fixed whatever is published may be left fixed.
    fixed_regardless = disclosed_cells(np.zeros(values.size, bool), relations)
    assert not (disclosed_cells(~hidden, relations) & ~fixed_regardless).any()


@settings(max_examples=200, deadline=None)
@given(linked_tables())
def test_subtraction_only_leaves_no_relation_with_one_hidden_cell(table):
    values, relations = table
    primary = values < 10
    hidden = primary | secondary_suppression(values, primary, relations, exact=False)
    hidden_per_relation = np.bincount(relations.relation, weights=hidden[relations.cell], minlength=relations.count)
    size = np.bincount(relations.relation, minlength=relations.count)
    assert not ((hidden_per_relation == 1) & (size > 1)).any()
