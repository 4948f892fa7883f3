"""Property tests of how jobs end: failures never block other work, maxFailedTasksCount
cancels the rest (semantics B, 10.3), retries follow maxRetriesPerTask, and SUSPENDED or
NOT_COMPATIBLE jobs never run (A.2 rows 3-4, D.4 case 2, 10.12).

Expectations come from the scenario itself (which jobs fail, are suspended or incompatible)
and from the recorded tables, never from the engine's state."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter, defaultdict

import pandas as pd
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from farmsim.engine.simulation import Simulation
from farmsim.model.config import JobSubmission
from farmsim.model.enums import CreateJobTargetTaskRunStatus
from farmsim.model.runtimes import RuleMatch, RuntimeModel, RuntimeRule
from farmsim.record.result import Result
from farmsim.scenario.config import Scenario
from farmsim.testing import FINAL_TASK_STATUSES, check_max_failed_tasks, check_retries
from farmsim.testing.strategies import distributions, runtime_models, scenarios


def _run(scenario: Scenario) -> Result:
    """Run until nothing is left to do. (The invariants themselves are test_invariants'.)"""
    sim = Simulation(scenario)
    sim.run()
    return sim.result()


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    categorical = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return frame.astype(dict.fromkeys(categorical, str))


class Outcome:
    """Per job name: its row, its tasks' event timelines and its runs."""

    def __init__(self, result: Result) -> None:
        self.jobs = _plain(result.jobs).set_index("name")
        events = _plain(result.task_events)
        runs = _plain(result.task_runs)
        name_of = dict(zip(self.jobs["job_id"], self.jobs.index, strict=True))
        self.events: dict[str, dict[str, list[tuple[float, str]]]] = defaultdict(
            lambda: defaultdict(list))
        for t, job, task, status in zip(events["time"], events["job_id"], events["task_id"],
                                        events["status"], strict=True):
            self.events[name_of[job]][task].append((t, status))
        runs["job"] = runs["job_id"].map(name_of)
        self.runs = runs

    def status(self, job: str) -> str:
        return self.jobs.loc[job, "task_run_status"]

    def last(self, job: str) -> dict[str, str]:
        """Each task's final status (its first final one; else its last)."""
        return {task: next((s for _, s in seq if s in FINAL_TASK_STATUSES), seq[-1][1])
                for task, seq in self.events[job].items()}

    def runs_of(self, job: str) -> pd.DataFrame:
        return self.runs[self.runs["job"] == job]


def _incompatible(scenario: Scenario, job: JobSubmission) -> set[int]:
    """Steps naming a limit the job's queue is not associated with, or an amount no limit
    provides (the strategies' fleets have no custom amounts)."""
    farm = scenario.farm
    queue = next(q for q in farm.queues if q.display_name == job.queue)
    associated = {lim.amount_requirement_name.lower() for lim in farm.limits
                  if lim.display_name in queue.limits}
    return {s.index for s in job.structure.steps
            if any(a.name.lower() not in associated for a in s.amounts)}


@st.composite
def scenarios_with_failing_jobs(draw: st.DrawFn) -> tuple[Scenario, set[str]]:
    """A scenario (every job compatible and READY) where some jobs' runs always fail and every
    other run succeeds."""
    scenario = draw(scenarios(suspended=False, incompatible=False))
    names = [j.structure.name for j in scenario.jobs]
    bad = draw(st.sets(st.sampled_from(names), min_size=1))
    rules = tuple(RuntimeRule(match=RuleMatch(job=name), duration=draw(distributions()),
                              failure_probability=1.0) for name in sorted(bad))
    rules += (RuntimeRule(duration=draw(distributions()), failure_probability=0.0),)
    return dataclasses.replace(scenario, runtimes=RuntimeModel(rules=rules)), bad


@given(scenarios_with_failing_jobs())
def test_failing_jobs_never_block_other_work(case: tuple[Scenario, set[str]]) -> None:
    # GIVEN jobs whose every run fails, among jobs whose every run succeeds
    scenario, bad = case

    # WHEN the farm runs until nothing is left to do
    out = Outcome(_run(scenario))

    # THEN every failing job is FAILED, with its tasks FAILED, CANCELED (maxFailedTasksCount)
    # or PENDING behind a failed upstream, and every other job SUCCEEDED
    for job in scenario.jobs:
        name = job.structure.name
        if name in bad:
            assert out.status(name) == "FAILED", name
            assert set(out.last(name).values()) <= {"FAILED", "CANCELED", "PENDING"}
            assert (out.runs_of(name)["status"] != "SUCCEEDED").all()
        else:
            assert out.status(name) == "SUCCEEDED", name


@given(scenarios(suspended=False, incompatible=False,
                 runtimes=runtime_models(max_failure_probability=0.6)))
def test_max_failed_tasks_count_cancels_the_remaining_tasks(scenario: Scenario) -> None:
    # GIVEN jobs with random failure probabilities, retries and maxFailedTasksCount
    # WHEN the farm runs until nothing is left to do
    # THEN a job trips exactly when max(1, maxFailedTasksCount) of its tasks are FAILED
    # (semantics 10.3); at that instant every task not yet final becomes CANCELED (a running
    # one's run too) and nothing of the job runs afterwards (check_max_failed_tasks); an
    # untripped job cancels nothing
    result = _run(scenario)
    check_max_failed_tasks(result, scenario)
    out = Outcome(result)
    for job in scenario.jobs:
        name = job.structure.name
        threshold = max(1, job.max_failed_tasks_count)
        last = out.last(name)
        runs = out.runs_of(name)
        failed = list(last.values()).count("FAILED")
        if failed < threshold:
            assert "CANCELED" not in last.values(), name
            assert (runs["status"] != "CANCELED").all(), name
            expected = "FAILED" if failed else "SUCCEEDED"
            assert out.status(name) == expected, name


@given(scenarios(suspended=False, incompatible=False,
                 runtimes=runtime_models(max_failure_probability=0.6)))
def test_retries_follow_max_retries_per_task(scenario: Scenario) -> None:
    # GIVEN jobs with random failure probabilities and maxRetriesPerTask 0..3
    # WHEN the farm runs until nothing is left to do
    result = _run(scenario)

    # THEN each task's runs are attempts 0, 1, ... where every run but the last FAILED (none
    # is interrupted here), READY again when the previous one failed; a task FAILED after
    # exactly 1 + maxRetriesPerTask failed runs; the task's and the job's retry counts are the
    # number of failed runs that were retried
    assert not (result.task_runs["status"] == "INTERRUPTED").any()
    check_retries(result, scenario)


@given(scenarios(min_jobs=3))
def test_suspended_and_not_compatible_jobs_never_run(scenario: Scenario) -> None:
    # GIVEN a workload where some jobs are created SUSPENDED and some name a limit their queue
    # is not associated with (or an amount nothing provides)
    # WHEN the farm runs until nothing is left to do
    out = Outcome(_run(scenario))

    # THEN such jobs never run: an incompatible job's offending steps are NOT_COMPATIBLE and its
    # other steps CANCELED (job NOT_COMPATIBLE); a suspended job's tasks are all SUSPENDED
    for job in scenario.jobs:
        name = job.structure.name
        incompatible = _incompatible(scenario, job)
        suspended = job.target_task_run_status == CreateJobTargetTaskRunStatus.SUSPENDED
        if not incompatible and not suspended:
            continue
        assert out.runs_of(name).empty, name
        statuses = Counter(out.last(name).values())
        if incompatible:
            event("has a NOT_COMPATIBLE job")
            expected = Counter()
            for step in job.structure.steps:
                code = "NOT_COMPATIBLE" if step.index in incompatible else "CANCELED"
                expected[code] += step.task_count
            assert statuses == expected, name
            assert out.status(name) == "NOT_COMPATIBLE", name
        else:
            event("has a SUSPENDED job")
            assert statuses == Counter({"SUSPENDED": job.structure.task_count}), name
            assert out.status(name) == "SUSPENDED", name
        # Final at its submission, but it never ran: no started_at, and no ended_at (GetJob's
        # endedAt is when a job ended running). SimPy's clock reaches ``at`` as now + (at -
        # now), to an ulp.
        assert math.isnan(out.jobs.loc[name, "started_at"])
        assert math.isnan(out.jobs.loc[name, "ended_at"])
        assert out.jobs.loc[name, "submitted_at"] == pytest.approx(job.at, rel=1e-12, abs=1e-12)
