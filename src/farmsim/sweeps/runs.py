"""The runs of a sweep: what one run is (:class:`RunSpec`), running it (:func:`run_one`, a plain
function of picklable arguments, so any executor can call it), and what it gives back
(:class:`RunOutcome`: its metrics, or why it has none).

A run's metrics are its summary's numbers, flattened to dotted names
(``job_turnaround_s.p95``, ``limits.nuke.blocked_task_hours``, ``cost_usd.total``), plus two of
the sweep's own:

- ``delay_hours``: the hours the run's jobs spent in the farm, each from its submission to its
  end (or to the end of the run, for a job not finished then), summed. A job left waiting at
  the end counts for all the time it waited, so fewer workers or licenses can never look
  better by finishing less.
- ``jobs_on_time``: with a ``deadline``, the share of submitted jobs that succeeded within it
  of their submission.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from farmsim._version import __version__
from farmsim.errors import FarmsimError

if TYPE_CHECKING:
    from farmsim.record.result import Result
    from farmsim.scenario import Scenario

__all__ = ["CACHED_POINTS", "RunOutcome", "RunSpec", "flatten", "point_key", "prime", "run_key",
           "run_metrics", "run_one", "scenario_fingerprint"]

#: Leaves of a summary that are not metrics (ids and names).
_NOT_METRICS = ("seed", "simulated_s")


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: replication ``replication`` of point ``point``.

    Attributes:
        point: the point's number.
        replication: the replication's number (0 to replications - 1).
        seed: the seed it runs with.
        variant: the scenario variant it runs, or None.
        overrides: the point's scenario overrides.
        key: the name of its file in the sweep's ``runs/`` folder (a hash of the scenario,
            the point, the seed and the run's settings).
        point_key: a hash of the scenario and the point (the runs of a point share it).
    """

    point: int
    replication: int
    seed: int
    variant: str | None
    overrides: Mapping[str, Any]
    key: str
    point_key: str


@dataclass
class RunOutcome:
    """What a run gave back.

    Attributes:
        key, point, replication, seed: the run's (:class:`RunSpec`).
        status: ``ok``, ``failed`` (farmsim or the policy refused something, or the run
            raised) or ``killed`` (its process died).
        error: why it failed, or None.
        elapsed_s: its wall time, in seconds.
        metrics: its metrics (empty unless ok).
    """

    key: str
    point: int
    replication: int
    seed: int
    status: str
    error: str | None = None
    elapsed_s: float = 0.0
    metrics: dict[str, float] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        return {"key": self.key, "point": self.point, "replication": self.replication,
                "seed": self.seed, "status": self.status, "error": self.error,
                "elapsed_s": self.elapsed_s, "farmsim": __version__,
                "metrics": {k: (None if math.isnan(v) else v) for k, v in self.metrics.items()}}

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> RunOutcome:
        metrics = {str(k): (math.nan if v is None else float(v))
                   for k, v in dict(doc.get("metrics") or {}).items()}
        return cls(key=str(doc["key"]), point=int(doc["point"]),
                   replication=int(doc["replication"]), seed=int(doc["seed"]),
                   status=str(doc["status"]), error=doc.get("error"),
                   elapsed_s=float(doc.get("elapsed_s") or 0.0), metrics=metrics)


def scenario_fingerprint(scenario: Scenario) -> str:
    """A hash of what the scenario is: its file's settings (``raw``) and where its relative
    paths point, or, for a scenario built without a mapping, its pickle."""
    if scenario.raw is not None:
        text = json.dumps({"raw": scenario.raw, "base_dir": scenario.base_dir},
                          sort_keys=True, default=repr)
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
    import pickle

    return hashlib.sha1(pickle.dumps(scenario), usedforsecurity=False).hexdigest()


