"""A block in which every cell lies in one or two of the block's relations, each with
coefficient 1 or -1, is read as a graph: each relation is a node, each cell an edge joining
its two relations, or its one relation and a node standing for "no relation" (the block's
*ground*). A two-way table with its margins is such a block: a cell lies in its row's relation
and its column's; a row or column whose relation is missing leaves its cells joined to ground.

When the relations can be signed (each multiplied by 1 or -1) so that every cell's two
coefficients become opposite, which `TwoWayBlocks` checks, the hidden part of the relation
matrix is, after also flipping the signs of some cells, the incidence matrix of the graph of
the hidden cells, with one row (ground's) left out; a row of an incidence matrix is minus the
sum of the others in its component, so leaving it out changes nothing. The solutions of
M_H y = 0 are then the circulations of that graph, spanned by its cycles, and hidden cell h is
fixed exactly when no circulation uses it: when h lies on no cycle of hidden cells, that is,
when its edge is a *bridge*. (Without a consistent signing a cycle need not carry a
circulation: x + y = a and x - y = b fix both, so such blocks go to the elimination.)

Bridges are found in time linear in the edges, by array operations: a breadth-first
spanning forest, then every edge outside the forest marks the forest path between its ends
(+1 at each end, -2 at their lowest common ancestor, summed over subtrees); a forest edge that
no such path crosses is a bridge.
"""

from __future__ import annotations

import numpy as np

from oversight.stats._validate import BoolArray
from oversight.stats.relations import ON_ITS_OWN, ByRelation, IntArray


class Forest:
    """A breadth-first spanning forest of an undirected multigraph on nodes 0..nodes-1 (edge e
    joins one[e] and other[e]): parent[v] and via[v], the edge to it, are -1 at roots. Edges
    of different `group`s (small numbers; by default all one group) share no node: each round
    starts a tree at one node of each group that has edges left, so the roots of a round lie
    in different components."""

    def __init__(self, nodes: int, one: IntArray, other: IntArray, group: IntArray | None = None) -> None:
        self.nodes, self.one, self.other = nodes, one, other
        self.parent = np.full(nodes, -1, np.int64)
        self.via = np.full(nodes, -1, np.int64)
        self.depth = np.zeros(nodes, np.int64)
        group = np.zeros(one.size, np.int64) if group is None else group
        root_of = np.full(int(group.max()) + 1 if group.size else 0, -1, np.int64)
        reached = np.zeros(nodes, bool)
        live = np.arange(one.size)
        while live.size:
            root_of[group[live]] = one[live]
            roots = root_of[root_of >= 0]
            root_of[:] = -1
            reached[roots] = True
            level = 0
            while live.size:
                near_one = reached[one[live]]
                near_other = reached[other[live]]
                crossing = near_one != near_other
                if not crossing.any():
                    break
                edge = live[crossing]
                new = np.where(near_one[crossing], other[edge], one[edge])
                old = np.where(near_one[crossing], one[edge], other[edge])
                self.via[new] = edge  # one of the edges reaching each new node wins
                won = self.via[new] == edge
                new = new[won]
                self.parent[new] = old[won]
                level += 1
                self.depth[new] = level
                reached[new] = True
                live = live[~near_one & ~near_other]
            live = live[~reached[one[live]]]

    def by_depth(self) -> list[IntArray]:
        """The nodes at each depth from 0, in order."""
        deepest = int(self.depth.max()) if self.nodes else 0
        order = np.argsort(self.depth.astype(np.uint16) if deepest < 2**16 else self.depth, kind="stable")
        bounds = np.searchsorted(self.depth[order], np.arange(deepest + 2))
        return [order[bounds[level]:bounds[level + 1]] for level in range(deepest + 1)]

    def bridges(self) -> BoolArray:
        """The edges that lie on no cycle."""
        edges = self.one.size
        tree = np.zeros(edges, bool)
        tree[self.via[self.via >= 0]] = True
        one, other = self.one[~tree], self.other[~tree]
        cover = (np.bincount(one, minlength=self.nodes) + np.bincount(other, minlength=self.nodes)
                 - 2 * np.bincount(self.common_ancestor(one, other), minlength=self.nodes))
        # Sum over subtrees, deepest nodes first.
        for at in reversed(self.by_depth()[1:]):
            np.add.at(cover, self.parent[at], cover[at])
        bridge = np.zeros(edges, bool)
        bridge[self.via[(self.via >= 0) & (cover == 0)]] = True
        return bridge

    def common_ancestor(self, a: IntArray, b: IntArray) -> IntArray:
        """Lowest common ancestor of a[k] and b[k] (in the same tree)."""
        a, b = a.copy(), b.copy()
        for deep, shallow in ((a, b), (b, a)):
            k = np.flatnonzero(self.depth[deep] > self.depth[shallow])
            while k.size:
                deep[k] = self.parent[deep[k]]
                k = k[self.depth[deep[k]] > self.depth[shallow[k]]]
        k = np.flatnonzero(a != b)
        while k.size:
            a[k] = self.parent[a[k]]
            b[k] = self.parent[b[k]]
            k = k[a[k] != b[k]]
        return a

    def signs(self, flip: IntArray) -> IntArray:
        """Node signs s with s[v] = flip[via[v]] * s[parent[v]], 1 at roots."""
        sign = np.ones(self.nodes, np.int64)
        for at in self.by_depth()[1:]:
            sign[at] = flip[self.via[at]] * sign[self.parent[at]]
        return sign


