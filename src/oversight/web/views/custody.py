"""Custody visiting: the figures of the independent custody visiting scheme, from the office's own
records service (counts only), once its statistics file is loaded; until then an honest list of
what will appear and how to load it."""

from __future__ import annotations

from typing import Any

from oversight.web.params import Filters
from oversight.web.sections import BY_SLUG
from oversight.web.store import Store
from oversight.web.views._records import records_page

SECTION = BY_SLUG["custody"]
PERIOD_TYPES = ("financial_year", "fy_quarter", "calendar_year")


def custody_page(store: Store, filters: Filters) -> dict[str, Any]:
    return records_page(
        store, filters, SECTION, SECTION.measures(store.catalogue), period_types=PERIOD_TYPES,
        figures_title="The scheme's figures",
        figures_intro="Quarterly and yearly figures from the visit reports filed by custody visitors. Counts "
                      "under 10 are not published, as for every figure here.",
        waiting_title="Awaiting the scheme's records", waiting_panel_title="Custody visiting measures",
        statistics_command="custody-statistics")
