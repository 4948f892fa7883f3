"""Plots of a run's result (a :class:`~farmsim.record.base.BaseResult`), one function per view.

Each function takes the result and an optional matplotlib ``ax`` and draws on it, returning the
Axes (as networkx's ``draw(G, ax=None)`` does). Without ``ax`` a new figure is made with
:class:`matplotlib.figure.Figure`, without pyplot, so no GUI backend is involved; save it with
``ax.figure.savefig(...)``. Given an ``ax`` (one of a grid of subplots, say), a plot draws on it
alone: it neither makes nor resizes a figure, and its legend sits inside its own Axes, with
room kept for it above the data. matplotlib is imported inside the functions only: importing
this module does not load it.

Plots against time draw every change of a short history. A long one (more than
:data:`MAX_POINTS` distinct times: a week of 50,000 task runs) is drawn on bins of time, at most
:data:`BINS` of a round width (15 minutes for a week): each bin's time-weighted mean (the y
axis says so: ``tasks (mean per 15m)``), and for limits and queue backlogs a shade up to the
bin's peak; the worker timeline draws runs closer than a thousandth of its time axis as one
bar. So the drawing (and the report's images) keep the same size whatever the number of
changes.

The time axes show wall-clock time from the scenario's ``start``, in its time zone: a matplotlib
date axis (AutoDateLocator) whose ticks read as days and hours, the first one shown with its
weekday: "Mon 09:00", "09:10", ... for an hour; "Mon 12:00", "Tue 06" (a midnight), "12:00",
... for three days; dates such as "Fri 09", "Tue 13" for weeks; the corner gives the start
("start: Mon 2026-01-05 09:00"). A run without a ``start`` is drawn against the time elapsed
since t=0, in days, hours, minutes ("0", "12h", "1d", "1d 12h"). Either way the x values are
days (matplotlib date numbers, or days since t=0), so a ``datetime`` can be drawn on a date
axis as it is. A plot with nothing to show says why on its
Axes, in words ("no jobs submitted", "no limits in this farm", "the run ended at time 0",
...). Legends list only what occurs: statuses no task or worker was ever in are left out.
Without matplotlib, a plot function raises :class:`MatplotlibMissingError`.

A saved result (``Result.load``) keeps what its ``summary.json`` holds: without a ``start``
there (``summary.json`` of this release keeps none), its plots show elapsed time; fleets are
named by id unless it names them (``fleets``); and fleet and license prices come from it, or,
when only one fleet (limit) was paid for, from its ``cost_usd`` over that fleet's worker-hours
(that limit's license-hours).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from farmsim._progress import hms
from farmsim.errors import FarmsimError, UsageError
from farmsim.model.enums import TaskRunStatus, WorkerStatus
from farmsim.record import fairness

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend

    from farmsim.record.base import BaseResult

__all__ = [
    "MatplotlibMissingError",
    "fleet_cost",
    "fleet_size",
    "limit_usage",
    "queue_backlog",
    "tasks_by_status",
    "turnaround_by_priority",
    "wait_by_priority",
    "worker_share",
    "worker_timeline",
    "workers_busy",
]

#: Most distinct times of a history the plots against time draw as they are; a longer one is
#: drawn on bins of time (:data:`BINS`).
MAX_POINTS = 1000
#: Most bins of time a long history is drawn on; also the worker timeline's resolution (runs
#: closer than 1/BINS of its time axis are drawn as one bar).
BINS = 1000
#: The widths of the bins (seconds) a long history is drawn on: the first that gives at most
#: :data:`BINS` bins (past the last, whole multiples of it).
_BIN_WIDTHS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600,
               6 * 3600, 12 * 3600, 86400)
#: Where a legend sits in its Axes.
_Corner = Literal["upper left", "upper right", "lower left", "lower right"]
#: The gid of the text a plot with nothing to show says (:func:`_said`).
_SAID = "farmsim:nothing-to-show"
#: Durations (the box plots' axes) longer than these are drawn in days, hours, minutes.
_DAYS_ABOVE_S = 3 * 86400.0
_HOURS_ABOVE_S = 3 * 3600.0
_MINUTES_ABOVE_S = 180.0
#: Seconds in a day: the unit of the time axes' values (as matplotlib dates).
_DAY_S = 86400.0
#: The tick spacings an elapsed-time axis picks from, in seconds (then whole multiples of
#: the last), and the most intervals between its ticks.
_ELAPSED_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600,
                  2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400,
                  14 * 86400, 28 * 86400)
_ELAPSED_TICKS = 8
#: The date axes' tick labels by the finest unit that changes between ticks (years, months,
#: days, hours, minutes, seconds: matplotlib's ConciseDateFormatter levels); at a tick where the
#: next coarser unit rolls over (midnight, a first of the month), and in the corner.
_DATE_FORMATS = ["%Y", "%b", "%a %d", "%H:%M", "%H:%M", "%H:%M:%S"]
_DATE_ZERO_FORMATS = ["", "%Y", "%b", "%a %d", "%H:%M", "%H:%M"]
_DATE_OFFSET_FORMATS = ["", "%Y", "%Y-%b", "%a %Y-%b-%d", "%a %Y-%b-%d", "%a %Y-%b-%d %H:%M"]
#: Most groups of jobs of equal priority drawn by :func:`worker_share` (the longest contended).
_MAX_GROUPS = 12

#: Drawing order (bottom to top) and colours of task statuses.
_TASK_STATUS_STYLE: dict[str, str] = {
    TaskRunStatus.SUCCEEDED: "#4daf4a",
    TaskRunStatus.FAILED: "#e41a1c",
    TaskRunStatus.CANCELED: "#999999",
    TaskRunStatus.NOT_COMPATIBLE: "#a65628",
    TaskRunStatus.RUNNING: "#377eb8",
    TaskRunStatus.INTERRUPTING: "#984ea3",
    TaskRunStatus.STARTING: "#80b1d3",
    TaskRunStatus.SCHEDULED: "#bebada",
    TaskRunStatus.ASSIGNED: "#8dd3c7",
    TaskRunStatus.READY: "#ff7f00",
    TaskRunStatus.PENDING: "#ffd92f",
    TaskRunStatus.SUSPENDED: "#f781bf",
}
_WORKER_STATUS_STYLE: dict[str, str] = {
    WorkerStatus.RUNNING: "#377eb8",
    WorkerStatus.IDLE: "#ff7f00",
    WorkerStatus.STARTED: "#8dd3c7",
    WorkerStatus.CREATED: "#bebada",
    WorkerStatus.STOPPING: "#999999",
    WorkerStatus.NOT_RESPONDING: "#e41a1c",
    WorkerStatus.NOT_COMPATIBLE: "#a65628",
}


#: What a plot says when there is nothing to draw.
_NO_JOBS = "no jobs submitted"
_NO_LIMITS = "no limits in this farm"
_NO_WORKERS = "no workers in this farm"
_AT_TIME_0 = "the run ended at time 0"
_NO_PRICES = "the fleets' or limits' prices are not in this results folder"
_NOTHING_PAID = "the fleets and limits cost nothing"
_MISSING = object()


class MatplotlibMissingError(FarmsimError, ImportError):
    """A plot or report was asked for, and matplotlib cannot be imported."""

    def __init__(self) -> None:
        super().__init__("matplotlib is not installed (pip install matplotlib)")


# ---------------------------------------------------------------------------- plots


def tasks_by_status(result: BaseResult, ax: Axes | None = None) -> Axes:
    """Stacked area of the number of tasks in each TaskRunStatus over time (each bin's mean,
    over a long run); statuses no task was in are left out."""
    ax = _axes(ax)
    ev = result.task_events
    tx = _time_axis(result)
    ax.set(title="Tasks by status", xlabel=tx.label, ylabel="tasks")
    if not len(ev):
        return _say(ax, _NO_JOBS)
    if result.catalog.end_time <= 0:
        return _say(ax, _AT_TIME_0)
    names = list(ev["status"].cat.categories)
    grid, counts = _state_counts(ev["time"].to_numpy(), ev["task_id"].cat.codes.to_numpy(),
                                 ev["status"].cat.codes.to_numpy(), len(names),
                                 result.catalog.end_time)
    shown = [s for s in _TASK_STATUS_STYLE if s in names and counts[:, names.index(s)].any()]
    ax.stackplot(tx.x(grid.points), *(counts[:, names.index(s)] for s in shown), labels=shown,
                 colors=[_TASK_STATUS_STYLE[s] for s in shown], step="post", linewidth=0)
    ax.set_ylabel(grid.label("tasks"))
    _legend(ax, reverse=True)
    tx.apply(ax, grid.points[-1])
    _count_axis(ax)
    return ax


def queue_backlog(result: BaseResult, ax: Axes | None = None) -> Axes:
    """READY tasks over time, one line per queue that had any (each bin's mean over a long run,
    shaded up to its peak)."""
    ax = _axes(ax)
    ev = result.task_events
    tx = _time_axis(result)
    ax.set(title="Queue backlog (READY tasks)", xlabel=tx.label, ylabel="READY tasks")
    if not len(ev):
        return _say(ax, _NO_JOBS)
    if result.catalog.end_time <= 0:
        return _say(ax, _AT_TIME_0)
    names = list(ev["status"].cat.categories)
    ready = names.index(TaskRunStatus.READY)
    status = ev["status"].cat.codes.to_numpy()
    prev = _previous(ev["task_id"].cat.codes.to_numpy(), status)
    job_queue = result.jobs["queue"].cat.codes.to_numpy()
    queue = job_queue[ev["job_id"].cat.codes.to_numpy()]
    time = ev["time"].to_numpy()
    end = result.catalog.end_time
    steps = [_Steps.counting(np.sort(time[(queue == q) & (status == ready)]),
                             np.sort(time[(queue == q) & (prev == ready)]))
             for q in range(len(result.catalog.queue_names))]
    grid = _timeline(time[(status == ready) | (prev == ready)], end)
    drawn = [q for q, s in enumerate(steps) if len(s.times)] or range(len(steps))
    for q in drawn:
        count = grid.values(steps[q])
        (line,) = ax.step(tx.x(grid.points), count, where="post",
                          label=result.catalog.queue_names[q])
        if grid.binned:
            ax.fill_between(tx.x(grid.points), count, grid.peaks(steps[q]), step="post",
                            color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_ylabel(grid.label("READY tasks", peaks=True))
    _legend(ax)
    tx.apply(ax, max(end, float(time.max())))
    _count_axis(ax)
    return ax


def workers_busy(result: BaseResult, ax: Axes | None = None) -> Axes:
    """Workers by WorkerStatus (RUNNING, IDLE, ...) over time, stacked (each bin's mean, over a
    long run); with several fleets, the RUNNING and IDLE layers are split by fleet (one shade
    each, the first fleet darkest). Statuses no worker was in are left out."""
    ax = _axes(ax)
    w = result.workers
    tx = _time_axis(result)
    ax.set(title="Workers by status", xlabel=tx.label, ylabel="workers")
    if not len(w):
        return _say(ax, _NO_WORKERS)
    if result.catalog.end_time <= 0:
        return _say(ax, _AT_TIME_0)
    grid, layers = _worker_layers(result)
    ax.stackplot(tx.x(grid.points), *(values for _, values, _ in layers),
                 labels=[label for label, _, _ in layers],
                 colors=[color for _, _, color in layers], step="post", linewidth=0)
    ax.set_ylabel(grid.label("workers"))
    _legend(ax, reverse=True)
    tx.apply(ax, grid.points[-1])
    _count_axis(ax)
    return ax


def _worker_layers(result: BaseResult) -> tuple[_Grid, list[tuple[str, np.ndarray, Any]]]:
    """The time points and the stacked layers of :func:`workers_busy` (bottom first): (label,
    workers at each point, colour). With several fleets, RUNNING and IDLE have a layer per
    fleet ("RUNNING (linux)"), in the workers table's fleet order. A layer no worker was ever
    in is left out (but for IDLE, when no worker was in any)."""
    w = result.workers
    w = w.iloc[np.argsort(w["time"].to_numpy(), kind="stable")]
    names = list(w["status"].cat.categories)
    fleet_codes = w["fleet_id"].cat.codes.to_numpy()
    fleets = np.unique(fleet_codes)
    split = len(fleets) > 1
    # one state per (fleet, status) pair: a worker stays in its fleet
    fleet_index = np.searchsorted(fleets, fleet_codes) if split else 0
    grid, counts = _state_counts(w["time"].to_numpy(), w["worker_id"].cat.codes.to_numpy(),
                                 fleet_index * len(names) + w["status"].cat.codes.to_numpy(),
                                 len(fleets) * len(names) if split else len(names),
                                 result.catalog.end_time)
    by_fleet = counts.reshape(len(grid.points), -1, len(names))
    total = by_fleet.sum(axis=1)
    fleet_names = _fleet_names(result)
    ids = w["fleet_id"].cat.categories
    layers: list[tuple[str, np.ndarray, Any]] = []
    for s, color in _WORKER_STATUS_STYLE.items():
        if s not in names or not total[:, names.index(s)].any():
            continue
        if split and s in (WorkerStatus.RUNNING, WorkerStatus.IDLE):
            layers += [(f"{s} ({fleet_names.get(str(ids[f]), str(ids[f]))})",
                        by_fleet[:, j, names.index(s)], _shade(color, j, len(fleets)))
                       for j, f in enumerate(fleets) if by_fleet[:, j, names.index(s)].any()]
        else:
            layers.append((str(s), total[:, names.index(s)], color))
    if not layers:  # (no worker in a status drawn: the IDLE layer, at 0)
        layers.append((str(WorkerStatus.IDLE), np.zeros(len(grid.points)),
                       _WORKER_STATUS_STYLE[WorkerStatus.IDLE]))
    return grid, layers


def fleet_size(result: BaseResult, ax: Axes | None = None) -> Axes:
    """Workers online in each fleet over time, one step line per fleet (and their sum, dashed,
    when there are several; each bin's mean over a long run). A worker is online from its
    STARTED to its STOPPED record: the time it is paid for."""
    ax = _axes(ax)
    tx = _time_axis(result)
    ax.set(title="Fleet size (workers online)", xlabel=tx.label, ylabel="workers online")
    fleets = _fleets(result)
    if not fleets:
        return _say(ax, _NO_WORKERS)
    end = result.catalog.end_time
    if end <= 0:
        return _say(ax, _AT_TIME_0)
    grid = _timeline(np.concatenate([f.changes for f in fleets]), end)
    total = np.zeros(len(grid.points))
    online = [len(f.started) > 0 for f in fleets]
    for n, f in enumerate(fleets):
        count = grid.values(_Steps.counting(f.started, f.stopped))
        total += count
        if online[n] or not any(online):  # (a fleet none of whose workers started: no line)
            ax.step(tx.x(grid.points), count, where="post", color=f"C{n % 10}", label=f.name)
    if sum(online) > 1:
        ax.step(tx.x(grid.points), total, where="post", color="black", linestyle="--",
                linewidth=1, label="all fleets")
    ax.set_ylabel(grid.label("workers online"))
    _legend(ax)
    tx.apply(ax, grid.points[-1])
    _count_axis(ax)
    return ax


def fleet_cost(result: BaseResult, ax: Axes | None = None) -> Axes:
    """Cumulative cost over time: each fleet's workers at its cost per worker-hour (from STARTED
    to STOPPED), each limit's licenses at its cost per hour (owned: its maxCount units while it
    has one, the units in use while it has none; billed by usage: the units in use), and their
    total when there is more than one line. Fleets and limits that cost nothing are left out.
    At the end of the run the fleets' lines add up to the summary's ``cost_usd.workers``, the
    licenses' to its ``cost_usd.licenses``."""
    ax = _axes(ax)
    tx = _time_axis(result)
    ax.set(title="Cost over time (cumulative)", xlabel=tx.label, ylabel="cost (USD)")
    fleets = _fleets(result)
    licenses = [lic for lic in _licenses(result)
                if lic.cost_per_hour is None or lic.cost_per_hour > 0]
    if not fleets and not licenses:
        return _say(ax, _NO_WORKERS)
    end = result.catalog.end_time
    if end <= 0:
        return _say(ax, _AT_TIME_0)
    if None in [f.cost_per_hour for f in fleets] + [lic.cost_per_hour for lic in licenses]:
        return _say(ax, _NO_PRICES)
    paid = [(n, f) for n, f in enumerate(fleets) if (f.cost_per_hour or 0.0) > 0]
    if not paid and not licenses:
        return _say(ax, _NOTHING_PAID)
    grid = _timeline(np.concatenate([*(f.changes for _, f in paid),
                                     *(lic.times for lic in licenses)]), end)
    t = grid.points
    lines = [(f.name, f.cost(t), "-", f"C{n % 10}") for n, f in paid]
    lines += [(f"{lic.name} licenses", lic.cost(t), "--", f"C{(len(fleets) + n) % 10}")
              for n, lic in enumerate(licenses)]
    for label, cost, style, color in lines:
        ax.plot(tx.x(t), cost, color=color, linestyle=style, label=label)
    total = np.sum([cost for _, cost, _, _ in lines], axis=0)
    if len(lines) > 1:
        ax.plot(tx.x(t), total, color="black", linewidth=1.5, label="total")
    _legend(ax)
    tx.apply(ax, t[-1])
    _money_axis(ax, float(total.max(initial=0.0)))
    return ax


