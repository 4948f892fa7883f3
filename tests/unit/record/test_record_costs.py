"""Costs in the summary: owned and usage-billed licenses, and the cost of each queue's work
(docs/semantics.md D29), on small farms whose numbers are worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest

import farmsim
from farmsim.record.result import Result
from farmsim.scenario import scenario_from_dict


def _template(name: str, tasks: int, *, units: int = 0, env: bool = False) -> dict[str, Any]:
    """One step of ``tasks`` tasks (each holding ``units`` of the "lic" limit), in a job
    environment (entered and exited once per session) when ``env``."""
    step: dict[str, Any] = {"name": "S", "script": {"actions": {"onRun": {"command": "run"}}}}
    if tasks > 1:
        step["parameterSpace"] = {"taskParameterDefinitions": [
            {"name": "F", "type": "INT", "range": f"1-{tasks}"}]}
    if units:
        step["hostRequirements"] = {"amounts": [{"name": "amount.license.lic", "min": units}]}
    template: dict[str, Any] = {"specificationVersion": "jobtemplate-2023-09", "name": name,
                                "steps": [step]}
    if env:
        template["jobEnvironments"] = [{"name": "Env", "script": {"actions": {
            "onEnter": {"command": "enter"}, "onExit": {"command": "exit"}}}}]
    return template


def _fleet(name: str, price: float) -> dict[str, Any]:
    return {"displayName": name, "maxWorkerCount": 1,
            "configuration": {"customerManaged": {"mode": "NO_SCALING"}},
            "simulation": {"workers": 1, "cost_per_hour": price}}


def _licensed(billing: str | None) -> Result:
    """One $36/h worker runs three 100 s tasks of 2 "lic" units each (0-300 s), then idles to
    600 s; "lic" has maxCount 4 at $7.20 per unit-hour, billed as ``billing``."""
    limit: dict[str, Any] = {"displayName": "lic", "amountRequirementName": "amount.license.lic",
                             "maxCount": 4, "simulation": {"cost_per_hour": 7.2}}
    if billing is not None:
        limit["simulation"]["billing"] = billing
    scenario = scenario_from_dict({
        "farm": {"queues": [{"displayName": "q", "fleets": ["f"], "limits": ["lic"]}],
                 "fleets": [_fleet("f", 36.0)], "limits": [limit],
                 "simulation": {"worker_poll_interval": 0}},
        "workload": {"jobs": [{"queue": "q", "template": _template("J", 3, units=2)}]},
        "runtimes": [{"match": {}, "duration": "100s"}],
        "horizon": 600,
    })
    return farmsim.simulate(scenario)


@pytest.mark.parametrize(("billing", "licenses"), [
    # owned: 4 units x 600 s x $7.20/h = $4.80, whether used or not
    pytest.param(None, 4 * 600 * 7.2 / 3600, id="owned by default"),
    pytest.param("owned", 4 * 600 * 7.2 / 3600, id="owned"),
    # by usage: 2 units held for 3 x 100 s x $7.20/h = $1.20
    pytest.param("usage", 2 * 300 * 7.2 / 3600, id="usage"),
])
def test_licenses_cost_what_their_billing_says(billing: str | None, licenses: float) -> None:
    # GIVEN the licensed farm, its limit billed as given  WHEN it runs to 600 s
    summary = _licensed(billing).summary()

    # THEN the worker costs 600 s x $36/h = $6 either way, the licenses their billing, and
    # the total both
    assert summary["cost_usd"]["workers"] == pytest.approx(6.0)
    assert summary["cost_usd"]["licenses"] == pytest.approx(licenses)
    assert summary["cost_usd"]["total"] == pytest.approx(6.0 + licenses)
    lic = summary["limits"]["lic"]
    assert lic["billing"] == (billing or "owned")
    assert lic["cost"] == pytest.approx(licenses)
    # The limit's use does not depend on how it is paid for
    assert lic["mean_in_use"] == pytest.approx(2 * 300 / 600)
    assert lic["utilization"] == pytest.approx(2 * 300 / (4 * 600))
    # The queue's work: 300 s of the worker ($3), and the usage-billed licenses it held;
    # owned licenses, like idle time, belong to no queue
    q = summary["queues"]["q"]
    used = 1.2 if billing == "usage" else 0.0
    assert q["worker_hours"] == pytest.approx(300 / 3600)
    assert q["worker_cost"] == pytest.approx(3.0)
    assert q["license_cost"] == pytest.approx(used)
    assert q["cost"] == pytest.approx(3.0 + used)


def _two_queues(until: float) -> Result:
    """Queue "a" on fleet "cheap" ($36/h): a job of two 100 s tasks in a job environment
    (envEnter 5 s, envExit 10 s): busy 0-215 s. Queue "b" on fleet "dear" ($72/h): one 50 s
    task submitted at 20 s: busy 20-70 s."""
    scenario = scenario_from_dict({
        "farm": {"queues": [{"displayName": "a", "fleets": ["cheap"]},
                            {"displayName": "b", "fleets": ["dear"]}],
                 "fleets": [_fleet("cheap", 36.0), _fleet("dear", 72.0)],
                 "simulation": {"worker_poll_interval": 0}},
        "workload": {"jobs": [{"queue": "a", "template": _template("A", 2, env=True)},
                              {"queue": "b", "at": 20, "template": _template("B", 1)}]},
        "runtimes": [{"match": {"action": "envEnter"}, "duration": "5s"},
                     {"match": {"action": "envExit"}, "duration": "10s"},
                     {"match": {"job": "A"}, "duration": "100s"},
                     {"match": {"job": "B"}, "duration": "50s"}],
    })
    return farmsim.simulate(scenario, until=until)


def test_each_queue_pays_for_its_busy_worker_time_at_its_workers_fleet_price() -> None:
    # GIVEN the two queues, run to 300 s
    summary = _two_queues(300.0).summary()

    # THEN queue a paid for 215 s (its session's setup and envExit included) at $36/h, queue
    # b for 50 s at $72/h
    a, b = summary["queues"]["a"], summary["queues"]["b"]
    assert a["worker_hours"] == pytest.approx(215 / 3600)
    assert a["cost"] == a["worker_cost"] == pytest.approx(215 * 0.01)
    assert b["worker_hours"] == pytest.approx(50 / 3600)
    assert b["cost"] == b["worker_cost"] == pytest.approx(50 * 0.02)
    assert a["license_cost"] == b["license_cost"] == 0.0
    assert a["queue_id"] != b["queue_id"]
    # The queues' worker time is the farm's busy time; the rest of the bill (each worker
    # online 300 s: $3 + $6) is idle time, which belongs to no queue
    busy = summary["worker_utilization"] * summary["worker_hours"]
    assert a["worker_hours"] + b["worker_hours"] == pytest.approx(busy)
    assert summary["cost_usd"]["total"] == pytest.approx(9.0)
    assert summary["cost_usd"]["total"] - (a["cost"] + b["cost"]) == pytest.approx(
        9.0 - 2.15 - 1.0)


def test_work_going_on_at_the_end_counts_up_to_the_end() -> None:
    # GIVEN the two queues stopped at 45 s: queue a's first task runs (after its session's
    # setup, 0-5 s), queue b's task since 20 s
    summary = _two_queues(45.0).summary()

    # THEN each queue paid for its work up to 45 s
    assert summary["queues"]["a"]["worker_hours"] == pytest.approx(45 / 3600)
    assert summary["queues"]["b"]["cost"] == pytest.approx(25 * 0.02)
