"""The farm at run time: queues (with their scheduling policies), fleets, limits, and how they
are associated, built once from the scenario's farm configuration."""

from __future__ import annotations

import copy
import math
from functools import partial
from typing import TYPE_CHECKING

from farmsim.errors import SimulationError
from farmsim.model.capabilities import FleetCapabilities
from farmsim.model.state import JobState, LimitState
from farmsim.scheduling import make_policy

if TYPE_CHECKING:
    from collections.abc import Callable

    from farmsim.engine.autoscaling import Autoscaler
    from farmsim.engine.workers import WorkerState
    from farmsim.model.config import FarmConfig
    from farmsim.model.distributions import Distribution
    from farmsim.model.job import AmountRequirement, StepStructure
    from farmsim.scheduling.base import SchedulingPolicy

__all__ = ["Farm", "FleetState", "QueueState"]


class QueueState:
    """A queue: its policy, its jobs, the fleets that serve it and its limits by amount name."""

    __slots__ = (
        "environments",
        "fleets",
        "index",
        "jobs",
        "lanes",
        "limits_by_amount",
        "make_policy",
        "name",
        "policy",
        "ready",
        "serving",
    )

    def __init__(self, index: int, name: str, policy: SchedulingPolicy,
                 environments: tuple[str, ...] = (),
                 make: Callable[[], SchedulingPolicy] | None = None) -> None:
        self.index = index
        self.name = name
        #: The fleets associated with the queue (its jobs' compatibility is decided on them).
        self.fleets: list[FleetState] = []
        #: Those of them scheduling its work (their queue-fleet association is ACTIVE): the
        #: ones whose idle workers are woken for it.
        self.serving: list[FleetState] = []
        self.jobs: list[JobState] = []
        #: Jobs that got READY work (a superset: entries whose work was taken are dropped by
        #: the reader), kept only while a scaling fleet serves the queue
        #: (``farmsim.engine.autoscaling``); None otherwise.
        self.ready: ReadyJobs | None = None
        self.limits_by_amount: dict[str, LimitState] = {}
        #: Its queue environments' names, by priority.
        self.environments = environments
        #: The queue's scheduling policy (read on every choice: a plain attribute; change it
        #: with :meth:`set_policy`).
        self.policy = policy
        #: Makes another policy of the same configuration (one per fleet when it routes).
        self.make_policy = make if make is not None else _copies(policy)
        #: When the queue routes steps to the fleets that satisfy them (some fleet of it
        #: does not satisfy a step of one of its jobs): each fleet's own policy, by fleet
        #: index, where the jobs are filed as lanes (``JobLane``); None otherwise.
        self.lanes: dict[int, SchedulingPolicy] | None = None

    def policy_for(self, fleet: FleetState) -> SchedulingPolicy:
        """The policy ``fleet``'s workers ask: the queue's, or the fleet's lane of it."""
        lanes = self.lanes
        return self.policy if lanes is None else lanes[fleet.index]

    def set_policy(self, policy: SchedulingPolicy,
                   make: Callable[[], SchedulingPolicy] | None = None) -> None:
        """Use ``policy`` (a new schedulingConfiguration) from now on. Also updates the copy
        that fleets serving only this queue keep for speed, and what its jobs must report to it
        (``JobState.watches``). It files no job with the new policy: before the queue has
        jobs that is all there is to do; with jobs, use ``ControlPlane.set_policy``.
        ``make`` makes more of the same configuration (default: copies of ``policy`` as
        given)."""
        self.policy = policy
        self.make_policy = make if make is not None else _copies(policy)
        if self.lanes is not None:
            self.lanes = {index: self.make_policy() for index in self.lanes}
        for fleet in self.fleets:
            if not fleet.multi_queue:
                fleet.policy = self.policy_for(fleet)
        for job in self.jobs:
            job.watches = int(policy.watches)


#: The limits (with the units a run takes) of each step of a job: what decides whether a job's
#: READY work may be taken for lack of licenses.
Signature = frozenset[tuple[tuple[LimitState, int], ...]]


