"""Property tests of hosts that go away (docs/semantics.md D36): on random farms whose
service-managed fleets are spot fleets with interruptions and hosts lost without notice, every
decision passes the oracle, every invariant holds, no task is lost (every compatible job
finishes), an interruption never uses a retry, and the billed worker-hours are the recorded
STARTED-to-STOPPED spans."""

from __future__ import annotations

import math

from hypothesis import given, settings

from farmsim.engine.simulation import Simulation
from farmsim.scenario.config import Scenario
from farmsim.testing import check_all, check_worker_lifecycle
from farmsim.testing.oracle import run_audited
from farmsim.testing.strategies import farms, scenarios

TERMINAL = {"SUCCEEDED", "FAILED", "CANCELED", "SUSPENDED", "NOT_COMPATIBLE"}


@settings(max_examples=60, deadline=None)
@given(scenarios(farm=farms(max_limits=2, scaling=True, hazards=True), max_submit_s=3600.0))
def test_hosts_that_go_away_lose_no_work(scenario: Scenario) -> None:
    sim = Simulation(scenario)
    run_audited(sim)
    result = sim.result()
    check_all(result)
    check_worker_lifecycle(result)
    assert set(result.jobs["task_run_status"].astype(str)) <= TERMINAL
    runs = result.task_runs
    # An interrupted run's task is retried without a retry counted: its next run (if any)
    # has the same attempt number.
    ordered = runs.sort_values(["task_id", "assigned_at"])
    previous: dict[str, tuple[str, int]] = {}
    for task, status, attempt in zip(ordered.task_id.astype(str), ordered.status.astype(str),
                                     ordered.attempt, strict=True):
        if task in previous and previous[task][0] == "INTERRUPTED":
            assert int(attempt) == previous[task][1], (task, attempt, previous[task])
        previous[task] = (status, int(attempt))
    # Billed worker-hours are the recorded STARTED-to-STOPPED spans (lost and interrupted
    # workers included), to the end of the run for those still up.
    workers = result.workers.astype({"worker_id": str, "status": str})
    started = workers[workers["status"] == "STARTED"].set_index("worker_id")["time"]
    stopped = workers[workers["status"] == "STOPPED"].set_index("worker_id")["time"]
    end = result.summary()["simulated_s"]
    hours = math.fsum(stopped.get(w, end) - at for w, at in started.items()) / 3600.0
    assert math.isclose(result.summary()["worker_hours"], hours, rel_tol=1e-12, abs_tol=1e-12)