def limit_usage(result: BaseResult, limit: str | None = None, ax: Axes | None = None) -> Axes:
    """Each limit's units in use over time (solid; over a long run, each bin's mean, shaded up
    to its peak) against its maxCount (dashed).

    Args:
        limit: one limit to draw, by name or id; default all of them.

    Raises:
        UsageError: ``limit`` names no limit of the farm.
    """
    c = result.catalog
    chosen = [i for i, (name, lid) in enumerate(zip(c.limit_names, c.limit_ids, strict=True))
              if limit is None or limit in (name, str(lid))]
    if limit is not None and not chosen:
        known = ", ".join(repr(str(n)) for n in c.limit_names)
        raise UsageError(f"limit must name a limit of the farm, by name or id (got {limit!r}; "
                         f"{'limits: ' + known if known else 'the farm has no limits'})")
    ax = _axes(ax)
    tx = _time_axis(result)
    ax.set(title="Limit usage", xlabel=tx.label, ylabel="units in use")
    if not chosen:
        return _say(ax, _NO_LIMITS)
    if c.end_time <= 0:
        return _say(ax, _AT_TIME_0)
    usage = result.limit_usage
    codes = usage["limit_id"].cat.codes.to_numpy()
    end = c.end_time
    times = usage["time"].to_numpy(dtype=np.float64)
    grid = _timeline(times[np.isin(codes, chosen)], end)
    x = tx.x(grid.points)
    for n, i in enumerate(chosen):
        rows = usage[codes == i]
        steps = _Steps.of(rows["time"].to_numpy(), rows["current_count"].to_numpy())
        color = f"C{n % 10}"
        name = str(c.limit_names[i])
        mean = grid.values(steps)
        ax.step(x, mean, where="post", color=color,
                label=f"{name} (mean)" if grid.binned else name)
        if grid.binned:
            ax.fill_between(x, mean, grid.peaks(steps), step="post", color=color, alpha=0.25,
                            linewidth=0, label=f"{name} (peak)")
        # maxCount from its own history: a change (UpdateLimit) shows at its time, marked
        changes = [(t, m) for t, m in _max_history(c, i, rows) if t <= end]
        top_time = np.array([t for t, _ in changes] + [end], dtype=np.float64)
        top = np.array([m for _, m in changes] + [changes[-1][1]], dtype=np.float64)
        if (top >= 0).any():
            ax.step(tx.x(top_time), np.where(top >= 0, top, np.nan), where="post",
                    color=color, linestyle="--", label=f"{name} maxCount")
        for (t, new), (_, old) in zip(changes[1:], changes, strict=False):
            ax.axvline(float(tx.x(t)), color=color, linestyle=":", linewidth=1)
            ax.annotate(f"maxCount {_max_text(old)} \u2192 {_max_text(new)}",
                        (float(tx.x(t)), 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, -3), textcoords="offset points", va="top", fontsize=8,
                        color=color)
    ax.set_ylabel(grid.label("units in use", peaks=True))
    _legend(ax, loc="upper right")
    tx.apply(ax, end)
    _count_axis(ax, margin=1.08)  # keep a maxCount line off the frame
    return ax


