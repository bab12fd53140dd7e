"""Pages about the figures rather than of them: the measure catalogue, the methods (rendered
from docs/methods.md and docs/measures.md), and the open data API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from markupsafe import Markup

import oversight
from oversight.measures.catalogue import PRIORITIES
from oversight.present.labels import UNIT_NAMES
from oversight.web.records import frame_records, json_safe
from oversight.web.store import Store
from oversight.web.views._common import page, section

DOCS = Path(oversight.__file__).resolve().parents[2] / "docs"
METHOD_PAGES = (("methods.md", "How each statistic is computed"), ("measures.md", "How each measure is built"))


def catalogue_page(store: Store) -> dict[str, Any]:
    status = store.status()
    by_priority = []
    for priority in PRIORITIES:
        rows = frame_records(status[status["priority"] == priority][
            ["measure", "title", "unit", "computation", "status", "detail", "latest_period_end", "areas"]])
        for r in rows:
            r["unit_name"] = UNIT_NAMES.get(r["unit"], r["unit"])
            r["headline"] = store.catalogue[r["measure"]].headline
        by_priority.append({"priority": priority, "measures": rows})
    return page("catalogue", "All measures", "/measures/",
                intro=("Every measure in the catalogue, by priority of the Police and Crime Plan, with whether it "
                       "has figures yet. Each measure has its own page with chart, table, definition, data "
                       "health and downloads."),
                sections=[section("Measures", [])], priorities=by_priority)


def _render_markdown(text: str, anchor_prefix: str) -> tuple[Markup, list[dict[str, str]]]:
    """Markdown as HTML with every heading one level lower (the page has its own h1) and an id,
    and the list of level-2 headings for a contents list."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(text)
    contents = []
    for i, token in enumerate(tokens):
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + 1, 6)
            token.tag = f"h{level}"
            if token.type == "heading_open":
                title = tokens[i + 1].content
                anchor = anchor_prefix + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
                token.attrSet("id", anchor)
                if level == 3:
                    contents.append({"anchor": anchor, "title": title})
    html = md.renderer.render(tokens, md.options, {})
    # Wide tables scroll inside their own focusable region instead of widening the page.
    count = iter(range(1, 1000))
    html = re.sub(r"<table>", lambda _: f'<div class="table-wrap" role="region" tabindex="0" '
                                        f'aria-label="{anchor_prefix.strip("-")} table {next(count)}"><table>', html)
    return Markup(html.replace("</table>", "</table></div>")), contents


def methods_page() -> dict[str, Any]:
    documents = []
    for name, heading in METHOD_PAGES:
        path = DOCS / name
        if not path.exists():
            continue
        html, contents = _render_markdown(path.read_text(encoding="utf-8"), name.split(".")[0] + "-")
        documents.append({"name": name, "heading": heading, "contents": contents, "_html": html})
    return page("methods", "Methods", "/methods/",
                intro=("How every figure is made: the statistics (process limits, intervals, comparisons, "
                       "suppression of small numbers) and how each measure is built from its source."),
                sections=[section("Methods", [])], documents=documents,
                missing=not documents)


def api_page(openapi: dict[str, Any]) -> dict[str, Any]:
    """The open data API in words, from FastAPI's OpenAPI description."""
    endpoints = []
    for path, methods in openapi.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for _method, op in methods.items():
            params = [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                       "description": p.get("description", "")} for p in op.get("parameters", [])]
            endpoints.append({"path": path, "summary": op.get("summary", ""),
                              "description": json_safe(op.get("description", "")), "parameters": params})
    return page("api", "Open data API", "/api/",
                intro=("Every figure on this site as JSON or CSV, free to reuse under the Open Government Licence "
                       "v3.0. Successful JSON responses are {\"ok\": true, \"data\": ..., \"meta\": {...}}; errors "
                       "are {\"ok\": false, \"error\": {\"path\", \"row\", \"field\", \"reason\"}} with a 404 or 422 "
                       "status. Add .csv instead of .json for a CSV file. Suppressed figures are blank, with the "
                       "reason."),
                sections=[section("Endpoints", [])], endpoints=endpoints)
