"""The scenario's API-shaped sections checked against the Deadline Cloud API's own shapes.

The ``farm:`` section and its queues, fleets, limits and budgets are written like CreateFarm,
CreateQueue, CreateFleet, CreateLimit and CreateBudget requests, a queue's ``environments`` like
CreateQueueEnvironment's, and each ``workload.jobs`` item like a CreateJob request. The readers
(:mod:`~farmsim.scenario.farm`, :mod:`~farmsim.scenario.fleets`, ...) check what farmsim
simulates, with messages of their own; :func:`check_api_shape` then checks the same section
against the input shape of the operation in botocore's model of the service
(:mod:`farmsim.api._model`), so that what the API would refuse is refused here too: values out
of range (``workerIdleDurationSeconds: -7``), enum values, lengths, patterns, unions, unknown
keys in the mappings the readers take as they are (``autoScalingConfiguration``,
``workerCapabilities``, ...).

What is checked, and what farmsim decided:

* only the section's keys that are the API's: farmsim's own keys (``simulation``; a queue's
  ``fleets``, ``limits`` and ``environments``, which stand for the association operations; a
  job's ``at``, ``queue``, ``template`` and ``parameters``, and a budget's
  ``usageTrackingResource`` and ``schedule``, which farmsim takes in forms of its own) are
  left out (:data:`OWN_KEYS`);
* the request's required members are not demanded: farmsim fills in what a scenario does not
  give (``farmId``, ``roleArn``, ``clientToken``, a job's ``priority``, ...) and its readers
  demand the rest; inside the section, the API's required members are demanded but for a
  fleet's capabilities (:data:`PARTIAL_SHAPES`), which a scenario may give in part or leave
  out, farmsim simulating none of them but ``customAmounts``;
* a field the reader already reported gets no second message (nor do the fields inside a key
  the reader refused, or inside a mapping it reported);
* a union given with one member whose value is null (``priorityFifo:`` in YAML) has that
  member, empty: the readers take it so.

Each problem is one line in the reader's style, at the field's location: the rule, the
operation whose shape states it, and the value, e.g.
``farm.fleets[0].configuration.customerManaged.autoScalingConfiguration.workerIdleDurationSeconds:
must be at least 0 (CreateFleet's range 0-2147483647) (got -7)``.

botocore is imported by :mod:`farmsim.api` only, and only when a section is checked.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from farmsim.scenario._validate import Problems, at, show

__all__ = ["OWN_KEYS", "PARTIAL_SHAPES", "check_api_shape"]

#: The keys of each API-shaped section that are farmsim's, not the operation's.
OWN_KEYS: dict[str, tuple[str, ...]] = {
    "CreateFarm": ("queues", "fleets", "limits", "budgets", "simulation"),
    "CreateQueue": ("fleets", "limits", "environments", "simulation"),
    "CreateQueueEnvironment": ("template",),
    "CreateFleet": ("simulation",),
    "CreateLimit": ("simulation",),
    "CreateJob": ("at", "queue", "template", "parameters"),
    # A budget names its queue by displayName; its schedule's times are wall-clock strings
    # (or YAML timestamps) and it may be left out: the reader checks both.
    "CreateBudget": ("usageTrackingResource", "schedule"),
}

#: The structures whose required members a scenario need not give: a fleet's capabilities
#: (``workerCapabilities`` itself, and what is inside it or ``instanceCapabilities``).
PARTIAL_SHAPES = frozenset({
    "CustomerManagedFleetConfiguration",
    "CustomerManagedWorkerCapabilities",
    "ServiceManagedEc2InstanceCapabilities",
})

#: What a value of each kind of shape must be, for messages.
_KINDS = {
    "structure": "a mapping",
    "map": "a mapping",
    "list": "a list",
    "string": "a string",
    "integer": "an integer",
    "long": "an integer",
    "float": "a number",
    "double": "a number",
    "boolean": "true or false",
    "timestamp": "a timestamp",
    "blob": "bytes",
}

#: What integers beyond 64 bits are cut to for the shape check (:func:`_plain`).
_HUGE = 2**64
_SEGMENT = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")


class _Node(NamedTuple):
    """A value found in the section and the shape it must have (None: not found)."""

    value: Any
    shape: Any
    found: bool


def check_api_shape(data: Any, operation: str, where: str, problems: Problems) -> None:
    """Check the API's keys of one scenario section (``data``, at ``where``) against the input
    shape of ``operation``; record each problem the section's reader did not already report.

    Args:
        data: the section's mapping (anything else: the reader reported it, nothing to do).
        operation: the operation the section is shaped like, a key of :data:`OWN_KEYS`.
        where: the section's location (``farm.fleets[0]``).
        problems: where problems go, holding the reader's problems of the section.
    """
    if not isinstance(data, Mapping):
        return
    own = OWN_KEYS[operation]
    checked = {key: _plain(item) for key, item in data.items()
               if isinstance(key, str) and key not in own}
    if not checked:
        return
    shape, shape_problems = _shape(operation)
    lines: dict[str, tuple[str, str]] = {}  # by field: one message each
    for problem in shape_problems(checked, shape, none_ok=True):
        field = at(where, problem.path) if problem.path else where
        if field not in lines:
            line = _line(problem.path, problem.message, data, shape, operation, where, problems)
            if line is not None:
                lines[field] = line
    for line in lines.values():  # after the loop: what the reader said decides, not these
        problems.add(*line)


@functools.cache
def _shape(operation: str) -> tuple[Any, Callable[..., list[Any]]]:
    """The input shape of ``operation`` and the check of values against shapes (imported on
    first use: botocore is loaded only when a section is checked)."""
    from farmsim.api._model import operation_model, shape_problems

    return operation_model(operation).input_shape, shape_problems


def _plain(value: Any) -> Any:
    """``value`` for the shape check: mappings as dicts (it takes dicts only), integers beyond
    64 bits (a YAML ``1`` followed by 5000 zeros) cut to ±2**64 (its messages cannot print
    them: the value shown is the section's own)."""
    if isinstance(value, int):
        if value.bit_length() > 64 and not isinstance(value, bool):
            return _HUGE if value > 0 else -_HUGE
        return value
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _line(path: str, message: str, value: Mapping[str, Any], shape: Any, operation: str,
          where: str, problems: Problems) -> tuple[str, str] | None:
    """The location and message of one problem of ``shape_problems`` (at ``path`` inside the
    section), or None when it is not to be reported."""
    field = at(where, path) if path else where
    if field in problems.located or field in problems.keyed:
        return None  # the reader said what is wrong with the field
    for outer in _parents(field):
        if outer in problems.keyed or (len(outer) > len(where) and outer in problems.located):
            return None  # the reader refused the key, or said what is wrong with the mapping
    if message == "is required" or message.startswith("is not a member of "):
        parent_path, key = _split(path)
        parent = _find(value, shape, parent_path).shape
        parent_at = at(where, parent_path) if parent_path else where
        owner = f"{operation}'s {getattr(parent, 'name', '?')}"
        if message == "is required":
            if not parent_path or getattr(parent, "name", None) in PARTIAL_SHAPES:
                return None
            return parent_at, f"missing required key {key!r} ({owner} requires it)"
        members = ", ".join(sorted(getattr(parent, "members", {}))) or "none"
        return parent_at, f"unknown key {show(key)} ({owner} has: {members})"
    node = _find(value, shape, path)
    if not node.found:
        return field, f"{message} ({operation})"
    rule = _rule(message, node, operation, field, problems)
    return None if rule is None else (field, rule)


def _rule(message: str, node: _Node, operation: str, field: str, problems: Problems,
          ) -> str | None:
    """The message for a value that breaks one rule of its own shape (None: the reader
    already said it)."""
    value, shape = node.value, node.shape
    meta: dict[str, Any] = getattr(shape, "metadata", {})
    low, high = meta.get("min"), meta.get("max")
    got = f"(got {show(value)})"
    if message.startswith("expected "):
        kind = _KINDS.get(shape.type_name, shape.type_name)
        return f"must be {kind} ({operation}'s {shape.name}) {got}"
    if message.startswith("a union:"):
        inside = (field + ".", field + "[")
        if len(value) == 1 or any(place.startswith(inside) for place in problems.located):
            return None  # one member, given as null (``priorityFifo:``), or the reader said it
        members = ", ".join(shape.members)
        given = ", ".join(value) or "none"
        return f"must have exactly one of {members} ({operation}'s {shape.name}) (got {given})"
    if " is not one of " in message:
        return f"must be one of {', '.join(shape.enum)} ({operation}'s {shape.name}) {got}"
    if " does not match the pattern " in message:
        return f"must match the pattern {meta.get('pattern')} ({operation}'s {shape.name}) {got}"
    span = _span(low, high)
    below = "below the minimum" in message or "fewer than the minimum" in message
    bound = f"at least {low}" if below else f"at most {high}"
    if "is below the minimum" in message or "is above the maximum" in message:
        return f"must be {bound} ({operation}'s range {span}) {got}"
    if "than the minimum" in message or "than the maximum" in message:
        if shape.type_name == "string":
            return (f"must be {bound} characters long ({operation}'s length {span}) "
                    f"(got {len(value)} characters)")
        what = "items" if shape.type_name == "list" else "entries"
        return f"must have {bound} {what} ({operation}'s {span} {what}) (got {len(value)})"
    return f"{message} ({operation}'s {shape.name})"


def _span(low: Any, high: Any) -> str:
    """``0-86400``, ``-1 to 100``, ``at least 1``, ``at most 10``."""
    if low is not None and high is not None:
        return f"{low}-{high}" if low >= 0 else f"{low} to {high}"
    return f"at least {low}" if low is not None else f"at most {high}"


def _parents(field: str) -> Iterator[str]:
    """The locations ``field`` is inside of: ``a.b[0].c`` -> ``a``, ``a.b``, ``a.b[0]``."""
    for i, char in enumerate(field):
        if char in ".[" and i:
            yield field[:i]


def _split(path: str) -> tuple[str, str]:
    """``a.b.c`` -> (``a.b``, ``c``); ``c`` -> (``""``, ``c``)."""
    parent, _, key = path.rpartition(".")
    return parent, key


def _find(value: Any, shape: Any, path: str) -> _Node:
    """The value at ``path`` (``a.b[0].c``) inside ``value`` and its shape."""
    for match in _SEGMENT.finditer(path):
        number, key = match.groups()
        kind = shape.type_name
        if number is not None and kind == "list" and isinstance(value, list):
            i = int(number)
            if i >= len(value):
                return _Node(None, None, False)
            value, shape = value[i], shape.member
        elif key is not None and kind == "structure" and isinstance(value, Mapping) \
                and key in shape.members:
            value, shape = value.get(key), shape.members[key]
        elif key is not None and kind == "map" and isinstance(value, Mapping) and key in value:
            value, shape = value[key], shape.value
        else:
            return _Node(None, None, False)
    return _Node(value, shape, True)
