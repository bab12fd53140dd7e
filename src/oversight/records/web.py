"""The records pages under /records/: login, accounts, the audit log, and each kind's pages.

Every route goes through `gate`, which finds the caller's session, applies the route's access rule
(`access.RULES`), and checks the CSRF token of every POST. `install(app, ...)` mounts it all.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from oversight import config
from oversight.records import access, audit, auth, kinds
from oversight.records.access import ADMIN, EVERYONE, SIGNED_IN, route
from oversight.records.db import Records, utcnow
from oversight.records.models import ROLE_NAMES, AuditEntry, LoginSession, Role, User

log = logging.getLogger("oversight.records")

TEMPLATES = Path(str(resources.files("oversight.records") / "templates"))
COOKIE = "oversight_records_session"
PREFIX = "/records"
NO_STORE = {"Cache-Control": "no-store"}

router = APIRouter(prefix=PREFIX)


@dataclass
class RecordsSettings:
    """The records settings a server runs with (defaults from `config`); the secret key is read on first use."""

    session_hours: float = float(config.default("records_session_hours"))  # type: ignore[arg-type]
    login_attempts: int = int(config.default("records_login_attempts"))  # type: ignore[call-overload]
    secure_cookie: bool = bool(config.default("records_secure_cookie"))
    secret_key: bytes | None = None

    def key(self) -> bytes:
        if self.secret_key is None:
            self.secret_key = auth.secret_key()
        return self.secret_key

    @property
    def lifetime(self) -> dt.timedelta:
        return dt.timedelta(hours=self.session_hours)


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


Chrome = Callable[[dict[str, Any], str], dict[str, Any]]


@dataclass
class Ctx:
    """What a records handler gets: the caller, their session token and CSRF token, the posted form."""

    request: Request
    records: Records
    settings: RecordsSettings
    user: User | None
    token: str | None
    form: FormData | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def role(self) -> str:
        return access.role_of(self.user)

    @property
    def csrf(self) -> str:
        return auth.csrf_token(self.settings.key(), self.token) if self.token else ""

    @contextmanager
    def db(self) -> Iterator[Session]:
        """A transaction whose changes the audit log puts down to this caller."""
        with self.records.session(self.user) as session:
            yield session

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else default

    def fields(self, name: str) -> list[str]:
        return [v for v in self.form.getlist(name) if isinstance(v, str)] if self.form is not None else []

    def page(self, template: str, title: str, status: int = 200, **data: Any) -> HTMLResponse:
        app = self.request.app
        path = self.request.url.path
        body = {"title": title, "page": "records", "intro": data.pop("intro", ""), "sections": []}
        values = app.state.records_chrome(body, path)
        values.update(user=self.user, role=self.role, csrf=self.csrf, ROLE_NAMES=ROLE_NAMES, messages=self.messages,
                      nav=_navigation(self.role), **data)
        html = app.state.env.get_template(template).render(values)
        return HTMLResponse(html, status_code=status, headers=NO_STORE)


def _navigation(role: str) -> list[tuple[str, str]]:
    """The records menu: the pages this role may open."""
    return [(path, label) for path, label in NAVIGATION if access.allowed("GET", path, role)]


NAVIGATION: list[tuple[str, str]] = [("/records/", "Records home")]
"""The records menu; each kind adds its pages (`add_navigation`). Shown only where the role may go."""


def add_navigation(path: str, label: str) -> None:
    if (path, label) not in NAVIGATION:
        NAVIGATION.append((path, label))


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303, headers=NO_STORE)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _same_origin(request: Request) -> bool:
    """A browser's Origin (or Referer) header, when sent, must name this site's host. The scheme is not
    compared: behind a proxy that ends TLS the server sees http while the browser says https."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True
    return urlsplit(origin).netloc == request.url.netloc


async def gate(request: Request) -> Ctx:
    form = await request.form() if request.method == "POST" else None
    return await run_in_threadpool(_gate, request, form)


def _gate(request: Request, form: FormData | None) -> Ctx:
    records: Records = request.app.state.records
    settings: RecordsSettings = request.app.state.records_settings
    records.check()
    token = request.cookies.get(COOKIE)
    with records.session() as db:
        session = auth.find_session(db, token, settings.lifetime)
        user = db.get(User, session.user_id) if session is not None and session.user_id is not None else None
        if user is not None and not user.active:
            user = None
    if session is None:
        token = None
    ctx = Ctx(request, records, settings, user, token, form)
    template = getattr(request.scope.get("route"), "path", "")
    allowed = access.allowed(request.method, template, access.role_of(user))
    if allowed is None:
        log.error("refused %s %s: the route has no access rule", request.method, template)
        raise HTTPException(403, "this page has no access rule, so nobody may use it")
    if not allowed:
        if user is None:
            if request.method in ("GET", "HEAD"):
                raise LoginRequired(request.url.path)
            raise HTTPException(401, "sign in first")
        raise HTTPException(403, f"a {ROLE_NAMES[Role(user.role)].lower()} cannot use this page")
    if request.method == "POST":
        if not _same_origin(request) or not auth.csrf_ok(settings.key(), token, ctx.field("csrf_token")):
            raise HTTPException(403, "the form had expired or did not come from this site: go back, reload it and "
                                     "send it again")
    return ctx


