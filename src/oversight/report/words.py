"""Small pieces of wording for the report, built on `oversight.measures.describe`.

Figures are always formatted by `describe.format_value` / `format_interval`, and verdicts are
the words stored in the measures table, so the report says what the pages and API say.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Final

from oversight.measures.catalogue import Measure
from oversight.measures.describe import (
    COMPARED_WITH,
    NOT_COMPARABLE,
    change_phrase,
    design_effect_text,
    direction_phrase,
    format_interval,
    format_value,
    is_flagged,
    quality_phrase,
    spc_phrase,
)
from oversight.measures.periods import period_label

NO_FIGURE: Final = "no figure"
DIMENSIONS: Final = {
    "self_defined_group": "self-defined ethnic group",
    "officer_defined_group": "officer-defined ethnic group",
    "major": "crime group",
    "age_group": "age group",
    "age_range": "age",
}


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def as_date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def period_text(row: dict[str, Any]) -> str:
    """'July 2022', '2022-23 Q2', '12 months to September 2022', '2022-23', '2022'."""
    end = as_date(row["period_end"])
    kind = row["period_type"]
    if kind == "month":
        return f"{end:%B %Y}"
    if kind == "rolling_12":
        return f"12 months to {end:%B %Y}"
    return period_label(kind, end)


def in_period(row: dict[str, Any]) -> str:
    """'in 2022-23 Q2', 'in the 12 months to September 2022'."""
    return ("in the " if row["period_type"] == "rolling_12" else "in ") + period_text(row)


def point_label(row: dict[str, Any]) -> str:
    """Short label for an axis: 'Jul 2022', '2022-23 Q2'."""
    end = as_date(row["period_end"])
    if row["period_type"] in ("month", "rolling_12"):
        return f"{end:%b %Y}"
    return period_label(row["period_type"], end)


def long_label(row: dict[str, Any]) -> str:
    """A period as words for captions and alt text: 'July 2022', '2022-23 Q2'."""
    end = as_date(row["period_end"])
    if row["period_type"] in ("month", "rolling_12"):
        return f"{end:%B %Y}"
    return period_label(row["period_type"], end)


def value_or_reason(unit: str, row: dict[str, Any] | None) -> str:
    """The formatted figure, or why there is none."""
    if row is None:
        return NO_FIGURE
    if row.get("suppressed"):
        return f"not published ({row.get('suppression_reason') or 'too few records'})"
    if is_missing(row.get("value")):
        return f"not published ({row['quality_note']})" if is_flagged(row) and row.get("quality_note") else NO_FIGURE
    return format_value(unit, row["value"])


def interval_or_blank(unit: str, row: dict[str, Any] | None) -> str:
    if row is None or row.get("suppressed"):
        return ""
    return format_interval(unit, row.get("interval_low"), row.get("interval_high"))


def sample_text(row: dict[str, Any] | None) -> str:
    """'12,800 (assumed)' for survey figures, else the denominator of a proportion, else ''."""
    if row is None or row.get("suppressed"):
        return ""
    size = row.get("sample_size")
    if not is_missing(size):
        return f"{size:,.0f}" + (" (assumed)" if row.get("sample_size_assumed") else "") + design_effect_text()
    return ""


def breakdown_label(breakdown: str) -> str:
    """'self_defined_group=Black' -> 'Black'; 'all' -> 'All'."""
    if breakdown == "all":
        return "All"
    value = breakdown.split("=", 1)[-1]
    return value.capitalize() if value.isupper() else value


def compared_with(row: dict[str, Any]) -> str:
    """The verdict against a year before, in words, with the direction where the measure has one."""
    return change_phrase(row.get("vs_year_before"), str(row["period_type"]))


def verdict_text(measure: Measure, row: dict[str, Any] | None) -> str:
    """'significant increase (in the worse direction)', 'no significant change', or '' when
    there is no comparison or the figure is not published."""
    if row is None or row.get("suppressed") or not row.get("vs_year_before"):
        return ""
    verdict = str(row["vs_year_before"])
    direction = direction_phrase(measure.polarity, verdict)
    return f"{verdict} ({direction})" if direction else verdict


def spc_text(row: dict[str, Any]) -> str:
    """'within the process limits, but part of a run of 7 or more points above the mean: special
    cause (concern)': where the point lies and what it means, said once."""
    return spc_phrase(row)


def against_text(kind: str) -> str:
    """'the same quarter a year before', 'the previous 12 months'."""
    return COMPARED_WITH.get(kind, "the period a year before")


def change_sentence(measure: Measure, row: dict[str, Any]) -> str:
    """'Total recorded crime: 219,033 in 2022-23 Q2, a significant increase on the same quarter a
    year before (in the worse direction).' Only the stored verdict decides the words."""
    value = value_or_reason(measure.unit, row)
    verdict = row.get("vs_year_before")
    text = f"{measure.title}: {value} {in_period(row)}"
    if row.get("suppressed"):
        return text + "."
    care = f" ({quality_phrase(row)})" if is_flagged(row) and not is_missing(row.get("value")) else ""
    if not verdict or verdict == NOT_COMPARABLE:
        return text + f"{care}; {change_phrase(verdict, str(row['period_type']))}."  # type: ignore[arg-type]
    direction = direction_phrase(measure.polarity, str(verdict))
    return text + f"{care}, {'a ' if verdict != 'no significant change' else ''}{compared_with(row)}" + (
        f" ({direction})" if direction else "") + "."
