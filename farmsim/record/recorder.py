"""Columnar record buffers, filled by the engine with primitives.

Each buffer is one flat ``array('d')`` that the engine extends with a fixed-width tuple of numbers
per record (one call per record: the cheapest way to append a row from Python). They become numpy
matrices, then DataFrames, once, at the end (:mod:`farmsim.record.result`). Nothing here imports
the engine.
"""

from __future__ import annotations

from array import array

import numpy as np

from farmsim.model.enums import CompletedStatus

__all__ = [
    "EVENT_COLUMNS",
    "LIMIT_COLUMNS",
    "RUN_CANCELED",
    "RUN_COLUMNS",
    "RUN_FAILED",
    "RUN_OPEN",
    "RUN_STATUSES",
    "RUN_SUCCEEDED",
    "Recorder",
    "WORKER_COLUMNS",
]

#: One row per task run attempt. ``status`` is a :data:`RUN_STATUSES` code, ``task_status`` the
#: task's TaskRunStatus code right after the run ended (READY when it will be retried).
RUN_COLUMNS = (
    "job", "step", "task", "worker", "session", "attempt", "ready_at", "assigned_at",
    "started_at", "ended_at", "status", "task_status",
)
#: Task status changes that are not a run's own: creation, dependency resolution, cancellation.
#: One row covers the tasks ``[task_lo, task_hi)`` of a step, all moving to ``status``.
EVENT_COLUMNS = ("time", "step", "task_lo", "task_hi", "status", "worker")
WORKER_COLUMNS = ("time", "worker", "status")
LIMIT_COLUMNS = ("time", "limit", "current_count", "max_count")

#: A run's completed status (the API's CompletedStatus), plus RUNNING for a run still going at
#: the end of the simulated period.
RUN_STATUSES: tuple[str, ...] = (*(s.value for s in CompletedStatus), "RUNNING")
RUN_SUCCEEDED = RUN_STATUSES.index("SUCCEEDED")
RUN_FAILED = RUN_STATUSES.index("FAILED")
RUN_INTERRUPTED = RUN_STATUSES.index("INTERRUPTED")
RUN_CANCELED = RUN_STATUSES.index("CANCELED")
RUN_NEVER_ATTEMPTED = RUN_STATUSES.index("NEVER_ATTEMPTED")
RUN_OPEN = RUN_STATUSES.index("RUNNING")


class Recorder:
    """The run's record buffers.

    Attributes:
        runs: task run rows (:data:`RUN_COLUMNS`).
        task_events: bulk task status changes (:data:`EVENT_COLUMNS`).
        worker_events: worker status changes (:data:`WORKER_COLUMNS`).
        limit_events: limit count changes (:data:`LIMIT_COLUMNS`).
    """

    __slots__ = ("runs", "task_events", "worker_events", "limit_events")

    def __init__(self) -> None:
        self.runs = array("d")
        self.task_events = array("d")
        self.worker_events = array("d")
        self.limit_events = array("d")

    @staticmethod
    def matrix(buffer: array, columns: tuple[str, ...]) -> np.ndarray:
        """The buffer as an (n, len(columns)) float64 matrix (a copy)."""
        return np.frombuffer(buffer, dtype=np.float64).reshape(-1, len(columns)).copy()
