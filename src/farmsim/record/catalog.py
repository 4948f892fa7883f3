"""What a run's record codes refer to: names, ids, costs and per-job outcomes.

Plain data (numpy only, no pandas), filled by the engine at the end of a run and read by
:class:`~farmsim.record.result.Result`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from farmsim.model.job import StepStructure

__all__ = ["Catalog"]


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
    #: Per limit: how its licenses are billed, ``owned`` or ``usage``
    #: (:data:`~farmsim.model.config.LICENSE_BILLINGS`).
    limit_billing: list[str] = field(default_factory=list)
    limit_area: list[float]
    limit_blocked_area: list[float]
    limit_peak: list[int]
    #: Per limit: (times, counts) of its usage changes, and its (time, maxCount) history.
    limit_usage: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    limit_max_history: list[list[tuple[float, int]]] = field(default_factory=list)
    worker_ids: np.ndarray
    worker_fleet: np.ndarray
    #: Per worker: when it was STARTED and STOPPED (NaN: never started, or still running).
    worker_online: np.ndarray | None = None
    worker_stopped: np.ndarray | None = None
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
    #: Each task's TaskRunStatus code at the end (a STARTING task's, whose session is still
    #: setting up, included), every step's tasks one after the other (int8).
    task_status: np.ndarray | None = None
    #: The tasks that failed and were retried (numbers over the run, as ``task_status``) and
    #: each one's failureRetryCount; every other task's is 0.
    retried_tasks: np.ndarray | None = None
    retry_counts: np.ndarray | None = None
    #: The distinct step structures (whose parameter spaces give the tasks' parameters), and
    #: each step's position in them.
    structures: list[StepStructure] = field(default_factory=list)
    step_structure: np.ndarray | None = None
    #: The chunks of each adaptive step that formed any (by step): the first frame (index into
    #: its CHUNK[INT] parameter's frames) and the number of frames of each of its tasks, the
    #: chunks formed then those its frames left need at its last chunk size.
    step_chunks: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    #: Every task run (``farmsim.record.runs.gather_runs``), in the order they ended.
    runs: np.ndarray | None = None
    #: The sessions still open at the end.
    open_sessions: np.ndarray | None = None
    #: Task events (recorder layout) of chunks an adaptive step had not formed by the end.
    extra_events: bytes = b""
    #: Environment names: of each queue, of each job (its template's), of each step.
    queue_env_names: list[tuple[str, ...]] = field(default_factory=list)
    job_env_names: list[tuple[str, ...]] = field(default_factory=list)
    step_env_names: list[tuple[str, ...]] = field(default_factory=list)
    #: Budgets (``farm.budgets``): names, ids, each one's queue (index), dollar limit, what it
    #: counted by the end, and its actions as (type, thresholdPercentage).
    budget_names: list[str] = field(default_factory=list)
    budget_ids: np.ndarray | None = None
    budget_queue: list[int] = field(default_factory=list)
    budget_limit: list[float] = field(default_factory=list)
    budget_spent: list[float] = field(default_factory=list)
    budget_actions: list[list[tuple[str, float]]] = field(default_factory=list)
    unused_rules: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
