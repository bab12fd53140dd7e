"""Figures and verdicts in words, the same on every page, in the API, in the report and at the
terminal.

A change is only called an increase or a fall when its test says so ("significant increase");
otherwise the words are "no significant change". Suppressed figures are never described, and a
figure that is not there always says why, in the same words everywhere (`value_text`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from oversight import config
from oversight.measures.catalogue import Measure
from oversight.measures.periods import period_label
from oversight.measures.trust_gap import HOLDS_MOST
from oversight.present.labels import as_date, in_period, is_missing
from oversight.stats.compare import NOT_COMPARABLE, SIGNIFICANT_DECREASE, SIGNIFICANT_INCREASE
from oversight.stats.spc import RUN_LENGTH, TREND_LENGTH
from oversight.stats.spc_summary import describe_point

COMPARED_WITH: Final = {
    "month": "the same month a year before",
    "fy_quarter": "the same quarter a year before",
    "financial_year": "the year before",
    "calendar_year": "the year before",
    "rolling_12": "the previous 12 months",
}

SPC_WORDS: Final = {
    "common_cause": "common cause variation",
    "special_cause_improvement": "special cause variation (improvement)",
    "special_cause_concern": "special cause variation (concern)",
    "special_cause_neutral": "special cause variation",
    "insufficient_data": "too few points for process limits",
}
"""The SPC reading of a point. Where it lies (within or outside the limits, part of a run) is
said by `spc_phrase`, once, so a sentence never calls a point both usual and unusual."""

QUALITY_WORDS: Final = {
    "incomplete": "incomplete source data",
    "not_recorded": "a field not recorded at source",
    "low_coverage": "records not placed in areas",
    "crosses_break": "a break in the series",
}

SPC_SIGNAL_WORDS: Final = {
    "beyond_limits": "a point outside the process limits",
    "trend_of_seven": f"part of a run of {TREND_LENGTH} or more points each rising or each falling",
    "two_of_three_near_limit": "two of three points close to a process limit",
    "run_of_seven": f"part of a run of {RUN_LENGTH} or more points on one side of the mean",
}


NO_FIGURE: Final = "no figure"


def format_value(unit: str, value: float | None) -> str:
    """'149,284', '12.3 per 1,000', '27.9%', '-15.0 points', '3.40 times'."""
    if value is None or is_missing(value):
        return NO_FIGURE
    if unit == "count":
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    if unit == "rate_per_1000":
        return f"{value:,.1f} per 1,000" if value >= 1 else f"{value:,.2f} per 1,000"
    if unit == "survey_proportion" and abs(100 * value - round(100 * value)) < 1e-9:
        return f"{100 * value:.0f}%"  # published in whole percents: no false precision
    if unit in ("proportion", "survey_proportion"):
        return f"{100 * value:.1f}%"
    if unit == "percentage_points":
        return f"{value:+.1f} points"
    if unit == "ratio":
        return f"{value:.2f} times"
    if unit == "days":
        return f"{value:,.0f} days" if float(value).is_integer() else f"{value:,.1f} days"
    return f"{value:,}"


def design_effect_text(design_effect: str | float | None = None) -> str:
    """'; design effect 1 assumed': said beside every survey sample size and interval. Pass the
    design effect the figures were built with (`build_settings.used`); default today's setting."""
    used = config.default("survey_design_effect") if design_effect is None else design_effect
    return f"; design effect {float(used):g} assumed"  # type: ignore[arg-type]


def format_interval(unit: str, low: float | None, high: float | None) -> str:
    if low is None or high is None or is_missing(low) or is_missing(high):
        return ""
    if unit in ("proportion", "survey_proportion"):
        return f"{100 * low:.1f}% to {100 * high:.1f}%"
    if unit == "percentage_points":
        return f"{low:+.1f} to {high:+.1f} points"
    if unit == "ratio":
        return f"{low:.2f} to {high:.2f}"
    if unit == "rate_per_1000":
        return f"{low:,.2f} to {high:,.2f}"
    return f"{low:,.0f} to {high:,.0f}"


