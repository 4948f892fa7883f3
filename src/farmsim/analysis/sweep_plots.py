"""Plots of a :class:`~farmsim.sweeps.Sweep`: a metric against an axis with its confidence band,
cost against service level with the Pareto front, and the differences between adjacent points.

Each function takes the sweep and an optional matplotlib ``ax`` and returns the Axes, as the
plots of one run do (:mod:`farmsim.analysis.plots`): without ``ax`` a new figure is made
(without pyplot); given one (a panel of a grid of subplots, say), the plot draws on it alone,
its legend inside it, and never touches the figure. matplotlib is imported inside the
functions only.

Durations (metrics ending in ``_s`` or with ``_s.``, such as ``job_turnaround_s.p95``) are drawn
in hours, minutes or seconds, whichever suits the largest value, the unit in the axis label;
costs in dollars; shares (``jobs_on_time``, utilisations) in percent. A sweep with many
combinations of the other axes draws the first :data:`MAX_LINES` of them and says so in the
legend's title, so a plot stays readable however large the grid.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from farmsim.analysis import plots
from farmsim.errors import UsageError
from farmsim.sweeps.grid import Axis, Point, value_label
from farmsim.sweeps.stats import Interval, mean_interval

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from farmsim.sweeps.recommend import Recommendation
    from farmsim.sweeps.sweep import Sweep

__all__ = ["MAX_LINES", "cost_service_plot", "difference_plot", "metric_plot", "pareto_front"]

#: Most lines (combinations of the other axes' values) a plot draws; past these, the first.
MAX_LINES = 8
#: Most points :func:`cost_service_plot` labels with their values (past these, only the
#: Pareto front's and the recommended ones).
MAX_LABELS = 30
#: Most tick labels along a categorical axis (past these, every k-th).
MAX_TICKS = 20
#: Most characters of a value's label on a tick or beside a point.
_LABEL_CHARS = 18
#: The gid of the dots of each replication's value (:func:`metric_plot`).
REPLICATIONS = "farmsim:replications"
#: Colours of the target line and the recommended points' marks.
_TARGET_COLOR = "#d62728"
_MEETS_COLOR = "gold"
_CHEAPEST_COLOR = "#2ca02c"
#: Axes whose value -1 means "no maximum" (drawn after the largest count).
_NO_MAX_SUFFIXES = ("maxCount", "maxWorkerCount")


# ---------------------------------------------------------------------------- plots


def metric_plot(sweep: Sweep, metric: str, axis: str | None = None,
                ax: Axes | None = None) -> Axes:
    """``metric``'s mean at each value of ``axis`` (default the first numeric axis, else the
    first), with its confidence interval as a band and each replication's value as a faint dot;
    a line per combination of the other axes' values. A categorical axis (variant names, say)
    is drawn as categories: each point's mean with its interval as an error bar. When the
    sweep's recommendation has its target on ``metric``, the target is a dashed line and the
    smallest point that meets it a star; on ``total_cost_usd``, the point of least total cost
    is a diamond.

    Raises:
        UsageError: the sweep has no such metric or axis.
    """
    _check_metric(sweep, metric)
    k = _axis_index(sweep, axis)
    ax = plots._axes(ax)
    values = sweep.cube(metric)
    intervals = [mean_interval(row, sweep.confidence) for row in values]
    rec = sweep.recommendation
    target = rec.target if rec is not None and rec.target is not None and (
        rec.target.metric == metric) else None
    scale = _Scale.of(metric, [values, [iv.low for iv in intervals],
                               [iv.high for iv in intervals],
                               [] if target is None else [target.value]])
    level = f"{sweep.confidence:.0%}"
    where = _Positions.of(sweep, k)
    lines = _lines(sweep, k)
    shown = lines[:MAX_LINES]
    ax.set(title=_t(f"{metric} ({level} interval, {sweep.replications} replications)"),
           xlabel=_t(where.label), ylabel=_t(scale.label(metric)))
    if not any(iv.n for iv in intervals):
        return plots._say(ax, "no run gave this metric")
    drawn: dict[int, float] = {}  # point -> x of what is drawn
    spread = 0.5 * where.spacing / max(len(shown), 1) if len(shown) > 1 else 0.0
    for g, line in enumerate(shown):
        color = f"C{g % 10}"
        label = line.label or f"mean and {level} interval"
        members = line.points if where.categorical else sorted(
            line.points, key=lambda p: where.x[p.index])  # (-1, no maximum, drawn last)
        x = np.array([where.x[p.index] for p in members])
        offset = (g - (len(shown) - 1) / 2) * spread * (0.6 if where.categorical else 0.3)
        mean = np.array([intervals[p.index].mean for p in members]) / scale.factor
        low = np.array([intervals[p.index].low for p in members]) / scale.factor
        high = np.array([intervals[p.index].high for p in members]) / scale.factor
        if where.categorical:
            x = x + offset
            ax.errorbar(x, mean, yerr=_errors(mean, low, high), fmt="o", color=color,
                        capsize=4, linewidth=1.5, markersize=6, label=_t(label), zorder=3)
        else:
            ax.plot(x, mean, marker="o", color=color, linewidth=1.8, markersize=5,
                    label=_t(label), zorder=3)
            band = np.isfinite(low) & np.isfinite(high)
            if band.any():
                ax.fill_between(x, np.where(band, low, mean), np.where(band, high, mean),
                                where=band, color=color, alpha=0.18, linewidth=0,
                                interpolate=False)
        runs = np.array([values[p.index] for p in members]) / scale.factor
        xs = np.repeat(x + (0.0 if where.categorical else offset), runs.shape[1])
        ys = runs.ravel()
        keep = np.isfinite(ys)
        if keep.any():
            ax.scatter(xs[keep], ys[keep], s=12, color=color, alpha=0.35, linewidths=0,
                       zorder=2, label=_t("each replication") if len(shown) == 1 else None,
                       gid=REPLICATIONS)
        drawn.update({p.index: float(xi) for p, xi in zip(members, x, strict=True)})
    marks: list[tuple[int, str, str, str]] = []
    if target is not None and rec is not None:
        ax.axhline(target.value / scale.factor, color=_TARGET_COLOR, linestyle="--",
                   linewidth=1.3, label=_t(f"target: {target.describe()}"), zorder=1)
        marks += [(p, "*", _MEETS_COLOR, "smallest that meets the target")
                  for p in _meeting(rec)]
    if rec is not None and metric == "total_cost_usd" and rec.cheapest is not None:
        marks.append((rec.cheapest, "D", _CHEAPEST_COLOR, "least total cost"))
    _mark(ax, [(drawn[p], intervals[p].mean / scale.factor, m, c, lab)
               for p, m, c, lab in marks if p in drawn])
    where.ticks(ax)
    scale.format(ax, "y")
    ax.grid(True, alpha=0.3)
    title = None
    others = [a for j, a in enumerate(sweep.axes) if j != k]
    if len(others) == 1:
        title = _short(others[0].name)
    if len(lines) > len(shown):
        title = f"{title + ': ' if title else ''}first {len(shown)} of {len(lines)} lines"
    _legend(ax, title)
    return ax


def cost_service_plot(sweep: Sweep, service: str | None = None, cost: str | None = None,
                      ax: Axes | None = None) -> Axes:
    """Each point's mean cost (default ``total_cost_usd`` when the sweep prices delay, else
    ``cost_usd.total``) against its mean service level (default the recommendation's target
    metric, else ``job_turnaround_s.p95``), with both intervals as error bars and the point's
    values beside it. The Pareto front (the points no other point beats on both: as cheap or
    cheaper and as good or better, and strictly on one) is joined by a line; the target is a
    dashed line and the recommended points are marked.

    Raises:
        UsageError: the sweep has no such metric.
    """
    rec = sweep.recommendation
    have = set(sweep.metrics)
    if cost is None:
        cost = "total_cost_usd" if "total_cost_usd" in have else "cost_usd.total"
    if service is None:
        service = (rec.target.metric if rec is not None and rec.target is not None
                   else "job_turnaround_s.p95")
    _check_metric(sweep, service)
    _check_metric(sweep, cost)
    ax = plots._axes(ax)
    target = rec.target if rec is not None and rec.target is not None and (
        rec.target.metric == service) else None
    s_iv = [mean_interval(row, sweep.confidence) for row in sweep.cube(service)]
    c_iv = [mean_interval(row, sweep.confidence) for row in sweep.cube(cost)]
    xs = _Scale.of(service, [[iv.mean for iv in s_iv], [iv.high for iv in s_iv],
                             [] if target is None else [target.value]])
    ys = _Scale.of(cost, [[iv.mean for iv in c_iv], [iv.high for iv in c_iv]])
    level = f"{sweep.confidence:.0%}"
    ax.set(title=_t(f"{cost} against {service}"),
           xlabel=_t(xs.label(service)), ylabel=_t(ys.label(cost)))
    x = np.array([iv.mean for iv in s_iv]) / xs.factor
    y = np.array([iv.mean for iv in c_iv]) / ys.factor
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return plots._say(ax, "no point has both a cost and a service level")
    better_low = _lower_is_better(service, rec)
    front = pareto_front(y, x, lower_is_better=better_low)
    xlo = np.array([iv.low for iv in s_iv]) / xs.factor
    xhi = np.array([iv.high for iv in s_iv]) / xs.factor
    ylo = np.array([iv.low for iv in c_iv]) / ys.factor
    yhi = np.array([iv.high for iv in c_iv]) / ys.factor
    ax.errorbar(x[ok], y[ok], xerr=_errors(x, xlo, xhi)[:, ok],
                yerr=_errors(y, ylo, yhi)[:, ok], fmt="o", color="C0", ecolor="#9ecae1",
                elinewidth=1.2, capsize=2, markersize=5, zorder=3,
                label=_t(f"a point: means and {level} intervals"))
    if len(front) > 1:
        order = sorted(front, key=lambda i: (x[i], y[i]))
        ax.plot(x[order], y[order], color="C1", linewidth=1.5, zorder=2,
                label=_t("Pareto front: no point cheaper and better"))
    else:
        ax.scatter(x[front], y[front], s=90, facecolors="none", edgecolors="C1", zorder=4,
                   label=_t("Pareto front: no point cheaper and better"))
    if target is not None:
        ax.axvline(target.value / xs.factor, color=_TARGET_COLOR, linestyle="--",
                   linewidth=1.3, label=_t(f"target: {target.describe()}"), zorder=1)
    marks = _recommended(rec)
    _mark(ax, [(float(x[p]), float(y[p]), m, c, lab) for p, m, c, lab in marks
               if p < len(x) and ok[p]])
    labelled = set(np.flatnonzero(ok).tolist()) if ok.sum() <= MAX_LABELS else (
        set(front) | {p for p, *_ in marks})
    for p in sorted(labelled):
        if ok[p]:
            ax.annotate(_t(_point_text(sweep, sweep.points[p])), (float(x[p]), float(y[p])),
                        xytext=(9, 6), textcoords="offset points", fontsize="small",
                        color="#333333", zorder=6)
    xs.format(ax, "x")
    ys.format(ax, "y")
    ax.grid(True, alpha=0.3)
    note = None if ok.sum() <= MAX_LABELS else "labelled: the front and recommended points"
    _legend(ax, note)
    return ax


def difference_plot(sweep: Sweep, metric: str, axis: str | None = None,
                    ax: Axes | None = None) -> Axes:
    """The change in ``metric``'s mean from each value of ``axis`` (default the first numeric
    axis, else the first) to the next, the other axes held, with its confidence interval
    (:meth:`Sweep.differences`: paired by replication on common random numbers, Welch's
    interval otherwise, as the title says); a line at zero. An interval clear of zero is a
    difference the replications can tell.

    Raises:
        UsageError: the sweep has no such metric or axis.
    """
    _check_metric(sweep, metric)
    k = _axis_index(sweep, axis)
    ax = plots._axes(ax)
    how = ("paired on common random numbers" if sweep.common_random_numbers
           else "independent runs, Welch's interval")
    level = f"{sweep.confidence:.0%}"
    if k is None:
        ax.set(title=_t(f"Change in {metric}\n({how})"))
        return plots._say(ax, "the sweep has no axis: nothing to compare")
    the_axis = sweep.axes[k]
    labels = _labels(the_axis)
    steps = [f"{_cut(a)} → {_cut(b)}" for a, b in itertools.pairwise(labels)]
    found = _steps(sweep, metric, k)
    groups: dict[tuple[str, ...], list[tuple[int, Interval]]] = {}
    for step, key, iv in found:
        groups.setdefault(key, []).append((step, iv))
    shown = list(groups.items())[:MAX_LINES]
    scale = _Scale.of(metric, [[v for *_, iv in found for v in (iv.mean, iv.low, iv.high)]])
    ax.set(title=_t(f"Change in {metric} to the next {_short(the_axis.name)}\n({how})"),
           xlabel=_t(f"{the_axis.name}: from one value to the next"),
           ylabel=_t(f"change in {scale.label(metric)}"))
    if not found:
        return plots._say(ax, "one value on this axis: nothing to compare")
    others = [a.name for j, a in enumerate(sweep.axes) if j != k]
    width = 0.6 / max(len(shown), 1)
    ax.axhline(0.0, color="black", linewidth=0.9, zorder=1)
    for g, (key, at) in enumerate(shown):
        label = (", ".join(f"{_short(n)}={_cut(v)}" for n, v in zip(others, key, strict=True))
                 if key else f"mean change and {level} interval")
        x = np.array([step for step, _ in at], dtype=float) + (g - (len(shown) - 1) / 2) * width
        mean = np.array([iv.mean for _, iv in at]) / scale.factor
        low = np.array([iv.low for _, iv in at]) / scale.factor
        high = np.array([iv.high for _, iv in at]) / scale.factor
        ax.errorbar(x, mean, yerr=_errors(mean, low, high), fmt="o", color=f"C{g % 10}",
                    capsize=4, linewidth=1.5, markersize=6, label=_t(label), zorder=3)
    ticks = np.arange(len(steps))
    every = max(1, math.ceil(len(steps) / MAX_TICKS))
    ax.set_xticks(ticks[::every], [_t(s) for s in steps[::every]])
    if len(steps) > 6:
        ax.tick_params(axis="x", labelrotation=30)
    ax.set_xlim(-0.6, len(steps) - 0.4)
    scale.format(ax, "y")
    ax.grid(True, axis="y", alpha=0.3)
    note = f"first {len(shown)} of {len(groups)} lines" if len(groups) > len(shown) else None
    _legend(ax, note)
    return ax


def pareto_front(costs: Sequence[float] | np.ndarray, services: Sequence[float] | np.ndarray,
                 *, lower_is_better: bool = True) -> list[int]:
    """The indices (ascending) of the points on the Pareto front of cost (lower is better) and
    service level (lower is better, or higher with ``lower_is_better=False``): those no other
    point dominates, being as cheap or cheaper and as good or better, and strictly one of the
    two. Points with a NaN are on no front; points equal on both are all on it or none."""
    c = np.asarray(costs, dtype=float)
    s = np.asarray(services, dtype=float)
    if c.shape != s.shape:
        raise ValueError(f"costs and services must have the same length ({len(c)}, {len(s)})")
    if not lower_is_better:
        s = -s
    finite = np.flatnonzero(np.isfinite(c) & np.isfinite(s))
    order = sorted(finite.tolist(), key=lambda i: (c[i], s[i]))
    front: list[int] = []
    best = math.inf  # the best service among points lexicographically before this one
    i = 0
    while i < len(order):
        j = i
        while j < len(order) and (c[order[j]], s[order[j]]) == (c[order[i]], s[order[i]]):
            j += 1
        if s[order[i]] < best:
            front += order[i:j]
            best = float(s[order[i]])
        i = j
    return sorted(front)


# ---------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class _Scale:
    """How a metric's values are drawn: divided by ``factor``, in ``unit``."""

    factor: float
    unit: str
    kind: str  # "duration", "cost", "share" or "plain"

    @classmethod
    def of(cls, metric: str, groups: Sequence[Any]) -> _Scale:
        """The scale for ``metric`` whose values (in ``groups`` of numbers) reach ``top``."""
        numbers = [np.asarray(g, dtype=float).ravel() for g in groups]
        every = np.concatenate(numbers) if numbers else np.empty(0)
        every = np.abs(every[np.isfinite(every)])
        top = float(every.max()) if len(every) else 0.0
        if is_duration(metric):
            if top >= 2 * 3600.0:
                return cls(3600.0, "hours", "duration")
            if top >= 120.0:
                return cls(60.0, "minutes", "duration")
            return cls(1.0, "seconds", "duration")
        if is_cost(metric):
            return cls(1.0, "$", "cost")
        if is_share(metric):
            return cls(1.0, "%", "share")
        return cls(1.0, "", "plain")

    def label(self, metric: str) -> str:
        return f"{metric} ({self.unit})" if self.unit else metric

    def format(self, ax: Axes, which: str) -> None:
        from matplotlib.ticker import FuncFormatter, PercentFormatter

        target = ax.yaxis if which == "y" else ax.xaxis
        if self.kind == "cost":
            low, high = ax.get_ylim() if which == "y" else ax.get_xlim()
            digits = 0 if max(abs(low), abs(high)) >= 100 else 2
            target.set_major_formatter(FuncFormatter(
                lambda v, _: f"{'-' if v < 0 else ''}${abs(v):,.{digits}f}"))
        elif self.kind == "share":
            target.set_major_formatter(PercentFormatter(xmax=1.0))


