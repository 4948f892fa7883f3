"""The control plane's rules on small hand-made farms, with fixed durations and exact times:
dependencies, maxWorkerCount, limits, retries, maxFailedTasksCount, aggregate statuses."""

from __future__ import annotations

import math

import pytest
from farm_builders import job, job_row, last_status, run, runs, scenario, step

from farmsim.model.config import FarmConfig, FleetConfig, QueueConfig
from farmsim.testing import check_all


def test_dependent_step_starts_when_its_upstream_steps_last_task_ends() -> None:
    # GIVEN a job whose step B depends on step A, on two workers
    sc = scenario(job(step("A", 2), step("B", 2, deps=(0,))), workers=2,
                  durations={"A": 10.0, "B": 5.0})

    # WHEN it runs
    result = run(sc)

    # THEN both A tasks run from 0 to 10 and both B tasks start at 10, one per worker
    a, b = runs(result, "A"), runs(result, "B")
    assert a["assigned_at"].tolist() == [0.0, 0.0]
    assert a["ended_at"].tolist() == [10.0, 10.0]
    assert b["assigned_at"].tolist() == [10.0, 10.0]
    assert b["worker_id"].nunique() == 2
    check_all(result)


def test_dependent_step_tasks_start_together_on_idle_workers() -> None:
    # GIVEN three idle workers, and a job arriving at t=5 whose step B (3 tasks) waits for
    # step A (1 task)
    sc = scenario(job(step("A", 1), step("B", 3, deps=(0,)), at=5.0), workers=3,
                  durations={"A": 10.0, "B": 10.0})

    # WHEN it runs
    result = run(sc)

    # THEN all of B starts at t=15, when A ends, on the three workers
    b = runs(result, "B")
    assert b["assigned_at"].tolist() == [15.0, 15.0, 15.0]
    assert b["worker_id"].nunique() == 3


def test_max_worker_count_two_runs_two_tasks_at_a_time_on_four_workers() -> None:
    # GIVEN a job of 6 ten-second tasks with maxWorkerCount 2, and 4 workers
    sc = scenario(job(step("A", 6), mwc=2), workers=4)

    # WHEN it runs
    result = run(sc)

    # THEN tasks run two at a time: 0-10, 10-20, 20-30
    a = runs(result, "A")
    assert a["assigned_at"].tolist() == [0.0, 0.0, 10.0, 10.0, 20.0, 20.0]
    assert a["ended_at"].tolist() == [10.0, 10.0, 20.0, 20.0, 30.0, 30.0]
    assert job_row(result, "job")["ended_at"] == 30.0
    check_all(result)


def test_limit_of_one_serialises_two_jobs_and_the_freed_unit_goes_to_higher_priority() -> None:
    # GIVEN a license with maxCount 1, a priority-50 job of 3 tasks at t=0 and a priority-90
    # job of 2 tasks at t=1, both needing it, and 4 workers
    sc = scenario(
        job(step("L", 3, licenses={"lic": 1}), name="low", priority=50, at=0.0),
        job(step("H", 2, licenses={"lic": 1}), name="high", priority=90, at=1.0),
        workers=4, limits={"lic": 1})

    # WHEN it runs
    result = run(sc)

    # THEN one task runs at a time, and each freed unit goes to the high job while it has work
    order = runs(result)[["job", "assigned_at", "ended_at"]].values.tolist()
    assert order == [["low", 0.0, 10.0], ["high", 10.0, 20.0], ["high", 20.0, 30.0],
                     ["low", 30.0, 40.0], ["low", 40.0, 50.0]]
    usage = result.limit_usage
    assert usage["current_count"].max() == 1
    assert usage["current_count"].tolist() == [1, 0] * 5
    check_all(result)