def _max_history(c: Any, i: int, rows: pd.DataFrame) -> list[tuple[float, int]]:
    """Limit ``i``'s (time, maxCount) changes from 0: the run's own history, or (a result
    loaded from files keeps none) the changes its usage rows show."""
    history = getattr(c, "limit_max_history", None)
    if history:
        return [(float(t), int(m)) for t, m in history[i]]
    if not len(rows):
        return [(0.0, int(c.limit_max[i]))]
    maxima = rows["max_count"].to_numpy()
    times = rows["time"].to_numpy()
    history = [(0.0, int(maxima[0]))]
    history += [(float(t), int(m)) for t, m, before in zip(times[1:], maxima[1:], maxima[:-1],
                                                            strict=True) if m != before]
    return history


def _max_text(max_count: int) -> str:
    return "none" if max_count < 0 else str(max_count)


def turnaround_by_priority(result: BaseResult, ax: Axes | None = None) -> Axes:
    """Box plot of job turnaround (end minus submission) per priority band, for jobs that
    SUCCEEDED."""
    ax = _axes(ax)
    jobs = result.jobs
    done = jobs[jobs["task_run_status"] == TaskRunStatus.SUCCEEDED]
    values = (done["ended_at"] - done["submitted_at"]).to_numpy()
    return _by_priority(ax, done["priority"].to_numpy(), values,
                        among=jobs["priority"].to_numpy(),
                        title="Job turnaround by priority (jobs that succeeded)",
                        quantity="turnaround",
                        empty=_no_jobs_or(result, "no job succeeded"))


