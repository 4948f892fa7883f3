"""SearchJobs, SearchSteps, SearchTasks and SearchWorkers: the API's filter and sort expressions
over the farm's jobs, steps, tasks and workers (part of
:class:`~farmsim.api.client.DeadlineClient`), on one search engine (:func:`search`).

What is searched: SearchJobs the jobs of ``queueIds``; SearchSteps and SearchTasks the steps
and tasks of the job ``jobId`` (a ``ResourceNotFoundException`` unless it is a job of one of
``queueIds``, as GetJob answers for a job of another queue), or without one those of every
job of ``queueIds``; SearchWorkers the workers of ``fleetIds``.

A request's ``filterExpressions`` is a group (``operator`` AND or OR) of one to three filters,
each one of:

* ``stringFilter`` {name, operator, value}: a string or integer field; EQUAL and NOT_EQUAL (the
  only operators the service documents for it). An integer field's value must be an integer
  (``"50"``); an enumerated field's value (``TASK_RUN_STATUS``, ...) must be one of the enum.
* ``stringListFilter`` {name, operator, values} (newer models): ANY_EQUALS (the field is one of
  the values) and ALL_NOT_EQUALS (it is none of them), on the same fields.
* ``dateTimeFilter`` {name, operator, dateTime}: a date-time field; EQUAL,
  GREATER_THAN_EQUAL_TO, GREATER_THAN, LESS_THAN_EQUAL_TO, LESS_THAN (the service documents
  NOT_EQUAL, ANY_EQUALS and ALL_NOT_EQUALS as unsupported). Compared at the microsecond, so a
  timestamp read from a response matches itself.
* ``parameterFilter`` {name, operator, value}: a job parameter (SearchJobs: the values the job
  was submitted with) or a task parameter (SearchTasks: the task's ``parameters`` as GetTask
  reports them, a CHUNK[INT] chunk as its range expression, which is text); the six
  comparison operators (steps and workers have no parameter values). A number parameter
  compared with a number is compared as numbers, anything else as text (a boolean is
  ``true``/``false``); a list parameter is EQUAL to a value it contains, NOT_EQUAL to one it
  does not, and never ordered.
* ``searchTermFilter`` {searchTerm, matchType}: text search. ``CONTAINS``: the exact term is a
  substring (case counts); ``FUZZY_MATCH`` (the default): any of the term's words is a substring,
  case ignored. Jobs and steps are searched by name, tasks and workers by id.
* ``groupFilter``: a nested group. The service allows "two groupings per search": farmsim reads
  that as two levels, the request's group and groups inside it; a group inside those is refused.

The filter and sort field names are the summary's members in upper snake case, as the service
and Deadline Cloud's own client spell them (``CREATED_AT``, ``ENDED_AT``, ``TASK_RUN_STATUS``);
the camelCase member names are not accepted (the deadline client converts ``endedAt`` to
``ENDED_AT`` before calling). The service does not list its searchable fields (the API
reference's FieldSortExpression and StringFilterExpression say only "the name of the field"):
farmsim takes every top-level scalar member of the search summary (:data:`JOB_FIELDS`,
:data:`STEP_FIELDS`, :data:`TASK_FIELDS`, :data:`WORKER_FIELDS`). So a task's status is
``RUN_STATUS`` (TaskSearchSummary's ``runStatus``; ``TASK_RUN_STATUS`` is a job's and a
step's), and its retries ``FAILURE_RETRY_COUNT``; maps and structures (``parameters``,
``taskRunStatusCounts``, ``parameterSpace``) are no fields. An unknown name, an operator the
filter does not support or a filter of the wrong kind for its field is a
``ValidationException`` whose ``fieldList`` names the request's path to it.

A value the resource does not have (a job's ``ENDED_AT`` before it ends, ``SOURCE_JOB_ID``,
a parameter the job was not given, a step's ``LIFECYCLE_STATUS_MESSAGE``; a step's
``TARGET_TASK_RUN_STATUS``, ``UPDATED_AT`` and ``UPDATED_BY`` until an UpdateStep, a task's
``TARGET_RUN_STATUS``, ``UPDATED_AT`` and ``UPDATED_BY`` until an UpdateTask) matches no
filter, NOT_EQUAL and ALL_NOT_EQUALS included, and sorts last in either order. A field's
value is always what the resource's summary in the response reports (the tests hold every
field to it).
``MAX_WORKER_COUNT`` is -1 for a job without a maximum (what the service documents an omitted
``maxWorkerCount`` to mean).

``sortExpressions`` (one to five, applied in order, each breaking the ties of those before it):
``fieldSort`` {name, sortOrder}, ``parameterSort`` {name, sortOrder} (numbers, then text, then
lists), and ``userJobsFirst`` {userIdentityId}: jobs (or steps) whose ``createdBy`` is that
user first (a simulation has one user, ``farmsim``; a task summary names no user, so
SearchTasks refuses it, as SearchWorkers does). Text sorts and compares by code point
(``"Zeta"`` before ``"alpha"``). What is still tied, and a search without sort expressions,
keeps creation order: jobs oldest first (as ListJobs), a job's steps in ListSteps' order, a
step's tasks in ListTasks' order.

Pages: ``itemOffset`` (0 to 10,000) and ``pageSize`` (1 to 100, default 100);
``totalResults`` counts the matches, at most 10,000 (the model's maximum: a search matching more
reports 10,000), and ``nextItemOffset`` is where the next page starts, absent on the last.

Cost: one pass over the candidates (the queues' jobs; the steps or tasks of ``jobId`` alone,
or of the queues' jobs; the fleets' workers) that reads the engine's state through the fields a
request names (the run's records only for a step's or task's times and latest session action,
built once per simulated state and shared with GetStep and GetTask), a sort of the matches,
and summaries built for the returned page only, by the builders GetJob, GetStep, GetTask and
ListWorkers use. A task is a candidate as one int (:data:`_TASK_BITS`), not an object.

Adding a Search* operation: describe the resource with a :class:`Searchable` (its fields, what a
search term looks in, its parameters if it has any) and call :func:`search`::

    def search_things(self, **params):
        self._request("SearchThings", params)
        found = search("SearchThings", candidate_things, params, self._thing_searchable())
        return found.response("things", [thing_summary(t) for t in found.items])
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import numbers
import operator
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast

import numpy as np
from botocore.utils import parse_to_aware_datetime

from farmsim.api._base import CREATED_BY, ClientBase, invalid, not_found
from farmsim.api._model import service_model
from farmsim.model.enums import TASK_STATUS_CODES, WORKER_STATUS_CODES, TaskRunStatus
from farmsim.model.state import aggregate_status
from farmsim.templates._tasks import task_parameters

if TYPE_CHECKING:
    from botocore.model import StringShape, StructureShape

    from farmsim.api._entities import EntityReads, _Records, _SettingUp
    from farmsim.engine.workers import WorkerState
    from farmsim.model.state import JobState, StepState

__all__ = ["JOB_FIELDS", "STEP_FIELDS", "TASK_FIELDS", "WORKER_FIELDS", "Field", "Found", "Search",
           "Searchable", "search"]

T = TypeVar("T")

#: What a field holds: text, an integer, or a point in time.
FieldKind = Literal["string", "integer", "datetime"]


@dataclass(frozen=True, slots=True)
class Field(Generic[T]):
    """One field a resource is filtered and sorted by.

    Attributes:
        kind: ``"string"``, ``"integer"`` or ``"datetime"`` (which filters apply).
        value: the item's value (a ``str``, an ``int`` or an aware ``datetime``), or None when
            the item has none.
        values: the values an enumerated field can take (a filter naming another is refused),
            or None.
    """

    kind: FieldKind
    value: Callable[[T], Any]
    values: frozenset[str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Searchable(Generic[T]):
    """A resource as :func:`search` sees it.

    Attributes:
        what: the resources, plural, for messages (``"jobs"``).
        fields: the fields by their API name (``"CREATED_AT"``).
        text: what a ``searchTermFilter`` looks in.
        parameters: an item's parameter values by name (plain values: ``int``, ``float``,
            ``bool``, ``str``, path-likes and lists of them), or None for a resource without
            parameters (then ``parameterFilter`` and ``parameterSort`` are refused).
        owner: the field ``userJobsFirst`` compares with its ``userIdentityId``, or None when
            the resource has none (then ``userJobsFirst`` is refused).
    """

    what: str
    fields: Mapping[str, Field[T]]
    text: Callable[[T], str]
    parameters: Callable[[T], Mapping[str, Any]] | None = None
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class Found(Generic[T]):
    """A search's page: its items, how many items matched, where the next page starts."""

    items: list[T]
    total: int
    next_offset: int | None = None

    def response(self, key: str, summaries: list[dict[str, Any]]) -> dict[str, Any]:
        """The operation's response: ``summaries`` (of :attr:`items`) under ``key``,
        ``totalResults`` and ``nextItemOffset``."""
        out: dict[str, Any] = {key: summaries, "totalResults": self.total}
        if self.next_offset is not None:
            out["nextItemOffset"] = self.next_offset
        return out


