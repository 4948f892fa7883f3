"""The simulation: a SimPy environment, the control plane, the worker pool, and one process
for the scenario's job submissions plus one per arrival stream.

Workers are :mod:`farmsim.engine.workers`' (one long-lived process each): a worker asks the
control plane for its next task run, holds it for the run's duration and asks again at once
(semantics C.1: a worker re-syncs immediately after an action completes); without one it waits
in its fleet's idle list until the pool wakes it at its next poll. No event happens for an idle
worker that nothing wakes.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy
from simpy.events import NORMAL, URGENT

from farmsim._documents import shown, shown_names
from farmsim.engine._simpy import reusable_event, run, run_until, set_clock
from farmsim.engine.autoscaling import Autoscaler, Recommender
from farmsim.engine.budgets import Budgets
from farmsim.engine.catalog import build_catalog
from farmsim.engine.control import ControlPlane
from farmsim.engine.workers import WorkerPool, WorkerState
from farmsim.errors import ScenarioError, UsageError
from farmsim.model.config import SMF_TASK_RUN_CAP_S, SMF_WORKER_LIFETIME_S
from farmsim.model.state import SUCCEEDED
from farmsim.record.recorder import Recorder
from farmsim.scenario.config import Scenario
from farmsim.scenario.durations import parse_duration
from farmsim.scenario.events import FARM_OBJECTS, REFERENCES, check_events
from farmsim.scenario.loader import load_scenario
from farmsim.scenario.size import check_drawn_job, check_size, memory_budget

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    from farmsim.api.client import DeadlineClient
    from farmsim.engine.farm import FleetState
    from farmsim.model.arrivals import ArrivalStream
    from farmsim.model.config import AutoScaling, FleetConfig, ScheduledCall
    from farmsim.model.distributions import Distribution
    from farmsim.model.state import JobState, StepState
    from farmsim.record.result import Result

__all__ = ["Simulation"]

#: t=0 on the wall clock when a scenario has no ``start``.
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

#: Progress reports: slices of a run to a horizon, events between reports otherwise.
_PROGRESS_SLICES = 200
_PROGRESS_EVENTS = 50_000



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
        #: The workers, their processes, idle lists and wake-ups.
        self.pool = WorkerPool(self.env, self.control, self.recorder,
                               float(farm.worker_poll_interval),
                               run_generator(self.seed, WORKER_PHASES))
        self._submit_jobs(scenario)
        # Each arrival stream draws from its own generator, so a stream's submissions depend
        # only on the seed, not on what the farm does with them.
        for i, stream in enumerate(scenario.arrivals):
            self.env.process(self._arrivals(i, stream, run_generator(self.seed, ARRIVALS, i)))
        self.pool.boot_times = [config.boot_time for config in farm.fleets]
        #: The pool's count of daemon events (engine/_simpy.py ``run``) when a fleet's hosts
        #: can go away (their hazards do not keep a run going); None otherwise.
        self._daemons: list[int] | None = None
        for fleet, config in zip(self.control.fleets, farm.fleets, strict=True):
            _hazards(fleet, config)
            if fleet.hazards:
                self._daemons = self.pool.daemons
        self.pool.host_configs = [config.host_script for config in farm.fleets]
        self.pool.failed = self._failed
        for fleet, config in zip(self.control.fleets, farm.fleets, strict=True):
            self.pool.add(fleet, config.worker_count)
            if config.autoscaling is not None:
                self.scale(fleet.index, config.min_worker_count, config.max_worker_count,
                           config.autoscaling, lag=config.scaling_lag)
        self._client: DeadlineClient | None = None
        self._schedule_calls(scenario)
        # --- budgets (engine/budgets.py, docs/semantics.md D35): one event counting the
        # budgeted queues' spending every farm.simulation.budget_interval, only when the farm
        # has budgets.
        #: The farm's budgets, or None when it has none.
        self.budgets: Budgets | None = None
        if farm.budgets:
            # (its event is a daemon where the pool counts them: it keeps no run going)
            self.budgets = Budgets(self.env, self.control, self.recorder, farm,
                                   self.start_time, lambda: self.scenario.farm,
                                   daemons=getattr(self.pool, "daemons", None))
        # --- end of budgets

    def scale(self, fleet: int, low: int, high: int, settings: AutoScaling, *,
              lag: Distribution | None = None) -> Autoscaler:
        """Make fleet ``fleet`` (its index) scale between ``low`` and ``high`` workers with
        ``settings`` from now on (a scenario's scaling fleet, or UpdateFleet), or give its
        autoscaler these bounds and settings. With ``lag`` (a customer-managed fleet in
        EVENT_BASED_AUTO_SCALING mode) the service only recommends fleet sizes, and the fleet
        takes each one ``lag`` later (:class:`~farmsim.engine.autoscaling.Recommender`)."""
        state = self.control.fleets[fleet]
        scaler = state.autoscaler
        if scaler is None:
            if lag is None:
                scaler = Autoscaler(self.env, self.pool, self.control, state, low, high,
                                    settings)
            else:
                scaler = Recommender(self.env, self.pool, self.control, state, low, high,
                                     settings, lag=lag,
                                     rng=run_generator(self.seed, SCALING_LAGS, fleet))
            self.pool.scaling = True
        scaler.settings = settings
        scaler.set_bounds(low, high)
        return scaler

    def _failed(self, worker: WorkerState) -> None:
        """``worker`` failed to start (its host configuration script timed out): a scaling
        fleet evaluates (a customer-managed one's automation starts another a lag later), a
        fixed service-managed fleet starts another at once (the service keeps its workers),
        a fixed customer-managed one runs one worker fewer (its hosts are the customer's)."""
        fleet = worker.fleet
        if fleet.autoscaler is not None:
            fleet.autoscaler.replace(worker)
        elif self.scenario.farm.fleets[fleet.index].kind == "serviceManagedEc2":
            self.pool.add(fleet, 1)

    @property
    def workers(self) -> list[WorkerState]:
        """Every worker the run has had, in creation order (:attr:`pool`'s)."""
        return self.pool.workers

    @property
    def now(self) -> float:
        """Current simulated time, in seconds since t=0."""
        return self.env.now

    def client(self) -> DeadlineClient:
        """The boto3-shaped Deadline Cloud client of this simulation, at its current time
        (:mod:`farmsim.api.client`); the same one each time, which the scenario's ``events``
        use too."""
        if self._client is None:
            from farmsim.api.client import DeadlineClient

            self._client = DeadlineClient(self)
        return self._client

    def boto3_client(self, *, region_name: str = "us-west-2") -> Any:
        """A real boto3 Deadline Cloud client (boto3's request checks, exceptions, paginators
        and waiters) whose every call :meth:`client` answers in-process, at the simulation's
        current time: no network, no credentials, no AWS configuration read
        (:mod:`farmsim.api._boto3`). A new client each call, all on the same farm.

        Raises:
            UsageError: boto3 is not installed (``pip install 'farmsim[boto3]'``).
        """
        from farmsim.api._boto3 import boto3_client

        return boto3_client(self, region_name=region_name)

    @property
    def ended_runs(self) -> int:
        """Task runs that have ended so far (succeeded, failed or canceled)."""
        succeeded = sum(job.counts[SUCCEEDED] for job in self.control.jobs)
        return succeeded + self.recorder.run_count

    @property
    def start_time(self) -> dt.datetime:
        """The wall-clock time of t=0: the scenario's ``start`` (UTC when it names no zone),
        else the Unix epoch."""
        start = self.scenario.start
        if start is None:
            return _EPOCH
        moment = dt.datetime.fromisoformat(start)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)

    def run(
        self,
        until: float | str | dt.datetime | Callable[[], object] | None = None,
        *,
        progress: Callable[[float, float | None], None] | None = None,
    ) -> None:
        """Advance the simulation to ``until`` (default: the scenario's horizon, or until no
        event is left).

        Args:
            until: simulated time to stop at, since t=0: seconds, or a duration string such as
                ``"90s"``, ``"4h"``, ``"1h30m"``; or a ``datetime`` (naive: UTC) on the
                scenario's clock (:attr:`start_time`); or a condition, a function of no
                argument: the run stops at the first instant after whose changes it returns
                true (checked now, then each time the clock moves on), else at the horizon
                or when nothing is left to happen. A condition can read the simulation, or
                call its client: ``lambda: client.get_job(...)["taskRunStatus"] ==
                "SUCCEEDED"``.
            progress: called now and then as ``progress(now, until)`` (``until`` None when the
                run goes on until nothing is left), and once at the end. The run is the same
                with or without it.

        Raises:
            UsageError: ``until`` is not a duration, or not after the current simulated time.
        """
        if self.budgets is not None:  # (budgets: count again, if they slept with no work left)
            self.budgets.resume()
        if callable(until):
            self._run_until(until, progress)
            return
        if isinstance(until, dt.datetime):
            moment = until if until.tzinfo is not None else until.replace(tzinfo=dt.UTC)
            until = (moment - self.start_time).total_seconds()
            if until <= self.env.now:
                raise UsageError(f"until must be after the current simulated time, "
                                 f"{self.start_time + dt.timedelta(seconds=self.env.now)} "
                                 f"(got {moment})")
        until = self.scenario.horizon if until is None else _until_seconds(until, self.env.now)
        if progress is None:
            self._drive(lambda: run(self.env, until, self._daemons))
        elif until is not None:
            self._drive(lambda: self._run_in_slices(until, progress))
        else:
            self._drive(lambda: self._run_in_batches(progress))
        if until is not None and self.env.now != until and abs(self.env.now - until) <= (
                4 * sys.float_info.epsilon * max(1.0, abs(until))):
            # SimPy stops at now + (until - now), which can be one ulp off ``until``: a run to
            # a horizon ends exactly at the horizon.
            set_clock(self.env, until)

    @staticmethod
    def _drive(advance: Callable[[], object]) -> None:
        """Call ``advance`` (which processes events) with the cyclic collector paused, and
        raise a scenario error as it was raised.

        The run allocates millions of short-lived tuples and events but no reference cycles
        (SimPy clears an event's callbacks before running them), so the collector would only
        rescan the growing set of long-lived records. SimPy re-raises a process's exception
        as ``type(exc)(*exc.args)`` with the original as ``__cause__``: the original is
        raised, whose message is not wrapped twice."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            advance()
        except ScenarioError as exc:
            raise (exc.__cause__ if isinstance(exc.__cause__, ScenarioError) else exc) from None
        finally:
            if enabled:
                gc.enable()

    def _run_until(self, condition: Callable[[], object],
                   progress: Callable[[float, float | None], None] | None) -> None:
        """:meth:`run` to a condition (or the horizon, or the end of events)."""
        horizon = self.scenario.horizon
        if horizon is not None and horizon <= self.env.now:
            horizon = None  # (a run past its horizon goes on until the condition holds)
        self._drive(lambda: run_until(self.env, condition, horizon, self._daemons))
        if horizon is not None and self.env.now != horizon and abs(self.env.now - horizon) <= (
                4 * sys.float_info.epsilon * max(1.0, abs(horizon))):
            set_clock(self.env, horizon)  # (as run() does)
        if progress is not None:
            progress(self.env.now, horizon)

    def _run_in_slices(self, until: float, progress: Callable[[float, float | None], None],
                       ) -> None:
        """``env.run(until)`` in 200 slices of simulated time, reporting after each."""
        env = self.env
        start = env.now
        for i in range(1, _PROGRESS_SLICES + 1):
            run(env, start + (until - start) * i / _PROGRESS_SLICES, self._daemons)
            progress(env.now, until)

    def _run_in_batches(self, progress: Callable[[float, float | None], None]) -> None:
        """``env.run()`` (until no event is left) in batches of events, reporting after each;
        stepping keeps the clock at the last event, as ``env.run()`` does."""
        step = self.env.step
        queue = self.env._queue
        floor = self._daemons if self._daemons is not None else [0]
        while len(queue) > floor[0]:
            for _ in range(_PROGRESS_EVENTS):
                if len(queue) <= floor[0]:
                    break
                step()
            progress(self.env.now, None)
        progress(self.env.now, None)

    def result(self) -> Result:
        """The records so far, as a :class:`~farmsim.record.result.Result`."""
        from farmsim.record.result import Result  # pandas: only once frames are wanted

        catalog = build_catalog(scenario=self.scenario, seed=self.seed, now=self.env.now,
                                control=self.control, workers=self.workers,
                                recorder=self.recorder, budgets=self.budgets)
        return Result(catalog, self.recorder)

    # ------------------------------------------------------------------ processes

    def _submit_jobs(self, scenario: Scenario) -> None:
        """Submit the scenario's jobs at their times: one reusable event, scheduled for the next
        submission time (as a process starting now would, at urgent priority, then waiting),
        whose callback submits every job due (a trace's 100,000 jobs make no object each)."""
        env = self.env
        submit = self.control.submit
        pending = sorted(scenario.jobs, key=lambda s: s.at)
        position = 0

        def due(event: simpy.Event) -> None:
            nonlocal position
            now = env.now
            while position < len(pending):
                submission = pending[position]
                if submission.at > now:
                    event.callbacks = callbacks
                    env.schedule(event, NORMAL, submission.at - now)
                    return
                submit(submission, now)
                position += 1

        callbacks: list[Callable[[simpy.Event], None]] = [due]
        env.schedule(reusable_event(env, callbacks), URGENT, 0.0)

    def _schedule_calls(self, scenario: Scenario) -> None:
        """The scenario's ``events``: each API call made through :meth:`client` at its time,
        first in its instant (urgent priority: before the task runs that end and the polls of
        that instant), with the names of its arguments made ids then (:func:`_call_args`).
        The jobs, steps and tasks the events name are checked against the scenario's
        submissions first (:func:`~farmsim.scenario.events.check_events`). A name that names
        nothing then, or a call the service refuses, is a :class:`ScenarioError` naming the
        event."""
        if not scenario.events:
            return
        check_events(scenario)
        env = self.env
        for number, call in enumerate(scenario.events):
            def make(event: simpy.Event, number: int = number,
                     call: ScheduledCall = call) -> None:
                where = f"events[{number}] ({call.call} at {call.at:g} s)"
                client = self.client()
                args = _call_args(self, client, call, where)
                client.scheduled_call(call.call, args, where=where,
                                      source=self.scenario.source)

            env.schedule(reusable_event(env, [make]), URGENT, call.at)

    def _arrivals(self, number: int, stream: ArrivalStream, rng: np.random.Generator
                  ) -> Generator[simpy.Event, Any, None]:
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


#: The spawn key that sets farmsim's random streams apart from any other use of the same seed
#: (the bytes of "farmsim"): ``default_rng(seed)`` is SeedSequence(seed) with no key.
STREAM_KEY = int.from_bytes(b"farmsim", "big")
#: A run's random streams, by purpose (the second part of their spawn key): every task's first
#: attempt; what the run draws as it goes (retries, adaptive chunks, session actions); the
#: workers' polling phases (and their boot and host configuration times); one stream per
#: arrival stream (third part: its index); one per customer-managed fleet that follows the
#: service's recommendations, for their lags (third part: the fleet's index).
FIRST_ATTEMPTS, DURING_RUN, WORKER_PHASES, ARRIVALS, SCALING_LAGS = range(5)



def _hazards(fleet: FleetState, config: FleetConfig) -> None:
    """Give ``fleet`` its config's ways of losing hosts (docs/semantics.md D36): spot or
    wait-and-save interruptions, losses (NOT_RESPONDING), a service-managed fleet's 7-day
    worker life and 5-day task runs; and a wait-and-save fleet's start delay."""
    service = config.kind == "serviceManagedEc2"
    fleet.interruption_rate = config.interruptions_per_hour / 3600.0
    fleet.loss_rate = config.not_responding_per_hour / 3600.0
    fleet.loss_detection = config.not_responding_after
    fleet.lifetime = SMF_WORKER_LIFETIME_S if service else math.inf
    fleet.task_cap = SMF_TASK_RUN_CAP_S if service else math.inf
    fleet.start_delay = config.start_delay
    fleet.hazards = (fleet.interruption_rate > 0.0 or fleet.loss_rate > 0.0
                     or fleet.lifetime < math.inf)


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


# ---------------------------------------------------------------------- scheduled calls' names

#: How the client lists each kind of farm object a scheduled call names by displayName.
_LISTINGS = {"queue": ("list_queues", "queues"), "fleet": ("list_fleets", "fleets"),
             "limit": ("list_limits", "limits")}


def _call_args(sim: Simulation, client: DeadlineClient, call: ScheduledCall, where: str
               ) -> dict[str, Any]:
    """The keyword arguments of a scheduled call, its names made ids as the farm is now
    (:mod:`farmsim.scenario.events`): queues, fleets and limits by their displayName as the
    client lists them, a job by its name among the jobs submitted so far (its queue when the
    event names none), a step by name in it, a task by number or parameter values.

    Raises:
        ScenarioError: a name names nothing now, or more than one thing, naming ``where``.
    """
    def fail(message: str) -> ScenarioError:
        return ScenarioError([f"{where}: {message}"], source=sim.scenario.source)

    args: dict[str, Any] = {"farmId": client.farm_id}
    refs: dict[str, Any] = {}
    for key, value in call.args.items():
        if key in REFERENCES:
            refs[key] = value
        else:
            args[key] = value
    for kind in FARM_OBJECTS:
        if kind in refs:
            args[REFERENCES[kind]] = _farm_object(client, kind, refs[kind], fail)
    if "job" not in refs:
        return args
    job = _named_job(sim, client, refs["job"], args.get("queueId"), fail)
    args["jobId"] = client.resource_id("job", job.index)
    args.setdefault("queueId", client.resource_id("queue", job.queue_index))
    if "step" in refs:
        step = _named_step(job, refs["step"], fail)
        args["stepId"] = client.resource_id("step", step.gidx)
        if "task" in refs:
            args["taskId"] = _task_id(client, args, step, refs["task"], fail)
    return args


def _listed(method: Callable[..., dict[str, Any]], key: str, **params: Any
            ) -> list[dict[str, Any]]:
    """Every item of a List operation (all its pages)."""
    items: list[dict[str, Any]] = []
    token = None
    while True:
        page = method(**params) if token is None else method(**params, nextToken=token)
        items.extend(page[key])
        token = page.get("nextToken")
        if token is None:
            return items


def _farm_object(client: DeadlineClient, kind: str, name: str,
                 fail: Callable[[str], ScenarioError]) -> str:
    """The id of the one queue, fleet or limit (``kind``) the client lists as ``name``."""
    operation, key = _LISTINGS[kind]
    items = _listed(getattr(client, operation), key, farmId=client.farm_id)
    found = [item[f"{kind}Id"] for item in items if item["displayName"] == name]
    if len(found) == 1:
        return str(found[0])
    if not found:
        listed = shown_names(sorted({item["displayName"] for item in items}))
        raise fail(f"no {kind} is named {name!r} now ({kind}s: {listed})")
    raise fail(f"{len(found)} {kind}s are named {name!r} ({', '.join(found)}): the call cannot "
               f"tell which one")


def _named_job(sim: Simulation, client: DeadlineClient, name: str, queue_id: str | None,
               fail: Callable[[str], ScenarioError]) -> JobState:
    """The one job named ``name`` submitted so far (to the queue ``queue_id``, if given)."""
    jobs = [job for job in sim.control.jobs if job.name == name]
    if queue_id is not None:
        jobs = [job for job in jobs if client.resource_id("queue", job.queue_index) == queue_id]
    if len(jobs) == 1:
        return jobs[0]
    scope = "" if queue_id is None else f" to queue {queue_id}"
    if not jobs:
        raise fail(f"no job named {name!r} has been submitted{scope} by now ({sim.env.now:g} s)")
    times = ", ".join(f"{job.submitted_at:g} s" for job in jobs[:5])
    raise fail(f"{len(jobs)} jobs named {name!r} have been submitted{scope} (at {times}"
               f"{', ...' if len(jobs) > 5 else ''}): the call cannot tell which one; give the "
               f"jobs different names (a template name with a parameter, or create_job's "
               f"nameOverride)")


def _named_step(job: JobState, name: str, fail: Callable[[str], ScenarioError]) -> StepState:
    for step in job.steps:
        if step.structure.name == name:
            return step
    raise fail(f"job {job.name!r} has no step {name!r} (steps: "
               f"{shown_names(s.structure.name for s in job.steps)})")


def _task_id(client: DeadlineClient, args: dict[str, Any], step: StepState, task: Any,
             fail: Callable[[str], ScenarioError]) -> str:
    """The id of the task ``task`` of ``step``: its number, or the one task whose parameter
    values are those of the mapping ``task`` (a frame of a CHUNK[INT] parameter: the chunk
    that holds it, as the step's chunks are now)."""
    what = f"step {step.structure.name!r} of job {step.job.name!r}"
    if not isinstance(task, Mapping):
        if not 0 <= task < step.task_count:
            raise fail(f"{what} has {step.task_count} task{'s' if step.task_count != 1 else ''}"
                       f" (numbered from 0): no task {task}")
        return f"task-{args['stepId'].removeprefix('step-')}-{task}"
    tasks = _listed(client.list_tasks, "tasks", farmId=args["farmId"], queueId=args["queueId"],
                    jobId=args["jobId"], stepId=args["stepId"])
    found = [t["taskId"] for t in tasks if _task_matches(t.get("parameters", {}), task)]
    if len(found) == 1:
        return str(found[0])
    if not found:
        raise fail(f"no task of {what} has the parameter values {dict(task)}")
    raise fail(f"{len(found)} tasks of {what} have the parameter values {dict(task)}: name "
               f"more of its parameters, or the task by number")


def _task_matches(parameters: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether a task's parameters (the API's tagged values) have the values ``wanted``."""
    from openjd.model import IntRangeExpr

    for key, value in wanted.items():
        tagged = parameters.get(key)
        if not tagged:
            return False
        ((member, text),) = tagged.items()
        try:
            if member == "chunkInt" and not isinstance(value, str):
                if value not in IntRangeExpr.from_str(text):
                    return False
            elif member in ("int", "float") and not isinstance(value, str):
                if float(text) != float(value):
                    return False
            elif text != str(value):
                return False
        except (TypeError, ValueError):
            return False
    return True
