"""Choosing the report's quarter: parsed, checked against the measures table, or the latest."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from oversight.errors import OversightError
from oversight.report.quarter import Quarter, month_name, quarter_range, resolve_quarter
from oversight.warehouse import connect

# inputs

def test_a_quarter_knows_its_months_label_and_span():
    q2 = Quarter(dt.date(2022, 9, 30))
    assert q2.months == (dt.date(2022, 7, 31), dt.date(2022, 8, 31), dt.date(2022, 9, 30))
    assert (q2.label, q2.key, q2.span) == ("2022-23 Q2", "2022-23-Q2", "July to September 2022")
    assert q2.start == dt.date(2022, 7, 1)
    assert q2.year_before == Quarter(dt.date(2021, 9, 30))


def test_the_fourth_quarter_is_january_to_march_of_the_second_year():
    q4 = Quarter(dt.date(2023, 3, 31))
    assert (q4.label, q4.span) == ("2022-23 Q4", "January to March 2023")
    assert q4.months[0] == dt.date(2023, 1, 31)
    assert Quarter(dt.date(2024, 3, 31)).months[1] == dt.date(2024, 2, 29)
    assert month_name(dt.date(2022, 7, 31)) == "July 2022"


@pytest.fixture(scope="module")
def con(bundled_warehouse):
    connection = duckdb.connect(str(bundled_warehouse), read_only=True)
    yield connection
    connection.close()


def test_a_named_quarter_with_figures_is_returned(con):
    assert resolve_quarter(con, "2018-19-Q2", "metropolitan") == Quarter(dt.date(2018, 9, 30))
    assert resolve_quarter(con, " 2018-19 Q2 ", "metropolitan") == Quarter(dt.date(2018, 9, 30))


def test_no_quarter_means_the_latest_quarter_with_figures(con):
    first, last = quarter_range(con, "metropolitan")
    assert resolve_quarter(con, None, "metropolitan") == last
    assert first.end < last.end


def test_a_quarter_without_figures_names_itself_and_the_range(con):
    first, last = quarter_range(con, "metropolitan")
    with pytest.raises(OversightError) as error:
        resolve_quarter(con, "1990-91-Q3", "metropolitan")
    assert str(error.value) == (
        "field 'quarter': no figures for 1990-91 Q3 (October to December 1990) for force 'metropolitan'; "
        f"quarters with figures run from {first.label} to {last.label}"
    )


def test_a_month_is_not_a_quarter(con):
    with pytest.raises(OversightError,
                       match=r"'2022-07' is a month, not a financial-year quarter; write a quarter such as"):
        resolve_quarter(con, "2022-07", "metropolitan")


def test_text_that_is_no_period_says_how_to_write_one(con):
    with pytest.raises(OversightError, match="is not a period"):
        resolve_quarter(con, "Q2 2022", "metropolitan")


def test_a_force_without_figures_is_an_error(con):
    with pytest.raises(OversightError, match="no quarterly figures for force 'gwent'"):
        resolve_quarter(con, None, "gwent")


def test_a_warehouse_without_measures_says_to_build_them(tmp_path):
    con = connect(tmp_path / "empty.duckdb")
    with pytest.raises(OversightError, match="run 'oversight build'"):
        resolve_quarter(con, "2022-23-Q2", "metropolitan")
    con.close()
