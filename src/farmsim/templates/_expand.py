"""Expanding a template and its parameter values into a :class:`~farmsim.model.job.JobStructure`,
once per distinct (template, parameter values).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from openjd.model import (
    ParameterValueType,
    StepDependencyGraph,
    create_job,
    preprocess_job_parameters,
)

from farmsim._documents import shown
from farmsim.errors import TemplateError, UsageError
from farmsim.model.job import AmountRequirement, AttributeRequirement, JobStructure, StepStructure

from ._cache import LruCache
from ._errors import describe_openjd_error
from ._tasks import chunk_frames, chunking_of, count_tasks
from ._template import Template, is_deadline_setting

__all__ = ["MAX_CHUNK_FRAMES", "MAX_CHUNK_SIZE", "clear_expand_cache", "expand_job"]

#: The largest ``chunks.defaultTaskCount`` of a CHUNK[INT] task parameter Deadline Cloud
#: accepts (AWS Deadline Cloud Developer Guide, "CHUNK[INT] task parameter reference"; the
#: OpenJD specification itself sets only the minimum, 1). Checked after parameters are resolved,
#: as the value may come from a job parameter ("{{Param.ChunkSize}}").
MAX_CHUNK_SIZE = 150

# (template key, sorted (name, value-as-string) pairs) -> JobStructure. Repeated identical
# submissions hit it in O(1). Bounded so that generated submissions with ever new frame ranges
# keep only the recent structures; large enough that a scenario's explicit jobs, which hold
# their structures anyway, do not expand one again because it was evicted (with 4,096 entries,
# 100,000 jobs over 5,000 distinct frame ranges expanded 18,000 times, not 5,000).
_JOBS: LruCache[tuple[str, tuple[tuple[str, str], ...]], JobStructure] = LruCache(65_536)
#: The most values a CHUNK[INT] task parameter may have: chunking lists them all when the job
#: is expanded (about 100 bytes and 1 microsecond each), so a larger range is refused at once.
MAX_CHUNK_FRAMES = 1_000_000


def expand_job(
    template: Template | str | os.PathLike[str] | Mapping[str, Any],
    parameters: Mapping[str, Any] | None = None,
) -> JobStructure:
    """Create a job from a template with openjd-model and describe its steps.

    Parameter values are the bundle's ``parameter_values`` overlaid with ``parameters`` (the
    caller wins). ``deadline:*`` names are Deadline job settings, not template parameters, and
    are ignored here. Jobs of the same template and values share one structure.

    Args:
        template: a template from :func:`~farmsim.templates.load_template`, or what that function
            takes (a template file, a job bundle folder or an inline mapping), loaded with it.
        parameters: job parameter values by name: ``str``, ``int``, ``float``, ``bool``,
            ``os.PathLike`` (or a list, for an EXPR ``LIST[...]`` parameter).

    Returns:
        The job's structure: steps in dependency order (openjd's stable topological order, i.e.
        template order where dependencies allow), each with its task count (chunks for a
        CHUNK[INT] step), upstream step indices, host requirements and environments.

    Raises:
        TemplateError: naming the template path, if a parameter is unknown, has an unusable
            value, is missing, or the job cannot be created (openjd-model's message and location,
            e.g. an associative combination of unequal ranges or a chunk size resolving to 0).
        UsageError: ``template`` is none of the above, or ``parameters`` is not a mapping.
    """
    if not isinstance(template, Template):
        from ._load import load_template  # it builds on this module's callers, not on it

        template = load_template(template)
    if parameters is not None and not isinstance(parameters, Mapping):
        raise UsageError(f"expand_job: parameters must be a mapping of names to values "
                         f"(got {type(parameters).__name__} {shown(parameters)})")
    values = _job_parameter_values(template, parameters)
    key = (template.key, tuple(sorted(values.items())))
    job = _JOBS.get(key)
    if job is None:
        job = _JOBS.put(key, _build(template, values))
    return job


def clear_expand_cache() -> None:
    """Forget every expanded job structure."""
    _JOBS.clear()


def _job_parameter_values(
    template: Template, parameters: Mapping[str, Any] | None
) -> dict[str, str]:
    merged = dict(template.bundle_parameters)
    if parameters:
        merged.update(parameters)
    values: dict[str, str] = {}
    known: tuple[str, ...] | None = None
    for name, value in merged.items():
        if is_deadline_setting(name):
            continue
        if known is None:
            known = template.parameter_names
        if name not in known:
            raise TemplateError(
                f"unknown job parameter {shown(name)} (value {shown(value)}); the template defines "
                f"{', '.join(known) if known else 'no parameters'}",
                path=template.path,
            )
        values[name] = _as_openjd_string(name, value, template)
    return values


def _as_openjd_string(name: str, value: Any, template: Template) -> str:
    """openjd-model takes every job parameter value as a string."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, os.PathLike):
        return str(os.fspath(value))
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value), default=str)
    raise TemplateError(
        f"job parameter {shown(name)}: value must be a string, number, boolean or path "
        f"(got {type(value).__name__} {shown(value)})",
        path=template.path,
    )


