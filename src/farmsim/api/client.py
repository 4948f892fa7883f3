"""``Simulation.client()``: Deadline Cloud's API, boto3-shaped, on the simulated farm.

Operations have boto3's snake_case names, take the API's camelCase keyword arguments and
return the API's camelCase responses, at the simulation's current time: timestamps are the
scenario's ``start`` (UTC when it names no zone; the Unix epoch when it has none) plus the
simulated seconds. Ids are the ones the run's tables use.

Every request is first checked as botocore checks it before sending (``ParamValidationError``)
and then as the service does (a ``ValidationException`` listing each field in ``fieldList``).
List operations page with ``maxResults`` and ``nextToken``.

This release reads the farm (farm, queues, fleets, workers, limits, associations, budgets)
and its
jobs, creates jobs
(CreateJob), and changes a limit's ``maxCount`` (UpdateLimit) and a job's priority,
``maxWorkerCount``, retry settings and name (UpdateJob); the other operations that change the
farm come with the rest of issue 11.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
from typing import TYPE_CHECKING, Any

import yaml
from botocore import xform_name
from botocore.exceptions import ClientError

from farmsim._documents import load_yaml
from farmsim.api._base import CREATED_BY, ClientBase, invalid, not_found, page, window, with_token
from farmsim.api._entities import EntityReads
from farmsim.api._model import service_model
from farmsim.api._search import Search
from farmsim.api._statistics import Statistics
from farmsim.api.errors import NotModelledError, NotModelledOperation, error
from farmsim.errors import FarmsimError, TemplateError
from farmsim.model.capabilities import FleetCapabilities
from farmsim.model.config import (
    DEFAULT_MAX_FAILED_TASKS_COUNT,
    DEFAULT_MAX_RETRIES_PER_TASK,
    DEFAULT_SCRIPT_TIMEOUT_S,
    AutoScaling,
    FarmConfig,
    JobSubmission,
    LimitConfig,
    SchedulingConfig,
)
from farmsim.model.enums import (
    TASK_STATUS_CODES,
    WORKER_STATUS_CODES,
    AutoScalingMode,
    CreateJobTargetTaskRunStatus,
    TaskRunStatus,
)
from farmsim.record.ids import make_id
from farmsim.scenario.size import (
    WORKER_BYTES,
    MemoryBudget,
    format_bytes,
    job_too_big,
    memory_budget,
)
from farmsim.scheduling import POLICIES, make_policy
from farmsim.templates import Template, expand_job, load_environment_template, load_template

if TYPE_CHECKING:
    from farmsim.engine.simulation import Simulation
    from farmsim.model.state import JobState, StepState

__all__ = ["DeadlineClient"]

#: The end GetBudget reports for a budget the scenario gave no schedule (it runs for the whole
#: simulation).
_NO_END = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)

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

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        #: What UpdateQueue / UpdateFleet changed that the engine does not keep (what the API
        #: reports back), and when each was last updated.
        self._queue_edits: dict[int, dict[str, Any]] = {}
        self._queue_updated: dict[int, dt.datetime] = {}
        self._fleet_edits: dict[int, dict[str, Any]] = {}
        self._fleet_updated: dict[int, dt.datetime] = {}
        #: Queue-fleet associations' statuses set by a user (ACTIVE otherwise), and when.
        self._qfa_status: dict[tuple[int, int], str] = {}
        self._qfa_updated: dict[tuple[int, int], dt.datetime] = {}
        #: Each queue's environments as the API reports them (read once per queue).
        self._queue_envs: dict[int, list[dict[str, Any]]] = {}
        self._step_targets = {}
        self._task_targets = {}

    if not TYPE_CHECKING:  # (mypy keeps checking attribute names)
        def __getattr__(self, name: str) -> Any:
            operation = _operations().get(name)
            if operation is not None:
                raise NotModelledOperation(
                    f"farmsim does not model the {operation} operation (sim.client() has no "
                    f"{name}; see README.md, What is not in this release)")
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # ------------------------------------------------------------------ queues

    def get_queue(self, **params: Any) -> dict[str, Any]:
        self._request("GetQueue", params)
        index = self._queue(params, "GetQueue")
        config = self._sim.scenario.farm.queues[index]
        summary = self._queue_summary(index, self._scheduling())
        if config.scheduling.policy in POLICIES:  # (a custom policy has no API shape)
            summary["schedulingConfiguration"] = {config.scheduling.policy:
                                                  dict(config.scheduling.parameters)}
        edits = self._queue_edits.get(index, {})
        for key in ("description", "roleArn", "jobAttachmentSettings", "jobRunAsUser",
                    "requiredFileSystemLocationNames"):
            if key in edits:
                summary[key] = edits[key]
        return summary

    def list_queues(self, **params: Any) -> dict[str, Any]:
        self._request("ListQueues", params)
        busy = self._scheduling()
        summaries = [self._queue_summary(i, busy) for i in range(len(self._queue_ids))]
        if "status" in params:
            summaries = [s for s in summaries if s["status"] == params["status"]]
        items, token = page(summaries, params)
        return with_token({"queues": items}, token)

    def update_queue(self, **params: Any) -> dict[str, Any]:
        """``schedulingConfiguration`` acts at once: the queue's jobs that have not ended are
        filed with the new policy (``ControlPlane.set_policy``). ``displayName``,
        ``description``, ``roleArn``, ``jobRunAsUser``, ``jobAttachmentSettings`` and the
        required file system location names change what GetQueue reports (a simulation runs
        no processes as users and moves no files; the run's tables keep the scenario's
        names). ``defaultBudgetAction`` NONE is the only one modelled (the action of a queue
        with no budget: farmsim's budgets come from the scenario's ``farm.budgets``), and
        storage profiles do not exist on a simulated farm."""
        operation = "UpdateQueue"
        self._request(operation, params)
        index = self._queue(params, operation)
        if params.get("defaultBudgetAction", "NONE") != "NONE":
            raise NotModelledError(
                f"UpdateQueue defaultBudgetAction {params['defaultBudgetAction']} is not "
                f"modelled by this release of farmsim (NONE only: a queue without a budget is "
                f"never blocked)")
        for key in ("allowedStorageProfileIdsToAdd", "allowedStorageProfileIdsToRemove"):
            if params.get(key):
                raise not_found(operation, "storage profile", params[key][0])
        scheduling = params.get("schedulingConfiguration")
        if scheduling is not None:
            self._set_scheduling(index, scheduling, operation)
        edits = self._queue_edits.setdefault(index, {})
        for key in ("displayName", "description", "roleArn", "jobRunAsUser",
                    "jobAttachmentSettings"):
            if key in params:
                edits[key] = params[key]
        names = list(edits.get("requiredFileSystemLocationNames", ()))
        names += [n for n in params.get("requiredFileSystemLocationNamesToAdd", ())
                  if n not in names]
        gone = set(params.get("requiredFileSystemLocationNamesToRemove", ()))
        if "requiredFileSystemLocationNames" in edits or names:
            edits["requiredFileSystemLocationNames"] = [n for n in names if n not in gone]
        self._queue_updated[index] = self._time(self._sim.env.now)
        return {}

    def _set_scheduling(self, index: int, scheduling: dict[str, Any], operation: str) -> None:
        """A queue's new schedulingConfiguration (botocore has checked it is one member)."""
        (policy, parameters), = scheduling.items()
        if policy not in POLICIES:
            raise NotModelledError(
                f"{operation} schedulingConfiguration {policy} is not modelled by this release "
                f"of farmsim (it simulates {', '.join(sorted(POLICIES))})")
        farm = self._sim.scenario.farm
        # (the queue's own settings, its scenario's ``simulation`` section, stay)
        settings = farm.queues[index].scheduling.settings
        given = dict(parameters)
        try:
            made = make_policy(policy, given, settings)
        except (TypeError, ValueError) as exc:
            raise invalid(operation, f"schedulingConfiguration.{policy}", str(exc)) from None
        control = self._sim.control
        control.set_policy(control.queues[index], made,
                           functools.partial(make_policy, policy, given, settings))
        queues = list(farm.queues)
        queues[index] = dataclasses.replace(
            queues[index], scheduling=SchedulingConfig(policy=policy, parameters=given,
                                                       settings=settings))
        self._set_farm(dataclasses.replace(farm, queues=tuple(queues)))

    def _queue_summary(self, index: int, busy: set[int]) -> dict[str, Any]:
        edits = self._queue_edits.get(index, {})
        summary = {"farmId": self._farm_id, "queueId": self._queue_ids[index],
                   "displayName": edits.get("displayName",
                                            self._sim.scenario.farm.queues[index].display_name),
                   "status": "SCHEDULING" if index in busy else "IDLE",
                   "defaultBudgetAction": "NONE", "createdAt": self._start,
                   "createdBy": CREATED_BY}
        budgets = self._sim.budgets
        if budgets is not None and budgets.blocks(index):
            # A budget's action stopped it (engine/budgets.py; semantics C.8).
            summary |= {"status": "SCHEDULING_BLOCKED",
                        "blockedReason": "BUDGET_THRESHOLD_REACHED"}
        if index in self._queue_updated:
            summary |= {"updatedAt": self._queue_updated[index], "updatedBy": CREATED_BY}
        return summary

    def _scheduling(self) -> set[int]:
        """Queues with work to schedule (a job with tasks READY or in flight): SCHEDULING;
        the others are IDLE (a queue a budget's action stopped is SCHEDULING_BLOCKED
        whatever its work, :meth:`_queue_summary`)."""
        busy: set[int] = set()
        every = len(self._queue_ids)
        for job in self._sim.control.jobs:
            counts = job.counts
            if job.queue_index not in busy and (counts[_READY] or counts[_RUNNING]):
                busy.add(job.queue_index)
                if len(busy) == every:
                    break
        return busy

    # ------------------------------------------------------------------ budgets

    def get_budget(self, **params: Any) -> dict[str, Any]:
        """A budget of the scenario's ``farm.budgets`` now: ``usages.approximateDollarUsage``
        is what it has counted (every ``budget_interval``), ``queueStoppedAt`` when its first
        action stopped its queue. A budget without a ``schedule`` in the scenario runs for
        the whole simulation: it reports one from t=0 to 9999-12-31T23:59:59Z."""
        self._request("GetBudget", params)
        index = self._budget_index(params, "GetBudget")
        budgets = self._sim.budgets
        state = budgets.budgets[index] if budgets is not None else None
        config = self._sim.scenario.farm.budgets[index]
        summary = self._budget_summary(index)
        actions = []
        for action in config.actions:
            item: dict[str, Any] = {"type": action.type,
                                    "thresholdPercentage": action.threshold_percentage}
            if action.description is not None:
                item["description"] = action.description
            actions.append(item)
        start = (dt.datetime.fromisoformat(config.start_time) if config.start_time is not None
                 else self._start)
        end = (dt.datetime.fromisoformat(config.end_time) if config.end_time is not None
               else _NO_END)
        summary |= {"actions": actions, "schedule": {"fixed": {"startTime": start,
                                                               "endTime": end}}}
        if state is not None and state.stopped_at is not None:
            summary["queueStoppedAt"] = self._time(state.stopped_at)
        return summary

    def list_budgets(self, **params: Any) -> dict[str, Any]:
        self._request("ListBudgets", params)
        summaries = [self._budget_summary(i)
                     for i in range(len(self._sim.scenario.farm.budgets))]
        if "status" in params:
            summaries = [s for s in summaries if s["status"] == params["status"]]
        items, token = page(summaries, params)
        return with_token({"budgets": items}, token)

    def _budget_index(self, params: dict[str, Any], operation: str) -> int:
        ids = {make_id("budget", self._sim.seed, i): i
               for i in range(len(self._sim.scenario.farm.budgets))}
        return self._id(params, "budgetId", ids, "budget", operation)

    def _budget_summary(self, index: int) -> dict[str, Any]:
        """ListBudgets' item: ACTIVE while now is inside the budget's schedule."""
        config = self._sim.scenario.farm.budgets[index]
        budgets = self._sim.budgets
        state = budgets.budgets[index] if budgets is not None else None
        now = self._sim.env.now
        queue = self._sim.control.farm.queue_by_name[config.queue].index
        summary: dict[str, Any] = {
            "budgetId": make_id("budget", self._sim.seed, index),
            "usageTrackingResource": {"queueId": self._queue_ids[queue]},
            "status": ("ACTIVE" if state is None or state.start <= now <= state.end
                       else "INACTIVE"),
            "displayName": config.display_name,
            "approximateDollarLimit": config.approximate_dollar_limit,
            "usages": {"approximateDollarUsage": state.spent if state is not None else 0.0},
            "createdBy": CREATED_BY, "createdAt": self._start,
        }
        if config.description is not None:
            summary["description"] = config.description
        return summary

    # ------------------------------------------------------------------ queue environments

    def get_queue_environment(self, **params: Any) -> dict[str, Any]:
        operation = "GetQueueEnvironment"
        self._request(operation, params)
        queue = self._queue(params, operation)
        for env in self._environments(queue):
            if env["queueEnvironmentId"] == params["queueEnvironmentId"]:
                return dict(env)
        raise not_found(operation, "queue environment", params["queueEnvironmentId"])

    def list_queue_environments(self, **params: Any) -> dict[str, Any]:
        """The queue's environments, in the order a session enters them."""
        operation = "ListQueueEnvironments"
        self._request(operation, params)
        queue = self._queue(params, operation)
        items, token = page([{k: env[k] for k in ("queueEnvironmentId", "name", "priority")}
                             for env in self._environments(queue)], params)
        return with_token({"environments": items}, token)

    def _environments(self, queue: int) -> list[dict[str, Any]]:
        """The scenario's ``farm.queues[queue].environments`` as GetQueueEnvironment reports
        them, by priority; each template as the JSON document farmsim decoded."""
        found = self._queue_envs.get(queue)
        if found is not None:
            return found
        raw = self._sim.scenario.raw or {}
        queues = (raw.get("farm") or {}).get("queues") or []
        items = (queues[queue].get("environments") or []) if queue < len(queues) else []
        before = sum(len(q.environments) for q in self._sim.scenario.farm.queues[:queue])
        listed: list[tuple[int, int, dict[str, Any]]] = []
        for i, item in enumerate(items):
            try:
                template = load_environment_template(item["template"],
                                                     base_dir=self._sim.scenario.base_dir)
            except (FarmsimError, OSError, KeyError, TypeError):  # (the loader refused it)
                continue
            document = template.model_dump(mode="json", exclude_none=True)
            listed.append((int(item.get("priority", 0)), i, {
                "name": template.environment.name, "priority": int(item.get("priority", 0)),
                "templateType": "JSON", "template": json.dumps(document),
                "createdAt": self._start, "createdBy": CREATED_BY}))
        listed.sort(key=lambda entry: entry[:2])
        found = []
        for number, (_, _, env) in enumerate(listed):
            found.append({"queueEnvironmentId": make_id("queueenv", self._sim.seed,
                                                        before + number)} | env)
        self._queue_envs[queue] = found
        return found

    # ------------------------------------------------------------------ fleets

    def get_fleet(self, **params: Any) -> dict[str, Any]:
        self._request("GetFleet", params)
        index = self._id(params, "fleetId", self._fleets, "fleet", "GetFleet")
        summary = self._fleet_summary(index) | {"roleArn": _ROLE_ARN}
        capabilities = _capabilities(self._sim.control.fleets[index].capabilities)
        if capabilities:
            summary["capabilities"] = capabilities
        edits = self._fleet_edits.get(index, {})
        host = self._sim.scenario.farm.fleets[index].host_configuration
        if host is not None:
            summary["hostConfiguration"] = {"scriptTimeoutSeconds": DEFAULT_SCRIPT_TIMEOUT_S,
                                            **host}
        for key in ("description", "roleArn"):
            if key in edits:
                summary[key] = edits[key]
        return summary

    def list_fleets(self, **params: Any) -> dict[str, Any]:
        self._request("ListFleets", params)
        summaries = [self._fleet_summary(i) for i in range(len(self._fleet_ids))]
        for key in ("displayName", "status"):
            if key in params:
                summaries = [s for s in summaries if s[key] == params[key]]
        items, token = page(summaries, params)
        return with_token({"fleets": items}, token)

    def update_fleet(self, **params: Any) -> dict[str, Any]:
        """``minWorkerCount``/``maxWorkerCount`` of a serviceManagedEc2 fleet: a fleet that
        scales (bounds apart) scales between the new ones from now on, with its
        ``autoScalingConfiguration`` (``farmsim.engine.autoscaling``); a fixed one (equal
        bounds) is resized now: more workers start at once, fewer retire idle workers first,
        newest first, then busy ones, which finish their task run. A customerManaged
        fleet's bounds must keep its running hosts between them (its hosts are the
        customer's). ``configuration`` (of the fleet's own kind) changes the capabilities
        jobs created from now on are matched against. ``displayName``, ``description``,
        ``roleArn`` change what GetFleet reports (the run's tables keep the scenario's names).
        A customerManaged fleet in EVENT_BASED_AUTO_SCALING mode scales like a
        serviceManagedEc2 one, except that the service only recommends its sizes and the fleet
        takes each one its ``scaling_lag`` later (even with equal bounds: the customer's
        automation sizes it); its ``mode`` cannot change. ``hostConfiguration`` is the
        script the fleet's workers run from now on as they start (a ``scriptBody`` of ""
        removes it), for the fleet's ``simulation.host_configuration_time``."""
        operation = "UpdateFleet"
        self._request(operation, params)
        index = self._id(params, "fleetId", self._fleets, "fleet", operation)
        farm = self._sim.scenario.farm
        config = farm.fleets[index]
        changes: dict[str, Any] = {}
        if "configuration" in params:
            (kind, configuration), = params["configuration"].items()
            if kind != config.kind:
                raise invalid(operation, "configuration",
                              f"must be {config.kind} (the fleet's kind; got {kind})")
            if kind == "customerManaged" and configuration.get("mode") != config.mode:
                raise NotModelledError(
                    f"{operation}: changing a customerManaged fleet's mode (from {config.mode} "
                    f"to {configuration.get('mode')}) is not modelled by this release of "
                    "farmsim")
            changes["configuration"] = configuration
        low = params.get("minWorkerCount", config.min_worker_count)
        high = params.get("maxWorkerCount", config.max_worker_count)
        if low > high:
            raise invalid(operation, "minWorkerCount",
                          f"must not exceed maxWorkerCount (got {low} > {high})")
        fleet = self._sim.control.fleets[index]
        bounds = (low, high) != (config.min_worker_count, config.max_worker_count)
        recommended = config.mode == AutoScalingMode.EVENT_BASED_AUTO_SCALING
        if (config.kind == "serviceManagedEc2" or recommended) and (
                bounds or "configuration" in changes):
            added = high - self._sim.pool.live(fleet)
            budget = self._budget
            if added > 0 and budget is not None and added * WORKER_BYTES > budget.bytes:
                raise error("ServiceQuotaExceededException", operation,
                            f"{added:,} more workers cannot be simulated: they need an "
                            f"estimated {format_bytes(added * WORKER_BYTES)} of memory, "
                            f"more than {budget.describe()}",
                            reason="SERVICE_QUOTA_EXCEEDED_EXCEPTION",
                            resourceType="worker", serviceCode="deadline",
                            quotaCode="farmsim-simulation-memory")
            if low == high and fleet.autoscaler is None and not recommended:
                if bounds:  # a fixed fleet stays fixed
                    self._sim.pool.resize(fleet, high)
                    changes["worker_count"] = high
            elif low < high or fleet.autoscaler is not None or bounds:
                settings = _autoscaling(changes.get("configuration", config.configuration))
                self._sim.scale(index, low, high, settings, lag=config.scaling_lag)
                changes["autoscaling"] = settings
            if bounds:
                changes |= {"min_worker_count": low, "max_worker_count": high}
        elif bounds:  # a customerManaged fleet
            running = self._sim.pool.live(fleet)
            if not low <= running <= high:
                raise invalid(operation, "maxWorkerCount" if running > high
                              else "minWorkerCount",
                              f"a customerManaged fleet keeps its {running} running hosts "
                              f"between minWorkerCount and maxWorkerCount (got {low}..{high})")
            changes |= {"min_worker_count": low, "max_worker_count": high}
        if "configuration" in changes:
            fleet.capabilities = FleetCapabilities.from_configuration(changes["configuration"])
        if "hostConfiguration" in params:
            host = dict(params["hostConfiguration"])
            changes["host_configuration"] = host if host.get("scriptBody") else None
        if changes:
            fleets = list(farm.fleets)
            fleets[index] = dataclasses.replace(config, **changes)
            self._set_farm(dataclasses.replace(farm, fleets=tuple(fleets)))
            self._sim.pool.host_configs[index] = fleets[index].host_script
        edits = self._fleet_edits.setdefault(index, {})
        for key in ("displayName", "description", "roleArn"):
            if key in params:
                edits[key] = params[key]
        self._fleet_updated[index] = self._time(self._sim.env.now)
        return {}

    def _fleet_summary(self, index: int) -> dict[str, Any]:
        config = self._sim.scenario.farm.fleets[index]
        workers = self._sim.control.fleets[index].workers
        online = sum(1 for w in workers if w.online_at == w.online_at
                     and w.stopped_at != w.stopped_at)
        summary = {"fleetId": self._fleet_ids[index], "farmId": self._farm_id,
                   "displayName": self._fleet_edits.get(index, {}).get("displayName",
                                                                       config.display_name),
                   "status": "ACTIVE",
                   "workerCount": online, "minWorkerCount": config.min_worker_count,
                   "maxWorkerCount": config.max_worker_count,
                   "configuration": {config.kind: config.configuration},
                   "createdAt": self._start, "createdBy": CREATED_BY}
        scaler = self._sim.control.fleets[index].autoscaler
        if scaler is not None:
            summary |= {"autoScalingStatus": scaler.status,
                        "targetWorkerCount": scaler.target}
        if index in self._fleet_updated:
            summary |= {"updatedAt": self._fleet_updated[index], "updatedBy": CREATED_BY}
        return summary

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
        return self._fleet_association(queue, fleet)

    def list_queue_fleet_associations(self, **params: Any) -> dict[str, Any]:
        self._request("ListQueueFleetAssociations", params)
        pairs = self._filtered(self._fleet_associations(), params, "fleetId", self._fleets,
                               "fleet", "ListQueueFleetAssociations")
        items, token = page([self._fleet_association(q, f) for q, f in pairs], params)
        return with_token({"queueFleetAssociations": items}, token)

    def update_queue_fleet_association(self, **params: Any) -> dict[str, Any]:
        """``status`` STOP_SCHEDULING_AND_COMPLETE_TASKS (the fleet's workers take no new task
        of the queue; their runs of it finish), STOP_SCHEDULING_AND_CANCEL_TASKS (those runs
        are stopped now, their tasks READY again without a retry counted), or ACTIVE again.
        A stopped association is STOPPED as soon as no worker of the fleet runs a task of the
        queue or exits a session of it (the service takes a while; farmsim adds no delay).
        ACTIVE on a queue a budget blocked (SCHEDULING_BLOCKED, BUDGET_THRESHOLD_REACHED) sets
        the association's status; the queue stays blocked by its budget."""
        operation = "UpdateQueueFleetAssociation"
        self._request(operation, params)
        queue = self._queue(params, operation)
        fleet = self._id(params, "fleetId", self._fleets, "fleet", operation)
        if (queue, fleet) not in self._fleet_associations():
            raise not_found(operation, "queue-fleet association",
                            f"{params['queueId']}/{params['fleetId']}")
        status, now = params["status"], self._sim.env.now
        control = self._sim.control
        queue_state, fleet_state = control.queues[queue], control.fleets[fleet]
        budgets = self._sim.budgets
        if status == "ACTIVE":
            if budgets is None or not budgets.blocks(queue):
                control.resume_scheduling(queue_state, fleet_state, now)
        else:
            control.stop_scheduling(queue_state, fleet_state, now,
                                    cancel=status == "STOP_SCHEDULING_AND_CANCEL_TASKS")
        self._qfa_status[queue, fleet] = status
        self._qfa_updated[queue, fleet] = self._time(now)
        return {}

    def _qfa_state(self, queue: int, fleet: int) -> str:
        """The association's status now: a STOP_* one is STOPPED once drained."""
        status = self._qfa_status.get((queue, fleet), "ACTIVE")
        if status.startswith("STOP_SCHEDULING"):
            control = self._sim.control
            if not control.scheduling_holders(control.queues[queue], control.fleets[fleet]):
                status = self._qfa_status[queue, fleet] = "STOPPED"
        return status

    def _fleet_association(self, queue: int, fleet: int) -> dict[str, Any]:
        summary = self._association(queue, "fleetId", self._fleet_ids[fleet])
        summary["status"] = self._qfa_state(queue, fleet)
        if (queue, fleet) in self._qfa_updated:
            summary |= {"updatedAt": self._qfa_updated[queue, fleet], "updatedBy": CREATED_BY}
        return summary

    def get_queue_limit_association(self, **params: Any) -> dict[str, Any]:
        self._request("GetQueueLimitAssociation", params)
        queue, limit = self._limit_pair(params, "GetQueueLimitAssociation")
        return self._limit_association(queue, limit)

    def list_queue_limit_associations(self, **params: Any) -> dict[str, Any]:
        self._request("ListQueueLimitAssociations", params)
        pairs = self._filtered(self._limit_associations(), params, "limitId", self._limits,
                               "limit", "ListQueueLimitAssociations")
        items, token = page([self._limit_association(q, x) for q, x in pairs], params)
        return with_token({"queueLimitAssociations": items}, token)

    def create_queue_limit_association(self, **params: Any) -> dict[str, Any]:
        """Jobs of the queue submitted from now on use the limit (ACTIVE). Refused when the
        queue already has it, or another limit of the same amountRequirementName."""
        operation = "CreateQueueLimitAssociation"
        self._request(operation, params)
        queue = self._queue(params, operation)
        limit = self._live_limit(params, operation)
        farm = self._sim.scenario.farm
        amount = farm.limits[limit].amount_requirement_name
        for q, other in self._limit_associations():
            if q == queue and (other == limit or farm.limits[other].amount_requirement_name
                               .lower() == amount.lower()):
                raise error("ConflictException", operation,
                            f"queue {self._queue_ids[queue]} already has a limit for {amount}"
                            f" ({self._limit_ids[other]})", reason="RESOURCE_ALREADY_EXISTS",
                            resourceId=self._limit_ids[other],
                            resourceType="queue-limit association")
        self._set_queue_limits(queue, (*farm.queues[queue].limits,
                                       farm.limits[limit].display_name))
        self._sim.control.associate_limit(self._sim.control.queues[queue],
                                          self._sim.control.limits[limit], amount)
        self._qla_status[queue, limit] = "ACTIVE"
        self._qla_times[queue, limit] = (self._time(self._sim.env.now), None)
        return {}

    def update_queue_limit_association(self, **params: Any) -> dict[str, Any]:
        """``status`` STOP_LIMIT_USAGE_AND_COMPLETE_TASKS (running tasks finish; no new task
        of the queue takes the limit's units, they stay READY), STOP_LIMIT_USAGE_AND_CANCEL_TASKS
        (the runs holding its units are stopped, their tasks READY again without a retry), or
        ACTIVE again. A stopped association is STOPPED as soon as no task of the queue holds
        the limit's units (the service takes a while; farmsim adds no delay)."""
        operation = "UpdateQueueLimitAssociation"
        self._request(operation, params)
        queue, limit = self._limit_pair(params, operation)
        status, now = params["status"], self._sim.env.now
        control = self._sim.control
        amount = self._sim.scenario.farm.limits[limit].amount_requirement_name
        before = self._qla_state(queue, limit)
        if status == "ACTIVE":
            if before != "ACTIVE":
                control.resume_limit_usage(control.queues[queue], control.limits[limit],
                                           amount, now)
        elif before == "ACTIVE" or status == "STOP_LIMIT_USAGE_AND_CANCEL_TASKS":
            control.stop_limit_usage(control.queues[queue], control.limits[limit], amount,
                                     now, cancel=status == "STOP_LIMIT_USAGE_AND_CANCEL_TASKS")
        self._qla_status[queue, limit] = status
        self._qla_times[queue, limit] = (self._qla_times.get(
            (queue, limit), (self._start, None))[0], self._time(now))
        return {}

    def delete_queue_limit_association(self, **params: Any) -> dict[str, Any]:
        """Only a STOPPED association can be deleted (ConflictException otherwise). Jobs of the
        queue submitted afterwards that name the limit's amount are NOT_COMPATIBLE."""
        operation = "DeleteQueueLimitAssociation"
        self._request(operation, params)
        queue, limit = self._limit_pair(params, operation)
        state = self._qla_state(queue, limit)
        if state != "STOPPED":
            raise error("ConflictException", operation,
                        f"the association of queue {self._queue_ids[queue]} and limit "
                        f"{self._limit_ids[limit]} is {state}: stop it first "
                        f"(UpdateQueueLimitAssociation) and wait until it is STOPPED",
                        reason="STATUS_CONFLICT", resourceId=self._limit_ids[limit],
                        resourceType="queue-limit association")
        farm = self._sim.scenario.farm
        name = farm.limits[limit].display_name
        self._set_queue_limits(queue, tuple(n for n in farm.queues[queue].limits if n != name))
        self._sim.control.dissociate_limit(self._sim.control.queues[queue],
                                           farm.limits[limit].amount_requirement_name)
        self._qla_status.pop((queue, limit), None)
        self._qla_times.pop((queue, limit), None)
        return {}

    def _limit_pair(self, params: dict[str, Any], operation: str) -> tuple[int, int]:
        queue = self._queue(params, operation)
        limit = self._live_limit(params, operation)
        if (queue, limit) not in self._limit_associations():
            raise not_found(operation, "queue-limit association",
                            f"{params['queueId']}/{params['limitId']}")
        return queue, limit

    def _qla_state(self, queue: int, limit: int) -> str:
        """The association's status now: a STOP_* one is STOPPED once no task of the queue
        holds the limit's units."""
        status = self._qla_status.get((queue, limit), "ACTIVE")
        if status.startswith("STOP_LIMIT_USAGE"):
            control = self._sim.control
            if not control.limit_holders(control.queues[queue], control.limits[limit]):
                status = self._qla_status[queue, limit] = "STOPPED"
        return status

    def _limit_association(self, queue: int, limit: int) -> dict[str, Any]:
        summary = self._association(queue, "limitId", self._limit_ids[limit])
        summary["status"] = self._qla_state(queue, limit)
        created, updated = self._qla_times.get((queue, limit), (self._start, None))
        summary["createdAt"] = created
        if updated is not None:
            summary |= {"updatedAt": updated, "updatedBy": CREATED_BY}
        return summary

    def _set_queue_limits(self, queue: int, names: tuple[str, ...]) -> None:
        """The scenario's farm as it is now: the queue's limits (the run's tables read it)."""
        farm = self._sim.scenario.farm
        queues = list(farm.queues)
        queues[queue] = dataclasses.replace(queues[queue], limits=names)
        self._set_farm(dataclasses.replace(farm, queues=tuple(queues)))

    def _set_farm(self, farm: FarmConfig) -> None:
        self._sim.scenario = dataclasses.replace(self._sim.scenario, farm=farm)

    def _association(self, queue: int, key: str, other: str) -> dict[str, Any]:
        """An association's summary as the scenario made it (ACTIVE, at the start)."""
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
        index = self._live_limit(params, "GetLimit")
        summary = self._limit_summary(index)
        if "description" in self._limit_edits.get(index, {}):
            summary["description"] = self._limit_edits[index]["description"]
        return summary

    def list_limits(self, **params: Any) -> dict[str, Any]:
        self._request("ListLimits", params)
        items, token = page([self._limit_summary(i) for i in range(len(self._limit_ids))
                             if i not in self._deleted_limits], params)
        return with_token({"limits": items}, token)

    def create_limit(self, **params: Any) -> dict[str, Any]:
        """A new limit, used by no queue until associated (CreateQueueLimitAssociation). Its
        license cost per hour is 0 (the scenario's ``cost_per_hour`` is farmsim's own knob).
        The same ``clientToken`` again returns the limit it created."""
        operation = "CreateLimit"
        self._request(operation, params)
        token = params.get("clientToken")
        if token is not None and ("limit", token) in self._limit_tokens:
            return {"limitId": self._limit_tokens["limit", token]}
        if params["maxCount"] == 0:
            raise invalid(operation, "maxCount", "must not be 0")
        farm = self._sim.scenario.farm
        limit = self._sim.control.create_limit(params["amountRequirementName"],
                                               params["maxCount"])
        self._set_farm(dataclasses.replace(farm, limits=(*farm.limits, LimitConfig(
            display_name=params["displayName"],
            amount_requirement_name=params["amountRequirementName"],
            max_count=params["maxCount"]))))
        index = limit.index
        limit_id = make_id("limit", self._sim.seed, index)
        self._limit_ids.append(limit_id)
        self._limits[limit_id] = index
        self._limit_created[index] = self._time(self._sim.env.now)
        if "description" in params:
            self._limit_edits[index] = {"description": params["description"]}
        if token is not None:
            self._limit_tokens["limit", token] = limit_id
        return {"limitId": limit_id}

    def delete_limit(self, **params: Any) -> dict[str, Any]:
        """Refused (ConflictException) while a queue is associated with the limit. A deleted
        limit is gone from the API; the run's tables keep its records."""
        self._request("DeleteLimit", params)
        index = self._live_limit(params, "DeleteLimit")
        if any(x == index for _, x in self._limit_associations()):
            raise error("ConflictException", "DeleteLimit",
                        f"limit {self._limit_ids[index]} is associated with a queue: delete "
                        f"its queue-limit associations first", reason="RESOURCE_IN_USE",
                        resourceId=self._limit_ids[index], resourceType="limit")
        self._deleted_limits.add(index)
        return {}

    def _live_limit(self, params: dict[str, Any], operation: str) -> int:
        index = self._id(params, "limitId", self._limits, "limit", operation)
        if index in self._deleted_limits:
            raise not_found(operation, "limit", params["limitId"])
        return index

    def update_limit(self, **params: Any) -> dict[str, Any]:
        """``maxCount`` acts at once (semantics D): runs holding units keep them; a lower
        maximum starts nothing until usage is below it; a higher one wakes idle workers for
        the work waiting on it. ``displayName`` and ``description`` change what the API
        reports (the run's tables keep the scenario's names)."""
        self._request("UpdateLimit", params)
        index = self._live_limit(params, "UpdateLimit")
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
                   "currentCount": state.current,
                   "createdAt": self._limit_created.get(index, self._start),
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
        jobs = self._sim.control.queues[queue].jobs  # (in creation order: a page is a slice)
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
        too_big = job_too_big(structure, self._budget)
        if too_big is not None:
            raise error("ServiceQuotaExceededException", "CreateJob",
                        f"a job of {structure.task_count:,} tasks cannot be simulated: "
                        f"{too_big}", reason="SERVICE_QUOTA_EXCEEDED_EXCEPTION",
                        resourceType="job", serviceCode="deadline",
                        quotaCode="farmsim-simulation-memory")
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

    @functools.cached_property
    def _budget(self) -> MemoryBudget | None:
        """The memory a run may take (read once per client; ``FARMSIM_MEMORY_LIMIT`` sets it)."""
        try:
            return memory_budget()
        except ValueError:
            return None  # (a bad FARMSIM_MEMORY_LIMIT: the scenario's size check says so)

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
        ``name`` and ``description`` (see ``ControlPlane.update_job`` for when each acts);
        ``targetTaskRunStatus`` (``ControlPlane.set_target``: requeue, suspend, cancel, fail,
        succeed); ``lifecycleStatus`` ARCHIVED: the job's tasks that have not ended are
        canceled, and the job takes no more updates (ConflictException)."""
        self._request("UpdateJob", params)
        job = self._job(params, "UpdateJob")
        self._update_job(job, params, "UpdateJob")
        return {}

    def batch_update_job(self, **params: Any) -> dict[str, Any]:
        """UpdateJob for up to 100 jobs; each job that cannot be updated is an entry of
        ``errors`` (its code and message), and the others are updated."""
        self._request("BatchUpdateJob", params)
        errors = []
        for item in params["jobs"]:
            try:
                self._request("UpdateJob", item)
                self._update_job(self._job(item, "BatchUpdateJob"), item, "BatchUpdateJob")
            except ClientError as exc:
                errors.append(_batch_error(exc, item, ("farmId", "queueId", "jobId")))
        return {"errors": errors}

    def _update_job(self, job: JobState, params: dict[str, Any], operation: str) -> None:
        if job.index in self._archived:
            raise error("ConflictException", operation, f"job {self._job_ids[job.index]} is "
                        f"ARCHIVED: it can no longer be updated", reason="STATUS_CONFLICT",
                        resourceId=self._job_ids[job.index], resourceType="job")
        if params.get("maxWorkerCount") == 0:  # (the model's documentation)
            raise invalid(operation, "maxWorkerCount", "must not be 0")
        target = params.get("targetTaskRunStatus")
        if target is not None:
            self._check_target(job, target, operation)
        now = self._sim.env.now
        self._sim.control.update_job(
            job, priority=params.get("priority"), max_worker_count=params.get("maxWorkerCount"),
            max_retries=params.get("maxRetriesPerTask"),
            max_failed=params.get("maxFailedTasksCount"), now=now)
        if "name" in params:
            job.name = params["name"]  # (the run's jobs table shows it too)
        if "description" in params:
            self._job_descriptions[job.index] = params["description"]
        if target is not None:
            self._sim.control.set_target(job, target, now)
            self._job_targets[job.index] = target
        if params.get("lifecycleStatus") == "ARCHIVED":
            self._sim.control.set_target(job, "CANCELED", now)
            self._archived.add(job.index)
        self._job_updated[job.index] = self._time(now)

    def _check_target(self, job: JobState, target: str, operation: str) -> None:
        """A requeue of a NOT_COMPATIBLE job is refused: farmsim decides compatibility when a
        job is created (its other steps were CANCELED with it): submit it again."""
        if target in ("READY", "PENDING") and job.counts[_NOT_COMPATIBLE]:
            raise error("ConflictException", operation,
                        f"job {self._job_ids[job.index]} is NOT_COMPATIBLE: farmsim decides "
                        f"compatibility when a job is created; submit it again",
                        reason="STATUS_CONFLICT", resourceId=self._job_ids[job.index],
                        resourceType="job")

    def update_step(self, **params: Any) -> dict[str, Any]:
        """The ``targetTaskRunStatus`` of one step's tasks (as UpdateJob's for the job's)."""
        self._request("UpdateStep", params)
        step = self._step(params, "UpdateStep")
        self._check_updatable(step.job, "UpdateStep")
        target = params["targetTaskRunStatus"]
        self._check_target(step.job, target, "UpdateStep")
        self._sim.control.set_target(step.job, target, self._sim.env.now, step=step)
        self._step_targets[step.gidx] = (target, self._sim.env.now)
        return {}

    def update_task(self, **params: Any) -> dict[str, Any]:
        """A task's ``targetRunStatus``: READY or PENDING requeue it (a running task's run is
        INTERRUPTED), the others set its status (a running task's run is CANCELED)."""
        self._request("UpdateTask", params)
        step, task = self._task(params, "UpdateTask")
        self._set_task(step, task, params["targetRunStatus"], "UpdateTask")
        return {}

    def batch_update_task(self, **params: Any) -> dict[str, Any]:
        """UpdateTask for up to 100 tasks; those that cannot be updated are ``errors``."""
        self._request("BatchUpdateTask", params)
        errors = []
        for item in params["tasks"]:
            try:
                step, task = self._task(item, "BatchUpdateTask")
                self._set_task(step, task, item["targetRunStatus"], "BatchUpdateTask")
            except ClientError as exc:
                errors.append(_batch_error(exc, item, ("farmId", "queueId", "jobId", "stepId",
                                                       "taskId")))
        return {"errors": errors}

    def _set_task(self, step: StepState, task: int, target: str, operation: str) -> None:
        self._check_updatable(step.job, operation)
        self._check_target(step.job, target, operation)
        if step.chunks is not None and task >= step.next_fresh:
            raise not_found(operation, "task", f"task {task} of step "
                            f"{self._step_ids[step.gidx]} (a chunk not formed yet)")
        self._sim.control.set_target(step.job, target, self._sim.env.now, step=step,
                                     tasks=[task])
        self._task_targets[step.gidx, task] = (target, self._sim.env.now)

    def _check_updatable(self, job: JobState, operation: str) -> None:
        if job.index in self._archived:
            raise error("ConflictException", operation, f"job {self._job_ids[job.index]} is "
                        f"ARCHIVED: it can no longer be updated", reason="STATUS_CONFLICT",
                        resourceId=self._job_ids[job.index], resourceType="job")


