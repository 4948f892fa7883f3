"""Invariants over a run's recorded tables: rules every correct run satisfies.

Each ``check_*`` function reads the frames of a :class:`~farmsim.record.result.Result`
(``jobs``, ``steps``, ``task_runs``, ``task_events``, ``workers``, ``limit_usage``,
``sessions``, ``session_actions``, ``job_updates``) and raises
:class:`InvariantViolation` naming the time, the ids and the values that break the rule. They
never look at the engine (this module does not import it), so they hold for results loaded back
from files as well, and property tests and sweeps share them through :mod:`farmsim.testing`.

:func:`check_all` runs the rules every run keeps, drained or cut at a horizon. Beside it:
:func:`check_jobs_finished` and :func:`check_sessions_closed` (what a drained run leaves:
nothing lost, every session closed), :func:`check_worker_hours` (billing is the workers'
STARTED-to-STOPPED time) and :func:`check_interruptions_use_no_retry` (an interrupted run's
task keeps its attempt number).

Conventions the checks rely on:

* Times are float seconds. A task run still going at the end of the simulated period has
  ``ended_at`` NaN and status ``RUNNING``; it counts as running until the end of time.
* Intervals are half-open, ``[assigned_at, ended_at)``: a run ending at ``t`` frees its worker,
  its job's worker slot and its limit units for a run starting at ``t``.
* ``task_events`` is in time order; rows at one time are in the order the changes happened, so
  the last row of a task is its status at the end.

Example::

    sim = Simulation(scenario)
    sim.run()
    check_all(sim.result())       # raises InvariantViolation on the first broken rule

The frames may also come back from Parquet files (list columns read back as arrays).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from farmsim.record.base import TABLES

__all__ = [
    "FINAL_TASK_STATUSES",
    "IN_FLIGHT_TASK_STATUSES",
    "TASK_TRANSITIONS",
    "WORKER_TRANSITIONS",
    "InvariantViolation",
    "assert_same_tables",
    "check_all",
    "check_dependencies",
    "check_event_order",
    "check_interruptions_use_no_retry",
    "check_job_status",
    "check_jobs_finished",
    "check_limits",
    "check_max_worker_count",
    "check_sessions",
    "check_sessions_closed",
    "check_task_final_states",
    "check_task_transitions",
    "check_time_monotonic",
    "check_worker_exclusive",
    "check_worker_hours",
    "check_worker_lifecycle",
]

#: Task statuses a task leaves only by a user's requeue (semantics A.2).
FINAL_TASK_STATUSES = frozenset({"SUCCEEDED", "FAILED", "CANCELED", "NOT_COMPATIBLE", "SUSPENDED"})
#: Statuses of a task that is on a worker.
IN_FLIGHT_TASK_STATUSES = frozenset({"ASSIGNED", "SCHEDULED", "STARTING", "RUNNING",
                                     "INTERRUPTING"})
_WAITING = frozenset({"PENDING", "READY"})
_DEAD = frozenset({"FAILED", "CANCELED", "SUSPENDED", "NOT_COMPATIBLE"})
#: Aggregate precedence of semantics A.4 (the first status present wins).
_PRECEDENCE = ("RUNNING", "INTERRUPTING", "STARTING", "SCHEDULED", "ASSIGNED", "READY",
               "SUSPENDED", "NOT_COMPATIBLE", "FAILED", "CANCELED", "PENDING", "SUCCEEDED")

_IN_FLIGHT_NEXT = frozenset({"SCHEDULED", "STARTING", "RUNNING", "INTERRUPTING", "READY",
                             "CANCELED", "FAILED"})
#: The task status changes the engine may make by itself (semantics A.2 rows 1-14; ``None`` is
#: the task's creation). Changes a user asks for (A.3: requeue, mark succeeded...) are not here.
TASK_TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"READY", "PENDING", "SUSPENDED", "NOT_COMPATIBLE", "CANCELED"}),
    "PENDING": frozenset({"READY", "CANCELED"}),
    "READY": frozenset({"ASSIGNED", "CANCELED"}),
    "ASSIGNED": _IN_FLIGHT_NEXT - {"FAILED"},
    "SCHEDULED": _IN_FLIGHT_NEXT - {"FAILED", "SCHEDULED"},
    "STARTING": _IN_FLIGHT_NEXT - {"SCHEDULED", "STARTING"},
    "RUNNING": frozenset({"SUCCEEDED", "FAILED", "READY", "CANCELED", "INTERRUPTING"}),
    "INTERRUPTING": frozenset({"READY", "CANCELED", "FAILED", "SUSPENDED"}),
}


#: The statuses a user's target can give a task (semantics A.3), from any status.
USER_TARGETS = frozenset({"READY", "PENDING", "SUSPENDED", "CANCELED", "FAILED", "SUCCEEDED"})


class InvariantViolation(AssertionError):
    """A recorded run breaks a rule every correct run keeps. The message names the rule, the
    time, the ids and the values involved."""


# ---------------------------------------------------------------------------------- helpers


def _fail(rule: str, detail: str) -> None:
    raise InvariantViolation(f"{rule}: {detail}")


def _end_time(result: Any) -> float:
    """The end of the simulated period: the catalog's, or the last recorded time."""
    catalog = getattr(result, "catalog", None)
    if catalog is not None:
        return float(catalog.end_time)
    times = [0.0]
    for frame, column in ((result.task_events, "time"), (result.task_runs, "ended_at")):
        if len(frame):
            times.append(float(np.nanmax(frame[column].to_numpy(dtype=float))))
    return max(times)


def _run_ends(runs: pd.DataFrame) -> np.ndarray:
    """``ended_at`` with open runs (NaN) running for ever."""
    ends = runs["ended_at"].to_numpy(dtype=float)
    return np.where(np.isnan(ends), math.inf, ends)


