"""Turning page data into HTML: the Jinja environment, its filters, and relative links.

Every link is relative to the page it is on, so the same HTML works from the server and from a
folder written by `oversight publish`. When publishing, a link with query parameters becomes a
file name carrying a short hash of them, and the link is recorded so the publisher can fetch and
write that file.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import threading
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from markupsafe import Markup

from oversight.present import labels, targets, words
from oversight.present.marks import spc_badge
from oversight.web.assets import STATIC as STATIC  # where the static files live, for the app and tests
from oversight.web.assets import version

TEMPLATES = Path(str(resources.files("oversight.web") / "templates"))
LICENCE = "Open Government Licence v3.0"


def static_file(path: str, params: dict[str, str] | None = None) -> str:
    """Where a site URL lives in a published folder: '/crime/' -> 'crime/index.html',
    '/api/v1/x.csv?a=1' -> 'api/v1/x-<hash>.csv'."""
    name = path.lstrip("/")
    if name == "" or name.endswith("/"):
        name += "index.html"
    if params:
        stem, _, ext = name.rpartition(".")
        digest = hashlib.sha1(urlencode(sorted(params.items())).encode()).hexdigest()[:10]
        name = f"{stem}-{digest}.{ext}"
    return name


class Links:
    """Relative links from one page; in publishing mode also a record of every file linked."""

    def __init__(self, current: str, registry: dict[str, str] | None = None) -> None:
        self.current = current
        self.registry = registry  # published file -> live URL, when publishing

    def __call__(self, path: str, params: dict[str, Any] | None = None, fragment: str = "", **more: Any) -> str:
        query = {k: str(v) for k, v in {**(params or {}), **more}.items() if v not in (None, "")}
        live = path + ("?" + urlencode(query) if query else "")
        if self.registry is not None:
            target = static_file(path, query)
            with _REGISTRY_LOCK:
                self.registry.setdefault(target, live)
            here = posixpath.dirname(static_file(self.current))
            href = posixpath.relpath(target, here or ".")
        else:
            here = self.current if self.current.endswith("/") else posixpath.dirname(self.current) + "/"
            href = posixpath.relpath(path, here) if path != here else "."
            if path.endswith("/") and not href.endswith("/"):
                href += "/"
            if query:
                href += "?" + urlencode(query)
        return href + (f"#{fragment}" if fragment else "")


    def asset(self, name: str) -> str:
        """A link to the static file NAME at its current version (cached for a year; see assets.py).
        A published copy writes it as a file whose name carries that version."""
        return self(f"/static/{name}", {"v": version(name)})

    def page(self, path: str, params: dict[str, Any] | None = None, fragment: str = "") -> str:
        """A link to another page in a given state; a published site has each page in its
        default state only, so there the state is dropped."""
        return self(path, None if self.registry is not None else params, fragment)


_REGISTRY_LOCK = threading.Lock()


@pass_context
def _sample(context: Any, row: Any) -> str:
    """The sample or denominator of a figure, with the design effect the figures were built with."""
    settings = context.get("settings") or {}
    return words.sample_text(row, settings.get("survey_design_effect"))


def _chart_json(spec: Any) -> Markup:
    """A chart spec for a <script type="application/json"> block, safe against '</script>'."""
    text = json.dumps(spec, separators=(",", ":"), allow_nan=False, default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


class _Undefined(StrictUndefined):
    """A missing value fails loudly when printed or iterated, but tests as false in `if`."""

    # jinja2 declares StrictUndefined.__bool__ as its raising helper (-> NoReturn), so any override
    # that returns is "incompatible" to mypy, though Undefined itself defines __bool__ -> bool.
    def __bool__(self) -> bool:  # type: ignore[override]
        return False


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=_Undefined,
    )
    env.filters.update(
        value=words.value_text,
        interval=words.interval_text,
        sample=_sample,
        change=words.change_text,
        quality_words=words.quality_phrase,
        badge=spc_badge,
        breakdown=labels.breakdown_label,
        dimension=labels.dimension_label,
        capitalize_first=labels.sentence_case,
        chart_json=_chart_json,
        number=lambda v: "" if labels.is_missing(v) else words.format_value("count", v),
        month=lambda v: "" if not v else str(v)[:7],
        missing=labels.is_missing,
        band_words=words.band_words,
        money=targets.money_text,
        against_target=targets.against_target,
        target_status=targets.status_text,
        returns_words=targets.returns_text,
    )
    env.globals.update(
        LEVEL_NAMES=labels.LEVEL_NAMES,
        PERIOD_TYPE_NAMES=labels.PERIOD_TYPE_NAMES,
        LICENCE=LICENCE,
        asset_version=version,
    )
    return env


def compile_templates(env: Environment) -> None:
    """Compile every template now (about 0.1 s), so that no page's first render pays for it; the
    environment keeps them."""
    for name in env.list_templates(filter_func=lambda name: name.endswith(".html")):
        env.get_template(name)


NAVIGATION = (
    ("/", "Overview"), ("/crime/", "Crime"), ("/trust/", "Trust"), ("/stop-search/", "Stop and search"),
    ("/hate-crime-vawg/", "Hate crime and VAWG"), ("/custody/", "Custody visiting"),
    ("/complaints/", "Complaint reviews"),
    ("/measures/", "All measures"),
    ("/health/", "Data health"), ("/methods/", "Methods"), ("/api/", "Open data"),
)


def has_charts(data: Any) -> bool:
    """Whether page data holds a chart spec (only then does the page load plotly.js)."""
    if isinstance(data, dict):
        return bool(data.get("_chart") or data.get("_charts")) or any(has_charts(v) for v in data.values())
    if isinstance(data, list):
        return any(has_charts(v) for v in data)
    return False


def context(data: dict[str, Any], path: str, *, registry: dict[str, str] | None, built_at: str | None,
            twin_params: dict[str, str] | None = None, settings: dict[str, str] | None = None) -> dict[str, Any]:
    """What every template gets: the page data, its filter menus, links, the settings the figures
    were built with (None on an error page, which reads nothing), and the site chrome."""
    return {
        "data": data, "controls": data.get("_controls"), "url": Links(path, registry),
        "static": registry is not None, "current": path, "navigation": NAVIGATION, "built_at": built_at,
        "twin_params": twin_params or {}, "has_charts": has_charts(data), "settings": settings,
    }


def strip_drawing(data: Any) -> Any:
    """Page data without drawing-only keys (those starting with '_'), for the JSON twin."""
    if isinstance(data, dict):
        return {k: strip_drawing(v) for k, v in data.items() if not str(k).startswith("_")}
    if isinstance(data, list):
        return [strip_drawing(v) for v in data]
    return data
