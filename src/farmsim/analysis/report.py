"""``report.html``: one self-contained page with a run's summary and its plots.

The plots are embedded as base64 PNG images; the page loads nothing from elsewhere, so it can be
mailed or archived on its own. matplotlib is only imported (by :mod:`farmsim.analysis.plots`)
when a report is rendered; without it, rendering raises
:class:`~farmsim.analysis.plots.MatplotlibMissingError` (check first with
:func:`report_available`).
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from farmsim._progress import hms
from farmsim.analysis import plots
from farmsim.record import fairness

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from farmsim.record.base import BaseResult

__all__ = ["render_report", "report_available", "write_report"]

#: The report's sections of plots: (heading, ((plot function, caption), ...)), in page order.
#: A panel with nothing to show is left out (:func:`_panels`): the limit panel of a farm
#: without limits, the cost of a farm that pays for nothing, ... The Fairness section opens
#: with tables of wait and turnaround by priority band and by queue, the longest wait and
#: Jain's index per queue and priority; the Fleets section with a table of the fleets.
SECTIONS: tuple[tuple[str, tuple[tuple[Callable[..., Axes], str], ...]], ...] = (
    ("Plots", (
        (plots.tasks_by_status,
         "Tasks in each status over time (stacked): work flows from READY through RUNNING to "
         "SUCCEEDED."),
        (plots.queue_backlog, "READY tasks waiting in each queue over time."),
        (plots.limit_usage,
         "Units of each limit in use (solid; over a long run, the mean of each bin of time, "
         "shaded up to its peak) against its maxCount (dashed)."),
        (plots.worker_timeline,
         "Task runs on the workers busy longest, coloured by job; hatched runs did not "
         "succeed (runs closer together than the plot can show are drawn as one bar)."),
    )),
    ("Fairness", (
        (plots.turnaround_by_priority,
         "Job turnaround (end minus submission) per priority band, for jobs that succeeded. "
         "Boxes span the quartiles; triangles mark means."),
        (plots.wait_by_priority,
         "Task wait (READY until assigned to a worker) per priority band of the task's job."),
        (plots.worker_share,
         "Jobs of one queue and priority that waited for workers at the same time: each job's "
         "mean workers while it competed, over its group's mean (1 is an equal split, 0 a job "
         "that got none); Jain's index under each group."),
    )),
    ("Fleets", (
        (plots.fleet_size,
         "Workers online in each fleet over time, from STARTED to STOPPED: the time they are "
         "paid for."),
        (plots.workers_busy,
         "Workers by status over time: RUNNING workers have work, IDLE ones have none (split "
         "by fleet when there are several)."),
        (plots.fleet_cost,
         "Cost so far over time: each fleet's workers at its cost per worker-hour, each "
         "limit's licenses at its cost per hour, and their total."),
    )),
)
#: What a panel with nothing to show may say and still be drawn: an outcome the reader looks
#: for in it. Any other such panel is left out of the page.
SHOWN_EMPTY = frozenset({"no job succeeded", "no task was assigned to a worker",
                         "no task ran on a worker", plots._NO_PRICES})
#: Why panels are left out that the page says once (in a line of their section), because the
#: whole run lacks it; a panel left out for another reason (no limits in the farm, no two
#: jobs competing, nothing paid for) is left out silently.
NOTED = frozenset({plots._NO_JOBS, plots._AT_TIME_0, plots._NO_WORKERS})
#: Every (plot function, caption) of the report, in page order.
PLOTS: tuple[tuple[Callable[..., Axes], str], ...] = tuple(
    plot for _, section in SECTIONS for plot in section)

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.75em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 2em 0; }
figure img { max-width: 100%; }
figcaption { color: #555; }
"""


def report_available() -> bool:
    """Whether reports (and plots) can be drawn here: matplotlib can be imported."""
    return plots._matplotlib_available()


