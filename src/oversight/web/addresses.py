"""The addresses of the live site, as documented, and which of them a published copy answers:
read by the publisher (what to write) and by the /api/ page (what to tell readers)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Address:
    """An address of the live site, as documented, and what a published copy has for it."""

    pattern: str  # '{json,csv}': each; '{measure_id}', '{level}', '{page}': each value (see `expand`)
    means: str


COPIED: Final = (
    Address("/api/v1/measures.{json,csv}", "the measure catalogue with each measure's data status"),
    Address("/api/v1/measures/{measure_id}.json", "each measure's definition, status, periods and breakdowns"),
    Address("/api/v1/areas.{json,csv}", "areas with figures, their names and parents"),
    Address("/api/v1/boundaries/{level}.geojson", "the boundaries of each level loaded"),
    Address("/api/v1/health.{json,csv}", "the police.uk data-health ledger"),
    Address("/api/v1/health/reference.{json,csv}", "the reference datasets"),
    Address("/api/v1/trust-gap.{json,csv}", "the gaps between ethnic groups in the survey's neighbourhood indicators, "
                                            "judged against the Plan's band"),
    Address("/api/v1/openapi.json", "the OpenAPI description"),
    Address("/api/v1/neighbourhoods.{json,csv}", "the police neighbourhoods of the confidence comparator"),
    Address("/api/v1/neighbourhoods/drivers.{json,csv}",
            "how each survey question moves with overall confidence across neighbourhoods"),
    Address("/api/v1/neighbourhoods/{neighbourhood}.{json,csv}",
            "each neighbourhood against its similarity group and London"),
    Address("{page}index.{json,csv}", "the data and figures of each page ({page} is its address, such as /crime/), "
                                      "as the page shows them (the force, the latest period)"),
)
"""API addresses written at their own path, with the live service's answer at publishing time."""

NOT_COPIED: Final = (
    Address("/api/v1/measures/{measure_id}/values.json?area=E09000022&period=2024-03",
            "any address with a query string (level, area, period, period_type, breakdown, offset, limit), since "
            "a static file cannot be chosen by a query; each chart and table links to a file holding exactly its "
            "figures, named with a hash of its query (values-3f2a9c01d4.csv)"),
    Address("/api/v1/measures/{measure_id}/values.{json,csv}",
            "every figure of a measure, 10,000 to a page and several megabytes each (use the files linked from "
            "its page, or the live service)"),
    Address("/crime/?area=E09000022&period=2024-03",
            "pages for another area or period (each page is here in its default state)"),
    Address("/api/v1/", "the list of endpoints (the /api/ page describes them)"),
    Address("/docs", "the interactive documentation, which sends its requests to a live server"),
)
"""Addresses of the live service that a published copy cannot answer, and what to use instead."""


def expand(pattern: str, **values: Iterable[str]) -> list[str]:
    """Every address a pattern stands for: '{json,csv}' each of its options, '{name}' each of
    `values[name]`. expand('/a/{x}.{json,csv}', x=['1']) == ['/a/1.json', '/a/1.csv']"""
    found = re.search(r"\{([^{}]+)\}", pattern)
    if found is None:
        return [pattern]
    name = found.group(1)
    options = name.split(",") if "," in name else list(values[name])
    head, tail = pattern[:found.start()], pattern[found.end():]
    return [address for option in options for address in expand(head + option + tail, **values)]
