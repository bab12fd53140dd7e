"""Complaint reviews' pages, each with its access rule, and its commands. Case records are for
reviewers and administrators; the analyst sees the statistics only; other roles nothing. Reading a
case, or the list of cases, is written to the audit log like every change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from fastapi import HTTPException, Request
from fastapi.responses import Response
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oversight import config
from oversight.errors import OversightError
from oversight.records import access, audit
from oversight.records.complaints import service, statistics
from oversight.records.complaints.models import DECISION_NAMES, KIND_NAMES, CaseKind, ComplaintCase, Decision
from oversight.records.db import Records
from oversight.records.models import Role, User
from oversight.records.partner_file import partner_csv
from oversight.records.web import NO_STORE, Ctx, Gate, add_navigation, redirect, router

CASEWORK = frozenset({Role.ADMIN, Role.REVIEWER})
"""Those who hold complaint cases: reviewers (case officers) and administrators."""
CASE_FIGURES = frozenset({Role.ADMIN, Role.REVIEWER, Role.ANALYST})
"""Those who read the timeliness figures (counts, no case)."""
NAMES = {"KIND_NAMES": KIND_NAMES, "DECISION_NAMES": DECISION_NAMES}
FIELDS = ("reference", "kind", "force_reference", "borough_code", "received_on", "allocated_on", "reviewer",
          "decided_on", "decision", "recommendation")


def register() -> None:
    add_navigation("/records/complaints/", "Complaint cases")
    add_navigation("/records/complaints/statistics/", "Complaint timeliness")


def route(method: str, path: str, allow: frozenset[str]) -> Callable[[Any], Any]:
    return access.route(router, method, path, allow)


def today() -> dt.date:
    return dt.date.today()


def _page(ctx: Ctx, template: str, title: str, status: int = 200, **data: Any) -> Response:
    return ctx.page(template, title, status=status, today=today(), target=statistics.target_days(), **NAMES, **data)


# --- cases ---------------------------------------------------------------------------------------------------------

@route("GET", "/complaints/", CASEWORK)
def cases(request: Request, show: str = "open", ctx: Ctx = Gate) -> Response:
    show = show if show in ("open", "decided", "all") else "open"
    with ctx.db() as db:
        query = select(ComplaintCase).order_by(ComplaintCase.received_on, ComplaintCase.id)
        if show == "open":
            query = query.where(ComplaintCase.decided_on.is_(None))
        elif show == "decided":
            query = query.where(ComplaintCase.decided_on.is_not(None))
        found = db.scalars(query).all()
        names = dict(db.execute(select(User.id, User.display_name)).all())
        audit.record(db, "list", ComplaintCase.__tablename__, None, after={"show": show, "cases": len(found)})
    return _page(ctx, "records/complaints/cases.html", "Complaint cases", cases=found, names=names, show=show)


def _form(ctx: Ctx, title: str, action: str, values: dict[str, str], errors: dict[str, str] | None = None,
          status: int = 200, error: str | None = None) -> Response:
    order = {name: i for i, name in enumerate(FIELDS)}
    errors = dict(sorted((errors or {}).items(), key=lambda e: order.get(e[0], len(order))))  # in the page's order
    with ctx.db() as db:
        people = service.reviewers(db)
        names = dict(db.execute(select(User.username, User.display_name).where(User.username.in_(people)))
                     .all())
    return _page(ctx, "records/complaints/case_form.html", title, status=status, heading=title, action=action,
                 values=values,
                 errors=errors or {}, error=error, reviewers=sorted(names.items(), key=lambda p: p[1]),
                 kinds=list(CaseKind), decisions=[(d.value, DECISION_NAMES[d]) for d in Decision])


def _values(ctx: Ctx) -> dict[str, str]:
    return {name: ctx.field(name) for name in FIELDS}


@route("GET", "/complaints/new", CASEWORK)
def new_case(request: Request, ctx: Ctx = Gate) -> Response:
    return _form(ctx, "New complaint case", "/records/complaints/", {"received_on": today().isoformat()})


def _save(ctx: Ctx, case_id: int | None, title: str, action: str) -> Response:
    assert ctx.user is not None
    values = _values(ctx)
    try:
        with ctx.db() as db:
            form = service.check_case(values, today(), service.reviewers(db))
            if form.errors:
                return _form(ctx, title, action, values, form.errors, status=422)
            case = service.read_case(db, ctx.user, case_id) if case_id is not None else None
            saved = service.save_case(db, form, case)
            saved_id = saved.id
    except service.NotFound:
        raise HTTPException(404, "no such case") from None
    except OversightError as exc:
        return _form(ctx, title, action, values, {exc.field or "reference": exc.reason.capitalize()}, status=422)
    return redirect(f"/records/complaints/{saved_id}?saved=1")


@route("POST", "/complaints/", CASEWORK)
def add_case(request: Request, ctx: Ctx = Gate) -> Response:
    return _save(ctx, None, "New complaint case", "/records/complaints/")


def _case(ctx: Ctx, case_id: int) -> tuple[ComplaintCase, str | None]:
    assert ctx.user is not None
    with ctx.db() as db:
        try:
            case = service.read_case(db, ctx.user, case_id)
        except service.NotFound:
            raise HTTPException(404, "no such case") from None
        reviewer = db.get(User, case.reviewer_id) if case.reviewer_id else None
        return case, reviewer.username if reviewer else None


@route("GET", "/complaints/{case_id}", CASEWORK)
def case_page(request: Request, case_id: int, saved: str = "", ctx: Ctx = Gate) -> Response:
    case, reviewer = _case(ctx, case_id)
    with ctx.db() as db:
        reviewer_name = db.scalar(select(User.display_name).where(User.username == reviewer)) if reviewer else None
    if saved:
        ctx.messages.append("The case was saved.")
    return _page(ctx, "records/complaints/case.html", f"Complaint case {case.reference}", case=case,
                 reviewer_name=reviewer_name, due_on=case.received_on + dt.timedelta(days=statistics.target_days()))


@route("GET", "/complaints/{case_id}/edit", CASEWORK)
def edit_case(request: Request, case_id: int, ctx: Ctx = Gate) -> Response:
    case, reviewer = _case(ctx, case_id)
    if case.reduced:
        raise HTTPException(409, "this case was reduced at the end of its retention period: it cannot be changed")
    values = {name: "" if getattr(case, name, None) is None else str(getattr(case, name)) for name in FIELDS
              if name != "reviewer"}
    values["reviewer"] = reviewer or ""
    return _form(ctx, f"Change case {case.reference}", f"/records/complaints/{case_id}", values)


@route("POST", "/complaints/{case_id}", CASEWORK)
def change_case(request: Request, case_id: int, ctx: Ctx = Gate) -> Response:
    return _save(ctx, case_id, "Change complaint case", f"/records/complaints/{case_id}")


# --- statistics ----------------------------------------------------------------------------------------------------

@route("GET", "/complaints/statistics/", CASE_FIGURES)
def statistics_page(request: Request, ctx: Ctx = Gate) -> Response:
    with ctx.db() as db:
        found = statistics.figures(db, today())
    return _page(ctx, "records/complaints/statistics.html", "Complaint review timeliness", figures=found,
                 bands=[label for _lo, _hi, label in statistics.BANDS])


@route("GET", "/complaints/statistics/partner.csv", CASE_FIGURES)
def statistics_csv(request: Request, ctx: Ctx = Gate) -> Response:
    with ctx.db() as db:
        text = partner_csv(statistics.partner_rows(statistics.figures(db, today())))
        audit.record(db, "export", ComplaintCase.__tablename__, None, after={"file": "complaint statistics"})
    return Response(text, media_type="text/csv", headers={
        **NO_STORE, "Content-Disposition": f'attachment; filename="complaint-reviews-{today().isoformat()}.csv"'})


# --- home, own data, retention, commands ---------------------------------------------------------------------------

def _past_target(db: Session, user: User | None = None) -> int:
    cutoff = today() - dt.timedelta(days=statistics.target_days())
    query = select(func.count()).select_from(ComplaintCase).where(ComplaintCase.decided_on.is_(None),
                                                                  ComplaintCase.received_on < cutoff)
    if user is not None:
        query = query.where(ComplaintCase.reviewer_id == user.id)
    return int(db.scalar(query) or 0)


def home_notes(db: Session, user: User) -> list[tuple[str, str]]:
    """Open cases past their target: a reviewer's own, and all of them for an administrator."""
    if user.role not in CASEWORK:
        return []
    late = _past_target(db, user if user.role == Role.REVIEWER else None)
    if not late:
        return []
    plural = late != 1
    what = (f"of your cases {'are' if plural else 'is'}" if user.role == Role.REVIEWER
            else f"complaint case{'s are' if plural else ' is'}")
    return [(f"{late} {what} open past the {statistics.target_days()}-day target", "/records/complaints/")]