def render_report(result: BaseResult) -> str:
    """The report page of ``result``, as HTML text.

    Raises:
        MatplotlibMissingError: matplotlib cannot be imported.
    """
    plots._require_matplotlib()
    s = result.summary()
    title = f"farmsim report: {s['scenario']}"
    parts = [
        *_page_head(title),
        "<h2>Summary</h2>",
        _table(["", ""], _summary_rows(s), header=False),
    ]
    if s["limits"]:
        parts += ["<h3>Limits</h3>", _table(
            ["limit", "max", "peak", "mean in use", "utilisation", "blocked task-hours"],
            [[name, "-" if lim["max_count"] < 0 else lim["max_count"], lim["peak"],
              f"{lim['mean_in_use']:.2f}", _pct(lim["utilization"]),
              f"{lim['blocked_task_hours']:.1f}"] for name, lim in s["limits"].items()])]
    if s.get("budgets"):
        parts += ["<h3>Budgets</h3>", _budget_table(s)]
    notes = _notes(s)
    if notes:
        parts += ["<ul>", *(f"<li>{_e(n)}</li>" for n in notes), "</ul>"]
    for heading, section in SECTIONS:
        body: list[str] = []
        if heading == "Fairness":
            body += _fairness_tables(s.get("fairness") or fairness.summary(result))
        if heading == "Fleets":
            body += _fleet_table(result)
            body += _queue_cost_table(s)
        body += _panels(result, section)
        if body:  # (a section with nothing to show is left out)
            parts += [f"<h2>{_e(heading)}</h2>", *body]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def write_report(result: BaseResult, path: str | Path) -> Path:
    """Write :func:`render_report` to ``path`` (a file, or a directory to hold
    ``report.html``). Returns the file written.

    Raises:
        MatplotlibMissingError: matplotlib cannot be imported (nothing is written).
    """
    return _write_page(path, lambda out: render_report(result))


# ---------------------------------------------------------------------------- helpers


def _page_head(title: str, style: str = _STYLE) -> list[str]:
    """The lines of a report page up to its ``<h1>`` title (the three reports share them)."""
    return ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
            f"<title>{_e(title)}</title>", f"<style>{style}</style>", "</head>", "<body>",
            f"<h1>{_e(title)}</h1>"]


