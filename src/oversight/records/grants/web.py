"""Commissioning and grants' pages, each with its access rule; which grants a provider account sees is
`service.visible_*` (its own organisation's only)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from fastapi import HTTPException, Request
from fastapi.responses import Response
from rich.console import Console
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload
from starlette.datastructures import UploadFile

from oversight.errors import OversightError
from oversight.records.access import ADMIN, EVERYONE, route
from oversight.records.db import Records, utcnow
from oversight.records.grants import register as regfile
from oversight.records.grants import service, update
from oversight.records.grants.models import (
    RETURN_STATUS_NAMES,
    Grant,
    GrantReturn,
    Provider,
    ProviderMember,
    Publication,
    ReturnStatus,
)
from oversight.records.models import Role, User
from oversight.records.web import NO_STORE, Ctx, Gate, add_navigation, redirect, router

COMMISSIONING = frozenset({*ADMIN, Role.COMMISSIONER})
"""Those who run commissioning: load the register, link provider accounts, sign off returns, publish."""
GRANT_READERS = frozenset({*COMMISSIONING, Role.ANALYST, Role.PROVIDER})
"""Those who read grants and returns; a provider account only its own organisation's."""
FILERS = frozenset({Role.PROVIDER})
"""Only a provider fills a return, and only for its own organisation's grants."""
PUBLIC = EVERYONE
"""The published update: aggregates of signed-off returns, for everyone, once published."""
PREVIEW = frozenset({*COMMISSIONING, Role.ANALYST})
MAX_UPLOAD = 5 * 1024 * 1024

NAMES = {"RETURN_STATUS_NAMES": RETURN_STATUS_NAMES, "STANDING_NAMES": service.STANDING_NAMES,
         "quarter_label": service.quarter_label, "quarter_key": service.quarter_key}


def register() -> None:
    """List these pages in the records menu (the routes joined the records router on import)."""
    add_navigation("/records/grants/", "Grants register")
    add_navigation("/records/grants/returns/", "Quarterly returns")
    add_navigation("/records/grants/update/", "Grants update")


def today() -> dt.date:
    return dt.date.today()


def _page(ctx: Ctx, template: str, title: str, status: int = 200, **data: Any) -> Response:
    return ctx.page(template, title, status=status, today=today(), **NAMES, **data)


def _user(ctx: Ctx) -> User:
    assert ctx.user is not None
    return ctx.user


# --- the register -------------------------------------------------------------------------------------------------

def _register_page(ctx: Ctx, status: int = 200, errors: list[Any] | None = None, loaded: str = "") -> Response:
    with ctx.db() as db:
        grants = service.visible_grants(db, _user(ctx))
        total = sum((g.amount for g in grants), update.ZERO)
        return _page(ctx, "records/grants/register.html", "Grants register", status=status, grants=grants,
                     total=total, errors=errors or [], loaded=loaded, columns=regfile.COLUMNS,
                     can_import=ctx.role in COMMISSIONING)


@route(router, "GET", "/grants/", GRANT_READERS)
def grants(request: Request, ctx: Ctx = Gate) -> Response:
    return _register_page(ctx)


@route(router, "POST", "/grants/import", COMMISSIONING)
def import_register(request: Request, ctx: Ctx = Gate) -> Response:
    upload = ctx.form.get("register") if ctx.form is not None else None
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _register_page(ctx, 422, [regfile.RowError("(no file)", 0, "register", "choose a .csv or .xlsx file")])
    try:
        data = upload.file.read(MAX_UPLOAD + 1)
    finally:
        upload.file.close()
    name = Path(upload.filename).name
    if len(data) > MAX_UPLOAD:
        return _register_page(ctx, 422, [regfile.RowError(name, 0, "file", "larger than 5 MB")])
    try:
        with ctx.db() as db:
            loaded = regfile.load(db, name, data)
    except regfile.RegisterRejected as exc:
        return _register_page(ctx, 422, exc.errors)
    return _register_page(ctx, loaded=f"{name}: {loaded.grants} grants loaded, £{loaded.total:,} in all "
                                       f"({loaded.providers_added} new providers, {loaded.funds_added} new funds).")


@route(router, "GET", "/grants/providers/", COMMISSIONING)
def providers(request: Request, ctx: Ctx = Gate) -> Response:
    return _providers_page(ctx)


