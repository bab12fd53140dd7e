"""Secondary (complementary) suppression: hide enough published figures that no hidden one
can be worked out from the rest (see `disclosure_check` for what "worked out" means).

`secondary_suppression` chooses the extra cells to hide, in the spirit of the Gaussian
elimination method of Statistics Norway (Langsrud 2024): starting from the primary cells, while
any relation has exactly one hidden cell it hides the smallest published cell of that relation
(all such relations at once); when none does it runs the exact check and, for each hidden cell
still fixed, hides the smallest published cell of a relation that contains it (or, when the
cell is fixed by relations that do not name it, of its block), until the exact check finds
nothing. Smaller cells are preferred because they carry less information; the result is a
fixed point, not an optimum (finding the fewest cells is NP-hard in general).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from oversight.stats._validate import BoolArray
from oversight.stats.disclosure_check import Blocks
from oversight.stats.relations import IntArray, Relations, check


def secondary_suppression(values: npt.ArrayLike, primary: npt.ArrayLike, relations: Relations, *,
                          exact: bool = True) -> BoolArray:
    """Published cells to hide as well as the `primary` ones so that no hidden cell is fixed:
    True for those cells only (primary cells are False). Among the candidates, cells with
    smaller `values` (the counts behind them) are hidden first; ties go to the lower cell
    number, so the result is reproducible.

    With `exact` (the default) the result passes `disclosed_cells`; without it, only the
    subtraction check (no relation is left with exactly one hidden cell), which is much faster.
    A cell fixed by the relations alone, whatever is published (a zero implied by other known
    zeros, say), cannot be protected by hiding more, and is left as it is."""
    cost = np.asarray(values, dtype=float)
    hidden = np.asarray(primary, dtype=bool).copy()
    if cost.shape != hidden.shape:
        raise ValueError(f"secondary_suppression: values and primary must have matching shapes; "
                         f"got {cost.shape} and {hidden.shape}")
    check("secondary_suppression", hidden.size, relations)
    rel, cell = relations.relation, relations.cell
    count = relations.count
    blocks = Blocks(hidden.size, relations)
    checked = np.zeros(hidden.size, bool)  # hidden when the blocks were last checked
    dirty = np.ones(blocks.count, bool)
    structural = np.zeros(hidden.size, bool)
    while True:
        while True:
            lone = np.bincount(rel, weights=hidden[cell], minlength=count) == 1
            if not lone.any():
                break
            hidden[_cheapest_shown(rel, cell, cost, hidden, lone)] = True
        if not exact:
            break
        # Only blocks with a newly hidden cell, or with a disclosure last time, can change.
        dirty |= blocks.blocks_of(hidden & ~checked)
        checked = hidden.copy()
        disclosed = blocks.disclosed(~hidden, dirty) & ~structural
        if disclosed.any():
            nothing_shown = np.zeros(hidden.size, bool)
            structural |= blocks.disclosed(nothing_shown, blocks.blocks_of(disclosed)) & disclosed
            disclosed &= ~structural
        if not disclosed.any():
            break
        dirty = blocks.blocks_of(disclosed)
        extra = _cheapest_beside(rel, cell, cost, hidden, disclosed)
        # A cell can be fixed by relations that do not name it; then look in its whole block.
        unaided = disclosed & ~_has_shown_neighbour(rel, cell, hidden, disclosed)
        if unaided.any():
            extra = np.union1d(extra, _cheapest_beside(blocks.block, cell, cost, hidden, unaided))
        if extra.size == 0:
            break
        hidden[extra] = True
    return hidden & ~np.asarray(primary, dtype=bool)


def _has_shown_neighbour(rel: IntArray, cell: IntArray, hidden: BoolArray, disclosed: BoolArray) -> BoolArray:
    """Disclosed cells that share a relation with a published cell."""
    shown_in = np.bincount(rel, weights=~hidden[cell]) > 0
    has = np.zeros(hidden.size, bool)
    has[cell[disclosed[cell] & shown_in[rel]]] = True
    return has


def _cheapest_shown(rel: IntArray, cell: IntArray, cost: npt.NDArray[np.float64], hidden: BoolArray,
                    chosen: BoolArray) -> IntArray:
    """The cheapest published cell of each chosen relation (none for a relation without one)."""
    e = np.flatnonzero(chosen[rel] & ~hidden[cell])
    order = e[np.lexsort((cell[e], cost[cell[e]], rel[e]))]
    first = np.r_[True, rel[order][1:] != rel[order][:-1]] if order.size else np.zeros(0, bool)
    return np.unique(cell[order[first]])


def _cheapest_beside(group: IntArray, cell: IntArray, cost: npt.NDArray[np.float64], hidden: BoolArray,
                     disclosed: BoolArray) -> IntArray:
    """For each disclosed cell, the cheapest published cell of any group of entries (a relation,
    or a block) that contains it; nothing for a disclosed cell whose groups have none."""
    count = int(group.max()) + 1
    touched = np.zeros(count, bool)
    touched[group[disclosed[cell]]] = True
    best = np.full(count, -1, np.int64)
    e = np.flatnonzero(touched[group] & ~hidden[cell])
    order = e[np.lexsort((cell[e], cost[cell[e]], group[e]))]
    if order.size == 0:
        return np.zeros(0, np.int64)
    first = np.r_[True, group[order][1:] != group[order][:-1]]
    best[group[order[first]]] = cell[order[first]]
    # Each disclosed cell takes the cheapest of the candidates of its groups.
    d = np.flatnonzero(disclosed[cell] & (best[group] >= 0))
    candidate = best[group[d]]
    pick = np.lexsort((candidate, cost[candidate], cell[d]))
    owner = cell[d][pick]
    first = np.r_[True, owner[1:] != owner[:-1]]
    return np.unique(candidate[pick][first])
