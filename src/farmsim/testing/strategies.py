"""Hypothesis strategies for random farms, jobs, OpenJD job templates and whole scenarios.

This module requires hypothesis (``pip install farmsim[test]``); nothing else in farmsim
imports it. Every bound is a keyword, and examples shrink toward small: few queues, fleets,
workers, jobs, steps and tasks, simple dependencies, the API's defaults.

The farm, piece by piece (frozen :mod:`farmsim.model.config` records):

* :func:`fleets`: a ``FleetConfig``, fixed or scaling, with capabilities and hazards;
* :func:`limits`: a ``LimitConfig``;
* :func:`queues`: a ``QueueConfig`` served by some of the given fleets, associated with some
  of the given limits;
* :func:`scheduling_configs`: a queue's ``SchedulingConfig`` (priorityFifo, priorityBalanced,
  weightedBalanced with parameters in the API's ranges, or policies of your own);
* :func:`farms`: a whole ``FarmConfig`` in which every queue has a fleet and every fleet a
  queue; :func:`poll_intervals` its ``worker_poll_interval``.

The work:

* :func:`job_structures`: a ``JobStructure`` built directly (no template): steps, a dependency
  DAG, limits and host requirements, environments, chunked steps;
  :func:`chunkings` a chunked step's CHUNK[INT] parameter;
* :func:`job_templates`: a real OpenJD job template (a mapping, ``jobtemplate-2023-09``) with
  job parameters, parameter spaces (several task parameters, combination expressions),
  dependencies, host requirements and environments, which ``load_template`` and
  ``expand_job`` accept; :func:`job_parameters` values for a template's parameters;
* :func:`workloads`: a list of ``JobSubmission`` for given queues (from job structures or from
  templates expanded with their parameter values);
* :func:`distributions` and :func:`runtime_models`: how long task runs and session actions
  take and how often they fail;
* :func:`scenarios`: a whole :class:`~farmsim.scenario.Scenario`.

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
``amountRequirementName`` ``amount.license.lic0..`` (:func:`limit_amount`), jobs ``job0..``,
steps ``step0..`` (runtime rules match on these step names).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from farmsim.model.config import (
    ERROR_COUNTS,
    LICENSE_BILLINGS,
    SCHEDULING_OVERRIDES,
    SCHEDULING_PARAMETERS,
    SUBMISSION_TIME_UNITS,
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
from farmsim.templates import expand_job

__all__ = [
    "API_POLICIES",
    "UNKNOWN_AMOUNT",
    "chunkings",
    "distributions",
    "farms",
    "fleets",
    "job_parameters",
    "job_structures",
    "job_templates",
    "limit_amount",
    "limits",
    "poll_intervals",
    "queues",
    "runtime_models",
    "scenarios",
    "scheduling_configs",
    "workloads",
]

#: An amount no limit and no fleet provides: a step naming it is NOT_COMPATIBLE (semantics
#: 10.12).
UNKNOWN_AMOUNT = "amount.license.unknown"
#: The scheduling configurations of the API, the default of :func:`scheduling_configs`.
API_POLICIES = ("priorityFifo", "priorityBalanced", "weightedBalanced")


def limit_amount(display_name: str) -> str:
    """The ``amountRequirementName`` the strategies give the limit ``display_name``."""
    return f"amount.license.{display_name}"


# ---------------------------------------------------------------------------------- jobs


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
    parameters: st.SearchStrategy[Mapping[str, Any]] | None = None,
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
    as :func:`farms` with ``capabilities`` gives fleets. With ``parameters`` (a strategy of a
    mapping of job parameter names to values), the job's resolved parameter values
    (``JobStructure.parameters``, which policies read as ``JobState.parameters``) are drawn
    from it; without, it has none.
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
    if parameters is not None:  # (drawn last: without it, the draws are as they always were)
        return JobStructure(name=name, steps=tuple(steps), environments=job_envs,
                            parameters=dict(draw(parameters)))
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


# ---------------------------------------------------------------------------------- the farm


def poll_intervals() -> st.SearchStrategy[float]:
    """``worker_poll_interval`` values: 0 (instant), the default 15 s, or a small float."""
    return st.one_of(st.sampled_from((0.0, 15.0)), st.floats(0.25, 30.0))


# The pieces below are plain functions of ``draw`` (not nested strategies), so that
# :func:`farms` draws exactly what it always drew and the standalone strategies draw the same.


def _draw_limit(draw: st.DrawFn, name: str, max_counts: Sequence[int],
                billing: bool = False) -> LimitConfig:
    limit = LimitConfig(display_name=name, amount_requirement_name=limit_amount(name),
                        max_count=draw(st.sampled_from(tuple(max_counts))))
    if billing:
        limit = dataclasses.replace(
            limit, billing=draw(st.sampled_from(LICENSE_BILLINGS)),
            cost_per_hour=draw(st.one_of(st.just(0.0), st.floats(0.0, 10.0))))
    return limit


def _draw_fleet(draw: st.DrawFn, name: str, *, min_workers: int, max_workers: int,
                scaling: bool) -> FleetConfig:
    if scaling and draw(st.booleans()):
        return draw(_scaling_fleet(name, max_workers))
    n = draw(st.integers(min_workers, max_workers))
    return FleetConfig(display_name=name, worker_count=n, min_worker_count=n,
                       max_worker_count=n)


def _with_hazards(draw: st.DrawFn, fleet: FleetConfig) -> FleetConfig:
    """A service-managed fleet made a spot fleet whose hosts go away; others unchanged."""
    if fleet.kind != "serviceManagedEc2":
        return fleet
    return dataclasses.replace(
        fleet, configuration={**fleet.configuration, "instanceMarketOptions": {"type": "spot"}},
        interruptions_per_hour=draw(st.sampled_from((0.0, 1.0, 3.0))),
        not_responding_per_hour=draw(st.sampled_from((0.0, 0.5, 2.0))),
        not_responding_after=float(draw(st.integers(30, 300))))


def _with_capabilities(draw: st.DrawFn, fleet: FleetConfig) -> FleetConfig:
    """``fleet`` declaring an OS and one GPU or none."""
    return dataclasses.replace(fleet, configuration={**fleet.configuration,
                                                     _CAPABILITIES[fleet.kind]: {
        "osFamily": draw(st.sampled_from(("LINUX", "WINDOWS"))),
        **({"acceleratorCount": {"min": 1, "max": 1}} if draw(st.booleans()) else {}),
    }})


def _draw_queue(draw: st.DrawFn, name: str, *, fleets: tuple[str, ...],
                limit_names: Sequence[str], all_limits: bool, environments: bool,
                scheduling: st.SearchStrategy[SchedulingConfig] | None) -> QueueConfig:
    return QueueConfig(
        display_name=name,
        fleets=fleets,
        limits=(tuple(limit_names) if all_limits
                else tuple(sorted(draw(st.sets(st.sampled_from(limit_names)))))
                if limit_names else ()),
        environments=(tuple(f"qenv{k}" for k in range(draw(st.integers(0, 2))))
                      if environments else ()),
        **({"scheduling": draw(scheduling)} if scheduling is not None else {}),
    )


@st.composite
def fleets(
    draw: st.DrawFn,
    *,
    name: str = "fleet0",
    min_workers: int = 1,
    max_workers: int = 6,
    scaling: bool = False,
    capabilities: bool = False,
    hazards: bool = False,
) -> FleetConfig:
    """A fleet named ``name``: a fixed customer-managed fleet of ``min_workers``..
    ``max_workers`` workers; with ``scaling``, half the time instead a service-managed one
    that scales between 0..2 and up to ``max_workers`` (at least one more than its minimum)
    workers (standby 0..2, idle duration 0..120 s, 1..5 workers started a minute). With
    ``hazards``, a service-managed fleet is a spot fleet whose hosts are interrupted (0, 1 or
    3 an hour) and lost without notice (0, 0.5 or 2 an hour, found after 30..300 s). With
    ``capabilities``, it declares an OS (``LINUX`` or ``WINDOWS``) and one GPU or none
    (matched by :func:`job_structures` and :func:`job_templates` host requirements). Each
    fleet of :func:`farms` is drawn so."""
    fleet = _draw_fleet(draw, name, min_workers=min_workers, max_workers=max_workers,
                        scaling=scaling)
    if hazards:
        fleet = _with_hazards(draw, fleet)
    if capabilities:
        fleet = _with_capabilities(draw, fleet)
    return fleet


@st.composite
def limits(
    draw: st.DrawFn,
    *,
    name: str = "lic0",
    max_counts: Sequence[int] = (-1, 1, 2, 3, 4),
    billing: bool = False,
) -> LimitConfig:
    """A limit named ``name`` whose ``amountRequirementName`` is ``limit_amount(name)``
    (``amount.license.<name>``) and whose ``maxCount`` is one of ``max_counts`` (-1: no
    maximum; shrinks toward the first). With ``billing``, it also has a ``billing`` (owned or
    usage) and a ``cost_per_hour`` of 0..10. Each limit of :func:`farms` is drawn so."""
    return _draw_limit(draw, name, max_counts, billing)


@st.composite
def scheduling_configs(
    draw: st.DrawFn,
    *,
    policies: Sequence[str] | Mapping[str, st.SearchStrategy[Mapping[str, Any]] | None]
    = API_POLICIES,
    max_buffer: int = 1000,
    max_weight: float = 10000.0,
    settings: bool = True,
) -> SchedulingConfig:
    """A queue's scheduling configuration: one of ``policies`` (shrinks toward the first),
    each of its API parameters left to the API's default or drawn within the API's range
    (``renderingTaskBuffer`` 0..``max_buffer``; weights within +-``max_weight``, often a
    bound, the default or 0), weightedBalanced's ``maxPriorityOverride`` and
    ``minPriorityOverride`` set or not, and with ``settings`` farmsim's own settings of
    weightedBalanced (``submission_time_unit``, ``error_count``) set or not.

    A name that is not one of the API's is a policy of your own (registered with
    ``farmsim.scheduling.register_policy``): it gets no parameters, unless ``policies`` is a
    mapping from names to a strategy of its parameters (None: none)."""
    name = draw(st.sampled_from(tuple(policies)))
    own = policies.get(name) if isinstance(policies, Mapping) else None
    if own is not None:
        return SchedulingConfig(policy=name, parameters=dict(draw(own)))
    ranges = SCHEDULING_PARAMETERS.get(name)
    if ranges is None:
        return SchedulingConfig(policy=name)
    parameters: dict[str, Any] = {}
    for key, (default, low, high) in ranges.items():
        if not draw(st.booleans()):
            continue  # the API's default
        if key == "renderingTaskBuffer":
            parameters[key] = draw(st.integers(int(low), max(int(low), min(int(high),
                                                                           max_buffer))))
            continue
        lo, hi = max(float(low), -max_weight), min(float(high), max_weight)
        notable = sorted({v for v in (lo, hi, float(default), 0.0) if lo <= v <= hi})
        parameters[key] = draw(st.one_of(st.sampled_from(notable), st.floats(
            lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)))
    if name == "weightedBalanced":
        for key, member in SCHEDULING_OVERRIDES.items():
            if draw(st.booleans()):
                parameters[key] = {member: {}}
    chosen: dict[str, str] = {}
    if settings and name == "weightedBalanced":
        if draw(st.booleans()):
            chosen["submission_time_unit"] = draw(st.sampled_from(tuple(SUBMISSION_TIME_UNITS)))
        if draw(st.booleans()):
            chosen["error_count"] = draw(st.sampled_from(ERROR_COUNTS))
    return SchedulingConfig(policy=name, parameters=parameters, settings=chosen)


@st.composite
def queues(
    draw: st.DrawFn,
    *,
    name: str = "queue0",
    fleet_names: Sequence[str] = ("fleet0",),
    limit_names: Sequence[str] = (),
    all_limits: bool = False,
    environments: bool = False,
    scheduling: st.SearchStrategy[SchedulingConfig] | None = None,
) -> QueueConfig:
    """A queue named ``name`` served by a non-empty subset of ``fleet_names`` (in their
    order), associated with a subset of ``limit_names`` (all of them with ``all_limits``),
    with 0..2 queue environments ``qenv0..`` if ``environments``, and its
    ``schedulingConfiguration`` drawn from ``scheduling`` (e.g. :func:`scheduling_configs`;
    default priorityFifo). Each queue of :func:`farms` is drawn so (its fleets chosen so that
    every fleet serves a queue)."""
    chosen = draw(st.sets(st.sampled_from(tuple(fleet_names)), min_size=1))
    return _draw_queue(draw, name, fleets=tuple(f for f in fleet_names if f in chosen),
                       limit_names=list(limit_names), all_limits=all_limits,
                       environments=environments, scheduling=scheduling)


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
    ``schedulingConfiguration`` is drawn from it (default: priorityFifo). The fleets, limits
    and queues are those of :func:`fleets`, :func:`limits` and :func:`queues`;
    ``worker_poll_interval`` defaults to :func:`poll_intervals`."""
    n_queues = draw(st.integers(1, max_queues))
    n_fleets = draw(st.integers(1, max_fleets))
    farm_limits = tuple(_draw_limit(draw, f"lic{i}", limit_max_counts)
                        for i in range(draw(st.integers(min_limits, max_limits))))
    served = [draw(st.sets(st.integers(0, n_queues - 1), min_size=1)) for _ in range(n_fleets)]
    for q in range(n_queues):
        if not any(q in s for s in served):
            served[q % n_fleets].add(q)
    farm_fleets = tuple(_draw_fleet(draw, f"fleet{i}", min_workers=min_workers,
                                    max_workers=max_workers, scaling=scaling)
                        for i in range(n_fleets))
    if hazards:
        farm_fleets = tuple(_with_hazards(draw, fleet) for fleet in farm_fleets)
    if capabilities:
        farm_fleets = tuple(_with_capabilities(draw, fleet) for fleet in farm_fleets)
    limit_names = [lim.display_name for lim in farm_limits]
    farm_queues = tuple(
        _draw_queue(draw, f"queue{q}",
                    fleets=tuple(f"fleet{i}" for i in range(n_fleets) if q in served[i]),
                    limit_names=limit_names, all_limits=all_limits_associated,
                    environments=queue_environments, scheduling=scheduling)
        for q in range(n_queues)
    )
    poll = draw(worker_poll_interval if worker_poll_interval is not None else poll_intervals())
    return FarmConfig(display_name="farm", queues=farm_queues, fleets=farm_fleets,
                      limits=farm_limits, worker_poll_interval=poll)


