"""Scenario files: YAML in, a validated and frozen :class:`Scenario` out.

    scenario = load_scenario("scenarios/license_whatif.yaml")   # ScenarioError lists every problem
    scenario = scenario.with_overrides({"farm.limits.nuke.maxCount": 10, "seed": 3})

The file format is the architecture document's section 4.2: Deadline Cloud API keys keep
their camelCase (``maxWorkerCount``), simulator knobs are snake_case under ``simulation:``,
durations are seconds or strings such as ``90s``, ``15m``, ``4h``, ``7d``.
"""

from __future__ import annotations

from farmsim.scenario.config import Scenario
from farmsim.scenario.distributions import parse_distribution
from farmsim.scenario.durations import parse_duration
from farmsim.scenario.loader import load_scenario, scenario_from_dict
from farmsim.scenario.overrides import apply_overrides

__all__ = [
    "Scenario",
    "apply_overrides",
    "load_scenario",
    "parse_distribution",
    "parse_duration",
    "scenario_from_dict",
]
