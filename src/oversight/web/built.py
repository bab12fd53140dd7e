"""What the served figures were built with, read once per warehouse snapshot."""

from __future__ import annotations

from oversight.measures import build_settings
from oversight.web.store import Store


def used_settings(store: Store) -> dict[str, str]:
    """The settings the served figures were built with: what pages and the API tell readers
    (the suppression threshold, the design effect assumed), whatever this server's own are."""
    def load() -> dict[str, str]:
        with store.connection() as con:
            return build_settings.used(con)
    return store.cached(("build_settings",), load)  # type: ignore[no-any-return]
