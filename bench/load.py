"""Load benchmark: the site under a steady mix of cached and uncached requests.

    python bench/load.py --warehouse /tmp/full.duckdb             # 20 req/s, a quarter uncached, 60 s
    python bench/load.py --warehouse /tmp/full.duckdb --rate 40 --uncached 0.5 --seconds 120
    python bench/load.py                                           # the bundled London data

The site runs as `oversight serve` does (uvicorn, one process, warmed) in a child process.
Requests arrive open-loop at --rate per second (exponential gaps, fixed seed), whether or not
earlier ones have finished, as visitors do; each may take up to --timeout seconds.

Cached requests (the rest) are the pages, their JSON twins and API answers everyone asks for:
every dashboard in its default state, measure pages, the catalogue and areas, and a few
popular API queries, each fetched once before the clock starts. Uncached requests (--uncached,
a share) are each new to the server, four in five on the API and one in five a page:

  API page          /api/v1/measures/<m>/values.json?limit=50&offset=<random>
  API filter        /api/v1/measures/<m>/values.json?area=<random borough>&period_type=month&offset=<random>
  API CSV           /api/v1/measures/<m>/values.csv?area=<random borough>&offset=<random>
  page              /measures/<m>/?area=<random borough>&period=<random month it has>
  page data         /measures/<m>/index.json?area=<random borough>&period=<random month it has>

Reported: throughput (answers per second), p50 and p95 latency of all, cached and uncached
requests, errors (any answer but 200, timeouts included; 503 counted apart) and the server's CPU
use. Goal: at 20 req/s with a quarter uncached, 0 errors and p95 under 1 s on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from serve import free_port, percentile, resolve_warehouse, wait_until_serving

GOAL_P95_SECONDS = 1.0
DASHBOARDS = ("/", "/crime/", "/trust/", "/stop-search/", "/hate-crime-vawg/")
MEASURES = ("stop_search_volume", "total_recorded_crime", "stop_search_arrest_rate", "neighbourhood_crime")
SEED = 20240401


@dataclass
class Result:
    kind: str
    seconds: float
    status: int | str  # the HTTP status, or the name of the error (a timeout, a broken connection)


def serve_child(warehouse: str, port: int) -> None:
    import uvicorn

    from oversight.web import create_app

    uvicorn.run(create_app(warehouse), host="127.0.0.1", port=port, log_level="warning", server_header=False)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mib(pid: int) -> tuple[float, float]:
    """A process's resident memory now and its high-water mark (Linux), in MiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


class Mix:
    """Draws the next request: a cached address, or one the server has not seen."""

    def __init__(self, rng: random.Random, boroughs: list[str], months: dict[str, list[str]], totals: dict[str, int],
                 cached: list[str], uncached_share: float) -> None:
        self.rng, self.boroughs, self.months, self.totals = rng, boroughs, months, totals
        self.cached, self.uncached_share = cached, uncached_share

    def next(self) -> tuple[str, str]:
        rng = self.rng
        if rng.random() >= self.uncached_share:
            return "cached", rng.choice(self.cached)
        measure, area = rng.choice(MEASURES), rng.choice(self.boroughs)
        month = rng.choice(self.months[measure])
        roll = rng.random()
        if roll < 0.4:
            offset = rng.randrange(max(1, self.totals[measure]))
            return "uncached", f"/api/v1/measures/{measure}/values.json?limit=50&offset={offset}"
        if roll < 0.6:
            return "uncached", (f"/api/v1/measures/{measure}/values.json?area={area}&period_type=month"
                                f"&offset={rng.randrange(60)}")
        if roll < 0.8:
            return "uncached", f"/api/v1/measures/{measure}/values.csv?area={area}&offset={rng.randrange(60)}"
        if roll < 0.9:
            return "uncached", f"/measures/{measure}/?area={area}&period={month}"
        return "uncached", f"/measures/{measure}/index.json?area={area}&period={month}"


async def run_load(base: str, mix: Mix, rate: float, seconds: float, timeout: float) -> tuple[list[Result], float]:
    import httpx

    # Idle connections are dropped before the server's keep-alive timeout (uvicorn: 5 s), as
    # browsers do; reusing one the server is closing that instant would fail as a broken read.
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=200, keepalive_expiry=2.0)
    results: list[Result] = []
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        async def one(kind: str, url: str) -> None:
            started = time.perf_counter()
            try:
                status = (await client.get(url)).status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            results.append(Result(kind, time.perf_counter() - started, status))

        tasks = []
        started = time.perf_counter()
        due = 0.0
        while due < seconds:
            await asyncio.sleep(max(0.0, started + due - time.perf_counter()))
            tasks.append(asyncio.create_task(one(*mix.next())))
            due += mix.rng.expovariate(rate)
        await asyncio.gather(*tasks)
        return results, time.perf_counter() - started


