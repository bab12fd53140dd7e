"""A series of figures over time, or figures side by side at one period, as a reader meets them:
where the line may be drawn (runs split at missing periods and flagged figures) and the text
summary that says in words what the chart shows. Pages and report draw from these; neither
decides on its own where a line breaks or which figure is called highest.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from typing import Any

from oversight.measures.catalogue import Measure
from oversight.measures.finishing import HIDDEN_WITH_OTHERS
from oversight.present.labels import PERIOD_TYPE_PLURAL, as_date, is_missing, sentence_case
from oversight.present.words import (
    SPC_WORDS,
    band_words,
    change_phrase,
    interval_text,
    is_flagged,
    missing_reason,
    quality_phrase,
    value_text,
)

Row = dict[str, Any]
DRAWN_APART = ("value", "interval_low", "interval_high")
"""Columns of a figure: a flagged figure is drawn apart from the line, never joined to it.
Means and limits are the process's, not the figure's, and run on through a flagged month."""


def gaps(rows: list[Row]) -> list[bool]:
    """For each row, whether missing periods lie between it and the row before: a step between
    period ends of more than half again the usual step (months, quarters and years alike)."""
    ends = [as_date(r["period_end"]) for r in rows]
    steps = [(b - a).days for a, b in pairwise(ends)]
    if not steps:
        return [False] * len(rows)
    usual = sorted(steps)[len(steps) // 2]
    return [False] + [step > 1.5 * usual for step in steps]


def runs(rows: list[Row], *columns: str) -> list[list[int]]:
    """Indices of the runs of consecutive rows that have every one of `columns`, split where
    periods are missing between rows and, for a figure's own columns, at a flagged figure."""
    runs_: list[list[int]] = [[]]
    for i, (row, gap) in enumerate(zip(rows, gaps(rows), strict=True)):
        apart = any(c in DRAWN_APART for c in columns) and is_flagged(row)
        usable = not apart and all(not is_missing(row.get(c)) for c in columns)
        if gap or not usable:
            if runs_[-1]:
                runs_.append([])
        if usable:
            runs_[-1].append(i)
    return [r for r in runs_ if r]


def not_published(rows: list[Row]) -> str:
    """'3 not published (2 too few records, 1 flagged at source), 1 with no figure', or ''."""
    missing = [r for r in rows if is_missing(r.get("value"))]
    hidden = [r for r in missing if r.get("suppressed")]
    protecting = sum(1 for r in hidden if r.get("suppression_reason") == HIDDEN_WITH_OTHERS)
    too_few = len(hidden) - protecting
    flagged = sum(1 for r in missing if not r.get("suppressed") and is_flagged(r))
    other = len(missing) - too_few - protecting - flagged
    parts = []
    reasons = [(n, why) for n, why in ((too_few, "too few records"), (flagged, "flagged at source"),
                                       (protecting, "hidden to protect another figure")) if n]
    if len(reasons) == 1:
        parts.append(f"{reasons[0][0]} not published ({reasons[0][1]})")
    elif reasons:
        each = ", ".join(f"{n} {why}" for n, why in reasons)
        parts.append(f"{too_few + protecting + flagged} not published ({each})")
    if other:
        parts.append(f"{other} with no figure")
    return ", ".join(parts)


def extremes(unit: str, rows: list[Row], label_key: str, *, over_time: bool) -> str:
    """Over time: 'lowest 5 (Jan 2024), highest 9 (Mar 2024)'; across groups or areas: 'highest
    Black at 3.1, lowest Asian at 0.77'. One phrase when they are the same figure. Only figures
    not flagged for quality are named highest or lowest."""
    clean = [r for r in rows if not is_missing(r.get("value")) and not is_flagged(r)]
    if not clean:
        return ""
    low = min(clean, key=lambda r: r["value"])
    high = max(clean, key=lambda r: r["value"])

    def at(r: Row) -> str:
        value = value_text(unit, r)
        return f"{value} ({r[label_key]})" if over_time else f"{r[label_key]} at {value}"

    if low["value"] == high["value"]:
        return f"only {at(high)}" if len(clean) == 1 else f"all {len(clean)} at {value_text(unit, high)}"
    if over_time:
        return f"lowest {at(low)}, highest {at(high)}"
    return f"highest {at(high)}, lowest {at(low)}"


