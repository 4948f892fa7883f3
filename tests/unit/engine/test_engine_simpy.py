"""The SimPy internals farmsim relies on (engine/_simpy.py): these fail if a SimPy release
changes them, before any simulation goes wrong in a subtler way."""

from __future__ import annotations

import numpy as np
import simpy

from farmsim.engine._simpy import set_clock, trigger_after


def test_simpy_still_has_the_private_attributes_farmsim_uses() -> None:
    # SimPy's own succeed() sets exactly what trigger_after sets, then schedules the event
    env = simpy.Environment()
    event = env.event()
    assert hasattr(env, "_now") and event._value is simpy.events.PENDING
    event.succeed("x")
    assert (event._ok, event._value) == (True, "x")
    mine = env.event()
    trigger_after(env, mine, 0.0)
    assert (mine.ok, mine.value, mine.triggered) == (True, None, True)


def test_trigger_after_resumes_a_waiting_process_after_the_delay() -> None:
    env = simpy.Environment()
    event = env.event()
    woke = []

    def waiter():
        value = yield event
        woke.append((env.now, value))

    env.process(waiter())
    env.run(until=1.0)
    trigger_after(env, event, 2.5)
    assert event.triggered and not event.processed
    env.run()
    assert woke == [(3.5, None)]


def test_set_clock_writes_the_time() -> None:
    env = simpy.Environment()
    env.run(until=7.25)
    set_clock(env, 8.0)
    assert env.now == 8.0


def test_a_timeout_fires_at_exactly_now_plus_its_delay() -> None:
    # The worker process keeps its own clock as now += duration (no env.now read per task
    # run): that is exact only if SimPy fires a Timeout at the float sum env.now + delay.
    durations = [*np.random.default_rng(7).exponential(3600.0, 2000).tolist(), 0.1, 0.2, 1e-9]
    env = simpy.Environment()
    seen = []

    def process():
        now = env.now
        for d in durations:
            yield env.timeout(d)
            now += d
            seen.append((env.now, now))

    env.process(process())
    env.run()
    assert all(a == b for a, b in seen)  # equal, not approximately


def test_the_simpy_requirement_has_an_upper_bound() -> None:
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parents[3] / "pyproject.toml")
                           .read_text(encoding="utf-8"))["project"]
    (simpy_req,) = [d for d in project["dependencies"] if d.startswith("simpy")]
    assert "<" in simpy_req, simpy_req
