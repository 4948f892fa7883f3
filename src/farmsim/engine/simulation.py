"""The SimPy engine: one long-lived process per worker, one for job submissions.

A worker asks the control plane for its next task run. With one, it holds it for the run's
duration and reports the end; asking again at once (semantics C.1: a worker re-syncs immediately
after an action completes). Without one, it parks itself in its fleet's idle list and waits on its
own event. When work appears, the control plane calls :meth:`Simulation._notify`, which wakes only
as many idle workers as there are new tasks, choosing those whose next poll comes first: each
worker polls every ``worker_poll_interval`` seconds at its own phase, so a woken worker first
sleeps until its next poll time. No event happens for an idle worker that nothing wakes.
"""

from __future__ import annotations

import gc
import math
import os
import sys
from bisect import insort
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy
from simpy.events import NORMAL

from farmsim._documents import shown
from farmsim.engine.catalog import build_catalog
from farmsim.engine.control import ControlPlane
from farmsim.errors import ScenarioError, UsageError
from farmsim.model.enums import WorkerStatus
from farmsim.model.state import SUCCEEDED, WorkerState
from farmsim.record.recorder import Recorder, pack_worker
from farmsim.scenario.config import Scenario
from farmsim.scenario.durations import parse_duration
from farmsim.scenario.loader import load_scenario
from farmsim.scenario.size import check_drawn_job, check_size, memory_budget

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from farmsim.model.arrivals import ArrivalStream
    from farmsim.record.result import Result

__all__ = ["Simulation"]

#: Progress reports: slices of a run to a horizon, events between reports otherwise.
_PROGRESS_SLICES = 200
_PROGRESS_EVENTS = 50_000

_WORKER_STATUS = {s: i for i, s in enumerate(WorkerStatus)}
_STARTED = _WORKER_STATUS[WorkerStatus.STARTED]


