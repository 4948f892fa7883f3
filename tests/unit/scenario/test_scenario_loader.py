"""load_scenario / scenario_from_dict: the file as a whole, and its top-level keys."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from scenario_testdata import expect_problems, problems_of

from farmsim.errors import ScenarioError
from farmsim.model.config import FleetConfig, LimitConfig, QueueConfig, SchedulingConfig
from farmsim.model.distributions import Fixed, LogNormal
from farmsim.model.enums import AutoScalingMode, CreateJobTargetTaskRunStatus
from farmsim.model.runtimes import RuleMatch
from farmsim.scenario import Scenario, load_scenario, scenario_from_dict

SCENARIO_YAML = """\
name: comp-license-whatif
seed: 7
start: 2026-01-05T09:00:00Z
horizon: 7d
farm:
  displayName: studio
  description: the comp floor
  queues:
  - displayName: comp
    schedulingConfiguration: {priorityFifo: {}}
    fleets: [linux, spot]
    limits: [nuke]
  - displayName: lighting
    fleets: [spot]
  fleets:
  - displayName: linux
    minWorkerCount: 1
    maxWorkerCount: 10
    configuration:
      customerManaged:
        mode: NO_SCALING
        workerCapabilities:
          vCpuCount: {min: 8}
          memoryMiB: {min: 16384}
          osFamily: LINUX
          cpuArchitectureType: x86_64
    simulation: {workers: 6, cost_per_hour: 0.25}
  - displayName: spot
    minWorkerCount: 20
    maxWorkerCount: 20
    configuration:
      serviceManagedEc2:
        instanceCapabilities:
          vCpuCount: {min: 16}
          memoryMiB: {min: 65536}
          osFamily: LINUX
          cpuArchitectureType: x86_64
        instanceMarketOptions: {type: spot}
    simulation: {cost_per_hour: 0.68}
  limits:
  - displayName: nuke
    amountRequirementName: amount.license.nuke
    maxCount: 20
    simulation: {cost_per_hour: 0.40}
  simulation: {worker_poll_interval: 5s}
workload:
  jobs:
  - at: 1h
    queue: lighting
    template:
      specificationVersion: jobtemplate-2023-09
      name: J
      steps: [{name: S, script: {actions: {onRun: {command: echo}}}}]
  - at: 0
    queue: comp
    template: templates/comp.yaml
    parameters: {Frames: "1-240"}
    priority: 70
    maxWorkerCount: 20
    maxRetriesPerTask: 2
    maxFailedTasksCount: 0
    targetTaskRunStatus: SUSPENDED
runtimes:
- match: {step: "Comp*"}
  duration: {dist: lognormal, median: 6m, p95: 20m}
  per_frame: true
  failure_probability: 0.02
- match: {action: envEnter, environment: "Nuke*"}
  duration: {dist: fixed, value: 45s}
"""

COMP_TEMPLATE = """\
specificationVersion: jobtemplate-2023-09
name: Comp
parameterDefinitions:
- {name: Frames, type: STRING, default: "1-10"}
steps:
- name: Comp
  parameterSpace:
    taskParameterDefinitions:
    - {name: Frame, type: INT, range: "{{Param.Frames}}"}
  hostRequirements:
    amounts:
    - {name: amount.license.nuke, min: 1}
  script:
    actions:
      onRun: {command: echo}
