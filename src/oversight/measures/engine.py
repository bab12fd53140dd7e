"""`oversight build`: every measure, for every period, place and breakdown, into one table.

Three kinds of measure (the `computation` field of a definition):

- records: the measure's SQL returns monthly rows at any grain with the columns `month`,
  `force`, optionally `bcu`, `borough`, `ward` (area codes, NULL when unknown), one column
  per declared breakdown, `numerator` and optionally `denominator`. The engine sums them to
  each declared area level and breakdown, fills months the source covers but an area had
  none with zeros, and derives quarters, years and rolling 12 months from complete months
  only (a period missing a month of data is not published).
- published: the SQL returns finished figures (`period_type`, `period_end`, `area_level`,
  `area_code`, optional `breakdown`, `value`, `numerator`, `denominator`, `sample_size`,
  `sample_size_assumed`, `interval_low`, `interval_high`): for sources that publish
  proportions, such as the Public Attitude Survey.
- partner: rows of loaded partner files for the measure (view `partner_value`).

Then, vectorised over the whole table: values by unit, confidence intervals, the verdict
against the same period a year before, disclosure control, and SPC on monthly series. The
table `measure_value` is replaced in one transaction; `measure_status` says, per measure,
whether it has data and up to when. The dashboards, API and report read only these tables.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from oversight import config
from oversight.measures.catalogue import Measure, load_catalogue
from oversight.measures.finishing import finish_in_warehouse
from oversight.measures.periods import FY_QUARTER_START_SQL, FY_START_SQL
from oversight.sources.police_uk import vocab

VALUE_COLUMNS = [
    "measure", "period_type", "period_start", "period_end", "area_level", "area_code", "breakdown",
    "value", "numerator", "denominator", "denominator_year", "interval_low", "interval_high",
    "sample_size", "sample_size_assumed", "suppressed", "suppression_reason",
    "spc_mean", "spc_lower", "spc_upper", "spc_signal", "spc_variation",
    "vs_year_before", "vs_average", "vs_band",
]

MEASURE_VALUE_DDL = """
CREATE TABLE IF NOT EXISTS measure_value (
    measure VARCHAR NOT NULL, period_type VARCHAR NOT NULL, period_start DATE NOT NULL,
    period_end DATE NOT NULL, area_level VARCHAR NOT NULL, area_code VARCHAR NOT NULL,
    breakdown VARCHAR NOT NULL, value DOUBLE, numerator DOUBLE, denominator DOUBLE,
    denominator_year INTEGER, interval_low DOUBLE, interval_high DOUBLE, sample_size DOUBLE,
    sample_size_assumed BOOLEAN, suppressed BOOLEAN NOT NULL, suppression_reason VARCHAR,
    spc_mean DOUBLE, spc_lower DOUBLE, spc_upper DOUBLE, spc_signal VARCHAR, spc_variation VARCHAR,
    vs_year_before VARCHAR, vs_average VARCHAR, vs_band VARCHAR
);
CREATE TABLE IF NOT EXISTS measure_status (
    measure VARCHAR PRIMARY KEY, status VARCHAR NOT NULL, detail VARCHAR,
    latest_period_end DATE, first_period_end DATE, areas BIGINT, rows BIGINT,
    seconds DOUBLE, built_at TIMESTAMPTZ
);
"""

AWAITING = "awaiting data"
OK = "ok"
FAILED = "failed"

# Census days: a rate uses the census nearest to the middle of its period.
CENSUS_YEARS = (2011, 2021)


@dataclass
class MeasureBuild:
    measure: str
    status: str
    detail: str | None = None
    rows: int = 0
    seconds: float = 0.0


@dataclass
class BuildReport:
    measures: list[MeasureBuild] = field(default_factory=list)
    rows: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> list[MeasureBuild]:
        return [m for m in self.measures if m.status == FAILED]


def build(
    con: duckdb.DuckDBPyConnection,
    measures: dict[str, Measure] | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> BuildReport:
    """Compute every measure and replace `measure_value` and `measure_status` atomically."""
    started = time.perf_counter()
    catalogue = measures if measures is not None else load_catalogue()
    report = BuildReport()
    con.execute(MEASURE_VALUE_DDL)
    con.execute("SET VARIABLE force = ?", [str(config.default("default_force"))])
    (previous_limit,) = con.execute("SELECT current_setting('memory_limit')").fetchone()  # type: ignore[misc]
    con.execute(f"SET memory_limit = '{config.default('build_memory_limit')}'")
    try:
        return _build_all(con, catalogue, report, started, progress)
    finally:
        for table in ("__values", "__rows", "__finished", "__base", "__monthly", "__filled", "__periods"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"SET memory_limit = '{previous_limit}'")


def _build_all(
    con: duckdb.DuckDBPyConnection,
    catalogue: dict[str, Measure],
    report: BuildReport,
    started: float,
    progress: Callable[[str], None] | None,
) -> BuildReport:
    con.execute(f"CREATE OR REPLACE TEMP TABLE __values AS SELECT {_EMPTY_VALUES}")
    _register_vocabularies(con)
    # Derived measures read the rows of the measure they come from, so they are built last.
    for measure in sorted(catalogue.values(), key=lambda m: m.is_derived):
        if progress:
            progress(measure.id)
        report.measures.append(_build_one(con, measure))
    report.timings["sql"] = time.perf_counter() - started
    finish_in_warehouse(con, {m.id: m for m in catalogue.values()}, report.timings)
    t = time.perf_counter()
    report.rows = _replace_tables(con, report)
    report.timings["write"] = time.perf_counter() - t
    report.seconds = time.perf_counter() - started
    return report


def _register_vocabularies(con: duckdb.DuckDBPyConnection) -> None:
    """The reviewable outcome groups, as tables the measure SQL can join."""
    for name, groups in (
        ("vocab_crime_outcome", vocab.crime_outcomes()),
        ("vocab_stop_search_outcome", vocab.stop_search_outcomes()),
    ):
        frame = pd.DataFrame({"outcome": list(groups), "outcome_group": list(groups.values())})
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM frame")


_EMPTY_VALUES = """
    NULL::VARCHAR AS measure, NULL::VARCHAR AS period_type, NULL::DATE AS period_start,
    NULL::DATE AS period_end, NULL::VARCHAR AS area_level, NULL::VARCHAR AS area_code,
    NULL::VARCHAR AS breakdown, NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator,
    NULL::INTEGER AS denominator_year, NULL::DOUBLE AS value, NULL::DOUBLE AS sample_size,
    NULL::BOOLEAN AS sample_size_assumed, NULL::DOUBLE AS interval_low, NULL::DOUBLE AS interval_high,
    NULL::DOUBLE AS ref_numerator, NULL::DOUBLE AS ref_denominator
    LIMIT 0
