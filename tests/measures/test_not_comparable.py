"""Why a figure is not compared with its year before: the reason's precedence, the edges of the
break window and the words a reader is given for each reason."""

from __future__ import annotations

import dataclasses

import numpy as np

from oversight.measures.catalogue import load_catalogue
from oversight.measures.finishing import BECAUSE_WORDS, _breaks_between, _not_comparable_because
from oversight.present.words import NOT_COMPARABLE_WORDS, change_phrase
from oversight.stats.compare import NOT_COMPARABLE
from oversight.warehouse.quality import CROSSES_BREAK, FLAG_BITS, INCOMPLETE

MEASURES = load_catalogue()


def _day(text: str) -> float:
    return float((np.datetime64(text, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64))


def test_a_break_counts_when_it_starts_after_the_first_period_began_and_by_the_end_of_the_second() -> None:
    """total_recorded_crime declares a break in 2024-03: the month that begins the new stretch.
    March 2023 against March 2024 spans it; March 2024 against March 2025 lies after it;
    February 2023 against February 2024 ends before it."""
    assert MEASURES["total_recorded_crime"].series_breaks == ("2024-03",)
    ids = ["total_recorded_crime", "street_crime_total"]  # the second declares no break
    spans = [("2023-03-01", "2024-03-31"), ("2024-03-01", "2025-03-31"), ("2023-02-01", "2024-02-29"),
             ("2023-03-02", "2024-03-01"), ("2023-04-01", "2024-03-31")]
    first = np.array([_day(a) for a, _ in spans] * 2)
    last = np.array([_day(b) for _, b in spans] * 2)
    m = np.repeat([0, 1], len(spans))
    got = _breaks_between(MEASURES, ids, m, first, last)
    assert got.tolist() == [True, False, False, True, True] + [False] * len(spans)
    # No year before (NaN start): no break between.
    assert not _breaks_between(MEASURES, ids, np.array([0]), np.array([np.nan]), np.array([_day("2024-03-31")]))[0]


def test_a_derived_measure_takes_the_breaks_of_the_measure_it_is_computed_from() -> None:
    derived = dataclasses.replace(MEASURES["street_crime_total"], id="derived_of_trc", of="total_recorded_crime",
                                  series_breaks=())
    measures = {**MEASURES, derived.id: derived}
    got = _breaks_between(measures, [derived.id], np.array([0]), np.array([_day("2023-04-01")]),
                          np.array([_day("2024-04-30")]))
    assert got.tolist() == [True]


def test_the_first_reason_that_applies_is_kept() -> None:
    """Rows, in order: flagged now and a year before; flagged only as spanning a break, with the
    year before flagged; two sources with a break between them as well; one source with a break;
    one source there and back, no break; not a 'not comparable' row at all."""
    incomplete, crossing = FLAG_BITS[INCOMPLETE], FLAG_BITS[CROSSES_BREAK]
    qbits = np.array([incomplete, crossing, 0, crossing, 0, incomplete])
    qbits_before = np.array([incomplete, incomplete, 0, crossing, 0, 0], dtype=float)
    # Each row's year before is the row after the last six (its own source given there).
    source = np.array([1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1])
    before = np.array([6, 7, 8, 9, 10, 11, -1, -1, -1, -1, -1, -1])
    breaks = np.array([True, True, True, True, False, False] + [False] * 6)
    rows = np.array([True] * 5 + [False] * 7)
    x = {"qbits_before": np.concatenate([qbits_before, np.full(6, np.nan)])}
    got = _not_comparable_because(x, np.concatenate([qbits, np.zeros(6, np.int64)]), source, before, breaks, rows)
    words = [BECAUSE_WORDS[c] for c in got[:6]]
    assert words == ["flagged", "flagged_year_before", "change_of_source", "series_break", "change_of_source", None]


def test_every_stored_reason_has_its_own_words() -> None:
    assert set(NOT_COMPARABLE_WORDS) == {w for w in BECAUSE_WORDS if w is not None}
    for because, words in NOT_COMPARABLE_WORDS.items():
        assert change_phrase(NOT_COMPARABLE, "month", because) == (
            f"not comparable with the same month a year before ({words})")
