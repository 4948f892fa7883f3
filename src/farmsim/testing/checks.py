"""Checks of a run's tables against the scenario it ran: what the tables alone cannot tell.

The checks of :mod:`farmsim.record.invariants` read a result and nothing else. These also read
the :class:`~farmsim.scenario.Scenario` (or anything with its ``farm``, ``jobs`` and
``arrivals``): the fleets' capabilities, each job's ``maxRetriesPerTask`` and
``maxFailedTasksCount``, the arrival streams' windows. Each raises
:class:`~farmsim.record.invariants.InvariantViolation` naming the rule, the ids, the times and
the values that break it. They need pandas, never Hypothesis.

Jobs are matched to the scenario by name: an explicit job by its ``name`` (a replayed trace's)
or its structure's name, a generated one by its arrival stream's name. A job whose name the
scenario does not know, or knows with different settings, is left out of the checks that need
its settings. Tasks a user changed (UpdateJob, UpdateStep, UpdateTask: ``task_events.by_user``)
and jobs whose setting a user changed (``job_updates``) are left out of the checks of that
setting.

Example::

    sim = Simulation(scenario)
    sim.run()
    result = sim.result()
    check_retries(result, scenario)
    check_host_requirements(result, scenario)
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from farmsim.errors import FarmsimError
from farmsim.model.capabilities import FleetCapabilities
from farmsim.record.invariants import FINAL_TASK_STATUSES, InvariantViolation

__all__ = [
    "check_arrival_windows",
    "check_host_requirements",
    "check_max_failed_tasks",
    "check_retries",
]


def _fail(rule: str, detail: str) -> None:
    raise InvariantViolation(f"{rule}: {detail}")


def _job_settings(scenario: Any, setting: str) -> dict[str, int]:
    """Each job name's ``setting`` (``max_retries_per_task``, ``max_failed_tasks_count``) from
    the scenario's explicit jobs and arrival streams; a name given two values is left out."""
    values: dict[str, set[int]] = defaultdict(set)
    for job in getattr(scenario, "jobs", ()):
        values[job.name or job.structure.name].add(int(getattr(job, setting)))
    for stream in getattr(scenario, "arrivals", ()):
        values[stream.name].add(int(getattr(stream, setting)))
    return {name: next(iter(v)) for name, v in values.items() if len(v) == 1}


def _changed_jobs(result: Any, setting: str) -> set[str]:
    """Jobs whose ``setting`` a user changed during the run (``job_updates``)."""
    updates = getattr(result, "job_updates", None)
    if updates is None or not len(updates):
        return set()
    mine = updates[updates["setting"].astype(str) == setting]
    return set(mine["job_id"].astype(str))


def _user_tasks(result: Any) -> set[str]:
    """Tasks with a status change a user made."""
    ev = result.task_events
    if "by_user" not in ev or not len(ev):
        return set()
    return set(ev["task_id"][ev["by_user"].to_numpy(dtype=bool)].astype(str))


def _timelines(result: Any) -> dict[str, dict[str, list[tuple[float, str]]]]:
    """Per job id, per task: its (time, status) changes in order."""
    ev = result.task_events
    out: dict[str, dict[str, list[tuple[float, str]]]] = defaultdict(lambda: defaultdict(list))
    for t, job, task, status in zip(ev["time"], ev["job_id"].astype(str),
                                    ev["task_id"].astype(str), ev["status"].astype(str),
                                    strict=True):
        out[job][task].append((float(t), status))
    return out


def _final(seq: list[tuple[float, str]]) -> tuple[float, str]:
    """A task's first final status and when it reached it; else (inf, its last status)."""
    return next(((t, s) for t, s in seq if s in FINAL_TASK_STATUSES), (math.inf, seq[-1][1]))


