"""Plots and the HTML report of a run's :class:`~farmsim.record.result.Result`.

Importing this package does not load matplotlib: the plot functions import it when called.
"""

from farmsim.analysis.plots import (
    limit_usage,
    queue_backlog,
    tasks_by_status,
    turnaround_by_priority,
    wait_by_priority,
    worker_timeline,
    workers_busy,
)
from farmsim.analysis.report import render_report, write_report

__all__ = [
    "limit_usage",
    "queue_backlog",
    "render_report",
    "tasks_by_status",
    "turnaround_by_priority",
    "wait_by_priority",
    "worker_timeline",
    "workers_busy",
    "write_report",
]
