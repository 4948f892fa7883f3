"""Conformance of ``sim.client()`` to botocore's model of Deadline Cloud: every operation in
scope is driven with valid requests built from a live farm's ids, and each response is held to
the operation's output shape (required members, types, enums, ranges, lengths, patterns; every
timestamp a timezone-aware datetime; no None where boto3 would leave a member out); list
operations page one item at a time, each item once; and the requests botocore refuses to send,
derived mechanically from the input shapes, are refused by the client with botocore's own
``ParamValidationError``.

One test per operation and check, its id the operation's snake_case name, so ``-k`` picks
them (``-k update_queue``, ``-k "conforms and not update"``; ``-k`` matches substrings, so
``-k get_job`` picks batch_get_job too: a node id, ``...::test_read_conforms[get_job]``, picks
one). An operation in scope that the client does not have yet fails its tests (an assertion
naming it): that failure is the point.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import functools
import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore import xform_name
from botocore.exceptions import ParamValidationError
from botocore.model import ListShape, MapShape, Shape, StringShape, StructureShape
from botocore.validate import validate_parameters

from farmsim.api._model import service_model, shape_problems
from farmsim.api.client import DeadlineClient
from farmsim.engine.simulation import Simulation
from farmsim.scenario import Scenario, scenario_from_dict

#: The operations of the issue's scope (boto3's snake_case names).
IN_SCOPE = (
    "get_farm", "list_farms", "get_queue", "list_queues", "update_queue", "get_fleet",
    "list_fleets", "update_fleet", "get_queue_fleet_association",
    "list_queue_fleet_associations", "update_queue_fleet_association", "get_worker",
    "list_workers", "get_queue_environment", "list_queue_environments", "create_limit",
    "get_limit", "list_limits", "update_limit", "delete_limit", "create_queue_limit_association",
    "get_queue_limit_association", "list_queue_limit_associations",
    "update_queue_limit_association", "delete_queue_limit_association", "create_job", "get_job",
    "list_jobs", "update_job", "search_jobs", "get_step", "list_steps", "update_step",
    "search_steps", "get_task", "list_tasks", "update_task", "search_tasks",
    "list_step_dependencies", "list_step_consumers", "list_job_parameter_definitions",
    "batch_get_job", "batch_get_step", "batch_get_task", "batch_get_session",
    "batch_get_session_action", "batch_get_worker", "batch_update_job", "batch_update_task",
    "get_session", "list_sessions", "list_sessions_for_worker", "get_session_action",
    "list_session_actions", "batch_get_job_entity", "search_workers",
    "start_sessions_statistics_aggregation", "get_sessions_statistics_aggregation",
    "get_budget", "list_budgets",
)

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
#: Where the farm is read: see test_the_farm_has_every_kind_of_entity.
UNTIL = 150.0
#: Ids of the right form that name nothing (the batch reads' ``errors``).
NO_JOB = "job-" + "0" * 32
NO_STEP = "step-" + "0" * 32


# ---------------------------------------------------------------------- the farm


def _step(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "script": {"actions": {"onRun": {"command": "run"}}}, **fields}


def _queue_environment(name: str) -> dict[str, Any]:
    return {"specificationVersion": "environment-2023-09",
            "environment": {"name": name, "variables": {name.upper(): "1"}}}


#: sim (1 task, 30 s, a step environment) -> render (3 tasks, 40 s, one "lic" license each;
#: "lic" has 1) -> post (4 tasks, depends on render and sim); a job environment; 3 parameters.
PIPE = {
    "specificationVersion": "jobtemplate-2023-09", "name": "pipe",
    "parameterDefinitions": [
        {"name": "Frames", "type": "STRING", "default": "1-3"},
        {"name": "Count", "type": "INT", "default": 3, "minValue": 1},
        {"name": "Scale", "type": "FLOAT", "default": 0.5}],
    "jobEnvironments": [{"name": "Conda",
                         "script": {"actions": {"onEnter": {"command": "activate"}}}}],
    "steps": [
        _step("sim", stepEnvironments=[{"name": "Scratch", "variables": {"A": "1"}}]),
        _step("render", dependencies=[{"dependsOn": "sim"}],
              parameterSpace={"taskParameterDefinitions": [
                  {"name": "Frame", "type": "INT", "range": "{{Param.Frames}}"}]},
              hostRequirements={"amounts": [{"name": "amount.license.lic", "min": 1}]}),
        _step("post", dependencies=[{"dependsOn": "render"}, {"dependsOn": "sim"}],
              parameterSpace={"taskParameterDefinitions": [
                  {"name": "X", "type": "INT", "range": [1, 2]},
                  {"name": "P", "type": "PATH", "range": ["/a", "/b"]}]}),
    ],
}
#: One task that fails every run (one retry): FAILED.
FLAKY = {"specificationVersion": "jobtemplate-2023-09", "name": "flaky",
         "steps": [_step("flaky")]}
#: Eight one-minute tasks, one "nuke" license each ("nuke" has 2).
COMP = {"specificationVersion": "jobtemplate-2023-09", "name": "comp",
        "steps": [_step("comp", parameterSpace={"taskParameterDefinitions": [
            {"name": "F", "type": "INT", "range": "1-8"}]},
            hostRequirements={"amounts": [{"name": "amount.license.nuke", "min": 1}]})]}
HELD = {"specificationVersion": "jobtemplate-2023-09", "name": "held",
        "steps": [_step("held")]}
_CAPABILITIES = {"customerManaged": {"mode": "NO_SCALING", "workerCapabilities": {
    "vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192}, "osFamily": "LINUX",
    "cpuArchitectureType": "x86_64"}}}

#: Two queues (render: the "lic" limit and two queue environments; comp: the "nuke" limit and
#: both fleets), two fleets (linux: 2 workers, serves both queues; spare: 1 worker, serves
#: comp), a third limit no queue uses.
RAW: dict[str, Any] = {
    "name": "conformance", "seed": 11, "start": "2026-03-02T09:00:00Z",
    "farm": {
        "displayName": "studio",
        "queues": [
            {"displayName": "render", "fleets": ["linux"], "limits": ["lic"],
             "environments": [{"priority": 0, "template": _queue_environment("Studio")},
                              {"priority": 5, "template": _queue_environment("Site")}]},
            {"displayName": "comp", "fleets": ["linux", "spare"], "limits": ["nuke"]}],
        "fleets": [
            {"displayName": "linux", "minWorkerCount": 0, "maxWorkerCount": 2,
             "configuration": _CAPABILITIES, "simulation": {"workers": 2}},
            {"displayName": "spare", "minWorkerCount": 0, "maxWorkerCount": 2,
             "configuration": _CAPABILITIES, "simulation": {"workers": 1}}],
        "limits": [
            {"displayName": "lic", "amountRequirementName": "amount.license.lic",
             "maxCount": 1},
            {"displayName": "nuke", "amountRequirementName": "amount.license.nuke",
             "maxCount": 2},
            {"displayName": "unused", "amountRequirementName": "amount.license.unused",
             "maxCount": 3}],
        # Budgets that never act (the fleets cost nothing): one with a schedule and actions,
        # one without either.
        "budgets": [
            {"displayName": "render budget", "description": "conformance",
             "usageTrackingResource": {"queue": "render"}, "approximateDollarLimit": 100,
             "actions": [{"type": "STOP_SCHEDULING_AND_COMPLETE_TASKS",
                          "thresholdPercentage": 80, "description": "slow down"},
                         {"type": "STOP_SCHEDULING_AND_CANCEL_TASKS",
                          "thresholdPercentage": 100}],
             "schedule": {"fixed": {"startTime": "2026-03-01T00:00:00Z",
                                    "endTime": "2026-04-01T00:00:00Z"}}},
            {"displayName": "comp budget", "usageTrackingResource": {"queue": "comp"},
             "approximateDollarLimit": 0.01, "actions": []}],
    },
    "workload": {"jobs": [
        {"template": PIPE, "queue": "render", "at": 0, "priority": 60},
        {"template": FLAKY, "queue": "render", "at": 0, "priority": 90, "maxRetriesPerTask": 1},
        {"template": HELD, "queue": "render", "at": 0, "priority": 10,
         "targetTaskRunStatus": "SUSPENDED"},
        {"template": COMP, "queue": "comp", "at": 0, "priority": 50},
    ]},
    "runtimes": [{"match": {"action": "envEnter"}, "duration": "5s"},
                 {"match": {"action": "envExit"}, "duration": "2s"},
                 {"match": {"step": "flaky"}, "duration": "20s", "failure_probability": 1.0},
                 {"match": {"step": "sim"}, "duration": "30s"},
                 {"match": {"step": "render"}, "duration": "40s"},
                 {"duration": "60s"}],
}


@functools.cache
def _scenario() -> Scenario:
    return scenario_from_dict(copy.deepcopy(RAW))


@dataclasses.dataclass(frozen=True)
class Farm:
    """A simulation run to :data:`UNTIL` and the ids the requests use (read from the run's
    tables, not from the client)."""

    sim: Simulation
    ids: dict[str, str]

    @property
    def client(self) -> DeadlineClient:
        return self.sim.client()

    def __getitem__(self, key: str) -> str:
        return self.ids[key]

    def job(self, job: str, queue: str = "render") -> dict[str, str]:
        """farmId, queueId and jobId of a job (by its key in :attr:`ids`)."""
        return {"farmId": self["farm"], "queueId": self[queue], "jobId": self[job]}

    def step(self, step: str, job: str = "pipe") -> dict[str, str]:
        return self.job(job) | {"stepId": self[step]}

    def task(self, task: str, step: str = "renderStep", job: str = "pipe") -> dict[str, str]:
        return self.step(step, job) | {"taskId": self[task]}


def _build() -> Farm:
    sim = Simulation(_scenario())
    sim.run(until=UNTIL)
    client = sim.client()
    result = sim.result()
    jobs = {str(r.name): str(r.job_id) for r in result.jobs.itertuples()}
    steps = {str(r.name): str(r.step_id) for r in result.steps.itertuples()}

    def task(step: str, status: str) -> str:
        rows = result.tasks[(result.tasks.step_id == steps[step])
                            & (result.tasks.status == status)]
        return str(rows.task_id.iloc[0])

    sessions = result.sessions
    pipe_session = sessions[sessions.job_id == jobs["pipe"]].iloc[0]
    flaky_session = sessions[sessions.job_id == jobs["flaky"]].iloc[0]
    actions = result.session_actions

    def action(session: str, kind: str) -> str:
        rows = actions[(actions.session_id == session) & (actions.action == kind)]
        return str(rows.session_action_id.iloc[0])

    ids = {
        "farm": client.farm_id,
        "render": client.resource_id("queue", 0), "comp": client.resource_id("queue", 1),
        "linux": client.resource_id("fleet", 0), "spare": client.resource_id("fleet", 1),
        "lic": client.resource_id("limit", 0), "nuke": client.resource_id("limit", 1),
        "unused": client.resource_id("limit", 2),
        "pipe": jobs["pipe"], "flaky": jobs["flaky"], "held": jobs["held"],
        "compJob": jobs["comp"],
        "simStep": steps["sim"], "renderStep": steps["render"], "postStep": steps["post"],
        "flakyStep": steps["flaky"], "compStep": steps["comp"],
        "succeeded": task("sim", "SUCCEEDED"), "running": task("render", "RUNNING"),
        "ready": task("render", "READY"), "pending": task("post", "PENDING"),
        "failed": task("flaky", "FAILED"),
        "session": str(pipe_session.session_id), "endedSession": str(flaky_session.session_id),
        "worker": str(pipe_session.worker_id), "workerFleet": str(pipe_session.fleet_id),
        "envEnter": action(str(pipe_session.session_id), "envEnter"),
        "taskRun": action(str(pipe_session.session_id), "taskRun"),
        "envExit": action(str(flaky_session.session_id), "envExit"),
    }
    return Farm(sim, ids)


@pytest.fixture(scope="module")
def farm() -> Farm:
    """The farm the read operations share (they do not change it)."""
    return _build()


@pytest.fixture(scope="module")
def finished() -> Farm:
    """The same farm once the run is over (every job that can run has ended)."""
    built = _build()
    built.sim.run()
    return built


@pytest.fixture
def fresh() -> Farm:
    """A farm of its own, for an operation that changes it."""
    return _build()


@pytest.fixture(scope="module")
def scratch() -> Farm:
    """The farm the refused requests are sent to (a request botocore refuses changes nothing;
    one the client wrongly accepts changes only this farm)."""
    return _build()


# ---------------------------------------------------------------------- the cases

Requests = Callable[[Farm], list[dict[str, Any]]]
FollowUps = Callable[[Farm, list[dict[str, Any]]], list[tuple[str, dict[str, Any]]]]


@dataclasses.dataclass(frozen=True)
class Case:
    """How to drive one operation.

    Attributes:
        name: boto3's name of the operation (``get_farm``).
        requests: valid requests, made in order (the first is the base of the refused ones).
        mutates: the operation changes the farm (it gets a farm of its own).
        setup: what to do before the requests (on a farm of its own).
        follow_ups: reads (snake_case operation, request) made after the requests, their
            responses held to their shapes too: what the change did to the farm.
        min_items: a list or search operation's fewest items for the first request (so that
            paging one at a time takes that many pages).
    """

    name: str
    requests: Requests
    mutates: bool = False
    setup: Callable[[Farm], None] | None = None
    follow_ups: FollowUps | None = None
    min_items: int = 0


def _queue_environment_id(f: Farm) -> str:
    listed = f.client.list_queue_environments(farmId=f["farm"], queueId=f["render"])
    return str(listed["environments"][0]["queueEnvironmentId"])


def _aggregation(f: Farm) -> str:
    started = f.client.start_sessions_statistics_aggregation(**_statistics_request(f))
    return str(started["aggregationId"])


def _statistics_request(f: Farm) -> dict[str, Any]:
    return {"farmId": f["farm"], "resourceIds": {"queueIds": [f["render"], f["comp"]]},
            "startTime": START, "endTime": START + dt.timedelta(hours=1),
            "timezone": "UTC+00:00", "period": "HOURLY",
            "groupBy": ["QUEUE_ID", "USAGE_TYPE"], "statistics": ["SUM", "MIN", "MAX", "AVG"]}


def _stop_comp_nuke(f: Farm) -> None:
    """Stop the comp queue's use of the nuke limit, canceling the runs holding it: STOPPED."""
    f.client.update_queue_limit_association(farmId=f["farm"], queueId=f["comp"],
                                            limitId=f["nuke"],
                                            status="STOP_LIMIT_USAGE_AND_CANCEL_TASKS")


