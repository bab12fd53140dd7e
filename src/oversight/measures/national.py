"""Forces compared with each other: every force's rate ratio for one group against a reference
group, on a funnel around England and Wales, with the ranks each could hold, and the forces most
like each one (decision docs/decisions/0008).

Figures come from the measures table (`stop_search_rate` and its rate ratio, force level, one
financial year), so they are the figures the force's own pages show. A force is compared only
where its figure is published and carries no quality flag; every other force is listed with the
reason it is not compared.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Final

import duckdb
import numpy as np
import pandas as pd
import shapely

from oversight.stats.funnel import LIMITS, Funnel, funnel, log_precision, rank_ranges
from oversight.warehouse.connection import table_exists

RATE: Final = "stop_search_rate"
RATIO: Final = "stop_search_rate_ratio"
SCHEME_DIMENSION: Final = "self_defined_group"
REFERENCE_GROUP: Final = "White"
GROUPS: Final = ("Black", "Asian", "Mixed", "Other")
PERIOD_TYPE: Final = "financial_year"
SIMILAR_COUNT: Final = 5
NO_FIGURE_PER_RESIDENT: Final = "no figure per resident: "

# Lambert's cylindrical equal-area projection on the authalic sphere: areas within about 0.5% of
# the ellipsoid's at British latitudes, plenty for telling a county from a city.
_AUTHALIC_RADIUS_KM: Final = 6371.0072


@dataclass(frozen=True)
class ForceFigure:
    """One force's figure for the period, compared or not."""

    force: str
    name: str
    ratio: float | None = None
    low: float | None = None
    high: float | None = None
    searches_group: float | None = None
    searches_reference: float | None = None
    residents_group: float | None = None
    residents_reference: float | None = None
    precision: float | None = None
    verdict: str | None = None
    verdict_95: str | None = None
    best_rank: int | None = None
    worst_rank: int | None = None
    not_compared: str | None = None
    similar: tuple[str, ...] = ()


@dataclass(frozen=True)
class NationalComparison:
    group: str
    reference_group: str
    period_type: str
    period_end: dt.date
    periods: tuple[dt.date, ...]
    reference_ratio: float | None
    funnel: Funnel | None
    compared: tuple[ForceFigure, ...]
    not_compared: tuple[ForceFigure, ...]
    names: dict[str, str] = field(default_factory=dict)

    def force(self, code: str) -> ForceFigure | None:
        return next((f for f in (*self.compared, *self.not_compared) if f.force == code), None)

    def funnel_curve(self, points: int = 60) -> pd.DataFrame:
        """The funnel's limits over the precision range of the compared forces, for a chart."""
        if self.funnel is None or not self.compared:
            return pd.DataFrame(columns=["precision", "level", "low", "high"])
        w = np.array([f.precision for f in self.compared], dtype=float)
        grid = np.geomspace(max(w.min() / 2, 1.0), w.max() * 1.5, points)
        parts = []
        for level in LIMITS:
            low, high = self.funnel.limits(grid, level)
            parts.append(pd.DataFrame({"precision": grid, "level": level, "low": low, "high": high}))
        return pd.concat(parts, ignore_index=True)


def comparison_periods(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, ...]:
    """Financial years with a force-level rate ratio for at least two forces, newest first."""
    rows = con.execute(
        f"""SELECT period_end FROM measure_value
            WHERE measure = '{RATIO}' AND area_level = 'force' AND period_type = '{PERIOD_TYPE}'
            GROUP BY period_end HAVING count(DISTINCT area_code) >= 2 ORDER BY period_end DESC""").fetchall()
    return tuple(r[0] for r in rows)


def compare_forces(
    con: duckdb.DuckDBPyConnection, *, group: str = "Black", period_end: dt.date | None = None
) -> NationalComparison:
    """Every force's `group`/White rate ratio for one financial year (default: the newest with a
    figure for most forces), judged on a funnel around the pooled England and Wales ratio."""
    if group not in GROUPS:
        raise ValueError(f"group must be one of {', '.join(GROUPS)}, not {group!r}")
    periods = comparison_periods(con)
    names = forces_listed(con)  # police forces of England and Wales, and British Transport Police
    if not periods:
        return NationalComparison(group, REFERENCE_GROUP, PERIOD_TYPE, period_end or dt.date.today(), (),
                                  None, None, (), (), names)
    if period_end is None:
        period_end = _fullest(con, periods)
    elif period_end not in periods:
        raise ValueError(f"no force-level figures for the financial year ending {period_end}")
    rows = _rows(con, group, period_end)
    similar = similar_forces(force_profiles(con))
    compared, excluded = [], []
    for force in sorted(set(names) | set(rows.index)):
        name = names.get(force, force)
        reason = _not_compared(rows, force, con, period_end)
        if reason:
            excluded.append(ForceFigure(force, name, not_compared=reason, similar=similar.get(force, ())))
            continue
        r = rows.loc[force]
        compared.append(ForceFigure(
            force, name, ratio=float(r["value"]), low=float(r["interval_low"]), high=float(r["interval_high"]),
            searches_group=float(r["n_group"]), searches_reference=float(r["n_ref"]),
            residents_group=float(r["d_group"]), residents_reference=float(r["d_ref"]),
            precision=float(log_precision([r["n_group"]], [r["n_ref"]])[0]), similar=similar.get(force, ())))
    reference_ratio, judged = _judge(compared)
    fun = judged[1] if judged else None
    return NationalComparison(group, REFERENCE_GROUP, PERIOD_TYPE, period_end, periods, reference_ratio, fun,
                              tuple(judged[0]) if judged else (), tuple(excluded), names)


