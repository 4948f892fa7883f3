"""What every result of a run is: its catalog, its tables and its summary, and how it is saved.

:class:`BaseResult` is the interface the plots, the report and :meth:`BaseResult.save` use.
:class:`~farmsim.record.result.Result` computes it from a run's records;
:class:`~farmsim.record.saved.SavedResult` reads it back from a results folder
(``Result.load``). This module also holds what both agree on: the table names, the file names of
a results folder, and the categories of the status columns.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from farmsim._progress import hms
from farmsim._version import __version__
from farmsim.errors import ResultsError, UsageError
from farmsim.model.config import BUDGET_ACTION_TYPES
from farmsim.model.enums import TASK_STATUSES, WorkerStatus
from farmsim.record.recorder import JOB_SETTINGS
from farmsim.record.runs import RUN_STATUSES

__all__ = [
    "ACTION_STATUS_NAMES",
    "BUDGET_ACTION_NAMES",
    "FORMATS",
    "JOB_SETTING_NAMES",
    "MANIFEST",
    "OPTIONAL_TABLES",
    "RUN_STATUS_NAMES",
    "SCALING_STATUS_NAMES",
    "SUMMARY",
    "TABLES",
    "TASK_STATUS_NAMES",
    "WORKER_STATUS_NAMES",
    "BaseResult",
    "ResultCatalog",
    "categorical",
]

#: Table names, in the order they are written.
TABLES = ("jobs", "steps", "task_runs", "task_events", "workers", "limit_usage", "sessions",
          "session_actions", "tasks", "job_updates", "fleet_scaling", "budget_events")
#: Tables a results folder saved before they existed may lack (read back empty).
OPTIONAL_TABLES = ("budget_events",)
#: Table file formats, each also the suffix of its files (``jobs.parquet``).
FORMATS = ("parquet", "csv")
#: The headline metrics of a results folder, and the list of its files (written last).
SUMMARY, MANIFEST = "summary.json", "manifest.json"

#: The categories of the status columns, in code order: a task's (TaskRunStatus), a task run's,
#: a worker's (WorkerStatus); and of ``job_updates.setting``.
TASK_STATUS_NAMES = np.array([s.value for s in TASK_STATUSES], dtype=object)
RUN_STATUS_NAMES = np.array(RUN_STATUSES, dtype=object)
#: A session action's: a run's, and ASSIGNED for one not begun when the results were taken
#: (a setup action queued behind one going on, or the taskRun they prepare).
ACTION_STATUS_NAMES = np.array((*RUN_STATUSES, "ASSIGNED"), dtype=object)
WORKER_STATUS_NAMES = np.array([s.value for s in WorkerStatus], dtype=object)
JOB_SETTING_NAMES = np.array(JOB_SETTINGS, dtype=object)
#: The categories of ``fleet_scaling.status`` (the API's AutoScalingStatus), in code order.
SCALING_STATUS_NAMES = np.array(("GROWING", "STEADY", "SHRINKING"), dtype=object)
#: The categories of ``budget_events.action`` (the API's BudgetActionType), in code order.
BUDGET_ACTION_NAMES = np.array(BUDGET_ACTION_TYPES, dtype=object)


class ResultCatalog(Protocol):
    """What every result's catalog holds: the names and ids the plots and the report use (a
    live result's :class:`~farmsim.record.catalog.Catalog` holds much more)."""

    @property
    def name(self) -> str: ...
    @property
    def seed(self) -> int: ...
    @property
    def end_time(self) -> float: ...
    @property
    def queue_names(self) -> Sequence[str]: ...
    @property
    def queue_ids(self) -> np.ndarray: ...
    @property
    def limit_names(self) -> Sequence[str]: ...
    @property
    def limit_ids(self) -> np.ndarray: ...
    @property
    def limit_max(self) -> Sequence[int]: ...


