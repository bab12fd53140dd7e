"""The health ledger as readers see it: months of one dataset and force, with each run of
consecutive missing months said once ('no file loaded for these 3 months ...'), not month by
month. The web page, the CLI and the report fold them the same way."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from oversight.measures.periods import add_months, month_end


def _next_month(month: str) -> str:
    after = add_months(month_end(int(month[:4]), int(month[5:7])), 1)
    return f"{after:%Y-%m}"


def folded_months(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Ledger rows (each with `month` 'YYYY-MM', `status` and `notes`), in month order, as lines:
    each row's fields plus `from`, `to` and `months`; a run of consecutive missing months is one
    line whose notes say how many months no file was loaded for."""
    out: list[dict[str, Any]] = []
    for r in rows:
        last = out[-1] if out else None
        if last and r["status"] == "missing" and last["status"] == "missing" and _next_month(last["to"]) == r["month"]:
            last["to"] = r["month"]
            last["months"] += 1
            why = str(r.get("notes") or "")
            where = why.split(": ", 1)[1] if why.startswith("no file loaded: ") else "inside the covered span"
            last["notes"] = f"no file loaded for these {last['months']} months ({where})"
            continue
        out.append({**r, "from": r["month"], "to": r["month"], "months": 1})
    return out
