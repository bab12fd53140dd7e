"""The audit log: every insert, update and delete of an audited table, written in the same
transaction as the change (so a change and its entry commit or fail together), plus events
(login, logout, export) written by `record`."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from oversight.records.db import Base, utcnow
from oversight.records.models import AuditEntry, User

REDACTED = "(not recorded)"


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _columns(obj: Base) -> list[str]:
    return [attr.key for attr in inspect(obj).mapper.column_attrs]


def _snapshot(obj: Base) -> dict[str, Any]:
    redacted = getattr(obj, "__redacted__", ())
    return {k: REDACTED if k in redacted else _plain(getattr(obj, k)) for k in _columns(obj)}


def _changes(obj: Base) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    redacted = getattr(obj, "__redacted__", ())
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in _columns(obj):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        before[key], after[key] = (REDACTED, REDACTED) if key in redacted else (_plain(old), _plain(new))
    return before, after


def _row_id(obj: Base) -> str:
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join(str(v) for v in key if v is not None)


def _actor(session: Session) -> tuple[int | None, str]:
    actor = session.info.get("actor")
    if isinstance(actor, User):
        return actor.id, actor.username
    return None, str(actor or "system")


def record(session: Session, action: str, table: str, row_id: str | None = None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    """An event that changes no audited row (a login, a logout, an export of own data)."""
    actor_id, actor = _actor(session)
    session.execute(insert(AuditEntry).values(at=utcnow(), actor_id=actor_id, actor=actor, action=action,
                                              table_name=table, row_id=row_id, before=before, after=after))


@event.listens_for(Session, "after_flush")
def _write_audit(session: Session, _context: Any) -> None:
    rows: list[dict[str, Any]] = []
    actor_id, actor = _actor(session)
    now = utcnow()

    def add(action: str, obj: Base, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        rows.append({"at": now, "actor_id": actor_id, "actor": actor, "action": action,
                     "table_name": obj.__tablename__, "row_id": _row_id(obj), "before": before, "after": after})

    for obj in session.new:
        if isinstance(obj, Base) and getattr(obj, "__audited__", True):
            add("insert", obj, None, _snapshot(obj))
    for obj in session.dirty:
        if isinstance(obj, Base) and getattr(obj, "__audited__", True) and session.is_modified(obj):
            before, after = _changes(obj)
            if after:
                add("update", obj, before, after)
    for obj in session.deleted:
        if isinstance(obj, Base) and getattr(obj, "__audited__", True):
            add("delete", obj, _snapshot(obj), None)
    if rows:
        session.connection().execute(insert(AuditEntry), rows)
