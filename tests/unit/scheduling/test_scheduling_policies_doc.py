"""docs/policies.md stays true: its worked example is the file the scenarios use, its Python
examples run as written, the sticky variant keeps a worker on its job where plain earliest
deadline first moves it, and the error it shows is the one farmsim gives."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from farmsim.engine.simulation import Simulation
from farmsim.errors import PolicyError
from farmsim.model.config import SchedulingConfig
from farmsim.scheduling import (
    load_policy,
    register_policy,
    registered_policies,
)
from farmsim.testing import check_all
from tests.unit.engine.farm_builders import job, scenario, step

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "policies.md"
EXAMPLE = ROOT / "scenarios" / "policies" / "earliest_deadline_first.py"


def example(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- example: {name} -->\n```python\n(.*?)```", text, re.DOTALL)
    assert found, f"docs/policies.md: example {name} is missing"
    return found.group(1)


def run_example(name: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": f"docs_example_{name.replace('-', '_')}"}
    exec(compile(example(name), str(DOC), "exec"), namespace)
    return namespace


def _due(submission: Any, hours: Any) -> Any:
    structure = dataclasses.replace(submission.structure, parameters={"DueHours": hours})
    return dataclasses.replace(submission, structure=structure)


def _under(sc: Any, policy: str, parameters: dict | None = None) -> Any:
    queue = dataclasses.replace(sc.farm.queues[0], scheduling=SchedulingConfig(
        policy=policy, parameters=parameters or {}))
    return dataclasses.replace(sc, farm=dataclasses.replace(sc.farm, queues=(queue,)))


def test_the_worked_example_is_the_scenarios_policy_file() -> None:
    code = EXAMPLE.read_text(encoding="utf-8")
    assert example("earliest-deadline-first") == code[code.index("import math"):]


def test_selecting_from_python_runs_as_written(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    run_example("select-from-python")
    assert "earliestDeadlineFirst" in registered_policies()


def test_the_sticky_variant_keeps_the_worker_where_plain_edf_moves_it() -> None:
    # GIVEN job a (due in 2 h) on the only worker, then job b (due in 1.5 h) submitted at 5 s
    sticky = run_example("sticky-deadline")["StickyDeadline"]
    register_policy(sticky)
    register_policy(run_example("earliest-deadline-first")["EarliestDeadlineFirst"],
                    replace=True)
    sc = scenario(_due(job(step("A", 3), name="a"), 2.0),
                  _due(job(step("B", 3), name="b", at=5.0), 1.5), workers=1)
    orders = {}
    for policy in ("earliestDeadlineFirst", "stickyDeadline"):
        sim = Simulation(_under(sc, policy))
        sim.run()
        check_all(sim.result())
        runs = sim.result().task_runs.sort_values("assigned_at")
        names = sim.result().jobs.set_index("job_id")["name"]
        orders[policy] = "".join(names[j] for j in runs.job_id)
    # THEN earliest deadline first moves the worker to b after a's first task; the sticky
    # variant (b is due within the hour of a) finishes a first
    assert orders == {"earliestDeadlineFirst": "abbbaa", "stickyDeadline": "aaabbb"}


def test_the_error_the_page_shows_is_farmsims() -> None:
    # GIVEN the worked example's file, and a job whose DueHours is not a number
    load_policy(f"{EXAMPLE}:EarliestDeadlineFirst")
    sc = scenario(_due(job(step("A", 1), name="sh010 render"), "tomorrow"), workers=1)
    # WHEN it runs THEN the error is the page's, with the example file's line
    with pytest.raises(PolicyError) as info:
        Simulation(_under(sc, "earliestDeadlineFirst")).run()
    shown = re.search(r"```text\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert shown
    expected = " ".join(shown.group(1).split()).replace("/studio/policies/", f"{EXAMPLE.parent}/")
    assert str(info.value) == expected
