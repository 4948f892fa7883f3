"""Workers: their state machine, and the pool that owns them.

A worker's status is the API's WorkerStatus, recorded at each change (``result.workers``)::

    CREATED --> STARTED --> IDLE <--> RUNNING --> STOPPING --> STOPPED
                    \\______________________________/^
    (any of STARTED, IDLE, RUNNING, STOPPING) --> NOT_RESPONDING --> STOPPED

* CREATED: the pool made it (:meth:`WorkerPool.add`); STARTED when its host is there (at
  once, or a wait-and-save fleet's start delay later); it boots and runs its fleet's host
  configuration script, then asks for work. Its worker-hours run from STARTED to STOPPED (or
  the end of the run).
* IDLE: it asked for work and got none; it waits, and polls every ``worker_poll_interval`` at
  its own phase when work appears (the pool wakes only as many as the new work needs).
* RUNNING: it holds a session. Inside RUNNING it is, at each moment, in one activity
  (:meth:`WorkerState.activity`): SETUP (the session's syncs and envEnters before a task
  run), TASK (the taskRun), or TEARDOWN (the envExits of a session that ended; it takes
  nothing new meanwhile and still counts on the job, semantics C.7, E.3).
* STOPPING: the pool was told to retire it (:meth:`WorkerPool.retire`); it takes no new
  work, finishes its task run and its session's envExits, then is STOPPED. An idle worker is
  STOPPED at once.

* NOT_RESPONDING: its host configuration script timed out, or its host was lost without
  notice and the service found it (docs/semantics.md D17, D36); then STOPPED at once.

Hosts go away (docs/semantics.md D36): a spot interruption or the end of a service-managed
worker's life retires the worker and interrupts its run (the task INTERRUPTING until the
worker stops); a host lost without notice stops doing anything until the service finds it.
The fleet may start another worker (``failed``).
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from enum import IntEnum
from heapq import heappush
from typing import TYPE_CHECKING

import simpy
from simpy.events import NORMAL, URGENT

from farmsim.engine._simpy import event_queue, reusable_event
from farmsim.errors import SimulationError
from farmsim.model.enums import WORKER_STATUS_CODES, WorkerStatus
from farmsim.record.recorder import pack_worker

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np

    from farmsim.engine.control import ControlPlane
    from farmsim.engine.farm import FleetState
    from farmsim.engine.sessions import Block, Environment
    from farmsim.model.distributions import Distribution
    from farmsim.model.state import JobState, StepState
    from farmsim.record.recorder import Recorder

__all__ = ["Activity", "WorkerPool", "WorkerState"]

_CREATED = WORKER_STATUS_CODES[WorkerStatus.CREATED]
_STARTED = WORKER_STATUS_CODES[WorkerStatus.STARTED]
_IDLE = WORKER_STATUS_CODES[WorkerStatus.IDLE]
_STOPPING = WORKER_STATUS_CODES[WorkerStatus.STOPPING]
_STOPPED = WORKER_STATUS_CODES[WorkerStatus.STOPPED]
_NOT_RESPONDING = WORKER_STATUS_CODES[WorkerStatus.NOT_RESPONDING]


class Activity(IntEnum):
    """What a worker does at a moment (inside RUNNING, or NONE)."""

    NONE = 0
    SETUP = 1
    TASK = 2
    TEARDOWN = 3


class WorkerState:
    """One worker: its status, what it runs now, and what the engine needs to wake it.

    ``job``/``step``/``task`` describe the task run in progress (None when it has none);
    ``session`` numbers the worker's current session and ``session_job`` is its job (None when
    the worker has no session open); ``closing`` is the job whose ended session's envExits it
    runs. Its activity is derived from these (:meth:`activity`), never stored.
    """

    __slots__ = (
        "assign_seq",
        "assigned_at",
        "attempt",
        "block",
        "block_at",
        "block_step",
        "closing",
        "closing_until",
        "created_at",
        "entered",
        "event",
        "fleet",
        "fleet_index",
        "idle_since",
        "index",
        "job",
        "last_job",
        "on_ask",
        "online_at",
        "pending_at",
        "phase",
        "queue_pos",
        "ready_at",
        "session",
        "session_job",
        "session_ok",
        "session_runs",
        "session_step",
        "started_at",
        "status",
        "step",
        "stopped_at",
        "succeeded",
        "task",
        "woken_for",
    )

    def __init__(self, index: int, fleet: FleetState, phase: float) -> None:
        self.index = index
        self.fleet_index = fleet.index
        self.fleet = fleet
        #: Offset of this worker's polls within the poll interval.
        self.phase = phase
        #: Its WorkerStatus code (``WORKER_STATUS_CODES``).
        self.status = _CREATED
        #: When it was CREATED, STARTED (its worker-hours start) and STOPPED (NaN: not yet).
        self.created_at = 0.0
        self.online_at = float("nan")
        self.stopped_at = float("nan")
        self.job: JobState | None = None
        self.step: StepState | None = None
        self.task = -1
        self.attempt = 0
        self.ready_at = 0.0
        self.assigned_at = 0.0
        self.assign_seq = 0
        self.session = -1
        self.last_job: JobState | None = None
        #: When the task run in progress starts its taskRun action (after session setup).
        self.started_at = 0.0
        #: The open session: its job, the step of its last run, whether it can go on (False
        #: after a failed or canceled action, semantics E.4) and how many task runs it has had.
        self.session_job: JobState | None = None
        self.session_step: StepState | None = None
        self.session_ok = True
        self.session_runs = 0
        #: Environments entered (or attempted), in order: what the session's envExits undo.
        self.entered: list[tuple[Environment, int, float, float]] = []
        #: Where the setup actions of the run in progress start in the action records.
        self.pending_at = 0
        #: The session's setup recorded as one block (engine.sessions.Block; None: as actions
        #: in ``entered``), when it started and the step it was for.
        self.block: Block | None = None
        self.block_at = 0.0
        self.block_step = -1
        #: The job whose ended session's envExits the worker runs (no task run), and until when.
        self.closing: JobState | None = None
        self.closing_until = 0.0
        #: The SimPy event of the worker's next moment (end of its run, its next poll), and
        #: the callbacks of a poll (both set by the pool when it starts the worker).
        self.event: simpy.Event
        self.on_ask: list[Callable[[simpy.Event], None]] = []
        #: Position, in its fleet's queue list, of the queue of the run in progress.
        self.queue_pos = 0
        #: When it last became IDLE (NaN: never).
        self.idle_since = math.nan
        #: Whether the run in progress will succeed (drawn at assignment).
        self.succeeded = True
        #: The queue whose new work woke this idle worker (-1: none pending).
        self.woken_for = -1

    def activity(self, now: float) -> Activity:
        """What the worker does at ``now``: its session's setup, a task run, a session's
        envExits, or nothing."""
        if self.job is not None:
            return Activity.TASK if self.started_at <= now else Activity.SETUP
        if self.closing is not None:
            return Activity.TEARDOWN
        return Activity.NONE


class WorkerPool:
    """Owns every worker: creates and starts them (also during a run), runs each one's SimPy
    events, keeps the idle lists, wakes idle workers when work appears, and retires workers.

    Args:
        env: the SimPy environment.
        control: the control plane the workers ask for work.
        recorder: where worker status changes go.
        poll_interval: ``farm.simulation.worker_poll_interval`` (0: idle workers ask at once).
        phases: the Generator of the workers' polling phases.
    """

    def __init__(self, env: simpy.Environment, control: ControlPlane, recorder: Recorder,
                 poll_interval: float, phases: np.random.Generator) -> None:
        self.env = env
        #: SimPy's event queue and id counter (engine/_simpy.py): the hot paths push onto it.
        self._queue, self._ids = event_queue(env)
        self.control = control
        self.poll_interval = poll_interval
        self._phases = phases
        self._record = recorder.worker_events.extend
        self.workers: list[WorkerState] = []
        #: Idle workers of each fleet, as (phase, worker index), sorted.
        self._idle: list[list[tuple[float, int]]] = [[] for _ in control.fleets]
        control.demand.notify = self.notify
        control.demand.notify_fleet = self.notify_fleet
        control.cancel_worker = self.cancel
        #: Whether any fleet scales (set by the simulation when it makes an autoscaler).
        self.scaling = False
        #: Each fleet's boot time distribution (``FleetConfig.boot_time``; None: none), drawn
        #: from the phases' generator as each worker starts.
        self.boot_times: list[Distribution | None] = [None] * len(control.fleets)
        #: Each fleet's host configuration script as (its time, its ``scriptTimeoutSeconds``)
        #: (None: none, or no time), drawn from the phases' generator after the boot; a draw
        #: above the timeout makes the worker fail to start: NOT_RESPONDING, then STOPPED.
        self.host_configs: list[tuple[Distribution, float] | None] = [None] * len(
            control.fleets)
        #: Called with a worker that failed to start (set by the simulation: its fleet may
        #: start another).
        self.failed: Callable[[WorkerState], None] | None = None
        #: Workers whose host went away (interrupted, lost, at the end of its life), by index:
        #: their fleet may start others when they stop (empty unless a fleet loses workers).
        self._lost: set[int] = set()
        #: Lost workers the service has not found yet: they do nothing (:meth:`_lose`).
        self._gone: set[int] = set()
        self._hazards = False
        #: Hazard events in SimPy's queue: they do not keep a run going (engine/_simpy.py).
        self.daemons = [0]

    # ------------------------------------------------------------------ starting, retiring

    def add(self, fleet: FleetState, n: int) -> list[WorkerState]:
        """Create and start ``n`` workers of ``fleet`` now: CREATED, STARTED, then each asks
        for work at its first poll."""
        now = self.env.now
        phases = self._phases.uniform(0.0, self.poll_interval, n).tolist()
        added = []
        for phase in phases:
            worker = WorkerState(len(self.workers), fleet, phase)
            worker.created_at = now
            self.workers.append(worker)
            fleet.workers.append(worker)
            self._record(pack_worker(now, worker.index, _CREATED))
            self._start(worker)
            added.append(worker)
        if fleet.autoscaler is not None:
            fleet.autoscaler.live.extend(added)
        return added

    def retire(self, worker: WorkerState) -> None:
        """Stop ``worker``: it takes no new work; an idle worker is STOPPED now, a busy one
        STOPPING until its task run and its session's envExits end."""
        if worker.status in (_STOPPING, _STOPPED):
            return
        now = self.env.now
        was_idle = worker.status == _IDLE
        worker.status = _STOPPING
        scaler = worker.fleet.autoscaler
        if scaler is not None:
            scaler.live.remove(worker)
        self._record(pack_worker(now, worker.index, _STOPPING))
        if was_idle:
            if self.asleep(worker):
                self._idle[worker.fleet_index].remove((worker.phase, worker.index))
                self.env.schedule(worker.event, NORMAL, 0.0)  # it asks, and sees it stops
            elif worker.woken_for >= 0:
                # Woken for new work, it will take none at its poll: wake another in its place.
                self.notify(worker.woken_for, 1)

    def live(self, fleet: FleetState) -> int:
        """How many of ``fleet``'s workers are neither STOPPING nor STOPPED."""
        return sum(1 for w in fleet.workers if w.status not in (_STOPPING, _STOPPED))

    def resize(self, fleet: FleetState, n: int) -> None:
        """Make ``fleet`` run ``n`` workers from now on: start the missing ones, or retire the
        extra ones, idle workers first (newest first), then busy ones (newest first), which
        finish their task run and their session's envExits (UpdateFleet of a fleet that runs
        a fixed number of workers)."""
        live = [w for w in fleet.workers if w.status not in (_STOPPING, _STOPPED)]
        if n > len(live):
            self.add(fleet, n - len(live))
            return
        extra = len(live) - n
        if extra <= 0:
            return
        order = sorted(live, key=lambda w: (w.job is not None or w.closing is not None,
                                            -w.index))
        for worker in order[:extra]:
            self.retire(worker)

    def _stopped(self, worker: WorkerState) -> None:
        now = self.env.now
        worker.status = _STOPPED
        worker.stopped_at = now
        self._record(pack_worker(now, worker.index, _STOPPED))
        if self._hazards:  # (only when a fleet's workers can be lost)
            self.control.worker_stopped(worker, now)  # its INTERRUPTING tasks are READY
            if worker.index in self._lost:
                self._lost.discard(worker.index)
                if self.failed is not None:
                    self.failed(worker)  # its fleet may start another

    # ------------------------------------------------------------------ workers lost

    def _arm(self, worker: WorkerState, now: float) -> None:
        """``worker`` is STARTED on a fleet whose workers can be lost: schedule the first of
        its spot interruption, its loss (NOT_RESPONDING) and the end of its life."""
        fleet = worker.fleet
        rng = self._phases
        when, what = now + fleet.lifetime, self._interrupt
        if fleet.interruption_rate > 0.0:
            t = now + float(rng.exponential(1.0 / fleet.interruption_rate))
            when = min(when, t)
        if fleet.loss_rate > 0.0:
            t = now + float(rng.exponential(1.0 / fleet.loss_rate))
            if t < when:
                when, what = t, self._lose
        if when == math.inf:
            return
        self._hazards = True

        def fire(event: simpy.Event) -> None:
            self.daemons[0] -= 1
            what(worker)

        self.daemons[0] += 1
        self.env.schedule(reusable_event(self.env, [fire]), NORMAL, when - now)

    def _interrupt(self, worker: WorkerState) -> None:
        """``worker``'s host is going away with notice (a spot interruption, the end of its
        life): it is STOPPING, its task run ends INTERRUPTED and its task is INTERRUPTING until
        the worker has run its session's envExits and stopped; then the task is READY and the
        fleet may start another worker."""
        if worker.status == _STOPPED or worker.index in self._gone:
            return
        if worker.status != _STOPPING:  # (one already leaving is not replaced)
            self._lost.add(worker.index)
        self.retire(worker)
        if worker.job is not None:
            self.control.interrupt(worker, self.env.now)

    def _lose(self, worker: WorkerState) -> None:
        """``worker``'s host is lost without notice: it does nothing more (its run does not
        end, it takes nothing), and the service finds it NOT_RESPONDING
        ``fleet.loss_detection`` later (:meth:`_reclaim`). A worker running a session's
        envExits is lost when they end."""
        if worker.status == _STOPPED or worker.index in self._gone:
            return
        now = self.env.now
        if worker.closing is not None and worker.closing_until > now:
            self.env.schedule(reusable_event(self.env, [lambda event: self._lose(worker)]),
                              NORMAL, worker.closing_until - now)
            return
        if self.asleep(worker):
            self._idle[worker.fleet_index].remove((worker.phase, worker.index))
        elif worker.woken_for >= 0 and worker.job is None:
            self.control.pass_on(worker, worker.woken_for)  # it will not come: another will
        worker.woken_for = -1
        self._gone.add(worker.index)
        worker.event.callbacks = []  # (what it had scheduled happens no more)
        worker.event = reusable_event(self.env, [])
        self.env.schedule(reusable_event(self.env, [lambda event: self._reclaim(worker)]),
                          NORMAL, worker.fleet.loss_detection)

    def _reclaim(self, worker: WorkerState) -> None:
        """The service finds lost ``worker`` NOT_RESPONDING: its task run ends INTERRUPTED,
        its task READY; the worker is STOPPED and its fleet may start another."""
        now = self.env.now
        if worker.status != _STOPPING:  # (one already leaving is not replaced)
            self._lost.add(worker.index)
        self._record(pack_worker(now, worker.index, _NOT_RESPONDING))
        worker.status = _NOT_RESPONDING
        scaler = worker.fleet.autoscaler
        if scaler is not None and worker in scaler.live:
            scaler.live.remove(worker)
        self.control.reclaim(worker, now)
        self._gone.discard(worker.index)
        self._stopped(worker)

    # ------------------------------------------------------------------ the worker's events

    def _start(self, worker: WorkerState) -> None:
        """Make ``worker``'s event and schedule its start now (at urgent priority, as SimPy
        starts a process).

        A worker is one reusable SimPy event (``engine/_simpy.py``) scheduled for its next
        moment, whose callbacks are the worker's life: it starts, asks for work at its first
        poll, runs what it gets and asks again when that ends; with nothing to take it is
        listed idle (nothing scheduled) until a wake schedules its next poll; then it stops.
        """
        env = self.env
        schedule = env.schedule
        control = self.control
        start_next, finish_and_next = control.start_next, control.finish_and_next
        idle = self._idle[worker.fleet_index]
        index, phase = worker.index, worker.phase
        key = (phase, index)
        stopped = self._stopped
        # When the run in progress ends: the worker keeps its own clock (no env.now read per
        # task run). A scheduled event fires at exactly now + delay, the same float sum. The
        # end is pushed on SimPy's queue as env.schedule pushes it (engine/_simpy.py).
        end = 0.0
        queue, ids = self._queue, self._ids

        def wait(event: simpy.Event, duration: float | None, now: float) -> None:
            """After the worker asked at ``now``: busy for ``duration``, idle, or stopped."""
            nonlocal end
            if duration is None:
                if worker.status == _STOPPING:
                    stopped(worker)
                    return
                event.callbacks = on_ask
                insort(idle, key)  # notify schedules its next poll once work appears
                return
            end = now + duration
            event.callbacks = on_end
            heappush(queue, (end, NORMAL, next(ids), event))

        def ended(event: simpy.Event) -> None:
            """Its task run (or its session's envExits) ended: the next, at once."""
            # Hot path: once per task run.
            nonlocal end
            now = end
            duration = finish_and_next(worker, now)
            if duration is None:
                wait(event, None, now)
                return
            end = now + duration
            event.callbacks = on_end
            heappush(queue, (end, NORMAL, next(ids), event))  # (env.schedule, inlined)

        def ask(event: simpy.Event) -> None:
            """A poll: its first, after a wake, or after its run was canceled."""
            now = env.now
            wait(event, start_next(worker, now), now)

        def start(event: simpy.Event) -> None:
            def timed_out(event: simpy.Event) -> None:
                """Its host configuration script ran past its timeout: the worker goes
                NOT_RESPONDING and shuts down (STOPPED) without taking work; its fleet may
                start another (:attr:`failed`)."""
                if worker.status == _STOPPING:  # retired meanwhile: it stops as it would
                    stopped(worker)
                    return
                self._record(pack_worker(env.now, index, WORKER_STATUS_CODES[
                    WorkerStatus.NOT_RESPONDING]))
                scaler = worker.fleet.autoscaler
                if scaler is not None:
                    scaler.live.remove(worker)
                stopped(worker)
                if self.failed is not None:
                    self.failed(worker)

            if worker.status == _STOPPING:  # retired before it started: it never does
                stopped(worker)
                return
            now = env.now
            self._record(pack_worker(now, index, _STARTED))
            worker.status = _STARTED
            worker.online_at = now
            if worker.fleet.hazards:  # its host may be interrupted, lost, or reach its end
                self._arm(worker, now)
            boot = self.boot_times[worker.fleet_index]
            script = self.host_configs[worker.fleet_index]
            if boot is not None or script is not None:
                # It boots, then runs the host configuration script (both billed), then asks
                # for work at once; a script that runs past its timeout fails the start.
                delay = 0.0 if boot is None else float(boot.sample(self._phases, 1)[0])
                if script is not None:
                    took, timeout = float(script[0].sample(self._phases, 1)[0]), script[1]
                    if took > timeout:
                        event.callbacks = [timed_out]
                        schedule(event, NORMAL, delay + timeout)
                        return
                    delay += took
                event.callbacks = on_ask
                schedule(event, NORMAL, delay)
                return
            if self.poll_interval > 0.0 and phase > 0.0:
                event.callbacks = on_ask
                schedule(event, NORMAL, phase)  # the first poll, at this worker's own phase
                return
            ask(event)

        on_end: list[Callable[[simpy.Event], None]] = [ended]
        on_ask: list[Callable[[simpy.Event], None]] = [ask]
        worker.on_ask = on_ask
        worker.event = reusable_event(env, [start])
        delay = worker.fleet.start_delay  # (a wait-and-save fleet's hosts come later)
        schedule(worker.event, URGENT,
                 0.0 if delay is None else float(delay.sample(self._phases, 1)[0]))

    def cancel(self, worker: WorkerState) -> None:
        """The control plane canceled ``worker``'s task run (and recorded it): the end
        scheduled for it no longer happens, and the worker asks for work now (at urgent
        priority, as a SimPy interrupt)."""
        pending = worker.event
        if worker.index in self._gone:
            return  # its host is lost: the service reclaims its run when it finds it
        if pending.callbacks is worker.on_ask:
            raise SimulationError(f"worker#{worker.index} has no task run to interrupt")
        pending.callbacks = []  # (it stays in SimPy's queue, and does nothing there)
        worker.event = reusable_event(self.env, worker.on_ask)
        self.env.schedule(worker.event, URGENT, 0.0)

    # ------------------------------------------------------------------ waking idle workers

    def asleep(self, worker: WorkerState) -> bool:
        """Whether ``worker`` is idle with nothing scheduled: it polls again only when woken."""
        idle = self._idle[worker.fleet_index]
        i = bisect_left(idle, (worker.phase, worker.index))
        return i < len(idle) and idle[i][1] == worker.index

    def notify(self, queue_index: int, n: int) -> None:
        """Work for up to ``n`` workers appeared in a queue: wake the idle workers of its fleets
        whose next poll comes first."""
        if n <= 0:
            return
        queue = self.control.queues[queue_index]
        fleets = queue.serving
        if self.scaling:  # scaling fleets of the queue evaluate the new work
            for fleet in fleets:
                if fleet.autoscaler is not None:
                    fleet.autoscaler.wake()
        if queue.lanes is not None:
            # The queue routes steps to fleets: which fleet's workers may take the work is
            # not known here, so up to n of each are woken (those that find none idle again).
            for fleet in fleets:
                self._wake_fleet(fleet.index, n, queue_index)
            return
        if len(fleets) == 1:
            self._wake_fleet(fleets[0].index, n, queue_index)
            return
        idle_lists = self._idle
        for fleet in fleets:
            if idle_lists[fleet.index]:
                break
        else:
            return  # nobody is idle: the busy workers will find the work when they ask
        period = self.poll_interval
        offset = self.env.now % period if period > 0.0 else 0.0
        # Per fleet, idle workers in order of their next poll are a rotation of the phase-sorted
        # list starting at the first phase >= offset; the n to wake are a prefix of it.
        candidates: list[tuple[float, int, int]] = []  # (delay, fleet, position in rotation)
        starts: dict[int, int] = {}
        for fleet in fleets:
            idle = idle_lists[fleet.index]
            if not idle:
                continue
            size = len(idle)
            start = starts[fleet.index] = _first_at_or_after(idle, offset)
            for k in range(min(n, size)):
                phase = idle[(start + k) % size][0]
                delay = (phase - offset) % period if period > 0.0 else 0.0
                candidates.append((delay, fleet.index, k))
        if len(starts) > 1:
            candidates.sort()
            del candidates[n:]
        taken: dict[int, int] = {}
        workers = self.workers
        schedule = self.env.schedule
        for delay, f, k in candidates:
            idle = idle_lists[f]
            worker = workers[idle[(starts[f] + k) % len(idle)][1]]
            worker.woken_for = queue_index
            schedule(worker.event, NORMAL, delay)
            taken[f] = max(taken.get(f, 0), k + 1)
        for f, count in taken.items():
            _remove_rotation(idle_lists[f], starts[f], count)

    def notify_fleet(self, fleet_index: int, queue_index: int, n: int) -> None:
        """Work for up to ``n`` workers of one fleet appeared in a queue (that routes steps
        to fleets): wake the fleet's idle workers whose next poll comes first."""
        if n <= 0:
            return
        fleet = self.control.fleets[fleet_index]
        if fleet not in self.control.queues[queue_index].serving:
            return  # its association with the queue stopped scheduling
        if fleet.autoscaler is not None:
            fleet.autoscaler.wake()
        self._wake_fleet(fleet_index, n, queue_index)

    def _wake_fleet(self, fleet_index: int, n: int, queue_index: int) -> None:
        """:meth:`notify` for a queue served by one fleet."""
        idle = self._idle[fleet_index]
        size = len(idle)
        if not size:
            return
        period = self.poll_interval
        now = self.env.now
        offset = now % period if period > 0.0 else 0.0
        start = _first_at_or_after(idle, offset)
        count = min(n, size)
        workers, queue, ids = self.workers, self._queue, self._ids
        for k in range(count):
            phase, w = idle[(start + k) % size]
            worker = workers[w]
            worker.woken_for = queue_index
            # (env.schedule(worker.event, NORMAL, delay), inlined: once per wake)
            delay = (phase - offset) % period if period > 0.0 else 0.0
            heappush(queue, (now + delay, NORMAL, next(ids), worker.event))
        _remove_rotation(idle, start, count)


def _first_at_or_after(idle: list[tuple[float, int]], offset: float) -> int:
    """Index of the first idle worker whose phase is >= offset (wrapping to 0)."""
    return bisect_left(idle, (offset, -1)) % len(idle)


def _remove_rotation(idle: list[tuple[float, int]], start: int, count: int) -> None:
    """Remove ``count`` entries of ``idle`` from ``start``, wrapping around its end."""
    size = len(idle)
    if start + count <= size:
        del idle[start : start + count]
    else:
        del idle[start:]
        del idle[: count - (size - start)]
