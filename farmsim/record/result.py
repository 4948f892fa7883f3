"""The result of a run: DataFrames built once from the columnar records, a summary, files.

Tables (architecture 4.3): ``jobs``, ``task_runs``, ``task_events``, ``workers``,
``limit_usage``. Times are float seconds since t=0; ids are the API's. Each table is built on
first access and cached.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from farmsim.model.enums import TASK_STATUSES, TaskRunStatus, WorkerStatus
from farmsim.record.recorder import (
    EVENT_COLUMNS,
    LIMIT_COLUMNS,
    RUN_COLUMNS,
    RUN_OPEN,
    RUN_STATUSES,
    WORKER_COLUMNS,
    Recorder,
)
from farmsim.record.ids import make_id

__all__ = ["Catalog", "Result", "TABLES"]

#: Table names, in the order they are written.
TABLES = ("jobs", "steps", "task_runs", "task_events", "workers", "limit_usage")

_TASK_STATUS_NAMES = np.array([s.value for s in TASK_STATUSES], dtype=object)
_RUN_STATUS_NAMES = np.array(RUN_STATUSES, dtype=object)
_WORKER_STATUS_NAMES = np.array([s.value for s in WorkerStatus], dtype=object)
_RUNNING_CODE = TASK_STATUSES.index(TaskRunStatus.RUNNING)
_ASSIGNED_CODE = TASK_STATUSES.index(TaskRunStatus.ASSIGNED)


@dataclass(kw_only=True)
class Catalog:
    """What the records' integer codes refer to: names, ids, costs, per-job outcomes.

    The engine fills it at the end of a run; everything is plain data.
    """

    name: str
    seed: int
    start: str | None
    end_time: float
    farm_id: str
    queue_names: list[str]
    queue_ids: np.ndarray
    fleet_names: list[str]
    fleet_ids: np.ndarray
    fleet_cost_per_hour: list[float]
    limit_names: list[str]
    limit_ids: np.ndarray
    limit_max: list[int]
    limit_cost_per_hour: list[float]
    limit_area: list[float]
    limit_blocked_area: list[float]
    limit_peak: list[int]
    worker_ids: np.ndarray
    worker_fleet: np.ndarray
    session_ids_seed: int
    jobs: dict[str, Any]
    step_job: np.ndarray
    step_ids: np.ndarray
    step_hex: np.ndarray
    step_acquired_limits: np.ndarray
    step_names: np.ndarray
    step_index: np.ndarray
    step_tasks: np.ndarray
    step_dependencies: list[tuple[int, ...]]
    open_runs: list[tuple[float, ...]] = field(default_factory=list)


class Result:
    """Tables and metrics of one run.

    Attributes:
        catalog: names, ids and outcomes the tables refer to.
    """

    def __init__(self, catalog: Catalog, recorder: Recorder) -> None:
        self.catalog = catalog
        runs = Recorder.matrix(recorder.runs, RUN_COLUMNS)
        if catalog.open_runs:
            runs = np.vstack([runs, np.asarray(catalog.open_runs, dtype=np.float64)])
        self._runs = runs
        self._events = Recorder.matrix(recorder.task_events, EVENT_COLUMNS)
        self._worker_events = Recorder.matrix(recorder.worker_events, WORKER_COLUMNS)
        self._limit_events = Recorder.matrix(recorder.limit_events, LIMIT_COLUMNS)

    # ------------------------------------------------------------------ tables

    @cached_property
    def jobs(self) -> pd.DataFrame:
        """One row per job."""
        c = self.catalog
        j = c.jobs
        frame = pd.DataFrame({
            "job_id": j["job_id"],
            "name": j["name"],
            "queue_id": c.queue_ids[j["queue"]] if len(j["queue"]) else [],
            "queue": np.asarray(c.queue_names, dtype=object)[j["queue"]] if len(j["queue"]) else [],
            "priority": j["priority"],
            "max_worker_count": j["max_worker_count"],
            "submitted_at": j["submitted_at"],
            "started_at": j["started_at"],
            "ended_at": j["ended_at"],
            "task_run_status": j["task_run_status"],
            "tasks": j["tasks"],
            "succeeded": j["succeeded"],
            "failed": j["failed"],
            "canceled": j["canceled"],
            "task_failure_retry_count": j["retries"],
        })
        return frame

    @cached_property
    def steps(self) -> pd.DataFrame:
        """One row per step of every job: its tasks, dependencies and the limits each of its
        task runs acquires."""
        c = self.catalog
        return pd.DataFrame({
            "step_id": c.step_ids,
            "job_id": c.jobs["job_id"][c.step_job] if len(c.step_job) else [],
            "name": c.step_names,
            "index": c.step_index,
            "tasks": c.step_tasks,
            "depends_on": [[str(c.step_ids[d]) for d in deps] for deps in c.step_dependencies],
            "required_limits": c.step_acquired_limits,
        })

    @cached_property
    def task_runs(self) -> pd.DataFrame:
        """One row per task run attempt."""
        c = self.catalog
        r = self._runs
        job = r[:, 0].astype(np.int64)
        step = r[:, 1].astype(np.int64)
        task = r[:, 2].astype(np.int64)
        worker = r[:, 3].astype(np.int64)
        session = r[:, 4].astype(np.int64)
        queue = c.jobs["queue"][job] if len(job) else np.empty(0, dtype=np.int64)
        fleet = c.worker_fleet[worker] if len(worker) else np.empty(0, dtype=np.int64)
        return pd.DataFrame({
            "job_id": c.jobs["job_id"][job],
            "step_id": c.step_ids[step],
            "task_id": _task_ids(c.step_hex, step, task),
            "session_id": _session_ids(c.session_ids_seed, session),
            "worker_id": c.worker_ids[worker],
            "fleet_id": c.fleet_ids[fleet],
            "queue_id": c.queue_ids[queue],
            "attempt": r[:, 5].astype(np.int64),
            "ready_at": r[:, 6],
            "assigned_at": r[:, 7],
            "started_at": r[:, 8],
            "ended_at": r[:, 9],
            "status": _RUN_STATUS_NAMES[r[:, 10].astype(np.int64)],
            "acquired_limits": c.step_acquired_limits[step],
        })

    @cached_property
    def task_events(self) -> pd.DataFrame:
        """One row per task status change, in time order."""
        c = self.catalog
        r = self._runs
        e = self._events
        # Bulk rows cover task ranges [lo, hi) of a step: expand them.
        lo = e[:, 2].astype(np.int64)
        hi = e[:, 3].astype(np.int64)
        counts = hi - lo
        rows = np.repeat(np.arange(len(e)), counts)
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        bulk_task = lo[rows] + (np.arange(counts.sum()) - starts)
        bulk_step = e[rows, 1].astype(np.int64)
        parts = [
            # (time, rank, step, task, status, worker): rank orders changes at the same time:
            # a run's end, then bulk changes, then assignment, then start.
            (e[rows, 0], 1, bulk_step, bulk_task, e[rows, 4].astype(np.int64),
             np.full(len(rows), -1)),
        ]
        step = r[:, 1].astype(np.int64)
        task = r[:, 2].astype(np.int64)
        worker = r[:, 3].astype(np.int64)
        parts.append((r[:, 7], 2, step, task, np.full(len(r), _ASSIGNED_CODE), worker))
        parts.append((r[:, 8], 3, step, task, np.full(len(r), _RUNNING_CODE), worker))
        ended = r[:, 10].astype(np.int64) != RUN_OPEN
        parts.append((r[ended, 9], 0, step[ended], task[ended], r[ended, 11].astype(np.int64),
                      worker[ended]))
        time = np.concatenate([p[0] for p in parts])
        rank = np.concatenate([np.full(len(p[0]), p[1]) for p in parts])
        step_all = np.concatenate([p[2] for p in parts])
        task_all = np.concatenate([p[3] for p in parts])
        status = np.concatenate([p[4] for p in parts])
        worker_all = np.concatenate([p[5] for p in parts])
        order = np.lexsort((rank, time))
        step_all, task_all, worker_all = step_all[order], task_all[order], worker_all[order]
        worker_ids = np.append(c.worker_ids, None)  # -1 -> None
        return pd.DataFrame({
            "time": time[order],
            "job_id": c.jobs["job_id"][c.step_job[step_all]] if len(step_all) else [],
            "step_id": c.step_ids[step_all],
            "task_id": _task_ids(c.step_hex, step_all, task_all),
            "status": _TASK_STATUS_NAMES[status[order]],
            "worker_id": worker_ids[worker_all],
        })

    @cached_property
    def workers(self) -> pd.DataFrame:
        """One row per worker status change."""
        c = self.catalog
        w = self._worker_events
        worker = w[:, 1].astype(np.int64)
        return pd.DataFrame({
            "time": w[:, 0],
            "worker_id": c.worker_ids[worker],
            "fleet_id": c.fleet_ids[c.worker_fleet[worker]] if len(worker) else [],
            "status": _WORKER_STATUS_NAMES[w[:, 2].astype(np.int64)],
        })

    @cached_property
    def limit_usage(self) -> pd.DataFrame:
        """One row per change of a limit's count."""
        c = self.catalog
        u = self._limit_events
        return pd.DataFrame({
            "time": u[:, 0],
            "limit_id": c.limit_ids[u[:, 1].astype(np.int64)],
            "current_count": u[:, 2].astype(np.int64),
            "max_count": u[:, 3].astype(np.int64),
        })

    # ------------------------------------------------------------------ metrics

    def summary(self) -> dict[str, Any]:
        """Headline metrics; the same keys as ``summary.json``.

        ``task_wait_s`` is a run's assignment time minus the time its task became READY;
        ``job_turnaround_s`` covers jobs that SUCCEEDED (end minus submission). ``makespan_s``
        runs from the first submission to the end of the last job, and is None while a job is
        unfinished. License cost is ``maxCount`` units for the whole run at ``cost_per_hour``
        (units in use, for an unlimited limit).
        """
        c = self.catalog
        j = c.jobs
        r = self._runs
        status = np.asarray(j["task_run_status"], dtype=object)
        ended = ~np.isnan(j["ended_at"])
        hours = c.end_time / 3600.0
        started = r[:, 8]
        finished = np.where(np.isnan(r[:, 9]), c.end_time, r[:, 9])
        busy_hours = float(np.sum(finished - started)) / 3600.0
        worker_fleet = c.worker_fleet
        fleet_workers = np.bincount(worker_fleet, minlength=len(c.fleet_names))
        worker_hours = float(len(worker_fleet) * hours)
        worker_cost = float(sum(n * hours * cost
                                for n, cost in zip(fleet_workers, c.fleet_cost_per_hour)))
        limits: dict[str, Any] = {}
        license_cost = 0.0
        for i, name in enumerate(c.limit_names):
            mean_in_use = c.limit_area[i] / c.end_time if c.end_time > 0 else 0.0
            max_count = c.limit_max[i]
            units = max_count if max_count > 0 else mean_in_use
            license_cost += units * hours * c.limit_cost_per_hour[i]
            limits[name] = {
                "limit_id": str(c.limit_ids[i]),
                "max_count": max_count,
                "peak": c.limit_peak[i],
                "mean_in_use": mean_in_use,
                "utilization": mean_in_use / max_count if max_count > 0 else None,
                "blocked_task_hours": c.limit_blocked_area[i] / 3600.0,
            }
        succeeded = status == TaskRunStatus.SUCCEEDED.value
        return {
            "scenario": c.name,
            "seed": c.seed,
            "simulated_s": c.end_time,
            "makespan_s": (float(np.max(j["ended_at"]) - np.min(j["submitted_at"]))
                           if len(status) and ended.all() else None),
            "jobs": {
                "submitted": int(len(status)),
                "succeeded": int(np.sum(succeeded)),
                "failed": int(np.sum(status == "FAILED")),
                "canceled": int(np.sum(status == "CANCELED")),
                "suspended": int(np.sum(status == "SUSPENDED")),
                "not_compatible": int(np.sum(status == "NOT_COMPATIBLE")),
                "unfinished": int(np.sum(~ended)),
            },
            "tasks": int(np.sum(j["tasks"])) if len(status) else 0,
            "task_runs": int(len(r)),
            "task_wait_s": _stats(r[:, 7] - r[:, 6]),
            "job_turnaround_s": _stats((j["ended_at"] - j["submitted_at"])[succeeded]),
            "worker_hours": worker_hours,
            "worker_utilization": busy_hours / worker_hours if worker_hours > 0 else None,
            "cost_usd": {
                "workers": worker_cost,
                "licenses": license_cost,
                "total": worker_cost + license_cost,
            },
            "limits": limits,
        }

    # ------------------------------------------------------------------ files

    def save(self, directory: str | Path, *, format: str = "parquet") -> Path:
        """Write every table (Parquet, or CSV with ``format="csv"``) and ``summary.json``.

        Returns the directory.
        """
        if format not in ("parquet", "csv"):
            raise ValueError(f"format must be 'parquet' or 'csv' (got {format!r})")
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            frame: pd.DataFrame = getattr(self, name)
            if format == "parquet":
                frame.to_parquet(out / f"{name}.parquet", index=False)
            else:
                frame.to_csv(out / f"{name}.csv", index=False)
        (out / "summary.json").write_text(json.dumps(self.summary(), indent=2) + "\n")
        return out


def _stats(values: np.ndarray) -> dict[str, float | None]:
    values = values[~np.isnan(values)]
    if not len(values):
        return {"mean": None, "p50": None, "p95": None, "p99": None}
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"mean": float(values.mean()), "p50": float(p50), "p95": float(p95),
            "p99": float(p99)}


def _task_ids(step_hex: np.ndarray, step: np.ndarray, task: np.ndarray) -> pd.Series:
    """``task-<step hex>-<n>`` for each (step, task) pair, vectorised."""
    if not len(step):
        return pd.Series([], dtype=object)
    return ("task-" + pd.Series(step_hex[step], copy=False) + "-"
            + pd.Series(task, copy=False).astype(str))


def _session_ids(seed: int, session: np.ndarray) -> np.ndarray:
    unique, inverse = np.unique(session, return_inverse=True)
    ids = np.array([make_id("session", seed, int(s)) for s in unique], dtype=object)
    return ids[inverse] if len(session) else np.empty(0, dtype=object)
