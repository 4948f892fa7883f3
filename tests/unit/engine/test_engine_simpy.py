"""The SimPy internals farmsim relies on (engine/_simpy.py): these fail if a SimPy release
changes them, before any simulation goes wrong in a subtler way."""

from __future__ import annotations

from heapq import heappush

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


def _trace(runner: str) -> tuple[list[tuple[float, str]], float]:
    """Events of a small model run by SimPy's Environment.run or by _simpy.run, in slices."""
    from farmsim.engine._simpy import event_queue, run

    env = simpy.Environment()
    seen: list[tuple[float, str]] = []

    def proc(name: str, gaps: list[float]):  # a generator process: Timeout and Process events
        for gap in gaps:
            yield env.timeout(gap)
            seen.append((env.now, name))

    def pushed(event: simpy.Event) -> None:
        seen.append((env.now, "pushed"))
        if env.now < 6.0:
            event.callbacks = [pushed]
            queue, ids = event_queue(env)
            heappush(queue, (env.now + 1.5, NORMAL, next(ids), event))

    env.process(proc("a", [1.0, 1.0, 2.5, 0.0]))
    env.process(proc("b", [2.0, 2.0, 2.0]))
    env.schedule(reusable_event(env, [pushed]), NORMAL, 0.5)
    for until in (2.0, 4.5, None):
        if runner == "simpy":
            env.run(until=until)
        else:
            run(env, until)
        seen.append((env.now, f"stop {until}"))
    return seen, env.now


def test_run_processes_events_as_simpy_does_in_slices_and_to_the_end() -> None:
    # _simpy.run is Environment.run with step inlined; event_queue pushes as schedule does
    assert _trace("farmsim") == _trace("simpy")
    seen, now = _trace("farmsim")
    # at one time, in the order scheduled: b's timeout (made at 0) before a's (made at 1)
    assert seen.index((2.0, "stop 2.0")) < seen.index((2.0, "b")) < seen.index((2.0, "a"))
    assert seen[-1] == (6.5, "stop None") and now == 6.5


def test_run_refuses_an_until_not_ahead_and_raises_a_failed_event_unless_defused() -> None:
    import pytest

    from farmsim.engine._simpy import run

    env = simpy.Environment()
    run(env, 1.0)
    with pytest.raises(ValueError, match="must be greater"):
        run(env, 1.0)
    defused = env.event()
    defused.fail(KeyError("quiet"))
    defused.defused = True
    failed = env.event()
    failed.fail(KeyError("loud"))
    with pytest.raises(KeyError, match="loud") as info:
        run(env)
    assert isinstance(info.value.__cause__, KeyError) and info.value.__cause__ is not info.value