"""


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "comp.yaml").write_text(COMP_TEMPLATE, encoding="utf-8")
    path = tmp_path / "whatif.yaml"
    path.write_text(SCENARIO_YAML, encoding="utf-8")
    return path


def test_full_scenario_round_trip(scenario_file: Path) -> None:
    # GIVEN a scenario file using every supported section, with a template next to it
    # WHEN it is loaded
    scenario = load_scenario(scenario_file)
    # THEN every value lands in the frozen records, with defaults filled in
    assert (scenario.name, scenario.seed, scenario.horizon) == ("comp-license-whatif", 7, 604800.0)
    assert scenario.start == "2026-01-05T09:00:00+00:00"
    assert scenario.source == str(scenario_file)
    assert scenario.base_dir == str(scenario_file.parent.resolve())
    farm = scenario.farm
    assert farm.display_name == "studio"
    assert farm.worker_poll_interval == 5.0
    assert farm.queues == (
        QueueConfig(
            display_name="comp",
            scheduling=SchedulingConfig(policy="priorityFifo", parameters={}),
            fleets=("linux", "spot"),
            limits=("nuke",),
        ),
        QueueConfig(display_name="lighting", fleets=("spot",)),
    )
    linux, spot = farm.fleets
    assert linux == FleetConfig(
        display_name="linux",
        kind="customerManaged",
        min_worker_count=1,
        max_worker_count=10,
        worker_count=6,
        mode=AutoScalingMode.NO_SCALING,
        configuration={
            "mode": "NO_SCALING",
            "workerCapabilities": {
                "vCpuCount": {"min": 8},
                "memoryMiB": {"min": 16384},
                "osFamily": "LINUX",
                "cpuArchitectureType": "x86_64",
            },
        },
        cost_per_hour=0.25,
    )
    assert (spot.kind, spot.worker_count, spot.cost_per_hour) == ("serviceManagedEc2", 20, 0.68)
    assert spot.configuration["instanceMarketOptions"] == {"type": "spot"}
    assert farm.limits == (
        LimitConfig(
            display_name="nuke",
            amount_requirement_name="amount.license.nuke",
            max_count=20,
            cost_per_hour=0.40,
        ),
    )
    # jobs come in submission order (by `at`), the template path resolved against the file
    comp, lighting = scenario.jobs
    assert (comp.at, comp.queue, lighting.at, lighting.queue) == (0.0, "comp", 3600.0, "lighting")
    assert comp.template == str(scenario_file.parent.resolve() / "templates" / "comp.yaml")
    assert comp.parameters == {"Frames": "1-240"}
    assert comp.structure.name == "Comp"
    assert comp.structure.steps[0].task_count == 240
    assert (comp.priority, comp.max_worker_count, comp.max_retries_per_task) == (70, 20, 2)
    assert comp.max_failed_tasks_count == 0
    assert comp.target_task_run_status is CreateJobTargetTaskRunStatus.SUSPENDED
    assert (lighting.template, lighting.priority, lighting.max_worker_count) == ("", 50, -1)
    assert (lighting.max_retries_per_task, lighting.max_failed_tasks_count) == (5, 20)
    assert lighting.target_task_run_status is CreateJobTargetTaskRunStatus.READY
    comp_rule, env_rule = scenario.runtimes.rules
    assert comp_rule.match == RuleMatch(step="Comp*")
    assert comp_rule.duration == LogNormal.from_median_p95(360.0, 1200.0)
    assert (comp_rule.per_frame, comp_rule.failure_probability) == (True, 0.02)
    assert env_rule.match == RuleMatch(action="envEnter", environment="Nuke*")
    assert (env_rule.duration, env_rule.per_frame, env_rule.failure_probability) == (
        Fixed(45.0),
        False,
        0.0,
    )


def test_scenario_is_frozen_and_keeps_raw(scenario_file: Path) -> None:
    # GIVEN a loaded scenario
    scenario = load_scenario(scenario_file)
    # WHEN someone tries to change it THEN they cannot
    with pytest.raises(dataclasses.FrozenInstanceError):
        scenario.seed = 3  # type: ignore[misc]
    # AND the mapping it came from is kept, as written
    assert scenario.raw is not None
    assert scenario.raw["farm"]["limits"][0]["maxCount"] == 20
    assert scenario.raw["horizon"] == "7d"


def test_defaults(data: dict[str, Any]) -> None:
    # GIVEN only the required keys
    minimal = {"farm": {"queues": [{"displayName": "q"}]}}
    # WHEN built
    scenario = scenario_from_dict(minimal)
    # THEN the defaults fill the rest
    assert scenario == Scenario(
        name="scenario", seed=0, farm=scenario.farm, jobs=(), runtimes=scenario.runtimes,
        notes=("queue 'q' has no fleets: its jobs never run",
               "no jobs and no arrival streams: the run only starts the workers, which stay idle"),
    )
    assert scenario.farm.display_name == "farm"
    assert scenario.farm.worker_poll_interval == 15.0
    assert scenario.farm.fleets == scenario.farm.limits == ()
    assert scenario.farm.queues == (QueueConfig(display_name="q"),)
    assert scenario.runtimes.rules == ()
    assert (scenario.start, scenario.horizon, scenario.source) == (None, None, None)


def test_name_defaults_to_file_stem(tmp_path: Path) -> None:
    # GIVEN a file without a name
    path = tmp_path / "night-shift.yaml"
    path.write_text("farm: {queues: [{displayName: q}]}\n", encoding="utf-8")
    # WHEN loaded THEN the scenario is named after the file
    assert load_scenario(path).name == "night-shift"


def test_yaml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    # GIVEN a file with a YAML syntax error on line 3
    path = tmp_path / "bad.yaml"
    path.write_text("farm:\n  queues:\n    - displayName: [q\n", encoding="utf-8")
    # WHEN loaded
    with pytest.raises(ScenarioError, match=r"line 4, column 1: not valid YAML") as info:
        load_scenario(path)
    # THEN the one problem names the file, line and column
    assert info.value.source == str(path)
    # (libyaml's wording, and PyYAML's own when it is built without libyaml)
    assert info.value.problems in (
        [f"{path}, line 4, column 1: not valid YAML: did not find expected ',' or ']' "
         "(while parsing a flow sequence)"],
        [f"{path}, line 4, column 1: not valid YAML: expected ',' or ']', but got "
         "'<stream end>' (while parsing a flow sequence)"],
    )


def test_yaml_mapping_error_line(tmp_path: Path) -> None:
    # GIVEN a bad indentation on line 2
    path = tmp_path / "bad.yaml"
    path.write_text("name: a\n  seed: 1\n", encoding="utf-8")
    # WHEN loaded THEN the problem points at line 2
    with pytest.raises(ScenarioError, match=re.escape(f"{path}, line 2, column 7: not valid YAML")):
        load_scenario(path)


def test_missing_file(tmp_path: Path) -> None:
    # GIVEN a path with no file
    path = tmp_path / "nope.yaml"
    # WHEN loaded THEN the error names it
    with pytest.raises(ScenarioError, match=re.escape(f"{path}: file not found")) as info:
        load_scenario(path)
    assert str(info.value) == f"1 problem in scenario {path}:\n  {path}: file not found"


def test_folder_instead_of_file(tmp_path: Path) -> None:
    # GIVEN a folder
    # WHEN loaded THEN a ScenarioError says it cannot be read
    with pytest.raises(ScenarioError, match=re.escape(f"{tmp_path}: cannot read the file")):
        load_scenario(tmp_path)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("", "(top level): the scenario is empty", id="empty"),
        pytest.param("- a\n- b\n", "(top level): must be a mapping (got a list)", id="list"),
        pytest.param("name: x\n", "(top level): missing required key 'farm'", id="no farm"),
    ],
)
def test_file_shape(tmp_path: Path, text: str, problem: str) -> None:
    # GIVEN a file that is not a scenario mapping
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    # WHEN loaded THEN that is the problem
    with pytest.raises(ScenarioError, match=re.escape(problem)) as info:
        load_scenario(path)
    assert info.value.problems == [problem]


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        pytest.param("name", 3, "name: must be a string (got 3)", id="name type"),
        pytest.param("name", " ", "name: must not be empty", id="name empty"),
        pytest.param("seed", -1, "seed: must be >= 0 (got -1)", id="seed negative"),
        pytest.param("seed", True, "seed: must be an integer (got True)", id="seed bool"),
        pytest.param("seed", 1.5, "seed: must be an integer (got 1.5)", id="seed float"),
        pytest.param("horizon", 0, "horizon: must be > 0 (got 0)", id="horizon zero"),
        pytest.param(
            "horizon",
            "a week",
            "horizon: must be a duration: seconds, or a string like '90s', '15m', '4h', '7d' "
            "(got 'a week')",
            id="horizon text",
        ),
        pytest.param(
            "start",
            "monday",
            "start: must be an ISO-8601 date and time like 2026-01-05T09:00:00Z (got 'monday')",
            id="start text",
        ),
        pytest.param(
            "runtimes", {"a": 1}, "runtimes: must be a list of rules (got a mapping)", id="runtimes"
        ),
        pytest.param(
            "seeds",
            1,
            "(top level): unknown key 'seeds' (expected one of: events, farm, horizon, name, "
            "runtimes, seed, start, variants, workload)",
            id="unknown key",
        ),
    ],
)
def test_top_level_rules(data: dict[str, Any], key: str, value: Any, problem: str) -> None:
    # GIVEN a valid scenario with one bad top-level value
    data[key] = value
    # WHEN built THEN that is the one problem
    expect_problems(data, problem)


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        pytest.param("2026-01-05T09:00:00Z", "2026-01-05T09:00:00+00:00", id="string Z"),
        pytest.param("2026-01-05 09:00", "2026-01-05T09:00:00", id="string naive"),
        pytest.param("2026-01-05", "2026-01-05T00:00:00", id="date string"),
    ],
)
def test_start_strings(data: dict[str, Any], value: str, iso: str) -> None:
    # GIVEN start as an ISO string WHEN built THEN it is stored normalised
    data["start"] = value
    assert scenario_from_dict(data).start == iso


def test_start_yaml_timestamps(tmp_path: Path) -> None:
    # GIVEN start as YAML timestamps (datetime and date objects)
    for text, iso in [
        ("2026-01-05T09:00:00+02:00", "2026-01-05T09:00:00+02:00"),
        ("2026-01-05", "2026-01-05T00:00:00"),
    ]:
        path = tmp_path / "s.yaml"
        path.write_text(
            f"start: {text}\nfarm: {{queues: [{{displayName: q}}]}}\n", encoding="utf-8"
        )
        # WHEN loaded THEN start is the ISO string
        assert load_scenario(path).start == iso


def test_many_problems_reported_together(data: dict[str, Any]) -> None:
    # GIVEN a scenario with six problems in different sections
    data["seed"] = -4
    data["farm"]["limits"][0]["maxCount"] = 0
    data["farm"]["queues"][0]["fleets"] = ["linux", "gpu"]
    data["farm"]["fleets"][0]["maxWorkerCount"] = 1
    data["workload"]["jobs"][0]["prority"] = 3
    data["runtimes"][0]["failure_probability"] = 2
    # WHEN built
    problems = problems_of(data)
    # THEN all six are reported at once, each with its location
    assert problems == [
        "seed: must be >= 0 (got -4)",
        "farm.fleets[0].simulation.workers: must be between minWorkerCount and maxWorkerCount "
        "(got workers=2, minWorkerCount=0, maxWorkerCount=1)",
        "farm.limits[0].maxCount: must be -1 or >= 1 (got 0)",
        "farm.queues[0].fleets[1]: unknown fleet 'gpu' (defined: 'linux', 'spot')",
        "workload.jobs[0]: unknown key 'prority' (expected one of: at, maxFailedTasksCount, "
        "maxRetriesPerTask, maxWorkerCount, parameters, priority, queue, targetTaskRunStatus, "
        "template)",
        "runtimes[0].failure_probability: must be between 0 and 1 (got 2)",
    ]


def test_error_message_lists_every_problem(data: dict[str, Any]) -> None:
    # GIVEN two problems
    data["seed"] = "x"
    data["horizon"] = -1
    # WHEN built THEN str() holds a header and one indented line per problem
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, source="s.yaml")
    assert str(info.value) == (
        "2 problems in scenario s.yaml:\n"
        "  seed: must be an integer (got 'x')\n"
        "  horizon: must be > 0 (got -1)"
    )


def test_python_input_may_use_tuples_and_read_only_mappings(data: dict[str, Any]) -> None:
    # GIVEN a Python caller using tuples for lists and a mappingproxy
    from types import MappingProxyType

    data["farm"]["queues"] = (MappingProxyType({"displayName": "q", "fleets": ("linux",)}),)
    data["workload"]["jobs"][0]["queue"] = "q"
    # WHEN built THEN it is accepted like lists and dicts
    scenario = scenario_from_dict(data)
    assert scenario.farm.queues[0].fleets == ("linux",)
    assert scenario.raw is not None and isinstance(scenario.raw["farm"]["queues"], list)


def test_yaml_anchors_are_shared_but_self_reference_is_a_problem(tmp_path: Path) -> None:
    # GIVEN one template shared by two jobs through an anchor, and a mapping that contains itself
    path = tmp_path / "s.yaml"
    path.write_text(
        "farm: {queues: [{displayName: q}]}\n"
        "workload:\n"
        "  jobs:\n"
        "  - {queue: q, template: &t {specificationVersion: jobtemplate-2023-09, name: J,\n"
        "     steps: [{name: S, script: {actions: {onRun: {command: echo}}}}]}}\n"
        "  - {queue: q, template: *t}\n",
        encoding="utf-8",
    )
    # WHEN loaded THEN the shared template is fine
    assert len(load_scenario(path).jobs) == 2
    # AND a mapping holding an alias of itself is one problem, not a crash
    path.write_text("farm: &f {queues: [{displayName: q}], me: *f}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems == ["farm.me: contains itself (a YAML alias inside its own anchor)"]


def test_absurd_nesting_is_a_problem(tmp_path: Path) -> None:
    # GIVEN a file nested thousands of levels deep
    path = tmp_path / "deep.yaml"
    path.write_text("farm: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    # WHEN loaded THEN a ScenarioError says so (libyaml stops at its depth limit)
    with pytest.raises(ScenarioError, match=r"nested too deeply|exceeded maximum nesting depth"):
        load_scenario(path)


def test_giant_integers(tmp_path: Path, data: dict[str, Any]) -> None:
    # GIVEN a 5000-digit integer, which Python will not turn into a string
    path = tmp_path / "big.yaml"
    path.write_text("seed: " + "9" * 5000 + "\nfarm: {queues: [{displayName: q}]}\n", "utf-8")
    # WHEN loaded from YAML THEN it is a ScenarioError, not a ValueError from PyYAML
    with pytest.raises(ScenarioError, match="not valid YAML: Exceeds the limit"):
        load_scenario(path)
    # AND from Python the value is described rather than printed
    data["workload"]["jobs"][0]["priority"] = 10**5000
    expect_problems(
        data,
        "workload.jobs[0].priority: must be between 0 and 100 "
        "(got an integer of about 5000 digits)",
    )
