"""Errors raised by farmsim.

The hierarchy::

    FarmsimError
    ├── ScenarioError (also ValueError)   a scenario file or config is invalid; lists every problem
    ├── TemplateError (also ValueError)   an OpenJD template or job bundle is invalid
    ├── ResultsError (also ValueError)    a results folder cannot be written or read back
    ├── UsageError (also TypeError, ValueError)  a farmsim function was given an argument it
    │                                     cannot use (``seed="x"``, ``until=-1``, ...)
    └── SimulationError (also RuntimeError)  an engine invariant was broken (a farmsim bug)
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "FarmsimError",
    "PolicyError",
    "ResultsError",
    "ScenarioError",
    "SimulationError",
    "TemplateError",
    "UsageError",
]


class FarmsimError(Exception):
    """Base class of every error farmsim raises on purpose."""


class ScenarioError(FarmsimError, ValueError):
    """A scenario is invalid. Holds every problem found, one per line, each with its location.

    Args:
        problems: one message per problem, e.g.
            ``"farm.limits[0].maxCount: must be -1 or >= 1 (got 0)"``.
        source: the scenario file, when there is one.
    """

    def __init__(self, problems: Iterable[str] | str, *, source: str | None = None) -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in scenario"
        if source:
            head += f" {source}"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class TemplateError(FarmsimError, ValueError):
    """An OpenJD job template, environment template or job bundle is invalid.

    Args:
        message: what is wrong, with openjd-model's location (``steps[0] -> script: ...``).
        path: the template file or bundle folder, when there is one.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        self.detail = message
        super().__init__(f"{path}: {message}" if path else message)


class ResultsError(FarmsimError, ValueError):
    """A results folder cannot be written (``Result.save`` onto a file, or where it may not
    write), or cannot be read back (a file written by ``Result.save`` or ``farmsim run`` is
    missing, unreadable or malformed, or the folder mixes files of two runs).

    Args:
        message: what is wrong, naming the column, key or value, e.g.
            ``"missing column 'priority'"``.
        path: the file or folder at fault.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        self.detail = message
        super().__init__(f"{path}: {message}" if path else message)


class UsageError(FarmsimError, TypeError, ValueError):
    """A farmsim function or method was called with an argument it cannot use: a seed that is
    not an integer >= 0, a negative ``until``, an unknown table format, a path where a template
    was expected. The message names the argument, the rule and the value.

    It is also a TypeError and a ValueError, the errors Python itself raises for such calls, so
    code catching either keeps working.
    """


class PolicyError(FarmsimError, RuntimeError):
    """A custom scheduling policy broke the policy contract: it chose a task the worker may
    not take, or its code raised (the message names the policy, the call and the user's file
    and line)."""


class SimulationError(FarmsimError, RuntimeError):
    """An engine invariant was broken (a worker double-booked, a limit over maxCount, ...)."""
