"""The comparison report: one self-contained page comparing a scenario's variants.

It follows the look of a run's report (:mod:`farmsim.analysis.report`): the variants and what
each sets; a table of the metrics (:func:`farmsim.analysis.comparison.metric_rows`), a row per
metric and a column per variant, the best value of each row in bold; then the plots of
:mod:`farmsim.analysis.comparison_plots`: job turnaround as a cumulative distribution (a panel
per priority band when there are several), task wait by priority band, each job's share of the
workers among jobs of equal priority, and the jobs in progress and busy workers over time.
Plots are embedded as PNG images; the page loads nothing from elsewhere.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from farmsim.analysis import comparison_plots as cplots
from farmsim.analysis import plots
from farmsim.analysis.comparison import format_metric, metric_rows
from farmsim.analysis.report import _STYLE, SHOWN_EMPTY, _e, _figure, _page_head, _write_page

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from farmsim.analysis.comparison import Comparison

__all__ = ["render_comparison_report", "write_comparison_report"]

#: Most panels of the turnaround figure (one per priority band, the highest first).
_MAX_PANELS = 4
_EXTRA_STYLE = """
td.best { font-weight: bold; background: #e3f2e1; }
td.set code { white-space: pre; }
"""


def render_comparison_report(comparison: Comparison, *, links: bool = False) -> str:
    """The comparison report of ``comparison``, as HTML text.

    Args:
        links: link each variant's name to its own report (``<variant>/report.html``, beside
            the comparison's report in a folder written by ``farmsim run``).

    Raises:
        MatplotlibMissingError: matplotlib cannot be imported.
    """
    plots._require_matplotlib()
    title = f"farmsim comparison: {comparison.scenario}"
    parts = [
        *_page_head(title, _STYLE + _EXTRA_STYLE),
        f"<p>{_e(_intro(comparison))}</p>",
        "<h2>Variants</h2>",
        _variant_table(comparison, links=links),
        "<h2>Metrics</h2>",
        _metric_table(comparison),
        "<p>The best value of each row is in bold: the lowest time, worker-hours and cost, the "
        "most jobs succeeded, the highest utilisation, Jain's index and least share. "
        "Turnaround counts the jobs that succeeded; task wait runs from READY to assignment. "
        "Jain's index, per queue and priority, is over the jobs that waited for workers while "
        "another of them did: 1 when each got the same number of workers, 1/n when one of n "
        "got them all.</p>",
        "<h2>Plots</h2>",
    ]
    figures, left_out = _figures(comparison)
    parts += [f"<p>Not drawn, {_e(why)}: {_e('; '.join(titles))}.</p>"
              for why, titles in left_out.items()]
    for ax, caption in figures:
        parts += _figure(ax, caption)
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def write_comparison_report(comparison: Comparison, path: str | Path) -> Path:
    """Write :func:`render_comparison_report` to ``path`` (a file, or a folder to hold
    ``report.html``), linking each variant to its own report where ``<variant>/report.html``
    exists beside it. Returns the file written.

    Raises:
        MatplotlibMissingError: matplotlib cannot be imported (nothing is written).
    """
    return _write_page(path, lambda out: render_comparison_report(comparison, links=all(
        (out.parent / name / "report.html").is_file() for name in comparison.names)))


# ---------------------------------------------------------------------------- parts


def _intro(comparison: Comparison) -> str:
    n = len(comparison)
    source = f" ({comparison.source})" if comparison.source else ""
    return (f"{n} variant{'s' if n != 1 else ''} of scenario {comparison.scenario}{source}, "
            f"with seed {comparison.seed}, {comparison.runs_text()}: every variant sees the "
            "same submissions and the same first-attempt task durations and outcomes.")


def _variant_table(comparison: Comparison, *, links: bool) -> str:
    lines = ["<table>", "<tr><th>variant</th><th>description</th><th>set</th></tr>"]
    for v in comparison.variants:
        name = (f'<a href="{_e(v.name)}/report.html">{_e(v.name)}</a>' if links
                else _e(v.name))
        changes = "\n".join(f"{path}: {_shown(value)}" for path, value in v.overrides.items())
        lines.append(f"<tr><th>{name}</th><td>{_e(v.description or '')}</td>"
                     f'<td class="set"><code>{_e(changes or "(the scenario as it is)")}'
                     "</code></td></tr>")
    lines.append("</table>")
    return "\n".join(lines)


def _metric_table(comparison: Comparison) -> str:
    rows = metric_rows(comparison.metrics())
    names = comparison.names
    lines = ["<table>", "<tr><th>metric</th>"
             + "".join(f"<th>{_e(name)}</th>" for name in names) + "</tr>"]
    for row in rows:
        best = set(row.best())
        cells = "".join(
            f'<td class="num{" best" if name in best else ""}">'
            f"{_e(format_metric(row.kind, row.values[name]))}</td>" for name in names)
        lines.append(f"<tr><th>{_e(row.label)}</th>{cells}</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def _figures(comparison: Comparison) -> tuple[list[tuple[Axes, str]], dict[str, list[str]]]:
    """The report's figures (an Axes of each, whose figure is drawn) and their captions; and
    the titles of the plots left out, having nothing to show, by what they say (a plot that
    says no task was assigned is drawn: that is its outcome)."""
    out: list[tuple[Axes, str]] = []
    left_out: dict[str, list[str]] = {}

    def add(ax: Axes, caption: str) -> None:
        said = plots._said(ax)
        if said is None or said in SHOWN_EMPTY:
            out.append((ax, caption))
        else:
            left_out.setdefault(said, []).append(ax.get_title())

    bands = cplots.priority_bands(comparison)
    if len(bands) > 1:
        shown = list(reversed(bands))[:_MAX_PANELS]
        figure = plots._new_figure((10, 4.5) if len(shown) <= 2 else (10, 8.5))
        cols = min(len(shown), 2)
        axes = figure.subplots(math.ceil(len(shown) / cols), cols, squeeze=False).ravel()
        for ax, band in zip(axes, shown, strict=False):
            cplots.variant_turnaround_ecdf(comparison, band, ax=ax)
        for ax in axes[len(shown):]:
            ax.set_visible(False)
        caption = ("Job turnaround per priority band (the highest first"
                   + (f"; the {_MAX_PANELS} highest of {len(bands)}" if len(bands) > _MAX_PANELS
                      else "")
                   + "): for each turnaround, the fraction of the band's jobs that succeeded "
                     "within it, one line per variant. A line further left is faster.")
        out.append((axes[0], caption))
    else:
        add(cplots.variant_turnaround_ecdf(comparison),
            "Job turnaround: for each turnaround, the fraction of the jobs that succeeded "
            "within it, one line per variant. A line further left is faster.")
    add(cplots.variant_wait_by_priority(comparison),
        "Task wait (READY until assigned to a worker) by priority band of the task's job: the "
        "mean (bars) and the 95th percentile (black ticks) per variant.")
    add(cplots.variant_worker_share(comparison),
        "Jobs of one queue and priority that waited for workers at the same time: each job's "
        "mean workers while it competed, over its group's mean (1 is an equal split, 0 a job "
        "that got none), per variant; Jain's index under each.")
    # Jobs in progress above busy workers, sharing the time axis (either alone when the other
    # has nothing to show).
    jobs = ("Jobs in progress (from their first assignment to their end) over time, one line "
            "per variant.")
    workers = "Busy workers over time, one line per variant."
    figure = plots._new_figure((10, 7))
    top, bottom = figure.subplots(2, 1, sharex=True)
    cplots.variant_jobs_running(comparison, ax=top)
    cplots.variant_workers_busy(comparison, ax=bottom)
    if plots._said(top) is None and plots._said(bottom) is None:
        top.set_xlabel("")
        out.append((top, "Jobs in progress (from their first assignment to their end) and "
                         "busy workers over time, one line per variant."))
    else:
        for ax, plot, caption in ((top, cplots.variant_jobs_running, jobs),
                                  (bottom, cplots.variant_workers_busy, workers)):
            add(ax if plots._said(ax) is not None else plot(comparison), caption)
    return out, left_out


def _shown(value: Any) -> str:
    """A value of a variant's ``set`` as YAML's flow style would show it (JSON-like)."""
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return repr(value)
