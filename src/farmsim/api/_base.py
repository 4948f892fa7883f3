"""What every part of :class:`~farmsim.api.client.DeadlineClient` shares: the simulation it
speaks for, the ids of the farm's resources, request checks, errors, pagination and the job
summaries that GetJob, ListJobs, SearchJobs and BatchGetJob report.

The client's operations live in mixins over :class:`ClientBase`, one module per part of the
API (:mod:`farmsim.api.client` the farm, its limits and jobs; ``_entities`` steps, tasks and
sessions; ``_search`` the Search* operations; ``_statistics`` usage statistics).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Any

import numpy as np
from botocore import xform_name
from botocore.exceptions import ClientError, ParamValidationError

from farmsim.api._model import request_problems, service_model
from farmsim.api.errors import NotModelledError, error, exceptions
from farmsim.errors import ScenarioError
from farmsim.model.enums import (
    TASK_STATUS_CODES,
    TaskRunStatus,
)
from farmsim.record.ids import hex32s, make_id

if TYPE_CHECKING:
    from types import SimpleNamespace

    from farmsim.engine.simulation import Simulation
    from farmsim.model.state import JobState, StepState
    from farmsim.templates import Template

__all__ = ["CREATED_BY", "ClientBase", "invalid", "not_found", "page", "window", "with_token"]

#: Who created what a scenario made (the API requires a ``createdBy``).
CREATED_BY = "farmsim"
_RUNNING = TASK_STATUS_CODES[TaskRunStatus.RUNNING]
_READY = TASK_STATUS_CODES[TaskRunStatus.READY]


class ClientBase:
    """The state and helpers the client's parts share (see the module's documentation)."""

    def __init__(self, sim: Simulation) -> None:
        self._sim = sim
        self._start = sim.start_time
        seed = sim.seed
        farm = sim.scenario.farm
        self._farm_id = make_id("farm", seed, 0)
        self._queue_ids = [make_id("queue", seed, i) for i in range(len(farm.queues))]
        self._fleet_ids = [make_id("fleet", seed, i) for i in range(len(farm.fleets))]
        self._limit_ids = [make_id("limit", seed, i) for i in range(len(farm.limits))]
        self._queues = {q: i for i, q in enumerate(self._queue_ids)}
        self._fleets = {f: i for i, f in enumerate(self._fleet_ids)}
        self._limits = {lim: i for i, lim in enumerate(self._limit_ids)}
        #: What UpdateLimit changed that the engine does not keep, and when it last did.
        self._limit_edits: dict[int, dict[str, str]] = {}
        self._limit_updated: dict[int, dt.datetime] = {}
        #: What UpdateJob changed that the engine does not keep, and when it last did.
        self._job_descriptions: dict[int, str] = {}
        self._job_updated: dict[int, dt.datetime] = {}
        #: CreateJob's clientTokens and the jobs they made; decoded templates by content.
        self._tokens: dict[str, str] = {}
        self._templates: dict[tuple[str, str], Template] = {}
        self._worker_ids: list[str] = []
        self._workers: dict[str, int] = {}
        self._job_ids: list[str] = []
        self._jobs: dict[str, int] = {}
        self._step_ids: list[str] = []
        #: Queue-limit associations' statuses set by a user (ACTIVE otherwise), and their
        #: (createdAt, updatedAt); limits created and deleted through the API.
        self._qla_status: dict[tuple[int, int], str] = {}
        self._qla_times: dict[tuple[int, int], tuple[dt.datetime, dt.datetime | None]] = {}
        self._limit_created: dict[int, dt.datetime] = {}
        self._deleted_limits: set[int] = set()
        self._limit_tokens: dict[tuple[str, str], str] = {}
        #: Jobs a user archived (UpdateJob lifecycleStatus ARCHIVED).
        self._archived: set[int] = set()
        #: The last targetTaskRunStatus a user asked of each job (UpdateJob).
        self._job_targets: dict[int, str] = {}
        self._steps: dict[str, int] = {}

    @property
    def farm_id(self) -> str:
        """The simulated farm's id."""
        return self._farm_id

    def resource_id(self, kind: str, index: int) -> str:
        """The id of a ``"queue"``, ``"fleet"`` or ``"limit"`` (``kind``) by its place: the
        scenario's in order, then the limits CreateLimit made; or of a ``"job"`` or ``"step"``
        of the run by its ``JobState.index`` or ``StepState.gidx``."""
        if kind == "job":
            self._index_jobs()
            return self._job_ids[index]
        if kind == "step":
            self._index_steps()
            return self._step_ids[index]
        ids = {"queue": self._queue_ids, "fleet": self._fleet_ids, "limit": self._limit_ids}
        return ids[kind][index]

    def scheduled_call(self, operation: str, args: dict[str, Any], *, where: str,
                       source: str | None) -> None:
        """Make a call a scenario scheduled (its ``events``): one the service refuses, that
        botocore would not send, or that farmsim does not model is a
        :class:`~farmsim.errors.ScenarioError` at ``where``."""
        try:
            getattr(self, operation)(**args)
        except ClientError as exc:
            message = str(exc.response["Error"]["Message"])
        except (ParamValidationError, NotModelledError) as exc:
            message = str(exc)
        else:
            return
        raise ScenarioError([f"{where}: {message}"], source=source)

    @property
    def exceptions(self) -> SimpleNamespace:
        """The service's errors by name (``client.exceptions.ResourceNotFoundException``)."""
        return exceptions()

    def can_paginate(self, operation_name: str) -> bool:
        """Whether the operation (snake_case) is one this client has that pages
        (``nextToken``)."""
        return operation_name in _paged() and hasattr(self, operation_name)
    def _index_workers(self) -> None:
        """Ids of the workers created since the last call."""
        known, total = len(self._worker_ids), len(self._sim.workers)
        if total > known:
            new = [f"worker-{h}" for h in
                   hex32s("worker", self._sim.seed, np.arange(known, total))]
            self._workers.update(zip(new, range(known, total), strict=True))
            self._worker_ids.extend(new)
    def _job_summaries(self, jobs: list[JobState]) -> list[dict[str, Any]]:
        self._index_jobs()
        now = self._sim.env.now
        starting = self._starting_by_job(now)
        out = []
        for job in jobs:
            counts = dict(zip(_STATUS_NAMES, job.counts, strict=True))
            setting_up = starting.get(job.index, 0)
            counts["STARTING"] = counts.get("STARTING", 0) + setting_up
            counts["RUNNING"] = job.counts[_RUNNING] - setting_up
            status = job.final_status or job.aggregate(starting=setting_up)
            summary: dict[str, Any] = {
                "jobId": self._job_ids[job.index], "name": job.name,
                "lifecycleStatus": ("ARCHIVED" if job.index in self._archived
                                    else "CREATE_COMPLETE"),
                "lifecycleStatusMessage": "",
                "priority": job.priority, "createdAt": self._time(job.submitted_at),
                "createdBy": CREATED_BY, "taskRunStatus": status.value,
                "targetTaskRunStatus": self._job_targets.get(
                    job.index, job.submission.target_task_run_status.value),
                "taskRunStatusCounts": counts,
                "taskFailureRetryCount": job.retry_total,
                "maxFailedTasksCount": job.max_failed,
                "maxRetriesPerTask": job.max_retries,
            }
            if job.max_worker_count >= 0:
                summary["maxWorkerCount"] = job.max_worker_count
            if job.index in self._job_updated:
                summary["updatedAt"] = self._job_updated[job.index]
                summary["updatedBy"] = CREATED_BY
            if job.started_at == job.started_at:
                summary["startedAt"] = self._time(job.started_at)
            if job.ended_at == job.ended_at:
                summary["endedAt"] = self._time(job.ended_at)
            out.append(summary)
        return out

    def _starting_by_job(self, now: float) -> dict[int, int]:
        """Tasks whose session is still setting up (STARTING), by job."""
        starting: dict[int, int] = {}
        for w in self._sim.workers:
            if w.job is not None and not w.started_at <= now:
                starting[w.job.index] = starting.get(w.job.index, 0) + 1
        return starting

    def _index_jobs(self) -> None:
        """Ids of the jobs submitted since the last call (made in one vector operation)."""
        known, total = len(self._job_ids), len(self._sim.control.jobs)
        if total > known:
            new = [f"job-{h}" for h in hex32s("job", self._sim.seed, np.arange(known, total))]
            self._jobs.update(zip(new, range(known, total), strict=True))
            self._job_ids.extend(new)

    def _job(self, params: dict[str, Any], operation: str) -> JobState:
        queue = self._queue(params, operation)
        self._index_jobs()
        index = self._jobs.get(params["jobId"])
        job = None if index is None else self._sim.control.jobs[index]
        if job is None or job.queue_index != queue:
            raise not_found(operation, "job", params["jobId"])
        return job

    def _index_steps(self) -> None:
        """Ids of the steps created since the last call (one vector operation)."""
        known, total = len(self._step_ids), len(self._sim.control.steps)
        if total > known:
            new = [f"step-{h}" for h in
                   hex32s("step", self._sim.seed, np.arange(known, total))]
            self._steps.update(zip(new, range(known, total), strict=True))
            self._step_ids.extend(new)

    def _step(self, params: dict[str, Any], operation: str) -> StepState:
        """The step ``params["stepId"]`` of the job ``params["jobId"]`` (of the queue)."""
        job = self._job(params, operation)
        self._index_steps()
        index = self._steps.get(params["stepId"])
        step = None if index is None else self._sim.control.steps[index]
        if step is None or step.job is not job:
            raise not_found(operation, "step", params["stepId"])
        return step

    def _task(self, params: dict[str, Any], operation: str) -> tuple[StepState, int]:
        """The step and number of the task ``params["taskId"]`` (``task-<step hex>-<n>``) of
        the step ``params["stepId"]``."""
        step = self._step(params, operation)
        task_id: str = params["taskId"]
        prefix = f"task-{self._step_ids[step.gidx][5:]}-"
        number = task_id[len(prefix):]
        if (not task_id.startswith(prefix) or not number.isdigit()
                or (len(number) > 1 and number[0] == "0") or int(number) >= step.task_count):
            raise not_found(operation, "task", task_id)
        return step, int(number)

    # ------------------------------------------------------------------ requests

    def _request(self, operation: str, params: dict[str, Any]) -> None:
        problems = request_problems(operation, params)
        if problems:
            raise error("ValidationException", operation,
                        "; ".join(f"{p.path}: {p.message}" for p in problems),
                        reason="FIELD_VALIDATION_FAILED",
                        fieldList=[{"name": p.path, "message": p.message} for p in problems])
        if "farmId" in params and params["farmId"] != self._farm_id:
            raise not_found(operation, "farm", params["farmId"])

    def _queue(self, params: dict[str, Any], operation: str) -> int:
        return self._id(params, "queueId", self._queues, "queue", operation)

    @staticmethod
    def _id(params: dict[str, Any], key: str, known: dict[str, int], kind: str,
            operation: str) -> int:
        index = known.get(params[key])
        if index is None:
            raise not_found(operation, kind, params[key])
        return index

    def _time(self, seconds: float) -> dt.datetime:
        return self._start + dt.timedelta(seconds=seconds)