def wait_by_priority(result: BaseResult, ax: Axes | None = None) -> Axes:
    """Box plot of task wait (assignment minus READY) per priority band of the task's job."""
    ax = _axes(ax)
    runs = result.task_runs
    priority = result.jobs["priority"].to_numpy()[runs["job_id"].cat.codes.to_numpy()]
    values = (runs["assigned_at"] - runs["ready_at"]).to_numpy()
    return _by_priority(ax, priority, values, among=result.jobs["priority"].to_numpy(),
                        title="Task wait by priority",
                        quantity="wait (READY to assigned)",
                        empty=_no_jobs_or(result, "no task was assigned to a worker"))


def worker_share(result: BaseResult, ax: Axes | None = None) -> Axes:
    """Dot plot of how evenly jobs of equal priority in one queue shared the workers while they
    competed (:func:`farmsim.record.fairness.competition`): per group (queue, priority), one dot
    per job at its mean workers over the group's mean (1: an equal split; 0: starved), the
    group's Jain's index under it. The :data:`_MAX_GROUPS` groups that competed longest."""
    ax = _axes(ax)
    ax.set(title="Worker share among jobs of equal priority", xlabel="queue, priority",
           ylabel="workers while competing / group mean")
    groups = [g for g in fairness.competition(result) if g.jain is not None]
    if not groups:
        return _say(ax, _no_jobs_or(
            result, "no two jobs of equal priority in a queue waited for workers at once"))
    if len(groups) > _MAX_GROUPS:
        longest = sorted(range(len(groups)), key=lambda i: -groups[i].contended_s)
        groups = [groups[i] for i in sorted(longest[:_MAX_GROUPS])]
    ticks = []
    top = 1.0
    for i, g in enumerate(groups, start=1):
        x = g.mean_workers
        relative = x / (math.fsum(x.tolist()) / len(x))
        top = max(top, float(relative.max()))
        # The dots side by side, in order of share, so that equal ones do not hide each other.
        spread = np.zeros(len(x))
        spread[np.argsort(relative, kind="stable")] = np.linspace(-0.2, 0.2, len(x))
        ax.scatter(i + spread, relative, s=18, color="C0", alpha=0.8, zorder=3)
        ticks.append(f"{g.queue}\npriority {g.priority}\nJain {g.jain:.2f} (n={len(x)})")
    ax.axhline(1.0, color="gray", linestyle="--", linewidth=0.8)
    ax.set_xticks(range(1, len(groups) + 1), ticks, fontsize="small")
    ax.set_xlim(0.5, len(groups) + 0.5)
    ax.set_ylim(-0.05 * top, 1.1 * top)
    return ax