#: Where a fleet's configuration declares capabilities, by kind.
_CAPABILITIES = {"customerManaged": "workerCapabilities",
                 "serviceManagedEc2": "instanceCapabilities"}


@st.composite
def _scaling_fleet(draw: st.DrawFn, name: str, max_workers: int) -> FleetConfig:
    """A service-managed fleet ``name`` that scales (see :func:`farms`)."""
    low = draw(st.integers(0, max(0, min(2, max_workers - 1))))
    high = draw(st.integers(low + 1, max(low + 1, max_workers)))
    return FleetConfig(
        display_name=name, kind="serviceManagedEc2", min_worker_count=low,
        max_worker_count=high, worker_count=low,
        autoscaling=AutoScaling(standby_worker_count=draw(st.integers(0, 2)),
                                worker_idle_duration=float(draw(st.integers(0, 120))),
                                scale_out_workers_per_minute=draw(st.integers(1, 5))))


# ---------------------------------------------------------------------------------- templates

#: Task parameter names of :func:`job_templates`' steps, in order (then ``Axis<n>``).
_TASK_PARAMETERS = ("Frame", "Layer", "Pass", "Tile", "Camera", "Shot")
#: Values of an ``attr.worker.os.family`` requirement (:func:`fleets` ``capabilities`` declare
#: LINUX or WINDOWS).
_OS_FAMILIES = (("linux",), ("windows",), ("linux", "windows"))