@dataclass(frozen=True)
class _Positions:
    """Where each point sits along the x axis of an axis's plot."""

    x: list[float]  # by point index
    ticks_at: list[float]
    tick_labels: list[str] | None  # None: matplotlib's own ticks (a numeric axis)
    categorical: bool
    spacing: float  # the smallest gap between two values
    label: str

    @classmethod
    def of(cls, sweep: Sweep, k: int | None) -> _Positions:
        if k is None:
            return cls([0.0] * len(sweep.points), [0.0], ["(the scenario)"], True, 1.0,
                       "the scenario, as it is")
        axis = sweep.axes[k]
        if is_numeric(axis):
            where = [float(v) for v in axis.values]
            labels = _labels(axis)
            no_max = _has_no_max(axis) and len(axis.values) > 1
            rest = sorted(float(v) for v in axis.values if v != -1) if no_max else sorted(where)
            gaps = np.diff(rest) if len(rest) > 1 else np.array([1.0])
            spacing = float(gaps[gaps > 0].min()) if (gaps > 0).any() else 1.0
            if no_max:
                where = [rest[-1] + spacing if v == -1 else float(v) for v in axis.values]
            x = [where[axis.values.index(p.values[k])] for p in sweep.points]
            few = len(where) <= MAX_TICKS
            return cls(x, where if (few or no_max) else [], labels if (few or no_max) else None,
                       False, spacing, axis.name)
        index = {value_label(v): i for i, v in enumerate(axis.values)}
        x = [float(index[value_label(p.values[k])]) for p in sweep.points]
        return cls(x, [float(i) for i in range(len(axis.values))], axis.labels(), True, 1.0,
                   axis.name)

    def ticks(self, ax: Axes) -> None:
        if self.tick_labels is None:
            return
        every = max(1, math.ceil(len(self.ticks_at) / MAX_TICKS))
        ax.set_xticks(self.ticks_at[::every], [_t(_cut(s)) for s in self.tick_labels[::every]])
        if self.categorical:
            ax.set_xlim(min(self.ticks_at) - 0.5, max(self.ticks_at) + 0.5)
            if len(self.ticks_at) > 6 or any(len(s) > 10 for s in self.tick_labels):
                ax.tick_params(axis="x", labelrotation=30)


