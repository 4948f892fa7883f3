"""Hypothesis strategies for random farms, jobs and whole scenarios.

This module requires hypothesis (``pip install farmsim[test]``); nothing else in farmsim
imports it. The strategies build the frozen configuration records directly
(:mod:`farmsim.model.config`, :mod:`farmsim.model.job`, :class:`~farmsim.scenario.Scenario`),
without templates or YAML, so examples are cheap to build. Bounds are keyword-only
and the results shrink toward small farms, few jobs and simple dependencies.

Example::

    from hypothesis import given
    from farmsim import Simulation
    from farmsim.testing import check_all
    from farmsim.testing.strategies import scenarios

    @given(scenarios(max_jobs=6))
    def test_invariants(scenario):
        sim = Simulation(scenario)
        sim.run()
        check_all(sim.result())

Names the strategies give: queues ``queue0..``, fleets ``fleet0..``, limits ``lic0..`` with
``amountRequirementName`` ``amount.license.lic0..``, jobs ``job0..``, steps ``step0..`` (runtime
rules match on these step names).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
from hypothesis import strategies as st

from farmsim.model.config import (
    AutoScaling,
    FarmConfig,
    FleetConfig,
    JobSubmission,
    LimitConfig,
    QueueConfig,
    SchedulingConfig,
)
from farmsim.model.distributions import Distribution, Exponential, Fixed, Uniform
from farmsim.model.enums import CreateJobTargetTaskRunStatus
from farmsim.model.job import (
    AmountRequirement,
    AttributeRequirement,
    Chunking,
    JobStructure,
    StepStructure,
)
from farmsim.model.runtimes import RuleMatch, RuntimeModel, RuntimeRule
from farmsim.scenario.config import Scenario

__all__ = [
    "UNKNOWN_AMOUNT",
    "chunkings",
    "distributions",
    "farms",
    "job_structures",
    "limit_amount",
    "poll_intervals",
    "runtime_models",
    "scenarios",
]

#: An amount no limit and no fleet provides: a step naming it is NOT_COMPATIBLE (semantics
#: 10.12).
UNKNOWN_AMOUNT = "amount.license.unknown"


def limit_amount(display_name: str) -> str:
    """The ``amountRequirementName`` the strategies give the limit ``display_name``."""
    return f"amount.license.{display_name}"


@st.composite
def job_structures(
    draw: st.DrawFn,
    *,
    max_steps: int = 3,
    max_tasks: int = 8,
    limit_names: Sequence[str] | Mapping[str, int] = (),
    name: str = "job",
    environments: bool = False,
    chunked: bool = False,
    host_requirements: bool = False,
) -> JobStructure:
    """A job of 1..``max_steps`` steps ``step0..`` with 1..``max_tasks`` tasks each.

    Dependencies form a DAG: step ``i`` may depend only on steps before it. Each step may
    require some of ``limit_names`` (amount requirement names, e.g. ``amount.license.nuke``);
    given as a mapping, the value is the most units (``min``) a task run may ask for (else 1).
    With ``environments``, the job has 0..2 job environments ``jenv0..`` and each step 0..2
    step environments ``senv0..``. With ``chunked``, about half the steps are chunked
    (TASK_CHUNKING): 1..30 frames, possibly with gaps, in chunks of 1..6, half of them with
    adaptive sizes (a target runtime). With ``host_requirements``, a step may need an OS
    (``attr.worker.os.family`` anyOf linux or windows) and a GPU (``amount.worker.gpu`` min 1),
    as :func:`farms` with ``capabilities`` gives fleets.
    """
    units = dict(limit_names) if isinstance(limit_names, Mapping) else dict.fromkeys(
        limit_names, 1)
    names = sorted(units)
    steps = []
    for i in range(draw(st.integers(1, max_steps))):
        deps = draw(st.sets(st.integers(0, i - 1), max_size=i)) if i else set()
        chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names))
                      ) if names else []
        amounts = tuple(AmountRequirement(amount, min=float(draw(st.integers(1, units[amount]))))
                        for amount in chosen)
        attributes: tuple[AttributeRequirement, ...] = ()
        if host_requirements:
            os_family = draw(st.sampled_from((None, "linux", "windows")))
            if os_family is not None:
                attributes = (AttributeRequirement("attr.worker.os.family",
                                                   any_of=(os_family,)),)
            if draw(st.integers(0, 3)) == 0:
                amounts = (*amounts, AmountRequirement("amount.worker.gpu", min=1.0))
        step_envs = tuple(f"senv{k}" for k in range(draw(st.integers(0, 2)))) if environments \
            else ()
        chunking = draw(chunkings()) if chunked and draw(st.booleans()) else None
        steps.append(StepStructure(
            name=f"step{i}", index=i,
            task_count=(draw(st.integers(1, max_tasks)) if chunking is None
                        else _chunk_count(chunking)),
            dependencies=tuple(sorted(deps)), amounts=amounts, attributes=attributes,
            environments=step_envs,
            chunking=chunking,
            frames=None if chunking is None else _chunk_frames(chunking),
        ))
    job_envs = tuple(f"jenv{k}" for k in range(draw(st.integers(0, 2)))) if environments else ()
    return JobStructure(name=name, steps=tuple(steps), environments=job_envs)


@st.composite
def chunkings(draw: st.DrawFn) -> Chunking:
    """A CHUNK[INT] parameter: 1..30 frames (ascending, sometimes with gaps), chunks of 1..6
    frames, CONTIGUOUS or not, adaptive (a target runtime of 5..120 s) half the time."""
    n = draw(st.integers(1, 30))
    gaps = draw(st.lists(st.sampled_from((1, 1, 1, 2, 5)), min_size=n, max_size=n))
    frames = tuple(int(x) for x in np.cumsum(gaps))
    return Chunking(parameter="Frame", default_task_count=draw(st.integers(1, 6)),
                    target_runtime_s=draw(st.sampled_from((0.0, 5.0, 30.0, 120.0))),
                    contiguous=draw(st.booleans()), frames=frames)


def _chunk_runs(chunking: Chunking) -> list[int]:
    """Lengths of the runs of frames a chunk may span."""
    frames = chunking.frames
    if not chunking.contiguous:
        return [len(frames)]
    runs, start = [], 0
    for i in range(1, len(frames)):
        if frames[i] != frames[i - 1] + 1:
            runs.append(i - start)
            start = i
    runs.append(len(frames) - start)
    return runs


def _chunk_count(chunking: Chunking) -> int:
    size = chunking.default_task_count
    return sum(-(-run // size) for run in _chunk_runs(chunking))


def _chunk_frames(chunking: Chunking) -> tuple[int, ...]:
    """Frames per chunk at the default size, greedy within each run."""
    size = chunking.default_task_count
    out: list[int] = []
    for run in _chunk_runs(chunking):
        out += [size] * (run // size) + ([run % size] if run % size else [])
    return tuple(out)


def poll_intervals() -> st.SearchStrategy[float]:
    """``worker_poll_interval`` values: 0 (instant), the default 15 s, or a small float."""
    return st.one_of(st.sampled_from((0.0, 15.0)), st.floats(0.25, 30.0))


@st.composite
def farms(
    draw: st.DrawFn,
    *,
    max_queues: int = 3,
    max_fleets: int = 3,
    min_workers: int = 1,
    max_workers: int = 6,
    min_limits: int = 0,
    max_limits: int = 2,
    limit_max_counts: Sequence[int] = (-1, 1, 2, 3, 4),
    all_limits_associated: bool = False,
    worker_poll_interval: st.SearchStrategy[float] | None = None,
    queue_environments: bool = False,
    scaling: bool = False,
    capabilities: bool = False,
    hazards: bool = False,
    scheduling: st.SearchStrategy[SchedulingConfig] | None = None,
) -> FarmConfig:
    """A farm of 1..``max_queues`` queues and 1..``max_fleets`` fixed-size fleets of
    ``min_workers``..``max_workers`` workers; every fleet serves at least one queue and every
    queue is served by at least one fleet. ``min_limits``..``max_limits`` limits have a
    ``maxCount`` from ``limit_max_counts`` (-1 is unlimited), each associated with a random
    subset of the queues (with every queue, if ``all_limits_associated``). With
    ``queue_environments``, each queue has 0..2 environments ``qenv0..``. With ``scaling``,
    each fleet may instead be a service-managed one that scales between 0..2 and up to
    ``max_workers`` workers (standby 0..2, idle duration 0..120 s, 1..5 workers a minute).
    With ``capabilities``, each fleet declares an OS (LINUX or WINDOWS) and has one GPU or
    none (see :func:`job_structures` ``host_requirements``). With ``hazards``, each
    service-managed fleet is a spot fleet whose hosts are interrupted (0..3 an hour) and lost
    without notice (0..2 an hour, found after 30..300 s). With ``scheduling``, each queue's
    ``schedulingConfiguration`` is drawn from it (default: priorityFifo)."""
    n_queues = draw(st.integers(1, max_queues))
    n_fleets = draw(st.integers(1, max_fleets))
    limits = tuple(
        LimitConfig(display_name=f"lic{i}", amount_requirement_name=limit_amount(f"lic{i}"),
                    max_count=draw(st.sampled_from(tuple(limit_max_counts))))
        for i in range(draw(st.integers(min_limits, max_limits)))
    )
    served = [draw(st.sets(st.integers(0, n_queues - 1), min_size=1)) for _ in range(n_fleets)]
    for q in range(n_queues):
        if not any(q in s for s in served):
            served[q % n_fleets].add(q)
    fleets = tuple(
        draw(_scaling_fleet(i, max_workers)) if scaling and draw(st.booleans())
        else FleetConfig(display_name=f"fleet{i}", worker_count=(n := draw(st.integers(
            min_workers, max_workers))), min_worker_count=n, max_worker_count=n)
        for i in range(n_fleets)
    )
    if hazards:
        fleets = tuple(
            dataclasses.replace(
                fleet, configuration={**fleet.configuration,
                                      "instanceMarketOptions": {"type": "spot"}},
                interruptions_per_hour=draw(st.sampled_from((0.0, 1.0, 3.0))),
                not_responding_per_hour=draw(st.sampled_from((0.0, 0.5, 2.0))),
                not_responding_after=float(draw(st.integers(30, 300))))
            if fleet.kind == "serviceManagedEc2" else fleet
            for fleet in fleets)
    if capabilities:
        fleets = tuple(
            dataclasses.replace(fleet, configuration={**fleet.configuration,
                                                      _CAPABILITIES[fleet.kind]: {
                "osFamily": draw(st.sampled_from(("LINUX", "WINDOWS"))),
                **({"acceleratorCount": {"min": 1, "max": 1}} if draw(st.booleans()) else {}),
            }})
            for fleet in fleets)
    limit_names = [lim.display_name for lim in limits]
    queues = tuple(
        QueueConfig(
            display_name=f"queue{q}",
            fleets=tuple(f"fleet{i}" for i in range(n_fleets) if q in served[i]),
            limits=(tuple(limit_names) if all_limits_associated
                    else tuple(sorted(draw(st.sets(st.sampled_from(limit_names)))))
                    if limit_names else ()),
            environments=(tuple(f"qenv{k}" for k in range(draw(st.integers(0, 2))))
                          if queue_environments else ()),
            **({"scheduling": draw(scheduling)} if scheduling is not None else {}),
        )
        for q in range(n_queues)
    )
    poll = draw(worker_poll_interval if worker_poll_interval is not None else poll_intervals())
    return FarmConfig(display_name="farm", queues=queues, fleets=fleets, limits=limits,
                      worker_poll_interval=poll)


#: Where a fleet's configuration declares capabilities, by kind.
_CAPABILITIES = {"customerManaged": "workerCapabilities",
                 "serviceManagedEc2": "instanceCapabilities"}


@st.composite
def _scaling_fleet(draw: st.DrawFn, i: int, max_workers: int) -> FleetConfig:
    """A service-managed fleet ``fleet{i}`` that scales (see :func:`farms`)."""
    low = draw(st.integers(0, 2))
    high = draw(st.integers(low + 1, max(low + 1, max_workers)))
    return FleetConfig(
        display_name=f"fleet{i}", kind="serviceManagedEc2", min_worker_count=low,
        max_worker_count=high, worker_count=low,
        autoscaling=AutoScaling(standby_worker_count=draw(st.integers(0, 2)),
                                worker_idle_duration=float(draw(st.integers(0, 120))),
                                scale_out_workers_per_minute=draw(st.integers(1, 5))))


def distributions(*, max_mean_s: float = 60.0) -> st.SearchStrategy[Distribution]:
    """Duration distributions: exponential, uniform, or fixed (fixed values are round numbers
    half the time, so that runs end at the same instant)."""
    return st.one_of(
        st.builds(Exponential, st.floats(0.5, max_mean_s)),
        st.builds(lambda low, width: Uniform(low, low + width),
                  st.floats(0.0, max_mean_s / 2), st.floats(0.5, max_mean_s / 2)),
        st.builds(Fixed, st.one_of(st.sampled_from((5.0, 10.0, 20.0)),
                                   st.floats(0.5, max_mean_s))),
    )


@st.composite
def runtime_models(
    draw: st.DrawFn,
    *,
    max_steps: int = 3,
    max_failure_probability: float = 0.5,
    max_mean_s: float = 60.0,
    durations: st.SearchStrategy[Distribution] | None = None,
    actions: bool = False,
) -> RuntimeModel:
    """Rules for some of the step names ``step0..`` then a catch-all rule, each with a duration
    distribution (default :func:`distributions`) and a failure probability in
    0..``max_failure_probability``. With ``actions``, rules for session actions come first:
    some of envEnter, envExit and syncInputJobAttachments (some for one environment name), with
    durations (zero among them) and failure probabilities up to a third of the runs'."""
    failure = st.one_of(st.just(0.0), st.floats(0.0, max_failure_probability))
    duration = durations if durations is not None else distributions(max_mean_s=max_mean_s)
    action_rules = []
    if actions:
        kinds = ("envEnter", "envExit", "syncInputJobAttachments", "env*")
        action_failure = st.one_of(st.just(0.0), st.floats(0.0, max_failure_probability / 3))
        for kind in draw(st.lists(st.sampled_from(kinds), max_size=4)):
            env = draw(st.sampled_from((None, "jenv0", "senv0", "qenv0"))) \
                if kind != "syncInputJobAttachments" else None
            action_rules.append(RuntimeRule(
                match=RuleMatch(action=kind, environment=env),
                duration=draw(st.one_of(st.just(Fixed(0.0)), duration)),
                failure_probability=draw(action_failure)))
    rules = [
        RuntimeRule(match=RuleMatch(step=f"step{i}"), duration=draw(duration),
                    failure_probability=draw(failure))
        for i in sorted(draw(st.sets(st.integers(0, max_steps - 1))))
    ]
    rules.append(RuntimeRule(duration=draw(duration), failure_probability=draw(failure)))
    return RuntimeModel(rules=tuple(action_rules + rules))