def _providers_page(ctx: Ctx, status: int = 200, error: str | None = None) -> Response:
    with ctx.db() as db:
        found = db.scalars(select(Provider).order_by(Provider.name)).all()
        members: dict[int, list[User]] = {p.id: [] for p in found}
        for provider_id, person in db.execute(select(ProviderMember.provider_id, User).join(
                User, User.id == ProviderMember.user_id).order_by(User.display_name)).all():
            members[provider_id].append(person)
        accounts = db.scalars(select(User).where(User.role == Role.PROVIDER, User.active.is_(True))
                              .order_by(User.display_name)).all()
        counts = dict(db.execute(select(Grant.provider_id, func.count()).group_by(Grant.provider_id)).all())
        return _page(ctx, "records/grants/providers.html", "Providers and their accounts", status=status,
                     providers=found, members=members, accounts=accounts, counts=counts, error=error)


@route(router, "POST", "/grants/providers/{provider_id}/members", COMMISSIONING)
def add_provider_member(request: Request, provider_id: int, ctx: Ctx = Gate) -> Response:
    user_id = ctx.field("user_id")
    with ctx.db() as db:
        if db.get(Provider, provider_id) is None:
            raise HTTPException(404, "no such provider")
        person = db.get(User, int(user_id)) if user_id.isdigit() else None
        if person is None or person.role != Role.PROVIDER:
            return _providers_page(ctx, 422, "Choose a provider account to link to the organisation.")
        if db.get(ProviderMember, (provider_id, person.id)) is None:
            db.add(ProviderMember(provider_id=provider_id, user_id=person.id))
    return redirect("/records/grants/providers/")


# --- returns ------------------------------------------------------------------------------------------------------

@route(router, "GET", "/grants/returns/", GRANT_READERS)
def returns(request: Request, ctx: Ctx = Gate) -> Response:
    with ctx.db() as db:
        expected = service.expected_returns(db, service.visible_grants(db, _user(ctx)), today())
        counts = {s: sum(1 for e in expected if e.standing == s) for s in service.Standing}
        late = sum(1 for e in expected if e.late and e.standing in (service.Standing.SUBMITTED,
                                                                    service.Standing.SIGNED_OFF))
        return _page(ctx, "records/grants/returns.html", "Quarterly returns", expected=expected, counts=counts,
                     late=late, due_days=service.due_days(), Standing=service.Standing,
                     can_decide=ctx.role in COMMISSIONING)


def _return_page(ctx: Ctx, grant_id: int, quarter_text: str, form: service.ReturnForm | None = None,
                 status: int = 200, error: str | None = None) -> Response:
    quarter = service.parse_quarter(quarter_text)
    with ctx.db() as db:
        grant = service.visible_grant(db, _user(ctx), grant_id)
        if quarter not in service.grant_quarters(grant, today()):
            raise HTTPException(404, "this grant has no return for that quarter")
        found = db.scalar(select(GrantReturn).where(GrantReturn.grant_id == grant.id,
                                                    GrantReturn.quarter_start == quarter)
                          .options(selectinload(GrantReturn.values)))
        where, late = service.standing(found, quarter, today())
        values: dict[str, str] = {}
        if form is not None:
            values = form.values
        elif found is not None:
            values = {"referrals": str(found.referrals), "people_supported": str(found.people_supported),
                      "spend": str(found.spend), "narrative": found.narrative,
                      **{f"measure_{v.measure_id}": str(v.value) for v in found.values}}
        names = dict(db.execute(select(User.id, User.display_name)).all())
        title = f"Return: {grant.reference}, {service.quarter_label(quarter)}"
        return _page(ctx, "records/grants/return.html", title, status=status, grant=grant, quarter=quarter,
                     found=found, standing=where, late=late, due_on=service.due_on(quarter),
                     quarter_ended=today() > service.quarter_end(quarter), quarter_end=service.quarter_end(quarter),
                     values=values,
                     errors=form.errors if form else {}, error=error, names=names,
                     can_edit=ctx.role == Role.PROVIDER and service.editable(found),
                     can_decide=ctx.role in COMMISSIONING and found is not None
                     and found.status == ReturnStatus.SUBMITTED)