def worker_timeline(result: BaseResult, workers: int = 20, ax: Axes | None = None) -> Axes:
    """Gantt chart: one row per worker (the ``workers`` that were busy longest, in id order),
    one bar per task run, coloured by job; runs that did not succeed are hatched. Runs of a
    worker closer together than 1/:data:`BINS` of the time axis are drawn as one bar, in the
    colour of the job that had most of its time (and the runs that did not succeed, merged
    the same way among themselves, hatched over them): at most :data:`BINS` bars a worker,
    however many runs.

    Raises:
        UsageError: ``workers`` is less than 1.
    """
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise UsageError(f"workers must be an integer >= 1 (got {workers!r})")
    ax = _axes(ax)
    runs = result.task_runs
    tx = _time_axis(result)
    ax.set(title="Worker timeline", xlabel=tx.label, ylabel="worker")
    runs = runs[runs["started_at"].notna() & (runs["worker_id"].cat.codes >= 0)]
    if not len(runs):
        return _say(ax, _no_jobs_or(result, "no task ran on a worker"))
    end = result.catalog.end_time
    start = runs["started_at"].to_numpy(dtype=np.float64)
    stop = np.where(np.isnan(runs["ended_at"].to_numpy()), end, runs["ended_at"].to_numpy())
    stop = np.maximum(stop, start)
    span = max(end, float(stop.max()))
    if span <= 0:
        return _say(ax, _AT_TIME_0)
    codes = runs["worker_id"].cat.codes.to_numpy()
    used = np.unique(codes)
    if len(used) > workers:  # the busiest (the first in id order among equals), in id order
        busy = np.bincount(codes, weights=stop - start)[used]
        used = np.sort(used[np.lexsort((used, -busy))[:workers]])
    job_codes = runs["job_id"].cat.codes.to_numpy()
    failed = (runs["status"] != "SUCCEEDED").to_numpy()
    ids = runs["worker_id"].cat.categories
    shown: set[int] = set()
    for row, w in enumerate(used):
        mine = codes == w
        begin, finish, jobs = _merge_runs(start[mine], stop[mine], job_codes[mine], span / BINS)
        shown.update(jobs.tolist())
        bars = list(zip(tx.x(begin), tx.width(finish - begin), strict=True))
        ax.broken_barh(bars, (row - 0.4, 0.8), facecolors=[f"C{j % 10}" for j in jobs],
                       edgecolor="white", linewidth=0.3 if len(bars) <= BINS // 5 else 0)
        bad = mine & failed
        if bad.any():  # (the runs that did not succeed, merged among themselves, hatched over)
            begin, finish, _ = _merge_runs(start[bad], stop[bad], job_codes[bad], span / BINS)
            ax.broken_barh(list(zip(tx.x(begin), tx.width(finish - begin), strict=True)),
                           (row - 0.4, 0.8), facecolors="none", edgecolor="black",
                           hatch="///", linewidth=0.5)
    ax.set_yticks(range(len(used)), [_short(ids[w]) for w in used], fontsize="small")
    tx.apply(ax, span)
    names = result.jobs["name"].to_numpy()
    bottom = len(used) - 0.4
    if len(shown) <= 10:
        from matplotlib.patches import Patch

        legend = _legend(ax, handles=[Patch(color=f"C{j % 10}", label=str(names[j]))
                                      for j in sorted(shown)], loc="lower right", title="job")
        # rows kept free under the workers for the legend
        bottom = -0.6 + (bottom + 0.6) / (1.0 - _height_share(ax, legend))
    ax.set_ylim(bottom, -0.6)  # (the first worker at the top)
    return ax


def _merge_runs(start: np.ndarray, stop: np.ndarray, job: np.ndarray,
                resolution: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bars of one worker's runs (their start, stop and job code): each run is snapped out
    to whole steps of ``resolution`` seconds, and runs whose snapped spans overlap (or touch,
    for runs of the same job) make one bar, from its first start to its last stop, of the job
    with most run time in it (the lowest job code among equals). The bars' snapped spans do
    not overlap, so there are at most (the time spanned / ``resolution``) + 1 of them.
    Returns (start, stop, job) per bar, in time order."""
    order = np.argsort(start, kind="stable")
    start, stop, job = start[order], stop[order], job[order]
    first = np.floor(start / resolution)
    last = np.maximum(np.ceil(stop / resolution), first + 1)
    reach = np.maximum.accumulate(last)[:-1]  # how far the bars so far reach
    new = np.ones(len(start), dtype=bool)
    new[1:] = (first[1:] > reach) | ((first[1:] == reach) & (job[1:] != job[:-1]))
    heads = np.flatnonzero(new)
    bar = np.cumsum(new) - 1
    # the run time of each (bar, job) pair; the most of each bar's
    width = int(job.max(initial=0)) + 1
    pairs, which = np.unique(bar * width + job, return_inverse=True)
    time = np.bincount(which.ravel(), weights=stop - start)
    best = np.lexsort((pairs % width, -time, pairs // width))
    best = best[np.concatenate([[True], np.diff(pairs[best] // width) != 0])]
    return start[heads], np.maximum.reduceat(stop, heads), pairs[best] % width


# ---------------------------------------------------------------------------- helpers


def _matplotlib_available() -> bool:
    """Whether matplotlib can be imported (the plots and the report need it)."""
    try:
        import matplotlib as mpl  # noqa: F401 - whether it imports is the question
    except ImportError:
        return False
    return True


def _require_matplotlib() -> None:
    if not _matplotlib_available():
        raise MatplotlibMissingError


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    _require_matplotlib()
    return _new_figure((10, 4.5)).add_subplot()


def _new_figure(size: tuple[float, float]) -> Figure:
    """A figure of ``size`` inches with constrained layout, without pyplot, on an Agg canvas
    (which keeps its renderer: the plots measure their legends)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _say(ax: Axes, message: str) -> Axes:
    """An Axes with nothing to draw: ``message`` in its middle, and no ticks."""
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center",
            fontsize="large", color="gray", gid=_SAID)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _said(ax: Axes) -> str | None:
    """What a plot with nothing to show says on ``ax`` (:func:`_say`); None for one that drew
    something."""
    return next((str(t.get_text()) for t in ax.texts if t.get_gid() == _SAID), None)


def _no_jobs_or(result: BaseResult, message: str) -> str:
    """Why a plot of jobs or task runs is empty: no jobs at all, or ``message``."""
    return _NO_JOBS if not len(result.jobs) else message


def _count_axis(ax: Axes, *, margin: float = 1.0) -> None:
    """A y axis of counts: integer ticks, from 0 to at least 1 (also when every count is 0),
    with room above the data for the legend."""
    from matplotlib.ticker import MaxNLocator

    top = max(ax.get_ylim()[1], 1.0) * margin
    ax.set_ylim(0, top / (1.0 - _height_share(ax, ax.get_legend())))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _legend(ax: Axes, handles: list[Any] | None = None, *, reverse: bool = False,
            loc: _Corner = "upper left", title: str | None = None) -> Legend | None:
    """The legend of ``ax`` (of ``handles``, or of what is drawn), inside it at ``loc``: in as
    many columns (up to 4) as fit in the Axes' width, small type. None when there is nothing
    to list."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    else:
        labels = [str(h.get_label()) for h in handles]
    if not handles:
        return None
    if reverse:  # stacked areas: list the top layer first, as drawn
        handles, labels = handles[::-1], labels[::-1]
    legend = None
    for ncols in range(min(len(handles), 4), 0, -1):
        legend = ax.legend(handles, labels, fontsize="small", loc=loc, ncols=ncols, title=title,
                           title_fontsize="small", framealpha=0.9)
        if ncols == 1 or legend.get_window_extent().width <= 0.96 * ax.bbox.width:
            break
    return legend


def _height_share(ax: Axes, legend: Legend | None) -> float:
    """The share of ``ax``'s height ``legend`` takes (with its padding; none without one, at
    most 0.6): what the data leaves free for it."""
    if legend is None or ax.bbox.height <= 0:
        return 0.0
    return min(legend.get_window_extent().height / ax.bbox.height + 0.04, 0.6)


def _money_axis(ax: Axes, top: float) -> None:
    """A y axis of dollars from 0 to a little over ``top`` (to $1 when it is 0), with room
    above the data for the legend."""
    from matplotlib.ticker import StrMethodFormatter

    ax.set_ylim(0, (top * 1.05 if top > 0 else 1.0) / (1.0 - _height_share(ax, ax.get_legend())))
    ax.yaxis.set_major_formatter(StrMethodFormatter("${x:,.0f}" if top >= 100 else "${x:,.2f}"))


def _shade(color: str, j: int, n: int) -> tuple[float, float, float]:
    """``color`` lightened for the ``j``-th of ``n`` layers (the first as it is)."""
    from matplotlib.colors import to_rgb

    rgb = np.array(to_rgb(color))
    mixed = rgb + (1.0 - rgb) * (0.6 * j / max(n - 1, 1))
    return float(mixed[0]), float(mixed[1]), float(mixed[2])


# ---------------------------------------------------------------------------- time axes


@dataclass(frozen=True)
class _TimeAxis:
    """How the plots draw simulated time (seconds since t=0) along x, in days: as wall-clock
    dates from the scenario's ``start`` (matplotlib date numbers, shown in the start's time
    zone), or, for a run without one, as days since t=0, labelled as elapsed time."""

    #: The wall-clock time of t=0 (aware), or None: elapsed time.
    start: dt.datetime | None
    #: The x value of t=0.
    origin: float = 0.0

    @property
    def label(self) -> str:
        if self.start is None:
            return "elapsed time"
        return f"time ({self.start.tzname() or 'UTC'})"

    def x(self, seconds: Any) -> np.ndarray:
        """The x values of simulated times (seconds since t=0)."""
        return np.asarray(self.origin + np.asarray(seconds, dtype=np.float64) / _DAY_S)

    def width(self, seconds: Any) -> np.ndarray:
        """The x extent of durations (seconds)."""
        return np.asarray(np.asarray(seconds, dtype=np.float64) / _DAY_S)

    def apply(self, ax: Axes, end: float) -> None:
        """Show [0, ``end``] seconds on ``ax``'s x axis, with ticks reading as days and hours."""
        if self.start is None:
            from matplotlib.ticker import FixedLocator, FuncFormatter

            ax.xaxis.set_major_locator(FixedLocator(self.x(_elapsed_ticks(end)).tolist()))
            ax.xaxis.set_major_formatter(FuncFormatter(
                lambda value, _pos: _elapsed_text((value - self.origin) * _DAY_S)))
        else:
            tz = self.start.tzinfo
            ax.xaxis.axis_date(tz)  # a date axis: datetimes can be drawn on it
            locator = _dates().AutoDateLocator(tz=tz)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(_day_hour_formatter()(locator, self.start))
        ax.set_xlim(float(self.x(0.0)), float(self.x(end)))


