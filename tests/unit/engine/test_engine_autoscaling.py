"""Service-managed fleets that scale with the work (farmsim.engine.autoscaling; semantics F.2):
the scale-out rate, standby workers, scale-in after the idle duration, the bounds, and demand
that counts only the work a new worker could take."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import farmsim.errors as farmsim_errors
from farmsim.engine.simulation import Simulation
from farmsim.record.invariants import check_all
from farmsim.scenario import scenario_from_dict
from farmsim.testing import check_worker_hours

CAPABILITIES = {"vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192}, "osFamily": "LINUX",
                "cpuArchitectureType": "x86_64"}


def _scenario(*, tasks: int = 100, low: int = 0, high: int = 30, limit: int | None = None,
              duration: str = "600s", at: float = 0, **scaling: Any) -> dict[str, Any]:
    step: dict[str, Any] = {
        "name": "s", "parameterSpace": {"taskParameterDefinitions": [
            {"name": "F", "type": "INT", "range": f"1-{tasks}"}]},
        "script": {"actions": {"onRun": {"command": "r"}}}}
    if limit is not None:
        step["hostRequirements"] = {"amounts": [{"name": "amount.license.x", "min": 1}]}
    smf: dict[str, Any] = {"instanceCapabilities": CAPABILITIES,
                           "instanceMarketOptions": {"type": "spot"}}
    if scaling:
        smf["autoScalingConfiguration"] = scaling
    farm: dict[str, Any] = {
        "displayName": "f",
        "queues": [{"displayName": "q", "fleets": ["cloud"],
                    "limits": [] if limit is None else ["x"]}],
        "fleets": [{"displayName": "cloud", "minWorkerCount": low, "maxWorkerCount": high,
                    "configuration": {"serviceManagedEc2": smf},
                    "simulation": {"cost_per_hour": 1.0}}]}
    if limit is not None:
        farm["limits"] = [{"displayName": "x", "amountRequirementName": "amount.license.x",
                           "maxCount": limit}]
    return {"name": "scaling", "seed": 1, "start": "2026-03-02T09:00:00", "farm": farm,
            "workload": {"jobs": [{"queue": "q", "at": at, "template": {
                "specificationVersion": "jobtemplate-2023-09", "name": "j",
                "steps": [step]}}]},
            "runtimes": [{"duration": duration}]}


def _online(sim: Simulation) -> int:
    """Workers neither stopping nor stopped."""
    return sim.pool.live(sim.control.fleets[0])


def _sizes(sim: Simulation, times: list[float]) -> list[int]:
    out = []
    for t in times:
        sim.run(until=t)
        out.append(_online(sim))
    return out


def test_a_scenario_fleet_scales_with_the_apis_defaults() -> None:
    scenario = scenario_from_dict(_scenario())
    (fleet,) = scenario.farm.fleets
    assert fleet.autoscaling is not None
    assert (fleet.autoscaling.standby_worker_count, fleet.autoscaling.worker_idle_duration,
            fleet.autoscaling.scale_out_workers_per_minute) == (0, 300.0, 10)
    assert fleet.worker_count == 0  # it starts minWorkerCount workers
    fixed = scenario_from_dict(_scenario(low=3, high=3)).farm.fleets[0]
    assert fixed.autoscaling is None and fixed.worker_count == 3


def test_scale_out_is_capped_per_minute_and_by_max_worker_count() -> None:
    # GIVEN 100 ten-minute tasks and a fleet of 0..30 starting at most 10 workers a minute
    sim = Simulation(scenario_from_dict(_scenario()))
    # THEN it grows by 10 a minute to its maximum, and stays there while the work lasts
    assert _sizes(sim, [1, 59, 61, 121, 181, 500]) == [10, 10, 20, 30, 30, 30]
    check_all(sim.result())


def test_a_slower_scale_out_rate() -> None:
    sim = Simulation(scenario_from_dict(_scenario(scaleOutWorkersPerMinute=3)))
    assert _sizes(sim, [1, 61, 121, 181]) == [3, 6, 9, 12]


def test_scale_in_after_the_idle_duration_down_to_min_worker_count() -> None:
    # GIVEN 10 one-minute tasks on a fleet of 2..30 that stops workers idle for 120 s
    sim = Simulation(scenario_from_dict(_scenario(tasks=10, low=2, duration="60s",
                                                  workerIdleDurationSeconds=120)))
    sim.run(until=30)
    assert _online(sim) == 10
    # WHEN the work is done (at about 60 s plus a poll) THEN the workers stay for 120 s idle,
    # then all but minWorkerCount stop
    assert _sizes(sim, [150, 170, 230, 400]) == [10, 10, 2, 2]
    workers = sim.result().workers
    stopped = workers[workers.status == "STOPPED"]
    idle = workers[workers.status == "IDLE"].groupby("worker_id", observed=True).time.max()
    for worker, when in zip(stopped.worker_id, stopped.time, strict=True):
        assert when - idle[worker] == pytest.approx(120.0)
    check_all(sim.result())


def test_standby_workers_are_kept_warm() -> None:
    # GIVEN a fleet of 0..30 with 4 standby workers and no work before t=1000
    sim = Simulation(scenario_from_dict(_scenario(tasks=10, duration="60s", at=1000,
                                                  standbyWorkerCount=4)))
    # THEN 4 idle workers wait from the start; the job gets 10 + 4 standby; afterwards the
    # fleet comes back to its 4 standby workers (a standby worker the new ones beat to a task
    # has been idle since the start: it may go as soon as the fleet is above its target)
    assert _sizes(sim, [1, 999, 1001]) == [4, 4, 14]
    assert 13 <= _sizes(sim, [1100])[0] <= 14
    assert _sizes(sim, [2000]) == [4]
    fleet = sim.client().get_fleet(farmId=sim.client().farm_id,
                                   fleetId=sim.client().resource_id("fleet", 0))
    assert (fleet["targetWorkerCount"], fleet["autoScalingStatus"]) == (4, "STEADY")


def test_work_blocked_on_a_limit_does_not_scale_the_fleet_out() -> None:
    # GIVEN 100 tasks that each need one of 5 licenses
    sim = Simulation(scenario_from_dict(_scenario(limit=5)))
    # THEN the fleet grows to the 5 workers that can run, not to its maximum
    assert _sizes(sim, [1, 61, 121, 600]) == [5, 5, 5, 5]
    check_all(sim.result())


def test_the_fleet_never_leaves_its_bounds_and_bills_what_it_ran() -> None:
    sim = Simulation(scenario_from_dict(_scenario(tasks=60, low=1, high=12, duration="90s",
                                                  workerIdleDurationSeconds=30)))
    sizes = _sizes(sim, list(np.arange(1.0, 3000.0, 7.0)))
    assert min(sizes) >= 1 and max(sizes) <= 12
    sim.run()
    result = sim.result()
    assert list(result.jobs.task_run_status.astype(str)) == ["SUCCEEDED"]
    # Worker-hours are the STARTED-to-STOPPED intervals of the workers table.
    hours = check_worker_hours(result)
    assert result.summary()["cost_usd"]["workers"] == pytest.approx(hours * 1.0)
    check_all(result)


def test_a_retry_held_back_by_the_rate_is_in_the_future_whatever_the_rounding() -> None:
    # GIVEN work at t=15.1 and one worker a minute: the second worker is due at 15.1 + 60,
    # and 75.1 - 60 < 15.1 in floating point (the minute-old launch must count as a minute
    # old at 75.1)
    assert 15.1 + 60 - 60 < 15.1
    sim = Simulation(scenario_from_dict(_scenario(tasks=3, high=5, at=15.1, duration="300s",
                                                  scaleOutWorkersPerMinute=1)))
    env = sim.env
    # WHEN it runs event by event THEN time moves on (no evaluation rescheduled at its own
    # instant for ever) and the fleet grows by one a minute
    for _ in range(20_000):
        if env.peek() > 200.0:
            break
        env.step()
    else:
        pytest.fail(f"no progress: still at t={env.now} after 20,000 events")
    assert _online(sim) == 3


def test_the_fleet_scaling_table_records_target_and_workers(tmp_path: Any) -> None:
    from farmsim.record.result import Result

    sim = Simulation(scenario_from_dict(_scenario(tasks=10, low=1, duration="60s",
                                                  workerIdleDurationSeconds=120)))
    sim.run()
    result = sim.result()
    table = result.fleet_scaling
    # THEN the first evaluation wants the work's 10 workers and starts the 9 it lacks, and
    # the last one is back at minWorkerCount, STEADY
    first, last = table.iloc[0], table.iloc[-1]
    assert (first.target_worker_count, first.worker_count, str(first.status)) == (10, 10,
                                                                                 "STEADY")
    assert (last.target_worker_count, last.worker_count, str(last.status)) == (1, 1, "STEADY")
    assert set(table.status.astype(str)) <= {"GROWING", "STEADY", "SHRINKING"}
    assert (table.worker_count >= 1).all() and (table.worker_count <= 30).all()
    # The workers column follows the workers table: online workers at each row's time.
    w = result.workers
    for _, row in table.iterrows():
        created = int(((w.status == "CREATED") & (w.time <= row.time)).sum())
        stopping = int(((w.status == "STOPPING") & (w.time <= row.time)).sum())
        assert row.worker_count == created - stopping, row.time
    # saved and loaded, it is the same table
    for fmt in ("parquet", "csv"):
        result.save(tmp_path / fmt, format=fmt)
        loaded = Result.load(tmp_path / fmt).fleet_scaling
        assert loaded.astype({"fleet_id": str, "status": str}).equals(
            table.astype({"fleet_id": str, "status": str})), fmt


def test_workers_boot_before_they_take_work_and_are_billed_for_it() -> None:
    # GIVEN a scaling fleet whose workers take 2 minutes to boot
    raw = _scenario(tasks=10, duration="60s", workerIdleDurationSeconds=60)
    raw["farm"]["fleets"][0]["simulation"]["boot_time"] = "2m"
    sim = Simulation(scenario_from_dict(raw))
    sim.run(until=100)
    # THEN it starts 10 workers for the 10 tasks, and does not start more while they boot
    assert _online(sim) == 10
    assert len(sim.result().task_runs) == 0
    sim.run()
    result = sim.result()
    runs, workers = result.task_runs, result.workers
    started = workers[workers.status == "STARTED"].set_index("worker_id").time
    first = runs.groupby("worker_id", observed=True).assigned_at.min()
    for worker, at in first.items():
        assert at - started[worker] == pytest.approx(120.0)
    assert len(started) == 10  # (nobody was started for the work the booting ones would take)
    # billed from STARTED, the boot included
    assert result.summary()["worker_hours"] * 3600 >= 10 * (120 + 60)
    check_all(result)


def test_a_boot_time_distribution_is_checked_and_drawn() -> None:
    raw = _scenario(low=3, high=3)
    raw["farm"]["fleets"][0]["simulation"]["boot_time"] = {"dist": "uniform", "low": "1m",
                                                           "high": "3m"}
    sim = Simulation(scenario_from_dict(raw))
    sim.run(until=600)
    runs = sim.result().task_runs
    first = runs.groupby("worker_id", observed=True).assigned_at.min()
    assert len(first) == 3 and ((first >= 60) & (first <= 180)).all()
    assert first.nunique() == 3  # (drawn per worker)
    raw["farm"]["fleets"][0]["simulation"]["boot_time"] = {"dist": "uniform", "low": "3m"}
    with pytest.raises(farmsim_errors.ScenarioError, match="boot_time"):
        scenario_from_dict(raw)
