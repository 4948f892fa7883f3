"""job_templates and job_parameters: every drawn template is a real OpenJD job template that
farmsim's loader and openjd-model expand, into the task counts the strategy meant (the product
of each step's factors, the sum over its steps), with the parameter values drawn; and the
bounds hold."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from farmsim.templates import expand_job, load_template
from farmsim.testing.strategies import job_parameters, job_templates

_FIND = settings(database=None, max_examples=400, derandomize=True, phases=(Phase.generate,),
                 suppress_health_check=list(HealthCheck))
_SHRINK = settings(database=None, max_examples=50, derandomize=True,
                   phases=(Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck))

LIMITS = {"amount.license.nuke": 2, "amount.license.houdini": 1}
_PARAM = re.compile(r"\{\{\s*Param\.(\w+)\s*\}\}")
_TYPED = {"INT": int, "FLOAT": float, "STRING": str}


def _values(template: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Every job parameter's value: those given over the template's defaults, typed."""
    out = {d["name"]: _TYPED[d["type"]](d["default"])
           for d in template.get("parameterDefinitions", ())}
    out.update(given)
    return out


def _count_range(expression: str) -> int:
    """Values of an INT range expression ``a``, ``a-b``, ``a-b:s``, comma-separated."""
    total = 0
    for piece in expression.split(","):
        found = re.fullmatch(r"(\d+)-(\d+)(?::(\d+))?", piece.strip())
        if found is None:
            int(piece)  # a single value
            total += 1
            continue
        low, high, step = int(found[1]), int(found[2]), int(found[3] or 1)
        assert low <= high and (high - low) % step == 0, piece  # ("1-1": one value)
        total += (high - low) // step + 1
    return total


def _length(definition: dict[str, Any], values: dict[str, Any]) -> int:
    values_range = definition["range"]
    if isinstance(values_range, list):
        return len(values_range)
    return _count_range(_PARAM.sub(lambda m: str(values[m[1]]), values_range))


def _intended_tasks(step: dict[str, Any], values: dict[str, Any]) -> int:
    """The tasks the strategy meant a step to have: the product of its factors' lengths, an
    associative group's members all of one length counted once."""
    space = step.get("parameterSpace")
    if space is None:
        return 1
    lengths = {d["name"]: _length(d, values) for d in space["taskParameterDefinitions"]}
    combination = space.get("combination")
    if combination is None:
        return math.prod(lengths.values())
    total = 1
    named = []
    for factor in combination.split(" * "):
        members = factor.strip("()").split(", ")
        named += members
        assert len({lengths[m] for m in members}) == 1, (factor, lengths)
        total *= lengths[members[0]]
    assert sorted(named) == sorted(lengths)  # each task parameter once
    return total


@settings(max_examples=150)
@given(job_templates(max_steps=4, max_task_parameters=3, max_values=5, max_job_parameters=4,
                     limit_names=LIMITS, environments=True)
       .flatmap(lambda t: st.tuples(st.just(t), job_parameters(t))))
def test_every_template_expands_into_the_tasks_it_means(case: tuple[dict, dict]) -> None:
    # GIVEN a drawn template and drawn values for its parameters
    template, given_values = case
    # WHEN farmsim loads and expands it (openjd-model validates and creates the job)
    job = expand_job(load_template(template), given_values)
    # THEN each step has the tasks the strategy meant, the job their sum, and the job's
    # resolved parameters are the values given over the defaults, typed
    values = _values(template, given_values)
    steps = template["steps"]
    assert [s.name for s in job.steps] == [s["name"] for s in steps]
    assert [s.task_count for s in job.steps] == [_intended_tasks(s, values) for s in steps]
    assert job.task_count == sum(_intended_tasks(s, values) for s in steps)
    assert job.parameters == values
    assert all(type(job.parameters[k]) is type(v) for k, v in values.items())


@settings(max_examples=100)
@given(job_templates(name="shot", max_steps=3, max_task_parameters=2, max_values=3,
                     max_job_parameters=2, limit_names=LIMITS, environments=True))
def test_templates_keep_their_bounds(template: dict[str, Any]) -> None:
    # GIVEN / WHEN a drawn template  THEN its name, steps, task parameters, values per
    # parameter, dependencies, host requirements and environments keep the bounds asked for
    assert template["specificationVersion"] == "jobtemplate-2023-09"
    assert template["name"] == "shot"
    assert len(template.get("parameterDefinitions", ())) <= 2
    for definition in template.get("parameterDefinitions", ()):
        assert "default" in definition
        if definition["type"] == "INT":
            assert 1 <= definition["default"] <= 3
    steps = template["steps"]
    assert 1 <= len(steps) <= 3
    assert len(template.get("jobEnvironments", ())) <= 2
    for i, step in enumerate(steps):
        assert step["name"] == f"step{i}"
        definitions = step.get("parameterSpace", {}).get("taskParameterDefinitions", [])
        assert len(definitions) <= 2
        for definition in definitions:
            if isinstance(definition["range"], list):
                assert 1 <= len(definition["range"]) <= 3
                assert len(set(map(str, definition["range"]))) == len(definition["range"])
        depends = [int(d["dependsOn"].removeprefix("step")) for d in step.get("dependencies",
                                                                              ())]
        assert all(0 <= d < i for d in depends)
        requirements = step.get("hostRequirements", {})
        for amount in requirements.get("amounts", ()):
            if amount["name"] in LIMITS:
                assert 1 <= amount["min"] <= LIMITS[amount["name"]]
            else:
                assert amount["name"] in ("amount.worker.vcpu", "amount.worker.gpu")
        for attribute in requirements.get("attributes", ()):
            assert attribute["name"] in ("attr.worker.os.family", "attr.worker.cpu.arch")
        assert len(step.get("stepEnvironments", ())) <= 2