def _time_axis(result: BaseResult) -> _TimeAxis:
    """The time axis of ``result``'s plots: dates from its scenario's ``start``, if known."""
    start = _start(result)
    if start is None:
        return _TimeAxis(None)
    return _TimeAxis(start, float(_dates().date2num(start)))


def _dates() -> Any:
    """``matplotlib.dates`` (typed Any: its functions are not annotated)."""
    import matplotlib.dates

    return matplotlib.dates


@functools.cache
def _day_hour_formatter() -> Any:
    """The tick formatter of the date axes (a class, made once: it subclasses a matplotlib
    class, which is imported only here)."""
    mdates = _dates()
    base: Any = mdates.ConciseDateFormatter

    class DayHourFormatter(base):  # type: ignore[misc]  # (matplotlib.dates is not annotated)
        """matplotlib's ConciseDateFormatter with :data:`_DATE_FORMATS`, whose first tick shown
        names its weekday when it is a time of day (``Mon 09:00``), and whose offset text (in
        the corner) is the run's start (``start: Mon 2026-01-05 09:00``)."""

        def __init__(self, locator: Any, start: dt.datetime) -> None:
            super().__init__(locator, tz=start.tzinfo, formats=_DATE_FORMATS,
                             zero_formats=_DATE_ZERO_FORMATS,
                             offset_formats=_DATE_OFFSET_FORMATS)
            self.zone = start.tzinfo
            self.start_text = f"start: {start:%a %Y-%m-%d %H:%M}"

        def format_ticks(self, values: Any) -> list[str]:
            labels = list(super().format_ticks(values))
            low = min(self.axis.get_view_interval()) if self.axis is not None else -np.inf
            first = next((i for i, v in enumerate(values) if v >= low - 1e-9), None)
            if first is not None and ":" in labels[first]:
                day = mdates.num2date(values[first], tz=self.zone)
                labels[first] = f"{day:%a} {labels[first]}"
            return labels

        def get_offset(self) -> str:
            return self.start_text

    return DayHourFormatter


def _start(result: BaseResult) -> dt.datetime | None:
    """The wall-clock time of the run's t=0 (UTC when it names no zone): its catalog's
    ``start``, or a saved result's ``summary.json``'s; None when the scenario had none (or a
    results folder does not say)."""
    value = getattr(result.catalog, "start", _MISSING)
    if value is _MISSING:
        value = result.summary().get("start")
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _elapsed_ticks(end: float) -> np.ndarray:
    """Ticks (seconds) of an elapsed-time axis over [0, ``end``]: multiples of the first
    spacing of :data:`_ELAPSED_STEPS` (then of whole multiples of the last) that gives at most
    :data:`_ELAPSED_TICKS` intervals."""
    if end <= 0:
        return np.zeros(1)
    step = next((float(s) for s in _ELAPSED_STEPS if end / s <= _ELAPSED_TICKS), None)
    if step is None:
        last = float(_ELAPSED_STEPS[-1])
        step = last * np.ceil(end / last / _ELAPSED_TICKS)
    return step * np.arange(int(np.floor(end / step + 1e-9)) + 1)