def check_retries(result: Any, scenario: Any) -> None:
    """Retries follow ``maxRetriesPerTask`` (semantics B): each task's runs are attempts 0, 1,
    ... in order, a FAILED run retried as the next attempt (READY again at the instant it
    failed) and an INTERRUPTED one as the same attempt; every run but the last FAILED or was
    INTERRUPTED; a task has at most ``1 + maxRetriesPerTask`` runs that were not interrupted,
    and one that ended FAILED had exactly that many, all FAILED. A FAILED run was retried
    (the task READY again) unless it was the last run of a task that ended FAILED; each
    task's ``failure_retry_count`` (the ``tasks`` table) and the job's
    ``task_failure_retry_count`` count those."""
    rule = "retries"
    retries = _job_settings(scenario, "max_retries_per_task")
    changed = _changed_jobs(result, "max_retries_per_task")
    by_user = _user_tasks(result)
    names = dict(zip(result.jobs["job_id"].astype(str), result.jobs["name"].astype(str),
                     strict=True))
    counts = dict(zip(result.jobs["job_id"].astype(str),
                      result.jobs["task_failure_retry_count"], strict=True))
    tasks = getattr(result, "tasks", None)
    task_counts = ({} if tasks is None else dict(zip(
        tasks["task_id"].astype(str), tasks["failure_retry_count"].astype(int), strict=True)))
    timelines = _timelines(result)
    runs = result.task_runs
    runs = runs.assign(job_id=runs["job_id"].astype(str), task_id=runs["task_id"].astype(str),
                       status=runs["status"].astype(str), worker_id=runs["worker_id"].astype(str))
    by_job = dict(iter(runs.groupby("job_id", sort=False)))
    for job, name in names.items():
        if name not in retries or job in changed:
            continue
        most = retries[name]
        mine = by_job.get(job)
        retried = 0
        if mine is not None:
            mine = mine.sort_values(["task_id", "attempt", "assigned_at"], kind="stable")
            for task, task_runs in mine.groupby("task_id", sort=False):
                if task in by_user:
                    retried = -1
                    break
                mine_retried = _check_task_retries(rule, job, name, str(task), task_runs, most,
                                                   _final(timelines[job][str(task)])[1])
                recorded = task_counts.get(str(task), 0)
                if task_counts and recorded != mine_retried:
                    _fail(rule, f"task {task} of job {job} ({name}) has failure_retry_count="
                                f"{recorded} but {mine_retried} of its FAILED runs were retried")
                retried += mine_retried
        if retried >= 0 and counts[job] != retried:
            _fail(rule, f"job {job} ({name}) has task_failure_retry_count={counts[job]} but "
                        f"{retried} of its FAILED runs were retried")


def _check_task_retries(rule: str, job: str, name: str, task: str, runs: Any, most: int,
                        final: str) -> int:
    """One task's runs (in attempt order) against ``maxRetriesPerTask`` ``most``; returns how
    many of its FAILED runs were retried."""
    statuses = runs["status"].tolist()
    attempts = [int(a) for a in runs["attempt"]]
    ready = runs["ready_at"].tolist()
    ended = runs["ended_at"].tolist()
    where = f"task {task} of job {job} ({name}, maxRetriesPerTask {most})"
    expected = 0
    for i, status in enumerate(statuses):
        if attempts[i] != expected:
            _fail(rule, f"{where}: run {i} is attempt {attempts[i]}, expected {expected} "
                        f"(runs {list(zip(attempts, statuses, strict=True))})")
        if i + 1 < len(statuses) and status not in ("FAILED", "INTERRUPTED"):
            _fail(rule, f"{where}: run {i} (attempt {attempts[i]}) ended {status} but the task "
                        "ran again")
        if i and statuses[i - 1] == "FAILED" and ready[i] != ended[i - 1]:
            _fail(rule, f"{where}: attempt {attempts[i]} was READY at t={ready[i]}, not when "
                        f"attempt {attempts[i - 1]} failed (t={ended[i - 1]})")
        if status == "FAILED":
            expected += 1
    counted = [s for s in statuses if s != "INTERRUPTED"]
    if len(counted) > 1 + most:
        _fail(rule, f"{where}: {len(counted)} runs {statuses}, more than 1 + {most}")
    if final == "FAILED" and counted != ["FAILED"] * (1 + most):
        _fail(rule, f"{where}: the task FAILED after runs {statuses}, not after exactly "
                    f"1 + {most} failed runs")
    failed = int(statuses.count("FAILED"))
    return failed - 1 if final == "FAILED" and statuses[-1] == "FAILED" else failed


