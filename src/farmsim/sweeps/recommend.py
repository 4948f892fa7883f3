"""Recommendations from a sweep: the smallest license count (or fleet size) that meets a
service target at a stated confidence, and the one that costs least once waiting has a price.

:func:`license_whatif` sweeps a limit's ``maxCount``; :func:`capacity_plan` a fleet's size,
with its variants (market types, autoscaling settings) and any other axes; both return the
:class:`~farmsim.sweeps.Sweep` with its :class:`Recommendation` (``sweep.recommendation``),
which :func:`recommend` computes from any sweep.

A point *meets* a target such as ``job_turnaround_s.p95<=4h`` when the one-sided bound of its
mean over the replications is within it: for ``<=``, the mean is below the target with the
stated confidence (the upper bound, mean + t * s / sqrt(n), is at most the target); for ``>=``,
the lower bound is at least the target. A point whose runs left jobs unfinished, or whose runs
failed, does not meet a target (its turnaround covers only the jobs that finished).

Costs per run come from the summary: ``cost_usd.workers`` and ``cost_usd.licenses``. With a
cost per hour of delay, each run also costs ``delay_hours`` (its jobs' hours in the farm,
unfinished ones to the end of the run) at that price, and ``total_cost_usd`` is the three
together; the cheapest point is the one with the least mean ``total_cost_usd``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from farmsim._documents import shown
from farmsim.errors import UsageError
from farmsim.scenario import Scenario, load_scenario
from farmsim.sweeps.grid import Axis, value_label
from farmsim.sweeps.recommendation import (
    DEFAULT_TARGET,
    Recommendation,
    Target,
    format_value,
    parse_target,
)

if TYPE_CHECKING:
    from farmsim.sweeps.sweep import Sweep

__all__ = ["DEFAULT_TARGET", "Recommendation", "Target", "capacity_plan", "format_value",
           "license_whatif", "parse_target", "recommend"]

def recommend(result: Sweep, axis: str | None = None, *, target: str | Target | None = None,
              confidence: float | None = None, delay_cost_per_hour: float | None = None,
              kind: str = "sweep") -> Recommendation:
    """The recommendation of a sweep along ``axis`` (default its first): see the module.

    Raises:
        UsageError: no such axis, a target on a metric the sweep does not have, or a bad
            delay cost.
    """
    if not result.axes:
        raise UsageError("recommend: the sweep has no axis to recommend along")
    names = [a.name for a in result.axes]
    axis = names[0] if axis is None else axis
    if axis not in names:
        raise UsageError(f"recommend: the sweep has no axis {shown(axis)} (axes: "
                         f"{', '.join(names)})")
    k = names.index(axis)
    goal = None if target is None else parse_target(target)
    if goal is not None:
        result._check_metric(goal.metric)
    rate = _rate(delay_cost_per_hour)
    level = result.confidence if confidence is None else confidence
    rows = []
    for p in result.points:
        finished = result.values("jobs.unfinished", p.index)
        ok = bool(len(finished) and not any(math.isnan(v) or v > 0 for v in finished))
        row: dict[str, Any] = {
            "point": p.index, "value": value_label(p.values[k]), "label": p.label(result.axes),
            "group": _group(result.axes, p.values, k), "all_finished": ok,
        }
        if goal is not None:
            iv = result.interval(goal.metric, p.index, level)
            bound = iv.upper(level) if goal.below else iv.lower(level)
            row.update(metric=goal.metric, mean=iv.mean, ci_low=iv.low, ci_high=iv.high,
                       bound=bound, n=iv.n,
                       meets=bool(ok and iv.n == result.replications and goal.holds(bound)))
        workers = _mean(result, "cost_usd.workers", p.index)
        licenses = _mean(result, "cost_usd.licenses", p.index)
        delay_h = _mean(result, "delay_hours", p.index)
        row.update(workers_usd=workers, licenses_usd=licenses, cost_usd=workers + licenses,
                   delay_hours=delay_h)
        if rate is not None:
            total = result.interval("total_cost_usd", p.index, level)
            row.update(delay_usd=delay_h * rate, total_cost_usd=total.mean,
                       total_ci_low=total.low, total_ci_high=total.high)
        rows.append(row)
    meets: dict[str, int | None] = {}
    for row in rows:
        meets.setdefault(row["group"], None)
    if goal is not None:
        for group in meets:
            candidates = [r for r in rows if r["group"] == group and r["meets"]]
            best = min(candidates, key=lambda r: _order(result.axes[k], result.points[r["point"]]
                                                        .values[k]), default=None)
            meets[group] = None if best is None else best["point"]
    meeting = [r for r in rows if r.get("meets")]
    cheapest_meeting = (min(meeting, key=lambda r: (r["cost_usd"], r["point"]))["point"]
                        if meeting else None)
    cheapest = None
    if rate is not None:
        priced = [r for r in rows if not math.isnan(r["total_cost_usd"])]
        cheapest = (min(priced, key=lambda r: (r["total_cost_usd"], r["point"]))["point"]
                    if priced else None)
        if cheapest is not None:
            values = result.axes[k].values
            at = values.index(result.points[cheapest].values[k])
            if len(values) > 1 and at in (0, len(values) - 1):
                rows[cheapest]["edge"] = ("largest value" if at == len(values) - 1
                                          else "smallest value")
    return Recommendation(kind, axis, goal, level, rate, rows, meets, cheapest_meeting,
                          cheapest)


def _order(axis: Axis, value: Any) -> tuple[int, Any]:
    """Smaller first; -1 (no maximum) after every count; non-numbers in the axis's order."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (1, math.inf) if value == -1 else (0, value)
    return (2, axis.values.index(value))


