"""The few places farmsim reaches past SimPy's public API, for speed, in one module.

A worker is driven by one reusable SimPy event rather than a generator process: the event is
scheduled for the worker's next moment (the end of its task run, its next poll), and its
callback calls the control plane directly. That saves, once per task run, a ``Timeout`` object
and the resumption of a generator, which are most of what SimPy itself costs per event.

SimPy 4 has no public way to make such an event (one that is triggered and can be scheduled
again after it was processed), nor to set the clock. These helpers do both with SimPy's private
attributes, as its own ``Timeout`` and ``Environment.step`` use them;
``tests/unit/engine/test_engine_simpy.py`` fails if a SimPy release changes them, and
``pyproject.toml`` bounds SimPy below its next major version.

Two more shortcuts save a Python call per event, where one per task run shows:

* :func:`run` is ``Environment.run`` with ``Environment.step`` inlined in its loop;
* :func:`event_queue` hands the worker pool SimPy's event queue and id counter, so that the
  end of a task run is pushed as ``Environment.schedule`` would push it, without the call.
"""

from __future__ import annotations

from heapq import heappop
from typing import TYPE_CHECKING, Any, NoReturn

import simpy
from simpy.events import URGENT

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["event_queue", "reusable_event", "run", "run_until", "set_clock"]


def reusable_event(env: simpy.Environment, callbacks: list[Callable[[simpy.Event], None]]
                   ) -> simpy.Event:
    """An event that succeeds (value None) each time it is scheduled, calling ``callbacks``.

    Schedule it with ``env.schedule(event, priority, delay)``. ``Environment.step`` sets an
    event's ``callbacks`` to None before calling them: a callback that schedules its own event
    again sets them back first (``event.callbacks = callbacks``). Setting ``callbacks`` to an
    empty list while it is scheduled makes that occurrence do nothing.
    """
    event = simpy.Event(env)
    event._ok = True
    event._value = None
    event.callbacks = callbacks
    return event


def set_clock(env: simpy.Environment, now: float) -> None:
    """Put the clock at ``now`` when no event is pending before it (SimPy stops a run at
    ``now + (until - now)``, which can be one ulp off ``until``)."""
    env._now = now


def event_queue(env: simpy.Environment) -> tuple[list[tuple[Any, ...]], Iterator[int]]:
    """SimPy's event queue (a heap) and its event id counter: ``Environment.schedule(event,
    priority, delay)`` is ``heappush(queue, (now + delay, priority, next(ids), event))``."""
    return env._queue, env._eid


def run(env: simpy.Environment, until: float | None = None,
        daemons: list[int] | None = None) -> None:
    """``env.run(until)``: process events until ``until`` (an event at that time at urgent
    priority stops the run, as in SimPy) or until none is left, each as ``env.step()`` would
    (its callbacks, then a crash if it failed and was not defused).

    One difference, of no consequence to a run: SimPy puts its stop event back in the queue,
    with no callbacks, to be popped first by the next run; this stops without it.

    ``daemons``: a one-item list counting the events in the queue that do not keep a run
    going (what would happen to the farm's hosts, were it to go on): the run stops when only
    those are left, its clock at the last other event. Whoever schedules one adds 1, and its
    callback takes 1 off.
    """
    if until is not None and float(until) <= env._now:
        raise ValueError(f"until ({float(until)}) must be greater than the current simulation "
                         f"time")
    stop = _stop_at(env, until)
    queue = env._queue
    if daemons is not None:
        _run_with_daemons(env, queue, stop, daemons)
        return
    while queue:
        env._now, _, _, event = heappop(queue)
        if event is stop:
            return
        # (Environment.step, inlined)
        callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):
            _crash(event)


def _run_with_daemons(env: simpy.Environment, queue: list[tuple[Any, ...]],
                      stop: simpy.Event | None, daemons: list[int]) -> None:
    """:func:`run`'s loop, stopping when only daemon events are left."""
    while len(queue) > daemons[0]:
        env._now, _, _, event = heappop(queue)
        if event is stop:
            return
        callbacks, event.callbacks = event.callbacks, None
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):
            _crash(event)
    if stop is not None:
        stop.callbacks = []  # (it stays in the queue, and does nothing there)


def run_until(env: simpy.Environment, condition: Callable[[], object],
              until: float | None = None, daemons: list[int] | None = None) -> bool:
    """Process events as :func:`run` does (to ``until``, or until none but ``daemons`` is
    left), and stop early at the first instant after whose changes ``condition()`` is true:
    it is checked now, then each time the clock is about to move on. Returns whether it
    held."""
    if condition():
        return True
    stop = _stop_at(env, until)
    queue = env._queue
    floor = daemons if daemons is not None else [0]
    while len(queue) > floor[0]:
        if queue[0][0] != env._now and condition():
            if stop is not None:
                stop.callbacks = []  # (it stays in the queue, and does nothing there)
            return True
        env._now, _, _, event = heappop(queue)
        if event is stop:
            return bool(condition())
        # (Environment.step, inlined)
        callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):
            _crash(event)
    return bool(condition())


def _stop_at(env: simpy.Environment, until: float | None) -> simpy.Event | None:
    """The event that ends a run at ``until`` (SimPy's own: urgent, before the regular events
    of that instant), scheduled; None when there is no ``until``."""
    if until is None:
        return None
    stop = simpy.Event(env)
    stop._ok = True
    stop._value = None
    env.schedule(stop, URGENT, float(until) - env._now)
    return stop


def _crash(event: simpy.Event) -> NoReturn:
    """What ``Environment.step`` does with a failed event nobody defused: raise a copy of its
    exception, caused by the original."""
    value = event._value
    exc = type(value)(*value.args)
    exc.__cause__ = value
    raise exc
