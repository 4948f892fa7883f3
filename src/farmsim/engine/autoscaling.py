"""Fleets that scale with the work: a service-managed fleet whose ``maxWorkerCount`` is above
its ``minWorkerCount`` (semantics F.2; docs/semantics.md D16).

An :class:`Autoscaler` per such fleet computes the number of workers the fleet wants,

    target = clamp(minWorkerCount, maxWorkerCount, busy + work + standbyWorkerCount)

where ``busy`` counts its workers running a task or exiting a session, and ``work`` the READY
tasks a new worker of the fleet could take now: of jobs below their ``maxWorkerCount``, of
steps whose limits have room (the room shared among the steps that need it) and that the
fleet's capabilities satisfy, in the queues the fleet schedules for (its associations ACTIVE),
less the idle workers of the other fleets serving those queues, and shared evenly among the
scaling fleets of a queue. So a farm blocked on licenses does not scale out for nothing.

It starts workers while the fleet is below the target, at most ``scaleOutWorkersPerMinute`` in
any minute; it stops a worker once it has been idle for ``workerIdleDurationSeconds`` and the
fleet is above the target, those idle longest first. It evaluates when work appears in a
queue the fleet serves, when one of its workers goes idle (at most once per :data:`GAP`
seconds for those), and at the times it set itself (the next minute while growing, the end of
an idle worker's idle time while shrinking); with nothing to do it waits for one of those, so
a run without a horizon still ends.
``target`` and ``status`` (GROWING, STEADY, SHRINKING) are what GetFleet reports as
``targetWorkerCount`` and ``autoScalingStatus``.

A customer-managed fleet in EVENT_BASED_AUTO_SCALING mode has a :class:`Recommender`
instead: the service computes the same target, but does not start or stop workers; it
recommends a fleet size (what a service-managed fleet would run: the size grows towards the
target at most ``scaleOutWorkersPerMinute`` a minute and shrinks by the workers idle for
``workerIdleDurationSeconds``), and the customer's automation makes the fleet that size a
``scaling_lag`` later (docs/semantics.md D16).

Only :mod:`farmsim.engine` imports SimPy; this module schedules through the environment it is
given.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

from simpy.events import NORMAL

from farmsim.engine._simpy import reusable_event
from farmsim.engine.farm import ReadyJobs
from farmsim.model.distributions import Fixed
from farmsim.model.enums import WORKER_STATUS_CODES, WorkerStatus
from farmsim.model.state import READY

if TYPE_CHECKING:
    from collections.abc import Iterable

    import numpy as np
    import simpy

    from farmsim.engine.control import ControlPlane
    from farmsim.engine.farm import FleetState, QueueState, Signature
    from farmsim.engine.workers import WorkerPool, WorkerState
    from farmsim.model.config import AutoScaling
    from farmsim.model.distributions import Distribution
    from farmsim.model.job import StepStructure
    from farmsim.model.state import JobState, LimitState, StepState

__all__ = ["GAP", "Autoscaler", "Recommender"]

_STOPPING = WORKER_STATUS_CODES[WorkerStatus.STOPPING]
_STOPPED = WORKER_STATUS_CODES[WorkerStatus.STOPPED]
_IDLE = WORKER_STATUS_CODES[WorkerStatus.IDLE]
_MINUTE = 60.0
#: The least time between two evaluations a wake asks for (s): the worker poll interval's
#: default, so the fleet answers new work about as fast as an idle worker does.
GAP = 15.0


class Autoscaler:
    """Scales one fleet between ``low`` and ``high`` workers with ``settings``.

    Args:
        env: the SimPy environment.
        pool: the worker pool (it starts and retires the workers).
        control: the control plane (its queues, jobs and limits are read, never changed).
        fleet: the fleet.
        low, high: ``minWorkerCount`` and ``maxWorkerCount``.
        settings: the fleet's ``autoScalingConfiguration``.
    """

    def __init__(self, env: simpy.Environment, pool: WorkerPool, control: ControlPlane,
                 fleet: FleetState, low: int, high: int, settings: AutoScaling) -> None:
        self.env = env
        self.pool = pool
        self.control = control
        self.fleet = fleet
        self.low = low
        self.high = high
        self.settings = settings
        #: The workers the fleet wants, as last evaluated.
        self.target = low
        self._launches: deque[float] = deque()  # start times of the last minute's workers
        self._due = math.inf  # when the next evaluation is scheduled (inf: none)
        self._last = -math.inf  # when the last one was
        self._pending: simpy.Event | None = None  # the evaluation scheduled
        #: Its workers that are neither stopping nor stopped (kept here: the fleet's list
        #: keeps every worker it ever had; the pool adds and removes them).
        self.live: list[WorkerState] = [w for w in fleet.workers
                                         if w.status not in (_STOPPING, _STOPPED)]
        self._recorded = (-1, -1)  # (target, workers) of the last fleet_scaling record
        for queue in fleet.queues:  # the queues keep their jobs with READY work for it
            if queue.ready is None:
                queue.ready = ReadyJobs([job for job in queue.jobs
                                         if job.final_status is None and job.counts[READY]])
        fleet.autoscaler = self

    # ------------------------------------------------------------------ when to evaluate

    def wake(self) -> None:
        """Evaluate soon (work appeared): now, or :data:`GAP` after the last evaluation, so
        that a stream of arrivals costs one evaluation per gap, not one each."""
        if len(self.live) < self.high:  # (at its maximum, new work changes nothing)
            self._at(max(self.env.now, self._last + GAP))

    def idle(self, worker: WorkerState) -> None:
        """``worker`` went idle: the fleet may shrink once its idle time is over (an
        evaluation then, unless one comes first)."""
        self._at(max(self.env.now, self._last + GAP,
                     worker.idle_since + self.settings.worker_idle_duration))

    def _at(self, when: float) -> None:
        if when >= self._due:
            return  # an evaluation comes first
        self._due = when
        event = self._pending = reusable_event(self.env, [self._evaluate])
        self.env.schedule(event, NORMAL, when - self.env.now)

    def _evaluate(self, event: simpy.Event) -> None:
        if event is not self._pending:
            return  # superseded by an earlier evaluation
        self._pending = None
        self._due = math.inf
        self._last = self.env.now
        self.evaluate()

    # ------------------------------------------------------------------ one evaluation

    def evaluate(self) -> None:
        """Compute the target; start or stop workers towards it; schedule what comes next."""
        now = self.env.now
        fleet, settings = self.fleet, self.settings
        live = list(self.live)  # (retiring takes workers off self.live)
        busy = sum(1 for w in live if w.job is not None or w.closing is not None)
        want = busy + self.work(self.high - busy - settings.standby_worker_count) \
            + settings.standby_worker_count
        self.target = target = max(self.low, min(self.high, want))
        n = len(live)
        if target > n:
            launches = self._launches
            while launches and launches[0] + _MINUTE <= now:  # (the sum the retry is at)
                launches.popleft()
            start = min(target - n, settings.scale_out_workers_per_minute - len(launches))
            if start > 0:
                self.pool.add(fleet, start)  # (the pool lists them in self.live)
                launches.extend([now] * start)
            if target > n + max(start, 0):  # the rate holds the rest back: a minute later
                self._at(launches[0] + _MINUTE)
        elif target < n:
            wait = settings.worker_idle_duration
            due, later = [], math.inf
            for w in live:
                if _is_idle(w):
                    if w.idle_since + wait <= now:
                        due.append(w)
                    elif w.idle_since + wait < later:
                        later = w.idle_since + wait
            due.sort(key=lambda w: (w.idle_since, w.index))
            stop = due[:n - target]
            for worker in stop:
                self.pool.retire(worker)
            if len(stop) < len(due):  # (stopped down to the target: the others stay idle)
                later = math.inf
            if n - len(stop) > target and later < math.inf:
                self._at(later)
        self._record()

    def work(self, enough: float = math.inf) -> int:
        """The READY tasks a new worker of the fleet could take now, its share of them (see
        the module's documentation); counting stops past ``enough`` (more would not change
        the target)."""
        fleet = self.fleet
        room: dict[LimitState, int] = {}
        total = 0
        for pos, queue in enumerate(fleet.queues):
            if pos in fleet.stopped:
                continue
            if total > enough:
                break
            idle_elsewhere = self._idle_elsewhere(queue)
            scalers = max(1, sum(1 for other in queue.serving if other.autoscaler is not None))
            counted: dict[int, StepStructure] = {}
            takeable = self._takeable(queue, room,
                                      (enough - total) * scalers + idle_elsewhere, counted)
            if takeable:
                # Only idle workers of fleets that may take all of that work cover it (a
                # queue that routes steps to fleets: another fleet may not satisfy them).
                idle_elsewhere = self._idle_elsewhere(queue, counted.values())
                total += -(-max(0, takeable - idle_elsewhere) // scalers)
        return total

    def _takeable(self, queue: QueueState, room: dict[LimitState, int],
                  enough: float = math.inf,
                  counted: dict[int, StepStructure] | None = None) -> int:
        """READY tasks of ``queue`` the fleet could take now (counting stops past ``enough``,
        counted before the other fleets' idle workers are taken off); ``room`` is what is
        left of each limit (shared with the other queues of this evaluation). The structures
        of the steps counted go to ``counted`` (by id)."""
        listed = queue.ready
        if listed is None:  # (not reached: made when the autoscaler is)
            return 0
        total = 0
        for key, group in list(listed.groups.items()):
            if not group:
                del listed.groups[key]
                continue
            if key and _blocked(key, room):
                continue  # every step of these jobs waits for a limit without room
            for job in list(group):
                if job.final_status is not None or not job.counts[READY]:
                    listed.discard(job)  # its work was taken (listed again when it has more)
                    continue
                slots = (job.max_worker_count - job.workers if job.max_worker_count > 0
                         else math.inf)
                took_units = False
                for step in self._steps_for(job):
                    ready = step.counts[READY]
                    if not ready or slots <= 0:
                        continue
                    n = int(min(ready, slots))
                    for limit, units in step.limits:
                        left = room.setdefault(limit, max(0, limit.room()))
                        n = min(n, left // units)
                    if n <= 0:
                        continue
                    for limit, units in step.limits:
                        room[limit] -= n * units
                        took_units = True
                    slots -= n
                    total += n
                    if counted is not None:
                        counted[id(step.structure)] = step.structure
                if total > enough:
                    return total
                if took_units and _blocked(key, room):
                    break  # the rest of the group waits for limits now without room
        return total

    def _idle_elsewhere(self, queue: QueueState,
                        structures: Iterable[StepStructure] | None = None) -> int:
        """Idle workers of the other fleets serving ``queue`` (only of those that may take
        steps of all ``structures``, if given)."""
        fleet = self.fleet
        can_take = self.control.farm.can_take
        others = [other for other in queue.serving if other is not fleet]
        if structures is not None:
            wanted = list(structures)
            others = [other for other in others
                      if all(can_take(other, structure) for structure in wanted)]
        return sum(1 for other in others for w in other.workers if _is_idle(w))

    def _steps_for(self, job: JobState) -> list[StepState]:
        """The steps of ``job`` the fleet's workers may take: all of them, unless its queue
        routes steps to fleets (then those of the fleet's lane of it, as decided when the job
        was created, docs/semantics.md D23)."""
        lanes = job.lanes
        if lanes is None:
            return job.steps
        index = self.fleet.index
        for lane in lanes:
            if lane.fleet_index == index:
                return lane.steps
        return []

    @property
    def status(self) -> str:
        """GROWING (fewer workers than the target), SHRINKING (more) or STEADY."""
        n = len(self.live)
        return "GROWING" if self.target > n else "SHRINKING" if self.target < n else "STEADY"

    def set_bounds(self, low: int, high: int) -> None:
        """New ``minWorkerCount``/``maxWorkerCount`` (UpdateFleet): evaluated now."""
        self.low, self.high = low, high
        self._at(self.env.now)

    def replace(self, worker: WorkerState) -> None:
        """``worker`` failed to start (its host configuration script timed out; the pool has
        stopped it and taken it off :attr:`live`): evaluate now, which starts another if the
        fleet still wants it."""
        self._at(self.env.now)

    def _record(self) -> None:
        """A ``fleet_scaling`` row, if the target or the workers changed since the last."""
        if (self.target, len(self.live)) != self._recorded:
            self._recorded = (self.target, len(self.live))
            self.control.recorder.fleet_scale(self.env.now, self.fleet.index, self.target,
                                              len(self.live))


class Recommender(Autoscaler):
    """The service's fleet size recommendations for a customer-managed fleet in
    EVENT_BASED_AUTO_SCALING mode, and the customer's automation that applies them.

    Each evaluation computes the target as :class:`Autoscaler` does, and from it the fleet
    size a service-managed fleet would move to: towards a higher target by at most
    ``scaleOutWorkersPerMinute`` in any minute, towards a lower one by the workers idle for
    ``workerIdleDurationSeconds`` (less those the recommendations already made will stop),
    and always within ``low`` and ``high`` (bounds UpdateFleet changes apply to it at once). The
    size recommended last is :attr:`target` (what GetFleet reports and ``fleet_scaling``
    records). Each change of the recommendation is applied ``lag`` (drawn per change) after it
    was made: the fleet's workers are started, or stopped (idle workers first, those idle
    longest first; then workers still starting, then busy ones, the newest first, which
    finish their task run). Changes are applied in the order they come due; one that comes
    due after a newer one was applied (drawn lags can cross) is dropped: a newer
    recommendation replaces it, and the fleet never goes back to an older one.

    Args:
        lag: the time the customer's automation takes to apply a recommendation.
        rng: the Generator the lags are drawn from (a fixed lag draws nothing).
        (the others as :class:`Autoscaler`'s)
    """

    def __init__(self, env: simpy.Environment, pool: WorkerPool, control: ControlPlane,
                 fleet: FleetState, low: int, high: int, settings: AutoScaling, *,
                 lag: Distribution, rng: np.random.Generator) -> None:
        super().__init__(env, pool, control, fleet, low, high, settings)
        self.lag = lag
        self._rng = rng
        #: The fleet size recommended last, and the one the automation applied last (the
        #: fleet starts at the size it has).
        self.target = self.size = len(self.live)
        self._made = 0  # recommendations made
        self._applied = 0  # the number of the one applied last (0: the initial size)

    def wake(self) -> None:
        if self.target < self.high:
            self._at(max(self.env.now, self._last + GAP))

    def evaluate(self) -> None:
        """Compute the target and the recommendation; a changed recommendation is made (and
        applied a lag later)."""
        now = self.env.now
        settings = self.settings
        live = self.live
        busy = sum(1 for w in live if w.job is not None or w.closing is not None)
        want = busy + self.work(self.high - busy - settings.standby_worker_count) \
            + settings.standby_worker_count
        target = max(self.low, min(self.high, want))
        size = self.target
        if target > size:
            launches = self._launches
            while launches and launches[0] + _MINUTE <= now:
                launches.popleft()
            more = min(target - size, settings.scale_out_workers_per_minute - len(launches))
            if more > 0:
                size += more
                launches.extend([now] * more)
            if target > size:  # the rate holds the rest back: a minute later
                self._at(launches[0] + _MINUTE)
        elif target < size:
            wait = settings.worker_idle_duration
            due, later = 0, math.inf
            for w in live:
                if _is_idle(w):
                    end = w.idle_since + wait
                    if end <= now:
                        due += 1
                    elif end < later:
                        later = end
            leaving = max(0, len(live) - size)  # (what the recommendations made will stop)
            size -= min(size - target, max(0, due - leaving))
            if size > target and later < math.inf:
                self._at(later)
        size = max(self.low, min(self.high, size))  # (new bounds apply to it at once)
        if size != self.target:
            self.target = size
            self._made += 1
            self._apply_later(self._made, size)
        self._record()

    def replace(self, worker: WorkerState) -> None:
        """``worker`` failed to start: the customer's automation starts another to keep the
        fleet at the size it applied last, a lag later (as it applies a recommendation)."""
        self._apply_later(self._applied, self.size)

    def _apply_later(self, number: int, size: int) -> None:
        lag = self.lag
        delay = (float(lag.value) if isinstance(lag, Fixed)
                 else float(lag.sample(self._rng, 1)[0]))

        def apply(event: simpy.Event) -> None:
            self._apply(number, size)

        self.env.schedule(reusable_event(self.env, [apply]), NORMAL, delay)

    def _apply(self, number: int, size: int) -> None:
        """The customer's automation makes the fleet ``size`` workers (recommendation
        ``number``), unless a newer recommendation was applied first."""
        if number < self._applied:
            return  # replaced by a newer one
        self._applied, self.size = number, size
        live = self.live
        n = len(live)
        if size > n:
            self.pool.add(self.fleet, size - n)
        elif size < n:
            for worker in sorted(live, key=_leaving_order)[:n - size]:
                self.pool.retire(worker)
        self._record()


def _leaving_order(worker: WorkerState) -> tuple[int, float, int]:
    """Which workers a shrinking customer-managed fleet stops first: idle ones (idle longest
    first), then those still starting, then busy ones (newest first)."""
    if _is_idle(worker):
        return (0, worker.idle_since, worker.index)
    busy = worker.job is not None or worker.closing is not None
    return (2 if busy else 1, 0.0, -worker.index)


def _blocked(key: Signature, room: dict[LimitState, int]) -> bool:
    """Whether every step of a job of signature ``key`` waits for a limit without room for a
    run's units (``room``: what this evaluation has left of each limit it has met)."""
    for limits in key:
        for limit, units in limits:
            left = room.get(limit)
            if left is None:
                left = room[limit] = max(0, limit.room())
            if left < units:
                break
        else:
            return False  # this step has room in all its limits
    return True


def _is_idle(worker: WorkerState) -> bool:
    """Started and waiting for work (not stopping)."""
    return (worker.status == _IDLE and worker.job is None and worker.closing is None)