def _judge(compared: list[ForceFigure]) -> tuple[float | None, tuple[list[ForceFigure], Funnel] | None]:
    if not compared:
        return None, None
    a = sum(f.searches_group or 0 for f in compared)
    pa = sum(f.residents_group or 0 for f in compared)
    b = sum(f.searches_reference or 0 for f in compared)
    pb = sum(f.residents_reference or 0 for f in compared)
    reference = (a / pa) / (b / pb) if pa and pb and b else math.nan
    ratio = np.array([f.ratio for f in compared], dtype=float)
    w = np.array([f.precision for f in compared], dtype=float)
    fun = funnel(ratio, w, reference)
    verdict = fun.verdicts(ratio, w, LIMITS[1])
    verdict_95 = fun.verdicts(ratio, w, LIMITS[0])
    best, worst = rank_ranges(np.array([f.low for f in compared], dtype=float),
                              np.array([f.high for f in compared], dtype=float))
    judged = [
        ForceFigure(**{**f.__dict__, "verdict": v, "verdict_95": v95, "best_rank": int(b_), "worst_rank": int(w_)})
        for f, v, v95, b_, w_ in zip(compared, verdict, verdict_95, best, worst, strict=True)
    ]
    judged.sort(key=lambda f: -(f.ratio or 0))
    return reference, (judged, fun)


def _rows(con: duckdb.DuckDBPyConnection, group: str, period_end: dt.date) -> pd.DataFrame:
    """Per force: the ratio row for `group` and the searches and residents of both groups."""
    frame = con.execute(
        f"""
        WITH r AS (SELECT area_code, value, interval_low, interval_high, suppressed, suppression_reason,
                          quality_flags, quality_note
                   FROM measure_value
                   WHERE measure = '{RATIO}' AND area_level = 'force' AND period_type = '{PERIOD_TYPE}'
                     AND period_end = $end AND breakdown = '{SCHEME_DIMENSION}=' || $group),
             g AS (SELECT area_code, numerator AS n_group, denominator AS d_group FROM measure_value
                   WHERE measure = '{RATE}' AND area_level = 'force' AND period_type = '{PERIOD_TYPE}'
                     AND period_end = $end AND breakdown = '{SCHEME_DIMENSION}=' || $group),
             w AS (SELECT area_code, numerator AS n_ref, denominator AS d_ref FROM measure_value
                   WHERE measure = '{RATE}' AND area_level = 'force' AND period_type = '{PERIOD_TYPE}'
                     AND period_end = $end AND breakdown = '{SCHEME_DIMENSION}={REFERENCE_GROUP}')
        SELECT * FROM r LEFT JOIN g USING (area_code) LEFT JOIN w USING (area_code)""",
        {"end": period_end, "group": group}).df()
    return frame.set_index("area_code")


def _not_compared(rows: pd.DataFrame, force: str, con: duckdb.DuckDBPyConnection, period_end: dt.date) -> str | None:
    """Why a force has no figure to compare, as a clause ('its figure is flagged: incomplete in ...')."""
    if force not in rows.index:
        months = _months_with_records(con, force, period_end)
        if months == 0:
            return "no stop-and-search records are loaded for any month of the year"
        return f"records are loaded for only {months} of the year's 12 months"
    r = rows.loc[force]
    note = str(r["quality_note"]) if pd.notna(r["quality_note"]) else None
    if note and len(r["quality_flags"]):
        return f"its figure is flagged: {note}"
    if note and pd.isna(r["value"]):
        return note.removeprefix(NO_FIGURE_PER_RESIDENT)
    if bool(r["suppressed"]):
        why = r["suppression_reason"] if pd.notna(r["suppression_reason"]) else "too few records"
        return f"its figure is not published ({why})"
    if pd.isna(r["value"]) or pd.isna(r["interval_low"]) or pd.isna(r["n_group"]) or pd.isna(r["n_ref"]):
        return "it has no interval: one of the two groups has no searches"
    return None