def test_failing_task_is_retried_max_retries_per_task_times_then_fails() -> None:
    # GIVEN a one-task job that always fails, with maxRetriesPerTask 2
    sc = scenario(job(step("R", 1), retries=2, max_failed=20), failing=("R",))

    # WHEN it runs
    result = run(sc)

    # THEN the task runs 3 times back to back, each FAILED, and ends FAILED
    r = runs(result, "R")
    assert r["attempt"].tolist() == [0, 1, 2]
    assert r["ready_at"].tolist() == [0.0, 10.0, 20.0]
    assert r["assigned_at"].tolist() == [0.0, 10.0, 20.0]
    assert r["status"].tolist() == ["FAILED"] * 3
    assert last_status(result)[("job", "R", 0)] == "FAILED"
    row = job_row(result, "job")
    assert (row["task_run_status"], row["failed"], row["task_failure_retry_count"],
            row["ended_at"]) == ("FAILED", 1, 2, 30.0)
    check_all(result)


def test_max_failed_tasks_count_cancels_the_rest_including_a_running_task() -> None:
    # GIVEN a job with maxFailedTasksCount 1 and no retries: a 5 s step that fails, and a step
    # of 3 twenty-second tasks, on 2 workers
    sc = scenario(job(step("bad", 1), step("good", 3), retries=0, max_failed=1),
                  workers=2, durations={"bad": 5.0, "good": 20.0}, failing=("bad",))

    # WHEN it runs
    result = run(sc)

    # THEN at t=5 the failure cancels the running good task (its run CANCELED at 5) and the
    # two that never ran; the job is FAILED at 5
    r = runs(result)
    assert r[["step", "task", "status", "ended_at"]].values.tolist() == [
        ["bad", 0, "FAILED", 5.0], ["good", 0, "CANCELED", 5.0]]
    status = last_status(result)
    assert [status[("job", "good", t)] for t in range(3)] == ["CANCELED"] * 3
    assert status[("job", "bad", 0)] == "FAILED"
    row = job_row(result, "job")
    assert (row["task_run_status"], row["failed"], row["canceled"], row["ended_at"]) == (
        "FAILED", 1, 3, 5.0)
    check_all(result)


def test_failed_task_without_retries_does_not_block_other_jobs() -> None:
    # GIVEN a job whose only task fails (no retries) and a later job, on one worker
    sc = scenario(job(step("bad", 1), name="broken", max_failed=5),
                  job(step("ok", 2), name="fine", at=1.0), failing=("bad",))

    # WHEN it runs
    result = run(sc)

    # THEN the broken job FAILED at 10 and the other runs right after it and SUCCEEDED
    assert job_row(result, "broken")["task_run_status"] == "FAILED"
    fine = job_row(result, "fine")
    assert (fine["task_run_status"], fine["ended_at"]) == ("SUCCEEDED", 30.0)
    check_all(result)


def test_limit_parked_job_takes_a_newly_ready_step_that_fits_the_free_units() -> None:
    # GIVEN a limit of 3 units, 3 workers and one job: step A (3 tasks of 2 units, 100 s),
    # step C (no limit, 10 s), step B after C (1 task of 1 unit, 10 s)
    sc = scenario(job(step("A", 3, licenses={"lic": 2}), step("C", 1),
                      step("B", 1, deps=(1,), licenses={"lic": 1})),
                  workers=3, limits={"lic": 3}, durations={"A": 100.0, "C": 10.0, "B": 10.0})

    # WHEN it runs
    result = run(sc)

    # THEN when C ends at t=10, B takes the free unit (2 + 1 <= 3) on an idle worker at once,
    # instead of waiting behind A's 2-unit tasks
    assert runs(result, "B")["assigned_at"].tolist() == [10.0]
    assert runs(result, "A")["assigned_at"].tolist() == [0.0, 100.0, 200.0]


def test_units_freed_for_a_parked_job_wake_a_worker_per_task_it_can_take() -> None:
    # GIVEN a limit of 3 units and 3 workers; a job whose one task takes all 3 units for 10 s,
    # and at t=1 a job of 3 one-unit tasks (parked on the limit)
    sc = scenario(job(step("H", 1, licenses={"lic": 3}), name="hog"),
                  job(step("M", 3, licenses={"lic": 1}), name="many", at=1.0),
                  workers=3, limits={"lic": 3})

    # WHEN it runs: at t=10 the hog's 3 units come free
    result = run(sc)

    # THEN the parked job's 3 tasks all start at t=10, one per worker
    m = runs(result, "M")
    assert m["assigned_at"].tolist() == [10.0, 10.0, 10.0]
    assert m["worker_id"].nunique() == 3


