"""Builds a :class:`~farmsim.record.result.Catalog` from a simulation's end state."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np

from farmsim.errors import SimulationError
from farmsim.model.enums import WORKER_STATUS_CODES, WorkerStatus
from farmsim.model.state import CANCELED, FAILED, STARTING, SUCCEEDED, UNLIMITED
from farmsim.record.catalog import Catalog
from farmsim.record.ids import hex32s, make_id, make_ids
from farmsim.record.recorder import WORKER_COLUMNS, Recorder
from farmsim.record.runs import gather_runs, open_run

if TYPE_CHECKING:
    from collections.abc import Sequence

    from farmsim.engine.budgets import Budgets
    from farmsim.engine.control import ControlPlane
    from farmsim.engine.workers import WorkerState
    from farmsim.model.job import StepStructure
    from farmsim.model.state import JobState, LimitState, StepState
    from farmsim.scenario.config import Scenario

__all__ = ["build_catalog", "idle_changes", "limit_integrals"]

_IDLE = WORKER_STATUS_CODES[WorkerStatus.IDLE]


def build_catalog(*, scenario: Scenario, seed: int, now: float, control: ControlPlane,
                  workers: Sequence[WorkerState], recorder: Recorder,
                  budgets: Budgets | None = None) -> Catalog:
    """Names, ids, costs and per-job outcomes of a run of ``scenario`` with ``seed`` at
    ``now``: what the control plane, the workers, the recorder and the budgets hold."""
    farm = scenario.farm
    budget_states = budgets.budgets if budgets is not None else []
    worker_fleet = np.array([w.fleet_index for w in workers], dtype=np.int64)
    areas, blocked_areas = _limit_areas(control.limits, now, recorder, worker_fleet)
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
    task_status, retried_tasks, retry_counts = _task_states(steps, step_tasks, workers, now)
    structures, step_structure = _structures(steps)
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
        limit_billing=[lim.billing for lim in farm.limits],
        limit_area=areas,
        limit_blocked_area=blocked_areas,
        limit_peak=[lim.peak for lim in control.limits],
        limit_usage=[(np.frombuffer(lim.usage_times, dtype=np.float64).copy(),
                      np.frombuffer(lim.usage_counts, dtype=np.int32).copy())
                     for lim in control.limits],
        limit_max_history=[list(lim.max_history) for lim in control.limits],
        worker_ids=make_ids("worker", seed, len(workers)),
        worker_fleet=worker_fleet,
        worker_online=np.array([w.online_at for w in workers], dtype=np.float64),
        worker_stopped=np.array([w.stopped_at for w in workers], dtype=np.float64),
        session_ids_seed=seed,
        jobs={
            "job_id": make_ids("job", seed, len(jobs)),
            "name": np.array([j.name for j in jobs], dtype=object),
            "queue": np.array([j.queue_index for j in jobs], dtype=np.int64),
            "priority": np.array([j.priority for j in jobs], dtype=np.int64),
            "max_worker_count": np.array([j.max_worker_count for j in jobs], dtype=np.int64),
            "parameters": _job_parameters(jobs),
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
        task_status=task_status,
        retried_tasks=retried_tasks,
        retry_counts=retry_counts,
        structures=structures,
        step_structure=step_structure,
        step_chunks={s.gidx: _chunks_of(s) for s in steps if s.chunks is not None},
        runs=gather_runs(recorder.runs, recorder.succeeded, steps, open_runs),
        open_sessions=np.array(open_sessions, dtype=np.int64),
        extra_events=control.unformed_chunk_events(),
        queue_env_names=[tuple(q.environments) for q in farm.queues],
        job_env_names=[j.submission.structure.environments for j in jobs],
        step_env_names=[s.structure.environments for s in steps],
        budget_names=[b.config.display_name for b in budget_states],
        budget_ids=make_ids("budget", seed, len(budget_states)),
        budget_queue=[b.queue for b in budget_states],
        budget_limit=[b.config.approximate_dollar_limit for b in budget_states],
        budget_spent=[b.spent for b in budget_states],
        budget_actions=[[(a.type, a.threshold_percentage) for a in b.config.actions]
                        for b in budget_states],
        unused_rules=control.unused_rules(),
        notes=list(scenario.notes),
    )


def _task_states(steps: Sequence[StepState], step_tasks: np.ndarray,
                 workers: Sequence[WorkerState], now: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every task's TaskRunStatus code at ``now`` (the steps' status arrays one after the other),
    and the tasks retried after a failure with their failureRetryCount (numbered the same way).

    A task whose session is still setting up is STARTING (semantics A.2 row 8), as its last
    task event says; the control plane holds it RUNNING from its assignment."""
    status = np.frombuffer(b"".join([bytes(s.status[:s.task_count]) for s in steps]),
                           dtype=np.int8).copy()
    first = np.cumsum(step_tasks) - step_tasks
    for w in workers:
        if w.job is not None and w.step is not None and not w.started_at <= now:
            status[first[w.step.gidx] + w.task] = STARTING
    retried = [(int(first[s.gidx]) + task, count)
               for s in steps if s.retries for task, count in s.retries.items()]
    retried.sort()
    return (status, np.array([t for t, _ in retried], dtype=np.int64),
            np.array([n for _, n in retried], dtype=np.int64))


