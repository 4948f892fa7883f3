"""The invariant checks: they pass on a correct run and catch each broken rule, naming it.

Each test breaks one rule in a copy of a real run's tables and expects the check for that rule
to fail with a message that names the time, the ids and the values.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from farmsim.engine.simulation import Simulation
from farmsim.model.config import FarmConfig, FleetConfig, JobSubmission, LimitConfig, QueueConfig
from farmsim.model.distributions import Fixed
from farmsim.model.job import AmountRequirement, JobStructure, StepStructure
from farmsim.model.runtimes import RuleMatch, RuntimeModel, RuntimeRule
from farmsim.record.result import TABLES, Result
from farmsim.scenario.config import Scenario
from farmsim.testing import (
    InvariantViolation,
    assert_same_tables,
    check_all,
    check_dependencies,
    check_job_status,
    check_limits,
    check_max_worker_count,
    check_task_final_states,
    check_task_transitions,
    check_time_monotonic,
    check_worker_exclusive,
)

LIC = (AmountRequirement("amount.license.nuke", min=1.0),)


def _scenario(seed: int = 0) -> Scenario:
    """Two workers, a license of 2. ``render``: 2 licensed 10 s tasks, then a 5 s encode.
    ``flaky`` (t=1, maxWorkerCount 1): a 4 s task that fails twice (1 retry)."""
    farm = FarmConfig(
        queues=(QueueConfig(display_name="q", fleets=("f",), limits=("nuke",)),),
        fleets=(FleetConfig(display_name="f", worker_count=2),),
        limits=(LimitConfig(display_name="nuke", amount_requirement_name="amount.license.nuke",
                            max_count=2),),
        worker_poll_interval=0.0)
    render = JobSubmission(at=0.0, queue="q", structure=JobStructure(name="render", steps=(
        StepStructure(name="Render", index=0, task_count=2, amounts=LIC),
        StepStructure(name="Encode", index=1, task_count=1, dependencies=(0,)))))
    flaky = JobSubmission(at=1.0, queue="q", max_worker_count=1, max_retries_per_task=1,
                          structure=JobStructure(name="flaky", steps=(
                              StepStructure(name="Flaky", index=0, task_count=1),)))
    rules = (RuntimeRule(match=RuleMatch(step="Encode"), duration=Fixed(5.0)),
             RuntimeRule(match=RuleMatch(step="Flaky"), duration=Fixed(4.0),
                         failure_probability=1.0),
             RuntimeRule(duration=Fixed(10.0)))
    return Scenario(seed=seed, farm=farm, jobs=(render, flaky), runtimes=RuntimeModel(
        rules=rules))


def _result(seed: int = 0) -> Result:
    sim = Simulation(_scenario(seed))
    sim.run()
    return sim.result()


class Tables:
    """A result's tables as plain (object-dtype) copies, to break on purpose."""

    def __init__(self, result: Result) -> None:
        self.catalog = result.catalog
        for name in TABLES:
            frame = getattr(result, name).copy()
            categorical = [c for c in frame.columns
                           if isinstance(frame[c].dtype, pd.CategoricalDtype)]
            setattr(self, name, frame.astype(dict.fromkeys(categorical, object)))


@pytest.fixture(scope="module")
def result() -> Result:
    return _result()


@pytest.fixture
def tables(result: Result) -> Tables:
    return Tables(result)


def _run_row(tables: Tables, step: str, attempt: int = 0) -> int:
    steps = tables.steps
    step_id = steps.loc[steps["name"] == step, "step_id"].iloc[0]
    runs = tables.task_runs
    return runs.index[(runs["step_id"] == step_id) & (runs["attempt"] == attempt)][0]


def test_the_run_is_as_described(result: Result) -> None:
    # GIVEN / WHEN the base run  THEN it has what the tests below break: two concurrent
    # licensed runs of one job at [0, 10), an encode starting at 10, two back-to-back runs
    runs = Tables(result).task_runs
    assert runs[["assigned_at", "ended_at", "status"]].values.tolist() == [
        [0.0, 10.0, "SUCCEEDED"], [0.0, 10.0, "SUCCEEDED"], [10.0, 14.0, "FAILED"],
        [10.0, 15.0, "SUCCEEDED"], [14.0, 18.0, "FAILED"]]
    check_all(result)
    check_all(Tables(result))


