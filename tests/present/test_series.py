"""Badges always have a shape and words; summaries read the stored verdicts."""

from __future__ import annotations

import numpy as np

from oversight.measures.catalogue import load_catalogue
from oversight.present.labels import breakdown_label
from oversight.present.marks import SPC_MARKS, spc_badge
from oversight.present.series import series_summary, snapshot_summary
from oversight.present.words import change_text, sample_text, summary_sentence
from oversight.stats.spc_many import INSUFFICIENT_DATA, classify_many

MEASURES = load_catalogue()


def _row(period: str, end: str, value: float | None, **extra) -> dict:
    return {"period": period, "period_end": end, "period_type": "month", "value": value, "interval_low": None,
            "interval_high": None, "vs_year_before": None, "spc_variation": None, **extra}


# outputs -----------------------------------------------------------------------------------


def test_every_spc_variation_has_a_shape_and_a_label() -> None:
    shapes = [mark.glyph for mark in SPC_MARKS.values()]
    assert len(set(shapes)) == len(shapes)  # told apart without colour
    for variation in SPC_MARKS:
        badge = spc_badge(variation, 36)
        assert badge and badge["shape"] and badge["label"] and badge["meaning"]


def test_too_few_points_says_which_points_count_and_how_many_are_needed() -> None:
    """A 40-month series broken after its 29th month: the 11 months after the break get no
    limits however long the series is, 12 do. The words give that number, the window SPC reads
    and the restart at a break."""
    for after_break, has_limits in ((11, False), (12, True)):
        months = 29 + after_break
        breaks = np.zeros(months, bool)
        breaks[29] = True
        got = classify_many(np.arange(months, dtype=float) % 5 + 10, np.zeros(months, np.int64), breaks,
                            np.full(months, "down_is_good", dtype=object))
        assert (got.variation[-1] != INSUFFICIENT_DATA) is has_limits
        assert (got.variation[0] != INSUFFICIENT_DATA)  # before the break: 29 months
    # The window is the one the figures were built with, passed in, not this process's setting.
    badge = spc_badge(INSUFFICIENT_DATA, 24)
    assert badge and badge["meaning"] == ("limits need at least 12 months not flagged for quality, counted from "
                                          "the last break or change of source, within the last 24 months")
    without = spc_badge(INSUFFICIENT_DATA)
    assert without and without["meaning"] == badge["meaning"].removesuffix(", within the last 24 months")
    assert spc_badge("common_cause") == spc_badge("common_cause", 24)  # other readings do not need it


def test_a_series_too_short_for_limits_is_said_in_a_clause_of_its_own() -> None:
    m = MEASURES["total_recorded_crime"]
    row = _row("2026-03", "2026-03-31", 5038.0, spc_variation=INSUFFICIENT_DATA)
    sentence = summary_sentence(m, row)
    assert sentence.endswith("; too few points for process limits.")
    assert "this month is too few" not in sentence
    assert "this month is within the process limits" in summary_sentence(m, {**row, "spc_variation": "common_cause"})


def test_no_badge_without_a_variation() -> None:
    assert spc_badge(None) is None and spc_badge("something else") is None


def test_breakdown_labels_are_the_value_in_sentence_case_when_shouted() -> None:
    assert breakdown_label("all") == "All"
    assert breakdown_label("self_defined_group=Black") == "Black"
    assert breakdown_label("major=VIOLENCE AGAINST THE PERSON") == "Violence against the person"


def test_assumed_sample_sizes_say_so() -> None:
    assert sample_text({"sample_size": 400.0, "sample_size_assumed": True}) == "400 (assumed); design effect 1 assumed"
    assert sample_text({"sample_size": None, "denominator": 1234.0}) == "1,234"


def test_series_summary_counts_special_causes_from_the_stored_verdicts() -> None:
    m = MEASURES["stop_search_volume"]
    rows = [_row("2024-01", "2024-01-31", 100.0, spc_variation="common_cause"),
            _row("2024-02", "2024-02-29", 300.0, spc_variation="special_cause_neutral"),
            _row("2024-03", "2024-03-31", None, suppressed=True)]
    text = series_summary(m, rows, "Lambeth", "month")
    assert text.startswith("3 months for Lambeth, 2024-01 to 2024-03")
    assert "1 not published" in text
    assert "lowest 100 (2024-01), highest 300 (2024-02)" in text
    assert "1 point of special cause variation" in text


def test_snapshot_summary_names_highest_and_lowest() -> None:
    m = MEASURES["stop_search_rate"]
    rows = [{"label": "Black", "value": 3.1}, {"label": "White", "value": 1.1},
            {"label": "Other", "value": None, "suppressed": True}]
    assert snapshot_summary(m, rows, "label", "groups") == (
        f"{m.title}: 3 groups, 1 not published (too few records); highest Black at 3.1 per 1,000, "
        "lowest White at 1.1 per 1,000.")


def test_sentence_reads_rows_with_dates_as_text() -> None:
    m = MEASURES["trust_mps"]
    row = {"period_type": "rolling_12", "period_end": "2023-12-31", "value": 0.69, "interval_low": 0.68,
           "interval_high": 0.70, "vs_year_before": "significant decrease", "suppressed": False}
    assert summary_sentence(m, row).startswith(f"{m.title}, 12 months to 2023-12: 69%")


def test_snapshot_summary_says_a_single_or_shared_figure_once() -> None:
    m = MEASURES["stop_search_rate_ratio"]
    one = [{"label": "Black", "value": 2.72}]
    assert snapshot_summary(m, one, "label", "groups") == f"{m.title}: 1 group; only Black at 2.72 times."
    same = [{"label": "Black", "value": 2.0}, {"label": "Asian", "value": 2.0}]
    assert snapshot_summary(m, same, "label", "groups") == f"{m.title}: 2 groups; all 2 at 2.00 times."


