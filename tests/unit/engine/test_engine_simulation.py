"""The SimPy side: worker polls, horizons, idle workers and the audit hooks."""

from __future__ import annotations

import math

import pytest
from farm_builders import job, run, runs, scenario, step

from farmsim.engine.simulation import Simulation
from farmsim.errors import UsageError
from farmsim.testing import check_all


def _first_poll(result, worker_id: str) -> float:
    """A worker's phase: the time of its first poll, when it found nothing and went IDLE."""
    w = result.workers.astype({"worker_id": str, "status": str})
    mine = w[(w["worker_id"] == worker_id) & (w["status"] == "IDLE")]
    return float(mine["time"].iloc[0])


def test_idle_worker_takes_a_new_job_at_its_own_next_poll_then_the_next_task_at_once() -> None:
    # GIVEN one worker polling every 15 s, and a job of 2 ten-second tasks submitted at t=100
    sc = scenario(job(step("A", 2), at=100.0), workers=1, poll=15.0, seed=3)

    # WHEN it runs
    result = run(sc)

    # THEN the worker picks the job up at its first poll after t=100 (not at once), and when
    # the first task ends it takes the second at the same instant
    a = runs(result, "A")
    first, second = a["assigned_at"].tolist()
    phase = _first_poll(result, a["worker_id"].iloc[0])
    assert 0.0 < phase < 15.0
    assert 100.0 < first < 115.0
    assert first == pytest.approx(phase + 15.0 * math.ceil((100.0 - phase) / 15.0), abs=1e-9)
    assert second == first + 10.0
    check_all(result)


def test_the_idle_worker_whose_poll_comes_first_takes_the_new_task() -> None:
    # GIVEN four idle workers polling every 15 s at their own phases, and a one-task job at 100
    sc = scenario(job(step("A", 1), at=100.0), workers=4, poll=15.0, seed=11)

    # WHEN it runs
    result = run(sc)

    # THEN the worker whose next poll after t=100 comes first takes it, at that poll
    polls = {w: _first_poll(result, w) for w in result.workers["worker_id"].astype(str).unique()}
    delays = {w: (p - 100.0) % 15.0 for w, p in polls.items()}
    best = min(delays, key=delays.get)
    a = runs(result, "A")
    assert a["worker_id"].tolist() == [best]
    assert a["assigned_at"].iloc[0] == pytest.approx(100.0 + delays[best], abs=1e-9)


def test_poll_interval_zero_assigns_at_submission() -> None:
    # GIVEN an idle worker with poll interval 0 and a job submitted at t=42.5
    sc = scenario(job(step("A", 1), at=42.5), workers=1, poll=0.0)

    # WHEN it runs  THEN the task is assigned at t=42.5
    assert runs(run(sc), "A")["assigned_at"].tolist() == [42.5]


def test_run_until_stops_at_the_horizon_with_runs_open() -> None:
    # GIVEN a job of 3 ten-second tasks on one worker
    sim = Simulation(scenario(job(step("A", 3))))

    # WHEN it runs to t=15, then on to the end
    sim.run(until=15.0)
    cut = sim.result()
    sim.run()
    done = sim.result()

    # THEN at 15 one run ended and one is still RUNNING; at the end all three ended
    assert sim.now == 30.0
    assert cut.catalog.end_time == 15.0
    assert cut.task_runs["status"].astype(str).tolist() == ["SUCCEEDED", "RUNNING"]
    assert math.isnan(cut.task_runs["ended_at"].iloc[1])
    assert done.task_runs["status"].astype(str).tolist() == ["SUCCEEDED"] * 3
    check_all(cut)
    check_all(done)


def test_run_until_must_be_after_now() -> None:
    # GIVEN a simulation at t=0
    sim = Simulation(scenario(job(step("A", 1))))

    # WHEN / THEN running "until" t=0 is refused, with a UsageError (also a ValueError)
    with pytest.raises(UsageError, match=r"^until must be after the current simulated time, "
                                         r"0 s \(got 0\)$"):
        sim.run(until=0)
    assert issubclass(UsageError, ValueError)


def test_audit_hooks_see_every_assignment_and_every_empty_request() -> None:
    # GIVEN two workers, one job of three tasks, and hooks recording what they are shown
    sim = Simulation(scenario(job(step("A", 3)), workers=2))
    assigned, idle = [], []
    sim.control.on_assign = lambda w, now: assigned.append((now, w.index, w.task,
                                                            w.job.workers))
    sim.control.on_idle = lambda w, now: idle.append((now, w.index))

    # WHEN it runs
    sim.run()

    # THEN on_assign saw each run with the job's worker count already including it, and
    # on_idle each time a worker asked and got nothing
    # (at t=10 worker 0 ends first and takes task 2 while worker 1's run ends next)
    assert assigned == [(0.0, 0, 0, 1), (0.0, 1, 1, 2), (10.0, 0, 2, 2)]
    assert idle == [(10.0, 1), (20.0, 0)]
