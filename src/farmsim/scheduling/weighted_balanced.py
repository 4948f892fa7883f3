"""``weightedBalanced``: the job of the highest weight first, equal weights shared evenly.

The API Reference ("WeightedBalancedSchedulingConfiguration") and the Developer Guide
("Schedule jobs in Deadline Cloud")::

    weight = priority * priorityWeight + errors * errorWeight
             + (now - submissionTime) * submissionTimeWeight
             + (renderingTasks - renderingTaskBuffer) * renderingTaskWeight

with the buffer applied only to the job the asking worker is on; the highest weight is
scheduled first, and workers are distributed evenly among jobs of equal weight. With
``maxPriorityOverride`` ``{alwaysScheduleFirst: {}}`` priority-100 jobs come before all others,
with ``minPriorityOverride`` ``{alwaysScheduleLast: {}}`` priority-0 jobs after all others (ties
among them by the formula); absent, they are ranked by the formula like any job.

farmsim's readings (docs/semantics.md D8): the time since submission is in seconds (the
Developer Guide's ``currentTimeInSeconds``; a queue's ``simulation.submission_time_unit`` may
count it in minutes or hours instead), a job's errors are its failed task runs, retried or not
(``simulation.error_count: failed_tasks`` counts its FAILED tasks instead), its rendering tasks
are its tasks in flight (assigned, in setup or running: ``counts[RUNNING]``, the asking
worker's own just-ended run no longer counted), and equal weights are broken by fewer workers on
the job, then the earliest submission.

An exact index although the weight grows with time: the age term ``(now - submitted_at) * w``
is ``now * w`` (the same for every job at a choice) minus ``submitted_at * w``, so jobs rank by
the *static weight* ``priority * pw + errors * ew + rendering * rw - submitted_at * w``, which
changes only when a job's errors or rendering tasks change (:class:`JobChange` FAILURES,
RENDERING: the job is re-keyed, :mod:`farmsim.scheduling._keyed`). Each entry is (override
rank, -static weight, workers, submit_seq). The buffer term concerns only the asking worker's
current job: after the index gives the first-ranked job, the current job's weight with the
buffer (``- buffer * rw``) is compared with it; when the buffer lowers the weight (a positive
``renderingTaskWeight``) and the current job ranks first, it is compared with the runner-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any, ClassVar, cast

from farmsim.model.config import (
    DEFAULT_ERROR_COUNT,
    DEFAULT_SUBMISSION_TIME_UNIT,
    SUBMISSION_TIME_UNITS,
)
from farmsim.model.state import RUNNING
from farmsim.scheduling._keyed import KeyedIndex
from farmsim.scheduling._parameters import read_parameters, read_settings
from farmsim.scheduling.base import JobChange

if TYPE_CHECKING:
    from farmsim.engine.workers import WorkerState
    from farmsim.model.state import JobLane, JobState, StepState
    from farmsim.scheduling.base import SchedulingView

__all__ = ["WeightedBalanced"]


class WeightedBalanced(KeyedIndex):
    """The ``weightedBalanced`` scheduling configuration (defaults: the API's).

    Args:
        priority_weight, error_weight, submission_time_weight, rendering_task_weight,
            rendering_task_buffer: the API's ``priorityWeight`` (0-10000), ``errorWeight``
            (-10000-10000), ``submissionTimeWeight`` (0-10000), ``renderingTaskWeight``
            (-10000-10000) and ``renderingTaskBuffer`` (0-1000).
        schedule_first: ``maxPriorityOverride: {alwaysScheduleFirst: {}}`` is set.
        schedule_last: ``minPriorityOverride: {alwaysScheduleLast: {}}`` is set.
        submission_time_unit: farmsim's setting: the time since submission counted in
            ``seconds`` (the default), ``minutes`` or ``hours``.
        error_count: farmsim's setting: a job's errors are its ``failed_attempts`` (the
            default) or its ``failed_tasks``.
    """

    __slots__ = ("_by_tasks", "_stick", "_unit", "buffer", "error_count", "error_weight",
                 "priority_weight", "rendering_weight", "schedule_first", "schedule_last",
                 "submission_time_unit", "submission_time_weight")
    name: ClassVar[str] = "weightedBalanced"
    #: The static weight holds rendering tasks and errors, the tie-break the workers.
    watches: ClassVar[JobChange] = JobChange.WORKERS | JobChange.RENDERING | JobChange.FAILURES

    def __init__(self, *, priority_weight: float = 100.0, error_weight: float = -10.0,
                 submission_time_weight: float = 3.0, rendering_task_weight: float = -100.0,
                 rendering_task_buffer: int = 1, schedule_first: bool = False,
                 schedule_last: bool = False,
                 submission_time_unit: str = DEFAULT_SUBMISSION_TIME_UNIT,
                 error_count: str = DEFAULT_ERROR_COUNT) -> None:
        read_parameters(self.name, {
            "priorityWeight": priority_weight, "errorWeight": error_weight,
            "submissionTimeWeight": submission_time_weight,
            "renderingTaskWeight": rendering_task_weight,
            "renderingTaskBuffer": rendering_task_buffer})
        read_settings({"submission_time_unit": submission_time_unit,
                       "error_count": error_count})
        super().__init__()
        self.priority_weight = float(priority_weight)
        self.error_weight = float(error_weight)
        self.submission_time_weight = float(submission_time_weight)
        self.rendering_weight = float(rendering_task_weight)
        self.buffer = rendering_task_buffer
        self.schedule_first = bool(schedule_first)
        self.schedule_last = bool(schedule_last)
        self.submission_time_unit = submission_time_unit
        self.error_count = error_count
        #: Seconds per unit of age (the weight is multiplied first, then divided: exact for
        #: round numbers).
        self._unit = SUBMISSION_TIME_UNITS[submission_time_unit]
        self._by_tasks = error_count == "failed_tasks"
        #: What the buffer takes off the current job's weight (its key grows by as much).
        self._stick = rendering_task_buffer * self.rendering_weight

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any] | None = None,
                        settings: Mapping[str, Any] | None = None) -> WeightedBalanced:
        """From the API's parameters (``{"priorityWeight": 50.0, "maxPriorityOverride":
        {"alwaysScheduleFirst": {}}}``, defaults for the rest) and a queue's ``simulation``
        settings (``submission_time_unit``, ``error_count``)."""
        p = read_parameters(cls.name, parameters)
        unit, errors = read_settings(settings)
        return cls(priority_weight=p["priorityWeight"], error_weight=p["errorWeight"],
                   submission_time_weight=p["submissionTimeWeight"],
                   rendering_task_weight=p["renderingTaskWeight"],
                   rendering_task_buffer=p["renderingTaskBuffer"],
                   schedule_first=p["maxPriorityOverride"],
                   schedule_last=p["minPriorityOverride"],
                   submission_time_unit=unit, error_count=errors)

    @property
    def parameters(self) -> dict[str, Any]:
        """Its parameters as the API names them (the overrides only when set)."""
        out: dict[str, Any] = {
            "priorityWeight": self.priority_weight, "errorWeight": self.error_weight,
            "submissionTimeWeight": self.submission_time_weight,
            "renderingTaskWeight": self.rendering_weight, "renderingTaskBuffer": self.buffer}
        if self.schedule_first:
            out["maxPriorityOverride"] = {"alwaysScheduleFirst": {}}
        if self.schedule_last:
            out["minPriorityOverride"] = {"alwaysScheduleLast": {}}
        return out

    def weight(self, job: JobState, now: float, *, current: bool = False) -> float:
        """``job``'s weight at ``now`` by the formula (with the buffer when it is the asking
        worker's ``current`` job): what the index ranks by, for reports and tests."""
        base = cast("JobLane", job).job if self._lanes else job
        errors = base.failed_tasks if self._by_tasks else base.failed_attempts
        rendering = base.counts[RUNNING] - (self.buffer if current else 0)
        return (job.priority * self.priority_weight + errors * self.error_weight
                + (now - base.submitted_at) / self._unit * self.submission_time_weight
                + rendering * self.rendering_weight)

    def _entry(self, job: JobState, gen: int) -> tuple[Any, ...]:
        priority = job.priority
        base = cast("JobLane", job).job if self._lanes else job
        # -(static weight), in one expression (hot path: twice per task run)
        key = (base.submitted_at * self.submission_time_weight / self._unit
               - priority * self.priority_weight
               - (base.failed_tasks if self._by_tasks else base.failed_attempts)
               * self.error_weight
               - base.counts[RUNNING] * self.rendering_weight)
        if 0 < priority < 100:
            return (1, key, job.workers, job.submit_seq, gen, job)
        rank = (0 if priority == 100 and self.schedule_first
                else 2 if priority == 0 and self.schedule_last else 1)
        return (rank, key, job.workers, job.submit_seq, gen, job)

    def choose(
        self, view: SchedulingView, worker: WorkerState, current_job: JobState | None
    ) -> tuple[JobState, StepState] | None:
        found = self._best(view)
        if found is None:
            return None
        entry, source, job, step = found
        stick = self._stick
        if current_job is None or not stick:
            return job, step
        if self._lanes:
            own = self._own(current_job)
            if own is None:
                return job, step
        elif current_job.queue_index == self._queue and current_job.lanes is None:
            own = current_job  # (KeyedIndex._own inlined for a queue that does not route)
        else:
            return job, step
        if own is job:
            if stick < 0:
                return job, step  # the buffer raises its weight: it still ranks first
            # The buffer lowers the current job's weight: does the runner-up rank first now?
            heappop(source)
            runner = self._best(view)
            heappush(source, entry)
            if runner is not None and runner[0][:4] < (entry[0], entry[1] + stick, entry[2],
                                                        entry[3]):
                return runner[2], runner[3]
            return job, step
        if stick > 0:
            return job, step  # it ranks after job without the buffer, and the buffer lowers it
        mine = self._entry(own, 0)
        rank, key = mine[0], mine[1] + stick
        if rank > entry[0] or (rank == entry[0] and (
                key > entry[1] or (key == entry[1] and (mine[2], mine[3]) > entry[2:4]))):
            return job, step  # job still ranks first (entries never tie: submit_seq)
        found_step = self._current_step(view, own)
        if found_step is not None:
            return own, found_step
        return job, step
