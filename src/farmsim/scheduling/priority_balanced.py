"""``priorityBalanced``: workers spread evenly across the jobs of the highest priority.

The API Reference ("SchedulingConfiguration", "PriorityBalancedSchedulingConfiguration") and
the Developer Guide ("Schedule jobs in Deadline Cloud"): workers are distributed evenly across
the jobs at the highest priority level; extra workers go to the earliest-submitted jobs; a job
with fewer remaining tasks than its share leaves the surplus to the others at its level, and
when the whole level is fully allocated workers cascade to the next level. A worker switches
from its current job to another job at the same priority only if the other job has fewer
rendering tasks by more than ``renderingTaskBuffer`` (0-1000, default 1).

The rule (docs/semantics.md D9): the jobs a worker may take a task of now are ranked by
(-priority, workers on the job, submission order), and the first is the *even-split choice*:
the job of the top priority level with the fewest workers, the earliest submitted among equals
(so a level's jobs gain workers in turn, the earliest first). The asking worker's current job
(the job of its last run) wins instead when it is at that same priority, it has a task the
worker may take, and its rendering tasks (tasks in flight, the worker's own just-ended run no
longer counted) exceed the even-split choice's by no more than the buffer. Nothing is ever
preempted: the choice is made only when a worker asks.

The index is :class:`~farmsim.scheduling._keyed.KeyedIndex` keyed by (-priority, workers,
submit_seq): exact at every choice, O(log n) amortised per change of a job's workers.
"""

from __future__ import annotations

from collections.abc import Mapping
from heapq import heappush
from typing import TYPE_CHECKING, Any, ClassVar

from farmsim.model.state import RUNNING
from farmsim.scheduling._keyed import KeyedIndex
from farmsim.scheduling._parameters import read_parameters
from farmsim.scheduling.base import JobChange

if TYPE_CHECKING:
    from farmsim.engine.workers import WorkerState
    from farmsim.model.state import JobState, StepState
    from farmsim.scheduling.base import SchedulingView

__all__ = ["PriorityBalanced"]


class PriorityBalanced(KeyedIndex):
    """The ``priorityBalanced`` scheduling configuration.

    Args:
        rendering_task_buffer: ``renderingTaskBuffer`` (0-1000): how many more rendering tasks
            the worker's current job may have than the even-split choice, and keep it.
    """

    __slots__ = ("buffer",)
    name: ClassVar[str] = "priorityBalanced"
    #: Its key holds the workers on each job (priority changes re-file the job).
    watches: ClassVar[JobChange] = JobChange.WORKERS

    def __init__(self, rendering_task_buffer: int = 1) -> None:
        read_parameters(self.name, {"renderingTaskBuffer": rendering_task_buffer})
        super().__init__()
        self.buffer = rendering_task_buffer

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any] | None = None,
                        settings: Mapping[str, Any] | None = None) -> PriorityBalanced:
        """From the API's parameters (``{"renderingTaskBuffer": 2}``); ``settings`` (a queue's
        ``simulation`` section) has nothing for this configuration."""
        return cls(read_parameters(cls.name, parameters)["renderingTaskBuffer"])

    @property
    def parameters(self) -> dict[str, Any]:
        """Its parameters as the API names them."""
        return {"renderingTaskBuffer": self.buffer}

    def _entry(self, job: JobState, gen: int) -> tuple[Any, ...]:
        return (-job.priority, job.workers, job.submit_seq, gen, job)

    def changed(self, job: JobState, what: Any) -> None:
        """Re-key ``job`` (:meth:`KeyedIndex.changed`, the indexed case inlined: it runs at
        every start and end of a run)."""
        if job.in_index:
            gen = job.index_gen = job.index_gen + 1
            heap = self._heap
            heappush(heap, (-job.priority, job.workers, job.submit_seq, gen, job))
            if len(heap) > self._cap:
                self._compact_index()
            return
        self._rekey_parked(job)

    def choose(
        self, view: SchedulingView, worker: WorkerState, current_job: JobState | None
    ) -> tuple[JobState, StepState] | None:
        found = self._best(view)
        if found is None:
            return None
        job, step = found[2], found[3]
        if current_job is None or current_job is job:
            return job, step
        if self._lanes:
            own = self._own(current_job)
        elif current_job.queue_index == self._queue and current_job.lanes is None:
            own = current_job  # (KeyedIndex._own inlined for a queue that does not route)
        else:
            return job, step
        if own is None or own is job or own.priority != job.priority:
            return job, step  # another queue's job, or a lower priority: no stickiness
        if self._lanes:
            ahead = self._rendering(own) - self._rendering(job)
        else:
            ahead = own.counts[RUNNING] - job.counts[RUNNING]
        if ahead > self.buffer:
            return job, step  # the other job has fewer rendering tasks by more than the buffer
        found_step = self._current_step(view, own)
        if found_step is None:
            return job, step
        return own, found_step
