"""Property tests of fleets that scale (farmsim.engine.autoscaling): random farms mixing fixed
and scaling fleets keep every invariant and the oracle's scheduling checks (no worker left
asleep next to work it could take), never leave a scaling fleet's bounds, bill exactly the
workers' STARTED-to-STOPPED time, and lose no task."""

from __future__ import annotations

from hypothesis import given, settings

from farmsim.engine.simulation import Simulation
from farmsim.scenario.config import Scenario
from farmsim.testing import (
    check_all,
    check_jobs_finished,
    check_worker_hours,
    check_worker_lifecycle,
)
from farmsim.testing.oracle import run_audited
from farmsim.testing.strategies import farms, scenarios


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
    check_jobs_finished(result)
    check_worker_hours(result)
    for fleet, config in scaling:  # idle workers above the floor have gone
        assert sim.pool.live(fleet) <= max(config.min_worker_count,
                                           config.autoscaling.standby_worker_count
                                           if config.autoscaling else 0)
