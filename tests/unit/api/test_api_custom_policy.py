"""A queue under a custom scheduling policy seen through the API: GetQueue has no
schedulingConfiguration to report (the API knows three), and UpdateQueue moves the queue to one
of the API's configurations mid-run, its jobs filed again under it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from farmsim.engine.simulation import Simulation
from farmsim.scenario import scenario_from_dict
from farmsim.scheduling import (
    OrderedPolicy,
    register_policy,
    registered_policies,
    unregister_policy,
)
from farmsim.testing import check_all

_TEMPLATE = {"specificationVersion": "jobtemplate-2023-09", "name": "J",
             "steps": [{"name": "S", "parameterSpace": {"taskParameterDefinitions": [
                 {"name": "F", "type": "INT", "range": "1-20"}]},
                 "script": {"actions": {"onRun": {"command": "echo"}}}}]}


class NewestFirst(OrderedPolicy):
    name = "newestFirstApi"

    def key(self, job: Any) -> Any:
        return -job.submit_seq


@pytest.fixture(autouse=True)
def _registered() -> Iterator[None]:
    register_policy(NewestFirst)
    yield
    if "newestFirstApi" in registered_policies():
        unregister_policy("newestFirstApi")


def _sim() -> Simulation:
    data = {"seed": 1, "farm": {
        "queues": [{"displayName": "q", "fleets": ["f"],
                    "simulation": {"policy": "newestFirstApi"}}],
        "fleets": [{"displayName": "f", "minWorkerCount": 0, "maxWorkerCount": 2,
                    "configuration": {"customerManaged": {"mode": "NO_SCALING"}},
                    "simulation": {"workers": 2}}]},
        "workload": {"jobs": [{"queue": "q", "template": _TEMPLATE, "at": t}
                              for t in (0, 10, 20)]},
        "runtimes": [{"duration": "60s"}]}
    return Simulation(scenario_from_dict(data))


def test_get_queue_of_a_custom_policy_has_no_scheduling_configuration() -> None:
    sim = _sim()
    c = sim.client()
    farm = c.list_farms()["farms"][0]["farmId"]
    queue = c.list_queues(farmId=farm)["queues"][0]["queueId"]
    got = c.get_queue(farmId=farm, queueId=queue)
    assert "schedulingConfiguration" not in got and got["displayName"] == "q"


def test_update_queue_replaces_a_custom_policy_mid_run() -> None:
    # GIVEN three jobs under newest-first: the third (t=20) takes the workers as they free
    sim = _sim()
    c = sim.client()
    ids = {"farmId": c.list_farms()["farms"][0]["farmId"]}
    ids["queueId"] = c.list_queues(**ids)["queues"][0]["queueId"]
    sim.run(until=130)
    # WHEN the queue is moved to priorityFifo
    c.update_queue(**ids, schedulingConfiguration={"priorityFifo": {}})
    sim.run()
    # THEN GetQueue reports it, the queue's policy is priorityFifo, and after the change the
    # oldest job with work left (the first) is served before the others
    assert c.get_queue(**ids)["schedulingConfiguration"] == {"priorityFifo": {}}
    assert sim.control.queues[0].policy.name == "priorityFifo"
    result = sim.result()
    first, second, third = result.jobs.sort_values("submitted_at").job_id
    runs = result.task_runs.sort_values("assigned_at", kind="stable")
    before = runs[(runs.assigned_at > 30) & (runs.assigned_at < 130)]
    after = runs[runs.assigned_at >= 130]
    assert set(before.job_id) == {third}  # newest first: the runs at t=60 and t=120
    assert after.job_id.iloc[0] == first and after.job_id.iloc[1] == first
    assert second in set(after.job_id)
    check_all(sim.result())
