"""What commissioning does with its records: financial-year quarters, who sees which grants (a
provider: its own organisation's only), a provider's return from draft to sign-off, and which returns
are due, late or missing."""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from oversight import config
from oversight.errors import OversightError
from oversight.records.db import utcnow
from oversight.records.grants import money
from oversight.records.grants.models import (
    Grant,
    GrantReturn,
    ProviderMember,
    ReturnStatus,
    ReturnValue,
)
from oversight.records.models import Role, User

MAX_COUNT = 1_000_000
"""More people than any one grant serves in a quarter: a typing slip."""
MAX_NARRATIVE = 4000


class NotFound(OversightError):
    status = 404


class Refused(OversightError):
    status = 409


def due_days() -> int:
    return int(config.default("grants_return_due_days"))  # type: ignore[call-overload]


# --- quarters: the financial year starts in April ----------------------------------------------------------------

def quarter_of(day: dt.date) -> dt.date:
    """The first day of the financial-year quarter holding `day` (April, July, October or January)."""
    month = ((day.month - 4) % 12) // 3 * 3 + 4
    month = month - 12 if month > 12 else month
    return dt.date(day.year, month, 1)


def quarter_end(start: dt.date) -> dt.date:
    month = start.month + 3
    year = start.year + (month > 12)
    return dt.date(year, month - 12 if month > 12 else month, 1) - dt.timedelta(days=1)


def next_quarter(start: dt.date) -> dt.date:
    return quarter_end(start) + dt.timedelta(days=1)


def quarter_key(start: dt.date) -> str:
    """'2026-04' for the quarter starting 1 April 2026: the form of a quarter in addresses."""
    return start.strftime("%Y-%m")


def parse_quarter(text: str) -> dt.date:
    try:
        start = dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise NotFound("no such quarter: write it as the month it starts, like 2026-04", field="quarter") from None
    if start.month not in (1, 4, 7, 10):
        raise NotFound("a quarter starts in April, July, October or January", field="quarter")
    return start


def quarter_label(start: dt.date) -> str:
    """'2026/27 Q1 (April to June 2026)'."""
    year = start.year if start.month >= 4 else start.year - 1
    number = ((start.month - 4) % 12) // 3 + 1
    end = quarter_end(start)
    return f"{year}/{(year + 1) % 100:02d} Q{number} ({start:%B} to {end:%B %Y})"


def due_on(start: dt.date) -> dt.date:
    return quarter_end(start) + dt.timedelta(days=due_days())


def grant_quarters(grant: Grant, today: dt.date) -> list[dt.date]:
    """The quarters of the grant's period that have begun by `today`."""
    out = []
    start = quarter_of(grant.starts_on)
    while start <= grant.ends_on and start <= today:
        out.append(start)
        start = next_quarter(start)
    return out


# --- who sees which rows ----------------------------------------------------------------------------------------

def visible_providers(db: Session, user: User) -> set[int] | None:
    """The organisations whose grants the user may see: a provider account, its own; others, all (None)."""
    if user.role != Role.PROVIDER:
        return None
    return set(db.scalars(select(ProviderMember.provider_id).where(ProviderMember.user_id == user.id)).all())


def visible_grants(db: Session, user: User) -> list[Grant]:
    query = (select(Grant).options(selectinload(Grant.provider), selectinload(Grant.fund),
                                   selectinload(Grant.programme), selectinload(Grant.boroughs),
                                   selectinload(Grant.measures)).order_by(Grant.reference))
    providers = visible_providers(db, user)
    if providers is not None:
        query = query.where(Grant.provider_id.in_(providers))
    return list(db.scalars(query).all())


def visible_grant(db: Session, user: User, grant_id: int) -> Grant:
    """A grant the user may see; another organisation's grant is 'not found', like one that does not exist."""
    grant = db.get(Grant, grant_id)
    providers = visible_providers(db, user)
    if grant is None or (providers is not None and grant.provider_id not in providers):
        raise NotFound("no such grant", field="grant")
    return grant


def visible_return(db: Session, user: User, return_id: int) -> GrantReturn:
    found = db.get(GrantReturn, return_id)
    if found is None:
        raise NotFound("no such return", field="return")
    visible_grant(db, user, found.grant_id)
    return found


# --- a return ---------------------------------------------------------------------------------------------------

