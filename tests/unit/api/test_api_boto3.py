"""sim.boto3_client(): a real boto3 Deadline Cloud client that the simulation answers in-process:
boto3's request checks, modeled exceptions, paginators and waiters, the same answers as
sim.client(), no network and no credentials; and docs/boto3.md, whose examples run here."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore.client
import botocore.credentials
import botocore.httpsession
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError, ParamValidationError, WaiterError

from farmsim.api._model import operation_model, shape_problems
from farmsim.api.errors import NotModelledError, error
from farmsim.engine.simulation import Simulation
from farmsim.errors import UsageError
from farmsim.scenario import scenario_from_dict

pytest.importorskip("boto3")

DOCS = Path(__file__).resolve().parents[3] / "docs" / "boto3.md"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

#: Six 60 s tasks (Frames 1-6) for a fleet of two workers.
TEMPLATE = """\
specificationVersion: jobtemplate-2023-09
name: "{{Param.Shot}} render"
parameterDefinitions:
- {name: Shot, type: STRING}
- {name: Frames, type: STRING, default: "1-10"}
steps:
- name: Render
  parameterSpace:
    taskParameterDefinitions:
    - {name: Frame, type: INT, range: "{{Param.Frames}}"}
  script:
    actions:
      onRun: {command: render, args: ["{{Task.Param.Frame}}"]}
"""

READ_OPERATIONS = ("GetFarm", "ListFarms", "GetQueue", "ListQueues", "GetFleet", "ListFleets",
                   "GetLimit", "ListLimits", "GetJob", "ListJobs", "GetWorker", "ListWorkers",
                   "GetQueueFleetAssociation", "ListQueueFleetAssociations",
                   "GetQueueLimitAssociation", "ListQueueLimitAssociations")


def _scenario(jobs: int = 3) -> dict[str, Any]:
    """Two queues (render, with the fleet and a nuke limit of 1; idle), one fleet of two
    workers, ``jobs`` comp jobs of 4 tasks of 60 s each on render, 10 s apart."""
    comp = {
        "specificationVersion": "jobtemplate-2023-09", "name": "comp",
        "steps": [{"name": "nuke", "parameterSpace": {"taskParameterDefinitions": [
            {"name": "F", "type": "INT", "range": "1-4"}]},
            "hostRequirements": {"amounts": [{"name": "amount.license.nuke", "min": 1}]},
            "script": {"actions": {"onRun": {"command": "nuke"}}}}],
    }
    return {
        "name": "boto3", "seed": 7, "start": "2026-03-02T09:00:00",
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
        "workload": {"jobs": [{"template": comp, "queue": "render", "at": 10 * i,
                               "priority": 50 + i} for i in range(jobs)]},
        "runtimes": [{"duration": "60s"}],
    }


@pytest.fixture
def sim() -> Simulation:
    simulation = Simulation(scenario_from_dict(_scenario()))
    simulation.run(until=100.0)
    return simulation


def _ids(client: Any) -> dict[str, str]:
    farm = client.list_farms()["farms"][0]["farmId"]
    queue = client.list_queues(farmId=farm)["queues"][0]["queueId"]
    fleet = client.list_fleets(farmId=farm)["fleets"][0]["fleetId"]
    return {"farmId": farm, "queueId": queue, "fleetId": fleet,
            "limitId": client.list_limits(farmId=farm)["limits"][0]["limitId"],
            "jobId": client.list_jobs(farmId=farm, queueId=queue)["jobs"][0]["jobId"],
            "workerId": client.list_workers(farmId=farm, fleetId=fleet)["workers"][0]["workerId"]}


def _body(response: dict[str, Any]) -> dict[str, Any]:
    """A boto3 response without its ``ResponseMetadata`` (what sim.client() returns)."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def _conforms(operation: str, response: dict[str, Any]) -> None:
    assert shape_problems(_body(response), operation_model(operation).output_shape) == []


def _create(client: Any, ids: dict[str, str], frames: str = "1-6", **extra: Any) -> str:
    response = client.create_job(
        farmId=ids["farmId"], queueId=ids["queueId"], template=TEMPLATE, templateType="YAML",
        priority=50, parameters={"Shot": {"string": "sh010"}, "Frames": {"string": frames}},
        **extra)
    _conforms("CreateJob", response)
    job_id: str = response["jobId"]
    return job_id


