"""Data and checkers shared by the scenario loader tests (imported by the test modules)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from farmsim.errors import ScenarioError
from farmsim.scenario import scenario_from_dict

#: The smallest useful OpenJD job template: one step, one task.
TEMPLATE: dict[str, Any] = {
    "specificationVersion": "jobtemplate-2023-09",
    "name": "J",
    "steps": [{"name": "S", "script": {"actions": {"onRun": {"command": "echo"}}}}],
}

_BASE: dict[str, Any] = {
    "name": "tiny",
    "seed": 1,
    "farm": {
        "displayName": "studio",
        "queues": [
            {"displayName": "comp", "fleets": ["linux", "spot"], "limits": ["nuke"]},
        ],
        "fleets": [
            {
                "displayName": "linux",
                "maxWorkerCount": 4,
                "configuration": {"customerManaged": {"mode": "NO_SCALING"}},
                "simulation": {"workers": 2},
            },
            {
                "displayName": "spot",
                "minWorkerCount": 3,
                "maxWorkerCount": 3,
                "configuration": {
                    "serviceManagedEc2": {
                        "instanceCapabilities": {"vCpuCount": {"min": 4}},
                        "instanceMarketOptions": {"type": "spot"},
                    }
                },
            },
        ],
        "limits": [
            {"displayName": "nuke", "amountRequirementName": "amount.license.nuke", "maxCount": 5},
        ],
    },
    "workload": {"jobs": [{"queue": "comp", "template": TEMPLATE}]},
    "runtimes": [{"match": {}, "duration": "1m"}],
}


def base_data() -> dict[str, Any]:
    """A fresh copy of a small valid scenario mapping (one queue, two fleets, one limit, a job)."""
    return copy.deepcopy(_BASE)


def problems_of(data: Any) -> list[str]:
    """The problems ``scenario_from_dict(data)`` raises (fails the test if it does not raise)."""
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    return info.value.problems


def expect_problems(data: Any, *messages: str) -> None:
    """``scenario_from_dict(data)`` raises exactly these problems, in this order."""
    with pytest.raises(ScenarioError, match=re.escape(messages[0])) as info:
        scenario_from_dict(data)
    assert info.value.problems == list(messages)