# Why a figure is not compared with a year before, from the build (`not_comparable_because`).
NOT_COMPARABLE_WORDS: Final = {
    "flagged": "this period is flagged for quality",
    "flagged_year_before": "that period is flagged for quality",
    "change_of_source": "the source changes in or between the two periods",
    "series_break": "the series breaks in or between the two periods",
}


def change_phrase(verdict: str | None, period_type: str, because: str | None = None) -> str:
    """'significant increase on the previous 12 months', or why there is no comparison: 'not
    comparable with the same quarter a year before (that period is flagged for quality)'."""
    against = against_text(period_type)
    if not verdict:
        return f"no comparison with {against} (no figure for it)"
    if verdict == NOT_COMPARABLE:
        # A warehouse built before the reason was recorded still gives every possible one.
        reason = NOT_COMPARABLE_WORDS.get(str(because), "a change of source, a series break or a flagged month")
        return f"not comparable with {against} ({reason})"
    return f"{verdict} on {against}"


@dataclass(frozen=True)
class Change:
    """A figure against the same period a year before: the figure then, the difference (in the
    figure's unit) and the difference as a percentage of the figure then (None from zero)."""

    before: float
    difference: float
    percent: float | None


def change_of(row: Mapping[str, Any]) -> Change | None:
    """The change on a year before, only beside a real comparison: none for a suppressed or
    flagged figure, or where the verdict is missing or 'not comparable' (figures across a break
    would say what the verdict denies)."""
    value, before = row.get("value"), row.get("value_year_before")
    verdict = row.get("vs_year_before")
    if is_missing(value) or is_missing(before) or verdict in (None, NOT_COMPARABLE):
        return None
    if row.get("suppressed") or is_flagged(row):
        return None
    # Rounded where floating point would print noise (0.27 - 0.13 = 0.14000000000000001).
    difference = round(float(value) - float(before), 10)  # type: ignore[arg-type]
    percent = round(100 * difference / float(before), 6) if before else None  # type: ignore[arg-type]
    return Change(float(before), difference, percent)  # type: ignore[arg-type]


CHANGE_COLUMNS: Final = ("change", "change_percent")
"""Columns the API, CSVs and the CLI add beside `value_year_before`: the change in the figure's
unit and as a percentage of the year-before figure, blank where there is no real comparison."""


def change_columns(row: Mapping[str, Any]) -> dict[str, float | None]:
    change = change_of(row)
    return {"change": None if change is None else change.difference,
            "change_percent": None if change is None else change.percent}


def change_figures(unit: str, change: Change | None) -> str:
    """'was 75,418; up 1,625 (+2.2%)': the year-before figure and the change, beside the verdict
    (which alone says whether the change is more than noise). '' without a change."""
    if change is None:
        return ""
    was = f"was {format_value(unit, change.before)}"
    if unit in ("proportion", "survey_proportion"):
        return f"{was}; {100 * change.difference:+.1f} points"
    if change.difference == 0:
        return f"{was}; no change"
    text = f"{'up' if change.difference > 0 else 'down'} {format_value(unit, abs(change.difference))}"
    if change.percent is not None:
        text += f" ({change.percent:+.1f}%)"
    return f"{was}; {text}"


def is_flagged(row: Mapping[str, Any]) -> bool:
    flags = row.get("quality_flags")
    return flags is not None and not isinstance(flags, float) and len(flags) > 0


def quality_phrase(row: Mapping[str, Any]) -> str:
    """Why a figure is flagged, in words ('' when it is not)."""
    if not is_flagged(row):
        return ""
    note = row.get("quality_note")
    return f"use with care: {note}" if isinstance(note, str) and note else "use with care"


USE_WITH_CARE: Final = "use with care"