def _peak(intervals: Iterable[tuple[float, float, int, str]]) -> Iterator[tuple[float, int,
                                                                               set[str]]]:
    """Sweep half-open weighted intervals ``(start, end, weight, label)``; yield
    ``(time, level, labels active)`` after every instant's changes (ends before starts)."""
    changes: list[tuple[float, int, int, str]] = []
    for start, end, weight, label in intervals:
        if end <= start:
            continue  # empty interval: holds nothing at any instant
        changes.append((start, 1, weight, label))
        if end != math.inf:
            changes.append((end, 0, -weight, label))
    changes.sort(key=lambda c: (c[0], c[1]))
    level = 0
    active: set[str] = set()
    i, n = 0, len(changes)
    while i < n:
        t = changes[i][0]
        while i < n and changes[i][0] == t:
            _, is_start, weight, label = changes[i]
            level += weight
            if is_start:
                active.add(label)
            else:
                active.discard(label)
            i += 1
        yield t, level, active


def _by_user(ev: pd.DataFrame) -> np.ndarray:
    """Which ``task_events`` rows a user's target status made (UpdateJob, UpdateStep,
    UpdateTask, a stopped queue-limit association)."""
    if "by_user" in ev:
        flags: np.ndarray = ev["by_user"].to_numpy(dtype=bool)
        return flags
    return np.zeros(len(ev), dtype=bool)


def _user_instants(ev: pd.DataFrame) -> set[tuple[str, float]]:
    """(task, time) of each change a user made."""
    user = _by_user(ev)
    return set(zip(ev["task_id"][user], ev["time"][user].astype(float), strict=True))


def _task_ids(step_id: str, tasks: int) -> list[str]:
    hex_part = step_id.removeprefix("step-")
    return [f"task-{hex_part}-{n}" for n in range(tasks)]


def _last_status(result: Any) -> dict[str, str]:
    ev = result.task_events
    last = ev.drop_duplicates("task_id", keep="last")
    return dict(zip(last["task_id"], last["status"], strict=True))


def _job_of_step(result: Any) -> dict[str, str]:
    steps = result.steps
    return dict(zip(steps["step_id"], steps["job_id"], strict=True))


def _step_tasks(result: Any) -> dict[str, list[str]]:
    steps = result.steps
    return {sid: _task_ids(sid, int(n)) for sid, n in zip(steps["step_id"], steps["tasks"],
                                                          strict=True)}


def _depends_on(result: Any) -> dict[str, list[str]]:
    steps = result.steps
    return {sid: list(deps) for sid, deps in zip(steps["step_id"], steps["depends_on"],
                                                 strict=True)}


def _finished_jobs(result: Any) -> set[str]:
    jobs = result.jobs
    final = jobs["task_run_status"].isin(FINAL_TASK_STATUSES)
    return set(jobs.loc[final, "job_id"])


# ---------------------------------------------------------------------------------- checks


def check_time_monotonic(result: Any) -> None:
    """Time never decreases: timelines are in time order, every time lies within the simulated
    period, and each run goes ready <= assigned <= started <= ended (ended NaN only for a run
    still RUNNING at the end); a job is submitted before it starts and starts before it ends."""
    rule = "time monotonic"
    end = _end_time(result)
    for name in ("task_events", "workers", "limit_usage"):
        frame = getattr(result, name)
        t = frame["time"].to_numpy(dtype=float)
        if len(t) == 0:
            continue
        if np.isnan(t).any():
            i = int(np.flatnonzero(np.isnan(t))[0])
            _fail(rule, f"{name} row {i} has time NaN")
        back = np.flatnonzero(np.diff(t) < 0)
        if len(back):
            i = int(back[0])
            _fail(rule, f"{name} time goes back from {t[i]} (row {i}) to {t[i + 1]} "
                        f"(row {i + 1}): {frame.iloc[i + 1].to_dict()}")
        if t[0] < 0 or t[-1] > end:
            _fail(rule, f"{name} times span [{t[0]}, {t[-1]}], outside the simulated period "
                        f"[0, {end}]")
    runs = result.task_runs
    submitted = dict(zip(result.jobs["job_id"], result.jobs["submitted_at"], strict=True))
    for row in runs.itertuples(index=False):
        # started_at is NaN for a taskRun that never started: its session's setup failed, it
        # was canceled or interrupted first, or the period ended during the setup.
        started = row.assigned_at if math.isnan(row.started_at) and row.status in (
            "FAILED", "CANCELED", "INTERRUPTED", "RUNNING") else row.started_at
        times = (row.ready_at, row.assigned_at, started)
        where = f"run of {row.task_id} attempt {row.attempt} on {row.worker_id}"
        if any(math.isnan(x) for x in times) or not times[0] <= times[1] <= times[2]:
            _fail(rule, f"{where}: ready_at={row.ready_at}, assigned_at={row.assigned_at}, "
                        f"started_at={row.started_at} are not in order")
        if row.ready_at < submitted[row.job_id]:
            _fail(rule, f"{where}: ready_at={row.ready_at} is before its job {row.job_id} was "
                        f"submitted at {submitted[row.job_id]}")
        if math.isnan(row.ended_at):
            if row.status != "RUNNING":
                _fail(rule, f"{where}: ended_at is NaN but status is {row.status}")
        elif row.status == "RUNNING" or not started <= row.ended_at <= end:
            _fail(rule, f"{where}: started_at={row.started_at}, ended_at={row.ended_at}, "
                        f"status={row.status} (simulated period ends at {end})")
    for row in result.jobs.itertuples(index=False):
        sub, start, stop = row.submitted_at, row.started_at, row.ended_at
        if (not math.isnan(start) and start < sub) or (
                not math.isnan(stop) and (stop < sub or (not math.isnan(start) and stop < start))):
            _fail(rule, f"job {row.job_id}: submitted_at={sub}, started_at={start}, "
                        f"ended_at={stop} are not in order")


