"""Figures and verdicts in words, the same on every page, in the API and in the report.

A change is only called an increase or a fall when its test says so ("significant increase");
otherwise the words are "no significant change". Suppressed figures are never described.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Final

from oversight.measures.catalogue import Measure
from oversight.measures.periods import period_label
from oversight.stats.compare import SIGNIFICANT_DECREASE, SIGNIFICANT_INCREASE
from oversight.stats.spc import RUN_LENGTH, TREND_LENGTH

COMPARED_WITH: Final = {
    "month": "the same month a year before",
    "fy_quarter": "the same quarter a year before",
    "financial_year": "the year before",
    "calendar_year": "the year before",
    "rolling_12": "the previous 12 months",
}

SPC_WORDS: Final = {
    "common_cause": "within its usual range (common cause variation)",
    "special_cause_improvement": "unusual, in the better direction (special cause: improvement)",
    "special_cause_concern": "unusual, in the worse direction (special cause: concern)",
    "special_cause_neutral": "unusual (special cause variation)",
    "insufficient_data": "too short a series for process limits",
}

SPC_SIGNAL_WORDS: Final = {
    "beyond_limits": "a point outside the process limits",
    "trend_of_seven": f"part of a run of {TREND_LENGTH} or more points each rising or each falling",
    "two_of_three_near_limit": "two of three points close to a process limit",
    "run_of_seven": f"part of a run of {RUN_LENGTH} or more points on one side of the mean",
}


def format_value(unit: str, value: float | None) -> str:
    """'149,284', '12.3 per 1,000', '27.9%', '-15.0 points', '3.40 times'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not available"
    if unit == "count":
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    if unit == "rate_per_1000":
        return f"{value:,.1f} per 1,000" if value >= 1 else f"{value:,.2f} per 1,000"
    if unit in ("proportion", "survey_proportion"):
        return f"{100 * value:.1f}%"
    if unit == "percentage_points":
        return f"{value:+.1f} points"
    if unit == "ratio":
        return f"{value:.2f} times"
    return f"{value:,}"


def format_interval(unit: str, low: float | None, high: float | None) -> str:
    if low is None or high is None or any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        return ""
    if unit in ("proportion", "survey_proportion"):
        return f"{100 * low:.1f}% to {100 * high:.1f}%"
    if unit == "percentage_points":
        return f"{low:+.1f} to {high:+.1f} points"
    if unit == "ratio":
        return f"{low:.2f} to {high:.2f}"
    if unit == "rate_per_1000":
        return f"{low:,.2f} to {high:,.2f}"
    return f"{low:,.0f} to {high:,.0f}"


def change_phrase(verdict: str | None, period_type: str) -> str:
    """'significant increase on the previous 12 months', or why there is no comparison."""
    against = COMPARED_WITH.get(period_type, "the period a year before")
    if not verdict:
        return f"no comparison with {against} (no figure for it)"
    return f"{verdict} on {against}"


def summary_sentence(measure: Measure, row: dict[str, object]) -> str:
    """One plain-English sentence for one figure of the measures table."""
    end = row["period_end"]
    end_date = end.date() if hasattr(end, "date") else end
    assert isinstance(end_date, dt.date)
    when = period_label(str(row["period_type"]), end_date)
    if row.get("suppressed"):
        return f"{measure.title}, {when}: not published ({row.get('suppression_reason')})."
    value = format_value(measure.unit, row.get("value"))  # type: ignore[arg-type]
    parts = [f"{measure.title}, {when}: {value}"]
    interval = format_interval(measure.unit, row.get("interval_low"), row.get("interval_high"))  # type: ignore[arg-type]
    if interval:
        parts[0] += f" (95% interval {interval})"
    if row.get("vs_band"):
        parts.append(f"{row['vs_band']} of ±{measure.band:g} points" if measure.band else str(row["vs_band"]))
    if measure.unit not in ("ratio", "percentage_points"):
        parts.append(change_phrase(row.get("vs_year_before"), str(row["period_type"])))  # type: ignore[arg-type]
    variation = row.get("spc_variation")
    if isinstance(variation, str) and variation in SPC_WORDS:
        parts.append(f"this month is {SPC_WORDS[variation]}")
    return "; ".join(parts) + "."


def signal_phrase(signal: str | None) -> str:
    """The SPC rule that labels a point, in words ('' when no rule fired)."""
    if not isinstance(signal, str):
        return ""
    return SPC_SIGNAL_WORDS.get(signal, signal.replace("_", " "))


def direction_phrase(polarity: str, verdict: str | None) -> str:
    """'in the better direction' or 'in the worse direction' for a significant change of a
    measure with a preferred direction; '' for no significant change or a neutral measure."""
    if verdict not in (SIGNIFICANT_INCREASE, SIGNIFICANT_DECREASE) or polarity not in ("up_is_good", "down_is_good"):
        return ""
    better = (verdict == SIGNIFICANT_INCREASE) == (polarity == "up_is_good")
    return "in the better direction" if better else "in the worse direction"