class BaseResult:
    """The catalog, tables and summary of one run, however they were obtained.

    A subclass provides (the extension points):

    - ``catalog``: a :class:`ResultCatalog`;
    - the tables, one DataFrame each (:data:`TABLES`): ``jobs``, ``steps``, ``task_runs``,
      ``task_events``, ``workers``, ``limit_usage``, ``sessions``, ``session_actions``,
      ``tasks``, ``job_updates``, ``fleet_scaling``, ``budget_events``;
    - :meth:`summary`: the headline metrics, the keys of ``summary.json``.

    This class writes them to a results folder (:meth:`save`).
    """

    # Declared for the type checker only: a property here would stand in the way of a
    # subclass's instance attribute (Result sets its catalog in __init__).
    if TYPE_CHECKING:

        @property
        def catalog(self) -> ResultCatalog: ...
        @property
        def jobs(self) -> pd.DataFrame: ...
        @property
        def steps(self) -> pd.DataFrame: ...
        @property
        def tasks(self) -> pd.DataFrame: ...
        @property
        def task_runs(self) -> pd.DataFrame: ...
        @property
        def task_events(self) -> pd.DataFrame: ...
        @property
        def workers(self) -> pd.DataFrame: ...
        @property
        def limit_usage(self) -> pd.DataFrame: ...
        @property
        def sessions(self) -> pd.DataFrame: ...
        @property
        def session_actions(self) -> pd.DataFrame: ...
        @property
        def job_updates(self) -> pd.DataFrame: ...
        @property
        def fleet_scaling(self) -> pd.DataFrame: ...
        @property
        def budget_events(self) -> pd.DataFrame: ...

    def summary(self) -> dict[str, Any]:
        """Headline metrics; the same keys as ``summary.json``."""
        raise NotImplementedError

    def _repr_html_(self) -> str:
        """A compact HTML summary, which Jupyter shows for a result: the scenario, seed and
        simulated time, the jobs and task runs, turnaround and task wait (mean and p95),
        worker-hours, utilisation and cost, and a table of the limits when the farm has any.
        From :meth:`summary` alone: nothing is plotted."""
        return _summary_html(self.summary(), kind=type(self).__name__,
                            folder=getattr(self, "directory", None))

    def save(self, directory: str | Path, *, format: str = "parquet") -> Path:
        """Write every table (Parquet, or CSV with ``format="csv"``), ``summary.json`` and, last,
        ``manifest.json``: the run (farmsim version, format, scenario, seed) and the name and
        size of each file, which :meth:`Result.load <farmsim.record.result.Result.load>`
        checks.

        A results folder holds one run. Saving into a folder that holds another first removes
        that run's ``manifest.json`` and ``summary.json`` (so a save cut short leaves a folder
        ``Result.load`` refuses) and its tables in the other format; the same format's are
        overwritten. Other files (``report.html``, your own) are left alone.

        Returns the directory.

        Raises:
            UsageError: ``format`` is not ``"parquet"`` or ``"csv"``.
            ResultsError: ``directory`` is a file, or cannot be created or written; the message
                names it and the reason.
        """
        if format not in FORMATS:
            raise UsageError(f"format must be 'parquet' or 'csv' (got {format!r})")
        # Everything is computed before a file is touched: a loaded result reads its tables
        # from the folder it may be saved into.
        frames: dict[str, pd.DataFrame] = {name: getattr(self, name) for name in TABLES}
        summary = self.summary()
        out = _folder(Path(directory))
        other = next(f for f in FORMATS if f != format)
        _remove(out, [MANIFEST, SUMMARY, *(f"{name}.{other}" for name in TABLES)])
        tables = {}
        for name, frame in frames.items():
            writer = frame.to_parquet if format == "parquet" else frame.to_csv
            size = _write(out, f"{name}.{format}", partial(writer, index=False))
            tables[name] = {"file": f"{name}.{format}", "bytes": size}
        size = _write(out, SUMMARY, lambda path: path.write_text(
            json.dumps(summary, indent=2) + "\n", encoding="utf-8"))
        manifest = {"farmsim": __version__, "format": format,
                    "scenario": summary["scenario"], "seed": summary["seed"],
                    "tables": tables, "summary": {"file": SUMMARY, "bytes": size}}
        _write(out, MANIFEST, lambda path: path.write_text(
            json.dumps(manifest, indent=2) + "\n", encoding="utf-8"))
        return out