def check_worker_exclusive(result: Any) -> None:
    """No worker runs two task runs at once (a run ending at t frees the worker for one
    assigned at t)."""
    runs = result.task_runs
    if not len(runs):
        return
    frame = pd.DataFrame({
        "worker": runs["worker_id"].to_numpy(), "start": runs["assigned_at"].to_numpy(float),
        "end": _run_ends(runs), "task": runs["task_id"].to_numpy(),
    }).sort_values(["worker", "start", "end"], kind="stable")
    same = frame["worker"].to_numpy()[1:] == frame["worker"].to_numpy()[:-1]
    overlap = same & (frame["start"].to_numpy()[1:] < frame["end"].to_numpy()[:-1])
    if overlap.any():
        i = int(np.flatnonzero(overlap)[0])
        a, b = frame.iloc[i], frame.iloc[i + 1]
        _fail("worker exclusive",
              f"worker {a['worker']} runs {a['task']} over [{a['start']}, {a['end']}) and "
              f"{b['task']} from {b['start']}")


def check_max_worker_count(result: Any) -> None:
    """No worker comes onto a job that is at or over its ``max_worker_count`` in force
    (semantics C.7): whenever a task run is assigned, or a worker's session of the job begins,
    at t, the job's task runs in flight (or the workers holding a session of it, from its first
    action to its last, its envExits included) after every change at t are at most that count.
    A count <= 0 is no maximum. Intervals are half-open: a worker leaving at t frees its slot
    for one arriving at t.

    The count in force comes from ``job_updates`` (UpdateJob): the ``value`` of the job's last
    ``max_worker_count`` row before t, else its value at creation (the ``previous`` of its
    first row; ``jobs.max_worker_count`` if it has none). Nothing running is stopped when the
    count is lowered, so the work going on may exceed it for a while: the level may fall
    freely, and only an arrival is held to the count. At an instant the count changed, the
    tables do not tell an arrival before the change from one after it: an arrival then may go
    up to the highest count in force during that instant."""
    jobs = result.jobs
    caps = _worker_caps(jobs, getattr(result, "job_updates", None))
    if not caps or not len(result.task_runs):
        return
    runs = result.task_runs
    in_flight: dict[str, list[tuple[float, float, int, str]]] = defaultdict(list)
    for job, start, end, task in zip(runs["job_id"], runs["assigned_at"], _run_ends(runs),
                                     runs["task_id"], strict=True):
        if job in caps:
            in_flight[str(job)].append((float(start), float(end), 1, task))
    holding: dict[str, list[tuple[float, float, int, str]]] = defaultdict(list)
    sessions = getattr(result, "sessions", None)
    if sessions is not None:
        ends = sessions["ended_at"].to_numpy(dtype=float)
        for job, start, end, session in zip(sessions["job_id"], sessions["started_at"],
                                            np.where(np.isnan(ends), math.inf, ends),
                                            sessions["session_id"], strict=True):
            if job in caps and not math.isnan(start):
                holding[str(job)].append((float(start), float(end), 1, str(session)))
    for job, (times, values) in caps.items():
        for what, by_job in (("task runs in flight", in_flight),
                             ("workers holding a session of it", holding)):
            intervals = by_job.get(job, ())
            arrivals = {start for start, end, _, _ in intervals if end > start}
            for t, level, active in _peak(intervals):
                if t not in arrivals:
                    continue  # only departures at t: the level fell
                # The counts in force during instant t: the one before it, and each set at t.
                lo, hi = bisect_left(times, t), bisect_right(times, t)
                in_force = values[lo:hi + 1]
                if min(in_force) <= 0:
                    continue  # no maximum (for a while) at t
                cap = max(in_force)
                if level > cap:
                    _fail("max worker count",
                          f"job {job} has {level} {what} at t={t} "
                          f"(max_worker_count={cap}): {sorted(active)}")


def _worker_caps(jobs: pd.DataFrame, updates: pd.DataFrame | None
                 ) -> dict[str, tuple[list[float], list[int]]]:
    """The ``max_worker_count`` history of each job that had a maximum at some time: the
    times of its changes, and its count from time 0 (``values[0]``) and after each change
    (``values[k + 1]`` from ``times[k]``), changes at one time in the order made."""
    history: dict[str, tuple[list[float], list[int]]] = {}
    if updates is not None and len(updates):
        mine = updates[updates["setting"] == "max_worker_count"]
        order = np.argsort(mine["time"].to_numpy(dtype=float), kind="stable")
        for job, t, value, previous in zip(mine["job_id"].to_numpy()[order],
                                           mine["time"].to_numpy(dtype=float)[order],
                                           mine["value"].to_numpy()[order],
                                           mine["previous"].to_numpy()[order], strict=True):
            times, values = history.setdefault(str(job), ([], [int(previous)]))
            times.append(float(t))
            values.append(int(value))
    # The jobs changed (few) and those with a maximum; the others have none at any time.
    counts = jobs["max_worker_count"].to_numpy()
    ids = jobs["job_id"].astype(str).to_numpy()
    mine = (counts > 0) | np.isin(ids, list(history))
    for job, count in zip(ids[mine], counts[mine].tolist(), strict=True):
        values = history.setdefault(job, ([], [count]))[1]
        if values[-1] != count:
            _fail("max worker count", f"job {job} has max_worker_count={count} in jobs, but "
                                      f"its last job_updates row sets {values[-1]}")
    return {job: h for job, h in history.items() if max(h[1]) > 0}


#: The worker status changes of the state machine (``farmsim.engine.workers``); a timeline
#: saved before CREATED was recorded starts at STARTED. A worker whose host configuration
#: script times out goes STARTED -> NOT_RESPONDING -> STOPPED, and one whose host is lost goes
#: NOT_RESPONDING from any status it had online, then STOPPED (semantics F.4).
WORKER_TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"CREATED", "STARTED"}),
    "CREATED": frozenset({"STARTED", "STOPPING"}),
    "STARTED": frozenset({"IDLE", "RUNNING", "STOPPING", "NOT_RESPONDING"}),
    "IDLE": frozenset({"RUNNING", "STOPPING", "NOT_RESPONDING"}),
    "RUNNING": frozenset({"IDLE", "STOPPING", "NOT_RESPONDING"}),
    "STOPPING": frozenset({"STOPPED", "NOT_RESPONDING"}),
    "NOT_RESPONDING": frozenset({"STOPPED"}),
    "STOPPED": frozenset(),
}


