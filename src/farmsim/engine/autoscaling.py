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

Only :mod:`farmsim.engine` imports SimPy; this module schedules through the environment it is
given.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

from simpy.events import NORMAL

from farmsim.engine._simpy import reusable_event
from farmsim.model.enums import WORKER_STATUS_CODES, WorkerStatus
from farmsim.model.state import READY

if TYPE_CHECKING:
    from collections.abc import Iterable

    import simpy

    from farmsim.engine.control import ControlPlane
    from farmsim.engine.farm import FleetState, QueueState
    from farmsim.engine.workers import WorkerPool, WorkerState
    from farmsim.model.config import AutoScaling
    from farmsim.model.job import StepStructure
    from farmsim.model.state import LimitState, StepState

__all__ = ["GAP", "Autoscaler"]

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
        self._satisfies: dict[int, bool] = {}  # by id of a step structure
        #: Its workers that are neither stopping nor stopped (kept here: the fleet's list
        #: keeps every worker it ever had; the pool adds and removes them).
        self.live: list[WorkerState] = [w for w in fleet.workers
                                         if w.status not in (_STOPPING, _STOPPED)]
        self._recorded = (-1, -1)  # (target, workers) of the last fleet_scaling record
        for queue in fleet.queues:  # the queues keep their jobs with READY work for it
            if queue.ready is None:
                queue.ready = {job: None for job in queue.jobs
                               if job.final_status is None and job.counts[READY]}
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
        if (target, len(self.live)) != self._recorded:
            self._recorded = (target, len(self.live))
            self.control.recorder.fleet_scale(now, fleet.index, target, len(self.live))

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
        for job in list(listed):
            if job.final_status is not None or not job.counts[READY]:
                del listed[job]  # its work was taken (it is listed again when it has more)
                continue
            slots = (job.max_worker_count - job.workers if job.max_worker_count > 0
                     else math.inf)
            for step in job.steps:
                ready = step.counts[READY]
                if not ready or slots <= 0 or not self._can_take(step):
                    continue
                n = int(min(ready, slots))
                for limit, units in step.limits:
                    left = room.setdefault(limit, max(0, limit.room()))
                    n = min(n, left // units)
                if n <= 0:
                    continue
                for limit, units in step.limits:
                    room[limit] -= n * units
                slots -= n
                total += n
                if counted is not None:
                    counted[id(step.structure)] = step.structure
            if total > enough:
                break
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

    def _can_take(self, step: StepState) -> bool:
        """Whether the fleet's capabilities satisfy the step's host requirements."""
        key = id(step.structure)
        found = self._satisfies.get(key)
        if found is None:
            found = self._satisfies[key] = not self.fleet.capabilities.unmet(
                self.control.farm.fleet_amounts(step.structure), step.structure.attributes)
        return found

    @property
    def status(self) -> str:
        """GROWING (fewer workers than the target), SHRINKING (more) or STEADY."""
        n = len(self.live)
        return "GROWING" if self.target > n else "SHRINKING" if self.target < n else "STEADY"

    def set_bounds(self, low: int, high: int) -> None:
        """New ``minWorkerCount``/``maxWorkerCount`` (UpdateFleet): evaluated now."""
        self.low, self.high = low, high
        self._at(self.env.now)

    def forget_capabilities(self) -> None:
        """The fleet's capabilities changed (UpdateFleet ``configuration``)."""
        self._satisfies.clear()


def _is_idle(worker: WorkerState) -> bool:
    """Started and waiting for work (not stopping)."""
    return (worker.status == _IDLE and worker.job is None and worker.closing is None)
