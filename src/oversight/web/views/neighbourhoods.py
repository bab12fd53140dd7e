"""The Neighbourhood Confidence Comparator: a list of police neighbourhoods by borough, with the
similarity groups and what moves with overall confidence; and one page per neighbourhood, every
measure against its similarity group and London, the biggest gaps to its peers first.

The same records feed the pages, their JSON and CSV twins and /api/v1/neighbourhoods, so they
cannot disagree. Every figure is put into words by `present.comparator`.
"""

from __future__ import annotations

from typing import Any, Final

import pandas as pd

from oversight.measures import comparator
from oversight.present import comparator as words
from oversight.present.words import design_effect_text
from oversight.web import charts, maps
from oversight.web.built import used_settings
from oversight.web.params import Filters, NotFound
from oversight.web.records import frame_records
from oversight.web.store import Store
from oversight.web.views._common import page

LIST_PATH: Final = "/trust/neighbourhoods/"
TITLE: Final = "Neighbourhood confidence comparator"
SOURCE: Final = ("MOPAC Public Attitude Survey, police perceptions by neighbourhood ({period}); "
                 "published via the London Datastore, Open Government Licence")
INTRO: Final = (
    "How each police neighbourhood compares with the neighbourhoods its source groups as similar, on the "
    "Public Attitude Survey questions that go with confidence in the police: its figure, its group's mean and "
    "range, the London average and its rank among its peers. Every question is worded so that a higher share "
    "is the better. Neighbourhood boundaries are not published with the data: maps show the borough."
)
CARD: Final = ("Your police neighbourhood against similar neighbourhoods and London on each question of the Public "
               "Attitude Survey that goes with confidence, and which questions move with confidence across London.")
NOT_LOADED: Final = ("The comparator's data, the Public Attitude Survey's police perceptions by neighbourhood, is not "
                     "loaded: run 'oversight ingest reference' with the MOPAC file in mps/.")


def neighbourhood_path(code: str) -> str:
    return f"{LIST_PATH}{code}/"


def _design_effect(store: Store) -> float:
    return float(used_settings(store)["survey_design_effect"])


def neighbourhood_records(store: Store) -> list[dict[str, Any]]:
    """One record per neighbourhood: code, names, borough, group, assumed sample size, page."""
    found = comparator.neighbourhoods(store.neighbourhood_frame())
    same = found["neighbourhood"] == found["borough_name"]  # 'Barnet' in Barnet
    found["label"] = (found["neighbourhood"] + " (" + found["borough_name"]
                      + same.map({True: " borough", False: ""}) + ")")
    found["page"] = found["neighbourhood_code"].map(neighbourhood_path)
    return frame_records(found)


def comparison_records(store: Store, code: str) -> list[dict[str, Any]]:
    """Every survey measure of one neighbourhood against its group and London, figures and words,
    the biggest gap to its peers first. NotFound for a code the table does not have."""
    def build() -> list[dict[str, Any]]:
        frame = store.neighbourhood_frame()
        if frame.empty:
            raise NotFound(NOT_LOADED, field="neighbourhood")
        rows = comparator.comparison(frame, code, _design_effect(store))
        if rows.empty:
            raise NotFound(f"there is no neighbourhood {code!r}; see {LIST_PATH} or /api/v1/neighbourhoods.json",
                           field="neighbourhood")
        records = frame_records(rows)
        for r in records:
            r.update(
                value_text=words.share_text(r["value"]),
                interval_text=words.interval_text(r["interval_low"], r["interval_high"]),
                group_mean_text=words.mean_text(r["group_mean"]),
                group_range_text=words.range_text(r["group_min"], r["group_max"]),
                rank_in_group_text=words.rank_text(r["rank_in_group"], r["group_size"], r["tied_in_group"]),
                rank_in_london_text=words.rank_text(r["rank_in_london"], r["london_size"], r["tied_in_london"]),
                london_mean_text=words.mean_text(r["london_mean"]),
                gap_text=words.gap_text(r["gap"]),
                gap_interval_text=words.gap_interval_text(r["gap_low"], r["gap_high"]),
                versus_peers_text=words.versus_text(r["versus_peers"]),
                sentence=words.measure_line(r),
            )
        return records
    return [dict(r) for r in store.cached(("neighbourhood_comparison", code), build)]


def driver_records(store: Store) -> list[dict[str, Any]]:
    """How each measure moves with overall confidence across neighbourhoods, figures and words."""
    def build() -> list[dict[str, Any]]:
        records = frame_records(comparator.drivers(store.neighbourhood_frame()))
        for r in records:
            r.update(spearman_text=words.correlation_text(r["spearman"], r["spearman_low"], r["spearman_high"]),
                     pearson_text=words.correlation_text(r["pearson"], r["pearson_low"], r["pearson_high"]),
                     strength=None if r["spearman"] is None else words.strength_word(r["spearman"]),
                     sentence=words.driver_sentence(r))
        return records
    return [dict(r) for r in store.cached(("neighbourhood_drivers",), build)]


def _period(frame: pd.DataFrame) -> str:
    return str(frame["period"].iloc[0]) if not frame.empty else ""


def _groups(places: list[dict[str, Any]]) -> list[dict[str, Any]]:
    numbers = sorted({p["similarity_group"] for p in places})
    return [{"group": g, "anchor": f"group-{g}",
             "members": [p for p in places if p["similarity_group"] == g]} for g in numbers]


