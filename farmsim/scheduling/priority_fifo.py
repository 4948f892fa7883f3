"""``priorityFifo``: the highest-priority job first, the earliest-submitted among equals.

The Deadline Cloud default (semantics C.3, C.4): "Workers are assigned to the highest-priority
job first. When multiple jobs share the same priority, the job submitted earliest receives
workers first." A worker is given to the first job in (-priority, submission order) that has a
task it may take now; jobs that cannot take one (at ``maxWorkerCount``, blocked by a limit, or
with nothing READY) are skipped and parked, so there is no head-of-line blocking.

The index is one binary heap of ``(-priority, submit_seq, index_gen, job)`` tuples: keys are
computed once, at push; stale entries (an older ``index_gen``) are dropped lazily when they reach
the top. A choice costs O(log n) in the number of jobs, amortised.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from farmsim.model.state import JobState, StepState, WorkerState
    from farmsim.scheduling.base import SchedulingView

__all__ = ["PriorityFifo"]


class PriorityFifo:
    """The ``priorityFifo`` scheduling configuration (it has no parameters)."""

    __slots__ = ("_heap",)
    name: ClassVar[str] = "priorityFifo"

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, int, JobState]] = []

    def add(self, job: JobState) -> None:
        heappush(self._heap, (-job.priority, job.submit_seq, job.index_gen, job))

    def choose(
        self, view: SchedulingView, worker: WorkerState, current_job: JobState | None
    ) -> tuple[JobState, StepState] | None:
        heap = self._heap
        assignable_step = view.assignable_step
        while heap:
            _, _, gen, job = heap[0]
            if gen != job.index_gen or not job.in_index:
                heappop(heap)  # stale: the job left the index or was re-added since
                continue
            step = assignable_step(job)
            if step is None:
                heappop(heap)  # the view parked the job; it is re-added when unblocked
                continue
            return job, step
        return None

    def __len__(self) -> int:
        return len(self._heap)
