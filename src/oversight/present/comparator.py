"""The Neighbourhood Confidence Comparator in words: ranks, gaps to peers, group means, the
sample-size assumption, the similarity groups and the correlations across neighbourhoods.

Figures are formatted by `words` (published whole percents as '71%', means to one decimal, gaps in
points); every sentence here is shared by the pages, the API and the CSVs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

from oversight.measures.comparator import HIGHER, LOWER, NOT_CLEAR
from oversight.present.labels import is_missing
from oversight.present.words import design_effect_text, format_interval, format_value

VERSUS_WORDS: Final = {
    HIGHER: "higher than its peers",
    LOWER: "lower than its peers",
    NOT_CLEAR: "no clear difference from its peers",
}
CAUSE_CAVEAT: Final = (
    "These are correlations between neighbourhoods in one survey year: they show which figures tend to be "
    "high or low in the same places, not that one causes the other. Both may follow something else about "
    "an area, such as its crime, its people or its policing."
)
STRENGTH: Final = ((0.7, "strong"), (0.4, "moderate"), (0.2, "weak"))
"""Conventional words for the size of a correlation (|r| at least this); below the last, 'very weak'."""


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_text(rank: int, of: int, tied: bool = False) -> str:
    """'3rd of 13', 'joint 3rd of 13' (1st = the highest share)."""
    return f"{'joint ' if tied else ''}{ordinal(rank)} of {of}"


def share_text(value: float | None) -> str:
    """A published neighbourhood figure: '71%' (published in whole percents)."""
    return format_value("survey_proportion", value)


def mean_text(value: float | None) -> str:
    """A mean of neighbourhood figures: '70.4%'."""
    return format_value("proportion", value)


def range_text(low: float | None, high: float | None) -> str:
    """'62% to 79%' (the lowest and highest published figure)."""
    if low is None or high is None or is_missing(low) or is_missing(high):
        return ""
    return f"{share_text(low)} to {share_text(high)}"


def interval_text(low: float | None, high: float | None) -> str:
    """The 95% interval of a figure: '62.3% to 79.5%'."""
    return format_interval("survey_proportion", low, high)


def gap_text(gap: float | None) -> str:
    """A difference of two shares in points: '+5.3 points'."""
    return "" if gap is None or is_missing(gap) else format_value("percentage_points", 100 * gap)


def gap_interval_text(low: float | None, high: float | None) -> str:
    """'-17.4 to -1.3 points'."""
    if low is None or high is None or is_missing(low) or is_missing(high):
        return ""
    return format_interval("percentage_points", 100 * low, 100 * high)


def versus_text(verdict: str | None) -> str:
    return VERSUS_WORDS.get(verdict or "", "no peers to compare with")


def sample_assumption_text(sample_size: int, sharing: int, per_borough: int,
                           design_effect: str | float | None = None) -> str:
    """How the intervals' sample size was chosen, since the source publishes none."""
    share = "" if sharing == 1 else f", shared evenly among the borough's {sharing} neighbourhoods in the file"
    return (f"{sample_size:,} respondents assumed{design_effect_text(design_effect)}. The source publishes no sample "
            f"size: the assumption is the survey's design of about {per_borough:,} interviews a year in each "
            f"borough{share}. The real number may differ, so read the intervals as a guide to how much such "
            "figures can vary by chance, not as exact.")


