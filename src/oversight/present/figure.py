"""A Figure: one row of the measures table as every output shows it.

Pages, the API, the report and the CLI each map a Figure to HTML, JSON, PDF or terminal text;
none of them words a figure, its interval, its verdict, its SPC reading or its quality on its
own, so the same figure reads the same everywhere (a test holds them to it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from oversight.measures.catalogue import Measure
from oversight.present.labels import breakdown_label, period_text
from oversight.present.marks import SPC_MARKS, SpcMark
from oversight.present.words import (
    Change,
    change_of,
    comparison_text,
    interval_text,
    missing_reason,
    quality_phrase,
    sample_text,
    spc_phrase,
    summary_sentence,
    value_text,
    verdict_text,
)


@dataclass(frozen=True)
class Figure:
    measure: Measure
    period: str          # 'July 2022', '2022-23 Q2'
    group: str           # 'All', 'Black'
    value: str           # '149,284', or why there is none: 'not published (fewer than 10 records)'
    missing: str         # why there is no figure, '' when there is one
    interval: str        # '148,529 to 150,044', or ''
    sample: str          # survey sample or denominator, or ''
    comparison: str      # 'Significant increase on the previous 12 months, in the worse direction (was 75,418;
                         # up 1,625 (+2.2%))', why there is none, or '' (a gap or ratio; a figure not there)
    verdict: str         # 'significant increase (in the worse direction)', or ''
    change: Change | None
    spc: SpcMark | None
    spc_text: str        # 'within the process limits: common cause variation', or ''
    quality: str         # 'use with care: incomplete source data ...', or ''
    sentence: str        # the whole figure in one sentence

    @classmethod
    def of(cls, measure: Measure, row: Mapping[str, Any], settings: Mapping[str, str] | None = None) -> Figure:
        """The figure of `row`; `settings` are those the figures were built with
        (`build_settings.used`), for what is said about the method (the design effect)."""
        unit = measure.unit
        variation = row.get("spc_variation")
        return cls(
            measure=measure,
            period=period_text(row),
            group=breakdown_label(str(row.get("breakdown") or "all")),
            value=value_text(unit, row),
            missing=missing_reason(row),
            interval=interval_text(unit, row),
            sample=sample_text(row, (settings or {}).get("survey_design_effect")),
            comparison=comparison_text(measure, row),
            verdict=verdict_text(measure, row) if measure.compared_with_year_before else "",
            change=change_of(row) if measure.compared_with_year_before else None,
            spc=SPC_MARKS.get(variation) if isinstance(variation, str) else None,
            spc_text=spc_phrase(row),
            quality=quality_phrase(row),
            sentence=summary_sentence(measure, row),
        )