# ---------------------------------------------------------------------- what it is


def test_it_is_a_boto3_client_of_deadline_in_the_region_asked(sim: Simulation) -> None:
    client = sim.boto3_client()
    assert type(client).__name__ == "DeadlineCloud"
    assert client.meta.service_model.service_name == "deadline"
    assert client.meta.region_name == "us-west-2"
    assert sim.boto3_client(region_name="eu-west-1").meta.region_name == "eu-west-1"
    # botocore's own client class, made by boto3, not a look-alike
    assert isinstance(client, botocore.client.BaseClient)
    assert type(client).__module__ == "botocore.client"


@pytest.mark.parametrize("operation", READ_OPERATIONS)
def test_each_read_is_what_sim_client_answers_and_conforms(sim: Simulation,
                                                           operation: str) -> None:
    client = sim.boto3_client()
    ids = _ids(client)
    members = operation_model(operation).input_shape.members
    params = {k: v for k, v in ids.items() if k in members}
    response = getattr(client, xform_name(operation))(**params)
    _conforms(operation, response)
    assert _body(response) == getattr(sim.client(), xform_name(operation))(**params)
    metadata = response["ResponseMetadata"]
    assert metadata["HTTPStatusCode"] == 200 and metadata["RetryAttempts"] == 0
    # the simulation's clock: t=100 s after the scenario's start
    assert metadata["HTTPHeaders"]["date"] == "Mon, 02 Mar 2026 09:01:40 GMT"


def test_timestamps_are_datetimes_as_botocore_parses_them(sim: Simulation) -> None:
    client = sim.boto3_client()
    ids = _ids(client)
    job = client.get_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=ids["jobId"])
    assert isinstance(job["createdAt"], dt.datetime) and job["createdAt"].tzinfo is not None
    assert job["createdAt"] == START  # (the first job: t=0)
    # its first task started when a worker first polled: what the run's tables say, to the
    # microsecond through the wire format
    started = sim.result().jobs["started_at"].iloc[0]
    assert job["startedAt"] == START + dt.timedelta(seconds=float(started))
    assert job["taskRunStatusCounts"]["SUCCEEDED"] >= 1  # 60 s tasks, 100 s in


# ---------------------------------------------------------------------- jobs


def test_create_job_from_a_yaml_template_with_tagged_parameters(sim: Simulation) -> None:
    client = sim.boto3_client()
    ids = _ids(client)
    job_id = _create(client, ids, frames="1-6")
    job = client.get_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=job_id)
    _conforms("GetJob", job)
    assert job["name"] == "sh010 render"  # the Shot parameter, in the template's name
    assert job["createdAt"] == START + dt.timedelta(seconds=100)
    assert job["priority"] == 50 and job["taskRunStatus"] == "READY"
    counts = {k: v for k, v in job["taskRunStatusCounts"].items() if v}
    assert counts == {"READY": 6}  # Frames 1-6: one task per frame
    assert _body(job) == sim.client().get_job(farmId=ids["farmId"], queueId=ids["queueId"],
                                              jobId=job_id)
    # the job is in the queue's list, last, and in the run's tables
    listed = client.list_jobs(farmId=ids["farmId"], queueId=ids["queueId"])["jobs"]
    assert [j["jobId"] for j in listed][-1] == job_id and len(listed) == 4
    assert list(sim.result().jobs["job_id"].astype(str))[-1] == job_id


def test_the_same_client_token_returns_the_same_job_and_boto3_fills_one_in(
        sim: Simulation) -> None:
    client = sim.boto3_client()
    ids = _ids(client)
    first = _create(client, ids, clientToken="submit-1")
    assert _create(client, ids, clientToken="submit-1") == first
    # without one, boto3 makes a new token each call: two jobs
    assert len({_create(client, ids), _create(client, ids)} - {first}) == 2
    # another boto3 client of the same simulation knows the token too
    assert _create(sim.boto3_client(), ids, clientToken="submit-1") == first


