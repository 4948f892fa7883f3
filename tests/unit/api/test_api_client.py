"""sim.client(): the read operations of the farm and its jobs, each response held to botocore's
output shape, and the service's errors."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError, ParamValidationError

from farmsim.api._model import operation_model, shape_problems
from farmsim.engine.simulation import Simulation
from farmsim.errors import UsageError
from farmsim.scenario import scenario_from_dict

READ_OPERATIONS = ("GetFarm", "ListFarms", "GetQueue", "ListQueues", "GetFleet", "ListFleets",
                   "GetLimit", "ListLimits", "GetJob", "ListJobs", "GetWorker", "ListWorkers",
                   "GetQueueFleetAssociation", "ListQueueFleetAssociations",
                   "GetQueueLimitAssociation", "ListQueueLimitAssociations")


def _scenario(jobs: int = 5, start: str | None = "2026-03-02T09:00:00") -> dict[str, Any]:
    template = {
        "specificationVersion": "jobtemplate-2023-09", "name": "comp",
        "steps": [{"name": "nuke", "parameterSpace": {"taskParameterDefinitions": [
            {"name": "F", "type": "INT", "range": "1-4"}]},
            "hostRequirements": {"amounts": [{"name": "amount.license.nuke", "min": 1}]},
            "script": {"actions": {"onRun": {"command": "nuke"}}}}],
    }
    raw: dict[str, Any] = {
        "name": "api", "seed": 7,
        "farm": {
            "displayName": "studio",
            "queues": [{"displayName": "render", "fleets": ["linux"], "limits": ["nuke"]},
                       {"displayName": "idle-queue"}],
            "fleets": [{"displayName": "linux", "minWorkerCount": 0, "maxWorkerCount": 2,
                        "configuration": {"customerManaged": {
                            "mode": "NO_SCALING", "workerCapabilities": {
                                "vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192},
                                "osFamily": "LINUX", "cpuArchitectureType": "x86_64"}}},
                        "simulation": {"workers": 2}}],
            "limits": [{"displayName": "nuke", "amountRequirementName": "amount.license.nuke",
                        "maxCount": 1}],
        },
        "workload": {"jobs": [{"template": template, "queue": "render", "at": 10 * i,
                               "priority": 50 + i} for i in range(jobs)]},
        "runtimes": [{"duration": "60s"}],
    }
    if start is not None:
        raw["start"] = start
    return raw


@pytest.fixture
def sim() -> Simulation:
    simulation = Simulation(scenario_from_dict(_scenario()))
    simulation.run(until=100.0)
    return simulation


def _ids(client: Any) -> dict[str, str]:
    farm = client.list_farms()["farms"][0]["farmId"]
    queues = client.list_queues(farmId=farm)["queues"]
    return {"farmId": farm, "queueId": queues[0]["queueId"],
            "fleetId": client.list_fleets(farmId=farm)["fleets"][0]["fleetId"],
            "limitId": client.list_limits(farmId=farm)["limits"][0]["limitId"],
            "jobId": client.list_jobs(farmId=farm, queueId=queues[0]["queueId"]
                                      )["jobs"][0]["jobId"],
            "workerId": client.list_workers(
                farmId=farm, fleetId=client.list_fleets(farmId=farm)["fleets"][0]["fleetId"]
            )["workers"][0]["workerId"]}


@pytest.mark.parametrize("operation", READ_OPERATIONS)
def test_each_response_conforms_to_botocores_output_shape(sim: Simulation,
                                                          operation: str) -> None:
    client = sim.client()
    ids = _ids(client)
    members = operation_model(operation).input_shape.members
    response = getattr(client, xform_name(operation))(
        **{k: v for k, v in ids.items() if k in members})
    assert shape_problems(response, operation_model(operation).output_shape) == []


def test_ids_and_figures_are_the_run_tables(sim: Simulation) -> None:
    client = sim.client()
    ids = _ids(client)
    result = sim.result()
    jobs = client.list_jobs(farmId=ids["farmId"], queueId=ids["queueId"])["jobs"]
    table = result.jobs
    assert [j["jobId"] for j in jobs] == [str(x) for x in table["job_id"]]
    assert [j["name"] for j in jobs] == list(table["name"])
    assert [j["taskRunStatus"] for j in jobs] == [str(s) for s in table["task_run_status"]]
    # at t=100: a limit of 1 and 60 s tasks: the first job's first task succeeded at 60 s
    first = client.get_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=ids["jobId"])
    assert first["createdAt"] == dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    assert [j.get("startedAt") for j in jobs] == [
        None if math.isnan(t) else start + dt.timedelta(seconds=t) for t in table["started_at"]]
    assert jobs[4]["startedAt"] - jobs[0]["startedAt"] == dt.timedelta(seconds=60)
    assert first["taskRunStatusCounts"]["SUCCEEDED"] >= 1
    assert sum(first["taskRunStatusCounts"].values()) == 4
    assert "endedAt" not in first
    limit = client.get_limit(farmId=ids["farmId"], limitId=ids["limitId"])
    assert (limit["currentCount"], limit["maxCount"]) == (1, 1)
    sim.run()
    done = client.get_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=ids["jobId"])
    assert done["taskRunStatus"] == "SUCCEEDED" and "endedAt" in done
    assert client.get_limit(farmId=ids["farmId"], limitId=ids["limitId"])["currentCount"] == 0
    assert client.get_queue(farmId=ids["farmId"], queueId=ids["queueId"])["status"] == "IDLE"


def test_a_queue_only_lists_its_jobs_and_pages_follow_next_token() -> None:
    sim = Simulation(scenario_from_dict(_scenario(jobs=7)))
    sim.run(until=200.0)
    client = sim.client()
    ids = _ids(client)
    seen, token, pages = [], None, 0
    while True:
        page = client.list_jobs(farmId=ids["farmId"], queueId=ids["queueId"], maxResults=3,
                                **({"nextToken": token} if token else {}))
        seen += [j["jobId"] for j in page["jobs"]]
        pages += 1
        token = page.get("nextToken")
        if token is None:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 7
    queues = client.list_queues(farmId=ids["farmId"])["queues"]
    assert [q["status"] for q in queues] == ["SCHEDULING", "IDLE"]  # jobs wait / none
    other = queues[1]["queueId"]
    assert client.list_jobs(farmId=ids["farmId"], queueId=other)["jobs"] == []
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_job(farmId=ids["farmId"], queueId=other, jobId=ids["jobId"])


def test_errors_are_the_services_with_a_botocore_response(sim: Simulation) -> None:
    client = sim.client()
    ids = _ids(client)
    missing = "job-" + "f" * 32
    with pytest.raises(client.exceptions.ResourceNotFoundException) as info:
        client.get_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=missing)
    assert isinstance(info.value, ClientError)
    response = info.value.response
    assert response["Error"]["Code"] == "ResourceNotFoundException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert response["resourceId"] == missing
    assert "GetJob" in str(info.value)
    with pytest.raises(client.exceptions.ValidationException) as bad:
        client.get_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId="job-1")
    assert [f["name"] for f in bad.value.response["fieldList"]] == ["jobId"]
    with pytest.raises(ParamValidationError):  # what boto3 refuses to send
        client.get_job(farmId=ids["farmId"], queueId=ids["queueId"])
    with pytest.raises(client.exceptions.ValidationException):
        client.list_jobs(farmId=ids["farmId"], queueId=ids["queueId"], maxResults=101)
    with pytest.raises(client.exceptions.ValidationException):
        client.list_jobs(farmId=ids["farmId"], queueId=ids["queueId"], nextToken="99")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_farm(farmId="farm-" + "e" * 32)


def test_without_a_start_times_count_from_the_unix_epoch() -> None:
    sim = Simulation(scenario_from_dict(_scenario(jobs=1, start=None)))
    sim.run(until=30.0)
    client = sim.client()
    farm = client.get_farm(farmId=_ids(client)["farmId"])
    assert farm["createdAt"] == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert farm["displayName"] == "studio"


def _usage(sim: Simulation) -> list[tuple[float, int, int]]:
    table = sim.result().limit_usage
    return list(zip(table["time"], table["current_count"], table["max_count"], strict=True))


def test_update_limit_raises_the_maximum_mid_run_and_waiting_work_starts() -> None:
    from farmsim.testing import check_all

    # two jobs (at 0 and 10 s), none after: only the update can wake the idle worker
    sim = Simulation(scenario_from_dict(_scenario(jobs=2)))
    sim.run(until=30.0)
    client = sim.client()
    ids = _ids(client)
    assert client.get_limit(farmId=ids["farmId"], limitId=ids["limitId"])["currentCount"] == 1
    assert client.update_limit(farmId=ids["farmId"], limitId=ids["limitId"], maxCount=2,
                               displayName="nuke-2") == {}
    sim.run(until=30.0 + 15.0)  # idle workers are woken at their next poll (15 s)
    limit = client.get_limit(farmId=ids["farmId"], limitId=ids["limitId"])
    assert (limit["currentCount"], limit["maxCount"], limit["displayName"]) == (2, 2, "nuke-2")
    assert limit["updatedAt"] == dt.datetime(2026, 3, 2, 9, 0, 30, tzinfo=dt.UTC)
    sim.run()
    usage = _usage(sim)
    assert max(n for t, n, _ in usage if t < 30.0) == 1
    assert max(n for t, n, _ in usage if t >= 30.0) == 2  # both workers, from then on
    assert {m for t, _, m in usage if t > 30.0} == {2}
    check_all(sim.result())


def test_update_limit_lowering_lets_running_work_finish_and_starts_nothing_above_it() -> None:
    from farmsim.testing import check_all

    raw = _scenario(jobs=4)
    raw["farm"]["limits"][0]["maxCount"] = 2
    sim = Simulation(scenario_from_dict(raw))
    sim.run(until=70.0)
    client = sim.client()
    ids = _ids(client)
    assert client.get_limit(farmId=ids["farmId"], limitId=ids["limitId"])["currentCount"] == 2
    client.update_limit(farmId=ids["farmId"], limitId=ids["limitId"], maxCount=1)
    # nothing running is stopped: the limit stays over its new maximum until runs end
    assert client.get_limit(farmId=ids["farmId"], limitId=ids["limitId"])["currentCount"] == 2
    sim.run()
    after = [(t, n) for t, n, m in _usage(sim) if t >= 70.0]
    assert max(n for _, n in after) <= 2
    rises = [(t, n) for (t, n), (_, before) in zip(after[1:], after, strict=False) if n > before]
    assert rises and all(n <= 1 for _, n in rises)  # once under it, never taken above 1
    check_all(sim.result())
    with pytest.raises(client.exceptions.ValidationException, match="must not be 0"):
        client.update_limit(farmId=ids["farmId"], limitId=ids["limitId"], maxCount=0)
    with pytest.raises(ParamValidationError):  # below the model's minimum, -1
        client.update_limit(farmId=ids["farmId"], limitId=ids["limitId"], maxCount=-2)


def test_update_job_priority_and_name_act_mid_run_and_reach_the_tables() -> None:
    from farmsim.testing import check_all

    # a limit of 1 and jobs of priority 50..54: the highest waiting job takes each release
    sim = Simulation(scenario_from_dict(_scenario(jobs=5)))
    sim.run(until=45.0)
    client = sim.client()
    ids = _ids(client)
    jobs = client.list_jobs(farmId=ids["farmId"], queueId=ids["queueId"])["jobs"]
    low = jobs[1]["jobId"]  # priority 51: it would start after 54, 53 and 52
    assert client.update_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=low,
                             priority=99, name="rush", description="client wants it") == {}
    got = client.get_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=low)
    assert (got["priority"], got["name"], got["description"]) == (99, "rush", "client wants it")
    assert got["updatedAt"] == dt.datetime(2026, 3, 2, 9, 0, 45, tzinfo=dt.UTC)
    sim.run()
    result = sim.result()
    check_all(result)
    table = result.jobs.set_index("name")
    # job 0 held the license from ~1 s; at its release (~61 s) the rushed job took it
    assert table.loc["rush", "started_at"] == pytest.approx(61.0, abs=1.1)
    assert (table["started_at"].drop("rush") > 61.0).sum() == 3


def test_update_job_max_failed_tasks_reached_stops_the_job_and_a_requeue_runs_it_again() -> None:
    from farmsim.testing import check_all

    raw = _scenario(jobs=1)
    raw["workload"]["jobs"][0]["maxRetriesPerTask"] = 0
    raw["farm"]["limits"][0]["maxCount"] = 2
    raw["runtimes"] = [{"duration": "60s", "failure_probability": 1.0}]
    sim = Simulation(scenario_from_dict(raw))
    sim.run(until=76.0)  # two tasks ran and FAILED (no retries; each worker's first starts
    # at its poll phase, under 15 s), and two more are running
    client = sim.client()
    ids = _ids(client)
    job = client.get_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=ids["jobId"])
    assert job["taskRunStatusCounts"]["FAILED"] == 2
    assert job["taskRunStatus"] != "FAILED"
    client.update_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=ids["jobId"],
                      maxFailedTasksCount=2)
    job = client.get_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=ids["jobId"])
    assert job["taskRunStatus"] == "FAILED" and job["maxFailedTasksCount"] == 2
    assert job["taskRunStatusCounts"]["CANCELED"] == 2  # the runs in progress were cut short
    assert job["endedAt"] == dt.datetime(2026, 3, 2, 9, 1, 16, tzinfo=dt.UTC)
    sim.run()
    check_all(sim.result())
    # Requeuing the FAILED job's FAILED and CANCELED tasks (READY) runs them again: they fail
    # again (every run fails here), and the job is FAILED again.
    client.update_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=ids["jobId"],
                      targetTaskRunStatus="READY")
    job = client.get_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=ids["jobId"])
    assert job["taskRunStatus"] == "READY" and "endedAt" not in job
    sim.run()
    job = client.get_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=ids["jobId"])
    assert job["taskRunStatus"] == "FAILED"
    check_all(sim.result())
    with pytest.raises(client.exceptions.ValidationException, match="must not be 0"):
        client.update_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=ids["jobId"],
                          maxWorkerCount=0)


TEMPLATE_YAML = """
specificationVersion: jobtemplate-2023-09
name: plate
parameterDefinitions:
- {name: Frames, type: STRING, default: "1-3"}
- {name: Scale, type: INT, default: 1}
steps:
- name: nuke
  parameterSpace:
    taskParameterDefinitions:
    - {name: F, type: INT, range: "{{Param.Frames}}"}
  hostRequirements:
    amounts: [{name: amount.license.nuke, min: 1}]
  script:
    actions:
      onRun: {command: nuke}
