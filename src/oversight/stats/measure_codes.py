"""The key columns of a measures table as small integers, for sorting and matching rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oversight.stats.relations import IntArray

ALL = "all"


class Codes:
    """The frame's key columns as small integers, for sorting and matching."""

    def __init__(self, frame: pd.DataFrame, areas: pd.DataFrame) -> None:
        self.n = len(frame)
        self.measure = _factorize(frame["measure"])
        self.period_type, types = _factorize(frame["period_type"], names=True)
        code = {name: number for number, name in enumerate(types)}
        self.month_type = code.get("month", -1)
        self.quarter_type = code.get("fy_quarter", -1)
        self.rolling_type = code.get("rolling_12", -1)
        self.start = _months(frame["period_start"])
        self.end = _months(frame["period_end"])
        self.breakdown, names = _factorize(frame["breakdown"], names=True)
        labels = pd.Index(names).astype(str)
        self.is_all = (labels == ALL)[self.breakdown]
        self.dimension = _factorize(labels.str.split("=", n=1).str[0])[self.breakdown]
        self.area, self.parent = _areas(frame, areas)
        self.numerator = frame["numerator"].to_numpy(float)
        self.denominator = (frame["denominator"].to_numpy(float) if "denominator" in frame.columns
                            else np.full(self.n, np.nan))

    def key(self, *parts: IntArray) -> IntArray:
        """One integer per row identifying the combination of `parts`, dense from 0 (numbered
        in the order of the combinations)."""
        combined = np.zeros(self.n, np.int64)
        for part in parts:
            part = part - part.min() if part.size else part
            size = int(part.max()) + 1 if part.size else 1
            if combined.size and (int(combined.max()) + 1) * size >= 2**62:
                combined = dense(combined)
            combined = combined * size + part
        return dense(combined)


def dense(key: IntArray) -> IntArray:
    """The rank of each key among the distinct keys."""
    order = np.argsort(key)
    ordered = key[order]
    rank = np.empty(key.size, np.int64)
    rank[order] = np.cumsum(np.r_[False, ordered[1:] != ordered[:-1]])
    return rank


def _factorize(values: object, names: bool = False):  # type: ignore[no-untyped-def]
    codes, uniques = pd.factorize(values)  # type: ignore[call-overload]
    return (codes.astype(np.int64), uniques) if names else codes.astype(np.int64)


def _months(dates: pd.Series) -> IntArray:
    return pd.to_datetime(dates).to_numpy().astype("datetime64[M]").astype(np.int64)


def _areas(frame: pd.DataFrame, areas: pd.DataFrame) -> tuple[IntArray, IntArray]:
    """Area number of each row, and the parent area number of each area number (-1: none)."""
    level, levels = _factorize(frame["area_level"], names=True)
    code, codes = _factorize(frame["area_code"], names=True)
    pair = np.unique(level * len(codes) + code)
    area = np.searchsorted(pair, level * len(codes) + code).astype(np.int64)
    names = pd.MultiIndex.from_arrays([np.asarray(levels)[pair // len(codes)].astype(str),
                                       np.asarray(codes)[pair % len(codes)].astype(str)])
    lookup = pd.Series(np.arange(len(names)), index=names)
    parent = np.full(len(names), -1, np.int64)
    known = areas.dropna(subset=["parent_level", "parent_code"])
    child = pd.MultiIndex.from_arrays([known["level"].astype(str), known["code"].astype(str)])
    mother = pd.MultiIndex.from_arrays([known["parent_level"].astype(str), known["parent_code"].astype(str)])
    has = child.isin(names) & mother.isin(names)
    parent[lookup[child[has]].to_numpy()] = lookup[mother[has]].to_numpy()
    return area, parent


class Index:
    """Find rows by an integer key."""

    def __init__(self, key: IntArray) -> None:
        self.order = np.argsort(key, kind="stable")
        self.sorted = key[self.order]

    def find(self, key: IntArray) -> IntArray:
        """Row with each key, -1 where there is none."""
        at = np.minimum(np.searchsorted(self.sorted, key), max(self.sorted.size - 1, 0))
        found = self.sorted.size > 0
        hit = (self.sorted[at] == key) if found else np.zeros(key.shape, bool)
        return np.where(hit, self.order[at] if found else -1, -1)
