"""The control plane: the farm's rules, applied at simulated times.

It answers a worker's request for its next task (through the queues' scheduling policies, and
the sessions of :mod:`farmsim.engine.sessions`), and applies the end of a task run (success,
retry, failure, dependency resolution, limit release); creating jobs, forming adaptive chunks
and canceling jobs are in :mod:`farmsim.engine.jobs`. It is plain Python: the SimPy processes in :mod:`farmsim.engine.simulation` call it,
and it calls back through two hooks: ``notify(queue_index, n)`` when work appears that idle
workers should notice, and ``cancel_worker(worker)`` when a running task run is canceled.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heappop
from typing import TYPE_CHECKING

import numpy as np

from farmsim.model.state import (
    FAILED,
    PENDING,
    READY,
    RUNNING,
    SUCCEEDED,
    TERMINAL_JOB_STATUSES,
    JobState,
    LimitState,
    StepState,
)
from farmsim.model.enums import WORKER_STATUS_CODES, WorkerStatus
from farmsim.model.runtimes import RuntimeRule
from farmsim.record.recorder import Recorder, pack_event, pack_worker
from farmsim.record.runs import RUN_FAILED, pack_run
from farmsim.engine.jobs import JobLifecycle
from farmsim.engine.sampling import SamplePools
from farmsim.engine.sessions import Plan, Sessions
from farmsim.scheduling import JobChange, make_policy

if TYPE_CHECKING:
    from farmsim.engine.workers import WorkerState
    from farmsim.model.config import FarmConfig
    from farmsim.model.runtimes import RuntimeModel
    from farmsim.scheduling.base import SchedulingPolicy

__all__ = ["ControlPlane", "FleetState", "QueueState"]

_IDLE = WORKER_STATUS_CODES[WorkerStatus.IDLE]
_RUNNING = WORKER_STATUS_CODES[WorkerStatus.RUNNING]
_STOPPING = WORKER_STATUS_CODES[WorkerStatus.STOPPING]



class QueueState:
    """A queue: its policy, its jobs, the fleets that serve it and its limits by amount name."""

    __slots__ = ("index", "name", "_policy", "fleets", "jobs", "limits_by_amount")

    def __init__(self, index: int, name: str, policy: SchedulingPolicy) -> None:
        self.index = index
        self.name = name
        self.fleets: list[FleetState] = []
        self.jobs: list[JobState] = []
        self.limits_by_amount: dict[str, LimitState] = {}
        self.policy = policy

    @property
    def policy(self) -> SchedulingPolicy:
        """The queue's scheduling policy. Setting it (a new schedulingConfiguration) also
        updates the copy that fleets serving only this queue keep for speed."""
        return self._policy

    @policy.setter
    def policy(self, policy: SchedulingPolicy) -> None:
        self._policy = policy
        for fleet in self.fleets:
            if not fleet.multi_queue:
                fleet.policy = policy
        for job in self.jobs:  # what the engine must tell it (JobState.watches)
            job.watches = policy.watches


class FleetState:
    """A fleet: its workers and the queues it serves (with how many of its workers each has)."""

    __slots__ = ("index", "name", "queues", "workers", "served", "rr", "custom_amounts",
                 "multi_queue", "policy", "idle", "limits")

    def __init__(self, index: int, name: str) -> None:
        self.index = index
        self.name = name
        self.queues: list[QueueState] = []
        self.workers: list[WorkerState] = []
        #: workers of this fleet on each queue (by position in ``queues``).
        self.served: list[int] = []
        self.rr = 0
        self.custom_amounts: frozenset[str] = frozenset()
        #: True when the fleet serves several queues (then ``served`` is kept up to date).
        self.multi_queue = False
        #: The policy of the fleet's only queue (None when it serves none or several).
        self.policy: SchedulingPolicy | None = None
        #: Workers of this fleet that are IDLE now.
        self.idle = 0
        #: Limits associated with a queue this fleet serves (their blocked time depends on
        #: this fleet's idle workers).
        self.limits: list[LimitState] = []


class ControlPlane(JobLifecycle):
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
        self.now = 0.0
        self._first_pools = SamplePools(first_attempts)
        self._pools = SamplePools(during_run)
        self.runtimes = runtimes
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
        self.limits = [LimitState(i, lim.max_count) for i, lim in enumerate(farm.limits)]
        limit_by_name = {lim.display_name: self.limits[i] for i, lim in enumerate(farm.limits)}
        self.farm_amounts = {lim.amount_requirement_name.lower() for lim in farm.limits}
        self.queues: list[QueueState] = []
        self.queue_by_name: dict[str, QueueState] = {}
        self.fleets = [FleetState(i, f.display_name) for i, f in enumerate(farm.fleets)]
        fleet_by_name = {f.name: f for f in self.fleets}
        for i, f in enumerate(farm.fleets):
            caps = f.configuration.get("workerCapabilities") or f.configuration.get(
                "instanceCapabilities") or {}
            self.fleets[i].custom_amounts = frozenset(
                str(a.get("name", "")).lower() for a in caps.get("customAmounts") or ())
        for qi, q in enumerate(farm.queues):
            queue = QueueState(qi, q.display_name,
                               make_policy(q.scheduling.policy, q.scheduling.parameters))
            for name in q.limits:
                lim = limit_by_name[name]
                queue.limits_by_amount[farm.limits[lim.index].amount_requirement_name.lower()] = lim
            for name in q.fleets:
                fleet = fleet_by_name[name]
                queue.fleets.append(fleet)
                fleet.queues.append(queue)
                fleet.served.append(0)
            self.queues.append(queue)
            self.queue_by_name[q.display_name] = queue
        for queue in self.queues:
            for limit in queue.limits_by_amount.values():
                limit.queues.append(queue.index)
                for fleet in queue.fleets:
                    if fleet not in limit.fleets:
                        limit.fleets.append(fleet)
                        fleet.limits.append(limit)
        for fleet in self.fleets:
            fleet.multi_queue = len(fleet.queues) > 1
            if len(fleet.queues) == 1:
                fleet.policy = fleet.queues[0].policy
        self._rules: dict[tuple[str, ...], RuntimeRule] = {}
        self.sessions = Sessions(self._action_rule, self._pools, recorder)
        self._session_count = 0
        self._queue_envs = [q.environments for q in farm.queues]
        self._plans: dict[tuple[int, str, int], Plan | None] = {}
        #: Host requirements (other than limits) seen in steps, with how many steps named them:
        #: fleet capability matching comes in a later release, so they are reported, not used.
        self.unmatched_requirements: dict[str, int] = {}
        #: The queue whose just-finished worker is about to ask again (-1: none).
        self._credit = -1
        #: Hooks the engine sets.
        self.notify: Callable[[int, int], None] = lambda queue_index, n: None
        self.cancel_worker: Callable[[WorkerState], None] = lambda worker: None
        #: Optional audit hooks (tests): called after each assignment, and when a worker asks
        #: and gets nothing. ``None`` costs one check per request.
        self.on_assign: Callable[[WorkerState, float], None] | None = None
        self.on_idle: Callable[[WorkerState, float], None] | None = None

    # ------------------------------------------------------------------ scheduling

    def assignable_step(self, job: JobState) -> StepState | None:
        """The :class:`~farmsim.scheduling.base.SchedulingView` method: the first step of
        ``job`` with a READY task a worker may take now, or None. Changes nothing."""
        if 0 < job.max_worker_count <= job.workers:
            return None
        for step in job.steps:
            if step.counts[READY]:
                for limit, units in step.limits:
                    if limit.current + units > limit.cap:
                        break
                else:
                    return step
        return None

    def _park(self, job: JobState) -> None:
        """Take ``job``, which has nothing assignable now, out of its policy's index (every
        entry of it becomes stale): at its ``maxWorkerCount`` it is re-filed when a slot frees
        (:meth:`_mwc_slot_freed`); otherwise it is parked on each (limit, units) that blocks a
        step with READY tasks, where the policy finds it again when the limit has room."""
        job.in_index = False
        job.park_gen += 1
        if 0 < job.max_worker_count <= job.workers:
            return
        policy = self.queues[job.queue_index].policy
        blocking: list[tuple[LimitState, int]] = []
        for step in job.steps:
            if step.counts[READY]:
                for limit, units in step.limits:
                    if limit.current + units > limit.cap:
                        if (limit, units) not in blocking:
                            blocking.append((limit, units))
                        break
        for limit, units in blocking:
            policy.park(job, limit, units)

    def _choose(self, policy: SchedulingPolicy, worker: WorkerState
                ) -> tuple[JobState, StepState] | None:
        """Ask ``policy`` for ``worker``'s next task, then park the jobs it passed over."""
        choice = policy.choose(self, worker, worker.last_job)
        passed = policy.passed_over
        if passed:
            for job in dict.fromkeys(passed):  # (a job may be passed over twice in one call)
                if job.final_status is None:
                    self._park(job)
            passed.clear()
        return choice

    def update_job(self, job: JobState, *, priority: int | None = None,
                   max_worker_count: int | None = None) -> None:
        """UpdateJob's ``priority`` and ``maxWorkerCount`` at the current time. They act at task
        boundaries: nothing running is stopped; a higher ``maxWorkerCount`` wakes idle workers
        for the slots it opens. The job is re-filed in its queue's policy, which is told."""
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
        # Re-file: every entry of it is stale; index or park it again by its new standing.
        job.in_index = False
        job.index_gen += 1
        job.park_gen += 1
        self._work_added(job, job.counts[READY])

    def _changed(self, job: JobState, what: JobChange) -> None:
        """Tell the job's policy ``what`` changed, if it watches it."""
        policy = self.queues[job.queue_index].policy
        if policy.watches & what:
            policy.changed(job, policy.watches & what)

    def start_next(self, worker: WorkerState, now: float) -> float | None:
        """Assign ``worker`` its next task run and return its duration, or None (the worker
        goes idle) if nothing may be taken.

        On success the worker's ``job``, ``step``, ``task``, ``attempt``, ``ready_at``,
        ``assigned_at`` and ``succeeded`` describe the run, the task is RUNNING and the step's
        limit units are held.
        """
        # Hot path: runs once per task run. take_task/set_status are inlined here.
        self.now = now  # what the policies see (view.now): a woken worker asks at its poll
        fleet = worker.fleet
        if worker.status == _STOPPING:
            choice = None  # retiring: it takes nothing new, and ends its session
        elif fleet.multi_queue:
            choice, pos = self._choose_among_queues(fleet, worker)
            woken_for = worker.woken_for
            if woken_for >= 0:
                worker.woken_for = -1
                if choice is not None and fleet.queues[pos].index != woken_for:
                    # Woken for one queue, this worker serves another: pass the wake on.
                    self.notify(woken_for, 1)
        elif fleet.policy is not None:
            choice = self._choose(fleet.policy, worker)
        else:
            choice = None  # the fleet serves no queue
        session_job = worker.session_job
        if choice is None:
            new_session = True
        else:
            new_session = choice[0] is not session_job or not worker.session_ok
        if new_session and session_job is not None:
            # The session ends (E.3): its envExits run before anything else. The worker holds
            # its place on the job (maxWorkerCount, semantics C.7) and takes no new work nor
            # limit units until they are done, then asks again (one active session per worker).
            worker.session_job = None
            if worker.entered and self._close_session(worker, session_job, now):
                if choice is not None:
                    # It was expected to take this work at once (the credit of a finishing
                    # worker): let an idle worker take it instead.
                    self.notify(choice[0].queue_index, 1)
                return worker.closing_until - now
        if choice is None:
            if worker.status == _STOPPING:
                return None  # the pool stops it
            if worker.status != _IDLE:
                worker.status = _IDLE
                self._worker_event(pack_worker(now, worker.index, _IDLE))
                self._idle_changed(fleet, now, +1)
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
                self._form_chunk(step, task)
        step.status[task] = RUNNING
        step.shift(READY, RUNNING)
        if step.limits:
            self._acquire(step, now)
        job.workers += 1
        if fleet.multi_queue:
            fleet.served[pos] += 1
            worker.queue_pos = pos
        job.running += 1
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
            if worker.status == _IDLE:
                self._idle_changed(fleet, now, -1)
            worker.status = _RUNNING
            self._worker_event(pack_worker(now, worker.index, _RUNNING))
        if attempt:
            duration, worker.succeeded = self._draw_retry(step, task)
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
            setup = self.sessions.open(worker, job, step, now)
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

    def _close_session(self, worker: WorkerState, job: JobState, now: float) -> bool:
        """Run the envExits of ``worker``'s session on ``job`` from ``now``. True when they
        take time: the worker then stays on the job until ``worker.closing_until``."""
        end = now + self.sessions.close(worker, job, now)
        if end <= now:
            return False
        worker.closing = job
        worker.closing_until = end
        job.workers += 1
        if job.watches:
            self._changed(job, JobChange.WORKERS)
        if worker.fleet.multi_queue:
            worker.fleet.served[worker.queue_pos] += 1
        return True

    def _session_closed(self, worker: WorkerState, now: float) -> None:
        """The envExits of the session ``worker`` was closing are done: it leaves the job."""
        job = worker.closing
        worker.closing = None
        fleet = worker.fleet
        self._credit = -1 if fleet.multi_queue else job.queue_index
        job.workers -= 1
        if job.watches:
            self._changed(job, JobChange.WORKERS)
        if fleet.multi_queue:
            fleet.served[worker.queue_pos] -= 1
        if 0 < job.max_worker_count <= job.counts[READY] + job.workers:
            self._mwc_slot_freed(job)  # the maximum was binding: a slot means a task
        self._credit = -1

    def worker_left_idle(self, worker: WorkerState, now: float) -> None:
        """An IDLE worker was retired (the pool changed its status)."""
        self._idle_changed(worker.fleet, now, -1)

    @staticmethod
    def _idle_changed(fleet: FleetState, now: float, delta: int) -> None:
        """A worker of ``fleet`` went idle (+1) or back to work (-1)."""
        for limit in fleet.limits:  # their blocked time depends on idle workers
            if now > limit.last_t:
                limit.advance(now)
            limit.idle_workers += delta
        fleet.idle += delta

    def _choose_among_queues(
        self, fleet: FleetState, worker: WorkerState
    ) -> tuple[tuple[JobState, StepState] | None, int]:
        """Semantics 10.10: the least-served queue (by this fleet's workers) first, ties in
        round-robin order."""
        queues = fleet.queues
        n = len(queues)
        served, rr = fleet.served, fleet.rr
        for pos in sorted(range(n), key=lambda i: (served[i], (i - rr) % n)):
            choice = self._choose(queues[pos].policy, worker)
            if choice is not None:
                fleet.rr = (pos + 1) % n
                return choice, pos
        return None, 0

    def _acquire(self, step: StepState, now: float) -> None:
        """Take the step's limit units for one task run."""
        for limit, units in step.limits:
            if now > limit.last_t:
                limit.advance(now)
            limit.blocked_ready -= 1
            limit.current += units
            if limit.current > limit.peak:
                limit.peak = limit.current
            limit.usage_times.append(now)
            limit.usage_counts.append(limit.current)

    def _draw_retry(self, step: StepState, task: int) -> tuple[float, bool]:
        """Duration and success of a retry: drawn now (first attempts are drawn per step)."""
        rule = step.rule
        p = rule.failure_probability
        duration = self._pools.duration(rule.duration)
        if rule.per_frame:
            if step.chunks is not None:
                duration *= step.chunks.counts[task]
            elif step.structure.frames is not None:
                duration *= step.structure.frames[task]
        return duration, not (p > 0.0 and self._pools.failed(p))

    # ------------------------------------------------------------------ end of a run

    def finish_and_next(self, worker: WorkerState, now: float) -> float | None:
        """End ``worker``'s task run at ``now`` (its outcome is ``worker.succeeded``) and start
        its next (see :meth:`start_next`)."""
        # Hot path: runs once per task run. Ending a run and starting the next is one call from
        # the worker process; release and success are inlined for the common case.
        self.now = now
        if worker.closing is not None:  # the envExits of an ended session are done
            self._session_closed(worker, now)
            return self.start_next(worker, now)
        job, step, task = worker.job, worker.step, worker.task
        fleet = worker.fleet
        # The worker asks again at once after this: on a single-queue fleet it will take a
        # task of this queue if there is one, so one unit of new work there is covered.
        self._credit = -1 if fleet.multi_queue else job.queue_index
        if step.limits:
            self._release_limits(step, now)
        job.workers -= 1
        job.running -= 1
        if job.watches:
            self._changed(job, JobChange.WORKERS | JobChange.RENDERING)
        if fleet.multi_queue:
            fleet.served[worker.queue_pos] -= 1
        worker.last_job = job
        if worker.succeeded:
            step.status[task] = SUCCEEDED
            step.shift(RUNNING, SUCCEEDED)
            # The task's one SUCCEEDED run goes to the step's columns (no record per run).
            runs = step.runs
            runs.worker[task] = worker.index
            runs.session[task] = worker.session
            runs.seq[task] = worker.session_runs
            runs.assigned[task] = worker.assigned_at
            runs.started[task] = worker.started_at
            runs.ended[task] = now
            runs.assign_seq[task] = worker.assign_seq
            runs.end_seq[task] = self.seq
            self.seq += 1
            if worker.attempt:
                runs.retry_ready[task] = worker.ready_at
            if step.chunks is not None and step.chunks.observe(now - worker.started_at,
                                                               step.chunks.counts[task]):
                self._replan(step)
            worker.job = worker.step = None
            if step.counts[SUCCEEDED] == step.task_count:
                self._step_succeeded(step, now)
        else:
            self._run_failed(worker, job, step, task, now)
        if 0 < job.max_worker_count <= job.counts[READY] + job.workers:
            self._mwc_slot_freed(job)  # the maximum was binding: a slot means a task
        if not job.counts[READY] and not job.running:
            self._check_job_end(job)  # nothing READY or in flight: the job may have ended
        self._credit = -1
        return self.start_next(worker, now)

    def _mwc_slot_freed(self, job: JobState) -> None:
        """A worker left a job whose maxWorkerCount bounds how many of its READY tasks may be
        taken: one more may be taken now.

        Keyed on the counts: a job at its maximum may still sit in the index (nobody has looked
        at it since), and every freed slot must be announced, also when several workers leave
        at one instant.
        """
        if job.counts[READY]:
            if job.in_index and self._credit == job.queue_index:
                self._credit = -1  # indexed, and the finishing worker asks again at once
                return
            self._work_added(job, 1)

    def _run_failed(
        self, worker: WorkerState, job: JobState, step: StepState, task: int, now: float
    ) -> None:
        """A task run failed: retry the task, or fail it (and maybe cancel the job). The
        session ends (E.4)."""
        worker.session_ok = False
        job.failed_attempts += 1
        if job.watches:
            self._changed(job, JobChange.FAILURES)
        retries = step.retries.get(task, 0)
        if retries < job.max_retries:
            step.retries[task] = retries + 1
            job.retry_total += 1
            job.requeue_task(step, task, now)
            self._blocked_ready(step, 1)
            self._record_run(worker, now, RUN_FAILED, READY)
            self._work_added(job, 1)
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
        job.running -= 1
        if job.watches:
            self._changed(job, JobChange.WORKERS | JobChange.RENDERING)
        if worker.fleet.multi_queue:
            worker.fleet.served[worker.queue_pos] -= 1
        worker.last_job = job
        if 0 < job.max_worker_count <= job.counts[READY] + job.workers:
            self._mwc_slot_freed(job)  # the maximum was binding: a slot means a task

    def _release_limits(self, step: StepState, now: float) -> None:
        """Give back the run's limit units; wake idle workers for the work parked on them."""
        for limit, units in step.limits:
            if now > limit.last_t:
                limit.advance(now)
            limit.current -= units
            limit.usage_times.append(now)
            limit.usage_counts.append(limit.current)
            if limit.blocked_ready:
                queues = limit.queues
                if units == 1 and len(queues) == 1 and self._credit == queues[0]:
                    self._credit = -1  # one unit, one queue: the releasing worker asks at once
                else:
                    self._limit_freed(limit, units)

    def _limit_freed(self, limit: LimitState, units: int) -> None:
        """``units`` of ``limit`` came free: as many more READY tasks needing it may be taken,
        in any queue associated with it (parked or indexed jobs alike). Wake that many idle
        workers in each such queue, less the releasing worker, who asks again at once."""
        n = min(units, limit.blocked_ready)
        for queue_index in limit.queues:
            m = n
            if self._credit == queue_index:
                m -= 1
                self._credit = -1
            if m > 0:
                self.notify(queue_index, m)

    def _record_run(self, worker: WorkerState, now: float, status: int, after: int) -> None:
        started = worker.started_at
        self._run(pack_run(
            worker.job.index, worker.step.gidx, worker.task, worker.index, worker.session,
            worker.session_runs, worker.attempt, worker.ready_at, worker.assigned_at,
            started if started <= now else math.nan, now, worker.assign_seq, self.seq, status,
            after,
        ))
        self.seq += 1
        worker.job = None
        worker.step = None

    def _record_event(self, now: float, step: StepState, lo: int, hi: int, code: int) -> None:
        """Record that tasks ``[lo, hi)`` of ``step`` changed to ``code`` at ``now`` (not a run's
        own change: creation, dependency resolution, cancellation)."""
        self._event(pack_event(now, step.gidx, lo, hi, code, -1, self.seq))
        self.seq += 1

    def _work_added(self, job: JobState, new: int) -> None:
        """``new`` READY tasks of ``job`` may have become takeable (the job was created, a step's
        dependencies resolved, a task will be retried, or a maxWorkerCount slot came free).

        Puts the job in its queue's index (or parks it, when nothing of it may be taken now)
        and wakes as many idle workers as could take the new tasks now. Invariant kept here:
        every task a worker could take is covered by a woken worker on its way, by the worker
        that is about to ask again (the ``_credit``), or no worker is idle. A job parked on
        limits stays parked while all its READY work needs them: the policy finds it there when
        units free up, and :meth:`_limit_freed` wakes workers for it.
        """
        if job.final_status is not None or not job.counts[READY]:
            return
        if 0 < job.max_worker_count <= job.workers:
            return  # a worker leaving it announces its slot (_mwc_slot_freed)
        n = min(new, self._takeable(job))
        if not job.in_index:
            if self.assignable_step(job) is not None:  # takeable now: index it
                job.in_index = True
                job.index_gen += 1
                job.park_gen += 1
                self.queues[job.queue_index].policy.add(job)
            else:  # parked on every (limit, units) that blocks its READY work
                self._park(job)
        if self._credit == job.queue_index:
            n -= 1  # the worker that just finished a run of this queue asks again at once
            self._credit = -1
        if n > 0:
            self.notify(job.queue_index, n)

    @staticmethod
    def _takeable(job: JobState) -> int:
        """How many of ``job``'s READY tasks workers could take right now."""
        n = 0
        for step in job.steps:
            ready = step.counts[READY]
            if not ready:
                continue
            for limit, units in step.limits:
                ready = min(ready, max(0, limit.room() // units))
            n += ready
        if job.max_worker_count > 0:
            n = min(n, job.max_worker_count - job.workers)
        return n

    def _blocked_ready(self, step: StepState, n: int) -> None:
        """Track READY tasks that need each of the step's limits (for blocked task-hours)."""
        for limit, _ in step.limits:
            limit.advance(self.now)
            limit.blocked_ready += n

    def _step_succeeded(self, step: StepState, now: float) -> None:
        """Every task of ``step`` SUCCEEDED: resolve the steps that depend on it."""
        for dependent in step.dependents:
            dependent.deps_left -= 1
            if dependent.deps_left == 0 and dependent.counts[PENDING] == dependent.task_count:
                n = dependent.task_count
                dependent.status = type(dependent.status)("b", bytes((READY,)) *
                                                          dependent.capacity)
                dependent.shift(PENDING, READY, n)
                dependent.ready_at = now
                dependent.ready_seq = self.seq
                self._blocked_ready(dependent, n)
                if dependent.chunks is None:
                    self._record_event(now, dependent, 0, n, READY)
                else:
                    self.seq += 1
                self._work_added(dependent.job, n)

    def _check_job_end(self, job: JobState) -> None:
        if job.final_status is not None or job.counts[READY] or job.running:
            return
        status = job.aggregate()
        if status in TERMINAL_JOB_STATUSES:
            job.final_status = status
            if job.watches:
                self._changed(job, JobChange.STATUS)
            if job.started_at == job.started_at:  # not NaN: GetJob's endedAt is when a job
                job.ended_at = self.now  # that ran ended; one that never started has none