def _structures(steps: Sequence[StepState]) -> tuple[list[StepStructure], np.ndarray]:
    """The distinct structures of ``steps`` (shared by the jobs of one template and parameter
    values), in order of first use, and each step's position in them."""
    positions: dict[int, int] = {}
    structures: list[StepStructure] = []
    index = np.empty(len(steps), dtype=np.int32)
    for i, step in enumerate(steps):
        structure = step.structure
        k = positions.get(id(structure))
        if k is None:
            k = positions[id(structure)] = len(structures)
            structures.append(structure)
        index[i] = k
    return structures, index


def _chunks_of(step: StepState) -> tuple[np.ndarray, np.ndarray]:
    """The first frame (index into the chunk parameter's frames) and the frame count of every
    task of an adaptive step: its chunks formed, then those its frames left need at its current
    chunk size, cut as ``AdaptiveChunks.form`` will cut them (engine/chunking.py).

    The planned chunks are as many as the step's tasks beyond those formed (the control plane
    re-plans them whenever the size changes, up to the job's end); were they not, the list is
    cut short, and the tasks without a chunk have no parameters in the tables."""
    chunks, chunking = step.chunks, step.structure.chunking
    if chunks is None or chunking is None:
        raise SimulationError(f"step#{step.gidx} has no adaptive chunks")
    formed_starts = np.frombuffer(chunks.starts, dtype=np.int32).astype(np.int64)
    formed_counts = np.frombuffer(chunks.counts, dtype=np.int32).astype(np.int64)
    n_frames = len(chunking.frames)
    pos = int(formed_starts[-1] + formed_counts[-1]) if len(formed_starts) else 0
    # The runs of frames a chunk may span (a CONTIGUOUS chunk never spans a gap), from pos.
    if chunking.contiguous and n_frames:
        frames = np.asarray(chunking.frames, dtype=np.int64)
        ends = np.append(np.flatnonzero(np.diff(frames) != 1) + 1, n_frames)
    else:
        ends = np.array([n_frames], dtype=np.int64)
    begins = np.maximum(np.concatenate(([0], ends[:-1])), pos)
    keep = ends > begins
    begins, ends = begins[keep], ends[keep]
    size = max(1, chunks.size)
    per_run = -(-(ends - begins) // size)
    first_chunk = np.cumsum(per_run) - per_run
    run = np.repeat(np.arange(len(per_run)), per_run)
    starts = begins[run] + size * (np.arange(len(run)) - first_chunk[run])
    counts = np.minimum(size, ends[run] - starts)
    planned = max(0, step.task_count - len(formed_starts))
    return (np.concatenate((formed_starts, starts[:planned])),
            np.concatenate((formed_counts, counts[:planned])))


def _limit_areas(limits: Sequence[LimitState], now: float, recorder: Recorder,
                 worker_fleet: np.ndarray) -> tuple[list[float], list[float]]:
    """Each limit's :func:`limit_integrals` up to ``now``, from what the run recorded: its usage
    and READY timelines, its maxCount history, and the worker status records (for the idle
    workers of the fleets that serve its queues)."""
    if not limits:
        return [], []
    idle_times, idle_fleets, idle_deltas = idle_changes(
        Recorder.records(recorder.worker_events, WORKER_COLUMNS), worker_fleet)
    areas, blocked = [], []
    for limit in limits:
        ready_times = np.frombuffer(limit.ready_times, dtype=np.float64)
        if (np.diff(ready_times) < 0).any():  # (recorded at the control plane's clock)
            raise SimulationError(f"limit#{limit.index}: READY changes recorded out of order")
        mine = np.isin(idle_fleets, [fleet.index for fleet in limit.fleets])
        area, held = limit_integrals(
            now,
            np.frombuffer(limit.usage_times, dtype=np.float64),
            np.frombuffer(limit.usage_counts, dtype=np.int32),
            limit.max_history,
            ready_times,
            np.frombuffer(limit.ready_deltas, dtype=np.int32),
            idle_times[mine], idle_deltas[mine])
        areas.append(area)
        blocked.append(held)
    return areas, blocked


def idle_changes(events: np.ndarray, worker_fleet: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The changes of the fleets' idle worker counts, from the worker status records
    ``events`` (fields ``time``, ``worker``, ``status``, in the order recorded): a worker is
    idle from a record with status IDLE to its next record. Returns the times, the fleets
    (``worker_fleet[worker]``) and the changes (+1: went idle, -1: left idle), in record
    order."""
    worker = np.ascontiguousarray(events["worker"])
    idle = np.ascontiguousarray(events["status"]) == _IDLE
    # Each worker's records, in order (a stable sort: a radix sort when worker numbers fit
    # in 16 bits); in that order, the records that follow an IDLE one of the same worker.
    key = worker.astype(np.uint16) if len(worker_fleet) <= 1 << 16 else worker
    order = np.argsort(key, kind="stable")
    by_worker = worker[order]
    idle_before = idle[order]
    left = np.zeros(len(order), dtype=bool)
    left[1:] = idle_before[:-1] & (by_worker[1:] == by_worker[:-1])
    delta = idle.astype(np.int8)
    delta[order[left]] -= 1
    changed = np.flatnonzero(delta)
    return events["time"][changed], worker_fleet[worker[changed]], delta[changed]


def limit_integrals(now: float, usage_times: np.ndarray, usage_counts: np.ndarray,
                    max_history: Sequence[tuple[float, int]], ready_times: np.ndarray,
                    ready_deltas: np.ndarray, idle_times: np.ndarray, idle_deltas: np.ndarray
                    ) -> tuple[float, float]:
    """A limit's two time integrals from 0 to ``now``: the units in use, and the READY
    task-time it alone held back (while it is full, min(READY tasks that need it, idle
    workers that could run them); semantics D29).

    The inputs are timelines of changes, each in time order, none after ``now``; several
    changes may share a time (the state after the last one counts until the next time):

    * ``usage_counts``: the units in use after each change (0 before the first);
    * ``max_history``: (time, maxCount) from time 0 on, -1 for no maximum;
    * ``ready_deltas``: changes of the READY tasks that need the limit, but for assignments:
      each rise of ``usage_counts`` takes one READY task;
    * ``idle_deltas``: changes of the idle workers of the fleets that serve its queues.
    """
    cap_times = np.array([t for t, _ in max_history], dtype=np.float64)
    caps = np.array([m if m >= 0 else UNLIMITED for _, m in max_history], dtype=np.int64)
    counts = usage_counts.astype(np.int64)
    # The timelines merged in time order (a stable sort of four sorted runs: a merge), and
    # the last change at each distinct time, which holds until the next.
    timelines = (cap_times, usage_times, ready_times, idle_times)
    times = np.concatenate(timelines)
    which = np.repeat(np.arange(len(timelines), dtype=np.int8), [len(t) for t in timelines])
    order = np.argsort(times, kind="stable")
    times, which = times[order], which[order]
    last = np.flatnonzero(np.append(times[1:] != times[:-1], True))
    dt = np.diff(np.append(times[last], now))

    def seen(k: int) -> np.ndarray:
        """How many changes of timeline ``k`` came up to each distinct time, included."""
        out: np.ndarray = np.cumsum(which == k)[last]
        return out

    def at(after: np.ndarray, changes: np.ndarray) -> np.ndarray:
        """A timeline at each distinct time, given its ``changes`` so far: ``after[i]`` after
        its change ``i``, 0 before the first (``max_history`` starts at time 0)."""
        out: np.ndarray = np.concatenate((np.zeros(1, dtype=after.dtype), after))[changes]
        return out

    cap = at(caps, seen(0))
    usage_seen = seen(1)
    used = at(counts, usage_seen)
    taken = at(np.cumsum(np.diff(counts, prepend=0) > 0, dtype=np.int64), usage_seen)
    ready = at(np.cumsum(ready_deltas, dtype=np.int64), seen(2)) - taken
    idle = at(np.cumsum(idle_deltas, dtype=np.int64), seen(3))
    held = np.where(cap <= used, np.minimum(ready, idle), 0)
    return float(used @ dt), float(held @ dt)


def _prefixed(prefix: str, hexes: np.ndarray) -> np.ndarray:
    out = np.empty(len(hexes), dtype=object)
    out[:] = [prefix + h for h in hexes]
    return out


def _job_parameters(jobs: list[JobState]) -> np.ndarray:
    """Each job's parameter values (as openjd-model resolved them) as a compact JSON object,
    the text made once per job structure (jobs of one template and values share one)."""
    texts: dict[int, str] = {}
    out = np.empty(len(jobs), dtype=object)
    for i, job in enumerate(jobs):
        structure = job.submission.structure
        text = texts.get(id(structure))
        if text is None:
            text = texts[id(structure)] = json.dumps(dict(structure.parameters),
                                                     separators=(",", ":"), default=str)
        out[i] = text
    return out
