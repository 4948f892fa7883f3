"""The worker pool and the worker state machine: workers added and retired during a run, their
recorded statuses, and worker-hours from their STARTED-to-STOPPED intervals."""

from __future__ import annotations

import pytest

from farmsim.engine.simulation import Simulation
from farmsim.engine.workers import Activity
from farmsim.testing import check_all, check_worker_lifecycle
from tests.unit.engine.farm_builders import job, scenario, step
from tests.unit.engine.test_engine_sessions import costly, with_envs


def _statuses(result, worker_index: int) -> list[tuple[float, str]]:
    w = result.workers.astype({"worker_id": str, "status": str})
    wid = str(result.catalog.worker_ids[worker_index])
    mine = w[w["worker_id"] == wid]
    return list(zip(mine["time"], mine["status"], strict=True))


def test_a_fixed_fleet_is_created_started_and_works() -> None:
    sim = Simulation(scenario(job(step("A", 2)), workers=1))
    sim.run()
    result = sim.result()
    check_all(result)
    assert _statuses(result, 0) == [(0.0, "CREATED"), (0.0, "STARTED"), (0.0, "RUNNING"),
                                    (20.0, "IDLE")]
    # worker-hours run from STARTED to the end of the run (it never stopped)
    assert result.summary()["worker_hours"] == pytest.approx(20.0 / 3600)


def test_workers_added_during_a_run_take_work_and_count_from_their_start() -> None:
    # GIVEN one worker and 10 tasks of 10 s; at t=25 two more workers join the fleet
    sim = Simulation(scenario(job(step("A", 10)), workers=1))
    sim.run(until=25.0)
    added = sim.pool.add(sim.control.fleets[0], 2)
    assert [w.index for w in added] == [1, 2]
    sim.run()
    result = sim.result()
    check_all(result)
    runs = result.task_runs.astype({"worker_id": str})
    by_worker = runs.groupby("worker_id").size()
    # THEN they ran tasks (from t=25 on), and their hours start when they STARTED
    assert len(by_worker) == 3
    late = runs[runs["worker_id"] != str(result.catalog.worker_ids[0])]
    assert late["assigned_at"].min() == pytest.approx(25.0)
    end = result.summary()["simulated_s"]
    assert result.summary()["worker_hours"] == pytest.approx((end + 2 * (end - 25.0)) / 3600)
    assert _statuses(result, 1)[:2] == [(25.0, "CREATED"), (25.0, "STARTED")]


def test_an_idle_worker_retired_stops_at_once() -> None:
    sim = Simulation(scenario(job(step("A", 1)), workers=2))
    sim.run(until=50.0)  # the task ran 0-10 on one worker; both idle since
    idle = sim.workers[1]
    sim.pool.retire(idle)
    sim.run(until=100.0)
    result = sim.result()
    check_all(result)
    assert _statuses(result, 1)[-2:] == [(50.0, "STOPPING"), (50.0, "STOPPED")]
    # its hours stop at 50; the other worker's run to the end
    assert result.summary()["worker_hours"] == pytest.approx((50.0 + 100.0) / 3600)


def test_a_busy_worker_retired_finishes_its_run_and_exits_then_stops() -> None:
    # GIVEN one worker in a session with an environment (exit 15 s), 5 tasks of 30 s
    sim = Simulation(costly(scenario(with_envs(job(step("A", 5))), workers=1, default_s=30.0),
                            enter=10.0, exit_=15.0))
    sim.run(until=20.0)  # setup 0-10, first task 10-40
    worker = sim.workers[0]
    assert worker.activity(sim.now) is Activity.TASK
    sim.pool.retire(worker)
    sim.run()
    result = sim.result()
    check_all(result)
    check_worker_lifecycle(result)
    # THEN it finished the task it had (no new one), ran the session's exit, then STOPPED
    runs = result.task_runs
    assert len(runs) == 1 and runs["ended_at"].iloc[0] == pytest.approx(40.0)
    assert _statuses(result, 0)[-2:] == [(20.0, "STOPPING"), (55.0, "STOPPED")]
    assert result.summary()["worker_hours"] == pytest.approx(55.0 / 3600)
    # and the job is left unfinished, its other tasks READY
    assert result.jobs["task_run_status"].astype(str).tolist() == ["READY"]


def test_a_worker_s_activity_is_derived_from_what_it_holds() -> None:
    sim = Simulation(costly(scenario(with_envs(job(step("A", 1))), workers=1, default_s=30.0),
                            enter=10.0, exit_=15.0))
    worker = sim.workers[0]
    seen = []
    for t in (5.0, 20.0, 45.0, 60.0):
        sim.run(until=t)
        seen.append(worker.activity(sim.now))
    assert seen == [Activity.SETUP, Activity.TASK, Activity.TEARDOWN, Activity.NONE]


def test_the_lifecycle_check_catches_a_run_after_stopping(tmp_path) -> None:
    from farmsim.testing import InvariantViolation

    sim = Simulation(scenario(job(step("A", 2)), workers=1))
    sim.run()
    result = sim.result()
    w = result.workers.astype({"status": str, "worker_id": str}).copy()
    w.loc[w.index[-1], "status"] = "STOPPING"  # the worker 'stopped' at t=20...
    w.loc[len(w)] = [20.0, w["worker_id"].iloc[0], w["fleet_id"].iloc[0], "STOPPED"]

    class Edited:
        workers = w
        task_runs = result.task_runs

    check_worker_lifecycle(Edited)  # both runs end by 20: fine
    Edited.workers.loc[Edited.workers.index[-2], "time"] = 5.0  # STOPPING at t=5
    with pytest.raises(InvariantViolation, match=r"assigned .* after it began STOPPING"):
        check_worker_lifecycle(Edited)
