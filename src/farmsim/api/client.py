"""``Simulation.client()``: Deadline Cloud's API, boto3-shaped, on the simulated farm.

Operations have boto3's snake_case names, take the API's camelCase keyword arguments and
return the API's camelCase responses, at the simulation's current time: timestamps are the
scenario's ``start`` (UTC when it names no zone; the Unix epoch when it has none) plus the
simulated seconds. Ids are the ones the run's tables use.

Every request is first checked as botocore checks it before sending (``ParamValidationError``)
and then as the service does (a ``ValidationException`` listing each field in ``fieldList``).
List operations page with ``maxResults`` and ``nextToken``.

This release reads the farm (farm, queues, fleets, workers, limits, associations) and its
jobs, creates jobs
(CreateJob), and changes a limit's ``maxCount`` (UpdateLimit) and a job's priority,
``maxWorkerCount``, retry settings and name (UpdateJob); the other operations that change the
farm come with the rest of issue 11.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import yaml

from farmsim._documents import load_yaml
from farmsim.api._base import CREATED_BY, ClientBase, invalid, not_found, page, window, with_token
from farmsim.api._entities import EntityReads
from farmsim.api._search import Search
from farmsim.api._statistics import Statistics
from farmsim.api.errors import NotModelledError, error
from farmsim.errors import TemplateError
from farmsim.model.config import (
    DEFAULT_MAX_FAILED_TASKS_COUNT,
    DEFAULT_MAX_RETRIES_PER_TASK,
    JobSubmission,
)
from farmsim.model.enums import (
    TASK_STATUS_CODES,
    WORKER_STATUS_CODES,
    CreateJobTargetTaskRunStatus,
    TaskRunStatus,
)
from farmsim.templates import Template, expand_job, load_template

if TYPE_CHECKING:

    pass

__all__ = ["DeadlineClient"]

_RUNNING = TASK_STATUS_CODES[TaskRunStatus.RUNNING]
_READY = TASK_STATUS_CODES[TaskRunStatus.READY]


class DeadlineClient(EntityReads, Search, Statistics, ClientBase):
    """A boto3-shaped Deadline Cloud client of one simulation (``sim.client()``)."""

    # ------------------------------------------------------------------ farm

    def get_farm(self, **params: Any) -> dict[str, Any]:
        self._request("GetFarm", params)
        return self._farm_summary() | {"costScaleFactor": 1.0}

    def list_farms(self, **params: Any) -> dict[str, Any]:
        self._request("ListFarms", params)
        items, token = page([self._farm_summary()], params)
        return with_token({"farms": items}, token)

    def _farm_summary(self) -> dict[str, Any]:
        return {"farmId": self._farm_id, "displayName": self._sim.scenario.farm.display_name,
                "createdAt": self._start, "createdBy": CREATED_BY}

    # ------------------------------------------------------------------ queues

    def get_queue(self, **params: Any) -> dict[str, Any]:
        self._request("GetQueue", params)
        index = self._queue(params, "GetQueue")
        config = self._sim.scenario.farm.queues[index]
        return self._queue_summary(index, self._scheduling()) | {
            "schedulingConfiguration": {config.scheduling.policy:
                                        dict(config.scheduling.parameters)}}

    def list_queues(self, **params: Any) -> dict[str, Any]:
        self._request("ListQueues", params)
        busy = self._scheduling()
        summaries = [self._queue_summary(i, busy) for i in range(len(self._queue_ids))]
        if "status" in params:
            summaries = [s for s in summaries if s["status"] == params["status"]]
        items, token = page(summaries, params)
        return with_token({"queues": items}, token)

    def _queue_summary(self, index: int, busy: set[int]) -> dict[str, Any]:
        return {"farmId": self._farm_id, "queueId": self._queue_ids[index],
                "displayName": self._sim.scenario.farm.queues[index].display_name,
                "status": "SCHEDULING" if index in busy else "IDLE",
                "defaultBudgetAction": "NONE", "createdAt": self._start,
                "createdBy": CREATED_BY}

    def _scheduling(self) -> set[int]:
        """Queues with work to schedule (a job with tasks READY or in flight): SCHEDULING;
        the others are IDLE (farmsim models no budgets, so none is SCHEDULING_BLOCKED)."""
        busy: set[int] = set()
        every = len(self._queue_ids)
        for job in self._sim.control.jobs:
            counts = job.counts
            if job.queue_index not in busy and (counts[_READY] or counts[_RUNNING]):
                busy.add(job.queue_index)
                if len(busy) == every:
                    break
        return busy

    # ------------------------------------------------------------------ fleets

    def get_fleet(self, **params: Any) -> dict[str, Any]:
        self._request("GetFleet", params)
        index = self._id(params, "fleetId", self._fleets, "fleet", "GetFleet")
        return self._fleet_summary(index) | {"roleArn": _ROLE_ARN}

    def list_fleets(self, **params: Any) -> dict[str, Any]:
        self._request("ListFleets", params)
        summaries = [self._fleet_summary(i) for i in range(len(self._fleet_ids))]
        for key in ("displayName", "status"):
            if key in params:
                summaries = [s for s in summaries if s[key] == params[key]]
        items, token = page(summaries, params)
        return with_token({"fleets": items}, token)

    def _fleet_summary(self, index: int) -> dict[str, Any]:
        config = self._sim.scenario.farm.fleets[index]
        workers = self._sim.control.fleets[index].workers
        online = sum(1 for w in workers if w.online_at == w.online_at
                     and w.stopped_at != w.stopped_at)
        return {"fleetId": self._fleet_ids[index], "farmId": self._farm_id,
                "displayName": config.display_name, "status": "ACTIVE",
                "workerCount": online, "minWorkerCount": config.min_worker_count,
                "maxWorkerCount": config.max_worker_count,
                "configuration": {config.kind: config.configuration},
                "createdAt": self._start, "createdBy": CREATED_BY}

    # ------------------------------------------------------------------ workers

    def get_worker(self, **params: Any) -> dict[str, Any]:
        self._request("GetWorker", params)
        fleet = self._id(params, "fleetId", self._fleets, "fleet", "GetWorker")
        self._index_workers()
        index = self._workers.get(params["workerId"])
        if index is None or self._sim.workers[index].fleet_index != fleet:
            raise not_found("GetWorker", "worker", params["workerId"])
        return self._worker_summary(index)

    def list_workers(self, **params: Any) -> dict[str, Any]:
        """The fleet's workers, in the order they were created (stopped ones included)."""
        self._request("ListWorkers", params)
        fleet = self._id(params, "fleetId", self._fleets, "fleet", "ListWorkers")
        self._index_workers()
        mine = [w.index for w in self._sim.control.fleets[fleet].workers]
        start, stop, token = window(len(mine), params)
        return with_token({"workers": [self._worker_summary(i) for i in mine[start:stop]]},
                           token)

    def _worker_summary(self, index: int) -> dict[str, Any]:
        worker = self._sim.workers[index]
        return {"farmId": self._farm_id, "fleetId": self._fleet_ids[worker.fleet_index],
                "workerId": self._worker_ids[index], "status": _WORKER_STATUS[worker.status],
                "createdAt": self._time(worker.created_at), "createdBy": CREATED_BY}

    # ------------------------------------------------------------------ associations

    def get_queue_fleet_association(self, **params: Any) -> dict[str, Any]:
        self._request("GetQueueFleetAssociation", params)
        queue = self._queue(params, "GetQueueFleetAssociation")
        fleet = self._id(params, "fleetId", self._fleets, "fleet", "GetQueueFleetAssociation")
        if (queue, fleet) not in self._fleet_associations():
            raise not_found("GetQueueFleetAssociation", "queue-fleet association",
                             f"{params['queueId']}/{params['fleetId']}")
        return self._association(queue, "fleetId", self._fleet_ids[fleet])

    def list_queue_fleet_associations(self, **params: Any) -> dict[str, Any]:
        self._request("ListQueueFleetAssociations", params)
        pairs = self._filtered(self._fleet_associations(), params, "fleetId", self._fleets,
                               "fleet", "ListQueueFleetAssociations")
        items, token = page([self._association(q, "fleetId", self._fleet_ids[f])
                              for q, f in pairs], params)
        return with_token({"queueFleetAssociations": items}, token)

    def get_queue_limit_association(self, **params: Any) -> dict[str, Any]:
        self._request("GetQueueLimitAssociation", params)
        queue = self._queue(params, "GetQueueLimitAssociation")
        limit = self._id(params, "limitId", self._limits, "limit", "GetQueueLimitAssociation")
        if (queue, limit) not in self._limit_associations():
            raise not_found("GetQueueLimitAssociation", "queue-limit association",
                             f"{params['queueId']}/{params['limitId']}")
        return self._association(queue, "limitId", self._limit_ids[limit])

    def list_queue_limit_associations(self, **params: Any) -> dict[str, Any]:
        self._request("ListQueueLimitAssociations", params)
        pairs = self._filtered(self._limit_associations(), params, "limitId", self._limits,
                               "limit", "ListQueueLimitAssociations")
        items, token = page([self._association(q, "limitId", self._limit_ids[x])
                              for q, x in pairs], params)
        return with_token({"queueLimitAssociations": items}, token)

    def _association(self, queue: int, key: str, other: str) -> dict[str, Any]:
        """An association of the scenario (ACTIVE: associations do not change in this
        release)."""
        return {"queueId": self._queue_ids[queue], key: other, "status": "ACTIVE",
                "createdAt": self._start, "createdBy": CREATED_BY}

    def _fleet_associations(self) -> list[tuple[int, int]]:
        farm = self._sim.scenario.farm
        fleets = {f.display_name: i for i, f in enumerate(farm.fleets)}
        return [(q, fleets[name]) for q, queue in enumerate(farm.queues)
                for name in queue.fleets]

    def _limit_associations(self) -> list[tuple[int, int]]:
        farm = self._sim.scenario.farm
        limits = {lim.display_name: i for i, lim in enumerate(farm.limits)}
        return [(q, limits[name]) for q, queue in enumerate(farm.queues)
                for name in queue.limits]

    def _filtered(self, pairs: list[tuple[int, int]], params: dict[str, Any], key: str,
                  known: dict[str, int], kind: str, operation: str) -> list[tuple[int, int]]:
        if "queueId" in params:
            queue = self._queue(params, operation)
            pairs = [p for p in pairs if p[0] == queue]
        if key in params:
            other = self._id(params, key, known, kind, operation)
            pairs = [p for p in pairs if p[1] == other]
        return pairs

    # ------------------------------------------------------------------ limits

    def get_limit(self, **params: Any) -> dict[str, Any]:
        self._request("GetLimit", params)
        index = self._id(params, "limitId", self._limits, "limit", "GetLimit")
        summary = self._limit_summary(index)
        if "description" in self._limit_edits.get(index, {}):
            summary["description"] = self._limit_edits[index]["description"]
        return summary

    def list_limits(self, **params: Any) -> dict[str, Any]:
        self._request("ListLimits", params)
        items, token = page([self._limit_summary(i) for i in range(len(self._limit_ids))],
                             params)
        return with_token({"limits": items}, token)

    def update_limit(self, **params: Any) -> dict[str, Any]:
        """``maxCount`` acts at once (semantics D): runs holding units keep them; a lower
        maximum starts nothing until usage is below it; a higher one wakes idle workers for
        the work waiting on it. ``displayName`` and ``description`` change what the API
        reports (the run's tables keep the scenario's names)."""
        self._request("UpdateLimit", params)
        index = self._id(params, "limitId", self._limits, "limit", "UpdateLimit")
        if params.get("maxCount") == 0:  # (the model's documentation: "must not be 0")
            raise error("ValidationException", "UpdateLimit", "maxCount must not be 0",
                        reason="FIELD_VALIDATION_FAILED",
                        fieldList=[{"name": "maxCount", "message": "must not be 0"}])
        if "maxCount" in params:
            self._sim.control.update_limit(self._sim.control.limits[index], params["maxCount"],
                                           self._sim.env.now)
        edits: dict[str, str] = {k: params[k] for k in ("displayName", "description")
                                 if k in params}
        if edits:
            self._limit_edits.setdefault(index, {}).update(edits)
        self._limit_updated[index] = self._time(self._sim.env.now)
        return {}

    def _limit_summary(self, index: int) -> dict[str, Any]:
        config = self._sim.scenario.farm.limits[index]
        state = self._sim.control.limits[index]
        summary = {"farmId": self._farm_id, "limitId": self._limit_ids[index],
                   "currentCount": state.current, "createdAt": self._start,
                   "createdBy": CREATED_BY, "displayName": config.display_name,
                   "amountRequirementName": config.amount_requirement_name,
                   "maxCount": state.max_count}
        if index in self._limit_updated:
            summary |= {"updatedAt": self._limit_updated[index], "updatedBy": CREATED_BY}
        edits = self._limit_edits.get(index, {})
        summary["displayName"] = edits.get("displayName", summary["displayName"])
        return summary

    # ------------------------------------------------------------------ jobs

    def get_job(self, **params: Any) -> dict[str, Any]:
        self._request("GetJob", params)
        job = self._job(params, "GetJob")
        summary = self._job_summaries([job])[0]
        if job.index in self._job_descriptions:
            summary["description"] = self._job_descriptions[job.index]
        return summary

    def list_jobs(self, **params: Any) -> dict[str, Any]:
        """The queue's jobs, oldest first (``principalId`` is accepted and not filtered on:
        a simulation has one user)."""
        self._request("ListJobs", params)
        queue = self._queue(params, "ListJobs")
        jobs = [j for j in self._sim.control.jobs if j.queue_index == queue]
        start, stop, token = window(len(jobs), params)
        return with_token({"jobs": self._job_summaries(jobs[start:stop])}, token)

    def create_job(self, **params: Any) -> dict[str, Any]:
        """Submit a job now: its ``template`` (a JSON or YAML string, ``templateType``) with its
        ``parameters`` (the API's tagged values, ``{"Frames": {"string": "1-100"}}``), and the
        run settings (the service's defaults for those left out: ``maxRetriesPerTask`` 5,
        ``maxFailedTasksCount`` 20, ``maxWorkerCount`` -1, ``targetTaskRunStatus`` READY).
        The same ``clientToken`` again returns the job it created. A job created here takes
        the path of a scenario's jobs: its task durations come from the scenario's
        ``runtimes``. ``attachments``, ``storageProfileId``, ``sourceJobId`` and ``tags``
        are not modelled (:class:`~farmsim.api.errors.NotModelledError`)."""
        self._request("CreateJob", params)
        queue = self._queue(params, "CreateJob")
        token = params.get("clientToken")
        if token is not None and token in self._tokens:
            return {"jobId": self._tokens[token]}
        for member in ("attachments", "storageProfileId", "sourceJobId", "tags"):
            if member in params:
                raise NotModelledError(f"CreateJob's {member} is not modelled by this release "
                                       f"of farmsim")
        if "template" not in params:
            raise invalid("CreateJob", "template", "is required (farmsim creates jobs from "
                                                    "templates only)")
        if params.get("maxWorkerCount") == 0:
            raise invalid("CreateJob", "maxWorkerCount", "must not be 0")
        template = self._template(params["template"], params.get("templateType", "YAML"))
        values = {name: _parameter_value(name, value)
                  for name, value in params.get("parameters", {}).items()}
        try:
            structure = expand_job(template, values)
        except TemplateError as exc:
            raise invalid("CreateJob", "parameters", str(exc)) from None
        submission = JobSubmission(
            at=self._sim.env.now, queue=self._sim.scenario.farm.queues[queue].display_name,
            structure=structure, parameters=values, priority=params["priority"],
            max_worker_count=params.get("maxWorkerCount", -1),
            max_retries_per_task=params.get("maxRetriesPerTask", DEFAULT_MAX_RETRIES_PER_TASK),
            max_failed_tasks_count=params.get("maxFailedTasksCount",
                                              DEFAULT_MAX_FAILED_TASKS_COUNT),
            target_task_run_status=CreateJobTargetTaskRunStatus(
                params.get("targetTaskRunStatus", "READY")),
            name=params.get("nameOverride"),
        )
        job = self._sim.control.submit(submission, self._sim.env.now)
        if "descriptionOverride" in params:
            self._job_descriptions[job.index] = params["descriptionOverride"]
        self._index_jobs()
        job_id = self._job_ids[job.index]
        if token is not None:
            self._tokens[token] = job_id
        return {"jobId": job_id}

    def _template(self, text: str, kind: str) -> Template:
        """The decoded template of a CreateJob ``template`` string, once per content."""
        key = (kind, text)
        found = self._templates.get(key)
        if found is not None:
            return found
        try:
            document = json.loads(text) if kind == "JSON" else load_yaml(text)
        except (ValueError, RecursionError, yaml.YAMLError) as exc:  # (DocumentTooLarge: a
            # ValueError)
            raise invalid("CreateJob", "template", f"is not valid {kind}: {exc}") from None
        if not isinstance(document, dict):
            raise invalid("CreateJob", "template", f"is not a {kind} mapping")
        try:
            template = load_template(document)
        except TemplateError as exc:
            raise invalid("CreateJob", "template", str(exc)) from None
        if len(self._templates) >= _TEMPLATE_CACHE:
            self._templates.pop(next(iter(self._templates)))
        self._templates[key] = template
        return template

    def update_job(self, **params: Any) -> dict[str, Any]:
        """``priority``, ``maxWorkerCount``, ``maxRetriesPerTask``, ``maxFailedTasksCount``,
        ``name`` and ``description`` (see ``ControlPlane.update_job`` for when each acts).
        ``targetTaskRunStatus`` and ``lifecycleStatus`` are not modelled yet: asking for them
        raises :class:`~farmsim.api.errors.NotModelledError` rather than doing nothing."""
        self._request("UpdateJob", params)
        job = self._job(params, "UpdateJob")
        for member in ("targetTaskRunStatus", "lifecycleStatus"):
            if member in params:
                raise NotModelledError(f"UpdateJob's {member} is not modelled by this release "
                                       f"of farmsim (asked: {params[member]!r})")
        if params.get("maxWorkerCount") == 0:  # (the model's documentation)
            raise error("ValidationException", "UpdateJob", "maxWorkerCount must not be 0",
                        reason="FIELD_VALIDATION_FAILED",
                        fieldList=[{"name": "maxWorkerCount", "message": "must not be 0"}])
        now = self._sim.env.now
        self._sim.control.update_job(
            job, priority=params.get("priority"), max_worker_count=params.get("maxWorkerCount"),
            max_retries=params.get("maxRetriesPerTask"),
            max_failed=params.get("maxFailedTasksCount"), now=now)
        if "name" in params:
            job.name = params["name"]  # (the run's jobs table shows it too)
        if "description" in params:
            self._job_descriptions[job.index] = params["description"]
        self._job_updated[job.index] = self._time(now)
        return {}

_TRUE = {"true", "yes", "on", "1"}


def _parameter_value(name: str, tagged: dict[str, Any]) -> Any:
    """A job parameter's value from the API's tagged union (botocore has checked that exactly
    one member is set and each is a string or a list of them)."""
    (kind, value), = tagged.items()
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            return value.lower() in _TRUE
        if kind == "intList":
            return [int(v) for v in value]
        if kind == "floatList":
            return [float(v) for v in value]
        if kind == "boolList":
            return [v.lower() in _TRUE for v in value]
        if kind == "intListList":
            return [[int(v) for v in inner] for inner in value]
    except ValueError:
        raise invalid("CreateJob", f"parameters.{name}.{kind}",
                       f"{value!r} is not a valid {kind}") from None
    return value  # string, path, rangeExpr, stringList, pathList



_WORKER_STATUS = {code: status.value for status, code in WORKER_STATUS_CODES.items()}
#: Decoded CreateJob templates kept per client (the oldest goes first).
_TEMPLATE_CACHE = 256
#: A fleet's role (required by GetFleet; a simulation has no IAM).
_ROLE_ARN = "arn:aws:iam::000000000000:role/farmsim-fleet"