def test_a_created_job_runs_as_the_simulation_advances() -> None:
    sim = Simulation(scenario_from_dict(_scenario(jobs=0)))
    client = sim.boto3_client()
    ids = _ids_without_jobs(client)
    job_id = _create(client, ids, frames="1-6")
    seen = []
    while True:
        job = client.get_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=job_id)
        seen.append(job["taskRunStatusCounts"]["RUNNING"])
        if job["taskRunStatus"] == "SUCCEEDED":
            break
        sim.run(until=sim.now + 30)
    assert max(seen) == 2  # two workers: never more than two tasks at once
    assert job["taskRunStatusCounts"]["SUCCEEDED"] == 6
    # 6 tasks of 60 s on 2 workers: 3 rounds at least
    assert job["endedAt"] - job["startedAt"] >= dt.timedelta(seconds=180)


def _ids_without_jobs(client: Any) -> dict[str, str]:
    farm = client.list_farms()["farms"][0]["farmId"]
    return {"farmId": farm, "queueId": client.list_queues(farmId=farm)["queues"][0]["queueId"]}


def test_update_job_changes_the_priority(sim: Simulation) -> None:
    client = sim.boto3_client()
    ids = _ids(client)
    key = {"farmId": ids["farmId"], "queueId": ids["queueId"], "jobId": ids["jobId"]}
    response = client.update_job(**key, priority=99)
    _conforms("UpdateJob", response)
    assert _body(response) == {}
    job = client.get_job(**key)
    assert job["priority"] == 99
    assert job["updatedAt"] == START + dt.timedelta(seconds=100)
    assert job["updatedBy"] == "farmsim"
    assert _body(job) == sim.client().get_job(**key)


def test_update_limit_acts_on_the_farm(sim: Simulation) -> None:
    client = sim.boto3_client()
    ids = _ids(client)
    key = {"farmId": ids["farmId"], "limitId": ids["limitId"]}
    _conforms("UpdateLimit", client.update_limit(**key, maxCount=2))
    assert sim.client().get_limit(**key)["maxCount"] == 2


# ---------------------------------------------------------------------- waiters, paginators


def test_job_complete_waiter_with_the_simulation_driven_between_polls(sim: Simulation) -> None:
    client = sim.boto3_client()
    ids = _ids(client)
    key = {"farmId": ids["farmId"], "queueId": ids["queueId"], "jobId": ids["jobId"]}
    polls = []

    def advance(**_: Any) -> None:  # each poll: the waiter's 15 s, in simulated time
        polls.append(sim.now)
        sim.run(until=sim.now + 15)

    client.meta.events.register("before-call.deadline.GetJob", advance)
    client.get_waiter("job_complete").wait(**key, WaiterConfig={"Delay": 0})
    client.meta.events.unregister("before-call.deadline.GetJob", advance)
    job = client.get_job(**key)
    assert job["taskRunStatus"] == "SUCCEEDED"
    # polled every 15 simulated seconds from t=100, until the first poll after it ended
    assert polls == [100.0 + 15 * i for i in range(len(polls))]
    ended = (job["endedAt"] - START).total_seconds()
    assert polls[-1] < ended <= polls[-1] + 15


def test_a_waiter_alone_does_not_move_simulated_time(sim: Simulation) -> None:
    client = sim.boto3_client()
    ids = _ids(client)
    key = {"farmId": ids["farmId"], "queueId": ids["queueId"], "jobId": ids["jobId"]}
    with pytest.raises(WaiterError, match="Max attempts exceeded"):
        client.get_waiter("job_complete").wait(**key, WaiterConfig={"Delay": 0,
                                                                    "MaxAttempts": 3})
    assert sim.now == 100.0
    sim.run()  # every job done: the waiter returns at its first poll
    client.get_waiter("job_complete").wait(**key, WaiterConfig={"Delay": 0, "MaxAttempts": 1})


def test_the_list_jobs_paginator_walks_every_page() -> None:
    sim = Simulation(scenario_from_dict(_scenario(jobs=7)))
    sim.run(until=100.0)
    client = sim.boto3_client()
    ids = _ids(client)
    assert client.can_paginate("list_jobs")
    pages = list(client.get_paginator("list_jobs").paginate(
        farmId=ids["farmId"], queueId=ids["queueId"], PaginationConfig={"PageSize": 3}))
    assert [len(p["jobs"]) for p in pages] == [3, 3, 1]
    assert ["nextToken" in p for p in pages] == [True, True, False]
    for p in pages:
        _conforms("ListJobs", p)
    every = sim.client().list_jobs(farmId=ids["farmId"], queueId=ids["queueId"])["jobs"]
    assert [j for p in pages for j in p["jobs"]] == every
    full = client.get_paginator("list_jobs").paginate(
        farmId=ids["farmId"], queueId=ids["queueId"],
        PaginationConfig={"PageSize": 2, "MaxItems": 5}).build_full_result()
    assert [j["jobId"] for j in full["jobs"]] == [j["jobId"] for j in every[:5]]


