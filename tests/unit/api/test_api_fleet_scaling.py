"""GetFleet and ListFleets for a customer-managed fleet in EVENT_BASED_AUTO_SCALING mode (the
service's recommendation as ``targetWorkerCount``) and for a fleet with a host configuration
script; the responses conform to botocore's output shapes, through boto3 too."""

from __future__ import annotations

from typing import Any

import pytest

from farmsim.api._model import operation_model, shape_problems
from farmsim.engine.simulation import Simulation
from farmsim.scenario import scenario_from_dict

CAPABILITIES = {"vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192}, "osFamily": "LINUX",
                "cpuArchitectureType": "x86_64"}
SCRIPT = {"scriptBody": "#!/bin/bash\nmount /mnt/assets", "scriptTimeoutSeconds": 600}


def _scenario() -> dict[str, Any]:
    step = {"name": "s", "parameterSpace": {"taskParameterDefinitions": [
        {"name": "F", "type": "INT", "range": "1-6"}]},
        "script": {"actions": {"onRun": {"command": "r"}}}}
    return {"name": "fleets", "seed": 3,
            "farm": {"displayName": "f",
                     "queues": [{"displayName": "q", "fleets": ["hosts"]}],
                     "fleets": [
                         {"displayName": "hosts", "minWorkerCount": 0, "maxWorkerCount": 10,
                          "configuration": {"customerManaged": {
                              "mode": "EVENT_BASED_AUTO_SCALING",
                              "workerCapabilities": CAPABILITIES,
                              "autoScalingConfiguration": {"standbyWorkerCount": 1}}},
                          "hostConfiguration": SCRIPT,
                          "simulation": {"scaling_lag": "2m", "host_configuration_time": "1m"}},
                         {"displayName": "desk", "maxWorkerCount": 2,
                          "configuration": {"customerManaged": {
                              "mode": "NO_SCALING", "workerCapabilities": CAPABILITIES}},
                          "simulation": {"workers": 2}}]},
            "workload": {"jobs": [{"queue": "q", "at": 60, "template": {
                "specificationVersion": "jobtemplate-2023-09", "name": "j",
                "steps": [step]}}]},
            "runtimes": [{"duration": "10m"}]}


@pytest.fixture
def sim() -> Simulation:
    return Simulation(scenario_from_dict(_scenario()))


def test_get_fleet_reports_the_recommendation_before_the_fleet_follows(sim: Simulation) -> None:
    c = sim.client()
    ids = {"farmId": c.farm_id, "fleetId": c.resource_id("fleet", 0)}
    # GIVEN the standby worker recommended at t=0 (applied at 120 s)
    sim.run(until=61)
    got = c.get_fleet(**ids)
    # THEN at 61 s the service recommends the 6 tasks' workers plus 1 standby, the fleet has
    # none yet
    assert (got["targetWorkerCount"], got["autoScalingStatus"], got["workerCount"]) == (
        7, "GROWING", 0)
    assert got["hostConfiguration"] == SCRIPT
    assert shape_problems(got, operation_model("GetFleet").output_shape) == []
    # AND once the lag is over (and the workers' scripts done) the fleet has them
    sim.run(until=182)
    got = c.get_fleet(**ids)
    assert (got["targetWorkerCount"], got["autoScalingStatus"], got["workerCount"]) == (
        7, "STEADY", 7)
    listed = c.list_fleets(farmId=c.farm_id)["fleets"]
    assert [f.get("targetWorkerCount") for f in listed] == [7, None]
    assert shape_problems({"fleets": listed},
                          operation_model("ListFleets").output_shape) == []
    # AND a fleet without a script reports none
    assert "hostConfiguration" not in c.get_fleet(farmId=c.farm_id,
                                                  fleetId=c.resource_id("fleet", 1))


def test_boto3_parses_the_same_answer(sim: Simulation) -> None:
    pytest.importorskip("boto3")
    sim.run(until=61)
    client = sim.boto3_client()
    c = sim.client()
    got = client.get_fleet(farmId=c.farm_id, fleetId=c.resource_id("fleet", 0))
    assert (got["targetWorkerCount"], got["autoScalingStatus"]) == (7, "GROWING")
    assert got["hostConfiguration"] == SCRIPT


def test_update_fleet_bounds_of_an_event_based_fleet(sim: Simulation) -> None:
    c = sim.client()
    ids = {"farmId": c.farm_id, "fleetId": c.resource_id("fleet", 0)}
    sim.run(until=61)
    # WHEN maxWorkerCount drops to 3 THEN the recommendation drops with it (no worker to stop
    # yet) and the fleet takes 3 at the lag
    c.update_fleet(**ids, maxWorkerCount=3)
    sim.run(until=62)
    got = c.get_fleet(**ids)
    assert (got["maxWorkerCount"], got["targetWorkerCount"]) == (3, 3)
    sim.run(until=1000)
    assert c.get_fleet(**ids)["workerCount"] == 3
