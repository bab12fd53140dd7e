"""The published quarterly update's figures, as plain data (numbers and names; no sentences: the
presentation layer words them). Only signed-off returns count. Amounts are `Decimal` while summed
and strings of pounds and pence ('3900000.00') once stored or sent, never floats.

What is public: awards of the grants live in the quarter and signed-off spend, by fund, by Police and
Crime Plan priority and by borough; referrals and people supported; each grant measure's total to
date against its target with a status by a stated rule. Never a return's narrative, a draft, or a
figure a commissioner has not signed off."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from oversight.records.grants import service
from oversight.records.grants.models import Grant, GrantReturn, ReturnStatus
from oversight.records.grants.register import LONDON_BOROUGHS

ZERO = decimal.Decimal("0.00")
SEVERAL = "Several boroughs"
ALL = "All London boroughs"

STATUS_RULE = ("A measure's target is for the whole grant. Met: the total of signed-off returns to date is at or "
               "above the target. Not met: the grant has ended below its target. Not met yet: below the target "
               "while the grant still runs. No target: none was set, so none is judged.")
"""The rule behind every status word; shown beside them."""


def target_status(achieved: int, target: int | None, ended: bool) -> str:
    """'no_target', 'met', 'not_met' (ended below target) or 'not_met_yet' (below target, still running)."""
    if target is None:
        return "no_target"
    if achieved >= target:
        return "met"
    return "not_met" if ended else "not_met_yet"


def borough_group(boroughs: list[str]) -> str:
    """Where a grant's money is counted by borough: its one borough, or 'Several boroughs' or 'All London
    boroughs' (never split between boroughs by a guess, so the rows add up to the total)."""
    if len(boroughs) == 1:
        return boroughs[0]
    if set(boroughs) >= set(LONDON_BOROUGHS):
        return ALL
    return SEVERAL


def _money(value: decimal.Decimal) -> str:
    return str(value.quantize(decimal.Decimal("0.01")))


def figures(db: Session, quarter: dt.date, today: dt.date) -> dict[str, Any]:
    """The update for one quarter, from the register and the signed-off returns."""
    end = service.quarter_end(quarter)
    grants = list(db.scalars(select(Grant).where(Grant.starts_on <= end, Grant.ends_on >= quarter)
                             .options(selectinload(Grant.fund), selectinload(Grant.provider),
                                      selectinload(Grant.boroughs), selectinload(Grant.measures))
                             .order_by(Grant.reference)).all())
    ids = [g.id for g in grants]
    returns = list(db.scalars(select(GrantReturn).where(GrantReturn.grant_id.in_(ids),
                                                        GrantReturn.quarter_start <= quarter)
                              .options(selectinload(GrantReturn.values))).all()) if ids else []
    signed = [r for r in returns if r.status == ReturnStatus.SIGNED_OFF]
    this_quarter = {r.grant_id: r for r in signed if r.quarter_start == quarter}
    to_date: dict[int, list[GrantReturn]] = defaultdict(list)
    for r in signed:
        to_date[r.grant_id].append(r)

    groups: dict[str, dict[str, dict[str, Any]]] = {"fund": {}, "priority": {}, "borough": {}}
    for grant in grants:
        keys = {"fund": grant.fund.name, "priority": grant.priority, "borough": borough_group(grant.borough_names)}
        spend = this_quarter[grant.id].spend if grant.id in this_quarter else ZERO
        spent = sum((r.spend for r in to_date[grant.id]), ZERO)
        for kind, key in keys.items():
            row = groups[kind].setdefault(key, {"name": key, "grants": 0, "awarded": ZERO, "spend": ZERO,
                                                "spend_to_date": ZERO, "returns_signed_off": 0})
            row["grants"] += 1
            row["awarded"] += grant.amount
            row["spend"] += spend
            row["spend_to_date"] += spent
            row["returns_signed_off"] += grant.id in this_quarter

    measures = []
    for grant in grants:
        owed = service.grant_quarters(grant, end)
        counted = to_date[grant.id]
        for measure in grant.measures:
            achieved = sum(v.value for r in counted for v in r.values if v.measure_id == measure.id)
            ended = grant.ends_on <= end
            measures.append({"grant": grant.reference, "title": grant.title, "provider": grant.provider.name,
                             "fund": grant.fund.name, "measure": measure.name, "kind": measure.kind,
                             "target": measure.target, "achieved": achieved, "returns_counted": len(counted),
                             "returns_owed": len(owed), "grant_ends_on": grant.ends_on.isoformat(),
                             "status": target_status(achieved, measure.target, ended)})

    def rows(kind: str) -> list[dict[str, Any]]:
        found = sorted(groups[kind].values(), key=lambda r: (r["name"] in (SEVERAL, ALL), r["name"]))
        return [{**r, "awarded": _money(r["awarded"]), "spend": _money(r["spend"]),
                 "spend_to_date": _money(r["spend_to_date"])} for r in found]

    return {
        "quarter": service.quarter_key(quarter),
        "label": service.quarter_label(quarter),
        "computed_on": today.isoformat(),
        "grants": len(grants),
        "returns_signed_off": len(this_quarter),
        "awarded": _money(sum((g.amount for g in grants), ZERO)),
        "spend": _money(sum((r.spend for r in this_quarter.values()), ZERO)),
        "spend_to_date": _money(sum((r.spend for rs in to_date.values() for r in rs), ZERO)),
        "referrals": sum(r.referrals for r in this_quarter.values()),
        "people_supported": sum(r.people_supported for r in this_quarter.values()),
        "by_fund": rows("fund"),
        "by_priority": rows("priority"),
        "by_borough": rows("borough"),
        "measures": measures,
        "status_rule": STATUS_RULE,
    }


SPEND_COLUMNS = ("quarter", "breakdown", "group", "grants", "awarded_gbp", "spend_in_quarter_gbp",
                 "spend_to_date_gbp", "returns_signed_off")
MEASURE_COLUMNS = ("quarter", "grant", "title", "provider", "fund", "measure", "kind", "target", "achieved_to_date",
                   "returns_counted", "returns_owed", "grant_ends_on", "status")


def spend_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SPEND_COLUMNS)
    for breakdown in ("fund", "priority", "borough"):
        for r in data[f"by_{breakdown}"]:
            writer.writerow([data["quarter"], breakdown, r["name"], r["grants"], r["awarded"], r["spend"],
                             r["spend_to_date"], r["returns_signed_off"]])
    writer.writerow([data["quarter"], "total", "All grants", data["grants"], data["awarded"], data["spend"],
                     data["spend_to_date"], data["returns_signed_off"]])
    return out.getvalue()


def measures_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MEASURE_COLUMNS)
    for m in data["measures"]:
        writer.writerow([data["quarter"], m["grant"], m["title"], m["provider"], m["fund"], m["measure"], m["kind"],
                         "" if m["target"] is None else m["target"], m["achieved"], m["returns_counted"],
                         m["returns_owed"], m["grant_ends_on"], m["status"]])
    return out.getvalue()
