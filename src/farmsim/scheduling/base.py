"""What a scheduling policy is, and what it may see.

A policy orders the jobs of one queue. It never touches SimPy and never changes run-time state:
it keeps its own index of jobs and, when a worker asks for work, returns the job and step the
worker should take next. The contract:

* **The view is read-only.** :class:`SchedulingView` answers questions (``now``, which step of
  a job a worker may take a task of now); asking changes nothing.
* **The engine files jobs.** It calls :meth:`SchedulingPolicy.add` when a job has assignable
  work (again), and :meth:`SchedulingPolicy.park` when its READY work waits for a limit's
  units. A job whose entries the policy holds is valid while ``job.in_index`` and its
  ``index_gen`` (for ``add``) or ``park_gen`` (for ``park``) match the entry's: the engine bumps
  them when it takes the job out, so stale entries are dropped lazily.
* **Choosing.** :meth:`SchedulingPolicy.choose` returns a (job, step) or None. A job the policy
  examined and found with nothing assignable goes to ``passed_over`` (and out of the policy's
  own index); after the call the engine parks each such job (on the limits that block it, or
  until a ``maxWorkerCount`` slot frees) and re-files it when that changes. Parking is the
  engine's step, not a side effect of asking.
* **Standing changes.** The engine calls :meth:`SchedulingPolicy.changed` when something a
  policy may order by changes: a job's priority or ``maxWorkerCount`` (UpdateJob), the workers
  on it, its tasks in flight, its failed attempts, its status (:class:`JobChange`), once the
  job's counts reflect the change. It calls it only for the changes in the policy's
  ``watches``, so a policy that orders by none of them costs nothing on the engine's hot path.
  After a priority change the engine also re-files the job (``add`` or ``park`` with new
  generations). A policy whose order moves with these changes may re-key a filed job itself:
  bump its ``index_gen`` (while ``in_index``) or ``park_gen`` (while parked) and push an entry
  with the new key (the engine only ever bumps them; :mod:`farmsim.scheduling._keyed`).

* **Lanes.** In a queue whose fleets do not all satisfy every step (docs/semantics.md D23)
  each fleet asks a policy of its own, and the jobs it is given are lanes
  (:class:`~farmsim.model.state.JobLane`): a job's steps that fleet may take, with the job's
  priority, ``maxWorkerCount``, workers and status read through. A policy orders them as it
  orders jobs; it needs nothing else.

:data:`~farmsim.scheduling.POLICIES` maps each queue ``schedulingConfiguration`` member name to
its policy class: ``priorityFifo``, ``priorityBalanced`` and ``weightedBalanced`` (later
releases add custom policies).
"""

from __future__ import annotations

from enum import IntFlag
from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    from farmsim.engine.workers import WorkerState
    from farmsim.model.state import JobState, LimitState, StepState

__all__ = ["JobChange", "SchedulingPolicy", "SchedulingView"]


class JobChange(IntFlag):
    """What changed about a job's standing, for :meth:`SchedulingPolicy.changed`."""

    #: ``job.priority`` (UpdateJob).
    PRIORITY = 1
    #: ``job.max_worker_count`` (UpdateJob).
    MAX_WORKERS = 2
    #: ``job.workers``: workers on the job (running one of its tasks or exiting its session).
    WORKERS = 4
    #: ``job.running``: its tasks in flight (rendering).
    RENDERING = 8
    #: ``job.failed_attempts``: its task runs that failed.
    FAILURES = 16
    #: ``job.final_status``: the job reached a final status.
    STATUS = 32


class SchedulingView(Protocol):
    """The read side of the control plane that policies use. Nothing here changes state."""

    #: The current simulated time.
    now: float

    def assignable_step(self, job: JobState) -> StepState | None:
        """The first step (in dependency order) of ``job`` with a READY task a worker may take
        now (the job below its ``maxWorkerCount``, the step's limits with room), or None."""
        ...


class SchedulingPolicy(Protocol):
    """Orders one queue's jobs. The registry key :attr:`name` is the API union member name."""

    name: ClassVar[str]
    #: The changes :meth:`changed` must be told of.
    watches: ClassVar[JobChange]
    #: Jobs :meth:`choose` found with nothing assignable, for the engine to park.
    passed_over: list[JobState]

    def add(self, job: JobState) -> None:
        """``job`` has assignable work (again): ``job.in_index`` was just set and ``index_gen``
        bumped; index it. Entries with an older ``index_gen`` are stale."""
        ...

    def park(self, job: JobState, limit: LimitState, units: int) -> None:
        """``job``'s READY work waits for ``units`` of ``limit``: keep it where :meth:`choose`
        finds it again once the limit has room for them (``job.park_gen`` marks the valid
        entries)."""
        ...

    def choose(
        self, view: SchedulingView, worker: WorkerState, current_job: JobState | None
    ) -> tuple[JobState, StepState] | None:
        """The job and step ``worker`` should take a task from next, or None if none.
        ``current_job`` is the job of the worker's last run (None after idling)."""
        ...

    def changed(self, job: JobState, what: JobChange) -> None:
        """``what`` changed about ``job`` (only changes in :attr:`watches` are reported)."""
        ...
