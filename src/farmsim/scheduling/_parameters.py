"""Checking a scheduling configuration's API parameters (for UpdateQueue and Python callers;
the scenario reader checks a scenario's with messages of its own)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from farmsim.model.config import (
    DEFAULT_ERROR_COUNT,
    DEFAULT_SUBMISSION_TIME_UNIT,
    ERROR_COUNTS,
    SCHEDULING_OVERRIDES,
    SCHEDULING_PARAMETERS,
    SUBMISSION_TIME_UNITS,
)

__all__ = ["read_parameters", "read_settings"]

#: The integer parameters (the others are doubles).
_INTEGERS = frozenset({"renderingTaskBuffer"})


def read_parameters(name: str, parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters of configuration ``name``, checked, with the API's defaults filled in
    (an override: True when given, False when absent). Raises ValueError naming the parameter,
    the rule and the value."""
    ranges = SCHEDULING_PARAMETERS[name]
    overrides = SCHEDULING_OVERRIDES if name == "weightedBalanced" else {}
    given = {} if parameters is None else parameters
    if not isinstance(given, Mapping):
        raise ValueError(f"{name} must be a mapping (got {given!r})")
    for key in given:
        if key not in ranges and key not in overrides:
            known = ", ".join([*ranges, *overrides]) or "none"
            raise ValueError(f"unknown parameter {key!r} of {name} (expected one of: {known})")
    out: dict[str, Any] = {}
    for key, (default, low, high) in ranges.items():
        value = given.get(key, default)
        integer = key in _INTEGERS
        if isinstance(value, bool) or not isinstance(value, int if integer else int | float):
            kind = "an integer" if integer else "a number"
            raise ValueError(f"{key} must be {kind} (got {value!r})")
        if not (math.isfinite(value) and low <= value <= high):
            raise ValueError(f"{key} must be between {low:g} and {high:g} (got {value!r})")
        out[key] = value
    for key, member in overrides.items():
        if key not in given:
            out[key] = False
            continue
        value = given[key]
        if (not isinstance(value, Mapping) or list(value) != [member]
                or value[member] not in (None, {})):
            raise ValueError(f"{key} must be {{{member}: {{}}}} (got {value!r})")
        out[key] = True
    return out


def read_settings(settings: Mapping[str, Any] | None) -> tuple[str, str]:
    """A queue's ``simulation`` settings of weightedBalanced's unknowns: (the unit of the time
    since submission, what counts as an error), checked (ValueError)."""
    given = {} if settings is None else settings
    unit = given.get("submission_time_unit", DEFAULT_SUBMISSION_TIME_UNIT)
    if unit not in SUBMISSION_TIME_UNITS:
        raise ValueError(f"submission_time_unit must be one of "
                         f"{', '.join(SUBMISSION_TIME_UNITS)} (got {unit!r})")
    errors = given.get("error_count", DEFAULT_ERROR_COUNT)
    if errors not in ERROR_COUNTS:
        raise ValueError(f"error_count must be one of {', '.join(ERROR_COUNTS)} "
                         f"(got {errors!r})")
    return unit, errors