def _task_parameter_name(i: int) -> str:
    return _TASK_PARAMETERS[i] if i < len(_TASK_PARAMETERS) else f"Axis{i}"


def _range_expression(draw: st.DrawFn, count: int) -> str:
    """An OpenJD INT range expression of exactly ``count`` values: ascending, non-overlapping
    pieces ``a``, ``a-b`` or ``a-b:step``, joined by commas."""
    pieces = []
    value = draw(st.integers(0, 20))
    left = count
    while left:
        n = draw(st.integers(1, left))
        if n == 1:
            pieces.append(str(value))
            last = value
        else:
            step = draw(st.integers(1, 3))
            last = value + (n - 1) * step
            pieces.append(f"{value}-{last}" + (f":{step}" if step > 1 else ""))
        left -= n
        value = last + draw(st.integers(1, 5))
    return ",".join(pieces)


def _fixed_range(draw: st.DrawFn, kind: str, count: int) -> list[Any] | str:
    """A task parameter's ``range`` of exactly ``count`` distinct values of type ``kind``."""
    if kind == "STRING":
        return draw(st.lists(st.text("abcxyz", min_size=1, max_size=4), unique=True,
                             min_size=count, max_size=count))
    if kind == "FLOAT":
        quarters = draw(st.lists(st.integers(0, 400), unique=True, min_size=count,
                                 max_size=count))
        return [q / 4 for q in quarters]
    if draw(st.booleans()):
        return draw(st.lists(st.integers(0, 1000), unique=True, min_size=count,
                             max_size=count))
    return _range_expression(draw, count)


