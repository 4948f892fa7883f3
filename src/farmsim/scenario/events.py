"""A scenario's ``events``: Deadline Cloud API calls made at set simulated times.

::

    events:
    - at: 2d                       # when, since t=0
      call: update_limit           # the client's operation (sim.client())
      args: {limit: nuke, maxCount: 20}

``call`` is one of :data:`CALLS`, the client's operations that change the farm; ``args`` its
keyword arguments, the API's, except that what the farm holds is named instead of given by id
(:data:`REFERENCES`; the engine makes the names ids and adds the ``farmId``):

- ``queue``, ``fleet``, ``limit``: a displayName, as the farm has it when the call is made: a
  limit made by an earlier ``create_limit`` event counts, an object renamed by an earlier update
  goes by its new name, a deleted limit is gone;
- ``job``: a job's name (its template's ``name``, resolved, or ``create_job``'s
  ``nameOverride``): the one job of that name submitted before the call, in ``queue`` if the
  event names one (the queue is the job's otherwise);
- ``step``: a step of that job, by name;
- ``task`` (``update_task``): a task of that step, by number (0-based: the ``n`` of its id
  ``task-<hex>-<n>``, its place in ListTasks and in the ``tasks`` table) or by its parameter
  values (``{Frame: 12}``; for a CHUNK[INT] parameter, the chunk that holds the frame).

``create_job`` also takes its ``template`` as a mapping (an inline template, sent as JSON) and
its ``parameters`` as plain values (``{Shot: sh010, Frames: "1-24"}``, sent as the API's
``{"string": "sh010"}`` ...) besides the API's forms.

Each call is checked at load time as far as it can be before the run, in time order (an event
sees what the events before it did): the operation is one the client makes changes with, each
name exists then (and is not shared), a ``create_job`` template expands with its parameters, and
the arguments pass botocore's checks and the service's (maximums, patterns, enums) with the
names standing in for ids. Jobs, steps and tasks are checked against the scenario's submissions
when the caller gives them (:func:`read_events`' ``jobs``; :func:`check_events`, which the
simulation calls before a run); arrival streams draw their jobs' names during the run, so a
scenario with arrival streams has its job names checked by the run only. What only the run can
tell is a scenario error naming the event when the call is made.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from farmsim._documents import load_yaml
from farmsim.errors import TemplateError
from farmsim.model.config import ScheduledCall
from farmsim.scenario._validate import Problems, Section, is_int, is_number, names, show
from farmsim.templates import expand_job, load_template

if TYPE_CHECKING:
    from farmsim.model.arrivals import ArrivalStream
    from farmsim.model.config import FarmConfig, JobSubmission
    from farmsim.model.job import JobStructure, StepStructure
    from farmsim.scenario.config import Scenario

__all__ = ["CALLS", "FARM_OBJECTS", "REFERENCES", "check_events", "read_events"]

#: The operations a scenario may schedule (the client's operations that change the farm), by
#: the client's name, with the API's. (BatchUpdateJob and BatchUpdateTask are left out: events
#: at the same time do what they do.)
CALLS = {
    "update_limit": "UpdateLimit",
    "create_limit": "CreateLimit",
    "delete_limit": "DeleteLimit",
    "create_queue_limit_association": "CreateQueueLimitAssociation",
    "update_queue_limit_association": "UpdateQueueLimitAssociation",
    "delete_queue_limit_association": "DeleteQueueLimitAssociation",
    "update_queue": "UpdateQueue",
    "update_fleet": "UpdateFleet",
    "update_queue_fleet_association": "UpdateQueueFleetAssociation",
    "create_job": "CreateJob",
    "update_job": "UpdateJob",
    "update_step": "UpdateStep",
    "update_task": "UpdateTask",
}
#: Argument names that name what the farm holds, and the id each stands for.
REFERENCES = {"queue": "queueId", "fleet": "fleetId", "limit": "limitId", "job": "jobId",
              "step": "stepId", "task": "taskId"}
#: The references that name an object of the farm by displayName.
FARM_OBJECTS = ("queue", "fleet", "limit")
#: Stand-ins for ids while checking arguments at load time (they match the API's patterns).
_PLACEHOLDERS = {"farmId": "farm-" + "0" * 32, "queueId": "queue-" + "0" * 32,
                 "fleetId": "fleet-" + "0" * 32, "limitId": "limit-" + "0" * 32,
                 "jobId": "job-" + "0" * 32, "stepId": "step-" + "0" * 32,
                 "taskId": "task-" + "0" * 32 + "-0"}
#: A reference named within another one.
_WITHIN = {"step": "job", "task": "step"}
#: The calls that can give an object of the farm a new displayName, by the kind they update.
_RENAMES = {"update_limit": "limit", "update_queue": "queue", "update_fleet": "fleet"}


def read_events(value: Any, problems: Problems, *, farm: FarmConfig | None,
                horizon: float | None, jobs: Sequence[JobSubmission] | None = None,
                arrivals: Sequence[ArrivalStream] = ()) -> tuple[ScheduledCall, ...]:
    """The scenario's ``events`` (a list), each checked, in time order; every problem goes to
    ``problems``. ``jobs`` and ``arrivals`` are the scenario's submissions: without ``jobs``
    (None) the events' jobs, steps and tasks are not checked here (:func:`check_events` does
    it before a run)."""
    if not isinstance(value, list):
        problems.add("events", f"must be a list of calls (got {show(value)})")
        return ()
    read: list[tuple[str, ScheduledCall]] = []
    for i, item in enumerate(value):
        where = f"events[{i}]"
        section = Section(item, where, problems, keys=("at", "call", "args"),
                          required=("at", "call"))
        if not section.valid:
            continue
        at = section.duration("at")
        if at is not None and horizon is not None and at >= horizon:
            section.bad("at", f"is at or after the horizon ({horizon:g} s): the call would "
                              f"never be made (got {show(section.get('at'))})")
        call = section.choice("call", tuple(CALLS))
        args = section.mapping("args") if section.has("args") else {}
        if at is None or call is None or args is None:
            continue
        read.append((where, ScheduledCall(at=at, call=call, args=dict(args))))
    read.sort(key=lambda item: item[1].at)  # (stable: the run makes calls of one time in order)
    return _Checker(problems, farm, jobs, arrivals).check(read)


def check_events(scenario: Scenario) -> None:
    """Check ``scenario.events`` against the whole scenario, its submissions included (the jobs,
    steps and tasks the events name), as :func:`read_events` does.

    Raises:
        ScenarioError: every problem, at ``events[<position in scenario.events>]``.
    """
    problems = Problems()
    _Checker(problems, scenario.farm, scenario.jobs, scenario.arrivals).check(
        [(f"events[{n}]", call) for n, call in enumerate(scenario.events)])
    problems.raise_if_any(scenario.source)


@dataclass(slots=True)
class _Object:
    """A queue, fleet or limit as the events so far leave it."""

    name: str
    alive: bool = True


@dataclass(frozen=True, slots=True)
class _Source:
    """Jobs of one name: a submission of the workload, or an earlier event (a ``create_job``,
    or an ``update_job`` that renames a job)."""

    at: float
    queue: int | None  # the queue's place in the farm (None: not known)
    structure: JobStructure | None  # None: not known
    by_event: bool = False

    def before(self, at: float) -> bool:
        """The job exists when a call at ``at`` is made: a call comes first in its instant,
        after the submissions of t=0 only (they are the run's first event)."""
        return self.by_event or self.at < at or self.at == 0.0


class _Checker:
    """Checks events in time order, keeping the farm's objects and job names as the events
    before each one leave them."""

    def __init__(self, problems: Problems, farm: FarmConfig | None,
                 jobs: Sequence[JobSubmission] | None,
                 arrivals: Sequence[ArrivalStream]) -> None:
        self.problems = problems
        self.objects: dict[str, list[_Object]] | None = None if farm is None else {
            "queue": [_Object(q.display_name) for q in farm.queues],
            "fleet": [_Object(f.display_name) for f in farm.fleets],
            "limit": [_Object(lim.display_name) for lim in farm.limits],
        }
        #: What became of a name no longer in the farm ("deleted by events[2]").
        self.gone: dict[tuple[str, str], str] = {}
        #: The sources of each job name (None: the jobs are not checked).
        self.jobs: dict[str, list[_Source]] | None = None
        if jobs is not None:
            queues = {} if farm is None else {q.display_name: i
                                              for i, q in enumerate(farm.queues)}
            self.jobs = {}
            for job in jobs:
                self.jobs.setdefault(job.name or job.structure.name, []).append(
                    _Source(job.at, queues.get(job.queue), job.structure))
        #: Arrival streams draw their jobs' names during the run: any name may come up.
        self.open = bool(arrivals)
        #: Job names an earlier event renamed a job away from (the count of jobs is not known).
        self.renamed: set[str] = set()

    def check(self, events: Sequence[tuple[str, ScheduledCall]]) -> tuple[ScheduledCall, ...]:
        out = []
        for where, call in events:
            checked = self._event(where, call)
            if checked is not None:
                out.append(checked)
        return tuple(out)

    def _event(self, where: str, call: ScheduledCall) -> ScheduledCall | None:
        """``call`` checked (its arguments as the run makes them), or None after problems."""
        if call.call not in CALLS:
            self.problems.add(f"{where}.call", f"must be one of {', '.join(CALLS)} "
                                               f"(got {show(call.call)})")
            return None
        from farmsim.api._model import every_request_problem, operation_model

        operation = CALLS[call.call]
        shape = operation_model(operation).input_shape
        where_args = f"{where}.args"
        given: dict[Any, Any] = dict(call.args)  # (a file's keys may be anything)
        ok = True
        refs: dict[str, Any] = {}
        request: dict[str, Any] = {"farmId": _PLACEHOLDERS["farmId"]}
        for key, value in given.items():
            if not isinstance(key, str):
                self.problems.add(where_args, f"argument names must be strings (got {show(key)})")
                ok = False
            elif key in REFERENCES:
                ok = self._reference(where_args, call.call, key, value, given) and ok
                refs[key] = value
                request[REFERENCES[key]] = _PLACEHOLDERS[REFERENCES[key]]
            elif key == "farmId" or key in (REFERENCES[kind] for kind in FARM_OBJECTS):
                self.problems.add(f"{where_args}.{key}", "name the farm's objects by displayName "
                                  "(queue, fleet, limit): their ids are made by the run")
                ok = False
            else:
                request[key] = value
        for key, outer in _WITHIN.items():
            if key in refs and outer not in refs:
                self.problems.add(f"{where_args}.{key}", f"needs {outer}: a {key} is named "
                                  f"within its {outer} (got {key} {show(refs[key])} alone)")
                ok = False
        if "job" in refs:
            request.setdefault("queueId", _PLACEHOLDERS["queueId"])  # (the job's)
        missing = [kind for kind, member in REFERENCES.items()
                   if shape is not None and member in shape.required_members
                   and member not in request]
        if "job" in missing and "queue" in missing:
            missing.remove("queue")  # (a job's name tells its queue)
        for kind in missing:
            self.problems.add(where_args, f"missing {kind!r}: {operation} needs the {kind} it "
                                          f"acts on (by name)")
        if missing or not ok:
            return None
        args: dict[str, Any] = dict(given)
        found, structures = self._names(where_args, call.at, refs)
        if found is None:
            return None
        if call.call == "create_job" and not self._create_job_args(where_args, args, request):
            return None
        problems = every_request_problem(operation, request)
        for problem in problems:
            self.problems.add(f"{where_args}.{problem.path}" if problem.path else where_args,
                              f"{problem.message} ({operation})")
        if problems:
            return None
        made = None
        if call.call == "create_job":
            made = _job_structure(where_args, args, self.problems)
            if made is None:
                return None
        self._apply(where, call.call, args, refs, found, structures, made)
        return ScheduledCall(at=call.at, call=call.call, args=args)

    def _reference(self, where: str, call: str, key: str, value: Any,
                   args: Mapping[str, Any]) -> bool:
        """Check a reference's form: the call takes it, it is not given with its id too, and
        its value is a name (a task: a number or parameter values)."""
        from farmsim.api._model import operation_model

        member = REFERENCES[key]
        shape = operation_model(CALLS[call]).input_shape
        if shape is None or member not in shape.members:
            self.problems.add(f"{where}.{key}", f"{call} names no {key} ({CALLS[call]} has no "
                                                f"{member}; got {key} {show(value)})")
            return False
        if member in args:
            self.problems.add(f"{where}.{key}", f"give {key} or {member}, not both")
            return False
        if key == "task":
            if is_int(value) and value >= 0:
                return True
            if (isinstance(value, Mapping) and value
                    and all(isinstance(k, str) for k in value)
                    and all(isinstance(v, str) or is_number(v) for v in value.values())):
                return True
            self.problems.add(f"{where}.task", "must be a task's number (0 for the first) or "
                                               "its parameter values ({Frame: 12}) "
                                               f"(got {show(value)})")
            return False
        if not isinstance(value, str) or not value:
            what = (f"a {key} of the farm by displayName" if key in FARM_OBJECTS
                    else f"a {key} by name")
            self.problems.add(f"{where}.{key}", f"must name {what} (got {show(value)})")
            return False
        return True

    def _names(self, where: str, at: float, refs: dict[str, Any]
               ) -> tuple[dict[str, int] | None, list[JobStructure] | None]:
        """The farm's objects the references name (their places), and the structures the job
        named may have (None: not known); (None, None) after problems."""
        found: dict[str, int] = {}
        ok = True
        for kind in FARM_OBJECTS:
            if kind not in refs or self.objects is None:
                continue
            name = refs[kind]
            objects = self.objects[kind]
            matches = [i for i, obj in enumerate(objects) if obj.alive and obj.name == name]
            if len(matches) == 1:
                found[kind] = matches[0]
                continue
            ok = False
            if matches:
                self.problems.add(f"{where}.{kind}", f"names {len(matches)} {kind}s (got "
                                  f"{show(name)}): the call could not tell which one; give "
                                  f"them different displayNames")
                continue
            listed = names(sorted({obj.name for obj in objects if obj.alive}))
            note = self.gone.get((kind, name))
            self.problems.add(f"{where}.{kind}", f"must name a {kind} of the farm by displayName "
                              f"(got {show(name)}; {kind}s then: {listed}"
                              + (f"; {show(name)} was {note}" if note else "") + ")")
        if not ok:
            return None, None
        structures = None
        if "job" in refs and self.jobs is not None:
            known, structures = self._job(where, at, refs["job"], found.get("queue"))
            if not known:
                return None, None
            if "step" in refs and structures is not None:
                steps = [s for job in structures for s in job.steps if s.name == refs["step"]]
                if not steps:
                    listed = names(dict.fromkeys(s.name for job in structures for s in job.steps))
                    self.problems.add(f"{where}.step", f"names no step of job "
                                      f"{show(refs['job'])} (got {show(refs['step'])}; its "
                                      f"steps: {listed})")
                    return None, None
                if "task" in refs and not self._task(where, refs["task"], steps):
                    return None, None
        return found, structures

    def _job(self, where: str, at: float, name: str, queue: int | None
             ) -> tuple[bool, list[JobStructure] | None]:
        """Whether the job name can be resolved at ``at`` (a problem if not), and the
        structures its job may have (None: not known)."""
        assert self.jobs is not None
        sources = self.jobs.get(name, [])
        if queue is not None:
            sources = [s for s in sources if s.queue is None or s.queue == queue]
        ready = [s for s in sources if s.before(at)]
        if not ready:
            if self.open:
                return True, None
            if sources:
                first = min(s.at for s in sources)
                self.problems.add(f"{where}.job", f"names a job submitted after the call (got "
                                  f"{show(name)}, first submitted at {first:g} s; the call is at "
                                  f"{at:g} s, and a call comes first in its instant)")
            else:
                scope, every = "", names(sorted(self.jobs))
                if queue is not None and self.objects is not None:
                    scope = f" in queue {show(self.objects['queue'][queue].name)}"
                    every = names(sorted(n for n, found in self.jobs.items()
                                         if any(s.queue in (None, queue) for s in found)))
                self.problems.add(f"{where}.job", f"names no job of the scenario{scope} (got "
                                  f"{show(name)}; jobs: {every}; a job goes by its template's "
                                  f"name, resolved, or create_job's nameOverride)")
            return False, None
        if len(ready) > 1 and name not in self.renamed:
            times = ", ".join(f"{s.at:g} s" for s in ready[:5]) + (", ..." if len(ready) > 5
                                                                    else "")
            self.problems.add(f"{where}.job", f"names {len(ready)} jobs submitted before the "
                              f"call (got {show(name)}; submitted at {times}): the call could "
                              f"not tell which one; give the jobs different names (a template "
                              f"name with a parameter, 'Comp {{{{Param.Shot}}}}', or "
                              f"create_job's nameOverride)")
            return False, None
        if self.open or any(s.structure is None for s in ready):
            return True, None
        return True, [s.structure for s in ready if s.structure is not None]

    def _task(self, where: str, task: Any, steps: list[StepStructure]) -> bool:
        """Check ``task`` against the steps it may be of (a problem if it is of none)."""
        name = steps[0].name
        if is_int(task):
            if any(s.chunking is not None and s.chunking.adaptive for s in steps):
                return True  # (adaptive chunks are formed during the run)
            count = max(s.task_count for s in steps)
            if task < count:
                return True
            self.problems.add(f"{where}.task", f"must be a task of step {show(name)}: its "
                              f"number, 0 to {count - 1} (got {task})")
            return False
        ok = True
        for key, value in task.items():
            definitions = [d for s in steps if s.parameter_space is not None
                           for n, d in (s.parameter_space.taskParameterDefinitions or {}).items()
                           if n == key]
            if not definitions:
                listed = names(dict.fromkeys(
                    n for s in steps if s.parameter_space is not None
                    for n in (s.parameter_space.taskParameterDefinitions or {})))
                self.problems.add(f"{where}.task.{key}", f"names no task parameter of step "
                                  f"{show(name)} (its parameters: {listed})")
                ok = False
            elif not any(_possible(d, value) for d in definitions):
                self.problems.add(f"{where}.task.{key}", f"is not a value of step "
                                  f"{show(name)}'s task parameter {key} (got {show(value)})")
                ok = False
        return ok

    def _create_job_args(self, where: str, args: dict[str, Any], request: dict[str, Any]
                         ) -> bool:
        """Make CreateJob's arguments (and ``request``) as the API takes them: an inline
        template mapping JSON text, plain parameter values the API's tagged ones. False after
        a problem."""
        template = args.get("template")
        if isinstance(template, Mapping):
            try:
                args["template"] = json.dumps(template)
            except (TypeError, ValueError) as exc:
                self.problems.add(f"{where}.template", f"must be JSON-shaped: {exc}")
                return False
            args["templateType"] = "JSON"
        parameters = args.get("parameters")
        if isinstance(parameters, Mapping):
            args["parameters"] = {name: _tagged(value) for name, value in parameters.items()}
        for key in ("template", "templateType", "parameters"):
            if key in args:
                request[key] = args[key]
        return True

    def _apply(self, where: str, call: str, args: Mapping[str, Any], refs: dict[str, Any],
               found: dict[str, int], structures: list[JobStructure] | None,
               made: JobStructure | None) -> None:
        """What the call leaves for the events after it: limits made and deleted, new
        displayNames, the job it creates, a job's new name."""
        if self.objects is not None:
            if call == "create_limit":
                self.objects["limit"].append(_Object(args["displayName"]))
                self.gone.pop(("limit", args["displayName"]), None)
            elif call == "delete_limit" and "limit" in found:
                obj = self.objects["limit"][found["limit"]]
                obj.alive = False
                self.gone[("limit", obj.name)] = f"deleted by {where}"
            elif call in _RENAMES and "displayName" in args and _RENAMES[call] in found:
                kind = _RENAMES[call]
                obj = self.objects[kind][found[kind]]
                if obj.name != args["displayName"]:
                    self.gone[(kind, obj.name)] = f"renamed {args['displayName']!r} by {where}"
                    obj.name = args["displayName"]
        if self.jobs is None:
            return
        if call == "create_job" and made is not None:
            name = args.get("nameOverride") or made.name
            self.jobs.setdefault(name, []).append(
                _Source(0.0, found.get("queue"), made, by_event=True))
        elif call == "update_job" and "name" in args:
            if "job" in refs:
                self.renamed.add(refs["job"])
            one = structures[0] if structures is not None and len(structures) == 1 else None
            self.jobs.setdefault(args["name"], []).append(
                _Source(0.0, found.get("queue"), one, by_event=True))


def _tagged(value: Any) -> Any:
    """A CreateJob parameter value as the API's tagged union (``{"int": "5"}``); a value in
    that form already, or one of no such form, as it is (the request check reports it)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, float):
        return {"float": repr(value)}
    if isinstance(value, str):
        return {"string": value}
    return value


_TRUE = {"true", "yes", "on", "1"}


def _job_structure(where: str, args: Mapping[str, Any], problems: Problems
                   ) -> JobStructure | None:
    """The job a ``create_job`` event makes (as CreateJob reads its template and parameters),
    or None after a problem."""
    text = args.get("template")
    if text is None:
        problems.add(where, "missing 'template': farmsim creates jobs from templates only")
        return None
    kind = args.get("templateType", "YAML")
    try:
        document = json.loads(text) if kind == "JSON" else load_yaml(text)
    except (ValueError, RecursionError, yaml.YAMLError) as exc:
        problems.add(f"{where}.template", f"is not valid {kind}: {exc}")
        return None
    if not isinstance(document, dict):
        problems.add(f"{where}.template", f"must be a job template: its {kind} text, or an "
                                          f"inline mapping, not a path (got {show(document)})")
        return None
    try:
        template = load_template(document)
    except TemplateError as exc:
        problems.add(f"{where}.template", str(exc))
        return None
    values: dict[str, Any] = {}
    for name, tagged in (args.get("parameters") or {}).items():
        ((member, value),) = tagged.items()  # (one member: botocore has checked)
        try:
            values[name] = _parameter_value(member, value)
        except ValueError:
            problems.add(f"{where}.parameters.{name}", f"is not a valid {member} (got "
                                                       f"{show(value)})")
            return None
    try:
        return expand_job(template, values)
    except TemplateError as exc:
        problems.add(f"{where}.parameters", str(exc))
        return None


def _parameter_value(member: str, value: Any) -> Any:
    """A job parameter's value from the API's tagged union (as CreateJob reads it)."""
    if member == "int":
        return int(value)
    if member == "float":
        return float(value)
    if member == "bool":
        return value.lower() in _TRUE
    if member == "intList":
        return [int(v) for v in value]
    if member == "floatList":
        return [float(v) for v in value]
    if member == "boolList":
        return [v.lower() in _TRUE for v in value]
    if member == "intListList":
        return [[int(v) for v in inner] for inner in value]
    return value


def _possible(definition: Any, value: Any) -> bool:
    """Whether a task parameter (openjd-model's definition, of an expanded job) may have
    ``value``; True when that cannot be told before the run (a chunk's range expression)."""
    kind = str(getattr(definition.type, "value", definition.type))
    values = definition.range
    try:
        if kind in ("INT", "CHUNK[INT]"):
            if isinstance(value, str):
                return kind == "CHUNK[INT]"
            return is_int(value) and (value in values if not isinstance(values, list)
                                      else str(value) in {str(v) for v in values})
        if kind == "FLOAT":
            return is_number(value) and float(value) in {float(v) for v in values}
        return str(value) in {str(v) for v in values}
    except (TypeError, ValueError):
        return True