#: Levels of groups a filter expression may have (the request's own group included).
MAX_GROUP_DEPTH = 2
#: ``pageSize`` when the request has none (the model's maximum, as the service does).
DEFAULT_PAGE_SIZE = 100

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "EQUAL": operator.eq, "NOT_EQUAL": operator.ne,
    "GREATER_THAN": operator.gt, "GREATER_THAN_EQUAL_TO": operator.ge,
    "LESS_THAN": operator.lt, "LESS_THAN_EQUAL_TO": operator.le,
}
#: The operators each filter takes (as the model's documentation lists them).
_OPERATORS = {
    "stringFilter": ("EQUAL", "NOT_EQUAL"),
    "stringListFilter": ("ANY_EQUALS", "ALL_NOT_EQUALS"),
    "dateTimeFilter": ("EQUAL", "GREATER_THAN_EQUAL_TO", "GREATER_THAN", "LESS_THAN_EQUAL_TO",
                       "LESS_THAN"),
    "parameterFilter": ("EQUAL", "NOT_EQUAL", "GREATER_THAN_EQUAL_TO", "GREATER_THAN",
                        "LESS_THAN_EQUAL_TO", "LESS_THAN"),
}
_INTEGER = re.compile(r"[-+]?[0-9]+")
_NUMBER = re.compile(r"[-+]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][-+]?[0-9]+)?")

Predicate = Callable[[T], bool]


# ---------------------------------------------------------------------------------- the engine