def test_worker_exclusive_catches_a_double_booked_worker(tables: Tables) -> None:
    # GIVEN both Render runs on the same worker
    runs = tables.task_runs
    runs.loc[runs.index[1], "worker_id"] = runs.loc[runs.index[0], "worker_id"]

    # WHEN / THEN
    with pytest.raises(InvariantViolation, match=r"^worker exclusive: worker worker-[0-9a-f]{32} "
                       r"runs task-[0-9a-f]{32}-\d over \[0\.0, 10\.0\) and task-[0-9a-f]{32}-\d "
                       r"from 0\.0$"):
        check_worker_exclusive(tables)


def test_max_worker_count_catches_too_many_runs_and_allows_back_to_back(
        tables: Tables) -> None:
    # GIVEN the flaky job (maxWorkerCount 1) whose two runs touch at t=14: allowed
    check_max_worker_count(tables)

    # WHEN render's maxWorkerCount is 1 while it runs 2 tasks  THEN caught
    jobs = tables.jobs
    jobs.loc[jobs["name"] == "render", "max_worker_count"] = 1
    with pytest.raises(InvariantViolation, match=r"^max worker count: job job-[0-9a-f]{32} has 2 "
                       r"task runs in flight at t=0\.0 \(max_worker_count=1\): "):
        check_max_worker_count(tables)


def test_max_worker_count_catches_overlap_by_an_instant(tables: Tables) -> None:
    # GIVEN flaky's retry assigned a hair before its first run ended
    runs = tables.task_runs
    runs.loc[_run_row(tables, "Flaky", 1), "assigned_at"] = 14.0 - 1e-9

    # WHEN / THEN
    with pytest.raises(InvariantViolation, match=r"has 2 task runs in flight at t=13\.99"):
        check_max_worker_count(tables)


def _set_max_workers(tables: Tables, job: str, at: float, value: int) -> None:
    """A user changed ``job``'s maxWorkerCount to ``value`` at ``at``: a job_updates row, and
    the jobs table's last value."""
    jobs = tables.jobs
    row = jobs.index[jobs["name"] == job][0]
    update = pd.DataFrame({"time": [at], "job_id": [jobs.at[row, "job_id"]],
                           "setting": ["max_worker_count"], "value": [value],
                           "previous": [int(jobs.at[row, "max_worker_count"])]})
    tables.job_updates = pd.concat([tables.job_updates, update], ignore_index=True)
    jobs.at[row, "max_worker_count"] = value


def test_max_worker_count_lets_the_work_going_on_carry_past_a_lowered_count(
        tables: Tables) -> None:
    # GIVEN render's maxWorkerCount lowered from none to 1 at t=5, while its two Render runs
    # go on to t=10, when its Encode run comes alone
    _set_max_workers(tables, "render", 5.0, 1)

    # WHEN / THEN allowed: nothing running is stopped, and no worker came on above 1
    check_max_worker_count(tables)

    # AND read as if 1 had always been in force (the row lost), the runs at t=0 break it
    tables.job_updates = tables.job_updates.iloc[:0]
    with pytest.raises(InvariantViolation, match=r"^max worker count: job job-[0-9a-f]{32} has 2 "
                       r"task runs in flight at t=0\.0 \(max_worker_count=1\): "):
        check_max_worker_count(tables)


def test_max_worker_count_catches_a_worker_coming_on_above_a_lowered_count(
        tables: Tables) -> None:
    # GIVEN render's maxWorkerCount lowered from none to 1 at t=5, and its Encode run assigned
    # at t=8, while both Render runs go on
    _set_max_workers(tables, "render", 5.0, 1)
    tables.task_runs.loc[_run_row(tables, "Encode"), "assigned_at"] = 8.0

    # WHEN / THEN caught
    with pytest.raises(InvariantViolation, match=r"^max worker count: job job-[0-9a-f]{32} has 3 "
                       r"task runs in flight at t=8\.0 \(max_worker_count=1\): "):
        check_max_worker_count(tables)


