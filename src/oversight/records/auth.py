"""Passwords (argon2id), login sessions, CSRF tokens and the login rate limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from oversight import config
from oversight.errors import OversightError
from oversight.records.db import utcnow
from oversight.records.models import LoginAttempt, LoginSession, User


def make_hasher() -> PasswordHasher:
    """argon2id with the library's recommended parameters (RFC 9106's second choice: 64 MiB, 3 passes, 4 lanes)."""
    return PasswordHasher()


HASHER = make_hasher()
MIN_PASSWORD_LENGTH = 12
LOGIN_WINDOW = dt.timedelta(minutes=15)
_DUMMY_HASH = HASHER.hash("a password nobody has")


class AccountRejected(OversightError):
    """An account or password that the rules refuse (the reason says which rule)."""

    status = 422


def check_new_password(password: str, username: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountRejected(f"a password needs at least {MIN_PASSWORD_LENGTH} characters", field="password")
    if username and username.lower() in password.lower():
        raise AccountRejected("a password must not contain the user name", field="password")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Whether the password is the user's. Takes as long for an unknown user (no user-name probing)."""
    try:
        return HASHER.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


def secret_key(path: str | os.PathLike[str] | None = None) -> bytes:
    """The service's secret: $OVERSIGHT_SECRET_KEY, else the secret file (made on first use, mode 0600)."""
    env = os.environ.get(config.SECRET_KEY_ENV)
    if env:
        return env.encode()
    file = Path(path or str(config.default("records_secret_file"))).expanduser()
    if not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return file.read_text().strip().encode()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session(db: Session, user: User | None) -> str:
    """A new session (for the user, or anonymous); returns the cookie token, stored only hashed."""
    token = secrets.token_urlsafe(32)
    db.add(LoginSession(id=_digest(token), user_id=user.id if user else None))
    return token


def find_session(db: Session, token: str | None, lifetime: dt.timedelta) -> LoginSession | None:
    """The live session for a cookie token; an expired one is deleted."""
    if not token or len(token) > 100:
        return None
    found = db.get(LoginSession, _digest(token))
    if found is None:
        return None
    if utcnow() - found.seen_at > lifetime:
        db.delete(found)
        return None
    found.seen_at = utcnow()
    return found


def end_session(db: Session, token: str | None) -> None:
    if token:
        db.execute(delete(LoginSession).where(LoginSession.id == _digest(token)))


def csrf_token(key: bytes, session_token: str) -> str:
    """The CSRF token of a session: an HMAC of its cookie token (synchroniser token, nothing stored)."""
    return hmac.new(key, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def csrf_ok(key: bytes, session_token: str | None, given: str | None) -> bool:
    return bool(session_token and given) and hmac.compare_digest(csrf_token(key, str(session_token)), str(given))


def too_many_failures(db: Session, username: str, client: str, allowed: int) -> bool:
    """Whether this user name, or this client address, has used up its failed logins in the window."""
    since = utcnow() - LOGIN_WINDOW
    failures = db.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False),
        or_(LoginAttempt.username == username, LoginAttempt.client == client)))
    return (failures or 0) >= allowed


def note_attempt(db: Session, username: str, client: str, succeeded: bool) -> None:
    db.add(LoginAttempt(username=username[:64], client=client[:64], succeeded=succeeded))


def purge_expired(db: Session, lifetime: dt.timedelta) -> int:
    """Delete expired sessions and login attempts older than the window; returns sessions deleted."""
    now = utcnow()
    expired = db.scalars(select(LoginSession.id).where(LoginSession.seen_at < now - lifetime)).all()
    db.execute(delete(LoginSession).where(LoginSession.id.in_(expired)))
    db.execute(delete(LoginAttempt).where(LoginAttempt.at < now - LOGIN_WINDOW))
    return len(expired)
