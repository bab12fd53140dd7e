"""Period names: financial years start in April, quarters Q1 = Apr-Jun."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oversight.errors import OversightError
from oversight.measures.periods import parse_period, period_key, period_label

D = dt.date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-07", ("month", D(2022, 7, 31))),
        ("2024-02", ("month", D(2024, 2, 29))),
        ("2022-23-Q1", ("fy_quarter", D(2022, 6, 30))),
        ("2022-23-Q2", ("fy_quarter", D(2022, 9, 30))),
        ("2022-23 Q4", ("fy_quarter", D(2023, 3, 31))),
        ("2022-23", ("financial_year", D(2023, 3, 31))),
        ("1999-00", ("financial_year", D(2000, 3, 31))),
        ("2022", ("calendar_year", D(2022, 12, 31))),
        ("R12-2022-07", ("rolling_12", D(2022, 7, 31))),
    ],
)
def test_parse(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize("text", ["2022-13", "2022-24", "2022-23-Q5", "22-23", "last year", ""])
def test_bad_periods_say_what_is_accepted(text):
    with pytest.raises(OversightError, match="financial-year quarter|two consecutive years"):
        parse_period(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("FY2011-12", ("financial_year", D(2012, 3, 31))), ("2011/12", ("financial_year", D(2012, 3, 31))),
     ("2011-12", ("month", D(2011, 12, 31)))],
)
def test_financial_years_that_look_like_months(text, expected):
    assert parse_period(text) == expected


@given(
    st.sampled_from(["month", "fy_quarter", "financial_year", "calendar_year", "rolling_12"]),
    st.dates(min_value=D(2000, 1, 1), max_value=D(2040, 12, 1)),
)
def test_key_reads_back(period_type, day):
    """Any period containing `day`: its URL key parses back to the same period."""
    if period_type == "fy_quarter":
        last_month = day.month + (-day.month) % 3  # quarters end in Mar, Jun, Sep, Dec
        end = parse_period(f"{day.year}-{last_month:02d}")[1]
    elif period_type == "financial_year":
        end = D(day.year if day.month <= 3 else day.year + 1, 3, 31)
    elif period_type == "calendar_year":
        end = D(day.year, 12, 31)
    else:
        end = parse_period(f"{day:%Y-%m}")[1]
    assert parse_period(period_key(period_type, end)) == (period_type, end)
    assert period_label(period_type, end)
