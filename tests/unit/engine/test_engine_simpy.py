"""The SimPy internals farmsim relies on (engine/_simpy.py): these fail if a SimPy release
changes them, before any simulation goes wrong in a subtler way."""

from __future__ import annotations

import numpy as np
import simpy
from simpy.events import NORMAL, URGENT

from farmsim.engine._simpy import reusable_event, set_clock


def test_simpy_still_has_the_private_attributes_farmsim_uses() -> None:
    # SimPy's own succeed() sets exactly what reusable_event sets
    env = simpy.Environment()
    event = env.event()
    assert hasattr(env, "_now") and event._value is simpy.events.PENDING
    event.succeed("x")
    assert (event._ok, event._value) == (True, "x")
    mine = reusable_event(env, [])
    assert (mine.ok, mine.value, mine.triggered) == (True, None, True)


def test_a_reusable_event_fires_each_time_it_is_scheduled_from_its_own_callback() -> None:
    env = simpy.Environment()
    fired: list[float] = []

    def again(event: simpy.Event) -> None:
        # Environment.step has set the callbacks to None before calling them
        assert event.callbacks is None
        fired.append(env.now)
        if len(fired) < 3:
            event.callbacks = callbacks
            env.schedule(event, NORMAL, 2.5)

    callbacks = [again]
    event = reusable_event(env, callbacks)
    env.schedule(event, NORMAL, 1.0)
    env.run()
    assert fired == [1.0, 3.5, 6.0]


def test_a_scheduled_occurrence_with_no_callbacks_does_nothing_and_urgent_comes_first() -> None:
    # WorkerPool.cancel: the pending end is emptied, a new event asks at urgent priority
    env = simpy.Environment()
    seen: list[str] = []
    pending = reusable_event(env, [lambda e: seen.append("end")])
    env.schedule(pending, NORMAL, 5.0)
    other = reusable_event(env, [lambda e: seen.append("other")])
    env.schedule(other, NORMAL, 2.0)
    env.run(until=1.0)
    pending.callbacks = []
    env.schedule(reusable_event(env, [lambda e: seen.append(f"normal@{env.now}")]), NORMAL,
                 1.0)
    env.schedule(reusable_event(env, [lambda e: seen.append(f"urgent@{env.now}")]), URGENT, 1.0)
    env.run()
    # urgent first; at one priority, in the order scheduled
    assert seen == ["urgent@2.0", "other", "normal@2.0"]
    assert env.now == 5.0  # the emptied occurrence was still popped, and did nothing


def test_set_clock_writes_the_time() -> None:
    env = simpy.Environment()
    env.run(until=7.25)
    set_clock(env, 8.0)
    assert env.now == 8.0


def test_a_timeout_fires_at_exactly_now_plus_its_delay() -> None:
    # A worker keeps its own clock as now += duration (no env.now read per task run): that
    # is exact only if SimPy fires an event at the float sum env.now + delay.
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