def _draw_job_parameter(draw: st.DrawFn, i: int, max_values: int) -> dict[str, Any]:
    """A job parameter definition: an INT count (1..``max_values``; a step may range over
    ``1-{{Param.Count<i>}}``), a FLOAT, a STRING, or a STRING whose allowed values are INT
    range expressions (a step may range over ``{{Param.Frames<i>}}``)."""
    kind = draw(st.sampled_from(("INT", "FLOAT", "STRING", "RANGE")))
    if kind == "INT":
        return {"name": f"Count{i}", "type": "INT", "default": draw(st.integers(1, max_values)),
                "minValue": 1, "maxValue": max_values}
    if kind == "FLOAT":
        return {"name": f"Scale{i}", "type": "FLOAT",
                "default": draw(st.integers(1, 16)) / 4, "minValue": 0.25, "maxValue": 8.0}
    if kind == "STRING":
        return {"name": f"Label{i}", "type": "STRING",
                "default": draw(st.text("abcdefxyz", min_size=1, max_size=8)),
                "minLength": 1, "maxLength": 16}
    counts = draw(st.lists(st.integers(1, max_values), min_size=1, max_size=3))
    expressions = list(dict.fromkeys(_range_expression(draw, n) for n in counts))
    return {"name": f"Frames{i}", "type": "STRING", "default": expressions[0],
            "allowedValues": expressions}


