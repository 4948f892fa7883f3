"""A comparison of a scenario's variants: one run each on the same workload, and the metrics
that tell scheduling configurations (and other what-ifs) apart.

:func:`farmsim.compare` runs the variants and returns a :class:`Comparison`; ``farmsim run`` on
a scenario with ``variants`` does the same and saves it (:meth:`Comparison.save`)::

    OUT/<variant>/        each variant's results folder (tables, summary.json, manifest.json)
    OUT/comparison.json   the scenario, the seed, and per variant its set and its metrics
    OUT/report.html       the comparison report (farmsim.analysis.comparison_report)

The metrics of a variant (:func:`variant_metrics`) come from its summary (its ``fairness``
section, or for a results folder saved without one, the same computed from its tables): jobs
succeeded and unfinished, makespan, job turnaround (mean, p50, p95) overall and by priority
band, task wait (mean, p95) overall and by band, the longest wait, each group of jobs of equal
priority that competed for workers (Jain's index, least and most share), worker utilisation,
worker-hours and cost. :meth:`Comparison.table` lays them out as a pandas table, a row per
metric and a column per variant; :func:`metric_rows` says which value of each row is best.

pandas is imported only by :meth:`Comparison.table` (and by the tables of the results).
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from farmsim._progress import hms
from farmsim._version import __version__
from farmsim.errors import ResultsError, UsageError
from farmsim.record import fairness

if TYPE_CHECKING:
    import pandas as pd

    from farmsim.record.base import BaseResult

__all__ = [
    "COMPARISON",
    "ComparedVariant",
    "Comparison",
    "MetricRow",
    "format_metric",
    "is_comparison_folder",
    "metric_rows",
    "variant_metrics",
]

#: The file of a comparison's folder that lists its variants (written last).
COMPARISON = "comparison.json"
#: The files of a run saved into a folder (record/base.py's), removed when a comparison is
#: saved there: a folder holds one run or one comparison.
_RUN_FILES = ("manifest.json", "summary.json")
#: A variant's folder: one path component (scenario/variants.py's name rule).
_FOLDER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?", re.ASCII)


@dataclass(frozen=True)
class ComparedVariant:
    """A variant of a comparison: its name (and results folder), description and ``set``."""

    name: str
    description: str | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)


class Comparison:
    """The runs of a scenario's variants on the same workload (same seed), by variant name.

    Made by :func:`farmsim.compare`, or read back from a folder by :meth:`load`.

    Attributes:
        scenario: the scenario's name.
        seed: the seed the variants ran with (unless a variant sets its own).
        until: the simulated time each ran to, in seconds (None: the scenario's horizon, or
            until every job was done).
        horizon: the scenario's horizon, in seconds (None: it has none).
        variants: the variants, in the order they ran.
        results: each variant's :class:`~farmsim.Result` (or a saved one), by name.
        source: the scenario file, if any.
    """

    def __init__(self, scenario: str, seed: int, variants: Sequence[Any],
                 results: Mapping[str, BaseResult], *, until: float | None = None,
                 horizon: float | None = None, source: str | None = None) -> None:
        self.scenario = scenario
        self.seed = seed
        self.until = until
        self.horizon = horizon
        self.source = source
        self.variants: tuple[ComparedVariant, ...] = tuple(
            ComparedVariant(str(v.name), v.description, dict(v.overrides)) for v in variants)
        names = [v.name for v in self.variants]
        if sorted(names) != sorted(results) or len(set(names)) != len(names):
            raise UsageError(f"Comparison: results must be given for each variant once "
                             f"(variants {names}, results {list(results)})")
        self.results: dict[str, BaseResult] = {name: results[name] for name in names}
        self._metrics: dict[str, dict[str, Any]] | None = None

    def runs_text(self) -> str:
        """How long the variants ran, in words: ``simulated 2h each``, ``to the horizon, 1d``,
        ``until every job was done``."""
        if self.until is not None:
            return f"simulated {hms(self.until)} each"
        if self.horizon is not None:
            return f"each to the scenario's horizon, {hms(self.horizon)}"
        return "each until every job was done"

    def __repr__(self) -> str:
        return (f"Comparison({self.scenario!r}, seed {self.seed}, variants "
                f"{', '.join(self.names)})")

    def _repr_html_(self) -> str:
        """The metrics table as HTML, which Jupyter shows for a comparison: a row per metric
        (:func:`metric_rows`, formatted as the report shows them), a column per variant (what
        it sets in the header's tooltip), the best value of each row in bold. From the
        metrics alone: nothing is plotted. Every text is escaped."""
        e = html.escape
        rows = metric_rows(self.metrics())
        names = self.names
        left, right = 'style="text-align:left"', 'style="text-align:right"'
        sets = {v.name: "; ".join(f"{path}: {value}" for path, value in v.overrides.items())
                or "(the scenario as it is)" for v in self.variants}
        n = len(self)
        parts = [f'<div class="farmsim-comparison"><p><strong>farmsim Comparison</strong>: '
                 f"{e(self.scenario)}, {n} variant{'s' if n != 1 else ''}, seed {self.seed}, "
                 f"{e(self.runs_text())}</p>", "<table>",
                 f"<tr><th {left}>metric</th>"
                 + "".join(f'<th {right} title="{e(sets[name])}">{e(name)}</th>'
                           for name in names) + "</tr>"]
        for row in rows:
            best = set(row.best())
            cells = "".join(
                f"<td {right}>{'<b>' if name in best else ''}"
                f"{e(format_metric(row.kind, row.values[name]))}"
                f"{'</b>' if name in best else ''}</td>" for name in names)
            parts.append(f"<tr><th {left}>{e(row.label)}</th>{cells}</tr>")
        parts += ["</table>", "<p>Bold: the best of each row.</p>" if any(
            row.best() for row in rows) else "", "</div>"]
        return "\n".join(part for part in parts if part)

    @property
    def names(self) -> list[str]:
        """The variants' names, in the order they ran."""
        return [v.name for v in self.variants]

    def __getitem__(self, name: str) -> BaseResult:
        """The result of variant ``name``."""
        try:
            return self.results[name]
        except KeyError:
            raise KeyError(f"no variant {name!r} in this comparison (variants: "
                           f"{', '.join(self.names)})") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.variants)

    def metrics(self) -> dict[str, dict[str, Any]]:
        """Each variant's metrics (:func:`variant_metrics`), by name: what ``comparison.json``
        holds."""
        if self._metrics is None:
            self._metrics = {name: variant_metrics(result)
                             for name, result in self.results.items()}
        return self._metrics

    def table(self) -> pd.DataFrame:
        """The metrics as a table: a row per metric (:func:`metric_rows`; durations in
        seconds, ``worker utilisation`` from 0 to 1, cost in USD), a column per variant;
        NaN where a variant has no value (no job of that band succeeded)."""
        import pandas as pd

        rows = metric_rows(self.metrics())
        return pd.DataFrame(
            [[_nan(row.values[name]) for name in self.names] for row in rows],
            index=pd.Index([row.name for row in rows], name="metric"),
            columns=pd.Index(self.names, name="variant"))

    def document(self) -> dict[str, Any]:
        """The content of ``comparison.json``."""
        metrics = self.metrics()
        return {
            "farmsim": __version__,
            "scenario": self.scenario,
            "source": self.source,
            "seed": self.seed,
            "until_s": self.until,
            "horizon_s": self.horizon,
            "variants": [{"name": v.name, "description": v.description,
                          "set": dict(v.overrides), "folder": v.name,
                          "metrics": metrics[v.name]} for v in self.variants],
        }

    def save(self, directory: str | Path, *, format: str = "parquet") -> Path:
        """Write each variant's results folder (``<directory>/<variant>/``: its tables,
        ``summary.json``, ``manifest.json``, as :meth:`Result.save <farmsim.Result.save>`
        writes them) and, last, ``comparison.json``.

        A folder holds one comparison: ``comparison.json`` is removed first (a save cut short
        leaves a folder :meth:`load` refuses), and so are the ``manifest.json`` and
        ``summary.json`` of a run saved there before. Other files (the reports, folders of
        variants not in this comparison) are left alone. Returns the directory.

        Raises:
            UsageError: ``format`` is not ``"parquet"`` or ``"csv"``.
            ResultsError: a folder cannot be created or written; the message names it.
        """
        if format not in ("parquet", "csv"):
            raise UsageError(f"format must be 'parquet' or 'csv' (got {format!r})")
        document = self.document()  # (computed first: a loaded comparison reads its folder)
        out = Path(directory)
        if out.exists() and not out.is_dir():
            raise ResultsError("not a folder (a file of that name exists)", path=str(out))
        for name in (COMPARISON, *_RUN_FILES):
            path = out / name
            try:
                if path.is_file() or path.is_symlink():
                    path.unlink()
            except OSError as exc:
                raise ResultsError(f"cannot remove {name} ({_strerror(exc)})",
                                   path=str(out)) from None
        for variant in self.variants:
            self.results[variant.name].save(out / variant.name, format=format)
        text = json.dumps(document, indent=2, default=str) + "\n"
        try:
            (out / COMPARISON).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ResultsError(f"cannot write {COMPARISON} ({_strerror(exc)})",
                               path=str(out)) from None
        return out

    @staticmethod
    def load(directory: str | Path) -> Comparison:
        """Read back a comparison's folder written by :meth:`save` or ``farmsim run``: its
        ``comparison.json`` and each variant's results folder (:meth:`Result.load
        <farmsim.Result.load>`, which checks its files).

        Raises:
            ResultsError: ``comparison.json`` or a variant's folder is missing, unreadable or
                malformed; the message names the file and the key or column at fault.
        """
        from farmsim.record.result import Result

        folder = Path(directory)
        if not folder.is_dir():
            raise ResultsError("no such folder" if not folder.exists() else "not a folder",
                               path=str(folder))
        path = folder / COMPARISON
        document = _read_document(path)
        variants = []
        results: dict[str, BaseResult] = {}
        for entry in document["variants"]:
            variants.append(ComparedVariant(entry["name"], entry.get("description"),
                                            entry.get("set") or {}))
            results[entry["name"]] = Result.load(folder / entry["folder"])
        return Comparison(document["scenario"], document["seed"], variants, results,
                          until=document.get("until_s"), horizon=document.get("horizon_s"),
                          source=document.get("source"))


