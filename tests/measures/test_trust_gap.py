"""The trust gap table on the real PAS neighbourhood file: its rows, its blanks, and each figure
recomputed independently from the CSV and the census tables."""

from __future__ import annotations

import csv
import gzip
from collections import defaultdict
from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy.stats import norm

from oversight.measures.catalogue import load_catalogue
from oversight.measures.trust_gap import (
    HOLDS_MOST,
    INTERVIEWS_PER_BOROUGH_YEAR,
    build_trust_gap,
    nearest_census,
    verdict_holds_to,
)
from oversight.sources.reference import ingest_reference
from oversight.warehouse import connect

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "default" / "reference"
FILE = REFERENCE / "mps" / "MOPAC_PAS_neighbourhood_indicators_by_ethnicity_2015-16_to_2020-21.csv.gz"
COLUMNS = {"treat_everyone_fairly": 0, "listen_to_concerns": 1, "good_job_local": 2, "stop_search_fair": 3}
GROUP_OFFSET = {"White British": 0, "Asian": 4, "Black": 8}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con = connect(tmp_path_factory.mktemp("trust_gap") / "w.duckdb")
    assert not ingest_reference(con, [REFERENCE]).failed
    assert build_trust_gap(con, load_catalogue()) > 0
    return con


def _published() -> dict[str, list[str]]:
    """Neighbourhood name -> its 12 cells, read straight from the file."""
    with gzip.open(FILE, "rt", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))[3:]
    return {r[0]: r[1:] for r in rows}


def _shares(con: duckdb.DuckDBPyConnection, year: int) -> dict[tuple[str, str], float]:
    rows = con.execute(
        """SELECT a.borough_code,
                  sum(residents) FILTER (WHERE ethnic_group = 'White British') / sum(residents),
                  sum(residents) FILTER (WHERE ethnic_group IN ('Black African', 'Black Caribbean', 'Black Other'))
                      / sum(residents),
                  sum(residents) FILTER (WHERE ethnic_group IN ('Asian Bangladeshi', 'Asian Chinese', 'Asian Indian',
                                                               'Asian Other', 'Asian Pakistani')) / sum(residents),
                  sum(residents) FILTER (WHERE ethnic_group IN ('Asian Bangladeshi', 'Asian Chinese', 'Asian Indian',
                                                               'Asian Other', 'Asian Pakistani')),
                  sum(residents) FILTER (WHERE ethnic_group IN ('Black African', 'Black Caribbean', 'Black Other')),
                  sum(residents) FILTER (WHERE ethnic_group = 'White British')
           FROM population_ethnicity JOIN lsoa_area a USING (lsoa_code) WHERE census_year = ? GROUP BY 1""",
        [year]).fetchall()
    out = {}
    for code, wb, black, asian, asian_n, black_n, wb_n in rows:
        out[(code, "White British")], out[(code, "Black")], out[(code, "Asian")] = wb, black, asian
        out[(code, "Asian residents")], out[(code, "Black residents")] = asian_n, black_n
        out[(code, "White British residents")] = wb_n
    return out


def test_every_neighbourhood_borough_and_the_force_has_a_row_per_question_and_group(built) -> None:
    counts = dict(built.execute(
        "SELECT area_level, count(*) FROM trust_gap GROUP BY 1").fetchall())
    assert counts == {"neighbourhood": 112 * 4 * 2, "borough": 32 * 4 * 2, "force": 4 * 2}
    assert built.execute("SELECT DISTINCT period_label, period_start::VARCHAR, period_end::VARCHAR, census_year "
                         "FROM trust_gap").fetchall() == [("2015-16 to 2020-21", "2015-04-01", "2021-03-31", 2021)]


def test_blank_neighbourhoods_have_no_figure_and_say_why(built) -> None:
    blank = sorted(name for name, cells in _published().items() if all(c.strip() == "" for c in cells))
    assert len(blank) == 14
    rows = built.execute(
        """SELECT area_name, count(*), count(value), min(note) FROM trust_gap
           WHERE area_level = 'neighbourhood' AND value IS NULL GROUP BY 1""").fetchall()
    names = sorted(f"{name.split(', ')[1]} - {name.split(', ')[0]}" for name, *_ in rows)
    assert names == blank
    assert {(n, v) for _, n, v, _ in rows} == {(8, 0)}
    assert all("blank in the source" in note for *_, note in rows)
    # Richmond upon Thames: every neighbourhood blank, so no borough figure either
    richmond = built.execute("SELECT count(*), count(value), min(neighbourhoods) FROM trust_gap "
                             "WHERE area_level = 'borough' AND area_name = 'Richmond upon Thames'").fetchone()
    assert richmond == (8, 0, 0)