def measure_line(row: Mapping[str, Any]) -> str:
    """One question of one neighbourhood against its group, London and its peers, in a few short sentences."""
    interval = interval_text(row["interval_low"], row["interval_high"])
    text = (f"{row['title']}: {share_text(row['value'])} (95% interval {interval}). "
            f"Group {row['similarity_group']}: mean {mean_text(row['group_mean'])}, range "
            f"{range_text(row['group_min'], row['group_max'])}; it is "
            f"{rank_text(row['rank_in_group'], row['group_size'], row['tied_in_group'])}. "
            f"London: average {mean_text(row['london_mean'])}; it is "
            f"{rank_text(row['rank_in_london'], row['london_size'], row['tied_in_london'])}.")
    if is_missing(row.get("gap")):
        return text
    return (text + f" Against the mean of its {row['peers']} peers: {gap_text(row['gap'])} "
            f"(95% interval {gap_interval_text(row['gap_low'], row['gap_high'])}), "
            f"{versus_text(row['versus_peers'])}.")


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def summary_sentences(name: str, group: int, peers: int, rows: Sequence[Mapping[str, Any]],
                      overall: Mapping[str, Any] | None) -> list[str]:
    """The comparison of one neighbourhood in a few sentences, overall confidence first, then the
    count of measures above, below and not clearly different from its peers, then the biggest gaps."""
    others = _count(peers, "other neighbourhood", "other neighbourhoods")
    said = [f"{name} is in similarity group {group} with {others}."]
    if overall is not None:
        rank = rank_text(overall["rank_in_group"], overall["group_size"], overall["tied_in_group"])
        said.append(
            f"Overall confidence: {share_text(overall['value'])} say the police do a good or excellent job here, "
            f"against a mean of {mean_text(overall['group_mean'])} in its group and "
            f"{mean_text(overall['london_mean'])} across London; {rank} in its group "
            f"({versus_text(overall['versus_peers'])}).")
    compared = [r for r in rows if r.get("versus_peers")]
    if compared:
        higher = sum(r["versus_peers"] == HIGHER for r in compared)
        lower = sum(r["versus_peers"] == LOWER for r in compared)
        unclear = len(compared) - higher - lower
        said.append(f"Of {len(compared)} measures, it is clearly higher than its peers on {higher}, clearly lower on "
                    f"{lower}, and not clearly different on {unclear} (under the assumed sample size).")
        clear = [r for r in compared if r["versus_peers"] in (HIGHER, LOWER)][:3]
        if clear:
            parts = [f"{str(r['title']).lower()} ({gap_text(r['gap'])})" for r in clear]
            said.append("Its biggest clear gaps: " + "; ".join(parts) + ".")
    return said


def group_basis_text(groups: Sequence[int], neighbourhoods: int) -> str:
    """What the source says about its similarity groups, and that it does not say how they were made."""
    if not groups:
        return "The source gives no similarity groups."
    absent = sorted(set(range(1, max(groups) + 1)) - set(groups))
    gap = (f" No neighbourhood in the file is in group {', '.join(map(str, absent))}." if absent else "")
    return (f"The source puts its {neighbourhoods} neighbourhoods into {len(groups)} similarity groups, numbered "
            f"{min(groups)} to {max(groups)}.{gap} It gives each neighbourhood's group number and nothing else: it "
            "does not say on what basis neighbourhoods were judged similar. This site compares each neighbourhood "
            "with the others in its group as the source groups them, and makes no claim about what they share.")


def strength_word(r: float) -> str:
    for bound, word in STRENGTH:
        if abs(r) >= bound:
            return word
    return "very weak"


def correlation_text(r: float | None, low: float | None, high: float | None) -> str:
    """'0.72, 95% interval 0.61 to 0.80'."""
    if r is None or is_missing(r):
        return "no figure"
    interval = "" if low is None or high is None or is_missing(low) or is_missing(high) else \
        f", 95% interval {low:.2f} to {high:.2f}"
    return f"{r:.2f}{interval}"


def driver_sentence(row: Mapping[str, Any]) -> str:
    """How one measure moves with overall confidence across neighbourhoods, in words."""
    r, low, high = row.get("spearman"), row.get("spearman_low"), row.get("spearman_high")
    where = f"across {row['pairs']} neighbourhoods"
    if r is None or is_missing(r):
        return f"“{row['title']}”: too few neighbourhoods with both figures for a correlation."
    figures = f"Spearman {correlation_text(r, low, high)}, {where}"
    if low is not None and high is not None and not math.isnan(low) and low <= 0 <= high:
        return (f"“{row['title']}” shows no clear relation with overall confidence ({figures}).")
    direction = "higher" if r > 0 else "lower"
    return (f"Neighbourhoods with a higher share for “{row['title']}” tend to have a {direction} share saying the "
            f"police do a good job: a {strength_word(r)} correlation ({figures}).")