"""


def _build_one(con: duckdb.DuckDBPyConnection, measure: Measure) -> MeasureBuild:
    started = time.perf_counter()
    missing = _missing_inputs(con, measure)
    if missing:
        return MeasureBuild(measure.id, AWAITING, missing, seconds=time.perf_counter() - started)
    before = _count(con, "__values")
    try:
        if measure.computation == "records":
            _build_records(con, measure)
        elif measure.computation == "published":
            _build_published(con, measure)
        elif measure.computation == "partner":
            _build_partner(con, measure)
        else:
            _build_derived(con, measure)
    except duckdb.Error as exc:
        con.execute("DELETE FROM __values WHERE measure = ?", [measure.id])
        reason = str(exc).splitlines()[0]
        return MeasureBuild(measure.id, FAILED, f"{measure.path.name}: {reason}",
                            seconds=time.perf_counter() - started)
    rows = _count(con, "__values") - before
    status = OK if rows else AWAITING
    detail = None if rows else "the source tables hold no rows for this measure"
    return MeasureBuild(measure.id, status, detail, rows, time.perf_counter() - started)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]


def _missing_inputs(con: duckdb.DuckDBPyConnection, measure: Measure) -> str | None:
    if measure.is_derived:
        rows = con.execute("SELECT count(*) FROM __values WHERE measure = ?", [measure.of]).fetchone()
        return None if rows and rows[0] else f"{measure.of} has no figures yet"
    needed = list(measure.requires)
    if measure.computation == "partner":
        needed.append("partner_value")
    existing = {
        row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    }
    absent = [t for t in needed if t not in existing]
    if absent:
        return f"not loaded yet: {', '.join(absent)}"
    if measure.computation == "partner":
        n = con.execute("SELECT count(*) FROM partner_value WHERE measure = ?", [measure.id]).fetchone()
        return None if n and n[0] else "no partner file for this measure has been loaded"
    empty = [t for t in needed if _count(con, t) == 0]
    return f"no rows yet in {', '.join(empty)}" if empty else None


# records --------------------------------------------------------------------------------------


def _build_records(con: duckdb.DuckDBPyConnection, m: Measure) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE __base AS {m.sql}")
    columns = {row[0] for row in con.execute("DESCRIBE __base").fetchall()}
    needed = {"month", "force", "numerator", *m.breakdowns}
    if not needed <= columns:
        raise duckdb.BinderException(f"the sql must return columns {', '.join(sorted(needed - columns))}")
    denominator = "denominator" if "denominator" in columns else "NULL::DOUBLE"
    level_sql = []
    for level in m.levels:
        code = "force" if level == "force" else level
        if code not in columns:
            continue
        sets = ", ".join(["(month, force, area_code)"] + [f"(month, force, area_code, {b})" for b in m.breakdowns])
        label = "'all'"
        for b in reversed(m.breakdowns):
            label = (f"CASE WHEN grouping({b}) = 0 THEN '{b}=' || coalesce({b}::VARCHAR, 'Not stated') "
                     f"ELSE {label} END")
        level_sql.append(
            f"""SELECT month, force, '{level}' AS area_level, area_code, {label} AS breakdown,
                       sum(numerator)::DOUBLE AS numerator, sum(denominator)::DOUBLE AS denominator
                FROM (SELECT *, {code} AS area_code, {denominator} AS denominator FROM __base
                      WHERE {code} IS NOT NULL)
                GROUP BY GROUPING SETS ({sets})"""
        )
    con.execute(f"CREATE OR REPLACE TEMP TABLE __monthly AS {' UNION ALL '.join(level_sql)}")
    # Months the source covers (per force and area level: a ward file may start later than the
    # borough file): an area with no rows in such a month had zero; other months are missing.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE __filled AS
        WITH coverage AS (SELECT DISTINCT force, area_level, date_trunc('month', month)::DATE AS month
                          FROM __monthly),
        series AS (SELECT DISTINCT force, area_level, area_code, breakdown FROM __monthly)
        SELECT c.month, s.force, s.area_level, s.area_code, s.breakdown,
               coalesce(x.numerator, 0) AS numerator,
               CASE WHEN x.month IS NULL THEN 0 ELSE x.denominator END AS denominator
        FROM series s JOIN coverage c USING (force, area_level)
        LEFT JOIN (SELECT date_trunc('month', month)::DATE AS month, force, area_level, area_code,
                          breakdown, numerator, denominator FROM __monthly) x
          USING (month, force, area_level, area_code, breakdown)"""
    )
    parts = []
    key = "force, area_level, area_code, breakdown"
    if "month" in m.periods:
        parts.append(
            f"""SELECT 'month' AS period_type, month AS period_start, last_day(month) AS period_end,
                       {key}, numerator, denominator FROM __filled"""
        )
    for period_type, start_sql, months in (
        ("fy_quarter", FY_QUARTER_START_SQL, 3),
        ("financial_year", FY_START_SQL, 12),
        ("calendar_year", "make_date(year(month), 1, 1)", 12),
    ):
        if period_type in m.periods:
            parts.append(
                f"""SELECT '{period_type}', {start_sql} AS period_start,
                           last_day(max(month)) AS period_end, {key},
                           sum(numerator), sum(denominator)
                    FROM __filled GROUP BY {start_sql}, {key} HAVING count(*) = {months}"""
            )
    if "rolling_12" in m.periods:
        parts.append(
            f"""SELECT 'rolling_12', (month - INTERVAL 11 MONTH)::DATE, last_day(month), {key}, n, d
                FROM (SELECT *, sum(numerator) OVER w AS n, sum(denominator) OVER w AS d,
                             count(*) OVER w AS months
                      FROM __filled
                      WINDOW w AS (PARTITION BY {key} ORDER BY month
                                   RANGE BETWEEN INTERVAL 11 MONTH PRECEDING AND CURRENT ROW))
                WHERE months = 12"""
        )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE __periods AS
        SELECT * FROM ({' UNION ALL '.join(parts)})
        AS p(period_type, period_start, period_end, force, area_level, area_code, breakdown, numerator, denominator)"""
    )
    if m.unit == "rate_per_1000":
        _attach_population(con, m)
    else:
        con.execute("ALTER TABLE __periods ADD COLUMN denominator_year INTEGER")
    con.execute(
        """INSERT INTO __values BY NAME
        SELECT ? AS measure, period_type, period_start, period_end, area_level, area_code, breakdown,
               numerator, denominator, denominator_year
        FROM __periods""",
        [m.id],
    )


def _attach_population(con: duckdb.DuckDBPyConnection, m: Measure) -> None:
    """Denominator = residents of the area (and group) at the census nearest the period."""
    group = (
        f"CASE WHEN p.breakdown LIKE '{m.population_breakdown}=%' "
        f"THEN split_part(p.breakdown, '=', 2) ELSE 'All' END"
        if m.population_breakdown else "'All'"
    )
    middle = "year(p.period_start + to_days(((p.period_end - p.period_start) // 2)::INTEGER))"
    census = f"CASE WHEN {middle} >= {sum(CENSUS_YEARS) // 2} THEN {CENSUS_YEARS[1]} ELSE {CENSUS_YEARS[0]} END"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE __periods AS
        SELECT p.period_type, p.period_start, p.period_end, p.force, p.area_level, p.area_code,
               p.breakdown, p.numerator, g.residents::DOUBLE AS denominator,
               {census} AS denominator_year
        FROM __periods p
        LEFT JOIN population_group g
          ON g.census_year = {census} AND g.scheme = '{m.population}' AND g.level = p.area_level
         AND g.area_code = p.area_code AND g.ethnic_group = {group}"""
    )