class Simulation:
    """A farm running in simulated time.

    Args:
        scenario: what to simulate: a :class:`~farmsim.scenario.config.Scenario`, or the path of
            a scenario file.
        seed: overrides ``scenario.seed`` (an integer >= 0); the run's random numbers all come
            from the streams :func:`run_generator` derives from it.

    Raises:
        UsageError: ``scenario`` or ``seed`` is not one of the above.
        ScenarioError: the scenario file is invalid, or a run of it cannot fit in memory (see
            :func:`farmsim.scenario.size.check_size`); nothing big is allocated before.

    Example::

        sim = Simulation(scenario)
        sim.run(until=3600.0)      # one simulated hour
        sim.run()                  # on until the horizon, or until nothing is left to do
        result = sim.result()
    """

    def __init__(self, scenario: Scenario | str | os.PathLike[str], *,
                 seed: int | None = None) -> None:
        if not isinstance(scenario, Scenario):
            if not isinstance(scenario, str | os.PathLike):
                raise UsageError(f"Simulation: scenario must be a Scenario or the path of a "
                                 f"scenario file (got {type(scenario).__name__})")
            scenario = load_scenario(scenario)
        check_size(scenario)  # first: refuses a scenario too big before anything is allocated
        #: What one job an arrival stream draws may take (checked as it is drawn).
        self._budget = memory_budget() if scenario.arrivals else None
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else check_seed(seed)
        self.env = simpy.Environment()
        self.recorder = Recorder()
        farm = scenario.farm
        self.control = ControlPlane(farm, scenario.runtimes,
                                    run_generator(self.seed, FIRST_ATTEMPTS),
                                    run_generator(self.seed, DURING_RUN), self.recorder)
        self.control.notify = self._notify
        self.control.cancel_worker = self._cancel_worker
        self.poll_interval = float(farm.worker_poll_interval)
        self.workers: list[WorkerState] = []
        #: Idle workers of each fleet, as (phase, worker index), sorted.
        self._idle: list[list[tuple[float, int]]] = [[] for _ in farm.fleets]
        self.env.process(self._submit_jobs(scenario))
        # Each arrival stream draws from its own generator, so a stream's submissions depend
        # only on the seed, not on what the farm does with them.
        for i, stream in enumerate(scenario.arrivals):
            self.env.process(self._arrivals(i, stream, run_generator(self.seed, ARRIVALS, i)))
        phase_rng = run_generator(self.seed, WORKER_PHASES)
        for fleet, config in zip(self.control.fleets, farm.fleets, strict=True):
            phases = phase_rng.uniform(0.0, self.poll_interval, config.worker_count)
            for phase in phases.tolist():
                worker = WorkerState(len(self.workers), fleet.index, phase)
                worker.fleet = fleet
                self.workers.append(worker)
                fleet.workers.append(worker)
                worker.process = self.env.process(self._worker_loop(worker))

    @property
    def now(self) -> float:
        """Current simulated time, in seconds since t=0."""
        return self.env.now

    @property
    def ended_runs(self) -> int:
        """Task runs that have ended so far (succeeded, failed or canceled)."""
        succeeded = sum(job.counts[SUCCEEDED] for job in self.control.jobs)
        return succeeded + self.recorder.run_count

    def run(
        self,
        until: float | str | None = None,
        *,
        progress: Callable[[float, float | None], None] | None = None,
    ) -> None:
        """Advance the simulation to ``until`` (default: the scenario's horizon, or until no
        event is left).

        Args:
            until: simulated time to stop at, since t=0: seconds, or a duration string such as
                ``"90s"``, ``"4h"``, ``"1h30m"``.
            progress: called now and then as ``progress(now, until)`` (``until`` None when the
                run goes on until nothing is left), and once at the end. The run is the same
                with or without it.

        Raises:
            UsageError: ``until`` is not a duration, or not after the current simulated time.
        """
        if until is None:
            until = self.scenario.horizon
        else:
            until = _until_seconds(until, self.env.now)
        # The run allocates millions of short-lived tuples and events but no reference cycles
        # (SimPy clears an event's callbacks before running them), so the cyclic collector
        # would only rescan the growing set of long-lived records. Pause it for the run.
        enabled = gc.isenabled()
        gc.disable()
        try:
            if progress is None:
                self.env.run(until=until)
            elif until is not None:
                self._run_in_slices(until, progress)
            else:
                self._run_in_batches(progress)
        except ScenarioError as exc:
            # SimPy re-raises a process's exception as type(exc)(*exc.args), with the original
            # as __cause__: raise the original, whose message is not wrapped twice.
            raise (exc.__cause__ if isinstance(exc.__cause__, ScenarioError) else exc) from None
        finally:
            if enabled:
                gc.enable()
        if until is not None and self.env.now != until and abs(self.env.now - until) <= (
                4 * sys.float_info.epsilon * max(1.0, abs(until))):
            # NOTE: SimPy stops at now + (until - now), which can be one ulp off ``until``: a
            # run to a horizon ends exactly at the horizon.
            self.env._now = until

    def _run_in_slices(self, until: float, progress: Callable[[float, float | None], None],
                       ) -> None:
        """``env.run(until)`` in 200 slices of simulated time, reporting after each."""
        env = self.env
        start = env.now
        for i in range(1, _PROGRESS_SLICES + 1):
            env.run(until=start + (until - start) * i / _PROGRESS_SLICES)
            progress(env.now, until)

    def _run_in_batches(self, progress: Callable[[float, float | None], None]) -> None:
        """``env.run()`` (until no event is left) in batches of events, reporting after each;
        stepping keeps the clock at the last event, as ``env.run()`` does."""
        step = self.env.step
        try:
            while True:
                for _ in range(_PROGRESS_EVENTS):
                    step()
                progress(self.env.now, None)
        except simpy.core.EmptySchedule:
            progress(self.env.now, None)

    def result(self) -> Result:
        """The records so far, as a :class:`~farmsim.record.result.Result`."""
        from farmsim.record.result import Result  # pandas: only once frames are wanted

        return Result(build_catalog(self), self.recorder)

    # ------------------------------------------------------------------ processes

    def _submit_jobs(self, scenario: Scenario) -> Iterator[Any]:
        env = self.env
        submit = self.control.submit
        for submission in sorted(scenario.jobs, key=lambda s: s.at):
            if submission.at > env.now:
                yield env.timeout(submission.at - env.now)
            submit(submission, env.now)

    def _arrivals(self, number: int, stream: ArrivalStream, rng: np.random.Generator
                  ) -> Iterator[Any]:
        env = self.env
        end = math.inf if stream.end is None else stream.end
        cap = math.inf if stream.count is None else stream.count
        t = stream.start
        submitted = 0
        while submitted < cap:
            t = stream.rate.next_after(t, rng)
            if t >= end:
                return
            yield env.timeout(t - env.now)
            try:
                submission = stream.submission(env.now, rng)
            except ValueError as exc:  # a drawn parameter value the template refuses
                raise ScenarioError(
                    [f"workload.arrivals ({stream.name}), submission at t={env.now:.0f}s: the "
                     f"template {stream.template or '(inline)'} does not accept the values "
                     f"drawn: {exc}"],
                    source=self.scenario.source,
                ) from None
            check_drawn_job(submission, f"workload.arrivals[{number}] ({stream.name}), "
                            f"submission at t={env.now:.0f}s", self._budget,
                            source=self.scenario.source)
            self.control.submit(submission, env.now)
            submitted += 1

    def _worker_loop(self, worker: WorkerState) -> Iterator[Any]:
        # Bound once: this loop runs once per task run.
        env = self.env
        timeout, event = env.timeout, env.event
        start_next, finish_and_next = self.control.start_next, self.control.finish_and_next
        idle = self._idle[worker.fleet_index]
        index, phase = worker.index, worker.phase
        self.recorder.worker_events.extend(pack_worker(env.now, index, _STARTED))
        worker.status = _STARTED
        if self.poll_interval > 0.0 and phase > 0.0:
            yield timeout(phase)  # the first poll, at this worker's own phase
        duration = start_next(worker, env.now)
        while True:
            if duration is None:
                worker.wake = event()
                insort(idle, (phase, index))
                yield worker.wake  # triggered at this worker's next poll after work appears
                duration = start_next(worker, env.now)
                continue
            try:
                yield timeout(duration)
            except simpy.Interrupt:
                # The control plane canceled the run and recorded it already.
                duration = start_next(worker, env.now)
                continue
            # NOTE: env._now, not the env.now property: this line runs once per task run.
            duration = finish_and_next(worker, env._now)

    # ------------------------------------------------------------------ hooks

    def _notify(self, queue_index: int, n: int) -> None:
        """Work for up to ``n`` workers appeared in a queue: wake the idle workers of its fleets
        whose next poll comes first."""
        if n <= 0:
            return
        fleets = self.control.queues[queue_index].fleets
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
            idle = self._idle[f]
            worker = workers[idle[(starts[f] + k) % len(idle)][1]]
            worker.woken_for = queue_index
            wake = worker.wake
            # NOTE: triggers the worker's own event ``delay`` seconds from now, as
            # simpy.Timeout does internally: one event per wake instead of succeed() + timeout.
            wake._ok = True
            wake._value = None
            schedule(wake, NORMAL, delay)
            taken[f] = max(taken.get(f, 0), k + 1)
        for f, count in taken.items():
            idle = self._idle[f]
            start, size = starts[f], len(idle)
            if start + count <= size:
                del idle[start : start + count]
            else:  # the range wraps around the end of the list
                del idle[start:]
                del idle[: count - (size - start)]

    def _wake_fleet(self, fleet_index: int, n: int, queue_index: int) -> None:
        """:meth:`_notify` for a queue served by one fleet."""
        idle = self._idle[fleet_index]
        size = len(idle)
        if not size:
            return
        period = self.poll_interval
        offset = self.env.now % period if period > 0.0 else 0.0
        start = _first_at_or_after(idle, offset)
        count = min(n, size)
        workers, schedule = self.workers, self.env.schedule
        for k in range(count):
            phase, w = idle[(start + k) % size]
            worker = workers[w]
            worker.woken_for = queue_index
            wake = worker.wake
            wake._ok = True  # NOTE: see _notify
            wake._value = None
            schedule(wake, NORMAL, (phase - offset) % period if period > 0.0 else 0.0)
        if start + count <= size:
            del idle[start : start + count]
        else:  # the range wraps around the end of the list
            del idle[start:]
            del idle[: count - (size - start)]

    def _cancel_worker(self, worker: WorkerState) -> None:
        worker.process.interrupt("canceled")