def check_worker_lifecycle(result: Any) -> None:
    """Each worker's status changes follow :data:`WORKER_TRANSITIONS`, and it runs task runs
    only while started: none assigned before it STARTED or after it began STOPPING (or went
    NOT_RESPONDING, whichever came first: a worker told to stop takes nothing new), none
    ending after it STOPPED."""
    rule = "worker lifecycle"
    w = result.workers
    previous: dict[str, str] = {}
    started: dict[str, float] = {}
    stopping: dict[str, float] = {}
    stopped: dict[str, float] = {}
    for t, worker, status in zip(w["time"], w["worker_id"], w["status"], strict=True):
        before = previous.get(worker)
        if status not in WORKER_TRANSITIONS.get(before, frozenset()):
            _fail(rule, f"worker {worker} goes {before} -> {status} at t={t}")
        previous[worker] = status
        if status == "STARTED":
            started[worker] = float(t)
        elif status in ("STOPPING", "NOT_RESPONDING"):
            stopping.setdefault(worker, float(t))  # (the first: it took nothing new since)
        elif status == "STOPPED":
            stopped[worker] = float(t)
    runs = result.task_runs
    for worker, assigned, ended, task in zip(runs["worker_id"], runs["assigned_at"],
                                             _run_ends(runs), runs["task_id"], strict=True):
        if assigned < started.get(worker, math.inf):
            _fail(rule, f"{worker} was assigned {task} at t={assigned} before it STARTED")
        if assigned > stopping.get(worker, math.inf):
            _fail(rule, f"{worker} was assigned {task} at t={assigned} after it began "
                        f"STOPPING at t={stopping[worker]}")
        if ended > stopped.get(worker, math.inf):
            _fail(rule, f"{worker}'s run of {task} ends at t={ended}, after it STOPPED")


def check_limits(result: Any) -> None:
    """No limit's units are ever taken above its ``maxCount`` in force (when >= 0), nor given
    back below zero, and the recorded ``limit_usage`` agrees at every instant with the usage
    recomputed from the task runs' ``acquired_limits`` over ``[assigned_at, ended_at)``.

    A limit may be above a maximum lowered while its units were held (UpdateLimit: running
    work keeps them, semantics D); it then only goes down until it is under it."""
    rule = "limits"
    usage = result.limit_usage
    current = usage["current_count"].to_numpy()
    maxima = usage["max_count"].to_numpy()
    codes = pd.factorize(usage["limit_id"])[0]
    # Each limit's level before each row (rows are in time order, limits interleaved).
    order = np.lexsort((np.arange(len(codes)), codes))
    before = np.zeros(len(current), dtype=current.dtype)
    same = codes[order][1:] == codes[order][:-1]
    before[order[1:][same]] = current[order][:-1][same]
    bad = np.flatnonzero((current < 0) | ((maxima >= 0) & (current > maxima)
                                          & (current > before)))
    if len(bad):
        row = usage.iloc[int(bad[0])]
        _fail(rule, f"limit {row['limit_id']} has current_count={row['current_count']} at "
                    f"t={row['time']} (max_count={row['max_count']})")
    max_count: dict[str, int] = dict(zip(usage["limit_id"], usage["max_count"], strict=True))
    changed = {str(k) for k, n in usage.groupby("limit_id", observed=True)["max_count"]
               .nunique().items() if n > 1}
    # Recomputed from the runs: per limit, weighted half-open intervals.
    runs = result.task_runs
    held: dict[str, list[tuple[float, float, int, str]]] = defaultdict(list)
    for acquired, start, end, task in zip(runs["acquired_limits"], runs["assigned_at"],
                                          _run_ends(runs), runs["task_id"], strict=True):
        for item in acquired if acquired is not None else ():
            held[item["limitId"]].append((float(start), float(end), int(item["count"]), task))
    recorded: dict[str, dict[float, int]] = defaultdict(dict)
    for limit, t, count in zip(usage["limit_id"], usage["time"], current, strict=True):
        recorded[limit][float(t)] = int(count)  # the last row at a time is the level after it
    for limit in sorted(set(held) | set(recorded)):
        if limit not in max_count:
            _fail(rule, f"task runs hold limit {limit} but limit_usage never records it")
        cap = max_count[limit]
        computed = {t: level for t, level, _ in _peak(held.get(limit, ()))}
        for t, level, active in _peak(held.get(limit, ())):
            # (a limit whose maxCount changed is held to the maximum in force by the rows
            # above, which the runs must then agree with)
            if 0 <= cap < level and limit not in changed:
                _fail(rule, f"limit {limit}: task runs hold {level} units at t={t} "
                            f"(max_count={cap}): {sorted(active)}")
        level_rec = level_cmp = 0
        for t in sorted(set(computed) | set(recorded[limit])):
            level_rec = recorded[limit].get(t, level_rec)
            level_cmp = computed.get(t, level_cmp)
            if level_rec != level_cmp:
                _fail(rule, f"limit {limit} at t={t}: limit_usage says current_count="
                            f"{level_rec} but the task runs hold {level_cmp} units")


def check_task_transitions(result: Any) -> None:
    """Each task's ``task_events`` are a valid status sequence (:data:`TASK_TRANSITIONS`),
    starting at its creation; in-flight statuses and run ends name a worker."""
    ev = result.task_events
    user = _by_user(ev)
    instants = _user_instants(ev)
    previous: dict[str, str] = {}
    for t, task, status, worker, by_user in zip(ev["time"], ev["task_id"], ev["status"],
                                                ev["worker_id"], user, strict=True):
        before = previous.get(task)
        allowed = TASK_TRANSITIONS.get(before, frozenset())
        if by_user or (isinstance(worker, str) and (task, float(t)) in instants):
            # A user's target (or the end of a run it stopped): any status to a target's.
            allowed = USER_TARGETS if by_user else allowed | USER_TARGETS
        if status not in allowed:
            _fail("task transitions", f"task {task} goes {before} -> {status} at t={t} "
                                      f"(allowed from {before}: {sorted(allowed)})")
        if status in IN_FLIGHT_TASK_STATUSES and not isinstance(worker, str):
            _fail("task transitions", f"task {task} is {status} at t={t} without a worker")
        previous[task] = status