def quality_mark(row: Mapping[str, Any] | None) -> str:
    """'use with care' beside a flagged figure in a table whose notes are said once under it
    (`quality_notes`); '' when the figure is not flagged or not there (its reason is said instead)."""
    if row is None or not is_flagged(row) or missing_reason(row):
        return ""
    return USE_WITH_CARE


def quality_notes(rows: Iterable[Mapping[str, Any] | None]) -> list[str]:
    """The distinct notes of the flagged figures among `rows`, in first-seen order: said once
    under a table whose cells carry `quality_mark`, instead of the same note in every cell."""
    notes: list[str] = []
    for row in rows:
        if quality_mark(row):
            note = row.get("quality_note") if row is not None else None
            text = note if isinstance(note, str) and note else "the source data are flagged for quality"
            if text not in notes:
                notes.append(text)
    return notes


def missing_reasons(rows: Iterable[Mapping[str, Any] | None]) -> list[str]:
    """The distinct reasons figures among `rows` are not published, in first-seen order: said
    once under a table whose cells say only 'not published' (`label_text`)."""
    reasons: list[str] = []
    for row in rows:
        reason = missing_reason(row)
        if reason and reason != NO_FIGURE and reason not in reasons:
            reasons.append(reason)
    return reasons


def missing_reason(row: Mapping[str, Any] | None) -> str:
    """Why there is no figure, in the same words everywhere ('' when there is one): the
    suppression reason, the quality note of a figure not recorded at source, or 'no figure'."""
    if row is None:
        return NO_FIGURE
    if row.get("suppressed"):
        return str(row.get("suppression_reason") or "too few records")
    if not is_missing(row.get("value")):
        return ""
    note = row.get("quality_note")
    return note if is_flagged(row) and isinstance(note, str) and note else NO_FIGURE


def value_text(unit: str, row: Mapping[str, Any] | None) -> str:
    """The figure ('149,284', '27.9%'), or why there is none: 'not published (fewer than 10
    records)', 'not published (a field not recorded at source ...)', 'no figure'."""
    reason = missing_reason(row)
    if not reason:
        assert row is not None
        return format_value(unit, row["value"])
    return reason if reason == NO_FIGURE else f"not published ({reason})"


def label_text(unit: str, row: Mapping[str, Any] | None) -> str:
    """The figure as written beside a bar or a point: a missing one said briefly ('not
    published', 'no figure'); the table and text beside the chart give the reason."""
    reason = missing_reason(row)
    if reason and reason != NO_FIGURE:
        return "not published"
    return value_text(unit, row)


def interval_text(unit: str, row: Mapping[str, Any] | None) -> str:
    """The 95% interval of a published figure, '' for none."""
    if row is None or row.get("suppressed") or is_missing(row.get("value")):
        return ""
    return format_interval(unit, row.get("interval_low"), row.get("interval_high"))


def sample_text(row: Mapping[str, Any] | None, design_effect: str | float | None = None) -> str:
    """'12,800 (assumed); design effect 1 assumed' for survey figures, the denominator of a
    proportion or rate, else ''."""
    if row is None or row.get("suppressed"):
        return ""
    size = row.get("sample_size")
    if not is_missing(size):
        assumed = " (assumed)" if row.get("sample_size_assumed") else ""
        return f"{size:,.0f}{assumed}{design_effect_text(design_effect)}"
    denominator = row.get("denominator")
    return "" if is_missing(denominator) else f"{denominator:,.0f}"


def verdict_text(measure: Measure, row: Mapping[str, Any] | None) -> str:
    """'significant increase (in the worse direction)', 'no significant change', or '' when
    there is no comparison or the figure is not published."""
    if row is None or row.get("suppressed") or not row.get("vs_year_before"):
        return ""
    verdict = str(row["vs_year_before"])
    direction = direction_phrase(measure.polarity, verdict)
    return f"{verdict} ({direction})" if direction else verdict


