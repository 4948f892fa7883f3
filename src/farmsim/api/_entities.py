"""Steps, tasks, sessions and session actions of the simulated farm, and the batch reads
(part of :class:`~farmsim.api.client.DeadlineClient`).

Two sources answer these reads:

* the engine's live state (``sim.control``: jobs, steps and their per-task status arrays, retry
  counts, dependencies; ``sim.workers``) for everything that is a status, a count or a
  structure: GetStep, ListSteps, the dependency lists, a task's ``runStatus``,
  ``failureRetryCount`` and ``parameters``. A read of one step or task costs O(1) (O(steps of
  its job) for the dependency counts); a list is linear in the page returned plus one pass over
  the parent's children;
* the run's records as :meth:`Simulation.result() <farmsim.engine.simulation.Simulation.result>`
  tables (``sessions``, ``session_actions``, ``task_runs``) for what happened: sessions, session
  actions, a task's or step's start and end times and its latest session action. The result is
  built once per simulated state (the clock, the engine's change counter and the record
  buffers' sizes) and kept until the simulation moves on, so repeated reads at one instant do
  not rebuild it; its per-session, per-job and per-task indices are built, by codes of the
  tables' categorical columns, the first time a read needs them. (A task's times and latest
  action are the ``tasks`` table's ``started_at``, ``ended_at`` and
  ``latest_session_action_id``, computed from ``task_runs``: the ``tasks`` table would make
  every task's parameters to answer for one.)

Ids are the tables': steps ``step-<hex>`` (the step's number in the run), tasks
``task-<step hex>-<n>``, sessions ``session-<hex>`` (the engine's session number) and session
actions ``sessionaction-<session hex>-<n>``, ``n`` the action's 0-based position in its
session's order (``Result.session_actions.session_action_id``). The tables list every action
assigned to a session, those not begun yet (a setup action queued behind one going on, the
taskRun they prepare) as ASSIGNED, so an action keeps its id as the run goes on.

What farmsim decided where the service is silent is in each operation's documentation; in
short: a step's ``startedAt`` is the first assignment of one of its tasks (as a job's, semantics
D25) and its ``endedAt`` the end of its last task run once nothing of it waits or runs; a task's
``startedAt`` is its first taskRun's start and its ``endedAt`` the end of its latest run while
no run of it is in flight; a session's ``log`` names the CloudWatch group and stream the service
would write (a simulation writes no logs).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterator, Mapping
from functools import cached_property
from itertools import pairwise
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from farmsim.api._base import CREATED_BY, ClientBase, not_found, window, with_token
from farmsim.errors import FarmsimError
from farmsim.model.enums import (
    TASK_STATUS_CODES,
    TASK_STATUSES,
    WORKER_STATUS_CODES,
    TaskRunStatus,
)
from farmsim.model.state import aggregate_status
from farmsim.record.ids import make_id
from farmsim.templates import expand_job, load_environment_template, load_template
from farmsim.templates._tasks import task_parameters

if TYPE_CHECKING:
    from farmsim.model.job import JobStructure, StepStructure
    from farmsim.model.state import JobState, StepState
    from farmsim.record.result import Result
    from farmsim.templates import Template

__all__ = ["EntityReads"]

_C = TASK_STATUS_CODES
_PENDING = _C[TaskRunStatus.PENDING]
_READY = _C[TaskRunStatus.READY]
_RUNNING = _C[TaskRunStatus.RUNNING]
_STARTING = _C[TaskRunStatus.STARTING]
_SUCCEEDED = _C[TaskRunStatus.SUCCEEDED]
#: A task on a worker (its run in flight).
_IN_FLIGHT = frozenset(_C[s] for s in (TaskRunStatus.ASSIGNED, TaskRunStatus.STARTING,
                                       TaskRunStatus.SCHEDULED, TaskRunStatus.INTERRUPTING,
                                       TaskRunStatus.RUNNING))
_STATUS_NAMES = [s.value for s in TASK_STATUSES]
_WORKER_STATUS = {code: status.value for status, code in WORKER_STATUS_CODES.items()}

_TASK_ID = re.compile(r"task-([0-9a-f]{32})-(0|[1-9][0-9]{0,9})\Z")
_ACTION_ID = re.compile(r"sessionaction-([0-9a-f]{32})-(0|[1-9][0-9]{0,9})\Z")
_ENVIRONMENT_ID = re.compile(r"(JOB|STEP):((?:job|step)-[0-9a-f]{32}):(.*)\Z", re.DOTALL)
#: A step parameter's type in the API (StepParameterType) by its OpenJD type.
_STEP_PARAMETER_TYPES = {"INT": "INT", "FLOAT": "FLOAT", "STRING": "STRING", "PATH": "PATH",
                         "CHUNK[INT]": "CHUNK_INT"}
#: A task parameter value's member of the API's TaskParameterValue union by its OpenJD type.
_TASK_VALUE_MEMBERS = {"INT": "int", "FLOAT": "float", "STRING": "string", "PATH": "path",
                       "CHUNK[INT]": "chunkInt"}
#: The schema version of the templates a worker is given (BatchGetJobEntity).
_SCHEMA = "jobtemplate-2023-09"
#: Decoded templates remembered per job structure (the oldest goes first).
_TEMPLATE_MEMO = 1024


class EntityReads(ClientBase):
    """GetStep, ListSteps, GetTask, ListTasks, sessions, session actions, Batch* reads."""

    #: What these reads keep between calls (made on first use: the mixin has no __init__).
    _entity_state: _EntityState | None = None
    #: The target a user last set on a step (UpdateStep, by the step's global number) or a
    #: task (UpdateTask, BatchUpdateTask: by (step number, task)), and when (set by the
    #: client: :class:`~farmsim.api.client.DeadlineClient`).
    _step_targets: dict[int, tuple[str, float]]
    _task_targets: dict[tuple[int, int], tuple[str, float]]

    # ================================================================== steps

    def get_step(self, **params: Any) -> dict[str, Any]:
        """A step of a job, from the engine's state at the current time.

        ``taskRunStatus`` is the step's aggregate (semantics D1), with the tasks whose session
        is still setting up counted STARTING (D2); ``taskFailureRetryCount`` sums its tasks'
        ``failureRetryCount``. ``startedAt`` is the first time one of its tasks was assigned
        (as a job's, D25), ``endedAt`` the end of its last task run once none of its tasks is
        READY, on a worker, or PENDING behind steps that can still succeed. ``parameterSpace``
        and ``requiredCapabilities`` are the template's, as the job was created from it.
        """
        self._request("GetStep", params)
        step = self._step(params, "GetStep")
        return self._step_detail(step.job, step, self._setting_up())

    def list_steps(self, **params: Any) -> dict[str, Any]:
        """A job's steps in dependency order (the order the job was expanded in)."""
        self._request("ListSteps", params)
        job = self._job(params, "ListSteps")
        start, stop, token = window(len(job.steps), params)
        starting = self._setting_up()
        return with_token({"steps": [self._step_summary(job, s, starting)
                                     for s in job.steps[start:stop]]}, token)

    def list_step_dependencies(self, **params: Any) -> dict[str, Any]:
        """The steps a step depends on, each RESOLVED once every one of its tasks SUCCEEDED."""
        self._request("ListStepDependencies", params)
        step = self._step(params, "ListStepDependencies")
        upstream = [step.job.steps[d] for d in step.structure.dependencies]
        start, stop, token = window(len(upstream), params)
        ids = self._step_ids
        return with_token({"dependencies": [
            {"stepId": ids[s.gidx], "status": _resolution(_resolved(s))}
            for s in upstream[start:stop]]}, token)

    def list_step_consumers(self, **params: Any) -> dict[str, Any]:
        """The steps that depend on a step: each RESOLVED once every task of this step
        SUCCEEDED (the dependency they have on it is met)."""
        self._request("ListStepConsumers", params)
        step = self._step(params, "ListStepConsumers")
        consumers = _consumers(step.job, step)
        start, stop, token = window(len(consumers), params)
        ids = self._step_ids
        status = _resolution(_resolved(step))
        return with_token({"consumers": [{"stepId": ids[s.gidx], "status": status}
                                         for s in consumers[start:stop]]}, token)

    def _step_of(self, job: JobState, step_id: str) -> StepState | None:
        """The step ``step_id`` of ``job``, or None."""
        self._index_steps()
        gidx = self._steps.get(step_id)
        step = None if gidx is None else self._sim.control.steps[gidx]
        return step if step is not None and step.job is job else None

    def _step_id(self, step: StepState) -> str:
        self._index_steps()
        return self._step_ids[step.gidx]

    def _step_summary(self, job: JobState, step: StepState,
                      starting: _SettingUp) -> dict[str, Any]:
        counts = list(step.counts)
        setting_up = starting.steps.get(step.gidx, 0)
        counts[_RUNNING] -= setting_up
        counts[_STARTING] += setting_up
        pending_live = bool(counts[_PENDING]) and _upstream_can_succeed(job, step)
        consumers = _consumers(job, step)
        resolved = sum(1 for d in step.structure.dependencies if _resolved(job.steps[d]))
        summary: dict[str, Any] = {
            "stepId": self._step_id(step), "name": step.structure.name,
            "lifecycleStatus": "CREATE_COMPLETE",
            "taskRunStatus": aggregate_status(counts, pending_live=pending_live).value,
            "taskRunStatusCounts": dict(zip(_STATUS_NAMES, counts, strict=True)),
            "taskFailureRetryCount": sum(step.retries.values()),
            "createdAt": self._time(job.submitted_at), "createdBy": CREATED_BY,
            "dependencyCounts": {
                "dependenciesResolved": resolved,
                "dependenciesUnresolved": len(step.structure.dependencies) - resolved,
                "consumersResolved": len(consumers) if _resolved(step) else 0,
                "consumersUnresolved": 0 if _resolved(step) else len(consumers),
            },
        }
        if step.gidx in self._step_targets:
            target, when = self._step_targets[step.gidx]
            summary |= {"targetTaskRunStatus": target, "updatedAt": self._time(when),
                        "updatedBy": CREATED_BY}
        if job.started_at == job.started_at:  # not NaN: a task of the job was assigned
            first, last = self._records().step_times(self._step_id(step))
            if not math.isnan(first):
                summary["startedAt"] = self._time(first)
                waiting = any(counts[c] for c in _IN_FLIGHT) or counts[_READY] or pending_live
                if not waiting and not math.isnan(last):
                    summary["endedAt"] = self._time(last)
        return summary

    def _step_detail(self, job: JobState, step: StepState,
                     starting: _SettingUp) -> dict[str, Any]:
        summary = self._step_summary(job, step, starting)
        space = _parameter_space(step.structure)
        if space is not None:
            summary["parameterSpace"] = space
        capabilities = _required_capabilities(step.structure)
        if capabilities is not None:
            summary["requiredCapabilities"] = capabilities
        return summary

    # ================================================================== tasks

    def get_task(self, **params: Any) -> dict[str, Any]:
        """A task of a step (a chunk, for a chunked step): its ``runStatus`` from the engine
        (STARTING while its session sets up, semantics D2), ``failureRetryCount``, its
        ``parameters`` (``chunkInt`` for a CHUNK[INT] parameter: the chunk's range expression;
        for an adaptive step's chunks not formed yet, the range they would have at the current
        chunk size), and from the records: ``startedAt`` (its first taskRun's start),
        ``endedAt`` (the end of its latest run, while no run of it is in flight) and
        ``latestSessionActionId`` (the taskRun action of its latest run)."""
        self._request("GetTask", params)
        step, task = self._task(params, "GetTask")
        return self._task_summary(step.job, step, task, self._setting_up())

    def list_tasks(self, **params: Any) -> dict[str, Any]:
        """A step's tasks in task order (see :meth:`get_task` for the fields)."""
        self._request("ListTasks", params)
        step = self._step(params, "ListTasks")
        start, stop, token = window(step.task_count, params)
        starting = self._setting_up()
        return with_token({"tasks": [self._task_summary(step.job, step, t, starting)
                                     for t in range(start, stop)]}, token)

    def _task_number(self, step: StepState, task_id: str) -> int | None:
        """The number of the task ``task_id`` of ``step``, or None if it is not one of its."""
        match = _TASK_ID.match(task_id)
        if match is None or f"step-{match[1]}" != self._step_id(step):
            return None
        task = int(match[2])
        return task if task < step.task_count else None

    def _task_summary(self, job: JobState, step: StepState, task: int,
                      starting: _SettingUp) -> dict[str, Any]:
        task_id = f"task-{self._step_id(step)[5:]}-{task}"
        code = step.status[task]
        status = _STATUS_NAMES[code]
        if code == _RUNNING and (step.gidx, task) in starting.tasks:
            status = TaskRunStatus.STARTING.value
        summary: dict[str, Any] = {
            "taskId": task_id, "createdAt": self._time(job.submitted_at),
            "createdBy": CREATED_BY, "runStatus": status,
            "failureRetryCount": step.retries.get(task, 0),
            "parameters": self._task_parameters(step, task),
        }
        if (step.gidx, task) in self._task_targets:
            target, when = self._task_targets[step.gidx, task]
            summary |= {"targetRunStatus": target, "updatedAt": self._time(when),
                        "updatedBy": CREATED_BY}
        if job.started_at == job.started_at:  # not NaN: a task of the job was assigned
            started, ended, action = self._records().task_times(task_id)
            if not math.isnan(started):
                summary["startedAt"] = self._time(started)
            if not math.isnan(ended) and code not in _IN_FLIGHT:
                summary["endedAt"] = self._time(ended)
            if action is not None:
                summary["latestSessionActionId"] = action
        return summary

    def _task_parameters(self, step: StepState, task: int) -> dict[str, dict[str, str]]:
        """A task's parameter values as the API's TaskParameterValue union."""
        structure = step.structure
        space = structure.parameter_space
        if space is None:
            return {}
        chunking = structure.chunking
        if step.chunks is not None and chunking is not None:  # adaptive: the chunks as formed
            return {chunking.parameter: {"chunkInt": self._chunk_expression(step, task)}}
        kinds = {name: _type_name(d) for name, d in
                 (space.taskParameterDefinitions or {}).items()}
        out: dict[str, dict[str, str]] = {}
        for name, value in task_parameters(structure, task).items():
            member = _TASK_VALUE_MEMBERS.get(kinds.get(name, "STRING"), "string")
            out[name] = {member: _number_string(value) if member in ("int", "float")
                         else str(value)}
        return out

    def _chunk_expression(self, step: StepState, task: int) -> str:
        """The range expression of chunk ``task`` of an adaptive step: as formed, or for a
        chunk not formed yet, as the frames left would be cut at the step's current size."""
        chunks = step.chunks
        chunking = step.structure.chunking
        if chunks is None or chunking is None:
            raise FarmsimError(f"step#{step.gidx} is not adaptive")
        formed = len(chunks.starts)
        if task < formed:
            return chunks.expression(task)
        frames = chunking.frames
        pos = chunks.starts[-1] + chunks.counts[-1] if formed else 0
        size = max(1, chunks.size)
        left = task - formed
        for end in self._frame_runs(step.structure):
            if end <= pos:
                continue
            n_chunks = -(-(end - pos) // size)
            if left < n_chunks:
                first = pos + left * size
                return _range_expression(frames[first:min(end, first + size)])
            left -= n_chunks
            pos = end
        return ""

    def _frame_runs(self, structure: StepStructure) -> list[int]:
        """The end (exclusive index) of each stretch of frames a chunk of an adaptive step may
        span (kept per structure)."""
        chunking = structure.chunking
        if chunking is None:
            return []
        memo = self._entities().frame_runs
        found = memo.get(id(structure))
        if found is not None and found[0] is structure:
            return found[1]
        frames = chunking.frames
        if chunking.contiguous:
            ends = [i for i in range(1, len(frames)) if frames[i] != frames[i - 1] + 1]
            ends.append(len(frames))
        else:
            ends = [len(frames)]
        memo[id(structure)] = (structure, ends)
        return ends

    def _setting_up(self) -> _SettingUp:
        """The task runs whose session is still setting up (their tasks are STARTING)."""
        now = self._sim.env.now
        tasks = {(w.step.gidx, w.task) for w in self._sim.workers
                 if w.job is not None and w.step is not None and not w.started_at <= now}
        steps: dict[int, int] = {}
        for gidx, _ in tasks:
            steps[gidx] = steps.get(gidx, 0) + 1
        return _SettingUp(tasks, steps)

    # ================================================================== job parameters

    def list_job_parameter_definitions(self, **params: Any) -> dict[str, Any]:
        """The job template's ``parameterDefinitions``, each as its template document (a
        job whose template farmsim no longer holds, e.g. one built in Python without one:
        its parameters' names with the types of the values it was submitted with)."""
        self._request("ListJobParameterDefinitions", params)
        job = self._job(params, "ListJobParameterDefinitions")
        template = self._template_of(job)
        if template is not None:
            definitions = [_document(d) for d in
                           template.job_template.parameterDefinitions or ()]
        else:
            definitions = [{"name": name, "type": _inferred_type(value)}
                           for name, value in job.submission.parameters.items()]
        start, stop, token = window(len(definitions), params)
        return with_token({"jobParameterDefinitions": definitions[start:stop]}, token)

    def _job_parameters(self, job: JobState) -> dict[str, dict[str, Any]]:
        """The job's parameter values (those it was submitted with, then its template's
        defaults) as the API's JobParameter union, typed by the template."""
        template = self._template_of(job)
        values: dict[str, Any] = {}
        kinds: dict[str, str] = {}
        if template is not None:
            for definition in template.job_template.parameterDefinitions or ():
                kinds[definition.name] = _type_name(definition)
                if definition.default is not None:
                    values[definition.name] = definition.default
            values.update({k: v for k, v in template.bundle_parameters.items() if ":" not in k})
        values.update(job.submission.parameters)
        out: dict[str, dict[str, Any]] = {}
        for name, value in values.items():
            tagged = _tagged(kinds.get(name) or _inferred_type(value), value)
            if tagged is not None:
                out[name] = tagged
        return out

    def _template_of(self, job: JobState) -> Template | None:
        """The decoded template ``job`` was created from, if farmsim still holds it: its file
        (``template_path``), else a template CreateJob decoded or one inline in the scenario
        that expands to the job's structure with its parameter values."""
        structure = job.submission.structure
        memo = self._entities().templates
        found = memo.get(id(structure))
        if found is not None and found[0] is structure:
            return found[1]
        template = self._find_template(structure, job.submission.parameters)
        if len(memo) >= _TEMPLATE_MEMO:
            memo.pop(next(iter(memo)))
        memo[id(structure)] = (structure, template)
        return template

    def _find_template(self, structure: JobStructure, values: Mapping[str, Any]
                       ) -> Template | None:
        base_dir = self._sim.scenario.base_dir
        if structure.template_path is not None:
            try:
                return load_template(structure.template_path, base_dir=base_dir)
            except (FarmsimError, OSError):
                pass
        candidates = list(self._templates.values())
        state = self._entities()
        if state.inline is None:
            state.inline = [t for t in (_load_inline(doc, base_dir) for doc in
                                        _job_templates(self._sim.scenario.raw)) if t is not None]
        candidates.extend(state.inline)
        for template in candidates:
            try:
                expanded = expand_job(template, values)
            except FarmsimError:
                continue
            if expanded is structure or expanded == structure:
                return template
        return None

    # ================================================================== sessions

    def get_session(self, **params: Any) -> dict[str, Any]:
        """A session of a job (semantics E): a worker's stay on the job, from its first action
        to the end of its last envExit. ``lifecycleStatus`` is STARTED while it is open, ENDED
        after; ``log`` names the CloudWatch log group (``/aws/deadline/<farm>/<queue>``) and
        stream (the session's id) where the service would write its log: a simulation writes
        none."""
        self._request("GetSession", params)
        self._job(params, "GetSession")
        records = self._records()
        row = records.session_row(params["sessionId"])
        if row is None or records.session_job[row] != params["jobId"]:
            raise not_found("GetSession", "session", params["sessionId"])
        return self._session_summary(records, row) | {"log": self._log(records, row)}

    def list_sessions(self, **params: Any) -> dict[str, Any]:
        """A job's sessions, in the order they opened."""
        self._request("ListSessions", params)
        self._job(params, "ListSessions")
        records = self._records()
        rows = records.sessions_of_job(params["jobId"])
        start, stop, token = window(len(rows), params)
        return with_token({"sessions": [self._session_summary(records, int(r))
                                        for r in rows[start:stop]]}, token)

    def list_sessions_for_worker(self, **params: Any) -> dict[str, Any]:
        """A worker's sessions, in the order they opened."""
        self._request("ListSessionsForWorker", params)
        self._worker(params, "ListSessionsForWorker")
        records = self._records()
        rows = records.sessions_of_worker(params["workerId"])
        start, stop, token = window(len(rows), params)
        out = []
        for r in rows[start:stop]:
            row = int(r)
            summary = self._session_summary(records, row)
            out.append({"sessionId": summary["sessionId"],
                        "queueId": str(records.session_queue[row]),
                        "jobId": str(records.session_job[row]),
                        "startedAt": summary["startedAt"],
                        "lifecycleStatus": summary["lifecycleStatus"],
                        **({"endedAt": summary["endedAt"]} if "endedAt" in summary else {})})
        return with_token({"sessions": out}, token)

    def _session_summary(self, records: _Records, row: int) -> dict[str, Any]:
        ended = float(records.session_ended[row])
        started = float(records.session_started[row])
        summary: dict[str, Any] = {
            "sessionId": str(records.session_ids[row]),
            "fleetId": str(records.session_fleet[row]),
            "workerId": str(records.session_worker[row]),
            "startedAt": self._time(started if math.isfinite(started) else self._sim.env.now),
            "lifecycleStatus": "STARTED" if math.isnan(ended) else "ENDED",
        }
        if not math.isnan(ended):
            summary["endedAt"] = self._time(ended)
        return summary

    def _log(self, records: _Records, row: int) -> dict[str, Any]:
        return {"logDriver": "awslogs", "options": {
            "logGroupName": f"/aws/deadline/{self._farm_id}/{records.session_queue[row]}",
            "logStreamName": str(records.session_ids[row])}}

    # ================================================================== session actions

    def get_session_action(self, **params: Any) -> dict[str, Any]:
        """A session action of a job: a sync, an envEnter or envExit, or a taskRun (one per
        task run). Its ``status`` is the records' (a taskRun whose session is still setting
        up is ASSIGNED); ``acquiredLimits`` lists the limit units a taskRun held;
        ``progressPercent`` is 100 once it SUCCEEDED; ``processExitCode`` is 0 for one that
        SUCCEEDED and 1 for one that FAILED (farmsim draws outcomes, not exit codes);
        ``workerUpdatedAt`` is its last change (its end, else its start)."""
        self._request("GetSessionAction", params)
        self._job(params, "GetSessionAction")
        records = self._records()
        row = records.action_row(params["sessionActionId"])
        if row is None or records.action_job[row] != params["jobId"]:
            raise not_found("GetSessionAction", "session action", params["sessionActionId"])
        return self._action(records, row, detail=True)

    def list_session_actions(self, **params: Any) -> dict[str, Any]:
        """A job's session actions, in each session's order, sessions in the order they
        opened; or those of one ``sessionId``, or the taskRuns of one ``taskId`` (both: the
        taskRuns of the task in that session)."""
        self._request("ListSessionActions", params)
        job = self._job(params, "ListSessionActions")
        records = self._records()
        if "sessionId" in params:
            row = records.session_row(params["sessionId"])
            if row is None or records.session_job[row] != params["jobId"]:
                raise not_found("ListSessionActions", "session", params["sessionId"])
            rows = records.actions_of_session(row)
            if "taskId" in params:
                self._task_of_job(job, params["taskId"], "ListSessionActions")
                task = records.action_task.code(params["taskId"])
                rows = rows[records.action_task.codes[rows] == task] if task >= 0 else _NONE
        elif "taskId" in params:
            self._task_of_job(job, params["taskId"], "ListSessionActions")
            rows = records.task_runs_of_task(params["taskId"])
        else:
            rows = records.actions_of_job(params["jobId"])
        start, stop, token = window(len(rows), params)
        return with_token({"sessionActions": [self._action(records, int(r), detail=False)
                                              for r in rows[start:stop]]}, token)

    def _task_of_job(self, job: JobState, task_id: str, operation: str) -> tuple[StepState, int]:
        """The step and number of the task ``task_id`` of ``job`` (ResourceNotFoundException:
        it is none of the job's)."""
        match = _TASK_ID.match(task_id)
        step = None if match is None else self._step_of(job, f"step-{match[1]}")
        task = None if step is None else self._task_number(step, task_id)
        if step is None or task is None:
            raise not_found(operation, "task", task_id)
        return step, task

    def _action(self, records: _Records, row: int, *, detail: bool) -> dict[str, Any]:
        kind = str(records.action_kind[row])
        status = records.action_status(row)
        out: dict[str, Any] = {"sessionActionId": records.action_id(row), "status": status}
        started, ended = float(records.action_started[row]), float(records.action_ended[row])
        if not math.isnan(started):
            out["startedAt"] = self._time(started)
        if not math.isnan(ended):
            out["endedAt"] = self._time(ended)
        if not math.isnan(ended) or not math.isnan(started):
            out["workerUpdatedAt"] = self._time(ended if not math.isnan(ended) else started)
        if status == "SUCCEEDED":
            out["progressPercent"] = 100.0
        step_id = records.action_step[row]
        task_id = records.action_task[row]
        definition: dict[str, Any]
        if kind == "taskRun":
            definition = {"stepId": str(step_id)}
            if isinstance(task_id, str):
                definition["taskId"] = task_id
                definition["parameters"] = self._action_parameters(str(step_id), task_id)
            elif detail:
                definition["parameters"] = {}
        elif kind in ("envEnter", "envExit"):
            definition = {"environmentId": str(records.action_environment[row])}
        else:
            definition = {"stepId": step_id} if isinstance(step_id, str) else {}
        out["definition"] = {kind: definition}
        if detail:
            out["sessionId"] = str(records.session_ids[int(records.action_session[row])])
            if status in ("SUCCEEDED", "FAILED"):
                out["processExitCode"] = 0 if status == "SUCCEEDED" else 1
            limits = records.action_limits(row) if kind == "taskRun" else None
            if limits:
                out["acquiredLimits"] = [dict(limit) for limit in limits]
        return out

    def _action_parameters(self, step_id: str, task_id: str) -> dict[str, dict[str, str]]:
        self._index_steps()
        gidx = self._steps.get(step_id)
        if gidx is None:
            return {}
        step = self._sim.control.steps[gidx]
        task = self._task_number(step, task_id)
        return {} if task is None else self._task_parameters(step, task)

    # ================================================================== the records

    def _records(self) -> _Records:
        """The run's records at the current simulated state, built once per state."""
        sim = self._sim
        recorder = sim.recorder
        key = (sim.env.now, sim.control.seq, len(recorder.runs), len(recorder.actions),
               len(recorder.worker_events), len(recorder.task_events), len(sim.control.jobs),
               len(sim.workers))
        state = self._entities()
        if state.records is None or state.records_key != key:
            state.records = None  # (let the old one go before the new one is built)
            now = sim.env.now
            setting_up = [(make_id("session", sim.seed, w.session),
                           f"task-{self._step_id(w.step)[5:]}-{w.task}")
                          for w in sim.workers
                          if w.job is not None and w.step is not None
                          and not w.started_at <= now]
            state.records = _Records(sim.result(), setting_up)
            state.records_key = key
        return state.records

    def _entities(self) -> _EntityState:
        state = self._entity_state
        if state is None:
            state = self._entity_state = _EntityState()
        return state

    # ================================================================== workers

    def _worker(self, params: dict[str, Any], operation: str) -> int:
        fleet = self._id(params, "fleetId", self._fleets, "fleet", operation)
        self._index_workers()
        index = self._workers.get(params["workerId"])
        if index is None or self._sim.workers[index].fleet_index != fleet:
            raise not_found(operation, "worker", params["workerId"])
        return index

    # ================================================================== batch reads

    def batch_get_job(self, **params: Any) -> dict[str, Any]:
        """Jobs by (farm, queue, job): each found in ``jobs`` (a GetJob with its farm, queue
        and typed ``parameters``), each not found in ``errors`` (ResourceNotFoundException),
        in the order asked."""
        self._request("BatchGetJob", params)
        found, errors = [], []
        for ident in params["identifiers"]:
            try:
                job = self._job(ident, "BatchGetJob") if self._farm_ok(ident) else None
            except self.exceptions.ResourceNotFoundException:
                job = None
            if job is None:
                errors.append(_batch_error(ident, "job", ident["jobId"]))
                continue
            item = self._job_summaries([job])[0] | {"farmId": self._farm_id,
                                                    "queueId": ident["queueId"]}
            if job.index in self._job_descriptions:
                item["description"] = self._job_descriptions[job.index]
            parameters = self._job_parameters(job)
            if parameters:
                item["parameters"] = parameters
            found.append(item)
        return {"jobs": found, "errors": errors}

    def batch_get_step(self, **params: Any) -> dict[str, Any]:
        """Steps by (farm, queue, job, step), as GetStep reports them (see
        :meth:`batch_get_job` for the errors)."""
        self._request("BatchGetStep", params)
        found, errors = [], []
        starting = self._setting_up()
        for ident in params["identifiers"]:
            hit = self._batch_step(ident)
            if hit is None:
                errors.append(_batch_error(ident, "step", ident["stepId"]))
                continue
            job, step = hit
            found.append(self._step_detail(job, step, starting) | _where(ident, "stepId"))
        return {"steps": found, "errors": errors}

    def batch_get_task(self, **params: Any) -> dict[str, Any]:
        """Tasks by (farm, queue, job, step, task), as GetTask reports them."""
        self._request("BatchGetTask", params)
        found, errors = [], []
        starting = self._setting_up()
        for ident in params["identifiers"]:
            hit = self._batch_step(ident)
            task = None if hit is None else self._task_number(hit[1], ident["taskId"])
            if hit is None or task is None:
                errors.append(_batch_error(ident, "task", ident["taskId"]))
                continue
            found.append(self._task_summary(hit[0], hit[1], task, starting)
                         | _where(ident, "stepId"))
        return {"tasks": found, "errors": errors}

    def batch_get_session(self, **params: Any) -> dict[str, Any]:
        """Sessions by (farm, queue, job, session), as GetSession reports them."""
        self._request("BatchGetSession", params)
        found, errors = [], []
        for ident in params["identifiers"]:
            row = None
            if self._batch_job(ident) is not None:
                records = self._records()
                row = records.session_row(ident["sessionId"])
                if row is not None and records.session_job[row] != ident["jobId"]:
                    row = None
            if row is None:
                errors.append(_batch_error(ident, "session", ident["sessionId"]))
                continue
            records = self._records()
            found.append(self._session_summary(records, row) | {"log": self._log(records, row)}
                         | _where(ident, "jobId"))
        return {"sessions": found, "errors": errors}

    def batch_get_session_action(self, **params: Any) -> dict[str, Any]:
        """Session actions by (farm, queue, job, session action), as GetSessionAction reports
        them."""
        self._request("BatchGetSessionAction", params)
        found, errors = [], []
        for ident in params["identifiers"]:
            row = None
            if self._batch_job(ident) is not None:
                records = self._records()
                row = records.action_row(ident["sessionActionId"])
                if row is not None and records.action_job[row] != ident["jobId"]:
                    row = None
            if row is None:
                errors.append(_batch_error(ident, "session action", ident["sessionActionId"]))
                continue
            found.append(self._action(self._records(), row, detail=True)
                         | _where(ident, "jobId"))
        return {"sessionActions": found, "errors": errors}

    def batch_get_worker(self, **params: Any) -> dict[str, Any]:
        """Workers by (farm, fleet, worker), as GetWorker reports them."""
        self._request("BatchGetWorker", params)
        found, errors = [], []
        for ident in params["identifiers"]:
            index = None
            if self._farm_ok(ident):
                try:
                    index = self._worker(ident, "BatchGetWorker")
                except self.exceptions.ResourceNotFoundException:
                    index = None
            if index is None:
                errors.append(_batch_error(ident, "worker", ident["workerId"]))
                continue
            worker = self._sim.workers[index]
            found.append({"farmId": self._farm_id, "fleetId": ident["fleetId"],
                          "workerId": ident["workerId"],
                          "status": _WORKER_STATUS[worker.status],
                          "createdAt": self._time(worker.created_at), "createdBy": CREATED_BY})
        return {"workers": found, "errors": errors}

    def _farm_ok(self, ident: dict[str, Any]) -> bool:
        return bool(ident["farmId"] == self._farm_id)

    def _batch_job(self, ident: dict[str, Any]) -> JobState | None:
        if not self._farm_ok(ident):
            return None
        try:
            return self._job(ident, "Batch")
        except self.exceptions.ResourceNotFoundException:
            return None

    def _batch_step(self, ident: dict[str, Any]) -> tuple[JobState, StepState] | None:
        job = self._batch_job(ident)
        step = None if job is None else self._step_of(job, ident["stepId"])
        return None if job is None or step is None else (job, step)

    # ================================================================== BatchGetJobEntity

    def batch_get_job_entity(self, **params: Any) -> dict[str, Any]:
        """What a worker fetches about the jobs it runs (the worker agent's view, at most 10
        identifiers): ``jobDetails`` (schema version, the job's typed parameter values, its
        log group, its template's extensions; the run-as user is the worker agent's, as
        farmsim's queues configure none), ``stepDetails`` (the step's template as a document
        and the ids of the steps it depends on) and ``environmentDetails`` (a queue, job or
        step environment's template). A worker may fetch only jobs it has (or had) a session
        on; farmsim reports the others as AccessDeniedException entries, a job, step or
        environment that does not exist as ResourceNotFoundException, and
        ``jobAttachmentDetails`` as ResourceNotFoundException (farmsim models no job
        attachments). A template farmsim no longer holds is an InternalServerException
        entry."""
        self._request("BatchGetJobEntity", params)
        worker = self._worker(params, "BatchGetJobEntity")
        worker_id = params["workerId"]
        entities: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for ident in params["identifiers"]:
            (kind, body), = ((k, v) for k, v in ident.items() if v is not None)
            entity, problem = self._job_entity(kind, body, worker, worker_id)
            if entity is not None:
                entities.append({kind: entity})
            else:
                code, message = problem
                errors.append({kind: dict(body) | {"code": code, "message": message}})
        return {"entities": entities, "errors": errors}

    def _job_entity(self, kind: str, body: dict[str, Any], worker: int, worker_id: str
                    ) -> tuple[dict[str, Any] | None, tuple[str, str]]:
        job_id = body["jobId"]
        self._index_jobs()
        index = self._jobs.get(job_id)
        if index is None or (self._sim.workers[worker].fleet_index
                             not in self._fleets_of_queue(
                                 self._sim.control.jobs[index].queue_index)):
            return None, ("ResourceNotFoundException", f"job {job_id} does not exist")
        job = self._sim.control.jobs[index]
        if not self._records().worked_on(worker_id, job_id):
            return None, ("AccessDeniedException",
                          f"worker {worker_id} has no assignment on job {job_id}")
        if kind == "jobAttachmentDetails":
            return None, ("ResourceNotFoundException",
                          f"job {job_id} has no job attachments (farmsim models none)")
        template = self._template_of(job)
        if kind == "jobDetails":
            details: dict[str, Any] = {
                "jobId": job_id, "schemaVersion": _SCHEMA,
                "logGroupName": f"/aws/deadline/{self._farm_id}/"
                                f"{self._queue_ids[job.queue_index]}",
                "jobRunAsUser": {"runAs": "WORKER_AGENT_USER"},
                "parameters": self._job_parameters(job),
            }
            extensions = _extensions(template)
            if extensions:
                details["extensions"] = extensions
            return details, ("", "")
        if kind == "stepDetails":
            step = self._step_of(job, body["stepId"])
            if step is None:
                return None, ("ResourceNotFoundException",
                              f"step {body['stepId']} of job {job_id} does not exist")
            step_template = _step_template(template, step.structure.name)
            if step_template is None:
                return None, ("InternalServerException",
                              f"farmsim no longer holds the template of job {job_id}")
            ids = self._step_ids
            details = {"jobId": job_id, "stepId": body["stepId"], "schemaVersion": _SCHEMA,
                       "template": _document(step_template),
                       "dependencies": [ids[job.steps[d].gidx]
                                        for d in step.structure.dependencies]}
            extensions = _extensions(template)
            if extensions:
                details["extensions"] = extensions
            return details, ("", "")
        environment_id = body["environmentId"]
        environment = self._environment(job, template, environment_id)
        if environment is None:
            return None, ("ResourceNotFoundException",
                          f"environment {environment_id} of job {job_id} does not exist")
        return {"jobId": job_id, "environmentId": environment_id, "schemaVersion": _SCHEMA,
                "template": environment}, ("", "")

    def _fleets_of_queue(self, queue: int) -> set[int]:
        farm = self._sim.scenario.farm
        names = set(farm.queues[queue].fleets)
        return {i for i, f in enumerate(farm.fleets) if f.display_name in names}

    def _environment(self, job: JobState, template: Template | None, environment_id: str
                     ) -> dict[str, Any] | None:
        """The template document of a queue, job or step environment of ``job``, or None."""
        match = _ENVIRONMENT_ID.match(environment_id)
        if match is None:
            return None
        scope, owner, name = match[1], match[2], match[3]
        if scope == "STEP":
            step = self._step_of(job, owner)
            if step is None or template is None or name not in step.structure.environments:
                return None
            step_template = _step_template(template, step.structure.name)
            for env in (step_template.stepEnvironments or ()) if step_template else ():
                if env.name == name:
                    return _document(env)
            return None
        self._index_jobs()
        if owner != self._job_ids[job.index]:
            return None
        if template is not None:
            for env in template.job_template.jobEnvironments or ():
                if env.name == name:
                    return _document(env)
        return self._queue_environment(job.queue_index, name)

    def _queue_environment(self, queue: int, name: str) -> dict[str, Any] | None:
        """The environment ``name`` of queue ``queue`` as its template document (from the
        scenario's ``farm.queues[].environments``)."""
        if name not in self._sim.scenario.farm.queues[queue].environments:
            return None
        raw = self._sim.scenario.raw or {}
        queues = (raw.get("farm") or {}).get("queues") or []
        items = (queues[queue].get("environments") or []) if queue < len(queues) else []
        for item in items:
            source = item.get("template") if isinstance(item, Mapping) else None
            if source is None:
                continue
            try:
                environment = load_environment_template(
                    source, base_dir=self._sim.scenario.base_dir).environment
            except (FarmsimError, OSError):
                continue
            if environment.name == name:
                return _document(environment)
        return None


# ---------------------------------------------------------------------- the records at one state


class _SettingUp(NamedTuple):
    """The task runs whose session is still setting up: (step number, task), and how many
    per step number."""

    tasks: set[tuple[int, int]]
    steps: dict[int, int]


class _EntityState:
    """What the entity reads keep between calls: the records of the current state, the
    templates found per job structure, adaptive steps' frame stretches."""

    def __init__(self) -> None:
        self.records: _Records | None = None
        self.records_key: tuple[Any, ...] | None = None
        self.templates: dict[int, tuple[JobStructure, Template | None]] = {}
        self.inline: list[Template] | None = None
        self.frame_runs: dict[int, tuple[StepStructure, list[int]]] = {}


class _Column:
    """A table's id or name column as codes into its distinct values: a categorical's own
    (no Python string is made per row), else made here. Rows are compared by code."""

    __slots__ = ("_index", "_values", "codes")

    def __init__(self, column: Any) -> None:
        cat = getattr(column, "cat", None) if str(getattr(column, "dtype", "")) == "category" \
            else None
        self._index: dict[str, int] | None = None
        if cat is not None:
            self.codes = np.asarray(cat.codes, dtype=np.int64)
            self._values: Any = cat.categories  # (a pandas Index: get_loc hashes once)
            return
        index: dict[str, int] = {}
        self.codes = np.array([index.setdefault(v, len(index)) if isinstance(v, str) else -1
                               for v in np.asarray(column, dtype=object).tolist()],
                              dtype=np.int64)
        self._index = index
        self._values = list(index)

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, row: int) -> str | None:
        code = int(self.codes[row])
        return None if code < 0 else str(self._values[code])

    def code(self, value: str) -> int:
        """The code of ``value`` (-1: no row has it)."""
        if self._index is not None:
            return self._index.get(value, -1)
        try:
            found = self._values.get_loc(value)
        except KeyError:
            return -1
        return found if isinstance(found, int) else -1

    def same_values(self, other: _Column) -> bool:
        """Whether both columns' codes index the same values (the tables' shared ids)."""
        mine, theirs = self._values, other._values
        if mine is theirs:
            return True
        if self._index is not None or other._index is not None or len(mine) != len(theirs):
            return False
        return bool(mine.equals(theirs))

    @property
    def categories(self) -> int:
        return len(self._values)

    def value(self, code: int) -> str:
        return str(self._values[code])


class _Groups:
    """The rows of each code of a column, in row order (one stable sort)."""

    __slots__ = ("_order", "_starts")

    def __init__(self, codes: np.ndarray, n_codes: int) -> None:
        self._order = np.argsort(codes, kind="stable")
        self._starts = np.searchsorted(codes[self._order], np.arange(n_codes + 1))

    def rows(self, code: int) -> np.ndarray:
        if code < 0 or code + 1 >= len(self._starts):
            return _NONE
        rows: np.ndarray = self._order[self._starts[code]:self._starts[code + 1]]
        return rows


class _Records:
    """The run's tables at one simulated state (:meth:`Simulation.result`), with the indices
    the reads need, each built the first time a read needs it (by codes: no Python object per
    row of a table).

    ``setting_up``: (session id, task id) of the task runs whose session is still setting up:
    their taskRun action is ASSIGNED (as the tables say).
    """

    def __init__(self, result: Result, setting_up: list[tuple[str, str]]) -> None:
        self._result = result
        self._setting_up = setting_up

    # ------------------------------------------------------------------ sessions

    @cached_property
    def _sessions(self) -> Any:
        return self._result.sessions

    @cached_property
    def session_ids(self) -> _Column:
        return _Column(self._sessions["session_id"])

    @cached_property
    def session_worker(self) -> _Column:
        return _Column(self._sessions["worker_id"])

    @cached_property
    def session_fleet(self) -> _Column:
        return _Column(self._sessions["fleet_id"])

    @cached_property
    def session_queue(self) -> _Column:
        return _Column(self._sessions["queue_id"])

    @cached_property
    def session_job(self) -> _Column:
        return _Column(self._sessions["job_id"])

    @cached_property
    def session_ended(self) -> np.ndarray:
        return np.asarray(self._sessions["ended_at"], dtype=np.float64)

    @cached_property
    def session_started(self) -> np.ndarray:
        """Each session's start; one none of whose actions began yet: its first assignment."""
        started = np.array(self._sessions["started_at"], dtype=np.float64)
        missing = np.isnan(started)
        if missing.any():
            runs = self._result.task_runs
            rows = self._session_rows(_Column(runs["session_id"]))
            known = rows >= 0
            first = np.full(len(started), np.inf)
            np.minimum.at(first, rows[known],
                          np.asarray(runs["assigned_at"], dtype=np.float64)[known])
            started[missing] = first[missing]
        return started

    @cached_property
    def _session_of_code(self) -> np.ndarray:
        """The row of each session id code (of the sessions table's column) in the table."""
        ids = self.session_ids
        rows = np.full(ids.categories, -1, dtype=np.int64)
        known = ids.codes >= 0
        rows[ids.codes[known]] = np.flatnonzero(known)
        return rows

    def session_row(self, session_id: str) -> int | None:
        code = self.session_ids.code(session_id)
        row = int(self._session_of_code[code]) if code >= 0 else -1
        return row if row >= 0 else None

    def _session_rows(self, column: _Column) -> np.ndarray:
        """The row in the sessions table of each row's session of another table (-1: none)."""
        if column.same_values(self.session_ids):
            of_code = self._session_of_code
        else:
            rows = [self.session_row(column.value(c)) for c in range(column.categories)]
            of_code = np.array([-1 if r is None else r for r in rows], dtype=np.int64)
        codes = column.codes
        out: np.ndarray = np.where(codes >= 0, of_code[np.maximum(codes, 0)]
                                   if len(of_code) else -1, -1)
        return out

    @cached_property
    def _by_job(self) -> _Groups:
        return _Groups(self.session_job.codes, self.session_job.categories)

    @cached_property
    def _by_worker(self) -> _Groups:
        return _Groups(self.session_worker.codes, self.session_worker.categories)

    def sessions_of_job(self, job_id: str) -> np.ndarray:
        return self._by_job.rows(self.session_job.code(job_id))

    def sessions_of_worker(self, worker_id: str) -> np.ndarray:
        return self._by_worker.rows(self.session_worker.code(worker_id))

    def worked_on(self, worker_id: str, job_id: str) -> bool:
        """Whether the worker has (or had) a session on the job."""
        job = self.session_job.code(job_id)
        rows = self.sessions_of_worker(worker_id)
        return job >= 0 and bool(np.any(self.session_job.codes[rows] == job))

    # ------------------------------------------------------------------ session actions

    @cached_property
    def _actions(self) -> Any:
        return self._result.session_actions

    @cached_property
    def action_session(self) -> np.ndarray:
        """Each action's row in the sessions table."""
        return self._session_rows(_Column(self._actions["session_id"]))

    @cached_property
    def _action_order(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Actions by session (the table's order within one): the order, each session's first
        position in it, and each action's position in its session."""
        sessions = self.action_session
        order = np.argsort(sessions, kind="stable")
        first = np.searchsorted(sessions[order], np.arange(len(self.session_ids) + 1))
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order)) - first[sessions[order]]
        return order, first, position

    def actions_of_session(self, row: int) -> np.ndarray:
        order, first, _ = self._action_order
        rows: np.ndarray = order[first[row]:first[row + 1]]
        return rows

    @cached_property
    def action_kind(self) -> _Column:
        return _Column(self._actions["action"])

    @cached_property
    def _action_status(self) -> _Column:
        return _Column(self._actions["status"])

    @cached_property
    def _assigned_rows(self) -> frozenset[int]:
        """The taskRun actions of runs whose session is still setting up."""
        rows = set()
        task_run = self.action_kind.code("taskRun")
        for session_id, task_id in self._setting_up:
            row = self.session_row(session_id)
            task = self.action_task.code(task_id)
            if row is None or task < 0:
                continue
            mine = self.actions_of_session(row)
            hits = mine[(self.action_kind.codes[mine] == task_run)
                        & (self.action_task.codes[mine] == task)]
            rows.update(hits.tolist())
        return frozenset(rows)

    def action_status(self, row: int) -> str:
        if row in self._assigned_rows:
            return "ASSIGNED"
        return self._action_status[row] or ""

    @cached_property
    def action_started(self) -> np.ndarray:
        return np.asarray(self._actions["started_at"], dtype=np.float64)

    @cached_property
    def action_ended(self) -> np.ndarray:
        return np.asarray(self._actions["ended_at"], dtype=np.float64)

    @cached_property
    def action_job(self) -> _Column:
        return _Column(self._actions["job_id"])

    @cached_property
    def action_step(self) -> _Column:
        return _Column(self._actions["step_id"])

    @cached_property
    def action_task(self) -> _Column:
        return _Column(self._actions["task_id"])

    @cached_property
    def action_environment(self) -> _Column:
        return _Column(self._actions["environment_id"])

    def action_limits(self, row: int) -> list[dict[str, Any]]:
        limits = self._actions["acquired_limits"].iat[row]
        return list(limits) if limits is not None else []

    @cached_property
    def _table_action_ids(self) -> _Column | None:
        """The ``session_action_id`` column of ``session_actions``, when the result has it."""
        actions = self._actions
        return (_Column(actions["session_action_id"]) if "session_action_id" in actions.columns
                else None)

    def action_id(self, row: int) -> str:
        ids = self._table_action_ids
        if ids is not None:
            return ids[row] or ""
        session = self.session_ids[int(self.action_session[row])] or ""
        return f"sessionaction-{session[8:]}-{self._action_order[2][row]}"

    def action_row(self, action_id: str) -> int | None:
        """The row of the session action ``action_id``, or None."""
        ids = self._table_action_ids
        if ids is not None:
            code = ids.code(action_id)
            if code < 0:
                return None
            if code < len(ids) and ids.codes[code] == code:  # (one category per row)
                return code
            rows = np.flatnonzero(ids.codes == code)
            return int(rows[0]) if len(rows) else None
        match = _ACTION_ID.match(action_id)
        row = None if match is None else self.session_row(f"session-{match[1]}")
        if match is None or row is None:
            return None
        mine = self.actions_of_session(row)
        n = int(match[2])
        return int(mine[n]) if n < len(mine) else None

    @cached_property
    def _actions_by_job(self) -> _Groups:
        return _Groups(self.action_job.codes, self.action_job.categories)

    def actions_of_job(self, job_id: str) -> np.ndarray:
        """A job's actions: sessions in table order, each session's in its order."""
        return self._actions_by_job.rows(self.action_job.code(job_id))

    @cached_property
    def _actions_by_task(self) -> _Groups:
        return _Groups(self.action_task.codes, self.action_task.categories)

    def task_runs_of_task(self, task_id: str) -> np.ndarray:
        """The taskRun actions of a task (only taskRuns name a task), in table order."""
        return self._actions_by_task.rows(self.action_task.code(task_id))

    # ------------------------------------------------------------------ tasks and steps

    @cached_property
    def _task_table(self) -> tuple[_Column, np.ndarray, np.ndarray, np.ndarray, Any]:
        """Per task (by the code of its id in ``task_runs``): its first run's start, its
        last run's end and that run's row, and the ids of the runs' taskRun actions
        (``task_runs.session_action_id``, or the (session, task) of ``session_actions``).

        These are the ``tasks`` table's ``started_at``, ``ended_at`` and
        ``latest_session_action_id``, computed from the runs alone: the ``tasks`` table would
        make the parameters of every task of the farm to answer for one."""
        runs = self._result.task_runs
        ids = _Column(runs["task_id"])
        started = np.full(ids.categories, np.nan)
        ended = np.full(ids.categories, np.nan)
        last = np.full(ids.categories, -1, dtype=np.int64)
        known = ids.codes >= 0
        codes = ids.codes[known]
        np.fmin.at(started, codes, np.asarray(runs["started_at"], dtype=np.float64)[known])
        np.maximum.at(last, codes, np.flatnonzero(known))  # (runs are in the order they ended)
        ran = last >= 0
        ended[ran] = np.asarray(runs["ended_at"], dtype=np.float64)[last[ran]]
        if "session_action_id" in runs.columns:
            return ids, started, ended, last, _Column(runs["session_action_id"])
        return ids, started, ended, last, self._run_actions(runs, ids)

    def _run_actions(self, runs: Any, ids: _Column) -> list[str | None]:
        """The id of each run's taskRun action, from ``session_actions``: a session runs a
        task at most once (a failed run ends its session), so (session, task) names it."""
        sessions = self._session_rows(_Column(runs["session_id"]))
        task_run = self.action_kind.code("taskRun")
        names = {(int(self.action_session[r]), self.action_task[r]): r
                 for r in np.flatnonzero(self.action_kind.codes == task_run).tolist()}
        out: list[str | None] = []
        for run in range(len(ids)):
            row = names.get((int(sessions[run]), ids[run]))
            out.append(None if row is None else self.action_id(row))
        return out

    def task_times(self, task_id: str) -> tuple[float, float, str | None]:
        """(startedAt, endedAt, latestSessionActionId) of a task: its first taskRun's start,
        the end of its latest run (NaN: none, or it goes on) and that run's taskRun action."""
        ids, started, ended, last, actions = self._task_table
        code = ids.code(task_id)
        if code < 0 or last[code] < 0:
            return math.nan, math.nan, None
        action: str | None = actions[int(last[code])]
        return float(started[code]), float(ended[code]), action

    @cached_property
    def _step_table(self) -> tuple[_Column, np.ndarray, np.ndarray]:
        """(step ids, first assignment, last end) of the runs of each step id code."""
        runs = self._result.task_runs
        ids = _Column(runs["step_id"])
        first = np.full(ids.categories, np.inf)
        last = np.full(ids.categories, np.nan)
        known = ids.codes >= 0
        np.minimum.at(first, ids.codes[known],
                      np.asarray(runs["assigned_at"], dtype=np.float64)[known])
        np.fmax.at(last, ids.codes[known], np.asarray(runs["ended_at"], dtype=np.float64)[known])
        first[np.isinf(first)] = np.nan
        return ids, first, last

    def step_times(self, step_id: str) -> tuple[float, float]:
        """(the first assignment, the last end) of the runs of a step (NaN: none)."""
        ids, first, last = self._step_table
        code = ids.code(step_id)
        return (float(first[code]), float(last[code])) if code >= 0 else (math.nan, math.nan)


_NONE = np.empty(0, dtype=np.int64)


# ---------------------------------------------------------------------- steps and templates


def _resolved(step: StepState) -> bool:
    """Every task of ``step`` SUCCEEDED (a dependency on it is met)."""
    return step.counts[_SUCCEEDED] == step.task_count


def _resolution(resolved: bool) -> str:
    return "RESOLVED" if resolved else "UNRESOLVED"


def _consumers(job: JobState, step: StepState) -> list[StepState]:
    return [s for s in job.steps if step.index in s.structure.dependencies]


def _upstream_can_succeed(job: JobState, step: StepState) -> bool:
    return all(job.steps[d].can_succeed() for d in step.structure.dependencies)


def _type_name(definition: Any) -> str:
    kind = definition.type
    return str(getattr(kind, "value", kind))


def _parameter_space(structure: StepStructure) -> dict[str, Any] | None:
    """The step's ``parameterSpace`` as the API reports it, from the job's instantiated
    template (None: a step without task parameters)."""
    space = structure.parameter_space
    if space is None:
        return None
    parameters = []
    for name, definition in (space.taskParameterDefinitions or {}).items():
        kind = _STEP_PARAMETER_TYPES.get(_type_name(definition))
        if kind is None:
            continue
        item: dict[str, Any] = {"name": name, "type": kind}
        chunks = getattr(definition, "chunks", None)
        if chunks is not None:
            constraint = chunks.rangeConstraint
            item["chunks"] = {"defaultTaskCount": int(chunks.defaultTaskCount),
                              "rangeConstraint": str(getattr(constraint, "value", constraint))}
            if chunks.targetRuntimeSeconds is not None:
                item["chunks"]["targetRuntimeSeconds"] = int(chunks.targetRuntimeSeconds)
        parameters.append(item)
    out: dict[str, Any] = {"parameters": parameters}
    if space.combination:
        out["combination"] = str(space.combination)
    return out


def _required_capabilities(structure: StepStructure) -> dict[str, Any] | None:
    """The step's host requirements as ``requiredCapabilities`` (None: it has none)."""
    if not structure.amounts and not structure.attributes:
        return None
    amounts = []
    for amount in structure.amounts:
        item: dict[str, Any] = {"name": amount.name}
        if amount.min is not None:
            item["min"] = amount.min
        if amount.max is not None:
            item["max"] = amount.max
        amounts.append(item)
    attributes = []
    for attribute in structure.attributes:
        entry: dict[str, Any] = {"name": attribute.name}
        if attribute.any_of is not None:
            entry["anyOf"] = list(attribute.any_of)
        if attribute.all_of is not None:
            entry["allOf"] = list(attribute.all_of)
        attributes.append(entry)
    return {"attributes": attributes, "amounts": amounts}


def _range_expression(frames: tuple[int, ...]) -> str:
    """A run of frames as a range expression (as AdaptiveChunks.expression writes one)."""
    if not frames:
        return ""
    if all(b == a + 1 for a, b in pairwise(frames)):
        return str(frames[0]) if len(frames) == 1 else f"{frames[0]}-{frames[-1]}"
    return ",".join(map(str, frames))


def _number_string(value: Any) -> str:
    """An INT or FLOAT value as the API's IntString or FloatString."""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    return str(value)


def _inferred_type(value: Any) -> str:
    """The OpenJD type of a job parameter value whose template is not known."""
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int):
        return "INT"
    if isinstance(value, float):
        return "FLOAT"
    if isinstance(value, os.PathLike):
        return "PATH"
    return "STRING"


