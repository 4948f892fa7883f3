"""SearchJobs and SearchWorkers: the API's filter and sort expressions over the farm's jobs and
workers (part of :class:`~farmsim.api.client.DeadlineClient`), on a search engine the other
Search* operations can share (:func:`search`).

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
* ``parameterFilter`` {name, operator, value}: a job parameter (SearchJobs only); the six
  comparison operators. A number parameter compared with a number is compared as numbers,
  anything else as text (a boolean is ``true``/``false``); a list parameter is EQUAL to a value
  it contains, NOT_EQUAL to one it does not, and never ordered.
* ``searchTermFilter`` {searchTerm, matchType}: text search. ``CONTAINS``: the exact term is a
  substring (case counts); ``FUZZY_MATCH`` (the default): any of the term's words is a substring,
  case ignored. Jobs are searched by name, workers by id.
* ``groupFilter``: a nested group. The service allows "two groupings per search": farmsim reads
  that as two levels, the request's group and groups inside it; a group inside those is refused.

The filter and sort field names are the summary's members in upper snake case, as the service
and Deadline Cloud's own client spell them (``CREATED_AT``, ``ENDED_AT``, ``TASK_RUN_STATUS``);
the camelCase member names are not accepted (the deadline client converts ``endedAt`` to
``ENDED_AT`` before calling). The service does not list its searchable fields: farmsim takes
every top-level scalar member of the search summary (:data:`JOB_FIELDS`,
:data:`WORKER_FIELDS`). An unknown name, an operator the filter does not support or a filter of
the wrong kind for its field is a ``ValidationException`` whose ``fieldList`` names the
request's path to it.

A value the resource does not have (a job's ``ENDED_AT`` before it ends, ``SOURCE_JOB_ID``,
a parameter the job was not given) matches no filter, NOT_EQUAL and ALL_NOT_EQUALS included, and
sorts last in either order. ``MAX_WORKER_COUNT`` is -1 for a job without a maximum (what the
service documents an omitted ``maxWorkerCount`` to mean).

``sortExpressions`` (one to five, applied in order, each breaking the ties of those before it):
``fieldSort`` {name, sortOrder}, ``parameterSort`` {name, sortOrder} (numbers, then text, then
lists), and ``userJobsFirst`` {userIdentityId}: jobs whose ``createdBy`` is that user first (a
simulation has one user, ``farmsim``). Text sorts and compares by code point (``"Zeta"`` before
``"alpha"``). What is still tied, and a search without sort expressions, keeps creation order
(oldest first, as ListJobs).

Pages: ``itemOffset`` (0 to 10,000) and ``pageSize`` (1 to 100, default 100);
``totalResults`` counts the matches, at most 10,000 (the model's maximum: a search matching more
reports 10,000), and ``nextItemOffset`` is where the next page starts, absent on the last.

Cost: one pass over the candidates (the queues' jobs, the fleets' workers) that reads the engine's
state through the fields a request names, a sort of the matches, and summaries built for the
returned page only.

Adding a Search* operation: describe the resource with a :class:`Searchable` (its fields, what a
search term looks in, its parameters if it has any) and call :func:`search`::

    def search_tasks(self, **params):
        self._request("SearchTasks", params)
        found = search("SearchTasks", candidate_tasks, params, self._task_searchable())
        return found.response("tasks", [task_search_summary(t) for t in found.items])
"""

from __future__ import annotations

import datetime as dt
import functools
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
from farmsim.model.enums import WORKER_STATUS_CODES

if TYPE_CHECKING:
    from botocore.model import StringShape, StructureShape

    from farmsim.engine.workers import WorkerState
    from farmsim.model.state import JobState

__all__ = ["JOB_FIELDS", "WORKER_FIELDS", "Field", "Found", "Search", "Searchable", "search"]

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

_WORKER_STATUS = {code: status.value for status, code in WORKER_STATUS_CODES.items()}


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
    """SearchJobs and SearchWorkers (see the module's documentation)."""

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
