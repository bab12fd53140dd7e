"""Forces compared (measures.national) in words: the England and Wales figure, each force's place on
the funnel, the ranks it could hold, and why a force is not compared."""

from __future__ import annotations

from typing import Final

from oversight.measures.national import ForceFigure, NationalComparison
from oversight.measures.periods import period_label
from oversight.present.words import format_interval, format_value
from oversight.stats.funnel import HIGHER, LIMITS, LOWER

GROUP_PEOPLE: Final = {
    "Black": "Black people", "Asian": "Asian people", "Mixed": "people of mixed ethnicity",
    "Other": "people of other ethnic groups", "White": "White people",
}


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def year_text(c: NationalComparison) -> str:
    """'the financial year 2020-21'."""
    return f"the financial year {period_label(c.period_type, c.period_end)}"


def headline(c: NationalComparison) -> str:
    """The pooled figure, for whom and over which forces."""
    if c.reference_ratio is None or not c.compared:
        return f"No force has a figure that can be compared for {year_text(c)}."
    who, ref = GROUP_PEOPLE[c.group], GROUP_PEOPLE[c.reference_group]
    return (f"In {year_text(c)}, {who} were searched at {format_value('ratio', c.reference_ratio)} the rate of "
            f"{ref} across the {len(c.compared)} forces of England and Wales compared here (their searches "
            f"and residents added together); forces ranged from {format_value('ratio', c.compared[-1].ratio)} to "
            f"{format_value('ratio', c.compared[0].ratio)}.")


def spread_text(c: NationalComparison) -> str:
    """What the funnel allows for, and how many forces fall outside it."""
    if c.funnel is None:
        return ""
    outside = [f for f in c.compared if f.verdict in (HIGHER, LOWER)]
    spread = (f"Forces differ by more than chance: the limits allow for the usual spread between forces "
              f"(a standard deviation of {c.funnel.tau2 ** 0.5:.2f} on the log scale), as well as for chance."
              if c.funnel.tau2 > 0 else "The forces differ by no more than chance would make them.")
    if not outside:
        return f"{spread} No force is outside the {LIMITS[1]:.1%} limits."
    names = ", ".join(f.name for f in outside)
    return f"{spread} Outside the {LIMITS[1]:.1%} limits: {names}."


def verdict_text(f: ForceFigure) -> str:
    """Where the force sits on the funnel, in a sentence."""
    expected = "expected from England and Wales and the usual spread between forces"
    if f.verdict in (HIGHER, LOWER):
        more = "higher" if f.verdict == HIGHER else "lower"
        return f"That is {more} than {expected} (outside the funnel's {LIMITS[1]:.1%} limits)."
    if f.verdict_95 in (HIGHER, LOWER):
        side = "above" if f.verdict_95 == HIGHER else "below"
        return f"That is within the range {expected}, though {side} the {LIMITS[0]:.0%} limit."
    return f"That is within the range {expected}." if f.verdict else ""


def verdict_label(f: ForceFigure) -> str:
    """The verdict for a table cell: 'Higher than expected', 'Within (above the 95% limit)'."""
    if f.verdict in (HIGHER, LOWER):
        return f"{f.verdict.capitalize()} (outside {LIMITS[1]:.1%})"
    if f.verdict_95 in (HIGHER, LOWER):
        return f"Within the expected range ({'above' if f.verdict_95 == HIGHER else 'below'} the {LIMITS[0]:.0%} limit)"
    return "Within the expected range" if f.verdict else ""


def rank_text(f: ForceFigure, compared: int) -> str:
    """'1st of 32', or '2nd to 6th of 32' where intervals overlap."""
    if f.best_rank is None or f.worst_rank is None:
        return ""
    if f.best_rank == f.worst_rank:
        return f"{ordinal(f.best_rank)} of {compared}"
    return f"{ordinal(f.best_rank)} to {ordinal(f.worst_rank)} of {compared}"


def rank_sentence(f: ForceFigure, compared: int) -> str:
    if f.best_rank is None or f.worst_rank is None:
        return ""
    if f.best_rank == f.worst_rank:
        place = "highest" if f.best_rank == 1 else f"{ordinal(f.best_rank)} highest"
        return f"Its interval lies clear of every other force's, so it ranks {place} of {compared}."
    return (f"Its interval overlaps others', so it could rank anywhere from {ordinal(f.best_rank)} to "
            f"{ordinal(f.worst_rank)} highest of {compared}.")


def force_sentence(c: NationalComparison, f: ForceFigure) -> str:
    """One force's figure in words, or why it has none."""
    who, ref = GROUP_PEOPLE[c.group], GROUP_PEOPLE[c.reference_group]
    if f.not_compared:
        return f"{f.name} is not compared for {year_text(c)}: {f.not_compared}."
    interval = format_interval("ratio", f.low, f.high)
    return (f"{f.name} searched {who} at {format_value('ratio', f.ratio)} the rate of {ref} "
            f"(95% interval {interval}). {verdict_text(f)} {rank_sentence(f, len(c.compared))}")


def similar_text(c: NationalComparison, f: ForceFigure) -> str:
    """'Forces like it: Kent Police (2.65 times), ...' with each one's figure or 'not compared'."""
    if not f.similar:
        return ""
    parts = []
    for code in f.similar:
        other = c.force(code)
        name = c.names.get(code, code)
        if other is None or other.not_compared:
            parts.append(f"{name} (not compared)")
        else:
            parts.append(f"{name} ({format_value('ratio', other.ratio)})")
    return "Forces like it: " + ", ".join(parts) + "."