def is_comparison_folder(directory: str | Path) -> bool:
    """Whether ``directory`` holds a comparison (its ``comparison.json``)."""
    return (Path(directory) / COMPARISON).is_file()


# ---------------------------------------------------------------------------- metrics


def variant_metrics(result: BaseResult) -> dict[str, Any]:
    """The metrics of one variant's run that tell scheduling configurations apart, from its
    summary (``fairness`` computed from the tables when the summary has none):

    ``jobs`` (submitted, succeeded, failed, unfinished), ``makespan_s``, ``job_turnaround_s``
    (mean, p50, p95, and ``by_priority`` band: mean, p50, p95, count), ``task_wait_s`` (mean,
    p95, and ``by_priority``: mean, p95, count), ``longest_wait_s``, ``worker_share`` (per
    queue and priority, the groups of jobs of equal priority that competed for workers: jobs,
    contended_s, jain, min_share, max_share), ``jain_min`` (the lowest of their Jain's
    indices), ``worker_utilization``, ``worker_hours`` and ``cost_usd`` (the total).
    """
    s = result.summary()
    fair = s.get("fairness")
    if not isinstance(fair, dict):
        fair = fairness.summary(result)
    jobs = s["jobs"]
    groups = {queue: {priority: {key: g.get(key) for key in
                                 ("jobs", "contended_s", "jain", "min_share", "max_share")}
                      for priority, g in by.items()}
              for queue, by in fair.get("worker_share", {}).items()}
    jains = [g["jain"] for by in groups.values() for g in by.values() if g["jain"] is not None]
    longest = fair.get("longest_wait")
    return {
        "jobs": {key: jobs.get(key, 0) for key in ("submitted", "succeeded", "failed",
                                                   "unfinished")},
        "makespan_s": s["makespan_s"],
        "job_turnaround_s": {
            **_pick(s["job_turnaround_s"], ("mean", "p50", "p95")),
            "by_priority": {band: _pick(stats, ("mean", "p50", "p95", "count"))
                            for band, stats in fair["job_turnaround_s"]["by_priority"].items()},
        },
        "task_wait_s": {
            **_pick(s["task_wait_s"], ("mean", "p95")),
            "by_priority": {band: _pick(stats, ("mean", "p95", "count"))
                            for band, stats in fair["task_wait_s"]["by_priority"].items()},
        },
        "longest_wait_s": longest["wait_s"] if isinstance(longest, dict) else None,
        "worker_share": groups,
        "jain_min": min(jains) if jains else None,
        "worker_utilization": s["worker_utilization"],
        "worker_hours": s["worker_hours"],
        "cost_usd": s["cost_usd"]["total"],
    }