def spc_counts(rows: list[Row]) -> str:
    """'process limits: 2 points of special cause variation (concern)', 'every point within
    them', or that the series is too short; '' for a series without SPC."""
    read = [str(r["spc_variation"]) for r in rows if r.get("spc_variation")]
    if not read:
        return ""
    variations = Counter(read)
    special = sorted((k, n) for k, n in variations.items() if k.startswith("special_cause"))
    if special:
        text = "process limits: " + ", ".join(
            f"{n} {'point' if n == 1 else 'points'} of {SPC_WORDS[k]}" for k, n in special)
    elif "common_cause" in variations:
        text = "process limits: every point within them (common cause variation)"
    else:
        return SPC_WORDS["insufficient_data"]
    if read[-1] == "insufficient_data":  # limits restart at a break or a change of source
        text += ("; the latest months are too few for limits of their own "
                 "(limits restart at a break or a change of source)")
    return text


def series_summary(
    measure: Measure, rows: list[Row], area_name: str, period_type: str, *, label_key: str = "period"
) -> str:
    """The text summary of a time-series chart, from the stored figures and verdicts. Lowest and
    highest are of the figures not flagged for quality; flagged ones are counted and said so."""
    if not rows:
        return f"No figures for {area_name}."
    plural = PERIOD_TYPE_PLURAL[period_type]
    first, last = rows[0][label_key], rows[-1][label_key]
    parts = [f"{len(rows)} {plural} for {area_name}, {first} to {last}" if len(rows) > 1
             else f"1 {plural[:-1]} for {area_name}, {first}"]
    missing = not_published(rows)
    if missing:
        parts.append(missing)
    flagged = [r for r in rows if not is_missing(r.get("value")) and is_flagged(r)]
    if flagged:
        parts.append(f"{len(flagged)} shown with a quality flag (use with care)")
    low_high = extremes(measure.unit, rows, label_key, over_time=True)
    if low_high:
        parts.append(low_high)
    latest = rows[-1]
    latest_text = f"latest {latest[label_key]}: {value_text(measure.unit, latest)}"
    interval = interval_text(measure.unit, latest)
    if interval:
        latest_text += f" (95% interval {interval})"
    if measure.compared_with_year_before and not missing_reason(latest):
        verdict = change_phrase(latest.get("vs_year_before"), period_type, latest.get("not_comparable_because"))
        latest_text += f", {verdict}"
    if latest.get("vs_band"):
        latest_text += f", {band_words(latest['vs_band'])}" + (
            f" of ±{measure.band:g} points" if measure.band else "")
    if latest.get("sample_size_assumed") and not is_missing(latest.get("sample_size")):
        latest_text += (f"; the interval rests on an assumed sample of {latest['sample_size']:,.0f} respondents "
                        "(the survey does not publish its sample size)")
    if is_flagged(latest):
        latest_text += f"; {quality_phrase(latest)}"
    parts.append(latest_text)
    spc = spc_counts(rows)
    if spc:
        parts.append(spc)
    return sentence_case("; ".join(parts)) + "."


def snapshot_summary(measure: Measure, rows: list[Row], label_key: str, what: str) -> str:
    """Text summary of a chart comparing groups or areas at one period: '{title}: 6 groups, 2 not
    published (too few records); highest Black at 3.1 per 1,000, lowest Asian at 0.77 per 1,000.'"""
    if not rows:
        return f"{measure.title}: no figures by {what}."
    text = f"{measure.title}: {len(rows)} {what[:-1] if len(rows) == 1 and what.endswith('s') else what}"
    missing = not_published(rows)
    if missing:
        text += f", {missing}"
    low_high = extremes(measure.unit, rows, label_key, over_time=False)
    if low_high:
        text += "; " + low_high
    flagged = [r for r in rows if not is_missing(r.get("value")) and is_flagged(r)]
    if flagged:
        names = ", ".join(str(r[label_key]) for r in flagged[:3]) + (" and others" if len(flagged) > 3 else "")
        text += f"; {len(flagged)} shown with a quality flag ({names}): {quality_phrase(flagged[0])}"
    return text + "."