#: The spawn key that sets farmsim's random streams apart from any other use of the same seed
#: (the bytes of "farmsim"): ``default_rng(seed)`` is SeedSequence(seed) with no key.
STREAM_KEY = int.from_bytes(b"farmsim", "big")
#: A run's random streams, by purpose (the second part of their spawn key): every task's first
#: attempt; what the run draws as it goes (retries, adaptive chunks, session actions); the
#: workers' polling phases; one stream per arrival stream (third part: its index).
FIRST_ATTEMPTS, DURING_RUN, WORKER_PHASES, ARRIVALS = range(4)


def run_generator(seed: int, *purpose: int) -> np.random.Generator:
    """A random stream of a run with ``seed``: PCG64 on
    ``SeedSequence(seed, spawn_key=(STREAM_KEY, *purpose))``.

    Every random number of a run comes from one of its streams, one per purpose
    (:data:`FIRST_ATTEMPTS`, ...). The key keeps them independent of ``default_rng(seed)``: a
    user who draws arrival times with ``numpy.random.default_rng(1)`` and simulates with seed 1
    gets task durations that share nothing with them. Separate purposes keep a what-if fair:
    submissions and first attempts are drawn in submission order from streams that nothing
    the farm does can advance, so a run with more workers or licenses sees the same jobs with
    the same first-attempt durations and outcomes.
    """
    sequence = np.random.SeedSequence(seed, spawn_key=(STREAM_KEY, *purpose))
    return np.random.Generator(np.random.PCG64(sequence))


