"""Plots and the HTML report of a run's result: a :class:`~farmsim.record.result.Result`, or one
read back by ``Result.load`` (both are a :class:`~farmsim.record.base.BaseResult`); and of a
:class:`~farmsim.analysis.comparison.Comparison` of a scenario's variants (``variant_*`` plots,
:func:`write_comparison_report`).

Importing this package does not load matplotlib: the plot functions import it when called,
and raise :class:`MatplotlibMissingError` (a FarmsimError and an ImportError) when it is not
installed; :func:`report_available` says beforehand.
"""

from farmsim.analysis.comparison import Comparison
from farmsim.analysis.comparison_plots import (
    variant_jobs_running,
    variant_turnaround_ecdf,
    variant_wait_by_priority,
    variant_worker_share,
    variant_workers_busy,
)
from farmsim.analysis.comparison_report import (
    render_comparison_report,
    write_comparison_report,
)
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
    "Comparison",
    "MatplotlibMissingError",
    "fleet_cost",
    "fleet_size",
    "limit_usage",
    "queue_backlog",
    "render_comparison_report",
    "render_report",
    "report_available",
    "tasks_by_status",
    "turnaround_by_priority",
    "variant_jobs_running",
    "variant_turnaround_ecdf",
    "variant_wait_by_priority",
    "variant_worker_share",
    "variant_workers_busy",
    "wait_by_priority",
    "worker_share",
    "worker_timeline",
    "workers_busy",
    "write_comparison_report",
    "write_report",
]
