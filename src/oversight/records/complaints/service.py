"""What complaint reviews do with their records: checking a case as typed or imported, reading a
case (which is logged, like every change), importing existing cases, and retention."""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oversight.errors import OversightError
from oversight.records import audit
from oversight.records.complaints.models import CaseKind, ComplaintCase, Decision
from oversight.records.models import Role, User

REFERENCE = re.compile(r"^[A-Z0-9][A-Z0-9/-]{2,19}$")
"""The office's case reference: capitals, digits, '/' and '-', 3 to 20 characters (CR-2025-0001)."""
FORCE_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/ .-]{1,39}$")
"""The force's complaint number as the force writes it (CO/01234/25): letters, digits, '/', '.', '-'."""
BOROUGH = re.compile(r"^E09\d{6}$")
"""A London borough's code (E09000001 to E09000033): where the complaint arose, when it matters."""
_PERSONAL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|(?:\+44|\b0)\s?\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}\b"
                       r"|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
"""An email address, a UK telephone number or a postcode: contact details a case never holds."""
MAX_RECOMMENDATION = 4000
COLUMNS = ("reference", "kind", "force_reference", "borough_code", "received_on", "allocated_on", "reviewer",
           "decided_on", "decision", "recommendation")
"""The columns of an import file (docs/records.md); `reviewer` is a user name of the service."""


class NotFound(OversightError):
    status = 404


def may_read_cases(user: User) -> bool:
    """Case records are for the reviewers and administrators; an analyst sees only the statistics."""
    return user.role in (Role.ADMIN, Role.REVIEWER)