@dataclass
class ReturnForm:
    """A return as typed, and what is wrong with it (field -> message)."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    spend: decimal.Decimal = decimal.Decimal("0.00")
    measures: dict[int, int] = field(default_factory=dict)


def _count(form: ReturnForm, name: str, label: str) -> int:
    text = form.values.get(name, "").strip().replace(",", "")
    if not text.isdigit() or int(text) > MAX_COUNT:
        form.errors[name] = f"Enter {label} as a whole number from 0 to {MAX_COUNT:,}"
        return 0
    return int(text)


def check_return(grant: Grant, values: dict[str, str]) -> ReturnForm:
    """Check a return: whole counts, spend in pounds and pence (not more than the whole grant), a value
    for every measure of the grant, a narrative of sensible length."""
    form = ReturnForm(values)
    form.counts = {"referrals": _count(form, "referrals", "referrals received this quarter"),
                   "people_supported": _count(form, "people_supported", "people supported this quarter")}
    try:
        form.spend = money.parse(values.get("spend", ""))
        if form.spend > grant.amount:
            form.errors["spend"] = (f"Spend in one quarter (£{form.spend:,}) cannot be more than the whole grant "
                                    f"(£{grant.amount:,})")
    except money.BadAmount as exc:
        form.errors["spend"] = f"Spend this quarter: {exc.reason}"
    for measure in grant.measures:
        form.measures[measure.id] = _count(form, f"measure_{measure.id}", f"{measure.name.lower()} this quarter")
    narrative = values.get("narrative", "").strip()
    if len(narrative) > MAX_NARRATIVE:
        form.errors["narrative"] = f"Keep the narrative under {MAX_NARRATIVE:,} characters"
    return form


def editable(found: GrantReturn | None) -> bool:
    return found is None or found.status in (ReturnStatus.DRAFT, ReturnStatus.RETURNED)


def save_return(db: Session, grant: Grant, quarter: dt.date, form: ReturnForm, user: User, submit: bool,
                today: dt.date) -> GrantReturn:
    """Save a checked return as a draft, or submit it for sign-off. A submitted or signed-off return
    cannot be changed by the provider; a quarter that has not ended cannot be submitted."""
    assert not form.errors
    if quarter not in grant_quarters(grant, today):
        raise NotFound("this grant has no return for that quarter", field="quarter")
    found = db.scalar(select(GrantReturn).where(GrantReturn.grant_id == grant.id,
                                                GrantReturn.quarter_start == quarter))
    if not editable(found):
        raise Refused("this return has been submitted: it can be changed only if the commissioner returns it")
    if submit and today <= quarter_end(quarter):
        raise Refused(f"the quarter ends on {quarter_end(quarter):%d %B %Y}: submit the return after that")
    if found is None:
        found = GrantReturn(grant_id=grant.id, quarter_start=quarter, status=ReturnStatus.DRAFT.value)
        db.add(found)
    found.referrals, found.people_supported = form.counts["referrals"], form.counts["people_supported"]
    found.spend = form.spend
    found.narrative = form.values.get("narrative", "").strip()
    db.flush()
    have = {v.measure_id: v for v in found.values}
    for measure_id, value in form.measures.items():
        if measure_id in have:
            have[measure_id].value = value
        else:
            found.values.append(ReturnValue(return_id=found.id, measure_id=measure_id, value=value))
    if submit:
        found.status = ReturnStatus.SUBMITTED.value
        found.submitted_at, found.submitted_by = utcnow(), user.id
    db.flush()
    return found


def sign_off(found: GrantReturn, user: User) -> None:
    if found.status != ReturnStatus.SUBMITTED:
        raise Refused("only a submitted return can be signed off")
    found.status, found.decided_at, found.decided_by = ReturnStatus.SIGNED_OFF.value, utcnow(), user.id
    found.returned_reason = ""


def send_back(found: GrantReturn, user: User, reason: str) -> None:
    if found.status != ReturnStatus.SUBMITTED:
        raise Refused("only a submitted return can be returned to the provider")
    if not reason.strip():
        raise OversightError("say why the return goes back, so the provider knows what to change", field="reason")
    found.status, found.decided_at, found.decided_by = ReturnStatus.RETURNED.value, utcnow(), user.id
    found.returned_reason = reason.strip()[:2000]


# --- due, late, missing -----------------------------------------------------------------------------------------

class Standing(StrEnum):
    OPEN = "open"              # the quarter has not ended
    DUE = "due"                # ended; the due date has not passed; not submitted
    MISSING = "missing"        # the due date has passed and nothing is submitted
    RETURNED = "returned"      # sent back to the provider
    SUBMITTED = "submitted"    # awaiting sign-off
    SIGNED_OFF = "signed_off"


STANDING_NAMES = {Standing.OPEN: "Quarter not ended", Standing.DUE: "Due", Standing.MISSING: "Missing",
                  Standing.RETURNED: "Returned to the provider", Standing.SUBMITTED: "Submitted, awaiting sign-off",
                  Standing.SIGNED_OFF: "Signed off"}


@dataclass
class Expected:
    """One return a grant owes (or owed) for one quarter, and where it stands."""

    grant: Grant
    quarter: dt.date
    due_on: dt.date
    found: GrantReturn | None
    standing: Standing
    late: bool  # submitted after its due date (or not yet submitted and past it)

    @property
    def key(self) -> str:
        return quarter_key(self.quarter)


def standing(found: GrantReturn | None, quarter: dt.date, today: dt.date) -> tuple[Standing, bool]:
    due = due_on(quarter)
    if found is not None and found.status == ReturnStatus.SIGNED_OFF:
        return Standing.SIGNED_OFF, bool(found.submitted_at and found.submitted_at.date() > due)
    if found is not None and found.status == ReturnStatus.SUBMITTED:
        return Standing.SUBMITTED, bool(found.submitted_at and found.submitted_at.date() > due)
    if found is not None and found.status == ReturnStatus.RETURNED:
        return Standing.RETURNED, today > due
    if today <= quarter_end(quarter):
        return Standing.OPEN, False
    if today <= due:
        return Standing.DUE, False
    return Standing.MISSING, True


def expected_returns(db: Session, grants: list[Grant], today: dt.date) -> list[Expected]:
    """Every return the grants owe for quarters that have begun: missing first, then awaiting sign-off,
    returned, due, signed off, and quarters not yet ended; newest quarter first within each."""
    ids = [g.id for g in grants]
    found = {(r.grant_id, r.quarter_start): r for r in db.scalars(
        select(GrantReturn).where(GrantReturn.grant_id.in_(ids))).all()} if ids else {}
    out = []
    for grant in grants:
        for quarter in grant_quarters(grant, today):
            ret = found.get((grant.id, quarter))
            where, late = standing(ret, quarter, today)
            out.append(Expected(grant, quarter, due_on(quarter), ret, where, late))
    out.sort(key=lambda e: (ATTENTION.index(e.standing), -e.quarter.toordinal(), e.grant.reference))
    return out


ATTENTION = [Standing.MISSING, Standing.SUBMITTED, Standing.RETURNED, Standing.DUE, Standing.SIGNED_OFF, Standing.OPEN]
"""The order returns are listed in: what needs someone to act first, quarters not yet ended last."""
