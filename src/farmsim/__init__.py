"""farmsim: a discrete-event simulator of AWS Deadline Cloud render farms.

    import farmsim
    scenario = farmsim.load_scenario("scenarios/quickstart.yaml")
    result = farmsim.simulate(scenario, seed=1, until="2d")
    result.jobs; result.task_runs; result.task_events; result.workers; result.limit_usage
    result.summary()
    comparison = farmsim.compare("scenarios/policy_comparison.yaml")   # the file's variants
    comparison.table(); comparison.save("out/policies")
    study = farmsim.license_whatif("scenarios/license_whatif.yaml", "nuke", [6, 8, 10, 12, 14])
    print(study.recommendation.text()); study.summary(); study.save("out/nuke-whatif")
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
from farmsim.sweeps import Sweep, sweep
from farmsim.sweeps.recommend import capacity_plan, license_whatif
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
    "Sweep",
    "TemplateError",
    "UsageError",
    "__version__",
    "capacity_plan",
    "compare",
    "expand_job",
    "license_whatif",
    "load_scenario",
    "load_template",
    "scenario_from_dict",
    "simulate",
    "sweep",
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
