"""One plain-English sentence describing a classified series: the chart's text summary."""

from __future__ import annotations

from typing import Final

import pandas as pd

from oversight.stats.spc import MIN_SPC_POINTS
from oversight.stats.spc_classify import COLUMNS, INSUFFICIENT_DATA, PRECEDENCE

PHRASES: Final = {
    ("beyond_limits", "high"): "above the upper limit",
    ("beyond_limits", "low"): "below the lower limit",
    ("trend_of_seven", "high"): "in a rising trend",
    ("trend_of_seven", "low"): "in a falling trend",
    ("two_of_three_near_limit", "high"): "near the upper limit (2 of 3 points)",
    ("two_of_three_near_limit", "low"): "near the lower limit (2 of 3 points)",
    ("run_of_seven", "high"): "in a run above the mean",
    ("run_of_seven", "low"): "in a run below the mean",
}
"""How each rule and direction reads after the number of points it covers."""


def check_result(func: str, result: object) -> pd.DataFrame:
    """A frame with every column classify_points returns."""
    if not isinstance(result, pd.DataFrame):
        raise ValueError(
            f"{func}: result must be the DataFrame returned by classify_points; "
            f"got {type(result).__name__}"
        )
    missing = [name for name in COLUMNS if name not in result.columns]
    if missing:
        raise ValueError(
            f"{func}: result is missing column(s) {', '.join(missing)}; "
            "pass the DataFrame returned by classify_points"
        )
    return result


def summarise_spc(result: pd.DataFrame) -> str:
    """E.g. "24 points; 2 above the upper limit: special cause (concern)".

    Names each rule that fired, in precedence order, with the number of points it labels and
    what it means for the measure; "no special cause variation" when none fired. Points in a
    segment too short for limits are counted separately.
    """
    frame = check_result("summarise_spc", result)
    size = len(frame)
    if size == 0:
        return "0 points; nothing to chart"
    segments = frame["segment"].nunique()
    opening = _count(size, "point") + (f" in {segments} segments" if segments > 1 else "")
    needed = f"(at least {MIN_SPC_POINTS} are needed)"
    is_short = frame["variation"] == INSUFFICIENT_DATA
    short = int(is_short.sum())
    if short == size:
        return f"{opening}; too few for process limits {needed}"
    parts = _signal_parts(frame) or ["no special cause variation"]
    if short:
        where = "segments" if frame.loc[is_short, "segment"].nunique() > 1 else "a segment"
        parts.append(f"{_count(short, 'point')} in {where} too short for process limits {needed}")
    return "; ".join([opening, *parts])


def _signal_parts(frame: pd.DataFrame) -> list[str]:
    parts = []
    for rule in PRECEDENCE:
        for side in ("high", "low"):
            hit = (frame["signal"] == rule) & (frame["direction"] == side)
            if hit.any():
                meaning = str(frame.loc[hit, "variation"].iloc[0]).removeprefix("special_cause_")
                parts.append(f"{int(hit.sum())} {PHRASES[rule, side]}: special cause ({meaning})")
    return parts


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
