"""The trust gap page: the Plan's one numerical aim, gaps in confidence between ethnic groups
within ±5 points, from the Public Attitude Survey's neighbourhood indicators by ethnicity, for
the force, each borough and each neighbourhood, every gap judged with two one-sided tests."""

from __future__ import annotations

from typing import Any

import pandas as pd

from oversight.measures.trust_gap import (
    GROUPS,
    INTERVIEWS_PER_BOROUGH_YEAR,
    MEASURE,
    PUBLISHED_REFERENCE,
    PUBLISHED_REFERENCE_SHARE,
    QUESTIONS,
    REFERENCE_GROUP,
)
from oversight.present import words
from oversight.present.labels import is_missing
from oversight.web.params import Filters
from oversight.web.store import Store
from oversight.web.views._common import page, section

PATH = "/trust/gap/"
TITLE = "The trust gap between ethnic groups"


def _cell(row: dict[str, Any]) -> dict[str, Any]:
    """One gap as the tables show it and as the CSV twin lists it (the measures table's columns)."""
    group = str(row["breakdown"]).partition("=")[2]
    missing = is_missing(row.get("value"))
    verdict = None if missing else row.get("vs_band")
    return {
        "measure": MEASURE, "question": row["question"], "period": row["period_label"], "period_type": "pooled_years",
        "period_start": str(row["period_start"])[:10], "period_end": str(row["period_end"])[:10],
        "area_level": row["area_level"], "area_code": row["area_code"], "area_name": row["area_name"],
        "breakdown": f"{row['breakdown']};question={row['question']}", "reference": row["reference"], "group": group,
        "value": None if missing else float(row["value"]),
        "interval_low": None if missing else float(row["interval_low"]),
        "interval_high": None if missing else float(row["interval_high"]),
        "p_below": None if missing else float(row["p_below"]),
        "p_above": None if missing else float(row["p_above"]),
        "vs_band": verdict, "verdict": words.BAND_VERDICT_WORDS.get(verdict or "", ""),
        "verdict_holds_to": None if is_missing(row.get("verdict_holds_to")) else float(row["verdict_holds_to"]),
        "proportion": None if missing else float(row["proportion"]),
        "proportion_reference": None if missing else float(row["proportion_reference"]),
        "sample_size": None if missing else float(row["sample_size"]),
        "sample_size_reference": None if missing else float(row["sample_size_reference"]),
        "sample_size_assumed": True, "design_effect": float(row["design_effect"]),
        "neighbourhoods": int(row["neighbourhoods"]), "neighbourhoods_listed": int(row["neighbourhoods_listed"]),
        "suppressed": False, "suppression_reason": None if not missing else row.get("note"),
        "source": row["source"],
        "gap_text": "no figure" if missing else words.format_value("percentage_points", float(row["value"])),
        "interval_text": "" if missing else words.format_interval(
            "percentage_points", float(row["interval_low"]), float(row["interval_high"])),
        "sentence": words.gap_sentence(row, group, REFERENCE_GROUP),
        "respondents": words.assumed_sample_text(row),
        "respondents_short": words.assumed_sample_pair(row),
    }


def _by_area(cells: list[dict[str, Any]], level: str, group: str) -> list[dict[str, Any]]:
    """One row per area: its name and a cell per question."""
    rows: dict[str, dict[str, Any]] = {}
    for c in cells:
        if c["area_level"] == level and c["group"] == group:
            row = rows.setdefault(c["area_code"], {"area_code": c["area_code"], "area_name": c["area_name"],
                                                   "cells": {}})
            row["cells"][c["question"]] = c
    return list(rows.values())


def _tally(cells: list[dict[str, Any]], level: str) -> str:
    """'Of 124 borough gaps with a figure: 7 within the band, 42 outside it, 75 cannot tell.'"""
    mine = [c for c in cells if c["area_level"] == level and c["vs_band"]]
    count = {v: sum(c["vs_band"] == v for c in mine) for v in ("inside band", "outside band", "cannot tell")}
    return (f"Of {len(mine)} {level} gaps with a figure: {count['inside band']} within the band, "
            f"{count['outside band']} outside it, {count['cannot tell']} cannot tell.")


