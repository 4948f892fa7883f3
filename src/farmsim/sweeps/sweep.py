"""A sweep: every point of a grid of scenario changes, run ``replications`` times, and what the
runs say with confidence intervals.

:func:`sweep` runs it and returns a :class:`Sweep`; ``farmsim sweep`` does the same from the
command line. With an ``out`` folder, each run is saved there as it ends, and a sweep run again
into the same folder skips the runs it finds (a killed sweep resumes)::

    OUT/sweep.json          the sweep: scenario, seed, axes, replications, settings, failures
    OUT/runs/<key>.json     one per run, written as it ends (the resume state)
    OUT/runs.parquet        the tidy table: a row per run, the point's values, every metric
    OUT/summary.parquet     per point and metric: n, mean, std and the confidence interval
    OUT/differences.parquet between adjacent points of each axis (paired on common streams)
    OUT/report.html         metric against each axis with confidence bands, cost against service

Common random numbers: replication r of every point runs with the same seed, derived from the
sweep's seed by a SeedSequence. farmsim gives each purpose its own random stream (arrivals,
first-attempt durations, ...), so two points see the same submissions and the same task times
and differ only by what their settings change: the difference between points is measured on
pairs and its interval is narrow. ``common_random_numbers=False`` gives every run seeds of its
own (the independent sampling a textbook would compare against).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from farmsim._api import positive_duration
from farmsim._documents import shown
from farmsim._progress import RunsBar
from farmsim._version import __version__
from farmsim.errors import ResultsError, ScenarioError, UsageError
from farmsim.scenario import Scenario, load_scenario
from farmsim.sweeps.executors import make_executor
from farmsim.sweeps.grid import MAX_RUNS, Axis, Point, axes_from, points, value_label
from farmsim.sweeps.recommendation import clipped, format_value
from farmsim.sweeps.runs import (
    CACHED_POINTS,
    RunOutcome,
    RunSpec,
    point_key,
    prime,
    run_key,
    scenario_fingerprint,
)
from farmsim.sweeps.stats import (
    Interval,
    intervals,
    mean_interval,
    paired_interval,
    welch_interval,
    welch_intervals,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from farmsim.sweeps.recommendation import Recommendation

__all__ = ["SWEEP", "Failure", "Sweep", "replication_seeds", "sweep"]

#: The file of a sweep's folder that describes it.
SWEEP = "sweep.json"
#: The spawn key that sets a sweep's seeds apart from a run's own streams ("sweep").
SWEEP_KEY = 0x7377656570
#: Points whose scenarios are all validated before the first run; past this, a point's
#: scenario is checked by its own runs (a bad one is their error).
VALIDATE_POINTS = 2000
#: The points a sweep's HTML summary shows (a notebook's display of a large sweep stays small).
HTML_ROWS = 50
#: Columns of the runs table before the metrics (the axes' columns come after ``point``).
RUN_COLUMNS = ("replication", "seed", "status", "error")


def replication_seeds(seed: int, replications: int, points: int = 1, *,
                      common: bool = True) -> list[list[int]]:
    """The seed of each run, ``[point][replication]``: with ``common``, replication r has
    the same seed at every point (common random numbers); without, every run its own. Seeds
    come from ``SeedSequence(seed, spawn_key=(SWEEP_KEY,))`` and are below 2**63."""
    root = np.random.SeedSequence(seed, spawn_key=(SWEEP_KEY,))
    count = replications if common else replications * points
    children = root.spawn(count)
    flat = [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]
    if common:
        return [list(flat) for _ in range(points)]
    return [flat[p * replications:(p + 1) * replications] for p in range(points)]


@dataclass(frozen=True)
class Failure:
    """A run that gave no result: its point (number and label), replication, seed, status
    (``failed`` or ``killed``) and error."""

    point: int
    label: str
    replication: int
    seed: int
    status: str
    error: str

    def __str__(self) -> str:
        return (f"point {self.point} ({self.label}), replication {self.replication}, "
                f"seed {self.seed}: {self.status}: {self.error}")


class Sweep:
    """The runs of a sweep and their statistics.

    Made by :func:`sweep` or read back by :meth:`load`.

    Attributes:
        scenario: the scenario's name.
        seed: the sweep's seed (replication seeds derive from it).
        axes: the grid's axes.
        points: the grid's points.
        replications: runs per point.
        common_random_numbers: whether replication r shared its seed across points.
        confidence: the level of the intervals (default 0.95).
        until: the simulated time of each run, in seconds (None: the scenario's).
        deadline_s: the deadline of the ``jobs_on_time`` metric, or None.
        delay_cost_per_hour: the price of a job-hour in the farm, or None; when set, the
            metric ``total_cost_usd`` is ``cost_usd.total + delay_cost_per_hour *
            delay_hours``.
        runs: the tidy table (:meth:`runs_table`'s frame).
        failures: the runs that gave no result.
        timing: how the sweep ran: executor, workers, wall_s, runs_run, runs_resumed,
            run_s_mean (not part of the tables, which are the same however the sweep ran).
    """

    def __init__(self, *, scenario: str, seed: int, axes: Sequence[Axis],
                 replications: int, common_random_numbers: bool, outcomes: Sequence[RunOutcome],
                 until: float | None = None, deadline_s: float | None = None,
                 confidence: float = 0.95, timing: Mapping[str, Any] | None = None,
                 source: str | None = None, extra: Mapping[str, Any] | None = None,
                 delay_cost_per_hour: float | None = None) -> None:
        self.scenario = scenario
        self.seed = seed
        self.axes = tuple(axes)
        self.points = points(self.axes)
        self.replications = replications
        self.common_random_numbers = common_random_numbers
        self.until = until
        self.deadline_s = deadline_s
        self.confidence = confidence
        self.source = source
        self.timing = dict(timing or {})
        #: Settings of the study this sweep belongs to (a license what-if's limit, ...).
        self.extra = dict(extra or {})
        self.delay_cost_per_hour = delay_cost_per_hour
        self._outcomes = sorted(outcomes, key=lambda o: (o.point, o.replication))
        #: The recommendation of a license or capacity study (farmsim.sweeps.recommend).
        self.recommendation: Recommendation | None = None
        if "recommendation" in self.extra:
            from farmsim.sweeps.recommendation import Recommendation

            self.recommendation = Recommendation.from_document(self.extra["recommendation"])
        self.failures = [Failure(o.point, self.points[o.point].label(self.axes), o.replication,
                                 o.seed, o.status, o.error or "")
                         for o in self._outcomes if o.status != "ok"]
        self._runs: pd.DataFrame | None = None
        self._cubes: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ tables

    @property
    def runs(self) -> pd.DataFrame:
        """The tidy table: a row per run (point, then replication), columns ``point``, one
        per axis (its name), ``replication``, ``seed``, ``status``, ``error``, then every
        metric (NaN for a run that failed)."""
        if self._runs is None:
            self._runs = self._runs_frame()
        return self._runs

    def _runs_frame(self) -> pd.DataFrame:
        import pandas as pd

        metric_names: dict[str, None] = {}
        for o in self._outcomes:
            metric_names.update(dict.fromkeys(o.metrics))
        columns: dict[str, list[Any]] = {"point": [o.point for o in self._outcomes]}
        for i, axis in enumerate(self.axes):
            values = [self.points[o.point].values[i] for o in self._outcomes]
            columns[axis.name] = _column(values)
        columns["replication"] = [o.replication for o in self._outcomes]
        columns["seed"] = [o.seed for o in self._outcomes]
        columns["status"] = [o.status for o in self._outcomes]
        columns["error"] = [o.error for o in self._outcomes]
        for name in metric_names:
            columns[name] = [o.metrics.get(name, math.nan) for o in self._outcomes]
        if self.delay_cost_per_hour is not None and "delay_hours" in columns:
            rate = self.delay_cost_per_hour
            columns["total_cost_usd"] = [
                o.metrics.get("cost_usd.total", math.nan) + rate * o.metrics["delay_hours"]
                if "delay_hours" in o.metrics else math.nan for o in self._outcomes]
        frame = pd.DataFrame(columns)
        frame["point"] = frame["point"].astype("int64")
        frame["replication"] = frame["replication"].astype("int64")
        frame["seed"] = frame["seed"].astype("uint64")
        frame["error"] = frame["error"].astype(object)
        return frame

    @property
    def metrics(self) -> list[str]:
        """The metrics' names, in the runs table's order."""
        skip = {"point", *(a.name for a in self.axes), *RUN_COLUMNS}
        return [c for c in self.runs.columns if c not in skip]

    def cube(self, metric: str) -> np.ndarray:
        """A metric's values as an array ``[point, replication]`` (NaN for a failed run)."""
        self._check_metric(metric)
        found = self._cubes.get(metric)
        if found is None:
            frame = self.runs
            flat = np.full(len(self.points) * self.replications, math.nan)
            where = (frame["point"].to_numpy() * self.replications
                     + frame["replication"].to_numpy())
            flat[where] = frame[metric].to_numpy(dtype=float)
            found = flat.reshape(len(self.points), self.replications)
            found.flags.writeable = False
            self._cubes[metric] = found
        return found

    def values(self, metric: str, point: int) -> np.ndarray:
        """A metric's value in each replication of a point (NaN for a failed run), by
        replication number."""
        row: np.ndarray = self.cube(metric)[point].copy()
        return row

    def interval(self, metric: str, point: int, confidence: float | None = None) -> Interval:
        """The mean of ``metric`` over a point's replications and its interval."""
        return mean_interval(self.values(metric, point), confidence or self.confidence)

    def difference(self, metric: str, a: int, b: int,
                   confidence: float | None = None) -> Interval:
        """``metric`` at point ``b`` minus at point ``a``: paired by replication on common
        random numbers, Welch's interval on independent runs."""
        x, y = self.values(metric, a), self.values(metric, b)
        level = confidence or self.confidence
        if self.common_random_numbers:
            return paired_interval(x, y, level)
        return welch_interval(x, y, level)

    def summary(self, metrics: Sequence[str] | None = None,
                confidence: float | None = None) -> pd.DataFrame:
        """Per point and metric: ``n`` (runs with a value), ``mean``, ``std``, ``ci_low``,
        ``ci_high`` (the interval at ``confidence``, default the sweep's), with the point's
        axis values. (The same figures as :meth:`interval`, computed for every point and
        metric at once.)"""
        import pandas as pd

        names = self._metric_list(metrics)
        level = confidence or self.confidence
        values = np.stack([self.cube(m) for m in names], axis=1) if names else np.empty(
            (len(self.points), 0, self.replications))
        n, mean, std, low, high = intervals(values, level)  # each [point, metric]
        return pd.DataFrame({
            **self._point_frame(np.repeat(np.arange(len(self.points)), len(names))),
            "metric": np.tile(np.asarray(names, dtype=object), len(self.points)),
            "n": n.ravel(), "mean": mean.ravel(), "std": std.ravel(),
            "ci_low": low.ravel(), "ci_high": high.ravel()})

    def differences(self, metrics: Sequence[str] | None = None,
                    confidence: float | None = None) -> pd.DataFrame:
        """Between each pair of adjacent values of each axis, the others held: ``axis``,
        ``from_point``, ``to_point``, ``from_value``, ``to_value``, the other axes' values
        (as labels), ``metric``, and the difference (to minus from): ``n``, ``mean``,
        ``std``, ``ci_low``, ``ci_high``, ``paired``."""
        import pandas as pd

        names = self._metric_list(metrics)
        level = confidence or self.confidence
        shape = tuple(len(a.values) for a in self.axes)
        cube = (np.stack([self.cube(m) for m in names], axis=1) if names
                else np.empty((len(self.points), 0, self.replications)))
        grid = cube.reshape((*shape, len(names), self.replications))
        numbers = np.arange(len(self.points)).reshape(shape)
        parts = []
        for k, axis in enumerate(self.axes):
            count = shape[k]
            if count < 2:
                continue
            lo = np.take(grid, range(count - 1), axis=k)
            hi = np.take(grid, range(1, count), axis=k)
            frm = np.take(numbers, range(count - 1), axis=k).ravel()
            stride = int(np.prod(shape[k + 1:], dtype=np.int64))
            lo = lo.reshape(len(frm), len(names), self.replications)
            hi = hi.reshape(len(frm), len(names), self.replications)
            if self.common_random_numbers:
                n, mean, std, low, high = intervals(hi - lo, level)
            else:
                n, mean, std, low, high = welch_intervals(lo, hi, level)
            rows = np.repeat(frm, len(names))
            labels = [value_label(v) for v in axis.values]
            index = np.array([_value_index(axis, self.points[i].values[k]) for i in frm])
            part = {"axis": [axis.name] * len(rows), "from_point": rows,
                    "to_point": rows + stride,
                    "from_value": np.repeat(np.asarray(labels, dtype=object)[index],
                                            len(names)),
                    "to_value": np.repeat(np.asarray(labels, dtype=object)[index + 1],
                                          len(names))}
            for j, other in enumerate(self.axes):
                column = [None] * len(rows)
                if j != k:
                    other_labels = [value_label(self.points[i].values[j]) for i in frm]
                    column = list(np.repeat(np.asarray(other_labels, dtype=object),
                                            len(names)))
                part[other.name] = column
            part.update({"metric": np.tile(np.asarray(names, dtype=object), len(frm)),
                         "n": n.ravel(), "mean": mean.ravel(), "std": std.ravel(),
                         "ci_low": low.ravel(), "ci_high": high.ravel(),
                         "paired": self.common_random_numbers})
            parts.append(pd.DataFrame(part))
        columns = ["axis", "from_point", "to_point", "from_value", "to_value",
                   *(a.name for a in self.axes), "metric", "n", "mean", "std", "ci_low",
                   "ci_high", "paired"]
        if not parts:
            return pd.DataFrame(columns=columns)
        frame = pd.concat(parts, ignore_index=True)[columns]
        return frame.astype({a.name: object for a in self.axes})

    def table(self, metric: str, confidence: float | None = None) -> pd.DataFrame:
        """One metric per point: the axis values, ``mean``, ``ci_low``, ``ci_high``, ``n``."""
        frame = self.summary([metric], confidence)
        return frame.drop(columns=["metric", "std"]).reset_index(drop=True)

    def _neighbour(self, p: Point, k: int, i: int) -> Point:
        values = list(p.values)
        values[k] = self.axes[k].values[i]
        stride = 1
        for axis in self.axes[k + 1:]:
            stride *= len(axis.values)
        j = _value_index(self.axes[k], p.values[k])
        return self.points[p.index + (i - j) * stride]

    def _point_columns(self) -> list[str]:
        return ["point", *(a.name for a in self.axes)]

    def _point_frame(self, numbers: np.ndarray) -> dict[str, Any]:
        """The columns ``point`` and one per axis for the points ``numbers``."""
        out: dict[str, Any] = {"point": numbers.astype("int64")}
        for k, axis in enumerate(self.axes):
            shown_values = [v if _scalar(v) else value_label(v) for v in axis.values]
            column = _column(shown_values)
            index = [_value_index(axis, self.points[i].values[k]) for i in range(len(self.points))]
            per_point = [column[i] for i in index]
            out[axis.name] = [per_point[i] for i in numbers]
        return out

    def _point_row(self, p: Point) -> dict[str, Any]:
        row: dict[str, Any] = {"point": p.index}
        for axis, value in zip(self.axes, p.values, strict=True):
            row[axis.name] = value if _scalar(value) else value_label(value)
        return row

    def _metric_list(self, metrics: Sequence[str] | None) -> list[str]:
        if metrics is None:
            return self.metrics
        if isinstance(metrics, str):
            metrics = [metrics]
        for m in metrics:
            self._check_metric(m)
        return list(metrics)

    def _check_metric(self, metric: str) -> None:
        if metric not in self.metrics:
            close = [m for m in self.metrics if metric.rsplit(".", 1)[-1] in m][:8]
            hint = f" (like: {', '.join(close)})" if close else ""
            raise UsageError(f"sweep: no metric {shown(metric)}{hint}; "
                             "Sweep.metrics lists them")

    # ------------------------------------------------------------------ display

    def __repr__(self) -> str:
        return (f"<Sweep {self.scenario!r}: {len(self.points)} points x {self.replications} "
                f"replications, {len(self.failures)} failed>")

    def headline(self) -> list[str]:
        """The metrics a summary shows first (those this sweep has)."""
        wanted = ["job_turnaround_s.p95", "job_turnaround_s.mean", "task_wait_s.mean",
                  "delay_hours", "jobs_on_time", "worker_utilization", "cost_usd.total"]
        wanted += [f"limits.{a.name.split('.')[2]}.blocked_task_hours" for a in self.axes
                   if a.name.startswith("farm.limits.") and a.name.count(".") >= 3]
        have = set(self.metrics)
        return [m for m in dict.fromkeys(wanted) if m in have]

    def _repr_html_(self) -> str:
        from html import escape

        level = f"{self.confidence:.0%}"
        heads = self.headline()
        out = [f"<div><p><b>Sweep of {escape(self.scenario)}</b>: {len(self.points)} points "
               f"&times; {self.replications} replications"
               f"{' on common random numbers' if self.common_random_numbers else ''}; "
               f"mean [{level} interval]"
               + (f"; <b>{len(self.failures)} runs failed</b>" if self.failures else "")
               + "</p><table><thead><tr>"]
        out += [f"<th>{escape(a.name)}</th>" for a in self.axes]
        out += [f"<th>{escape(m)}</th>" for m in heads]
        out.append("</tr></thead><tbody>")
        for p in self.points[:HTML_ROWS]:
            out.append("<tr>")
            out += [f"<td>{escape(value_label(v))}</td>" for v in p.values]
            for m in heads:
                iv = self.interval(m, p.index)
                out.append(f"<td>{escape(interval_text(m, iv))}</td>")
            out.append("</tr>")
        out.append("</tbody></table>")
        if len(self.points) > HTML_ROWS:
            out.append(f"<p>... and {len(self.points) - HTML_ROWS:,} more points "
                       "(Sweep.summary() has them all)</p>")
        out.append("</div>")
        return "".join(out)

    def plot(self, metric: str, axis: str | None = None, ax: Axes | None = None) -> Axes:
        """``metric`` against an axis's values, with the confidence band; a line per value
        of the other axes (:func:`farmsim.analysis.sweep_plots.metric_plot`)."""
        from farmsim.analysis.sweep_plots import metric_plot

        return metric_plot(self, metric, axis=axis, ax=ax)

    # ------------------------------------------------------------------ files

    def document(self) -> dict[str, Any]:
        """``sweep.json``'s content."""
        return {
            "farmsim": __version__,
            "scenario": self.scenario,
            "source": self.source,
            "seed": self.seed,
            "axes": [{"name": a.name, "paths": list(a.paths), "values": list(a.values)}
                     for a in self.axes],
            "replications": self.replications,
            "common_random_numbers": self.common_random_numbers,
            "confidence": self.confidence,
            "until_s": self.until,
            "deadline_s": self.deadline_s,
            "delay_cost_per_hour": self.delay_cost_per_hour,
            "points": len(self.points),
            "runs": len(self._outcomes),
            "failures": [{"point": f.point, "label": f.label, "replication": f.replication,
                          "seed": f.seed, "status": f.status, "error": f.error}
                         for f in self.failures],
            "extra": self.extra,
            "timing": self.timing,
            "keys": [o.key for o in self._outcomes],
        }

    def save(self, directory: str | os.PathLike[str], *, format: str = "parquet",
             report: bool = True) -> Path:
        """Write the tables, ``sweep.json`` and (when matplotlib is there) ``report.html``
        into ``directory``; the ``runs/`` files stay. Returns the folder."""
        if format not in ("parquet", "csv"):
            raise UsageError(f"format must be 'parquet' or 'csv' (got {shown(format)})")
        out = Path(directory)
        try:
            out.mkdir(parents=True, exist_ok=True)
            store = RunStore(out)
            for outcome in self._outcomes:  # what load() reads (a sweep made without a folder)
                if not (store.folder / f"{outcome.key}.json").exists():
                    store.save(outcome)
            tables = {"runs": _for_file(self.runs), "summary": _for_file(self.summary()),
                      "differences": _for_file(self.differences())}
            for name, frame in tables.items():
                for old in (out / f"{name}.parquet", out / f"{name}.csv"):
                    old.unlink(missing_ok=True)
                if format == "parquet":
                    frame.to_parquet(out / f"{name}.parquet", index=False)
                else:
                    frame.to_csv(out / f"{name}.csv", index=False)
            _write_json(out / SWEEP, self.document())
        except OSError as exc:
            raise ResultsError(f"cannot write the sweep there: {exc.strerror or exc}",
                               path=str(out)) from None
        if report:
            from farmsim.analysis import MatplotlibMissingError

            try:
                from farmsim.analysis.sweep_report import write_sweep_report

                write_sweep_report(self, out / "report.html")
            except MatplotlibMissingError:
                pass
        return out

    @staticmethod
    def load(directory: str | os.PathLike[str]) -> Sweep:
        """A sweep saved by :meth:`save` (from its ``sweep.json`` and ``runs/`` files)."""
        folder = Path(directory)
        path = folder / SWEEP
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ResultsError(f"{str(folder)!r} is not a sweep's folder: it has no {SWEEP}",
                               path=str(path)) from None
        except (OSError, ValueError) as exc:
            raise ResultsError(f"cannot read {str(path)!r}: {exc}", path=str(path)) from None
        try:
            axes = [Axis(a["name"], tuple(a["paths"]), tuple(a["values"])) for a in doc["axes"]]
            keys = doc.get("keys")
            outcomes = _read_outcomes(folder, keys)
            return Sweep(scenario=doc["scenario"], seed=int(doc["seed"]), axes=axes,
                         replications=int(doc["replications"]),
                         common_random_numbers=bool(doc["common_random_numbers"]),
                         outcomes=outcomes, until=doc.get("until_s"),
                         deadline_s=doc.get("deadline_s"),
                         confidence=float(doc.get("confidence", 0.95)),
                         timing=doc.get("timing"), source=doc.get("source"),
                         extra=doc.get("extra"),
                         delay_cost_per_hour=doc.get("delay_cost_per_hour"))
        except (KeyError, TypeError, ValueError) as exc:
            raise ResultsError(f"{str(path)!r} is not a sweep description farmsim can read: "
                               f"{type(exc).__name__}: {exc}", path=str(path)) from None


def interval_text(metric: str, iv: Interval) -> str:
    """``4h 12m [3h 58m, 4h 26m]``, ``71.0% [69.2%, 72.8%]``, ``$412.30 [...]``; a share's
    interval within 0 and 100%."""
    if iv.n == 0:
        return "-"
    if iv.n < 2 or math.isnan(iv.low):
        return format_value(metric, iv.mean)
    low, high = clipped(metric, iv.low, iv.high)
    return (f"{format_value(metric, iv.mean)} [{format_value(metric, low)}, "
            f"{format_value(metric, high)}]")


def _value_index(axis: Axis, value: Any) -> int:
    for i, v in enumerate(axis.values):
        if v is value or (type(v) is type(value) and v == value):
            return i
    return axis.values.index(value)


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _column(values: list[Any]) -> list[Any]:
    """An axis's values as a column: as they are when all are scalars of one kind, else
    their labels (JSON for mappings and lists)."""
    kinds = {type(v) for v in values}
    if len(kinds) == 1 and _scalar(values[0]):
        return values
    if kinds <= {int, float}:
        return [float(v) for v in values]
    return [value_label(v) for v in values]


def _for_file(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame whose object columns of mixed kinds are text (Parquet wants one kind)."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object:
            kinds = {type(v) for v in out[name] if v is not None}
            if len(kinds) > 1 or (kinds and not kinds <= {str}):
                out[name] = [None if v is None else value_label(v) for v in out[name]]
    return out


def _write_json(path: Path, doc: Mapping[str, Any]) -> None:
    """Write ``doc`` to ``path`` whole or not at all (a temporary file, then a rename)."""
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, indent=1, default=str, allow_nan=False) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)


def _read_outcomes(folder: Path, keys: Sequence[str] | None) -> list[RunOutcome]:
    runs = folder / "runs"
    wanted = list(keys) if keys is not None else sorted(p.stem for p in runs.glob("*.json"))
    out = []
    for key in wanted:
        try:
            doc = json.loads((runs / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ResultsError(f"cannot read the run {str(runs / key)!r}.json: {exc}",
                               path=str(runs)) from None
        out.append(RunOutcome.from_document(doc))
    return out


class RunStore:
    """A sweep folder's ``runs/``: one JSON file per run, written as the run ends."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "runs"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResultsError(f"cannot write the sweep there: {exc.strerror or exc}",
                               path=str(folder)) from None

    def finished(self, specs: Sequence[RunSpec]) -> dict[str, RunOutcome]:
        """The runs of ``specs`` already saved with a result (failed ones run again)."""
        found = {}
        for spec in specs:
            path = self.folder / f"{spec.key}.json"
            if not path.exists():
                continue
            try:
                outcome = RunOutcome.from_document(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # a file cut short or not ours: run it again
            if outcome.status == "ok" and outcome.seed == spec.seed:
                found[spec.key] = outcome
        return found

    def save(self, outcome: RunOutcome) -> None:
        _write_json(self.folder / f"{outcome.key}.json", outcome.document())


def sweep(
    scenario: Scenario | str | os.PathLike[str],
    grid: Mapping[Any, Any] | None = None,
    *,
    replications: int = 5,
    seed: int | None = None,
    common_random_numbers: bool = True,
    until: float | str | None = None,
    deadline: float | str | None = None,
    confidence: float = 0.95,
    jobs: int | None = None,
    dask: Any = None,
    out: str | os.PathLike[str] | None = None,
    format: str = "parquet",
    progress: bool = False,
    delay_cost_per_hour: float | None = None,
    extra: Mapping[str, Any] | None = None,
    before_save: Callable[[Sweep], None] | None = None,
) -> Sweep:
    """Run every point of ``grid`` ``replications`` times.

    Args:
        scenario: a :class:`Scenario` or the path of a scenario file.
        grid: path -> values (``{"farm.limits.nuke.maxCount": [10, 15, 20]}``); a tuple of
            paths sets them all to each value; ``"variant"`` -> names of the scenario's
            variants. The points are the product of the axes. None or empty: one point, the
            scenario as it is.
        replications: runs per point (>= 2 for intervals).
        seed: the sweep's seed (default the scenario's); replication seeds derive from it.
        common_random_numbers: replication r of every point uses the same seed (default); False
            gives every run its own.
        until: simulated time of each run (seconds or ``"2d"``; default the scenario's).
        deadline: a turnaround (seconds or ``"4h"``): adds the ``jobs_on_time`` metric.
        confidence: the intervals' level.
        jobs: processes on this machine (1: this process; default: one per core).
        dask: a ``distributed.Client`` or a scheduler address: run on Dask instead.
        out: a folder to save each run in as it ends, and the tables and report at the end;
            runs already saved there (same scenario, point, seed and settings) are not run
            again.
        format: ``parquet`` or ``csv`` for the tables in ``out``.
        progress: a bar counting runs on stderr.
        delay_cost_per_hour: the price of a job-hour in the farm: adds ``total_cost_usd``.
        extra: settings of a study built on the sweep, kept in ``sweep.json``.
        before_save: called with the sweep before it is saved (a study adds to it).

    Returns:
        The :class:`Sweep`. Runs that fail are in ``Sweep.failures``; the others go on.

    Raises:
        ScenarioError: the scenario, or a point's scenario, breaks a rule (before any run).
        UsageError: a bad grid, replications, seed, until, deadline, jobs or dask.
    """
    started = time.perf_counter()
    if not isinstance(scenario, Scenario):
        if not isinstance(scenario, str | os.PathLike):
            raise UsageError(f"sweep: scenario must be a Scenario or the path of a scenario "
                             f"file (got {type(scenario).__name__})")
        scenario = load_scenario(scenario)
    axes = axes_from(grid or {}, [v.name for v in scenario.variants])
    if any(a.paths for a in axes) and scenario.raw is None:
        raise UsageError("sweep: this scenario has no file settings (raw) to change: build it "
                         "with load_scenario or scenario_from_dict")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise UsageError(f"sweep: replications must be a whole number >= 1 "
                         f"(got {shown(replications)})")
    grid_points = points(axes)
    if len(grid_points) * replications > MAX_RUNS:
        raise UsageError(f"sweep: {len(grid_points):,} points x {replications:,} replications "
                         f"is more than {MAX_RUNS:,} runs; split the sweep")
    from farmsim.engine.simulation import check_seed

    base_seed = scenario.seed if seed is None else check_seed(seed)
    until_s = positive_duration("sweep: until", until)
    deadline_s = positive_duration("sweep: deadline", deadline)
    mean_interval([1.0, 2.0], confidence)  # checks confidence
    fingerprint = scenario_fingerprint(scenario)
    _validate_points(scenario, axes, grid_points, fingerprint)
    seeds = replication_seeds(base_seed, replications, len(grid_points),
                              common=common_random_numbers)
    settings = {"until": until_s, "deadline": deadline_s}
    specs = []
    for p in grid_points:
        variant, overrides = p.variant(axes), p.overrides(axes)
        pkey = point_key(fingerprint, variant, overrides)
        for r in range(replications):
            s = seeds[p.index][r]
            specs.append(RunSpec(p.index, r, s, variant, overrides, run_key(pkey, s, settings),
                                 pkey))
    store = RunStore(Path(out)) if out is not None else None
    done = store.finished(specs) if store is not None else {}
    todo = [s for s in specs if s.key not in done]
    executor = make_executor(jobs, dask)
    bar = RunsBar(len(specs), done=len(done)) if progress else None
    outcomes = list(done.values())
    ran: list[RunOutcome] = []
    try:
        for outcome in executor.map(scenario, todo, until_s, deadline_s):
            if store is not None:
                store.save(outcome)
            ran.append(outcome)
            if bar is not None:
                bar.update(failed=outcome.status != "ok")
    finally:
        if bar is not None:
            bar.close()
        executor.close()
    outcomes += ran
    wall = time.perf_counter() - started
    timing = {"executor": executor.name, "workers": executor.workers, "wall_s": wall,
              "runs_run": len(ran), "runs_resumed": len(done),
              "run_s_mean": (math.fsum(o.elapsed_s for o in ran) / len(ran)) if ran else None,
              "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    result = Sweep(scenario=scenario.name, seed=base_seed, axes=axes,
                   replications=replications, common_random_numbers=common_random_numbers,
                   outcomes=outcomes, until=until_s, deadline_s=deadline_s,
                   confidence=confidence, timing=timing, source=scenario.source, extra=extra,
                   delay_cost_per_hour=delay_cost_per_hour)
    if before_save is not None:
        before_save(result)
    if out is not None:
        result.save(out, format=format)
    return result


def _validate_points(scenario: Scenario, axes: Sequence[Axis], grid_points: Sequence[Point],
                     fingerprint: str) -> None:
    """Build the scenario of each point (up to :data:`VALIDATE_POINTS`), so a value that
    breaks a rule stops the sweep before any run, its point named. The first points' scenarios
    are kept for the runs (:func:`~farmsim.sweeps.runs.prime`: this process's, and a forked
    pool's, runs do not build them again)."""
    built: dict[str, Scenario] = {}
    for p in grid_points[:VALIDATE_POINTS]:
        variant, overrides = p.variant(axes), p.overrides(axes)
        if variant is None and not overrides:
            continue
        try:
            s = scenario.variant(variant) if variant is not None else scenario
            if overrides:
                s = s.with_overrides(overrides)
        except ScenarioError as exc:
            where = f"sweep point {p.index} ({p.label(axes)})"
            raise ScenarioError([f"{where}: {problem}" for problem in exc.problems],
                                source=exc.source) from None
        if len(built) < CACHED_POINTS:
            built[point_key(fingerprint, variant, overrides)] = s
    prime(built)