def test_neighbourhood_gaps_are_the_published_cells_subtracted(built) -> None:
    published = _published()
    rows = built.execute(
        """SELECT area_name, question, breakdown, value, proportion, proportion_reference FROM trust_gap
           WHERE area_level = 'neighbourhood' AND value IS NOT NULL""").fetchall()
    assert len(rows) == 98 * 4 * 2
    for name, question, breakdown, value, p, p_ref in rows:
        neighbourhood, borough = name.split(", ")
        cells = published[f"{borough} - {neighbourhood}"]
        group = breakdown.split("=")[1]
        mine = float(cells[GROUP_OFFSET[group] + COLUMNS[question]])
        white = float(cells[COLUMNS[question]])
        assert (p, p_ref) == (pytest.approx(mine / 100), pytest.approx(white / 100))
        assert value == pytest.approx(mine - white)
    # one by hand: Barking and Dagenham - Barking, good job, Black 66% against White British 56%
    assert built.execute("""SELECT value FROM trust_gap WHERE area_code = 'E09000002/Barking'
                            AND question = 'good_job_local' AND breakdown = 'ethnicity=Black'""").fetchone() == (
        pytest.approx(10.0),)


def test_intervals_rest_on_the_stated_sample_size_assumption(built) -> None:
    shares = _shares(built, 2021)
    listed = defaultdict(int)
    for name in _published():
        listed[name.split(" - ")[0]] += 1
    rows = built.execute(
        """SELECT t.parent_code, b.name, t.breakdown, t.proportion, t.proportion_reference, t.sample_size,
                  t.sample_size_reference, t.interval_low, t.interval_high
           FROM trust_gap t JOIN area b ON b.level = 'borough' AND b.code = t.parent_code
           WHERE t.area_level = 'neighbourhood' AND t.value IS NOT NULL""").fetchall()
    z = norm.ppf(0.975)
    for code, borough, breakdown, p1, p2, n1, n2, low, high in rows:
        group = breakdown.split("=")[1]
        per = INTERVIEWS_PER_BOROUGH_YEAR * 6 / listed[borough]
        assert n1 == pytest.approx(per * shares[(code, group)])
        assert n2 == pytest.approx(per * shares[(code, "White British")])
        # Newcombe method 10 written out (Wilson limits in closed form)
        limits = []
        for p, n in ((p1, n1), (p2, n2)):
            centre, half = (p + z * z / (2 * n)) / (1 + z * z / n), z / (1 + z * z / n) * np.sqrt(
                p * (1 - p) / n + z * z / (4 * n * n))
            limits.append((centre - half, centre + half))
        (l1, u1), (l2, u2) = limits
        assert low == pytest.approx(100 * (p1 - p2 - np.hypot(p1 - l1, u2 - p2)), abs=1e-9)
        assert high == pytest.approx(100 * (p1 - p2 + np.hypot(u1 - p1, p2 - l2)), abs=1e-9)


def test_a_borough_is_the_plain_mean_of_its_published_neighbourhoods(built) -> None:
    published = _published()
    # Bexley: Central and North published, South blank (Black 85 and 67, White British 83 and 83 agree fairly)
    value, n, neighbourhoods, listed = built.execute(
        """SELECT value, sample_size, neighbourhoods, neighbourhoods_listed FROM trust_gap
           WHERE area_level = 'borough' AND area_name = 'Bexley' AND question = 'treat_everyone_fairly'
             AND breakdown = 'ethnicity=Black'""").fetchone()
    cells = [published["Bexley - Central"], published["Bexley - North"]]
    assert [c[8] for c in cells] == ["85", "67"]
    assert value == pytest.approx((85 + 67) / 2 - (83 + 83) / 2)
    assert (neighbourhoods, listed) == (2, 3)
    shares = _shares(built, 2021)
    assert n == pytest.approx(2 * INTERVIEWS_PER_BOROUGH_YEAR * 6 / 3 * shares[("E09000004", "Black")])


def test_the_force_weights_boroughs_by_their_residents_of_each_group(built) -> None:
    shares = _shares(built, 2021)
    boroughs = built.execute(
        """SELECT area_code, proportion, proportion_reference, sample_size, sample_size_reference FROM trust_gap
           WHERE area_level = 'borough' AND question = 'stop_search_fair' AND breakdown = 'ethnicity=Black'
             AND value IS NOT NULL""").fetchall()
    assert len(boroughs) == 31
    w = np.array([shares[(code, "Black residents")] for code, *_ in boroughs], float)
    w_ref = np.array([shares[(code, "White British residents")] for code, *_ in boroughs], float)
    p, p_ref, n, n_ref = (np.array([b[i] for b in boroughs], float) for i in (1, 2, 3, 4))
    w, w_ref = w / w.sum(), w_ref / w_ref.sum()
    mean, mean_ref = (w * p).sum(), (w_ref * p_ref).sum()
    force = built.execute(
        """SELECT proportion, proportion_reference, sample_size, sample_size_reference, value, vs_band
           FROM trust_gap WHERE area_level = 'force' AND question = 'stop_search_fair'
             AND breakdown = 'ethnicity=Black'""").fetchone()
    assert force[0] == pytest.approx(mean) and force[1] == pytest.approx(mean_ref)
    assert force[2] == pytest.approx(mean * (1 - mean) / (w ** 2 * p * (1 - p) / n).sum())
    assert force[3] == pytest.approx(mean_ref * (1 - mean_ref) / (w_ref ** 2 * p_ref * (1 - p_ref) / n_ref).sum())
    assert force[4] == pytest.approx(100 * (mean - mean_ref))
    assert force[5] == "outside band"  # about -23 points: Black Londoners far less confident in stop and search