@dataclass(frozen=True)
class MetricRow:
    """One row of a comparison's table.

    Attributes:
        name: the row's name in :meth:`Comparison.table`, with its unit (``turnaround p95,
            priority 80 (s)``).
        label: the same without the unit, for the report and the terminal.
        kind: how its values read: ``duration`` (seconds), ``count``, ``fraction`` (0 to 1),
            ``index`` (Jain's), ``hours`` or ``usd``.
        better: ``lower`` or ``higher`` when a lower (higher) value is better, else ``""``.
        values: the value of each variant (None: none), by name.
    """

    name: str
    label: str
    kind: str
    better: str
    values: dict[str, float | None]

    def best(self) -> list[str]:
        """The variants whose value is the best of the row; none when the row has no
        direction or every variant has the same value."""
        known = {name: v for name, v in self.values.items()
                 if v is not None and not math.isnan(v)}
        if not self.better or len(known) < 2:
            return []
        top = (min if self.better == "lower" else max)(known.values())
        best = [name for name, v in known.items() if math.isclose(v, top, rel_tol=1e-9,
                                                                   abs_tol=1e-12)]
        return [] if len(best) == len(self.values) else best


_UNITS = {"duration": " (s)", "hours": "", "usd": " (USD)", "fraction": "",
          "count": "", "index": ""}


