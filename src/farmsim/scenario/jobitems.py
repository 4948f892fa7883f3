"""Readers of a CreateJob-shaped item, shared by the three kinds of submission.

An explicit job (``workload.jobs``), a replayed CSV row (``workload.replay``) and an arrival
stream (``workload.arrivals``) each name a queue, a template (a file, a job bundle folder or an
inline mapping) and the CreateJob settings (``priority``, ``maxWorkerCount``,
``maxRetriesPerTask``, ``maxFailedTasksCount``, ``targetTaskRunStatus``), with the same rules and
the same defaults: the item's own value, else the job bundle's (``deadline:priority`` and the
like), else the API's client default. The readers here report a problem at the item's field and
return None for it, so that the caller goes on and reports every problem.

:mod:`farmsim.scenario.workload`, :mod:`~farmsim.scenario.arrivals` and
:mod:`~farmsim.scenario.replay` import this module; it imports none of them.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from farmsim._documents import shown
from farmsim.errors import TemplateError
from farmsim.model.config import (
    DEFAULT_MAX_FAILED_TASKS_COUNT,
    DEFAULT_MAX_RETRIES_PER_TASK,
    DEFAULT_PRIORITY,
    JobSubmission,
)
from farmsim.model.enums import CreateJobTargetTaskRunStatus
from farmsim.model.job import JobStructure
from farmsim.scenario._validate import INT32_MAX, Section, at, is_number, names, show
from farmsim.templates import Template, expand_job, load_template

__all__ = [
    "BUNDLE_SETTINGS",
    "JOB_KEYS",
    "BaseDir",
    "JobFields",
    "TemplateSource",
    "bundle_settings",
    "expand_item",
    "load_item_template",
    "read_job_fields",
    "read_parameters",
    "read_queue",
    "read_run_settings",
    "template_message",
    "template_source",
]

#: The keys of a ``workload.jobs`` item (a replayed CSV has these columns but ``at``).
JOB_KEYS = (
    "at",
    "queue",
    "template",
    "parameters",
    "priority",
    "maxWorkerCount",
    "maxRetriesPerTask",
    "maxFailedTasksCount",
    "targetTaskRunStatus",
)

#: The job settings a job bundle's parameter values may hold (as ``deadline bundle submit``
#: applies them), and the CreateJob field each one sets.
BUNDLE_SETTINGS = {
    "deadline:priority": "priority",
    "deadline:maxWorkerCount": "maxWorkerCount",
    "deadline:maxRetriesPerTask": "maxRetriesPerTask",
    "deadline:maxFailedTasksCount": "maxFailedTasksCount",
    "deadline:targetTaskRunStatus": "targetTaskRunStatus",
}

#: The folder relative template paths are resolved against (None: the working directory).
BaseDir = str | os.PathLike[str] | None
#: An item's template: what to load (a path or an inline mapping) and the path to record
#: (``""`` for an inline template).
TemplateSource = tuple[str | Mapping[str, Any], str]


class JobFields(NamedTuple):
    """What a CreateJob-shaped item gives besides its time, queue and parameters (each None
    after a problem)."""

    structure: JobStructure | None
    priority: int | None
    max_worker_count: int | None
    max_retries_per_task: int | None
    max_failed_tasks_count: int | None
    target_task_run_status: str | None

    def submission(self, *, at: float, queue: str, template: str,
                   parameters: dict[str, Any] | None) -> JobSubmission | None:
        """The item's JobSubmission, given its time, queue, template path and parameters;
        None when a field is missing (a problem was reported for it)."""
        if (parameters is None or self.structure is None or self.priority is None
                or self.max_worker_count is None or self.max_retries_per_task is None
                or self.max_failed_tasks_count is None or self.target_task_run_status is None):
            return None
        return JobSubmission(
            at=at,
            queue=queue,
            structure=self.structure,
            template=template,
            parameters=parameters,
            priority=self.priority,
            max_worker_count=self.max_worker_count,
            max_retries_per_task=self.max_retries_per_task,
            max_failed_tasks_count=self.max_failed_tasks_count,
            target_task_run_status=CreateJobTargetTaskRunStatus(self.target_task_run_status),
        )


def read_job_fields(job: Section, template: TemplateSource | None,
                    parameters: dict[str, Any] | None, base_dir: BaseDir) -> JobFields:
    """A CreateJob-shaped item's (an explicit job's, a replayed row's) template loaded and
    expanded with ``parameters``, and its settings, defaulted by the bundle's
    (:func:`bundle_settings`), then by the API's client defaults."""
    loaded = load_item_template(job, template[0], base_dir) if template is not None else None
    defaults = bundle_settings(loaded, job) if loaded is not None else {}
    priority = job.integer("priority", default=defaults.get("priority", DEFAULT_PRIORITY),
                           minimum=0, maximum=100)
    max_workers = job.integer("maxWorkerCount", default=defaults.get("maxWorkerCount", -1),
                              minimum=1, maximum=INT32_MAX, minus_one=True)
    retries, max_failed, status = read_run_settings(job, defaults)
    structure = None
    if loaded is not None and parameters is not None:
        structure = expand_item(job, loaded, parameters)
    return JobFields(structure, priority, max_workers, retries, max_failed, status)


def read_queue(job: Section, queues: Collection[str] | None) -> str | None:
    """A CreateJob-shaped item's ``queue``: a queue of the farm (not checked when ``queues``
    is None, the farm's queue list being broken itself)."""
    queue = job.string("queue")
    if queue is not None and queues is not None and queue not in queues:
        job.bad("queue", f"unknown queue {shown(queue)} (defined: {names(queues)})")
    return queue


