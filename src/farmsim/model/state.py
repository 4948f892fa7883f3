"""Run-time state of jobs, steps, tasks and limits, kept in compact per-step arrays.

Nothing here knows about SimPy: the engine calls these methods at simulated times and the
scheduling policy reads the objects (never writes them). A task is not an object; a step holds

* ``status``: one byte per task, a :data:`~farmsim.model.enums.TASK_STATUS_CODES` code;
* ``next_fresh``: tasks ``[next_fresh, task_count)`` have never been assigned and share the
  step's status (PENDING before the step's dependencies resolve, READY after);
* ``retry_heap``: tasks below ``next_fresh`` that are READY again (after a failed attempt), so
  the lowest-numbered READY task always goes first;
* ``durations`` / ``failures``: first-attempt durations and outcomes, drawn for the whole step
  at once from the run's generator when the job is created.

Counts of tasks per status are kept per step and per job, so aggregate statuses
(semantics A.4) cost O(steps), never O(tasks).
"""

from __future__ import annotations

from array import array
from heapq import heappush
from typing import TYPE_CHECKING, Any

from farmsim.model.enums import TASK_STATUS_CODES, TaskRunStatus

if TYPE_CHECKING:
    from collections.abc import Mapping

    from farmsim.engine.chunking import AdaptiveChunks
    from farmsim.engine.farm import FleetState
    from farmsim.engine.sessions import Plan
    from farmsim.model.config import JobSubmission
    from farmsim.model.job import StepStructure
    from farmsim.model.runtimes import RuntimeRule
    from farmsim.scheduling.base import SchedulingPolicy

__all__ = [
    "AGGREGATE_PRECEDENCE",
    "TERMINAL_JOB_STATUSES",
    "JobLane",
    "JobState",
    "LimitState",
    "StepState",
    "StoppedLimit",
    "aggregate_status",
]

_C = TASK_STATUS_CODES
PENDING = _C[TaskRunStatus.PENDING]
READY = _C[TaskRunStatus.READY]
ASSIGNED = _C[TaskRunStatus.ASSIGNED]
STARTING = _C[TaskRunStatus.STARTING]
SCHEDULED = _C[TaskRunStatus.SCHEDULED]
INTERRUPTING = _C[TaskRunStatus.INTERRUPTING]
RUNNING = _C[TaskRunStatus.RUNNING]
SUSPENDED = _C[TaskRunStatus.SUSPENDED]
CANCELED = _C[TaskRunStatus.CANCELED]
FAILED = _C[TaskRunStatus.FAILED]
SUCCEEDED = _C[TaskRunStatus.SUCCEEDED]
NOT_COMPATIBLE = _C[TaskRunStatus.NOT_COMPATIBLE]
N_STATUSES = len(_C)

#: Statuses that stop a step's downstream steps from ever resolving (semantics A.4, 10.7).
_DEAD_CODES = (FAILED, CANCELED, SUSPENDED, NOT_COMPATIBLE)

#: Aggregate precedence of semantics A.4: the first status present wins. PENDING counts only
#: where an upstream step can still succeed.
AGGREGATE_PRECEDENCE: tuple[TaskRunStatus, ...] = (
    TaskRunStatus.RUNNING,
    TaskRunStatus.INTERRUPTING,
    TaskRunStatus.STARTING,
    TaskRunStatus.SCHEDULED,
    TaskRunStatus.ASSIGNED,
    TaskRunStatus.READY,
    TaskRunStatus.SUSPENDED,
    TaskRunStatus.NOT_COMPATIBLE,
    TaskRunStatus.FAILED,
    TaskRunStatus.CANCELED,
    TaskRunStatus.PENDING,
    TaskRunStatus.SUCCEEDED,
)
#: Job aggregate statuses at which a job is complete (the boto3 ``JobComplete`` waiter's set).
TERMINAL_JOB_STATUSES = frozenset(
    {
        TaskRunStatus.SUCCEEDED,
        TaskRunStatus.FAILED,
        TaskRunStatus.CANCELED,
        TaskRunStatus.SUSPENDED,
        TaskRunStatus.NOT_COMPATIBLE,
    }
)
_PRECEDENCE_CODES = tuple(_C[s] for s in AGGREGATE_PRECEDENCE)
_EMPTY_D = array("d")


