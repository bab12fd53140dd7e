"""The neighbourhood comparator against an independent pandas computation on the real file:
group means, ranges and ranks, London averages, gaps to peers with a hand-made Newcombe interval,
the order of the gaps, and the correlations with overall confidence."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import REPO, SHARED
from scipy.stats import norm, pearsonr, spearmanr

from oversight.measures import comparator
from oversight.sources.reference import pas_comparator
from oversight.sources.reference.dataset import load_datasets
from oversight.warehouse import connect

ROOT = SHARED if (SHARED / "mps").exists() else REPO / "data" / "default" / "reference"
GOOD_JOB = "Taking everything into account how good a job do you think the police in your area are doing?"


@pytest.fixture(scope="module")
def frame(tmp_path_factory) -> pd.DataFrame:
    con = connect(tmp_path_factory.mktemp("comparator") / "warehouse.duckdb")
    assert not any(r.error for r in load_datasets(con, pas_comparator.DATASETS, [ROOT]))
    found = comparator.load(con)
    con.close()
    return found


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """The file as pandas reads it: 18 question columns in percents, 'N/A' as NaN."""
    (path,) = sorted((ROOT / "mps").glob("MOPAC_PAS_police_perceptions_2016_by_neighbourhood.csv*"))
    table = pd.read_csv(path, skiprows=[1], na_values=["N/A"], encoding="utf-8-sig")
    return table.drop(columns=["Total Notifiable Offences rate"])


def _wilson(p: float, n: float, z: float) -> tuple[float, float]:
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_every_figure_of_every_neighbourhood_agrees_with_pandas(frame, raw):
    questions = raw.columns[3:]
    assert len(questions) == 18 and raw["Neighbourhood"].nunique() == 106
    for code in raw["Code"]:
        mine = raw[raw["Code"] == code].iloc[0]
        group = raw[raw["Group"] == mine["Group"]]
        found = comparator.comparison(frame, code).set_index("question")
        assert len(found) == 18
        for q in questions:
            row = found.loc[q]
            assert row["value"] == pytest.approx(mine[q] / 100)
            assert row["group_mean"] == pytest.approx(group[q].mean() / 100)
            assert (row["group_min"], row["group_max"]) == (pytest.approx(group[q].min() / 100),
                                                            pytest.approx(group[q].max() / 100))
            assert row["group_size"] == len(group)
            assert row["rank_in_group"] == int(group[q].rank(ascending=False, method="min")[mine.name])
            assert row["rank_in_london"] == int(raw[q].rank(ascending=False, method="min")[mine.name])
            assert bool(row["tied_in_group"]) == bool((group[q] == mine[q]).sum() > 1)
            assert row["london_mean"] == pytest.approx(raw[q].mean() / 100)
            peers = group[group["Code"] != code][q]
            assert row["peer_mean"] == pytest.approx(peers.mean() / 100)
            assert row["gap"] == pytest.approx((mine[q] - peers.mean()) / 100)


def test_the_gap_interval_is_newcombes_from_the_assumed_samples(frame, raw):
    """Barking (KG-KB): 3 neighbourhoods in Barking and Dagenham, so 400 // 3 = 133 assumed; its 12 peers'
    assumed samples pooled. Newcombe's method 10 written out from two Wilson intervals."""
    z = norm.ppf(0.975)
    found = comparator.comparison(frame, "KG-KB").set_index("measure").loc["contact_ward_officer"]
    places = frame.drop_duplicates("neighbourhood_code")
    peers = places[(places["similarity_group"] == 7) & (places["neighbourhood_code"] != "KG-KB")]
    n1, n2 = 133.0, float(peers["sample_size"].sum())
    p1, p2 = 0.29, found["peer_mean"]
    (l1, u1), (l2, u2) = _wilson(p1, n1, z), _wilson(p2, n2, z)
    d = p1 - p2
    assert found["sample_size"] == 133
    assert found["gap_low"] == pytest.approx(d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2))
    assert found["gap_high"] == pytest.approx(d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))
    assert (found["interval_low"], found["interval_high"]) == (pytest.approx(l1), pytest.approx(u1))
    assert found["versus_peers"] == comparator.LOWER  # -9.9 points, interval -17.4 to -1.3


def test_a_design_effect_widens_every_interval(frame):
    plain = comparator.comparison(frame, "KG-KB").set_index("measure")
    wider = comparator.comparison(frame, "KG-KB", design_effect=2.0).set_index("measure")
    assert ((wider["interval_high"] - wider["interval_low"]) > (plain["interval_high"] - plain["interval_low"])).all()
    assert (wider["gap"] == plain["gap"]).all()
    # with half the effective sample, Barking's ward-officer gap is no longer clearly lower
    assert wider.loc["contact_ward_officer", "versus_peers"] == comparator.NOT_CLEAR


def test_the_biggest_gaps_come_first_and_verdicts_follow_the_interval(frame):
    for code in ("KG-KB", "SX-SA", "QK-QZ"):
        found = comparator.comparison(frame, code)
        gaps = found["gap"].abs().tolist()
        assert gaps == sorted(gaps, reverse=True)
        for row in found.itertuples():
            expected = comparator.HIGHER if row.gap_low > 0 else comparator.LOWER if row.gap_high < 0 else \
                comparator.NOT_CLEAR
            assert row.versus_peers == expected


def test_an_unknown_code_gives_no_rows(frame):
    assert comparator.comparison(frame, "ZZ-ZZ").empty


def test_the_correlations_with_overall_confidence_are_scipys_on_the_raw_file(frame, raw):
    found = comparator.drivers(frame).set_index("measure")
    assert len(found) == 17 and comparator.OVERALL not in found.index
    titles = {r["published_question"]: r["measure"] for r in pas_comparator.questions().values()}
    for q in raw.columns[3:]:
        if q == GOOD_JOB:
            continue
        row = found.loc[titles[q]]
        assert row["pairs"] == 106
        assert row["spearman"] == pytest.approx(spearmanr(raw[q], raw[GOOD_JOB]).statistic)
        assert row["pearson"] == pytest.approx(pearsonr(raw[q], raw[GOOD_JOB]).statistic)
    assert abs(found["spearman"]).tolist() == sorted(abs(found["spearman"]), reverse=True)
    # the one question that goes against overall confidence across neighbourhoods
    assert found.loc["contact_ward_officer", "spearman_high"] < 0
