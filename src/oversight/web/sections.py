"""The dashboards: their titles and introductions, and the measures each shows.

A measure names its dashboard in its definition (`dashboard = "stop-search"`), so a measure added
to the catalogue appears on its dashboard without a change here. Featured series name a measure
and breakdown to chart if the catalogue has them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from oversight.measures.catalogue import PRIORITIES, Measure

VIOLENCE, TRUST, VICTIMS, HARM, HISTORY = PRIORITIES
PLAN_PRIORITIES: Final = (VIOLENCE, TRUST, VICTIMS, HARM)
"""The four priorities of the current Plan; the 2013-16 targets are history."""


@dataclass(frozen=True)
class Featured:
    """A series worth its own chart on a dashboard, shown when the catalogue has it."""

    measure: str
    breakdown: str = "all"
    period_type: str = "rolling_12"
    title: str | None = None
    level: str | None = None  # always shown for the force: counts below it are too small to publish


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    intro: str
    featured: tuple[Featured, ...] = field(default=())

    def measures(self, catalogue: dict[str, Measure]) -> list[Measure]:
        return [m for m in catalogue.values() if m.dashboard == self.slug]


SECTIONS: Final = (
    Section(
        "crime", "Crime",
        "Recorded crime for the force, its Basic Command Units, boroughs and wards: monthly series "
        "judged with process limits, 12-month figures compared with the 12 months before, a map by "
        "borough, and the MOPAC 7 history against its 2013-16 target.",
    ),
    Section(
        "trust", "Trust and confidence",
        "The Public Attitude Survey: the share of Londoners who agree with each statement, for 12 "
        "months at a time, by borough, with the survey's interval and sample size, and the gaps "
        "between groups judged against the Plan's band (±5 points in the current Plan).",
    ),
    Section(
        "stop-search", "Stop and search and use of force",
        "How many searches, of whom, on what grounds and with what result: rates per 1,000 "
        "residents and rate ratios by ethnic group with their intervals, outcomes compared with "
        "White people, strip searches, and how often the officer's and the person's description of "
        "their ethnicity agree.",
    ),
    Section(
        "hate-crime-vawg", "Hate crime and violence against women and girls",
        "The figures open data can give now, and the partner measures the Plan needs that appear "
        "here once the partner files are loaded.",
        featured=(
            # 12-month totals: a borough's monthly counts of rape are often too small to publish
            Featured("sexual_offences", "offence=Rape", "rolling_12", "Rapes recorded by the police"),
            Featured("sexual_offences", "offence=Other sexual offences", "rolling_12",
                     "Other sexual offences recorded by the police"),
            Featured("homicides", "domestic_abuse=Domestic abuse", "rolling_12",
                     "Homicides in a domestic-abuse setting", level="force"),
        ),
    ),
    Section(
        "custody", "Custody visiting",
        "What independent custody visitors found: visits made against those scheduled, detainees held, "
        "the share interviewed (of those available and of all held, as MOPAC's reports have used both), "
        "issues raised and how promptly the police answered them. From the office's own records service, "
        "as counts only: no detainee is named.",
    ),
    Section(
        "complaints", "Complaint reviews",
        "How promptly the office decides reviews of the force's handling of complaints and complaints about "
        "the chief officer: the share decided within the target time, counted by the date each case fell due "
        "so that cases still waiting count against it, the cases open past the target, and the days taken. "
        "From the office's own case records, as counts only: no complainant is named.",
    ),
)

BY_SLUG: Final = {s.slug: s for s in SECTIONS}
