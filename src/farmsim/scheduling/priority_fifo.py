"""``priorityFifo``: the highest-priority job first, the earliest-submitted among equals.

The Deadline Cloud default (semantics C.3, C.4): "Workers are assigned to the highest-priority
job first. When multiple jobs share the same priority, the job submitted earliest receives
workers first." A worker is given to the first job in (-priority, submission order) that has a
task it may take now; jobs that cannot take one are skipped, so there is no head-of-line
blocking.

Two kinds of heap hold ``(-priority, submit_seq, generation, job)`` entries, keys computed once:

* the *index*: jobs with READY work that nothing blocks (valid while ``job.in_index`` and the
  entry's generation is ``job.index_gen``);
* one *parked* heap per (limit, units): jobs whose READY work waits for that many of the
  limit's units (valid while the generation is ``job.park_gen``). A parked job stays there while
  it works through its tasks under the limit: when the limit has room for ``units`` its best
  parked job competes with the index's top, and otherwise the heap is skipped in O(1). No job
  moves between heaps per task. The headroom check is exact, so a job examined from a parked
  heap and found blocked is blocked by something else and is parked elsewhere: ``choose``
  cannot pick the same entry twice.

Stale entries are dropped lazily when they reach a top. A job found with nothing assignable is
popped and handed to the engine in ``passed_over`` (the engine parks it); the headroom check is
exact, so a job taken from a parked heap and found blocked is blocked by something else. A choice
costs O(log n) amortised in the number of jobs, plus O(1) per limit the queue's jobs wait on.

The order depends only on a job's priority and submission order: after a priority change the
engine re-files the job with new generations, so the policy watches no :class:`JobChange`.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import TYPE_CHECKING, ClassVar

from farmsim.scheduling.base import JobChange

if TYPE_CHECKING:
    from farmsim.engine.workers import WorkerState
    from farmsim.model.state import JobState, LimitState, StepState
    from farmsim.scheduling.base import SchedulingView

__all__ = ["PriorityFifo"]

_READY = 1  # TASK_STATUS_CODES[TaskRunStatus.READY]; checked by the unit tests

Entry = tuple[int, int, int, "JobState"]


class PriorityFifo:
    """The ``priorityFifo`` scheduling configuration (it has no parameters)."""

    __slots__ = ("_heap", "_parked", "_parked_list", "passed_over")
    name: ClassVar[str] = "priorityFifo"
    watches: ClassVar[JobChange] = JobChange(0)

    def __init__(self) -> None:
        self.passed_over: list[JobState] = []
        self._heap: list[Entry] = []
        self._parked: dict[tuple[LimitState, int], list[Entry]] = {}
        #: The same heaps as (limit, units, heap) triples, for the scan in choose().
        self._parked_list: list[tuple[LimitState, int, list[Entry]]] = []

    def add(self, job: JobState) -> None:
        heappush(self._heap, (-job.priority, job.submit_seq, job.index_gen, job))

    def park(self, job: JobState, limit: LimitState, units: int) -> None:
        key = (limit, units)
        heap = self._parked.get(key)
        if heap is None:
            heap = self._parked[key] = []
            self._parked_list.append((limit, units, heap))
        heappush(heap, (-job.priority, job.submit_seq, job.park_gen, job))

    def choose(
        self, view: SchedulingView, worker: WorkerState, current_job: JobState | None
    ) -> tuple[JobState, StepState] | None:
        heap = self._heap
        parked = self._parked_list
        while True:
            best = None
            while heap:  # drop stale index entries
                top = heap[0]
                job = top[3]
                if top[2] == job.index_gen and job.in_index:
                    best = top
                    break
                heappop(heap)
            source = heap
            for limit, units, pheap in parked:
                if not pheap or limit.current + units > limit.cap:
                    continue  # nothing parked, or no room for these units
                while pheap:  # drop stale parked entries
                    top = pheap[0]
                    job = top[3]
                    if top[2] == job.park_gen and job.final_status is None:
                        if best is None or top[0] < best[0] or (top[0] == best[0]
                                                               and top[1] < best[1]):
                            best, source = top, pheap
                        break
                    heappop(pheap)
            if best is None:
                return None
            job = best[3]
            # Fast path (view.assignable_step inlined) for the common job: not at its
            # maxWorkerCount, and its first step with READY tasks has room in its limits.
            if job.max_worker_count < 0 or job.workers < job.max_worker_count:
                for step in job.steps:
                    if step.counts[_READY]:
                        for limit, units in step.limits:
                            if limit.current + units > limit.cap:
                                break
                        else:
                            return job, step
                        break
            assignable = view.assignable_step(job)
            if assignable is not None:
                return job, assignable
            heappop(source)  # nothing of it may be taken: the engine parks it after this
            self.passed_over.append(job)

    def changed(self, job: JobState, what: JobChange) -> None:
        """Nothing to do: see the module docstring."""

    def __len__(self) -> int:
        return len(self._heap) + sum(len(h) for h in self._parked.values())
