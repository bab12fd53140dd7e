"""Write the whole site as static files any web host can serve: `oversight publish DIR`.

The site is rendered by the same app as the server, in publishing mode: each link on a page is
written as a relative link to a file, and recorded. Starting from every page, every measure page
and the API addresses a copy can answer (`COPIED`), the publisher fetches each recorded link it
has not written yet, until none is left; so every link in the folder resolves inside the folder.
Pages are written in their default state (the force, the latest period); the filter forms say
so and point to the data files. Nothing is fetched from the network.

A file cannot be chosen by a query string, so the API addresses in `COPIED` are written at their
own path (a script written for the live API works against the copy for those), a link with a
query becomes a file named with a hash of it, and the addresses in `NOT_COPIED` need the live
service. The copy's /api/ page lists both.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import anyio
import httpx

from oversight.measures.catalogue import LEVELS
from oversight.web.render import static_file


@dataclass(frozen=True)
class Address:
    """An address of the live site, as documented, and what a published copy has for it."""

    pattern: str  # '{json,csv}': each; '{measure_id}', '{level}', '{page}': each value (see `expand`)
    means: str


COPIED: Final = (
    Address("/api/v1/measures.{json,csv}", "the measure catalogue with each measure's data status"),
    Address("/api/v1/measures/{measure_id}.json", "each measure's definition, status, periods and breakdowns"),
    Address("/api/v1/areas.{json,csv}", "areas with figures, their names and parents"),
    Address("/api/v1/boundaries/{level}.geojson", "the boundaries of each level loaded"),
    Address("/api/v1/health.{json,csv}", "the police.uk data-health ledger"),
    Address("/api/v1/health/reference.{json,csv}", "the reference datasets"),
    Address("/api/v1/openapi.json", "the OpenAPI description"),
    Address("{page}index.{json,csv}", "the data and figures of each page ({page} is its address, such as /crime/), "
                                      "as the page shows them (the force, the latest period)"),
)
"""API addresses written at their own path, with the live service's answer at publishing time."""

NOT_COPIED: Final = (
    Address("/api/v1/measures/{measure_id}/values.json?area=E09000022&period=2024-03",
            "any address with a query string (level, area, period, period_type, breakdown, offset, limit), since "
            "a static file cannot be chosen by a query; each chart and table links to a file holding exactly its "
            "figures, named with a hash of its query (values-3f2a9c01d4.csv)"),
    Address("/api/v1/measures/{measure_id}/values.{json,csv}",
            "every figure of a measure, 10,000 to a page and several megabytes each (use the files linked from "
            "its page, or the live service)"),
    Address("/crime/?area=E09000022&period=2024-03",
            "pages for another area or period (each page is here in its default state)"),
    Address("/api/v1/", "the list of endpoints (the /api/ page describes them)"),
    Address("/docs", "the interactive documentation, which sends its requests to a live server"),
)
"""Addresses of the live service that a published copy cannot answer, and what to use instead."""


def expand(pattern: str, **values: Iterable[str]) -> list[str]:
    """Every address a pattern stands for: '{json,csv}' each of its options, '{name}' each of
    `values[name]`. expand('/a/{x}.{json,csv}', x=['1']) == ['/a/1.json', '/a/1.csv']"""
    found = re.search(r"\{([^{}]+)\}", pattern)
    if found is None:
        return [pattern]
    name = found.group(1)
    options = name.split(",") if "," in name else list(values[name])
    head, tail = pattern[:found.start()], pattern[found.end():]
    return [address for option in options for address in expand(head + option + tail, **values)]


@dataclass
class PublishReport:
    folder: Path
    files: int = 0
    bytes: int = 0
    failures: list[tuple[str, int, str]] = field(default_factory=list)  # (url, status, reason)


def publish(
    warehouse: str | os.PathLike[str] | None, folder: str | os.PathLike[str], *,
    progress: Callable[[str], None] | None = None,
) -> PublishReport:
    """Render every page, its data files and the API index files into `folder` (replaced)."""
    from oversight.web.app import create_app
    from oversight.web.pages import PAGES

    target = Path(folder)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    app = create_app(warehouse, publishing=True)
    registry: dict[str, str] = app.state.registry
    store = app.state.store
    pages = [*PAGES, *(f"/measures/{m}/" for m in store.catalogue)]
    levels = [level for level in LEVELS if store.boundaries(level)]
    start = [*pages, "/api/", *(address for copied in COPIED
                                for address in expand(copied.pattern, measure_id=store.catalogue, level=levels,
                                                      page=pages))]
    for path in start:
        registry.setdefault(static_file(path), path)
    report = PublishReport(target)
    # In a thread of its own, so publishing also works where an event loop is already running
    # (a notebook, or a test session with a browser open).
    failure: list[BaseException] = []

    def crawl() -> None:
        try:
            anyio.run(_crawl, app, registry, report, progress)
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)

    worker = threading.Thread(target=crawl, name="oversight-publish")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return report


async def _crawl(app: Any, registry: dict[str, str], report: PublishReport,
                 progress: Callable[[str], None] | None) -> None:
    """Fetch every recorded link not yet written, in-process (no server, no network)."""
    written: set[str] = set()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://publish.local") as client:
        while pending := [name for name in list(registry) if name not in written]:
            for name in pending:
                written.add(name)
                response = await client.get(registry[name])
                if response.status_code != 200:
                    report.failures.append((registry[name], response.status_code, response.text[:200]))
                    continue
                out = report.folder / name
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(response.content)
                report.files += 1
                report.bytes += len(response.content)
                if progress is not None:
                    progress(name)
