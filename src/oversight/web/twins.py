"""The JSON and CSV twins of pages and API answers, in the envelope used across Oversight.

Success: {"ok": true, "data": ..., "meta": {...}}. Error: {"ok": false, "error": {"path", "row",
"field", "reason"}} (`OversightError.as_dict`), so the CLI, the web and the API say the same.
A page's CSV holds every figure shown on it, one row per figure, with the panel it is in.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd

from oversight.errors import OversightError
from oversight.measures.query import OUTPUT_COLUMNS
from oversight.present.words import CHANGE_COLUMNS
from oversight.web.render import LICENCE, strip_drawing

CSV_COLUMNS = ["panel", "panel_title", *OUTPUT_COLUMNS, *CHANGE_COLUMNS, "period_key", "area_name"]


def envelope(data: Any, **meta: Any) -> dict[str, Any]:
    return {"ok": True, "data": data, "meta": {"licence": LICENCE, **{k: v for k, v in meta.items() if v is not None}}}


def error_envelope(error: OversightError) -> dict[str, Any]:
    return {"ok": False, "error": error.as_dict()}


def dumps(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, default=str, separators=(",", ":"))


def page_json(data: dict[str, Any], **meta: Any) -> str:
    return dumps(envelope(strip_drawing(data), **meta))


def _figures(panel: dict[str, Any]) -> list[dict[str, Any]]:
    kind = panel.get("kind")
    if kind in ("series", "groups", "areas", "figures", "gaps"):
        return list(panel.get("rows", []))
    if kind == "headline":
        return [panel["row"]] if panel.get("row") else []
    if kind in ("compare", "crosstab"):
        return [cell for row in panel.get("rows", []) for cell in row["cells"].values() if cell]
    return []


def page_frame(data: dict[str, Any]) -> pd.DataFrame:
    """Every figure a page shows, one row each: its panels' figures, or the page's own table
    (`_csv`, rows that start with panel, panel_title, measure and period) for a page not made of panels."""
    if data.get("_csv") is not None:
        return pd.DataFrame(data["_csv"])
    rows = []
    for group in data.get("sections", []):
        for panel in group.get("panels", []):
            for figure in _figures(panel):
                rows.append({"panel": panel.get("id"), "panel_title": panel.get("title"),
                             **{c: figure.get(c) for c in CSV_COLUMNS[2:]}})
    return pd.DataFrame(rows, columns=CSV_COLUMNS)


def frame_csv(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue()
