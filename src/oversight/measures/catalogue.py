"""The measure catalogue: one TOML file per measure, validated when loaded.

Adding a measure is adding a file to `definitions/`. Each file is checked against the rules
below and any problem raises `CatalogueError` naming the file, the field and what is wrong.
The fields are documented in docs/measures.md.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Final

from oversight.errors import CatalogueError
from oversight.measures.periods import PERIOD_TYPES

DEFINITIONS: Final = Path(str(resources.files("oversight.measures") / "definitions"))

PRIORITIES: Final = (
    "Reducing and preventing violence",
    "Increasing trust and confidence",
    "Better supporting victims",
    "Protecting people from exploitation and harm",
    "Police and Crime Plan 2013-16 (history)",
)
UNITS: Final = ("count", "rate_per_1000", "proportion", "survey_proportion", "percentage_points", "ratio", "days")
"""`days`: a median (or other figure) in days, sent as `value` with the cases behind it as `sample_size`."""
POLARITIES: Final = ("up_is_good", "down_is_good", "neutral")
LEVELS: Final = ("force", "bcu", "borough", "ward", "national")
"""Area levels; 'national' is England and Wales (code K04000001), for figures the Home Office
publishes for every force, so a force can be set against the whole."""
COMPUTATIONS: Final = ("records", "published", "partner", "ratio", "difference", "allocated")
DERIVED: Final = ("ratio", "difference", "allocated")
"""Computed from another measure's rows (`of`): each group against `reference` (rate ratio, or
difference in percentage points), or a rate with not-stated records allocated proportionally."""
POPULATION_SCHEMES: Final = ("self_defined", "officer_defined")
DASHBOARDS: Final = ("crime", "trust", "stop-search", "hate-crime-vawg", "custody", "complaints")
"""The public dashboards a measure can be shown on (besides the list of all measures)."""
ROLES: Final = (
    "search_volume", "search_rate", "search_rate_officer_defined", "allocated_rate", "rate_ratio",
    "positive_outcome_rate", "arrest_rate", "outcome_rate", "outcome_gap", "not_stated_share",
    "ethnicity_agreement", "search_count", "force_rate", "taser_rate", "force_type", "taser_type", "force_incidents",
)
"""What a measure is for on a dashboard or in the report, so pages pick measures by what they
are, not by their id or shape: e.g. the stop and search page charts the `search_rate` and the
`rate_ratio` derived from it."""

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Target:
    """A historic target, drawn as a reference line, never judged as pass or fail."""

    change: float          # e.g. -0.20 for "fall 20%"
    baseline: str          # the period the change is measured from, e.g. "2011-12"
    by: str                # the period it was meant to be met by
    description: str


@dataclass(frozen=True)
class Measure:
    id: str
    title: str
    description: str
    priority: str
    outcome: str
    source: str
    unit: str
    polarity: str
    computation: str
    periods: tuple[str, ...]
    levels: tuple[str, ...]
    breakdowns: tuple[str, ...] = ()
    caveats: tuple[str, ...] = ()
    headline: bool = False
    sql: str | None = None
    requires: tuple[str, ...] = ()           # tables that must hold rows, else "awaiting data"
    population: str | None = None            # scheme of the denominator for rates
    population_breakdown: str | None = None  # breakdown whose values are population groups
    series_breaks: tuple[str, ...] = ()      # months (YYYY-MM) where SPC limits restart
    series_break_reason: str | None = None
    target: Target | None = None
    of: str | None = None                    # derived measures: the measure they are computed from
    reference: str | None = None             # derived measures: the reference breakdown,
                                             # e.g. "self_defined_group=White"
    band: float | None = None                # gaps: half-width in points of the band they are judged against
    quality_fields: tuple[str, ...] = ()     # source fields the value rests on: a month where one was not
                                             # recorded is not published
    dashboard: str | None = None             # the public dashboard it is shown on (DASHBOARDS)
    role: str | None = None                  # what it is for there (ROLES)
    path: Path = field(default=Path(), compare=False)

    @property
    def awaits_partner_data(self) -> bool:
        return self.computation == "partner"

    @property
    def is_derived(self) -> bool:
        return self.computation in DERIVED

    @property
    def compared_with_year_before(self) -> bool:
        """Whether its figures are judged against the same period a year before: not a derived
        figure (its reference moves too) nor a gap or ratio (judged against a band or 1), nor a
        median in days (no test of two medians is made from the figures a partner file carries)."""
        return not self.is_derived and self.unit not in ("ratio", "percentage_points", "days")


_REQUIRED: Final = ("id", "title", "description", "priority", "outcome", "source", "unit",
                    "polarity", "computation", "periods", "levels")
_OPTIONAL: Final = ("breakdowns", "caveats", "headline", "sql", "requires", "population",
                    "population_breakdown", "series_breaks", "series_break_reason", "target",
                    "of", "reference", "band", "quality_fields", "dashboard", "role")


def with_role(measures: dict[str, Measure] | list[Measure], role: str) -> list[Measure]:
    """The measures that play `role`, headline ones first, then in catalogue order."""
    assert role in ROLES, role
    found = [m for m in (measures.values() if isinstance(measures, dict) else measures) if m.role == role]
    return sorted(found, key=lambda m: not m.headline)


def derived_from(
    measures: dict[str, Measure] | list[Measure], base: Measure | None, computation: str
) -> Measure | None:
    """The measure computed from `base` by `computation` ('ratio', 'difference', 'allocated')."""
    if base is None:
        return None
    pool = measures.values() if isinstance(measures, dict) else measures
    return next((m for m in pool if m.computation == computation and m.of == base.id), None)


def load_catalogue(directory: Path | None = None) -> dict[str, Measure]:
    """Every measure in `directory` (default: the bundled definitions), by id, in file order."""
    folder = directory or DEFINITIONS
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise CatalogueError("no measure definitions (*.toml) found", path=str(folder))
    measures: dict[str, Measure] = {}
    for path in files:
        measure = load_measure(path)
        measures[measure.id] = measure
    for measure in measures.values():
        if measure.is_derived:
            _check_derivation(measure, measures)
    return measures


def _check_derivation(measure: Measure, measures: dict[str, Measure]) -> None:
    base = measures.get(measure.of or "")
    if base is None:
        raise CatalogueError(f"'of' names no measure in the catalogue: {measure.of!r}",
                             path=str(measure.path), field="of")
    if base.is_derived:
        raise CatalogueError(f"'{base.id}' is itself derived; derive from a computed measure",
                             path=str(measure.path), field="of")
    dimension = (measure.reference or "").split("=", 1)[0]
    if dimension not in base.breakdowns:
        raise CatalogueError(
            f"reference {measure.reference!r} must be '<breakdown>=<value>' with a breakdown of "
            f"{base.id} ({', '.join(base.breakdowns) or 'it has none'})",
            path=str(measure.path), field="reference",
        )
    wanted = {"ratio": ("rate_per_1000",), "difference": ("proportion",), "allocated": ("rate_per_1000",)}
    if base.unit not in wanted[measure.computation]:
        raise CatalogueError(
            f"a {measure.computation} is computed from a {' or '.join(wanted[measure.computation])} measure; "
            f"{base.id} is a {base.unit}",
            path=str(measure.path), field="of",
        )
    extra = sorted(set(measure.periods) - set(base.periods)) or sorted(set(measure.levels) - set(base.levels))
    if extra:
        raise CatalogueError(f"{base.id} is not computed for {', '.join(extra)}", path=str(measure.path),
                             field="periods" if set(measure.periods) - set(base.periods) else "levels")


def load_measure(path: Path) -> Measure:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"not valid TOML: {exc}", path=str(path)) from None
    return _measure(path, raw)


def _measure(path: Path, raw: dict[str, object]) -> Measure:
    def fail(fld: str, reason: str) -> CatalogueError:
        return CatalogueError(reason, path=str(path), field=fld)

    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise fail(missing[0], f"required field missing (all missing: {', '.join(missing)})")
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise fail(unknown[0], f"unknown field; allowed: {', '.join(_REQUIRED + _OPTIONAL)}")

    def text(name: str, required: bool = True) -> str | None:
        value = raw.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise fail(name, f"must be non-empty text; got {value!r}")
        return value.strip()

    def choice(name: str, allowed: tuple[str, ...]) -> str:
        value = text(name)
        if value not in allowed:
            raise fail(name, f"{value!r} is not one of {', '.join(allowed)}")
        return value  # type: ignore[return-value]

    def texts(name: str, allowed: tuple[str, ...] | None = None, required: bool = False) -> tuple[str, ...]:
        value = raw.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise fail(name, f"must be a list of text; got {value!r}")
        if required and not value:
            raise fail(name, "must list at least one value")
        if allowed is not None:
            bad = [v for v in value if v not in allowed]
            if bad:
                raise fail(name, f"{bad[0]!r} is not one of {', '.join(allowed)}")
        if len(set(value)) != len(value):
            raise fail(name, "lists a value twice")
        return tuple(value)

    measure_id = text("id")
    assert measure_id is not None
    if not _ID.match(measure_id):
        raise fail("id", f"{measure_id!r} must be lowercase letters, digits and underscores")
    if measure_id != path.stem:
        raise fail("id", f"{measure_id!r} must equal the file name {path.stem!r}")
    computation = choice("computation", COMPUTATIONS)
    sql = text("sql", required=False)
    if computation == "partner" and sql is not None:
        raise fail("sql", "partner measures read the loaded partner files; remove sql")
    derived = computation in DERIVED
    if derived and sql is not None:
        raise fail("sql", f"a '{computation}' measure is computed from the measure named in 'of'; remove sql")
    if computation in ("records", "published") and sql is None:
        raise fail("sql", f"a '{computation}' measure needs the sql that computes it")
    if derived and (raw.get("of") is None or raw.get("reference") is None):
        raise fail("of" if raw.get("of") is None else "reference",
                   f"a '{computation}' measure needs 'of' (a measure id) and 'reference' "
                   "(e.g. \"self_defined_group=White\")")
    unit = choice("unit", UNITS)
    population = text("population", required=False)
    if population is not None and population not in POPULATION_SCHEMES:
        raise fail("population", f"{population!r} is not one of {', '.join(POPULATION_SCHEMES)}")
    if unit == "rate_per_1000" and computation == "records" and population is None:
        raise fail("population", "a rate per 1,000 residents needs the population scheme of its denominator")
    breakdowns = texts("breakdowns")
    population_breakdown = text("population_breakdown", required=False)
    if population_breakdown is not None and population_breakdown not in breakdowns:
        raise fail("population_breakdown", f"{population_breakdown!r} is not one of the breakdowns")
    series_breaks = texts("series_breaks")
    for month in series_breaks:
        if not _MONTH.match(month):
            raise fail("series_breaks", f"{month!r} is not a YYYY-MM month")
    if series_breaks and raw.get("series_break_reason") is None:
        raise fail("series_break_reason", "say why the series breaks")
    band = raw.get("band")
    if band is not None and (isinstance(band, bool) or not isinstance(band, (int, float)) or band <= 0):
        raise fail("band", f"must be a positive number of percentage points; got {band!r}")
    dashboard, role = (None if raw.get(name) is None else choice(name, allowed)
                       for name, allowed in (("dashboard", DASHBOARDS), ("role", ROLES)))
    headline = raw.get("headline", False)
    if not isinstance(headline, bool):
        raise fail("headline", f"must be true or false; got {headline!r}")
    return Measure(
        id=measure_id,
        title=text("title"),  # type: ignore[arg-type]
        description=text("description"),  # type: ignore[arg-type]
        priority=choice("priority", PRIORITIES),
        outcome=text("outcome"),  # type: ignore[arg-type]
        source=text("source"),  # type: ignore[arg-type]
        unit=unit,
        polarity=choice("polarity", POLARITIES),
        computation=computation,
        periods=texts("periods", PERIOD_TYPES, required=True),
        levels=texts("levels", LEVELS, required=True),
        breakdowns=breakdowns,
        caveats=texts("caveats"),
        headline=headline,
        sql=sql,
        requires=texts("requires"),
        population=population,
        population_breakdown=population_breakdown,
        series_breaks=series_breaks,
        series_break_reason=text("series_break_reason", required=False),
        target=_target(raw.get("target"), fail),
        of=text("of", required=False),
        reference=text("reference", required=False),
        band=None if band is None else float(band),
        quality_fields=texts("quality_fields"),
        dashboard=dashboard,
        role=role,
        path=path,
    )


def _target(raw: object, fail) -> Target | None:  # type: ignore[no-untyped-def]
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise fail("target", "must be a table with change, baseline, by and description")
    missing = [k for k in ("change", "baseline", "by", "description") if k not in raw]
    if missing:
        raise fail("target", f"missing {', '.join(missing)}")
    change = raw["change"]
    if isinstance(change, bool) or not isinstance(change, (int, float)) or not -1 <= change <= 1:
        raise fail("target", f"change must be a fraction between -1 and 1 (e.g. -0.2); got {change!r}")
    return Target(float(change), str(raw["baseline"]), str(raw["by"]), str(raw["description"]))
