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
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["reusable_event", "set_clock"]


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
