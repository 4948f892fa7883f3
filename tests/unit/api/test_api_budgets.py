"""Budgets through the API: a queue a budget stopped is SCHEDULING_BLOCKED with blockedReason
BUDGET_THRESHOLD_REACHED (GetQueue, ListQueues), and GetBudget / ListBudgets report what each
budget counted; every response holds to botocore's output shape."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from farmsim.api._model import operation_model, shape_problems
from farmsim.engine.simulation import Simulation
from farmsim.scenario import scenario_from_dict

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
COMPLETE = "STOP_SCHEDULING_AND_COMPLETE_TASKS"


def _template(name: str, tasks: int) -> dict[str, Any]:
    return {"specificationVersion": "jobtemplate-2023-09", "name": name,
            "steps": [{"name": "S", "parameterSpace": {"taskParameterDefinitions": [
                {"name": "F", "type": "INT", "range": f"1-{tasks}"}]},
                "script": {"actions": {"onRun": {"command": "x"}}}}]}


def _sim() -> Simulation:
    """Queues render and comp share fleet linux (2 workers at $36/h, one-minute tasks). The
    render budget ($2, acting at 100%) stops render at the count of 120 s; the comp budget
    runs from 10:00 on the scenario's clock (t=3600 s) and never acts."""
    return Simulation(scenario_from_dict({
        "name": "budgets", "seed": 3, "start": START.isoformat(),
        "farm": {
            "queues": [{"displayName": "render", "fleets": ["linux"]},
                       {"displayName": "comp", "fleets": ["linux"]}],
            "fleets": [{"displayName": "linux", "maxWorkerCount": 2,
                        "configuration": {"customerManaged": {"mode": "NO_SCALING"}},
                        "simulation": {"workers": 2, "cost_per_hour": 36}}],
            "budgets": [
                {"displayName": "render budget", "description": "per shot",
                 "usageTrackingResource": {"queue": "render"}, "approximateDollarLimit": 2,
                 "actions": [{"type": COMPLETE, "thresholdPercentage": 100,
                              "description": "stop"}]},
                {"displayName": "comp budget", "usageTrackingResource": {"queue": "comp"},
                 "approximateDollarLimit": 50, "actions": [],
                 "schedule": {"fixed": {"startTime": "2026-03-02T10:00:00Z",
                                        "endTime": "2026-03-03T10:00:00Z"}}}],
            "simulation": {"worker_poll_interval": 0},
        },
        "workload": {"jobs": [{"queue": "render", "template": _template("r", 10)},
                              {"queue": "comp", "at": 200, "template": _template("c", 2)}]},
        "runtimes": [{"duration": "60s"}],
    }))


def _conforms(operation: str, response: dict[str, Any]) -> dict[str, Any]:
    shape = operation_model(operation).output_shape
    assert shape_problems(response, shape) == []
    return response


def _queues(sim: Simulation) -> dict[str, dict[str, Any]]:
    client = sim.client()
    listed = _conforms("ListQueues", client.list_queues(farmId=client.farm_id))["queues"]
    return {q["displayName"]: q for q in listed}


def test_a_queue_a_budget_stopped_is_scheduling_blocked() -> None:
    # GIVEN the farm before the render budget acts
    sim = _sim()
    client = sim.client()
    sim.run(until=100.0)
    before = _queues(sim)
    assert before["render"]["status"] == "SCHEDULING" and "blockedReason" not in before["render"]

    # WHEN it runs past the count at which render's spending reached $2 (120 s)
    sim.run(until=130.0)

    # THEN render is SCHEDULING_BLOCKED for the budget, in GetQueue and ListQueues, though it
    # still has READY work; comp is not
    queues = _queues(sim)
    assert (queues["render"]["status"], queues["render"]["blockedReason"]) == (
        "SCHEDULING_BLOCKED", "BUDGET_THRESHOLD_REACHED")
    got = _conforms("GetQueue", client.get_queue(farmId=client.farm_id,
                                                 queueId=queues["render"]["queueId"]))
    assert (got["status"], got["blockedReason"]) == ("SCHEDULING_BLOCKED",
                                                     "BUDGET_THRESHOLD_REACHED")
    assert queues["comp"]["status"] == "IDLE" and "blockedReason" not in queues["comp"]
    blocked = client.list_queues(farmId=client.farm_id, status="SCHEDULING_BLOCKED")["queues"]
    assert [q["displayName"] for q in blocked] == ["render"]


def test_setting_an_association_active_does_not_lift_a_budgets_block() -> None:
    # GIVEN render blocked by its budget at 120 s
    sim = _sim()
    client = sim.client()
    sim.run(until=130.0)
    render = _queues(sim)["render"]["queueId"]
    fleet = client.list_fleets(farmId=client.farm_id)["fleets"][0]["fleetId"]

    # WHEN a user sets its association with the fleet ACTIVE, and the run goes on
    client.update_queue_fleet_association(farmId=client.farm_id, queueId=render,
                                          fleetId=fleet, status="ACTIVE")
    sim.run(until=400.0)

    # THEN the association is ACTIVE, but render stays blocked and starts nothing more
    association = client.get_queue_fleet_association(farmId=client.farm_id, queueId=render,
                                                      fleetId=fleet)
    assert association["status"] == "ACTIVE"
    assert _queues(sim)["render"]["status"] == "SCHEDULING_BLOCKED"
    runs = sim.result().task_runs
    assert runs[runs.queue_id == render]["assigned_at"].max() == 120.0


def test_get_budget_and_list_budgets_report_what_each_budget_counted() -> None:
    # GIVEN the farm run to 130 s (render's budget acted at 120 s, having counted $2.40)
    sim = _sim()
    client = sim.client()
    sim.run(until=130.0)

    # WHEN its budgets are listed and read
    listed = _conforms("ListBudgets", client.list_budgets(farmId=client.farm_id))["budgets"]
    by_name = {b["displayName"]: b for b in listed}
    render = _conforms("GetBudget", client.get_budget(
        farmId=client.farm_id, budgetId=by_name["render budget"]["budgetId"]))
    comp = _conforms("GetBudget", client.get_budget(
        farmId=client.farm_id, budgetId=by_name["comp budget"]["budgetId"]))

    # THEN each reports its queue, limit, what it counted, its actions and schedule; a
    # budget outside its schedule is INACTIVE
    queues = _queues(sim)
    assert render["usageTrackingResource"] == {"queueId": queues["render"]["queueId"]}
    assert render["approximateDollarLimit"] == 2.0
    assert render["usages"]["approximateDollarUsage"] == pytest.approx(2.4)
    assert render["queueStoppedAt"] == START + dt.timedelta(seconds=120)
    assert render["actions"] == [{"type": COMPLETE, "thresholdPercentage": 100.0,
                                  "description": "stop"}]
    assert render["status"] == "ACTIVE" and render["description"] == "per shot"
    assert render["schedule"]["fixed"]["startTime"] == START  # (no schedule: from t=0)
    assert comp["status"] == "INACTIVE" and "queueStoppedAt" not in comp
    assert comp["schedule"] == {"fixed": {
        "startTime": dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC),
        "endTime": dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)}}
    assert comp["usages"]["approximateDollarUsage"] == 0.0
    inactive = client.list_budgets(farmId=client.farm_id, status="INACTIVE")["budgets"]
    assert [b["displayName"] for b in inactive] == ["comp budget"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_budget(farmId=client.farm_id, budgetId="budget-" + "0" * 32)
