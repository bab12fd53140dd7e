"""Figures and verdicts in words, the same on every page, in the API and in the report.

A change is only called an increase or a fall when its test says so ("significant increase");
otherwise the words are "no significant change". Suppressed figures are never described.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Final

from oversight import config
from oversight.measures.catalogue import Measure
from oversight.measures.periods import period_label
from oversight.stats.compare import NOT_COMPARABLE, SIGNIFICANT_DECREASE, SIGNIFICANT_INCREASE
from oversight.stats.spc import RUN_LENGTH, TREND_LENGTH
from oversight.stats.spc_summary import describe_point

COMPARED_WITH: Final = {
    "month": "the same month a year before",
    "fy_quarter": "the same quarter a year before",
    "financial_year": "the year before",
    "calendar_year": "the year before",
    "rolling_12": "the previous 12 months",
}

SPC_WORDS: Final = {
    "common_cause": "common cause variation",
    "special_cause_improvement": "special cause variation (improvement)",
    "special_cause_concern": "special cause variation (concern)",
    "special_cause_neutral": "special cause variation",
    "insufficient_data": "too few points for process limits",
}
"""The SPC reading of a point. Where it lies (within or outside the limits, part of a run) is
said by `spc_phrase`, once, so a sentence never calls a point both usual and unusual."""

QUALITY_WORDS: Final = {
    "incomplete": "incomplete source data",
    "not_recorded": "a field not recorded at source",
    "low_coverage": "records not placed in areas",
    "crosses_break": "a break in the series",
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
    if unit == "survey_proportion" and abs(100 * value - round(100 * value)) < 1e-9:
        return f"{100 * value:.0f}%"  # published in whole percents: no false precision
    if unit in ("proportion", "survey_proportion"):
        return f"{100 * value:.1f}%"
    if unit == "percentage_points":
        return f"{value:+.1f} points"
    if unit == "ratio":
        return f"{value:.2f} times"
    return f"{value:,}"


def design_effect_text() -> str:
    """'; design effect 1 assumed': said beside every survey sample size and interval."""
    return f"; design effect {float(config.default('survey_design_effect')):g} assumed"  # type: ignore[arg-type]


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
    if verdict == NOT_COMPARABLE:
        return f"not comparable with {against} (a change of source, a series break or a flagged month)"
    return f"{verdict} on {against}"


def change_figures(unit: str, value: float | None, before: float | None) -> str:
    """'was 75,418; up 1,625 (+2.2%)': the year-before figure and the change, beside the verdict
    (which alone says whether the change is more than noise). '' without both figures."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (value, before)):
        return ""
    assert value is not None and before is not None
    was = f"was {format_value(unit, before)}"
    if unit in ("proportion", "survey_proportion"):
        points = 100 * (value - before)
        return f"{was}; {points:+.1f} points"
    difference = value - before
    if difference == 0:
        return f"{was}; no change"
    change = f"{'up' if difference > 0 else 'down'} {format_value(unit, abs(difference))}"
    if before:
        change += f" ({100 * difference / before:+.1f}%)"
    return f"{was}; {change}"


def is_flagged(row: dict[str, object]) -> bool:
    flags = row.get("quality_flags")
    return flags is not None and not isinstance(flags, float) and len(flags) > 0  # type: ignore[arg-type]


def quality_phrase(row: dict[str, object]) -> str:
    """Why a figure is flagged, in words ('' when it is not)."""
    if not is_flagged(row):
        return ""
    note = row.get("quality_note")
    return f"use with care: {note}" if isinstance(note, str) and note else "use with care"


def spc_phrase(row: dict[str, object]) -> str:
    """Where a month lies against its process limits and what that means, said once:
    'within the process limits: common cause variation'; '' without SPC."""
    variation = row.get("spc_variation")
    if not isinstance(variation, str):
        return ""
    value, mean = row.get("value"), row.get("spc_mean")
    direction = None  # a trend's side is its slope, not its place against the mean: left unsaid
    if row.get("spc_signal") != "trend_of_seven" and isinstance(value, (int, float)) and isinstance(mean, (int, float)) and not (math.isnan(value) or math.isnan(mean)):
        direction = "high" if value > mean else "low" if value < mean else None
    try:
        return describe_point(variation, row.get("spc_signal"), direction)
    except ValueError:  # a signal without a side (on the mean): the verdict alone
        return SPC_WORDS.get(variation, "")


def summary_sentence(measure: Measure, row: dict[str, object]) -> str:
    """One plain-English sentence for one figure of the measures table."""
    end = row["period_end"]
    end_date = end.date() if hasattr(end, "date") else end
    assert isinstance(end_date, dt.date)
    when = period_label(str(row["period_type"]), end_date)
    if row.get("suppressed"):
        return f"{measure.title}, {when}: not published ({row.get('suppression_reason')})."
    quality = quality_phrase(row)
    missing = row.get("value") is None or (isinstance(row.get("value"), float) and math.isnan(row["value"]))  # type: ignore[arg-type]
    if quality and missing:
        return f"{measure.title}, {when}: not published ({row.get('quality_note') or 'flagged'})."
    value = format_value(measure.unit, row.get("value"))  # type: ignore[arg-type]
    parts = [f"{measure.title}, {when}: {value}"]
    interval = format_interval(measure.unit, row.get("interval_low"), row.get("interval_high"))  # type: ignore[arg-type]
    if interval:
        parts[0] += f" (95% interval {interval})"
    if row.get("vs_band"):
        parts.append(f"{row['vs_band']} of ±{measure.band:g} points" if measure.band else str(row["vs_band"]))
    if measure.unit not in ("ratio", "percentage_points"):
        parts.append(change_phrase(row.get("vs_year_before"), str(row["period_type"])))  # type: ignore[arg-type]
    spc = spc_phrase(row)
    if spc:
        parts.append(f"this month is {spc}")
    if quality:
        parts.append(quality)
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
