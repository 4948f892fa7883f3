"""Scheduling policies: pure code over read-only views, no SimPy.

:data:`POLICIES` maps each queue ``schedulingConfiguration`` member name to its policy class.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from farmsim.scheduling.base import JobChange, SchedulingPolicy, SchedulingView
from farmsim.scheduling.priority_fifo import PriorityFifo

__all__ = ["POLICIES", "JobChange", "PriorityFifo", "SchedulingPolicy", "SchedulingView",
           "make_policy"]

#: Policy classes by ``schedulingConfiguration`` member name.
POLICIES: dict[str, type[SchedulingPolicy]] = {PriorityFifo.name: PriorityFifo}


def make_policy(name: str, parameters: Mapping[str, Any] | None = None) -> SchedulingPolicy:
    """A new policy instance for a queue's ``schedulingConfiguration``."""
    try:
        cls = POLICIES[name]
    except KeyError:
        known = ", ".join(sorted(POLICIES))
        raise ValueError(f"unknown scheduling policy {name!r} (known: {known})") from None
    return cls(**(parameters or {}))
