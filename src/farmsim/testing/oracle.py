"""A brute-force scheduling oracle, independent of the policy's index and parking structures
(part of the testing kit: run any policy under it, a custom one with a reference of your own).

Use::

    from farmsim.testing.oracle import run_audited
    oracle = run_audited(Simulation(scenario))   # raises OracleViolation on a wrong choice

It hangs on the control plane's audit hooks (``on_assign``, ``on_idle``) and, at every
decision, scans every job of the relevant queues to decide which could have been given the
worker. It only reads state: jobs' priorities, submission order, READY counts and worker
counts, and the limits' counters. Queue-fleet and queue-limit associations come from the
scenario's configuration, not from the control plane's own tables.

The order a queue's policy must follow is a parameter: a *reference* per scheduling
configuration name (:data:`REFERENCES`), a brute-force function that, given every job of the
queue that was assignable at a decision, says which of them the worker may be given. A custom
policy (docs/policies.md) brings its own: ``references={"myPolicy": function}``, a
``reference(candidates, worker, current_job)`` method on the policy, or, for an
:class:`~farmsim.scheduling.OrderedPolicy` that does not override ``choose``, one derived from
its key (:func:`ordered_reference`: every candidate's key computed afresh at each decision).

Rules checked (semantics C.3, C.4, C.7, D.4, 10.10):

* on an assignment, the chosen job was assignable, and it is one the queue's reference allows
  (priorityFifo: no job that ranks before it, by higher priority or equal priority and earlier
  submission, was assignable; priorityBalanced and weightedBalanced: semantics D9 and D8, with
  the worker's counts taken off the job it was just given);
* with several queues on the worker's fleet, the chosen queue is a least-served one (by this
  fleet's workers) among the queues with assignable work;
* when a worker asks and gets nothing, no job in any queue of its fleet was assignable;
* at the end of every simulated instant (:func:`run_audited`): with a poll interval of 0 no
  worker is idle while its fleet's queues hold assignable work; with a positive interval, while
  a worker sleeps next to assignable work, at least as many idle workers are on their way (a
  wake or a first poll pending) as the tasks one job of the queue could take at once; every
  job's worker count and every limit's counter match the runs in flight.
"""

from __future__ import annotations

import functools
import inspect
import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

from farmsim.model.capabilities import FleetCapabilities
from farmsim.model.config import SCHEDULING_PARAMETERS
from farmsim.model.state import READY, RUNNING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from farmsim.engine.simulation import Simulation

    #: (assignable jobs of the queue, the worker, the job of its last run) -> the jobs it may
    #: be given.
    Reference = Callable[[Sequence[Any], Any, Any], Sequence[Any]]

__all__ = ["REFERENCES", "OracleViolation", "SchedulingOracle", "ordered_reference",
           "priority_balanced", "priority_fifo", "reference_for", "run_audited",
           "weighted_balanced"]


def priority_fifo(candidates: Sequence[Any], worker: Any, current_job: Any) -> list[Any]:
    """priorityFifo (semantics C.4): the highest priority, then the earliest submitted."""
    return [min(candidates, key=lambda j: (-j.priority, j.submit_seq))]


def _before(job: Any, worker: Any) -> tuple[int, int]:
    """``job``'s workers and rendering tasks (tasks in flight) when ``worker`` asked: the
    audit hook runs after the assignment, which counts on the chosen job."""
    mine = 1 if job is worker.job else 0
    return job.workers - mine, job.running - mine


def _parameter(config: Any, name: str, key: str) -> Any:
    """``key`` of the queue's configuration, or the API's default (docs/semantics.md D8, D9)."""
    given = {} if config is None else config.parameters
    return given.get(key, SCHEDULING_PARAMETERS[name][key][0])


def priority_balanced(candidates: Sequence[Any], worker: Any, current_job: Any, *,
                      config: Any = None) -> list[Any]:
    """priorityBalanced (semantics D9): among the jobs of the highest priority, the one with
    the fewest workers, the earliest submitted among equals (the even split); unless the
    worker's current job is at that priority and its rendering tasks exceed that job's by no
    more than ``renderingTaskBuffer``: then the current job."""
    buffer = _parameter(config, "priorityBalanced", "renderingTaskBuffer")
    top = max(j.priority for j in candidates)
    level = [j for j in candidates if j.priority == top]
    even = min(level, key=lambda j: (_before(j, worker)[0], j.submit_seq))
    if (current_job is not None and current_job is not even
            and any(j is current_job for j in level)
            and _before(current_job, worker)[1] - _before(even, worker)[1] <= buffer):
        return [current_job]
    return [even]


