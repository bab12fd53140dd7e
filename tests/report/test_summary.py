"""The executive summary sorts measures by what their statistics say, and nothing else."""

from __future__ import annotations

import datetime as dt

from oversight.measures.catalogue import load_catalogue
from oversight.report.figures import AWAITING, NO_FIGURE, SHOWN, Gap, MeasureFigures
from oversight.report.summary import band_sentence, summarise

CATALOGUE = load_catalogue()
END = dt.date(2022, 9, 30)


def _figures(measure_id, verdict, months=()):
    figure = {"period_type": "fy_quarter", "period_end": END, "value": 100.0, "vs_year_before": verdict,
              "suppressed": False}
    month_rows = [{"period_type": "month", "period_end": dt.date(2022, 7 + i, 31 if i != 2 else 30), "value": 30.0,
                   "spc_variation": v, "spc_signal": "beyond_limits", "suppressed": False}
                  for i, v in enumerate(months)]
    return MeasureFigures(CATALOGUE[measure_id], SHOWN, figure, None, month_rows)


def test_a_significant_verdict_or_special_cause_month_is_a_change():
    by_test = _figures("violence_with_injury", "significant decrease")
    by_spc = _figures("neighbourhood_crime", "no significant change",
                      ["common_cause", "special_cause_concern", "special_cause_concern"])
    steady = _figures("homicides", "no significant change", ["common_cause"] * 3)
    unknown = _figures("total_recorded_crime", None)
    summary = summarise([by_test, by_spc, steady, unknown],
                        [MeasureFigures(CATALOGUE["victim_satisfaction"], AWAITING),
                         MeasureFigures(CATALOGUE["antisocial_behaviour"], NO_FIGURE)], [])
    assert summary.changed == [
        "Violence with injury: 100 in 2022-23 Q2, a significant decrease on the same quarter a year before "
        "(in the better direction).",
        "Neighbourhood crime: 100 in 2022-23 Q2, no significant change on the same quarter a year before. Monthly SPC: "
        "August 2022 and September 2022 show special cause variation (concern).",
    ]
    assert summary.unchanged == [
        "Homicide victims: 100 in 2022-23 Q2, no significant change on the same quarter a year before.",
    ]
    assert summary.not_compared == [
        "Total recorded crime: 100 in 2022-23 Q2; no comparison with the same quarter a year "
        "before (no figure for it).",
    ]
    assert summary.awaiting == ["Victim satisfaction with the police service"]
    assert summary.unavailable == ["Anti-social behaviour incidents (police.uk)"]


def test_a_suppressed_month_is_not_reported_as_special_cause():
    hidden = _figures("homicides", "no significant change", ["special_cause_concern"])
    hidden.months[0]["suppressed"] = True
    assert not hidden.changed


def test_the_band_awaiting_partner_data_is_said_plainly():
    text = band_sentence(Gap(CATALOGUE["trust_gap_ethnicity"], AWAITING))
    assert text == ("The Plan's one numerical commitment, to bring gaps in trust between groups within ±5 points, "
                    "cannot be judged this quarter: Gap in trust between ethnic groups awaits partner data, "
                    "which is not open data.")


def test_the_band_verdicts_are_listed_by_group():
    rows = [{"breakdown": "all", "label": "All", "period_type": "fy_quarter", "period_end": END, "vs_band": None},
            {"breakdown": "ethnicity=Black", "label": "Black", "period_type": "fy_quarter", "period_end": END,
             "vs_band": "outside band", "suppressed": False},
            {"breakdown": "ethnicity=Asian", "label": "Asian", "period_type": "fy_quarter", "period_end": END,
             "vs_band": "cannot tell", "suppressed": False}]
    text = band_sentence(Gap(CATALOGUE["trust_gap_ethnicity"], SHOWN, rows))
    assert text == ("Gap in trust between ethnic groups against the ±5 points band, 2022-23 Q2: "
                    "outside the band for Black; cannot tell for Asian.")


def test_every_flagged_stop_and_search_figure_carries_its_note(bundled_warehouse):
    # 2017-18 Q4: most searches lack coordinates, so BCU figures are flagged for low coverage.
    import duckdb

    from oversight.present.words import quality_phrase
    from oversight.report.data import report_data
    from oversight.report.render import render_html

    con = duckdb.connect(str(bundled_warehouse), read_only=True)
    try:
        data = report_data(con, "2017-18-Q4")
    finally:
        con.close()
    flagged = [row for table in (data.stop_search.bcus, data.stop_search.groups) for line in table
               for row in line.values() if isinstance(row, dict) and row.get("quality_flags")]
    assert flagged, "expected flagged BCU figures in 2017-18 Q4"
    html = render_html(data)
    stop_search = html[html.index("Stop and search monitoring"):]
    assert stop_search.count("use with care") >= len(flagged)
    assert quality_phrase(flagged[0]).replace("'", "&#39;") in stop_search
