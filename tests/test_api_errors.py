"""The Python API's bad arguments: every error raised on purpose is a FarmsimError.

A user calling farmsim with a wrong argument gets a :class:`farmsim.UsageError` (also a
TypeError and a ValueError, as Python's own errors for such calls) or the error of the layer
that reads the value (ScenarioError, TemplateError), naming the argument and the value; never an
AttributeError or a bare TypeError from deep inside.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import farmsim

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
RENDER = ROOT / "scenarios" / "templates" / "render.yaml"


@pytest.fixture(scope="module")
def scenario() -> farmsim.Scenario:
    return farmsim.load_scenario(QUICKSTART)


@pytest.mark.parametrize(
    ("seed", "match"),
    [
        pytest.param("x", r"^seed must be an integer >= 0 \(got str 'x'\)$", id="string"),
        pytest.param(-1, r"^seed must be an integer >= 0 \(got -1\)$", id="negative"),
        pytest.param(True, r"^seed must be an integer >= 0 \(got bool True\)$", id="bool"),
        pytest.param(1.5, r"^seed must be an integer >= 0 \(got float 1.5\)$", id="float"),
    ],
)
def test_bad_seed_is_a_usage_error(scenario: farmsim.Scenario, seed: object, match: str) -> None:
    # WHEN simulate or Simulation gets a seed that is not an integer >= 0 THEN UsageError
    with pytest.raises(farmsim.UsageError, match=match):
        farmsim.simulate(scenario, seed=seed)  # type: ignore[arg-type]
    with pytest.raises(farmsim.UsageError, match=match):
        farmsim.Simulation(scenario, seed=seed)  # type: ignore[arg-type]


def test_usage_error_is_a_farmsim_type_and_value_error() -> None:
    assert issubclass(farmsim.UsageError, farmsim.FarmsimError)
    assert issubclass(farmsim.UsageError, TypeError)
    assert issubclass(farmsim.UsageError, ValueError)


def test_numpy_integer_seed_is_accepted(scenario: farmsim.Scenario) -> None:
    # GIVEN a seed as a numpy integer (as drawn from an array of seeds) THEN it runs as the int
    sim = farmsim.Simulation(scenario, seed=np.int64(3))
    assert sim.seed == 3 and type(sim.seed) is int


@pytest.mark.parametrize(
    ("until", "match"),
    [
        pytest.param(-1, r"^until must be after the current simulated time, 0 s \(got -1\)$",
                     id="negative"),
        pytest.param(0, r"^until must be after the current simulated time, 0 s \(got 0\)$",
                     id="zero"),
        pytest.param("soon", r"^until: not a duration: 'soon'", id="not a duration"),
        pytest.param(float("nan"), r"^until: not a duration: nan", id="nan"),
        pytest.param([1], r"^until: not a duration: a list", id="list"),
        pytest.param(True, r"^until must be a duration", id="bool"),
    ],
)
def test_bad_until_is_a_usage_error(scenario: farmsim.Scenario, until: object,
                                    match: str) -> None:
    with pytest.raises(farmsim.UsageError, match=match):
        farmsim.Simulation(scenario).run(until=until)  # type: ignore[arg-type]
    with pytest.raises(farmsim.UsageError, match=match):
        farmsim.simulate(scenario, until=until)  # type: ignore[arg-type]


def test_run_until_accepts_durations_as_simulate_does(scenario: farmsim.Scenario) -> None:
    # GIVEN two runs of the same scenario and seed, one to "1h", one to 3600 seconds
    by_text = farmsim.Simulation(scenario)
    by_text.run(until="1h")
    by_seconds = farmsim.Simulation(scenario)
    by_seconds.run(until=3600.0)
    # THEN both stopped at one hour with the same records, and "1h30m" continues the first
    assert by_text.now == by_seconds.now == 3600.0
    assert by_text.result().task_runs.equals(by_seconds.result().task_runs)
    by_text.run(until="1h30m")
    assert by_text.now == 5400.0
    # AND a run to an earlier time is refused, naming the current time
    with pytest.raises(farmsim.UsageError, match=r"current simulated time, 5400 s \(got '1h'\)"):
        by_text.run(until="1h")


def test_simulation_takes_a_scenario_path(scenario: farmsim.Scenario) -> None:
    # GIVEN the quickstart as a path and as a loaded scenario THEN both run the same
    from_path = farmsim.Simulation(QUICKSTART)
    from_path.run(until="30m")
    loaded = farmsim.Simulation(scenario)
    loaded.run(until="30m")
    assert from_path.result().task_events.equals(loaded.result().task_events)


@pytest.mark.parametrize("bad", [None, 3, ["a.yaml"]], ids=["None", "int", "list"])
def test_scenario_path_of_the_wrong_type(bad: object) -> None:
    with pytest.raises(farmsim.UsageError, match=r"^load_scenario: path must be a file path"):
        farmsim.load_scenario(bad)  # type: ignore[arg-type]
    with pytest.raises(farmsim.UsageError, match=r"^Simulation: scenario must be a Scenario"):
        farmsim.Simulation(bad)  # type: ignore[arg-type]
    with pytest.raises(farmsim.UsageError):
        farmsim.simulate(bad)  # type: ignore[arg-type]


def test_expand_job_takes_a_template_path_or_mapping() -> None:
    # GIVEN the render template as a path, as a loaded template and as a parsed mapping
    import yaml

    loaded = farmsim.load_template(RENDER)
    mapping = yaml.safe_load(RENDER.read_text(encoding="utf-8"))
    # THEN expand_job gives the same structure for each (it used to raise AttributeError)
    for template in (RENDER, str(RENDER), loaded, mapping):
        job = farmsim.expand_job(template, {"Frames": "1-5"})
        assert [step.task_count for step in job.steps] == [5]


def test_expand_job_refuses_what_is_not_a_template() -> None:
    with pytest.raises(farmsim.TemplateError, match=r"must be a path or a mapping \(got int\)"):
        farmsim.expand_job(3)  # type: ignore[arg-type]
    with pytest.raises(farmsim.UsageError, match=r"parameters must be a mapping .*got list"):
        farmsim.expand_job(RENDER, ["Frames=1-5"])  # type: ignore[arg-type]
