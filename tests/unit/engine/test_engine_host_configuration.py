"""A fleet's host configuration script (``hostConfiguration``; semantics F.4, docs/semantics.md
D17): it runs after the boot, before the worker's first request for work, billed; one that
runs past its ``scriptTimeoutSeconds`` makes the worker NOT_RESPONDING, then STOPPED, without
ever taking work, and a fleet the service or the customer's automation sizes replaces it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from farmsim.engine.simulation import Simulation
from farmsim.model.distributions import Distribution
from farmsim.record.invariants import check_all
from farmsim.scenario import scenario_from_dict
from farmsim.scenario.config import Scenario
from tests.unit.engine.farm_builders import Draws

CAPABILITIES = {"vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192}, "osFamily": "LINUX",
                "cpuArchitectureType": "x86_64"}


def _scenario(*, tasks: int = 1, low: int = 0, high: int = 1, script_time: Any = "90s",
              boot: Any = None, timeout: int | None = None, kind: str = "serviceManagedEc2",
              workers: int | None = None, **scaling: Any) -> dict[str, Any]:
    if kind == "serviceManagedEc2":
        conf: dict[str, Any] = {"instanceCapabilities": CAPABILITIES,
                                "instanceMarketOptions": {"type": "on-demand"}}
    else:
        conf = {"mode": "EVENT_BASED_AUTO_SCALING" if workers is None else "NO_SCALING",
                "workerCapabilities": CAPABILITIES}
    if scaling:
        conf["autoScalingConfiguration"] = scaling
    simulation: dict[str, Any] = {"cost_per_hour": 2.0}
    if script_time is not None:
        simulation["host_configuration_time"] = script_time
    if boot is not None:
        simulation["boot_time"] = boot
    if workers is not None:
        simulation["workers"] = workers
    host: dict[str, Any] = {"scriptBody": "#!/bin/bash\ndnf -y install blender"}
    if timeout is not None:
        host["scriptTimeoutSeconds"] = timeout
    step = {"name": "s", "parameterSpace": {"taskParameterDefinitions": [
        {"name": "F", "type": "INT", "range": f"1-{tasks}"}]},
        "script": {"actions": {"onRun": {"command": "r"}}}}
    return {"name": "host-config", "seed": 4,
            "farm": {"displayName": "f", "simulation": {"worker_poll_interval": 0},
                     "queues": [{"displayName": "q", "fleets": ["cloud"]}],
                     "fleets": [{"displayName": "cloud", "minWorkerCount": low,
                                 "maxWorkerCount": high, "configuration": {kind: conf},
                                 "hostConfiguration": host, "simulation": simulation}]},
            "workload": {"jobs": [{"queue": "q", "at": 0, "template": {
                "specificationVersion": "jobtemplate-2023-09", "name": "j",
                "steps": [step]}}]},
            "runtimes": [{"duration": "60s"}]}


def _with_script_time(scenario: Scenario, time: Distribution) -> Scenario:
    fleet = dataclasses.replace(scenario.farm.fleets[0], host_configuration_time=time)
    return dataclasses.replace(scenario, farm=dataclasses.replace(scenario.farm,
                                                                  fleets=(fleet,)))


def _statuses(result: Any) -> dict[str, list[tuple[float, str]]]:
    out: dict[str, list[tuple[float, str]]] = {}
    for row in result.workers.itertuples():
        out.setdefault(str(row.worker_id), []).append((row.time, str(row.status)))
    return out


def test_the_script_runs_after_the_boot_and_is_billed() -> None:
    # GIVEN one 60 s task at t=0 on a fleet of 0..1 whose worker boots for 30 s, runs a 90 s
    # script, and stops as soon as it is idle (workerIdleDurationSeconds 0)
    sim = Simulation(scenario_from_dict(_scenario(boot="30s", workerIdleDurationSeconds=0)))
    sim.run()
    result = sim.result()
    # THEN the worker asks for work once boot and script are done (t=120), runs the task
    # until 180 and stops then
    (run,) = result.task_runs.itertuples()
    assert (run.assigned_at, run.ended_at) == (120.0, 180.0)
    (history,) = _statuses(result).values()
    assert history == [(0.0, "CREATED"), (0.0, "STARTED"), (120.0, "RUNNING"), (180.0, "IDLE"),
                       (180.0, "STOPPING"), (180.0, "STOPPED")]
    # AND the 120 s of boot and script are billed with the run: 180 s at 2 USD an hour
    summary = result.summary()
    assert summary["worker_hours"] == pytest.approx(180.0 / 3600.0)
    assert summary["cost_usd"]["workers"] == pytest.approx(180.0 / 3600.0 * 2.0)
    check_all(result)


def test_without_the_script_the_same_farm_bills_less() -> None:
    raw = _scenario(boot="30s", script_time=None, workerIdleDurationSeconds=0)
    del raw["farm"]["fleets"][0]["hostConfiguration"]
    sim = Simulation(scenario_from_dict(raw))
    sim.run()
    assert sim.result().summary()["worker_hours"] == pytest.approx(90.0 / 3600.0)


def test_a_script_past_its_timeout_fails_the_worker_which_is_replaced(tmp_path: Any) -> None:
    # GIVEN a scaling fleet of 0..1 (timeout 300 s) whose first worker's script would take
    # 400 s, the next one's 100 s
    scenario = _with_script_time(scenario_from_dict(_scenario(workerIdleDurationSeconds=0)),
                                 Draws(400.0, 100.0))
    sim = Simulation(scenario)
    sim.run()
    result = sim.result()
    first, second = _statuses(result).items()
    # THEN the first worker is cut off at the timeout: NOT_RESPONDING, then STOPPED, at 300
    assert first[1] == [(0.0, "CREATED"), (0.0, "STARTED"), (300.0, "NOT_RESPONDING"),
                        (300.0, "STOPPED")]
    # AND it never took work; the fleet started another at once, which took the task after
    # its 100 s script
    assert second[1][:3] == [(300.0, "CREATED"), (300.0, "STARTED"), (400.0, "RUNNING")]
    runs = result.task_runs
    assert set(runs.worker_id.astype(str)) == {second[0]}
    assert list(runs.assigned_at) == [400.0]
    assert list(result.jobs.task_run_status.astype(str)) == ["SUCCEEDED"]
    # AND both are billed: 300 s for the failed start, 100 + 60 s for the other
    assert result.summary()["worker_hours"] == pytest.approx((300.0 + 160.0) / 3600.0)
    # AND GetWorker reports the failed one STOPPED
    c = sim.client()
    fleet = c.resource_id("fleet", 0)
    got = c.get_worker(farmId=c.farm_id, fleetId=fleet, workerId=first[0])
    assert got["status"] == "STOPPED"
    check_all(result)
    # AND a saved result keeps the NOT_RESPONDING row, and is checked again when loaded
    from farmsim.record.result import Result

    result.save(tmp_path / "run")
    loaded = Result.load(tmp_path / "run")
    assert list(loaded.workers.status.astype(str)).count("NOT_RESPONDING") == 1
    check_all(loaded)


def test_a_longer_timeout_lets_the_same_script_finish() -> None:
    scenario = _with_script_time(
        scenario_from_dict(_scenario(timeout=600, workerIdleDurationSeconds=0)),
        Draws(400.0, 100.0))
    sim = Simulation(scenario)
    sim.run()
    runs = sim.result().task_runs
    assert list(runs.assigned_at) == [400.0]
    assert len(sim.workers) == 1


def test_a_fixed_service_managed_fleet_replaces_a_failed_worker_at_once() -> None:
    scenario = _with_script_time(scenario_from_dict(_scenario(low=2, high=2, tasks=2)),
                                 Draws(400.0, 100.0))
    sim = Simulation(scenario)
    sim.run(until=1000)
    result = sim.result()
    histories = list(_statuses(result).values())
    assert len(histories) == 3
    assert histories[0][-2:] == [(300.0, "NOT_RESPONDING"), (300.0, "STOPPED")]
    assert histories[2][0] == (300.0, "CREATED")
    assert sim.pool.live(sim.control.fleets[0]) == 2
    check_all(result)


def test_a_no_scaling_customer_managed_fleet_runs_one_host_fewer() -> None:
    # GIVEN two customer hosts, the first of whose scripts times out
    raw = _scenario(kind="customerManaged", low=0, high=2, workers=2, tasks=2)
    sim = Simulation(_with_script_time(scenario_from_dict(raw), Draws(400.0, 100.0)))
    sim.run()
    result = sim.result()
    # THEN nobody replaces it: the other host runs both tasks
    assert len(sim.workers) == 2
    assert result.task_runs.worker_id.nunique() == 1
    assert list(result.jobs.task_run_status.astype(str)) == ["SUCCEEDED"]
    check_all(result)


def test_an_event_based_fleet_replaces_a_failed_worker_a_lag_later() -> None:
    # GIVEN a customer-managed fleet of 1..1 following recommendations with a 45 s lag
    raw = _scenario(kind="customerManaged", low=1, high=2)
    raw["farm"]["fleets"][0]["simulation"]["scaling_lag"] = "45s"
    sim = Simulation(_with_script_time(scenario_from_dict(raw), Draws(400.0, 100.0)))
    sim.run()
    result = sim.result()
    histories = list(_statuses(result).values())
    # THEN the worker cut off at 300 s is replaced by the customer's automation at 345 s
    assert histories[0][-2:] == [(300.0, "NOT_RESPONDING"), (300.0, "STOPPED")]
    assert histories[1][:3] == [(345.0, "CREATED"), (345.0, "STARTED"), (445.0, "RUNNING")]
    check_all(result)


def test_update_fleet_host_configuration_applies_to_workers_started_from_then_on() -> None:
    # GIVEN a fixed fleet of 1 with a 90 s script; the script is removed at t=10
    sim = Simulation(scenario_from_dict(_scenario(low=1, high=1)))
    c = sim.client()
    ids = {"farmId": c.farm_id, "fleetId": c.resource_id("fleet", 0)}
    assert c.get_fleet(**ids)["hostConfiguration"] == {
        "scriptBody": "#!/bin/bash\ndnf -y install blender", "scriptTimeoutSeconds": 300}
    sim.run(until=10)
    c.update_fleet(**ids, hostConfiguration={"scriptBody": ""})
    assert "hostConfiguration" not in c.get_fleet(**ids)
    # WHEN a second worker starts THEN it asks for work at once
    c.update_fleet(**ids, minWorkerCount=2, maxWorkerCount=2)
    sim.run(until=200)
    first = sim.result().task_runs.assigned_at.min()
    assert first == 10.0  # (the new worker: the first is still running its script until 90)