def _template(document: dict[str, Any]) -> str:
    return json.dumps(document)


CASES: tuple[Case, ...] = (
    # ------------------------------------------------------------------ farm, queues, fleets
    Case("get_farm", lambda f: [{"farmId": f["farm"]}]),
    Case("list_farms", lambda f: [{}], min_items=1),
    Case("get_queue", lambda f: [{"farmId": f["farm"], "queueId": f[q]}
                                 for q in ("render", "comp")]),
    Case("list_queues", lambda f: [{"farmId": f["farm"]}, {"farmId": f["farm"],
                                                           "status": "IDLE"}], min_items=2),
    Case("update_queue", lambda f: [{"farmId": f["farm"], "queueId": f["comp"],
                                     "displayName": "comp-renamed",
                                     "description": "conformance"}],
         mutates=True,
         follow_ups=lambda f, _: [("get_queue", {"farmId": f["farm"], "queueId": f["comp"]}),
                                  ("list_queues", {"farmId": f["farm"]})]),
    Case("get_fleet", lambda f: [{"farmId": f["farm"], "fleetId": f[x]}
                                 for x in ("linux", "spare")]),
    Case("list_fleets", lambda f: [{"farmId": f["farm"]}], min_items=2),
    Case("update_fleet", lambda f: [{"farmId": f["farm"], "fleetId": f["spare"],
                                     "displayName": "spare-renamed",
                                     "description": "conformance"}],
         mutates=True,
         follow_ups=lambda f, _: [("get_fleet", {"farmId": f["farm"], "fleetId": f["spare"]}),
                                  ("list_fleets", {"farmId": f["farm"]})]),
    # ------------------------------------------------------------------ queue-fleet associations
    Case("get_queue_fleet_association",
         lambda f: [{"farmId": f["farm"], "queueId": f[q], "fleetId": f[x]}
                    for q, x in (("render", "linux"), ("comp", "spare"))]),
    Case("list_queue_fleet_associations",
         lambda f: [{"farmId": f["farm"]}, {"farmId": f["farm"], "queueId": f["comp"]},
                    {"farmId": f["farm"], "fleetId": f["linux"]}], min_items=3),
    Case("update_queue_fleet_association",
         lambda f: [{"farmId": f["farm"], "queueId": f["comp"], "fleetId": f["spare"],
                     "status": "STOP_SCHEDULING_AND_COMPLETE_TASKS"},
                    {"farmId": f["farm"], "queueId": f["comp"], "fleetId": f["linux"],
                     "status": "STOP_SCHEDULING_AND_CANCEL_TASKS"}],
         mutates=True,
         follow_ups=lambda f, _: [
             ("get_queue_fleet_association", {"farmId": f["farm"], "queueId": f["comp"],
                                              "fleetId": f["spare"]}),
             ("list_queue_fleet_associations", {"farmId": f["farm"]})]),
    # ------------------------------------------------------------------ workers
    Case("get_worker", lambda f: [{"farmId": f["farm"], "fleetId": f["workerFleet"],
                                   "workerId": f["worker"]}]),
    Case("list_workers", lambda f: [{"farmId": f["farm"], "fleetId": f["linux"]},
                                    {"farmId": f["farm"], "fleetId": f["spare"]}],
         min_items=2),
    # ------------------------------------------------------------------ queue environments
    Case("get_queue_environment",
         lambda f: [{"farmId": f["farm"], "queueId": f["render"],
                     "queueEnvironmentId": _queue_environment_id(f)}]),
    Case("list_queue_environments",
         lambda f: [{"farmId": f["farm"], "queueId": f["render"]},
                    {"farmId": f["farm"], "queueId": f["comp"]}], min_items=2),
    # ------------------------------------------------------------------ limits
    Case("create_limit",
         lambda f: [{"farmId": f["farm"], "displayName": "new",
                     "amountRequirementName": "amount.license.new", "maxCount": 4,
                     "description": "conformance", "clientToken": "token-1"},
                    {"farmId": f["farm"], "displayName": "unbounded",
                     "amountRequirementName": "amount.license.unbounded", "maxCount": -1}],
         mutates=True,
         follow_ups=lambda f, made: [
             *(("get_limit", {"farmId": f["farm"], "limitId": r["limitId"]}) for r in made),
             ("list_limits", {"farmId": f["farm"]})]),
    Case("get_limit", lambda f: [{"farmId": f["farm"], "limitId": f[x]}
                                 for x in ("lic", "nuke", "unused")]),
    Case("list_limits", lambda f: [{"farmId": f["farm"]}], min_items=3),
    Case("update_limit",
         lambda f: [{"farmId": f["farm"], "limitId": f["lic"], "maxCount": 2,
                     "displayName": "lic-renamed", "description": "conformance"},
                    {"farmId": f["farm"], "limitId": f["nuke"], "maxCount": -1}],
         mutates=True,
         follow_ups=lambda f, _: [("get_limit", {"farmId": f["farm"], "limitId": f["lic"]}),
                                  ("get_limit", {"farmId": f["farm"], "limitId": f["nuke"]}),
                                  ("list_limits", {"farmId": f["farm"]})]),
    Case("delete_limit", lambda f: [{"farmId": f["farm"], "limitId": f["unused"]}],
         mutates=True,
         follow_ups=lambda f, _: [("list_limits", {"farmId": f["farm"]})]),
    # ------------------------------------------------------------------ queue-limit associations
    Case("create_queue_limit_association",
         lambda f: [{"farmId": f["farm"], "queueId": f["render"], "limitId": f["unused"]}],
         mutates=True,
         follow_ups=lambda f, _: [
             ("get_queue_limit_association", {"farmId": f["farm"], "queueId": f["render"],
                                              "limitId": f["unused"]}),
             ("list_queue_limit_associations", {"farmId": f["farm"]})]),
    Case("get_queue_limit_association",
         lambda f: [{"farmId": f["farm"], "queueId": f[q], "limitId": f[x]}
                    for q, x in (("render", "lic"), ("comp", "nuke"))]),
    Case("list_queue_limit_associations",
         lambda f: [{"farmId": f["farm"]}, {"farmId": f["farm"], "limitId": f["nuke"]}],
         min_items=2),
    Case("update_queue_limit_association",
         lambda f: [{"farmId": f["farm"], "queueId": f["render"], "limitId": f["lic"],
                     "status": "STOP_LIMIT_USAGE_AND_COMPLETE_TASKS"},
                    {"farmId": f["farm"], "queueId": f["comp"], "limitId": f["nuke"],
                     "status": "STOP_LIMIT_USAGE_AND_CANCEL_TASKS"}],
         mutates=True,
         follow_ups=lambda f, _: [
             ("get_queue_limit_association", {"farmId": f["farm"], "queueId": f["render"],
                                              "limitId": f["lic"]}),
             ("list_queue_limit_associations", {"farmId": f["farm"]})]),
    Case("delete_queue_limit_association",
         lambda f: [{"farmId": f["farm"], "queueId": f["comp"], "limitId": f["nuke"]}],
         mutates=True, setup=_stop_comp_nuke,
         follow_ups=lambda f, _: [("list_queue_limit_associations", {"farmId": f["farm"]})]),
    # ------------------------------------------------------------------ jobs
    Case("create_job",
         lambda f: [{"farmId": f["farm"], "queueId": f["render"], "priority": 50,
                     "template": _template(PIPE), "templateType": "JSON",
                     "parameters": {"Frames": {"string": "1-2"}, "Count": {"int": "2"},
                                    "Scale": {"float": "1.5"}},
                     "clientToken": "token-1"},
                    {"farmId": f["farm"], "queueId": f["comp"], "priority": 0,
                     "template": "specificationVersion: jobtemplate-2023-09\nname: yaml\n"
                                 "steps:\n- name: one\n  script:\n    actions:\n"
                                 "      onRun: {command: run}\n",
                     "templateType": "YAML", "targetTaskRunStatus": "SUSPENDED",
                     "maxFailedTasksCount": 3, "maxRetriesPerTask": 0, "maxWorkerCount": 1,
                     "nameOverride": "renamed", "descriptionOverride": "conformance"}],
         mutates=True,
         follow_ups=lambda f, made: [
             ("get_job", f.job("pipe") | {"jobId": made[0]["jobId"]}),
             ("get_job", f.job("compJob", "comp") | {"jobId": made[1]["jobId"]}),
             ("list_steps", f.job("pipe") | {"jobId": made[0]["jobId"]}),
             ("list_job_parameter_definitions", f.job("pipe") | {"jobId": made[0]["jobId"]}),
             ("list_jobs", {"farmId": f["farm"], "queueId": f["render"]})]),
    Case("get_job", lambda f: [f.job(j) for j in ("pipe", "flaky", "held")]
         + [f.job("compJob", "comp")]),
    Case("list_jobs", lambda f: [{"farmId": f["farm"], "queueId": f["render"]},
                                 {"farmId": f["farm"], "queueId": f["comp"]}], min_items=3),
    Case("update_job",
         lambda f: [f.job("pipe") | {"priority": 70, "maxWorkerCount": 1,
                                     "maxRetriesPerTask": 2, "maxFailedTasksCount": 4,
                                     "name": "renamed", "description": "conformance"},
                    f.job("held") | {"targetTaskRunStatus": "READY"},
                    f.job("flaky") | {"lifecycleStatus": "ARCHIVED"}],
         mutates=True,
         follow_ups=lambda f, _: [("get_job", f.job(j)) for j in ("pipe", "held", "flaky")]
         + [("list_jobs", {"farmId": f["farm"], "queueId": f["render"]})]),
    Case("search_jobs",
         lambda f: [{"farmId": f["farm"], "queueIds": [f["render"], f["comp"]],
                     "itemOffset": 0},
                    {"farmId": f["farm"], "queueIds": [f["render"]], "itemOffset": 0,
                     "pageSize": 2,
                     "filterExpressions": {"operator": "AND", "filters": [{"stringFilter": {
                         "name": "TASK_RUN_STATUS", "operator": "NOT_EQUAL",
                         "value": "SUSPENDED"}}]},
                     "sortExpressions": [{"fieldSort": {"name": "PRIORITY",
                                                        "sortOrder": "DESCENDING"}}]}],
         min_items=4),
    # ------------------------------------------------------------------ steps
    Case("get_step", lambda f: [f.step(s) for s in ("simStep", "renderStep", "postStep")]
         + [f.step("flakyStep", "flaky")]),
    Case("list_steps", lambda f: [f.job("pipe"), f.job("compJob", "comp")], min_items=3),
    Case("update_step",
         lambda f: [f.step("renderStep") | {"targetTaskRunStatus": "SUSPENDED"},
                    f.step("postStep") | {"targetTaskRunStatus": "CANCELED"}],
         mutates=True,
         follow_ups=lambda f, _: [("get_step", f.step("renderStep")),
                                  ("list_steps", f.job("pipe")),
                                  ("list_tasks", f.step("renderStep"))]),
    Case("search_steps",
         lambda f: [{"farmId": f["farm"], "queueIds": [f["render"], f["comp"]],
                     "itemOffset": 0},
                    {"farmId": f["farm"], "queueIds": [f["render"]], "itemOffset": 0,
                     "jobId": f["pipe"]}],
         min_items=6),
    Case("list_step_dependencies", lambda f: [f.step("postStep"), f.step("simStep")],
         min_items=2),
    Case("list_step_consumers", lambda f: [f.step("simStep"), f.step("postStep")],
         min_items=2),
    # ------------------------------------------------------------------ tasks
    Case("get_task", lambda f: [f.task(t) for t in ("running", "ready")]
         + [f.task("succeeded", "simStep"), f.task("pending", "postStep"),
            f.task("failed", "flakyStep", "flaky")]),
    Case("list_tasks", lambda f: [f.step("renderStep"), f.step("postStep"),
                                  f.step("flakyStep", "flaky")], min_items=3),
    Case("update_task",
         lambda f: [f.task("ready") | {"targetRunStatus": "SUSPENDED"},
                    f.task("running") | {"targetRunStatus": "READY"},
                    f.task("failed", "flakyStep", "flaky") | {"targetRunStatus": "READY"}],
         mutates=True,
         follow_ups=lambda f, _: [("get_task", f.task("ready")),
                                  ("get_task", f.task("running")),
                                  ("list_tasks", f.step("renderStep"))]),
    Case("search_tasks",
         lambda f: [{"farmId": f["farm"], "queueIds": [f["render"], f["comp"]],
                     "itemOffset": 0},
                    {"farmId": f["farm"], "queueIds": [f["render"]], "itemOffset": 0,
                     "jobId": f["pipe"]}],
         min_items=17),
    Case("list_job_parameter_definitions", lambda f: [f.job("pipe"), f.job("flaky")],
         min_items=3),
    # ------------------------------------------------------------------ batch reads
    Case("batch_get_job", lambda f: [{"identifiers": [
        f.job("pipe"), f.job("flaky"), f.job("held"), f.job("compJob", "comp"),
        f.job("pipe") | {"jobId": NO_JOB}]}]),
    Case("batch_get_step", lambda f: [{"identifiers": [
        f.step("simStep"), f.step("renderStep"), f.step("flakyStep", "flaky"),
        f.step("simStep") | {"stepId": NO_STEP}]}]),
    Case("batch_get_task", lambda f: [{"identifiers": [
        f.task("running"), f.task("ready"), f.task("succeeded", "simStep"),
        f.task("failed", "flakyStep", "flaky"),
        f.task("ready") | {"taskId": f["ready"][:-1] + "99"}]}]),
    Case("batch_get_session", lambda f: [{"identifiers": [
        f.job("pipe") | {"sessionId": f["session"]},
        f.job("flaky") | {"sessionId": f["endedSession"]},
        f.job("pipe") | {"sessionId": "session-" + "0" * 32}]}]),
    Case("batch_get_session_action", lambda f: [{"identifiers": [
        f.job("pipe") | {"sessionActionId": f["envEnter"]},
        f.job("pipe") | {"sessionActionId": f["taskRun"]},
        f.job("flaky") | {"sessionActionId": f["envExit"]},
        f.job("pipe") | {"sessionActionId": "sessionaction-" + "0" * 32 + "-0"}]}]),
    Case("batch_get_worker", lambda f: [{"identifiers": [
        {"farmId": f["farm"], "fleetId": f["workerFleet"], "workerId": f["worker"]},
        {"farmId": f["farm"], "fleetId": f["workerFleet"], "workerId": "worker-" + "0" * 32}]}]),
    Case("batch_update_job",
         lambda f: [{"jobs": [f.job("pipe") | {"priority": 10},
                              f.job("held") | {"targetTaskRunStatus": "READY"},
                              f.job("pipe") | {"jobId": NO_JOB, "priority": 10}]}],
         mutates=True,
         follow_ups=lambda f, _: [("get_job", f.job("pipe")), ("get_job", f.job("held"))]),
    Case("batch_update_task",
         lambda f: [{"tasks": [f.task("ready") | {"targetRunStatus": "SUSPENDED"},
                               f.task("running") | {"targetRunStatus": "CANCELED"},
                               f.task("ready") | {"taskId": f["ready"][:-1] + "99",
                                                  "targetRunStatus": "READY"}]}],
         mutates=True,
         follow_ups=lambda f, _: [("list_tasks", f.step("renderStep"))]),
    # ------------------------------------------------------------------ sessions
    Case("get_session", lambda f: [f.job("pipe") | {"sessionId": f["session"]},
                                   f.job("flaky") | {"sessionId": f["endedSession"]}]),
    Case("list_sessions", lambda f: [f.job("flaky"), f.job("pipe"),
                                     f.job("compJob", "comp"), f.job("held")], min_items=2),
    Case("list_sessions_for_worker",
         lambda f: [{"farmId": f["farm"], "fleetId": f["workerFleet"],
                     "workerId": f["worker"]}], min_items=3),
    Case("get_session_action",
         lambda f: [f.job("pipe") | {"sessionActionId": f["envEnter"]},
                    f.job("pipe") | {"sessionActionId": f["taskRun"]},
                    f.job("flaky") | {"sessionActionId": f["envExit"]}]),
    Case("list_session_actions",
         lambda f: [f.job("pipe"), f.job("pipe") | {"sessionId": f["session"]},
                    f.job("pipe") | {"taskId": f["succeeded"]},
                    f.job("flaky") | {"sessionId": f["endedSession"]}], min_items=7),
    Case("batch_get_job_entity", lambda f: [{
        "farmId": f["farm"], "fleetId": f["workerFleet"], "workerId": f["worker"],
        "identifiers": [
            {"jobDetails": {"jobId": f["pipe"]}},
            {"stepDetails": {"jobId": f["pipe"], "stepId": f["simStep"]}},
            {"stepDetails": {"jobId": f["pipe"], "stepId": f["renderStep"]}},
            {"environmentDetails": {"jobId": f["pipe"],
                                    "environmentId": f"JOB:{f['pipe']}:Conda"}},
            {"environmentDetails": {"jobId": f["pipe"],
                                    "environmentId": f"JOB:{f['pipe']}:Studio"}},
            {"environmentDetails": {"jobId": f["pipe"],
                                    "environmentId": f"STEP:{f['simStep']}:Scratch"}},
            {"jobAttachmentDetails": {"jobId": f["pipe"]}},
            {"jobDetails": {"jobId": f["compJob"]}},
            {"jobDetails": {"jobId": NO_JOB}}]}]),
    Case("search_workers",
         lambda f: [{"farmId": f["farm"], "fleetIds": [f["linux"], f["spare"]],
                     "itemOffset": 0},
                    {"farmId": f["farm"], "fleetIds": [f["linux"]], "itemOffset": 1,
                     "pageSize": 1}],
         min_items=3),
    # ------------------------------------------------------------------ statistics
    Case("start_sessions_statistics_aggregation",
         lambda f: [_statistics_request(f),
                    _statistics_request(f) | {"resourceIds": {"fleetIds": [f["linux"]]},
                                              "groupBy": ["FLEET_ID"],
                                              "statistics": ["SUM"]}]),
    Case("get_sessions_statistics_aggregation",
         lambda f: [{"farmId": f["farm"], "aggregationId": _aggregation(f)}], min_items=2),
    # ------------------------------------------------------------------ budgets
    Case("get_budget", lambda f: [{"farmId": f["farm"], "budgetId": b["budgetId"]}
                                  for b in f.client.list_budgets(farmId=f["farm"])["budgets"]]),
    Case("list_budgets", lambda f: [{"farmId": f["farm"]},
                                    {"farmId": f["farm"], "status": "ACTIVE"}], min_items=2),
)
CASE = {case.name: case for case in CASES}