Gate = Depends(gate)


def install(app: FastAPI, *, records: Records, settings: RecordsSettings, chrome: Chrome,
            env: Environment, pdf: Callable[[str], bytes] | None = None) -> None:
    """Mount the records pages on the site: `chrome(data, path)` gives the site's template context;
    `pdf(html)` makes a tagged PDF of a published page (the report's writer, handed in by the app)."""
    app.state.records = records
    app.state.records_pdf = pdf
    app.state.records_settings = settings
    app.state.records_chrome = chrome
    if env.loader is not None and TEMPLATES not in getattr(env.loader, "searchpath", []):
        env.loader = ChoiceLoader([env.loader, FileSystemLoader(str(TEMPLATES))])
    for module in kinds.load_web():
        module.register()
    app.include_router(router)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return redirect(f"{PREFIX}/login?next={quote(exc.next_path)}")


def _set_cookie(response: Response, ctx: Ctx, token: str) -> None:
    response.set_cookie(COOKIE, token, httponly=True, secure=ctx.settings.secure_cookie, samesite="lax",
                        path=PREFIX + "/")


def _safe_next(path: str) -> str:
    """Only a path of this service: never another site (an open redirect)."""
    if path.startswith(PREFIX + "/") and not path.startswith("//") and "\\" not in path and "://" not in path:
        return path
    return PREFIX + "/"


# --- signing in and out -------------------------------------------------------------------------------------------

@route(router, "GET", "/login", EVERYONE)
def login_form(request: Request, next: str = "", ctx: Ctx = Gate) -> Response:
    if ctx.user is not None:
        return redirect(_safe_next(next))
    fresh = ctx.token is None
    if fresh:  # an anonymous session, so the login form has a CSRF token
        with ctx.db() as db:
            ctx.token = auth.new_session(db, None)
    response = ctx.page("records/login.html", "Sign in to the records", next=_safe_next(next), error=None)
    if fresh:
        _set_cookie(response, ctx, str(ctx.token))
    return response


@route(router, "POST", "/login", EVERYONE)
def login(request: Request, ctx: Ctx = Gate) -> Response:
    username = ctx.field("username")[:64]
    password = ctx.field("password")
    next_path = _safe_next(ctx.field("next"))
    client = client_address(request)
    with ctx.db() as db:
        if auth.too_many_failures(db, username, client, ctx.settings.login_attempts):
            return ctx.page("records/login.html", "Sign in to the records", status=429, next=next_path,
                            error="Too many failed attempts. Wait 15 minutes, then try again.")
        user = db.scalar(select(User).where(User.username == username))
        ok = auth.verify_password(user, password) and user is not None and user.active
        auth.note_attempt(db, username, client, ok)
    if not ok or user is None:
        return ctx.page("records/login.html", "Sign in to the records", status=422, next=next_path,
                        error="The user name or password is not right.")
    with ctx.records.session(user) as db:
        auth.end_session(db, ctx.token)  # the session id changes at login: no fixation
        token = auth.new_session(db, user)
        stored = db.get(User, user.id)
        assert stored is not None
        stored.last_login_at = utcnow()
        if auth.HASHER.check_needs_rehash(stored.password_hash):
            stored.password_hash = auth.hash_password(password)
        audit.record(db, "login", "user_account", str(user.id))
    response = redirect(next_path)
    _set_cookie(response, ctx, token)
    return response


@route(router, "POST", "/logout", SIGNED_IN)
def logout(request: Request, ctx: Ctx = Gate) -> Response:
    with ctx.db() as db:
        auth.end_session(db, ctx.token)
        audit.record(db, "logout", "user_account", str(ctx.user.id if ctx.user else ""))
    response = redirect(PREFIX + "/login")
    response.delete_cookie(COOKIE, path=PREFIX + "/")
    return response


# --- home and own account -----------------------------------------------------------------------------------------

@route(router, "GET", "/", SIGNED_IN)
def home(request: Request, ctx: Ctx = Gate) -> Response:
    assert ctx.user is not None
    with ctx.db() as db:
        notes = [note for module in kinds.load_web() for note in module.home_notes(db, ctx.user)]
    return ctx.page("records/home.html", "Records", notes=notes)


