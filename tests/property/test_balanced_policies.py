"""Property tests of the priorityBalanced and weightedBalanced configurations (semantics D8,
D9): on random farms whose queues use them, every choice is one the brute-force reference of
``farmsim.testing.oracle`` allows (with the worker's current job and the queue's parameters), no
worker sleeps next to work it could take, and every invariant holds; under priorityBalanced
the jobs of the top priority level stay within 1 + renderingTaskBuffer workers of each other
wherever their tasks allow."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from farmsim.engine.simulation import Simulation
from farmsim.model.config import (
    FarmConfig,
    FleetConfig,
    JobSubmission,
    QueueConfig,
    SchedulingConfig,
)
from farmsim.model.distributions import Exponential, Fixed, Uniform
from farmsim.model.job import JobStructure, StepStructure
from farmsim.model.runtimes import RuntimeModel, RuntimeRule
from farmsim.model.state import READY
from farmsim.scenario.config import Scenario
from farmsim.testing import check_all
from farmsim.testing.oracle import SchedulingOracle, run_audited
from farmsim.testing.strategies import farms, scenarios

TERMINAL = {"SUCCEEDED", "FAILED", "CANCELED", "SUSPENDED", "NOT_COMPATIBLE"}


def priority_balanced_configs() -> st.SearchStrategy[SchedulingConfig]:
    """priorityBalanced with the default buffer, or one of 0..3."""
    return st.builds(
        lambda b: SchedulingConfig(policy="priorityBalanced",
                                   parameters={} if b is None else {"renderingTaskBuffer": b}),
        st.one_of(st.none(), st.integers(0, 3)))


@st.composite
def weighted_balanced_configs(draw: st.DrawFn) -> SchedulingConfig:
    """weightedBalanced with each parameter left to its default or drawn from values that
    make each term matter (or not), the overrides set or not, and farmsim's settings."""
    choices: dict[str, tuple[Any, ...]] = {
        "priorityWeight": (0.0, 1.0, 100.0, 10000.0),
        "errorWeight": (-10000.0, -10.0, 0.0, 25.0),
        "submissionTimeWeight": (0.0, 0.01, 3.0, 500.0),
        "renderingTaskWeight": (-10000.0, -100.0, -1.0, 0.0, 50.0),
        "renderingTaskBuffer": (0, 1, 3),
    }
    parameters: dict[str, Any] = {}
    for key, values in choices.items():
        if draw(st.booleans()):
            parameters[key] = draw(st.sampled_from(values))
    if draw(st.booleans()):
        parameters["maxPriorityOverride"] = {"alwaysScheduleFirst": {}}
    if draw(st.booleans()):
        parameters["minPriorityOverride"] = {"alwaysScheduleLast": {}}
    settings_: dict[str, str] = {}
    if draw(st.booleans()):
        settings_["submission_time_unit"] = draw(st.sampled_from(("seconds", "minutes")))
    if draw(st.booleans()):
        settings_["error_count"] = draw(st.sampled_from(("failed_attempts", "failed_tasks")))
    return SchedulingConfig(policy="weightedBalanced", parameters=parameters, settings=settings_)


def any_balanced_configs() -> st.SearchStrategy[SchedulingConfig]:
    return st.one_of(priority_balanced_configs(), weighted_balanced_configs())


def _run(scenario: Scenario) -> SchedulingOracle:
    sim = Simulation(scenario)
    oracle = run_audited(sim)
    result = sim.result()
    check_all(result)
    assert oracle.assignments == len(result.task_runs)
    return oracle


@settings(max_examples=80)
@given(scenarios(farm=farms(scheduling=priority_balanced_configs())))
def test_priority_balanced_follows_its_reference(scenario: Scenario) -> None:
    # GIVEN a random farm whose queues are all priorityBalanced
    # WHEN it runs under the oracle
    # THEN every choice was the even split's or the current job's within the buffer, no
    # worker idled next to work, and every invariant holds
    _run(scenario)