#: A limit's capacity when its ``maxCount`` is -1 (no maximum): more units than can exist.
UNLIMITED = 1 << 62


class LimitState:
    """A limit's counter and the jobs parked because it had no headroom.

    ``cap`` is the limit's capacity in units: its ``maxCount``, or :data:`UNLIMITED` for the
    API's -1. Every rule about room reads ``cap`` (``current + units <= cap``, :meth:`room`), so
    the -1 sentinel is translated here, once. Jobs waiting for its units are parked in their
    queue's scheduling policy; ``queues`` are the indices of the queues associated with it,
    told when units come free.
    """

    __slots__ = (
        "blocked_ready",
        "cap",
        "current",
        "fleets",
        "index",
        "max_count",
        "max_history",
        "peak",
        "queues",
        "ready_deltas",
        "ready_times",
        "usage_counts",
        "usage_times",
    )

    def __init__(self, index: int, max_count: int) -> None:
        self.index = index
        self.max_count = max_count
        self.cap = max_count if max_count >= 0 else UNLIMITED
        self.current = 0
        self.queues: list[int] = []
        #: READY tasks of steps that need this limit (for blocked_task_hours). Each change is
        #: recorded (``ready_times``, ``ready_deltas``) but an assignment's -1: units are
        #: taken only with a READY task, so a rise of ``usage_counts`` is one READY task fewer.
        self.blocked_ready = 0
        self.peak = 0
        #: Fleets serving a queue this limit is associated with: a READY task is held back by
        #: the limit alone only if one of them has an idle worker (counted after the run, from
        #: the worker records: ``farmsim.engine.catalog``).
        self.fleets: list[FleetState] = []
        #: The usage timeline: the count after each change, and when (two appends per change
        #: are cheaper than a packed record); ``max_history`` holds (time, maxCount) changes.
        self.usage_times = array("d")
        self.usage_counts = array("i")
        self.max_history: list[tuple[float, int]] = [(0.0, max_count)]
        #: Changes of ``blocked_ready`` other than an assignment's -1, and when.
        self.ready_times = array("d")
        self.ready_deltas = array("i")

    def room(self) -> int:
        """Units free now (:data:`UNLIMITED`-ish for a limit with no maximum)."""
        return self.cap - self.current

    def set_max_count(self, max_count: int, now: float) -> None:
        """Change ``maxCount`` at ``now`` (UpdateLimit): runs holding units keep them, and
        nothing more starts until usage is below the new maximum."""
        self.max_count = max_count
        self.cap = max_count if max_count >= 0 else UNLIMITED
        self.max_history.append((now, max_count))


def _forward(name: str) -> property:
    """A property of :class:`StoppedLimit` that is its limit's attribute ``name``."""
    return property(lambda self: getattr(self.limit, name),
                    lambda self, value: setattr(self.limit, name, value))


class StoppedLimit(LimitState):
    """A limit as one queue's steps see it while the queue's association with it is stopped
    (UpdateQueueLimitAssociation STOP_LIMIT_USAGE_*, semantics D.5): never any room, so none
    of their tasks takes its units; units given back, counts and timelines are the limit's
    own (every attribute but ``cap`` is the limit's)."""

    __slots__ = ("limit",)
    limit: LimitState

    def __init__(self, limit: LimitState) -> None:  # (LimitState's slots are not set: the
        object.__setattr__(self, "limit", limit)    # properties below read the limit's)

    @property
    def cap(self) -> int:
        return -1

    @cap.setter
    def cap(self, value: int) -> None:
        raise AttributeError("a stopped association's limit has no capacity to set")

    index = _forward("index")
    current = _forward("current")
    queues = _forward("queues")
    blocked_ready = _forward("blocked_ready")
    peak = _forward("peak")
    fleets = _forward("fleets")
    usage_times = _forward("usage_times")
    usage_counts = _forward("usage_counts")
    max_count = _forward("max_count")
    max_history = _forward("max_history")
    ready_times = _forward("ready_times")
    ready_deltas = _forward("ready_deltas")