def check_event_order(result: Any) -> None:
    """``task_events`` rows at one instant are in causal order: a worker's run of a task ends
    (SUCCEEDED, FAILED, CANCELED, or READY for a retry) before the same worker's next task is
    ASSIGNED, and a step's tasks become READY after the last upstream task SUCCEEDED."""
    rule = "event order"
    ev = result.task_events
    on: dict[str, str] = {}  # worker -> the task it runs, in row order
    ended_by_worker = {"SUCCEEDED", "FAILED", "CANCELED", "READY"} | USER_TARGETS  # (a run a
    # user's target stopped ends with the task in that target)
    for t, task, status, worker in zip(ev["time"], ev["task_id"], ev["status"], ev["worker_id"],
                                       strict=True):
        if not isinstance(worker, str):
            continue
        if status == "ASSIGNED":
            busy = on.get(worker)
            if busy is not None and busy != task:
                _fail(rule, f"t={t}: {worker} is ASSIGNED task {task} in a row before its run "
                            f"of {busy} ended")
            on[worker] = task
        elif status in ended_by_worker and on.get(worker) == task:
            del on[worker]
    row_of: dict[tuple[str, str], int] = {}
    for i, (task, status) in enumerate(zip(ev["task_id"], ev["status"], strict=True)):
        row_of.setdefault((task, status), i)
    step_tasks = _step_tasks(result)
    for step, ups in _depends_on(result).items():
        if not len(ups):
            continue
        last = max((row_of.get((task, "SUCCEEDED"), -1) for up in ups
                    for task in step_tasks[up]), default=-1)
        for task in step_tasks[step]:
            ready = row_of.get((task, "READY"))
            if ready is not None and ready < last:
                _fail(rule, f"task {task} is READY in row {ready}, before the last upstream "
                            f"task SUCCEEDED (row {last})")


def check_task_final_states(result: Any) -> None:
    """Every task of every step has events and ends in exactly one final status (SUCCEEDED,
    FAILED, CANCELED, NOT_COMPATIBLE, SUSPENDED), never left afterwards; or, if its job is
    unfinished, is still waiting or in flight. A finished job may keep PENDING tasks only behind
    an upstream step that did not succeed (semantics A.4, 10.7). A task has at most one
    SUCCEEDED run, its runs agree with its final status, and no run starts after it."""
    rule = "task final states"
    ev = result.task_events
    step_tasks = _step_tasks(result)
    job_of = _job_of_step(result)
    deps = _depends_on(result)
    finished = _finished_jobs(result)
    expected = {task: step for step, tasks in step_tasks.items() for task in tasks}
    seen = set(ev["task_id"])
    unknown = seen - expected.keys()
    if unknown:
        _fail(rule, f"task_events name tasks of no step: {sorted(unknown)[:5]}")
    missing = expected.keys() - seen
    if missing:
        _fail(rule, f"tasks without any task_events row: {sorted(missing)[:5]}")
    # Exactly one final status: nothing follows the first one, but a user's change (which
    # may take a task out of a final status) and what the engine does with it at that instant.
    user = _by_user(ev)
    instants = _user_instants(ev)
    final_at: dict[str, float] = {}
    requeues: dict[str, int] = defaultdict(int)
    last_user: dict[str, float] = {}
    for t, task, status, by_user in zip(ev["time"], ev["task_id"], ev["status"], user,
                                        strict=True):
        if by_user or (task, float(t)) in instants:
            final_at.pop(task, None)
            last_user[task] = float(t)
            if by_user and status in _WAITING:
                requeues[task] += 1
        elif task in final_at:
            _fail(rule, f"task {task} became {status} at t={t} after reaching a final status "
                        f"at t={final_at[task]}")
        if status in FINAL_TASK_STATUSES:
            final_at[task] = float(t)
    last = _last_status(result)
    for task, step in expected.items():
        status, job = last[task], job_of[step]
        if job in finished:
            if status in FINAL_TASK_STATUSES:
                continue
            if status == "PENDING" and any(
                    last[u] != "SUCCEEDED" for d in deps[step] for u in step_tasks[d]):
                continue  # held behind an upstream step that did not succeed
            _fail(rule, f"task {task} of finished job {job} ends {status}")
        elif status not in FINAL_TASK_STATUSES | _WAITING | IN_FLIGHT_TASK_STATUSES:
            _fail(rule, f"task {task} of unfinished job {job} ends {status}")
    runs = result.task_runs
    succeeded = runs.loc[runs["status"] == "SUCCEEDED", "task_id"].value_counts()
    for task, n in succeeded[succeeded > 1].items():
        if n > 1 + requeues.get(str(task), 0):  # one per requeue by a user, and the first
            _fail(rule, f"task {task} has {n} SUCCEEDED runs")
    for task, assigned, ended, status, worker in zip(
            runs["task_id"], runs["assigned_at"], runs["ended_at"], runs["status"],
            runs["worker_id"], strict=True):
        if task in final_at and assigned > final_at[task]:
            _fail(rule, f"task {task} has a run on {worker} assigned at t={assigned}, after it "
                        f"became {last[task]} at t={final_at[task]}")
        if status == "SUCCEEDED" and last_user.get(task, -math.inf) >= ended:
            continue  # a user changed the task after this run
        if status == "SUCCEEDED" and last.get(task) != "SUCCEEDED":
            _fail(rule, f"task {task} had a SUCCEEDED run on {worker} but ends "
                        f"{last.get(task)}")
        if status == "RUNNING" and last.get(task) not in IN_FLIGHT_TASK_STATUSES:
            _fail(rule, f"task {task} has a run still RUNNING on {worker} but ends "
                        f"{last.get(task)}")