def test_series_summary_keeps_flagged_months_out_of_lowest_and_highest() -> None:
    m = MEASURES["stop_search_volume"]
    rows = [_row("2024-07", "2024-07-31", 12000.0), _row("2024-08", "2024-08-31", 11000.0),
            _row("2024-09", "2024-09-30", 3253.0, quality_flags=["incomplete"],
                 quality_note="incomplete: 3,253 records against about 16,400 in a usual month")]
    text = series_summary(m, rows, "London", "month")
    assert "lowest 11,000 (2024-08), highest 12,000 (2024-07)" in text
    assert "1 shown with a quality flag (use with care)" in text
    assert text.endswith("use with care: incomplete: 3,253 records against about 16,400 in a usual month.")


def test_change_figures_stand_only_beside_a_real_comparison() -> None:
    row = {"period_type": "month", "value": 7.0, "value_year_before": 5.0, "suppressed": False}
    assert change_text("count", {**row, "vs_year_before": "no significant change"}).endswith("(was 5; up 2 (+40.0%))")
    assert change_text("count", {**row, "vs_year_before": "not comparable"}).startswith("Not comparable")
    assert "was 5" not in change_text("count", {**row, "vs_year_before": "not comparable"})
    assert "was 5" not in change_text("count", {**row, "vs_year_before": "no significant change",
                                       "quality_flags": ["incomplete"]})


def test_not_comparable_says_the_one_reason_the_build_found() -> None:
    row = {"period_type": "fy_quarter", "value": 7.0, "value_year_before": 5.0, "suppressed": False,
           "vs_year_before": "not comparable"}
    said = {because: change_text("count", {**row, "not_comparable_because": because})
            for because in ("flagged", "flagged_year_before", "change_of_source", "series_break", None)}
    assert said == {
        "flagged": "Not comparable with the same quarter a year before (this period is flagged for quality)",
        "flagged_year_before": "Not comparable with the same quarter a year before "
                               "(that period is flagged for quality)",
        "change_of_source": "Not comparable with the same quarter a year before "
                            "(the source changes in or between the two periods)",
        "series_break": "Not comparable with the same quarter a year before "
                        "(the series breaks in or between the two periods)",
        # a warehouse built before the reason was recorded: every possible one, as before
        None: "Not comparable with the same quarter a year before "
              "(a change of source, a series break or a flagged month)",
    }
    measure = MEASURES["sexual_offences"]
    sentence = summary_sentence(measure, {**row, "period_end": "2025-03-31", "not_comparable_because": "series_break"})
    assert "not comparable with the same quarter a year before (the series breaks in or between the two periods)" \
        in sentence


def test_a_flagged_figure_is_never_the_highest_or_lowest_of_a_snapshot() -> None:
    m = MEASURES["stop_search_volume"]
    rows = [{"label": "A", "value": 5.0}, {"label": "C", "value": 20.0},
            {"label": "B", "value": 90.0, "quality_flags": ["incomplete"], "quality_note": "incomplete: 9 records"}]
    text = snapshot_summary(m, rows, "label", "areas")
    assert "highest C at 20, lowest A at 5" in text
    assert "1 shown with a quality flag (B): use with care: incomplete: 9 records" in text


def test_a_series_with_one_clean_figure_names_its_period_apart_from_its_value() -> None:
    m = MEASURES["stop_search_volume"]
    rows = [_row("2024-01", "2024-01-31", 5.0),
            _row("2024-02", "2024-02-29", 9.0, quality_flags=["incomplete"], quality_note="incomplete")]
    assert "only 5 (2024-01)" in series_summary(m, rows, "London", "month")


def test_a_series_whose_latest_months_are_too_few_for_limits_says_so_beside_the_earlier_reading() -> None:
    m = MEASURES["total_recorded_crime"]
    rows = [_row(f"2024-{i:02d}", f"2024-{i:02d}-28", 100.0 + i, spc_variation="common_cause") for i in range(1, 10)]
    rows += [_row("2024-10", "2024-10-28", 90.0, spc_variation="insufficient_data")]
    text = series_summary(m, rows, "London", "month")
    assert "process limits: every point within them (common cause variation); the latest months are too few" in text


def test_groups_with_no_figure_are_not_called_unpublished() -> None:
    m = MEASURES["stop_search_rate"]
    rows = [{"label": "Black", "value": 40.1}, {"label": "Not stated", "value": None},
            {"label": "Other", "value": None, "suppressed": True}]
    text = snapshot_summary(m, rows, "label", "groups")
    assert "3 groups, 1 not published (too few records), 1 with no figure;" in text


def test_a_run_of_missing_months_is_one_line_that_keeps_why() -> None:
    from oversight.present.health import folded_months

    ended = "no file loaded: this force's files end at 2019-06, other forces' at 2021-08"
    rows = [{"month": "2019-06", "status": "ok", "notes": ""},
            {"month": "2019-07", "status": "missing", "notes": ended},
            {"month": "2019-08", "status": "missing", "notes": ended},
            {"month": "2019-12", "status": "missing", "notes": "no file loaded for this month inside the covered span"},
            {"month": "2020-01", "status": "missing", "notes": "no file loaded for this month inside the covered span"}]
    lines = folded_months(rows)
    assert [(r["from"], r["to"], r["months"]) for r in lines] == [
        ("2019-06", "2019-06", 1), ("2019-07", "2019-08", 2), ("2019-12", "2020-01", 2)]
    assert lines[1]["notes"] == ("no file loaded for these 2 months (this force's files end at 2019-06, "
                                 "other forces' at 2021-08)")
    assert lines[2]["notes"] == "no file loaded for these 2 months (inside the covered span)"
