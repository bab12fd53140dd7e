"""Money and targets in words: exact pounds and pence, percentages of a target rounded down, and a
status word only by the stated rule."""

from __future__ import annotations

import decimal

import pytest

from oversight.present import targets


def test_money_is_pounds_and_pence_exactly():
    assert targets.money_text(decimal.Decimal("3900000")) == "£3,900,000.00"
    assert targets.money_text("1950000.01") == "£1,950,000.01"
    assert targets.money_text(decimal.Decimal("0.5")) == "£0.50"
    with pytest.raises(TypeError):
        targets.money_text(0.1)  # type: ignore[arg-type]


def test_money_short_for_headings():
    assert targets.money_short("72285000.00") == "£72.3m"
    assert targets.money_short("850000") == "£850,000"


def test_against_a_target_in_the_issue_s_wording():
    assert targets.against_target(840, 1000) == "840 of a target of 1,000 (84%)"
    assert targets.against_target(1050, 1000) == "1,050 of a target of 1,000 (105%)"
    assert targets.against_target(312, None) == "312 (no target set)"


def test_below_a_target_never_reads_as_100_percent():
    assert targets.against_target(999, 1000) == "999 of a target of 1,000 (99%)"
    assert targets.percent_of(919, 920) == 99
    assert targets.percent_of(920, 920) == 100


def test_every_status_has_words_and_none_says_on_track():
    assert set(targets.STATUS_WORDS) == {"met", "not_met", "not_met_yet", "no_target"}
    assert not any("track" in w.lower() for w in targets.STATUS_WORDS.values())


def test_how_complete_a_total_is():
    assert targets.returns_text(2, 2) == "from all 2 returns"
    assert targets.returns_text(1, 2) == "from 1 of 2 returns (the others are not signed off)"
    assert targets.returns_text(0, 0) == "no return owed yet"
    assert targets.returns_text(1, 1) == "from its one return so far"