def _operation(name: str) -> str:
    """The API's name of a snake_case operation (``GetFarm``)."""
    return _api_names()[name]


@functools.cache
def _api_names() -> dict[str, str]:
    return {xform_name(op): op for op in service_model().operation_names}


def _input_shape(operation: str) -> StructureShape:
    shape = service_model().operation_model(operation).input_shape
    assert shape is not None, f"{operation} takes no request"
    return shape


def _output_shape(operation: str) -> StructureShape | None:
    return service_model().operation_model(operation).output_shape


# ---------------------------------------------------------------------- checks of a response


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_document(shape: Shape) -> bool:
    return bool(shape.metadata.get("document"))


def _walk(value: Any, shape: Shape, path: str = "") -> Iterator[tuple[str, Any, Shape]]:
    """Every value of a response with its shape and path (the paths of ``shape_problems``);
    a document is one value."""
    yield path, value, shape
    if _is_document(shape):
        return
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        for key, item in value.items():
            if key in shape.members and item is not None:
                yield from _walk(item, shape.members[key], _join(path, key))
    elif isinstance(shape, ListShape) and isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, shape.member, f"{path}[{i}]")
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, shape.value, _join(path, str(key)))


def _json_problems(value: Any, path: str) -> list[str]:
    """What in a document is not a JSON value as boto3 returns one."""
    if value is None or type(value) in (str, int, bool):
        return []
    if type(value) is float:
        return [] if math.isfinite(value) else [f"{path}: {value} in a document"]
    if type(value) is list:
        return [p for i, item in enumerate(value) for p in _json_problems(item, f"{path}[{i}]")]
    if type(value) is dict:
        return [f"{path}: a document's key {key!r} is not a string" for key in value
                if type(key) is not str] + [
            p for key, item in value.items() for p in _json_problems(item, _join(path, key))]
    return [f"{path}: a {type(value).__name__} in a document"]


