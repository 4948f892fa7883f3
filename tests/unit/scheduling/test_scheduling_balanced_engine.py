"""The balanced configurations in the engine, on hand-made farms with fixed durations: the split
the documentation describes, against priorityFifo's on the same farm."""

from __future__ import annotations

import dataclasses

import pytest

from farmsim.engine.simulation import Simulation
from farmsim.model.config import SchedulingConfig
from farmsim.testing import check_all
from tests.unit.engine.farm_builders import job, scenario, step


def _on(sim: Simulation) -> dict[str, int]:
    """Workers on each job now, by name."""
    return {j.name: j.workers for j in sim.control.jobs}


def _with(sc, policy: str, parameters: dict | None = None, settings: dict | None = None):
    queue = dataclasses.replace(sc.farm.queues[0], scheduling=SchedulingConfig(
        policy=policy, parameters=parameters or {}, settings=settings or {}))
    return dataclasses.replace(sc, farm=dataclasses.replace(sc.farm, queues=(queue,)))


@pytest.mark.parametrize(("policy", "split"), [
    ("priorityFifo", {"a": 5, "b": 0, "low": 0}),
    ("priorityBalanced", {"a": 3, "b": 2, "low": 0}),
    ("weightedBalanced", {"a": 3, "b": 2, "low": 0}),
])
def test_five_workers_on_two_jobs_of_the_top_priority(policy: str, split: dict) -> None:
    # GIVEN two priority-60 jobs of 20 tasks (a submitted first) and a priority-40 one, on five
    # workers that take them all at t=0
    sc = _with(scenario(job(step("A", 20), name="a", priority=60),
                        job(step("B", 20), name="b", priority=60),
                        job(step("L", 20), name="low", priority=40),
                        workers=5), policy)
    sim = Simulation(sc)
    # WHEN the first runs are under way
    sim.run(until=5.0)
    # THEN priorityFifo gives every worker to the first job; the balanced configurations
    # spread them over the top level, the extra one to the earliest job, none to the low one
    assert _on(sim) == split
    sim.run()
    check_all(sim.result())


def test_weighted_balanced_counts_age_in_seconds_unless_set_to_minutes() -> None:
    # GIVEN a priority-50 job submitted at t=0 and a priority-51 one at t=100 s, one worker
    # busy until t=120 on a third job
    def build(settings: dict | None):
        return _with(scenario(job(step("X", 1), name="first", priority=90),
                              job(step("A", 3), name="old", priority=50, at=0.0),
                              job(step("B", 3), name="new", priority=51, at=100.0),
                              workers=1, durations={"X": 120.0}),
                     "weightedBalanced", {"renderingTaskWeight": 0.0}, settings)
    # WHEN the worker asks for its next task at t=120
    seconds, minutes = Simulation(build(None)), Simulation(build({
        "submission_time_unit": "minutes"}))
    for sim in (seconds, minutes):
        sim.run(until=125.0)
    # THEN in seconds the older job's 100 s more (300) outweigh one priority point (100);
    # in minutes (5) they do not
    assert _on(seconds)["old"] == 1 and _on(minutes)["new"] == 1


def test_priority_balanced_worker_stays_within_the_buffer() -> None:
    # GIVEN job a on all four workers (submitted alone), then job b arriving at t=5 with as
    # much priority; runs of a take 10 s, of b 100 s
    def build(buffer: int):
        return _with(scenario(job(step("A", 40), name="a", priority=50),
                              job(step("B", 40), name="b", priority=50, at=5.0),
                              workers=4, durations={"A": 10.0, "B": 100.0}),
                     "priorityBalanced", {"renderingTaskBuffer": buffer})
    # WHEN a's four runs end at t=10 and their workers ask again, one after the other
    counts = {}
    for buffer in (0, 3):
        sim = Simulation(build(buffer))
        sim.run(until=11.0)
        counts[buffer] = _on(sim)
    # THEN with buffer 0 they even out (a's 3 - b's 0 > 0: move; ... until 2 and 2); with
    # buffer 3 each stays on a (a's rendering tasks exceed b's by at most 3)
    assert counts[0] == {"a": 2, "b": 2}
    assert counts[3] == {"a": 4, "b": 0}
