"""Customer-managed fleets in EVENT_BASED_AUTO_SCALING mode (farmsim.engine.autoscaling's
Recommender; semantics F.2, docs/semantics.md D16): the service recommends fleet sizes as it
would scale a service-managed fleet, and the fleet takes each recommendation a
``simulation.scaling_lag`` later; a recommendation a newer one overtakes is dropped."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from farmsim.engine.simulation import Simulation
from farmsim.model.distributions import Distribution
from farmsim.record.invariants import check_all
from farmsim.scenario import scenario_from_dict
from farmsim.scenario.config import Scenario
from tests.unit.engine.farm_builders import Draws

CAPABILITIES = {"vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192}, "osFamily": "LINUX",
                "cpuArchitectureType": "x86_64"}


def _scenario(*, tasks: int = 20, low: int = 1, high: int = 8, at: float = 100,
              duration: str = "600s", lag: Any = None, **scaling: Any) -> dict[str, Any]:
    cmf: dict[str, Any] = {"mode": "EVENT_BASED_AUTO_SCALING",
                           "workerCapabilities": CAPABILITIES}
    if scaling:
        cmf["autoScalingConfiguration"] = scaling
    simulation: dict[str, Any] = {"cost_per_hour": 1.0}
    if lag is not None:
        simulation["scaling_lag"] = lag
    step = {"name": "s", "parameterSpace": {"taskParameterDefinitions": [
        {"name": "F", "type": "INT", "range": f"1-{tasks}"}]},
        "script": {"actions": {"onRun": {"command": "r"}}}}
    return {"name": "event-based", "seed": 2, "start": "2026-03-02T09:00:00",
            "farm": {"displayName": "f", "simulation": {"worker_poll_interval": 0},
                     "queues": [{"displayName": "q", "fleets": ["hosts"]}],
                     "fleets": [{"displayName": "hosts", "minWorkerCount": low,
                                 "maxWorkerCount": high,
                                 "configuration": {"customerManaged": cmf},
                                 "simulation": simulation}]},
            "workload": {"jobs": [{"queue": "q", "at": at, "template": {
                "specificationVersion": "jobtemplate-2023-09", "name": "j",
                "steps": [step]}}]},
            "runtimes": [{"duration": duration}]}


def _with_lag(scenario: Scenario, lag: Distribution) -> Scenario:
    fleet = dataclasses.replace(scenario.farm.fleets[0], scaling_lag=lag)
    return dataclasses.replace(scenario, farm=dataclasses.replace(scenario.farm,
                                                                  fleets=(fleet,)))


def _live(sim: Simulation) -> int:
    return sim.pool.live(sim.control.fleets[0])


def _sizes(sim: Simulation, times: list[float]) -> list[int]:
    out = []
    for t in times:
        sim.run(until=t)
        out.append(_live(sim))
    return out


def _get_fleet(sim: Simulation) -> dict[str, Any]:
    c = sim.client()
    return c.get_fleet(farmId=c.farm_id, fleetId=c.resource_id("fleet", 0))


def test_a_recommendation_is_applied_only_after_the_lag() -> None:
    # GIVEN a fleet of 1..8 whose automation takes 90 s, and 20 tasks at t=100
    sim = Simulation(scenario_from_dict(_scenario(lag="90s")))
    assert _sizes(sim, [99]) == [1]
    # WHEN the work arrives THEN the service recommends 8 workers at once (10 a minute allowed)
    sim.run(until=150)
    got = _get_fleet(sim)
    assert (got["targetWorkerCount"], got["autoScalingStatus"], got["workerCount"]) == (
        8, "GROWING", 1)
    # AND the fleet stays at 1 until the lag is over, then has 8
    assert _sizes(sim, [189.999, 190.001]) == [1, 8]
    got = _get_fleet(sim)
    assert (got["targetWorkerCount"], got["autoScalingStatus"], got["workerCount"]) == (
        8, "STEADY", 8)
    result = sim.result()
    w = result.workers
    created = w[w.status == "CREATED"].time.to_numpy()
    assert list(created) == [0.0] + [190.0] * 7
    # AND fleet_scaling keeps the recommendation and the workers the fleet had
    rows = [(r.time, r.target_worker_count, r.worker_count, str(r.status))
            for r in result.fleet_scaling.itertuples()]
    assert rows[:3] == [(0.0, 1, 1, "STEADY"), (100.0, 8, 1, "GROWING"),
                        (190.0, 8, 8, "STEADY")]
    check_all(result)


def test_the_lag_defaults_to_a_minute() -> None:
    sim = Simulation(scenario_from_dict(_scenario()))
    assert _sizes(sim, [159.999, 160.001]) == [1, 8]


def test_recommendations_grow_at_the_scale_out_rate_each_applied_a_lag_later() -> None:
    # GIVEN 3 workers a minute and a 20 s lag
    sim = Simulation(scenario_from_dict(_scenario(lag=20, scaleOutWorkersPerMinute=3)))
    # THEN the recommendation goes 1 -> 4 at t=100, 7 at 160, 8 at 220; the fleet follows 20 s
    # later each time
    assert _sizes(sim, [119, 121, 179, 181, 239, 241]) == [1, 4, 4, 7, 7, 8]
    targets = [(r.time, r.target_worker_count) for r in sim.result().fleet_scaling.itertuples()]
    assert [(t, n) for t, n in targets if t in (100.0, 160.0, 220.0)][:3] == [
        (100.0, 4), (160.0, 7), (220.0, 8)]


def test_a_recommendation_overtaken_by_a_newer_one_is_dropped() -> None:
    # GIVEN 3 workers a minute, and lags drawn 300 s for the first recommendation, 10 s after
    scenario = _with_lag(scenario_from_dict(_scenario(scaleOutWorkersPerMinute=3)),
                         Draws(300.0, 10.0))
    sim = Simulation(scenario)
    # WHEN the service recommends 4 at t=100 (due at 400) and 7 at t=160 (due at 170)
    # THEN the fleet goes from 1 straight to 7 at 170, then 8 (recommended at 220) at 230
    assert _sizes(sim, [169.999, 170.001, 229.999, 230.001]) == [1, 7, 7, 8]
    # AND at 400 the overtaken recommendation of 4 changes nothing: the fleet never goes back
    assert _sizes(sim, [399.999, 400.001]) == [8, 8]
    w = sim.result().workers
    assert not (w.status == "STOPPING").any()
    check_all(sim.result())


def test_scale_in_after_the_idle_duration_and_the_lag_idle_workers_first() -> None:
    # GIVEN 8 one-minute tasks on a fleet of 1..8 idling 120 s, a 30 s lag
    sim = Simulation(scenario_from_dict(_scenario(tasks=8, duration="60s", lag=30,
                                                  workerIdleDurationSeconds=120)))
    sim.run()
    result = sim.result()
    w = result.workers
    # THEN every worker but one stops idle, 120 s of idle time plus the lag after it went idle
    stopped = w[w.status == "STOPPED"]
    assert len(stopped) == 7
    last_idle = w[w.status == "IDLE"].groupby("worker_id", observed=True).time.max()
    for worker, when in zip(stopped.worker_id, stopped.time, strict=True):
        assert when - last_idle[worker] == pytest.approx(150.0)
    # AND the fleet ends at minWorkerCount, the recommendation with it
    assert _live(sim) == 1
    last = result.fleet_scaling.iloc[-1]
    assert (last.target_worker_count, last.worker_count, str(last.status)) == (1, 1, "STEADY")
    assert list(result.jobs.task_run_status.astype(str)) == ["SUCCEEDED"]
    check_all(result)


def test_the_fleet_stays_within_its_bounds() -> None:
    # GIVEN 60 ninety-second tasks on 2..6 workers, idle 30 s, lags drawn 10 s to 3 minutes
    sim = Simulation(scenario_from_dict(_scenario(
        tasks=60, low=2, high=6, duration="90s", workerIdleDurationSeconds=30,
        scaleOutWorkersPerMinute=2, lag={"dist": "uniform", "low": "10s", "high": "3m"})))
    sizes = _sizes(sim, list(np.arange(1.0, 4000.0, 7.0)))
    # THEN the fleet never leaves its bounds, nor do the recommendations
    assert min(sizes) >= 2 and max(sizes) <= 6
    assert max(sizes) == 6  # (it did scale out)
    sim.run()
    result = sim.result()
    table = result.fleet_scaling
    assert table.target_worker_count.between(2, 6).all()
    assert table.worker_count.between(2, 6).all()
    assert list(result.jobs.task_run_status.astype(str)) == ["SUCCEEDED"]
    assert _live(sim) == 2
    check_all(result)


def test_update_fleet_bounds_are_recommended_then_applied_after_the_lag() -> None:
    # GIVEN an idle fleet of 1..8 (no work before t=10000), a 45 s lag
    sim = Simulation(scenario_from_dict(_scenario(at=10_000, lag=45)))
    sim.run(until=100)
    c = sim.client()
    ids = {"farmId": c.farm_id, "fleetId": c.resource_id("fleet", 0)}
    # WHEN minWorkerCount becomes 4
    c.update_fleet(**ids, minWorkerCount=4)
    # THEN 4 is recommended at once, and the fleet has 4 workers 45 s later
    sim.run(until=101)
    got = c.get_fleet(**ids)
    assert (got["minWorkerCount"], got["targetWorkerCount"], got["workerCount"]) == (4, 4, 1)
    assert _sizes(sim, [144.999, 145.001]) == [1, 4]
    # AND its mode cannot change
    from farmsim.api.errors import NotModelledError

    with pytest.raises(NotModelledError, match="mode"):
        c.update_fleet(**ids, configuration={"customerManaged": {
            "mode": "NO_SCALING", "workerCapabilities": CAPABILITIES}})
