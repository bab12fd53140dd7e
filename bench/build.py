"""Measures-engine benchmark: `oversight build` against one DuckDB scan and pandas.

    python bench/build.py                   # 20 million street-crime rows over 36 months
    python bench/build.py --rows 1000000    # a quick run

The input is a synthetic national-scale warehouse generated once per (rows, months, seed) from
real distributions (see bench/_synth_warehouse.py) and reused on later runs; its generation
time is reported but not counted. Each round builds in a fresh copy of it. Three contenders
run in turn, each in its own child process, so that each peak memory figure (the child's RSS
high-water mark, from wait4) belongs to that contender alone:

  scan      one DuckDB GROUP BY of street_crime joined to the rows of street_crime_place placed
            in the force area, by month, force, ward, borough, BCU and crime type, into a
            temporary table: reading and joining the rows once, which any build has to do. The
            practical limit.
  oversight build() with the catalogue cut to the two measures the pandas version implements,
            street_crime_total and antisocial_behaviour: roll-ups to force, BCU, borough and
            ward, zero-filling, months, financial-year quarters, financial and calendar years
            and rolling 12 months, intervals, year-before verdicts, suppression, SPC, and the
            write of measure_value. Its own phase timings are printed.
  pandas    the same two measures as an analyst would write them: both tables read into
            DataFrames, merged, grouped per level and breakdown, zero-filled, periods by
            groupby and rolling sums, then the engine's rules with the same oversight.stats
            functions: incomplete source months flagged (expected_volumes) and kept out of
            comparisons and SPC, Poisson intervals, the binomial year-before test with each
            series' overdispersion, secondary suppression (protect_measure_values),
            classify_points per monthly series over its last unflagged months; and a write of
            the result to a table in the same warehouse.

Every contender opens the warehouse with oversight.warehouse.connect (memory limit as
configured there) and is timed from opening it to closing it; "cpu" is the child's user +
system time. The warehouse file is read once beforehand so that all three find it in the page
cache. Afterwards the engine's measure_value and the pandas table are compared row by row.
On a shared machine wall times vary from run to run; --repeat N keeps each one's fastest.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))  # for _synth_warehouse when run from elsewhere

import _synth_warehouse  # noqa: E402

DEFAULT_ROWS = 20_000_000
DEFAULT_MONTHS = 36
DEFAULT_SEED = 20240601
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "oversight-bench-build"

MEASURES = ("street_crime_total", "antisocial_behaviour")
ASB = "Anti-social behaviour"

# The goals this benchmark checks.
GOAL_SECONDS = 25.0  # a full rebuild within 25 s ...
GOAL_AT_ROWS = 20_000_000  # ... at national scale
GOAL_VS_PANDAS = 8.0  # at least 8 times as fast as the pandas version
GOAL_VS_SCAN = 2.0  # at most twice the single scan
GOAL_PEAK_BYTES = 2 * 2**30  # within 2 GiB

CONTENDERS = ("scan", "oversight", "pandas")
PANDAS_TABLE = "bench_pandas_value"

SCAN_SQL = """
CREATE OR REPLACE TEMP TABLE __scan AS
SELECT c.month, c.force, p.ward_code, p.borough_code, p.bcu_code, c.crime_type, count(*) AS n
FROM street_crime c
LEFT JOIN street_crime_place p
  ON p.source_file = c.source_file AND p.source_line = c.source_line AND p.status = 'located'
