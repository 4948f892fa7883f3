"""expand_job: parameters, the structure it builds, its cache, and its errors."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from farmsim.errors import TemplateError
from farmsim.model.job import AmountRequirement, AttributeRequirement, JobStructure
from farmsim.templates import expand_job, load_template, task_parameters
from farmsim.templates._cache import LruCache

SCRIPT = {"actions": {"onRun": {"command": "run"}}}


def _template(
    *steps: dict[str, Any], parameters: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "specificationVersion": "jobtemplate-2023-09",
        "name": extra.pop("name", "Job"),
        "steps": [{"script": SCRIPT, **s} for s in steps],
        **extra,
    }
    if parameters:
        document["parameterDefinitions"] = parameters
    return document


FRAMES = _template(
    {
        "name": "Render",
        "parameterSpace": {
            "taskParameterDefinitions": [
                {"name": "Frame", "type": "INT", "range": "{{Param.Frames}}"}
            ]
        },
    },
    parameters=[
        {"name": "Frames", "type": "STRING", "default": "1-10"},
        {"name": "Quality", "type": "INT", "default": 1, "minValue": 1, "maxValue": 5},
        {"name": "Shot", "type": "STRING", "default": "sh010"},
    ],
    name="Render {{Param.Shot}}",
)


def test_expands_name_steps_and_task_count() -> None:
    # GIVEN a one-step template over a frame range parameter
    template = load_template(FRAMES)

    # WHEN it is expanded with a shot and 100 frames
    job = expand_job(template, {"Shot": "sh020", "Frames": "1-100"})

    # THEN the name is resolved and the step has 100 tasks
    assert isinstance(job, JobStructure)
    assert job.name == "Render sh020"
    assert [(s.name, s.index, s.task_count) for s in job.steps] == [("Render", 0, 100)]
    assert job.template_path is None


def test_equal_parameters_share_one_structure_and_different_ones_do_not() -> None:
    # GIVEN a template
    template = load_template(FRAMES)

    # WHEN it is expanded with equal values (in other orders and types) and different ones
    first = expand_job(template, {"Frames": "1-20", "Quality": 2})
    again = expand_job(template, {"Quality": "2", "Frames": "1-20"})
    other = expand_job(template, {"Frames": "1-30", "Quality": 2})

    # THEN equal values give the same object, different values another
    assert again is first
    assert other is not first
    assert (first.task_count, other.task_count) == (20, 30)


def test_defaults_and_explicit_defaults_are_distinct_cache_entries_but_equal() -> None:
    # GIVEN a template / WHEN expanded without values and with its default value spelled out
    template = load_template(FRAMES)
    implicit = expand_job(template)
    explicit = expand_job(template, {"Frames": "1-10"})

    # THEN the structures are equal
    assert implicit == explicit
    assert expand_job(template, None) is implicit


def test_bundle_values_apply_and_the_caller_wins(tmp_path: Path) -> None:
    # GIVEN a bundle whose parameter values choose frames 1-4 and a Deadline priority
    (tmp_path / "template.yaml").write_text(yaml.safe_dump(FRAMES))
    (tmp_path / "parameter_values.yaml").write_text(
        yaml.safe_dump(
            {
                "parameterValues": [
                    {"name": "Frames", "value": "1-4"},
                    {"name": "deadline:priority", "value": 80},
                ]
            }
        )
    )
    template = load_template(tmp_path)

    # WHEN it is expanded without and with the caller's frames (and a Deadline setting)
    from_bundle = expand_job(template)
    from_caller = expand_job(template, {"Frames": "1-7", "deadline:targetTaskRunStatus": "READY"})

    # THEN the bundle's values apply unless the caller gives its own
    assert from_bundle.task_count == 4
    assert from_caller.task_count == 7
    assert from_bundle.template_path == str(tmp_path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(3, 3, id="int"),
        pytest.param("3", 3, id="str"),
        pytest.param(3.0, None, id="float-for-int"),
    ],
)
def test_values_are_converted_to_strings_for_openjd(value: Any, expected: int | None) -> None:
    # GIVEN an INT parameter driving a range
    template = load_template(
        _template(
            {
                "name": "S",
                "parameterSpace": {
                    "taskParameterDefinitions": [
                        {"name": "I", "type": "INT", "range": "1-{{Param.N}}"}
                    ]
                },
            },
            parameters=[{"name": "N", "type": "INT"}],
        )
    )

    # WHEN / THEN ints and strings work; a float is passed on as "3.0", which openjd rejects
    if expected is None:
        with pytest.raises(TemplateError, match=r"Value \(3.0\) for parameter N must an integer"):
            expand_job(template, {"N": value})
    else:
        assert expand_job(template, {"N": value}).task_count == expected


def test_path_and_bool_values(tmp_path: Path) -> None:
    # GIVEN an EXPR template with a PATH and a BOOL parameter
    template = load_template(
        _template(
            {"name": "S"},
            parameters=[{"name": "Scene", "type": "PATH"}, {"name": "Denoise", "type": "BOOL"}],
            extensions=["EXPR"],
        )
    )

    # WHEN / THEN a pathlib.Path and a bool are accepted
    assert expand_job(template, {"Scene": tmp_path / "a.blend", "Denoise": True}).task_count == 1
    assert expand_job(template, {"Scene": "a.blend", "Denoise": False}).task_count == 1


def test_unsupported_value_type_is_rejected() -> None:
    # GIVEN / WHEN / THEN
    with pytest.raises(
        TemplateError, match=r"job parameter 'Frames': value must be a string, number"
    ):
        expand_job(load_template(FRAMES), {"Frames": {"a": 1}})


@pytest.mark.parametrize(
    ("document", "match"),
    [
        pytest.param(
            FRAMES,
            r"unknown job parameter 'Frame' \(value '1-5'\); "
            r"the template defines Frames, Quality, Shot",
            id="defines-some",
        ),
        pytest.param(
            _template({"name": "S"}),
            r"unknown job parameter 'Frame' \(value '1-5'\); the template defines no parameters",
            id="defines-none",
        ),
    ],
)
def test_unknown_parameter_is_named_with_the_valid_ones(
    document: dict[str, Any], match: str
) -> None:
    # GIVEN / WHEN / THEN
    with pytest.raises(TemplateError, match=match):
        expand_job(load_template(document), {"Frame": "1-5"})


@pytest.mark.parametrize(
    ("values", "match"),
    [
        pytest.param(
            {"Quality": 9},
            r"Value \(9\) for parameter Quality must be at most 5",
            id="out-of-range",
        ),
        pytest.param(
            {"Frames": "10-1"},
            r"steps\[0\] -> parameterSpace -> taskParameterDefinitions",
            id="bad-range",
        ),
    ],
)
def test_openjd_errors_carry_the_template_path(
    tmp_path: Path, values: dict[str, Any], match: str
) -> None:
    # GIVEN a template file
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(FRAMES))

    # WHEN / THEN a bad value fails with openjd's message and the file
    with pytest.raises(TemplateError, match=match) as caught:
        expand_job(load_template(path), values)
    assert caught.value.path == str(path)
    assert str(caught.value).startswith(f"{path}: cannot create a job from the template")


def test_missing_required_parameter_is_reported() -> None:
    # GIVEN a template whose PATH parameter has no default
    template = load_template(
        _template({"name": "S"}, parameters=[{"name": "Scene", "type": "PATH"}])
    )

    # WHEN / THEN
    with pytest.raises(TemplateError, match="Values missing for required job parameters: Scene"):
        expand_job(template)


def test_steps_come_in_dependency_order_with_upstream_indices() -> None:
    # GIVEN steps written downstream first: Comp needs Render and Sim, Render needs Sim
    template = load_template(
        _template(
            {"name": "Comp", "dependencies": [{"dependsOn": "Render"}, {"dependsOn": "Sim"}]},
            {"name": "Render", "dependencies": [{"dependsOn": "Sim"}]},
            {"name": "Sim"},
            {"name": "Report"},
        )
    )

    # WHEN it is expanded
    job = expand_job(template)

    # THEN upstream steps come first (template order where free) and indices match positions
    assert [(s.name, s.index, s.dependencies) for s in job.steps] == [
        ("Sim", 0, ()),
        ("Render", 1, (0,)),
        ("Comp", 2, (0, 1)),
        ("Report", 3, ()),
    ]


def test_host_requirements_and_environments_come_through() -> None:
    # GIVEN a step needing a Nuke license and Linux, with job and step environments
    environment = {"script": {"actions": {"onEnter": {"command": "setup"}}}}
    template = load_template(
        _template(
            {
                "name": "Comp",
                "hostRequirements": {
                    "amounts": [
                        {"name": "amount.license.nuke", "min": 1},
                        {"name": "amount.worker.vcpu", "min": 2, "max": 8.5},
                    ],
                    "attributes": [
                        {"name": "attr.worker.os.family", "anyOf": ["linux"]},
                        {"name": "attr.custom.gpu", "allOf": ["cuda", "a100"]},
                    ],
                },
                "stepEnvironments": [{"name": "Nuke", **environment}],
            },
            jobEnvironments=[{"name": "Conda", **environment}, {"name": "Mounts", **environment}],
        )
    )

    # WHEN it is expanded
    job = expand_job(template)
    (step,) = job.steps

    # THEN amounts, attributes and environment names are converted
    assert step.amounts == (
        AmountRequirement("amount.license.nuke", 1.0, None),
        AmountRequirement("amount.worker.vcpu", 2.0, 8.5),
    )
    assert step.amounts[0].units == 1
    assert step.attributes == (
        AttributeRequirement("attr.worker.os.family", ("linux",), None),
        AttributeRequirement("attr.custom.gpu", None, ("cuda", "a100")),
    )
    assert step.environments == ("Nuke",)
    assert job.environments == ("Conda", "Mounts")


def test_large_step_is_counted_without_listing_its_tasks() -> None:
    # GIVEN a step of 10,000 frames
    template = load_template(FRAMES)

    # WHEN it is expanded
    (step,) = expand_job(template, {"Frames": "1-10000"}).steps

    # THEN it counts 10,000 tasks; it holds openjd's parameter space (whose range stays a lazy
    # range expression) and no per-task sequence; any task can still be read by index
    assert step.task_count == 10_000
    frame = step.parameter_space.taskParameterDefinitions["Frame"]
    assert type(frame.range).__name__ == "IntRangeExpr"
    assert not any(
        isinstance(getattr(step, f.name), (list, tuple)) and len(getattr(step, f.name)) > 2
        for f in fields(step)
    )
    assert task_parameters(step, 9_999) == {"Frame": 10_000}


def test_lru_cache_is_bounded() -> None:
    # GIVEN a cache of two entries
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)

    # WHEN "a" is used and a third entry arrives
    assert cache.get("a") == 1
    cache.put("c", 3)

    # THEN the least recently used entry ("b") is gone
    assert len(cache) == 2
    assert "b" not in cache and cache.get("a") == 1 and cache.get("c") == 3
    with pytest.raises(ValueError, match=r"'maxsize' must be >= 1 \(got 0\)"):
        LruCache(0)
