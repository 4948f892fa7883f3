"""A scenario's ``events``: API calls at set times, checked at load time, made by the run."""

from __future__ import annotations

from typing import Any

import pytest

from farmsim.api.client import DeadlineClient
from farmsim.engine.simulation import Simulation
from farmsim.errors import ScenarioError
from farmsim.scenario import scenario_from_dict
from farmsim.scenario.events import CALLS
from farmsim.testing import check_all
from tests.unit.api.test_api_client import _scenario


def _with_events(events: list[Any], **top: Any) -> dict[str, Any]:
    raw = _scenario(jobs=2)
    raw["events"] = events
    raw.update(top)
    return raw


def test_a_scheduled_update_limit_buys_licenses_at_its_time() -> None:
    sc = scenario_from_dict(_with_events(
        [{"at": "30s", "call": "update_limit", "args": {"limit": "nuke", "maxCount": 2}}]))
    assert [(e.at, e.call, e.args) for e in sc.events] == [
        (30.0, "update_limit", {"limit": "nuke", "maxCount": 2})]
    sim = Simulation(sc)
    sim.run()
    result = sim.result()
    check_all(result)
    usage = result.limit_usage
    assert usage.loc[usage["time"] < 30.0, "current_count"].max() == 1
    assert usage.loc[usage["time"] >= 30.0, "current_count"].max() == 2
    assert set(usage.loc[usage["time"] >= 30.0, "max_count"]) == {2}
    assert result.catalog.limit_max_history[0] == [(0.0, 1), (30.0, 2)]
    # the client is the one the events used: it reports the change
    client = sim.client()
    limit = client.list_limits(farmId=client.farm_id)["limits"][0]
    assert limit["maxCount"] == 2 and "updatedAt" in limit


@pytest.mark.parametrize(("event", "where", "words"), [
    ({"at": "1m", "call": "delete_farm"}, "events[0].call", "must be one of"),
    ({"at": "1m", "call": "update_limit", "args": {"limit": "houdini", "maxCount": 2}},
     "events[0].args.limit", "must name a limit of the farm by displayName"),
    ({"at": "1m", "call": "update_limit", "args": {"limitId": "limit-1", "maxCount": 2}},
     "events[0].args.limitId", "by displayName"),
    ({"at": "1m", "call": "update_limit", "args": {"limit": "nuke", "maxCount": "ten"}},
     "events[0].args", "maxCount"),
    ({"at": "1m", "call": "update_limit", "args": {"limit": "nuke", "colour": "red"}},
     "events[0].args", "colour"),
    ({"at": "3h", "call": "update_limit", "args": {"limit": "nuke", "maxCount": 2}},
     "events[0].at", "after the horizon"),
    ({"call": "update_limit"}, "events[0]", "missing required key 'at'"),
    ({"at": "1m", "call": "create_job", "args": {"queue": "render", "priority": 101}},
     "events[0].args.priority", "above the maximum 100"),
])
def test_each_bad_event_is_named_at_load_time(event: dict[str, Any], where: str,
                                              words: str) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(_with_events([event], horizon="2h"))
    lines = [p for p in info.value.problems if p.startswith(where + ":")]
    assert lines and words in lines[0], info.value.problems


def test_a_call_the_service_refuses_during_the_run_is_a_scenario_error() -> None:
    missing = "job-" + "f" * 32
    sim = Simulation(scenario_from_dict(_with_events(
        [{"at": "1m", "call": "update_job",
          "args": {"queue": "render", "jobId": missing, "priority": 70}}])))
    with pytest.raises(ScenarioError, match=r"events\[0\] \(update_job at 60 s\): job "
                                            + missing + " does not exist"):
        sim.run()


# ------------------------------------------------------------ every call that changes the farm

_HOUDINI = "amount.license.houdini"
_NUKE = "amount.license.nuke"

def _template(name: str, *, frames: str = "1-4", amount: str | None = None,
              shot: bool = False) -> dict[str, Any]:
    """A job template of one step ``render`` whose tasks are the frames (INT ``Frame``)."""
    step: dict[str, Any] = {
        "name": "render",
        "parameterSpace": {"taskParameterDefinitions": [
            {"name": "Frame", "type": "INT", "range": frames}]},
        "script": {"actions": {"onRun": {"command": "render"}}}}
    if amount is not None:
        step["hostRequirements"] = {"amounts": [{"name": amount, "min": 1}]}
    template: dict[str, Any] = {"specificationVersion": "jobtemplate-2023-09", "name": name,
                                "steps": [step]}
    if shot:
        template["parameterDefinitions"] = [{"name": "Shot", "type": "STRING"}]
    return template