GROUP BY ALL
"""


# --- contenders (each runs in a child process) ----------------------------------------------

def _open(db: Path, memory_limit: str | None = None):  # type: ignore[no-untyped-def]
    from oversight.warehouse import connect

    con = connect(db)
    con.execute("SET enable_progress_bar = false")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    return con


def _catalogue() -> dict:
    from oversight.measures.catalogue import load_catalogue

    catalogue = load_catalogue()
    return {k: catalogue[k] for k in MEASURES}


def run_scan(db: Path, memory_limit: str | None) -> dict:
    start = time.perf_counter()
    con = _open(db, memory_limit)
    con.execute(SCAN_SQL)
    groups, rows = con.execute("SELECT count(*), sum(n) FROM __scan").fetchall()[0]
    con.close()
    return {"seconds": time.perf_counter() - start, "groups": int(groups), "rows_scanned": int(rows)}


def run_oversight(db: Path, memory_limit: str | None) -> dict:
    from oversight.measures.engine import build

    start = time.perf_counter()
    con = _open(db, memory_limit)
    report = build(con, _catalogue())
    con.close()
    seconds = time.perf_counter() - start
    failed = [m for m in report.measures if m.status != "ok"]
    if failed:
        return {"error": f"{failed[0].measure} is {failed[0].status}: {failed[0].detail}"}
    return {"seconds": seconds, "build_seconds": report.seconds, "timings": report.timings,
            "values": report.rows, "measures": {m.measure: m.seconds for m in report.measures}}


def run_pandas(db: Path, memory_limit: str | None) -> dict:
    start = time.perf_counter()
    con = _open(db, memory_limit)
    timings: dict[str, float] = {}
    values = build_with_pandas(con, _catalogue(), timings)
    con.close()
    return {"seconds": time.perf_counter() - start, "timings": timings, "values": values}


# --- the pandas baseline: the same measures, written as an analyst would -----------------------

LEVELS = (("force", "force"), ("bcu", "bcu_code"), ("borough", "borough_code"), ("ward", "ward_code"))
SERIES = ["force", "area_level", "area_code", "breakdown"]
MEASURE_SERIES = ["measure", "area_level", "area_code", "breakdown"]
PERIODS = (("fy_quarter", "Q-MAR", 3), ("financial_year", "Y-MAR", 12), ("calendar_year", "Y-DEC", 12))
OUTPUT = [
    "measure", "period_type", "period_start", "period_end", "area_level", "area_code", "breakdown",
    "value", "numerator", "interval_low", "interval_high", "suppressed", "suppression_reason",
    "spc_mean", "spc_lower", "spc_upper", "spc_signal", "spc_variation", "vs_year_before", "vs_average",
]


def build_with_pandas(con, measures: dict, timings: dict[str, float]) -> int:  # type: ignore[no-untyped-def]
    """Both measures with pandas; DuckDB only as the place the tables are read from and written to.

    Writes table bench_pandas_value with the columns of measure_value that a count measure
    fills, and returns its row count. `timings` gets the seconds of each step."""
    import numpy as np
    import pandas as pd

    from oversight import config
    from oversight.measures.finishing import HIDDEN_WITH_OTHERS
    from oversight.stats import classify_points, compare_counts, dispersion_by_series, poisson_interval
    from oversight.stats.compare import ABOVE_AVERAGE, BELOW_AVERAGE, IN_LINE_WITH_AVERAGE, NOT_COMPARABLE
    from oversight.stats.measure_relations import protect_measure_values
    from oversight.warehouse.quality import expected_volumes

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = timings.get(name, 0.0) + now - since
        return now

    t = time.perf_counter()
    crimes = con.execute("SELECT source_file, source_line, force, month, crime_type FROM street_crime").df()
    places = con.execute(
        "SELECT source_file, source_line, bcu_code, borough_code, ward_code, status FROM street_crime_place"
    ).df()
    t = lap("read", t)

    # A force's month with far fewer records than usual is incomplete (docs/methods.md): its
    # figures, and every period that contains it, are kept out of comparisons, phi and SPC. The
    # other flags do not arise here: the warehouse has no place_coverage (low coverage) and no
    # street_crime field is checked for being recorded; with one source and no declared series
    # break, every period lies in one segment.
    volume = crimes.groupby(["force", "month"]).size().rename("n").reset_index().sort_values(["force", "month"])
    short = [g.loc[expected_volumes(g["n"].to_numpy(float))[1]] for _, g in volume.groupby("force")]
    incomplete = pd.MultiIndex.from_frame(pd.concat(short)[["force", "month"]])
    t = lap("quality", t)
    # Only rows placed inside the force area have a BCU, borough and ward.
    places = places[places["status"] == "located"].drop(columns="status")
    records = crimes.merge(places, on=["source_file", "source_line"], how="left")
    del crimes, places
    t = lap("merge", t)

    frames = []
    for m in measures.values():
        rows = records[records["crime_type"] == ASB] if m.id == "antisocial_behaviour" else records

        # Monthly counts per level and breakdown; rows without an area code at a level are
        # left out of that level only.
        monthly = []
        for level, column in LEVELS:
            if level not in m.levels:
                continue
            located = rows[rows[column].notna()]
            for breakdown in [None, *m.breakdowns]:
                keys = ["month", "force"] + ([] if column == "force" else [column]) + ([breakdown] if breakdown else [])
                counts = located.groupby(keys, dropna=False).size().reset_index(name="numerator")
                counts["area_level"] = level
                counts["area_code"] = counts[column]
                if breakdown:
                    counts["breakdown"] = breakdown + "=" + counts[breakdown].fillna("Not stated").astype(str)
                else:
                    counts["breakdown"] = "all"
                monthly.append(counts[["month", *SERIES, "numerator"]])
        monthly = pd.concat(monthly, ignore_index=True)
        t = lap("group", t)

        # Every series gets every month its force has data for at its level; a month without
        # rows is zero.
        coverage = monthly[["force", "area_level", "month"]].drop_duplicates()
        series = monthly[SERIES].drop_duplicates()
        filled = series.merge(coverage, on=["force", "area_level"]).merge(monthly, on=["month", *SERIES], how="left")
        filled["numerator"] = filled["numerator"].fillna(0).astype(float)
        filled["flagged_months"] = pd.MultiIndex.from_frame(filled[["force", "month"]]).isin(incomplete).astype(float)
        filled = filled.sort_values([*SERIES, "month"], ignore_index=True)

        periods = []
        if "month" in m.periods:
            periods.append(filled.assign(period_type="month", period_start=filled["month"],
                                         period_end=filled["month"] + pd.offsets.MonthEnd(0)))
        for period_type, freq, months in PERIODS:
            if period_type not in m.periods:
                continue
            summed = (
                filled.assign(period=filled["month"].dt.to_period(freq))
                .groupby([*SERIES, "period"])
                .agg(numerator=("numerator", "sum"), flagged_months=("flagged_months", "sum"),
                     months=("numerator", "size"), last=("month", "max"))
                .reset_index()
            )
            summed = summed[summed["months"] == months]  # complete periods only
            periods.append(summed.assign(period_type=period_type, period_start=summed["period"].dt.start_time,
                                         period_end=summed["last"] + pd.offsets.MonthEnd(0)))
        if "rolling_12" in m.periods:
            rolled = filled.groupby(SERIES, sort=False)[["numerator", "flagged_months"]].rolling(12).sum()
            rolled = rolled.reset_index(level=SERIES, drop=True)
            rolling = filled.assign(numerator=rolled["numerator"], flagged_months=rolled["flagged_months"])
            # Twelve rows are twelve months only if no month is missing in between.
            index = rolling["month"].dt.year * 12 + rolling["month"].dt.month
            span = index - index.groupby([rolling[c] for c in SERIES], sort=False).shift(11)
            rolling = rolling[span == 11]
            periods.append(rolling.assign(period_type="rolling_12",
                                          period_start=rolling["month"] - pd.DateOffset(months=11),
                                          period_end=rolling["month"] + pd.offsets.MonthEnd(0)))
        frame = pd.concat(
            [p[["period_type", "period_start", "period_end", *SERIES, "numerator", "flagged_months"]]
             for p in periods],
            ignore_index=True,
        )
        frame.insert(0, "measure", m.id)
        frames.append(frame)
        t = lap("fill_and_periods", t)
    frame = pd.concat(frames, ignore_index=True)
    frame["flagged"] = frame.pop("flagged_months") > 0
    del records, frames
    t = lap("fill_and_periods", t)

    # Exact Poisson interval of each count.
    frame["value"], frame["interval_low"], frame["interval_high"] = poisson_interval(frame["numerator"].to_numpy())
    t = lap("intervals", t)

    # Counts vary more than Poisson: phi of each series (measure, area, breakdown), estimated from
    # its unflagged monthly counts, widens the year-before test of every period of the series.
    series_id = frame.groupby(MEASURE_SERIES, sort=False).ngroup().to_numpy()
    months = np.flatnonzero(frame["period_type"].to_numpy() == "month")
    months = months[np.lexsort((frame["period_start"].to_numpy()[months], series_id[months]))]
    unflagged = np.where(frame["flagged"], np.nan, frame["numerator"])
    phi_of_series = dispersion_by_series(series_id[months], unflagged[months])
    phi = np.ones(len(frame))
    known = series_id < phi_of_series.size
    phi[known] = phi_of_series[series_id[known]]

    # The same period a year before (for rolling 12 months, the 12 months before); "not
    # comparable" where either period is flagged.
    key = ["measure", "period_type", "area_level", "area_code", "breakdown", "period_start"]
    before = frame[key + ["numerator", "flagged"]].copy()
    before["period_start"] = before["period_start"] + pd.DateOffset(years=1)
    joined = frame[key + ["numerator", "flagged"]].merge(before, on=key, how="left", suffixes=("", "_before"))
    has = joined["numerator_before"].notna().to_numpy()
    verdict = np.full(len(frame), None, dtype=object)
    verdict[has] = compare_counts(joined["numerator"].to_numpy()[has], joined["numerator_before"].to_numpy()[has],
                                  dispersion=phi[has])
    either_flagged = frame["flagged"].to_numpy() | joined["flagged_before"].eq(True).to_numpy()
    verdict[has & either_flagged] = NOT_COMPARABLE
    frame["vs_year_before"] = verdict
    t = lap("comparisons", t)

    below = int(config.default("suppress_below"))
    frame["suppressed"] = frame["numerator"] < below
    frame["suppression_reason"] = np.where(frame["suppressed"], f"fewer than {below} records", None)
    # Secondary suppression: further figures hidden so that no suppressed count can be worked out
    # by adding and subtracting published ones (area nesting from the area table, where there is one).
    setting = config.default("secondary_suppression")
    if setting != "off":
        areas = pd.DataFrame(columns=["level", "code", "parent_level", "parent_code"])
        if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'area'").fetchall()[0][0]:
            areas = con.execute("SELECT level, code, parent_level, parent_code FROM area").df()
        for _, rows in frame.groupby("measure", sort=False):
            # A fixed order, as the engine's: where cells tie, it decides which one is hidden.
            rows = rows.sort_values(["period_type", "period_end", "area_level", "area_code", "breakdown"])
            hidden = rows.index[protect_measure_values(rows.reset_index(drop=True), areas, exact=setting == "exact")]
            frame.loc[hidden, "suppressed"] = True
            frame.loc[hidden, "suppression_reason"] = HIDDEN_WITH_OTHERS
    t = lap("suppression", t)

    # SPC on every monthly series except ward by breakdown, one classify_points call each, over
    # its unflagged months in the `spc_window_months` up to its last unflagged one. A series with
    # a suppressed month there gets no limits: its mean would give the hidden count back.
    monthly = frame[
        (frame["period_type"] == "month") & ((frame["breakdown"] == "all") | (frame["area_level"] != "ward"))
        & ~frame["flagged"]
    ]
    last = monthly.groupby(MEASURE_SERIES, sort=False)["period_start"].transform("max")
    window = pd.DateOffset(months=int(config.default("spc_window_months")))
    monthly = monthly[monthly["period_start"] > last - window].sort_values("period_start")
    found = []
    by_series = monthly.groupby(MEASURE_SERIES, sort=False)
    for (measure_id, _, _, _), series in by_series:
        if series["suppressed"].any():
            continue
        m = measures[measure_id]
        starts = series["period_start"].dt.strftime("%Y-%m").tolist()
        breaks = [starts.index(b) for b in m.series_breaks if b in starts]
        result = classify_points(series["value"].to_numpy(float), m.polarity, breaks=breaks)
        result.index = series.index
        found.append(result[["mean", "lower_limit", "upper_limit", "signal", "variation"]])
    spc = pd.concat(found).rename(columns={"mean": "spc_mean", "lower_limit": "spc_lower", "upper_limit": "spc_upper",
                                           "signal": "spc_signal", "variation": "spc_variation"})
    frame = frame.join(spc)
    value, lower, upper = (frame[c].to_numpy(float) for c in ("value", "spc_lower", "spc_upper"))
    frame["vs_average"] = np.where(
        np.isnan(upper), None,
        np.where(value > upper, ABOVE_AVERAGE, np.where(value < lower, BELOW_AVERAGE, IN_LINE_WITH_AVERAGE)),
    )
    t = lap("spc", t)

    frame = frame[OUTPUT]
    con.register("__pandas_value", frame)
    con.execute(f"CREATE OR REPLACE TABLE {PANDAS_TABLE} AS SELECT * FROM __pandas_value")
    con.unregister("__pandas_value")
    lap("write", t)
    return len(frame)


def _child(args: argparse.Namespace) -> None:
    import duckdb

    db = Path(args.db)
    runs = {"scan": run_scan, "oversight": run_oversight, "pandas": run_pandas}
    start = time.perf_counter()
    try:
        result = runs[args.contender](db, args.memory_limit)
    except duckdb.OutOfMemoryException as exc:
        result = {"error": str(exc).splitlines()[0]}
    result.setdefault("seconds", time.perf_counter() - start)
    print(json.dumps(result), flush=True)


def generated(workdir: Path, rows: int, months: int, seed: int) -> _synth_warehouse.Warehouse:
    """The synthetic warehouse for (rows, months, seed), generated in a child process if it is not
    there yet: a child forked later from a parent that had grown to the generator's size would
    report that size as its own peak (Linux carries the RSS high-water mark over)."""
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--generate-only", "--rows", str(rows),
                    "--months", str(months), "--seed", str(seed), "--workdir", str(workdir)], check=True)
    return _synth_warehouse.generate(workdir, rows, months, seed)  # made now: reused


def measure(name: str, db: Path, memory_limit: str | None) -> dict:
    """Run one contender in a child process; its result plus the child's peak RSS and cpu."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--contender", name, "--db", str(db)]
    if memory_limit:
        cmd += ["--memory-limit", memory_limit]
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = child.stdout.read()  # type: ignore[union-attr]
    child.stdout.close()  # type: ignore[union-attr]
    _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage, not all children's
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{name} failed (exit {code})")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_bytes"] = usage.ru_maxrss * 1024  # Linux reports KiB
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    return result


