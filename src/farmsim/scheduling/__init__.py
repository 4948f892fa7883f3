"""Scheduling policies: pure code over read-only views, no SimPy.

:data:`POLICIES` maps each queue ``schedulingConfiguration`` member name to its policy class.
Custom policies are registered by name (:func:`register_policy`, :func:`load_policy`; most are
written as an :class:`OrderedPolicy`, a sort key) and made by :func:`make_policy` as the API's
are. docs/policies.md is the guide.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from farmsim.scheduling.base import JobChange, SchedulingPolicy, SchedulingView
from farmsim.scheduling.ordered import OrderedPolicy
from farmsim.scheduling.priority_balanced import PriorityBalanced
from farmsim.scheduling.priority_fifo import PriorityFifo
from farmsim.scheduling.registry import (
    API_POLICIES,
    load_policy,
    policy_class,
    register_policy,
    registered_policies,
    unregister_policy,
)
from farmsim.scheduling.weighted_balanced import WeightedBalanced

__all__ = ["API_POLICIES", "POLICIES", "JobChange", "OrderedPolicy", "PriorityBalanced",
           "PriorityFifo", "SchedulingPolicy", "SchedulingView", "WeightedBalanced",
           "load_policy", "make_policy", "policy_class", "register_policy",
           "registered_policies", "unregister_policy"]

#: Policy classes by ``schedulingConfiguration`` member name (the API's three).
POLICIES: dict[str, type[SchedulingPolicy]] = {
    PriorityFifo.name: PriorityFifo,
    PriorityBalanced.name: PriorityBalanced,
    WeightedBalanced.name: WeightedBalanced,
}


def make_policy(name: str, parameters: Mapping[str, Any] | None = None,
                settings: Mapping[str, Any] | None = None,
                source: str | None = None) -> SchedulingPolicy:
    """A new policy instance for a queue: the ``schedulingConfiguration`` member or registered
    custom policy ``name`` (a custom one not registered in this process is loaded from
    ``source``, its ``module:Class`` or ``file.py:Class`` reference), with its ``parameters``
    (checked: ValueError when they are not the policy's), and farmsim's ``settings`` for it
    (the queue's ``simulation`` section; a configuration reads those it has,
    docs/semantics.md D8)."""
    cls: Any = POLICIES.get(name)
    if cls is None:
        cls = policy_class(name)
        if cls is None and source is not None:
            load_policy(source)
            cls = policy_class(name)
        if cls is None:
            custom = ", ".join(sorted(registered_policies())) or "none"
            raise ValueError(f"unknown scheduling policy {name!r} (the API's: "
                             f"{', '.join(API_POLICIES)}; registered: {custom})")
    build = getattr(cls, "from_parameters", None)
    if build is not None:
        made: SchedulingPolicy = build(parameters, settings)
        return made
    try:
        made = cls(**(parameters or {}))
    except TypeError as exc:
        raise ValueError(f"{name}: {exc}") from None
    return made