def test_max_worker_count_catches_a_worker_taking_a_leaving_ones_place_above_the_count(
        tables: Tables) -> None:
    # GIVEN render's maxWorkerCount lowered to 1 at t=5, and one Render run going on to t=12:
    # at t=10 the other ends and Encode comes on, so the level stays at 2, above 1
    _set_max_workers(tables, "render", 5.0, 1)
    tables.task_runs.loc[_run_row(tables, "Render"), "ended_at"] = 12.0

    # WHEN / THEN caught: the level did not rise, but a worker came on above the count
    with pytest.raises(InvariantViolation, match=r"has 2 task runs in flight at t=10\.0 "
                       r"\(max_worker_count=1\)"):
        check_max_worker_count(tables)


def test_max_worker_count_follows_a_raised_count(tables: Tables) -> None:
    # GIVEN flaky's retry assigned at t=12, while its first run goes on to t=14
    tables.task_runs.loc[_run_row(tables, "Flaky", 1), "assigned_at"] = 12.0
    # WHEN / THEN with its maxWorkerCount of 1 that is caught
    with pytest.raises(InvariantViolation, match=r"has 2 task runs in flight at t=12\.0 "
                       r"\(max_worker_count=1\)"):
        check_max_worker_count(tables)

    # GIVEN instead its maxWorkerCount raised to 2 at t=11  WHEN / THEN allowed
    _set_max_workers(tables, "flaky", 11.0, 2)
    check_max_worker_count(tables)


def test_max_worker_count_at_the_instant_of_a_change_allows_the_counts_of_that_instant(
        tables: Tables) -> None:
    # GIVEN render's maxWorkerCount lowered from none to 1 at t=0, the instant its two Render
    # runs came on (the tables do not tell which came first)
    _set_max_workers(tables, "render", 0.0, 1)

    # WHEN / THEN allowed; but a worker coming on above 1 after that instant is caught
    check_max_worker_count(tables)
    tables.task_runs.loc[_run_row(tables, "Encode"), "assigned_at"] = 8.0
    with pytest.raises(InvariantViolation, match=r"has 3 task runs in flight at t=8\.0"):
        check_max_worker_count(tables)


def test_max_worker_count_catches_jobs_and_job_updates_disagreeing(tables: Tables) -> None:
    # GIVEN render's maxWorkerCount lowered to 1 at t=5 by a job_updates row, but 2 in jobs
    _set_max_workers(tables, "render", 5.0, 1)
    jobs = tables.jobs
    jobs.loc[jobs["name"] == "render", "max_worker_count"] = 2

    # WHEN / THEN caught
    with pytest.raises(InvariantViolation, match=r"^max worker count: job job-[0-9a-f]{32} has "
                       r"max_worker_count=2 in jobs, but its last job_updates row sets 1$"):
        check_max_worker_count(tables)


def test_limits_catch_a_count_above_max_count(tables: Tables) -> None:
    # GIVEN the license's max_count recorded as 1 while 2 units are in use
    tables.limit_usage["max_count"] = 1

    # WHEN / THEN
    with pytest.raises(InvariantViolation, match=r"^limits: limit limit-[0-9a-f]{32} has "
                       r"current_count=2 at t=0\.0 \(max_count=1\)$"):
        check_limits(tables)


def test_limits_allow_usage_going_down_under_a_lowered_max_count_but_no_rise_above_it(
        tables: Tables) -> None:
    # GIVEN maxCount lowered from 2 to 0 after both units were taken at t=0: the rows at 10
    # (2 -> 1 -> 0) only go down, over the new maximum at first (running work keeps its units)
    usage = tables.limit_usage
    usage.loc[usage["time"] > 0, "max_count"] = 0

    # WHEN / THEN that is allowed
    check_limits(tables)

    # GIVEN instead maxCount 1 from the second unit's row at t=0: that rise goes above it
    usage["max_count"] = [2, 1, 1, 1]

    # WHEN / THEN it is caught
    with pytest.raises(InvariantViolation, match=r"current_count=2 at t=0\.0 \(max_count=1\)"):
        check_limits(tables)