"""


def test_create_job_submits_now_and_the_job_runs_like_a_scenarios() -> None:
    import json

    import yaml

    from farmsim.testing import check_all

    sim = Simulation(scenario_from_dict(_scenario(jobs=1)))
    sim.run(until=50.0)
    client = sim.client()
    ids = _ids(client)
    where = {"farmId": ids["farmId"], "queueId": ids["queueId"]}
    made = client.create_job(**where, template=TEMPLATE_YAML, templateType="YAML", priority=90,
                             parameters={"Frames": {"string": "1-5"}, "Scale": {"int": "2"}},
                             nameOverride="plate-010", clientToken="submit-1")
    assert shape_problems(made, operation_model("CreateJob").output_shape) == []
    again = client.create_job(**where, template=TEMPLATE_YAML, templateType="YAML",
                              priority=90, clientToken="submit-1")
    assert again == made  # the same token: the same job, not a second one
    as_json = client.create_job(**where, template=json.dumps(yaml.safe_load(TEMPLATE_YAML)),
                                templateType="JSON", priority=10, maxWorkerCount=1)
    job = client.get_job(**where, jobId=made["jobId"])
    assert (job["name"], job["priority"], job["taskRunStatus"]) == ("plate-010", 90, "READY")
    assert job["createdAt"] == dt.datetime(2026, 3, 2, 9, 0, 50, tzinfo=dt.UTC)
    assert sum(job["taskRunStatusCounts"].values()) == 5
    assert shape_problems(job, operation_model("GetJob").output_shape) == []
    sim.run()
    result = sim.result()
    check_all(result)
    table = result.jobs.set_index("job_id")
    assert len(table) == 3
    assert table.loc[made["jobId"], "name"] == "plate-010"
    assert str(table.loc[made["jobId"], "task_run_status"]) == "SUCCEEDED"
    assert str(table.loc[as_json["jobId"], "task_run_status"]) == "SUCCEEDED"
    # priority 90 against the scenario's job (50): once its license came free, it went first
    assert table.loc[made["jobId"], "ended_at"] < table.loc[as_json["jobId"], "started_at"]


@pytest.mark.parametrize(("changes", "error", "words"), [
    ({"template": "steps: [unclosed"}, "ValidationException", "not valid YAML"),
    ({"template": "[1, 2]"}, "ValidationException", "not a YAML mapping"),
    ({"template": "a: &a [x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                  "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                  "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                  "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                  "h: [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"},
     "ValidationException", "expand"),
    ({"template": "name: x"}, "ValidationException", "template"),
    ({"parameters": {"Nope": {"string": "1"}}}, "ValidationException", "Nope"),
    ({"parameters": {"Scale": {"int": "x2"}}}, "ValidationException", r"parameters\.Scale\.int"),
    ({"maxWorkerCount": 0}, "ValidationException", "must not be 0"),
    ({"attachments": {"manifests": [{"rootPath": "/mnt/shots", "rootPathFormat": "posix"}]}},
     "NotModelledError", "attachments"),
])
def test_create_job_refuses_what_the_service_would(changes: dict[str, Any], error: str,
                                                   words: str) -> None:
    from farmsim.api.errors import NotModelledError

    sim = Simulation(scenario_from_dict(_scenario(jobs=1)))
    sim.run(until=1.0)
    client = sim.client()
    ids = _ids(client)
    request = {"farmId": ids["farmId"], "queueId": ids["queueId"], "template": TEMPLATE_YAML,
               "priority": 50, **changes}
    expected = NotModelledError if error == "NotModelledError" else getattr(
        client.exceptions, error)
    with pytest.raises(expected, match=words):
        client.create_job(**request)
    assert len(sim.control.jobs) == 1  # nothing was created


def test_run_until_a_datetime_or_a_condition_read_through_the_client() -> None:
    from farmsim.testing import check_all

    sim = Simulation(scenario_from_dict(_scenario(jobs=3)))
    sim.run(until=dt.datetime(2026, 3, 2, 9, 0, 30))  # noqa: DTZ001  (naive: UTC, on the scenario clock)
    assert sim.now == 30.0
    client = sim.client()
    ids = _ids(client)
    where = {"farmId": ids["farmId"], "queueId": ids["queueId"], "jobId": ids["jobId"]}

    def done() -> bool:
        return client.get_job(**where)["taskRunStatus"] == "SUCCEEDED"

    sim.run(until=done)
    job = client.get_job(**where)
    assert job["taskRunStatus"] == "SUCCEEDED"
    assert job["endedAt"] == sim.start_time + dt.timedelta(seconds=sim.now)  # that instant
    stopped = sim.now
    sim.run(until=done)  # already true: no time passes
    assert sim.now == stopped
    sim.run(until=lambda: False)  # never true, no horizon: to the end of events
    assert all(j.final_status is not None for j in sim.control.jobs)
    check_all(sim.result())
    with pytest.raises(UsageError, match="after the current simulated time"):
        sim.run(until=dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=dt.UTC))


def test_run_until_a_condition_stops_at_the_horizon_when_it_never_holds() -> None:
    raw = _scenario(jobs=3)
    raw["horizon"] = "2m"
    sim = Simulation(scenario_from_dict(raw))
    sim.run(until=lambda: False)
    assert sim.now == 120.0


def test_workers_and_associations_are_the_scenarios(sim: Simulation) -> None:
    client = sim.client()
    ids = _ids(client)
    workers = client.list_workers(farmId=ids["farmId"], fleetId=ids["fleetId"])["workers"]
    result = sim.result()
    assert [w["workerId"] for w in workers] == [str(x) for x in result.catalog.worker_ids]
    # at t=100 with a limit of 1: one worker runs a task, the other waits IDLE
    assert sorted(w["status"] for w in workers) == ["IDLE", "RUNNING"]
    one = client.get_worker(farmId=ids["farmId"], fleetId=ids["fleetId"],
                            workerId=workers[1]["workerId"])
    assert one == workers[1]
    fleets = client.list_queue_fleet_associations(farmId=ids["farmId"])
    assert [(a["queueId"], a["fleetId"], a["status"]) for a in
            fleets["queueFleetAssociations"]] == [(ids["queueId"], ids["fleetId"], "ACTIVE")]
    limits = client.list_queue_limit_associations(farmId=ids["farmId"], limitId=ids["limitId"])
    assert [a["queueId"] for a in limits["queueLimitAssociations"]] == [ids["queueId"]]
    other = client.list_queues(farmId=ids["farmId"])["queues"][1]["queueId"]
    assert client.list_queue_limit_associations(farmId=ids["farmId"], queueId=other
                                                )["queueLimitAssociations"] == []
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_queue_limit_association(farmId=ids["farmId"], queueId=other,
                                           limitId=ids["limitId"])
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_worker(farmId=ids["farmId"], fleetId=ids["fleetId"],
                          workerId="worker-" + "a" * 32)


def test_a_job_too_big_to_simulate_is_refused_before_anything_is_allocated(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FARMSIM_MEMORY_LIMIT", "1GB")
    sim = Simulation(scenario_from_dict(_scenario(jobs=1)))
    sim.run(until=100.0)
    client = sim.client()
    ids = _ids(client)
    where = {"farmId": ids["farmId"], "queueId": ids["queueId"]}
    with pytest.raises(client.exceptions.ServiceQuotaExceededException,
                       match=r"a job of 2,000,000 tasks cannot be simulated: .*FARMSIM_MEMORY"
                       ) as caught:
        client.create_job(**where, template=TEMPLATE_YAML, priority=50,
                          parameters={"Frames": {"string": "1-2000000"}})
    assert caught.value.response["reason"] == "SERVICE_QUOTA_EXCEEDED_EXCEPTION"
    with pytest.raises(client.exceptions.ServiceQuotaExceededException, match="can number"):
        client.create_job(**where, template=TEMPLATE_YAML, priority=50,
                          parameters={"Frames": {"string": "1-3000000000"}})
    assert len(sim.control.jobs) == 1  # (the scenario's): nothing was submitted
    client.create_job(**where, template=TEMPLATE_YAML, priority=50,
                      parameters={"Frames": {"string": "1-20000"}})  # (this one fits)
    assert len(sim.control.jobs) == 2
