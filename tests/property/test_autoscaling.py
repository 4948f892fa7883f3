"""Property tests of fleets that scale (farmsim.engine.autoscaling): random farms mixing fixed
and scaling fleets keep every invariant and the oracle's scheduling checks (no worker left
asleep next to work it could take), never leave a scaling fleet's bounds, bill exactly the
workers' STARTED-to-STOPPED time, and lose no task."""

from __future__ import annotations

import math

from hypothesis import given, settings

from farmsim.engine.simulation import Simulation
from farmsim.scenario.config import Scenario
from farmsim.testing import check_all, check_worker_lifecycle
from farmsim.testing.oracle import run_audited
from farmsim.testing.strategies import farms, scenarios

FINAL = {"SUCCEEDED", "FAILED", "CANCELED", "SUSPENDED", "NOT_COMPATIBLE"}


@settings(max_examples=60, deadline=None)
@given(scenarios(farm=farms(max_limits=2, scaling=True)))
def test_scaling_fleets_stay_in_bounds_bill_what_runs_and_lose_nothing(
        scenario: Scenario) -> None:
    sim = Simulation(scenario)
    scaling = [(sim.control.fleets[i], f) for i, f in enumerate(scenario.farm.fleets)
               if f.autoscaling is not None]
    t = 0.0
    while t < 4000.0:
        t += 25.0
        run_audited(sim, until=t)
        for fleet, config in scaling:
            live = sim.pool.live(fleet)
            assert config.min_worker_count <= live <= config.max_worker_count, (
                fleet.name, t, live)
    run_audited(sim)  # to the end: a run without a horizon ends (the autoscalers go quiet)
    result = sim.result()
    check_all(result)
    check_worker_lifecycle(result)
    assert set(result.jobs["task_run_status"].astype(str)) <= FINAL
    workers = result.workers.astype({"worker_id": str, "status": str})
    started = workers[workers["status"] == "STARTED"].set_index("worker_id")["time"]
    stopped = workers[workers["status"] == "STOPPED"].set_index("worker_id")["time"]
    end = result.summary()["simulated_s"]
    hours = math.fsum(stopped.get(w, end) - at for w, at in started.items()) / 3600.0
    assert math.isclose(result.summary()["worker_hours"], hours, rel_tol=1e-12, abs_tol=1e-12)
    for fleet, config in scaling:  # idle workers above the floor have gone
        assert sim.pool.live(fleet) <= max(config.min_worker_count,
                                           config.autoscaling.standby_worker_count
                                           if config.autoscaling else 0)
