"""Labels and short texts for pages, built from the words in `oversight.measures.describe`.

Figures are formatted by `describe.format_value` / `format_interval`; verdicts by
`describe.change_phrase` and `describe.SPC_WORDS`. This module only arranges those words for a
page: badges for SPC variation (a shape and a text, never colour alone), names for period types,
breakdowns and units, and the one-paragraph text summary that goes with every chart.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any, Final

from oversight.measures.catalogue import Measure
from oversight.measures.describe import (
    NOT_COMPARABLE,
    SPC_WORDS,
    change_figures,
    change_phrase,
    design_effect_text,
    format_interval,
    format_value,
    is_flagged,
    quality_phrase,
    summary_sentence,
)

PERIOD_TYPE_NAMES: Final = {
    "rolling_12": "12 months to",
    "financial_year": "Financial years",
    "fy_quarter": "Financial-year quarters",
    "calendar_year": "Calendar years",
    "month": "Months",
}
PERIOD_TYPE_PLURAL: Final = {
    "rolling_12": "rolling 12-month periods",
    "financial_year": "financial years",
    "fy_quarter": "quarters",
    "calendar_year": "calendar years",
    "month": "months",
}
UNIT_NAMES: Final = {
    "count": "number",
    "rate_per_1000": "rate per 1,000 residents",
    "proportion": "percentage",
    "survey_proportion": "percentage of survey respondents",
    "percentage_points": "difference in percentage points",
    "ratio": "rate ratio",
}
POLARITY_NAMES: Final = {
    "up_is_good": "higher is better",
    "down_is_good": "lower is better",
    "neutral": "neither direction is better in itself",
}

# Badge per SPC variation: a shape (drawn as text and in the chart) and a short label. The
# colour class only repeats what shape and words already say.
SPC_BADGES: Final = {
    "common_cause": ("●", "Common cause", "no unusual change", "spc-common"),
    "special_cause_improvement": ("◆", "Special cause: improvement", "unusual, in the better direction", "spc-better"),
    "special_cause_concern": ("▲", "Special cause: concern", "unusual, in the worse direction", "spc-worse"),
    "special_cause_neutral": ("■", "Special cause", "unusual change", "spc-neutral"),
    "insufficient_data": ("○", "Too few points", "too short a series for process limits", "spc-none"),
}


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def value_text(unit: str, value: Any) -> str:
    return "not published" if is_missing(value) else format_value(unit, value)


def interval_text(unit: str, low: Any, high: Any) -> str:
    return "" if is_missing(low) or is_missing(high) else format_interval(unit, low, high)


def spc_badge(variation: str | None) -> dict[str, str] | None:
    if not variation or variation not in SPC_BADGES:
        return None
    shape, label, meaning, css = SPC_BADGES[variation]
    return {"variation": variation, "shape": shape, "label": label, "meaning": meaning, "class": css}


def breakdown_label(breakdown: str) -> str:
    """'all' -> 'All'; 'self_defined_group=Black' -> 'Black'."""
    if breakdown == "all":
        return "All"
    value = breakdown.split("=", 1)[1] if "=" in breakdown else breakdown
    return value.capitalize() if value.isupper() else value  # 'ROBBERY' as published by the MPS


def dimension_label(dimension: str) -> str:
    names = {
        "self_defined_group": "self-defined ethnic group",
        "officer_defined_group": "officer-defined ethnic group",
        "officer_defined_ethnicity": "officer-defined ethnicity",
        "self_and_officer": "self-defined and officer-defined ethnicity",
        "major": "crime type",
        "crime_type": "crime type",
        "age_range": "age",
        "age_group": "age",
    }
    return names.get(dimension, dimension.replace("_", " "))


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def sentence(measure: Measure, row: dict[str, Any]) -> str:
    """`describe.summary_sentence` for a JSON-safe row (dates as ISO text)."""
    end = row["period_end"]
    return summary_sentence(measure, {**row, "period_end": dt.date.fromisoformat(str(end)[:10])})


def change_text(row: dict[str, Any], unit: str | None = None) -> str:
    """The verdict against a year before, then (given the unit) the figures: 'No significant
    change on the year before (was 75,418; up 1,625 (+2.2%))'."""
    verdict = row.get("vs_year_before")
    text = sentence_case(change_phrase(verdict, str(row["period_type"])))
    # The figures only beside a real comparison: a change across a break or from a flagged month
    # would say what "not comparable" denies.
    compared = verdict not in (None, NOT_COMPARABLE) and not row.get("suppressed") and not is_flagged(row)
    figures = change_figures(unit, row.get("value"), row.get("value_year_before")) if unit and compared else ""
    return f"{text} ({figures})" if figures else text


def sample_text(row: dict[str, Any]) -> str:
    """'400 (assumed)' for survey figures, the denominator for proportions, else ''."""
    size = row.get("sample_size")
    if not is_missing(size):
        return f"{size:,.0f}" + (" (assumed)" if row.get("sample_size_assumed") else "") + design_effect_text()
    denominator = row.get("denominator")
    return "" if is_missing(denominator) else f"{denominator:,.0f}"