def _build(template: Template, values: dict[str, str]) -> JobStructure:
    try:
        processed = preprocess_job_parameters(
            job_template=template.job_template,
            job_parameter_values=values,
            job_template_dir=template.directory,
            current_working_dir=template.directory,
        )
        job = create_job(job_template=template.job_template, job_parameter_values=processed)
    except (ValueError, NotImplementedError) as exc:  # openjd's DecodeValidationError included
        raise TemplateError(
            describe_openjd_error(str(exc), "cannot create a job from the template"),
            path=template.path,
        ) from None
    order = StepDependencyGraph(job=job).topo_sorted()
    index = {step.name: i for i, step in enumerate(order)}
    return JobStructure(
        name=str(job.name),
        steps=tuple(_step(step, i, index, template) for i, step in enumerate(order)),
        environments=tuple(env.name for env in job.jobEnvironments or ()),
        template_path=template.path,
        parameters={name: _typed(value) for name, value in processed.items()},
    )


def _typed(value: Any) -> Any:
    """A resolved job parameter's value as Python reads it: INT as int, FLOAT as float, BOOL
    as bool, the others as openjd-model's string."""
    kind = value.type
    text = value.value
    try:
        if kind == ParameterValueType.INT:
            return int(text)
        if kind == ParameterValueType.FLOAT:
            return float(text)
        if kind == ParameterValueType.BOOL:
            return str(text).lower() in ("true", "1", "yes", "on")
    except (TypeError, ValueError):  # (openjd-model checked them: not expected)
        return text
    return text


def _step(step: Any, position: int, index: Mapping[str, int], template: Template) -> StepStructure:
    _check_chunk_ranges(step, template)
    try:
        task_count = count_tasks(step.parameterSpace)
    except (ValueError, LookupError) as exc:
        raise TemplateError(
            f"step {shown(step.name)} -> parameterSpace: cannot count its tasks: {exc}",
            path=template.path,
        ) from None
    requirements = step.hostRequirements
    chunking = chunking_of(step.parameterSpace)
    if chunking is not None and chunking.default_task_count > MAX_CHUNK_SIZE:
        raise TemplateError(
            f"step {shown(step.name)} -> parameterSpace -> taskParameterDefinitions -> "
            f"{chunking.parameter} -> chunks -> defaultTaskCount: must be at most "
            f"{MAX_CHUNK_SIZE}, the most Deadline Cloud accepts (got "
            f"{chunking.default_task_count})",
            path=template.path,
        )
    return StepStructure(
        name=step.name,
        index=position,
        task_count=task_count,
        dependencies=tuple(sorted(index[d.dependsOn] for d in step.dependencies or ())),
        amounts=tuple(
            AmountRequirement(a.name, _number(a.min), _number(a.max))
            for a in (requirements.amounts if requirements else None) or ()
        ),
        attributes=tuple(
            AttributeRequirement(a.name, _strings(a.anyOf), _strings(a.allOf))
            for a in (requirements.attributes if requirements else None) or ()
        ),
        environments=tuple(env.name for env in step.stepEnvironments or ()),
        chunking=chunking,
        frames=chunk_frames(step.parameterSpace, chunking) if chunking is not None else None,
        parameter_space=step.parameterSpace,
    )


def _check_chunk_ranges(step: Any, template: Template) -> None:
    """Refuse a CHUNK[INT] range of more than :data:`MAX_CHUNK_FRAMES` values before anything
    is built from it: chunking lists every value (openjd-model's chunk list, the step's frames),
    at about 100 bytes each, at load time, before a scenario's size can be checked. Other
    ranges stay lazy whatever their size."""
    space = step.parameterSpace
    for name, definition in ((space.taskParameterDefinitions or {}) if space else {}).items():
        if "CHUNK" not in str(getattr(definition.type, "value", definition.type)):
            continue
        values = len(definition.range)
        if values > MAX_CHUNK_FRAMES:
            raise TemplateError(
                f"step {step.name!r} -> parameterSpace -> {name}: a CHUNK[INT] range of "
                f"{values:,} values; farmsim chunks at most {MAX_CHUNK_FRAMES:,} (it lists "
                f"every value to form the chunks)",
                path=template.path,
            )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _strings(values: Any) -> tuple[str, ...] | None:
    return None if values is None else tuple(str(v) for v in values)
