"""Budgets (``farm.budgets``, shaped like CreateBudget), ``farm.simulation.budget_interval`` and
a limit's ``simulation.billing``: what is read, and every bad value refused with its field, the
rule and the value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from scenario_testdata import expect_problems

from farmsim.model.config import DEFAULT_BUDGET_INTERVAL_S, BudgetAction, BudgetConfig
from farmsim.scenario import scenario_from_dict

Edit = Callable[[dict[str, Any]], None]

COMPLETE, CANCEL = "STOP_SCHEDULING_AND_COMPLETE_TASKS", "STOP_SCHEDULING_AND_CANCEL_TASKS"


def _budget(**fields: Any) -> dict[str, Any]:
    """A valid budget on the comp queue, with ``fields`` changed (None: left out)."""
    budget: dict[str, Any] = {
        "displayName": "comp budget",
        "usageTrackingResource": {"queue": "comp"},
        "approximateDollarLimit": 100,
        "actions": [{"type": COMPLETE, "thresholdPercentage": 80},
                    {"type": CANCEL, "thresholdPercentage": 100, "description": "hard stop"}],
    }
    budget.update(fields)
    return {k: v for k, v in budget.items() if v is not None}


def _with(*budgets: dict[str, Any]) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        data["farm"]["budgets"] = list(budgets)

    return edit


def _schedule(start: Any, end: Any) -> dict[str, Any]:
    return {"fixed": {"startTime": start, "endTime": end}}


B = "farm.budgets[0]"

RULES = [
    pytest.param(_with(_budget(usageTrackingResource={"queue": "render"})),
                 [f"{B}.usageTrackingResource.queue: unknown queue 'render' (defined: 'comp')"],
                 id="unknown queue"),
    pytest.param(_with(_budget(usageTrackingResource={"queueId": "queue-" + "0" * 32})),
                 [f"{B}.usageTrackingResource: unknown key 'queueId' (expected one of: queue)",
                  f"{B}.usageTrackingResource: missing required key 'queue'"],
                 id="queue by id"),
    pytest.param(_with(_budget(usageTrackingResource=None)),
                 [f"{B}: missing required key 'usageTrackingResource'"], id="no queue"),
    pytest.param(_with(_budget(approximateDollarLimit=0)),
                 [f"{B}.approximateDollarLimit: must be >= 0.01 (got 0)"], id="limit 0"),
    pytest.param(_with(_budget(approximateDollarLimit="100")),
                 [f"{B}.approximateDollarLimit: must be a number (got '100')"],
                 id="limit as text"),
    pytest.param(_with(_budget(actions=[{"type": "STOP", "thresholdPercentage": 50}])),
                 [f"{B}.actions[0].type: must be one of {COMPLETE}, {CANCEL} (got 'STOP')"],
                 id="action type"),
    pytest.param(_with(_budget(actions=[{"type": CANCEL, "thresholdPercentage": 100.5}])),
                 [f"{B}.actions[0].thresholdPercentage: must be between 0 and 100 (got 100.5)"],
                 id="threshold above 100"),
    pytest.param(_with(_budget(actions=[{"type": CANCEL}])),
                 [f"{B}.actions[0]: missing required key 'thresholdPercentage'"],
                 id="threshold missing"),
    pytest.param(_with(_budget(actions=[{"type": CANCEL, "thresholdPercentage": 9,
                                         "when": "now"}])),
                 [f"{B}.actions[0]: unknown key 'when' (expected one of: description, "
                  "thresholdPercentage, type)"], id="action key"),
    pytest.param(_with(_budget(actions=[{"type": CANCEL, "thresholdPercentage": 10 * i}
                                        for i in range(11)])),
                 [f"{B}.actions: must have at most 10 items (CreateBudget's 0-10 items) "
                  "(got 11)"], id="eleven actions"),
    pytest.param(_with(_budget(actions=[{"type": CANCEL, "thresholdPercentage": 1,
                                         "description": "x" * 101}])),
                 [f"{B}.actions[0].description: must be at most 100 characters (got 101)"],
                 id="action description"),
    pytest.param(_with(_budget(actions=None)), [f"{B}: missing required key 'actions'"],
                 id="no actions key"),
    pytest.param(_with(_budget(schedule=_schedule("2026-01-06T00:00:00Z",
                                                  "2026-01-05T00:00:00Z"))),
                 [f"{B}.schedule.fixed.endTime: must be after startTime "
                  "2026-01-06T00:00:00+00:00 (got 2026-01-05T00:00:00+00:00)"],
                 id="end before start"),
    pytest.param(_with(_budget(schedule=_schedule("monday", "2026-01-05T00:00:00Z"))),
                 [f"{B}.schedule.fixed.startTime: must be an ISO-8601 date and time like "
                  "2026-01-05T09:00:00Z (got 'monday')"], id="bad time"),
    pytest.param(_with(_budget(schedule={"fixed": {"startTime": "2026-01-05"}})),
                 [f"{B}.schedule.fixed: missing required key 'endTime'"], id="no end"),
    pytest.param(_with(_budget(schedule={"recurring": {}})),
                 [f"{B}.schedule: unknown key 'recurring' (expected one of: fixed)"],
                 id="schedule member"),
    pytest.param(_with(_budget(displayName="x" * 101)),
                 [f"{B}.displayName: must be at most 100 characters (got 101)"],
                 id="name too long"),
    pytest.param(_with(_budget(description="x" * 101)),
                 [f"{B}.description: must be at most 100 characters long (CreateBudget's "
                  "length 0-100) (got 101 characters)"], id="description (CreateBudget)"),
    pytest.param(_with(_budget(tags={"a": "b"})),
                 [f"{B}: unknown key 'tags' (expected one of: actions, approximateDollarLimit, "
                  "description, displayName, schedule, usageTrackingResource)"],
                 id="unknown key"),
    pytest.param(_with(_budget(), _budget()),
                 ["farm.budgets[1].displayName: duplicate displayName 'comp budget' (also "
                  "farm.budgets[0])"], id="duplicate name"),
    pytest.param(_with("comp"), [f"{B}: must be a mapping (got 'comp')"], id="not a mapping"),
    pytest.param(lambda data: data["farm"].update(budgets={"displayName": "b"}),
                 ["farm.budgets: must be a list (got a mapping)"], id="not a list"),
    pytest.param(lambda data: data["farm"].update(simulation={"budget_interval": 0}),
                 ["farm.simulation.budget_interval: must be > 0 (got 0)"], id="interval 0"),
    pytest.param(lambda data: data["farm"].update(simulation={"budget_interval": "often"}),
                 ["farm.simulation.budget_interval: must be a duration: seconds, or a string "
                  "like '90s', '15m', '4h', '7d' (got 'often')"], id="interval text"),
    pytest.param(lambda data: data["farm"]["limits"][0].update(simulation={"billing": "rent"}),
                 ["farm.limits[0].simulation.billing: must be one of owned, usage (got 'rent')"],
                 id="billing"),
]


@pytest.mark.parametrize(("edit", "problems"), RULES)
def test_budget_rules(data: dict[str, Any], edit: Edit, problems: list[str]) -> None:
    # GIVEN a valid scenario with one thing of its budgets (or billing) broken
    edit(data)
    # WHEN it is built  THEN exactly these problems are reported, each naming the field,
    # the rule and the value
    expect_problems(data, *problems)


def test_a_budget_is_read_with_its_actions_and_schedule(data: dict[str, Any]) -> None:
    # GIVEN a budget with a schedule given as a YAML timestamp (naive: UTC) and an ISO string
    # with a zone, and a second one without a schedule
    data["farm"]["budgets"] = [
        _budget(description="Q1", schedule=_schedule(dt.datetime(2026, 1, 5, 9, 0),  # noqa: DTZ001
                                                     "2026-01-06T09:00:00+01:00")),
        _budget(displayName="tracking only", approximateDollarLimit=0.01, actions=[]),
    ]
    data["farm"]["simulation"] = {"budget_interval": "5m"}

    # WHEN it is built
    farm = scenario_from_dict(data).farm

    # THEN the budgets are the scenario's, their times ISO strings with a zone
    assert farm.budgets == (
        BudgetConfig(display_name="comp budget", queue="comp", approximate_dollar_limit=100.0,
                     actions=(BudgetAction(type=COMPLETE, threshold_percentage=80.0),
                              BudgetAction(type=CANCEL, threshold_percentage=100.0,
                                           description="hard stop")),
                     start_time="2026-01-05T09:00:00+00:00",
                     end_time="2026-01-06T09:00:00+01:00", description="Q1"),
        BudgetConfig(display_name="tracking only", queue="comp",
                     approximate_dollar_limit=0.01),
    )
    assert farm.budget_interval == 300.0


def test_without_budgets_the_interval_is_the_default_and_licenses_are_owned(
        data: dict[str, Any]) -> None:
    farm = scenario_from_dict(data).farm
    assert farm.budgets == () and farm.budget_interval == DEFAULT_BUDGET_INTERVAL_S == 60.0
    assert farm.limits[0].billing == "owned"
    data["farm"]["limits"][0]["simulation"] = {"billing": "usage", "cost_per_hour": 2}
    assert scenario_from_dict(data).farm.limits[0].billing == "usage"


def test_budgets_are_overridden_by_displayname(data: dict[str, Any]) -> None:
    # GIVEN a scenario with a budget
    data["farm"]["budgets"] = [_budget()]
    scenario = scenario_from_dict(data)

    # WHEN its limit and an action's threshold are overridden by path
    changed = scenario.with_overrides({
        "farm.budgets.comp budget.approximateDollarLimit": 250,
        "farm.budgets.comp budget.actions.0.thresholdPercentage": 50,
        "farm.limits.nuke.simulation.billing": "usage",
    })

    # THEN the new scenario has them
    budget = changed.farm.budgets[0]
    assert budget.approximate_dollar_limit == 250.0
    assert budget.actions[0].threshold_percentage == 50.0
    assert changed.farm.limits[0].billing == "usage"
