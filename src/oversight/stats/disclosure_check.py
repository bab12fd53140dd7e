"""The exact check: which hidden figures the published ones and the relations fix.

With M the relations (one row per relation, one column per cell) and H the hidden cells, the
hidden values solve M_H x_H = -M_P x_P, and cell h is fixed exactly when every solution of
M_H y = 0 has y_h = 0, that is when the unit vector of h lies in the row space of M_H.
`disclosed_cells` decides that in two steps:

1. A relation with one hidden cell fixes it (the subtraction anyone can do); that cell then
   counts as known, and this is repeated.
2. What is left splits into independent pieces (connected components of hidden cells and the
   relations between them); each is reduced to row echelon form, and a cell is fixed when a
   reduced row has a single non-zero entry, in its column. (A cell in only one relation is
   not thereby free: x = y and x = y + z fix z = 0.)

Step 2 counts in integers modulo the prime 2^31 - 1 rather than in floating point, so there
is no rounding: the answer equals the one over the rationals unless the prime divides a minor
of a piece's matrix, which for entries 1 and -1 at these sizes is remote.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from oversight.stats._validate import BoolArray
from oversight.stats.relations import ON_ITS_OWN, IntArray, Relations, check

PRIME: Final = 2**31 - 1
"""Modulus of the exact elimination: products of two residues fit in 64 bits."""


def disclosed_cells(published: npt.ArrayLike, relations: Relations) -> BoolArray:
    """Hidden cells (published False) whose value is fixed exactly by the published cells and
    the relations of one block, or of a relation on its own; a cell found fixed counts as known
    for the others, and this is repeated until nothing more is found. With every relation in
    one block (the default of `Relations.of` and `Relations.sums`) this is the full exact check.
    Published cells are False in the result."""
    shown = np.asarray(published, dtype=bool)
    check("disclosed_cells", shown.size, relations)
    return Blocks(shown.size, relations).disclosed(shown)


class Blocks:
    """The relations as separate systems, one per block: each block gets its own copy of each
    of its cells, so that one elimination over all the copies treats the blocks apart."""

    def __init__(self, n: int, relations: Relations) -> None:
        self.n = n
        self.relations = relations
        labels = np.where(relations.block == ON_ITS_OWN, -1 - relations.relation, relations.block)
        self.block = np.unique(labels, return_inverse=True)[1].astype(np.int64)
        self.count = int(self.block.max()) + 1 if self.block.size else 0
        copies, copy = np.unique(self.block * (n + 1) + relations.cell, return_inverse=True)
        self.copy = copy.astype(np.int64)
        self.cell_of_copy = copies % (n + 1)
        self.order = np.argsort(self.block, kind="stable")
        self.starts = np.searchsorted(self.block[self.order], np.arange(self.count + 1))

    def blocks_of(self, cells: BoolArray) -> BoolArray:
        """The blocks that contain any of the given cells."""
        touched = np.zeros(self.count, bool)
        touched[self.block[cells[self.relations.cell]]] = True
        return touched

    def fixed(self, known: BoolArray, blocks: BoolArray) -> BoolArray:
        """Cells fixed within any of the chosen blocks, given the known cells."""
        chosen = np.flatnonzero(blocks)
        length = self.starts[chosen + 1] - self.starts[chosen]
        entry = self.order[np.repeat(self.starts[chosen], length)
                           + np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)]
        relation = np.unique(self.relations.relation[entry], return_inverse=True)[1].astype(np.int64)
        copies, copy = np.unique(self.copy[entry], return_inverse=True)
        cells = self.cell_of_copy[copies]
        system = Relations(relation, copy.astype(np.int64), self.relations.coefficient[entry], relation)
        found = np.zeros(self.n, bool)
        found[cells[_fixed(known[cells], system)]] = True
        return found

    def disclosed(self, shown: BoolArray, blocks: BoolArray | None = None) -> BoolArray:
        """Hidden cells fixed by the blocks chosen (all by default), repeating as cells found
        fixed open up other blocks."""
        known = shown.copy()
        dirty = np.ones(self.count, bool) if blocks is None else blocks.copy()
        while dirty.any():
            new = self.fixed(known, dirty) & ~known
            known |= new
            dirty = self.blocks_of(new) if new.any() else np.zeros(self.count, bool)
        return known & ~shown


def _fixed(shown: BoolArray, relations: Relations) -> BoolArray:
    """Exact check of one system of relations (see the module docstring)."""
    n, count = shown.size, relations.count
    fixed = np.zeros(n, bool)
    unknown = ~shown
    active = np.ones(count, bool)
    rel, cell = relations.relation, relations.cell
    while True:
        keep = active[rel] & unknown[cell]
        rel, cell = rel[keep], cell[keep]
        per_relation = np.bincount(rel, minlength=count)
        active &= per_relation > 0
        single = per_relation == 1
        if not single.any():
            break
        solved = cell[single[rel]]
        fixed[solved] = True
        unknown[solved] = False
        active &= ~single
    if rel.size:
        fixed |= _fixed_in_blocks(rel, cell, relations, n)
    return fixed


def _fixed_in_blocks(rel: IntArray, cell: IntArray, relations: Relations, n: int) -> BoolArray:
    """Cells fixed by the remaining relations, by elimination mod PRIME on each connected
    block; blocks of similar size are reduced together, as one array."""
    fixed = np.zeros(n, bool)
    rows, row_of = np.unique(rel, return_inverse=True)
    cols, col_of = np.unique(cell, return_inverse=True)
    r, c = len(rows), len(cols)
    graph = coo_array((np.ones(rel.size), (row_of, r + col_of)), shape=(r + c, r + c))
    _, component = connected_components(graph, directed=False)
    # Number rows and columns within their component.
    row_component, col_component = component[:r], component[r:]
    local_row = _rank_within(row_component)
    local_col = _rank_within(col_component)
    height = np.bincount(row_component)
    width = np.bincount(col_component, minlength=height.size)
    size_class = _ceil_power_of_two(height) * 65536 + _ceil_power_of_two(width)
    coefficient = _coefficients(relations, rel, cell) % PRIME
    entry_component = row_component[row_of]
    for shape in np.unique(size_class[width > 0]):
        members = np.flatnonzero(size_class == shape)
        slot = np.full(component.max() + 1, -1, np.int64)
        slot[members] = np.arange(members.size)
        e = np.flatnonzero(slot[entry_component] >= 0)
        matrices = np.zeros((members.size, shape // 65536, shape % 65536), np.int64)
        matrices[slot[entry_component[e]], local_row[row_of[e]], local_col[col_of[e]]] = coefficient[e]
        alone = _fixed_columns(matrices)
        batch, column = np.nonzero(alone)
        where = np.full((members.size, shape % 65536), -1, np.int64)
        mine = slot[col_component] >= 0
        where[slot[col_component[mine]], local_col[mine]] = cols[mine]
        fixed[where[batch, column]] = True
    return fixed


def _rank_within(group: IntArray) -> IntArray:
    """Position of each item among the items of its group, in order."""
    order = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[order], group[order])
    rank = np.empty(group.size, np.int64)
    rank[order] = np.arange(group.size) - starts
    return rank


def _ceil_power_of_two(x: IntArray) -> IntArray:
    return (1 << np.ceil(np.log2(np.maximum(x, 1))).astype(np.int64)).astype(np.int64)


def _coefficients(relations: Relations, rel: IntArray, cell: IntArray) -> IntArray:
    """The coefficients of the (relation, cell) entries given, looked up in `relations`."""
    n = int(relations.cell.max()) + 1
    key = relations.relation * n + relations.cell
    order = np.argsort(key)
    at = np.searchsorted(key[order], rel * n + cell)
    return relations.coefficient[order[at]]


def _inverse(a: IntArray) -> IntArray:
    """a^(PRIME-2) mod PRIME: the inverse of each non-zero residue (Fermat)."""
    result = np.ones_like(a)
    base = a % PRIME
    exponent = PRIME - 2
    while exponent:
        if exponent & 1:
            result = result * base % PRIME
        base = base * base % PRIME
        exponent >>= 1
    return result


def _fixed_columns(matrices: IntArray) -> BoolArray:
    """For each matrix of a stack (entries mod PRIME), the columns whose unit vector lies in its
    row space. Each row in turn is made a pivot row on its first non-zero column, which is then
    cleared from every other row; at the end every pivot column is a unit column, so a vector
    of the row space is a combination whose weights are its entries in the pivot columns, and
    a unit vector is in the row space exactly when some reduced row is that unit vector."""
    batch, rows, cols = matrices.shape
    a = matrices
    everyone = np.arange(batch)
    for i in range(rows):
        row = a[:, i, :]
        nonzero = row != 0
        has = nonzero.any(axis=1)
        if not has.any():
            continue
        b = everyone[has]
        pivot = np.argmax(nonzero[b], axis=1)
        scaled = row[b] * _inverse(row[b, pivot])[:, None] % PRIME
        a[b, i, :] = scaled
        factor = a[b, :, pivot]  # (len(b), rows)
        factor[:, i] = 0
        a[b] = (a[b] - factor[:, :, None] * scaled[:, None, :] % PRIME) % PRIME
    alone = np.count_nonzero(a, axis=2) == 1  # (batch, rows)
    fixed = np.zeros((batch, cols), bool)
    bb, rr = np.nonzero(alone)
    fixed[bb, np.argmax(a[bb, rr, :] != 0, axis=1)] = True
    return fixed
