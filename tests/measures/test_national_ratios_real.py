"""The Black/White search rate ratio (self-defined) of forces other than the Met, for 2019-20,
against an independent computation from the raw files (ONS and police.uk, OGL v3.0).

Independent means: the searches are counted from the CSVs inside the national police.uk archives
with the csv module, by the leading word of 'Self-defined ethnicity'; the residents are summed from
the raw Census 2021 local-authority file, each column given its group by the committed mapping
(mappings/census_ethnicity_to_police_groups.csv), each authority given its force through the ONS
lookups (2021 -> 2023 authority -> police force area) and mappings/police_force_areas.csv. The
engine only builds the figures being checked.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from conftest import SHARED, needs_shared

from oversight.measures.catalogue import load_catalogue
from oversight.measures.engine import build
from oversight.sources.police_uk import ingest_police_uk
from oversight.sources.reference import geography, ingest_reference, place_loaded_records
from oversight.warehouse import connect

pytestmark = needs_shared  # about 20 s

NATIONAL = SHARED / "national"
ARCHIVES = NATIONAL / "police_uk_stop_and_search"
MAPPINGS = Path(__file__).resolve().parents[2] / "src" / "oversight" / "sources" / "reference" / "mappings"
FY2019 = [f"2019-{m:02d}" for m in range(4, 13)] + [f"2020-{m:02d}" for m in range(1, 4)]
FORCES = ("west-midlands", "merseyside", "essex", "kent", "west-yorkshire", "thames-valley", "dorset")
Z95 = 1.959963984540054


def _searches() -> dict[str, Counter[str]]:
    """Force -> leading word of the self-defined ethnicity (Black, White, ...) -> searches in 2019-20."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for month in FY2019:
        with zipfile.ZipFile(ARCHIVES / f"{month}.zip") as archive:
            for member in archive.namelist():
                force = member.rsplit("/", 1)[-1][len(month) + 1:].removesuffix("-stop-and-search.csv")
                if force not in FORCES:
                    continue
                with archive.open(member) as raw:
                    for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig")):
                        # 'White - Irish', 'Black/African/Caribbean/Black British - African', ...
                        word = re.match(r"[A-Za-z]*", row["Self-defined ethnicity"] or "")
                        counts[force][word.group(0) if word else ""] += 1
    return counts


def _residents() -> dict[str, Counter[str]]:
    """Force -> self-defined group -> Census 2021 usual residents."""
    with open(MAPPINGS / "census_ethnicity_to_police_groups.csv", encoding="utf-8") as fh:
        group_of = {r["census_label"]: r["self_defined_group"]
                    for r in csv.DictReader(fh) if r["census_year"] == "2021"}
    with open(MAPPINGS / "police_force_areas.csv", encoding="utf-8") as fh:
        force_of_pfa = {r["pfa_code"]: r["force"] for r in csv.DictReader(fh) if r["pfa_code"]}
    with open(NATIONAL / "lookups" / "geographr_lookup_ltla22_ltla23.csv", encoding="utf-8") as fh:
        successor = {r["ltla22_code"]: r["ltla23_code"] for r in csv.DictReader(fh)}
    with open(NATIONAL / "lookups" / "geographr_lookup_ltla24_csp24_pfa24.csv", encoding="utf-8") as fh:
        pfa = {r["ltla24_code"]: r["pfa24_code"] for r in csv.DictReader(fh)}
    residents: dict[str, Counter[str]] = defaultdict(Counter)
    census = NATIONAL / "census2021" / "census2021_ts021_ethnic_group_19cat_ltla21_EW.csv"
    with open(census, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            force = force_of_pfa[pfa[successor.get(row["ltla21_code"], row["ltla21_code"])]]
            for column, value in row.items():
                if column in group_of:
                    residents[force][group_of[column]] += int(value)
    return residents


def _independent() -> dict[str, tuple[float, float, float]]:
    searches, residents = _searches(), _residents()
    out = {}
    for force in FORCES:
        black, white = searches[force]["Black"], searches[force]["White"]
        ratio = (black / residents[force]["Black"]) / (white / residents[force]["White"])
        half = Z95 * math.sqrt(1 / black + 1 / white)
        out[force] = (ratio, ratio * math.exp(-half), ratio * math.exp(half))
    return out


@pytest.fixture(scope="module")
def engine_ratios(tmp_path_factory) -> dict[str, tuple[float, float, float]]:
    con = connect(tmp_path_factory.mktemp("ratios") / "warehouse.duckdb")
    names = [d.name for d in geography.DATASETS if d.optional] + ["population-ethnicity-la"]
    assert not ingest_reference(con, [SHARED], only=names).failed
    assert not ingest_police_uk(con, [ARCHIVES / f"{m}.zip" for m in FY2019]).failed
    place_loaded_records(con)
    catalogue = load_catalogue()
    report = build(con, {k: catalogue[k] for k in ("stop_search_rate", "stop_search_rate_ratio")})
    assert not report.failed, report.failed
    rows = con.execute(
        """SELECT area_code, value, interval_low, interval_high FROM measure_value
           WHERE measure = 'stop_search_rate_ratio' AND period_type = 'financial_year'
             AND period_end = DATE '2020-03-31' AND area_level = 'force' AND breakdown = 'self_defined_group=Black'"""
    ).fetchall()
    btp = con.execute(
        """SELECT DISTINCT value, quality_note FROM measure_value WHERE area_code = 'btp'
           AND measure IN ('stop_search_rate', 'stop_search_rate_ratio')"""
    ).fetchall()
    con.close()
    return {code: (v, lo, hi) for code, v, lo, hi in rows} | {"btp": btp}  # type: ignore[dict-item]


def test_black_white_ratios_agree_with_the_raw_files(engine_ratios):
    expected = _independent()
    for force, (ratio, low, high) in expected.items():
        assert engine_ratios[force] == (pytest.approx(ratio, rel=1e-9), pytest.approx(low, rel=1e-9),
                                        pytest.approx(high, rel=1e-9)), force


def test_british_transport_police_gets_no_rate_and_is_told_why(engine_ratios):
    rows = engine_ratios["btp"]
    assert rows
    for value, note in rows:  # type: ignore[attr-defined]
        assert value is None
        assert "no figure per resident: British Transport Police" in note
