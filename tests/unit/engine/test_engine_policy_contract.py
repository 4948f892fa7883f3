"""The policy contract: a read-only view, parking as the engine's step, standing-change hooks,
and UpdateJob's priority and maxWorkerCount mid-run."""

from __future__ import annotations

import pytest

from farmsim.engine.simulation import Simulation
from farmsim.scheduling import JobChange, PriorityFifo
from farmsim.testing import check_all
from tests.unit.engine.farm_builders import job, scenario, step


class Recording(PriorityFifo):
    """priorityFifo that watches every change and records what it is told."""

    __slots__ = ("told",)
    watches = JobChange.PRIORITY | JobChange.MAX_WORKERS | JobChange.WORKERS | \
        JobChange.RENDERING | JobChange.FAILURES | JobChange.STATUS

    def __init__(self) -> None:
        super().__init__()
        self.told: list[tuple[str, JobChange]] = []

    def changed(self, job, what) -> None:
        self.told.append((job.name, what))


def test_the_view_is_read_only() -> None:
    # GIVEN a job at its maxWorkerCount, and one whose READY step waits for a full limit
    sim = Simulation(scenario(job(step("A", 3), name="capped", mwc=1),
                              job(step("L", 2, licenses={"lic": 1}), name="licensed"),
                              workers=2, limits={"lic": 1}))
    sim.run(until=1.0)
    capped, licensed = sim.control.jobs
    licensed.steps[0].limits[0][0].current = 1  # the limit is full
    before = [(j.in_index, j.index_gen, j.park_gen) for j in (capped, licensed)]
    # WHEN a policy asks the view about them
    answers = [sim.control.assignable_step(j) for j in (capped, licensed)]
    # THEN neither is assignable, and asking changed nothing about either
    assert answers == [None, None]
    assert [(j.in_index, j.index_gen, j.park_gen) for j in (capped, licensed)] == before


def test_the_policy_is_told_of_every_change_it_watches() -> None:
    # GIVEN a queue whose policy watches everything; job a's one task fails both its attempts
    sc = scenario(job(step("A", 1), name="a", retries=1), job(step("B", 1), name="b", at=5.0),
                  workers=1, durations={"A": 10.0, "B": 10.0}, failing=("A",))
    sim = Simulation(sc)
    policy = Recording()
    sim.control.queues[0].set_policy(policy)
    # WHEN b's priority and maxWorkerCount are changed mid-run, and everything runs
    sim.run(until=6.0)
    b = sim.control.jobs[1]
    sim.control.update_job(b, priority=90, max_worker_count=2)
    sim.run()
    told = policy.told
    # THEN it was told of workers and rendering changing on a (each assignment and end), of
    # a's failed attempt, of b's priority and maxWorkerCount, and of both jobs ending
    assert ("a", JobChange.WORKERS | JobChange.RENDERING) in told
    assert ("a", JobChange.FAILURES) in told
    assert ("b", JobChange.PRIORITY | JobChange.MAX_WORKERS) in told
    assert ("a", JobChange.STATUS) in told and ("b", JobChange.STATUS) in told
    # one WORKERS|RENDERING per assignment and per end: a ran twice, b once
    assert told.count(("a", JobChange.WORKERS | JobChange.RENDERING)) == 4
    assert told.count(("a", JobChange.FAILURES)) == 2
    assert told.count(("b", JobChange.WORKERS | JobChange.RENDERING)) == 2
    check_all(sim.result())


def test_a_policy_watching_nothing_is_told_nothing() -> None:
    class Quiet(PriorityFifo):
        __slots__ = ("told",)

        def __init__(self) -> None:
            super().__init__()
            self.told = 0

        def changed(self, job, what) -> None:
            self.told += 1

    sim = Simulation(scenario(job(step("A", 3)), workers=2))
    quiet = Quiet()
    sim.control.queues[0].set_policy(quiet)
    sim.run()
    assert quiet.told == 0


def test_update_job_priority_changes_who_goes_next() -> None:
    # GIVEN one worker, job A (priority 50) with 4 tasks and job B (priority 40) with 1
    sim = Simulation(scenario(job(step("A", 4), name="A", priority=50),
                              job(step("B", 1), name="B", priority=40), workers=1))
    sim.run(until=15.0)  # A's first task runs 0-10, its second 10-20
    _, b = sim.control.jobs
    # WHEN B is raised above A mid-task
    sim.control.update_job(b, priority=90)
    assert sim.control.jobs[1].priority == 90
    sim.run()
    runs = sim.result().task_runs.astype({"job_id": str})
    ids = dict(zip(sim.result().jobs["name"], sim.result().jobs["job_id"].astype(str),
                   strict=True))
    # THEN B is taken at the next task boundary (t=20), not after A's last task
    b_run = runs[runs["job_id"] == ids["B"]].iloc[0]
    assert b_run["assigned_at"] == pytest.approx(20.0)
    check_all(sim.result())


def test_update_job_max_worker_count_raised_wakes_workers_for_the_new_slots() -> None:
    # GIVEN a job capped at 1 worker on a farm of 3 (the other two idle)
    sim = Simulation(scenario(job(step("A", 9), name="A", mwc=1), workers=3))
    sim.run(until=5.0)
    (a,) = sim.control.jobs
    assert a.workers == 1
    # WHEN the cap is raised to 3 mid-task
    sim.control.update_job(a, max_worker_count=3)
    sim.run(until=6.0)
    # THEN the two idle workers are woken and take tasks at once (poll interval 0)
    assert a.workers == 3
    sim.run()
    check_all(sim.result())


def test_a_policy_set_mid_run_is_given_the_queue_s_jobs() -> None:
    # GIVEN a running farm with jobs waiting in its queue
    sc = scenario(job(step("A", 6), name="a"), job(step("B", 6), name="b", at=1.0), workers=2,
                  durations={"A": 10.0, "B": 10.0})
    sim = Simulation(sc)
    sim.run(until=5.0)
    # WHEN the queue gets a new policy (a new schedulingConfiguration)
    policy = Recording()
    sim.control.set_policy(sim.control.queues[0], policy)
    sim.run()
    result = sim.result()
    check_all(result)
    # THEN the new policy holds the waiting jobs and every task succeeds under it
    assert set(result.jobs["task_run_status"].astype(str)) == {"SUCCEEDED"}
    assert {name for name, _ in policy.told} == {"a", "b"}
