"""The runtimes section: rules of durations and failure probabilities."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scenario_testdata import expect_problems

from farmsim.model.distributions import Empirical, Exponential, Fixed
from farmsim.model.runtimes import DEFAULT_ACTION_RULE, RuleMatch
from farmsim.scenario import scenario_from_dict


def test_rules_in_order_first_match_wins(data: dict[str, Any]) -> None:
    # GIVEN a specific rule before a catch-all one (which leaves `match` out)
    data["runtimes"] = [
        {
            "match": {"queue": "comp", "step": "Comp*", "action": "task*"},
            "duration": {"dist": "exponential", "mean": "10m"},
        },
        {"duration": 30},
    ]
    # WHEN built
    model = scenario_from_dict(data).runtimes
    # THEN rule_for picks the first that matches, and the catch-all otherwise
    specific, fallback = model.rules
    assert specific.match == RuleMatch(queue="comp", step="Comp*", action="task*")
    assert specific.duration == Exponential(600.0)
    assert fallback.match == RuleMatch()
    assert model.rule_for(queue="comp", job="J", step="Comp A") is specific
    assert model.rule_for(queue="comp", job="J", step="Light") is fallback
    # A rule without match.action times task runs only: an envEnter no rule names is free.
    assert model.rule_for(queue="comp", job="J", step="Comp A",
                          action="envEnter") is DEFAULT_ACTION_RULE
    assert (fallback.duration, fallback.per_frame, fallback.failure_probability) == (
        Fixed(30.0),
        False,
        0.0,
    )


def test_empirical_csv_relative_to_base_dir(data: dict[str, Any], tmp_path: Path) -> None:
    # GIVEN a rule reading its durations from a CSV next to the scenario
    (tmp_path / "render_times.csv").write_text("duration\n1m\n2m\n", encoding="utf-8")
    data["runtimes"] = [
        {
            "match": {},
            "duration": {"dist": "empirical", "csv": "render_times.csv", "column": "duration"},
        }
    ]
    # WHEN built with that base folder THEN the samples are read
    rule = scenario_from_dict(data, base_dir=tmp_path).runtimes.rules[0]
    assert rule.duration == Empirical((60.0, 120.0))


@pytest.mark.parametrize(
    ("rule", "problems"),
    [
        pytest.param(
            "fast",
            ["runtimes[0]: must be a mapping (got 'fast')"],
            id="not a mapping",
        ),
        pytest.param(
            {"match": {}}, ["runtimes[0]: missing required key 'duration'"], id="no duration"
        ),
        pytest.param(
            {"duration": 1, "retries": 2},
            [
                "runtimes[0]: unknown key 'retries' (expected one of: duration, "
                "failure_probability, "
                "match, per_frame)"
            ],
            id="unknown key",
        ),
        pytest.param(
            {"match": {"stage": "x"}, "duration": 1},
            [
                "runtimes[0].match: unknown key 'stage' (expected one of: action, environment, "
                "job, "
                "queue, step)"
            ],
            id="unknown match key",
        ),
        pytest.param(
            {"match": [], "duration": 1},
            ["runtimes[0].match: must be a mapping (got a list)"],
            id="match type",
        ),
        pytest.param(
            {"match": {"step": 3}, "duration": 1},
            ["runtimes[0].match.step: must be a string (got 3)"],
            id="match glob type",
        ),
        pytest.param(
            {"match": {"action": "render"}, "duration": 1},
            [
                "runtimes[0].match.action: must be one of taskRun, envEnter, envExit, "
                "syncInputJobAttachments, or a glob matching one (got 'render')"
            ],
            id="unknown action",
        ),
        pytest.param(
            {"duration": {"dist": "lognormal", "median": "4m", "p95": "1m"}},
            ["runtimes[0].duration.p95: must be >= median (got p95='1m', median='4m')"],
            id="bad distribution",
        ),
        pytest.param(
            {"duration": 1, "per_frame": "yes"},
            ["runtimes[0].per_frame: must be true or false (got 'yes')"],
            id="per_frame",
        ),
        pytest.param(
            {"duration": 1, "failure_probability": 1.5},
            ["runtimes[0].failure_probability: must be between 0 and 1 (got 1.5)"],
            id="probability > 1",
        ),
        pytest.param(
            {"duration": 1, "failure_probability": -0.1},
            ["runtimes[0].failure_probability: must be between 0 and 1 (got -0.1)"],
            id="probability < 0",
        ),
    ],
)
def test_rule_problems(data: dict[str, Any], rule: Any, problems: list[str]) -> None:
    # GIVEN a bad rule WHEN built THEN exactly these problems are reported
    data["runtimes"] = [rule]
    expect_problems(data, *problems)


def test_action_globs(data: dict[str, Any]) -> None:
    # GIVEN an action glob that matches envEnter and envExit
    data["runtimes"] = [{"match": {"action": "env*"}, "duration": 5}]
    # WHEN built THEN it is accepted and matches both
    model = scenario_from_dict(data).runtimes
    rule = model.rules[0]
    assert model.rule_for(queue="q", job="j", step="s", action="envExit") is rule
    assert model.rule_for(queue="q", job="j", step="s", action="taskRun") is model.default
