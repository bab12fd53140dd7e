"""Complaint reviews: how promptly the office decides reviews and complaints about the chief officer,
from its own case records (counts only), once their statistics file is loaded; until then an honest
list of what will appear and how to load it."""

from __future__ import annotations

from typing import Any

from oversight.web.params import Filters
from oversight.web.sections import BY_SLUG
from oversight.web.store import Store
from oversight.web.views._records import records_page

SECTION = BY_SLUG["complaints"]
PERIOD_TYPES = ("fy_quarter", "rolling_12")


def complaints_page(store: Store, filters: Filters) -> dict[str, Any]:
    return records_page(
        store, filters, SECTION, sorted(SECTION.measures(store.catalogue), key=lambda m: not m.headline),
        period_types=PERIOD_TYPES, figures_title="Timeliness of complaint reviews",
        figures_intro="Quarterly figures, and the 12 months to each quarter's end, from the office's complaint "
                      "case records. A case counts in the quarter its target date falls in, so a case still "
                      "waiting counts as not decided in time. Figures resting on fewer than 10 cases are not "
                      "published.",
        waiting_title="Awaiting the case records", waiting_panel_title="Complaint review measures",
        statistics_command="complaint-statistics")