def check_dependencies(result: Any) -> None:
    """No task of a step becomes READY, and no run of it starts, before every upstream step
    (``steps.depends_on``) had all its tasks SUCCEEDED; and a step created PENDING becomes
    READY at the very instant its last upstream task succeeds."""
    rule = "dependencies"
    ev = result.task_events
    step_tasks = _step_tasks(result)
    first: dict[tuple[str, str], float] = {}
    creation: dict[str, str] = {}
    for t, task, status in zip(ev["time"], ev["task_id"], ev["status"], strict=True):
        first.setdefault((task, status), float(t))
        creation.setdefault(task, status)

    def resolved_at(step: str) -> float:
        times = [first.get((task, "SUCCEEDED"), math.inf) for task in step_tasks[step]]
        return max(times, default=-math.inf)

    required = {step: max((resolved_at(u) for u in ups), default=-math.inf)
                for step, ups in _depends_on(result).items() if len(ups)}
    runs = result.task_runs
    for step, task, assigned, worker in zip(runs["step_id"], runs["task_id"],
                                            runs["assigned_at"], runs["worker_id"], strict=True):
        need = required.get(step, -math.inf)
        if assigned < need:
            _fail(rule, f"task {task} was assigned to {worker} at t={assigned}, before its "
                        f"upstream steps all succeeded (t={need})")
    changed = {task for task, _ in _user_instants(ev)}
    deps = _depends_on(result)
    for step, need in required.items():
        # A user's change upstream (a requeue) can undo a resolution: only the first READY is
        # then held to it.
        undone = any(task in changed for up in deps[step] for task in step_tasks[up])
        for task in step_tasks[step]:
            ready = first.get((task, "READY"), math.inf)
            if ready < need:
                _fail(rule, f"task {task} became READY at t={ready}, before its upstream "
                            f"steps all succeeded (t={need})")
            if creation.get(task) != "PENDING" or need == math.inf or undone:
                continue
            ended = min((first.get((task, s), math.inf) for s in FINAL_TASK_STATUSES),
                        default=math.inf)
            if ready != need and ended > need:
                _fail(rule, f"task {task} stayed PENDING after its upstream steps all "
                            f"succeeded at t={need} (READY at t={ready})")


def check_job_status(result: Any) -> None:
    """Each job's ``task_run_status`` is the aggregate of its tasks' final statuses by the
    precedence of semantics A.4 (PENDING counts only while an upstream step can still succeed);
    its ``tasks``/``succeeded``/``failed``/``canceled`` counts match; it has ``ended_at`` exactly
    when it started and then finished, at its last task change (a job that never ran, submitted
    SUSPENDED or NOT_COMPATIBLE, has none: GetJob's endedAt is when a job ended running);
    ``started_at`` is its first assignment."""
    rule = "job status"
    last = _last_status(result)
    step_tasks = _step_tasks(result)
    deps = _depends_on(result)
    steps = result.steps
    ev = result.task_events
    last_change = ev.groupby("job_id")["time"].max().to_dict() if len(ev) else {}
    runs = result.task_runs
    first_run = runs.groupby("job_id")["assigned_at"].min().to_dict() if len(runs) else {}
    job_steps: dict[str, list[str]] = defaultdict(list)
    for step, job in zip(steps["step_id"], steps["job_id"], strict=True):
        job_steps[job].append(step)

    def can_succeed(step: str) -> bool:
        return (not any(last[t] in _DEAD for t in step_tasks[step])
                and all(can_succeed(u) for u in deps[step]))

    for row in result.jobs.itertuples(index=False):
        job = row.job_id
        counts: dict[str, int] = defaultdict(int)
        pending_live = False
        for step in job_steps[job]:
            statuses = [last[t] for t in step_tasks[step]]
            for s in statuses:
                counts[s] += 1
            if "PENDING" in statuses and all(can_succeed(u) for u in deps[step]):
                pending_live = True
        expected = next((s for s in _PRECEDENCE if counts.get(s) and (s != "PENDING"
                                                                       or pending_live)),
                        "SUCCEEDED")
        if row.task_run_status != expected:
            _fail(rule, f"job {job} is {row.task_run_status} but its tasks "
                        f"{dict(counts)} aggregate to {expected}")
        for column, status in (("succeeded", "SUCCEEDED"), ("failed", "FAILED"),
                               ("canceled", "CANCELED")):
            if getattr(row, column) != counts.get(status, 0):
                _fail(rule, f"job {job} has {column}={getattr(row, column)} but "
                            f"{counts.get(status, 0)} tasks end {status}")
        if row.tasks != sum(counts.values()):
            _fail(rule, f"job {job} has tasks={row.tasks} but its steps hold "
                        f"{sum(counts.values())}")
        started = first_run.get(job, math.nan)
        if expected in FINAL_TASK_STATUSES and not math.isnan(started):
            if row.ended_at != last_change.get(job):
                _fail(rule, f"job {job} is {expected} with ended_at={row.ended_at}, but its "
                            f"last task change is at t={last_change.get(job)}")
        elif not math.isnan(row.ended_at):
            why = "never started" if expected in FINAL_TASK_STATUSES else "is unfinished"
            _fail(rule, f"job {job} is {expected} and {why} but has ended_at={row.ended_at}")
        if not (row.started_at == started or (math.isnan(row.started_at)
                                              and math.isnan(started))):
            _fail(rule, f"job {job} has started_at={row.started_at} but its first run was "
                        f"assigned at t={started}")