@settings(max_examples=80)
@given(scenarios(farm=farms(scheduling=weighted_balanced_configs())))
def test_weighted_balanced_follows_its_reference(scenario: Scenario) -> None:
    # GIVEN a random farm whose queues are all weightedBalanced, each with its own weights,
    # overrides and settings
    # WHEN it runs under the oracle
    # THEN every choice had the highest weight by the formula (the buffer on the worker's
    # current job), ties to the fewest workers then the earliest submitted
    _run(scenario)


@settings(max_examples=40)
@given(scenarios(farm=farms(scheduling=any_balanced_configs(), queue_environments=True),
                 sessions=True))
def test_balanced_policies_with_sessions(scenario: Scenario) -> None:
    # GIVEN balanced queues whose jobs have environments (workers leave a job through its
    # envExits, counted on it meanwhile; failed setups fail attempts)
    # WHEN it runs under the oracle  THEN every choice and every invariant holds
    _run(scenario)


@settings(max_examples=40)
@given(scenarios(farm=farms(max_limits=2, capabilities=True, scheduling=any_balanced_configs()),
                 host_requirements=True))
def test_balanced_policies_route_steps_by_lanes(scenario: Scenario) -> None:
    # GIVEN balanced queues served by fleets that satisfy different steps (the queue files
    # its jobs as lanes, one policy per fleet)
    # WHEN it runs under the oracle  THEN every choice and every invariant holds, and every
    # compatible job finished
    sim = Simulation(scenario)
    oracle = run_audited(sim)
    result = sim.result()
    check_all(result)
    assert oracle.assignments == len(result.task_runs)
    assert set(result.jobs["task_run_status"].astype(str)) <= TERMINAL


@settings(max_examples=30)
@given(scenarios(farm=farms(max_limits=1, scaling=True, hazards=True,
                            scheduling=any_balanced_configs())))
def test_balanced_policies_with_scaling_fleets_and_lost_hosts(scenario: Scenario) -> None:
    # GIVEN balanced queues on fleets that scale and lose hosts (runs stopped mid-way)
    # WHEN it runs under the oracle  THEN every choice and every invariant holds
    _run(scenario)


# ---------------------------------------------------------------------- the even split


@st.composite
def level_farms(draw: st.DrawFn, *, staggered: bool = False,
                config: st.SearchStrategy[SchedulingConfig] | None = None,
                failures: bool = False) -> tuple[Scenario, int]:
    """One priorityBalanced queue (buffer 0..3; or a configuration drawn from ``config``) on
    one fleet of 2..12 workers, 2..5 jobs of one priority submitted at once (with
    ``staggered``, at random times in the first two minutes), each a step of 5..40 tasks
    without limits, maxWorkerCount or environments, and runs that never fail (with
    ``failures``, fail up to half the time, retried); plus a job of a lower priority. Returns
    the scenario and the buffer."""
    buffer = draw(st.integers(0, 3))
    scheduling = (draw(config) if config is not None else SchedulingConfig(
        policy="priorityBalanced", parameters={"renderingTaskBuffer": buffer}))
    workers = draw(st.integers(2, 12))
    poll = draw(st.sampled_from((0.0, 15.0)))
    farm = FarmConfig(
        queues=(QueueConfig(display_name="q", fleets=("f",), scheduling=scheduling),),
        fleets=(FleetConfig(display_name="f", worker_count=workers, min_worker_count=workers,
                            max_worker_count=workers),),
        worker_poll_interval=poll)
    top = draw(st.integers(1, 100))
    jobs = []
    for k in range(draw(st.integers(2, 5))):
        tasks = draw(st.integers(5, 40))
        at = draw(st.floats(0.0, 120.0)) if staggered else 0.0
        jobs.append(JobSubmission(
            at=at, queue="q", priority=top, max_retries_per_task=3, max_failed_tasks_count=10,
            structure=JobStructure(name=f"job{k}", steps=(
                StepStructure(name="step0", index=0, task_count=tasks),))))
    jobs.append(JobSubmission(at=0.0, queue="q", priority=top - 1, structure=JobStructure(
        name="low", steps=(StepStructure(name="step0", index=0, task_count=20),))))
    duration = draw(st.one_of(
        st.builds(Exponential, st.floats(1.0, 60.0)),
        st.builds(lambda a, w: Uniform(a, a + w), st.floats(1.0, 30.0), st.floats(0.5, 30.0)),
        st.builds(Fixed, st.sampled_from((10.0, 30.0)))))
    failing = draw(st.floats(0.0, 0.5)) if failures else 0.0
    runtimes = RuntimeModel(rules=(RuntimeRule(duration=duration,
                                               failure_probability=failing),))
    jobs.sort(key=lambda j: j.at)
    return Scenario(name="level", seed=draw(st.integers(0, 2**32 - 1)), farm=farm,
                    jobs=tuple(jobs), runtimes=runtimes), buffer


