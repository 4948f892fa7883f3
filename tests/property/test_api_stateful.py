"""A Hypothesis state machine drives ``sim.client()`` as a script would: submit jobs, change
their priority, target status and maxWorkerCount, change a limit's maxCount and stop or resume
its queue association, and advance time. After every step the API must agree with itself and
with semantics A and D; at the end the run's records must keep every engine invariant."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from farmsim.engine.simulation import Simulation
from farmsim.model.enums import TaskRunStatus
from farmsim.model.state import AGGREGATE_PRECEDENCE
from farmsim.scenario import scenario_from_dict
from farmsim.testing import check_all

TARGETS = ("READY", "PENDING", "SUSPENDED", "CANCELED", "FAILED", "SUCCEEDED")
TEMPLATE = """
specificationVersion: jobtemplate-2023-09
name: shot
parameterDefinitions:
- {name: Frames, type: STRING, default: "1-3"}
steps:
- name: render
  parameterSpace:
    taskParameterDefinitions: [{name: F, type: INT, range: "{{Param.Frames}}"}]
  hostRequirements:
    amounts: [{name: amount.license.x, min: 1}]
  script: {actions: {onRun: {command: render}}}
- name: comp
  dependencies: [{dependsOn: render}]
  script: {actions: {onRun: {command: comp}}}
