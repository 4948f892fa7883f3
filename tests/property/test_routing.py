"""Property tests of routing steps to fleets by capability (semantics F.6): on random farms
whose fleets differ in OS and GPUs, with steps that need one or both, no worker ever takes a
step its fleet does not satisfy, no worker sleeps next to work it could take, the order is
still priorityFifo's among the jobs a worker may take, and every compatible job finishes."""

from __future__ import annotations

from hypothesis import given, settings

from farmsim.engine.simulation import Simulation
from farmsim.scenario.config import Scenario
from farmsim.testing import check_all, check_host_requirements, check_jobs_finished
from farmsim.testing.oracle import run_audited
from farmsim.testing.strategies import farms, scenarios


@settings(max_examples=80, deadline=None)
@given(scenarios(farm=farms(max_limits=2, capabilities=True), host_requirements=True))
def test_no_task_runs_on_a_fleet_that_cannot_satisfy_it(scenario: Scenario) -> None:
    # GIVEN fleets of different OS and GPUs, and steps that need one, the other or nothing
    sim = Simulation(scenario)
    # WHEN it runs to the end, every decision audited (the oracle knows the capabilities)
    oracle = run_audited(sim)
    result = sim.result()
    # THEN every invariant holds, every compatible job finished, and (from the tables alone)
    # no run was on a worker of a fleet that does not satisfy its step
    check_all(result)
    assert oracle.assignments == len(result.task_runs)
    check_jobs_finished(result)
    check_host_requirements(result, scenario)


@settings(max_examples=50, deadline=None)
@given(scenarios(farm=farms(max_limits=1, capabilities=True, scaling=True),
                 host_requirements=True))
def test_a_scaling_fleet_grows_for_work_only_it_may_take(scenario: Scenario) -> None:
    # GIVEN fleets of different capabilities, some scaling from 0, and steps only some of
    # them satisfy: idle workers of a fleet that cannot take a step must not stand in for the
    # workers a scaling fleet that can would start
    sim = Simulation(scenario)
    run_audited(sim)
    result = sim.result()
    # THEN every compatible job finished (none waits forever for a fleet that never grows)
    check_all(result)
    check_jobs_finished(result)
