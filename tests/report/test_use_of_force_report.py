"""The quarterly report shows use of force and Taser for the financial year its quarter ends
(the force against England and Wales, by ethnic group), and only says which year is latest in
other quarters; the figures are the measures table's."""

from __future__ import annotations

import duckdb
import pytest

from oversight.report import report_data


@pytest.fixture(scope="module")
def reports(bundled_warehouse):
    con = duckdb.connect(str(bundled_warehouse), read_only=True)
    try:
        out = {q: report_data(con, q) for q in ("2018-19-Q4", "2018-19-Q2")}
        (ratio,) = con.execute(
            """SELECT value FROM measure_value WHERE measure = 'use_of_force_rate_ratio' AND area_level = 'national'
               AND period_type = 'financial_year' AND period_end = DATE '2019-03-31'
               AND breakdown = 'subject_group=Black'""").fetchone()
    finally:
        con.close()
    return out, ratio


def test_the_q4_report_sets_the_force_against_england_and_wales(reports) -> None:
    (built, ratio) = reports
    uof = built["2018-19-Q4"].use_of_force
    assert uof.year == "2018-19"
    assert [t["title"] for t in uof.tables] == ["Use of force: tactics", "Taser: uses"]
    table = uof.tables[0]
    assert [name for _, name in table["areas"]] == ["Metropolitan Police Service", "England and Wales"]
    black = next(r for r in table["rows"] if r["label"] == "Black")
    assert black["ratio@K04000001"]["value"] == pytest.approx(ratio)
    assert [r["label"] for r in table["rows"]][:1] == ["Everyone"]
    assert any("tactics, not incidents or people" in c for c in uof.caveats)


def test_other_quarters_only_say_which_year_is_latest(reports) -> None:
    (built, _) = reports
    uof = built["2018-19-Q2"].use_of_force
    assert uof.year is None and uof.tables == []
    assert uof.latest == "2019-20"
    listed = {m.measure.id for m in built["2018-19-Q2"].stop_search.unavailable}
    assert not {"use_of_force_rate", "taser_use_rate", "use_of_force_by_type", "taser_use_by_type"} & listed
