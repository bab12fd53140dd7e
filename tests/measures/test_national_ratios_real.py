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

import math

import duckdb
import pytest
from conftest import FY2019_20 as FY2019
from conftest import needs_shared
from national_raw import raw_residents, raw_searches

pytestmark = needs_shared  # about 20 s

FORCES = ("west-midlands", "merseyside", "essex", "kent", "west-yorkshire", "thames-valley", "dorset")
Z95 = 1.959963984540054


def _independent() -> dict[str, tuple[float, float, float]]:
    searches, residents = raw_searches(FY2019, FORCES), raw_residents()
    out = {}
    for force in FORCES:
        black, white = searches[force]["Black"], searches[force]["White"]
        ratio = (black / residents[force]["Black"]) / (white / residents[force]["White"])
        half = Z95 * math.sqrt(1 / black + 1 / white)
        out[force] = (ratio, ratio * math.exp(-half), ratio * math.exp(half))
    return out


@pytest.fixture(scope="module")
def engine_ratios(national_2019_20) -> dict[str, tuple[float, float, float]]:
    con = duckdb.connect(str(national_2019_20), read_only=True)
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
