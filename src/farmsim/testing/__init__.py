"""The property-testing kit: check that runs of farmsim, and code built on it (a scheduling
policy, a scenario, a tool that reads results), obey the rules, on farms and workloads
Hypothesis draws at random. docs/testing.md is the guide.

Invariant checks over a run's tables (each raises :class:`InvariantViolation` naming what
broke: the rule, the job, task or worker, the time and the values). They need only pandas:

* :func:`check_all`, every rule a run keeps, drained or cut at a horizon:
  :func:`check_time_monotonic`, :func:`check_worker_exclusive`,
  :func:`check_worker_lifecycle`, :func:`check_max_worker_count`, :func:`check_limits`,
  :func:`check_task_transitions`, :func:`check_event_order`,
  :func:`check_task_final_states`, :func:`check_dependencies`, :func:`check_job_status`,
  :func:`check_sessions`;
* beside it: :func:`check_jobs_finished` and :func:`check_sessions_closed` (a drained run
  lost nothing and closed every session), :func:`check_worker_hours` (billed hours are the
  workers' STARTED-to-STOPPED time), :func:`check_interruptions_use_no_retry`;
* against the scenario that ran (:mod:`farmsim.testing.checks`): :func:`check_retries`
  (maxRetriesPerTask), :func:`check_max_failed_tasks` (maxFailedTasksCount),
  :func:`check_host_requirements` (no run on a fleet that cannot take it),
  :func:`check_arrival_windows`;
* :func:`assert_same_tables`: two runs gave identical tables and summaries.

The strategies (:mod:`farmsim.testing.strategies`: fleets, limits, queues, scheduling
configurations, farms, job structures, OpenJD job templates and their parameter values,
workloads, runtime rules, whole scenarios) need Hypothesis; the brute-force scheduling oracle
(:mod:`farmsim.testing.oracle`: ``run_audited`` runs a simulation with every choice of its
policies checked against a reference order, ``REFERENCES`` one per scheduling configuration)
does not. Import them explicitly::

    from farmsim.testing import check_all, check_limits
    from farmsim.testing.oracle import run_audited
    from farmsim.testing.strategies import scenarios
"""

from __future__ import annotations

from farmsim.record.invariants import (
    FINAL_TASK_STATUSES,
    IN_FLIGHT_TASK_STATUSES,
    TASK_TRANSITIONS,
    WORKER_TRANSITIONS,
    InvariantViolation,
    assert_same_tables,
    check_all,
    check_dependencies,
    check_event_order,
    check_interruptions_use_no_retry,
    check_job_status,
    check_jobs_finished,
    check_limits,
    check_max_worker_count,
    check_sessions,
    check_sessions_closed,
    check_task_final_states,
    check_task_transitions,
    check_time_monotonic,
    check_worker_exclusive,
    check_worker_hours,
    check_worker_lifecycle,
)
from farmsim.testing.checks import (
    check_arrival_windows,
    check_host_requirements,
    check_max_failed_tasks,
    check_retries,
)

__all__ = [
    "FINAL_TASK_STATUSES",
    "IN_FLIGHT_TASK_STATUSES",
    "TASK_TRANSITIONS",
    "WORKER_TRANSITIONS",
    "InvariantViolation",
    "assert_same_tables",
    "check_all",
    "check_arrival_windows",
    "check_dependencies",
    "check_event_order",
    "check_host_requirements",
    "check_interruptions_use_no_retry",
    "check_job_status",
    "check_jobs_finished",
    "check_limits",
    "check_max_failed_tasks",
    "check_max_worker_count",
    "check_retries",
    "check_sessions",
    "check_sessions_closed",
    "check_task_final_states",
    "check_task_transitions",
    "check_time_monotonic",
    "check_worker_exclusive",
    "check_worker_hours",
    "check_worker_lifecycle",
]