#: The unit of weightedBalanced's age, by a queue's ``simulation.submission_time_unit``.
_UNITS = {"seconds": 1.0, "minutes": 60.0, "hours": 3600.0}


def weighted_balanced(candidates: Sequence[Any], worker: Any, current_job: Any, *,
                      config: Any = None) -> list[Any]:
    """weightedBalanced (semantics D8), the formula as the API Reference writes it, at the
    assignment's time, in exact arithmetic: the highest weight (priority-100 jobs first and
    priority-0 jobs last with the overrides), the buffer only on the worker's current job;
    equal weights to the job with the fewest workers, then the earliest submitted. A job whose
    weight differs from the best's by a relative 1e-9 or less (but is not equal) is allowed
    too: the policy's floating-point rounding may order such two either way."""
    def get(key: str) -> Any:
        return _parameter(config, "weightedBalanced", key)
    given = {} if config is None else config.parameters
    settings = {} if config is None else config.settings
    first, last = "maxPriorityOverride" in given, "minPriorityOverride" in given
    unit = _UNITS[settings.get("submission_time_unit", "seconds")]
    by_tasks = settings.get("error_count", "failed_attempts") == "failed_tasks"
    pw, ew, sw, rw = (get("priorityWeight"), get("errorWeight"), get("submissionTimeWeight"),
                      get("renderingTaskWeight"))
    buffer = get("renderingTaskBuffer")
    now = worker.assigned_at

    def terms(j: Any) -> list[Fraction]:
        errors = j.failed_tasks if by_tasks else j.failed_attempts
        rendering = _before(j, worker)[1] - (buffer if j is current_job else 0)
        age = (Fraction(now) - Fraction(j.submitted_at)) / Fraction(unit)
        return [j.priority * Fraction(pw), errors * Fraction(ew), age * Fraction(sw),
                rendering * Fraction(rw)]

    def rank(j: Any) -> int:
        return 0 if first and j.priority == 100 else 2 if last and j.priority == 0 else 1

    weight: dict[int, Fraction] = {id(j): sum(terms(j), Fraction(0)) for j in candidates}
    best = min(candidates, key=lambda j: (rank(j), -weight[id(j)], _before(j, worker)[0],
                                          j.submit_seq))
    scale: Fraction = max(sum((abs(t) for t in terms(j)), Fraction(0)) for j in candidates)
    tolerance = Fraction(1, 10**9) * max(Fraction(1), scale)
    near = [j for j in candidates if j is not best and rank(j) == rank(best)
            and 0 < abs(weight[id(j)] - weight[id(best)]) <= tolerance]
    return [best, *near]


#: The reference order of each scheduling configuration, by name. A reference that takes a
#: ``config`` keyword is given its queue's SchedulingConfig (parameters and settings).
REFERENCES: dict[str, Reference] = {"priorityFifo": priority_fifo,
                                    "priorityBalanced": priority_balanced,
                                    "weightedBalanced": weighted_balanced}


def _configured(reference: Reference, config: Any) -> Reference:
    """``reference`` with its queue's ``config``, if it takes one."""
    if "config" in inspect.signature(reference).parameters:
        configured: Reference = functools.partial(cast("Any", reference), config=config)
        return configured
    return reference


class _Before:
    """A job as a worker saw it when it asked: the audit hook runs after the assignment, so
    the job the worker was given has one worker and one task in flight less, and one READY
    task more. Every other attribute is the job's."""

    __slots__ = ("_job", "_mine")

    def __init__(self, job: Any, worker: Any) -> None:
        self._job = job
        self._mine = 1 if getattr(job, "job", job) is worker.job else 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._job, name)

    @property
    def workers(self) -> int:
        return int(self._job.workers) - self._mine

    @property
    def running(self) -> int:
        return int(self._job.running) - self._mine

    @property
    def counts(self) -> list[int]:
        counts = list(self._job.counts)
        counts[RUNNING] -= self._mine
        counts[READY] += self._mine
        return counts


