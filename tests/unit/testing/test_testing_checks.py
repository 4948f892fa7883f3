"""The kit's checks beside check_all: each passes on a correct run and catches its broken rule
in a copy of the run's tables, with a message naming the rule, the ids and the values."""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd
import pytest

from farmsim.engine.simulation import Simulation
from farmsim.model.arrivals import ArrivalStream, RateProfile
from farmsim.model.config import FarmConfig, FleetConfig, JobSubmission, QueueConfig
from farmsim.model.distributions import Fixed
from farmsim.model.job import AmountRequirement, AttributeRequirement, JobStructure, StepStructure
from farmsim.model.runtimes import RuleMatch, RuntimeModel, RuntimeRule
from farmsim.record.result import TABLES
from farmsim.scenario.config import Scenario
from farmsim.testing import (
    InvariantViolation,
    check_all,
    check_arrival_windows,
    check_host_requirements,
    check_interruptions_use_no_retry,
    check_jobs_finished,
    check_max_failed_tasks,
    check_retries,
    check_sessions_closed,
    check_worker_hours,
    check_worker_lifecycle,
)

LINUX_GPU = {"workerCapabilities": {"osFamily": "LINUX", "acceleratorCount": {"min": 1,
                                                                              "max": 1}}}
WINDOWS = {"workerCapabilities": {"osFamily": "WINDOWS"}}


def _scenario() -> Scenario:
    """Two fleets of one worker: ``gpu`` (linux, a GPU) and ``win`` (windows, none).
    ``render`` (2 tasks, 10 s) needs linux and a GPU; ``flaky`` (1 task, 4 s, 1 retry) always
    fails; ``doomed`` (3 tasks, 5 s, no retry, maxFailedTasksCount 1) always fails, so its
    first failure cancels the rest; ``any`` (2 tasks) runs anywhere; a stream submits a job
    ``stream`` (2 tasks) about once a minute from t=100 to t=400, at most 3 times, and an
    explicit job of that name (1 task) comes at t=4. Jobs have job and step environments."""
    farm = FarmConfig(
        queues=(QueueConfig(display_name="q", fleets=("gpu", "win")),),
        fleets=(FleetConfig(display_name="gpu", worker_count=1, min_worker_count=1,
                            max_worker_count=1, configuration=LINUX_GPU),
                FleetConfig(display_name="win", worker_count=1, min_worker_count=1,
                            max_worker_count=1, configuration=WINDOWS)),
        worker_poll_interval=0.0)

    def job(name: str, tasks: int, at: float = 0.0, **kw: Any) -> JobSubmission:
        requirements: dict[str, Any] = kw.pop("requirements", {})
        return JobSubmission(at=at, queue="q", structure=JobStructure(
            name=name, environments=("jenv",), steps=(StepStructure(
                name=name.capitalize(), index=0, task_count=tasks, environments=("senv",),
                **requirements),)), **kw)

    render = job("render", 2, requirements={
        "attributes": (AttributeRequirement("attr.worker.os.family", any_of=("linux",)),),
        "amounts": (AmountRequirement("amount.worker.gpu", min=1.0),)})
    jobs = (render, job("flaky", 1, 1.0, max_retries_per_task=1),
            job("doomed", 3, 2.0, max_retries_per_task=0, max_failed_tasks_count=1),
            job("any", 2, 3.0), job("stream", 1, 4.0))
    streamed = job("stream", 2).structure
    stream = ArrivalStream(name="stream", queue="q", rate=RateProfile(per_second=1 / 60),
                           start=100.0, end=400.0, count=3, expand=lambda values: streamed)
    rules = (RuntimeRule(match=RuleMatch(step="Flaky"), duration=Fixed(4.0),
                         failure_probability=1.0),
             RuntimeRule(match=RuleMatch(step="Doomed"), duration=Fixed(5.0),
                         failure_probability=1.0),
             RuntimeRule(match=RuleMatch(action="envExit"), duration=Fixed(1.0)),
             RuntimeRule(duration=Fixed(10.0)))
    return Scenario(seed=1, farm=farm, jobs=jobs, arrivals=(stream,),
                    runtimes=RuntimeModel(rules=rules))


class Tables:
    """A result's tables as plain (object-dtype) copies, to break on purpose, and its summary
    (a copy, also to break)."""

    def __init__(self, result: Any) -> None:
        self.catalog = result.catalog
        self._summary = result.summary()
        for name in TABLES:
            frame = getattr(result, name).copy()
            categorical = [c for c in frame.columns
                           if isinstance(frame[c].dtype, pd.CategoricalDtype)]
            setattr(self, name, frame.astype(dict.fromkeys(categorical, object)))

    def summary(self) -> dict[str, Any]:
        return self._summary


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return _scenario()


