"""UpdateQueueFleetAssociation, UpdateQueue, UpdateFleet and the queue environments: what each
does to the running farm, and what the API reports back."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from farmsim.api.errors import NotModelledError
from farmsim.engine.simulation import Simulation
from farmsim.record.invariants import check_all
from farmsim.scenario import scenario_from_dict

TASKS = 8


def _template(name: str) -> dict[str, Any]:
    return {"specificationVersion": "jobtemplate-2023-09", "name": name,
            "steps": [{"name": "S", "parameterSpace": {"taskParameterDefinitions": [
                {"name": "F", "type": "INT", "range": f"1-{TASKS}"}]},
                "script": {"actions": {"onRun": {"command": "x"}}}}]}


_CMF = {"mode": "NO_SCALING", "workerCapabilities": {
    "vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192}, "osFamily": "LINUX",
    "cpuArchitectureType": "x86_64"}}
_SMF = {"instanceCapabilities": {"vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192},
                                 "osFamily": "LINUX", "cpuArchitectureType": "x86_64"},
        "instanceMarketOptions": {"type": "spot"}}
_ENV = {"specificationVersion": "environment-2023-09",
        "environment": {"name": "Conda", "script": {"actions": {"onEnter": {"command": "c"}}}}}
_ENV2 = {"specificationVersion": "environment-2023-09",
         "environment": {"name": "Mounts", "script": {"actions": {"onEnter": {"command": "m"}}}}}


def _scenario(*, cloud: int = 2, comp_fleets: tuple[str, ...] = ("linux",)) -> dict[str, Any]:
    farm: dict[str, Any] = {
        "displayName": "studio",
        "queues": [{"displayName": "render", "fleets": ["linux", "cloud"],
                    "environments": [{"template": _ENV2, "priority": 5},
                                     {"template": _ENV, "priority": 1}]},
                   {"displayName": "comp", "fleets": list(comp_fleets)}],
        "fleets": [{"displayName": "linux", "minWorkerCount": 0, "maxWorkerCount": 4,
                    "configuration": {"customerManaged": _CMF}, "simulation": {"workers": 2}},
                   {"displayName": "cloud", "minWorkerCount": cloud, "maxWorkerCount": cloud,
                    "configuration": {"serviceManagedEc2": _SMF}}],
    }
    jobs = [{"template": _template("r"), "queue": "render", "at": 0, "priority": 50},
            {"template": _template("c"), "queue": "comp", "at": 0, "priority": 50}]
    return {"name": "updates", "seed": 5, "start": "2026-03-02T09:00:00", "farm": farm,
            "workload": {"jobs": jobs}, "runtimes": [{"duration": "60s"}]}


class Farm:
    def __init__(self, **kwargs: Any) -> None:
        self.sim = Simulation(scenario_from_dict(_scenario(**kwargs)))
        self.client = c = self.sim.client()
        self.farm = c.list_farms()["farms"][0]["farmId"]
        queues = c.list_queues(farmId=self.farm)["queues"]
        self.queue = {q["displayName"]: q["queueId"] for q in queues}
        fleets = c.list_fleets(farmId=self.farm)["fleets"]
        self.fleet = {f["displayName"]: f["fleetId"] for f in fleets}

    def qfa(self, queue: str, fleet: str) -> dict[str, Any]:
        return self.client.get_queue_fleet_association(
            farmId=self.farm, queueId=self.queue[queue], fleetId=self.fleet[fleet])

    def set_qfa(self, queue: str, fleet: str, status: str) -> None:
        self.client.update_queue_fleet_association(
            farmId=self.farm, queueId=self.queue[queue], fleetId=self.fleet[fleet],
            status=status)

    def job(self, queue: str) -> dict[str, Any]:
        job_id = self.client.list_jobs(farmId=self.farm,
                                       queueId=self.queue[queue])["jobs"][0]["jobId"]
        return self.client.get_job(farmId=self.farm, queueId=self.queue[queue], jobId=job_id)


# ---------------------------------------------------------------------- queue-fleet associations


def test_stop_and_complete_lets_runs_finish_then_takes_nothing_more() -> None:
    farm = Farm()
    farm.sim.run(until=30)  # every worker is 30 s into a 60 s task run
    farm.set_qfa("render", "linux", "STOP_SCHEDULING_AND_COMPLETE_TASKS")
    before = farm.qfa("render", "linux")
    farm.sim.run(until=3600)
    after = farm.qfa("render", "linux")
    runs = farm.sim.result().task_runs
    linux, render = farm.fleet["linux"], farm.queue["render"]
    mine = runs[(runs.fleet_id == linux) & (runs.queue_id == render)]
    assert before["status"] in ("STOP_SCHEDULING_AND_COMPLETE_TASKS", "STOPPED")
    assert after["status"] == "STOPPED"
    assert after["updatedAt"] == farm.sim.start_time + __import__("datetime").timedelta(
        seconds=30)
    # Nothing of render assigned to linux after the stop; what it had finished.
    assert (mine.assigned_at <= 30).all()
    assert set(mine.status) <= {"SUCCEEDED"}
    # render still finished, on the cloud fleet; comp (also linux's) too.
    assert farm.job("render")["taskRunStatus"] == "SUCCEEDED"
    assert farm.job("comp")["taskRunStatus"] == "SUCCEEDED"
    check_all(farm.sim.result())


def test_stop_and_cancel_requeues_the_runs_without_a_retry() -> None:
    farm = Farm()
    farm.sim.run(until=30)
    linux, render = farm.fleet["linux"], farm.queue["render"]
    running = [w for w in farm.sim.control.fleets[0].workers
               if w.job is not None and w.job.queue_index == 0]
    assert running, "the scenario should have linux workers on render at 30 s"
    farm.set_qfa("render", "linux", "STOP_SCHEDULING_AND_CANCEL_TASKS")
    assert farm.qfa("render", "linux")["status"] == "STOPPED"  # (no envExits to run)
    farm.sim.run(until=3600)
    result = farm.sim.result()
    runs = result.task_runs
    mine = runs[(runs.fleet_id == linux) & (runs.queue_id == render)]
    canceled = mine[mine.status == "CANCELED"]
    assert len(canceled) == len(running)
    assert (canceled.ended_at == 30).all()
    assert (mine.assigned_at <= 30).all()
    # The canceled tasks ran again elsewhere as first attempts, and succeeded.
    again = runs[runs.task_id.isin(canceled.task_id) & (runs.status == "SUCCEEDED")]
    assert len(again) == len(canceled)
    assert set(again.fleet_id) == {farm.fleet["cloud"]}
    assert (again.attempt == 0).all()
    assert farm.job("render")["taskRunStatus"] == "SUCCEEDED"
    assert farm.job("render")["taskFailureRetryCount"] == 0
    check_all(result)


def test_a_queue_whose_only_fleet_stops_waits_and_resumes() -> None:
    farm = Farm()  # comp is served by linux only
    farm.set_qfa("comp", "linux", "STOP_SCHEDULING_AND_COMPLETE_TASKS")
    farm.sim.run(until=7200)
    comp = farm.job("comp")
    assert comp["taskRunStatusCounts"]["READY"] == TASKS
    assert farm.qfa("comp", "linux")["status"] == "STOPPED"
    # linux still served render, and is idle now.
    assert farm.job("render")["taskRunStatus"] == "SUCCEEDED"
    farm.set_qfa("comp", "linux", "ACTIVE")
    assert farm.qfa("comp", "linux")["status"] == "ACTIVE"
    farm.sim.run(until=7200 + 3600)
    comp = farm.job("comp")
    assert comp["taskRunStatus"] == "SUCCEEDED"
    runs = farm.sim.result().task_runs
    comp_runs = runs[runs.queue_id == farm.queue["comp"]]
    assert (comp_runs.assigned_at >= 7200).all()
    # Both linux workers were woken at once for it (4 tasks each, 60 s apiece).
    assert comp_runs.worker_id.nunique() == 2
    check_all(farm.sim.result())


def test_a_single_queue_fleet_stopped_mid_run_resumes() -> None:
    farm = Farm(comp_fleets=("linux",))
    farm.sim.run(until=30)
    farm.set_qfa("render", "cloud", "STOP_SCHEDULING_AND_COMPLETE_TASKS")
    farm.sim.run(until=90)
    assert farm.qfa("render", "cloud")["status"] == "STOPPED"
    farm.set_qfa("render", "cloud", "ACTIVE")
    farm.sim.run(until=3600)
    runs = farm.sim.result().task_runs
    cloud = runs[runs.fleet_id == farm.fleet["cloud"]]
    assert not ((cloud.assigned_at > 30) & (cloud.assigned_at < 90)).any()
    assert (cloud.assigned_at >= 90).any()
    assert farm.job("render")["taskRunStatus"] == "SUCCEEDED"
    check_all(farm.sim.result())


def test_association_errors() -> None:
    farm = Farm(comp_fleets=("linux",))
    with pytest.raises(farm.client.exceptions.ResourceNotFoundException):
        farm.set_qfa("comp", "cloud", "ACTIVE")  # not associated
    with pytest.raises(farm.client.exceptions.ClientError):
        farm.set_qfa("comp", "linux", "STOPPED")  # users cannot set STOPPED (botocore's enum)
    listed = farm.client.list_queue_fleet_associations(farmId=farm.farm)
    assert {a["status"] for a in listed["queueFleetAssociations"]} == {"ACTIVE"}


# ---------------------------------------------------------------------- queues


def test_update_queue_reports_what_it_was_given() -> None:
    farm = Farm()
    c = farm.client
    farm.sim.run(until=120)
    c.update_queue(farmId=farm.farm, queueId=farm.queue["comp"], displayName="Comp",
                   description="nuke", roleArn="arn:aws:iam::123456789012:role/q",
                   jobRunAsUser={"runAs": "WORKER_AGENT_USER"},
                   requiredFileSystemLocationNamesToAdd=["a", "b"],
                   schedulingConfiguration={"priorityFifo": {}})
    c.update_queue(farmId=farm.farm, queueId=farm.queue["comp"],
                   requiredFileSystemLocationNamesToRemove=["a"])
    got = c.get_queue(farmId=farm.farm, queueId=farm.queue["comp"])
    assert got["displayName"] == "Comp"
    assert got["description"] == "nuke"
    assert got["roleArn"].endswith("role/q")
    assert got["jobRunAsUser"] == {"runAs": "WORKER_AGENT_USER"}
    assert got["requiredFileSystemLocationNames"] == ["b"]
    assert got["schedulingConfiguration"] == {"priorityFifo": {}}
    assert (got["updatedAt"] - farm.sim.start_time).total_seconds() == 120
    listed = {q["queueId"]: q for q in c.list_queues(farmId=farm.farm)["queues"]}
    assert listed[farm.queue["comp"]]["displayName"] == "Comp"
    assert "updatedAt" not in listed[farm.queue["render"]]
    # The run goes on with the queue's jobs filed again under the new policy.
    farm.sim.run(until=3600)
    assert farm.job("comp")["taskRunStatus"] == "SUCCEEDED"
    check_all(farm.sim.result())


def test_update_queue_refuses_what_it_does_not_model() -> None:
    farm = Farm()
    c, ids = farm.client, {"farmId": farm.farm, "queueId": farm.queue["comp"]}
    with pytest.raises(NotModelledError, match="defaultBudgetAction"):
        c.update_queue(**ids, defaultBudgetAction="STOP_SCHEDULING_AND_COMPLETE_TASKS")
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.update_queue(**ids, allowedStorageProfileIdsToAdd=["sp-" + "0" * 32])
    assert "updatedAt" not in c.get_queue(**ids)  # nothing was changed by a refusal


@pytest.mark.parametrize("configuration", [
    {"priorityBalanced": {}},
    {"priorityBalanced": {"renderingTaskBuffer": 4}},
    {"weightedBalanced": {}},
    {"weightedBalanced": {"priorityWeight": 50.0, "errorWeight": -1.0,
                          "submissionTimeWeight": 0.5, "renderingTaskWeight": -20.0,
                          "renderingTaskBuffer": 0,
                          "maxPriorityOverride": {"alwaysScheduleFirst": {}},
                          "minPriorityOverride": {"alwaysScheduleLast": {}}}},
])
def test_update_queue_to_a_balanced_configuration(configuration: dict) -> None:
    # GIVEN a farm running under priorityFifo
    farm = Farm()
    c, ids = farm.client, {"farmId": farm.farm, "queueId": farm.queue["comp"]}
    farm.sim.run(until=60)
    # WHEN the queue is given a balanced configuration
    c.update_queue(**ids, schedulingConfiguration=configuration)
    # THEN GetQueue reports it as given, the queue's policy is the configuration's, and the
    # run goes on to the end with its jobs filed again under it
    assert c.get_queue(**ids)["schedulingConfiguration"] == configuration
    (name, parameters), = configuration.items()
    policy = next(q.policy for q in farm.sim.control.queues if q.name == "comp")
    assert policy.name == name
    assert {k: v for k, v in policy.parameters.items() if k in parameters} == parameters
    farm.sim.run(until=3600)
    assert farm.job("comp")["taskRunStatus"] == "SUCCEEDED"
    check_all(farm.sim.result())


@pytest.mark.parametrize(("configuration", "message"), [
    ({"priorityBalanced": {"renderingTaskBuffer": 1001}},
     "renderingTaskBuffer: 1001 is above the maximum 1000"),
    ({"weightedBalanced": {"priorityWeight": 10001.0}},
     "priorityWeight: 10001.0 is above the maximum 10000"),
])
def test_update_queue_refuses_parameters_out_of_range(configuration: dict, message: str) -> None:
    farm = Farm()
    c, ids = farm.client, {"farmId": farm.farm, "queueId": farm.queue["comp"]}
    with pytest.raises(c.exceptions.ValidationException, match=message):
        c.update_queue(**ids, schedulingConfiguration=configuration)
    assert c.get_queue(**ids)["schedulingConfiguration"] == {"priorityFifo": {}}


# ---------------------------------------------------------------------- fleets


def test_update_fleet_resizes_a_service_managed_fleet() -> None:
    farm = Farm()
    c, ids = farm.client, {"farmId": farm.farm, "fleetId": farm.fleet["cloud"]}
    farm.sim.run(until=30)
    c.update_fleet(**ids, minWorkerCount=6, maxWorkerCount=6)
    farm.sim.run(until=31)
    got = c.get_fleet(**ids)
    assert (got["minWorkerCount"], got["maxWorkerCount"], got["workerCount"]) == (6, 6, 6)
    assert len(c.list_workers(**ids)["workers"]) == 6
    farm.sim.run(until=3600)
    runs = farm.sim.result().task_runs
    cloud = runs[runs.fleet_id == farm.fleet["cloud"]]
    assert cloud.worker_id.nunique() > 2  # the new workers took render tasks
    # Shrink: idle workers go first, and nothing is lost.
    c.update_fleet(**ids, minWorkerCount=1, maxWorkerCount=1)
    farm.sim.run(until=3601)
    assert c.get_fleet(**ids)["workerCount"] == 1
    statuses = {w["status"] for w in c.list_workers(**ids)["workers"]}
    assert statuses <= {"STOPPED", "IDLE"}
    check_all(farm.sim.result())


def test_shrinking_a_busy_fleet_lets_its_runs_finish() -> None:
    farm = Farm()
    c, ids = farm.client, {"farmId": farm.farm, "fleetId": farm.fleet["cloud"]}
    farm.sim.run(until=30)
    c.update_fleet(**ids, minWorkerCount=0, maxWorkerCount=0)
    farm.sim.run(until=3600)
    runs = farm.sim.result().task_runs
    cloud = runs[runs.fleet_id == farm.fleet["cloud"]]
    assert len(cloud) == 2 and set(cloud.status) == {"SUCCEEDED"}
    assert (cloud.assigned_at < 30).all() and (cloud.ended_at > 30).all()
    assert c.get_fleet(**ids)["workerCount"] == 0
    assert farm.job("render")["taskRunStatus"] == "SUCCEEDED"
    check_all(farm.sim.result())


def test_update_fleet_refusals_and_reports() -> None:
    farm = Farm()
    c = farm.client
    cloud = {"farmId": farm.farm, "fleetId": farm.fleet["cloud"]}
    linux = {"farmId": farm.farm, "fleetId": farm.fleet["linux"]}
    with pytest.raises(c.exceptions.ValidationException, match="minWorkerCount"):
        c.update_fleet(**cloud, minWorkerCount=4, maxWorkerCount=3)
    with pytest.raises(c.exceptions.ValidationException, match="2 running hosts"):
        c.update_fleet(**linux, maxWorkerCount=1)
    with pytest.raises(c.exceptions.ValidationException, match="customerManaged"):
        c.update_fleet(**linux, configuration={"serviceManagedEc2": _SMF})
    assert "updatedAt" not in c.get_fleet(**linux)
    caps = dict(_CMF, workerCapabilities=dict(_CMF["workerCapabilities"], customAmounts=[
        {"name": "amount.gpu", "min": 1}]))
    c.update_fleet(**linux, displayName="Linux", description="desk", maxWorkerCount=8,
                   configuration={"customerManaged": caps})
    got = c.get_fleet(**linux)
    assert (got["displayName"], got["description"], got["maxWorkerCount"]) == (
        "Linux", "desk", 8)
    assert got["configuration"]["customerManaged"]["workerCapabilities"]["customAmounts"]
    assert farm.sim.control.fleets[0].capabilities.amounts["amount.gpu"] == (1.0, float("inf"))


# ---------------------------------------------------------------------- queue environments


def test_queue_environments_by_priority() -> None:
    farm = Farm()
    c, ids = farm.client, {"farmId": farm.farm, "queueId": farm.queue["render"]}
    listed = c.list_queue_environments(**ids)["environments"]
    assert [(e["name"], e["priority"]) for e in listed] == [("Conda", 1), ("Mounts", 5)]
    assert all(re.fullmatch(r"queueenv-[0-9a-f]{32}", e["queueEnvironmentId"])
               for e in listed)
    got = c.get_queue_environment(**ids, queueEnvironmentId=listed[1]["queueEnvironmentId"])
    assert got["templateType"] == "JSON"
    assert json.loads(got["template"])["environment"]["name"] == "Mounts"
    first = c.list_queue_environments(**ids, maxResults=1)
    second = c.list_queue_environments(**ids, maxResults=1, nextToken=first["nextToken"])
    assert first["environments"] + second["environments"] == listed
    assert "nextToken" not in second
    assert c.list_queue_environments(farmId=farm.farm,
                                     queueId=farm.queue["comp"])["environments"] == []
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.get_queue_environment(farmId=farm.farm, queueId=farm.queue["comp"],
                                queueEnvironmentId=listed[0]["queueEnvironmentId"])


def test_an_operation_farmsim_does_not_model_says_so() -> None:
    farm = Farm()
    with pytest.raises(NotModelledError, match="does not model the CreateBudget operation"):
        farm.client.create_budget(farmId=farm.farm)
    assert not hasattr(farm.client, "create_budget")  # (an AttributeError too)
    assert not farm.client.can_paginate("list_storage_profiles")
    assert farm.client.can_paginate("list_budgets")
    with pytest.raises(AttributeError, match="no attribute 'get_jobs'"):
        farm.client.get_jobs()  # (a typo is no operation of the service)


def test_a_fleet_too_big_to_simulate_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FARMSIM_MEMORY_LIMIT", "1GB")
    farm = Farm()
    c, ids = farm.client, {"farmId": farm.farm, "fleetId": farm.fleet["cloud"]}
    big = 2**31 - 1
    with pytest.raises(c.exceptions.ServiceQuotaExceededException, match="more workers"):
        c.update_fleet(**ids, minWorkerCount=big, maxWorkerCount=big)
    assert c.get_fleet(**ids)["maxWorkerCount"] == 2
    assert len(farm.sim.workers) == 4


def test_update_fleet_makes_a_fixed_fleet_scale() -> None:
    farm = Farm()
    c, ids = farm.client, {"farmId": farm.farm, "fleetId": farm.fleet["cloud"]}
    c.update_fleet(**ids, minWorkerCount=0, maxWorkerCount=12, configuration={
        "serviceManagedEc2": dict(_SMF, autoScalingConfiguration={
            "scaleOutWorkersPerMinute": 4, "workerIdleDurationSeconds": 60})})
    farm.sim.run(until=1)
    got = c.get_fleet(**ids)
    assert (got["minWorkerCount"], got["maxWorkerCount"]) == (0, 12)
    assert got["targetWorkerCount"] == 8  # the 8 READY render tasks (no standby)
    assert got["autoScalingStatus"] == "GROWING"
    assert got["workerCount"] == 6  # its 2, and 4 started in the first minute
    farm.sim.run(until=3600)
    got = c.get_fleet(**ids)
    assert (got["workerCount"], got["targetWorkerCount"], got["autoScalingStatus"]) == (
        0, 0, "STEADY")
    check_all(farm.sim.result())


def test_get_fleet_reports_the_capabilities_steps_are_matched_against() -> None:
    farm = Farm()
    got = farm.client.get_fleet(farmId=farm.farm, fleetId=farm.fleet["linux"])
    assert got["capabilities"] == {
        "amounts": [{"name": "amount.worker.memory", "min": 8192.0},
                    {"name": "amount.worker.vcpu", "min": 4.0}],
        "attributes": [{"name": "attr.worker.cpu.arch", "values": ["x86_64"]},
                       {"name": "attr.worker.os.family", "values": ["linux"]}]}
    from farmsim.api._model import operation_model, shape_problems

    assert shape_problems(got, operation_model("GetFleet").output_shape) == []
