"""What happens to a job as a whole: its creation (compatibility, limits, session plan, initial
statuses, durations drawn per step), the chunks of an adaptive step, and its cancellation.

:class:`JobLifecycle` is a part of :class:`~farmsim.engine.control.ControlPlane` (a mixin): its
methods use the control plane's state and its run-lifecycle methods.
"""

from __future__ import annotations

from array import array
from heapq import heappop
from typing import TYPE_CHECKING

import numpy as np

from farmsim.engine.chunking import AdaptiveChunks
from farmsim.model.distributions import Fixed
from farmsim.model.enums import CreateJobTargetTaskRunStatus
from farmsim.model.runtimes import RuleMatch, RuntimeRule
from farmsim.model.state import (
    CANCELED,
    NOT_COMPATIBLE,
    PENDING,
    READY,
    SUSPENDED,
    JobState,
    StepState,
)
from farmsim.record.recorder import pack_event
from farmsim.record.runs import RUN_CANCELED, RunColumns

if TYPE_CHECKING:
    from collections.abc import Callable

    from farmsim.engine.control import QueueState
    from farmsim.engine.sessions import Plan
    from farmsim.model.config import JobSubmission
    from farmsim.engine.workers import WorkerState

__all__ = ["JobLifecycle"]


class JobLifecycle:
    """Job creation, adaptive chunks and cancellation, for the control plane."""

    # ------------------------------------------------------------------ job creation

    def submit(self, submission: JobSubmission, now: float) -> JobState:
        """Create a job (``CreateJob``) at ``now``; returns its state."""
        self.now = now
        queue = self.queue_by_name[submission.queue]
        job = JobState(len(self.jobs), submission, queue.index, now)
        job.watches = queue.policy.watches
        self.jobs.append(job)
        queue.jobs.append(job)
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
                self._draw_step(job, step, queue)
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
                elif not amount.is_worker_amount and not any(
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
            step.runs = RunColumns(step.capacity)
            return
        n = step.task_count
        durations = self._first_pools.durations(rule.duration, n)
        frames = step.structure.frames
        if rule.per_frame and frames is not None:  # a chunk takes its frames' time
            durations = array("d", (np.frombuffer(durations) * np.asarray(frames)).tobytes())
        step.durations = durations
        step.runs = RunColumns(step.capacity)
        p = rule.failure_probability
        if p > 0.0:
            step.failures = self._first_pools.failures(p, n)

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
                    step.status[lo:hi] = type(step.status)("b", bytes((CANCELED,)) * n)
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
