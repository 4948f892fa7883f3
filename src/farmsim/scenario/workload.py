"""The ``workload:`` section: explicit job submissions, each shaped like a CreateJob request.

Each job's template is loaded and expanded by :mod:`farmsim.templates` (which caches both), so a
template problem or a bad parameter value is reported here, at the job that uses it. Generated
``arrivals`` are read by :mod:`farmsim.scenario.arrivals`, recorded submissions (``replay``) by
:mod:`farmsim.scenario.replay`.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from farmsim._documents import shown
from farmsim.errors import TemplateError
from farmsim.model.arrivals import ArrivalStream
from farmsim.model.config import (
    DEFAULT_MAX_FAILED_TASKS_COUNT,
    DEFAULT_MAX_RETRIES_PER_TASK,
    DEFAULT_PRIORITY,
    JobSubmission,
)
from farmsim.model.enums import CreateJobTargetTaskRunStatus
from farmsim.model.job import JobStructure
from farmsim.scenario._validate import (
    INT32_MAX,
    Problems,
    Section,
    at,
    index,
    is_number,
    names,
    show,
)
from farmsim.templates import Template, expand_job, load_template

__all__ = ["JOB_KEYS", "WORKLOAD_KEYS", "Workload", "read_workload"]

WORKLOAD_KEYS = ("jobs", "arrivals", "replay")
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

_BaseDir = str | os.PathLike[str] | None


class Workload(NamedTuple):
    """The ``workload`` section: explicit (and replayed) submissions, and arrival streams."""

    jobs: tuple[JobSubmission, ...] = ()
    arrivals: tuple[ArrivalStream, ...] = ()


def read_workload(
    data: Any,
    problems: Problems,
    *,
    queues: Collection[str] | None,
    base_dir: _BaseDir = None,
    start: str | None = None,
    horizon: float | None = None,
    notes: list[str] | None = None,
    where: str = "workload",
) -> Workload | None:
    """Validate the ``workload`` mapping and expand every job.

    Args:
        data: the ``workload`` value.
        problems: where problems go.
        queues: the displayNames of the farm's queues, or None when the farm's queue list is
            itself broken (then job queues are not checked).
        base_dir: the folder template paths are relative to.
        start: the scenario's ``start`` (places arrival streams' day and week factors).
        horizon: the scenario's horizon (an arrival stream without ``end`` needs one).
        notes: where remarks about the workload go (e.g. trace jobs skipped).
        where: the section's location.

    Returns:
        The submissions sorted by ``at`` (file order among equal times) and the arrival
        streams, or None after problems.
    """
    from farmsim.scenario.arrivals import read_arrivals  # these reuse this module's readers
    from farmsim.scenario.replay import read_replay

    before = len(problems)
    workload = Section(data, where, problems, keys=WORKLOAD_KEYS)
    jobs_where = workload.at("jobs")
    jobs = [
        _read_job(item, index(jobs_where, i), problems, queues=queues, base_dir=base_dir)
        for i, item in enumerate(workload.sequence("jobs"))
    ]
    if workload.has("replay"):
        replayed = read_replay(workload.get("replay"), problems, queues=queues, base_dir=base_dir,
                               notes=notes if notes is not None else [], start=start,
                               where=workload.at("replay"))
        jobs.extend(replayed or ())
    arrivals: tuple[ArrivalStream, ...] | None = ()
    if workload.has("arrivals"):
        arrivals = read_arrivals(workload.get("arrivals"), problems, queues=queues,
                                 base_dir=base_dir, start=start, horizon=horizon,
                                 where=workload.at("arrivals"))
    if len(problems) > before or arrivals is None:
        return None
    return Workload(
        jobs=tuple(sorted((job for job in jobs if job is not None), key=lambda job: job.at)),
        arrivals=arrivals,
    )


def _read_job(
    data: Any, where: str, problems: Problems, *, queues: Collection[str] | None, base_dir: _BaseDir
) -> JobSubmission | None:
    before = len(problems)
    job = Section(data, where, problems, keys=JOB_KEYS, required=("queue", "template"))
    submit_at = job.duration("at", default=0.0)
    queue = read_queue(job, queues)
    parameters = _read_parameters(job)
    template = _template_source(job, base_dir)
    fields = read_job_fields(job, template, parameters, base_dir)
    if len(problems) > before or submit_at is None or queue is None or template is None:
        return None
    return fields.submission(at=submit_at, queue=queue, template=template[1],
                             parameters=parameters)


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


def read_job_fields(job: Section, template: tuple[str | Mapping[str, Any], str] | None,
                    parameters: dict[str, Any] | None, base_dir: _BaseDir) -> JobFields:
    """A CreateJob-shaped item's (an explicit job's, a replayed row's) template loaded and
    expanded with ``parameters``, and its settings, defaulted by the bundle's
    (:func:`bundle_settings`), then by the API's client defaults."""
    loaded = _load(job, template[0], base_dir) if template is not None else None
    defaults = bundle_settings(loaded, job) if loaded is not None else {}
    priority = job.integer("priority", default=defaults.get("priority", DEFAULT_PRIORITY),
                           minimum=0, maximum=100)
    max_workers = job.integer("maxWorkerCount", default=defaults.get("maxWorkerCount", -1),
                              minimum=1, maximum=INT32_MAX, minus_one=True)
    retries, max_failed, status = read_run_settings(job, defaults)
    structure = None
    if loaded is not None and parameters is not None:
        structure = _expand_loaded(job, loaded, parameters)
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


#: The job settings a job bundle's parameter values may hold (as ``deadline bundle submit``
#: applies them), and the CreateJob field each one sets.
BUNDLE_SETTINGS = {
    "deadline:priority": "priority",
    "deadline:maxWorkerCount": "maxWorkerCount",
    "deadline:maxRetriesPerTask": "maxRetriesPerTask",
    "deadline:maxFailedTasksCount": "maxFailedTasksCount",
    "deadline:targetTaskRunStatus": "targetTaskRunStatus",
}


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


def _template_source(
    job: Section, base_dir: _BaseDir
) -> tuple[str | Mapping[str, Any], str] | None:
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


def _read_parameters(job: Section) -> dict[str, Any] | None:
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


def _load(job: Section, source: str | Mapping[str, Any], base_dir: _BaseDir) -> Template | None:
    """The job's template, or None after a problem at its ``template``."""
    try:
        return load_template(source, base_dir=base_dir)
    except ValueError as exc:  # TemplateError; also plain ValueErrors of values the layer cannot
        job.bad("template", _template_message(exc))  # even hash (5000-digit ints in a mapping)
        return None


def _expand_loaded(job: Section, template: Template, parameters: dict[str, Any],
                   ) -> JobStructure | None:
    """The job's structure, or None after a problem at its ``parameters``."""
    try:
        return expand_job(template, parameters)
    except ValueError as exc:
        job.bad("parameters", _template_message(exc))
        return None


def _template_message(exc: ValueError) -> str:
    if isinstance(exc, TemplateError):
        return str(exc)
    return f"cannot use this template: {exc}"
