"""farmsim: a discrete-event simulator of AWS Deadline Cloud render farms.

    import farmsim
    scenario = farmsim.load_scenario("scenarios/quickstart.yaml")
    result = farmsim.simulate(scenario, seed=1, until="2d")
    result.jobs; result.task_runs; result.task_events; result.workers; result.limit_usage
    result.summary()
    comparison = farmsim.compare("scenarios/policy_comparison.yaml")   # the file's variants
    comparison.table(); comparison.save("out/policies")
"""

from __future__ import annotations

from farmsim._api import compare, simulate
from farmsim._version import __version__
from farmsim.engine.simulation import Simulation
from farmsim.errors import (
    FarmsimError,
    PolicyError,
    ResultsError,
    ScenarioError,
    SimulationError,
    TemplateError,
    UsageError,
)
from farmsim.scenario import Scenario, load_scenario, scenario_from_dict
from farmsim.templates import expand_job, load_template

__all__ = [
    "Comparison",
    "FarmsimError",
    "PolicyError",
    "Result",
    "ResultsError",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "SimulationError",
    "TemplateError",
    "UsageError",
    "__version__",
    "compare",
    "expand_job",
    "load_scenario",
    "load_template",
    "scenario_from_dict",
    "simulate",
]


def __getattr__(name: str) -> object:
    # Result needs pandas (and Comparison's table); import them only when asked for, so that
    # `import farmsim` (and the engine) stay free of pandas and matplotlib until frames are
    # wanted.
    if name == "Result":
        from farmsim.record.result import Result

        return Result
    if name == "Comparison":
        from farmsim.analysis.comparison import Comparison

        return Comparison
    raise AttributeError(f"module 'farmsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "Comparison", "Result"})