@dataclass
class CaseForm:
    """A case as typed (or as a row of an import file) and what is wrong with it (field -> message)."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    case: dict[str, Any] = field(default_factory=dict)


def _date(form: CaseForm, name: str, label: str, today: dt.date, required: bool = False) -> dt.date | None:
    text = form.values.get(name, "").strip()
    if not text:
        if required:
            form.errors[name] = f"Enter the {label} as YYYY-MM-DD"
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        form.errors[name] = f"Enter the {label} as YYYY-MM-DD, like 2025-03-14 (not {text!r})"
        return None
    if day > today:
        form.errors[name] = f"The {label} ({day.isoformat()}) is after today"
    elif day.year < 2000:
        form.errors[name] = f"The {label} ({day.isoformat()}) is before 2000: a typing slip?"
    return day


def check_case(values: dict[str, str], today: dt.date, reviewers: dict[str, int]) -> CaseForm:
    """Check a case: a reference, a kind, dates in order and not in the future, a decision only with
    its date (and a recommendation's text), a known reviewer, and nothing that looks like contact details.
    `reviewers` maps user names of those who may review to their ids."""
    form = CaseForm({k: (v or "").strip() for k, v in values.items()})
    v = form.values
    reference = v.get("reference", "").upper()
    if not REFERENCE.match(reference):
        form.errors["reference"] = "Give the office's case reference: 3 to 20 capitals, digits, '/' or '-'"
    kind = v.get("kind", "")
    if kind not in set(CaseKind):
        form.errors["kind"] = f"Choose the kind of case ({', '.join(k.value for k in CaseKind)})"
    force_reference = v.get("force_reference", "") or None
    if force_reference and not FORCE_REFERENCE.match(force_reference):
        form.errors["force_reference"] = "The force's complaint number: letters, digits, '/', '.' or '-' only"
    borough = v.get("borough_code", "").upper() or None
    if borough and not BOROUGH.match(borough):
        form.errors["borough_code"] = "A London borough code is E09 and six digits, like E09000022"
    received = _date(form, "received_on", "date the request was received", today, required=True)
    allocated = _date(form, "allocated_on", "date the case was allocated", today)
    decided = _date(form, "decided_on", "date of the decision", today)
    if received and allocated and allocated < received:
        form.errors["allocated_on"] = "A case cannot be allocated before its request was received"
    if received and decided and decided < received:
        form.errors["decided_on"] = "A decision cannot come before the request was received"
    if allocated and decided and decided < allocated:
        form.errors["decided_on"] = "A decision cannot come before the case was allocated"
    decision = v.get("decision", "") or None
    if decision is not None and decision not in set(Decision):
        form.errors["decision"] = f"Choose the decision ({', '.join(d.value for d in Decision)})"
    if decided and decision is None and "decision" not in form.errors:
        form.errors["decision"] = "A case with a decision date needs the decision"
    if decision and decided is None and "decided_on" not in form.errors:
        form.errors["decided_on"] = "Give the date of the decision"
    recommendation = v.get("recommendation", "")
    if decision == Decision.RECOMMENDATION and not recommendation:
        form.errors["recommendation"] = "Write the recommendation made to the force"
    if len(recommendation) > MAX_RECOMMENDATION:
        form.errors["recommendation"] = f"Keep the recommendation under {MAX_RECOMMENDATION:,} characters"
    if _PERSONAL.search(recommendation):
        form.errors["recommendation"] = ("Remove the email address, telephone number or postcode: a case never "
                                         "holds a complainant's contact details")
    reviewer = v.get("reviewer", "") or None
    reviewer_id = None
    if reviewer is not None:
        reviewer_id = reviewers.get(reviewer)
        if reviewer_id is None:
            form.errors["reviewer"] = f"{reviewer!r} is not an active reviewer's user name"
    if (allocated is None) != (reviewer is None) and "reviewer" not in form.errors:
        form.errors["allocated_on" if reviewer else "reviewer"] = (
            "Give both the reviewer and the date the case was allocated, or neither")
    if decided and allocated is None and "allocated_on" not in form.errors:
        form.errors["allocated_on"] = "A decided case was allocated first: give the date"
    form.case = {"reference": reference, "kind": kind, "force_reference": force_reference, "borough_code": borough,
                 "received_on": received, "allocated_on": allocated, "reviewer_id": reviewer_id,
                 "decided_on": decided, "decision": decision, "recommendation": recommendation}
    return form


def reviewers(db: Session) -> dict[str, int]:
    """Who may be allocated a case: active reviewers and administrators, by user name."""
    return dict(db.execute(select(User.username, User.id).where(
        User.active.is_(True), User.role.in_([Role.REVIEWER.value, Role.ADMIN.value]))).all())


def read_case(db: Session, user: User, case_id: int) -> ComplaintCase:
    """A case, for someone who may read cases; the reading is written to the audit log."""
    if not may_read_cases(user):
        raise NotFound("no such case", field="case")
    found = db.get(ComplaintCase, case_id)
    if found is None:
        raise NotFound("no such case", field="case")
    audit.record(db, "read", ComplaintCase.__tablename__, str(found.id))
    return found


def save_case(db: Session, form: CaseForm, case: ComplaintCase | None = None) -> ComplaintCase:
    """A new case from a checked form, or an existing one changed; a reference must stay unique."""
    assert not form.errors
    clash = db.scalar(select(ComplaintCase.id).where(ComplaintCase.reference == form.case["reference"]))
    if clash is not None and (case is None or clash != case.id):
        raise OversightError(f"there is already a case {form.case['reference']}", field="reference")
    if case is None:
        case = ComplaintCase(reduced=False, **form.case)
        db.add(case)
    else:
        if case.reduced:
            raise OversightError("this case was reduced at the end of its retention period: it cannot be changed",
                                 field="case")
        for key, value in form.case.items():
            setattr(case, key, value)
    db.flush()
    return case


@dataclass
class ImportError_:
    """One row of an import file that was not imported: where, which field, why."""

    file: str
    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, field '{self.field}': {self.reason}"


@dataclass
class ImportReport:
    read: int = 0
    added: int = 0
    errors: list[ImportError_] = field(default_factory=list)


def read_import(path: Path) -> list[dict[str, str]]:
    """The rows of an import file; a file that cannot be read as the format fails whole (OversightError)."""
    if not path.is_file():
        raise OversightError(f"{path}: no such file", field="file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle, strict=True)
            header = [h.strip() for h in reader.fieldnames or []]
            missing = [c for c in COLUMNS if c not in header]
            extra = [h for h in header if h not in COLUMNS]
            if missing or extra:
                raise OversightError(
                    f"{path.name}, row 1: the header is not the complaint case format: "
                    + "; ".join(filter(None, [f"missing {', '.join(missing)}" if missing else "",
                                              f"unexpected {', '.join(extra)}" if extra else ""]))
                    + f" (expected {', '.join(COLUMNS)})", field="header")
            reader.fieldnames = header
            rows = []
            for row in reader:
                if None in row:
                    rows.append({"__extra__": "1"})
                    continue
                rows.append({k: (v or "").strip() for k, v in row.items()})
            return rows
    except UnicodeDecodeError:
        raise OversightError(f"{path.name}: not UTF-8 text (save it as 'CSV UTF-8')", field="file") from None
    except csv.Error as exc:
        raise OversightError(f"{path.name}: not readable as CSV ({exc})", field="file") from None


def import_cases(db: Session, path: Path, today: dt.date) -> ImportReport:
    """Add the cases of an import file. Every row is checked; a row with an error is reported with its
    row, field and reason and nothing is added from it; the good rows are added. A reference already in
    the service, or twice in the file, is an error for that row (nothing is overwritten)."""
    report = ImportReport()
    rows = read_import(path)
    known = reviewers(db)
    existing = set(db.scalars(select(ComplaintCase.reference)).all())
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        if not any(row.values()):
            continue  # a blank line, as spreadsheets leave at the end
        report.read += 1
        if "__extra__" in row:
            report.errors.append(ImportError_(path.name, line, "(row)", "more cells than the header has columns "
                                                                        "(an unquoted comma?)"))
            continue
        form = check_case(row, today, known)
        reference = form.case.get("reference", "")
        if not form.errors and reference in existing:
            form.errors["reference"] = f"case {reference} is already in the service; it was not changed"
        if not form.errors and reference in seen:
            form.errors["reference"] = f"case {reference} is also on row {seen[reference]}"
        if form.errors:
            name, reason = next(iter(form.errors.items()))
            report.errors.append(ImportError_(path.name, line, name, reason))
            continue
        seen[reference] = line
        save_case(db, form)
        report.added += 1
    return report


RETAINED = ("kind", "borough_code", "received_on", "allocated_on", "decided_on", "decision")
"""What a case keeps after its retention period: what the statistics need, nothing that leads to a person."""


def reduce_old(db: Session, cutoff: dt.date) -> int:
    """Reduce cases decided before the cutoff to the fields the statistics need: the force's complaint
    number, the reviewer and the recommendation text are removed (the audit log keeps that they existed).
    The reference stays, renamed to the case's number in the service, so it points to nothing elsewhere."""
    old = db.scalars(select(ComplaintCase).where(ComplaintCase.decided_on < cutoff,
                                                 ComplaintCase.reduced.is_(False))).all()
    for case in old:
        case.reference = f"REDUCED-{case.id}"
        case.force_reference = None
        case.reviewer_id = None
        case.recommendation = ""
        case.reduced = True
    db.flush()
    return len(old)