def _group(axes: Sequence[Axis], values: Sequence[Any], k: int) -> str:
    return ", ".join(f"{a.name}={value_label(v)}"
                     for j, (a, v) in enumerate(zip(axes, values, strict=True)) if j != k)


def _mean(result: Sweep, metric: str, point: int) -> float:
    if metric not in result.metrics:
        return math.nan
    return result.interval(metric, point).mean


def _rate(value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and value >= 0):
        raise UsageError(f"delay_cost_per_hour must be a number >= 0, in dollars per job-hour "
                         f"(got {shown(value)})")
    return float(value)


def _scenario(scenario: Scenario | str | os.PathLike[str], what: str) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if not isinstance(scenario, str | os.PathLike):
        raise UsageError(f"{what}: scenario must be a Scenario or the path of a scenario file "
                         f"(got {type(scenario).__name__})")
    return load_scenario(scenario)


def license_whatif(
    scenario: Scenario | str | os.PathLike[str],
    limit: str,
    counts: Sequence[int],
    *,
    target: str | Target | None = DEFAULT_TARGET,
    delay_cost_per_hour: float | None = None,
    replications: int = 10,
    confidence: float = 0.95,
    **options: Any,
) -> Sweep:
    """Sweep a limit's ``maxCount`` over ``counts`` and recommend a license count.

    Args:
        scenario: a :class:`Scenario` or the path of a scenario file.
        limit: the limit's displayName (``nuke``).
        counts: the license counts to try (whole numbers >= 1; -1 for no maximum).
        target: the service target (:func:`parse_target`), or None for cost only.
        delay_cost_per_hour: the price of an hour a job spends in the farm; adds
            ``total_cost_usd`` and the least-cost recommendation.
        replications, confidence: as :func:`farmsim.sweeps.sweep`'s.
        options: the rest of :func:`farmsim.sweeps.sweep`'s keywords (seed, until, deadline,
            jobs, dask, out, format, progress, common_random_numbers).

    Returns:
        The sweep; ``sweep.recommendation`` holds the recommendation.
    """
    s = _scenario(scenario, "license_whatif")
    names = [lim.display_name for lim in s.farm.limits]
    if limit not in names:
        raise UsageError(f"license_whatif: scenario {s.name!r} has no limit {shown(limit)} "
                         f"(limits: {', '.join(map(repr, names)) or 'none'})")
    given: object = counts  # checked as what a caller may pass, whatever the annotation
    if not isinstance(given, Sequence) or isinstance(given, str) or not given:
        raise UsageError(f"license_whatif: counts must be a list of license counts "
                         f"(got {shown(counts)})")
    for c in counts:
        if isinstance(c, bool) or not isinstance(c, int) or not (c >= 1 or c == -1):
            raise UsageError(f"license_whatif: a license count must be a whole number >= 1, "
                             f"or -1 for no maximum (got {shown(c)})")
    axis = f"farm.limits.{limit}.maxCount"
    grid: dict[Any, Any] = {axis: list(counts)}
    return _study("licenses", s, grid, axis, target=target, rate=delay_cost_per_hour,
                  replications=replications, confidence=confidence, options=options,
                  extra={"limit": limit})