def _summary_html(s: dict[str, Any], *, kind: str = "Result", folder: Any = None) -> str:
    """The HTML of :meth:`BaseResult._repr_html_` for the summary ``s`` (``summary.json``'s
    keys; those a results folder saved before they existed may lack are left out): ``kind``
    names the class, ``folder`` the results folder it was read from (if any). Every text is
    escaped."""
    jobs = s.get("jobs") or {}
    outcomes = ", ".join(f"{jobs[key]:,} {key.replace('_', ' ')}"
                         for key in ("succeeded", "failed", "canceled", "suspended",
                                     "not_compatible", "unfinished")
                         if key in jobs and (jobs[key] or key in ("succeeded", "failed",
                                                                   "unfinished")))
    cost = s.get("cost_usd") or {}
    rows: list[tuple[str, str]] = [
        ("scenario", f"{s.get('scenario')} (seed {s.get('seed')})"),
        ("simulated", hms(float(s.get("simulated_s") or 0.0))),
        ("jobs", f"{jobs.get('submitted', 0):,} submitted: {outcomes}"),
        ("task runs", f"{s.get('task_runs', 0):,}"),
        ("turnaround (jobs that succeeded)", _mean_p95(s.get("job_turnaround_s"))),
        ("task wait", _mean_p95(s.get("task_wait_s"))),
        ("worker-hours", f"{float(s.get('worker_hours') or 0.0):,.1f}"),
        ("worker utilisation", _percent(s.get("worker_utilization"))),
        ("cost", f"${float(cost.get('total', 0.0)):,.2f} (workers "
                 f"${float(cost.get('workers', 0.0)):,.2f}, licenses "
                 f"${float(cost.get('licenses', 0.0)):,.2f})"),
    ]
    if folder is not None:
        rows.append(("results folder", str(folder)))
    e = html.escape
    cell = 'style="text-align:left"'
    parts = [f'<div class="farmsim-result"><p><strong>farmsim {e(kind)}</strong>: '
             f"{e(str(s.get('scenario')))}</p>", "<table>"]
    parts += [f"<tr><th {cell}>{e(k)}</th><td {cell}>{e(v)}</td></tr>" for k, v in rows]
    parts.append("</table>")
    limits = s.get("limits") or {}
    if limits:
        num = 'style="text-align:right"'
        parts += ["<table>", "<tr>" + "".join(
            f"<th {cell if h == 'limit' else num}>{e(h)}</th>"
            for h in ("limit", "max", "peak", "utilisation", "blocked task-hours")) + "</tr>"]
        for name, lim in limits.items():
            top = lim.get("max_count", -1)
            values = ["none" if top is None or top < 0 else f"{top:,}",
                      f"{lim.get('peak', 0):,}", _percent(lim.get("utilization")),
                      f"{float(lim.get('blocked_task_hours') or 0.0):,.1f}"]
            parts.append(f"<tr><td {cell}>{e(str(name))}</td>"
                         + "".join(f"<td {num}>{e(v)}</td>" for v in values) + "</tr>")
        parts.append("</table>")
    parts.append("</div>")
    return "\n".join(parts)


def _mean_p95(stats: Any) -> str:
    """``mean 1m 5s, p95 3m`` of a summary's statistics (``-`` when there were none)."""
    if not isinstance(stats, dict) or stats.get("mean") is None:
        return "-"
    p95 = stats.get("p95")
    return f"mean {hms(stats['mean'])}, p95 {'-' if p95 is None else hms(p95)}"


def _percent(value: Any) -> str:
    if value is None or math.isnan(float(value)):
        return "-"
    return f"{100 * float(value):.1f}%"


def _folder(out: Path) -> Path:
    """``out``, created if need be; a ResultsError if it is a file or cannot be created."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        existing = next((p for p in (out, *out.parents) if os.path.lexists(p)), None)
        if existing == out:
            why = "not a folder (a file of that name exists)"
        elif existing is not None and not existing.is_dir():
            why = f"cannot create the folder: {existing} is a file, not a folder"
        else:
            why = f"cannot create the folder ({_strerror(exc)})"
        raise ResultsError(why, path=str(out)) from None
    return out


def _remove(out: Path, names: list[str]) -> None:
    """Delete the files ``names`` of ``out`` that exist (a folder of such a name is kept)."""
    for name in names:
        path = out / name
        try:
            if path.is_file() or path.is_symlink():
                path.unlink()
        except OSError as exc:
            raise ResultsError(f"cannot remove the {name} of the run saved there before "
                               f"({_strerror(exc)})", path=str(out)) from None


def _write(out: Path, name: str, write: Callable[[Path], object]) -> int:
    """``write(out / name)``; the size of the file written."""
    path = out / name
    try:
        write(path)
        return path.stat().st_size
    except OSError as exc:
        raise ResultsError(f"cannot write {name} ({_strerror(exc)})", path=str(out)) from None


def _strerror(exc: OSError) -> str:
    """The system's words for ``exc`` (pyarrow's own message names the path again)."""
    return os.strerror(exc.errno) if exc.errno else str(exc)


def categorical(codes: np.ndarray, categories: np.ndarray | pd.Index, *,
                unique: bool = False) -> pd.Categorical:
    """A Categorical of ``categories[codes]`` (code -1 is missing), without building strings.

    ``unique``: the caller built ``categories`` (an Index) unique, so pandas' check is skipped:
    it hashes every category as a Python string, about 100 MB for the million task ids of a
    large run (:func:`unchecked_dtype`).
    """
    codes = np.asarray(codes, dtype=np.int32)
    if unique:
        return pd.Categorical.from_codes(codes, dtype=unchecked_dtype(pd.Index(categories)),
                                         validate=False)
    return pd.Categorical.from_codes(codes, categories=categories, validate=False)


def unchecked_dtype(categories: pd.Index) -> pd.CategoricalDtype:
    """The CategoricalDtype of ``categories``, known unique, without pandas' uniqueness check:
    the one private pandas call farmsim makes (``tests/unit/record/test_record_result.py``
    fails if a pandas release drops it)."""
    return pd.CategoricalDtype._from_fastpath(categories, ordered=False)
