"""The farm and workload strategies of farmsim.testing.strategies: every example keeps its
keyword bounds, shrinks toward small, is something farmsim accepts, and the strategies reach
the cases they promise."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from farmsim.engine.simulation import Simulation
from farmsim.model.config import (
    ERROR_COUNTS,
    LICENSE_BILLINGS,
    SCHEDULING_OVERRIDES,
    SCHEDULING_PARAMETERS,
    SUBMISSION_TIME_UNITS,
    FarmConfig,
    FleetConfig,
    QueueConfig,
)
from farmsim.model.enums import CreateJobTargetTaskRunStatus
from farmsim.scenario.config import Scenario
from farmsim.scheduling import make_policy
from farmsim.testing import check_all, check_jobs_finished
from farmsim.testing.strategies import (
    API_POLICIES,
    fleets,
    job_structures,
    job_templates,
    limit_amount,
    limits,
    queues,
    scheduling_configs,
    workloads,
)

# No shrinking when a case is only to be found; shrinking on when the smallest example is
# the point.
_FIND = settings(database=None, max_examples=400, derandomize=True, phases=(Phase.generate,),
                 suppress_health_check=list(HealthCheck))
_SHRINK = settings(database=None, max_examples=50, derandomize=True,
                   phases=(Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck))


# ---------------------------------------------------------------------------------- fleets


@settings(max_examples=40)
@given(fleets(name="render", min_workers=2, max_workers=5, scaling=True, capabilities=True,
              hazards=True))
def test_fleets_keep_their_bounds(fleet: FleetConfig) -> None:
    # GIVEN / WHEN a drawn fleet  THEN a fixed one has 2..5 workers, a scaling one scales
    # within 0..2 and 5 (more than its minimum), only a service-managed one has hazards, and
    # it declares an OS and at most one GPU where its kind declares capabilities
    assert fleet.display_name == "render"
    if fleet.autoscaling is None:
        assert fleet.kind == "customerManaged"
        assert 2 <= fleet.worker_count == fleet.min_worker_count == fleet.max_worker_count <= 5
        assert fleet.interruptions_per_hour == fleet.not_responding_per_hour == 0.0
    else:
        assert fleet.kind == "serviceManagedEc2" and fleet.market == "spot"
        assert 0 <= fleet.min_worker_count <= 2
        assert fleet.min_worker_count < fleet.max_worker_count <= 5
        assert fleet.worker_count == fleet.min_worker_count
        assert 0 <= fleet.autoscaling.standby_worker_count <= 2
        assert 1 <= fleet.autoscaling.scale_out_workers_per_minute <= 5
        assert fleet.interruptions_per_hour in (0.0, 1.0, 3.0)
        assert 30.0 <= fleet.not_responding_after <= 300.0
    key = "workerCapabilities" if fleet.kind == "customerManaged" else "instanceCapabilities"
    caps = fleet.configuration[key]
    assert caps["osFamily"] in ("LINUX", "WINDOWS")
    assert caps.get("acceleratorCount", {"min": 1, "max": 1}) == {"min": 1, "max": 1}


def test_fleets_shrink_to_a_fixed_fleet_of_the_fewest_workers_and_reach_scaling_ones() -> None:
    # GIVEN fleets that may scale  WHEN shrinking any example  THEN a fixed fleet of the fewest
    # workers; and a search finds a scaling fleet
    smallest = find(fleets(min_workers=3, max_workers=8, scaling=True), lambda f: True,
                    settings=_SHRINK)
    assert (smallest.kind, smallest.worker_count, smallest.autoscaling) == (
        "customerManaged", 3, None)
    find(fleets(scaling=True), lambda f: f.autoscaling is not None, settings=_FIND)
    # AND a scaling fleet of a small maximum still keeps it
    tight = find(fleets(max_workers=1, scaling=True), lambda f: f.autoscaling is not None,
                 settings=_FIND)
    assert (tight.min_worker_count, tight.max_worker_count) == (0, 1)


@settings(max_examples=30)
@given(limits(name="nuke", max_counts=(0, 3, 7), billing=True))
def test_limits_keep_their_bounds(limit: Any) -> None:
    assert limit.display_name == "nuke"
    assert limit.amount_requirement_name == limit_amount("nuke") == "amount.license.nuke"
    assert limit.max_count in (0, 3, 7)
    assert limit.billing in LICENSE_BILLINGS and 0.0 <= limit.cost_per_hour <= 10.0


def test_limits_shrink_to_the_first_max_count_and_no_cost() -> None:
    smallest = find(limits(max_counts=(2, 5), billing=True), lambda lim: True, settings=_SHRINK)
    assert (smallest.max_count, smallest.billing, smallest.cost_per_hour) == (2, "owned", 0.0)


# ---------------------------------------------------------------------------------- scheduling


@settings(max_examples=150)
@given(scheduling_configs(max_buffer=7, max_weight=500.0))
def test_scheduling_configs_are_the_apis_within_its_ranges(config: Any) -> None:
    # GIVEN / WHEN a drawn configuration  THEN it is one of the API's three, each parameter is
    # the API's and within both the API's range and the bounds asked for, and the policy is
    # made from it (its parameters and settings checked by farmsim)
    assert config.policy in API_POLICIES
    ranges = SCHEDULING_PARAMETERS[config.policy]
    for key, value in config.parameters.items():
        if key in SCHEDULING_OVERRIDES:
            assert config.policy == "weightedBalanced"
            assert value == {SCHEDULING_OVERRIDES[key]: {}}
            continue
        _, low, high = ranges[key]
        assert low <= value <= high and math.isfinite(value)
        if key == "renderingTaskBuffer":
            assert isinstance(value, int) and value <= 7
        else:
            assert isinstance(value, float) and -500.0 <= value <= 500.0
    assert set(config.settings) <= {"submission_time_unit", "error_count"}
    assert config.settings.get("submission_time_unit", "seconds") in SUBMISSION_TIME_UNITS
    assert config.settings.get("error_count", "failed_attempts") in ERROR_COUNTS
    policy = make_policy(config.policy, config.parameters, config.settings)
    assert policy.name == config.policy


def test_scheduling_configs_shrink_to_priority_fifo_and_reach_every_parameter() -> None:
    assert find(scheduling_configs(), lambda c: True, settings=_SHRINK).policy == "priorityFifo"
    bare = find(scheduling_configs(), lambda c: c.policy == "weightedBalanced",
                settings=_SHRINK)
    assert (bare.parameters, bare.settings) == ({}, {})  # the API's defaults
    find(scheduling_configs(), lambda c: {*SCHEDULING_PARAMETERS["weightedBalanced"],
                                          *SCHEDULING_OVERRIDES} <= set(c.parameters)
         and len(c.settings) == 2, settings=_FIND)
    find(scheduling_configs(), lambda c: c.parameters.get("errorWeight") == -10000.0,
         settings=_FIND)


@given(scheduling_configs(policies={"oldestFirst": None, "fairShare": st.fixed_dictionaries(
    {"share": st.integers(1, 3)})}))
def test_scheduling_configs_take_policies_of_ones_own(config: Any) -> None:
    # GIVEN names of one's own policies, one with a strategy of its parameters
    # WHEN / THEN only those are drawn, with their parameters or none
    assert config.policy in ("oldestFirst", "fairShare")
    if config.policy == "oldestFirst":
        assert config.parameters == {} and config.settings == {}
    else:
        assert set(config.parameters) == {"share"} and 1 <= config.parameters["share"] <= 3


# ---------------------------------------------------------------------------------- queues


@settings(max_examples=40)
@given(queues(name="comp", fleet_names=("a", "b", "c"), limit_names=("x", "y"),
              environments=True, scheduling=scheduling_configs()))
def test_queues_keep_their_bounds(queue: QueueConfig) -> None:
    assert queue.display_name == "comp"
    assert queue.fleets and list(queue.fleets) == [f for f in ("a", "b", "c") if f in
                                                   queue.fleets]
    assert set(queue.limits) <= {"x", "y"}
    assert len(queue.environments) <= 2
    assert all(e == f"qenv{k}" for k, e in enumerate(queue.environments))
    assert queue.scheduling.policy in API_POLICIES


def test_queues_shrink_to_one_fleet_no_limit_and_may_take_every_limit() -> None:
    smallest = find(queues(fleet_names=("a", "b"), limit_names=("x",)), lambda q: True,
                    settings=_SHRINK)
    assert (smallest.fleets, smallest.limits, smallest.environments) == (("a",), (), ())
    every = find(queues(limit_names=("x", "y"), all_limits=True), lambda q: True,
                 settings=_SHRINK)
    assert every.limits == ("x", "y")


# ---------------------------------------------------------------------------------- jobs


@given(job_structures(parameters=st.fixed_dictionaries({"Frames": st.just("1-5"),
                                                        "Scale": st.floats(0.5, 2.0)})))
def test_job_structures_carry_the_parameters_drawn(structure: Any) -> None:
    assert set(structure.parameters) == {"Frames", "Scale"}
    assert structure.parameters["Frames"] == "1-5"
    assert 0.5 <= structure.parameters["Scale"] <= 2.0


def test_job_structures_have_no_parameters_by_default() -> None:
    assert find(job_structures(), lambda s: True, settings=_SHRINK).parameters == {}


# ---------------------------------------------------------------------------------- workloads


@settings(max_examples=60)
@given(workloads(queues=("a", "b"), min_jobs=2, max_jobs=5, max_submit_s=50.0,
                 suspended=True))
def test_workloads_keep_their_bounds(jobs: list[Any]) -> None:
    # GIVEN / WHEN a drawn workload  THEN 2..5 jobs in submission order, each to a given
    # queue, within [0, 50] s, with the default settings' ranges
    assert 2 <= len(jobs) <= 5
    assert [j.at for j in jobs] == sorted(j.at for j in jobs)
    for job in jobs:
        assert job.queue in ("a", "b")
        assert 0.0 <= job.at <= 50.0
        assert 0 <= job.priority <= 100
        assert job.max_worker_count == -1 or 1 <= job.max_worker_count <= 4
        assert 0 <= job.max_retries_per_task <= 3 and 0 <= job.max_failed_tasks_count <= 5
        assert job.structure.name.startswith("job")


def test_workloads_take_structures_per_queue_and_their_own_settings() -> None:
    # GIVEN a structure strategy per (queue, job number) and fixed settings
    seen: list[tuple[str, int]] = []

    def per_queue(queue: str, k: int) -> Any:
        seen.append((queue, k))
        return job_structures(name=f"{queue}-{k}", max_steps=1,
                              limit_names=[limit_amount(queue)])

    jobs = find(workloads(queues=("x", "y"), min_jobs=3, max_jobs=3, structures=per_queue,
                          priorities=st.just(7), max_worker_counts=st.just(2)),
                lambda js: len({j.queue for j in js}) == 2, settings=_FIND)
    # WHEN / THEN each job's structure came from its queue's strategy, with the settings given
    assert seen
    for job in jobs:
        assert job.structure.name.startswith(f"{job.queue}-")
        assert {a.name for s in job.structure.steps for a in s.amounts} <= {
            limit_amount(job.queue)}
        assert (job.priority, job.max_worker_count) == (7, 2)
        assert job.target_task_run_status == CreateJobTargetTaskRunStatus.READY
    with pytest.raises(ValueError, match="structures or templates, not both"):
        find(workloads(structures=job_structures(), templates=job_templates()), lambda js: True,
             settings=_FIND)


def test_workloads_reach_suspended_jobs_and_shrink_to_one_job() -> None:
    find(workloads(suspended=True), lambda js: any(
        j.target_task_run_status == CreateJobTargetTaskRunStatus.SUSPENDED for j in js),
        settings=_FIND)
    smallest = find(workloads(), lambda js: True, settings=_SHRINK)
    assert len(smallest) == 1 and smallest[0].at == 0.0 and smallest[0].queue == "queue0"


@settings(max_examples=15)
@given(workloads(queues=("q",), max_jobs=4, templates=job_templates(max_steps=2)))
def test_workloads_from_templates_run_with_their_parameters(jobs: list[Any]) -> None:
    # GIVEN jobs expanded from drawn templates with drawn parameter values
    farm = FarmConfig(queues=(QueueConfig(display_name="q", fleets=("f",)),),
                      fleets=(FleetConfig(display_name="f", worker_count=2, min_worker_count=2,
                                          max_worker_count=2),),
                      worker_poll_interval=0.0)
    sim = Simulation(Scenario(seed=1, farm=farm, jobs=tuple(jobs)))
    # WHEN they run
    sim.run()
    # THEN each job's state knows its resolved parameters: the values given, over the
    # template's defaults (INT as int, FLOAT as float), and the run keeps every invariant
    for job, state in zip(jobs, sim.control.jobs, strict=True):
        assert state.parameters == job.structure.parameters
        for name, value in job.parameters.items():
            assert state.parameters[name] == value
            assert type(state.parameters[name]) is type(value)
    result = sim.result()
    check_all(result)
    check_jobs_finished(result)
