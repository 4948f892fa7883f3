"""farmsim: a discrete-event simulator of AWS Deadline Cloud render farms.

    import farmsim
    scenario = farmsim.load_scenario("scenarios/quickstart.yaml")
    result = farmsim.simulate(scenario, seed=1, until="2d")
    result.jobs; result.task_runs; result.task_events; result.workers; result.limit_usage
    result.summary()
"""

from __future__ import annotations

from farmsim._api import simulate
from farmsim._version import __version__
from farmsim.engine.simulation import Simulation
from farmsim.errors import (
    FarmsimError,
    ResultsError,
    ScenarioError,
    SimulationError,
    TemplateError,
    UsageError,
)
from farmsim.scenario import Scenario, load_scenario, scenario_from_dict
from farmsim.templates import expand_job, load_template

__all__ = [
    "FarmsimError",
    "Result",
    "ResultsError",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "SimulationError",
    "TemplateError",
    "UsageError",
    "__version__",
    "expand_job",
    "load_scenario",
    "load_template",
    "scenario_from_dict",
    "simulate",
]


def __getattr__(name: str) -> object:
    # Result needs pandas; import it only when asked for, so that `import farmsim` (and the
    # engine) stay free of pandas and matplotlib until frames are wanted.
    if name == "Result":
        from farmsim.record.result import Result

        return Result
    raise AttributeError(f"module 'farmsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "Result"})
