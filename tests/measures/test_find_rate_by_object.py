"""The find rate by object of search (the grounds of a search), which the community monitoring
pack shows, checked against a real police.uk file counted here with the csv module."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter

import pytest
from conftest import BUNDLED, SHARED, needs_shared

from oversight.measures.catalogue import load_catalogue
from oversight.measures.engine import build
from oversight.sources.police_uk import ingest_police_uk
from oversight.sources.reference import ingest_reference, place_loaded_records

pytestmark = needs_shared
ZIP = SHARED / "national" / "police_uk_stop_and_search" / "2019-06.zip"
MEMBER = "2019-06/2019-06-merseyside-stop-and-search.csv"  # a force that fills in the outcome link


@pytest.fixture
def merseyside(tmp_path):
    with zipfile.ZipFile(ZIP) as archive:
        text = archive.read(MEMBER).decode("utf-8-sig")
    path = tmp_path / "2019-06" / "2019-06-merseyside-stop-and-search.csv"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    return path, list(csv.DictReader(io.StringIO(text)))


def test_find_rates_by_object_of_search_count_the_linked_outcomes(warehouse, merseyside):
    path, rows = merseyside
    assert not ingest_police_uk(warehouse, [path]).failed
    # The bundled (London) geography, so that searches are placed (outside it): force figures need placing done.
    assert not ingest_reference(warehouse, [BUNDLED.parent / "reference"]).failed
    place_loaded_records(warehouse)
    catalogue = load_catalogue()
    assert not build(warehouse, {"stop_search_find_rate": catalogue["stop_search_find_rate"]}).failed
    linked = [r for r in rows if r["Outcome linked to object of search"] in ("True", "False")]
    searches = Counter(r["Object of search"] or "Not stated" for r in linked)
    found = Counter(r["Object of search"] or "Not stated" for r in linked
                    if r["Outcome linked to object of search"] == "True")
    stored = {b.split("=", 1)[1]: (n, d, v) for b, n, d, v in warehouse.execute(
        """SELECT breakdown, numerator, denominator, value FROM measure_value WHERE measure = 'stop_search_find_rate'
           AND area_level = 'force' AND period_type = 'month' AND breakdown LIKE 'object_of_search=%'""").fetchall()}
    assert len(linked) == 479 and len(searches) >= 5  # searches with the outcome link filled in
    assert set(stored) == set(searches)
    for what, count in searches.items():
        numerator, denominator, value = stored[what]
        assert (numerator, denominator) == (found[what], count), what
        assert value == pytest.approx(found[what] / count)