def _elapsed_text(seconds: float) -> str:
    """A time since t=0 in days, hours, minutes and seconds: ``0``, ``45s``, ``1h 30m``,
    ``2d``, ``1d 6h``."""
    seconds = round(float(seconds), 3)
    if seconds == 0:
        return "0"
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    days, rest = divmod(seconds, 86400.0)
    hours, rest = divmod(rest, 3600.0)
    minutes, rest = divmod(rest, 60.0)
    parts = [f"{int(n)}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    if round(rest, 3):
        parts.append(f"{round(rest, 3):g}s")
    return sign + " ".join(parts)


def _duration_unit(values: np.ndarray) -> tuple[float, str]:
    return _unit(float(np.nanmax(values, initial=0.0)))


def _unit(top: float) -> tuple[float, str]:
    """(seconds per unit, unit name) for an axis of durations up to ``top`` seconds."""
    if top > _DAYS_ABOVE_S:
        return 86400.0, "days"
    if top > _HOURS_ABOVE_S:
        return 3600.0, "hours"
    if top > _MINUTES_ABOVE_S:
        return 60.0, "minutes"
    return 1.0, "seconds"


# ---------------------------------------------------------------------------- fleets and costs


@dataclass(frozen=True)
class _Fleet:
    """A fleet's workers online over time (from STARTED to STOPPED), and its price."""

    fleet_id: str
    name: str
    #: USD per worker-hour; None: unknown (a results folder that does not keep it).
    cost_per_hour: float | None
    #: Its workers' STARTED times, and the STOPPED times of those that stopped, sorted.
    started: np.ndarray
    stopped: np.ndarray

    @property
    def changes(self) -> np.ndarray:
        return np.concatenate([self.started, self.stopped])

    def online(self, t: np.ndarray) -> np.ndarray:
        """Workers online just after each of the times ``t``."""
        return (np.searchsorted(self.started, t, side="right")
                - np.searchsorted(self.stopped, t, side="right"))

    def worker_seconds(self, t: np.ndarray) -> np.ndarray:
        """Worker-seconds online from 0 to each of the times ``t`` (exactly: the sum over the
        workers of the part of [STARTED, STOPPED) before t)."""
        t = np.asarray(t, dtype=np.float64)
        return np.asarray(_since(self.started, t) - _since(self.stopped, t))

    def cost(self, t: np.ndarray) -> np.ndarray:
        """USD spent on the fleet from 0 to each of the times ``t``."""
        return np.asarray(self.worker_seconds(t) * ((self.cost_per_hour or 0.0) / 3600.0))


def _since(times: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Sum over the sorted ``times`` of max(0, t - time), for each of ``t``."""
    n = np.searchsorted(times, t, side="right")
    before = np.concatenate([[0.0], np.cumsum(times)])
    return np.asarray(n * t - before[n])


def _fleets(result: BaseResult) -> list[_Fleet]:
    """The fleets of the workers table (in its fleet_id order), each with its workers' times
    online and its name and price (:func:`_fleet_names`, :func:`_fleet_prices`)."""
    w = result.workers
    if not len(w):
        return []
    time = w["time"].to_numpy(dtype=np.float64)
    worker = w["worker_id"].cat.codes.to_numpy()
    fleet = w["fleet_id"].cat.codes.to_numpy()
    status = w["status"].cat.codes.to_numpy()
    names = list(w["status"].cat.categories)
    n = len(w["worker_id"].cat.categories)
    started = np.full(n, np.inf)
    stopped = np.full(n, np.inf)
    for which, first in ((WorkerStatus.STARTED, started), (WorkerStatus.STOPPED, stopped)):
        if which in names:
            rows = (status == names.index(which)) & (worker >= 0)
            np.minimum.at(first, worker[rows], time[rows])
    stopped = np.maximum(stopped, started)  # (a worker stops after it started)
    fleet_of = np.full(n, -1)
    fleet_of[worker[worker >= 0]] = fleet[worker >= 0]
    ids = w["fleet_id"].cat.categories
    named = _fleet_names(result)
    fleets = []
    for f in np.unique(fleet[fleet >= 0]):
        mine = fleet_of == f
        on = np.sort(started[mine & np.isfinite(started)])
        off = np.sort(stopped[mine & np.isfinite(stopped)])
        fid = str(ids[f])
        fleets.append(_Fleet(fid, named.get(fid, fid), None, on, off))
    prices = _fleet_prices(result, fleets)
    return [_Fleet(f.fleet_id, f.name, price, f.started, f.stopped)
            for f, price in zip(fleets, prices, strict=True)]


def _fleet_names(result: BaseResult) -> dict[str, str]:
    """Fleet names by fleet id: the catalog's, or those of a saved ``summary.json`` that has
    ``fleets`` ({name: {"fleet_id": ...}}); none otherwise (fleets are then named by id)."""
    c = result.catalog
    if hasattr(c, "fleet_ids") and hasattr(c, "fleet_names"):
        return {str(fid): str(name) for fid, name in zip(c.fleet_ids, c.fleet_names,
                                                         strict=True)}
    return {str(entry["fleet_id"]): str(name) for name, entry in _saved("fleets", result).items()
            if isinstance(entry, dict) and "fleet_id" in entry}


def _fleet_prices(result: BaseResult, fleets: list[_Fleet]) -> list[float | None]:
    """Each fleet's cost per worker-hour: the catalog's, a saved ``summary.json``'s
    (``fleets``), or what its ``cost_usd.workers`` leaves to the one fleet of unknown price
    that had workers online."""
    c = result.catalog
    if hasattr(c, "fleet_ids") and hasattr(c, "fleet_cost_per_hour"):
        price = {str(fid): float(p) for fid, p in zip(c.fleet_ids, c.fleet_cost_per_hour,
                                                      strict=True)}
        return [price.get(f.fleet_id) for f in fleets]
    saved = {str(entry.get("fleet_id")): entry.get("cost_per_hour")
             for entry in _saved("fleets", result).values() if isinstance(entry, dict)}
    hours = [float(f.worker_seconds(np.array([c.end_time]))[0]) / 3600.0 for f in fleets]
    return _fill_price([saved.get(f.fleet_id) for f in fleets], hours,
                       result.summary()["cost_usd"]["workers"])


@dataclass(frozen=True)
class _License:
    """A limit's license-time paid for over the run, and its price."""

    name: str
    #: USD per license-hour; None: unknown (a results folder that does not keep it).
    cost_per_hour: float | None
    #: The times its paid-for units change (from 0, and the end), and the unit-seconds paid for
    #: from 0 to each.
    times: np.ndarray
    paid: np.ndarray

    def cost(self, t: np.ndarray) -> np.ndarray:
        """USD spent on the limit's licenses from 0 to each of the times ``t``."""
        return np.asarray(np.interp(t, self.times, self.paid)
                          * ((self.cost_per_hour or 0.0) / 3600.0))


def _licenses(result: BaseResult) -> list[_License]:
    """Each limit's license-time paid for: owned licenses, its maxCount units while it has a
    maximum, the units in use while it has none; licenses billed by usage, the units in use
    (as the summary's ``cost_usd.licenses`` counts them)."""
    c = result.catalog
    end = c.end_time
    usage = result.limit_usage
    codes = usage["limit_id"].cat.codes.to_numpy()
    billings = _billings(result)
    found = []
    for i, name in enumerate(c.limit_names):
        rows = usage[codes == i]
        history = _max_history(c, i, rows)
        since = np.array([t for t, _ in history], dtype=np.float64)
        maxima = np.array([m for _, m in history], dtype=np.float64)
        used_at = rows["time"].to_numpy(dtype=np.float64)
        in_use = rows["current_count"].to_numpy(dtype=np.float64)
        points = np.unique(np.concatenate([[0.0], since, used_at, [end]]))
        points = points[points <= end]
        top = maxima[np.maximum(np.searchsorted(since, points, side="right") - 1, 0)]
        k = np.searchsorted(used_at, points, side="right")  # the last change at an instant
        using = np.where(k > 0, in_use[np.maximum(k - 1, 0)], 0.0) if len(in_use) else 0.0
        rate = np.where((top > 0) & (billings[i] != "usage"), top, using)
        paid = np.concatenate([[0.0], np.cumsum(rate[:-1] * np.diff(points))])
        found.append(_License(str(name), None, points, paid))
    prices = _limit_prices(result, found)
    return [_License(lic.name, price, lic.times, lic.paid)
            for lic, price in zip(found, prices, strict=True)]


def _billings(result: BaseResult) -> list[str]:
    """How each limit's licenses are billed: the catalog's, a saved ``summary.json``'s
    (``limits.<name>.billing``), else owned."""
    c = result.catalog
    known = getattr(c, "limit_billing", None)
    if known:
        return [str(b) for b in known]
    limits = _saved("limits", result)
    return [str(limits.get(name, {}).get("billing", "owned")) for name in c.limit_names]


def _limit_prices(result: BaseResult, licenses: list[_License]) -> list[float | None]:
    """Each limit's cost per license-hour: the catalog's, a saved ``summary.json``'s
    (``limits.<name>.cost_per_hour``), or what its ``cost_usd.licenses`` leaves to the one
    limit of unknown price that was paid for."""
    c = result.catalog
    if hasattr(c, "limit_cost_per_hour"):
        return [float(p) for p in c.limit_cost_per_hour]
    limits = _saved("limits", result)
    known = [limits.get(lic.name, {}).get("cost_per_hour") for lic in licenses]
    hours = [float(lic.paid[-1]) / 3600.0 for lic in licenses]
    return _fill_price(known, hours, result.summary()["cost_usd"]["licenses"])


def _saved(key: str, result: BaseResult) -> dict[str, Any]:
    """The object ``key`` of a saved result's summary ({} when it has none)."""
    value = result.summary().get(key)
    return value if isinstance(value, dict) else {}


def _fill_price(prices: list[Any], hours: list[float], total: float) -> list[float | None]:
    """``prices`` (per hour, None: unknown) of things used ``hours`` that cost ``total`` in all:
    an unknown price of a thing not used is irrelevant (0); the one unknown price of a thing
    used is what the others leave of ``total``; more than one stays unknown."""
    known: list[float | None] = [float(p) if isinstance(p, (int, float)) else None
                                 for p in prices]
    unknown = [i for i, (p, h) in enumerate(zip(known, hours, strict=True))
               if p is None and h > 0]
    if len(unknown) == 1:
        i = unknown[0]
        rest = sum(p * h for p, h in zip(known, hours, strict=True) if p is not None)
        known[i] = max(total - rest, 0.0) / hours[i]
    return [0.0 if p is None and h <= 0 else p for p, h in zip(known, hours, strict=True)]


def _short(worker_id: str) -> str:
    """``worker-70eacedb85fe...`` -> ``worker-70eace``."""
    return str(worker_id)[:13]


def _previous(keys: np.ndarray, status: np.ndarray) -> np.ndarray:
    """For rows in time order: the status each row's key had before it (-1 for its first)."""
    order = np.argsort(keys, kind="stable")
    k, s = keys[order], status[order]
    prev_sorted = np.full(len(k), -1, dtype=np.int64)
    same = k[1:] == k[:-1]
    prev_sorted[1:][same] = s[:-1][same]
    prev = np.empty_like(prev_sorted)
    prev[order] = prev_sorted
    return prev


@dataclass(frozen=True)
class _Steps:
    """A step function of time: ``values[k]`` from ``times[k]`` (sorted, distinct) until the
    next time; 0 before the first."""

    times: np.ndarray
    values: np.ndarray

    @classmethod
    def of(cls, times: Any, values: Any) -> _Steps:
        """From changes in time order, several at one instant possible (the last counts)."""
        t = np.asarray(times, dtype=np.float64)
        v = np.asarray(values, dtype=np.float64)
        last = np.append(t[1:] != t[:-1], True) if len(t) else np.zeros(0, dtype=bool)
        return cls(t[last], v[last])

    @classmethod
    def counting(cls, enter: np.ndarray, leave: np.ndarray) -> _Steps:
        """How many things are in, over time: each entered at a time of ``enter`` and left at
        one of ``leave`` (both sorted)."""
        t = np.unique(np.concatenate([enter, leave]).astype(np.float64))
        n = np.searchsorted(enter, t, side="right") - np.searchsorted(leave, t, side="right")
        return cls(t, n.astype(np.float64))

    def at(self, t: np.ndarray) -> np.ndarray:
        """The value just after each of the times ``t``."""
        k = np.searchsorted(self.times, t, side="right") - 1
        if not len(self.times):
            return np.zeros(len(t))
        return np.where(k >= 0, self.values[np.maximum(k, 0)], 0.0)

    def area(self, t: np.ndarray) -> np.ndarray:
        """The integral from 0 to each of the times ``t`` (value-seconds)."""
        if not len(self.times):
            return np.zeros(len(t))
        before = np.concatenate([[0.0], np.cumsum(np.diff(self.times) * self.values[:-1])])
        k = np.searchsorted(self.times, t, side="right") - 1
        j = np.maximum(k, 0)
        return np.where(k >= 0, before[j] + self.values[j] * (t - self.times[j]), 0.0)

    def peak(self, edges: np.ndarray) -> np.ndarray:
        """The highest value in each bin [edges[i], edges[i + 1])."""
        top = self.at(edges[:-1])
        inside = (self.times > edges[0]) & (self.times < edges[-1])
        np.maximum.at(top, np.searchsorted(edges, self.times[inside], side="right") - 1,
                      self.values[inside])
        return top


@dataclass(frozen=True)
class _Grid:
    """The time points a plot against time draws at: every change of a short history (and 0
    and the end; ``width`` None), or for a long one the edges of bins of ``width`` seconds
    from 0 to the end (the last bin may be shorter), each drawn at its mean (or peak)."""

    points: np.ndarray
    width: float | None = None

    @property
    def binned(self) -> bool:
        return self.width is not None

    def values(self, steps: _Steps) -> np.ndarray:
        """What to draw of ``steps`` at each point, as a step line (where="post"): its value
        there, or its mean over the bin from there (the last bin's again at the end)."""
        if self.width is None:
            return steps.at(self.points)
        mean = np.diff(steps.area(self.points)) / np.diff(self.points)
        return np.append(mean, mean[-1])

    def peaks(self, steps: _Steps) -> np.ndarray:
        """The highest value of ``steps`` in the bin from each point (as :meth:`values`)."""
        if self.width is None:
            return steps.at(self.points)
        top = steps.peak(self.points)
        return np.append(top, top[-1])

    def counts(self, enter: np.ndarray, leave: np.ndarray) -> np.ndarray:
        """:meth:`values` of :meth:`_Steps.counting`."""
        return self.values(_Steps.counting(enter, leave))

    def label(self, quantity: str, *, peaks: bool = False) -> str:
        """An axis label of ``quantity``, saying what a bin shows when the grid has bins."""
        if self.width is None:
            return quantity
        shade = "; shaded: peak" if peaks else ""
        return f"{quantity} (mean per {hms(self.width)}{shade})"


def _timeline(times: np.ndarray, end: float) -> _Grid:
    """The grid to draw changes at ``times`` on, from 0 to the end (or the last change, if
    later): every change time when there are at most :data:`MAX_POINTS`, else bins of the
    first width of :data:`_BIN_WIDTHS` that gives at most :data:`BINS` of them."""
    times = np.asarray(times, dtype=np.float64)
    top = max(end, float(times.max())) if len(times) else end
    points = np.unique(np.concatenate([[0.0], times, [top]]))
    if len(points) <= MAX_POINTS or top <= 0:
        return _Grid(points)
    width = next((float(w) for w in _BIN_WIDTHS if top / w <= BINS), None)
    if width is None:
        last = float(_BIN_WIDTHS[-1])
        width = last * math.ceil(top / last / BINS)
    edges = np.arange(0.0, top, width)
    return _Grid(np.append(edges, top), width)


def _state_counts(time: np.ndarray, keys: np.ndarray, status: np.ndarray, n_status: int,
                  end: float) -> tuple[_Grid, np.ndarray]:
    """How many keys (tasks, workers) are in each status over time.

    ``time``, ``keys`` and ``status`` (codes) are rows in time order, each the key's new
    status. Returns the grid (:func:`_timeline`) and a (points, n_status) array: the count
    just after each point, or (on a grid of bins) the mean over the bin from it.
    """
    prev = _previous(keys, status)
    grid = _timeline(time, end)
    counts = np.zeros((len(grid.points), n_status))
    for s in range(n_status):
        enter = time[status == s]
        if not len(enter):
            continue
        leave = time[prev == s]  # both already sorted: rows are in time order
        counts[:, s] = grid.counts(enter, leave)
    return grid, counts


def _bands(priority: np.ndarray, among: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Each value's band number and the bands' labels: the summary's priority bands
    (:func:`farmsim.record.fairness.priority_bands`), chosen from the run's job priorities
    ``among``: one per distinct priority, or the quarters of 0-100 when there are more than
    eight."""
    return fairness.priority_bands(priority, among)


def _by_priority(ax: Axes, priority: np.ndarray, values: np.ndarray, *, among: np.ndarray,
                 title: str, quantity: str, empty: str) -> Axes:
    """Box plots of ``values`` by priority band (the bands of the jobs' priorities ``among``);
    ``empty`` is said when there are none."""
    keep = ~np.isnan(values)
    priority, values = priority[keep], values[keep]
    scale, unit = _duration_unit(values)
    ax.set(title=title, xlabel="priority", ylabel=f"{quantity} ({unit})")
    if not len(values):
        return _say(ax, empty)
    band, labels = _bands(priority, among)
    groups: list[Any] = []
    ticks: list[str] = []
    for b, label in enumerate(labels):
        mine = values[band == b] / scale
        if len(mine):
            groups.append(mine)
            ticks.append(f"{label}\n(n={len(mine)})")
    positions = np.arange(1, len(groups) + 1)
    ax.boxplot(groups, positions=positions, widths=0.6, showmeans=True)
    ax.set_xticks(positions, ticks)
    ax.set_ylim(bottom=0)
    return ax

