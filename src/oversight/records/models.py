"""Accounts, sessions, login attempts and the audit log: what every kind of record shares."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from oversight.records.db import Base, utcnow


class Role(StrEnum):
    ADMIN = "administrator"
    COORDINATOR = "coordinator"
    VISITOR = "visitor"
    ANALYST = "analyst"
    REVIEWER = "reviewer"
    COMMISSIONER = "commissioner"
    PROVIDER = "provider"


ROLE_NAMES = {
    Role.ADMIN: "Administrator",
    Role.COORDINATOR: "Scheme coordinator",
    Role.VISITOR: "Panel member (visitor)",
    Role.ANALYST: "Analyst",
    Role.REVIEWER: "Complaint review case officer",
    Role.COMMISSIONER: "Commissioner",
    Role.PROVIDER: "Provider (funded organisation)",
}


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __redacted__ = ("password_hash",)

    def own_data(self) -> dict[str, Any]:
        """What the service holds about this person as an account (the export of their own data)."""
        return {"username": self.username, "display_name": self.display_name, "email": self.email,
                "role": self.role, "active": self.active, "created_at": self.created_at.isoformat(),
                "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None}


class LoginSession(Base):
    """A browser's session: anonymous until login (it carries the login form's CSRF token), then a
    user's. The cookie holds a random token; only its SHA-256 is stored. Login makes a new one."""

    __tablename__ = "login_session"
    __audited__ = False

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie token
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LoginAttempt(Base):
    __tablename__ = "login_attempt"
    __audited__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)


class AuditEntry(Base):
    """One change: who, when, what (table, row, action), and the row before and after. The
    database refuses to update or delete these rows (triggers in the first migration)."""

    __tablename__ = "audit_log"
    __audited__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no foreign key: outlives accounts
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