def check_sessions(result: Any) -> None:
    """Sessions keep semantics E: a worker holds one session at a time and does one action at
    a time; each session's actions are in the canonical order (E.2): syncs and envEnters before
    the task runs they prepare, job environments entered only at the start, a step's
    environments entered only for a task run of that step, envExits in reverse order of entry;
    after a failed or canceled action only envExits run (E.4); every environment whose entry
    began is exited unless the session is still open at the end; and each task run is one
    taskRun action."""
    if not hasattr(result, "session_actions"):
        return
    rule = "sessions"
    actions, sessions = result.session_actions, result.sessions
    end = _end_time(result)
    runs = result.task_runs
    if (actions["action"] == "taskRun").sum() != len(runs):
        _fail(rule, f"{len(runs)} task runs but {(actions['action'] == 'taskRun').sum()} "
                    "taskRun actions")
    # One session at a time per worker (a session that never began an action, its run canceled
    # first, takes no time).
    frame = pd.DataFrame({
        "worker": sessions["worker_id"].astype(str).to_numpy(),
        "start": sessions["started_at"].to_numpy(float),
        "end": np.nan_to_num(sessions["ended_at"].to_numpy(float), nan=math.inf),
        "session": sessions["session_id"].astype(str).to_numpy(),
    })
    frame = frame[frame["start"] < frame["end"]].sort_values(["worker", "start", "end"],
                                                               kind="stable")
    same = frame["worker"].to_numpy()[1:] == frame["worker"].to_numpy()[:-1]
    # Times are sums of action durations: allow a rounding error of a few ulps.
    previous_end = frame["end"].to_numpy()[:-1]
    overlap = same & (frame["start"].to_numpy()[1:] < previous_end - _slack(previous_end))
    if overlap.any():
        i = int(np.flatnonzero(overlap)[0])
        a, b = frame.iloc[i], frame.iloc[i + 1]
        _fail(rule, f"worker {a['worker']} holds session {a['session']} over [{a['start']}, "
                    f"{a['end']}) and session {b['session']} from {b['start']}")
    open_sessions = set(sessions["session_id"][sessions["ended_at"].isna()].astype(str))
    columns = [actions[c].astype(object).where(actions[c].notna(), None).to_numpy()
               for c in ("session_id", "action", "environment_id", "step_id", "status")]
    starts = actions["started_at"].to_numpy(float)
    ends = actions["ended_at"].to_numpy(float)
    by_session: dict[str, list[int]] = defaultdict(list)
    for i, session in enumerate(columns[0]):
        by_session[str(session)].append(i)
    for session, rows in by_session.items():
        _check_session(session, rows, columns, starts, ends, session in open_sessions, end)


def _check_session(session: str, rows: list[int], columns: list[np.ndarray],
                   starts: np.ndarray, ends: np.ndarray, is_open: bool, end: float) -> None:
    rule = "sessions"
    _, kinds, envs, steps, statuses = columns
    entered: list[str] = []
    stopped = False  # a non-exit action failed or was canceled: only envExits may run
    ran = False  # a taskRun has run (or been attempted)
    waiting = False  # an action had not begun at the end of the period (ASSIGNED)
    last_end = -math.inf
    for n, i in enumerate(rows):
        kind, env, step, status = kinds[i], envs[i], steps[i], statuses[i]
        where = f"session {session} action {n} ({kind} {env or step or ''}, {status})"
        if status == "ASSIGNED":
            if not is_open:
                _fail(rule, f"{where}: not begun in a session that ended")
            waiting = True
            continue
        if waiting:
            _fail(rule, f"{where}: begun after an action that had not begun (ASSIGNED)")
        if status == "NEVER_ATTEMPTED":
            if kind == "envExit":
                _fail(rule, f"{where}: an envExit is never left unattempted")
            continue
        if stopped and kind != "envExit":
            _fail(rule, f"{where}: runs after a failed or canceled action")
        start, stop = starts[i], ends[i]
        if math.isnan(start) or start < last_end - _slack(last_end) or start > end + 1e-9:
            _fail(rule, f"{where}: starts at {start}, before the previous action ended at "
                        f"{last_end} or outside the period")
        last_end = start if math.isnan(stop) else stop
        if kind == "envEnter":
            if env in entered:
                _fail(rule, f"{where}: entered twice")
            if env.startswith("JOB:") and (ran or any(e.startswith("STEP:") for e in entered)):
                _fail(rule, f"{where}: a job environment entered after the session began its "
                            "step environments or task runs")
            next_step = f"STEP:{_next_step(rows, n, columns)}:"
            if env.startswith("STEP:") and not env.startswith(next_step):
                _fail(rule, f"{where}: a step environment entered for another step than the "
                            "next task run's")
            entered.append(env)
        elif kind == "envExit":
            if not entered or entered[-1] != env:
                _fail(rule, f"{where}: exits {env} but the last environment entered and not "
                            f"exited is {entered[-1] if entered else None}")
            entered.pop()
            if env.startswith("JOB:") and any(kinds[j] != "envExit" and statuses[j] !=
                                              "NEVER_ATTEMPTED" for j in rows[n + 1:]):
                _fail(rule, f"{where}: the session goes on after exiting a job environment")
        elif kind == "taskRun":
            ran = True
            wrong = [e for e in entered if e.startswith("STEP:")
                     and not e.startswith(f"STEP:{step}:")]
            if wrong:
                _fail(rule, f"{where}: runs with another step's environment {wrong[0]} entered")
        elif kind == "syncInputJobAttachments" and step is None and n:
            _fail(rule, f"{where}: a job-level sync that is not the session's first action")
        if status in ("FAILED", "CANCELED", "INTERRUPTED") and kind != "envExit":
            stopped = True
        if status == "RUNNING" and not is_open:
            _fail(rule, f"{where}: still running in a session that ended")
    if entered and not is_open:
        _fail(rule, f"session {session} ended without exiting {entered}")


def _slack(t: Any) -> Any:
    """A few ulps of ``t``: the rounding of a sum of durations."""
    return 1e-12 * np.maximum(1.0, np.abs(np.nan_to_num(t, posinf=0.0)))


def _next_step(rows: list[int], n: int, columns: list[np.ndarray]) -> str | None:
    """The step of the first taskRun after position ``n`` of a session."""
    kinds, steps = columns[1], columns[3]
    return next((steps[j] for j in rows[n + 1:] if kinds[j] == "taskRun"), None)


# ------------------------------------------------------------------ accounting, not in check_all


