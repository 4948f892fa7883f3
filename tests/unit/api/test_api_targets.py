"""UpdateJob/UpdateStep/UpdateTask target statuses and ARCHIVED (semantics A.3): what each
target does to waiting, running and ended tasks, to dependencies, limits and the records."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from farmsim.engine.simulation import Simulation
from farmsim.record.invariants import check_all
from farmsim.scenario import scenario_from_dict

A_TASKS, B_TASKS = 4, 2


def _scenario(*, limit: int | None = None, jobs: int = 1,
              suspended: bool = False) -> dict[str, Any]:
    step_a: dict[str, Any] = {
        "name": "A", "parameterSpace": {"taskParameterDefinitions": [
            {"name": "F", "type": "INT", "range": f"1-{A_TASKS}"}]},
        "script": {"actions": {"onRun": {"command": "a"}}}}
    if limit is not None:
        step_a["hostRequirements"] = {"amounts": [{"name": "amount.license.x", "min": 1}]}
    template = {
        "specificationVersion": "jobtemplate-2023-09", "name": "two-steps",
        "steps": [step_a, {
            "name": "B", "dependencies": [{"dependsOn": "A"}],
            "parameterSpace": {"taskParameterDefinitions": [
                {"name": "G", "type": "INT", "range": f"1-{B_TASKS}"}]},
            "script": {"actions": {"onRun": {"command": "b"}}}}],
    }
    farm: dict[str, Any] = {
        "displayName": "studio",
        "queues": [{"displayName": "render", "fleets": ["linux"],
                    "limits": [] if limit is None else ["x"]}],
        "fleets": [{"displayName": "linux", "minWorkerCount": 0, "maxWorkerCount": 2,
                    "configuration": {"customerManaged": {
                        "mode": "NO_SCALING", "workerCapabilities": {
                            "vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192},
                            "osFamily": "LINUX", "cpuArchitectureType": "x86_64"}}},
                    "simulation": {"workers": 2}}],
    }
    if limit is not None:
        farm["limits"] = [{"displayName": "x", "amountRequirementName": "amount.license.x",
                           "maxCount": limit}]
    job: dict[str, Any] = {"template": template, "queue": "render", "at": 0, "priority": 50}
    if suspended:
        job["targetTaskRunStatus"] = "SUSPENDED"
    return {"name": "targets", "seed": 3, "start": "2026-03-02T09:00:00", "farm": farm,
            "workload": {"jobs": [dict(job, at=i) for i in range(jobs)]},
            "runtimes": [{"duration": "60s"}]}


class Farm:
    """A simulation and the ids of its one queue and first job."""

    def __init__(self, **kwargs: Any) -> None:
        self.sim = Simulation(scenario_from_dict(_scenario(**kwargs)))
        self.client = self.sim.client()
        c = self.client
        self.farm = c.list_farms()["farms"][0]["farmId"]
        self.queue = c.list_queues(farmId=self.farm)["queues"][0]["queueId"]

    def ids(self, job: int = 0) -> dict[str, str]:
        jobs = self.client.list_jobs(farmId=self.farm, queueId=self.queue)["jobs"]
        return {"farmId": self.farm, "queueId": self.queue, "jobId": jobs[job]["jobId"]}

    def job(self, job: int = 0) -> dict[str, Any]:
        return self.client.get_job(**self.ids(job))

    def counts(self, job: int = 0) -> dict[str, int]:
        return {k: v for k, v in self.job(job)["taskRunStatusCounts"].items() if v}

    def step_ids(self, job: int = 0) -> list[str]:
        control = self.sim.control
        self.client._index_steps()
        return [self.client._step_ids[s.gidx] for s in control.jobs[job].steps]

    def task_id(self, step: int, task: int, job: int = 0) -> str:
        return f"task-{self.step_ids(job)[step][5:]}-{task}"

    def statuses(self, step: int, job: int = 0) -> list[str]:
        from farmsim.model.enums import TASK_STATUS_CODES
        names = {code: s.value for s, code in TASK_STATUS_CODES.items()}
        s = self.sim.control.jobs[job].steps[step]
        return [names[c] for c in s.status[:s.task_count]]


def test_suspend_then_resume_a_running_job() -> None:
    f = Farm()
    f.sim.run(until=30.0)  # both workers are on tasks of A
    assert f.counts()["RUNNING"] == 2
    f.client.update_job(**f.ids(), targetTaskRunStatus="SUSPENDED")
    assert f.counts() == {"SUSPENDED": A_TASKS + B_TASKS}
    job = f.job()
    assert job["taskRunStatus"] == "SUSPENDED" and job["targetTaskRunStatus"] == "SUSPENDED"
    assert "endedAt" in job  # it started, and ended (SUSPENDED is final until a requeue)
    f.sim.run(until=600.0)
    assert f.counts() == {"SUSPENDED": A_TASKS + B_TASKS}  # nothing ran while suspended
    f.client.update_job(**f.ids(), targetTaskRunStatus="READY")
    assert f.counts() == {"READY": A_TASKS, "PENDING": B_TASKS}
    assert "endedAt" not in f.job()
    f.sim.run()
    assert f.counts() == {"SUCCEEDED": A_TASKS + B_TASKS}
    result = f.sim.result()
    runs = result.task_runs
    # The two runs cut short were CANCELED at t=30; every task then succeeded once, after 600.
    assert (runs["status"] == "CANCELED").sum() == 2
    assert (runs.loc[runs["status"] == "CANCELED", "ended_at"] == 30.0).all()
    ok = runs[runs["status"] == "SUCCEEDED"]
    assert len(ok) == A_TASKS + B_TASKS and ok["task_id"].is_unique
    assert (ok["assigned_at"] >= 600.0).all()
    assert (ok["attempt"] == 0).all()
    check_all(result)


def test_requeue_a_finished_job_runs_every_task_again() -> None:
    f = Farm()
    f.sim.run()
    first_end = f.job()["endedAt"]
    assert f.job()["taskRunStatus"] == "SUCCEEDED"
    f.client.update_job(**f.ids(), targetTaskRunStatus="PENDING")
    job = f.job()
    assert job["taskRunStatus"] == "READY" and "endedAt" not in job
    assert f.counts() == {"READY": A_TASKS, "PENDING": B_TASKS}
    requeued_at = f.sim.now
    f.sim.run()
    job = f.job()
    assert job["taskRunStatus"] == "SUCCEEDED" and job["endedAt"] > first_end
    result = f.sim.result()
    ok = result.task_runs[result.task_runs["status"] == "SUCCEEDED"]
    assert len(ok) == 2 * (A_TASKS + B_TASKS)  # the first runs are kept in the records
    assert (ok.groupby("task_id", observed=True).size() == 2).all()
    second = ok[ok["assigned_at"] >= requeued_at]
    assert len(second) == A_TASKS + B_TASKS
    assert (second["ready_at"] >= requeued_at).all()
    # Each rerun is the task's first attempt again: the same duration (60 s).
    assert ((second["ended_at"] - second["started_at"]) == 60.0).all()
    check_all(result)


def test_mark_an_upstream_step_succeeded_resolves_its_consumer() -> None:
    f = Farm()
    f.sim.run(until=30.0)
    step_a = f.step_ids()[0]
    f.client.update_step(**f.ids(), stepId=step_a, targetTaskRunStatus="SUCCEEDED")
    assert f.statuses(0) == ["SUCCEEDED"] * A_TASKS
    assert f.statuses(1) == ["READY"] * B_TASKS
    f.sim.run()
    assert f.counts() == {"SUCCEEDED": A_TASKS + B_TASKS}
    runs = f.sim.result().task_runs
    a_runs = runs[runs["step_id"] == step_a]
    # A's two running tasks were CANCELED and none of A's tasks has a SUCCEEDED run.
    assert sorted(a_runs["status"]) == ["CANCELED", "CANCELED"]
    check_all(f.sim.result())


def test_requeue_one_upstream_task_sends_the_consumer_back_to_pending() -> None:
    f = Farm()
    f.sim.run(until=150.0)  # A's four tasks ran (two rounds of 60 s); B is running
    assert f.statuses(0) == ["SUCCEEDED"] * A_TASKS
    assert f.statuses(1) == ["RUNNING"] * B_TASKS
    f.client.update_task(**f.ids(), stepId=f.step_ids()[0], taskId=f.task_id(0, 2),
                         targetRunStatus="READY")
    # B's runs go on (a consumer's running tasks are not stopped); A's task 2 is READY.
    assert f.statuses(0) == ["SUCCEEDED", "SUCCEEDED", "READY", "SUCCEEDED"]
    assert f.statuses(1) == ["RUNNING"] * B_TASKS
    assert f.job()["taskRunStatus"] == "RUNNING"
    f.sim.run()
    assert f.counts() == {"SUCCEEDED": A_TASKS + B_TASKS}
    check_all(f.sim.result())


def test_requeue_of_an_upstream_task_before_the_consumer_started() -> None:
    f = Farm(limit=1)  # one task at a time: A takes 240 s
    f.sim.run(until=250.0)  # A done at ~240 + phase; B's first task has started
    f.client.update_task(**f.ids(), stepId=f.step_ids()[0], taskId=f.task_id(0, 0),
                         targetRunStatus="PENDING")
    assert f.statuses(0)[0] == "READY"
    b = f.statuses(1)
    assert b.count("PENDING") == b.count("PENDING") and "READY" not in b
    f.sim.run()
    assert f.counts() == {"SUCCEEDED": A_TASKS + B_TASKS}
    check_all(f.sim.result())


def test_fail_and_cancel_targets() -> None:
    f = Farm(jobs=2)
    f.sim.run(until=80.0)  # job 0: two tasks of A SUCCEEDED, two running
    f.client.update_job(**f.ids(0), targetTaskRunStatus="FAILED")
    assert f.counts(0) == {"SUCCEEDED": 2, "FAILED": A_TASKS - 2 + B_TASKS}
    assert f.job(0)["taskRunStatus"] == "FAILED"
    f.client.update_step(**f.ids(1), stepId=f.step_ids(1)[1], targetTaskRunStatus="CANCELED")
    assert f.statuses(1, job=1) == ["CANCELED"] * B_TASKS
    f.sim.run()
    assert f.counts(1) == {"SUCCEEDED": A_TASKS, "CANCELED": B_TASKS}
    assert f.job(1)["taskRunStatus"] == "CANCELED"
    check_all(f.sim.result())


def test_requeue_gives_limit_units_back_and_resets_retries() -> None:
    f = Farm(limit=2)
    f.sim.run(until=30.0)
    limit = f.client.list_limits(farmId=f.farm)["limits"][0]
    assert limit["currentCount"] == 2
    f.client.update_job(**f.ids(), targetTaskRunStatus="SUSPENDED")
    limit = f.client.get_limit(farmId=f.farm, limitId=limit["limitId"])
    assert limit["currentCount"] == 0
    f.client.update_job(**f.ids(), targetTaskRunStatus="PENDING")
    f.sim.run()
    assert f.counts() == {"SUCCEEDED": A_TASKS + B_TASKS}
    check_all(f.sim.result())


def test_a_job_created_suspended_runs_when_requeued() -> None:
    f = Farm(suspended=True)
    f.sim.run(until=100.0)
    assert f.counts() == {"SUSPENDED": A_TASKS + B_TASKS}
    assert "startedAt" not in f.job()
    f.client.update_job(**f.ids(), targetTaskRunStatus="READY")
    f.sim.run()
    job = f.job()
    assert job["taskRunStatus"] == "SUCCEEDED"
    assert job["startedAt"] >= dt.datetime(2026, 3, 2, 9, 1, 40, tzinfo=dt.UTC)
    check_all(f.sim.result())


def test_archived_job_is_canceled_and_takes_no_more_updates() -> None:
    f = Farm()
    f.sim.run(until=30.0)
    f.client.update_job(**f.ids(), lifecycleStatus="ARCHIVED")
    job = f.job()
    assert job["lifecycleStatus"] == "ARCHIVED" and job["taskRunStatus"] == "CANCELED"
    with pytest.raises(f.client.exceptions.ConflictException) as caught:
        f.client.update_job(**f.ids(), priority=10)
    assert caught.value.response["reason"] == "STATUS_CONFLICT"
    with pytest.raises(f.client.exceptions.ConflictException):
        f.client.update_step(**f.ids(), stepId=f.step_ids()[0], targetTaskRunStatus="READY")
    f.sim.run()
    check_all(f.sim.result())


def test_batch_updates_report_each_failure_and_apply_the_rest() -> None:
    f = Farm(jobs=2)
    f.sim.run(until=30.0)
    ids0, ids1 = f.ids(0), f.ids(1)
    out = f.client.batch_update_job(jobs=[
        dict(ids0, priority=90),
        dict(ids1, jobId="job-" + "0" * 32, priority=10),
        dict(ids1, maxWorkerCount=0)])
    assert [e["code"] for e in out["errors"]] == ["ResourceNotFoundException",
                                                  "ValidationException"]
    assert out["errors"][0]["jobId"] == "job-" + "0" * 32
    assert f.job(0)["priority"] == 90
    out = f.client.batch_update_task(tasks=[
        dict(ids0, stepId=f.step_ids()[0], taskId=f.task_id(0, 3), targetRunStatus="SUSPENDED"),
        dict(ids0, stepId=f.step_ids()[0], taskId=f.task_id(0, 9), targetRunStatus="READY")])
    assert [e["code"] for e in out["errors"]] == ["ResourceNotFoundException"]
    assert f.statuses(0)[3] == "SUSPENDED"
    f.sim.run()
    assert f.counts(0)["SUSPENDED"] == 1
    check_all(f.sim.result())


def _limit_ids(f: Farm) -> dict[str, str]:
    limit = f.client.list_limits(farmId=f.farm)["limits"][0]["limitId"]
    return {"farmId": f.farm, "queueId": f.queue, "limitId": limit}


def test_stop_limit_usage_and_complete_tasks_then_delete_and_reassociate() -> None:
    f = Farm(limit=2, jobs=2)
    f.sim.run(until=30.0)
    qla = _limit_ids(f)
    c = f.client
    c.update_queue_limit_association(**qla, status="STOP_LIMIT_USAGE_AND_COMPLETE_TASKS")
    # Two runs still hold its units: the association is stopping, not STOPPED.
    assert c.get_queue_limit_association(**qla)["status"] == (
        "STOP_LIMIT_USAGE_AND_COMPLETE_TASKS")
    with pytest.raises(c.exceptions.ConflictException):
        c.delete_queue_limit_association(**qla)
    f.sim.run(until=200.0)
    # The two runs finished; nothing else of A (which needs the limit) started.
    assert f.statuses(0) == ["SUCCEEDED", "SUCCEEDED", "READY", "READY"]
    assert c.get_queue_limit_association(**qla)["status"] == "STOPPED"
    assert c.get_limit(farmId=f.farm, limitId=qla["limitId"])["currentCount"] == 0
    with pytest.raises(c.exceptions.ConflictException):
        c.delete_limit(farmId=f.farm, limitId=qla["limitId"])
    c.update_queue_limit_association(**qla, status="ACTIVE")
    f.sim.run()
    assert f.counts(0) == {"SUCCEEDED": A_TASKS + B_TASKS}
    assert f.counts(1) == {"SUCCEEDED": A_TASKS + B_TASKS}
    check_all(f.sim.result())


def test_stop_limit_usage_and_cancel_tasks_requeues_the_running_ones() -> None:
    f = Farm(limit=2)
    f.sim.run(until=30.0)
    qla = _limit_ids(f)
    f.client.update_queue_limit_association(**qla, status="STOP_LIMIT_USAGE_AND_CANCEL_TASKS")
    assert f.client.get_queue_limit_association(**qla)["status"] == "STOPPED"
    assert f.statuses(0) == ["READY"] * A_TASKS
    runs = f.sim.result().task_runs
    assert sorted(runs["status"]) == ["CANCELED", "CANCELED"]
    f.client.delete_queue_limit_association(**qla)
    assert f.client.list_queue_limit_associations(farmId=f.farm)["queueLimitAssociations"] == []
    f.client.delete_limit(farmId=f.farm, limitId=qla["limitId"])
    with pytest.raises(f.client.exceptions.ResourceNotFoundException):
        f.client.get_limit(farmId=f.farm, limitId=qla["limitId"])
    # A new limit of the same amount, associated: the waiting tasks are still bound to the
    # old one (compatibility and limits are decided when a job is created), a new job uses it.
    new = f.client.create_limit(farmId=f.farm, displayName="x2", maxCount=1,
                                amountRequirementName="amount.license.x")["limitId"]
    f.client.create_queue_limit_association(farmId=f.farm, queueId=f.queue, limitId=new)
    with pytest.raises(f.client.exceptions.ConflictException):
        f.client.create_queue_limit_association(farmId=f.farm, queueId=f.queue, limitId=new)
    limit = f.client.get_limit(farmId=f.farm, limitId=new)
    assert limit["maxCount"] == 1 and limit["currentCount"] == 0
    f.sim.run(until=500.0)
    assert f.statuses(0) == ["READY"] * A_TASKS
    result = f.sim.result()
    assert list(result.limit_usage["limit_id"].cat.categories) == [qla["limitId"], new]
    check_all(result)


def test_steps_and_tasks_report_the_target_a_user_set() -> None:
    f = Farm()
    f.sim.run(until=30)
    step_a, step_b = f.step_ids()
    f.client.update_step(**f.ids(), stepId=step_b, targetTaskRunStatus="SUSPENDED")
    f.sim.run(until=45)
    f.client.update_task(**f.ids(), stepId=step_a, taskId=f.task_id(0, 3),
                         targetRunStatus="CANCELED")
    got_b = f.client.get_step(**f.ids(), stepId=step_b)
    assert got_b["targetTaskRunStatus"] == "SUSPENDED"
    assert got_b["updatedAt"] == f.sim.start_time + dt.timedelta(seconds=30)
    assert "targetTaskRunStatus" not in f.client.get_step(**f.ids(), stepId=step_a)
    listed = f.client.list_tasks(**f.ids(), stepId=step_a)["tasks"]
    assert [t.get("targetRunStatus") for t in listed] == [None, None, None, "CANCELED"]
    assert listed[3]["updatedAt"] == f.sim.start_time + dt.timedelta(seconds=45)
    steps = {s["stepId"]: s for s in f.client.list_steps(**f.ids())["steps"]}
    assert steps[step_b]["targetTaskRunStatus"] == "SUSPENDED"