def trust_gap_page(store: Store, filters: Filters) -> dict[str, Any]:
    frame = store.trust_gap()
    measure = store.catalogue.get(MEASURE)
    band = float(measure.band) if measure and measure.band else 5.0
    status = store.status_of(MEASURE) if measure else {"status": "missing"}
    partner = {"status": status.get("status"), "has_data": status.get("status") == "ok",
               "detail": status.get("detail") if isinstance(status.get("detail"), str) else None}
    reference = {
        "sentence": words.published_gap_text(PUBLISHED_REFERENCE.groups, PUBLISHED_REFERENCE.reference_group,
                                             PUBLISHED_REFERENCE_SHARE),
        "source": PUBLISHED_REFERENCE.source, "note": PUBLISHED_REFERENCE.note,
    }
    questions = [{"id": q, "text": words.GAP_QUESTIONS[q]} for q in QUESTIONS]
    common: dict[str, Any] = {"band": band, "questions": questions, "groups": list(GROUPS),
                              "reference_group": REFERENCE_GROUP, "partner": partner, "published_reference": reference}
    if frame.empty:
        return page("trust_gap", TITLE, PATH, filters=filters, state="empty",
                    message="No gaps yet: load the MOPAC PAS neighbourhood indicators by ethnicity and the census "
                            "ethnicity tables, then run 'oversight build'.", **common)
    cells = [_cell(r) for r in frame.to_dict("records")]
    first = cells[0]
    period, years = first["period"], int(first["period_end"][:4]) - int(first["period_start"][:4])
    deff = first["design_effect"]
    assumption = (
        f"MOPAC publishes no sample sizes with these figures. Each interval rests on the survey's design: "
        f"{INTERVIEWS_PER_BOROUGH_YEAR} interviews per borough a year over {years} years, shared equally among "
        f"the neighbourhoods the file lists for the borough, and between groups in proportion to the borough's "
        f"residents of each group at the {int(frame['census_year'].iloc[0])} census; design effect {deff:g} "
        "assumed. A borough's figure is the plain mean of its published neighbourhoods (their assumed respondents "
        "are equal); the force's weights each borough by its residents of the group. These are reconstructions "
        "from the neighbourhood figures, not figures MOPAC published. The verdict beside each gap says how large "
        "a design effect it survives.")
    force_cells = [c for c in cells if c["area_level"] == "force"]
    sections = [
        section(f"{first['area_name'] if not force_cells else force_cells[0]['area_name']}, {period}", [{
            "kind": "gaps", "id": "gap-force", "title": f"Gaps from {REFERENCE_GROUP} respondents, force-wide",
            "rows": force_cells, "state": "ok" if force_cells else "empty",
        }], intro=assumption, anchor="force"),
    ]
    for level, heading, anchor in (("borough", "By borough", "boroughs"),
                                   ("neighbourhood", "By neighbourhood", "neighbourhoods")):
        panels = [{
            "kind": "gaps", "id": f"gap-{level}-{group.lower()}",
            "title": f"{group} and {REFERENCE_GROUP} respondents, gap by {level}",
            "group": group, "level": level, "areas": _by_area(cells, level, group),
            "rows": [c for c in cells if c["area_level"] == level and c["group"] == group], "state": "ok",
        } for group in GROUPS]
        sections.append(section(heading, panels, intro=_tally(cells, level), anchor=anchor))
    return page("trust_gap", TITLE, PATH, filters=filters, state="ok", period_label=period,
                intro=f"The Police and Crime Plan's one numerical aim is to bring the gaps in trust between groups "
                      f"of Londoners within ±{band:g} percentage points. The survey's neighbourhood indicators give "
                      f"the share of Black, Asian and {REFERENCE_GROUP} respondents answering four questions about "
                      f"their local police, pooled over {period}; none of the four is the survey's question on "
                      "trust in the MPS, which open data does not give by ethnic group. Each gap is judged against "
                      "the band with two one-sided tests: 'within the band' when both reject a gap beyond it, "
                      "'outside the band' when its 95% interval lies wholly beyond an edge, 'cannot tell' otherwise.",
                sections=sections, **common)


def gap_frame(store: Store) -> pd.DataFrame:
    """Every gap with every column, for the API."""
    return store.trust_gap()
