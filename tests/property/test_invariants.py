"""Property tests: random farms and workloads keep every invariant, and the scheduler's
decisions agree with a brute-force oracle (priorityFifo order, no head-of-line blocking, no
worker idle while work waits)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from farmsim.engine.simulation import Simulation
from farmsim.model.config import FarmConfig, FleetConfig, JobSubmission, QueueConfig
from farmsim.model.distributions import Exponential
from farmsim.model.job import JobStructure, StepStructure
from farmsim.model.runtimes import RuntimeModel, RuntimeRule
from farmsim.scenario.config import Scenario
from farmsim.scheduling import JobChange
from farmsim.testing import assert_same_tables, check_all, check_jobs_finished, check_limits
from farmsim.testing.oracle import OracleViolation, run_audited
from farmsim.testing.strategies import farms, scenarios


@given(scenarios())
def test_drained_run_keeps_every_invariant_and_finishes_every_job(scenario: Scenario) -> None:
    # GIVEN a random farm and workload in which every compatible step fits its limits
    sim = Simulation(scenario)

    # WHEN it runs until no event is left, every decision audited by the oracle
    oracle = run_audited(sim)
    result = sim.result()

    # THEN every invariant holds, the oracle saw every assignment, and no job is left behind
    check_all(result)
    assert oracle.assignments == len(result.task_runs)
    check_jobs_finished(result)
    # AND a job has ended_at exactly when it ran (GetJob's endedAt: a SUSPENDED or
    # NOT_COMPATIBLE job that never started has none)
    jobs = result.jobs
    assert (jobs["ended_at"].notna() == jobs["started_at"].notna()).all()


@given(scenarios(), st.floats(1.0, 400.0))
def test_run_cut_at_a_horizon_keeps_every_invariant(scenario: Scenario, until: float) -> None:
    # GIVEN a random farm and workload
    sim = Simulation(scenario)

    # WHEN it stops at a horizon, probably with work in flight
    run_audited(sim, until=until)
    result = sim.result()

    # THEN every invariant holds for the cut records too
    assert sim.now == until
    check_all(result)
    open_runs = result.task_runs[result.task_runs["status"] == "RUNNING"]
    assert open_runs["ended_at"].isna().all()


@given(scenarios(max_jobs=8))
def test_same_seed_gives_identical_tables_and_the_oracle_changes_nothing(
        scenario: Scenario) -> None:
    # GIVEN two simulations of the same scenario and seed, one audited by the oracle
    plain, audited = Simulation(scenario), Simulation(scenario)

    # WHEN both run to the end
    plain.run()
    run_audited(audited)

    # THEN their tables and summaries are identical (so the oracle only reads)
    assert_same_tables(plain.result(), audited.result())


def _busy_scenario(seed: int) -> Scenario:
    structure = JobStructure(name="render", steps=(StepStructure(name="frames", index=0,
                                                                 task_count=20),))
    farm = FarmConfig(queues=(QueueConfig(display_name="q", fleets=("f",)),),
                      fleets=(FleetConfig(display_name="f", worker_count=3),),
                      worker_poll_interval=15.0)
    jobs = tuple(JobSubmission(at=60.0 * k, queue="q", structure=structure, priority=50 + k)
                 for k in range(4))
    return Scenario(seed=seed, farm=farm, jobs=jobs, runtimes=RuntimeModel(
        rules=(RuntimeRule(duration=Exponential(100.0)),)))


def test_same_seed_same_tables_and_different_seeds_differ() -> None:
    # GIVEN a scenario with random durations and poll phases
    # WHEN it runs twice with seed 1 and once with seed 2
    runs = []
    for seed in (1, 1, 2):
        sim = Simulation(_busy_scenario(seed))
        sim.run()
        runs.append(sim.result())

    # THEN seed 1 reproduces itself exactly, and seed 2 draws other durations
    assert_same_tables(runs[0], runs[1])
    ends_1 = runs[0].task_runs["ended_at"].to_numpy()
    ends_2 = runs[2].task_runs["ended_at"].to_numpy()
    assert len(ends_1) == len(ends_2) == 80
    assert (ends_1 != ends_2).mean() > 0.9


@given(scenarios(farm=farms(max_workers=4), min_jobs=15, max_jobs=30, max_submit_s=120.0,
                 max_steps=4, max_tasks=6))
def test_busy_farm_follows_priority_fifo_without_head_of_line_blocking(
        scenario: Scenario) -> None:
    # GIVEN 15-30 jobs of up to 4 steps arriving within two minutes at 1-12 workers, many
    # blocked at times by limits or maxWorkerCount
    sim = Simulation(scenario)

    # WHEN it runs to the end under the oracle
    oracle = run_audited(sim)

    # THEN each assignment went to the first assignable job of its queue and no worker idled
    # next to assignable work (checked as it ran); every task ran and the invariants hold
    result = sim.result()
    assert oracle.assignments == len(result.task_runs)
    check_jobs_finished(result)
    check_all(result)


@settings(max_examples=150)
@given(scenarios(
    farm=farms(max_queues=2, max_fleets=2, min_workers=2, max_workers=6, min_limits=1,
               max_limits=1, limit_max_counts=(2, 3, 4), all_limits_associated=True,
               worker_poll_interval=st.just(0.0)),
    min_jobs=6, max_jobs=12, max_submit_s=60.0, max_tasks=8, max_units=4, suspended=False,
    incompatible=False))
def test_license_contention_leaves_no_worker_idle_next_to_work(scenario: Scenario) -> None:
    # GIVEN jobs competing for one license of 2-4 units, runs taking 1 unit up to all of them,
    # and workers that poll continuously
    sim = Simulation(scenario)

    # WHEN it runs to the end under the oracle
    run_audited(sim)

    # THEN no worker ever sat idle while a job it could serve had a task that fit the free
    # units (checked at the end of every instant), and every job finished
    result = sim.result()
    check_jobs_finished(result)
    check_limits(result)


# ---------------------------------------------------------------------- the oracle itself


class _LowestPriorityFirst:
    """A deliberately wrong policy on the policy contract: the lowest priority first, blocked
    jobs skipped (it keeps every job it was given and never passes one over)."""

    name = "lowestFirst"
    watches = JobChange(0)

    def __init__(self) -> None:
        self.jobs: list = []
        self.passed_over: list = []

    def add(self, job) -> None:
        self.jobs.append(job)

    def park(self, job, limit, units) -> None:
        self.jobs.append(job)

    def changed(self, job, what) -> None:
        pass

    def choose(self, view, worker, current_job):
        for job in sorted(set(self.jobs), key=lambda j: (j.priority, j.submit_seq)):
            step = view.assignable_step(job)
            if step is not None:
                return job, step
        return None


def test_oracle_takes_the_reference_order_as_a_parameter() -> None:
    # GIVEN the same wrong policy, and a reference that says "the lowest priority first"
    def lowest_first(candidates, worker, current_job):
        return [min(candidates, key=lambda j: (j.priority, j.submit_seq))]

    sim = Simulation(_two_job_scenario())
    sim.control.queues[0].set_policy(_LowestPriorityFirst())
    # WHEN it runs under the oracle with that reference for the queue's configuration
    oracle = run_audited(sim, references={"priorityFifo": lowest_first})
    # THEN nothing is rejected: the oracle judges by the reference it is given
    assert oracle.assignments == 6


def _two_job_scenario(at: float = 0.0) -> Scenario:
    structure = JobStructure(name="j", steps=(StepStructure(name="s", index=0, task_count=3),))
    farm = FarmConfig(queues=(QueueConfig(display_name="q", fleets=("f",)),),
                      fleets=(FleetConfig(display_name="f", worker_count=1),),
                      worker_poll_interval=0.0)
    jobs = (JobSubmission(at=at, queue="q", structure=structure, priority=10),
            JobSubmission(at=at, queue="q", structure=structure, priority=90))
    return Scenario(farm=farm, jobs=jobs, runtimes=RuntimeModel(
        rules=(RuntimeRule(duration=Exponential(10.0)),)))


def test_oracle_rejects_a_policy_that_breaks_priority_order() -> None:
    # GIVEN a queue whose policy serves the lowest priority first
    sim = Simulation(_two_job_scenario())
    sim.control.queues[0].set_policy(_LowestPriorityFirst())

    # WHEN it runs under the oracle  THEN the first assignment is rejected
    with pytest.raises(OracleViolation, match=r"ranks first in queue 0 by priorityFifo and was "
                                              r"assignable"):
        run_audited(sim)


def test_oracle_rejects_a_worker_left_idle_next_to_work() -> None:
    # GIVEN an engine that never wakes idle workers when work appears, and jobs arriving at
    # t=5 to an idle worker
    sim = Simulation(_two_job_scenario(at=5.0))
    sim.control.demand.notify = lambda queue_index, n: None

    # WHEN it runs under the oracle  THEN the end of the instant t=5 is rejected
    with pytest.raises(OracleViolation, match=r"t=5.0: worker#0 of fleet 0 is idle while job#0"):
        run_audited(sim)
