"""Demand: which jobs each queue's policy holds, and how many idle workers new work needs.

The control plane reports what changes the work workers could take (a job created, a step's
dependencies resolved, a retry, a ``maxWorkerCount`` slot or limit units freed); this module
files the job with its queue's policy (``add``, or ``park`` on the limits that block it) and
wakes as many idle workers as could take the new work now, through the pool's ``notify``.

Invariant kept here: every task a worker could take is covered by a woken worker on its way, by
the worker that is about to ask again (the *credit*: a worker that just finished a run on a
single-queue fleet asks at once, so one unit of new work in that queue is covered), or no
worker is idle. A job parked on limits stays parked while all its READY work needs them: the
policy finds it there when units free up, and :meth:`Demand.limit_freed` wakes workers for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from farmsim.model.state import READY, JobLane

if TYPE_CHECKING:
    from farmsim.engine.farm import QueueState
    from farmsim.engine.workers import WorkerState
    from farmsim.model.state import JobState, LimitState, StepState
    from farmsim.scheduling.base import SchedulingPolicy, SchedulingView

__all__ = ["Demand"]


class Demand:
    """Files jobs with their queues' policies and wakes idle workers for new work.

    Args:
        queues: the farm's queues.
    """

    __slots__ = ("credit", "credit_fleet", "lane_fleets", "notify", "notify_fleet", "queues")

    def __init__(self, queues: list[QueueState]) -> None:
        self.queues = queues
        #: The queue whose just-finished worker is about to ask again (-1: none).
        self.credit = -1
        #: The fleet of that worker (the credit covers only work its fleet may take, in a
        #: queue that routes steps to fleets).
        self.credit_fleet = -1
        #: In queues that route steps to fleets: the fleets with a lane of a step that needs
        #: a limit, by (limit index, queue index): the fleets whose idle workers units of the
        #: limit coming free may wake (:meth:`limit_freed`).
        self.lane_fleets: dict[tuple[int, int], set[int]] = {}
        #: Wakes up to ``n`` idle workers for a queue (the worker pool's, set by it).
        self.notify: Callable[[int, int], None] = lambda queue_index, n: None
        #: Wakes up to ``n`` idle workers of one fleet for a queue (fleet index, queue index,
        #: n): for the work of a queue that routes steps to fleets (the pool's, set by it).
        self.notify_fleet: Callable[[int, int, int], None] = lambda fleet, queue, n: None

    def choose(self, policy: SchedulingPolicy, view: SchedulingView, worker: WorkerState
               ) -> tuple[JobState, StepState] | None:
        """Ask ``policy`` for ``worker``'s next task, then park the jobs it passed over."""
        choice = policy.choose(view, worker, worker.last_job)
        if policy.passed_over:
            self.park_passed_over(policy)
        return choice

    def park_passed_over(self, policy: SchedulingPolicy) -> None:
        """Park the jobs ``policy`` passed over in its last choice."""
        passed = policy.passed_over
        for job in passed:  # (a job passed over twice is parked twice: the first is stale)
            if job.final_status is None:
                self.park(job)
        passed.clear()

    def park(self, job: JobState) -> None:
        """Take ``job``, which has nothing assignable now, out of its policy's index (every
        entry of it becomes stale): at its ``maxWorkerCount`` it is re-filed when a slot frees
        (:meth:`slot_freed`); otherwise it is parked on each (limit, units) that blocks a step
        with READY tasks, where the policy finds it again when the limit has room."""
        job.in_index = False
        job.park_gen += 1
        if 0 < job.max_worker_count <= job.workers:
            return
        policy = (job.policy if isinstance(job, JobLane)
                  else self.queues[job.queue_index].policy)
        for limit, units in job.blocking_limits():
            policy.park(job, limit, units)

    def refile(self, job: JobState) -> None:
        """``job``'s standing changed (UpdateJob): every entry of it is stale; file it again."""
        job.in_index = False
        job.index_gen += 1
        job.park_gen += 1
        if job.lanes is not None:
            for lane in job.lanes:
                lane.in_index = False
                lane.index_gen += 1
                lane.park_gen += 1
        self.work_added(job, job.counts[READY])

    def work_added(self, job: JobState, new: int) -> None:
        """``new`` READY tasks of ``job`` may have become takeable (the job was created, a step's
        dependencies resolved, a task will be retried, or a ``maxWorkerCount`` slot came free):
        file the job (index it, or park it when nothing of it may be taken now) and wake as many
        idle workers as could take the new tasks now."""
        if job.final_status is not None or not job.counts[READY]:
            return
        ready = self.queues[job.queue_index].ready
        if ready is not None:  # (a scaling fleet serves the queue: it counts this work)
            ready.add(job)
        if 0 < job.max_worker_count <= job.workers:
            return  # a worker leaving it announces its slot (slot_freed)
        if job.lanes is not None:  # its queue routes: each lane, for its own fleet
            for lane in job.lanes:
                self._lane_work_added(lane, new)
            return
        n = min(new, job.takeable())
        if not job.in_index:
            if job.assignable_step() is not None:  # takeable now: index it
                job.in_index = True
                job.index_gen += 1
                job.park_gen += 1
                self.queues[job.queue_index].policy.add(job)
            else:  # parked on every (limit, units) that blocks its READY work
                self.park(job)
        if self.credit == job.queue_index:
            n -= 1  # the worker that just finished a run of this queue asks again at once
            self.credit = -1
        if n > 0:
            self.notify(job.queue_index, n)

    def _lane_work_added(self, lane: JobLane, new: int) -> None:
        """:meth:`work_added` for one lane of a job: filed with its fleet's policy, and as
        many of that fleet's idle workers woken as could take the new work now (one fewer if
        the finishing worker of that fleet asks at once: the credit)."""
        if not lane.counts[READY]:
            return
        n = min(new, lane.takeable())
        if not lane.in_index:
            if lane.assignable_step() is not None:
                lane.in_index = True
                lane.index_gen += 1
                lane.park_gen += 1
                lane.policy.add(lane)
            else:
                self.park(lane)
        if self.credit == lane.queue_index and self.credit_fleet == lane.fleet_index:
            n -= 1
            self.credit = -1
        if n > 0:
            self.notify_fleet(lane.fleet_index, lane.queue_index, n)

    def add_lanes(self, job: JobState) -> None:
        """Note the fleets of ``job``'s lanes whose steps need limits (:attr:`lane_fleets`)."""
        for lane in job.lanes or ():
            for step in lane.steps:
                for limit, _ in step.limits:
                    key = (limit.index, lane.queue_index)
                    fleets = self.lane_fleets.get(key)
                    if fleets is None:
                        fleets = self.lane_fleets[key] = set()
                    fleets.add(lane.fleet_index)

    def slot_freed(self, job: JobState) -> None:
        """A worker left a job whose ``maxWorkerCount`` bounds how many of its READY tasks may
        be taken: one more may be taken now.

        Keyed on the counts: a job at its maximum may still sit in the index (nobody has looked
        at it since), and every freed slot must be announced, also when several workers leave
        at one instant.
        """
        if job.counts[READY]:
            if job.in_index and self.credit == job.queue_index and job.lanes is None:
                self.credit = -1  # indexed, and the finishing worker asks again at once
                return
            self.work_added(job, 1)

    def limit_freed(self, limit: LimitState, units: int) -> None:
        """``units`` of ``limit`` came free: as many more READY tasks needing it may be taken,
        in any queue associated with it (parked or indexed jobs alike). Wake that many idle
        workers in each such queue, less the releasing worker, who asks again at once."""
        n = min(units, limit.blocked_ready)
        for queue_index in limit.queues:
            queue = self.queues[queue_index]
            if queue.lanes is not None:
                # A queue that routes: up to n idle workers of each fleet with a lane of a
                # step that needs the limit are woken (the credit covers its fleet's).
                fleets = self.lane_fleets.get((limit.index, queue_index), ())
                for fleet in queue.serving:
                    if fleet.index not in fleets:
                        continue
                    m = n
                    if self.credit == queue_index and self.credit_fleet == fleet.index:
                        m -= 1
                        self.credit = -1
                    if m > 0:
                        self.notify_fleet(fleet.index, queue_index, m)
                continue
            m = n
            if self.credit == queue_index:
                m -= 1
                self.credit = -1
            if m > 0:
                self.notify(queue_index, m)
