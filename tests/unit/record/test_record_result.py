"""Result: tables, ids, task event timelines, summary and files."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from farmsim.engine.simulation import Simulation
from farmsim.model.config import FarmConfig, FleetConfig, JobSubmission, LimitConfig, QueueConfig
from farmsim.model.distributions import Fixed
from farmsim.model.job import AmountRequirement, JobStructure, StepStructure
from farmsim.model.runtimes import RuleMatch, RuntimeModel, RuntimeRule
from farmsim.record.result import TABLES, Result
from farmsim.scenario.config import Scenario
from farmsim.testing import check_all, check_task_transitions

LIC = (AmountRequirement("amount.license.nuke", min=1.0),)


def _scenario(*jobs: JobSubmission, workers: int = 2, rules=(), seed: int = 0,
              max_count: int = 1) -> Scenario:
    farm = FarmConfig(
        queues=(QueueConfig(display_name="comp", fleets=("linux",), limits=("nuke",)),),
        fleets=(FleetConfig(display_name="linux", worker_count=workers, cost_per_hour=0.5),),
        limits=(LimitConfig(display_name="nuke", amount_requirement_name="amount.license.nuke",
                            max_count=max_count, cost_per_hour=0.25),),
        worker_poll_interval=0.0)
    return Scenario(name="unit", seed=seed, farm=farm, jobs=jobs, runtimes=RuntimeModel(
        rules=(*rules, RuntimeRule(duration=Fixed(10.0)))))


def _job(name: str, *steps: StepStructure, at: float = 0.0, **kw) -> JobSubmission:
    return JobSubmission(at=at, queue="comp", structure=JobStructure(name=name, steps=steps),
                         **kw)


def _run(sc: Scenario, until: float | None = None) -> Result:
    sim = Simulation(sc)
    sim.run(until=until)
    return sim.result()


def _mixed() -> Scenario:
    """A licensed comp step, a dependent step, and a task that fails once then succeeds."""
    comp = _job("comp", StepStructure(name="Comp", index=0, task_count=2, amounts=LIC),
                StepStructure(name="Encode", index=1, task_count=1, dependencies=(0,)))
    flaky = _job("flaky", StepStructure(name="Flaky", index=0, task_count=1), at=1.0,
                 max_retries_per_task=1)
    # Flaky's first attempt is drawn with the step (fails: p=1), the retry is drawn from the
    # same rule (fails too): the task ends FAILED after 2 runs.
    rules = (RuntimeRule(match=RuleMatch(step="Flaky"), duration=Fixed(4.0),
                         failure_probability=1.0),)
    return _scenario(comp, flaky, rules=rules)


def _sequences(result: Result) -> dict[str, list[str]]:
    ev = result.task_events.astype({"task_id": str, "status": str})
    out: dict[str, list[str]] = {}
    for task, status in zip(ev["task_id"], ev["status"], strict=True):
        out.setdefault(task, []).append(status)
    return out


def _task_of(result: Result, step_name: str, n: int) -> str:
    steps = result.steps
    step_id = str(steps.loc[steps["name"] == step_name, "step_id"].iloc[0])
    return f"task-{step_id.removeprefix('step-')}-{n}"


# ------------------------------------------------------------------ tables and timelines


def test_tables_have_the_documented_columns() -> None:
    # GIVEN a finished run  WHEN its tables are built
    result = _run(_mixed())

    # THEN each has at least the columns of architecture 4.3
    required = {
        "jobs": {"job_id", "name", "queue_id", "priority", "max_worker_count", "submitted_at",
                 "started_at", "ended_at", "task_run_status", "tasks", "succeeded", "failed",
                 "canceled"},
        "task_runs": {"job_id", "step_id", "task_id", "session_id", "worker_id", "fleet_id",
                      "queue_id", "attempt", "ready_at", "assigned_at", "started_at",
                      "ended_at", "status", "acquired_limits"},
        "task_events": {"time", "job_id", "step_id", "task_id", "status", "worker_id"},
        "workers": {"time", "worker_id", "fleet_id", "status"},
        "limit_usage": {"time", "limit_id", "current_count", "max_count"},
        "steps": {"step_id", "job_id", "name", "tasks", "depends_on"},
    }
    for name, columns in required.items():
        assert columns <= set(getattr(result, name).columns), name


def test_task_events_per_task_are_valid_status_sequences() -> None:
    # GIVEN a run with a licensed step, a dependent step and a task retried once
    result = _run(_mixed())

    # WHEN each task's events are read in order
    seq = _sequences(result)

    # THEN every sequence is a valid walk of the task state machine, and these are exact
    check_task_transitions(result)
    run = ["ASSIGNED", "RUNNING"]
    assert seq[_task_of(result, "Comp", 1)] == ["READY", *run, "SUCCEEDED"]
    assert seq[_task_of(result, "Encode", 0)] == ["PENDING", "READY", *run, "SUCCEEDED"]
    assert seq[_task_of(result, "Flaky", 0)] == ["READY", *run, "READY", *run, "FAILED"]
    check_all(result)


def test_run_canceled_at_its_assignment_instant_ends_its_task_canceled() -> None:
    # GIVEN a job with maxFailedTasksCount 1: at t=10 step "good" ends (which makes step
    # "later" READY and its first task is assigned at once), then at the same instant step
    # "bad" fails, which cancels the job's remaining work, that just-assigned task included
    job = _job("j", StepStructure(name="good", index=0, task_count=1),
               StepStructure(name="bad", index=1, task_count=1),
               StepStructure(name="later", index=2, task_count=2, dependencies=(0,)),
               max_retries_per_task=0, max_failed_tasks_count=1)
    rules = (RuntimeRule(match=RuleMatch(step="bad"), duration=Fixed(10.0),
                         failure_probability=1.0),)
    result = _run(_scenario(job, rules=rules))
    later0 = _task_of(result, "later", 0)
    runs = result.task_runs[result.task_runs["task_id"] == later0]
    assert runs["status"].astype(str).tolist() == ["CANCELED"]
    assert runs[["assigned_at", "ended_at"]].values.tolist() == [[10.0, 10.0]]

    # WHEN its events are read in order
    seq = _sequences(result)[later0]

    # THEN they end CANCELED, in the order the changes happened
    assert seq == ["PENDING", "READY", "ASSIGNED", "RUNNING", "CANCELED"]
    check_all(result)


def test_zero_duration_runs_keep_their_events_in_order() -> None:
    # GIVEN tasks that take no time
    sc = _scenario(_job("j", StepStructure(name="instant", index=0, task_count=2)),
                   workers=1, rules=(RuntimeRule(match=RuleMatch(step="instant"),
                                                 duration=Fixed(0.0)),))

    # WHEN it runs
    result = _run(sc)

    # THEN each task's events still go READY, ASSIGNED, RUNNING, SUCCEEDED
    seq = _sequences(result)
    assert seq[_task_of(result, "instant", 0)] == ["READY", "ASSIGNED", "RUNNING", "SUCCEEDED"]
    assert seq[_task_of(result, "instant", 1)] == ["READY", "ASSIGNED", "RUNNING", "SUCCEEDED"]
    check_all(result)


# ------------------------------------------------------------------ ids


ID_PATTERNS = {
    "job_id": r"job-[0-9a-f]{32}",
    "step_id": r"step-[0-9a-f]{32}",
    "task_id": r"task-[0-9a-f]{32}-\d+",
    "session_id": r"session-[0-9a-f]{32}",
    "worker_id": r"worker-[0-9a-f]{32}",
    "fleet_id": r"fleet-[0-9a-f]{32}",
    "queue_id": r"queue-[0-9a-f]{32}",
}


def test_ids_match_the_api_patterns() -> None:
    # GIVEN a finished run
    result = _run(_mixed())

    # WHEN / THEN every id column holds ids of the API's shape, and a task's id carries its
    # step's hex
    runs = result.task_runs
    for column, pattern in ID_PATTERNS.items():
        values = runs[column].astype(str)
        assert values.str.fullmatch(pattern).all(), (column, values.iloc[0])
    limit_ids = result.limit_usage["limit_id"].astype(str)
    assert limit_ids.str.fullmatch(r"limit-[0-9a-f]{32}").all()
    assert all(re.fullmatch(r"limit-[0-9a-f]{32}", a["limitId"])
               for acquired in runs["acquired_limits"] for a in acquired)
    step_hex = runs["step_id"].astype(str).str.removeprefix("step-")
    task_hex = runs["task_id"].astype(str).str.split("-").str[1]
    assert (step_hex == task_hex).all()


def test_ids_are_the_same_for_the_same_seed_and_differ_across_seeds() -> None:
    # GIVEN the same scenario run with seeds 0, 0 and 1
    a, b, c = (_run(_mixed().__class__(**{**_fields(_mixed()), "seed": s})) for s in (0, 0, 1))

    # WHEN / THEN ids repeat for the same seed, and differ for another seed
    assert a.task_runs["task_id"].astype(str).tolist() == b.task_runs["task_id"].astype(
        str).tolist()
    assert set(a.jobs["job_id"].astype(str)).isdisjoint(set(c.jobs["job_id"].astype(str)))


def _fields(sc: Scenario) -> dict:
    return {f: getattr(sc, f) for f in ("name", "seed", "farm", "jobs", "runtimes")}


# ------------------------------------------------------------------ summary and files

SUMMARY_KEYS = {"makespan_s", "jobs", "task_wait_s", "job_turnaround_s", "worker_hours",
                "worker_utilization", "cost_usd", "limits"}
STATS = {"mean", "p50", "p95", "p99"}


def test_summary_holds_the_documented_metrics() -> None:
    # GIVEN one worker, one license and a job of two licensed ten-second tasks
    sc = _scenario(_job("j", StepStructure(name="Comp", index=0, task_count=2, amounts=LIC)),
                   workers=1)

    # WHEN it runs to the end
    summary = _run(sc).summary()

    # THEN the documented keys are there, with the values of this run
    assert summary.keys() >= SUMMARY_KEYS
    assert {"submitted", "succeeded", "failed", "canceled"} <= summary["jobs"].keys()
    assert summary["task_wait_s"].keys() >= STATS
    assert summary["job_turnaround_s"].keys() >= STATS
    assert summary["cost_usd"].keys() >= {"workers", "licenses", "total"}
    assert summary["makespan_s"] == 20.0
    assert summary["jobs"]["submitted"] == summary["jobs"]["succeeded"] == 1
    assert summary["task_wait_s"]["mean"] == 5.0  # waits 0 and 10
    assert summary["job_turnaround_s"]["mean"] == 20.0
    assert summary["worker_hours"] == pytest.approx(20.0 / 3600.0)
    assert summary["worker_utilization"] == pytest.approx(1.0)
    assert summary["cost_usd"]["total"] == pytest.approx(
        summary["cost_usd"]["workers"] + summary["cost_usd"]["licenses"])
    nuke = summary["limits"]["nuke"]
    assert {"max_count", "peak", "mean_in_use", "utilization", "blocked_task_hours"} <= set(nuke)
    assert (nuke["max_count"], nuke["peak"]) == (1, 1)
    assert nuke["mean_in_use"] == pytest.approx(1.0)
    assert nuke["utilization"] == pytest.approx(1.0)


@pytest.mark.parametrize(("workers", "blocked_s"), [
    pytest.param(2, 10.0, id="idle worker: held back by the license alone"),
    pytest.param(1, 0.0, id="no idle worker: not held back by the license alone"),
])
def test_blocked_task_hours_count_only_ready_time_held_back_by_the_limit_alone(
        workers: int, blocked_s: float) -> None:
    # GIVEN a license of 1 and two licensed ten-second tasks READY at t=0
    sc = _scenario(_job("j", StepStructure(name="Comp", index=0, task_count=2, amounts=LIC)),
                   workers=workers)

    # WHEN it runs (the second task waits 0-10 s)
    summary = _run(sc).summary()

    # THEN that wait counts as blocked by the license only when a worker was free to take the
    # task (architecture 4.3: "READY task-hours that were held back only by that limit")
    assert summary["limits"]["nuke"]["blocked_task_hours"] == pytest.approx(blocked_s / 3600.0)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_save_writes_every_table_and_summary_json(tmp_path, fmt: str) -> None:
    # GIVEN a finished run
    result = _run(_mixed())

    # WHEN it is saved
    out = result.save(tmp_path / "out", format=fmt)

    # THEN one file per table with the table's rows and columns, and summary.json
    assert out == tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{t}.{fmt}" for t in TABLES] + ["summary.json", "manifest.json"])
    read = pd.read_parquet if fmt == "parquet" else pd.read_csv
    for table in TABLES:
        frame = getattr(result, table)
        back = read(out / f"{table}.{fmt}")
        assert list(back.columns) == list(frame.columns), table
        assert len(back) == len(frame), table
    runs = read(out / f"task_runs.{fmt}")
    assert runs["task_id"].astype(str).tolist() == result.task_runs["task_id"].astype(
        str).tolist()
    pd.testing.assert_series_equal(runs["ended_at"], result.task_runs["ended_at"],
                                   check_names=True)
    summary = json.loads((out / "summary.json").read_text())
    assert summary == json.loads(json.dumps(result.summary()))


def test_save_rejects_an_unknown_format(tmp_path) -> None:
    # GIVEN a result  WHEN it is saved as xlsx  THEN it is refused before writing anything
    result = _run(_mixed())
    with pytest.raises(ValueError, match=r"^format must be 'parquet' or 'csv' \(got 'xlsx'\)$"):
        result.save(tmp_path / "out", format="xlsx")
    assert not (tmp_path / "out").exists()


def test_pandas_still_has_the_unchecked_categorical_dtype_farmsim_uses() -> None:
    # record/base.unchecked_dtype: the one private pandas call (big id categories skip the
    # uniqueness check, which would hash a million ids as Python strings)
    import numpy as np
    import pandas as pd

    from farmsim.record.base import categorical, unchecked_dtype

    index = pd.Index(["task-a", "task-b"], dtype="str")
    dtype = unchecked_dtype(index)
    assert isinstance(dtype, pd.CategoricalDtype)
    assert list(dtype.categories) == ["task-a", "task-b"] and not dtype.ordered
    values = categorical(np.array([1, 0, -1]), index, unique=True)
    assert values.dtype == pd.CategoricalDtype(["task-a", "task-b"])
    assert values[0] == "task-b" and values[1] == "task-a" and pd.isna(values[2])


def test_licenses_are_paid_for_each_stretch_of_max_count_and_as_used_without_one() -> None:
    from types import SimpleNamespace

    import numpy as np

    from farmsim.record.result import _license_unit_seconds

    # maxCount 4 for 100 s, none (-1) for 100 s, 2 for the last 100 s; 3 units in use from
    # 150 s to 250 s, 1 from 250 s on
    usage = (np.array([150.0, 250.0]), np.array([3, 1], dtype=np.int32))
    c = SimpleNamespace(end_time=300.0, limit_max=[2],
                        limit_max_history=[[(0.0, 4), (100.0, -1), (200.0, 2)]],
                        limit_usage=[usage])
    paid, capacity = _license_unit_seconds(c, 0)
    assert paid == 4 * 100 + 3 * 50 + 2 * 100  # the unlimited stretch: the 3 units from 150
    assert capacity is None  # no maximum for a while: no utilization
    c.limit_max_history = [[(0.0, 4), (100.0, 2)]]
    assert _license_unit_seconds(c, 0) == (4 * 100 + 2 * 200, 4 * 100 + 2 * 200)
    c.limit_max_history = []  # a loaded result keeps no history: the last maxCount throughout
    assert _license_unit_seconds(c, 0) == (2 * 300, 2 * 300)