class ReadyJobs:
    """A queue's jobs that got READY work, grouped by their steps' limits (:data:`Signature`),
    each group in the order its jobs got work: a scaler counting the work it could take
    skips a whole group whose every step waits for a limit without room, in O(1), rather than
    each of its jobs (a backlog waiting for licenses)."""

    __slots__ = ("groups", "where")

    def __init__(self, jobs: list[JobState] | None = None) -> None:
        self.groups: dict[Signature, dict[JobState, None]] = {}
        self.where: dict[JobState, Signature] = {}
        for job in jobs or ():
            self.add(job)

    def add(self, job: JobState) -> None:
        """``job`` got READY work (again)."""
        key: Signature = frozenset(step.limits for step in job.steps)
        old = self.where.get(job)
        if old is not None and old != key:  # (its limits changed: an association stopped)
            del self.groups[old][job]
        self.where[job] = key
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = {}
        group[job] = None

    def discard(self, job: JobState) -> None:
        """``job`` has no READY work left (or ended)."""
        key = self.where.pop(job, None)
        if key is not None:
            del self.groups[key][job]

    def __len__(self) -> int:
        return len(self.where)


class FleetState:
    """A fleet: its workers and the queues it serves (with how many of its workers each has)."""

    __slots__ = (
        "_capabilities",
        "autoscaler",
        "fits",
        "hazards",
        "index",
        "interruption_rate",
        "lifetime",
        "loss_detection",
        "loss_rate",
        "multi_queue",
        "name",
        "policy",
        "queues",
        "rr",
        "served",
        "start_delay",
        "stopped",
        "task_cap",
        "workers",
    )

    def __init__(self, index: int, name: str) -> None:
        self.index = index
        self.name = name
        self.queues: list[QueueState] = []
        self.workers: list[WorkerState] = []
        #: Workers of this fleet on each queue (by position in ``queues``): running one of its
        #: jobs' tasks or exiting a session of one. Kept while the fleet serves several queues.
        self.served: list[int] = []
        self.rr = 0
        #: Its autoscaler (``farmsim.engine.autoscaling``), None for a fixed fleet.
        self.autoscaler: Autoscaler | None = None
        self._capabilities = FleetCapabilities(declared=False)
        #: Whether its capabilities satisfy a step structure's host requirements, by the
        #: structure's id (``Farm.can_take``; cleared when the capabilities change).
        self.fits: dict[int, bool] = {}
        #: Positions in ``queues`` whose association stopped scheduling
        #: (UpdateQueueFleetAssociation STOP_SCHEDULING_*): the fleet takes none of their work.
        self.stopped: set[int] = set()
        #: True when the fleet chooses among its queues (it serves several, or one whose
        #: association is stopped): then ``served`` is kept up to date and choices go through
        #: ``ControlPlane._choose_among_queues``.
        self.multi_queue = False
        #: The longest a task run may take on it (s): a service-managed fleet's 5 days
        #: (semantics B, "Service-managed fleets"), then the run FAILED; inf for others.
        self.task_cap = math.inf
        #: How its workers' hosts go away: spot interruptions and losses (NOT_RESPONDING) a
        #: second per worker, the time until the service finds a lost one, and the longest
        #: a worker lives (a service-managed fleet's 7 days); ``hazards`` when any applies.
        self.interruption_rate = 0.0
        self.loss_rate = 0.0
        self.loss_detection = 300.0
        self.lifetime = math.inf
        self.hazards = False
        #: The time a host of a wait-and-save fleet takes to come (None: at once).
        self.start_delay: Distribution | None = None
        #: The policy of the fleet's only queue (None when it serves none or several, or its
        #: association is stopped).
        self.policy: SchedulingPolicy | None = None

    @property
    def capabilities(self) -> FleetCapabilities:
        """What its workers have (matched against steps' host requirements)."""
        return self._capabilities

    @capabilities.setter
    def capabilities(self, capabilities: FleetCapabilities) -> None:
        self._capabilities = capabilities
        self.fits.clear()

    def choose_mode(self) -> None:
        """Set ``multi_queue`` and ``policy`` from the queues and stopped associations. On
        entering the several-queues mode, ``served`` (and each worker's ``queue_pos``) is
        counted from the workers' current jobs: those running a task of a queue or exiting a
        session of one."""
        general = len(self.queues) > 1 or bool(self.stopped)
        if general and not self.multi_queue:
            served = [0] * len(self.queues)
            position = {queue.index: pos for pos, queue in enumerate(self.queues)}
            for worker in self.workers:
                job = worker.job if worker.job is not None else worker.closing
                if job is not None:
                    worker.queue_pos = position[job.queue_index]
                    served[worker.queue_pos] += 1
            self.served = served
        self.multi_queue = general
        self.policy = None if general or not self.queues else self.queues[0].policy_for(self)