#: The Python type boto3 gives each scalar kind of shape.
_SCALAR_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "long": (int,), "float": (float, int),
    "double": (float, int), "boolean": (bool,), "timestamp": (dt.datetime,),
    "blob": (bytes,),
}


def _strict_problems(response: dict[str, Any], shape: Shape) -> list[str]:
    """What ``shape_problems`` does not look at: a None member (boto3 leaves an absent member
    out), a pattern that does not match the whole value (the model's patterns are anchored:
    botocore strips the ``^...$``), a float that is not finite, a timestamp without a UTC
    offset, a scalar of a type boto3 never returns (``numpy.str_``, ``numpy.int64``), a
    document that is not JSON."""
    out: list[str] = []
    for path, value, sub in _walk(response, shape):
        if _is_document(sub):
            out += _json_problems(value, path)
            continue
        if isinstance(sub, StructureShape) and isinstance(value, dict):
            out += [f"{_join(path, k)}: None (boto3 leaves an absent member out)"
                    for k, v in value.items() if v is None]
        elif isinstance(sub, ListShape) and isinstance(value, list):
            out += [f"{path}[{i}]: None" for i, v in enumerate(value) if v is None]
        kinds = _SCALAR_TYPES.get(sub.type_name)
        if kinds is not None and type(value) not in kinds:
            out.append(f"{path}: a {type(value).__module__}.{type(value).__name__} where "
                       f"boto3 returns {' or '.join(k.__name__ for k in kinds)}")
        pattern = sub.metadata.get("pattern")
        if isinstance(sub, StringShape) and pattern and isinstance(value, str) and (
                re.fullmatch(pattern, value) is None):
            out.append(f"{path}: {value!r} does not match all of the pattern {pattern}")
        if sub.type_name in ("float", "double") and isinstance(value, float) and (
                not math.isfinite(value)):
            out.append(f"{path}: {value} is not a finite number")
        if isinstance(value, dt.datetime) and (value.tzinfo is None
                                               or value.utcoffset() is None):
            out.append(f"{path}: {value!r} is a naive datetime")
    return out


