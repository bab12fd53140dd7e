"""Web benchmark: the first render of every kind of page, and the bytes of the static assets.

    python bench/first_render.py --warehouse full.duckdb      # a built warehouse (e.g. the shared data)
    python bench/first_render.py                               # the bundled London data (built once)
    python bench/first_render.py --variants 12                 # more states per page kind

The site runs as `oversight serve` runs it (uvicorn, one process) in a child process, but without
the warm-up, so that nothing is cached when the timing starts. Then, one request at a time:

1. cold: each page kind once in its default state, in the order of the site's navigation; the
   first request also pays for the first read of the figures (what nearly every page shares, the
   catalogue's status, the area names and each measure's periods, the server reads as it starts);
2. first renders: each page kind in up to --variants states nobody has asked for yet (a borough,
   a ward, a force, a neighbourhood, a measure, a month: real parameters read from the API), each
   requested once; p50 and p95 per page kind over the cold and the variant requests.

Each first request is followed at once by the same request again, which the server answers from
its cache: that is the baseline (the cost of the route and the transfer) printed beside it. The
static assets (stylesheet, scripts, chart library) are fetched with and without gzip, and their
bytes and cache headers printed.

Goal: p95 first render of every page kind under 0.5 s on the full shared data.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from serve import free_port, percentile, resolve_warehouse, wait_until_serving

GOAL_SECONDS = 0.5
SECTIONS = ("/", "/crime/", "/trust/", "/stop-search/", "/hate-crime-vawg/", "/custody/")


def serve_child(warehouse: str, port: int) -> None:
    """The app as `oversight serve` runs it, without the warm-up."""
    import uvicorn

    from oversight.web import create_app

    uvicorn.run(create_app(warehouse, warm=False), host="127.0.0.1", port=port, log_level="warning",
                server_header=False)


def page_kinds(base: str, variants: int) -> dict[str, list[str]]:
    """Each page kind (a route of the site) and the addresses to ask for: its default state first
    where it has one, then up to `variants` other states, from the warehouse's own areas."""
    import re

    import httpx

    from oversight.measures.catalogue import load_catalogue

    catalogue = load_catalogue()

    def get(path: str) -> Any:
        answer = httpx.get(base + path, timeout=300)
        answer.raise_for_status()
        return answer.json()["data"]

    boroughs = [a["code"] for a in get("/api/v1/areas.json?level=borough")]
    wards = [a["code"] for a in get("/api/v1/areas.json?level=ward")]
    forces = [a["code"] for a in get("/api/v1/areas.json?level=force")]
    measures = [m["measure"] for m in get("/api/v1/measures.json") if m.get("status") == "ok"]
    neighbourhoods = [n["page"] for n in get("/api/v1/neighbourhoods.json")]
    months = [p["key"] for p in get("/api/v1/measures/stop_search_volume.json")["periods"]
              if p.get("type") == "month"] if "stop_search_volume" in measures else []

    def spread(items: list[str], n: int = variants) -> list[str]:
        """n items spread over the list (not the first n, which tend to be alike)."""
        if n <= 0:
            return []
        if len(items) <= n:
            return list(items)
        step = len(items) / n
        return [items[int(i * step)] for i in range(n)]

    def offered(path: str) -> set[str]:
        """The area codes a section's own area menu offers (a section without ward figures offers
        no ward), so that only states a reader can choose are timed."""
        answer = httpx.get(base + path, timeout=300)
        answer.raise_for_status()
        html = answer.text
        menu = re.search(r'<select id="filter-area".*?</select>', html, re.S)
        return set(re.findall(r'<option value="([^"]+)"', menu.group(0))) if menu else set()

    kinds: dict[str, list[str]] = {}
    half = max(1, variants // 2)
    for path in SECTIONS:
        menu = offered(path)
        here_wards = [w for w in wards if w in menu]
        here_boroughs = [b for b in boroughs if b in menu]
        taken = spread(here_wards, variants - half)
        kinds[path] = [path, *(f"{path}?level=borough&area={b}" for b in spread(here_boroughs, variants - len(taken))),
                       *(f"{path}?level=ward&area={w}" for w in taken)]
    kinds["/stop-search/forces/"] = ["/stop-search/forces/", *(
        f"/stop-search/forces/?area={f}" for f in spread(forces, variants))]
    kinds["/trust/gap/"] = ["/trust/gap/", *(f"/trust/gap/?level=borough&area={b}" for b in spread(boroughs))]
    kinds["/trust/neighbourhoods/"] = ["/trust/neighbourhoods/", *(
        f"/trust/neighbourhoods/?area={b}" for b in spread(boroughs))]
    kinds["/trust/neighbourhoods/{code}/"] = spread(neighbourhoods, variants + 1)
    at_borough = [m for m in measures if "borough" in catalogue[m].levels]  # others have no borough page
    kinds["/measures/{measure}/"] = [f"/measures/{m}/" for m in spread(measures, half)] + [
        f"/measures/{m}/?level=borough&area={b}" for m, b in
        zip(spread(at_borough, variants - half), spread(boroughs, variants - half), strict=False)]
    kinds["/measures/"] = ["/measures/"]
    kinds["/health/"] = ["/health/"]
    kinds["/methods/"] = ["/methods/"]
    kinds["/api/"] = ["/api/"]
    if months:
        recent = spread(months[:12], variants) * variants  # the newest first
        kinds["/packs/stop-search/{borough}/{month}/"] = [
            f"/packs/stop-search/{b}/{m}/" for b, m in zip(spread(boroughs, variants), recent, strict=False)]
    kinds["/api/v1/measures/{measure}/values.json"] = [
        f"/api/v1/measures/{m}/values.json?level=borough&area={b}" for m, b in
        zip(spread(at_borough, variants), spread(boroughs, variants), strict=False)]
    kinds["/crime/index.json (twin)"] = [f"/crime/index.json?level=borough&area={b}" for b in spread(boroughs)]
    return {k: v for k, v in kinds.items() if v}


def time_get(client: Any, path: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    answer = client.get(path)
    took = time.perf_counter() - started
    return took, answer.status_code, len(answer.content)


def asset_bytes(base: str) -> list[tuple[str, int, int, str, str]]:
    """(path, plain bytes, gzip bytes on the wire, Cache-Control, ETag) of each static asset a page loads."""
    import re

    import httpx

    html = httpx.get(base + "/crime/", timeout=300).text
    paths = sorted(set(re.findall(r'(?:src|href)="((?:\.\./)*static/[^"]+)"', html)))
    found = []
    for relative in paths:
        path = "/" + relative.lstrip("./")
        plain = httpx.get(base + path, headers={"Accept-Encoding": "identity"}, timeout=60)
        packed = httpx.get(base + path, headers={"Accept-Encoding": "gzip"}, timeout=60)
        found.append((path, len(plain.content), packed.num_bytes_downloaded,
                      packed.headers.get("cache-control", "-"), packed.headers.get("etag", "-")))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, help="a built warehouse (default: the bundled data)")
    parser.add_argument("--variants", type=int, default=8, help="states asked for per page kind, besides the default")
    args = parser.parse_args()

    import httpx

    warehouse = resolve_warehouse(args.warehouse)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    child = subprocess.Popen([sys.executable, __file__, "--serve-child", str(warehouse), str(port)])
    try:
        wait_until_serving(base, child, seconds=60, timeout=2, pause=0.2)
        print(f"Python {platform.python_version()}, {os.cpu_count()} cores; warehouse {warehouse}; "
              f"nothing warmed; one request at a time\n")
        firsts: dict[str, list[float]] = defaultdict(list)
        again: dict[str, list[float]] = defaultdict(list)
        failed: list[tuple[str, int]] = []
        with httpx.Client(base_url=base, timeout=300, headers={"Accept-Encoding": "gzip"}) as client:
            # Cold: each kind's default state, before anything else (the API's lookups and the area
            # menus below read figures of their own).
            for path in (*SECTIONS, "/trust/gap/", "/trust/neighbourhoods/", "/stop-search/forces/", "/measures/",
                         "/health/", "/methods/", "/api/"):
                took, status, _ = time_get(client, path)
                print(f"cold {path:<20} {took * 1000:7.0f} ms")
                if status == 200:
                    firsts[path].append(took)
                    again[path].append(time_get(client, path)[0])
                else:
                    failed.append((path, status))
            kinds = page_kinds(base, args.variants)
            for kind, paths in kinds.items():
                for path in paths:
                    if kind in firsts and path == kind:
                        continue  # timed cold above
                    took, status, _ = time_get(client, path)
                    if status != 200:
                        failed.append((path, status))
                        continue
                    firsts[kind].append(took)
                    again[kind].append(time_get(client, path)[0])
        print(f"\n| page kind | first renders | p50 | p95 | slowest | cached p50 (baseline) | p95 / baseline | "
              f"goal p95 < {GOAL_SECONDS * 1000:.0f} ms |")
        print("|---|---|---|---|---|---|---|---|")
        met = True
        every: list[float] = []
        for kind in firsts:
            times = firsts[kind]
            every += times
            p95 = percentile(times, 95)
            base_p50 = percentile(again[kind], 50)
            met &= p95 < GOAL_SECONDS
            print(f"| `{kind}` | {len(times)} | {percentile(times, 50) * 1000:.0f} ms | {p95 * 1000:.0f} ms | "
                  f"{max(times) * 1000:.0f} ms | {base_p50 * 1000:.1f} ms | {p95 / base_p50:.0f}x | "
                  f"{'met' if p95 < GOAL_SECONDS else 'missed'} |")
        print(f"\nAll {len(every)} first renders: p50 {percentile(every, 50) * 1000:.0f} ms, "
              f"p95 {percentile(every, 95) * 1000:.0f} ms, slowest {max(every) * 1000:.0f} ms.")
        for path, status in failed:
            print(f"not timed (answered {status}): {path}")

        print("\n| static asset | plain bytes | gzip bytes sent | ratio | Cache-Control | ETag |")
        print("|---|---|---|---|---|---|")
        for path, plain, packed, cache, etag in asset_bytes(base):
            print(f"| `{path}` | {plain:,} | {packed:,} | {packed / plain:.2f} | {cache} | {etag[:20]} |")
        return 0 if met else 1
    finally:
        child.terminate()
        child.wait(timeout=30)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-child":
        serve_child(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(main())
