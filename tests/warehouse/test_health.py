"""The data-health ledger, checked against counts made independently in Python."""

from __future__ import annotations

import csv
import statistics
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from conftest import SHARED_POLICE_UK, bundled, csv_lines, needs_shared

from oversight.sources.police_uk import ingest_police_uk
from oversight.warehouse.health import HEALTH_COLUMNS, health_ledger

LONDON = ZoneInfo("Europe/London")
# Three forces, 2019-06 to 2019-09, with the gaps police.uk has (README.md beside the files).
EXCERPT = Path(__file__).parent / "data" / "national_stop_search_excerpt"


# outputs


def test_ledger_columns_are_the_documented_ones(warehouse):
    ingest_police_uk(warehouse, [bundled("street", "2019-09")])
    assert list(health_ledger(warehouse).columns) == HEALTH_COLUMNS


def test_stop_search_shares_equal_a_count_by_hand(warehouse):
    path = bundled("stop-and-search", "2018-02")
    ingest_police_uk(warehouse, [path])
    rows = list(csv.DictReader(csv_lines(path)))
    local = [datetime.fromisoformat(r["Date"]).astimezone(LONDON) for r in rows]
    no_coords = sum(1 for r in rows if not r["Latitude"]) / len(rows)
    midnight = sum(1 for t in local if (t.hour, t.minute, t.second) == (0, 0, 0)) / len(rows)
    (row,) = health_ledger(warehouse).to_dict("records")
    assert row["rows"] == len(rows)
    assert abs(row["share_no_coordinates"] - no_coords) < 1e-12
    assert abs(row["share_midnight"] - midnight) < 1e-12
    assert (row["first_date"].date(), row["last_date"].date()) == (min(local).date(), max(local).date())
    assert no_coords > 0.9  # the published file for February 2018 lost most coordinates


def test_months_missing_inside_the_span_are_listed(warehouse):
    january, april = bundled("street", "2019-01"), bundled("street", "2019-04")
    ingest_police_uk(warehouse, [january, april])
    ledger = health_ledger(warehouse)
    assert ledger[["month", "status", "rows"]].values.tolist() == [
        ["2019-01", "ok", len(csv_lines(january)) - 1], ["2019-02", "missing", 0], ["2019-03", "missing", 0],
        ["2019-04", "ok", len(csv_lines(april)) - 1]]


def test_a_force_that_stops_submitting_is_missing_up_to_the_last_month_of_any_force(warehouse):
    assert not ingest_police_uk(warehouse, [EXCERPT]).failed
    ledger = health_ledger(warehouse, dataset="stop-and-search")
    missing = ledger.query("status == 'missing'")
    assert missing[["force", "month", "rows"]].values.tolist() == [
        ["greater-manchester", "2019-07", 0], ["greater-manchester", "2019-08", 0],
        ["greater-manchester", "2019-09", 0], ["gwent", "2019-08", 0]]
    after, inside = missing["notes"].iloc[0], missing["notes"].iloc[3]
    assert after == "no file loaded: this force's files end at 2019-06, other forces' at 2019-09"
    assert inside == "no file loaded for this month inside the covered span"
    assert ledger.groupby("force")["month"].agg(["min", "max"]).values.tolist() == [["2019-06", "2019-09"]] * 3


def test_the_last_month_of_any_force_holds_when_the_ledger_is_filtered_to_one_force(warehouse):
    ingest_police_uk(warehouse, [EXCERPT])
    ledger = health_ledger(warehouse, force="greater-manchester")
    # three rows a file: every month loaded is 'partial' (its dates end early), none 'missing'
    assert ledger[["month", "status"]].values.tolist() == [
        ["2019-06", "partial"], ["2019-07", "missing"], ["2019-08", "missing"], ["2019-09", "missing"]]


def test_a_force_is_not_missing_before_its_first_file(warehouse):
    excerpt = sorted(EXCERPT.glob("*/*.csv"))
    late = [p for p in excerpt if p.name.startswith("2019-09-gwent") or "wiltshire" in p.name]
    ingest_police_uk(warehouse, late)
    gwent = health_ledger(warehouse, force="gwent")
    assert gwent[["month", "status"]].values.tolist() == [["2019-09", "partial"]]


def test_months_of_other_datasets_do_not_extend_a_span(warehouse):
    ingest_police_uk(warehouse, [bundled("street", "2019-01"), bundled("stop-and-search", "2018-01")])
    ledger = health_ledger(warehouse)
    assert ledger[["dataset", "month", "status"]].values.tolist() == [
        ["stop-and-search", "2018-01", "ok"], ["street", "2019-01", "ok"]]


def test_street_share_without_lsoa_is_the_share_of_blank_codes(warehouse):
    path = bundled("street", "2020-04")
    ingest_police_uk(warehouse, [path])
    rows = list(csv.DictReader(csv_lines(path)))
    expected = sum(1 for r in rows if not r["LSOA code"]) / len(rows)
    assert abs(health_ledger(warehouse)["share_no_lsoa"].iloc[0] - expected) < 1e-12


def test_lockdown_months_are_flagged_by_their_low_counts(warehouse):
    months = [f"{y}-{m:02d}" for y in (2018, 2019, 2020) for m in range(1, 13)]
    ingest_police_uk(warehouse, [bundled("street", m) for m in months])
    counts = {m: len(csv_lines(bundled("street", m))) - 1 for m in months}
    median = statistics.median(counts.values())
    expected = [m for m in months if counts[m] < 0.5 * median]
    partial = health_ledger(warehouse).query("status == 'partial'")["month"].tolist()
    assert partial == expected == ["2020-04", "2020-05", "2020-06"]


@needs_shared
def test_met_december_2022_stop_search_is_flagged_partial(warehouse):
    folder = SHARED_POLICE_UK / "stop_and_search"
    ingest_police_uk(warehouse, [
        folder / "2022-08-metropolitan-stop-and-search.csv.gz",
        folder / "2022-09-metropolitan-stop-and-search.csv.gz",
        folder / "2022-12-metropolitan-stop-and-search_from_api_with_borough.csv.gz",
    ])
    ledger = health_ledger(warehouse).set_index("month")
    assert ledger.loc["2022-12", "status"] == "partial"
    assert ledger.loc["2022-12", "notes"].startswith("last record on 17 Dec")
    assert ledger.loc[["2022-10", "2022-11"], "status"].tolist() == ["missing", "missing"]