@dataclass(frozen=True)
class _Line:
    """The points of one combination of the other axes' values, in the axis's order."""

    label: str
    points: list[Point]


def _lines(sweep: Sweep, k: int | None) -> list[_Line]:
    if k is None:
        return [_Line("", list(sweep.points))]
    groups: dict[tuple[str, ...], list[Point]] = {}
    for p in sweep.points:
        key = tuple(value_label(v) for j, v in enumerate(p.values) if j != k)
        groups.setdefault(key, []).append(p)
    others = [a for j, a in enumerate(sweep.axes) if j != k]
    out = []
    for key, members in groups.items():
        if len(others) == 1:
            label = _cut(key[0])
        else:
            label = ", ".join(f"{_short(a.name)}={_cut(v)}"
                              for a, v in zip(others, key, strict=True))
        out.append(_Line(label, members))
    return out


def point_intervals(sweep: Sweep, metric: str) -> list[Interval]:
    """``metric``'s mean and interval at each point (as :meth:`Sweep.interval`, in one pass)."""
    return [mean_interval(row, sweep.confidence) for row in sweep.cube(metric)]


def _steps(sweep: Sweep, metric: str, k: int) -> list[tuple[int, tuple[str, ...], Interval]]:
    """Each change of ``metric`` from a value of axis ``k`` to the next, the other axes held
    (as :meth:`Sweep.differences`, without its table): the step's number, the other axes'
    values, and the difference's interval (paired on common random numbers, else Welch's)."""
    n = len(sweep.axes[k].values)
    stride = math.prod(len(a.values) for a in sweep.axes[k + 1:])
    out = []
    for p in sweep.points:
        i = (p.index // stride) % n
        if i + 1 >= n:
            continue
        iv = sweep.difference(metric, p.index, p.index + stride)
        out.append((i, tuple(value_label(v) for j, v in enumerate(p.values) if j != k), iv))
    return out


def _has_no_max(axis: Axis) -> bool:
    """Whether ``axis`` is a maximum count (a limit's, a fleet's) with -1, no maximum."""
    return axis.name.endswith(_NO_MAX_SUFFIXES) and any(
        v == -1 and not isinstance(v, bool) for v in axis.values)


def _labels(axis: Axis) -> list[str]:
    """The labels of an axis's values: -1 of a maximum count is "no max"."""
    if not _has_no_max(axis):
        return axis.labels()
    return ["no max" if v == -1 and not isinstance(v, bool) else value_label(v)
            for v in axis.values]


def _check_metric(sweep: Sweep, metric: str) -> None:
    if metric not in sweep.metrics:
        close = [m for m in sweep.metrics if metric.rsplit(".", 1)[-1] in m][:8]
        hint = f" (like: {', '.join(close)})" if close else ""
        raise UsageError(f"sweep plot: no metric {metric!r}{hint}; Sweep.metrics lists them")


def _axis_index(sweep: Sweep, axis: str | None) -> int | None:
    """The axis to draw along: ``axis`` by name, else the first numeric one, else the first;
    None for a sweep without axes (one point)."""
    names = [a.name for a in sweep.axes]
    if axis is not None:
        if axis not in names:
            raise UsageError(f"sweep plot: no axis {axis!r} (axes: "
                             f"{', '.join(names) or 'none'})")
        return names.index(axis)
    if not names:
        return None
    return next((i for i, a in enumerate(sweep.axes) if is_numeric(a)), 0)


def default_axis(sweep: Sweep) -> str | None:
    """The axis the plots draw along by default: the first numeric one, else the first."""
    k = _axis_index(sweep, None)
    return None if k is None else sweep.axes[k].name


def is_numeric(axis: Axis) -> bool:
    """Whether every value of ``axis`` is a number (not a bool): drawn on a number line."""
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in axis.values)


