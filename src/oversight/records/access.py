"""Who may use which route: one rule per route, declared where the route is and checked centrally
(`web.gate`) before any handler runs. A route without a rule is refused (fail closed), and a test
walks every route × every role.

Rules say which roles may call a route. Which *rows* a caller may see (a visitor sees only their
own panel's visits) is the second check, `custody.scope`, made by the handlers that read rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from fastapi import APIRouter

from oversight.records.models import Role, User

ANONYMOUS = "anonymous"
"""The caller with no login: the public. It sees the published aggregates on the dashboards, and
here only the login page."""

EVERYONE = frozenset({ANONYMOUS, *Role})
SIGNED_IN = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
STAFF = frozenset({Role.ADMIN, Role.COORDINATOR})
"""Those who run a scheme: set up panels, suites and rotas; read every report."""
READERS = frozenset({Role.ADMIN, Role.COORDINATOR, Role.ANALYST})
"""Those who read every report and the statistics, without changing anything (the analyst)."""
VISITING = frozenset({Role.ADMIN, Role.COORDINATOR, Role.VISITOR})

RULES: dict[tuple[str, str], frozenset[str]] = {}
"""(method, path template) -> roles allowed. Filled by `route`."""

F = TypeVar("F", bound=Callable[..., Any])


def route(router: APIRouter, method: str, path: str, allow: Iterable[str], **kwargs: Any) -> Callable[[F], F]:
    """Register a route and its rule together: `@route(router, "GET", "/panels/", STAFF)`."""
    allowed = frozenset(allow)
    if not allowed <= EVERYONE:
        raise ValueError(f"unknown roles in the rule of {method} {path}: {sorted(allowed - EVERYONE)}")

    def register(handler: F) -> F:
        full = (router.prefix or "") + path
        if (method, full) in RULES:
            raise ValueError(f"two rules for {method} {full}")
        RULES[(method, full)] = allowed
        methods = ["GET", "HEAD"] if method == "GET" else [method]
        router.add_api_route(path, handler, methods=methods, include_in_schema=False, **kwargs)
        return handler

    return register


def role_of(user: User | None) -> str:
    return user.role if user is not None and user.active else ANONYMOUS


def allowed(method: str, path_template: str, role: str) -> bool | None:
    """Whether a caller of this role may use the route; None when the route has no rule (then it is refused)."""
    rule = RULES.get(("GET" if method == "HEAD" else method, path_template))
    if rule is None:
        return None
    return role in rule
