"""Filters read from the URL: well-formed ones pass, malformed ones name the parameter (422)."""

from __future__ import annotations

import pytest

from oversight.web.params import BadRequest, Filters, read_filters

# inputs ------------------------------------------------------------------------------------


def test_no_filters_is_the_default_view() -> None:
    assert read_filters({}) == Filters()


def test_blank_parameters_count_as_not_given() -> None:
    assert read_filters({"area": " ", "period": "", "level": ""}) == Filters()


def test_periods_are_kept_in_their_url_form() -> None:
    assert read_filters({"period": "2022-23Q2"}).period == "2022-23-Q2"
    assert read_filters({"period": "2022/23"}).period == "FY2022-23"
    assert read_filters({"period": "12m-2022-07"}).period == "R12-2022-07"
    assert read_filters({"period": "2022-07"}).period == "2022-07"
    assert read_filters({"period": "12 months to 2022-07"}).period == "R12-2022-07"  # the label as published


def test_a_period_type_reads_a_financial_year_written_as_a_month() -> None:
    assert read_filters({"period": "2011-12", "period_type": "financial_year"}).period == "FY2011-12"
    assert read_filters({"period": "2011-12", "period_type": "month"}).period == "2011-12"
    assert read_filters({"period": "2011-12"}).period == "2011-12"


@pytest.mark.parametrize(("query", "field"), [
    ({"level": "county"}, "level"),
    ({"area": "E09 000022"}, "area"),
    ({"area": "x" * 41}, "area"),
    ({"period": "2022-13"}, "period"),
    ({"period": "FY2022-24"}, "period"),
    ({"period": "2011-12", "period_type": "fortnight"}, "period_type"),
    ({"breakdown": "Black"}, "breakdown"),
    ({"breakdown": "group=<script>"}, "breakdown"),
])
def test_malformed_filters_name_the_parameter(query: dict[str, str], field: str) -> None:
    with pytest.raises(BadRequest) as caught:
        read_filters(query)
    assert caught.value.field == field and caught.value.status == 422


# outputs -----------------------------------------------------------------------------------


def test_links_keep_the_filters_and_change_only_what_is_asked() -> None:
    f = Filters(level="borough", area="E09000022", period="R12-2024-03", breakdown="all")
    assert f.as_params(period="FY2023-24") == {"level": "borough", "area": "E09000022", "period": "FY2023-24",
                                               "breakdown": "all"}
    assert f.as_params(level=None, area=None) == {"period": "R12-2024-03", "breakdown": "all"}
