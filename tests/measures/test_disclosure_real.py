"""Secondary suppression over the measures built from the bundled real data: after it, no
suppressed figure is a subtraction away from published ones. The subtraction check here is
written independently of the one in oversight.stats (pandas joins, not relation arrays)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oversight.measures.catalogue import load_catalogue
from oversight.warehouse import connect

PLACE = ["measure", "period_type", "period_end", "area_level", "area_code"]


@pytest.fixture(scope="module")
def protected(bundled_built):
    """The records measures as the build wrote them: primary suppression (too few records) and
    the secondary suppression the build added ('hidden so that ...')."""
    con = connect(bundled_built, read_only=True)
    catalogue = load_catalogue()
    records = [m.id for m in catalogue.values() if m.computation == "records"]
    frame = con.execute(
        """SELECT measure, period_type, period_start, period_end, area_level, area_code, breakdown,
                  numerator, denominator, suppressed, suppression_reason
           FROM measure_value WHERE list_contains(?, measure)""",
        [records],
    ).df()
    areas = con.execute("SELECT level, code, parent_level, parent_code FROM area").df()
    con.close()
    secondary = frame["suppression_reason"].fillna("").str.startswith("hidden")
    frame["primary"] = frame["suppressed"].astype(bool) & ~secondary
    frame["secondary"] = secondary
    frame["hidden"] = frame["suppressed"].astype(bool)
    return frame, areas


def test_the_bundled_measures_have_lone_suppressed_groups_to_protect(protected):
    frame, _ = protected
    assert _lone_hidden_in_margins(frame, "primary") > 0
    assert frame["secondary"].sum() > 0


def test_no_primary_figure_is_counted_as_secondary(protected):
    frame, _ = protected
    assert not (frame["primary"] & frame["secondary"]).any()


def test_no_total_is_published_with_exactly_one_of_its_groups_hidden(protected):
    frame, _ = protected
    assert _lone_hidden_in_margins(frame, "hidden") == 0


def test_no_hidden_total_has_every_group_of_a_dimension_published(protected):
    frame, _ = protected
    groups = _groups(frame)
    shown_parts = groups.groupby([*PLACE, "dimension"])["hidden"].sum().rename("hidden_groups").reset_index()
    totals = frame[frame["breakdown"] == "all"][[*PLACE, "hidden"]]
    joined = shown_parts.merge(totals, on=PLACE)
    assert not (joined["hidden"] & (joined["hidden_groups"] == 0)).any()


def test_no_parent_area_that_equals_the_sum_of_its_children_has_one_hidden_child(protected):
    frame, areas = protected
    parents = areas.dropna(subset=["parent_code"])[["level", "code", "parent_level", "parent_code"]]
    children = frame.merge(parents, left_on=["area_level", "area_code"], right_on=["level", "code"])
    keys = ["measure", "period_type", "period_end", "breakdown", "parent_level", "parent_code"]
    summed = children.groupby(keys).agg(total=("numerator", "sum"), hidden_children=("hidden", "sum")).reset_index()
    parent_rows = frame.rename(columns={"area_level": "parent_level", "area_code": "parent_code"})
    joined = summed.merge(parent_rows[[*keys, "numerator", "hidden"]], on=keys)
    exact = np.isclose(joined["total"], joined["numerator"])
    # Among exact nestings, the hidden cells (parent and children) must not be exactly one.
    hidden_cells = joined["hidden_children"] + joined["hidden"].astype(int)
    assert not (exact & (hidden_cells == 1)).any()


def test_no_published_period_total_has_exactly_one_hidden_month(protected):
    frame, _ = protected
    months = frame[frame["period_type"] == "month"][["measure", "area_level", "area_code", "breakdown",
                                                      "period_start", "hidden"]]
    longer = frame[frame["period_type"] != "month"]
    series = ["measure", "area_level", "area_code", "breakdown"]
    for span, step in (("fy_quarter", 3), ("financial_year", 12), ("calendar_year", 12), ("rolling_12", 12)):
        totals = longer[longer["period_type"] == span][[*series, "period_start", "hidden"]]
        if totals.empty or months.empty:
            continue
        pieces = []
        for k in range(step):
            shifted = totals.assign(month=totals["period_start"] + pd.DateOffset(months=k))
            pieces.append(shifted.merge(months.rename(columns={"period_start": "month", "hidden": "month_hidden"}),
                                        on=[*series, "month"]))
        joined = pd.concat(pieces)
        per_total = joined.groupby([*series, "period_start"]).agg(
            months=("month_hidden", "size"), hidden_months=("month_hidden", "sum"), hidden=("hidden", "first"))
        whole = per_total[per_total["months"] == step]
        hidden_cells = whole["hidden_months"] + whole["hidden"].astype(int)
        assert not (hidden_cells == 1).any(), span


def _groups(frame: pd.DataFrame) -> pd.DataFrame:
    groups = frame[frame["breakdown"] != "all"].copy()
    groups["dimension"] = groups["breakdown"].str.split("=", n=1).str[0]
    return groups


def _lone_hidden_in_margins(frame: pd.DataFrame, column: str) -> int:
    """Places where the total is published and exactly one group of a dimension is not."""
    groups = _groups(frame)
    per_dimension = groups.groupby([*PLACE, "dimension"])[column].sum().rename("hidden_groups").reset_index()
    totals = frame[frame["breakdown"] == "all"][[*PLACE, column]]
    joined = per_dimension.merge(totals, on=PLACE)
    return int(((joined["hidden_groups"] == 1) & ~joined[column].astype(bool)).sum())


def test_no_series_publishes_process_limits_across_a_suppressed_month(bundled_built):
    # The mean of a run of months and all but one of them give the last one back.
    con = connect(bundled_built, read_only=True)
    leaks = con.execute(
        """WITH limits AS (
               SELECT measure, area_level, area_code, breakdown,
                      min(period_start) AS first, max(period_start) AS last
               FROM measure_value WHERE period_type = 'month' AND spc_mean IS NOT NULL AND NOT suppressed
               GROUP BY ALL)
           SELECT count(*) FROM measure_value v JOIN limits l USING (measure, area_level, area_code, breakdown)
           WHERE v.period_type = 'month' AND v.suppressed AND v.period_start BETWEEN l.first AND l.last"""
    ).fetchone()[0]
    con.close()
    assert leaks == 0
