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

import gzip
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx

from oversight.measures.catalogue import LEVELS
from oversight.web.addresses import COPIED, expand
from oversight.web.app import create_app
from oversight.web.assets import COMPRESS_FROM_BYTES
from oversight.web.pages import PAGES, neighbourhood_pages
from oversight.web.render import static_file


@dataclass
class PublishReport:
    folder: Path
    files: int = 0
    bytes: int = 0
    failures: list[tuple[str, int, str]] = field(default_factory=list)  # (url, status, reason)
    compressed: int = 0  # .gz copies written beside the files


COMPRESSIBLE = (".html", ".css", ".js", ".json", ".csv", ".geojson", ".txt")
"""Files written with a gzip copy beside them (NAME.gz), for a web server to send as they are
to clients that accept gzip (nginx `gzip_static on`, Apache `mod_rewrite` rules, most CDNs)."""


def publish(
    warehouse: str | os.PathLike[str] | None, folder: str | os.PathLike[str], *,
    progress: Callable[[str], None] | None = None,
) -> PublishReport:
    """Render every page, its data files and the API index files into `folder` (replaced)."""
    target = Path(folder)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    app = create_app(warehouse, publishing=True)
    registry: dict[str, str] = app.state.registry
    store = app.state.store
    places = neighbourhood_pages(store)
    pages = [*PAGES, *(f"/measures/{m}/" for m in store.catalogue), *places]
    levels = [level for level in LEVELS if store.boundaries(level)]
    start = [*pages, "/api/", *(address for copied in COPIED
                                for address in expand(copied.pattern, measure_id=store.catalogue, level=levels,
                                                      neighbourhood=[p.rstrip("/").rpartition("/")[2] for p in places],
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
                if out.suffix in COMPRESSIBLE and len(response.content) >= COMPRESS_FROM_BYTES:
                    (out.parent / (out.name + ".gz")).write_bytes(
                        gzip.compress(response.content, compresslevel=9, mtime=0))
                    report.compressed += 1
                report.files += 1
                report.bytes += len(response.content)
                if progress is not None:
                    progress(name)
