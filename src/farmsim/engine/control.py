"""The control plane: the farm's rules, applied at simulated times.

It answers a worker's request for its next task (through the queues' scheduling policies) and
applies the end of a task run (success, retry, failure, dependency resolution, limit release),
a job's creation and cancellation, and UpdateJob. It is plain Python, built from parts:

* :class:`~farmsim.engine.farm.Farm`: queues, fleets, limits and their associations;
* :class:`~farmsim.engine.jobs.JobFactory`: new jobs, and every duration and outcome drawn;
* :class:`~farmsim.engine.sessions.Sessions`: the actions around task runs (semantics E);
* :class:`~farmsim.engine.demand.Demand`: which jobs the policies hold, and how many idle
  workers new work needs.

The SimPy processes of :mod:`farmsim.engine.workers` call it; it calls back through two hooks
the worker pool sets: ``demand.notify(queue_index, n)`` when work appears that idle workers
should notice, and ``cancel_worker(worker)`` when a running task run is canceled. It is also
the :class:`~farmsim.scheduling.base.SchedulingView` the policies see: read-only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from heapq import heapify, heappop
from typing import TYPE_CHECKING

from farmsim.engine.demand import Demand
from farmsim.engine.farm import Farm
from farmsim.engine.jobs import JobFactory
from farmsim.engine.sampling import SamplePools
from farmsim.engine.sessions import Sessions
from farmsim.errors import SimulationError
from farmsim.model.enums import (
    WORKER_STATUS_CODES,
    CreateJobTargetTaskRunStatus,
    WorkerStatus,
)
from farmsim.model.state import (
    CANCELED,
    FAILED,
    INTERRUPTING,
    NOT_COMPATIBLE,
    PENDING,
    READY,
    RUNNING,
    SUCCEEDED,
    SUSPENDED,
    TERMINAL_JOB_STATUSES,
    JobLane,
    JobState,
    StepState,
    StoppedLimit,
)
from farmsim.record.recorder import USER, Recorder, pack_event, pack_worker
from farmsim.record.runs import (
    NO_RUN,
    RUN_CANCELED,
    RUN_FAILED,
    RUN_INTERRUPTED,
    RUN_SUCCEEDED,
    pack_run,
)
from farmsim.scheduling import JobChange

if TYPE_CHECKING:
    import numpy as np

    from farmsim.engine.farm import FleetState, QueueState
    from farmsim.engine.workers import WorkerState
    from farmsim.model.config import FarmConfig, JobSubmission
    from farmsim.model.runtimes import RuntimeModel
    from farmsim.model.state import LimitState
    from farmsim.scheduling.base import SchedulingPolicy

__all__ = ["ControlPlane"]

_IDLE = WORKER_STATUS_CODES[WorkerStatus.IDLE]
_RUNNING = WORKER_STATUS_CODES[WorkerStatus.RUNNING]
_STOPPING = WORKER_STATUS_CODES[WorkerStatus.STOPPING]
#: Every combination of JobChange flags by value, and the ones the engine reports, as ints
#: (building an IntFlag from an operation costs microseconds on the hot path).
_FLAGS = tuple(JobChange(i) for i in range(int(max(JobChange)) * 2))
_WORKERS = int(JobChange.WORKERS)
_WORKERS_RENDERING = int(JobChange.WORKERS | JobChange.RENDERING)
_FAILURES = int(JobChange.FAILURES)
_STATUS = int(JobChange.STATUS)

Choice = tuple[JobState, StepState]

#: A user's target status (UpdateJob/UpdateStep/UpdateTask) by name.
_TARGET_CODES = {"READY": READY, "PENDING": PENDING, "SUSPENDED": SUSPENDED,
                 "CANCELED": CANCELED, "FAILED": FAILED, "SUCCEEDED": SUCCEEDED}
#: The statuses of the tasks a job's or step's target moves (in-flight tasks apart: every
#: target but READY stops their runs, semantics A.3).
_MOVED = {
    "PENDING": frozenset({READY, PENDING, SUSPENDED, CANCELED, FAILED, SUCCEEDED}),
    "READY": frozenset({SUSPENDED, CANCELED, FAILED}),
    "SUSPENDED": frozenset({READY, PENDING}),
    "CANCELED": frozenset({READY, PENDING, SUSPENDED}),
    "FAILED": frozenset({READY, PENDING, SUSPENDED, CANCELED}),
    "SUCCEEDED": frozenset({READY, PENDING, SUSPENDED, CANCELED, FAILED}),
}
#: A task's target moves it whatever its status (NOT_COMPATIBLE apart).
_MOVED_TASK = frozenset({READY, PENDING, SUSPENDED, CANCELED, FAILED, SUCCEEDED})


class ControlPlane:
    """The farm's state and rules, without SimPy.

    Args:
        farm: the farm configuration.
        runtimes: runtime rules for durations and failures.
        first_attempts: the Generator of every task's first attempt (drawn per step when its
            job is created, in submission order, so the same whatever the farm does).
        during_run: the Generator of what is drawn as the run goes: retries, adaptive chunks
            and session actions other than task runs.
        recorder: where records go.
    """

    def __init__(
        self, farm: FarmConfig, runtimes: RuntimeModel, first_attempts: np.random.Generator,
        during_run: np.random.Generator, recorder: Recorder,
    ) -> None:
        #: The current time as the policies see it (``SchedulingView.now``).
        self.now = 0.0
        self.farm = Farm(farm)
        self.queues = self.farm.queues
        self.fleets = self.farm.fleets
        self.limits = self.farm.limits
        pools = SamplePools(during_run)
        #: Every task's SUCCEEDED run (the recorder's).
        self.succeeded = recorder.succeeded
        self.factory = JobFactory(self.farm, runtimes, SamplePools(first_attempts), pools,
                                  self.succeeded)
        self.sessions = Sessions(self.factory.action_rule, pools, recorder)
        self.factory.sessions = self.sessions
        self.demand = Demand(self.queues)
        self.recorder = recorder
        # Bound once: each is called once per record.
        self._run = recorder.runs.extend
        self._event = recorder.task_events.extend
        self._worker_event = recorder.worker_events.extend
        #: The sequence number of the next change recorded (task events, runs' assignments and
        #: ends): orders the changes made at one instant (``farmsim.record.runs``).
        self.seq = 0
        self.jobs: list[JobState] = []
        self.steps: list[StepState] = []
        self._session_count = 0
        #: Set by the worker pool: interrupts a worker whose task run was canceled.
        self.cancel_worker: Callable[[WorkerState], None] = lambda worker: None
        #: Optional audit hooks (tests): called after each assignment, and when a worker asks
        #: and gets nothing. ``None`` costs one check per request.
        self.on_assign: Callable[[WorkerState, float], None] | None = None
        self.on_idle: Callable[[WorkerState, float], None] | None = None
        #: Tasks INTERRUPTING on a worker whose host is going away, by worker index: READY
        #: again when the worker has stopped (:meth:`interrupt`, :meth:`worker_stopped`).
        self._held: dict[int, list[tuple[StepState, int]]] = {}

    # ------------------------------------------------------------------ the policies' view

    #: The :class:`~farmsim.scheduling.base.SchedulingView` method: the first step of a job
    #: with a READY task a worker may take now, or None. Changes nothing. (The job's own
    #: method, without a call in between: policies call it once per choice.)
    assignable_step = staticmethod(JobState.assignable_step)

    # ------------------------------------------------------------------ jobs

    def submit(self, submission: JobSubmission, now: float) -> JobState:
        """Create a job (``CreateJob``) at ``now``; returns its state."""
        self.now = now
        queue = self.farm.queue_by_name[submission.queue]
        job, incompatible = self.factory.create(submission, queue, len(self.jobs),
                                                len(self.steps), now)
        self.jobs.append(job)
        self.steps.extend(job.steps)
        queue.jobs.append(job)
        if not incompatible and len(queue.fleets) > 1:
            self._file_by_fleet(job, queue)
        event = self._record_event
        if incompatible:
            # Semantics A.2 row 4: the incompatible steps NOT_COMPATIBLE, all others CANCELED.
            for step in job.steps:
                code = NOT_COMPATIBLE if step.index in incompatible else CANCELED
                step.fill(code)
                step.next_fresh = step.task_count
                event(now, step, 0, step.task_count, code)
        elif submission.target_task_run_status == CreateJobTargetTaskRunStatus.SUSPENDED:
            for step in job.steps:
                step.fill(SUSPENDED)
                step.next_fresh = step.task_count
                event(now, step, 0, step.task_count, SUSPENDED)
        else:
            for step in job.steps:
                self.factory.draw_step(job, step, queue)
                step.created_seq = step.ready_seq = self.seq
                if step.deps_left == 0:
                    step.fill(READY)
                    step.ready_at = now
                    self._blocked_ready(step, step.task_count)
                else:
                    step.fill(PENDING)
                if step.chunks is None:  # an adaptive step's chunks get theirs when formed
                    event(now, step, 0, step.task_count,
                          step.status[0] if step.task_count else READY)
                else:
                    self.seq += 1
            self.demand.work_added(job, job.counts[READY])
        self._check_job_end(job)
        return job

    def update_job(self, job: JobState, *, priority: int | None = None,
                   max_worker_count: int | None = None, max_retries: int | None = None,
                   max_failed: int | None = None, now: float | None = None) -> None:
        """UpdateJob's ``priority``, ``maxWorkerCount``, ``maxRetriesPerTask`` and
        ``maxFailedTasksCount`` at the current time (``now``, needed with ``max_failed``).

        They act at task boundaries: nothing running is stopped; a higher ``maxWorkerCount``
        wakes idle workers for the slots it opens, and the job is re-filed in its queue's
        policy, which is told. ``maxRetriesPerTask`` counts for the failures from now on. A
        ``maxFailedTasksCount`` the job's FAILED tasks already reach stops the job at once,
        as reaching it would have (semantics D3).

        Each setting whose value changes is recorded (the ``job_updates`` table) at ``now``, or
        at the control plane's time when ``now`` is not given."""
        record = self.recorder.job_update
        at = self.now if now is None else now
        if max_retries is not None:
            if max_retries != job.max_retries:
                record(at, job.index, "max_retries_per_task", max_retries, job.max_retries)
            job.max_retries = max_retries
        if max_failed is not None:
            if max_failed != job.max_failed:
                record(at, job.index, "max_failed_tasks_count", max_failed, job.max_failed)
            job.max_failed = max_failed
            if (job.final_status is None and job.failed_tasks
                    and job.failed_tasks >= max(1, max_failed)):
                if now is None:
                    raise SimulationError("update_job(max_failed=) needs the time (now=)")
                self.now = now
                self._cancel_job(job, now)
                self._check_job_end(job)
        what = JobChange(0)
        if priority is not None and priority != job.priority:
            record(at, job.index, "priority", priority, job.priority)
            job.priority = priority
            what |= JobChange.PRIORITY
        if max_worker_count is not None and max_worker_count != job.max_worker_count:
            record(at, job.index, "max_worker_count", max_worker_count, job.max_worker_count)
            job.max_worker_count = max_worker_count
            what |= JobChange.MAX_WORKERS
        if not what or job.final_status is not None:
            return
        self._changed(job, what)
        self.demand.refile(job)

    def update_limit(self, limit: LimitState, max_count: int, now: float) -> None:
        """UpdateLimit's ``maxCount`` at ``now`` (semantics D): runs holding units keep them;
        a lower maximum starts nothing until usage is below it, a higher one wakes idle
        workers for the READY work waiting on the units it frees."""
        room_before = max(0, limit.room())
        limit.set_max_count(max_count, now)
        freed = max(0, limit.room()) - room_before
        if freed > 0 and limit.blocked_ready:
            self.demand.limit_freed(limit, freed)

    def set_policy(self, queue: QueueState, policy: SchedulingPolicy,
                   make: Callable[[], SchedulingPolicy] | None = None) -> None:
        """Schedule ``queue`` with ``policy`` from now on (a new schedulingConfiguration): its
        jobs that have not ended are filed with the new policy (or, when the queue routes,
        with new policies of each fleet, made by ``make``, default copies of ``policy``),
        and idle workers are woken for what they may take."""
        queue.set_policy(policy, make)
        lanes = queue.lanes
        for job in queue.jobs:
            if job.final_status is None:
                if lanes is not None and job.lanes is not None:
                    for lane in job.lanes:
                        lane.policy = lanes[lane.fleet_index]
                self.demand.refile(job)

    def _changed(self, job: JobState, what: int) -> None:
        """Tell the job's policy (its lanes' policies, when its queue routes) ``what`` (a
        :class:`JobChange` value) changed, if it watches it. (Hot path: plain ints, and the
        flags told are taken from :data:`_FLAGS`: combining IntFlags costs microseconds.)"""
        if job.lanes is not None:
            for lane in job.lanes:
                policy = lane.policy
                told = int(policy.watches) & what
                if told:
                    policy.changed(lane, _FLAGS[told])
            return
        told = job.watches & what  # (the queue's policy's watches, as an int)
        if told:
            self.queues[job.queue_index].policy.changed(job, _FLAGS[told])

    # ------------------------------------------------------------------ routing

    def _file_by_fleet(self, job: JobState, queue: QueueState) -> None:
        """Give a new ``job`` of ``queue`` (it has several fleets) a lane per fleet that may
        take a step of it, if some fleet may not take every step (semantics F.6: a worker
        takes only the steps its fleet satisfies). The queue routes from then on."""
        can_take = self.farm.can_take
        fleets = queue.fleets
        if queue.lanes is None:
            if all(can_take(fleet, step.structure) for fleet in fleets for step in job.steps):
                return
            self._route(queue, job)
        lanes = queue.lanes
        if lanes is None:  # (not reached: set by _route)
            raise SimulationError(f"queue#{queue.index} routes with no lanes")
        job.lanes = []
        for fleet in fleets:
            steps = [step for step in job.steps if can_take(fleet, step.structure)]
            if steps:
                job.lanes.append(JobLane(job, fleet.index, steps, lanes[fleet.index]))
        self.demand.add_lanes(job)

    def _route(self, queue: QueueState, new: JobState) -> None:
        """From now on, ``queue`` files its jobs by fleet: each fleet of it has a policy of
        its own, and each job a lane in the policy of each fleet that may take a step of it.
        Its jobs created before (all but ``new``) keep the compatibility decided then
        (docs/semantics.md D23): every fleet may take each of their steps. Its fleets ask
        their own policies of it from now on (``FleetState.choose_mode``)."""
        lanes = queue.lanes = {fleet.index: queue.make_policy() for fleet in queue.fleets}
        for job in queue.jobs:
            if job is new or job.final_status is not None:
                continue
            job.lanes = [JobLane(job, fleet.index, job.steps, lanes[fleet.index])
                         for fleet in queue.fleets]
            self.demand.add_lanes(job)
            job.in_index = False  # (its entries in the queue's policy are not read again)
            if job.counts[READY]:
                self.demand.work_added(job, job.counts[READY])
        for fleet in queue.fleets:
            fleet.choose_mode()

    # ------------------------------------------------------------------ limits and queues

    def create_limit(self, amount: str, max_count: int) -> LimitState:
        """CreateLimit: a new limit, associated with no queue yet."""
        return self.farm.add_limit(amount, max_count)

    def associate_limit(self, queue: QueueState, limit: LimitState, amount: str) -> None:
        """CreateQueueLimitAssociation: jobs of ``queue`` created from now on that name
        ``amount`` use ``limit`` (those created before keep what they were created with:
        compatibility is decided at creation, and on a requeue)."""
        self.farm.associate(queue, limit, amount)

    def stop_limit_usage(self, queue: QueueState, limit: LimitState, amount: str,
                         now: float, *, cancel: bool) -> None:
        """UpdateQueueLimitAssociation STOP_LIMIT_USAGE_AND_COMPLETE_TASKS (``cancel`` False)
        or _AND_CANCEL_TASKS: no task of ``queue`` takes ``limit``'s units from now on (those
        tasks stay READY); runs holding them finish, or with ``cancel`` are stopped now, their
        tasks READY again without a retry counted (semantics D.5, 10.11)."""
        self.now = now
        stopped = StoppedLimit(limit)
        queue.limits_by_amount[amount.lower()] = stopped
        if queue.index in limit.queues:
            limit.queues.remove(queue.index)  # (its releases wake nobody in this queue)
        for job in queue.jobs:
            for step in job.steps:
                if any(lim is limit for lim, _ in step.limits):
                    step.limits = tuple((stopped if lim is limit else lim, units)
                                        for lim, units in step.limits)
        if cancel:
            for worker in self.limit_holders(queue, limit):
                self._stop_run(worker, now, RUN_CANCELED, READY, reset_retries=False)
        for job in queue.jobs:
            if job.final_status is None:
                self.demand.refile(job)
                self._check_job_end(job)

    def resume_limit_usage(self, queue: QueueState, limit: LimitState, amount: str,
                           now: float) -> None:
        """UpdateQueueLimitAssociation ACTIVE after a stop: ``queue``'s tasks take ``limit``'s
        units again, and idle workers are woken for what may be taken."""
        self.now = now
        queue.limits_by_amount[amount.lower()] = limit
        if queue.index not in limit.queues:
            limit.queues.append(queue.index)
        for job in queue.jobs:
            for step in job.steps:
                if any(isinstance(lim, StoppedLimit) and lim.limit is limit
                       for lim, _ in step.limits):
                    step.limits = tuple(
                        (limit if isinstance(lim, StoppedLimit) and lim.limit is limit
                         else lim, units) for lim, units in step.limits)
            if job.final_status is None:
                self.demand.refile(job)

    def dissociate_limit(self, queue: QueueState, amount: str) -> None:
        """DeleteQueueLimitAssociation (after STOPPED): jobs of ``queue`` created from now on
        that name ``amount`` are NOT_COMPATIBLE; those created before keep waiting for it."""
        queue.limits_by_amount.pop(amount.lower(), None)

    def limit_holders(self, queue: QueueState, limit: LimitState) -> list[WorkerState]:
        """Workers running a task of ``queue`` that holds ``limit``'s units now."""
        out = []
        for fleet in queue.fleets:
            for worker in fleet.workers:
                job, step = worker.job, worker.step
                if (job is not None and step is not None and job.queue_index == queue.index
                        and any(lim is limit or (isinstance(lim, StoppedLimit)
                                                 and lim.limit is limit)
                                for lim, _ in step.limits)):
                    out.append(worker)
        return out

    def stop_scheduling(self, queue: QueueState, fleet: FleetState, now: float, *,
                        cancel: bool) -> None:
        """UpdateQueueFleetAssociation STOP_SCHEDULING_AND_COMPLETE_TASKS (``cancel`` False)
        or _AND_CANCEL_TASKS: ``fleet``'s workers take no task of ``queue`` from now on; the
        runs they have of it finish, or with ``cancel`` are stopped now, their tasks READY
        again without a retry counted (semantics C.6, D11). Other fleets of the queue go on."""
        self.now = now
        pos = fleet.queues.index(queue)
        if pos in fleet.stopped:
            if not cancel:
                return
        else:
            fleet.stopped.add(pos)
            queue.serving.remove(fleet)
            fleet.choose_mode()
            for worker in fleet.workers:
                if worker.woken_for == queue.index:
                    # Woken for this queue's work, which it will not take: wake another.
                    worker.woken_for = -1
                    self.demand.notify(queue.index, 1)
        if cancel:
            for worker in self.scheduling_holders(queue, fleet):
                if worker.job is not None:
                    self._stop_run(worker, now, RUN_CANCELED, READY, reset_retries=False)
        for job in queue.jobs:
            if job.final_status is None:
                self.demand.refile(job)

    def resume_scheduling(self, queue: QueueState, fleet: FleetState, now: float) -> None:
        """UpdateQueueFleetAssociation ACTIVE after a stop: ``fleet``'s workers take
        ``queue``'s work again; idle ones are woken for it."""
        self.now = now
        pos = fleet.queues.index(queue)
        if pos not in fleet.stopped:
            return
        fleet.stopped.discard(pos)
        queue.serving[:] = [f for f in queue.fleets
                            if f is fleet or f in queue.serving]
        fleet.choose_mode()
        for job in queue.jobs:
            if job.final_status is None:
                self.demand.refile(job)

    def scheduling_holders(self, queue: QueueState, fleet: FleetState) -> list[WorkerState]:
        """Workers of ``fleet`` running a task of ``queue`` (in its session's setup too) or
        exiting a session of one."""
        index = queue.index
        return [worker for worker in fleet.workers
                if (worker.job is not None and worker.job.queue_index == index)
                or (worker.closing is not None and worker.closing.queue_index == index)]

    # ------------------------------------------------------------------ a worker asks

    def start_next(self, worker: WorkerState, now: float) -> float | None:
        """Assign ``worker`` its next task run and return its duration (with its session's
        setup), or the time the envExits of the session it leaves take, or None (the worker
        goes idle, or stops) if nothing may be taken.

        On an assignment the worker's ``job``, ``step``, ``task``, ``attempt``, ``ready_at``,
        ``assigned_at`` and ``succeeded`` describe the run, the task is RUNNING and the step's
        limit units are held.
        """
        self.now = now  # what the policies see (view.now): a woken worker asks at its poll
        return self._assign(worker, now)

    def _assign(self, worker: WorkerState, now: float, covered: bool = False) -> float | None:
        """:meth:`start_next` once ``self.now`` is ``now``. ``covered``: new work was announced
        with one wake fewer because this worker would ask at once (the finishing worker's
        credit, :mod:`farmsim.engine.demand`); if it leaves for its session's envExits instead,
        an idle worker is woken in its place."""
        # Hot path: runs once per task run.
        session_job = worker.session_job
        if session_job is not None and worker.entered and (
                not worker.session_ok or worker.status == _STOPPING
                or not session_job.counts[READY] or session_job.assignable_step() is None):
            # The session ends whatever the policy would choose (its job has nothing this
            # worker may take): its envExits run first, and the policy is asked after them.
            worker.session_job = None
            if self._close_session(worker, session_job, now, covered):
                return worker.closing_until - now
            session_job = None
        fleet = worker.fleet
        policy = fleet.policy  # (None unless the fleet serves exactly one queue)
        choice: Choice | None
        if policy is not None and worker.status != _STOPPING:
            # NOTE: Demand.choose inlined (runs once per task run)
            choice = policy.choose(self, worker, worker.last_job)
            if policy.passed_over:
                self.demand.park_passed_over(policy)
        elif worker.status == _STOPPING or not fleet.multi_queue:
            choice = None  # retiring (it takes nothing new, and ends its session), or no queue
            pos = 0
        else:
            choice, pos = self._choose_among_queues(fleet, worker)
            woken_for = worker.woken_for
            if woken_for >= 0:
                worker.woken_for = -1
                if choice is not None and fleet.queues[pos].index != woken_for:
                    # Woken for one queue, this worker serves another: pass the wake on (to
                    # its own fleet, if that queue routes: the work was this fleet's).
                    self.pass_on(worker, woken_for)
        new_session = (choice is None or choice[1].job is not session_job
                       or not worker.session_ok)
        if new_session and session_job is not None:
            # The session ends (E.3): its envExits run before anything else. The worker holds
            # its place on the job (maxWorkerCount, semantics C.7) and takes no new work nor
            # limit units until they are done, then asks again (one active session per worker).
            worker.session_job = None
            if worker.entered and self._close_session(worker, session_job, now, covered):
                return worker.closing_until - now
        if choice is None:
            if worker.status == _STOPPING:
                if covered:  # it was to take new work of its queue at once: wake another
                    self.pass_on(worker, fleet.queues[0].index)
                return None  # the pool stops it
            if worker.status != _IDLE:
                worker.status = _IDLE
                worker.idle_since = now
                self._worker_event(pack_worker(now, worker.index, _IDLE))
                if fleet.autoscaler is not None:  # (a scaling fleet may shrink)
                    fleet.autoscaler.idle(worker)
            worker.last_job = None
            if self.on_idle is not None:
                self.on_idle(worker, now)
            return None
        step = choice[1]
        job = step.job  # (the choice names a lane of it when its queue routes)
        if step.retry_heap:
            task = heappop(step.retry_heap)
            ready_at = step.task_ready_at.pop(task)
            attempt = worker.attempt = step.retries.get(task, 0)
            if not attempt:  # requeued by a user: its READY time is not the step's
                self.succeeded.retry_ready[step.run_base + task] = ready_at
        else:
            task = step.next_fresh
            step.next_fresh = task + 1
            ready_at = step.ready_at
            attempt = worker.attempt = 0
            if step.chunks is not None:
                self.factory.draw_chunk(step, task)
                self._creation_events(step, task, task + 1)
        step.status[task] = RUNNING
        # NOTE: StepState.shift(READY, RUNNING) inlined (runs once per task run)
        counts, job_counts = step.counts, job.counts
        counts[READY] -= 1
        counts[RUNNING] += 1
        if job_counts is not counts:  # (one list for a one-step job)
            job_counts[READY] -= 1
            job_counts[RUNNING] += 1
        if not job_counts[READY]:
            # Its last READY task taken: its entries in the policy's index are stale now (the
            # policy drops them as it meets them; new READY work files the job again), rather
            # than met, found unassignable and parked on nothing.
            job.in_index = False
        if step.limits:
            # NOTE: taking the step's limit units, inlined (once per task run)
            for limit, units in step.limits:
                limit.blocked_ready -= 1  # (not recorded: the usage timeline's rise tells it)
                limit.current += units
                if limit.current > limit.peak:  # noqa: PLR1730  (no max() call)
                    limit.peak = limit.current
                limit.usage_times.append(now)
                limit.usage_counts.append(limit.current)
        job.workers += 1
        if fleet.multi_queue:
            fleet.served[pos] += 1
            worker.queue_pos = pos
        if job.watches:  # NOTE: _changed inlined for a queue that does not route
            told = job.watches & _WORKERS_RENDERING
            if job.lanes is not None:
                self._changed(job, _WORKERS_RENDERING)
            elif told:
                self.queues[job.queue_index].policy.changed(job, _FLAGS[told])
        if job.started_at != job.started_at:  # NaN: first task of the job
            job.started_at = now
        worker.ready_at = ready_at
        worker.job = job
        worker.step = step
        worker.task = task
        worker.assigned_at = now
        worker.assign_seq = self.seq
        self.seq += 1
        if new_session and worker.status != _RUNNING:  # (an idle worker has no session)
            worker.status = _RUNNING
            self._worker_event(pack_worker(now, worker.index, _RUNNING))
        if attempt:
            duration, worker.succeeded = self.factory.draw_retry(step, task)
        else:
            failures = step.failures
            worker.succeeded = failures is None or not failures[task]
            duration = step.durations[task]
        if duration > fleet.task_cap:  # a service-managed fleet stops a task run at 5 days
            duration = fleet.task_cap
            worker.succeeded = False
        if self.on_assign is not None:
            self.on_assign(worker, now)
        plan = job.plan
        if new_session:  # it syncs and enters environments
            worker.session = self._session_count
            self._session_count += 1
            worker.session_job = job
            worker.session_ok = True
            worker.session_runs = 1
            if plan is None:
                worker.started_at = now
                return duration
            worker.session_step = step
            setup = self.sessions.open(worker, job, plan, step, now)
        else:
            worker.session_runs += 1
            if plan is None or step is worker.session_step:  # the common case: no setup
                worker.started_at = now
                return duration
            setup = self.sessions.switch_step(worker, step, now) if plan.switch_cost else 0.0
            worker.session_step = step
        if not worker.session_ok:  # a setup action failed: so does this attempt (E.4)
            worker.started_at = math.nan
            return setup
        if setup == 0.0:
            worker.started_at = now
            return duration
        worker.started_at = now + setup
        return setup + duration

    def _choose_among_queues(self, fleet: FleetState, worker: WorkerState
                             ) -> tuple[Choice | None, int]:
        """Semantics 10.10: the least-served queue (by this fleet's workers) first, ties in
        round-robin order."""
        queues = fleet.queues
        n = len(queues)
        served, rr, stopped = fleet.served, fleet.rr, fleet.stopped
        for pos in sorted(range(n), key=lambda i: (served[i], (i - rr) % n)):
            if stopped and pos in stopped:
                continue  # its queue-fleet association stopped scheduling
            queue = queues[pos]
            lanes = queue.lanes
            choice = self.demand.choose(queue.policy if lanes is None else lanes[fleet.index],
                                        self, worker)
            if choice is not None:
                fleet.rr = (pos + 1) % n
                return choice, pos
        return None, 0

    def pass_on(self, worker: WorkerState, queue_index: int) -> None:
        """``worker`` will not take the work of ``queue_index`` it was to take (woken for it,
        or covering it as it finished a run): wake an idle worker in its place (of its own
        fleet when the queue routes steps to fleets: the work was its fleet's)."""
        if self.queues[queue_index].lanes is None:
            self.demand.notify(queue_index, 1)
        else:
            self.demand.notify_fleet(worker.fleet_index, queue_index, 1)

    # ------------------------------------------------------------------ sessions ending

    def _close_session(self, worker: WorkerState, job: JobState, now: float,
                       covered: bool) -> bool:
        """Run the envExits of ``worker``'s session on ``job`` from ``now``. True when they
        take time: the worker then stays on the job until ``worker.closing_until``, and if
        it was ``covered`` (expected to take new work at once: the credit of a finishing
        worker) an idle worker is woken in its place."""
        end = self.sessions.close(worker, job, now)
        if end <= now:
            return False
        worker.closing = job
        worker.closing_until = end
        job.workers += 1
        if job.watches:
            self._changed(job, _WORKERS)
        if worker.fleet.multi_queue:
            worker.fleet.served[worker.queue_pos] += 1
        if covered:
            self.pass_on(worker, job.queue_index)
        return True

    def _slot_freed_by(self, worker: WorkerState, job: JobState) -> None:
        """``worker`` left ``job`` (its session's envExits are done) while the job's
        ``maxWorkerCount`` was binding: a slot means a task. The worker asks at once after
        this: on a single-queue fleet that covers one unit of its queue's new work."""
        demand = self.demand
        demand.credit = -1 if worker.fleet.multi_queue else job.queue_index
        demand.credit_fleet = worker.fleet_index
        demand.slot_freed(job)
        demand.credit = -1

    # ------------------------------------------------------------------ a run ends

    def finish_and_next(self, worker: WorkerState, now: float) -> float | None:
        """End ``worker``'s task run (or its session's envExits) at ``now`` and start its next
        (see :meth:`start_next`). A run's outcome is ``worker.succeeded``."""
        # Hot path: runs once per task run. Ending a run and starting the next is one call from
        # the worker process; release and success are inlined for the common case.
        self.now = now
        closed = worker.closing
        if closed is not None:  # the envExits of an ended session are done: it leaves the job
            # (inlined: once per session that ends with envExits)
            worker.closing = None
            closed.workers -= 1
            if closed.watches:
                self._changed(closed, _WORKERS)
            fleet = worker.fleet
            if fleet.multi_queue:
                fleet.served[worker.queue_pos] -= 1
            if 0 < closed.max_worker_count <= closed.counts[READY] + closed.workers:
                self._slot_freed_by(worker, closed)
            return self._assign(worker, now)  # (it has no session left to close)
        job, step, task = worker.job, worker.step, worker.task
        if job is None or step is None:
            raise SimulationError(f"worker#{worker.index} ends a task run it does not have")
        fleet = worker.fleet
        demand = self.demand
        # The worker asks again at once after this: on a single-queue fleet it will take a
        # task of this queue if there is one, so one unit of new work there is covered.
        demand.credit = -1 if fleet.multi_queue else job.queue_index
        demand.credit_fleet = worker.fleet_index
        if step.limits:
            self._release_limits(step, now)
        job.workers -= 1
        if fleet.multi_queue:
            fleet.served[worker.queue_pos] -= 1
        worker.last_job = job
        if worker.succeeded:
            step.status[task] = SUCCEEDED
            # NOTE: StepState.shift(RUNNING, SUCCEEDED) inlined (runs once per task run)
            counts, job_counts = step.counts, job.counts
            counts[RUNNING] -= 1
            counts[SUCCEEDED] += 1
            if job_counts is not counts:  # (one list for a one-step job)
                job_counts[RUNNING] -= 1
                job_counts[SUCCEEDED] += 1
            # The task's one SUCCEEDED run goes to its slot of the run columns (no record).
            runs = self.succeeded
            slot = step.run_base + task
            runs.worker[slot] = worker.index
            runs.session[slot] = worker.session
            runs.seq[slot] = worker.session_runs
            runs.assigned[slot] = worker.assigned_at
            runs.started[slot] = worker.started_at
            runs.ended[slot] = now
            runs.assign_seq[slot] = worker.assign_seq
            runs.end_seq[slot] = self.seq  # (no increment: a run's end sorts before the
            # change that takes this number, farmsim.record.runs)
            if worker.attempt:
                runs.retry_ready[slot] = worker.ready_at
            chunks = step.chunks
            if chunks is not None and chunks.observe(now - worker.started_at,
                                                     chunks.counts[task]):
                self._replan(step)
            worker.job = worker.step = None
            if counts[SUCCEEDED] == step.task_count:
                self._step_succeeded(step, now)
        else:
            self._run_failed(worker, job, step, task, now)
        if job.watches:  # (once its task has left RUNNING: a policy may read either count)
            told = job.watches & _WORKERS_RENDERING  # NOTE: _changed inlined, as in _assign
            if job.lanes is not None:
                self._changed(job, _WORKERS_RENDERING)
            elif told:
                self.queues[job.queue_index].policy.changed(job, _FLAGS[told])
        if 0 < job.max_worker_count <= job.counts[READY] + job.workers:
            demand.slot_freed(job)  # the maximum was binding: a slot means a task
        job_counts = job.counts
        if not job_counts[READY] and not job_counts[RUNNING]:
            self._check_job_end(job)  # nothing READY or in flight: the job may have ended
        covered = demand.credit == -1 and not fleet.multi_queue  # its credit was used
        demand.credit = -1
        return self._assign(worker, now, covered)

    def _run_failed(
        self, worker: WorkerState, job: JobState, step: StepState, task: int, now: float
    ) -> None:
        """A task run failed: retry the task, or fail it (and maybe cancel the job). The
        session ends (E.4)."""
        worker.session_ok = False
        job.failed_attempts += 1
        if step.retries.get(task, 0) < job.max_retries:
            step.count_retry(task)
            job.retry_total += 1
            job.requeue_task(step, task, now)
            self._blocked_ready(step, 1)
            self._record_run(worker, now, RUN_FAILED, READY)
            self.demand.work_added(job, 1)
        else:
            step.set_status(task, FAILED)
            job.failed_tasks += 1
            self._record_run(worker, now, RUN_FAILED, FAILED)
            if job.failed_tasks >= max(1, job.max_failed):
                self._cancel_job(job, now)
        if job.watches:  # (once both counts are up to date: a policy may read either)
            self._changed(job, _FAILURES)

    def _release(self, worker: WorkerState, job: JobState, step: StepState, now: float) -> None:
        """Give back the run's limit units and the worker's place on the job. (The caller
        tells the job's policy once the run's task has left RUNNING: :meth:`_run_left`.)"""
        if step.limits:
            self._release_limits(step, now)
        job.workers -= 1
        if worker.fleet.multi_queue:
            worker.fleet.served[worker.queue_pos] -= 1
        worker.last_job = job
        if 0 < job.max_worker_count <= job.counts[READY] + job.workers:
            self.demand.slot_freed(job)  # the maximum was binding: a slot means a task

    def _run_left(self, job: JobState) -> None:
        """A run of ``job`` was stopped (:meth:`_release`) and its task has left RUNNING:
        tell the job's policy, if it watches the workers on jobs or their tasks in flight."""
        if job.watches:
            self._changed(job, _WORKERS_RENDERING)

    def _release_limits(self, step: StepState, now: float) -> None:
        """Give back the run's limit units; wake idle workers for the work parked on them."""
        for limit, units in step.limits:
            limit.current -= units
            limit.usage_times.append(now)
            limit.usage_counts.append(limit.current)
            if limit.current < 0:
                raise SimulationError(f"limit#{limit.index} gave back more units than held")
            if limit.blocked_ready:
                # Units free for waiting work (once per task run that holds units): the
                # releasing worker's credit covers one unit of one queue; Demand wakes the rest.
                demand = self.demand
                queues = limit.queues
                if (units == 1 and len(queues) == 1 and demand.credit == queues[0]
                        and self.queues[queues[0]].lanes is None):
                    demand.credit = -1  # one unit, one queue: the releasing worker asks at once
                else:
                    demand.limit_freed(limit, units)

    def _step_succeeded(self, step: StepState, now: float) -> None:
        """Every task of ``step`` SUCCEEDED: resolve the steps that depend on it."""
        for dependent in step.dependents:
            dependent.deps_left -= 1
            if dependent.deps_left == 0 and dependent.next_fresh and dependent.counts[PENDING]:
                # (after a user's change: some of its PENDING tasks are not fresh ones)
                before = dependent.job.counts[READY]
                self._flip(dependent, PENDING, READY, now)
                self.demand.work_added(dependent.job, dependent.job.counts[READY] - before)
            elif dependent.deps_left == 0 and dependent.counts[PENDING] == dependent.task_count:
                n = dependent.task_count
                dependent.status = bytearray((READY,)) * dependent.capacity
                dependent.shift(PENDING, READY, n)
                dependent.ready_at = now
                dependent.ready_seq = self.seq
                self._blocked_ready(dependent, n)
                if dependent.chunks is None:
                    self._record_event(now, dependent, 0, n, READY)
                else:
                    self.seq += 1
                self.demand.work_added(dependent.job, n)

    def _check_job_end(self, job: JobState) -> None:
        if job.final_status is not None or job.counts[READY] or job.counts[RUNNING]:
            return
        status = job.aggregate()
        if status in TERMINAL_JOB_STATUSES:
            job.final_status = status
            if job.watches:
                self._changed(job, _STATUS)
            if job.started_at == job.started_at:  # not NaN: GetJob's endedAt is when a job
                job.ended_at = self.now  # that ran ended; one that never started has none

    def _blocked_ready(self, step: StepState, n: int) -> None:
        """``n`` more (or fewer) READY tasks need each of the step's limits: counted, and
        recorded for the limit's blocked task-hours (integrated after the run,
        ``farmsim.engine.catalog``)."""
        for limit, _ in step.limits:
            limit.blocked_ready += n
            limit.ready_times.append(self.now)
            limit.ready_deltas.append(n)

    # ------------------------------------------------------------------ cancellation

    def _cancel_job(self, job: JobState, now: float) -> None:
        """Cancel every task of ``job`` that is not final (``maxFailedTasksCount`` tripped)."""
        event = self._record_event
        for step in job.steps:
            lo, hi = step.next_fresh, step.task_count
            if hi > lo:
                code = step.status[lo]
                if code in (READY, PENDING):
                    if step.chunks is not None:  # chunks never formed: they exist now
                        self._creation_events(step, lo, hi)
                    n = hi - lo
                    step.status[lo:hi] = bytes((CANCELED,)) * n
                    step.shift(code, CANCELED, n)
                    if code == READY:
                        self._blocked_ready(step, -n)
                    event(now, step, lo, hi, CANCELED)
                step.next_fresh = hi
            while step.retry_heap:
                task = heappop(step.retry_heap)
                step.task_ready_at.pop(task, None)
                step.set_status(task, CANCELED)
                self._blocked_ready(step, -1)
                event(now, step, task, task + 1, CANCELED)
        for fleet in self.fleets:
            for worker in fleet.workers:
                if worker.job is job:
                    self.cancel_run(worker, now)

    def cancel_run(self, worker: WorkerState, now: float) -> None:
        """End ``worker``'s task run as CANCELED now; the task becomes CANCELED."""
        job, step = worker.job, worker.step
        if job is None or step is None:
            raise SimulationError(f"worker#{worker.index} has no task run to cancel")
        if not worker.started_at <= now:  # canceled during its session's setup
            self.sessions.cancel_setup(worker, now)
        worker.session_ok = False
        if not worker.entered:  # nothing to exit: the session ends now
            worker.session_job = None
        self._release(worker, job, step, now)
        step.set_status(worker.task, CANCELED)
        self._run_left(job)
        self._record_run(worker, now, RUN_CANCELED, CANCELED)
        self.cancel_worker(worker)
        self._check_job_end(job)

    # ------------------------------------------------------------------ a user's target status

    def set_target(self, job: JobState, target: str, now: float, *,
                   step: StepState | None = None, tasks: Sequence[int] | None = None) -> None:
        """A user's ``targetTaskRunStatus`` (UpdateJob), ``targetTaskRunStatus`` of one
        ``step`` (UpdateStep) or ``targetRunStatus`` of some of its ``tasks`` (UpdateTask,
        BatchUpdateTask), at ``now`` (semantics A.3; docs/semantics.md, user targets).

        ``target`` is READY, PENDING, SUSPENDED, CANCELED, FAILED or SUCCEEDED. For a job or a
        step: PENDING requeues every task (SUCCEEDED and running ones too), READY requeues the
        SUSPENDED, CANCELED and FAILED ones, SUSPENDED moves those not SUCCEEDED, CANCELED or
        FAILED, CANCELED those not SUCCEEDED or FAILED, FAILED those not SUCCEEDED, and
        SUCCEEDED every task. For tasks, READY and PENDING requeue the task whatever its
        status. NOT_COMPATIBLE tasks never change (compatibility is decided when a job is
        created). A requeued task is READY, or PENDING while an upstream step is not all
        SUCCEEDED; its failureRetryCount starts again from 0 and its next run is its first
        attempt again (same duration and outcome). A run the target reaches is stopped now:
        INTERRUPTED for a requeue, else CANCELED; its limit units come back. A step that leaves
        "all SUCCEEDED" sends its consumers' READY tasks back to PENDING; one that reaches it
        resolves them.
        """
        self.now = now
        seq = self.seq  # (every task change recorded takes a number)
        code = _TARGET_CODES[target]
        requeue = code in (READY, PENDING)
        whole = tasks is None
        if not whole and step is None:
            raise SimulationError("set_target(tasks=) needs the tasks' step")
        steps = job.steps if step is None else [step]
        picked = None if tasks is None else set(tasks)
        olds = _MOVED[target] if whole else _MOVED_TASK
        stops = target != "READY" or not whole
        if requeue:
            for s in steps:
                self._ensure_drawn(s)
        # 1. The tasks each step changes (explicit ones; the fresh block apart), and its runs.
        plans = [(s, self._targets_of(s, olds, picked)) for s in steps]
        running: list[WorkerState] = []
        if stops:
            touched = {s.index for s in steps}
            for fleet in self.fleets:
                for worker in fleet.workers:
                    ws = worker.step
                    if (worker.job is job and ws is not None and ws.index in touched
                            and (picked is None or worker.task in picked)):
                        running.append(worker)
        # 2. Which steps are all SUCCEEDED afterwards: each step's unresolved upstreams.
        succeeded = {s.index: s.counts[SUCCEEDED] for s in job.steps}
        for s, changes in plans:
            for old in changes.values():
                succeeded[s.index] += (code == SUCCEEDED) - (old == SUCCEEDED)
            if whole and self._fresh_moves(s, olds):
                n = s.task_count - s.next_fresh
                succeeded[s.index] += n * ((code == SUCCEEDED) - (s.status[s.next_fresh]
                                                                  == SUCCEEDED))
        for worker in running:
            if code == SUCCEEDED and worker.step is not None:
                succeeded[worker.step.index] += 1
        done = {s.index: succeeded[s.index] == s.task_count for s in job.steps}
        deps_left = {s.index: sum(1 for d in s.structure.dependencies if not done[d])
                     for s in job.steps}

        def becomes(s: StepState) -> int:
            return code if not requeue else (READY if deps_left[s.index] == 0 else PENDING)

        # 3. Stop the runs, move the tasks.
        for worker in running:
            if worker.step is not None:
                self._stop_run(worker, now, RUN_INTERRUPTED if requeue else RUN_CANCELED,
                               becomes(worker.step))
        for s, changes in plans:
            if (whole and requeue and s.chunks is None and not s.counts[RUNNING]
                    and len(changes) + self._fresh_moves(s, olds) == s.task_count):
                self._reset_step(s, becomes(s), now)  # every task moves: it starts over
                continue
            self._move_tasks(s, changes, becomes(s), now, requeue)
            if whole:
                self._move_fresh(s, olds, becomes(s), now)
        # 4. Consumers whose upstream steps resolved, or came undone.
        for s in job.steps:
            before, after = s.deps_left, deps_left[s.index]
            s.deps_left = after
            if before and not after:
                self._flip(s, PENDING, READY, now)
            elif after and not before:
                self._flip(s, READY, PENDING, now)
        job.failed_tasks = job.counts[FAILED]
        self._refile(job, changed=self.seq != seq)

    def _ensure_drawn(self, step: StepState) -> None:
        """A step created SUSPENDED has no durations yet: draw them (at its first requeue).
        An adaptive step's planned chunks may then differ from the template's count."""
        if step.rule is not None:
            return
        queue = self.queues[step.job.queue_index]
        before = step.task_count
        code = step.status[0] if before else SUSPENDED
        self.factory.draw_step(step.job, step, queue)
        runs = self.succeeded.worker
        for slot in range(step.run_base, step.run_base + step.capacity):
            runs[slot] = NO_RUN  # (none of its tasks has run: one marked SUCCEEDED has no run)
        if step.task_count != before or len(step.status) != step.capacity:
            delta = step.task_count - before
            step.status = bytearray((code,)) * step.capacity
            step.counts[code] += delta
            if step.job.counts is not step.counts:
                step.job.counts[code] += delta
        step.next_fresh = step.task_count if step.chunks is None else 0

    def _targets_of(self, step: StepState, olds: frozenset[int], picked: set[int] | None,
                    ) -> dict[int, int]:
        """The tasks below ``step.next_fresh`` (or the ``picked`` ones) whose status is in
        ``olds``, with that status. Picked tasks of the fresh block are made explicit first
        (:meth:`_explode`); an adaptive step's unformed chunks cannot be picked."""
        if picked is not None:
            if any(t >= step.next_fresh for t in picked):
                self._explode(step)
            status = step.status
            return {t: status[t] for t in sorted(picked)
                    if t < step.next_fresh and status[t] in olds}
        return {t: c for t, c in enumerate(step.status[:step.next_fresh]) if c in olds}

    @staticmethod
    def _fresh_moves(step: StepState, olds: frozenset[int]) -> int:
        """How many tasks of ``step``'s fresh block (never taken, one status) a whole-step
        target moves."""
        lo, hi = step.next_fresh, step.task_count
        return hi - lo if hi > lo and step.status[lo] in olds else 0

    def _reset_step(self, step: StepState, new: int, now: float) -> None:
        """Every task of ``step`` (none in flight) is requeued: the step starts over, its tasks
        fresh again (``new``: READY or PENDING), their retry counts at 0."""
        for t in range(step.next_fresh):
            if step.status[t] == SUCCEEDED:
                self._unsucceed(step, t)
        if step.retries:
            step.job.retry_total -= sum(step.retries.values())
            step.retries = {}
        self._blocked_ready(step, -step.counts[READY])
        for old, n in enumerate(list(step.counts)):
            if n and old != new:
                step.shift(old, new, n)
        step.status = bytearray((new,)) * step.capacity
        step.retry_heap, step.task_ready_at = [], {}
        step.next_fresh = 0
        if new == READY:
            step.ready_at = now
            step.ready_seq = self.seq
            self._blocked_ready(step, step.task_count)
        if step.task_count:
            self._record_event(now, step, 0, step.task_count, new, USER)

    def _explode(self, step: StepState) -> None:
        """Make the fresh block's tasks explicit: READY ones go to the retry heap (in the same
        order: lowest first), PENDING ones stay PENDING below ``next_fresh``. Not for adaptive
        steps (their fresh chunks do not exist yet: the API cannot name them)."""
        lo, hi = step.next_fresh, step.task_count
        if hi <= lo or step.chunks is not None:
            return
        if step.status[lo] == READY:
            for t in range(lo, hi):
                step.push_ready(t, step.ready_at)
        step.next_fresh = hi

    def _move_tasks(self, step: StepState, changes: dict[int, int], new: int, now: float,
                    requeue: bool) -> None:
        """Move explicit tasks (below ``next_fresh``; not in flight) to ``new``, keeping the
        retry heap, limits' READY counts, retry counts, SUCCEEDED runs and records right."""
        if not changes:
            return
        heap_out = [t for t, old in changes.items() if old == READY and new != READY]
        if heap_out:
            gone = set(heap_out)
            step.retry_heap = [t for t in step.retry_heap if t not in gone]
            heapify(step.retry_heap)
            for t in heap_out:
                step.task_ready_at.pop(t, None)
            self._blocked_ready(step, -len(heap_out))
        for t, old in changes.items():
            if old == SUCCEEDED and new != SUCCEEDED:
                self._unsucceed(step, t)
            if requeue and step.retries.get(t):
                step.job.retry_total -= step.retries.pop(t)
            if new == SUCCEEDED and old != SUCCEEDED and step.run_base >= 0:
                self.succeeded.worker[step.run_base + t] = NO_RUN
            if new == READY and old != READY:
                step.push_ready(t, now)
            if old != new:
                step.set_status(t, new)
        entering = sum(1 for old in changes.values() if old != READY) if new == READY else 0
        if entering:
            self._blocked_ready(step, entering)
        for lo, hi in _runs_of(sorted(t for t, old in changes.items() if old != new)):
            self._record_event(now, step, lo, hi, new, USER)

    def _move_fresh(self, step: StepState, olds: frozenset[int], new: int, now: float) -> None:
        """A whole-step target on the step's fresh block (never-taken tasks, all READY or all
        PENDING)."""
        lo, hi = step.next_fresh, step.task_count
        if hi <= lo:
            return
        old = step.status[lo]
        if old not in olds or old == new:
            return
        n = hi - lo
        if step.chunks is not None and new not in (READY, PENDING):
            self._creation_events(step, lo, hi)  # the chunks exist now, to end as ``new``
        step.status[lo:hi] = bytes((new,)) * n
        step.shift(old, new, n)
        if old == READY:
            self._blocked_ready(step, -n)
        if new == READY:
            self._blocked_ready(step, n)
            step.ready_at = now
        if new in (READY, PENDING):
            if step.chunks is None:
                self._record_event(now, step, lo, hi, new, USER)
        else:
            if new == SUCCEEDED and step.run_base >= 0:
                runs = self.succeeded.worker
                for t in range(lo, hi):
                    runs[step.run_base + t] = NO_RUN
            self._record_event(now, step, lo, hi, new, USER)
            step.next_fresh = hi

    def _flip(self, step: StepState, old: int, new: int, now: float) -> None:
        """Every task of ``step`` in ``old`` (READY or PENDING) moves to ``new`` (PENDING or
        READY): its upstream steps came undone, or resolved."""
        explicit = {t: old for t, c in enumerate(step.status[:step.next_fresh]) if c == old}
        self._move_tasks(step, explicit, new, now, requeue=False)
        lo, hi = step.next_fresh, step.task_count
        if hi > lo and step.status[lo] == old:
            n = hi - lo
            step.status[lo:hi] = bytes((new,)) * n
            step.shift(old, new, n)
            self._blocked_ready(step, n if new == READY else -n)
            if new == READY:
                step.ready_at = now
                step.ready_seq = self.seq
            if step.chunks is None:
                self._record_event(now, step, lo, hi, new, USER)

    def _unsucceed(self, step: StepState, task: int) -> None:
        """A SUCCEEDED task leaves SUCCEEDED: its run (if it had one) goes from its slot to the
        run log, so its slot is free for its next SUCCEEDED run."""
        if step.run_base < 0:
            return
        runs = self.succeeded
        slot = step.run_base + task
        worker = runs.worker[slot]
        if worker == NO_RUN:
            return
        attempt = step.retries.get(task, 0)
        ready = runs.retry_ready.get(slot, step.ready_at) if slot in runs.retry_ready \
            else step.ready_at
        self._run(pack_run(
            step.job.index, step.gidx, task, worker, runs.session[slot], runs.seq[slot],
            attempt, ready, runs.assigned[slot], runs.started[slot], runs.ended[slot],
            runs.assign_seq[slot], runs.end_seq[slot], RUN_SUCCEEDED, SUCCEEDED))
        runs.worker[slot] = NO_RUN
        runs.retry_ready.pop(slot, None)

    def _stop_run(self, worker: WorkerState, now: float, run_status: int, after: int, *,
                  reset_retries: bool = True, by_user: bool = True) -> None:
        """End ``worker``'s task run now with ``run_status`` (the worker is interrupted); its
        task becomes ``after`` (READY ones go back to the retry heap, without a retry; a
        requeue also sets its failureRetryCount back to 0 unless not ``reset_retries``).
        ``by_user``: the change is recorded as a user's (a target, an association's stop)."""
        job, step = worker.job, worker.step
        if job is None or step is None:
            raise SimulationError(f"worker#{worker.index} has no task run to stop")
        task = worker.task
        if not worker.started_at <= now:  # stopped during its session's setup
            self.sessions.cancel_setup(worker, now)
        worker.session_ok = False
        if not worker.entered:
            worker.session_job = None
        self._release(worker, job, step, now)
        if after == READY:
            job.requeue_task(step, task, now)
            self._blocked_ready(step, 1)
        else:
            step.set_status(task, after)
            if after == SUCCEEDED and step.run_base >= 0:
                self.succeeded.worker[step.run_base + task] = NO_RUN
        self._run_left(job)
        if reset_retries and step.retries.get(task) and after in (READY, PENDING):
            job.retry_total -= step.retries.pop(task)
        self._record_run(worker, now, run_status, after)
        if by_user:
            self._record_event(now, step, task, task + 1, after, USER)  # (a user's change)
        self.cancel_worker(worker)

    # ------------------------------------------------------------------ workers lost

    def interrupt(self, worker: WorkerState, now: float) -> None:
        """``worker``'s host is going away (a spot interruption's notice, the end of a
        service-managed worker's life; the pool has made it STOPPING): its task run, if it
        has one, ends INTERRUPTED now, and its task is INTERRUPTING until the worker has
        stopped (after its session's envExits), then READY without a retry counted
        (semantics A.2 row 13, 10.5; :meth:`worker_stopped`)."""
        if worker.job is None or worker.step is None:
            return
        self.now = now
        step, task = worker.step, worker.task
        self._stop_run(worker, now, RUN_INTERRUPTED, INTERRUPTING, reset_retries=False,
                       by_user=False)
        self._held.setdefault(worker.index, []).append((step, task))

    def worker_stopped(self, worker: WorkerState, now: float) -> None:
        """``worker`` is STOPPED: the tasks held INTERRUPTING on it are READY again (those a
        user has not moved meanwhile)."""
        held = self._held.pop(worker.index, None)
        if not held:
            return
        self.now = now
        for step, task in held:
            if step.status[task] != INTERRUPTING:
                continue  # a user's target moved it meanwhile
            job = step.job
            job.requeue_task(step, task, now)
            self._blocked_ready(step, 1)
            self._record_event(now, step, task, task + 1, READY, worker.index)
            self.demand.work_added(job, 1)

    def reclaim(self, worker: WorkerState, now: float) -> None:
        """The service finds ``worker`` NOT_RESPONDING at ``now`` (its host was lost some time
        before, silently): its task run ends INTERRUPTED now and its task is READY again
        without a retry counted (semantics C.1.6, 10.15); its session ends without envExits
        (its host is gone). A worker running a session's envExits is not lost before they
        end (the pool defers the loss)."""
        self.now = now
        job, step = worker.job, worker.step
        if job is not None and step is not None:
            task = worker.task
            if not worker.started_at <= now:  # lost during its session's setup
                self.sessions.cancel_setup(worker, now)
            self._release(worker, job, step, now)
            job.requeue_task(step, task, now)
            self._blocked_ready(step, 1)
            self._run_left(job)
            self._record_run(worker, now, RUN_INTERRUPTED, READY)
            self.demand.work_added(job, 1)
        self.sessions.abandon(worker)
        worker.session_job = None
        worker.session_ok = False

    def _refile(self, job: JobState, *, changed: bool) -> None:
        """After a user's change: a job that has work again is running again (no ``endedAt``)
        and filed with its policy; one that has none may have ended (again, at ``now``, if
        ``changed``: a task of it changed)."""
        counts = job.counts
        live = counts[READY] or counts[RUNNING] or any(
            s.counts[PENDING] and s.deps_left and s._upstream_can_succeed() for s in job.steps)
        if job.final_status is not None and (live or changed):
            job.final_status = None  # (ended again below if its new status is terminal)
            job.ended_at = math.nan
            if job.watches:
                self._changed(job, _STATUS)
        # Filed again from scratch (a new index generation makes old entries stale): its
        # READY tasks changed outside an assignment, which is what keeps the index's flag.
        job.in_index = False
        if job.lanes is not None:
            for lane in job.lanes:
                lane.in_index = False
        if counts[READY]:
            self.demand.work_added(job, counts[READY])
        self._check_job_end(job)

    # ------------------------------------------------------------------ adaptive chunks

    def _replan(self, step: StepState) -> None:
        """The chunk size of an adaptive step changed: the chunks its frames left need
        change with it (they are READY, or PENDING behind a dependency)."""
        if step.chunks is None:
            return
        new_count = step.next_fresh + step.chunks.planned()
        delta = new_count - step.task_count
        if not delta or step.job.final_status is not None:
            return
        code = READY if step.deps_left == 0 else PENDING
        if delta > 0:
            step.status[step.task_count:new_count] = bytes((code,)) * delta
        step.task_count = new_count
        step.counts[code] += delta  # tasks planned or unplanned, not moved between statuses
        if step.job.counts is not step.counts:  # (one list for a one-step job)
            step.job.counts[code] += delta
        if code == READY:
            self._blocked_ready(step, delta)
            if delta > 0:
                self.demand.work_added(step.job, delta)

    def _creation_events(self, step: StepState, lo: int, hi: int,
                         events: Callable[[bytes], object] | None = None) -> None:
        """Record (to ``events``, default the recorder) the events an adaptive step's chunks
        ``[lo, hi)`` would have had from the job's creation: PENDING at submission if the step
        has dependencies, READY when it became READY."""
        events = events or self._event
        if step.structure.dependencies:
            events(pack_event(step.job.submitted_at, step.gidx, lo, hi, PENDING, -1,
                              step.created_seq))
        if step.ready_at == step.ready_at:  # not NaN: the step is READY
            events(pack_event(step.ready_at, step.gidx, lo, hi, READY, -1, step.ready_seq))

    def unformed_chunk_events(self) -> bytes:
        """The creation events of the chunks adaptive steps still plan (not formed yet), for
        the records at the end of a run."""
        out = bytearray()
        for step in self.steps:
            if step.chunks is not None and step.next_fresh < step.task_count:
                self._creation_events(step, step.next_fresh, step.task_count, out.extend)
        return bytes(out)

    # ------------------------------------------------------------------ records

    def _record_run(self, worker: WorkerState, now: float, status: int, after: int) -> None:
        """Record ``worker``'s run that ended at ``now`` with ``status`` (not SUCCEEDED: those
        go to their step's columns), its task then ``after``; the worker has no run after."""
        job, step = worker.job, worker.step
        if job is None or step is None:
            raise SimulationError(f"worker#{worker.index} ends a task run it does not have")
        started = worker.started_at
        self._run(pack_run(
            job.index, step.gidx, worker.task, worker.index, worker.session,
            worker.session_runs, worker.attempt, worker.ready_at, worker.assigned_at,
            started if started <= now else math.nan, now, worker.assign_seq, self.seq, status,
            after,
        ))
        worker.job = None
        worker.step = None

    def _record_event(self, now: float, step: StepState, lo: int, hi: int, code: int,
                      worker: int = -1) -> None:
        """Record that tasks ``[lo, hi)`` of ``step`` changed to ``code`` at ``now`` (not a run's
        own change: creation, dependency resolution, cancellation; ``worker`` :data:`USER`:
        a user's target status)."""
        self._event(pack_event(now, step.gidx, lo, hi, code, worker, self.seq))
        self.seq += 1

    # ------------------------------------------------------------------ what the run read

    def unused_rules(self) -> list[int]:
        """Indices of the scenario's ``runtimes`` entries no task run matched."""
        return self.factory.unused_rules()


def _runs_of(tasks: list[int]) -> list[tuple[int, int]]:
    """Sorted task numbers as ``[lo, hi)`` ranges of consecutive ones."""
    out: list[tuple[int, int]] = []
    for t in tasks:
        if out and out[-1][1] == t:
            out[-1] = (out[-1][0], t + 1)
        else:
            out.append((t, t + 1))
    return out