def point_key(fingerprint: str, variant: str | None, overrides: Mapping[str, Any]) -> str:
    """A hash of a scenario's point: the scenario, the variant and the overrides."""
    text = json.dumps({"scenario": fingerprint, "variant": variant, "overrides": overrides},
                      sort_keys=True, default=repr)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def run_key(point: str, seed: int, settings: Mapping[str, Any]) -> str:
    """The name of a run's file: the same point (:func:`point_key`), seed and settings give
    the same."""
    text = json.dumps({"point": point, "seed": seed, "settings": settings,
                       "farmsim": __version__}, sort_keys=True, default=repr)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:20]


def flatten(summary: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """The numbers of a summary, by dotted path; None becomes NaN, text and lists are left
    out (ids, names, notes)."""
    out: dict[str, float] = {}
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int | float):
            out[name] = float(value)
        elif value is None and prefix not in ("fairness.longest_wait.",):
            out[name] = math.nan
    return out


def run_metrics(result: Result, deadline_s: float | None = None) -> dict[str, float]:
    """A run's metrics (the module's docstring)."""
    summary = result.summary()
    for key in _NOT_METRICS:
        summary.pop(key, None)
    metrics = flatten(summary)
    jobs = result.catalog.jobs
    submitted = np.asarray(jobs["submitted_at"], dtype=float)
    ended = np.asarray(jobs["ended_at"], dtype=float)
    end = float(result.catalog.end_time)
    came = submitted <= end
    until = np.where(np.isnan(ended), end, ended)
    metrics["delay_hours"] = math.fsum((until - submitted)[came].tolist()) / 3600.0
    if deadline_s is not None:
        status = np.asarray(jobs["task_run_status"], dtype=object)
        on_time = came & (status == "SUCCEEDED") & (ended - submitted <= deadline_s)
        metrics["jobs_on_time"] = (float(on_time.sum()) / float(came.sum())
                                   if came.any() else math.nan)
    return metrics


#: How many points' scenarios a process keeps (:func:`prime`, :func:`run_one`).
CACHED_POINTS = 64
# The scenarios of the last points a process ran, by point key: a point's replications
# validate its overrides once.
_CACHE: dict[str, Scenario] = {}


def prime(scenarios: Mapping[str, Scenario]) -> None:
    """Keep these points' scenarios (by point key) for this process's runs, and a pool's
    forked from it."""
    _CACHE.clear()
    _CACHE.update(dict(list(scenarios.items())[:CACHED_POINTS]))


def run_one(scenario: Scenario, spec: RunSpec, until: float | None,
            deadline_s: float | None) -> RunOutcome:
    """Run ``spec`` and return its outcome; never raises for the run's own failures (a
    FarmsimError or any exception is the outcome's ``error``)."""
    start = time.perf_counter()
    try:
        point = _point_scenario(scenario, spec)
        from farmsim.engine.simulation import Simulation

        sim = Simulation(point, seed=spec.seed)
        sim.run(until=until)
        metrics = run_metrics(sim.result(), deadline_s)
    except FarmsimError as exc:
        return _failed(spec, str(exc), start)
    except Exception as exc:  # noqa: BLE001 - a run's failure is reported, the sweep goes on
        where = traceback.extract_tb(exc.__traceback__)[-1:]
        at = f" (at {where[0].filename}:{where[0].lineno})" if where else ""
        return _failed(spec, f"{type(exc).__name__}: {exc}{at}", start)
    return RunOutcome(spec.key, spec.point, spec.replication, spec.seed, "ok",
                      elapsed_s=time.perf_counter() - start, metrics=metrics)


def _point_scenario(scenario: Scenario, spec: RunSpec) -> Scenario:
    found = _CACHE.get(spec.point_key)
    if found is None:
        found = scenario.variant(spec.variant) if spec.variant is not None else scenario
        if spec.overrides:
            found = found.with_overrides(spec.overrides)
        if len(_CACHE) >= CACHED_POINTS:
            _CACHE.clear()
        _CACHE[spec.point_key] = found
    return found


def _failed(spec: RunSpec, error: str, start: float) -> RunOutcome:
    return RunOutcome(spec.key, spec.point, spec.replication, spec.seed, "failed",
                      error=error, elapsed_s=time.perf_counter() - start)