class Farm:
    """The farm's queues, fleets and limits, associated as the configuration says.

    Args:
        config: the farm configuration.
    """

    __slots__ = ("amounts", "fleets", "limits", "queue_by_name", "queues")

    def __init__(self, config: FarmConfig) -> None:
        self.limits = [LimitState(i, lim.max_count) for i, lim in enumerate(config.limits)]
        limit_by_name = {lim.display_name: self.limits[i] for i, lim in enumerate(config.limits)}
        #: Every limit's amountRequirementName (lower-cased).
        self.amounts = {lim.amount_requirement_name.lower() for lim in config.limits}
        self.fleets = [FleetState(i, f.display_name) for i, f in enumerate(config.fleets)]
        fleet_by_name = {f.name: f for f in self.fleets}
        for fleet, f in zip(self.fleets, config.fleets, strict=True):
            fleet.capabilities = FleetCapabilities.from_configuration(f.configuration)
        self.queues: list[QueueState] = []
        self.queue_by_name: dict[str, QueueState] = {}
        for qi, q in enumerate(config.queues):
            make = partial(make_policy, q.scheduling.policy, q.scheduling.parameters,
                           q.scheduling.settings, q.scheduling.source)
            queue = QueueState(qi, q.display_name, make(), tuple(q.environments), make)
            for name in q.limits:
                limit = limit_by_name[name]
                amount = config.limits[limit.index].amount_requirement_name.lower()
                queue.limits_by_amount[amount] = limit
            for name in q.fleets:
                fleet = fleet_by_name[name]
                queue.fleets.append(fleet)
                queue.serving.append(fleet)
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
        for fleet in self.fleets:
            fleet.choose_mode()

    def fleet_amounts(self, structure: StepStructure) -> list[AmountRequirement]:
        """The amounts of a step a fleet's capabilities must satisfy: those no limit of the
        farm provides (a limit's amount binds a limit, or makes the step NOT_COMPATIBLE)."""
        return [a for a in structure.amounts if a.name.lower() not in self.amounts]

    def can_take(self, fleet: FleetState, structure: StepStructure) -> bool:
        """Whether ``fleet``'s capabilities satisfy the host requirements of a step of
        ``structure`` (its amounts no limit provides, and its attributes)."""
        key = id(structure)  # (a structure lives as long as the scenario: its id is stable)
        found = fleet.fits.get(key)
        if found is None:
            found = fleet.fits[key] = not fleet.capabilities.unmet(
                self.fleet_amounts(structure), structure.attributes)
        return found

    def add_limit(self, amount: str, max_count: int) -> LimitState:
        """A new limit (CreateLimit), associated with no queue."""
        limit = LimitState(len(self.limits), max_count)
        self.limits.append(limit)
        self.amounts.add(amount.lower())
        for fleet in self.fleets:  # (the amount is a limit's now, no fleet's to satisfy)
            fleet.fits.clear()
        return limit

    def associate(self, queue: QueueState, limit: LimitState, amount: str) -> None:
        """``queue``'s jobs created from now on use ``limit`` for ``amount``
        (CreateQueueLimitAssociation)."""
        queue.limits_by_amount[amount.lower()] = limit
        if queue.index not in limit.queues:
            limit.queues.append(queue.index)
        for fleet in queue.fleets:
            if fleet not in limit.fleets:
                limit.fleets.append(fleet)


def _copies(policy: SchedulingPolicy) -> Callable[[], SchedulingPolicy]:
    """Makes copies of ``policy`` as it is now (a policy is made empty, so: as configured).
    A policy that cannot be copied gets a maker that says so when a queue needs one."""
    try:
        template = copy.deepcopy(policy)
    except Exception as error:  # noqa: BLE001  (any object may be given as a policy)
        reason = f"{type(error).__name__}: {error}"

        def refuse() -> SchedulingPolicy:
            raise SimulationError(
                f"the queue's policy {type(policy).__name__} cannot be copied ({reason}), and "
                "a queue that routes steps to fleets needs one per fleet: give set_policy a "
                "make= that makes one")
        return refuse
    return lambda: copy.deepcopy(template)
