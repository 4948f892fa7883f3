"""Steps that need several units of a limit (semantics D.4: units = the requirement's min)."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

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


@given(st.lists(st.tuples(st.floats(0.0, 50.0), st.sampled_from(["idle", "busy", "assign",
                                                                  "release", "ready"])),
                max_size=60))
@example([(1.0, "ready"), (1.0, "assign"), (1.0, "ready"), (1.0, "idle"), (1.0, "busy"),
          (1.0, "idle")])
def test_idle_changes_integrate_the_blocked_time_as_advancing_at_every_change(changes):
    # GIVEN a limit of 1 unit on one fleet, and a random history of idle workers, READY tasks
    # needing the limit and units taken, at nondecreasing times
    from farmsim.engine.farm import FleetState, idle_changed
    from farmsim.model.state import LimitState

    lazy, eager = LimitState(0, 1), LimitState(0, 1)
    fleet = FleetState(0, "f")
    fleet.limits.append(lazy)
    now = 0.0
    for dt, what in changes:
        now += dt
        for limit in (lazy, eager):  # every change but an idle one brings the integral up to now
            if what in ("assign", "release", "ready") and now > limit.last_t:
                limit.advance(now)
            if what == "assign" and limit.current < limit.cap and limit.blocked_ready:
                limit.current += 1
                limit.blocked_ready -= 1
            elif what == "release" and limit.current:
                limit.current -= 1
            elif what == "ready":
                limit.blocked_ready += 1
        if what in ("idle", "busy") and (what == "idle" or eager.idle_workers):
            delta = 1 if what == "idle" else -1
            # WHEN the idle count changes (the engine's lazy rule against advancing always)
            idle_changed(fleet, now, delta)
            eager.advance(now)
            eager.idle_workers += delta
    lazy.advance(now + 1.0)
    eager.advance(now + 1.0)
    # THEN the same blocked time and usage area
    assert lazy.blocked_area == pytest.approx(eager.blocked_area, rel=1e-12, abs=1e-9)
    assert lazy.area == pytest.approx(eager.area, rel=1e-12, abs=1e-9)
    assert lazy.idle_workers == eager.idle_workers
