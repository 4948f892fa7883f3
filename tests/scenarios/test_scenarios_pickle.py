"""Every example scenario goes to another process as it is (pickled), and runs there as here:
what a process pool or a cluster needs. A custom policy named by a scenario is loaded again in
the new process from the reference the scenario keeps."""

from __future__ import annotations

import multiprocessing
import pickle
from pathlib import Path

import pytest

import farmsim

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_a_pickled_scenario_runs_as_the_original(path: Path) -> None:
    scenario = farmsim.load_scenario(path)
    again = pickle.loads(pickle.dumps(scenario))
    assert farmsim.simulate(again, until="1h").summary() == farmsim.simulate(
        scenario, until="1h").summary()


def _run(scenario: farmsim.Scenario) -> tuple[str, int]:
    return scenario.farm.queues[0].scheduling.policy, len(farmsim.simulate(scenario).task_runs)


def test_a_custom_policy_is_loaded_again_in_a_fresh_process() -> None:
    base = farmsim.load_scenario(SCENARIOS[0].parent / "deadline_dailies.yaml")
    edf = base.with_overrides(dict(base.variants[1].overrides))
    here = _run(edf)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        [there] = pool.map(_run, [edf])
    assert there == here and there[0] == "earliestDeadlineFirst"