@pytest.fixture(scope="module")
def result(scenario: Scenario) -> Any:
    sim = Simulation(scenario)
    sim.run()
    return sim.result()


@pytest.fixture
def tables(result: Any) -> Tables:
    return Tables(result)


def _job_id(tables: Tables, name: str) -> str:
    jobs = tables.jobs
    return str(jobs.loc[jobs["name"] == name, "job_id"].iloc[0])


def _runs_of(tables: Tables, name: str) -> pd.DataFrame:
    runs = tables.task_runs
    return runs[runs["job_id"] == _job_id(tables, name)]


def test_the_run_is_as_described(scenario: Scenario, result: Any) -> None:
    # GIVEN / WHEN the base run  THEN it has what the tests below break, and every check holds
    jobs = dict(zip(result.jobs["name"].astype(str), result.jobs["task_run_status"].astype(str),
                    strict=True))
    assert jobs == {"render": "SUCCEEDED", "flaky": "FAILED", "doomed": "FAILED",
                    "any": "SUCCEEDED", "stream": "SUCCEEDED"}
    assert (result.jobs["name"] == "stream").sum() == 4
    runs = result.task_runs
    assert sorted(runs["status"].astype(str)) == ["FAILED"] * 3 + ["SUCCEEDED"] * 11
    assert len(result.session_actions) > len(runs)  # environments entered and exited
    check_all(result)
    for tabled in (result, Tables(result)):
        check_jobs_finished(tabled)
        check_sessions_closed(tabled)
        check_worker_hours(tabled)
        check_interruptions_use_no_retry(tabled)
        check_retries(tabled, scenario)
        check_max_failed_tasks(tabled, scenario)
        check_host_requirements(tabled, scenario)
        check_arrival_windows(tabled, scenario)


def test_jobs_finished_catches_a_job_left_unfinished(tables: Tables) -> None:
    # GIVEN render left READY at the end
    jobs = tables.jobs
    jobs.loc[jobs["name"] == "render", "task_run_status"] = "READY"
    # WHEN / THEN
    with pytest.raises(InvariantViolation, match=r"^jobs finished: 1 of 8 jobs did not end in a "
                       r"final status by t=[0-9.]+: job-[0-9a-f]{32} \(render\) READY$"):
        check_jobs_finished(tables)


def test_sessions_closed_catches_an_open_session_and_an_environment_not_exited(
        tables: Tables) -> None:
    # GIVEN a session whose envExit of the step environment is gone
    actions = tables.session_actions
    exits = actions.index[(actions["action"] == "envExit")
                          & actions["environment_id"].astype(str).str.startswith("STEP:")]
    tables.session_actions = actions.drop(exits[0])
    # WHEN / THEN
    with pytest.raises(InvariantViolation, match=r"^sessions closed: session session-[0-9a-f]{32} "
                       r"entered environment STEP:.+ but never exited it$"):
        check_sessions_closed(tables)
    # AND a session still open at the end is caught too
    sessions = tables.sessions
    sessions.loc[sessions.index[0], "ended_at"] = float("nan")
    with pytest.raises(InvariantViolation, match=r"^sessions closed: 1 sessions never ended, "
                       r"e\.g\. session-[0-9a-f]{32} of worker worker-[0-9a-f]{32}"):
        check_sessions_closed(tables)


def test_worker_hours_catch_billing_that_is_not_the_started_to_stopped_spans(
        tables: Tables) -> None:
    # GIVEN the hours the spans give
    hours = check_worker_hours(tables)
    assert hours == pytest.approx(2 * tables.summary()["simulated_s"] / 3600.0)
    # WHEN the summary bills a second more  THEN caught
    tables._summary = {**tables._summary, "worker_hours": hours + 1 / 3600.0}
    with pytest.raises(InvariantViolation, match=r"^worker hours: the summary bills "
                       r"worker_hours=[0-9.e-]+ but the STARTED-to-STOPPED spans of 2 workers"):
        check_worker_hours(tables)


def test_interruptions_catch_a_retry_used_by_an_interruption(tables: Tables) -> None:
    # GIVEN flaky's first run (attempt 0, retried as attempt 1) said INTERRUPTED
    runs = tables.task_runs
    first = _runs_of(tables, "flaky").sort_values("attempt").index[0]
    runs.loc[first, "status"] = "INTERRUPTED"
    # WHEN / THEN its retry, attempt 1, used a retry
    with pytest.raises(InvariantViolation, match=r"^interruptions use no retry: task "
                       r"task-[0-9a-f]{32}-0: its run on worker-[0-9a-f]{32} assigned at "
                       r"t=[0-9.]+ was INTERRUPTED at attempt 0, and its next run, on "
                       r"worker-[0-9a-f]{32} at t=[0-9.]+, is attempt 1$"):
        check_interruptions_use_no_retry(tables)