#: The shared empty containers of a step that has not needed its own (see StepState).
_NO_TASKS: list[int] = []
_NO_RETRIES: dict[int, int] = {}
_NO_TIMES: dict[int, float] = {}
_NO_STEPS: list[StepState] = []


class StepState:
    """One step of one job: its tasks' statuses in compact arrays, and its readiness."""

    __slots__ = (
        "chunks",
        "counts",
        "created_seq",
        "dependents",
        "deps_left",
        "durations",
        "failures",
        "gidx",
        "index",
        "job",
        "limits",
        "next_fresh",
        "ready_at",
        "ready_seq",
        "retries",
        "retry_heap",
        "rule",
        "run_base",
        "status",
        "structure",
        "task_count",
        "task_ready_at",
    )

    def __init__(self, job: JobState, structure: StepStructure, gidx: int) -> None:
        self.job = job
        self.structure = structure
        self.index = structure.index
        self.gidx = gidx
        self.task_count = structure.task_count
        #: Each task's TaskRunStatus code, one byte a task (a bytearray: a store is the
        #: cheapest there is, once or twice per task run).
        self.status = bytearray()
        self.counts = [0] * N_STATUSES
        self.next_fresh = 0
        # The containers below start as shared empty ones (most steps never retry nor have
        # dependents: a trace's million one-task steps would hold 240 MB of empty containers);
        # the methods that add to them give the step its own first (never written in place).
        #: Tasks back in READY, to be taken first (a heap).
        self.retry_heap: list[int] = _NO_TASKS
        #: failureRetryCount per task that has failed at least once.
        self.retries: dict[int, int] = _NO_RETRIES
        #: READY time of tasks that went back to READY (retries); fresh tasks use ``ready_at``.
        self.task_ready_at: dict[int, float] = _NO_TIMES
        self.ready_at = float("nan")
        #: (LimitState, units) for each host requirement amount that names a limit.
        self.limits: tuple[tuple[LimitState, int], ...] = ()
        self.durations: array[float] = _EMPTY_D
        #: First-attempt outcomes (1: fails), one byte per task; None when nothing fails.
        self.failures: bytes | bytearray | None = None
        self.rule: RuntimeRule | None = None
        self.dependents: list[StepState] = _NO_STEPS
        self.deps_left = len(structure.dependencies)
        #: The slot of its first task in the run's ``farmsim.record.runs.RunColumns`` (-1:
        #: none reserved; the engine reserves them when the step may run).
        self.run_base = -1
        #: The engine's sequence numbers of the step's creation and of its READY change.
        self.created_seq = 0
        self.ready_seq = 0
        #: Adaptive chunks (the engine's ``AdaptiveChunks``), or None: the step's tasks are
        #: formed as workers take them, and its arrays have room for the most it can have.
        self.chunks: AdaptiveChunks | None = None

    def add_dependent(self, step: StepState) -> None:
        """``step`` depends on this one."""
        if self.dependents is _NO_STEPS:
            self.dependents = []
        self.dependents.append(step)

    def count_retry(self, task: int) -> int:
        """One more retry of ``task`` (its failureRetryCount); returns the new count."""
        if self.retries is _NO_RETRIES:
            self.retries = {}
        count = self.retries[task] = self.retries.get(task, 0) + 1
        return count

    def push_ready(self, task: int, ready_at: float) -> None:
        """``task`` (below ``next_fresh``; its status the caller's) is READY again from
        ``ready_at``: to be taken before any higher-numbered task."""
        if self.retry_heap is _NO_TASKS:
            self.retry_heap, self.task_ready_at = [], {}
        self.task_ready_at[task] = ready_at
        heappush(self.retry_heap, task)

    @property
    def capacity(self) -> int:
        """Room in the step's per-task arrays: its tasks, or an adaptive step's most."""
        return self.task_count if self.chunks is None else self.chunks.capacity

    def fill(self, code: int) -> None:
        """Give every task the status ``code`` (at creation)."""
        self.status = bytearray((code,)) * self.capacity
        self.counts[code] += self.task_count
        if self.job.counts is not self.counts:  # (one list for a one-step job)
            self.job.counts[code] += self.task_count

    def shift(self, old: int, new: int, n: int = 1) -> None:
        """Count ``n`` tasks of this step as moved from status ``old`` to ``new``, in the step's
        and the job's counts: the one place task counts move (the statuses themselves are the
        caller's to write, one task or a slice at a time)."""
        counts = self.counts
        counts[old] -= n
        counts[new] += n
        counts = self.job.counts
        if counts is not self.counts:  # (one list for a one-step job)
            counts[old] -= n
            counts[new] += n

    def set_status(self, task: int, code: int) -> int:
        """Move one task to ``code``; returns its previous code."""
        old = self.status[task]
        self.status[task] = code
        self.shift(old, code)
        return old

    def can_succeed(self) -> bool:
        """False when a task of this step, or of a step upstream, can no longer succeed."""
        counts = self.counts
        for code in _DEAD_CODES:
            if counts[code]:
                return False
        steps = self.job.steps
        return all(steps[d].can_succeed() for d in self.structure.dependencies)

    def aggregate(self) -> TaskRunStatus:
        """The step's ``taskRunStatus`` by the precedence of semantics A.4."""
        return aggregate_status(self.counts, pending_live=self.counts[PENDING] > 0
                                and self._upstream_can_succeed())

    def _upstream_can_succeed(self) -> bool:
        steps = self.job.steps
        return all(steps[d].can_succeed() for d in self.structure.dependencies)