def capacity_plan(
    scenario: Scenario | str | os.PathLike[str],
    fleet: str,
    workers: Sequence[int],
    *,
    variants: Sequence[str] | None = None,
    grid: Mapping[Any, Any] | None = None,
    target: str | Target | None = DEFAULT_TARGET,
    delay_cost_per_hour: float | None = None,
    replications: int = 10,
    confidence: float = 0.95,
    **options: Any,
) -> Sweep:
    """Sweep a fleet's size (and the scenario's ``variants``, and any other ``grid`` axes)
    and recommend a size.

    A fleet of fixed size (customerManaged, NO_SCALING) runs ``workers`` workers
    (``simulation.workers``, with ``maxWorkerCount`` set to the same); a fleet that scales gets
    ``workers`` as its ``maxWorkerCount``.

    Args:
        scenario: a :class:`Scenario` or the path of a scenario file.
        fleet: the fleet's displayName.
        workers: the sizes to try (whole numbers >= 1).
        variants: names of the scenario's variants to try at every size (market types,
            autoscaling settings): a second axis.
        grid: more axes, as :func:`farmsim.sweeps.sweep`'s.
        target, delay_cost_per_hour, replications, confidence, options: as
            :func:`license_whatif`'s.

    Returns:
        The sweep; ``sweep.recommendation`` holds, per variant, the smallest size that meets
        the target, the cheapest point that meets it, and with a delay cost the least-cost
        point.
    """
    s = _scenario(scenario, "capacity_plan")
    found = next((f for f in s.farm.fleets if f.display_name == fleet), None)
    if found is None:
        names = ", ".join(repr(f.display_name) for f in s.farm.fleets) or "none"
        raise UsageError(f"capacity_plan: scenario {s.name!r} has no fleet {shown(fleet)} "
                         f"(fleets: {names})")
    given: object = workers
    if not isinstance(given, Sequence) or isinstance(given, str) or not given:
        raise UsageError(f"capacity_plan: workers must be a list of fleet sizes "
                         f"(got {shown(workers)})")
    for w in workers:
        if isinstance(w, bool) or not isinstance(w, int) or w < 1:
            raise UsageError(f"capacity_plan: a fleet size must be a whole number >= 1 "
                             f"(got {shown(w)})")
    base = f"farm.fleets.{fleet}"
    key: Any
    if found.autoscaling is None and found.kind == "customerManaged":
        key = (f"{base}.simulation.workers", f"{base}.maxWorkerCount")
    else:
        key = f"{base}.maxWorkerCount"
    axes: dict[Any, Any] = {key: list(workers)}
    if variants:
        axes["variant"] = list(variants)
    axes.update(grid or {})
    axis = key[0] if isinstance(key, tuple) else key
    return _study("capacity", s, axes, axis, target=target, rate=delay_cost_per_hour,
                  replications=replications, confidence=confidence, options=options,
                  extra={"fleet": fleet})


def _study(kind: str, scenario: Scenario, grid: Mapping[Any, Any], axis: str, *,
           target: str | Target | None, rate: float | None, replications: int,
           confidence: float, options: Mapping[str, Any], extra: Mapping[str, Any]) -> Sweep:
    from farmsim.sweeps.sweep import sweep

    goal = None if target is None else parse_target(target)
    rate = _rate(rate)
    for key in ("delay_cost_per_hour", "extra", "before_save", "grid"):
        if key in options:
            raise UsageError(f"{kind} study: unexpected keyword {key!r}")

    def attach(result: Sweep) -> None:
        result.recommendation = recommend(result, axis, target=goal, delay_cost_per_hour=rate,
                                          kind=kind)
        result.extra["recommendation"] = result.recommendation.document()

    return sweep(scenario, grid, replications=replications, confidence=confidence,
                 delay_cost_per_hour=rate, extra={"study": kind, **extra}, before_save=attach,
                 **options)
