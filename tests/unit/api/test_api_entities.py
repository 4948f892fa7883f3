"""sim.client(): steps, tasks, sessions, session actions and the batch reads, read live from a
running simulation and checked against hand-computed outcomes, the run's tables, and the
service's output shapes."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any

import pytest
from botocore import xform_name

from farmsim.api._entities import _Records
from farmsim.api._model import operation_model, shape_problems
from farmsim.engine.simulation import Simulation
from farmsim.scenario import scenario_from_dict

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _step(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "script": {"actions": {"onRun": {"command": "run"}}}, **fields}


def _farm(workers: int, *, limits: bool = False, queue_envs: bool = False) -> dict[str, Any]:
    queue: dict[str, Any] = {"displayName": "render", "fleets": ["linux"]}
    if limits:
        queue["limits"] = ["lic"]
    if queue_envs:
        queue["environments"] = [{"priority": 0, "template": {
            "specificationVersion": "environment-2023-09",
            "environment": {"name": "QEnv", "variables": {"STUDIO": "1"}}}}]
    farm: dict[str, Any] = {
        "displayName": "studio",
        "queues": [queue, {"displayName": "other"}],
        "fleets": [{"displayName": "linux", "minWorkerCount": 0, "maxWorkerCount": workers,
                    "configuration": {"customerManaged": {
                        "mode": "NO_SCALING", "workerCapabilities": {
                            "vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192},
                            "osFamily": "LINUX", "cpuArchitectureType": "x86_64"}}},
                    "simulation": {"workers": workers}}],
    }
    if limits:
        farm["limits"] = [{"displayName": "lic", "amountRequirementName": "amount.license.lic",
                           "maxCount": 1}]
    return farm


#: sim (1 task, 100 s) -> render (CHUNK[INT] 1-10 by 4: 3 chunks of 50 s, one license each,
#: one license) -> post (4 tasks: (X, Y) * P * S, 10 s).
PIPE = {
    "specificationVersion": "jobtemplate-2023-09", "name": "pipe",
    "extensions": ["TASK_CHUNKING"],
    "parameterDefinitions": [
        {"name": "Frames", "type": "STRING", "default": "1-10"},
        {"name": "Count", "type": "INT", "default": 3, "minValue": 1},
        {"name": "Scale", "type": "FLOAT", "default": 0.5}],
    "steps": [
        _step("sim"),
        _step("render", dependencies=[{"dependsOn": "sim"}],
              parameterSpace={"taskParameterDefinitions": [
                  {"name": "Frame", "type": "CHUNK[INT]", "range": "{{Param.Frames}}",
                   "chunks": {"defaultTaskCount": 4, "rangeConstraint": "CONTIGUOUS"}}]},
              hostRequirements={
                  "amounts": [{"name": "amount.license.lic", "min": 1}],
                  "attributes": [{"name": "attr.worker.os.family", "anyOf": ["linux"]}]}),
        _step("post", dependencies=[{"dependsOn": "render"}],
              parameterSpace={"taskParameterDefinitions": [
                  {"name": "X", "type": "INT", "range": [1, 2]},
                  {"name": "Y", "type": "FLOAT", "range": [0.5, 1e-7]},
                  {"name": "P", "type": "PATH", "range": ["/a", "/b"]},
                  {"name": "S", "type": "STRING", "range": ["fg"]}],
                  "combination": "(X, Y) * P * S"}),
    ],
}

#: One task that fails every run, with 2 retries, in a session entering a queue, a job and a
#: step environment (10 s each) and exiting them (5 s each).
FLAKY = {
    "specificationVersion": "jobtemplate-2023-09", "name": "flaky",
    "jobEnvironments": [{"name": "Conda", "script": {"actions": {"onEnter": {"command": "x"}}}}],
    "steps": [_step("flaky", stepEnvironments=[{"name": "Scratch", "variables": {"A": "1"}}])],
}


def _pipeline() -> Simulation:
    raw = {"name": "pipe", "seed": 3, "start": "2026-03-02T09:00:00",
           "farm": _farm(2, limits=True),
           "workload": {"jobs": [{"template": PIPE, "queue": "render", "at": 0}]},
           "runtimes": [{"match": {"step": "sim"}, "duration": "100s"},
                        {"match": {"step": "render"}, "duration": "50s"},
                        {"duration": "10s"}]}
    return Simulation(scenario_from_dict(raw))


def _flaky() -> Simulation:
    raw = {"name": "flaky", "seed": 5, "start": "2026-03-02T09:00:00",
           "farm": _farm(1, queue_envs=True),
           "workload": {"jobs": [{"template": FLAKY, "queue": "render", "at": 0,
                                  "maxRetriesPerTask": 2}]},
           "runtimes": [{"match": {"action": "envEnter"}, "duration": "10s"},
                        {"match": {"action": "envExit"}, "duration": "5s"},
                        {"match": {"step": "flaky"}, "duration": "30s",
                         "failure_probability": 1.0}]}
    return Simulation(scenario_from_dict(raw))


#: Members whose shape is a document (any JSON value): ``shape_problems`` checks a document
#: shape as a structure without members (it should accept any value there).
_DOCUMENTS = re.compile(r"^(jobParameterDefinitions\[\d+\]|entities\[\d+\]\."
                        r"(stepDetails|environmentDetails)\.template)(\.|$)")


def call(client: Any, operation: str, **params: Any) -> dict[str, Any]:
    """Make ``operation`` and hold its response to botocore's output shape."""
    response: dict[str, Any] = getattr(client, xform_name(operation))(**params)
    problems = shape_problems(response, operation_model(operation).output_shape)
    assert [p for p in problems if not _DOCUMENTS.match(p.path)] == []
    return response


