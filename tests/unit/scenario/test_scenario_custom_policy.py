"""A queue's custom scheduling policy in a scenario: ``simulation.policy`` (a registered name,
``module:Class`` or ``file.py:Class``) and ``simulation.policy_parameters``, every way it can be
wrong reported with its location, and the policy used when the scenario runs."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from scenario_testdata import base_data, problems_of

from farmsim.engine.simulation import Simulation
from farmsim.errors import ScenarioError
from farmsim.scenario import scenario_from_dict
from farmsim.scheduling import registered_policies, unregister_policy

WHERE = "farm.queues[0].simulation"

POLICY = """
from farmsim.scheduling import OrderedPolicy


class NewestFirst(OrderedPolicy):
    name = "newestFirst"

    def __init__(self, reverse=True):
        super().__init__()
        self.reverse = reverse

    def key(self, job):
        return -job.submit_seq if self.reverse else job.submit_seq
"""


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policies" / "newest.py"
    path.parent.mkdir()
    path.write_text(textwrap.dedent(POLICY), encoding="utf-8")
    return path


def _with_policy(policy: Any, parameters: Any = None) -> dict[str, Any]:
    data = base_data()
    simulation: dict[str, Any] = {"policy": policy}
    if parameters is not None:
        simulation["policy_parameters"] = parameters
    data["farm"]["queues"][0]["simulation"] = simulation
    return data


def test_a_policy_file_relative_to_the_scenario_is_loaded_and_selected(
        policy_file: Path, tmp_path: Path) -> None:
    data = _with_policy("policies/newest.py:NewestFirst", {"reverse": False})
    sc = scenario_from_dict(data, base_dir=tmp_path)
    scheduling = sc.farm.queues[0].scheduling
    assert scheduling.policy == "newestFirst"
    assert scheduling.parameters == {"reverse": False}
    assert scheduling.source == f"{policy_file.resolve()}:NewestFirst"
    sim = Simulation(sc)
    assert type(sim.control.queues[0].policy).__name__ == "NewestFirst"
    assert sim.control.queues[0].policy.reverse is False  # type: ignore[attr-defined]


def test_a_registered_name_is_enough_once_registered(policy_file: Path,
                                                     tmp_path: Path) -> None:
    scenario_from_dict(_with_policy("policies/newest.py:NewestFirst"), base_dir=tmp_path)
    sc = scenario_from_dict(_with_policy("newestFirst"))
    assert sc.farm.queues[0].scheduling.policy == "newestFirst"
    assert sc.farm.queues[0].scheduling.source is None


def test_a_policy_in_an_importable_module(policy_file: Path, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(policy_file.parent))
    sc = scenario_from_dict(_with_policy("newest:NewestFirst"))
    assert sc.farm.queues[0].scheduling.source == "newest:NewestFirst"
    sys.modules.pop("newest", None)


def test_the_policy_is_loaded_again_from_its_source_in_a_fresh_registry(
        policy_file: Path, tmp_path: Path) -> None:
    # GIVEN a scenario read in this process, then the registry emptied (as in a new process)
    sc = scenario_from_dict(_with_policy("policies/newest.py:NewestFirst"), base_dir=tmp_path)
    unregister_policy("newestFirst")
    # WHEN it is simulated THEN the policy is loaded from the recorded source
    sim = Simulation(sc)
    sim.run()
    assert "newestFirst" in registered_policies()


@pytest.mark.parametrize(("policy", "parameters", "message"), [
    ("policies/newest.py:NewestFirst", {"backwards": True},
     "policy_parameters: newestFirst: NewestFirst.__init__() got an unexpected keyword "
     "argument 'backwards'"),
    ("policies/newest.py:NewestFirst", ["reverse"],
     "policy_parameters: must be a mapping of the policy's parameters (got a list)"),
    ("policies/newest.py:Missing", None, "policy: policies/newest.py has no 'Missing'"),
    ("policies/none.py:NewestFirst", None, "policy: no such Python file: "),
    ("no_such_module_here:X", None,
     "policy: cannot import module 'no_such_module_here': ModuleNotFoundError"),
    ("policies/newest.py", None, "policy: no custom policy 'policies/newest.py' is registered"),
    ("newest.py:", None, "policy: a policy reference is 'module:Class' or 'file.py:Class'"),
    ("nobody", None, "policy: no custom policy 'nobody' is registered (registered: "),
    (42, None, "policy: must be a registered policy name, 'module:Class' or 'file.py:Class' "
               "(got 42)"),
    ("priorityBalanced", None, "policy: priorityBalanced is a schedulingConfiguration"),
    ("policies/newest.py:OrderedPolicy", None,
     "policy: policies/newest.py:OrderedPolicy: farmsim.scheduling.ordered.OrderedPolicy has "
     "no name"),
])
def test_a_policy_that_cannot_be_used_is_a_problem_at_its_field(
        policy_file: Path, tmp_path: Path, policy: Any, parameters: Any, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(_with_policy(policy, parameters), base_dir=tmp_path)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith(f"{WHERE}.{message}"), info.value.problems[0]


def test_a_file_that_raises_on_import_names_its_error_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("x = 1\nraise RuntimeError('no licence server')\n",
                                     encoding="utf-8")
    (tmp_path / "syntax.py").write_text("def broken(:\n", encoding="utf-8")
    [problem] = problems_of_at(_with_policy("bad.py:X"), tmp_path)
    assert "cannot import" in problem and "RuntimeError: no licence server" in problem
    assert "bad.py, line 2)" in problem
    [problem] = problems_of_at(_with_policy("syntax.py:X"), tmp_path)
    assert "SyntaxError" in problem and "syntax.py, line 1)" in problem


def problems_of_at(data: Any, base_dir: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, base_dir=base_dir)
    return info.value.problems


def test_a_queue_gives_one_scheduler_not_both(policy_file: Path, tmp_path: Path) -> None:
    data = _with_policy("policies/newest.py:NewestFirst")
    data["farm"]["queues"][0]["schedulingConfiguration"] = {"priorityFifo": {}}
    [problem] = problems_of_at(data, tmp_path)
    assert problem.startswith(f"{WHERE}: gives both schedulingConfiguration and "
                              "simulation.policy")


def test_policy_parameters_without_a_policy_are_not_dropped() -> None:
    data = base_data()
    data["farm"]["queues"][0]["simulation"] = {"policy_parameters": {"reverse": True}}
    [problem] = problems_of(data)
    assert problem.startswith(f"{WHERE}.policy_parameters: ") and "simulation.policy" in problem
