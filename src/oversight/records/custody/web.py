"""Custody visiting's pages, each with its access rule; which rows a visitor sees is `service.visible_*`."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from fastapi import HTTPException, Request
from fastapi.responses import Response
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from oversight.errors import OversightError
from oversight.records.access import READERS, STAFF, VISITING, route
from oversight.records.custody import rota, service, statistics
from oversight.records.custody.models import (
    CATEGORY_NAMES,
    DAY_PART_NAMES,
    SEVERITY_NAMES,
    SUITE_STATUS_NAMES,
    UNAVAILABLE_NAMES,
    Category,
    Issue,
    IssueStatus,
    Panel,
    PanelMember,
    Suite,
    SuiteStatus,
    Unavailable,
    Visit,
    VisitReport,
    VisitStatus,
)
from oversight.records.db import Records
from oversight.records.models import Role, User
from oversight.records.partner_file import partner_csv
from oversight.records.web import NO_STORE, Ctx, Gate, add_navigation, redirect, router

CUSTODY = frozenset({Role.ADMIN, Role.COORDINATOR, Role.VISITOR, Role.ANALYST})
"""Custody visiting's people: not every signed-in account (a grants provider sees no custody visit)."""
NAMES = {"CATEGORY_NAMES": CATEGORY_NAMES, "DAY_PART_NAMES": DAY_PART_NAMES, "SEVERITY_NAMES": SEVERITY_NAMES,
         "SUITE_STATUS_NAMES": SUITE_STATUS_NAMES, "UNAVAILABLE_NAMES": UNAVAILABLE_NAMES}


def register() -> None:
    """List these pages in the records menu (the routes joined the records router on import)."""
    add_navigation("/records/visits/", "Visits")
    add_navigation("/records/panels/", "Panels and suites")
    add_navigation("/records/issues/", "Issues")
    add_navigation("/records/statistics/", "Statistics")


def today() -> dt.date:
    return dt.date.today()


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise OversightError("choose a month, like 2025-03", field="month") from None


