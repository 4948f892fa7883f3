"""Fairness and starvation, from a result's tables: the ``fairness`` section of the summary.

Definitions (docs/semantics.md D29):

- **Priority bands.** Each distinct job priority of the run is its own band when the run's jobs
  have at most :data:`MAX_DISTINCT` of them; otherwise the four quarters of the range,
  ``0-24``, ``25-49``, ``50-74``, ``75-100`` (:data:`QUARTERS`; only those holding a job are
  listed). A job is in the band of its priority at the end of the run (``jobs.priority``).
- **Wait and turnaround by band and by queue.** ``task_wait_s`` (a run's assignment time minus
  its task's READY time) over the runs of the band's (the queue's) jobs, ``job_turnaround_s``
  over its jobs that SUCCEEDED: ``mean``, ``p50``, ``p95``, ``p99`` and ``count``.
- **Longest wait.** The longest of every run's wait and, for each task still READY at the end,
  the end minus the time it last became READY (from ``task_events``): a task that waits for
  ever shows even though it never ran.
- **Worker share among jobs of equal priority.** Jobs compete for the same workers when they
  are in the same queue (a queue orders its jobs, D10 splits a fleet between queues) with the
  same priority at the same time (UpdateJob may change it: ``job_updates``). For each such
  *group* (queue, priority), a job *waits* while it has at least one READY task and the
  priority; its *contended time* is the time it waits while another job of its group waits
  too; its *worker time* is the busy worker-seconds spent on it during its contended time
  (each task run from its assignment to its end, the end of the run while going on, and the
  envExits that close its sessions). Its *mean workers* is worker time over contended time;
  its *share* is its mean workers over the sum of its group's. Jain's index of the group is
  ``(sum x)^2 / (n * sum x^2)`` over the mean workers ``x`` of its ``n`` jobs with contended
  time: 1 when each got the same number of workers while they competed, ``1/n`` when one got
  them all.

Everything here reads the tables with numpy (pandas is not imported: the tables are given),
after the run; sums are exact (:func:`math.fsum`) or taken in a fixed sorted order, so the same
tables give the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from farmsim._progress import hms

if TYPE_CHECKING:
    import pandas as pd

    from farmsim.record.base import BaseResult

__all__ = ["MAX_DISTINCT", "QUARTERS", "Group", "competition", "headlines", "priority_bands",
           "summary"]

#: A run with at most this many distinct job priorities has a band per priority.
MAX_DISTINCT = 8
#: The bands of a run with more distinct priorities: (lowest, highest) priority of each.
QUARTERS = ((0, 24), (25, 49), (50, 74), (75, 100))


def priority_bands(priority: np.ndarray, among: np.ndarray | None = None
                   ) -> tuple[np.ndarray, list[str]]:
    """The band number of each of ``priority``, and the bands' labels in priority order.

    The bands are chosen from the priorities ``among`` (the run's jobs'; default ``priority``
    itself): one per distinct priority when there are at most :data:`MAX_DISTINCT`, else the
    :data:`QUARTERS` that hold one of them. Labels are ``"50"`` or ``"50-74"``."""
    priority = np.asarray(priority, dtype=np.int64)
    pool = priority if among is None else np.concatenate(
        [np.asarray(among, dtype=np.int64), priority])
    distinct = np.unique(pool)
    if len(distinct) <= MAX_DISTINCT:
        return np.searchsorted(distinct, priority), [str(p) for p in distinct.tolist()]
    quarter = np.minimum(np.maximum(priority, 0) // 25, len(QUARTERS) - 1)
    present = np.unique(np.minimum(np.maximum(distinct, 0) // 25, len(QUARTERS) - 1))
    labels = [f"{QUARTERS[q][0]}-{QUARTERS[q][1]}" for q in present.tolist()]
    return np.searchsorted(present, quarter), labels


@dataclass(frozen=True)
class Group:
    """Jobs of one queue and priority that competed for workers (see the module's definitions).

    Attributes:
        queue: the queue's displayName.
        priority: the jobs' priority while they competed.
        contended_s: the time at least two of the group's jobs waited at once.
        job_ids, jobs: the jobs with contended time (ids and names), in submission order.
        waited_s: each job's contended time.
        worker_s: each job's busy worker-seconds during its contended time.
    """

    queue: str
    priority: int
    contended_s: float
    job_ids: tuple[str, ...]
    jobs: tuple[str, ...]
    waited_s: np.ndarray
    worker_s: np.ndarray

    @property
    def mean_workers(self) -> np.ndarray:
        """Each job's workers on average while it competed (worker over contended time)."""
        out: np.ndarray = self.worker_s / self.waited_s
        return out

    @property
    def shares(self) -> np.ndarray | None:
        """Each job's mean workers over the group's sum (None: no worker went to any)."""
        x = self.mean_workers
        total = math.fsum(x.tolist())
        if total <= 0:
            return None
        out: np.ndarray = x / total
        return out

    @property
    def jain(self) -> float | None:
        """Jain's fairness index of the jobs' mean workers (None: no worker went to any)."""
        x = self.mean_workers.tolist()
        squares = math.fsum(v * v for v in x)
        if squares <= 0:
            return None
        return math.fsum(x) ** 2 / (len(x) * squares)


def summary(result: BaseResult) -> dict[str, Any]:
    """The ``fairness`` section of the summary of ``result`` (the module's definitions):
    ``priority_bands`` (``distinct`` or ``quarters``), ``task_wait_s`` and
    ``job_turnaround_s`` each ``by_priority`` (band label) and ``by_queue`` (displayName),
    ``longest_wait`` (or None: no task waited), ``tasks_ready_at_end`` and ``worker_share``
    (per queue, per priority: ``jobs``, ``contended_s``, ``worker_s``, ``jain``, ``min_share``,
    ``max_share``, ``least_served_job_id`` and ``least_served_job``: the first, in submission
    order, of the jobs with the least share)."""
    t = _Tables(result)
    band, labels = priority_bands(t.priority, t.priority)
    runs = result.task_runs
    run_job = t.rows(runs["job_id"])
    waits = (runs["assigned_at"] - runs["ready_at"]).to_numpy(np.float64)
    jobs = result.jobs
    succeeded = (jobs["task_run_status"] == "SUCCEEDED").to_numpy(bool)
    turnaround = (jobs["ended_at"] - jobs["submitted_at"]).to_numpy(np.float64)
    turnaround = np.where(succeeded, turnaround, np.nan)
    job_rows = np.arange(len(jobs))
    queues_present = sorted(set(t.queue.tolist()))
    shares: dict[str, Any] = {}
    for group in competition(result, t):
        x = group.shares
        least = int(np.argmin(x)) if x is not None else None
        shares.setdefault(group.queue, {})[str(group.priority)] = {
            "jobs": len(group.job_ids),
            "contended_s": group.contended_s,
            "worker_s": math.fsum(group.worker_s.tolist()),
            "jain": group.jain,
            "min_share": float(x[least]) if x is not None and least is not None else None,
            "max_share": float(x.max()) if x is not None else None,
            "least_served_job_id": group.job_ids[least] if least is not None else None,
            "least_served_job": group.jobs[least] if least is not None else None,
        }
    longest, still_ready = _longest_wait(result, t, run_job, waits)
    return {
        "priority_bands": "distinct" if len(np.unique(t.priority)) <= MAX_DISTINCT
        else "quarters",
        "task_wait_s": {
            "by_priority": {label: _stats(waits[band[run_job] == b])
                            for b, label in enumerate(labels)},
            "by_queue": {t.queue_names[q]: _stats(waits[t.queue[run_job] == q])
                         for q in queues_present},
        },
        "job_turnaround_s": {
            "by_priority": {label: _stats(turnaround[band[job_rows] == b])
                            for b, label in enumerate(labels)},
            "by_queue": {t.queue_names[q]: _stats(turnaround[t.queue == q])
                         for q in queues_present},
        },
        "longest_wait": longest,
        "tasks_ready_at_end": still_ready,
        "worker_share": shares,
    }


def competition(result: BaseResult, tables: _Tables | None = None) -> list[Group]:
    """The groups of jobs of equal priority in one queue that competed for workers (at least
    two of them waited at once), ordered by queue (as the ``jobs`` table's categories) and
    priority; each lists its jobs with contended time in submission order."""
    t = tables if tables is not None else _Tables(result)
    lanes = t.waiting_pieces()
    if lanes is None:
        return []
    p_job, p_group, p_start, p_stop, group_queue, group_priority = lanes
    # Each group's count of waiting jobs over time: its segments between the distinct times
    # at which a job of it starts or stops waiting, and the measure of contention before each.
    g_key = np.concatenate([p_group, p_group])
    g_time = np.concatenate([p_start, p_stop])
    g_delta = np.concatenate([np.ones(len(p_group), np.int64), -np.ones(len(p_group), np.int64)])
    g_key, g_time, g_delta = _aggregate(g_key, g_time, g_delta)
    count = _cumsum_by(g_key, g_delta)
    last = np.r_[g_key[1:] != g_key[:-1], True]
    length = np.where(last, 0.0, np.r_[g_time[1:], 0.0] - g_time)
    contended = np.where(count >= 2, length, 0.0)
    before = _cumsum_by(g_key, contended) - contended  # (sequential sums: a fixed order)
    n_groups = len(group_queue)
    group_contended = _sums_by(g_key, contended, n_groups)

    def measure(group: np.ndarray, time: np.ndarray) -> np.ndarray:
        """The contended time of ``group`` up to ``time``."""
        m = _last_at_or_before(g_key, g_time, group, time)
        found = m >= 0
        safe = np.where(found, m, 0)
        value = before[safe] + np.where(count[safe] >= 2, time - g_time[safe], 0.0)
        out: np.ndarray = np.where(found, value, 0.0)
        return out

    # Lanes: one per (job, group); each job's pieces of waiting in it, with the contended time
    # of each piece and before it in the lane.
    lane_key = p_job * n_groups + p_group
    lane_keys, lane = np.unique(lane_key, return_inverse=True)
    order = np.lexsort((p_start, lane))
    lane, p_group, p_start, p_stop = lane[order], p_group[order], p_start[order], p_stop[order]
    at_start, at_stop = measure(p_group, p_start), measure(p_group, p_stop)
    piece = at_stop - at_start
    piece_before = _cumsum_by(lane, piece) - piece
    n_lanes = len(lane_keys)
    waited = _sums_by(lane, piece, n_lanes)
    lane_job, lane_group = np.divmod(lane_keys, n_groups)

    def phi(which: np.ndarray, time: np.ndarray) -> np.ndarray:
        """The contended waiting time of lane ``which`` up to ``time``."""
        k = _last_at_or_before(lane, p_start, which, time)
        found = k >= 0
        safe = np.where(found, k, 0)
        reached = at_stop[safe]
        inside = found & (time < p_stop[safe])  # (else the whole piece counts)
        reached[inside] = measure(p_group[safe[inside]], time[inside])
        out: np.ndarray = np.where(found, piece_before[safe] + reached - at_start[safe], 0.0)
        return out

    # Busy intervals of each job, repeated for each of its lanes.
    b_job, b_start, b_stop = t.busy_intervals()
    first = np.searchsorted(lane_job, b_job, side="left")
    n_of = np.searchsorted(lane_job, b_job, side="right") - first
    which = np.repeat(first, n_of) + (np.arange(int(n_of.sum()))
                                      - np.repeat(np.cumsum(n_of) - n_of, n_of))
    q_start, q_stop = np.repeat(b_start, n_of), np.repeat(b_stop, n_of)
    worker = _sums_by(which, phi(which, q_stop) - phi(which, q_start), n_lanes)

    groups = []
    competing = waited > 0
    submitted = t.submit_order
    for g in range(n_groups):
        mine = np.flatnonzero(competing & (lane_group == g))
        if len(mine) < 2 or group_contended[g] <= 0:
            continue
        mine = mine[np.argsort(submitted[lane_job[mine]], kind="stable")]
        rows = lane_job[mine]
        groups.append(Group(
            queue=t.queue_names[int(group_queue[g])], priority=int(group_priority[g]),
            contended_s=float(group_contended[g]),
            job_ids=tuple(t.job_ids[r] for r in rows.tolist()),
            jobs=tuple(t.job_names[r] for r in rows.tolist()),
            waited_s=waited[mine], worker_s=worker[mine]))
    return groups


def headlines(fairness: dict[str, Any]) -> list[tuple[str, str]]:
    """The lines ``farmsim run`` prints (and the report's summary shows) of a summary's
    ``fairness`` section, as (label, text): the longest wait, and the lowest Jain's index of a
    group of jobs of equal priority."""
    lines = []
    longest = fairness.get("longest_wait")
    if longest:
        where = ", ".join(part for part in (
            f"queue {longest['queue']}" if longest.get("queue") is not None else "",
            f"priority {longest['priority']}" if longest.get("priority") is not None else "")
            if part)
        text = (f"{hms(longest['wait_s'])}: {longest['task_id']} of job {longest.get('job')}"
                + (f" ({where})" if where else ""))
        if longest.get("assigned_at") is None:
            text += ", still READY at the end"
        lines.append(("longest wait", text))
    groups = [(queue, priority, group) for queue, by in fairness.get("worker_share", {}).items()
              for priority, group in by.items() if group.get("jain") is not None]
    if groups:
        queue, priority, group = min(groups, key=lambda g: g[2]["jain"])
        lines.append(("fairness", (
            f"Jain's index {group['jain']:.2f} (queue {queue}, priority {priority}: "
            f"{group['jobs']} jobs competed for {hms(group['contended_s'])})"
            + (f", the lowest of {len(groups)} groups" if len(groups) > 1 else ""))))
    else:
        lines.append(("fairness", "no two jobs of equal priority in a queue waited at once"))
    return lines


# ---------------------------------------------------------------------------- the tables


class _Tables:
    """What the computations read from a result's tables, as numpy arrays (jobs by row)."""

    def __init__(self, result: BaseResult) -> None:
        self.result = result
        jobs = result.jobs
        self.end = float(result.catalog.end_time)
        ids = jobs["job_id"]
        self._job_categories = ids.cat.categories
        self._row_of = np.full(len(self._job_categories), -1, dtype=np.int64)
        self._row_of[ids.cat.codes.to_numpy()] = np.arange(len(jobs))
        self.job_ids = [str(j) for j in ids.astype(str).tolist()] if len(jobs) else []
        self.job_names = [str(n) for n in jobs["name"].tolist()]
        self.priority = jobs["priority"].to_numpy(np.int64)
        queue = jobs["queue"]
        self.queue = queue.cat.codes.to_numpy().astype(np.int64)
        self.queue_names = [str(q) for q in queue.cat.categories]
        # Submission order: the time, then the row (jobs are in the order created).
        self.submit_order = np.empty(len(jobs), dtype=np.int64)
        self.submit_order[np.lexsort((np.arange(len(jobs)),
                                      jobs["submitted_at"].to_numpy(np.float64)))] = \
            np.arange(len(jobs))
        self._ready: tuple[np.ndarray, ...] | None = None

    def rows(self, column: pd.Series) -> np.ndarray:
        """The ``jobs`` row of each value of a job id column (-1: missing)."""
        codes = column.cat.codes.to_numpy().astype(np.int64)
        categories = column.cat.categories
        if categories is self._job_categories or categories.equals(self._job_categories):
            lookup = self._row_of
        else:
            found = self._job_categories.get_indexer(categories)
            lookup = np.where(found >= 0, self._row_of[found], -1)
        rows: np.ndarray = np.where(codes >= 0, lookup[np.maximum(codes, 0)], -1)
        return rows

    def ready_changes(self) -> tuple[np.ndarray, ...]:
        """From ``task_events``: each change of a task into READY or out of it (time, job row,
        +1 or -1), and the tasks READY at the end (the event row of the change that made each
        READY, sorted)."""
        if self._ready is None:
            ev = self.result.task_events
            time = ev["time"].to_numpy(np.float64)
            task = ev["task_id"].cat.codes.to_numpy().astype(np.int64)
            ready = (ev["status"] == "READY").to_numpy(bool)
            job = self.rows(ev["job_id"])
            order = np.argsort(task, kind="stable")  # each task's changes, in time order
            ts, rs = task[order], ready[order]
            new_task = np.r_[True, ts[1:] != ts[:-1]] if len(ts) else np.empty(0, bool)
            was = np.r_[False, rs[:-1]] & ~new_task if len(ts) else np.empty(0, bool)
            enter, leave = rs & ~was, ~rs & was
            last = np.r_[ts[1:] != ts[:-1], True] if len(ts) else np.empty(0, bool)
            latest = np.maximum.accumulate(np.where(enter, np.arange(len(ts)), -1)) \
                if len(ts) else np.empty(0, np.int64)
            still = np.sort(order[latest[rs & last]])
            change = order[enter | leave]
            delta = np.where(enter[enter | leave], 1, -1).astype(np.int64)
            self._ready = (time[change], job[change], delta, still)
        return self._ready

    def priority_changes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each job's priority changes (UpdateJob) as (job row, time, new value), sorted by job
        then time (then the order made), and each job's priority at creation."""
        u = self.result.job_updates
        initial = self.priority.copy()
        pick = (u["setting"] == "priority").to_numpy(bool)
        if not pick.any():
            empty = np.empty(0, np.int64)
            return empty, np.empty(0, np.float64), empty, initial
        u = u[pick]
        job = self.rows(u["job_id"])
        time = u["time"].to_numpy(np.float64)
        value = u["value"].to_numpy(np.int64)
        previous = u["previous"].to_numpy(np.int64)
        order = np.lexsort((np.arange(len(job)), time, job))
        job, time, value, previous = job[order], time[order], value[order], previous[order]
        first = np.r_[True, job[1:] != job[:-1]]
        initial[job[first]] = previous[first]
        return job, time, value, initial

    def waiting_pieces(self) -> tuple[np.ndarray, ...] | None:
        """Every stretch of time a job waits (has READY tasks) at one priority: (job row,
        group, start, stop) with the groups' queue and priority; None when no job waits."""
        time, job, delta, _ = self.ready_changes()
        u_job, u_time, u_value, initial = self.priority_changes()
        keep = job >= 0
        key = np.concatenate([job[keep], u_job])
        at = np.concatenate([time[keep], u_time])
        step = np.concatenate([delta[keep], np.zeros(len(u_job), np.int64)])
        if not len(key):
            return None
        key, at, step = _aggregate(key, at, step)
        count = _cumsum_by(key, step)
        last = np.r_[key[1:] != key[:-1], True]
        stop = np.where(last, max(self.end, float(at.max())), np.r_[at[1:], 0.0])
        found = _last_at_or_before(u_job, u_time, key, at)
        priority = initial[key]
        if len(u_job):
            priority = np.where(found >= 0, u_value[np.maximum(found, 0)], priority)
        waiting = (count > 0) & (stop > at)
        key, at, stop, priority = key[waiting], at[waiting], stop[waiting], priority[waiting]
        if not len(key):
            return None
        pairs = np.stack([self.queue[key], priority], axis=1)
        groups, group = np.unique(pairs, axis=0, return_inverse=True)
        return key, group.reshape(-1), at, stop, groups[:, 0], groups[:, 1]

    def busy_intervals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The time workers spent on each job: (job row, start, stop) of every task run (from
        its assignment to its end, or the end of the run) and every envExit that closed a
        session (after its last taskRun), sorted by job."""
        runs = self.result.task_runs
        r_job = self.rows(runs["job_id"])
        r_start = runs["assigned_at"].to_numpy(np.float64)
        r_stop = runs["ended_at"].to_numpy(np.float64)
        r_stop = np.where(np.isnan(r_stop), self.end, r_stop)
        a = self.result.session_actions
        action = a["action"].to_numpy(dtype=object) if len(a) else np.empty(0, object)
        exits = action == "envExit"
        if exits.any():
            session = a["session_id"].cat.codes.to_numpy().astype(np.int64)
            row = np.arange(len(a))
            last_run = np.full(int(session.max()) + 2, -1, dtype=np.int64)
            runs_at = (action == "taskRun") & (session >= 0)
            np.maximum.at(last_run, session[runs_at], row[runs_at])
            teardown = exits & (session >= 0) & (row > last_run[session])
            e_job = self.rows(a["job_id"])[teardown]
            e_start = a["started_at"].to_numpy(np.float64)[teardown]
            e_stop = a["ended_at"].to_numpy(np.float64)[teardown]
            e_stop = np.where(np.isnan(e_stop), self.end, e_stop)
            begun = ~np.isnan(e_start)
            e_job, e_start, e_stop = e_job[begun], e_start[begun], e_stop[begun]
        else:
            e_job = np.empty(0, np.int64)
            e_start = e_stop = np.empty(0, np.float64)
        job = np.concatenate([r_job, e_job])
        start = np.concatenate([r_start, e_start])
        stop = np.concatenate([r_stop, e_stop])
        keep = (job >= 0) & (stop > start)
        job, start, stop = job[keep], start[keep], stop[keep]
        order = np.lexsort((stop, start, job))
        return job[order], start[order], stop[order]


def _longest_wait(result: BaseResult, t: _Tables, run_job: np.ndarray, waits: np.ndarray
                  ) -> tuple[dict[str, Any] | None, int]:
    """The longest wait of a run or of a task still READY at the end, and how many tasks
    were READY at the end."""
    _, _, _, still = t.ready_changes()
    ev = result.task_events
    ready_at = ev["time"].to_numpy(np.float64)[still]
    candidates = np.concatenate([np.where(np.isnan(waits), -np.inf, waits), t.end - ready_at])
    if not len(candidates) or not np.isfinite(candidates.max()):
        return None, len(still)
    i = int(np.argmax(candidates))  # (the first of equals: runs in table order, then tasks)
    runs = result.task_runs
    if i < len(waits):
        task = str(runs["task_id"].iloc[i])
        job = int(run_job[i])
        since = float(runs["ready_at"].iloc[i])
        assigned: float | None = float(runs["assigned_at"].iloc[i])
    else:
        row = int(still[i - len(waits)])
        task = str(ev["task_id"].iloc[row])
        job = int(t.rows(ev["job_id"].iloc[row:row + 1])[0])
        since = float(ready_at[i - len(waits)])
        assigned = None
    return {
        "wait_s": float(candidates[i]),
        "task_id": task,
        "job_id": t.job_ids[job] if job >= 0 else None,
        "job": t.job_names[job] if job >= 0 else None,
        "queue": t.queue_names[int(t.queue[job])] if job >= 0 else None,
        "priority": int(t.priority[job]) if job >= 0 else None,
        "ready_at": since,
        "assigned_at": assigned,
        "still_ready": assigned is None,
    }, len(still)


# ---------------------------------------------------------------------------- helpers


def _stats(values: np.ndarray) -> dict[str, Any]:
    """mean (an exact sum), p50, p95, p99 and count of the values that are not NaN."""
    values = values[~np.isnan(values)]
    if not len(values):
        return {"mean": None, "p50": None, "p95": None, "p99": None, "count": 0}
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"mean": math.fsum(values.tolist()) / len(values), "p50": float(p50),
            "p95": float(p95), "p99": float(p99), "count": len(values)}


def _aggregate(key: np.ndarray, time: np.ndarray, delta: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sum of ``delta`` per distinct (key, time), sorted by key then time."""
    order = np.lexsort((time, key))
    key, time, delta = key[order], time[order], delta[order]
    new = np.r_[True, (key[1:] != key[:-1]) | (time[1:] != time[:-1])]
    starts = np.flatnonzero(new)
    return key[starts], time[starts], np.add.reduceat(delta, starts)


def _cumsum_by(key: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The running sum of ``values`` within each run of equal (sorted) ``key``, from its first
    value (sequential sums: the same order every time)."""
    if not len(key):
        return values.copy()
    total = np.cumsum(values)
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    offset = np.repeat(total[first] - values[first], np.diff(np.r_[first, len(key)]))
    result: np.ndarray = total - offset
    return result


def _sums_by(keys: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """The exact sum (math.fsum) of ``values`` for each key 0..n-1."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n + 1))
    ordered = values[order].tolist()
    return np.array([math.fsum(ordered[lo:hi]) for lo, hi in pairwise(bounds.tolist())],
                    dtype=np.float64)


def _last_at_or_before(a_key: np.ndarray, a_time: np.ndarray, q_key: np.ndarray,
                       q_time: np.ndarray) -> np.ndarray:
    """For each query (key, time): the index of the last entry of ``a`` (sorted by key, then
    time) with the same key and a time at or before it; -1 when there is none."""
    n_a = len(a_key)
    if not n_a or not len(q_key):
        return np.full(len(q_key), -1, dtype=np.int64)
    key = np.concatenate([a_key, q_key])
    time = np.concatenate([a_time, q_time])
    kind = np.concatenate([np.zeros(n_a, np.int8), np.ones(len(q_key), np.int8)])
    order = np.lexsort((kind, time, key))
    latest = np.maximum.accumulate(np.where(order < n_a, order, -1))
    queries = order >= n_a
    found = np.empty(len(q_key), dtype=np.int64)
    found[order[queries] - n_a] = latest[queries]
    same = found >= 0
    same[same] = a_key[found[same]] == q_key[same]
    out: np.ndarray = np.where(same, found, -1)
    return out
