"""Property tests of generated submissions: random arrival streams next to explicit jobs keep
every invariant and the oracle's scheduling checks, lose nothing, stay inside their windows, and
do not depend on the farm."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from farmsim.engine.simulation import Simulation
from farmsim.model.arrivals import ArrivalStream, Choice, Constant, RateProfile
from farmsim.scenario.config import Scenario
from farmsim.testing import check_all, check_arrival_windows, check_jobs_finished
from farmsim.testing.oracle import run_audited
from farmsim.testing.strategies import job_structures, limit_amount, scenarios


@st.composite
def scenarios_with_arrivals(draw: st.DrawFn) -> Scenario:
    scenario = draw(scenarios(max_jobs=4, suspended=False, incompatible=False))
    farm = scenario.farm
    streams = []
    for k in range(draw(st.integers(1, 3))):
        queue = draw(st.sampled_from(farm.queues))
        caps = {lim.display_name: lim.max_count for lim in farm.limits}
        allowed = {limit_amount(n): 1 if caps[n] < 0 else min(2, caps[n]) for n in queue.limits}
        structure = draw(job_structures(max_steps=2, max_tasks=5, limit_names=allowed,
                                        name=f"stream{k}"))
        hourly = draw(st.one_of(st.none(), st.lists(st.sampled_from((0.0, 0.5, 1.0, 3.0)),
                                                    min_size=24, max_size=24).filter(any)))
        start = draw(st.floats(0.0, 600.0))
        streams.append(ArrivalStream(
            name=f"stream{k}",
            queue=queue.display_name,
            rate=RateProfile(per_second=draw(st.floats(1 / 600, 1 / 30)),
                             hourly=tuple(hourly) if hourly else None,
                             offset=draw(st.floats(0.0, 86400.0))),
            start=start,
            end=start + draw(st.floats(60.0, 3600.0)),
            count=draw(st.one_of(st.none(), st.integers(1, 20))),
            expand=lambda values, _s=structure: _s,
            priority=draw(st.one_of(st.integers(0, 100).map(Constant),
                                    st.just(Choice((0, 50, 100))))),
            max_worker_count=draw(st.sampled_from((Constant(-1), Choice((-1, 1, 2))))),
        ))
    return dataclasses.replace(scenario, arrivals=tuple(streams))


@settings(max_examples=60, deadline=None)
@given(scenarios_with_arrivals())
def test_arrivals_keep_every_invariant_and_lose_nothing(scenario: Scenario) -> None:
    # GIVEN explicit jobs and random streams WHEN the run drains, every decision audited
    sim = Simulation(scenario)
    oracle = run_audited(sim)
    result = sim.result()

    # THEN the invariants hold, every job (explicit or generated) ended...
    check_all(result)
    assert oracle.assignments == len(result.task_runs)
    check_jobs_finished(result)
    # ...and each stream's submissions lie in its window, within its cap (its jobs are named
    # after it: no explicit job has its name)
    explicit = {job.structure.name for job in scenario.jobs}
    assert not explicit & {stream.name for stream in scenario.arrivals}
    check_arrival_windows(result, scenario)
    assert len(result.jobs) >= len(scenario.jobs)


@settings(max_examples=25, deadline=None)
@given(scenarios_with_arrivals(), st.integers(1, 3))
def test_submissions_do_not_depend_on_the_farm(scenario: Scenario, factor: int) -> None:
    # GIVEN the same scenario on a farm with more workers
    fleets = tuple(dataclasses.replace(f, worker_count=f.worker_count * factor,
                                       max_worker_count=f.max_worker_count * factor)
                   for f in scenario.farm.fleets)
    bigger = dataclasses.replace(scenario, farm=dataclasses.replace(scenario.farm, fleets=fleets))

    def submissions(s: Scenario) -> list[tuple[str, float, int, int]]:
        sim = Simulation(s)
        sim.run()
        jobs = sim.result().jobs
        return sorted(zip(jobs["name"], jobs["submitted_at"], jobs["priority"],
                          jobs["max_worker_count"], strict=True))

    # THEN every job is submitted at the same time with the same drawn values
    assert submissions(scenario) == submissions(bigger)
