"""How the measures build grows with its input: time and peak memory at several sizes, in one table.

    python bench/growth.py                                   # 1, 5, 20 and 40 million rows
    python bench/growth.py --rows 1000000,5000000            # a quick run

For each size it generates (or reuses) the synthetic warehouse of bench/build.py, then runs that
benchmark's single DuckDB scan (the practical limit) and `oversight build` of the two street-crime
measures, each in its own child process, and prints one row per size: rows, values written, both
times, the build's cpu time (user + system; less sensitive than wall time to other work on the
machine), its peak RSS, and time and memory per million input rows. Growth no faster than
linear means the per-million figures do not rise with the size. The pandas contender is left out:
it needs about 12 GiB at 20 million rows and would not fit at 40 million.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import _synth_warehouse  # noqa: E402
import build as build_bench  # noqa: E402

DEFAULT_SIZES = "1000000,5000000,20000000,40000000"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default=DEFAULT_SIZES, help=f"comma-separated sizes (default {DEFAULT_SIZES})")
    parser.add_argument("--months", type=int, default=build_bench.DEFAULT_MONTHS)
    parser.add_argument("--seed", type=int, default=build_bench.DEFAULT_SEED)
    parser.add_argument("--workdir", type=Path, default=build_bench.DEFAULT_WORKDIR)
    parser.add_argument("--memory-limit", metavar="SIZE", default="1GB", help="DuckDB memory_limit of the scan")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.rows.split(",") if n]
    header = ("| input rows | values written | scan | build | build cpu | build / scan | build peak "
              "| build s per M rows | peak MiB per M rows |")
    lines = [header, "|" + "---|" * 9]
    run_db = args.workdir / "growth-run.duckdb"
    for rows in sizes:
        data = build_bench.generated(args.workdir, rows, args.months, args.seed)
        _synth_warehouse.copy_of(data, run_db)
        build_bench._warm(run_db)
        scan = build_bench.measure("scan", run_db, args.memory_limit)
        ours = build_bench.measure("oversight", run_db, None)
        if "error" in ours:
            lines.append(f"| {rows:,} | failed: {ours['error']} | | | | | | | |")
            print(lines[-1], flush=True)
            continue
        millions = rows / 1e6
        peak = ours["peak_bytes"]
        lines.append(
            f"| {rows:,} | {ours['values']:,} | {scan['seconds']:.1f} s | {ours['seconds']:.1f} s "
            f"| {ours['cpu_seconds']:.0f} s "
            f"| {ours['seconds'] / scan['seconds']:.1f}x | {peak / 2**30:.2f} GiB "
            f"| {ours['seconds'] / millions:.1f} | {peak / 2**20 / millions:,.0f} |")
        print(lines[-1], f" phases: {build_bench._phases(ours['timings'])}", flush=True)
    run_db.unlink(missing_ok=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