def search(operation: str, items: Iterable[T], params: Mapping[str, Any],
           searchable: Searchable[T]) -> Found[T]:
    """The page of ``items`` a Search* request asks for.

    ``params`` is the request (already checked against the model by ``_request``): its
    ``filterExpressions``, ``sortExpressions``, ``itemOffset`` and ``pageSize``. ``items`` are
    the candidates in their default order (creation order). The expressions are checked before
    any item is read; then one pass keeps the matches, and a sort orders them.

    Raises:
        ClientError: ``ValidationException`` naming the request path of a field name the
            resource does not have, of an operator the filter does not take, or of a value the
            field cannot hold.
    """
    expression = params.get("filterExpressions")
    keep = (None if expression is None else
            _group(operation, expression, "filterExpressions", 1, searchable))
    sorts = [_sort_key(operation, s, f"sortExpressions[{i}]", searchable)
             for i, s in enumerate(params.get("sortExpressions") or ())]
    matches = list(items) if keep is None else [item for item in items if keep(item)]
    for key, descending in reversed(sorts):  # stable sorts, last key first
        matches.sort(key=key, reverse=descending)
    total = min(len(matches), _max_total())
    start = params["itemOffset"]
    stop = min(total, start + params.get("pageSize", DEFAULT_PAGE_SIZE))
    page = matches[start:stop] if start < stop else []
    return Found(page, total, stop if stop < total else None)


@functools.cache
def _max_total() -> int:
    """The most ``totalResults`` can say (the model's maximum)."""
    maximum: int = service_model().shape_for("TotalResults").metadata.get("max", 10_000)
    return maximum


def _group(operation: str, group: Mapping[str, Any], path: str, depth: int,
           searchable: Searchable[T]) -> Predicate[T]:
    if depth > MAX_GROUP_DEPTH:
        raise invalid(operation, path, f"nests groups {depth} levels deep; a search takes at "
                                       f"most {MAX_GROUP_DEPTH} (a group, and groups in it)")
    tests = [_filter(operation, f, f"{path}.filters[{i}]", depth, searchable)
             for i, f in enumerate(group["filters"])]
    if len(tests) == 1:
        return tests[0]
    if group["operator"] == "AND":
        return lambda item: all(test(item) for test in tests)
    return lambda item: any(test(item) for test in tests)


def _filter(operation: str, expression: Mapping[str, Any], path: str, depth: int,
            searchable: Searchable[T]) -> Predicate[T]:
    kind, body = next((k, v) for k, v in expression.items() if v is not None)
    path = f"{path}.{kind}"
    if kind == "groupFilter":
        return _group(operation, body, path, depth + 1, searchable)
    if kind == "searchTermFilter":
        return _search_term(body["searchTerm"], body.get("matchType", "FUZZY_MATCH"),
                            searchable.text)
    name, op = body["name"], body["operator"]
    if op not in _OPERATORS[kind]:
        raise invalid(operation, f"{path}.operator",
                      f"{op!r}: a {kind} takes {', '.join(_OPERATORS[kind])}")
    if kind == "parameterFilter":
        return _parameter_filter(operation, name, op, body["value"], path, searchable)
    found = _field(operation, name, f"{path}.name", searchable)
    if kind == "dateTimeFilter":
        if found.kind != "datetime":
            raise invalid(operation, f"{path}.name", f"{name} is not a date-time field: filter "
                                                     f"it with a stringFilter")
        return _compare(found.value, _COMPARE[op], parse_to_aware_datetime(body["dateTime"]))
    if found.kind == "datetime":
        raise invalid(operation, f"{path}.name",
                      f"{name} is a date-time field: filter it with a dateTimeFilter")
    if kind == "stringFilter":
        return _compare(found.value, _COMPARE[op],
                        _field_value(operation, name, found, body["value"], f"{path}.value"))
    values = frozenset(_field_value(operation, name, found, v, f"{path}.values[{i}]")
                       for i, v in enumerate(body["values"]))  # a stringListFilter
    get = found.value
    if op == "ANY_EQUALS":
        return lambda item: get(item) in values
    return lambda item: (v := get(item)) is not None and v not in values


def _field(operation: str, name: str, path: str, searchable: Searchable[T]) -> Field[T]:
    found = searchable.fields.get(name)
    if found is None:
        raise invalid(operation, path, f"{name!r} is not a field {searchable.what} are searched "
                                       f"by; they are {', '.join(sorted(searchable.fields))}")
    return found


def _field_value(operation: str, name: str, found: Field[T], text: str, path: str) -> Any:
    """A filter's value as the field holds it."""
    if found.kind == "integer":
        if not _INTEGER.fullmatch(text.strip()):
            raise invalid(operation, path, f"{text!r}: {name} is an integer field")
        return int(text)
    if found.values is not None and text not in found.values:
        raise invalid(operation, path, f"{text!r} is not a value of {name} "
                                       f"({', '.join(sorted(found.values))})")
    return text


def _compare(get: Callable[[T], Any], compare: Callable[[Any, Any], bool],
             target: Any) -> Predicate[T]:
    return lambda item: (v := get(item)) is not None and compare(v, target)


def _search_term(term: str, match: str, text: Callable[[T], str]) -> Predicate[T]:
    if match == "CONTAINS":
        return lambda item: term in text(item)
    words = term.lower().split() or [term.lower()]

    def fuzzy(item: T) -> bool:
        lowered = text(item).lower()
        return any(word in lowered for word in words)

    return fuzzy


def _parameter_filter(operation: str, name: str, op: str, text: str, path: str,
                      searchable: Searchable[T]) -> Predicate[T]:
    parameters = _parameters(operation, path, searchable)
    compare = _COMPARE[op]
    number = float(text) if _NUMBER.fullmatch(text.strip()) else None

    def test(item: T) -> bool:
        value = parameters(item).get(name)
        if value is None:
            return False
        if isinstance(value, (list, tuple)):
            if op == "EQUAL":
                return any(_text(v) == text for v in value)
            return op == "NOT_EQUAL" and all(_text(v) != text for v in value)
        if number is not None and _is_number(value):
            return compare(float(value), number)
        return compare(_text(value), text)

    return test


