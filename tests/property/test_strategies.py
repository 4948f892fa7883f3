"""The strategies build what they promise, reach the cases the property tests rely on, and
what they draw runs: any scheduling configuration in the API's ranges, workloads of drawn OpenJD
templates (bounds of each strategy: tests/unit/testing)."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, find, given, settings

from farmsim.engine.simulation import Simulation
from farmsim.model.enums import CreateJobTargetTaskRunStatus
from farmsim.testing import (
    check_all,
    check_host_requirements,
    check_jobs_finished,
    check_retries,
    check_sessions_closed,
)
from farmsim.testing.oracle import run_audited
from farmsim.testing.strategies import (
    UNKNOWN_AMOUNT,
    farms,
    job_structures,
    job_templates,
    limit_amount,
    scenarios,
    scheduling_configs,
    workloads,
)

# No shrinking: finding one example is the point, not the smallest one.
_FIND = settings(database=None, max_examples=500, derandomize=True, phases=(Phase.generate,),
                 suppress_health_check=list(HealthCheck))


@given(job_structures(max_steps=4, max_tasks=5, limit_names={"amount.license.a": 2,
                                                             "amount.license.b": 1}))
def test_job_structures_are_dags_within_bounds(structure) -> None:
    # GIVEN / WHEN a drawn job  THEN steps are indexed in order, depend only on earlier steps,
    # have 1..5 tasks and name known limits with at most the allowed units
    assert 1 <= len(structure.steps) <= 4
    for i, step in enumerate(structure.steps):
        assert step.index == i
        assert 1 <= step.task_count <= 5
        assert all(0 <= d < i for d in step.dependencies)
        units = {a.name: a.units for a in step.amounts}
        assert set(units) <= {"amount.license.a", "amount.license.b"}
        assert units.get("amount.license.a", 1) <= 2 and units.get("amount.license.b", 1) == 1


@given(farms())
def test_farms_connect_every_queue_and_fleet(farm) -> None:
    # GIVEN / WHEN a drawn farm  THEN every queue has a fleet, every fleet a queue, fleets have
    # 1..6 workers and limits maxCount -1 or 1..4
    served = {f for q in farm.queues for f in q.fleets}
    assert served == {f.display_name for f in farm.fleets}
    assert all(q.fleets for q in farm.queues)
    assert all(1 <= f.worker_count <= 6 for f in farm.fleets)
    assert all(lim.max_count in (-1, 1, 2, 3, 4) for lim in farm.limits)
    assert farm.worker_poll_interval >= 0.0


@given(scenarios())
def test_scenario_jobs_fit_their_limits(scenario) -> None:
    # GIVEN / WHEN a drawn scenario  THEN jobs are in submission order and no step asks for
    # more units of a limit than its maxCount (so every compatible job can finish)
    assert [j.at for j in scenario.jobs] == sorted(j.at for j in scenario.jobs)
    caps = {lim.amount_requirement_name: lim.max_count for lim in scenario.farm.limits}
    for job in scenario.jobs:
        assert 0 <= job.priority <= 100
        assert job.max_worker_count == -1 or 1 <= job.max_worker_count <= 4
        for step in job.structure.steps:
            for amount in step.amounts:
                cap = caps.get(amount.name, -1)
                assert cap < 0 or amount.units <= cap


def test_scenarios_reach_the_interesting_cases() -> None:
    # GIVEN the default scenario strategy
    # WHEN searching it  THEN it produces each case the property tests rely on
    find(scenarios(), lambda s: any(
        j.target_task_run_status == CreateJobTargetTaskRunStatus.SUSPENDED for j in s.jobs),
        settings=_FIND)
    find(scenarios(), lambda s: any(a.name == UNKNOWN_AMOUNT for j in s.jobs
                                    for st in j.structure.steps for a in st.amounts),
         settings=_FIND)
    find(scenarios(), lambda s: any(len(q.fleets) > 1 for q in s.farm.queues) and any(
        sum(f.display_name in q.fleets for q in s.farm.queues) > 1 for f in s.farm.fleets),
        settings=_FIND)
    find(scenarios(), lambda s: any(lim.max_count >= 0 for lim in s.farm.limits) and any(
        st.amounts for j in s.jobs for st in j.structure.steps), settings=_FIND)
    find(scenarios(), lambda s: len({j.priority for j in s.jobs}) < len(s.jobs) > 3,
         settings=_FIND)


@settings(max_examples=30)
@given(scenarios(farm=farms(scheduling=scheduling_configs()), max_jobs=8))
def test_any_scheduling_configuration_in_the_apis_ranges_runs_under_the_oracle(
        scenario) -> None:
    # GIVEN queues of any of the API's configurations, parameters anywhere in its ranges
    sim = Simulation(scenario)
    # WHEN it runs under the oracle  THEN every choice is the configuration's, every invariant
    # holds and nothing is lost
    oracle = run_audited(sim)
    result = sim.result()
    check_all(result)
    check_jobs_finished(result)
    assert oracle.assignments == len(result.task_runs)


def _template_workload(farm):
    """Jobs from drawn templates, each step's limits among its queue's (at most their
    maxCount units a run)."""
    caps = {lim.display_name: lim.max_count for lim in farm.limits}
    limits = {q.display_name: {limit_amount(n): 2 if caps[n] < 0 else min(2, caps[n])
                               for n in q.limits} for q in farm.queues}
    return workloads(queues=[q.display_name for q in farm.queues], max_jobs=6,
                     templates=lambda queue, k: job_templates(
                         max_steps=2, limit_names=limits[queue], environments=True))


@settings(max_examples=30)
@given(scenarios(farm=farms(max_limits=2, capabilities=True, queue_environments=True),
                 workload=_template_workload))
def test_workloads_of_templates_run_under_the_oracle(scenario) -> None:
    # GIVEN jobs expanded from drawn OpenJD templates (parameter spaces, dependencies, host
    # requirements, environments, limits), on fleets of different capabilities
    sim = Simulation(scenario)
    # WHEN it runs under the oracle
    oracle = run_audited(sim)
    result = sim.result()
    # THEN every invariant holds, nothing is lost (a job no fleet can take is NOT_COMPATIBLE),
    # no run is on a fleet that cannot take it, and each job knows its parameters
    check_all(result)
    check_jobs_finished(result)
    check_sessions_closed(result)
    check_host_requirements(result, scenario)
    check_retries(result, scenario)
    assert oracle.assignments == len(result.task_runs)
    for job, state in zip(scenario.jobs, sim.control.jobs, strict=True):
        assert state.parameters == job.structure.parameters
        assert all(state.parameters[k] == v for k, v in job.parameters.items())