def change_text(unit: str, row: Mapping[str, Any], polarity: str = "neutral") -> str:
    """The comparison with a year before as every output words it: the verdict with its
    direction, then the figures: 'Significant increase on the previous 12 months, in the worse
    direction (was 75,418; up 1,625 (+2.2%))'; why there is no comparison ('Not comparable with
    ...', 'No comparison with ...'); '' for a figure that is not there (its reason is said
    where the figure would be)."""
    if missing_reason(row):
        return ""
    verdict = row.get("vs_year_before")
    text = change_phrase(verdict, str(row["period_type"]), row.get("not_comparable_because"))
    direction = direction_phrase(polarity, verdict)
    if direction:
        text += f", {direction}"
    figures = change_figures(unit, change_of(row))
    text = text[:1].upper() + text[1:]
    return f"{text} ({figures})" if figures else text


def comparison_text(measure: Measure, row: Mapping[str, Any] | None) -> str:
    """`change_text` for a measure judged against a year before; '' for one that is not (gaps
    and ratios, judged against a band or 1) and for no row."""
    if row is None or not measure.compared_with_year_before:
        return ""
    return change_text(measure.unit, row, measure.polarity)


def spc_phrase(row: Mapping[str, Any]) -> str:
    """Where a month lies against its process limits and what that means, said once:
    'within the process limits: common cause variation'; '' without SPC."""
    variation = row.get("spc_variation")
    if not isinstance(variation, str):
        return ""
    value, mean = row.get("value"), row.get("spc_mean")
    direction = None  # a trend's side is its slope, not its place against the mean: left unsaid
    if row.get("spc_signal") != "trend_of_seven" and value is not None and mean is not None \
            and not is_missing(value) and not is_missing(mean):
        direction = "high" if value > mean else "low" if value < mean else None
    try:
        return describe_point(variation, row.get("spc_signal"), direction)
    except ValueError:  # a signal without a side (on the mean): the verdict alone
        return SPC_WORDS.get(variation, "")


def summary_sentence(measure: Measure, row: Mapping[str, Any]) -> str:
    """One plain-English sentence for one figure of the measures table."""
    when = period_label(str(row["period_type"]), as_date(row["period_end"]))
    if missing_reason(row):
        return f"{measure.title}, {when}: {value_text(measure.unit, row)}."
    parts = [f"{measure.title}, {when}: {value_text(measure.unit, row)}"]
    interval = interval_text(measure.unit, row)
    if interval:
        parts[0] += f" (95% interval {interval})"
    if row.get("vs_band"):
        parts.append(f"{band_words(row['vs_band'])} of ±{measure.band:g} points" if measure.band
                     else band_words(row["vs_band"]))
    if measure.compared_with_year_before:
        parts.append(change_phrase(row.get("vs_year_before"), str(row["period_type"]),
                                   row.get("not_comparable_because")))
    spc = spc_phrase(row)
    if spc:  # 'too few points ...' is said of the series, not of the month
        parts.append(spc if row.get("spc_variation") == "insufficient_data" else f"this month is {spc}")
    quality = quality_phrase(row)
    if quality:
        parts.append(quality)
    return "; ".join(parts) + "."


def signal_phrase(signal: str | None) -> str:
    """The SPC rule that labels a point, in words ('' when no rule fired)."""
    if not isinstance(signal, str):
        return ""
    return SPC_SIGNAL_WORDS.get(signal, signal.replace("_", " "))


def direction_phrase(polarity: str, verdict: str | None) -> str:
    """'in the better direction' or 'in the worse direction' for a significant change of a
    measure with a preferred direction; '' for no significant change or a neutral measure."""
    if verdict not in (SIGNIFICANT_INCREASE, SIGNIFICANT_DECREASE) or polarity not in ("up_is_good", "down_is_good"):
        return ""
    better = (verdict == SIGNIFICANT_INCREASE) == (polarity == "up_is_good")
    return "in the better direction" if better else "in the worse direction"


def against_text(period_type: str) -> str:
    """'the same quarter a year before', 'the previous 12 months'."""
    return COMPARED_WITH.get(period_type, "the period a year before")


