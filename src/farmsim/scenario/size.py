"""How big a scenario is before it runs, and the check that refuses one that cannot fit in memory.

    size = estimate_size(scenario)  # jobs, tasks, workers, what the arrival streams submit
    size.memory                     # the estimated peak memory of a run, in bytes
    check_size(scenario)            # ScenarioError when the estimate exceeds the memory budget

The estimate is cheap: no task is materialised, the cost is O(jobs + streams + fleets). Task
counts come from each job's expanded structure; an arrival stream counts the jobs it is
EXPECTED to submit (the integral of its rate, with its day and week factors, over its window,
capped by ``count``) times the tasks of its representative job (the template expanded with the
stream's typical values).

The memory budget is the machine's available memory (``MemAvailable`` in ``/proc/meminfo``, else
the physical memory), or ``FARMSIM_MEMORY_LIMIT`` (``16GiB``, ``512MB``, a number of bytes) when
set; with neither known, nothing is refused for memory. Some things are refused whatever the
budget: a step or a run with more tasks, jobs, steps or workers than the records' 32-bit ids can
number.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from farmsim.errors import ScenarioError
from farmsim.scenario._validate import INT32_MAX, show

if TYPE_CHECKING:
    from farmsim.model.arrivals import ArrivalStream, RateProfile
    from farmsim.model.config import FleetConfig, JobSubmission, QueueConfig
    from farmsim.model.job import JobStructure
    from farmsim.scenario.config import Scenario

__all__ = [
    "MEMORY_LIMIT_VARIABLE",
    "MemoryBudget",
    "Part",
    "ScenarioSize",
    "StreamSize",
    "check_drawn_job",
    "check_size",
    "estimate_size",
    "expected_arrivals",
    "format_bytes",
    "format_count",
    "memory_budget",
    "parse_memory_size",
]

#: The environment variable that sets the memory budget.
MEMORY_LIMIT_VARIABLE = "FARMSIM_MEMORY_LIMIT"

# Peak memory of a run, in bytes: BASE plus a cost per job, step, task, retried run, session,
# session action and worker. MEASURED (farmsim 0.1.0, CPython 3.11, numpy 2, pandas 2, Linux
# x86_64) as the peak RSS (ru_maxrss) of one fresh process that builds the scenario through the
# config records, simulates it, saves every table as Parquet and writes report.html (what
# ``farmsim run`` does), on 20 shapes: one job of 100k-1M tasks; 100k and 300k one-task jobs;
# 30k jobs of 10 one-task steps; 100-100k jobs of 10-5,000 tasks; 10 small jobs on 100k and 300k
# workers; 200k tasks failing with probability 0.5 (5 retries) and 0.8 (10 retries); and the
# benchmark's farm-1m with and without job and step environments. A least-squares fit of peak
# RSS on those counts gave base 195 MB, task 1,016, retried run 656, job 2,021, step 3,192,
# worker 2,992, session 659, session action 159 bytes, within 8% of every shape (most within
# 2%); the constants below are those, rounded up. Building the result frames dominates: farm-1m
# simulates in 150 MB and peaks at 1.9 GB once its frames, Parquet files and report are made.
BASE_BYTES = 200_000_000
TASK_BYTES = 1_050
RETRY_BYTES = 700
JOB_BYTES = 2_100
STEP_BYTES = 3_300
WORKER_BYTES = 3_100
SESSION_BYTES = 700
ACTION_BYTES = 170
#: Per frame of an adaptive chunked step: its per-task arrays are sized for one chunk per frame
#: (durations 8, failure 1, status 1 and the succeeded run's columns 36 bytes). Computed, not
#: measured.
ADAPTIVE_FRAME_BYTES = 46

_HOUR = 3600.0
_WEEK = 7 * 86400.0
_SYNC = "syncInputJobAttachments"
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "pb": 10**15,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "pib": 2**50}
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*", re.ASCII)


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamSize:
    """What one arrival stream is expected to submit.

    Attributes:
        name: the stream's name.
        jobs: the expected number of submissions in its window, capped by ``count``.
        tasks_per_job: the tasks of its representative job.
        memory: the bytes its jobs are estimated to take.
        steps_per_job: the steps of its representative job.
        capped: ``count`` (not the rate) bounds the submissions.
        window: the stream's (start, end) in seconds; end is its ``end`` or the horizon.
    """

    name: str
    jobs: float
    tasks_per_job: int
    memory: float
    steps_per_job: int = 1
    capped: bool = False
    window: tuple[float, float] = (0.0, math.inf)

    @property
    def tasks(self) -> float:
        return self.jobs * self.tasks_per_job


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """The part of a scenario that contributes most to its size, for a message.

    Attributes:
        field: its location, e.g. ``workload.jobs[0].parameters.Frames``.
        value: its value as shown, e.g. ``'1-1000000000'``.
        what: what it makes, e.g. ``1,000,000,000 tasks``.
        memory: the bytes it is estimated to take.
    """

    field: str
    value: str
    what: str
    memory: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioSize:
    """How big a scenario is: counts, and the estimated peak memory of a run of it.

    Attributes:
        jobs: explicit and replayed jobs.
        tasks: their tasks.
        steps: their steps.
        workers: workers of every fleet.
        streams: what each arrival stream is expected to submit, in scenario order.
        task_runs: the task runs expected, retries included (explicit and stream jobs).
        memory: estimated peak memory of a run (simulation, result frames, saved tables and
            report), in bytes.
        largest_step: the most tasks of one step, in any job (a stream's representative one
            included).
    """

    jobs: int
    tasks: int
    steps: int
    workers: int
    streams: tuple[StreamSize, ...]
    task_runs: float
    memory: float
    largest_step: int = 0
    #: Bytes of each fleet's workers, of all explicit jobs, and the largest job's index and bytes.
    fleet_memory: tuple[float, ...] = ()
    jobs_memory: float = 0.0
    largest_job: int | None = None
    largest_job_memory: float = 0.0

    @property
    def stream_jobs(self) -> float:
        """Jobs the arrival streams are expected to submit."""
        return sum(s.jobs for s in self.streams)

    @property
    def stream_tasks(self) -> float:
        """Tasks of the jobs the arrival streams are expected to submit."""
        return sum(s.tasks for s in self.streams)


@dataclass(frozen=True, slots=True)
class MemoryBudget:
    """How much memory a run may take, and where that figure comes from."""

    bytes: int
    source: str

    def describe(self) -> str:
        """``the 15 GB available (MemAvailable ...)`` or ``the budget of 2GiB (...)``."""
        if self.source.startswith(MEMORY_LIMIT_VARIABLE):
            return f"the budget of {format_bytes(self.bytes)} ({self.source})"
        return (f"the {format_bytes(self.bytes)} available ({self.source}; set "
                f"{MEMORY_LIMIT_VARIABLE}, e.g. to 64GiB, to change the budget)")


# ---------------------------------------------------------------------------- the estimate


def estimate_size(scenario: Scenario) -> ScenarioSize:
    """Count a scenario's jobs, tasks, workers and expected stream submissions, and estimate
    the peak memory of a run; nothing is materialised (O(jobs + streams + fleets)).

    Args:
        scenario: the scenario.

    Returns:
        Its size.
    """
    farm = scenario.farm
    fleet_workers = {f.display_name: _most_workers(f) for f in farm.fleets}
    queue_workers = {q.display_name: sum(fleet_workers.get(n, 0) for n in q.fleets)
                     for q in farm.queues}
    queues = {q.display_name: q for q in farm.queues}
    costs = _JobCosts(scenario, queues, queue_workers)
    tasks = steps = largest_step = 0
    runs = jobs_memory = largest_memory = 0.0
    largest_job = None
    for k, job in enumerate(scenario.jobs):
        cost = costs.of(job)
        tasks += cost.tasks
        steps += cost.steps
        runs += cost.runs
        jobs_memory += cost.memory
        largest_step = max(largest_step, cost.largest_step)
        if cost.memory > largest_memory:
            largest_job, largest_memory = k, cost.memory
    streams = tuple(_stream_size(scenario, stream, costs) for stream in scenario.arrivals)
    for stream, size in zip(scenario.arrivals, streams, strict=True):
        cost = costs.of_stream(stream)
        runs += size.jobs * cost.runs
        largest_step = max(largest_step, cost.largest_step)
    fleet_memory = tuple(_most_workers(f) * WORKER_BYTES for f in farm.fleets)
    memory = BASE_BYTES + jobs_memory + sum(s.memory for s in streams) + sum(fleet_memory)
    return ScenarioSize(
        jobs=len(scenario.jobs), tasks=tasks, steps=steps,
        workers=sum(_most_workers(f) for f in farm.fleets), streams=streams, task_runs=runs,
        memory=memory, largest_step=largest_step, fleet_memory=fleet_memory,
        jobs_memory=jobs_memory, largest_job=largest_job, largest_job_memory=largest_memory,
    )


@dataclass(frozen=True, slots=True)
class _Cost:
    """One job's counts and estimated bytes."""

    tasks: int
    steps: int
    runs: float
    memory: float
    largest_step: int


