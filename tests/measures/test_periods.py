"""Period names: financial years start in April, quarters Q1 = Apr-Jun."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oversight.errors import OversightError
from oversight.measures.engine import MEASURE_VALUE_DDL
from oversight.measures.periods import (
    FIRST_YEAR,
    LAST_YEAR,
    PERIOD_TYPES,
    PeriodOutOfRange,
    month_end,
    parse_period,
    period_key,
    period_label,
)
from oversight.warehouse import connect

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


# labels as written (published in the API and CSV): read back, with or without their type --------

@pytest.mark.parametrize(
    ("period_type", "end", "label"),
    [("month", D(2022, 7, 31), "2022-07"), ("fy_quarter", D(2022, 9, 30), "2022-23 Q2"),
     ("financial_year", D(2023, 3, 31), "2022-23"), ("financial_year", D(2012, 3, 31), "2011-12"),
     ("calendar_year", D(2022, 12, 31), "2022"), ("rolling_12", D(2022, 7, 31), "12 months to 2022-07")],
)
def test_labels_are_written_as_published(period_type, end, label):
    assert period_label(period_type, end) == label


# The months each period type can end in; every period ends on the last day of a month.
END_MONTHS = {"month": range(1, 13), "rolling_12": range(1, 13), "fy_quarter": (3, 6, 9, 12),
              "financial_year": (3,), "calendar_year": (12,)}


@st.composite
def periods(draw) -> tuple[str, dt.date]:
    """(period_type, period_end) of any period the product names, ending in 2000 to 2035."""
    period_type = draw(st.sampled_from(PERIOD_TYPES))
    year = draw(st.integers(2000, 2035))
    return period_type, month_end(year, draw(st.sampled_from(END_MONTHS[period_type])))


def test_every_period_type_has_its_end_months():
    assert set(END_MONTHS) == set(PERIOD_TYPES)


@given(periods())
def test_every_label_reads_back_given_its_type(period):
    period_type, end = period
    assert parse_period(period_label(period_type, end), period_type) == (period_type, end)


@given(periods())
def test_every_label_reads_back_alone_unless_it_also_names_a_month(period):
    """A financial year 2000-01 to 2011-12 is written as a month is ('2011-12'); without its type
    such a label is read as the month (ISO 8601), with it as the year."""
    period_type, end = period
    label = period_label(period_type, end)
    if period_type == "financial_year" and 1 <= end.year % 100 <= 12:
        assert parse_period(label) == ("month", month_end(end.year - 1, end.year % 100))
    else:
        assert parse_period(label) == (period_type, end)


@pytest.mark.parametrize(
    ("text", "period_type", "expected"),
    [("2011-12", "financial_year", ("financial_year", D(2012, 3, 31))),
     ("2011-12", "month", ("month", D(2011, 12, 31))),
     ("2011-12", None, ("month", D(2011, 12, 31))),
     ("2011-12", "rolling_12", ("month", D(2011, 12, 31))),
     ("2022-07", "financial_year", ("month", D(2022, 7, 31))),
     ("2022-23", "month", ("financial_year", D(2023, 3, 31))),
     ("12 months to 2022-07", None, ("rolling_12", D(2022, 7, 31))),
     ("12 Months To 2022-07", "month", ("rolling_12", D(2022, 7, 31)))],
)
def test_a_type_settles_only_a_label_that_names_two_periods(text, period_type, expected):
    """The type chooses between the month and the financial year '2011-12'; a label that names one
    period is read as that period whatever the type, so a caller can say it is the wrong kind."""
    assert parse_period(text, period_type) == expected


def test_an_unknown_type_is_refused():
    with pytest.raises(OversightError, match="unknown period type"):
        parse_period("2011-12", "fortnight")


# inputs: periods at the edge of the calendar --------------------------------------------------

EDGE_PERIODS = ["0000", "0000-01", "9999-12", "R12-9999-12", "FY9999-00", "0000-01-Q1", "9999-00-Q4"]


@pytest.mark.parametrize("text", EDGE_PERIODS)
def test_periods_outside_the_supported_years_are_refused_with_the_range(text):
    with pytest.raises(PeriodOutOfRange, match=f"{FIRST_YEAR} to {LAST_YEAR}") as caught:
        parse_period(text)
    assert caught.value.field == "period"


def test_the_first_and_last_supported_periods_parse():
    assert parse_period(f"{FIRST_YEAR}-01") == ("month", D(FIRST_YEAR, 1, 31))
    assert parse_period(f"FY{LAST_YEAR - 1}-{LAST_YEAR % 100:02d}") == ("financial_year", D(LAST_YEAR, 3, 31))
    assert parse_period(f"R12-{LAST_YEAR}-12") == ("rolling_12", D(LAST_YEAR, 12, 31))


@pytest.mark.parametrize("text", EDGE_PERIODS)
def test_the_cli_says_one_line_about_a_period_at_the_edge_of_the_calendar(text, tmp_path):
    from typer.testing import CliRunner

    from oversight.cli import app

    con = connect(tmp_path / "w.duckdb")
    con.execute(MEASURE_VALUE_DDL)  # an empty measures table: the period is read before any figure
    con.close()
    result = CliRunner().invoke(app, ["--warehouse", str(tmp_path / "w.duckdb"), "measure", "stop_search_volume",
                                      "--period", text])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in result.output, result.output


_ENDS = st.builds(lambda y, m: month_end(y, m), st.integers(FIRST_YEAR, LAST_YEAR), st.integers(1, 12))


@given(st.lists(st.tuples(st.sampled_from(PERIOD_TYPES), _ENDS), min_size=1, max_size=60), st.booleans())
def test_every_row_gets_its_own_periods_label(rows, as_objects):
    """The labels of a frame of figures (worked out once per distinct period) are each row's own
    `period_label`, in row order, whether the ends come as datetimes (Arrow's read) or as dates."""
    import pandas as pd

    from oversight.measures.query import _period_labels

    ends = [end for _, end in rows]
    frame = pd.DataFrame({"period_type": [kind for kind, _ in rows],
                          "period_end": pd.Series(ends, dtype=object) if as_objects
                          else pd.to_datetime(pd.Series(ends)).astype("datetime64[us]")})
    assert _period_labels(frame) == [period_label(kind, end) for kind, end in rows]