def check_seed(seed: object) -> int:
    """``seed`` as an int, if it is an integer >= 0 (numpy integers included, bools not).

    Raises:
        UsageError: it is not.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise UsageError(f"seed must be an integer >= 0 (got {type(seed).__name__} "
                         f"{shown(seed)})")
    if seed < 0:
        raise UsageError(f"seed must be an integer >= 0 (got {shown(int(seed))})")
    return int(seed)


def _until_seconds(until: object, now: float) -> float:
    """``until`` (seconds or a duration string) in seconds, checked to lie after ``now``."""
    if isinstance(until, bool):
        raise UsageError(f"until must be a duration: seconds or a string like '90s', '4h' "
                         f"(got {until})")
    try:
        seconds = parse_duration(until)
    except ValueError as exc:
        raise UsageError(f"until: {exc}") from None
    if seconds <= now:
        raise UsageError(f"until must be after the current simulated time, {now:g} s "
                         f"(got {shown(until)})")
    return seconds


def _first_at_or_after(idle: list[tuple[float, int]], offset: float) -> int:
    """Index of the first idle worker whose phase is >= offset (wrapping to 0)."""
    lo, hi = 0, len(idle)
    while lo < hi:
        mid = (lo + hi) // 2
        if idle[mid][0] < offset:
            lo = mid + 1
        else:
            hi = mid
    return lo % len(idle)