def invalid(operation: str, field: str, message: str) -> Exception:
    return error("ValidationException", operation, f"{field} {message}",
                 reason="FIELD_VALIDATION_FAILED",
                 fieldList=[{"name": field, "message": message}])


def not_found(operation: str, kind: str, resource_id: str) -> Exception:
    return error("ResourceNotFoundException", operation,
                 f"{kind} {resource_id} does not exist", resourceId=resource_id,
                 resourceType=kind)


def window(size: int, params: dict[str, Any]) -> tuple[int, int, str | None]:
    """The slice of a list of ``size`` items that a page of ``params`` covers, and the token
    of the next page (None: the last)."""
    token = params.get("nextToken")
    start = 0
    if token is not None:
        if not token.isdigit() or int(token) > size:
            raise error("ValidationException", "List", f"nextToken {token!r} is not valid",
                        reason="OTHER", fieldList=[{"name": "nextToken",
                                                    "message": "not a token of this list"}])
        start = int(token)
    stop = min(size, start + params.get("maxResults", 100))
    return start, stop, (str(stop) if stop < size else None)


def page(items: list[dict[str, Any]], params: dict[str, Any]
          ) -> tuple[list[dict[str, Any]], str | None]:
    start, stop, token = window(len(items), params)
    return items[start:stop], token


def with_token(response: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token is not None:
        response["nextToken"] = token
    return response


_STATUS_NAMES = [s.value for s in sorted(TASK_STATUS_CODES, key=TASK_STATUS_CODES.__getitem__)]


@functools.cache
def _paged() -> frozenset[str]:
    """Operations (snake_case) whose requests take a ``nextToken``."""
    model = service_model()
    out = set()
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        if shape is not None and "nextToken" in shape.members:
            out.add(xform_name(name))
    return frozenset(out)
