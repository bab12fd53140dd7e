"""Many series at once give exactly what each series gives alone."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight.stats import classify_points, xmr_limits
from oversight.stats.spc_many import classify_many

values = st.lists(st.integers(0, 60).map(float), min_size=0, max_size=40)
one_series = st.tuples(
    values, st.sampled_from(["up_is_good", "down_is_good", "neutral"]), st.lists(st.integers(1, 39), max_size=2)
)


@settings(max_examples=300, deadline=None)
@given(st.lists(one_series, min_size=1, max_size=6), st.booleans())
def test_laid_end_to_end_equals_one_by_one(batch, screen):
    all_values, ids, breaks, polarity, expected = [], [], [], [], []
    for number, (series, good, cuts) in enumerate(batch):
        cuts = sorted({c for c in cuts if c < len(series)})
        flags = np.zeros(len(series), dtype=bool)
        flags[cuts] = True
        all_values += series
        ids += [number] * len(series)
        breaks += flags.tolist()
        polarity += [good] * len(series)
        if series:
            expected.append(classify_points(series, good, breaks=cuts, screen_outliers=screen))
    got = classify_many(np.array(all_values, dtype=float), np.array(ids, dtype=np.int64),
                        np.array(breaks, dtype=bool), np.array(polarity, dtype=object),
                        screen_outliers=screen)
    if not expected:
        assert got.mean.size == 0
        return
    want = {name: np.concatenate([e[name].to_numpy() for e in expected])
            for name in ("mean", "lower_limit", "upper_limit", "signal", "variation", "segment")}
    np.testing.assert_allclose(got.mean, want["mean"], equal_nan=True)
    np.testing.assert_allclose(got.lower_limit, want["lower_limit"], equal_nan=True)
    np.testing.assert_allclose(got.upper_limit, want["upper_limit"], equal_nan=True)
    assert got.signal.tolist() == want["signal"].tolist()
    assert got.variation.tolist() == want["variation"].tolist()
    assert got.segment.tolist() == want["segment"].tolist()


def test_a_run_does_not_reach_across_two_series():
    # 4 high points at the end of one series and 4 at the start of the next are not a run of 7
    first = [10.0] * 12 + [20.0] * 4
    second = [20.0] * 4 + [10.0] * 12
    got = classify_many(np.array(first + second), np.repeat([0, 1], [16, 16]), np.zeros(32, dtype=bool),
                        np.full(32, "neutral", dtype=object))
    assert "run_of_seven" not in got.signal[12:20].tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 5).map(float), min_size=12, max_size=30), min_size=1, max_size=4),
       st.booleans())
def test_limits_of_each_series_match_xmr_limits(batch, screen):
    # small integers give flat stretches and many zero moving ranges, where screening is delicate
    values = np.concatenate([np.array(series) for series in batch])
    ids = np.repeat(np.arange(len(batch)), [len(series) for series in batch])
    got = classify_many(values, ids, np.zeros(values.size, dtype=bool),
                        np.full(values.size, "neutral", dtype=object), screen_outliers=screen)
    for number, series in enumerate(batch):
        want = xmr_limits(series, screen_outliers=screen)
        here = ids == number
        np.testing.assert_allclose(got.mean[here], want.mean)
        np.testing.assert_allclose(got.lower_limit[here], want.lower_limit, atol=1e-9)
        np.testing.assert_allclose(got.upper_limit[here], want.upper_limit, atol=1e-9)