def check_jobs_finished(result: Any) -> None:
    """Nothing is lost: every job ended in a final status (:data:`FINAL_TASK_STATUSES`). This
    holds for a run that *drained* (``sim.run()`` without a horizon, until no event was
    left) on a farm that can run every compatible job: a job still READY, PENDING or RUNNING
    then is work the engine lost. Not part of :func:`check_all`, which also holds for runs cut
    at a horizon."""
    jobs = result.jobs
    status = jobs["task_run_status"].astype(str)
    left = ~status.isin(FINAL_TASK_STATUSES)
    if left.any():
        rows = jobs[left.to_numpy()].head(5)
        shown = ", ".join(f"{job} ({name}) {st}" for job, name, st in zip(
            rows["job_id"].astype(str), rows["name"].astype(str),
            rows["task_run_status"].astype(str), strict=True))
        _fail("jobs finished", f"{int(left.sum())} of {len(jobs)} jobs did not end in a final "
                               f"status by t={_end_time(result)}: {shown}")


def check_worker_hours(result: Any) -> float:
    """The billed ``worker_hours`` of the summary are exactly the workers' recorded
    STARTED-to-STOPPED spans (to the end of the simulated period for a worker still up; lost,
    interrupted and retired workers included; a worker never STARTED is not billed), to a
    relative 1e-12. Returns those hours."""
    workers = result.workers.astype({"worker_id": str, "status": str})
    started = workers[workers["status"] == "STARTED"].set_index("worker_id")["time"]
    stopped = workers[workers["status"] == "STOPPED"].set_index("worker_id")["time"]
    summary = result.summary()
    end = summary["simulated_s"]
    hours = math.fsum(stopped.get(w, end) - at for w, at in started.items()) / 3600.0
    billed = summary["worker_hours"]
    if not math.isclose(billed, hours, rel_tol=1e-12, abs_tol=1e-12):
        _fail("worker hours", f"the summary bills worker_hours={billed!r} but the STARTED-to-"
                              f"STOPPED spans of {len(started)} workers (to t={end} for those "
                              f"still up) sum to {hours!r} hours")
    return hours


def check_interruptions_use_no_retry(result: Any) -> None:
    """An interruption (a spot host reclaimed, a host lost, the 7-day life: a run that ended
    INTERRUPTED) never uses one of the task's retries (semantics F.4): the task's next run, if
    any, has the same ``attempt`` number as the interrupted one."""
    runs = result.task_runs
    ordered = runs.sort_values(["task_id", "assigned_at"], kind="stable")
    previous: dict[str, tuple[str, int, float, str]] = {}
    for task, status, attempt, assigned, worker in zip(
            ordered["task_id"].astype(str), ordered["status"].astype(str), ordered["attempt"],
            ordered["assigned_at"], ordered["worker_id"].astype(str), strict=True):
        before = previous.get(task)
        if before is not None and before[0] == "INTERRUPTED" and int(attempt) != before[1]:
            _fail("interruptions use no retry",
                  f"task {task}: its run on {before[3]} assigned at t={before[2]} was "
                  f"INTERRUPTED at attempt {before[1]}, and its next run, on {worker} at "
                  f"t={assigned}, is attempt {int(attempt)}")
        previous[task] = (status, int(attempt), float(assigned), worker)


def check_sessions_closed(result: Any) -> None:
    """Every session ended, and exited every environment it entered (each envEnter that was
    attempted has its envExit in the same session): what a drained run leaves (semantics E).
    Not part of :func:`check_all` (a run cut at a horizon may leave sessions open)."""
    rule = "sessions closed"
    sessions = result.sessions
    still = sessions[sessions["ended_at"].isna().to_numpy()]
    if len(still):
        row = still.iloc[0]
        _fail(rule, f"{len(still)} sessions never ended, e.g. {row['session_id']} of worker "
                    f"{row['worker_id']} (job {row['job_id']}) started at t={row['started_at']}")
    actions = result.session_actions
    entered = actions[((actions["action"] == "envEnter")
                       & (actions["status"] != "NEVER_ATTEMPTED")).to_numpy()]
    exited = actions[(actions["action"] == "envExit").to_numpy()]

    def pairs(rows: pd.DataFrame) -> list[tuple[str, str]]:
        return sorted(zip(rows["session_id"].astype(str), rows["environment_id"].astype(str),
                          strict=True))

    a, b = pairs(entered), pairs(exited)
    if a != b:
        missing = sorted(set(a) - set(b)) or [p for p in a if a.count(p) > b.count(p)]
        extra = sorted(set(b) - set(a)) or [p for p in b if b.count(p) > a.count(p)]
        if missing:
            session, env = missing[0]
            _fail(rule, f"session {session} entered environment {env} but never exited it")
        session, env = extra[0]
        _fail(rule, f"session {session} exited environment {env} it never entered (or more "
                    "often than it entered it)")


_CHECKS = (check_time_monotonic, check_worker_exclusive, check_worker_lifecycle,
           check_max_worker_count, check_limits, check_task_transitions, check_event_order,
           check_task_final_states, check_dependencies, check_job_status, check_sessions)


def check_all(result: Any) -> None:
    """Every check of this module, in order: time, workers, worker lifecycle, maxWorkerCount,
    limits, task transitions, event order, final states, dependencies, job status, sessions."""
    for check in _CHECKS:
        check(result)


# ---------------------------------------------------------------------------------- determinism


def assert_same_tables(a: Any, b: Any) -> None:
    """Two results have identical tables (``pandas.testing.assert_frame_equal`` on each) and
    equal summaries: what two runs with the same scenario and seed must give."""
    for name in TABLES:
        try:
            pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
        except AssertionError as exc:
            raise InvariantViolation(f"same tables: table {name!r} differs: {exc}") from None
    sa, sb = a.summary(), b.summary()
    if not _same(sa, sb):
        raise InvariantViolation(f"same tables: summaries differ:\n{sa}\n!=\n{sb}")


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    return type(x) is type(y) and x == y