# --- agreement of the engine and pandas ----------------------------------------------------

COMPARED = (
    ("numerator", "number"), ("value", "number"), ("interval_low", "number"), ("interval_high", "number"),
    ("suppressed", "exact"), ("suppression_reason", "exact"), ("vs_year_before", "exact"),
    ("spc_mean", "number"), ("spc_lower", "number"), ("spc_upper", "number"), ("spc_signal", "exact"),
    ("spc_variation", "exact"), ("vs_average", "exact"),
)


def agreement(db: Path) -> tuple[dict, list[tuple]]:
    """Rows only one side has, mismatches per column over all rows, and a sample side by side."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET enable_progress_bar = false")
    listed = ", ".join(f"'{m}'" for m in MEASURES)
    key = ("measure", "period_type", "period_start", "area_level", "area_code", "breakdown")
    on = " AND ".join(f"e.{k} = p.{k}" for k in key)

    def differs(column: str, kind: str) -> str:
        e, p = f"e.{column}", f"p.{column}"
        if kind == "exact":
            return f"{e} IS DISTINCT FROM {p}"
        return f"NOT ({e} IS NOT DISTINCT FROM {p} OR abs({e} - {p}) <= 1e-9 * greatest(1, abs({e})))"

    counts = ", ".join(
        f"count(*) FILTER (WHERE e.measure IS NOT NULL AND p.measure IS NOT NULL AND {differs(c, k)}) AS {c}"
        for c, k in COMPARED
    )
    row = con.execute(
        f"""SELECT count(*) FILTER (WHERE p.measure IS NULL) AS only_engine,
                   count(*) FILTER (WHERE e.measure IS NULL) AS only_pandas,
                   count(*) FILTER (WHERE e.measure IS NOT NULL AND p.measure IS NOT NULL) AS both_sides,
                   {counts}
        FROM (SELECT * FROM measure_value WHERE measure IN ({listed})) e
        FULL JOIN {PANDAS_TABLE} p ON {on}"""
    ).fetchall()[0]
    names = ["only_engine", "only_pandas", "both_sides", *(c for c, _ in COMPARED)]
    result = dict(zip(names, (int(v) for v in row), strict=False))

    # The sample: the first force and its first borough, the force's latest unflagged month (a
    # flagged one has neither a verdict nor SPC to compare) and the rolling 12 months to it,
    # for everything and for one crime type, and anti-social behaviour for the force.
    force, borough = con.execute(
        """SELECT force, borough_code FROM street_crime_place WHERE status = 'located'
        ORDER BY month, force, source_line LIMIT 1"""
    ).fetchall()[0]
    (latest,) = con.execute(
        """SELECT max(period_end) FROM measure_value WHERE period_type = 'month' AND area_level = 'force'
        AND area_code = ? AND len(quality_flags) = 0""", [force]).fetchall()[0]
    sample = con.execute(
        f"""SELECT e.measure, e.period_type, strftime(e.period_end, '%Y-%m') AS period_end, e.area_level,
                   e.area_code, e.breakdown, e.numerator, p.numerator, e.vs_year_before, p.vs_year_before,
                   e.spc_variation, p.spc_variation
        FROM measure_value e JOIN {PANDAS_TABLE} p ON {on}
        WHERE e.period_end = ? AND e.period_type IN ('month', 'rolling_12')
          AND ((e.measure = 'street_crime_total' AND e.area_code IN (?, ?)
                AND e.breakdown IN ('all', 'crime_type=Burglary'))
               OR (e.measure = 'antisocial_behaviour' AND e.area_code = ?))
        ORDER BY e.measure DESC, e.area_level DESC, e.breakdown, e.period_type""",
        [latest, force, borough, force],
    ).fetchall()
    # Whole-table cross-check against the raw rows: the force totals add up to the input.
    (months_total,) = con.execute(
        """SELECT sum(numerator) FROM measure_value WHERE measure = 'street_crime_total'
        AND period_type = 'month' AND area_level = 'force' AND breakdown = 'all'"""
    ).fetchall()[0]
    result["force_months_total"] = int(months_total)
    con.close()
    return result, sample


# --- report ---------------------------------------------------------------------------------

def _gib(n: float) -> str:
    return f"{n / (1 << 30):.2f} GiB"


def _line(label: str, r: dict, rows: int, tail: str = "") -> str:
    rate = rows / r["seconds"]
    return (f"{label:<22}{r['seconds']:7.1f} s, {rate / 1e6:5.2f} M rows/s, "
            f"peak {_gib(r['peak_bytes'])}, cpu {r['cpu_seconds']:4.0f} s{tail}")


def _warm(path: Path) -> None:
    with open(path, "rb") as handle:
        while handle.read(1 << 23):
            pass


def _phases(timings: dict[str, float]) -> str:
    total = sum(timings.values())
    slowest = max(timings, key=timings.get)  # type: ignore[arg-type]
    parts = ", ".join(f"{k} {v:.1f} s ({v / total:.0%})" for k, v in timings.items())
    return f"{parts}; slowest: {slowest}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="street-crime rows (default 20,000,000)")
    parser.add_argument("--months", type=int, default=DEFAULT_MONTHS, help="months of data (default 36)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help=f"where the warehouses go (default {DEFAULT_WORKDIR}); the generated one is reused")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the synthetic counts")
    parser.add_argument("--only", default=",".join(CONTENDERS),
                        help="comma-separated contenders to run (scan, oversight, pandas)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds to run; each contender keeps its fastest (default 1)")
    parser.add_argument("--memory-limit", metavar="SIZE",
                        help="DuckDB memory_limit for every contender, e.g. 1GB (default: the warehouse's own, "
                             "oversight.warehouse.connection.MEMORY_LIMIT)")
    parser.add_argument("--contender", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.contender:
        _child(args)
        return
    if args.generate_only:
        args.workdir.mkdir(parents=True, exist_ok=True)
        _synth_warehouse.generate(args.workdir, args.rows, args.months, args.seed, log=lambda m: print(m, flush=True))
        return

    chosen = [c for c in args.only.split(",") if c]
    unknown = [c for c in chosen if c not in CONTENDERS]
    if unknown:
        parser.error(f"unknown contender {unknown[0]!r}; choose from {', '.join(CONTENDERS)}")
    if args.rows < 1 or args.months < 1:
        parser.error("--rows and --months must be at least 1")
    data = generated(args.workdir, args.rows, args.months, args.seed)

    import duckdb
    import pandas

    size = data.path.stat().st_size
    print(f"input: {data.rows:,} street-crime rows, {data.months} months {data.first_month} .. {data.last_month}, "
          f"{data.forces} forces, {data.lsoas:,} LSOAs, {data.wards:,} wards, {data.boroughs} boroughs, "
          f"{data.bcus} BCUs, {data.unlocated:,} rows without a location; warehouse {size / 1e9:.2f} GB; "
          f"seed {args.seed}; generated in {data.seconds:.0f} s{' (reused)' if data.reused else ''} (not counted)")
    rounds = "one round" if args.repeat == 1 else f"fastest of {args.repeat} rounds"
    from oversight.warehouse.connection import MEMORY_LIMIT

    limit = args.memory_limit or f"{MEMORY_LIMIT} (the warehouse default)"
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, duckdb {duckdb.__version__}, "
          f"pandas {pandas.__version__}; DuckDB memory_limit {limit}; warehouse in the page cache; "
          f"each contender in its own process, {rounds}", flush=True)

    run_db = args.workdir / "run.duckdb"
    results: dict[str, dict] = {}
    seconds: dict[str, list[float]] = {}
    failures: dict[str, dict] = {}
    for _ in range(args.repeat):
        _synth_warehouse.copy_of(data, run_db)
        _warm(run_db)
        for name in CONTENDERS:
            if name not in chosen or name in failures:
                continue
            r = measure(name, run_db, args.memory_limit)
            if "error" in r:
                failures[name] = r
                results.pop(name, None)
                continue
            seconds.setdefault(name, []).append(r["seconds"])
            best = results.get(name)
            if best is None or r["seconds"] < best["seconds"]:
                r["peak_bytes"] = max(r["peak_bytes"], best["peak_bytes"] if best else 0)
                results[name] = r
            else:
                best["peak_bytes"] = max(best["peak_bytes"], r["peak_bytes"])

    rows = data.rows
    scan, ours, pd_ = results.get("scan"), results.get("oversight"), results.get("pandas")
    if scan:
        print(_line("duckdb single scan:", scan, rows, f"  ({scan['groups']:,} groups)"))
    if ours:
        tail = f"  -> {ours['seconds'] / scan['seconds']:.1f}x the scan" if scan else ""
        print(_line("oversight build:", ours, rows, f"{tail}  ({ours['values']:,} values)"))
    if pd_:
        tail = f"  -> ours is {pd_['seconds'] / ours['seconds']:.2f}x as fast" if ours else ""
        print(_line("pandas same measures:", pd_, rows, f"{tail}  ({pd_['values']:,} values)"))
    for name, r in failures.items():
        print(f"{name:<22}FAILED after {r['seconds']:.1f} s, peak {_gib(r['peak_bytes'])}: {r['error']}")
    if ours:
        phases = dict(ours["timings"])
        # build() times each of its phases; what it does between them (setting memory limits,
        # registering the catalogue, dropping work tables) is left over.
        phases["untimed"] = max(0.0, ours["build_seconds"] - sum(ours["timings"].values()))
        print(f"oversight phases: {_phases(phases)}")
        per = ", ".join(f"{k} {v:.1f} s" for k, v in ours["measures"].items())
        print(f"  (untimed = build()'s work between its timed phases; sql per measure: {per}; "
              f"build() {ours['build_seconds']:.1f} s, the rest is opening and closing the warehouse)")
    if pd_:
        print(f"pandas phases: {_phases(pd_['timings'])}")
    if args.repeat > 1:
        print("rounds (s): " + "; ".join(
            f"{name} " + ", ".join(f"{t:.1f}" for t in times) for name, times in seconds.items()))
    if scan and scan["rows_scanned"] != rows:
        print(f"WARNING: the scan counted {scan['rows_scanned']:,} rows, not {rows:,}")

    if ours and pd_:
        agree, sample = agreement(run_db)
        total_ok = agree["force_months_total"] == rows
        print(f"check: force monthly totals add up to {agree['force_months_total']:,} rows "
              f"({'= input' if total_ok else 'WARNING: not the input'}); "
              f"{agree['both_sides']:,} values on both sides, {agree['only_engine']:,} only in the engine, "
              f"{agree['only_pandas']:,} only in pandas")
        bad = {c: agree[c] for c, _ in COMPARED if agree[c]}
        print("check: all compared columns agree (" + ", ".join(c for c, _ in COMPARED) + ")" if not bad else
              "check: WARNING mismatches " + ", ".join(f"{c} {n:,}" for c, n in bad.items()))
        print(f"{'sample':<21}{'period':<20}{'area':<26}{'breakdown':<22}{'engine':>9}{'pandas':>9}  "
              "vs year before (engine / pandas); SPC (engine / pandas)")
        for (measure_id, period_type, end, level, code, breakdown, n_e, n_p, y_e, y_p, s_e, s_p) in sample:
            spc = f"{s_e} / {s_p}" if s_e or s_p else "-"
            print(f"{measure_id:<21}{period_type + ' ' + end:<20}{level + ' ' + code:<26}{breakdown:<22}"
                  f"{n_e:9,.0f}{n_p:9,.0f}  {y_e} / {y_p}; {spc}")

    verdicts = []
    if "oversight" in failures:
        verdicts.append("rebuild FAILED (above)")
    if ours:
        ok = ours["seconds"] <= GOAL_SECONDS
        where = "" if rows >= GOAL_AT_ROWS else f" (the goal is set at {GOAL_AT_ROWS:,} rows; this run has {rows:,})"
        verdicts.append(f"rebuild {ours['seconds']:.1f} s <= {GOAL_SECONDS:.0f} s {'MET' if ok else 'MISSED'}{where}")
    if ours and pd_:
        ratio = pd_["seconds"] / ours["seconds"]
        verdicts.append(
            f"vs pandas {ratio:.2f}x >= {GOAL_VS_PANDAS:.0f}x {'MET' if ratio >= GOAL_VS_PANDAS else 'MISSED'}"
        )
    if ours and scan:
        ratio = ours["seconds"] / scan["seconds"]
        verdicts.append(f"vs scan {ratio:.1f}x <= {GOAL_VS_SCAN:.0f}x {'MET' if ratio <= GOAL_VS_SCAN else 'MISSED'}")
    if ours:
        ok = ours["peak_bytes"] <= GOAL_PEAK_BYTES
        verdicts.append(f"peak {_gib(ours['peak_bytes'])} <= {_gib(GOAL_PEAK_BYTES)} {'MET' if ok else 'MISSED'}")
    if verdicts:
        print("goals: " + "; ".join(verdicts))


if __name__ == "__main__":
    main()