def test_limits_catch_runs_holding_more_than_recorded(tables: Tables) -> None:
    # GIVEN a Render run that acquired 2 units instead of 1
    runs = tables.task_runs
    row = _run_row(tables, "Render")
    runs.at[row, "acquired_limits"] = [{**runs.at[row, "acquired_limits"][0], "count": 2}]

    # WHEN / THEN the recomputed usage breaks max_count
    with pytest.raises(InvariantViolation, match=r"^limits: limit limit-[0-9a-f]{32}: task runs "
                       r"hold 3 units at t=0\.0 \(max_count=2\)"):
        check_limits(tables)


def test_limits_catch_a_usage_timeline_that_disagrees_with_the_runs(tables: Tables) -> None:
    # GIVEN the limit_usage rows of the second acquisition lost
    tables.limit_usage = tables.limit_usage.iloc[[0, 2, 3]].reset_index(drop=True)

    # WHEN / THEN
    with pytest.raises(InvariantViolation, match=r"^limits: limit limit-[0-9a-f]{32} at t=0\.0: "
                       r"limit_usage says current_count=1 but the task runs hold 2 units$"):
        check_limits(tables)


def test_final_states_catch_a_task_left_running_in_a_finished_job(tables: Tables) -> None:
    # GIVEN the Encode task's SUCCEEDED event lost
    ev = tables.task_events
    tables.task_events = ev.drop(index=ev.index[-1]).reset_index(drop=True)

    # WHEN / THEN
    with pytest.raises(InvariantViolation, match=r"^task final states: task task-[0-9a-f]{32}-0 "
                       r"of finished job job-[0-9a-f]{32} ends RUNNING$"):
        check_task_final_states(tables)


def test_final_states_catch_a_change_after_the_final_status(tables: Tables) -> None:
    # GIVEN an event moving the FAILED flaky task to READY afterwards
    ev = tables.task_events
    failed = ev.index[ev["status"] == "FAILED"][0]
    extra = ev.loc[[failed]].assign(time=30.0, status="READY")
    tables.task_events = pd.concat([ev, extra], ignore_index=True)

    # WHEN / THEN
    with pytest.raises(InvariantViolation, match=r"^task final states: task task-[0-9a-f]{32}-0 "
                       r"became READY at t=30\.0 after reaching a final status at t=18\.0$"):
        check_task_final_states(tables)


def test_final_states_catch_a_task_without_events_and_two_successes(tables: Tables) -> None:
    # GIVEN one task with no events at all
    ev = tables.task_events
    encode = ev["task_id"].iloc[-1]
    tables.task_events = ev[ev["task_id"] != encode].reset_index(drop=True)
    with pytest.raises(InvariantViolation, match=r"^task final states: tasks without any "
                       r"task_events row: \['task-[0-9a-f]{32}-0'\]$"):
        check_task_final_states(tables)

    # GIVEN (fresh) a SUCCEEDED run recorded twice
    tables.task_events = ev
    runs = tables.task_runs
    tables.task_runs = pd.concat([runs, runs.iloc[[0]]], ignore_index=True)
    with pytest.raises(InvariantViolation, match=r"^task final states: task "
                       r"task-[0-9a-f]{32}-\d has 2 SUCCEEDED runs$"):
        check_task_final_states(tables)


def test_dependencies_catch_a_run_before_its_upstream_succeeded(tables: Tables) -> None:
    # GIVEN the Encode run assigned at t=5, while Render still runs
    tables.task_runs.loc[_run_row(tables, "Encode"), "assigned_at"] = 5.0

    # WHEN / THEN
    with pytest.raises(InvariantViolation, match=r"^dependencies: task task-[0-9a-f]{32}-0 was "
                       r"assigned to worker-[0-9a-f]{32} at t=5\.0, before its upstream steps "
                       r"all succeeded \(t=10\.0\)$"):
        check_dependencies(tables)