# published and partner ---------------------------------------------------------------------------


def _build_published(con: duckdb.DuckDBPyConnection, m: Measure) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE __published AS {m.sql}")
    columns = {row[0] for row in con.execute("DESCRIBE __published").fetchall()}
    needed = {"period_type", "period_end", "area_level", "area_code", "value"}
    if not needed <= columns:
        raise duckdb.BinderException(f"the sql must return columns {', '.join(sorted(needed - columns))}")
    optional = {
        "breakdown": "'all'", "numerator": "NULL::DOUBLE", "denominator": "NULL::DOUBLE",
        "sample_size": "NULL::DOUBLE", "sample_size_assumed": "NULL::BOOLEAN",
        "interval_low": "NULL::DOUBLE", "interval_high": "NULL::DOUBLE",
        "denominator_year": "NULL::INTEGER",
    }
    select = ", ".join(f"{c}" if c in columns else f"{default} AS {c}" for c, default in optional.items())
    con.execute(
        f"""INSERT INTO __values BY NAME
        SELECT ? AS measure, period_type, {_period_start_sql('period_type', 'period_end')} AS period_start,
               period_end::DATE AS period_end, area_level, area_code, value, {select}
        FROM __published""",
        [m.id],
    )


def _build_partner(con: duckdb.DuckDBPyConnection, m: Measure) -> None:
    con.execute(
        """INSERT INTO __values BY NAME
        SELECT measure, period_type, period_start, period_end, area_level, area_code, breakdown,
               numerator, denominator, value, sample_size
        FROM partner_value WHERE measure = ?""",
        [m.id],
    )