def _parameters(operation: str, path: str,
                searchable: Searchable[T]) -> Callable[[T], Mapping[str, Any]]:
    if searchable.parameters is None:
        raise invalid(operation, path, f"{searchable.what} have no parameters")
    return searchable.parameters


def _sort_key(operation: str, expression: Mapping[str, Any], path: str,
              searchable: Searchable[T]) -> tuple[Callable[[T], Any], bool]:
    """A sort expression as a (key, descending) for ``list.sort``; keys put missing values
    last in either order."""
    kind, body = next((k, v) for k, v in expression.items() if v is not None)
    path = f"{path}.{kind}"
    if kind == "userJobsFirst":
        if searchable.owner is None:
            raise invalid(operation, path, f"{searchable.what} have no user to sort by")
        owner, user = searchable.fields[searchable.owner].value, body["userIdentityId"]
        return (lambda item: owner(item) != user), False
    descending = body["sortOrder"] == "DESCENDING"
    value: Callable[[T], Any]
    if kind == "parameterSort":
        parameters, name = _parameters(operation, path, searchable), body["name"]

        def value(item: T) -> Any:
            return _parameter_order(parameters(item).get(name))
    else:
        value = _field(operation, body["name"], f"{path}.name", searchable).value
    if descending:
        return (lambda item: ((v := value(item)) is not None, v)), True
    return (lambda item: ((v := value(item)) is None, v)), False


def _is_number(value: Any) -> bool:
    """A finite int or float (numpy's included), not a boolean."""
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, numbers.Real) and math.isfinite(value)


def _text(value: Any) -> str:
    """A parameter value as text (the API's tagged values are strings)."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, os.PathLike):
        return str(os.fspath(value))
    return str(value)


def _parameter_order(value: Any) -> tuple[int, Any] | None:
    """A parameter's sort key: numbers, then text, then lists (None: no value)."""
    if value is None:
        return None
    if _is_number(value):
        return (0, float(value))
    if isinstance(value, (list, tuple)):
        return (2, [_text(v) for v in value])
    return (1, _text(value))


# ------------------------------------------------------------------------ the tagged values

def tagged_parameters(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Job parameter values as the API's tagged union (``{"Frames": {"int": "10"}}``): the tag
    follows the value's type (a string is ``string``, a path-like ``path``), as farmsim keeps
    values without the template's declared type; a list is ``boolList``, ``intList``,
    ``floatList``, ``intListList`` or ``stringList`` by its items. Deadline job settings
    (``deadline:priority``) are not parameters."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        if ":" in name or value is None:
            continue
        out[name] = _tag(value)
    return out


def _tag(value: Any) -> dict[str, Any]:
    if isinstance(value, (bool, np.bool_)):
        return {"bool": _text(value)}
    if isinstance(value, numbers.Integral):
        return {"int": _text(value)}
    if isinstance(value, numbers.Real):
        return {"float": _text(value)} if math.isfinite(value) else {"string": _text(value)}
    if isinstance(value, os.PathLike):
        return {"path": _text(value)}
    if isinstance(value, (list, tuple)):
        return _tag_list(value)
    return {"string": _text(value)}


def _tag_list(values: Sequence[Any]) -> dict[str, Any]:
    if values and all(isinstance(v, (bool, np.bool_)) for v in values):
        return {"boolList": [_text(v) for v in values]}
    if all(isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))
           for v in values):
        return {"intList": [_text(v) for v in values]}
    if all(_is_number(v) for v in values):
        return {"floatList": [_text(v) for v in values]}
    if all(isinstance(v, (list, tuple)) and all(isinstance(x, numbers.Integral) for x in v)
           for v in values):
        return {"intListList": [[_text(x) for x in v] for v in values]}
    return {"stringList": [_text(v) for v in values]}


# --------------------------------------------------------------------------------- the fields

def _enum(name: str) -> frozenset[str]:
    shape = cast("StringShape", service_model().shape_for(name))
    return frozenset(shape.enum)


#: SearchJobs' fields: JobSearchSummary's scalar members, upper snake case (the kind of each).
JOB_FIELDS: dict[str, FieldKind] = {
    "JOB_ID": "string", "QUEUE_ID": "string", "NAME": "string",
    "LIFECYCLE_STATUS": "string", "LIFECYCLE_STATUS_MESSAGE": "string",
    "TASK_RUN_STATUS": "string", "TARGET_TASK_RUN_STATUS": "string",
    "PRIORITY": "integer", "TASK_FAILURE_RETRY_COUNT": "integer",
    "MAX_FAILED_TASKS_COUNT": "integer", "MAX_RETRIES_PER_TASK": "integer",
    "MAX_WORKER_COUNT": "integer",
    "CREATED_BY": "string", "UPDATED_BY": "string", "SOURCE_JOB_ID": "string",
    "CREATED_AT": "datetime", "STARTED_AT": "datetime", "ENDED_AT": "datetime",
    "UPDATED_AT": "datetime",
}
#: SearchWorkers' fields: WorkerSearchSummary's scalar members (``hostProperties`` is a
#: structure, and farmsim's workers have none).
WORKER_FIELDS: dict[str, FieldKind] = {
    "WORKER_ID": "string", "FLEET_ID": "string", "STATUS": "string",
    "CREATED_BY": "string", "UPDATED_BY": "string",
    "CREATED_AT": "datetime", "UPDATED_AT": "datetime",
}

