"""What a partner file for a measure looks like: two rows in the format of docs/partner-data.md,
with invented figures marked ILLUSTRATIVE in the source and notes of every row, so a page that
waits for partner data can show the line a partner would send. Never loaded, never a figure."""

from __future__ import annotations

from typing import Final

from oversight import config
from oversight.measures.catalogue import Measure
from oversight.sources.partner import COLUMNS

MARK: Final = "ILLUSTRATIVE - not real data"
# Invented numbers by unit: (numerator, denominator, value, sample_size) for two periods.
_FIGURES: Final = {
    "count": (("412", "", "", ""), ("398", "", "", "")),
    "proportion": (("70", "100", "", ""), ("66", "100", "", "")),
    "survey_proportion": (("", "", "0.71", "400"), ("", "", "0.69", "400")),
}
_PERIODS: Final = {
    "month": (("month", "2023-04-01", "2023-04-30"), ("month", "2023-05-01", "2023-05-31")),
    "fy_quarter": (("fy_quarter", "2023-04-01", "2023-06-30"), ("fy_quarter", "2023-07-01", "2023-09-30")),
    "rolling_12": (("rolling_12", "2022-07-01", "2023-06-30"), ("rolling_12", "2022-10-01", "2023-09-30")),
    "financial_year": (("financial_year", "2022-04-01", "2023-03-31"), ("financial_year", "2023-04-01", "2024-03-31")),
}


def example_rows(measure: Measure) -> list[dict[str, str]]:
    """Two illustrative rows of a partner file for `measure` (force level, everyone), or [] when
    its unit or periods have no example."""
    figures = _FIGURES.get(measure.unit)
    kind = next((p for p in ("fy_quarter", "financial_year", "rolling_12", "month") if p in measure.periods), None)
    if figures is None or kind is None or "force" not in measure.levels:
        return []
    rows = []
    for (period_type, start, end), (numerator, denominator, value, sample) in zip(_PERIODS[kind], figures,
                                                                                    strict=True):
        row = {
            "measure": measure.id, "period_type": period_type, "period_start": start, "period_end": end,
            "area_level": "force", "area_code": str(config.default("default_force")), "breakdown": "all",
            "numerator": numerator, "denominator": denominator, "value": value, "sample_size": sample,
            "source": MARK, "notes": MARK,
        }
        rows.append({c: row[c] for c in COLUMNS})
    return rows
