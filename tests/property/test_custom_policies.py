"""Property tests of custom policies written as an OrderedPolicy: on random farms (limits,
maxWorkerCount, several queues and fleets, routing by host requirements, failures), a registered
policy's every choice is the one its key ranks first among the jobs the worker could take (the
oracle recomputes every key at every decision, so a key that moves with a count it does not
watch fails), no worker sleeps next to work, and every engine invariant holds. The worked
example of docs/policies.md (scenarios/policies/earliest_deadline_first.py) is one of them."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from farmsim.engine.simulation import Simulation
from farmsim.model.config import SchedulingConfig
from farmsim.scenario.config import Scenario
from farmsim.scheduling import JobChange, OrderedPolicy, load_policy, register_policy
from farmsim.testing import assert_same_tables, check_all
from farmsim.testing.oracle import run_audited
from farmsim.testing.strategies import farms, scenarios

ROOT = Path(__file__).resolve().parents[2]


def _example() -> type:
    """The worked example, imported and registered as a scenario's ``simulation.policy``
    would (one module per file, whichever test loads it first)."""
    path = ROOT / "scenarios" / "policies" / "earliest_deadline_first.py"
    return load_policy(f"{path}:EarliestDeadlineFirst")


class LeastAttained(OrderedPolicy):
    """Fewest workers first, then fewest tasks in flight, then the highest priority: its key
    moves at every start and end of a run."""

    name = "propLeastAttained"
    watches = JobChange.WORKERS | JobChange.RENDERING

    def key(self, job: Any) -> Any:
        return (job.workers, job.running, -job.priority)


class FewestFailures(OrderedPolicy):
    """The job with the fewest failed runs first: its key moves when a run fails."""

    name = "propFewestFailures"
    watches = JobChange.FAILURES

    def key(self, job: Any) -> Any:
        return (job.failed_attempts, -job.priority)


class Smallest(OrderedPolicy):
    """The job with the fewest tasks first (a static key)."""

    name = "propSmallest"

    def key(self, job: Any) -> Any:
        return sum(step.structure.task_count for step in job.steps)


EXAMPLE = _example()
for _cls in (LeastAttained, FewestFailures, Smallest):
    register_policy(_cls, replace=True)

POLICIES = [LeastAttained.name, FewestFailures.name, Smallest.name, EXAMPLE.name]


def _custom(policy: str) -> st.SearchStrategy[SchedulingConfig]:
    return st.just(SchedulingConfig(policy=policy))


def _with_due_hours(data: st.DataObject, scenario: Scenario) -> Scenario:
    """Each job given a DueHours parameter (or none), for the deadline example."""
    jobs = []
    for submission in scenario.jobs:
        due = data.draw(st.one_of(st.none(), st.sampled_from([0.001, 0.01, 0.02, 1.0])))
        parameters = {} if due is None else {"DueHours": due}
        structure = dataclasses.replace(submission.structure, parameters=parameters)
        jobs.append(dataclasses.replace(submission, structure=structure))
    return dataclasses.replace(scenario, jobs=tuple(jobs))


@pytest.mark.parametrize("policy", POLICIES)
@settings(max_examples=25)
@given(data=st.data())
def test_a_custom_ordered_policy_keeps_its_order_and_every_invariant(
        policy: str, data: st.DataObject) -> None:
    # GIVEN a random farm whose queues all use the custom policy (routing, scaling fleets
    # and losses drawn too), its jobs with due times for the deadline example
    farm = farms(scheduling=_custom(policy), capabilities=True, scaling=True)
    scenario = data.draw(scenarios(farm=farm, host_requirements=True))
    scenario = _with_due_hours(data, scenario)
    sim = Simulation(scenario)
    # WHEN it runs under the oracle, whose reference recomputes the key at every decision
    oracle = run_audited(sim)
    # THEN every choice was the first-ranked assignable job, and every invariant holds
    result = sim.result()
    check_all(result)
    assert oracle.assignments == len(result.task_runs)



class FifoAsKey(OrderedPolicy):
    """priorityFifo's order, written as a custom policy."""

    name = "propFifoAsKey"

    def key(self, job: Any) -> Any:
        return (-job.priority, job.submitted_at)


register_policy(FifoAsKey, replace=True)


@settings(max_examples=25)
@given(scenarios(farm=farms(capabilities=True, scaling=True), host_requirements=True))
def test_priority_fifo_written_as_a_key_gives_the_same_tables_as_priority_fifo(
        scenario: Scenario) -> None:
    # GIVEN a random farm under priorityFifo, and the same farm under a registered custom
    # policy whose key is priorityFifo's order (its choices checked, its index the balanced
    # configurations')
    custom = dataclasses.replace(scenario, farm=dataclasses.replace(scenario.farm, queues=tuple(
        dataclasses.replace(q, scheduling=SchedulingConfig(policy=FifoAsKey.name))
        for q in scenario.farm.queues)))
    # WHEN both run
    fifo, mine = Simulation(scenario), Simulation(custom)
    fifo.run()
    mine.run()
    # THEN every table is the same: the custom path decides exactly as the built-in one
    assert_same_tables(fifo.result(), mine.result())