def test_dependencies_catch_a_step_left_pending_after_its_upstream_succeeded(
        tables: Tables) -> None:
    # GIVEN Encode's READY event moved to t=12 (it ran from 10)
    ev = tables.task_events
    ev.loc[(ev["status"] == "READY") & (ev["time"] == 10.0), "time"] = 12.0
    tables.task_runs = tables.task_runs[tables.task_runs["attempt"] < 0]  # runs not at issue

    # WHEN / THEN
    with pytest.raises(InvariantViolation, match=r"^dependencies: task task-[0-9a-f]{32}-0 stayed "
                       r"PENDING after its upstream steps all succeeded at t=10\.0 \(READY at "
                       r"t=12\.0\)$"):
        check_dependencies(tables)


def test_time_monotonic_catches_events_out_of_order_and_a_run_ending_early(
        tables: Tables) -> None:
    # GIVEN two task events swapped
    ev = tables.task_events
    assert ev["time"].iloc[7:9].tolist() == [1.0, 10.0]
    tables.task_events = ev.iloc[[*range(7), 8, 7, *range(9, len(ev))]]
    with pytest.raises(InvariantViolation, match=r"^time monotonic: task_events time goes back "
                       r"from 10\.0 \(row 7\) to 1\.0 \(row 8\)"):
        check_time_monotonic(tables)

    # GIVEN (fresh) a run ending before it started
    tables.task_events = ev
    tables.task_runs.loc[_run_row(tables, "Encode"), "ended_at"] = 9.0
    with pytest.raises(InvariantViolation, match=r"^time monotonic: run of task-[0-9a-f]{32}-0 "
                       r"attempt 0 on worker-[0-9a-f]{32}: started_at=10\.0, ended_at=9\.0, "
                       r"status=SUCCEEDED"):
        check_time_monotonic(tables)


def test_task_transitions_catch_an_impossible_step(tables: Tables) -> None:
    # GIVEN the flaky task going READY -> SUCCEEDED (its first ASSIGNED rewritten)
    ev = tables.task_events
    first_assigned = ev.index[(ev["status"] == "ASSIGNED") & (ev["time"] == 10.0)][0]
    ev.loc[first_assigned, "status"] = "SUCCEEDED"
    ev.loc[first_assigned, "worker_id"] = math.nan

    # WHEN / THEN
    with pytest.raises(InvariantViolation, match=r"^task transitions: task task-[0-9a-f]{32}-\d "
                       r"goes READY -> SUCCEEDED at t=10\.0 \(allowed from READY: \['ASSIGNED', "
                       r"'CANCELED'\]\)$"):
        check_task_transitions(tables)


def test_job_status_catches_a_wrong_aggregate_and_a_wrong_end(tables: Tables) -> None:
    # GIVEN the render job recorded RUNNING
    jobs = tables.jobs
    original = jobs.copy()
    jobs.loc[jobs["name"] == "render", "task_run_status"] = "RUNNING"
    with pytest.raises(InvariantViolation, match=r"^job status: job job-[0-9a-f]{32} is RUNNING "
                       r"but its tasks \{'SUCCEEDED': 3\} aggregate to SUCCEEDED$"):
        check_job_status(tables)

    # GIVEN (fresh) the flaky job ending later than its last task change
    tables.jobs = original.copy()
    tables.jobs.loc[tables.jobs["name"] == "flaky", "ended_at"] = 20.0
    with pytest.raises(InvariantViolation, match=r"^job status: job job-[0-9a-f]{32} is FAILED "
                       r"with ended_at=20\.0, but its last task change is at t=18\.0$"):
        check_job_status(tables)


def test_same_tables_holds_for_a_rerun_and_fails_for_another_seed(result: Result) -> None:
    # GIVEN the same scenario run again with the same seed, and with another seed
    # WHEN / THEN the rerun matches table for table; the other seed's ids differ
    assert_same_tables(result, _result(seed=0))
    with pytest.raises(InvariantViolation, match=r"^same tables: table 'jobs' differs: "):
        assert_same_tables(result, _result(seed=1))