def test_interruptions_pass_on_a_run_with_interrupted_hosts() -> None:
    # GIVEN a spot fleet whose hosts are interrupted often, and 20-minute tasks
    farm = FarmConfig(
        queues=(QueueConfig(display_name="q", fleets=("spot",)),),
        fleets=(FleetConfig(display_name="spot", kind="serviceManagedEc2", worker_count=2,
                            min_worker_count=2, max_worker_count=2,
                            configuration={"instanceMarketOptions": {"type": "spot"}},
                            interruptions_per_hour=3.0),),
        worker_poll_interval=0.0)
    job = JobSubmission(at=0.0, queue="q", max_retries_per_task=0, structure=JobStructure(
        name="long", steps=(StepStructure(name="s", index=0, task_count=6),)))
    scenario = Scenario(seed=5, farm=farm, jobs=(job,), runtimes=RuntimeModel(
        rules=(RuntimeRule(duration=Fixed(1200.0)),)))
    sim = Simulation(scenario)
    sim.run()
    result = sim.result()
    # WHEN / THEN runs were interrupted and retried without a retry (none is allowed), and
    # every task succeeded
    assert (result.task_runs["status"] == "INTERRUPTED").sum() >= 1
    check_interruptions_use_no_retry(result)
    check_retries(result, scenario)
    check_jobs_finished(result)
    assert list(result.jobs["task_run_status"].astype(str)) == ["SUCCEEDED"]


def test_retries_catch_wrong_attempts_counts_and_ready_times(
        scenario: Scenario, result: Any) -> None:
    # GIVEN flaky's retry numbered 0 again  THEN caught
    tables = Tables(result)
    runs = tables.task_runs
    rows = _runs_of(tables, "flaky").sort_values("attempt").index
    runs.loc[rows[1], "attempt"] = 0
    with pytest.raises(InvariantViolation, match=r"^retries: task task-[0-9a-f]{32}-0 of job "
                       r"job-[0-9a-f]{32} \(flaky, maxRetriesPerTask 1\): run 1 is attempt 0, "
                       r"expected 1"):
        check_retries(tables, scenario)
    # GIVEN flaky's retry READY a second after its first run failed  THEN caught
    tables = Tables(result)
    runs = tables.task_runs
    runs.loc[rows[1], "ready_at"] = runs.loc[rows[0], "ended_at"] + 1.0
    with pytest.raises(InvariantViolation, match=r"attempt 1 was READY at t=[0-9.]+, not when "
                       r"attempt 0 failed"):
        check_retries(tables, scenario)
    # GIVEN the job's retry count off by one  THEN caught
    tables = Tables(result)
    jobs = tables.jobs
    jobs.loc[jobs["name"] == "flaky", "task_failure_retry_count"] = 2
    with pytest.raises(InvariantViolation, match=r"^retries: job job-[0-9a-f]{32} \(flaky\) has "
                       r"task_failure_retry_count=2 but 1 of its FAILED runs were retried$"):
        check_retries(tables, scenario)
    # GIVEN a scenario saying flaky may retry twice: its task FAILED after 2 runs  THEN caught
    jobs = tuple(dataclasses.replace(j, max_retries_per_task=2)
                 if j.structure.name == "flaky" else j for j in scenario.jobs)
    with pytest.raises(InvariantViolation, match=r"the task FAILED after runs \['FAILED', "
                       r"'FAILED'\], not after exactly 1 \+ 2 failed runs"):
        check_retries(result, dataclasses.replace(scenario, jobs=jobs))


def test_max_failed_tasks_catches_work_after_the_trip(scenario: Scenario, result: Any) -> None:
    # GIVEN doomed's canceled tasks: canceled at the trip
    tables = Tables(result)
    events = tables.task_events
    doomed = _job_id(tables, "doomed")
    canceled = events.index[(events["job_id"] == doomed) & (events["status"] == "CANCELED")]
    assert len(canceled) == 2
    # WHEN one is canceled a second later  THEN caught
    events.loc[canceled[0], "time"] = events.loc[canceled[0], "time"] + 1.0
    with pytest.raises(InvariantViolation, match=r"^max failed tasks: job job-[0-9a-f]{32} "
                       r"\(doomed, maxFailedTasksCount 1\): task task-[0-9a-f]{32}-\d became "
                       r"CANCELED at t=[0-9.]+, after the job tripped at t=[0-9.]+$"):
        check_max_failed_tasks(tables, scenario)
    # GIVEN a run of doomed assigned after the trip  THEN caught
    tables = Tables(result)
    runs = tables.task_runs
    row = _runs_of(tables, "doomed").index[0]
    runs.loc[row, "assigned_at"] = runs.loc[row, "ended_at"] + 1.0
    with pytest.raises(InvariantViolation, match=r"was assigned at t=[0-9.]+, after the job "
                       r"tripped at t=[0-9.]+$"):
        check_max_failed_tasks(tables, scenario)
    # GIVEN the job's end moved  THEN caught
    tables = Tables(result)
    jobs = tables.jobs
    jobs.loc[jobs["name"] == "doomed", "ended_at"] += 1.0
    with pytest.raises(InvariantViolation, match=r"tripped at t=[0-9.]+ but has ended_at="):
        check_max_failed_tasks(tables, scenario)
    # GIVEN a scenario whose doomed job allows 2 failed tasks: it should not have tripped at
    # the first, and the check (which cannot see a trip) finds nothing wrong with 1 failure
    jobs2 = tuple(dataclasses.replace(j, max_failed_tasks_count=2)
                  if j.structure.name == "doomed" else j for j in scenario.jobs)
    check_max_failed_tasks(result, dataclasses.replace(scenario, jobs=jobs2))