def ordered_reference(policy: Any) -> Reference:
    """The reference order of an :class:`~farmsim.scheduling.OrderedPolicy` instance that does
    not override ``choose``: the assignable job of the smallest ``(key, submission order)``,
    each key computed afresh on the job as the worker saw it when it asked (brute force: no
    index, no re-keying, so a key that depends on a count missing from the policy's
    ``watches`` shows up as a violation)."""
    def reference(candidates: Sequence[Any], worker: Any, current_job: Any) -> list[Any]:
        def rank(job: Any) -> tuple[Any, ...]:
            # (in a queue that routes steps to fleets the policy orders the job's lane of the
            # worker's fleet: the steps that fleet may take)
            seen = next((lane for lane in job.lanes or () if lane.fleet_index
                         == worker.fleet_index), job)
            key = policy.key(_Before(seen, worker))
            return (*(key if type(key) is tuple else (key,)), job.submit_seq)
        return [min(candidates, key=rank)]
    return reference


def reference_for(config: Any, references: Mapping[str, Reference] | None = None) -> Reference:
    """The reference order for a queue's SchedulingConfig: ``references[name]`` (default
    :data:`REFERENCES`) given its config when it takes one; for a custom policy not there, the
    policy class's own ``reference(self, candidates, worker, current_job)`` method if it has
    one, or :func:`ordered_reference` for an OrderedPolicy that does not override ``choose``.
    ValueError if there is none."""
    from farmsim.scheduling import OrderedPolicy, make_policy

    references = REFERENCES if references is None else references
    name = config.policy
    if name in references:
        return _configured(references[name], config)
    if name in REFERENCES:
        return _configured(REFERENCES[name], config)
    policy = make_policy(name, config.parameters, config.settings, config.source)
    own = getattr(policy, "reference", None)
    if callable(own):
        made: Reference = own
        return made
    written = getattr(type(policy), "checked_class_of", type(policy))  # (the user's class)
    if isinstance(policy, OrderedPolicy) and written.choose is OrderedPolicy.choose:
        return ordered_reference(policy)
    raise ValueError(f"no reference order for scheduling policy {name!r}: pass "
                     f"references={{{name!r}: function}} (candidates, worker, current_job) -> "
                     f"the jobs the worker may be given, or give the policy a reference method")


class OracleViolation(AssertionError):
    """The engine decided something the oracle says it must not."""


