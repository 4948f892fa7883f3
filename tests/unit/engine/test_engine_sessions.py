"""Sessions on hand-made farms with exact times (semantics E): what costly environments do to
where workers go, and that changes of priority or maxWorkerCount act at task boundaries only."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from farmsim.engine.simulation import Simulation
from farmsim.model.config import JobSubmission
from farmsim.model.distributions import Fixed
from farmsim.model.job import JobStructure
from farmsim.model.runtimes import RuleMatch, RuntimeModel, RuntimeRule
from farmsim.scenario.config import Scenario
from farmsim.testing import (
    check_all,
    check_job_status,
    check_limits,
    check_sessions,
    check_task_final_states,
    check_task_transitions,
    check_time_monotonic,
    check_worker_exclusive,
)
from tests.unit.engine.farm_builders import job, scenario, step

ENTER_S = 120.0
EXIT_S = 15.0
TASK_S = 30.0


def with_envs(submission: JobSubmission, job_envs: tuple[str, ...] = ("Nuke",),
              step_envs: tuple[str, ...] = ()) -> JobSubmission:
    s = submission.structure
    steps = tuple(dataclasses.replace(st, environments=step_envs) for st in s.steps)
    return dataclasses.replace(submission, structure=JobStructure(
        name=s.name, steps=steps, environments=job_envs))


def costly(sc: Scenario, *, enter: float = ENTER_S, exit_: float = EXIT_S,
           enter_failure: float = 0.0) -> Scenario:
    rules = (
        RuntimeRule(match=RuleMatch(action="envEnter"), duration=Fixed(enter),
                    failure_probability=enter_failure),
        RuntimeRule(match=RuleMatch(action="envExit"), duration=Fixed(exit_)),
        *sc.runtimes.rules,
    )
    return dataclasses.replace(sc, runtimes=RuntimeModel(rules=rules))


def actions_of(result, worker=None):
    a = result.session_actions.astype({"session_id": str, "worker_id": str, "action": str,
                                       "status": str})
    a["environment_id"] = a["environment_id"].astype(object).fillna("").astype(str)
    return a if worker is None else a[a["worker_id"] == worker]


def test_costly_environment_keeps_workers_on_their_job() -> None:
    # GIVEN 4 workers and one job of 100 tasks whose job environment takes 2 minutes to enter
    sc = costly(scenario(with_envs(job(step("Comp", 100))), workers=4, default_s=TASK_S))
    sim = Simulation(sc)
    sim.run()
    result = sim.result()
    check_all(result)
    sessions = result.sessions
    # THEN each worker enters the environment once and runs its share of tasks in one session
    assert len(sessions) == 4
    assert sessions["task_runs"].tolist() == [25, 25, 25, 25]
    summary = result.summary()["sessions"]
    assert summary["task_runs_per_session"] == 25
    assert summary["environment_hours"] == pytest.approx(4 * (ENTER_S + EXIT_S) / 3600)
    # the setup delays each worker's first task only: makespan = enter + 25 tasks + exit
    assert result.summary()["makespan_s"] == pytest.approx(ENTER_S + 25 * TASK_S)
    assert sessions["ended_at"].max() == pytest.approx(ENTER_S + 25 * TASK_S + EXIT_S)
    runs = result.task_runs
    first = runs.groupby("session_id", observed=True)["started_at"].min()
    assert np.allclose(first.to_numpy(), ENTER_S)


def test_a_higher_priority_job_takes_workers_at_task_boundaries_only() -> None:
    # GIVEN job A (priority 50) on 3 workers, and job B (priority 90) submitted mid-task
    a = with_envs(job(step("A", 12), name="A"))
    b = with_envs(job(step("B", 3), name="B", at=ENTER_S + 10.0, priority=90))
    sc = costly(scenario(a, b, workers=3, default_s=TASK_S))
    sim = Simulation(sc)
    sim.run()
    result = sim.result()
    check_all(result)
    runs = result.task_runs.astype({"job_id": str, "worker_id": str, "status": str,
                                    "session_id": str})
    jobs = dict(zip(result.jobs["name"], result.jobs["job_id"].astype(str), strict=True))
    # THEN nothing of A is canceled or interrupted: B waits for A's runs to end...
    assert set(runs["status"]) == {"SUCCEEDED"}
    a_runs = runs[runs["job_id"] == jobs["A"]]
    b_runs = runs[runs["job_id"] == jobs["B"]]
    first_boundary = ENTER_S + TASK_S  # the end of every worker's first A task
    # ...each worker leaves A at that boundary: it runs A's session's envExit, is given B's
    # task only when the exit is done (one active session per worker, E.3), then enters B's
    # environment and runs B
    for worker, mine in b_runs.groupby("worker_id"):
        acts = actions_of(result, worker)
        a_session = a_runs[a_runs["worker_id"] == worker]["session_id"].iloc[0]
        exits = acts[(acts["session_id"] == a_session) & (acts["action"] == "envExit")]
        assert exits["started_at"].iloc[0] == pytest.approx(first_boundary)
        assert mine["assigned_at"].min() == pytest.approx(first_boundary + EXIT_S)
        assert mine["started_at"].min() == pytest.approx(first_boundary + EXIT_S + ENTER_S)
    # and afterwards they come back to A in new sessions (entering its environment again)
    assert result.sessions["task_runs"].sum() == 15
    assert len(result.sessions) == 3 + 3 + 3


def test_lowering_max_worker_count_releases_workers_at_task_boundaries() -> None:
    # GIVEN job A on 4 workers, then its maxWorkerCount lowered to 1 at t=130 (mid-task)
    sc = costly(scenario(with_envs(job(step("A", 40), name="A")), workers=4,
                         default_s=TASK_S))
    sim = Simulation(sc)
    sim.run(until=ENTER_S + 10.0)
    (state,) = sim.control.jobs
    state.max_worker_count = 1
    sim.run()
    result = sim.result()
    # (The tables keep the job's last maxWorkerCount only, so check_max_worker_count would
    # judge the first minutes by the lowered value; every other invariant must hold.)
    for check in (check_time_monotonic, check_worker_exclusive, check_limits, check_sessions,
                  check_task_transitions, check_task_final_states, check_job_status):
        check(result)
    runs = result.task_runs
    # THEN the 4 first runs still end normally and every worker leaves at that boundary: the
    # three whose sessions end are still on the job while they exit it (maxWorkerCount counts
    # teardown, semantics C.7), so the fourth may not go on either; once the exits are done
    # one worker opens a new session and runs the rest alone
    assert set(runs["status"].astype(str)) == {"SUCCEEDED"}
    sessions = result.sessions.sort_values("task_runs")
    assert sessions["task_runs"].tolist() == [1, 1, 1, 1, 36]
    short = sessions[sessions["task_runs"] == 1]
    assert np.allclose(short["ended_at"].to_numpy(), ENTER_S + TASK_S + EXIT_S)
    assert sessions["started_at"].iloc[-1] == pytest.approx(ENTER_S + TASK_S + EXIT_S)


def test_a_failed_environment_entry_fails_the_attempt_and_runs_its_exit() -> None:
    # GIVEN an envEnter that always fails and a task with 1 retry
    sc = costly(scenario(with_envs(job(step("A", 1), retries=1)), workers=1,
                         default_s=TASK_S), enter_failure=1.0)
    sim = Simulation(sc)
    sim.run()
    result = sim.result()
    check_all(result)
    runs = result.task_runs
    # THEN both attempts fail without their taskRun starting, and the task ends FAILED
    assert runs["status"].astype(str).tolist() == ["FAILED", "FAILED"]
    assert runs["started_at"].isna().all()
    assert result.jobs["task_run_status"].tolist() == ["FAILED"]
    # each session: envEnter FAILED, taskRun NEVER_ATTEMPTED, envExit of that environment
    acts = actions_of(result)
    for _, session in acts.groupby("session_id"):
        assert list(zip(session["action"], session["status"], strict=True)) == [
            ("envEnter", "FAILED"), ("taskRun", "NEVER_ATTEMPTED"), ("envExit", "SUCCEEDED")]
    assert result.task_runs["ended_at"].tolist() == pytest.approx(
        [ENTER_S, ENTER_S + EXIT_S + ENTER_S])


def test_step_environments_switch_inside_a_session() -> None:
    # GIVEN one worker, a job whose second step depends on the first, each with a step env
    sub = with_envs(job(step("S0", 2), step("S1", 2, deps=(0,))), job_envs=("J",),
                    step_envs=("Env",))
    sc = costly(scenario(sub, workers=1, default_s=TASK_S), enter=10.0, exit_=1.0)
    sim = Simulation(sc)
    sim.run()
    result = sim.result()
    check_all(result)
    acts = actions_of(result)
    # THEN one session: enter J, enter S0's env, 2 runs, exit S0's env, enter S1's env, 2 runs,
    # exit S1's env, exit J
    assert len(result.sessions) == 1
    kinds = [(k, e.split(":")[0])
             for k, e in zip(acts["action"], acts["environment_id"], strict=True)]
    assert kinds == [("envEnter", "JOB"), ("envEnter", "STEP"), ("taskRun", ""),
                     ("taskRun", ""), ("envExit", "STEP"), ("envEnter", "STEP"),
                     ("taskRun", ""), ("taskRun", ""), ("envExit", "STEP"), ("envExit", "JOB")]
    assert acts["started_at"].tolist() == pytest.approx(
        [0, 10, 20, 50, 80, 81, 91, 121, 151, 152])


@pytest.mark.parametrize("blocks", [True, False], ids=["setup as one block", "one record each"])
def test_a_setup_canceled_midway_records_what_was_done_whether_or_not_it_was_one_block(
        blocks: bool) -> None:
    # GIVEN a job of two steps: A (no environment) fails at t=5 and fails the job
    # (maxFailedTasksCount 1); B enters the step environment "Scene" (120 s) on the other
    # worker from t=0, a setup of fixed, unfailing actions (recorded as one block or not)
    from unittest import mock

    from farmsim.engine.sessions import Sessions

    base = job(step("A"), step("B"), max_failed=1)
    a, b = base.structure.steps
    sc = costly(scenario(dataclasses.replace(base, structure=JobStructure(
        name="job", steps=(a, dataclasses.replace(b, environments=("Scene",))))),
        workers=2, durations={"A": 5.0}, failing=("A",)))
    # WHEN it runs
    with mock.patch.object(Sessions, "_setup_block",
                           Sessions._setup_block if blocks else lambda self, envs: None):
        sim = Simulation(sc)
        sim.run()
    result = sim.result()
    # THEN B's setup was canceled at t=5: the envEnter CANCELED then, B's taskRun never
    # attempted, and the entered environment exited from t=5 (15 s)
    check_all(result)
    b_actions = actions_of(result)
    b_actions = b_actions[b_actions["environment_id"].str.contains("Scene")
                          | (b_actions["action"] == "taskRun")]
    rows = [(r.action, r.status, r.started_at, r.ended_at) for r in b_actions.itertuples()
            if r.action != "taskRun" or r.status == "NEVER_ATTEMPTED"]
    assert rows == [("envEnter", "CANCELED", 0.0, 5.0),
                    ("taskRun", "NEVER_ATTEMPTED", rows[1][2], rows[1][3]),
                    ("envExit", "SUCCEEDED", 5.0, 5.0 + EXIT_S)]
    assert np.isnan(rows[1][2]) and np.isnan(rows[1][3])
