"""Ingest benchmark: oversight's police.uk loader against DuckDB's bare CSV reader and pandas.

    python bench/ingest.py                  # 10 million rows (the figure the goals are set at)
    python bench/ingest.py --rows 1000000   # a quick run

The input is generated once per (rows, seed) from the real Met stop-and-search archive (see
bench/_synth.py) and reused on later runs. Then three contenders load the same files, each in
a fresh DuckDB file and in its own child process, so that each peak memory figure (the child's
RSS high-water mark, from wait4) belongs to that contender alone:

  duckdb    CREATE TABLE t AS SELECT * FROM read_csv([...]) with DuckDB's default settings: no
            checks, column types sniffed by the reader (--limit-types varchar reads all text; on
            this input it is the slower of the two). The practical limit for reading these files.
  oversight ingest_police_uk(): parse, validate every row, type, quarantine, replace the
            force x month partitions in one transaction, keep file and line of every row.
  pandas    the same work as an analyst would write it: pd.read_csv per file (default engine,
            dtype=str), the same rules in the same order as vectorised pandas, typed good rows
            to one DuckDB table and bad rows, with field, value, reason and the record as JSON,
            to a quarantine table.

Each time runs from opening the database to closing it (so it includes the final checkpoint);
"cpu" is the child's user + system time. The files are read once before the first contender so
that all three find them in the page cache. On a shared machine wall times vary from run to run;
--repeat N runs N rounds of all contenders in turn and keeps each one's fastest.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))  # for _synth when run from elsewhere

import _synth  # noqa: E402

DEFAULT_ROWS = 10_000_000
DEFAULT_SEED = 20240601
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "oversight-bench-ingest"

# The goals this benchmark checks.
GOAL_VS_DUCKDB = 0.6  # our rows/s at least 0.6 of DuckDB's bare read_csv
GOAL_VS_PANDAS = 1.5  # our rows/s at least 1.5 times the pandas version's
GOAL_PEAK_BYTES = 1 << 30  # our peak RSS under 1 GiB ...
GOAL_PEAK_AT_ROWS = 10_000_000  # ... for 10 million rows

CONTENDERS = ("duckdb", "oversight", "pandas")
LIMIT_TYPES = ("varchar", "auto")


# --- contenders (each runs in a child process) ----------------------------------------------

def run_duckdb(files: list[Path], db: Path, limit_types: str) -> dict:
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect(str(db))
    listed = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"
    typing = "all_varchar = true" if limit_types == "varchar" else "auto_detect = true"
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv({listed}, header = true, {typing})")
    rows = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
    con.close()
    return {"seconds": time.perf_counter() - start, "rows_read": rows, "rows_loaded": rows,
            "rows_quarantined": 0}


def run_oversight(files: list[Path], db: Path) -> dict:
    from oversight.sources.police_uk import ingest_police_uk
    from oversight.warehouse import connect

    start = time.perf_counter()
    con = connect(db)
    report = ingest_police_uk(con, files)
    con.close()
    seconds = time.perf_counter() - start
    totals = report.totals()
    if totals["failed"]:
        first = report.failed[0]
        raise SystemExit(f"oversight: {totals['failed']} files failed, first {first.name}: {first.error}")
    return {"seconds": seconds, **{k: totals[k] for k in ("rows_read", "rows_loaded", "rows_quarantined")}}


def run_pandas(files: list[Path], db: Path) -> dict:
    start = time.perf_counter()
    counts = load_with_pandas(files, db)
    return {"seconds": time.perf_counter() - start, **counts}


# --- the pandas baseline: the same rules, written as an analyst would -----------------------

PANDAS_TABLES = """
CREATE TABLE stop_search (
    force VARCHAR, month DATE, search_type VARCHAR, occurred_at TIMESTAMPTZ,
    part_of_operation BOOLEAN, operation_name VARCHAR, latitude DOUBLE, longitude DOUBLE,
    gender VARCHAR, age_range VARCHAR, self_defined_ethnicity VARCHAR, self_defined_group VARCHAR,
    officer_defined_ethnicity VARCHAR, legislation VARCHAR, object_of_search VARCHAR,
    outcome VARCHAR, outcome_published VARCHAR, outcome_linked_to_object BOOLEAN,
    removal_of_more_than_outer_clothing BOOLEAN, street_name VARCHAR,
    source_file VARCHAR, source_line BIGINT);