def test_units_freed_wake_a_worker_for_an_indexed_job_the_limit_was_holding_back() -> None:
    # GIVEN a limit of 4 units and 3 workers; a priority-80 job (maxWorkerCount 1) with a
    # 2-unit task then an unlicensed task; at t=1 a priority-0 job of two 2-unit tasks, of
    # which only one fits then (it is indexed, not parked)
    sc = scenario(job(step("B0", 1, licenses={"lic": 2}), step("B1", 1), name="busy",
                      priority=80, mwc=1),
                  job(step("W", 2, licenses={"lic": 2}), name="waiting", priority=0, at=1.0),
                  workers=3, limits={"lic": 4}, durations={"W": 10.0})

    # WHEN it runs: at t=10 the busy job's 2-unit run ends and its worker moves on to B1
    result = run(sc)

    # THEN the freed units go at once to the waiting job's second task, on the idle worker
    assert runs(result, "B1")["assigned_at"].tolist() == [10.0]
    assert runs(result, "W")["assigned_at"].tolist() == [1.0, 10.0]


def _two_queue_farm(only0_workers: int = 1) -> FarmConfig:
    # fleet "shared" (1 worker) serves q0 and q1; fleet "only0" serves q0 only
    return FarmConfig(
        queues=(QueueConfig(display_name="q0", fleets=("shared", "only0")),
                QueueConfig(display_name="q1", fleets=("shared",))),
        fleets=(FleetConfig(display_name="shared", worker_count=1),
                FleetConfig(display_name="only0", worker_count=only0_workers)),
        worker_poll_interval=0.0)


def test_worker_moving_to_another_queue_leaves_no_work_unannounced() -> None:
    # GIVEN a fleet serving q0 and q1 and a fleet serving q0 only, one worker each; in q0 a
    # job of 2 tasks with maxWorkerCount 1, in q1 a job of 1 task
    sc = scenario(job(step("A", 2), name="a", queue="q0", mwc=1),
                  job(step("B", 1), name="b", queue="q1"), farm=_two_queue_farm())

    # WHEN it runs: the shared worker takes A's first task; at t=10 it moves to q1 (least
    # served, semantics 10.10), freeing A's worker slot
    result = run(sc)

    # THEN A's second task starts at t=10 on the idle q0-only worker, not at t=20
    a = runs(result, "A")
    assert a["assigned_at"].tolist() == [0.0, 10.0]
    assert runs(result, "B")["assigned_at"].tolist() == [10.0]


def test_woken_worker_taking_another_queue_leaves_no_work_unannounced() -> None:
    # GIVEN the two-queue farm; a q0 job at t=0 (so the shared worker's round robin next
    # favours q1), then at t=5 a q0 job and a q1 job, one task each
    sc = scenario(job(step("X", 1), name="x", queue="q0"),
                  job(step("A", 1), name="a", queue="q0", at=5.0),
                  job(step("B", 1), name="b", queue="q1", at=5.0),
                  farm=_two_queue_farm(), durations={"X": 1.0})

    # WHEN it runs
    result = run(sc)

    # THEN both t=5 jobs start at t=5: whichever the shared worker takes, the other worker
    # takes A
    assert runs(result, "A")["assigned_at"].tolist() == [5.0]
    assert runs(result, "B")["assigned_at"].tolist() == [5.0]