def read_run_settings(
    job: Section, defaults: Mapping[str, Any] | None = None
) -> tuple[int | None, int | None, str | None]:
    """A CreateJob-shaped item's ``maxRetriesPerTask``, ``maxFailedTasksCount`` and
    ``targetTaskRunStatus``; where the item gives none, the value of ``defaults`` (a job
    bundle's settings, :func:`bundle_settings`), else the API's client defaults."""
    defaults = defaults or {}
    retries = job.integer(
        "maxRetriesPerTask",
        default=defaults.get("maxRetriesPerTask", DEFAULT_MAX_RETRIES_PER_TASK),
        minimum=0, maximum=INT32_MAX,
    )
    max_failed = job.integer(
        "maxFailedTasksCount",
        default=defaults.get("maxFailedTasksCount", DEFAULT_MAX_FAILED_TASKS_COUNT),
        minimum=0, maximum=INT32_MAX,
    )
    status = job.choice(
        "targetTaskRunStatus",
        tuple(CreateJobTargetTaskRunStatus),
        default=defaults.get("targetTaskRunStatus", CreateJobTargetTaskRunStatus.READY),
    )
    return retries, max_failed, status


def bundle_settings(template: Template, job: Section) -> dict[str, Any]:
    """The CreateJob fields a job bundle's parameter values set (``deadline:priority: 70``
    and the like), by field name, checked by the field's own rule; they apply where the job
    gives no value of its own, as ``deadline bundle submit`` applies them. A setting farmsim
    does not know, or a bad value, is a problem located at the job's ``template``."""
    settings = template.deadline_settings
    if not settings:
        return {}
    where = f"{job.at('template')} (parameter_values of {template.path})"
    bundle = Section(dict(settings), where, job.problems, keys=tuple(BUNDLE_SETTINGS))
    values = {
        "priority": bundle.integer("deadline:priority", minimum=0, maximum=100),
        "maxWorkerCount": bundle.integer("deadline:maxWorkerCount", minimum=1,
                                         maximum=INT32_MAX, minus_one=True),
        "maxRetriesPerTask": bundle.integer("deadline:maxRetriesPerTask", minimum=0,
                                            maximum=INT32_MAX),
        "maxFailedTasksCount": bundle.integer("deadline:maxFailedTasksCount", minimum=0,
                                              maximum=INT32_MAX),
        "targetTaskRunStatus": bundle.choice("deadline:targetTaskRunStatus",
                                             tuple(CreateJobTargetTaskRunStatus)),
    }
    return {field: value for field, value in values.items() if value is not None}


def template_source(job: Section, base_dir: BaseDir) -> TemplateSource | None:
    """The template to load and the path to record (``""`` for an inline template)."""
    if not job.has("template"):
        return None
    value = job.get("template")
    if isinstance(value, Mapping):
        return value, ""
    if isinstance(value, str) and value.strip():
        return value, _joined(None if base_dir is None else os.fspath(base_dir), value)
    job.bad(
        "template",
        "must be the path of a template file or job bundle folder, or an inline template "
        f"mapping (got {show(value)})",
    )
    return None


@lru_cache(maxsize=1024)
def _joined(base_dir: str | None, value: str) -> str:
    """The template path to record: ``value`` under ``base_dir`` (cached: a workload of many
    jobs names few templates)."""
    return str(Path(base_dir, value) if base_dir is not None else Path(value))


def read_parameters(job: Section) -> dict[str, Any] | None:
    """Job parameter values by name: strings, numbers, booleans, or lists of them."""
    if not job.has("parameters"):
        return {}
    values = job.mapping("parameters")
    if values is None:
        return None
    where = job.at("parameters")
    result: dict[str, Any] = {}
    for name, value in values.items():
        if not isinstance(name, str):
            job.problems.add(where, f"parameter names must be strings (got {show(name)})")
        elif not _is_parameter_value(value) and not (
            isinstance(value, list) and all(_is_parameter_value(v) for v in value)
        ):
            job.problems.add(
                at(where, name),
                f"must be a string, a number, a boolean or a list of them (got {show(value)})",
            )
        else:
            result[name] = list(value) if isinstance(value, list) else value
    return result if len(result) == len(values) else None


def _is_parameter_value(value: Any) -> bool:
    return isinstance(value, str | bool) or is_number(value)


def load_item_template(job: Section, source: str | Mapping[str, Any],
                       base_dir: BaseDir) -> Template | None:
    """The item's template, or None after a problem at its ``template``."""
    try:
        return load_template(source, base_dir=base_dir)
    except ValueError as exc:  # TemplateError; also plain ValueErrors of values the layer cannot
        job.bad("template", template_message(exc))  # even hash (5000-digit ints in a mapping)
        return None


def expand_item(job: Section, template: Template, parameters: dict[str, Any],
                ) -> JobStructure | None:
    """The item's structure, or None after a problem at its ``parameters``."""
    try:
        return expand_job(template, parameters)
    except ValueError as exc:
        job.bad("parameters", template_message(exc))
        return None


def template_message(exc: ValueError) -> str:
    """What to say of a template that cannot be loaded or expanded: a TemplateError's own
    message, else what the error says of the values."""
    if isinstance(exc, TemplateError):
        return str(exc)
    return f"cannot use this template: {exc}"
