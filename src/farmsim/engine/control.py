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
from collections.abc import Callable
from heapq import heappop
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
    NOT_COMPATIBLE,
    PENDING,
    READY,
    RUNNING,
    SUCCEEDED,
    SUSPENDED,
    TERMINAL_JOB_STATUSES,
    JobState,
    StepState,
)
from farmsim.record.recorder import Recorder, pack_event, pack_worker
from farmsim.record.runs import RUN_CANCELED, RUN_FAILED, pack_run
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

Choice = tuple[JobState, StepState]


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
        as reaching it would have (semantics D3)."""
        if max_retries is not None:
            job.max_retries = max_retries
        if max_failed is not None:
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
            job.priority = priority
            what |= JobChange.PRIORITY
        if max_worker_count is not None and max_worker_count != job.max_worker_count:
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

    def set_policy(self, queue: QueueState, policy: SchedulingPolicy) -> None:
        """Schedule ``queue`` with ``policy`` from now on (a new schedulingConfiguration): its
        jobs that have not ended are filed with the new policy, and idle workers are woken
        for what they may take."""
        queue.set_policy(policy)
        for job in queue.jobs:
            if job.final_status is None:
                self.demand.refile(job)

    def _changed(self, job: JobState, what: JobChange) -> None:
        """Tell the job's policy ``what`` changed, if it watches it."""
        policy = self.queues[job.queue_index].policy
        if policy.watches & what:
            policy.changed(job, policy.watches & what)

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
                    # Woken for one queue, this worker serves another: pass the wake on.
                    self.demand.notify(woken_for, 1)
        new_session = choice is None or choice[0] is not session_job or not worker.session_ok
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
                    self.demand.notify(fleet.queues[0].index, 1)
                return None  # the pool stops it
            if worker.status != _IDLE:
                worker.status = _IDLE
                self._worker_event(pack_worker(now, worker.index, _IDLE))
            worker.last_job = None
            if self.on_idle is not None:
                self.on_idle(worker, now)
            return None
        job, step = choice
        if step.retry_heap:
            task = heappop(step.retry_heap)
            ready_at = step.task_ready_at.pop(task)
            attempt = worker.attempt = step.retries[task]
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
        if job.watches:
            self._changed(job, JobChange.WORKERS | JobChange.RENDERING)
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
        served, rr = fleet.served, fleet.rr
        for pos in sorted(range(n), key=lambda i: (served[i], (i - rr) % n)):
            choice = self.demand.choose(queues[pos].policy, self, worker)
            if choice is not None:
                fleet.rr = (pos + 1) % n
                return choice, pos
        return None, 0

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
            self._changed(job, JobChange.WORKERS)
        if worker.fleet.multi_queue:
            worker.fleet.served[worker.queue_pos] += 1
        if covered:
            self.demand.notify(job.queue_index, 1)
        return True

    def _slot_freed_by(self, worker: WorkerState, job: JobState) -> None:
        """``worker`` left ``job`` (its session's envExits are done) while the job's
        ``maxWorkerCount`` was binding: a slot means a task. The worker asks at once after
        this: on a single-queue fleet that covers one unit of its queue's new work."""
        demand = self.demand
        demand.credit = -1 if worker.fleet.multi_queue else job.queue_index
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
                self._changed(closed, JobChange.WORKERS)
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
        if step.limits:
            self._release_limits(step, now)
        job.workers -= 1
        if job.watches:
            self._changed(job, JobChange.WORKERS | JobChange.RENDERING)
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
        if job.watches:
            self._changed(job, JobChange.FAILURES)
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

    def _release(self, worker: WorkerState, job: JobState, step: StepState, now: float) -> None:
        """Give back the run's limit units and the worker's place on the job."""
        if step.limits:
            self._release_limits(step, now)
        job.workers -= 1
        if job.watches:
            self._changed(job, JobChange.WORKERS | JobChange.RENDERING)
        if worker.fleet.multi_queue:
            worker.fleet.served[worker.queue_pos] -= 1
        worker.last_job = job
        if 0 < job.max_worker_count <= job.counts[READY] + job.workers:
            self.demand.slot_freed(job)  # the maximum was binding: a slot means a task

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
                if units == 1 and len(queues) == 1 and demand.credit == queues[0]:
                    demand.credit = -1  # one unit, one queue: the releasing worker asks at once
                else:
                    demand.limit_freed(limit, units)

    def _step_succeeded(self, step: StepState, now: float) -> None:
        """Every task of ``step`` SUCCEEDED: resolve the steps that depend on it."""
        for dependent in step.dependents:
            dependent.deps_left -= 1
            if dependent.deps_left == 0 and dependent.counts[PENDING] == dependent.task_count:
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
                self._changed(job, JobChange.STATUS)
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
        self._record_run(worker, now, RUN_CANCELED, CANCELED)
        self.cancel_worker(worker)
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

    def _record_event(self, now: float, step: StepState, lo: int, hi: int, code: int) -> None:
        """Record that tasks ``[lo, hi)`` of ``step`` changed to ``code`` at ``now`` (not a run's
        own change: creation, dependency resolution, cancellation)."""
        self._event(pack_event(now, step.gidx, lo, hi, code, -1, self.seq))
        self.seq += 1

    # ------------------------------------------------------------------ what the run read

    @property
    def unmatched_requirements(self) -> dict[str, int]:
        """Host requirements (other than limits) steps named, with how many steps named each."""
        return self.factory.unmatched_requirements

    def unused_rules(self) -> list[int]:
        """Indices of the scenario's ``runtimes`` entries no task run matched."""
        return self.factory.unused_rules()