def change_sentence(measure: Measure, row: Mapping[str, Any]) -> str:
    """'Total recorded crime: 219,033 in 2022-23 Q2, a significant increase on the same quarter a
    year before (in the worse direction).' Only the stored verdict decides the words."""
    text = f"{measure.title}: {value_text(measure.unit, row)} {in_period(row)}"  # type: ignore[arg-type]
    if row.get("suppressed"):
        return text + "."
    verdict = row.get("vs_year_before")
    care = f" ({quality_phrase(row)})" if is_flagged(row) and not is_missing(row.get("value")) else ""
    if not measure.compared_with_year_before and not verdict:
        return text + f"{care}."
    if not verdict or verdict == NOT_COMPARABLE:
        return text + f"{care}; {change_phrase(verdict, str(row['period_type']), row.get('not_comparable_because'))}."
    direction = direction_phrase(measure.polarity, str(verdict))
    article = "a " if verdict != "no significant change" else ""
    return (text + f"{care}, {article}{change_phrase(str(verdict), str(row['period_type']))}"
            + (f" ({direction})" if direction else "") + ".")


def not_stated_sentence(what: str, place: str, not_stated: Mapping[str, Any] | None,
                        everyone: Mapping[str, Any] | None) -> str:
    """'Metropolitan Police Service: 2,102 of 205,135 tactics (1.0%) have no recorded ethnic group;
    they count for everyone but in no group.' ('' when either count is missing or withheld)."""
    if not_stated is None or everyone is None or not_stated.get("suppressed") or everyone.get("suppressed"):
        return ""
    part, whole = not_stated.get("numerator"), everyone.get("numerator")
    if part is None or whole is None or is_missing(part) or is_missing(whole) or not whole:
        return ""
    share = 100 * float(part) / float(whole)
    return (f"{place}: {float(part):,.0f} of {float(whole):,.0f} {what} ({share:.1f}%) have no recorded "
            "ethnic group; they count for everyone but in no group.")


# gaps between groups against a band (the Plan's trust gap) ----------------------------------------

BAND_VERDICT_WORDS: Final = {
    "inside band": "within the band",
    "outside band": "outside the band",
    "cannot tell": "cannot tell",
}
"""The verdict of the two one-sided tests of a gap (stats.equivalence.survey_gap_against_band)."""

GAP_QUESTIONS: Final = {
    "treat_everyone_fairly": "Agree the police in their area treat everyone fairly regardless of who they are",
    "listen_to_concerns": "Agree the police in their area listen to the concerns of local people",
    "good_job_local": "Say the police in their area do an excellent or good job",
    "stop_search_fair": "Are very or fairly confident the police in their area use stop and search fairly",
}
"""The four questions of the PAS neighbourhood indicators, as the share of respondents answering."""


def band_words(verdict: str | None) -> str:
    """A band verdict as every output words it: 'within the band', 'outside the band', 'cannot tell'."""
    return BAND_VERDICT_WORDS.get(str(verdict), str(verdict)) if verdict else ""


def p_value_text(p: float | None) -> str:
    """'p < 0.001', 'p = 0.018', 'p > 0.999', '' for none."""
    if p is None or is_missing(p):
        return ""
    if p < 0.001:
        return "p < 0.001"
    if p > 0.999:
        return "p > 0.999"
    return f"p = {p:.3f}"


def band_verdict_text(verdict: str | None, band: float) -> str:
    """'within the band of ±5 points', 'outside the band of ±5 points', 'cannot tell whether it is
    within the band of ±5 points'; '' for no verdict."""
    if not verdict:
        return ""
    words = band_words(verdict)
    if words == "cannot tell":
        return f"cannot tell whether it is within the band of ±{band:g} points"
    return f"{words} of ±{band:g} points"


