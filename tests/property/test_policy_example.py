"""The example policy of docs/architecture.md ("The policy contract"), run as written under the
property tests' oracle with its own reference order: the contract is enough to write a correct
policy, and the docs' example stays true."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hypothesis import given, settings

from farmsim.engine.simulation import Simulation
from farmsim.scenario.config import Scenario
from farmsim.testing import check_all
from farmsim.testing.oracle import run_audited
from farmsim.testing.strategies import scenarios

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def _example_policy() -> type:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- example: oldest-first -->\n```python\n(.*?)```", text, re.DOTALL)
    assert found, "docs/architecture.md: the oldest-first example is missing"
    namespace: dict[str, Any] = {}
    exec(compile(found.group(1), str(DOC), "exec"), namespace)
    policy: type = namespace["OldestFirst"]
    return policy


OLDEST_FIRST = _example_policy()


def oldest_first(candidates, worker, current_job):
    """The reference: the earliest-submitted assignable job."""
    return [min(candidates, key=lambda j: j.submit_seq)]


@settings(max_examples=40)
@given(scenarios())
def test_the_docs_example_policy_keeps_every_invariant_and_its_own_order(
        scenario: Scenario) -> None:
    # GIVEN a random farm whose queues all use the example policy
    sim = Simulation(scenario)
    for queue in sim.control.queues:
        queue.set_policy(OLDEST_FIRST())
    # WHEN it runs under the oracle, judged by the example's own order
    oracle = run_audited(sim, references={"priorityFifo": oldest_first})
    # THEN every decision was the oldest assignable job, no worker idled next to work, and
    # every invariant holds
    check_all(sim.result())
    assert oracle.assignments == len(sim.result().task_runs)