def test_verdicts_agree_with_the_intervals_and_p_values(built) -> None:
    rows = built.execute(
        "SELECT interval_low, interval_high, p_below, p_above, vs_band, band FROM trust_gap WHERE value IS NOT NULL"
    ).fetchall()
    assert len(rows) == (98 * 4 + 31 * 4 + 4) * 2
    seen = set()
    for low, high, below, above, verdict, band in rows:
        inside = -band <= low and high <= band
        outside = low > band or high < -band
        assert verdict == ("inside band" if inside else "outside band" if outside else "cannot tell")
        if inside:
            assert below <= 0.025 + 1e-9 and above <= 0.025 + 1e-9
        seen.add(verdict)
    assert seen == {"inside band", "outside band", "cannot tell"}


def test_a_verdict_holds_up_to_the_design_effect_where_its_interval_reaches_the_edge() -> None:
    # 0.5 against 0.5 with 2000 each: inside ±5 while sqrt(2) z / (2 sqrt(n/d + z^2)) <= 0.05,
    # i.e. n / d >= z^2 (1 / (2 * 0.0025) - 1) = 199 z^2, d <= 2000 / (199 z^2) = 2.616.
    z = norm.ppf(0.975)
    held = verdict_holds_to(np.array([0.5]), np.array([2000.0]), np.array([0.5]), np.array([2000.0]),
                            np.array(["inside band"], dtype=object), 5.0, 1.0)
    assert held[0] == pytest.approx(2000 / (199 * z * z), abs=1e-6)
    assert np.isnan(verdict_holds_to(np.array([0.5]), np.array([50.0]), np.array([0.5]), np.array([50.0]),
                                     np.array(["cannot tell"], dtype=object), 5.0, 1.0)[0])
    far = verdict_holds_to(np.array([0.9]), np.array([5000.0]), np.array([0.3]), np.array([5000.0]),
                           np.array(["outside band"], dtype=object), 5.0, 1.0)
    assert far[0] == HOLDS_MOST


def test_the_census_nearest_the_middle_of_the_pooled_years() -> None:
    assert nearest_census("2015-04-01", "2021-03-31") == 2021
    assert nearest_census("2009-04-01", "2015-03-31") == 2011


# the partner route: quarterly trust by group, gaps computed here ----------------------------------

PARTNER_HEADER = ("measure,period_type,period_start,period_end,area_level,area_code,breakdown,numerator,denominator,"
                  "value,sample_size,source,notes")


def test_partner_shares_by_group_become_gaps_from_all_respondents_with_newcombe_intervals(warehouse, tmp_path):
    from oversight.measures.engine import build
    from oversight.sources.partner import ingest_partner

    rows = [
        # all respondents, then groups: Black 56% of 1,600 (effective), Asian 74% of 2,500, women 71.5% of 6,000
        "all,0.73,12000", "ethnicity=Black,0.56,1600", "ethnicity=Asian,0.74,2500", "sex=Female,0.715,6000",
        "age=16-24,0.70,", "ethnicity=Mixed,1.5,300",  # no sample size; not a proportion
    ]
    lines = [PARTNER_HEADER] + [
        f"trust_gap_ethnicity,fy_quarter,2024-01-01,2024-03-31,force,metropolitan,{b},,,{v},{n},MOPAC PAS,"
        for b, v, n in (r.split(",") for r in rows)]
    path = tmp_path / "pas-trust-2023-24-q4.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert not ingest_partner(warehouse, [path]).failed
    catalogue = load_catalogue()
    assert not build(warehouse, {"trust_gap_ethnicity": catalogue["trust_gap_ethnicity"]}).failed
    got = {r[0]: r[1:] for r in warehouse.execute(
        """SELECT breakdown, value, interval_low, interval_high, vs_band FROM measure_value
           WHERE measure = 'trust_gap_ethnicity'""").fetchall()}
    assert set(got) == {"ethnicity=Black", "ethnicity=Asian", "sex=Female", "age=16-24", "ethnicity=Mixed"}
    z = norm.ppf(0.975)

    def wilson(p: float, n: float) -> tuple[float, float]:
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        return centre - half, centre + half

    for breakdown, p, n, verdict in (("ethnicity=Black", 0.56, 1600, "outside band"),
                                     ("ethnicity=Asian", 0.74, 2500, "inside band"),
                                     ("sex=Female", 0.715, 6000, "inside band")):
        (l1, u1), (l2, u2) = wilson(p, n), wilson(0.73, 12000)
        value, low, high, band = got[breakdown]
        assert value == pytest.approx(100 * (p - 0.73))
        assert low == pytest.approx(100 * (p - 0.73 - np.hypot(p - l1, u2 - 0.73)))
        assert high == pytest.approx(100 * (p - 0.73 + np.hypot(u1 - p, 0.73 - l2)))
        assert band == verdict
    assert got["age=16-24"][0] is None and got["ethnicity=Mixed"][0] is None
