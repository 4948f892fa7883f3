"""Steps that need several units of a limit (semantics D.4: units = the requirement's min)."""

from __future__ import annotations

from farmsim.engine.simulation import Simulation
from farmsim.model.config import FarmConfig, FleetConfig, JobSubmission, LimitConfig, QueueConfig
from farmsim.model.distributions import Fixed
from farmsim.model.job import AmountRequirement, JobStructure, StepStructure
from farmsim.model.runtimes import RuntimeModel, RuntimeRule
from farmsim.scenario.config import Scenario


def _job(name: str, units: int, tasks: int) -> JobStructure:
    return JobStructure(name=name, steps=(StepStructure(
        name="S", index=0, task_count=tasks,
        amounts=(AmountRequirement("amount.license.nuke", units),)),))


def test_a_job_needing_more_units_than_are_free_waits_and_smaller_ones_go_ahead():
    # GIVEN maxCount 3, a 1-unit job holding a unit, then a 3-unit job (needs all three) at
    # higher priority, and another 1-unit job: 4 workers, runs of 100 s, polls instant
    farm = FarmConfig(
        queues=(QueueConfig(display_name="q", fleets=("f",), limits=("nuke",)),),
        fleets=(FleetConfig(display_name="f", max_worker_count=4, worker_count=4),),
        limits=(LimitConfig(display_name="nuke", amount_requirement_name="amount.license.nuke",
                            max_count=3),),
        worker_poll_interval=0,
    )
    jobs = (
        JobSubmission(at=0, queue="q", structure=_job("small", 1, 1), priority=10),
        JobSubmission(at=1, queue="q", structure=_job("big", 3, 2), priority=90),
        JobSubmission(at=2, queue="q", structure=_job("other", 1, 1), priority=50),
    )
    scenario = Scenario(farm=farm, jobs=jobs, runtimes=RuntimeModel(
        rules=(RuntimeRule(duration=Fixed(100.0)),)))
    # WHEN it runs to the end (this used to spin forever: the 3-unit job was re-examined)
    sim = Simulation(scenario)
    sim.run()
    result = sim.result()
    # THEN every job finished, and usage never went over maxCount
    assert list(result.jobs.task_run_status.astype(str)) == ["SUCCEEDED"] * 3
    assert result.limit_usage.current_count.max() == 3
    runs = result.task_runs.merge(result.jobs[["job_id", "name"]], on="job_id")
    starts = runs.groupby("name").assigned_at.min()
    # the 1-unit "other" job used a free unit at t=2 while "big" waited for 3 free units
    assert starts["other"] == 2.0
    assert starts["big"] == 100.0 + 2.0  # once small (t=100) and other (t=102) are done