def report(results: list[Result], elapsed: float, rate: float, share: float, cpu: float) -> bool:
    print("| requests | all | cached | uncached |")
    print("|---|---|---|---|")
    groups = {"all": results, "cached": [r for r in results if r.kind == "cached"],
              "uncached": [r for r in results if r.kind == "uncached"]}
    rows = {
        "sent": lambda rs: f"{len(rs):,}",
        "p50": lambda rs: f"{percentile([r.seconds for r in rs], 50) * 1000:.0f} ms" if rs else "",
        "p95": lambda rs: f"{percentile([r.seconds for r in rs], 95) * 1000:.0f} ms" if rs else "",
        "max": lambda rs: f"{max(r.seconds for r in rs) * 1000:.0f} ms" if rs else "",
        "503 (shed)": lambda rs: f"{sum(r.status == 503 for r in rs):,}",
        "other errors": lambda rs: f"{sum(r.status not in (200, 503) for r in rs):,}",
    }
    for name, cell in rows.items():
        print(f"| {name} | " + " | ".join(cell(rs) for rs in groups.values()) + " |")
    errors = sum(r.status != 200 for r in results)
    p95 = percentile([r.seconds for r in results], 95)
    ok = sum(r.status == 200 for r in results)
    statuses = Counter(r.status for r in results if r.status != 200)
    print(f"\nOffered {rate:g} req/s ({share:.0%} uncached) for {elapsed:.0f} s: {ok / elapsed:.1f} answers/s; "
          f"errors {errors:,}{' ' + dict(statuses).__repr__() if statuses else ''}; p95 {p95 * 1000:.0f} ms; "
          f"server CPU {cpu / elapsed:.2f} cores.")
    met = errors == 0 and p95 < GOAL_P95_SECONDS
    print(f"Goal (0 errors, p95 under {GOAL_P95_SECONDS:g} s): {'met' if met else 'missed'}.")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, help="a built warehouse (default: the bundled data)")
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second offered")
    parser.add_argument("--uncached", type=float, default=0.25, help="share of requests the server has not seen")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to offer load")
    parser.add_argument("--timeout", type=float, default=30.0, help="how long a client waits for an answer")
    args = parser.parse_args()

    import httpx

    warehouse = resolve_warehouse(args.warehouse)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    child = subprocess.Popen([sys.executable, __file__, "--serve-child", str(warehouse), str(port)])
    try:
        wait_until_serving(base, child, seconds=120, timeout=5, pause=0.5, check_status=True)
        boroughs = [a["code"] for a in httpx.get(base + "/api/v1/areas.json?level=borough", timeout=120).json()["data"]]
        months = {m: [p["key"]
                      for p in httpx.get(f"{base}/api/v1/measures/{m}.json", timeout=120).json()["data"]["periods"]
                      if p["type"] == "month"]
                  for m in MEASURES}
        totals = {m: httpx.get(f"{base}/api/v1/measures/{m}/values.json?limit=1", timeout=120).json()["meta"]["total"]
                  for m in MEASURES}
        cached = [*DASHBOARDS, *(p + "index.json" for p in DASHBOARDS), "/measures/", "/health/", "/methods/", "/api/",
                  *(f"/measures/{m}/" for m in MEASURES), "/api/v1/measures.json", "/api/v1/areas.json",
                  *(f"/api/v1/measures/{m}/values.json?level=borough&period_type=month" for m in MEASURES)]
        started = time.perf_counter()
        for url in cached:  # the popular addresses, as they are after the site has been up a while
            httpx.get(base + url, timeout=300).raise_for_status()
        print(f"Python {platform.python_version()}, {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f} "
              f"before the run); warehouse {warehouse} ({warehouse.stat().st_size / 1e6:,.0f} MB); {len(cached)} "
              f"cached addresses fetched in {time.perf_counter() - started:.0f} s before timing\n")
        mix = Mix(random.Random(SEED), boroughs, months, totals, cached, args.uncached)
        cpu_before, (resident_before, _) = cpu_seconds(child.pid), memory_mib(child.pid)
        results, elapsed = asyncio.run(run_load(base, mix, args.rate, args.seconds, args.timeout))
        cpu = cpu_seconds(child.pid) - cpu_before
        met = report(results, elapsed, args.rate, args.uncached, cpu)
        resident, peak = memory_mib(child.pid)
        pool = os.environ.get("ARROW_DEFAULT_MEMORY_POOL") or "system (the server default)"
        # A long-running server's memory: what it holds after the load against before it shows
        # whether the allocator gives freed memory back (the cache has its own bound).
        print(f"Server memory (resident): {resident_before:,.0f} MiB before timing, {resident:,.0f} MiB after, "
              f"peak {peak:,.0f} MiB; Arrow's allocator {pool}.")
        print(f"Load average after the run: {os.getloadavg()[0]:.1f} (other work on the machine counts too).")
        return 0 if met else 1
    finally:
        child.terminate()
        child.wait(timeout=30)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-child":
        serve_child(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(main())