def _tagged(kind: str, value: Any) -> dict[str, Any] | None:
    """A job parameter value as the API's JobParameter union member for its OpenJD type
    (None: a type the union has no member for)."""
    try:
        if kind == "INT":
            return {"int": str(int(value))}
        if kind == "FLOAT":
            return {"float": _number_string(float(value))}
        if kind == "STRING":
            return {"string": str(value)}
        if kind == "PATH":
            return {"path": os.fspath(value) if isinstance(value, os.PathLike) else str(value)}
        if kind == "BOOL":
            flag = value if isinstance(value, bool) else str(value).lower() in (
                "true", "yes", "on", "1")
            return {"bool": "true" if flag else "false"}
        if kind == "RANGE_EXPR":
            return {"rangeExpr": str(value)}
        lists: dict[str, tuple[str, Callable[[Any], str]]] = {
            "LIST[STRING]": ("stringList", str), "LIST[PATH]": ("pathList", str),
                 "LIST[INT]": ("intList", lambda v: str(int(v))),
                 "LIST[FLOAT]": ("floatList", lambda v: _number_string(float(v)))}
        if kind in lists and isinstance(value, (list, tuple)):
            member, convert = lists[kind]
            return {member: [convert(v) for v in value]}
    except (TypeError, ValueError):
        return None
    return None