_TRUE = {"true", "yes", "on", "1"}


def _capabilities(caps: FleetCapabilities) -> dict[str, Any]:
    """GetFleet's ``capabilities``: the amounts and attributes a step is matched against
    (empty when the fleet declares none)."""
    out: dict[str, Any] = {}
    amounts = [{"name": name, "min": low} | ({} if math.isinf(high) else {"max": high})
               for name, (low, high) in sorted(caps.amounts.items())]
    attributes = [{"name": name, "values": sorted(values)}
                  for name, values in sorted(caps.attributes.items()) if values]
    if amounts:
        out["amounts"] = amounts[:25]
    if attributes:
        out["attributes"] = attributes[:25]
    return out


def _autoscaling(configuration: dict[str, Any]) -> AutoScaling:
    """A serviceManagedEc2 configuration's ``autoScalingConfiguration``, with the API's
    defaults (botocore has checked the ranges)."""
    raw = configuration.get("autoScalingConfiguration") or {}
    default = AutoScaling()
    return AutoScaling(
        standby_worker_count=raw.get("standbyWorkerCount", default.standby_worker_count),
        worker_idle_duration=float(raw.get("workerIdleDurationSeconds",
                                           default.worker_idle_duration)),
        scale_out_workers_per_minute=raw.get("scaleOutWorkersPerMinute",
                                             default.scale_out_workers_per_minute))


@functools.cache
def _operations() -> dict[str, str]:
    """The service's operations by their snake_case names."""
    return {xform_name(name): name for name in service_model().operation_names}


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


_NOT_COMPATIBLE = TASK_STATUS_CODES[TaskRunStatus.NOT_COMPATIBLE]


def _batch_error(exc: ClientError, item: dict[str, Any], keys: tuple[str, ...]
                 ) -> dict[str, Any]:
    """The ``errors`` entry of a batch update's item that failed with ``exc``."""
    code = exc.response["Error"]["Code"]
    codes = {"ConflictException": "ConflictException",
             "ResourceNotFoundException": "ResourceNotFoundException",
             "ValidationException": "ValidationException"}
    entry = {k: item[k] for k in keys if k in item}
    entry["code"] = codes.get(code, "InternalServerErrorException")
    entry["message"] = exc.response["Error"]["Message"]
    return entry