"""


def _farm() -> dict[str, Any]:
    return {
        "name": "stateful", "seed": 11, "start": "2026-03-02T09:00:00",
        "farm": {
            "displayName": "studio",
            "queues": [{"displayName": "render", "fleets": ["linux", "cloud"],
                        "limits": ["x"]}],
            "fleets": [{"displayName": "linux", "minWorkerCount": 0, "maxWorkerCount": 3,
                        "configuration": {"customerManaged": {
                            "mode": "NO_SCALING", "workerCapabilities": {
                                "vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192},
                                "osFamily": "LINUX", "cpuArchitectureType": "x86_64"}}},
                        "simulation": {"workers": 3}},
                       {"displayName": "cloud", "minWorkerCount": 1, "maxWorkerCount": 1,
                        "configuration": {"serviceManagedEc2": {
                            "instanceCapabilities": {
                                "vCpuCount": {"min": 4}, "memoryMiB": {"min": 8192},
                                "osFamily": "LINUX", "cpuArchitectureType": "x86_64"},
                            "instanceMarketOptions": {"type": "spot"}}}}],
            "limits": [{"displayName": "x", "amountRequirementName": "amount.license.x",
                        "maxCount": 2}],
        },
        "runtimes": [{"duration": {"dist": "uniform", "low": 20, "high": 90},
                      "failure_probability": 0.2}],
    }


class ApiMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.sim = Simulation(scenario_from_dict(_farm()))
        self.client = self.sim.client()
        c = self.client
        self.farm = c.list_farms()["farms"][0]["farmId"]
        self.queue = c.list_queues(farmId=self.farm)["queues"][0]["queueId"]
        self.limit = c.list_limits(farmId=self.farm)["limits"][0]["limitId"]
        self.fleets = [f["fleetId"] for f in c.list_fleets(farmId=self.farm)["fleets"]]
        self.jobs: list[str] = []
        #: When each fleet's association with the queue stopped scheduling, if it is stopped,
        #: and the periods it was stopped (no run of the queue may be assigned to it then).
        self.stopped_since: dict[str, float] = {}
        self.stopped: list[tuple[str, float, float]] = []
        #: The highest currentCount allowed now: maxCount, or what was held when it was lowered.
        self.allowed = 2

    def _ids(self, i: int) -> dict[str, str]:
        return {"farmId": self.farm, "queueId": self.queue, "jobId": self.jobs[i % len(self.jobs)]}

    @rule(frames=st.integers(1, 6), priority=st.integers(0, 100),
          suspended=st.booleans(), max_workers=st.sampled_from([-1, 1, 2]))
    def submit(self, frames: int, priority: int, suspended: bool, max_workers: int) -> None:
        out = self.client.create_job(
            farmId=self.farm, queueId=self.queue, template=TEMPLATE, templateType="YAML",
            priority=priority, maxWorkerCount=max_workers,
            parameters={"Frames": {"string": f"1-{frames}"}},
            targetTaskRunStatus="SUSPENDED" if suspended else "READY")
        self.jobs.append(out["jobId"])

    @precondition(lambda self: self.jobs)
    @rule(i=st.integers(0, 50), priority=st.integers(0, 100))
    def change_priority(self, i: int, priority: int) -> None:
        self.client.update_job(**self._ids(i), priority=priority)

    @precondition(lambda self: self.jobs)
    @rule(i=st.integers(0, 50), status=st.sampled_from(TARGETS))
    def change_status(self, i: int, status: str) -> None:
        self.client.update_job(**self._ids(i), targetTaskRunStatus=status)

    @precondition(lambda self: self.jobs)
    @rule(i=st.integers(0, 50), task=st.integers(0, 5), status=st.sampled_from(TARGETS))
    def change_task(self, i: int, task: int, status: str) -> None:
        ids = self._ids(i)
        step = self.client.list_steps(**ids)["steps"][0]["stepId"]
        with contextlib.suppress(self.client.exceptions.ResourceNotFoundException):
            # (a task number past the step's tasks is not found)
            self.client.update_task(**ids, stepId=step, taskId=f"task-{step[5:]}-{task}",
                                    targetRunStatus=status)

    @precondition(lambda self: self.jobs)
    @rule(i=st.integers(0, 50), n=st.sampled_from([-1, 1, 3]))
    def change_max_workers(self, i: int, n: int) -> None:
        self.client.update_job(**self._ids(i), maxWorkerCount=n)

    @rule(n=st.sampled_from([-1, 1, 2, 4]))
    def change_max_count(self, n: int) -> None:
        held = self.client.get_limit(farmId=self.farm, limitId=self.limit)["currentCount"]
        self.client.update_limit(farmId=self.farm, limitId=self.limit, maxCount=n)
        self.allowed = 10**9 if n == -1 else max(n, held)

    @rule(status=st.sampled_from(["ACTIVE", "STOP_LIMIT_USAGE_AND_COMPLETE_TASKS",
                                  "STOP_LIMIT_USAGE_AND_CANCEL_TASKS"]))
    def change_association(self, status: str) -> None:
        self.client.update_queue_limit_association(
            farmId=self.farm, queueId=self.queue, limitId=self.limit, status=status)

    @rule(fleet=st.integers(0, 1),
          status=st.sampled_from(["ACTIVE", "STOP_SCHEDULING_AND_COMPLETE_TASKS",
                                  "STOP_SCHEDULING_AND_CANCEL_TASKS"]))
    def change_fleet_association(self, fleet: int, status: str) -> None:
        fleet_id = self.fleets[fleet]
        self.client.update_queue_fleet_association(
            farmId=self.farm, queueId=self.queue, fleetId=fleet_id, status=status)
        now = self.sim.now
        if status == "ACTIVE" and fleet_id in self.stopped_since:
            self.stopped.append((fleet_id, self.stopped_since.pop(fleet_id), now))
        elif status != "ACTIVE":
            self.stopped_since.setdefault(fleet_id, now)

    @rule(n=st.integers(0, 3))
    def resize_cloud(self, n: int) -> None:
        self.client.update_fleet(farmId=self.farm, fleetId=self.fleets[1], minWorkerCount=n,
                                 maxWorkerCount=n)

    @rule(seconds=st.sampled_from([5.0, 30.0, 90.0, 400.0]))
    def advance(self, seconds: float) -> None:
        self.sim.run(until=self.sim.now + seconds)
        held = self.client.get_limit(farmId=self.farm, limitId=self.limit)
        if held["maxCount"] != -1 and held["currentCount"] <= held["maxCount"]:
            self.allowed = held["maxCount"]  # (usage came below a lowered maximum)

    @invariant()
    def list_agrees_with_get_and_counts_add_up(self) -> None:
        listed = self.client.list_jobs(farmId=self.farm, queueId=self.queue,
                                       maxResults=100)["jobs"]
        assert [j["jobId"] for j in listed] == self.jobs
        for summary in listed:
            job = self.client.get_job(farmId=self.farm, queueId=self.queue,
                                      jobId=summary["jobId"])
            for key in ("taskRunStatus", "taskRunStatusCounts", "priority"):
                assert job[key] == summary[key], key
            counts = job["taskRunStatusCounts"]
            state = self.sim.control.jobs[self.jobs.index(job["jobId"])]
            assert sum(counts.values()) == sum(s.task_count for s in state.steps)
            # Semantics A.4: the first status present by precedence (a PENDING task behind a
            # dead upstream step always comes with that dead status, which goes first).
            present = [s for s in AGGREGATE_PRECEDENCE if counts[s.value]]
            expected = present[0] if present else TaskRunStatus.SUCCEEDED
            assert job["taskRunStatus"] == expected.value, counts

    @invariant()
    def the_limit_is_never_over_what_is_allowed(self) -> None:
        held = self.client.get_limit(farmId=self.farm, limitId=self.limit)["currentCount"]
        assert held <= self.allowed

    @invariant()
    def a_stopped_association_drains(self) -> None:
        for fleet_id in self.stopped_since:
            got = self.client.get_queue_fleet_association(
                farmId=self.farm, queueId=self.queue, fleetId=fleet_id)
            assert got["status"] != "ACTIVE"
            busy = any((w.job or w.closing) is not None and (w.job or w.closing).queue_index == 0
                       for w in self.sim.control.fleets[self.fleets.index(fleet_id)].workers)
            assert (got["status"] == "STOPPED") == (not busy)

    def teardown(self) -> None:
        self.sim.run(until=self.sim.now + 3600.0)
        result = self.sim.result()
        runs = result.task_runs
        periods = self.stopped + [(f, t, float("inf")) for f, t in self.stopped_since.items()]
        for fleet_id, since, until in periods:
            mine = runs[(runs.fleet_id == fleet_id) & (runs.assigned_at >= since)
                        & (runs.assigned_at < until)]
            assert mine.empty, (fleet_id, since, until, mine)
        # (check_max_worker_count follows each job's maxWorkerCount through job_updates)
        check_all(result)


ApiMachine.TestCase.settings = settings(
    max_examples=12, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
TestApiMachine = ApiMachine.TestCase
