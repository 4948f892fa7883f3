"""Making jobs: a submission's steps, their limits (or why the job is NOT_COMPATIBLE), its
session plan, and every random number a task run takes (first attempts drawn per step when the
job is created, retries and adaptive chunks as they come).

:class:`JobFactory` is a part of the control plane (it holds no run-time state of its own but
the runtime rules' cache); the control plane decides what the new job's tasks do next.
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING

import numpy as np

from farmsim.engine.chunking import AdaptiveChunks
from farmsim.errors import SimulationError
from farmsim.model.distributions import Fixed
from farmsim.model.runtimes import RuleMatch, RuntimeRule
from farmsim.model.state import JobState, StepState

if TYPE_CHECKING:
    from farmsim.engine.farm import Farm, QueueState
    from farmsim.engine.sampling import SamplePools
    from farmsim.engine.sessions import Plan, Sessions
    from farmsim.model.config import JobSubmission
    from farmsim.model.runtimes import RuntimeModel
    from farmsim.record.runs import RunColumns

__all__ = ["JobFactory"]


class JobFactory:
    """Creates jobs and draws their task runs' durations and outcomes.

    Args:
        farm: the farm (queues, and the limits' amount names).
        runtimes: the runtime rules.
        first_attempts: the pools of first attempts (drawn per step, in submission order).
        during_run: the pools of what is drawn as the run goes (retries, adaptive chunks).
    """

    def __init__(self, farm: Farm, runtimes: RuntimeModel, first_attempts: SamplePools,
                 during_run: SamplePools, runs: RunColumns) -> None:
        self.farm = farm
        self._runs = runs
        self.runtimes = runtimes
        self._first = first_attempts
        self._pools = during_run
        self._rules: dict[tuple[str, ...], RuntimeRule] = {}
        self._plans: dict[tuple[int, str, int], Plan | None] = {}
        #: Whether a job's name can change its session plan: only if a rule for session
        #: actions matches job names (else jobs of one structure share a plan whatever their
        #: names, as a replayed trace's do).
        self._plans_by_name = any(r.match.action is not None and r.match.job is not None
                                  for r in runtimes.rules)
        #: A replayed job's rule, per recorded run time (many jobs share one).
        self._recorded: dict[float, RuntimeRule] = {}
        #: Set by the control plane: plans sessions (it needs :meth:`action_rule`).
        self.sessions: Sessions | None = None

    # ------------------------------------------------------------------ creation

    def create(self, submission: JobSubmission, queue: QueueState, index: int, first_gidx: int,
               now: float) -> tuple[JobState, set[int]]:
        """A new job of ``queue`` (its steps numbered from ``first_gidx``), with its steps'
        limits bound and its session plan; and the indices of its NOT_COMPATIBLE steps."""
        job = JobState(index, submission, queue.index, now)
        job.watches = int(queue.policy.watches)  # (an int: the engine tests it per run)
        for s in submission.structure.steps:
            job.steps.append(StepState(job, s, first_gidx + len(job.steps)))
        if len(job.steps) == 1:
            # A one-step job's task counts are its step's: one list, moved once per change
            # (every writer of counts checks ``job.counts is step.counts``).
            job.steps[0].counts = job.counts
        for step in job.steps:
            for d in step.structure.dependencies:
                job.steps[d].add_dependent(step)
        incompatible = self._bind_limits(job, queue)
        job.plan = self._plan(job, queue)
        return job, incompatible

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
                elif name in self.farm.amounts:
                    incompatible.add(step.index)  # a limit not associated with the queue (D.4)
            structure = step.structure
            if step.index not in incompatible and (
                    not any(self.farm.can_take(fleet, structure) for fleet in queue.fleets)
                    if queue.fleets else
                    bool(structure.attributes or self.farm.fleet_amounts(structure))):
                incompatible.add(step.index)  # no fleet of the queue satisfies it (F.6)
            step.limits = tuple(bound)
        return incompatible

    def _plan(self, job: JobState, queue: QueueState) -> Plan | None:
        """The job's session plan, shared by jobs of one structure and name in one queue."""
        # (The structure is the submission's, alive as long as the scenario: its id is stable.)
        key = (queue.index, job.name if self._plans_by_name else "",
               id(job.submission.structure))
        plan = self._plans.get(key, self)
        if plan is self:
            if self.sessions is None:
                raise SimulationError("the job factory plans sessions with no Sessions set")
            plan = self._plans[key] = self.sessions.plan(job, queue.name, queue.environments)
        return plan  # type: ignore[return-value]  # (not the factory: set above)

    # ------------------------------------------------------------------ draws

    def draw_step(self, job: JobState, step: StepState, queue: QueueState) -> None:
        """Draw every task's first-attempt duration and outcome in one vector each (an adaptive
        step's chunks are drawn as they are formed), and make room for its runs."""
        run_time = job.submission.run_time
        rule = (self.rule(queue.name, job.name, step.structure.name) if run_time is None
                else self._recorded_rule(run_time))
        step.rule = rule
        chunking = step.structure.chunking
        if chunking is not None and chunking.adaptive:
            # Chunks formed as workers take them (drawn then): room for the most there can be.
            chunks = step.chunks = AdaptiveChunks(chunking)
            step.task_count = chunks.planned()
            step.durations = array("d", bytes(8 * chunks.capacity))
            if rule.failure_probability > 0.0:
                step.failures = bytearray(chunks.capacity)
            step.run_base = self._runs.reserve(step.capacity)
            return
        n = step.task_count
        durations = self._first.durations(rule.duration, n)
        frames = step.structure.frames
        if rule.per_frame and frames is not None:  # a chunk takes its frames' time
            durations = array("d", (np.frombuffer(durations) * np.asarray(frames)).tobytes())
        step.durations = durations
        step.run_base = self._runs.reserve(n)
        p = rule.failure_probability
        if p > 0.0:
            step.failures = self._first.failures(p, n)

    def _recorded_rule(self, run_time: float) -> RuntimeRule:
        """The rule of a replayed job: its trace's recorded run time (one per distinct time)."""
        rule = self._recorded.get(run_time)
        if rule is None:
            rule = self._recorded[run_time] = RuntimeRule(match=RuleMatch(),
                                                          duration=Fixed(run_time))
        return rule

    def draw_retry(self, step: StepState, task: int) -> tuple[float, bool]:
        """Duration and success of a retry: drawn now (first attempts are drawn per step)."""
        rule = step.rule
        if rule is None:
            raise SimulationError(f"step#{step.gidx} retries a task it never drew")
        p = rule.failure_probability
        duration = self._pools.duration(rule.duration)
        if rule.per_frame:
            if step.chunks is not None:
                duration *= step.chunks.counts[task]
            elif step.structure.frames is not None:
                duration *= step.structure.frames[task]
        return duration, not (p > 0.0 and self._pools.failed(p))

    def draw_chunk(self, step: StepState, task: int) -> None:
        """Form chunk ``task`` of an adaptive step as a worker takes it: its frames at the
        step's current chunk size, its duration and outcome."""
        chunks, rule = step.chunks, step.rule
        if chunks is None or rule is None:
            raise SimulationError(f"step#{step.gidx} forms a chunk but is not adaptive")
        frames = chunks.form()
        duration = self._pools.duration(rule.duration)
        step.durations[task] = duration * frames if rule.per_frame else duration
        p = rule.failure_probability
        if p > 0.0:
            step.failures[task] = self._pools.failed(p)  # type: ignore[index]  # a bytearray

    # ------------------------------------------------------------------ rules

    def rule(self, queue: str, job: str, step: str) -> RuntimeRule:
        """The runtime rule of a task run of ``step`` (cached per (queue, job, step))."""
        key = (queue, job, step)
        rule = self._rules.get(key)
        if rule is None:
            rule = self._rules[key] = self.runtimes.rule_for(queue=queue, job=job, step=step)
        return rule

    def action_rule(self, queue: str, job: str, step: str, action: str,
                    environment: str | None) -> RuntimeRule:
        """The rule of a session action other than a task run (cached like :meth:`rule`)."""
        key = (queue, job, step, action, environment or "")
        rule = self._rules.get(key)
        if rule is None:
            rule = self._rules[key] = self.runtimes.rule_for(
                queue=queue, job=job, step=step, action=action, environment=environment)
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