def test_max_worker_count_slot_freed_by_a_worker_moving_to_another_queue_is_announced() -> None:
    # GIVEN three idle workers (one on the shared fleet); at t=5 a q0 job of 4 tasks with
    # maxWorkerCount 2 (two workers take it, the third stays idle), at t=6 a q1 job
    sc = scenario(job(step("A", 4), name="a", queue="q0", mwc=2, at=5.0),
                  job(step("B", 1), name="b", queue="q1", at=6.0),
                  farm=_two_queue_farm(only0_workers=2))

    # WHEN it runs: at t=15 both A runs end; the shared worker moves to q1 (round robin)
    result = run(sc)

    # THEN A's two freed slots are both used at t=15: tasks 2 and 3 start then
    assert runs(result, "A")["assigned_at"].tolist() == [5.0, 5.0, 15.0, 15.0]
    assert runs(result, "B")["assigned_at"].tolist() == [15.0]


def test_two_max_worker_count_slots_freed_at_once_by_workers_leaving_are_both_announced(
        ) -> None:
    # GIVEN a 4-worker fleet serving q0 and q1, and a 2-worker fleet serving q1 only; in q1 a
    # long priority-90 job (2 tasks) and a job of 6 five-second tasks with maxWorkerCount 2; at
    # t=1 a q0 job of 2 tasks
    farm = FarmConfig(
        queues=(QueueConfig(display_name="q0", fleets=("shared",)),
                QueueConfig(display_name="q1", fleets=("shared", "only1"))),
        fleets=(FleetConfig(display_name="shared", worker_count=4),
                FleetConfig(display_name="only1", worker_count=2)),
        worker_poll_interval=0.0)
    sc = scenario(job(step("C", 2), name="c", queue="q1", priority=90),
                  job(step("A", 6), name="a", queue="q1", mwc=2),
                  job(step("B", 2), name="b", queue="q0", at=1.0),
                  farm=farm, durations={"C": 100.0, "A": 5.0, "B": 5.0})

    # WHEN it runs: at t=5 both A runs end and both shared workers move to q0 (least served)
    result = run(sc)

    # THEN both of A's freed slots are taken at t=5 by the idle q1-only workers
    assert runs(result, "B")["assigned_at"].tolist() == [5.0, 5.0]
    assert runs(result, "A")["assigned_at"].tolist() == [0.0, 0.0, 5.0, 5.0, 10.0, 10.0]


# ------------------------------------------------------------------ aggregate status (A.4)

def _hog_and_waiter():
    return scenario(job(step("H", 1, licenses={"lic": 1}), name="hog"),
                    job(step("W", 1, licenses={"lic": 1}), step("P", 1, deps=(0,)),
                        name="job", at=1.0),
                    workers=2, limits={"lic": 1}, durations={"H": 100.0})


@pytest.mark.parametrize(("sc", "until", "expected", "ended_at"), [
    pytest.param(scenario(job(step("A", 2)), workers=2), None, "SUCCEEDED", 10.0,
                 id="all succeeded"),
    pytest.param(scenario(job(step("A", 1), step("B", 2, deps=(0,)), max_failed=5),
                          failing=("A",)), None, "FAILED", 10.0,
                 id="PENDING behind a FAILED upstream does not keep the job active"),
    pytest.param(scenario(job(step("A", 1), step("C", 1), max_failed=5), workers=2,
                          failing=("A",), durations={"C": 100.0}), 50.0, "RUNNING", math.nan,
                 id="RUNNING beats FAILED"),
    pytest.param(_hog_and_waiter(), 50.0, "READY", math.nan,
                 id="READY beats PENDING while an upstream can still succeed"),
    pytest.param(scenario(job(step("A", 1), step("B", 1, deps=(0,)), suspended=True)), None,
                 "SUSPENDED", math.nan, id="created SUSPENDED: final, but it never ran"),
    pytest.param(scenario(job(step("A", 1), step("X", 1, licenses={"other": 1})),
                          limits={"other": 1}, associated=()), None, "NOT_COMPATIBLE", math.nan,
                 id="NOT_COMPATIBLE beats CANCELED; it never ran"),
    pytest.param(scenario(job(step("bad", 1), step("good", 3), max_failed=1), workers=2,
                          failing=("bad",), durations={"bad": 5.0, "good": 20.0}), None,
                 "FAILED", 5.0, id="FAILED beats CANCELED"),
])
def test_job_status_follows_the_aggregate_precedence(sc, until, expected, ended_at) -> None:
    # GIVEN a job whose tasks end in a mix of statuses
    # WHEN it runs (to the end, or to a horizon)
    result = run(sc, until=until)

    # THEN its taskRunStatus is the first status present by the precedence of semantics A.4,
    # and it has ended exactly when that status is terminal and the job ran (GetJob's endedAt
    # is when a job ended running: a job that never started has none)
    row = job_row(result, "job")
    assert row["task_run_status"] == expected
    assert (math.isnan(row["ended_at"]) and math.isnan(ended_at)) or row["ended_at"] == ended_at
    check_all(result)


