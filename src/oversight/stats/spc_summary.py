"""Classified points in plain English: one sentence for a series (the chart's text summary)
and one phrase for a point. Neither says a point is unusual in a way it is not: a point that
is special cause by a run, trend or two-of-three is within the process limits, and says so."""

from __future__ import annotations

from typing import Final

import pandas as pd

from oversight.stats.spc import MIN_SPC_POINTS, RUN_LENGTH, TREND_LENGTH
from oversight.stats.spc_classify import COLUMNS, COMMON_CAUSE, INSUFFICIENT_DATA, NEUTRAL, PRECEDENCE

VARIATIONS: Final = (COMMON_CAUSE, "special_cause_improvement", "special_cause_concern", NEUTRAL,
                     INSUFFICIENT_DATA)

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

WITHIN: Final = "within the process limits"
POINT_PHRASES: Final = {
    ("beyond_limits", "high"): "above the upper process limit",
    ("beyond_limits", "low"): "below the lower process limit",
    ("beyond_limits", None): "outside the process limits",
    ("trend_of_seven", "high"): f"{WITHIN}, but part of a rising trend of {TREND_LENGTH} or more points",
    ("trend_of_seven", "low"): f"{WITHIN}, but part of a falling trend of {TREND_LENGTH} or more points",
    ("trend_of_seven", None): f"{WITHIN}, but part of a trend of {TREND_LENGTH} or more points",
    ("two_of_three_near_limit", "high"): f"{WITHIN}, but 2 of 3 points close to the upper limit",
    ("two_of_three_near_limit", "low"): f"{WITHIN}, but 2 of 3 points close to the lower limit",
    ("two_of_three_near_limit", None): f"{WITHIN}, but 2 of 3 points close to a limit",
    ("run_of_seven", "high"): f"{WITHIN}, but part of a run of {RUN_LENGTH} or more points above the mean",
    ("run_of_seven", "low"): f"{WITHIN}, but part of a run of {RUN_LENGTH} or more points below the mean",
    ("run_of_seven", None): f"{WITHIN}, but part of a run of {RUN_LENGTH} or more points on one side of the mean",
}
"""Where one point lies, by the rule that labels it and its direction (None when not known)."""


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
    no_limits = int(frame["variation"].isna().sum())
    if short == size:
        return f"{opening}; too few for process limits {needed}"
    if no_limits + short == size:
        return f"{opening}; no process limits"
    parts = _signal_parts(frame) or ["no special cause variation"]
    if short:
        where = "segments" if frame.loc[is_short, "segment"].nunique() > 1 else "a segment"
        parts.append(f"{_count(short, 'point')} in {where} too short for process limits {needed}")
    if no_limits:
        parts.append(f"{_count(no_limits, 'point')} without process limits")
    return "; ".join([opening, *parts])


def describe_point(variation: object, signal: object = None, direction: object = None) -> str:
    """One point in words, from its `variation`, `signal` and `direction` (as classify_points
    gives them; direction may be None when not stored), e.g. "within the process limits, but
    part of a run of 7 or more points above the mean: special cause (concern)".

    '' when there is no variation (a figure without SPC). The place of the point (outside the
    limits, or within them) and the special-cause verdict are said once each."""
    func = "describe_point"
    if _missing(variation):
        return ""
    if not isinstance(variation, str) or variation not in VARIATIONS:
        raise ValueError(f"{func}: variation {variation!r} is not one of {', '.join(VARIATIONS)}")
    rule = None if _missing(signal) else signal
    side = None if _missing(direction) else direction
    if variation == INSUFFICIENT_DATA:
        return "too few points for process limits"
    if variation == COMMON_CAUSE:
        if rule is not None:
            raise ValueError(f"{func}: a common_cause point has no signal; got {rule}")
        return f"{WITHIN}: common cause variation"
    if not (isinstance(rule, str) and (side is None or isinstance(side, str))) or (rule, side) not in POINT_PHRASES:
        raise ValueError(f"{func}: signal {rule!r} with direction {side!r} is not a known rule and side")
    return f"{POINT_PHRASES[rule, side]}: {_verdict(variation)}"


def _verdict(variation: str) -> str:
    """'special cause (concern)', or 'special cause' when the measure has no better direction."""
    return "special cause" if variation == NEUTRAL else f"special cause ({variation.removeprefix('special_cause_')})"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _signal_parts(frame: pd.DataFrame) -> list[str]:
    parts = []
    for rule in PRECEDENCE:
        for side in ("high", "low"):
            hit = (frame["signal"] == rule) & (frame["direction"] == side)
            if hit.any():
                verdict = _verdict(str(frame.loc[hit, "variation"].iloc[0]))
                parts.append(f"{int(hit.sum())} {PHRASES[rule, side]}: {verdict}")
    return parts


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