def _write_page(path: str | Path, render: Callable[[Path], str]) -> Path:
    """Write the page ``render(file)`` returns to ``path`` (a file, or a folder to hold
    ``report.html``); the page is rendered before anything is written. Returns the file."""
    out = Path(path)
    if out.is_dir():
        out = out / "report.html"
    page = render(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


def _e(value: Any) -> str:
    return html.escape(str(value))


def _figure(ax: Axes, caption: str) -> list[str]:
    """The HTML of one plot: ``ax`` as an embedded PNG, with ``caption``."""
    return ["<figure>",
            f'<img src="data:image/png;base64,{_png(ax)}" alt="{_e(ax.get_title())}">',
            f"<figcaption>{_e(caption)}</figcaption>",
            "</figure>"]


def _panels(result: BaseResult, section: tuple[tuple[Callable[..., Axes], str], ...]
            ) -> list[str]:
    """The HTML of a section's plots of ``result``: each as a figure, but those with nothing to
    show (what the plot says, :data:`SHOWN_EMPTY`, aside); a line says why of those left out
    for a reason of :data:`NOTED`."""
    figures: list[str] = []
    left_out: dict[str, list[str]] = {}
    for plot, caption in section:
        if plot is plots.limit_usage and not len(result.catalog.limit_names):
            continue  # (the usual case, known without drawing)
        ax = plot(result)
        said = plots._said(ax)
        if said is None or said in SHOWN_EMPTY:
            figures += _figure(ax, caption)
        elif said in NOTED:
            left_out.setdefault(said, []).append(ax.get_title())
    notes = [f"<p>Not drawn, {_e(why)}: {_e('; '.join(titles))}.</p>"
             for why, titles in left_out.items()]
    return notes + figures


def _png(ax: Axes) -> str:
    buffer = BytesIO()
    # .figure again: the root Figure (ax.figure may be a SubFigure, which has no savefig)
    ax.figure.figure.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _pct(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{100 * value:.1f}%"


def _stats(stats: dict[str, float | None]) -> str:
    if stats["mean"] is None:
        return "-"
    return ", ".join(f"{k} {hms(stats[k] or 0.0)}" for k in ("mean", "p50", "p95", "p99"))


def _summary_rows(s: dict[str, Any]) -> list[list[Any]]:
    """The headline numbers ``farmsim run`` prints (``cli.summary_table``)."""
    jobs = s["jobs"]
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in jobs.items() if k != "submitted")
    makespan = s["makespan_s"]
    cost = s["cost_usd"]
    return [
        ["scenario", f"{s['scenario']} (seed {s['seed']})"],
        ["simulated", hms(s["simulated_s"])],
        ["tasks", s["tasks"]],
        ["task runs", s["task_runs"]],
        ["jobs", f"{jobs['submitted']} submitted: {counts}"],
        ["makespan", hms(makespan) if makespan is not None
         else f"- ({jobs['unfinished']} unfinished)"],
        ["task wait", _stats(s["task_wait_s"])],
        ["turnaround (jobs that succeeded)", _stats(s["job_turnaround_s"])],
        ["worker-hours", f"{s['worker_hours']:.1f}"],
        ["worker utilisation", _pct(s["worker_utilization"])],
        *([list(line) for line in fairness.headlines(s["fairness"])]
          if isinstance(s.get("fairness"), dict) else []),
        *([["sessions", _sessions(s["sessions"])]] if s.get("sessions") else []),
        ["cost", f"${cost['total']:,.2f} (workers ${cost['workers']:,.2f}, "
                 f"licenses ${cost['licenses']:,.2f})"],
    ]


def _fairness_tables(fair: dict[str, Any]) -> list[str]:
    """The Fairness section's tables (the summary's ``fairness``, or for a results folder saved
    without it, the same computed from its tables): wait and turnaround by priority band and by
    queue, the longest wait, and Jain's index of each group of jobs of equal priority that
    competed for workers. None for a run without jobs."""
    parts = []
    for key, what in (("by_priority", "priority"), ("by_queue", "queue")):
        waits = fair["task_wait_s"][key]
        turnarounds = fair["job_turnaround_s"][key]
        rows = [[name, wait["count"], _stats(wait), turnarounds.get(name, {}).get("count", 0),
                 _stats(turnarounds[name]) if name in turnarounds else "-"]
                for name, wait in waits.items()]
        if not rows:  # (no jobs: the section says so once, below)
            return []
        parts += [f"<h3>Wait and turnaround by {what}</h3>", _table(
            [what, "task runs", "task wait", "jobs succeeded", "turnaround"], rows)]
    if fair.get("priority_bands") == "quarters":
        parts.append("<p>More than eight priorities: the bands are the quarters of 0-100.</p>")
    longest = fair.get("longest_wait")
    if longest:
        state = ("still READY at the end" if longest.get("assigned_at") is None
                 else f"assigned at {hms(longest['assigned_at'])}")
        parts.append(
            f"<p>Longest wait: {_e(hms(longest['wait_s']))}, task {_e(longest['task_id'])} of "
            f"job {_e(longest.get('job'))} ({_e(longest.get('job_id'))}, queue "
            f"{_e(longest.get('queue'))}, priority {_e(longest.get('priority'))}): READY at "
            f"{_e(hms(longest['ready_at']))}, {_e(state)}. Tasks READY at the end: "
            f"{_e(fair.get('tasks_ready_at_end', 0))}.</p>")
    groups = [[queue, int(priority), g["jobs"], hms(g["contended_s"]),
               "-" if g["jain"] is None else f"{g['jain']:.2f}",
               _pct(g["min_share"]), _pct(g["max_share"]),
               g.get("least_served_job") or g.get("least_served_job_id") or "-"]
              for queue, by in fair.get("worker_share", {}).items()
              for priority, g in by.items()]
    parts.append("<h3>Worker share among jobs of equal priority</h3>")
    if not groups:
        return [*parts, "<p>No two jobs of equal priority in one queue waited for workers at "
                "the same time.</p>"]
    return [*parts, _table(["queue", "priority", "jobs", "contended time", "Jain's index",
                            "least share", "most share", "least served"], groups),
            "<p>Per queue and priority, over the jobs that waited for workers (had READY tasks) "
            "while another job of the same queue and priority did: each job's share is its "
            "mean workers while it competed over the sum of theirs. Jain's index is 1 for an "
            "equal split, 1/n when one of n jobs got every worker.</p>"]


def _fleet_table(result: BaseResult) -> list[str]:
    """The Fleets section's table: per fleet, its peak of workers online, worker-hours, cost
    per worker-hour and cost (nothing for a farm without workers)."""
    fleets = plots._fleets(result)
    if not fleets:
        return []
    end = max(result.catalog.end_time, 0.0)
    rows = []
    for f in fleets:
        peak = int(f.online(f.changes).max(initial=0)) if len(f.started) else 0
        seconds = float(f.worker_seconds(np.array([end]))[0])
        price = f.cost_per_hour
        rows.append([f.name, peak, f"{seconds / 3600.0:,.1f}",
                     "-" if price is None else f"${price:,.2f}",
                     "-" if price is None else f"${seconds / 3600.0 * price:,.2f}"])
    return [_table(["fleet", "peak workers online", "worker-hours", "cost per worker-hour",
                    "cost"], rows)]


def _queue_cost_table(s: dict[str, Any]) -> list[str]:
    """The cost of each queue's work (summary.json's ``queues``): its busy worker time at its
    workers' fleet prices and the usage-billed licenses its runs held; then what belongs to no
    queue (idle workers, owned licenses). Nothing for a results folder without ``queues``."""
    queues = s.get("queues")
    if not isinstance(queues, dict) or not any(q["worker_hours"] > 0 or q["cost"] > 0
                                               for q in queues.values()):
        return []  # (none, or no work done: nothing to split)
    rows = [[name, f"{q['worker_hours']:,.1f}", f"${q.get('worker_cost', q['cost']):,.2f}",
             f"${q.get('license_cost', 0.0):,.2f}", f"${q['cost']:,.2f}"]
            for name, q in queues.items()]
    rest = s["cost_usd"]["total"] - sum(q["cost"] for q in queues.values())
    return ["<h3>Cost by queue</h3>",
            _table(["queue", "busy worker-hours", "workers", "licenses (usage)", "cost"], rows),
            f"<p>Idle worker time and owned licenses, which belong to no queue: "
            f"${max(rest, 0.0):,.2f} of the total ${s['cost_usd']['total']:,.2f}.</p>"]


def _budget_table(s: dict[str, Any]) -> str:
    """The budgets (summary.json's ``budgets``): queue, limit, what each counted and the
    actions it took."""
    rows = []
    for name, b in s["budgets"].items():
        taken = "; ".join(f"{a['type']} at {a['threshold_percentage']:g}% ({hms(a['time'])})"
                          for a in b.get("actions_taken", [])) or "none"
        rows.append([name, b["queue"], f"${b['limit_usd']:,.2f}", f"${b['spent_usd']:,.2f}",
                     _pct(b["spent_usd"] / b["limit_usd"] if b["limit_usd"] else None), taken])
    return _table(["budget", "queue", "limit", "spent", "of limit", "actions taken"], rows)


def _sessions(sessions: dict[str, Any]) -> str:
    per = sessions.get("task_runs_per_session")
    return (f"{sessions['count']:,} ({per or 0:.1f} task runs each); environments "
            f"{sessions['environment_hours']:.1f} h ({_pct(sessions['environment_share'])} of "
            f"busy time), syncs {sessions['sync_hours']:.1f} h ({_pct(sessions['sync_share'])})")


def _notes(s: dict[str, Any]) -> list[str]:
    notes = list(s.get("scenario_notes") or [])
    unused = s.get("runtime_rules_unused") or []
    if unused:
        notes.append("runtimes rules that no session action matched: "
                     + ", ".join(f"runtimes[{i}]" for i in unused))
    return notes


def _table(head: list[str], rows: list[list[Any]], *, header: bool = True) -> str:
    lines = ["<table>"]
    if header:
        lines.append("<tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>")
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            if i == 0 and not header:
                cells.append(f"<th>{_e(value)}</th>")
            else:
                cls = ' class="num"' if isinstance(value, (int, float)) else ""
                cells.append(f"<td{cls}>{_e(value)}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)
