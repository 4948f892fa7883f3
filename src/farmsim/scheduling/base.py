"""What a scheduling policy is, and what it may see.

A policy orders the jobs of one queue. It never touches SimPy or mutates run-time state: it
keeps its own index of jobs and, when a free worker asks for work, returns the job and step the
worker should take next. Eligibility that does not depend on the policy (a job at its
``maxWorkerCount``, a limit without headroom, nothing READY) is answered by the
:class:`SchedulingView` it is given, which parks blocked jobs and hands them back to the policy
through :meth:`SchedulingPolicy.add` when the event that unblocks them happens.

Extension points for a new policy (later releases add priorityBalanced and weightedBalanced):

* :meth:`SchedulingPolicy.add` - a job has assignable work (again); index it.
* :meth:`SchedulingPolicy.park` - a job waits for a limit's units; find it again at headroom.
* :meth:`SchedulingPolicy.choose` - the next (job, step) for a worker, given the job it is on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    from farmsim.model.state import JobState, LimitState, StepState, WorkerState

__all__ = ["SchedulingPolicy", "SchedulingView"]


class SchedulingView(Protocol):
    """The read side of the control plane that policies use."""

    now: float

    def assignable_step(self, job: JobState) -> StepState | None:
        """The first step of ``job`` with a READY task a worker may take now, or None.

        None also takes the job out of the policy's index (``job.in_index`` becomes False and
        ``job.park_gen`` is bumped, so every entry of it is stale): a job blocked by limits is
        handed to ``park``; any other is re-added with ``add`` by the event that unblocks it.
        """
        ...


class SchedulingPolicy(Protocol):
    """Orders one queue's jobs. The registry key :attr:`name` is the API union member name."""

    name: ClassVar[str]

    def add(self, job: JobState) -> None:
        """``job`` has assignable work again (``job.in_index`` was just set, ``index_gen``
        bumped); index it. Entries with an older ``index_gen`` are stale."""
        ...

    def park(self, job: JobState, limit: LimitState, units: int) -> None:
        """``job``'s READY work waits for ``units`` of ``limit``: keep it where :meth:`choose`
        finds it again once the limit has room for them (``job.park_gen`` marks the valid
        entries)."""
        ...

    def choose(
        self, view: SchedulingView, worker: WorkerState, current_job: JobState | None
    ) -> tuple[JobState, StepState] | None:
        """The job and step ``worker`` should take a task from next, or None if none."""
        ...
