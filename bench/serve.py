"""Web benchmark: latency of the dashboards and the API against a static file, and first paint.

    python bench/serve.py                          # the bundled London data (built once, cached)
    python bench/serve.py --warehouse my.duckdb    # any built warehouse
    python bench/serve.py --requests 1000 --concurrency 20

The site runs as `oversight serve` does (uvicorn, one process, the pages built in a background
warm-up) in a child process, with one extra mount, /bench-static/, serving files from a temporary
folder. Once the server is up and warm, the benchmark fetches the overview, a measure page and
an API answer, writes the exact bytes it received into that folder, and then times, target by
target, the dynamic URL and the same bytes as a static file from the same server:

  overview      /                                         and /bench-static/overview.html
  measure page  /measures/<measure>/                      and /bench-static/measure.html
  API call      /api/v1/measures/<measure>/values.json?…  and /bench-static/values.json

Each run is --requests requests from --concurrency clients at once (httpx, asyncio), after 50
untimed requests; p50 and p95 are over the timed requests. The load generator runs in this
process and the server in its child, so both share the machine's cores.

Also measured: the first render of a page in a state nobody has asked for yet (the measure page
for each borough in turn, so its data and HTML are not cached), and the first contentful paint
of every page in headless Chromium (Playwright performance timing, on a fresh page each time).

Goals: p95 of each dynamic target within 3x the static file's p95; first paint of every page
under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "data" / "default"
DEFAULT_WAREHOUSE = Path(tempfile.gettempdir()) / "oversight-bench-serve" / "bundled.duckdb"
DEFAULT_MEASURE = "stop_search_volume"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

GOAL_RATIO = 3.0   # dynamic p95 within 3x the static file's p95
GOAL_PAINT_MS = 1000.0
WARM_REQUESTS = 50


def build_bundled(path: Path) -> None:
    """The bundled London data, loaded and built (once; reused while the file exists)."""
    from oversight.measures.catalogue import load_catalogue
    from oversight.measures.engine import build
    from oversight.sources.police_uk import ingest_police_uk
    from oversight.sources.reference import ingest_reference
    from oversight.warehouse import connect

    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    con = connect(path)
    try:
        ingest_police_uk(con, [BUNDLED / "police_uk"])
        ingest_reference(con, [BUNDLED / "reference"])
        build(con, load_catalogue())
    finally:
        con.close()
    print(f"built the bundled warehouse at {path} in {time.perf_counter() - started:.0f} s (not timed)")


def serve_child(warehouse: str, port: int, static_dir: str) -> None:
    """The server: the app as `oversight serve` runs it, plus /bench-static/."""
    import uvicorn
    from fastapi.staticfiles import StaticFiles

    from oversight.web import create_app

    app = create_app(warehouse)
    app.mount("/bench-static", StaticFiles(directory=static_dir), name="bench-static")
    # Mounted after the site's routes; move it first so the catch-all 404 does not shadow it.
    app.router.routes.insert(0, app.router.routes.pop())
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", server_header=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def timed_run(base: str, path: str, requests: int, concurrency: int) -> list[float]:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        async def one() -> float:
            started = time.perf_counter()
            response = await client.get(path)
            response.raise_for_status()
            return time.perf_counter() - started

        async def worker(count: int, out: list[float]) -> None:
            for _ in range(count):
                out.append(await one())

        warm: list[float] = []
        await asyncio.gather(*(worker(WARM_REQUESTS // concurrency + 1, warm) for _ in range(concurrency)))
        times: list[float] = []
        share = [requests // concurrency + (1 if i < requests % concurrency else 0) for i in range(concurrency)]
        await asyncio.gather(*(worker(n, times) for n in share))
        return times


def resolve_warehouse(given: Path | None) -> Path:
    """The warehouse asked for (which must exist), else the bundled one, built if missing."""
    warehouse = given or DEFAULT_WAREHOUSE
    if not warehouse.exists():
        if given:
            sys.exit(f"{warehouse}: no such warehouse")
        build_bundled(warehouse)
    return warehouse


def wait_until_serving(base: str, child: subprocess.Popen[bytes], *, seconds: float, timeout: float,
                       pause: float, check_status: bool = False) -> None:
    """Wait for the server started as `child` to answer /api/v1/; exit if it dies or takes too long."""
    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            answer = httpx.get(base + "/api/v1/", timeout=timeout)
            if check_status:
                answer.raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline or child.poll() is not None:
                sys.exit("the server did not start")
            time.sleep(pause)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def first_paints(base: str, paths: list[str]) -> list[tuple[str, float]]:
    from playwright.sync_api import sync_playwright

    found = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for path in paths:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(base + path, wait_until="load")
            page.wait_for_function("() => performance.getEntriesByName('first-contentful-paint').length > 0")
            found.append((path, page.evaluate(
                "() => performance.getEntriesByName('first-contentful-paint')[0].startTime")))
            page.close()
        browser.close()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, help="a built warehouse (default: the bundled data)")
    parser.add_argument("--measure", default=DEFAULT_MEASURE, help="measure for the measure page and API call")
    parser.add_argument("--requests", type=int, default=600, help="timed requests per target")
    parser.add_argument("--concurrency", type=int, default=20, help="clients at once")
    parser.add_argument("--no-paint", action="store_true", help="skip the browser first-paint timings")
    args = parser.parse_args()

    import httpx

    warehouse = resolve_warehouse(args.warehouse)
    static_dir = Path(tempfile.mkdtemp(prefix="oversight-bench-static-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    child = subprocess.Popen([sys.executable, __file__, "--serve-child", str(warehouse), str(port), str(static_dir)])
    try:
        wait_until_serving(base, child, seconds=60, timeout=2, pause=0.2)
        areas = httpx.get(base + "/api/v1/areas.json?level=borough").json()["data"]
        api = f"/api/v1/measures/{args.measure}/values.json?level=borough&area={areas[0]['code']}&period_type=month"
        targets = [("overview", "/", "overview.html"),
                   ("measure page", f"/measures/{args.measure}/", "measure.html"),
                   ("API call", api, "values.json")]
        for _, path, name in targets:  # waits for the warm-up where it has not reached a page yet
            (static_dir / name).write_bytes(httpx.get(base + path, timeout=120).content)

        print(f"Python {platform.python_version()}, {os.cpu_count()} cores; warehouse {warehouse}; "
              f"{args.requests} requests per target, {args.concurrency} at once\n")
        print(f"| target | dynamic p50 | dynamic p95 | static p50 | static p95 | p95 ratio | goal ≤ {GOAL_RATIO:g}x |")
        print("|---|---|---|---|---|---|---|")
        met = True
        for label, path, name in targets:
            dynamic = asyncio.run(timed_run(base, path, args.requests, args.concurrency))
            static = asyncio.run(timed_run(base, f"/bench-static/{name}", args.requests, args.concurrency))
            ratio = percentile(dynamic, 95) / percentile(static, 95)
            met &= ratio <= GOAL_RATIO
            print(f"| {label} | {percentile(dynamic, 50) * 1000:.1f} ms | {percentile(dynamic, 95) * 1000:.1f} ms | "
                  f"{percentile(static, 50) * 1000:.1f} ms | {percentile(static, 95) * 1000:.1f} ms | "
                  f"{ratio:.2f}x | {'met' if ratio <= GOAL_RATIO else 'missed'} |")

        first = []
        for area in areas:
            started = time.perf_counter()
            httpx.get(f"{base}/measures/{args.measure}/?area={area['code']}", timeout=120).raise_for_status()
            first.append(time.perf_counter() - started)
        print(f"\nFirst render of the measure page for each of {len(first)} boroughs (nothing cached): "
              f"median {statistics.median(first) * 1000:.0f} ms, slowest {max(first) * 1000:.0f} ms.")

        if not args.no_paint:
            catalogue = httpx.get(base + "/api/v1/measures.json").json()["data"]
            pages = ["/", "/crime/", "/trust/", "/stop-search/", "/hate-crime-vawg/", "/measures/", "/health/",
                     "/methods/", "/api/", *(f"/measures/{m['measure']}/" for m in catalogue)]
            paints = first_paints(base, pages)
            slowest = max(paints, key=lambda p: p[1])
            under = all(ms < GOAL_PAINT_MS for _, ms in paints)
            met &= under
            print(f"First contentful paint of {len(paints)} pages: "
                  f"median {statistics.median(ms for _, ms in paints):.0f} ms, "
                  f"slowest {slowest[1]:.0f} ms ({slowest[0]}); goal under {GOAL_PAINT_MS:.0f} ms "
                  f"{'met' if under else 'missed'}.")
            for path, ms in paints:
                if path in pages[:9]:
                    print(f"  {path:<22} {ms:6.0f} ms")
        return 0 if met else 1
    finally:
        child.terminate()
        child.wait(timeout=10)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve-child":
        serve_child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(main())
