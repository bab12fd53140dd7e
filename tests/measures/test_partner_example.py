"""The illustrative partner-file rows shown on pages that wait for partner data are valid rows of
the partner format, and say on every row that they are not real."""

from __future__ import annotations

from oversight.measures.catalogue import load_catalogue
from oversight.measures.partner_example import MARK, example_rows
from oversight.sources.partner import COLUMNS, PartnerRow, check_row


def test_every_partner_measure_with_an_example_gets_valid_rows_marked_illustrative() -> None:
    partner = [m for m in load_catalogue().values() if m.computation == "partner"]
    with_examples = 0
    for m in partner:
        rows = example_rows(m)
        if not rows:
            continue
        with_examples += 1
        assert len(rows) == 2
        for line, row in enumerate(rows, start=2):
            assert tuple(row) == COLUMNS
            assert row["source"] == row["notes"] == MARK
            checked = check_row(row, line)
            assert isinstance(checked, PartnerRow), (m.id, checked)
            assert checked.measure == m.id
    assert with_examples >= len(partner) - 2  # units without an example: rates and ratios