def _not_published(rows: list[dict[str, Any]]) -> str:
    """'3 not published (2 too few records, 1 not recorded at source)', or ''."""
    missing = [r for r in rows if is_missing(r.get("value"))]
    if not missing:
        return ""
    suppressed = sum(1 for r in missing if r.get("suppressed"))
    flagged = sum(1 for r in missing if not r.get("suppressed") and is_flagged(r))
    other = len(missing) - suppressed - flagged
    reasons = [(n, why) for n, why in ((suppressed, "too few records"), (flagged, "flagged at source"),
                                       (other, "no figure")) if n]
    if len(reasons) == 1:
        return f"{len(missing)} not published ({reasons[0][1]})"
    return f"{len(missing)} not published ({', '.join(f'{n} {why}' for n, why in reasons)})"


def _extremes(unit: str, rows: list[dict[str, Any]], label_key: str, *, over_time: bool) -> str:
    """Over time: 'lowest 5 (Jan 2024), highest 9 (Mar 2024)'; across groups or areas: 'highest
    Black at 3.1, lowest Asian at 0.77'. One phrase when they are the same figure."""
    low = min(rows, key=lambda r: r["value"])
    high = max(rows, key=lambda r: r["value"])

    def at(r: dict[str, Any]) -> str:
        value = value_text(unit, r["value"])
        return f"{value} ({r[label_key]})" if over_time else f"{r[label_key]} at {value}"

    if low["value"] == high["value"]:
        return f"only {at(high)}" if len(rows) == 1 else f"all {len(rows)} at {value_text(unit, high['value'])}"
    if over_time:
        return f"lowest {at(low)}, highest {at(high)}"
    return f"highest {at(high)}, lowest {at(low)}"


def series_summary(measure: Measure, rows: list[dict[str, Any]], area_name: str, period_type: str) -> str:
    """The text summary of a time-series chart, from the stored figures and verdicts. Lowest and
    highest are of the figures not flagged for quality; flagged ones are counted and said so."""
    if not rows:
        return f"No figures for {area_name}."
    plural = PERIOD_TYPE_PLURAL[period_type]
    parts = [f"{len(rows)} {plural} for {area_name}, {rows[0]['period']} to {rows[-1]['period']}" if len(rows) > 1
             else f"1 {plural[:-1]} for {area_name}, {rows[0]['period']}"]
    not_published = _not_published(rows)
    if not_published:
        parts.append(not_published)
    shown = [r for r in rows if not is_missing(r.get("value"))]
    flagged = [r for r in shown if is_flagged(r)]
    clean = [r for r in shown if not is_flagged(r)]
    if flagged:
        parts.append(f"{len(flagged)} shown with a quality flag (use with care)")
    if clean:
        parts.append(_extremes(measure.unit, clean, "period", over_time=True))
    latest = rows[-1]
    latest_text = f"latest {latest['period']}: {value_text(measure.unit, latest.get('value'))}"
    interval = interval_text(measure.unit, latest.get("interval_low"), latest.get("interval_high"))
    if interval:
        latest_text += f" (95% interval {interval})"
    if measure.unit not in ("ratio", "percentage_points"):
        latest_text += f", {change_phrase(latest.get('vs_year_before'), period_type)}"
    if latest.get("vs_band"):
        latest_text += f", {latest['vs_band']}" + (f" of ±{measure.band:g} points" if measure.band else "")
    if latest.get("sample_size_assumed") and not is_missing(latest.get("sample_size")):
        latest_text += (f"; the interval rests on an assumed sample of {latest['sample_size']:,.0f} respondents "
                        "(the survey does not publish its sample size)")
    if is_flagged(latest):
        latest_text += f"; {quality_phrase(latest)}"
    parts.append(latest_text)
    variations = Counter(str(r["spc_variation"]) for r in rows if r.get("spc_variation"))
    if variations:
        special = [(k, n) for k, n in variations.items() if k.startswith("special_cause")]
        if special:
            parts.append("process limits: " + ", ".join(
                f"{n} {'point' if n == 1 else 'points'} of {SPC_WORDS[k]}" for k, n in sorted(special)))
        elif "common_cause" in variations:
            parts.append("process limits: every point within them (common cause variation)")
        else:
            parts.append(SPC_WORDS["insufficient_data"])
    return sentence_case("; ".join(parts)) + "."


def snapshot_summary(measure: Measure, rows: list[dict[str, Any]], label_key: str, what: str) -> str:
    """Text summary of a chart comparing groups or areas at one period: '{title}: 6 groups, 2 not
    published (2 too few records); highest Black at 3.1 per 1,000, lowest Asian at 0.77 per 1,000.'"""
    if not rows:
        return f"{measure.title}: no figures by {what}."
    text = f"{measure.title}: {len(rows)} {what[:-1] if len(rows) == 1 and what.endswith('s') else what}"
    not_published = _not_published(rows)
    if not_published:
        text += f", {not_published}"
    shown = [r for r in rows if not is_missing(r.get("value"))]
    clean = [r for r in shown if not is_flagged(r)]  # a flagged figure is never the highest or lowest
    if clean:
        text += "; " + _extremes(measure.unit, clean, label_key, over_time=False)
    flagged = [r for r in shown if is_flagged(r)]
    if flagged:
        names = ", ".join(str(r[label_key]) for r in flagged[:3]) + (" and others" if len(flagged) > 3 else "")
        text += f"; {len(flagged)} shown with a quality flag ({names}): {quality_phrase(flagged[0])}"
    return text + "."
