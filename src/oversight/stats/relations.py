"""Linear relations between published figures (cells): the arithmetic a reader can do.

A relation is an equation sum(coefficient * value) = 0 over a few cells, such as
"total - part_1 - ... - part_k = 0". Relations come in blocks: the exact check
(`disclosure_check.disclosed_cells`) considers all relations of a block together, and a
relation of block ON_ITS_OWN by itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.signedinteger[Any]]  # int32 where it saves memory, else int64
"""Integer arrays; relations built for large tables use 32-bit numbers where they fit."""

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
    def count(self) -> int:  # type: ignore[override]  # hides tuple.count, which nothing calls
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
        Block numbers are kept as they are; the narrowest integer types of the parts are kept
        (32 bits for relation numbers while they fit), to save memory on large tables."""
        parts = [p for p in parts if p.relation.size]
        if not parts:
            return cls.of([], [], [])
        offsets = np.cumsum([0] + [p.count for p in parts])
        numbers = np.int32 if offsets[-1] < 2**31 else np.int64
        relation = np.concatenate(
            [(p.relation + o).astype(numbers, copy=False) for p, o in zip(parts, offsets, strict=False)]
        )
        return cls(relation, *(np.concatenate(column) for column in zip(*(
            (p.cell, p.coefficient, p.block) for p in parts), strict=False)))


class ByRelation:
    """Relations with the entries of each relation side by side: entries start[r] to
    start[r + 1] - 1 of `relation`, `cell` and `coefficient` are relation r's, and block[r] is
    its block (ON_ITS_OWN for a relation with no entries)."""

    def __init__(self, relations: Relations) -> None:
        relation = relations.relation
        order = None if bool(np.all(relation[1:] >= relation[:-1])) else np.argsort(relation, kind="stable")
        pick = (lambda a: a) if order is None else (lambda a: a[order])
        self.relation, self.cell, self.coefficient = pick(relation), pick(relations.cell), pick(relations.coefficient)
        self.count = relations.count
        self.size = np.bincount(self.relation, minlength=self.count)
        self.start = np.r_[0, np.cumsum(self.size)]
        self.block = np.full(self.count, ON_ITS_OWN, np.int64)
        first = self.start[:-1][self.size > 0]
        self.block[self.size > 0] = pick(relations.block)[first]

    def entries(self, which: IntArray) -> IntArray:
        """The entries of the relations given, relation by relation."""
        return ranges(self.start[which], self.size[which])


def ranges(start: IntArray, length: IntArray) -> IntArray:
    """start[0], ..., start[0] + length[0] - 1, then the same for each following pair."""
    total = int(length.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offset = np.repeat(np.asarray(start, np.int64) - np.cumsum(length) + length, length)
    return offset + np.arange(total, dtype=np.int64)


def check(func: str, n: int, relations: Relations) -> None:
    shapes = {a.shape for a in relations}
    if len(shapes) != 1:
        raise ValueError(f"{func}: relations must have one relation, cell, coefficient and block per entry")
    if relations.cell.size and (relations.cell.min() < 0 or relations.cell.max() >= n):
        raise ValueError(f"{func}: relations name cells outside 0..{n - 1}")
    if np.any(relations.coefficient == 0):
        raise ValueError(f"{func}: relation coefficients must not be 0")


# the exact check -----------------------------------------------------------------------------