def test_templates_shrink_to_one_step_of_one_task() -> None:
    smallest = find(job_templates(), lambda t: True, settings=_SHRINK)
    assert smallest == {"specificationVersion": "jobtemplate-2023-09", "name": "job",
                        "steps": [{"name": "step0",
                                   "script": {"actions": {"onRun": {"command": "render"}}}}]}
    assert expand_job(smallest).task_count == 1


def test_templates_reach_the_cases_they_promise() -> None:
    # GIVEN the default template strategy  WHEN searching it  THEN it draws associative
    # groups, ranges a job parameter sets (an INT count, a STRING of range expressions), every
    # task parameter type, dependencies, and host requirements of every kind
    def spaces(t: dict) -> list[dict]:
        return [s["parameterSpace"] for s in t["steps"] if "parameterSpace" in s]

    find(job_templates(), lambda t: any("(" in s.get("combination", "") for s in spaces(t)),
         settings=_FIND)
    find(job_templates(), lambda t: any(
        d["range"] == f"1-{{{{Param.{p}}}}}" for s in spaces(t)
        for d in s["taskParameterDefinitions"] for p in ("Count0", "Count1", "Count2")),
        settings=_FIND)
    find(job_templates(), lambda t: any(
        isinstance(d["range"], str) and d["range"].startswith("{{Param.Frames")
        for s in spaces(t) for d in s["taskParameterDefinitions"]), settings=_FIND)
    find(job_templates(), lambda t: {d["type"] for s in spaces(t)
                                     for d in s["taskParameterDefinitions"]}
         == {"INT", "FLOAT", "STRING"}, settings=_FIND)
    find(job_templates(), lambda t: any("dependencies" in s for s in t["steps"]),
         settings=_FIND)
    find(job_templates(limit_names=LIMITS), lambda t: {
        r["name"] for s in t["steps"] for key in ("amounts", "attributes")
        for r in s.get("hostRequirements", {}).get(key, ())} == {
        "amount.worker.vcpu", "amount.worker.gpu", "attr.worker.os.family",
        "attr.worker.cpu.arch", *LIMITS}, settings=_FIND)


def test_templates_without_dependencies_or_host_requirements_have_none() -> None:
    with pytest.raises(NoSuchExample):
        find(job_templates(dependencies=False, host_requirements=False),
             lambda t: any("dependencies" in s or "hostRequirements" in s for s in t["steps"]),
             settings=_FIND)


# ---------------------------------------------------------------------------------- values

TEMPLATE = {
    "specificationVersion": "jobtemplate-2023-09", "name": "given",
    "parameterDefinitions": [
        {"name": "Count", "type": "INT", "default": 5, "minValue": 2, "maxValue": 9},
        {"name": "Quality", "type": "INT", "default": 1, "allowedValues": [1, 4, 8]},
        {"name": "Scale", "type": "FLOAT", "default": 1.0, "minValue": 0.5, "maxValue": 2.5},
        {"name": "Label", "type": "STRING", "default": "abc", "minLength": 3, "maxLength": 5},
        {"name": "Camera", "type": "STRING"},
        {"name": "Scene", "type": "PATH", "default": "scene.blend"},
    ],
    "steps": [{"name": "render", "parameterSpace": {"taskParameterDefinitions": [
        {"name": "Frame", "type": "INT", "range": "1-{{Param.Count}}"}]},
        "script": {"actions": {"onRun": {"command": "render",
                                         "args": ["{{Param.Camera}}", "{{Param.Label}}"]}}}}],
}


@settings(max_examples=80)
@given(job_parameters(TEMPLATE))
def test_job_parameters_keep_each_definitions_constraints(values: dict[str, Any]) -> None:
    # GIVEN / WHEN values drawn for a hand-written template  THEN each is within its
    # definition's constraints, the parameter without a default is always given, PATH is
    # left to its default, and the template expands with them
    assert "Camera" in values and "Scene" not in values
    assert 2 <= values.get("Count", 2) <= 9 and isinstance(values.get("Count", 2), int)
    assert values.get("Quality", 1) in (1, 4, 8)
    assert 0.5 <= values.get("Scale", 1.0) <= 2.5 and isinstance(values.get("Scale", 1.0), float)
    assert 3 <= len(values.get("Label", "abc")) <= 5
    assert 1 <= len(values["Camera"]) <= 16
    job = expand_job(load_template(TEMPLATE), values)
    assert job.task_count == values.get("Count", 5)


def test_job_parameters_shrink_to_the_defaults_and_can_give_every_value() -> None:
    smallest = find(job_parameters(TEMPLATE), lambda v: True, settings=_SHRINK)
    assert list(smallest) == ["Camera"] and len(smallest["Camera"]) == 1
    every = find(job_parameters(TEMPLATE, defaults=False), lambda v: True, settings=_SHRINK)
    assert set(every) == {"Count", "Quality", "Scale", "Label", "Camera"}