@route(router, "GET", "/grants/{grant_id}/returns/{quarter}", GRANT_READERS)
def return_form(request: Request, grant_id: int, quarter: str, ctx: Ctx = Gate) -> Response:
    return _return_page(ctx, grant_id, quarter)


@route(router, "POST", "/grants/{grant_id}/returns/{quarter}", FILERS)
def save_return(request: Request, grant_id: int, quarter: str, ctx: Ctx = Gate) -> Response:
    start = service.parse_quarter(quarter)
    values = {k: v.strip() for k, v in (ctx.form or {}).items() if isinstance(v, str) and k != "csrf_token"}
    submit = values.pop("action", "") == "submit"
    try:
        with ctx.db() as db:
            grant = service.visible_grant(db, _user(ctx), grant_id)
            form = service.check_return(grant, values)
            if form.errors:
                raise _Invalid(form)
            service.save_return(db, grant, start, form, _user(ctx), submit, today())
    except _Invalid as exc:
        return _return_page(ctx, grant_id, quarter, exc.form, status=422)
    except service.Refused as exc:
        return _return_page(ctx, grant_id, quarter, service.ReturnForm(values), status=409,
                            error=f"The return was not saved: {exc.reason}.")
    except service.NotFound as exc:
        raise HTTPException(404, exc.reason) from None
    return redirect(f"/records/grants/{grant_id}/returns/{quarter}?{'submitted' if submit else 'saved'}=1")


class _Invalid(Exception):
    def __init__(self, form: service.ReturnForm) -> None:
        self.form = form


def _decide(ctx: Ctx, return_id: int, act: Callable[[GrantReturn], None]) -> Response:
    try:
        with ctx.db() as db:
            found = service.visible_return(db, _user(ctx), return_id)
            grant_id, key = found.grant_id, service.quarter_key(found.quarter_start)
            act(found)
    except service.NotFound:
        raise HTTPException(404, "no such return") from None
    except OversightError as exc:
        with ctx.db() as db:
            again = db.get(GrantReturn, return_id)
            assert again is not None
            grant_id, key = again.grant_id, service.quarter_key(again.quarter_start)
        return _return_page(ctx, grant_id, key, status=409 if isinstance(exc, service.Refused) else 422,
                            error=f"Nothing was changed: {exc.reason}.")
    return redirect(f"/records/grants/{grant_id}/returns/{key}")


@route(router, "POST", "/grants/returns/{return_id}/sign-off", COMMISSIONING)
def sign_off(request: Request, return_id: int, ctx: Ctx = Gate) -> Response:
    return _decide(ctx, return_id, lambda r: service.sign_off(r, _user(ctx)))


@route(router, "POST", "/grants/returns/{return_id}/send-back", COMMISSIONING)
def send_back(request: Request, return_id: int, ctx: Ctx = Gate) -> Response:
    return _decide(ctx, return_id, lambda r: service.send_back(r, _user(ctx), ctx.field("reason")))


# --- the published quarterly update -------------------------------------------------------------------------------

def _published(db: Session) -> list[Publication]:
    return list(db.scalars(select(Publication).order_by(Publication.quarter_start.desc())).all())


@route(router, "GET", "/grants/update/", PUBLIC)
def updates(request: Request, ctx: Ctx = Gate) -> Response:
    with ctx.db() as db:
        published = _published(db)
        first = db.scalar(select(func.min(Grant.starts_on)))
        quarters: list[dt.date] = []
        if ctx.role in PREVIEW and first is not None:
            start = service.quarter_of(first)
            while start <= today():
                quarters.append(start)
                start = service.next_quarter(start)
        return _page(ctx, "records/grants/updates.html", "Commissioned services and grants: quarterly updates",
                     published=published, quarters=list(reversed(quarters)),
                     published_keys={p.quarter_start for p in published})


def _update_data(ctx: Ctx, quarter_text: str, preview: bool) -> tuple[dict[str, Any], Publication | None]:
    """The published figures of a quarter; staff may preview a quarter's live figures (`preview`).
    A quarter not published is 'not found' to everyone else."""
    quarter = service.parse_quarter(quarter_text)
    with ctx.db() as db:
        publication = db.get(Publication, quarter)
        if preview and ctx.role in PREVIEW:
            return update.figures(db, quarter, today()), publication
        if publication is None:
            raise HTTPException(404, "this quarter's update has not been published")
        return publication.figures, publication


