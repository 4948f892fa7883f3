"""Duration distributions from scenario specs such as ``{dist: lognormal, median: 4m, p95: 8m}``.

The specs (every duration may be seconds or a string with a unit)::

    45s                                   # shorthand for {dist: fixed, value: 45s}
    {dist: fixed, value: 45s}
    {dist: exponential, mean: 10m}
    {dist: uniform, low: 1m, high: 3m}
    {dist: lognormal, median: 4m, p95: 8m}     or  {dist: lognormal, mean: 5m, cv: 0.4}
    {dist: gamma, mean: 5m, cv: 0.5}           or  {dist: gamma, shape: 4, scale: 75s}
    {dist: empirical, samples: [30s, 45s, 2m]} or  {dist: empirical, csv: times.csv, column: secs}

A CSV path is relative to the scenario file's folder (``base_dir``).
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from farmsim._documents import shown, shown_names
from farmsim.model.distributions import (
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Uniform,
)
from farmsim.scenario._validate import Problems, Section, at, index, is_number, read_duration, show
from farmsim.scenario.durations import parse_duration

__all__ = ["DISTRIBUTION_KEYS", "parse_distribution", "read_distribution"]

#: Keys each ``dist`` family takes (besides ``dist``).
DISTRIBUTION_KEYS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "exponential": ("mean",),
    "uniform": ("low", "high"),
    "lognormal": ("median", "p95", "mean", "cv"),
    "gamma": ("mean", "cv", "shape", "scale"),
    "empirical": ("samples", "csv", "column"),
}

#: Bad samples reported one by one before the rest are summed up in one line.
_MAX_SAMPLE_PROBLEMS = 5

_Reader = Callable[[Section, str | os.PathLike[str] | None], Distribution | None]


def parse_distribution(
    spec: Any, where: str = "distribution", *, base_dir: str | os.PathLike[str] | None = None
) -> Distribution:
    """Build a :class:`~farmsim.model.distributions.Distribution` from a scenario spec.

    Args:
        spec: a duration (shorthand for ``fixed``) or a mapping with ``dist`` (see module doc).
        where: the spec's location, used in messages (e.g. ``"runtimes[0].duration"``).
        base_dir: the folder an empirical ``csv`` path is relative to (default: the current one).

    Returns:
        The distribution, in seconds.

    Raises:
        ScenarioError: every problem with the spec, each with its location.
    """
    problems = Problems()
    dist = read_distribution(spec, where, problems, base_dir=base_dir)
    problems.raise_if_any()
    if dist is None:  # pragma: no cover - every None comes with a problem
        raise ValueError(f"{where}: not a distribution")
    return dist


def read_distribution(
    spec: Any,
    where: str,
    problems: Problems,
    *,
    base_dir: str | os.PathLike[str] | None = None,
) -> Distribution | None:
    """Like :func:`parse_distribution`, but records problems and returns None on any."""
    if not isinstance(spec, Mapping):
        if is_number(spec) or isinstance(spec, str):
            value = read_duration(spec, where, problems)
            return None if value is None else Fixed(value)
        problems.add(where, f"must be a duration or a mapping with 'dist' (got {show(spec)})")
        return None
    if "dist" not in spec:
        problems.add(where, f"missing required key 'dist' (one of: {', '.join(_READERS)})")
        return None
    family = spec["dist"]
    if not isinstance(family, str) or family not in _READERS:
        problems.add(
            at(where, "dist"), f"must be one of {', '.join(_READERS)} (got {show(family)})"
        )
        return None
    before = len(problems)
    section = Section(spec, where, problems, keys=("dist", *DISTRIBUTION_KEYS[family]))
    try:
        dist = _READERS[family](section, base_dir)
    except (ValueError, ArithmeticError) as exc:  # parameters the formulas cannot take
        problems.add(where, f"{family} parameters are out of range ({exc})")
        return None
    if dist is None or len(problems) > before:
        return None
    return _checked(dist, where, problems)


def _checked(dist: Distribution, where: str, problems: Problems) -> Distribution | None:
    """The distribution, if its parameters and mean are finite (extreme specs overflow)."""
    try:
        values = [getattr(dist, f.name) for f in dataclasses.fields(dist)]
        finite = all(math.isfinite(v) for v in values if isinstance(v, float)) and math.isfinite(
            dist.mean
        )
    except (ArithmeticError, ValueError):
        finite = False
    if not finite:
        problems.add(where, f"parameters give a distribution that overflows ({shown(dist)})")
        return None
    return dist


def _either(section: Section, first: tuple[str, str], second: tuple[str, str]) -> int | None:
    """Which of two parameter pairs a spec uses (0 or 1); records a problem if not exactly one
    complete pair."""
    used = [any(section.has(k) for k in pair) for pair in (first, second)]
    family = section.get("dist")
    options = f"either {' and '.join(first)}, or {' and '.join(second)}"
    if used[0] == used[1]:
        given = [k for k in (*first, *second) if section.has(k)]
        got = f"got {', '.join(given)}" if given else "got neither"
        section.problems.add(section.where, f"{family} takes {options} ({got})")
        return None
    pair = first if used[0] else second
    missing = [k for k in pair if not section.has(k)]
    for key in missing:
        section.problems.add(
            section.where, f"missing required key {key!r} ({family} takes {options})"
        )
    return None if missing else (0 if used[0] else 1)


def _fixed(section: Section, base_dir: Any) -> Distribution | None:
    if not section.has("value"):
        section.problems.add(section.where, "missing required key 'value'")
        return None
    value = section.duration("value")
    return None if value is None else Fixed(value)


def _exponential(section: Section, base_dir: Any) -> Distribution | None:
    if not section.has("mean"):
        section.problems.add(section.where, "missing required key 'mean'")
        return None
    mean = section.duration("mean", positive=True)
    return None if mean is None else Exponential(mean)


def _uniform(section: Section, base_dir: Any) -> Distribution | None:
    for key in ("low", "high"):
        if not section.has(key):
            section.problems.add(section.where, f"missing required key {key!r}")
    low, high = section.duration("low"), section.duration("high")
    if low is None or high is None:
        return None
    if high < low:
        got = f"high={show(section.get('high'))}, low={show(section.get('low'))}"
        section.bad("high", f"must be >= low (got {got})")
        return None
    return Uniform(low, high)


def _lognormal(section: Section, base_dir: Any) -> Distribution | None:
    form = _either(section, ("median", "p95"), ("mean", "cv"))
    if form == 0:
        median = section.duration("median", positive=True)
        p95 = section.duration("p95", positive=True)
        if median is None or p95 is None:
            return None
        if p95 < median:
            got = f"p95={show(section.get('p95'))}, median={show(section.get('median'))}"
            section.bad("p95", f"must be >= median (got {got})")
            return None
        return LogNormal.from_median_p95(median, p95)
    if form == 1:
        mean = section.duration("mean", positive=True)
        cv = section.number("cv", positive=True)
        return None if mean is None or cv is None else LogNormal.from_mean_cv(mean, cv)
    return None


def _gamma(section: Section, base_dir: Any) -> Distribution | None:
    form = _either(section, ("mean", "cv"), ("shape", "scale"))
    if form == 0:
        mean = section.duration("mean", positive=True)
        cv = section.number("cv", positive=True)
        return None if mean is None or cv is None else Gamma.from_mean_cv(mean, cv)
    if form == 1:
        shape = section.number("shape", positive=True)
        scale = section.duration("scale", positive=True)
        return None if shape is None or scale is None else Gamma(shape, scale)
    return None


def _empirical(section: Section, base_dir: str | os.PathLike[str] | None) -> Distribution | None:
    if section.has("samples") == section.has("csv"):
        got = "got both" if section.has("samples") else "got neither"
        section.problems.add(
            section.where, f"empirical takes either samples, or csv and column ({got})"
        )
        return None
    if section.has("samples"):
        if section.has("column"):
            section.bad("column", "is only used with csv")
        return _samples(section)
    path = section.string("csv")
    if not section.has("column"):
        section.problems.add(
            section.where, "missing required key 'column' (the CSV column to read)"
        )
    column = section.string("column")
    if path is None or column is None:
        return None
    resolved = Path(base_dir, path) if base_dir is not None else Path(path)
    samples, errors = _read_csv(resolved, column)
    for error in errors:
        section.bad("csv", error)
    return None if errors else Empirical(samples)


def _samples(section: Section) -> Distribution | None:
    values = section.sequence("samples", min_items=1)
    where = section.at("samples")
    samples: list[float] = []
    bad = 0
    for i, value in enumerate(values):
        scratch = Problems()
        seconds = read_duration(value, index(where, i), scratch)
        if seconds is None:
            bad += 1
            if bad <= _MAX_SAMPLE_PROBLEMS:
                section.problems.messages.extend(scratch.messages)
        else:
            samples.append(seconds)
    if bad > _MAX_SAMPLE_PROBLEMS:
        section.problems.add(where, f"{bad - _MAX_SAMPLE_PROBLEMS} more bad samples not listed")
    return Empirical(tuple(samples)) if samples and not bad else None


def _read_csv(path: Path, column: str) -> tuple[tuple[float, ...], tuple[str, ...]]:
    """Samples from one CSV column, and problems; cached while the file is unchanged."""
    try:
        stat = path.stat()
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        return (), (f"cannot read {str(path)!r}: {getattr(exc, 'strerror', None) or exc}",)
    return _read_csv_cached(str(path), stat.st_mtime_ns, stat.st_size, column)


@functools.lru_cache(maxsize=64)
def _read_csv_cached(
    path: str, mtime_ns: int, size: int, column: str
) -> tuple[tuple[float, ...], tuple[str, ...]]:
    samples: list[float] = []
    errors: list[str] = []
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            reader = csv.DictReader(file)
            if reader.fieldnames is None:
                return (), (f"{path!r} is empty",)
            if column not in reader.fieldnames:
                columns = shown_names(reader.fieldnames)
                return (), (f"{path!r} has no column {shown(column)} (columns: {columns})",)
            for row in reader:
                cell = row.get(column)
                if cell is None or not cell.strip():
                    continue
                try:
                    seconds = parse_duration(cell)
                except ValueError:
                    seconds = -1.0
                if seconds < 0:
                    errors.append(
                        f"{path!r} line {reader.line_num}, column {shown(column)}: "
                        f"must be a duration >= 0 (got {show(cell)})"
                    )
                else:
                    samples.append(seconds)
    except (OSError, ValueError, csv.Error) as exc:  # ValueError includes UnicodeDecodeError
        return (), (f"cannot read {path!r}: {exc}",)
    if len(errors) > _MAX_SAMPLE_PROBLEMS:
        more = len(errors) - _MAX_SAMPLE_PROBLEMS
        errors = [*errors[:_MAX_SAMPLE_PROBLEMS], f"{more} more bad values not listed"]
    if not samples and not errors:
        errors.append(f"column {shown(column)} of {path!r} has no values")
    return tuple(samples), tuple(errors)


_READERS: dict[str, _Reader] = {
    "fixed": _fixed,
    "exponential": _exponential,
    "uniform": _uniform,
    "lognormal": _lognormal,
    "gamma": _gamma,
    "empirical": _empirical,
}
