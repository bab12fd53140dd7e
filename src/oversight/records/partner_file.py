"""The partner file the records' statistics are written as (docs/partner-data.md): the measures
read it with `oversight ingest partner`, so the records never write to the warehouse themselves."""

from __future__ import annotations

import csv
import io

PARTNER_COLUMNS = ("measure", "period_type", "period_start", "period_end", "area_level", "area_code", "breakdown",
                   "numerator", "denominator", "value", "sample_size", "source", "notes")


def partner_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PARTNER_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
