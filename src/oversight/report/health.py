"""Data health for the quarter: which months of record-level data are missing or partial, which
rows were quarantined, and which reference datasets cover the quarter.

Read from the warehouse's health ledger (`oversight.warehouse.health`) and quarantine table,
the same facts `oversight health` and `oversight quarantine` print.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Final

import duckdb

from oversight.measures.health import reference_health
from oversight.present.labels import as_date
from oversight.report.figures import records
from oversight.report.quarter import Quarter
from oversight.warehouse.health import health_ledger

DATASETS: Final = {"street": "Street-level crime", "outcomes": "Crime outcomes", "stop-and-search": "Stop and search"}
TOP_REASONS: Final = 5


@dataclass
class QuarterHealth:
    months: list[dict[str, Any]] = field(default_factory=list)      # one per dataset x month of the quarter
    absent: list[dict[str, Any]] = field(default_factory=list)      # datasets with no rows in the quarter
    quarantine: list[dict[str, Any]] = field(default_factory=list)  # rows set aside in the quarter, by reason
    reference: list[dict[str, Any]] = field(default_factory=list)

    @property
    def problems(self) -> list[dict[str, Any]]:
        return [m for m in self.months if m["status"] != "ok"]


def quarter_health(con: duckdb.DuckDBPyConnection, quarter: Quarter, force: str) -> QuarterHealth:
    health = QuarterHealth()
    ledger = records(health_ledger(con, force=force))
    wanted = {f"{m:%Y-%m}" for m in quarter.months}
    for dataset, name in DATASETS.items():
        rows = [r for r in ledger if r["dataset"] == dataset]
        inside = [r for r in rows if r["month"] in wanted]
        for r in inside:
            health.months.append({**r, "name": name,
                                  "month_name": dt.date.fromisoformat(r["month"] + "-01").strftime("%B %Y"),
                                  "no_coordinates": _share(r.get("share_no_coordinates"))})
        if len(inside) < len(wanted):
            span = (f"loaded months run from {_month(rows[0]['month'])} to {_month(rows[-1]['month'])}" if rows
                    else "no file of this kind has been loaded for this force")
            missing = sorted(wanted - {r["month"] for r in inside})
            health.absent.append({"name": name, "months": ", ".join(_month(m) for m in missing), "span": span})
    health.quarantine = records(con.execute(
        """SELECT dataset, reason, count(*) AS rows, min(source_file) AS example_file
           FROM quarantine WHERE force = ? AND month BETWEEN ? AND ?
           GROUP BY dataset, reason ORDER BY rows DESC, dataset, reason LIMIT ?""",
        [force, quarter.start, quarter.end, TOP_REASONS],
    ).df())
    for r in records(reference_health(con)):
        first, last = _date(r.get("first_period")), _date(r.get("last_period"))
        if not r["files"]:
            cover = "not loaded"
        elif first is None or last is None:
            cover = "no dates (fixed reference)"
        elif last < quarter.start:
            cover = f"ends before the quarter ({last:%B %Y})"
        elif first > quarter.end:
            cover = f"starts after the quarter ({first:%B %Y})"
        else:
            cover = "covers the quarter"
        health.reference.append({**r, "cover": cover})
    return health


def _share(value: Any) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def _month(text: str) -> str:
    return dt.date.fromisoformat(text + "-01").strftime("%B %Y")


def _date(value: Any) -> dt.date | None:
    return None if value is None else as_date(value)