def test_suspended_and_not_compatible_jobs_never_run() -> None:
    # GIVEN a SUSPENDED job, a job naming a limit its queue is not associated with, a job naming
    # an amount nothing provides, and a normal job
    sc = scenario(
        job(step("S", 2), name="suspended", suspended=True),
        job(step("A", 1), step("X", 1, licenses={"other": 1}), name="foreign"),
        job(step("U", 1, licenses={"unknown": 1}), step("V", 1), name="unknown"),
        job(step("N", 1), name="normal"),
        limits={"other": 1, "mine": 1}, associated=("mine",), workers=2)

    # WHEN it runs
    result = run(sc)

    # THEN only the normal job ran; the others keep their creation statuses
    assert set(runs(result)["job"]) == {"normal"}
    status = last_status(result)
    assert [status[("suspended", "S", t)] for t in range(2)] == ["SUSPENDED"] * 2
    assert (status[("foreign", "A", 0)], status[("foreign", "X", 0)]) == (
        "CANCELED", "NOT_COMPATIBLE")
    assert (status[("unknown", "U", 0)], status[("unknown", "V", 0)]) == (
        "NOT_COMPATIBLE", "CANCELED")
    assert [job_row(result, n)["task_run_status"] for n in ("suspended", "foreign", "unknown",
                                                            "normal")] == [
        "SUSPENDED", "NOT_COMPATIBLE", "NOT_COMPATIBLE", "SUCCEEDED"]
    check_all(result)


def test_steps_share_empty_retry_and_dependent_containers_until_they_need_their_own() -> None:
    # Most steps never retry nor have dependents: they share empty containers (memory), and
    # a step that needs one gets its own; the shared ones are never written.
    from farmsim.engine.simulation import Simulation
    from farmsim.model import state

    sim = Simulation(scenario(
        job(step("A", 3), step("B", 2, deps=(0,)), name="deps"),
        job(step("F", 2), name="fails", retries=2),
        workers=2, failing=("F",)))
    fresh = sim.control.jobs
    sim.run()
    check_all(sim.result())
    assert state._NO_TASKS == [] and state._NO_RETRIES == {} and state._NO_TIMES == {}
    assert state._NO_STEPS == []
    deps, fails = sim.control.jobs
    assert deps is fresh[0]
    a, b = deps.steps
    assert a.dependents == [b] and a.dependents is not state._NO_STEPS
    assert b.dependents is state._NO_STEPS and b.retries is state._NO_RETRIES
    f = fails.steps[0]
    assert f.retries == {0: 2, 1: 2} and f.retries is not state._NO_RETRIES
    assert f.retry_heap is not state._NO_TASKS


def test_a_one_step_jobs_counts_are_its_steps_and_every_job_counts_its_steps_tasks() -> None:
    # A one-step job keeps one list of task counts for itself and its step (moved once per
    # change); a job of several steps keeps its own, the sum of its steps'.
    from farmsim.engine.simulation import Simulation
    from farmsim.model.enums import TASK_STATUS_CODES, TaskRunStatus

    sim = Simulation(scenario(
        job(step("A", 3), step("B", 2, deps=(0,)), name="deps"),
        job(step("F", 2), name="fails", retries=1),
        job(step("S", 4), name="one"),
        workers=2, failing=("F",)))
    sim.run(until=25.0)  # mid-run: tasks in several statuses
    deps, fails, one = sim.control.jobs
    assert one.counts is one.steps[0].counts and fails.counts is fails.steps[0].counts
    assert deps.counts is not deps.steps[0].counts
    for j in (deps, fails, one):
        assert j.counts == [sum(c) for c in zip(*(s.counts for s in j.steps), strict=True)]
        for s in j.steps:
            assert s.counts == [bytes(s.status[: s.task_count]).count(code)
                                for code in range(len(s.counts))]
    assert sum(one.counts) == 4
    sim.run()
    check_all(sim.result())
    assert one.counts[TASK_STATUS_CODES[TaskRunStatus.SUCCEEDED]] == 4
    assert fails.counts[TASK_STATUS_CODES[TaskRunStatus.FAILED]] == 2