def test_host_requirements_catch_a_run_on_a_fleet_that_cannot_take_it(
        scenario: Scenario, result: Any) -> None:
    # GIVEN render's runs: all on the linux GPU fleet
    tables = Tables(result)
    fleet_of = dict(zip(tables.workers["worker_id"], tables.workers["fleet_id"], strict=False))
    names = dict(zip(map(str, result.catalog.fleet_ids), result.catalog.fleet_names,
                     strict=True))
    render = _runs_of(tables, "render")
    assert {names[str(fleet_of[w])] for w in render["worker_id"]} == {"gpu"}
    # WHEN the windows fleet's worker is said to have run one  THEN caught
    win = next(w for w, f in fleet_of.items() if names[str(f)] == "win")
    tables.task_runs.loc[render.index[0], "worker_id"] = win
    with pytest.raises(InvariantViolation, match=r"^host requirements: task-[0-9a-f]{32}-\d "
                       r"\(step Render of job render\) ran on worker-[0-9a-f]{32} of fleet win "
                       r"from t=[0-9.]+, but the fleet does not satisfy "
                       r"\['amount.worker.gpu', 'attr.worker.os.family'\]$"):
        check_host_requirements(tables, scenario)


def test_arrival_windows_catch_a_job_outside_its_window_and_too_many(
        scenario: Scenario, result: Any) -> None:
    # GIVEN a stream job submitted at t=50, before its window opens  THEN caught
    tables = Tables(result)
    jobs = tables.jobs
    stream = jobs.index[(jobs["name"] == "stream") & (jobs["submitted_at"] > 50.0)]
    assert len(stream) == 3
    jobs.loc[stream[0], "submitted_at"] = 50.0
    with pytest.raises(InvariantViolation, match=r"^arrival windows: job job-[0-9a-f]{32} of "
                       r"stream stream was submitted at t=50\.0, outside its window "
                       r"\[100\.0, 400\.0\]$"):
        check_arrival_windows(tables, scenario)
    # GIVEN a stream capped at 2  THEN its 3 jobs are too many
    capped = dataclasses.replace(scenario, arrivals=(dataclasses.replace(
        scenario.arrivals[0], count=2),))
    with pytest.raises(InvariantViolation, match=r"stream stream submitted 3 jobs, more than "
                       r"its count 2"):
        check_arrival_windows(result, capped)


def test_worker_lifecycle_holds_a_worker_to_the_first_of_stopping_and_not_responding(
        tables: Tables) -> None:
    # GIVEN a worker told to stop just before its last run was assigned, then found
    # NOT_RESPONDING only after that run: it took work after it was told to stop
    runs = tables.task_runs.sort_values("assigned_at")
    worker = runs["worker_id"].iloc[-1]
    assigned = float(runs["assigned_at"].iloc[-1])
    end = float(tables.catalog.end_time)
    workers = tables.workers
    mine = workers[workers["worker_id"] == worker]
    fleet = mine["fleet_id"].iloc[0]
    rows = pd.DataFrame({"time": [0.0, 0.0, assigned - 0.5, end, end],
                         "worker_id": [worker] * 5, "fleet_id": [fleet] * 5,
                         "status": ["CREATED", "STARTED", "STOPPING", "NOT_RESPONDING",
                                    "STOPPED"]})
    tables.workers = pd.concat([workers[workers["worker_id"] != worker], rows],
                               ignore_index=True).sort_values("time", kind="stable")
    # WHEN / THEN caught, by the time it began STOPPING
    with pytest.raises(InvariantViolation, match=rf"^worker lifecycle: {worker} was assigned "
                       rf"task-[0-9a-f]{{32}}-\d at t={assigned} after it began STOPPING at "
                       rf"t={assigned - 0.5}$"):
        check_worker_lifecycle(tables)