class _JobCosts:
    """Costs of jobs, computed once per (queue, name, structure, retries, recorded run time)."""

    __slots__ = ("_cache", "_queue_workers", "_queues", "_runtimes", "_sync")

    def __init__(self, scenario: Scenario, queues: Mapping[str, QueueConfig],
                 queue_workers: Mapping[str, int]) -> None:
        self._runtimes = scenario.runtimes
        self._queues = queues
        self._queue_workers = queue_workers
        self._sync = any(r.match.action is not None and fnmatchcase(_SYNC, r.match.action)
                         for r in scenario.runtimes.rules)
        self._cache: dict[tuple[Any, ...], _Cost] = {}

    def of(self, job: JobSubmission) -> _Cost:
        replayed = job.run_time is not None  # its runs take the recorded time and never fail
        name = None if replayed else (job.name or job.structure.name)
        return self._cost(job.queue, name, job.structure, job.max_retries_per_task)

    def of_stream(self, stream: ArrivalStream) -> _Cost:
        structure = stream.expand(stream.typical_parameters())  # cached by expand_job
        return self._cost(stream.queue, structure.name, structure, stream.max_retries_per_task)

    def _cost(self, queue: str, name: str | None, structure: JobStructure,
              retries: int) -> _Cost:
        key = (queue, name, id(structure), retries)
        cost = self._cache.get(key)
        if cost is None:
            cost = self._cache[key] = self._compute(queue, name, structure, retries)
        return cost

    def _compute(self, queue: str, name: str | None, structure: JobStructure,
                 retries: int) -> _Cost:
        tasks = structure.task_count
        workers = self._queue_workers.get(queue, 0)
        runs = 0.0
        adaptive_frames = 0
        for step in structure.steps:
            p = 0.0
            if name is not None:
                p = self._runtimes.rule_for(queue=queue, job=name, step=step.name
                                            ).failure_probability
            runs += step.task_count * _attempts(p, retries)
            chunking = step.chunking
            if chunking is not None and chunking.adaptive:
                adaptive_frames += len(chunking.frames)
        if workers <= 0:  # nothing runs: no runs, sessions or actions
            runs = 0.0
        retried = max(0.0, runs - tasks)
        # A worker keeps its session on a job while it takes the job's tasks: at most one
        # session per task and at least one per worker on it; a failed run ends its session.
        sessions = min(float(tasks), float(workers)) + retried if runs else 0.0
        q = self._queues.get(queue)
        environments = (len(q.environments) if q is not None else 0) + len(structure.environments)
        environments += max((len(s.environments) for s in structure.steps), default=0)
        actions = 0.0
        if environments or self._sync:  # the job has a session plan: its actions are recorded
            actions = runs + sessions * (2 * environments + self._sync)
        memory = (JOB_BYTES + STEP_BYTES * len(structure.steps) + TASK_BYTES * tasks
                  + RETRY_BYTES * retried + SESSION_BYTES * sessions + ACTION_BYTES * actions
                  + ADAPTIVE_FRAME_BYTES * adaptive_frames)
        largest = max((s.task_count for s in structure.steps), default=0)
        return _Cost(tasks, len(structure.steps), runs, memory, largest)


