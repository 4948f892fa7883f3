"""Plots and the HTML report of a run's result: a :class:`~farmsim.record.result.Result`, or one
read back by ``Result.load`` (both are a :class:`~farmsim.record.base.BaseResult`).

Importing this package does not load matplotlib: the plot functions import it when called,
and raise :class:`MatplotlibMissingError` (a FarmsimError and an ImportError) when it is not
installed; :func:`report_available` says beforehand.
"""

from farmsim.analysis.plots import (
    MatplotlibMissingError,
    fleet_cost,
    fleet_size,
    limit_usage,
    queue_backlog,
    tasks_by_status,
    turnaround_by_priority,
    wait_by_priority,
    worker_share,
    worker_timeline,
    workers_busy,
)
from farmsim.analysis.report import render_report, report_available, write_report

__all__ = [
    "MatplotlibMissingError",
    "fleet_cost",
    "fleet_size",
    "limit_usage",
    "queue_backlog",
    "render_report",
    "report_available",
    "tasks_by_status",
    "turnaround_by_priority",
    "wait_by_priority",
    "worker_share",
    "worker_timeline",
    "workers_busy",
    "write_report",
]