@st.composite
def job_templates(
    draw: st.DrawFn,
    *,
    name: str = "job",
    max_steps: int = 3,
    max_task_parameters: int = 2,
    max_values: int = 4,
    max_job_parameters: int = 3,
    dependencies: bool = True,
    host_requirements: bool = True,
    limit_names: Sequence[str] | Mapping[str, int] = (),
    environments: bool = False,
) -> dict[str, Any]:
    """An OpenJD job template (``specificationVersion: jobtemplate-2023-09``) as a mapping,
    named ``name``, that :func:`farmsim.templates.load_template` and
    :func:`~farmsim.templates.expand_job` accept (with :func:`job_parameters` values or the
    defaults).

    * 0..``max_job_parameters`` job parameters (``parameterDefinitions``), each with a
      default: INT ``Count<i>`` (1..``max_values``), FLOAT ``Scale<i>``, STRING ``Label<i>``,
      or STRING ``Frames<i>`` whose ``allowedValues`` are INT range expressions;
    * 1..``max_steps`` steps ``step0..``, each with 0..``max_task_parameters`` task
      parameters (``Frame``, ``Layer``, ``Pass``, ...; no parameter space: one task) of type
      INT (a list, or a range expression such as ``"3-9:3,12"``), FLOAT or STRING (lists),
      each of 1..``max_values`` values, or an INT range set by a job parameter
      (``"1-{{Param.Count0}}"``, ``"{{Param.Frames2}}"``). With two or more, the step may
      have a ``combination`` expression: a product of factors, some associative groups of
      parameters with equally many values (``"(Frame, Pass) * Layer"``). A step's task count
      is the product of its factors' lengths (a group counts once), the job's the sum over
      its steps;
    * with ``dependencies``, step ``i`` may depend on steps before it (a DAG, in template
      order);
    * with ``host_requirements``, a step may need vCPUs (``amount.worker.vcpu``), a GPU
      (``amount.worker.gpu`` min 1), an OS (``attr.worker.os.family`` anyOf linux and/or
      windows), an x86_64 CPU (``attr.worker.cpu.arch``), and some of ``limit_names``
      (amount requirement names; as a mapping, the most units a run may ask for, else 1);
    * with ``environments``, 0..2 job environments ``jenv0..`` and 0..2 step environments
      ``senv0..`` per step.
    """
    units = dict(limit_names) if isinstance(limit_names, Mapping) else dict.fromkeys(
        limit_names, 1)
    definitions = [_draw_job_parameter(draw, i, max_values)
                   for i in range(draw(st.integers(0, max_job_parameters)))]
    variable = [f"1-{{{{Param.{d['name']}}}}}" if d["type"] == "INT"
                else f"{{{{Param.{d['name']}}}}}"
                for d in definitions if d["type"] == "INT" or "allowedValues" in d]
    steps = []
    for i in range(draw(st.integers(1, max_steps))):
        step: dict[str, Any] = {"name": f"step{i}"}
        space = _draw_parameter_space(draw, max_task_parameters, max_values, variable)
        if space is not None:
            step["parameterSpace"] = space
        if dependencies and i:
            deps = sorted(draw(st.sets(st.integers(0, i - 1), max_size=i)))
            if deps:
                step["dependencies"] = [{"dependsOn": f"step{d}"} for d in deps]
        if host_requirements or units:
            requirements = _draw_host_requirements(draw, host_requirements, units)
            if requirements:
                step["hostRequirements"] = requirements
        if environments:
            step_envs = draw(st.integers(0, 2))
            if step_envs:
                step["stepEnvironments"] = [_environment(f"senv{k}") for k in range(step_envs)]
        names = [p["name"] for p in (space or {}).get("taskParameterDefinitions", ())]
        args = ([f"{{{{Task.Param.{n}}}}}" for n in names]
                + [f"{{{{Param.{d['name']}}}}}" for d in definitions])
        step["script"] = {"actions": {"onRun": {"command": "render",
                                                **({"args": args} if args else {})}}}
        steps.append(step)
    template: dict[str, Any] = {"specificationVersion": "jobtemplate-2023-09", "name": name}
    if definitions:
        template["parameterDefinitions"] = definitions
    if environments:
        job_envs = draw(st.integers(0, 2))
        if job_envs:
            template["jobEnvironments"] = [_environment(f"jenv{k}") for k in range(job_envs)]
    template["steps"] = steps
    return template


