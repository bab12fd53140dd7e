"""`oversight records`: set up and look after the records database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from oversight import config
from oversight.errors import OversightError
from oversight.records import auth, db, kinds
from oversight.records.models import Role
from oversight.records.web import create_user

app = typer.Typer(help="The records service: its database, accounts and set-up imports.", no_args_is_help=True)
out = Console(width=160, highlight=False)
err = Console(stderr=True, width=160, highlight=False)
_state: dict[str, str | None] = {}


@app.callback()
def main(
    database: Annotated[str | None, typer.Option(
        help=f"Records database URL. Default: ${config.RECORDS_DATABASE_ENV}, else "
             f"'{config.default('records_database')}'.", show_default=False)] = None,
) -> None:
    _state["database"] = config.records_database(database)


def _records() -> db.Records:
    return db.Records(_state.get("database"))


def _checked_records() -> db.Records:
    """The records database with its tables at the newest migration, else a clear error and exit."""
    records = _records()
    try:
        records.check()
    except OversightError as exc:
        _fail(str(exc))
    return records


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(2)


@app.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or upgrade the records tables (Alembic migrations shipped with the package)."""
    records = _records()
    db.upgrade(records.engine, revision)
    out.print(f"records database at migration {db.current_revision(records.engine)}")


@app.command()
def downgrade(revision: Annotated[str, typer.Argument(help="Revision to go back to; 'base' removes every table.")]
              ) -> None:
    """Undo migrations down to a revision (data in the tables removed is lost)."""
    records = _records()
    db.downgrade(records.engine, revision)
    out.print(f"records database at migration {db.current_revision(records.engine) or 'base'}")


@app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Argument(help="User name of the administrator.")],
    name: Annotated[str, typer.Option(help="Name to show.")] = "Administrator",
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
) -> None:
    """Create an administrator account (the first one, or another); the password is asked for."""
    password = typer.prompt("Password (12 characters or more)", hide_input=True, confirmation_prompt=True)
    _add(username, name, Role.ADMIN, password, email)


@app.command("add-user")
def add_user(
    username: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[Role, typer.Option(help="Role of the account.")],
    name: Annotated[str, typer.Option(help="Name to show.")],
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
) -> None:
    """Create an account with a role; the password is asked for."""
    password = typer.prompt("Password (12 characters or more)", hide_input=True, confirmation_prompt=True)
    _add(username, name, role, password, email)


def _add(username: str, name: str, role: str, password: str, email: str | None) -> None:
    records = _records()
    try:
        records.check()
        with records.session("cli") as session:
            create_user(session, username, name, role, password, email)
    except OversightError as exc:
        _fail(str(exc))
    out.print(f"account {username!r} created ({role})")


@app.command()
def purge() -> None:
    """Delete expired sessions and old login attempts, and records older than the retention period."""
    records = _checked_records()
    days = int(config.default("records_retention_days"))  # type: ignore[call-overload]
    cutoff = dt.date.today() - dt.timedelta(days=days)
    lifetime = dt.timedelta(hours=float(config.default("records_session_hours")))  # type: ignore[arg-type]
    with records.session("retention") as session:
        sessions = auth.purge_expired(session, lifetime)
        removed = {name: count for module in kinds.load_web() for name, count in module.purge(session, cutoff).items()}
    out.print(f"expired sessions deleted: {sessions}")
    for name, count in removed.items():
        # A kind with its own retention setting names its own cutoff ("... before YYYY-MM-DD ...").
        out.print(f"{name}: {count}" if " before " in name else f"{name} before {cutoff.isoformat()} deleted: {count}")


def register_imports() -> None:
    """Each kind adds its own commands (`custody`: import panels and suites), given a function that
    opens the records database with its tables checked."""
    for module in kinds.load_web():
        adder = getattr(module, "add_commands", None)
        if adder is not None:
            adder(app, _checked_records, _fail, out)


def csv_path(path: Path) -> Path:
    if not path.is_file():
        _fail(f"{path}: no such file")
    return path


register_imports()
