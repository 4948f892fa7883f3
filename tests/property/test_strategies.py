"""The strategies build what they promise, and reach the cases the property tests rely on."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, find, given, settings

from farmsim.model.enums import CreateJobTargetTaskRunStatus
from farmsim.testing.strategies import UNKNOWN_AMOUNT, farms, job_structures, scenarios

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
