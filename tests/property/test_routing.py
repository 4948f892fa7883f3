"""Property tests of routing steps to fleets by capability (semantics F.6): on random farms
whose fleets differ in OS and GPUs, with steps that need one or both, no worker ever takes a
step its fleet does not satisfy, no worker sleeps next to work it could take, the order is
still priorityFifo's among the jobs a worker may take, and every compatible job finishes."""

from __future__ import annotations

from hypothesis import given, settings

from farmsim.engine.simulation import Simulation
from farmsim.model.capabilities import FleetCapabilities
from farmsim.scenario.config import Scenario
from farmsim.testing import check_all
from farmsim.testing.oracle import run_audited
from farmsim.testing.strategies import farms, scenarios

TERMINAL = {"SUCCEEDED", "FAILED", "CANCELED", "SUSPENDED", "NOT_COMPATIBLE"}


def _satisfies(scenario: Scenario, fleet_id_index: dict[str, int]) -> dict:
    """(fleet index, step structure id) -> whether the fleet satisfies the step, from the
    scenario alone."""
    farm = scenario.farm
    caps = [FleetCapabilities.from_configuration(f.configuration) for f in farm.fleets]
    limits = {lim.amount_requirement_name.lower() for lim in farm.limits}
    out = {}
    for job in scenario.jobs:
        for step in job.structure.steps:
            amounts = [a for a in step.amounts if a.name.lower() not in limits]
            for i, cap in enumerate(caps):
                out[i, job.structure.name, step.name] = not cap.unmet(amounts, step.attributes)
    return out


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
    assert set(result.jobs["task_run_status"].astype(str)) <= TERMINAL
    fleets = {str(fid): i for i, fid in enumerate(result.catalog.fleet_ids)}
    fits = _satisfies(scenario, fleets)
    worker_fleet = {str(w): fleets[str(f)] for w, f in
                    zip(result.workers.worker_id, result.workers.fleet_id, strict=True)}
    steps = result.steps.astype({"step_id": str, "job_id": str})
    job_names = dict(zip(result.jobs.job_id.astype(str), result.jobs.name.astype(str),
                         strict=True))
    step_of = {sid: (job_names[jid], name) for sid, jid, name in
               zip(steps.step_id, steps.job_id, steps.name.astype(str), strict=True)}
    for worker, step in zip(result.task_runs.worker_id.astype(str),
                            result.task_runs.step_id.astype(str), strict=True):
        job_name, step_name = step_of[step]
        assert fits[worker_fleet[worker], job_name, step_name], (worker, job_name, step_name)


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
    assert set(result.jobs["task_run_status"].astype(str)) <= TERMINAL