def _unmeasured(frame: pd.DataFrame) -> list[str]:
    """Columns of the source with no figure for any neighbourhood, in words."""
    found = comparator.measures(frame)
    return [f"{row.question} ({'not a survey question' if row.unit != comparator.SURVEY else 'survey question'}): "
            f"'N/A' for every one of the {row.missing} neighbourhoods, so it is not shown"
            for row in found.itertuples() if row.figures == 0]


def comparator_loaded(store: Store) -> bool:
    """Whether the comparator has data (a force other than London's has none)."""
    return not store.neighbourhood_frame().empty


def borough_links(store: Store, borough_code: str) -> list[dict[str, Any]]:
    """The neighbourhoods of one borough (empty when it has none in the table)."""
    return [p for p in neighbourhood_records(store) if p["borough_code"] == borough_code]


def neighbourhoods_page(store: Store, filters: Filters | None = None) -> dict[str, Any]:
    """The list; arriving from a borough (?area=<borough code>), that borough's neighbourhoods first."""
    frame = store.neighbourhood_frame()
    period = _period(frame)
    places = neighbourhood_records(store)
    boroughs: list[dict[str, Any]] = []
    for p in places:
        if not boroughs or boroughs[-1]["code"] != p["borough_code"]:
            boroughs.append({"code": p["borough_code"], "name": p["borough_name"],
                             "anchor": f"borough-{p['borough_code']}", "neighbourhoods": []})
        boroughs[-1]["neighbourhoods"].append(p)
    groups = _groups(places)
    drivers = driver_records(store)
    chosen = next((b for b in boroughs if filters is not None and b["code"] == filters.area), None)
    return page(
        "neighbourhoods", TITLE, LIST_PATH, intro=INTRO,
        state="ok" if places else "not_loaded", message=None if places else NOT_LOADED,
        period_label=period, source=SOURCE.format(period=period),
        boroughs=boroughs, groups=groups, chosen_borough=chosen,
        group_basis=words.group_basis_text([g["group"] for g in groups], len(places)),
        drivers=drivers, drivers_caveat=words.CAUSE_CAVEAT,
        drivers_intro=(f"For each question, how it goes with overall confidence (the share saying the police do a good "
                       f"or excellent job) across the {len(places)} neighbourhoods: Spearman's rank correlation, with "
                       "Pearson's beside it, each with its 95% interval. 1 would mean the two always rise together, "
                       "0 no relation, -1 that one falls as the other rises."),
        unmeasured=_unmeasured(frame),
        _chart=charts.correlation_figure(drivers) if drivers else None,
        _csv=[{"panel": "drivers", "panel_title": "What moves with overall confidence", "measure": r["measure"],
               "period": period, **r} for r in drivers] or None,  # none: the usual empty table
    )


def neighbourhood_page(store: Store, code: str) -> dict[str, Any]:
    places = {p["neighbourhood_code"]: p for p in neighbourhood_records(store)}
    rows = comparison_records(store, code)
    place = places[code]
    frame = store.neighbourhood_frame()
    group = int(place["similarity_group"])
    members = [p for p in places.values() if p["similarity_group"] == group]
    peers = [p for p in members if p["neighbourhood_code"] != code]
    same_borough = [p for p in places.values() if p["borough_code"] == place["borough_code"]
                    and p["neighbourhood_code"] != code]
    overall = next((r for r in rows if r["measure"] == comparator.OVERALL), None)
    name = place["label"]
    figures = comparator.group_figures(frame, group)
    titles = [r["title"] for r in rows]
    cells: dict[str, dict[str, str]] = {}
    for c, t, v in figures[["neighbourhood_code", "title", "value"]].itertuples(index=False):
        cells.setdefault(t, {})[c] = words.share_text(v)
    table = [{"title": t, "cells": cells.get(t, {})} for t in titles]
    summary = words.summary_sentences(name, group, len(peers), rows, overall)
    sharing = sum(1 for p in places.values() if p["borough_code"] == place["borough_code"])
    features = store.boundaries("borough")
    map_title = f"Map of the London boroughs with {place['borough_name']} outlined and shaded"
    return page(
        "neighbourhood", f"{place['label']} compared with similar neighbourhoods",
        neighbourhood_path(code), intro=" ".join(summary),
        neighbourhood=place, period_label=place["period"], source=SOURCE.format(period=place["period"]),
        summary=summary, rows=rows, members=members, peers=peers, same_borough=same_borough,
        group_basis=words.group_basis_text(sorted({p["similarity_group"] for p in places.values()}), len(places)),
        sample=words.sample_assumption_text(int(place["sample_size"]), sharing, comparator.INTERVIEWS_PER_BOROUGH,
                                            used_settings(store)["survey_design_effect"]),
        design_effect=design_effect_text(used_settings(store)["survey_design_effect"]).removeprefix("; "),
        peer_table=table,
        chart_summary=(f"A dot for each of the {len(members)} neighbourhoods of group {group} on each of the "
                       f"{len(rows)} questions, {place['neighbourhood']} drawn larger with its 95% interval, the "
                       "group mean and the London average marked. " + (summary[1] if len(summary) > 1 else "")),
        _chart=charts.peer_dots_figure(rows, figures, code, place["neighbourhood"]),
        _map=maps.locator(features, place["borough_code"], title=map_title, map_id=f"map-{code}"),
        _csv=[{"panel": "comparison", "panel_title": f"{name} against group {group} and London",
               "measure": r["measure"], "period": place["period"], "neighbourhood_code": code, **r} for r in rows],
    )
