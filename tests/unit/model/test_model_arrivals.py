"""Arrival streams' clock: the rate profile's inversion, and the per-submission samplers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from farmsim.model.arrivals import Choice, Constant, Drawn, FrameRange, RateProfile
from farmsim.model.distributions import Fixed, Uniform

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY


def arrivals(profile: RateProfile, until: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    times, t = [], 0.0
    while True:
        t = profile.next_after(t, rng)
        if t >= until:
            return np.array(times)
        times.append(t)


def test_constant_rate_is_a_poisson_process() -> None:
    times = arrivals(RateProfile(per_second=10 / HOUR), until=2000 * HOUR)
    gaps = np.diff(times)
    # 20,000 arrivals expected: the count within 4 standard deviations, the mean gap and the
    # exponential's coefficient of variation (1) within 3%.
    assert abs(len(times) - 20_000) < 4 * math.sqrt(20_000)
    assert gaps.mean() == pytest.approx(HOUR / 10, rel=0.03)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, rel=0.03)


def test_hourly_factors_shape_the_day() -> None:
    hourly = tuple(float(h % 3) for h in range(24))  # 0, 1, 2, 0, 1, 2, ...
    profile = RateProfile(per_second=20 / HOUR, hourly=hourly)
    times = arrivals(profile, until=200 * DAY)
    per_hour = np.bincount((times // HOUR % 24).astype(int), minlength=24) / 200
    expected = 20 * np.array(hourly)
    assert (per_hour[expected == 0] == 0).all()  # never inside a zero-rate hour
    sd = np.sqrt(expected[expected > 0] / 200)
    assert (np.abs(per_hour[expected > 0] - expected[expected > 0]) < 5 * sd).all()


def test_daily_factors_and_the_start_offset() -> None:
    # Only Sundays, from a start on Monday 09:00: the first arrival is on day 6 after 15:00 back.
    daily = (0.0,) * 6 + (1.0,)
    profile = RateProfile(per_second=1 / HOUR, daily=daily, offset=9 * HOUR)
    times = arrivals(profile, until=10 * WEEK)
    clock = (times + 9 * HOUR) % WEEK
    assert len(times) > 100
    assert (clock >= 6 * DAY).all()
    assert times[0] >= 6 * DAY - 9 * HOUR


def test_the_offset_places_the_hours_on_the_wall_clock() -> None:
    hourly = tuple(1.0 if h == 9 else 0.0 for h in range(24))  # only 09:00-10:00
    profile = RateProfile(per_second=50 / HOUR, hourly=hourly, offset=9 * HOUR + 30 * 60)
    times = arrivals(profile, until=3 * DAY)
    within = (times + profile.offset) % DAY
    assert ((within >= 9 * HOUR) & (within < 10 * HOUR)).all()
    assert times[0] < 30 * 60  # the first half hour of the run is 09:30-10:00


def test_low_rates_skip_whole_weeks_in_one_draw() -> None:
    profile = RateProfile(per_second=1e-9, hourly=(1.0,) * 24)
    t = profile.next_after(0.0, np.random.default_rng(2))
    assert t > WEEK  # far out, found without walking hour by hour for years
    assert profile.rate_at(t) > 0


def test_a_zero_rate_never_arrives() -> None:
    rng = np.random.default_rng(3)
    assert RateProfile(per_second=0.0).next_after(5.0, rng) == math.inf
    assert RateProfile(per_second=1.0, hourly=(0.0,) * 24).next_after(5.0, rng) == math.inf


def test_samplers() -> None:
    rng = np.random.default_rng(4)
    assert Constant(7).sample(rng) == 7
    draws = [Choice((30, 50, 70), (0.0, 1.0, 3.0)).sample(rng) for _ in range(4000)]
    assert 30 not in draws
    assert draws.count(70) / len(draws) == pytest.approx(0.75, abs=0.03)
    uniform = [Choice(("a", "b")).sample(rng) for _ in range(2000)]
    assert uniform.count("a") / 2000 == pytest.approx(0.5, abs=0.05)
    clipped = {Drawn(Uniform(-50.0, 150.0), integer=True, minimum=0, maximum=100).sample(rng)
               for _ in range(2000)}
    assert min(clipped) == 0 and max(clipped) == 100
    assert all(isinstance(v, int) for v in clipped)
    assert Drawn(Fixed(2.6), integer=True).typical() == 3
    assert FrameRange(Constant(240)).sample(rng) == "1-240"
    assert FrameRange(Constant(1), first=101).sample(rng) == "101"
    assert FrameRange(Drawn(Fixed(0.2))).sample(rng) == "1"  # at least one frame
    assert FrameRange(Constant(10), first=1001).typical() == "1001-1010"
