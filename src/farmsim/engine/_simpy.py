"""The few places farmsim reaches past SimPy's public API, for speed, in one module.

SimPy 4 has no public way to trigger an existing event at a later time, nor to set the clock.
On farmsim's hot path (once per wake) the first costs a second event per wake. These helpers
do the same with SimPy's private attributes, exactly as its own ``Timeout`` does internally;
``tests/unit/engine/test_engine_simpy.py`` fails if a SimPy release changes them, and
``pyproject.toml`` bounds SimPy below its next major version.
"""

from __future__ import annotations

import simpy
from simpy.events import NORMAL

__all__ = ["set_clock", "trigger_after"]


def trigger_after(env: simpy.Environment, event: simpy.Event, delay: float) -> None:
    """Trigger ``event`` (successfully, value None) ``delay`` seconds from now: what
    ``simpy.Timeout`` does for its own event, applied to an event a process already waits on
    (one scheduled event instead of ``succeed()`` plus a timeout)."""
    event._ok = True
    event._value = None
    env.schedule(event, NORMAL, delay)


def set_clock(env: simpy.Environment, now: float) -> None:
    """Put the clock at ``now`` when no event is pending before it (SimPy stops a run at
    ``now + (until - now)``, which can be one ulp off ``until``)."""
    env._now = now