@st.composite
def scenarios(
    draw: st.DrawFn,
    *,
    min_jobs: int = 1,
    max_jobs: int = 12,
    max_steps: int = 3,
    max_tasks: int = 8,
    max_submit_s: float = 300.0,
    farm: st.SearchStrategy[FarmConfig] | None = None,
    runtimes: st.SearchStrategy[RuntimeModel] | None = None,
    max_units: int = 2,
    suspended: bool = True,
    incompatible: bool = True,
    horizon: float | None = None,
    sessions: bool = False,
    chunked: bool = False,
    host_requirements: bool = False,
) -> Scenario:
    """A whole scenario: a farm (default :func:`farms`), ``min_jobs``..``max_jobs`` jobs
    submitted at continuous random times in [0, ``max_submit_s``], and runtime rules (default
    :func:`runtime_models`).

    Jobs get priorities 0..100 (ties are frequent), ``maxWorkerCount`` -1 or 1..4,
    ``maxRetriesPerTask`` 0..3 and ``maxFailedTasksCount`` 0..5. Steps require limits their
    queue is associated with, 1..``max_units`` units a run but never more than the limit's
    ``maxCount``, so every compatible job can finish. With ``suspended``, about one job in ten
    is created SUSPENDED; with ``incompatible``, about one in six may also name a limit its
    queue is not associated with, or an amount nothing provides (such a job is NOT_COMPATIBLE).
    With ``sessions``, queues, jobs and steps have environments and the runtime rules time
    (and fail) session actions. With ``chunked``, steps may be chunked (see
    :func:`job_structures`) and task runs are timed per frame. With ``host_requirements``,
    steps may need an OS and a GPU (give it a farm of ``farms(capabilities=True)``).
    """
    farm_config = draw(farm if farm is not None else farms(max_limits=2,
                                                           queue_environments=sessions))
    limit_by_name = {lim.display_name: lim for lim in farm_config.limits}

    def most_units(name: str) -> int:
        cap = limit_by_name[name].max_count
        return max_units if cap < 0 else min(max_units, cap)

    jobs = []
    for k in range(draw(st.integers(min_jobs, max_jobs))):
        queue = draw(st.sampled_from(farm_config.queues))
        allowed = {limit_amount(n): most_units(n) for n in queue.limits}
        if incompatible and draw(st.integers(0, 5)) == 0:
            foreign = [limit_amount(n) for n in limit_by_name if n not in queue.limits]
            allowed[draw(st.sampled_from([*foreign, UNKNOWN_AMOUNT]))] = 1
        structure = draw(job_structures(max_steps=max_steps, max_tasks=max_tasks,
                                        limit_names=allowed, name=f"job{k}",
                                        environments=sessions, chunked=chunked,
                                        host_requirements=host_requirements))
        suspend = suspended and draw(st.integers(0, 9)) == 0
        jobs.append(JobSubmission(
            at=draw(st.floats(0.0, max_submit_s)),
            queue=queue.display_name,
            structure=structure,
            priority=draw(st.one_of(st.sampled_from((0, 50, 100)), st.integers(0, 100))),
            max_worker_count=draw(st.one_of(st.just(-1), st.integers(1, 4))),
            max_retries_per_task=draw(st.integers(0, 3)),
            max_failed_tasks_count=draw(st.integers(0, 5)),
            target_task_run_status=(CreateJobTargetTaskRunStatus.SUSPENDED if suspend
                                    else CreateJobTargetTaskRunStatus.READY),
        ))
    jobs.sort(key=lambda j: j.at)  # submission order
    model = draw(runtimes if runtimes is not None else runtime_models(max_steps=max_steps,
                                                                      actions=sessions))
    if chunked:  # task runs timed per frame: a chunk's frames decide its time
        model = RuntimeModel(rules=tuple(
            RuntimeRule(match=r.match, duration=r.duration, per_frame=r.match.action is None,
                        failure_probability=r.failure_probability) for r in model.rules))
    return Scenario(name="hypothesis", seed=draw(st.integers(0, 2**32 - 1)), farm=farm_config,
                    jobs=tuple(jobs), runtimes=model, horizon=horizon)
