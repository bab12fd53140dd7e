"""Names for what figures are of: periods, breakdowns and their dimensions, units and polarities,
and the order groups are listed in. The same on every page, in the report and at the terminal.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any, Final

from oversight.measures.periods import period_label

LEVEL_NAMES: Final = {"force": "Force", "bcu": "Basic Command Unit", "borough": "Borough", "ward": "Ward",
                      "national": "Country"}
NATIONAL_AREAS: Final = {"K04000001": "England and Wales"}
"""Areas of the 'national' level by ONS code: the whole of England and Wales."""
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
    "days": "days",
}
POLARITY_NAMES: Final = {
    "up_is_good": "higher is better",
    "down_is_good": "lower is better",
    "neutral": "neither direction is better in itself",
}
DIMENSION_NAMES: Final = {
    "self_defined_group": "self-defined ethnic group",
    "officer_defined_group": "officer-defined ethnic group",
    "officer_defined_ethnicity": "officer-defined ethnicity",
    "self_and_officer": "self-defined and officer-defined ethnicity",
    "major": "crime group",
    "crime_type": "crime type",
    "age_range": "age",
    "age_group": "age group",
    "subject_group": "ethnic group of the person, as the officer perceived it",
    "type_of_force": "type of force",
    "taser_use": "how the Taser was used",
}
GROUP_ORDER: Final = ("Asian", "Black", "Mixed", "Other", "White", "Not stated")
"""Ethnic groups in the order of the census's own tables, not stated last."""
ETHNIC_DIMENSIONS: Final = ("self_defined_group", "officer_defined_group", "officer_defined_ethnicity", "subject_group")
ORDERED_GROUPS: Final = {
    "taser_use": ("Drawn", "Aimed", "Arced", "Red-dot", "Drive stun", "Angled drive stun", "Fired"),
    "type_of_force": ("Restraint", "Unarmed skills", "Other equipment", "Less lethal weapons", "Firearms", "Other"),
}
"""Groups listed in an order of their own (Taser uses from least to most forceful, as the Home
Office tables list them) rather than by name."""
CATCH_ALL: Final = ("Not stated", "Unknown", "Other")
"""Labels listed after every named group (except among ethnic groups, where 'Other' is a group)."""


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def as_date(value: Any) -> dt.date:
    """A period end as a date, whether it came as a date, a timestamp or ISO text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def breakdown_label(breakdown: str) -> str:
    """'all' -> 'All'; 'self_defined_group=Black' -> 'Black'; 'major=ROBBERY' -> 'Robbery'."""
    if breakdown == "all":
        return "All"
    value = breakdown.split("=", 1)[1] if "=" in breakdown else breakdown
    return value.capitalize() if value.isupper() else value  # 'ROBBERY' as published by the MPS


def dimension_label(dimension: str) -> str:
    return DIMENSION_NAMES.get(dimension, dimension.replace("_", " "))


def group_order(breakdown: str) -> tuple[int, float, str]:
    """Sort key for the groups of one breakdown ('self_defined_group=Black'), the same in every
    table and chart: ethnic groups in `GROUP_ORDER`; bands of ages or counts by their number
    ('under 10', '10-17', '18-24', 'over 34'); other groups by name; catch-alls last."""
    dimension = breakdown.split("=", 1)[0]
    label = breakdown_label(breakdown)
    if dimension in ETHNIC_DIMENSIONS and label in GROUP_ORDER:
        return (0, GROUP_ORDER.index(label), label)
    if label in ORDERED_GROUPS.get(dimension, ()):
        return (0, ORDERED_GROUPS[dimension].index(label), label)
    if label in CATCH_ALL or label.startswith("Not stated"):
        return (2, 0, label)
    band = _BAND.match(label)
    if band:
        bound = float(band["number"])
        side = (band["side"] or "").lower()
        return (0, bound - 0.5 if side == "under" else bound + 0.5 if side == "over" else bound, label)
    return (1, 0, label)


_BAND: Final = re.compile(r"^\s*(?P<side>under|over)?\s*(?P<number>\d+)", re.IGNORECASE)


def period_text(row: Mapping[str, Any]) -> str:
    """'July 2022', '2022-23 Q2', '12 months to September 2022', '2022-23', '2022'."""
    end = as_date(row["period_end"])
    kind = row["period_type"]
    if kind == "month":
        return f"{end:%B %Y}"
    if kind == "rolling_12":
        return f"12 months to {end:%B %Y}"
    return period_label(kind, end)


def in_period(row: Mapping[str, Any]) -> str:
    """'in 2022-23 Q2', 'in the 12 months to September 2022'."""
    return ("in the " if row["period_type"] == "rolling_12" else "in ") + period_text(row)


def point_label(row: Mapping[str, Any]) -> str:
    """Short label for an axis: 'Jul 2022', '2022-23 Q2'."""
    end = as_date(row["period_end"])
    if row["period_type"] in ("month", "rolling_12"):
        return f"{end:%b %Y}"
    return period_label(row["period_type"], end)


def long_label(row: Mapping[str, Any]) -> str:
    """A period as words for captions, tables and alt text: 'July 2022', '2022-23 Q2'."""
    end = as_date(row["period_end"])
    if row["period_type"] in ("month", "rolling_12"):
        return f"{end:%B %Y}"
    return period_label(row["period_type"], end)