#: SearchSteps' fields: StepSearchSummary's scalar members (``taskRunStatusCounts`` is a map,
#: ``parameterSpace`` a structure).
STEP_FIELDS: dict[str, FieldKind] = {
    "STEP_ID": "string", "JOB_ID": "string", "QUEUE_ID": "string", "NAME": "string",
    "LIFECYCLE_STATUS": "string", "LIFECYCLE_STATUS_MESSAGE": "string",
    "TASK_RUN_STATUS": "string", "TARGET_TASK_RUN_STATUS": "string",
    "TASK_FAILURE_RETRY_COUNT": "integer",
    "CREATED_BY": "string", "UPDATED_BY": "string",
    "CREATED_AT": "datetime", "STARTED_AT": "datetime", "ENDED_AT": "datetime",
    "UPDATED_AT": "datetime",
}
#: SearchTasks' fields: TaskSearchSummary's scalar members (``parameters`` is a map: the
#: parameterFilter and parameterSort read it).
TASK_FIELDS: dict[str, FieldKind] = {
    "TASK_ID": "string", "STEP_ID": "string", "JOB_ID": "string", "QUEUE_ID": "string",
    "RUN_STATUS": "string", "TARGET_RUN_STATUS": "string", "FAILURE_RETRY_COUNT": "integer",
    "UPDATED_BY": "string", "LATEST_SESSION_ACTION_ID": "string",
    "STARTED_AT": "datetime", "ENDED_AT": "datetime", "UPDATED_AT": "datetime",
}

_WORKER_STATUS = {code: status.value for status, code in WORKER_STATUS_CODES.items()}
_TASK_STATUS = {code: status.value for status, code in TASK_STATUS_CODES.items()}
_PENDING = TASK_STATUS_CODES[TaskRunStatus.PENDING]
_READY = TASK_STATUS_CODES[TaskRunStatus.READY]
_RUNNING = TASK_STATUS_CODES[TaskRunStatus.RUNNING]
_STARTING = TASK_STATUS_CODES[TaskRunStatus.STARTING]
#: A task on a worker (its run in flight): its step is not over, its own endedAt not set.
_IN_FLIGHT = frozenset(TASK_STATUS_CODES[s] for s in (
    TaskRunStatus.ASSIGNED, TaskRunStatus.STARTING, TaskRunStatus.SCHEDULED,
    TaskRunStatus.INTERRUPTING, TaskRunStatus.RUNNING))

#: A task as SearchTasks sees it: one int, its step's number in the run (``gidx``) shifted left
#: by ``_TASK_BITS``, plus its number in the step. (An int is no object the garbage collector
#: tracks: a search makes one per candidate, and 100,000 tuples would cost collections.)
_TASK_BITS = 40
_TASK_MASK = (1 << _TASK_BITS) - 1


def _indices(operation: str, ids: Iterable[str], known: Mapping[str, int],
             kind: str) -> set[int]:
    """The indices of the resources ``ids`` names (the first unknown one is not found)."""
    out = set()
    for resource_id in ids:
        index = known.get(resource_id)
        if index is None:
            raise not_found(operation, kind, resource_id)
        out.add(index)
    return out


@functools.cache
def _members(name: str) -> frozenset[str]:
    shape = cast("StructureShape", service_model().shape_for(name))
    return frozenset(shape.members)


# ----------------------------------------------------------------------------- the operations

