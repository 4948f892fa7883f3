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


def test_an_idle_worker_sleeps_until_woken_and_a_woken_one_retired_stops_at_its_poll() -> None:
    # GIVEN two workers polling every 60 s, idle after a first job's one task
    sim = Simulation(scenario(job(step("A", 1)), workers=2, poll=60.0, seed=3))
    sim.run(until=100.0)
    a, b = sim.workers
    assert sim.pool.asleep(a) and sim.pool.asleep(b)  # nothing scheduled for either
    # WHEN a job of one task comes: one worker is woken (its poll scheduled), one sleeps on
    sim.control.submit(job(step("B", 1), name="later"), sim.now)
    woken = next(w for w in (a, b) if not sim.pool.asleep(w))
    other = b if woken is a else a
    assert sim.pool.asleep(other)
    # and retiring the woken one before its poll stops it at that poll, with no task taken,
    # and passes its wake on: the other worker polls and runs the task
    sim.pool.retire(woken)
    assert not sim.pool.asleep(other)
    sim.run()
    result = sim.result()
    check_all(result)
    check_worker_lifecycle(result)
    stops = [s for s in _statuses(result, woken.index) if s[1] in ("STOPPING", "STOPPED")]
    assert stops[0] == (100.0, "STOPPING") and stops[1][1] == "STOPPED"
    assert 100.0 <= stops[1][0] < 160.0
    runs = result.task_runs.astype({"worker_id": str})
    later = runs[runs["assigned_at"] >= 100.0]
    assert later["worker_id"].tolist() == [str(result.catalog.worker_ids[other.index])]
    assert result.jobs.set_index("name").loc["later", "task_run_status"] == "SUCCEEDED"


def test_a_busy_worker_retired_hands_the_units_it_frees_to_a_sleeping_worker() -> None:
    # GIVEN a limit of one unit, two tasks needing it, two workers: one runs the first task
    # (0-10), the other got nothing and sleeps
    sim = Simulation(scenario(job(step("A", 2, licenses={"lic": 1})), workers=2,
                              limits={"lic": 1}))
    sim.run(until=5.0)
    busy = next(w for w in sim.workers if w.job is not None)
    other = next(w for w in sim.workers if w is not busy)
    assert sim.pool.asleep(other)
    # WHEN the busy worker is retired: at t=10 it frees the unit and stops, asking for nothing
    sim.pool.retire(busy)
    sim.run()
    result = sim.result()
    check_all(result)
    check_worker_lifecycle(result)
    # THEN the sleeping worker is woken for the unit and runs the second task
    runs = result.task_runs.astype({"worker_id": str})
    assert sorted(runs["worker_id"]) == sorted(str(result.catalog.worker_ids[w.index])
                                               for w in (busy, other))
    assert result.jobs["task_run_status"].astype(str).tolist() == ["SUCCEEDED"]


def test_a_worker_retired_before_it_starts_never_starts_and_costs_nothing() -> None:
    sim = Simulation(scenario(job(step("A", 1)), workers=2))
    added = sim.pool.add(sim.control.fleets[0], 1)  # CREATED at t=0, starting at once
    sim.pool.retire(added[0])  # before its start event
    sim.run()
    result = sim.result()
    check_all(result)
    check_worker_lifecycle(result)
    assert [s for _, s in _statuses(result, added[0].index)] == ["CREATED", "STOPPING",
                                                                 "STOPPED"]
    assert result.summary()["worker_hours"] == pytest.approx(2 * 10.0 / 3600)


def test_canceling_a_worker_with_no_task_run_is_refused() -> None:
    from farmsim.errors import SimulationError

    sim = Simulation(scenario(job(step("A", 1)), workers=1))
    sim.run(until=50.0)  # idle since t=10
    with pytest.raises(SimulationError, match="no task run"):
        sim.pool.cancel(sim.workers[0])


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