@route(router, "GET", "/grants/update/{quarter}", PUBLIC)
def update_page(request: Request, quarter: str, preview: int = 0, ctx: Ctx = Gate) -> Response:
    data, publication = _update_data(ctx, quarter, bool(preview))
    return _page(ctx, "records/grants/update.html", f"Commissioned services and grants, {data['label']}",
                 figures=data, publication=publication, preview=bool(preview) and ctx.role in PREVIEW,
                 can_publish=ctx.role in COMMISSIONING)


def _download(text: str | bytes, media_type: str, name: str) -> Response:
    return Response(text, media_type=media_type,
                    headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'})


@route(router, "GET", "/grants/update/{quarter}/spend.csv", PUBLIC)
def update_spend_csv(request: Request, quarter: str, ctx: Ctx = Gate) -> Response:
    data, _ = _update_data(ctx, quarter, False)
    return _download(update.spend_csv(data), "text/csv", f"grants-spend-{data['quarter']}.csv")


@route(router, "GET", "/grants/update/{quarter}/measures.csv", PUBLIC)
def update_measures_csv(request: Request, quarter: str, ctx: Ctx = Gate) -> Response:
    data, _ = _update_data(ctx, quarter, False)
    return _download(update.measures_csv(data), "text/csv", f"grants-measures-{data['quarter']}.csv")


@route(router, "GET", "/grants/update/{quarter}/update.json", PUBLIC)
def update_json(request: Request, quarter: str, ctx: Ctx = Gate) -> Response:
    data, publication = _update_data(ctx, quarter, False)
    body = {**data, "published_at": publication.published_at.isoformat() if publication else None}
    return _download(json.dumps(body, indent=1, ensure_ascii=False), "application/json",
                     f"grants-update-{data['quarter']}.json")


@route(router, "GET", "/grants/update/{quarter}/update.pdf", PUBLIC)
def update_pdf(request: Request, quarter: str, ctx: Ctx = Gate) -> Response:
    data, publication = _update_data(ctx, quarter, False)
    make_pdf = request.app.state.records_pdf
    if make_pdf is None:
        raise HTTPException(503, "this server cannot make PDFs")
    made: dict[tuple[str, str], bytes] | None = getattr(request.app.state, "grants_pdfs", None)
    if made is None:
        made = request.app.state.grants_pdfs = {}
    key = (data["quarter"], publication.published_at.isoformat() if publication else "")
    if key not in made:  # a published version never changes: made once per server, not per request
        html = request.app.state.env.get_template("records/grants/update_print.html").render(
            figures=data, publication=publication, title=f"Commissioned services and grants, {data['label']}")
        made[key] = make_pdf(html)
    return _download(made[key], "application/pdf", f"grants-update-{data['quarter']}.pdf")


@route(router, "POST", "/grants/update/{quarter}/publish", COMMISSIONING)
def publish(request: Request, quarter: str, ctx: Ctx = Gate) -> Response:
    start = service.parse_quarter(quarter)
    if service.quarter_end(start) >= today():
        raise HTTPException(409, "a quarter is published after it ends")
    with ctx.db() as db:
        data = update.figures(db, start, today())
        found = db.get(Publication, start)
        if found is None:
            db.add(Publication(quarter_start=start, published_at=utcnow(), published_by=_user(ctx).id, figures=data))
        else:
            found.figures, found.published_at, found.published_by = data, utcnow(), _user(ctx).id
    return redirect(f"/records/grants/update/{quarter}")


# --- grant detail (after the fixed paths above) -------------------------------------------------------------------

@route(router, "GET", "/grants/{grant_id}", GRANT_READERS)
def grant(request: Request, grant_id: int, ctx: Ctx = Gate) -> Response:
    with ctx.db() as db:
        found = service.visible_grant(db, _user(ctx), grant_id)
        expected = service.expected_returns(db, [found], today())
        return _page(ctx, "records/grants/grant.html", f"{found.reference}: {found.title}", grant=found,
                     expected=expected)


# --- the records home, own data, retention, commands --------------------------------------------------------------

def home_notes(db: Session, user: User) -> list[tuple[str, str]]:
    """Returns awaiting sign-off and missing returns for a commissioner; returns to fill for a provider."""
    notes: list[tuple[str, str]] = []
    if user.role not in (Role.ADMIN, Role.COMMISSIONER, Role.PROVIDER):
        return notes
    expected = service.expected_returns(db, service.visible_grants(db, user), today())
    waiting = sum(1 for e in expected if e.standing == service.Standing.SUBMITTED)
    missing = sum(1 for e in expected if e.standing == service.Standing.MISSING)
    due = sum(1 for e in expected if e.standing in (service.Standing.DUE, service.Standing.RETURNED))
    if user.role != Role.PROVIDER and waiting:
        notes.append((f"{waiting} grant return{'s' if waiting != 1 else ''} awaiting sign-off",
                      "/records/grants/returns/"))
    if missing:
        notes.append((f"{missing} grant return{'s are' if missing != 1 else ' is'} missing (past the due date)",
                      "/records/grants/returns/"))
    if user.role == Role.PROVIDER and due:
        notes.append((f"{due} return{'s' if due != 1 else ''} to fill in or correct", "/records/grants/returns/"))
    return notes


def own_data(db: Session, user: User) -> dict[str, Any]:
    """A person's grants data: the organisations they report for, the returns they submitted or decided."""
    organisations = db.scalars(select(Provider.name).join(ProviderMember, ProviderMember.provider_id == Provider.id)
                               .where(ProviderMember.user_id == user.id)).all()
    submitted = db.scalars(select(GrantReturn).where(GrantReturn.submitted_by == user.id)).all()
    decided = db.scalars(select(GrantReturn).where(GrantReturn.decided_by == user.id)).all()
    return {"grants": {"organisations": list(organisations),
                       "returns_submitted": [{"id": r.id, "quarter": service.quarter_key(r.quarter_start)}
                                             for r in submitted],
                       "returns_decided": [{"id": r.id, "status": r.status} for r in decided]}}


def purge(db: Session, cutoff: dt.date) -> dict[str, int]:
    """Delete grants (with their returns) that ended before the cutoff; published updates stay."""
    old = db.scalars(select(Grant.id).where(Grant.ends_on < cutoff)).all()
    if old:
        db.execute(delete(GrantReturn).where(GrantReturn.grant_id.in_(old)))
        for grant_id in old:
            found = db.get(Grant, grant_id)
            if found is not None:
                db.delete(found)
    return {"grants": len(old)}


def add_commands(app: typer.Typer, records: Callable[[], Records], fail: Callable[[str], None], out: Console) -> None:
    """`oversight records grants-import FILE` and `grants-link-provider USER PROVIDER`."""

    @app.command("grants-import")
    def grants_import(path: Annotated[Path, typer.Argument(help="Grants register, .csv or .xlsx (see "
                                                                "docs/records.md).")]) -> None:
        """Load a grants register: every row checked, and nothing loaded if any row is bad (each is listed)."""
        if not path.is_file():
            fail(f"{path}: no such file")
        try:
            with records().session("grants-import") as db:
                loaded = regfile.load_file(db, path)
        except regfile.RegisterRejected as exc:
            for error in exc.errors:
                out.print(str(error))
            fail(str(exc))
            return
        out.print(f"{loaded.grants} grants loaded, £{loaded.total:,} in all ({loaded.providers_added} new "
                  f"providers, {loaded.funds_added} new funds)")

    @app.command("grants-link-provider")
    def link_provider(username: Annotated[str, typer.Argument(help="A provider account's user name.")],
                      provider: Annotated[str, typer.Argument(help="The organisation's name, as in the register.")]
                      ) -> None:
        """Let a provider account fill the returns of an organisation's grants."""
        with records().session("grants-link-provider") as db:
            person = db.scalar(select(User).where(User.username == username))
            organisation = db.scalar(select(Provider).where(Provider.name == provider))
            if person is None or person.role != Role.PROVIDER:
                fail(f"{username!r} is not a provider account")
            if organisation is None:
                fail(f"no provider called {provider!r} in the register")
            assert person is not None and organisation is not None
            if db.get(ProviderMember, (organisation.id, person.id)) is None:
                db.add(ProviderMember(provider_id=organisation.id, user_id=person.id))
        out.print(f"{username} reports for {provider}")

    del grants_import, link_provider
