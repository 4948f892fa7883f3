"""Property tests of hosts that go away (docs/semantics.md D36): on random farms whose
service-managed fleets are spot fleets with interruptions and hosts lost without notice, every
decision passes the oracle, every invariant holds, no task is lost (every compatible job
finishes), an interruption never uses a retry, and the billed worker-hours are the recorded
STARTED-to-STOPPED spans."""

from __future__ import annotations

from hypothesis import given, settings

from farmsim.engine.simulation import Simulation
from farmsim.scenario.config import Scenario
from farmsim.testing import (
    check_all,
    check_interruptions_use_no_retry,
    check_jobs_finished,
    check_worker_hours,
    check_worker_lifecycle,
)
from farmsim.testing.oracle import run_audited
from farmsim.testing.strategies import farms, scenarios


@settings(max_examples=60, deadline=None)
@given(scenarios(farm=farms(max_limits=2, scaling=True, hazards=True), max_submit_s=3600.0))
def test_hosts_that_go_away_lose_no_work(scenario: Scenario) -> None:
    sim = Simulation(scenario)
    run_audited(sim)
    result = sim.result()
    check_all(result)
    check_worker_lifecycle(result)
    check_jobs_finished(result)
    # An interrupted run's task is retried without a retry counted: its next run (if any)
    # has the same attempt number.
    check_interruptions_use_no_retry(result)
    # Billed worker-hours are the recorded STARTED-to-STOPPED spans (lost and interrupted
    # workers included), to the end of the run for those still up.
    check_worker_hours(result)