def problems(operation: str, response: Any) -> list[str]:
    """Every way ``response`` of ``operation`` (its API name) breaks the output shape:
    ``shape_problems`` and :func:`_strict_problems`."""
    if not isinstance(response, dict):
        return [f"the response is a {type(response).__name__}, not a dict"]
    response = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    shape = _output_shape(operation)
    if shape is None:
        return [] if response == {} else [f"{sorted(response)}: the operation returns nothing"]
    out = [f"{p.path}: {p.message}" for p in shape_problems(response, shape)]
    out += _strict_problems(response, shape)
    # Every required member present, at every level (shape_problems checks it too; one set to
    # None is reported by _strict_problems).
    for path, value, sub in _walk(response, shape):
        if isinstance(sub, StructureShape) and isinstance(value, dict) and not _is_document(sub):
            out += [f"{_join(path, k)}: required, missing" for k in sub.required_members
                    if k not in value]
    return out


def _call(client: DeadlineClient, name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Make an operation (snake_case) and hold its response to its output shape."""
    method = getattr(client, name, None)
    assert method is not None, f"DeadlineClient has no {name} ({_operation(name)} in scope)"
    response = method(**copy.deepcopy(params))
    found = problems(_operation(name), response)
    assert found == [], f"{name}({params}) breaks {_operation(name)}'s output shape: {found}"
    assert isinstance(response, dict)
    return response


# ---------------------------------------------------------------------- paging


def _items_key(operation: str) -> str | None:
    """The member of a list or search operation's output that holds its items."""
    output = _output_shape(operation)
    if output is None:
        return None
    lists = [k for k, v in output.members.items() if isinstance(v, ListShape)]
    return lists[0] if len(lists) == 1 else None


def _pages_by_token(input_shape: StructureShape) -> bool:
    return "nextToken" in input_shape.members


def _pages_by_offset(input_shape: StructureShape) -> bool:
    return "itemOffset" in input_shape.members


def _same(item: dict[str, Any]) -> str:
    return json.dumps(item, sort_keys=True, default=str)


def _check_paging(client: DeadlineClient, name: str, params: dict[str, Any],
                  full: dict[str, Any]) -> list[dict[str, Any]]:
    """Page ``params`` one item at a time; the pages hold every item of ``full`` (the
    unpaged response), each once, in order. Returns the items."""
    operation = _operation(name)
    input_shape = _input_shape(operation)
    key = _items_key(operation)
    assert key is not None, f"{operation}: which member holds the items?"
    everything = full[key]
    seen = [_same(item) for item in everything]
    assert len(set(seen)) == len(seen), f"{name}({params}): an item twice: {everything}"
    paged: list[dict[str, Any]] = []
    if _pages_by_token(input_shape):
        token: str | None = None
        for _ in range(len(everything) + 2):
            page = _call(client, name, params | {"maxResults": 1}
                         | ({"nextToken": token} if token is not None else {}))
            assert len(page[key]) <= 1, f"{name}: maxResults 1 gave {len(page[key])} items"
            paged += page[key]
            token = page.get("nextToken")
            if token is None:
                break
            assert page[key], f"{name}: an empty page with a nextToken"
        else:
            pytest.fail(f"{name}({params}): more pages than items")
    else:
        offset: int | None = params.get("itemOffset", 0)
        for _ in range(len(everything) + 2):
            assert offset is not None
            page = _call(client, name, params | {"pageSize": 1, "itemOffset": offset})
            assert len(page[key]) <= 1, f"{name}: pageSize 1 gave {len(page[key])} items"
            assert page["totalResults"] == full["totalResults"], (
                f"{name}: totalResults {page['totalResults']} on a page, "
                f"{full['totalResults']} unpaged")
            paged += page[key]
            offset = page.get("nextItemOffset")
            if offset is None:
                break
        else:
            pytest.fail(f"{name}({params}): more pages than items")
    assert [_same(i) for i in paged] == seen, (
        f"{name}({params}): the pages hold {len(paged)} items, unpaged {len(everything)}")
    return list(everything)


# ---------------------------------------------------------------------- the tests


def test_the_farm_has_every_kind_of_entity(farm: Farm) -> None:
    """What the requests rely on: tasks RUNNING, READY, SUCCEEDED, FAILED and PENDING; sessions
    open and ended; queue, job and step environments entered."""
    result = farm.sim.result()
    assert {"RUNNING", "READY", "SUCCEEDED", "FAILED", "PENDING"} <= set(
        result.tasks.status.astype(str))
    assert result.sessions.ended_at.isna().any() and result.sessions.ended_at.notna().any()
    environments = set(result.session_actions.environment_id.dropna().astype(str))
    assert {f"JOB:{farm['pipe']}:Conda", f"JOB:{farm['pipe']}:Studio",
            f"STEP:{farm['simStep']}:Scratch"} <= environments
    assert len(result.jobs) == 4


def test_the_response_checks_find_what_they_should() -> None:
    """The checks are not vacuous: each fault of a GetFarm or GetQueue response is found."""
    farm_id = "farm-" + "0" * 32
    good = {"farmId": farm_id, "displayName": "studio", "createdAt": START,
            "createdBy": "farmsim", "costScaleFactor": 1.0}
    assert problems("GetFarm", good) == []
    assert problems("GetFarm", good | {"ResponseMetadata": {"HTTPStatusCode": 200}}) == []
    faults: list[dict[str, Any]] = [
        {k: v for k, v in good.items() if k != "createdBy"},  # a required member missing
        good | {"farmId": None},
        good | {"description": None},
        good | {"createdAt": START.replace(tzinfo=None)},
        good | {"createdAt": "2026-03-02T09:00:00Z"},
        good | {"farmId": "x" + farm_id},  # the pattern, whole
        good | {"farmId": farm_id[:-1]},
        good | {"costScaleFactor": math.nan},
        good | {"costScaleFactor": "1.0"},
        good | {"displayName": ""},  # under the minimum length
        good | {"unknownMember": 1},
        good | {"displayName": _Str("studio")},  # (a str subclass: numpy.str_ is one)
    ]
    for fault in faults:
        assert problems("GetFarm", fault) != [], fault
    queue = {"farmId": farm_id, "queueId": "queue-" + "0" * 32, "displayName": "render",
             "status": "IDLE", "defaultBudgetAction": "NONE", "createdAt": START,
             "createdBy": "farmsim"}
    assert problems("GetQueue", queue) == []
    assert problems("GetQueue", queue | {"status": "BUSY"}) != []  # not one of the enum
    definitions = {"jobParameterDefinitions": [{"name": "Frames", "type": "INT"}]}
    assert problems("ListJobParameterDefinitions", definitions) == []
    assert problems("ListJobParameterDefinitions",
                    {"jobParameterDefinitions": [{"name": ("a", "b")}]}) != []


class _Str(str):
    __slots__ = ()


def test_the_cases_are_the_scope() -> None:
    assert len(CASE) == len(CASES), "an operation with two cases"
    assert sorted(CASE) == sorted(IN_SCOPE)
    assert set(IN_SCOPE) <= set(_api_names()), "not operations of botocore's model"


def test_the_client_has_every_operation_in_scope() -> None:
    has = {xform_name(op) for op in service_model().operation_names
           if hasattr(DeadlineClient, xform_name(op))}
    assert sorted(set(IN_SCOPE) - has) == []


READS = [c for c in CASES if not c.mutates]
CHANGES = [c for c in CASES if c.mutates]


def _drive(f: Farm, case: Case) -> None:
    if case.setup is not None:
        case.setup(f)
    client = f.client
    operation = _operation(case.name)
    input_shape = _input_shape(operation)
    requests = case.requests(f)
    responses = []
    for n, params in enumerate(requests):
        validate_parameters(params, input_shape)  # (a valid request, as boto3 judges it)
        response = _call(client, case.name, params)
        responses.append(response)
        if not case.mutates and _items_key(operation) is not None and (
                _pages_by_token(input_shape)
                or _pages_by_offset(input_shape)):
            items = _check_paging(client, case.name, params, response)
            if n == 0:
                assert len(items) >= case.min_items, (
                    f"{case.name}({params}): {len(items)} items, the farm has at least "
                    f"{case.min_items}")
    if case.follow_ups is not None:
        for name, params in case.follow_ups(f, responses):
            _call(client, name, params)


@pytest.mark.parametrize("case", READS, ids=[c.name for c in READS])
def test_read_conforms(farm: Farm, case: Case) -> None:
    """Each request's response, and each page of a list, is what the output shape allows."""
    _drive(farm, case)


@pytest.mark.parametrize("case", READS, ids=[c.name for c in READS])
def test_read_conforms_once_the_run_is_over(finished: Farm, case: Case) -> None:
    """The same once every job that can run has ended (ended sessions, steps, jobs)."""
    _drive(finished, case)


@pytest.mark.parametrize("case", CHANGES, ids=[c.name for c in CHANGES])
def test_change_conforms(fresh: Farm, case: Case) -> None:
    """A change's responses, and the reads of what it changed, are what the shapes allow."""
    _drive(fresh, case)


# ---------------------------------------------------------------------- refused requests

_WRONG_TYPE: dict[str, Any] = {
    "string": 12345, "integer": "12", "long": "12", "float": "1.5", "double": "1.5",
    "boolean": "true", "timestamp": ["2026-03-02"], "blob": 12345, "list": "not-a-list",
    "map": ["not-a-map"], "structure": "not-an-object",
}
UNKNOWN = "conformanceUnknownMember"


def _below_minimum(shape: Shape, value: Any) -> list[Any]:
    """Values under the shape's minimum that botocore checks (a number's, a string's or a
    list's length), if it has one."""
    low = shape.metadata.get("min")
    if low is None:
        return []
    if shape.type_name in ("integer", "long", "float", "double"):
        return [low - 1]
    if shape.type_name == "string" and low >= 1:
        return ["x" * (low - 1)]
    if shape.type_name == "list" and low >= 1:
        return [list(value[: low - 1]) if isinstance(value, list) else []]
    return []


Path = tuple[str | int, ...]


def _replace(request: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(request)
    node: Any = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def _drop(request: dict[str, Any], path: Path) -> dict[str, Any]:
    out = copy.deepcopy(request)
    node: Any = out
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return out


def _show(path: Path) -> str:
    text = ""
    for key in path:
        text = f"{text}[{key}]" if isinstance(key, int) else _join(text, key)
    return text or "<request>"


def refused_requests(request: dict[str, Any], shape: StructureShape
                     ) -> Iterator[tuple[str, dict[str, Any]]]:
    """Requests botocore refuses, made from a valid ``request`` by its shape: at every
    structure of the request, each required member dropped (a union's only member: an empty
    union) and an unknown member added; each member present, and each member of the shape
    that is absent, of a wrong type and under its minimum."""

    def structure(value: dict[str, Any], sub: StructureShape, path: Path
                  ) -> Iterator[tuple[str, dict[str, Any]]]:
        for key in sub.required_members:
            if key in value:
                yield f"{_show((*path, key))} dropped (required)", _drop(request, (*path, key))
        if sub.metadata.get("union"):
            for key in value:
                yield f"{_show((*path, key))} dropped (a union's one member)", _drop(
                    request, (*path, key))
        yield f"{_show((*path, UNKNOWN))} added (unknown)", _replace(request, (*path, UNKNOWN),
                                                                     1)
        for key, member in sub.members.items():
            if key in value:
                yield from node(value[key], member, (*path, key))
            elif not _is_document(member) and not sub.metadata.get("union"):
                yield from wrong_values(None, member, (*path, key))

    def wrong_values(value: Any, sub: Shape, path: Path
                     ) -> Iterator[tuple[str, dict[str, Any]]]:
        wrong = _WRONG_TYPE.get(sub.type_name)
        if wrong is not None:
            yield f"{_show(path)} = {wrong!r} (wrong type)", _replace(request, path, wrong)
        for low in _below_minimum(sub, value):
            yield (f"{_show(path)} = {low!r} (under the minimum {sub.metadata['min']})",
                   _replace(request, path, low))

    def node(value: Any, sub: Shape, path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
        if _is_document(sub):
            return
        yield from wrong_values(value, sub, path)
        if isinstance(sub, StructureShape) and isinstance(value, dict):
            yield from structure(value, sub, path)
        elif isinstance(sub, ListShape) and isinstance(value, list):
            for i, item in enumerate(value):
                yield from node(item, sub.member, (*path, i))
        elif isinstance(sub, MapShape) and isinstance(value, dict):
            for key, item in value.items():
                yield from node(item, sub.value, (*path, key))

    yield from structure(request, shape, ())


def test_refused_requests_are_derived_from_the_shape(scratch: Farm) -> None:
    """The derivation on one operation: what it makes of GetJob's request."""
    request = scratch.job("pipe")
    shape = _input_shape("GetJob")
    made = dict(refused_requests(request, shape))
    assert set(made) == {
        "farmId dropped (required)", "queueId dropped (required)", "jobId dropped (required)",
        f"{UNKNOWN} added (unknown)", "farmId = 12345 (wrong type)",
        "queueId = 12345 (wrong type)", "jobId = 12345 (wrong type)"}
    assert made["queueId = 12345 (wrong type)"] == request | {"queueId": 12345}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_what_botocore_refuses_the_client_refuses(scratch: Farm, case: Case) -> None:
    """Each request derived from the operation's input shape that botocore refuses to send
    (``ParamValidationError``) is refused by the client with the same error, and changes
    nothing."""
    client = scratch.client
    method = getattr(client, case.name, None)
    assert method is not None, f"DeadlineClient has no {case.name}"
    operation = _operation(case.name)
    shape = _input_shape(operation)
    request = case.requests(scratch)[0]
    validate_parameters(request, shape)
    failures: list[str] = []
    made = 0
    for what, bad in refused_requests(request, shape):
        made += 1
        with pytest.raises(ParamValidationError):  # (the derivation: botocore refuses it)
            validate_parameters(bad, shape)
        try:
            method(**bad)
        except ParamValidationError:
            continue
        except Exception as exc:  # noqa: BLE001 (each wrong outcome is reported)
            failures.append(f"{what}: {type(exc).__name__}: {exc}")
        else:
            failures.append(f"{what}: accepted")
    assert made >= 2
    assert failures == [], f"{case.name}: requests botocore refuses, not refused so: {failures}"


# ---------------------------------------------------------------------- the shape checker


def test_shape_problems_takes_any_json_value_for_a_document() -> None:
    """A document member (a template, a job parameter definition) holds any JSON value: it
    is not a structure without members (whose every key would be "not a member")."""
    model = service_model()
    definition = model.shape_for("JobParameterDefinition")
    assert shape_problems({"name": "Frames", "type": "INT"}, definition) == []
    assert shape_problems(["a", 1], model.shape_for("Document")) == []


def test_shape_problems_matches_patterns_whole() -> None:
    """The model's patterns are anchored (botocore's model drops the ``^`` and ``$``): an id
    with anything before or after it does not match."""
    farm_id = service_model().shape_for("FarmId")
    assert shape_problems("farm-" + "0" * 32, farm_id) == []
    assert shape_problems("xfarm-" + "0" * 32 + "x", farm_id) != []


def test_shape_problems_refuses_none_for_a_required_member() -> None:
    """boto3 never returns a member whose value is None: a required one set to None is not
    there."""
    shape = _output_shape("GetFarm")
    assert shape is not None
    response = {"farmId": None, "displayName": "studio", "createdAt": START,
                "createdBy": "farmsim", "costScaleFactor": 1.0}
    assert shape_problems(response, shape) != []
