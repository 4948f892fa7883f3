"""Scheduling policies: pure code over read-only views, no SimPy.

:data:`POLICIES` maps each queue ``schedulingConfiguration`` member name to its policy class.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from farmsim.scheduling.base import JobChange, SchedulingPolicy, SchedulingView
from farmsim.scheduling.priority_balanced import PriorityBalanced
from farmsim.scheduling.priority_fifo import PriorityFifo
from farmsim.scheduling.weighted_balanced import WeightedBalanced

__all__ = ["POLICIES", "JobChange", "PriorityBalanced", "PriorityFifo", "SchedulingPolicy",
           "SchedulingView", "WeightedBalanced", "make_policy"]

#: Policy classes by ``schedulingConfiguration`` member name.
POLICIES: dict[str, type[SchedulingPolicy]] = {
    PriorityFifo.name: PriorityFifo,
    PriorityBalanced.name: PriorityBalanced,
    WeightedBalanced.name: WeightedBalanced,
}


def make_policy(name: str, parameters: Mapping[str, Any] | None = None,
                settings: Mapping[str, Any] | None = None) -> SchedulingPolicy:
    """A new policy instance for a queue's ``schedulingConfiguration``: the member ``name``
    with its API ``parameters`` (checked; ValueError or TypeError when they are not the
    member's), and farmsim's ``settings`` for it (the queue's ``simulation`` section; a
    configuration reads those it has, docs/semantics.md D8)."""
    try:
        cls = POLICIES[name]
    except KeyError:
        known = ", ".join(sorted(POLICIES))
        raise ValueError(f"unknown scheduling policy {name!r} (known: {known})") from None
    build = getattr(cls, "from_parameters", None)
    if build is not None:
        made: SchedulingPolicy = build(parameters, settings)
        return made
    return cls(**(parameters or {}))
