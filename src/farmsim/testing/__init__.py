"""Tools for testing farmsim and code built on it: invariant checks over a run's tables,
Hypothesis strategies for random farms and workloads, and a brute-force scheduling oracle.

The invariants (:mod:`farmsim.record.invariants`) are re-exported here and need only pandas.
The strategies live in :mod:`farmsim.testing.strategies`, which requires hypothesis, and the
oracle in :mod:`farmsim.testing.oracle` (``run_audited`` runs a simulation with every choice of
its policies checked against a reference order, one per scheduling configuration); import them
explicitly::

    from farmsim.testing import check_all
    from farmsim.testing.oracle import run_audited
    from farmsim.testing.strategies import scenarios
"""

from __future__ import annotations

from farmsim.record.invariants import (
    FINAL_TASK_STATUSES,
    IN_FLIGHT_TASK_STATUSES,
    TASK_TRANSITIONS,
    InvariantViolation,
    assert_same_tables,
    check_all,
    check_dependencies,
    check_event_order,
    check_job_status,
    check_limits,
    check_max_worker_count,
    check_sessions,
    check_task_final_states,
    check_task_transitions,
    check_time_monotonic,
    check_worker_exclusive,
    check_worker_lifecycle,
)

__all__ = [
    "FINAL_TASK_STATUSES",
    "IN_FLIGHT_TASK_STATUSES",
    "TASK_TRANSITIONS",
    "InvariantViolation",
    "assert_same_tables",
    "check_all",
    "check_dependencies",
    "check_event_order",
    "check_job_status",
    "check_limits",
    "check_max_worker_count",
    "check_sessions",
    "check_task_final_states",
    "check_task_transitions",
    "check_time_monotonic",
    "check_worker_exclusive",
    "check_worker_lifecycle",
]