def _date(text: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise OversightError("enter a date as YYYY-MM-DD", field=field) from None


def _page(ctx: Ctx, template: str, title: str, status: int = 200, **data: Any) -> Response:
    return ctx.page(template, title, status=status, today=today(), **NAMES, **data)


# --- panels and suites ---------------------------------------------------------------------------------------------

def _panels_page(ctx: Ctx, status: int = 200, error: str | None = None) -> Response:
    with ctx.db() as db:
        panels = db.scalars(select(Panel).options(selectinload(Panel.suites)).order_by(Panel.name)).all()
        members = dict(db.execute(select(PanelMember.panel_id, func.count()).group_by(PanelMember.panel_id)).all())
    return _page(ctx, "records/custody/panels.html", "Panels and suites", status=status, panels=panels,
                 members=members, error=error)


@route(router, "GET", "/panels/", READERS)
def panels(request: Request, ctx: Ctx = Gate) -> Response:
    return _panels_page(ctx)


@route(router, "POST", "/panels/", STAFF)
def add_panel(request: Request, ctx: Ctx = Gate) -> Response:
    name = ctx.field("name")[:120]
    if not name:
        return _panels_page(ctx, 422, "Give the panel a name.")
    try:
        with ctx.db() as db:
            panel = Panel(name=name, area=ctx.field("area")[:200], visits_per_suite=2, active=True)
            db.add(panel)
            db.flush()
            panel_id = panel.id
    except IntegrityError:
        return _panels_page(ctx, 422, f"There is already a panel called {name!r}.")
    return redirect(f"/records/panels/{panel_id}")


def _panel_page(ctx: Ctx, panel_id: int, status: int = 200, error: str | None = None,
                rota_notes: list[str] | None = None) -> Response:
    with ctx.db() as db:
        panel = db.get(Panel, panel_id)
        if panel is None:
            raise HTTPException(404, "no such panel")
        suites = list(panel.suites)
        people = db.scalars(select(User).join(PanelMember, PanelMember.user_id == User.id)
                            .where(PanelMember.panel_id == panel_id).order_by(User.display_name)).all()
        visitors = db.scalars(select(User).where(User.role == Role.VISITOR, User.active.is_(True))
                              .order_by(User.display_name)).all()
        visits = db.scalars(select(Visit).where(Visit.panel_id == panel_id, Visit.visit_date >= today().replace(day=1))
                            .options(selectinload(Visit.suite), selectinload(Visit.report))
                            .order_by(Visit.visit_date)).all()
        names = dict(db.execute(select(User.id, User.display_name)).all())
    return _page(ctx, "records/custody/panel.html", panel.name, status=status, panel=panel, suites=suites,
                 people=people, visitors=[v for v in visitors if v not in people], visits=visits, names=names,
                 error=error, rota_notes=rota_notes or [], statuses=list(SuiteStatus))


@route(router, "GET", "/panels/{panel_id}", READERS)
def panel(request: Request, panel_id: int, ctx: Ctx = Gate) -> Response:
    return _panel_page(ctx, panel_id)


@route(router, "POST", "/panels/{panel_id}/members", STAFF)
def add_member(request: Request, panel_id: int, ctx: Ctx = Gate) -> Response:
    user_id = ctx.field("user_id")
    with ctx.db() as db:
        if db.get(Panel, panel_id) is None:
            raise HTTPException(404, "no such panel")
        person = db.get(User, int(user_id)) if user_id.isdigit() else None
        if person is None or person.role != Role.VISITOR:
            return _panel_page(ctx, panel_id, 422, "Choose a visitor to add.")
        if db.get(PanelMember, (panel_id, person.id)) is None:
            db.add(PanelMember(panel_id=panel_id, user_id=person.id))
    return redirect(f"/records/panels/{panel_id}")


@route(router, "POST", "/panels/{panel_id}/rules", STAFF)
def set_rules(request: Request, panel_id: int, ctx: Ctx = Gate) -> Response:
    text = ctx.field("visits_per_suite")
    if not text.isdigit() or not 1 <= int(text) <= 10:
        return _panel_page(ctx, panel_id, 422, "Visits per suite per month: a whole number from 1 to 10.")
    with ctx.db() as db:
        found = db.get(Panel, panel_id)
        if found is None:
            raise HTTPException(404, "no such panel")
        found.visits_per_suite = int(text)
    return redirect(f"/records/panels/{panel_id}")


@route(router, "POST", "/panels/{panel_id}/suites", STAFF)
def add_suite(request: Request, panel_id: int, ctx: Ctx = Gate) -> Response:
    name = ctx.field("name")[:120]
    cells = ctx.field("cells")
    if not name or (cells and not cells.isdigit()):
        return _panel_page(ctx, panel_id, 422, "Give the suite a name (and its cells as a whole number, if known).")
    try:
        with ctx.db() as db:
            if db.get(Panel, panel_id) is None:
                raise HTTPException(404, "no such panel")
            db.add(Suite(name=name, panel_id=panel_id, status=SuiteStatus.OPEN.value, status_note="",
                         cells=int(cells) if cells else None))
    except IntegrityError:
        return _panel_page(ctx, panel_id, 422, f"There is already a suite called {name!r}.")
    return redirect(f"/records/panels/{panel_id}")


@route(router, "POST", "/suites/{suite_id}/status", STAFF)
def suite_status(request: Request, suite_id: int, ctx: Ctx = Gate) -> Response:
    status = ctx.field("status")
    with ctx.db() as db:
        suite = db.get(Suite, suite_id)
        if suite is None:
            raise HTTPException(404, "no such suite")
        if status not in set(SuiteStatus):
            return _panel_page(ctx, suite.panel_id, 422, "Choose the suite's status.")
        suite.status, suite.status_note = status, ctx.field("status_note")[:300]
        panel_id = suite.panel_id
    return redirect(f"/records/panels/{panel_id}")


@route(router, "POST", "/panels/{panel_id}/rota", STAFF)
def draw_rota(request: Request, panel_id: int, ctx: Ctx = Gate) -> Response:
    try:
        month = _month(ctx.field("month"))
        with ctx.db() as db:
            drawn = rota.draft(db, panel_id, month)
    except OversightError as exc:
        return _panel_page(ctx, panel_id, 422, f"No rota was drawn: {exc.reason}.")
    notes = [f"Draft rota for {month:%B %Y}: {len(drawn.visits)} visits. Visitors see it once it is published."]
    notes += [f"No visits to {s}." for s in drawn.skipped]
    return _panel_page(ctx, panel_id, rota_notes=notes)


@route(router, "POST", "/panels/{panel_id}/rota/publish", STAFF)
def publish_rota(request: Request, panel_id: int, ctx: Ctx = Gate) -> Response:
    try:
        month = _month(ctx.field("month"))
        with ctx.db() as db:
            count = rota.publish(db, panel_id, month)
    except OversightError as exc:
        return _panel_page(ctx, panel_id, 422, f"Nothing was published: {exc.reason}.")
    return _panel_page(ctx, panel_id, rota_notes=[f"Published {count} visits for {month:%B %Y} to the panel."])


# --- visits and reports --------------------------------------------------------------------------------------------

@route(router, "GET", "/visits/", CUSTODY)
def visits(request: Request, ctx: Ctx = Gate) -> Response:
    assert ctx.user is not None
    with ctx.db() as db:
        panels_seen = service.visible_panels(db, ctx.user)
        query = (select(Visit).options(selectinload(Visit.suite), selectinload(Visit.panel),
                                       selectinload(Visit.report)).order_by(Visit.visit_date.desc()).limit(300))
        if panels_seen is not None:
            query = query.where(Visit.panel_id.in_(panels_seen), Visit.published.is_(True))
        found = db.scalars(query).all()
        names = dict(db.execute(select(User.id, User.display_name)).all())
    mine = [v for v in found if ctx.user.id in (v.first_visitor_id, v.second_visitor_id)]
    return _page(ctx, "records/custody/visits.html", "Visits", visits=found, mine=mine, names=names)


def _visit_page(ctx: Ctx, visit_id: int) -> Response:
    assert ctx.user is not None
    with ctx.db() as db:
        visit = service.visible_visit(db, ctx.user, visit_id)
        report = db.scalar(select(VisitReport).where(VisitReport.visit_id == visit.id)
                           .options(selectinload(VisitReport.issues), selectinload(VisitReport.reasons)))
        names = dict(db.execute(select(User.id, User.display_name)).all())
        suite, panel_name = visit.suite, visit.panel.name
    return _page(ctx, "records/custody/visit.html", f"Visit to {suite.name}, {visit.visit_date:%d %B %Y}",
                 visit=visit, report=report, names=names, suite=suite, panel_name=panel_name)


@route(router, "GET", "/visits/{visit_id}", CUSTODY)
def visit(request: Request, visit_id: int, ctx: Ctx = Gate) -> Response:
    return _visit_page(ctx, visit_id)


def _report_form(ctx: Ctx, visit_id: int, form: service.ReportForm | None = None, status: int = 200) -> Response:
    assert ctx.user is not None
    with ctx.db() as db:
        visit = service.visible_visit(db, ctx.user, visit_id)
        suite_name, has_report = visit.suite.name, visit.report is not None
    return _page(ctx, "records/custody/report_form.html", f"Report: {suite_name}, {visit.visit_date:%d %B %Y}",
                 status=status, visit=visit, suite_name=suite_name, has_report=has_report,
                 values=form.values if form else {}, errors=form.errors if form else {},
                 reasons=list(Unavailable), issue_rows=range(1, service.ISSUE_ROWS + 1))


@route(router, "GET", "/visits/{visit_id}/report", VISITING)
def report_form(request: Request, visit_id: int, ctx: Ctx = Gate) -> Response:
    return _report_form(ctx, visit_id)


@route(router, "POST", "/visits/{visit_id}/report", VISITING)
def file_report(request: Request, visit_id: int, ctx: Ctx = Gate) -> Response:
    assert ctx.user is not None
    values = {k: v.strip() for k, v in (ctx.form or {}).items() if isinstance(v, str) and k != "csrf_token"}
    form = service.check_report(values)
    if form.errors:
        return _report_form(ctx, visit_id, form, status=422)
    with ctx.db() as db:
        found = service.visible_visit(db, ctx.user, visit_id)
        if found.visit_date > today():
            return _report_form(ctx, visit_id, service.ReportForm(values, {"time_in": "This visit is not due yet: "
                                                                                      "file its report after it."}),
                                status=422)
        if found.report is not None:
            return _report_form(ctx, visit_id, service.ReportForm(values, {"held": "This visit already has a "
                                                                                   "report."}), status=409)
        service.file_report(db, found, form, ctx.user)
    return redirect(f"/records/visits/{visit_id}?filed=1")


@route(router, "POST", "/visits/{visit_id}/status", STAFF)
def visit_status(request: Request, visit_id: int, ctx: Ctx = Gate) -> Response:
    status = ctx.field("status")
    if status not in (VisitStatus.MISSED, VisitStatus.CANCELLED, VisitStatus.SCHEDULED):
        raise HTTPException(422, "a visit can be marked missed, cancelled or scheduled again")
    with ctx.db() as db:
        found = db.get(Visit, visit_id)
        if found is None:
            raise HTTPException(404, "no such visit")
        if found.report is not None:
            raise HTTPException(409, "this visit has a report: it was made")
        found.status = status
    return redirect(f"/records/visits/{visit_id}")


# --- issues --------------------------------------------------------------------------------------------------------

def _issues_page(ctx: Ctx, status: int = 200, error: str | None = None) -> Response:
    with ctx.db() as db:
        found = db.scalars(select(Issue).options(selectinload(Issue.report).selectinload(VisitReport.visit)
                                                 .selectinload(Visit.suite))
                           .order_by(Issue.id.desc()).limit(500)).all()
        late = service.overdue(db, today())
    order = {IssueStatus.ESCALATED: 0, IssueStatus.OPEN: 1, IssueStatus.RESPONDED: 2, IssueStatus.CLOSED: 3}
    found = sorted(found, key=lambda i: (not i.overdue(today()), order[IssueStatus(i.status)], -i.id))
    return _page(ctx, "records/custody/issues.html", "Issues", status=status, issues=found, overdue=late,
                 error=error, default_due=today() + dt.timedelta(days=service.RESPONSE_DAYS))


@route(router, "GET", "/issues/", READERS)
def issues(request: Request, ctx: Ctx = Gate) -> Response:
    return _issues_page(ctx)


def _issue_action(ctx: Ctx, issue_id: int, act: Callable[[Issue], None]) -> Response:
    try:
        with ctx.db() as db:
            issue = db.get(Issue, issue_id)
            if issue is None:
                raise HTTPException(404, "no such issue")
            act(issue)
    except OversightError as exc:
        return _issues_page(ctx, 422, f"Issue {issue_id} was not changed: {exc.reason}.")
    return redirect("/records/issues/")


@route(router, "POST", "/issues/{issue_id}/escalate", STAFF)
def escalate(request: Request, issue_id: int, ctx: Ctx = Gate) -> Response:
    return _issue_action(ctx, issue_id, lambda i: service.escalate(i, _date(ctx.field("due_on"), "due_on"), today()))


@route(router, "POST", "/issues/{issue_id}/response", STAFF)
def response(request: Request, issue_id: int, ctx: Ctx = Gate) -> Response:
    return _issue_action(ctx, issue_id, lambda i: service.record_response(
        i, ctx.field("response"), _date(ctx.field("responded_on") or today().isoformat(), "responded_on")))


@route(router, "POST", "/issues/{issue_id}/close", STAFF)
def close(request: Request, issue_id: int, ctx: Ctx = Gate) -> Response:
    return _issue_action(ctx, issue_id, lambda i: service.close(i, today()))


# --- statistics ----------------------------------------------------------------------------------------------------

@route(router, "GET", "/statistics/", READERS)
def statistics_page(request: Request, ctx: Ctx = Gate) -> Response:
    with ctx.db() as db:
        found = statistics.figures(db, today())
    return _page(ctx, "records/custody/statistics.html", "Custody visiting statistics", figures=found,
                 rates=statistics.interview_rates)


@route(router, "GET", "/statistics/partner.csv", READERS)
def statistics_csv(request: Request, ctx: Ctx = Gate) -> Response:
    with ctx.db() as db:
        text = partner_csv(statistics.partner_rows(statistics.figures(db, today())))
    return Response(text, media_type="text/csv", headers={
        **NO_STORE, "Content-Disposition": f'attachment; filename="custody-visiting-{today().isoformat()}.csv"'})


def home_notes(db: Session, user: User) -> list[tuple[str, str]]:
    """What needs this person's attention, as (text, link): overdue responses for those who chase them,
    reports still to file for a visitor."""
    notes: list[tuple[str, str]] = []
    if user.role in (Role.ADMIN, Role.COORDINATOR):
        late = len(service.overdue(db, today()))
        if late:
            notes.append((f"{late} police response{'s are' if late != 1 else ' is'} overdue", "/records/issues/"))
    if user.role == Role.VISITOR:
        due = db.scalar(select(func.count()).select_from(Visit).where(
            (Visit.first_visitor_id == user.id) | (Visit.second_visitor_id == user.id),
            Visit.status == VisitStatus.SCHEDULED, Visit.published.is_(True), Visit.visit_date <= today()))
        if due:
            notes.append((f"{due} of your visits {'have' if due != 1 else 'has'} no report yet", "/records/visits/"))
    return notes


# --- own data, retention, commands ---------------------------------------------------------------------------------

def own_data(db: Session, user: User) -> dict[str, Any]:
    """A person's custody visiting data: the panels they belong to, the visits they are on, the reports they filed."""
    panel_names = db.scalars(select(Panel.name).join(PanelMember, PanelMember.panel_id == Panel.id)
                             .where(PanelMember.user_id == user.id)).all()
    on = db.scalars(select(Visit).where((Visit.first_visitor_id == user.id) | (Visit.second_visitor_id == user.id))
                    .options(selectinload(Visit.suite)).order_by(Visit.visit_date)).all()
    filed = db.scalars(select(VisitReport.visit_id).where(VisitReport.filed_by == user.id)).all()
    return {"custody_visiting": {
        "panels": list(panel_names),
        "visits": [{"date": v.visit_date.isoformat(), "suite": v.suite.name, "status": v.status} for v in on],
        "reports_filed_for_visits": list(filed)}}


def purge(db: Session, cutoff: dt.date) -> dict[str, int]:
    """Delete visits (with their reports and issues) dated before the cutoff."""
    old = db.scalars(select(Visit.id).where(Visit.visit_date < cutoff)).all()
    for visit_id in old:
        found = db.get(Visit, visit_id)
        if found is not None:
            db.delete(found)
    return {"custody visits": len(old)}


def add_commands(app: typer.Typer, records: Callable[[], Records], fail: Callable[[str], None], out: Console) -> None:
    """`oversight records import-panels`, `import-suites`, `custody-statistics`, `reminders`."""

    def rows(path: Path, needed: set[str]) -> list[dict[str, str]]:
        if not path.is_file():
            fail(f"{path}: no such file")
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = needed - set(reader.fieldnames or [])
            if missing:
                fail(f"{path}: the header lacks {', '.join(sorted(missing))} (it needs {', '.join(sorted(needed))})")
            return [{k: (v or "").strip() for k, v in r.items() if k} for r in reader]

    @app.command("import-panels")
    def import_panels(path: Annotated[Path, typer.Argument(help="CSV with columns name, area, visits_per_suite.")]
                      ) -> None:
        """Add or update custody visiting panels from a CSV file (one panel a row)."""
        data = rows(path, {"name", "area", "visits_per_suite"})
        added = updated = 0
        with records().session("import-panels") as db:
            for line, row in enumerate(data, start=2):
                coverage = row["visits_per_suite"] or "2"
                if not row["name"] or not coverage.isdigit() or not 1 <= int(coverage) <= 10:
                    fail(f"{path}, row {line}: a panel needs a name and visits_per_suite from 1 to 10; "
                         "nothing imported")
                found = db.scalar(select(Panel).where(Panel.name == row["name"]))
                if found is None:
                    db.add(Panel(name=row["name"][:120], area=row["area"][:200], visits_per_suite=int(coverage),
                                 active=True))
                    added += 1
                else:
                    found.area, found.visits_per_suite = row["area"][:200], int(coverage)
                    updated += 1
        out.print(f"panels: {added} added, {updated} updated")

    @app.command("import-suites")
    def import_suites(path: Annotated[Path, typer.Argument(help="CSV with columns name, panel, status, cells.")]
                      ) -> None:
        """Add or update custody suites from a CSV file; each names its panel (already imported)."""
        data = rows(path, {"name", "panel", "status", "cells"})
        added = updated = 0
        with records().session("import-suites") as db:
            for line, row in enumerate(data, start=2):
                found_panel = db.scalar(select(Panel).where(Panel.name == row["panel"]))
                status = row["status"] or SuiteStatus.OPEN.value
                if not row["name"] or found_panel is None or status not in set(SuiteStatus) or (
                        row["cells"] and not row["cells"].isdigit()):
                    fail(f"{path}, row {line}: a suite needs a name, a known panel, a status "
                         f"({', '.join(s.value for s in SuiteStatus)}) and cells as a number; nothing imported")
                assert found_panel is not None
                cells = int(row["cells"]) if row["cells"] else None
                suite = db.scalar(select(Suite).where(Suite.name == row["name"]))
                if suite is None:
                    db.add(Suite(name=row["name"][:120], panel_id=found_panel.id, status=status, status_note="",
                                 cells=cells))
                    added += 1
                else:
                    suite.panel_id, suite.status, suite.cells = found_panel.id, status, cells
                    updated += 1
        out.print(f"suites: {added} added, {updated} updated")

    @app.command("custody-statistics")
    def custody_statistics(
        output: Annotated[Path, typer.Argument(help="Partner CSV file to write (then: oversight ingest partner).")],
    ) -> None:
        """Write custody visiting's quarterly and annual figures as a partner file for the measures."""
        with records().session() as db:
            found = statistics.figures(db, today())
            rows_out = statistics.partner_rows(found)
        output.write_text(partner_csv(rows_out), encoding="utf-8")
        out.print(f"{len(rows_out)} rows for {len(found)} periods written to {output}")

    @app.command()
    def reminders() -> None:
        """List escalated issues whose police response is overdue (exit code 1 when there are any)."""
        with records().session() as db:
            late = service.overdue(db, today())
            lines = [f"issue {i.id} ({CATEGORY_NAMES[Category(i.category)]}, {i.report.visit.suite.name}): "
                     f"response due {i.due_on:%d %B %Y}, {(today() - i.due_on).days} days overdue"
                     for i in late if i.due_on]
        for line in lines:
            out.print(line)
        out.print(f"{len(lines)} overdue responses")
        if lines:
            raise typer.Exit(1)

    del import_panels, import_suites, custody_statistics, reminders
