"""Secondary (complementary) suppression: hide enough published figures that no hidden one
can be worked out from the rest.

Figures are *cells*, numbered 0..n-1. The arithmetic a reader can do with them is given as
*relations*: linear equations sum(coefficient * value) = 0 over a few cells, such as
"total - part_1 - ... - part_k = 0". A hidden cell is *disclosed* when the published cells
and the relations fix its value exactly. In matrix terms: with M the relations (one row per
relation, one column per cell) and H the hidden cells, the hidden values solve
M_H x_H = -M_P x_P, and cell h is fixed exactly when every solution of M_H y = 0 has y_h = 0,
that is when the unit vector of h lies in the row space of M_H.

`disclosed_cells` decides that exactly, in two steps:

1. A relation with one hidden cell fixes it (the subtraction anyone can do); that cell then
   counts as known, and this is repeated.
2. What is left splits into independent pieces (connected components of hidden cells and the
   relations between them); each is reduced to row echelon form, and a cell is fixed when a
   reduced row has a single non-zero entry, in its column. (A cell in only one relation is
   not thereby free: x = y and x = y + z fix z = 0.)

Step 2 counts in integers modulo the prime 2^31 - 1 rather than in floating point, so there
is no rounding: the answer equals the one over the rationals unless the prime divides a minor
of a block's matrix, which for blocks of entries 1 and -1 of the sizes met here is remote.

`secondary_suppression` chooses the extra cells to hide, in the spirit of the Gaussian
elimination method of Statistics Norway (Langsrud 2024): starting from the primary cells, while
any relation has exactly one hidden cell it hides the smallest published cell of that relation
(all such relations at once), and when none does it runs the exact check and, for each hidden
cell still disclosed, hides the smallest published cell in a relation that contains it, until
the exact check finds nothing. Smaller cells are preferred because they carry less information;
the rounds are repeated until nothing changes, so the result is a fixed point, not an optimum
(finding the fewest cells is NP-hard in general).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from oversight.stats._validate import BoolArray

IntArray = npt.NDArray[np.int64]

PRIME: Final = 2**31 - 1
"""Modulus of the exact elimination: products of two residues fit in 64 bits."""

ON_ITS_OWN: Final = -1
"""Block number of a relation that is checked on its own (by subtraction) only."""


class Relations(NamedTuple):
    """Linear relations over cells, one entry per (relation, cell): for every relation r,
    the sum of coefficient * value over its entries is 0. Cells are 0..n-1; a relation
    names each cell at most once. `block` (the same for every entry of a relation) says which
    relations are checked together: all of one block at once, exactly; a relation of block
    ON_ITS_OWN by itself, which is the subtraction check."""

    relation: IntArray
    cell: IntArray
    coefficient: IntArray
    block: IntArray

    @property
    def count(self) -> int:
        return int(self.relation.max()) + 1 if self.relation.size else 0

    @classmethod
    def sums(cls, totals_and_parts: Iterable[tuple[int, Sequence[int]]]) -> Relations:
        """Relations "total = sum of parts", from (total cell, part cells) pairs, in one block."""
        relation, cell, coefficient = [], [], []
        for number, (total, parts) in enumerate(totals_and_parts):
            relation += [number] * (1 + len(parts))
            cell += [total, *parts]
            coefficient += [1] + [-1] * len(parts)
        return cls.of(relation, cell, coefficient)

    @classmethod
    def of(cls, relation: npt.ArrayLike, cell: npt.ArrayLike, coefficient: npt.ArrayLike,
           block: npt.ArrayLike | int = 0) -> Relations:
        relation = np.asarray(relation, np.int64)
        return cls(relation, np.asarray(cell, np.int64), np.asarray(coefficient, np.int64),
                   np.broadcast_to(np.asarray(block, np.int64), relation.shape).copy())

    @classmethod
    def concat(cls, parts: Sequence[Relations]) -> Relations:
        """One set of relations from several, renumbering the relations of each in turn.
        Block numbers are kept as they are."""
        if not parts:
            return cls.of([], [], [])
        offsets = np.cumsum([0] + [p.count for p in parts])
        return cls(*(np.concatenate(column) for column in zip(*(
            (p.relation + o, p.cell, p.coefficient, p.block) for p, o in zip(parts, offsets)))))


def _check(func: str, n: int, relations: Relations) -> None:
    shapes = {a.shape for a in relations}
    if len(shapes) != 1:
        raise ValueError(f"{func}: relations must have one relation, cell, coefficient and block per entry")
    if relations.cell.size and (relations.cell.min() < 0 or relations.cell.max() >= n):
        raise ValueError(f"{func}: relations name cells outside 0..{n - 1}")
    if np.any(relations.coefficient == 0):
        raise ValueError(f"{func}: relation coefficients must not be 0")


# the exact check -----------------------------------------------------------------------------


def disclosed_cells(published: npt.ArrayLike, relations: Relations) -> BoolArray:
    """Hidden cells (published False) whose value is fixed exactly by the published cells and
    the relations of one block, or of a relation on its own; a cell found fixed counts as known
    for the others, and this is repeated until nothing more is found. With every relation in
    one block (the default of `Relations.of` and `Relations.sums`) this is the full exact check.
    Published cells are False in the result."""
    shown = np.asarray(published, dtype=bool)
    _check("disclosed_cells", shown.size, relations)
    return _Blocks(shown.size, relations).disclosed(shown)


class _Blocks:
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


# choosing the cells to hide ------------------------------------------------------------------


def secondary_suppression(values: npt.ArrayLike, primary: npt.ArrayLike, relations: Relations) -> BoolArray:
    """Published cells to hide as well as the `primary` ones so that `disclosed_cells` finds
    no hidden cell fixed: True for those cells only (primary cells are False). Among the
    candidates, cells with smaller `values` (the counts behind them) are hidden first; ties go
    to the lower cell number, so the result is reproducible."""
    cost = np.asarray(values, dtype=float)
    hidden = np.asarray(primary, dtype=bool).copy()
    if cost.shape != hidden.shape:
        raise ValueError(f"secondary_suppression: values and primary must have matching shapes; "
                         f"got {cost.shape} and {hidden.shape}")
    _check("secondary_suppression", hidden.size, relations)
    rel, cell = relations.relation, relations.cell
    count = relations.count
    blocks = _Blocks(hidden.size, relations)
    checked = np.zeros(hidden.size, bool)  # hidden when the blocks were last checked
    dirty = np.ones(blocks.count, bool)
    while True:
        while True:
            lone = np.bincount(rel, weights=hidden[cell], minlength=count) == 1
            if not lone.any():
                break
            hidden[_cheapest_shown(rel, cell, cost, hidden, lone)] = True
        # Only blocks with a newly hidden cell, or with a disclosure last time, can change.
        dirty |= blocks.blocks_of(hidden & ~checked)
        checked = hidden.copy()
        disclosed = blocks.disclosed(~hidden, dirty)
        if not disclosed.any():
            break
        dirty = blocks.blocks_of(disclosed)
        extra = _cheapest_beside(rel, cell, cost, hidden, disclosed)
        if extra.size == 0:
            break  # only a relation of hidden cells alone fixes them; nothing left to hide
        hidden[extra] = True
    return hidden & ~np.asarray(primary, dtype=bool)


def _cheapest_shown(rel: IntArray, cell: IntArray, cost: npt.NDArray[np.float64], hidden: BoolArray,
                    chosen: BoolArray) -> IntArray:
    """The cheapest published cell of each chosen relation (none for a relation without one)."""
    e = np.flatnonzero(chosen[rel] & ~hidden[cell])
    order = e[np.lexsort((cell[e], cost[cell[e]], rel[e]))]
    first = np.r_[True, rel[order][1:] != rel[order][:-1]] if order.size else np.zeros(0, bool)
    return np.unique(cell[order[first]])


def _cheapest_beside(rel: IntArray, cell: IntArray, cost: npt.NDArray[np.float64], hidden: BoolArray,
                     disclosed: BoolArray) -> IntArray:
    """For each disclosed cell, the cheapest published cell of any relation that contains it."""
    count = int(rel.max()) + 1
    touched = np.zeros(count, bool)
    touched[rel[disclosed[cell]]] = True
    best = np.full(count, -1, np.int64)
    e = np.flatnonzero(touched[rel] & ~hidden[cell])
    order = e[np.lexsort((cell[e], cost[cell[e]], rel[e]))]
    if order.size == 0:
        return np.zeros(0, np.int64)
    first = np.r_[True, rel[order][1:] != rel[order][:-1]]
    best[rel[order[first]]] = cell[order[first]]
    # Each disclosed cell takes the cheapest of the candidates of its relations.
    d = np.flatnonzero(disclosed[cell] & (best[rel] >= 0))
    candidate = best[rel[d]]
    pick = np.lexsort((candidate, cost[candidate], cell[d]))
    owner = cell[d][pick]
    first = np.r_[True, owner[1:] != owner[:-1]]
    return np.unique(candidate[pick][first])
