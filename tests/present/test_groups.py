"""Groups side by side: one order everywhere, every measure's figure in its group's row, and the
reference group named."""

from __future__ import annotations

from oversight.measures.catalogue import load_catalogue
from oversight.present.groups import group_table

CATALOGUE = load_catalogue()


def _row(measure: str, group: str, value: float | None) -> dict:
    return {"measure": measure, "breakdown": f"self_defined_group={group}", "value": value}


def test_groups_come_in_census_order_with_each_measure_in_its_column() -> None:
    rate, ratio = CATALOGUE["stop_search_rate"], CATALOGUE["stop_search_rate_ratio"]
    rows = [_row(rate.id, "White", 9.6), _row(rate.id, "Not stated", None), _row(rate.id, "Black", 40.1),
            _row(ratio.id, "Black", 4.15), _row(rate.id, "Other", 6.8),
            {"measure": rate.id, "breakdown": "all", "value": 12.0}]
    table = group_table([rate, ratio], rows, "self_defined_group")
    assert [g.label for g in table] == ["Black", "Other", "White", "Not stated"]
    black = table[0]
    assert black.cells[rate.id]["value"] == 40.1 and black.cells[ratio.id]["value"] == 4.15
    assert table[1].cells[ratio.id] is None
    assert table[2].reference_for == (ratio.id,)  # White is the ratio's reference group
    assert table[0].reference_for == ()


def test_age_bands_come_in_age_order_and_catch_alls_last() -> None:
    from oversight.present.labels import group_order

    bands = ["over 34", "10-17", "Not stated", "under 10", "25-34", "18-24"]
    assert sorted(bands, key=lambda b: group_order(f"age_range={b}")) == [
        "under 10", "10-17", "18-24", "25-34", "over 34", "Not stated"]
    ages = ["Under 18", "18 and over"]
    assert sorted(reversed(ages), key=lambda b: group_order(f"age_group={b}")) == ages
    crime = ["Theft", "Other", "Burglary"]
    assert sorted(crime, key=lambda b: group_order(f"major={b}")) == ["Burglary", "Theft", "Other"]