def _updates(result) -> list[list[object]]:
    """The job_updates rows as [time, job name, setting, value, previous]."""
    jobs = result.jobs.astype({"job_id": str})
    name = dict(zip(jobs["job_id"], jobs["name"], strict=True))
    u = result.job_updates.astype({"job_id": str, "setting": str})
    return [[t, name[j], s, v, p] for t, j, s, v, p in u.values.tolist()]


def test_update_job_records_each_setting_it_changes_with_the_value_before() -> None:
    # GIVEN a job of 2 ten-second tasks (A) and 3 twenty-second ones (B) with maxWorkerCount 4
    # on 4 workers: 4 running from t=0
    from farmsim.engine.simulation import Simulation

    sim = Simulation(scenario(job(step("A", 2), step("B", 3), mwc=4), workers=4,
                              durations={"A": 10.0, "B": 20.0}))
    sim.run(until=5.0)
    capped = sim.control.jobs[0]
    # WHEN at t=5 its maxWorkerCount is lowered to 1 and its retries raised (its priority
    # given as it is), then the same again; and at t=12 its priority changed without a time
    sim.control.update_job(capped, priority=50, max_worker_count=1, max_retries=2, now=5.0)
    sim.control.update_job(capped, max_worker_count=1, max_retries=2, now=5.0)
    sim.run(until=12.0)
    sim.control.update_job(capped, priority=70)
    sim.run()
    result = sim.result()

    # THEN each change is a row with the value before it, at its time (without one, at the
    # control plane's: its last change, the A runs ending at t=10); what did not change, none
    assert _updates(result) == [[5.0, "job", "max_retries_per_task", 2, 0],
                                [5.0, "job", "max_worker_count", 1, 4],
                                [10.0, "job", "priority", 70, 50]]
    # AND the four runs going on carried on past the lowering (two still at t=10, above 1),
    # and the last B task came on only when they had all ended
    order = runs(result)[["step", "assigned_at", "ended_at"]].values.tolist()
    assert order == [["A", 0.0, 10.0], ["A", 0.0, 10.0], ["B", 0.0, 20.0], ["B", 0.0, 20.0],
                     ["B", 20.0, 40.0]]
    assert job_row(result, "job")[["priority", "max_worker_count"]].tolist() == [70, 1]
    # AND every invariant holds, maxWorkerCount's through the job_updates rows
    check_all(result)


def test_update_job_records_a_max_failed_tasks_count_that_stops_the_job() -> None:
    # GIVEN a job whose 3 tasks always fail, one at a time, with maxFailedTasksCount 20
    from farmsim.engine.simulation import Simulation

    sim = Simulation(scenario(job(step("F", 3), max_failed=20), workers=1, failing=("F",)))
    sim.run(until=15.0)  # the first task FAILED at t=10

    # WHEN maxFailedTasksCount is lowered to 1 at t=15
    sim.control.update_job(sim.control.jobs[0], max_failed=1, now=15.0)
    sim.run()
    result = sim.result()

    # THEN the change is a row, and the job stopped at once (the running task CANCELED)
    assert _updates(result) == [[15.0, "job", "max_failed_tasks_count", 1, 20]]
    assert job_row(result, "job")["ended_at"] == 15.0
    assert sorted(last_status(result).values()) == ["CANCELED", "CANCELED", "FAILED"]
    check_all(result)