def _build_derived(con: duckdb.DuckDBPyConnection, m: Measure) -> None:
    """Rows of `m.of` for each group, set against the reference group (or the whole) of the
    same period and area. The statistics are computed with the others in `finish`."""
    dimension = (m.reference or "").split("=", 1)[0]
    same = """ON x.measure = g.measure AND x.period_type = g.period_type AND x.period_end = g.period_end
              AND x.area_level = g.area_level AND x.area_code = g.area_code"""
    scope = """g.measure = $of AND g.breakdown LIKE $dimension || '=%'
               AND g.breakdown <> $dimension || '=Not stated' AND list_contains($periods, g.period_type)
               AND list_contains($levels, g.area_level)"""
    params = {"measure": m.id, "of": m.of, "dimension": dimension, "reference": m.reference,
              "periods": list(m.periods), "levels": list(m.levels)}
    if m.computation == "allocated":
        con.execute(
            f"""INSERT INTO __values BY NAME
            SELECT $measure AS measure, g.period_type, g.period_start, g.period_end, g.area_level, g.area_code,
                   g.breakdown, g.numerator * x.numerator / (x.numerator - coalesce(ns.numerator, 0)) AS numerator,
                   g.denominator, g.denominator_year, g.numerator AS ref_numerator
            FROM __values g JOIN __values x {same} AND x.breakdown = 'all'
            LEFT JOIN __values ns ON ns.measure = g.measure AND ns.period_type = g.period_type
                 AND ns.period_end = g.period_end AND ns.area_level = g.area_level AND ns.area_code = g.area_code
                 AND ns.breakdown = $dimension || '=Not stated'
            WHERE {scope} AND x.numerator > coalesce(ns.numerator, 0) AND g.denominator > 0""",
            {k: v for k, v in params.items() if k != "reference"},
        )
        return
    con.execute(
        f"""INSERT INTO __values BY NAME
        SELECT $measure AS measure, g.period_type, g.period_start, g.period_end, g.area_level, g.area_code,
               g.breakdown, g.numerator, g.denominator, g.denominator_year,
               x.numerator AS ref_numerator, x.denominator AS ref_denominator
        FROM __values g JOIN __values x {same} AND x.breakdown = $reference
        WHERE {scope} AND g.breakdown <> $reference AND g.denominator > 0 AND x.denominator > 0""",
        params,
    )