class Search(ClientBase):
    """SearchJobs, SearchSteps, SearchTasks and SearchWorkers (see the module's documentation).

    SearchSteps and SearchTasks build their summaries with the entity reads' builders
    (:class:`~farmsim.api._entities.EntityReads`, the client's other mixin)."""

    def search_jobs(self, **params: Any) -> dict[str, Any]:
        """The jobs of ``queueIds`` that match ``filterExpressions``, ordered by
        ``sortExpressions``, one page (``itemOffset``, ``pageSize``) of JobSearchSummary: the
        job's summary as GetJob reports it, with its ``queueId`` and the ``jobParameters`` it
        was submitted with (template defaults are not listed). Fields and decisions: the
        module's documentation.

        Raises:
            ClientError: ``ResourceNotFoundException`` for a queue the farm does not have;
                ``ValidationException`` for an expression the service refuses.
        """
        self._request("SearchJobs", params)
        queues = _indices("SearchJobs", params["queueIds"], self._queues, "queue")
        jobs = self._sim.control.jobs
        candidates: Iterable[JobState] = (j for j in jobs if j.queue_index in queues)
        found = search("SearchJobs", candidates, params, self._job_searchable())
        members = _members("JobSearchSummary")
        summaries = []
        for job, summary in zip(found.items, self._job_summaries(found.items), strict=True):
            summary["queueId"] = self._queue_ids[job.queue_index]
            parameters = tagged_parameters(job.submission.parameters)
            if parameters:
                summary["jobParameters"] = parameters
            summaries.append({k: v for k, v in summary.items() if k in members})
        return found.response("jobs", summaries)

    def search_workers(self, **params: Any) -> dict[str, Any]:
        """The workers of ``fleetIds`` that match ``filterExpressions``, ordered by
        ``sortExpressions``, one page of WorkerSearchSummary (its fleet, id, status and
        creation; farmsim's workers have no ``hostProperties``). Stopped workers are
        included, as ListWorkers does. Fields and decisions: the module's documentation.

        Raises:
            ClientError: ``ResourceNotFoundException`` for a fleet the farm does not have;
                ``ValidationException`` for an expression the service refuses (a
                ``parameterFilter``, ``parameterSort`` or ``userJobsFirst`` among them:
                workers have no parameters nor user).
        """
        self._request("SearchWorkers", params)
        fleets = _indices("SearchWorkers", params["fleetIds"], self._fleets, "fleet")
        self._index_workers()
        candidates = (w for w in self._sim.workers if w.fleet_index in fleets)
        searchable = self._worker_searchable()
        found = search("SearchWorkers", candidates, params, searchable)
        return found.response("workers", [self._worker_search_summary(w, searchable)
                                          for w in found.items])

    def search_steps(self, **params: Any) -> dict[str, Any]:
        """The steps of ``jobId`` (or of every job of ``queueIds``) that match
        ``filterExpressions``, ordered by ``sortExpressions``, one page of StepSearchSummary:
        the step as GetStep reports it (its ``parameterSpace`` included), with its ``jobId``
        and ``queueId``. Without a sort, jobs in creation order and each job's steps in
        ListSteps' order. Fields and decisions: the module's documentation.

        Raises:
            ClientError: ``ResourceNotFoundException`` for a queue the farm does not have, or a
                ``jobId`` that is no job of those queues; ``ValidationException`` for an
                expression the service refuses (a ``parameterFilter`` or ``parameterSort``
                among them: steps have no parameter values).
        """
        self._request("SearchSteps", params)
        jobs = self._jobs_searched("SearchSteps", params)
        candidates = (step for job in jobs for step in job.steps)
        found = search("SearchSteps", candidates, params, self._step_searchable())
        reads = cast("EntityReads", self)
        starting = reads._setting_up()
        members = _members("StepSearchSummary")
        summaries = []
        for step in found.items:
            job = step.job
            summary = reads._step_detail(job, step, starting)
            summary["jobId"] = self._job_ids[job.index]
            summary["queueId"] = self._queue_ids[job.queue_index]
            summaries.append({k: v for k, v in summary.items() if k in members})
        return found.response("steps", summaries)

    def search_tasks(self, **params: Any) -> dict[str, Any]:
        """The tasks of ``jobId`` (or of every job of ``queueIds``) that match
        ``filterExpressions``, ordered by ``sortExpressions``, one page of TaskSearchSummary:
        the task as GetTask reports it, with its ``stepId``, ``jobId`` and ``queueId`` (and
        without ``createdAt`` and ``createdBy``, which the summary does not have). Without a
        sort, jobs in creation order, their steps in ListSteps' order and each step's tasks
        in ListTasks' order. Fields and decisions: the module's documentation.

        Raises:
            ClientError: ``ResourceNotFoundException`` for a queue the farm does not have, or a
                ``jobId`` that is no job of those queues; ``ValidationException`` for an
                expression the service refuses (a ``userJobsFirst`` among them: a task
                summary names no user).
        """
        self._request("SearchTasks", params)
        jobs = self._jobs_searched("SearchTasks", params)
        candidates = itertools.chain.from_iterable(
            range(step.gidx << _TASK_BITS, (step.gidx << _TASK_BITS) + step.task_count)
            for job in jobs for step in job.steps)
        found = search("SearchTasks", candidates, params, self._task_searchable())
        reads = cast("EntityReads", self)
        starting = reads._setting_up()
        members = _members("TaskSearchSummary")
        steps = self._sim.control.steps
        summaries = []
        for key in found.items:
            step, task = steps[key >> _TASK_BITS], key & _TASK_MASK
            job = step.job
            summary = reads._task_summary(job, step, task, starting)
            summary["stepId"] = self._step_ids[step.gidx]
            summary["jobId"] = self._job_ids[job.index]
            summary["queueId"] = self._queue_ids[job.queue_index]
            summaries.append({k: v for k, v in summary.items() if k in members})
        return found.response("tasks", summaries)

    def _jobs_searched(self, operation: str, params: Mapping[str, Any]) -> Sequence[JobState]:
        """The jobs whose steps or tasks a search reads: ``jobId`` alone (not found unless it is
        a job of one of ``queueIds``), else every job of ``queueIds``, in creation order."""
        queues = _indices(operation, params["queueIds"], self._queues, "queue")
        self._index_jobs()
        self._index_steps()
        jobs = self._sim.control.jobs
        job_id = params.get("jobId")
        if job_id is None:
            return [job for job in jobs if job.queue_index in queues]
        index = self._jobs.get(job_id)
        if index is None or jobs[index].queue_index not in queues:
            raise not_found(operation, "job", job_id)
        return [jobs[index]]

    # ----------------------------------------------------------------- jobs

    def _job_searchable(self) -> Searchable[JobState]:
        """Jobs' fields read from the engine's state; each gives what the job's summary
        reports (the tests hold them to it)."""
        self._index_jobs()
        ids, queue_ids, updated, at = self._job_ids, self._queue_ids, self._job_updated, self._time
        archived, targets = self._archived, self._job_targets
        starting: dict[int, int] | None = None

        def status(job: JobState) -> str:
            nonlocal starting
            if job.final_status is not None:
                return job.final_status.value
            if starting is None:  # (one pass over the workers, only if a request asks)
                starting = self._starting_by_job(self._sim.env.now)
            return job.aggregate(starting=starting.get(job.index, 0)).value

        def maybe(seconds: float) -> dt.datetime | None:
            return None if math.isnan(seconds) else at(seconds)

        getters: dict[str, Callable[[JobState], Any]] = {
            "JOB_ID": lambda j: ids[j.index],
            "QUEUE_ID": lambda j: queue_ids[j.queue_index],
            "NAME": lambda j: j.name,
            "LIFECYCLE_STATUS": lambda j: ("ARCHIVED" if j.index in archived
                                           else "CREATE_COMPLETE"),
            "LIFECYCLE_STATUS_MESSAGE": lambda j: "",
            "TASK_RUN_STATUS": status,
            "TARGET_TASK_RUN_STATUS": lambda j: targets.get(
                j.index, j.submission.target_task_run_status.value),
            "PRIORITY": lambda j: j.priority,
            "TASK_FAILURE_RETRY_COUNT": lambda j: j.retry_total,
            "MAX_FAILED_TASKS_COUNT": lambda j: j.max_failed,
            "MAX_RETRIES_PER_TASK": lambda j: j.max_retries,
            "MAX_WORKER_COUNT": lambda j: j.max_worker_count,
            "CREATED_BY": lambda j: CREATED_BY,
            "UPDATED_BY": lambda j: CREATED_BY if j.index in updated else None,
            "SOURCE_JOB_ID": lambda j: None,
            "CREATED_AT": lambda j: at(j.submitted_at),
            "STARTED_AT": lambda j: maybe(j.started_at),
            "ENDED_AT": lambda j: maybe(j.ended_at),
            "UPDATED_AT": lambda j: updated.get(j.index),
        }
        enums = {"LIFECYCLE_STATUS": _enum("JobLifecycleStatus"),
                 "TASK_RUN_STATUS": _enum("TaskRunStatus"),
                 "TARGET_TASK_RUN_STATUS": _enum("JobTargetTaskRunStatus")}
        return Searchable(
            what="jobs",
            fields={name: Field(kind, getters[name], enums.get(name))
                    for name, kind in JOB_FIELDS.items()},
            text=lambda j: j.name,
            parameters=lambda j: j.submission.parameters,
            owner="CREATED_BY",
        )

    # ----------------------------------------------------------------- workers

    def _worker_searchable(self) -> Searchable[WorkerState]:
        ids, fleet_ids, at = self._worker_ids, self._fleet_ids, self._time
        getters: dict[str, Callable[[WorkerState], Any]] = {
            "WORKER_ID": lambda w: ids[w.index],
            "FLEET_ID": lambda w: fleet_ids[w.fleet_index],
            "STATUS": lambda w: _WORKER_STATUS[w.status],
            "CREATED_BY": lambda w: CREATED_BY,
            "UPDATED_BY": lambda w: None,
            "CREATED_AT": lambda w: at(w.created_at),
            "UPDATED_AT": lambda w: None,
        }
        enums = {"STATUS": _enum("WorkerStatus")}
        return Searchable(
            what="workers",
            fields={name: Field(kind, getters[name], enums.get(name))
                    for name, kind in WORKER_FIELDS.items()},
            text=lambda w: ids[w.index],
        )

    @staticmethod
    def _worker_search_summary(worker: WorkerState,
                               searchable: Searchable[WorkerState]) -> dict[str, Any]:
        """A WorkerSearchSummary: each member its field's value (those with none left out)."""
        fields = searchable.fields
        summary = {"fleetId": fields["FLEET_ID"].value(worker),
                   "workerId": fields["WORKER_ID"].value(worker),
                   "status": fields["STATUS"].value(worker),
                   "createdAt": fields["CREATED_AT"].value(worker),
                   "createdBy": fields["CREATED_BY"].value(worker)}
        return {k: v for k, v in summary.items() if v is not None}

    # ----------------------------------------------------------------- steps and tasks

    def _step_searchable(self) -> Searchable[StepState]:
        """Steps' fields read from the engine's state (and, for the times, the run's records,
        read only if a request names them); each gives what the step's summary reports (the
        tests hold them to it)."""
        state = _Reads(cast("EntityReads", self))
        step_ids, job_ids, queue_ids = self._step_ids, self._job_ids, self._queue_ids
        at = self._time
        targets = cast("EntityReads", self)._step_targets  # (UpdateStep's, and when)

        def updated(step: StepState) -> dt.datetime | None:
            return at(targets[step.gidx][1]) if step.gidx in targets else None

        def counts(step: StepState) -> list[int]:
            """The step's counts with the tasks whose session sets up as STARTING."""
            out = list(step.counts)
            setting_up = state.setting_up().steps.get(step.gidx, 0)
            out[_RUNNING] -= setting_up
            out[_STARTING] += setting_up
            return out

        def status(step: StepState) -> str:
            return aggregate_status(counts(step), pending_live=_pending_live(step)).value

        def times(step: StepState) -> tuple[dt.datetime | None, dt.datetime | None]:
            """startedAt: the first assignment of one of its tasks; endedAt: the end of its
            last run once nothing of it waits or runs."""
            job = step.job
            if math.isnan(job.started_at):
                return None, None
            first, last = state.records().step_times(step_ids[step.gidx])
            if math.isnan(first):
                return None, None
            c = step.counts
            waiting = (any(c[code] for code in _IN_FLIGHT) or c[_READY]
                       or _pending_live(step))
            return at(first), (None if waiting or math.isnan(last) else at(last))

        getters: dict[str, Callable[[StepState], Any]] = {
            "STEP_ID": lambda s: step_ids[s.gidx],
            "JOB_ID": lambda s: job_ids[s.job.index],
            "QUEUE_ID": lambda s: queue_ids[s.job.queue_index],
            "NAME": lambda s: s.structure.name,
            "LIFECYCLE_STATUS": lambda s: "CREATE_COMPLETE",
            "LIFECYCLE_STATUS_MESSAGE": lambda s: None,
            "TASK_RUN_STATUS": status,
            "TARGET_TASK_RUN_STATUS": lambda s: targets[s.gidx][0] if s.gidx in targets
            else None,
            "TASK_FAILURE_RETRY_COUNT": lambda s: sum(s.retries.values()),
            "CREATED_BY": lambda s: CREATED_BY,
            "UPDATED_BY": lambda s: CREATED_BY if s.gidx in targets else None,
            "CREATED_AT": lambda s: at(s.job.submitted_at),
            "STARTED_AT": lambda s: times(s)[0],
            "ENDED_AT": lambda s: times(s)[1],
            "UPDATED_AT": updated,
        }
        enums = {"LIFECYCLE_STATUS": _enum("StepLifecycleStatus"),
                 "TASK_RUN_STATUS": _enum("TaskRunStatus"),
                 "TARGET_TASK_RUN_STATUS": _enum("StepTargetTaskRunStatus")}
        return Searchable(
            what="steps",
            fields={name: Field(kind, getters[name], enums.get(name))
                    for name, kind in STEP_FIELDS.items()},
            text=lambda s: s.structure.name,
            owner="CREATED_BY",
        )

    def _task_searchable(self) -> Searchable[int]:
        """Tasks' fields, each read of a task's key (``_TASK_BITS``) from the engine's state
        (the times and latest session action from the run's records, read only if a request
        names them); each gives what the task's summary reports (the tests hold them to
        it)."""
        reads = cast("EntityReads", self)
        state = _Reads(reads)
        steps = self._sim.control.steps
        targets = reads._task_targets  # (UpdateTask's and BatchUpdateTask's, and when)

        def target(key: int) -> tuple[str, float] | None:
            return targets.get((key >> _TASK_BITS, key & _TASK_MASK)) if targets else None
        step_ids, job_ids, queue_ids = self._step_ids, self._job_ids, self._queue_ids
        at = self._time

        def task_id(key: int) -> str:
            return f"task-{step_ids[key >> _TASK_BITS][5:]}-{key & _TASK_MASK}"

        def status(key: int) -> str:
            gidx, task = key >> _TASK_BITS, key & _TASK_MASK
            code = steps[gidx].status[task]
            if code == _RUNNING and (gidx, task) in state.setting_up().tasks:
                return TaskRunStatus.STARTING.value
            return _TASK_STATUS[code]

        def times(key: int) -> tuple[dt.datetime | None, dt.datetime | None, str | None]:
            """startedAt: its first run's start; endedAt: its latest run's end while no run
            of it is in flight; and that run's taskRun action."""
            step = steps[key >> _TASK_BITS]
            if math.isnan(step.job.started_at):
                return None, None, None
            started, ended, action = state.records().task_times(task_id(key))
            return (None if math.isnan(started) else at(started),
                    None if math.isnan(ended) or step.status[key & _TASK_MASK] in _IN_FLIGHT
                    else at(ended), action)

        def parameters(key: int) -> dict[str, Any]:
            """The values GetTask reports in the task's ``parameters``, untagged: an adaptive
            step's chunk as GetTask forms it (its range expression); another step's, the
            values GetTask tags (``task_parameters``: ``int``, ``float`` or ``str`` by the
            parameter's type), read without tagging them."""
            step, task = steps[key >> _TASK_BITS], key & _TASK_MASK
            if step.chunks is not None:
                return {name: text for name, tagged in reads._task_parameters(step, task).items()
                        for text in tagged.values()}
            return task_parameters(step.structure, task)

        def job(key: int) -> JobState:
            return steps[key >> _TASK_BITS].job

        getters: dict[str, Callable[[int], Any]] = {
            "TASK_ID": task_id,
            "STEP_ID": lambda k: step_ids[k >> _TASK_BITS],
            "JOB_ID": lambda k: job_ids[job(k).index],
            "QUEUE_ID": lambda k: queue_ids[job(k).queue_index],
            "RUN_STATUS": status,
            "TARGET_RUN_STATUS": lambda k: None if (t := target(k)) is None else t[0],
            "FAILURE_RETRY_COUNT": lambda k: steps[k >> _TASK_BITS].retries.get(
                k & _TASK_MASK, 0),
            "UPDATED_BY": lambda k: None if target(k) is None else CREATED_BY,
            "LATEST_SESSION_ACTION_ID": lambda k: times(k)[2],
            "STARTED_AT": lambda k: times(k)[0],
            "ENDED_AT": lambda k: times(k)[1],
            "UPDATED_AT": lambda k: None if (t := target(k)) is None else at(t[1]),
        }
        enums = {"RUN_STATUS": _enum("TaskRunStatus"),
                 "TARGET_RUN_STATUS": _enum("TaskTargetRunStatus")}
        return Searchable(
            what="tasks",
            fields={name: Field(kind, getters[name], enums.get(name))
                    for name, kind in TASK_FIELDS.items()},
            text=task_id,
            parameters=parameters,
        )


class _Reads:
    """What the step and task fields read from the entity reads, fetched on first use and
    kept for one search: the task runs whose session sets up, the run's records."""

    __slots__ = ("_reads", "_records", "_setting_up")

    def __init__(self, reads: EntityReads) -> None:
        self._reads = reads
        self._setting_up: _SettingUp | None = None
        self._records: _Records | None = None

    def setting_up(self) -> _SettingUp:
        if self._setting_up is None:
            self._setting_up = self._reads._setting_up()
        return self._setting_up

    def records(self) -> _Records:
        if self._records is None:
            self._records = self._reads._records()
        return self._records


def _pending_live(step: StepState) -> bool:
    """The step's PENDING tasks count in its status: it has some, and every step it depends
    on can still succeed."""
    return bool(step.counts[_PENDING]) and all(
        step.job.steps[d].can_succeed() for d in step.structure.dependencies)