def _environment(name: str) -> dict[str, Any]:
    return {"name": name, "script": {"actions": {"onEnter": {"command": "enter"},
                                                 "onExit": {"command": "exit"}}}}


def _draw_parameter_space(draw: st.DrawFn, most: int, max_values: int,
                          variable: list[str]) -> dict[str, Any] | None:
    """A step's ``parameterSpace`` (None: no task parameters); see :func:`job_templates`."""
    n = draw(st.integers(0, most))
    if not n:
        return None
    combine = n > 1 and draw(st.booleans())
    factors: list[list[str]] = []
    lengths: list[int | None] = []  # per factor: its values (None: set by a job parameter)
    definitions: list[dict[str, Any]] = []
    for i in range(n):
        name = _task_parameter_name(i)
        if variable and draw(st.integers(0, 3)) == 3:  # a range a job parameter sets
            definitions.append({"name": name, "type": "INT",
                                "range": draw(st.sampled_from(variable))})
            factors.append([name])
            lengths.append(None)
            continue
        kind = draw(st.sampled_from(("INT", "INT", "STRING", "FLOAT")))
        joins = combine and factors and lengths[-1] is not None and draw(st.booleans())
        count = lengths[-1] if joins else draw(st.integers(1, max_values))
        assert count is not None
        definitions.append({"name": name, "type": kind,
                            "range": _fixed_range(draw, kind, count)})
        if joins:
            factors[-1].append(name)
        else:
            factors.append([name])
            lengths.append(count)
    space: dict[str, Any] = {"taskParameterDefinitions": definitions}
    if combine:
        order = draw(st.permutations(factors))
        space["combination"] = " * ".join(
            f"({', '.join(f)})" if len(f) > 1 else f[0] for f in order)
    return space