def is_duration(metric: str) -> bool:
    return metric.endswith("_s") or "_s." in metric


def is_cost(metric: str) -> bool:
    return "cost" in metric or metric.endswith("_usd")


def is_share(metric: str) -> bool:
    last = metric.rsplit(".", 1)[-1]
    return metric == "jobs_on_time" or last.endswith(("utilization", "share"))


def _lower_is_better(service: str, rec: Recommendation | None) -> bool:
    if rec is not None and rec.target is not None and rec.target.metric == service:
        return rec.target.below
    return not (is_share(service) or service == "jobs_on_time")


def _meeting(rec: Recommendation) -> list[int]:
    return [p for p in rec.meets.values() if p is not None]


def _recommended(rec: Recommendation | None) -> list[tuple[int, str, str, str]]:
    """The points a recommendation names: (point, marker, colour, what it is)."""
    if rec is None:
        return []
    out = [(p, "*", _MEETS_COLOR, "smallest that meets the target") for p in _meeting(rec)]
    if rec.cheapest_meeting is not None and len(rec.meets) > 1:
        out.append((rec.cheapest_meeting, "s", "#9467bd", "cheapest that meets the target"))
    if rec.cheapest is not None:
        out.append((rec.cheapest, "D", _CHEAPEST_COLOR, "least total cost"))
    return out