def aggregate_status(counts: list[int], *, pending_live: bool) -> TaskRunStatus:
    """First status of :data:`AGGREGATE_PRECEDENCE` present in ``counts``.

    PENDING tasks count only when ``pending_live`` (an upstream step can still succeed).
    A step or job with no task left in any other status is SUCCEEDED.
    """
    for code in _PRECEDENCE_CODES:
        if counts[code] and (code != PENDING or pending_live):
            return AGGREGATE_PRECEDENCE[_PRECEDENCE_CODES.index(code)]
    return TaskRunStatus.SUCCEEDED


class JobState:
    """A submitted job's run-time state.

    Attributes read by scheduling policies: ``priority``, ``submit_seq`` (submission order,
    the tie-breaker), ``submitted_at``, ``queue_index``, ``name``, ``parameters`` (its job
    parameter values), ``workers`` (workers currently on the job), ``running`` (its tasks in
    flight), ``failed_attempts``, ``failed_tasks``, ``max_worker_count`` (-1 = unlimited),
    ``steps``, ``final_status``.
    """

    __slots__ = (
        "counts",
        "ended_at",
        "failed_attempts",
        "failed_tasks",
        "final_status",
        "in_index",
        "index",
        "index_gen",
        "lanes",
        "max_failed",
        "max_retries",
        "max_worker_count",
        "name",
        "park_gen",
        "plan",
        "priority",
        "queue_index",
        "retry_total",
        "started_at",
        "steps",
        "submission",
        "submit_seq",
        "submitted_at",
        "watches",
        "workers",
    )

    def __init__(self, index: int, submission: JobSubmission, queue_index: int,
                 submitted_at: float) -> None:
        self.index = index
        self.submission = submission
        self.name = submission.name or submission.structure.name
        self.queue_index = queue_index
        self.priority = submission.priority
        self.submit_seq = index
        self.submitted_at = submitted_at
        self.max_worker_count = submission.max_worker_count
        self.max_retries = submission.max_retries_per_task
        self.max_failed = submission.max_failed_tasks_count
        self.steps: list[StepState] = []
        self.counts = [0] * N_STATUSES
        #: Workers on the job for ``maxWorkerCount`` (semantics C.7): running one of its tasks
        #: (setup included), or running the envExits of a session on it that ended.
        self.workers = 0
        self.failed_tasks = 0
        #: Its task runs that failed (retried or not).
        self.failed_attempts = 0
        #: The ``JobChange`` flags its queue's policy watches (set by the engine).
        self.watches = 0
        self.retry_total = 0
        self.started_at = float("nan")
        self.ended_at = float("nan")
        self.final_status: TaskRunStatus | None = None
        #: True while the job sits in its queue policy's index; ``index_gen`` invalidates old
        #: index entries (lazy deletion), ``park_gen`` old limit-parking entries.
        self.in_index = False
        self.index_gen = 0
        self.park_gen = 0
        #: The job's session plan (environments and action rules), set by the engine.
        self.plan: Plan | None = None
        #: Its lanes, one per fleet of its queue that may take a step of it, when its queue
        #: routes steps to fleets (:class:`JobLane`); None when every fleet may take every step.
        self.lanes: list[JobLane] | None = None

    def assignable_step(self) -> StepState | None:
        """The first step (in dependency order) with a READY task a worker may take now: the
        job below its ``maxWorkerCount``, the step's limits with room for a run's units. None
        if there is none. Reads state only."""
        if 0 < self.max_worker_count <= self.workers:
            return None
        for step in self.steps:
            if step.counts[READY]:
                for limit, units in step.limits:
                    if limit.current + units > limit.cap:
                        break
                else:
                    return step
        return None

    def blocking_limits(self) -> list[tuple[LimitState, int]]:
        """The (limit, units) that keep each step with READY tasks from being taken now: the
        first limit without room for a run's units, per step, without repeats."""
        blocking: list[tuple[LimitState, int]] = []
        for step in self.steps:
            if step.counts[READY]:
                for limit, units in step.limits:
                    if limit.current + units > limit.cap:
                        if (limit, units) not in blocking:
                            blocking.append((limit, units))
                        break
        return blocking

    @property
    def running(self) -> int:
        """Its task runs in flight: a run's task is RUNNING from its assignment (setup
        included) to its end. (The engine reads ``counts[RUNNING]`` itself.)"""
        return self.counts[RUNNING]

    @property
    def parameters(self) -> Mapping[str, Any]:
        """Its job parameter values, as openjd-model resolved them (the values given at
        submission and the template's defaults; INT as int, FLOAT as float, BOOL as bool, the
        others as strings). Read-only."""
        return self.submission.structure.parameters

    def takeable(self) -> int:
        """How many of its READY tasks workers could take now (limits' room and the free
        ``maxWorkerCount`` slots)."""
        n = 0
        for step in self.steps:
            ready = step.counts[READY]
            if not ready:
                continue
            for limit, units in step.limits:
                ready = min(ready, max(0, limit.room() // units))
            n += ready
        if self.max_worker_count > 0:
            n = min(n, self.max_worker_count - self.workers)
        return n

    def aggregate(self, *, starting: int = 0) -> TaskRunStatus:
        """The job's ``taskRunStatus`` by the precedence of semantics A.4.

        ``starting``: how many of its RUNNING tasks are still in their session's setup, so
        STARTING (the control plane counts them RUNNING from assignment).
        """
        pending_live = any(
            s.counts[PENDING] and s._upstream_can_succeed() for s in self.steps
        )
        counts = self.counts
        if starting:
            counts = list(counts)
            counts[RUNNING] -= starting
            counts[STARTING] += starting
        return aggregate_status(counts, pending_live=pending_live)

    def requeue_task(self, step: StepState, task: int, now: float) -> None:
        """Put a task back to READY (a retry, or a run that never happened)."""
        step.set_status(task, READY)
        step.push_ready(task, now)


class JobLane(JobState):
    """The steps of a job one fleet may take, filed with that fleet's policy of the job's queue.

    A queue whose fleets do not all satisfy the host requirements of every step *routes*: each
    fleet has its own policy, and a job is filed with it as a lane holding the steps that fleet
    may take. To a policy a lane is a job: its ``steps`` are the lane's, its ``counts`` theirs
    (summed when read), its place in an index is its own (``in_index``, ``index_gen``,
    ``park_gen``), and everything else (priority, ``maxWorkerCount``, the workers on it, its
    status) is the job's, read through. A choice names the lane; the step's ``job`` is the job.
    """

    __slots__ = ("fleet_index", "job", "policy")

    def __init__(self, job: JobState, fleet_index: int, steps: list[StepState],
                 policy: SchedulingPolicy) -> None:
        # (JobState.__init__ is not called: what is not the lane's own is read from the job.)
        self.job = job
        self.fleet_index = fleet_index
        self.policy = policy
        self.index = job.index
        self.name = job.name
        self.submission = job.submission
        self.queue_index = job.queue_index
        self.submit_seq = job.submit_seq
        self.steps = steps
        self.in_index = False
        self.index_gen = 0
        self.park_gen = 0
        self.lanes = None

    @property
    def counts(self) -> list[int]:
        """Its steps' task counts, summed."""
        steps = self.steps
        if len(steps) == 1:
            return steps[0].counts
        return [sum(column) for column in zip(*(s.counts for s in steps), strict=True)]

    @counts.setter
    def counts(self, value: list[int]) -> None:
        raise AttributeError("a lane's counts are its steps'")

    @property
    def priority(self) -> int:
        return self.job.priority

    @priority.setter
    def priority(self, value: int) -> None:
        self.job.priority = value

    @property
    def max_worker_count(self) -> int:
        return self.job.max_worker_count

    @max_worker_count.setter
    def max_worker_count(self, value: int) -> None:
        self.job.max_worker_count = value

    @property
    def workers(self) -> int:
        return self.job.workers

    @workers.setter
    def workers(self, value: int) -> None:
        self.job.workers = value

    @property
    def final_status(self) -> TaskRunStatus | None:
        return self.job.final_status

    @final_status.setter
    def final_status(self, value: TaskRunStatus | None) -> None:
        self.job.final_status = value

    @property
    def failed_attempts(self) -> int:
        return self.job.failed_attempts

    @failed_attempts.setter
    def failed_attempts(self, value: int) -> None:
        self.job.failed_attempts = value

    @property
    def running(self) -> int:
        """Its job's tasks in flight (the service counts rendering tasks per job)."""
        return self.job.counts[RUNNING]

    @property
    def parameters(self) -> Mapping[str, Any]:
        return self.job.parameters

    @property
    def failed_tasks(self) -> int:
        return self.job.failed_tasks

    @failed_tasks.setter
    def failed_tasks(self, value: int) -> None:
        self.job.failed_tasks = value

    @property
    def watches(self) -> int:
        return self.job.watches

    @watches.setter
    def watches(self, value: int) -> None:
        self.job.watches = value

    @property
    def submitted_at(self) -> float:
        return self.job.submitted_at

    @submitted_at.setter
    def submitted_at(self, value: float) -> None:
        self.job.submitted_at = value

    @property
    def started_at(self) -> float:
        return self.job.started_at

    @started_at.setter
    def started_at(self, value: float) -> None:
        self.job.started_at = value
