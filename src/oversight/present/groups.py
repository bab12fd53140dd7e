"""A GroupTable: several measures side by side for the groups of one breakdown (searches, rate
and rate ratio by ethnic group), in one order, with the reference group of each derived measure
named. The stop and search page and the report's stop and search tables are both drawn from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from oversight.measures.catalogue import Measure
from oversight.present.labels import breakdown_label, group_order

Row = Mapping[str, Any]


@dataclass(frozen=True)
class GroupRow:
    breakdown: str                      # 'self_defined_group=Black'
    label: str                          # 'Black'
    cells: dict[str, Row | None]        # by measure id: the group's figure, or None
    reference_for: tuple[str, ...]      # the measures this group is the reference group of


def group_table(measures: Sequence[Measure], rows: Iterable[Row], dimension: str) -> list[GroupRow]:
    """One row per group of `dimension` that any of `measures` has a figure for, in the order of
    `labels.group_order`; `rows` are figures of those measures for one area and period."""
    ids = {m.id for m in measures}
    found: dict[tuple[str, str], Row] = {}
    for r in rows:
        if r["measure"] in ids and str(r["breakdown"]).startswith(f"{dimension}="):
            found[(str(r["measure"]), str(r["breakdown"]))] = r
    breakdowns = sorted({b for _, b in found}, key=group_order)
    return [GroupRow(b, breakdown_label(b), {m.id: found.get((m.id, b)) for m in measures},
                     tuple(m.id for m in measures if m.reference == b)) for b in breakdowns]
