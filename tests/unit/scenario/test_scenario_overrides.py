"""Scenario.with_overrides: dotted paths by displayName or index, validated again."""

from __future__ import annotations

import re
from typing import Any

import pytest

from farmsim.errors import ScenarioError
from farmsim.scenario import Scenario, apply_overrides, scenario_from_dict


@pytest.fixture
def scenario(data: dict[str, Any]) -> Scenario:
    data["farm"]["fleets"].append(
        {
            "displayName": "linux.big",
            "maxWorkerCount": 8,
            "configuration": {"customerManaged": {"mode": "NO_SCALING"}},
            "simulation": {"workers": 8},
        }
    )
    return scenario_from_dict(data, source="tiny.yaml")


def test_by_display_name(scenario: Scenario) -> None:
    # GIVEN a scenario WHEN a limit and a fleet are changed by displayName
    changed = scenario.with_overrides(
        {
            "farm.limits.nuke.maxCount": 10,
            "farm.fleets.spot.maxWorkerCount": 7,
            "farm.fleets.spot.minWorkerCount": 7,
            "farm.fleets.linux.simulation.cost_per_hour": 0.5,
        }
    )
    # THEN the new scenario has the new values and the old one is unchanged
    assert changed.farm.limits[0].max_count == 10
    assert changed.farm.fleets[1].worker_count == 7
    assert changed.farm.fleets[0].cost_per_hour == 0.5
    assert scenario.farm.limits[0].max_count == 5
    assert scenario.raw is not None and scenario.raw["farm"]["limits"][0]["maxCount"] == 5
    assert changed.source == "tiny.yaml"


def test_by_index_and_top_level(scenario: Scenario) -> None:
    # GIVEN a scenario WHEN a job field left out of the file, the seed and horizon are set
    changed = scenario.with_overrides({"workload.jobs.0.priority": 90, "seed": 3, "horizon": "2h"})
    # THEN they take effect
    assert changed.jobs[0].priority == 90
    assert (changed.seed, changed.horizon) == (3, 7200.0)


def test_display_name_with_dots(scenario: Scenario) -> None:
    # GIVEN a fleet named 'linux.big' WHEN addressed by its dotted name THEN it is found
    changed = scenario.with_overrides({"farm.fleets.linux.big.simulation.workers": 5})
    assert changed.farm.fleets[2].worker_count == 5


def test_creates_missing_known_sections(scenario: Scenario) -> None:
    # GIVEN a limit without a simulation section WHEN its cost is set THEN the section is made
    changed = scenario.with_overrides({"farm.limits.0.simulation.cost_per_hour": 1.25})
    assert changed.farm.limits[0].cost_per_hour == 1.25


def test_changed_scenario_is_validated(scenario: Scenario) -> None:
    # GIVEN an override that breaks a rule
    # WHEN applied THEN the usual problem is raised
    with pytest.raises(
        ScenarioError, match=re.escape("farm.limits[0].maxCount: must be -1 or >= 1 (got 0)")
    ) as info:
        scenario.with_overrides({"farm.limits.nuke.maxCount": 0})
    assert info.value.source == "tiny.yaml"


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        pytest.param(
            "farm.limits.nkue.maxCount",
            "override 'farm.limits.nkue.maxCount': no limit 'nkue' in farm.limits "
            "(available: 'nuke'; or an index 0..0)",
            id="unknown limit",
        ),
        pytest.param(
            "farm.fleets.gpu.maxWorkerCount",
            "override 'farm.fleets.gpu.maxWorkerCount': no fleet 'gpu' in farm.fleets "
            "(available: 'linux', 'spot', 'linux.big'; or an index 0..2)",
            id="unknown fleet",
        ),
        pytest.param(
            "workload.jobs.4.priority",
            "override 'workload.jobs.4.priority': no job '4' in workload.jobs "
            "(available: an index 0..0)",
            id="index out of range",
        ),
        pytest.param(
            "farm.limits.nuke.maxCont",
            "override 'farm.limits.nuke.maxCont': no key 'maxCont' in farm.limits[0] "
            "(available: amountRequirementName, description, displayName, maxCount, simulation)",
            id="unknown field",
        ),
        pytest.param(
            "sed",
            "override 'sed': no key 'sed' in the top level "
            "(available: events, farm, horizon, name, runtimes, seed, start, variants, workload)",
            id="unknown top-level key",
        ),
        pytest.param(
            "seed.value",
            "override 'seed.value': seed is 1, not a mapping or a list",
            id="into a scalar",
        ),
        pytest.param(
            "farm..queues", "overrides: not a dotted path: 'farm..queues'", id="empty part"
        ),
    ],
)
def test_unknown_paths(scenario: Scenario, path: str, problem: str) -> None:
    # GIVEN a path that names nothing
    # WHEN applied THEN the error names the path and what is there
    with pytest.raises(ScenarioError, match=re.escape(problem)) as info:
        scenario.with_overrides({path: 1})
    assert info.value.problems == [problem]


def test_all_unknown_paths_reported_together(scenario: Scenario) -> None:
    # GIVEN two bad paths and a good one WHEN applied THEN both bad ones are reported
    with pytest.raises(ScenarioError) as info:
        scenario.with_overrides({"seed": 2, "farm.x": 1, "runtimes.3.duration": 1})
    assert len(info.value.problems) == 2


def test_missing_list_cannot_be_addressed(data: dict[str, Any]) -> None:
    # GIVEN a scenario without limits
    del data["farm"]["limits"]
    data["farm"]["queues"][0]["limits"] = []
    scenario = scenario_from_dict(data)
    # WHEN a limit is addressed THEN the error says there are none
    with pytest.raises(ScenarioError, match=re.escape("farm.limits has no items to address")):
        scenario.with_overrides({"farm.limits.nuke.maxCount": 3})


def test_needs_raw() -> None:
    # GIVEN a Scenario built directly in Python (no raw mapping)
    # WHEN overridden THEN the error explains why it cannot be
    with pytest.raises(
        ScenarioError, match="with_overrides needs a scenario made by load_scenario"
    ):
        apply_overrides(Scenario(), {"seed": 1})
