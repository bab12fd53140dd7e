"""Secondary (complementary) suppression: hide enough published figures that no hidden one
can be worked out from the rest (see `disclosure_check` for what "worked out" means).

`secondary_suppression` chooses the extra cells to hide, in the spirit of the Gaussian
elimination method of Statistics Norway (Langsrud 2024): starting from the primary cells, while
any relation has exactly one hidden cell it hides the smallest published cell of that relation
(all such relations at once); when none does it runs the exact check and, for each hidden cell
still fixed, hides the smallest published cell of a relation that fixes it (or, when those
relations have none, of its block), until the exact check finds nothing. Smaller cells are
preferred because they carry less information; the result is a fixed point, not an optimum
(finding the fewest cells is NP-hard in general).

Cells fixed by the relations alone, whatever is published (a zero implied by other known
zeros, say), cannot be protected by hiding more: they are found first and count as known
throughout, neither protected nor hidden to protect others.

The work is kept in proportion to what changes: a relation's count of hidden cells only
grows, so the subtraction check watches only relations with at most one, and the exact check
is rerun only on blocks with a newly hidden cell or a disclosure left from the last round.
Blocks that read as two-way tables are checked as graphs (`TwoWayBlocks`), others by
elimination (`Blocks`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from oversight.stats._validate import BoolArray
from oversight.stats.disclosure_check import Blocks
from oversight.stats.relations import ByRelation, IntArray, Relations, check, ranges
from oversight.stats.two_way_check import TwoWayBlocks

FloatArray = npt.NDArray[np.float64]


def secondary_suppression(values: npt.ArrayLike, primary: npt.ArrayLike, relations: Relations, *,
                          exact: bool = True) -> BoolArray:
    """Published cells to hide as well as the `primary` ones so that no hidden cell is fixed:
    True for those cells only (primary cells are False). Among the candidates, cells with
    smaller `values` (the counts behind them) are hidden first; ties go to the lower cell
    number, so the result is reproducible.

    With `exact` (the default) the result passes `disclosed_cells`, apart from cells fixed by
    the relations alone, whatever is published, which hiding more cannot protect; without it,
    only the subtraction check (no relation is left with exactly one hidden cell)."""
    cost = np.asarray(values, dtype=float)
    primary = np.asarray(primary, dtype=bool)
    if cost.shape != primary.shape:
        raise ValueError(f"secondary_suppression: values and primary must have matching shapes; "
                         f"got {cost.shape} and {primary.shape}")
    check("secondary_suppression", primary.size, relations)
    index = ByRelation(relations)
    checks = _ExactCheck(primary.size, index) if exact else None
    known = checks.fixed_whatever_is_published() if checks else np.zeros(primary.size, bool)
    hidden = primary.copy()
    # Cells that hiding would protect something by: published, and not known regardless.
    open_ = ~hidden & ~known
    subtraction = _Subtraction(index, hidden & ~known)
    changed = hidden.copy()
    while True:
        for cells in subtraction.settle(cost, open_):
            hidden[cells] = True
            changed[cells] = True
        if checks is None:
            break
        extra = checks.complements(hidden & ~known, changed, cost, open_)
        if extra.size == 0:
            break
        changed[:] = False
        changed[extra] = True
        hidden[extra] = True
        open_[extra] = False
        subtraction.add(extra)
    return hidden & ~primary


def cheapest(index: ByRelation, cost: FloatArray, open_: BoolArray, owner: IntArray, relation: IntArray,
             owners: int) -> IntArray:
    """For each owner 0..owners-1, the cheapest open cell of the relations paired with it
    (owner[k] with relation[k]), ties to the lower cell; -1 for an owner with none."""
    length = index.size[relation]
    entry = ranges(index.start[relation], length)
    who = np.repeat(owner, length)
    cell = index.cell[entry]
    ok = open_[cell]
    who, cell = who[ok], cell[ok]
    order = np.lexsort((cell, cost[cell], who))
    best = np.full(owners, -1, np.int64)
    if order.size:
        first = order[np.r_[True, who[order][1:] != who[order][:-1]]]
        best[who[first]] = cell[first]
    return best


class _Subtraction:
    """The subtraction check, kept up to date as cells are hidden: the count of unknown cells
    of each relation, and the entries (cell, relation) of the relations with at most one (a
    count only grows, so a relation with two can be forgotten)."""

    def __init__(self, index: ByRelation, unknown: BoolArray) -> None:
        self.index = index
        self.n = unknown.size
        self.count = np.bincount(index.relation[unknown[index.cell]], minlength=index.count)
        watched = np.flatnonzero(self.count <= 1)
        entry = index.entries(watched)
        self.cell = index.cell[entry]
        self.relation = index.relation[entry]
        self.forgotten = 0  # entries of relations no longer watched, still in the arrays
        self.lone = np.flatnonzero(self.count == 1)

    def add(self, cells: IntArray) -> None:
        """Count the given cells (newly hidden) as unknown."""
        new = np.zeros(self.n, bool)
        new[cells] = True
        relation = self.relation[new[self.cell]]
        np.add.at(self.count, relation, 1)
        touched = np.unique(relation)
        self.lone = np.union1d(self.lone, touched[self.count[touched] == 1])
        self.forgotten += int(self.index.size[touched[self.count[touched] == 2]].sum())
        if self.forgotten > self.cell.size // 4:
            keep = self.count[self.relation] <= 1
            self.cell, self.relation = self.cell[keep], self.relation[keep]
            self.forgotten = 0

    def settle(self, cost: FloatArray, open_: BoolArray):  # type: ignore[no-untyped-def]
        """While some relation has exactly one unknown cell, hide the cheapest open cell of
        each such relation; yields the cells hidden, round by round."""
        while self.lone.size:
            lone, self.lone = self.lone, np.zeros(0, np.int64)
            best = cheapest(self.index, cost, open_, np.arange(lone.size), lone, lone.size)
            cells = np.unique(best[best >= 0])
            if cells.size == 0:
                return
            open_[cells] = False
            self.add(cells)
            yield cells


class _ExactCheck:
    """The exact check, block by block: blocks that read as two-way tables as graphs, the
    others by elimination; a relation on its own is left to the subtraction check."""

    def __init__(self, n: int, index: ByRelation) -> None:
        self.n = n
        self.index = index
        self.two_way = TwoWayBlocks(n, index)
        self.dirty = np.ones(self.two_way.count, bool)
        # Relations of each (graph) block, for complements found nowhere nearer.
        in_block = np.flatnonzero(self.two_way.block_of_relation >= 0)
        self.by_block = in_block[np.argsort(self.two_way.block_of_relation[in_block], kind="stable")]
        self.block_start = np.searchsorted(self.two_way.block_of_relation[self.by_block],
                                           np.arange(self.two_way.count + 1))
        other = np.isin(self.two_way.block_of_relation, self.two_way.other_blocks)
        entry = index.entries(np.flatnonzero(other))
        self.elimination = Relations(index.relation[entry], index.cell[entry], index.coefficient[entry],
                                     index.block[index.relation[entry]])
        self.blocks = Blocks(n, self.elimination) if entry.size else None
        self.elimination_dirty = np.ones(self.blocks.count if self.blocks else 0, bool)

    def fixed_whatever_is_published(self) -> BoolArray:
        """Cells fixed with nothing published: by single relations, blocks and, repeatedly,
        by what these fix."""
        index = self.index
        known = np.zeros(self.n, bool)
        count = index.size.copy()  # cells not known, per relation
        graphs = np.ones(self.two_way.count, bool)
        others = np.ones(self.blocks.count if self.blocks else 0, bool)
        while True:
            lone = np.flatnonzero(count == 1)
            entry = index.entries(lone)
            new = np.zeros(self.n, bool)
            new[index.cell[entry[~known[index.cell[entry]]]]] = True
            edges = self.two_way.bridges(~known, graphs)
            new[self.two_way.cell[edges]] = True
            if self.blocks is not None and others.any():
                new |= self.blocks.disclosed(known, others)
            new &= ~known
            if not new.any():
                return known
            known |= new
            count -= np.bincount(index.relation[new[index.cell]], minlength=index.count)
            graphs = self.two_way.blocks_of(new)
            others = self.blocks.blocks_of(new) if self.blocks else others

    def complements(self, unknown: BoolArray, changed: BoolArray, cost: FloatArray,
                    open_: BoolArray) -> IntArray:
        """Cells to hide next: for each unknown cell fixed in a block with a newly `changed`
        cell or with a disclosure last time, the cheapest open cell of a relation of that block
        that contains it, else of the block. Empty when nothing is fixed."""
        two_way = self.two_way
        self.dirty |= two_way.blocks_of(changed)
        edges = two_way.bridges(unknown, self.dirty)
        self.dirty = np.zeros(two_way.count, bool)
        self.dirty[two_way.block[edges]] = True
        ends = np.concatenate([two_way.one_relation[edges], two_way.other_relation[edges]])
        owner = np.tile(np.arange(edges.size), 2)
        best = cheapest(self.index, cost, open_, owner[ends >= 0], ends[ends >= 0], edges.size)
        alone = np.flatnonzero(best < 0)
        block = two_way.block[edges[alone]]
        length = self.block_start[block + 1] - self.block_start[block]
        relation = self.by_block[ranges(self.block_start[block], length)]
        best[alone] = cheapest(self.index, cost, open_, np.repeat(np.arange(alone.size), length), relation,
                               alone.size)
        picks = [best[best >= 0]]
        if self.blocks is not None:
            picks.append(self._eliminate(unknown, changed, cost, open_))
        return np.unique(np.concatenate(picks))

    def _eliminate(self, unknown: BoolArray, changed: BoolArray, cost: FloatArray, open_: BoolArray) -> IntArray:
        """`complements` for the blocks that are not two-way tables."""
        blocks, relations = self.blocks, self.elimination
        assert blocks is not None
        self.elimination_dirty |= blocks.blocks_of(changed)
        disclosed = blocks.disclosed(~unknown, self.elimination_dirty) & unknown
        self.elimination_dirty = blocks.blocks_of(disclosed)
        rel, cell, group = relations.relation, relations.cell, blocks.block
        # Each disclosed cell, with the relations of its blocks that contain it, else its blocks.
        mine = np.flatnonzero(disclosed[cell] & self.elimination_dirty[group])
        owner = np.searchsorted(np.flatnonzero(disclosed), cell[mine])
        owners = int(disclosed.sum())
        best = cheapest(self.index, cost, open_, owner, rel[mine], owners)
        alone = best < 0
        if alone.any():
            in_block = np.zeros(blocks.count, bool)
            in_block[group[mine[alone[owner]]]] = True
            near = np.flatnonzero(in_block[group])
            block_owner = np.full(blocks.count, -1, np.int64)
            block_owner[group[mine]] = owner  # any disclosed cell of the block
            best_block = cheapest(self.index, cost, open_, block_owner[group[near]], rel[near], owners)
            best[alone] = best_block[alone]
        return best[best >= 0]