def gap_reason_text(row: Mapping[str, Any]) -> str:
    """Why a band verdict was reached, naming the two one-sided tests and their p-values."""
    verdict, band = row.get("vs_band"), float(row["band"])
    below, above = float(row.get("p_below") or 0.0), float(row.get("p_above") or 0.0)
    if verdict == "inside band":
        return (f"both one-sided tests reject a gap beyond the band: of -{band:g} points or less "
                f"({p_value_text(below)}) and of +{band:g} points or more ({p_value_text(above)})")
    if verdict == "outside band":
        if not is_missing(row.get("value")) and float(row["value"]) < 0:
            return f"a one-sided test rejects a gap of -{band:g} points or more ({p_value_text(1 - below)})"
        return f"a one-sided test rejects a gap of +{band:g} points or less ({p_value_text(1 - above)})"
    if verdict == "cannot tell":
        return ("the interval crosses an edge of the band, so with this many respondents neither a gap within "
                "the band nor one beyond it can be shown")
    return ""


def gap_sentence(row: Mapping[str, Any], group: str, reference: str) -> str:
    """One gap in full: 'Black respondents 57.8%, White British 61.5%: a gap of -3.7 points (95%
    interval -4.9 to -2.5 points), within the band of ±5 points: both one-sided tests ...', or why
    there is no figure."""
    if is_missing(row.get("value")):
        return f"No figure: {row.get('note') or NO_FIGURE}."
    shares = (f"{group} respondents {format_value('proportion', row['proportion'])}, "
              f"{reference} {format_value('proportion', row['proportion_reference'])}")
    interval = format_interval("percentage_points", row.get("interval_low"), row.get("interval_high"))
    text = (f"{shares}: a gap of {format_value('percentage_points', row['value'])} (95% interval {interval}), "
            f"{band_verdict_text(row.get('vs_band'), float(row['band']))}: {gap_reason_text(row)}")
    holds = row.get("verdict_holds_to")
    if row.get("vs_band") in ("inside band", "outside band") and holds is not None and not is_missing(holds):
        text += (f"; the verdict holds for a design effect up to {float(holds):.1f}" if float(holds) < HOLDS_MOST
                 else f"; the verdict holds for any design effect up to {HOLDS_MOST:g}")
    text += "."
    return text[:1].upper() + text[1:]


def assumed_sample_text(row: Mapping[str, Any]) -> str:
    """'about 513 Black and 741 White British respondents (assumed; design effect 1 assumed)'."""
    if is_missing(row.get("sample_size")) or is_missing(row.get("sample_size_reference")):
        return ""
    kind = "effective, assumed" if row.get("area_level") == "force" else "assumed"
    group = str(row.get("breakdown", "")).partition("=")[2]
    reference = str(row.get("reference", "")).partition("=")[2]
    return (f"about {row['sample_size']:,.0f} {group} and {row['sample_size_reference']:,.0f} {reference} "
            f"respondents ({kind}{design_effect_text(row.get('design_effect'))})")


def assumed_sample_pair(row: Mapping[str, Any]) -> str:
    """'9,188 / 23,882': the assumed respondents of the group and of the reference group; '' for none."""
    if is_missing(row.get("sample_size")) or is_missing(row.get("sample_size_reference")):
        return ""
    return f"{row['sample_size']:,.0f} / {row['sample_size_reference']:,.0f}"


def published_gap_text(groups: tuple[tuple[str, float], ...], reference_group: str, reference_share: float) -> str:
    """'56% of Black, 76% of Other ethnic minority and 82% of White Londoners: gaps of -26 and -6 points
    from White Londoners, as published, with no interval'."""
    shares = ", ".join(f"{100 * share:.0f}% of {name}" for name, share in groups)
    gaps = " and ".join(f"{100 * (share - reference_share):+.0f}" for _, share in groups)
    return (f"{shares} and {100 * reference_share:.0f}% of {reference_group} Londoners: gaps of {gaps} points "
            f"from {reference_group} Londoners, as published, with no sample size and so no interval or verdict")
