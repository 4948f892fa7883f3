"""Small helpers the scenario validators share: a problem collector and a checked mapping reader.

Every validator reads its part of the scenario through a :class:`Section`, which records a
problem (with its location, in the openjd ``a.b[0].c`` style) instead of raising, and returns a
usable default so that checking can go on. The loader raises one
:class:`~farmsim.errors.ScenarioError` holding every problem at the end.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from typing import Any, TypeGuard

from farmsim._documents import shown, shown_names
from farmsim.errors import ScenarioError
from farmsim.scenario.durations import parse_duration

__all__ = [
    "INT32_MAX",
    "NAME_MAX",
    "Problems",
    "Section",
    "at",
    "index",
    "is_int",
    "is_number",
    "names",
    "read_duration",
    "show",
]

#: Upper bound of the API's 32-bit integer fields (maxCount, maxRetriesPerTask, ...).
INT32_MAX = 2_147_483_647
#: The API's longest displayName (and OpenJD's longest capability name).
NAME_MAX = 100


class Problems:
    """Collects ``"<location>: <message>"`` lines; :meth:`raise_if_any` raises them together.

    It also remembers where problems were found (:attr:`located`) and which keys were refused
    or missed (:attr:`keyed`), so that a later check of the same data (the API shape check of
    :mod:`~farmsim.scenario.apishapes`) says nothing more of a field already reported.
    """

    __slots__ = ("keyed", "located", "messages")

    def __init__(self) -> None:
        self.messages: list[str] = []
        #: Every location a problem was recorded at.
        self.located: set[str] = set()
        #: The locations of the keys reported as unknown or missing (``farm.fleets[0].foo``).
        self.keyed: set[str] = set()

    def add(self, where: str, message: str, *, key: object = None) -> None:
        """Record one problem at ``where`` (``"(top level)"`` when ``where`` is empty); ``key``:
        the problem is that key of the mapping at ``where`` (unknown, or missing)."""
        self.messages.append(f"{where or '(top level)'}: {message}")
        self.located.add(where)
        if key is not None:
            self.keyed.add(at(where, key))

    def __len__(self) -> int:
        return len(self.messages)

    def raise_if_any(self, source: str | None = None) -> None:
        """Raise every problem recorded so far as one :class:`ScenarioError`."""
        if self.messages:
            raise ScenarioError(self.messages, source=source)


def at(where: str, key: object) -> str:
    """The location of mapping key ``key`` inside ``where``: ``at("farm", "queues")``."""
    return f"{where}.{key}" if where else str(key)


def index(where: str, i: int) -> str:
    """The location of list item ``i`` inside ``where``: ``farm.queues[0]``."""
    return f"{where}[{i}]"


def is_int(value: object) -> TypeGuard[int]:
    """True for ints, False for bools (YAML ``true`` is not the integer 1 here)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[int | float]:
    """True for ints and floats that are not bools."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def show(value: object) -> str:
    """A short description of a bad value for a message: its repr, or its kind for containers
    (:func:`farmsim._documents.shown`)."""
    return shown(value)


def names(values: Iterable[object]) -> str:
    """``'a', 'b'`` (or ``none``) for "defined: ..." lists in messages, cut when long."""
    return shown_names(values)


def _range_text(
    value: float, minimum: float | None, maximum: float | None, minus_one: bool = False
) -> str:
    """The rule ``value`` breaks: ``between 0 and 100``, ``-1 or >= 1``, ``>= 0``, ``<= max``."""
    if minimum is not None and maximum is not None and maximum < INT32_MAX:
        return (
            f"-1 or between {minimum} and {maximum}"
            if minus_one
            else f"between {minimum} and {maximum}"
        )
    if minimum is not None and value < minimum:
        return f"-1 or >= {minimum}" if minus_one else f">= {minimum}"
    return f"<= {maximum}"


class Section:
    """A mapping being validated: its location, its known keys, and typed readers for its fields.

    Creating a section reports a non-mapping value, unknown keys and missing required keys. The
    readers report a bad field and return its default (or None), so validation always goes on.

    Args:
        data: the value found at ``where``; anything but a mapping is a problem.
        where: its location, e.g. ``"farm.limits[0]"``.
        problems: where problems go.
        keys: the keys this mapping may have.
        required: the keys it must have.
    """

    __slots__ = ("data", "problems", "valid", "where")

    def __init__(
        self,
        data: Any,
        where: str,
        problems: Problems,
        *,
        keys: Collection[str],
        required: Iterable[str] = (),
    ) -> None:
        self.where = where
        self.problems = problems
        self.valid = isinstance(data, Mapping)
        self.data: Mapping[Any, Any] = data if self.valid else {}
        if not self.valid:
            problems.add(where, f"must be a mapping (got {show(data)})")
            return
        expected = ", ".join(sorted(keys))
        for key in self.data:
            if not isinstance(key, str) or key not in keys:
                problems.add(where, f"unknown key {show(key)} (expected one of: {expected})",
                             key=key)
        for key in required:
            if key not in self.data:
                problems.add(where, f"missing required key {key!r}", key=key)

    def section(self, key: str, *, keys: Collection[str], required: Iterable[str] = ()) -> Section:
        """The sub-mapping at ``key`` as a section (an empty one when ``key`` is absent)."""
        if key not in self.data:
            return Section({}, self.at(key), self.problems, keys=keys)
        return Section(self.data[key], self.at(key), self.problems, keys=keys, required=required)

    def union(self, key: str, members: Collection[str]) -> tuple[str, Any] | None:
        """A tagged union like ``configuration: {customerManaged: {...}}``: a mapping with exactly
        one key, one of ``members``. Returns (member, value), or None after a problem."""
        value = self.mapping(key)
        if value is None:
            return None
        where, expected = self.at(key), ", ".join(members)
        unknown = [k for k in value if k not in members]
        for k in unknown:
            self.problems.add(where, f"unknown key {show(k)} (expected one of: {expected})",
                              key=k)
        if unknown:
            return None
        if len(value) != 1:
            got = ", ".join(value) if value else "none"
            self.problems.add(where, f"must have exactly one of {expected} (got {got})")
            return None
        ((member, content),) = value.items()
        return member, content

    def has(self, key: str) -> bool:
        """True when the mapping has ``key``."""
        return key in self.data

    def get(self, key: str, default: Any = None) -> Any:
        """The raw value of ``key``, or ``default``."""
        return self.data.get(key, default)

    def at(self, key: str) -> str:
        """The location of ``key`` in this section."""
        return at(self.where, key)

    def bad(self, key: str, message: str) -> None:
        """Record a problem with field ``key``."""
        self.problems.add(self.at(key), message)

    def string(
        self, key: str, *, default: str | None = None, max_length: int | None = None
    ) -> str | None:
        """A non-empty string field."""
        value = self.data.get(key, default)
        if value is None and key not in self.data:
            return default
        if not isinstance(value, str):
            self.bad(key, f"must be a string (got {show(value)})")
            return default
        if not value.strip():
            self.bad(key, "must not be empty")
            return default
        if max_length is not None and len(value) > max_length:
            self.bad(key, f"must be at most {max_length} characters (got {len(value)})")
        return value

    def text(self, key: str) -> str | None:
        """A free-text string field (``description``); may be empty."""
        value = self.data.get(key)
        if key in self.data and not isinstance(value, str):
            self.bad(key, f"must be a string (got {show(value)})")
            return None
        return value

    def integer(
        self,
        key: str,
        *,
        default: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
        minus_one: bool = False,
    ) -> int | None:
        """An integer field (bools refused) within ``minimum..maximum``; ``minus_one`` also allows
        -1 (the API's "unlimited") with ``minimum`` then meaning 1."""
        if key not in self.data:
            return default
        value = self.data[key]
        if not is_int(value):
            self.bad(key, f"must be an integer (got {show(value)})")
            return default
        if minus_one and value == -1:
            return value
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            rule = _range_text(value, minimum, maximum, minus_one)
            self.bad(key, f"must be {rule} (got {show(value)})")
            return default
        return value

    def number(
        self,
        key: str,
        *,
        default: float | None = None,
        minimum: float | None = None,
        maximum: float | None = None,
        positive: bool = False,
    ) -> float | None:
        """A finite number field (int or float; bools refused) within ``minimum..maximum``, and
        > 0 if ``positive``."""
        if key not in self.data:
            return default
        value = self.data[key]
        if not is_number(value):
            self.bad(key, f"must be a number (got {show(value)})")
            return default
        try:
            result = float(value)
        except OverflowError:
            result = math.inf
        if not math.isfinite(result):
            self.bad(key, f"must be a finite number (got {show(value)})")
            return default
        if (minimum is not None and result < minimum) or (maximum is not None and result > maximum):
            self.bad(key, f"must be {_range_text(result, minimum, maximum)} (got {show(value)})")
            return default
        if positive and result <= 0:
            self.bad(key, f"must be > 0 (got {show(value)})")
            return default
        return result

    def duration(
        self, key: str, *, default: float | None = None, positive: bool = False
    ) -> float | None:
        """A duration field (seconds, or a string like ``15m``) that is >= 0 (> 0 if
        ``positive``)."""
        if key not in self.data:
            return default
        return read_duration(
            self.data[key], self.at(key), self.problems, positive=positive, default=default
        )

    def boolean(self, key: str, *, default: bool) -> bool:
        """A true/false field (not 0/1, not strings)."""
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.bad(key, f"must be true or false (got {show(value)})")
            return default
        return value

    def choice(
        self, key: str, choices: Collection[str], *, default: str | None = None
    ) -> str | None:
        """A string field that must be one of ``choices``."""
        if key not in self.data:
            return default
        value = self.data[key]
        if not isinstance(value, str) or value not in choices:
            self.bad(key, f"must be one of {', '.join(choices)} (got {show(value)})")
            return default
        return value

    def mapping(self, key: str) -> Mapping[Any, Any] | None:
        """A mapping field, or None when absent or not a mapping (a problem)."""
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, Mapping):
            self.bad(key, f"must be a mapping (got {show(value)})")
            return None
        return value

    def sequence(self, key: str, *, min_items: int = 0) -> list[Any]:
        """A list field, or ``[]`` when absent or not a list (a problem)."""
        if key not in self.data:
            return []
        value = self.data[key]
        if not isinstance(value, list):
            self.bad(key, f"must be a list (got {show(value)})")
            return []
        if len(value) < min_items:
            self.bad(
                key,
                f"must have at least {min_items} item{'s' if min_items != 1 else ''} "
                f"(got {len(value)})",
            )
        return value


def read_duration(
    value: Any,
    where: str,
    problems: Problems,
    *,
    positive: bool = False,
    default: float | None = None,
) -> float | None:
    """Parse a duration at ``where``; it must be >= 0 (> 0 if ``positive``). Records problems."""
    try:
        seconds = parse_duration(value)
    except ValueError:
        problems.add(
            where,
            "must be a duration: seconds, or a string like '90s', '15m', '4h', '7d' "
            f"(got {show(value)})",
        )
        return default
    if seconds < 0 or (positive and seconds == 0):
        problems.add(where, f"must be {'> 0' if positive else '>= 0'} (got {show(value)})")
        return default
    return seconds