CREATE TABLE quarantine (
    force VARCHAR, month DATE, source_file VARCHAR, source_line BIGINT,
    field VARCHAR, value VARCHAR, reason VARCHAR, record VARCHAR);
"""


def load_with_pandas(files: list[Path], db: Path) -> dict:
    """Read, check, type and store every file with pandas; DuckDB only as the place to write.

    The rules, their order and the vocabularies are those of oversight's stop-and-search
    loader (the category lists from its _rules module, the renames from vocab/*.csv), so both
    do the same checks; the code is ordinary vectorised pandas, one file at a time.
    """
    from importlib import resources

    import duckdb
    import numpy as np
    import pandas as pd

    from oversight import config
    from oversight.sources.police_uk import _rules

    vocab_dir = resources.files("oversight.sources.police_uk").joinpath("vocab")
    renames = pd.read_csv(vocab_dir.joinpath("stop_search_outcome_renames.csv").open())
    renames = dict(zip(renames["published"], renames["outcome"], strict=False))
    outcomes = set(pd.read_csv(vocab_dir.joinpath("stop_search_outcomes.csv").open())["outcome"])
    lat_min, lat_max, lon_min, lon_max = config.default("uk_bounds")
    booleans = {"true", "false"}  # compared case-insensitively, as the loader does
    bool_columns = ["Part of a policing operation", "Outcome linked to object of search",
                    "Removal of more than just outer clothing"]

    con = duckdb.connect(str(db))
    con.execute(PANDAS_TABLES)
    totals = {"rows_read": 0, "rows_loaded": 0, "rows_quarantined": 0}
    for path in files:
        month, force = re.match(r"(\d{4}-\d{2})-(.+)-stop-and-search", path.name).groups()
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        for column in ("Part of a policing operation", "Policing operation", "Self-defined ethnicity",
                       "Outcome linked to object of search", "Removal of more than just outer clothing"):
            if column not in df:
                df[column] = pd.Series(pd.NA, index=df.index, dtype="str")

        occurred = pd.to_datetime(df["Date"], format="ISO8601", utc=True, errors="coerce")
        lat = pd.to_numeric(df["Latitude"], errors="coerce")
        lon = pd.to_numeric(df["Longitude"], errors="coerce")
        ethnicity = df["Self-defined ethnicity"]
        lowered = ethnicity.str.lower()
        group = pd.Series(
            np.select(
                [
                    ethnicity.isna(),
                    lowered.str.contains("not stated", regex=False, na=False)
                    | ethnicity.str.endswith("(NS)", na=False),
                    lowered.str.endswith("chinese (o1)", na=False) | lowered.str.endswith("- chinese", na=False),
                    ethnicity.str.startswith("White", na=False),
                    ethnicity.str.startswith("Black", na=False),
                    ethnicity.str.startswith("Asian", na=False),
                    ethnicity.str.startswith("Mixed", na=False),
                    ethnicity.str.startswith("Other ethnic group", na=False)
                    | ethnicity.str.startswith("Chinese or other", na=False),
                ],
                [None, None, "Asian", "White", "Black", "Asian", "Mixed", "Other"],
                default="?",
            ),
            index=df.index,
        )
        outcome = df["Outcome"].replace(renames)

        def not_in(column: str, allowed, df: pd.DataFrame = df) -> pd.Series:
            return df[column].notna() & ~df[column].isin(allowed)

        # (field, broken, reason) in the loader's order; a bad row is reported for its first.
        rules = [
            ("Type", df["Type"].isna(), lambda v: "missing search type"),
            ("Type", not_in("Type", _rules.SEARCH_TYPES), lambda v: f"'{v}' is not a known search type"),
            ("Date", df["Date"].isna(), lambda v: "missing date"),
            ("Date", df["Date"].notna() & occurred.isna(),
             lambda v: f"'{v}' is not an ISO 8601 date and time"),
            ("Latitude", df["Latitude"].isna() != df["Longitude"].isna(),
             lambda v: "only one of Latitude and Longitude is given"),
            ("Latitude", df["Latitude"].notna() & lat.isna(), lambda v: f"'{v}' is not a number"),
            ("Latitude", lat.notna() & ~lat.between(lat_min, lat_max),
             lambda v: f"'{v}' is outside the UK ({lat_min} to {lat_max})"),
            ("Longitude", df["Longitude"].notna() & lon.isna(), lambda v: f"'{v}' is not a number"),
            ("Longitude", lon.notna() & ~lon.between(lon_min, lon_max),
             lambda v: f"'{v}' is outside the UK ({lon_min} to {lon_max})"),
            ("Gender", not_in("Gender", _rules.GENDERS), lambda v: f"'{v}' is not a known gender"),
            ("Age range", not_in("Age range", _rules.AGE_RANGES), lambda v: f"'{v}' is not a known age range"),
            ("Officer-defined ethnicity", not_in("Officer-defined ethnicity", _rules.OFFICER_ETHNICITIES),
             lambda v: f"'{v}' is not a known officer-defined ethnicity"),
            ("Self-defined ethnicity", group == "?",
             lambda v: f"'{v}' is not a recognised self-defined ethnicity"),
            ("Outcome", outcome.notna() & ~outcome.isin(outcomes),
             lambda v: f"'{v}' is not a known stop-and-search outcome"),
            *[(c, df[c].notna() & ~df[c].str.lower().isin(booleans), lambda v: f"'{v}' is not True or False")
              for c in bool_columns],
        ]
        first = np.select([broken.to_numpy(dtype=bool) for _, broken, _ in rules],
                          np.arange(len(rules)), default=-1)
        bad = first >= 0
        lines = np.arange(len(df)) + 2  # the header is line 1

        if bad.any():
            rows = df[bad]
            fields = [rules[i][0] for i in first[bad]]
            values = [rows[f].iat[k] for k, f in enumerate(fields)]
            values = [None if pd.isna(v) else v for v in values]
            quarantine = pd.DataFrame({
                "force": force,
                "month": pd.Timestamp(month + "-01"),
                "source_file": path.name,
                "source_line": lines[bad],
                "field": fields,
                "value": values,
                "reason": [rules[i][2](str(v)[:80]) for i, v in zip(first[bad], values, strict=False)],
                "record": rows.to_json(orient="records", lines=True).splitlines(),
            })
            con.register("quarantine_df", quarantine)
            con.execute("INSERT INTO quarantine SELECT * FROM quarantine_df")
            con.unregister("quarantine_df")

        good = df[~bad]
        to_bool = {"true": True, "false": False}
        typed = pd.DataFrame({
            "force": force,
            "month": pd.Timestamp(month + "-01"),
            "search_type": good["Type"],
            "occurred_at": occurred[~bad],
            "part_of_operation": good["Part of a policing operation"].str.lower().map(to_bool).astype("boolean"),
            "operation_name": good["Policing operation"],
            "latitude": lat[~bad],
            "longitude": lon[~bad],
            "gender": good["Gender"],
            "age_range": good["Age range"],
            "self_defined_ethnicity": good["Self-defined ethnicity"],
            "self_defined_group": group[~bad],
            "officer_defined_ethnicity": good["Officer-defined ethnicity"],
            "legislation": good["Legislation"],
            "object_of_search": good["Object of search"],
            "outcome": outcome[~bad],
            "outcome_published": good["Outcome"],
            "outcome_linked_to_object":
                good["Outcome linked to object of search"].str.lower().map(to_bool).astype("boolean"),
            "removal_of_more_than_outer_clothing":
                good["Removal of more than just outer clothing"].str.lower().map(to_bool).astype("boolean"),
            "street_name": pd.Series(None, index=good.index, dtype="str"),
            "source_file": path.name,
            "source_line": lines[~bad],
        })
        con.register("typed_df", typed)
        con.execute("INSERT INTO stop_search SELECT * FROM typed_df")
        con.unregister("typed_df")

        totals["rows_read"] += len(df)
        totals["rows_loaded"] += int((~bad).sum())
        totals["rows_quarantined"] += int(bad.sum())
    con.close()
    return totals


def _child(args: argparse.Namespace) -> None:
    folder = Path(args.input)
    files = [folder / name for name in json.loads((folder / "MANIFEST.json").read_text())["files"]]
    db = Path(args.db)
    for leftover in (db, Path(str(db) + ".wal")):
        leftover.unlink(missing_ok=True)
    if args.contender == "duckdb":
        result = run_duckdb(files, db, args.limit_types)
    elif args.contender == "oversight":
        result = run_oversight(files, db)
    else:
        result = run_pandas(files, db)
    result["db_bytes"] = db.stat().st_size
    print(json.dumps(result), flush=True)


def measure(name: str, data: _synth.Input, workdir: Path, limit_types: str, keep: bool) -> dict:
    """Run one contender in a child process; its result plus the child's peak RSS in bytes."""
    db = workdir / f"{name}.duckdb"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--contender", name,
           "--input", str(data.folder), "--db", str(db), "--limit-types", limit_types]
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = child.stdout.read()  # type: ignore[union-attr]
    child.stdout.close()  # type: ignore[union-attr]
    _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage, not all children's
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{name} failed (exit {child.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_bytes"] = usage.ru_maxrss * 1024  # Linux reports KiB
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    if not keep:
        for leftover in (db, Path(str(db) + ".wal")):
            leftover.unlink(missing_ok=True)
    return result


# --- report ---------------------------------------------------------------------------------

def _gib(n: float) -> str:
    return f"{n / (1 << 30):.2f} GiB"


def _size(n: float) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def _line(label: str, r: dict, rows: int, tail: str = "") -> str:
    rate = rows / r["seconds"]
    return (f"{label:<30}{r['seconds']:6.1f} s, {rate / 1e6:5.2f} M rows/s, "
            f"peak {_gib(r['peak_bytes'])}, cpu {r['cpu_seconds']:3.0f} s, db {_size(r['db_bytes'])}{tail}")


def _warm(files: list[Path]) -> None:
    for path in files:
        with open(path, "rb") as handle:
            while handle.read(1 << 23):
                pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows to generate (default 10,000,000)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help=f"where inputs and warehouses go (default {DEFAULT_WORKDIR}); inputs are reused")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the resampling")
    parser.add_argument("--real-dir", type=Path, default=_synth.REAL_DIR,
                        help=f"folder of the real Met archive files (default {_synth.REAL_DIR})")
    parser.add_argument("--only", default=",".join(CONTENDERS),
                        help="comma-separated contenders to run (duckdb, oversight, pandas)")
    parser.add_argument("--limit-types", choices=LIMIT_TYPES, default="auto",
                        help="the DuckDB limit sniffs column types (auto, default: the faster of the two "
                             "here) or reads every column as text (varchar)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds to run; each contender keeps its fastest (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the three DuckDB files afterwards")
    parser.add_argument("--contender", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.contender:
        _child(args)
        return

    chosen = [c for c in args.only.split(",") if c]
    unknown = [c for c in chosen if c not in CONTENDERS]
    if unknown:
        parser.error(f"unknown contender {unknown[0]!r}; choose from {', '.join(CONTENDERS)}")
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = _synth.generate(args.workdir, args.rows, args.seed, args.real_dir,
                           log=lambda m: print(m, flush=True))

    import duckdb
    import pandas

    print(f"input: {data.rows:,} rows in {len(data.files)} files ({_size(data.bytes)} CSV), "
          f"generated from {data.real_rows:,} real rows in {data.real_files} Met archive months, "
          f"seed {args.seed}{' (reused)' if data.reused else ''}")
    rounds = "one round" if args.repeat == 1 else f"fastest of {args.repeat} rounds"
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, duckdb {duckdb.__version__}, "
          f"pandas {pandas.__version__}; files in the page cache; each contender in its own process, {rounds}")
    _warm(data.files)

    # Rounds run the contenders in turn, so that a slow spell on a shared machine does not
    # land on one of them only. Each keeps its fastest round and its highest peak.
    results: dict[str, dict] = {}
    seconds: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        for name in CONTENDERS:
            if name not in chosen:
                continue
            r = measure(name, data, args.workdir, args.limit_types, args.keep)
            seconds.setdefault(name, []).append(r["seconds"])
            best = results.get(name)
            if best is None or r["seconds"] < best["seconds"]:
                r["peak_bytes"] = max(r["peak_bytes"], best["peak_bytes"] if best else 0)
                results[name] = r
            else:
                best["peak_bytes"] = max(best["peak_bytes"], r["peak_bytes"])

    rows = data.rows
    ours = results.get("oversight")
    limit = results.get("duckdb")
    pd_ = results.get("pandas")
    if limit:
        kind = "all_varchar" if args.limit_types == "varchar" else "auto types"
        print(_line(f"duckdb read_csv, {kind}:", limit, rows, "  (no checks)"))
    if ours:
        tail = f"  -> {limit['seconds'] / ours['seconds']:.2f}x duckdb limit" if limit else ""
        print(_line("oversight ingest:", ours, rows, tail))
    if pd_:
        tail = f"  -> ours is {pd_['seconds'] / ours['seconds']:.2f}x as fast" if ours else ""
        print(_line("pandas same work:", pd_, rows, tail))
    if args.repeat > 1:
        print("rounds (s): " + "; ".join(
            f"{name} " + ", ".join(f"{t:.1f}" for t in times) for name, times in seconds.items()))
    for name, r in results.items():
        if r["rows_read"] != rows:
            print(f"WARNING: {name} read {r['rows_read']:,} rows, not {rows:,}")
    counts = "; ".join(
        f"{name} loaded {r['rows_loaded']:,}, quarantined {r['rows_quarantined']:,}"
        for name, r in results.items() if name != "duckdb"
    )
    if counts:
        print(f"rows: {counts}")
    if ours and ours["rows_loaded"] and pd_ and pd_["rows_loaded"] != ours["rows_loaded"]:
        print("WARNING: oversight and pandas disagree on how many rows are good")

    verdicts = []
    if ours and limit:
        ratio = limit["seconds"] / ours["seconds"]
        verdicts.append(f"vs duckdb {ratio:.2f} >= {GOAL_VS_DUCKDB} {'MET' if ratio >= GOAL_VS_DUCKDB else 'MISSED'}")
    if ours and pd_:
        ratio = pd_["seconds"] / ours["seconds"]
        verdicts.append(f"vs pandas {ratio:.2f} >= {GOAL_VS_PANDAS} {'MET' if ratio >= GOAL_VS_PANDAS else 'MISSED'}")
    if ours:
        ok = ours["peak_bytes"] < GOAL_PEAK_BYTES
        where = ("" if rows == GOAL_PEAK_AT_ROWS
                 else f" (the goal is set at {GOAL_PEAK_AT_ROWS:,} rows; this run has {rows:,})")
        verdicts.append(f"peak {_gib(ours['peak_bytes'])} < 1 GiB {'MET' if ok else 'MISSED'}{where}")
    if verdicts:
        print("goals: " + "; ".join(verdicts))


if __name__ == "__main__":
    main()