class TwoWayBlocks:
    """The blocks of the relations that read as graphs (see above), as one graph: node r is
    relation r of `index` for the relations of those blocks, node index.count + b the ground of
    block b; edge k is cell[k] in block[k], joining nodes one[k] and other[k]. `other_blocks`
    lists the blocks that do not read as graphs. Blocks are numbered 0..count-1 in the order of
    their numbers in the relations."""

    def __init__(self, n: int, index: ByRelation) -> None:
        in_block = index.block != ON_ITS_OWN
        numbers, dense = np.unique(index.block[in_block], return_inverse=True)
        self.count = numbers.size
        self.block_of_relation = np.full(index.count, -1, np.int64)
        self.block_of_relation[in_block] = dense
        entry = index.entries(np.flatnonzero(in_block))
        relation, cell = index.relation[entry], index.cell[entry]
        block = self.block_of_relation[relation]
        order = np.argsort(block * n + cell, kind="stable")
        relation, cell, block = relation[order], cell[order], block[order]
        coefficient = index.coefficient[entry[order]]
        starts = np.flatnonzero(np.r_[cell.size > 0, (cell[1:] != cell[:-1]) | (block[1:] != block[:-1])])
        length = np.diff(np.r_[starts, cell.size])
        paired = length == 2
        bad = np.zeros(self.count, bool)
        bad[block[starts[length > 2]]] = True
        bad[block[np.abs(coefficient) != 1]] = True
        second = np.where(paired, starts + 1, starts)
        self.cell, self.block = cell[starts], block[starts]
        self.one_relation = relation[starts]
        self.other_relation = np.where(paired, relation[second], -1)
        bad[self.block[self.one_relation == self.other_relation]] = True
        self.nodes = index.count + self.count
        self.one = self.one_relation
        self.other = np.where(paired, self.other_relation, index.count + self.block)
        # A consistent signing: s[one] * s[other] = -coefficient[one] * coefficient[other].
        two = np.flatnonzero(paired)
        flip = -coefficient[starts[two]] * coefficient[second[two]]
        signs = Forest(self.nodes, self.one[two], self.other[two], self.block[two]).signs(flip)
        bad[self.block[two[signs[self.one[two]] * signs[self.other[two]] != flip]]] = True
        self.other_blocks = np.flatnonzero(bad)
        keep = ~bad[self.block]
        for name in ("cell", "block", "one_relation", "other_relation", "one", "other"):
            setattr(self, name, getattr(self, name)[keep])

    def blocks_of(self, cells: BoolArray) -> BoolArray:
        """The (graph) blocks that contain any of the given cells."""
        touched = np.zeros(self.count, bool)
        touched[self.block[cells[self.cell]]] = True
        return touched

    def bridges(self, unknown: BoolArray, blocks: BoolArray) -> IntArray:
        """The edges of unknown cells, in the chosen blocks, that are fixed: bridges among them."""
        edge = np.flatnonzero(unknown[self.cell] & blocks[self.block])
        return edge[Forest(self.nodes, self.one[edge], self.other[edge], self.block[edge]).bridges()]
