"""A sweep's grid: the axes (a scenario path and its values), and the points of their product.

An axis sets one or more paths of the scenario file to each of its values
(:meth:`farmsim.Scenario.with_overrides` paths: ``farm.limits.nuke.maxCount``); the axis named
``variant`` picks one of the scenario's ``variants`` instead. Points are the product of the
axes, the first axis outermost, numbered from 0.

On the command line an axis is ``--set PATH=V1,V2,...`` (each value read as YAML, inside a
flow list, so ``{priorityFifo: {}}`` is one value) or ``--set PATH=A:B[:STEP]``, the whole
numbers from A to B inclusive.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from farmsim._documents import DocumentTooLarge, load_yaml, shown
from farmsim.errors import UsageError

__all__ = ["MAX_POINTS", "MAX_RUNS", "VARIANT", "Axis", "Point", "axes_from", "parse_values",
           "points", "value_label"]

#: The axis name that picks one of the scenario's variants.
VARIANT = "variant"
#: The most points a grid may have, and the most runs (points x replications) a sweep may
#: ask for: past these the sweep is refused before anything runs. A finished run's metrics
#: take about 10 KB of the sweep's memory (a dict of some 150 numbers), so the runs of one
#: sweep stay within about 2 GB.
MAX_POINTS = 100_000
MAX_RUNS = 200_000
_RANGE = re.compile(r"\s*(-?\d+)\s*:\s*(-?\d+)\s*(?::\s*(\d+)\s*)?")


@dataclass(frozen=True)
class Axis:
    """One dimension of a grid.

    Attributes:
        name: its name: its first path, or ``variant``.
        paths: the scenario paths each value is set at (empty for the variant axis).
        values: its values, in order.
    """

    name: str
    paths: tuple[str, ...]
    values: tuple[Any, ...]

    @property
    def is_variant(self) -> bool:
        return self.name == VARIANT and not self.paths

    def labels(self) -> list[str]:
        return [value_label(v) for v in self.values]


@dataclass(frozen=True)
class Point:
    """A point of the grid: its number and one value per axis (the axes' order)."""

    index: int
    values: tuple[Any, ...]

    def overrides(self, axes: Sequence[Axis]) -> dict[str, Any]:
        """The scenario overrides of this point (the variant axis left out)."""
        out: dict[str, Any] = {}
        for axis, value in zip(axes, self.values, strict=True):
            for path in axis.paths:
                out[path] = value
        return out

    def variant(self, axes: Sequence[Axis]) -> str | None:
        """The variant this point runs, or None."""
        for axis, value in zip(axes, self.values, strict=True):
            if axis.is_variant:
                return str(value)
        return None

    def label(self, axes: Sequence[Axis]) -> str:
        """``farm.limits.nuke.maxCount=12, variant=spot``."""
        return ", ".join(f"{a.name}={value_label(v)}"
                         for a, v in zip(axes, self.values, strict=True))


def value_label(value: Any) -> str:
    """A value as a short text: scalars as they are, mappings and lists as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(value)
    if isinstance(value, int | float | bool) or value is None:
        return json.dumps(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def axes_from(grid: Mapping[Any, Any], variants: Sequence[str] = ()) -> tuple[Axis, ...]:
    """The axes of a ``grid`` mapping: path (or a tuple of paths set together, or
    ``"variant"``) -> a list of values.

    Raises:
        UsageError: the grid is not such a mapping, an axis has no values or a value twice,
            a variant the scenario does not have, or the grid is too large.
    """
    if not isinstance(grid, Mapping):
        raise UsageError(f"grid must be a mapping of path -> list of values, e.g. "
                         f"{{'farm.limits.nuke.maxCount': [10, 20]}} (got {shown(grid)})")
    axes: list[Axis] = []
    seen_paths: set[str] = set()
    size = 1
    for key, raw_values in grid.items():
        paths = _paths(key)
        name = VARIANT if not paths else paths[0]
        if isinstance(raw_values, str | bytes | Mapping) or not isinstance(raw_values, Iterable):
            raise UsageError(f"grid[{shown(name)}]: expected a list of values "
                             f"(got {shown(raw_values)})")
        values = tuple(itertools.islice(raw_values, MAX_POINTS + 1))
        if not values:
            raise UsageError(f"grid[{shown(name)}]: has no values")
        if len(values) > MAX_POINTS:
            raise UsageError(f"grid[{shown(name)}]: more than {MAX_POINTS:,} values")
        seen: set[str] = set()
        for value in values:
            label = _key(value)
            if label in seen:
                raise UsageError(f"grid[{shown(name)}]: the value {shown(value)} is given twice")
            seen.add(label)
        if not paths:
            if name in (a.name for a in axes):
                raise UsageError("grid: the variant axis is given twice")
            unknown = [v for v in values if v not in variants]
            if unknown:
                known = ", ".join(map(repr, variants)) or "none: the scenario has no variants"
                raise UsageError(f"grid[{VARIANT!r}]: {shown(unknown[0])} is not one of the "
                                 f"scenario's variants ({known})")
        for path in paths:
            if path in seen_paths:
                raise UsageError(f"grid: the path {shown(path)} is on two axes")
            seen_paths.add(path)
        size *= len(values)
        if size > MAX_POINTS:
            raise UsageError(f"grid: more than {MAX_POINTS:,} points (the product of the axes' "
                             "values); split the sweep")
        axes.append(Axis(name, paths, values))
    return tuple(axes)


def _paths(key: Any) -> tuple[str, ...]:
    """A grid key's paths: a path, a tuple of paths, or ``variant`` (no path)."""
    keys = key if isinstance(key, tuple) else (key,)
    if not keys or not all(isinstance(k, str) and k.strip() for k in keys):
        raise UsageError(f"grid: a key must be a scenario path (farm.limits.nuke.maxCount), a "
                         f"tuple of paths set together, or {VARIANT!r} (got {shown(key)})")
    if keys == (VARIANT,):
        return ()
    if VARIANT in keys:
        raise UsageError(f"grid: {VARIANT!r} is an axis of its own (got {shown(key)})")
    return tuple(k.strip() for k in keys)


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


def points(axes: Sequence[Axis]) -> list[Point]:
    """Every point of the grid: the product of the axes, the first outermost."""
    return [Point(i, values) for i, values in enumerate(
        itertools.product(*(a.values for a in axes)))] if axes else [Point(0, ())]


def parse_values(text: str, *, what: str = "--set") -> list[Any]:
    """A command-line axis's values: ``A:B[:STEP]`` (whole numbers, B included) or a comma
    separated list read as a YAML flow list (``10,20,30``; ``spot,on-demand``;
    ``{priorityFifo: {}},{priorityBalanced: {}}``).

    Raises:
        UsageError: the text is empty, a range is empty or has too many values, or the list
            is not valid YAML.
    """
    match = _RANGE.fullmatch(text)
    if match:
        start, stop = int(match[1]), int(match[2])
        step = int(match[3]) if match[3] else 1
        if step < 1:
            raise UsageError(f"{what}: the step of {shown(text)} must be at least 1")
        if stop < start:
            raise UsageError(f"{what}: the range {shown(text)} is empty (A:B needs A <= B)")
        count = (stop - start) // step + 1
        if count > MAX_POINTS:
            raise UsageError(f"{what}: the range {shown(text)} has {count:,} values, more than "
                             f"{MAX_POINTS:,}")
        return list(range(start, stop + 1, step))
    if not text.strip():
        raise UsageError(f"{what}: no values (expected V1,V2,... or A:B[:STEP])")
    try:
        values = load_yaml("[" + text + "]")
    except DocumentTooLarge as exc:
        raise UsageError(f"{what}: the values are too large: {exc}") from None
    except Exception:  # noqa: BLE001 - any YAML error: the plain comma split below
        values = None
    if not isinstance(values, list) or any(v is None for v in values):
        values = [part.strip() for part in text.split(",")]
        if not all(values):
            raise UsageError(f"{what}: an empty value in {shown(text)}")
    return [_number(v) for v in values]


def _number(value: Any) -> Any:
    """Floats that are NaN or infinite are refused as values of a scenario."""
    if isinstance(value, float) and not math.isfinite(value):
        raise UsageError(f"not a usable value: {value}")
    return value


def point_rows(axes: Sequence[Axis], grid_points: Sequence[Point]) -> Iterator[dict[str, Any]]:
    """A row per point: ``point`` and a column per axis (the values as they are)."""
    for p in grid_points:
        row: dict[str, Any] = {"point": p.index}
        row.update({a.name: v for a, v in zip(axes, p.values, strict=True)})
        yield row
