"""The executive summary: what changed significantly this quarter, and what did not.

A measure has changed significantly when its stored verdict against a year before says
"significant increase" or "significant decrease", or when a month of the quarter shows special
cause variation on its SPC chart. Everything else is "no significant change" (or "not compared"
when there is no figure a year before). No other words are used for change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oversight.present.labels import period_text
from oversight.present.words import SPC_WORDS, band_words, change_sentence, value_text
from oversight.report.figures import AWAITING, Gap, MeasureFigures


@dataclass
class Summary:
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_compared: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    awaiting: list[str] = field(default_factory=list)
    band: list[str] = field(default_factory=list)


def summarise(shown: list[MeasureFigures], not_shown: list[MeasureFigures], gaps: list[Gap]) -> Summary:
    summary = Summary()
    for m in shown:
        sentence = figure_sentence(m)
        if m.changed:
            summary.changed.append(sentence)
        elif m.verdict == "no significant change":
            summary.unchanged.append(sentence)
        else:
            summary.not_compared.append(sentence)
    for m in not_shown:
        (summary.awaiting if m.status == AWAITING else summary.unavailable).append(m.measure.title)
    summary.band = [band_sentence(g) for g in gaps]
    return summary


def figure_sentence(m: MeasureFigures) -> str:
    """The quarter's figure and its verdict, then any month of the quarter with special cause variation."""
    unit = m.measure.unit
    if m.figure is not None:
        text = change_sentence(m.measure, m.figure)
    else:
        months = "; ".join(f"{period_text(r)} {value_text(unit, r)}" for r in m.months)
        text = (f"{m.measure.title}: no figure for the quarter as a whole (a quarter is published only when "
                f"all its months are complete); {months}.")
    by_variation: dict[str, list[str]] = {}
    for r in m.special_months:
        by_variation.setdefault(r["spc_variation"], []).append(period_text(r))
    if by_variation:
        text += " Monthly SPC: " + "; ".join(
            f"{_and(months)} {'shows' if len(months) == 1 else 'show'} {SPC_WORDS[variation]}"
            for variation, months in by_variation.items()) + "."
    return text


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def band_sentence(gap: Gap) -> str:
    measure = gap.measure
    band = f"±{measure.band:g} points"
    if gap.status == AWAITING:
        return (f"The Plan's one numerical commitment, to bring gaps in trust between groups within {band}, "
                f"cannot be judged this quarter: {measure.title} awaits partner data, which is not open data.")
    if not gap.rows:
        return f"{measure.title}: no figure for this quarter, so the {band} band cannot be judged."
    by_verdict: dict[str, list[str]] = {}
    for row in gap.rows:
        if row["breakdown"] == "all":
            continue
        by_verdict.setdefault(_band_words(row), []).append(row["label"])
    parts = [f"{words} for {', '.join(labels)}" for words, labels in by_verdict.items()]
    return f"{measure.title} against the {band} band, {period_text(gap.rows[0])}: " + "; ".join(parts) + "."


def _band_words(row: dict[str, Any]) -> str:
    if row.get("suppressed"):
        return "not published"
    return band_words(row.get("vs_band")) or "cannot tell"
