"""Small builders for hand-made engine scenarios (fixed durations, exact times)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from farmsim.engine.simulation import Simulation
from farmsim.model.config import FarmConfig, FleetConfig, JobSubmission, LimitConfig, QueueConfig
from farmsim.model.distributions import Distribution, Fixed
from farmsim.model.enums import CreateJobTargetTaskRunStatus
from farmsim.model.job import AmountRequirement, JobStructure, StepStructure
from farmsim.model.runtimes import RuleMatch, RuntimeModel, RuntimeRule
from farmsim.record.result import Result
from farmsim.scenario.config import Scenario


def step(name: str, tasks: int = 1, *, deps: tuple[int, ...] = (),
         licenses: dict[str, int] | None = None) -> StepStructure:
    """A step; ``licenses`` maps limit names to the units a run takes. Index set by job()."""
    amounts = tuple(AmountRequirement(f"amount.license.{n}", min=float(u))
                    for n, u in (licenses or {}).items())
    return StepStructure(name=name, index=-1, task_count=tasks, dependencies=deps,
                         amounts=amounts)


def job(*steps: StepStructure, name: str = "job", at: float = 0.0, queue: str = "q",
        priority: int = 50, mwc: int = -1, retries: int = 0, max_failed: int = 20,
        suspended: bool = False) -> JobSubmission:
    indexed = tuple(StepStructure(name=s.name, index=i, task_count=s.task_count,
                                  dependencies=s.dependencies, amounts=s.amounts)
                    for i, s in enumerate(steps))
    return JobSubmission(
        at=at, queue=queue, structure=JobStructure(name=name, steps=indexed), priority=priority,
        max_worker_count=mwc, max_retries_per_task=retries, max_failed_tasks_count=max_failed,
        target_task_run_status=(CreateJobTargetTaskRunStatus.SUSPENDED if suspended
                                else CreateJobTargetTaskRunStatus.READY))


def scenario(*jobs: JobSubmission, workers: int = 1, poll: float = 0.0,
             limits: dict[str, int] | None = None, associated: tuple[str, ...] | None = None,
             durations: dict[str, float] | None = None, failing: tuple[str, ...] = (),
             default_s: float = 10.0, farm: FarmConfig | None = None, seed: int = 0
             ) -> Scenario:
    """One queue ``q`` served by one fleet ``f`` of ``workers`` workers (unless ``farm``);
    limits by name -> maxCount, associated with ``q`` (all, unless ``associated``); fixed
    durations by step name (``default_s`` otherwise); steps in ``failing`` always fail."""
    limits = limits or {}
    if farm is None:
        farm = FarmConfig(
            queues=(QueueConfig(display_name="q", fleets=("f",),
                                limits=tuple(limits) if associated is None else associated),),
            fleets=(FleetConfig(display_name="f", worker_count=workers),),
            limits=tuple(LimitConfig(display_name=n, amount_requirement_name=f"amount.license.{n}",
                                     max_count=m) for n, m in limits.items()),
            worker_poll_interval=poll)
    names = {s.name for j in jobs for s in j.structure.steps}
    rules = tuple(RuntimeRule(match=RuleMatch(step=n), duration=Fixed(
        (durations or {}).get(n, default_s)), failure_probability=1.0 if n in failing else 0.0)
        for n in sorted(names))
    return Scenario(seed=seed, farm=farm, jobs=jobs, runtimes=RuntimeModel(rules=rules))


def run(sc: Scenario, until: float | None = None) -> Result:
    sim = Simulation(sc)
    sim.run(until=until)
    return sim.result()


def runs(result: Result, step_name: str | None = None, job_name: str | None = None
         ) -> pd.DataFrame:
    """Task runs (optionally of one step name / job name) with plain-string ids, a ``task``
    number and the ``step``/``job`` names, sorted by assignment time then task."""
    frame = result.task_runs.astype({"job_id": str, "step_id": str, "task_id": str,
                                     "worker_id": str, "status": str})
    steps = result.steps.astype({"step_id": str})
    jobs = result.jobs.astype({"job_id": str})
    frame["step"] = frame["step_id"].map(dict(zip(steps["step_id"], steps["name"], strict=True)))
    frame["job"] = frame["job_id"].map(dict(zip(jobs["job_id"], jobs["name"], strict=True)))
    frame["task"] = frame["task_id"].str.rsplit("-", n=1).str[1].astype(int)
    if step_name is not None:
        frame = frame[frame["step"] == step_name]
    if job_name is not None:
        frame = frame[frame["job"] == job_name]
    return frame.sort_values(["assigned_at", "job", "step", "task"]).reset_index(drop=True)


def last_status(result: Result) -> dict[tuple[str, str, int], str]:
    """(job name, step name, task number) -> the task's last status in task_events."""
    ev = result.task_events.astype({"job_id": str, "step_id": str, "task_id": str,
                                    "status": str})
    steps = result.steps.astype({"step_id": str})
    jobs = result.jobs.astype({"job_id": str})
    step_name = dict(zip(steps["step_id"], steps["name"], strict=True))
    job_name = dict(zip(jobs["job_id"], jobs["name"], strict=True))
    out = {}
    for j, s, t, status in zip(ev["job_id"], ev["step_id"], ev["task_id"], ev["status"],
                               strict=True):
        out[(job_name[j], step_name[s], int(t.rsplit("-", 1)[1]))] = status
    return out


def job_row(result: Result, name: str) -> pd.Series:
    jobs = result.jobs
    return jobs[jobs["name"] == name].iloc[0]


class Draws(Distribution):
    """Values given in order (the last one repeats): a test's control over each draw of a
    distribution (a lag, a script's time)."""

    def __init__(self, *values: float) -> None:
        self.values = list(values)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        out = [self.values.pop(0) if len(self.values) > 1 else self.values[0]
               for _ in range(size)]
        return np.array(out, dtype=float)