@settings(max_examples=60)
@given(level_farms(staggered=True))
def test_priority_balanced_stickiness_with_jobs_arriving(case: tuple[Scenario, int]) -> None:
    # GIVEN jobs of one priority arriving one after the other on a busy fleet: a worker that
    # finishes a run on a job with many workers meets a newer job with few
    scenario, _ = case
    # WHEN it runs under the oracle
    # THEN each worker stayed on its job exactly when the newcomer's rendering tasks were
    # fewer by no more than the buffer (the reference decides, D9), and moved otherwise
    _run(scenario)


@settings(max_examples=60)
@given(level_farms())
def test_priority_balanced_keeps_the_top_level_within_one_plus_the_buffer(
        case: tuple[Scenario, int]) -> None:
    # GIVEN jobs of one priority level (and one below) submitted at once, with tasks enough
    # for their share, no limits, maxWorkerCount or failures
    scenario, buffer = case
    sim = Simulation(scenario)
    spread: list[int] = []
    top = max(j.priority for j in scenario.jobs)

    def after_assignment(worker: Any, now: float) -> None:
        # at every assignment, the top level's jobs that still have READY tasks
        level = [j for j in sim.control.jobs if j.priority == top and j.counts[READY]]
        counts = [j.workers for j in level]
        if len(counts) > 1:
            spread.append(max(counts) - min(counts))
        # the lower-priority job gets a worker only when the top level has no READY task
        assert worker.job.priority == top or not level, (now, worker.job.name)

    # WHEN it runs (each choice is checked by the references in the tests above)
    sim.control.on_assign = after_assignment
    sim.run()
    # THEN the top level's worker counts never differed by more than 1 + the buffer
    assert spread, "no assignment with two jobs of the top level open"
    assert max(spread) <= 1 + buffer, (max(spread), buffer)
    check_all(sim.result())


@st.composite
def weighted_level_configs(draw: st.DrawFn) -> SchedulingConfig:
    """weightedBalanced with weights that make a level's jobs tie (no age, no rendering
    term), or favour rendering jobs (a positive renderingTaskWeight: the buffer then lowers
    the current job's weight), or the API's defaults, in minutes or seconds."""
    parameters = {
        "priorityWeight": draw(st.sampled_from((0.0, 100.0))),
        "errorWeight": draw(st.sampled_from((-10.0, 0.0, 30.0))),
        "submissionTimeWeight": draw(st.sampled_from((0.0, 0.0, 3.0))),
        "renderingTaskWeight": draw(st.sampled_from((-100.0, 0.0, 0.0, 50.0, 100.0))),
        "renderingTaskBuffer": draw(st.integers(0, 3)),
    }
    unit = draw(st.sampled_from(("seconds", "minutes")))
    return SchedulingConfig(policy="weightedBalanced", parameters=parameters,
                            settings={"submission_time_unit": unit})


@settings(max_examples=80)
@given(level_farms(staggered=True, config=weighted_level_configs(), failures=True))
def test_weighted_balanced_ties_buffer_and_errors_on_one_level(
        case: tuple[Scenario, int]) -> None:
    # GIVEN jobs of one priority arriving one after the other, whose runs fail at times,
    # weighted so that they tie, or so that rendering jobs attract workers (the buffer then
    # counts against the worker's current job)
    scenario, _ = case
    # WHEN it runs under the oracle  THEN every choice is the formula's: equal weights to
    # the fewest workers then the earliest submitted, errors and the buffer as configured
    _run(scenario)
