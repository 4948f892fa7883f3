"""``farm.queues[].environments``: queue environments as CreateQueueEnvironment takes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from farmsim.scenario import scenario_from_dict
from tests.unit.scenario.scenario_testdata import base_data, expect_problems, problems_of

ROOT = Path(__file__).resolve().parents[3]


def env(name: str) -> dict[str, Any]:
    return {"specificationVersion": "environment-2023-09",
            "environment": {"name": name, "script": {"actions": {"onEnter": {"command": "x"}}}}}


def with_envs(*items: Any) -> dict[str, Any]:
    data = base_data()
    data["farm"]["queues"][0]["environments"] = list(items)
    return data


def test_environments_are_entered_by_priority_then_in_order() -> None:
    scenario = scenario_from_dict(with_envs(
        {"template": env("Late"), "priority": 50},
        {"template": env("First"), "priority": 0},
        {"template": env("Tie"), "priority": 50},
        {"template": "templates/conda_queue_env.yaml", "priority": 10},
    ), base_dir=ROOT / "scenarios")
    assert scenario.farm.queues[0].environments == ("First", "Conda", "Late", "Tie")


def test_queue_environment_rules() -> None:
    expect_problems(with_envs({"template": env("A"), "priority": 10001}),
                    "farm.queues[0].environments[0].priority: must be between 0 and 10000 "
                    "(got 10001)")
    expect_problems(with_envs({"template": env("A")}),
                    "farm.queues[0].environments[0]: missing required key 'priority'")
    expect_problems(with_envs({"template": env("A"), "priority": 1, "name": "x"}),
                    "farm.queues[0].environments[0]: unknown key 'name' (expected one of: "
                    "priority, template)")
    expect_problems(with_envs({"template": env("A"), "priority": 1},
                              {"template": env("A"), "priority": 2}),
                    "farm.queues[0].environments[1].template: environment 'A' is already the "
                    "queue's (from farm.queues[0].environments[0]); a queue's environment names "
                    "are unique")
    expect_problems(with_envs({"template": 3, "priority": 1}),
                    "farm.queues[0].environments[0].template: must be the path of an "
                    "environment template file, or an inline environment template mapping "
                    "(got 3)")


def test_a_missing_or_invalid_environment_template_is_named() -> None:
    (missing,) = problems_of(with_envs({"template": "nowhere/env.yaml", "priority": 1}))
    assert missing.startswith("farm.queues[0].environments[0].template: ")
    assert "nowhere/env.yaml" in missing
    (job_template,) = problems_of(with_envs({"template": {
        "specificationVersion": "jobtemplate-2023-09", "name": "J",
        "steps": [{"name": "S", "script": {"actions": {"onRun": {"command": "x"}}}}]},
        "priority": 1}))
    assert job_template.startswith("farm.queues[0].environments[0].template: ")
