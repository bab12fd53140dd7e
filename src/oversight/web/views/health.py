"""Data health: the police.uk ledger (per force, dataset and month), the reference datasets, and
each measure's build status; and the part of it behind one measure."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from oversight.measures.catalogue import Measure
from oversight.measures.health import force_names
from oversight.present.health import folded_months
from oversight.warehouse.quality import POLICE_UK_TABLES
from oversight.web.records import frame_records
from oversight.web.store import Store
from oversight.web.views._common import page, section


def police_uk_summary(ledger: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for (dataset, force), group in ledger.groupby(["dataset", "force"], sort=True):
        counts = group["status"].value_counts()
        rows.append({
            "dataset": dataset, "force": force, "force_name": force_names().get(str(force), str(force)),
            "first_month": group["month"].min(), "last_month": group["month"].max(),
            "months": int(len(group)), "ok": int(counts.get("ok", 0)), "partial": int(counts.get("partial", 0)),
            "missing": int(counts.get("missing", 0)), "rows": int(group["rows"].sum()),
            "quarantined": int(group["quarantined"].sum()),
            "flagged": [{k: r[k] for k in ("from", "to", "months", "status", "rows", "notes")}
                        for r in folded_months(frame_records(group[group["status"] != "ok"]))],
        })
    return rows


def _tables_used(m: Measure) -> set[str]:
    words = set(re.findall(r"[a-z_]+", (m.sql or "").lower()))
    return set(m.requires) | words


def measure_health(store: Store, m: Measure) -> dict[str, Any]:
    used = _tables_used(m)
    police = [r for r in police_uk_summary(store.health())
              if any(t == POLICE_UK_TABLES.get(r["dataset"])
                     or t.startswith(POLICE_UK_TABLES.get(r["dataset"], "?") + "_")
                     for t in used)]
    reference, problem = store.reference_health()
    ref_rows = frame_records(reference[reference["table"].isin(used)]) if not reference.empty else []
    return {"police_uk": police, "reference": ref_rows, "reference_problem": problem,
            "partner": m.awaits_partner_data}


def health_page(store: Store) -> dict[str, Any]:
    reference, problem = store.reference_health()
    status = store.status()
    return page(
        "health", "Data health", "/health/",
        intro=("What has been loaded, month by month, and what looks wrong: months with no file, months "
               "that look partial (few rows, or records that start late or stop early), rows set aside in "
               "quarantine, and which measures are waiting for data."),
        sections=[section("Data health", [])],
        police_uk=police_uk_summary(store.health()),
        reference=frame_records(reference), reference_problem=problem,
        measures=frame_records(status[["measure", "title", "priority", "status", "detail",
                                       "latest_period_end", "areas"]]),
        built_at=store.built_at(),
    )
