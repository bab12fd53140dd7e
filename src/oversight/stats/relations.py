"""Linear relations between published figures (cells): the arithmetic a reader can do.

A relation is an equation sum(coefficient * value) = 0 over a few cells, such as
"total - part_1 - ... - part_k = 0". Relations come in blocks: the exact check
(`disclosure_check.disclosed_cells`) considers all relations of a block together, and a
relation of block ON_ITS_OWN by itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

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
    def count(self) -> int:  # type: ignore[override]  # shadows tuple.count, which no caller uses
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
        # offsets has one more entry than parts: the end of the last.
        shifted = ((p.relation + o, p.cell, p.coefficient, p.block) for p, o in zip(parts, offsets, strict=False))
        return cls(*(np.concatenate(column) for column in zip(*shifted, strict=True)))


def check(func: str, n: int, relations: Relations) -> None:
    shapes = {a.shape for a in relations}
    if len(shapes) != 1:
        raise ValueError(f"{func}: relations must have one relation, cell, coefficient and block per entry")
    if relations.cell.size and (relations.cell.min() < 0 or relations.cell.max() >= n):
        raise ValueError(f"{func}: relations name cells outside 0..{n - 1}")
    if np.any(relations.coefficient == 0):
        raise ValueError(f"{func}: relation coefficients must not be 0")


# the exact check -----------------------------------------------------------------------------