def own_data(db: Session, user: User) -> dict[str, Any]:
    """The cases a person was allocated as reviewer (references only: the cases are the office's, not theirs)."""
    refs = db.scalars(select(ComplaintCase.reference).where(ComplaintCase.reviewer_id == user.id)
                      .order_by(ComplaintCase.reference)).all()
    return {"complaint_reviews": {"cases_allocated": list(refs)}}


def retention_cutoff(day: dt.date | None = None) -> dt.date:
    days = int(config.default("complaint_retention_days"))  # type: ignore[call-overload]
    return (day or today()) - dt.timedelta(days=days)


def purge(db: Session, _cutoff: dt.date) -> dict[str, int]:
    """Reduce cases decided before complaint_retention_days (its own setting, not the visits' cutoff)."""
    cutoff = retention_cutoff()
    return {f"complaint cases decided before {cutoff.isoformat()} reduced to what the statistics need":
            service.reduce_old(db, cutoff)}


def add_commands(app: typer.Typer, records: Callable[[], Records], fail: Callable[[str], None], out: Console) -> None:
    """`oversight records complaints-import`, `complaint-statistics`."""

    @app.command("complaints-import")
    def complaints_import(
        path: Annotated[Path, typer.Argument(help="CSV of existing cases (columns: docs/records.md).")],
    ) -> None:
        """Add existing complaint cases from a CSV file. Rows with an error are listed (file, row, field,
        reason) and not added; the others are. Exit code 1 when any row had an error."""
        try:
            with records().session("complaints-import") as db:
                report = service.import_cases(db, path, today())
        except OversightError as exc:
            fail(f"{exc.reason}; nothing imported")
            return
        for error in report.errors:
            out.print(f"not imported: {error}")
        out.print(f"{report.read} rows read: {report.added} added, {len(report.errors)} not imported")
        if report.errors:
            raise typer.Exit(1)

    @app.command("complaint-statistics")
    def complaint_statistics(
        output: Annotated[Path, typer.Argument(help="Partner CSV file to write (then: oversight ingest partner).")],
    ) -> None:
        """Write complaint review timeliness, per quarter and 12 months, as a partner file for the measures."""
        with records().session("complaint-statistics") as db:
            found = statistics.figures(db, today())
            rows_out = statistics.partner_rows(found)
            audit.record(db, "export", ComplaintCase.__tablename__, None, after={"file": output.name})
        output.write_text(partner_csv(rows_out), encoding="utf-8")
        out.print(f"{len(rows_out)} rows for {len(found)} periods written to {output}")

    del complaints_import, complaint_statistics