def _mark(ax: Axes, marks: list[tuple[float, float, str, str, str]]) -> None:
    """Recommended points: a marker at each (x, y), one labelled scatter per kind."""
    kinds: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
    for x, y, marker, color, what in marks:
        if math.isfinite(x) and math.isfinite(y):
            kinds.setdefault((marker, color, what), []).append((x, y))
    for (marker, color, what), at in kinds.items():
        ax.scatter([x for x, _ in at], [y for _, y in at], marker=marker,
                   s=260 if marker == "*" else 110, color=color, edgecolors="black",
                   linewidths=0.8, zorder=5, label=_t(what))


def _errors(mean: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Error bar lengths below and above ``mean`` (0 where the interval is unknown)."""
    below = np.where(np.isfinite(low) & np.isfinite(mean), mean - low, 0.0)
    above = np.where(np.isfinite(high) & np.isfinite(mean), high - mean, 0.0)
    out: np.ndarray = np.maximum(np.vstack([below, above]), 0.0)
    return out


def _legend(ax: Axes, title: str | None) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    ax.legend(handles, labels, fontsize="small", loc="best", framealpha=0.9,
              title=None if title is None else _t(title), title_fontsize="small")


def _point_text(sweep: Sweep, p: Point) -> str:
    return ", ".join(_cut(value_label(v)) for v in p.values) or "(the scenario)"


def _short(name: str) -> str:
    """An axis name short enough for a legend: its last two parts past 24 characters."""
    return name if len(name) <= 24 else ".".join(name.split(".")[-2:])


def _cut(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[:_LABEL_CHARS - 1] + "…"


def _t(text: str) -> str:
    """Text for matplotlib as it is: with two dollar signs or more (which matplotlib would read
    as mathtext), each escaped."""
    return text.replace("$", r"\$") if text.count("$") > 1 else text