def _farm(jobs: list[dict[str, Any]], events: list[Any], *, workers: int = 1,
          **top: Any) -> dict[str, Any]:
    """The API tests' farm (queues render and idle-queue, fleet linux, limit nuke of 1) with
    ``workers`` workers, these ``jobs`` (tasks of 60 s) and ``events``."""
    raw = _scenario(jobs=0)
    raw["farm"]["fleets"][0]["simulation"]["workers"] = workers
    raw["workload"]["jobs"] = jobs
    raw["events"] = events
    raw.update(top)
    return raw


def _job(name: str, at: float = 0.0, **template: Any) -> dict[str, Any]:
    return {"at": at, "queue": "render", "template": _template(name, **template)}


def _ran(raw: dict[str, Any]) -> Simulation:
    sim = Simulation(scenario_from_dict(raw))
    sim.run()
    return sim


def _problems(raw: dict[str, Any]) -> list[str]:
    """The problems found before the run: by the loader, or (jobs, steps and tasks, which
    need the scenario's submissions) when the simulation is made."""
    with pytest.raises(ScenarioError) as info:
        Simulation(scenario_from_dict(raw))
    return info.value.problems


def _statuses(sim: Simulation, job: str) -> list[str]:
    result = sim.result()
    ids = set(result.jobs.loc[result.jobs["name"] == job, "job_id"])
    tasks = result.tasks[result.tasks["job_id"].isin(ids)]
    return [str(s) for s in tasks["status"]]


def test_update_job_by_name_changes_which_job_runs_first() -> None:
    jobs = [_job("a"), _job("b")]
    before = _ran(_farm(jobs, [])).result().jobs.set_index("name")
    assert before.loc["a", "ended_at"] <= before.loc["b", "started_at"]  # FIFO: a, then b
    sim = _ran(_farm(jobs, [{"at": "30s", "call": "update_job",
                             "args": {"job": "b", "priority": 90}}]))
    after = sim.result().jobs.set_index("name")
    assert after.loc["b", "priority"] == 90
    # b goes first once a's running task ends (60 s); a finishes last
    assert after.loc["b", "started_at"] == pytest.approx(before.loc["a", "started_at"] + 60)
    assert after.loc["b", "ended_at"] < after.loc["a", "ended_at"]
    check_all(sim.result())


def test_a_job_named_in_an_event_may_be_narrowed_to_a_queue() -> None:
    raw = _farm([_job("a")], [{"at": "30s", "call": "update_job",
                               "args": {"queue": "render", "job": "a", "priority": 77}}])
    sim = _ran(raw)
    assert sim.result().jobs["priority"].tolist() == [77]


def test_update_step_and_update_task_by_names_numbers_and_parameter_values() -> None:
    sim = _ran(_farm([_job("a"), _job("b")], [
        {"at": "10s", "call": "update_step",
         "args": {"job": "b", "step": "render", "targetTaskRunStatus": "SUSPENDED"}},
        {"at": "10s", "call": "update_task",  # the third task: Frame 3
         "args": {"job": "a", "step": "render", "task": 2, "targetRunStatus": "SUSPENDED"}},
        {"at": "10s", "call": "update_task",
         "args": {"job": "a", "step": "render", "task": {"Frame": 4},
                  "targetRunStatus": "FAILED"}},
    ]))
    assert _statuses(sim, "a") == ["SUCCEEDED", "SUCCEEDED", "SUSPENDED", "FAILED"]
    assert _statuses(sim, "b") == ["SUSPENDED"] * 4
    result = sim.result()
    assert not result.task_runs["job_id"].isin(
        result.jobs.loc[result.jobs["name"] == "b", "job_id"]).any()
    by_user = result.task_events[result.task_events["by_user"]]
    assert set(by_user["status"]) == {"SUSPENDED", "FAILED"}
    check_all(result)


def test_update_task_finds_a_chunk_by_a_frame_it_holds() -> None:
    template = _template("a", frames="1-12")
    template["steps"][0]["parameterSpace"]["taskParameterDefinitions"][0].update(
        type="CHUNK[INT]", chunks={"defaultTaskCount": 4, "rangeConstraint": "CONTIGUOUS"})
    template["extensions"] = ["TASK_CHUNKING"]
    sim = _ran(_farm([{"at": 0, "queue": "render", "template": template}], [
        {"at": "10s", "call": "update_task",
         "args": {"job": "a", "step": "render", "task": {"Frame": 7},
                  "targetRunStatus": "SUSPENDED"}}]))
    assert _statuses(sim, "a") == ["SUCCEEDED", "SUSPENDED", "SUCCEEDED"]


