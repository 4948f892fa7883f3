"""Student's t and the intervals of farmsim.sweeps.stats, against published tables and by
coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from farmsim.errors import UsageError
from farmsim.sweeps.stats import (
    intervals,
    mean_interval,
    paired_interval,
    t_cdf,
    t_quantile,
    welch_interval,
    welch_intervals,
)

# Two-sided 95% and one-sided 95% critical values (NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
TABLE = [(1, 12.706, 6.314), (2, 4.303, 2.920), (3, 3.182, 2.353), (4, 2.776, 2.132),
         (5, 2.571, 2.015), (9, 2.262, 1.833), (10, 2.228, 1.812), (19, 2.093, 1.729),
         (29, 2.045, 1.699), (60, 2.000, 1.671), (100, 1.984, 1.660)]


@pytest.mark.parametrize(("df", "two_sided", "one_sided"), TABLE)
def test_quantiles_match_the_published_table(df, two_sided, one_sided):
    assert t_quantile(0.975, df) == pytest.approx(two_sided, abs=6e-4)
    assert t_quantile(0.95, df) == pytest.approx(one_sided, abs=6e-4)


def test_quantile_inverts_the_cdf_and_is_symmetric():
    for df in (1, 2, 7, 40, 999):
        for p in (0.6, 0.9, 0.99, 0.999):
            q = t_quantile(p, df)
            assert t_cdf(q, df) == pytest.approx(p, abs=1e-12)
            assert t_quantile(1 - p, df) == pytest.approx(-q)


def test_many_degrees_of_freedom_tend_to_the_normal():
    assert t_quantile(0.975, 10**6) == pytest.approx(1.959966, abs=1e-5)
    # the expansion past 1000 joins the exact sum without a step
    assert t_quantile(0.975, 1001) == pytest.approx(t_quantile(0.975, 1000), abs=1e-5)


def test_interval_of_known_values():
    iv = mean_interval([1.0, 2.0, 3.0, 4.0])
    half = t_quantile(0.975, 3) * math.sqrt(5 / 3) / 2
    assert (iv.n, iv.mean, iv.df) == (4, 2.5, 3)
    assert iv.low == pytest.approx(2.5 - half) and iv.high == pytest.approx(2.5 + half)
    assert iv.upper(0.95) == pytest.approx(2.5 + t_quantile(0.95, 3) * math.sqrt(5 / 3) / 2)


def test_nan_values_are_left_out_and_one_value_has_no_interval():
    iv = mean_interval([5.0, math.nan])
    assert iv.n == 1 and iv.mean == 5.0 and math.isnan(iv.low) and math.isnan(iv.upper(0.95))
    assert mean_interval([]).n == 0


def test_ninety_five_percent_intervals_cover_the_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    samples = rng.lognormal(0.0, 0.5, size=(4000, 8))
    truth = math.exp(0.5**2 / 2)
    covered = sum(iv.low <= truth <= iv.high for iv in map(mean_interval, samples))
    # lognormal, n=8: the t interval is close to, a little under, its level
    assert 0.90 < covered / 4000 < 0.97
    # and a 50% interval covers about half the time: the level is used, not fixed at 95%
    half = sum(iv.low <= truth <= iv.high for iv in (mean_interval(s, 0.5) for s in samples))
    assert 0.42 < half / 4000 < 0.58


def test_pairs_remove_what_the_two_samples_share():
    rng = np.random.default_rng(2)
    shared = rng.normal(100.0, 20.0, size=10)
    a = shared + rng.normal(0.0, 1.0, size=10)
    b = shared + 3.0 + rng.normal(0.0, 1.0, size=10)
    paired = paired_interval(a, b)
    welch = welch_interval(a, b)
    assert paired.mean == pytest.approx(welch.mean)
    assert paired.low < 3.0 < paired.high
    assert paired.half_width * 5 < welch.half_width


def test_welch_interval_matches_the_textbook_formula():
    a, b = [10.0, 12.0, 11.0, 13.0], [20.0, 25.0, 18.0, 22.0, 30.0]
    iv = welch_interval(a, b)
    va, vb = np.var(a, ddof=1) / 4, np.var(b, ddof=1) / 5
    df = (va + vb) ** 2 / (va**2 / 3 + vb**2 / 4)
    half = t_quantile(0.975, math.floor(df)) * math.sqrt(va + vb)
    assert iv.mean == pytest.approx(np.mean(b) - np.mean(a))
    assert iv.high - iv.mean == pytest.approx(half)


@pytest.mark.parametrize("level", [0, 1, 1.5, -0.1, True, "0.95"])
def test_a_confidence_outside_0_1_is_refused(level):
    with pytest.raises(UsageError, match="confidence"):
        mean_interval([1.0, 2.0], level)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(math.nan)),
                                min_size=4, max_size=4), min_size=1, max_size=6),
       confidence=st.sampled_from([0.5, 0.9, 0.95, 0.99]))
def test_intervals_of_many_rows_are_mean_interval_of_each(values, confidence):
    n, mean, std, low, high = intervals(np.array(values), confidence)
    for i, row in enumerate(values):
        iv = mean_interval(row, confidence)
        assert n[i] == iv.n
        for got, want in ((mean[i], iv.mean), (std[i], iv.std), (low[i], iv.low),
                          (high[i], iv.high)):
            assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(
                want, rel=1e-9, abs=1e-6)


@settings(max_examples=200, deadline=None)
# equal variance and size: the degrees of freedom are 4, summed as 3.99999... one way
@example(a=[-2.2250738585e-313, 220.84517075101098, 220.84517075101098],
         b=[220.84517075101098, 220.84517075101098, -2.2250738585e-313])
@given(a=st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=6),
       b=st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=6))
def test_welch_intervals_are_welch_interval(a, b):
    size = max(len(a), len(b))
    pad = lambda x: x + [math.nan] * (size - len(x))  # noqa: E731
    n, mean, _, low, high = welch_intervals(np.array([pad(a)]), np.array([pad(b)]))
    iv = welch_interval(a, b)
    assert n[0] == iv.n and mean[0] == pytest.approx(iv.mean, abs=1e-9)
    assert low[0] == pytest.approx(iv.low, rel=1e-9, abs=1e-6)
    assert high[0] == pytest.approx(iv.high, rel=1e-9, abs=1e-6)