def metric_rows(metrics: Mapping[str, Mapping[str, Any]]) -> list[MetricRow]:
    """The rows of a comparison's table from each variant's metrics (:func:`variant_metrics`),
    in this order: jobs succeeded and unfinished, makespan, turnaround mean, p50 and p95
    (overall, then by priority band when the variants' jobs have several bands), task wait mean
    and p95 (the same), the longest wait, per group of jobs of equal priority that competed in
    any variant Jain's index and the least and most share, worker utilisation, worker-hours
    and cost."""
    names = list(metrics)
    rows: list[MetricRow] = []

    def add(label: str, kind: str, better: str, get: Any) -> None:
        values: dict[str, float | None] = {}
        for name in names:
            try:
                value = get(metrics[name])
            except (KeyError, TypeError):
                value = None
            values[name] = None if value is None else float(value)
        rows.append(MetricRow(label + _UNITS[kind], label, kind, better, values))

    add("jobs succeeded", "count", "higher", lambda m: m["jobs"]["succeeded"])
    add("jobs unfinished", "count", "lower", lambda m: m["jobs"]["unfinished"])
    add("makespan", "duration", "lower", lambda m: m["makespan_s"])
    bands = _union(m["job_turnaround_s"]["by_priority"] for m in metrics.values())
    bands = _union([bands, *(m["task_wait_s"]["by_priority"] for m in metrics.values())])
    bands = sorted(bands, key=_band_order)
    for stat in ("mean", "p50", "p95"):
        add(f"turnaround {stat}", "duration", "lower",
            lambda m, stat=stat: m["job_turnaround_s"][stat])
    if len(bands) > 1:
        for band in reversed(bands):  # the highest priority first
            for stat in ("mean", "p50", "p95"):
                add(f"turnaround {stat}, priority {band}", "duration", "lower",
                    lambda m, band=band, stat=stat: m["job_turnaround_s"]["by_priority"][band][
                        stat])
    for stat in ("mean", "p95"):
        add(f"task wait {stat}", "duration", "lower", lambda m, stat=stat: m["task_wait_s"][stat])
    if len(bands) > 1:
        for band in reversed(bands):
            for stat in ("mean", "p95"):
                add(f"task wait {stat}, priority {band}", "duration", "lower",
                    lambda m, band=band, stat=stat: m["task_wait_s"]["by_priority"][band][stat])
    add("longest wait", "duration", "lower", lambda m: m["longest_wait_s"])
    groups = sorted({(queue, priority) for m in metrics.values()
                     for queue, by in m["worker_share"].items() for priority in by},
                    key=lambda g: (g[0], _band_order(g[1])))
    for queue, priority in groups:
        where = f"{queue}, priority {priority}"
        for key, label, better in (("jain", "Jain's index", "higher"),
                                   ("min_share", "least worker share", "higher"),
                                   ("max_share", "most worker share", "")):
            add(f"{label} ({where})", "index" if key == "jain" else "fraction", better,
                lambda m, q=queue, p=priority, k=key: m["worker_share"][q][p][k])
    add("worker utilisation", "fraction", "higher", lambda m: m["worker_utilization"])
    add("worker-hours", "hours", "lower", lambda m: m["worker_hours"])
    add("cost", "usd", "lower", lambda m: m["cost_usd"])
    return rows