def test_create_job_then_update_it_by_its_resolved_name() -> None:
    template = _template("comp {{Param.Shot}}", shot=True)
    sim = _ran(_farm([_job("a")], [
        {"at": "1m", "call": "create_job",  # an inline template, plain parameter values
         "args": {"queue": "render", "priority": 50, "template": template,
                  "parameters": {"Shot": "sh010"}}},
        {"at": "2m", "call": "update_job",
         "args": {"job": "comp sh010", "priority": 99, "name": "urgent"}},
        {"at": "2m", "call": "update_step",  # by its new name
         "args": {"job": "urgent", "step": "render", "targetTaskRunStatus": "SUSPENDED"}},
    ]))
    client = sim.client()
    jobs = client.list_jobs(farmId=client.farm_id,
                            queueId=client.resource_id("queue", 0))["jobs"]
    assert [(j["name"], j["priority"]) for j in jobs] == [("a", 50), ("urgent", 99)]
    assert jobs[1]["taskRunStatus"] == "SUSPENDED"


def test_create_limit_and_associate_it_then_new_jobs_use_it_and_updates_name_it() -> None:
    sim = _ran(_farm([_job("h", at=30, amount=_HOUDINI)], [
        {"at": "10s", "call": "create_limit",
         "args": {"displayName": "houdini", "amountRequirementName": _HOUDINI, "maxCount": 1}},
        {"at": "20s", "call": "create_queue_limit_association",
         "args": {"queue": "render", "limit": "houdini"}},
        {"at": "2m", "call": "update_limit", "args": {"limit": "houdini", "maxCount": 2}},
    ], workers=2))
    client = sim.client()
    limits = {lim["displayName"]: lim for lim in
              client.list_limits(farmId=client.farm_id)["limits"]}
    houdini = limits["houdini"]["limitId"]
    assert limits["houdini"]["maxCount"] == 2
    associations = client.list_queue_limit_associations(farmId=client.farm_id,
                                                         limitId=houdini)
    assert [a["status"] for a in associations["queueLimitAssociations"]] == ["ACTIVE"]
    result = sim.result()
    usage = result.limit_usage[result.limit_usage["limit_id"] == houdini]
    # one license: one task at a time on two workers; two after the update at 2 min
    assert usage.loc[usage["time"] < 120, "current_count"].max() == 1
    assert usage.loc[usage["time"] >= 120, "current_count"].max() == 2
    assert _statuses(sim, "h") == ["SUCCEEDED"] * 4
    check_all(result)


def test_stop_limit_usage_cancels_its_runs_then_the_association_and_limit_are_deleted() -> None:
    sim = Simulation(scenario_from_dict(_farm([_job("n", amount=_NUKE)], [
        {"at": "30s", "call": "update_queue_limit_association",
         "args": {"queue": "render", "limit": "nuke",
                  "status": "STOP_LIMIT_USAGE_AND_CANCEL_TASKS"}},
        {"at": "1m", "call": "delete_queue_limit_association",
         "args": {"queue": "render", "limit": "nuke"}},
        {"at": "2m", "call": "delete_limit", "args": {"limit": "nuke"}},
    ], workers=2, horizon="10m")))
    sim.run(until=45.0)
    client = sim.client()
    ids = {"farmId": client.farm_id, "queueId": client.resource_id("queue", 0),
           "limitId": client.resource_id("limit", 0)}
    assert client.get_queue_limit_association(**ids)["status"] == "STOPPED"
    sim.run()
    result = sim.result()
    assert result.task_runs["status"].tolist() == ["CANCELED"]  # stopped at 30 s
    assert result.task_runs["ended_at"].tolist() == [30.0]
    assert client.list_queue_limit_associations(farmId=client.farm_id) == {
        "queueLimitAssociations": []}
    assert client.list_limits(farmId=client.farm_id) == {"limits": []}


