"""The control plane: the farm's rules, applied at simulated times.

It creates jobs (compatibility, initial statuses, durations drawn per step), answers a worker's
request for its next task (through the queues' scheduling policies), and applies the end of a
task run (success, retry, failure, ``maxFailedTasksCount``, dependency resolution, limit
release). It is plain Python: the SimPy processes in :mod:`farmsim.engine.simulation` call it,
and it calls back through two hooks: ``notify(queue_index, n)`` when work appears that idle
workers should notice, and ``cancel_worker(worker)`` when a running task run is canceled.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from heapq import heappop
from typing import TYPE_CHECKING

import numpy as np

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
    LimitState,
    StepState,
    WorkerState,
)
from farmsim.model.distributions import Fixed
from farmsim.model.enums import CreateJobTargetTaskRunStatus, WorkerStatus
from farmsim.model.runtimes import RuleMatch, RuntimeRule
from farmsim.record.recorder import (
    RUN_CANCELED,
    RUN_FAILED,
    Recorder,
    pack_event,
    pack_run,
    pack_worker,
)
from farmsim.engine.chunking import AdaptiveChunks
from farmsim.engine.sampling import SamplePools
from farmsim.engine.sessions import Plan, Sessions
from farmsim.scheduling import make_policy

if TYPE_CHECKING:
    from farmsim.model.config import FarmConfig, JobSubmission
    from farmsim.model.runtimes import RuntimeModel
    from farmsim.scheduling.base import SchedulingPolicy

__all__ = ["ControlPlane", "FleetState", "QueueState"]

_WORKER_STATUS = {s: i for i, s in enumerate(WorkerStatus)}
_IDLE = _WORKER_STATUS[WorkerStatus.IDLE]
_RUNNING = _WORKER_STATUS[WorkerStatus.RUNNING]

_STANDARD_AMOUNT_PREFIX = "amount.worker."


class QueueState:
    """A queue: its policy, the fleets that serve it and its limits by amount name."""

    __slots__ = ("index", "name", "_policy", "fleets", "limits_by_amount")

    def __init__(self, index: int, name: str, policy: SchedulingPolicy) -> None:
        self.index = index
        self.name = name
        self.fleets: list[FleetState] = []
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


class ControlPlane:
    """The farm's state and rules, without SimPy.

    Args:
        farm: the farm configuration.
        runtimes: runtime rules for durations and failures.
        rng: the run's one numpy Generator.
        recorder: where records go.
    """

    def __init__(
        self, farm: FarmConfig, runtimes: RuntimeModel, rng: np.random.Generator,
        recorder: Recorder,
    ) -> None:
        self.now = 0.0
        self.rng = rng
        self._pools = SamplePools(rng)
        self.runtimes = runtimes
        self.recorder = recorder
        # Bound once: each is called once per record.
        self._run = recorder.runs.extend
        self._event = recorder.task_events.extend
        self._worker_event = recorder.worker_events.extend
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

    # ------------------------------------------------------------------ job creation

    def submit(self, submission: JobSubmission, now: float) -> JobState:
        """Create a job (``CreateJob``) at ``now``; returns its state."""
        self.now = now
        queue = self.queue_by_name[submission.queue]
        job = JobState(len(self.jobs), submission, queue.index, now)
        self.jobs.append(job)
        structure = submission.structure
        for s in structure.steps:
            step = StepState(job, s, len(self.steps))
            self.steps.append(step)
            job.steps.append(step)
        for step in job.steps:
            for d in step.structure.dependencies:
                job.steps[d].dependents.append(step)
        incompatible = self._bind_limits(job, queue)
        job.plan = self._plan(job, queue)
        events = self._event
        if incompatible:
            # Semantics A.2 row 4: the incompatible steps NOT_COMPATIBLE, all others CANCELED.
            for step in job.steps:
                code = NOT_COMPATIBLE if step.index in incompatible else CANCELED
                step.fill(code)
                step.next_fresh = step.task_count
                events(pack_event(now, step.gidx, 0, step.task_count, code, -1))
        elif submission.target_task_run_status == CreateJobTargetTaskRunStatus.SUSPENDED:
            for step in job.steps:
                step.fill(SUSPENDED)
                step.next_fresh = step.task_count
                events(pack_event(now, step.gidx, 0, step.task_count, SUSPENDED, -1))
        else:
            for step in job.steps:
                self._draw_step(job, step, queue)
                if step.deps_left == 0:
                    step.fill(READY)
                    step.ready_at = now
                    self._blocked_ready(step, step.task_count)
                else:
                    step.fill(PENDING)
                if step.chunks is None:  # an adaptive step's chunks get theirs when formed
                    events(pack_event(now, step.gidx, 0, step.task_count,
                                      step.status[0] if step.task_count else READY, -1))
            self._work_added(job, job.counts[READY])
        self._check_job_end(job)
        return job

    def _bind_limits(self, job: JobState, queue: QueueState) -> set[int]:
        """Attach limits to steps; returns the indices of steps that are NOT_COMPATIBLE."""
        incompatible: set[int] = set()
        for step in job.steps:
            bound = []
            for amount in step.structure.amounts:
                name = amount.name.lower()
                limit = queue.limits_by_amount.get(name)
                if limit is not None:
                    bound.append((limit, amount.units))
                elif name in self.farm_amounts:
                    incompatible.add(step.index)  # a limit not associated with the queue (D.4)
                elif not name.startswith(_STANDARD_AMOUNT_PREFIX) and not any(
                    name in f.custom_amounts for f in queue.fleets
                ):
                    incompatible.add(step.index)  # no limit or fleet provides it (10.12)
                else:
                    self._not_simulated(amount.name)
            for attribute in step.structure.attributes:
                self._not_simulated(attribute.name)
            step.limits = tuple(bound)
        return incompatible

    def _not_simulated(self, name: str) -> None:
        """Note a host requirement this release does not match against fleet capabilities."""
        self.unmatched_requirements[name] = self.unmatched_requirements.get(name, 0) + 1

    def _draw_step(self, job: JobState, step: StepState, queue: QueueState) -> None:
        """Draw every task's first-attempt duration and outcome in one vector each."""
        run_time = job.submission.run_time
        if run_time is None:
            rule = self._rule(queue.name, job.name, step.structure.name)
        else:  # a replayed trace's recorded run time
            rule = RuntimeRule(match=RuleMatch(), duration=Fixed(run_time))
        step.rule = rule
        chunking = step.structure.chunking
        if chunking is not None and chunking.adaptive:
            # Chunks formed as workers take them (drawn then): room for the most there can be.
            step.chunks = AdaptiveChunks(chunking)
            step.task_count = step.chunks.planned()
            step.durations = array("d", bytes(8 * step.chunks.capacity))
            if rule.failure_probability > 0.0:
                step.failures = bytearray(step.chunks.capacity)
            step.allocate_runs()
            return
        n = step.task_count
        durations = self._pools.durations(rule.duration, n)
        frames = step.structure.frames
        if rule.per_frame and frames is not None:  # a chunk takes its frames' time
            durations = array("d", (np.frombuffer(durations) * np.asarray(frames)).tobytes())
        step.durations = durations
        step.allocate_runs()
        p = rule.failure_probability
        if p > 0.0:
            step.failures = self._pools.failures(p, n)

    def _action_rule(self, queue: str, job: str, step: str, action: str,
                     environment: str | None) -> RuntimeRule:
        """The rule of a session action other than a task run (cached like :meth:`_rule`)."""
        key = (queue, job, step, action, environment or "")
        rule = self._rules.get(key)
        if rule is None:
            rule = self._rules[key] = self.runtimes.rule_for(
                queue=queue, job=job, step=step, action=action, environment=environment)
        return rule

    def _plan(self, job: JobState, queue: QueueState) -> Plan | None:
        """The job's session plan, shared by jobs of one structure and name in one queue."""
        key = (queue.index, job.name, id(job.submission.structure))
        if key not in self._plans:
            self._plans[key] = self.sessions.plan(job, queue.name, self._queue_envs[queue.index])
        return self._plans[key]

    def _rule(self, queue: str, job: str, step: str) -> RuntimeRule:
        key = (queue, job, step)
        rule = self._rules.get(key)
        if rule is None:
            rule = self._rules[key] = self.runtimes.rule_for(queue=queue, job=job, step=step)
        return rule

    def unused_rules(self) -> list[int]:
        """Indices of the scenario's ``runtimes`` entries none of whose rules a task run matched
        (a ``calibrate`` entry is used when any rule calibrated from it is)."""
        used = {id(rule) for rule in self._rules.values()}
        runtimes = self.runtimes
        used_entries = {runtimes.origin(i) for i, rule in enumerate(runtimes.rules)
                        if id(rule) in used}
        entries = sorted({runtimes.origin(i) for i in range(len(runtimes.rules))})
        return [e for e in entries if e not in used_entries]

    # ------------------------------------------------------------------ scheduling

    def assignable_step(self, job: JobState) -> StepState | None:
        """The :class:`~farmsim.scheduling.base.SchedulingView` method: see there."""
        if 0 < job.max_worker_count <= job.workers:
            job.in_index = False
            job.park_gen += 1
            job.parked_mwc = True
            job.parked_limits = False
            return None
        blocking = None
        for step in job.steps:
            if not step.counts[READY]:
                continue
            for limit, units in step.limits:
                if not (limit.max_count < 0 or limit.current + units <= limit.max_count):
                    if blocking is None:
                        blocking = [(limit, units)]
                    elif (limit, units) not in blocking:
                        blocking.append((limit, units))
                    break
            else:
                return step
        # Nothing assignable: every index entry of the job becomes stale.
        job.in_index = False
        job.park_gen += 1
        job.parked_limits = blocking is not None
        if blocking is not None:
            queue = self.queues[job.queue_index]
            for limit, units in blocking:
                queue.policy.park(job, limit, units)
        return None

    def start_next(self, worker: WorkerState, now: float) -> float | None:
        """Assign ``worker`` its next task run and return its duration, or None (the worker
        goes idle) if nothing may be taken.

        On success the worker's ``job``, ``step``, ``task``, ``attempt``, ``ready_at``,
        ``assigned_at`` and ``succeeded`` describe the run, the task is RUNNING and the step's
        limit units are held.
        """
        # Hot path: runs once per task run. take_task/set_status are inlined here.
        fleet = worker.fleet
        if fleet.multi_queue:
            choice, pos = self._choose_among_queues(fleet, worker)
            woken_for = worker.woken_for
            if woken_for >= 0:
                worker.woken_for = -1
                if choice is not None and fleet.queues[pos].index != woken_for:
                    # Woken for one queue, this worker serves another: pass the wake on.
                    self.notify(woken_for, 1)
        elif fleet.policy is not None:
            choice = fleet.policy.choose(self, worker, worker.last_job)
        else:
            choice = None  # the fleet serves no queue
        session_job = worker.session_job
        if choice is None:
            new_session = True
        else:
            new_session = choice[0] is not session_job or not worker.session_ok
        pre = 0.0
        if new_session and session_job is not None:
            # The session ends (E.3): its envExits run before anything else. A worker with
            # nothing to do next runs them before it goes idle; one with a task next runs them
            # before the new session's setup (the service sends both in one response).
            worker.session_job = None
            if worker.entered:
                pre = self.sessions.close(worker, session_job, now)
                if pre > 0.0:
                    if choice is None:
                        worker.teardown = True
                        return pre
                    worker.busy_until = now + pre
        if choice is None:
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
        counts, job_counts = step.counts, job.counts
        counts[READY] -= 1
        counts[RUNNING] += 1
        job_counts[READY] -= 1
        job_counts[RUNNING] += 1
        if step.limits:
            self._acquire(step, now)
        job.workers += 1
        if fleet.multi_queue:
            fleet.served[pos] += 1
            worker.queue_pos = pos
        if job.started_at != job.started_at:  # NaN: first task of the job
            job.started_at = now
        worker.ready_at = ready_at
        worker.job = job
        worker.step = step
        worker.task = task
        worker.assigned_at = now
        if worker.status != _RUNNING:
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
        setup = 0.0
        if new_session:  # it syncs and enters environments
            worker.session = self._session_count
            self._session_count += 1
            worker.session_job = job
            worker.session_ok = True
            worker.session_runs = 1
            if job.plan is not None:
                worker.session_step = step
                setup = self.sessions.open(worker, job, step, now + pre)
        else:
            worker.session_runs += 1
            if job.plan is not None and step is not worker.session_step:
                if job.plan.switch_cost:
                    setup = self.sessions.switch_step(worker, step, now)
                worker.session_step = step
        if self.on_assign is not None:
            self.on_assign(worker, now)
        setup += pre
        if not worker.session_ok:  # a setup action failed: so does this attempt (E.4)
            worker.started_at = math.nan
            return setup
        if setup == 0.0:
            worker.started_at = now
            return duration
        worker.started_at = now + setup
        return setup + duration

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
            choice = queues[pos].policy.choose(self, worker, worker.last_job)
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

    # ------------------------------------------------------------------ adaptive chunks

    def _form_chunk(self, step: StepState, task: int) -> None:
        """Form chunk ``task`` of an adaptive step as a worker takes it: its frames at the
        step's current chunk size, its duration and outcome, its creation events."""
        frames = step.chunks.form()
        rule = step.rule
        duration = self._pools.duration(rule.duration)
        step.durations[task] = duration * frames if rule.per_frame else duration
        p = rule.failure_probability
        if p > 0.0:
            step.failures[task] = self._pools.failed(p)
        self._creation_events(step, task, task + 1)

    def _creation_events(self, step: StepState, lo: int, hi: int) -> None:
        """The events an adaptive step's chunks ``[lo, hi)`` would have had from the job's
        creation: PENDING at submission if the step has dependencies, READY when it became
        READY."""
        events = self._event
        if step.structure.dependencies:
            events(pack_event(step.job.submitted_at, step.gidx, lo, hi, PENDING, -1))
        if step.ready_at == step.ready_at:  # not NaN: the step is READY
            events(pack_event(step.ready_at, step.gidx, lo, hi, READY, -1))

    def unformed_chunk_events(self) -> bytes:
        """The creation events of the chunks adaptive steps still plan (not formed yet), for
        the records at the end of a run."""
        saved = self._event
        out = bytearray()
        self._event = out.extend
        try:
            for step in self.steps:
                if step.chunks is not None and step.next_fresh < step.task_count:
                    self._creation_events(step, step.next_fresh, step.task_count)
        finally:
            self._event = saved
        return bytes(out)

    def _replan(self, step: StepState) -> None:
        """The chunk size of an adaptive step changed: the chunks its frames left need
        change with it (they are READY, or PENDING behind a dependency)."""
        new_count = step.next_fresh + step.chunks.planned()
        delta = new_count - step.task_count
        if not delta or step.job.final_status is not None:
            return
        code = READY if step.deps_left == 0 else PENDING
        if delta > 0:
            step.status[step.task_count:new_count] = array("b", bytes((code,)) * delta)
        step.task_count = new_count
        step.counts[code] += delta
        step.job.counts[code] += delta
        if code == READY:
            self._blocked_ready(step, delta)
            if delta > 0:
                self._work_added(step.job, delta)

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
        if worker.teardown:  # the envExits of an ended session are done
            worker.teardown = False
            return self.start_next(worker, now)
        job, step, task = worker.job, worker.step, worker.task
        fleet = worker.fleet
        # The worker asks again at once after this: on a single-queue fleet it will take a
        # task of this queue if there is one, so one unit of new work there is covered.
        self._credit = -1 if fleet.multi_queue else job.queue_index
        if step.limits:
            self._release_limits(step, now)
        job.workers -= 1
        if fleet.multi_queue:
            fleet.served[worker.queue_pos] -= 1
        worker.last_job = job
        job_counts = job.counts
        if worker.succeeded:
            step.status[task] = SUCCEEDED
            counts = step.counts
            counts[RUNNING] -= 1
            counts[SUCCEEDED] += 1
            job_counts[RUNNING] -= 1
            job_counts[SUCCEEDED] += 1
            # The task's one SUCCEEDED run goes to the step's columns (no record per run).
            step.run_worker[task] = worker.index
            step.run_session[task] = worker.session
            step.run_seq[task] = worker.session_runs
            step.run_assigned[task] = worker.assigned_at
            step.run_started[task] = worker.started_at
            step.run_ended[task] = now
            if worker.attempt:
                step.retry_ready[task] = worker.ready_at
            if step.chunks is not None and step.chunks.observe(now - worker.started_at,
                                                               step.chunks.counts[task]):
                self._replan(step)
            worker.job = worker.step = None
            if counts[SUCCEEDED] == step.task_count:
                self._step_succeeded(step, now)
        else:
            self._run_failed(worker, job, step, task, now)
        if 0 < job.max_worker_count <= job.counts[READY] + job.workers:
            self._mwc_slot_freed(job)  # the maximum was binding: a slot means a task
        if not job_counts[READY] and not job.workers:
            self._check_job_end(job)  # nothing READY or in flight: the job may have ended
        self._credit = -1
        return self.start_next(worker, now)

    def _mwc_slot_freed(self, job: JobState) -> None:
        """A worker left a job whose maxWorkerCount bounds how many of its READY tasks may be
        taken: one more may be taken now.

        Keyed on the counts, not on ``parked_mwc``: a job at its maximum may still sit in the
        index (nobody has looked at it since), and every freed slot must be announced, also when
        several workers leave at one instant.
        """
        job.parked_mwc = False
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
            started if started <= now else math.nan, now, status, after,
        ))
        worker.job = None
        worker.step = None

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
            job.parked_mwc = True
            return
        n = min(new, self._takeable(job))
        if not job.in_index and self.assignable_step(job) is not None:
            # Takeable now: index it. (Otherwise assignable_step has parked it on every
            # (limit, units) that blocks its READY work, the new work's included.)
            job.in_index = True
            job.parked_limits = False
            job.index_gen += 1
            job.park_gen += 1
            self.queues[job.queue_index].policy.add(job)
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
                if limit.max_count >= 0:
                    ready = min(ready, max(0, (limit.max_count - limit.current) // units))
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
        events = self._event
        for dependent in step.dependents:
            dependent.deps_left -= 1
            if dependent.deps_left == 0 and dependent.counts[PENDING] == dependent.task_count:
                n = dependent.task_count
                dependent.status = type(dependent.status)("b", bytes((READY,)) *
                                                          dependent.capacity)
                dependent.counts[PENDING] -= n
                dependent.counts[READY] += n
                jc = dependent.job.counts
                jc[PENDING] -= n
                jc[READY] += n
                dependent.ready_at = now
                self._blocked_ready(dependent, n)
                if dependent.chunks is None:
                    events(pack_event(now, dependent.gidx, 0, n, READY, -1))
                self._work_added(dependent.job, n)

    # ------------------------------------------------------------------ cancellation

    def _cancel_job(self, job: JobState, now: float) -> None:
        """Cancel every task of ``job`` that is not final (``maxFailedTasksCount`` tripped)."""
        events = self._event
        for step in job.steps:
            lo, hi = step.next_fresh, step.task_count
            if hi > lo:
                code = step.status[lo]
                if code in (READY, PENDING):
                    if step.chunks is not None:  # chunks never formed: they exist now
                        self._creation_events(step, lo, hi)
                    n = hi - lo
                    step.status[lo:hi] = type(step.status)("b", bytes((CANCELED,)) * n)
                    step.counts[code] -= n
                    step.counts[CANCELED] += n
                    job.counts[code] -= n
                    job.counts[CANCELED] += n
                    if code == READY:
                        self._blocked_ready(step, -n)
                    events(pack_event(now, step.gidx, lo, hi, CANCELED, -1))
                step.next_fresh = hi
            while step.retry_heap:
                task = heappop(step.retry_heap)
                step.task_ready_at.pop(task, None)
                step.set_status(task, CANCELED)
                self._blocked_ready(step, -1)
                events(pack_event(now, step.gidx, task, task + 1, CANCELED, -1))
        for fleet in self.fleets:
            for worker in fleet.workers:
                if worker.job is job:
                    self.cancel_run(worker, now)

    def cancel_run(self, worker: WorkerState, now: float) -> None:
        """End ``worker``'s task run as CANCELED now; the task becomes CANCELED."""
        job, step = worker.job, worker.step
        if not worker.started_at <= now:  # canceled during its session's setup
            self.sessions.cancel_setup(worker, now)
        worker.session_ok = False
        if not worker.entered:  # nothing to exit: the session ends now
            worker.session_job = None
        self._release(worker, job, step, now)
        step.set_status(worker.task, CANCELED)
        self._record_run(worker, now, RUN_CANCELED, CANCELED)
        worker.canceled = True
        self.cancel_worker(worker)
        self._check_job_end(job)

    def _check_job_end(self, job: JobState) -> None:
        if job.final_status is not None or job.counts[READY] or job.workers:
            return
        status = job.aggregate()
        if status in TERMINAL_JOB_STATUSES:
            job.final_status = status
            job.ended_at = self.now
