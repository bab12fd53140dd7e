"""The comparator in words: ranks, gaps, the sample-size assumption, the groups and correlations."""

from __future__ import annotations

import math

import pytest

from oversight.present import comparator as words

ROW = {  # Barking's 'know how to contact their ward officer', 2016, as the comparator computes it
    "title": "Know how to contact their ward officer", "value": 0.29, "interval_low": 0.21964,
    "interval_high": 0.37215, "similarity_group": 7, "group_mean": 0.381538, "group_min": 0.26, "group_max": 0.51,
    "rank_in_group": 11, "group_size": 13, "tied_in_group": False, "london_mean": 0.385377, "rank_in_london": 93,
    "london_size": 106, "tied_in_london": True, "gap": -0.099167, "gap_low": -0.174014, "gap_high": -0.013316,
    "peers": 12, "versus_peers": "lower",
}


@pytest.mark.parametrize(("n", "text"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
                                         (13, "13th"), (21, "21st"), (93, "93rd"), (101, "101st"), (111, "111th")])
def test_ordinals(n, text):
    assert words.ordinal(n) == text


def test_ranks_say_joint_when_another_has_the_same_figure():
    assert words.rank_text(3, 13) == "3rd of 13"
    assert words.rank_text(93, 106, tied=True) == "joint 93rd of 106"


def test_figures_means_gaps_and_intervals():
    assert words.share_text(0.29) == "29%"  # published in whole percents
    assert words.mean_text(0.381538) == "38.2%"
    assert words.range_text(0.26, 0.51) == "26% to 51%"
    assert words.gap_text(-0.099167) == "-9.9 points"
    assert words.gap_interval_text(-0.174014, -0.013316) == "-17.4 to -1.3 points"
    assert words.interval_text(0.21964, 0.37215) == "22.0% to 37.2%"
    assert words.gap_text(None) == "" and words.range_text(None, 0.5) == ""


def test_one_measure_in_a_sentence():
    assert words.measure_line(ROW) == (
        "Know how to contact their ward officer: 29% (95% interval 22.0% to 37.2%). Group 7: mean 38.2%, range "
        "26% to 51%; it is 11th of 13. London: average 38.5%; it is joint 93rd of 106. Against the mean of its 12 "
        "peers: -9.9 points (95% interval -17.4 to -1.3 points), lower than its peers.")


def test_the_summary_counts_clear_gaps_and_names_the_biggest():
    overall = {**ROW, "title": "The police do a good job in this area", "value": 0.71, "group_mean": 0.655,
               "london_mean": 0.675, "rank_in_group": 1, "tied_in_group": False, "versus_peers": "no clear difference",
               "gap": 0.059}
    said = words.summary_sentences("Barking (Barking and Dagenham)", 7, 12, [ROW, overall], overall)
    assert said[0] == "Barking (Barking and Dagenham) is in similarity group 7 with 12 other neighbourhoods."
    assert said[1].startswith("Overall confidence: 71% say the police do a good or excellent job here, against a "
                              "mean of 65.5% in its group and 67.5% across London; 1st of 13 in its group")
    assert said[2] == ("Of 2 measures, it is clearly higher than its peers on 0, clearly lower on 1, and not clearly "
                       "different on 1 (under the assumed sample size).")
    assert said[3] == "Its biggest clear gaps: know how to contact their ward officer (-9.9 points)."


def test_the_sample_assumption_and_the_design_effect_are_said():
    text = words.sample_assumption_text(133, 3, 400, "1.5")
    assert text.startswith("133 respondents assumed; design effect 1.5 assumed. The source publishes no sample size")
    assert "400 interviews a year in each borough, shared evenly among the borough's 3 neighbourhoods" in text


def test_the_groups_basis_is_said_to_be_unstated_and_a_missing_group_is_named():
    text = words.group_basis_text([1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12], 106)
    assert "106 neighbourhoods into 11 similarity groups, numbered 1 to 12" in text
    assert "No neighbourhood in the file is in group 3." in text
    assert "it does not say on what basis neighbourhoods were judged similar" in text


def test_correlations_in_words_never_claim_cause():
    strong = {"title": "Not worried about crime", "pairs": 106, "spearman": 0.69, "spearman_low": 0.58,
              "spearman_high": 0.78}
    assert words.driver_sentence(strong) == (
        "Neighbourhoods with a higher share for “Not worried about crime” tend to have a higher share saying the "
        "police do a good job: a moderate correlation (Spearman 0.69, 95% interval 0.58 to 0.78, across 106 "
        "neighbourhoods).")
    unclear = {**strong, "spearman": 0.1, "spearman_low": -0.09, "spearman_high": 0.28}
    assert "shows no clear relation with overall confidence" in words.driver_sentence(unclear)
    none = {**strong, "spearman": math.nan, "spearman_low": math.nan, "spearman_high": math.nan}
    assert "too few neighbourhoods" in words.driver_sentence(none)
    assert "not that one causes the other" in words.CAUSE_CAVEAT
    for sentence in (words.driver_sentence(strong), words.driver_sentence(unclear)):
        assert not any(w in sentence.lower() for w in ("cause", "drive", "because", "leads to"))