def test_update_queue_renames_it_and_later_events_use_the_new_name() -> None:
    sim = _ran(_farm([], [
        {"at": "10s", "call": "update_queue", "args": {"queue": "render", "displayName": "comp"}},
        {"at": "20s", "call": "create_job",
         "args": {"queue": "comp", "priority": 60, "template": _template("late")}},
    ]))
    client = sim.client()
    assert client.list_queues(farmId=client.farm_id)["queues"][0]["displayName"] == "comp"
    assert _statuses(sim, "late") == ["SUCCEEDED"] * 4


def test_update_fleet_changes_what_the_fleet_reports() -> None:
    sim = _ran(_farm([_job("a")], [
        {"at": "10s", "call": "update_fleet",
         "args": {"fleet": "linux", "maxWorkerCount": 3, "description": "three hosts"}}]))
    client = sim.client()
    fleet = client.get_fleet(farmId=client.farm_id, fleetId=client.resource_id("fleet", 0))
    assert (fleet["maxWorkerCount"], fleet["description"]) == (3, "three hosts")


def test_stop_scheduling_cancels_the_queues_runs_on_the_fleet() -> None:
    sim = _ran(_farm([_job("a")], [
        {"at": "30s", "call": "update_queue_fleet_association",
         "args": {"queue": "render", "fleet": "linux",
                  "status": "STOP_SCHEDULING_AND_CANCEL_TASKS"}}], horizon="10m"))
    client = sim.client()
    associations = client.list_queue_fleet_associations(farmId=client.farm_id)
    assert [a["status"] for a in associations["queueFleetAssociations"]] == ["STOPPED"]
    result = sim.result()
    assert result.task_runs["status"].tolist() == ["CANCELED"]
    assert _statuses(sim, "a") == ["READY"] * 4


def test_a_call_farmsim_does_not_model_is_a_scenario_error_naming_the_event() -> None:
    sim = Simulation(scenario_from_dict(_farm([], [
        {"at": "1m", "call": "update_queue",
         "args": {"queue": "render", "defaultBudgetAction": "STOP_SCHEDULING_AND_CANCEL_TASKS"}}
    ])))
    with pytest.raises(ScenarioError, match=r"events\[0\] \(update_queue at 60 s\): .*not "
                                            r"modelled"):
        sim.run()


# ------------------------------------------------------------ names checked before the run


@pytest.mark.parametrize(("jobs", "events", "where", "words"), [
    ([_job("a")], [{"at": "1m", "call": "update_job", "args": {"job": "b", "priority": 60}}],
     "events[0].args.job", "names no job of the scenario (got 'b'; jobs: 'a'"),
    ([_job("a", at=300)],
     [{"at": "1m", "call": "update_job", "args": {"job": "a", "priority": 60}}],
     "events[0].args.job", "names a job submitted after the call (got 'a', first submitted "
                           "at 300 s"),
    ([_job("a", at=60)],  # same instant: the call comes first
     [{"at": "1m", "call": "update_job", "args": {"job": "a", "priority": 60}}],
     "events[0].args.job", "submitted after the call"),
    ([_job("a"), _job("a", at=10)],
     [{"at": "1m", "call": "update_job", "args": {"job": "a", "priority": 60}}],
     "events[0].args.job", "names 2 jobs submitted before the call (got 'a'; submitted at 0 s, "
                           "10 s)"),
    ([_job("a")],
     [{"at": "1m", "call": "update_job", "args": {"queue": "idle-queue", "job": "a",
                                                  "priority": 60}}],
     "events[0].args.job", "names no job of the scenario in queue 'idle-queue' (got 'a'; "
                           "jobs: none;"),
    ([_job("a")], [{"at": "1m", "call": "update_step",
                    "args": {"job": "a", "step": "comp", "targetTaskRunStatus": "SUSPENDED"}}],
     "events[0].args.step", "names no step of job 'a' (got 'comp'; its steps: 'render')"),
    ([_job("a")], [{"at": "1m", "call": "update_task",
                    "args": {"job": "a", "step": "render", "task": 4,
                             "targetRunStatus": "SUSPENDED"}}],
     "events[0].args.task", "must be a task of step 'render': its number, 0 to 3 (got 4)"),
    ([_job("a")], [{"at": "1m", "call": "update_task",
                    "args": {"job": "a", "step": "render", "task": {"Layer": "fg"},
                             "targetRunStatus": "SUSPENDED"}}],
     "events[0].args.task.Layer", "names no task parameter of step 'render' (its parameters: "
                                  "'Frame')"),
    ([_job("a")], [{"at": "1m", "call": "update_task",
                    "args": {"job": "a", "step": "render", "task": {"Frame": 9},
                             "targetRunStatus": "SUSPENDED"}}],
     "events[0].args.task.Frame", "is not a value of step 'render''s task parameter Frame "
                                  "(got 9)"),
    ([], [{"at": "1m", "call": "create_job",
           "args": {"queue": "render", "priority": 50, "template": _template("b")}},
          {"at": "2m", "call": "update_step",
           "args": {"job": "b", "step": "comp", "targetTaskRunStatus": "SUSPENDED"}}],
     "events[1].args.step", "names no step of job 'b' (got 'comp'"),
])
def test_a_job_step_or_task_that_cannot_be_there_is_found_before_the_run(
        jobs: list[dict[str, Any]], events: list[Any], where: str, words: str) -> None:
    problems = _problems(_farm(jobs, events))
    lines = [p for p in problems if p.startswith(where + ":")]
    assert lines and words in lines[0], problems