# ---------------------------------------------------------------------- errors


def test_boto3_refuses_a_bad_request_before_the_simulation_sees_it(sim: Simulation) -> None:
    client = sim.boto3_client()
    ids = _ids(client)
    jobs_before = len(sim.control.jobs)
    with pytest.raises(ParamValidationError, match='Unknown parameter in input: "bogus"'):
        client.get_farm(farmId=ids["farmId"], bogus=1)
    with pytest.raises(ParamValidationError, match='Missing required parameter in input: '
                                                   '"farmId"'):
        client.get_farm()
    with pytest.raises(ParamValidationError, match="Invalid type for parameter priority"):
        client.create_job(farmId=ids["farmId"], queueId=ids["queueId"], template=TEMPLATE,
                          templateType="YAML", priority="high")
    assert len(sim.control.jobs) == jobs_before


def test_errors_are_the_clients_modeled_exceptions(sim: Simulation) -> None:
    client = sim.boto3_client()
    ids = _ids(client)
    missing = "job-" + "0" * 32
    with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
        client.get_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=missing)
    error = caught.value
    assert isinstance(error, ClientError)
    assert error.operation_name == "GetJob"
    assert error.response["Error"] == {"Code": "ResourceNotFoundException",
                                       "Message": f"job {missing} does not exist"}
    assert (error.response["resourceId"], error.response["resourceType"]) == (missing, "job")
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    # the same error as sim.client()'s, member for member
    with pytest.raises(ClientError) as direct:
        sim.client().get_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=missing)
    assert _body(error.response) == _body(direct.value.response)

    with pytest.raises(client.exceptions.ValidationException) as invalid:
        client.get_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId="job-nope")
    assert invalid.value.response["reason"] == "FIELD_VALIDATION_FAILED"
    assert [f["name"] for f in invalid.value.response["fieldList"]] == ["jobId"]
    assert invalid.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_an_errors_members_come_back_from_the_body_and_the_headers(
        sim: Simulation, monkeypatch: pytest.MonkeyPatch) -> None:
    """ThrottlingException's retryAfterSeconds travels in the Retry-After header: boto3 reads
    it back, as it would from the service (and nothing retries: the simulation answered)."""
    client = sim.boto3_client()
    ids = _ids(client)

    def throttled(**_: Any) -> dict[str, Any]:
        raise error("ThrottlingException", "GetFarm", "slow down", serviceCode="deadline",
                    retryAfterSeconds=5)

    monkeypatch.setattr(sim.client(), "get_farm", throttled)
    with pytest.raises(client.exceptions.ThrottlingException) as caught:
        client.get_farm(farmId=ids["farmId"])
    response = caught.value.response
    assert response["Error"] == {"Code": "ThrottlingException", "Message": "slow down"}
    assert (response["serviceCode"], response["retryAfterSeconds"]) == ("deadline", 5)
    assert response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "5"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response["ResponseMetadata"]["RetryAttempts"] == 0


def test_what_farmsim_does_not_model_is_a_not_implemented_client_error(
        sim: Simulation, monkeypatch: pytest.MonkeyPatch) -> None:
    client = sim.boto3_client()
    ids = _ids(client)
    with pytest.raises(ClientError) as caught:
        client.list_monitors()
    response = caught.value.response
    assert response["Error"]["Code"] == "NotImplemented"
    assert "farmsim does not model the ListMonitors operation" in response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert not isinstance(caught.value, AttributeError)
    # a request member the simulated operation does not model (NotModelledError)

    def not_modelled(**_: Any) -> dict[str, Any]:
        raise NotModelledError("UpdateJob's lifecycleStatus is not modelled by this release")

    monkeypatch.setattr(sim.client(), "update_job", not_modelled)
    with pytest.raises(ClientError) as member:
        client.update_job(farmId=ids["farmId"], queueId=ids["queueId"], jobId=ids["jobId"],
                          lifecycleStatus="ARCHIVED")
    assert member.value.response["Error"] == {
        "Code": "NotImplemented",
        "Message": "UpdateJob's lifecycleStatus is not modelled by this release"}
    assert member.value.operation_name == "UpdateJob"


