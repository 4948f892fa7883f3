"""A worker closing a session: its envExits come before any new work (semantics E.3), it still
counts on the job for maxWorkerCount (C.7), and it holds no limit unit meanwhile.

These are the probes of issue 9, on small farms with exact times: a 60 s envExit, a job capped
at one worker, a limit of one unit.
"""

from __future__ import annotations

import numpy as np
import pytest

from farmsim.engine.simulation import Simulation
from farmsim.testing import check_all
from tests.unit.engine.farm_builders import job, scenario, step
from tests.unit.engine.test_engine_sessions import actions_of, costly, with_envs

ENTER_S, EXIT_S, TASK_S = 10.0, 60.0, 30.0


def _session_spans(result, job_id: str) -> list[tuple[float, float, str]]:
    """(first action start, last action end, worker) of every session on ``job_id``,
    envExits included."""
    acts = actions_of(result)
    runs = result.task_runs.astype({"session_id": str, "job_id": str, "worker_id": str})
    spans = []
    for session, rows in runs[runs["job_id"] == job_id].groupby("session_id"):
        mine = acts[acts["session_id"] == session]
        start = min(rows["assigned_at"].min(), mine["started_at"].min())
        end = max(rows["ended_at"].max(), mine["ended_at"].max())
        spans.append((start, end, rows["worker_id"].iloc[0]))
    return spans


def _most_at_once(spans: list[tuple[float, float, str]]) -> int:
    """The most spans open at one time ([start, end) intervals)."""
    points = sorted([(s, 1) for s, _, _ in spans] + [(e, -1) for _, e, _ in spans])
    most = open_ = 0
    for _, delta in points:
        open_ += delta
        most = max(most, open_)
    return most


def test_max_worker_count_counts_workers_exiting_a_session_of_the_job() -> None:
    # GIVEN two jobs with a job environment (60 s envExit) on 2 workers; A capped at 1 worker
    # and at lower priority, so workers move between the jobs and exit A's sessions
    a = with_envs(job(step("A", 6), name="A", mwc=1))
    b = with_envs(job(step("B", 3), name="B", at=5.0, priority=90))
    sc = costly(scenario(a, b, workers=2, default_s=TASK_S), enter=ENTER_S, exit_=EXIT_S)
    sim = Simulation(sc)
    sim.run()
    result = sim.result()
    check_all(result)
    jobs = dict(zip(result.jobs["name"], result.jobs["job_id"].astype(str), strict=True))
    # THEN A never has two workers holding a session of it, its envExits included (the old
    # engine gave A to a second worker while the first still exited: two for 55 s)
    assert _most_at_once(_session_spans(result, jobs["A"])) == 1


def test_no_new_work_nor_limit_unit_until_the_exits_are_done() -> None:
    # GIVEN a limit of one unit needed by both jobs, a 60 s envExit, and one worker that
    # leaves job A for the higher-priority job B submitted while it runs A's first task
    a = with_envs(job(step("A", 2, licenses={"lic": 1}), name="A"))
    b = with_envs(job(step("B", 1, licenses={"lic": 1}), name="B", at=5.0, priority=90))
    sc = costly(scenario(a, b, workers=1, limits={"lic": 1}, default_s=TASK_S),
                enter=ENTER_S, exit_=EXIT_S)
    sim = Simulation(sc)
    sim.run()
    result = sim.result()
    check_all(result)
    runs = result.task_runs.astype({"job_id": str})
    jobs = dict(zip(result.jobs["name"], result.jobs["job_id"].astype(str), strict=True))
    a_first = runs[runs["job_id"] == jobs["A"]].sort_values("assigned_at").iloc[0]
    b_run = runs[runs["job_id"] == jobs["B"]].iloc[0]
    # THEN B's task is given to the worker only when A's envExit (60 s) is done: its wait ends
    # when a worker is really given it, and the unit is not held meanwhile
    assert a_first["ended_at"] == pytest.approx(ENTER_S + TASK_S)
    assert b_run["assigned_at"] == pytest.approx(ENTER_S + TASK_S + EXIT_S)
    # AND the limit's usage is exactly the task runs' (from assignment to end), which the
    # session actions report too: utilisation of the work that used the unit, not of exits
    usage = result.limit_usage.sort_values("time", kind="stable")
    times, counts = usage["time"].to_numpy(), usage["current_count"].to_numpy()
    end = result.summary()["simulated_s"]
    held = float(np.sum(np.diff(np.append(times, end)) * counts))
    by_runs = float((runs["ended_at"] - runs["assigned_at"]).sum())
    assert held == pytest.approx(by_runs)
    acts = actions_of(result)
    task_runs = acts[acts["action"] == "taskRun"]
    assert all(len(limits) == 1 for limits in task_runs["acquired_limits"])
    assert not task_runs.empty
    # no unit is held while the worker exits a session
    exits = acts[acts["action"] == "envExit"]
    for _, row in exits.iterrows():
        inside = (times >= row["started_at"]) & (times < row["ended_at"])
        before = counts[times <= row["started_at"]][-1] if (times <= row["started_at"]).any() \
            else 0
        assert before == 0 and not (counts[inside] > 0).any(), row