def check_max_failed_tasks(result: Any, scenario: Any) -> None:
    """``maxFailedTasksCount`` cancels the rest of a job (semantics 10.3): a job trips when
    ``max(1, maxFailedTasksCount)`` of its tasks are FAILED, and then has exactly that many
    FAILED tasks; at that instant every task not yet final becomes CANCELED (a running one's
    run too, ending then), no run of the job is assigned afterwards, the job is FAILED and it
    ended then. Jobs with a task a user changed are left out."""
    rule = "max failed tasks"
    limits = _job_settings(scenario, "max_failed_tasks_count")
    changed = _changed_jobs(result, "max_failed_tasks_count")
    by_user = _user_tasks(result)
    jobs = result.jobs
    timelines = _timelines(result)
    runs = result.task_runs
    runs = runs.assign(job_id=runs["job_id"].astype(str), status=runs["status"].astype(str))
    by_job = dict(iter(runs.groupby("job_id", sort=False)))
    for job, name, status, ended_at in zip(jobs["job_id"].astype(str), jobs["name"].astype(str),
                                           jobs["task_run_status"].astype(str),
                                           jobs["ended_at"], strict=True):
        if name not in limits or job in changed:
            continue
        seqs = timelines[job]
        if any(task in by_user for task in seqs):
            continue
        threshold = max(1, limits[name])
        final = {task: _final(seq) for task, seq in seqs.items()}
        failed_times = sorted(t for t, s in final.values() if s == "FAILED")
        if len(failed_times) < threshold:
            continue
        trip = failed_times[threshold - 1]
        where = f"job {job} ({name}, maxFailedTasksCount {limits[name]})"
        if len(failed_times) != threshold:
            _fail(rule, f"{where}: {len(failed_times)} FAILED tasks, though it tripped at the "
                        f"{threshold}th at t={trip}")
        if status != "FAILED":
            _fail(rule, f"{where}: tripped at t={trip} but is {status}")
        for task, (t, s) in final.items():
            if t > trip:
                _fail(rule, f"{where}: task {task} became {s} at t={t}, after the job tripped "
                            f"at t={trip}")
            if s == "CANCELED" and t != trip:
                _fail(rule, f"{where}: task {task} was CANCELED at t={t}, not when the job "
                            f"tripped (t={trip})")
        mine = by_job.get(job)
        if mine is not None:
            late = mine[(mine["assigned_at"] > trip).to_numpy()]
            if len(late):
                row = late.iloc[0]
                _fail(rule, f"{where}: a run of {row['task_id']} was assigned at "
                            f"t={row['assigned_at']}, after the job tripped at t={trip}")
            canceled = mine[(mine["status"] == "CANCELED").to_numpy()]
            wrong = canceled[(canceled["ended_at"] != trip).to_numpy()]
            if len(wrong):
                row = wrong.iloc[0]
                _fail(rule, f"{where}: the CANCELED run of {row['task_id']} ended at "
                            f"t={row['ended_at']}, not when the job tripped (t={trip})")
        if ended_at != trip:
            _fail(rule, f"{where}: tripped at t={trip} but has ended_at={ended_at}")


def check_host_requirements(result: Any, scenario: Any) -> None:
    """No task ran on a worker whose fleet does not satisfy its step's host requirements
    (semantics F.6): the fleet's capabilities (its ``configuration``, as
    :class:`~farmsim.model.capabilities.FleetCapabilities` reads them) meet the step's
    amounts (but those naming one of the farm's limits) and attributes. Steps are those of the
    scenario's explicit jobs, matched by job and step name (a name two jobs share with
    different requirements: any of them will do); runs of other jobs are not checked."""
    farm = scenario.farm
    caps = {f.display_name: FleetCapabilities.from_configuration(f.configuration)
            for f in farm.fleets}
    limits = {lim.amount_requirement_name.lower() for lim in farm.limits}
    unmet: dict[tuple[str, str, str], list[str]] = {}
    for job in scenario.jobs:
        for step in job.structure.steps:
            amounts = [a for a in step.amounts if a.name.lower() not in limits]
            for fleet, cap in caps.items():
                key = (fleet, job.name or job.structure.name, step.name)
                missing = cap.unmet(amounts, step.attributes)
                if key not in unmet or not missing:
                    unmet[key] = missing
    fleet_name = _fleet_names(result)
    worker_fleet = {str(w): fleet_name[str(f)] for w, f in
                    zip(result.workers["worker_id"], result.workers["fleet_id"], strict=True)}
    jobs = dict(zip(result.jobs["job_id"].astype(str), result.jobs["name"].astype(str),
                    strict=True))
    steps = result.steps
    step_of = {sid: (jobs[jid], name) for sid, jid, name in zip(
        steps["step_id"].astype(str), steps["job_id"].astype(str), steps["name"].astype(str),
        strict=True)}
    runs = result.task_runs
    for task, worker, step, assigned in zip(runs["task_id"].astype(str),
                                            runs["worker_id"].astype(str),
                                            runs["step_id"].astype(str), runs["assigned_at"],
                                            strict=True):
        job_name, step_name = step_of[step]
        fleet = worker_fleet[worker]
        lacks = unmet.get((fleet, job_name, step_name))
        if lacks:
            _fail("host requirements",
                  f"{task} (step {step_name} of job {job_name}) ran on {worker} of fleet "
                  f"{fleet} from t={assigned}, but the fleet does not satisfy {lacks}")