# ---------------------------------------------------------------------- isolation


def test_no_network_no_credentials_no_aws_configuration(
        sim: Simulation, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def no_network(*_: Any, **__: Any) -> None:
        raise AssertionError("sent over the network")

    def no_credentials(*_: Any, **__: Any) -> None:
        raise AssertionError("looked for credentials")

    monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", no_network)
    monkeypatch.setattr(botocore.credentials.CredentialResolver, "load_credentials",
                        no_credentials)
    for name in list(os.environ):
        monkeypatch.delenv(name)
    # a configuration that would change what boto3 does, were it read
    config = tmp_path / "config"
    config.write_text("[default]\nparameter_validation = false\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")  # (a normal session: ProfileNotFound)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")

    client = sim.boto3_client()
    assert client.meta.region_name == "us-west-2"
    assert client.meta.endpoint_url == "https://deadline.us-west-2.amazonaws.com"
    ids = _ids(client)
    job_id = _create(client, ids)
    assert client.get_job(farmId=ids["farmId"], queueId=ids["queueId"],
                          jobId=job_id)["jobId"] == job_id
    with pytest.raises(ParamValidationError):  # the file's parameter_validation: not read
        client.get_farm(farmId=ids["farmId"], bogus=1)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_queue(farmId=ids["farmId"], queueId="queue-" + "0" * 32)


def test_without_boto3_it_says_what_to_install(sim: Simulation,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(UsageError, match=re.escape("pip install 'farmsim[boto3]'")):
        sim.boto3_client()


# ---------------------------------------------------------------------- the user page


def _python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", DOCS.read_text(encoding="utf-8"),
                      flags=re.DOTALL | re.MULTILINE)


def test_the_pages_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    """docs/boto3.md: its script blocks run in order in one namespace; each block that
    defines tests runs under pytest, in a process of its own."""
    blocks = _python_blocks()
    scripts = [b for b in blocks if "def test_" not in b]
    suites = [b for b in blocks if "def test_" in b]
    assert scripts and suites
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "boto3_md"}
    for block in scripts:
        exec(compile(block, str(DOCS), "exec"), namespace)
    assert "SUCCEEDED" in capsys.readouterr().out
    for number, block in enumerate(suites):
        path = tmp_path / f"test_boto3_md_{number}.py"
        path.write_text(block, encoding="utf-8")
        src = str(Path(__file__).resolve().parents[3] / "src")
        env = os.environ | {"PYTHONPATH": os.pathsep.join(
            p for p in (src, os.environ.get("PYTHONPATH")) if p)}
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              "-W", "error", str(path)], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=300, check=False)
        assert run.returncode == 0, run.stdout + run.stderr
        assert re.search(r"\b[1-9]\d* passed", run.stdout), run.stdout


README = DOCS.parents[1] / "README.md"


def _readme_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index("### Scripting the farm with boto3")
    section = text[start:text.index("\n### ", start + 1)]
    return re.findall(r"^```python\n(.*?)^```", section, flags=re.DOTALL | re.MULTILINE)


def test_the_readmes_boto3_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """README.md "Scripting the farm with boto3": the script runs from a clone's root and
    prints what its comments say; the pytest example passes, run as a user runs it."""
    script, suite = _readme_blocks()
    root = README.parent
    monkeypatch.chdir(root)
    exec(compile(script, str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "2"  # the two Nuke licenses in use at 30 min
    assert out[1].startswith("sh030 comp SUCCEEDED ")
    shutil.copytree(root / "scenarios", tmp_path / "scenarios")
    path = tmp_path / "test_submit.py"
    path.write_text(suite, encoding="utf-8")
    env = os.environ | {"PYTHONPATH": os.pathsep.join(
        p for p in (str(root / "src"), os.environ.get("PYTHONPATH")) if p)}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-W", "error", str(path)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"\b2 passed", run.stdout), run.stdout
