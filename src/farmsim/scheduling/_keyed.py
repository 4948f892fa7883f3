"""What ``priorityBalanced`` and ``weightedBalanced`` share: an index whose keys move.

:class:`~farmsim.scheduling.priority_fifo.PriorityFifo` orders jobs by keys fixed at filing
time. The balanced configurations order them by what changes at every task run (the workers on
a job, its tasks in flight, its failed attempts), so a job's key changes while it is filed.
:class:`KeyedIndex` keeps priority_fifo's structures (a heap of entries for the indexed jobs,
one *parked* heap per (limit, units), lazy deletion) and adds one step: when a change it
watches (:class:`~farmsim.scheduling.base.JobChange`) reaches :meth:`KeyedIndex.changed`, the
job is *re-keyed*: its generation is bumped (``index_gen`` if it is indexed, ``park_gen`` if it
is parked, which makes every older entry of it stale) and a new entry with the new key is pushed
where it is filed (the index, or each parked heap it waits in). Every filed job has exactly one
valid entry per heap it is in, always with its current key, so a heap's first valid entry is the
job that ranks first: the order is exact, in O(log n) per change.

Stale entries are dropped when they reach a top, as in priority_fifo; since entries with large
keys may stay buried, a heap is compacted (its valid entries kept, heapified) when it grows past
twice its valid size after the last compaction: O(1) amortised per push.

An entry is ``(*key, generation, job)``; a key ends with ``submit_seq`` (unique per job), so
two entries never compare their jobs. Subclasses give :meth:`KeyedIndex._entry` (the key) and
:meth:`KeyedIndex.choose` (the rule between the first-ranked job and the asking worker's
current job: a worker's stickiness). The job a worker ran last (``current_job``) is the
policy's own when it is a job of the policy's queue (a lane of it filed in this policy, when the
queue routes steps to fleets, :class:`~farmsim.model.state.JobLane`).

A lane's workers, priority and failed attempts are its job's (read through the lane); its
rendering tasks are taken as its job's too (``lane.job.counts[RUNNING]``), the service's per-job
count, rather than those of the steps its fleet may take.
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush
from typing import TYPE_CHECKING, Any, cast

from farmsim.model.state import READY, RUNNING, JobLane

if TYPE_CHECKING:
    from farmsim.model.state import JobState, LimitState, StepState
    from farmsim.scheduling.base import SchedulingView

__all__ = ["KeyedIndex"]

#: A heap is compacted when it holds more than twice its valid entries after the last
#: compaction, plus this many.
_SLACK = 64

Entry = tuple[Any, ...]


class KeyedIndex:
    """The filing, re-keying and first-ranked search the balanced policies share."""

    __slots__ = ("_cap", "_heap", "_lanes", "_parked", "_parked_list", "_queue", "_where",
                 "passed_over")

    def __init__(self) -> None:
        self.passed_over: list[JobState] = []
        #: The index: one valid entry per indexed job (``in_index``, generation ``index_gen``).
        self._heap: list[Entry] = []
        #: The index's size that triggers a compaction.
        self._cap = _SLACK
        #: Parked heaps by (limit, units), as [limit, units, heap, compaction size] records.
        self._parked: dict[tuple[LimitState, int], list[Any]] = {}
        self._parked_list: list[list[Any]] = []
        #: The parked heaps of each parked job, valid for the ``park_gen`` kept with them.
        self._where: dict[JobState, tuple[int, list[list[Any]]]] = {}
        #: The queue of the jobs filed here (-1: none yet), and whether they are lanes.
        self._queue = -1
        self._lanes = False

    # ------------------------------------------------------------------ keys

    def _entry(self, job: JobState, gen: int) -> Entry:
        """``(*key, gen, job)`` for ``job`` as it stands now."""
        raise NotImplementedError

    def _note(self, job: JobState) -> None:
        """The first job filed: note the queue (and whether the policy holds lanes)."""
        self._queue = job.queue_index
        self._lanes = isinstance(job, JobLane)

    def _rendering(self, job: JobState) -> int:
        """``job``'s rendering tasks: its tasks in flight (a lane's job's)."""
        if self._lanes:
            return cast("JobLane", job).job.counts[RUNNING]
        return job.counts[RUNNING]

    # ------------------------------------------------------------------ filing

    def add(self, job: JobState) -> None:
        if self._queue < 0:
            self._note(job)
        heap = self._heap
        heappush(heap, self._entry(job, job.index_gen))
        if len(heap) > self._cap:
            self._compact_index()

    def park(self, job: JobState, limit: LimitState, units: int) -> None:
        if self._queue < 0:
            self._note(job)
        key = (limit, units)
        record = self._parked.get(key)
        if record is None:
            record = self._parked[key] = [limit, units, [], _SLACK]
            self._parked_list.append(record)
        gen = job.park_gen
        heap = record[2]
        heappush(heap, self._entry(job, gen))
        where = self._where.get(job)
        if where is None or where[0] != gen:
            self._where[job] = (gen, [record])
        else:
            where[1].append(record)  # (Demand.park files a job once per (limit, units))
        if len(heap) > record[3]:
            self._compact_parked(record)

    def changed(self, job: JobState, what: Any) -> None:
        """Re-key ``job`` where it is filed (see the module docstring)."""
        if job.in_index:
            gen = job.index_gen = job.index_gen + 1
            heap = self._heap
            heappush(heap, self._entry(job, gen))
            if len(heap) > self._cap:
                self._compact_index()
            return
        self._rekey_parked(job)

    def _rekey_parked(self, job: JobState) -> None:
        """:meth:`changed` for a job that is not indexed: re-key it where it is parked."""
        where = self._where.get(job)
        if where is None:
            return
        if where[0] != job.park_gen or job.final_status is not None:
            del self._where[job]  # no longer parked here
            return
        gen = job.park_gen = job.park_gen + 1
        records = where[1]
        self._where[job] = (gen, records)
        entry = self._entry(job, gen)
        for record in records:
            heap = record[2]
            heappush(heap, entry)
            if len(heap) > record[3]:
                self._compact_parked(record)

    def _compact_index(self) -> None:
        heap = self._heap
        heap[:] = [e for e in heap if e[-1].in_index and e[-2] == e[-1].index_gen]
        heapify(heap)
        self._cap = 2 * len(heap) + _SLACK

    def _compact_parked(self, record: list[Any]) -> None:
        heap = record[2]
        heap[:] = [e for e in heap if e[-2] == e[-1].park_gen and e[-1].final_status is None]
        heapify(heap)
        record[3] = 2 * len(heap) + _SLACK

    # ------------------------------------------------------------------ choosing

    def _best(self, view: SchedulingView
              ) -> tuple[Entry, list[Entry], JobState, StepState] | None:
        """The first-ranked job with a task the worker may take now, its entry, the heap it
        is in and its step; the jobs ranked before it that have none go to ``passed_over``
        (out of their heaps). None if no filed job has one."""
        heap = self._heap
        parked = self._parked_list
        while True:
            best = None
            while heap:  # drop stale index entries
                top = heap[0]
                job = top[-1]
                if top[-2] == job.index_gen and job.in_index:
                    best = top
                    break
                heappop(heap)
            source = heap
            for limit, units, pheap, _ in parked:
                if not pheap or limit.current + units > limit.cap:
                    continue  # nothing parked, or no room for these units
                while pheap:  # drop stale parked entries
                    top = pheap[0]
                    job = top[-1]
                    if top[-2] == job.park_gen and job.final_status is None:
                        if best is None or top < best:
                            best, source = top, pheap
                        break
                    heappop(pheap)
            if best is None:
                return None
            job = best[-1]
            # Fast path (view.assignable_step inlined), as in priority_fifo.
            if job.max_worker_count < 0 or job.workers < job.max_worker_count:
                for step in job.steps:
                    if step.counts[READY]:
                        for limit, units in step.limits:
                            if limit.current + units > limit.cap:
                                break
                        else:
                            return best, source, job, step
                        break
            assignable = view.assignable_step(job)
            if assignable is not None:
                return best, source, job, assignable
            heappop(source)  # nothing of it may be taken: the engine parks it after this
            self.passed_over.append(job)

    def _own(self, current: JobState | None) -> JobState | None:
        """``current`` (the job of the asking worker's last run) as filed in this policy: the
        job itself, or its lane here when the policy holds lanes; None if it is another
        queue's (or another fleet's lane) or None."""
        if current is None:
            return None
        if self._lanes:
            me: object = self
            for lane in current.lanes or ():
                if lane.policy is me:
                    return lane
            return None
        if current.queue_index == self._queue and current.lanes is None:
            return current
        return None

    @staticmethod
    def _takeable(view: SchedulingView, job: JobState) -> StepState | None:
        """``job``'s step a worker may take a task of now, or None (an ended job: None)."""
        if job.final_status is not None:
            return None
        return view.assignable_step(job)

    @classmethod
    def _current_step(cls, view: SchedulingView, own: JobState) -> StepState | None:
        """The step of the asking worker's current job ``own`` it may take a task of now, or
        None: :meth:`_takeable`, with the common case (not at its maxWorkerCount, its first
        step with READY tasks has room in its limits) inlined."""
        if own.max_worker_count < 0 or own.workers < own.max_worker_count:
            for step in own.steps:
                if step.counts[READY]:
                    for limit, units in step.limits:
                        if limit.current + units > limit.cap:
                            break
                    else:
                        return step
                    break
        return cls._takeable(view, own)

    def __len__(self) -> int:
        return len(self._heap) + sum(len(r[2]) for r in self._parked_list)

