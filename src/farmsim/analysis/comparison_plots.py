"""Plots of a :class:`~farmsim.analysis.comparison.Comparison`: the variants of a scenario side
by side, one colour per variant (matplotlib's C0, C1, ... in the comparison's order).

Each function takes the comparison and an optional matplotlib ``ax`` and returns the Axes, as
the plots of one run do (:mod:`farmsim.analysis.plots`); matplotlib is imported inside the
functions only. Legends sit inside the axes. Durations are drawn in seconds, minutes, hours or
days, whichever suits the longest; time axes read as the runs' wall-clock time (or the time
elapsed since t=0), as in a run's report.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from farmsim.analysis import plots
from farmsim.model.enums import TaskRunStatus, WorkerStatus
from farmsim.record import fairness

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from farmsim.analysis.comparison import Comparison
    from farmsim.record.base import BaseResult

__all__ = [
    "priority_bands",
    "variant_jobs_running",
    "variant_turnaround_ecdf",
    "variant_wait_by_priority",
    "variant_worker_share",
    "variant_workers_busy",
]

#: Most groups of jobs of equal priority :func:`variant_worker_share` draws (the longest
#: contended).
_MAX_GROUPS = 4


def priority_bands(comparison: Comparison) -> list[str]:
    """The priority bands of the comparison's jobs, lowest first: one per distinct priority of
    its variants' jobs (at most eight), else the quarters of 0-100 that hold one
    (:func:`farmsim.record.fairness.priority_bands`)."""
    among = _all_priorities(comparison)
    if not len(among):
        return []
    return fairness.priority_bands(among, among)[1]


def variant_turnaround_ecdf(comparison: Comparison, band: str | None = None,
                            ax: Axes | None = None) -> Axes:
    """Job turnaround (end minus submission) as a cumulative distribution, one line per
    variant: the fraction of the jobs (of one priority ``band``, or all of them) that succeeded
    within each turnaround. A job that did not succeed never counts, so a line may end below 1.

    Args:
        band: a label of :func:`priority_bands` (``"80"``, ``"50-74"``); default all jobs.
    """
    ax = plots._axes(ax)
    among = _all_priorities(comparison)
    lines = []
    for name, result in comparison.results.items():
        jobs = result.jobs
        keep = np.ones(len(jobs), dtype=bool)
        if band is not None and len(jobs):
            codes, labels = fairness.priority_bands(jobs["priority"].to_numpy(), among)
            keep = codes == (labels.index(band) if band in labels else -1)
        done = (jobs["task_run_status"] == TaskRunStatus.SUCCEEDED).to_numpy(bool) & keep
        turnaround = (jobs["ended_at"] - jobs["submitted_at"]).to_numpy(np.float64)[done]
        lines.append((name, np.sort(turnaround), int(keep.sum())))
    values = np.concatenate([t for _, t, _ in lines]) if lines else np.empty(0)
    scale, unit = plots._duration_unit(values)
    which = "all jobs" if band is None else f"priority {band}"
    ax.set(title=f"Job turnaround, {which}", xlabel=f"turnaround ({unit})",
           ylabel="fraction of the jobs succeeded")
    if not any(n for _, _, n in lines):
        return plots._say(ax, "no jobs submitted" if band is None
                          else f"no jobs of priority {band}")
    top = float(values.max(initial=0.0)) / scale
    for i, (name, turnaround, n) in enumerate(lines):
        if not n:
            continue
        x = np.concatenate([[0.0], turnaround / scale, [top * 1.02 or 1.0]])
        y = np.concatenate([[0.0], np.arange(1, len(turnaround) + 1) / n,
                            [len(turnaround) / n]])
        ax.step(x, y, where="post", color=f"C{i % 10}", linewidth=1.8,
                label=f"{name} (n={n})")
    ax.set_xlim(0, top * 1.02 or 1.0)
    ax.set_ylim(0, 1.05)
    ax.grid(True, alpha=0.3)
    plots._legend(ax, loc="lower right")
    return ax


def variant_wait_by_priority(comparison: Comparison, ax: Axes | None = None) -> Axes:
    """Task wait (READY until assigned to a worker) by priority band, one bar per variant in
    each band: the mean (the bar) and the 95th percentile (a black tick)."""
    ax = plots._axes(ax)
    metrics = comparison.metrics()
    bands = [b for b in priority_bands(comparison)
             if any(m["task_wait_s"]["by_priority"].get(b, {}).get("mean") is not None
                    for m in metrics.values())]
    tops = [s.get("p95") or 0.0 for m in metrics.values()
            for s in m["task_wait_s"]["by_priority"].values()]
    scale, unit = plots._unit(max(tops, default=0.0))
    ax.set(title="Task wait by priority", xlabel="priority",
           ylabel=f"wait, READY to assigned ({unit})")
    if not bands:
        return plots._say(ax, "no task was assigned to a worker" if len(_all_priorities(comparison))
                          else "no jobs submitted")
    n = len(metrics)
    width = 0.8 / n
    for i, (name, m) in enumerate(metrics.items()):
        x = np.arange(len(bands)) + (i - (n - 1) / 2) * width
        stats = [m["task_wait_s"]["by_priority"].get(b, {}) for b in bands]
        mean = np.array([_value(s.get("mean")) for s in stats]) / scale
        p95 = np.array([_value(s.get("p95")) for s in stats]) / scale
        ax.bar(x, np.nan_to_num(mean), width=width * 0.95, color=f"C{i % 10}", label=name)
        ax.scatter(x, p95, marker="_", s=220 * width, color="black", linewidths=2,
                   zorder=3, label="p95" if i == n - 1 else None)
    counts = [max((m["task_wait_s"]["by_priority"].get(b, {}).get("count") or 0)
                  for m in metrics.values()) for b in bands]
    ax.set_xticks(np.arange(len(bands)),
                  [f"{b}\n({c:,} task runs)" for b, c in zip(bands, counts, strict=True)])
    ax.grid(True, axis="y", alpha=0.3)
    legend = plots._legend(ax)
    top = max(max(tops, default=0.0) / scale * 1.05, 1e-9)
    ax.set_ylim(0, top / (1.0 - plots._height_share(ax, legend)))
    return ax


def variant_worker_share(comparison: Comparison, ax: Axes | None = None) -> Axes:
    """How evenly jobs of equal priority in one queue shared the workers while they competed
    (:func:`farmsim.record.fairness.competition`), per variant: one dot per job at its mean
    workers over its group's mean (1: an equal split, 0: a job that got none), a box over
    them, and the group's Jain's index under it. The :data:`_MAX_GROUPS` groups that competed
    longest."""
    ax = plots._axes(ax)
    ax.set(title="Worker share among jobs of equal priority",
           ylabel="workers while competing / group mean")
    found: dict[tuple[str, int], dict[str, fairness.Group]] = {}
    for name, result in comparison.results.items():
        for g in fairness.competition(result):
            if g.jain is not None:
                found.setdefault((g.queue, g.priority), {})[name] = g
    if not found:
        return plots._say(ax, "no two jobs of equal priority in a queue waited for workers "
                              "at once")
    keys = sorted(found, key=lambda k: -max(g.contended_s for g in found[k].values()))
    keys = sorted(keys[:_MAX_GROUPS])
    names = comparison.names
    ticks: list[tuple[float, str]] = []
    top = 1.0
    for gi, key in enumerate(keys):
        for vi, name in enumerate(names):
            x0 = gi * (len(names) + 1) + vi
            group = found[key].get(name)
            if group is None:
                ticks.append((x0, f"{name}\n(did not compete)"))
                continue
            x = group.mean_workers
            relative = x / (math.fsum(x.tolist()) / len(x))
            top = max(top, float(relative.max()))
            ax.boxplot([relative], positions=[x0], widths=0.6, showfliers=False,
                       medianprops={"color": f"C{vi % 10}"}, boxprops={"color": "0.6"},
                       whiskerprops={"color": "0.6"}, capprops={"color": "0.6"})
            spread = np.zeros(len(x))
            spread[np.argsort(relative, kind="stable")] = np.linspace(-0.2, 0.2, len(x))
            ax.scatter(x0 + spread, relative, s=22, color=f"C{vi % 10}", alpha=0.85, zorder=3)
            ticks.append((x0, f"{name}\nJain {group.jain:.2f} (n={len(x)})"))
    ax.axhline(1.0, color="gray", linestyle="--", linewidth=0.8)
    ax.set_xticks([t for t, _ in ticks], [label for _, label in ticks], fontsize="small")
    ax.set_xlim(-0.6, len(keys) * (len(names) + 1) - 1.4)
    ax.set_ylim(-0.05 * top, 1.15 * top)
    for gi, (queue, priority) in enumerate(keys):
        middle = gi * (len(names) + 1) + (len(names) - 1) / 2
        ax.text(middle, 1.12 * top, f"queue {queue}, priority {priority}", ha="center",
                va="top", fontsize="small", color="0.3")
    ax.grid(True, axis="y", alpha=0.3)
    return ax


def variant_jobs_running(comparison: Comparison, ax: Axes | None = None) -> Axes:
    """Jobs in progress over time (from their first task's assignment to their end), one step
    line per variant (each bin's mean, over a long run: :mod:`farmsim.analysis.plots`)."""
    ax = plots._axes(ax)
    first = next(iter(comparison.results.values()))
    tx = plots._time_axis(first)
    ax.set(title="Jobs in progress", xlabel=tx.label, ylabel="jobs started, not ended")
    end = max(r.catalog.end_time for r in comparison.results.values())
    if not any(len(r.jobs) for r in comparison.results.values()):
        return plots._say(ax, "no jobs submitted")
    if end <= 0:
        return plots._say(ax, "the runs ended at time 0")
    grids = []
    for i, (name, result) in enumerate(comparison.results.items()):
        jobs = result.jobs
        started = np.sort(jobs["started_at"].dropna().to_numpy(np.float64))
        ended = np.sort(jobs["ended_at"].dropna().to_numpy(np.float64))
        grid = plots._timeline(np.concatenate([started, ended]), result.catalog.end_time)
        ax.step(tx.x(grid.points), grid.counts(started, ended), where="post",
                color=f"C{i % 10}", label=name)
        grids.append(grid)
    ax.set_ylabel(_label(grids, "jobs started, not ended"))
    tx.apply(ax, end)
    plots._legend(ax, loc="upper right")
    plots._count_axis(ax)
    return ax


def variant_workers_busy(comparison: Comparison, ax: Axes | None = None) -> Axes:
    """Busy (RUNNING) workers over time, one step line per variant (each bin's mean, over a long
    run)."""
    ax = plots._axes(ax)
    first = next(iter(comparison.results.values()))
    tx = plots._time_axis(first)
    ax.set(title="Busy workers", xlabel=tx.label, ylabel="workers RUNNING")
    end = max(r.catalog.end_time for r in comparison.results.values())
    if not any(len(r.workers) for r in comparison.results.values()):
        return plots._say(ax, "no workers in this farm")
    if end <= 0:
        return plots._say(ax, "the runs ended at time 0")
    grids = []
    for i, (name, result) in enumerate(comparison.results.items()):
        grid, running = _running_workers(result)
        ax.step(tx.x(grid.points), running, where="post", color=f"C{i % 10}", label=name)
        grids.append(grid)
    ax.set_ylabel(_label(grids, "workers RUNNING"))
    tx.apply(ax, end)
    plots._legend(ax, loc="upper right")
    plots._count_axis(ax)
    return ax


# ---------------------------------------------------------------------------- helpers


def _label(grids: list[plots._Grid], quantity: str) -> str:
    """The y label of lines drawn on ``grids``: that of the first binned one (the variants of a
    comparison run for the same time, so their bins are alike), or ``quantity``."""
    binned = next((g for g in grids if g.binned), None)
    return binned.label(quantity) if binned is not None else quantity


def _running_workers(result: BaseResult) -> tuple[plots._Grid, np.ndarray]:
    """The time grid of a run and its workers RUNNING at each point (a bin's mean)."""
    w = result.workers
    if not len(w):
        return plots._Grid(np.array([0.0, result.catalog.end_time])), np.zeros(2)
    w = w.iloc[np.argsort(w["time"].to_numpy(), kind="stable")]
    names = list(w["status"].cat.categories)
    grid, counts = plots._state_counts(w["time"].to_numpy(), w["worker_id"].cat.codes.to_numpy(),
                                       w["status"].cat.codes.to_numpy(), len(names),
                                       result.catalog.end_time)
    if WorkerStatus.RUNNING not in names:
        return grid, np.zeros(len(grid.points))
    return grid, counts[:, names.index(WorkerStatus.RUNNING)]


def _all_priorities(comparison: Comparison) -> np.ndarray:
    """The priorities of every variant's jobs."""
    parts = [r.jobs["priority"].to_numpy(np.int64) for r in comparison.results.values()]
    return np.concatenate(parts) if parts else np.empty(0, np.int64)


def _value(value: Any) -> float:
    return math.nan if value is None else float(value)