@pytest.mark.parametrize(("events", "where", "words"), [
    ([{"at": "1m", "call": "update_step", "args": {"step": "render",
                                                  "targetTaskRunStatus": "SUSPENDED"}}],
     "events[0].args.step", "needs job: a step is named within its job (got step 'render'"),
    ([{"at": "1m", "call": "update_step", "args": {"targetTaskRunStatus": "SUSPENDED"}}],
     "events[0].args", "missing 'job': UpdateStep needs the job"),
    ([{"at": "1m", "call": "update_limit", "args": {"limit": "nuke", "job": "a"}}],
     "events[0].args.job", "update_limit names no job (UpdateLimit has no jobId; got job 'a')"),
    ([{"at": "1m", "call": "update_job",
       "args": {"job": "a", "jobId": "job-" + "0" * 32, "priority": 1}}],
     "events[0].args.job", "give job or jobId, not both"),
    ([{"at": "1m", "call": "update_task",
       "args": {"job": "a", "step": "render", "task": "first", "targetRunStatus": "READY"}}],
     "events[0].args.task", "must be a task's number (0 for the first) or its parameter values"
                            " ({Frame: 12}) (got 'first')"),
    ([{"at": "1m", "call": "update_job", "args": {"job": 7, "priority": 1}}],
     "events[0].args.job", "must name a job by name (got 7)"),
    ([{"at": "1m", "call": "update_limit", "args": {"limit": "houdini", "maxCount": 2}},
      {"at": "2m", "call": "create_limit", "args": {
          "displayName": "houdini", "amountRequirementName": _HOUDINI, "maxCount": 1}}],
     "events[0].args.limit", "must name a limit of the farm by displayName (got 'houdini'; "
                             "limits then: 'nuke')"),
    ([{"at": "1m", "call": "delete_limit", "args": {"limit": "nuke"}},
      {"at": "2m", "call": "update_limit", "args": {"limit": "nuke", "maxCount": 2}}],
     "events[1].args.limit", "limits then: none; 'nuke' was deleted by events[0])"),
    ([{"at": "1m", "call": "update_limit", "args": {"limit": "nuke", "displayName": "nuke-13"}},
      {"at": "2m", "call": "update_limit", "args": {"limit": "nuke", "maxCount": 2}}],
     "events[1].args.limit", "'nuke' was renamed 'nuke-13' by events[0]"),
    ([{"at": "1m", "call": "update_queue", "args": {"queue": "render", "displayName": "comp"}},
      {"at": "2m", "call": "create_queue_limit_association",
       "args": {"queue": "render", "limit": "nuke"}}],
     "events[1].args.queue", "'render' was renamed 'comp' by events[0]"),
    ([{"at": "1m", "call": "create_limit", "args": {
        "displayName": "nuke", "amountRequirementName": _HOUDINI, "maxCount": 1}},
      {"at": "2m", "call": "update_limit", "args": {"limit": "nuke", "maxCount": 2}}],
     "events[1].args.limit", "names 2 limits (got 'nuke')"),
    ([{"at": "1m", "call": "update_fleet", "args": {"fleet": "windows", "maxWorkerCount": 2}}],
     "events[0].args.fleet", "must name a fleet of the farm by displayName (got 'windows'; "
                             "fleets then: 'linux')"),
    ([{"at": "1m", "call": "update_queue_limit_association",
       "args": {"queue": "render", "limit": "nuke", "status": "PAUSED"}}],
     "events[0].args.status", "'PAUSED' is not one of"),
    ([{"at": "1m", "call": "create_job", "args": {"queue": "render", "priority": 50}}],
     "events[0].args", "missing 'template'"),
    ([{"at": "1m", "call": "create_job",
       "args": {"queue": "render", "priority": 50, "template": {"name": "x"}}}],
     "events[0].args.template", "specificationVersion"),
    ([{"at": "1m", "call": "create_job",
       "args": {"queue": "render", "priority": 50, "template": "name: [x"}}],
     "events[0].args.template", "is not valid YAML"),
    ([{"at": "1m", "call": "create_job",
       "args": {"queue": "render", "priority": 50, "template": _template("x"),
                "parameters": {"Shot": "sh010"}}}],
     "events[0].args.parameters", "Shot"),
])
def test_each_bad_reference_or_job_is_named_at_load_time(events: list[Any], where: str,
                                                         words: str) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(_farm([_job("a")], events))
    lines = [p for p in info.value.problems if p.startswith(where + ":")]
    assert lines and words in lines[0], info.value.problems


