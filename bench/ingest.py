"""Ingest benchmark: oversight's police.uk loader against DuckDB's bare CSV reader and pandas.

    python bench/ingest.py                  # 10 million rows (the figure the goals are set at)
    python bench/ingest.py --rows 1000000   # a quick run

The input is generated once per (rows, seed) from the real Met stop-and-search archive (see
bench/_synth.py) and reused on later runs. Then three contenders load the same files, each in
a fresh DuckDB file and in its own child process, so that each peak memory figure (the child's
RSS high-water mark, from wait4) belongs to that contender alone:

  duckdb    CREATE TABLE AS SELECT * FROM read_csv([...]): no checks, no typing beyond what the
            reader does itself. The practical limit for anything that reads these files.
  oversight ingest_police_uk(): parse, validate every row, type, quarantine, replace the
            force x month partitions in one transaction, keep file and line of every row.
  pandas    the same work as an analyst would write it: read_csv per file, the same rules as
            vectorised pandas, good rows to one DuckDB table and bad rows to a quarantine table.

Each time runs from opening the database to closing it (so it includes the final checkpoint).
The files are read once before the first contender so that all three find them in the page cache.
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
GOAL_VS_DUCKDB = 0.5  # our rows/s at least half of DuckDB's bare read_csv
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
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
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
    from _pandas_baseline import load_with_pandas

    start = time.perf_counter()
    counts = load_with_pandas(files, db)
    return {"seconds": time.perf_counter() - start, **counts}


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
    return (f"{label:<30}{r['seconds']:7.1f} s, {rate / 1e6:5.2f} M rows/s, "
            f"peak {_gib(r['peak_bytes'])}{tail}")


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
    parser.add_argument("--only", default=",".join(CONTENDERS),
                        help="comma-separated contenders to run (duckdb, oversight, pandas)")
    parser.add_argument("--limit-types", choices=LIMIT_TYPES, default="varchar",
                        help="DuckDB limit reads all columns as text (varchar, default) or sniffs types (auto)")
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
    data = _synth.generate(args.workdir, args.rows, args.seed, log=lambda m: print(m, flush=True))

    import duckdb
    import pandas

    print(f"input: {data.rows:,} rows in {len(data.files)} files ({_size(data.bytes)} CSV), "
          f"generated from {data.real_rows:,} real rows in {data.real_files} Met archive months, "
          f"seed {args.seed}{' (reused)' if data.reused else ''}")
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, duckdb {duckdb.__version__}, "
          f"pandas {pandas.__version__}; files warm in the page cache; each contender in its own process")
    _warm(data.files)

    results: dict[str, dict] = {}
    for name in CONTENDERS:
        if name in chosen:
            results[name] = measure(name, data, args.workdir, args.limit_types, args.keep)

    rows = data.rows
    ours = results.get("oversight")
    limit = results.get("duckdb")
    pd_ = results.get("pandas")
    if limit:
        kind = "all_varchar" if args.limit_types == "varchar" else "auto types"
        print(_line(f"duckdb read_csv ({kind}):", limit, rows, "  (no checks)"))
    if ours:
        tail = f"  -> {limit['seconds'] / ours['seconds']:.2f}x duckdb limit" if limit else ""
        print(_line("oversight ingest:", ours, rows, tail))
    if pd_:
        tail = f"  -> ours {pd_['seconds'] / ours['seconds']:.2f}x faster than pandas" if ours else ""
        print(_line("pandas same work:", pd_, rows, tail))
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
        where = "" if rows == GOAL_PEAK_AT_ROWS else f" (the goal is set at {GOAL_PEAK_AT_ROWS:,} rows; this run has {rows:,})"
        verdicts.append(f"peak {_gib(ours['peak_bytes'])} < 1 GiB {'MET' if ok else 'MISSED'}{where}")
    if verdicts:
        print("goals: " + "; ".join(verdicts))


if __name__ == "__main__":
    main()