def _document(model: Any) -> dict[str, Any]:
    """An openjd-model object as its template document."""
    dumped: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return dumped


def _extensions(template: Template | None) -> list[str]:
    if template is None:
        return []
    return [str(getattr(e, "value", e)) for e in template.job_template.extensions or ()]


def _step_template(template: Template | None, name: str) -> Any:
    if template is None:
        return None
    for step in template.job_template.steps:
        if step.name == name:
            return step
    return None


def _job_templates(raw: Any, depth: int = 0) -> Iterator[Mapping[str, Any]]:
    """The inline job templates of a scenario's mapping (those mappings with a
    ``specificationVersion`` of a job template), wherever they are."""
    if depth > 12:
        return
    if isinstance(raw, Mapping):
        version = raw.get("specificationVersion")
        if isinstance(version, str) and version.startswith("jobtemplate-"):
            yield raw
            return
        for value in raw.values():
            yield from _job_templates(value, depth + 1)
    elif isinstance(raw, list):
        for value in raw:
            yield from _job_templates(value, depth + 1)


def _load_inline(document: Mapping[str, Any], base_dir: str | None) -> Template | None:
    try:
        return load_template(document, base_dir=base_dir)
    except FarmsimError:
        return None


def _batch_error(ident: dict[str, Any], kind: str, resource_id: str) -> dict[str, Any]:
    return dict(ident) | {"code": "ResourceNotFoundException",
                          "message": f"{kind} {resource_id} does not exist"}


def _where(ident: dict[str, Any], last: str) -> dict[str, Any]:
    """The identifier's members up to ``last`` (a batch item's farmId, queueId, ...)."""
    out = {}
    for key in ("farmId", "queueId", "jobId", "stepId"):
        out[key] = ident[key]
        if key == last:
            break
    return out