def _period_start_sql(period_type: str, period_end: str) -> str:
    first = f"date_trunc('month', {period_end}::DATE)"
    return f"""(CASE {period_type}
        WHEN 'month' THEN {first}
        WHEN 'fy_quarter' THEN {first} - INTERVAL 2 MONTH
        WHEN 'rolling_12' THEN {first} - INTERVAL 11 MONTH
        WHEN 'financial_year' THEN {first} - INTERVAL 11 MONTH
        WHEN 'calendar_year' THEN {first} - INTERVAL 11 MONTH END)::DATE"""


# writing ----------------------------------------------------------------------------------------


def _replace_tables(con: duckdb.DuckDBPyConnection, report: BuildReport) -> int:
    """Swap in the finished rows and the status of each measure in one transaction."""
    status = pd.DataFrame(
        [(b.measure, b.status, b.detail, b.seconds) for b in report.measures],
        columns=["measure", "status", "detail", "seconds"],
    )
    con.register("__status", status)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM measure_value")
        con.execute("INSERT INTO measure_value BY NAME SELECT * FROM __finished")
        con.execute("DELETE FROM measure_status")
        con.execute(
            """INSERT INTO measure_status
            SELECT s.measure, s.status, s.detail, v.latest, v.first, v.areas, coalesce(v.rows, 0),
                   s.seconds, now()
            FROM __status s LEFT JOIN (
                SELECT measure, max(period_end) AS latest, min(period_end) AS first,
                       count(DISTINCT (area_level, area_code)) AS areas, count(*) AS rows
                FROM measure_value GROUP BY measure) v USING (measure)"""
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("__status")
    return _count(con, "measure_value")