def _draw_host_requirements(draw: st.DrawFn, worker: bool,
                            units: Mapping[str, int]) -> dict[str, Any]:
    amounts: list[dict[str, Any]] = []
    attributes: list[dict[str, Any]] = []
    if worker:
        if draw(st.booleans()):
            low = draw(st.integers(1, 8))
            amounts.append({"name": "amount.worker.vcpu", "min": low,
                            **({"max": low * 4} if draw(st.booleans()) else {})})
        if draw(st.integers(0, 3)) == 3:
            amounts.append({"name": "amount.worker.gpu", "min": 1})
        os_family = draw(st.sampled_from((None, *_OS_FAMILIES)))
        if os_family is not None:
            attributes.append({"name": "attr.worker.os.family", "anyOf": list(os_family)})
        if draw(st.integers(0, 3)) == 3:
            attributes.append({"name": "attr.worker.cpu.arch", "anyOf": ["x86_64"]})
    names = sorted(units)
    amounts.extend({"name": amount, "min": draw(st.integers(1, units[amount]))}
                   for amount in (draw(st.lists(st.sampled_from(names), unique=True))
                                  if names else ()))
    out: dict[str, Any] = {}
    if amounts:
        out["amounts"] = amounts
    if attributes:
        out["attributes"] = attributes
    return out


@st.composite
def job_parameters(
    draw: st.DrawFn,
    template: Mapping[str, Any],
    *,
    defaults: bool = True,
    max_text: int = 16,
) -> dict[str, Any]:
    """Values for the job parameters of ``template`` (a job template mapping, such as
    :func:`job_templates` draws), by name, as ``expand_job`` takes them: one of its
    ``allowedValues``, else within its ``minValue``..``maxValue`` (INT as int, FLOAT as
    float; 0..100 past a missing bound) or its ``minLength``..``maxLength`` (STRING, letters
    and digits, at most ``max_text`` characters). With ``defaults``, a parameter that has a
    default may be left out (shrinks toward leaving them all out); PATH and other types are
    always left to their defaults."""
    values: dict[str, Any] = {}
    for definition in template.get("parameterDefinitions") or ():
        if defaults and "default" in definition and not draw(st.booleans()):
            continue
        value = _parameter_value(draw, definition, max_text)
        if value is not None:
            values[str(definition["name"])] = value
    return values


def _parameter_value(draw: st.DrawFn, definition: Mapping[str, Any], max_text: int) -> Any:
    kind = str(definition.get("type", "")).upper()
    cast: Callable[[Any], Any] = {"INT": int, "FLOAT": float, "STRING": str}.get(kind, str)
    if kind not in ("INT", "FLOAT", "STRING"):
        return None
    allowed = definition.get("allowedValues")
    if allowed:
        return cast(draw(st.sampled_from(list(allowed))))
    if kind == "STRING":
        low = max(1, int(definition.get("minLength", 1)))
        high = max(low, min(int(definition.get("maxLength", max_text)), max_text))
        return draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=low,
                            max_size=high))
    low_given, high_given = definition.get("minValue"), definition.get("maxValue")
    low = cast(low_given) if low_given is not None else (
        cast(high_given) - 100 if high_given is not None else cast(0))
    high = cast(high_given) if high_given is not None else low + 100
    if kind == "INT":
        return draw(st.integers(low, high))
    return draw(st.floats(low, high, allow_nan=False, allow_infinity=False,
                          allow_subnormal=False))


# ---------------------------------------------------------------------------------- workloads


def _submission(draw: st.DrawFn, queue: str, structure: JobStructure, suspend: bool,
                max_submit_s: float, priorities: st.SearchStrategy[int] | None,
                max_worker_counts: st.SearchStrategy[int] | None,
                parameters: dict[str, Any] | None = None) -> JobSubmission:
    """A JobSubmission of ``structure`` to ``queue``; its time and settings drawn in the order
    :func:`scenarios` always drew them."""
    return JobSubmission(
        at=draw(st.floats(0.0, max_submit_s)),
        queue=queue,
        structure=structure,
        priority=draw(priorities if priorities is not None else st.one_of(
            st.sampled_from((0, 50, 100)), st.integers(0, 100))),
        max_worker_count=draw(max_worker_counts if max_worker_counts is not None
                              else st.one_of(st.just(-1), st.integers(1, 4))),
        max_retries_per_task=draw(st.integers(0, 3)),
        max_failed_tasks_count=draw(st.integers(0, 5)),
        target_task_run_status=(CreateJobTargetTaskRunStatus.SUSPENDED if suspend
                                else CreateJobTargetTaskRunStatus.READY),
        parameters={} if parameters is None else parameters,
    )


_Per = Callable[[str, int], st.SearchStrategy[Any]]


