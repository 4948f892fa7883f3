"""The Deadline Cloud service model that botocore ships, and checks of data against its shapes.

farmsim does not copy the API's shapes: it reads them from botocore's model of the service
(``botocore/data/deadline/2023-10-12/service-2.json``), the same file boto3 uses. Two checks
come from it:

* :func:`request_problems`: a request as the service would judge it. botocore itself checks
  required members, types, minimums and unknown keys before a request leaves boto3 (and
  raises ``ParamValidationError``); the service checks the rest: maximum lengths and values,
  patterns and enum values (a ``ValidationException`` with a ``fieldList``).
* :func:`shape_problems`: any value against any shape, every constraint the model states
  (required members, types, enums, ranges, lengths, patterns, unions): what the conformance
  tests hold every response of the simulated service to.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.model import ListShape, MapShape, StringShape, StructureShape

from farmsim.errors import UsageError

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel, Shape

__all__ = [
    "Problem",
    "every_request_problem",
    "operation_model",
    "request_problems",
    "service_model",
    "shape_problems",
]

SERVICE = "deadline"


class Problem(NamedTuple):
    """One constraint a value breaks: where (a dotted path, ``[i]`` for list items), and why."""

    path: str
    message: str


#: Operations of the model farmsim relies on; an older botocore lacks some (limits came later).
NEEDED = ("CreateJob", "GetJob", "SearchJobs", "CreateLimit", "CreateQueueLimitAssociation",
          "BatchGetJobEntity")


@functools.cache
def service_model() -> ServiceModel:
    """botocore's model of Deadline Cloud (loaded once).

    Raises:
        UsageError: the installed botocore's model lacks operations farmsim needs.
    """
    import botocore
    import botocore.session

    model = botocore.session.get_session().get_service_model(SERVICE)
    missing = [name for name in NEEDED if name not in model.operation_names]
    if missing:
        raise UsageError(
            f"botocore {botocore.__version__} models Deadline Cloud without "
            f"{', '.join(missing)}: upgrade it (pip install -U botocore)")
    return model


@functools.cache
def operation_model(name: str) -> OperationModel:
    """The model of one operation, by its API name (``"GetJob"``)."""
    return service_model().operation_model(name)


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def request_problems(operation: str, params: dict[str, Any]) -> list[Problem]:
    """What the service would reject in ``params`` of ``operation`` once botocore's own checks
    have passed: values over a maximum, strings that do not match a pattern or an enum.

    Raises:
        botocore.exceptions.ParamValidationError: what boto3 itself would refuse to send.
    """
    from botocore.validate import validate_parameters

    shape = operation_model(operation).input_shape
    if shape is None:
        return []
    validate_parameters(params, shape)
    problems: list[Problem] = []
    _check(params, shape, "", problems, request=True)
    return problems


def every_request_problem(operation: str, params: dict[str, Any]) -> list[Problem]:
    """:func:`request_problems`, with what botocore would refuse to send as problems too (one
    per line of its report, at the path ``""``) rather than raised."""
    from botocore.exceptions import ParamValidationError

    try:
        return request_problems(operation, params)
    except ParamValidationError as exc:
        report = str(exc).split(":", 1)[-1].strip()
        return [Problem("", line.strip()) for line in report.splitlines() if line.strip()]


def shape_problems(value: Any, shape: Shape, path: str = "", *,
                   none_ok: bool = False) -> list[Problem]:
    """Every constraint of ``shape`` (and of the shapes inside it) that ``value`` breaks. A
    member set to None is one (boto3 leaves members out) unless ``none_ok`` (a scenario's YAML,
    where ``key:`` with nothing is null and its reader decides what it means)."""
    problems: list[Problem] = []
    _check(value, shape, path, problems, none_ok=none_ok)
    return problems


def _check(value: Any, shape: Shape, path: str, out: list[Problem], request: bool = False,
           none_ok: bool = False) -> None:
    """``request``: ``value`` is a request botocore accepted, whose timestamps may be what
    boto3 accepts (naive datetimes as UTC, ISO 8601 strings, epoch seconds)."""
    kind = shape.type_name
    meta = shape.metadata
    if meta.get("document"):
        return  # a document (a template, a parameter definition): any JSON value
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            out.append(Problem(path, f"expected an object, got {type(value).__name__}"))
            return
        members = shape.members
        out.extend(Problem(_join(path, key), "is not a member of " + shape.name)
                   for key in value if key not in members)
        out.extend(Problem(_join(path, key), "is required")
                   for key in shape.required_members if key not in value)
        if meta.get("union") and sum(v is not None for v in value.values()) != 1:
            out.append(Problem(path, f"a union: exactly one member must be set, got "
                                     f"{sorted(value)}"))
        for key, item in value.items():
            if key not in members:
                continue
            if item is not None:
                _check(item, members[key], _join(path, key), out, request, none_ok)
            elif not none_ok:  # (boto3 leaves a member out; it never sets it to None)
                out.append(Problem(_join(path, key), "is None"))
        return
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            out.append(Problem(path, f"expected a list, got {type(value).__name__}"))
            return
        _length(len(value), meta, path, "items", out)
        for i, item in enumerate(value):
            _check(item, shape.member, f"{path}[{i}]", out, request, none_ok)
        return
    if isinstance(shape, MapShape):
        if not isinstance(value, dict):
            out.append(Problem(path, f"expected a map, got {type(value).__name__}"))
            return
        _length(len(value), meta, path, "entries", out)
        for key, item in value.items():
            _check(key, shape.key, _join(path, f"<key {key}>"), out, request, none_ok)
            _check(item, shape.value, _join(path, str(key)), out, request, none_ok)
        return
    if isinstance(shape, StringShape):
        if not isinstance(value, str):
            out.append(Problem(path, f"expected a string, got {type(value).__name__}"))
            return
        if shape.enum and value not in shape.enum:
            out.append(Problem(path, f"{value!r} is not one of {sorted(shape.enum)}"))
        _length(len(value), meta, path, "characters", out)
        pattern = meta.get("pattern")
        # (botocore's model drops the patterns' outer ^ and $: each is matched whole)
        if pattern is not None and not _pattern(pattern).fullmatch(value):
            out.append(Problem(path, f"{value!r} does not match the pattern {pattern}"))
        return
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            out.append(Problem(path, f"expected an integer, got {type(value).__name__}"))
            return
        _range(value, meta, path, out)
        return
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            out.append(Problem(path, f"expected a number, got {type(value).__name__}"))
            return
        _range(value, meta, path, out)
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            out.append(Problem(path, f"expected a boolean, got {type(value).__name__}"))
        return
    if kind == "timestamp":
        if request:
            return  # (botocore has checked it parses)
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            out.append(Problem(path, f"expected a timezone-aware datetime, got {value!r}"))
        return
    if kind == "blob":
        if not isinstance(value, (bytes, bytearray)):
            out.append(Problem(path, f"expected bytes, got {type(value).__name__}"))
        return
    # (any other kind: no constraint to check)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _length(n: int, meta: dict[str, Any], path: str, what: str, out: list[Problem]) -> None:
    low, high = meta.get("min"), meta.get("max")
    if low is not None and n < low:
        out.append(Problem(path, f"has {n} {what}, fewer than the minimum {low}"))
    if high is not None and n > high:
        out.append(Problem(path, f"has {n} {what}, more than the maximum {high}"))


def _range(value: float, meta: dict[str, Any], path: str, out: list[Problem]) -> None:
    low, high = meta.get("min"), meta.get("max")
    if low is not None and value < low:
        out.append(Problem(path, f"{_short(value)} is below the minimum {low}"))
    if high is not None and value > high:
        out.append(Problem(path, f"{_short(value)} is above the maximum {high}"))


def _short(number: float) -> str:
    """A number for a message: a huge integer (which ``str`` refuses past 4300 digits) by its
    size."""
    if isinstance(number, int) and abs(number) > 10**30:
        return f"{'-' if number < 0 else ''}an integer of {number.bit_length()} bits"
    return str(number)
