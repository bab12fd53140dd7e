"""The records database: engine, sessions and migrations (Alembic, scripts inside the package)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool

from oversight import config
from oversight.errors import OversightError

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Every records table. A model sets `__audited__ = False` to keep its changes out of the audit log
    (sessions and login attempts: security plumbing, not records)."""

    metadata = MetaData(naming_convention=NAMING)


class RecordsError(OversightError):
    """The records database cannot be used as it is (not migrated, unreachable)."""

    status = 503


def utcnow() -> dt.datetime:
    """Now, in UTC, without tzinfo: both databases store it the same way."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def make_engine(url: str | None = None) -> Engine:
    """An engine for the records database; SQLite gets foreign keys on and one connection per thread."""
    url = config.records_database(url)
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

    return engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("oversight.records") / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


class Records:
    """One records database: its engine and a session factory whose flushes write the audit log."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        self.engine = engine or make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._checked = False

    def check(self) -> None:
        """Fail with a clear message unless the database is migrated to the code's head."""
        if self._checked:
            return
        try:
            current, head = current_revision(self.engine), head_revision(self.engine)
        except Exception as exc:  # an unreachable server, a bad URL
            raise RecordsError(f"the records database cannot be opened: {type(exc).__name__}") from exc
        if current != head:
            raise RecordsError(
                f"the records database is at migration {current or 'none'}, the code needs {head}: "
                "run 'oversight records migrate'")
        self._checked = True

    @contextmanager
    def session(self, actor: Any = None) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on error.
        `actor` (a `models.User` or None) is who the audit log says made the changes."""
        with self.sessions() as session:
            session.info["actor"] = actor
            with session.begin():
                yield session

    def dispose(self) -> None:
        self.engine.dispose()
