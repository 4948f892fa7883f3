"""Plots of a run's result (a :class:`~farmsim.record.base.BaseResult`), one function per view.

Each function takes the result and an optional matplotlib ``ax`` and draws on it, returning the
Axes (as networkx's ``draw(G, ax=None)`` does). Without ``ax`` a new figure is made with
:class:`matplotlib.figure.Figure`, without pyplot, so no GUI backend is involved; save it with
``ax.figure.savefig(...)``. matplotlib is imported inside the functions only: importing this
module does not load it.

Times are drawn in seconds, minutes, or hours, by the length of the run. A plot with nothing
to show says why on its Axes, in words ("no jobs submitted", "no limits in this farm", "the run
ended at time 0", ...). Without matplotlib, a plot function raises
:class:`MatplotlibMissingError`.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from farmsim.errors import FarmsimError, UsageError
from farmsim.model.enums import TaskRunStatus, WorkerStatus

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from farmsim.record.base import BaseResult

__all__ = [
    "MatplotlibMissingError",
    "limit_usage",
    "queue_backlog",
    "tasks_by_status",
    "turnaround_by_priority",
    "wait_by_priority",
    "worker_timeline",
    "workers_busy",
]

#: Most time points drawn by the time-series plots; longer histories are sampled on a grid.
MAX_POINTS = 2000
#: Runs longer than this are drawn in hours, shorter ones in minutes (or seconds).
_HOURS_ABOVE_S = 3 * 3600.0
#: Runs longer than this are drawn in minutes (or hours), shorter ones in seconds.
_MINUTES_ABOVE_S = 180.0
#: Distinct priorities shown one by one; more are grouped into this many bands.
_MAX_BANDS = 8

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


class MatplotlibMissingError(FarmsimError, ImportError):
    """A plot or report was asked for, and matplotlib cannot be imported."""

    def __init__(self) -> None:
        super().__init__("matplotlib is not installed (pip install matplotlib)")


# ---------------------------------------------------------------------------- plots


def tasks_by_status(result: BaseResult, ax: Axes | None = None) -> Axes:
    """Stacked area of the number of tasks in each TaskRunStatus over time."""
    ax = _axes(ax)
    ev = result.task_events
    scale, unit = _time_unit(result)
    ax.set(title="Tasks by status", xlabel=f"time ({unit})", ylabel="tasks")
    if not len(ev):
        return _say(ax, _NO_JOBS)
    if result.catalog.end_time <= 0:
        return _say(ax, _AT_TIME_0)
    names = list(ev["status"].cat.categories)
    grid, counts = _state_counts(ev["time"].to_numpy(), ev["task_id"].cat.codes.to_numpy(),
                                 ev["status"].cat.codes.to_numpy(), len(names),
                                 result.catalog.end_time)
    shown = [s for s in _TASK_STATUS_STYLE if s in names and counts[:, names.index(s)].any()]
    ax.stackplot(grid / scale, *(counts[:, names.index(s)] for s in shown), labels=shown,
                 colors=[_TASK_STATUS_STYLE[s] for s in shown], step="post", linewidth=0)
    _legend(ax, reverse=True)
    ax.set_xlim(0, grid[-1] / scale)
    _count_axis(ax)
    return ax


def queue_backlog(result: BaseResult, ax: Axes | None = None) -> Axes:
    """READY tasks over time, one line per queue."""
    ax = _axes(ax)
    ev = result.task_events
    scale, unit = _time_unit(result)
    ax.set(title="Queue backlog (READY tasks)", xlabel=f"time ({unit})", ylabel="READY tasks")
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
    for q, name in enumerate(result.catalog.queue_names):
        mine = queue == q
        enter = np.sort(time[mine & (status == ready)])
        leave = np.sort(time[mine & (prev == ready)])
        grid = _grid(np.concatenate([enter, leave]), end)
        count = (np.searchsorted(enter, grid, side="right")
                 - np.searchsorted(leave, grid, side="right"))
        ax.step(grid / scale, count, where="post", label=name)
    _legend(ax)
    ax.set_xlim(0, max(end, float(time.max())) / scale)
    _count_axis(ax)
    return ax


def workers_busy(result: BaseResult, ax: Axes | None = None) -> Axes:
    """Workers by WorkerStatus (RUNNING, IDLE, ...) over time, stacked."""
    ax = _axes(ax)
    w = result.workers
    scale, unit = _time_unit(result)
    ax.set(title="Workers by status", xlabel=f"time ({unit})", ylabel="workers")
    if not len(w):
        return _say(ax, _NO_WORKERS)
    if result.catalog.end_time <= 0:
        return _say(ax, _AT_TIME_0)
    w = w.iloc[np.argsort(w["time"].to_numpy(), kind="stable")]
    names = list(w["status"].cat.categories)
    grid, counts = _state_counts(w["time"].to_numpy(), w["worker_id"].cat.codes.to_numpy(),
                                 w["status"].cat.codes.to_numpy(), len(names),
                                 result.catalog.end_time)
    always = (WorkerStatus.RUNNING, WorkerStatus.IDLE)
    shown = [s for s in _WORKER_STATUS_STYLE
             if s in names and (s in always or counts[:, names.index(s)].any())]
    ax.stackplot(grid / scale, *(counts[:, names.index(s)] for s in shown), labels=shown,
                 colors=[_WORKER_STATUS_STYLE[s] for s in shown], step="post", linewidth=0)
    _legend(ax, reverse=True)
    ax.set_xlim(0, grid[-1] / scale)
    _count_axis(ax)
    return ax


def limit_usage(result: BaseResult, limit: str | None = None, ax: Axes | None = None) -> Axes:
    """Each limit's units in use over time (solid) against its maxCount (dashed).

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
    scale, unit = _time_unit(result)
    ax.set(title="Limit usage", xlabel=f"time ({unit})", ylabel="units in use")
    if not chosen:
        return _say(ax, _NO_LIMITS)
    if c.end_time <= 0:
        return _say(ax, _AT_TIME_0)
    usage = result.limit_usage
    codes = usage["limit_id"].cat.codes.to_numpy()
    end = c.end_time
    for n, i in enumerate(chosen):
        rows = usage[codes == i]
        time = np.concatenate([[0.0], rows["time"].to_numpy(), [end]])
        count = np.concatenate([[0], rows["current_count"].to_numpy(), [0]])
        count[-1] = count[-2]
        color = f"C{n % 10}"
        ax.step(time / scale, count, where="post", color=color, label=c.limit_names[i])
        # maxCount from its own history: a change (UpdateLimit) shows at its time, marked
        changes = [(t, m) for t, m in _max_history(c, i, rows) if t <= end]
        top_time = np.array([t for t, _ in changes] + [end], dtype=np.float64)
        top = np.array([m for _, m in changes] + [changes[-1][1]], dtype=np.float64)
        if (top >= 0).any():
            ax.step(top_time / scale, np.where(top >= 0, top, np.nan), where="post",
                    color=color, linestyle="--", label=f"{c.limit_names[i]} maxCount")
        for (t, new), (_, old) in zip(changes[1:], changes, strict=False):
            ax.axvline(t / scale, color=color, linestyle=":", linewidth=1)
            ax.annotate(f"maxCount {_max_text(old)} \u2192 {_max_text(new)}",
                        (t / scale, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, -3), textcoords="offset points", va="top", fontsize=8,
                        color=color)
    _legend(ax)
    ax.set_xlim(0, end / scale)
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
                        title="Job turnaround by priority (jobs that succeeded)",
                        quantity="turnaround",
                        empty=_no_jobs_or(result, "no job succeeded"))