def format_metric(kind: str, value: float | None) -> str:
    """A value of a row of kind ``kind`` as the report and the terminal show it: ``1h 2m 3s``,
    ``42``, ``87.5%``, ``0.93``, ``12.5``, ``$4.20``; ``-`` for none."""
    if value is None or math.isnan(value):
        return "-"
    if kind == "duration":
        return hms(value)
    if kind == "count":
        return f"{value:,.0f}"
    if kind == "fraction":
        return f"{100 * value:.1f}%"
    if kind == "index":
        return f"{value:.2f}"
    if kind == "usd":
        return f"${value:,.2f}"
    return f"{value:,.1f}"


# ---------------------------------------------------------------------------- helpers


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _pick(stats: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {key: stats.get(key) for key in keys}


def _union(dicts: Any) -> list[str]:
    out: dict[str, None] = {}
    for d in dicts:
        out.update(dict.fromkeys(d))
    return list(out)


def _band_order(band: str) -> tuple[int, str]:
    """Priority bands (``50``, ``25-49``) in priority order."""
    head = band.split("-", 1)[0]
    return (int(head) if head.lstrip("-").isdigit() else 0, band)


def _strerror(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno else str(exc)


def _read_document(path: Path) -> dict[str, Any]:
    """``comparison.json``, checked: its scenario, seed and variants (each a name and a folder
    inside the comparison's)."""
    if not path.is_file():
        raise ResultsError(f"no {COMPARISON} (a comparison's folder, written by farmsim run on "
                           "a scenario with variants or Comparison.save, holds one)",
                           path=str(path.parent))
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"cannot read it ({exc})", path=str(path)) from None
    except json.JSONDecodeError as exc:
        raise ResultsError(f"not valid JSON ({exc})", path=str(path)) from None
    except RecursionError:
        raise ResultsError("not valid JSON (nested too deeply)", path=str(path)) from None
    if not isinstance(document, dict):
        raise ResultsError(f"must hold a JSON object (got {type(document).__name__})",
                           path=str(path))
    if not isinstance(document.get("scenario"), str):
        raise ResultsError("key 'scenario' must be a string", path=str(path))
    seed = document.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ResultsError(f"key 'seed' must be an integer >= 0 (got {seed!r})", path=str(path))
    for key in ("until_s", "horizon_s"):
        value = document.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ResultsError(f"key {key!r} must be a number or null (got {value!r})",
                               path=str(path))
    if document.get("source") is not None and not isinstance(document["source"], str):
        raise ResultsError("key 'source' must be a string or null", path=str(path))
    variants = document.get("variants")
    if not isinstance(variants, list) or not variants:
        raise ResultsError("key 'variants' must be a non-empty list", path=str(path))
    seen: set[str] = set()
    for i, entry in enumerate(variants):
        where = f"variants[{i}]"
        if not isinstance(entry, dict):
            raise ResultsError(f"{where} must be an object", path=str(path))
        for key in ("name", "folder"):
            value = entry.get(key)
            if not isinstance(value, str) or not _FOLDER.fullmatch(value):
                raise ResultsError(f"{where}.{key} must be a variant's name (a folder of the "
                                   f"comparison's; got {value!r})", path=str(path))
        if entry["name"] in seen:
            raise ResultsError(f"{where}.name {entry['name']!r} is listed twice", path=str(path))
        seen.add(entry["name"])
        if entry.get("description") is not None and not isinstance(entry["description"], str):
            raise ResultsError(f"{where}.description must be a string or null", path=str(path))
        if entry.get("set") is not None and not isinstance(entry["set"], dict):
            raise ResultsError(f"{where}.set must be an object", path=str(path))
    return document
