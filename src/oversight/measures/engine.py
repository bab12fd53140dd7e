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
whether it has data and up to when, and the lookups (`lookups.py`) which areas, periods and
breakdowns it has. The dashboards, API and report read only these tables.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from oversight import config
from oversight.measures import build_settings
from oversight.measures.catalogue import Measure, load_catalogue
from oversight.measures.finishing import finish_in_warehouse, order_values
from oversight.measures.lookups import write_lookups
from oversight.measures.periods import FY_QUARTER_START_SQL, FY_START_SQL
from oversight.measures.trust_gap import build_trust_gap
from oversight.sources.police_uk import vocab
from oversight.warehouse.connection import table_exists, transaction
from oversight.warehouse.quality import FLAG_BITS, POLICE_UK_TABLES, build_source_quality, source_label_sql

VALUE_COLUMNS = [
    "measure", "period_type", "period_start", "period_end", "area_level", "area_code", "breakdown",
    "value", "numerator", "denominator", "denominator_year", "interval_low", "interval_high",
    "sample_size", "sample_size_assumed", "suppressed", "suppression_reason",
    "spc_mean", "spc_lower", "spc_upper", "spc_signal", "spc_variation",
    "vs_year_before", "value_year_before", "not_comparable_because", "vs_average", "vs_band", "quality_flags",
    "quality_note", "source",
]