def test_events_at_one_instant_are_in_causal_order() -> None:
    # GIVEN one worker and two steps: A (2 tasks), then B after A; no setup, 10 s tasks
    from farmsim.testing import check_event_order

    sim = Simulation(scenario(job(step("A", 2), step("B", 1, deps=(0,))), workers=1))
    sim.run()
    result = sim.result()
    check_all(result)
    ev = result.task_events.astype({"status": str, "task_id": str, "worker_id": str})
    rows = list(zip(ev["time"], ev["task_id"].str[-1], ev["status"], strict=True))
    at_10 = [(task, status) for t, task, status in rows if t == 10.0]
    at_20 = [status for t, _, status in rows if t == 20.0]
    # THEN at t=10 the first task SUCCEEDED before the worker was ASSIGNED the second (the old
    # order had ASSIGNED first), and at t=20 A's last task SUCCEEDED before B became READY,
    # before B was ASSIGNED
    assert [s for _, s in at_10] == ["SUCCEEDED", "ASSIGNED", "RUNNING"]
    assert at_20 == ["SUCCEEDED", "READY", "ASSIGNED", "RUNNING"]
    check_event_order(result)


class _AskLog:
    """Wraps a queue's policy and records the time (``view.now``) of every choice."""

    def __init__(self, policy) -> None:
        self.policy = policy
        self.asked: list[float] = []
        self.watches = policy.watches
        self.passed_over = policy.passed_over

    def choose(self, view, worker, current_job):
        self.asked.append(view.now)
        return self.policy.choose(view, worker, current_job)

    def __getattr__(self, name):
        return getattr(self.policy, name)


def test_a_session_whose_job_is_done_asks_the_policy_only_after_its_exits() -> None:
    # GIVEN one worker, job A (one task) and job B, both with a job environment whose envExit
    # takes 60 s; A runs first (higher priority)
    a = with_envs(job(step("A", 1), name="A", priority=90))
    b = with_envs(job(step("B", 1), name="B"))
    sc = costly(scenario(a, b, workers=1, default_s=TASK_S), enter=ENTER_S, exit_=EXIT_S)
    sim = Simulation(sc)
    queue = sim.control.queues[0]
    log = _AskLog(queue.policy)
    queue.set_policy(log)
    # WHEN it runs
    sim.run()
    result = sim.result()
    check_all(result)
    runs = result.task_runs.sort_values("assigned_at")
    a_end = float(runs["ended_at"].iloc[0])
    # THEN when A's task ends nothing is left on A: the session ends without asking the
    # policy, and the worker asks when A's envExit is done, and is given B's task then
    assert a_end == ENTER_S + TASK_S
    assert a_end not in log.asked
    assert a_end + EXIT_S in log.asked
    assert float(runs["assigned_at"].iloc[1]) == a_end + EXIT_S