def _months_with_records(con: duckdb.DuckDBPyConnection, force: str, period_end: dt.date) -> int:
    (n,) = con.execute(
        """SELECT count(DISTINCT month) FROM stop_search
           WHERE force = $force AND month > $end - INTERVAL 12 MONTH AND month <= $end""",
        {"force": force, "end": period_end}).fetchone() or (0,)
    return int(n)


def _fullest(con: duckdb.DuckDBPyConnection, periods: tuple[dt.date, ...]) -> dt.date:
    """The newest year whose published, unflagged figures cover at least 90% of the best year's forces."""
    counts = dict(con.execute(
        f"""SELECT period_end, count(*) FROM measure_value
            WHERE measure = '{RATIO}' AND area_level = 'force' AND period_type = '{PERIOD_TYPE}'
              AND breakdown = '{SCHEME_DIMENSION}=Black' AND NOT suppressed AND value IS NOT NULL
              AND len(quality_flags) = 0
            GROUP BY period_end""").fetchall())
    best = max(counts.values(), default=0)
    return next((p for p in periods if counts.get(p, 0) >= 0.9 * best), periods[0])


def forces_listed(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The forces of England and Wales (those with a police force area) and any other force with
    stop-and-search records loaded (British Transport Police), by police.uk id."""
    if not table_exists(con, "force_area"):
        return {}
    return dict(con.execute(
        """SELECT force, name FROM force_area
           WHERE pfa_code IS NOT NULL OR force IN (SELECT DISTINCT force FROM stop_search)
           ORDER BY force""").fetchall())


# forces like it -----------------------------------------------------------------------------------


def force_profiles(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per territorial force: residents (Census 2021), land area (km², from the force area
    boundary), density, and the share of residents in each self-defined ethnic group."""
    if not all(table_exists(con, t) for t in ("population_group", "geo_pfa_boundary", "force_area")):
        return pd.DataFrame()
    people = con.execute(
        """SELECT area_code AS force, ethnic_group, residents FROM population_group
           WHERE census_year = 2021 AND scheme = 'self_defined' AND level = 'force'""").df()
    if people.empty:
        return pd.DataFrame()
    wide = people.pivot_table(index="force", columns="ethnic_group", values="residents", aggfunc="sum")
    shapes = con.execute(
        """SELECT f.force, b.geometry FROM force_area f JOIN geo_pfa_boundary b USING (pfa_code)""").df()
    area = pd.Series({r.force: area_km2(bytes(r.geometry)) for r in shapes.itertuples()}, name="area_km2")
    profile = pd.DataFrame({"residents": wide["All"]}).join(area, how="inner")
    profile["density"] = profile["residents"] / profile["area_km2"]
    for g in (*GROUPS, REFERENCE_GROUP):
        profile[f"share_{g}"] = wide[g].reindex(profile.index) / profile["residents"]
    return profile.sort_index()


def area_km2(wkb: bytes) -> float:
    """Area of a WGS84 (longitude, latitude) polygon in square kilometres."""
    shape = shapely.from_wkb(wkb)

    def equal_area(xy: np.ndarray) -> np.ndarray:
        lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
        return np.column_stack([_AUTHALIC_RADIUS_KM * lon, _AUTHALIC_RADIUS_KM * np.sin(lat)])

    return float(shapely.transform(shape, equal_area).area)


def similar_forces(profiles: pd.DataFrame, count: int = SIMILAR_COUNT) -> dict[str, tuple[str, ...]]:
    """The `count` forces nearest each force on three equally weighted features, each standardised
    across the forces: residents (log), density (log) and ethnic composition (the shares of the
    four minority groups, together counting as one feature)."""
    if len(profiles) <= count:
        return {}
    features = _standardised(profiles)
    x = features.to_numpy()
    distance = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(distance, np.inf)
    names = list(features.index)
    nearest = {}
    for i, force in enumerate(names):
        # Ties broken by name, so the list does not change from run to run.
        order = sorted(range(len(names)), key=lambda j: (distance[i, j], names[j]))
        nearest[force] = tuple(names[j] for j in order[:count])
    return nearest


def _standardised(profiles: pd.DataFrame) -> pd.DataFrame:
    def z(values: pd.Series) -> pd.Series:
        return (values - values.mean()) / values.std(ddof=0)

    shares = [f"share_{g}" for g in GROUPS]
    columns = {"residents": z(np.log(profiles["residents"])), "density": z(np.log(profiles["density"]))}
    # Four shares weighted 1/2 each: their squared distances sum to one feature's weight.
    columns |= {s: z(profiles[s]) / 2 for s in shares}
    return pd.DataFrame(columns)