_MEASURE_VALUE_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    measure VARCHAR NOT NULL, period_type VARCHAR NOT NULL, period_start DATE NOT NULL,
    period_end DATE NOT NULL, area_level VARCHAR NOT NULL, area_code VARCHAR NOT NULL,
    breakdown VARCHAR NOT NULL, value DOUBLE, numerator DOUBLE, denominator DOUBLE,
    denominator_year INTEGER, interval_low DOUBLE, interval_high DOUBLE, sample_size DOUBLE,
    sample_size_assumed BOOLEAN, suppressed BOOLEAN NOT NULL, suppression_reason VARCHAR,
    spc_mean DOUBLE, spc_lower DOUBLE, spc_upper DOUBLE, spc_signal VARCHAR, spc_variation VARCHAR,
    vs_year_before VARCHAR, value_year_before DOUBLE, not_comparable_because VARCHAR, vs_average VARCHAR,
    vs_band VARCHAR,
    quality_flags VARCHAR[], quality_note VARCHAR, source VARCHAR
);
"""
MEASURE_VALUE_DDL = _MEASURE_VALUE_TABLE.format(name="measure_value") + """
CREATE TABLE IF NOT EXISTS measure_status (
    measure VARCHAR PRIMARY KEY, status VARCHAR NOT NULL, detail VARCHAR,
    latest_period_end DATE, first_period_end DATE, areas BIGINT, rows BIGINT,
    seconds DOUBLE, built_at TIMESTAMPTZ,
    latest_clean_period_end DATE,   -- the latest period with a published, unflagged value
    flagged_rows BIGINT             -- rows carrying a quality flag
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
    # getvariable('force') in a definition names the force of the MPS and MOPAC's own series.
    con.execute("SET VARIABLE force = ?", [config.MPS_FORCE])
    (previous_limit,) = con.execute("SELECT current_setting('memory_limit')").fetchone()  # type: ignore[misc]
    con.execute(f"SET memory_limit = '{duckdb_memory_limit()}'")
    try:
        return _build_all(con, catalogue, report, started, progress)
    finally:
        for table in ("__values", "__finished", "__base", "__monthly", "__series", "__filled", "__periods",
                      "__segments", "__qmonth", "__no_area", "__hidden", "__ordered"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"SET memory_limit = '{previous_limit}'")


DUCKDB_SHARE = 0.6
"""DuckDB's part of `build_memory_limit` while the measure SQL runs. The rest is Python's: the
interpreter with numpy, pandas and scipy (about 0.3 GB) and what the SQL hands it."""
DUCKDB_SHARE_FINISHING = 0.2
"""DuckDB's part while the statistics are computed: it then only hands out one part of the table
at a time (the rest waits on disk), and Python holds that part's numbers and relations."""


def duckdb_memory_limit(share: float = DUCKDB_SHARE) -> str:
    """DuckDB's memory limit during a build: its share of the whole build's limit. DuckDB spills
    what does not fit to its temporary directory."""
    budget = config.memory_bytes(str(config.default("build_memory_limit")))
    return f"{int(budget * share) // 10**6}MB"


def _build_all(
    con: duckdb.DuckDBPyConnection,
    catalogue: dict[str, Measure],
    report: BuildReport,
    started: float,
    progress: Callable[[str], None] | None,
) -> BuildReport:
    con.execute(f"CREATE OR REPLACE TEMP TABLE __values AS SELECT {_EMPTY_VALUES}")
    _register_vocabularies(con)
    _register_forces_without_area(con)
    build_source_quality(con)
    # Derived measures read the rows of the measure they come from, so they are built last.
    for measure in sorted(catalogue.values(), key=lambda m: m.is_derived):
        if progress:
            progress(measure.id)
        report.measures.append(_build_one(con, measure))
    report.timings["sql"] = time.perf_counter() - started
    t = time.perf_counter()
    order_values(con)
    report.timings["order"] = time.perf_counter() - t
    # The finished rows go to a table of the warehouse's own shape, which becomes `measure_value`
    # by a rename when the build succeeds: the rows are written once. A table of the file, not a
    # temporary one: DuckDB writes the rows out instead of holding them within its memory limit.
    con.execute("DROP TABLE IF EXISTS __finished")
    con.execute(_MEASURE_VALUE_TABLE.format(name="__finished"))
    con.execute(f"SET memory_limit = '{duckdb_memory_limit(DUCKDB_SHARE_FINISHING)}'")
    finish_in_warehouse(con, {m.id: m for m in catalogue.values()}, report.timings)
    con.execute(f"SET memory_limit = '{duckdb_memory_limit()}'")
    t = time.perf_counter()
    report.rows = _replace_tables(con, report)
    report.timings["write"] = time.perf_counter() - t
    t = time.perf_counter()
    build_trust_gap(con, catalogue)  # the gaps between groups in the PAS neighbourhood file (trust_gap.py)
    report.timings["trust_gap"] = time.perf_counter() - t
    report.seconds = time.perf_counter() - started
    return report


def _register_vocabularies(con: duckdb.DuckDBPyConnection) -> None:
    """The reviewable outcome groups, as tables the measure SQL can join."""
    for name, groups in (
        ("vocab_crime_outcome", vocab.crime_outcomes()),
        ("vocab_stop_search_outcome", vocab.stop_search_outcomes()),
    ):
        frame = pd.DataFrame({"outcome": list(groups), "outcome_group": list(groups.values())})
        con.register("__vocabulary", frame)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM __vocabulary")
        finally:
            con.unregister("__vocabulary")


def _register_forces_without_area(con: duckdb.DuckDBPyConnection) -> None:
    """Forces with no police force area (British Transport Police), and why, from force_area:
    their figures per resident are blank with that reason rather than silently missing."""
    source = ("SELECT force, note FROM force_area WHERE pfa_code IS NULL" if table_exists(con, "force_area")
              else "SELECT NULL::VARCHAR AS force, NULL::VARCHAR AS note WHERE false")
    con.execute(f"CREATE OR REPLACE TEMP TABLE __no_area AS {source}")


NO_AREA_NOTE = "no figure per resident: "


_EMPTY_VALUES = """
    NULL::VARCHAR AS measure, NULL::VARCHAR AS period_type, NULL::DATE AS period_start,
    NULL::DATE AS period_end, NULL::VARCHAR AS area_level, NULL::VARCHAR AS area_code,
    NULL::VARCHAR AS breakdown, NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator,
    NULL::INTEGER AS denominator_year, NULL::DOUBLE AS value, NULL::DOUBLE AS sample_size,
    NULL::BOOLEAN AS sample_size_assumed, NULL::DOUBLE AS interval_low, NULL::DOUBLE AS interval_high,
    NULL::DOUBLE AS ref_numerator, NULL::DOUBLE AS ref_denominator,
    0::INTEGER AS qbits, NULL::VARCHAR AS qreason, NULL::VARCHAR AS source,
    0::INTEGER AS seg_lo, 0::INTEGER AS seg_hi, false AS is_break
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
    # `source` names the stream each row comes from (default: the police.uk table the measure
    # reads); `for_levels` lets a row count towards some area levels only (see mps_crime_series).
    source = "source" if "source" in columns else _sql_text(_default_source(m))
    # Where every row has the one source, each group's is that one: no need to gather them.
    sources = "string_agg(DISTINCT source, ' + ' ORDER BY source)" if "source" in columns else source
    level_sql = []
    for level in m.levels:
        code = "force" if level == "force" else level
        if code not in columns:
            continue
        only = f" AND list_contains(for_levels, '{level}')" if "for_levels" in columns else ""
        sets = ", ".join(["(month, force, area_code)"] + [f"(month, force, area_code, {b})" for b in m.breakdowns])
        label = "'all'"
        for b in reversed(m.breakdowns):
            label = (f"CASE WHEN grouping({b}) = 0 THEN '{b}=' || coalesce({b}::VARCHAR, 'Not stated') "
                     f"ELSE {label} END")
        level_sql.append(
            f"""SELECT month, force, '{level}' AS area_level, area_code, {label} AS breakdown,
                       sum(numerator)::DOUBLE AS numerator, sum(denominator)::DOUBLE AS denominator,
                       {sources} AS source
                FROM (SELECT *, {code} AS area_code, {denominator} AS denominator, {source} AS source
                      FROM __base WHERE {code} IS NOT NULL{only})
                GROUP BY GROUPING SETS ({sets})"""
        )
    con.execute(f"CREATE OR REPLACE TEMP TABLE __monthly AS {' UNION ALL '.join(level_sql)}")
    _segments_and_quality(con, m)
    # Months the source covers (per force and area level: a ward file may start later than the
    # borough file): an area with no rows in such a month had zero; other months are missing.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE __series AS
        SELECT row_number() OVER () AS sid, *
        FROM (SELECT DISTINCT force, area_level, area_code, breakdown FROM __monthly)"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE __filled AS
        SELECT c.month, s.sid, c.level_id, s.force, s.area_level, s.area_code, s.breakdown,
               coalesce(x.numerator, 0) AS numerator,
               CASE WHEN x.month IS NULL THEN 0 ELSE x.denominator END AS denominator,
               c.source, c.seg, c.is_break,
               coalesce(q.bits, 0) | coalesce(qd.bits, 0) AS qbits,
               nullif(concat_ws('; ', q.reason, qd.reason), '') AS qreason
        FROM __series s JOIN __segments c USING (force, area_level)
        LEFT JOIN (SELECT date_trunc('month', month)::DATE AS month, force, area_level, area_code,
                          breakdown, numerator, denominator FROM __monthly) x
          USING (month, force, area_level, area_code, breakdown)
        LEFT JOIN __qmonth q ON q.force = s.force AND q.area_level = s.area_level AND q.month = c.month
             AND q.dimension = ''
        LEFT JOIN __qmonth qd ON qd.force = s.force AND qd.area_level = s.area_level AND qd.month = c.month
             AND qd.dimension = split_part(s.breakdown, '=', 1) AND s.breakdown <> 'all'"""
    )
    parts = []
    key = "force, area_level, area_code, breakdown"
    if "month" in m.periods:
        parts.append(
            f"""SELECT 'month' AS period_type, month AS period_start, last_day(month) AS period_end,
                       {key}, numerator, denominator, qbits, qreason, CASE WHEN qbits > 0 THEN 1 ELSE 0 END,
                       month, month, seg, seg, source, is_break FROM __filled"""
        )
    # A series has every month its force and level cover (`__filled` crosses the two), so what a
    # period's months have in common, their number, segments and sources, is worked out once per
    # force, level and period from `__segments`. Only the sums and the flags of the months are a
    # series' own: those are grouped and windowed by series number, not by four text columns.
    # Every join is on whole keys (numbers for series and for force and level), so no plan can
    # join a series' periods to every force's months first.
    # Quality of a period: the flags of its months, and a break flag when its months come from
    # more than one segment (a change of source or a declared series break).
    own = ("sum(numerator) {over} AS n, sum(denominator) {over} AS d, bit_or(qbits) {over} AS q, "
           "count(*) FILTER (WHERE qbits > 0) {over} AS qn, min(month) FILTER (WHERE qbits > 0) {over} AS qf, "
           "max(month) FILTER (WHERE qbits > 0) {over} AS ql")
    crossing = f"CASE WHEN sl <> sh THEN {FLAG_BITS['crosses_break']} ELSE 0 END"
    finished = f"n, d, q | {crossing}, NULL, qn, qf, ql, sl, sh, src, false"
    for period_type, start_sql, months in (
        ("fy_quarter", FY_QUARTER_START_SQL, 3),
        ("financial_year", FY_START_SQL, 12),
        ("calendar_year", "make_date(year(month), 1, 1)", 12),
    ):
        if period_type in m.periods:
            parts.append(
                f"""SELECT '{period_type}', period_start, period_end, {key}, {finished}
                    FROM (SELECT sid, level_id, {start_sql} AS period_start, {own.format(over="")}
                          FROM __filled GROUP BY ALL)
                    JOIN (SELECT level_id, {start_sql} AS period_start,
                                 last_day(max(month)) AS period_end, min(seg) AS sl, max(seg) AS sh,
                                 string_agg(DISTINCT source, ' + ' ORDER BY source) AS src
                          FROM __segments GROUP BY ALL HAVING count(*) = {months})
                      USING (level_id, period_start)
                    JOIN __series USING (sid)"""
            )
    if "rolling_12" in m.periods:
        # A row is kept only where all 12 months to it are covered; there, a series' last 12 rows
        # are those months, so its window counts rows (cheaper than a range of dates).
        parts.append(
            f"""SELECT 'rolling_12', (month - INTERVAL 11 MONTH)::DATE, last_day(month), {key}, {finished}
                FROM (SELECT sid, level_id, month, {own.format(over="OVER w")} FROM __filled
                      WINDOW w AS (PARTITION BY sid ORDER BY month ROWS BETWEEN 11 PRECEDING AND CURRENT ROW))
                JOIN (SELECT level_id, month, count(*) OVER w AS months, min(seg) OVER w AS sl,
                             max(seg) OVER w AS sh,
                             -- string_agg(DISTINCT) is not a window function: the first and last month's
                             CASE WHEN first(source) OVER w = source THEN source
                                  ELSE first(source) OVER w || ' + ' || source END AS src
                      FROM __segments
                      WINDOW w AS (PARTITION BY level_id ORDER BY month
                                   RANGE BETWEEN INTERVAL 11 MONTH PRECEDING AND CURRENT ROW))
                  USING (level_id, month)
                JOIN __series USING (sid)
                WHERE months = 12"""
        )
    declared = " ".join(
        f"WHEN DATE '{b}-01' > period_start AND DATE '{b}-01' <= period_end THEN {_sql_text(m.series_break_reason)}"
        for b in m.series_breaks)
    crossing_words = (f"CASE {declared} ELSE 'its months come from ' || {source_label_sql('source')} END"
                      if declared else f"'its months come from ' || {source_label_sql('source')}")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE __periods AS
        SELECT * EXCLUDE (qreason, qmonths, qfirst, qlast),
               CASE WHEN period_type = 'month' THEN qreason
                    ELSE {_PERIOD_REASON_SQL.replace('{crossing}', crossing_words)} END AS qreason
        FROM ({' UNION ALL '.join(parts)})
        AS p(period_type, period_start, period_end, force, area_level, area_code, breakdown, numerator,
             denominator, qbits, qreason, qmonths, qfirst, qlast, seg_lo, seg_hi, source, is_break)"""
    )
    if m.unit == "rate_per_1000":
        _attach_population(con, m)
    else:
        con.execute("ALTER TABLE __periods ADD COLUMN denominator_year INTEGER")
    con.execute(
        """INSERT INTO __values BY NAME
        SELECT ? AS measure, period_type, period_start, period_end, area_level, area_code, breakdown,
               numerator, denominator, denominator_year, qbits, qreason, source, seg_lo, seg_hi, is_break
        FROM __periods""",
        [m.id],
    )


# Words for a period's flags: which problems, in how many of its months, from when to when.
_PERIOD_REASON_SQL = f"""nullif(concat_ws('; ',
    CASE WHEN qbits & {FLAG_BITS['incomplete'] | FLAG_BITS['not_recorded'] | FLAG_BITS['low_coverage']} > 0 THEN
        concat_ws(', ', CASE WHEN qbits & {FLAG_BITS['incomplete']} > 0 THEN 'incomplete' END,
                        CASE WHEN qbits & {FLAG_BITS['not_recorded']} > 0 THEN 'not recorded' END,
                        CASE WHEN qbits & {FLAG_BITS['low_coverage']} > 0 THEN 'low coverage' END)
        || ' in ' || qmonths || CASE WHEN qmonths = 1 THEN ' month (' ELSE ' of its months (' END
        || strftime(qfirst, '%b %Y') || CASE WHEN qlast > qfirst THEN ' to ' || strftime(qlast, '%b %Y') ELSE '' END
        || ')' END,
    CASE WHEN qbits & {FLAG_BITS['crosses_break']} > 0 THEN
        'spans a break in the series, so it is not comparable with periods on either side: ' || {{crossing}} END
), '')"""


def _default_source(m: Measure) -> str | None:
    return next((t for t in m.requires if t in POLICE_UK_TABLES.values()), None)


def _sql_text(value: str | None) -> str:
    return "NULL::VARCHAR" if value is None else "'" + value.replace("'", "''") + "'"


def _segments_and_quality(con: duckdb.DuckDBPyConnection, m: Measure) -> None:
    """Per force, area level and covered month: its source, its segment (a new one starts where
    the source changes or at a declared series break) and the quality flags of its source month
    (`__qmonth`, per breakdown dimension: '' for flags on every row)."""
    declared = "[" + ", ".join(f"DATE '{b}-01'" for b in m.series_breaks) + "]::DATE[]"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE __segments AS
        WITH level_month AS (
            SELECT force, area_level, date_trunc('month', month)::DATE AS month,
                   string_agg(DISTINCT source, ' + ' ORDER BY source) AS source
            FROM __monthly WHERE breakdown = 'all' GROUP BY ALL
        ), marked AS (
            SELECT *, lag(source) OVER (PARTITION BY force, area_level ORDER BY month) AS previous,
                      row_number() OVER (PARTITION BY force, area_level ORDER BY month) > 1 AS has_previous
            FROM level_month
        )
        SELECT force, area_level, month, source,
               has_previous AND (previous IS DISTINCT FROM source OR list_contains({declared}, month)) AS is_break,
               sum((has_previous AND (previous IS DISTINCT FROM source OR list_contains({declared}, month)))::INT)
                   OVER (PARTITION BY force, area_level ORDER BY month) AS seg,
               -- a number for the force and level, by which the periods' joins find their months
               dense_rank() OVER (ORDER BY force, area_level) AS level_id
        FROM marked"""
    )
    fields = [f"'{f}'" for f in m.quality_fields]
    dimensions = [f"'{b}'" for b in m.breakdowns]
    bits = " + ".join(f"CASE WHEN flag = '{flag}' THEN {bit} ELSE 0 END" for flag, bit in FLAG_BITS.items())
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE __qmonth AS
        WITH matched AS (
            SELECT s.force, s.area_level, s.month, q.flag, q.reason,
                   CASE WHEN q.field IS NULL OR list_contains([{', '.join(fields)}]::VARCHAR[], q.field) THEN ''
                        ELSE q.field END AS dimension
            FROM __segments s
            JOIN source_quality q ON q.force = s.force AND q.month = s.month
             AND list_contains(string_split(s.source, ' + '), q.source)
            WHERE (q.levels IS NULL OR list_contains(q.levels, s.area_level))
              AND (q.field IS NULL OR list_contains([{', '.join(fields + dimensions)}]::VARCHAR[], q.field))
        )
        SELECT force, area_level, month, dimension, bit_or({bits}) AS bits,
               string_agg(DISTINCT reason, '; ' ORDER BY reason) AS reason
        FROM matched GROUP BY ALL"""
    )


def _attach_population(con: duckdb.DuckDBPyConnection, m: Measure) -> None:
    """Denominator = residents of the area (and group) at the census nearest the period; none
    for a force without an area, whose rows say why."""
    group = (
        f"CASE WHEN p.breakdown LIKE '{m.population_breakdown}=%' "
        f"THEN split_part(p.breakdown, '=', 2) ELSE 'All' END"
        if m.population_breakdown else "'All'"
    )
    middle = "year(p.period_start + to_days(((p.period_end - p.period_start) // 2)::INTEGER))"
    census = f"CASE WHEN {middle} >= {sum(CENSUS_YEARS) // 2} THEN {CENSUS_YEARS[1]} ELSE {CENSUS_YEARS[0]} END"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE __periods AS
        SELECT p.* EXCLUDE (denominator, qreason), g.residents::DOUBLE AS denominator,
               {census} AS denominator_year,
               CASE WHEN n.force IS NULL THEN p.qreason
                    ELSE concat_ws('; ', p.qreason, '{NO_AREA_NOTE}' || n.note) END AS qreason
        FROM __periods p
        LEFT JOIN __no_area n ON n.force = p.force
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
    if m.unit == "percentage_points" and m.reference:
        _build_partner_gaps(con, m)
        return
    con.execute(
        """INSERT INTO __values BY NAME
        SELECT measure, period_type, period_start, period_end, area_level, area_code, breakdown,
               numerator, denominator, value, sample_size
        FROM partner_value WHERE measure = ?""",
        [m.id],
    )


def _build_partner_gaps(con: duckdb.DuckDBPyConnection, m: Measure) -> None:
    """A gap measure with a `reference` (trust_gap_ethnicity): the partner sends each group's survey
    proportion (`value`, 0-1) with its effective `sample_size`, and the reference group's row; the
    gap, group minus reference, gets its Newcombe interval in `finishing` (respondents = value x
    sample size, which a weighted survey makes fractional). A group without a reference row, a
    sample size or a proportion from 0 to 1 has no figure."""
    con.execute(
        """INSERT INTO __values BY NAME
        SELECT measure, period_type, period_start, period_end, area_level, area_code, breakdown,
               CASE WHEN usable THEN value * sample_size END AS numerator,
               CASE WHEN usable THEN sample_size END AS denominator,
               CASE WHEN usable THEN x_value * x_size END AS ref_numerator,
               CASE WHEN usable THEN x_size END AS ref_denominator,
               sample_size
        FROM (SELECT g.*, x.value AS x_value, x.sample_size AS x_size,
                     coalesce(g.value BETWEEN 0 AND 1 AND g.sample_size > 0 AND x.value BETWEEN 0 AND 1
                              AND x.sample_size > 0, false) AS usable
              FROM partner_value g LEFT JOIN partner_value x
                ON x.measure = g.measure AND x.period_start = g.period_start AND x.period_end = g.period_end
               AND x.area_level = g.area_level AND x.area_code = g.area_code AND x.breakdown = $reference
              WHERE g.measure = $measure AND g.breakdown <> $reference)""",
        {"measure": m.id, "reference": m.reference},
    )


# A derived figure carries the flags of both figures it is computed from, and their segments.
_INHERITED_QUALITY = """g.qbits | x.qbits AS qbits, coalesce(g.qreason, x.qreason) AS qreason, g.source,
       least(g.seg_lo, x.seg_lo) AS seg_lo, greatest(g.seg_hi, x.seg_hi) AS seg_hi, g.is_break"""


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
                   g.denominator, g.denominator_year, g.numerator AS ref_numerator,
                   {_INHERITED_QUALITY}
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
               x.numerator AS ref_numerator, x.denominator AS ref_denominator,
               {_INHERITED_QUALITY}
        FROM __values g JOIN __values x {same} AND x.breakdown = $reference
        WHERE {scope} AND g.breakdown <> $reference
          AND ((g.denominator > 0 AND x.denominator > 0)
               -- a force without an area gets blank ratios that say why (see _attach_population)
               OR (g.area_level = 'force' AND g.area_code IN (SELECT force FROM __no_area)))""",
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
    try:
        with transaction(con):
            # Recreated, not emptied: a warehouse built by an earlier version may lack new columns.
            con.execute("DROP TABLE IF EXISTS measure_value")
            con.execute("DROP TABLE IF EXISTS measure_status")
            con.execute("ALTER TABLE __finished RENAME TO measure_value")
            con.execute(MEASURE_VALUE_DDL)
            con.execute(
                """INSERT INTO measure_status
                SELECT s.measure, s.status, s.detail, v.latest, v.first, v.areas, coalesce(v.rows, 0),
                       s.seconds, now(), v.latest_clean, coalesce(v.flagged, 0)
                FROM __status s LEFT JOIN (
                    SELECT measure, max(period_end) AS latest, min(period_end) AS first,
                           count(DISTINCT (area_level, area_code)) AS areas, count(*) AS rows,
                           max(period_end) FILTER (WHERE len(quality_flags) = 0 AND value IS NOT NULL
                                                   AND NOT suppressed) AS latest_clean,
                           count(*) FILTER (WHERE len(quality_flags) > 0) AS flagged
                    FROM measure_value GROUP BY measure) v USING (measure)"""
            )
            write_lookups(con)
            build_settings.record(con)
    finally:
        con.unregister("__status")
    return _count(con, "measure_value")

