"""The task run record: one row per task run attempt, and every way the engine keeps one.

A run is kept where it is cheapest to keep while the simulation goes, and gathered into one
table here, once, at the end:

* a task's SUCCEEDED run (most runs) in :class:`RunColumns`, one slot per task (a task succeeds
  at most once) in columns all steps share: a few array stores, no record per run, and no
  object per step (a trace of 100,000 one-task jobs makes 100,000 steps);
* every other ended run (FAILED, CANCELED, ...) as a packed record in the run log
  (:func:`pack_run`, :data:`RUN_COLUMNS`);
* a run still going when the simulation stops, described by the engine at that moment
  (:func:`open_run`).

:func:`gather_runs` turns the three into one structured array of :data:`RUN_COLUMNS`, ordered
as the runs ended (runs still going last). Nothing else reads or writes these encodings.

Every record carries sequence numbers (``assign_seq``, ``end_seq``): the order in which the
engine made its changes. Times say when; the sequence says, for changes at one instant, which
came first (a worker's previous task SUCCEEDED before its next task ASSIGNED). An assignment
and a task event take the next number; a run's end takes the number the next change will take
without using it up, and sorts before that change (runs ending between two changes are
independent of each other: their order is the order they are gathered in).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from farmsim.model.enums import TASK_STATUS_CODES, CompletedStatus, TaskRunStatus

if TYPE_CHECKING:
    from farmsim.model.state import StepState

__all__ = [
    "NO_RUN",
    "NO_SEQ",
    "RUN_CANCELED",
    "RUN_COLUMNS",
    "RUN_DTYPE",
    "RUN_FAILED",
    "RUN_INTERRUPTED",
    "RUN_NEVER_ATTEMPTED",
    "RUN_OPEN",
    "RUN_STATUSES",
    "RUN_SUCCEEDED",
    "RunColumns",
    "gather_runs",
    "open_run",
    "pack_run",
    "run_count",
]

#: One row per task run attempt. ``seq`` numbers the runs of a session from 1, ``status`` is a
#: :data:`RUN_STATUSES` code, ``task_status`` the task's TaskRunStatus code right after the run
#: ended (READY when it will be retried). ``started_at`` is NaN when the taskRun never started
#: (its session's setup failed, or it was canceled first). ``assign_seq`` and ``end_seq`` place
#: the run's assignment and end among the engine's changes (``end_seq`` :data:`NO_SEQ` while
#: it goes on).
RUN_COLUMNS = (
    "job", "step", "task", "worker", "session", "seq", "attempt", "ready_at", "assigned_at",
    "started_at", "ended_at", "assign_seq", "end_seq", "status", "task_status",
)
_RUN = struct.Struct("<7i4d2q2b")
RUN_DTYPE = np.dtype([(c, "<i4") for c in RUN_COLUMNS[:7]]
                     + [(c, "<f8") for c in RUN_COLUMNS[7:11]]
                     + [(c, "<i8") for c in RUN_COLUMNS[11:13]]
                     + [(c, "i1") for c in RUN_COLUMNS[13:]])
assert RUN_DTYPE.itemsize == _RUN.size
#: Pack one run record (positional, in :data:`RUN_COLUMNS` order).
pack_run = _RUN.pack
#: The sequence number of something that has not happened (a run's end while it goes on).
NO_SEQ = np.iinfo(np.int64).max
#: The ``worker`` of a SUCCEEDED slot whose task has no SUCCEEDED run (a user marked it
#: SUCCEEDED, or its run went to the run log when a user requeued it).
NO_RUN = -1

#: A run's completed status (the API's CompletedStatus), plus RUNNING for a run still going at
#: the end of the simulated period. Session actions use the same codes.
RUN_STATUSES: tuple[str, ...] = (*(s.value for s in CompletedStatus), "RUNNING")
RUN_SUCCEEDED = RUN_STATUSES.index("SUCCEEDED")
RUN_FAILED = RUN_STATUSES.index("FAILED")
RUN_INTERRUPTED = RUN_STATUSES.index("INTERRUPTED")
RUN_CANCELED = RUN_STATUSES.index("CANCELED")
RUN_NEVER_ATTEMPTED = RUN_STATUSES.index("NEVER_ATTEMPTED")
RUN_OPEN = RUN_STATUSES.index("RUNNING")
_SUCCEEDED_TASK = TASK_STATUS_CODES[TaskRunStatus.SUCCEEDED]
_RUNNING_TASK = TASK_STATUS_CODES[TaskRunStatus.RUNNING]


def run_count(log: bytearray) -> int:
    """Runs in a run log (packed records)."""
    return len(log) // _RUN.size


class RunColumns:
    """The SUCCEEDED run of each task, in per-task columns shared by every step (a task has at
    most one). A step reserves a slot per task (:meth:`reserve`) when it may first run; its
    task ``t`` has the slot ``step.run_base + t``.

    The engine writes a slot when a task's run succeeds; :func:`gather_runs` reads the slots of
    the tasks whose status is SUCCEEDED. A first attempt was READY when its step was, so only a
    retried task keeps its READY time, in ``retry_ready`` (by slot).

    Each column is a typed ``memoryview`` of a ``bytearray``: a store into one costs about two
    thirds of a store into an ``array.array`` (which parses its value as a format string
    would), and it is made eight times per task run. When the columns are full they double:
    each becomes a new view of a new buffer (read them from this object, never keep one).
    """

    __slots__ = ("assign_seq", "assigned", "capacity", "end_seq", "ended", "retry_ready",
                 "seq", "session", "size", "started", "worker")

    #: The columns' names and item formats, in the order of :meth:`columns`.
    FORMATS = (("worker", "i"), ("session", "i"), ("seq", "i"), ("assigned", "d"),
               ("started", "d"), ("ended", "d"), ("assign_seq", "q"), ("end_seq", "q"))

    def __init__(self, capacity: int = 1024) -> None:
        self.size = 0
        self.capacity = capacity
        self.worker = _column("i", capacity)
        self.session = _column("i", capacity)
        self.seq = _column("i", capacity)
        self.assigned = _column("d", capacity)
        self.started = _column("d", capacity)
        self.ended = _column("d", capacity)
        self.assign_seq = _column("q", capacity)
        self.end_seq = _column("q", capacity)
        self.retry_ready: dict[int, float] = {}

    def columns(self) -> tuple[memoryview[Any], ...]:
        return tuple(getattr(self, name) for name, _ in self.FORMATS)

    def reserve(self, n: int) -> int:
        """Slots for ``n`` tasks; returns the first."""
        base = self.size
        self.size = size = base + n
        if size > self.capacity:
            grown = max(size, 2 * self.capacity)
            for name, code in self.FORMATS:
                column = _column(code, grown)
                old: memoryview[Any] = getattr(self, name)
                column[: self.capacity] = old
                old.release()
                setattr(self, name, column)
            self.capacity = grown
        return base


def _column(code: str, n: int) -> memoryview[Any]:
    """A zeroed column of ``n`` items of struct format ``code``."""
    view = memoryview(bytearray(struct.calcsize(code) * n))
    if code == "d":
        return view.cast("d")
    if code == "q":
        return view.cast("q")
    if code == "i":
        return view.cast("i")
    raise ValueError(f"no run column of format {code!r}")


def open_run(job: int, step: int, task: int, worker: int, session: int, seq: int, attempt: int,
             ready_at: float, assigned_at: float, started_at: float, assign_seq: int,
             ) -> tuple[Any, ...]:
    """The record of a run still going at the end of the simulated period."""
    return (job, step, task, worker, session, seq, attempt, ready_at, assigned_at, started_at,
            float("nan"), assign_seq, NO_SEQ, RUN_OPEN, _RUNNING_TASK)


def gather_runs(log: bytearray, succeeded: RunColumns, steps: Sequence[StepState],
                open_runs: Sequence[tuple[Any, ...]]) -> np.ndarray:
    """Every run of the simulation as one structured array of :data:`RUN_COLUMNS`, in the order
    the runs ended (by ``end_seq``; runs still going last, by assignment).

    Args:
        log: the run log (packed records of runs that did not succeed).
        succeeded: the tasks' SUCCEEDED runs.
        steps: every step.
        open_runs: records of the runs still going (:func:`open_run`).
    """
    parts = [np.frombuffer(bytes(log), dtype=RUN_DTYPE), _succeeded(succeeded, steps)]
    if open_runs:
        parts.append(np.array(list(open_runs), dtype=RUN_DTYPE))
    runs = np.concatenate(parts)
    return runs[np.lexsort((runs["assign_seq"], runs["end_seq"]))]


def _succeeded(store: RunColumns, steps: Sequence[StepState]) -> np.ndarray:
    """The SUCCEEDED run of every task, gathered from the shared run columns into records.

    Vectorised over the whole run: the steps' statuses are joined once, and each column is read
    once at the slots of the tasks that succeeded.
    """
    steps = [s for s in steps if s.run_base >= 0 and s.counts[_SUCCEEDED_TASK]]
    if not steps:
        return np.empty(0, dtype=RUN_DTYPE)
    sizes = np.array([s.task_count for s in steps], dtype=np.int64)
    # (An adaptive step's slots go beyond its tasks: its statuses are cut to them.)
    status = np.frombuffer(b"".join([s.status[:s.task_count] for s in steps]),
                           dtype=np.int8)
    done = np.flatnonzero(status == _SUCCEEDED_TASK)
    out = np.empty(len(done), dtype=RUN_DTYPE)
    which = np.repeat(np.arange(len(steps)), sizes)[done]  # position in ``steps``
    starts = np.cumsum(sizes) - sizes
    task = done - starts[which]
    slot = np.array([s.run_base for s in steps], dtype=np.int64)[which] + task
    out["job"] = np.array([s.job.index for s in steps], dtype=np.int32)[which]
    out["step"] = np.array([s.gidx for s in steps], dtype=np.int32)[which]
    out["task"] = task
    for name, column in (("worker", store.worker), ("session", store.session),
                         ("seq", store.seq), ("assigned_at", store.assigned),
                         ("started_at", store.started), ("ended_at", store.ended),
                         ("assign_seq", store.assign_seq), ("end_seq", store.end_seq)):
        # (a copy at the slots: no view of a column outlives this, so it can still grow)
        out[name] = np.frombuffer(column, dtype=out.dtype[name].newbyteorder("="))[slot]
    out["ready_at"] = np.array([s.ready_at for s in steps])[which]
    out["attempt"] = 0
    out["status"] = RUN_SUCCEEDED
    out["task_status"] = _SUCCEEDED_TASK
    # Retried tasks (few): their attempt number.
    for k, s in enumerate(steps):
        if s.retries:
            base = starts[k]
            for t, retries in s.retries.items():
                if status[base + t] == _SUCCEEDED_TASK:
                    out["attempt"][np.searchsorted(done, base + t)] = retries
    # Tasks that were READY again (retried, or requeued by a user; few): that READY time.
    if store.retry_ready:
        keys = np.fromiter(store.retry_ready.keys(), dtype=np.int64)
        values = np.fromiter(store.retry_ready.values(), dtype=np.float64)
        order = np.argsort(slot, kind="stable")
        where = np.searchsorted(slot, keys, sorter=order)
        found = where < len(slot)
        rows = order[where[found]]
        hit = slot[rows] == keys[found]
        out["ready_at"][rows[hit]] = values[found][hit]
    # A task marked SUCCEEDED by a user has no SUCCEEDED run.
    kept: np.ndarray = out[out["worker"] != NO_RUN]
    return kept