def wait_by_priority(result: BaseResult, ax: Axes | None = None) -> Axes:
    """Box plot of task wait (assignment minus READY) per priority band of the task's job."""
    ax = _axes(ax)
    runs = result.task_runs
    priority = result.jobs["priority"].to_numpy()[runs["job_id"].cat.codes.to_numpy()]
    values = (runs["assigned_at"] - runs["ready_at"]).to_numpy()
    return _by_priority(ax, priority, values, title="Task wait by priority",
                        quantity="wait (READY to assigned)",
                        empty=_no_jobs_or(result, "no task was assigned to a worker"))


def worker_timeline(result: BaseResult, workers: int = 20, ax: Axes | None = None) -> Axes:
    """Gantt chart: one row per worker (an evenly spaced sample of ``workers`` of those that ran
    tasks), one bar per task run, coloured by job; runs that did not succeed are hatched.

    Raises:
        UsageError: ``workers`` is less than 1.
    """
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise UsageError(f"workers must be an integer >= 1 (got {workers!r})")
    ax = _axes(ax)
    runs = result.task_runs
    scale, unit = _time_unit(result)
    ax.set(title="Worker timeline", xlabel=f"time ({unit})", ylabel="worker")
    runs = runs[runs["started_at"].notna() & (runs["worker_id"].cat.codes >= 0)]
    if not len(runs):
        return _say(ax, _no_jobs_or(result, "no task ran on a worker"))
    end = result.catalog.end_time
    start = runs["started_at"].to_numpy()
    stop = np.where(np.isnan(runs["ended_at"].to_numpy()), end, runs["ended_at"].to_numpy())
    if max(end, float(stop.max())) <= 0:
        return _say(ax, _AT_TIME_0)
    codes = runs["worker_id"].cat.codes.to_numpy()
    used = np.unique(codes)
    if len(used) > workers:
        used = used[np.linspace(0, len(used) - 1, workers).round().astype(int)]
    job_codes = runs["job_id"].cat.codes.to_numpy()
    ok = (runs["status"] == "SUCCEEDED").to_numpy()
    ids = runs["worker_id"].cat.categories
    for row, w in enumerate(used):
        mine = codes == w
        bars = list(zip(start[mine] / scale, (stop[mine] - start[mine]) / scale, strict=True))
        colors = [f"C{j % 10}" for j in job_codes[mine]]
        ax.broken_barh(bars, (row - 0.4, 0.8), facecolors=colors, edgecolor="white",
                       linewidth=0.3)
        if not ok[mine].all():
            bad = [b for b, good in zip(bars, ok[mine], strict=True) if not good]
            ax.broken_barh(bad, (row - 0.4, 0.8), facecolors="none", edgecolor="black",
                           hatch="///", linewidth=0.5)
    ax.set_yticks(range(len(used)), [_short(ids[w]) for w in used], fontsize="small")
    ax.set_ylim(-0.6, len(used) - 0.4)
    ax.invert_yaxis()
    ax.set_xlim(0, max(end, float(stop.max())) / scale)
    names = result.jobs["name"].to_numpy()
    shown = np.unique(job_codes[np.isin(codes, used)])
    if len(shown) <= 10:
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(color=f"C{j % 10}", label=str(names[j])) for j in shown],
                  fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  title="job")
    return ax


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
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4.5), layout="constrained")
    return fig.add_subplot()


