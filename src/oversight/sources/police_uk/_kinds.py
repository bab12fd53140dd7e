"""The three police.uk record-level files, recognised by their header."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """One police.uk file type: its dataset name, target table and columns."""

    dataset: str  # also the file-name suffix police.uk uses
    table: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def known(self) -> tuple[str, ...]:
        return self.required + self.optional


STREET = Kind(
    dataset="street",
    table="street_crime",
    required=(
        "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
        "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category",
    ),
    optional=("Context",),
)

OUTCOMES = Kind(
    dataset="outcomes",
    table="crime_outcome",
    required=(
        "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
        "Location", "LSOA code", "LSOA name", "Outcome type",
    ),
)

STOP_SEARCH = Kind(
    dataset="stop-and-search",
    table="stop_search",
    required=(
        "Type", "Date", "Latitude", "Longitude", "Gender", "Age range",
        "Officer-defined ethnicity", "Legislation", "Object of search", "Outcome",
    ),
    # Older files lack the last two published columns; API copies add the last three.
    optional=(
        "Part of a policing operation", "Policing operation", "Self-defined ethnicity",
        "Outcome linked to object of search", "Removal of more than just outer clothing",
        "Street name", "Outcome id", "Involved person",
    ),
)

KINDS: tuple[Kind, ...] = (STREET, OUTCOMES, STOP_SEARCH)


def kind_from_header(columns: list[str]) -> Kind | None:
    """The kind whose required columns are all present, or None.

    Street and outcomes files share most columns; 'Crime type' and 'Outcome type' tell them
    apart, so at most one kind can match.
    """
    present = set(columns)
    matches = [k for k in KINDS if present.issuperset(k.required)]
    return matches[0] if len(matches) == 1 else None


def closest_kind(columns: list[str]) -> tuple[Kind, list[str]]:
    """The kind the header is nearest to, and the required columns it lacks (for error text)."""
    present = set(columns)
    best = min(KINDS, key=lambda k: len(set(k.required) - present))
    return best, [c for c in best.required if c not in present]