def test_events_may_name_what_earlier_events_make() -> None:
    sc = scenario_from_dict(_farm([], [
        {"at": "1m", "call": "create_limit", "args": {
            "displayName": "houdini", "amountRequirementName": _HOUDINI, "maxCount": 1}},
        {"at": "1m", "call": "update_limit",  # same instant, after it in the list
         "args": {"limit": "houdini", "displayName": "h", "maxCount": 3}},
        {"at": "2m", "call": "update_limit", "args": {"limit": "h", "maxCount": 4}},
        {"at": "2m", "call": "create_job", "args": {
            "queue": "render", "priority": 50, "template": _template("x"),
            "nameOverride": "y"}},
        {"at": "3m", "call": "update_job", "args": {"job": "y", "priority": 70}},
    ]))
    assert [e.call for e in sc.events] == ["create_limit", "update_limit", "update_limit",
                                           "create_job", "update_job"]
    # the template went as JSON text
    create = sc.events[3].args
    assert create["templateType"] == "JSON" and isinstance(create["template"], str)
    sim = Simulation(sc)
    sim.run()
    client = sim.client()
    limits = client.list_limits(farmId=client.farm_id)["limits"]
    assert [(lim["displayName"], lim["maxCount"]) for lim in limits] == [("nuke", 1), ("h", 4)]


def test_arrival_streams_leave_job_names_to_the_run() -> None:
    def raw(job: str) -> dict[str, Any]:
        return _farm([], [{"at": "1h", "call": "update_job", "args": {"job": job, "priority": 70}}],
                     horizon="2h", workload={"arrivals": [{
                         "name": "comps", "queue": "render", "count": 2,
                         "process": {"poisson": {"per_hour": 120}},
                         "template": _template("comp")}]})

    sim = Simulation(scenario_from_dict(raw("nope")))
    with pytest.raises(ScenarioError, match=r"events\[0\] \(update_job at 3600 s\): no job "
                                            r"named 'nope' has been submitted by now"):
        sim.run()
    sim = Simulation(scenario_from_dict(raw("comp")))
    with pytest.raises(ScenarioError, match=r"events\[0\] \(update_job at 3600 s\): 2 jobs "
                                            r"named 'comp' have been submitted \(at "):
        sim.run()


def test_a_name_that_names_nothing_when_the_call_is_made_is_a_scenario_error() -> None:
    # the user renames the limit between two runs: the event's name no longer names it
    sim = Simulation(scenario_from_dict(_farm([], [
        {"at": "1m", "call": "update_limit", "args": {"limit": "nuke", "maxCount": 2}}])))
    sim.run(until=30.0)
    client = sim.client()
    client.update_limit(farmId=client.farm_id, limitId=client.resource_id("limit", 0),
                        displayName="nuke-13")
    with pytest.raises(ScenarioError, match=r"events\[0\] \(update_limit at 60 s\): no limit is "
                                            r"named 'nuke' now \(limits: 'nuke-13'\)"):
        sim.run()


def test_every_call_that_changes_the_farm_can_be_scheduled() -> None:
    assert set(CALLS) == {
        "update_limit", "create_limit", "delete_limit", "create_queue_limit_association",
        "update_queue_limit_association", "delete_queue_limit_association", "update_queue",
        "update_fleet", "update_queue_fleet_association", "create_job", "update_job",
        "update_step", "update_task"}
    for call in CALLS:
        if call not in ("update_queue", "update_fleet", "update_queue_fleet_association"):
            assert callable(getattr(DeadlineClient, call)), call