def _fleet_names(result: Any) -> dict[str, str]:
    """Fleet id -> displayName, from the catalog (a live result) or the summary."""
    catalog = getattr(result, "catalog", None)
    ids = getattr(catalog, "fleet_ids", None)
    names = getattr(catalog, "fleet_names", None)
    if ids is not None and names is not None:
        return {str(i): str(n) for i, n in zip(ids, names, strict=True)}
    return {str(v["fleet_id"]): name for name, v in result.summary()["fleets"].items()}


def check_arrival_windows(result: Any, scenario: Any) -> None:
    """Each arrival stream's jobs were submitted inside its window ``[start, end]`` and are at
    most its ``count``. A stream's jobs are the jobs, other than the scenario's explicit ones
    (matched by name and submission time), named as the job its template makes
    (``stream.expand(stream.typical_parameters()).name``; a template whose job name depends on
    the parameters makes jobs this check cannot attribute). Streams whose jobs share a name
    are checked together: the union of their windows, the sum of their counts."""
    explicit: dict[str, list[float]] = defaultdict(list)
    for job in scenario.jobs:
        explicit[job.name or job.structure.name].append(float(job.at))
    for times in explicit.values():
        times.sort()
    by_name: dict[str, list[Any]] = defaultdict(list)
    for stream in getattr(scenario, "arrivals", ()):
        by_name[_stream_job_name(stream)].append(stream)
    jobs = result.jobs
    for name, streams in by_name.items():
        rows = [(str(job), float(at)) for job, job_name, at in zip(
            jobs["job_id"], jobs["name"].astype(str), jobs["submitted_at"], strict=True)
            if job_name == name and not _explicit(explicit, name, float(at))]
        windows = [(s.start, math.inf if s.end is None else s.end) for s in streams]
        which = ", ".join(s.name for s in streams)
        for job, at in rows:
            if not any(low <= at <= high for low, high in windows):
                _fail("arrival windows", f"job {job} of stream {which} was submitted at "
                                         f"t={at}, outside its window "
                                         f"{' or '.join(f'[{a}, {b}]' for a, b in windows)}")
        if all(s.count is not None for s in streams):
            most = sum(s.count for s in streams)
            if len(rows) > most:
                _fail("arrival windows", f"stream {which} submitted {len(rows)} jobs, more "
                                         f"than its count {most}")


def _stream_job_name(stream: Any) -> str:
    """The name of the jobs ``stream`` submits (its own name if its template cannot say)."""
    try:
        return str(stream.expand(stream.typical_parameters()).name)
    except (FarmsimError, ValueError, TypeError, KeyError):  # (values it cannot take)
        return str(stream.name)


def _explicit(explicit: Mapping[str, list[float]], name: str, at: float) -> bool:
    """Is a job ``name`` submitted at ``at`` one of the scenario's explicit jobs? (The clock
    reaches a submission time to an ulp.)"""
    times = explicit.get(name, ())
    i = bisect_left(times, at - 1e-9 * max(1.0, abs(at)))
    return i < len(times) and math.isclose(times[i], at, rel_tol=1e-12, abs_tol=1e-12)
