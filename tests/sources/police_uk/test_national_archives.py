"""police.uk's monthly archives of stop and search for every force (../shared/data/national):
every member loaded whole, as MANIFEST.tsv counts it, and the forces' gaps in the health ledger."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import SHARED

from oversight.sources.police_uk import ingest_police_uk
from oversight.sources.police_uk._files import parse_name
from oversight.warehouse import connect
from oversight.warehouse.health import health_ledger

ARCHIVES = SHARED / "national" / "police_uk_stop_and_search"
MONTHS = ("2019-06", "2019-07", "2019-08")

pytestmark = pytest.mark.skipif(not ARCHIVES.exists(), reason="../shared/data/national is not beside the repo")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("national") / "w.duckdb")
    report = ingest_police_uk(con, [ARCHIVES / f"{month}.zip" for month in MONTHS])
    yield con, report
    con.close()


def _manifest() -> dict[str, dict[str, str]]:
    """MANIFEST.tsv's rows for the archives loaded, by 'YYYY-MM.zip!member' as the loader names them."""
    with open(ARCHIVES / "MANIFEST.tsv", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {f"{r['zip']}!{r['member']}": r for r in rows if r["zip"][:7] in MONTHS}


def _key(name: str) -> str:
    """'YYYY-MM.zip!member' from the name the loader gives a member: the archive's path, '!', the member."""
    archive, member = name.split("!")
    return f"{Path(archive).name}!{member}"


def test_every_member_is_read_whole_and_loaded_or_quarantined(loaded):
    con, report = loaded
    manifest = _manifest()
    assert not report.failed
    assert sorted(_key(f.name) for f in report.files) == sorted(manifest)
    for f in report.files:
        expected = int(manifest[_key(f.name)]["data_rows"])
        assert (f.rows_read, f.rows_loaded + f.rows_quarantined) == (expected, expected), f.name
    ledger = con.execute(
        "SELECT source_file, sha256, rows_read, rows_loaded, rows_quarantined FROM file_load").fetchall()
    assert len(ledger) == len(manifest)
    for name, sha256, read, rows_loaded, quarantined in ledger:
        entry = manifest[_key(name)]
        assert (sha256, read, rows_loaded + quarantined) == (entry["sha256"], int(entry["data_rows"]), read), name
    stored = con.execute("SELECT count(*) FROM stop_search").fetchone()[0]  # type: ignore[index]
    assert stored == sum(f.rows_loaded for f in report.files)


def test_each_file_supplies_the_force_and_month_of_its_name(loaded):
    _, report = loaded
    for f in report.files:
        month, force, _ = parse_name(f.name)
        assert (f.force, f.months) == (force, [month]), f.name


def test_health_shows_the_forces_that_sent_no_file(loaded):
    con, _ = loaded
    ledger = health_ledger(con, dataset="stop-and-search")
    missing = sorted(map(tuple, ledger.query("status == 'missing'")[["force", "month"]].values.tolist()))
    # Greater Manchester sent nothing after June 2019; police.uk has no Gwent file for August
    # 2019; the Met's files for these months are absent from the snapshot (ABSENT_in_source_snapshot.tsv).
    assert missing == [
        ("greater-manchester", "2019-07"), ("greater-manchester", "2019-08"), ("gwent", "2019-08")]
    assert not ledger["force"].eq("metropolitan").any()