@st.composite
def workloads(
    draw: st.DrawFn,
    *,
    queues: Sequence[str] = ("queue0",),
    min_jobs: int = 1,
    max_jobs: int = 12,
    max_submit_s: float = 300.0,
    structures: st.SearchStrategy[JobStructure] | _Per | None = None,
    templates: st.SearchStrategy[Mapping[str, Any]] | _Per | None = None,
    priorities: st.SearchStrategy[int] | None = None,
    max_worker_counts: st.SearchStrategy[int] | None = None,
    suspended: bool = False,
) -> list[JobSubmission]:
    """``min_jobs``..``max_jobs`` job submissions, in submission order, each to one of
    ``queues`` (queue display names) at a continuous random time in [0, ``max_submit_s``].

    A job's structure is drawn from ``structures`` (default :func:`job_structures` named
    ``job<k>``), or with ``templates`` a template is drawn from it, values for its parameters
    from :func:`job_parameters`, and the job is the template expanded with them
    (``expand_job``): its ``JobSubmission.parameters`` are the values given, its
    ``structure.parameters`` (``JobState.parameters`` in a run) every parameter's resolved
    value. Either may also be a function ``(queue name, job number) -> strategy``, to fit
    each queue's limits.

    Priorities come from ``priorities`` (default 0, 50 or 100, or 0..100: ties are
    frequent), ``maxWorkerCount`` from ``max_worker_counts`` (default -1 or 1..4);
    ``maxRetriesPerTask`` is 0..3 and ``maxFailedTasksCount`` 0..5. With ``suspended``,
    about one job in ten is created SUSPENDED."""
    if structures is not None and templates is not None:
        raise ValueError("workloads: give structures or templates, not both")
    names = tuple(queues)
    jobs = []
    for k in range(draw(st.integers(min_jobs, max_jobs))):
        queue = draw(st.sampled_from(names))
        values: dict[str, Any] | None = None
        if templates is not None:
            template = draw(templates(queue, k) if callable(templates) else templates)
            values = draw(job_parameters(template))
            structure = expand_job(template, values)
        elif structures is not None:
            structure = draw(structures(queue, k) if callable(structures) else structures)
        else:
            structure = draw(job_structures(name=f"job{k}"))
        suspend = suspended and draw(st.integers(0, 9)) == 0
        jobs.append(_submission(draw, queue, structure, suspend, max_submit_s, priorities,
                                max_worker_counts, values))
    jobs.sort(key=lambda j: j.at)  # submission order
    return jobs


# ---------------------------------------------------------------------------------- runtimes


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


# ---------------------------------------------------------------------------------- scenarios


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
    workload: Callable[[FarmConfig], st.SearchStrategy[Sequence[JobSubmission]]] | None = None,
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

    With ``workload``, a function from the drawn farm to a strategy of its jobs (e.g.
    ``lambda farm: workloads(queues=[q.display_name for q in farm.queues],
    templates=job_templates())``), the jobs are drawn from it instead (the job keywords above
    then do not apply).
    """
    farm_config = draw(farm if farm is not None else farms(max_limits=2,
                                                           queue_environments=sessions))
    limit_by_name = {lim.display_name: lim for lim in farm_config.limits}

    def most_units(name: str) -> int:
        cap = limit_by_name[name].max_count
        return max_units if cap < 0 else min(max_units, cap)

    jobs = []
    if workload is not None:
        jobs = list(draw(workload(farm_config)))
    for k in range(draw(st.integers(min_jobs, max_jobs)) if workload is None else 0):
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
        jobs.append(_submission(draw, queue.display_name, structure, suspend, max_submit_s,
                                None, None))
    jobs.sort(key=lambda j: j.at)  # submission order
    model = draw(runtimes if runtimes is not None else runtime_models(max_steps=max_steps,
                                                                      actions=sessions))
    if chunked:  # task runs timed per frame: a chunk's frames decide its time
        model = RuntimeModel(rules=tuple(
            RuntimeRule(match=r.match, duration=r.duration, per_frame=r.match.action is None,
                        failure_probability=r.failure_probability) for r in model.rules))
    return Scenario(name="hypothesis", seed=draw(st.integers(0, 2**32 - 1)), farm=farm_config,
                    jobs=tuple(jobs), runtimes=model, horizon=horizon)