class SchedulingOracle:
    """Installs itself on ``sim.control``'s audit hooks; see the module docstring."""

    def __init__(self, sim: Simulation, references: Mapping[str, Reference] | None = None
                 ) -> None:
        self.sim = sim
        self.control = sim.control
        farm = sim.scenario.farm
        #: Per queue: the reference order its scheduling configuration must follow.
        self.reference: list[tuple[str, Reference]] = [
            (q.scheduling.policy, reference_for(q.scheduling, references))
            for q in farm.queues]
        self.fleet_queues: dict[int, list[int]] = {
            fi: [qi for qi, q in enumerate(farm.queues) if f.display_name in q.fleets]
            for fi, f in enumerate(farm.fleets)
        }
        limit_index = {lim.display_name: i for i, lim in enumerate(farm.limits)}
        #: Per queue: associated limits by lower-cased amountRequirementName.
        self.queue_limits: list[dict[str, int]] = [
            {farm.limits[limit_index[n]].amount_requirement_name.lower(): limit_index[n]
             for n in q.limits}
            for q in farm.queues
        ]
        #: Per fleet: its capabilities, read from the scenario, and the amounts limits provide
        #: (those a fleet need not satisfy).
        self.capabilities = [FleetCapabilities.from_configuration(f.configuration)
                             for f in farm.fleets]
        self.limit_amounts = {lim.amount_requirement_name.lower() for lim in farm.limits}
        self.poll_interval = float(farm.worker_poll_interval)
        self.assignments = 0
        self.idles = 0
        self.instants = 0
        self.contested = 0  # assignments where some other job of the queue had READY tasks
        sim.control.on_assign = self.on_assign
        sim.control.on_idle = self.on_idle

    # ------------------------------------------------------------------ eligibility

    def needs(self, job: Any, step: Any) -> list[tuple[int, int]]:
        """(limit index, units) a run of ``step`` takes: its amounts that name a limit of the
        job's queue. (A step naming any other limit is NOT_COMPATIBLE and never runs.)"""
        limits = self.queue_limits[job.queue_index]
        out = []
        for amount in step.structure.amounts:
            index = limits.get(amount.name.lower())
            if index is not None:
                out.append((index, amount.units))
        return out

    def fits(self, fleet: int | None, step: Any) -> bool:
        """Does ``fleet`` satisfy ``step``'s host requirements (semantics F.6)? (None: any
        fleet.)"""
        if fleet is None:
            return True
        structure = step.structure
        amounts = [a for a in structure.amounts if a.name.lower() not in self.limit_amounts]
        return not self.capabilities[fleet].unmet(amounts, structure.attributes)

    def assignable(self, job: Any, undo: Any = None, fleet: int | None = None) -> bool:
        """Could a worker of the job's queue (of ``fleet``, if given) take a task of ``job``
        now? ``undo`` is the worker whose just-made assignment is taken back first (its job's
        worker count, its step's READY count and its limit units)."""
        if job.final_status is not None:
            return False
        workers = job.workers
        undo_step = None
        freed: dict[int, int] = {}
        if undo is not None:
            if undo.job is job:
                workers -= 1
            undo_step = undo.step
            for index, units in self.needs(undo.job, undo.step):
                freed[index] = freed.get(index, 0) + units
        if 0 < job.max_worker_count <= workers:
            return False
        limits = self.control.limits
        for step in job.steps:
            ready = step.counts[READY] + (1 if step is undo_step else 0)
            if ready <= 0 or not self.fits(fleet, step):
                continue
            if all(limits[i].max_count < 0
                   or limits[i].current - freed.get(i, 0) + units <= limits[i].max_count
                   for i, units in self.needs(job, step)):
                return True
        return False

    def _queue_jobs(self, queue: int) -> list[Any]:
        return [j for j in self.control.jobs if j.queue_index == queue]

    def _describe(self, job: Any) -> str:
        return (f"job#{job.index}(priority={job.priority}, submit_seq={job.submit_seq}, "
                f"workers={job.workers}, max_worker_count={job.max_worker_count}, "
                f"ready={[s.counts[READY] for s in job.steps]})")

    # ------------------------------------------------------------------ hooks

    def on_assign(self, worker: Any, now: float) -> None:
        self.assignments += 1
        job, step = worker.job, worker.step
        fleet = worker.fleet_index
        if not self.fits(fleet, step):
            raise OracleViolation(
                f"t={now}: worker#{worker.index} of fleet {fleet} was given step "
                f"{step.structure.name} of {self._describe(job)}, whose host requirements the "
                "fleet does not satisfy")
        if not self.assignable(job, undo=worker, fleet=fleet):
            raise OracleViolation(
                f"t={now}: worker#{worker.index} was given {self._describe(job)} step "
                f"{step.structure.name}, which was not assignable")
        queue_jobs = self._queue_jobs(job.queue_index)
        if any(any(s.counts[READY] for s in j.steps) for j in queue_jobs if j is not job):
            self.contested += 1
        candidates = [j for j in queue_jobs
                      if j is job or self.assignable(j, undo=worker, fleet=fleet)]
        name, reference = self.reference[job.queue_index]
        allowed = reference(candidates, worker, worker.last_job)
        if job not in allowed:
            raise OracleViolation(
                f"t={now}: worker#{worker.index} was given {self._describe(job)} while "
                f"{self._describe(allowed[0])} ranks first in queue {job.queue_index} by "
                f"{name} and was assignable")
        queues = self.fleet_queues[worker.fleet_index]
        if len(queues) > 1:
            served = dict.fromkeys(queues, 0)
            for w in self.sim.workers:  # on a job: running a task or exiting its session
                on = w.job if w.job is not None else w.closing
                if w is not worker and w.fleet_index == worker.fleet_index and on is not None:
                    served[on.queue_index] += 1
            open_queues = [q for q in queues
                           if any(self.assignable(j, undo=worker, fleet=fleet)
                                  for j in self._queue_jobs(q))]
            least = min(served[q] for q in open_queues)
            if served[job.queue_index] != least:
                raise OracleViolation(
                    f"t={now}: worker#{worker.index} of fleet {worker.fleet_index} took queue "
                    f"{job.queue_index} served by {served[job.queue_index]} of its workers, "
                    f"while queues with work are served by {served} (semantics 10.10)")

    def on_idle(self, worker: Any, now: float) -> None:
        self.idles += 1
        for queue in self.fleet_queues[worker.fleet_index]:
            for job in self._queue_jobs(queue):
                if self.assignable(job, fleet=worker.fleet_index):
                    raise OracleViolation(
                        f"t={now}: worker#{worker.index} of fleet {worker.fleet_index} got "
                        f"nothing while {self._describe(job)} in queue {queue} was assignable")

    # ------------------------------------------------------------------ end of an instant

    def audit_instant(self, now: float) -> None:
        """Checks at the end of a simulated instant (every event at ``now`` processed)."""
        self.instants += 1
        workers = self.sim.workers
        running: dict[int, int] = {}
        held = [0] * len(self.control.limits)
        on_job: dict[int, int] = {}
        for w in workers:
            if w.job is not None:
                running[w.job.index] = running.get(w.job.index, 0) + 1
                for index, units in self.needs(w.job, w.step):
                    held[index] += units
            on = w.job if w.job is not None else w.closing
            if on is not None:
                on_job[on.index] = on_job.get(on.index, 0) + 1
            if w.job is not None and w.closing is not None:
                raise OracleViolation(f"t={now}: worker#{w.index} runs a task while it still "
                                      "exits a session (one active session per worker)")
        for job in self.control.jobs:
            if job.workers != on_job.get(job.index, 0):
                raise OracleViolation(
                    f"t={now}: {self._describe(job)} counts {job.workers} workers but "
                    f"{on_job.get(job.index, 0)} run it or exit a session of it (semantics C.7)")
            if job.running != running.get(job.index, 0):
                raise OracleViolation(
                    f"t={now}: {self._describe(job)} counts {job.running} runs in flight but "
                    f"{running.get(job.index, 0)} workers run it")
        for i, limit in enumerate(self.control.limits):
            if limit.current != held[i]:
                raise OracleViolation(f"t={now}: limit#{i} counts {limit.current} units but "
                                      f"runs in flight hold {held[i]}")
        for fleet, queues in self.fleet_queues.items():
            idle = [w for w in workers if w.fleet_index == fleet and self.sim.pool.asleep(w)]
            if not idle:
                continue
            for queue in queues:
                jobs = self._queue_jobs(queue)
                waiting = next((j for j in jobs if self.assignable(j, fleet=fleet)), None)
                if waiting is None:
                    continue
                if self.poll_interval == 0.0:
                    raise OracleViolation(
                        f"t={now}: worker#{idle[0].index} of fleet {fleet} is idle while "
                        f"{self._describe(waiting)} in queue {queue} is assignable")
                # Polling workers: enough of them must be on their way for the work one job
                # could take at once (a lower bound of the queue's takeable work).
                need = max(self.takeable(j, fleet) for j in jobs)
                coming = [w for w in workers if w.job is None and w.closing is None and self._due(w)
                          and queue in self.fleet_queues[w.fleet_index]
                          and self.assignable(waiting, fleet=w.fleet_index)]
                if len(coming) < need:
                    raise OracleViolation(
                        f"t={now}: {len(coming)} idle workers are due to poll for queue {queue} "
                        f"while {self._describe(waiting)} could take {need} tasks and "
                        f"worker#{idle[0].index} of fleet {fleet} sleeps")

    def _due(self, worker: Any) -> bool:
        """A worker without work that will poll without further notice: woken (its poll is
        scheduled), or not yet at its first poll; not one asleep in an idle list, nor one
        that stopped."""
        return not self.sim.pool.asleep(worker) and worker.stopped_at != worker.stopped_at

    def takeable(self, job: Any, fleet: int | None = None) -> int:
        """How many tasks of one step of ``job`` idle workers (of ``fleet``, if given) could
        take at once now (the best step; a lower bound of the job's takeable work)."""
        if job.final_status is not None:
            return 0
        slack = job.max_worker_count - job.workers if job.max_worker_count > 0 else 1 << 30
        limits = self.control.limits
        best = 0
        for step in job.steps:
            if not self.fits(fleet, step):
                continue
            n = min(step.counts[READY], slack)
            for i, units in self.needs(job, step):
                if limits[i].max_count >= 0:
                    n = min(n, max(0, (limits[i].max_count - limits[i].current) // units))
            best = max(best, n)
        return best


def run_audited(sim: Simulation, until: float | None = None, *,
                max_events: int = 500_000,
                references: Mapping[str, Reference] | None = None) -> SchedulingOracle:
    """Run ``sim`` event by event (to ``until``, or until no event is left) under a
    :class:`SchedulingOracle` with ``references`` (default :data:`REFERENCES`), auditing the
    end of every instant. Fails on a run that does not drain within ``max_events`` events (a
    livelock)."""
    oracle = SchedulingOracle(sim, references)
    env = sim.env
    horizon = math.inf if until is None else until
    daemons = sim.pool.daemons  # (hazard events: they do not keep a run going)
    queue = env._queue
    for _ in range(max_events):
        if env.peek() >= horizon or len(queue) <= daemons[0]:
            break
        env.step()
        if env.peek() > env.now:
            oracle.audit_instant(env.now)
    else:
        raise OracleViolation(f"no end after {max_events} events (t={env.now}): a livelock?")
    if until is not None:
        sim.run(until=until)  # nothing is left before ``until``: only moves the clock
    return oracle
