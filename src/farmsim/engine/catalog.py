"""Builds a :class:`~farmsim.record.result.Catalog` from a simulation's end state."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from farmsim.model.state import CANCELED, FAILED, SUCCEEDED
from farmsim.record.catalog import Catalog
from farmsim.record.ids import hex32s, make_id, make_ids
from farmsim.record.runs import gather_runs, open_run

if TYPE_CHECKING:
    from collections.abc import Sequence

    from farmsim.engine.control import ControlPlane
    from farmsim.engine.workers import WorkerState
    from farmsim.record.recorder import Recorder
    from farmsim.scenario.config import Scenario

__all__ = ["build_catalog"]


def build_catalog(*, scenario: Scenario, seed: int, now: float, control: ControlPlane,
                  workers: Sequence[WorkerState], recorder: Recorder) -> Catalog:
    """Names, ids, costs and per-job outcomes of a run of ``scenario`` with ``seed`` at
    ``now``: what the control plane, the workers and the recorder hold."""
    farm = scenario.farm
    for limit in control.limits:
        limit.advance(now)
    jobs = control.jobs
    steps = control.steps
    step_hex = np.empty(len(steps), dtype=object)
    step_hex[:] = hex32s("step", seed, np.arange(len(steps)))
    limit_ids = make_ids("limit", seed, len(farm.limits))
    # One list per distinct set of limits (a trace's 100,000 steps share one empty list).
    lists: dict[tuple[tuple[object, int], ...], list[dict[str, object]]] = {}
    acquired = np.empty(len(steps), dtype=object)
    for i, step in enumerate(steps):
        found = lists.get(step.limits)
        if found is None:
            found = lists[step.limits] = [{"limitId": str(limit_ids[lim.index]),
                                           "count": units} for lim, units in step.limits]
        acquired[i] = found
    step_job = np.array([s.job.index for s in steps], dtype=np.int64)
    step_tasks = np.array([s.task_count for s in steps], dtype=np.int64)
    # A task whose session is still setting up is STARTING (semantics A.2 row 8); the control
    # plane counts it RUNNING from its assignment, as nothing it decides depends on the
    # difference.
    starting: dict[int, int] = {}
    for w in workers:
        if w.job is not None and not w.started_at <= now:
            starting[w.job.index] = starting.get(w.job.index, 0) + 1
    job_status = np.array(
        [(j.final_status or j.aggregate(starting=starting.get(j.index, 0))).value for j in jobs],
        dtype=object)
    open_runs = [
        open_run(w.job.index, w.step.gidx, w.task, w.index, w.session, w.session_runs,
                 w.attempt, w.ready_at, w.assigned_at,
                 w.started_at if w.started_at <= now else float("nan"), w.assign_seq)
        for w in workers if w.job is not None and w.step is not None
    ]
    # The sessions still open (actions planned past the end are cut by the frames).
    open_sessions = [w.session for w in workers if w.session_job is not None]
    return Catalog(
        name=scenario.name,
        seed=seed,
        start=scenario.start,
        end_time=now,
        farm_id=make_id("farm", seed, 0),
        queue_names=[q.display_name for q in farm.queues],
        queue_ids=make_ids("queue", seed, len(farm.queues)),
        fleet_names=[f.display_name for f in farm.fleets],
        fleet_ids=make_ids("fleet", seed, len(farm.fleets)),
        fleet_cost_per_hour=[f.cost_per_hour for f in farm.fleets],
        limit_names=[lim.display_name for lim in farm.limits],
        limit_ids=limit_ids,
        limit_max=[lim.max_count for lim in control.limits],
        limit_cost_per_hour=[lim.cost_per_hour for lim in farm.limits],
        limit_area=[lim.area for lim in control.limits],
        limit_blocked_area=[lim.blocked_area for lim in control.limits],
        limit_peak=[lim.peak for lim in control.limits],
        limit_usage=[(np.frombuffer(lim.usage_times, dtype=np.float64).copy(),
                      np.frombuffer(lim.usage_counts, dtype=np.int32).copy())
                     for lim in control.limits],
        limit_max_history=[list(lim.max_history) for lim in control.limits],
        worker_ids=make_ids("worker", seed, len(workers)),
        worker_fleet=np.array([w.fleet_index for w in workers], dtype=np.int64),
        worker_online=np.array([w.online_at for w in workers], dtype=np.float64),
        worker_stopped=np.array([w.stopped_at for w in workers], dtype=np.float64),
        session_ids_seed=seed,
        jobs={
            "job_id": make_ids("job", seed, len(jobs)),
            "name": np.array([j.name for j in jobs], dtype=object),
            "queue": np.array([j.queue_index for j in jobs], dtype=np.int64),
            "priority": np.array([j.priority for j in jobs], dtype=np.int64),
            "max_worker_count": np.array([j.max_worker_count for j in jobs], dtype=np.int64),
            "submitted_at": np.array([j.submitted_at for j in jobs], dtype=np.float64),
            "started_at": np.array([j.started_at for j in jobs], dtype=np.float64),
            "ended_at": np.array([j.ended_at for j in jobs], dtype=np.float64),
            "task_run_status": job_status,
            "tasks": np.bincount(step_job, weights=step_tasks, minlength=len(jobs)
                                 ).astype(np.int64),
            "succeeded": np.array([j.counts[SUCCEEDED] for j in jobs], dtype=np.int64),
            "failed": np.array([j.counts[FAILED] for j in jobs], dtype=np.int64),
            "canceled": np.array([j.counts[CANCELED] for j in jobs], dtype=np.int64),
            "retries": np.array([j.retry_total for j in jobs], dtype=np.int64),
        },
        step_job=step_job,
        step_ids=_prefixed("step-", step_hex),
        step_hex=step_hex,
        step_acquired_limits=acquired,
        step_names=np.array([s.structure.name for s in steps], dtype=object),
        step_index=np.array([s.index for s in steps], dtype=np.int64),
        step_tasks=step_tasks,
        step_dependencies=[
            tuple(s.job.steps[d].gidx for d in deps) if (deps := s.structure.dependencies)
            else () for s in steps],
        runs=gather_runs(recorder.runs, recorder.succeeded, steps, open_runs),
        open_sessions=np.array(open_sessions, dtype=np.int64),
        extra_events=control.unformed_chunk_events(),
        queue_env_names=[tuple(q.environments) for q in farm.queues],
        job_env_names=[j.submission.structure.environments for j in jobs],
        step_env_names=[s.structure.environments for s in steps],
        unmatched_requirements=dict(sorted(control.unmatched_requirements.items())),
        unused_rules=control.unused_rules(),
        notes=list(scenario.notes),
    )


def _prefixed(prefix: str, hexes: np.ndarray) -> np.ndarray:
    out = np.empty(len(hexes), dtype=object)
    out[:] = [prefix + h for h in hexes]
    return out
