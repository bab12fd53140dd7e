"""Shared fixtures: real police.uk files (bundled, or ../shared/data when present) and warehouses."""

from __future__ import annotations

import csv
import gzip
import io
import shutil
from pathlib import Path

import pytest

from oversight.warehouse import connect

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "data" / "default" / "police_uk"
SHARED = REPO.parent / "shared" / "data"
SHARED_POLICE_UK = SHARED / "police_uk"
NATIONAL_ARCHIVES = SHARED / "national" / "police_uk_stop_and_search"
FY2019_20 = [f"2019-{m:02d}" for m in range(4, 13)] + [f"2020-{m:02d}" for m in range(1, 4)]

# Tests over the full real data set run wherever ../shared/data is beside the repo (CI has it).
needs_shared = pytest.mark.skipif(not SHARED_POLICE_UK.exists(), reason="../shared/data is not beside the repo")


@pytest.fixture
def warehouse(tmp_path):
    con = connect(tmp_path / "warehouse.duckdb")
    yield con
    con.close()


def bundled(dataset: str, month: str) -> Path:
    """One bundled police.uk file, e.g. bundled('stop-and-search', '2018-04')."""
    (match,) = sorted((BUNDLED / dataset).glob(f"{month}-*.csv.gz"))
    return match


def unzip_to(path: Path, target: Path) -> Path:
    """Write a plain-CSV copy of a .csv.gz file at `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return target


def csv_lines(path: Path) -> list[str]:
    """The lines of a .csv or .csv.gz file, without line ends."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:  # type: ignore[operator]
        return handle.read().splitlines()


def stop_search_file(path: Path, points: list[tuple[float, float] | None]) -> Path:
    """A real 2018-04 Met stop-and-search row repeated, once per point (None: no coordinates)."""
    lines = csv_lines(bundled("stop-and-search", "2018-04"))
    header = next(csv.reader([lines[0]]))
    template = next(csv.reader([lines[1]]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for point in points:
        row = list(template)
        row[header.index("Longitude")] = "" if point is None else str(point[0])
        row[header.index("Latitude")] = "" if point is None else str(point[1])
        writer.writerow(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def shared_built(tmp_path_factory):
    """Path of a warehouse (closed, for read-only use) holding the full shared data set and its
    measures: the bundled files, ../shared/data's reference files and every monthly police.uk file
    (the borough-only API extracts are left out: loaded for the whole force they would replace
    full months). Built once per test session."""
    from oversight.measures.engine import build
    from oversight.sources.police_uk import ingest_police_uk
    from oversight.sources.reference import ingest_reference, place_loaded_records

    path = tmp_path_factory.mktemp("shared") / "warehouse.duckdb"
    con = connect(path)
    assert not ingest_reference(con, [BUNDLED.parent / "reference", SHARED]).failed
    searches = sorted((SHARED_POLICE_UK / "stop_and_search").glob("*.csv.gz"))
    files = [BUNDLED, SHARED_POLICE_UK / "street", SHARED_POLICE_UK / "outcomes", *searches]
    assert not ingest_police_uk(con, files).failed
    place_loaded_records(con)
    report = build(con)
    assert not report.failed, report.failed
    con.close()
    return path


@pytest.fixture(scope="session")
def bundled_built(tmp_path_factory):
    """Path of a warehouse (closed, for read-only use; copy it to write) holding the bundled data
    and its measures, loaded as `make demo` loads it and built once per test session: the one build
    the web, report and CLI tests all read, so that what they compare is the same figures."""
    from oversight.measures.engine import build
    from oversight.sources.police_uk import ingest_police_uk
    from oversight.sources.reference import ingest_reference, place_loaded_records

    path = tmp_path_factory.mktemp("bundled") / "warehouse.duckdb"
    con = connect(path)
    assert not ingest_reference(con, [BUNDLED.parent / "reference", BUNDLED.parent / "england-and-wales"]).failed
    assert not ingest_police_uk(con, [BUNDLED]).failed
    place_loaded_records(con)
    report = build(con)
    assert not report.failed, report.failed
    con.close()
    return path


@pytest.fixture(scope="session")
def national_2019_20(tmp_path_factory):
    """Path of a warehouse (closed; open it read-only) of every force's stop and search for the
    financial year 2019-20: the 12 national police.uk archives, the national geography and Census
    2021, and only the two measures the national tests read."""
    from oversight.measures.catalogue import load_catalogue
    from oversight.measures.engine import build
    from oversight.sources.police_uk import ingest_police_uk
    from oversight.sources.reference import geography, ingest_reference, place_loaded_records

    path = tmp_path_factory.mktemp("national") / "warehouse.duckdb"
    con = connect(path)
    names = [d.name for d in geography.DATASETS if d.optional] + ["population-ethnicity-la"]
    assert not ingest_reference(con, [SHARED], only=names).failed
    assert not ingest_police_uk(con, [NATIONAL_ARCHIVES / f"{m}.zip" for m in FY2019_20]).failed
    place_loaded_records(con)
    catalogue = load_catalogue()
    report = build(con, {k: catalogue[k] for k in ("stop_search_rate", "stop_search_rate_ratio")})
    assert not report.failed, report.failed
    con.close()
    return path