def _attempts(p: float, retries: int) -> float:
    """Expected attempts of a task whose runs fail with probability ``p``, retried up to
    ``retries`` times: 1 + p + ... + p**retries."""
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return float(retries + 1)
    return (1.0 - p ** (retries + 1)) / (1.0 - p)


def _stream_size(scenario: Scenario, stream: ArrivalStream, costs: _JobCosts) -> StreamSize:
    horizon = math.inf if scenario.horizon is None else scenario.horizon
    end = min(math.inf if stream.end is None else stream.end, horizon)
    expected = expected_arrivals(stream.rate, stream.start, end)
    # count caps the stream when it is reached before the window ends
    jobs = expected if stream.count is None else min(float(stream.count), expected)
    capped = stream.count is not None and stream.count <= expected
    cost = costs.of_stream(stream)
    memory = jobs * cost.memory if jobs else 0.0
    return StreamSize(name=stream.name, jobs=jobs, tasks_per_job=cost.tasks, memory=memory,
                      steps_per_job=cost.steps, capped=capped, window=(stream.start, end))


def expected_arrivals(rate: RateProfile, start: float, end: float) -> float:
    """The expected number of arrivals of a rate profile in ``[start, end)``: the integral of
    its piecewise-constant rate (hour-of-day and day-of-week factors on the profile's clock).

    Whole weeks count at once, so the cost does not grow with the window (at most two partial
    weeks of 168 hours each).
    """
    if not end > start or rate.per_second <= 0.0:
        return 0.0
    if math.isinf(end):
        return math.inf
    if rate.hourly is None and rate.daily is None:
        return rate.per_second * (end - start)
    return _mass_to(rate, end + rate.offset) - _mass_to(rate, start + rate.offset)


