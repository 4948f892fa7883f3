"""A sweep's ``report.html``: one self-contained page with what was swept, the recommendation
(for a license or capacity study), the plots and a table of the headline metrics per point.

It follows the look of a run's report (:mod:`farmsim.analysis.report`) and of the comparison
report. From the top: what the sweep is (points, replications, scenario, seed, common random
numbers or not, the confidence level); for a study, the recommendation's sentences, a table of
every point against the target with its costs, and a figure of the target metric against the
axis recommended along beside cost against service level; then what was swept (the axes and
their values, the settings, the runs that failed with their point, seed and error, how long it
took); the plots of :mod:`farmsim.analysis.sweep_plots`: the headline metrics against each
numeric axis with their confidence bands, cost against service level with the Pareto front
(unless the recommendation's figure has it), and the differences between adjacent points of the
target metric (or ``job_turnaround_s.mean``); last, the headline metrics per point, each a mean
and its interval.

The plots are embedded as PNG images; the page loads nothing from elsewhere, and every text
from the user (scenario name, axis names and values, errors) is escaped. Every figure keeps
its size whatever the size of the grid (at most :data:`MAX_PANELS` metrics, :data:`MAX_AXES`
axes, and :data:`~farmsim.analysis.sweep_plots.MAX_LINES` lines in a panel), and the tables
list at most :data:`MAX_ROWS` points and :data:`MAX_FAILURES` failed runs, saying so when there
are more.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from farmsim._progress import hms
from farmsim.analysis import plots
from farmsim.analysis import sweep_plots as splots
from farmsim.analysis.report import _STYLE, _e, _figure, _page_head, _write_page
from farmsim.sweeps.grid import value_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from farmsim.sweeps.recommend import Recommendation
    from farmsim.sweeps.sweep import Sweep

__all__ = ["render_sweep_report", "write_sweep_report"]

#: Most metrics in a figure of headline metrics (a panel each).
MAX_PANELS = 8
#: Most axes with a figure of headline metrics of their own.
MAX_AXES = 3
#: Most points the tables list.
MAX_ROWS = 200
#: Most failed runs the page lists.
MAX_FAILURES = 50
#: Most values of an axis the page lists.
MAX_VALUES = 40
#: Most characters of a failed run's error shown.
_ERROR_CHARS = 400
_EXTRA_STYLE = """
tr.recommended td, tr.recommended th { font-weight: bold; background: #e3f2e1; }
p.recommendation { font-size: 1.1em; }
ul.recommendation li { margin: 0.3em 0; }
table.compact { font-size: 0.92em; }
table.compact td.num { white-space: nowrap; }
span.ci { color: #666; font-size: 0.85em; }
div.wide { overflow-x: auto; }
td.error { font-family: monospace; white-space: pre-wrap; max-width: 40em; }
p.note { color: #555; }
"""


def render_sweep_report(sweep: Sweep) -> str:
    """The report page of ``sweep``, as HTML text.

    Raises:
        MatplotlibMissingError: matplotlib cannot be imported.
    """
    plots._require_matplotlib()
    title = f"farmsim sweep: {sweep.scenario}"
    rec = sweep.recommendation
    parts = [
        *_page_head(title, _STYLE + _EXTRA_STYLE),
        f"<p>{_e(_intro(sweep))}</p>",
    ]
    key = _key_figure(sweep)
    if rec is not None:
        parts += _recommendation(sweep, rec)
    if key is not None:
        parts += _figure(key[0], key[1])
    parts += ["<h2>What was swept</h2>", _axis_table(sweep), _settings_table(sweep)]
    parts += _failures(sweep)
    timing = _timing(sweep)
    if timing:
        parts.append(f'<p class="note">{_e(timing)}</p>')
    figures = _figures(sweep, key)
    if figures:
        parts.append("<h2>Plots</h2>")
        for ax, caption in figures:
            parts += _figure(ax, caption)
    parts += _summary(sweep)
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def write_sweep_report(sweep: Sweep, path: str | Path) -> Path:
    """Write :func:`render_sweep_report` to ``path`` (a file, or a folder to hold
    ``report.html``). Returns the file written.

    Raises:
        MatplotlibMissingError: matplotlib cannot be imported (nothing is written).
    """
    return _write_page(path, lambda out: render_sweep_report(sweep))


# ---------------------------------------------------------------------------- parts


def _intro(sweep: Sweep) -> str:
    n, r = len(sweep.points), sweep.replications
    source = f" ({sweep.source})" if sweep.source else ""
    seeds = ("on common random numbers: replication r of every point runs with the same seed, "
             "so points differ only by their settings and their differences are paired"
             if sweep.common_random_numbers else
             "on independent random numbers: every run has seeds of its own")
    return (f"{n} point{'s' if n != 1 else ''} x {r} replication{'s' if r != 1 else ''} of "
            f"scenario {sweep.scenario}{source}, seed {sweep.seed}, {seeds}. Means are given "
            f"with their {sweep.confidence:.0%} confidence interval (Student's t over the "
            "replications).")


def _recommendation(sweep: Sweep, rec: Recommendation) -> list[str]:
    what = {"licenses": "license count", "capacity": "fleet size"}.get(rec.kind, rec.axis)
    parts = ["<h2>Recommendation</h2>",
             '<ul class="recommendation">',
             *(f"<li>{_e(line)}</li>" for line in rec.lines()),
             "</ul>"]
    if rec.target is not None:
        parts.append(
            f'<p class="note">A point meets {_e(rec.target.describe())} when the one-sided '
            f"{rec.confidence:.0%} bound of its mean is within it, every run of it finished "
            f"all its jobs and none failed. Rows in bold are the points recommended.</p>")
    head = [a.name for a in sweep.axes]
    if rec.target is not None:
        head += [f"{rec.target.metric} [{rec.confidence:.0%} interval]", "one-sided bound",
                 "meets"]
    head += ["workers", "licenses", "workers + licenses"]
    priced = rec.delay_cost_per_hour is not None
    if priced:
        head += ["delay", f"total [{rec.confidence:.0%} interval]"]
    picked = {p for p in rec.meets.values() if p is not None}
    picked |= {p for p in (rec.cheapest_meeting, rec.cheapest) if p is not None}
    lines = ['<table class="compact">',
             "<tr>" + "".join(f"<th>{_head(h)}</th>" for h in head) + "</tr>"]
    for row in rec.rows[:MAX_ROWS]:
        p = sweep.points[row["point"]]
        cells = [f"<{'th' if i == 0 else 'td'}>{_e(value_label(v))}</{'th' if i == 0 else 'td'}>"
                 for i, v in enumerate(p.values)]
        if rec.target is not None:
            metric = rec.target.metric
            meets = "yes" if row.get("meets") else (
                "no (jobs unfinished)" if not row.get("all_finished", True) else "no")
            cells += [_ranged_cell(metric, row.get("mean"), row.get("ci_low"),
                                   row.get("ci_high")),
                      _num(_fmt(metric, row.get("bound"))), f"<td>{_e(meets)}</td>"]
        cells += [_num(_fmt("cost", row.get("workers_usd"))),
                  _num(_fmt("cost", row.get("licenses_usd"))),
                  _num(_fmt("cost", row.get("cost_usd")))]
        if priced:
            cells += [_num(_fmt("cost", row.get("delay_usd"))),
                      _ranged_cell("cost", row.get("total_cost_usd"), row.get("total_ci_low"),
                                   row.get("total_ci_high"))]
        cls = ' class="recommended"' if row["point"] in picked else ""
        lines.append(f"<tr{cls}>{''.join(cells)}</tr>")
    lines.append("</table>")
    parts.append('<div class="wide">' + "\n".join(lines) + "</div>")
    if len(rec.rows) > MAX_ROWS:
        parts.append(f'<p class="note">The first {MAX_ROWS} of {len(rec.rows)} points.</p>')
    parts.append('<p class="note">Costs are means per run, in dollars: workers, licenses'
                 + (f", and each job-hour in the farm at ${rec.delay_cost_per_hour:,.2f} "
                    "(delay)" if priced else "")
                 + f". The {_e(what)} is the value of {_e(rec.axis)}.</p>")
    return parts


def _axis_table(sweep: Sweep) -> str:
    if not sweep.axes:
        return "<p>No axis: one point, the scenario as it is.</p>"
    lines = ["<table>", "<tr><th>axis</th><th>sets</th><th>values</th></tr>"]
    for axis in sweep.axes:
        labels = axis.labels()
        shown = ", ".join(labels[:MAX_VALUES])
        if len(labels) > MAX_VALUES:
            shown += f", … ({len(labels)} values)"
        sets = ("the scenario's variant" if axis.is_variant
                else ", ".join(axis.paths) or axis.name)
        lines.append(f"<tr><th>{_e(axis.name)}</th><td>{_e(sets)}</td>"
                     f"<td>{_e(shown)}</td></tr>")
    lines.append("</table>")
    return "\n".join(lines)


def _settings_table(sweep: Sweep) -> str:
    rows: list[tuple[str, str]] = [
        ("points", f"{len(sweep.points):,}"),
        ("replications", f"{sweep.replications:,} per point"),
        ("runs", f"{len(sweep.points) * sweep.replications:,}, of which "
                 f"{len(sweep.failures):,} failed"),
        ("seed", str(sweep.seed)),
        ("common random numbers", "yes: paired differences" if sweep.common_random_numbers
         else "no: independent runs (Welch's intervals)"),
        ("confidence level", f"{sweep.confidence:.0%}"),
    ]
    if sweep.until is not None:
        rows.append(("simulated time per run", hms(sweep.until)))
    if sweep.deadline_s is not None:
        rows.append(("deadline (jobs_on_time)", hms(sweep.deadline_s)))
    if sweep.delay_cost_per_hour is not None:
        rows.append(("cost of delay", f"${sweep.delay_cost_per_hour:,.2f} per job-hour"))
    rows += [(key, value_label(sweep.extra[key])) for key in ("study", "limit", "fleet")
             if key in sweep.extra]
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _failures(sweep: Sweep) -> list[str]:
    if not sweep.failures:
        return []
    n = len(sweep.failures)
    parts = [f"<h2>Runs that failed ({n:,})</h2>",
             "<p>A failed run gives no values: its point's means and intervals are over the "
             "runs that succeeded, and it meets no target.</p>",
             "<table>", "<tr><th>point</th><th>replication</th><th>seed</th><th>status</th>"
             "<th>error</th></tr>"]
    for f in sweep.failures[:MAX_FAILURES]:
        error = f.error if len(f.error) <= _ERROR_CHARS else f.error[:_ERROR_CHARS] + " …"
        parts.append(f"<tr><th>{f.point}: {_e(f.label)}</th><td class=\"num\">{f.replication}"
                     f'</td><td class="num">{f.seed}</td><td>{_e(f.status)}</td>'
                     f'<td class="error">{_e(error)}</td></tr>')
    parts.append("</table>")
    if n > MAX_FAILURES:
        parts.append(f'<p class="note">The first {MAX_FAILURES} of {n:,} failed runs '
                     "(sweep.json lists them all).</p>")
    return parts


def _timing(sweep: Sweep) -> str:
    t = sweep.timing
    if not t:
        return ""
    out = []
    if t.get("runs_run") is not None:
        executor, workers = t.get("executor"), t.get("workers")
        where = {"serial": "one after another in one process",
                 "processes": f"on {workers} processes",
                 "dask": f"on Dask ({workers} workers)"}.get(
            str(executor), f"on {executor}" + (f" ({workers} workers)" if workers else ""))
        out.append(f"{t['runs_run']:,} runs ran {where}")
    if t.get("runs_resumed"):
        out.append(f"{t['runs_resumed']:,} were found saved by an earlier sweep")
    if isinstance(t.get("wall_s"), int | float):
        out.append(f"the sweep took {_seconds(float(t['wall_s']))}")
    if isinstance(t.get("run_s_mean"), int | float):
        out.append(f"a run {_seconds(float(t['run_s_mean']))} on average")
    if t.get("finished_at"):
        when = str(t["finished_at"])
        with contextlib.suppress(ValueError):
            when = dt.datetime.fromisoformat(when).strftime("%Y-%m-%d %H:%M %Z").strip()
        out.append(f"finished {when}")
    return ("Timing: " + "; ".join(out) + ".") if out else ""


def _headline(sweep: Sweep) -> list[str]:
    """The metrics of the plots and the summary: the target's first, then the sweep's
    headline ones and the total cost."""
    have = set(sweep.metrics)
    rec = sweep.recommendation
    first = [rec.target.metric] if rec is not None and rec.target is not None else []
    wanted = [*first, *sweep.headline(), "total_cost_usd"]
    return [m for m in dict.fromkeys(wanted) if m in have][:MAX_PANELS]


def _cost_service(sweep: Sweep) -> tuple[str, str] | None:
    """The cost and service metrics of the cost-service plot, or None when the sweep lacks
    one."""
    have = set(sweep.metrics)
    rec = sweep.recommendation
    cost = "total_cost_usd" if "total_cost_usd" in have else "cost_usd.total"
    service = (rec.target.metric if rec is not None and rec.target is not None
               else "job_turnaround_s.p95")
    return (cost, service) if cost in have and service in have else None


def _key_figure(sweep: Sweep) -> tuple[Axes, str, bool] | None:
    """The figure under a recommendation: its target metric (or the cost) against the axis it
    recommends along, and cost against service level; with its caption, and whether it has
    the cost-service plot. None without a recommendation."""
    from matplotlib.figure import Figure

    rec = sweep.recommendation
    have = set(sweep.metrics)
    if rec is None:
        return None
    metric = rec.target.metric if rec.target is not None else (
        "total_cost_usd" if "total_cost_usd" in have else "cost_usd.total")
    if metric not in have:
        return None
    pair = _cost_service(sweep)
    level = f"{sweep.confidence:.0%}"
    figure = Figure(figsize=(11, 4.6) if pair else (7, 4.6), layout="constrained")
    axes = figure.subplots(1, 2 if pair else 1, squeeze=False).ravel()
    splots.metric_plot(sweep, metric, axis=rec.axis, ax=axes[0])
    caption = (f"Left: {metric} against {rec.axis}, each point's mean (line), its {level} "
               "confidence interval (band) and each replication's value (dots)")
    if rec.target is not None:
        caption += (f"; the dashed line is the target {rec.target.describe()}, a star the "
                    "smallest point that meets it")
    if pair:
        cost, service = pair
        splots.cost_service_plot(sweep, service=service, cost=cost, ax=axes[1])
        caption += (f". Right: {_cost_words(cost)} against {service}, each point's means with "
                    f"{level} intervals both ways; the line joins the Pareto front (the points "
                    "no other point beats on both cost and service), the recommended points "
                    "are marked")
    return axes[0], caption + ".", pair is not None


def _cost_words(cost: str) -> str:
    return ("the cost per run of workers, licenses and delay" if cost == "total_cost_usd"
            else f"the cost per run ({cost})")


def _figures(sweep: Sweep, key: tuple[Axes, str, bool] | None) -> list[tuple[Axes, str]]:
    """The figures of the Plots section (an Axes of each, whose figure is drawn) and their
    captions; what the ``key`` figure shows (:func:`_key_figure`) is left out."""
    from matplotlib.figure import Figure

    out: list[tuple[Axes, str]] = []
    level = f"{sweep.confidence:.0%}"
    rec = sweep.recommendation
    numeric = [a.name for a in sweep.axes if splots.is_numeric(a)]
    along: list[str | None] = list(numeric[:MAX_AXES])
    if not along:
        along = [sweep.axes[0].name] if sweep.axes else [None]
    for name in along:
        metrics = _headline(sweep)
        if key is not None and rec is not None and rec.target is not None and (
                name == rec.axis):
            metrics = [m for m in metrics if m != rec.target.metric]  # (in the key figure)
        if not metrics:
            continue
        cols = 1 if len(metrics) == 1 else 2
        rows = math.ceil(len(metrics) / cols)
        figure = Figure(figsize=(11, 3.4 * rows + 0.4), layout="constrained")
        axes = figure.subplots(rows, cols, squeeze=False).ravel()
        for i, (ax, metric) in enumerate(zip(axes, metrics, strict=False)):
            splots.metric_plot(sweep, metric, axis=name, ax=ax)
            legend = ax.get_legend()
            if i > 0 and legend is not None and not _keeps_legend(sweep, metric):
                legend.remove()
        for ax in axes[len(metrics):]:
            ax.set_visible(False)
        lines = len({tuple(v for j, v in enumerate(p.values) if name is None or
                           sweep.axes[j].name != name) for p in sweep.points})
        caption = (f"Headline metrics against {name or 'the scenario'}: each point's mean "
                   f"(line), its {level} confidence interval (band, or error bar for "
                   "categories) and each replication's value (dots)")
        if lines > 1:
            caption += ("; a line per combination of the other axes"
                        + (f" (the first {splots.MAX_LINES} of {lines})"
                           if lines > splots.MAX_LINES else "")
                        + ", named in the first panel's legend")
        if rec is not None and rec.target is not None and rec.target.metric in metrics:
            caption += (f". The dashed line is the target {rec.target.describe()}; a star marks "
                        "the smallest point that meets it")
        out.append((axes[0], caption + "."))
    pair = _cost_service(sweep)
    if pair is not None and not (key is not None and key[2]):
        cost, service = pair
        figure = Figure(figsize=(11, 6), layout="constrained")
        ax = splots.cost_service_plot(sweep, service=service, cost=cost, ax=figure.subplots())
        words = _cost_words(cost)
        out.append((ax, f"{words[0].upper()}{words[1:]} against {service}: each point's "
                        f"means with {level} intervals both ways, labelled with its values. The "
                        "line joins the Pareto front: the points no other point beats on both "
                        "cost and service. Recommended points are marked."))
    have = set(sweep.metrics)
    metric = (rec.target.metric if rec is not None and rec.target is not None
              else "job_turnaround_s.mean")
    axis = rec.axis if rec is not None else splots.default_axis(sweep)
    k = next((j for j, a in enumerate(sweep.axes) if a.name == axis), None)
    if metric in have and k is not None and len(sweep.axes[k].values) > 1:
        figure = Figure(figsize=(11, 4.8), layout="constrained")
        ax = splots.difference_plot(sweep, metric, axis=axis, ax=figure.subplots())
        how = ("paired by replication (common random numbers)" if sweep.common_random_numbers
               else "Welch's interval (independent runs)")
        out.append((ax, f"The change in {metric} from each value of {axis} to the next, the "
                        f"other axes held, with its {level} interval, {how}. An interval "
                        "clear of zero is a change the replications can tell."))
    return out


def _keeps_legend(sweep: Sweep, metric: str) -> bool:
    """Whether a panel after the first keeps its legend: it has the target or a mark."""
    rec = sweep.recommendation
    return rec is not None and ((rec.target is not None and rec.target.metric == metric)
                                or metric == "total_cost_usd")


def _summary(sweep: Sweep) -> list[str]:
    metrics = _headline(sweep)
    if not metrics:
        return ["<h2>Summary</h2>", "<p>No run gave any metric.</p>"]
    intervals = {m: splots.point_intervals(sweep, m) for m in metrics}
    head = ["point", *(a.name for a in sweep.axes), "runs with values", *metrics]
    lines = ['<table class="compact">',
             "<tr>" + "".join(f"<th>{_head(h)}</th>" for h in head) + "</tr>"]
    for p in sweep.points[:MAX_ROWS]:
        n = max((intervals[m][p.index].n for m in metrics), default=0)
        cells = [f'<td class="num">{p.index}</td>',
                 *(f"<td>{_e(value_label(v))}</td>" for v in p.values),
                 f'<td class="num">{n} of {sweep.replications}</td>',
                 *(_ranged_cell(m, iv.mean, iv.low, iv.high) if iv.n else _num("-")
                   for m in metrics for iv in [intervals[m][p.index]])]
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table>")
    parts = ["<h2>Summary</h2>",
             f"<p>Per point: the mean over its replications [{sweep.confidence:.0%} "
             "confidence interval]. summary.parquet holds every metric.</p>",
             '<div class="wide">' + "\n".join(lines) + "</div>"]
    if len(sweep.points) > MAX_ROWS:
        parts.append(f'<p class="note">The first {MAX_ROWS} of {len(sweep.points):,} '
                     "points.</p>")
    return parts


# ---------------------------------------------------------------------------- helpers


def _head(text: str) -> str:
    """A column heading, escaped, that may break after each dot (long metric names)."""
    return _e(text).replace(".", ".<wbr>")


def _num(text: str) -> str:
    return f'<td class="num">{_e(text)}</td>'


def _value(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def _fmt(metric: str, value: Any) -> str:
    """A metric's value for people: durations as ``4h 12m``, costs in dollars, shares in
    percent (as :func:`farmsim.sweeps.recommend.format_value`)."""
    v = _value(value)
    if math.isnan(v):
        return "-"
    sign = "-" if v < 0 else ""
    if splots.is_duration(metric):  # two parts: 4h 12m, 3m 20s
        return sign + " ".join(hms(abs(v)).split()[:2])
    if splots.is_cost(metric):  # cents below $1,000
        return f"{sign}${abs(v):,.0f}" if abs(v) >= 1000 else f"{sign}${abs(v):,.2f}"
    if splots.is_share(metric):
        return f"{v:.1%}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _ranged_cell(metric: str, mean: Any, low: Any, high: Any) -> str:
    """A table cell of a mean, its interval on a line below (smaller)."""
    if math.isnan(_value(mean)):
        return _num("-")
    if math.isnan(_value(low)) or math.isnan(_value(high)):
        return _num(_fmt(metric, mean))
    return (f'<td class="num">{_e(_fmt(metric, mean))}<br><span class="ci">'
            f"[{_e(_fmt(metric, low))}, {_e(_fmt(metric, high))}]</span></td>")


def _seconds(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 60 else hms(seconds)