def own_data(db: Session, user: User) -> dict[str, Any]:
    """Everything the service holds about one person: their account, what each kind of record holds
    of theirs, and the audit log's entries of their actions."""
    data: dict[str, Any] = {"account": user.own_data()}
    for module in kinds.load_web():
        data.update(module.own_data(db, user))
    entries = db.scalars(select(AuditEntry).where(AuditEntry.actor_id == user.id).order_by(AuditEntry.id)).all()
    data["actions"] = [{"at": e.at.isoformat(), "action": e.action, "table": e.table_name, "row": e.row_id}
                       for e in entries]
    return data


@route(router, "GET", "/account/", SIGNED_IN)
def account(request: Request, ctx: Ctx = Gate) -> Response:
    return ctx.page("records/account.html", "Your account", error=None)


@route(router, "GET", "/account/export.json", SIGNED_IN)
def account_export(request: Request, ctx: Ctx = Gate) -> Response:
    assert ctx.user is not None
    with ctx.db() as db:
        data = own_data(db, ctx.user)
        audit.record(db, "export", "user_account", str(ctx.user.id))
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{ctx.user.username}-data.json"'}
    return JSONResponse(json.loads(json.dumps(data, default=str)), headers=headers)


@route(router, "POST", "/account/password", SIGNED_IN)
def change_password(request: Request, ctx: Ctx = Gate) -> Response:
    assert ctx.user is not None
    current, new, again = ctx.field("current"), ctx.field("new"), ctx.field("again")
    error = None
    if not auth.verify_password(ctx.user, current):
        error = "Your current password is not right."
    elif new != again:
        error = "The two new passwords differ."
    else:
        try:
            auth.check_new_password(new, ctx.user.username)
        except auth.AccountRejected as exc:
            error = f"The new password is not accepted: {exc.reason}."
    if error:
        return ctx.page("records/account.html", "Your account", status=422, error=error)
    with ctx.db() as db:
        stored = db.get(User, ctx.user.id)
        assert stored is not None
        stored.password_hash = auth.hash_password(new)
        # Every other session of this person ends: a stolen session does not survive a password change.
        for other in db.scalars(select(LoginSession).where(LoginSession.user_id == stored.id)).all():
            db.delete(other)
        token = auth.new_session(db, stored)
    response = redirect(PREFIX + "/account/?changed=1")
    _set_cookie(response, ctx, token)
    return response


# --- administration -----------------------------------------------------------------------------------------------

@route(router, "GET", "/users/", ADMIN)
def users(request: Request, ctx: Ctx = Gate) -> Response:
    return _users_page(ctx)


def _users_page(ctx: Ctx, status: int = 200, error: str | None = None) -> HTMLResponse:
    with ctx.db() as db:
        people = db.scalars(select(User).order_by(User.role, User.username)).all()
    return ctx.page("records/users.html", "Accounts", status=status, people=people, roles=list(Role), error=error)


def create_user(db: Session, username: str, display_name: str, role: str, password: str,
                email: str | None = None) -> User:
    """A new account, checked (user name form, role, password strength, unique name)."""
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-" for c in username):
        raise auth.AccountRejected("a user name is 1 to 64 letters, digits, '.', '_' or '-'", field="username")
    if role not in set(Role):
        raise auth.AccountRejected(f"unknown role {role!r}", field="role")
    if not display_name:
        raise auth.AccountRejected("a name to show is needed", field="display_name")
    auth.check_new_password(password, username)
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise auth.AccountRejected(f"the user name {username!r} is taken", field="username")
    user = User(username=username, display_name=display_name[:120], role=role, email=email or None,
                password_hash=auth.hash_password(password), active=True)
    db.add(user)
    db.flush()
    return user


@route(router, "POST", "/users/", ADMIN)
def add_user(request: Request, ctx: Ctx = Gate) -> Response:
    try:
        with ctx.db() as db:
            create_user(db, ctx.field("username"), ctx.field("display_name"), ctx.field("role"),
                        ctx.field("password"), ctx.field("email"))
    except auth.AccountRejected as exc:
        return _users_page(ctx, 422, f"The account was not made: {exc.reason}.")
    return redirect(PREFIX + "/users/")


@route(router, "POST", "/users/{user_id}/active", ADMIN)
def set_active(request: Request, user_id: int, ctx: Ctx = Gate) -> Response:
    with ctx.db() as db:
        person = db.get(User, user_id)
        if person is None:
            raise HTTPException(404, "no such account")
        if ctx.user is not None and person.id == ctx.user.id:
            raise HTTPException(422, "you cannot deactivate your own account")
        person.active = ctx.field("active") == "1"
        if not person.active:
            for session in db.scalars(select(LoginSession).where(LoginSession.user_id == person.id)).all():
                db.delete(session)
    return redirect(PREFIX + "/users/")


@route(router, "GET", "/audit/", ADMIN)
def audit_log(request: Request, table: str = "", ctx: Ctx = Gate) -> Response:
    with ctx.db() as db:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)
        if table:
            query = query.where(AuditEntry.table_name == table)
        entries = db.scalars(query).all()
    return ctx.page("records/audit.html", "Audit log", entries=entries, table=table)