def _say(ax: Axes, message: str) -> Axes:
    """An Axes with nothing to draw: ``message`` in its middle, and no ticks."""
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center",
            fontsize="large", color="gray")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _no_jobs_or(result: BaseResult, message: str) -> str:
    """Why a plot of jobs or task runs is empty: no jobs at all, or ``message``."""
    return _NO_JOBS if not len(result.jobs) else message


def _count_axis(ax: Axes, *, margin: float = 1.0) -> None:
    """A y axis of counts: integer ticks, from 0 to at least 1 (also when every count is 0)."""
    from matplotlib.ticker import MaxNLocator

    ax.set_ylim(0, max(ax.get_ylim()[1], 1.0) * margin)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _legend(ax: Axes, *, reverse: bool = False) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    if reverse:  # stacked areas: list the top layer first, as drawn
        handles, labels = handles[::-1], labels[::-1]
    ax.legend(handles, labels, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _time_unit(result: BaseResult) -> tuple[float, str]:
    """(seconds per unit, unit name) for the run's time axis."""
    return _unit(result.catalog.end_time)


def _duration_unit(values: np.ndarray) -> tuple[float, str]:
    return _unit(float(np.nanmax(values, initial=0.0)))


def _unit(top: float) -> tuple[float, str]:
    """(seconds per unit, unit name) for an axis of times or durations up to ``top`` seconds."""
    if top > _HOURS_ABOVE_S:
        return 3600.0, "hours"
    if top > _MINUTES_ABOVE_S:
        return 60.0, "minutes"
    return 1.0, "seconds"


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


def _grid(times: np.ndarray, end: float) -> np.ndarray:
    """The time points to draw: every change time (and 0 and the end), or a regular grid of
    :data:`MAX_POINTS` points when there are more."""
    top = max(end, float(times.max())) if len(times) else end
    points = np.unique(np.concatenate([[0.0], times, [top]]))
    if len(points) > MAX_POINTS:
        points = np.linspace(0.0, top, MAX_POINTS)
    return points


def _state_counts(time: np.ndarray, keys: np.ndarray, status: np.ndarray, n_status: int,
                  end: float) -> tuple[np.ndarray, np.ndarray]:
    """How many keys (tasks, workers) are in each status over time.

    ``time``, ``keys`` and ``status`` (codes) are rows in time order, each the key's new
    status. Returns the grid of time points and a (points, n_status) array of counts, each the
    state just after that time.
    """
    prev = _previous(keys, status)
    grid = _grid(time, end)
    counts = np.zeros((len(grid), n_status), dtype=np.int64)
    for s in range(n_status):
        enter = time[status == s]
        if not len(enter):
            continue
        leave = time[prev == s]  # both already sorted: rows are in time order
        counts[:, s] = (np.searchsorted(enter, grid, side="right")
                        - np.searchsorted(leave, grid, side="right"))
    return grid, counts


def _bands(priority: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Each value's band number and the bands' labels: one band per distinct priority, or
    :data:`_MAX_BANDS` equal ranges when there are more."""
    distinct = np.unique(priority)
    if len(distinct) <= _MAX_BANDS:
        return np.searchsorted(distinct, priority), [str(p) for p in distinct]
    edges = np.linspace(distinct[0], distinct[-1] + 1, _MAX_BANDS + 1).round().astype(int)
    edges = np.unique(edges)
    band = np.searchsorted(edges, priority, side="right") - 1
    labels = [f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(edges)]
    return band, labels


def _by_priority(ax: Axes, priority: np.ndarray, values: np.ndarray, *, title: str,
                 quantity: str, empty: str) -> Axes:
    """Box plots of ``values`` by priority band; ``empty`` is said when there are none."""
    keep = ~np.isnan(values)
    priority, values = priority[keep], values[keep]
    scale, unit = _duration_unit(values)
    ax.set(title=title, xlabel="priority", ylabel=f"{quantity} ({unit})")
    if not len(values):
        return _say(ax, empty)
    band, labels = _bands(priority)
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