def _ids(sim: Simulation) -> dict[str, str]:
    client = sim.client()
    farm = client.farm_id
    queue = client.resource_id("queue", 0)
    job = call(client, "ListJobs", farmId=farm, queueId=queue)["jobs"][0]["jobId"]
    return {"farmId": farm, "queueId": queue, "jobId": job}


def _t(seconds: float) -> dt.datetime:
    return START + dt.timedelta(seconds=seconds)


def _started(sim: Simulation, ids: dict[str, str]) -> float:
    """The job's first assignment (a worker's poll phase), in seconds."""
    job = call(sim.client(), "GetJob", **ids)
    return float((job["startedAt"] - START).total_seconds())


def _all(client: Any, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list operation, a page of ``maxResults`` 1 at a time: each page holds
    one item and gives the token of the next while there is one."""
    items: list[dict[str, Any]] = []
    token = None
    while True:
        page = call(client, operation, maxResults=1, **params,
                    **({"nextToken": token} if token else {}))
        items += page[key]
        token = page.get("nextToken")
        if token is None:
            return items
        assert len(page[key]) == 1


# ---------------------------------------------------------------------- steps


def test_steps_live_and_at_the_end_follow_the_dependencies_and_the_limit() -> None:
    sim = _pipeline()
    client = sim.client()
    sim.run(until=20)
    ids = _ids(sim)
    t0 = _started(sim, ids)
    # GIVEN 20 s into render's first chunk (sim ran [t0, t0+100])
    sim.run(until=t0 + 120)
    steps = call(client, "ListSteps", **ids)["steps"]
    sim_step, render, post = steps
    assert [s["name"] for s in steps] == ["sim", "render", "post"]
    assert sim_step["taskRunStatus"] == "SUCCEEDED"
    assert (sim_step["startedAt"], sim_step["endedAt"]) == (_t(t0), _t(t0 + 100))
    assert sim_step["dependencyCounts"] == {"dependenciesResolved": 0,
                                            "dependenciesUnresolved": 0,
                                            "consumersResolved": 1, "consumersUnresolved": 0}
    # one license: one chunk RUNNING, two READY
    assert render["taskRunStatus"] == "RUNNING"
    assert {k: v for k, v in render["taskRunStatusCounts"].items() if v} == {"RUNNING": 1,
                                                                             "READY": 2}
    assert render["startedAt"] == _t(t0 + 100) and "endedAt" not in render
    assert render["dependencyCounts"] == {"dependenciesResolved": 1,
                                          "dependenciesUnresolved": 0,
                                          "consumersResolved": 0, "consumersUnresolved": 1}
    assert post["taskRunStatus"] == "PENDING" and "startedAt" not in post
    assert post["taskRunStatusCounts"]["PENDING"] == 4
    assert post["dependencyCounts"]["dependenciesUnresolved"] == 1
    detail = call(client, "GetStep", **ids, stepId=render["stepId"])
    assert {k: detail[k] for k in render} == render
    assert detail["parameterSpace"] == {"parameters": [
        {"name": "Frame", "type": "CHUNK_INT",
         "chunks": {"defaultTaskCount": 4, "rangeConstraint": "CONTIGUOUS"}}]}
    assert detail["requiredCapabilities"] == {
        "amounts": [{"name": "amount.license.lic", "min": 1.0}],
        "attributes": [{"name": "attr.worker.os.family", "anyOf": ["linux"]}]}
    assert "requiredCapabilities" not in call(client, "GetStep", **ids,
                                              stepId=sim_step["stepId"])
    assert call(client, "GetStep", **ids, stepId=post["stepId"])["parameterSpace"] == {
        "parameters": [{"name": "X", "type": "INT"}, {"name": "Y", "type": "FLOAT"},
                       {"name": "P", "type": "PATH"}, {"name": "S", "type": "STRING"}],
        "combination": "(X, Y) * P * S"}
    assert call(client, "ListStepDependencies", **ids, stepId=post["stepId"]) == {
        "dependencies": [{"stepId": render["stepId"], "status": "UNRESOLVED"}]}
    assert call(client, "ListStepConsumers", **ids, stepId=sim_step["stepId"]) == {
        "consumers": [{"stepId": render["stepId"], "status": "RESOLVED"}]}
    assert call(client, "ListStepConsumers", **ids, stepId=render["stepId"]) == {
        "consumers": [{"stepId": post["stepId"], "status": "UNRESOLVED"}]}
    assert call(client, "ListStepConsumers", **ids, stepId=post["stepId"]) == {"consumers": []}
    # WHEN the run ends: render's chunks ran one after another on the license
    sim.run()
    done = call(client, "ListSteps", **ids)["steps"]
    assert [s["taskRunStatus"] for s in done] == ["SUCCEEDED"] * 3
    assert (done[1]["startedAt"], done[1]["endedAt"]) == (_t(t0 + 100), _t(t0 + 250))
    assert done[2]["startedAt"] == _t(t0 + 250)
    job = call(client, "GetJob", **ids)
    assert job["endedAt"] == done[2]["endedAt"]  # the last step's end is the job's
    assert call(client, "ListStepDependencies", **ids, stepId=post["stepId"])[
        "dependencies"][0]["status"] == "RESOLVED"
    assert [s["stepId"] for s in _all(client, "ListSteps", "steps", **ids)] == [
        s["stepId"] for s in steps]


def test_dependencies_and_consumers_of_a_diamond_page_and_resolve_one_by_one() -> None:
    diamond = {"specificationVersion": "jobtemplate-2023-09", "name": "diamond", "steps": [
        _step("a"), _step("b", dependencies=[{"dependsOn": "a"}]),
        _step("c", dependencies=[{"dependsOn": "a"}]),
        _step("d", dependencies=[{"dependsOn": "b"}, {"dependsOn": "c"}])]}
    raw = {"name": "diamond", "seed": 2, "start": "2026-03-02T09:00:00", "farm": _farm(1),
           "workload": {"jobs": [{"template": diamond, "queue": "render", "at": 0}]},
           "runtimes": [{"match": {"step": "c"}, "duration": "100s"}, {"duration": "10s"}]}
    sim = Simulation(scenario_from_dict(raw))
    client = sim.client()
    sim.run(until=20)
    ids = _ids(sim)
    t0 = _started(sim, ids)
    # GIVEN one worker: a [t0, t0+10], b [t0+10, t0+20], c [t0+20, t0+120], d after
    sim.run(until=t0 + 50)
    a, b, c, d = call(client, "ListSteps", **ids)["steps"]
    assert [s["taskRunStatus"] for s in (a, b, c, d)] == [
        "SUCCEEDED", "SUCCEEDED", "RUNNING", "PENDING"]
    assert _all(client, "ListStepConsumers", "consumers", **ids, stepId=a["stepId"]) == [
        {"stepId": b["stepId"], "status": "RESOLVED"},
        {"stepId": c["stepId"], "status": "RESOLVED"}]
    assert _all(client, "ListStepDependencies", "dependencies", **ids,
                stepId=d["stepId"]) == [{"stepId": b["stepId"], "status": "RESOLVED"},
                                        {"stepId": c["stepId"], "status": "UNRESOLVED"}]
    assert d["dependencyCounts"] == {"dependenciesResolved": 1, "dependenciesUnresolved": 1,
                                     "consumersResolved": 0, "consumersUnresolved": 0}
    assert a["dependencyCounts"]["consumersResolved"] == 2
    assert c["dependencyCounts"] == {"dependenciesResolved": 1, "dependenciesUnresolved": 0,
                                     "consumersResolved": 0, "consumersUnresolved": 1}
    assert (c["startedAt"], "endedAt" in c) == (_t(t0 + 20), False)
    sim.run()
    d = call(client, "GetStep", **ids, stepId=d["stepId"])
    assert d["dependencyCounts"]["dependenciesResolved"] == 2
    assert (d["startedAt"], d["endedAt"]) == (_t(t0 + 120), _t(t0 + 130))


def test_a_step_that_fails_counts_its_retries() -> None:
    sim = _flaky()
    sim.run()
    client = sim.client()
    ids = _ids(sim)
    step = call(client, "ListSteps", **ids)["steps"][0]
    assert step["taskRunStatus"] == "FAILED"
    assert step["taskFailureRetryCount"] == 2
    assert step["taskRunStatusCounts"]["FAILED"] == 1
    t0 = _started(sim, ids)
    # 3 sessions of 75 s: 3 envEnters (30 s), the taskRun (30 s), 3 envExits (15 s)
    assert (step["startedAt"], step["endedAt"]) == (_t(t0), _t(t0 + 210))


# ---------------------------------------------------------------------- tasks


def test_tasks_live_and_at_the_end() -> None:
    sim = _pipeline()
    client = sim.client()
    sim.run(until=20)
    ids = _ids(sim)
    t0 = _started(sim, ids)
    sim.run(until=t0 + 120)
    sim_step, render, post = call(client, "ListSteps", **ids)["steps"]
    tasks = call(client, "ListTasks", **ids, stepId=render["stepId"])["tasks"]
    hexes = render["stepId"][5:]
    assert [t["taskId"] for t in tasks] == [f"task-{hexes}-{n}" for n in range(3)]
    assert [t["parameters"] for t in tasks] == [{"Frame": {"chunkInt": r}}
                                                for r in ("1-4", "5-7", "8-10")]
    assert [t["runStatus"] for t in tasks] == ["RUNNING", "READY", "READY"]
    assert tasks[0]["startedAt"] == _t(t0 + 100) and "endedAt" not in tasks[0]
    assert "startedAt" not in tasks[1] and "latestSessionActionId" not in tasks[1]
    assert all(t["failureRetryCount"] == 0 for t in tasks)
    # the session that ran sim goes on with render (one job, one worker): its 2nd action
    session = call(client, "ListSessions", **ids)["sessions"]
    assert len(session) == 1
    assert tasks[0]["latestSessionActionId"] == (
        f"sessionaction-{session[0]['sessionId'][8:]}-1")
    one = call(client, "GetTask", **ids, stepId=render["stepId"], taskId=tasks[0]["taskId"])
    assert one == tasks[0]
    assert call(client, "ListTasks", **ids, stepId=sim_step["stepId"])["tasks"][0][
        "parameters"] == {}
    assert [t["parameters"] for t in call(client, "ListTasks", **ids,
                                          stepId=post["stepId"])["tasks"]] == [
        {"X": {"int": "1"}, "Y": {"float": "0.5"}, "P": {"path": p}, "S": {"string": "fg"}}
        for p in ("/a", "/b")] + [
        {"X": {"int": "2"}, "Y": {"float": "1e-07"}, "P": {"path": p}, "S": {"string": "fg"}}
        for p in ("/a", "/b")]
    sim.run()
    done = call(client, "ListTasks", **ids, stepId=render["stepId"])["tasks"]
    assert [t["runStatus"] for t in done] == ["SUCCEEDED"] * 3
    assert [(t["startedAt"], t["endedAt"]) for t in done] == [
        (_t(t0 + 100 + 50 * n), _t(t0 + 150 + 50 * n)) for n in range(3)]
    assert [t["latestSessionActionId"] for t in done] == [
        f"sessionaction-{session[0]['sessionId'][8:]}-{n}" for n in (1, 2, 3)]
    assert _all(client, "ListTasks", "tasks", **ids, stepId=render["stepId"]) == done


def test_a_failing_task_retries_in_new_sessions_and_is_starting_during_setup() -> None:
    sim = _flaky()
    client = sim.client()
    sim.run(until=20)
    ids = _ids(sim)
    t0 = _started(sim, ids)
    step_id = call(client, "ListSteps", **ids)["steps"][0]["stepId"]
    task_id = f"task-{step_id[5:]}-0"
    where = {**ids, "stepId": step_id, "taskId": task_id}
    # GIVEN the second session (t0+75) in its third envEnter ([t0+95, t0+105))
    sim.run(until=t0 + 100)
    task = call(client, "GetTask", **where)
    assert task["runStatus"] == "STARTING"
    assert task["failureRetryCount"] == 1
    assert task["startedAt"] == _t(t0 + 30) and "endedAt" not in task
    sessions = call(client, "ListSessions", **ids)["sessions"]
    assert [s["lifecycleStatus"] for s in sessions] == ["ENDED", "STARTED"]
    assert [s["startedAt"] for s in sessions] == [_t(t0), _t(t0 + 75)]
    assert sessions[0]["endedAt"] == _t(t0 + 75) and "endedAt" not in sessions[1]
    assert task["latestSessionActionId"] == f"sessionaction-{sessions[1]['sessionId'][8:]}-3"
    step = call(client, "GetStep", **ids, stepId=step_id)
    assert step["taskRunStatus"] == "STARTING"
    assert step["taskRunStatusCounts"]["STARTING"] == 1
    assert step["taskRunStatusCounts"]["RUNNING"] == 0
    actions = call(client, "ListSessionActions", **ids,
                   sessionId=sessions[1]["sessionId"])["sessionActions"]
    assert [(next(iter(a["definition"])), a["status"]) for a in actions] == [
        ("envEnter", "SUCCEEDED"), ("envEnter", "SUCCEEDED"), ("envEnter", "RUNNING"),
        ("taskRun", "ASSIGNED")]
    assert "endedAt" not in actions[2] and "startedAt" not in actions[3]
    # WHEN its taskRun runs
    sim.run(until=t0 + 120)
    assert call(client, "GetTask", **where)["runStatus"] == "RUNNING"
    running = call(client, "GetSessionAction", **ids,
                   sessionActionId=task["latestSessionActionId"])
    assert (running["status"], running["startedAt"]) == ("RUNNING", _t(t0 + 105))
    # THEN at the end: three runs, two retries, FAILED
    sim.run()
    task = call(client, "GetTask", **where)
    assert (task["runStatus"], task["failureRetryCount"]) == ("FAILED", 2)
    assert (task["startedAt"], task["endedAt"]) == (_t(t0 + 30), _t(t0 + 210))
    sessions = call(client, "ListSessions", **ids)["sessions"]
    assert [s["endedAt"] for s in sessions] == [_t(t0 + 75 * (k + 1)) for k in range(3)]
    assert task["latestSessionActionId"] == f"sessionaction-{sessions[2]['sessionId'][8:]}-3"
    runs = call(client, "ListSessionActions", **ids, taskId=task_id)["sessionActions"]
    assert [(a["status"], a["startedAt"], a["endedAt"]) for a in runs] == [
        ("FAILED", _t(t0 + 75 * k + 30), _t(t0 + 75 * k + 60)) for k in range(3)]


def test_list_tasks_agrees_with_the_runs_tables() -> None:
    adaptive = {
        "specificationVersion": "jobtemplate-2023-09", "name": "adaptive",
        "extensions": ["TASK_CHUNKING"],
        "steps": [_step("frames", parameterSpace={"taskParameterDefinitions": [
            {"name": "Frame", "type": "CHUNK[INT]", "range": "1-20",
             "chunks": {"defaultTaskCount": 2, "targetRuntimeSeconds": 40,
                        "rangeConstraint": "CONTIGUOUS"}}]})]}
    unlicensed = {"specificationVersion": "jobtemplate-2023-09", "name": "unlicensed",
                  "steps": [_step("nuke", hostRequirements={
                      "amounts": [{"name": "amount.license.none", "min": 1}]})]}
    raw = {"name": "agree", "seed": 11, "start": "2026-03-02T09:00:00",
           "farm": _farm(2, limits=True),
           "workload": {"jobs": [{"template": PIPE, "queue": "render", "at": 0},
                                 {"template": unlicensed, "queue": "render", "at": 0},
                                 {"template": FLAKY, "queue": "render", "at": 5,
                                  "maxRetriesPerTask": 1},
                                 {"template": adaptive, "queue": "render", "at": 10}]},
           "runtimes": [{"match": {"step": "flaky"}, "duration": "30s",
                         "failure_probability": 1.0},
                        {"match": {"step": "frames"}, "duration": "10s", "per_frame": True},
                        {"match": {"action": "envEnter"}, "duration": "7s"},
                        {"match": {"action": "syncInputJobAttachments"}, "duration": "3s"},
                        {"duration": "25s"}]}
    sim = Simulation(scenario_from_dict(raw))
    client = sim.client()
    for until in (60.0, 160.0, None):
        sim.run(until=until)
        table = sim.result().tasks
        rows = {str(r.task_id): r for r in table.itertuples()}
        seen = 0
        farm, queue = client.farm_id, client.resource_id("queue", 0)
        for job in call(client, "ListJobs", farmId=farm, queueId=queue)["jobs"]:
            ids = {"farmId": farm, "queueId": queue, "jobId": job["jobId"]}
            for step in call(client, "ListSteps", **ids)["steps"]:
                for task in _all(client, "ListTasks", "tasks", **ids, stepId=step["stepId"]):
                    row = rows[task["taskId"]]
                    seen += 1
                    assert task["runStatus"] == str(row.status)
                    assert task["failureRetryCount"] == row.failure_retry_count
                    assert {k: str(v) for k, v in json.loads(row.parameters).items()} == {
                        k: next(iter(v.values())) for k, v in task["parameters"].items()}
                    assert _same(_seconds(task.get("startedAt")), row.started_at)
                    if task["runStatus"] not in ("RUNNING", "STARTING"):
                        assert _same(_seconds(task.get("endedAt")), row.ended_at)
                    latest = row.latest_session_action_id
                    assert task.get("latestSessionActionId") == (
                        latest if isinstance(latest, str) else None)
        assert seen == len(table)
    # every action of every job, each as GetSessionAction and BatchGetSessionAction say
    kinds = set()
    for job in call(client, "ListJobs", farmId=farm, queueId=queue)["jobs"]:
        ids = {"farmId": farm, "queueId": queue, "jobId": job["jobId"]}
        actions = _all(client, "ListSessionActions", "sessionActions", **ids)
        for action in actions:
            kinds.add(next(iter(action["definition"])))
            one = call(client, "GetSessionAction", **ids,
                       sessionActionId=action["sessionActionId"])
            assert {k: one[k] for k in action if k != "definition"} == {
                k: v for k, v in action.items() if k != "definition"}
        if actions:
            batch = call(client, "BatchGetSessionAction", identifiers=[
                ids | {"sessionActionId": a["sessionActionId"]} for a in actions[:100]])
            assert [a["sessionActionId"] for a in batch["sessionActions"]] == [
                a["sessionActionId"] for a in actions[:100]]
    assert kinds == {"syncInputJobAttachments", "envEnter", "taskRun", "envExit"}
    unlicensed_job = call(client, "ListJobs", farmId=farm, queueId=queue)["jobs"][1]
    assert call(client, "ListSteps", farmId=farm, queueId=queue, jobId=unlicensed_job[
        "jobId"])["steps"][0]["taskRunStatus"] == "NOT_COMPATIBLE"


def _seconds(moment: dt.datetime | None) -> float:
    return math.nan if moment is None else (moment - START).total_seconds()


def _same(a: float, b: float) -> bool:
    """Equal, or both NaN (to the microsecond of a timestamp)."""
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) < 1e-6


# ---------------------------------------------------------------------- sessions and actions


def test_sessions_and_their_actions() -> None:
    sim = _flaky()
    sim.run()
    client = sim.client()
    ids = _ids(sim)
    t0 = _started(sim, ids)
    sessions = call(client, "ListSessions", **ids)["sessions"]
    worker = sessions[0]["workerId"]
    fleet = client.resource_id("fleet", 0)
    assert {(s["workerId"], s["fleetId"]) for s in sessions} == {(worker, fleet)}
    one = call(client, "GetSession", **ids, sessionId=sessions[1]["sessionId"])
    assert {k: one[k] for k in sessions[1]} == sessions[1]
    assert one["log"] == {"logDriver": "awslogs", "options": {
        "logGroupName": f"/aws/deadline/{ids['farmId']}/{ids['queueId']}",
        "logStreamName": sessions[1]["sessionId"]}}
    mine = call(client, "ListSessionsForWorker", farmId=ids["farmId"], fleetId=fleet,
                workerId=worker)["sessions"]
    assert [(s["sessionId"], s["jobId"], s["queueId"]) for s in mine] == [
        (s["sessionId"], ids["jobId"], ids["queueId"]) for s in sessions]
    assert _all(client, "ListSessions", "sessions", **ids) == sessions
    assert _all(client, "ListSessionsForWorker", "sessions", farmId=ids["farmId"],
                fleetId=fleet, workerId=worker) == mine
    # each session: QEnv, Conda, Scratch entered; the taskRun; exited in reverse
    step_id = call(client, "ListSteps", **ids)["steps"][0]["stepId"]
    job_env = f"JOB:{ids['jobId']}:"
    envs = [job_env + "QEnv", job_env + "Conda", f"STEP:{step_id}:Scratch"]
    actions = call(client, "ListSessionActions", **ids)["sessionActions"]
    assert len(actions) == 3 * 7
    for k, session in enumerate(sessions):
        mine = actions[7 * k:7 * k + 7]
        assert mine == call(client, "ListSessionActions", **ids,
                            sessionId=session["sessionId"])["sessionActions"]
        assert [a["sessionActionId"] for a in mine] == [
            f"sessionaction-{session['sessionId'][8:]}-{n}" for n in range(7)]
        assert [a["definition"] for a in mine] == (
            [{"envEnter": {"environmentId": e}} for e in envs]
            + [{"taskRun": {"stepId": step_id, "taskId": f"task-{step_id[5:]}-0",
                            "parameters": {}}}]
            + [{"envExit": {"environmentId": e}} for e in reversed(envs)])
        assert [a["status"] for a in mine] == ["SUCCEEDED"] * 3 + ["FAILED"] + [
            "SUCCEEDED"] * 3
        starts = [0, 10, 20, 30, 60, 65, 70]
        ends = [10, 20, 30, 60, 65, 70, 75]
        assert [(a["startedAt"], a["endedAt"]) for a in mine] == [
            (_t(t0 + 75 * k + s), _t(t0 + 75 * k + e)) for s, e in zip(starts, ends,
                                                                       strict=True)]
        assert [a.get("progressPercent") for a in mine] == [100.0] * 3 + [None] + [100.0] * 3
    detail = call(client, "GetSessionAction", **ids, sessionActionId=actions[3][
        "sessionActionId"])
    assert detail["sessionId"] == sessions[0]["sessionId"]
    assert detail["processExitCode"] == 1 and "acquiredLimits" not in detail
    assert {k: detail[k] for k in actions[3]} == actions[3]
    assert _all(client, "ListSessionActions", "sessionActions", **ids) == actions
    # one session's taskRuns of one task
    assert call(client, "ListSessionActions", **ids, sessionId=sessions[2]["sessionId"],
                taskId=f"task-{step_id[5:]}-0")["sessionActions"] == [actions[17]]


def test_a_task_run_that_held_a_license_lists_it() -> None:
    sim = _pipeline()
    sim.run()
    client = sim.client()
    ids = _ids(sim)
    limit = client.resource_id("limit", 0)
    sim_step, render, _ = call(client, "ListSteps", **ids)["steps"]
    for step, held in ((render, [{"limitId": limit, "count": 1}]), (sim_step, None)):
        task = call(client, "ListTasks", **ids, stepId=step["stepId"])["tasks"][0]
        action = call(client, "GetSessionAction", **ids,
                      sessionActionId=task["latestSessionActionId"])
        assert action.get("acquiredLimits") == held
        assert action["definition"]["taskRun"]["taskId"] == task["taskId"]
        assert action["definition"]["taskRun"]["parameters"] == task["parameters"]
        assert (action["status"], action["progressPercent"], action["processExitCode"]) == (
            "SUCCEEDED", 100.0, 0)


def test_the_session_action_ids_computed_without_the_tables_columns_are_the_same() -> None:
    """When a result's tables have no ``session_action_id`` column, the reads compute the
    same ids (and each task's latest one) from ``session_actions``' order."""
    sim = _flaky()
    sim.run(until=100)
    result = sim.result()

    class Bare:
        sessions = result.sessions
        session_actions = result.session_actions.drop(columns=["session_action_id"])
        task_runs = result.task_runs.drop(columns=["session_action_id"])

    bare = _Records(Bare(), [])
    full = _Records(result, [])
    actions = result.session_actions
    assert [bare.action_id(r) for r in range(len(actions))] == list(
        actions["session_action_id"])
    assert [bare.action_row(str(i)) for i in actions["session_action_id"]] == list(
        range(len(actions)))
    for task_id in result.tasks["task_id"]:
        got, want = bare.task_times(str(task_id)), full.task_times(str(task_id))
        assert got[2] == want[2]
        assert got[:2] == pytest.approx(want[:2], nan_ok=True)


# ---------------------------------------------------------------------- job parameters


def test_job_parameter_definitions_are_the_templates() -> None:
    sim = _pipeline()
    sim.run(until=20)
    client = sim.client()
    ids = _ids(sim)
    definitions = call(client, "ListJobParameterDefinitions", **ids)["jobParameterDefinitions"]
    assert [d["name"] for d in definitions] == ["Frames", "Count", "Scale"]
    assert definitions[0] == {"name": "Frames", "type": "STRING", "default": "1-10"}
    assert definitions[1]["minValue"] == 1
    assert _all(client, "ListJobParameterDefinitions", "jobParameterDefinitions",
                **ids) == definitions
    # a job created through the API: its template is the one CreateJob decoded
    job = call(client, "CreateJob", farmId=ids["farmId"], queueId=ids["queueId"], priority=50,
               template=json.dumps(PIPE), templateType="JSON",
               parameters={"Frames": {"string": "1-3"}, "Count": {"int": "7"}})
    created = call(client, "ListJobParameterDefinitions", **(ids | job))
    assert created["jobParameterDefinitions"] == definitions
    batch = call(client, "BatchGetJob", identifiers=[ids | job])["jobs"][0]
    assert batch["parameters"] == {"Frames": {"string": "1-3"}, "Count": {"int": "7"},
                                   "Scale": {"float": "0.5"}}


# ---------------------------------------------------------------------- errors and batches


def test_unknown_resources_are_resource_not_found() -> None:
    sim = _pipeline()
    sim.run(until=150)
    client = sim.client()
    ids = _ids(sim)
    steps = call(client, "ListSteps", **ids)["steps"]
    step_id = steps[1]["stepId"]
    other_queue = client.resource_id("queue", 1)
    missing_step = "step-" + "e" * 32
    session = call(client, "ListSessions", **ids)["sessions"][0]["sessionId"]
    action = f"sessionaction-{session[8:]}-0"
    fleet = client.resource_id("fleet", 0)
    worker = call(client, "ListWorkers", farmId=ids["farmId"], fleetId=fleet)["workers"][0][
        "workerId"]
    cases: list[tuple[str, dict[str, Any]]] = [
        ("GetStep", ids | {"stepId": missing_step}),
        ("GetStep", ids | {"queueId": other_queue, "stepId": step_id}),
        ("ListTasks", ids | {"stepId": missing_step}),
        ("ListStepDependencies", ids | {"stepId": missing_step}),
        ("ListStepConsumers", ids | {"stepId": missing_step}),
        ("GetTask", ids | {"stepId": step_id, "taskId": f"task-{step_id[5:]}-3"}),
        ("GetTask", ids | {"stepId": step_id, "taskId": f"task-{steps[0]['stepId'][5:]}-0"}),
        ("GetSession", ids | {"sessionId": "session-" + "e" * 32}),
        ("GetSessionAction", ids | {"sessionActionId": f"sessionaction-{session[8:]}-99"}),
        ("GetSessionAction", ids | {"sessionActionId": f"sessionaction-{'e' * 32}-0"}),
        ("ListSessionActions", ids | {"sessionId": "session-" + "e" * 32}),
        ("ListSessionActions", ids | {"taskId": f"task-{'e' * 32}-0"}),
        ("ListSessionsForWorker", {"farmId": ids["farmId"], "fleetId": fleet,
                                   "workerId": "worker-" + "e" * 32}),
        ("ListSteps", ids | {"jobId": "job-" + "e" * 32}),
        ("GetStep", ids | {"farmId": "farm-" + "e" * 32, "stepId": step_id}),
    ]
    for operation, params in cases:
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            getattr(client, xform_name(operation))(**params)
    # a session and an action of another job are not this job's
    other = call(client, "CreateJob", farmId=ids["farmId"], queueId=ids["queueId"],
                 priority=50, template=json.dumps(FLAKY), templateType="JSON")
    for operation, params in (("GetSession", {"sessionId": session}),
                              ("GetSessionAction", {"sessionActionId": action})):
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            getattr(client, xform_name(operation))(**(ids | other | params))
    assert call(client, "ListSessions", **(ids | other)) == {"sessions": []}
    with pytest.raises(client.exceptions.ValidationException):
        client.get_task(**ids, stepId=step_id, taskId="task-1")
    with pytest.raises(client.exceptions.ValidationException):
        client.list_tasks(**ids, stepId=step_id, nextToken="x")
    assert call(client, "ListSessionsForWorker", farmId=ids["farmId"], fleetId=fleet,
                workerId=worker)["sessions"] is not None


def test_batch_reads_put_each_item_in_its_list_or_in_errors() -> None:
    sim = _pipeline()
    sim.run(until=150)
    client = sim.client()
    ids = _ids(sim)
    steps = call(client, "ListSteps", **ids)["steps"]
    render = steps[1]["stepId"]
    missing = {"jobId": "job-" + "e" * 32}
    wrong_farm = {"farmId": "farm-" + "e" * 32}
    jobs = call(client, "BatchGetJob", identifiers=[ids, ids | missing, ids | wrong_farm])
    assert [j["jobId"] for j in jobs["jobs"]] == [ids["jobId"]]
    assert {k: v for k, v in jobs["jobs"][0].items()
            if k not in ("farmId", "queueId", "parameters")} == call(client, "GetJob", **ids)
    assert [(e["jobId"], e["farmId"], e["code"]) for e in jobs["errors"]] == [
        (missing["jobId"], ids["farmId"], "ResourceNotFoundException"),
        (ids["jobId"], wrong_farm["farmId"], "ResourceNotFoundException")]
    got = call(client, "BatchGetStep", identifiers=[
        ids | {"stepId": s["stepId"]} for s in steps] + [ids | {"stepId": "step-" + "e" * 32}])
    assert [s["stepId"] for s in got["steps"]] == [s["stepId"] for s in steps]
    assert got["steps"][1] == call(client, "GetStep", **ids, stepId=render) | ids | {
        "stepId": render}
    assert [e["code"] for e in got["errors"]] == ["ResourceNotFoundException"]
    tasks = call(client, "BatchGetTask", identifiers=[
        ids | {"stepId": render, "taskId": f"task-{render[5:]}-{n}"} for n in (0, 1, 7)])
    assert [t["taskId"] for t in tasks["tasks"]] == [f"task-{render[5:]}-{n}" for n in (0, 1)]
    assert tasks["tasks"][0] == call(client, "GetTask", **ids, stepId=render,
                                     taskId=f"task-{render[5:]}-0") | ids | {"stepId": render}
    assert [e["taskId"] for e in tasks["errors"]] == [f"task-{render[5:]}-7"]
    session = call(client, "ListSessions", **ids)["sessions"][0]["sessionId"]
    sessions = call(client, "BatchGetSession", identifiers=[
        ids | {"sessionId": session}, ids | {"sessionId": "session-" + "e" * 32}])
    assert sessions["sessions"] == [call(client, "GetSession", **ids, sessionId=session) | ids]
    assert [e["sessionId"] for e in sessions["errors"]] == ["session-" + "e" * 32]
    action = f"sessionaction-{session[8:]}-1"
    actions = call(client, "BatchGetSessionAction", identifiers=[
        ids | {"sessionActionId": action}, ids | missing | {"sessionActionId": action}])
    assert actions["sessionActions"] == [
        call(client, "GetSessionAction", **ids, sessionActionId=action) | ids]
    assert [e["jobId"] for e in actions["errors"]] == [missing["jobId"]]
    fleet = client.resource_id("fleet", 0)
    workers = call(client, "ListWorkers", farmId=ids["farmId"], fleetId=fleet)["workers"]
    got_workers = call(client, "BatchGetWorker", identifiers=[
        {"farmId": ids["farmId"], "fleetId": fleet, "workerId": w["workerId"]}
        for w in workers] + [{"farmId": ids["farmId"], "fleetId": fleet,
                              "workerId": "worker-" + "e" * 32}])
    assert got_workers["workers"] == workers
    assert [e["code"] for e in got_workers["errors"]] == ["ResourceNotFoundException"]


def test_batch_get_job_entity_answers_the_workers_that_ran_the_job() -> None:
    sim = _flaky()
    sim.run(until=20)
    client = sim.client()
    ids = _ids(sim)
    fleet = client.resource_id("fleet", 0)
    worker = call(client, "ListWorkers", farmId=ids["farmId"], fleetId=fleet)["workers"][0][
        "workerId"]
    step_id = call(client, "ListSteps", **ids)["steps"][0]["stepId"]
    job = ids["jobId"]
    where = {"farmId": ids["farmId"], "fleetId": fleet, "workerId": worker}
    got = call(client, "BatchGetJobEntity", **where, identifiers=[
        {"jobDetails": {"jobId": job}},
        {"stepDetails": {"jobId": job, "stepId": step_id}},
        {"environmentDetails": {"jobId": job, "environmentId": f"JOB:{job}:Conda"}},
        {"environmentDetails": {"jobId": job, "environmentId": f"JOB:{job}:QEnv"}},
        {"environmentDetails": {"jobId": job, "environmentId": f"STEP:{step_id}:Scratch"}},
        {"environmentDetails": {"jobId": job, "environmentId": f"JOB:{job}:Nope"}},
        {"jobAttachmentDetails": {"jobId": job}},
        {"stepDetails": {"jobId": job, "stepId": "step-" + "e" * 32}},
        {"jobDetails": {"jobId": "job-" + "e" * 32}},
    ])
    entities = got["entities"]
    assert entities[0] == {"jobDetails": {
        "jobId": job, "schemaVersion": "jobtemplate-2023-09",
        "logGroupName": f"/aws/deadline/{ids['farmId']}/{ids['queueId']}",
        "jobRunAsUser": {"runAs": "WORKER_AGENT_USER"}, "parameters": {}}}
    step = entities[1]["stepDetails"]
    assert (step["stepId"], step["dependencies"], step["template"]["name"]) == (
        step_id, [], "flaky")
    assert step["template"]["stepEnvironments"] == [{"name": "Scratch",
                                                     "variables": {"A": "1"}}]
    assert [e["environmentDetails"]["template"]["name"] for e in entities[2:]] == [
        "Conda", "QEnv", "Scratch"]
    assert entities[3]["environmentDetails"]["template"]["variables"] == {"STUDIO": "1"}
    assert [(next(iter(e)), next(iter(e.values()))["code"]) for e in got["errors"]] == [
        ("environmentDetails", "ResourceNotFoundException"),
        ("jobAttachmentDetails", "ResourceNotFoundException"),
        ("stepDetails", "ResourceNotFoundException"),
        ("jobDetails", "ResourceNotFoundException")]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.batch_get_job_entity(**where | {"workerId": "worker-" + "e" * 32},
                                    identifiers=[{"jobDetails": {"jobId": job}}])


def test_batch_get_job_entity_refuses_a_worker_without_an_assignment_on_the_job() -> None:
    sim = _pipeline()
    sim.run(until=20)
    client = sim.client()
    ids = _ids(sim)
    fleet = client.resource_id("fleet", 0)
    workers = [w["workerId"] for w in call(client, "ListWorkers", farmId=ids["farmId"],
                                           fleetId=fleet)["workers"]]
    session = call(client, "ListSessions", **ids)["sessions"][0]
    # one worker runs sim; the other has had nothing (one READY task at t0)
    idle = next(w for w in workers if w != session["workerId"])
    step_id = call(client, "ListSteps", **ids)["steps"][1]["stepId"]
    asked = [{"jobDetails": {"jobId": ids["jobId"]}},
             {"stepDetails": {"jobId": ids["jobId"], "stepId": step_id}}]
    refused = call(client, "BatchGetJobEntity", farmId=ids["farmId"], fleetId=fleet,
                   workerId=idle, identifiers=asked)
    assert refused["entities"] == []
    assert [next(iter(e.values()))["code"] for e in refused["errors"]] == [
        "AccessDeniedException"] * 2
    answered = call(client, "BatchGetJobEntity", farmId=ids["farmId"], fleetId=fleet,
                    workerId=session["workerId"], identifiers=asked)
    assert answered["errors"] == []
    step = answered["entities"][1]["stepDetails"]
    sim_id = call(client, "ListSteps", **ids)["steps"][0]["stepId"]
    assert (step["template"]["name"], step["dependencies"]) == ("render", [sim_id])
    assert answered["entities"][0]["jobDetails"]["parameters"] == {
        "Frames": {"string": "1-10"}, "Count": {"int": "3"}, "Scale": {"float": "0.5"}}
    assert answered["entities"][0]["jobDetails"]["extensions"] == ["TASK_CHUNKING"]


def test_reads_at_one_instant_share_one_result_and_a_new_instant_builds_another() -> None:
    sim = _pipeline()
    sim.run(until=150)
    client = sim.client()
    ids = _ids(sim)
    builds = []
    result = sim.result

    def counted() -> Any:
        builds.append(sim.now)
        return result()

    sim.result = counted
    call(client, "ListSessions", **ids)
    call(client, "ListSessionActions", **ids)
    steps = call(client, "ListSteps", **ids)["steps"]
    call(client, "ListTasks", **ids, stepId=steps[1]["stepId"])
    assert builds == [150.0]
    sim.run(until=160)
    call(client, "ListSessions", **ids)
    assert builds == [150.0, 160.0]