def _mass_to(rate: RateProfile, clock: float) -> float:
    """Expected arrivals from Monday 00:00 of the profile's clock to ``clock`` seconds."""
    hourly = rate.hourly or (1.0,) * 24
    daily = rate.daily or (1.0,) * 7
    per_hour = [rate.per_second * _HOUR * hourly[h % 24] * daily[h // 24] for h in range(168)]
    weeks, rest = divmod(clock, _WEEK)
    hour = min(int(rest // _HOUR), 167)
    within = sum(per_hour[:hour]) + per_hour[hour] * (rest - hour * _HOUR) / _HOUR
    return weeks * sum(per_hour) + within


# ---------------------------------------------------------------------------- the check


def check_size(scenario: Scenario, *, environ: Mapping[str, str] | None = None
               ) -> ScenarioSize:
    """Estimate a scenario's size and refuse it when a run of it cannot fit.

    Args:
        scenario: the scenario.
        environ: where ``FARMSIM_MEMORY_LIMIT`` is read (default ``os.environ``); see
            :func:`memory_budget`.

    Returns:
        The size, when the scenario fits.

    Raises:
        ScenarioError: the estimated peak memory exceeds the budget, or a count exceeds what
            the records can number; the problem names the field that contributes most, its
            value, the estimate and the budget. Also when ``FARMSIM_MEMORY_LIMIT`` is malformed.
    """
    try:
        budget = memory_budget(environ)
    except ValueError as exc:
        raise ScenarioError(str(exc), source=scenario.source) from None
    size = estimate_size(scenario)
    problems = _over_bounds(scenario, size)
    if not problems and budget is not None and size.memory > budget.bytes:
        part = largest_part(scenario, size)
        problems.append(
            f"{part.field}: {part.value} {part.what}; a run of the scenario "
            f"({_totals(size)}) needs an estimated {format_bytes(size.memory)} of memory, more "
            f"than {budget.describe()}")
    if problems:
        raise ScenarioError(problems, source=scenario.source)
    return size


def _most_workers(fleet: FleetConfig) -> int:
    """The most workers a fleet may have at once: a scaling fleet's ``maxWorkerCount``."""
    return fleet.max_worker_count if fleet.autoscaling is not None else fleet.worker_count


def job_too_big(structure: JobStructure, budget: MemoryBudget | None) -> str | None:
    """Why a job of ``structure`` cannot be simulated by itself (a step the records cannot
    number, or more memory than the whole ``budget``), or None when it can."""
    tasks = structure.task_count
    largest = max((step.task_count for step in structure.steps), default=0)
    memory = JOB_BYTES + STEP_BYTES * len(structure.steps) + TASK_BYTES * tasks
    if largest > INT32_MAX:
        return (f"a step of {format_count(largest)} tasks, more than farmsim's records can "
                f"number ({INT32_MAX:,})")
    if budget is not None and memory > budget.bytes:
        return (f"it alone needs an estimated {format_bytes(memory)} of memory, more than "
                f"{budget.describe()}")
    return None


def check_drawn_job(submission: JobSubmission, where: str, budget: MemoryBudget | None,
                    *, source: str | None = None) -> None:
    """Refuse a job an arrival stream drew during the run that cannot fit by itself: a step
    the records cannot number, or more memory than the whole budget. (The scenario's estimate
    counts a stream's typical job; a rare draw, a choice of a huge frame range, can be far
    bigger.)

    Args:
        submission: the job drawn.
        where: the stream and the time, for the message.
        budget: the memory budget (None: only the records' bound applies).
        source: the scenario file, for the message.

    Raises:
        ScenarioError: naming the stream, the values drawn, the job's tasks and its estimate.
    """
    structure = submission.structure
    tasks = structure.task_count
    why = job_too_big(structure, budget)
    if why is None:
        return
    drawn = ", ".join(f"{k}={v!r}" for k, v in submission.parameters.items()) or "no parameters"
    raise ScenarioError(f"{where}: drew {drawn}, a job of {_plural(tasks, 'task')}: {why}",
                        source=source)


def _over_bounds(scenario: Scenario, size: ScenarioSize) -> list[str]:
    """Counts the records' 32-bit ids cannot number, whatever the memory; and streams that
    would submit jobs forever (possible only in a scenario built in Python)."""
    endless = [f"workload.arrivals[{i}]: would submit jobs forever: give the stream an end or a "
               "count, or the scenario a horizon"
               for i, s in enumerate(size.streams) if math.isinf(s.jobs)]
    if endless:
        return endless
    limit = f"more than farmsim's records can number ({INT32_MAX:,})"
    if size.largest_step > INT32_MAX:
        part = largest_part(scenario, size)
        return [f"{part.field}: {part.value} {part.what}: a step of "
                f"{format_count(size.largest_step)} tasks, {limit}"]
    jobs = size.jobs + size.stream_jobs
    steps = size.steps + sum(s.jobs * s.steps_per_job for s in size.streams)
    for count, noun in ((jobs, "jobs"), (steps, "steps"), (size.workers, "workers")):
        if count > INT32_MAX:
            part = largest_part(scenario, size)
            return [f"{part.field}: {part.value} {part.what}: {format_count(count)} {noun} in "
                    f"all, {limit}"]
    return []


def _totals(size: ScenarioSize) -> str:
    about = bool(size.streams)
    jobs = _plural(size.jobs + size.stream_jobs, "job", about=about)
    tasks = _plural(size.tasks + size.stream_tasks, "task", about=about)
    return f"{'about ' if about else ''}{jobs}, {tasks}, {_plural(size.workers, 'worker')}"


# ---------------------------------------------------------------------------- what contributes


def largest_part(scenario: Scenario, size: ScenarioSize) -> Part:
    """The field of the scenario that contributes most to its estimated memory: a fleet's
    workers, an arrival stream (its rate, ``count`` or frame parameter), one big job (the
    parameter that makes its tasks, else its template) or, when no job dominates, the jobs
    together."""
    candidates: list[tuple[float, Callable[[], Part]]] = []
    for i, memory in enumerate(size.fleet_memory):
        candidates.append((memory, partial(_fleet_part, scenario, i)))
    for i, stream in enumerate(size.streams):
        candidates.append((stream.memory, partial(_stream_part, scenario, size, i)))
    if size.largest_job is not None:
        if size.largest_job_memory * 2 >= size.jobs_memory:
            candidates.append((size.largest_job_memory, partial(_job_part, scenario, size)))
        else:
            candidates.append((size.jobs_memory, partial(_jobs_part, scenario, size)))
    if not candidates:
        return Part(field="(top level)", value="the scenario", what="has no jobs or workers",
                    memory=0.0)
    _, make = max(candidates, key=lambda c: c[0])
    return make()


def _fleet_part(scenario: Scenario, i: int) -> Part:
    fleet = scenario.farm.fleets[i]
    key = "maxWorkerCount" if fleet.kind == "serviceManagedEc2" else "simulation.workers"
    return Part(field=f"farm.fleets[{i}].{key}", value=str(_most_workers(fleet)),
                what="workers", memory=_most_workers(fleet) * WORKER_BYTES)


def _stream_part(scenario: Scenario, size: ScenarioSize, i: int) -> Part:
    stream, estimate = scenario.arrivals[i], size.streams[i]
    where = f"workload.arrivals[{i}]"
    what = (f"submits about {_plural(estimate.jobs, 'job', about=True)} "
            f"({_plural(estimate.tasks, 'task', about=True)}) {_window(stream, estimate)}")
    memory = estimate.memory
    raw = _raw(scenario, "workload", "arrivals", i)
    if estimate.tasks_per_job > max(estimate.jobs, 1.0):
        frames = _frames_parameter(stream)
        if frames is not None:
            spec = _raw_get(raw, "parameters", frames)
            return Part(field=f"{where}.parameters.{frames}",
                        value=_shown(spec, stream.typical_parameters()[frames]),
                        what=f"makes {_plural(estimate.tasks_per_job, 'task')} a job; the "
                             f"stream {what}",
                        memory=memory)
    if estimate.capped:
        return Part(field=f"{where}.count", value=str(stream.count), what=what, memory=memory)
    per_hour = stream.rate.per_second * _HOUR
    spec = _raw_get(raw, "process", "poisson", "per_hour")
    return Part(field=f"{where}.process.poisson.per_hour", value=_shown(spec, per_hour),
                what=what, memory=memory)


def _window(stream: ArrivalStream, estimate: StreamSize) -> str:
    first, last = estimate.window
    until = (f"end {_duration(last)}" if stream.end is not None and stream.end == last
             else f"the horizon {_duration(last)}")
    return f"between start {_duration(first)} and {until}"


def _frames_parameter(stream: ArrivalStream) -> str | None:
    """The stream parameter drawn as a frame range with the most frames, if any."""
    from farmsim.model.arrivals import FrameRange

    best, most = None, 0
    for name, sampler in stream.parameters.items():
        if isinstance(sampler, FrameRange):
            frames = _range_size(sampler.typical())
            if frames > most:
                best, most = name, frames
    return best


def _job_part(scenario: Scenario, size: ScenarioSize) -> Part:
    k = size.largest_job or 0
    job = scenario.jobs[k]
    where = _job_location(scenario, job, k)
    tasks = job.structure.task_count
    steps = len(job.structure.steps)
    what = "makes " + _plural(tasks, "task") + (f" in {steps} steps" if steps > 1 else "")
    memory = size.largest_job_memory
    if where == "workload.replay":
        replay = _raw(scenario, "workload", "replay")
        return Part(field=where, value=_shown(replay, ""), what=f"has a job that {what}",
                    memory=memory)
    parameter = _range_parameter(job.parameters)
    if parameter is not None:
        return Part(field=f"{where}.parameters.{parameter}",
                    value=_shown(job.parameters[parameter], ""), what=what, memory=memory)
    template = job.template or "(inline)"
    return Part(field=f"{where}.template", value=repr(template), what=what, memory=memory)


def _jobs_part(scenario: Scenario, size: ScenarioSize) -> Part:
    explicit = _raw(scenario, "workload", "jobs")
    replayed = size.jobs - (len(explicit) if isinstance(explicit, list) else 0)
    has_replay = _raw(scenario, "workload", "replay") is not None
    field = "workload.replay" if has_replay and replayed * 2 > size.jobs else "workload.jobs"
    if scenario.raw is None:
        field = "jobs"
    return Part(field=field, value=_plural(size.jobs, "job"),
                what=f"with {_plural(size.tasks, 'task')}", memory=size.jobs_memory)


def _job_location(scenario: Scenario, job: JobSubmission, k: int) -> str:
    """``workload.jobs[i]`` of the file item that made ``job``; ``workload.replay`` for a
    replayed job; ``jobs[k]`` for a scenario built in Python."""
    if scenario.raw is None:
        return f"jobs[{k}]"
    items = _raw(scenario, "workload", "jobs")
    for i, item in enumerate(items if isinstance(items, list) else ()):
        if (isinstance(item, Mapping) and item.get("queue") == job.queue
                and (item.get("parameters") or {}) == job.parameters
                and _template_path(scenario, item.get("template")) == job.template):
            return f"workload.jobs[{i}]"
    replayed = _raw(scenario, "workload", "replay") is not None
    return "workload.replay" if replayed else "workload.jobs"


def _template_path(scenario: Scenario, value: Any) -> str | None:
    """The template path a job item records (as ``read_workload`` does)."""
    if isinstance(value, Mapping):
        return ""
    if not isinstance(value, str):
        return None
    base = scenario.base_dir
    return str(Path(base, value)) if base is not None else str(Path(value))


def _range_parameter(parameters: Mapping[str, Any]) -> str | None:
    """The job parameter that lists the most values (a range expression or a list), if any
    lists more than one."""
    best, most = None, 1
    for name, value in parameters.items():
        count = len(value) if isinstance(value, list) else _range_size(value)
        if count > most:
            best, most = name, count
    return best


def _range_size(value: Any) -> int:
    """Values of an OpenJD integer range expression (``"1-100:2,200"``); 0 if it is not one."""
    from farmsim.templates._tasks import count_range

    if not isinstance(value, str):
        return 0
    try:
        return count_range(value)
    except ValueError:
        return 0


def _raw(scenario: Scenario, *keys: Any) -> Any:
    return _raw_get(scenario.raw, *keys)


def _raw_get(data: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(key, int):
            data = data[key] if isinstance(data, list) and 0 <= key < len(data) else None
        else:
            data = data.get(key) if isinstance(data, Mapping) else None
    return data


def _shown(raw: Any, fallback: Any) -> str:
    value = raw if raw is not None else fallback
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k}: {_shown(v, '')}" for k, v in value.items())
        text = "{" + inner + "}"
        return text if len(text) <= 60 else text[:57] + "..."
    return show(value)


# ---------------------------------------------------------------------------- the budget


def memory_budget(environ: Mapping[str, str] | None = None) -> MemoryBudget | None:
    """The memory a run may take: ``FARMSIM_MEMORY_LIMIT`` when set, else the memory available
    (``MemAvailable`` in ``/proc/meminfo``), else the physical memory; None when unknown.

    Raises:
        ValueError: ``FARMSIM_MEMORY_LIMIT`` is set but is not a memory size.
    """
    environ = os.environ if environ is None else environ
    text = environ.get(MEMORY_LIMIT_VARIABLE)
    if text is not None:
        return MemoryBudget(parse_memory_size(text, MEMORY_LIMIT_VARIABLE),
                            f"{MEMORY_LIMIT_VARIABLE}={text.strip()}")
    available = _mem_available()
    if available is not None:
        return MemoryBudget(available, "MemAvailable in /proc/meminfo")
    physical = _physical_memory()
    if physical is not None:
        return MemoryBudget(physical, "the machine's physical memory")
    return None


def parse_memory_size(text: str, name: str = MEMORY_LIMIT_VARIABLE) -> int:
    """Bytes from a size such as ``16GiB``, ``512MB``, ``1.5 TB`` or ``17179869184``.

    Units (any case): B, kB, MB, GB, TB, PB (powers of 1000) and KiB, MiB, GiB, TiB, PiB
    (powers of 1024); a plain number is bytes.

    Raises:
        ValueError: the text is not such a size, or is 0; the message names ``name``.
    """
    match = _SIZE.fullmatch(text)
    unit = _UNITS.get(match.group(2).lower()) if match else None
    if match is None or unit is None:
        raise ValueError(
            f"{name}: must be a memory size such as 16GiB, 512MB or a number of bytes (units "
            f"B, kB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB) (got {text!r})")
    value = int(float(match.group(1)) * unit)
    if value <= 0:
        raise ValueError(f"{name}: must be more than 0 bytes (got {text!r})")
    return value


def _mem_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    number, unit = line.split()[1:3]
                    return int(number) * (1024 if unit.lower() == "kb" else 1)
    except (OSError, ValueError, IndexError):
        return None
    return None


def _physical_memory() -> int | None:
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None
    return pages * page_size if pages > 0 and page_size > 0 else None


# ---------------------------------------------------------------------------- formatting


def format_bytes(n: float) -> str:
    """``120 MB``, ``1.2 GB``, ``16 GB``: two significant digits below 10, decimal units."""
    if not math.isfinite(n):
        return "an unbounded amount"
    for unit, scale in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            value = n / scale
            if unit == "PB" and value >= 1000:
                return f"{value:,.0f} PB"
            return f"{value:.1f} {unit}" if value < 9.95 else f"{value:.0f} {unit}"
    return f"{n:.0f} B"


def format_count(n: float, *, about: bool = False) -> str:
    """``1,240``; with ``about``, rounded to 3 significant digits (``1,236.4`` -> ``1,240``);
    counts of 10**15 and more in scientific notation."""
    if not math.isfinite(n):
        return "unboundedly many"
    if n >= 1e15:
        return f"{n:.2g}"
    if about and n >= 1000:
        n = round(n, 2 - math.floor(math.log10(n)))
    return f"{round(n):,}"


def _plural(n: float, noun: str, *, about: bool = False) -> str:
    text = format_count(n, about=about)
    return f"{text} {noun}{'' if text == '1' else 's'}"


def _duration(seconds: float) -> str:
    if math.isinf(seconds):
        return "(none)"
    for unit, scale in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
        if seconds >= scale and seconds % scale == 0:
            return f"{seconds / scale:g}{unit}"
    return f"{seconds:g}s"
